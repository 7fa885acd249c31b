/* edb/client.h: asking the EDB for mnemonics over a time range.
 *
 * A client holds one libcurl multi handle and its connections; edb_client_fetch runs
 * every request of a query through it (at most `parallel` at once), decodes each reply
 * while it streams in, retries what is worth retrying, and returns one series per
 * mnemonic.  The library never reads the environment: the caller maps ENG_BASE_URL,
 * MAST_API_TOKEN, ENG_RETRIES and ENG_TIMEOUT onto the options.
 *
 * Security rules enforced here, whatever the caller asks: TLS peers are always verified;
 * the token is sent only over https, or over plain http to a loopback host; it is never
 * sent after a redirect to another host; it never appears in a message or a log line. */
#ifndef EDB_CLIENT_H
#define EDB_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include <edb/series.h>
#include <edb/status.h>
#include <edb/time.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A line of log text (no trailing newline), for -v.  Never contains the token. */
typedef void (*edb_log_fn)(void *ctx, const char *line);

typedef struct edb_client_options {
    const char *base_url;       /* scheme://host[:port][/prefix]; copied */
    const char *token;          /* MAST API token or NULL; copied, wiped on free */
    const char *cacert;         /* CA bundle file for TLS, or NULL for the system's */
    int64_t timeout_us;         /* per request, whole transfer; 0 = none */
    int64_t connect_timeout_us; /* per connection attempt; 0 = libcurl's default */
    int retries;                /* extra tries for retryable failures (jwst: 10) */
    int64_t backoff_base_us;    /* first backoff; doubles each try, plus jitter */
    int64_t backoff_cap_us;     /* longest single backoff */
    int parallel;               /* transfers at once (>= 1) */
    edb_log_fn log;             /* optional request log */
    void *log_ctx;
    const volatile int *cancel; /* optional: fetch stops (EDB_ERR_INTERRUPTED) once *cancel
                                   is non-zero, e.g. set by a SIGINT handler */
} edb_client_options;

#define EDB_DEFAULT_BASE_URL "https://mast.stsci.edu"

#define EDB_CLIENT_OPTIONS_INIT                                                              \
    {EDB_DEFAULT_BASE_URL, NULL, NULL, INT64_C(600000000), INT64_C(30000000), 10,           \
     INT64_C(1000000), INT64_C(120000000), 1, NULL, NULL, NULL}

typedef struct edb_client edb_client;
typedef struct edb_result edb_result;

/* One query: mnemonics (already normalised or not: they are normalised and validated
 * here before any request), an inclusive UTC range, and whether to keep the bracket
 * samples just outside it. */
typedef struct edb_query {
    const char *const *mnemonics;
    size_t n_mnemonics;
    edb_time start;
    edb_time end;
    int keep_brackets;
} edb_query;

/* Counters of what a client did, for -v and for tests. */
typedef struct edb_client_stats {
    unsigned long requests;  /* HTTP requests started, retries included */
    unsigned long retries;   /* requests that were retries */
    unsigned long long bytes;/* body bytes received */
} edb_client_stats;

edb_status edb_client_new(edb_client **out, const edb_client_options *opts);
void edb_client_free(edb_client *c); /* accepts NULL */

/* Fetch every mnemonic of q.  On success *out holds one series per distinct mnemonic, in
 * the order given.  On failure *out is NULL and edb_client_errmsg says what failed. */
edb_status edb_client_fetch(edb_client *c, const edb_query *q, edb_result **out);

/* Message of the first error of the last call, "" if none.  Borrowed. */
const char *edb_client_errmsg(const edb_client *c);
void edb_client_get_stats(const edb_client *c, edb_client_stats *out);

size_t edb_result_count(const edb_result *r);
const edb_series *edb_result_series(const edb_result *r, size_t i); /* borrowed */
void edb_result_free(edb_result *r); /* accepts NULL */

/* Trim, upper-case and validate a mnemonic name (edb-protocol section 6):
 * I or S, a subsystem of 1-4 letters, '_', then 2-20 letters, digits and underscores.
 * Writes the normal form to out (at least EDB_MNEMONIC_MAX + 1 bytes). */
#define EDB_MNEMONIC_MAX 26
edb_status edb_mnemonic_normalize(const char *in, char *out, size_t outlen, edb_err *err);

/* The path A URL for one request: start floored and end ceiled to whole seconds, uri
 * URL-encoded.  *out is malloc'ed; the caller frees it. */
edb_status edb_mast_url(const char *base_url, const char *mnemonic, edb_time start,
                        edb_time end, char **out, edb_err *err);

/* Validate a base URL (http or https, a host, no credentials, query or fragment) and
 * whether a token may be sent to it: https anywhere, http only to a loopback host. */
edb_status edb_base_url_check(const char *base_url, int have_token, edb_err *err);

#ifdef __cplusplus
}
#endif
#endif
