/* writer.c: the format registry and the atomic-output machinery every format shares. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <edb/writer.h>

#include "formats.h"

static const edb__format *const registry[] = {&edb__format_csv,  &edb__format_csvgz,
                                              &edb__format_ecsv, &edb__format_fits,
                                              &edb__format_hdf5, NULL};

struct edb_writer {
    const edb__format *fmt;
    char *target;   /* NULL for stdout */
    char *tmp;      /* temporary file beside the target */
    FILE *f;
    int to_stdout;
    int spool;      /* a file-only format bound for stdout: tmp is copied out at close */
    int written;
    int committed;
    edb_run_info run;
    int have_run;
    int compress;
    int astropy_time;
    edb_err err;
};

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    if (m > n)
        return 0;
    for (size_t k = 0; k < m; k++) {
        char a = s[n - m + k], b = suffix[k];
        if (a >= 'A' && a <= 'Z')
            a = (char)(a - 'A' + 'a');
        if (a != b)
            return 0;
    }
    return 1;
}

static const edb__format *find_by_path(const char *path)
{
    /* Longest extension wins, so ".csv.gz" beats ".gz" when both exist. */
    const edb__format *best = NULL;
    size_t best_len = 0;
    for (const edb__format *const *f = registry; *f; f++)
        for (const char *const *e = (*f)->extensions; *e; e++)
            if (ends_with(path, *e) && strlen(*e) > best_len) {
                best = *f;
                best_len = strlen(*e);
            }
    return best;
}

static const edb__format *find_by_name(const char *name)
{
    for (const edb__format *const *f = registry; *f; f++)
        if (strcmp((*f)->name, name) == 0)
            return *f;
    return NULL;
}

const char *edb_format_from_path(const char *path)
{
    const edb__format *f = path ? find_by_path(path) : NULL;
    return f ? f->name : NULL;
}

int edb_format_known(const char *name)
{
    return name && find_by_name(name) != NULL;
}

static void format_list(char *buf, size_t n)
{
    size_t o = 0;
    buf[0] = '\0';
    for (const edb__format *const *f = registry; *f && o < n; f++)
        o += (size_t)snprintf(buf + o, n - o, "%s%s", o ? ", " : "", (*f)->name);
}

edb_status edb_writer_open(edb_writer **out, const char *path, const edb_writer_options *o,
                           edb_err *err)
{
    *out = NULL;
    const edb__format *fmt;
    if (o && o->format) {
        fmt = find_by_name(o->format);
        if (!fmt) {
            char list[256];
            format_list(list, sizeof list);
            return edb_err_set(err, EDB_ERR_USAGE, "unknown output format '%s' (known: %s)",
                         o->format, list);
        }
    } else {
        fmt = find_by_path(path);
        if (!fmt)
            fmt = &edb__format_csv; /* no extension, or one we do not know: plain CSV */
    }
    int level = o ? o->compress : -1;
    if (level < -1 || level > 9)
        return edb_err_set(err, EDB_ERR_USAGE, "compression level %d out of range (0-9)", level);
    edb_writer *w = calloc(1, sizeof *w);
    if (!w)
        return edb_err_set(err, EDB_ERR_NOMEM, "out of memory opening the output");
    w->fmt = fmt;
    /* Level 1 is where deflate gives most of its gain for a small part of the time. */
    w->compress = level < 0 ? 1 : level;
    w->astropy_time = o ? o->astropy_time : 0;
    if (o && o->run) {
        w->run = *o->run;
        w->have_run = 1;
    }
    if (strcmp(path, "-") == 0) {
        if (fmt->streams) {
            w->to_stdout = 1;
            w->f = stdout;
            *out = w;
            return EDB_OK;
        }
        /* cfitsio and HDF5 want a file they can seek in: build it in $TMPDIR and copy it
         * to stdout once complete, so a failure still sends nothing. */
        w->spool = 1;
    }
    w->target = w->spool ? NULL : strdup(path);
    /* The temporary file sits beside the target so that rename() is atomic (same
     * filesystem); it is hidden and clearly named so a crash leaves an obvious orphan. */
    const char *tdir = getenv("TMPDIR");
    if (!tdir || !*tdir)
        tdir = "/tmp";
    const char *slash = strrchr(path, '/');
    size_t dirlen = slash ? (size_t)(slash - path) + 1 : 0;
    const char *base = slash ? slash + 1 : path;
    size_t tlen = (w->spool ? strlen(tdir) : dirlen + strlen(base)) + 32;
    w->tmp = malloc(tlen);
    if ((!w->spool && !w->target) || !w->tmp) {
        edb_writer_free(w);
        return edb_err_set(err, EDB_ERR_NOMEM, "out of memory opening the output");
    }
    if (w->spool)
        snprintf(w->tmp, tlen, "%s/edbx-stdout-XXXXXX", tdir);
    else
        snprintf(w->tmp, tlen, "%.*s.%s.edbx-XXXXXX", (int)dirlen, path, base);
    int fd = mkstemp(w->tmp);
    if (fd < 0) {
        int e = errno, spool = w->spool;
        free(w->tmp);
        w->tmp = NULL;
        edb_writer_free(w);
        return edb_err_set(err, EDB_ERR_IO, "cannot create the output %s: %s (check that its folder "
                     "exists and is writable)", spool ? "in $TMPDIR" : path, strerror(e));
    }
    /* mkstemp makes the file 0600; an output should get the usual umask-based mode. */
    mode_t um = umask(0);
    umask(um);
    fchmod(fd, 0666 & ~um);
    if (fmt->streams) {
        w->f = fdopen(fd, "wb");
        if (!w->f) {
            close(fd);
            edb_writer_free(w);
            return edb_err_set(err, EDB_ERR_IO, "cannot open the output %s: %s", path,
                         strerror(errno));
        }
    } else {
        close(fd);
    }
    *out = w;
    return EDB_OK;
}

static const char *target_name(const edb_writer *w)
{
    return w->target ? w->target : "standard output";
}

static void make_ctx(edb_writer *w, edb__wctx *c)
{
    c->path = w->fmt->streams ? NULL : w->tmp;
    c->f = w->f;
    c->run = w->have_run ? &w->run : NULL;
    c->compress = w->compress;
    c->astropy_time = w->astropy_time;
    c->err = &w->err;
}

static edb_status after_write(edb_writer *w, edb_status st)
{
    if (st != EDB_OK)
        return edb_err_set(&w->err, st, "writing %s failed", target_name(w));
    if (w->f && ferror(w->f))
        return edb_err_set(&w->err, EDB_ERR_IO, "writing %s failed: %s", target_name(w),
                           strerror(errno));
    return EDB_OK;
}

/* Copy the finished temporary file to stdout (file-only formats bound for "-"). */
static edb_status spool_out(edb_writer *w)
{
    FILE *in = fopen(w->tmp, "rb");
    if (!in)
        return edb_err_set(&w->err, EDB_ERR_IO, "cannot read back %s: %s", w->tmp,
                           strerror(errno));
    char buf[1 << 16];
    size_t r;
    int bad = 0;
    while (!bad && (r = fread(buf, 1, sizeof buf, in)) > 0)
        bad = fwrite(buf, 1, r, stdout) != r;
    bad = bad || ferror(in) || fflush(stdout) != 0 || ferror(stdout);
    int e = errno;
    fclose(in);
    if (bad)
        return edb_err_set(&w->err, EDB_ERR_IO, "writing to standard output failed: %s",
                           strerror(e));
    return EDB_OK;
}

edb_status edb_writer_write_series(edb_writer *w, const edb_series *const *series, size_t n)
{
    if (w->err.status != EDB_OK)
        return w->err.status;
    if (w->written)
        return edb_err_set(&w->err, EDB_ERR_USAGE, "a writer takes one table; this one has it");
    w->written = 1;
    edb__wctx c;
    make_ctx(w, &c);
    return after_write(w, w->fmt->write_series(&c, series, n));
}

edb_status edb_writer_write_table(edb_writer *w, const edb_table *t)
{
    if (w->err.status != EDB_OK)
        return w->err.status;
    if (w->written)
        return edb_err_set(&w->err, EDB_ERR_USAGE, "a writer takes one table; this one has it");
    w->written = 1;
    edb__wctx c;
    make_ctx(w, &c);
    return after_write(w, w->fmt->write_table(&c, t));
}

edb_status edb_writer_close(edb_writer *w)
{
    if (w->err.status != EDB_OK)
        return w->err.status;
    if (w->to_stdout) {
        if (fflush(stdout) != 0 || ferror(stdout))
            return edb_err_set(&w->err, EDB_ERR_IO, "writing to standard output failed: %s",
                         strerror(errno));
        w->committed = 1;
        return EDB_OK;
    }
    if (w->f) {
        FILE *f = w->f;
        w->f = NULL;
        int bad = fflush(f) != 0 || ferror(f) || fsync(fileno(f)) != 0;
        int e = errno;
        if (fclose(f) != 0 && !bad) {
            bad = 1;
            e = errno;
        }
        if (bad)
            return edb_err_set(&w->err, EDB_ERR_IO, "writing %s failed: %s", w->target, strerror(e));
    }
    if (!w->fmt->streams) {
        /* cfitsio and HDF5 closed their file; make it durable before it takes the name. */
        int fd = open(w->tmp, O_RDONLY);
        int bad = fd < 0 || fsync(fd) != 0;
        int e = errno;
        if (fd >= 0)
            close(fd);
        if (bad)
            return edb_err_set(&w->err, EDB_ERR_IO, "writing %s failed: %s", target_name(w),
                               strerror(e));
    }
    if (w->spool) {
        edb_status st = spool_out(w);
        if (st != EDB_OK)
            return st;
        unlink(w->tmp);
        w->committed = 1;
        return EDB_OK;
    }
    if (rename(w->tmp, w->target) != 0)
        return edb_err_set(&w->err, EDB_ERR_IO, "cannot move the output into place as %s: %s",
                     w->target, strerror(errno));
    w->committed = 1;
    return EDB_OK;
}

void edb_writer_free(edb_writer *w)
{
    if (!w)
        return;
    if (w->f && !w->to_stdout)
        fclose(w->f);
    if (w->tmp && !w->committed)
        unlink(w->tmp);
    free(w->tmp);
    free(w->target);
    free(w);
}

const char *edb_writer_errmsg(const edb_writer *w)
{
    return w ? w->err.msg : "";
}
