/* test_bundle.c: recording, writing, opening, verifying and unpacking bundles
 * (edb/bundle.c).  Replies are fed to the recorder's hooks as the client would; what is
 * written is read back with Python (tarfile, json, hashlib), and hostile bundles are made
 * with Python from good ones (tests/bundle_edit.py). */
#include <check.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <edb/archive.h>
#include <edb/bundle.h>

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

/* Rewrite bundle src into dst with Python (tests/bundle_edit.py): code edits `files` and
 * `m`. */
static void edit(const char *src, const char *dst, const char *code)
{
    char s[4200], d[4200];
    snprintf(s, sizeof s, "%s", src);
    snprintf(d, sizeof d, "%s", dst);
    sh("/usr/bin/python3 '%s/bundle_edit.py' '%s' '%s' \"$(cat <<'EOF'\n%s\nEOF\n)\"",
       getenv("EDBX_TESTS_DIR"), s, d, code);
}

static const char A_NAME[] = "SA_ZATTEST1-20210126T023000-20210126T023100.csv";
static const char B_NAME[] = "SA_ZATTEST2-20210126T023000-20210126T023100.csv";
static const char A_BODY[] = "theTime,MJD,euvalue,sqldataType\r\n"
                             "2021-01-26 02:30:00.100000,59240.1041678241,1.5,real\r\n";
static const char B_BODY[] = "theTime,MJD,euvalue,sqldataType\r\n";

/* One reply through the hooks, as the client gives it. */
static edb_status feed(edb_recorder *rec, const char *uri, const char *url, const char *body)
{
    edb_reply_hooks h;
    edb_recorder_hooks(rec, &h);
    edb_request_info ri = {.mnemonic = "X", .url = url, .uri_name = uri};
    void *t = h.tap_begin(h.ctx, &ri, 0);
    ck_assert_ptr_nonnull(t);
    size_t len = strlen(body);
    /* In two pieces, and a try that is thrown away first (a retry). */
    void *lost = h.tap_begin(h.ctx, &ri, 0);
    ck_assert_int_eq(h.tap_write(lost, "garbage", 7), 0);
    edb_err e = EDB_ERR_INIT;
    ck_assert_int_eq(h.tap_end(lost, 0, 500, &e), EDB_OK);
    ck_assert_int_eq(h.tap_write(t, body, len / 2), 0);
    ck_assert_int_eq(h.tap_write(t, body + len / 2, len - len / 2), 0);
    edb_err_clear(&e);
    return h.tap_end(t, 1, 200, &e);
}

#define RUN_US INT64_C(1700000000123456)
#define INV "tlmMnemonic,unit\nSA_ZATTEST1,V\n"

/* A bundle of two replies, one input, one output and a command linking them, at path. */
static void make_bundle(const char *path, const int64_t *sde)
{
    char inv[4200], out[4200];
    snprintf(inv, sizeof inv, "%s", in_tmp("inv.csv"));
    snprintf(out, sizeof out, "%s", in_tmp("o.csv"));
    tu_write_file(inv, INV, strlen(INV));
    tu_write_file(out, "time,value\n", 11);
    edb_recorder *rec = NULL;
    ck_assert_int_eq(edb_recorder_new(&rec, tmp), EDB_OK);
    ck_assert_int_eq(feed(rec, B_NAME, "http://h/b", B_BODY), EDB_OK);
    ck_assert_int_eq(feed(rec, A_NAME, "http://h/a", A_BODY), EDB_OK);
    size_t idx = 9;
    edb_err e = EDB_ERR_INIT;
    ck_assert_msg(edb_recorder_add_input(rec, inv, &idx, &e) == EDB_OK, "%s", e.msg);
    ck_assert_uint_eq(idx, 0);
    ck_assert_uint_eq(edb_recorder_count(rec), 2);
    ck_assert_uint_eq(edb_recorder_input_count(rec), 1);
    edb_bundle_option opts[] = {{"start", "2021-01-26T02:30:00", 0, 0},
                                {"meta", inv, 1, 0},
                                {"brackets", NULL, 0, 0},
                                {"output", out, 0, 1},
                                {"bundle", path, 0, 0}};
    const char *args[] = {"SA_ZATTEST1", "SA_ZATTEST2"};
    edb_bundle_command cmd = {"get", opts, 5, args, 2, "edbx get SA_ZATTEST1 SA_ZATTEST2"};
    edb_bundle_info bi = {.command = &cmd, .service = "mast-a", .base_url = "http://h",
                          .mnemonics = args, .n_mnemonics = 2, .chunk_us = 86400000000,
                          .run_time = RUN_US, .source_date_epoch = sde};
    edb_bundle_output o = {NULL, out};
    ck_assert_msg(edb_bundle_write(path, &bi, rec, &o, 1, &e) == EDB_OK, "%s", e.msg);
    edb_recorder_free(rec);
}

static edb_bundle *open_ok(const char *path)
{
    edb_bundle *b = NULL;
    edb_err e = EDB_ERR_INIT;
    ck_assert_msg(edb_bundle_open(&b, path, &e) == EDB_OK, "%s", e.msg);
    return b;
}

typedef struct seen {
    char text[8192];
    int good, bad;
} seen;

static void collect(void *ctx, const char *file, int ok, const char *why)
{
    seen *s = ctx;
    size_t n = strlen(s->text);
    snprintf(s->text + n, sizeof s->text - n, "%s: %s%s\n", file, ok ? "ok" : "BAD ", why);
    if (ok)
        s->good++;
    else
        s->bad++;
}

START_TEST(round_trip)
{
    char bun[4200];
    snprintf(bun, sizeof bun, "%s", in_tmp("b.tar.gz"));
    make_bundle(bun, NULL);
    /* What Python reads: the entries in order, the manifest's command as data, the hashes
     * hashlib computes. */
    sh("cd '%s' && /usr/bin/python3 - <<'EOF'\n"
       "import tarfile, json, hashlib\n"
       "t = tarfile.open('b.tar.gz')\n"
       "names = [i.name for i in t.getmembers()]\n"
       "assert names == ['manifest.json', 'in/1-inv.csv', 'out/o.csv', 'raw/%s', 'raw/%s'], names\n"
       "files = {n: t.extractfile(n).read() for n in names}\n"
       "m = json.loads(files['manifest.json'])\n"
       "assert m['format'] == 'edbx-bundle-2'\n"
       "c = m['command']\n"
       "assert c['schema'] == 2 and c['name'] == 'get', c\n"
       "assert c['arguments'] == ['SA_ZATTEST1', 'SA_ZATTEST2']\n"
       "assert [o['name'] for o in c['options']] == ['start', 'meta', 'brackets', 'output', 'bundle']\n"
       "assert c['options'][1]['input'] == 'in/1-inv.csv' and c['options'][3]['output'] == 'out/o.csv'\n"
       "assert 'value' not in c['options'][2] and 'input' not in c['options'][0]\n"
       "assert m['command_line'] == 'edbx get SA_ZATTEST1 SA_ZATTEST2'\n"
       "assert m['run_time_us'] == 1700000000123456 and 'source_date_epoch' not in m\n"
       "assert m['run_time'] == '2023-11-14T22:13:20.123456Z'\n"
       "for group in ('requests', 'inputs', 'outputs'):\n"
       "    for e in m[group]:\n"
       "        n = e.get('raw') or e['name']\n"
       "        assert e['sha256'] == hashlib.sha256(files[n]).hexdigest(), n\n"
       "        assert e['bytes'] == len(files[n]), n\n"
       "assert [r['raw'] for r in m['requests']] == ['raw/%s', 'raw/%s']\n"
       "assert m['requests'][0]['url'] == 'http://h/a' and m['requests'][0]['http'] == 200\n"
       "assert m['inputs'][0]['path'].endswith('/inv.csv')\n"
       "assert files['in/1-inv.csv'] == b'tlmMnemonic,unit\\nSA_ZATTEST1,V\\n'\n"
       "assert files['raw/%s'].startswith(b'theTime') and b'garbage' not in files['raw/%s']\n"
       "EOF", tmp, A_NAME, B_NAME, A_NAME, B_NAME, A_NAME, A_NAME);

    edb_bundle *b = open_ok(bun);
    ck_assert_int_eq(edb_bundle_command_schema(b), 2);
    ck_assert_str_eq(edb_bundle_command_name(b), "get");
    ck_assert_uint_eq(edb_bundle_option_count(b), 5);
    edb_bundle_option o;
    ck_assert(edb_bundle_option_get(b, 1, &o));
    ck_assert_str_eq(o.name, "meta");
    ck_assert_uint_eq(o.input, 1);
    ck_assert(edb_bundle_option_get(b, 3, &o));
    ck_assert_uint_eq(o.output, 1);
    ck_assert(edb_bundle_option_get(b, 2, &o));
    ck_assert_ptr_null(o.value);
    ck_assert(!edb_bundle_option_get(b, 5, &o));
    ck_assert_uint_eq(edb_bundle_argument_count(b), 2);
    ck_assert_str_eq(edb_bundle_argument(b, 1), "SA_ZATTEST2");
    ck_assert_str_eq(edb_bundle_input_name(b, 0), "1-inv.csv");
    ck_assert_str_eq(edb_bundle_output_name(b, 0), "o.csv");
    ck_assert_uint_eq(edb_bundle_output_size(b, 0), 11);
    ck_assert_uint_eq(edb_bundle_unpacked_size(b), strlen(A_BODY) + strlen(B_BODY) + strlen(INV));
    ck_assert(edb_bundle_run_time(b) == RUN_US);
    ck_assert_int_eq(edb_bundle_chunk_us(b), 86400000000);
    ck_assert(!edb_bundle_source_date_epoch(b, NULL));
    seen s = {"", 0, 0};
    edb_err e = EDB_ERR_INIT;
    ck_assert_msg(edb_bundle_verify(b, collect, &s, &e) == EDB_OK, "%s", e.msg);
    ck_assert_int_eq(s.good, 4);
    ck_assert_int_eq(s.bad, 0);
    /* Unpacking writes raw/ and in/ (not out/), checked as it goes. */
    char dir[4200], p[4400];
    snprintf(dir, sizeof dir, "%s", in_tmp("x"));
    ck_assert_int_eq(mkdir(dir, 0700), 0);
    ck_assert_msg(edb_bundle_extract(b, dir, NULL, NULL, &e) == EDB_OK, "%s", e.msg);
    snprintf(p, sizeof p, "%s/raw/%s", dir, A_NAME);
    char *got = tu_read_file(p, NULL);
    ck_assert_str_eq(got, A_BODY);
    free(got);
    snprintf(p, sizeof p, "%s/in/1-inv.csv", dir);
    got = tu_read_file(p, NULL);
    ck_assert_str_eq(got, "tlmMnemonic,unit\nSA_ZATTEST1,V\n");
    free(got);
    snprintf(p, sizeof p, "%s/out", dir);
    ck_assert(!tu_exists(p));
    /* Into a folder already unpacked: its files are made new, never written over. */
    edb_err_clear(&e);
    ck_assert_int_eq(edb_bundle_extract(b, dir, NULL, NULL, &e), EDB_ERR_IO);
    edb_bundle_free(b);
}
END_TEST

START_TEST(source_date_epoch_clamps_recorded_times)
{
    int64_t sde = 1600000000; /* before RUN_US and before the replies come */
    char bun[4200];
    snprintf(bun, sizeof bun, "%s", in_tmp("b.tar"));
    make_bundle(bun, &sde);
    sh("cd '%s' && /usr/bin/python3 - <<'EOF'\n"
       "import tarfile, json\n"
       "t = tarfile.open('b.tar')\n"
       "m = json.loads(t.extractfile('manifest.json').read())\n"
       "assert m['run_time_us'] == 1600000000000000 and m['source_date_epoch'] == 1600000000\n"
       "assert m['run_time'] == '2020-09-13T12:26:40.000000Z'\n"
       "assert [r['received'] for r in m['requests']] == ['2020-09-13T12:26:40.000000Z'] * 2\n"
       "assert all(i.mtime == 1600000000 for i in t.getmembers())\n"
       "EOF", tmp);
    edb_bundle *b = open_ok(bun);
    int64_t got = 0;
    ck_assert(edb_bundle_source_date_epoch(b, &got));
    ck_assert_int_eq(got, 1600000000);
    edb_bundle_free(b);
    /* A later SOURCE_DATE_EPOCH leaves earlier times as they are. */
    sde = INT64_C(4000000000);
    make_bundle(bun, &sde);
    b = open_ok(bun);
    ck_assert(edb_bundle_run_time(b) == RUN_US);
    edb_bundle_free(b);
}
END_TEST

START_TEST(inputs_must_be_what_the_run_read)
{
    char inv[4200], fifo[4200];
    snprintf(inv, sizeof inv, "%s", in_tmp("inv.csv"));
    snprintf(fifo, sizeof fifo, "%s", in_tmp("fifo"));
    tu_write_file(inv, "a\n", 2);
    edb_recorder *rec = NULL;
    ck_assert_int_eq(edb_recorder_new(&rec, tmp), EDB_OK);
    edb_err e = EDB_ERR_INIT;
    ck_assert_int_eq(edb_recorder_add_input(rec, inv, NULL, &e), EDB_OK);
    /* Devices and pipes give what they give once: refused (and a pipe without a writer
     * does not block). */
    ck_assert_int_eq(edb_recorder_add_input(rec, "/dev/zero", NULL, &e), EDB_ERR_IO);
    ck_assert_msg(strstr(e.msg, "/dev/zero: not a regular file"), "%s", e.msg);
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    edb_err_clear(&e);
    ck_assert_int_eq(edb_recorder_add_input(rec, fifo, NULL, &e), EDB_ERR_IO);
    edb_err_clear(&e);
    ck_assert_int_eq(edb_recorder_add_input(rec, in_tmp("none"), NULL, &e), EDB_ERR_IO);
    ck_assert_uint_eq(edb_recorder_input_count(rec), 1);
    /* Changed after the copy: the bundle cannot say what the run read. */
    tu_write_file(inv, "b\n", 2);
    edb_bundle_info bi = {.run_time = RUN_US};
    edb_err_clear(&e);
    ck_assert_int_eq(edb_bundle_write(in_tmp("b.zip"), &bi, rec, NULL, 0, &e), EDB_ERR_IO);
    ck_assert_msg(strstr(e.msg, "inv.csv changed (or went) while edbx ran"), "%s", e.msg);
    ck_assert(!tu_exists(in_tmp("b.zip")));
    /* Put back as it was: fine again. */
    tu_write_file(inv, "a\n", 2);
    edb_err_clear(&e);
    ck_assert_msg(edb_bundle_write(in_tmp("b.zip"), &bi, rec, NULL, 0, &e) == EDB_OK, "%s", e.msg);
    edb_recorder_free(rec);
    /* The spool folder went with the recorder. */
    sh("test -z \"$(ls -A '%s' | grep edbx-bundle)\"", tmp);
}
END_TEST

START_TEST(token_and_limits_refused_when_writing)
{
    edb_recorder *rec = NULL;
    ck_assert_int_eq(edb_recorder_new(&rec, tmp), EDB_OK);
    edb_bundle_option opts[] = {{"where", "X == 'S3cretTok'", 0, 0}};
    edb_bundle_command cmd = {"get", opts, 1, NULL, 0, NULL};
    edb_bundle_info bi = {.command = &cmd, .token = "S3cretTok"};
    edb_err e = EDB_ERR_INIT;
    ck_assert_int_eq(edb_bundle_write(in_tmp("t.tar"), &bi, rec, NULL, 0, &e), EDB_ERR_INSECURE);
    ck_assert(!tu_exists(in_tmp("t.tar")));
    /* A reply whose line in the manifest would take it past what a reader takes fails
     * the fetch when it comes, not after the run. */
    size_t n = (size_t)EDB_BUNDLE_MANIFEST_MAX;
    char *url = malloc(n + 1);
    memset(url, 'u', n);
    url[n] = '\0';
    ck_assert_int_eq(feed(rec, A_NAME, url, A_BODY), EDB_ERR_USAGE);
    free(url);
    ck_assert_uint_eq(edb_recorder_count(rec), 0);
    edb_recorder_free(rec);
}
END_TEST

/* Each damage is reported by name, with what is wrong. */
START_TEST(verify_names_each_problem)
{
    char bun[4200];
    snprintf(bun, sizeof bun, "%s", in_tmp("b.tar.gz"));
    make_bundle(bun, NULL);
    char raw_a[128];
    snprintf(raw_a, sizeof raw_a, "raw/%s", A_NAME);
    static const struct {
        const char *code, *file, *why;
    } cases[] = {
        {"n = [k for k in files if k.startswith('raw/SA_ZATTEST1')][0]\n"
         "files[n] = files[n].replace(b'1.5', b'2.5')",
         "raw/SA_ZATTEST1", "the manifest says"},
        {"files['in/zz'] = b'x'", "in/zz", "not listed in the manifest"},
        {"del files['in/1-inv.csv']", "in/1-inv.csv", "missing from the bundle"},
        {"files['out/o.csv'] += b'more'", "out/o.csv", "more than the 11 bytes"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        edit(bun, in_tmp("d.tar.gz"), cases[k].code);
        edb_bundle *b = open_ok(in_tmp("d.tar.gz"));
        seen s = {"", 0, 0};
        edb_err e = EDB_ERR_INIT;
        ck_assert_int_eq(edb_bundle_verify(b, collect, &s, &e), EDB_ERR_DATA);
        char want[200];
        snprintf(want, sizeof want, "%s", cases[k].file);
        ck_assert_msg(strstr(s.text, want) && strstr(s.text, cases[k].why), "%zu: %s", k, s.text);
        ck_assert_int_eq(s.bad, 1);
        ck_assert_msg(strstr(e.msg, cases[k].file), "%s", e.msg);
        /* Unpacking finds the same, and keeps no file that failed. */
        char dir[4200];
        snprintf(dir, sizeof dir, "%s/x%zu", tmp, k);
        ck_assert_int_eq(mkdir(dir, 0700), 0);
        edb_err_clear(&e);
        ck_assert_int_eq(edb_bundle_extract(b, dir, NULL, NULL, &e), EDB_ERR_DATA);
        if (k == 0) {
            char p[4400];
            snprintf(p, sizeof p, "%s/%s", dir, raw_a);
            ck_assert(!tu_exists(p));
        }
        edb_bundle_free(b);
    }
    /* The bundle changed between opening and checking. */
    edb_bundle *b = open_ok(bun);
    edit(bun, bun, "m['base_url'] = 'http://other'");
    edb_err e = EDB_ERR_INIT;
    ck_assert_int_eq(edb_bundle_verify(b, NULL, NULL, &e), EDB_ERR_DATA);
    ck_assert_msg(strstr(e.msg, "manifest.json changed since the bundle was opened"), "%s", e.msg);
    edb_bundle_free(b);
}
END_TEST

/* Manifests the reader refuses, each with a message saying what is wrong. */
START_TEST(open_refuses_malformed_manifests)
{
    char bun[4200];
    snprintf(bun, sizeof bun, "%s", in_tmp("b.tar.gz"));
    make_bundle(bun, NULL);
    static const char *const cases[][2] = {
        {"files = {k: files[k] for k in list(files)[1:] + ['manifest.json']}",
         "not a bundle: its first file is in/1-inv.csv"},
        {"m['format'] = 'edbx-bundle-9'", "format edbx-bundle-9"},
        {"del m['run_time_us']", "no run_time_us"},
        {"m['command']['schema'] = 3", "schema 3; this edbx reads schema 2"},
        {"m['command']['options'][0]['exec'] = 'x'", "'exec' is not a key of schema 2"},
        {"m['command']['options'][0]['input'] = 'in/9-x'", "'input' is not a file the manifest lists"},
        {"m['command']['options'][0]['name'] = ''", "option 1: 'name' is not a string"},
        {"m['command']['options'][0]['value'] = 'v' * 70000", "not a string of at most 64 KiB"},
        {"m['command']['options'] = [{'name': 'brackets'}] * 5000", "5000 options"},
        {"m['command']['arguments'] = [1]", "argument 1 is not a string"},
        {"del m['command']['name']", "command needs a name"},
        {"m['requests'][0]['raw'] = 'raw/../../x'", "entry 1 of its raw/ list is malformed"},
        {"m['inputs'][0]['name'] = 'in/a/b'", "entry 1 of its in/ list is malformed"},
        {"m['inputs'][0]['name'] = 'in/..'", "entry 1 of its in/ list is malformed"},
        {"m['outputs'][0]['name'] = 'out/a\\nb'", "entry 1 of its out/ list is malformed"},
        {"m['outputs'][0]['name'] = 'raw/x'", "entry 1 of its out/ list is malformed"},
        {"m['inputs'][0]['path'] = ''", "entry 1 of its in/ list is malformed"},
        {"m['requests'][1]['raw'] = m['requests'][0]['raw']", "lists raw/SA_ZATTEST1"},
        {"m['requests'][0]['bytes'] = -1", "entry 1 of its raw/ list is malformed"},
        {"m['requests'][0]['sha256'] = 'AB' * 32", "entry 1 of its raw/ list is malformed"},
        {"m['source_date_epoch'] = -5", "source_date_epoch is not a count of seconds"},
        {"keep_manifest = True\n"
         "files['manifest.json'] = b'{\"format\": \"edbx-bundle-2\", \"format\": \"x\"}'",
         "does not parse"},
        {"keep_manifest = True\nfiles['manifest.json'] = b' ' * (65 << 20)",
         "manifest.json is larger than"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        edit(bun, in_tmp("d.tar.gz"), cases[k][0]);
        edb_bundle *b = NULL;
        edb_err e = EDB_ERR_INIT;
        ck_assert_int_eq(edb_bundle_open(&b, in_tmp("d.tar.gz"), &e), EDB_ERR_DATA);
        ck_assert_ptr_null(b);
        ck_assert_msg(strstr(e.msg, cases[k][1]), "%zu: want '%s' in: %s", k, cases[k][1], e.msg);
    }
    /* edbx 0.1's manifests: the command an argv (and no inputs list when none). */
    edit(bun, in_tmp("v1.tar.gz"),
         "m['format'] = 'edbx-bundle-1'; del m['command']; del m['inputs']\n"
         "del files['in/1-inv.csv']\n"
         "m['command_line'] = ['get', 'SA_ZATTEST1', '-o', 'o.csv']");
    edb_bundle *b = open_ok(in_tmp("v1.tar.gz"));
    ck_assert_int_eq(edb_bundle_command_schema(b), 1);
    ck_assert_uint_eq(edb_bundle_argc(b), 4);
    ck_assert_str_eq(edb_bundle_arg(b, 3), "o.csv");
    ck_assert_uint_eq(edb_bundle_input_count(b), 0);
    edb_err e = EDB_ERR_INIT;
    ck_assert_msg(edb_bundle_verify(b, NULL, NULL, &e) == EDB_OK, "%s", e.msg);
    edb_bundle_free(b);
}
END_TEST

/* A file size limit while spooling a reply: the bundle says which reply, which file and
 * the system's reason (it was "the stored reply does not decode"), also when the try is
 * abandoned for it (complete = 0, what the client does after a refused write). */
START_TEST(full_disk_names_the_file_and_the_reason)
{
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        signal(SIGXFSZ, SIG_IGN);
        struct rlimit rl = {4096, 4096};
        setrlimit(RLIMIT_FSIZE, &rl);
        edb_recorder *rec = NULL;
        if (edb_recorder_new(&rec, tmp) != EDB_OK)
            _exit(2);
        edb_reply_hooks h;
        edb_recorder_hooks(rec, &h);
        edb_request_info ri = {.mnemonic = "X", .url = "http://h/a", .uri_name = A_NAME};
        char big[65536];
        memset(big, 'x', sizeof big);
        int rcs = 0;
        for (int complete = 0; complete < 2; complete++) {
            void *t = h.tap_begin(h.ctx, &ri, 0);
            int w = h.tap_write(t, big, sizeof big);
            edb_err e = EDB_ERR_INIT;
            edb_status st = h.tap_end(t, complete, 200, &e);
            FILE *f = fopen(tu_path(tmp, complete ? "msg1" : "msg0"), "w");
            fputs(e.msg, f);
            fclose(f);
            rcs |= (w == 0) << complete | (st != EDB_ERR_IO) << (2 + complete);
        }
        edb_recorder_free(rec);
        _exit(rcs);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child: %d", status);
    for (int k = 0; k < 2; k++) {
        size_t n;
        char *m = tu_read_file(tu_path(tmp, k ? "msg1" : "msg0"), &n);
        char want[600];
        snprintf(want, sizeof want, "cannot keep the reply %s for the bundle (writing ", A_NAME);
        ck_assert_msg(strstr(m, want) == m && strstr(m, "): File too large"), "%s", m);
        free(m);
    }
}
END_TEST

static Suite *bundle_suite(void)
{
    Suite *s = suite_create("bundle");
    TCase *t = tcase_create("bundle");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_set_timeout(t, 120);
    tcase_add_test(t, round_trip);
    tcase_add_test(t, source_date_epoch_clamps_recorded_times);
    tcase_add_test(t, inputs_must_be_what_the_run_read);
    tcase_add_test(t, token_and_limits_refused_when_writing);
    tcase_add_test(t, verify_names_each_problem);
    tcase_add_test(t, open_refuses_malformed_manifests);
    tcase_add_test(t, full_disk_names_the_file_and_the_reason);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(bundle_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
