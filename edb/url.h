/* url.h: URLs and the token rule (url.c), shared by the transfer engine and the services. */
#ifndef EDB_URL_H
#define EDB_URL_H

#include <edb/status.h>

/* Parts of a URL we care about.  Pointers into a private copy. */
typedef struct edb__url_parts {
    char *copy;
    const char *scheme; /* "http" or "https" */
    const char *host;   /* without brackets for IPv6 */
    long port;
} edb__url_parts;


edb_status edb__url_parse(const char *url, edb__url_parts *u, edb_err *err);
void edb__url_parts_free(edb__url_parts *u);
int edb__host_is_loopback(const char *host);
/* May the token travel to this URL?  https anywhere; plain http only to loopback. */
int edb__token_allowed(const edb__url_parts *u);
int edb__same_origin(const edb__url_parts *a, const edb__url_parts *b);

#endif
