/* edb/server.h: `edbx serve`, an HTTP server that speaks path A of the EDB.
 *
 * It answers GET /api/v0.1/Download/file?uri=mast:jwstedb/MNEMONIC-START-END.csv from a
 * local store with the bytes the service would send (text/csv, CRLF, header
 * theTime,MJD,euvalue,sqldataType, the bracket rule), and GET /api/ with 200 (the jwst
 * client probes it first).  404 for an unknown mnemonic or path, 400 for a malformed uri,
 * 401 when a token is required and missing or wrong.  It runs in its own threads
 * (libmicrohttpd) until stopped.  Faults can be injected for tests. */
#ifndef EDB_SERVER_H
#define EDB_SERVER_H

#include <stdint.h>

#include <edb/status.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct edb_server_options {
    const char *store;     /* store path (see edb/store.h) */
    const char *bind;      /* address to bind; NULL = 127.0.0.1 */
    unsigned port;         /* 0 = a free port, see edb_server_port */
    const char *token;     /* token to demand (Authorization: token T), or NULL */
    /* Faults, applied to the first fault_count data requests (-1: to all of them). */
    int fault_count;
    int fault_status;      /* answer with this status (e.g. 503) instead of data; 0 = off */
    int retry_after;       /* with fault_status: Retry-After seconds; < 0 = no header */
    int64_t delay_us;      /* wait this long before answering */
    long truncate_after;   /* announce the full Content-Length, send this many bytes,
                              then close the connection; < 0 = off */
    int drop;              /* close the connection without any answer */
    int chop_eol;          /* send the reply without its last line end (a body that looks
                              complete by Content-Length but ends inside a row) */
    /* Random failures, on top of the above: each data request fails with this probability
     * (0..1), with fault_status (503 if 0) and retry_after; which requests fail depends only
     * on fail_seed and the request's number, so a run is reproducible. */
    double fail_rate;
    unsigned fail_seed;
    /* Optional log of each request: "GET /path 200 1234 bytes". */
    void (*log)(void *ctx, const char *line);
    void *log_ctx;
} edb_server_options;

#define EDB_SERVER_OPTIONS_INIT {NULL, NULL, 0, NULL, 0, 0, -1, 0, -1, 0, 0, 0.0, 0, NULL, NULL}

typedef struct edb_server edb_server;

edb_status edb_server_start(edb_server **out, const edb_server_options *o, edb_err *err);
unsigned edb_server_port(const edb_server *s);
/* Data requests received (Download/file), faulted ones included. */
unsigned long edb_server_requests(const edb_server *s);
/* Connections accepted in all, and the most ever open at once. */
unsigned long edb_server_connections(const edb_server *s);
unsigned edb_server_max_open_connections(const edb_server *s);
void edb_server_stop(edb_server *s); /* stops, waits for its threads, frees; accepts NULL */

#ifdef __cplusplus
}
#endif
#endif
