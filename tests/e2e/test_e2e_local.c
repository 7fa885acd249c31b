/* test_e2e_local.c: local sources, the reply cache and bundles, end to end.
 *
 * Archives are made here with Python's tarfile and zipfile (not with edbx's own code),
 * the reference samples come from edb_server over HTTP, and requests are counted at the
 * server. */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <edb/edb.h>
#include <edb/writer.h>

#include "testutil.h"

static char *tmp;
static edb_server *srv;
static char base[TU_BASE_LEN];

static void setup(void)
{
    tmp = tu_mkdtemp();
}

static void teardown(void)
{
    edb_server_stop(srv);
    srv = NULL;
    tu_rmtree(tmp);
    free(tmp);
}

static const char *fixture(void)
{
    static char p[4096];
    snprintf(p, sizeof p, "%s", tu_fixture("jwst-2021-01-26"));
    return p;
}

static void serve_store(const char *store, const char *token)
{
    edb_server_options so = EDB_SERVER_OPTIONS_INIT;
    so.token = token;
    srv = tu_serve(so, store, base);
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

static int run(tu_run *r, const char *const *args, const char *extra_env)
{
    const char *env[] = {extra_env, NULL};
    return tu_edbx_run(r, tmp, base, args, env);
}

/* ---- fetching with the library ----------------------------------------------------- */

static const char *const NAMES[] = {"SA_ZATTEST1", "SA_ZFGDETID", "INRSI_GWA_Y_TILT_AVGED",
                                    "SA_ZADUCMDX"};

static edb_result *fetch(const char *base_url, const edb_reply_hooks *hooks, size_t n_hooks,
                         int offline, edb_time a, edb_time b, int brackets)
{
    edb_client_options o = EDB_CLIENT_OPTIONS_INIT;
    o.base_url = base_url;
    o.retries = 0;
    o.hooks = hooks;
    o.n_hooks = n_hooks;
    o.offline = offline;
    edb_client *c = NULL;
    ck_assert_int_eq(edb_client_new(&c, &o), EDB_OK);
    edb_query q = {.mnemonics = NAMES, .n_mnemonics = 4, .start = a, .end = b,
                   .keep_brackets = brackets, .chunk_us = EDB_USEC_PER_DAY};
    edb_result *r = NULL;
    edb_status st = edb_client_fetch(c, &q, &r);
    ck_assert_msg(st == EDB_OK, "%s", edb_client_errmsg(c));
    edb_client_free(c);
    return r;
}

static void same_series(const edb_result *x, const edb_result *y, const char *what)
{
    ck_assert_uint_eq(edb_result_count(x), edb_result_count(y));
    for (size_t k = 0; k < edb_result_count(x); k++) {
        const edb_series *a = edb_result_series(x, k), *b = edb_result_series(y, k);
        ck_assert_msg(a->n == b->n, "%s: %s: %zu samples, serve gives %zu", what, a->mnemonic,
                      b->n, a->n);
        ck_assert_int_eq(a->vtype, b->vtype);
        ck_assert_str_eq(a->sqltype, b->sqltype);
        for (size_t j = 0; j < a->n; j++) {
            ck_assert_msg(a->t[j] == b->t[j], "%s: %s[%zu] time differs", what, a->mnemonic, j);
            if (a->vtype == EDB_VT_REAL)
                ck_assert_msg(memcmp(&a->d[j], &b->d[j], sizeof(double)) == 0, "%s: value", what);
            else if (a->vtype == EDB_VT_INT)
                ck_assert(a->i[j] == b->i[j]);
        }
    }
}

static edb_time T(const char *s)
{
    edb_time t;
    edb_err e = EDB_ERR_INIT;
    ck_assert_msg(edb_time_parse(s, 0, &t, &e) == EDB_OK, "%s", e.msg);
    return t;
}

static edb_result *fetch_from_store(const char *path, edb_time a, edb_time b, int brackets)
{
    edb_store *st = NULL;
    edb_err e = EDB_ERR_INIT;
    ck_assert_msg(edb_store_open(&st, path, &e) == EDB_OK, "%s: %s", path, e.msg);
    edb_reply_hooks h;
    edb_store_hooks(st, &h);
    edb_result *r = fetch("http://127.0.0.1:9/", &h, 1, 1, a, b, brackets);
    edb_store_free(st);
    return r;
}

/* Python's tarfile/zipfile make the archives: an independent writer. */
static void pack(const char *dir, const char *archive)
{
    sh("cd '%s' && /usr/bin/python3 - '%s' <<'EOF'\n"
       "import os, sys, tarfile, zipfile\n"
       "out = sys.argv[1]\n"
       "names = sorted(os.listdir('.'))\n"
       "if out.endswith('.zip'):\n"
       "    with zipfile.ZipFile(out, 'w', zipfile.ZIP_DEFLATED) as z:\n"
       "        for n in names: z.write(n, 'rec/' + n)\n"
       "else:\n"
       "    mode = {'.tar': 'w', '.gz': 'w:gz', '.tgz': 'w:gz', '.xz': 'w:xz'}[os.path.splitext(out)[1]]\n"
       "    with tarfile.open(out, mode) as t:\n"
       "        for n in names: t.add(n, n)\n"
       "EOF", dir, archive);
}

START_TEST(every_source_kind_gives_what_serve_gives)
{
    serve_store(fixture(), NULL);
    /* Ranges: inside, across the recording's start (brackets on one side only), one
     * that holds no sample of the sparse mnemonics. */
    const char *ranges[][2] = {{"2021-01-26T02:30:00", "2021-01-26T02:31:00.5"},
                               {"2021-01-26T00:00:00", "2021-01-26T02:29:05"},
                               {"2021-01-26T02:35:10", "2021-01-26T02:35:12"}};
    const char *kinds[] = {"store.tar", "store.tar.gz", "store.tgz", "store.tar.xz", "store.zip"};
    for (size_t k = 0; k < 5; k++)
        pack(fixture(), in_tmp(kinds[k]));
    for (size_t r = 0; r < 3; r++)
        for (int br = 0; br < 2; br++) {
            edb_time a = T(ranges[r][0]), b = T(ranges[r][1]);
            /* The reference, over HTTP; its reply bodies are kept as saved replies. */
            edb_recorder *rec = NULL;
            ck_assert_int_eq(edb_recorder_new(&rec, tmp), EDB_OK);
            edb_reply_hooks h;
            edb_recorder_hooks(rec, &h);
            edb_result *ref = fetch(base, &h, 1, 0, a, b, br);
            ck_assert_uint_eq(edb_recorder_count(rec), 4);
            edb_bundle_info bi = {.service = "mast", .base_url = base, .mnemonics = NAMES,
                                  .n_mnemonics = 4, .start = a, .end = b, .keep_brackets = br};
            edb_err e = EDB_ERR_INIT;
            char bname[64];
            snprintf(bname, sizeof bname, "replies-%zu-%d.tar", r, br);
            ck_assert_msg(edb_bundle_write(in_tmp(bname), &bi, rec, NULL, 0, &e) == EDB_OK, "%s",
                          e.msg);
            edb_recorder_free(rec);
            /* Saved replies unpacked into a plain folder, by tar. */
            sh("mkdir -p '%s/rep%zu%d' && tar -xf '%s' -C '%s/rep%zu%d' --strip-components=1 raw",
               tmp, r, br, in_tmp(bname), tmp, r, br);
            char repdir[64];
            snprintf(repdir, sizeof repdir, "rep%zu%d", r, br);

            const char *paths[8] = {fixture(), in_tmp(kinds[0]), in_tmp(kinds[1]),
                                    in_tmp(kinds[2]), in_tmp(kinds[3]), in_tmp(kinds[4]),
                                    in_tmp(bname), in_tmp(repdir)};
            for (size_t p = 0; p < 8; p++) {
                edb_result *got = fetch_from_store(paths[p], a, b, br);
                same_series(ref, got, paths[p]);
                edb_result_free(got);
            }
            edb_result_free(ref);
        }
    /* The archive shipped in fixtures/ (the demo's source) holds the same recording. */
    {
        char shipped[4200];
        snprintf(shipped, sizeof shipped, "%s", tu_fixture("jwst-2021-01-26.tar.xz"));
        edb_result *x = fetch_from_store(shipped, T("2021-01-26T00:00:00"), T("2021-01-27T00:00:00"), 1);
        edb_result *y = fetch_from_store(fixture(), T("2021-01-26T00:00:00"), T("2021-01-27T00:00:00"), 1);
        same_series(x, y, shipped);
        edb_result_free(x);
        edb_result_free(y);
    }
    /* edbx serve serves an archive just as the folder. */
    edb_server_stop(srv);
    srv = NULL;
    serve_store(in_tmp("store.tar.xz"), NULL);
    edb_result *x = fetch(base, NULL, 0, 0, T(ranges[0][0]), T(ranges[0][1]), 1);
    edb_result *y = fetch_from_store(fixture(), T(ranges[0][0]), T(ranges[0][1]), 1);
    same_series(x, y, "serve store.tar.xz");
    ck_assert_uint_gt(edb_result_series(x, 0)->n, 200);
    edb_result_free(x);
    edb_result_free(y);
}
END_TEST

START_TEST(saved_replies_refuse_ranges_they_do_not_cover)
{
    serve_store(fixture(), NULL);
    edb_recorder *rec = NULL;
    ck_assert_int_eq(edb_recorder_new(&rec, tmp), EDB_OK);
    edb_reply_hooks h;
    edb_recorder_hooks(rec, &h);
    edb_time a = T("2021-01-26T02:30:00"), b = T("2021-01-26T02:31:00");
    edb_result_free(fetch(base, &h, 1, 0, a, b, 0));
    edb_bundle_info bi = {.service = "mast", .base_url = base, .mnemonics = NAMES,
                          .n_mnemonics = 4, .start = a, .end = b};
    edb_err e = EDB_ERR_INIT;
    ck_assert_int_eq(edb_bundle_write(in_tmp("r.zip"), &bi, rec, NULL, 0, &e), EDB_OK);
    edb_recorder_free(rec);
    edb_store *st = NULL;
    ck_assert_int_eq(edb_store_open(&st, in_tmp("r.zip"), &e), EDB_OK);
    ck_assert_int_eq(edb_store_is_replies(st), 1);
    edb_series *s = NULL;
    /* Inside: answered, from the union of the saved samples. */
    ck_assert_int_eq(edb_store_query(st, "SA_ZATTEST1", a + 1000000, b - 1000000, 1, &s, &e), EDB_OK);
    ck_assert_uint_eq(s->n, 230); /* counted from the JSON with Python: 228 inside, 2 brackets */
    edb_series_free(s);
    s = NULL;
    edb_err_clear(&e);
    ck_assert_int_eq(edb_store_query(st, "SA_ZATTEST1", a, b + 1000000, 1, &s, &e),
                     EDB_ERR_NOT_FOUND);
    ck_assert_msg(strstr(e.msg, "do not cover") != NULL, "%s", e.msg);
    edb_store_free(st);
}
END_TEST

/* ---- hostile archives --------------------------------------------------------------- */

START_TEST(hostile_archives_refused)
{
    /* Each: how to make it, and the entry name the refusal must name. */
    static const char *const cases[][2] = {
        {"t.addfile(info('../evil.json', 2), io.BytesIO(b'{}'))", "../evil.json"},
        {"t.addfile(info('/etc/evil.json', 2), io.BytesIO(b'{}'))", "/etc/evil.json"},
        {"i = info('meta.json', 0); i.type = tarfile.SYMTYPE; i.linkname = '/etc/passwd'; t.addfile(i)",
         "meta.json"},
        {"i = info('link.json', 0); i.type = tarfile.LNKTYPE; i.linkname = 'meta.json'; t.addfile(i)",
         "link.json"},
        {"i = info('dev', 0); i.type = tarfile.CHRTYPE; i.devmajor = 1; i.devminor = 3; t.addfile(i)",
         "dev"},
        {"i = info('a/../../b.json', 2); t.addfile(i, io.BytesIO(b'{}'))", "a/../../b.json"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char name[64];
        snprintf(name, sizeof name, "evil%zu.tar.gz", k);
        sh("/usr/bin/python3 - '%s' <<'EOF'\n"
           "import io, sys, tarfile\n"
           "def info(n, size):\n"
           "    i = tarfile.TarInfo(n); i.size = size; return i\n"
           "with tarfile.open(sys.argv[1], 'w:gz') as t:\n"
           "    %s\n"
           "EOF", in_tmp(name), cases[k][0]);
        edb_store *st = NULL;
        edb_err e = EDB_ERR_INIT;
        ck_assert_int_eq(edb_store_open(&st, in_tmp(name), &e), EDB_ERR_DATA);
        ck_assert_ptr_null(st);
        ck_assert_msg(strstr(e.msg, cases[k][1]) && strstr(e.msg, "refused"), "%s", e.msg);
        /* The command says the same, exits 6, and writes nothing. */
        tu_run r;
        const char *args[] = {"get", "SA_ZATTEST1", "--start", "2021-01-26T02:30:00", "--end",
                              "2021-01-26T02:30:01", "--source", in_tmp(name), "-o",
                              in_tmp("x.csv"), NULL};
        ck_assert_int_eq(run(&r, args, NULL), 6);
        ck_assert_msg(strstr(r.err, cases[k][1]) != NULL, "%s", r.err);
        ck_assert(!tu_exists(in_tmp("x.csv")));
        ck_assert(!tu_exists(in_tmp("evil.json")));
        tu_run_free(&r);
    }
    /* A huge entry, and a bomb: 64 MiB of zeros packed into about 64 KiB. */
    sh("/usr/bin/python3 - '%s' '%s' <<'EOF'\n"
       "import sys, zipfile\n"
       "with zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED) as z:\n"
       "    z.writestr('meta.json', b'{\"TlmMnemonics\":[]}')\n"
       "    z.writestr('sa_zattest1_data.json', b' ' * (64 << 20))\n"
       "with zipfile.ZipFile(sys.argv[2], 'w', zipfile.ZIP_STORED) as z:\n"
       "    z.writestr('meta.json', b'{\"TlmMnemonics\":[]}')\n"
       "    z.writestr('big_data.json', b' ' * (3 << 20))\n"
       "EOF", in_tmp("bomb.zip"), in_tmp("big.zip"));
    edb_store *st = NULL;
    edb_err e = EDB_ERR_INIT;
    ck_assert_int_eq(edb_store_open(&st, in_tmp("bomb.zip"), &e), EDB_ERR_DATA);
    ck_assert_msg(strstr(e.msg, "sa_zattest1_data.json") && strstr(e.msg, "times the packed"), "%s",
                  e.msg);
    edb_archive_limits lim = EDB_ARCHIVE_LIMITS_INIT;
    lim.entry_max = 1 << 20;
    edb_err_clear(&e);
    ck_assert_int_eq(edb_store_open_ex(&st, in_tmp("big.zip"), &lim, &e), EDB_ERR_DATA);
    ck_assert_msg(strstr(e.msg, "big_data.json") && strstr(e.msg, "limit"), "%s", e.msg);
    edb_err_clear(&e);
    ck_assert_int_eq(edb_store_open(&st, in_tmp("big.zip"), &e), EDB_OK); /* default limit */
    edb_store_free(st);
}
END_TEST

/* ---- the cache ---------------------------------------------------------------------- */

/* These runs are about the reply cache: --no-meta keeps the inventory (which the cache
 * keeps too; test_e2e_discovery tests it) out of their counts. */
static const char *const GET_ARGS[] = {"get", "SA_ZATTEST1", "SA_ZFGDETID", "SA_ZATTEST2",
                                       "--start", "2021-01-26T02:30:00", "--end",
                                       "2021-01-26T02:35:00", "--no-meta", NULL};

static int get_into(const char *out, const char *const *more, tu_run *r)
{
    const char *args[40];
    size_t n = 0;
    for (const char *const *a = GET_ARGS; *a; a++)
        args[n++] = *a;
    args[n++] = "-o";
    args[n++] = out;
    for (; more && *more; more++)
        args[n++] = *more;
    args[n] = NULL;
    return run(r, args, NULL);
}

static size_t count_entries(const char *dir)
{
    char cmd[4400];
    snprintf(cmd, sizeof cmd, "find '%s' -type f -name '*.z' | wc -l", dir);
    FILE *p = popen(cmd, "r");
    size_t n = 0;
    ck_assert(fscanf(p, "%zu", &n) == 1);
    pclose(p);
    return n;
}

START_TEST(cache_second_run_makes_no_request)
{
    serve_store(fixture(), NULL);
    tu_run r;
    ck_assert_int_eq(get_into(in_tmp("a.csv"), NULL, &r), 0);
    tu_run_free(&r);
    ck_assert_uint_eq(edb_server_requests(srv), 3);
    /* The default folder: $HOME/.cache/edbx. */
    ck_assert_uint_eq(count_entries(in_tmp(".cache/edbx")), 3);
    ck_assert_int_eq(get_into(in_tmp("b.csv"), NULL, &r), 0);
    tu_run_free(&r);
    ck_assert_uint_eq(edb_server_requests(srv), 3);
    char *a = tu_read_file(in_tmp("a.csv"), NULL), *b = tu_read_file(in_tmp("b.csv"), NULL);
    ck_assert_str_eq(a, b);
    free(a);
    free(b);
    /* --no-cache and --refresh ask again; --cache DIR is another cache. */
    const char *nc[] = {"--no-cache", NULL}, *rf[] = {"--refresh", NULL};
    const char *other[] = {"--cache", in_tmp("c2"), NULL};
    ck_assert_int_eq(get_into(in_tmp("c.csv"), nc, &r), 0);
    tu_run_free(&r);
    ck_assert_uint_eq(edb_server_requests(srv), 6);
    ck_assert_int_eq(get_into(in_tmp("c.csv"), rf, &r), 0);
    tu_run_free(&r);
    ck_assert_uint_eq(edb_server_requests(srv), 9);
    ck_assert_int_eq(get_into(in_tmp("c.csv"), other, &r), 0);
    tu_run_free(&r);
    ck_assert_uint_eq(edb_server_requests(srv), 12);
    ck_assert_uint_eq(count_entries(in_tmp("c2")), 3);
    /* cache list, size, clear. */
    const char *ls[] = {"cache", "list", NULL}, *sz[] = {"cache", "size", NULL};
    const char *cl[] = {"cache", "clear", "--older-than", "1d", NULL}, *ca[] = {"cache", "clear", NULL};
    ck_assert_int_eq(run(&r, ls, NULL), 0);
    ck_assert_msg(strstr(r.out, "SA_ZFGDETID") && strstr(r.out, "2021-01-26T02:30:00.000"), "%s", r.out);
    tu_run_free(&r);
    ck_assert_int_eq(run(&r, sz, NULL), 0);
    ck_assert_msg(strncmp(r.out, "3 entries", 9) == 0, "%s", r.out);
    tu_run_free(&r);
    ck_assert_int_eq(run(&r, cl, NULL), 0);
    ck_assert_msg(strncmp(r.out, "removed 0 files", 15) == 0, "%s", r.out);
    tu_run_free(&r);
    ck_assert_int_eq(run(&r, ca, NULL), 0);
    ck_assert_msg(strncmp(r.out, "removed 3 files", 15) == 0, "%s", r.out);
    tu_run_free(&r);
    ck_assert_uint_eq(count_entries(in_tmp(".cache/edbx")), 0);
}
END_TEST

START_TEST(cache_damaged_entry_dropped_and_fetched_again)
{
    serve_store(fixture(), NULL);
    tu_run r;
    ck_assert_int_eq(get_into(in_tmp("a.csv"), NULL, &r), 0);
    tu_run_free(&r);
    /* Damage two entries: one byte flipped near the end, one cut short. */
    sh("cd '%s/.cache/edbx' && set -- $(find . -name '*.z' | sort) && "
       "/usr/bin/python3 -c \"import sys; p=sys.argv[1]; b=bytearray(open(p,'rb').read()); b[-5]^=1; "
       "open(p,'wb').write(b)\" $1 && truncate -s -20 $2", tmp);
    ck_assert_int_eq(get_into(in_tmp("b.csv"), NULL, &r), 0);
    ck_assert_uint_eq(edb_server_requests(srv), 5);
    const char *p = r.err;
    int reports = 0;
    while ((p = strstr(p, "dropped a damaged entry")) != NULL) {
        reports++;
        p++;
    }
    ck_assert_msg(reports == 2, "%s", r.err);
    tu_run_free(&r);
    char *a = tu_read_file(in_tmp("a.csv"), NULL), *b = tu_read_file(in_tmp("b.csv"), NULL);
    ck_assert_str_eq(a, b);
    free(a);
    free(b);
    /* Fetched again and stored again: the next run is quiet and asks nothing. */
    ck_assert_int_eq(get_into(in_tmp("b.csv"), NULL, &r), 0);
    ck_assert_str_eq(r.err, "");
    tu_run_free(&r);
    ck_assert_uint_eq(edb_server_requests(srv), 5);
}
END_TEST

START_TEST(cache_never_keeps_recent_ranges)
{
    /* A store whose data runs up to now: a range ending within the last hour is asked
     * every time; the library takes `now` from its caller. */
    edb_time now = edb_time_now();
    char meta[256], data[512];
    snprintf(meta, sizeof meta, "{\"TlmMnemonics\":[{\"TlmMnemonic\":\"SA_ZNOW\",\"SQLType\":\"INT\"}]}");
    snprintf(data, sizeof data, "{\"Data\":[{\"ObsTime\":\"/Date(%lld)/\",\"EUValue\":1},"
             "{\"ObsTime\":\"/Date(%lld)/\",\"EUValue\":2}]}",
             (long long)(now / 1000 - 7200000), (long long)(now / 1000 - 60000));
    mkdir(in_tmp("now"), 0777);
    tu_write_file(in_tmp("now/meta.json"), meta, strlen(meta));
    tu_write_file(in_tmp("now/sa_znow_data.json"), data, strlen(data));
    serve_store(in_tmp("now"), NULL);
    const char *recent[] = {"get", "SA_ZNOW", "--start", "now-3h", "-o", in_tmp("n.csv"),
                            "--no-meta", NULL};
    /* Fixed times, not "now-3h": two runs a second apart would ask different ranges. */
    char t3[EDB_TIME_STRLEN], t2[EDB_TIME_STRLEN];
    edb_time_format_iso(now - 3 * INT64_C(3600000000), t3, sizeof t3);
    edb_time_format_iso(now - 2 * INT64_C(3600000000), t2, sizeof t2);
    const char *old[] = {"get", "SA_ZNOW", "--start", t3, "--end", t2, "--chunk",
                         "10d", "-o", in_tmp("o.csv"), "--no-meta", NULL};
    tu_run r;
    for (int k = 0; k < 2; k++) {
        ck_assert_int_eq(run(&r, recent, NULL), 0);
        tu_run_free(&r);
    }
    ck_assert_uint_eq(edb_server_requests(srv), 2);
    ck_assert_uint_eq(count_entries(in_tmp(".cache/edbx")), 0);
    for (int k = 0; k < 2; k++) {
        ck_assert_int_eq(run(&r, old, NULL), 0);
        tu_run_free(&r);
    }
    ck_assert_uint_eq(edb_server_requests(srv), 3);
    ck_assert_uint_eq(count_entries(in_tmp(".cache/edbx")), 1);
}
END_TEST

START_TEST(cache_two_writers_at_once)
{
    serve_store(fixture(), NULL);
    /* Two processes fill one cache with the same entries at the same moment. */
    for (int round = 0; round < 3; round++) {
        pid_t pid[2];
        for (int k = 0; k < 2; k++) {
            pid[k] = fork();
            ck_assert_int_ge(pid[k], 0);
            if (pid[k] == 0) {
                tu_run r;
                char out[64];
                snprintf(out, sizeof out, "w%d-%d.csv", round, k);
                const char *more[] = {"--cache", in_tmp("shared"), "--refresh", NULL};
                _exit(get_into(in_tmp(out), round ? more : more + 3, &r));
            }
        }
        for (int k = 0; k < 2; k++) {
            int status;
            waitpid(pid[k], &status, 0);
            ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        }
    }
    ck_assert_uint_eq(count_entries(in_tmp("shared")), 3);
    sh("test -z \"$(find '%s/shared' -name '.tmp-*')\"", tmp);
    unsigned long before = edb_server_requests(srv);
    tu_run r;
    const char *more[] = {"--cache", in_tmp("shared"), NULL};
    ck_assert_int_eq(get_into(in_tmp("z.csv"), more, &r), 0);
    ck_assert_str_eq(r.err, "");
    tu_run_free(&r);
    ck_assert_uint_eq(edb_server_requests(srv), before);
}
END_TEST

START_TEST(item7_cache_clear_never_follows_links)
{
    serve_store(fixture(), NULL);
    tu_run r;
    const char *more[] = {"--cache", in_tmp("c"), NULL};
    ck_assert_int_eq(get_into(in_tmp("a.csv"), more, &r), 0);
    tu_run_free(&r);
    /* Outside the cache, a copy of an entry (the magic and all) and a file; inside, a link
     * to each where an entry and a sub-folder belong, and a file that is not an entry. */
    sh("mkdir '%s' && cd '%s' && e=$(find v1 -name '*.z' | head -n 1) && cp \"$e\" '%s/copy.z' && "
       "echo keep > '%s/plain.txt' && d=$(dirname \"$e\") && "
       "ln -s '%s/copy.z' \"$d/0000000000000000000000000000000000000000000000000000000000000000.z\" && "
       "ln -s '%s' v1/ff && echo mine > \"$d/notes.txt\"",
       in_tmp("victim"), in_tmp("c"), in_tmp("victim"), in_tmp("victim"), in_tmp("victim"),
       in_tmp("victim"));
    const char *cl[] = {"cache", "clear", "--cache", in_tmp("c"), NULL};
    ck_assert_int_eq(run(&r, cl, NULL), 0);
    ck_assert_msg(strncmp(r.out, "removed 3 files (", 17) == 0, "%s", r.out);
    char want[4400];
    snprintf(want, sizeof want, "edbx: cache: left 3 files, links or folders in %s that are not "
             "the cache's\n", in_tmp("c"));
    ck_assert_str_eq(r.err, want);
    tu_run_free(&r);
    sh("test -f '%s/copy.z' && test -f '%s/plain.txt' && test -L '%s/v1/ff' && "
       "test \"$(find '%s' -name notes.txt | wc -l)\" = 1 && test \"$(find '%s' -type l | wc -l)\" = 2",
       in_tmp("victim"), in_tmp("victim"), in_tmp("c"), in_tmp("c"), in_tmp("c"));
    ck_assert_uint_eq(count_entries(in_tmp("victim")), 1);
}
END_TEST

START_TEST(item8_cache_kept_apart_by_token)
{
    serve_store(fixture(), NULL); /* asks for no token: any token is accepted */
    tu_run r;
    /* The default folder: token A fills it, token B asks again, A asks nothing. */
    ck_assert_int_eq(get_into(in_tmp("a.csv"), NULL, &r), 0);
    tu_run_free(&r);
    const char *tok_a = "MAST_API_TOKEN=TokenAAAA1111", *tok_b = "MAST_API_TOKEN=TokenBBBB2222";
    const char *args[40];
    size_t n = 0;
    for (const char *const *a = GET_ARGS; *a; a++)
        args[n++] = *a;
    args[n++] = "-o";
    args[n++] = in_tmp("b.csv");
    args[n] = NULL;
    unsigned long before = edb_server_requests(srv);
    ck_assert_int_eq(run(&r, args, tok_a), 0);
    tu_run_free(&r);
    ck_assert_uint_eq(edb_server_requests(srv), before + 3); /* not the no-token folder */
    ck_assert_int_eq(run(&r, args, tok_b), 0);
    tu_run_free(&r);
    ck_assert_uint_eq(edb_server_requests(srv), before + 6);
    ck_assert_int_eq(run(&r, args, tok_a), 0);
    tu_run_free(&r);
    ck_assert_uint_eq(edb_server_requests(srv), before + 6);
    char *a = tu_read_file(in_tmp("a.csv"), NULL), *b = tu_read_file(in_tmp("b.csv"), NULL);
    ck_assert_str_eq(a, b);
    free(a);
    free(b);
    /* Three token folders (none, A, B), 0700, and no name or file holds a token. */
    sh("test \"$(ls '%s/.cache/edbx/by-token' | grep -v '^key$' | wc -l)\" = 3 && "
       "test \"$(stat -c %%a '%s/.cache/edbx')\" = 700 && "
       "test \"$(stat -c %%a '%s/.cache')\" = 700 && "
       "! grep -r -l -e TokenAAAA -e TokenBBBB '%s/.cache' && "
       "test -z \"$(find '%s/.cache' -name '*Token*')\"",
       tmp, tmp, tmp, tmp, tmp);
    /* --cache DIR is shared on purpose: what A stored, B is served. */
    const char *shared[] = {"--cache", in_tmp("shared"), NULL};
    args[n++] = shared[0];
    args[n++] = shared[1];
    args[n] = NULL;
    ck_assert_int_eq(run(&r, args, tok_a), 0);
    tu_run_free(&r);
    ck_assert_uint_eq(edb_server_requests(srv), before + 9);
    ck_assert_int_eq(run(&r, args, tok_b), 0);
    tu_run_free(&r);
    ck_assert_uint_eq(edb_server_requests(srv), before + 9);
    /* cache size and list see every token's folder. */
    const char *sz[] = {"cache", "size", NULL};
    ck_assert_int_eq(run(&r, sz, NULL), 0);
    ck_assert_msg(strncmp(r.out, "9 entries", 9) == 0, "%s", r.out);
    tu_run_free(&r);
}
END_TEST

/* ---- bundles ------------------------------------------------------------------------ */

static void rewrite_entry(const char *bundle, const char *entry, const char *out)
{
    sh("/usr/bin/python3 - '%s' '%s' '%s' <<'EOF'\n"
       "import sys, tarfile, zipfile, io\n"
       "src, entry, dst = sys.argv[1:]\n"
       "with tarfile.open(src) as t, tarfile.open(dst, 'w:gz') as o:\n"
       "    for m in t.getmembers():\n"
       "        d = t.extractfile(m).read()\n"
       "        if m.name == entry: d = d[:-3] + bytes([d[-3] ^ 1]) + d[-2:]\n"
       "        m.size = len(d); o.addfile(m, io.BytesIO(d))\n"
       "EOF", bundle, entry, out);
}

START_TEST(bundle_round_trip_every_format)
{
    serve_store(fixture(), NULL);
    static const char *const fmts[][2] = {{"csv", "csv"}, {"csv.gz", "csv.gz"}, {"ecsv", "ecsv"},
                                          {"fits", "fits"}, {"hdf5", "h5"}};
    int tested = 0;
    for (size_t f = 0; f < sizeof fmts / sizeof fmts[0]; f++) {
        if (!edb_format_known(fmts[f][0]))
            continue;
        for (int z = 0; z < 2; z++) {
            char out[64], bun[64], rep[64];
            snprintf(out, sizeof out, "o%zu%d.%s", f, z, fmts[f][1]);
            snprintf(bun, sizeof bun, "b%zu%d.%s", f, z, z ? "zip" : "tar.gz");
            snprintf(rep, sizeof rep, "rep%zu%d", f, z);
            tu_run r;
            const char *more[] = {"--bundle", in_tmp(bun), NULL};
            ck_assert_int_eq(get_into(in_tmp(out), more, &r), 0);
            tu_run_free(&r);
            const char *rp[] = {"replay", in_tmp(bun), "--out", in_tmp(rep), NULL};
            unsigned long before = edb_server_requests(srv);
            /* No network: the base URL points at nothing. */
            ck_assert_int_eq(run(&r, rp, "ENG_BASE_URL=http://127.0.0.1:9/"), 0);
            ck_assert_msg(strstr(r.out, "identical"), "%s%s", r.out, r.err);
            tu_run_free(&r);
            ck_assert_uint_eq(edb_server_requests(srv), before);
            /* The replayed file is the recorded one, byte for byte. */
            char rep_file[200];
            snprintf(rep_file, sizeof rep_file, "%s/%s", rep, out);
            size_t la, lb;
            char *a = tu_read_file(in_tmp(out), &la), *b = tu_read_file(in_tmp(rep_file), &lb);
            ck_assert_msg(a && b && la == lb && memcmp(a, b, la) == 0, "%s differs", out);
            free(a);
            free(b);
            const char *vf[] = {"bundle", "verify", in_tmp(bun), NULL};
            ck_assert_int_eq(run(&r, vf, NULL), 0);
            tu_run_free(&r);
        }
        tested++;
    }
    ck_assert_int_ge(tested, 1);
    /* The replies were spooled beside the bundles while recording; nothing of it is left. */
    tu_run ls;
    const char *lsargs[] = {"/bin/ls", "-A", tmp, NULL};
    tu_run_cmd(&ls, lsargs, NULL);
    ck_assert_msg(strstr(ls.out, ".edbx-bundle-") == NULL, "left over: %s", ls.out);
    tu_run_free(&ls);
}
END_TEST

START_TEST(bundle_tampering_is_named)
{
    serve_store(fixture(), NULL);
    tu_run r;
    const char *more[] = {"--bundle", in_tmp("b.tar.gz"), NULL};
    ck_assert_int_eq(get_into(in_tmp("o.csv"), more, &r), 0);
    tu_run_free(&r);
    const char *entries[] = {"raw/SA_ZATTEST2-20210126T023000-20210126T023500.csv", "out/o.csv"};
    for (int k = 0; k < 2; k++) {
        rewrite_entry(in_tmp("b.tar.gz"), entries[k], in_tmp("t.tar.gz"));
        const char *vf[] = {"bundle", "verify", in_tmp("t.tar.gz"), NULL};
        ck_assert_int_eq(run(&r, vf, NULL), 6);
        ck_assert_msg(strstr(r.out, entries[k]) && strstr(r.out, "BAD"), "%s", r.out);
        tu_run_free(&r);
        const char *rp[] = {"replay", in_tmp("t.tar.gz"), NULL};
        ck_assert_int_eq(run(&r, rp, NULL), 6);
        ck_assert_msg(strstr(r.out, entries[k]), "%s", r.out);
        tu_run_free(&r);
    }
    /* An output that replays differently (the recorded one altered with its hashes fixed
     * up) is reported by name with both hashes. */
    sh("/usr/bin/python3 - '%s' '%s' <<'EOF'\n"
       "import sys, tarfile, io, json, hashlib\n"
       "src, dst = sys.argv[1:]\n"
       "with tarfile.open(src) as t:\n"
       "    files = {m.name: t.extractfile(m).read() for m in t.getmembers()}\n"
       "files['out/o.csv'] = files['out/o.csv'].replace(b'SA_ZATTEST2', b'SA_ZATTEST9')\n"
       "m = json.loads(files['manifest.json'])\n"
       "m['outputs'][0]['sha256'] = hashlib.sha256(files['out/o.csv']).hexdigest()\n"
       "files['manifest.json'] = json.dumps(m).encode()\n"
       "with tarfile.open(dst, 'w:gz') as o:\n"
       "    for n, d in files.items():\n"
       "        i = tarfile.TarInfo(n); i.size = len(d); o.addfile(i, io.BytesIO(d))\n"
       "EOF", in_tmp("b.tar.gz"), in_tmp("d.tar.gz"));
    const char *rp[] = {"replay", in_tmp("d.tar.gz"), NULL};
    ck_assert_int_eq(run(&r, rp, NULL), 6);
    ck_assert_msg(strstr(r.out, "out/o.csv: DIFFERS"), "%s", r.out);
    tu_run_free(&r);
}
END_TEST


/* ---- issue 17, item 2: the plan and --chunk ---------------------------------------------- */

/* A range ending exactly on a midnight: one request per mnemonic and day, the last one
 * closed at the end instant (no [END, END] request of its own). */
START_TEST(plan_folds_the_end_instant)
{
    const char *args[] = {"get", "SA_ZA", "SA_ZB", "--start", "2022-01-01", "--end",
                          "2022-01-03", "--plan-only", NULL};
    tu_run r;
    ck_assert_msg(tu_edbx_run(&r, tmp, "https://mast.stsci.edu/", args, NULL) == 0, "%s", r.err);
    const char *u = "\thttps://mast.stsci.edu/api/v0.1/Download/file?uri=mast%3Ajwstedb%2F";
    char want[4096];
    snprintf(want, sizeof want,
             "#request\tservice\tkind\tmnemonic\tstart\tend\turl\n"
             "0\tmast\tdata\tSA_ZA\t2022-01-01T00:00:00.000000\t2022-01-01T23:59:59.999999"
             "%sSA_ZA-20220101T000000-20220102T000000.csv\n"
             "1\tmast\tdata\tSA_ZA\t2022-01-02T00:00:00.000000\t2022-01-03T00:00:00.000000"
             "%sSA_ZA-20220102T000000-20220103T000000.csv\n"
             "2\tmast\tdata\tSA_ZB\t2022-01-01T00:00:00.000000\t2022-01-01T23:59:59.999999"
             "%sSA_ZB-20220101T000000-20220102T000000.csv\n"
             "3\tmast\tdata\tSA_ZB\t2022-01-02T00:00:00.000000\t2022-01-03T00:00:00.000000"
             "%sSA_ZB-20220102T000000-20220103T000000.csv\n", u, u, u, u);
    ck_assert_str_eq(r.out, want);
    tu_run_free(&r);
}
END_TEST

/* Saved replies of three days every 15 min: SA_ZA as one reply of exactly the query's
 * range (its bytes decoded), SA_ZB as one reply per day (their union, cut).  The output,
 * and what is answered (one local answer per mnemonic: one decode each), are the same
 * whatever --chunk says: chunks shape requests to a service, not reads of local data. */
START_TEST(source_does_not_depend_on_chunk)
{
    char dir[4096], outp[4200];
    snprintf(dir, sizeof dir, "%s", in_tmp("replies"));
    ck_assert_int_eq(mkdir(dir, 0700), 0);
    const char *files[] = {"SA_ZA-20220101T000000-20220104T000000.csv",
                           "SA_ZB-20220101T000000-20220102T000000.csv",
                           "SA_ZB-20220102T000000-20220103T000000.csv",
                           "SA_ZB-20220103T000000-20220104T000000.csv"};
    for (int f = 0; f < 4; f++) {
        char p[8300];
        snprintf(p, sizeof p, "%s/%s", dir, files[f]);
        FILE *fp = fopen(p, "w");
        ck_assert_ptr_nonnull(fp);
        fputs("theTime,MJD,euvalue,sqldataType\r\n", fp);
        int d0 = f == 0 ? 0 : f - 1, d1 = f == 0 ? 3 : f;
        /* each reply holds its range's samples and one bracket on each side */
        for (int k = d0 * 96 - 1; k <= d1 * 96 + 1; k++) {
            if (k < 0 || k > 3 * 96)
                continue;
            int day = k / 96, mins = (k % 96) * 15;
            fprintf(fp, "2022-01-%02d %02d:%02d:00.000000,%.10f,%d.%02d,real\r\n", day + 1,
                    mins / 60, mins % 60, 59580 + k / 96.0, f == 0 ? k : 1000 + k, k % 100);
        }
        fclose(fp);
    }
    const char *chunks[] = {"1d", "1000d", "1h"};
    for (int c = 0; c < 3; c++) {
        for (int grid = 0; grid < 2; grid++) {
            char out[64];
            snprintf(out, sizeof out, "out-%d-%d.csv", c, grid);
            snprintf(outp, sizeof outp, "%s", in_tmp(out));
            const char *args[] = {"get", "SA_ZA", "SA_ZB", "--start", "2022-01-01", "--end",
                                  "2022-01-04", "--source", dir, "--chunk", chunks[c], "-v",
                                  "-o", outp, grid ? "--every" : NULL, "1h", NULL};
            tu_run r;
            ck_assert_msg(run(&r, args, NULL) == 0, "%s", r.err);
            /* one local answer per mnemonic, not one per chunk */
            ck_assert_msg(strstr(r.err, "edbx: SA_ZA-20220101T000000-20220104T000000.csv: "
                                        "answered locally\nedbx: SA_ZB-20220101T000000-"
                                        "20220104T000000.csv: answered locally\nedbx: wrote ") ==
                              r.err, "%s", r.err);
            char *got = tu_read_file(outp, NULL);
            ck_assert_ptr_nonnull(got);
            if (c == 0) {
                if (grid == 0) {
                    /* by hand: 3 x 96 + 1 samples of each, SA_ZA's value k.kk at sample k */
                    ck_assert_msg(strstr(r.err, "wrote 578 samples of 2 mnemonics") != NULL,
                                  "%s", r.err);
                    ck_assert(strstr(got, "\n2022-01-02T00:00:00.000,59581,SA_ZA,96.96\n"));
                    ck_assert(strstr(got, "\n2022-01-04T00:00:00.000,59583,SA_ZB,1288.88\n"));
                } else {
                    ck_assert(strstr(got, "\n2022-01-01T01:00:00.000,59580.041666666664,4.04,"
                                          "1004.04\n"));
                }
                free(got);
            } else {
                char prev[64];
                snprintf(prev, sizeof prev, "out-0-%d.csv", grid);
                char *want = tu_read_file(in_tmp(prev), NULL);
                ck_assert_ptr_nonnull(want);
                ck_assert_str_eq(got, want);
                free(want);
                free(got);
            }
            tu_run_free(&r);
        }
    }
}
END_TEST

START_TEST(token_leaves_no_trace)
{
    static const char token[] = "Tok3nNeverWritten9f8e7d";
    serve_store(fixture(), token);
    tu_write_file(in_tmp("tok"), token, sizeof token - 1);
    tu_run r;
    const char *more[] = {"--bundle", in_tmp("b.tar.gz"), "--token-file", in_tmp("tok"), "-v",
                          NULL};
    ck_assert_int_eq(get_into(in_tmp("o.csv"), more, &r), 0);
    ck_assert(!strstr(r.out, token) && !strstr(r.err, token));
    tu_run_free(&r);
    const char *m2[] = {"--bundle", in_tmp("c.zip"), "-v", NULL};
    char env[128];
    snprintf(env, sizeof env, "MAST_API_TOKEN=%s", token);
    const char *args[40];
    size_t n = 0;
    for (const char *const *a = GET_ARGS; *a; a++)
        args[n++] = *a;
    args[n++] = "-o";
    args[n++] = in_tmp("p.csv");
    args[n++] = "--refresh";
    for (int k = 0; m2[k]; k++)
        args[n++] = m2[k];
    args[n] = NULL;
    ck_assert_int_eq(run(&r, args, env), 0);
    ck_assert(!strstr(r.out, token) && !strstr(r.err, token));
    tu_run_free(&r);
    const char *rp[] = {"replay", in_tmp("b.tar.gz"), "--out", in_tmp("rep"), "-v", NULL};
    ck_assert_int_eq(run(&r, rp, NULL), 0);
    ck_assert(!strstr(r.out, token) && !strstr(r.err, token));
    tu_run_free(&r);
    /* Every file the runs wrote, archives unpacked and cache entries inflated, save the
     * token file itself. */
    sh("cd '%s' && /usr/bin/python3 - '%s' <<'EOF'\n"
       "import os, sys, tarfile, zipfile, zlib\n"
       "tok = sys.argv[1].encode(); seen = 0\n"
       "for root, dirs, files in os.walk('.'):\n"
       "    for f in files:\n"
       "        p = os.path.join(root, f)\n"
       "        if f == 'tok': continue\n"
       "        blobs = [open(p, 'rb').read()]\n"
       "        if p.endswith('.tar.gz'):\n"
       "            with tarfile.open(p) as t: blobs += [t.extractfile(m).read() for m in t.getmembers()]\n"
       "        if p.endswith('.zip'):\n"
       "            with zipfile.ZipFile(p) as z: blobs += [z.read(n) for n in z.namelist()]\n"
       "        if p.endswith('.z'):\n"
       "            d = blobs[0]; i = d.index(b'\\n', 11); blobs.append(zlib.decompress(d[i+1:]))\n"
       "        seen += 1\n"
       "        assert not any(tok in b for b in blobs), p\n"
       "assert seen >= 8, seen\n"
       "EOF", tmp, token);
}
END_TEST

static Suite *local_suite(void)
{
    Suite *s = suite_create("e2e_local");
    TCase *t = tcase_create("local");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_set_timeout(t, 240);
    tcase_add_test(t, every_source_kind_gives_what_serve_gives);
    tcase_add_test(t, saved_replies_refuse_ranges_they_do_not_cover);
    tcase_add_test(t, hostile_archives_refused);
    tcase_add_test(t, cache_second_run_makes_no_request);
    tcase_add_test(t, cache_damaged_entry_dropped_and_fetched_again);
    tcase_add_test(t, cache_never_keeps_recent_ranges);
    tcase_add_test(t, cache_two_writers_at_once);
    tcase_add_test(t, item7_cache_clear_never_follows_links);
    tcase_add_test(t, item8_cache_kept_apart_by_token);
    tcase_add_test(t, bundle_round_trip_every_format);
    tcase_add_test(t, bundle_tampering_is_named);
    tcase_add_test(t, token_leaves_no_trace);
    tcase_add_test(t, plan_folds_the_end_instant);
    tcase_add_test(t, source_does_not_depend_on_chunk);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(local_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
