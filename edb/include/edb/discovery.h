/* edb/discovery.h: finding mnemonics and learning what they mean, from the service itself.
 *
 * There are about 15,000 mnemonics.  What a service knows of all of them is its inventory:
 *   mast    the MAST portal's Mast.JwstEdb.Mnemonics (path A has no metadata of its own):
 *           tlmMnemonic, tlmIdentifier, description, sqlDataType, subsystem, unit
 *   direct  path B's metadata search with an empty substring: TlmMnemonic, Subsystem,
 *           RawType, EUType, SQLType, AllPoints (0: change-only)
 *   edp     the EDP API's metadata without a mnemonic: the same as path B
 * and what it knows of one: Mast.JwstEdb.Dictionary (the above and longDescription), or
 * the service's metadata request for that name.  The inventory changes rarely: it is kept
 * in the reply cache (edb/cache.h) for EDB_INVENTORY_MAX_AGE_US by default, and an old copy
 * serves, with a warning, when the service cannot be asked.
 *
 * Requests follow the client's rules (edb/client.h): its base URL, token, --cacert,
 * timeouts, retries and backoff, redirects, cancel flag and log.  Results go into an
 * edb_meta table (edb/meta.h), as one source.  Messages are left in the client's
 * (edb_client_errmsg) or in err. */
#ifndef EDB_DISCOVERY_H
#define EDB_DISCOVERY_H

#include <stddef.h>
#include <stdint.h>

#include <edb/cache.h>
#include <edb/client.h>
#include <edb/meta.h>
#include <edb/status.h>
#include <edb/store.h>
#include <edb/time.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The MAST portal, as edbx asks it. */
#define EDB_PORTAL_PAGESIZE 50000 /* rows asked per page: the whole inventory in one */
#define EDB_PORTAL_PAGES_MAX 1000 /* more pages than this are refused */
#define EDB_PORTAL_POLLS_MAX 30   /* EXECUTING this many times in a row: given up */
#define EDB_PORTAL_POLL_US INT64_C(250000) /* the first wait before asking again; it
                                              doubles up to 16 times that (4 s) */
#define EDB_PORTAL_WAIT_MAX_US INT64_C(120000000) /* at most this long EXECUTING in all */

/* How long a cached inventory is used before it is asked again: 7 days. */
#define EDB_INVENTORY_MAX_AGE_US (INT64_C(7) * 86400 * 1000000)

typedef struct edb_discovery_options {
    int64_t pagesize; /* portal rows per page; 0: EDB_PORTAL_PAGESIZE */
    int64_t poll_us;  /* first wait before asking an EXECUTING request again; 0: the default */
} edb_discovery_options;

#define EDB_DISCOVERY_OPTIONS_INIT {0, 0}

/* Every mnemonic the client's service knows, added to into as one source (o may be NULL).
 * A name that is not a valid mnemonic is skipped.  EDB_ERR_USAGE for a service without an
 * inventory; otherwise the statuses of a fetch (network, auth, server, data), with the
 * message in edb_client_errmsg.  into is unchanged on failure. */
edb_status edb_client_inventory(edb_client *c, const edb_discovery_options *o, edb_meta *into);

/* What the service says of one mnemonic (normalised here), added to into:
 * Mast.JwstEdb.Dictionary for mast (with longDescription), the metadata request for the
 * name for direct and edp.  EDB_ERR_NOT_FOUND when the service does not list it;
 * EDB_ERR_MNEMONIC for a name that cannot be one. */
edb_status edb_client_describe(edb_client *c, const edb_discovery_options *o,
                               const char *mnemonic, edb_meta *into);

/* What a service's inventory (describe = 0) or its entry for one name (describe = 1) is
 * called, for messages and for `edbx info`'s sources, into out (n bytes):
 * "Mast.JwstEdb.Mnemonics" and "Mast.JwstEdb.Dictionary" for mast, "the inventory of the
 * LABEL service" and "the metadata of the LABEL service" for the others.  -1 for a
 * service there is not. */
int edb_discovery_source(const char *service, int describe, char *out, size_t n);

/* Where an inventory came from. */
typedef enum edb_inventory_origin {
    EDB_INVENTORY_NONE = 0,
    EDB_INVENTORY_FETCHED, /* asked of the service now (and kept in the cache) */
    EDB_INVENTORY_CACHED,  /* the cache's copy, younger than max_age */
    EDB_INVENTORY_STALE    /* the cache's copy although older than max_age (or refresh was
                              asked), because the service could not be asked: why says why */
} edb_inventory_origin;

typedef struct edb_inventory_options {
    edb_discovery_options disco;
    edb_cache *cache;   /* where the inventory is kept; NULL: none (asked every time) */
    edb_time now;       /* the time of the run: what max_age counts from, and the stamp of
                           a copy stored */
    int64_t max_age_us; /* 0: EDB_INVENTORY_MAX_AGE_US */
    int refresh;        /* ask the service even when the cache's copy is young */
} edb_inventory_options;

#define EDB_INVENTORY_OPTIONS_INIT {EDB_DISCOVERY_OPTIONS_INIT, NULL, 0, 0, 0}

typedef struct edb_inventory_info {
    edb_inventory_origin origin;
    edb_time stored;    /* when the copy used was stored (FETCHED: now) */
    size_t count;       /* its entries */
    /* STALE: why the service could not be asked (its message); otherwise "". */
    char why[EDB_ERRMSG_SIZE];
    /* FETCHED: the copy could not be kept in the cache (why: reported through the cache's
     * log too); the inventory is there all the same. */
    int not_stored;
} edb_inventory_info;

/* The inventory of the client's service (edb_client_inventory), through the cache: its
 * copy when younger than max_age (and refresh is not set); else the service's, which
 * then replaces the copy; else, when the service cannot be asked, the copy however old,
 * as EDB_INVENTORY_STALE with why.  Added to into as one source.  Fails (the service's
 * status, message in err) only when the service cannot be asked and there is no copy.  A
 * damaged copy is dropped (reported through the cache's log) and counts as none. */
edb_status edb_inventory_load(edb_meta *into, edb_client *c, const edb_inventory_options *o,
                              edb_inventory_info *info, edb_err *err);

/* A local store's meta.json as an inventory (a jwst-layout store: what `edbx serve`
 * answers the metadata routes and the portal with), added to into.  EDB_ERR_NOT_FOUND for
 * a store of saved replies, which has none. */
edb_status edb_store_load_meta(edb_store *s, edb_meta *into, edb_err *err);

/* The names of m closest to name (which need not be a valid mnemonic), for "did you
 * mean": at most max of them into out (borrowed from m), best first; returns how many.
 * Close is: the optimal string alignment distance (Damerau-Levenshtein where a substring
 * is edited once: insertions, deletions, substitutions and swaps of neighbours each cost
 * 1), case-insensitive, at most 1 for names of up to 4 characters, 2 up to 8, 3 beyond;
 * or a name that starts with the one asked (4 characters or more) or is its start (such a
 * name ranks by its distance like any other).  Ties go to the name first in byte order. */
size_t edb_meta_suggest(const edb_meta *m, const char *name, const char **out, size_t max);

#ifdef __cplusplus
}
#endif
#endif
