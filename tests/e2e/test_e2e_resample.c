/* test_e2e_resample.c: `edbx get` with resampling options, end to end against edb_server
 * on 127.0.0.1: the real 2021 recording (expected values recomputed here from its JSON),
 * and a small store written by the test with a string mnemonic and a change-only one
 * whose last change lies a month before the range. */
#include <check.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <edb/edb.h>

#include "testutil.h"

#define S INT64_C(1000000)

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

static void serve_store(const char *store)
{
    edb_server_options so = EDB_SERVER_OPTIONS_INIT;
    srv = tu_serve(so, store, base);
}

static int run(tu_run *r, const char *const *args)
{
    return tu_edbx_run(r, tmp, base, args, NULL);
}

/* ---- the recording, read independently ------------------------------------------------ */

typedef struct sample {
    int64_t us;
    double v;
} sample;

static size_t load(const char *file, sample **out)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", tu_fixture("jwst-2021-01-26"), file);
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    ck_assert_msg(root != NULL, "%s: %s", path, je.text);
    json_t *data = json_object_get(root, "Data");
    size_t n = json_array_size(data);
    sample *s = calloc(n + 1, sizeof *s);
    for (size_t j = 0; j < n; j++) {
        json_t *e = json_array_get(data, j);
        const char *ot = json_string_value(json_object_get(e, "ObsTime"));
        s[j].us = strtoll(ot + 6, NULL, 10) * 1000;
        s[j].v = json_number_value(json_object_get(e, "EUValue"));
    }
    json_decref(root);
    *out = s;
    return n;
}

/* The CSV lines of out (header included), split in place. */
static size_t lines(char *out, char **v, size_t max)
{
    size_t n = 0;
    for (char *p = strtok(out, "\n"); p && n < max; p = strtok(NULL, "\n"))
        v[n++] = p;
    return n;
}

/* Field k (0-based) of a CSV line without quotes; "" when empty. */
static const char *field(const char *line, int k, char *buf, size_t n)
{
    const char *p = line;
    for (int q = 0; q < k; q++) {
        p = strchr(p, ',');
        ck_assert_ptr_nonnull(p);
        p++;
    }
    size_t len = strcspn(p, ",\r");
    ck_assert_uint_lt(len, n);
    memcpy(buf, p, len);
    buf[len] = '\0';
    return buf;
}

/* out without its mjd column (the MJD text is the writer's business, tested elsewhere). */
static char *no_mjd(const char *out)
{
    char *res = malloc(strlen(out) + 1), *q = res;
    for (const char *p = out; *p;) {
        const char *c1 = strchr(p, ',');
        const char *nl = strchr(p, '\n');
        ck_assert(c1 && nl && c1 < nl);
        const char *c2 = strchr(c1 + 1, ',');
        ck_assert(c2 && c2 < nl);
        memcpy(q, p, (size_t)(c1 - p));
        q += c1 - p;
        memcpy(q, c2, (size_t)(nl + 1 - c2));
        q += nl + 1 - c2;
        p = nl + 1;
    }
    *q = '\0';
    return res;
}

#define ASSERT_OUT(r, want)                                                                  \
    do {                                                                                     \
        char *got_ = no_mjd((r).out);                                                        \
        ck_assert_str_eq(got_, want);                                                        \
        free(got_);                                                                          \
    } while (0)

/* 2021-01-26T02:30:00Z */
#define T230 (INT64_C(1611628200) * S)

START_TEST(test_every_linear)
{
    serve_store(tu_fixture("jwst-2021-01-26"));
    const char *args[] = {"get", "SA_ZATTEST1", "--start", "2021-01-26T02:30:00", "--end",
                          "2021-01-26T02:31:00", "--every", "10s", NULL};
    tu_run r;
    ck_assert_int_eq(run(&r, args), 0);
    char *v[32];
    size_t n = lines(r.out, v, 32);
    ck_assert_str_eq(v[0], "time,mjd,SA_ZATTEST1");
    ck_assert_uint_eq(n, 8); /* 02:30:00, :10, ... 02:31:00 */
    sample *s;
    size_t ns = load("sa_zattest1_data.json", &s);
    for (size_t k = 0; k < 7; k++) {
        int64_t t = T230 + (int64_t)k * 10 * S;
        size_t j = 0;
        while (j < ns && s[j].us <= t)
            j++;
        ck_assert(j > 0 && j < ns);
        double want = s[j - 1].us == t ? s[j - 1].v
                      : s[j - 1].v + (double)(t - s[j - 1].us) / (double)(s[j].us - s[j - 1].us) *
                                         (s[j].v - s[j - 1].v);
        char buf[64], tb[64];
        snprintf(tb, sizeof tb, "2021-01-26T02:3%d:%d0.000", (int)(k / 6), (int)(k % 6));
        ck_assert_str_eq(field(v[k + 1], 0, buf, sizeof buf), tb);
        double got = strtod(field(v[k + 1], 2, buf, sizeof buf), NULL);
        ck_assert_msg(fabs(got - want) <= 1e-15, "row %zu: %.17g vs %.17g", k, got, want);
    }
    free(s);
    tu_run_free(&r);
}
END_TEST

START_TEST(test_minute_mean)
{
    serve_store(tu_fixture("jwst-2021-01-26"));
    const char *args[] = {"get", "SA_ZATTEST1", "--start", "2021-01-26T02:29:00", "--end",
                          "2021-01-26T02:36:00", "--every", "1min", "--stats", "mean,count",
                          "-o", NULL, NULL};
    char out[4300];
    snprintf(out, sizeof out, "%s/m.csv", tmp);
    args[11] = out;
    tu_run r;
    ck_assert_msg(run(&r, args) == 0, "%s", r.err);
    tu_run_free(&r);
    char *text = tu_read_file(out, NULL);
    ck_assert_ptr_nonnull(text);
    char *v[32];
    size_t n = lines(text, v, 32);
    ck_assert_str_eq(v[0], "time,mjd,SA_ZATTEST1_mean,SA_ZATTEST1_count");
    ck_assert_uint_eq(n, 8);
    sample *s;
    size_t ns = load("sa_zattest1_data.json", &s);
    const int64_t start = T230 - 60 * S;
    for (int k = 0; k < 7; k++) {
        double sum = 0;
        long cnt = 0;
        for (size_t j = 0; j < ns; j++)
            if (s[j].us >= start + k * 60 * S && s[j].us < start + (k + 1) * 60 * S) {
                sum += s[j].v;
                cnt++;
            }
        char buf[64];
        ck_assert_int_eq(strtol(field(v[k + 1], 3, buf, sizeof buf), NULL, 10), cnt);
        double got = strtod(field(v[k + 1], 2, buf, sizeof buf), NULL);
        ck_assert_msg(fabs(got - sum / (double)cnt) <= 1e-12, "minute %d", k);
    }
    free(s);
    free(text);
}
END_TEST

START_TEST(test_changes_and_where)
{
    serve_store(tu_fixture("jwst-2021-01-26"));
    /* SA_ZATTEST2 takes 9 distinct values in 1607 samples: count its changes here */
    sample *s;
    size_t ns = load("sa_zattest2_data.json", &s);
    size_t want = 1;
    for (size_t j = 1; j < ns; j++)
        want += s[j].v != s[j - 1].v;
    free(s);
    const char *args[] = {"get", "SA_ZATTEST2", "--start", "2021-01-26T02:00:00", "--end",
                          "2021-01-26T03:00:00", "--changes", NULL};
    tu_run r;
    ck_assert_int_eq(run(&r, args), 0);
    char *v[2048];
    size_t n = lines(r.out, v, 2048);
    ck_assert_uint_eq(n, want + 1);
    tu_run_free(&r);
    /* SA_ZFGGSCMDX sits still for its 798 samples: one row */
    const char *still[] = {"get", "SA_ZFGGSCMDX", "--start", "2021-01-26T02:00:00", "--end",
                           "2021-01-26T03:00:00", "--changes", NULL};
    ck_assert_int_eq(run(&r, still), 0);
    ck_assert_uint_eq(lines(r.out, v, 2048), 2);
    tu_run_free(&r);
    /* a condition that never holds: empty output, exit 0, a warning */
    const char *never[] = {"get", "SA_ZATTEST1", "--start", "2021-01-26T02:30:00", "--end",
                           "2021-01-26T02:31:00", "--where", "SA_ZFGDETID > 100", NULL};
    ck_assert_int_eq(run(&r, never), 0);
    ck_assert_str_eq(r.out, "time,mjd,mnemonic,value\n");
    ck_assert_msg(strstr(r.err, "warning") && strstr(r.err, "SA_ZFGDETID > 100"), "%s", r.err);
    tu_run_free(&r);
    /* a condition that always holds keeps everything (SA_ZFGDETID is 1 throughout) */
    const char *always[] = {"get", "SA_ZATTEST1", "--start", "2021-01-26T02:30:00", "--end",
                            "2021-01-26T02:30:01", "--where", "SA_ZFGDETID == 1", NULL};
    ck_assert_int_eq(run(&r, always), 0);
    n = lines(r.out, v, 2048);
    ck_assert_uint_eq(n, 5); /* the 4 samples of that second */
    ck_assert_str_eq(r.err, "");
    tu_run_free(&r);
    /* a bad expression points at the token */
    const char *bad[] = {"get", "SA_ZATTEST1", "--start", "2021-01-26T02:30:00", "--where",
                         "SA_ZATTEST1 >> 3", NULL};
    ck_assert_int_eq(run(&r, bad), 2);
    ck_assert_msg(strstr(r.err, "--where 'SA_ZATTEST1 >> 3': unexpected '>>' at column 13"),
                  "%s", r.err);
    tu_run_free(&r);
}
END_TEST

/* A store of two mnemonics: a string state and a change-only real whose last change
 * before 2024-01-01 came on 2023-12-01. */
static void write_store(char *dir, size_t n)
{
    snprintf(dir, n, "%s/store", tmp);
    char cmd[4400];
    snprintf(cmd, sizeof cmd, "%s/meta.json", dir);
    ck_assert_int_eq(mkdir(dir, 0700), 0);
    const char *meta = "{\"Count\": 2, \"TlmMnemonics\": ["
                       "{\"TlmMnemonic\": \"SA_ZSTATE\", \"Subsystem\": \"SA\", \"RawType\": \"CS\","
                       " \"EUType\": \"CS\", \"SQLType\": \"VARCHAR(50)\", \"AllPoints\": 1},"
                       "{\"TlmMnemonic\": \"SA_ZCHANGE\", \"Subsystem\": \"SA\", \"RawType\": "
                       "\"FL32\", \"EUType\": \"FL32\", \"SQLType\": \"REAL\", \"AllPoints\": 0}]}";
    ck_assert_int_eq(tu_write_file(cmd, meta, strlen(meta)), 0);
    /* 2024-01-01T00:00:00Z = 1704067200 */
    const char *state = "{\"TlmMnemonic\": \"SA_ZSTATE\", \"AllPoints\": 1, \"Count\": 4, \"Data\": ["
                        "{\"ObsTime\": \"/Date(1704067200000+0000)/\", \"EUValue\": \"OFF\"},"
                        "{\"ObsTime\": \"/Date(1704067210000+0000)/\", \"EUValue\": \"ON\"},"
                        "{\"ObsTime\": \"/Date(1704067220000+0000)/\", \"EUValue\": \"ON\"},"
                        "{\"ObsTime\": \"/Date(1704067230000+0000)/\", \"EUValue\": \"OFF\"}]}";
    snprintf(cmd, sizeof cmd, "%s/sa_zstate_data.json", dir);
    ck_assert_int_eq(tu_write_file(cmd, state, strlen(state)), 0);
    /* 2023-12-01T00:00:00Z = 1701388800: 4.5; 2024-01-01T00:00:25Z: 6.5 */
    const char *chg = "{\"TlmMnemonic\": \"SA_ZCHANGE\", \"AllPoints\": 0, \"Count\": 2, \"Data\": ["
                      "{\"ObsTime\": \"/Date(1701388800000+0000)/\", \"EUValue\": 4.5},"
                      "{\"ObsTime\": \"/Date(1704067225000+0000)/\", \"EUValue\": 6.5}]}";
    snprintf(cmd, sizeof cmd, "%s/sa_zchange_data.json", dir);
    ck_assert_int_eq(tu_write_file(cmd, chg, strlen(chg)), 0);
}

START_TEST(test_strings_and_brackets)
{
    char store[4300];
    write_store(store, sizeof store);
    serve_store(store);
    tu_run r;
    /* hold at 5 s steps: the change-only mnemonic holds the month-old 4.5 from START */
    const char *a1[] = {"get", "SA_ZSTATE", "SA_ZCHANGE", "--start", "2024-01-01T00:00:00",
                        "--end", "2024-01-01T00:00:30", "--every", "10s", "--method", "hold",
                        NULL};
    ck_assert_msg(run(&r, a1) == 0, "%s", r.err);
    ASSERT_OUT(r, "time,SA_ZSTATE,SA_ZCHANGE\n"
                            "2024-01-01T00:00:00.000,OFF,4.5\n"
                            "2024-01-01T00:00:10.000,ON,4.5\n"
                            "2024-01-01T00:00:20.000,ON,4.5\n"
                            "2024-01-01T00:00:30.000,OFF,6.5\n");
    tu_run_free(&r);
    /* time-weighted mean over the half minute: 4.5 for 25 s, 6.5 for 5 s -> 4.8333... */
    const char *a2[] = {"get", "SA_ZCHANGE", "--start", "2024-01-01T00:00:00", "--end",
                        "2024-01-01T00:00:30", "--every", "30s", "--stats", "mean,count",
                        "--weighted", NULL};
    ck_assert_msg(run(&r, a2) == 0, "%s", r.err);
    char *v[8];
    ck_assert_uint_eq(lines(r.out, v, 8), 2);
    char buf[64];
    ck_assert(strtod(field(v[1], 2, buf, sizeof buf), NULL) == (4.5 * 25 + 6.5 * 5) / 30);
    ck_assert_str_eq(field(v[1], 3, buf, sizeof buf), "1");
    tu_run_free(&r);
    /* a numeric statistic of a string mnemonic is left out of its columns; asked alone,
     * it is a usage error naming it */
    const char *a3[] = {"get", "SA_ZSTATE", "--start", "2024-01-01T00:00:00", "--end",
                        "2024-01-01T00:00:30", "--every", "10s", "--stats", "count,mean", NULL};
    ck_assert_msg(run(&r, a3) == 0, "%s", r.err);
    ASSERT_OUT(r, "time,SA_ZSTATE_count\n"
                  "2024-01-01T00:00:00.000,1\n"
                  "2024-01-01T00:00:10.000,1\n"
                  "2024-01-01T00:00:20.000,2\n");
    tu_run_free(&r);
    const char *a3b[] = {"get", "SA_ZSTATE", "--start", "2024-01-01T00:00:00", "--end",
                         "2024-01-01T00:00:30", "--every", "10s", "--stats", "mean", NULL};
    ck_assert_int_eq(run(&r, a3b), 2);
    ck_assert_msg(strstr(r.err, "SA_ZSTATE is a string mnemonic: mean is not defined"), "%s",
                  r.err);
    tu_run_free(&r);
    /* where on a string, and --align union */
    const char *a4[] = {"get", "SA_ZCHANGE", "--start", "2024-01-01T00:00:00", "--end",
                        "2024-01-01T00:00:30", "--every", "5s", "--method", "hold", "--where",
                        "SA_ZSTATE == 'ON'", NULL};
    ck_assert_msg(run(&r, a4) == 0, "%s", r.err);
    ASSERT_OUT(r, "time,SA_ZCHANGE\n"
                            "2024-01-01T00:00:10.000,4.5\n"
                            "2024-01-01T00:00:15.000,4.5\n"
                            "2024-01-01T00:00:20.000,4.5\n"
                            "2024-01-01T00:00:25.000,6.5\n");
    tu_run_free(&r);
    const char *a5[] = {"get", "SA_ZSTATE", "SA_ZCHANGE", "--start", "2024-01-01T00:00:00",
                        "--end", "2024-01-01T00:00:30", "--align", "union", NULL};
    ck_assert_msg(run(&r, a5) == 0, "%s", r.err);
    ASSERT_OUT(r, "time,SA_ZSTATE,SA_ZCHANGE\n"
                            "2024-01-01T00:00:00.000,OFF,4.5\n"
                            "2024-01-01T00:00:10.000,ON,4.5\n"
                            "2024-01-01T00:00:20.000,ON,4.5\n"
                            "2024-01-01T00:00:25.000,ON,6.5\n"
                            "2024-01-01T00:00:30.000,OFF,6.5\n");
    tu_run_free(&r);
    /* --at FILE (any time syntax, comments, unsorted) and --hourly's default statistics */
    char atf[4400];
    snprintf(atf, sizeof atf, "%s/at.txt", tmp);
    const char *attext = "# grid\n2024-01-01T00:00:25\n\n2024-001T00:00:05Z\n";
    ck_assert_int_eq(tu_write_file(atf, attext, strlen(attext)), 0);
    const char *a8[] = {"get", "SA_ZSTATE", "SA_ZCHANGE", "--start", "2024-01-01T00:00:00",
                        "--end", "2024-01-01T00:00:30", "--at", atf, "--method", "hold", NULL};
    ck_assert_msg(run(&r, a8) == 0, "%s", r.err);
    ASSERT_OUT(r, "time,SA_ZSTATE,SA_ZCHANGE\n"
                  "2024-01-01T00:00:05.000,OFF,4.5\n"
                  "2024-01-01T00:00:25.000,ON,6.5\n");
    tu_run_free(&r);
    const char *a9[] = {"get", "SA_ZCHANGE", "--start", "2024-01-01T00:00:00", "--end",
                        "2024-01-01T00:00:30", "--hourly", NULL};
    ck_assert_msg(run(&r, a9) == 0, "%s", r.err);
    ASSERT_OUT(r, "time,SA_ZCHANGE_mean,SA_ZCHANGE_min,SA_ZCHANGE_max,SA_ZCHANGE_median,"
                  "SA_ZCHANGE_std,SA_ZCHANGE_count\n"
                  "2024-01-01T00:00:00.000,6.5,6.5,6.5,6.5,,1\n");
    tu_run_free(&r);
    /* --max-gap: the month-old 4.5 is too old to hold; linear has no pair of samples within
     * an hour before 00:00:25 and never extrapolates past it */
    const char *a10[] = {"get", "SA_ZCHANGE", "--start", "2024-01-01T00:00:00", "--end",
                         "2024-01-01T00:00:30", "--every", "10s", "--method", "hold",
                         "--max-gap", "1h", NULL};
    ck_assert_msg(run(&r, a10) == 0, "%s", r.err);
    ASSERT_OUT(r, "time,SA_ZCHANGE\n"
                  "2024-01-01T00:00:00.000,\n"
                  "2024-01-01T00:00:10.000,\n"
                  "2024-01-01T00:00:20.000,\n"
                  "2024-01-01T00:00:30.000,6.5\n");
    tu_run_free(&r);
    const char *a11[] = {"get", "SA_ZCHANGE", "--start", "2024-01-01T00:00:00", "--end",
                         "2024-01-01T00:00:30", "--every", "10s", "--method", "linear",
                         "--max-gap", "1h", NULL};
    ck_assert_msg(run(&r, a11) == 0, "%s", r.err);
    ASSERT_OUT(r, "time,SA_ZCHANGE\n"
                  "2024-01-01T00:00:00.000,\n"
                  "2024-01-01T00:00:10.000,\n"
                  "2024-01-01T00:00:20.000,\n"
                  "2024-01-01T00:00:30.000,\n");
    tu_run_free(&r);
    /* --align MNEMONIC: the rows are SA_ZSTATE's sample times, SA_ZCHANGE held at them */
    const char *a12[] = {"get", "SA_ZSTATE", "SA_ZCHANGE", "--start", "2024-01-01T00:00:00",
                         "--end", "2024-01-01T00:00:30", "--align", "SA_ZSTATE", NULL};
    ck_assert_msg(run(&r, a12) == 0, "%s", r.err);
    ASSERT_OUT(r, "time,SA_ZSTATE,SA_ZCHANGE\n"
                  "2024-01-01T00:00:00.000,OFF,4.5\n"
                  "2024-01-01T00:00:10.000,ON,4.5\n"
                  "2024-01-01T00:00:20.000,ON,4.5\n"
                  "2024-01-01T00:00:30.000,OFF,6.5\n");
    tu_run_free(&r);
    /* conflicting or incomplete options */
    const char *a6[] = {"get", "SA_ZSTATE", "--start", "2024-01-01", "--stats", "count", NULL};
    ck_assert_int_eq(run(&r, a6), 2);
    ck_assert_msg(strstr(r.err, "--every"), "%s", r.err);
    tu_run_free(&r);
    const char *a7[] = {"get", "SA_ZSTATE", "--start", "2024-01-01", "--every", "1s", "--daily",
                        NULL};
    ck_assert_int_eq(run(&r, a7), 2);
    tu_run_free(&r);
}
END_TEST

static Suite *e2e_resample_suite(void)
{
    Suite *s = suite_create("e2e_resample");
    TCase *tc = tcase_create("resample");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_every_linear);
    tcase_add_test(tc, test_minute_mean);
    tcase_add_test(tc, test_changes_and_where);
    tcase_add_test(tc, test_strings_and_brackets);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(e2e_resample_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
