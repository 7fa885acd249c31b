/* discovery_internal.h: what discovery (discovery.c, portal.c, svc_meta.c) shares with the
 * transfer engine (client.c) and with its fuzz target and unit suite (never installed).
 *
 * Discovery asks a service one thing at a time (the inventory, one mnemonic's entry), so
 * it needs a blocking request, not the engine's plan: edb__client_http is that, inside
 * client.c so that it follows the engine's policies (the token rule, redirects followed by
 * edbx, --cacert, timeouts, the retry classes and their backoff, Retry-After bounded, the
 * token redacted from every message) without a second HTTP stack. */
#ifndef EDB_DISCOVERY_INTERNAL_H
#define EDB_DISCOVERY_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <edb/client.h>
#include <edb/meta.h>

#include "internal.h"
#include "service.h"

/* One request of discovery. */
typedef struct edb__http_req {
    const char *what;         /* for messages: "Mast.JwstEdb.Mnemonics" */
    const char *method;       /* "GET" or "POST" */
    const char *url;          /* a URL of the client's base URL (its origin) */
    const char *content_type; /* of body (POST), or NULL */
    const char *body;         /* POST: the body; may be NULL when len is 0 */
    size_t len;
    size_t max_reply;         /* a longer reply is refused (EDB_ERR_DATA), before it is all
                                 in memory */
} edb__http_req;

/* Make the request, retrying what the engine retries: EDB_OK and the 200 body in *reply
 * (appended); otherwise the status and err's message: "WHAT: REASON (HTTP N from URL,
 * after K tries)".  HTTP 404 is final (EDB_ERR_NOT_FOUND), 401/403 EDB_ERR_AUTH after at
 * most 2 more tries.  *http gets the last status (0: none).  Blocks; stops with
 * EDB_ERR_INTERRUPTED when the client's cancel flag is set. */
edb_status edb__client_http(edb_client *c, const edb__http_req *q, edb__buf *reply, long *http,
                            edb_err *err);

/* What discovery needs of a client: its service and the service's settings (borrowed). */
const edb__service *edb__client_service(const edb_client *c);
const edb__svc_conf *edb__client_conf(const edb_client *c);
/* The client's cancel flag (NULL: none), and its message of the last call: cleared, or
 * set from e (the first error wins, as edb_client_errmsg shows it). */
const volatile int *edb__client_cancel(const edb_client *c);
void edb__client_clear_error(edb_client *c);
void edb__client_set_error(edb_client *c, const edb_err *e);

/* ---- the MAST portal (portal.c) --------------------------------------------------------- */

/* The largest portal reply read: the whole inventory (about 15,000 rows) is 3 to 4 MB. */
#define EDB__PORTAL_REPLY_MAX ((size_t)64 << 20)

typedef enum edb__portal_status {
    EDB__PORTAL_COMPLETE = 1,
    EDB__PORTAL_EXECUTING,
    EDB__PORTAL_ERROR
} edb__portal_status;

/* One reply of the portal, decoded. */
typedef struct edb__portal_envelope {
    edb__portal_status status;
    char msg[512];            /* the portal's msg (control characters as '?'), "" if none */
    /* paging (-1 where it does not say) */
    int64_t page, page_size, pages_filtered, rows, rows_filtered, rows_total;
    size_t n_data;            /* rows of data decoded (all added to the table) */
    size_t n_skipped;         /* of which named no valid mnemonic (not added) */
} edb__portal_envelope;

/* Decode a portal reply: {"status": "COMPLETE"|"EXECUTING"|"ERROR", "msg", "data":
 * [{tlmMnemonic, tlmIdentifier, description, sqlDataType, subsystem, unit,
 * longDescription}, ...], "fields", "paging": {...}}.  The rows of a COMPLETE reply are
 * added to into (when not NULL) as one source: a row whose tlmMnemonic is not a valid
 * mnemonic is skipped and counted; unknown members are ignored; a string field may be
 * null (unknown), tlmIdentifier a whole number or null.  0: *out filled; -1: malformed,
 * why says where (into unchanged). */
int edb__portal_decode(const char *body, size_t len, edb__portal_envelope *out, edb_meta *into,
                       char *why, size_t whylen);

/* The form body of a portal request: request=<URL-encoded JSON of {"service": service,
 * "params": {} or {"mnemonic": NAME}, "format": "json", "pagesize": N, "page": K}>.
 * mnemonic may be NULL.  0 ok, -1 out of memory. */
int edb__portal_form(const char *service, const char *mnemonic, int64_t pagesize, int64_t page,
                     edb__buf *out);

/* Ask the portal at url for service (params {} or {"mnemonic": NAME}) and add the rows of
 * every page to into: polls while the portal says EXECUTING (at most EDB_PORTAL_POLLS_MAX
 * times, EDB_PORTAL_WAIT_MAX_US in all), pages through paging.pagesFiltered (at most
 * EDB_PORTAL_PAGES_MAX pages).  into is changed only on success. */
edb_status edb__portal_call(edb_client *c, const char *url, const char *service,
                            const char *mnemonic, int64_t pagesize, int64_t poll_us,
                            edb_meta *into, edb_err *err);

#endif
