/* internal.h: helpers shared by the files of libedb (never installed). */
#ifndef EDB_INTERNAL_H
#define EDB_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <edb/mnemonic.h>
#include <edb/status.h>

#if defined(__GNUC__)
#define EDB__PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define EDB__PRINTF(a, b)
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

/* ---- replies (reply.c) -------------------------------------------------------------
 * The data reply body of each service for the samples of a series, byte for byte as the
 * service formats it, streamed: a generator writes the body into buffers of any size and
 * holds only one sample's text at a time, so a reply never sits whole in memory.
 *   MAST_CSV     path A: header, CRLF lines, 10-decimal MJD, 10-decimal floats.
 *   DIRECT_JSON  path B: {"TlmMnemonic","AllPoints","Count","ReqSTime","ReqETime","Data"},
 *                times as /Date(ms+0000)/, numbers shortest round-trip (a whole real as
 *                an integer, as the service does), NaN/infinities as "NaN"-style strings.
 *   EDP_JSON     the EDP API: the same keys in its order, ISO times with milliseconds;
 *                also a valid Python literal (no null/true/false, "Data":[] when empty).
 * AllPoints is s->all_points (1 when unknown); ReqSTime/ReqETime are req_start/req_end. */
typedef enum edb__reply_kind {
    EDB__REPLY_MAST_CSV,
    EDB__REPLY_DIRECT_JSON,
    EDB__REPLY_EDP_JSON
} edb__reply_kind;
typedef struct edb__reply_gen edb__reply_gen;
struct edb_series;
/* s is borrowed until edb__reply_gen_free; req_start/req_end: the range the request asked
 * (B and EDP echo it in ReqSTime/ReqETime).  Computes the body's length (one pass). */
edb_status edb__reply_gen_new(edb__reply_gen **out, edb__reply_kind kind,
                              const struct edb_series *s, int64_t req_start, int64_t req_end);
/* The text of the rows of samples [lo, hi) of s alone (no head, no foot, no separator
 * between rows), in bytes: what a server can keep per block of a series it serves again
 * and again, so that a reply's length costs a few blocks instead of a pass over the range. */
uint64_t edb__reply_rows_length(edb__reply_kind kind, const struct edb_series *s, size_t lo,
                                size_t hi);
/* edb__reply_gen_new with the rows' length known (edb__reply_rows_length of all of s):
 * no sizing pass. */
edb_status edb__reply_gen_new_sized(edb__reply_gen **out, edb__reply_kind kind,
                                    const struct edb_series *s, int64_t req_start,
                                    int64_t req_end, uint64_t rows_length);
/* Up to max bytes of the body into buf; 0 at the end. */
size_t edb__reply_gen_read(edb__reply_gen *g, char *buf, size_t max);
/* The body's exact length, known from the start (Content-Length). */
uint64_t edb__reply_gen_length(const edb__reply_gen *g);
void edb__reply_gen_free(edb__reply_gen *g); /* accepts NULL */
/* The whole body appended to b (built on the generator).  0 ok, -1 out of memory. */
int edb__reply_format(edb__reply_kind kind, const struct edb_series *s, int64_t req_start,
                      int64_t req_end, edb__buf *b);
/* s[0..len) as a JSON string (quotes included) appended to b, escaped as the replies above
 * escape strings: '"', '\\' and control characters only (the text stays a Python literal
 * too), bytes that are not UTF-8 as U+FFFD.  0 ok, -1 out of memory. */
int edb__json_append_string(edb__buf *b, const char *s, size_t len);

/* ---- edbx serve's request parsing (server.c), exposed for its fuzz target ------------- */
typedef enum edb__portal_service {
    EDB__PORTAL_MNEMONICS = 1, /* Mast.JwstEdb.Mnemonics: the whole inventory */
    EDB__PORTAL_DICTIONARY     /* Mast.JwstEdb.Dictionary: one mnemonic */
} edb__portal_service;
typedef struct edb__portal_request {
    edb__portal_service service;
    char mnemonic[EDB_MNEMONIC_MAX + 1]; /* Dictionary's params.mnemonic, normalised */
    int64_t pagesize, page;              /* 0 when not given */
} edb__portal_request;
/* A portal form body (request=<url-encoded JSON>).  0: *out filled; 1: a request the
 * portal answers with status ERROR (why: its msg); -1: not a portal request at all (an
 * HTTP 400; why says what is wrong). */
int edb__portal_parse(const char *body, size_t len, edb__portal_request *out, char *why,
                      size_t whylen);
/* A time as B and EDP queries give it: YYYY-MM-DD, optionally followed by T, a space or
 * '+' and HH:MM:SS with up to 6 decimals, and an optional Z; every field range-checked.
 * 0 ok, -1 with why. */
int edb__serve_parse_time(const char *s, int64_t *out, char *why, size_t whylen);
/* A metadata search text (B's path, EDP's mnemonic=): letters, digits and '_', at most
 * EDB_MNEMONIC_MAX, upper-cased into out (EDB_MNEMONIC_MAX + 1 bytes).  0 ok, -1 with why. */
int edb__serve_parse_search(const char *s, char *out, char *why, size_t whylen);

/* The reply body the service would send for mnemonic over [start, end] (whole seconds,
 * brackets included) from a store (store.c), appended to out. */
struct edb_store;
edb_status edb__store_reply(struct edb_store *s, const char *mnemonic, int64_t start,
                            int64_t end, edb__buf *out, edb_err *err);

/* For edbx serve (store.c): whether a saved path A reply answers exactly [start, end] (it
 * is then sent as saved, through edb__store_reply); the samples edb_store_query would copy
 * for the range, as a window [*lo, *hi) of the mnemonic's whole series, borrowed (valid
 * until the store is freed, never changed); and the store's meta.json bytes
 * (EDB_ERR_NOT_FOUND for a store of saved replies, which has none). */
int edb__store_has_saved(const struct edb_store *s, const char *mnemonic, int64_t start,
                         int64_t end);
edb_status edb__store_window(struct edb_store *s, const char *mnemonic, int64_t start,
                             int64_t end, int brackets, const struct edb_series **all,
                             size_t *lo, size_t *hi, edb_err *err);
edb_status edb__store_meta_json(struct edb_store *s, edb__buf *out, edb_err *err);
/* A bundle from its manifest's bytes alone (bundle.c), as edb_bundle_open makes it after
 * reading them; label names it in messages.  For the manifest's fuzz target: verify and
 * extract of such a bundle read label as the archive. */
struct edb_bundle;
edb_status edb__bundle_from_manifest(struct edb_bundle **out, const char *label,
                                     const char *data, size_t len, edb_err *err);

#endif
