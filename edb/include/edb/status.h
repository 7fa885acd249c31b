/* edb/status.h: the one status enum of libedb, and the error record every call fills.
 *
 * Statuses are stable: append new ones at the end, never renumber.  Each failing call
 * also leaves a message in an edb_err (or in its handle); the first error wins, so the
 * message names the original cause rather than its consequences. */
#ifndef EDB_STATUS_H
#define EDB_STATUS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum edb_status {
    EDB_OK = 0,
    EDB_ERR_USAGE = 1,      /* a bad argument or option from the caller */
    EDB_ERR_NOMEM = 2,      /* out of memory */
    EDB_ERR_TIME = 3,       /* a time or duration that does not parse */
    EDB_ERR_MNEMONIC = 4,   /* a mnemonic name that is not valid (edb-protocol section 6) */
    EDB_ERR_NOT_FOUND = 5,  /* the service does not know the mnemonic (HTTP 404) */
    EDB_ERR_AUTH = 6,       /* HTTP 401/403: token missing, wrong or expired */
    EDB_ERR_NETWORK = 7,    /* connection failed or timed out, after every retry */
    EDB_ERR_SERVER = 8,     /* the service answered with an error status, after every retry */
    EDB_ERR_DATA = 9,       /* a reply that does not decode */
    EDB_ERR_IO = 10,        /* local file I/O */
    EDB_ERR_TRUNCATED = 11, /* a reply cut short (fewer bytes than announced, no final line end) */
    EDB_ERR_INSECURE = 12,  /* refused: would send the token in clear or to another host */
    EDB_ERR_INTERNAL = 13,  /* a bug: an invariant of libedb did not hold */
    EDB_ERR_INTERRUPTED = 14, /* stopped on request (signal) */
    EDB_ERR_PARTIAL = 15      /* some of the work failed, the rest is there (keep-going) */
} edb_status;

/* Short, constant text for a status ("unknown mnemonic", ...).  Never NULL. */
const char *edb_strerror(edb_status st);

#define EDB_ERRMSG_SIZE 1024

/* An error record: the status and a message saying what was asked, what happened and
 * what to do.  Zero-initialise it (EDB_ERR_INIT); functions that take one fill it only if
 * it holds no error yet. */
typedef struct edb_err {
    edb_status status;
    char msg[EDB_ERRMSG_SIZE];
} edb_err;

#define EDB_ERR_INIT {EDB_OK, {0}}

void edb_err_clear(edb_err *e);

/* Record an error in e unless it already holds one (the first error wins); returns st.
 * For code built on libedb (writers, the CLI) that reports through an edb_err. */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
edb_status edb_err_set(edb_err *e, edb_status st, const char *fmt, ...);

#ifdef __cplusplus
}
#endif
#endif
