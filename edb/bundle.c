/* bundle.c: recording reply bodies, writing bundles with their manifest, reading and
 * verifying them. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include <edb/archive.h>
#include <edb/bundle.h>
#include <edb/edb.h>

#include "internal.h"

#define MANIFEST "manifest.json"
#define FORMAT_ID "edbx-bundle-1"

typedef struct rec_entry {
    char *uri_name, *url;
    long http;
    int local;
    char *spool;        /* the body, in a file of the spool folder */
    uint64_t size;
    char sha[EDB_SHA256_HEX];
} rec_entry;

struct edb_recorder {
    rec_entry *e;
    size_t n, cap;
    char *dir;          /* the spool folder */
    unsigned long seq;  /* names its files */
};

typedef struct rec_tap {
    edb_recorder *r;
    rec_entry cur;
    FILE *f;
    edb_sha256 *h;
    int bad;
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
    if (r->dir)
        rmdir(r->dir);
    free(r->dir);
    free(r);
}

size_t edb_recorder_count(const edb_recorder *r)
{
    return r ? r->n : 0;
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
    if (t->f && fclose(t->f) != 0)
        t->bad = 1;
    t->f = NULL;
    if (t->h)
        edb_sha256_final(t->h, t->cur.sha);
    t->h = NULL;
    if (complete && t->bad)
        st = edb__fail(err, EDB_ERR_IO, "cannot keep the reply %s for the bundle in %s: %s",
                       t->cur.uri_name ? t->cur.uri_name : "?", r->dir, strerror(errno));
    if (complete && st == EDB_OK) {
        t->cur.http = http;
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

/* ---- writing -------------------------------------------------------------------------- */

static int cmp_entry(const void *a, const void *b)
{
    return strcmp(((const rec_entry *const *)a)[0]->uri_name,
                  ((const rec_entry *const *)b)[0]->uri_name);
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

edb_status edb_bundle_write(const char *path, const edb_bundle_info *info,
                            const edb_recorder *rec, const edb_bundle_output *outs,
                            size_t n_outs, edb_err *err)
{
    if (!path || !info || !rec)
        return edb__fail(err, EDB_ERR_USAGE, "edb_bundle_write: missing argument");
    const char *tok = info->token && *info->token ? info->token : NULL;
    edb_status st = EDB_OK;
    json_t *m = json_object();
    json_t *argv = json_array(), *reqs = json_array(), *outv = json_array(), *q = json_object();
    json_t *mn = json_array(), *inv = json_array();
    size_t n_in = info->inputs ? info->n_inputs : 0;
    size_t nf = 1 + rec->n + n_in + n_outs;
    edb_archive_file *files = calloc(nf, sizeof *files);
    const rec_entry **sorted = calloc(rec->n ? rec->n : 1, sizeof *sorted);
    char **names = calloc(nf, sizeof *names);
    char *text = NULL;
    if (!m || !argv || !reqs || !outv || !q || !mn || !inv || !files || !sorted || !names) {
        st = edb__fail(err, EDB_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (size_t k = 0; k < info->argc; k++) {
        const char *a = info->argv[k];
        /* Belt and braces: the command never takes a secret, but if one shows, it goes. */
        int secret = tok && strstr(a, tok) != NULL;
        int after_token = k > 0 && strcmp(info->argv[k - 1], "--token") == 0;
        json_array_append_new(argv, json_string(secret || after_token ? "(secret removed)" : a));
    }
    for (size_t k = 0; k < info->n_mnemonics; k++)
        json_array_append_new(mn, json_string(info->mnemonics[k]));
    json_object_set_new(q, "mnemonics", mn);
    mn = NULL;
    json_object_set_new(q, "start", iso(info->start));
    json_object_set_new(q, "end", iso(info->end));
    json_object_set_new(q, "brackets", json_boolean(info->keep_brackets));
    json_object_set_new(q, "chunk_us", json_integer((json_int_t)info->chunk_us));

    json_object_set_new(m, "format", json_string(FORMAT_ID));
    json_object_set_new(m, "edbx_version", json_string(edb_version()));
    json_object_set_new(m, "command_line", argv);
    argv = NULL;
    json_object_set_new(m, "service", json_string(info->service ? info->service : "mast"));
    json_object_set_new(m, "base_url", json_string(info->base_url ? info->base_url : ""));
    json_object_set_new(m, "query", q);
    q = NULL;
    json_object_set_new(m, "run_time", iso(info->run_time));
    json_object_set_new(m, "run_time_us", json_integer((json_int_t)info->run_time));

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
        json_t *r = json_pack("{s:s, s:s, s:I, s:I, s:s, s:s}", "url", e->url, "raw", nm.p ? nm.p : "",
                              "http", (json_int_t)e->http, "bytes", (json_int_t)e->size,
                              "sha256", e->sha, "source", e->local ? "local" : "network");
        json_array_append_new(reqs, r);
        names[fi] = nm.p;
        files[fi].name = nm.p;
        files[fi].path = e->spool;
        files[fi].len = (size_t)e->size;
        fi++;
    }
    for (size_t k = 0; k < n_in; k++) {
        const edb_bundle_input *in = &info->inputs[k];
        char sha[EDB_SHA256_HEX];
        uint64_t size = 0;
        if (!in->path || hash_file(in->path, sha, &size) != 0) {
            st = edb__fail(err, EDB_ERR_IO, "%s: cannot read the input for the bundle: %s",
                           in->path ? in->path : "(none)", strerror(errno));
            goto done;
        }
        edb__buf nm = {0};
        if (in->name)
            edb__buf_printf(&nm, "in/%s", in->name);
        else
            edb__buf_printf(&nm, "in/%zu-%s", k + 1, base_name(in->path));
        /* The reader takes no "..", '/' or control character in an in/ name, and zips no
         * backslash; the name is only a label (the manifest keeps the path as given). */
        for (char *c = nm.p ? nm.p + 3 : NULL; c && *c; c++)
            if (*c == '/' || *c == '\\' || (unsigned char)*c < 0x20 || *c == 0x7f ||
                (*c == '.' && c[1] == '.'))
                *c = '_';
        names[fi] = nm.p;
        json_t *e = json_pack("{s:s, s:s, s:I, s:s}", "name", nm.p ? nm.p : "", "path", in->path,
                              "bytes", (json_int_t)size, "sha256", sha);
        /* A path that is not UTF-8 cannot be listed, and an unlisted file fails verify. */
        if (!e || json_array_append_new(inv, e) != 0) {
            st = edb__fail(err, EDB_ERR_DATA, "%s: cannot list the input in the manifest (is "
                           "its path UTF-8?)", in->path);
            goto done;
        }
        files[fi].name = nm.p;
        files[fi].path = in->path;
        files[fi].len = (size_t)size;
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
        edb__buf nm = {0};
        edb__buf_printf(&nm, "out/%s", outs[k].name ? outs[k].name : base_name(outs[k].path));
        json_array_append_new(outv, json_pack("{s:s, s:I, s:s}", "name", nm.p ? nm.p : "",
                                              "bytes", (json_int_t)size, "sha256", sha));
        names[fi] = nm.p;
        files[fi].name = nm.p;
        files[fi].path = outs[k].path;
        files[fi].len = (size_t)size;
        fi++;
    }
    json_object_set_new(m, "requests", reqs);
    reqs = NULL;
    /* Only when there are some: a bundle without inputs stays as it always was. */
    if (n_in > 0) {
        json_object_set_new(m, "inputs", inv);
        inv = NULL;
    }
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
    files[0].name = MANIFEST;
    files[0].data = text;
    files[0].len = strlen(text);
    st = edb_archive_write(path, files, fi, info->run_time, err);
done:
    free(text);
    for (size_t k = 0; names && k < nf; k++)
        free(names[k]);
    free(names);
    free(sorted);
    free(files);
    json_decref(m);
    json_decref(argv);
    json_decref(reqs);
    json_decref(outv);
    json_decref(inv);
    json_decref(q);
    json_decref(mn);
    return st;
}

/* ---- reading -------------------------------------------------------------------------- */

typedef struct listed {
    char *name;
    size_t bytes;
    char sha[EDB_SHA256_HEX];
} listed;

struct edb_bundle {
    char *path;
    edb_archive *arc;
    json_t *m;
    char **argv;
    size_t argc;
    listed *raw, *out, *in;
    size_t n_raw, n_out, n_in;
    char **in_path; /* each input's path as given, parallel to in */
    edb_time run_time;
};

void edb_bundle_free(edb_bundle *b)
{
    if (!b)
        return;
    for (size_t k = 0; k < b->argc; k++)
        free(b->argv[k]);
    free(b->argv);
    for (size_t k = 0; k < b->n_raw; k++)
        free(b->raw[k].name);
    for (size_t k = 0; k < b->n_out; k++)
        free(b->out[k].name);
    for (size_t k = 0; k < b->n_in; k++) {
        free(b->in[k].name);
        free(b->in_path ? b->in_path[k] : NULL);
    }
    free(b->raw);
    free(b->out);
    free(b->in);
    free(b->in_path);
    json_decref(b->m);
    edb_archive_free(b->arc);
    free(b->path);
    free(b);
}

/* A manifest's list of files ("raw" or "name" key) into l. */
static edb_status read_list(edb_bundle *b, json_t *arr, const char *key, const char *dir,
                            listed **l, size_t *n, edb_err *err)
{
    if (!json_is_array(arr))
        return edb__fail(err, EDB_ERR_DATA, "%s: manifest.json has no %s list", b->path, dir);
    size_t cnt = json_array_size(arr);
    *l = calloc(cnt ? cnt : 1, sizeof **l);
    if (!*l)
        return edb__fail(err, EDB_ERR_NOMEM, "out of memory");
    for (size_t k = 0; k < cnt; k++) {
        json_t *e = json_array_get(arr, k);
        const char *name = json_string_value(json_object_get(e, key));
        const char *sha = json_string_value(json_object_get(e, "sha256"));
        json_t *bytes = json_object_get(e, "bytes");
        if (!name || !sha || strlen(sha) != 64 || !json_is_integer(bytes) ||
            json_integer_value(bytes) < 0 || strncmp(name, dir, strlen(dir)) != 0 ||
            strstr(name, "..") || strchr(name + strlen(dir), '/'))
            return edb__fail(err, EDB_ERR_DATA, "%s: manifest.json: entry %zu of its %s list is "
                             "malformed", b->path, k, dir);
        (*l)[k].name = edb__strdup(name);
        if (!(*l)[k].name)
            return edb__fail(err, EDB_ERR_NOMEM, "out of memory");
        (*l)[k].bytes = (size_t)json_integer_value(bytes);
        memcpy((*l)[k].sha, sha, EDB_SHA256_HEX);
        (*n)++;
    }
    return EDB_OK;
}

edb_status edb_bundle_open(edb_bundle **out, const char *path, edb_err *err)
{
    if (!out || !path)
        return edb__fail(err, EDB_ERR_USAGE, "edb_bundle_open: no path");
    *out = NULL;
    edb_bundle *b = calloc(1, sizeof *b);
    if (!b || !(b->path = edb__strdup(path))) {
        free(b);
        return edb__fail(err, EDB_ERR_NOMEM, "out of memory");
    }
    edb_status st = edb_archive_load(&b->arc, path, NULL, err);
    if (st != EDB_OK) {
        edb_bundle_free(b);
        return st;
    }
    long mi = edb_archive_find(b->arc, MANIFEST);
    if (mi < 0) {
        edb_bundle_free(b);
        return edb__fail(err, EDB_ERR_DATA, "%s: not a bundle (no manifest.json)", path);
    }
    size_t mlen;
    const char *mdata = edb_archive_data(b->arc, (size_t)mi, &mlen);
    json_error_t jerr;
    b->m = json_loadb(mdata, mlen, 0, &jerr);
    json_t *argv = b->m ? json_object_get(b->m, "command_line") : NULL;
    json_t *rt = b->m ? json_object_get(b->m, "run_time_us") : NULL;
    if (!b->m || !json_is_array(argv) || !json_is_integer(rt) ||
        strcmp(json_string_value(json_object_get(b->m, "format")) ? json_string_value(json_object_get(b->m, "format")) : "", FORMAT_ID) != 0) {
        st = edb__fail(err, EDB_ERR_DATA, "%s: manifest.json is not an edbx bundle manifest (%s)",
                       path, b->m ? "fields missing" : jerr.text);
        edb_bundle_free(b);
        return st;
    }
    b->run_time = (edb_time)json_integer_value(rt);
    b->argv = calloc(json_array_size(argv) + 1, sizeof *b->argv);
    for (size_t k = 0; b->argv && k < json_array_size(argv); k++) {
        const char *a = json_string_value(json_array_get(argv, k));
        if (!a || !(b->argv[b->argc] = edb__strdup(a))) {
            edb_bundle_free(b);
            return edb__fail(err, EDB_ERR_DATA, "%s: manifest.json: bad command_line", path);
        }
        b->argc++;
    }
    st = read_list(b, json_object_get(b->m, "requests"), "raw", "raw/", &b->raw, &b->n_raw, err);
    if (st == EDB_OK)
        st = read_list(b, json_object_get(b->m, "outputs"), "name", "out/", &b->out, &b->n_out,
                       err);
    /* Bundles made before inputs were kept have no list: no inputs. */
    json_t *inv = json_object_get(b->m, "inputs");
    if (st == EDB_OK && inv) {
        st = read_list(b, inv, "name", "in/", &b->in, &b->n_in, err);
        if (st == EDB_OK && !(b->in_path = calloc(b->n_in ? b->n_in : 1, sizeof *b->in_path)))
            st = edb__fail(err, EDB_ERR_NOMEM, "out of memory");
        for (size_t k = 0; st == EDB_OK && k < b->n_in; k++) {
            const char *p = json_string_value(json_object_get(json_array_get(inv, k), "path"));
            if (!p || !*p)
                st = edb__fail(err, EDB_ERR_DATA, "%s: manifest.json: entry %zu of its in/ list "
                               "has no path", path, k);
            else if (!(b->in_path[k] = edb__strdup(p)))
                st = edb__fail(err, EDB_ERR_NOMEM, "out of memory");
        }
    }
    if (st != EDB_OK) {
        edb_bundle_free(b);
        return st;
    }
    *out = b;
    return EDB_OK;
}

size_t edb_bundle_argc(const edb_bundle *b)
{
    return b ? b->argc : 0;
}

const char *edb_bundle_arg(const edb_bundle *b, size_t i)
{
    return b && i < b->argc ? b->argv[i] : NULL;
}

edb_time edb_bundle_run_time(const edb_bundle *b)
{
    return b ? b->run_time : 0;
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

size_t edb_bundle_output_count(const edb_bundle *b)
{
    return b ? b->n_out : 0;
}

const char *edb_bundle_output_name(const edb_bundle *b, size_t i)
{
    return b && i < b->n_out ? b->out[i].name + 4 : NULL;
}

size_t edb_bundle_output_size(const edb_bundle *b, size_t i)
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
    return b && i < b->n_in ? b->in_path[i] : NULL;
}

const char *edb_bundle_input_data(const edb_bundle *b, size_t i, size_t *len)
{
    long k = b && i < b->n_in ? edb_archive_find(b->arc, b->in[i].name) : -1;
    if (k < 0)
        return NULL;
    return edb_archive_data(b->arc, (size_t)k, len);
}

static int check_one(const edb_bundle *b, const listed *l, char *why, size_t whylen)
{
    long k = edb_archive_find(b->arc, l->name);
    if (k < 0) {
        snprintf(why, whylen, "missing from the bundle");
        return 0;
    }
    size_t len;
    const char *data = edb_archive_data(b->arc, (size_t)k, &len);
    char sha[EDB_SHA256_HEX];
    edb_sha256_hex(data, len, sha);
    if (len != l->bytes || strcmp(sha, l->sha) != 0) {
        snprintf(why, whylen, "%zu bytes with SHA-256 %.12s..., the manifest says %zu bytes with "
                 "%.12s...", len, sha, l->bytes, l->sha);
        return 0;
    }
    return 1;
}

static int is_listed(const listed *l, size_t n, const char *name)
{
    for (size_t k = 0; k < n; k++)
        if (strcmp(l[k].name, name) == 0)
            return 1;
    return 0;
}

edb_status edb_bundle_verify(const edb_bundle *b,
                             void (*fn)(void *ctx, const char *file, int ok, const char *why),
                             void *ctx, edb_err *err)
{
    if (!b)
        return edb__fail(err, EDB_ERR_USAGE, "edb_bundle_verify: no bundle");
    edb_status st = EDB_OK;
    char why[300];
    const listed *lists[3] = {b->raw, b->in, b->out};
    size_t ns[3] = {b->n_raw, b->n_in, b->n_out};
    for (int g = 0; g < 3; g++)
        for (size_t k = 0; k < ns[g]; k++) {
            int ok = check_one(b, &lists[g][k], why, sizeof why);
            if (fn)
                fn(ctx, lists[g][k].name, ok, ok ? "" : why);
            if (!ok)
                st = edb__fail(err, EDB_ERR_DATA, "%s: %s: %s", b->path, lists[g][k].name, why);
        }
    for (size_t k = 0; k < edb_archive_count(b->arc); k++) {
        const char *name = edb_archive_name(b->arc, k);
        if (strcmp(name, MANIFEST) == 0 || is_listed(b->raw, b->n_raw, name) ||
            is_listed(b->in, b->n_in, name) || is_listed(b->out, b->n_out, name))
            continue;
        if (fn)
            fn(ctx, name, 0, "not listed in the manifest");
        st = edb__fail(err, EDB_ERR_DATA, "%s: %s: not listed in the manifest", b->path, name);
    }
    return st;
}
