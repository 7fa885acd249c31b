/* plan_internal.h: what the transfer engine needs of a plan beyond edb/plan.h. */
#ifndef EDB_PLAN_INTERNAL_H
#define EDB_PLAN_INTERNAL_H

#include <edb/plan.h>

#include "service.h"

/* The most requests a plan may hold (documented in docs/architecture.md): a plan costs no
 * memory per request, but a query this large is a mistake, not a pull. */
#define EDB_PLAN_MAX_REQUESTS ((uint64_t)100000000)

/* Names are normalised and deduplicated here (EDB_ERR_MNEMONIC for a bad one). */
edb_status edb__plan_new(edb_plan **out, const edb__service *svc, const edb__svc_conf *conf,
                         const char *const *names, size_t n, edb_time start, edb_time end,
                         int keep_brackets, int64_t chunk_us, edb_err *err);
const edb__service *edb__plan_svc(const edb_plan *p);
const edb__svc_conf *edb__plan_conf(const edb_plan *p);
/* The URL of request r (data or metadata) into out (cleared first). */
edb_status edb__plan_url(const edb_plan *p, const edb_plan_request *r, edb__buf *out,
                         edb_err *err);

#endif
