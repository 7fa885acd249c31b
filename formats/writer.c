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

static const edb__format *const registry[] = {&edb__format_csv, NULL};

struct edb_writer {
    const edb__format *fmt;
    char *target;   /* NULL for stdout */
    char *tmp;      /* temporary file beside the target */
    FILE *f;
    int to_stdout;
    int written;
    int committed;
    edb_run_info run;
    int have_run;
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
    edb_writer *w = calloc(1, sizeof *w);
    if (!w)
        return edb_err_set(err, EDB_ERR_NOMEM, "out of memory opening the output");
    w->fmt = fmt;
    if (o && o->run) {
        w->run = *o->run;
        w->have_run = 1;
    }
    if (strcmp(path, "-") == 0) {
        if (!fmt->streams) {
            free(w);
            return edb_err_set(err, EDB_ERR_USAGE,
                         "%s output cannot go to standard output: name a file with -o",
                         fmt->name);
        }
        w->to_stdout = 1;
        w->f = stdout;
        *out = w;
        return EDB_OK;
    }
    w->target = strdup(path);
    /* The temporary file sits beside the target so that rename() is atomic (same
     * filesystem); it is hidden and clearly named so a crash leaves an obvious orphan. */
    const char *slash = strrchr(path, '/');
    size_t dirlen = slash ? (size_t)(slash - path) + 1 : 0;
    const char *base = slash ? slash + 1 : path;
    size_t tlen = dirlen + strlen(base) + 32;
    w->tmp = malloc(tlen);
    if (!w->target || !w->tmp) {
        edb_writer_free(w);
        return edb_err_set(err, EDB_ERR_NOMEM, "out of memory opening the output");
    }
    snprintf(w->tmp, tlen, "%.*s.%s.edbx-XXXXXX", (int)dirlen, path, base);
    int fd = mkstemp(w->tmp);
    if (fd < 0) {
        int e = errno;
        free(w->tmp);
        w->tmp = NULL;
        edb_writer_free(w);
        return edb_err_set(err, EDB_ERR_IO, "cannot create the output %s: %s (check that its folder "
                     "exists and is writable)", path, strerror(e));
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

edb_status edb_writer_write_series(edb_writer *w, const edb_series *const *series, size_t n)
{
    if (w->err.status != EDB_OK)
        return w->err.status;
    if (w->written)
        return edb_err_set(&w->err, EDB_ERR_USAGE, "a writer takes one table; this one has it");
    w->written = 1;
    edb_status st = w->fmt->write_series(w->tmp, w->f, series, n,
                                         w->have_run ? &w->run : NULL, &w->err);
    if (st != EDB_OK)
        return edb_err_set(&w->err, st, "writing %s failed", w->target ? w->target : "stdout");
    if (w->f && ferror(w->f))
        return edb_err_set(&w->err, EDB_ERR_IO, "writing %s failed: %s",
                     w->target ? w->target : "standard output", strerror(errno));
    return EDB_OK;
}

edb_status edb_writer_write_table(edb_writer *w, const edb_table *t)
{
    if (w->err.status != EDB_OK)
        return w->err.status;
    if (w->written)
        return edb_err_set(&w->err, EDB_ERR_USAGE, "a writer takes one table; this one has it");
    w->written = 1;
    edb_status st = w->fmt->write_table(w->tmp, w->f, t, w->have_run ? &w->run : NULL, &w->err);
    if (st != EDB_OK)
        return edb_err_set(&w->err, st, "writing %s failed", w->target ? w->target : "stdout");
    if (w->f && ferror(w->f))
        return edb_err_set(&w->err, EDB_ERR_IO, "writing %s failed: %s",
                           w->target ? w->target : "standard output", strerror(errno));
    return EDB_OK;
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
