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
    char **opt_keys, **opt_vals; /* the -O options, checked, owned */
    size_t n_opts;
    edb_err err;
};

/* -O KEY[=VALUE] for w's format: known keys only, a value exactly where the key takes one,
 * and what the format's check says of it; kept for the format to read (edb__wctx_opt). */
static edb_status take_options(edb_writer *w, const char *const *opts, size_t n, edb_err *err)
{
    w->opt_keys = calloc(n, sizeof *w->opt_keys);
    w->opt_vals = calloc(n, sizeof *w->opt_vals);
    if (!w->opt_keys || !w->opt_vals)
        return edb_err_set(err, EDB_ERR_NOMEM, "out of memory");
    for (size_t k = 0; k < n; k++) {
        const char *eq = strchr(opts[k], '=');
        size_t kl = eq ? (size_t)(eq - opts[k]) : strlen(opts[k]);
        const edb__wopt *wo = NULL;
        for (const edb__wopt *p = w->fmt->options; p && p->key && !wo; p++)
            if (strlen(p->key) == kl && strncmp(p->key, opts[k], kl) == 0)
                wo = p;
        if (!wo) {
            char list[512];
            edb__format_option_list(w->fmt, list, sizeof list);
            return edb_err_set(err, EDB_ERR_USAGE, "-O %.*s: %s takes no such option (%s)",
                               (int)(kl < 100 ? kl : 100), opts[k], w->fmt->name, list);
        }
        if (wo->value && !eq)
            return edb_err_set(err, EDB_ERR_USAGE, "-O %s needs a value: -O %s=%s (%s)", wo->key,
                               wo->key, wo->value, wo->help);
        if (!wo->value && eq)
            return edb_err_set(err, EDB_ERR_USAGE, "-O %s takes no value (%s)", wo->key,
                               wo->help);
        if (wo->check && eq && wo->check(wo->key, eq + 1, err) != EDB_OK)
            return err->status;
        w->opt_keys[k] = strdup(wo->key);
        w->opt_vals[k] = strdup(eq ? eq + 1 : "");
        w->n_opts = k + 1;
        if (!w->opt_keys[k] || !w->opt_vals[k])
            return edb_err_set(err, EDB_ERR_NOMEM, "out of memory");
    }
    return EDB_OK;
}

const char *edb__wctx_opt(const edb__wctx *c, const char *key)
{
    const char *v = NULL;
    for (size_t k = 0; k < c->n_opts; k++)
        if (strcmp(c->opt_keys[k], key) == 0)
            v = c->opt_vals[k];
    return v;
}

edb_status edb_writer_open(edb_writer **out, const char *path, const edb_writer_options *o,
                           edb_err *err)
{
    *out = NULL;
    const edb__format *fmt;
    if (o && o->format) {
        fmt = edb__format_by_name(o->format);
        if (!fmt) {
            char list[256];
            edb__format_list(list, sizeof list);
            return edb_err_set(err, EDB_ERR_USAGE, "unknown output format '%s' (known: %s)",
                         o->format, list);
        }
    } else {
        fmt = edb__format_by_path(path);
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
    if (o && o->n_options) {
        edb_status st = take_options(w, o->options, o->n_options, err);
        if (st != EDB_OK) {
            edb_writer_free(w);
            return st;
        }
    }
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
    c->opt_keys = (const char *const *)w->opt_keys;
    c->opt_vals = (const char *const *)w->opt_vals;
    c->n_opts = w->n_opts;
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
    for (size_t k = 0; k < w->n_opts; k++) {
        free(w->opt_keys[k]);
        free(w->opt_vals[k]);
    }
    free(w->opt_keys);
    free(w->opt_vals);
    free(w->tmp);
    free(w->target);
    free(w);
}

const char *edb_writer_errmsg(const edb_writer *w)
{
    return w ? w->err.msg : "";
}
