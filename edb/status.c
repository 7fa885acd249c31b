/* status.c: status names, the error record, and small shared helpers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <edb/edb.h>

#include "internal.h"

const char *edb_strerror(edb_status st)
{
    switch (st) {
    case EDB_OK: return "success";
    case EDB_ERR_USAGE: return "invalid argument";
    case EDB_ERR_NOMEM: return "out of memory";
    case EDB_ERR_TIME: return "invalid time";
    case EDB_ERR_MNEMONIC: return "invalid mnemonic name";
    case EDB_ERR_NOT_FOUND: return "unknown mnemonic";
    case EDB_ERR_AUTH: return "authentication failed";
    case EDB_ERR_NETWORK: return "network error";
    case EDB_ERR_SERVER: return "server error";
    case EDB_ERR_DATA: return "malformed data";
    case EDB_ERR_IO: return "local I/O error";
    case EDB_ERR_TRUNCATED: return "reply cut short";
    case EDB_ERR_INSECURE: return "refused as insecure";
    case EDB_ERR_INTERNAL: return "internal error";
    case EDB_ERR_INTERRUPTED: return "interrupted";
    case EDB_ERR_PARTIAL: return "partly failed";
    }
    return "unknown status";
}

const char *edb_version(void)
{
    return EDBX_VERSION;
}

void edb_err_clear(edb_err *e)
{
    if (e) {
        e->status = EDB_OK;
        e->msg[0] = '\0';
    }
}

edb_status edb__vfail(edb_err *e, edb_status st, const char *fmt, va_list ap)
{
    if (e && e->status == EDB_OK && st != EDB_OK) {
        e->status = st;
        vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    }
    return st;
}

edb_status edb__fail(edb_err *e, edb_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    edb__vfail(e, st, fmt, ap);
    va_end(ap);
    return st;
}

edb_status edb_err_set(edb_err *e, edb_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    edb__vfail(e, st, fmt, ap);
    va_end(ap);
    return st;
}

void edb__logf(void (*log)(void *, const char *), void *ctx, const char *fmt, ...)
{
    if (!log)
        return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    log(ctx, line);
}

char *edb__excerpt(const char *s, size_t len, size_t max, char *out, size_t outlen)
{
    size_t o = 0;
    if (outlen == 0)
        return out;
    for (size_t k = 0; k < len && k < max && o + 1 < outlen; k++) {
        unsigned char c = (unsigned char)s[k];
        out[o++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    if (len > max && o + 4 < outlen) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
    return out;
}

int edb__buf_reserve(edb__buf *b, size_t extra)
{
    if (b->cap - b->len > extra)
        return 0;
    size_t need = b->len + extra + 1;
    if (need < b->len)
        return -1;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need) {
        if (cap > ((size_t)-1) / 2)
            return -1;
        cap *= 2;
    }
    char *p = realloc(b->p, cap);
    if (!p)
        return -1;
    b->p = p;
    b->cap = cap;
    return 0;
}

int edb__buf_append(edb__buf *b, const void *data, size_t len)
{
    if (edb__buf_reserve(b, len) != 0)
        return -1;
    if (len)
        memcpy(b->p + b->len, data, len);
    b->len += len;
    b->p[b->len] = '\0';
    return 0;
}

int edb__buf_printf(edb__buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || edb__buf_reserve(b, (size_t)n) != 0)
        return -1;
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

void edb__buf_free(edb__buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

char *edb__strndup(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

char *edb__strdup(const char *s)
{
    return s ? edb__strndup(s, strlen(s)) : NULL;
}
