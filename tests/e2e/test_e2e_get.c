/* test_e2e_get.c: `edbx get` end to end, as a user runs it, against edb_server on
 * 127.0.0.1 serving the real 2021 recording in fixtures/.  Expected samples are read from
 * the recording's JSON with jansson and the CSV is parsed here, independently of edbx. */
#include <check.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <edb/edb.h>

#include "testutil.h"

static const char *const ALL21[] = {
    "INRSI_GWA_Y_TILT_AVGED", "SA_ZADUCMDX",  "SA_ZADUCMDY",  "SA_ZATTEST1",  "SA_ZATTEST2",
    "SA_ZATTEST3",            "SA_ZATTEST4",  "SA_ZFGDETID",  "SA_ZFGGSCMDX", "SA_ZFGGSCMDY",
    "SA_ZFGGSPOSX",           "SA_ZFGGSPOSY", "SA_ZRFGS2J11", "SA_ZRFGS2J12", "SA_ZRFGS2J13",
    "SA_ZRFGS2J21",           "SA_ZRFGS2J22", "SA_ZRFGS2J23", "SA_ZRFGS2J31", "SA_ZRFGS2J32",
    "SA_ZRFGS2J33",
};
#define N_ALL 21

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
    char cache[4200];
    snprintf(cache, sizeof cache, "%s-cache", tmp);
    tu_rmtree(cache);
    tu_rmtree(tmp);
    free(tmp);
}

static void serve(edb_server_options *so)
{
    srv = tu_serve(*so, tu_fixture("jwst-2021-01-26"), base);
}

static void serve_plain(void)
{
    edb_server_options so = EDB_SERVER_OPTIONS_INIT;
    serve(&so);
}

/* Run edbx with a clean environment: no token, no netrc, our server as the EDB, and a
 * fresh reply cache for every run (outside tmp, whose listing some cases check), so that
 * each run asks the server as these cases expect; test_e2e_local tests the cache. */
static int run(tu_run *r, const char *const *args, const char *extra_env)
{
    static int runs;
    char xdg[4300];
    snprintf(xdg, sizeof xdg, "XDG_CACHE_HOME=%s-cache/%d", tmp, runs++);
    const char *env[] = {xdg, extra_env, NULL};
    return tu_edbx_run(r, tmp, base, args, env);
}

static const char *path_in_tmp(const char *name)
{
    return tu_path(tmp, name);
}

/* ---- the recording, read independently ---------------------------------------------- */

typedef struct sample {
    int64_t ms;
    double v;
} sample;

static size_t load_samples(const char *mnemonic, sample **out)
{
    char name[128];
    size_t k;
    for (k = 0; mnemonic[k]; k++)
        name[k] = (char)((mnemonic[k] >= 'A' && mnemonic[k] <= 'Z') ? mnemonic[k] + 32 : mnemonic[k]);
    snprintf(name + k, sizeof name - k, "_data.json");
    char path[4200];
    snprintf(path, sizeof path, "%s", tu_fixture("jwst-2021-01-26"));
    strcat(path, "/");
    strcat(path, name);
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    ck_assert_msg(root != NULL, "%s: %s", path, je.text);
    json_t *data = json_object_get(root, "Data");
    size_t n = json_array_size(data);
    sample *s = calloc(n + 1, sizeof *s);
    for (size_t j = 0; j < n; j++) {
        json_t *e = json_array_get(data, j);
        const char *ot = json_string_value(json_object_get(e, "ObsTime"));
        ck_assert_ptr_nonnull(ot);
        s[j].ms = strtoll(ot + 6, NULL, 10); /* "/Date(1611628142147+0000)/" */
        s[j].v = json_number_value(json_object_get(e, "EUValue"));
    }
    json_decref(root);
    *out = s;
    return n;
}

/* One parsed CSV row. */
typedef struct row {
    int64_t ms;
    double mjd;
    char mnemonic[32];
    double v;
} row;

static int64_t parse_iso_ms(const char *s)
{
    /* 2021-01-26T02:30:00.659 */
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    ck_assert_int_eq((int)strlen(s), 23);
    ck_assert(s[4] == '-' && s[7] == '-' && s[10] == 'T' && s[13] == ':' && s[16] == ':' &&
              s[19] == '.');
    tm.tm_year = atoi(s) - 1900;
    tm.tm_mon = atoi(s + 5) - 1;
    tm.tm_mday = atoi(s + 8);
    tm.tm_hour = atoi(s + 11);
    tm.tm_min = atoi(s + 14);
    tm.tm_sec = atoi(s + 17);
    return (int64_t)timegm(&tm) * 1000 + atoi(s + 20);
}

static size_t parse_csv(char *text, row **out)
{
    char *save = NULL, *line = strtok_r(text, "\n", &save);
    ck_assert_ptr_nonnull(line);
    ck_assert_str_eq(line, "time,mjd,mnemonic,value");
    size_t n = 0, cap = 1024;
    row *rows = malloc(cap * sizeof *rows);
    while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
        if (n == cap)
            rows = realloc(rows, (cap *= 2) * sizeof *rows);
        char *f[4], *p = line;
        for (int k = 0; k < 4; k++) {
            f[k] = p;
            p = strchr(p, ',');
            if (k < 3) {
                ck_assert_msg(p != NULL, "short row: %s", line);
                *p++ = '\0';
            }
        }
        ck_assert_msg(p == NULL, "extra field in row");
        rows[n].ms = parse_iso_ms(f[0]);
        char *end;
        rows[n].mjd = strtod(f[1], &end);
        ck_assert(*end == '\0');
        snprintf(rows[n].mnemonic, sizeof rows[n].mnemonic, "%s", f[2]);
        rows[n].v = strtod(f[3], &end);
        ck_assert_msg(*end == '\0' && end != f[3], "bad value '%s'", f[3]);
        n++;
    }
    *out = rows;
    return n;
}

/* Check that rows[*pos...] are exactly the recording's samples of m in [a, b] (ms). */
static void expect_rows(const row *rows, size_t nrows, size_t *pos, const char *m, int64_t a,
                        int64_t b, int brackets)
{
    sample *s;
    size_t n = load_samples(m, &s), want = 0;
    for (size_t j = 0; j < n; j++) {
        int in = s[j].ms >= a && s[j].ms <= b;
        int before = brackets && s[j].ms < a && (j + 1 == n || s[j + 1].ms >= a);
        int after = brackets && s[j].ms > b && (j == 0 || s[j - 1].ms <= b);
        if (!(in || before || after))
            continue;
        ck_assert_msg(*pos < nrows, "%s: missing sample at %lld", m, (long long)s[j].ms);
        const row *r = &rows[(*pos)++];
        ck_assert_str_eq(r->mnemonic, m);
        ck_assert_msg(r->ms == s[j].ms, "%s: time %lld, want %lld", m, (long long)r->ms,
                      (long long)s[j].ms);
        ck_assert_msg(r->v == s[j].v, "%s at %lld: value %.17g, want %.17g", m,
                      (long long)r->ms, r->v, s[j].v);
        double mjd = 40587.0 + (double)s[j].ms / 86400000.0;
        ck_assert_msg(fabs(r->mjd - mjd) < 1e-9, "%s: mjd %.12f, want %.12f", m, r->mjd, mjd);
        want++;
    }
    ck_assert_msg(want > 0 || !brackets, "%s: no samples expected?", m);
    free(s);
}

/* ---- tests ------------------------------------------------------------------------------ */

START_TEST(all_21_mnemonics_exact)
{
    serve_plain();
    const char *args[40];
    size_t n = 0;
    args[n++] = "get";
    for (size_t k = 0; k < N_ALL; k++)
        args[n++] = ALL21[k];
    /* Fractional bounds in two spellings: the URL widens to whole seconds, edbx cuts back. */
    args[n++] = "--start";
    args[n++] = "2021-01-26T02:30:00.500";
    args[n++] = "--end";
    args[n++] = "2021-026T02:34:59.750Z";
    args[n++] = "-o";
    args[n++] = path_in_tmp("all.csv");
    args[n] = NULL;
    tu_run r;
    ck_assert_msg(run(&r, args, NULL) == 0, "exit %d: %s", r.status, r.err);
    ck_assert_str_eq(r.out, "");
    ck_assert_str_eq(r.err, "");
    tu_run_free(&r);
    char *csv = tu_read_file(path_in_tmp("all.csv"), NULL);
    ck_assert_ptr_nonnull(csv);
    row *rows;
    size_t nrows = parse_csv(csv, &rows), pos = 0;
    for (size_t k = 0; k < N_ALL; k++)
        expect_rows(rows, nrows, &pos, ALL21[k], INT64_C(1611628200500), INT64_C(1611628499750), 0);
    ck_assert_uint_eq(pos, nrows);
    /* One request per mnemonic (and its metadata over path B and EDP), and one for the
     * whole inventory (not one per mnemonic). */
    ck_assert_uint_eq(edb_server_requests(srv), tu_served(N_ALL, N_ALL) + 1);
    free(rows);
    free(csv);
}
END_TEST

START_TEST(whole_recording_and_brackets)
{
    serve_plain();
    /* Everything: each mnemonic's whole file, no more. */
    const char *args[] = {"get", "SA_ZRFGS2J11", "SA_ZFGDETID", "--start", "2021-01-26",
                          "--end", "2021-01-27", NULL};
    tu_run r;
    ck_assert_msg(run(&r, args, NULL) == 0, "exit %d: %s", r.status, r.err);
    row *rows;
    size_t nrows = parse_csv(r.out, &rows), pos = 0;
    ck_assert_uint_eq(nrows, 14 + 52);
    expect_rows(rows, nrows, &pos, "SA_ZRFGS2J11", INT64_MIN, INT64_MAX, 0);
    expect_rows(rows, nrows, &pos, "SA_ZFGDETID", INT64_MIN, INT64_MAX, 0);
    free(rows);
    tu_run_free(&r);

    /* --brackets: one sample beyond each end, whatever the distance. */
    const char *args2[] = {"get", "SA_ZRFGS2J11", "--start", "2021-01-26T02:31:00",
                           "--end", "2021-01-26T02:31:01", "--brackets", NULL};
    ck_assert_msg(run(&r, args2, NULL) == 0, "exit %d: %s", r.status, r.err);
    nrows = parse_csv(r.out, &rows);
    pos = 0;
    expect_rows(rows, nrows, &pos, "SA_ZRFGS2J11", INT64_C(1611628260000), INT64_C(1611628261000), 1);
    ck_assert_uint_eq(pos, nrows);
    ck_assert_uint_eq(nrows, 2); /* no sample inside that second: just the two brackets */
    free(rows);
    tu_run_free(&r);

    /* Without --brackets the same range is empty: header only. */
    const char *args3[] = {"get", "SA_ZRFGS2J11", "--start", "2021-01-26T02:31:00",
                           "--end", "2021-01-26T02:31:01", NULL};
    ck_assert_int_eq(run(&r, args3, NULL), 0);
    ck_assert_str_eq(r.out, "time,mjd,mnemonic,value\n");
    tu_run_free(&r);
}
END_TEST

/* SA_ZATTEST1 over 02:29:03-02:29:04: times and values from the recording; mjd is
 * 40587 + ms/86400000 correctly rounded, in its shortest round-trip text (Python's
 * repr(float(Fraction(40587) + Fraction(ms, 86400000)))). */
#define ZATT1_0229_03_04                                                                    \
    "time,mjd,mnemonic,value\n"                                                             \
    "2021-01-26T02:29:03.171,59240.10350892361,SA_ZATTEST1,-0.2095468\n"                    \
    "2021-01-26T02:29:03.427,59240.10351188658,SA_ZATTEST1,-0.20954679\n"                   \
    "2021-01-26T02:29:03.683,59240.103514849536,SA_ZATTEST1,-0.20954679\n"                  \
    "2021-01-26T02:29:03.939,59240.1035178125,SA_ZATTEST1,-0.20954679\n"

START_TEST(exact_text_of_a_small_query)
{
    serve_plain();
    const char *args[] = {"get", "sa_zattest1", "--start", "2021-01-26T02:29:03",
                          "--end", "2021-01-26T02:29:04", NULL};
    tu_run r;
    ck_assert_msg(run(&r, args, NULL) == 0, "exit %d: %s", r.status, r.err);
    /* mjd: 40587 + ms/86400000, shortest text that reads back (checked with python3). */
    ck_assert_str_eq(r.out, ZATT1_0229_03_04);
    tu_run_free(&r);
}
END_TEST

START_TEST(token_sources_and_secrecy)
{
    if (strcmp(tu_test_api(), "direct") == 0)
        return; /* the direct service takes no token: nothing here applies */
    edb_server_options so = EDB_SERVER_OPTIONS_INIT;
    so.token = "edbx-test-S3CRET";
    serve(&so);
    const char *out = path_in_tmp("t.csv");
    const char *args[] = {"get", "SA_ZATTEST1", "--start", "2021-01-26T02:29:03", "--end",
                          "2021-01-26T02:29:04", "-o", out, "-v", "--retries", "0", NULL};
    tu_run r;
    /* No token anywhere: 401, exit 4, a message that says what to do, no file. */
    ck_assert_int_eq(run(&r, args, NULL), 4);
    ck_assert_msg(strstr(r.err, "token is missing") && strstr(r.err, "MAST_API_TOKEN"), "%s",
                  r.err);
    ck_assert(!tu_exists(out));
    tu_run_free(&r);

    /* The environment. */
    ck_assert_msg(run(&r, args, "MAST_API_TOKEN=edbx-test-S3CRET") == 0, "%s", r.err);
    ck_assert_ptr_null(strstr(r.err, "S3CRET"));
    ck_assert_ptr_null(strstr(r.out, "S3CRET"));
    tu_run_free(&r);
    char *csv = tu_read_file(out, NULL);
    ck_assert_ptr_nonnull(csv);
    ck_assert_ptr_null(strstr(csv, "S3CRET"));
    ck_assert_str_eq(csv, ZATT1_0229_03_04);
    free(csv);
    remove(out);

    /* A wrong token: exit 4, "wrong or expired", and the wrong token is not echoed. */
    ck_assert_int_eq(run(&r, args, "MAST_API_TOKEN=not-the-one"), 4);
    ck_assert_ptr_nonnull(strstr(r.err, "wrong or expired"));
    ck_assert_ptr_null(strstr(r.err, "not-the-one"));
    tu_run_free(&r);

    /* --token-file. */
    tu_write_file(path_in_tmp("tok"), "edbx-test-S3CRET\n", 17);
    const char *args_tf[] = {"get", "SA_ZATTEST1", "--start", "2021-01-26T02:29:03", "--end",
                             "2021-01-26T02:29:04", "--token-file", path_in_tmp("tok"), NULL};
    ck_assert_msg(run(&r, args_tf, NULL) == 0, "%s", r.err);
    ck_assert_ptr_nonnull(strstr(r.out, "SA_ZATTEST1,-0.2095468"));
    tu_run_free(&r);

    /* ~/.netrc, the entry of the base URL's host (HOME is the test's temp dir); `mast`
     * names mast.stsci.edu only (test_e2e_cli: netrc_entry_only_for_its_host). */
    const char *netrc = "machine other.example login x password nope\n"
                        "machine 127.0.0.1 login me password edbx-test-S3CRET\n";
    tu_write_file(path_in_tmp(".netrc"), netrc, strlen(netrc));
    const char *args_n[] = {"get", "SA_ZATTEST1", "--start", "2021-01-26T02:29:03", "--end",
                            "2021-01-26T02:29:04", NULL};
    ck_assert_msg(run(&r, args_n, NULL) == 0, "%s", r.err);
    tu_run_free(&r);
    remove(path_in_tmp(".netrc"));

    /* Never on the command line. */
    const char *args_t[] = {"get", "SA_ZATTEST1", "--start", "2021-01-26", "--token",
                            "edbx-test-S3CRET", NULL};
    ck_assert_int_eq(run(&r, args_t, NULL), 2);
    ck_assert_ptr_nonnull(strstr(r.err, "--token-file"));
    ck_assert_ptr_null(strstr(r.err, "S3CRET"));
    tu_run_free(&r);
}
END_TEST

START_TEST(insecure_base_url_refused)
{
    if (strcmp(tu_test_api(), "direct") == 0)
        return; /* the direct service takes no token: nothing here applies */
    serve_plain();
    const char *args[] = {"get", "SA_ZATTEST1", "--start", "2021-01-26T02:29:03",
                          "--base-url", "http://edb.example.org/", NULL};
    tu_run r;
    ck_assert_int_eq(run(&r, args, "MAST_API_TOKEN=abc"), 2);
    ck_assert_ptr_nonnull(strstr(r.err, "clear text"));
    ck_assert_ptr_null(strstr(r.err, "abc"));
    tu_run_free(&r);
}
END_TEST

START_TEST(unknown_mnemonic)
{
    serve_plain();
    /* Without the inventory (--no-meta) the service's 404 says it. */
    const char *out = path_in_tmp("x.csv");
    const char *args[] = {"get", "SA_ZATTEST1", "SA_ZNOSUCH1", "--start", "2021-01-26T02:29:03",
                          "--end", "2021-01-26T02:29:04", "-o", out, "--no-meta", NULL};
    tu_run r;
    ck_assert_int_eq(run(&r, args, NULL), 3);
    ck_assert_msg(strstr(r.err, "SA_ZNOSUCH1: no such mnemonic (HTTP 404"), "%s", r.err);
    ck_assert(!tu_exists(out));
    tu_run_free(&r);
    /* With it, the name is refused before any data request: one request, the inventory's. */
    unsigned long before = edb_server_requests(srv);
    args[9] = NULL;
    ck_assert_int_eq(run(&r, args, NULL), 3);
    const char *api = tu_test_api();
    const char *want = strcmp(api, "direct") == 0
                           ? "edbx: SA_ZNOSUCH1: no such mnemonic in the inventory of the direct "
                             "(path B) service from "
                       : strcmp(api, "edp") == 0
                           ? "edbx: SA_ZNOSUCH1: no such mnemonic in the inventory of the EDP "
                             "service from "
                           : "edbx: SA_ZNOSUCH1: no such mnemonic in Mast.JwstEdb.Mnemonics from ";
    ck_assert_msg(strncmp(r.err, want, strlen(want)) == 0 &&
                  strchr(r.err, '\n') == r.err + strlen(r.err) - 1, "%s", r.err);
    ck_assert(!tu_exists(out));
    ck_assert_uint_eq(edb_server_requests(srv), before + 1);
    tu_run_free(&r);
}
END_TEST

START_TEST(usage_errors_make_no_request)
{
    serve_plain();
    static const struct {
        const char *args[12];
        const char *msg;
    } cases[] = {
        {{"get", "SA_ZATT-1", "--start", "2021-01-26", NULL}, "invalid mnemonic 'SA_ZATT-1'"},
        {{"get", "SA_ZATTEST1", "--start", "2021-13-26", NULL}, "month 13"},
        {{"get", "SA_ZATTEST1", "--start", "2021-01-26", "--end", "2021-01-25", NULL},
         "is before the start"},
        {{"get", "SA_ZATTEST1", NULL}, "--start is required"},
        {{"get", "--start", "2021-01-26", NULL}, "at least one mnemonic"},
        {{"get", "SA_ZATTEST1", "--start", "2021-01-26", "--bogus", NULL}, "unknown option --bogus"},
        /* long options are spelled out whole: no abbreviation stands for another */
        {{"get", "SA_ZATTEST1", "--sta", "2021-01-26", NULL}, "unknown option --sta "},
        {{"get", "SA_ZATTEST1", "--start", "2021-01-26", "--bu=x.tgz", NULL},
         "unknown option --bu "},
        {{"get", "SA_ZATTEST1", "--start", "2021-01-26", "--start", "2021-01-27", NULL},
         "--start is given twice"},
        {{"get", "SA_ZATTEST1", "--start", "2021-01-26", "-qx", NULL}, "unknown option -x"},
        {{"get", "SA_ZATTEST1", "--start", "2021-01-26", "--brackets=1", NULL},
         "--brackets takes no value"},
        {{"get", "SA_ZATTEST1", "--start", NULL}, "--start needs a value (TIME)"},
        {{"get", "SA_ZATTEST1", "--start", "2021-01-26", "-O", "width=1", "-o", "x.fits", NULL},
         "-O width: fits takes no such option (it takes none)"},
        {{"get", "SA_ZATTEST1", "--start", "2021-01-26", "--retries", "x", NULL}, "retries"},
        {{"get", "SA_ZATTEST1", "--start", "2021-01-26", "--format", "xls", NULL}, "xls"},
        {{"frobnicate", NULL}, "no command 'frobnicate'"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        tu_run r;
        ck_assert_msg(run(&r, cases[k].args, NULL) == 2, "case %zu: exit %d: %s", k, r.status,
                      r.err);
        ck_assert_msg(strstr(r.err, cases[k].msg), "case %zu: %s", k, r.err);
        ck_assert_msg(strncmp(r.err, "edbx: ", 6) == 0, "case %zu: %s", k, r.err);
        tu_run_free(&r);
    }
    ck_assert_uint_eq(edb_server_requests(srv), 0);
}
END_TEST

START_TEST(output_folder_missing)
{
    serve_plain();
    const char *args[] = {"get", "SA_ZATTEST1", "--start", "2021-01-26T02:29:03", "-o",
                          path_in_tmp("no/such/dir/x.csv"), NULL};
    tu_run r;
    ck_assert_int_eq(run(&r, args, NULL), 7);
    ck_assert_ptr_nonnull(strstr(r.err, "no/such/dir/x.csv"));
    ck_assert_uint_eq(edb_server_requests(srv), 0);
    tu_run_free(&r);
}
END_TEST

START_TEST(retry_503_then_success)
{
    edb_server_options so = EDB_SERVER_OPTIONS_INIT;
    so.fault_status = 503;
    so.fault_count = 1;
    so.retry_after = 1;
    serve(&so);
    const char *args[] = {"get", "SA_ZATTEST1", "--start", "2021-01-26T02:29:03", "--end",
                          "2021-01-26T02:29:04", "-v", "--no-meta", NULL};
    tu_run r;
    ck_assert_msg(run(&r, args, NULL) == 0, "exit %d: %s", r.status, r.err);
    ck_assert_ptr_nonnull(strstr(r.err, "HTTP 503"));
    ck_assert_ptr_nonnull(strstr(r.err, "retrying in 1.0 s"));
    ck_assert_ptr_nonnull(strstr(r.out, "2021-01-26T02:29:03.939,59240.1035178125,SA_ZATTEST1,-0.20954679\n"));
    /* the first request is refused and tried again, whichever it is */
    ck_assert_uint_eq(edb_server_requests(srv), tu_served(2, 1));
    tu_run_free(&r);
}
END_TEST

START_TEST(timeout_leaves_no_file)
{
    edb_server_options so = EDB_SERVER_OPTIONS_INIT;
    so.delay_us = 2500000;
    so.fault_count = -1;
    serve(&so);
    const char *out = path_in_tmp("slow.csv");
    const char *args[] = {"get", "SA_ZATTEST1", "--start", "2021-01-26T02:29:03", "--end",
                          "2021-01-26T02:29:04", "--timeout", "500ms", "-o", out, NULL};
    tu_run r;
    ck_assert_int_eq(run(&r, args, "ENG_RETRIES=0"), 5);
    ck_assert_msg(strstr(r.err, "timed out"), "%s", r.err);
    ck_assert(!tu_exists(out));
    tu_run_free(&r);
}
END_TEST

START_TEST(truncated_reply_leaves_no_file)
{
    edb_server_options so = EDB_SERVER_OPTIONS_INIT;
    so.truncate_after = 120;
    so.fault_count = -1;
    serve(&so);
    const char *out = path_in_tmp("cut.csv");
    const char *args[] = {"get", "SA_ZATTEST1", "--start", "2021-01-26T02:29:03", "--end",
                          "2021-01-26T02:29:04", "--retries", "1", "-o", out, "--no-meta",
                          NULL};
    tu_run r;
    ck_assert_int_eq(run(&r, args, NULL), 5);
    ck_assert_msg(strstr(r.err, "cut short"), "%s", r.err);
    ck_assert(!tu_exists(out));
    ck_assert_uint_eq(edb_server_requests(srv), 2);
    /* Nor any temporary file beside it. */
    tu_run ls;
    const char *lsargs[] = {"/bin/ls", "-A", tmp, NULL};
    tu_run_cmd(&ls, lsargs, NULL);
    ck_assert_str_eq(ls.out, "");
    tu_run_free(&ls);
    tu_run_free(&r);
}
END_TEST

START_TEST(help_and_version)
{
    tu_run r;
    const char *a1[] = {"--help", NULL};
    ck_assert_int_eq(run(&r, a1, NULL), 0);
    ck_assert_ptr_nonnull(strstr(r.out, "Exit status:"));
    ck_assert_ptr_nonnull(strstr(r.out, "4    authentication"));
    tu_run_free(&r);
    const char *a2[] = {"get", "--help", NULL};
    ck_assert_int_eq(run(&r, a2, NULL), 0);
    ck_assert_ptr_nonnull(strstr(r.out, "--token-file"));
    tu_run_free(&r);
    const char *a3[] = {"--version", NULL};
    ck_assert_int_eq(run(&r, a3, NULL), 0);
    ck_assert_str_eq(r.out, "edbx 0.1.0\n");
    tu_run_free(&r);
    const char *a4[] = {NULL};
    ck_assert_int_eq(run(&r, a4, NULL), 2);
    tu_run_free(&r);
}
END_TEST

static Suite *e2e_suite(void)
{
    Suite *s = suite_create("e2e_get");
    TCase *t = tcase_create("get");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_set_timeout(t, 120);
    tcase_add_test(t, all_21_mnemonics_exact);
    tcase_add_test(t, whole_recording_and_brackets);
    tcase_add_test(t, exact_text_of_a_small_query);
    tcase_add_test(t, token_sources_and_secrecy);
    tcase_add_test(t, insecure_base_url_refused);
    tcase_add_test(t, unknown_mnemonic);
    tcase_add_test(t, usage_errors_make_no_request);
    tcase_add_test(t, output_folder_missing);
    tcase_add_test(t, retry_503_then_success);
    tcase_add_test(t, timeout_leaves_no_file);
    tcase_add_test(t, truncated_reply_leaves_no_file);
    tcase_add_test(t, help_and_version);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *r = srunner_create(e2e_suite());
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
