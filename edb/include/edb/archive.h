/* edb/archive.h: reading and writing the archives that stores and bundles travel in.
 *
 * Reading refuses what could hurt whoever unpacks the archive later or exhaust this
 * process: absolute names, '..' components, links, devices and other special entries,
 * names given twice, more entries than a limit, entries over a size limit, and archives
 * whose unpacked size runs far past their packed size (a "zip bomb").  The error message
 * names the offending entry.  Names are kept as written less any leading "./" (what
 * `tar -C dir .` writes); the entry "./" itself and other directories are skipped.
 * Two ways to read, under the same rules:
 *  - edb_archive_load: every regular file into memory (stores: small, asked in any order);
 *  - edb_archive_reader: entry by entry, in pieces, nothing kept (bundles: any size).
 *
 * Writing makes one archive whose format follows the file name's extension, written to a
 * temporary file beside the target and renamed when complete.  It is reproducible: the
 * same files, in the same order, with the same time give the same bytes (fixed owner,
 * group and mode, no gzip name or time, no zip time but the one given).
 *
 * SHA-256 lives here too: it is what bundles and the cache check their content with. */
#ifndef EDB_ARCHIVE_H
#define EDB_ARCHIVE_H

#include <stddef.h>
#include <stdint.h>

#include <edb/status.h>
#include <edb/time.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Limits applied while reading; 0 in a field means its default, EDB_ARCHIVE_UNLIMITED
 * none. */
typedef struct edb_archive_limits {
    uint64_t entry_max;  /* largest entry, unpacked (default 256 MiB) */
    uint64_t total_max;  /* all entries together, unpacked (default 1 GiB) */
    uint64_t ratio_max;  /* unpacked / packed size allowed once past ratio_floor (default 200) */
    uint64_t ratio_floor;/* unpacked bytes below which the ratio is not checked (default 16 MiB) */
    uint64_t entries_max;/* entries of any kind, folders included (default 200,000): what
                          * bounds the time and memory an archive of empty entries costs */
    uint64_t hold_max;   /* edb_archive_load: bytes of entries held in memory (default
                          * 16 MiB, entries of at most 1 MiB); the others are read again
                          * from the archive, in pieces, each time they are asked for */
} edb_archive_limits;

#define EDB_ARCHIVE_LIMITS_INIT {0, 0, 0, 0, 0, 0}
#define EDB_ARCHIVE_HOLD_MAX_DEFAULT (UINT64_C(16) << 20)
#define EDB_ARCHIVE_HOLD_ENTRY_MAX (UINT64_C(1) << 20)
#define EDB_ARCHIVE_UNLIMITED UINT64_MAX
#define EDB_ARCHIVE_ENTRY_MAX_DEFAULT (UINT64_C(256) << 20)
#define EDB_ARCHIVE_TOTAL_MAX_DEFAULT (UINT64_C(1) << 30)
#define EDB_ARCHIVE_RATIO_MAX_DEFAULT 200
#define EDB_ARCHIVE_RATIO_FLOOR_DEFAULT (UINT64_C(16) << 20)
#define EDB_ARCHIVE_ENTRIES_MAX_DEFAULT 200000

typedef struct edb_archive edb_archive;

/* Is path named like an archive this module reads (.tar, .tar.gz, .tgz, .tar.xz, .zip)? */
int edb_archive_is_name(const char *path);

/* Load the archive at path: every file's name and size, and the bytes of the small ones
 * (limits->hold_max); the archive is read whole once, so every rule is checked here.
 * EDB_ERR_IO if it cannot be read, EDB_ERR_DATA if it is not an archive or breaks a rule
 * above (the message names the entry). */
edb_status edb_archive_load(edb_archive **out, const char *path, const edb_archive_limits *lim,
                            edb_err *err);
void edb_archive_free(edb_archive *a); /* accepts NULL */

size_t edb_archive_count(const edb_archive *a);
/* Entry i: its name and bytes, borrowed until edb_archive_free; the bytes are NULL (and
 * *len its size) for an entry not held in memory: read it with edb_archive_stream. */
const char *edb_archive_name(const edb_archive *a, size_t i);
const char *edb_archive_data(const edb_archive *a, size_t i, size_t *len);
/* Entry i handed to feed in pieces of at most 64 KiB: from memory when held, else read
 * again from the archive (one pass up to the entry; EDB_ERR_DATA if the archive changed
 * since it was loaded).  feed returns non-zero to stop (*stopped set, EDB_OK). */
edb_status edb_archive_stream(const edb_archive *a, size_t i,
                              int (*feed)(void *ctx, const char *data, size_t len), void *ctx,
                              int *stopped, edb_err *err);
/* The entry named exactly name, or -1 (a hash lookup). */
long edb_archive_find(const edb_archive *a, const char *name);

/* Reading in pieces.  next moves to the following regular file (skipping folders) and
 * sets *name (borrowed until the next call), or NULL at the end; read gives up to cap
 * bytes of it (*got 0 at its end).  Every rule is checked as the entries and bytes go
 * by; after an error the reader is done (free it). */
typedef struct edb_archive_reader edb_archive_reader;
edb_status edb_archive_reader_open(edb_archive_reader **out, const char *path,
                                   const edb_archive_limits *lim, edb_err *err);
edb_status edb_archive_reader_next(edb_archive_reader *r, const char **name, edb_err *err);
edb_status edb_archive_reader_read(edb_archive_reader *r, void *buf, size_t cap, size_t *got,
                                   edb_err *err);
void edb_archive_reader_free(edb_archive_reader *r); /* accepts NULL */

/* One file to put in an archive being written. */
typedef struct edb_archive_file {
    const char *name; /* relative, '/'-separated */
    const char *data; /* the bytes, or NULL to stream them from path */
    size_t len;       /* their count (for path: the file's size, checked while copying) */
    const char *path; /* a file to copy in, read in pieces, when data is NULL */
} edb_archive_file;

typedef struct edb_archive_write_options {
    edb_time mtime;             /* every entry's time (whole seconds are kept) */
    const volatile int *cancel; /* optional: stop with EDB_ERR_INTERRUPTED (and no file
                                 * left) once *cancel is non-zero */
    /* Optional: told of each entry before it is written (progress; a test's pause). */
    void (*on_entry)(void *ctx, const char *name);
    void *ctx;
} edb_archive_write_options;

#define EDB_ARCHIVE_WRITE_OPTIONS_INIT {0, NULL, NULL, NULL}

/* Write files to path, in the order given, in the format its extension names
 * (EDB_ERR_USAGE for another extension): every entry a regular file of mode 0644, owner
 * and group 0 with no names, time o->mtime; gzip without a name or time in its header.
 * The same files and options give the same bytes whatever the clock says (a zip's
 * DOS time fields are local time by the format's definition: the caller fixes the time
 * zone, as `edbx` does, for zips that are the same everywhere). */
edb_status edb_archive_write(const char *path, const edb_archive_file *files, size_t n,
                             const edb_archive_write_options *o, edb_err *err);

/* SHA-256 of data as 64 lower-case hex digits and a NUL. */
#define EDB_SHA256_HEX 65
void edb_sha256_hex(const void *data, size_t len, char out[EDB_SHA256_HEX]);

/* The same, fed in pieces (for bodies that stream through and are never whole in memory).
 * new returns NULL when out of memory; final writes the digest and frees. */
typedef struct edb_sha256 edb_sha256;
edb_sha256 *edb_sha256_new(void);
void edb_sha256_update(edb_sha256 *h, const void *data, size_t len);
void edb_sha256_final(edb_sha256 *h, char out[EDB_SHA256_HEX]);
void edb_sha256_free(edb_sha256 *h); /* without a digest; accepts NULL */

#ifdef __cplusplus
}
#endif
#endif
