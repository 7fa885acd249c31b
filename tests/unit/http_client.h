/* http_client.h: one HTTP request with libcurl, for the suites that test `edbx serve` over
 * real HTTP on 127.0.0.1 (test_server, test_serve_services, test_serve_limits).  Static
 * inline functions: each suite compiles its own copy of those it uses. */ 
#ifndef EDB_HTTP_CLIENT_H
#define EDB_HTTP_CLIENT_H

#include <check.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <edb/server.h>

typedef struct http_res {
    CURLcode rc;
    long code;
    char *body;
    size_t len;
    char *hdrs;
    size_t hlen;
    curl_off_t clen; /* Content-Length announced, -1 if none */
    double secs;
} http_res;

/* What to send beyond the path: all optional (zero = GET, no headers, no body). */
typedef struct http_req {
    const char *method;   /* NULL: GET, or POST when body is set */
    const char *auth;     /* the whole Authorization value */
    const char *cookie;   /* a Cookie header value */
    const char *ctype;    /* Content-Type of the body; NULL: none sent */
    const char *body;     /* a body (POST) */
    size_t body_len;      /* 0: strlen(body) */
    const char *source;   /* local address to send from (127.0.0.2: another client) */
    int chunked;          /* send the body with Transfer-Encoding: chunked */
} http_req;

static inline size_t http_grow(char **p, size_t *len, const char *data, size_t n)
{
    char *q = realloc(*p, *len + n + 1);
    if (!q)
        return 0;
    memcpy(q + *len, data, n);
    *len += n;
    q[*len] = '\0';
    *p = q;
    return n;
}

static inline size_t http_on_body(char *data, size_t size, size_t nmemb, void *ud)
{
    http_res *r = ud;
    return http_grow(&r->body, &r->len, data, size * nmemb);
}

static inline size_t http_on_header(char *data, size_t size, size_t nmemb, void *ud)
{
    http_res *r = ud;
    return http_grow(&r->hdrs, &r->hlen, data, size * nmemb);
}

static inline double now_secs(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef struct http_chunked {
    const char *p;
    size_t left;
} http_chunked;

static inline size_t http_read_body(char *buf, size_t size, size_t nmemb, void *ud)
{
    http_chunked *c = ud;
    size_t n = size * nmemb < c->left ? size * nmemb : c->left;
    memcpy(buf, c->p, n);
    c->p += n;
    c->left -= n;
    return n;
}

/* One request to path (with its query) on port; fills r (free with http_free). */
static inline void http_port(unsigned port, const char *path, const http_req *q, http_res *r)
{
    static const http_req none;
    if (!q)
        q = &none;
    memset(r, 0, sizeof *r);
    r->body = calloc(1, 1);
    r->hdrs = calloc(1, 1);
    char url[8192];
    snprintf(url, sizeof url, "http://127.0.0.1:%u%s", port, path);
    CURL *h = curl_easy_init();
    ck_assert_ptr_nonnull(h);
    struct curl_slist *hl = NULL;
    char hb[1024];
    if (q->auth) {
        snprintf(hb, sizeof hb, "Authorization: %s", q->auth);
        hl = curl_slist_append(hl, hb);
    }
    if (q->cookie) {
        snprintf(hb, sizeof hb, "Cookie: %s", q->cookie);
        hl = curl_slist_append(hl, hb);
    }
    if (q->body) {
        snprintf(hb, sizeof hb, "Content-Type:%s%s", q->ctype ? " " : "", q->ctype ? q->ctype : "");
        hl = curl_slist_append(hl, hb);
    }
    http_chunked ch = {q->body, q->body ? (q->body_len ? q->body_len : strlen(q->body)) : 0};
    if (q->chunked)
        hl = curl_slist_append(hl, "Transfer-Encoding: chunked");
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, http_on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, http_on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
    if (q->source)
        curl_easy_setopt(h, CURLOPT_INTERFACE, q->source);
    if (q->body && q->chunked) {
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_READFUNCTION, http_read_body);
        curl_easy_setopt(h, CURLOPT_READDATA, &ch);
    } else if (q->body) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, q->body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)ch.left);
    }
    if (q->method && !(q->body && strcmp(q->method, "POST") == 0)) {
        if (strcmp(q->method, "HEAD") == 0)
            curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
        else
            curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, q->method);
    }
    double t0 = now_secs();
    r->rc = curl_easy_perform(h);
    r->secs = now_secs() - t0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->code);
    r->clen = -1;
    curl_easy_getinfo(h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &r->clen);
    curl_slist_free_all(hl);
    curl_easy_cleanup(h);
}

static inline void http_free(http_res *r)
{
    free(r->body);
    free(r->hdrs);
    memset(r, 0, sizeof *r);
}

/* Is `line` ("Name: value") one of the reply's header lines (name case-insensitive)? */
static inline int has_header(const http_res *r, const char *line)
{
    size_t n = strlen(line);
    for (const char *p = r->hdrs; *p; p++)
        if (strncasecmp(p, line, n) == 0 && (p == r->hdrs || p[-1] == '\n') && p[n] == '\r')
            return 1;
    return 0;
}

/* s URL-encoded (every byte but letters, digits and -._~), malloc'ed. */
static inline char *url_escape(const char *s)
{
    CURL *h = curl_easy_init();
    char *e = curl_easy_escape(h, s, 0);
    char *out = strdup(e);
    curl_free(e);
    curl_easy_cleanup(h);
    return out;
}

#endif
