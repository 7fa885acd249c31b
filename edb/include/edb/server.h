/* edb/server.h: `edbx serve`, an HTTP server that speaks every EDB service from one store.
 *
 * From a local store (edb/store.h) it answers, all at once and byte for byte as the
 * services would (docs/serve.md has every route with an example):
 *   path A  GET /api/v0.1/Download/file?uri=mast:jwstedb/MNEMONIC-START-END.csv (CSV), and
 *           GET /api/ (the jwst client's probe);
 *   path B  GET /JWDMSEngFqAcc/TlmMnemonicDataSrv.svc/Data/MNEMONIC?sTime=..&eTime=.. and
 *           .../MetaData/TlmMnemonics/SUBSTRING (JSON), under the path the operations
 *           service uses, so that jwst's ENGDB_Service picks its direct client there;
 *   EDP     GET /edp/api/v0.1/mnemonics/spa/MISSION/data?mnemonic=&s_time=&e_time= and
 *           .../metadata?mnemonic=PARTIAL (JSON that is also a Python literal);
 *   path C  POST /api/v0/invoke (the MAST portal: Mast.JwstEdb.Mnemonics and
 *           Mast.JwstEdb.Dictionary from the store's meta.json and an inventory CSV) and
 *           POST /portal/Mashup/Mashup.asmx/columnsconfig ({}, what astroquery asks first).
 * Data replies follow the bracket rule; 404 for an unknown mnemonic or path, 400 for a
 * malformed request, 401 when a token is required and missing or wrong.
 *
 * It cannot be exhausted by its clients: replies stream from the store's series (memory
 * per connection is bounded whatever the range), connections are capped in all and per
 * client address, and a request must arrive whole within a short time.  It runs in its
 * own threads (libmicrohttpd, a fixed pool) until stopped.  Faults can be injected for
 * tests. */
#ifndef EDB_SERVER_H
#define EDB_SERVER_H

#include <stdint.h>

#include <edb/status.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Where path B lives on the server, relative to its root: a base URL for the direct
 * service is "http://HOST:PORT/" EDB_SERVER_DIRECT_PATH. */
#define EDB_SERVER_DIRECT_PATH "JWDMSEngFqAcc/TlmMnemonicDataSrv.svc/"

/* Defaults of the limits below. */
#define EDB_SERVER_MAX_CONNECTIONS 256
#define EDB_SERVER_MAX_PER_CLIENT 64
#define EDB_SERVER_REQUEST_TIMEOUT_US INT64_C(10000000) /* 10 s */
#define EDB_SERVER_THREADS 4

typedef struct edb_server_options {
    const char *store;     /* store path (see edb/store.h) */
    const char *bind;      /* address to bind; NULL = 127.0.0.1 */
    unsigned port;         /* 0 = a free port, see edb_server_port */
    const char *token;     /* token to demand (Authorization: token T, or for the portal the
                              cookie mast_token=T), or NULL */
    /* Faults, applied to the first fault_count requests to a data or metadata route of any
     * service (-1: to all of them). */
    int fault_count;
    int fault_status;      /* answer with this status (e.g. 503) instead of data; 0 = off */
    int retry_after;       /* with fault_status: Retry-After seconds; < 0 = no header */
    int64_t delay_us;      /* wait this long before answering (without holding a thread) */
    long truncate_after;   /* announce the full Content-Length, send this many bytes,
                              then close the connection; < 0 = off */
    int drop;              /* close the connection without any answer */
    int chop_eol;          /* send a 200 reply without its last line end (CSV) or its last
                              byte (JSON): complete by Content-Length, cut by content */
    /* Random failures, on top of the above: each data request fails with this probability
     * (0..1), with fault_status (503 if 0) and retry_after; which requests fail depends only
     * on fail_seed and the request's number, so a run is reproducible. */
    double fail_rate;
    unsigned fail_seed;
    /* Optional log of each request: "GET /path -> 200 (1234 bytes)". */
    void (*log)(void *ctx, const char *line);
    void *log_ctx;
    /* The portal's inventory: a MAST inventory CSV (or a path B meta.json) read before the
     * store's meta.json, which fills what it does not say.  NULL: meta.json alone. */
    const char *inventory;
    int portal_executing;  /* answer status EXECUTING this many times to each distinct
                              portal request before its result (clients must poll) */
    /* Limits (0 = the default above). */
    unsigned max_connections; /* open connections in all; more are closed at once */
    unsigned max_per_client;  /* open connections from one IP address */
    int64_t request_timeout_us; /* a request (headers and body) must arrive within this
                                   from the connection's opening or its previous reply */
    unsigned threads;         /* worker threads serving every connection */
} edb_server_options;

#define EDB_SERVER_OPTIONS_INIT                                                                \
    {NULL, NULL, 0, NULL, 0, 0, -1, 0, -1, 0, 0, 0.0, 0, NULL, NULL, NULL, 0, 0, 0, 0, 0}

typedef struct edb_server edb_server;

edb_status edb_server_start(edb_server **out, const edb_server_options *o, edb_err *err);
unsigned edb_server_port(const edb_server *s);
/* Requests received on a data or metadata route of any service (what faults apply to),
 * faulted ones included; not the probes (GET /api/, columnsconfig). */
unsigned long edb_server_requests(const edb_server *s);
/* Connections accepted in all, and the most ever open at once. */
unsigned long edb_server_connections(const edb_server *s);
unsigned edb_server_max_open_connections(const edb_server *s);
/* Connections open now: 0 once every client has hung up and been seen to. */
unsigned edb_server_open_connections(const edb_server *s);
/* Connections closed because their request did not arrive within request_timeout_us. */
unsigned long edb_server_timeouts(const edb_server *s);
void edb_server_stop(edb_server *s); /* stops, waits for its threads, frees; accepts NULL */

#ifdef __cplusplus
}
#endif
#endif
