/* url.c: the parts of a URL the token rule needs, and the rule itself: the token goes over
 * https anywhere, over plain http only to a loopback address, and only to the origin it
 * was meant for (the transfer engine applies that on every redirect hop). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include <edb/client.h>

#include "internal.h"
#include "url.h"

void edb__url_parts_free(edb__url_parts *u)
{
    free(u->copy);
    memset(u, 0, sizeof *u);
}

edb_status edb__url_parse(const char *url, edb__url_parts *u, edb_err *err)
{
    memset(u, 0, sizeof *u);
    CURLU *h = curl_url();
    if (!h)
        return edb__fail(err, EDB_ERR_NOMEM, "out of memory");
    char *scheme = NULL, *host = NULL, *port = NULL, *user = NULL, *query = NULL, *frag = NULL;
    edb_status st = EDB_OK;
    if (curl_url_set(h, CURLUPART_URL, url, 0) != CURLUE_OK) {
        st = edb__fail(err, EDB_ERR_USAGE, "invalid URL '%s'", url);
        goto done;
    }
    curl_url_get(h, CURLUPART_SCHEME, &scheme, 0);
    curl_url_get(h, CURLUPART_HOST, &host, 0);
    curl_url_get(h, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT);
    curl_url_get(h, CURLUPART_USER, &user, 0);
    if (!scheme || !host || !port) {
        st = edb__fail(err, EDB_ERR_USAGE, "invalid URL '%s': no host", url);
        goto done;
    }
    for (char *p = scheme; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    if (strcmp(scheme, "https") != 0 && strcmp(scheme, "http") != 0) {
        st = edb__fail(err, EDB_ERR_USAGE, "invalid URL '%s': only http and https are supported",
                       url);
        goto done;
    }
    (void)query;
    (void)frag;
    {
        const char *hs = host;
        size_t hl = strlen(hs);
        if (hl >= 2 && hs[0] == '[' && hs[hl - 1] == ']') {
            hs++;
            hl -= 2;
        }
        size_t sl = strlen(scheme);
        u->copy = malloc(sl + hl + 2);
        if (!u->copy) {
            st = edb__fail(err, EDB_ERR_NOMEM, "out of memory");
            goto done;
        }
        memcpy(u->copy, scheme, sl + 1);
        memcpy(u->copy + sl + 1, hs, hl);
        u->copy[sl + 1 + hl] = '\0';
        for (char *p = u->copy + sl + 1; *p; p++)
            *p = (char)tolower((unsigned char)*p);
        u->scheme = u->copy;
        u->host = u->copy + sl + 1;
        u->port = strtol(port, NULL, 10);
    }
    if (user) {
        st = edb__fail(err, EDB_ERR_USAGE,
                       "invalid URL: credentials in a URL are not accepted (use --token-file)");
    }
done:
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_free(user);
    curl_url_cleanup(h);
    if (st != EDB_OK)
        edb__url_parts_free(u);
    return st;
}

int edb__host_is_loopback(const char *host)
{
    if (strcmp(host, "localhost") == 0 || strcmp(host, "::1") == 0)
        return 1;
    /* 127.0.0.0/8, written as a dotted quad */
    if (strncmp(host, "127.", 4) != 0)
        return 0;
    int dots = 0;
    for (const char *p = host; *p; p++) {
        if (*p == '.')
            dots++;
        else if (!isdigit((unsigned char)*p))
            return 0;
    }
    return dots == 3;
}

/* May the token travel to this URL?  https anywhere; plain http only to loopback. */
int edb__token_allowed(const edb__url_parts *u)
{
    return strcmp(u->scheme, "https") == 0 || edb__host_is_loopback(u->host);
}

int edb__same_origin(const edb__url_parts *a, const edb__url_parts *b)
{
    return strcmp(a->scheme, b->scheme) == 0 && strcmp(a->host, b->host) == 0 &&
           a->port == b->port;
}

edb_status edb_base_url_check(const char *base_url, int have_token, edb_err *err)
{
    edb__url_parts u;
    edb_status st = edb__url_parse(base_url, &u, err);
    if (st != EDB_OK)
        return st;
    if (strchr(base_url, '?') || strchr(base_url, '#'))
        st = edb__fail(err, EDB_ERR_USAGE,
                       "invalid base URL '%s': it must not have a query or fragment", base_url);
    else if (have_token && !edb__token_allowed(&u))
        st = edb__fail(err, EDB_ERR_INSECURE,
                       "refusing to send the MAST token in clear text to %s: use an https URL "
                       "(plain http is allowed only to a loopback address such as 127.0.0.1)",
                       u.host);
    edb__url_parts_free(&u);
    return st;
}

