/* edb/client.h: asking the EDB for mnemonics over a time range.
 *
 * A client holds one libcurl multi handle and its connections; edb_client_fetch runs
 * every request of a query through it (at most `parallel` at once), decodes each reply
 * while it streams in, retries what is worth retrying, and returns one series per
 * mnemonic.  The library never reads the environment: the caller maps ENG_BASE_URL,
 * MAST_API_TOKEN, ENG_RETRIES and ENG_TIMEOUT onto the options.
 *
 * The client speaks one service (edb_client_options.service): MAST's path A, the direct
 * service (path B) or MAST's EDP API; each is one file behind one table (service.h).
 *
 * Security rules enforced here, whatever the caller asks: TLS peers are always verified;
 * the token is sent only over https, or over plain http to a loopback host; it is never
 * sent after a redirect to another host; it never appears in a message or a log line. */
#ifndef EDB_CLIENT_H
#define EDB_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include <edb/meta.h>
#include <edb/mnemonic.h>
#include <edb/plan.h>
#include <edb/series.h>
#include <edb/status.h>
#include <edb/time.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A line of log text (no trailing newline), for -v.  Never contains the token. */
typedef void (*edb_log_fn)(void *ctx, const char *line);

/* One request of a fetch, as hooks see it: one plan request (edb/plan.h). */
typedef struct edb_request_info {
    const char *service;   /* "mast", "direct", "edp": a reply of one service is never
                              taken for another's */
    edb_request_kind kind; /* data or metadata */
    const char *mnemonic;  /* normalised */
    edb_time start, end;   /* DATA: the whole-second range asked of the service (inclusive);
                              META: 0 */
    const char *url;       /* never holds a secret */
    const char *uri_name;  /* the name a reply is saved under in stores, caches and bundles:
                              "SA_ZATTEST1-20220101T000000-20220102T000000.csv" (path A),
                              "...direct.json", "...edp.json", "NAME.direct-meta.json" */
} edb_request_info;

/* How a hook answers a request locally: with the body's bytes (decoded as the service's
 * reply would be), or directly with what the bytes would decode to. */
typedef struct edb_reply_sink {
    void *ctx;
    /* The body's next bytes, in order.  Non-zero: stop feeding and return 1. */
    int (*feed)(void *ctx, const char *data, size_t len);
    /* DATA only: the samples the service would send for ri (its whole-second range, and the
     * bracket samples beyond it), sorted by time; borrowed for the call (a view of the
     * hook's own series will do): the client copies out only what it keeps, its exact
     * range. */
    int (*series)(void *ctx, const struct edb_series *s);
    /* META only: what is known of the mnemonic, NULL for nothing; copied. */
    int (*meta)(void *ctx, const struct edb_meta_entry *e);
    /* DATA only, as series, but the client takes s (also on failure) and cuts it to the
     * exact range in place: a hook whose series has no other user hands it on without a
     * copy. */
    int (*series_take)(void *ctx, struct edb_series *s);
    /* Optional, before feed: the body will be `bytes` long (a saved reply's file size, a
     * cache entry's raw length), so that the decoder reserves room for its samples once
     * (edb_decoder_size_hint).  A hint: feeding more or fewer bytes is no error. */
    void (*size_hint)(void *ctx, unsigned long long bytes);
} edb_reply_sink;

/* Where replies may come from and go to besides the network: caches, local sources,
 * bundles.  Every member may be NULL. */
typedef struct edb_reply_hooks {
    void *ctx;
    /* Answer a request locally through the sink and return 1; return 0 to let the next
     * hook or the network answer, also after having fed bytes (a cache finds a damaged
     * entry only at its end): the client then discards everything fed (decoder reset,
     * series cleared, the other hooks' taps of this try ended with complete = 0) before
     * asking the next hook or the network.  If a sink call returns non-zero, stop feeding;
     * return 1, or 0 if the hook's copy proves damaged.  Return -1 with err set to fail the
     * request (EDB_ERR_NOT_FOUND for a mnemonic a local source does not have); err's
     * message need not name the mnemonic: the client puts it first. */
    int (*lookup)(void *ctx, const edb_request_info *ri, const edb_reply_sink *sink,
                  edb_err *err);
    /* A reply body is about to flow for ri, from the network (local = 0) or from a hook's
     * lookup (local = 1; a local answer with samples or metadata is formatted as the
     * service would have sent it).  Return a tap that gets the bytes, or NULL for none. */
    void *(*tap_begin)(void *ctx, const edb_request_info *ri, int local);
    int (*tap_write)(void *tap, const char *data, size_t len); /* 0 = fine */
    /* The try is over: complete = 1 when the body was whole and decoded (keep it),
     * 0 when it is discarded (a retry or a failure).  The tap is finished either way. */
    edb_status (*tap_end)(void *tap, int complete, long http, edb_err *err);
} edb_reply_hooks;

/* Where a fetch stands, for a progress line. */
typedef struct edb_progress {
    size_t requests_done, requests_total; /* of the plan: metadata and data */
    size_t rows;                          /* samples decoded so far */
    unsigned long long bytes;             /* body bytes received */
    unsigned long retries;
    size_t running;                       /* transfers in flight */
    double elapsed_s;
} edb_progress;

typedef struct edb_client_options {
    const char *base_url;       /* scheme://host[:port][/prefix]; copied */
    const char *token;          /* MAST API token or NULL; copied, wiped on free */
    const char *cacert;         /* CA bundle file for TLS, or NULL for the system's */
    int64_t timeout_us;         /* per request, whole transfer; 0 = none */
    int64_t connect_timeout_us; /* per connection attempt; 0 = libcurl's default */
    int retries;                /* extra tries for retryable failures (jwst: 10) */
    int64_t backoff_base_us;    /* first backoff; doubles each try, plus jitter */
    int64_t backoff_cap_us;     /* longest single wait, a service's Retry-After included */
    int parallel;               /* transfers at once (>= 1) */
    edb_log_fn log;             /* optional request log */
    void *log_ctx;
    const volatile int *cancel; /* optional: fetch stops (EDB_ERR_INTERRUPTED) once *cancel
                                   is non-zero, e.g. set by a SIGINT handler */
    const edb_reply_hooks *hooks; /* n_hooks hook sets, asked in order; borrowed */
    size_t n_hooks;
    int offline;                /* never use the network: a request no hook answers fails */
    /* Called as the fetch progresses (at most every 100 ms, and once at the end). */
    void (*progress)(void *ctx, const edb_progress *p);
    void *progress_ctx;
    /* The service: "mast" (path A, the default), "direct" (path B) or "edp". */
    const char *service;
    const char *edp_mission;    /* EDP's mission path segment (NULL: "jwst"); copied */
    const char *edp_data_path;  /* EDP: the data path after the base URL, replacing
                                   edp/api/v0.1/mnemonics/spa/MISSION/data (romancal's
                                   ENG_DATA_URI); NULL: the default; copied */
    const char *edp_meta_path;  /* the same for metadata (ENG_META_URI) */
    /* Before the first network request, check once that the base URL answers as the
     * service (GET api/ for path A): 1 (the default) or 0. */
    int probe;
    /* A compressed reply (Content-Encoding) may inflate to at most this many times its size
     * once past 16 MiB; 0: the default (200, as archives). */
    unsigned inflate_ratio_max;
} edb_client_options;

#define EDB_DEFAULT_BASE_URL "https://mast.stsci.edu"

#define EDB_CLIENT_OPTIONS_INIT                                                              \
    {.base_url = EDB_DEFAULT_BASE_URL, .timeout_us = INT64_C(600000000),                    \
     .connect_timeout_us = INT64_C(30000000), .retries = 10,                                 \
     .backoff_base_us = INT64_C(1000000), .backoff_cap_us = INT64_C(120000000),              \
     .parallel = 1, .service = "mast", .probe = 1}

/* The services there are, for --help and messages: name i for i < edb_service_count(). */
size_t edb_service_count(void);
const char *edb_service_name(size_t i);
const char *edb_service_label(const char *name); /* "MAST path A"; NULL if unknown */
/* Does the service take the MAST token (path A and EDP do, the direct service does not)? */
int edb_service_takes_token(const char *name);

typedef struct edb_client edb_client;
typedef struct edb_result edb_result;

/* One query: mnemonics (already normalised or not: they are normalised and validated
 * here before any request), an inclusive UTC range, and whether to keep the bracket
 * samples just outside it.  See edb/plan.h for how it becomes requests. */
typedef struct edb_query {
    const char *const *mnemonics;
    size_t n_mnemonics;
    edb_time start;
    edb_time end;
    int keep_brackets;
    /* Split the range into chunks at multiples of chunk_us since 1970-01-01 (so 1d cuts
     * at UTC midnights and chunks repeat across queries); 0 = one request per mnemonic.
     * Chunks are stitched back in order; each sample appears once. */
    int64_t chunk_us;
    /* When some mnemonics fail: 0 = fail the whole fetch; 1 = return the others, with
     * EDB_ERR_PARTIAL and per-mnemonic statuses (edb_result_status). */
    int keep_going;
    /* Run only shard shard_k of shard_n of the plan (edb_plan_shard; shard_k < shard_n),
     * for a process among many filling one cache (docs/scale.md); shard_n 0: the whole
     * plan, as a query.  A shard's replies go to the hooks (the cache) and its samples are
     * not kept: the result's series are empty.  With a metadata service, a shard that
     * begins inside a mnemonic also asks that mnemonic's metadata, owned by the shard
     * before (its type is needed to read the data): one small request, answered by the
     * cache once stored. */
    size_t shard_k, shard_n;
    /* Optional: called once per mnemonic as soon as all its chunks are in and stitched
     * (never for a shard, nor for a mnemonic that failed), with i its index in the result
     * and s its series as the result will hold it (metadata's type and change-only flag
     * applied).  s stays the client's: the callee may change its metadata and take its
     * samples (edb_series_move_samples), so that a caller that resamples each mnemonic
     * as it completes frees the raw samples at once; it must not free s.  A status other
     * than EDB_OK stops the fetch with it and err's message. */
    edb_status (*on_mnemonic)(void *ctx, size_t i, edb_series *s, edb_err *err);
    void *on_mnemonic_ctx;
} edb_query;

/* Counters of what a client did, for -v and for tests. */
typedef struct edb_client_stats {
    unsigned long requests;  /* HTTP requests started, retries included, probes not */
    unsigned long retries;   /* requests that were retries */
    unsigned long long bytes;/* body bytes received */
    unsigned long probes;    /* aliveness checks made (tries included) */
    unsigned long local;     /* requests answered by a hook (cache, store, bundle) */
} edb_client_stats;

edb_status edb_client_new(edb_client **out, const edb_client_options *opts);
void edb_client_free(edb_client *c); /* accepts NULL */

/* The plan of q (edb/plan.h): what edb_client_fetch would ask, without asking anything.
 * EDB_ERR_MNEMONIC for a bad name, EDB_ERR_USAGE for a bad range or a plan too large. */
edb_status edb_client_plan(edb_client *c, const edb_query *q, edb_plan **out);

/* Fetch every mnemonic of q.  On success *out holds one series per distinct mnemonic, in
 * the order given.  On failure *out is NULL and edb_client_errmsg says what failed; with
 * keep_going, a fetch where only some mnemonics failed returns EDB_ERR_PARTIAL and a
 * result whose failed series are empty, with their statuses and messages. */
edb_status edb_client_fetch(edb_client *c, const edb_query *q, edb_result **out);

/* Message of the first error of the last call, "" if none.  Borrowed. */
const char *edb_client_errmsg(const edb_client *c);
void edb_client_get_stats(const edb_client *c, edb_client_stats *out);

size_t edb_result_count(const edb_result *r);
const edb_series *edb_result_series(const edb_result *r, size_t i); /* borrowed */
/* The same, writable, for adding what the reply did not carry (edb_meta_apply): change
 * its metadata, not its samples. */
edb_series *edb_result_series_mut(edb_result *r, size_t i);
edb_status edb_result_status(const edb_result *r, size_t i);       /* EDB_OK if fetched */
const char *edb_result_errmsg(const edb_result *r, size_t i);      /* "" if fetched */
void edb_result_free(edb_result *r); /* accepts NULL */

/* Validate a base URL (http or https, a host, no credentials, query or fragment) and
 * whether a token may be sent to it: https anywhere, http only to a loopback host. */
edb_status edb_base_url_check(const char *base_url, int have_token, edb_err *err);

#ifdef __cplusplus
}
#endif
#endif
