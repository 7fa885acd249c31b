/* test_cache.c: the reply cache (edb/cache.c) on its own: entries stored through the tap
 * hooks and read back through the lookup hook, each field of a header damaged in turn,
 * two processes writing one entry, listing and clearing among links and foreign files,
 * the settle rule, --refresh, per-token folders, and the client refetching an entry found
 * damaged only at its end, over real HTTP.  Entries are checked with Python (json, zlib,
 * hashlib, hmac), not with the code under test. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <edb/edb.h>

#include "cache_internal.h"
#include "testutil.h"

static char *tmp;
static char *body;    /* a real path A reply, byte for byte */
static size_t body_len;
static edb_time NOW;  /* 2024-01-01T00:00:00Z: long after every range asked here */
static edb_request_info RI;
static char url[] = "http://127.0.0.1:9/api/v0.1/Download/file?uri=x";

static edb_time T(const char *s)
{
    edb_time t;
    edb_err e = EDB_ERR_INIT;
    ck_assert_msg(edb_time_parse(s, 0, &t, &e) == EDB_OK, "%s", e.msg);
    return t;
}

static void setup(void)
{
    umask(022);
    tmp = tu_mkdtemp();
    body = tu_read_file(tu_fixture("mast-csv/SA_ZATTEST2-20220202T222458-20220202T222459.csv"),
                        &body_len);
    ck_assert_ptr_nonnull(body);
    NOW = T("2024-01-01T00:00:00");
    RI.service = "mast";
    RI.kind = EDB_REQ_DATA;
    RI.mnemonic = "SA_ZATTEST2";
    RI.start = T("2022-02-02T22:24:58");
    RI.end = T("2022-02-02T22:24:59");
    RI.url = url;
    RI.uri_name = "SA_ZATTEST2-20220202T222458-20220202T222459.csv";
}

static void teardown(void)
{
    tu_rmtree(tmp);
    free(tmp);
    free(body);
}

static const char *in_tmp(const char *name)
{
    return tu_path(tmp, name);
}

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
    char cmd[16384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    ck_assert_msg(system(cmd) == 0, "failed: %s", cmd);
}

/* ---- driving the hooks ------------------------------------------------------------------ */

typedef struct logbuf {
    char text[16384];
    size_t len;
    int lines;
} logbuf;

static void log_cb(void *ctx, const char *line)
{
    logbuf *l = ctx;
    l->lines++;
    int n = snprintf(l->text + l->len, sizeof l->text - l->len, "%s\n", line);
    if (n > 0 && l->len + (size_t)n < sizeof l->text)
        l->len += (size_t)n;
}

typedef struct cache_opts {
    const char *dir, *service, *base_url;
    int refresh, per_token;
    const char *token;
    edb_time now;
} cache_opts;

static edb_cache *open_with(const cache_opts *co, logbuf *lb)
{
    edb_cache_options o = EDB_CACHE_OPTIONS_INIT;
    o.dir = co->dir ? co->dir : in_tmp("c");
    o.service = co->service;
    o.base_url = co->base_url ? co->base_url : "http://127.0.0.1:9/";
    o.now = co->now ? co->now : NOW;
    o.refresh = co->refresh;
    o.per_token = co->per_token;
    o.token = co->token;
    o.log = log_cb;
    o.log_ctx = lb;
    edb_cache *c = NULL;
    edb_err err = EDB_ERR_INIT;
    ck_assert_msg(edb_cache_open(&c, &o, &err) == EDB_OK, "%s", err.msg);
    return c;
}

static edb_cache *open_plain(logbuf *lb)
{
    cache_opts co = {0};
    return open_with(&co, lb);
}

/* Store data as the reply to ri, written in pieces of `piece` bytes. */
static int store(edb_cache *c, const edb_request_info *ri, const char *data, size_t len,
                 size_t piece)
{
    edb_reply_hooks h;
    edb_cache_hooks(c, &h);
    void *t = h.tap_begin(h.ctx, ri, 0);
    if (!t)
        return 0;
    for (size_t off = 0; off < len; off += piece)
        ck_assert_int_eq(h.tap_write(t, data + off, len - off < piece ? len - off : piece), 0);
    edb_err err = EDB_ERR_INIT;
    ck_assert_int_eq(h.tap_end(t, 1, 200, &err), EDB_OK);
    return 1;
}

typedef struct sink {
    char *p;
    size_t len, cap;
    size_t pieces, max_piece;
    size_t stop_after; /* say stop once this many bytes came (0: never) */
} sink;

static int sink_feed(void *ctx, const char *d, size_t n)
{
    sink *s = ctx;
    if (s->len + n + 1 > s->cap) {
        s->cap = 2 * (s->len + n) + 1;
        s->p = realloc(s->p, s->cap);
        ck_assert_ptr_nonnull(s->p);
    }
    memcpy(s->p + s->len, d, n);
    s->len += n;
    s->p[s->len] = '\0';
    s->pieces++;
    if (n > s->max_piece)
        s->max_piece = n;
    return s->stop_after && s->len >= s->stop_after;
}

static int lookup(edb_cache *c, const edb_request_info *ri, sink *s)
{
    edb_reply_hooks h;
    edb_cache_hooks(c, &h);
    edb_err err = EDB_ERR_INIT;
    edb_reply_sink rs = {s, sink_feed, NULL, NULL, NULL, NULL};
    int rc = h.lookup(h.ctx, ri, &rs, &err);
    ck_assert_int_eq(err.status, EDB_OK); /* a cache never fails a request */
    return rc;
}

static const char *entry_path(edb_cache *c, const edb_request_info *ri)
{
    char rel[128];
    edb__cache_entry_relpath(c, ri, rel, sizeof rel);
    return tu_path(edb_cache_root(c), rel);
}

static mode_t mode_of(const char *path)
{
    struct stat sb;
    ck_assert_msg(lstat(path, &sb) == 0, "%s: %s", path, strerror(errno));
    return sb.st_mode & 07777;
}

/* ---- round trip -------------------------------------------------------------------------- */

START_TEST(round_trip_byte_exact)
{
    logbuf lb = {0};
    edb_cache *c = open_plain(&lb);
    /* One byte at a time, then all at once: the same entry either way. */
    ck_assert(store(c, &RI, body, body_len, 1));
    sink s = {0};
    ck_assert_int_eq(lookup(c, &RI, &s), 1);
    ck_assert_uint_eq(s.len, body_len);
    ck_assert(memcmp(s.p, body, body_len) == 0);
    free(s.p);
    ck_assert(store(c, &RI, body, body_len, body_len));
    edb_cache_stats st;
    edb_cache_get_stats(c, &st);
    ck_assert_uint_eq(st.hits, 1);
    ck_assert_uint_eq(st.stored, 2);
    ck_assert_uint_eq(st.dropped, 0);
    ck_assert_int_eq(lb.lines, 0);
    /* The layout, the modes, and the file read by Python: magic, a JSON line, zlib. */
    const char *path = entry_path(c, &RI);
    ck_assert_int_eq(mode_of(path), 0600);
    ck_assert_int_eq(mode_of(in_tmp("c/v1")), 0700);
    char xx[4200];
    snprintf(xx, sizeof xx, "%s", path);
    *strrchr(xx, '/') = '\0';
    ck_assert_int_eq(mode_of(xx), 0700);
    sh("/usr/bin/python3 - '%s' '%s' <<'EOF'\n"
       "import sys, json, zlib, hashlib, os\n"
       "path, fixture = sys.argv[1:]\n"
       "raw = open(fixture, 'rb').read(); d = open(path, 'rb').read()\n"
       "assert d.startswith(b'EDBXCACHE1\\n')\n"
       "i = d.index(b'\\n', 11); h = json.loads(d[11:i])\n"
       "want = {'service': 'mast', 'base_url': 'http://127.0.0.1:9', 'kind': 'data',\n"
       "        'mnemonic': 'SA_ZATTEST2', 'start_us': 1643840698000000, 'end_us': 1643840699000000,\n"
       "        'stored_us': 1704067200000000, 'stored': '2024-01-01T00:00:00.000',\n"
       "        'size': len(raw), 'sha256': hashlib.sha256(raw).hexdigest()}\n"
       "assert h == want, h\n"
       "assert zlib.decompress(d[i+1:]) == raw\n"
       "assert os.path.basename(path)[:-2] == os.path.basename(os.path.dirname(path)) + os.path.basename(path)[2:-2]\n"
       "EOF",
       path, tu_fixture("mast-csv/SA_ZATTEST2-20220202T222458-20220202T222459.csv"));
    /* No temporary file is left beside it. */
    sh("test \"$(find '%s' -type f | wc -l)\" = 1", in_tmp("c"));
    edb_cache_free(c);
}
END_TEST

/* A reply bigger than any buffer of the cache reaches the client in pieces as it is
 * inflated, never whole (bench_cache measures the memory). */
START_TEST(lookup_streams_in_pieces)
{
    size_t n = 3u << 20;
    char *big = malloc(n);
    ck_assert_ptr_nonnull(big);
    unsigned x = 12345;
    for (size_t k = 0; k < n; k++) {
        x = x * 1103515245u + 12345u;
        big[k] = (char)('0' + (x >> 16) % 10);
    }
    logbuf lb = {0};
    edb_cache *c = open_plain(&lb);
    ck_assert(store(c, &RI, big, n, 100000));
    sink s = {0};
    ck_assert_int_eq(lookup(c, &RI, &s), 1);
    ck_assert_uint_eq(s.len, n);
    ck_assert(memcmp(s.p, big, n) == 0);
    ck_assert_uint_le(s.max_piece, 65536);
    ck_assert_uint_ge(s.pieces, n / 65536);
    free(s.p);
    free(big);
    edb_cache_free(c);
}
END_TEST

/* An empty reply is an entry too, and the client hears of it once. */
START_TEST(empty_reply_round_trip)
{
    logbuf lb = {0};
    edb_cache *c = open_plain(&lb);
    ck_assert(store(c, &RI, "", 0, 1));
    sink s = {0};
    ck_assert_int_eq(lookup(c, &RI, &s), 1);
    ck_assert_uint_eq(s.len, 0);
    ck_assert_uint_eq(s.pieces, 1);
    free(s.p);
    edb_cache_free(c);
}
END_TEST

/* ---- damaged entries --------------------------------------------------------------------- */

/* The entry file split: the header (parsed) and the stream after it. */
static json_t *read_entry(const char *path, char **stream, size_t *slen)
{
    size_t len;
    char *d = tu_read_file(path, &len);
    ck_assert_ptr_nonnull(d);
    char *nl = memchr(d + 11, '\n', len - 11);
    ck_assert_ptr_nonnull(nl);
    json_t *h = json_loadb(d + 11, (size_t)(nl - d - 11), 0, NULL);
    ck_assert_ptr_nonnull(h);
    *slen = len - (size_t)(nl + 1 - d);
    *stream = malloc(*slen + 1);
    memcpy(*stream, nl + 1, *slen);
    free(d);
    return h;
}

static void write_entry(const char *path, const char *header_line, const char *stream,
                        size_t slen)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    fputs(header_line, f);
    fwrite(stream, 1, slen, f);
    fclose(f);
}

typedef enum { SET, DEL, RAW } edit_kind;

typedef struct damage {
    const char *what;
    edit_kind kind;
    const char *field;
    const char *json; /* SET: the new value as JSON; RAW: see raw_damage() */
    const char *why;  /* the reason the log must give */
} damage;

static void raw_damage(const char *path, const char *how)
{
    size_t len;
    char *d = tu_read_file(path, &len);
    ck_assert_ptr_nonnull(d);
    FILE *f = fopen(path, "wb");
    if (strcmp(how, "magic") == 0) {
        d[3] = 'Y';
        fwrite(d, 1, len, f);
    } else if (strcmp(how, "empty") == 0) {
        /* nothing */
    } else if (strcmp(how, "cut") == 0) {
        fwrite(d, 1, len - 10, f);
    } else if (strcmp(how, "adler") == 0) {
        d[len - 1] ^= 1; /* the stream's own check, its last byte */
        fwrite(d, 1, len, f);
    } else if (strcmp(how, "tail") == 0) {
        fwrite(d, 1, len, f);
        fputs("more", f);
    } else if (strcmp(how, "longheader") == 0) {
        /* A header that does not end within 4096 bytes. */
        fputs("EDBXCACHE1\n{\"pad\":\"", f);
        for (int k = 0; k < 5000; k++)
            fputc('x', f);
        fputs("\"}\n", f);
    } else if (strcmp(how, "notjson") == 0) {
        fputs("EDBXCACHE1\n[1,2]\n", f);
    } else if (strcmp(how, "dupkey") == 0) {
        char *nl = memchr(d + 11, '\n', len - 11);
        fwrite(d, 1, (size_t)(nl - d - 1), f); /* without the closing brace */
        fputs(",\"kind\":\"data\"}\n", f);
        fwrite(nl + 1, 1, len - (size_t)(nl + 1 - d), f);
    } else {
        ck_abort_msg("unknown damage %s", how);
    }
    fclose(f);
    free(d);
}

static void apply(const char *path, const damage *dm)
{
    if (dm->kind == RAW) {
        raw_damage(path, dm->json);
        return;
    }
    char *stream;
    size_t slen;
    json_t *h = read_entry(path, &stream, &slen);
    if (dm->kind == DEL) {
        json_object_del(h, dm->field);
    } else {
        json_t *v = json_loads(dm->json, JSON_DECODE_ANY, NULL);
        ck_assert_msg(v != NULL, "%s", dm->json);
        json_object_set_new(h, dm->field, v);
    }
    char *hj = json_dumps(h, JSON_COMPACT | JSON_SORT_KEYS);
    char line[8192];
    snprintf(line, sizeof line, "EDBXCACHE1\n%s\n", hj);
    write_entry(path, line, stream, slen);
    free(hj);
    json_decref(h);
    free(stream);
}

static const damage DAMAGES[] = {
    {"magic", RAW, NULL, "magic", "it is not a cache entry"},
    {"empty file", RAW, NULL, "empty", "it is not a cache entry"},
    {"long header", RAW, NULL, "longheader", "its header does not end within 4096 bytes"},
    {"not an object", RAW, NULL, "notjson", "its header is not a JSON object"},
    {"duplicate field", RAW, NULL, "dupkey", "its header is not a JSON object"},
    {"no service", DEL, "service", NULL, "its header's service is missing or of the wrong type"},
    {"no base_url", DEL, "base_url", NULL, "its header's base_url is missing or of the wrong type"},
    {"no kind", DEL, "kind", NULL, "its header's kind is missing or of the wrong type"},
    {"no mnemonic", DEL, "mnemonic", NULL, "its header's mnemonic is missing or of the wrong type"},
    {"no start", DEL, "start_us", NULL, "its header's start_us is missing or of the wrong type"},
    {"no end", DEL, "end_us", NULL, "its header's end_us is missing or of the wrong type"},
    {"start a string", SET, "start_us", "\"1643840698000000\"",
     "its header's start_us is missing or of the wrong type"},
    {"mnemonic a number", SET, "mnemonic", "7", "its header's mnemonic is missing or of the wrong type"},
    {"escape in mnemonic", SET, "mnemonic", "\"SA_\\u001b[31m\"",
     "its header's mnemonic holds control characters"},
    {"no stored", DEL, "stored_us", NULL, "its header's stored_us is bad"},
    {"no size", DEL, "size", NULL, "its header's size is bad"},
    {"negative size", SET, "size", "-1", "its header's size is bad"},
    {"size past 4 GiB", SET, "size", "4294967297", "its header's size is bad"},
    {"no sha256", DEL, "sha256", NULL, "its header's sha256 is bad"},
    {"sha256 short", SET, "sha256", "\"abc\"", "its header's sha256 is bad"},
    {"sha256 upper case", SET, "sha256",
     "\"E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855\"",
     "its header's sha256 is bad"},
    {"start after end", SET, "start_us", "1643840700000000",
     "its header's range (start_us after end_us) is bad"},
    {"another service", SET, "service", "\"edp\"", "it answers another request"},
    {"another base URL", SET, "base_url", "\"http://127.0.0.1:10\"", "it answers another request"},
    {"another kind", SET, "kind", "\"meta\"", "it answers another request"},
    {"another mnemonic", SET, "mnemonic", "\"SA_ZATTEST1\"", "it answers another request"},
    {"another start", SET, "start_us", "1643840697000000", "it answers another request"},
    {"another end", SET, "end_us", "1643840700000000", "it answers another request"},
    {"size one more", SET, "size", NULL, "its length does not match"},
    {"size one less", SET, "size", NULL, "its data is longer than its length field"},
    {"another checksum", SET, "sha256",
     "\"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\"",
     "its checksum does not match"},
    {"stream cut", RAW, NULL, "cut", "it is truncated"},
    {"stream check", RAW, NULL, "adler", "its data is damaged"},
    {"bytes after", RAW, NULL, "tail", "it has bytes after its data"},
};

START_TEST(damaged_entry_every_field)
{
    const damage *dm = &DAMAGES[_i];
    logbuf lb = {0};
    edb_cache *c = open_plain(&lb);
    ck_assert(store(c, &RI, body, body_len, 4096));
    const char *p = entry_path(c, &RI);
    char path[4200];
    snprintf(path, sizeof path, "%s", p);
    damage d = *dm;
    char size_json[32];
    if (strncmp(dm->what, "size one", 8) == 0) {
        snprintf(size_json, sizeof size_json, "%zu", body_len + (dm->what[9] == 'm' ? 1 : -1));
        d.json = size_json;
    }
    apply(path, &d);
    sink s = {0};
    ck_assert_msg(lookup(c, &RI, &s) == 0, "%s: served", dm->what);
    free(s.p);
    char want[8192];
    snprintf(want, sizeof want, "cache: dropped a damaged entry for %s (%s: %s); fetching it "
             "again\n", RI.uri_name, path, dm->why);
    ck_assert_msg(strcmp(lb.text, want) == 0, "%s:\n got %s\nwant %s", dm->what, lb.text, want);
    ck_assert_msg(!tu_exists(path), "%s: not removed", dm->what);
    edb_cache_stats st;
    edb_cache_get_stats(c, &st);
    ck_assert_uint_eq(st.dropped, 1);
    ck_assert_uint_eq(st.misses, 1);
    ck_assert_uint_eq(st.hits, 0);
    /* The next store takes its place and is served. */
    ck_assert(store(c, &RI, body, body_len, 4096));
    sink s2 = {0};
    ck_assert_int_eq(lookup(c, &RI, &s2), 1);
    ck_assert_uint_eq(s2.len, body_len);
    free(s2.p);
    edb_cache_free(c);
}
END_TEST

/* Damage found only at the end: every byte was fed before the lookup says 0.  The client
 * must throw those bytes away (client.h's lookup contract; refetch_after_late_damage). */
START_TEST(damage_found_after_feeding)
{
    logbuf lb = {0};
    edb_cache *c = open_plain(&lb);
    ck_assert(store(c, &RI, body, body_len, 4096));
    damage d = {"another checksum", SET, "sha256",
                "\"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\"", NULL};
    apply(entry_path(c, &RI), &d);
    sink s = {0};
    ck_assert_int_eq(lookup(c, &RI, &s), 0);
    ck_assert_uint_eq(s.len, body_len);
    ck_assert(memcmp(s.p, body, body_len) == 0);
    free(s.p);
    edb_cache_free(c);
}
END_TEST

/* When the client says stop (its decoder failed, a bundle could not record), the cache
 * feeds no more but still checks the rest: a good entry answers 1, a damaged one 0. */
START_TEST(stop_feeding_still_checks)
{
    logbuf lb = {0};
    edb_cache *c = open_plain(&lb);
    ck_assert(store(c, &RI, body, body_len, 4096));
    sink s = {.stop_after = 1};
    ck_assert_int_eq(lookup(c, &RI, &s), 1);
    ck_assert_uint_eq(s.pieces, 1);
    free(s.p);
    damage d = {"another checksum", SET, "sha256",
                "\"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\"", NULL};
    apply(entry_path(c, &RI), &d);
    sink s2 = {.stop_after = 1};
    ck_assert_int_eq(lookup(c, &RI, &s2), 0);
    ck_assert_uint_eq(s2.pieces, 1);
    ck_assert_ptr_nonnull(strstr(lb.text, "its checksum does not match"));
    free(s2.p);
    edb_cache_free(c);
}
END_TEST

/* ---- services, kinds and tokens never mix ------------------------------------------------ */

START_TEST(two_services_never_mix)
{
    logbuf la = {0}, lb = {0};
    cache_opts a = {.service = "mast"}, b = {.service = "edp"};
    edb_cache *ca = open_with(&a, &la), *cb = open_with(&b, &lb);
    ck_assert(store(ca, &RI, body, body_len, 4096));
    char pa[4200], pb[4200];
    snprintf(pa, sizeof pa, "%s", entry_path(ca, &RI));
    snprintf(pb, sizeof pb, "%s", entry_path(cb, &RI));
    ck_assert_str_ne(pa, pb);
    sink s = {0};
    ck_assert_int_eq(lookup(cb, &RI, &s), 0); /* a miss, not a drop */
    ck_assert_uint_eq(s.len, 0);
    ck_assert_int_eq(lb.lines, 0);
    ck_assert(tu_exists(pa));
    /* An entry of one service copied to where the other's would be is refused. */
    sh("mkdir -p \"$(dirname '%s')\" && cp '%s' '%s'", pb, pa, pb);
    ck_assert_int_eq(lookup(cb, &RI, &s), 0);
    ck_assert_ptr_nonnull(strstr(lb.text, "it answers another request"));
    ck_assert(!tu_exists(pb));
    /* "http://h/" and "http://h" are one base URL; another port is another service. */
    cache_opts slash = {.base_url = "http://127.0.0.1:9"}, port = {.base_url = "http://127.0.0.1:10/"};
    logbuf l3 = {0}, l4 = {0};
    edb_cache *c3 = open_with(&slash, &l3), *c4 = open_with(&port, &l4);
    ck_assert_int_eq(lookup(c3, &RI, &s), 1);
    ck_assert_int_eq(lookup(c4, &RI, &s), 0);
    free(s.p);
    edb_cache_free(ca);
    edb_cache_free(cb);
    edb_cache_free(c3);
    edb_cache_free(c4);
}
END_TEST

static void hmac_name(const char *dir, const char *token, char out[33])
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 -c \"import hmac, hashlib, sys; k = open(sys.argv[1], 'rb').read(); "
             "t = sys.argv[2]; m = b'edbx-cache-token\\0' + (b't' + t.encode() if t != '-' else b'n'); "
             "print(hmac.new(k, m, hashlib.sha256).hexdigest()[:32])\" '%s/by-token/key' '%s'",
             dir, token ? token : "-");
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    char line[128];
    ck_assert_ptr_nonnull(fgets(line, sizeof line, p));
    ck_assert_int_eq(pclose(p), 0);
    ck_assert_uint_eq(strlen(line), 33);
    memcpy(out, line, 32);
    out[32] = '\0';
}

START_TEST(per_token_folders)
{
    static const char tok_a[] = "TokenAlpha0123456789abcdef", tok_b[] = "TokenBeta9876543210fedcba";
    logbuf l = {0};
    cache_opts a = {.per_token = 1, .token = tok_a}, b = {.per_token = 1, .token = tok_b};
    cache_opts none = {.per_token = 1}, empty = {.per_token = 1, .token = ""}, shared = {0};
    edb_cache *ca = open_with(&a, &l), *cb = open_with(&b, &l), *cn = open_with(&none, &l);
    edb_cache *ce = open_with(&empty, &l), *cs = open_with(&shared, &l);
    /* Each root is DIR/by-token/HMAC(key, token), computed here by Python's hmac. */
    char name[33], want[4200];
    hmac_name(in_tmp("c"), tok_a, name);
    snprintf(want, sizeof want, "%s/by-token/%s", in_tmp("c"), name);
    ck_assert_str_eq(edb_cache_root(ca), want);
    hmac_name(in_tmp("c"), tok_b, name);
    snprintf(want, sizeof want, "%s/by-token/%s", in_tmp("c"), name);
    ck_assert_str_eq(edb_cache_root(cb), want);
    hmac_name(in_tmp("c"), NULL, name);
    snprintf(want, sizeof want, "%s/by-token/%s", in_tmp("c"), name);
    ck_assert_str_eq(edb_cache_root(cn), want);
    ck_assert_str_ne(edb_cache_root(cn), edb_cache_root(ce)); /* no token is not "" */
    ck_assert_str_eq(edb_cache_root(cs), in_tmp("c"));
    ck_assert_int_eq(mode_of(in_tmp("c/by-token")), 0700);
    ck_assert_int_eq(mode_of(in_tmp("c/by-token/key")), 0600);
    ck_assert_int_eq(mode_of(edb_cache_root(ca)), 0700);
    /* What token A's holder fetched, B's and the shared folder's users never read. */
    ck_assert(store(ca, &RI, body, body_len, 4096));
    sink s = {0};
    ck_assert_int_eq(lookup(cb, &RI, &s), 0);
    ck_assert_int_eq(lookup(cn, &RI, &s), 0);
    ck_assert_int_eq(lookup(cs, &RI, &s), 0);
    ck_assert_int_eq(lookup(ca, &RI, &s), 1);
    free(s.p);
    /* Reopened, A finds its folder again (the key is made once). */
    edb_cache *ca2 = open_with(&a, &l);
    ck_assert_str_eq(edb_cache_root(ca2), edb_cache_root(ca));
    /* No file or name under the folder holds the token or its plain SHA-256. */
    sh("cd '%s' && /usr/bin/python3 - '%s' <<'EOF'\n"
       "import os, sys, hashlib, zlib\n"
       "t = sys.argv[1].encode(); h = hashlib.sha256(t).hexdigest()\n"
       "for root, dirs, files in os.walk('.'):\n"
       "    for n in dirs + files:\n"
       "        assert h[:16] not in n and sys.argv[1] not in n, n\n"
       "    for f in files:\n"
       "        d = open(os.path.join(root, f), 'rb').read()\n"
       "        assert t not in d and h.encode()[:16] not in d, f\n"
       "EOF",
       in_tmp("c"), tok_a);
    ck_assert_int_eq(l.lines, 0);
    edb_cache_free(ca);
    edb_cache_free(ca2);
    edb_cache_free(cb);
    edb_cache_free(cn);
    edb_cache_free(ce);
    edb_cache_free(cs);
    /* A key that is not 32 bytes is named, and nothing is served. */
    tu_write_file(in_tmp("c/by-token/key"), "short", 5);
    edb_cache_options o = EDB_CACHE_OPTIONS_INIT;
    o.dir = in_tmp("c");
    o.base_url = "http://127.0.0.1:9/";
    o.now = NOW;
    o.per_token = 1;
    o.token = tok_a;
    edb_cache *bad = NULL;
    edb_err err = EDB_ERR_INIT;
    ck_assert_int_eq(edb_cache_open(&bad, &o, &err), EDB_ERR_IO);
    ck_assert_ptr_null(bad);
    ck_assert_msg(strstr(err.msg, "by-token/key is not a 32-byte key: remove it"), "%s", err.msg);
}
END_TEST

/* ---- the folder ------------------------------------------------------------------------ */

START_TEST(open_refusals)
{
    edb_cache_options o = EDB_CACHE_OPTIONS_INIT;
    o.base_url = "http://127.0.0.1:9/";
    o.now = NOW;
    edb_cache *c = NULL;
    edb_err err = EDB_ERR_INIT;
    char want[4400];
    /* The parent is never made: a missing $HOME or a mistyped path fails here. */
    o.dir = in_tmp("missing/cache");
    ck_assert_int_eq(edb_cache_open(&c, &o, &err), EDB_ERR_IO);
    ck_assert_ptr_null(c);
    snprintf(want, sizeof want, "cache folder %s: its parent folder does not exist", o.dir);
    ck_assert_str_eq(err.msg, want);
    ck_assert(!tu_exists(in_tmp("missing")));
    /* A file where the folder should be. */
    tu_write_file(in_tmp("file"), "x", 1);
    o.dir = in_tmp("file");
    edb_err_clear(&err);
    ck_assert_int_eq(edb_cache_open(&c, &o, &err), EDB_ERR_IO);
    snprintf(want, sizeof want, "cache folder %s: not a folder", o.dir);
    ck_assert_str_eq(err.msg, want);
    /* Names too long for a header that a reader reads whole are refused... */
    char long_url[EDB_CACHE_BASE_URL_MAX + 64];
    snprintf(long_url, sizeof long_url, "http://127.0.0.1:9/");
    size_t n = strlen(long_url);
    while (n < EDB_CACHE_BASE_URL_MAX + 1)
        long_url[n++] = 'p';
    long_url[n] = '\0';
    o.dir = in_tmp("c");
    o.base_url = long_url;
    edb_err_clear(&err);
    ck_assert_int_eq(edb_cache_open(&c, &o, &err), EDB_ERR_USAGE);
    ck_assert_ptr_nonnull(strstr(err.msg, "is not cached"));
    o.base_url = "http://127.0.0.1:9/";
    o.service = "sssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssss"; /* 65 */
    edb_err_clear(&err);
    ck_assert_int_eq(edb_cache_open(&c, &o, &err), EDB_ERR_USAGE);
    /* ...and the longest taken make entries that read back. */
    long_url[EDB_CACHE_BASE_URL_MAX] = '\0';
    o.base_url = long_url;
    o.service = "ssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssss"; /* 64 */
    logbuf lb = {0};
    o.log = log_cb;
    o.log_ctx = &lb;
    edb_err_clear(&err);
    ck_assert_msg(edb_cache_open(&c, &o, &err) == EDB_OK, "%s", err.msg);
    edb_request_info ri = RI;
    ri.mnemonic = "ABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789_ABCDEFGHIJKLMNOPQRSTUVWXYZ"; /* 64 */
    ck_assert(store(c, &ri, body, body_len, 4096));
    sink s = {0};
    ck_assert_int_eq(lookup(c, &ri, &s), 1);
    ck_assert_uint_eq(s.len, body_len);
    ck_assert_int_eq(lb.lines, 0);
    free(s.p);
    edb_cache_free(c);
}
END_TEST

START_TEST(settle_rule)
{
    logbuf lb = {0};
    edb_cache *c = open_plain(&lb);
    edb_request_info ri = RI;
    /* Ends exactly an hour before now: settled, stored and served. */
    ri.end = NOW - EDB_CACHE_SETTLE_US;
    ri.start = ri.end - 1000000;
    ck_assert(store(c, &ri, body, body_len, 4096));
    sink s = {0};
    ck_assert_int_eq(lookup(c, &ri, &s), 1);
    /* One microsecond later: never stored, and never served even if an entry is there
     * (stored by a run whose `now` was later). */
    ri.end++;
    ck_assert(!store(c, &ri, body, body_len, 4096));
    cache_opts later = {.now = NOW + 1};
    edb_cache *cl = open_with(&later, &lb);
    ck_assert(store(cl, &ri, body, body_len, 4096));
    ck_assert_int_eq(lookup(cl, &ri, &s), 1);
    ck_assert_int_eq(lookup(c, &ri, &s), 0);
    free(s.p);
    ck_assert_int_eq(lb.lines, 0);
    edb_cache_free(c);
    edb_cache_free(cl);
}
END_TEST

START_TEST(refresh_replaces)
{
    logbuf lb = {0};
    edb_cache *c = open_plain(&lb);
    ck_assert(store(c, &RI, "old reply\r\n", 11, 4));
    cache_opts ro = {.refresh = 1};
    edb_cache *cr = open_with(&ro, &lb);
    sink s = {0};
    ck_assert_int_eq(lookup(cr, &RI, &s), 0); /* asks the service, drops nothing */
    ck_assert(tu_exists(entry_path(c, &RI)));
    ck_assert(store(cr, &RI, body, body_len, 4096));
    ck_assert_int_eq(lookup(c, &RI, &s), 1);
    ck_assert_uint_eq(s.len, body_len);
    ck_assert(memcmp(s.p, body, body_len) == 0);
    free(s.p);
    edb_cache_stats st;
    edb_cache_get_stats(cr, &st);
    ck_assert_uint_eq(st.dropped, 0);
    ck_assert_int_eq(lb.lines, 0);
    edb_cache_free(c);
    edb_cache_free(cr);
}
END_TEST

/* A reply the client did not keep (a retry, a failure, not 200) is not stored. */
START_TEST(incomplete_replies_not_stored)
{
    logbuf lb = {0};
    edb_cache *c = open_plain(&lb);
    edb_reply_hooks h;
    edb_cache_hooks(c, &h);
    edb_err err = EDB_ERR_INIT;
    void *t = h.tap_begin(h.ctx, &RI, 0);
    h.tap_write(t, body, body_len);
    h.tap_end(t, 0, 200, &err);
    t = h.tap_begin(h.ctx, &RI, 0);
    h.tap_write(t, body, body_len);
    h.tap_end(t, 1, 206, &err);
    /* A body another local source gave is not the service's. */
    ck_assert_ptr_null(h.tap_begin(h.ctx, &RI, 1));
    sh("test \"$(find '%s' -type f | wc -l)\" = 0", in_tmp("c"));
    edb_cache_free(c);
}
END_TEST

/* ---- has: is a request in the cache, without reading its reply ---------------------------- */

START_TEST(has_reads_only_the_header)
{
    logbuf lb = {0};
    edb_cache *c = open_plain(&lb);
    ck_assert_int_eq(edb_cache_has(c, &RI), 0); /* nothing yet, not even its folder */
    ck_assert(store(c, &RI, body, body_len, 4096));
    ck_assert_int_eq(edb_cache_has(c, &RI), 1);
    /* Another range, another kind, another service: not there. */
    edb_request_info other = RI;
    other.end += 1000000;
    ck_assert_int_eq(edb_cache_has(c, &other), 0);
    other = RI;
    other.kind = EDB_REQ_META;
    other.start = other.end = 0;
    ck_assert_int_eq(edb_cache_has(c, &other), 0);
    cache_opts direct = {.service = "direct"};
    edb_cache *cd = open_with(&direct, &lb);
    ck_assert_int_eq(edb_cache_has(cd, &RI), 0);
    edb_cache_free(cd);
    /* Only the header is read: a body cut to nothing still counts (the lookup, which
     * reads it, finds the damage and the network answers). */
    char path[4200];
    snprintf(path, sizeof path, "%s", entry_path(c, &RI));
    sh("/usr/bin/python3 -c \"import sys; p = sys.argv[1]; d = open(p, 'rb').read(); "
       "open(p, 'wb').write(d[:d.index(b'\\\\n', 11) + 1])\" '%s'", path);
    ck_assert_int_eq(edb_cache_has(c, &RI), 1);
    logbuf lb3 = {0};
    edb_cache *c3 = open_plain(&lb3);
    sink s = {0};
    ck_assert_int_eq(lookup(c3, &RI, &s), 0);
    ck_assert_msg(strstr(lb3.text, "dropped a damaged entry"), "%s", lb3.text);
    ck_assert_int_eq(edb_cache_has(c, &RI), 0); /* dropped by the lookup */
    free(s.p);
    edb_cache_free(c3);
    /* An entry of another request copied in its place (its header says so): not there. */
    edb_request_info moved = RI;
    moved.start -= 1000000;
    ck_assert(store(c, &moved, body, body_len, 4096));
    sh("cp '%s' '%s'", entry_path(c, &moved), path);
    ck_assert_int_eq(edb_cache_has(c, &RI), 0);
    /* A file that is not an entry, a link to a whole entry, a folder: not there. */
    sh("printf 'not an entry' > '%s'", path);
    ck_assert_int_eq(edb_cache_has(c, &RI), 0);
    ck_assert(store(c, &RI, body, body_len, 4096));
    sh("mv '%s' '%s' && ln -s '%s' '%s'", path, in_tmp("real.z"), in_tmp("real.z"), path);
    ck_assert_int_eq(edb_cache_has(c, &RI), 0);
    sh("rm '%s' && mkdir '%s'", path, path);
    ck_assert_int_eq(edb_cache_has(c, &RI), 0);
    /* A range the cache never keeps (ending within the hour before now): never there. */
    edb_request_info fresh = RI;
    fresh.end = NOW - EDB_CACHE_SETTLE_US + 1;
    cache_opts later = {.now = NOW + 1};
    edb_cache *cl = open_with(&later, &lb);
    ck_assert(store(cl, &fresh, body, body_len, 4096));
    ck_assert_int_eq(edb_cache_has(cl, &fresh), 1);
    ck_assert_int_eq(edb_cache_has(c, &fresh), 0);
    ck_assert_int_eq(edb_cache_has(NULL, &RI), 0);
    ck_assert_int_eq(lb.lines, 0); /* has() reports nothing: it only answers */
    edb_cache_free(cl);
    edb_cache_free(c);
}
END_TEST

/* ---- links and foreign files ------------------------------------------------------------- */

START_TEST(entries_never_read_or_written_through_links)
{
    logbuf lb = {0};
    edb_cache *c = open_plain(&lb);
    char path[4200], xx[4200];
    snprintf(path, sizeof path, "%s", entry_path(c, &RI));
    snprintf(xx, sizeof xx, "%s", path);
    *strrchr(xx, '/') = '\0';
    /* A whole, correct entry elsewhere, and a link to it where the entry belongs. */
    ck_assert(store(c, &RI, body, body_len, 4096));
    sh("mkdir '%s' && mv '%s' '%s/real.z' && ln -s '%s/real.z' '%s'", in_tmp("outside"), path,
       in_tmp("outside"), in_tmp("outside"), path);
    sink s = {0};
    ck_assert_int_eq(lookup(c, &RI, &s), 0);
    ck_assert_uint_eq(s.len, 0);
    ck_assert_msg(strstr(lb.text, "(a symbolic link: not followed); asking the service"), "%s",
                  lb.text);
    /* A FIFO there: refused at once, not waited on (and not reported twice in a run). */
    sh("rm '%s' && mkfifo '%s'", path, path);
    ck_assert_int_eq(lookup(c, &RI, &s), 0);
    ck_assert_int_eq(lb.lines, 1);
    logbuf lb2 = {0};
    edb_cache *c2 = open_plain(&lb2);
    ck_assert_int_eq(lookup(c2, &RI, &s), 0);
    ck_assert_msg(strstr(lb2.text, "(not a regular file); asking the service"), "%s", lb2.text);
    edb_cache_free(c2);
    /* The XX folder a link to another folder: nothing is read or written there. */
    sh("rm -r '%s' && ln -s '%s' '%s'", xx, in_tmp("outside"), xx);
    ck_assert_int_eq(lookup(c, &RI, &s), 0);
    ck_assert(!store(c, &RI, body, body_len, 4096));
    ck_assert_msg(strstr(lb.text, "cannot prepare an entry for SA_ZATTEST2"), "%s", lb.text);
    sh("test \"$(ls '%s')\" = real.z", in_tmp("outside"));
    /* A second failure to store is not reported again. */
    int lines = lb.lines;
    ck_assert(!store(c, &RI, body, body_len, 4096));
    ck_assert_int_eq(lb.lines, lines);
    free(s.p);
    edb_cache_free(c);
    /* v1 itself a link: the cache does not open. */
    sh("mkdir '%s' && ln -s '%s' '%s/v1'", in_tmp("c2"), in_tmp("outside"), in_tmp("c2"));
    edb_cache_options o = EDB_CACHE_OPTIONS_INIT;
    o.dir = in_tmp("c2");
    o.base_url = "http://127.0.0.1:9/";
    o.now = NOW;
    edb_err err = EDB_ERR_INIT;
    ck_assert_int_eq(edb_cache_open(&c, &o, &err), EDB_ERR_IO);
    ck_assert_msg(strstr(err.msg, "v1: not a folder (a link or a file is there)"), "%s", err.msg);
}
END_TEST

typedef struct listed {
    int n, damaged;
    char names[8][80];
    edb_cache_entry_info last;
    char last_path[4200];
} listed;

static int on_list(void *ctx, const edb_cache_entry_info *e)
{
    listed *l = ctx;
    if (l->n < 8)
        snprintf(l->names[l->n], sizeof l->names[0], "%s %s %s", e->service, e->kind, e->mnemonic);
    l->n++;
    l->damaged += e->damaged;
    if (!e->damaged && strcmp(e->mnemonic, "SA_ZATTEST2") == 0 &&
        strcmp(e->service, "mast") == 0 && !strstr(e->path, "by-token")) {
        l->last = *e;
        snprintf(l->last_path, sizeof l->last_path, "%s", e->path); /* borrowed: copied */
    }
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* A cache folder with company: four entries (two services, the shared folder and a
 * token's), then links, foreign files and temporaries of every sort.  populated_xx is the
 * folder of the first entry, populated_bytes the size of the four on disk. */
static char populated_xx[4200], populated_entry[4200];
static uint64_t populated_bytes;
#define POPULATED_FOREIGN 8

static uint64_t size_of(const char *path)
{
    struct stat sb;
    ck_assert_int_eq(stat(path, &sb), 0);
    return (uint64_t)sb.st_size;
}

static void populate(void)
{
    logbuf lb = {0};
    cache_opts a = {0}, b = {.service = "edp"}, t = {.per_token = 1, .token = "TokTok1234567890"};
    edb_cache *ca = open_with(&a, &lb), *cb = open_with(&b, &lb), *ct = open_with(&t, &lb);
    edb_request_info r1 = RI;
    r1.mnemonic = "SA_ZATTEST1";
    ck_assert(store(ca, &RI, body, body_len, 4096));
    ck_assert(store(ca, &r1, body, body_len, 4096));
    ck_assert(store(cb, &RI, body, body_len, 4096));
    ck_assert(store(ct, &RI, body, body_len, 4096));
    populated_bytes = size_of(entry_path(ca, &RI)) + size_of(entry_path(ca, &r1)) +
                      size_of(entry_path(cb, &RI)) + size_of(entry_path(ct, &RI));
    char real[4200], *xx = populated_xx;
    snprintf(real, sizeof real, "%s", entry_path(ca, &RI));
    snprintf(populated_entry, sizeof populated_entry, "%s", real);
    snprintf(xx, sizeof populated_xx, "%s", real);
    *strrchr(xx, '/') = '\0';
    /* Outside the cache: an entry (with the magic: a clear that followed links would
     * remove it) and a plain file. */
    sh("mkdir -p '%s' && cp '%s' '%s/copy.z' && echo keep > '%s/plain.txt'", in_tmp("victim"),
       real, in_tmp("victim"), in_tmp("victim"));
    const char *h64 = "0000000000000000000000000000000000000000000000000000000000000000";
    const char *f64 = "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff";
    sh("cd '%s' && ln -s '%s/copy.z' %s.z && echo notours > %s.z && mkfifo .tmp-%s-0123456789abcdef.fifo "
       "&& mkdir subdir && echo x > .tmp-notexactly && echo stale > .tmp-%s-0123456789abcdef",
       xx, in_tmp("victim"), h64, f64, h64, h64);
    sh("ln -s '%s' '%s/ee' && ln -s '%s' '%s/by-token/0123456789abcdef0123456789abcdef' && "
       "echo foreign > '%s/by-token/notes'",
       in_tmp("victim"), in_tmp("c/v1"), in_tmp("c"), in_tmp("c"), in_tmp("c"));
    edb_cache_free(ca);
    edb_cache_free(cb);
    edb_cache_free(ct);
}

START_TEST(listing)
{
    populate();
    /* A file with the magic and a header that does not read is listed as damaged. */
    logbuf lb = {0};
    edb_cache *c = open_plain(&lb);
    edb_request_info r4 = RI;
    r4.mnemonic = "SA_ZATTEST4";
    ck_assert(store(c, &r4, body, body_len, 4096));
    const char *p4 = entry_path(c, &r4);
    tu_write_file(p4, "EDBXCACHE1\nnot json\n", 20);
    edb_cache_free(c);
    listed l;
    memset(&l, 0, sizeof l);
    edb_err err = EDB_ERR_INIT;
    ck_assert_int_eq(edb_cache_list(in_tmp("c"), on_list, &l, &err), EDB_OK);
    ck_assert_int_eq(l.n, 5);
    ck_assert_int_eq(l.damaged, 1);
    qsort(l.names, 5, sizeof l.names[0], cmp_str);
    ck_assert_str_eq(l.names[0], "  ?");
    ck_assert_str_eq(l.names[1], "edp data SA_ZATTEST2");
    ck_assert_str_eq(l.names[2], "mast data SA_ZATTEST1");
    ck_assert_str_eq(l.names[3], "mast data SA_ZATTEST2");
    ck_assert_str_eq(l.names[4], "mast data SA_ZATTEST2");
    ck_assert_int_eq(l.last.start, RI.start);
    ck_assert_int_eq(l.last.end, RI.end);
    ck_assert_int_eq(l.last.stored, NOW);
    ck_assert_uint_eq(l.last.raw_bytes, body_len);
    struct stat sb;
    ck_assert_int_eq(stat(l.last_path, &sb), 0);
    ck_assert_str_eq(l.last_path, populated_entry);
    ck_assert_uint_eq(l.last.file_bytes, (uint64_t)sb.st_size);
    /* A folder that is not there lists nothing, without error. */
    memset(&l, 0, sizeof l);
    ck_assert_int_eq(edb_cache_list(in_tmp("nope"), on_list, &l, &err), EDB_OK);
    ck_assert_int_eq(l.n, 0);
}
END_TEST

START_TEST(clear_never_follows_links_nor_removes_foreign_files)
{
    populate();
    const char *tree = "cd '%s' && find . -printf '%%p %%y %%s\\n' | LC_ALL=C sort > '%s'";
    sh(tree, in_tmp("victim"), in_tmp("victim-before"));
    sh("cd '%s' && find . ! -name '.tmp-*-0123456789abcdef' ! -name \"$(basename '%s')\" "
       "-printf '%%p %%y\\n' | LC_ALL=C sort > '%s'", populated_xx, populated_entry,
       in_tmp("xx-before"));
    edb_cache_clear_stats cs;
    edb_err err = EDB_ERR_INIT;
    /* Entries stored at NOW are not older than NOW; the temporary is not a day old. */
    ck_assert_int_eq(edb_cache_clear(in_tmp("c"), NOW, &cs, &err), EDB_OK);
    ck_assert_uint_eq(cs.removed, 0);
    ck_assert_uint_eq(cs.bytes, 0);
    ck_assert_uint_eq(cs.foreign, POPULATED_FOREIGN);
    /* Two days old, the temporary is a killed writer's; the entries are older than now. */
    sh("cd '%s' && touch -d '2 days ago' .tmp-*-0123456789abcdef", populated_xx);
    ck_assert_int_eq(edb_cache_clear(in_tmp("c"), edb_time_now(), &cs, &err), EDB_OK);
    ck_assert_uint_eq(cs.removed, 4 + 1);
    ck_assert_uint_eq(cs.bytes, populated_bytes + 6); /* "stale\n" */
    ck_assert_uint_eq(cs.foreign, POPULATED_FOREIGN);
    /* Nothing outside was touched, nothing foreign inside removed, links left as links. */
    sh(tree, in_tmp("victim"), in_tmp("victim-after"));
    sh("cmp '%s' '%s'", in_tmp("victim-before"), in_tmp("victim-after"));
    sh("cd '%s' && find . -printf '%%p %%y\\n' | LC_ALL=C sort > '%s'", populated_xx,
       in_tmp("xx-after"));
    sh("cmp '%s' '%s'", in_tmp("xx-before"), in_tmp("xx-after"));
    sh("test -L '%s/ee' && test -L '%s/by-token/0123456789abcdef0123456789abcdef' && "
       "test -f '%s/by-token/notes' && test -f '%s/by-token/key'", in_tmp("c/v1"), in_tmp("c"),
       in_tmp("c"), in_tmp("c"));
    /* All of it, again: nothing of the cache's is left to remove. */
    ck_assert_int_eq(edb_cache_clear(in_tmp("c"), EDB_TIME_MAX, &cs, &err), EDB_OK);
    ck_assert_uint_eq(cs.removed, 0);
    ck_assert_uint_eq(cs.foreign, POPULATED_FOREIGN);
    /* Without a `before`, a young temporary goes too (clear means all). */
    sh("echo x > '%s/.tmp-%s-fedcba9876543210'", populated_xx,
       "0000000000000000000000000000000000000000000000000000000000000000");
    ck_assert_int_eq(edb_cache_clear(in_tmp("c"), EDB_TIME_MAX, &cs, &err), EDB_OK);
    ck_assert_uint_eq(cs.removed, 1);
}
END_TEST

/* ---- two writers ------------------------------------------------------------------------- */

START_TEST(two_processes_write_one_entry)
{
    pid_t pid[2];
    for (int k = 0; k < 2; k++) {
        pid[k] = fork();
        ck_assert_int_ge(pid[k], 0);
        if (pid[k] == 0) {
            logbuf lb = {0};
            edb_cache_options o = EDB_CACHE_OPTIONS_INIT;
            o.dir = in_tmp("c");
            o.base_url = "http://127.0.0.1:9/";
            o.now = NOW;
            o.refresh = 1;
            o.log = log_cb;
            o.log_ctx = &lb;
            edb_cache *c = NULL;
            edb_err err = EDB_ERR_INIT;
            if (edb_cache_open(&c, &o, &err) != EDB_OK)
                _exit(2);
            edb_reply_hooks h;
            edb_cache_hooks(c, &h);
            for (int round = 0; round < 60; round++) {
                void *t = h.tap_begin(h.ctx, &RI, 0);
                if (!t)
                    _exit(3);
                for (size_t off = 0; off < body_len; off += 97)
                    h.tap_write(t, body + off, body_len - off < 97 ? body_len - off : 97);
                h.tap_end(t, 1, 200, &err);
            }
            edb_cache_stats st;
            edb_cache_get_stats(c, &st);
            edb_cache_free(c);
            _exit(st.stored == 60 && lb.lines == 0 ? 0 : 4);
        }
    }
    /* Meanwhile, read: every lookup is a miss (not there yet) or the whole reply. */
    logbuf lb = {0};
    edb_cache *c = open_plain(&lb);
    for (int k = 0; k < 400; k++) {
        sink s = {0};
        int rc = lookup(c, &RI, &s);
        if (rc == 1) {
            ck_assert_uint_eq(s.len, body_len);
            ck_assert(memcmp(s.p, body, body_len) == 0);
        }
        free(s.p);
    }
    for (int k = 0; k < 2; k++) {
        int status;
        ck_assert_int_eq(waitpid(pid[k], &status, 0), pid[k]);
        ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "writer %d: %d", k, status);
    }
    edb_cache_stats st;
    edb_cache_get_stats(c, &st);
    ck_assert_uint_eq(st.dropped, 0);
    ck_assert_int_eq(lb.lines, 0);
    sink s = {0};
    ck_assert_int_eq(lookup(c, &RI, &s), 1);
    free(s.p);
    /* One entry, no temporary left. */
    sh("test \"$(find '%s' -type f | wc -l)\" = 1", in_tmp("c"));
    edb_cache_free(c);
}
END_TEST

/* ---- through the client, over HTTP ------------------------------------------------------- */

START_TEST(refetch_after_late_damage)
{
    edb_server_options so = EDB_SERVER_OPTIONS_INIT;
    char base[TU_BASE_LEN];
    edb_server *srv = tu_serve(so, tu_fixture("jwst-2021-01-26"), base);
    logbuf lb = {0};
    cache_opts co = {.base_url = base};
    edb_cache *c = open_with(&co, &lb);
    edb_reply_hooks h[2];
    edb_cache_hooks(c, &h[0]);
    edb_client_options o = EDB_CLIENT_OPTIONS_INIT;
    o.base_url = base;
    o.retries = 0;
    o.hooks = h;
    o.n_hooks = 2;
    static const char *const names[] = {"SA_ZATTEST1"};
    edb_query q = {.mnemonics = names, .n_mnemonics = 1, .start = T("2021-01-26T02:30:00"),
                   .end = T("2021-01-26T02:35:00")};
    edb_result *res[3] = {NULL, NULL, NULL};
    for (int k = 0; k < 3; k++) {
        /* A bundle's recorder beside the cache: it must keep one reply, the good one. */
        edb_recorder *rec = NULL;
        ck_assert_int_eq(edb_recorder_new(&rec, tmp), EDB_OK);
        edb_recorder_hooks(rec, &h[1]);
        edb_client *cl = NULL;
        ck_assert_int_eq(edb_client_new(&cl, &o), EDB_OK);
        ck_assert_msg(edb_client_fetch(cl, &q, &res[k]) == EDB_OK, "%s", edb_client_errmsg(cl));
        edb_client_free(cl);
        ck_assert_uint_eq(edb_recorder_count(rec), 1);
        edb_recorder_free(rec);
        ck_assert_uint_eq(edb_server_requests(srv), k == 0 ? 1u : 2u);
        if (k == 0) {
            /* A checksum that does not match: found only once every byte was fed. */
            edb_request_info ri = {.service = "mast", .kind = EDB_REQ_DATA,
                                   .mnemonic = "SA_ZATTEST1", .start = q.start, .end = q.end,
                                   .url = url, .uri_name = "x"};
            damage d = {"another checksum", SET, "sha256",
                        "\"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\"",
                        NULL};
            apply(entry_path(c, &ri), &d);
        }
    }
    /* Each time the same samples, once each: nothing fed from the damaged entry stayed. */
    const edb_series *a = edb_result_series(res[0], 0);
    ck_assert_uint_gt(a->n, 10);
    for (int k = 1; k < 3; k++) {
        const edb_series *b = edb_result_series(res[k], 0);
        ck_assert_uint_eq(b->n, a->n);
        ck_assert(memcmp(a->t, b->t, a->n * sizeof *a->t) == 0);
        ck_assert(memcmp(a->d, b->d, a->n * sizeof *a->d) == 0);
    }
    ck_assert_ptr_nonnull(strstr(lb.text, "its checksum does not match"));
    edb_cache_stats st;
    edb_cache_get_stats(c, &st);
    ck_assert_uint_eq(st.dropped, 1);
    ck_assert_uint_eq(st.hits, 1);
    ck_assert_uint_eq(st.stored, 2);
    for (int k = 0; k < 3; k++)
        edb_result_free(res[k]);
    edb_cache_free(c);
    edb_server_stop(srv);
}
END_TEST

/* A file size limit (a full disk, as far as write() can tell): the cache says which
 * entry file it was writing and the system's reason, and the run goes on.  In a child, so
 * that the limit and the ignored SIGXFSZ stay there. */
START_TEST(full_disk_names_the_entry_and_the_reason)
{
    logbuf lb = {{0}, 0, 0};
    edb_cache *c = open_plain(&lb);
    char *big = malloc(1 << 20);
    /* random-looking bytes: deflate cannot shrink them under the limit */
    uint32_t x = 12345;
    for (size_t k = 0; k < (1u << 20); k++) {
        x = x * 1103515245u + 12345u;
        big[k] = (char)(x >> 24);
    }
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        signal(SIGXFSZ, SIG_IGN);
        struct rlimit rl = {8192, 8192};
        setrlimit(RLIMIT_FSIZE, &rl);
        edb_reply_hooks h;
        edb_cache_hooks(c, &h);
        void *t = h.tap_begin(h.ctx, &RI, 0);
        for (size_t off = 0; t && off < (1u << 20); off += 65536)
            h.tap_write(t, big + off, 65536);
        edb_err err = EDB_ERR_INIT;
        int ok = t && h.tap_end(t, 1, 200, &err) == EDB_OK; /* never fails a run */
        FILE *f = fopen(in_tmp("log"), "w");
        fputs(lb.text, f);
        fclose(f);
        _exit(ok ? 0 : 1);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    size_t n;
    char *log = tu_read_file(in_tmp("log"), &n);
    ck_assert_msg(strstr(log, "cache: cannot store the reply (v1/") &&
                  strstr(log, ".z) for SA_ZATTEST2 in ") && strstr(log, "(File too large)"),
                  "%s", log);
    /* nothing half-written is left as an entry */
    edb_cache_stats st;
    edb_cache_get_stats(c, &st);
    ck_assert_int_eq(edb_cache_has(c, &RI), 0);
    free(log);
    free(big);
    edb_cache_free(c);
}
END_TEST

/* ---- reading entries ahead (issue 17, item 4) -------------------------------------------- */

#define RA_MNEM 6
#define RA_DAYS 4
#define RA_LAST (RA_DAYS * 96) /* the last sample, exactly on the last midnight */

typedef struct ra_run {
    edb_status st;
    char err[EDB_ERRMSG_SIZE];
    edb_result *res;
    logbuf lb;
    edb_cache_stats stats;
} ra_run;

static const char *ra_names[RA_MNEM] = {"SA_ZTEST0", "SA_ZTEST1", "SA_ZTEST2",
                                        "SA_ZTEST3", "SA_ZTEST4", "SA_ZTEST5"};
static volatile int ra_cancel;
static int ra_cancel_after; /* set the cancel flag at this "answered locally" line (0: never) */
static logbuf *ra_clog;

static void ra_client_log(void *ctx, const char *line)
{
    (void)ctx;
    if (strstr(line, "answered locally") && ra_cancel_after > 0 && --ra_cancel_after == 0)
        __atomic_store_n(&ra_cancel, 1, __ATOMIC_RELAXED); /* read by the read-ahead's threads */
    log_cb(ra_clog, line);
}

/* Every mnemonic over RA_DAYS days in daily chunks, from the cache in dir (offline or over
 * base), the read-ahead on `threads` threads (0: none). */
static void ra_fetch(const char *base, int offline, int threads, int keep_going, ra_run *out)
{
    memset(out, 0, sizeof *out);
    cache_opts co = {.base_url = base};
    logbuf cl = {0};
    edb_cache *c = open_with(&co, &out->lb);
    edb_reply_hooks h;
    edb_cache_hooks(c, &h);
    edb_client_options o = EDB_CLIENT_OPTIONS_INIT;
    o.base_url = base;
    o.retries = 0;
    o.parallel = 2;
    o.probe = 0;
    o.hooks = &h;
    o.n_hooks = 1;
    o.offline = offline;
    o.cancel = &ra_cancel;
    o.log = ra_client_log;
    ra_clog = &cl;
    edb_query q = {.mnemonics = ra_names, .n_mnemonics = RA_MNEM,
                   .start = TU_D0_MS * 1000, .end = (TU_D0_MS + RA_DAYS * TU_DAY_MS) * 1000,
                   .chunk_us = EDB_USEC_PER_DAY, .keep_going = keep_going};
    edb__cache_ahead_threads = threads;
    edb_client *cl_ = NULL;
    ck_assert_int_eq(edb_client_new(&cl_, &o), EDB_OK);
    out->st = edb_client_fetch(cl_, &q, &out->res);
    snprintf(out->err, sizeof out->err, "%s", out->st == EDB_OK ? "" : edb_client_errmsg(cl_));
    edb_client_free(cl_);
    edb__cache_ahead_threads = -1;
    edb_cache_get_stats(c, &out->stats);
    edb_cache_free(c);
    /* the client's lines after the cache's, for comparison as a whole */
    size_t room = sizeof out->lb.text - out->lb.len;
    int n = snprintf(out->lb.text + out->lb.len, room, "--\n%s", cl.text);
    if (n > 0 && (size_t)n < room)
        out->lb.len += (size_t)n;
}

static void ra_same(const ra_run *a, const ra_run *b)
{
    ck_assert_int_eq(a->st, b->st);
    ck_assert_str_eq(a->err, b->err);
    ck_assert_str_eq(a->lb.text, b->lb.text);
    ck_assert_uint_eq(a->stats.hits, b->stats.hits);
    ck_assert_uint_eq(a->stats.misses, b->stats.misses);
    ck_assert_uint_eq(a->stats.dropped, b->stats.dropped);
    ck_assert_uint_eq(a->stats.stored, b->stats.stored);
    ck_assert_int_eq(a->res != NULL, b->res != NULL);
    if (!a->res)
        return;
    ck_assert_uint_eq(edb_result_count(a->res), edb_result_count(b->res));
    for (size_t m = 0; m < edb_result_count(a->res); m++) {
        ck_assert_int_eq(edb_result_status(a->res, m), edb_result_status(b->res, m));
        const edb_series *x = edb_result_series(a->res, m), *y = edb_result_series(b->res, m);
        ck_assert_int_eq(x != NULL, y != NULL);
        if (!x)
            continue;
        ck_assert_str_eq(x->mnemonic, y->mnemonic);
        ck_assert_uint_eq(x->n, y->n);
        ck_assert(x->n == 0 || memcmp(x->t, y->t, x->n * sizeof *x->t) == 0);
        ck_assert(x->n == 0 || memcmp(x->d, y->d, x->n * sizeof *x->d) == 0);
    }
}

/* Mnemonic m's samples, exactly: SA_ZTEST<m>, samples 0..RA_LAST of the synthetic store. */
static void ra_expect(const edb_series *s, int m)
{
    char name[32];
    snprintf(name, sizeof name, "SA_ZTEST%d", m);
    ck_assert_str_eq(s->mnemonic, name);
    ck_assert_uint_eq(s->n, RA_LAST + 1);
    for (int k = 0; k <= RA_LAST; k++) {
        ck_assert(s->t[k] == (TU_D0_MS + k * TU_STEP_MS) * 1000);
        ck_assert(s->d[k] == tu_synthetic_value(m, k));
    }
}

static void ra_free(ra_run *r)
{
    edb_result_free(r->res);
    r->res = NULL;
}

typedef struct ra_pick {
    const char *mnemonic;
    edb_time start;
    char path[4096];
} ra_pick;

static int ra_find(void *ctx, const edb_cache_entry_info *e)
{
    ra_pick *p = ctx;
    if (strcmp(e->mnemonic, p->mnemonic) == 0 && e->start == p->start)
        snprintf(p->path, sizeof p->path, "%s", e->path);
    return 0;
}

/* The synthetic store served once through the cache, filling it (every sample checked),
 * then the server stopped: what follows is offline.  Returns the store's folder. */
static char *ra_fill(char base[TU_BASE_LEN])
{
    char *st = tu_synthetic_store(RA_MNEM, RA_DAYS);
    edb_server_options so = EDB_SERVER_OPTIONS_INIT;
    edb_server *srv = tu_serve(so, st, base);
    ra_run net;
    ra_fetch(base, 0, 0, 0, &net);
    ck_assert_msg(net.st == EDB_OK, "%s", net.err);
    ck_assert_uint_eq(net.stats.stored, RA_MNEM * RA_DAYS);
    for (int m = 0; m < RA_MNEM; m++)
        ra_expect(edb_result_series(net.res, (size_t)m), m);
    ra_free(&net);
    edb_server_stop(srv);
    return st;
}

/* --offline over several mnemonics x several days: the same samples, messages and counts
 * whatever the read-ahead's threads, and the same as over the network. */
START_TEST(read_ahead_same_result)
{
    char base[TU_BASE_LEN];
    char *st = ra_fill(base);
    ra_run ref, run;
    ra_fetch(base, 1, 0, 0, &ref);
    ck_assert_msg(ref.st == EDB_OK, "%s", ref.err);
    ck_assert_uint_eq(ref.stats.hits, RA_MNEM * RA_DAYS);
    for (int m = 0; m < RA_MNEM; m++)
        ra_expect(edb_result_series(ref.res, (size_t)m), m);
    for (int threads = 1; threads <= 4; threads++) {
        for (int rep = 0; rep < 3; rep++) {
            ra_fetch(base, 1, threads, 0, &run);
            ra_same(&ref, &run);
            ra_free(&run);
        }
    }
    ra_fetch(base, 1, -1, 0, &run); /* the default: one per core */
    ra_same(&ref, &run);
    ra_free(&run);
    ra_free(&ref);
    tu_rmtree(st);
    free(st);
}
END_TEST

/* A damaged entry among several: reported, dropped and failing (offline) exactly as without
 * the read-ahead, whether the fetch stops there or goes on (keep_going); the workers ahead
 * of it stop cleanly.  And an interrupt in the middle stops them too. */
START_TEST(read_ahead_damage_and_interrupt)
{
    char base[TU_BASE_LEN];
    char *st = ra_fill(base);
    ra_run ref, run;
    ra_pick p = {"SA_ZTEST2", (TU_D0_MS + TU_DAY_MS) * 1000, ""};
    ck_assert_int_eq(edb_cache_list(in_tmp("c"), ra_find, &p, NULL), EDB_OK);
    ck_assert_str_ne(p.path, "");
    static const damage dms[] = {
        {"another checksum", SET, "sha256",
         "\"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\"", NULL},
        {"stream cut", RAW, NULL, "cut", NULL},
    };
    for (size_t d = 0; d < sizeof dms / sizeof dms[0]; d++) {
        for (int keep_going = 0; keep_going <= 1; keep_going++) {
            sh("cp -p '%s' '%s'", p.path, in_tmp("good.z"));
            apply(p.path, &dms[d]);
            sh("cp -p '%s' '%s'", p.path, in_tmp("bad.z"));
            ra_fetch(base, 1, 0, keep_going, &ref);
            ck_assert_int_eq(ref.st, keep_going ? EDB_ERR_PARTIAL : EDB_ERR_NOT_FOUND);
            ck_assert_uint_eq(ref.stats.dropped, 1);
            ck_assert_ptr_nonnull(strstr(ref.lb.text, "dropped a damaged entry"));
            ck_assert(!tu_exists(p.path));
            if (keep_going) {
                ck_assert_int_eq(edb_result_status(ref.res, 2), EDB_ERR_NOT_FOUND);
                for (int m = 0; m < RA_MNEM; m++)
                    if (m != 2)
                        ra_expect(edb_result_series(ref.res, (size_t)m), m);
            }
            for (int threads = 1; threads <= 3; threads++) {
                sh("cp -p '%s' '%s'", in_tmp("bad.z"), p.path);
                ra_fetch(base, 1, threads, keep_going, &run);
                ra_same(&ref, &run);
                ra_free(&run);
            }
            ra_free(&ref);
            sh("cp -p '%s' '%s'", in_tmp("good.z"), p.path);
        }
    }
    /* Interrupted after the 1st, 5th and 13th answer: the fetch says so, and the workers
     * stop and free what they decoded (the sanitizers see to that). */
    static const int after[] = {1, 5, 13};
    for (size_t k = 0; k < sizeof after / sizeof after[0]; k++) {
        for (int threads = 0; threads <= 3; threads += 3) {
            ra_cancel = 0;
            ra_cancel_after = after[k];
            ra_fetch(base, 1, threads, 0, &run);
            ck_assert_int_eq(run.st, EDB_ERR_INTERRUPTED);
            ck_assert_uint_eq(run.stats.hits, (unsigned long)after[k]);
            ra_free(&run);
        }
    }
    ra_cancel = 0;
    ra_cancel_after = 0;
    tu_rmtree(st);
    free(st);
}
END_TEST

static Suite *cache_suite(void)
{
    Suite *s = suite_create("cache");
    TCase *t = tcase_create("cache");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_set_timeout(t, 60);
    tcase_add_test(t, round_trip_byte_exact);
    tcase_add_test(t, lookup_streams_in_pieces);
    tcase_add_test(t, empty_reply_round_trip);
    tcase_add_loop_test(t, damaged_entry_every_field, 0, sizeof DAMAGES / sizeof DAMAGES[0]);
    tcase_add_test(t, damage_found_after_feeding);
    tcase_add_test(t, stop_feeding_still_checks);
    tcase_add_test(t, two_services_never_mix);
    tcase_add_test(t, per_token_folders);
    tcase_add_test(t, open_refusals);
    tcase_add_test(t, has_reads_only_the_header);
    tcase_add_test(t, settle_rule);
    tcase_add_test(t, refresh_replaces);
    tcase_add_test(t, incomplete_replies_not_stored);
    tcase_add_test(t, entries_never_read_or_written_through_links);
    tcase_add_test(t, listing);
    tcase_add_test(t, clear_never_follows_links_nor_removes_foreign_files);
    tcase_add_test(t, two_processes_write_one_entry);
    tcase_add_test(t, refetch_after_late_damage);
    tcase_add_test(t, full_disk_names_the_entry_and_the_reason);
    tcase_add_test(t, read_ahead_same_result);
    tcase_add_test(t, read_ahead_damage_and_interrupt);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(cache_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
