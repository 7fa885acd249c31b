/* archive.c: archives read under safety rules (into memory, or in pieces), archives
 * written atomically and reproducibly, and SHA-256.
 *
 * Stores load an archive whole: they are small (the 2021 recording is 1.2 MB unpacked),
 * and holding them lets a store answer queries in any order without seeking through a
 * compressed stream again; the size limits are what keeps "small" true for a hostile
 * file.  Bundles can be as large as a pull, so they are read in pieces and never held.
 * Either way names are looked up in a hash table: an archive of many empty entries costs
 * time in proportion to its entries, never to their square. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>

#include <edb/archive.h>

#include "internal.h"

/* ---- a table of names (keys borrowed) ------------------------------------------------ */

typedef struct strtab {
    const char **key;
    size_t *val;
    size_t cap, n; /* cap: 0 or a power of two */
} strtab;

static uint64_t name_hash(const char *s)
{
    uint64_t h = UINT64_C(1469598103934665603); /* FNV-1a */
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= UINT64_C(1099511628211);
    }
    return h;
}

static long strtab_get(const strtab *t, const char *k)
{
    if (!t->cap)
        return -1;
    for (size_t i = (size_t)name_hash(k) & (t->cap - 1);; i = (i + 1) & (t->cap - 1)) {
        if (!t->key[i])
            return -1;
        if (strcmp(t->key[i], k) == 0)
            return (long)t->val[i];
    }
}

/* k must not be in t yet.  0, or -1 when out of memory. */
static int strtab_put(strtab *t, const char *k, size_t v)
{
    if ((t->n + 1) * 2 > t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        const char **key = calloc(cap, sizeof *key);
        size_t *val = calloc(cap, sizeof *val);
        if (!key || !val) {
            free(key);
            free(val);
            return -1;
        }
        for (size_t j = 0; j < t->cap; j++) {
            if (!t->key[j])
                continue;
            size_t i = (size_t)name_hash(t->key[j]) & (cap - 1);
            while (key[i])
                i = (i + 1) & (cap - 1);
            key[i] = t->key[j];
            val[i] = t->val[j];
        }
        free(t->key);
        free(t->val);
        t->key = key;
        t->val = val;
        t->cap = cap;
    }
    size_t i = (size_t)name_hash(k) & (t->cap - 1);
    while (t->key[i])
        i = (i + 1) & (t->cap - 1);
    t->key[i] = k;
    t->val[i] = v;
    t->n++;
    return 0;
}

static void strtab_free(strtab *t)
{
    free(t->key);
    free(t->val);
    memset(t, 0, sizeof *t);
}

/* ---- names ---------------------------------------------------------------------------- */

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

int edb_archive_is_name(const char *path)
{
    return path && (ends_with(path, ".tar") || ends_with(path, ".tar.gz") ||
                    ends_with(path, ".tgz") || ends_with(path, ".tar.xz") ||
                    ends_with(path, ".zip"));
}

/* A name that stays inside whatever folder the archive is unpacked into: relative, no
 * '..' component, no backslash (a Windows separator in a zip), no control character;
 * a file's name also has no empty or '.' component, so that it has one spelling.
 * Returns NULL when fine, else what is wrong. */
static const char *bad_name(const char *name, int dir)
{
    if (!name || (!*name && !dir))
        return "has no name";
    if (name[0] == '/')
        return "has an absolute path";
    for (const char *p = name; *p; p++) {
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return "has a control character in its name";
        if (*p == '\\')
            return "has a backslash in its name";
    }
    const char *p = name;
    while (*p) {
        size_t len = strcspn(p, "/");
        if (len == 2 && p[0] == '.' && p[1] == '.')
            return "has a '..' component (it would reach outside the folder)";
        if (!dir && (len == 0 || (len == 1 && p[0] == '.')))
            return "has an empty or '.' component in its name";
        p += len;
        if (*p == '/')
            p++;
    }
    if (!dir && name[strlen(name) - 1] == '/')
        return "has an empty or '.' component in its name";
    return NULL;
}

/* ---- reading in pieces ---------------------------------------------------------------- */

struct edb_archive_reader {
    struct archive *ar;
    char *path;
    uint64_t entry_max, total_max, ratio_max, floor_, entries_max;
    uint64_t packed, total, entry_bytes, entries;
    strtab seen;      /* the names of the files so far (keys in names) */
    char **names;
    size_t n_names, cap_names;
    char shown[200];  /* the current entry's name, fit for a message */
    int failed;
};

void edb_archive_reader_free(edb_archive_reader *r)
{
    if (!r)
        return;
    if (r->ar)
        archive_read_free(r->ar);
    for (size_t k = 0; k < r->n_names; k++)
        free(r->names[k]);
    free(r->names);
    strtab_free(&r->seen);
    free(r->path);
    free(r);
}

static uint64_t limit_or(uint64_t v, uint64_t def)
{
    return v ? v : def;
}

edb_status edb_archive_reader_open(edb_archive_reader **out, const char *path,
                                   const edb_archive_limits *lim, edb_err *err)
{
    if (!out || !path)
        return edb__fail(err, EDB_ERR_USAGE, "edb_archive_reader_open: no path");
    *out = NULL;
    struct stat sb;
    if (stat(path, &sb) != 0)
        return edb__fail(err, EDB_ERR_IO, "%s: %s", path, strerror(errno));
    if (!S_ISREG(sb.st_mode))
        return edb__fail(err, EDB_ERR_IO, "%s: not a regular file", path);
    edb_archive_reader *r = calloc(1, sizeof *r);
    if (!r || !(r->path = edb__strdup(path)) || !(r->ar = archive_read_new())) {
        edb_archive_reader_free(r);
        return edb__fail(err, EDB_ERR_NOMEM, "out of memory");
    }
    r->entry_max = limit_or(lim ? lim->entry_max : 0, EDB_ARCHIVE_ENTRY_MAX_DEFAULT);
    r->total_max = limit_or(lim ? lim->total_max : 0, EDB_ARCHIVE_TOTAL_MAX_DEFAULT);
    r->ratio_max = limit_or(lim ? lim->ratio_max : 0, EDB_ARCHIVE_RATIO_MAX_DEFAULT);
    r->floor_ = limit_or(lim ? lim->ratio_floor : 0, EDB_ARCHIVE_RATIO_FLOOR_DEFAULT);
    r->entries_max = limit_or(lim ? lim->entries_max : 0, EDB_ARCHIVE_ENTRIES_MAX_DEFAULT);
    r->packed = (uint64_t)sb.st_size;
    archive_read_support_filter_gzip(r->ar);
    archive_read_support_filter_xz(r->ar);
    archive_read_support_format_tar(r->ar);
    archive_read_support_format_gnutar(r->ar);
    archive_read_support_format_zip(r->ar);
    if (archive_read_open_filename(r->ar, path, 65536) != ARCHIVE_OK) {
        edb_status st = edb__fail(err, EDB_ERR_DATA, "%s: not a readable archive (%s)", path,
                                  archive_error_string(r->ar) ? archive_error_string(r->ar)
                                                              : "unknown format");
        edb_archive_reader_free(r);
        return st;
    }
    *out = r;
    return EDB_OK;
}

static edb_status reader_fail(edb_archive_reader *r, edb_err *err, edb_status st,
                              const char *fmt, ...) EDB__PRINTF(4, 5);
static edb_status reader_fail(edb_archive_reader *r, edb_err *err, edb_status st,
                              const char *fmt, ...)
{
    r->failed = 1;
    va_list ap;
    va_start(ap, fmt);
    edb__vfail(err, st, fmt, ap);
    va_end(ap);
    return st;
}

edb_status edb_archive_reader_next(edb_archive_reader *r, const char **name, edb_err *err)
{
    *name = NULL;
    if (!r || r->failed)
        return edb__fail(err, EDB_ERR_USAGE, "edb_archive_reader_next: the reader failed");
    for (;;) {
        struct archive_entry *ae;
        int rc = archive_read_next_header(r->ar, &ae);
        if (rc == ARCHIVE_EOF)
            return EDB_OK;
        if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN)
            return reader_fail(r, err, EDB_ERR_DATA, "%s: damaged archive (%s)", r->path,
                               archive_error_string(r->ar) ? archive_error_string(r->ar)
                                                           : "read error");
        const char *raw = archive_entry_pathname(ae);
        edb__excerpt(raw ? raw : "", raw ? strlen(raw) : 0, 150, r->shown, sizeof r->shown);
        if (++r->entries > r->entries_max)
            return reader_fail(r, err, EDB_ERR_DATA, "%s: more than %llu entries: refused",
                               r->path, (unsigned long long)r->entries_max);
        /* `tar -C dir .` writes "./" and "./name": the same names as without. */
        while (raw && raw[0] == '.' && raw[1] == '/')
            raw += 2;
        mode_t type = archive_entry_filetype(ae);
        int dir = type == AE_IFDIR && !archive_entry_hardlink(ae);
        if (dir && raw && strcmp(raw, ".") == 0)
            raw = "";
        const char *why = bad_name(raw, dir);
        if (why)
            return reader_fail(r, err, EDB_ERR_DATA, "%s: entry '%s' %s: refused", r->path,
                               r->shown, why);
        if (archive_entry_hardlink(ae) || type == AE_IFLNK)
            return reader_fail(r, err, EDB_ERR_DATA, "%s: entry '%s' is a link: refused",
                               r->path, r->shown);
        if (dir)
            continue;
        if (type != AE_IFREG)
            return reader_fail(r, err, EDB_ERR_DATA,
                               "%s: entry '%s' is not a regular file (a device, fifo or "
                               "socket): refused", r->path, r->shown);
        if (archive_entry_size_is_set(ae) && archive_entry_size(ae) >= 0 &&
            (uint64_t)archive_entry_size(ae) > r->entry_max)
            return reader_fail(r, err, EDB_ERR_DATA,
                               "%s: entry '%s' is %lld bytes, over the limit of %llu: refused",
                               r->path, r->shown, (long long)archive_entry_size(ae),
                               (unsigned long long)r->entry_max);
        if (strtab_get(&r->seen, raw) >= 0)
            return reader_fail(r, err, EDB_ERR_DATA, "%s: entry '%s' appears twice: refused",
                               r->path, r->shown);
        if (r->n_names == r->cap_names) {
            size_t cap = r->cap_names ? r->cap_names * 2 : 64;
            char **v = realloc(r->names, cap * sizeof *v);
            if (!v)
                return reader_fail(r, err, EDB_ERR_NOMEM, "out of memory");
            r->names = v;
            r->cap_names = cap;
        }
        char *copy = edb__strdup(raw);
        if (!copy || strtab_put(&r->seen, copy, r->n_names) != 0) {
            free(copy);
            return reader_fail(r, err, EDB_ERR_NOMEM, "out of memory");
        }
        r->names[r->n_names++] = copy;
        r->entry_bytes = 0;
        *name = copy;
        return EDB_OK;
    }
}

edb_status edb_archive_reader_read(edb_archive_reader *r, void *buf, size_t cap, size_t *got,
                                   edb_err *err)
{
    *got = 0;
    if (!r || r->failed)
        return edb__fail(err, EDB_ERR_USAGE, "edb_archive_reader_read: the reader failed");
    la_ssize_t n = archive_read_data(r->ar, buf, cap);
    if (n < 0)
        return reader_fail(r, err, EDB_ERR_DATA,
                           "%s: entry '%s' cannot be read (%s): the archive is cut short or "
                           "damaged; copy or download it again",
                           r->path, r->shown,
                           archive_error_string(r->ar) ? archive_error_string(r->ar) : "?");
    r->entry_bytes += (uint64_t)n;
    r->total += (uint64_t)n;
    /* Checked as bytes arrive: a bomb must be stopped before it fills anything. */
    if (r->entry_bytes > r->entry_max)
        return reader_fail(r, err, EDB_ERR_DATA,
                           "%s: entry '%s' unpacks to more than the limit of %llu bytes: "
                           "refused", r->path, r->shown, (unsigned long long)r->entry_max);
    if (r->total > r->total_max || (r->total > r->floor_ && r->total / r->ratio_max > r->packed))
        return reader_fail(r, err, EDB_ERR_DATA,
                           "%s: unpacks to more than %llu bytes by entry '%s' from %llu packed "
                           "(limit %llu, at most %llu times the packed size): refused", r->path,
                           (unsigned long long)r->total, r->shown,
                           (unsigned long long)r->packed, (unsigned long long)r->total_max,
                           (unsigned long long)r->ratio_max);
    *got = (size_t)n;
    return EDB_OK;
}

/* ---- loading into memory -------------------------------------------------------------- */

typedef struct entry {
    char *name;
    char *data;
    size_t len;
} entry;

struct edb_archive {
    entry *e;
    size_t n, cap;
    strtab index; /* name -> entry */
    char *path;   /* to read again the entries not held */
    edb_archive_limits lim;
};

void edb_archive_free(edb_archive *a)
{
    if (!a)
        return;
    for (size_t k = 0; k < a->n; k++) {
        free(a->e[k].name);
        free(a->e[k].data);
    }
    free(a->e);
    strtab_free(&a->index);
    free(a->path);
    free(a);
}

size_t edb_archive_count(const edb_archive *a)
{
    return a ? a->n : 0;
}

const char *edb_archive_name(const edb_archive *a, size_t i)
{
    return a && i < a->n ? a->e[i].name : NULL;
}

const char *edb_archive_data(const edb_archive *a, size_t i, size_t *len)
{
    if (!a || i >= a->n) {
        if (len)
            *len = 0;
        return NULL;
    }
    if (len)
        *len = a->e[i].len;
    return a->e[i].data;
}

long edb_archive_find(const edb_archive *a, const char *name)
{
    return a && name ? strtab_get(&a->index, name) : -1;
}

static int add_entry(edb_archive *a, char *name, char *data, size_t len)
{
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 32;
        entry *e = realloc(a->e, cap * sizeof *e);
        if (!e)
            return -1;
        a->e = e;
        a->cap = cap;
    }
    if (strtab_put(&a->index, name, a->n) != 0)
        return -1;
    a->e[a->n].name = name;
    a->e[a->n].data = data;
    a->e[a->n].len = len;
    a->n++;
    return 0;
}

edb_status edb_archive_load(edb_archive **out, const char *path, const edb_archive_limits *lim,
                            edb_err *err)
{
    if (!out || !path)
        return edb__fail(err, EDB_ERR_USAGE, "edb_archive_load: no path");
    *out = NULL;
    edb_archive_reader *r = NULL;
    edb_status st = edb_archive_reader_open(&r, path, lim, err);
    if (st != EDB_OK)
        return st;
    edb_archive *a = calloc(1, sizeof *a);
    if (!a || !(a->path = edb__strdup(path))) {
        free(a);
        edb_archive_reader_free(r);
        return edb__fail(err, EDB_ERR_NOMEM, "out of memory");
    }
    if (lim)
        a->lim = *lim;
    uint64_t hold_max = limit_or(a->lim.hold_max, EDB_ARCHIVE_HOLD_MAX_DEFAULT), held = 0;
    for (;;) {
        const char *name;
        if ((st = edb_archive_reader_next(r, &name, err)) != EDB_OK || !name)
            break;
        /* Small entries (meta.json, short replies) are kept, up to hold_max in all; a
         * large one is only measured here and streamed from the archive when asked for,
         * so that a store's data is never in memory twice (as text and decoded). */
        edb__buf b = {0};
        char chunk[65536];
        size_t got, len = 0;
        int hold = 1;
        while ((st = edb_archive_reader_read(r, chunk, sizeof chunk, &got, err)) == EDB_OK &&
               got > 0) {
            len += got;
            if (hold && (len > EDB_ARCHIVE_HOLD_ENTRY_MAX || held + len > hold_max)) {
                hold = 0;
                edb__buf_free(&b);
            }
            if (hold && edb__buf_append(&b, chunk, got) != 0) {
                st = edb__fail(err, EDB_ERR_NOMEM, "out of memory");
                break;
            }
        }
        if (hold)
            held += len;
        char *copy = st == EDB_OK ? edb__strdup(name) : NULL;
        if (st == EDB_OK && hold && !b.p)
            b.p = malloc(1);
        if (st == EDB_OK && (!copy || (hold && !b.p) || add_entry(a, copy, b.p, len) != 0)) {
            free(copy);
            st = edb__fail(err, EDB_ERR_NOMEM, "out of memory");
        }
        if (st != EDB_OK) {
            edb__buf_free(&b);
            break;
        }
    }
    edb_archive_reader_free(r);
    if (st != EDB_OK) {
        edb_archive_free(a);
        return st;
    }
    *out = a;
    return EDB_OK;
}

edb_status edb_archive_stream(const edb_archive *a, size_t i,
                              int (*feed)(void *ctx, const char *data, size_t len), void *ctx,
                              int *stopped, edb_err *err)
{
    int ignore;
    if (!stopped)
        stopped = &ignore;
    *stopped = 0;
    if (!a || i >= a->n || !feed)
        return edb__fail(err, EDB_ERR_USAGE, "edb_archive_stream: no such entry");
    const entry *e = &a->e[i];
    if (e->data) {
        for (size_t off = 0; off < e->len;) {
            size_t n = e->len - off < 65536 ? e->len - off : 65536;
            if (feed(ctx, e->data + off, n) != 0) {
                *stopped = 1;
                return EDB_OK;
            }
            off += n;
        }
        return EDB_OK;
    }
    /* Entries come in the order they were loaded: the i-th file is entry i. */
    edb_archive_reader *r = NULL;
    edb_status st = edb_archive_reader_open(&r, a->path, &a->lim, err);
    const char *name = NULL;
    for (size_t k = 0; st == EDB_OK && k <= i; k++)
        if ((st = edb_archive_reader_next(r, &name, err)) == EDB_OK && !name)
            break;
    if (st == EDB_OK && (!name || strcmp(name, e->name) != 0))
        st = edb__fail(err, EDB_ERR_DATA, "%s: changed since it was opened (entry '%s' is "
                       "no longer where it was)", a->path, e->name);
    char *chunk = st == EDB_OK ? malloc(65536) : NULL;
    if (st == EDB_OK && !chunk)
        st = edb__fail(err, EDB_ERR_NOMEM, "out of memory");
    size_t total = 0, got = 0;
    while (st == EDB_OK &&
           (st = edb_archive_reader_read(r, chunk, 65536, &got, err)) == EDB_OK && got > 0) {
        total += got;
        if (total > e->len)
            break;
        if (feed(ctx, chunk, got) != 0) {
            *stopped = 1;
            break;
        }
    }
    if (st == EDB_OK && !*stopped && total != e->len)
        st = edb__fail(err, EDB_ERR_DATA, "%s: changed since it was opened (entry '%s' was "
                       "%zu bytes, is %s%zu)", a->path, e->name, e->len,
                       total > e->len ? "more than " : "", total);
    free(chunk);
    edb_archive_reader_free(r);
    return st;
}

/* ---- writing -------------------------------------------------------------------------- */

static int cancelled(const edb_archive_write_options *o)
{
    return o && o->cancel && *o->cancel;
}

/* Copy a file into the entry just begun, in pieces: a large reply never sits whole in
 * memory.  The entry's size was announced, so the file must still have exactly that. */
static edb_status copy_in(struct archive *aw, const char *path, const edb_archive_file *f,
                          const edb_archive_write_options *o, edb_err *err)
{
    int fd = open(f->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return edb__fail(err, EDB_ERR_IO, "%s: cannot read %s for entry %s: %s", path, f->path,
                         f->name, strerror(errno));
    char buf[65536];
    size_t total = 0;
    edb_status st = EDB_OK;
    for (;;) {
        if (cancelled(o)) {
            st = edb__fail(err, EDB_ERR_INTERRUPTED, "%s: interrupted", path);
            break;
        }
        ssize_t got = read(fd, buf, sizeof buf);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            st = edb__fail(err, EDB_ERR_IO, "%s: cannot read %s for entry %s: %s", path,
                           f->path, f->name, strerror(errno));
            break;
        }
        if (got == 0)
            break;
        total += (size_t)got;
        if (total > f->len) {
            st = edb__fail(err, EDB_ERR_IO, "%s: entry %s: its file %s grew while it was "
                           "copied", path, f->name, f->path);
            break;
        }
        if (archive_write_data(aw, buf, (size_t)got) != (la_ssize_t)got) {
            st = edb__fail(err, EDB_ERR_IO, "%s: cannot write entry %s: %s", path, f->name,
                           archive_error_string(aw));
            break;
        }
    }
    if (st == EDB_OK && total != f->len)
        st = edb__fail(err, EDB_ERR_IO, "%s: entry %s: its file %s changed while it was copied",
                       path, f->name, f->path);
    close(fd);
    return st;
}

edb_status edb_archive_write(const char *path, const edb_archive_file *files, size_t n,
                             const edb_archive_write_options *o, edb_err *err)
{
    if (!path || !edb_archive_is_name(path))
        return edb__fail(err, EDB_ERR_USAGE,
                         "%s: an archive name must end in .tar, .tar.gz, .tgz, .tar.xz or .zip",
                         path ? path : "(none)");
    edb__buf tmp = {0};
    const char *slash = strrchr(path, '/');
    if (slash)
        edb__buf_printf(&tmp, "%.*s/.%s.edbx-XXXXXX", (int)(slash - path), path, slash + 1);
    else
        edb__buf_printf(&tmp, ".%s.edbx-XXXXXX", path);
    if (!tmp.p)
        return edb__fail(err, EDB_ERR_NOMEM, "out of memory");
    int fd = mkstemp(tmp.p);
    if (fd < 0) {
        edb_status st = edb__fail(err, EDB_ERR_IO, "%s: cannot create a temporary file beside "
                                  "it: %s", path, strerror(errno));
        edb__buf_free(&tmp);
        return st;
    }
    struct archive *aw = archive_write_new();
    struct archive_entry *ae = archive_entry_new();
    edb_status st = EDB_OK;
    if (!aw || !ae) {
        st = edb__fail(err, EDB_ERR_NOMEM, "out of memory");
        goto done;
    }
    int rc;
    if (ends_with(path, ".zip")) {
        rc = archive_write_set_format_zip(aw);
    } else {
        rc = archive_write_set_format_pax_restricted(aw);
        if (rc == ARCHIVE_OK && (ends_with(path, ".gz") || ends_with(path, ".tgz"))) {
            rc = archive_write_add_filter_gzip(aw);
            /* gzip would stamp its header with the clock: leave it out (as gzip -n). */
            if (rc == ARCHIVE_OK)
                rc = archive_write_set_filter_option(aw, "gzip", "timestamp", NULL);
        } else if (rc == ARCHIVE_OK && ends_with(path, ".xz")) {
            rc = archive_write_add_filter_xz(aw);
        }
    }
    if (rc != ARCHIVE_OK || archive_write_open_fd(aw, fd) != ARCHIVE_OK) {
        st = edb__fail(err, EDB_ERR_IO, "%s: %s", path, archive_error_string(aw));
        goto done;
    }
    edb_time mtime = o ? o->mtime : 0;
    time_t secs = (time_t)(mtime / 1000000 - (mtime % 1000000 < 0));
    for (size_t k = 0; k < n; k++) {
        if (cancelled(o)) {
            st = edb__fail(err, EDB_ERR_INTERRUPTED, "%s: interrupted", path);
            goto done;
        }
        if (o && o->on_entry)
            o->on_entry(o->ctx, files[k].name);
        archive_entry_clear(ae);
        archive_entry_set_pathname(ae, files[k].name);
        archive_entry_set_filetype(ae, AE_IFREG);
        archive_entry_set_perm(ae, 0644);
        archive_entry_set_uid(ae, 0);
        archive_entry_set_gid(ae, 0);
        archive_entry_set_size(ae, (la_int64_t)files[k].len);
        archive_entry_set_mtime(ae, secs, 0);
        if (archive_write_header(aw, ae) != ARCHIVE_OK ||
            (files[k].data && files[k].len &&
             archive_write_data(aw, files[k].data, files[k].len) != (la_ssize_t)files[k].len)) {
            st = edb__fail(err, EDB_ERR_IO, "%s: cannot write entry %s: %s", path,
                           files[k].name, archive_error_string(aw));
            goto done;
        }
        if (!files[k].data && (st = copy_in(aw, path, &files[k], o, err)) != EDB_OK)
            goto done;
    }
    if (archive_write_close(aw) != ARCHIVE_OK) {
        st = edb__fail(err, EDB_ERR_IO, "%s: %s", path, archive_error_string(aw));
        goto done;
    }
    if (fsync(fd) != 0) {
        st = edb__fail(err, EDB_ERR_IO, "%s: %s", path, strerror(errno));
        goto done;
    }
    if (cancelled(o))
        st = edb__fail(err, EDB_ERR_INTERRUPTED, "%s: interrupted", path);
done:
    if (ae)
        archive_entry_free(ae);
    if (aw)
        archive_write_free(aw);
    if (close(fd) != 0 && st == EDB_OK)
        st = edb__fail(err, EDB_ERR_IO, "%s: %s", path, strerror(errno));
    if (st == EDB_OK && rename(tmp.p, path) != 0)
        st = edb__fail(err, EDB_ERR_IO, "%s: cannot rename into place: %s", path, strerror(errno));
    if (st != EDB_OK)
        unlink(tmp.p);
    edb__buf_free(&tmp);
    return st;
}

static void to_hex(const unsigned char *md, int ok, char out[EDB_SHA256_HEX])
{
    static const char hex[] = "0123456789abcdef";
    if (!ok) {
        /* Only when OpenSSL itself fails (out of memory): a value no data hashes to. */
        memset(out, '0', 64);
        out[64] = '\0';
        return;
    }
    for (int k = 0; k < 32; k++) {
        out[2 * k] = hex[md[k] >> 4];
        out[2 * k + 1] = hex[md[k] & 15];
    }
    out[64] = '\0';
}

void edb_sha256_hex(const void *data, size_t len, char out[EDB_SHA256_HEX])
{
    unsigned char md[32];
    unsigned int mdlen = 0;
    int ok = EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) == 1 && mdlen == 32;
    to_hex(md, ok, out);
}

struct edb_sha256 {
    EVP_MD_CTX *ctx;
    int ok;
};

edb_sha256 *edb_sha256_new(void)
{
    edb_sha256 *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    h->ctx = EVP_MD_CTX_new();
    if (!h->ctx) {
        free(h);
        return NULL;
    }
    h->ok = EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) == 1;
    return h;
}

void edb_sha256_update(edb_sha256 *h, const void *data, size_t len)
{
    if (h->ok && len)
        h->ok = EVP_DigestUpdate(h->ctx, data, len) == 1;
}

void edb_sha256_final(edb_sha256 *h, char out[EDB_SHA256_HEX])
{
    unsigned char md[32];
    unsigned int mdlen = 0;
    int ok = h->ok && EVP_DigestFinal_ex(h->ctx, md, &mdlen) == 1 && mdlen == 32;
    to_hex(md, ok, out);
    edb_sha256_free(h);
}

void edb_sha256_free(edb_sha256 *h)
{
    if (!h)
        return;
    EVP_MD_CTX_free(h->ctx);
    free(h);
}
