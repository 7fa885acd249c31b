/* test_e2e_analysis.c: `edbx get` with the analysis a monitor needs (issue 11), end to end:
 * conditions, derived columns, blocks, states, strings in statistics, half-open days and
 * relative midnights, gap warnings, --fail-if, --during on FITS headers written here with
 * cfitsio, and the refusals that must come before the first request (counted at an
 * edb_server on 127.0.0.1).  The store is written by the test; every expected value is
 * worked out by hand in the comments (times are seconds after 2024-01-01T00:00:00Z), or,
 * for the real recording, recomputed here from its JSON with plain loops. */
#include <check.h>
#include <fitsio.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <edb/edb.h>

#include "testutil.h"

#define S INT64_C(1000000)
#define T0S INT64_C(1704067200) /* 2024-01-01T00:00:00Z */

static char *tmp;
static edb_server *srv;
static char base[TU_BASE_LEN];
static char store[4300], inventory[4300];

/* ---- the store ---------------------------------------------------------------------------- */

static void put_series(const char *name, int allpoints, const double *t, const char *const *v,
                       size_t n)
{
    char lower[64], path[4400];
    size_t k = 0;
    for (; name[k] && k < sizeof lower - 1; k++)
        lower[k] = (char)(name[k] >= 'A' && name[k] <= 'Z' ? name[k] + 32 : name[k]);
    lower[k] = '\0';
    snprintf(path, sizeof path, "%s/%s_data.json", store, lower);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "{\"TlmMnemonic\": \"%s\", \"AllPoints\": %d, \"Count\": %zu, \"Data\": [", name,
            allpoints, n);
    for (size_t j = 0; j < n; j++)
        fprintf(f, "%s{\"ObsTime\": \"/Date(%lld+0000)/\", \"EUValue\": %s}", j ? ", " : "",
                (long long)((T0S + (int64_t)t[j]) * 1000), v[j]);
    fputs("]}", f);
    ck_assert_int_eq(fclose(f), 0);
}

/* SA_ZV (real, V):  -10:5.0 0:5.0 10:5.1 20:5.2 30:4.9 40:5.0 50:5.3 60:5.4 70:5.0
 * SA_ZI (real, A, change-only): -3600:2.0  25:3.0  65:1.0
 * SA_ZPOS (state): -60:F1 20:F2 30:F3 40:F2 80:F4
 * SA_ZMODE (state): -60:OFF 15:ON 45:OFF
 * SA_ZGAP (real): every 10 s over 0..30 and 150..200 (values 0 1 2 ...)
 * SA_ZDAY (real): 2024-01-01T23:59:59, 2024-01-02T00:00:00, 12:00, 2024-01-03T00:00:00 */
static void write_store(void)
{
    snprintf(store, sizeof store, "%s/store", tmp);
    ck_assert_int_eq(mkdir(store, 0700), 0);
    const char *meta =
        "{\"Count\": 6, \"TlmMnemonics\": ["
        "{\"TlmMnemonic\": \"SA_ZV\", \"Subsystem\": \"SA\", \"RawType\": \"FL32\", \"EUType\": "
        "\"FL32\", \"SQLType\": \"REAL\", \"AllPoints\": 1},"
        "{\"TlmMnemonic\": \"SA_ZI\", \"Subsystem\": \"SA\", \"RawType\": \"FL32\", \"EUType\": "
        "\"FL32\", \"SQLType\": \"REAL\", \"AllPoints\": 0},"
        "{\"TlmMnemonic\": \"SA_ZPOS\", \"Subsystem\": \"SA\", \"RawType\": \"UI8\", \"EUType\": "
        "\"DS\", \"SQLType\": \"VARCHAR(50)\", \"AllPoints\": 1},"
        "{\"TlmMnemonic\": \"SA_ZMODE\", \"Subsystem\": \"SA\", \"RawType\": \"UI8\", \"EUType\": "
        "\"DS\", \"SQLType\": \"VARCHAR(50)\", \"AllPoints\": 1},"
        "{\"TlmMnemonic\": \"SA_ZGAP\", \"Subsystem\": \"SA\", \"RawType\": \"FL32\", \"EUType\": "
        "\"FL32\", \"SQLType\": \"REAL\", \"AllPoints\": 1},"
        "{\"TlmMnemonic\": \"SA_ZDAY\", \"Subsystem\": \"SA\", \"RawType\": \"FL32\", \"EUType\": "
        "\"FL32\", \"SQLType\": \"REAL\", \"AllPoints\": 1}]}";
    ck_assert_int_eq(tu_write_file(tu_path(store, "meta.json"), meta, strlen(meta)), 0);
    const double tv[] = {-10, 0, 10, 20, 30, 40, 50, 60, 70};
    const char *vv[] = {"5.0", "5.0", "5.1", "5.2", "4.9", "5.0", "5.3", "5.4", "5.0"};
    put_series("SA_ZV", 1, tv, vv, 9);
    const double ti[] = {-3600, 25, 65};
    const char *vi[] = {"2.0", "3.0", "1.0"};
    put_series("SA_ZI", 0, ti, vi, 3);
    const double tp[] = {-60, 20, 30, 40, 80};
    const char *vp[] = {"\"F1\"", "\"F2\"", "\"F3\"", "\"F2\"", "\"F4\""};
    put_series("SA_ZPOS", 1, tp, vp, 5);
    const double tm[] = {-60, 15, 45};
    const char *vm[] = {"\"OFF\"", "\"ON\"", "\"OFF\""};
    put_series("SA_ZMODE", 1, tm, vm, 3);
    const double tg[] = {0, 10, 20, 30, 150, 160, 170, 180, 190, 200};
    const char *vg[] = {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"};
    put_series("SA_ZGAP", 1, tg, vg, 10);
    const double td[] = {86399, 86400, 86400 + 43200, 2 * 86400};
    const char *vd[] = {"1.0", "2.0", "3.0", "100.0"};
    put_series("SA_ZDAY", 1, td, vd, 4);
    snprintf(inventory, sizeof inventory, "%s/inventory.csv", tmp);
    const char *inv = "tlmMnemonic,unit,description,sqlDataType\n"
                      "SA_ZV,V,bus voltage,real\n"
                      "SA_ZI,A,drive current,real\n"
                      "SA_ZPOS,,wheel position,varchar\n";
    ck_assert_int_eq(tu_write_file(inventory, inv, strlen(inv)), 0);
}

static void setup(void)
{
    tmp = tu_mkdtemp();
    write_store();
}

static void teardown(void)
{
    edb_server_stop(srv);
    srv = NULL;
    tu_rmtree(tmp);
    free(tmp);
}

/* edbx get ARGS... --source STORE (no network). */
static int get(tu_run *r, const char *const *args)
{
    const char *argv[64];
    size_t n = 0;
    argv[n++] = "get";
    for (; *args; args++)
        argv[n++] = *args;
    argv[n++] = "--source";
    argv[n++] = store;
    argv[n] = NULL;
    return tu_edbx_run(r, tmp, NULL, argv, NULL);
}

/* edbx get ARGS... against edb_server on 127.0.0.1 (started on first use). */
static int get_http(tu_run *r, const char *const *args)
{
    if (!srv) {
        edb_server_options so = EDB_SERVER_OPTIONS_INIT;
        srv = tu_serve(so, store, base);
    }
    const char *argv[64];
    size_t n = 0;
    argv[n++] = "get";
    for (; *args; args++)
        argv[n++] = *args;
    argv[n++] = "--no-cache";
    argv[n] = NULL;
    return tu_edbx_run(r, tmp, base, argv, NULL);
}

/* The CSV lines of out, header included, split in place. */
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

/* Field k of line read as a number: the writers print the shortest text that reads back
 * as the same double, so an exact comparison holds. */
static double num(const char *line, int k)
{
    char buf[64];
    const char *f = field(line, k, buf, sizeof buf);
    ck_assert_msg(*f, "field %d of '%s' is empty", k, line);
    return strtod(f, NULL);
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

#define RANGE "--start", "2024-01-01T00:00:00", "--end", "2024-01-01T00:01:00"

/* ---- conditions ---------------------------------------------------------------------------- */

START_TEST(test_where_boolean)
{
    tu_run r;
    /* ON in [15, 45): samples 20 (5.2) 30 (4.9) 40 (5.0); not (V < 5 or V > 5.25) drops 30 */
    const char *a1[] = {"SA_ZV", RANGE, "--where",
                        "SA_ZMODE == 'ON' and not (SA_ZV < 5.0 or SA_ZV > 5.25)", NULL};
    ck_assert_msg(get(&r, a1) == 0, "%s", r.err);
    ASSERT_OUT(r, "time,mnemonic,value\n"
                  "2024-01-01T00:00:20.000,SA_ZV,5.2\n"
                  "2024-01-01T00:00:40.000,SA_ZV,5\n");
    tu_run_free(&r);
    /* and binds tighter than or: ON (20 30 40), or 5.25 < V < 5.35 (50) */
    const char *a2[] = {"SA_ZV", RANGE, "--where",
                        "SA_ZMODE == 'ON' or SA_ZV > 5.25 and SA_ZV < 5.35", NULL};
    ck_assert_msg(get(&r, a2) == 0, "%s", r.err);
    ASSERT_OUT(r, "time,mnemonic,value\n"
                  "2024-01-01T00:00:20.000,SA_ZV,5.2\n"
                  "2024-01-01T00:00:30.000,SA_ZV,4.9\n"
                  "2024-01-01T00:00:40.000,SA_ZV,5\n"
                  "2024-01-01T00:00:50.000,SA_ZV,5.3\n");
    tu_run_free(&r);
    /* repeated --where are ANDed; a syntax error names the column */
    const char *a3[] = {"SA_ZV", RANGE, "--where", "SA_ZMODE == 'ON'", "--where",
                        "SA_ZV >= 5", NULL};
    ck_assert_msg(get(&r, a3) == 0, "%s", r.err);
    ASSERT_OUT(r, "time,mnemonic,value\n"
                  "2024-01-01T00:00:20.000,SA_ZV,5.2\n"
                  "2024-01-01T00:00:40.000,SA_ZV,5\n");
    tu_run_free(&r);
    const char *a4[] = {"SA_ZV", RANGE, "--where", "SA_ZV > 5 and and SA_ZV < 6", NULL};
    ck_assert_int_eq(get(&r, a4), 2);
    ck_assert_msg(strstr(r.err, "--where 'SA_ZV > 5 and and SA_ZV < 6': unexpected 'and' at "
                                "column 15"), "%s", r.err);
    tu_run_free(&r);
}
END_TEST

/* ---- derived columns ----------------------------------------------------------------------- */

START_TEST(test_expr_product)
{
    tu_run r;
    char out[4400];
    snprintf(out, sizeof out, "%s/p.ecsv", tmp);
    /* V linear at 0 20 40 60: 5.0 5.2 5.0 5.4; I change-only, held: 2 2 3 3 */
    const char *a1[] = {"SA_ZV", "--expr", "P = SA_ZV * SA_ZI", RANGE, "--every", "20s",
                        "--meta", inventory, "-o", out, NULL};
    ck_assert_msg(get(&r, a1) == 0, "%s", r.err);
    tu_run_free(&r);
    char *text = tu_read_file(out, NULL);
    ck_assert_ptr_nonnull(text);
    ck_assert_msg(strstr(text, "{name: \"P\", datatype: float64, description: \"SA_ZV * SA_ZI\", "
                               "meta: {mnemonic: \"P\", edb_unit: \"V A\"}}"), "%s", text);
    char *body = strstr(text, "\ntime,mjd,SA_ZV,P\n");
    ck_assert_ptr_nonnull(body);
    char *v[16];
    ck_assert_uint_eq(lines(body + 1, v, 16), 5);
    const double wv[] = {5.0, 5.2, 5.0, 5.4}, wi[] = {2.0, 2.0, 3.0, 3.0};
    for (int k = 0; k < 4; k++) {
        ck_assert(num(v[k + 1], 2) == wv[k]);
        ck_assert_msg(num(v[k + 1], 3) == wv[k] * wi[k], "row %d: %s", k, v[k + 1]);
    }
    free(text);
    /* an expression needs a grid; alone, derived columns are an output */
    const char *a2[] = {"SA_ZV", "--expr", "P = SA_ZV * 2", RANGE, NULL};
    ck_assert_int_eq(get(&r, a2), 2);
    ck_assert_msg(strstr(r.err, "a derived column is computed on a grid: add --every"), "%s",
                  r.err);
    tu_run_free(&r);
    /* division by zero is no value: V - 5 is 0 at 0 and 40 */
    const char *a3[] = {"--expr", "R = 1 / (SA_ZV - 5)", "--start", "2024-01-01T00:00:00",
                        "--end", "2024-01-01T00:00:40", "--every", "20s", NULL};
    ck_assert_msg(get(&r, a3) == 0, "%s", r.err);
    ck_assert_uint_eq(lines(r.out, v, 16), 4);
    ck_assert_str_eq(v[0], "time,mjd,R");
    char buf[64];
    ck_assert_str_eq(field(v[1], 2, buf, sizeof buf), "");
    ck_assert(num(v[2], 2) == 1 / (5.2 - 5.0));
    ck_assert_str_eq(field(v[3], 2, buf, sizeof buf), "");
    tu_run_free(&r);
}
END_TEST

/* ---- blocks and states ------------------------------------------------------------------- */

START_TEST(test_blocks_and_states)
{
    tu_run r;
    /* points 0..60; ON at 20 30 40: one block [20, 40] */
    const char *a1[] = {"SA_ZV", RANGE, "--where", "SA_ZMODE == 'ON'", "--blocks", "--stats",
                        "mean,count", NULL};
    ck_assert_msg(get(&r, a1) == 0, "%s", r.err);
    char *v[16];
    ck_assert_uint_eq(lines(r.out, v, 16), 2);
    ck_assert_str_eq(v[0], "time,mjd,end,end_mjd,SA_ZV_mean,SA_ZV_count");
    char buf[64];
    ck_assert_str_eq(field(v[1], 0, buf, sizeof buf), "2024-01-01T00:00:20.000");
    ck_assert_str_eq(field(v[1], 2, buf, sizeof buf), "2024-01-01T00:00:40.000");
    ck_assert(num(v[1], 4) == (5.2 + 4.9 + 5.0) / 3);
    ck_assert_str_eq(field(v[1], 5, buf, sizeof buf), "3");
    tu_run_free(&r);
    /* states of SA_ZPOS: F1 from START (held since -60), F2 [20,30), F3 [30,40) one sample
     * long, F2 [40, 60] (it runs on after END) */
    const char *a2[] = {"SA_ZV", RANGE, "--group-by", "SA_ZPOS", "--stats", "mean,count", NULL};
    ck_assert_msg(get(&r, a2) == 0, "%s", r.err);
    ck_assert_uint_eq(lines(r.out, v, 16), 5);
    ck_assert_str_eq(v[0], "time,mjd,SA_ZPOS,end,end_mjd,SA_ZV_mean,SA_ZV_count");
    const char *ws[] = {"F1", "F2", "F3", "F2"};
    const char *wt[] = {"2024-01-01T00:00:00.000", "2024-01-01T00:00:20.000",
                        "2024-01-01T00:00:30.000", "2024-01-01T00:00:40.000"};
    const char *we[] = {"2024-01-01T00:00:20.000", "2024-01-01T00:00:30.000",
                        "2024-01-01T00:00:40.000", "2024-01-01T00:01:00.000"};
    const double wm[] = {(5.0 + 5.1) / 2, 5.2, 4.9, (5.0 + 5.3 + 5.4) / 3};
    const char *wc[] = {"2", "1", "1", "3"};
    for (int k = 0; k < 4; k++) {
        ck_assert_str_eq(field(v[k + 1], 0, buf, sizeof buf), wt[k]);
        ck_assert_str_eq(field(v[k + 1], 2, buf, sizeof buf), ws[k]);
        ck_assert_str_eq(field(v[k + 1], 3, buf, sizeof buf), we[k]);
        ck_assert_msg(num(v[k + 1], 5) == wm[k], "row %d: %s", k, v[k + 1]);
        ck_assert_str_eq(field(v[k + 1], 6, buf, sizeof buf), wc[k]);
    }
    tu_run_free(&r);
    /* --daily makes rows of its own */
    const char *a3[] = {"SA_ZV", RANGE, "--group-by", "SA_ZPOS", "--daily", NULL};
    ck_assert_int_eq(get(&r, a3), 2);
    ck_assert_msg(strstr(r.err, "--group-by makes rows of its own"), "%s", r.err);
    tu_run_free(&r);
}
END_TEST

/* ---- strings in statistics ----------------------------------------------------------------- */

START_TEST(test_strings_in_stats)
{
    tu_run r;
    /* bins [0,30) [30,60]: V 5.0 5.1 5.2 | 4.9 5.0 5.3 5.4; POS samples 20 (F2) | 30 (F3)
     * 40 (F2): each column takes what its type defines */
    const char *a1[] = {"SA_ZV", "SA_ZPOS", RANGE, "--every", "30s", "--stats",
                        "mean,count,mode,first", NULL};
    ck_assert_msg(get(&r, a1) == 0, "%s", r.err);
    char *v[8];
    ck_assert_uint_eq(lines(r.out, v, 8), 3);
    ck_assert_str_eq(v[0], "time,mjd,SA_ZV_mean,SA_ZV_count,SA_ZV_first,SA_ZPOS_count,"
                           "SA_ZPOS_mode,SA_ZPOS_first");
    char buf[64];
    ck_assert(num(v[1], 2) == (5.0 + 5.1 + 5.2) / 3);
    ck_assert_str_eq(field(v[1], 5, buf, sizeof buf), "1");
    ck_assert_str_eq(field(v[1], 6, buf, sizeof buf), "F2");
    ck_assert_str_eq(field(v[2], 5, buf, sizeof buf), "2");
    ck_assert_str_eq(field(v[2], 6, buf, sizeof buf), "F2"); /* F2 and F3 once each: F2 */
    ck_assert_str_eq(field(v[2], 7, buf, sizeof buf), "F3");
    tu_run_free(&r);
}
END_TEST

/* The units of statistics columns as a writer reads them: a count has none, every other
 * statistic (std included) the mnemonic's. */
START_TEST(test_stat_units)
{
    tu_run r;
    char out[4400];
    snprintf(out, sizeof out, "%s/u.ecsv", tmp);
    const char *a1[] = {"SA_ZV", "SA_ZPOS", RANGE, "--every", "30s", "--stats",
                        "mean,std,count,mode,max", "--meta", inventory, "-o", out, NULL};
    ck_assert_msg(get(&r, a1) == 0, "%s", r.err);
    tu_run_free(&r);
    char *text = tu_read_file(out, NULL);
    ck_assert_ptr_nonnull(text);
    /* The subsystem comes from the store's meta.json (the inventory of a --source). */
    static const char *const want[] = {
        "{name: \"SA_ZV_mean\", unit: \"V\", datatype: float64, description: \"bus voltage\", "
        "meta: {mnemonic: \"SA_ZV\", stat: \"mean\", edb_unit: \"V\", subsystem: \"SA\"}}",
        "{name: \"SA_ZV_std\", unit: \"V\", datatype: float64, description: \"bus voltage\", "
        "meta: {mnemonic: \"SA_ZV\", stat: \"std\", edb_unit: \"V\", subsystem: \"SA\"}}",
        "{name: \"SA_ZV_count\", datatype: int64, description: \"bus voltage\", "
        "meta: {mnemonic: \"SA_ZV\", stat: \"count\", subsystem: \"SA\"}}",
        "{name: \"SA_ZV_max\", unit: \"V\", datatype: float64, description: \"bus voltage\", "
        "meta: {mnemonic: \"SA_ZV\", stat: \"max\", edb_unit: \"V\", subsystem: \"SA\"}}",
        "{name: \"SA_ZPOS_count\", datatype: int64, description: \"wheel position\", "
        "meta: {mnemonic: \"SA_ZPOS\", stat: \"count\", subsystem: \"SA\"}}",
        "{name: \"SA_ZPOS_mode\", datatype: string, description: \"wheel position\", "
        "meta: {mnemonic: \"SA_ZPOS\", stat: \"mode\", subsystem: \"SA\"}}",
    };
    for (size_t k = 0; k < sizeof want / sizeof want[0]; k++)
        ck_assert_msg(strstr(text, want[k]), "missing %s in\n%s", want[k], text);
    ck_assert_ptr_null(strstr(text, "SA_ZV_mode")); /* a real has no mode */
    ck_assert_ptr_null(strstr(text, "SA_ZPOS_mean"));
    free(text);
}
END_TEST

/* ---- days ------------------------------------------------------------------------------- */

START_TEST(test_for_midnight)
{
    tu_run r;
    /* [2024-01-02, +1d): the samples at 00:00 and 12:00, not 23:59:59 the day before nor
     * the next midnight */
    const char *want = "time,mnemonic,value\n"
                       "2024-01-02T00:00:00.000,SA_ZDAY,2\n"
                       "2024-01-02T12:00:00.000,SA_ZDAY,3\n";
    const char *a1[] = {"SA_ZDAY", "--start", "2024-01-02", "--for", "1d", NULL};
    ck_assert_msg(get(&r, a1) == 0, "%s", r.err);
    ASSERT_OUT(r, want);
    tu_run_free(&r);
    /* yesterday, with the clock at 2024-01-03T08:00:00Z (a replay's recorded time) */
    const char *a2[] = {"SA_ZDAY", "--start", "yesterday", "--for", "1d", "--run-time-us",
                        "1704268800000000", NULL};
    ck_assert_msg(get(&r, a2) == 0, "%s", r.err);
    ASSERT_OUT(r, want);
    tu_run_free(&r);
    /* the same midnight written in New York's winter time */
    const char *a3[] = {"SA_ZDAY", "--start", "2024-01-01T19:00:00-05:00", "--for", "1d", NULL};
    ck_assert_msg(get(&r, a3) == 0, "%s", r.err);
    ASSERT_OUT(r, want);
    tu_run_free(&r);
    /* a daily bin: two samples, mean 2.5 */
    const char *a4[] = {"SA_ZDAY", "--start", "today-1d", "--for", "1d", "--daily",
                        "--stats", "count,mean", "--run-time-us", "1704268800000000", NULL};
    ck_assert_msg(get(&r, a4) == 0, "%s", r.err);
    ASSERT_OUT(r, "time,SA_ZDAY_count,SA_ZDAY_mean\n2024-01-02T00:00:00.000,2,2.5\n");
    tu_run_free(&r);
    const char *a5[] = {"SA_ZDAY", "--start", "2024-01-02", "--for", "1d", "--end",
                        "2024-01-03", NULL};
    ck_assert_int_eq(get(&r, a5), 2);
    ck_assert_msg(strstr(r.err, "--for and --end both give the end"), "%s", r.err);
    tu_run_free(&r);
    const char *a6[] = {"SA_ZDAY", "--start", "2024-01-02", "--for", "0s", NULL};
    ck_assert_int_eq(get(&r, a6), 2);
    tu_run_free(&r);
}
END_TEST

/* --daily-window: each day's bin counts only its window (jwql's 15 minutes at noon). */
START_TEST(test_daily_window)
{
    tu_run r;
    /* windows [12:00, 13:00): 01-01 none, 01-02 the sample at 12:00 (3), 01-03 none */
    const char *a1[] = {"SA_ZDAY", "--start", "2024-01-01", "--for", "3d", "--daily",
                        "--daily-window", "12:00/1h", "--stats", "count,mean", NULL};
    ck_assert_msg(get(&r, a1) == 0, "%s", r.err);
    ASSERT_OUT(r, "time,SA_ZDAY_count,SA_ZDAY_mean\n"
                  "2024-01-01T00:00:00.000,0,\n"
                  "2024-01-02T00:00:00.000,1,3\n"
                  "2024-01-03T00:00:00.000,0,\n");
    tu_run_free(&r);
    /* seconds in the time of day: [23:59:59, 24:00) holds 01-01T23:59:59 (1) only; the
     * sample at the next midnight belongs to the next day, whose window is empty */
    const char *a2[] = {"SA_ZDAY", "--start", "2024-01-01", "--for", "2d", "--daily",
                        "--daily-window", "23:59:59/1s", "--stats", "count,mean", NULL};
    ck_assert_msg(get(&r, a2) == 0, "%s", r.err);
    ASSERT_OUT(r, "time,SA_ZDAY_count,SA_ZDAY_mean\n"
                  "2024-01-01T00:00:00.000,1,1\n"
                  "2024-01-02T00:00:00.000,0,\n");
    tu_run_free(&r);
    /* a window before the range's start is no row: from 01-02T13:00, only 01-03's */
    const char *a3[] = {"SA_ZDAY", "--start", "2024-01-02T13:00", "--for", "1d", "--daily",
                        "--daily-window", "12:00/1h", "--stats", "count", NULL};
    ck_assert_msg(get(&r, a3) == 0, "%s", r.err);
    ASSERT_OUT(r, "time,SA_ZDAY_count\n2024-01-03T00:00:00.000,0\n");
    tu_run_free(&r);
    /* refused: without --daily, past midnight, not a time of day, no window in range */
    const char *bad[][2] = {{"--every", "1d"}, {"--daily", "23:00/2h"}, {"--daily", "12:60/1h"},
                            {"--daily", "12/1h"}, {"--daily", "12:00/0s"}};
    const char *why[] = {"add --daily", "must end by midnight", "HH:MM/DUR", "HH:MM/DUR",
                         "HH:MM/DUR"};
    for (int k = 0; k < 5; k++) {
        const char *win = k == 0 ? "12:00/1h" : bad[k][1];
        const char *ab[] = {"SA_ZDAY", "--start", "2024-01-01", "--for", "1d", bad[k][0],
                            k == 0 ? bad[k][1] : "--stats", k == 0 ? "--stats" : "count",
                            k == 0 ? "count" : "--daily-window", k == 0 ? "--daily-window" : win,
                            k == 0 ? win : NULL, NULL};
        ck_assert_int_eq(get(&r, ab), 2);
        ck_assert_msg(strstr(r.err, why[k]), "%d: %s", k, r.err);
        tu_run_free(&r);
    }
    const char *a4[] = {"SA_ZDAY", "--start", "2024-01-02T13:00", "--for", "1h", "--daily",
                        "--daily-window", "12:00/1h", NULL};
    ck_assert_int_eq(get(&r, a4), 2);
    ck_assert_msg(strstr(r.err, "no day's window falls inside the range"), "%s", r.err);
    tu_run_free(&r);
}
END_TEST

/* --on union: the sample times of every output mnemonic, each by its point method. */
START_TEST(test_on_union)
{
    tu_run r;
    /* SA_ZV at 0 10 20 30 40 50 60, SA_ZI (change-only, held) changes at 25: the grid is
     * 0 10 20 25 30 40 50 60; V at 25 is (5.2 + 4.9) / 2 by linear interpolation (5.2
     * held with --align union), I is 2 before 25 and 3 from it */
    const char *a1[] = {"SA_ZV", "SA_ZI", "--expr", "P = SA_ZV * SA_ZI", RANGE, "--on", "union",
                        NULL};
    ck_assert_msg(get(&r, a1) == 0, "%s", r.err);
    char *v[16];
    ck_assert_uint_eq(lines(r.out, v, 16), 9);
    ck_assert_str_eq(v[0], "time,mjd,SA_ZV,SA_ZI,P");
    const int ts[] = {0, 10, 20, 25, 30, 40, 50, 60};
    const double wv[] = {5.0, 5.1, 5.2, (5.2 + 4.9) / 2, 4.9, 5.0, 5.3, 5.4};
    for (int k = 0; k < 8; k++) {
        char want[32], buf[64];
        snprintf(want, sizeof want, "2024-01-01T00:%02d:%02d.000", ts[k] / 60, ts[k] % 60);
        ck_assert_str_eq(field(v[k + 1], 0, buf, sizeof buf), want);
        double wi = ts[k] < 25 ? 2.0 : 3.0;
        ck_assert_msg(num(v[k + 1], 2) == wv[k], "%s", v[k + 1]);
        ck_assert(num(v[k + 1], 3) == wi);
        ck_assert_msg(num(v[k + 1], 4) == wv[k] * wi, "%s", v[k + 1]);
    }
    tu_run_free(&r);
    /* with --align union V is held at 25 */
    const char *a2[] = {"SA_ZV", "SA_ZI", RANGE, "--align", "union", NULL};
    ck_assert_msg(get(&r, a2) == 0, "%s", r.err);
    ck_assert_uint_eq(lines(r.out, v, 16), 9);
    ck_assert(num(v[4], 2) == 5.2);
    tu_run_free(&r);
    /* one grid option at a time */
    const char *a3[] = {"SA_ZV", RANGE, "--on", "union", "--every", "10s", NULL};
    ck_assert_int_eq(get(&r, a3), 2);
    ck_assert_msg(strstr(r.err, "choose one of --every"), "%s", r.err);
    tu_run_free(&r);
}
END_TEST

/* ---- no silent gaps ------------------------------------------------------------------- */

START_TEST(test_gap_warning)
{
    tu_run r;
    const char *a1[] = {"SA_ZGAP", "--start", "2024-01-01T00:00:00", "--end",
                        "2024-01-01T00:03:20", "--every", "20s", NULL};
    ck_assert_msg(get(&r, a1) == 0, "%s", r.err);
    ck_assert_str_eq(r.err, "edbx: warning: SA_ZGAP: 6 values held or interpolated across a "
                            "gap of 2min, from 2024-01-01T00:00:30.000 to "
                            "2024-01-01T00:02:30.000 (more than 10 times its median cadence "
                            "of 10s); --max-gap DUR leaves such values empty\n");
    tu_run_free(&r);
    /* -q: silent */
    const char *a2[] = {"SA_ZGAP", "--start", "2024-01-01T00:00:00", "--end",
                        "2024-01-01T00:03:20", "--every", "20s", "-q", NULL};
    ck_assert_int_eq(get(&r, a2), 0);
    ck_assert_str_eq(r.err, "");
    tu_run_free(&r);
    /* where the samples are regular: nothing to say */
    const char *a3[] = {"SA_ZGAP", "--start", "2024-01-01T00:02:30", "--end",
                        "2024-01-01T00:03:20", "--every", "5s", NULL};
    ck_assert_int_eq(get(&r, a3), 0);
    ck_assert_str_eq(r.err, "");
    tu_run_free(&r);
    /* --max-gap keeps its meaning, and says what it emptied */
    const char *a4[] = {"SA_ZGAP", "--start", "2024-01-01T00:00:00", "--end",
                        "2024-01-01T00:03:20", "--every", "20s", "--max-gap", "50s", NULL};
    ck_assert_int_eq(get(&r, a4), 0);
    ck_assert_str_eq(r.err, "edbx: warning: SA_ZGAP: 6 values left empty by --max-gap 50s; the "
                            "longest gap is 2min, from 2024-01-01T00:00:30.000 to "
                            "2024-01-01T00:02:30.000\n");
    tu_run_free(&r);
    /* a raw query without samples in range names the value in force */
    const char *a5[] = {"SA_ZI", "--start", "2024-01-01T00:00:30", "--end",
                        "2024-01-01T00:01:00", NULL};
    ck_assert_int_eq(get(&r, a5), 0);
    ck_assert_str_eq(r.out, "time,mjd,mnemonic,value\n");
    ck_assert_str_eq(r.err, "edbx: warning: SA_ZI: no sample in range; the value held since "
                            "2024-01-01T00:00:25.000 is 3: use --every or --brackets to carry "
                            "it\n");
    tu_run_free(&r);
    const char *a6[] = {"SA_ZPOS", "--start", "2024-01-01T00:00:50", "--end",
                        "2024-01-01T00:01:10", "--brackets", NULL};
    ck_assert_int_eq(get(&r, a6), 0);
    ck_assert_str_eq(r.err, "edbx: warning: SA_ZPOS: no sample in range; the value held since "
                            "2024-01-01T00:00:40.000 is F2\n");
    ASSERT_OUT(r, "time,mnemonic,value\n"
                  "2024-01-01T00:00:40.000,SA_ZPOS,F2\n"
                  "2024-01-01T00:01:20.000,SA_ZPOS,F4\n");
    tu_run_free(&r);
    const char *a7[] = {"SA_ZMODE", "--start", "2023-12-31", "--end", "2023-12-31T01:00", NULL};
    ck_assert_int_eq(get(&r, a7), 0);
    ck_assert_str_eq(r.err, "edbx: warning: SA_ZMODE: no sample in range, and none before it\n");
    tu_run_free(&r);
}
END_TEST

/* ---- --fail-if -------------------------------------------------------------------------- */

START_TEST(test_fail_if)
{
    tu_run r;
    char out[4400];
    snprintf(out, sizeof out, "%s/v.csv", tmp);
    /* 30 (4.9) and 60 (5.4) are outside [4.95, 5.35] */
    const char *a1[] = {"SA_ZV", RANGE, "--fail-if", "SA_ZV < 4.95 or SA_ZV > 5.35", "-o", out,
                        "-q", NULL};
    ck_assert_int_eq(get(&r, a1), 9);
    ck_assert_str_eq(r.err, "edbx: alert: 2 rows of the output match --fail-if 'SA_ZV < 4.95 or "
                            "SA_ZV > 5.35'\n");
    tu_run_free(&r);
    char *text = tu_read_file(out, NULL); /* written in full first */
    char *v[16];
    ck_assert_uint_eq(lines(text, v, 16), 8);
    free(text);
    /* a clean run is silent with -q */
    const char *a2[] = {"SA_ZV", RANGE, "--fail-if", "SA_ZV > 10", "-q", NULL};
    ck_assert_int_eq(get(&r, a2), 0);
    ck_assert_str_eq(r.err, "");
    tu_run_free(&r);
    /* over a table: per-bin maxima 5.2 | 5.4 */
    const char *a3[] = {"SA_ZV", RANGE, "--every", "30s", "--stats", "max", "--fail-if",
                        "SA_ZV_max > 5.3", "--fail-if", "sa_zv_max < 0", NULL};
    ck_assert_int_eq(get(&r, a3), 9);
    ck_assert_str_eq(r.err, "edbx: alert: 1 row of the output matches --fail-if 'SA_ZV_max > "
                            "5.3'\n");
    tu_run_free(&r);
    /* a real failure keeps its code: --keep-going with a missing mnemonic is 8 */
    const char *a4[] = {"SA_ZV", "SA_ZNOPE", RANGE, "--keep-going", "--fail-if", "SA_ZV > 5.35",
                        NULL};
    ck_assert_int_eq(get(&r, a4), 8);
    ck_assert_msg(strstr(r.err, "edbx: alert: 1 row of the output matches"), "%s", r.err);
    tu_run_free(&r);
}
END_TEST

/* ---- --during ------------------------------------------------------------------------------ */

/* A FITS file whose primary header holds the given cards (key, value, 'd' for a fixed
 * decimal or 's' for a string). */
static void fits_header(const char *path, const char *const *keys, const char *const *vals,
                        const char *kinds, int n)
{
    fitsfile *fp = NULL;
    int status = 0;
    remove(path);
    fits_create_diskfile(&fp, path, &status);
    fits_create_img(fp, BYTE_IMG, 0, NULL, &status);
    for (int k = 0; k < n; k++) {
        if (kinds[k] == 'd')
            fits_write_key_fixdbl(fp, keys[k], strtod(vals[k], NULL), 6, "test", &status);
        else
            fits_write_key_str(fp, keys[k], vals[k], "test", &status);
    }
    fits_close_file(fp, &status);
    ck_assert_int_eq(status, 0);
}

START_TEST(test_during)
{
    char f1[4400], f2[4400], f3[4400];
    snprintf(f1, sizeof f1, "%s/jw01_uncal.fits", tmp);
    snprintf(f2, sizeof f2, "%s/jw02_rate.fits", tmp);
    snprintf(f3, sizeof f3, "%s/bare.fits", tmp);
    /* MJD 60310 is 2024-01-01; .000125 d is 10.8 s, .00035 d 30.24 s (exact decimals) */
    const char *k1[] = {"EXPSTART", "EXPEND", "DATE-BEG"}, *v1[] = {"60310.000125", "60310.00035",
                                                                    "2000-01-01T00:00:00"};
    fits_header(f1, k1, v1, "dds", 3);
    const char *k2[] = {"DATE-BEG", "DATE-END"}, *v2[] = {"2024-01-01T00:00:45.000",
                                                          "2024-01-01T00:00:55.0000000"};
    fits_header(f2, k2, v2, "ss", 2);
    const char *k3[] = {"EXPSTART"}, *v3[] = {"60310.0"};
    fits_header(f3, k3, v3, "d", 1);
    tu_run r;
    /* [10.8, 30.24]: 20 and 30 */
    const char *a1[] = {"SA_ZV", "--during", f1, NULL};
    ck_assert_msg(get(&r, a1) == 0, "%s", r.err);
    ASSERT_OUT(r, "time,mnemonic,value\n"
                  "2024-01-01T00:00:20.000,SA_ZV,5.2\n"
                  "2024-01-01T00:00:30.000,SA_ZV,4.9\n");
    tu_run_free(&r);
    /* widened by 10 s on both sides: [0.8, 40.24] */
    char fp[4500];
    snprintf(fp, sizeof fp, "%s+10s", f1);
    const char *a2[] = {"SA_ZV", "--during", fp, NULL};
    ck_assert_msg(get(&r, a2) == 0, "%s", r.err);
    char *v[16];
    ck_assert_uint_eq(lines(r.out, v, 16), 5); /* 10 20 30 40 */
    tu_run_free(&r);
    /* two exposures: one range each, side by side with a column naming the file;
     * DATE-BEG/DATE-END when EXPSTART/EXPEND are missing (digits past the microsecond cut) */
    const char *a3[] = {"SA_ZV", "SA_ZPOS", "--during", f1, "--during", f2, NULL};
    ck_assert_msg(get(&r, a3) == 0, "%s", r.err);
    ASSERT_OUT(r, "time,file,SA_ZV,SA_ZPOS\n"
                  "2024-01-01T00:00:20.000,jw01_uncal.fits,5.2,F2\n"
                  "2024-01-01T00:00:30.000,jw01_uncal.fits,4.9,F3\n"
                  "2024-01-01T00:00:50.000,jw02_rate.fits,5.3,\n");
    tu_run_free(&r);
    /* resampled: each range its own grid, from its own start; the ranges in the order of
     * their starts whatever the order of the files */
    const char *a4[] = {"SA_ZV", "--during", f2, "--during", f1, "--every", "5s", "--method",
                        "hold", NULL};
    ck_assert_msg(get(&r, a4) == 0, "%s", r.err);
    ASSERT_OUT(r, "time,file,SA_ZV\n"
                  "2024-01-01T00:00:10.800,jw01_uncal.fits,5.1\n"
                  "2024-01-01T00:00:15.800,jw01_uncal.fits,5.1\n"
                  "2024-01-01T00:00:20.800,jw01_uncal.fits,5.2\n"
                  "2024-01-01T00:00:25.800,jw01_uncal.fits,5.2\n"
                  "2024-01-01T00:00:45.000,jw02_rate.fits,5\n"
                  "2024-01-01T00:00:50.000,jw02_rate.fits,5.3\n"
                  "2024-01-01T00:00:55.000,jw02_rate.fits,5.3\n");
    tu_run_free(&r);
    /* a header without the keywords, a missing file, --during with --start */
    const char *a5[] = {"SA_ZV", "--during", f3, NULL};
    ck_assert_int_eq(get(&r, a5), 2);
    char want[4600];
    snprintf(want, sizeof want, "edbx: --during %s: the primary header has neither EXPSTART and "
             "EXPEND nor DATE-BEG and DATE-END", f3);
    ck_assert_msg(strstr(r.err, want), "%s", r.err);
    tu_run_free(&r);
    const char *a6[] = {"SA_ZV", "--during", tu_path(tmp, "none.fits"), NULL};
    ck_assert_int_eq(get(&r, a6), 7);
    ck_assert_msg(strstr(r.err, "cannot read it as a FITS file"), "%s", r.err);
    tu_run_free(&r);
    const char *a7[] = {"SA_ZV", "--during", f1, "--start", "2024-01-01", NULL};
    ck_assert_int_eq(get(&r, a7), 2);
    ck_assert_msg(strstr(r.err, "--during gives the range: drop --start"), "%s", r.err);
    tu_run_free(&r);
}
END_TEST

/* ---- refusals before the first request ------------------------------------------------------ */

START_TEST(test_refused_before_request)
{
    char meta[4400];
    snprintf(meta, sizeof meta, "%s/meta.json", store);
    static const struct {
        const char *args[12];
        const char *want;
    } c[] = {
        /* known from the metadata (--meta): SA_ZPOS is a string */
        {{"SA_ZPOS", RANGE, "--every", "10s", "--stats", "mean", "--meta", "META", NULL},
         "SA_ZPOS is a string mnemonic: mean is not defined for it"},
        {{"SA_ZV", RANGE, "--where", "SA_ZPOS > 3", "--meta", "META", NULL},
         "SA_ZPOS is a string mnemonic: compare it with a quoted string"},
        {{"SA_ZV", RANGE, "--every", "10s", "--expr", "P = SA_ZPOS * 2", "--meta", "META", NULL},
         "--expr 'P = SA_ZPOS * 2': SA_ZPOS is a string mnemonic: arithmetic needs numbers"},
        /* known from the options alone */
        {{"SA_ZV", RANGE, "--fail-if", "NOPE > 1", NULL},
         "--fail-if 'NOPE > 1': the output has no column NOPE (its columns: SA_ZV)"},
        {{"SA_ZV", RANGE, "--every", "10s", "--stats", "max", "--fail-if", "SA_ZV_mean > 1", NULL},
         "the output has no column SA_ZV_MEAN (its columns: SA_ZV_max)"},
        {{"SA_ZV", RANGE, "--expr", "P = SA_ZV * 2", NULL}, "computed on a grid"},
    };
    tu_run r;
    for (size_t k = 0; k < sizeof c / sizeof c[0]; k++) {
        const char *args[16];
        size_t n = 0;
        for (; c[k].args[n]; n++)
            args[n] = strcmp(c[k].args[n], "META") == 0 ? meta : c[k].args[n];
        args[n] = NULL;
        ck_assert_int_eq(get_http(&r, args), 2);
        ck_assert_msg(strstr(r.err, c[k].want), "case %zu: %s", k, r.err);
        tu_run_free(&r);
    }
    /* a grid of 6e10 rows is refused before anything is fetched or allocated */
    const char *big[] = {"SA_ZV", "--start", "2024-01-01", "--end", "2024-01-02", "--every",
                         "1us", NULL};
    ck_assert_int_eq(get_http(&r, big), 2);
    ck_assert_msg(strstr(r.err, "rows over this range"), "%s", r.err);
    tu_run_free(&r);
    ck_assert_uint_eq(edb_server_requests(srv), 0);
    /* and a run that may go ahead does reach the server */
    const char *ok[] = {"SA_ZV", RANGE, "--every", "10s", "--stats", "max", "--fail-if",
                        "SA_ZV_max > 1", NULL};
    ck_assert_int_eq(get_http(&r, ok), 9);
    tu_run_free(&r);
    ck_assert_uint_gt(edb_server_requests(srv), 0);
}
END_TEST

/* ---- the real recording --------------------------------------------------------------------- */

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

/* The value of s held at t (its last sample at or before t); NAN before the first. */
static double held(const sample *s, size_t n, int64_t t)
{
    double v = NAN;
    for (size_t j = 0; j < n && s[j].us <= t; j++)
        v = s[j].v;
    return v;
}

START_TEST(test_real_recording)
{
    sample *a, *b;
    size_t na = load("sa_zattest1_data.json", &a), nb = load("sa_zattest2_data.json", &b);
    const int64_t start = INT64_C(1611628200) * S, end = start + 300 * S; /* 02:30-02:35 */
    /* --group-by SA_ZATTEST2: runs of its held value from START */
    tu_run r;
    const char *a1[] = {"get", "SA_ZATTEST1", "--start", "2021-01-26T02:30:00", "--end",
                        "2021-01-26T02:35:00", "--group-by", "SA_ZATTEST2", "--stats",
                        "mean,count", "--source", tu_fixture("jwst-2021-01-26"), NULL};
    ck_assert_msg(tu_edbx_run(&r, tmp, NULL, a1, NULL) == 0, "%s", r.err);
    char **v = calloc(4096, sizeof *v);
    size_t nl = lines(r.out, v, 4096);
    size_t row = 1;
    int64_t a0 = start;
    double cur = held(b, nb, start);
    for (size_t j = 0;; j++) {
        int last = j >= nb || b[j].us > end;
        if (!last && (b[j].us <= start || b[j].v == cur))
            continue;
        int64_t hi = last ? end : b[j].us;
        double sum = 0;
        long cnt = 0;
        for (size_t i = 0; i < na; i++)
            if (a[i].us >= a0 && (a[i].us < hi || (last && a[i].us == hi))) {
                sum += a[i].v;
                cnt++;
            }
        ck_assert_uint_lt(row, nl);
        ck_assert_msg(num(v[row], 2) == cur, "run %zu: %s", row, v[row]);
        char buf[64];
        ck_assert_int_eq(strtol(field(v[row], 6, buf, sizeof buf), NULL, 10), cnt);
        if (cnt)
            ck_assert_msg(num(v[row], 5) == sum / (double)cnt, "run %zu: %s vs %.17g", row,
                          v[row], sum / (double)cnt);
        row++;
        if (last)
            break;
        a0 = b[j].us;
        cur = b[j].v;
    }
    ck_assert_uint_eq(row, nl);
    ck_assert_uint_gt(nl, 3); /* several states in five minutes */
    tu_run_free(&r);
    /* --blocks where SA_ZATTEST2 > -0.6177655 (held at each sample of SA_ZATTEST1) */
    const char *a2[] = {"get", "SA_ZATTEST1", "--start", "2021-01-26T02:30:00", "--end",
                        "2021-01-26T02:35:00", "--where", "SA_ZATTEST2 > -0.6177655", "--blocks",
                        "--stats", "mean,count", "--source", tu_fixture("jwst-2021-01-26"),
                        NULL};
    ck_assert_msg(tu_edbx_run(&r, tmp, NULL, a2, NULL) == 0, "%s", r.err);
    nl = lines(r.out, v, 4096);
    row = 1;
    double sum = 0;
    long cnt = 0;
    int in = 0;
    for (size_t i = 0; i <= na; i++) {
        int ok = i < na && a[i].us >= start && a[i].us <= end;
        int pass = ok && held(b, nb, a[i].us) > -0.6177655;
        if (i < na && !ok)
            continue;
        if (pass) {
            sum += a[i].v;
            cnt++;
            in = 1;
            continue;
        }
        if (in) {
            ck_assert_uint_lt(row, nl);
            char buf[64];
            ck_assert_int_eq(strtol(field(v[row], 5, buf, sizeof buf), NULL, 10), cnt);
            ck_assert_msg(num(v[row], 4) == sum / (double)cnt, "block %zu", row);
            row++;
        }
        in = 0;
        sum = 0;
        cnt = 0;
    }
    ck_assert_uint_eq(row, nl);
    ck_assert_uint_gt(nl, 2);
    tu_run_free(&r);
    free(v);
    free(a);
    free(b);
}
END_TEST

/* ---- the documentation's examples are what edbx prints ---------------------------------- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The lines of text, sorted (stdout and stderr interleave differently on a terminal and
 * in a pipe; every line must be there). */
static size_t sorted_lines(char *text, char **v, size_t max)
{
    size_t n = lines(text, v, max);
    qsort(v, n, sizeof *v, cmp_str);
    return n;
}

/* Run every "$ command" of the ```console blocks of doc (relative to the source tree) in
 * tmp, where fixtures/ is the source tree's, and compare what it prints with the lines
 * that follow it in the document.  "$ echo $?" is the status of the command before.  An
 * edbx command without --source (it would need the EDB), and what depends on it, is
 * skipped; with only (the README, whose other examples need a service or each other),
 * every command but edbx's with that text in it. */
static void check_doc(const char *doc, const char *only)
{
    char path[4400];
    snprintf(path, sizeof path, "%s/../%s", getenv("EDBX_TESTS_DIR"), doc);
    char *text = tu_read_file(path, NULL);
    ck_assert_msg(text != NULL, "%s", path);
    char link[4400];
    snprintf(link, sizeof link, "%s/fixtures", tmp);
    remove(link);
    ck_assert_int_eq(symlink(tu_fixture(""), link), 0);
    char *lv[4096];
    size_t nl = 0;
    for (char *p = text; *p && nl < 4096;) {
        char *e = strchr(p, '\n');
        if (e)
            *e = '\0';
        lv[nl++] = p;
        p = e ? e + 1 : p + strlen(p);
    }
    int in = 0, last = 0, ran = 0;
    for (size_t k = 0; k < nl;) {
        const char *l = lv[k];
        while (*l == ' ')
            l++;
        if (strncmp(l, "```", 3) == 0) {
            in = !in && strcmp(l, "```console") == 0;
            k++;
            continue;
        }
        if (!in || strncmp(l, "$ ", 2) != 0) {
            k++;
            continue;
        }
        /* the command, with its continuation lines */
        char cmd[16384] = "";
        size_t clen = 0;
        for (;;) {
            const char *c = lv[k];
            while (*c == ' ')
                c++;
            size_t len = strlen(c);
            int cont = len && c[len - 1] == '\\';
            size_t take = cont ? len - 1 : len;
            ck_assert_uint_lt(clen + take, sizeof cmd);
            memcpy(cmd + clen, c, take);
            clen += take;
            cmd[clen] = '\0';
            k++;
            if (!cont || k >= nl)
                break;
        }
        /* what follows it, to the next command or the block's end */
        char want[65536] = "";
        while (k < nl) {
            const char *c = lv[k];
            while (*c == ' ')
                c++;
            if (strncmp(c, "$ ", 2) == 0 || strncmp(c, "```", 3) == 0)
                break;
            strncat(want, c, sizeof want - strlen(want) - 2);
            strcat(want, "\n");
            k++;
        }
        const char *body = cmd + 2;
        char got[65536];
        if ((strncmp(body, "edbx ", 5) == 0 && !strstr(body, "--source")) ||
            (only && strcmp(body, "echo $?") != 0 &&
             (strncmp(body, "edbx ", 5) != 0 || !strstr(body, only)))) {
            last = -1;
            continue;
        }
        if (strcmp(body, "echo $?") == 0 && last < 0)
            continue;
        if (strcmp(body, "echo $?") == 0) {
            snprintf(got, sizeof got, "%d\n", last);
        } else {
            char full[20000];
            const char *rest = strncmp(body, "edbx ", 5) == 0 ? body + 5 : NULL;
            if (rest)
                snprintf(full, sizeof full, "cd '%s' && '%s' %s", tmp, tu_edbx(), rest);
            else
                snprintf(full, sizeof full, "cd '%s' && %s", tmp, body);
            const char *argv[] = {"/bin/sh", "-c", full, NULL};
            char h[4400];
            snprintf(h, sizeof h, "HOME=%s", tmp);
            const char *env[] = {h, "MAST_API_TOKEN=", "ENG_BASE_URL=", NULL};
            tu_run r;
            last = tu_run_cmd(&r, argv, env);
            snprintf(got, sizeof got, "%s%s", r.err, r.out);
            tu_run_free(&r);
        }
        char *wv[512], *gv[512];
        char wcopy[65536], gcopy[65536];
        snprintf(wcopy, sizeof wcopy, "%s", want);
        snprintf(gcopy, sizeof gcopy, "%s", got);
        size_t nw = sorted_lines(wcopy, wv, 512), ng = sorted_lines(gcopy, gv, 512);
        int same = nw == ng;
        for (size_t q = 0; same && q < nw; q++)
            same = strcmp(wv[q], gv[q]) == 0;
        ck_assert_msg(same, "%s: %s\n--- the document says:\n%s--- edbx printed:\n%s", doc, cmd,
                      want, got);
        ran++;
    }
    ck_assert_int_gt(ran, 2);
    free(text);
}

START_TEST(test_docs)
{
    /* the two exposures of docs/resampling.md: EXPSTART/EXPEND, and DATE-BEG/DATE-END */
    const char *k1[] = {"EXPSTART", "EXPEND"}, *v1[] = {"60371.5", "60371.520833"};
    fits_header(tu_path(tmp, "jw01523001001_02101_00001_mirimage_uncal.fits"), k1, v1, "dd", 2);
    const char *k2[] = {"DATE-BEG", "DATE-END"}, *v2[] = {"2024-03-02T14:00:00.000",
                                                          "2024-03-02T14:30:00.000"};
    fits_header(tu_path(tmp, "jw01523002001_02101_00001_mirimage_uncal.fits"), k2, v2, "ss", 2);
    check_doc("docs/monitoring.md", NULL);
    check_doc("docs/resampling.md", NULL);
    check_doc("README.md", "fixtures/miri-2024-03");
}
END_TEST

static Suite *analysis_suite(void)
{
    Suite *s = suite_create("e2e_analysis");
    TCase *tc = tcase_create("analysis");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_where_boolean);
    tcase_add_test(tc, test_expr_product);
    tcase_add_test(tc, test_blocks_and_states);
    tcase_add_test(tc, test_strings_in_stats);
    tcase_add_test(tc, test_stat_units);
    tcase_add_test(tc, test_for_midnight);
    tcase_add_test(tc, test_daily_window);
    tcase_add_test(tc, test_on_union);
    tcase_add_test(tc, test_gap_warning);
    tcase_add_test(tc, test_fail_if);
    tcase_add_test(tc, test_during);
    tcase_add_test(tc, test_refused_before_request);
    tcase_add_test(tc, test_real_recording);
    tcase_add_test(tc, test_docs);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(analysis_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
