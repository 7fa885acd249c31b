/* archive.c: archives read into memory under safety rules, archives written atomically,
 * and SHA-256.
 *
 * Everything an archive holds is loaded at once: stores and bundles are small (the 2021
 * recording is 1.2 MB unpacked), and holding them lets a store answer queries in any
 * order without seeking through a compressed stream again.  The limits below are what
 * keeps "small" true for a hostile file. */
#include <errno.h>
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

typedef struct entry {
    char *name;
    char *data;
    size_t len;
} entry;

struct edb_archive {
    entry *e;
    size_t n, cap;
};

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

void edb_archive_free(edb_archive *a)
{
    if (!a)
        return;
    for (size_t k = 0; k < a->n; k++) {
        free(a->e[k].name);
        free(a->e[k].data);
    }
    free(a->e);
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
    for (size_t k = 0; a && k < a->n; k++)
        if (strcmp(a->e[k].name, name) == 0)
            return (long)k;
    return -1;
}

/* A name that stays inside whatever folder the archive is unpacked into: relative, no
 * '..' component, no backslash (a Windows separator in a zip), no control character.
 * Returns NULL when fine, else what is wrong. */
static const char *bad_name(const char *name)
{
    if (!name || !*name)
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
        p += len;
        if (*p == '/')
            p++;
    }
    return NULL;
}

static edb_status add_entry(edb_archive *a, char *name, char *data, size_t len)
{
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 32;
        entry *e = realloc(a->e, cap * sizeof *e);
        if (!e)
            return EDB_ERR_NOMEM;
        a->e = e;
        a->cap = cap;
    }
    a->e[a->n].name = name;
    a->e[a->n].data = data;
    a->e[a->n].len = len;
    a->n++;
    return EDB_OK;
}

edb_status edb_archive_load(edb_archive **out, const char *path, const edb_archive_limits *lim,
                            edb_err *err)
{
    if (!out || !path)
        return edb__fail(err, EDB_ERR_USAGE, "edb_archive_load: no path");
    *out = NULL;
    uint64_t entry_max = lim && lim->entry_max ? lim->entry_max : EDB_ARCHIVE_ENTRY_MAX_DEFAULT;
    uint64_t total_max = lim && lim->total_max ? lim->total_max : EDB_ARCHIVE_TOTAL_MAX_DEFAULT;
    uint64_t ratio_max = lim && lim->ratio_max ? lim->ratio_max : EDB_ARCHIVE_RATIO_MAX_DEFAULT;
    uint64_t floor_ = lim && lim->ratio_floor ? lim->ratio_floor : EDB_ARCHIVE_RATIO_FLOOR_DEFAULT;

    struct stat sb;
    if (stat(path, &sb) != 0)
        return edb__fail(err, EDB_ERR_IO, "%s: %s", path, strerror(errno));
    if (!S_ISREG(sb.st_mode))
        return edb__fail(err, EDB_ERR_IO, "%s: not a regular file", path);
    uint64_t packed = (uint64_t)sb.st_size;

    struct archive *ar = archive_read_new();
    edb_archive *a = calloc(1, sizeof *a);
    if (!ar || !a) {
        if (ar)
            archive_read_free(ar);
        free(a);
        return edb__fail(err, EDB_ERR_NOMEM, "out of memory");
    }
    archive_read_support_filter_gzip(ar);
    archive_read_support_filter_xz(ar);
    archive_read_support_format_tar(ar);
    archive_read_support_format_gnutar(ar);
    archive_read_support_format_zip(ar);
    edb_status st = EDB_OK;
    if (archive_read_open_filename(ar, path, 65536) != ARCHIVE_OK) {
        st = edb__fail(err, EDB_ERR_DATA, "%s: not a readable archive (%s)", path,
                       archive_error_string(ar) ? archive_error_string(ar) : "unknown format");
        goto done;
    }
    uint64_t total = 0;
    for (;;) {
        struct archive_entry *ae;
        int r = archive_read_next_header(ar, &ae);
        if (r == ARCHIVE_EOF)
            break;
        if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
            st = edb__fail(err, EDB_ERR_DATA, "%s: damaged archive (%s)", path,
                           archive_error_string(ar) ? archive_error_string(ar) : "read error");
            goto done;
        }
        const char *raw = archive_entry_pathname(ae);
        char shown[200];
        edb__excerpt(raw ? raw : "", raw ? strlen(raw) : 0, 150, shown, sizeof shown);
        while (raw && raw[0] == '.' && raw[1] == '/')
            raw += 2;
        const char *why = bad_name(raw);
        if (why) {
            st = edb__fail(err, EDB_ERR_DATA, "%s: entry '%s' %s: refused", path, shown, why);
            goto done;
        }
        mode_t type = archive_entry_filetype(ae);
        if (archive_entry_hardlink(ae) || type == AE_IFLNK) {
            st = edb__fail(err, EDB_ERR_DATA, "%s: entry '%s' is a link: refused", path, shown);
            goto done;
        }
        if (type == AE_IFDIR)
            continue;
        if (type != AE_IFREG) {
            st = edb__fail(err, EDB_ERR_DATA,
                           "%s: entry '%s' is not a regular file (a device, fifo or socket): "
                           "refused", path, shown);
            goto done;
        }
        if (archive_entry_size_is_set(ae) && archive_entry_size(ae) >= 0 &&
            (uint64_t)archive_entry_size(ae) > entry_max) {
            st = edb__fail(err, EDB_ERR_DATA,
                           "%s: entry '%s' is %lld bytes, over the limit of %llu: refused", path,
                           shown, (long long)archive_entry_size(ae), (unsigned long long)entry_max);
            goto done;
        }
        edb__buf b = {0};
        for (;;) {
            char chunk[65536];
            la_ssize_t got = archive_read_data(ar, chunk, sizeof chunk);
            if (got == 0)
                break;
            if (got < 0) {
                edb__buf_free(&b);
                st = edb__fail(err, EDB_ERR_DATA, "%s: entry '%s' cannot be read (%s)", path,
                               shown, archive_error_string(ar) ? archive_error_string(ar) : "?");
                goto done;
            }
            total += (uint64_t)got;
            /* Checked as bytes arrive: a bomb must be stopped before it fills memory. */
            if (b.len + (size_t)got > entry_max) {
                edb__buf_free(&b);
                st = edb__fail(err, EDB_ERR_DATA,
                               "%s: entry '%s' unpacks to more than the limit of %llu bytes: "
                               "refused", path, shown, (unsigned long long)entry_max);
                goto done;
            }
            if (total > total_max || (total > floor_ && total / ratio_max > packed)) {
                edb__buf_free(&b);
                st = edb__fail(err, EDB_ERR_DATA,
                               "%s: unpacks to more than %llu bytes by entry '%s' from %llu "
                               "packed (limit %llu, at most %llu times the packed size): refused",
                               path, (unsigned long long)total, shown, (unsigned long long)packed,
                               (unsigned long long)total_max, (unsigned long long)ratio_max);
                goto done;
            }
            if (edb__buf_append(&b, chunk, (size_t)got) != 0) {
                edb__buf_free(&b);
                st = edb__fail(err, EDB_ERR_NOMEM, "out of memory");
                goto done;
            }
        }
        if (edb_archive_find(a, raw) >= 0) {
            edb__buf_free(&b);
            st = edb__fail(err, EDB_ERR_DATA, "%s: entry '%s' appears twice: refused", path,
                           shown);
            goto done;
        }
        char *name = edb__strdup(raw);
        if (!b.p)
            b.p = malloc(1);
        if (!name || !b.p || add_entry(a, name, b.p, b.len) != EDB_OK) {
            free(name);
            edb__buf_free(&b);
            st = edb__fail(err, EDB_ERR_NOMEM, "out of memory");
            goto done;
        }
    }
done:
    archive_read_free(ar);
    if (st != EDB_OK) {
        edb_archive_free(a);
        return st;
    }
    *out = a;
    return EDB_OK;
}

/* Copy a file into the entry just begun, in pieces: a large reply never sits whole in
 * memory.  The entry's size was announced, so the file must still have exactly that. */
static edb_status copy_in(struct archive *aw, const char *path, const edb_archive_file *f,
                          edb_err *err)
{
    FILE *in = fopen(f->path, "rb");
    if (!in)
        return edb__fail(err, EDB_ERR_IO, "%s: cannot read %s for entry %s: %s", path, f->path,
                         f->name, strerror(errno));
    char buf[65536];
    size_t got, total = 0;
    edb_status st = EDB_OK;
    while ((got = fread(buf, 1, sizeof buf, in)) > 0) {
        total += got;
        if (total > f->len || archive_write_data(aw, buf, got) != (la_ssize_t)got) {
            st = edb__fail(err, EDB_ERR_IO, "%s: cannot write entry %s: %s", path, f->name,
                           total > f->len ? "its file grew" : archive_error_string(aw));
            break;
        }
    }
    if (st == EDB_OK && (ferror(in) || total != f->len))
        st = edb__fail(err, EDB_ERR_IO, "%s: entry %s: its file %s changed while it was copied",
                       path, f->name, f->path);
    fclose(in);
    return st;
}

edb_status edb_archive_write(const char *path, const edb_archive_file *files, size_t n,
                             edb_time mtime, edb_err *err)
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
    if (ends_with(path, ".zip")) {
        archive_write_set_format_zip(aw);
    } else {
        archive_write_set_format_pax_restricted(aw);
        if (ends_with(path, ".gz") || ends_with(path, ".tgz"))
            archive_write_add_filter_gzip(aw);
        else if (ends_with(path, ".xz"))
            archive_write_add_filter_xz(aw);
    }
    if (archive_write_open_fd(aw, fd) != ARCHIVE_OK) {
        st = edb__fail(err, EDB_ERR_IO, "%s: %s", path, archive_error_string(aw));
        goto done;
    }
    time_t secs = (time_t)(mtime / 1000000);
    for (size_t k = 0; k < n; k++) {
        archive_entry_clear(ae);
        archive_entry_set_pathname(ae, files[k].name);
        archive_entry_set_filetype(ae, AE_IFREG);
        archive_entry_set_perm(ae, 0644);
        archive_entry_set_size(ae, (la_int64_t)files[k].len);
        archive_entry_set_mtime(ae, secs, 0);
        if (archive_write_header(aw, ae) != ARCHIVE_OK ||
            (files[k].data && files[k].len &&
             archive_write_data(aw, files[k].data, files[k].len) != (la_ssize_t)files[k].len)) {
            st = edb__fail(err, EDB_ERR_IO, "%s: cannot write entry %s: %s", path,
                           files[k].name, archive_error_string(aw));
            goto done;
        }
        if (!files[k].data && (st = copy_in(aw, path, &files[k], err)) != EDB_OK)
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
