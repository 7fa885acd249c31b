/* edb/cache.h: a cache of raw EDB replies on disk, so that the same query is not asked
 * of the service twice.
 *
 * An entry is one reply body exactly as received, zlib-compressed, with a header saying
 * what it answers (service, base URL, kind of request, mnemonic, whole-second range), when
 * it was stored, its length and SHA-256.  It lives at ROOT/v1/XX/KEY.z where KEY is the
 * SHA-256 of what it answers.  ROOT is the folder itself (shared by whoever uses it) or,
 * with `per_token`, DIR/by-token/NAME, NAME being a keyed hash of the run's token (HMAC-
 * SHA-256 under a random key kept in DIR/by-token/key): one token's holder is never served
 * what another fetched, and no file holds the token or an unkeyed hash of it.
 *
 * Entries are written to a temporary file in their folder and renamed, so another process
 * sharing the folder sees a whole entry or none, on NFS too: the cache takes no lock and
 * needs none, which is what lets the shards of a job array on many machines share one
 * folder (docs/scale.md).  Folders are made 0700 and files 0600;
 * nothing inside the folder is reached through a symbolic link.  A lookup streams: it
 * inflates the entry in pieces, feeding each to the client (after a size hint: the raw
 * length in its header), and checks the length and SHA-256 at the end; the client reads the
 * entries of a plan's several requests ahead on worker threads (client.c).  A damaged entry (bad header, truncated or corrupt stream, wrong
 * length or checksum) is reported once through the log and removed, and the lookup answers
 * 0 (even after it fed bytes: the client throws those away) so that the network answers.
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

/* The longest service name and base URL a cache takes (an entry's header stays small). */
#define EDB_CACHE_SERVICE_MAX 64
#define EDB_CACHE_BASE_URL_MAX 2048

typedef struct edb_cache_options {
    const char *dir;      /* the cache folder; created (0700) if missing, never its parent */
    const char *service;  /* what kind of service answers (default "mast": path A; "direct",
                             "edp"); copied */
    const char *base_url; /* the service's base URL; copied */
    edb_time now;         /* the time of the run, for the settle rule and entry stamps */
    int refresh;          /* never answer from the cache, but store what the network sends */
    edb_log_fn log;       /* reports (a damaged entry dropped); may be NULL */
    void *log_ctx;
    /* Keep entries apart by token (the default cache folder): they go to
     * DIR/by-token/NAME/, NAME a keyed hash of `token` (NULL: the runs without a token, a
     * partition of their own).  0: the folder is shared on purpose (--cache DIR). */
    int per_token;
    const char *token; /* read by edb_cache_open only, to name the folder; never kept */
} edb_cache_options;

#define EDB_CACHE_OPTIONS_INIT {NULL, NULL, NULL, 0, 0, NULL, NULL, 0, NULL}

typedef struct edb_cache edb_cache;

typedef struct edb_cache_stats {
    unsigned long hits, misses, stored, dropped;
} edb_cache_stats;

/* EDB_ERR_IO if the folder cannot be created (its parent missing, say) or used (not a
 * folder, a link inside it); EDB_ERR_USAGE for a service name or base URL too long. */
edb_status edb_cache_open(edb_cache **out, const edb_cache_options *o, edb_err *err);
void edb_cache_free(edb_cache *c); /* accepts NULL */

/* The folder entries of this cache go to (DIR or DIR/by-token/NAME).  Borrowed. */
const char *edb_cache_root(const edb_cache *c);

/* The hooks to pass in edb_client_options.hooks; the cache must outlive the fetches. */
void edb_cache_hooks(edb_cache *c, edb_reply_hooks *out);
void edb_cache_get_stats(const edb_cache *c, edb_cache_stats *out);

/* Does the cache hold an entry that answers ri?  1 or 0.  Reads the entry's header only
 * (at most 4096 bytes), never its reply, so checking every request of a large plan costs
 * one small read each (`edbx get --offline`); the reply's length and checksum are checked
 * when it is read.  0 also for a range the cache never keeps (one that ends within
 * EDB_CACHE_SETTLE_US of `now`).  `refresh` is not looked at. */
int edb_cache_has(edb_cache *c, const edb_request_info *ri);
/* The inventory of the cache's service and base URL (edb/discovery.h keeps it here): one
 * entry per (service, base URL), of kind "inventory", with no mnemonic and no range,
 * compressed and checksummed like a reply.  The library keeps and returns its bytes;
 * deciding when it is too old is the caller's (its time of storing is returned).
 * _get: *data malloc'ed (the caller frees it) and *len, *stored the `now` it was stored
 * with; EDB_ERR_NOT_FOUND when there is none, or when it was damaged (then reported
 * through the log and removed); EDB_ERR_IO when it cannot be read.  Not affected by
 * `refresh`: a caller that cannot ask the service may still want the old copy.
 * _put: replaces it (a temporary file renamed, as replies), stamped `stored` (the
 * inventory's age is counted on the clock, whatever the `now` of the cache's run); EDB_ERR_IO
 * when it cannot be stored (also reported once through the log). */
#define EDB_CACHE_INVENTORY_MAX ((size_t)256 << 20)
edb_status edb_cache_inventory_get(edb_cache *c, char **data, size_t *len, edb_time *stored,
                                   edb_err *err);
edb_status edb_cache_inventory_put(edb_cache *c, const char *data, size_t len, edb_time stored,
                                   edb_err *err);

/* What an entry answers, for `edbx cache list`.  Strings borrowed for the callback. */
typedef struct edb_cache_entry_info {
    const char *path;
    const char *service, *base_url, *kind, *mnemonic; /* "" and "?" when damaged; kind
                                                          "data", "meta" or "inventory"
                                                          (mnemonic "") */
    edb_time start, end; /* the whole-second range of the request */
    edb_time stored;     /* when it was stored (the `now` of that run; else the file's time) */
    uint64_t file_bytes; /* on disk */
    uint64_t raw_bytes;  /* the reply, uncompressed */
    int damaged;         /* the file is the cache's (its magic) but its header does not read */
} edb_cache_entry_info;

/* Call fn for every entry of the folder and of its per-token folders (in no particular
 * order); fn returns non-zero to stop.  Only regular files carrying the cache's magic are
 * entries; nothing is reached through a link. */
edb_status edb_cache_list(const char *dir,
                          int (*fn)(void *ctx, const edb_cache_entry_info *e), void *ctx,
                          edb_err *err);

typedef struct edb_cache_clear_stats {
    unsigned long removed; /* entries and temporary files removed */
    uint64_t bytes;        /* their size on disk */
    unsigned long foreign; /* files, links and folders inside the cache's folders that are
                              not the cache's: left alone */
} edb_cache_clear_stats;

/* Remove the entries stored before `before` (EDB_TIME_MAX: all of them), and the cache's
 * own temporary files left by interrupted writers (with a `before`, those a day older).
 * Only regular files that carry the cache's magic, or are named exactly as its temporary
 * files, are removed, never through a link.  out may be NULL. */
edb_status edb_cache_clear(const char *dir, edb_time before, edb_cache_clear_stats *out,
                           edb_err *err);

#ifdef __cplusplus
}
#endif
#endif
