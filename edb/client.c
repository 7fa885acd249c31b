/* client.c: path A (MAST file download) over libcurl.
 *
 * Every request of a query goes through one multi handle, at most `parallel` at once; the
 * reply is fed to the streaming decoder from the write callback as it arrives, so nothing
 * waits for a whole body.  A request that fails in a way worth retrying is reset (decoder
 * and series cleared) and started again after a capped exponential backoff with jitter,
 * or after the Retry-After the service asked for.
 *
 * Redirects are followed here rather than by libcurl, so that the rule "the token goes
 * only to the origin it was meant for, and never in clear to a remote host" is ours to
 * enforce on every hop. */
#include <ctype.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include <edb/client.h>
#include <edb/mastcsv.h>

#include "internal.h"

#define MAX_REDIRECTS 5
#define ERR_BODY_MAX 512
/* Statuses outside the "always retry" set get this many extra tries, as a blanket policy
 * against a flaky service (jwst retries every 4xx but 404). */
#define SHORT_RETRIES 2

typedef enum { RQ_WAITING, RQ_RUNNING, RQ_DONE, RQ_FAILED } rq_state;

/* One mnemonic of a fetch, and the outcome of its requests. */
typedef struct mnem {
    char name[EDB_MNEMONIC_MAX + 1];
    size_t first, count; /* its requests: rq[first .. first + count) in chunk order */
    edb_status st;
    char *msg;
} mnem;

/* One request: one mnemonic over one chunk. */
typedef struct request {
    struct edb_client *c;
    mnem *m;
    edb_time lo, hi;    /* the exact range this chunk keeps (inclusive) */
    edb_time wire_lo, wire_hi; /* whole seconds, as asked of the service */
    int keep_before, keep_after;
    char uri_name[256];
    char *url;          /* the path A URL (never holds a secret) */
    char *cur_url;      /* the URL of the current hop (after redirects) */
    int send_token;     /* may the current hop carry the token? */
    int redirects;
    CURL *easy;
    struct curl_slist *headers;
    edb_series *series;
    edb_mastcsv *dec;
    void **taps;        /* one per hook set, for the current try */
    rq_state state;
    int attempt;        /* tries made so far */
    int64_t not_before; /* monotonic microseconds: do not start before */
    int64_t started;
    long http;          /* status of the current try, once known */
    int decode_err;     /* the decoder refused the body */
    int tap_err;        /* a tap refused the body */
    unsigned long long bytes;
    edb__buf errbody;   /* first bytes of a non-200 body, for the message */
    char errbuf[CURL_ERROR_SIZE];
} request;

struct edb_client {
    edb_client_options o;
    char *base_url;
    char *token;
    char *cacert;
    CURLM *multi;
    edb_err err;
    edb_client_stats stats;
    uint64_t rng;
};

struct edb_result {
    size_t n;
    edb_series **series;
    edb_status *st;
    char **msg;
};

static int64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static uint64_t rng_next(edb_client *c)
{
    /* xorshift64*: jitter only needs to decorrelate clients, not to be unpredictable. */
    c->rng ^= c->rng >> 12;
    c->rng ^= c->rng << 25;
    c->rng ^= c->rng >> 27;
    return c->rng * UINT64_C(2685821657736338717);
}

static void wipe(char *s)
{
    if (s) {
        volatile char *p = s;
        while (*p)
            *p++ = 0;
    }
}

#define logf_(c, ...) edb__logf((c)->o.log, (c)->o.log_ctx, __VA_ARGS__)

/* ---- URLs and names ---------------------------------------------------------------- */

/* Parts of a URL we care about.  Pointers into a private copy. */
typedef struct url_parts {
    char *copy;
    const char *scheme; /* "http" or "https" */
    const char *host;   /* without brackets for IPv6 */
    long port;
} url_parts;

static void url_parts_free(url_parts *u)
{
    free(u->copy);
    memset(u, 0, sizeof *u);
}

static edb_status url_parse(const char *url, url_parts *u, edb_err *err)
{
    memset(u, 0, sizeof *u);
    CURLU *h = curl_url();
    if (!h)
        return edb__fail(err, EDB_ERR_NOMEM, "out of memory");
    char *scheme = NULL, *host = NULL, *port = NULL, *user = NULL, *query = NULL, *frag = NULL;
    edb_status st = EDB_OK;
    if (curl_url_set(h, CURLUPART_URL, url, 0) != CURLUE_OK) {
        st = edb__fail(err, EDB_ERR_USAGE, "invalid URL '%s'", url);
        goto done;
    }
    curl_url_get(h, CURLUPART_SCHEME, &scheme, 0);
    curl_url_get(h, CURLUPART_HOST, &host, 0);
    curl_url_get(h, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT);
    curl_url_get(h, CURLUPART_USER, &user, 0);
    if (!scheme || !host || !port) {
        st = edb__fail(err, EDB_ERR_USAGE, "invalid URL '%s': no host", url);
        goto done;
    }
    for (char *p = scheme; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    if (strcmp(scheme, "https") != 0 && strcmp(scheme, "http") != 0) {
        st = edb__fail(err, EDB_ERR_USAGE, "invalid URL '%s': only http and https are supported",
                       url);
        goto done;
    }
    (void)query;
    (void)frag;
    {
        const char *hs = host;
        size_t hl = strlen(hs);
        if (hl >= 2 && hs[0] == '[' && hs[hl - 1] == ']') {
            hs++;
            hl -= 2;
        }
        size_t sl = strlen(scheme);
        u->copy = malloc(sl + hl + 2);
        if (!u->copy) {
            st = edb__fail(err, EDB_ERR_NOMEM, "out of memory");
            goto done;
        }
        memcpy(u->copy, scheme, sl + 1);
        memcpy(u->copy + sl + 1, hs, hl);
        u->copy[sl + 1 + hl] = '\0';
        for (char *p = u->copy + sl + 1; *p; p++)
            *p = (char)tolower((unsigned char)*p);
        u->scheme = u->copy;
        u->host = u->copy + sl + 1;
        u->port = strtol(port, NULL, 10);
    }
    if (user) {
        st = edb__fail(err, EDB_ERR_USAGE,
                       "invalid URL: credentials in a URL are not accepted (use --token-file)");
    }
done:
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_free(user);
    curl_url_cleanup(h);
    if (st != EDB_OK)
        url_parts_free(u);
    return st;
}

static int host_is_loopback(const char *host)
{
    if (strcmp(host, "localhost") == 0 || strcmp(host, "::1") == 0)
        return 1;
    /* 127.0.0.0/8, written as a dotted quad */
    if (strncmp(host, "127.", 4) != 0)
        return 0;
    int dots = 0;
    for (const char *p = host; *p; p++) {
        if (*p == '.')
            dots++;
        else if (!isdigit((unsigned char)*p))
            return 0;
    }
    return dots == 3;
}

/* May the token travel to this URL?  https anywhere; plain http only to loopback. */
static int token_allowed(const url_parts *u)
{
    return strcmp(u->scheme, "https") == 0 || host_is_loopback(u->host);
}

static int same_origin(const url_parts *a, const url_parts *b)
{
    return strcmp(a->scheme, b->scheme) == 0 && strcmp(a->host, b->host) == 0 &&
           a->port == b->port;
}

edb_status edb_base_url_check(const char *base_url, int have_token, edb_err *err)
{
    url_parts u;
    edb_status st = url_parse(base_url, &u, err);
    if (st != EDB_OK)
        return st;
    if (strchr(base_url, '?') || strchr(base_url, '#'))
        st = edb__fail(err, EDB_ERR_USAGE,
                       "invalid base URL '%s': it must not have a query or fragment", base_url);
    else if (have_token && !token_allowed(&u))
        st = edb__fail(err, EDB_ERR_INSECURE,
                       "refusing to send the MAST token in clear text to %s: use an https URL "
                       "(plain http is allowed only to a loopback address such as 127.0.0.1)",
                       u.host);
    url_parts_free(&u);
    return st;
}

edb_status edb_mast_url(const char *base_url, const char *mnemonic, edb_time start,
                        edb_time end, char **out, edb_err *err)
{
    *out = NULL;
    char name[EDB_MNEMONIC_MAX + 1];
    edb_status st = edb_mnemonic_normalize(mnemonic, name, sizeof name, err);
    if (st != EDB_OK)
        return st;
    if (end < start)
        return edb__fail(err, EDB_ERR_USAGE, "the end of the range is before its start");
    /* Whole seconds on the wire; widen outward so no sample of the exact range is lost
     * (the decoder then filters to the exact range). */
    char s0[EDB_TIME_STRLEN], s1[EDB_TIME_STRLEN];
    edb_time_format_compact(edb_time_floor(start, EDB_USEC_PER_SEC), s0, sizeof s0);
    edb_time_format_compact(edb_time_ceil(end, EDB_USEC_PER_SEC), s1, sizeof s1);
    char uri[256];
    snprintf(uri, sizeof uri, "mast:jwstedb/%s-%s-%s.csv", name, s0, s1);
    char *enc = curl_easy_escape(NULL, uri, 0);
    if (!enc)
        return edb__fail(err, EDB_ERR_NOMEM, "out of memory");
    size_t bl = strlen(base_url);
    while (bl && base_url[bl - 1] == '/')
        bl--;
    edb__buf b = {0};
    if (edb__buf_printf(&b, "%.*s/api/v0.1/Download/file?uri=%s", (int)bl, base_url, enc) != 0) {
        curl_free(enc);
        edb__buf_free(&b);
        return edb__fail(err, EDB_ERR_NOMEM, "out of memory");
    }
    curl_free(enc);
    *out = b.p;
    return EDB_OK;
}

/* ---- the client ---------------------------------------------------------------------- */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;
static void curl_init_once(void)
{
    curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

edb_status edb_client_new(edb_client **out, const edb_client_options *opts)
{
    *out = NULL;
    edb_client_options def = EDB_CLIENT_OPTIONS_INIT;
    if (!opts)
        opts = &def;
    pthread_once(&curl_once, curl_init_once);
    if (curl_init_rc != CURLE_OK)
        return EDB_ERR_INTERNAL;
    edb_client *c = calloc(1, sizeof *c);
    if (!c)
        return EDB_ERR_NOMEM;
    c->o = *opts;
    c->base_url = edb__strdup(opts->base_url ? opts->base_url : EDB_DEFAULT_BASE_URL);
    c->token = opts->token && *opts->token ? edb__strdup(opts->token) : NULL;
    c->cacert = opts->cacert ? edb__strdup(opts->cacert) : NULL;
    c->o.base_url = c->base_url;
    c->o.token = c->token;
    c->o.cacert = c->cacert;
    if (c->o.parallel < 1)
        c->o.parallel = 1;
    if (c->o.retries < 0)
        c->o.retries = 0;
    c->multi = curl_multi_init();
    c->rng = (uint64_t)mono_us() ^ ((uint64_t)(uintptr_t)c << 17) ^ UINT64_C(0x9E3779B97F4A7C15);
    if (!c->rng)
        c->rng = 1;
    if (!c->base_url || !c->multi || (opts->token && *opts->token && !c->token) ||
        (opts->cacert && !c->cacert)) {
        edb_client_free(c);
        return EDB_ERR_NOMEM;
    }
    curl_multi_setopt(c->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)c->o.parallel);
    curl_multi_setopt(c->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)c->o.parallel);
    *out = c;
    return EDB_OK;
}

void edb_client_free(edb_client *c)
{
    if (!c)
        return;
    if (c->multi)
        curl_multi_cleanup(c->multi);
    wipe(c->token);
    free(c->token);
    free(c->base_url);
    free(c->cacert);
    free(c);
}

const char *edb_client_errmsg(const edb_client *c)
{
    return c ? c->err.msg : "";
}

void edb_client_get_stats(const edb_client *c, edb_client_stats *out)
{
    *out = c->stats;
}

size_t edb_result_count(const edb_result *r)
{
    return r ? r->n : 0;
}

const edb_series *edb_result_series(const edb_result *r, size_t i)
{
    return (r && i < r->n) ? r->series[i] : NULL;
}

edb_series *edb_result_series_mut(edb_result *r, size_t i)
{
    return (r && i < r->n) ? r->series[i] : NULL;
}

edb_status edb_result_status(const edb_result *r, size_t i)
{
    return (r && i < r->n) ? r->st[i] : EDB_ERR_USAGE;
}

const char *edb_result_errmsg(const edb_result *r, size_t i)
{
    return (r && i < r->n && r->msg[i]) ? r->msg[i] : "";
}

void edb_result_free(edb_result *r)
{
    if (!r)
        return;
    for (size_t k = 0; k < r->n; k++) {
        edb_series_free(r->series[k]);
        free(r->msg[k]);
    }
    free(r->series);
    free(r->st);
    free(r->msg);
    free(r);
}

/* ---- one request ----------------------------------------------------------------------- */

/* Every body byte, from the network or a local lookup, goes to the taps and the decoder. */
static int feed_body(request *r, const char *data, size_t len)
{
    const edb_client_options *o = &r->c->o;
    for (size_t h = 0; r->taps && h < o->n_hooks; h++) {
        if (r->taps[h] && o->hooks[h].tap_write(r->taps[h], data, len) != 0) {
            r->tap_err = 1;
            return -1;
        }
    }
    if (edb_mastcsv_feed(r->dec, data, len) != EDB_OK) {
        r->decode_err = 1;
        return -1;
    }
    return 0;
}

static int feed_cb(void *fctx, const char *data, size_t len)
{
    return feed_body(fctx, data, len);
}

static void request_info(const request *r, edb_request_info *ri)
{
    ri->mnemonic = r->m->name;
    ri->start = r->wire_lo;
    ri->end = r->wire_hi;
    ri->url = r->url;
    ri->uri_name = r->uri_name;
}

/* Open a tap on every hook set but `skip` (the one answering, if any) for this try. */
static void taps_begin(request *r, int local, size_t skip)
{
    const edb_client_options *o = &r->c->o;
    if (!o->n_hooks)
        return;
    edb_request_info ri;
    request_info(r, &ri);
    for (size_t h = 0; h < o->n_hooks; h++)
        r->taps[h] = (h != skip && o->hooks[h].tap_begin)
                         ? o->hooks[h].tap_begin(o->hooks[h].ctx, &ri, local) : NULL;
}

/* Close the taps of this try; the first failure to keep a body becomes the request's. */
static edb_status taps_end(request *r, int complete, edb_err *err)
{
    const edb_client_options *o = &r->c->o;
    edb_status st = EDB_OK;
    for (size_t h = 0; r->taps && h < o->n_hooks; h++) {
        if (!r->taps[h])
            continue;
        edb_status ts = o->hooks[h].tap_end(r->taps[h], complete, r->http, err);
        r->taps[h] = NULL;
        if (st == EDB_OK)
            st = ts;
    }
    return st;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *userp)
{
    request *r = userp;
    size_t len = size * nmemb;
    if (r->http == 0)
        curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &r->http);
    r->bytes += len;
    r->c->stats.bytes += len;
    if (r->http != 200) {
        /* Keep the start of an error body: its text often says what is wrong. */
        if (r->errbody.len < ERR_BODY_MAX) {
            size_t take = ERR_BODY_MAX - r->errbody.len;
            if (edb__buf_append(&r->errbody, data, len < take ? len : take) != 0)
                return 0;
        }
        return len;
    }
    return feed_body(r, data, len) == 0 ? len : 0; /* 0 aborts: the body is unusable */
}

static edb_status request_setup(request *r)
{
    edb_client *c = r->c;
    if (!r->easy) {
        r->easy = curl_easy_init();
        if (!r->easy)
            return edb__fail(&c->err, EDB_ERR_NOMEM, "out of memory");
    } else {
        curl_easy_reset(r->easy);
    }
    CURL *e = r->easy;
    curl_slist_free_all(r->headers);
    r->headers = NULL;
    if (r->send_token && c->token) {
        edb__buf h = {0};
        if (edb__buf_printf(&h, "Authorization: token %s", c->token) != 0)
            return edb__fail(&c->err, EDB_ERR_NOMEM, "out of memory");
        r->headers = curl_slist_append(NULL, h.p);
        wipe(h.p);
        edb__buf_free(&h);
        if (!r->headers)
            return edb__fail(&c->err, EDB_ERR_NOMEM, "out of memory");
    }
    curl_easy_setopt(e, CURLOPT_URL, r->cur_url);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, r->headers);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->errbuf);
    curl_easy_setopt(e, CURLOPT_PRIVATE, r);
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
    if (c->cacert)
        curl_easy_setopt(e, CURLOPT_CAINFO, c->cacert);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, ""); /* gzip when the service offers it */
    curl_easy_setopt(e, CURLOPT_USERAGENT, "edbx/" EDBX_VERSION);
    if (c->o.timeout_us > 0)
        curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)((c->o.timeout_us + 999) / 1000));
    if (c->o.connect_timeout_us > 0)
        curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                         (long)((c->o.connect_timeout_us + 999) / 1000));
    r->errbuf[0] = '\0';
    r->http = 0;
    r->decode_err = 0;
    r->tap_err = 0;
    r->bytes = 0;
    r->errbody.len = 0;
    edb_mastcsv_reset(r->dec);
    return EDB_OK;
}

static edb_status request_start(request *r)
{
    edb_status st = request_setup(r);
    if (st != EDB_OK)
        return st;
    if (curl_multi_add_handle(r->c->multi, r->easy) != CURLM_OK)
        return edb__fail(&r->c->err, EDB_ERR_INTERNAL, "cannot start a transfer");
    r->state = RQ_RUNNING;
    r->attempt++;
    r->started = mono_us();
    taps_begin(r, 0, (size_t)-1);
    r->c->stats.requests++;
    if (r->attempt > 1)
        r->c->stats.retries++;
    return EDB_OK;
}

typedef enum { OUT_OK, OUT_RETRY_FULL, OUT_RETRY_SHORT, OUT_FINAL, OUT_REDIRECT } outcome;

/* Decide what a finished transfer means, leaving the reason in msg. */
static outcome classify(request *r, CURLcode rc, edb_status *st, char *msg, size_t msglen)
{
    long http = 0;
    curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &http);
    r->http = http;
    if (rc == CURLE_WRITE_ERROR && r->tap_err) {
        *st = EDB_ERR_IO;
        snprintf(msg, msglen, "the reply could not be recorded (cache or bundle)");
        return OUT_FINAL;
    }
    if (rc == CURLE_WRITE_ERROR && r->decode_err) {
        *st = EDB_ERR_DATA;
        snprintf(msg, msglen, "the reply does not decode: %s", edb_mastcsv_errmsg(r->dec));
        return OUT_FINAL;
    }
    if (rc != CURLE_OK) {
        const char *detail = r->errbuf[0] ? r->errbuf : curl_easy_strerror(rc);
        switch (rc) {
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CACERT_BADFILE:
        case CURLE_SSL_CERTPROBLEM:
        case CURLE_SSL_ISSUER_ERROR:
            *st = EDB_ERR_NETWORK;
            snprintf(msg, msglen, "TLS verification failed: %s (if your site uses its own "
                     "certificate authority, pass its bundle with --cacert FILE)", detail);
            return OUT_FINAL;
        case CURLE_PARTIAL_FILE:
        case CURLE_RECV_ERROR:
        case CURLE_GOT_NOTHING:
            *st = EDB_ERR_TRUNCATED;
            snprintf(msg, msglen, "the reply was cut short after %llu bytes: %s", r->bytes,
                     detail);
            return OUT_RETRY_FULL;
        case CURLE_COULDNT_RESOLVE_HOST:
            *st = EDB_ERR_NETWORK;
            snprintf(msg, msglen, "cannot resolve the host: %s (check --base-url or "
                     "ENG_BASE_URL)", detail);
            return OUT_RETRY_SHORT;
        case CURLE_OPERATION_TIMEDOUT:
            *st = EDB_ERR_NETWORK;
            snprintf(msg, msglen, "timed out: %s (a long range may need a longer --timeout)",
                     detail);
            return OUT_RETRY_FULL;
        default:
            *st = EDB_ERR_NETWORK;
            snprintf(msg, msglen, "%s", detail);
            return OUT_RETRY_FULL;
        }
    }
    char body[ERR_BODY_MAX + 8] = "";
    if (r->errbody.len) {
        edb__excerpt(r->errbody.p, r->errbody.len, 160, body, sizeof body);
    }
    if (http == 200) {
        edb_status ds = edb_mastcsv_finish(r->dec);
        if (ds == EDB_OK)
            return OUT_OK;
        *st = ds;
        snprintf(msg, msglen, "%s", edb_mastcsv_errmsg(r->dec));
        return ds == EDB_ERR_TRUNCATED ? OUT_RETRY_FULL : OUT_FINAL;
    }
    if (http >= 300 && http < 400 && http != 304) {
        return OUT_REDIRECT;
    }
    if (http == 404) {
        *st = EDB_ERR_NOT_FOUND;
        snprintf(msg, msglen, "no such mnemonic");
        return OUT_FINAL;
    }
    if (http == 401 || http == 403) {
        *st = EDB_ERR_AUTH;
        snprintf(msg, msglen, "the MAST token is %s (get one at "
                 "https://auth.mast.stsci.edu/token with the scope mast:exclusive_access, then "
                 "set MAST_API_TOKEN or use --token-file FILE)",
                 r->c->token ? "wrong or expired" : "missing");
        return OUT_RETRY_SHORT;
    }
    *st = EDB_ERR_SERVER;
    if (body[0])
        snprintf(msg, msglen, "the service failed: %s", body);
    else
        snprintf(msg, msglen, "the service failed");
    if (http == 408 || http == 429 || (http >= 500 && http <= 519))
        return OUT_RETRY_FULL;
    return OUT_RETRY_SHORT;
}

static int64_t backoff_us(edb_client *c, int attempt)
{
    int64_t d = c->o.backoff_base_us > 0 ? c->o.backoff_base_us : 0;
    for (int k = 1; k < attempt && d < c->o.backoff_cap_us; k++)
        d *= 2;
    if (c->o.backoff_cap_us > 0 && d > c->o.backoff_cap_us)
        d = c->o.backoff_cap_us;
    /* Half fixed, half random: retries from many clients spread out, none waits 0. */
    if (d > 1)
        d = d / 2 + (int64_t)(rng_next(c) % (uint64_t)(d / 2 + 1));
    return d;
}

/* Follow one redirect: compute the next hop and whether it may carry the token. */
static edb_status follow_redirect(request *r, char *msg, size_t msglen)
{
    char *loc = NULL;
    curl_easy_getinfo(r->easy, CURLINFO_REDIRECT_URL, &loc);
    if (!loc || r->redirects >= MAX_REDIRECTS) {
        if (loc)
            snprintf(msg, msglen, "too many redirects (more than %d)", MAX_REDIRECTS);
        else
            snprintf(msg, msglen, "HTTP %ld redirect without a usable Location", r->http);
        return EDB_ERR_SERVER;
    }
    url_parts from, to;
    edb_err e = EDB_ERR_INIT;
    if (url_parse(r->cur_url, &from, &e) != EDB_OK) {
        snprintf(msg, msglen, "%.400s", e.msg);
        return EDB_ERR_SERVER;
    }
    if (url_parse(loc, &to, &e) != EDB_OK) {
        url_parts_free(&from);
        snprintf(msg, msglen, "redirected to an unusable URL: %.400s", e.msg);
        return EDB_ERR_SERVER;
    }
    /* A downgrade from https to http towards a remote host is refused outright. */
    if (strcmp(from.scheme, "https") == 0 && strcmp(to.scheme, "http") == 0 &&
        !host_is_loopback(to.host)) {
        snprintf(msg, msglen, "refusing a redirect from https to plain http (%s)", to.host);
        url_parts_free(&from);
        url_parts_free(&to);
        return EDB_ERR_INSECURE;
    }
    /* The token goes on only to the very origin it was sent to. */
    r->send_token = r->send_token && same_origin(&from, &to) && token_allowed(&to);
    url_parts_free(&from);
    url_parts_free(&to);
    char *next = edb__strdup(loc);
    if (!next)
        return EDB_ERR_NOMEM;
    if (r->cur_url != r->url)
        free(r->cur_url);
    r->cur_url = next;
    r->redirects++;
    return EDB_OK;
}

/* Free what a request needs only while it runs; its series (the data) stays. */
static void request_release(request *r)
{
    if (r->easy) {
        curl_multi_remove_handle(r->c->multi, r->easy);
        curl_easy_cleanup(r->easy);
        r->easy = NULL;
    }
    if (r->taps) {
        edb_err ignore = EDB_ERR_INIT;
        taps_end(r, 0, &ignore);
        free(r->taps);
        r->taps = NULL;
    }
    curl_slist_free_all(r->headers);
    r->headers = NULL;
    edb_mastcsv_free(r->dec);
    r->dec = NULL;
    edb__buf_free(&r->errbody);
}

static void request_free(request *r)
{
    request_release(r);
    if (r->cur_url != r->url)
        free(r->cur_url);
    free(r->url);
    r->url = r->cur_url = NULL;
    edb_series_free(r->series);
    r->series = NULL;
}

/* A request failed for good: remember why, for its mnemonic.  The first failure of a
 * mnemonic is the one reported.  "SA_ZATTEST9: no such mnemonic (HTTP 404 from https://...)" */
static void request_failed(request *r, edb_status st, const char *msg)
{
    r->state = RQ_FAILED;
    char http[32] = "";
    if (r->http > 0)
        snprintf(http, sizeof http, "HTTP %ld ", r->http);
    char tries[48] = "";
    if (r->attempt > 1)
        snprintf(tries, sizeof tries, ", after %d tries", r->attempt);
    if (r->m->st != EDB_OK)
        return;
    edb__buf b = {0};
    if (r->cur_url)
        edb__buf_printf(&b, "%s: %s (%sfrom %s%s)", r->m->name, msg, http, r->cur_url, tries);
    else
        edb__buf_printf(&b, "%s: %s", r->m->name, msg);
    r->m->st = st;
    r->m->msg = b.p; /* NULL if out of memory: the status still tells */
}

/* Handle one finished transfer: done, failed, or scheduled again. */
static void on_done(edb_client *c, request *r, CURLcode rc)
{
    char msg[EDB_ERRMSG_SIZE / 2];
    edb_status st = EDB_OK;
    msg[0] = '\0';
    int64_t elapsed = mono_us() - r->started;
    curl_multi_remove_handle(c->multi, r->easy);
    outcome oc = classify(r, rc, &st, msg, sizeof msg);
    char got[32] = "no reply";
    if (r->http > 0)
        snprintf(got, sizeof got, "HTTP %ld", r->http);
    logf_(c, "GET %s -> %s (%llu bytes, %.3f s)%s%s", r->cur_url, got, r->bytes,
          elapsed / 1e6, oc == OUT_OK ? "" : ": ", oc == OUT_OK ? "" : (msg[0] ? msg : "redirect"));
    edb_err terr = EDB_ERR_INIT;
    if (taps_end(r, oc == OUT_OK, &terr) != EDB_OK && oc == OUT_OK) {
        request_failed(r, terr.status, terr.msg);
        return;
    }
    if (oc == OUT_OK) {
        r->state = RQ_DONE;
        return;
    }
    if (oc == OUT_REDIRECT) {
        st = follow_redirect(r, msg, sizeof msg);
        if (st == EDB_OK) {
            r->attempt--; /* a redirect is the same try continued, not a retry */
            r->not_before = 0;
            r->state = RQ_WAITING;
            return;
        }
        oc = OUT_FINAL;
    }
    int budget = oc == OUT_RETRY_FULL ? c->o.retries
                 : oc == OUT_RETRY_SHORT ? (c->o.retries < SHORT_RETRIES ? c->o.retries
                                                                          : SHORT_RETRIES)
                 : 0;
    if (r->attempt <= budget) {
        long ra = -1;
        curl_off_t retry_after = 0;
        if (curl_easy_getinfo(r->easy, CURLINFO_RETRY_AFTER, &retry_after) == CURLE_OK &&
            retry_after > 0)
            ra = (long)retry_after;
        int64_t wait = ra > 0 ? (int64_t)ra * 1000000 : backoff_us(c, r->attempt);
        logf_(c, "%s: retrying in %.1f s (try %d of %d)", r->uri_name, wait / 1e6,
              r->attempt + 1, budget + 1);
        r->not_before = mono_us() + wait;
        r->state = RQ_WAITING;
        /* A retry starts from the original URL and its own token rule. */
        if (r->cur_url != r->url)
            free(r->cur_url);
        r->cur_url = r->url;
        r->redirects = 0;
        r->send_token = 1;
        return;
    }
    request_failed(r, st, msg);
}

/* Answer a request from the hooks if one can.  Returns 1 if it is settled (done or
 * failed), 0 if the network must answer. */
static int try_lookup(edb_client *c, request *r)
{
    const edb_client_options *o = &c->o;
    edb_request_info ri;
    request_info(r, &ri);
    for (size_t h = 0; h < o->n_hooks; h++) {
        if (!o->hooks[h].lookup)
            continue;
        edb_err err = EDB_ERR_INIT;
        edb_mastcsv_reset(r->dec);
        r->decode_err = r->tap_err = 0;
        taps_begin(r, 1, h);
        int got = o->hooks[h].lookup(o->hooks[h].ctx, &ri, feed_cb, r, &err);
        if (got == 0) {
            taps_end(r, 0, &err);
            continue;
        }
        if (got < 0) {
            taps_end(r, 0, &err);
            request_failed(r, err.status != EDB_OK ? err.status : EDB_ERR_IO,
                           err.msg[0] ? err.msg : "the local source failed");
            return 1;
        }
        edb_status st = EDB_OK;
        const char *why = NULL;
        if (r->tap_err) {
            st = EDB_ERR_IO;
            why = "the reply could not be recorded (cache or bundle)";
        } else if (r->decode_err || (st = edb_mastcsv_finish(r->dec)) != EDB_OK) {
            st = r->decode_err ? EDB_ERR_DATA : st;
            why = edb_mastcsv_errmsg(r->dec);
        }
        r->http = 200;
        edb_status ts = taps_end(r, st == EDB_OK, &err);
        if (st == EDB_OK && ts != EDB_OK) {
            st = ts;
            why = err.msg;
        }
        logf_(c, "%s: answered locally%s%s", r->uri_name, why ? ": " : "", why ? why : "");
        if (st != EDB_OK) {
            char m[EDB_ERRMSG_SIZE / 2];
            snprintf(m, sizeof m, "the stored reply %s does not decode: %.300s", r->uri_name, why);
            request_failed(r, st, m);
        } else {
            r->state = RQ_DONE;
        }
        return 1;
    }
    if (o->offline) {
        request_failed(r, EDB_ERR_NOT_FOUND, "not in the local source (no network is used)");
        return 1;
    }
    return 0;
}

/* Allocate what a request needs to run: its decoder and its tap slots. */
static edb_status request_prepare(edb_client *c, request *r)
{
    edb_mastcsv_options dopt = EDB_MASTCSV_OPTIONS_INIT;
    dopt.start = r->lo;
    dopt.end = r->hi;
    dopt.keep_before = r->keep_before;
    dopt.keep_after = r->keep_after;
    if (edb_mastcsv_new(&r->dec, r->series, &dopt) != EDB_OK)
        return edb__fail(&c->err, EDB_ERR_NOMEM, "out of memory");
    if (c->o.n_hooks && !(r->taps = calloc(c->o.n_hooks, sizeof *r->taps)))
        return edb__fail(&c->err, EDB_ERR_NOMEM, "out of memory");
    return EDB_OK;
}

/* Put the chunks of one mnemonic back together, in order; each sample is in exactly one
 * chunk (chunk ranges do not overlap), so nothing is dropped or doubled. */
static edb_status stitch(mnem *m, request *rq, edb_series **out)
{
    *out = NULL;
    if (m->count == 1) {
        *out = rq[m->first].series;
        rq[m->first].series = NULL;
        return EDB_OK;
    }
    edb_series *s;
    if (edb_series_new(&s, m->name) != EDB_OK)
        return EDB_ERR_NOMEM;
    edb_vtype vt = EDB_VT_NONE;
    for (size_t k = 0; k < m->count; k++) {
        const edb_series *p = rq[m->first + k].series;
        if (p->vtype == EDB_VT_NONE)
            continue;
        if (!s->sqltype[0])
            memcpy(s->sqltype, p->sqltype, sizeof s->sqltype);
        if (vt == EDB_VT_NONE || (vt == EDB_VT_INT && p->vtype == EDB_VT_REAL))
            vt = p->vtype;
        else if (vt != p->vtype && !(vt == EDB_VT_REAL && p->vtype == EDB_VT_INT)) {
            edb_series_free(s);
            return EDB_ERR_DATA;
        }
    }
    edb_status st = vt != EDB_VT_NONE ? edb_series_set_type(s, vt) : EDB_OK;
    for (size_t k = 0; k < m->count && st == EDB_OK; k++) {
        request *r = &rq[m->first + k];
        for (size_t j = 0; j < r->series->n && st == EDB_OK; j++)
            st = edb_series_push_from(s, r->series, j);
        edb_series_free(r->series); /* as we go: peak memory stays near the data */
        r->series = NULL;
    }
    if (st != EDB_OK) {
        edb_series_free(s);
        return st;
    }
    *out = s;
    return EDB_OK;
}

static void report_progress(edb_client *c, request *rq, size_t n, size_t done, size_t running,
                            int64_t t0)
{
    if (!c->o.progress)
        return;
    edb_progress p;
    memset(&p, 0, sizeof p);
    p.requests_done = done;
    p.requests_total = n;
    for (size_t k = 0; k < n; k++)
        if (rq[k].series)
            p.rows += rq[k].series->n;
    p.bytes = c->stats.bytes;
    p.retries = c->stats.retries;
    p.running = running;
    p.elapsed_s = (mono_us() - t0) / 1e6;
    c->o.progress(c->o.progress_ctx, &p);
}

/* Chunk edges are multiples of chunk_us since 1970, so the same day is the same request
 * whatever the query around it. */
static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

#define MAX_REQUESTS 1000000

edb_status edb_client_fetch(edb_client *c, const edb_query *q, edb_result **out)
{
    *out = NULL;
    edb_err_clear(&c->err);
    if (q->end < q->start)
        return edb__fail(&c->err, EDB_ERR_USAGE, "the end of the range is before its start");
    if (q->chunk_us < 0)
        return edb__fail(&c->err, EDB_ERR_USAGE, "the chunk length must be positive");
    edb_status st = edb_base_url_check(c->base_url, c->token != NULL && !c->o.offline, &c->err);
    if (st != EDB_OK)
        return st;

    /* Validate and deduplicate every name before the first request. */
    mnem *ms = calloc(q->n_mnemonics ? q->n_mnemonics : 1, sizeof *ms);
    if (!ms)
        return edb__fail(&c->err, EDB_ERR_NOMEM, "out of memory");
    size_t nm = 0;
    for (size_t k = 0; k < q->n_mnemonics; k++) {
        char name[EDB_MNEMONIC_MAX + 1];
        st = edb_mnemonic_normalize(q->mnemonics[k], name, sizeof name, &c->err);
        if (st != EDB_OK) {
            free(ms);
            return st;
        }
        int dup = 0;
        for (size_t j = 0; j < nm && !dup; j++)
            dup = strcmp(ms[j].name, name) == 0;
        if (!dup)
            memcpy(ms[nm++].name, name, sizeof name);
    }

    /* Plan: the chunks of the range, the same for every mnemonic. */
    size_t nchunks = 1;
    int64_t e0 = q->start;
    if (q->chunk_us > 0) {
        e0 = floor_div(q->start, q->chunk_us) * q->chunk_us;
        uint64_t span = (uint64_t)(q->end - e0) / (uint64_t)q->chunk_us + 1;
        if (span > MAX_REQUESTS || (nm && span * nm > MAX_REQUESTS)) {
            free(ms);
            return edb__fail(&c->err, EDB_ERR_USAGE, "the query needs more than %d requests: use "
                             "a longer chunk or a shorter range", MAX_REQUESTS);
        }
        nchunks = (size_t)span;
    }
    size_t n = nm * nchunks;
    request *rq = calloc(n ? n : 1, sizeof *rq);
    if (!rq) {
        free(ms);
        return edb__fail(&c->err, EDB_ERR_NOMEM, "out of memory");
    }
    for (size_t m = 0; m < nm && st == EDB_OK; m++) {
        ms[m].first = m * nchunks;
        ms[m].count = nchunks;
        for (size_t k = 0; k < nchunks && st == EDB_OK; k++) {
            request *r = &rq[m * nchunks + k];
            r->c = c;
            r->m = &ms[m];
            r->send_token = 1;
            if (q->chunk_us > 0) {
                int64_t a = e0 + (int64_t)k * q->chunk_us;
                r->lo = a > q->start ? a : q->start;
                r->hi = (k + 1 < nchunks && a + q->chunk_us - 1 < q->end) ? a + q->chunk_us - 1
                                                                          : q->end;
            } else {
                r->lo = q->start;
                r->hi = q->end;
            }
            r->keep_before = q->keep_brackets && k == 0;
            r->keep_after = q->keep_brackets && k + 1 == nchunks;
            r->wire_lo = edb_time_floor(r->lo, EDB_USEC_PER_SEC);
            r->wire_hi = edb_time_ceil(r->hi, EDB_USEC_PER_SEC);
            char s0[EDB_TIME_STRLEN], s1[EDB_TIME_STRLEN];
            edb_time_format_compact(r->wire_lo, s0, sizeof s0);
            edb_time_format_compact(r->wire_hi, s1, sizeof s1);
            snprintf(r->uri_name, sizeof r->uri_name, "%s-%s-%s.csv", ms[m].name, s0, s1);
            st = edb_mast_url(c->base_url, ms[m].name, r->lo, r->hi, &r->url, &c->err);
            r->cur_url = r->url;
            if (st == EDB_OK && edb_series_new(&r->series, ms[m].name) != EDB_OK)
                st = edb__fail(&c->err, EDB_ERR_NOMEM, "out of memory");
        }
    }

    int64_t t0 = mono_us(), last_report = 0;
    size_t finished = 0, running = 0, failed_m = 0;
    while (st == EDB_OK && finished < n) {
        if (c->o.cancel && *c->o.cancel) {
            st = edb__fail(&c->err, EDB_ERR_INTERRUPTED, "interrupted");
            break;
        }
        int64_t now = mono_us(), next_due = -1;
        for (size_t k = 0; k < n && running < (size_t)c->o.parallel && st == EDB_OK; k++) {
            request *r = &rq[k];
            if (r->state != RQ_WAITING)
                continue;
            if (r->not_before > now) {
                if (next_due < 0 || r->not_before < next_due)
                    next_due = r->not_before;
                continue;
            }
            if (!r->dec && (st = request_prepare(c, r)) != EDB_OK)
                break;
            if (r->attempt == 0 && r->redirects == 0 && (c->o.n_hooks || c->o.offline) &&
                try_lookup(c, r)) {
                request_release(r);
                finished++;
                continue;
            }
            if ((st = request_start(r)) != EDB_OK)
                break;
            running++;
        }
        if (st != EDB_OK)
            break;
        int still = 0, freed = 0;
        curl_multi_perform(c->multi, &still);
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(c->multi, &left)) != NULL) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            request *r = NULL;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&r);
            running--;
            freed = 1;
            on_done(c, r, msg->data.result);
            if (r->state == RQ_DONE || r->state == RQ_FAILED) {
                request_release(r);
                finished++;
            }
        }
        /* A failed request settles its mnemonic: without keep_going the whole fetch; with
         * it, the mnemonic's other chunks are not worth fetching. */
        for (size_t m = 0; m < nm; m++) {
            if (ms[m].st == EDB_OK || ms[m].count == 0)
                continue;
            if (!q->keep_going) {
                st = edb__fail(&c->err, ms[m].st, "%s", ms[m].msg ? ms[m].msg : ms[m].name);
                break;
            }
            for (size_t k = ms[m].first; k < ms[m].first + ms[m].count; k++) {
                if (rq[k].state == RQ_RUNNING)
                    running--;
                if (rq[k].state == RQ_WAITING || rq[k].state == RQ_RUNNING) {
                    rq[k].state = RQ_FAILED;
                    request_release(&rq[k]);
                    finished++;
                }
            }
            ms[m].count = 0; /* settled: its series will be empty */
            failed_m++;
        }
        if (st != EDB_OK || finished >= n)
            break;
        if (now - last_report >= 100000) {
            report_progress(c, rq, n, finished, running, t0);
            last_report = now;
        }
        /* A transfer that just ended frees a slot: fill it now rather than after the next
         * wait.  Otherwise sleep until there is network activity or a retry is due. */
        if (freed)
            continue;
        int wait_ms = 200;
        if (next_due >= 0) {
            int64_t d = (next_due - mono_us()) / 1000;
            if (d < wait_ms)
                wait_ms = d < 0 ? 0 : (int)d;
        }
        if (running > 0 || next_due >= 0)
            curl_multi_poll(c->multi, NULL, 0, wait_ms, NULL);
    }
    if (st == EDB_OK)
        report_progress(c, rq, n, finished, 0, t0);

    edb_result *res = NULL;
    if (st == EDB_OK) {
        res = calloc(1, sizeof *res);
        if (res) {
            res->series = calloc(nm ? nm : 1, sizeof *res->series);
            res->st = calloc(nm ? nm : 1, sizeof *res->st);
            res->msg = calloc(nm ? nm : 1, sizeof *res->msg);
        }
        if (!res || !res->series || !res->st || !res->msg) {
            st = edb__fail(&c->err, EDB_ERR_NOMEM, "out of memory");
        } else {
            res->n = nm;
            for (size_t m = 0; m < nm && st == EDB_OK; m++) {
                res->st[m] = ms[m].st;
                res->msg[m] = ms[m].msg;
                ms[m].msg = NULL;
                if (ms[m].st != EDB_OK) {
                    if (edb_series_new(&res->series[m], ms[m].name) != EDB_OK)
                        st = edb__fail(&c->err, EDB_ERR_NOMEM, "out of memory");
                } else if ((st = stitch(&ms[m], rq, &res->series[m])) != EDB_OK) {
                    edb__fail(&c->err, st, "%s: the chunks do not fit together (string and "
                              "numeric values mixed)", ms[m].name);
                }
            }
        }
        if (st != EDB_OK) {
            edb_result_free(res);
            res = NULL;
        }
    }
    if (st == EDB_OK && failed_m > 0) {
        edb__buf b = {0};
        edb__buf_printf(&b, "%zu of %zu mnemonics failed:", failed_m, nm);
        for (size_t m = 0; m < nm; m++)
            if (res->st[m] != EDB_OK)
                edb__buf_printf(&b, " %s;", res->msg[m] ? res->msg[m] : res->series[m]->mnemonic);
        st = edb__fail(&c->err, EDB_ERR_PARTIAL, "%s", b.p ? b.p : "some mnemonics failed");
        edb__buf_free(&b);
    }
    for (size_t k = 0; k < n; k++)
        request_free(&rq[k]);
    for (size_t m = 0; m < nm; m++)
        free(ms[m].msg);
    free(rq);
    free(ms);
    *out = res;
    return st;
}
