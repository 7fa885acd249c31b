/* bundle.c: recording reply bodies and input files, writing bundles with their manifest,
 * reading manifests, and checking (and unpacking) bundles in pieces. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <jansson.h>

#include <edb/archive.h>
#include <edb/bundle.h>
#include <edb/edb.h>

#include "internal.h"

#define MANIFEST "manifest.json"
#define FORMAT_ID "edbx-bundle-2"
#define FORMAT_ID_1 "edbx-bundle-1" /* edbx 0.1: the command as an argv */
#define COMMAND_SCHEMA 2
/* Entries kept free for the outputs while replies are recorded (their count is known
 * only at the end), and what a manifest line costs besides its strings. */
#define OUTPUTS_RESERVED 16
#define MANIFEST_PER_FILE 320
#define MANIFEST_FIXED (UINT64_C(256) << 10)
/* The longest name under raw/, in/ or out/ (a file system's NAME_MAX) and of a base name
 * kept in an in/ or out/ name. */
#define ENTRY_NAME_MAX 255
#define KEPT_BASE_MAX 200
/* The longest string of a command (an option's name, value or an argument). */
#define COMMAND_STRING_MAX (64 << 10)

typedef struct rec_entry {
    char *uri_name, *url;
    long http;
    int local;
    char *spool;        /* the body, in a file of the spool folder */
    uint64_t size;
    char sha[EDB_SHA256_HEX];
    edb_time received;
} rec_entry;

typedef struct rec_input {
    char *path;         /* as given */
    char *spool;        /* the copy */
    uint64_t size;
    char sha[EDB_SHA256_HEX];
    int given;          /* handed over as bytes (edb_recorder_add_input_data): no file to
                           check again */
} rec_input;

struct edb_recorder {
    rec_entry *e;
    size_t n, cap;
    rec_input *in;
    size_t n_in, cap_in;
    char *dir;          /* the spool folder */
    unsigned long seq;  /* names its files */
    uint64_t manifest;  /* what the manifest will cost, at most (bytes) */
};

typedef struct rec_tap {
    edb_recorder *r;
    rec_entry cur;
    FILE *f;
    edb_sha256 *h;
    int bad;
    int err_no;  /* why the first write failed */
} rec_tap;

edb_status edb_recorder_new(edb_recorder **out, const char *spool_dir)
{
    *out = NULL;
    edb_recorder *r = calloc(1, sizeof *r);
    edb__buf d = {0};
    if (!r || edb__buf_printf(&d, "%s/.edbx-bundle-XXXXXX", spool_dir ? spool_dir : "/tmp") != 0) {
        free(r);
        edb__buf_free(&d);
        return EDB_ERR_NOMEM;
    }
    if (!mkdtemp(d.p)) {
        free(r);
        edb__buf_free(&d);
        return EDB_ERR_IO;
    }
    r->dir = d.p;
    r->manifest = MANIFEST_FIXED;
    *out = r;
    return EDB_OK;
}

static void entry_free(rec_entry *e)
{
    if (e->spool)
        unlink(e->spool);
    free(e->spool);
    free(e->uri_name);
    free(e->url);
}

void edb_recorder_free(edb_recorder *r)
{
    if (!r)
        return;
    for (size_t k = 0; k < r->n; k++)
        entry_free(&r->e[k]);
    free(r->e);
    for (size_t k = 0; k < r->n_in; k++) {
        if (r->in[k].spool)
            unlink(r->in[k].spool);
        free(r->in[k].spool);
        free(r->in[k].path);
    }
    free(r->in);
    if (r->dir)
        rmdir(r->dir);
    free(r->dir);
    free(r);
}

size_t edb_recorder_count(const edb_recorder *r)
{
    return r ? r->n : 0;
}

size_t edb_recorder_input_count(const edb_recorder *r)
{
    return r ? r->n_in : 0;
}

/* One more file in the bundle, its manifest line costing `cost` bytes: within what a
 * reader accepts?  Checked as the run goes, so that it fails early, not after the pull. */
static edb_status room_for_one(const edb_recorder *r, uint64_t cost, edb_err *err)
{
    if (1 + r->n + r->n_in + 1 + OUTPUTS_RESERVED > EDB_BUNDLE_ENTRIES_MAX)
        return edb__fail(err, EDB_ERR_USAGE, "the bundle would hold more than %d files, more "
                         "than edbx reads back: bundle fewer mnemonics or a shorter range per "
                         "run, or use a longer --chunk", EDB_BUNDLE_ENTRIES_MAX);
    if (r->manifest + cost > EDB_BUNDLE_MANIFEST_MAX)
        return edb__fail(err, EDB_ERR_USAGE, "the bundle's manifest would pass %llu bytes, more "
                         "than edbx reads back: bundle fewer mnemonics or a shorter range per "
                         "run", (unsigned long long)EDB_BUNDLE_MANIFEST_MAX);
    return EDB_OK;
}

static void *rec_begin(void *ctx, const edb_request_info *ri, int local)
{
    rec_tap *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->r = ctx;
    t->cur.uri_name = edb__strdup(ri->uri_name);
    t->cur.url = edb__strdup(ri->url);
    t->cur.local = local;
    edb__buf sp = {0};
    edb_recorder *r = ctx;
    if (t->cur.uri_name && t->cur.url && edb__buf_printf(&sp, "%s/%lu", r->dir, r->seq++) == 0) {
        t->cur.spool = sp.p;
        t->f = fopen(sp.p, "wb");
        t->h = edb_sha256_new();
    }
    /* A body that cannot be kept must fail the run: a bundle missing a reply is no record. */
    if (!t->f || !t->h) {
        t->bad = 1;
        t->err_no = !t->h ? ENOMEM : errno;
        if (t->f)
            fclose(t->f);
        t->f = NULL;
    }
    return t;
}

static int rec_write(void *p, const char *data, size_t len)
{
    rec_tap *t = p;
    if (t->bad || (len && fwrite(data, 1, len, t->f) != len)) {
        if (!t->bad)
            t->err_no = errno ? errno : EIO;
        t->bad = 1;
        return -1;
    }
    edb_sha256_update(t->h, data, len);
    t->cur.size += len;
    return 0;
}

static edb_status rec_end(void *p, int complete, long http, edb_err *err)
{
    rec_tap *t = p;
    edb_recorder *r = t->r;
    edb_status st = EDB_OK;
    if (t->f && fclose(t->f) != 0 && !t->bad) {
        t->bad = 1;
        t->err_no = errno ? errno : EIO;
    }
    t->f = NULL;
    if (t->h)
        edb_sha256_final(t->h, t->cur.sha);
    t->h = NULL;
    /* Said also when the try is given up for it (complete = 0): the client reports why. */
    if (t->bad)
        st = edb__fail(err, EDB_ERR_IO, "cannot keep the reply %s for the bundle (writing %s): "
                       "%s", t->cur.uri_name ? t->cur.uri_name : "?",
                       t->cur.spool ? t->cur.spool : r->dir, strerror(t->err_no ? t->err_no : EIO));
    uint64_t cost = MANIFEST_PER_FILE + (t->cur.url ? strlen(t->cur.url) : 0) +
                    2 * (t->cur.uri_name ? strlen(t->cur.uri_name) : 0);
    if (complete && st == EDB_OK)
        st = room_for_one(r, cost, err);
    if (complete && st == EDB_OK) {
        t->cur.http = http;
        t->cur.received = edb_time_now();
        if (r->n == r->cap) {
            size_t cap = r->cap ? r->cap * 2 : 16;
            rec_entry *e = realloc(r->e, cap * sizeof *e);
            if (!e)
                st = edb__fail(err, EDB_ERR_NOMEM, "out of memory recording replies");
            else {
                r->e = e;
                r->cap = cap;
            }
        }
        if (st == EDB_OK) {
            r->e[r->n++] = t->cur;
            r->manifest += cost;
            free(t);
            return EDB_OK;
        }
    }
    entry_free(&t->cur);
    free(t);
    return st;
}

void edb_recorder_hooks(edb_recorder *r, edb_reply_hooks *out)
{
    memset(out, 0, sizeof *out);
    out->ctx = r;
    out->tap_begin = rec_begin;
    out->tap_write = rec_write;
    out->tap_end = rec_end;
}

/* Copy fd to path (made new), hashing; -1 with errno on failure. */
static int copy_hash(int fd, const char *path, char sha[EDB_SHA256_HEX], uint64_t *size)
{
    int out = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    edb_sha256 *h = out >= 0 ? edb_sha256_new() : NULL;
    if (!h) {
        if (out >= 0)
            close(out);
        return -1;
    }
    char buf[65536];
    int rc = 0;
    *size = 0;
    for (;;) {
        ssize_t got = read(fd, buf, sizeof buf);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0) {
            rc = got < 0 ? -1 : 0;
            break;
        }
        for (ssize_t done = 0; done < got;) {
            ssize_t w = write(out, buf + done, (size_t)(got - done));
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0) {
                rc = -1;
                break;
            }
            done += w;
        }
        if (rc)
            break;
        edb_sha256_update(h, buf, (size_t)got);
        *size += (uint64_t)got;
    }
    int e = errno;
    if (close(out) != 0 && rc == 0) {
        rc = -1;
        e = errno;
    }
    edb_sha256_final(h, sha);
    errno = e;
    return rc;
}

edb_status edb_recorder_add_input(edb_recorder *r, const char *path, size_t *index,
                                  edb_err *err)
{
    if (!r || !path || !*path)
        return edb__fail(err, EDB_ERR_USAGE, "edb_recorder_add_input: no path");
    edb_status st = room_for_one(r, MANIFEST_PER_FILE + 2 * strlen(path) + KEPT_BASE_MAX, err);
    if (st != EDB_OK)
        return st;
    if (r->n_in == r->cap_in) {
        size_t cap = r->cap_in ? r->cap_in * 2 : 8;
        rec_input *v = realloc(r->in, cap * sizeof *v);
        if (!v)
            return edb__fail(err, EDB_ERR_NOMEM, "out of memory");
        r->in = v;
        r->cap_in = cap;
    }
    rec_input in = {0};
    edb__buf sp = {0};
    in.path = edb__strdup(path);
    if (!in.path || edb__buf_printf(&sp, "%s/in-%zu", r->dir, r->n_in) != 0) {
        free(in.path);
        edb__buf_free(&sp);
        return edb__fail(err, EDB_ERR_NOMEM, "out of memory");
    }
    in.spool = sp.p;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    struct stat sb;
    if (fd < 0)
        st = edb__fail(err, EDB_ERR_IO, "%s: cannot read it for the bundle: %s", path,
                       strerror(errno));
    else if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode))
        /* A device or a pipe gives what it gives once: no copy could be checked. */
        st = edb__fail(err, EDB_ERR_IO, "%s: not a regular file: a bundle keeps a copy of "
                       "every file the run reads, so name a regular file", path);
    else if (copy_hash(fd, in.spool, in.sha, &in.size) != 0)
        st = edb__fail(err, EDB_ERR_IO, "%s: cannot copy it into %s for the bundle: %s", path,
                       r->dir, strerror(errno));
    if (fd >= 0)
        close(fd);
    if (st != EDB_OK) {
        unlink(in.spool);
        free(in.spool);
        free(in.path);
        return st;
    }
    if (index)
        *index = r->n_in;
    r->in[r->n_in++] = in;
    r->manifest += MANIFEST_PER_FILE + 2 * strlen(path) + KEPT_BASE_MAX;
    return EDB_OK;
}

edb_status edb_recorder_add_input_data(edb_recorder *r, const char *name, const char *data,
                                       size_t len, size_t *index, edb_err *err)
{
    if (!r || !name || !*name || strchr(name, '/') || (!data && len))
        return edb__fail(err, EDB_ERR_USAGE, "edb_recorder_add_input_data: no name, or a name "
                         "with a '/'");
    edb_status st = room_for_one(r, MANIFEST_PER_FILE + 2 * strlen(name) + KEPT_BASE_MAX, err);
    if (st != EDB_OK)
        return st;
    if (r->n_in == r->cap_in) {
        size_t cap = r->cap_in ? r->cap_in * 2 : 8;
        rec_input *v = realloc(r->in, cap * sizeof *v);
        if (!v)
            return edb__fail(err, EDB_ERR_NOMEM, "out of memory");
        r->in = v;
        r->cap_in = cap;
    }
    rec_input in = {0};
    edb__buf sp = {0};
    in.path = edb__strdup(name);
    in.given = 1;
    if (!in.path || edb__buf_printf(&sp, "%s/in-%zu", r->dir, r->n_in) != 0) {
        free(in.path);
        edb__buf_free(&sp);
        return edb__fail(err, EDB_ERR_NOMEM, "out of memory");
    }
    in.spool = sp.p;
    int fd = open(in.spool, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    int bad = fd < 0;
    for (size_t done = 0; !bad && done < len;) {
        ssize_t w = write(fd, data + done, len - done);
        if (w < 0 && errno == EINTR)
            continue;
        bad = w <= 0;
        if (!bad)
            done += (size_t)w;
    }
    int e = errno;
    if (fd >= 0 && close(fd) != 0 && !bad) {
        bad = 1;
        e = errno;
    }
    if (bad) {
        unlink(in.spool);
        free(in.spool);
        free(in.path);
        return edb__fail(err, EDB_ERR_IO, "%s: cannot keep it in %s for the bundle: %s", name,
                         r->dir, strerror(e));
    }
    edb_sha256_hex(data ? data : "", len, in.sha);
    in.size = len;
    if (index)
        *index = r->n_in;
    r->in[r->n_in++] = in;
    r->manifest += MANIFEST_PER_FILE + 2 * strlen(name) + KEPT_BASE_MAX;
    return EDB_OK;
}

/* ---- writing -------------------------------------------------------------------------- */

static int cmp_entry(const void *a, const void *b)
{
    return strcmp(((const rec_entry *const *)a)[0]->uri_name,
                  ((const rec_entry *const *)b)[0]->uri_name);
}

static int cmp_file(const void *a, const void *b)
{
    return strcmp(((const edb_archive_file *)a)->name, ((const edb_archive_file *)b)->name);
}

static json_t *iso(edb_time t)
{
    char buf[EDB_TIME_STRLEN + 1];
    int n = edb_time_format_iso_us(t, buf, sizeof buf - 1);
    if (n > 0 && (size_t)n < sizeof buf - 1) {
        buf[n] = 'Z';
        buf[n + 1] = '\0';
    }
    return json_string(buf);
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* dir + a base name the archive, every reader and every file system take: letters,
 * digits, '.', '_' and '-' (others '_'), no leading '.', at most KEPT_BASE_MAX bytes. */
static char *kept_name(const char *dir, size_t number, const char *base)
{
    edb__buf b = {0};
    if (number)
        edb__buf_printf(&b, "%s%zu-", dir, number);
    else
        edb__buf_printf(&b, "%s", dir);
    if (!b.p)
        return NULL;
    size_t start = b.len, n = 0;
    for (const char *c = base; *c && n < KEPT_BASE_MAX; c++, n++) {
        char ch = *c;
        int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                 ch == '_' || ch == '-' || (ch == '.' && b.len > start);
        if (edb__buf_append(&b, ok ? &ch : "_", 1) != 0) {
            edb__buf_free(&b);
            return NULL;
        }
    }
    if (b.len == start && edb__buf_append(&b, "_", 1) != 0) {
        edb__buf_free(&b);
        return NULL;
    }
    return b.p;
}

/* SHA-256 and size of a file, read in pieces. */
static int hash_file(const char *path, char sha[EDB_SHA256_HEX], uint64_t *size)
{
    FILE *f = fopen(path, "rb");
    edb_sha256 *h = f ? edb_sha256_new() : NULL;
    if (!h) {
        if (f)
            fclose(f);
        return -1;
    }
    char chunk[65536];
    size_t got;
    *size = 0;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0) {
        edb_sha256_update(h, chunk, got);
        *size += got;
    }
    int rc = ferror(f) ? -1 : 0;
    fclose(f);
    edb_sha256_final(h, sha);
    return rc;
}

static edb_time clamp(const edb_bundle_info *info, edb_time t)
{
    if (info->source_date_epoch) {
        edb_time c = *info->source_date_epoch > INT64_MAX / EDB_USEC_PER_SEC
                         ? INT64_MAX
                         : *info->source_date_epoch * EDB_USEC_PER_SEC;
        if (t > c)
            return c;
    }
    return t;
}

/* The command as data. */
static json_t *command_json(const edb_bundle_command *c, char *const *in_names,
                            size_t n_in, char *const *out_names, size_t n_out, edb_err *err)
{
    json_t *cmd = json_object(), *opts = json_array(), *args = json_array();
    if (!cmd || !opts || !args || !c->name)
        goto nomem;
    json_object_set_new(cmd, "schema", json_integer(COMMAND_SCHEMA));
    json_object_set_new(cmd, "name", json_string(c->name));
    for (size_t k = 0; k < c->n_options; k++) {
        const edb_bundle_option *o = &c->options[k];
        json_t *e = json_object();
        if (!e || !o->name || json_array_append_new(opts, e) != 0)
            goto nomem;
        if (json_object_set_new(e, "name", json_string(o->name)) != 0 ||
            (o->value && json_object_set_new(e, "value", json_string(o->value)) != 0)) {
            edb__fail(err, EDB_ERR_USAGE, "option --%s: its value is not UTF-8 text, so the "
                      "manifest cannot record it", o->name);
            goto fail;
        }
        if (o->input && (o->input > n_in ||
                         json_object_set_new(e, "input", json_string(in_names[o->input - 1]))))
            goto nomem;
        if (o->output && (o->output > n_out ||
                          json_object_set_new(e, "output", json_string(out_names[o->output - 1]))))
            goto nomem;
    }
    for (size_t k = 0; k < c->n_arguments; k++)
        if (json_array_append_new(args, json_string(c->arguments[k])) != 0) {
            edb__fail(err, EDB_ERR_USAGE, "argument %zu is not UTF-8 text, so the manifest "
                      "cannot record it", k + 1);
            goto fail;
        }
    json_object_set_new(cmd, "options", opts);
    json_object_set_new(cmd, "arguments", args);
    return cmd;
nomem:
    edb__fail(err, EDB_ERR_NOMEM, "out of memory writing the manifest");
fail:
    json_decref(cmd);
    json_decref(opts);
    json_decref(args);
    return NULL;
}

edb_status edb_bundle_write(const char *path, const edb_bundle_info *info,
                            const edb_recorder *rec, const edb_bundle_output *outs,
                            size_t n_outs, edb_err *err)
{
    if (!path || !info || !rec)
        return edb__fail(err, EDB_ERR_USAGE, "edb_bundle_write: missing argument");
    const char *tok = info->token && *info->token ? info->token : NULL;
    edb_status st = EDB_OK;
    json_t *m = json_object();
    json_t *reqs = json_array(), *outv = json_array(), *q = json_object();
    json_t *mn = json_array(), *inv = json_array();
    size_t nf = 1 + rec->n + rec->n_in + n_outs;
    edb_archive_file *files = calloc(nf, sizeof *files);
    const rec_entry **sorted = calloc(rec->n ? rec->n : 1, sizeof *sorted);
    char **names = calloc(nf, sizeof *names);
    char **in_names = names + 1 + rec->n, **out_names = in_names + rec->n_in;
    char *text = NULL;
    if (!m || !reqs || !outv || !q || !mn || !inv || !files || !sorted || !names) {
        st = edb__fail(err, EDB_ERR_NOMEM, "out of memory");
        goto done;
    }
    if (nf > EDB_BUNDLE_ENTRIES_MAX) {
        st = edb__fail(err, EDB_ERR_USAGE, "the bundle would hold %zu files, more than edbx "
                       "reads back (%d)", nf, EDB_BUNDLE_ENTRIES_MAX);
        goto done;
    }
    for (size_t k = 0; k < info->n_mnemonics; k++)
        json_array_append_new(mn, json_string(info->mnemonics[k]));
    json_object_set_new(q, "mnemonics", mn);
    mn = NULL;
    json_object_set_new(q, "start", iso(info->start));
    json_object_set_new(q, "end", iso(info->end));
    json_object_set_new(q, "brackets", json_boolean(info->keep_brackets));
    json_object_set_new(q, "chunk_us", json_integer((json_int_t)info->chunk_us));

    /* The names of the inputs and outputs first: the command links its options to them. */
    for (size_t k = 0; k < rec->n_in; k++)
        if (!(in_names[k] = kept_name("in/", k + 1, base_name(rec->in[k].path)))) {
            st = edb__fail(err, EDB_ERR_NOMEM, "out of memory");
            goto done;
        }
    for (size_t k = 0; k < n_outs; k++) {
        const char *b = outs[k].name ? outs[k].name : base_name(outs[k].path);
        if (!(out_names[k] = kept_name("out/", 0, b))) {
            st = edb__fail(err, EDB_ERR_NOMEM, "out of memory");
            goto done;
        }
        for (size_t j = 0; j < k; j++)
            if (strcmp(out_names[j], out_names[k]) == 0) { /* two outputs of one base name */
                free(out_names[k]);
                if (!(out_names[k] = kept_name("out/", k + 1, b))) {
                    st = edb__fail(err, EDB_ERR_NOMEM, "out of memory");
                    goto done;
                }
                break;
            }
    }

    json_object_set_new(m, "format", json_string(FORMAT_ID));
    json_object_set_new(m, "edbx_version", json_string(edb_version()));
    if (info->command) {
        json_t *cmd = command_json(info->command, in_names, rec->n_in, out_names, n_outs, err);
        if (!cmd) {
            st = err && err->status ? err->status : EDB_ERR_NOMEM;
            goto done;
        }
        json_object_set_new(m, "command", cmd);
        if (info->command->text)
            json_object_set_new(m, "command_line", json_string(info->command->text));
    }
    json_object_set_new(m, "service", json_string(info->service ? info->service : "mast"));
    json_object_set_new(m, "base_url", json_string(info->base_url ? info->base_url : ""));
    json_object_set_new(m, "query", q);
    q = NULL;
    edb_time run_time = clamp(info, info->run_time);
    json_object_set_new(m, "run_time", iso(run_time));
    json_object_set_new(m, "run_time_us", json_integer((json_int_t)run_time));
    if (info->source_date_epoch)
        json_object_set_new(m, "source_date_epoch",
                            json_integer((json_int_t)*info->source_date_epoch));

    for (size_t k = 0; k < rec->n; k++)
        sorted[k] = &rec->e[k];
    qsort(sorted, rec->n, sizeof *sorted, cmp_entry);
    size_t fi = 1;
    for (size_t k = 0; k < rec->n; k++) {
        const rec_entry *e = sorted[k];
        if (k > 0 && strcmp(e->uri_name, sorted[k - 1]->uri_name) == 0)
            continue; /* the same request answered twice keeps its first body */
        edb__buf nm = {0};
        edb__buf_printf(&nm, "raw/%s", e->uri_name);
        json_t *r = json_pack("{s:s, s:s, s:I, s:o, s:I, s:s, s:s}", "url", e->url, "raw",
                              nm.p ? nm.p : "", "http", (json_int_t)e->http, "received",
                              iso(clamp(info, e->received)), "bytes", (json_int_t)e->size,
                              "sha256", e->sha, "source", e->local ? "local" : "network");
        if (!nm.p || !r || json_array_append_new(reqs, r) != 0) {
            edb__buf_free(&nm);
            st = edb__fail(err, EDB_ERR_NOMEM, "out of memory");
            goto done;
        }
        names[fi] = nm.p;
        files[fi].name = nm.p;
        files[fi].path = e->spool;
        files[fi].len = (size_t)e->size;
        fi++;
    }
    for (size_t k = 0; k < rec->n_in; k++) {
        const rec_input *in = &rec->in[k];
        /* The copy is what the run read only if the file still holds it. */
        char sha[EDB_SHA256_HEX];
        uint64_t size = 0;
        if (!in->given &&
            (hash_file(in->path, sha, &size) != 0 || size != in->size || strcmp(sha, in->sha))) {
            st = edb__fail(err, EDB_ERR_IO, "%s changed (or went) while edbx ran, so the "
                           "bundle cannot say what the run read: run again", in->path);
            goto done;
        }
        json_t *e = json_pack("{s:s, s:s, s:I, s:s}", "name", in_names[k], "path", in->path,
                              "bytes", (json_int_t)in->size, "sha256", in->sha);
        /* A path that is not UTF-8 cannot be listed, and an unlisted file fails verify. */
        if (!e || json_array_append_new(inv, e) != 0) {
            st = edb__fail(err, EDB_ERR_USAGE, "%s: cannot list the input in the manifest (is "
                           "its path UTF-8?)", in->path);
            goto done;
        }
        files[fi].name = in_names[k];
        files[fi].path = in->spool;
        files[fi].len = (size_t)in->size;
        fi++;
    }
    for (size_t k = 0; k < n_outs; k++) {
        char sha[EDB_SHA256_HEX];
        uint64_t size = 0;
        if (hash_file(outs[k].path, sha, &size) != 0) {
            st = edb__fail(err, EDB_ERR_IO, "%s: cannot read the output back for the bundle: %s",
                           outs[k].path, strerror(errno));
            goto done;
        }
        json_array_append_new(outv, json_pack("{s:s, s:I, s:s}", "name", out_names[k],
                                              "bytes", (json_int_t)size, "sha256", sha));
        files[fi].name = out_names[k];
        files[fi].path = outs[k].path;
        files[fi].len = (size_t)size;
        fi++;
    }
    json_object_set_new(m, "requests", reqs);
    reqs = NULL;
    json_object_set_new(m, "inputs", inv);
    inv = NULL;
    json_object_set_new(m, "outputs", outv);
    outv = NULL;
    text = json_dumps(m, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (!text) {
        st = edb__fail(err, EDB_ERR_NOMEM, "out of memory");
        goto done;
    }
    if (tok && strstr(text, tok)) {
        st = edb__fail(err, EDB_ERR_INSECURE, "the manifest would hold the MAST token: bundle "
                       "%s not written", path);
        goto done;
    }
    if (strlen(text) > EDB_BUNDLE_MANIFEST_MAX) {
        st = edb__fail(err, EDB_ERR_USAGE, "the bundle's manifest would be %zu bytes, more than "
                       "edbx reads back (%llu): bundle fewer mnemonics or a shorter range per "
                       "run", strlen(text), (unsigned long long)EDB_BUNDLE_MANIFEST_MAX);
        goto done;
    }
    files[0].name = MANIFEST;
    files[0].data = text;
    files[0].len = strlen(text);
    /* The manifest first (a reader needs it before anything else), the rest by name. */
    qsort(files + 1, fi - 1, sizeof *files, cmp_file);
    edb_archive_write_options ao = EDB_ARCHIVE_WRITE_OPTIONS_INIT;
    ao.mtime = run_time;
    ao.cancel = info->cancel;
    ao.on_entry = info->on_entry;
    ao.ctx = info->ctx;
    st = edb_archive_write(path, files, fi, &ao, err);
done:
    free(text);
    for (size_t k = 0; names && k < nf; k++)
        free(names[k]);
    free(names);
    free(sorted);
    free(files);
    json_decref(m);
    json_decref(reqs);
    json_decref(outv);
    json_decref(inv);
    json_decref(q);
    json_decref(mn);
    return st;
}

/* ---- reading the manifest ------------------------------------------------------------- */

typedef struct listed {
    const char *name;   /* "raw/...", "in/...", "out/..." (borrowed from the manifest) */
    const char *path;   /* inputs: as given */
    uint64_t bytes;
    const char *sha;
} listed;

struct edb_bundle {
    char *path;
    json_t *m;
    char manifest_sha[EDB_SHA256_HEX];
    uint64_t manifest_len;
    int schema;
    const char *cmd_name;
    edb_bundle_option *opts;
    size_t n_opts;
    const char **args;
    size_t n_args;
    const char **argv;
    size_t argc;
    listed *raw, *in, *out;
    size_t n_raw, n_in, n_out;
    const listed **by_name; /* every listed file, sorted by name */
    size_t n_all;
    edb_time run_time;
    int has_sde;
    int64_t sde;
    int64_t chunk_us;
};

void edb_bundle_free(edb_bundle *b)
{
    if (!b)
        return;
    free(b->opts);
    free(b->args);
    free(b->argv);
    free(b->raw);
    free(b->in);
    free(b->out);
    free(b->by_name);
    json_decref(b->m);
    free(b->path);
    free(b);
}

/* A name under dir that unpacks to one file in one folder anywhere. */
static int safe_entry(const char *name, const char *dir)
{
    size_t d = strlen(dir);
    if (strncmp(name, dir, d) != 0)
        return 0;
    const char *n = name + d;
    size_t len = strlen(n);
    if (len == 0 || len > ENTRY_NAME_MAX || strcmp(n, ".") == 0 || strcmp(n, "..") == 0)
        return 0;
    for (const char *c = n; *c; c++)
        if (*c == '/' || *c == '\\' || (unsigned char)*c < 0x20 || *c == 0x7f)
            return 0;
    return 1;
}

static int is_sha(const char *s)
{
    if (!s || strlen(s) != 64)
        return 0;
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
            return 0;
    return 1;
}

/* A string of at most COMMAND_STRING_MAX bytes, or NULL. */
static const char *short_string(json_t *v)
{
    const char *s = json_string_value(v);
    return s && json_string_length(v) <= COMMAND_STRING_MAX ? s : NULL;
}

/* A manifest's list of files ("raw" or "name" key) into l. */
static edb_status read_list(edb_bundle *b, json_t *arr, const char *key, const char *dir,
                            int with_path, listed **l, size_t *n, edb_err *err)
{
    if (!json_is_array(arr))
        return edb__fail(err, EDB_ERR_DATA, "%s: manifest.json has no %s list", b->path, dir);
    size_t cnt = json_array_size(arr);
    if (cnt >= EDB_BUNDLE_ENTRIES_MAX)
        return edb__fail(err, EDB_ERR_DATA, "%s: manifest.json lists %zu files under %s, more "
                         "than a bundle holds", b->path, cnt, dir);
    *l = calloc(cnt ? cnt : 1, sizeof **l);
    if (!*l)
        return edb__fail(err, EDB_ERR_NOMEM, "out of memory");
    for (size_t k = 0; k < cnt; k++) {
        json_t *e = json_array_get(arr, k);
        const char *name = json_string_value(json_object_get(e, key));
        const char *sha = json_string_value(json_object_get(e, "sha256"));
        const char *path = json_string_value(json_object_get(e, "path"));
        json_t *bytes = json_object_get(e, "bytes");
        if (!name || !safe_entry(name, dir) || !is_sha(sha) || !json_is_integer(bytes) ||
            json_integer_value(bytes) < 0 || (with_path && (!path || !*path)))
            return edb__fail(err, EDB_ERR_DATA, "%s: manifest.json: entry %zu of its %s list is "
                             "malformed (a name under %s without '/', '..' or control "
                             "characters, bytes, sha256%s)", b->path, k + 1, dir, dir,
                             with_path ? ", path" : "");
        (*l)[k].name = name;
        (*l)[k].path = with_path ? path : NULL;
        (*l)[k].bytes = (uint64_t)json_integer_value(bytes);
        (*l)[k].sha = sha;
        (*n)++;
    }
    return EDB_OK;
}

static int cmp_listed(const void *a, const void *b)
{
    return strcmp((*(const listed *const *)a)->name, (*(const listed *const *)b)->name);
}

/* The place of name in by_name, or -1. */
static long find_listed(const edb_bundle *b, const char *name)
{
    for (size_t lo = 0, hi = b->n_all; lo < hi;) {
        size_t mid = lo + (hi - lo) / 2;
        int cmp = strcmp(b->by_name[mid]->name, name);
        if (cmp == 0)
            return (long)mid;
        if (cmp < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

static long find_in(const listed *l, size_t n, const char *name)
{
    for (size_t k = 0; k < n; k++)
        if (strcmp(l[k].name, name) == 0)
            return (long)k;
    return -1;
}

static edb_status read_command(edb_bundle *b, json_t *cmd, edb_err *err)
{
    const char *p = b->path;
    json_t *schema = json_object_get(cmd, "schema");
    if (!json_is_object(cmd) || !json_is_integer(schema))
        return edb__fail(err, EDB_ERR_DATA, "%s: manifest.json: its command has no schema", p);
    if (json_integer_value(schema) != COMMAND_SCHEMA)
        return edb__fail(err, EDB_ERR_DATA, "%s: manifest.json: its command is in schema %lld; "
                         "this edbx reads schema %d (a newer edbx may read it)", p,
                         (long long)json_integer_value(schema), COMMAND_SCHEMA);
    b->cmd_name = short_string(json_object_get(cmd, "name"));
    json_t *opts = json_object_get(cmd, "options"), *args = json_object_get(cmd, "arguments");
    if (!b->cmd_name || !*b->cmd_name || !json_is_array(opts) || !json_is_array(args))
        return edb__fail(err, EDB_ERR_DATA, "%s: manifest.json: its command needs a name, "
                         "options and arguments", p);
    if (json_array_size(opts) > EDB_BUNDLE_OPTIONS_MAX ||
        json_array_size(args) > EDB_BUNDLE_ARGUMENTS_MAX)
        return edb__fail(err, EDB_ERR_DATA, "%s: manifest.json: its command has %zu options and "
                         "%zu arguments, more than edbx takes (%d, %d)", p, json_array_size(opts),
                         json_array_size(args), EDB_BUNDLE_OPTIONS_MAX, EDB_BUNDLE_ARGUMENTS_MAX);
    b->opts = calloc(json_array_size(opts) + 1, sizeof *b->opts);
    b->args = calloc(json_array_size(args) + 1, sizeof *b->args);
    if (!b->opts || !b->args)
        return edb__fail(err, EDB_ERR_NOMEM, "out of memory");
    for (size_t k = 0; k < json_array_size(opts); k++) {
        json_t *o = json_array_get(opts, k), *v;
        edb_bundle_option *bo = &b->opts[k];
        const char *key;
        if (!json_is_object(o))
            return edb__fail(err, EDB_ERR_DATA, "%s: manifest.json: command option %zu is not "
                             "an object", p, k + 1);
        json_object_foreach(o, key, v) {
            const char *s = short_string(v);
            long i = -1;
            if (strcmp(key, "name") == 0 && s && *s)
                bo->name = s;
            else if (strcmp(key, "value") == 0 && s)
                bo->value = s;
            else if (strcmp(key, "input") == 0 && s && (i = find_in(b->in, b->n_in, s)) >= 0)
                bo->input = (size_t)i + 1;
            else if (strcmp(key, "output") == 0 && s && (i = find_in(b->out, b->n_out, s)) >= 0)
                bo->output = (size_t)i + 1;
            else
                return edb__fail(err, EDB_ERR_DATA, "%s: manifest.json: command option %zu: "
                                 "'%s' is %s", p, k + 1, key,
                                 strcmp(key, "input") == 0 || strcmp(key, "output") == 0
                                     ? "not a file the manifest lists"
                                 : strcmp(key, "name") == 0 || strcmp(key, "value") == 0
                                     ? "not a string of at most 64 KiB"
                                     : "not a key of schema 2");
        }
        if (!bo->name)
            return edb__fail(err, EDB_ERR_DATA, "%s: manifest.json: command option %zu has no "
                             "name", p, k + 1);
        b->n_opts++;
    }
    for (size_t k = 0; k < json_array_size(args); k++) {
        if (!(b->args[k] = short_string(json_array_get(args, k))))
            return edb__fail(err, EDB_ERR_DATA, "%s: manifest.json: command argument %zu is "
                             "not a string of at most 64 KiB", p, k + 1);
        b->n_args++;
    }
    b->schema = COMMAND_SCHEMA;
    return EDB_OK;
}

/* Everything edb_bundle_open checks of the manifest's bytes. */
static edb_status parse_manifest(edb_bundle *b, const char *data, size_t len, edb_err *err)
{
    const char *p = b->path;
    json_error_t jerr;
    edb_sha256_hex(data, len, b->manifest_sha);
    b->manifest_len = len;
    b->m = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!b->m)
        return edb__fail(err, EDB_ERR_DATA, "%s: manifest.json does not parse (%s, line %d)", p,
                         jerr.text, jerr.line);
    const char *fmt = json_string_value(json_object_get(b->m, "format"));
    json_t *rt = json_object_get(b->m, "run_time_us");
    int v1 = fmt && strcmp(fmt, FORMAT_ID_1) == 0;
    if (!json_is_object(b->m) || !fmt || (!v1 && strcmp(fmt, FORMAT_ID) != 0))
        return edb__fail(err, EDB_ERR_DATA, "%s: manifest.json is not an edbx bundle manifest "
                         "(format %s; this edbx reads %s and %s)", p, fmt ? fmt : "missing",
                         FORMAT_ID, FORMAT_ID_1);
    if (!json_is_integer(rt))
        return edb__fail(err, EDB_ERR_DATA, "%s: manifest.json has no run_time_us", p);
    b->run_time = (edb_time)json_integer_value(rt);
    json_t *sde = json_object_get(b->m, "source_date_epoch");
    if (sde) {
        if (!json_is_integer(sde) || json_integer_value(sde) < 0)
            return edb__fail(err, EDB_ERR_DATA, "%s: manifest.json: source_date_epoch is not a "
                             "count of seconds", p);
        b->has_sde = 1;
        b->sde = (int64_t)json_integer_value(sde);
    }
    json_t *q = json_object_get(b->m, "query");
    json_t *chunk = json_object_get(q, "chunk_us");
    if (chunk && (!json_is_integer(chunk) || json_integer_value(chunk) < 0))
        return edb__fail(err, EDB_ERR_DATA, "%s: manifest.json: query.chunk_us is not a "
                         "duration", p);
    b->chunk_us = chunk ? (int64_t)json_integer_value(chunk) : 0;
    edb_status st = read_list(b, json_object_get(b->m, "requests"), "raw", "raw/", 0, &b->raw,
                              &b->n_raw, err);
    if (st == EDB_OK)
        st = read_list(b, json_object_get(b->m, "outputs"), "name", "out/", 0, &b->out, &b->n_out,
                       err);
    /* edbx 0.1 wrote no inputs list when there were none. */
    json_t *inv = json_object_get(b->m, "inputs");
    if (st == EDB_OK && (inv || !v1))
        st = read_list(b, inv, "name", "in/", 1, &b->in, &b->n_in, err);
    if (st != EDB_OK)
        return st;
    b->n_all = b->n_raw + b->n_in + b->n_out;
    if (b->n_all >= EDB_BUNDLE_ENTRIES_MAX)
        return edb__fail(err, EDB_ERR_DATA, "%s: manifest.json lists %zu files, more than a "
                         "bundle holds", p, b->n_all);
    if (!(b->by_name = calloc(b->n_all + 1, sizeof *b->by_name)))
        return edb__fail(err, EDB_ERR_NOMEM, "out of memory");
    size_t j = 0;
    for (size_t k = 0; k < b->n_raw; k++)
        b->by_name[j++] = &b->raw[k];
    for (size_t k = 0; k < b->n_in; k++)
        b->by_name[j++] = &b->in[k];
    for (size_t k = 0; k < b->n_out; k++)
        b->by_name[j++] = &b->out[k];
    qsort(b->by_name, b->n_all, sizeof *b->by_name, cmp_listed);
    for (size_t k = 1; k < b->n_all; k++)
        if (strcmp(b->by_name[k]->name, b->by_name[k - 1]->name) == 0)
            return edb__fail(err, EDB_ERR_DATA, "%s: manifest.json lists %s twice", p,
                             b->by_name[k]->name);
    if (v1) {
        json_t *argv = json_object_get(b->m, "command_line");
        if (!json_is_array(argv) ||
            json_array_size(argv) > EDB_BUNDLE_OPTIONS_MAX + EDB_BUNDLE_ARGUMENTS_MAX)
            return edb__fail(err, EDB_ERR_DATA, "%s: manifest.json: command_line is not a list "
                             "of arguments", p);
        if (!(b->argv = calloc(json_array_size(argv) + 1, sizeof *b->argv)))
            return edb__fail(err, EDB_ERR_NOMEM, "out of memory");
        for (size_t k = 0; k < json_array_size(argv); k++) {
            if (!(b->argv[k] = short_string(json_array_get(argv, k))))
                return edb__fail(err, EDB_ERR_DATA, "%s: manifest.json: command_line argument "
                                 "%zu is not a string of at most 64 KiB", p, k + 1);
            b->argc++;
        }
        b->schema = b->argc ? 1 : 0;
        b->cmd_name = b->argc ? b->argv[0] : NULL;
        return EDB_OK;
    }
    json_t *cmd = json_object_get(b->m, "command");
    return cmd ? read_command(b, cmd, err) : EDB_OK;
}

edb_status edb__bundle_from_manifest(edb_bundle **out, const char *label, const char *data,
                                     size_t len, edb_err *err)
{
    *out = NULL;
    edb_bundle *b = calloc(1, sizeof *b);
    if (!b || !(b->path = edb__strdup(label))) {
        free(b);
        return edb__fail(err, EDB_ERR_NOMEM, "out of memory");
    }
    edb_status st = parse_manifest(b, data, len, err);
    if (st != EDB_OK) {
        edb_bundle_free(b);
        return st;
    }
    *out = b;
    return EDB_OK;
}

/* The limits a bundle is read under: no size limit on an entry (each is checked against
 * the size its manifest lists), and no more unpacked bytes than the manifest lists, with
 * some room for what it does not list (reported, never kept). */
static void bundle_limits(edb_archive_limits *lim, uint64_t listed_total)
{
    edb_archive_limits init = EDB_ARCHIVE_LIMITS_INIT;
    *lim = init;
    lim->entry_max = EDB_ARCHIVE_UNLIMITED;
    lim->ratio_max = EDB_ARCHIVE_UNLIMITED;
    lim->entries_max = EDB_BUNDLE_ENTRIES_MAX;
    uint64_t slack = UINT64_C(16) << 20;
    lim->total_max = listed_total > EDB_ARCHIVE_UNLIMITED - slack ? EDB_ARCHIVE_UNLIMITED
                                                                  : listed_total + slack;
}

/* The first entry, which must be manifest.json, whole (at most max bytes). */
static edb_status read_manifest_entry(edb_archive_reader *r, const char *path, uint64_t max,
                                      edb__buf *out, edb_err *err)
{
    const char *name;
    edb_status st = edb_archive_reader_next(r, &name, err);
    if (st != EDB_OK)
        return st;
    if (!name || strcmp(name, MANIFEST) != 0)
        return edb__fail(err, EDB_ERR_DATA, "%s: not a bundle: its first file is %s, not "
                         "manifest.json", path, name ? name : "missing");
    char chunk[65536];
    size_t got;
    while ((st = edb_archive_reader_read(r, chunk, sizeof chunk, &got, err)) == EDB_OK && got) {
        if (out->len + got > max)
            return edb__fail(err, EDB_ERR_DATA, "%s: manifest.json is larger than %llu bytes",
                             path, (unsigned long long)max);
        if (edb__buf_append(out, chunk, got) != 0)
            return edb__fail(err, EDB_ERR_NOMEM, "out of memory");
    }
    return st;
}

edb_status edb_bundle_open(edb_bundle **out, const char *path, edb_err *err)
{
    if (!out || !path)
        return edb__fail(err, EDB_ERR_USAGE, "edb_bundle_open: no path");
    *out = NULL;
    edb_archive_limits lim;
    bundle_limits(&lim, EDB_BUNDLE_MANIFEST_MAX);
    edb_archive_reader *r = NULL;
    edb_status st = edb_archive_reader_open(&r, path, &lim, err);
    if (st != EDB_OK)
        return st;
    edb__buf m = {0};
    st = read_manifest_entry(r, path, EDB_BUNDLE_MANIFEST_MAX, &m, err);
    edb_archive_reader_free(r);
    if (st == EDB_OK)
        st = edb__bundle_from_manifest(out, path, m.p ? m.p : "", m.len, err);
    edb__buf_free(&m);
    return st;
}

/* ---- what the manifest says ----------------------------------------------------------- */

edb_time edb_bundle_run_time(const edb_bundle *b)
{
    return b ? b->run_time : 0;
}

int edb_bundle_source_date_epoch(const edb_bundle *b, int64_t *secs)
{
    if (!b || !b->has_sde)
        return 0;
    if (secs)
        *secs = b->sde;
    return 1;
}

static json_t *mnemonics(const edb_bundle *b)
{
    return b ? json_object_get(json_object_get(b->m, "query"), "mnemonics") : NULL;
}

size_t edb_bundle_mnemonic_count(const edb_bundle *b)
{
    return json_array_size(mnemonics(b));
}

const char *edb_bundle_mnemonic(const edb_bundle *b, size_t i)
{
    return json_string_value(json_array_get(mnemonics(b), i));
}

int64_t edb_bundle_chunk_us(const edb_bundle *b)
{
    return b ? b->chunk_us : 0;
}

const char *edb_bundle_base_url(const edb_bundle *b)
{
    const char *s = b ? json_string_value(json_object_get(b->m, "base_url")) : NULL;
    return s ? s : "";
}

const char *edb_bundle_version(const edb_bundle *b)
{
    const char *s = b ? json_string_value(json_object_get(b->m, "edbx_version")) : NULL;
    return s ? s : "";
}

int edb_bundle_command_schema(const edb_bundle *b)
{
    return b ? b->schema : 0;
}

const char *edb_bundle_command_name(const edb_bundle *b)
{
    return b ? b->cmd_name : NULL;
}

size_t edb_bundle_option_count(const edb_bundle *b)
{
    return b ? b->n_opts : 0;
}

int edb_bundle_option_get(const edb_bundle *b, size_t i, edb_bundle_option *out)
{
    if (!b || i >= b->n_opts)
        return 0;
    *out = b->opts[i];
    return 1;
}

size_t edb_bundle_argument_count(const edb_bundle *b)
{
    return b ? b->n_args : 0;
}

const char *edb_bundle_argument(const edb_bundle *b, size_t i)
{
    return b && i < b->n_args ? b->args[i] : NULL;
}

size_t edb_bundle_argc(const edb_bundle *b)
{
    return b ? b->argc : 0;
}

const char *edb_bundle_arg(const edb_bundle *b, size_t i)
{
    return b && i < b->argc ? b->argv[i] : NULL;
}

size_t edb_bundle_output_count(const edb_bundle *b)
{
    return b ? b->n_out : 0;
}

const char *edb_bundle_output_name(const edb_bundle *b, size_t i)
{
    return b && i < b->n_out ? b->out[i].name + 4 : NULL;
}

uint64_t edb_bundle_output_size(const edb_bundle *b, size_t i)
{
    return b && i < b->n_out ? b->out[i].bytes : 0;
}

const char *edb_bundle_output_sha256(const edb_bundle *b, size_t i)
{
    return b && i < b->n_out ? b->out[i].sha : NULL;
}

size_t edb_bundle_input_count(const edb_bundle *b)
{
    return b ? b->n_in : 0;
}

const char *edb_bundle_input_name(const edb_bundle *b, size_t i)
{
    return b && i < b->n_in ? b->in[i].name + 3 : NULL;
}

const char *edb_bundle_input_path(const edb_bundle *b, size_t i)
{
    return b && i < b->n_in ? b->in[i].path : NULL;
}

static uint64_t add_sat(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

uint64_t edb_bundle_unpacked_size(const edb_bundle *b)
{
    uint64_t n = 0;
    for (size_t k = 0; b && k < b->n_raw; k++)
        n = add_sat(n, b->raw[k].bytes);
    for (size_t k = 0; b && k < b->n_in; k++)
        n = add_sat(n, b->in[k].bytes);
    return n;
}

/* ---- checking, in pieces -------------------------------------------------------------- */

static int write_all(int fd, const char *p, size_t len)
{
    while (len) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

typedef struct checker {
    const edb_bundle *b;
    edb_bundle_report_fn fn;
    void *ctx;
    edb_err *err;
    edb_status st;
} checker;

static void report(checker *c, const char *file, int ok, const char *fmt, ...)
    EDB__PRINTF(4, 5);
static void report(checker *c, const char *file, int ok, const char *fmt, ...)
{
    char why[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    if (c->fn)
        c->fn(c->ctx, file, ok, why);
    if (!ok) {
        edb__fail(c->err, EDB_ERR_DATA, "%s: %s: %s", c->b->path, file, why);
        c->st = EDB_ERR_DATA;
    }
}

/* One listed file: hashed as it streams by, written to dir/NAME when dir is given. */
static edb_status check_file(checker *c, edb_archive_reader *r, const listed *l,
                             const char *dir, int *stop)
{
    int fd = -1;
    edb__buf dest = {0};
    int unpack = dir && strncmp(l->name, "out/", 4) != 0;
    if (unpack) {
        if (edb__buf_printf(&dest, "%s/%s", dir, l->name) != 0)
            return edb__fail(c->err, EDB_ERR_NOMEM, "out of memory");
        fd = open(dest.p, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0) {
            edb_status st = edb__fail(c->err, EDB_ERR_IO, "%s: cannot unpack %s to %s: %s",
                                      c->b->path, l->name, dest.p, strerror(errno));
            edb__buf_free(&dest);
            return st;
        }
    }
    edb_sha256 *h = edb_sha256_new();
    edb_status st = h ? EDB_OK : edb__fail(c->err, EDB_ERR_NOMEM, "out of memory");
    uint64_t n = 0;
    char chunk[65536];
    size_t got;
    while (st == EDB_OK &&
           (st = edb_archive_reader_read(r, chunk, sizeof chunk, &got, c->err)) == EDB_OK && got) {
        n += got;
        if (n > l->bytes) {
            /* No telling how much more there is: stop reading the archive here. */
            *stop = 1;
            break;
        }
        edb_sha256_update(h, chunk, got);
        if (fd >= 0 && write_all(fd, chunk, got) != 0)
            st = edb__fail(c->err, EDB_ERR_IO, "%s: cannot unpack %s to %s: %s", c->b->path,
                           l->name, dest.p, strerror(errno));
    }
    char sha[EDB_SHA256_HEX] = "";
    if (h)
        edb_sha256_final(h, sha);
    if (fd >= 0 && close(fd) != 0 && st == EDB_OK)
        st = edb__fail(c->err, EDB_ERR_IO, "%s: cannot unpack %s to %s: %s", c->b->path,
                       l->name, dest.p, strerror(errno));
    int ok = st == EDB_OK && !*stop && n == l->bytes && strcmp(sha, l->sha) == 0;
    if (st == EDB_OK) {
        if (*stop)
            report(c, l->name, 0, "more than the %llu bytes the manifest says: stopped reading "
                   "the bundle", (unsigned long long)l->bytes);
        else if (!ok)
            report(c, l->name, 0, "%llu bytes with SHA-256 %.12s..., the manifest says %llu "
                   "bytes with %.12s...", (unsigned long long)n, sha,
                   (unsigned long long)l->bytes, l->sha);
        else
            report(c, l->name, 1, "%s", "");
    }
    if (fd >= 0 && !ok)
        unlink(dest.p);
    edb__buf_free(&dest);
    return st;
}

static edb_status check_bundle(const edb_bundle *b, const char *dir, edb_bundle_report_fn fn,
                               void *ctx, edb_err *err)
{
    if (!b)
        return edb__fail(err, EDB_ERR_USAGE, "edb_bundle_verify: no bundle");
    checker c = {b, fn, ctx, err, EDB_OK};
    uint64_t listed_total = add_sat(b->manifest_len, edb_bundle_unpacked_size(b));
    for (size_t k = 0; k < b->n_out; k++)
        listed_total = add_sat(listed_total, b->out[k].bytes);
    if (dir) {
        struct statvfs vfs;
        uint64_t need = edb_bundle_unpacked_size(b);
        if (statvfs(dir, &vfs) == 0 && vfs.f_frsize > 0 &&
            (uint64_t)vfs.f_bavail < UINT64_MAX / vfs.f_frsize &&
            (uint64_t)vfs.f_bavail * vfs.f_frsize < need)
            return edb__fail(err, EDB_ERR_IO, "%s: unpacks to %llu bytes, and %s has %llu free: "
                             "make room, or replay with TMPDIR set to a folder with room",
                             b->path, (unsigned long long)need, dir,
                             (unsigned long long)vfs.f_bavail * vfs.f_frsize);
        const char *sub[] = {"raw", "in"};
        for (int k = 0; k < 2; k++) {
            edb__buf d = {0};
            if (edb__buf_printf(&d, "%s/%s", dir, sub[k]) != 0)
                return edb__fail(err, EDB_ERR_NOMEM, "out of memory");
            int rc = mkdir(d.p, 0700);
            edb_status st = rc == 0 ? EDB_OK : edb__fail(err, EDB_ERR_IO, "%s: %s", d.p,
                                                         strerror(errno));
            edb__buf_free(&d);
            if (st != EDB_OK)
                return st;
        }
    }
    edb_archive_limits lim;
    bundle_limits(&lim, listed_total);
    edb_archive_reader *r = NULL;
    edb_status st = edb_archive_reader_open(&r, b->path, &lim, err);
    if (st != EDB_OK)
        return st;
    char *seen = calloc(b->n_all + 1, 1);
    edb__buf m = {0};
    if (!seen) {
        edb_archive_reader_free(r);
        return edb__fail(err, EDB_ERR_NOMEM, "out of memory");
    }
    st = read_manifest_entry(r, b->path, EDB_BUNDLE_MANIFEST_MAX, &m, err);
    if (st == EDB_OK) {
        char sha[EDB_SHA256_HEX];
        edb_sha256_hex(m.p ? m.p : "", m.len, sha);
        if (m.len != b->manifest_len || strcmp(sha, b->manifest_sha) != 0)
            st = edb__fail(err, EDB_ERR_DATA, "%s: manifest.json changed since the bundle was "
                           "opened", b->path);
    }
    edb__buf_free(&m);
    int stop = 0;
    while (st == EDB_OK && !stop) {
        const char *name;
        if ((st = edb_archive_reader_next(r, &name, err)) != EDB_OK || !name)
            break;
        long at = find_listed(b, name);
        if (at >= 0) {
            seen[at] = 1;
            st = check_file(&c, r, b->by_name[at], dir, &stop);
            continue;
        }
        /* Not listed: reported, and read only to count it against the limit. */
        report(&c, name, 0, "%s", "not listed in the manifest");
        char chunk[65536];
        size_t got;
        while ((st = edb_archive_reader_read(r, chunk, sizeof chunk, &got, err)) == EDB_OK &&
               got)
            ;
    }
    for (size_t k = 0; st == EDB_OK && !stop && k < b->n_all; k++)
        if (!seen[k])
            report(&c, b->by_name[k]->name, 0, "%s", "missing from the bundle");
    free(seen);
    edb_archive_reader_free(r);
    return st != EDB_OK ? st : c.st;
}

edb_status edb_bundle_verify(const edb_bundle *b, edb_bundle_report_fn fn, void *ctx,
                             edb_err *err)
{
    return check_bundle(b, NULL, fn, ctx, err);
}

edb_status edb_bundle_extract(const edb_bundle *b, const char *dir, edb_bundle_report_fn fn,
                              void *ctx, edb_err *err)
{
    if (!dir)
        return edb__fail(err, EDB_ERR_USAGE, "edb_bundle_extract: no folder");
    return check_bundle(b, dir, fn, ctx, err);
}
