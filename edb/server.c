/* server.c: `edbx serve`, every EDB service answered from a local store (edb/server.h).
 *
 * Threads.  libmicrohttpd runs a fixed pool of worker threads polling every connection
 * (epoll), not a thread per connection: a client that opens a connection and sends its
 * request slowly then costs a socket and a 64 KiB memory pool, never a thread, so a
 * thousand such clients cannot take the threads away from the others.  Two consequences
 * shape the rest:
 *  - nothing may block a worker for long.  An injected delay suspends the connection
 *    (MHD_suspend_connection) and a watchdog thread resumes it when due, so a delayed
 *    request holds up no other.  Replies are streamed from the store's series in blocks
 *    (reply.c), so sending a large range costs a worker a block at a time.
 *  - slow requests must be cut off by us: MHD's timeout is one of inactivity, which a
 *    client sending a byte now and then never trips.  The watchdog gives each request a
 *    deadline (request_timeout_us from the connection's opening or its previous reply) and
 *    shuts down the socket of one that misses it; MHD then sees the end of the stream and
 *    closes the connection itself.  A request whose bytes sit unread in the socket is not
 *    late: the workers are, so it is given more time.  Connections are tracked from MHD's connection
 *    notifications, and MHD notifies a connection's closing before it closes its socket,
 *    under our mutex, so the watchdog never touches a socket that is gone.
 * Connections are capped in all and per client address (MHD's limits); more are closed as
 * soon as they are accepted.
 *
 * Memory per connection is bounded and independent of the range asked: a data reply is a
 * generator over a borrowed window of the store's shared series (edb__store_window); a
 * metadata or portal reply is generated one record at a time from the metadata tables;
 * request bodies (the portal's form) are capped.  Only a saved path A reply asked for by
 * exactly its range is sent from memory as saved (bytes the store already holds).
 *
 * Order of checks on a data or metadata route: faults first (they stand for the network
 * and the load balancers in front of the real service, which act before it looks at a
 * request), then the token, then the request's parameters, then the store.  A truncation
 * fault cuts whatever reply the request ends with. */
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
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>

#include <jansson.h>
#include <microhttpd.h>

#include <edb/edb.h>

#include "internal.h"

/* The access handler's return type changed from int to enum MHD_Result in 0.9.71. */
#if MHD_VERSION >= 0x00097002
typedef enum MHD_Result mhd_ret;
#else
typedef int mhd_ret;
#endif

#define A_DATA "/api/v0.1/Download/file"
#define URI_PREFIX "mast:jwstedb/"
#define COMPACT_LEN 15 /* YYYYmmddTHHMMSS */
#define B_PREFIX "/" EDB_SERVER_DIRECT_PATH
#define EDP_PREFIX "/edp/api/v0.1/mnemonics/spa/"
#define PORTAL_INVOKE "/api/v0/invoke"
#define PORTAL_COLCONF "/portal/Mashup/Mashup.asmx/columnsconfig"

/* A portal request is a few hundred bytes (astroquery's is ~250); 64 KiB is room for any
 * honest one and keeps a connection's memory small. */
#define BODY_MAX ((size_t)64 << 10)
/* Per connection: MHD's pool holds the request headers and the send buffer. */
#define CONN_MEMORY ((size_t)64 << 10)
#define SEND_BLOCK ((size_t)16 << 10)
/* Inactivity (a client that stops reading a reply) closes a connection after this. */
#define IDLE_TIMEOUT_S 60u
/* Distinct portal requests remembered for --portal-executing (least recently used go). */
#define EXEC_SLOTS 256

/* One open connection, from MHD's STARTED notification to its CLOSED one. */
typedef struct conn {
    struct conn *prev, *next;
    struct MHD_Connection *c;
    int fd;
    int64_t deadline;  /* monotonic µs by which the request must be in; 0 = none */
    int shut;          /* the watchdog has shut its socket */
    int suspending;    /* between deciding to suspend and MHD_suspend_connection */
    int suspended;     /* suspended for a delay, to resume at resume_at */
    int64_t resume_at;
} conn;

/* One request on a connection (MHD's con_cls), freed when it completes. */
typedef struct req {
    conn *cn;
    edb__buf body;     /* the request body, up to BODY_MAX */
    int too_large;
    int counted;       /* nreq and the fault decisions are made */
    unsigned long nreq;
    int faulted, random_fail, delayed;
} req;

/* The byte length of the rows of a series in a reply of one kind, cumulated per block of
 * LEN_BLOCK samples: cum[b] is the length of the rows before sample b * LEN_BLOCK.  Series
 * of the store never change, so a table made once serves every later request: a reply's
 * length then costs at most two blocks of formatting, and its first bytes leave at once
 * instead of after a pass over the whole range. */
#define LEN_BLOCK 4096

typedef struct len_table {
    const edb_series *s;
    edb__reply_kind kind;
    uint64_t *cum; /* nblocks + 1 entries */
} len_table;

typedef struct exec_slot {
    uint64_t key;
    int seen;
    uint64_t used;
} exec_slot;

struct edb_server {
    struct MHD_Daemon *daemon;
    edb_store *store;
    edb_meta *bmeta; /* the store's meta.json: path B and EDP metadata */
    edb_meta *inv;   /* the portal's inventory: --inventory, then meta.json (may be bmeta) */
    char *auth;      /* "token T", the exact Authorization value demanded; NULL = open */
    size_t auth_len;
    int fault_count, fault_status, retry_after, drop, chop_eol;
    double fail_rate;
    unsigned fail_seed;
    int64_t delay_us, request_timeout_us;
    long truncate_after;
    int portal_executing;
    void (*log)(void *ctx, const char *line);
    void *log_ctx;
    pthread_mutex_t log_mu; /* the caller's log function need not be thread-safe */
    atomic_ulong requests, connections, timeouts;
    atomic_uint open_now, open_max;
    atomic_int running;     /* MHD messages go to the log only once started */
    char mhd_msg[256];      /* MHD's last message: the reason a start failed */
    unsigned port;
    /* the watchdog and what it watches */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t watchdog;
    int watchdog_running, stopping;
    conn *conns;
    exec_slot exec[EXEC_SLOTS];
    uint64_t exec_clock;
    len_table *lens; /* under mu */
    size_t n_lens, cap_lens;
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

static int64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static char ascii_upper(char c)
{
    return (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
}

static int ascii_ieq_prefix(const char *s, const char *prefix)
{
    for (; *prefix; s++, prefix++)
        if (!*s || ascii_upper(*s) != ascii_upper(*prefix))
            return 0;
    return 1;
}

/* ---- request parameters --------------------------------------------------------------- */

/* The client's rule (edb/mnemonic.h), applied to the name as it stands in the request: no
 * white space to trim here, since the service would not have trimmed it either. */
static int valid_mnemonic(const char *p, size_t len, char *out, char *why, size_t whylen)
{
    char raw[EDB_MNEMONIC_MAX + 2], shown[80];
    edb__excerpt(p, len, 40, shown, sizeof shown);
    if (len == 0) {
        snprintf(why, whylen, "no mnemonic given");
        return 0;
    }
    if (len > EDB_MNEMONIC_MAX) {
        snprintf(why, whylen, "invalid mnemonic '%s': longer than %d characters", shown,
                 EDB_MNEMONIC_MAX);
        return 0;
    }
    for (size_t k = 0; k < len; k++)
        if ((unsigned char)p[k] <= 0x20 || (unsigned char)p[k] >= 0x7f || p[k] == '\0') {
            snprintf(why, whylen, "invalid mnemonic '%s': a blank, control or non-ASCII byte at "
                     "position %zu (names are letters, digits and '_', such as SA_ZATTEST1)",
                     shown, k + 1);
            return 0;
        }
    memcpy(raw, p, len);
    raw[len] = '\0';
    edb_err e = EDB_ERR_INIT;
    if (edb_mnemonic_normalize(raw, out, EDB_MNEMONIC_MAX + 1, &e) != EDB_OK) {
        snprintf(why, whylen, "%.300s", e.msg); /* the name is quoted short in it */
        return 0;
    }
    return 1;
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

/* Range checks shared by both time forms.  NULL or what is wrong. */
static const char *check_fields(int y, int mo, int d, int h, int mi, int s)
{
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
    return NULL;
}

/* YYYYmmddTHHMMSS, every field range-checked.  Returns NULL or what is wrong. */
static const char *parse_compact(const char *p, edb_time *out)
{
    int y = digits(p, 4), mo = digits(p + 4, 2), d = digits(p + 6, 2);
    int h = digits(p + 9, 2), mi = digits(p + 11, 2), s = digits(p + 13, 2);
    if (y < 0 || mo < 0 || d < 0 || p[8] != 'T' || h < 0 || mi < 0 || s < 0)
        return "not in the form YYYYmmddTHHMMSS";
    const char *bad = check_fields(y, mo, d, h, mi, s);
    if (bad)
        return bad;
    *out = edb_time_from_civil(y, mo, d, h, mi, s, 0);
    return NULL;
}

int edb__serve_parse_time(const char *s, int64_t *out, char *why, size_t whylen)
{
    char shown[80];
    if (!s || !*s) {
        snprintf(why, whylen, "no time given (expected YYYY-MM-DDTHH:MM:SS)");
        return -1;
    }
    size_t len = strlen(s);
    edb__excerpt(s, len, 40, shown, sizeof shown);
    int y = -1, mo = -1, d = -1, h = 0, mi = 0, sec = 0, us = 0;
    size_t k = 10;
    if (len >= 10) {
        y = digits(s, 4);
        mo = digits(s + 5, 2);
        d = digits(s + 8, 2);
    }
    if (y < 0 || mo < 0 || d < 0 || s[4] != '-' || s[7] != '-')
        goto form;
    if (k < len && (s[k] == 'T' || s[k] == ' ' || s[k] == '+')) {
        if (len < k + 9 || s[k + 3] != ':' || s[k + 6] != ':')
            goto form;
        h = digits(s + k + 1, 2);
        mi = digits(s + k + 4, 2);
        sec = digits(s + k + 7, 2);
        if (h < 0 || mi < 0 || sec < 0)
            goto form;
        k += 9;
        if (k < len && s[k] == '.') {
            int nd = 0;
            k++;
            while (k < len && s[k] >= '0' && s[k] <= '9') {
                if (++nd > 6) {
                    snprintf(why, whylen, "time '%s': more than 6 decimals of a second", shown);
                    return -1;
                }
                us = us * 10 + (s[k++] - '0');
            }
            if (nd == 0)
                goto form;
            for (; nd < 6; nd++)
                us *= 10;
        }
    }
    if (k < len && s[k] == 'Z')
        k++;
    if (k != len)
        goto form;
    const char *bad = check_fields(y, mo, d, h, mi, sec);
    if (bad) {
        snprintf(why, whylen, "time '%s': %s", shown, bad);
        return -1;
    }
    *out = edb_time_from_civil(y, mo, d, h, mi, sec, us);
    return 0;
form:
    snprintf(why, whylen, "time '%s' is not in the form YYYY-MM-DDTHH:MM:SS[.ffffff] "
             "(or with a space for the T)", shown);
    return -1;
}

int edb__serve_parse_search(const char *s, char *out, char *why, size_t whylen)
{
    size_t len = s ? strlen(s) : 0;
    char shown[80];
    edb__excerpt(s ? s : "", len, 40, shown, sizeof shown);
    if (len > EDB_MNEMONIC_MAX) {
        snprintf(why, whylen, "search text '%s' is longer than %d characters", shown,
                 EDB_MNEMONIC_MAX);
        return -1;
    }
    for (size_t k = 0; k < len; k++) {
        char c = ascii_upper(s[k]);
        if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) {
            snprintf(why, whylen, "search text '%s': only letters, digits and '_' can be part "
                     "of a mnemonic (position %zu)", shown, k + 1);
            return -1;
        }
        out[k] = c;
    }
    out[len] = '\0';
    return 0;
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
    if (!valid_mnemonic(r, nl, name, why, whylen))
        return -1;
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

/* ---- the portal's form body ----------------------------------------------------------- */

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = ascii_upper(c);
    return (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
}

/* application/x-www-form-urlencoded: '+' is a space, %XX a byte.  -1 on a bad escape. */
static int form_decode(const char *s, size_t len, edb__buf *out)
{
    out->len = 0;
    if (edb__buf_reserve(out, len) != 0)
        return -2;
    for (size_t k = 0; k < len; k++) {
        char c = s[k];
        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            int hi = k + 2 < len ? hexval(s[k + 1]) : -1, lo = k + 2 < len ? hexval(s[k + 2]) : -1;
            if (k + 2 >= len || hi < 0 || lo < 0)
                return -1;
            c = (char)(hi * 16 + lo);
            k += 2;
        }
        out->p[out->len++] = c;
    }
    out->p[out->len] = '\0';
    return 0;
}

/* The value of field `key` of a form body, decoded into out: 1 found, 0 not there, -1
 * malformed (why says how). */
static int form_field(const char *body, size_t len, const char *key, edb__buf *out, char *why,
                      size_t whylen)
{
    int found = 0;
    size_t kl = strlen(key);
    edb__buf name = {0};
    for (size_t a = 0; a <= len;) {
        size_t b = a;
        while (b < len && body[b] != '&')
            b++;
        size_t eq = a;
        while (eq < b && body[eq] != '=')
            eq++;
        int r = form_decode(body + a, eq - a, &name);
        if (r == 0 && name.len == kl && memcmp(name.p, key, kl) == 0) {
            if (found) {
                snprintf(why, whylen, "the form has two '%s' fields", key);
                edb__buf_free(&name);
                return -1;
            }
            found = 1;
            r = form_decode(eq < b ? body + eq + 1 : body + b, eq < b ? b - eq - 1 : 0, out);
        }
        if (r == -2) {
            snprintf(why, whylen, "out of memory");
            edb__buf_free(&name);
            return -1;
        }
        if (r != 0) {
            snprintf(why, whylen, "the form body has a bad %%-escape (at byte %zu)", a + 1);
            edb__buf_free(&name);
            return -1;
        }
        a = b + 1;
    }
    edb__buf_free(&name);
    return found;
}

/* An optional positive integer member: 0 fine (*v = 0 when absent), -1 not one. */
static int opt_count(json_t *o, const char *key, int64_t *v)
{
    json_t *j = json_object_get(o, key);
    *v = 0;
    if (!j || json_is_null(j))
        return 0;
    if (!json_is_integer(j) || json_integer_value(j) < 1)
        return -1;
    *v = (int64_t)json_integer_value(j);
    return 0;
}

int edb__portal_parse(const char *body, size_t len, edb__portal_request *out, char *why,
                      size_t whylen)
{
    memset(out, 0, sizeof *out);
    edb__buf js = {0};
    if (len == 0) {
        snprintf(why, whylen, "empty body: a portal request is the form body "
                 "request=<URL-encoded JSON>");
        return -1;
    }
    int r = form_field(body, len, "request", &js, why, whylen);
    if (r == 0)
        snprintf(why, whylen, "the form body has no 'request' field (expected "
                 "request=<URL-encoded JSON>)");
    if (r != 1) {
        edb__buf_free(&js);
        return -1;
    }
    json_error_t je;
    json_t *root = json_loadb(js.p, js.len, JSON_REJECT_DUPLICATES, &je);
    edb__buf_free(&js);
    if (!root) {
        snprintf(why, whylen, "the request is not JSON: %s (at character %d)", je.text,
                 je.position);
        return -1;
    }
    int rc = 1;
    if (!json_is_object(root)) {
        snprintf(why, whylen, "the request is not a JSON object");
        rc = -1;
        goto done;
    }
    json_t *svc = json_object_get(root, "service"), *params = json_object_get(root, "params");
    json_t *fmt = json_object_get(root, "format");
    if (!json_is_string(svc)) {
        snprintf(why, whylen, "the request names no service (\"service\": \"Mast.JwstEdb.Mnemonics\")");
        goto done;
    }
    const char *name = json_string_value(svc);
    char shown[80];
    edb__excerpt(name, json_string_length(svc), 60, shown, sizeof shown);
    if (strcmp(name, "Mast.JwstEdb.Mnemonics") == 0) {
        out->service = EDB__PORTAL_MNEMONICS;
    } else if (strcmp(name, "Mast.JwstEdb.Dictionary") == 0) {
        out->service = EDB__PORTAL_DICTIONARY;
    } else {
        snprintf(why, whylen, "unknown service '%s' (edbx serve answers Mast.JwstEdb.Mnemonics "
                 "and Mast.JwstEdb.Dictionary)", shown);
        goto done;
    }
    if (params && !json_is_object(params)) {
        snprintf(why, whylen, "%s: params must be a JSON object", name);
        goto done;
    }
    if (fmt && !json_is_null(fmt) &&
        !(json_is_string(fmt) && strcmp(json_string_value(fmt), "json") == 0)) {
        snprintf(why, whylen, "%s: only the format \"json\" is served", name);
        goto done;
    }
    if (opt_count(root, "pagesize", &out->pagesize) != 0 || opt_count(root, "page", &out->page) != 0) {
        snprintf(why, whylen, "%s: pagesize and page must be whole numbers from 1", name);
        goto done;
    }
    if (out->service == EDB__PORTAL_DICTIONARY) {
        json_t *mn = params ? json_object_get(params, "mnemonic") : NULL;
        char mwhy[200];
        if (!json_is_string(mn)) {
            snprintf(why, whylen, "%s: params need a mnemonic ({\"mnemonic\": \"SA_ZATTEST1\"})",
                     name);
            goto done;
        }
        /* (jansson refuses \u0000 unless asked: the string holds no NUL) */
        edb_err e = EDB_ERR_INIT;
        if (edb_mnemonic_normalize(json_string_value(mn), out->mnemonic, sizeof out->mnemonic,
                                   &e) != EDB_OK) {
            snprintf(mwhy, sizeof mwhy, "%.190s", e.msg);
            snprintf(why, whylen, "%s: %s", name, mwhy);
            goto done;
        }
    }
    rc = 0;
done:
    json_decref(root);
    return rc;
}

/* ---- body sources --------------------------------------------------------------------- */

/* A reply body of known length, read front to back in pieces. */
typedef struct body {
    uint64_t len;
    size_t (*read)(void *ctx, char *buf, size_t max);
    void (*free)(void *ctx);
    void *ctx;
} body;

typedef struct mem_src {
    char *p;
    size_t len, pos;
} mem_src;

static size_t mem_read(void *ctx, char *buf, size_t max)
{
    mem_src *m = ctx;
    size_t n = m->len - m->pos < max ? m->len - m->pos : max;
    memcpy(buf, m->p + m->pos, n);
    m->pos += n;
    return n;
}

static void mem_free(void *ctx)
{
    mem_src *m = ctx;
    free(m->p);
    free(m);
}

/* Takes b's memory. */
static int body_from_buf(body *out, edb__buf *b)
{
    mem_src *m = calloc(1, sizeof *m);
    if (!m)
        return -1;
    m->p = b->p;
    m->len = b->len;
    b->p = NULL;
    b->len = b->cap = 0;
    out->len = m->len;
    out->read = mem_read;
    out->free = mem_free;
    out->ctx = m;
    return 0;
}

/* A data reply: a generator over a window of the store's series, described by a series
 * header whose arrays point into the shared one (never freed through it). */
typedef struct gen_src {
    edb_series view;
    edb__reply_gen *g;
} gen_src;

static size_t gen_read(void *ctx, char *buf, size_t max)
{
    return edb__reply_gen_read(((gen_src *)ctx)->g, buf, max);
}

static void gen_free(void *ctx)
{
    gen_src *gs = ctx;
    edb__reply_gen_free(gs->g);
    free(gs);
}

static const uint64_t *find_lens(edb_server *s, edb__reply_kind kind, const edb_series *all)
{
    for (size_t k = 0; k < s->n_lens; k++)
        if (s->lens[k].s == all && s->lens[k].kind == kind)
            return s->lens[k].cum;
    return NULL;
}

/* The table of `all` for `kind`, made on first use (outside the lock: a long series takes a
 * while; if another thread made it meanwhile, theirs is kept).  NULL when out of memory. */
static const uint64_t *lens_of(edb_server *s, edb__reply_kind kind, const edb_series *all)
{
    pthread_mutex_lock(&s->mu);
    const uint64_t *cum = find_lens(s, kind, all);
    pthread_mutex_unlock(&s->mu);
    if (cum)
        return cum;
    size_t nb = all->n / LEN_BLOCK + 1;
    uint64_t *mine = malloc((nb + 1) * sizeof *mine);
    if (!mine)
        return NULL;
    mine[0] = 0;
    for (size_t b = 0; b < nb; b++) {
        size_t lo = b * LEN_BLOCK, hi = lo + LEN_BLOCK < all->n ? lo + LEN_BLOCK : all->n;
        mine[b + 1] = mine[b] + (lo < hi ? edb__reply_rows_length(kind, all, lo, hi) : 0);
    }
    pthread_mutex_lock(&s->mu);
    cum = find_lens(s, kind, all);
    if (!cum && s->n_lens == s->cap_lens) {
        size_t cap = s->cap_lens ? s->cap_lens * 2 : 16;
        len_table *t = realloc(s->lens, cap * sizeof *t);
        if (t) {
            s->lens = t;
            s->cap_lens = cap;
        }
    }
    if (!cum && s->n_lens < s->cap_lens) {
        s->lens[s->n_lens].s = all;
        s->lens[s->n_lens].kind = kind;
        s->lens[s->n_lens].cum = mine;
        s->n_lens++;
        cum = mine;
        mine = NULL;
    }
    pthread_mutex_unlock(&s->mu);
    free(mine);
    return cum;
}

/* The rows' length of [0, x): whole blocks from the table, the rest formatted. */
static uint64_t rows_before(const uint64_t *cum, edb__reply_kind kind, const edb_series *all,
                            size_t x)
{
    size_t b = x / LEN_BLOCK;
    return cum[b] + (b * LEN_BLOCK < x ? edb__reply_rows_length(kind, all, b * LEN_BLOCK, x) : 0);
}

static edb_status body_from_window(edb_server *s, body *out, edb__reply_kind kind,
                                   const edb_series *all, size_t lo, size_t hi, int all_points,
                                   int64_t rs, int64_t re)
{
    const uint64_t *cum = lens_of(s, kind, all);
    if (!cum)
        return EDB_ERR_NOMEM;
    uint64_t rows = rows_before(cum, kind, all, hi) - rows_before(cum, kind, all, lo);
    gen_src *gs = calloc(1, sizeof *gs);
    if (!gs)
        return EDB_ERR_NOMEM;
    edb_series *v = &gs->view;
    v->mnemonic = all->mnemonic;
    v->vtype = all->vtype;
    memcpy(v->sqltype, all->sqltype, sizeof v->sqltype);
    v->all_points = all_points;
    v->n = hi - lo;
    if (v->n > 0) {
        v->t = all->t + lo;
        if (all->d)
            v->d = all->d + lo;
        if (all->i)
            v->i = all->i + lo;
        if (all->soff) {
            v->soff = all->soff + lo; /* offsets into the same sbuf */
            v->sbuf = all->sbuf;
        }
    }
    edb_status st = edb__reply_gen_new_sized(&gs->g, kind, v, rs, re, rows);
    if (st != EDB_OK) {
        free(gs);
        return st;
    }
    out->len = edb__reply_gen_length(gs->g);
    out->read = gen_read;
    out->free = gen_free;
    out->ctx = gs;
    return EDB_OK;
}

/* Metadata lists (B and EDP's TlmMnemonics, the portal's data): the matching entries of a
 * table, one record at a time, between a head and a tail made up front. */
typedef enum list_kind { L_META, L_PORTAL_MNEMONICS, L_PORTAL_DICTIONARY } list_kind;

typedef struct list_src {
    const edb_meta *m;
    list_kind kind;
    char filter[EDB_MNEMONIC_MAX + 1]; /* L_META: a substring ("" all); DICTIONARY: the name */
    size_t skip, take;                 /* matches to pass over, then to send */
    edb__buf head, tail, cur;
    int phase;                         /* 0 head, 1 records, 2 tail, 3 done */
    size_t i, seen, sent, pos;
} list_src;

static int list_match(const list_src *l, const edb_meta_entry *e)
{
    if (l->kind == L_META)
        return !l->filter[0] || strstr(e->mnemonic, l->filter) != NULL;
    if (l->kind == L_PORTAL_DICTIONARY)
        return strcmp(e->mnemonic, l->filter) == 0;
    return 1;
}

static size_t list_count(const list_src *l)
{
    size_t n = 0;
    for (size_t i = 0; i < edb_meta_count(l->m); i++)
        n += (size_t)list_match(l, edb_meta_get(l->m, i));
    return n;
}

static int put_str_or(edb__buf *b, const char *s, const char *unknown)
{
    if (!s)
        return edb__buf_printf(b, "%s", unknown);
    return edb__json_append_string(b, s, strlen(s));
}

/* "VARCHAR(50)" -> "varchar": the portal's spelling. */
static int put_portal_sqltype(edb__buf *b, const char *s)
{
    if (!s)
        return edb__buf_printf(b, "null");
    char t[32];
    size_t o = 0;
    for (; *s && *s != '(' && o + 1 < sizeof t; s++)
        t[o++] = (*s >= 'A' && *s <= 'Z') ? (char)(*s - 'A' + 'a') : *s;
    return edb__json_append_string(b, t, o);
}

/* One record into l->cur.  B/EDP's form is also a Python literal: unknown texts are "",
 * an unknown AllPoints 1 (every sample, the common case); the portal says null. */
static int list_record(list_src *l, const edb_meta_entry *e)
{
    edb__buf *b = &l->cur;
    b->len = 0;
    int r = l->sent ? edb__buf_append(b, ",", 1) : 0;
    if (l->kind == L_META) {
        r |= edb__buf_printf(b, "{\"TlmMnemonic\":");
        r |= put_str_or(b, e->mnemonic, "\"\"");
        r |= edb__buf_printf(b, ",\"Subsystem\":");
        r |= put_str_or(b, e->subsystem, "\"\"");
        r |= edb__buf_printf(b, ",\"RawType\":");
        r |= put_str_or(b, e->raw_type, "\"\"");
        r |= edb__buf_printf(b, ",\"EUType\":");
        r |= put_str_or(b, e->eu_type, "\"\"");
        r |= edb__buf_printf(b, ",\"SQLType\":");
        r |= put_str_or(b, e->sqltype, "\"\"");
        r |= edb__buf_printf(b, ",\"AllPoints\":%d}", e->all_points == 0 ? 0 : 1);
        return r;
    }
    r |= edb__buf_printf(b, "{\"tlmMnemonic\":");
    r |= put_str_or(b, e->mnemonic, "null");
    if (e->tlm_identifier >= 0)
        r |= edb__buf_printf(b, ",\"tlmIdentifier\":%" PRId64, e->tlm_identifier);
    else
        r |= edb__buf_printf(b, ",\"tlmIdentifier\":null");
    r |= edb__buf_printf(b, ",\"description\":");
    r |= put_str_or(b, e->description, "null");
    r |= edb__buf_printf(b, ",\"sqlDataType\":");
    r |= put_portal_sqltype(b, e->sqltype);
    r |= edb__buf_printf(b, ",\"subsystem\":");
    r |= put_str_or(b, e->subsystem, "null");
    r |= edb__buf_printf(b, ",\"unit\":");
    r |= put_str_or(b, e->unit, "null");
    if (l->kind == L_PORTAL_DICTIONARY) {
        r |= edb__buf_printf(b, ",\"longDescription\":");
        r |= put_str_or(b, e->long_description, "null");
    }
    return r | edb__buf_append(b, "}", 1);
}

/* Out of memory while formatting a record cannot be reported mid-body: the body ends
 * there and the client sees it cut short (its length was announced). */
static size_t list_read(void *ctx, char *buf, size_t max)
{
    list_src *l = ctx;
    size_t out = 0;
    while (out < max && l->phase < 3) {
        edb__buf *src = l->phase == 0 ? &l->head : l->phase == 2 ? &l->tail : &l->cur;
        if (l->pos < src->len) {
            size_t n = src->len - l->pos < max - out ? src->len - l->pos : max - out;
            memcpy(buf + out, src->p + l->pos, n);
            l->pos += n;
            out += n;
            continue;
        }
        l->pos = 0;
        if (l->phase != 1) {
            l->phase++;
            l->cur.len = 0;
            continue;
        }
        l->cur.len = 0;
        while (l->i < edb_meta_count(l->m) && l->sent < l->take) {
            const edb_meta_entry *e = edb_meta_get(l->m, l->i++);
            if (!list_match(l, e))
                continue;
            if (l->seen++ < l->skip)
                continue;
            if (list_record(l, e) != 0)
                return out;
            l->sent++;
            break;
        }
        if (l->cur.len == 0)
            l->phase = 2;
    }
    return out;
}

static void list_rewind(list_src *l)
{
    l->phase = 0;
    l->i = l->seen = l->sent = l->pos = 0;
    l->cur.len = 0;
}

static void list_free(void *ctx)
{
    list_src *l = ctx;
    if (!l)
        return;
    edb__buf_free(&l->head);
    edb__buf_free(&l->tail);
    edb__buf_free(&l->cur);
    free(l);
}

/* Takes l (its head and tail are made); the length by one pass, as reply.c does. */
static int body_from_list(body *out, list_src *l)
{
    char scratch[8192];
    size_t got;
    uint64_t len = 0;
    list_rewind(l);
    while ((got = list_read(l, scratch, sizeof scratch)) > 0)
        len += got;
    if (l->phase != 3) { /* out of memory on the way */
        list_free(l);
        return -1;
    }
    list_rewind(l);
    out->len = len;
    out->read = list_read;
    out->free = list_free;
    out->ctx = l;
    return 0;
}

/* ---- replies -------------------------------------------------------------------------- */

typedef struct reply {
    unsigned status;
    const char *ctype;
    edb__buf text;     /* a body built in memory ... */
    body src;          /* ... or a streamed one (src.read set) */
    const char *hname, *hval; /* one extra header, or NULL */
    char hbuf[32];
    long truncate;     /* < 0: send it all */
    int chop;          /* --chop-eol applies to this reply */
    char what[160];    /* for the log: the portal service and page */
} reply;

typedef struct stream {
    body b;
    uint64_t limit; /* bytes to send before failing the transfer */
} stream;

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    stream *st = cls;
    if (pos >= st->limit)
        return MHD_CONTENT_READER_END_WITH_ERROR;
    if (max > st->limit - pos)
        max = (size_t)(st->limit - pos);
    size_t got = st->b.read(st->b.ctx, buf, max);
    /* A source that runs dry before its announced length (out of memory): end the
     * transfer as failed rather than let MHD ask again forever. */
    return got ? (ssize_t)got : MHD_CONTENT_READER_END_WITH_ERROR;
}

static void stream_free(void *cls)
{
    stream *st = cls;
    if (st->b.free)
        st->b.free(st->b.ctx);
    free(st);
}

/* How many bytes --chop-eol drops from the end of a body: its line end (CSV) or its last
 * byte (JSON, which has no line end: the closing brace). */
static uint64_t chop_bytes(const char *ctype, const body *b)
{
    if (strncmp(ctype, "text/csv", 8) != 0)
        return b->len > 0 ? 1 : 0;
    /* every path A body ends in CRLF, the header line at least; a saved one is checked */
    if (b->read == mem_read) {
        const mem_src *m = b->ctx;
        if (m->len >= 1 && m->p[m->len - 1] == '\n')
            return m->len >= 2 && m->p[m->len - 2] == '\r' ? 2 : 1;
        return 0;
    }
    return b->len >= 2 ? 2 : 0;
}

static void reply_drop(reply *r)
{
    edb__buf_free(&r->text);
    if (r->src.free)
        r->src.free(r->src.ctx);
    memset(&r->src, 0, sizeof r->src);
}

/* Queue r (its body is taken) and log the request line.  `req` is already sanitised. */
static mhd_ret send_reply(edb_server *s, struct MHD_Connection *c, const char *method,
                          const char *reqline, reply *r)
{
    if (!r->src.read && body_from_buf(&r->src, &r->text) != 0) {
        reply_drop(r);
        return MHD_NO;
    }
    stream *st = calloc(1, sizeof *st);
    if (!st) {
        reply_drop(r);
        return MHD_NO;
    }
    st->b = r->src;
    memset(&r->src, 0, sizeof r->src);
    uint64_t announce = st->b.len;
    if (r->chop)
        announce -= chop_bytes(r->ctype, &st->b);
    st->limit = announce;
    int cut = r->truncate >= 0 && (uint64_t)r->truncate < announce;
    if (cut)
        st->limit = (uint64_t)r->truncate;
    struct MHD_Response *resp =
        MHD_create_response_from_callback(announce, SEND_BLOCK, stream_read, st, stream_free);
    if (!resp) {
        stream_free(st);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->ctype);
    if (r->hname)
        MHD_add_response_header(resp, r->hname, r->hval);
    mhd_ret ret = MHD_queue_response(c, r->status, resp);
    MHD_destroy_response(resp); /* st is MHD's now: it may already be freed */
    if (cut)
        logf_(s, "%s %s%s -> %u (%" PRIu64 " bytes, cut after %ld)", method, reqline, r->what,
              r->status, announce, r->truncate);
    else
        logf_(s, "%s %s%s -> %u (%" PRIu64 " bytes)", method, reqline, r->what, r->status,
              announce);
    return ret;
}

static void reply_text(reply *r, unsigned status, const char *fmt, ...) EDB__PRINTF(3, 4);

static void reply_text(reply *r, unsigned status, const char *fmt, ...)
{
    reply_drop(r);
    r->status = status;
    r->ctype = "text/plain; charset=utf-8";
    va_list ap;
    va_start(ap, fmt);
    char msg[600];
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    edb__buf_printf(&r->text, "%s\n", msg);
}

/* An error as JSON: the EDP API's {"detail": "..."}; path B's {"Message": "..."} (what the
 * direct service sends is unknown, but it must be JSON: jwst's EngdbDirect decodes the
 * body of every reply before it looks at the status). */
static void reply_json_error(reply *r, unsigned status, const char *key, const char *msg)
{
    reply_drop(r);
    r->status = status;
    r->ctype = "application/json";
    edb__buf_printf(&r->text, "{\"%s\": ", key);
    edb__json_append_string(&r->text, msg, strlen(msg));
    edb__buf_printf(&r->text, "}");
}

/* ---- routes ----------------------------------------------------------------------------- */

typedef enum route {
    R_NONE,
    R_PROBE,
    R_A_DATA,
    R_B_DATA,
    R_B_META,
    R_EDP_DATA,
    R_EDP_META,
    R_PORTAL,
    R_COLCONF
} route;

/* Which route url is, with *rest pointing at what follows its fixed part. */
static route route_of(const char *url, const char **rest)
{
    size_t bl = strlen(B_PREFIX), el = strlen(EDP_PREFIX);
    *rest = "";
    /* path A's aliveness check (jwst: GET api/) and EDP's (romancal: GET edp/) */
    if (strcmp(url, "/api") == 0 || strcmp(url, "/api/") == 0 || strcmp(url, "/edp") == 0 ||
        strcmp(url, "/edp/") == 0)
        return R_PROBE;
    if (strcmp(url, A_DATA) == 0)
        return R_A_DATA;
    if (strcmp(url, PORTAL_INVOKE) == 0)
        return R_PORTAL;
    if (strcmp(url, PORTAL_COLCONF) == 0)
        return R_COLCONF;
    if (strncmp(url, B_PREFIX, bl) == 0) {
        const char *p = url + bl;
        if (strncmp(p, "Data/", 5) == 0) {
            *rest = p + 5;
            return R_B_DATA;
        }
        if (strcmp(p, "MetaData/TlmMnemonics") == 0)
            return R_B_META;
        if (strncmp(p, "MetaData/TlmMnemonics/", 22) == 0) {
            *rest = p + 22;
            return R_B_META;
        }
        return R_NONE;
    }
    if (strncmp(url, EDP_PREFIX, el) == 0) {
        const char *m = url + el, *sl = strchr(m, '/');
        size_t ml = sl ? (size_t)(sl - m) : 0;
        if (ml == 0 || ml > 32)
            return R_NONE;
        for (size_t k = 0; k < ml; k++) {
            char c = ascii_upper(m[k]);
            if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
                return R_NONE;
        }
        if (strcmp(sl, "/data") == 0)
            return R_EDP_DATA;
        if (strcmp(sl, "/metadata") == 0)
            return R_EDP_META;
    }
    return R_NONE;
}

/* An error in the route's own form. */
static void reply_error(reply *r, route rt, unsigned status, const char *msg)
{
    if (rt == R_EDP_DATA || rt == R_EDP_META)
        reply_json_error(r, status, "detail", msg);
    else if (rt == R_B_DATA || rt == R_B_META)
        reply_json_error(r, status, "Message", msg);
    else
        reply_text(r, status, "%s", msg);
}

/* Constant time in the token's content, so that timing does not reveal how many leading
 * characters of a guess were right. */
static int same_secret(const char *want, size_t wl, const char *h, size_t hl)
{
    unsigned char diff = (unsigned char)(hl != wl);
    for (size_t k = 0; k < wl; k++)
        diff |= (unsigned char)((k < hl ? (unsigned char)h[k] : 0) ^ (unsigned char)want[k]);
    return diff == 0;
}

/* The token as each client sends it: "Authorization: token T" (jwst, romancal, edbx), or
 * for the portal the cookie astroquery's login sets (mast_token=T). */
static int auth_ok(const edb_server *s, struct MHD_Connection *c, route rt)
{
    if (!s->auth)
        return 1;
    const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    if (h && same_secret(s->auth, s->auth_len, h, strlen(h)))
        return 1;
    if (rt != R_PORTAL)
        return 0;
    const char *ck = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, "mast_token");
    return ck && same_secret(s->auth + 6, s->auth_len - 6, ck, strlen(ck));
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

/* A store failure as the route's error: 404 for a mnemonic it does not have, else 500
 * (503 when out of memory) with the details in the log only. */
static void store_error(edb_server *s, reply *r, route rt, const char *reqline, const char *name,
                        edb_status st, const edb_err *err)
{
    char msg[300];
    if (st == EDB_ERR_NOT_FOUND) {
        snprintf(msg, sizeof msg, "%s: no such mnemonic", name);
        reply_error(r, rt, MHD_HTTP_NOT_FOUND, msg);
        return;
    }
    /* The details (file names of the store) go to the operator's log, not the client. */
    logf_(s, "%s: store error: %s", reqline, err->msg);
    snprintf(msg, sizeof msg, "%s: the store could not answer (%s)", name, edb_strerror(st));
    reply_error(r, rt, st == EDB_ERR_NOMEM ? MHD_HTTP_SERVICE_UNAVAILABLE
                                            : MHD_HTTP_INTERNAL_SERVER_ERROR, msg);
}

static int all_points_of(const edb_server *s, const char *name)
{
    const edb_meta_entry *e = edb_meta_find(s->bmeta, name);
    return e ? e->all_points : -1;
}

static void data_reply(edb_server *s, reply *r, route rt, const char *reqline, const char *name,
                       edb_time start, edb_time end)
{
    edb_err err = EDB_ERR_INIT;
    edb_status st;
    if (rt == R_A_DATA && edb__store_has_saved(s->store, name, start, end)) {
        /* Asked for exactly what was saved: the bytes as received. */
        st = edb__store_reply(s->store, name, start, end, &r->text, &err);
    } else {
        const edb_series *all = NULL;
        size_t lo = 0, hi = 0;
        st = edb__store_window(s->store, name, start, end, 1, &all, &lo, &hi, &err);
        if (st == EDB_OK) {
            edb__reply_kind kind = rt == R_A_DATA   ? EDB__REPLY_MAST_CSV
                                   : rt == R_B_DATA ? EDB__REPLY_DIRECT_JSON
                                                    : EDB__REPLY_EDP_JSON;
            st = body_from_window(s, &r->src, kind, all, lo, hi, all_points_of(s, name), start,
                                  end);
            if (st != EDB_OK)
                edb__fail(&err, st, "cannot format the reply (%s)", edb_strerror(st));
        }
    }
    if (st != EDB_OK) {
        store_error(s, r, rt, reqline, name, st, &err);
        return;
    }
    r->status = MHD_HTTP_OK;
    r->ctype = rt == R_A_DATA ? "text/csv" : "application/json";
}

static void meta_reply(edb_server *s, reply *r, route rt, const char *search)
{
    list_src *l = calloc(1, sizeof *l);
    if (!l) {
        reply_error(r, rt, MHD_HTTP_SERVICE_UNAVAILABLE, "out of memory");
        return;
    }
    l->m = s->bmeta;
    l->kind = L_META;
    snprintf(l->filter, sizeof l->filter, "%s", search);
    l->take = SIZE_MAX;
    if (edb__buf_printf(&l->head, "{\"Count\":%zu,\"TlmMnemonics\":[", list_count(l)) != 0 ||
        edb__buf_printf(&l->tail, "]}") != 0 || body_from_list(&r->src, l) != 0) {
        if (!r->src.read)
            list_free(l);
        reply_error(r, rt, MHD_HTTP_SERVICE_UNAVAILABLE, "out of memory");
        return;
    }
    r->status = MHD_HTTP_OK;
    r->ctype = "application/json";
}

/* ---- the portal --------------------------------------------------------------------- */

static void portal_status(reply *r, const char *status, const char *msg)
{
    reply_drop(r);
    r->status = MHD_HTTP_OK;
    r->ctype = "application/json";
    edb__buf_printf(&r->text, "{\"status\":\"%s\",\"msg\":", status);
    edb__json_append_string(&r->text, msg, strlen(msg));
    edb__buf_printf(&r->text, ",\"data\":[],\"fields\":[]}");
}

static uint64_t fnv1a(const char *p, size_t n)
{
    uint64_t h = UINT64_C(14695981039346656037);
    for (size_t k = 0; k < n; k++) {
        h ^= (unsigned char)p[k];
        h *= UINT64_C(1099511628211);
    }
    return h;
}

/* Has this very request (same body: astroquery's carries a cacheBreaker per call, and the
 * page) been told EXECUTING portal_executing times yet?  Counts this one. */
static int still_executing(edb_server *s, const edb__buf *form)
{
    if (s->portal_executing <= 0)
        return 0;
    uint64_t key = fnv1a(form->p ? form->p : "", form->len);
    pthread_mutex_lock(&s->mu);
    exec_slot *slot = NULL, *old = &s->exec[0];
    for (int k = 0; k < EXEC_SLOTS; k++) {
        if (s->exec[k].used && s->exec[k].key == key) {
            slot = &s->exec[k];
            break;
        }
        if (s->exec[k].used < old->used)
            old = &s->exec[k];
    }
    if (!slot) {
        slot = old;
        slot->key = key;
        slot->seen = 0;
    }
    slot->used = ++s->exec_clock;
    int executing = slot->seen < s->portal_executing;
    if (executing)
        slot->seen++;
    pthread_mutex_unlock(&s->mu);
    return executing;
}

static const char portal_fields[] =
    "{\"name\":\"tlmMnemonic\",\"type\":\"string\"},{\"name\":\"tlmIdentifier\",\"type\":\"int\"},"
    "{\"name\":\"description\",\"type\":\"string\"},{\"name\":\"sqlDataType\",\"type\":\"string\"},"
    "{\"name\":\"subsystem\",\"type\":\"string\"},{\"name\":\"unit\",\"type\":\"string\"}";

static void portal_reply(edb_server *s, reply *r, struct MHD_Connection *c, const req *q)
{
    const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    if (!ct || !ascii_ieq_prefix(ct, "application/x-www-form-urlencoded")) {
        char shown[80];
        reply_text(r, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE,
                   "bad request: the body must be a form (Content-Type: "
                   "application/x-www-form-urlencoded), not '%s'",
                   ct ? edb__excerpt(ct, strlen(ct), 60, shown, sizeof shown) : "(none)");
        return;
    }
    edb__portal_request pr;
    char why[400];
    int rc = edb__portal_parse(q->body.p, q->body.len, &pr, why, sizeof why);
    if (rc < 0) {
        reply_text(r, MHD_HTTP_BAD_REQUEST, "bad request: %s", why);
        return;
    }
    if (rc > 0) {
        snprintf(r->what, sizeof r->what, " [ERROR]");
        portal_status(r, "ERROR", why);
        return;
    }
    const char *svc = pr.service == EDB__PORTAL_MNEMONICS ? "Mast.JwstEdb.Mnemonics"
                                                          : "Mast.JwstEdb.Dictionary";
    if (still_executing(s, &q->body)) {
        snprintf(r->what, sizeof r->what, " [%s EXECUTING]", svc);
        portal_status(r, "EXECUTING", "");
        return;
    }
    list_src *l = calloc(1, sizeof *l);
    if (!l) {
        reply_text(r, MHD_HTTP_SERVICE_UNAVAILABLE, "out of memory");
        return;
    }
    l->m = s->inv;
    l->kind = pr.service == EDB__PORTAL_MNEMONICS ? L_PORTAL_MNEMONICS : L_PORTAL_DICTIONARY;
    snprintf(l->filter, sizeof l->filter, "%s", pr.mnemonic);
    size_t total = list_count(l);
    /* No pagesize: everything on one page.  Huge values are fine: nothing is multiplied
     * before it is known to be within the row count. */
    uint64_t size = pr.pagesize > 0 ? (uint64_t)pr.pagesize : (total ? total : 1);
    uint64_t page = pr.page > 0 ? (uint64_t)pr.page : 1;
    uint64_t pages = total / size + (total % size != 0);
    if (pages == 0)
        pages = 1; /* one page, empty */
    size_t rows = 0;
    if (page - 1 < (total + size - 1) / size) {
        l->skip = (size_t)((page - 1) * size);
        rows = total - l->skip < size ? total - l->skip : (size_t)size;
    } else {
        l->skip = total;
    }
    l->take = rows;
    int bad = edb__buf_printf(&l->head, "{\"status\":\"COMPLETE\",\"msg\":\"\",\"data\":[");
    bad |= edb__buf_printf(&l->tail, "],\"fields\":[%s%s],\"paging\":{\"page\":%" PRIu64
                           ",\"pageSize\":%" PRIu64 ",\"pagesFiltered\":%" PRIu64 ",\"rows\":%zu,"
                           "\"rowsFiltered\":%zu,\"rowsTotal\":%zu}}",
                           portal_fields,
                           l->kind == L_PORTAL_DICTIONARY
                               ? ",{\"name\":\"longDescription\",\"type\":\"string\"}"
                               : "",
                           page, size, pages, rows, total, total);
    if (bad || body_from_list(&r->src, l) != 0) {
        if (!r->src.read)
            list_free(l);
        reply_text(r, MHD_HTTP_SERVICE_UNAVAILABLE, "out of memory");
        return;
    }
    snprintf(r->what, sizeof r->what, " [%s page %" PRIu64 "]", svc, page);
    r->status = MHD_HTTP_OK;
    r->ctype = "application/json";
}

/* ---- one request ---------------------------------------------------------------------- */

static mhd_ret add_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    edb__buf *b = cls;
    char k[100], v[300];
    if (b->len > 400)
        return MHD_NO;
    edb__excerpt(key, strlen(key), 60, k, sizeof k);
    edb__excerpt(value ? value : "", value ? strlen(value) : 0, 250, v, sizeof v);
    edb__buf_printf(b, "%c%s=%s", b->len ? '&' : '?', k, v);
    return MHD_YES;
}

/* The request line for the log: the path and its (decoded) arguments, control bytes
 * shown as '?', cut at a few hundred bytes. */
static void describe(struct MHD_Connection *c, const char *url, char *out, size_t n)
{
    edb__buf args = {0};
    MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, add_arg, &args);
    char path[300];
    edb__excerpt(url, strlen(url), 250, path, sizeof path);
    snprintf(out, n, "%s%s", path, args.p ? args.p : "");
    edb__buf_free(&args);
}

static conn *conn_of(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? (conn *)ci->socket_context : NULL;
}

/* The request is in: it is no longer subject to the arrival deadline. */
static void request_arrived(edb_server *s, conn *cn)
{
    if (!cn)
        return;
    pthread_mutex_lock(&s->mu);
    cn->deadline = 0;
    pthread_mutex_unlock(&s->mu);
}

/* Suspend c for us microseconds (the watchdog resumes it).  0 if the server is stopping
 * (then the caller answers at once). */
static int suspend_for(edb_server *s, struct MHD_Connection *c, conn *cn, int64_t us)
{
    if (!cn)
        return 0;
    pthread_mutex_lock(&s->mu);
    if (s->stopping) {
        pthread_mutex_unlock(&s->mu);
        return 0;
    }
    cn->suspending = 1;
    pthread_mutex_unlock(&s->mu);
    MHD_suspend_connection(c);
    pthread_mutex_lock(&s->mu);
    cn->suspending = 0;
    cn->suspended = 1;
    cn->resume_at = mono_us() + us;
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
    return 1;
}

static void fault_reply(edb_server *s, reply *r, route rt, const char *prefix)
{
    int code = s->fault_status ? s->fault_status : MHD_HTTP_SERVICE_UNAVAILABLE;
    char msg[80];
    snprintf(msg, sizeof msg, "%sfault: HTTP %d", prefix, code);
    reply_error(r, rt, (unsigned)code, msg);
    if (s->retry_after >= 0) {
        snprintf(r->hbuf, sizeof r->hbuf, "%d", s->retry_after);
        r->hname = MHD_HTTP_HEADER_RETRY_AFTER;
        r->hval = r->hbuf;
    }
}

static mhd_ret dispatch(edb_server *s, struct MHD_Connection *c, const char *url,
                        const char *method, req *q)
{
    reply r;
    memset(&r, 0, sizeof r);
    r.truncate = -1;
    char reqline[800], meth[16], why[600];
    describe(c, url, reqline, sizeof reqline);
    edb__excerpt(method, strlen(method), 10, meth, sizeof meth);
    const char *rest;
    route rt = route_of(url, &rest);
    int is_get = strcmp(method, MHD_HTTP_METHOD_GET) == 0 || strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
    int is_post = strcmp(method, MHD_HTTP_METHOD_POST) == 0;
    int post_route = rt == R_PORTAL || rt == R_COLCONF;

    if (rt == R_NONE) {
        reply_text(&r, MHD_HTTP_NOT_FOUND, "not found: %s", reqline);
        return send_reply(s, c, meth, reqline, &r);
    }
    if (post_route ? !is_post : !is_get) {
        /* HEAD is GET without the body (MHD drops it), as every HTTP server must allow. */
        reply_text(&r, MHD_HTTP_METHOD_NOT_ALLOWED, "method %s not allowed here: use %s", meth,
                   post_route ? "POST" : "GET");
        r.hname = MHD_HTTP_HEADER_ALLOW;
        r.hval = post_route ? "POST" : "GET, HEAD";
        return send_reply(s, c, meth, reqline, &r);
    }
    if (q->too_large) {
        reply_text(&r, MHD_HTTP_CONTENT_TOO_LARGE, "bad request: the body is larger than %zu "
                   "bytes (a portal request is a few hundred)", BODY_MAX);
        return send_reply(s, c, meth, reqline, &r);
    }
    if (rt == R_PROBE) {
        r.status = MHD_HTTP_OK;
        r.ctype = "application/json";
        edb__buf_printf(&r.text,
                        "{\"service\":\"edbx serve\",\"version\":\"%s\",\"data\":\"%s\","
                        "\"direct\":\"%s\",\"edp\":\"%sjwst/\",\"portal\":\"%s\"}\n",
                        edb_version(), A_DATA, B_PREFIX, EDP_PREFIX, PORTAL_INVOKE);
        return send_reply(s, c, meth, reqline, &r);
    }
    if (rt == R_COLCONF) {
        /* astroquery keeps what it gets as display hints per column; none is needed. */
        r.status = MHD_HTTP_OK;
        r.ctype = "application/json";
        edb__buf_printf(&r.text, "{}");
        return send_reply(s, c, meth, reqline, &r);
    }

    /* A data or metadata route: count it and decide its faults once (a delayed request
     * comes back here when it is resumed). */
    if (!q->counted) {
        q->counted = 1;
        q->nreq = atomic_fetch_add(&s->requests, 1);
        q->random_fail = s->fail_rate > 0 && unit_random(s->fail_seed, q->nreq) < s->fail_rate;
        q->faulted = (s->fault_status != 0 || s->delay_us > 0 || s->truncate_after >= 0 ||
                      s->drop || s->chop_eol) &&
                     (s->fault_count < 0 || q->nreq < (unsigned long)s->fault_count);
    }
    if (q->random_fail) {
        fault_reply(s, &r, rt, "injected random ");
        return send_reply(s, c, meth, reqline, &r);
    }
    if (q->faulted) {
        if (s->delay_us > 0 && !q->delayed) {
            q->delayed = 1;
            if (suspend_for(s, c, q->cn, s->delay_us))
                return MHD_YES;
            /* stopping, or an untracked connection: answer without the delay */
        }
        if (s->drop) {
            logf_(s, "%s %s -> dropped (fault)", meth, reqline);
            return MHD_NO;
        }
        r.truncate = s->truncate_after;
        if (s->fault_status != 0) {
            fault_reply(s, &r, rt, "injected ");
            return send_reply(s, c, meth, reqline, &r);
        }
    }

    if (!auth_ok(s, c, rt)) {
        reply_error(&r, rt, MHD_HTTP_UNAUTHORIZED,
                    rt == R_PORTAL ? "authentication required: send the cookie mast_token=<TOKEN> "
                                     "or the header 'Authorization: token <TOKEN>'"
                                   : "authentication required: send the header "
                                     "'Authorization: token <TOKEN>'");
        r.hname = MHD_HTTP_HEADER_WWW_AUTHENTICATE;
        r.hval = "token";
        return send_reply(s, c, meth, reqline, &r);
    }

    char name[EDB_MNEMONIC_MAX + 1], search[EDB_MNEMONIC_MAX + 1];
    edb_time start = 0, end = 0;
    switch (rt) {
    case R_A_DATA: {
        const char *uri = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "uri");
        if (parse_uri(uri, name, &start, &end, why, sizeof why) != 0) {
            reply_text(&r, MHD_HTTP_BAD_REQUEST, "bad request: %s", why);
            break;
        }
        data_reply(s, &r, rt, reqline, name, start, end);
        break;
    }
    case R_B_DATA:
    case R_EDP_DATA: {
        int edp = rt == R_EDP_DATA;
        const char *mn = edp ? MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "mnemonic")
                             : rest;
        const char *a = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, edp ? "s_time" : "sTime");
        const char *b = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, edp ? "e_time" : "eTime");
        char msg[700];
        if (!mn) {
            reply_error(&r, rt, MHD_HTTP_BAD_REQUEST, "bad request: missing mnemonic= parameter");
        } else if (!valid_mnemonic(mn, strlen(mn), name, why, sizeof why)) {
            snprintf(msg, sizeof msg, "bad request: %s", why);
            reply_error(&r, rt, MHD_HTTP_BAD_REQUEST, msg);
        } else if (!a || !b) {
            snprintf(msg, sizeof msg, "bad request: missing %s= parameter",
                     !a ? (edp ? "s_time" : "sTime") : (edp ? "e_time" : "eTime"));
            reply_error(&r, rt, MHD_HTTP_BAD_REQUEST, msg);
        } else if (edb__serve_parse_time(a, &start, why, sizeof why) != 0 ||
                   edb__serve_parse_time(b, &end, why, sizeof why) != 0) {
            snprintf(msg, sizeof msg, "bad request: %s", why);
            reply_error(&r, rt, MHD_HTTP_BAD_REQUEST, msg);
        } else if (start > end) {
            reply_error(&r, rt, MHD_HTTP_BAD_REQUEST, "bad request: the start time is after the "
                        "end time");
        } else {
            data_reply(s, &r, rt, reqline, name, start, end);
        }
        break;
    }
    case R_B_META:
    case R_EDP_META: {
        const char *sub = rt == R_B_META ? rest
                                         : MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
                                                                       "mnemonic");
        char msg[700];
        if (edb__serve_parse_search(sub ? sub : "", search, why, sizeof why) != 0) {
            snprintf(msg, sizeof msg, "bad request: %s", why);
            reply_error(&r, rt, MHD_HTTP_BAD_REQUEST, msg);
        } else {
            meta_reply(s, &r, rt, search);
        }
        break;
    }
    case R_PORTAL:
        portal_reply(s, &r, c, q);
        break;
    default:
        reply_text(&r, MHD_HTTP_INTERNAL_SERVER_ERROR, "no handler");
        break;
    }
    if (q->faulted && s->chop_eol && r.status == MHD_HTTP_OK)
        r.chop = 1;
    return send_reply(s, c, meth, reqline, &r);
}

static mhd_ret on_request(void *cls, struct MHD_Connection *c, const char *url,
                          const char *method, const char *version, const char *upload_data,
                          size_t *upload_data_size, void **con_cls)
{
    (void)version;
    edb_server *s = cls;
    req *q = *con_cls;
    /* Answer only once the whole request is in: a reply queued from the first call (the
     * headers alone) makes MHD close the connection after it, which would cost every
     * client request a new connection.  A body is kept up to BODY_MAX (only the portal
     * reads one); a longer one announced as such is refused at once. */
    if (!q) {
        q = calloc(1, sizeof *q);
        if (!q)
            return MHD_NO;
        q->cn = conn_of(c);
        *con_cls = q;
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                     MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl && (strlen(cl) > 12 || strtoull(cl, NULL, 10) > BODY_MAX)) {
            q->too_large = 1;
            request_arrived(s, q->cn);
            return dispatch(s, c, url, method, q);
        }
        return MHD_YES;
    }
    if (*upload_data_size != 0) {
        if (!q->too_large && q->body.len + *upload_data_size > BODY_MAX)
            q->too_large = 1;
        if (!q->too_large && edb__buf_append(&q->body, upload_data, *upload_data_size) != 0)
            return MHD_NO;
        *upload_data_size = 0;
        return MHD_YES;
    }
    request_arrived(s, q->cn);
    return dispatch(s, c, url, method, q);
}

/* %HH escapes of the path and the arguments, as MHD decodes them, except %00: a NUL would
 * end the C string early, so that "SA%00X" would be asked as "SA".  Left as text, it is
 * refused by the name and time rules like any other stray character. */
static size_t unescape(void *cls, struct MHD_Connection *c, char *str)
{
    (void)cls;
    (void)c;
    char *w = str;
    for (const char *r = str; *r; r++) {
        int hi, lo;
        if (r[0] == '%' && (hi = hexval(r[1])) >= 0 && (lo = hexval(r[2])) >= 0 && (hi | lo)) {
            *w++ = (char)(hi * 16 + lo);
            r += 2;
        } else {
            *w++ = *r;
        }
    }
    *w = '\0';
    return (size_t)(w - str);
}

/* ---- connections and the watchdog -------------------------------------------------------- */

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_ctx,
                          enum MHD_ConnectionNotificationCode code)
{
    edb_server *s = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        atomic_fetch_add(&s->connections, 1);
        unsigned now = atomic_fetch_add(&s->open_now, 1) + 1;
        unsigned max = atomic_load(&s->open_max);
        while (now > max && !atomic_compare_exchange_weak(&s->open_max, &max, now))
            ;
        conn *cn = calloc(1, sizeof *cn);
        *socket_ctx = cn;
        if (!cn)
            return; /* untracked: no deadline, no delay (answered at once) */
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        cn->c = c;
        cn->fd = ci ? (int)ci->connect_fd : -1;
        pthread_mutex_lock(&s->mu);
        cn->deadline = mono_us() + s->request_timeout_us;
        cn->next = s->conns;
        if (s->conns)
            s->conns->prev = cn;
        s->conns = cn;
        pthread_cond_signal(&s->cv);
        pthread_mutex_unlock(&s->mu);
    } else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
        atomic_fetch_sub(&s->open_now, 1);
        conn *cn = *socket_ctx;
        if (!cn)
            return;
        pthread_mutex_lock(&s->mu);
        if (cn->prev)
            cn->prev->next = cn->next;
        else
            s->conns = cn->next;
        if (cn->next)
            cn->next->prev = cn->prev;
        pthread_mutex_unlock(&s->mu);
        free(cn);
        *socket_ctx = NULL;
    }
}

/* A request is done: free its state; the connection now has request_timeout_us for the
 * next one (an idle kept-alive connection is closed after that). */
static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)toe;
    edb_server *s = cls;
    req *q = *con_cls;
    conn *cn = q ? q->cn : conn_of(c);
    if (q) {
        edb__buf_free(&q->body);
        free(q);
        *con_cls = NULL;
    }
    if (cn) {
        pthread_mutex_lock(&s->mu);
        cn->deadline = mono_us() + s->request_timeout_us;
        pthread_cond_signal(&s->cv);
        pthread_mutex_unlock(&s->mu);
    }
}

static void *watchdog_main(void *arg)
{
    edb_server *s = arg;
    struct MHD_Connection *due[64];
    pthread_mutex_lock(&s->mu);
    for (;;) {
        int64_t now = mono_us(), next = now + 1000000;
        size_t ndue = 0;
        for (conn *cn = s->conns; cn; cn = cn->next) {
            if (cn->deadline && !cn->shut) {
                int pending = 0;
                if (now >= cn->deadline && cn->fd >= 0 && ioctl(cn->fd, FIONREAD, &pending) == 0 &&
                    pending > 0) {
                    /* Bytes the client sent wait unread: the server is behind (its workers
                     * busy with other replies), not the client.  Look again later. */
                    cn->deadline = now + 1000000;
                }
                if (now >= cn->deadline) {
                    /* Counted first: the client may see its end before this thread moves on.
                     * MHD reads the end of the stream and closes the connection itself. */
                    atomic_fetch_add(&s->timeouts, 1);
                    cn->shut = 1;
                    if (cn->fd >= 0)
                        shutdown(cn->fd, SHUT_RDWR);
                } else if (cn->deadline < next) {
                    next = cn->deadline;
                }
            }
            if (cn->suspended) {
                if ((now >= cn->resume_at || s->stopping) && ndue < sizeof due / sizeof *due) {
                    cn->suspended = 0;
                    due[ndue++] = cn->c;
                } else if (cn->resume_at < next) {
                    next = cn->resume_at;
                }
            }
        }
        if (ndue > 0) {
            /* Outside our mutex: MHD takes its own locks to resume.  A suspended connection
             * cannot close meanwhile (MHD does not look at it until it is resumed). */
            pthread_mutex_unlock(&s->mu);
            for (size_t k = 0; k < ndue; k++)
                MHD_resume_connection(due[k]);
            pthread_mutex_lock(&s->mu);
            continue;
        }
        if (s->stopping) {
            int busy = 0;
            for (conn *cn = s->conns; cn; cn = cn->next)
                busy |= cn->suspending | cn->suspended;
            if (!busy)
                break;
            next = now + 1000; /* a suspend in flight: resume it as soon as it lands */
        }
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        int64_t wait = next - now;
        ts.tv_sec += (time_t)(wait / 1000000);
        ts.tv_nsec += (long)(wait % 1000000) * 1000;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&s->cv, &s->mu, &ts);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

unsigned long edb_server_connections(const edb_server *s)
{
    return s ? atomic_load(&((edb_server *)s)->connections) : 0;
}

unsigned edb_server_max_open_connections(const edb_server *s)
{
    return s ? atomic_load(&((edb_server *)s)->open_max) : 0;
}

unsigned edb_server_open_connections(const edb_server *s)
{
    return s ? atomic_load(&((edb_server *)s)->open_now) : 0;
}

unsigned long edb_server_timeouts(const edb_server *s)
{
    return s ? atomic_load(&((edb_server *)s)->timeouts) : 0;
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
    if (s->inv != s->bmeta)
        edb_meta_free(s->inv);
    edb_meta_free(s->bmeta);
    for (size_t k = 0; k < s->n_lens; k++)
        free(s->lens[k].cum);
    free(s->lens);
    if (s->auth) {
        wipe(s->auth, s->auth_len);
        free(s->auth);
    }
    pthread_mutex_destroy(&s->log_mu);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    free(s);
}

/* The metadata tables: meta.json for B and EDP; the inventory (then meta.json) for the
 * portal. */
static edb_status load_tables(edb_server *s, const edb_server_options *o, edb_err *err)
{
    if (edb_meta_new(&s->bmeta) != EDB_OK)
        return edb__fail(err, EDB_ERR_NOMEM, "out of memory");
    edb__buf mj = {0};
    edb_err merr = EDB_ERR_INIT;
    edb_status st = edb__store_meta_json(s->store, &mj, &merr);
    if (st == EDB_OK) {
        char name[4200];
        snprintf(name, sizeof name, "%s: meta.json", o->store);
        st = edb_meta_load_buffer(s->bmeta, mj.p, mj.len, name, err);
    } else if (st == EDB_ERR_NOT_FOUND) {
        st = EDB_OK; /* saved replies: no metadata */
    } else {
        st = edb__fail(err, st, "%s", merr.msg);
    }
    if (st == EDB_OK && o->inventory) {
        if (edb_meta_new(&s->inv) != EDB_OK)
            st = edb__fail(err, EDB_ERR_NOMEM, "out of memory");
        if (st == EDB_OK)
            st = edb_meta_load_file(s->inv, o->inventory, err);
        if (st == EDB_OK && mj.len)
            st = edb_meta_load_buffer(s->inv, mj.p, mj.len, "meta.json", err);
    } else if (st == EDB_OK) {
        s->inv = s->bmeta;
    }
    edb__buf_free(&mj);
    return st;
}

edb_status edb_server_start(edb_server **out, const edb_server_options *o, edb_err *err)
{
    if (!out || !o || !o->store || !*o->store)
        return edb__fail(err, EDB_ERR_USAGE, "edbx serve: no store given");
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
    if (o->request_timeout_us < 0)
        return edb__fail(err, EDB_ERR_USAGE, "negative request timeout");
    if (o->portal_executing < 0)
        return edb__fail(err, EDB_ERR_USAGE, "negative --portal-executing count");
    unsigned threads = o->threads ? o->threads : EDB_SERVER_THREADS;
    unsigned maxconn = o->max_connections ? o->max_connections : EDB_SERVER_MAX_CONNECTIONS;
    unsigned perclient = o->max_per_client ? o->max_per_client : EDB_SERVER_MAX_PER_CLIENT;
    if (threads > 64)
        return edb__fail(err, EDB_ERR_USAGE, "%u threads: at most 64", threads);
    if (maxconn < threads)
        return edb__fail(err, EDB_ERR_USAGE, "at most %u connections for %u threads: each "
                         "thread needs one", maxconn, threads);

    const char *bind = o->bind && *o->bind ? o->bind : "127.0.0.1";
    if (strcmp(bind, "localhost") == 0)
        bind = "127.0.0.1";
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_ALLOW_SUSPEND_RESUME |
                     MHD_USE_ERROR_LOG;
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
    if (pthread_mutex_init(&s->mu, NULL) != 0) {
        pthread_mutex_destroy(&s->log_mu);
        free(s);
        return edb__fail(err, EDB_ERR_NOMEM, "out of resources");
    }
    if (pthread_cond_init(&s->cv, NULL) != 0) {
        pthread_mutex_destroy(&s->mu);
        pthread_mutex_destroy(&s->log_mu);
        free(s);
        return edb__fail(err, EDB_ERR_NOMEM, "out of resources");
    }
    atomic_init(&s->requests, 0);
    atomic_init(&s->running, 0);
    atomic_init(&s->connections, 0);
    atomic_init(&s->timeouts, 0);
    atomic_init(&s->open_now, 0);
    atomic_init(&s->open_max, 0);
    s->fault_count = o->fault_count;
    s->fault_status = o->fault_status;
    s->retry_after = o->retry_after;
    s->delay_us = o->delay_us;
    s->truncate_after = o->truncate_after;
    s->drop = o->drop;
    s->chop_eol = o->chop_eol;
    s->fail_rate = o->fail_rate;
    s->fail_seed = o->fail_seed;
    s->portal_executing = o->portal_executing;
    s->request_timeout_us = o->request_timeout_us ? o->request_timeout_us
                                                  : EDB_SERVER_REQUEST_TIMEOUT_US;
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
    if (st == EDB_OK)
        st = load_tables(s, o, err);
    if (st != EDB_OK) {
        server_free(s);
        return st;
    }
    if (pthread_create(&s->watchdog, NULL, watchdog_main, s) != 0) {
        server_free(s);
        return edb__fail(err, EDB_ERR_NOMEM, "cannot start the watchdog thread");
    }
    s->watchdog_running = 1;

    errno = 0;
    s->daemon = MHD_start_daemon(flags, (uint16_t)o->port, NULL, NULL, on_request, s,
                                 MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, s,
                                 MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
                                 MHD_OPTION_THREAD_POOL_SIZE, threads,
                                 MHD_OPTION_CONNECTION_LIMIT, maxconn,
                                 MHD_OPTION_PER_IP_CONNECTION_LIMIT, perclient,
                                 MHD_OPTION_CONNECTION_TIMEOUT, IDLE_TIMEOUT_S,
                                 MHD_OPTION_CONNECTION_MEMORY_LIMIT, CONN_MEMORY,
                                 MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
                                 MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
                                 MHD_OPTION_UNESCAPE_CALLBACK, unescape, s,
                                 MHD_OPTION_END);
    if (!s->daemon) {
        int e = errno;
        st = edb__fail(err, EDB_ERR_IO, "cannot serve on %s port %u: %s", bind, o->port,
                       s->mhd_msg[0] ? s->mhd_msg : e ? strerror(e) : "microhttpd failed to start");
        edb_server_stop(s);
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
    return s ? atomic_load(&((edb_server *)s)->requests) : 0;
}

void edb_server_stop(edb_server *s)
{
    if (!s)
        return;
    atomic_store(&s->running, 0);
    /* Every suspended connection must be resumed before MHD may stop: the watchdog
     * resumes them all and returns once none is left or being suspended. */
    if (s->watchdog_running) {
        pthread_mutex_lock(&s->mu);
        s->stopping = 1;
        pthread_cond_signal(&s->cv);
        pthread_mutex_unlock(&s->mu);
        pthread_join(s->watchdog, NULL);
    }
    if (s->daemon)
        MHD_stop_daemon(s->daemon);
    server_free(s);
}
