/* test_archive.c: reading archives under the safety rules (edb/archive.c), into memory and
 * in pieces, and writing them reproducibly.  Archives to read are made by Python's
 * tarfile and by tar itself; archives written are read back by Python. */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <edb/archive.h>
#include <edb/store.h>

#include "testutil.h"

static char *tmp;

static void setup(void)
{
    tmp = tu_mkdtemp();
}

static void teardown(void)
{
    tu_rmtree(tmp);
    free(tmp);
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

/* A tar written by Python: CODE adds members to t (helpers f(name, data), d(name)). */
static void py_tar(const char *path, const char *code)
{
    sh("/usr/bin/python3 - '%s' <<'EOF'\n"
       "import io, sys, tarfile\n"
       "t = tarfile.open(sys.argv[1], 'w:gz')\n"
       "def f(n, data=b''):\n"
       "    i = tarfile.TarInfo(n); i.size = len(data); t.addfile(i, io.BytesIO(data))\n"
       "def d(n):\n"
       "    i = tarfile.TarInfo(n); i.type = tarfile.DIRTYPE; t.addfile(i)\n"
       "%s\n"
       "t.close()\n"
       "EOF", path, code);
}

static edb_status load(const char *path, const edb_archive_limits *lim, edb_archive **a,
                       edb_err *e)
{
    *a = NULL;
    edb_err_clear(e);
    return edb_archive_load(a, path, lim, e);
}

/* issue 15 item 6: `tar -czf store.tar.gz -C dir .` writes "./" and "./name" entries. */
START_TEST(dot_slash_entries_are_the_plain_names)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", tu_fixture("jwst-2021-01-26"));
    sh("tar -czf '%s' -C '%s' .", in_tmp("store.tar.gz"), dir);
    sh("tar -tzf '%s' | grep -q '^\\./$'", in_tmp("store.tar.gz")); /* it does hold "./" */
    /* The files of the folder, counted by the shell. */
    sh("ls -A '%s' | wc -l > '%s'", dir, in_tmp("count"));
    char *count = tu_read_file(in_tmp("count"), NULL);
    ck_assert_ptr_nonnull(count);
    edb_archive *a;
    edb_err e = EDB_ERR_INIT;
    ck_assert_msg(load(in_tmp("store.tar.gz"), NULL, &a, &e) == EDB_OK, "%s", e.msg);
    ck_assert_uint_eq(edb_archive_count(a), strtoul(count, NULL, 10));
    free(count);
    ck_assert_int_ge(edb_archive_find(a, "meta.json"), 0);
    ck_assert_int_ge(edb_archive_find(a, "sa_zattest1_data.json"), 0);
    for (size_t k = 0; k < edb_archive_count(a); k++)
        ck_assert_msg(strncmp(edb_archive_name(a, k), "./", 2) != 0, "%s",
                      edb_archive_name(a, k));
    edb_archive_free(a);
    /* And it is a store that answers as the folder does. */
    edb_store *s1 = NULL, *s2 = NULL;
    ck_assert_msg(edb_store_open(&s1, in_tmp("store.tar.gz"), &e) == EDB_OK, "%s", e.msg);
    ck_assert_msg(edb_store_open(&s2, dir, &e) == EDB_OK, "%s", e.msg);
    edb_series *x = NULL, *y = NULL;
    ck_assert_int_eq(edb_store_query(s1, "SA_ZATTEST1", EDB_TIME_MIN + 1, EDB_TIME_MAX - 1, 0,
                                     &x, &e), EDB_OK);
    ck_assert_int_eq(edb_store_query(s2, "SA_ZATTEST1", EDB_TIME_MIN + 1, EDB_TIME_MAX - 1, 0,
                                     &y, &e), EDB_OK);
    ck_assert_uint_gt(x->n, 0);
    ck_assert_uint_eq(x->n, y->n);
    ck_assert(memcmp(x->t, y->t, x->n * sizeof *x->t) == 0);
    edb_series_free(x);
    edb_series_free(y);
    edb_store_free(s1);
    edb_store_free(s2);
}
END_TEST

/* issue 15 item 6: 80,000 empty entries are looked up by hash (every one is found where it
 * is), and a cap on the count of entries refuses more. */
START_TEST(many_entries_found_by_hash_and_capped)
{
    py_tar(in_tmp("many.tar.gz"), "for k in range(80000): f('e/%05d' % k, b'%d' % k)");
    edb_archive *a;
    edb_err e = EDB_ERR_INIT;
    ck_assert_msg(load(in_tmp("many.tar.gz"), NULL, &a, &e) == EDB_OK, "%s", e.msg);
    ck_assert_uint_eq(edb_archive_count(a), 80000);
    for (int k = 0; k < 80000; k += 7) {
        char name[32], want[16];
        snprintf(name, sizeof name, "e/%05d", k);
        snprintf(want, sizeof want, "%d", k);
        long i = edb_archive_find(a, name);
        ck_assert_int_ge(i, 0);
        size_t len;
        const char *data = edb_archive_data(a, (size_t)i, &len);
        ck_assert_uint_eq(len, strlen(want));
        ck_assert(memcmp(data, want, len) == 0);
    }
    ck_assert_int_eq(edb_archive_find(a, "e/80000"), -1);
    ck_assert_int_eq(edb_archive_find(a, "e/0000"), -1);
    edb_archive_free(a);

    edb_archive_limits lim = EDB_ARCHIVE_LIMITS_INIT;
    lim.entries_max = 1000;
    py_tar(in_tmp("1000.tar.gz"), "for k in range(1000): f('%d' % k)");
    ck_assert_msg(load(in_tmp("1000.tar.gz"), &lim, &a, &e) == EDB_OK, "%s", e.msg);
    edb_archive_free(a);
    py_tar(in_tmp("1001.tar.gz"), "for k in range(1001): f('%d' % k)");
    ck_assert_int_eq(load(in_tmp("1001.tar.gz"), &lim, &a, &e), EDB_ERR_DATA);
    ck_assert_msg(strstr(e.msg, "more than 1000 entries: refused"), "%s", e.msg);
    /* Folders count: they cost time as files do. */
    py_tar(in_tmp("dirs.tar.gz"), "for k in range(999): f('%d' % k)\nd('x'); d('y')");
    ck_assert_int_eq(load(in_tmp("dirs.tar.gz"), &lim, &a, &e), EDB_ERR_DATA);
}
END_TEST

START_TEST(names_with_one_spelling_only)
{
    static const char *const cases[][2] = {
        {"f('a.json'); f('a.json')", "'a.json' appears twice"},
        {"f('./a.json'); f('a.json')", "'a.json' appears twice"},
        {"f('a//b.json')", "'a//b.json' has an empty or '.' component"},
        {"f('a/./b.json')", "'a/./b.json' has an empty or '.' component"},
        {"d('../up/')", "'../up/' has a '..' component"},
        {"f('.')", "'.' has an empty or '.' component"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        py_tar(in_tmp("n.tar.gz"), cases[k][0]);
        edb_archive *a;
        edb_err e = EDB_ERR_INIT;
        ck_assert_int_eq(load(in_tmp("n.tar.gz"), NULL, &a, &e), EDB_ERR_DATA);
        ck_assert_ptr_null(a);
        ck_assert_msg(strstr(e.msg, cases[k][1]) && strstr(e.msg, "refused"), "%s: %s",
                      cases[k][0], e.msg);
    }
    /* The root folder, folders and "./" prefixes are fine. */
    py_tar(in_tmp("ok.tar.gz"), "d('.'); d('./'); d('./x/'); f('./x/a.json', b'{}')");
    edb_archive *a;
    edb_err e = EDB_ERR_INIT;
    ck_assert_msg(load(in_tmp("ok.tar.gz"), NULL, &a, &e) == EDB_OK, "%s", e.msg);
    ck_assert_uint_eq(edb_archive_count(a), 1);
    ck_assert_str_eq(edb_archive_name(a, 0), "x/a.json");
    edb_archive_free(a);
}
END_TEST

/* Large entries are not held at load: streamed from the archive when asked, with the
 * same bytes; small ones are held (up to hold_max in all). */
typedef struct collect {
    char *p;
    size_t n, pieces, max_piece;
} collect;

static int collect_feed(void *ctx, const char *data, size_t len)
{
    collect *c = ctx;
    memcpy(c->p + c->n, data, len);
    c->n += len;
    c->pieces++;
    if (len > c->max_piece)
        c->max_piece = len;
    return 0;
}

START_TEST(large_entries_are_streamed_not_held)
{
    sh("/usr/bin/python3 - '%s' '%s' <<'EOF'\n"
       "import io, random, sys, tarfile\n"
       "random.seed(11); data = bytes(random.getrandbits(8) for _ in range(300000))\n"
       "open(sys.argv[2], 'wb').write(data)\n"
       "with tarfile.open(sys.argv[1], 'w:gz') as t:\n"
       "    for n, d in (('a', b'abc'), ('big', data), ('b', b'0123456789')):\n"
       "        i = tarfile.TarInfo(n); i.size = len(d); t.addfile(i, io.BytesIO(d))\n"
       "EOF", in_tmp("h.tar.gz"), in_tmp("big"));
    size_t want_len;
    char *want = tu_read_file(in_tmp("big"), &want_len);
    ck_assert_uint_eq(want_len, 300000);
    edb_archive_limits lim = EDB_ARCHIVE_LIMITS_INIT;
    lim.hold_max = 100; /* 'a' (3 bytes) and 'b' (10) fit; 'big' does not */
    edb_archive *a = NULL;
    edb_err e = EDB_ERR_INIT;
    ck_assert_msg(edb_archive_load(&a, in_tmp("h.tar.gz"), &lim, &e) == EDB_OK, "%s", e.msg);
    ck_assert_uint_eq(edb_archive_count(a), 3);
    size_t len = 0;
    ck_assert_ptr_null(edb_archive_data(a, 1, &len));
    ck_assert_uint_eq(len, 300000);
    ck_assert_ptr_nonnull(edb_archive_data(a, 2, &len));
    ck_assert_uint_eq(len, 10);
    collect c = {malloc(300000), 0, 0, 0};
    int stopped = 1;
    ck_assert_msg(edb_archive_stream(a, (size_t)edb_archive_find(a, "big"), collect_feed, &c,
                                     &stopped, &e) == EDB_OK, "%s", e.msg);
    ck_assert_int_eq(stopped, 0);
    ck_assert_uint_eq(c.n, 300000);
    ck_assert(memcmp(c.p, want, 300000) == 0);
    ck_assert_uint_le(c.max_piece, 65536);
    ck_assert_uint_ge(c.pieces, 5); /* 300000 / 65536 rounded up */
    c.n = 0;
    ck_assert_int_eq(edb_archive_stream(a, 2, collect_feed, &c, NULL, &e), EDB_OK);
    ck_assert_uint_eq(c.n, 10);
    ck_assert(memcmp(c.p, "0123456789", 10) == 0);
    /* the archive replaced under the same name: refused, never other bytes */
    sh("/usr/bin/python3 - '%s' <<'EOF'\n"
       "import io, sys, tarfile\n"
       "with tarfile.open(sys.argv[1], 'w:gz') as t:\n"
       "    for n, d in (('a', b'abc'), ('other', b'x' * 300000)):\n"
       "        i = tarfile.TarInfo(n); i.size = len(d); t.addfile(i, io.BytesIO(d))\n"
       "EOF", in_tmp("h.tar.gz"));
    c.n = 0;
    ck_assert_int_eq(edb_archive_stream(a, 1, collect_feed, &c, NULL, &e), EDB_ERR_DATA);
    ck_assert_msg(strstr(e.msg, "changed since it was opened"), "%s", e.msg);
    edb_archive_free(a);
    free(c.p);
    free(want);
}
END_TEST

/* .tar.xz is inflated by archive.c itself (issue 17, item 3): concatenated xz streams read
 * as one tar, as xz(1) reads them; a cut or damaged stream is refused with what is wrong
 * and never yields the lost bytes; a .tar.xz that is not xz inside is read for what it is. */
static char *read_entry(const char *path, const char *want_name, size_t *len, edb_err *e)
{
    edb_archive_reader *r = NULL;
    if (edb_archive_reader_open(&r, path, NULL, e) != EDB_OK)
        return NULL;
    const char *name;
    char *p = malloc(1 << 21);
    *len = 0;
    edb_status st;
    while ((st = edb_archive_reader_next(r, &name, e)) == EDB_OK && name &&
           strcmp(name, want_name) != 0)
        ;
    size_t piece = 0;
    while (st == EDB_OK && name &&
           (st = edb_archive_reader_read(r, p + *len, 65536, &piece, e)) == EDB_OK && piece)
        *len += piece;
    edb_archive_reader_free(r);
    if (st != EDB_OK || !name) {
        free(p);
        return NULL;
    }
    return p;
}

START_TEST(issue17_3_xz_streams)
{
    sh("/usr/bin/python3 - '%s' <<'EOF'\n"
       "import io, lzma, random, sys, tarfile\n"
       "random.seed(11); data = bytes(random.getrandbits(8) for _ in range(300000))\n"
       "b = io.BytesIO()\n"
       "with tarfile.open(fileobj=b, mode='w') as t:\n"
       "    for n, d in (('a', data), ('b', b'tail')):\n"
       "        i = tarfile.TarInfo(n); i.size = len(d); t.addfile(i, io.BytesIO(d))\n"
       "raw = b.getvalue(); h = len(raw) // 2\n"
       "d = sys.argv[1]\n"
       "open(d + '/data', 'wb').write(data)\n"
       "one = lzma.compress(raw, preset=6)\n"
       "open(d + '/two.tar.xz', 'wb').write(lzma.compress(raw[:h]) + lzma.compress(raw[h:]))\n"
       "open(d + '/cut.tar.xz', 'wb').write(one[:len(one) * 2 // 3])\n"
       "bad = bytearray(one); bad[len(bad) // 2] ^= 0x55\n"
       "open(d + '/bad.tar.xz', 'wb').write(bytes(bad))\n"
       "open(d + '/plain.tar.xz', 'wb').write(raw)\n"
       "EOF", tmp);
    size_t want_len, len;
    char *want = tu_read_file(in_tmp("data"), &want_len);
    edb_err e = EDB_ERR_INIT;
    const char *ok[] = {"two.tar.xz", "plain.tar.xz"};
    for (int k = 0; k < 2; k++) {
        char *got = read_entry(in_tmp(ok[k]), "a", &len, &e);
        ck_assert_msg(got, "%s: %s", ok[k], e.msg);
        ck_assert_uint_eq(len, want_len);
        ck_assert(memcmp(got, want, len) == 0);
        free(got);
        got = read_entry(in_tmp(ok[k]), "b", &len, &e);
        ck_assert_msg(got, "%s: %s", ok[k], e.msg);
        ck_assert_uint_eq(len, 4);
        ck_assert(memcmp(got, "tail", 4) == 0);
        free(got);
    }
    const char *why[] = {"cut.tar.xz", "entry 'a' cannot be read", "bad.tar.xz",
                         "entry 'a' cannot be read"};
    for (int k = 0; k < 4; k += 2) {
        e = (edb_err)EDB_ERR_INIT;
        char *got = read_entry(in_tmp(why[k]), "a", &len, &e);
        ck_assert_ptr_null(got);
        ck_assert_int_eq(e.status, EDB_ERR_DATA);
        ck_assert_msg(strstr(e.msg, why[k + 1]) && strstr(e.msg, why[k]) &&
                          strstr(e.msg, "the archive is cut short or damaged"),
                      "%s", e.msg);
    }
    /* the store's way: loaded, then 'a' (not held) streamed again from the file */
    edb_archive_limits lim = EDB_ARCHIVE_LIMITS_INIT;
    lim.hold_max = 100;
    edb_archive *a = NULL;
    ck_assert_msg(edb_archive_load(&a, in_tmp("two.tar.xz"), &lim, &e) == EDB_OK, "%s", e.msg);
    ck_assert_int_eq(edb_archive_find(a, "a"), 0);
    ck_assert_ptr_null(edb_archive_data(a, 0, &len));
    collect c = {malloc(want_len), 0, 0, 0};
    ck_assert_int_eq(edb_archive_stream(a, 0, collect_feed, &c, NULL, &e), EDB_OK);
    ck_assert_uint_eq(c.n, want_len);
    ck_assert(memcmp(c.p, want, want_len) == 0);
    edb_archive_free(a);
    free(c.p);
    free(want);
}
END_TEST

START_TEST(reader_gives_entries_in_pieces)
{
    /* 1 MiB of bytes from a seeded generator, written by Python beside the tar too. */
    sh("/usr/bin/python3 - '%s' '%s' <<'EOF'\n"
       "import io, random, sys, tarfile\n"
       "random.seed(7); data = bytes(random.getrandbits(8) for _ in range(1 << 20))\n"
       "open(sys.argv[2], 'wb').write(data)\n"
       "with tarfile.open(sys.argv[1], 'w:xz') as t:\n"
       "    for n, d in (('small', b'abc'), ('big', data), ('empty', b'')):\n"
       "        i = tarfile.TarInfo(n); i.size = len(d); t.addfile(i, io.BytesIO(d))\n"
       "EOF", in_tmp("p.tar.xz"), in_tmp("big"));
    size_t want_len;
    char *want = tu_read_file(in_tmp("big"), &want_len);
    ck_assert_uint_eq(want_len, 1 << 20);
    edb_archive_reader *r = NULL;
    edb_err e = EDB_ERR_INIT;
    ck_assert_msg(edb_archive_reader_open(&r, in_tmp("p.tar.xz"), NULL, &e) == EDB_OK, "%s",
                  e.msg);
    const char *names[] = {"small", "big", "empty"};
    size_t sizes[] = {3, 1 << 20, 0};
    char *got = malloc((1 << 20) + 1000);
    for (int k = 0; k < 3; k++) {
        const char *name;
        ck_assert_int_eq(edb_archive_reader_next(r, &name, &e), EDB_OK);
        ck_assert_str_eq(name, names[k]);
        size_t n = 0, piece;
        do {
            ck_assert_int_eq(edb_archive_reader_read(r, got + n, 1000, &piece, &e), EDB_OK);
            ck_assert_uint_le(piece, 1000);
            n += piece;
        } while (piece);
        ck_assert_uint_eq(n, sizes[k]);
        if (k == 0)
            ck_assert(memcmp(got, "abc", 3) == 0);
        if (k == 1)
            ck_assert(memcmp(got, want, want_len) == 0);
    }
    const char *name = "x";
    ck_assert_int_eq(edb_archive_reader_next(r, &name, &e), EDB_OK);
    ck_assert_ptr_null(name);
    edb_archive_reader_free(r);
    free(got);
    free(want);
    /* Unpacked bytes are counted against the limits as they come. */
    edb_archive_limits lim = EDB_ARCHIVE_LIMITS_INIT;
    lim.total_max = 1000;
    ck_assert_int_eq(edb_archive_reader_open(&r, in_tmp("p.tar.xz"), &lim, &e), EDB_OK);
    char buf[65536];
    size_t piece;
    ck_assert_int_eq(edb_archive_reader_next(r, &name, &e), EDB_OK);
    ck_assert_int_eq(edb_archive_reader_read(r, buf, sizeof buf, &piece, &e), EDB_OK);
    ck_assert_int_eq(edb_archive_reader_read(r, buf, sizeof buf, &piece, &e), EDB_OK);
    ck_assert_uint_eq(piece, 0);
    ck_assert_int_eq(edb_archive_reader_next(r, &name, &e), EDB_OK);
    ck_assert_int_eq(edb_archive_reader_read(r, buf, sizeof buf, &piece, &e), EDB_ERR_DATA);
    ck_assert_msg(strstr(e.msg, "by entry 'big'") && strstr(e.msg, "limit 1000"), "%s", e.msg);
    edb_archive_reader_free(r);
}
END_TEST

/* The same files and time give the same bytes, whatever the clock, in every container;
 * what Python reads back is what was asked: the order, owner 0, mode 0644, the time. */
START_TEST(writing_is_reproducible)
{
    setenv("TZ", "UTC0", 1); /* a zip's DOS fields are local time */
    tzset();
    char payload[4200];
    snprintf(payload, sizeof payload, "%s", in_tmp("payload"));
    tu_write_file(payload, "from a file\n", 12);
    edb_archive_file files[] = {
        {"manifest.json", "{}", 2, NULL},
        {"b/z.txt", NULL, 12, payload},
        {"a.txt", "data", 4, NULL},
    };
    edb_archive_write_options o = EDB_ARCHIVE_WRITE_OPTIONS_INIT;
    o.mtime = INT64_C(1600000000) * 1000000 + 999999; /* sub-second parts are dropped */
    const char *exts[] = {"tar", "tar.gz", "tgz", "tar.xz", "zip"};
    for (size_t k = 0; k < 5; k++) {
        char a[64], b[64];
        snprintf(a, sizeof a, "one.%s", exts[k]);
        snprintf(b, sizeof b, "two.%s", exts[k]);
        edb_err e = EDB_ERR_INIT;
        ck_assert_msg(edb_archive_write(in_tmp(a), files, 3, &o, &e) == EDB_OK, "%s", e.msg);
    }
    sleep(2); /* another second on the clock (and two for the zip's 2 s DOS time) */
    for (size_t k = 0; k < 5; k++) {
        char a[64], b[64];
        snprintf(a, sizeof a, "one.%s", exts[k]);
        snprintf(b, sizeof b, "two.%s", exts[k]);
        edb_err e = EDB_ERR_INIT;
        ck_assert_msg(edb_archive_write(in_tmp(b), files, 3, &o, &e) == EDB_OK, "%s", e.msg);
        size_t la, lb;
        char *x = tu_read_file(in_tmp(a), &la), *y = tu_read_file(in_tmp(b), &lb);
        ck_assert_msg(x && y && la == lb && memcmp(x, y, la) == 0, "%s: not byte-identical",
                      exts[k]);
        free(x);
        free(y);
    }
    sh("cd '%s' && /usr/bin/python3 - <<'EOF'\n"
       "import tarfile, zipfile, struct\n"
       "want = [('manifest.json', b'{}'), ('b/z.txt', b'from a file\\n'), ('a.txt', b'data')]\n"
       "for ext in ('tar', 'tar.gz', 'tgz', 'tar.xz'):\n"
       "    with tarfile.open('one.' + ext) as t:\n"
       "        ms = t.getmembers()\n"
       "        assert [(m.name, t.extractfile(m).read()) for m in ms] == want, ext\n"
       "        for m in ms:\n"
       "            assert (m.uid, m.gid, m.uname, m.gname, m.mode, m.mtime) == "
       "(0, 0, '', '', 0o644, 1600000000), (ext, m.uid, m.gid, m.uname, m.gname, m.mode, m.mtime)\n"
       "for ext in ('tar.gz', 'tgz'):\n"
       "    h = open('one.' + ext, 'rb').read(10)\n"
       "    assert h[3] & 0x08 == 0, 'a gzip name'\n"
       "    assert struct.unpack('<I', h[4:8])[0] == 0, 'a gzip time'\n"
       "with zipfile.ZipFile('one.zip') as z:\n"
       "    assert [(i.filename, z.read(i)) for i in z.infolist()] == want\n"
       "    for i in z.infolist():\n"
       "        assert i.date_time == (2020, 9, 13, 12, 26, 40), i.date_time\n"
       "        assert i.external_attr >> 16 == 0o100644, oct(i.external_attr >> 16)\n"
       "        assert struct.pack('<I', 1600000000) in i.extra, i.extra\n"
       "EOF", tmp);
}
END_TEST

static volatile int stop_flag;

static void stop_after_first(void *ctx, const char *name)
{
    int *seen = ctx;
    if ((*seen)++ == 1)
        stop_flag = 1;
    (void)name;
}

START_TEST(writing_stops_when_asked_and_leaves_nothing)
{
    char big[1 << 16];
    memset(big, 'x', sizeof big);
    char src[4200];
    snprintf(src, sizeof src, "%s", in_tmp("src"));
    tu_write_file(src, big, sizeof big);
    edb_archive_file files[] = {{"a", "1", 1, NULL}, {"b", NULL, sizeof big, src},
                                {"c", "3", 1, NULL}};
    int seen = 0;
    edb_archive_write_options o = EDB_ARCHIVE_WRITE_OPTIONS_INIT;
    o.cancel = &stop_flag;
    o.on_entry = stop_after_first;
    o.ctx = &seen;
    edb_err e = EDB_ERR_INIT;
    stop_flag = 0;
    ck_assert_int_eq(edb_archive_write(in_tmp("x.tar.gz"), files, 3, &o, &e), EDB_ERR_INTERRUPTED);
    ck_assert_int_eq(seen, 2);
    /* A file that is not the size announced is refused too. */
    files[1].len = 10;
    stop_flag = 0;
    o.cancel = NULL;
    o.on_entry = NULL;
    edb_err_clear(&e);
    ck_assert_int_eq(edb_archive_write(in_tmp("y.zip"), files, 3, &o, &e), EDB_ERR_IO);
    ck_assert_msg(strstr(e.msg, "grew while it was copied"), "%s", e.msg);
    /* Nothing but the source is left: no archive, no temporary file. */
    tu_run ls;
    const char *args[] = {"/bin/ls", "-A", tmp, NULL};
    tu_run_cmd(&ls, args, NULL);
    ck_assert_str_eq(ls.out, "src\n");
    tu_run_free(&ls);
    edb_err_clear(&e);
    ck_assert_int_eq(edb_archive_write(in_tmp("x.rar"), files, 3, NULL, &e), EDB_ERR_USAGE);
}
END_TEST

static Suite *archive_suite(void)
{
    Suite *s = suite_create("archive");
    TCase *t = tcase_create("archive");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_set_timeout(t, 120);
    tcase_add_test(t, dot_slash_entries_are_the_plain_names);
    tcase_add_test(t, many_entries_found_by_hash_and_capped);
    tcase_add_test(t, large_entries_are_streamed_not_held);
    tcase_add_test(t, names_with_one_spelling_only);
    tcase_add_test(t, reader_gives_entries_in_pieces);
    tcase_add_test(t, issue17_3_xz_streams);
    tcase_add_test(t, writing_is_reproducible);
    tcase_add_test(t, writing_stops_when_asked_and_leaves_nothing);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(archive_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
