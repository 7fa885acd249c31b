/* tu_raw.h: a tiny HTTP server for tests that need replies edbx serve would never send
 * (an empty 200, a Retry-After a year away, a compressed body that inflates without
 * bound).  It answers every request alike, on 127.0.0.1, and counts them. */
#ifndef EDB_TU_RAW_H
#define EDB_TU_RAW_H

#include <stddef.h>

typedef struct tu_raw_reply {
    unsigned status;
    const char *body;           /* may be NULL: an empty body */
    size_t len;
    const char *header, *value; /* one extra header, or NULL */
    /* Paths that get 200 and an empty JSON object instead (the aliveness check: "/api/"),
     * NULL-terminated; may be NULL. */
    const char *const *ok_paths;
} tu_raw_reply;

typedef struct tu_raw tu_raw;

/* Start serving r (borrowed: it must outlive the server); base gets
 * "http://127.0.0.1:PORT/" (at least 64 bytes).  The test fails if it cannot start. */
tu_raw *tu_raw_start(const tu_raw_reply *r, char *base);
unsigned long tu_raw_requests(const tu_raw *s); /* requests other than ok_paths */
void tu_raw_stop(tu_raw *s);

#endif
