/* internal.h: helpers shared by the files of libedb (never installed). */
#ifndef EDB_INTERNAL_H
#define EDB_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <edb/status.h>

#if defined(__GNUC__)
#define EDB__PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define EDB__PRINTF(a, b)
/* A bundle from its manifest's bytes alone (bundle.c), as edb_bundle_open makes it after
 * reading them; label names it in messages.  For the manifest's fuzz target: verify and
 * extract of such a bundle read label as the archive. */
struct edb_bundle;
edb_status edb__bundle_from_manifest(struct edb_bundle **out, const char *label,
                                     const char *data, size_t len, edb_err *err);

#endif

/* Record an error in e (if e is not NULL and holds none yet: the first error wins) and
 * return st, so that failing is one line: return edb__fail(err, EDB_ERR_DATA, "...", ...). */
edb_status edb__fail(edb_err *e, edb_status st, const char *fmt, ...) EDB__PRINTF(3, 4);
edb_status edb__vfail(edb_err *e, edb_status st, const char *fmt, va_list ap);

/* Copy at most max bytes of s into out (size outlen) for quoting in a message: control
 * characters become '?', and "..." marks a cut.  Returns out. */
char *edb__excerpt(const char *s, size_t len, size_t max, char *out, size_t outlen);

/* A growable byte buffer. */
typedef struct edb__buf {
    char *p;
    size_t len, cap;
} edb__buf;

int edb__buf_reserve(edb__buf *b, size_t extra); /* 0 ok, -1 out of memory */
int edb__buf_append(edb__buf *b, const void *data, size_t len);
int edb__buf_printf(edb__buf *b, const char *fmt, ...) EDB__PRINTF(2, 3);
void edb__buf_free(edb__buf *b);

/* Format one log line and hand it to log(ctx, line) if log is set (the library's -v). */
void edb__logf(void (*log)(void *, const char *), void *ctx, const char *fmt, ...)
    EDB__PRINTF(3, 4);

char *edb__strdup(const char *s);
char *edb__strndup(const char *s, size_t n);

/* The body of a path A reply for the samples of s, byte for byte as the service formats
 * it (reply.c): header, CRLF lines, 10-decimal MJD.  0 ok, -1 out of memory. */
struct edb_series;
int edb__reply_format(const struct edb_series *s, edb__buf *b);

/* The reply body the service would send for mnemonic over [start, end] (whole seconds,
 * brackets included) from a store (store.c), appended to out. */
struct edb_store;
edb_status edb__store_reply(struct edb_store *s, const char *mnemonic, int64_t start,
                            int64_t end, edb__buf *out, edb_err *err);

/* A bundle from its manifest's bytes alone (bundle.c), as edb_bundle_open makes it after
 * reading them; label names it in messages.  For the manifest's fuzz target: verify and
 * extract of such a bundle read label as the archive. */
struct edb_bundle;
edb_status edb__bundle_from_manifest(struct edb_bundle **out, const char *label,
                                     const char *data, size_t len, edb_err *err);

#endif
