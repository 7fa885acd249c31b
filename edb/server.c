/* server.c: `edbx serve`, path A of the EDB answered from a local store.
 *
 * libmicrohttpd runs one thread per connection, so an injected delay holds up only the
 * request it applies to.  Replies are built whole in memory and handed to MHD: the
 * service's replies are small (a day of a 4 Hz mnemonic is a few MB), and a known
 * Content-Length is what lets a truncation fault be detected by the client at all.
 *
 * Order of checks on the data route: faults first (they stand for the network and the
 * load balancers in front of the real service, which act before it looks at a request),
 * then the token, then the uri, then the store.  A truncation fault cuts whatever reply
 * the request ends with. */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>

#include <microhttpd.h>

#include <edb/edb.h>

#include "internal.h"

/* The access handler's return type changed from int to enum MHD_Result in 0.9.71. */
#if MHD_VERSION >= 0x00097002
typedef enum MHD_Result mhd_ret;
#else
typedef int mhd_ret;
#endif

#define DATA_PATH "/api/v0.1/Download/file"
#define URI_PREFIX "mast:jwstedb/"
#define COMPACT_LEN 15 /* YYYYmmddTHHMMSS */

struct edb_server {
    struct MHD_Daemon *daemon;
    edb_store *store;
    char *auth;      /* "token T", the exact Authorization value demanded; NULL = open */
    size_t auth_len;
    int fault_count, fault_status, retry_after, drop, chop_eol;
    double fail_rate;
    unsigned fail_seed;
    atomic_ulong connections;
    atomic_uint open_now, open_max;
    int64_t delay_us;
    long truncate_after;
    void (*log)(void *ctx, const char *line);
    void *log_ctx;
    pthread_mutex_t log_mu; /* the caller's log function need not be thread-safe */
    atomic_ulong requests;
    atomic_int running;     /* MHD messages go to the log only once started */
    char mhd_msg[256];      /* MHD's last message: the reason a start failed */
    unsigned port;
};

static void logf_(edb_server *s, const char *fmt, ...) EDB__PRINTF(2, 3);

static void logf_(edb_server *s, const char *fmt, ...)
{
    if (!s->log)
        return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&s->log_mu);
    s->log(s->log_ctx, line);
    pthread_mutex_unlock(&s->log_mu);
}

/* MHD's own diagnostics: never printed (the library does not print); kept for the start
 * error, and passed to the request log once serving. */
static void mhd_logger(void *cls, const char *fmt, va_list ap)
{
    edb_server *s = cls;
    char msg[256];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    pthread_mutex_lock(&s->log_mu);
    memcpy(s->mhd_msg, msg, n + 1);
    pthread_mutex_unlock(&s->log_mu);
    /* MHD has no reason to quote a header, but the token must never reach a log. */
    if (atomic_load(&s->running) && !(s->auth && strstr(msg, s->auth + 6)))
        logf_(s, "microhttpd: %s", msg);
}

/* ---- the uri -------------------------------------------------------------------------- */

/* The client's rule (edb-protocol section 6), applied to the name as it stands in the uri:
 * no white space to trim here, since the service would not have trimmed it either. */
static int valid_mnemonic(const char *p, size_t len, char *out)
{
    char raw[EDB_MNEMONIC_MAX + 2];
    if (len == 0 || len > EDB_MNEMONIC_MAX)
        return 0;
    for (size_t k = 0; k < len; k++)
        if (p[k] == ' ' || (unsigned char)p[k] < 0x21 || (unsigned char)p[k] > 0x7e)
            return 0;
    memcpy(raw, p, len);
    raw[len] = '\0';
    return edb_mnemonic_normalize(raw, out, EDB_MNEMONIC_MAX + 1, NULL) == EDB_OK;
}

static int digits(const char *p, int n)
{
    int v = 0;
    for (int k = 0; k < n; k++) {
        if (p[k] < '0' || p[k] > '9')
            return -1;
        v = v * 10 + (p[k] - '0');
    }
    return v;
}

static int days_in_month(int y, int m)
{
    static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return dim[m - 1] + (m == 2 && leap);
}

/* YYYYmmddTHHMMSS, every field range-checked.  Returns NULL or what is wrong. */
static const char *parse_compact(const char *p, edb_time *out)
{
    int y = digits(p, 4), mo = digits(p + 4, 2), d = digits(p + 6, 2);
    int h = digits(p + 9, 2), mi = digits(p + 11, 2), s = digits(p + 13, 2);
    if (y < 0 || mo < 0 || d < 0 || p[8] != 'T' || h < 0 || mi < 0 || s < 0)
        return "not in the form YYYYmmddTHHMMSS";
    if (mo < 1 || mo > 12)
        return "month out of range";
    if (d < 1 || d > days_in_month(y, mo))
        return "day out of range for the month";
    if (h > 23)
        return "hour out of range";
    if (mi > 59)
        return "minute out of range";
    if (s > 59)
        return "second out of range";
    *out = edb_time_from_civil(y, mo, d, h, mi, s, 0);
    return NULL;
}

/* mast:jwstedb/MNEMONIC-YYYYmmddTHHMMSS-YYYYmmddTHHMMSS.csv.  0 on success; -1 with a
 * message in why. */
static int parse_uri(const char *uri, char *name, edb_time *start, edb_time *end, char *why,
                     size_t whylen)
{
    char shown[100];
    const size_t pl = sizeof URI_PREFIX - 1, tail = 2 * (COMPACT_LEN + 1) + 4;
    if (!uri) {
        snprintf(why, whylen, "missing uri argument (expected uri=%sMNEMONIC-START-END.csv)",
                 URI_PREFIX);
        return -1;
    }
    size_t len = strlen(uri);
    edb__excerpt(uri, len, 80, shown, sizeof shown);
    if (len < pl || memcmp(uri, URI_PREFIX, pl) != 0) {
        snprintf(why, whylen, "uri '%s' does not start with %s", shown, URI_PREFIX);
        return -1;
    }
    const char *r = uri + pl;
    size_t rl = len - pl;
    if (rl < 4 || memcmp(r + rl - 4, ".csv", 4) != 0) {
        snprintf(why, whylen, "uri '%s' does not end in .csv", shown);
        return -1;
    }
    if (rl < tail + 1 || r[rl - tail] != '-' || r[rl - tail + COMPACT_LEN + 1] != '-') {
        snprintf(why, whylen, "uri '%s' is not MNEMONIC-YYYYmmddTHHMMSS-YYYYmmddTHHMMSS.csv",
                 shown);
        return -1;
    }
    size_t nl = rl - tail;
    if (!valid_mnemonic(r, nl, name)) {
        char nshown[80];
        snprintf(why, whylen,
                 "invalid mnemonic '%s' (I or S, a subsystem of 1-4 letters, '_', then 2-20 "
                 "letters, digits or '_')",
                 edb__excerpt(r, nl, 40, nshown, sizeof nshown));
        return -1;
    }
    const char *ts[2] = {r + nl + 1, r + nl + 1 + COMPACT_LEN + 1};
    edb_time *tv[2] = {start, end};
    for (int k = 0; k < 2; k++) {
        const char *bad = parse_compact(ts[k], tv[k]);
        if (bad) {
            snprintf(why, whylen, "%s time '%.15s': %s", k ? "end" : "start", ts[k], bad);
            return -1;
        }
    }
    if (*start > *end) {
        snprintf(why, whylen, "start %.15s is after end %.15s", ts[0], ts[1]);
        return -1;
    }
    return 0;
}

/* ---- replies -------------------------------------------------------------------------- */

typedef struct cut_body {
    char *p;
    size_t limit; /* bytes to send before failing the transfer */
} cut_body;

static ssize_t cut_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    cut_body *c = cls;
    if (pos >= c->limit)
        return MHD_CONTENT_READER_END_WITH_ERROR;
    size_t n = c->limit - (size_t)pos;
    if (n > max)
        n = max;
    memcpy(buf, c->p + pos, n);
    return (ssize_t)n;
}

static void cut_free(void *cls)
{
    cut_body *c = cls;
    free(c->p);
    free(c);
}

typedef struct reply {
    unsigned status;
    const char *ctype;
    edb__buf body;
    const char *hname, *hval; /* one extra header, or NULL */
    char hbuf[32];
    long truncate;            /* < 0: send it all */
} reply;

/* Queue r (its body is taken) and log the request line.  `req` is already sanitised. */
static mhd_ret send_reply(edb_server *s, struct MHD_Connection *c, const char *method,
                          const char *req, reply *r)
{
    struct MHD_Response *resp = NULL;
    size_t len = r->body.len;
    char *body = r->body.p;
    r->body.p = NULL;
    if (!body) {
        body = malloc(1);
        len = 0;
    }
    if (!body)
        return MHD_NO;
    if (r->truncate >= 0) {
        cut_body *cb = malloc(sizeof *cb);
        if (cb) {
            cb->p = body;
            cb->limit = (size_t)r->truncate < len ? (size_t)r->truncate : len;
            resp = MHD_create_response_from_callback(len, 4096, cut_read, cb, cut_free);
            if (!resp)
                free(cb);
        }
    } else {
        resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    }
    if (!resp) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->ctype);
    if (r->hname)
        MHD_add_response_header(resp, r->hname, r->hval);
    mhd_ret ret = MHD_queue_response(c, r->status, resp);
    MHD_destroy_response(resp);
    if (r->truncate >= 0 && (size_t)r->truncate < len)
        logf_(s, "%s %s -> %u (%zu bytes, cut after %ld)", method, req, r->status, len,
              r->truncate);
    else
        logf_(s, "%s %s -> %u (%zu bytes)", method, req, r->status, len);
    return ret;
}

static void reply_text(reply *r, unsigned status, const char *fmt, ...) EDB__PRINTF(3, 4);

static void reply_text(reply *r, unsigned status, const char *fmt, ...)
{
    r->status = status;
    r->ctype = "text/plain; charset=utf-8";
    r->body.len = 0;
    va_list ap;
    va_start(ap, fmt);
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    edb__buf_printf(&r->body, "%s\n", msg);
}

/* Constant time in the token's content, so that timing does not reveal how many leading
 * characters of a guess were right. */
static int auth_ok(const edb_server *s, const char *h)
{
    if (!s->auth)
        return 1;
    if (!h)
        return 0;
    size_t hl = strlen(h);
    unsigned char diff = (unsigned char)(hl != s->auth_len);
    for (size_t k = 0; k < s->auth_len; k++)
        diff |= (unsigned char)((k < hl ? (unsigned char)h[k] : 0) ^ (unsigned char)s->auth[k]);
    return diff == 0;
}

static void sleep_us(int64_t us)
{
    struct timespec ts = {(time_t)(us / 1000000), (long)(us % 1000000) * 1000};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* A number in [0, 1) that depends only on the seed and the request's number
 * (splitmix64), so that which requests fail does not depend on thread timing. */
static double unit_random(unsigned seed, unsigned long n)
{
    uint64_t z = ((uint64_t)seed << 32) ^ (uint64_t)n;
    z += UINT64_C(0x9E3779B97F4A7C15);
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    z ^= z >> 31;
    return (double)(z >> 11) / 9007199254740992.0;
}

static mhd_ret data_request(edb_server *s, struct MHD_Connection *c, const char *method,
                            reply *r)
{
    const char *uri = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "uri");
    char req[400], shown[300];
    if (uri)
        snprintf(req, sizeof req, "%s?uri=%s", DATA_PATH,
                 edb__excerpt(uri, strlen(uri), 250, shown, sizeof shown));
    else
        snprintf(req, sizeof req, "%s", DATA_PATH);

    unsigned long nreq = atomic_fetch_add(&s->requests, 1);
    int faulted = (s->fault_status != 0 || s->delay_us > 0 || s->truncate_after >= 0 || s->drop ||
                   s->chop_eol) &&
                  (s->fault_count < 0 || nreq < (unsigned long)s->fault_count);
    if (s->fail_rate > 0 && unit_random(s->fail_seed, nreq) < s->fail_rate) {
        int code = s->fault_status ? s->fault_status : MHD_HTTP_SERVICE_UNAVAILABLE;
        reply_text(r, (unsigned)code, "injected random fault: HTTP %d", code);
        if (s->retry_after >= 0) {
            snprintf(r->hbuf, sizeof r->hbuf, "%d", s->retry_after);
            r->hname = MHD_HTTP_HEADER_RETRY_AFTER;
            r->hval = r->hbuf;
        }
        return send_reply(s, c, method, req, r);
    }
    if (faulted) {
        if (s->delay_us > 0)
            sleep_us(s->delay_us);
        if (s->drop) {
            logf_(s, "%s %s -> dropped (fault)", method, req);
            return MHD_NO;
        }
        r->truncate = s->truncate_after;
        if (s->fault_status != 0) {
            reply_text(r, (unsigned)s->fault_status, "injected fault: HTTP %d", s->fault_status);
            if (s->retry_after >= 0) {
                snprintf(r->hbuf, sizeof r->hbuf, "%d", s->retry_after);
                r->hname = MHD_HTTP_HEADER_RETRY_AFTER;
                r->hval = r->hbuf;
            }
            return send_reply(s, c, method, req, r);
        }
    }

    if (!auth_ok(s, MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION))) {
        reply_text(r, MHD_HTTP_UNAUTHORIZED,
                   "authentication required: send the header 'Authorization: token <TOKEN>'");
        r->hname = MHD_HTTP_HEADER_WWW_AUTHENTICATE;
        r->hval = "token";
        return send_reply(s, c, method, req, r);
    }

    char name[32], why[400];
    edb_time start = 0, end = 0;
    if (parse_uri(uri, name, &start, &end, why, sizeof why) != 0) {
        reply_text(r, MHD_HTTP_BAD_REQUEST, "bad request: %s", why);
        return send_reply(s, c, method, req, r);
    }
    edb_err err = EDB_ERR_INIT;
    /* The body comes whole from the store: formatted (reply.c) or a saved reply as is. */
    edb_status st = edb__store_reply(s->store, name, start, end, &r->body, &err);
    if (st == EDB_ERR_NOT_FOUND) {
        reply_text(r, MHD_HTTP_NOT_FOUND, "%s: no such mnemonic", name);
        return send_reply(s, c, method, req, r);
    }
    if (st != EDB_OK) {
        /* The details (file names of the store) go to the operator's log, not the client. */
        logf_(s, "%s %s: store error: %s", method, req, err.msg);
        reply_text(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "%s: the store could not answer (%s)", name,
                   edb_strerror(st));
        return send_reply(s, c, method, req, r);
    }
    r->status = MHD_HTTP_OK;
    r->ctype = "text/csv";
    int fc = 0;
    if (fc == 0 && faulted && s->chop_eol && r->body.len >= 2 && r->body.p[r->body.len - 1] == '\n')
        r->body.len -= r->body.p[r->body.len - 2] == '\r' ? 2 : 1;
    if (fc != 0) {
        reply_text(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "%s: out of memory", name);
        if (!r->body.p)
            return MHD_NO;
    }
    return send_reply(s, c, method, req, r);
}

/* Count connections, so tests can check that a client keeps to its limit. */
static void on_connection(void *cls, struct MHD_Connection *c, void **socket_ctx,
                          enum MHD_ConnectionNotificationCode code)
{
    (void)c;
    (void)socket_ctx;
    edb_server *s = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        atomic_fetch_add(&s->connections, 1);
        unsigned now = atomic_fetch_add(&s->open_now, 1) + 1;
        unsigned max = atomic_load(&s->open_max);
        while (now > max && !atomic_compare_exchange_weak(&s->open_max, &max, now))
            ;
    } else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
        atomic_fetch_sub(&s->open_now, 1);
    }
}

unsigned long edb_server_connections(const edb_server *s)
{
    return atomic_load(&((edb_server *)s)->connections);
}

unsigned edb_server_max_open_connections(const edb_server *s)
{
    return atomic_load(&((edb_server *)s)->open_max);
}

static mhd_ret on_request(void *cls, struct MHD_Connection *c, const char *url,
                          const char *method, const char *version, const char *upload_data,
                          size_t *upload_data_size, void **con_cls)
{
    (void)version;
    (void)upload_data;
    /* Answer only once the whole request is in: a reply queued from the first call (the
     * headers alone) makes MHD close the connection after it, which would cost every
     * client request a new connection.  A body, which no route takes, is read and dropped. */
    static int seen;
    if (*con_cls == NULL) {
        *con_cls = &seen;
        return MHD_YES;
    }
    if (*upload_data_size != 0) {
        *upload_data_size = 0;
        return MHD_YES;
    }
    edb_server *s = cls;
    reply r = {0};
    r.truncate = -1;
    char shown[300];
    edb__excerpt(url, strlen(url), 250, shown, sizeof shown);
    char meth[16];
    edb__excerpt(method, strlen(method), 10, meth, sizeof meth);
    mhd_ret ret;

    /* HEAD is GET without the body (MHD drops it), as every HTTP server must allow. */
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
        reply_text(&r, MHD_HTTP_METHOD_NOT_ALLOWED, "method %s not allowed: use GET", meth);
        r.hname = MHD_HTTP_HEADER_ALLOW;
        r.hval = "GET, HEAD";
        ret = send_reply(s, c, meth, shown, &r);
    } else if (strcmp(url, "/api") == 0 || strcmp(url, "/api/") == 0) {
        r.status = MHD_HTTP_OK;
        r.ctype = "application/json";
        edb__buf_printf(&r.body, "{\"service\":\"edbx serve\",\"version\":\"%s\",\"data\":\"%s\"}\n",
                        edb_version(), DATA_PATH);
        ret = send_reply(s, c, meth, shown, &r);
    } else if (strcmp(url, DATA_PATH) == 0) {
        ret = data_request(s, c, meth, &r);
    } else {
        reply_text(&r, MHD_HTTP_NOT_FOUND, "not found: %s", shown);
        ret = send_reply(s, c, meth, shown, &r);
    }
    edb__buf_free(&r.body);
    return ret;
}

/* ---- life cycle ----------------------------------------------------------------------- */

static void wipe(char *p, size_t n)
{
    volatile char *v = p;
    while (n--)
        *v++ = 0;
}

static void server_free(edb_server *s)
{
    if (!s)
        return;
    edb_store_free(s->store);
    if (s->auth) {
        wipe(s->auth, s->auth_len);
        free(s->auth);
    }
    pthread_mutex_destroy(&s->log_mu);
    free(s);
}

edb_status edb_server_start(edb_server **out, const edb_server_options *o, edb_err *err)
{
    if (!out || !o || !o->store || !*o->store)
        return edb__fail(err, EDB_ERR_USAGE, "edbx serve: no store folder given");
    *out = NULL;
    if (o->port > 65535)
        return edb__fail(err, EDB_ERR_USAGE, "port %u out of range (0-65535)", o->port);
    if (o->token && !*o->token)
        return edb__fail(err, EDB_ERR_USAGE, "the token to demand is empty");
    if (!(o->fail_rate >= 0 && o->fail_rate <= 1))
        return edb__fail(err, EDB_ERR_USAGE, "fail rate %g is not a probability (0-1)",
                         o->fail_rate);
    if (o->fault_status != 0 && (o->fault_status < 100 || o->fault_status > 599))
        return edb__fail(err, EDB_ERR_USAGE, "fault status %d is not an HTTP status (100-599)",
                         o->fault_status);
    if (o->delay_us < 0)
        return edb__fail(err, EDB_ERR_USAGE, "negative delay");

    const char *bind = o->bind && *o->bind ? o->bind : "127.0.0.1";
    if (strcmp(bind, "localhost") == 0)
        bind = "127.0.0.1";
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
                     MHD_USE_AUTO | MHD_USE_ERROR_LOG;
    struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, bind, &sin->sin_addr) == 1) {
        sin->sin_family = AF_INET;
        sin->sin_port = htons((uint16_t)o->port);
    } else if (inet_pton(AF_INET6, bind, &sin6->sin6_addr) == 1) {
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons((uint16_t)o->port);
        flags |= MHD_USE_IPv6;
    } else {
        char shown[80];
        return edb__fail(err, EDB_ERR_USAGE,
                         "bind address '%s' is not a numeric IPv4 or IPv6 address",
                         edb__excerpt(bind, strlen(bind), 60, shown, sizeof shown));
    }

    edb_server *s = calloc(1, sizeof *s);
    if (!s)
        return edb__fail(err, EDB_ERR_NOMEM, "out of memory");
    if (pthread_mutex_init(&s->log_mu, NULL) != 0) {
        free(s);
        return edb__fail(err, EDB_ERR_NOMEM, "out of resources");
    }
    atomic_init(&s->requests, 0);
    atomic_init(&s->running, 0);
    s->fault_count = o->fault_count;
    s->fault_status = o->fault_status;
    s->retry_after = o->retry_after;
    s->delay_us = o->delay_us;
    s->truncate_after = o->truncate_after;
    s->drop = o->drop;
    s->chop_eol = o->chop_eol;
    s->fail_rate = o->fail_rate;
    s->fail_seed = o->fail_seed;
    atomic_init(&s->connections, 0);
    atomic_init(&s->open_now, 0);
    atomic_init(&s->open_max, 0);
    s->log = o->log;
    s->log_ctx = o->log_ctx;
    if (o->token) {
        edb__buf a = {0};
        if (edb__buf_printf(&a, "token %s", o->token) != 0) {
            server_free(s);
            return edb__fail(err, EDB_ERR_NOMEM, "out of memory");
        }
        s->auth = a.p;
        s->auth_len = a.len;
    }
    edb_status st = edb_store_open(&s->store, o->store, err);
    if (st != EDB_OK) {
        server_free(s);
        return st;
    }

    errno = 0;
    s->daemon = MHD_start_daemon(flags, (uint16_t)o->port, NULL, NULL, on_request, s,
                                 MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, s,
                                 MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
                                 MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120,
                                 MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
                                 MHD_OPTION_END);
    if (!s->daemon) {
        int e = errno;
        st = edb__fail(err, EDB_ERR_IO, "cannot serve on %s port %u: %s", bind, o->port,
                       s->mhd_msg[0] ? s->mhd_msg : e ? strerror(e) : "microhttpd failed to start");
        server_free(s);
        return st;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info && info->port ? info->port : o->port;
    atomic_store(&s->running, 1);
    *out = s;
    return EDB_OK;
}

unsigned edb_server_port(const edb_server *s)
{
    return s ? s->port : 0;
}

unsigned long edb_server_requests(const edb_server *s)
{
    return s ? atomic_load(&s->requests) : 0;
}

void edb_server_stop(edb_server *s)
{
    if (!s)
        return;
    atomic_store(&s->running, 0);
    MHD_stop_daemon(s->daemon);
    server_free(s);
}
