/* edb/plan.h: a query as the list of requests that answer it.
 *
 * A plan is made before anything is fetched (edb_client_plan) and can be printed and
 * tested without HTTP (`edbx get --plan-only`).  Every distinct mnemonic gets, in the
 * order given: a metadata request when the service has metadata (path B and EDP: it gives
 * the type of the values), then one data request per chunk of the range.  Chunks are cut
 * at multiples of chunk_us since 1970 (UTC midnights for 1d), so the same day is the same
 * request whatever the query around it; they do not overlap, and a range that ends exactly
 * on a chunk edge folds that instant into the last chunk instead of asking for it alone.
 * On the wire each chunk is widened to whole seconds; the decoder cuts the reply back to
 * the chunk's exact range.  Only the first chunk keeps the sample before the range and
 * only the last the sample after it.
 *
 * A plan is small whatever the query: requests are computed from their index when asked
 * for, never stored, so a two-year plan of one-minute chunks costs nothing until fetched. */
#ifndef EDB_PLAN_H
#define EDB_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include <edb/status.h>
#include <edb/time.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum edb_request_kind {
    EDB_REQ_DATA = 0, /* samples of one mnemonic over one chunk */
    EDB_REQ_META = 1  /* what the service knows of one mnemonic (type, change-only flag) */
} edb_request_kind;

/* One request of a plan.  Strings are borrowed from the plan. */
typedef struct edb_plan_request {
    size_t index;          /* in the plan: 0 .. edb_plan_count() - 1 */
    edb_request_kind kind;
    size_t mnemonic;       /* index of its mnemonic (edb_plan_mnemonic) */
    const char *name;      /* the mnemonic, normalised */
    size_t chunk, nchunks; /* DATA: chunk k of the mnemonic's n */
    edb_time lo, hi;       /* DATA: the exact range this request keeps (inclusive) */
    edb_time wire_lo, wire_hi; /* DATA: the whole seconds asked of the service */
    int keep_before, keep_after; /* DATA: keep the bracket sample on that side */
} edb_plan_request;

typedef struct edb_plan edb_plan;

/* Requests in all (metadata and data). */
size_t edb_plan_count(const edb_plan *p);
/* Request i (i < edb_plan_count), computed. */
void edb_plan_get(const edb_plan *p, size_t i, edb_plan_request *out);
/* The distinct mnemonics, normalised, in the order first given. */
size_t edb_plan_mnemonic_count(const edb_plan *p);
const char *edb_plan_mnemonic(const edb_plan *p, size_t m);
/* The index of mnemonic m's first request, and how many it has. */
size_t edb_plan_first(const edb_plan *p, size_t m);
size_t edb_plan_per_mnemonic(const edb_plan *p);
size_t edb_plan_chunks(const edb_plan *p); /* data requests per mnemonic */
/* The service that answers the plan ("mast", "direct", "edp"). */
const char *edb_plan_service(const edb_plan *p);

/* One line describing request i, tab-separated, without a line end:
 *   INDEX  SERVICE  KIND  MNEMONIC  START  END  URL
 * (KIND "data" or "meta"; START and END the exact range in ISO 8601 with microseconds, "-"
 * for metadata).  The URL holds no secret.  Returns the length that the full line needs
 * (as snprintf); the first line of a listing is edb_plan_header. */
int edb_plan_line(const edb_plan *p, size_t i, char *buf, size_t n);
const char *edb_plan_header(void);

/* Shards: the plan cut into n pieces for n processes (a Slurm job array, docs/scale.md).
 *
 * A request's expected size is its mnemonic times its duration (hi - lo + 1: every
 * mnemonic counts alike, nothing is known of its rate); a metadata request weighs nothing
 * but still belongs to one shard.  Laid end to end in plan order, the requests cover
 * count x (end - start + 1) microseconds; shard k of n owns the requests whose middle lies
 * in the k-th n-th of that line.  So each request is in exactly one shard, a shard is one
 * run of consecutive requests (a few mnemonics, or days of one), the assignment depends on
 * nothing but the plan and n, and each shard's load is within one request's size of the
 * mean.  Computed from the index, like the requests: nothing is stored per request.
 *
 * Shards are numbered from 0 (Slurm's $SLURM_ARRAY_TASK_ID with --array=0-(n-1)); n from
 * 1 to EDB_PLAN_MAX_SHARDS (0 is taken as 1, more as EDB_PLAN_MAX_SHARDS). */
#define EDB_PLAN_MAX_SHARDS 1000000
/* The shard of request i (i < edb_plan_count). */
size_t edb_plan_shard(const edb_plan *p, size_t i, size_t n);
/* Shard k's requests: indices [*first, *end) (empty when k >= n or the shard has none). */
void edb_plan_shard_range(const edb_plan *p, size_t k, size_t n, size_t *first, size_t *end);
/* edb_plan_line with the shard of the request among n after its index:
 *   INDEX  SHARD  SERVICE  KIND  MNEMONIC  START  END  URL
 * and its header line. */
int edb_plan_shard_line(const edb_plan *p, size_t i, size_t n, char *buf, size_t len);
const char *edb_plan_shard_header(void);

void edb_plan_free(edb_plan *p); /* accepts NULL */

#ifdef __cplusplus
}
#endif
#endif
