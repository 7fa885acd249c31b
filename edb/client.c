/* client.c: the transfer engine.  It runs the requests of a plan (edb/plan.h) for one
 * service (service.h) over libcurl, or answers them from the reply hooks (caches, local
 * stores, bundles), and gives back one series per mnemonic.
 *
 * Every network request goes through one multi handle, at most `parallel` at once; a data
 * reply is fed to its decoder (edb/decoder.h, chosen by the service) from the write
 * callback as it arrives, so nothing waits for a whole body.  A request that fails in a
 * way worth retrying is reset (decoder and series cleared) and started again after a
 * capped exponential backoff with jitter, or after the Retry-After the service asked for.
 *
 * Requests are made from the plan as transfer slots free up, never all at once, so the
 * memory of a fetch follows what is in flight and the samples, not the plan's length.
 * Each mnemonic's chunks are stitched in order as they complete (column by column), and
 * a chunk that completes early waits beside its mnemonic until the ones before it are in.
 * A service with metadata (path B, EDP) is asked for each mnemonic's first: its SQL type
 * types the data replies, whose JSON does not say it.
 *
 * Before the first request that needs the network, the base URL is checked once to answer
 * as the service does (GET api/ for path A), so a wrong URL is reported as that, not as
 * every mnemonic missing.
 *
 * Redirects are followed here rather than by libcurl, so that the rule "the token goes
 * only to the origin it was meant for, and never in clear to a remote host" is ours to
 * enforce on every hop. */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include <edb/client.h>
#include <edb/decoder.h>

#include "cache_internal.h"
#include "discovery_internal.h"
#include "internal.h"
#include "plan_internal.h"
#include "service.h"
#include "url.h"

#define MAX_REDIRECTS 5
#define ERR_BODY_MAX 512
#define PROBE_BODY_MAX 65536
/* Statuses outside the "always retry" set, and connections refused or hosts that do not
 * resolve, get this many extra tries: seconds, not minutes, for what is most likely a
 * mistake, yet a second chance for a flaky service (jwst retries every 4xx but 404). */
#define SHORT_RETRIES 2
/* Inflating a compressed reply is checked against its compressed size past this. */
#define INFLATE_FLOOR ((unsigned long long)16 << 20)
#define INFLATE_RATIO_DEFAULT 200
/* The longest Retry-After honoured (or the backoff cap, when that is longer). */
#define RETRY_AFTER_MAX_US (INT64_C(120) * 1000000)

typedef enum { RQ_WAITING, RQ_RUNNING, RQ_DONE, RQ_FAILED } rq_state;

/* A chunk that completed before the ones ahead of it. */
typedef struct pend {
    size_t chunk;
    edb_series *s;
} pend;

/* One mnemonic of a fetch: its metadata, its stitched samples, its outcome. */
typedef struct mnem {
    const char *name;    /* borrowed from the plan */
    edb_status st;
    char *msg;
    int meta;            /* 0: metadata not yet asked, 1: asked, 2: settled (or none) */
    edb_vtype vtype;     /* from the metadata: the type of the values, or NONE */
    char sqltype[32];
    int all_points;
    size_t next_chunk;   /* chunks stitched so far */
    edb_series *out;
    pend *pend;
    size_t npend, cappend;
} mnem;

struct fetch;
struct ahead;

typedef struct request {
    struct fetch *f;
    edb_plan_request pr;
    int probe;           /* the aliveness check of the base URL, not a plan request */
    mnem *m;
    char uri_name[EDB_MNEMONIC_MAX + 64];
    char *url;           /* never holds a secret */
    char *cur_url;       /* the URL of the current hop (after redirects) */
    int send_token;      /* may the current hop carry the token? */
    int redirects;
    CURL *easy;
    struct curl_slist *headers;
    edb_series *series;  /* DATA: the samples of this try */
    edb_decoder *dec;
    edb__buf body;       /* META and the probe: the body itself (they are small) */
    void **taps;         /* one per hook set, for the current try */
    rq_state state;
    int attempt;         /* tries made so far */
    int64_t not_before;  /* monotonic microseconds: do not start before */
    int64_t started;
    long http;
    int decode_err, tap_err, too_big;
    int local_series;    /* a hook answered with samples: nothing to decode */
    unsigned long long bytes;
    edb__buf errbody;    /* first bytes of a non-200 body, for the message */
    edb_err taperr;      /* why a tap refused the body */
    char errbuf[CURL_ERROR_SIZE];
} request;

struct edb_client {
    edb_client_options o;
    char *base_url, *token, *cacert, *edp_mission, *edp_data_path, *edp_meta_path;
    const edb__service *svc;
    edb__svc_conf conf;
    CURLM *multi;
    edb_err err;
    edb_client_stats stats;
    uint64_t rng;
    int alive; /* the base URL answered as the service */
};

typedef struct fetch {
    edb_client *c;
    const edb_query *q;
    edb_plan *plan;
    mnem *ms;
    size_t nm;
    request **live;      /* waiting (retry, redirect, parked) or running */
    size_t nlive, caplive;
    size_t meta_cursor;  /* next mnemonic whose metadata to ask */
    size_t meta_end;     /* past the last mnemonic this fetch has requests of */
    size_t data_cursor;  /* next plan index to consider for data */
    size_t data_end;     /* past the last plan index of this fetch (its shard's end) */
    size_t goal, done;   /* requests this fetch settles, and settled so far */
    int sharded;         /* a shard: replies go to the hooks, samples are not kept */
    size_t running;
    int probe;           /* 0: not started, 1: running, 2: passed */
    edb_status fatal;    /* set when the whole fetch must stop */
    size_t rows;         /* samples in stitched chunks */
    struct ahead *ahead; /* cache entries decoded ahead on worker threads, or NULL */
} fetch;

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

/* The token never appears in a message, even when a service echoes it back. */
static void redact(const edb_client *c, char *s)
{
    size_t tl = c->token ? strlen(c->token) : 0;
    if (!tl || !s)
        return;
    for (char *p = strstr(s, c->token); p; p = strstr(p, c->token)) {
        memset(p, '*', tl < 8 ? tl : 8);
        memmove(p + (tl < 8 ? tl : 8), p + tl, strlen(p + tl) + 1);
    }
}

#define logf_(c, ...) edb__logf((c)->o.log, (c)->o.log_ctx, __VA_ARGS__)

/* ---- the services ---------------------------------------------------------------------- */

size_t edb_service_count(void)
{
    return edb__service_count();
}

const char *edb_service_name(size_t i)
{
    const edb__service *s = edb__service_at(i);
    return s ? s->name : NULL;
}

const char *edb_service_label(const char *name)
{
    const edb__service *s = edb__service_find(name);
    return s ? s->label : NULL;
}

int edb_service_takes_token(const char *name)
{
    const edb__service *s = edb__service_find(name);
    return s ? s->sends_token : 0;
}

/* ---- the client ---------------------------------------------------------------------- */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;
static void curl_init_once(void)
{
    curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static char *copy_opt(const char *s, int *bad)
{
    if (!s)
        return NULL;
    char *d = edb__strdup(s);
    if (!d)
        *bad = 1;
    return d;
}

edb_status edb_client_new(edb_client **out, const edb_client_options *opts)
{
    *out = NULL;
    edb_client_options def = EDB_CLIENT_OPTIONS_INIT;
    if (!opts)
        opts = &def;
    const edb__service *svc = edb__service_find(opts->service ? opts->service : "mast");
    if (!svc)
        return EDB_ERR_USAGE;
    pthread_once(&curl_once, curl_init_once);
    if (curl_init_rc != CURLE_OK)
        return EDB_ERR_INTERNAL;
    edb_client *c = calloc(1, sizeof *c);
    if (!c)
        return EDB_ERR_NOMEM;
    int bad = 0;
    c->o = *opts;
    c->svc = svc;
    c->base_url = copy_opt(opts->base_url ? opts->base_url : EDB_DEFAULT_BASE_URL, &bad);
    c->token = opts->token && *opts->token ? copy_opt(opts->token, &bad) : NULL;
    c->cacert = copy_opt(opts->cacert, &bad);
    c->edp_mission = copy_opt(opts->edp_mission ? opts->edp_mission : "jwst", &bad);
    c->edp_data_path = copy_opt(opts->edp_data_path, &bad);
    c->edp_meta_path = copy_opt(opts->edp_meta_path, &bad);
    c->o.base_url = c->base_url;
    c->o.token = c->token;
    c->o.cacert = c->cacert;
    c->o.service = svc->name;
    c->o.edp_mission = c->edp_mission;
    c->o.edp_data_path = c->edp_data_path;
    c->o.edp_meta_path = c->edp_meta_path;
    c->conf.base_url = c->base_url;
    c->conf.edp_mission = c->edp_mission;
    c->conf.data_path = c->edp_data_path;
    c->conf.meta_path = c->edp_meta_path;
    if (c->o.parallel < 1)
        c->o.parallel = 1;
    if (c->o.retries < 0)
        c->o.retries = 0;
    if (!c->o.inflate_ratio_max)
        c->o.inflate_ratio_max = INFLATE_RATIO_DEFAULT;
    c->multi = curl_multi_init();
    c->rng = (uint64_t)mono_us() ^ ((uint64_t)(uintptr_t)c << 17) ^ UINT64_C(0x9E3779B97F4A7C15);
    if (!c->rng)
        c->rng = 1;
    if (bad || !c->multi) {
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
    free(c->edp_mission);
    free(c->edp_data_path);
    free(c->edp_meta_path);
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

edb_status edb_client_plan(edb_client *c, const edb_query *q, edb_plan **out)
{
    edb_err_clear(&c->err);
    return edb__plan_new(out, c->svc, &c->conf, q->mnemonics, q->n_mnemonics, q->start, q->end,
                         q->keep_brackets, q->chunk_us, &c->err);
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

/* ---- stitching -------------------------------------------------------------------------- */

/* Chunk k of m is complete with samples s (taken).  Chunks go into m->out in order; one
 * that comes early waits.  Each sample is in exactly one chunk (chunk ranges do not
 * overlap), so nothing is dropped or doubled, whatever order replies arrive in. */
static edb_status chunk_done(fetch *f, mnem *m, size_t k, edb_series *s)
{
    if (k != m->next_chunk) {
        if (m->npend == m->cappend) {
            size_t nc = m->cappend ? m->cappend * 2 : 8;
            pend *p = realloc(m->pend, nc * sizeof *p);
            if (!p) {
                edb_series_free(s);
                return EDB_ERR_NOMEM;
            }
            m->pend = p;
            m->cappend = nc;
        }
        m->pend[m->npend].chunk = k;
        m->pend[m->npend].s = s;
        m->npend++;
        return EDB_OK;
    }
    edb_status st = EDB_OK;
    for (;;) {
        f->rows += s->n;
        if (!m->out) {
            m->out = s; /* the first chunk is the start of the result: no copy */
        } else {
            st = edb_series_append_range(m->out, s, 0, s->n);
            if (m->out->all_points < 0)
                m->out->all_points = s->all_points;
            edb_series_free(s);
            if (st != EDB_OK)
                return st;
        }
        m->next_chunk++;
        s = NULL;
        for (size_t j = 0; j < m->npend && !s; j++)
            if (m->pend[j].chunk == m->next_chunk) {
                s = m->pend[j].s;
                m->pend[j] = m->pend[--m->npend];
            }
        if (!s)
            return EDB_OK;
    }
}

static void mnem_clear(mnem *m)
{
    for (size_t j = 0; j < m->npend; j++)
        edb_series_free(m->pend[j].s);
    free(m->pend);
    m->pend = NULL;
    m->npend = m->cappend = 0;
    edb_series_free(m->out);
    m->out = NULL;
}

/* The samples of a local answer that this request keeps, into its own series: its exact
 * range and the bracket samples it keeps, exactly as the decoder would keep them from the
 * same reply. */
static edb_status cut_to_range(request *r, const edb_series *s)
{
    edb_series *d = r->series;
    edb_series_clear(d);
    memcpy(d->sqltype, s->sqltype, sizeof d->sqltype);
    d->all_points = s->all_points;
    edb_status st = s->vtype != EDB_VT_NONE ? edb_series_set_type(d, s->vtype) : EDB_OK;
    size_t lo = edb_series_lower_bound(s, r->pr.lo), hi = edb_series_upper_bound(s, r->pr.hi);
    if (r->pr.keep_before && lo > 0)
        lo--;
    if (r->pr.keep_after && hi < s->n)
        hi++;
    if (st == EDB_OK)
        st = edb_series_append_range(d, s, lo, hi);
    return st;
}

/* ---- one request ----------------------------------------------------------------------- */

static void request_info(const request *r, edb_request_info *ri)
{
    ri->service = r->f->c->svc->name;
    ri->kind = r->pr.kind;
    ri->mnemonic = r->m ? r->m->name : "";
    ri->start = r->pr.kind == EDB_REQ_DATA ? r->pr.wire_lo : 0;
    ri->end = r->pr.kind == EDB_REQ_DATA ? r->pr.wire_hi : 0;
    ri->url = r->url;
    ri->uri_name = r->uri_name;
}

/* Open a tap on every hook set but `skip` (the one answering, if any) for this try. */
static void taps_begin(request *r, int local, size_t skip)
{
    const edb_client_options *o = &r->f->c->o;
    if (!o->n_hooks || r->probe)
        return;
    edb_request_info ri;
    request_info(r, &ri);
    for (size_t h = 0; h < o->n_hooks; h++)
        r->taps[h] = (h != skip && o->hooks[h].tap_begin)
                         ? o->hooks[h].tap_begin(o->hooks[h].ctx, &ri, local) : NULL;
}

static int any_tap(const request *r)
{
    for (size_t h = 0; r->taps && h < r->f->c->o.n_hooks; h++)
        if (r->taps[h])
            return 1;
    return 0;
}

/* Close the taps of this try; the first failure to keep a body becomes the request's. */
static edb_status taps_end(request *r, int complete, edb_err *err)
{
    const edb_client_options *o = &r->f->c->o;
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

static int taps_write(request *r, const char *data, size_t len)
{
    const edb_client_options *o = &r->f->c->o;
    for (size_t h = 0; r->taps && h < o->n_hooks; h++) {
        if (r->taps[h] && o->hooks[h].tap_write(r->taps[h], data, len) != 0) {
            r->tap_err = 1;
            return -1;
        }
    }
    return 0;
}

/* Every body byte, from the network or a local lookup, goes to the taps and then to the
 * decoder (data) or the body buffer (metadata, the probe). */
static int feed_body(request *r, const char *data, size_t len)
{
    r->bytes += len;
    if (taps_write(r, data, len) != 0)
        return -1;
    if (r->dec) {
        if (edb_decoder_feed(r->dec, data, len) != EDB_OK) {
            r->decode_err = 1;
            return -1;
        }
        return 0;
    }
    size_t max = r->probe ? PROBE_BODY_MAX : EDB__META_REPLY_MAX;
    if (r->body.len + len > max) {
        if (r->probe)
            return 0; /* only the status matters */
        r->too_big = 1;
        return -1;
    }
    return edb__buf_append(&r->body, data, len) == 0 ? 0 : -1;
}

/* The sink a hook answers through. */
static int sink_feed(void *ctx, const char *data, size_t len)
{
    return feed_body(ctx, data, len);
}

/* Bytes the service would have sent, for taps that keep replies (a bundle). */
static int taps_formatted(request *r, int (*fmt)(void *, edb__buf *), void *arg)
{
    if (!any_tap(r))
        return 0;
    edb__buf b = {0};
    int rc = fmt(arg, &b);
    for (size_t off = 0; rc == 0 && off < b.len;) {
        size_t n = b.len - off < 65536 ? b.len - off : 65536;
        rc = taps_write(r, b.p + off, n);
        off += n;
    }
    edb__buf_free(&b);
    return rc;
}

typedef struct fmt_series_arg {
    const request *r;
    const edb_series *s;
} fmt_series_arg;

static int fmt_series(void *arg, edb__buf *b)
{
    const fmt_series_arg *a = arg;
    return a->r->f->c->svc->reply_format(a->s, a->r->pr.wire_lo, a->r->pr.wire_hi, b);
}

static int fmt_meta(void *arg, edb__buf *b)
{
    return edb__tlm_meta_format(arg, b);
}

static void meta_from_entry(mnem *m, const edb_meta_entry *e);

static int sink_series(void *ctx, const edb_series *s)
{
    request *r = ctx;
    int rc = -1;
    if (r->pr.kind == EDB_REQ_DATA) {
        fmt_series_arg a = {r, s};
        rc = taps_formatted(r, fmt_series, &a);
        if (rc == 0 && cut_to_range(r, s) != EDB_OK)
            rc = -1;
        r->local_series = rc == 0;
    }
    return rc;
}

/* The same, with s taken: its samples become the request's, cut in place. */
static int sink_series_take(void *ctx, edb_series *s)
{
    request *r = ctx;
    int rc = -1;
    if (r->pr.kind == EDB_REQ_DATA) {
        fmt_series_arg a = {r, s};
        rc = taps_formatted(r, fmt_series, &a);
        if (rc == 0) {
            size_t lo = edb_series_lower_bound(s, r->pr.lo);
            size_t hi = edb_series_upper_bound(s, r->pr.hi);
            if (r->pr.keep_before && lo > 0)
                lo--;
            if (r->pr.keep_after && hi < s->n)
                hi++;
            edb_series_keep_range(s, lo, hi);
            edb_series_clear(r->series);
            edb_series_move_samples(r->series, s);
            r->series->all_points = s->all_points;
        }
        r->local_series = rc == 0;
    }
    edb_series_free(s);
    return rc;
}

/* A local body's length (a saved reply's file size): its decoder reserves room once. */
static void sink_size_hint(void *ctx, unsigned long long bytes)
{
    request *r = ctx;
    if (r->dec && r->bytes == 0)
        edb_decoder_size_hint(r->dec, bytes);
}

static int sink_meta(void *ctx, const edb_meta_entry *e)
{
    request *r = ctx;
    if (r->pr.kind != EDB_REQ_META)
        return -1;
    if (e && taps_formatted(r, fmt_meta, (void *)e) != 0)
        return -1;
    if (e)
        meta_from_entry(r->m, e);
    r->m->meta = 2;
    return 0;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *userp)
{
    request *r = userp;
    edb_client *c = r->f->c;
    size_t len = size * nmemb;
    if (r->http == 0)
        curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &r->http);
    c->stats.bytes += len;
    if (r->http != 200) {
        r->bytes += len;
        /* Keep the start of an error body: its text often says what is wrong. */
        if (r->errbody.len < ERR_BODY_MAX) {
            size_t take = ERR_BODY_MAX - r->errbody.len;
            if (edb__buf_append(&r->errbody, data, len < take ? len : take) != 0)
                return 0;
        }
        return len;
    }
    /* The reply's announced length says about how many samples are coming: the decoder
     * reserves room once (capped: a hostile length allocates nothing large).  A
     * compressed reply announces its compressed length: an estimate that falls short
     * only means the series grows geometrically from there. */
    if (r->bytes == 0 && r->dec) {
        curl_off_t cl = -1;
        if (curl_easy_getinfo(r->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl) == CURLE_OK &&
            cl > 0)
            edb_decoder_size_hint(r->dec, (unsigned long long)cl);
    }
    /* A compressed reply that inflates far beyond its size is refused (a "zip bomb"). */
    if (r->bytes + len > INFLATE_FLOOR) {
        curl_off_t raw = 0;
        curl_easy_getinfo(r->easy, CURLINFO_SIZE_DOWNLOAD_T, &raw);
        if (raw > 0 && (r->bytes + len) / (unsigned long long)raw > c->o.inflate_ratio_max) {
            r->too_big = 2;
            return 0;
        }
    }
    return feed_body(r, data, len) == 0 ? len : 0; /* 0 aborts: the body is unusable */
}

static edb_status request_setup(request *r)
{
    edb_client *c = r->f->c;
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
    if (r->send_token && c->token && c->svc->sends_token) {
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
    r->decode_err = r->tap_err = r->too_big = 0;
    r->bytes = 0;
    r->errbody.len = 0;
    r->body.len = 0;
    edb_err_clear(&r->taperr);
    if (r->dec)
        edb_decoder_reset(r->dec);
    return EDB_OK;
}

static edb_status request_start(request *r)
{
    edb_client *c = r->f->c;
    edb_status st = request_setup(r);
    if (st != EDB_OK)
        return st;
    if (curl_multi_add_handle(c->multi, r->easy) != CURLM_OK)
        return edb__fail(&c->err, EDB_ERR_INTERNAL, "cannot start a transfer");
    r->state = RQ_RUNNING;
    r->attempt++;
    r->started = mono_us();
    r->f->running++;
    taps_begin(r, 0, (size_t)-1);
    if (r->probe) {
        c->stats.probes++;
    } else {
        c->stats.requests++;
        if (r->attempt > 1)
            c->stats.retries++;
    }
    return EDB_OK;
}

typedef enum { OUT_OK, OUT_RETRY_FULL, OUT_RETRY_SHORT, OUT_FINAL, OUT_REDIRECT } outcome;

/* The end of a reply that came whole: decode what is pending, or read the metadata. */
static outcome body_complete(request *r, edb_status *st, char *msg, size_t msglen)
{
    if (r->probe)
        return OUT_OK;
    if (r->bytes == 0) {
        /* The real service always sends something (a header line, an object): an empty
         * 200 is a reply cut short, never "no data", and is never kept. */
        *st = EDB_ERR_TRUNCATED;
        snprintf(msg, msglen, "the reply was empty (HTTP 200 without a body)");
        return OUT_RETRY_FULL;
    }
    if (r->pr.kind == EDB_REQ_DATA) {
        edb_status ds = edb_decoder_finish(r->dec);
        if (ds == EDB_OK)
            return OUT_OK;
        *st = ds;
        snprintf(msg, msglen, "%s", edb_decoder_errmsg(r->dec));
        return ds == EDB_ERR_TRUNCATED ? OUT_RETRY_FULL : OUT_FINAL;
    }
    edb_meta_entry e;
    void *keep = NULL;
    edb_err perr = EDB_ERR_INIT;
    int got = r->f->c->svc->meta_parse(r->body.p ? r->body.p : "", r->body.len, r->m->name, &e,
                                       &keep, &perr);
    if (got < 0) {
        *st = EDB_ERR_DATA;
        snprintf(msg, msglen, "%.400s", perr.msg);
        return OUT_FINAL;
    }
    if (got > 0)
        meta_from_entry(r->m, &e);
    edb__meta_keep_free(keep);
    r->m->meta = 2;
    return OUT_OK;
}

/* What a transfer that ended without a whole reply means (timeouts, resets, TLS, DNS):
 * the transport half of classify(), shared by the engine and edb__client_http. */
static outcome classify_transport(CURLcode rc, const char *errbuf, unsigned long long bytes,
                                  edb_status *st, char *msg, size_t msglen)
{
    const char *detail = errbuf[0] ? errbuf : curl_easy_strerror(rc);
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
        snprintf(msg, msglen, "the reply was cut short after %llu bytes: %s", bytes,
                 detail);
        return OUT_RETRY_FULL;
    case CURLE_COULDNT_RESOLVE_HOST:
        *st = EDB_ERR_NETWORK;
        snprintf(msg, msglen, "cannot resolve the host: %s (check --base-url or "
                 "ENG_BASE_URL)", detail);
        return OUT_RETRY_SHORT;
    case CURLE_COULDNT_CONNECT:
        *st = EDB_ERR_NETWORK;
        snprintf(msg, msglen, "cannot connect: %s (is the service up? check --base-url or "
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

/* Decide what a finished transfer means, leaving the reason in msg. */
static outcome classify(request *r, CURLcode rc, edb_status *st, char *msg, size_t msglen)
{
    edb_client *c = r->f->c;
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
        snprintf(msg, msglen, "the reply does not decode: %s", edb_decoder_errmsg(r->dec));
        return OUT_FINAL;
    }
    if (rc == CURLE_WRITE_ERROR && r->too_big) {
        *st = EDB_ERR_DATA;
        if (r->too_big == 2)
            snprintf(msg, msglen, "the compressed reply inflates more than %u times past %llu "
                     "MiB: refused", c->o.inflate_ratio_max, INFLATE_FLOOR >> 20);
        else
            snprintf(msg, msglen, "the metadata reply is larger than %zu MiB: refused",
                     EDB__META_REPLY_MAX >> 20);
        return OUT_FINAL;
    }
    if (rc != CURLE_OK)
        return classify_transport(rc, r->errbuf, r->bytes, st, msg, msglen);
    char body[ERR_BODY_MAX + 8] = "";
    if (r->errbody.len)
        edb__excerpt(r->errbody.p, r->errbody.len, 160, body, sizeof body);
    if (http == 200)
        return body_complete(r, st, msg, msglen);
    if (http >= 300 && http < 400 && http != 304)
        return OUT_REDIRECT;
    if (r->probe && http != 408 && http != 429 && !(http >= 500 && http <= 519)) {
        *st = EDB_ERR_NETWORK;
        edb__buf pu = {0};
        c->svc->probe_url(&c->conf, &pu, NULL);
        snprintf(msg, msglen, "%s does not answer as the EDB's %s service (GET %s gave %ld): "
                 "check --base-url / ENG_BASE_URL%s", c->base_url, c->svc->label,
                 pu.p ? pu.p + edb__base_len(c->base_url) + 1 : "", http,
                 strcmp(c->svc->name, "mast") == 0 ? "" : " and --api");
        edb__buf_free(&pu);
        return OUT_FINAL;
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
                 c->token ? "wrong or expired" : "missing");
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

/* How long to wait before try attempt + 1: the backoff, or the service's Retry-After, but
 * only up to the longest wait edbx makes (the backoff cap, 120 s at least).  -1 when the
 * service asks for more, with why (msg extended with what to do): said now rather than
 * slept for days. */
static int retry_wait(edb_client *c, CURL *easy, int attempt, const char *msg, int64_t *wait,
                      char *why, size_t whylen)
{
    *wait = backoff_us(c, attempt);
    curl_off_t ra = 0;
    if (curl_easy_getinfo(easy, CURLINFO_RETRY_AFTER, &ra) == CURLE_OK && ra > 0) {
        int64_t cap_s = c->o.backoff_cap_us > RETRY_AFTER_MAX_US ? c->o.backoff_cap_us
                                                                 : RETRY_AFTER_MAX_US;
        cap_s /= 1000000;
        if ((int64_t)ra > cap_s) {
            snprintf(why, whylen, "%.300s; the service asks to wait %lld s before trying "
                     "again, longer than edbx waits (%lld s): try again later", msg,
                     (long long)ra, (long long)cap_s);
            return -1;
        }
        *wait = (int64_t)ra * 1000000;
    }
    return 0;
}

/* One redirect hop from `from` to `loc` (the Location; NULL when there is none), the
 * hops-th so far: the next URL (malloc'ed) and whether the token may go on with it.  It
 * goes on only to the very origin it was sent to, never in clear to a remote host; a
 * downgrade from https to http towards a remote host is refused outright. */
static edb_status redirect_hop(const char *from_url, const char *loc, int hops, long http,
                               int *send_token, char **next, char *msg, size_t msglen)
{
    if (!loc || hops >= MAX_REDIRECTS) {
        if (loc)
            snprintf(msg, msglen, "too many redirects (more than %d)", MAX_REDIRECTS);
        else
            snprintf(msg, msglen, "HTTP %ld redirect without a usable Location", http);
        return EDB_ERR_SERVER;
    }
    edb__url_parts from, to;
    edb_err e = EDB_ERR_INIT;
    if (edb__url_parse(from_url, &from, &e) != EDB_OK) {
        snprintf(msg, msglen, "%.400s", e.msg);
        return EDB_ERR_SERVER;
    }
    if (edb__url_parse(loc, &to, &e) != EDB_OK) {
        edb__url_parts_free(&from);
        snprintf(msg, msglen, "redirected to an unusable URL: %.400s", e.msg);
        return EDB_ERR_SERVER;
    }
    if (strcmp(from.scheme, "https") == 0 && strcmp(to.scheme, "http") == 0 &&
        !edb__host_is_loopback(to.host)) {
        snprintf(msg, msglen, "refusing a redirect from https to plain http (%s)", to.host);
        edb__url_parts_free(&from);
        edb__url_parts_free(&to);
        return EDB_ERR_INSECURE;
    }
    *send_token = *send_token && edb__same_origin(&from, &to) && edb__token_allowed(&to);
    edb__url_parts_free(&from);
    edb__url_parts_free(&to);
    if (!(*next = edb__strdup(loc)))
        return EDB_ERR_NOMEM;
    return EDB_OK;
}

/* Follow one redirect: compute the next hop and whether it may carry the token. */
static edb_status follow_redirect(request *r, char *msg, size_t msglen)
{
    char *loc = NULL, *next = NULL;
    curl_easy_getinfo(r->easy, CURLINFO_REDIRECT_URL, &loc);
    edb_status st = redirect_hop(r->cur_url, loc, r->redirects, r->http, &r->send_token, &next,
                                 msg, msglen);
    if (st != EDB_OK)
        return st;
    if (r->cur_url != r->url)
        free(r->cur_url);
    r->cur_url = next;
    r->redirects++;
    return EDB_OK;
}

/* Free what a request needs only while it runs. */
static void request_release(request *r)
{
    if (r->easy) {
        if (r->state == RQ_RUNNING) {
            curl_multi_remove_handle(r->f->c->multi, r->easy);
            r->f->running--;
        }
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
    edb_decoder_free(r->dec);
    r->dec = NULL;
    edb__buf_free(&r->errbody);
    edb__buf_free(&r->body);
}

static void request_free(request *r)
{
    if (!r)
        return;
    request_release(r);
    if (r->cur_url != r->url)
        free(r->cur_url);
    free(r->url);
    edb_series_free(r->series);
    free(r);
}

/* A request failed for good: remember why, for its mnemonic (the first failure wins), or
 * for the whole fetch (the probe).  "SA_ZATTEST9: no such mnemonic (HTTP 404 from
 * https://...)"; a request a local source failed names no URL, since none was asked. */
static void request_failed(request *r, edb_status st, const char *msg, int local)
{
    edb_client *c = r->f->c;
    r->state = RQ_FAILED;
    char http[32] = "";
    if (r->http > 0 && !local)
        snprintf(http, sizeof http, "HTTP %ld ", r->http);
    char tries[48] = "";
    if (r->attempt > 1)
        snprintf(tries, sizeof tries, ", after %d tries", r->attempt);
    edb__buf b = {0};
    if (r->probe) {
        edb__buf_printf(&b, "%s%s", msg, tries);
        redact(c, b.p);
        r->f->fatal = st;
        edb__fail(&c->err, st, "%s", b.p ? b.p : msg);
        edb__buf_free(&b);
        return;
    }
    if (r->m->st != EDB_OK)
        return;
    if (local)
        edb__buf_printf(&b, "%s: %s", r->m->name, msg);
    else
        edb__buf_printf(&b, "%s: %s (%sfrom %s%s)", r->m->name, msg, http, r->cur_url, tries);
    redact(c, b.p);
    r->m->st = st;
    r->m->msg = b.p; /* NULL if out of memory: the status still tells */
}

/* What the metadata says of a mnemonic: the type its data replies are read with. */
static void meta_from_entry(mnem *m, const edb_meta_entry *e)
{
    if (e->sqltype) {
        /* "VARCHAR(50)" -> "varchar": the form path A prints in sqldataType. */
        size_t o = 0;
        for (const char *p = e->sqltype; *p && *p != '(' && o + 1 < sizeof m->sqltype; p++)
            if (*p != ' ' && *p != '\t')
                m->sqltype[o++] = (*p >= 'A' && *p <= 'Z') ? (char)(*p - 'A' + 'a') : *p;
        m->sqltype[o] = '\0';
        m->vtype = edb_vtype_from_sqltype(m->sqltype, o);
        if (m->vtype == EDB_VT_NONE)
            m->sqltype[0] = '\0';
    }
    if (e->all_points >= 0)
        m->all_points = e->all_points;
}

/* A finished data or metadata request hands over what it got. */
/* m's series as the result will hold it: a type the data did not carry comes from its
 * metadata, and so does whether it is change-only (collect does the same). */
static void series_finish(const mnem *m, edb_series *s)
{
    if (s->vtype == EDB_VT_NONE && m->sqltype[0])
        memcpy(s->sqltype, m->sqltype, sizeof s->sqltype);
    if (m->all_points >= 0)
        s->all_points = m->all_points;
}

/* Every chunk of m is in: its series is final, and the caller may use it now (resampling
 * it and freeing its samples while other mnemonics are still in flight). */
static edb_status mnemonic_complete(fetch *f, mnem *m)
{
    series_finish(m, m->out);
    edb_err err = EDB_ERR_INIT;
    edb_status st = f->q->on_mnemonic(f->q->on_mnemonic_ctx, (size_t)(m - f->ms), m->out, &err);
    if (st != EDB_OK) {
        f->fatal = edb__fail(&f->c->err, st, "%s", err.msg[0] ? err.msg : edb_strerror(st));
        return f->fatal;
    }
    return EDB_OK;
}

static edb_status request_settle(fetch *f, request *r)
{
    if (r->probe) {
        f->probe = 2;
        f->c->alive = 1;
        return EDB_OK;
    }
    if (r->pr.kind == EDB_REQ_META) {
        r->m->meta = 2;
        return EDB_OK;
    }
    edb_series *s = r->series;
    r->series = NULL;
    if (f->sharded) {
        /* Its reply is in the hooks' hands (the cache); its samples are another run's. */
        f->rows += s->n;
        edb_series_free(s);
        return EDB_OK;
    }
    if (s->vtype == EDB_VT_NONE && r->m->vtype != EDB_VT_NONE) {
        edb_series_set_type(s, r->m->vtype);
        memcpy(s->sqltype, r->m->sqltype, sizeof s->sqltype);
    }
    mnem *m = r->m;
    edb_status st = chunk_done(f, m, r->pr.chunk, s);
    if (st == EDB_ERR_DATA)
        request_failed(r, st, "the chunks do not fit together (string and numeric values "
                       "mixed)", 1);
    else if (st != EDB_OK)
        return edb__fail(&f->c->err, st, "out of memory");
    else if (m->st == EDB_OK && m->out && m->next_chunk == edb_plan_chunks(f->plan) &&
             f->q->on_mnemonic)
        return mnemonic_complete(f, m);
    return EDB_OK;
}

/* Handle one finished transfer: done, failed, or scheduled again. */
static void on_done(fetch *f, request *r, CURLcode rc)
{
    edb_client *c = f->c;
    char msg[EDB_ERRMSG_SIZE / 2];
    edb_status st = EDB_OK;
    msg[0] = '\0';
    int64_t elapsed = mono_us() - r->started;
    curl_multi_remove_handle(c->multi, r->easy);
    f->running--;
    r->state = RQ_WAITING;
    outcome oc = classify(r, rc, &st, msg, sizeof msg);
    redact(c, msg);
    char got[32] = "no reply";
    if (r->http > 0)
        snprintf(got, sizeof got, "HTTP %ld", r->http);
    logf_(c, "GET %s -> %s (%llu bytes, %.3f s)%s%s", r->cur_url, got, r->bytes,
          elapsed / 1e6, oc == OUT_OK ? "" : ": ", oc == OUT_OK ? "" : (msg[0] ? msg : "redirect"));
    if (taps_end(r, oc == OUT_OK, &r->taperr) != EDB_OK && oc == OUT_OK) {
        char m2[EDB_ERRMSG_SIZE / 2];
        snprintf(m2, sizeof m2, "the reply could not be recorded: %.400s", r->taperr.msg);
        request_failed(r, r->taperr.status != EDB_OK ? r->taperr.status : EDB_ERR_IO, m2, 0);
        return;
    }
    if (r->tap_err && r->taperr.msg[0]) /* the tap's own reason: file and errno */
        snprintf(msg, sizeof msg, "the reply could not be recorded: %.400s", r->taperr.msg);
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
        int64_t wait;
        char m2[EDB_ERRMSG_SIZE / 2];
        if (retry_wait(c, r->easy, r->attempt, msg, &wait, m2, sizeof m2) != 0) {
            request_failed(r, st, m2, 0);
            return;
        }
        logf_(c, "%s: retrying in %.1f s (try %d of %d)", r->uri_name, wait / 1e6,
              r->attempt + 1, budget + 1);
        r->not_before = mono_us() + wait;
        /* A retry starts from the original URL and its own token rule. */
        if (r->cur_url != r->url)
            free(r->cur_url);
        r->cur_url = r->url;
        r->redirects = 0;
        r->send_token = 1;
        return;
    }
    request_failed(r, st, msg, 0);
}

/* Allocate what a request needs: its URL, name, decoder and tap slots. */
static edb_status request_new(fetch *f, const edb_plan_request *pr, int probe, request **out)
{
    edb_client *c = f->c;
    *out = NULL;
    request *r = calloc(1, sizeof *r);
    if (!r)
        return edb__fail(&c->err, EDB_ERR_NOMEM, "out of memory");
    r->f = f;
    r->probe = probe;
    r->send_token = 1;
    r->state = RQ_WAITING;
    edb__buf url = {0};
    edb_status st;
    if (probe) {
        st = c->svc->probe_url(&c->conf, &url, &c->err);
        snprintf(r->uri_name, sizeof r->uri_name, "aliveness check");
    } else {
        r->pr = *pr;
        r->m = &f->ms[pr->mnemonic];
        st = edb__plan_url(f->plan, pr, &url, &c->err);
        edb__reply_name(c->svc, pr->kind, pr->name, pr->wire_lo, pr->wire_hi, r->uri_name,
                        sizeof r->uri_name);
    }
    r->url = url.p;
    r->cur_url = r->url;
    if (st == EDB_OK && !r->url)
        st = edb__fail(&c->err, EDB_ERR_NOMEM, "out of memory");
    if (st == EDB_OK && !probe && pr->kind == EDB_REQ_DATA) {
        edb_decode_options o = EDB_DECODE_OPTIONS_INIT;
        o.start = pr->lo;
        o.end = pr->hi;
        o.keep_before = pr->keep_before;
        o.keep_after = pr->keep_after;
        o.vtype = r->m->vtype;
        o.sqltype = r->m->sqltype[0] ? r->m->sqltype : NULL;
        if (edb_series_new(&r->series, r->m->name) != EDB_OK ||
            edb_decoder_new(&r->dec, c->svc->decoder, r->series, &o) != EDB_OK)
            st = edb__fail(&c->err, EDB_ERR_NOMEM, "out of memory");
    }
    if (st == EDB_OK && c->o.n_hooks && !(r->taps = calloc(c->o.n_hooks, sizeof *r->taps)))
        st = edb__fail(&c->err, EDB_ERR_NOMEM, "out of memory");
    if (st != EDB_OK) {
        request_free(r);
        return st;
    }
    *out = r;
    return EDB_OK;
}

/* Answer a request from the hooks if one can.  Returns 1 if it is settled (done or
 * failed), 0 if the network must answer. */
static int try_lookup(fetch *f, request *r)
{
    edb_client *c = f->c;
    const edb_client_options *o = &c->o;
    edb_request_info ri;
    request_info(r, &ri);
    edb_reply_sink sink = {r, sink_feed, sink_series, sink_meta, sink_series_take,
                           sink_size_hint};
    for (size_t h = 0; h < o->n_hooks; h++) {
        if (!o->hooks[h].lookup)
            continue;
        edb_err err = EDB_ERR_INIT;
        r->decode_err = r->tap_err = r->too_big = r->local_series = 0;
        r->body.len = 0;
        r->bytes = 0;
        edb_err_clear(&r->taperr);
        if (r->dec)
            edb_decoder_reset(r->dec); /* clears the series too */
        taps_begin(r, 1, h);
        int got = o->hooks[h].lookup(o->hooks[h].ctx, &ri, &sink, &err);
        if (got == 0) {
            /* Not this hook's (or it gave up midway): what it fed is forgotten above. */
            taps_end(r, 0, &err);
            continue;
        }
        if (got < 0) {
            taps_end(r, 0, &err);
            request_failed(r, err.status != EDB_OK ? err.status : EDB_ERR_IO,
                           err.msg[0] ? err.msg : "the local source failed", 1);
            return 1;
        }
        c->stats.local++;
        edb_status st = EDB_OK;
        char why[EDB_ERRMSG_SIZE / 2] = "";
        if (r->tap_err) {
            st = EDB_ERR_IO;
            snprintf(why, sizeof why, "it could not be recorded (cache or bundle)");
        } else if (r->decode_err || (r->dec && !r->local_series &&
                                     (st = edb_decoder_finish(r->dec)) != EDB_OK)) {
            st = r->decode_err ? EDB_ERR_DATA : st;
            snprintf(why, sizeof why, "the stored reply %s does not decode: %.300s",
                     r->uri_name, edb_decoder_errmsg(r->dec));
        } else if (r->too_big) {
            st = EDB_ERR_DATA;
            snprintf(why, sizeof why, "the stored metadata reply %s is too large", r->uri_name);
        } else if (r->pr.kind == EDB_REQ_META && r->m->meta != 2) {
            /* answered with bytes: read them as the service's metadata reply */
            char m2[EDB_ERRMSG_SIZE / 2];
            if (body_complete(r, &st, m2, sizeof m2) != OUT_OK)
                snprintf(why, sizeof why, "the stored reply %s: %.300s", r->uri_name, m2);
        }
        r->http = 200;
        edb_status ts = taps_end(r, st == EDB_OK, &r->taperr);
        if ((st == EDB_OK && ts != EDB_OK) || (r->tap_err && r->taperr.msg[0])) {
            st = st == EDB_OK ? ts : st;
            snprintf(why, sizeof why, "the reply could not be recorded: %.400s", r->taperr.msg);
        }
        logf_(c, "%s: answered locally%s%s", r->uri_name, why[0] ? ": " : "", why);
        if (st != EDB_OK)
            request_failed(r, st, why, 1);
        else
            r->state = RQ_DONE;
        return 1;
    }
    if (o->offline) {
        request_failed(r, EDB_ERR_NOT_FOUND, "not in the local source (no network is used)", 1);
        return 1;
    }
    return 0;
}

/* ---- cache entries decoded ahead ------------------------------------------------------ *
 *
 * When the cache answers first and a fetch has several data requests, worker threads read
 * and decode the cache's entries ahead of the client, in plan order, each into the very
 * request the client will launch for it (made here, before its turn: its decoder has its
 * mnemonic's type, known once its metadata is settled).  launch() claims it in turn: a
 * request decoded whole is answered as a cache hit is; one being decoded is waited for, never
 * decoded twice; one not begun, or whose entry was missing, damaged or did not decode, goes
 * through the hooks exactly as without the read-ahead (the cache reports and drops a damaged
 * entry then, and the decoder's error is the same).  Worker reads have no side effect
 * (edb__cache_read_quiet).  At most `window` requests are being decoded or wait decoded,
 * and at most AHEAD_LOOK are made ahead of the client. */

#define AHEAD_LOOK 16

static int mnem_settled(const mnem *m);
#define AHEAD_THREADS_MAX 8

/* -1: one thread per core (none on one core); 0: never read ahead; N: N threads.  Tests
 * compare runs with and without (cache_internal.h). */
int edb__cache_ahead_threads = -1;

/* state: -1 not an item (metadata, a settled mnemonic), 0 made, not begun, 1 being decoded,
 * 2 decoded (ok says whether whole), 3 claimed by launch() (the request is the client's). */
typedef struct ahead_item {
    request *r;
    int state, ok;
} ahead_item;

typedef struct ahead {
    fetch *f;
    edb_cache *cache;
    ahead_item *items; /* one per plan index */
    size_t pub;        /* plan indices below this are made (or not items) */
    size_t next;       /* the next plan index a worker looks at */
    size_t outstanding, window;
    int stop;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t tid[AHEAD_THREADS_MAX];
    int threads;
} ahead;

/* Read on the workers' threads: the caller's cancel flag (set by a signal handler or
 * another thread) is read atomically, as the stop flag is. */
static int ahead_stopping(ahead *a)
{
    const volatile int *cancel = a->f->c->o.cancel;
    return __atomic_load_n(&a->stop, __ATOMIC_RELAXED) ||
           (cancel && __atomic_load_n(cancel, __ATOMIC_RELAXED));
}

static int ahead_feed(void *ctx, const char *data, size_t len)
{
    request *r = ctx;
    if (ahead_stopping(r->f->ahead))
        return -1;
    return feed_body(r, data, len);
}

static void *ahead_worker(void *arg)
{
    ahead *a = arg;
    fetch *f = a->f;
    pthread_mutex_lock(&a->mu);
    for (;;) {
        while (a->next < a->pub && a->items[a->next].state != 0)
            a->next++;
        if (a->stop || a->next >= f->data_end)
            break;
        if (a->next >= a->pub || a->outstanding >= a->window) {
            pthread_cond_wait(&a->cv, &a->mu);
            continue;
        }
        ahead_item *it = &a->items[a->next++];
        it->state = 1;
        a->outstanding++;
        request *r = it->r;
        pthread_mutex_unlock(&a->mu);
        edb_request_info ri;
        request_info(r, &ri);
        edb_reply_sink sink = {r, ahead_feed, NULL, NULL, NULL, sink_size_hint};
        int ok = edb__cache_read_quiet(a->cache, &ri, &sink) == 1 && !r->decode_err &&
                 !r->tap_err && edb_decoder_finish(r->dec) == EDB_OK;
        pthread_mutex_lock(&a->mu);
        it->ok = ok;
        it->state = 2;
        pthread_cond_broadcast(&a->cv);
    }
    pthread_mutex_unlock(&a->mu);
    return NULL;
}

/* Make the requests of the next plan entries whose mnemonic's type is known, up to
 * AHEAD_LOOK past the client's cursor, for the workers. */
static void ahead_publish(fetch *f)
{
    ahead *a = f->ahead;
    size_t per = edb_plan_per_mnemonic(f->plan);
    int has_meta = per > edb_plan_chunks(f->plan), made = 0;
    pthread_mutex_lock(&a->mu);
    while (a->pub < f->data_end && a->pub < f->data_cursor + AHEAD_LOOK) {
        size_t i = a->pub;
        mnem *m = &f->ms[i / per];
        if ((has_meta && i % per == 0) || mnem_settled(m)) {
            a->items[i].state = -1;
            a->pub++;
            continue;
        }
        if (has_meta && m->meta != 2)
            break; /* its type is not known yet */
        edb_plan_request pr;
        edb_plan_get(f->plan, i, &pr);
        if (request_new(f, &pr, 0, &a->items[i].r) != EDB_OK) {
            edb_err_clear(&f->c->err);
            a->items[i].state = -1; /* launch() makes it, and says what is wrong */
        }
        a->pub++;
        made = 1;
    }
    if (made)
        pthread_cond_broadcast(&a->cv);
    pthread_mutex_unlock(&a->mu);
}

/* launch() is at plan index i: its request, if made ahead (waited for while a worker decodes
 * it); *ready when it was decoded whole. */
static request *ahead_claim(fetch *f, size_t i, int *ready)
{
    ahead *a = f->ahead;
    *ready = 0;
    if (i >= f->data_end)
        return NULL;
    request *r = NULL;
    pthread_mutex_lock(&a->mu);
    ahead_item *it = &a->items[i];
    if (i < a->pub && it->state >= 0 && it->state != 3) {
        while (it->state == 1)
            pthread_cond_wait(&a->cv, &a->mu);
        if (it->state == 2) {
            a->outstanding--;
            *ready = it->ok;
            pthread_cond_broadcast(&a->cv);
        }
        it->state = 3;
        r = it->r;
        it->r = NULL;
    }
    pthread_mutex_unlock(&a->mu);
    return r;
}

/* A request decoded whole ahead: answered as try_lookup answers a cache hit. */
static void ahead_answered(fetch *f, request *r)
{
    edb_client *c = f->c;
    c->stats.local++;
    edb__cache_count_hit(f->ahead->cache);
    r->http = 200;
    logf_(c, "%s: answered locally", r->uri_name);
    r->state = RQ_DONE;
}

/* Read ahead when the cache is the first hook to answer and no other hook keeps replies
 * (its taps would need the bytes in the client's order), not for a shard, and only for
 * several data requests. */
static void ahead_start(fetch *f)
{
    const edb_client_options *o = &f->c->o;
    edb_cache *cache = NULL;
    size_t ch = 0;
    for (size_t h = 0; h < o->n_hooks && !cache; h++)
        if (o->hooks[h].lookup) {
            cache = edb__cache_of_hooks(&o->hooks[h]);
            ch = h;
            break;
        }
    for (size_t h = 0; cache && h < o->n_hooks; h++)
        if (h != ch && o->hooks[h].tap_begin)
            cache = NULL;
    if (!cache || f->sharded)
        return;
    size_t per = edb_plan_per_mnemonic(f->plan);
    size_t data = f->data_end - f->data_cursor;
    if (per > edb_plan_chunks(f->plan))
        data -= (f->data_end - f->data_cursor + per - 1) / per; /* at most; a hint */
    long threads = edb__cache_ahead_threads;
    if (threads < 0) {
        threads = sysconf(_SC_NPROCESSORS_ONLN);
        if (threads < 2)
            threads = 0;
    }
    if (threads > AHEAD_THREADS_MAX)
        threads = AHEAD_THREADS_MAX;
    if (threads < 1 || data < 2)
        return;
    ahead *a = calloc(1, sizeof *a);
    if (!a || !(a->items = calloc(f->data_end, sizeof *a->items))) {
        if (a)
            free(a->items);
        free(a);
        return;
    }
    if (pthread_mutex_init(&a->mu, NULL) != 0) {
        free(a->items);
        free(a);
        return;
    }
    if (pthread_cond_init(&a->cv, NULL) != 0) {
        pthread_mutex_destroy(&a->mu);
        free(a->items);
        free(a);
        return;
    }
    a->f = f;
    a->cache = cache;
    a->pub = a->next = f->data_cursor;
    /* The client mostly waits for the workers (it stitches and moves on): one decoder per
     * core, and no more decoded requests wait than there are decoders. */
    a->window = (size_t)threads;
    f->ahead = a;
    for (long k = 0; k < threads; k++)
        if (pthread_create(&a->tid[a->threads], NULL, ahead_worker, a) == 0)
            a->threads++;
}

/* Stop the workers (mid-entry too: their feed stops), wait for them, and free what the
 * client never claimed. */
static void ahead_stop(fetch *f)
{
    ahead *a = f->ahead;
    if (!a)
        return;
    pthread_mutex_lock(&a->mu);
    __atomic_store_n(&a->stop, 1, __ATOMIC_RELAXED);
    pthread_cond_broadcast(&a->cv);
    pthread_mutex_unlock(&a->mu);
    for (int k = 0; k < a->threads; k++)
        pthread_join(a->tid[k], NULL);
    for (size_t i = 0; i < f->data_end; i++)
        if (a->items[i].r)
            request_free(a->items[i].r);
    pthread_cond_destroy(&a->cv);
    pthread_mutex_destroy(&a->mu);
    free(a->items);
    free(a);
    f->ahead = NULL;
}

/* ---- the fetch -------------------------------------------------------------------------- */

static edb_status live_add(fetch *f, request *r)
{
    if (f->nlive == f->caplive) {
        size_t nc = f->caplive ? f->caplive * 2 : 16;
        request **l = realloc(f->live, nc * sizeof *l);
        if (!l)
            return edb__fail(&f->c->err, EDB_ERR_NOMEM, "out of memory");
        f->live = l;
        f->caplive = nc;
    }
    f->live[f->nlive++] = r;
    return EDB_OK;
}

/* A request is over: hand over its result and count it. */
static edb_status finish(fetch *f, request *r)
{
    edb_status st = EDB_OK;
    if (r->state == RQ_DONE)
        st = request_settle(f, r);
    else if (!r->probe && r->pr.kind == EDB_REQ_META)
        r->m->meta = 2; /* failed: its mnemonic has failed with it */
    if (!r->probe)
        f->done++;
    request_free(r);
    return st;
}

/* Start r on the network, or park it until the base URL has answered as the service. */
static edb_status go_network(fetch *f, request *r)
{
    edb_client *c = f->c;
    if (!c->alive && c->o.probe && f->probe != 2) {
        if (f->probe == 0) {
            request *p = NULL;
            edb_status st = request_new(f, NULL, 1, &p);
            if (st == EDB_OK && (st = live_add(f, p)) != EDB_OK)
                request_free(p);
            if (st != EDB_OK)
                return st;
            f->probe = 1;
            if ((st = request_start(p)) != EDB_OK)
                return st;
        }
        r->state = RQ_WAITING;
        r->not_before = 0;
        return EDB_OK; /* parked: started once the probe passes */
    }
    return request_start(r);
}

/* Make the request for plan entry pr and answer it locally or start it.  *parked is set
 * when it waits for the probe. */
static edb_status launch(fetch *f, const edb_plan_request *pr, size_t i)
{
    request *r = NULL;
    int ready = 0;
    edb_status st = EDB_OK;
    if (f->ahead && pr->kind == EDB_REQ_DATA)
        r = ahead_claim(f, i, &ready);
    if (!r && (st = request_new(f, pr, 0, &r)) != EDB_OK)
        return st;
    if (pr->kind == EDB_REQ_META)
        r->m->meta = 1;
    if (ready) {
        ahead_answered(f, r);
        return finish(f, r);
    }
    if ((f->c->o.n_hooks || f->c->o.offline) && try_lookup(f, r))
        return finish(f, r);
    if ((st = live_add(f, r)) != EDB_OK) {
        request_free(r);
        return st;
    }
    return go_network(f, r);
}

static int mnem_settled(const mnem *m)
{
    return m->st != EDB_OK;
}

/* Start what can start: waiting requests whose time has come, then the next metadata
 * requests, then the next data requests in plan order.  Local answers are immediate and
 * take no transfer slot. */
static edb_status schedule(fetch *f, int64_t *next_due)
{
    edb_client *c = f->c;
    const size_t par = (size_t)c->o.parallel;
    int64_t now = mono_us();
    for (size_t k = 0; k < f->nlive && f->running < par; k++) {
        request *r = f->live[k];
        if (r->state != RQ_WAITING)
            continue;
        if (!r->probe && f->probe == 1 && !c->alive)
            continue; /* parked behind the probe */
        if (r->not_before > now) {
            if (*next_due < 0 || r->not_before < *next_due)
                *next_due = r->not_before;
            continue;
        }
        edb_status st = r->probe ? request_start(r) : go_network(f, r);
        if (st != EDB_OK)
            return st;
    }
    int blocked = f->probe == 1 && !c->alive;
    size_t per = edb_plan_per_mnemonic(f->plan);
    int has_meta = per > edb_plan_chunks(f->plan);
    /* Metadata first, for every mnemonic: the data requests wait for their mnemonic's. */
    while (has_meta && f->meta_cursor < f->meta_end && f->running < par && !blocked &&
           !f->fatal) {
        mnem *m = &f->ms[f->meta_cursor];
        edb_plan_request pr;
        edb_plan_get(f->plan, edb_plan_first(f->plan, f->meta_cursor), &pr);
        f->meta_cursor++;
        if (mnem_settled(m)) {
            f->done++;
            continue;
        }
        edb_status st = launch(f, &pr, SIZE_MAX);
        if (st != EDB_OK)
            return st;
        blocked = f->probe == 1 && !c->alive;
    }
    while (f->data_cursor < f->data_end && f->running < par && !blocked && !f->fatal) {
        /* Local answers take no slot: an interrupt is heard between them, not after all. */
        if (c->o.cancel && *c->o.cancel)
            break;
        size_t i = f->data_cursor;
        if (has_meta && i % per == 0) {
            f->data_cursor++; /* a metadata entry: counted above */
            continue;
        }
        mnem *m = &f->ms[i / per];
        if (mnem_settled(m)) {
            f->data_cursor++;
            f->done++;
            continue;
        }
        if (has_meta && m->meta != 2)
            break; /* its type is not known yet */
        if (f->ahead)
            ahead_publish(f);
        edb_plan_request pr;
        edb_plan_get(f->plan, i, &pr);
        f->data_cursor++;
        edb_status st = launch(f, &pr, i);
        if (st != EDB_OK)
            return st;
        blocked = f->probe == 1 && !c->alive;
    }
    return EDB_OK;
}

/* Mnemonics that failed: without keep_going the whole fetch stops; with it, their other
 * requests are dropped and the rest goes on. */
static edb_status settle_failures(fetch *f, size_t *failed)
{
    for (size_t m = 0; m < f->nm; m++) {
        mnem *ms = &f->ms[m];
        if (ms->st == EDB_OK || ms->meta == 3)
            continue;
        if (!f->q->keep_going)
            return edb__fail(&f->c->err, ms->st, "%s", ms->msg ? ms->msg : ms->name);
        for (size_t k = 0; k < f->nlive; k++) {
            request *r = f->live[k];
            if (!r->probe && r->m == ms) {
                f->live[k--] = f->live[--f->nlive];
                finish(f, r); /* not done: nothing of it is kept */
            }
        }
        mnem_clear(ms);
        ms->meta = 3; /* settled as failed: counted once */
        (*failed)++;
    }
    return EDB_OK;
}

static void report_progress(fetch *f, int64_t t0)
{
    edb_client *c = f->c;
    if (!c->o.progress)
        return;
    edb_progress p;
    memset(&p, 0, sizeof p);
    p.requests_done = f->done;
    p.requests_total = f->goal;
    p.rows = f->rows;
    for (size_t k = 0; k < f->nlive; k++)
        if (f->live[k]->series)
            p.rows += f->live[k]->series->n;
    p.bytes = c->stats.bytes;
    p.retries = c->stats.retries;
    p.running = f->running;
    p.elapsed_s = (mono_us() - t0) / 1e6;
    c->o.progress(c->o.progress_ctx, &p);
}

static edb_status run(fetch *f)
{
    edb_client *c = f->c;
    int64_t t0 = mono_us(), last_report = 0;
    size_t failed = 0;
    edb_status st = EDB_OK;
    for (;;) {
        if (c->o.cancel && *c->o.cancel)
            return edb__fail(&c->err, EDB_ERR_INTERRUPTED, "interrupted");
        int64_t next_due = -1;
        if ((st = schedule(f, &next_due)) != EDB_OK)
            return st;
        if ((st = settle_failures(f, &failed)) != EDB_OK)
            return st;
        if (f->fatal)
            return f->fatal;
        if (f->done >= f->goal && f->nlive == 0)
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
            freed = 1;
            on_done(f, r, msg->data.result);
            if (r->state == RQ_DONE || r->state == RQ_FAILED) {
                for (size_t k = 0; k < f->nlive; k++)
                    if (f->live[k] == r) {
                        f->live[k] = f->live[--f->nlive];
                        break;
                    }
                if ((st = finish(f, r)) != EDB_OK)
                    return st;
            }
        }
        if (f->fatal)
            return f->fatal;
        int64_t now = mono_us();
        if (now - last_report >= 100000) {
            report_progress(f, t0);
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
        if (f->running > 0 || next_due >= 0)
            curl_multi_poll(c->multi, NULL, 0, wait_ms, NULL);
    }
    report_progress(f, t0);
    if (failed > 0) {
        edb__buf b = {0};
        edb__buf_printf(&b, "%zu of %zu mnemonics failed:", failed, f->nm);
        for (size_t m = 0; m < f->nm; m++)
            if (f->ms[m].st != EDB_OK)
                edb__buf_printf(&b, " %s;", f->ms[m].msg ? f->ms[m].msg : f->ms[m].name);
        st = edb__fail(&c->err, EDB_ERR_PARTIAL, "%s", b.p ? b.p : "some mnemonics failed");
        edb__buf_free(&b);
    }
    return st;
}

/* One series per mnemonic, in the order given; failed ones empty, with their message. */
static edb_status collect(fetch *f, edb_result **out)
{
    edb_client *c = f->c;
    edb_result *res = calloc(1, sizeof *res);
    if (res) {
        res->series = calloc(f->nm ? f->nm : 1, sizeof *res->series);
        res->st = calloc(f->nm ? f->nm : 1, sizeof *res->st);
        res->msg = calloc(f->nm ? f->nm : 1, sizeof *res->msg);
    }
    if (!res || !res->series || !res->st || !res->msg) {
        edb_result_free(res);
        return edb__fail(&c->err, EDB_ERR_NOMEM, "out of memory");
    }
    res->n = f->nm;
    for (size_t m = 0; m < f->nm; m++) {
        mnem *ms = &f->ms[m];
        res->st[m] = ms->st;
        res->msg[m] = ms->msg;
        ms->msg = NULL;
        edb_series *s = ms->st == EDB_OK ? ms->out : NULL;
        ms->out = NULL;
        if (!s && edb_series_new(&s, ms->name) != EDB_OK) {
            edb_result_free(res);
            return edb__fail(&c->err, EDB_ERR_NOMEM, "out of memory");
        }
        series_finish(ms, s);
        res->series[m] = s;
    }
    *out = res;
    return EDB_OK;
}

edb_status edb_client_fetch(edb_client *c, const edb_query *q, edb_result **out)
{
    *out = NULL;
    edb_err_clear(&c->err);
    edb_status st = edb_base_url_check(c->base_url,
                                       c->token != NULL && c->svc->sends_token && !c->o.offline,
                                       &c->err);
    if (st != EDB_OK)
        return st;
    fetch f;
    memset(&f, 0, sizeof f);
    f.c = c;
    f.q = q;
    if ((st = edb_client_plan(c, q, &f.plan)) != EDB_OK)
        return st;
    f.nm = edb_plan_mnemonic_count(f.plan);
    f.data_end = edb_plan_count(f.plan);
    f.meta_end = f.nm;
    f.goal = f.data_end;
    if (q->shard_n > 0) {
        if (q->shard_k >= q->shard_n || q->shard_n > EDB_PLAN_MAX_SHARDS) {
            edb_plan_free(f.plan);
            if (q->shard_n > EDB_PLAN_MAX_SHARDS)
                return edb__fail(&c->err, EDB_ERR_USAGE, "%zu shards: at most %d", q->shard_n,
                                 EDB_PLAN_MAX_SHARDS);
            return edb__fail(&c->err, EDB_ERR_USAGE, "shard %zu of %zu: no such shard (from 0 "
                             "to %zu)", q->shard_k, q->shard_n, q->shard_n - 1);
        }
        /* A shard is a run of consecutive requests [lo, hi): the cursors walk only that,
         * and the mnemonics it touches.  When it begins inside a mnemonic of a service with
         * metadata, that mnemonic's metadata request (before lo) is asked too. */
        size_t lo, hi, per = edb_plan_per_mnemonic(f.plan);
        edb_plan_shard_range(f.plan, q->shard_k, q->shard_n, &lo, &hi);
        int has_meta = per > edb_plan_chunks(f.plan);
        f.sharded = 1;
        f.data_cursor = lo;
        f.data_end = hi;
        f.meta_cursor = lo < hi ? lo / per : 0;
        f.meta_end = lo < hi ? (hi + per - 1) / per : 0;
        f.goal = (hi - lo) + (has_meta && lo < hi && lo % per != 0);
    }
    f.ms = calloc(f.nm ? f.nm : 1, sizeof *f.ms);
    if (!f.ms) {
        edb_plan_free(f.plan);
        return edb__fail(&c->err, EDB_ERR_NOMEM, "out of memory");
    }
    for (size_t m = 0; m < f.nm; m++) {
        f.ms[m].name = edb_plan_mnemonic(f.plan, m);
        f.ms[m].all_points = -1;
    }
    ahead_start(&f);
    st = run(&f);
    ahead_stop(&f);
    if (st == EDB_OK || st == EDB_ERR_PARTIAL) {
        edb_status cs = collect(&f, out);
        if (cs != EDB_OK)
            st = cs;
    }
    for (size_t k = 0; k < f.nlive; k++)
        request_free(f.live[k]);
    free(f.live);
    for (size_t m = 0; m < f.nm; m++) {
        mnem_clear(&f.ms[m]);
        free(f.ms[m].msg);
    }
    free(f.ms);
    edb_plan_free(f.plan);
    return st;
}

/* ---- one blocking request, for discovery ------------------------------------------------- *
 *
 * Discovery (discovery.c, portal.c) asks one thing at a time and waits for it: the
 * inventory, one mnemonic's entry.  This is that request, on an easy handle of its own so
 * that it never touches the engine's multi handle or a fetch in progress, under the
 * engine's rules: the token only to the base URL's origin (https, or plain http to a
 * loopback host), redirects followed here, TLS always verified (--cacert), the client's
 * timeouts, the same classes of retry with the same backoff and bounded Retry-After, and
 * no token in any message. */

typedef struct http_one {
    edb_client *c;
    edb__buf *reply;
    size_t max;
    long http;
    unsigned long long bytes;
    int too_big;
    edb__buf errbody;
} http_one;

static size_t http_one_body(char *data, size_t size, size_t nmemb, void *userp)
{
    http_one *h = userp;
    size_t len = size * nmemb;
    h->c->stats.bytes += len;
    h->bytes += len;
    if (h->http != 200) {
        size_t take = h->errbody.len < ERR_BODY_MAX ? ERR_BODY_MAX - h->errbody.len : 0;
        if (take && edb__buf_append(&h->errbody, data, len < take ? len : take) != 0)
            return 0;
        return len;
    }
    if (h->reply->len + len > h->max) {
        h->too_big = 1;
        return 0;
    }
    return edb__buf_append(h->reply, data, len) == 0 ? len : 0;
}

/* The status line has arrived when the first header does: know it before the body. */
static size_t http_one_header(char *data, size_t size, size_t nmemb, void *userp)
{
    http_one *h = userp;
    size_t len = size * nmemb;
    if (len > 5 && memcmp(data, "HTTP/", 5) == 0) {
        const char *sp = memchr(data, ' ', len);
        h->http = sp && (size_t)(sp - data) + 4 <= len ? strtol(sp + 1, NULL, 10) : 0;
        h->errbody.len = 0;
    }
    return len;
}

static int http_one_progress(void *p, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    (void)dt;
    (void)dn;
    (void)ut;
    (void)un;
    const edb_client *c = p;
    return c->o.cancel && *c->o.cancel; /* non-zero aborts the transfer */
}

/* Sleep us microseconds, waking early when the run is cancelled: 1 if cancelled. */
static int nap_us(const edb_client *c, int64_t us)
{
    while (us > 0) {
        if (c->o.cancel && *c->o.cancel)
            return 1;
        int64_t step = us < 50000 ? us : 50000;
        struct timespec ts = {(time_t)(step / 1000000), (long)(step % 1000000) * 1000};
        nanosleep(&ts, NULL);
        us -= step;
    }
    return c->o.cancel && *c->o.cancel;
}

const edb__service *edb__client_service(const edb_client *c)
{
    return c->svc;
}

const edb__svc_conf *edb__client_conf(const edb_client *c)
{
    return &c->conf;
}

const volatile int *edb__client_cancel(const edb_client *c)
{
    return c->o.cancel;
}

void edb__client_clear_error(edb_client *c)
{
    edb_err_clear(&c->err);
}

void edb__client_set_error(edb_client *c, const edb_err *e)
{
    edb__fail(&c->err, e->status, "%s", e->msg);
}

edb_status edb__client_http(edb_client *c, const edb__http_req *q, edb__buf *reply, long *http,
                            edb_err *err)
{
    *http = 0;
    const int have_token = c->token != NULL && c->svc->sends_token;
    edb_status st = edb_base_url_check(c->base_url, have_token, err);
    if (st != EDB_OK)
        return st;
    if (c->o.offline)
        return edb__fail(err, EDB_ERR_NETWORK, "%s: not asked (no network is used)", q->what);
    /* The token goes only where it was meant to: the base URL's origin. */
    edb__url_parts bu, ru;
    if ((st = edb__url_parse(c->base_url, &bu, err)) != EDB_OK)
        return st;
    if ((st = edb__url_parse(q->url, &ru, err)) != EDB_OK) {
        edb__url_parts_free(&bu);
        return st;
    }
    int token_ok = have_token && edb__same_origin(&bu, &ru) && edb__token_allowed(&ru);
    edb__url_parts_free(&bu);
    edb__url_parts_free(&ru);

    CURL *e = curl_easy_init();
    if (!e)
        return edb__fail(err, EDB_ERR_NOMEM, "out of memory");
    http_one h;
    memset(&h, 0, sizeof h);
    h.c = c;
    h.reply = reply;
    h.max = q->max_reply;
    const size_t reply0 = reply->len;
    char *cur = NULL; /* the URL of this hop when it is not q->url */
    const char *method = q->method;
    const char *body = q->body;
    size_t body_len = q->len;
    int send_token = token_ok, redirects = 0, attempt = 0;
    char msg[EDB_ERRMSG_SIZE / 2], errbuf[CURL_ERROR_SIZE];
    for (;;) {
        const char *url = cur ? cur : q->url;
        struct curl_slist *hdrs = NULL;
        int bad = 0;
        if (send_token) {
            edb__buf hv = {0};
            bad = edb__buf_printf(&hv, "Authorization: token %s", c->token) != 0 ||
                  !(hdrs = curl_slist_append(hdrs, hv.p));
            wipe(hv.p);
            edb__buf_free(&hv);
        }
        if (!bad && strcmp(method, "POST") == 0 && q->content_type) {
            edb__buf ct = {0};
            bad = edb__buf_printf(&ct, "Content-Type: %s", q->content_type) != 0;
            struct curl_slist *n = bad ? NULL : curl_slist_append(hdrs, ct.p);
            bad = bad || !n;
            if (n)
                hdrs = n;
            edb__buf_free(&ct);
        }
        if (bad) {
            curl_slist_free_all(hdrs);
            st = edb__fail(err, EDB_ERR_NOMEM, "out of memory");
            break;
        }
        curl_easy_reset(e);
        curl_easy_setopt(e, CURLOPT_URL, url);
        curl_easy_setopt(e, CURLOPT_HTTPHEADER, hdrs);
        if (strcmp(method, "POST") == 0) {
            curl_easy_setopt(e, CURLOPT_POST, 1L);
            curl_easy_setopt(e, CURLOPT_POSTFIELDS, body ? body : "");
            curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
        } else {
            curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
        }
        curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, http_one_body);
        curl_easy_setopt(e, CURLOPT_WRITEDATA, &h);
        curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, http_one_header);
        curl_easy_setopt(e, CURLOPT_HEADERDATA, &h);
        curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, http_one_progress);
        curl_easy_setopt(e, CURLOPT_XFERINFODATA, c);
        curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
        curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
        curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
        if (c->cacert)
            curl_easy_setopt(e, CURLOPT_CAINFO, c->cacert);
        curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
        curl_easy_setopt(e, CURLOPT_USERAGENT, "edbx/" EDBX_VERSION);
        if (c->o.timeout_us > 0)
            curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)((c->o.timeout_us + 999) / 1000));
        if (c->o.connect_timeout_us > 0)
            curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                             (long)((c->o.connect_timeout_us + 999) / 1000));
        errbuf[0] = '\0';
        msg[0] = '\0';
        h.http = 0;
        h.bytes = 0;
        h.too_big = 0;
        h.errbody.len = 0;
        reply->len = reply0;
        attempt++;
        c->stats.requests++;
        if (attempt > 1)
            c->stats.retries++;
        int64_t t0 = mono_us();
        CURLcode rc = curl_easy_perform(e);
        curl_slist_free_all(hdrs);
        long code = 0;
        curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
        h.http = code;
        *http = code;

        outcome oc;
        st = EDB_OK;
        if (rc == CURLE_ABORTED_BY_CALLBACK) {
            st = edb__fail(err, EDB_ERR_INTERRUPTED, "interrupted");
            break;
        } else if (rc == CURLE_WRITE_ERROR && h.too_big) {
            st = EDB_ERR_DATA;
            snprintf(msg, sizeof msg, "the reply is larger than %zu MiB: refused",
                     q->max_reply >> 20);
            oc = OUT_FINAL;
        } else if (rc != CURLE_OK) {
            oc = classify_transport(rc, errbuf, h.bytes, &st, msg, sizeof msg);
        } else if (code == 200 && h.bytes == 0) {
            /* A service always sends something: an empty 200 is a reply cut short. */
            st = EDB_ERR_TRUNCATED;
            snprintf(msg, sizeof msg, "the reply was empty (HTTP 200 without a body)");
            oc = OUT_RETRY_FULL;
        } else if (code == 200) {
            oc = OUT_OK;
        } else if (code >= 300 && code < 400 && code != 304) {
            oc = OUT_REDIRECT;
        } else {
            char shown[ERR_BODY_MAX + 8] = "";
            if (h.errbody.len)
                edb__excerpt(h.errbody.p, h.errbody.len, 160, shown, sizeof shown);
            if (code == 404) {
                st = EDB_ERR_NOT_FOUND;
                snprintf(msg, sizeof msg, "not found%s%s", shown[0] ? ": " : "", shown);
                oc = OUT_FINAL;
            } else if (code == 401 || code == 403) {
                st = EDB_ERR_AUTH;
                snprintf(msg, sizeof msg, "the MAST token is %s (get one at "
                         "https://auth.mast.stsci.edu/token with the scope "
                         "mast:exclusive_access, then set MAST_API_TOKEN or use --token-file "
                         "FILE)", c->token ? "wrong or expired" : "missing");
                oc = OUT_RETRY_SHORT;
            } else {
                st = EDB_ERR_SERVER;
                snprintf(msg, sizeof msg, "the service failed%s%s", shown[0] ? ": " : "", shown);
                oc = code == 408 || code == 429 || (code >= 500 && code <= 519) ? OUT_RETRY_FULL
                                                                                : OUT_RETRY_SHORT;
            }
        }
        redact(c, msg);
        char got[32] = "no reply";
        if (code > 0)
            snprintf(got, sizeof got, "HTTP %ld", code);
        logf_(c, "%s %s -> %s (%llu bytes, %.3f s)%s%s", method, url, got, h.bytes,
              (mono_us() - t0) / 1e6, oc == OUT_OK ? "" : ": ",
              oc == OUT_OK ? "" : (msg[0] ? msg : "redirect"));
        if (oc == OUT_OK)
            break;
        if (oc == OUT_REDIRECT) {
            char *loc = NULL, *next = NULL;
            curl_easy_getinfo(e, CURLINFO_REDIRECT_URL, &loc);
            st = redirect_hop(url, loc, redirects, code, &send_token, &next, msg, sizeof msg);
            if (st == EDB_OK) {
                free(cur);
                cur = next;
                redirects++;
                attempt--; /* the same try, continued */
                /* 301, 302 and 303 turn a POST into a GET, as browsers and curl do. */
                if (code != 307 && code != 308) {
                    method = "GET";
                    body = NULL;
                    body_len = 0;
                }
                continue;
            }
            oc = OUT_FINAL;
        }
        int budget = oc == OUT_RETRY_FULL ? c->o.retries
                     : oc == OUT_RETRY_SHORT ? (c->o.retries < SHORT_RETRIES ? c->o.retries
                                                                              : SHORT_RETRIES)
                     : 0;
        char tries[48] = "";
        if (attempt > 1)
            snprintf(tries, sizeof tries, ", after %d tries", attempt);
        char hs[32] = "";
        if (code > 0)
            snprintf(hs, sizeof hs, "HTTP %ld ", code);
        if (attempt > budget) {
            edb__buf m = {0};
            edb__buf_printf(&m, "%s: %s (%sfrom %s%s)", q->what, msg, hs, url, tries);
            redact(c, m.p);
            st = edb__fail(err, st, "%s", m.p ? m.p : msg);
            edb__buf_free(&m);
            break;
        }
        int64_t wait;
        char m2[EDB_ERRMSG_SIZE / 2];
        if (retry_wait(c, e, attempt, msg, &wait, m2, sizeof m2) != 0) {
            redact(c, m2);
            st = edb__fail(err, st, "%s: %s (%sfrom %s)", q->what, m2, hs, url);
            break;
        }
        logf_(c, "%s: retrying in %.1f s (try %d of %d)", q->what, wait / 1e6, attempt + 1,
              budget + 1);
        /* A retry starts from the original URL, method and token rule. */
        free(cur);
        cur = NULL;
        redirects = 0;
        method = q->method;
        body = q->body;
        body_len = q->len;
        send_token = token_ok;
        if (nap_us(c, wait)) {
            st = edb__fail(err, EDB_ERR_INTERRUPTED, "interrupted");
            break;
        }
    }
    if (st != EDB_OK)
        reply->len = reply0;
    free(cur);
    edb__buf_free(&h.errbody);
    curl_easy_cleanup(e);
    return st;
}
