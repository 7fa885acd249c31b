/* cache.c: raw EDB replies kept on disk, zlib-compressed, behind the client's reply hooks.
 *
 * An entry file is: the line "EDBXCACHE1", one line of JSON saying what it answers (and
 * its raw length and SHA-256), then the zlib stream.  The JSON header makes the folder
 * self-describing (`edbx cache list` needs no index) and lets a lookup refuse an entry
 * that answers something else, however it got there. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <zlib.h>

#include <edb/archive.h>
#include <edb/cache.h>

#include "internal.h"

#define MAGIC "EDBXCACHE1\n"
#define MAGIC_LEN (sizeof MAGIC - 1)
/* The biggest reply we accept from an entry: far past a day of a 16 Hz mnemonic (~100 MB),
 * and a bound on what a damaged length field could make us allocate. */
#define RAW_MAX (UINT64_C(4) << 30)

struct edb_cache {
    char *dir, *service, *base_url;
    edb_time now;
    int refresh;
    edb_log_fn log;
    void *log_ctx;
    edb_cache_stats stats;
};

/* A reply on its way into the cache.  It streams: compressed into a temporary file as it
 * arrives, hashed on the way, so that many replies in flight never sit whole in memory. */
typedef struct tap {
    edb_cache *c;
    char key[EDB_SHA256_HEX];
    char mnemonic[EDB_MNEMONIC_MAX + 8];
    edb_time start, end;
    edb__buf zpath;     /* the compressed stream so far */
    FILE *zf;
    z_stream zs;
    int zinit, bad;
    edb_sha256 *sha;
    uint64_t size;
} tap;

#define logf_(c, ...) edb__logf((c)->log, (c)->log_ctx, __VA_ARGS__)

static int mkdir_p(const char *path)
{
    char *p = edb__strdup(path);
    if (!p)
        return -1;
    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(p, 0700) != 0 && errno != EEXIST) {
            free(p);
            return -1;
        }
        *s = '/';
    }
    int rc = (mkdir(p, 0700) != 0 && errno != EEXIST) ? -1 : 0;
    free(p);
    struct stat sb;
    return rc == 0 && stat(path, &sb) == 0 && S_ISDIR(sb.st_mode) ? 0 : -1;
}

edb_status edb_cache_open(edb_cache **out, const edb_cache_options *o, edb_err *err)
{
    if (!out || !o || !o->dir || !*o->dir || !o->base_url)
        return edb__fail(err, EDB_ERR_USAGE, "edb_cache_open: no folder or no base URL");
    *out = NULL;
    edb__buf v1 = {0};
    if (edb__buf_printf(&v1, "%s/v1", o->dir) != 0)
        return edb__fail(err, EDB_ERR_NOMEM, "out of memory");
    if (mkdir_p(v1.p) != 0) {
        edb_status st = edb__fail(err, EDB_ERR_IO, "cache folder %s: %s (use --cache DIR or "
                                  "--no-cache)", o->dir, strerror(errno ? errno : ENOTDIR));
        edb__buf_free(&v1);
        return st;
    }
    edb__buf_free(&v1);
    edb_cache *c = calloc(1, sizeof *c);
    if (!c)
        return edb__fail(err, EDB_ERR_NOMEM, "out of memory");
    size_t bl = strlen(o->base_url);
    /* "http://h/" and "http://h" are one service: one key. */
    while (bl > 0 && o->base_url[bl - 1] == '/')
        bl--;
    c->dir = edb__strdup(o->dir);
    c->service = edb__strdup(o->service ? o->service : "mast");
    c->base_url = edb__strndup(o->base_url, bl);
    if (!c->dir || !c->service || !c->base_url) {
        edb_cache_free(c);
        return edb__fail(err, EDB_ERR_NOMEM, "out of memory");
    }
    c->now = o->now;
    c->refresh = o->refresh;
    c->log = o->log;
    c->log_ctx = o->log_ctx;
    *out = c;
    return EDB_OK;
}

void edb_cache_free(edb_cache *c)
{
    if (!c)
        return;
    free(c->dir);
    free(c->service);
    free(c->base_url);
    free(c);
}

void edb_cache_get_stats(const edb_cache *c, edb_cache_stats *out)
{
    if (c)
        *out = c->stats;
    else
        memset(out, 0, sizeof *out);
}

static void entry_key(const edb_cache *c, const char *mnemonic, edb_time start, edb_time end,
                      char key[EDB_SHA256_HEX])
{
    edb__buf b = {0};
    /* NUL-separated: no field can run into the next. */
    edb__buf_printf(&b, "edbx-cache-1%c%s%c%s%c%s%c%lld%c%lld", 0, c->service, 0, c->base_url,
                    0, mnemonic, 0, (long long)start, 0, (long long)end);
    edb_sha256_hex(b.p ? b.p : "", b.len, key);
    edb__buf_free(&b);
}

static int entry_path(const edb_cache *c, const char *key, edb__buf *out)
{
    return edb__buf_printf(out, "%s/v1/%.2s/%s.z", c->dir, key, key);
}

/* A settled range: ends at least an hour before now. */
static int cacheable(const edb_cache *c, const edb_request_info *ri)
{
    return c->now >= EDB_TIME_MIN + EDB_CACHE_SETTLE_US && ri->end <= c->now - EDB_CACHE_SETTLE_US;
}

static edb_status read_file(const char *path, edb__buf *out, int *missing)
{
    *missing = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        *missing = errno == ENOENT;
        return EDB_ERR_IO;
    }
    char chunk[65536];
    size_t got;
    edb_status st = EDB_OK;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (edb__buf_append(out, chunk, got) != 0) {
            st = EDB_ERR_NOMEM;
            break;
        }
    if (ferror(f))
        st = EDB_ERR_IO;
    fclose(f);
    return st;
}

/* Split an entry file into its header (parsed) and the compressed stream. */
static json_t *parse_header(const edb__buf *b, const char **z, size_t *zlen)
{
    if (b->len < MAGIC_LEN || memcmp(b->p, MAGIC, MAGIC_LEN) != 0)
        return NULL;
    const char *h = b->p + MAGIC_LEN;
    const char *nl = memchr(h, '\n', b->len - MAGIC_LEN);
    if (!nl)
        return NULL;
    json_t *j = json_loadb(h, (size_t)(nl - h), 0, NULL);
    if (!json_is_object(j)) {
        json_decref(j);
        return NULL;
    }
    *z = nl + 1;
    *zlen = b->len - (size_t)(nl + 1 - b->p);
    return j;
}

static const char *jstr(json_t *j, const char *k)
{
    const char *s = json_string_value(json_object_get(j, k));
    return s ? s : "";
}

static edb_time jtime(json_t *j, const char *k)
{
    json_t *v = json_object_get(j, k);
    return json_is_integer(v) ? (edb_time)json_integer_value(v) : 0;
}

/* Decode and check an entry; NULL when good, else what is wrong with it. */
static const char *check_entry(const edb_cache *c, const edb__buf *file, const char *mnemonic,
                               edb_time start, edb_time end, edb__buf *raw)
{
    const char *z;
    size_t zlen;
    json_t *h = parse_header(file, &z, &zlen);
    if (!h)
        return "its header does not read";
    const char *why = NULL;
    json_t *size = json_object_get(h, "size");
    char want[EDB_SHA256_HEX];
    snprintf(want, sizeof want, "%s", jstr(h, "sha256"));
    if (strcmp(jstr(h, "service"), c->service) != 0 || strcmp(jstr(h, "base_url"), c->base_url) != 0 ||
        strcmp(jstr(h, "mnemonic"), mnemonic) != 0 || jtime(h, "start_us") != start ||
        jtime(h, "end_us") != end)
        why = "it answers another request";
    else if (!json_is_integer(size) || json_integer_value(size) < 0 ||
             (uint64_t)json_integer_value(size) > RAW_MAX)
        why = "its length field is bad";
    size_t n = why ? 0 : (size_t)json_integer_value(size);
    json_decref(h);
    if (why)
        return why;
    if (edb__buf_reserve(raw, n + 1) != 0)
        return "it is too big for memory";
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (inflateInit(&zs) != Z_OK)
        return "zlib cannot start";
    zs.next_in = (Bytef *)(uintptr_t)z;
    zs.avail_in = (uInt)zlen;
    zs.next_out = (Bytef *)raw->p;
    zs.avail_out = (uInt)(n + 1); /* one spare byte: a longer stream is caught, not cut */
    int zr = inflate(&zs, Z_FINISH);
    raw->len = zs.total_out;
    inflateEnd(&zs);
    if (zr != Z_STREAM_END)
        return zr == Z_BUF_ERROR && raw->len <= n ? "it is truncated" : "its data is damaged";
    if (zs.avail_in != 0)
        return "it has bytes after its data";
    if (raw->len != n)
        return "its length does not match";
    char got[EDB_SHA256_HEX];
    edb_sha256_hex(raw->p, raw->len, got);
    if (strcmp(got, want) != 0)
        return "its checksum does not match";
    return NULL;
}

static int cache_lookup(void *ctx, const edb_request_info *ri, const edb_reply_sink *sink,
                        edb_err *err)
{
    (void)err;
    edb_cache *c = ctx;
    /* Data replies only: a metadata reply is small and asked once per mnemonic. */
    if (c->refresh || ri->kind != EDB_REQ_DATA || !cacheable(c, ri))
        return 0;
    char key[EDB_SHA256_HEX];
    entry_key(c, ri->mnemonic, ri->start, ri->end, key);
    edb__buf path = {0}, file = {0}, raw = {0};
    if (entry_path(c, key, &path) != 0)
        return 0;
    int missing = 0, rc = 0;
    edb_status st = read_file(path.p, &file, &missing);
    if (st != EDB_OK) {
        if (!missing)
            logf_(c, "cache: cannot read %s (%s); asking the service", path.p,
                  st == EDB_ERR_NOMEM ? "out of memory" : strerror(errno));
        c->stats.misses++;
        goto done;
    }
    const char *why = check_entry(c, &file, ri->mnemonic, ri->start, ri->end, &raw);
    if (why) {
        /* Removed, so that it is reported once and the fresh reply can take its place. */
        logf_(c, "cache: dropped a damaged entry for %s (%s: %s); fetching it again",
              ri->uri_name, path.p, why);
        unlink(path.p);
        c->stats.dropped++;
        c->stats.misses++;
        goto done;
    }
    c->stats.hits++;
    for (size_t off = 0; off < raw.len;) {
        size_t n = raw.len - off < 65536 ? raw.len - off : 65536;
        if (sink->feed(sink->ctx, raw.p + off, n) != 0)
            break;
        off += n;
    }
    if (raw.len == 0)
        sink->feed(sink->ctx, "", 0);
    rc = 1;
done:
    edb__buf_free(&path);
    edb__buf_free(&file);
    edb__buf_free(&raw);
    return rc;
}

static void tap_free(tap *t)
{
    if (t->zf)
        fclose(t->zf);
    if (t->zpath.p)
        unlink(t->zpath.p);
    if (t->zinit)
        deflateEnd(&t->zs);
    edb_sha256_free(t->sha);
    edb__buf_free(&t->zpath);
    free(t);
}

static void *cache_tap_begin(void *ctx, const edb_request_info *ri, int local)
{
    edb_cache *c = ctx;
    /* A reply from another local source is not the service's: it must not pose as one. */
    if (local || ri->kind != EDB_REQ_DATA || !cacheable(c, ri))
        return NULL;
    tap *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->c = c;
    entry_key(c, ri->mnemonic, ri->start, ri->end, t->key);
    snprintf(t->mnemonic, sizeof t->mnemonic, "%s", ri->mnemonic);
    t->start = ri->start;
    t->end = ri->end;
    edb__buf dir = {0};
    int fd = -1;
    if (edb__buf_printf(&dir, "%s/v1/%.2s", c->dir, t->key) == 0 && mkdir_p(dir.p) == 0 &&
        edb__buf_printf(&t->zpath, "%s/.tmp-%s-XXXXXX", dir.p, t->key) == 0)
        fd = mkstemp(t->zpath.p);
    edb__buf_free(&dir);
    if (fd < 0 || !(t->zf = fdopen(fd, "w+b")) || !(t->sha = edb_sha256_new()) ||
        deflateInit(&t->zs, 6) != Z_OK) {
        logf_(c, "cache: cannot prepare an entry in %s (%s); the run goes on without it", c->dir,
              strerror(errno));
        if (fd >= 0 && !t->zf)
            close(fd);
        tap_free(t);
        return NULL;
    }
    t->zinit = 1;
    return t;
}

/* Deflate what is in zs.next_in into the temporary file. */
static void tap_deflate(tap *t, int flush)
{
    unsigned char out[65536];
    int zr;
    do {
        t->zs.next_out = out;
        t->zs.avail_out = sizeof out;
        zr = deflate(&t->zs, flush);
        size_t n = sizeof out - t->zs.avail_out;
        if (zr == Z_STREAM_ERROR || (n && fwrite(out, 1, n, t->zf) != n)) {
            t->bad = 1;
            return;
        }
    } while (t->zs.avail_out == 0 || (flush == Z_FINISH && zr != Z_STREAM_END));
}

static int cache_tap_write(void *p, const char *data, size_t len)
{
    tap *t = p;
    if (t->bad)
        return 0; /* a cache that cannot write never stops the transfer */
    edb_sha256_update(t->sha, data, len);
    t->size += len;
    /* zlib counts input in uInt: feed a huge piece in parts. */
    while (len > 0 && !t->bad) {
        uInt piece = len > (1u << 30) ? (1u << 30) : (uInt)len;
        t->zs.next_in = (Bytef *)(uintptr_t)data;
        t->zs.avail_in = piece;
        tap_deflate(t, Z_NO_FLUSH);
        data += piece;
        len -= piece;
    }
    return 0;
}

static edb_status store_entry(tap *t)
{
    edb_cache *c = t->c;
    char sha[EDB_SHA256_HEX], stamp[EDB_TIME_STRLEN];
    t->zs.next_in = NULL;
    t->zs.avail_in = 0;
    tap_deflate(t, Z_FINISH);
    edb_sha256_final(t->sha, sha);
    t->sha = NULL;
    edb_time_format_iso(c->now, stamp, sizeof stamp);
    json_t *h = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:s, s:I, s:s}", "service", c->service,
                          "base_url", c->base_url, "mnemonic", t->mnemonic, "start_us",
                          (json_int_t)t->start, "end_us", (json_int_t)t->end, "stored_us",
                          (json_int_t)c->now, "stored", stamp, "size", (json_int_t)t->size,
                          "sha256", sha);
    char *hj = h ? json_dumps(h, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(h);
    edb__buf tmp = {0}, path = {0};
    edb_status st = EDB_OK;
    FILE *f = NULL;
    if (!hj || edb__buf_printf(&tmp, "%s.entry", t->zpath.p) != 0 ||
        entry_path(c, t->key, &path) != 0) {
        st = EDB_ERR_NOMEM;
        goto done;
    }
    if (t->bad || fflush(t->zf) != 0 || fseek(t->zf, 0, SEEK_SET) != 0 ||
        !(f = fopen(tmp.p, "wb"))) {
        st = EDB_ERR_IO;
        goto done;
    }
    /* The header needs the size and checksum, known only now: it goes first in the entry,
     * followed by a copy of the compressed stream (a fraction of the reply's size). */
    int bad = fwrite(MAGIC, 1, MAGIC_LEN, f) != MAGIC_LEN || fputs(hj, f) < 0 || fputc('\n', f) < 0;
    char buf[65536];
    size_t n;
    while (!bad && (n = fread(buf, 1, sizeof buf, t->zf)) > 0)
        bad = fwrite(buf, 1, n, f) != n;
    bad |= ferror(t->zf) != 0;
    bad |= fflush(f) != 0;
    bad |= fclose(f) != 0;
    /* Rename last: a reader sees the whole entry or none, never the file being written. */
    if (bad || rename(tmp.p, path.p) != 0) {
        unlink(tmp.p);
        st = EDB_ERR_IO;
        goto done;
    }
    c->stats.stored++;
done:
    if (st != EDB_OK)
        logf_(c, "cache: could not store the reply %s-... in %s (%s); the run goes on without it",
              t->mnemonic, c->dir, st == EDB_ERR_NOMEM ? "out of memory" : strerror(errno));
    free(hj);
    edb__buf_free(&tmp);
    edb__buf_free(&path);
    return st;
}

static edb_status cache_tap_end(void *p, int complete, long http, edb_err *err)
{
    (void)err;
    tap *t = p;
    /* A cache that cannot write is a slower run, not a failed one: never an error here. */
    if (complete && http == 200)
        store_entry(t);
    tap_free(t);
    return EDB_OK;
}

void edb_cache_hooks(edb_cache *c, edb_reply_hooks *out)
{
    memset(out, 0, sizeof *out);
    out->ctx = c;
    out->lookup = cache_lookup;
    out->tap_begin = cache_tap_begin;
    out->tap_write = cache_tap_write;
    out->tap_end = cache_tap_end;
}

/* ---- management ----------------------------------------------------------------------- */

typedef int (*visit_fn)(void *ctx, const char *path, const char *name, const struct stat *sb);

/* Every file of DIR/v1/XX/. */
static edb_status walk(const char *dir, visit_fn fn, void *ctx, edb_err *err)
{
    edb__buf v1 = {0};
    if (edb__buf_printf(&v1, "%s/v1", dir) != 0)
        return edb__fail(err, EDB_ERR_NOMEM, "out of memory");
    DIR *d = opendir(v1.p);
    if (!d) {
        edb_status st = errno == ENOENT ? EDB_OK
                                        : edb__fail(err, EDB_ERR_IO, "cache folder %s: %s", dir,
                                                    strerror(errno));
        edb__buf_free(&v1);
        return st;
    }
    struct dirent *de;
    int stop = 0;
    while (!stop && (de = readdir(d)) != NULL) {
        if (strlen(de->d_name) != 2 || de->d_name[0] == '.')
            continue;
        edb__buf sub = {0};
        edb__buf_printf(&sub, "%s/%s", v1.p, de->d_name);
        DIR *d2 = sub.p ? opendir(sub.p) : NULL;
        struct dirent *e2;
        while (!stop && d2 && (e2 = readdir(d2)) != NULL) {
            if (strcmp(e2->d_name, ".") == 0 || strcmp(e2->d_name, "..") == 0)
                continue;
            edb__buf f = {0};
            struct stat sb;
            if (edb__buf_printf(&f, "%s/%s", sub.p, e2->d_name) == 0 && lstat(f.p, &sb) == 0 &&
                S_ISREG(sb.st_mode))
                stop = fn(ctx, f.p, e2->d_name, &sb);
            edb__buf_free(&f);
        }
        if (d2)
            closedir(d2);
        edb__buf_free(&sub);
    }
    closedir(d);
    edb__buf_free(&v1);
    return EDB_OK;
}

typedef struct list_ctx {
    int (*fn)(void *ctx, const edb_cache_entry_info *e);
    void *ctx;
} list_ctx;

static int list_one(void *ctx, const char *path, const char *name, const struct stat *sb)
{
    list_ctx *lc = ctx;
    if (name[0] == '.')
        return 0;
    edb_cache_entry_info e;
    memset(&e, 0, sizeof e);
    e.path = path;
    e.file_bytes = (uint64_t)sb->st_size;
    e.service = e.base_url = "";
    e.mnemonic = "?";
    e.stored = (edb_time)sb->st_mtime * 1000000;
    /* The header is near the start: read only that much. */
    edb__buf b = {0};
    FILE *f = fopen(path, "rb");
    json_t *h = NULL;
    if (f) {
        char chunk[4096];
        size_t got = fread(chunk, 1, sizeof chunk, f);
        fclose(f);
        if (edb__buf_append(&b, chunk, got) == 0) {
            const char *z;
            size_t zlen;
            h = parse_header(&b, &z, &zlen);
        }
    }
    if (h) {
        e.service = jstr(h, "service");
        e.base_url = jstr(h, "base_url");
        e.mnemonic = jstr(h, "mnemonic");
        e.start = jtime(h, "start_us");
        e.end = jtime(h, "end_us");
        e.stored = jtime(h, "stored_us");
        json_t *sz = json_object_get(h, "size");
        e.raw_bytes = json_is_integer(sz) ? (uint64_t)json_integer_value(sz) : 0;
    }
    int stop = lc->fn(lc->ctx, &e);
    json_decref(h);
    edb__buf_free(&b);
    return stop;
}

edb_status edb_cache_list(const char *dir, int (*fn)(void *ctx, const edb_cache_entry_info *e),
                          void *ctx, edb_err *err)
{
    if (!dir || !fn)
        return edb__fail(err, EDB_ERR_USAGE, "edb_cache_list: no folder or no callback");
    list_ctx lc = {fn, ctx};
    return walk(dir, list_one, &lc, err);
}

typedef struct clear_ctx {
    edb_time before;
    unsigned long removed;
    uint64_t bytes;
} clear_ctx;

static int stored_before(void *ctx, const edb_cache_entry_info *e)
{
    clear_ctx *cc = ctx;
    if (e->stored < cc->before && unlink(e->path) == 0) {
        cc->removed++;
        cc->bytes += e->file_bytes;
    }
    return 0;
}

static int clear_tmp(void *ctx, const char *path, const char *name, const struct stat *sb)
{
    clear_ctx *cc = ctx;
    /* A temporary file of a writer still at work is young; one older than a day is left
     * over from a killed process. */
    int stale = cc->before == EDB_TIME_MAX ||
                (edb_time)sb->st_mtime * 1000000 < cc->before - INT64_C(86400000000);
    if (name[0] == '.' && stale && unlink(path) == 0) {
        cc->removed++;
        cc->bytes += (uint64_t)sb->st_size;
    }
    return 0;
}

edb_status edb_cache_clear(const char *dir, edb_time before, unsigned long *removed,
                           uint64_t *bytes, edb_err *err)
{
    if (!dir)
        return edb__fail(err, EDB_ERR_USAGE, "edb_cache_clear: no folder");
    clear_ctx cc = {before, 0, 0};
    edb_status st = edb_cache_list(dir, stored_before, &cc, err);
    if (st == EDB_OK)
        st = walk(dir, clear_tmp, &cc, err);
    if (removed)
        *removed = cc.removed;
    if (bytes)
        *bytes = cc.bytes;
    return st;
}
