/* edb/archive.h: reading and writing the archives that stores and bundles travel in.
 *
 * Reading loads every regular file of a .tar, .tar.gz, .tgz, .tar.xz or .zip into memory
 * (nothing is unpacked to disk), and refuses what could hurt whoever unpacks it later or
 * exhaust this process: absolute names, '..' components, links, devices and other special
 * entries, entries over a size limit, and archives whose unpacked size runs far past their
 * packed size (a "zip bomb").  The error message names the offending entry.
 *
 * Writing makes one archive whose format follows the file name's extension, written to a
 * temporary file beside the target and renamed when complete.
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

/* Limits applied while reading; 0 in a field means its default. */
typedef struct edb_archive_limits {
    uint64_t entry_max;  /* largest entry, unpacked (default 256 MiB) */
    uint64_t total_max;  /* all entries together, unpacked (default 1 GiB) */
    uint64_t ratio_max;  /* unpacked / packed size allowed once past ratio_floor (default 200) */
    uint64_t ratio_floor;/* unpacked bytes below which the ratio is not checked (default 16 MiB) */
} edb_archive_limits;

#define EDB_ARCHIVE_LIMITS_INIT {0, 0, 0, 0}
#define EDB_ARCHIVE_ENTRY_MAX_DEFAULT (UINT64_C(256) << 20)
#define EDB_ARCHIVE_TOTAL_MAX_DEFAULT (UINT64_C(1) << 30)
#define EDB_ARCHIVE_RATIO_MAX_DEFAULT 200
#define EDB_ARCHIVE_RATIO_FLOOR_DEFAULT (UINT64_C(16) << 20)

typedef struct edb_archive edb_archive;

/* Is path named like an archive this module reads (.tar, .tar.gz, .tgz, .tar.xz, .zip)? */
int edb_archive_is_name(const char *path);

/* Load every file of the archive at path.  EDB_ERR_IO if it cannot be read, EDB_ERR_DATA
 * if it is not an archive or breaks a rule above (the message names the entry).  Names
 * are kept as written, less a leading "./"; directories are skipped. */
edb_status edb_archive_load(edb_archive **out, const char *path, const edb_archive_limits *lim,
                            edb_err *err);
void edb_archive_free(edb_archive *a); /* accepts NULL */

size_t edb_archive_count(const edb_archive *a);
/* Entry i: its name and bytes, borrowed until edb_archive_free. */
const char *edb_archive_name(const edb_archive *a, size_t i);
const char *edb_archive_data(const edb_archive *a, size_t i, size_t *len);
/* The entry named exactly name, or -1. */
long edb_archive_find(const edb_archive *a, const char *name);

/* One file to put in an archive being written. */
typedef struct edb_archive_file {
    const char *name; /* relative, '/'-separated */
    const char *data; /* the bytes, or NULL to stream them from path */
    size_t len;       /* their count (for path: the file's size, checked while copying) */
    const char *path; /* a file to copy in, read in pieces, when data is NULL */
} edb_archive_file;

/* Write files to path, in the format its extension names (EDB_ERR_USAGE for another
 * extension), every entry stamped with mtime (mode 0644, owner 0): the same files give
 * the same archive content whatever the clock says. */
edb_status edb_archive_write(const char *path, const edb_archive_file *files, size_t n,
                             edb_time mtime, edb_err *err);

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
