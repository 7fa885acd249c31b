/* cache_internal.h: the cache entry's header parser and the entry path of a request,
 * shared with the fuzz target and the unit suite (never installed). */
#ifndef EDB_CACHE_INTERNAL_H
#define EDB_CACHE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <edb/cache.h>

/* An entry file begins with this line. */
#define EDB__CACHE_MAGIC "EDBXCACHE1\n"
#define EDB__CACHE_MAGIC_LEN (sizeof EDB__CACHE_MAGIC - 1)
/* The magic line and the JSON line together never exceed this: a reader needs no more of
 * the file to know what an entry answers. */
#define EDB__CACHE_HEADER_MAX 4096
/* The biggest reply an entry may hold: far past a day of a 16 Hz mnemonic (~100 MB), and a
 * bound on what a damaged length field could make a reader expect. */
#define EDB__CACHE_RAW_MAX (UINT64_C(4) << 30)

/* An entry's header, read.  Strings are borrowed from `json_` (freed with the header). */
typedef struct edb__cache_header {
    const char *service, *base_url, *kind, *mnemonic;
    int64_t start, end, stored;
    uint64_t size;
    char sha256[65];
    void *json_; /* the parsed JSON object (jansson's json_t) */
} edb__cache_header;

/* Does buf (the start of a file) carry the cache's magic? */
int edb__cache_has_magic(const void *buf, size_t len);

/* Read the header at the start of buf (len bytes: at least the whole header, or the whole
 * file if shorter).  0: *h is filled and *header_len is where the zlib stream begins; -1:
 * why (size whylen) says what is wrong, and *h needs no freeing. */
int edb__cache_header_parse(const void *buf, size_t len, edb__cache_header *h,
                            size_t *header_len, char *why, size_t whylen);
void edb__cache_header_free(edb__cache_header *h);

/* Where the entry answering ri lives, relative to the cache's root: "v1/XX/KEY.z". */
void edb__cache_entry_relpath(const edb_cache *c, const edb_request_info *ri, char *out,
                              size_t outlen);

/* ---- reading entries ahead of the client (client.c) ----
 * The cache behind a hook set, or NULL when h is not a cache's (edb_cache_hooks). */
edb_cache *edb__cache_of_hooks(const edb_reply_hooks *h);
/* Read the entry answering ri as a lookup would (size hint, feed), but with no side
 * effect: nothing logged, removed or counted.  1 when the entry is whole and every byte was
 * fed (feed never asked to stop); 0 otherwise (absent, damaged, unreadable, refresh, a
 * range never cached), when the caller asks the cache again through its lookup, which
 * reports and drops as always.  Safe on several threads at once, beside lookups and
 * stores (entries are renamed into place whole). */
int edb__cache_read_quiet(edb_cache *c, const edb_request_info *ri, const edb_reply_sink *sink);
/* Threads the client reads cache entries ahead with (client.c): -1 one per core (none on
 * one core), 0 none, N that many.  A knob for tests comparing runs with and without. */
extern int edb__cache_ahead_threads;
/* A request answered from a quiet read was a hit: counted as a lookup counts it. */
void edb__cache_count_hit(edb_cache *c);

#endif
