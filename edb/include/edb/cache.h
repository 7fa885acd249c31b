/* edb/cache.h: a cache of raw EDB replies on disk, so that the same query is not asked
 * of the service twice.
 *
 * An entry is one reply body exactly as received, zlib-compressed, with a header saying
 * what it answers (service, base URL, mnemonic, whole-second range), when it was stored,
 * its length and SHA-256.  It lives at DIR/v1/XX/KEY.z where KEY is the SHA-256 of what
 * it answers (never of the token, which is no part of a reply's identity).  Entries are
 * written to a temporary file in the same folder and renamed, so another process sharing
 * the folder sees a whole entry or none.  A damaged entry (bad header, truncated stream,
 * wrong length or checksum) is reported once through the log, removed, and the request
 * goes to the network as if it had never been cached.
 *
 * Replies whose range ends in the future or within the last hour are never stored: the
 * EDB may still be filling that time in.  The library never reads the clock for this: the
 * caller passes `now`.  The library takes a folder; choosing one ($XDG_CACHE_HOME/edbx,
 * else ~/.cache/edbx) is the command's business. */
#ifndef EDB_CACHE_H
#define EDB_CACHE_H

#include <stdint.h>

#include <edb/client.h>
#include <edb/status.h>
#include <edb/time.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Replies ending later than now minus this are not cached. */
#define EDB_CACHE_SETTLE_US (INT64_C(3600) * 1000000)

typedef struct edb_cache_options {
    const char *dir;      /* the cache folder; created if missing; copied */
    const char *service;  /* what kind of service answers (default "mast": path A; "direct", "edp"); copied */
    const char *base_url; /* the service's base URL; copied */
    edb_time now;         /* the time of the run, for the settle rule and entry stamps */
    int refresh;          /* never answer from the cache, but store what the network sends */
    edb_log_fn log;       /* reports (a damaged entry dropped); may be NULL */
    void *log_ctx;
} edb_cache_options;

#define EDB_CACHE_OPTIONS_INIT {NULL, NULL, NULL, 0, 0, NULL, NULL}

typedef struct edb_cache edb_cache;

typedef struct edb_cache_stats {
    unsigned long hits, misses, stored, dropped;
} edb_cache_stats;

/* EDB_ERR_IO if the folder cannot be created or is not a folder. */
edb_status edb_cache_open(edb_cache **out, const edb_cache_options *o, edb_err *err);
void edb_cache_free(edb_cache *c); /* accepts NULL */

/* The hooks to pass in edb_client_options.hooks; the cache must outlive the fetches. */
void edb_cache_hooks(edb_cache *c, edb_reply_hooks *out);
void edb_cache_get_stats(const edb_cache *c, edb_cache_stats *out);

/* What an entry answers, for `edbx cache list`.  Strings borrowed for the callback. */
typedef struct edb_cache_entry_info {
    const char *path;
    const char *service, *base_url, *mnemonic;
    edb_time start, end; /* the whole-second range of the request */
    edb_time stored;     /* when it was stored (the `now` of that run) */
    uint64_t file_bytes; /* on disk */
    uint64_t raw_bytes;  /* the reply, uncompressed */
} edb_cache_entry_info;

/* Call fn for every entry of the folder (in no particular order); fn returns non-zero to
 * stop.  Entries whose header does not read are listed with mnemonic "?". */
edb_status edb_cache_list(const char *dir,
                          int (*fn)(void *ctx, const edb_cache_entry_info *e), void *ctx,
                          edb_err *err);

/* Remove the entries stored before `before` (EDB_TIME_MAX: all of them), and temporary
 * files left by interrupted writers.  *removed and *bytes (may be NULL) count them. */
edb_status edb_cache_clear(const char *dir, edb_time before, unsigned long *removed,
                           uint64_t *bytes, edb_err *err);

#ifdef __cplusplus
}
#endif
#endif
