/* writer.c: what every format shares: choosing the format, the -O options, and where the
 * bytes go (edb/writer.h says what each kind of output path means).
 *
 * Two ways out:
 *  - replace: a temporary file beside the destination (".NAME.edbx-XXXXXX", hidden and
 *    clearly named so that a crash leaves an obvious orphan), synced, then renamed over
 *    it, so the destination holds the old file or the complete new one, never a part.
 *    The destination is the path, or the file its symbolic links lead to.
 *  - direct: standard output, or an existing device or FIFO, written as produced.  A
 *    format that needs a seekable file (FITS, HDF5) is spooled in $TMPDIR and copied out.
 * Text formats write through a FILE* over the descriptor that records the first errno,
 * so that a failure names its real cause (a full disk, a closed pipe) and the file. */
#define _GNU_SOURCE /* fopencookie */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <edb/writer.h>

#include "formats.h"

/* A descriptor under a FILE*: writes all of a block or records why not. */
typedef struct sink {
    int fd;
    int err_no;     /* the first write error, 0 if none */
    int writeback;  /* a regular file that is fsync'ed at close: start writing it early */
    off_t written;  /* bytes written so far (writeback) */
    off_t started;  /* bytes whose writeback was started (writeback) */
} sink;

/* Writeback is started every this many bytes, so that the disk works while the rows are
 * formatted, and the fsync at close waits for the last few MiB only instead of the whole
 * file (it was half the wall time of a 70 MB CSV). */
#define WRITEBACK_STEP ((off_t)8 << 20)

struct edb_writer {
    const edb__format *fmt;
    char *target;   /* the name as given, for messages; NULL for stdout */
    char *dest;     /* replace: what the temporary file is renamed to */
    char *tmp;      /* the temporary file: beside dest, or the spool in $TMPDIR */
    int direct;     /* 1: stdout or an existing device/FIFO, written to out_fd */
    int out_fd;     /* direct: where the bytes go */
    int own_out_fd; /* direct: out_fd was opened here (a device), so it is closed here */
    int tmp_fd;     /* replace, streaming format: the temporary file */
    int spool;      /* direct, file-only format: tmp is copied to out_fd at close */
    sink sk;
    FILE *f;        /* streaming formats: over sk */
    int written;
    int committed;
    int pipe_closed;
    struct stat keep; /* replace: the existing file's mode and owner (have_keep) */
    int have_keep;
    edb_run_info run;
    int have_run;
    char **opt_keys, **opt_vals; /* the -O options, checked, owned */
    size_t n_opts;
    edb_err ferr;   /* what the format said; w->err says it again with the file's name */
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

int edb__wctx_flag(const edb__wctx *c, const char *key)
{
    return edb__wctx_opt(c, key) != NULL;
}

int edb__wctx_level(const edb__wctx *c)
{
    const char *v = edb__wctx_opt(c, "compress");
    return v ? atoi(v) : 1;
}

int edb__wctx_stamp(const edb__wctx *c)
{
    return c->run && c->run->stamp;
}

/* ---- the sink ------------------------------------------------------------------------ */

static ssize_t sink_write(void *cookie, const char *buf, size_t len)
{
    sink *s = cookie;
    size_t done = 0;
    while (done < len) {
        ssize_t r = write(s->fd, buf + done, len - done);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            if (!s->err_no)
                s->err_no = r < 0 ? errno : EIO;
            /* stdio marks the stream as failed; what got out is what it says */
            return (ssize_t)done;
        }
        done += (size_t)r;
    }
    if (s->writeback) {
        s->written += (off_t)len;
        if (s->written - s->started >= WRITEBACK_STEP) {
            /* Only a hint: a failure here changes nothing, fsync still decides. */
            (void)sync_file_range(s->fd, s->started, s->written - s->started,
                                  SYNC_FILE_RANGE_WRITE);
            s->started = s->written;
        }
    }
    return (ssize_t)len;
}

static edb_status open_sink(edb_writer *w, int fd, edb_err *err)
{
    w->sk.fd = fd;
    w->sk.err_no = 0;
    w->sk.writeback = fd == w->tmp_fd && !w->direct;
    w->sk.written = w->sk.started = 0;
    cookie_io_functions_t io = {NULL, sink_write, NULL, NULL};
    w->f = fopencookie(&w->sk, "w", io);
    if (!w->f)
        return edb_err_set(err, EDB_ERR_NOMEM, "out of memory opening the output");
    /* the formats hand over blocks of 256 KiB (edb__out); this buffer is for the headers */
    setvbuf(w->f, NULL, _IOFBF, 1 << 16);
    return EDB_OK;
}

/* ---- choosing the format and the destination ---------------------------------------- */

/* Does the last component of path have an extension ("x.parquet"; not ".hidden", not
 * "x.")? */
static const char *extension_of(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    return dot && dot != base && dot[1] ? dot : NULL;
}

static edb_status choose_format(const char *path, const edb_writer_options *o,
                                const edb__format **out, edb_err *err)
{
    if (o && o->format) {
        *out = edb__format_by_name(o->format);
        if (!*out) {
            char list[256];
            edb__format_list(list, sizeof list);
            return edb_err_set(err, EDB_ERR_USAGE, "unknown output format '%s' (known: %s)",
                               o->format, list);
        }
        return EDB_OK;
    }
    *out = strcmp(path, "-") == 0 ? &edb__format_csv : edb__format_by_path(path);
    if (*out)
        return EDB_OK;
    const char *ext = extension_of(path);
    if (!ext) {
        *out = &edb__format_csv; /* "-o data", "-o /dev/stdout": CSV, as on stdout */
        return EDB_OK;
    }
    /* A name that promises another format (x.parquet, x.fits.gz) must not get CSV. */
    char exts[256], names[256];
    edb__format_ext_list(exts, sizeof exts);
    edb__format_list(names, sizeof names);
    return edb_err_set(err, EDB_ERR_USAGE, "%s: edbx writes no '%.40s' files (it knows %s); "
                       "to write one of its formats under this name anyway, name the format "
                       "(--format %s)", path, ext, exts, names);
}

/* The file path's symbolic links lead to (path itself when it is not a link), malloc'ed;
 * NULL with err set when the chain does not end.  *proc: the chain went through /proc
 * (/dev/stdout, /dev/fd/N are links to /proc/self/fd/N), whose links stand for an open
 * descriptor rather than a name. */
static char *follow_links(const char *path, int *proc, edb_err *err)
{
    char *cur = strdup(path);
    *proc = 0;
    for (int hops = 0; cur && hops < 40; hops++) {
        *proc |= strncmp(cur, "/proc/", 6) == 0;
        struct stat st;
        if (lstat(cur, &st) != 0 || !S_ISLNK(st.st_mode))
            return cur;
        char link[PATH_MAX];
        ssize_t n = readlink(cur, link, sizeof link - 1);
        if (n < 0) {
            edb_err_set(err, EDB_ERR_IO, "cannot read the link %s: %s", cur, strerror(errno));
            free(cur);
            return NULL;
        }
        link[n] = '\0';
        /* a relative link is relative to the folder holding it */
        const char *slash = strrchr(cur, '/');
        size_t dirlen = link[0] == '/' || !slash ? 0 : (size_t)(slash - cur) + 1;
        char *next = malloc(dirlen + (size_t)n + 1);
        if (next) {
            memcpy(next, cur, dirlen);
            memcpy(next + dirlen, link, (size_t)n + 1);
        }
        free(cur);
        cur = next;
    }
    if (cur) {
        free(cur);
        edb_err_set(err, EDB_ERR_IO, "%s: too many levels of symbolic links", path);
    } else {
        edb_err_set(err, EDB_ERR_NOMEM, "out of memory opening the output");
    }
    return NULL;
}

/* A temporary file: beside dest (replace) or in $TMPDIR (spool).  old: the file it will
 * replace, whose mode and owner it takes at close. */
static edb_status make_tmp(edb_writer *w, const char *dest, const struct stat *old,
                           edb_err *err)
{
    const char *tdir = getenv("TMPDIR");
    if (!tdir || !*tdir)
        tdir = "/tmp";
    const char *slash = dest ? strrchr(dest, '/') : NULL;
    size_t dirlen = slash ? (size_t)(slash - dest) + 1 : 0;
    size_t tlen = (dest ? strlen(dest) : strlen(tdir)) + 32;
    w->tmp = malloc(tlen);
    if (!w->tmp)
        return edb_err_set(err, EDB_ERR_NOMEM, "out of memory opening the output");
    if (dest)
        snprintf(w->tmp, tlen, "%.*s.%s.edbx-XXXXXX", (int)dirlen, dest, dest + dirlen);
    else
        snprintf(w->tmp, tlen, "%s/edbx-stdout-XXXXXX", tdir);
    int fd = mkstemp(w->tmp);
    if (fd < 0) {
        int e = errno;
        free(w->tmp);
        w->tmp = NULL;
        if (!dest)
            return edb_err_set(err, EDB_ERR_IO, "cannot create a temporary file in $TMPDIR "
                               "(%s): %s", tdir, strerror(e));
        return edb_err_set(err, EDB_ERR_IO, "cannot create the output %s: %s (check that its "
                           "folder exists and is writable)", w->target, strerror(e));
    }
    if (old) {
        w->keep = *old;
        w->have_keep = 1;
    }
    /* mkstemp makes the file 0600; until it is complete, owner-only is right anyway, and a
     * new output gets the usual umask-based mode at close (set_mode). */
    if (w->fmt->streams && !w->spool) {
        w->tmp_fd = fd;
        return open_sink(w, fd, err);
    }
    close(fd); /* cfitsio and HDF5 open the file by name */
    return EDB_OK;
}

/* Write straight to fd (stdout, a device, a FIFO); spool file-only formats. */
static edb_status open_direct(edb_writer *w, int fd, int own, edb_err *err)
{
    w->direct = 1;
    w->out_fd = fd;
    w->own_out_fd = own;
    if (w->fmt->streams)
        return open_sink(w, fd, err);
    /* cfitsio and HDF5 want a file they can seek in: build it in $TMPDIR and copy it out
     * once complete, so that a failure still sends nothing. */
    w->spool = 1;
    return make_tmp(w, NULL, NULL, err);
}

static edb_status open_path(edb_writer *w, const char *path, edb_err *err)
{
    size_t len = strlen(path);
    if (path[len - 1] == '/')
        return edb_err_set(err, EDB_ERR_USAGE, "-o %s names a folder: name a file in it "
                           "(%sx.csv)", path, path);
    /* What the name leads to, through every link (the kernel's own links of /dev/stdout
     * and /proc/self/fd/N included, whose targets have no name to follow). */
    struct stat st;
    int exists = stat(path, &st) == 0;
    if (!exists && errno != ENOENT)
        return edb_err_set(err, EDB_ERR_IO, "cannot use the output %s: %s", path,
                           strerror(errno));
    if (exists && S_ISDIR(st.st_mode))
        return edb_err_set(err, EDB_ERR_USAGE, "-o %s is a folder: name a file in it "
                           "(%s/x.csv)", path, path);
    if (exists && (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) || S_ISFIFO(st.st_mode))) {
        /* No rename over a device or a FIFO: what reads it gets the bytes.  O_TRUNC means
         * nothing to them; a FIFO without a reader waits for one here, as a shell would. */
        int fd = open(path, O_WRONLY | O_NOCTTY | O_CLOEXEC);
        if (fd < 0)
            return edb_err_set(err, EDB_ERR_IO, "cannot open the output %s: %s", path,
                               strerror(errno));
        return open_direct(w, fd, 1, err);
    }
    if (exists && !S_ISREG(st.st_mode))
        return edb_err_set(err, EDB_ERR_IO, "-o %s is a socket: edbx writes to files, devices "
                           "and FIFOs", path);
    /* A regular file, or none yet: replaced, or made, where the links end. */
    int proc = 0;
    char *dest = follow_links(path, &proc, err);
    if (!dest)
        return err->status;
    struct stat at;
    edb_status rc;
    if (exists && (proc || lstat(dest, &at) != 0 || at.st_dev != st.st_dev ||
                   at.st_ino != st.st_ino)) {
        /* /dev/stdout and the like: the file behind a descriptor, which the one who opened
         * it reads through that descriptor (or which has no name left): written to there,
         * emptied first as a shell's '>' would. */
        free(dest);
        int fd = open(path, O_WRONLY | O_TRUNC | O_NOCTTY | O_CLOEXEC);
        if (fd < 0)
            return edb_err_set(err, EDB_ERR_IO, "cannot open the output %s: %s", path,
                               strerror(errno));
        return open_direct(w, fd, 1, err);
    }
    if (exists && st.st_nlink > 1)
        rc = edb_err_set(err, EDB_ERR_IO, "%s has %lu hard links: edbx replaces an output by "
                         "renaming a new file over it, which would silently part it from its "
                         "other names; remove it first (rm %s) or write to another name",
                         path, (unsigned long)st.st_nlink, path);
    else
        rc = make_tmp(w, dest, exists ? &st : NULL, err);
    if (rc == EDB_OK)
        w->dest = dest;
    else
        free(dest);
    return rc;
}

edb_status edb_writer_open(edb_writer **out, const char *path, const edb_writer_options *o,
                           edb_err *err)
{
    *out = NULL;
    if (!path || !*path)
        return edb_err_set(err, EDB_ERR_USAGE, "the output's name is empty: give -o FILE, or "
                           "-o - for standard output");
    const edb__format *fmt;
    edb_status st = choose_format(path, o, &fmt, err);
    if (st != EDB_OK)
        return st;
    edb_writer *w = calloc(1, sizeof *w);
    if (!w)
        return edb_err_set(err, EDB_ERR_NOMEM, "out of memory opening the output");
    w->fmt = fmt;
    w->out_fd = w->tmp_fd = -1;
    if (o && o->n_options)
        st = take_options(w, o->options, o->n_options, err);
    if (st == EDB_OK && o && o->run) {
        w->run = *o->run;
        w->have_run = 1;
    }
    if (st == EDB_OK && strcmp(path, "-") != 0 && !(w->target = strdup(path)))
        st = edb_err_set(err, EDB_ERR_NOMEM, "out of memory opening the output");
    if (st == EDB_OK) {
        if (!w->target) {
            fflush(stdout); /* what stdio holds goes first; from here on, fd 1 directly */
            st = open_direct(w, STDOUT_FILENO, 0, err);
        } else {
            st = open_path(w, path, err);
        }
    }
    if (st != EDB_OK) {
        edb_writer_free(w);
        return st;
    }
    *out = w;
    return EDB_OK;
}

/* ---- writing ------------------------------------------------------------------------- */

static const char *target_name(const edb_writer *w)
{
    return w->target ? w->target : "standard output";
}

edb_status edb_writer_check_columns(edb_writer *w, size_t n, edb_err *err)
{
    size_t max = w->fmt->max_columns;
    if (!max || n <= max)
        return EDB_OK;
    return edb_err_set(err, EDB_ERR_USAGE, "a %s plot shows at most %zu panels, and this query "
                       "has %zu mnemonics: split them over several plots, or use another format "
                       "for this many", w->fmt->name, max, n);
}

/* Say what went wrong, naming the output: the first errno of the descriptor (the real
 * cause: a full disk, a closed pipe) or else what the format said. */
static edb_status fail(edb_writer *w, edb_status st, int e)
{
    if (!e && !w->ferr.msg[0])
        e = w->sk.err_no;
    if (e == EPIPE)
        w->pipe_closed = 1;
    /* A refusal of what was asked (a plot of too many panels, limits that contradict each
     * other) is the user's to fix, not a failure of the file: said as the format said it. */
    if (st == EDB_ERR_USAGE && !e && w->ferr.msg[0])
        return edb_err_set(&w->err, st, "%s", w->ferr.msg);
    return edb_err_set(&w->err, st, "cannot write %s: %s", target_name(w),
                       e ? strerror(e) : w->ferr.msg[0] ? w->ferr.msg : edb_strerror(st));
}

static void make_ctx(edb_writer *w, edb__wctx *c)
{
    c->path = w->fmt->streams ? NULL : w->tmp;
    c->f = w->f;
    c->run = w->have_run ? &w->run : NULL;
    c->err = &w->ferr;
    c->opt_keys = (const char *const *)w->opt_keys;
    c->opt_vals = (const char *const *)w->opt_vals;
    c->n_opts = w->n_opts;
}

static edb_status after_write(edb_writer *w, edb_status st)
{
    if (st == EDB_OK && w->f && (fflush(w->f) != 0 || ferror(w->f)))
        st = EDB_ERR_IO;
    if (st != EDB_OK)
        return fail(w, st, st == EDB_ERR_IO ? w->sk.err_no : 0);
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

/* Copy the finished spool file to out_fd (file-only formats bound for stdout, a device
 * or a FIFO). */
static edb_status spool_out(edb_writer *w)
{
    int in = open(w->tmp, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return fail(w, EDB_ERR_IO, errno);
    sink s = {w->out_fd, 0, 0, 0, 0};
    char buf[1 << 16];
    ssize_t r;
    while ((r = read(in, buf, sizeof buf)) != 0) {
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 || sink_write(&s, buf, (size_t)r) != r) {
            int e = r < 0 ? errno : s.err_no;
            close(in);
            return fail(w, EDB_ERR_IO, e);
        }
    }
    close(in);
    return EDB_OK;
}

/* The finished temporary file takes the mode (and, where the system allows, the owner and
 * group) of the file it replaces; a new one the usual umask-based mode.  By descriptor
 * when there is one, else by name (cfitsio and HDF5 created the file themselves). */
static void set_mode(edb_writer *w, int fd)
{
    mode_t mode;
    if (w->have_keep) {
        /* The owner first: changing it clears set-id bits, which the mode then restores.
         * Only root may give a file away; anyone else keeps it as their own. */
        uid_t u = w->keep.st_uid;
        gid_t g = w->keep.st_gid;
        if ((fd >= 0 ? fchown(fd, u, g) : chown(w->tmp, u, g)) != 0)
            (void)!(fd >= 0 ? fchown(fd, (uid_t)-1, g) : chown(w->tmp, (uid_t)-1, g));
        mode = w->keep.st_mode & 07777;
    } else {
        mode_t um = umask(0);
        umask(um);
        mode = 0666 & ~um;
    }
    (void)!(fd >= 0 ? fchmod(fd, mode) : chmod(w->tmp, mode));
}

/* Make a finished file durable before it takes the name. */
static int sync_path(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    int bad = fd < 0 || fsync(fd) != 0;
    int e = errno;
    if (fd >= 0)
        close(fd);
    errno = e;
    return bad ? -1 : 0;
}

/* A table's name in a file of several: parts of letters, digits, '_', '-' and '.' (not
 * starting with '.') between single '/'. */
static int table_name_ok(const char *name)
{
    size_t len = strlen(name);
    if (len == 0 || len > 255 || name[0] == '/' || name[len - 1] == '/')
        return 0;
    for (size_t k = 0; k < len; k++) {
        char c = name[k];
        int part_start = k == 0 || name[k - 1] == '/';
        if (c == '/' ? part_start : !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                                      (c >= '0' && c <= '9') || c == '_' || c == '-' ||
                                      (c == '.' && !part_start)))
            return 0;
    }
    return 1;
}

edb_status edb_writer_write_tables(edb_writer *w, const edb_table *const *tables,
                                   const char *const *names, size_t n)
{
    if (w->err.status != EDB_OK)
        return w->err.status;
    if (w->written)
        return edb_err_set(&w->err, EDB_ERR_USAGE, "a writer takes one table; this one has it");
    if (!w->fmt->write_tables)
        return edb_err_set(&w->err, EDB_ERR_USAGE, "%s holds one table a file, not %zu",
                           w->fmt->name, n);
    for (size_t k = 0; k < n; k++) {
        if (!table_name_ok(names[k]))
            return edb_err_set(&w->err, EDB_ERR_USAGE, "'%.100s' cannot name a table (parts of "
                               "letters, digits, '_', '-' and '.' between '/')", names[k]);
        for (size_t q = 0; q < k; q++)
            if (strcmp(names[q], names[k]) == 0)
                return edb_err_set(&w->err, EDB_ERR_USAGE, "two tables are named %.100s",
                                   names[k]);
    }
    w->written = 1;
    edb__wctx c;
    make_ctx(w, &c);
    return after_write(w, w->fmt->write_tables(&c, tables, names, n));
}

edb_status edb_writer_close(edb_writer *w)
{
    if (w->err.status != EDB_OK)
        return w->err.status;
    if (w->f) {
        FILE *f = w->f;
        w->f = NULL;
        int bad = fflush(f) != 0 || ferror(f);
        fclose(f); /* the sink's descriptor stays open: it is closed below */
        if (bad)
            return fail(w, EDB_ERR_IO, w->sk.err_no ? w->sk.err_no : EIO);
    }
    if (w->direct) {
        if (w->spool) {
            edb_status st = spool_out(w);
            if (st != EDB_OK)
                return st;
            unlink(w->tmp);
        }
        if (w->own_out_fd) {
            w->own_out_fd = 0;
            if (close(w->out_fd) != 0 && errno != EINTR)
                return fail(w, EDB_ERR_IO, errno);
        }
        w->committed = 1;
        return EDB_OK;
    }
    set_mode(w, w->tmp_fd);
    if (w->tmp_fd >= 0) {
        int fd = w->tmp_fd;
        w->tmp_fd = -1;
        int bad = fsync(fd) != 0;
        int e = errno;
        if (close(fd) != 0 && !bad) {
            bad = 1;
            e = errno;
        }
        if (bad)
            return fail(w, EDB_ERR_IO, e);
    } else if (sync_path(w->tmp) != 0) {
        return fail(w, EDB_ERR_IO, errno);
    }
    if (rename(w->tmp, w->dest) != 0) {
        int e = errno;
        return edb_err_set(&w->err, EDB_ERR_IO, "cannot move the output into place as %s: %s",
                           w->dest, strerror(e));
    }
    w->committed = 1;
    return EDB_OK;
}

void edb_writer_free(edb_writer *w)
{
    if (!w)
        return;
    if (w->f)
        fclose(w->f);
    if (w->tmp_fd >= 0)
        close(w->tmp_fd);
    if (w->own_out_fd)
        close(w->out_fd);
    if (w->tmp && !(w->committed && !w->spool))
        unlink(w->tmp);
    for (size_t k = 0; k < w->n_opts; k++) {
        free(w->opt_keys[k]);
        free(w->opt_vals[k]);
    }
    free(w->opt_keys);
    free(w->opt_vals);
    free(w->tmp);
    free(w->dest);
    free(w->target);
    free(w);
}

const char *edb_writer_errmsg(const edb_writer *w)
{
    return w ? w->err.msg : "";
}

int edb_writer_pipe_closed(const edb_writer *w)
{
    return w && w->pipe_closed;
}
