/* test_server.c: the local store (edb/store.c) and `edbx serve` (edb/server.c), over real
 * HTTP on 127.0.0.1 with libcurl.
 *
 * Expected replies are computed here independently of the library: times with gmtime_r,
 * MJD with integer arithmetic in milliseconds, values straight from the JSON with
 * jansson; and the first rows are also written out by hand (computed with Python's
 * fractions), so that a mistake shared by both sides cannot pass unnoticed. */
#include <check.h>
#include <curl/curl.h>
#include <inttypes.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <edb/edb.h>

#include "http_client.h"
#include "testutil.h"

#define STORE "jwst-2021-01-26"
#define ATT1_URI "mast:jwstedb/SA_ZATTEST1-20210126T022902-20210126T022903.csv"

/* ---- helpers ---------------------------------------------------------------------------- */

static edb_time ms_time(int64_t ms)
{
    return ms * 1000;
}

/* 2021-01-26 hh:mm:ss.mmm as edb_time, without the library's civil conversion. */
static edb_time t26(int h, int m, int s, int ms)
{
    return ms_time(INT64_C(1611619200000) + ((h * 60 + m) * 60 + s) * INT64_C(1000) + ms);
}

static const char *store_path(void)
{
    static char buf[4096];
    snprintf(buf, sizeof buf, "%s", tu_fixture(STORE));
    return buf;
}

static edb_store *open_store(const char *path)
{
    edb_store *st = NULL;
    edb_err e = EDB_ERR_INIT;
    edb_status rc = edb_store_open(&st, path, &e);
    ck_assert_msg(rc == EDB_OK, "edb_store_open(%s): %s", path, e.msg);
    return st;
}

static edb_series *query(edb_store *st, const char *name, edb_time a, edb_time b, int brackets)
{
    edb_series *s = NULL;
    edb_err e = EDB_ERR_INIT;
    edb_status rc = edb_store_query(st, name, a, b, brackets, &s, &e);
    ck_assert_msg(rc == EDB_OK, "edb_store_query(%s): %s", name, e.msg);
    ck_assert_ptr_nonnull(s);
    return s;
}

typedef struct log_lines {
    pthread_mutex_t mu;
    char text[1 << 16];
    size_t len;
} log_lines;

static void log_cb(void *ctx, const char *line)
{
    log_lines *l = ctx;
    pthread_mutex_lock(&l->mu);
    int n = snprintf(l->text + l->len, sizeof l->text - l->len, "%s\n", line);
    if (n > 0 && (size_t)n < sizeof l->text - l->len)
        l->len += (size_t)n;
    pthread_mutex_unlock(&l->mu);
}

static edb_server *start_server(edb_server_options *o)
{
    if (!o->store)
        o->store = store_path();
    edb_server *s = NULL;
    edb_err e = EDB_ERR_INIT;
    edb_status rc = edb_server_start(&s, o, &e);
    ck_assert_msg(rc == EDB_OK, "edb_server_start: %s", e.msg);
    ck_assert_uint_ne(edb_server_port(s), 0);
    return s;
}

/* One request: path (with query) on the server; auth is a whole header value or NULL;
 * method NULL = GET; POST sends the form x=1. */
static void http(edb_server *s, const char *path, const char *auth, const char *method,
                 http_res *r)
{
    http_req q = {0};
    q.method = method;
    q.auth = auth;
    if (method && strcmp(method, "POST") == 0) {
        q.body = "x=1";
        q.ctype = "application/x-www-form-urlencoded";
    }
    http_port(edb_server_port(s), path, &q, r);
}

/* GET the data route with uri (escaped here, as the jwst client does). */
static void get_uri(edb_server *s, const char *uri, const char *auth, http_res *r)
{
    CURL *h = curl_easy_init();
    char *esc = curl_easy_escape(h, uri, 0);
    char path[2048];
    snprintf(path, sizeof path, "/api/v0.1/Download/file?uri=%s", esc);
    curl_free(esc);
    curl_easy_cleanup(h);
    http(s, path, auth, NULL, r);
}

/* ---- the independent formatter ---------------------------------------------------------- */

static int64_t obstime_ms(const char *s)
{
    ck_assert_msg(strncmp(s, "/Date(", 6) == 0, "ObsTime %s", s);
    char *end;
    long long v = strtoll(s + 6, &end, 10);
    ck_assert(*end == '+' || *end == ')');
    return v;
}

static void row(char *out, size_t n, int64_t ms, const char *value, const char *sqltype)
{
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    char when[64];
    strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
    int64_t day = ms / 86400000, in_day = ms % 86400000;
    /* in_day * 1e10 < 8.7e17: exact in int64; add half a unit to round. */
    int64_t frac = (in_day * INT64_C(10000000000) + 43200000) / 86400000;
    snprintf(out, n, "%s.%03d000,%" PRId64 ".%010" PRId64 ",%s,%s\r\n", when, (int)(ms % 1000),
             day + 40587, frac, value, sqltype);
}

/* The reply the service would give for a REAL mnemonic of the fixture: samples in
 * [a_ms, b_ms] plus one on each side. */
static char *expected_real_body(const char *mnemonic_lower, int64_t a_ms, int64_t b_ms,
                                size_t *nrows)
{
    char path[8192];
    snprintf(path, sizeof path, "%s/%s_data.json", store_path(), mnemonic_lower);
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    ck_assert_msg(root != NULL, "%s: %s", path, je.text);
    json_t *data = json_object_get(root, "Data");
    size_t n = json_array_size(data), lo = n, hi = 0;
    int64_t prev = INT64_MIN;
    for (size_t k = 0; k < n; k++) {
        int64_t ms = obstime_ms(json_string_value(json_object_get(json_array_get(data, k), "ObsTime")));
        ck_assert(ms >= prev); /* the recordings are sorted: keeps this simple */
        prev = ms;
        if (ms >= a_ms && ms <= b_ms) {
            if (lo == n)
                lo = k;
            hi = k + 1;
        }
    }
    ck_assert_uint_lt(lo, n);
    if (lo > 0)
        lo--;
    if (hi < n)
        hi++;
    size_t cap = 64 + (hi - lo) * 128, len = 0;
    char *body = malloc(cap);
    len += (size_t)snprintf(body, cap, "theTime,MJD,euvalue,sqldataType\r\n");
    for (size_t k = lo; k < hi; k++) {
        json_t *e = json_array_get(data, k);
        json_t *v = json_object_get(e, "EUValue");
        double d = json_number_value(v);
        char val[64];
        snprintf(val, sizeof val, "%.10f", d);
        ck_assert_msg(strtod(val, NULL) == d, "%s does not read back", val);
        row(body + len, cap - len, obstime_ms(json_string_value(json_object_get(e, "ObsTime"))), val,
            "real");
        len += strlen(body + len);
    }
    json_decref(root);
    *nrows = hi - lo;
    return body;
}

/* ---- a temporary store ------------------------------------------------------------------ */

static void put(const char *dir, const char *name, const char *text)
{
    char p[8192];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    ck_assert_int_eq(tu_write_file(p, text, strlen(text)), 0);
}

static const char tmp_meta[] =
    "{\"Count\":4,\"TlmMnemonics\":["
    "{\"TlmMnemonic\":\"ICTM_STATE\",\"Subsystem\":\"ICDH\",\"RawType\":\"UI8\",\"EUType\":\"DS\","
    "\"SQLType\":\"VARCHAR(50)\",\"AllPoints\":0},"
    "{\"TlmMnemonic\":\"SXX_EMPTY\",\"SQLType\":\"REAL\",\"AllPoints\":1},"
    "{\"TlmMnemonic\":\"SXX_BAD\",\"SQLType\":\"REAL\",\"AllPoints\":1},"
    "{\"TlmMnemonic\":\"SXX_FINE\",\"SQLType\":\"FLOAT\",\"AllPoints\":1}]}";

static char *make_tmp_store(void)
{
    char *dir = tu_mkdtemp();
    put(dir, "meta.json", tmp_meta);
    put(dir, "ictm_state_data.json",
        "{\"TlmMnemonic\":\"ICTM_STATE\",\"AllPoints\":0,\"Count\":4,\"Data\":["
        "{\"ObsTime\":\"/Date(1000+0000)/\",\"EUValue\":\"IDLE\"},"
        "{\"ObsTime\":\"/Date(2000+0000)/\",\"EUValue\":\"A,B\"},"
        "{\"ObsTime\":\"/Date(3000)/\",\"EUValue\":\"say \\\"hi\\\"\"},"
        "{\"ObsTime\":\"/Date(4000+0000)/\",\"EUValue\":\"two\\r\\nlines\"}]}");
    put(dir, "sxx_empty_data.json", "{\"TlmMnemonic\":\"SXX_EMPTY\",\"Count\":0,\"Data\":null}");
    put(dir, "sxx_bad_data.json",
        "{\"TlmMnemonic\":\"SXX_BAD\",\"Data\":["
        "{\"ObsTime\":\"/Date(1000+0000)/\",\"EUValue\":1.5},"
        "{\"ObsTime\":\"/Date(2000x)/\",\"EUValue\":1.5}]}");
    /* Out of order, with two equal stamps (which must keep their order), a negative stamp,
     * and values %.10f cannot carry. */
    put(dir, "sxx_fine_data.json",
        "{\"TlmMnemonic\":\"SXX_FINE\",\"Data\":["
        "{\"ObsTime\":\"/Date(3000+0000)/\",\"EUValue\":0.12345678901234566},"
        "{\"ObsTime\":\"/Date(1000+0000)/\",\"EUValue\":1},"
        "{\"ObsTime\":\"/Date(2000)/\",\"EUValue\":2.5},"
        "{\"ObsTime\":\"/Date(2000)/\",\"EUValue\":-0.25},"
        "{\"ObsTime\":\"/Date(-1500)/\",\"EUValue\":1.5e-12}]}");
    /* Not in meta.json: types inferred. */
    put(dir, "sxx_ints_data.json",
        "{\"Data\":[{\"ObsTime\":\"/Date(1000)/\",\"EUValue\":7},"
        "{\"ObsTime\":\"/Date(2000)/\",\"EUValue\":-3}]}");
    put(dir, "sxx_mixed_data.json",
        "{\"Data\":[{\"ObsTime\":\"/Date(1000)/\",\"EUValue\":7},"
        "{\"ObsTime\":\"/Date(2000)/\",\"EUValue\":0.5}]}");
    put(dir, "sxx_words_data.json",
        "{\"Data\":[{\"ObsTime\":\"/Date(1000)/\",\"EUValue\":\"ON\"}]}");
    put(dir, "sxx_garbage_data.json", "{\"Data\":[{\"ObsTime\":");
    return dir;
}

/* ---- store tests ------------------------------------------------------------------------ */

START_TEST(store_brackets_at_boundaries)
{
    edb_store *st = open_store(store_path());
    /* Samples of SA_ZATTEST1 near the start: .147 .403 .659 .915 and 02:29:03.171. */
    edb_series *s = query(st, "SA_ZATTEST1", t26(2, 29, 2, 403), t26(2, 29, 2, 915), 1);
    ck_assert_uint_eq(s->n, 5);
    ck_assert_int_eq(s->t[0], t26(2, 29, 2, 147));
    ck_assert_int_eq(s->t[1], t26(2, 29, 2, 403)); /* exactly at start: inside */
    ck_assert_int_eq(s->t[3], t26(2, 29, 2, 915)); /* exactly at end: inside */
    ck_assert_int_eq(s->t[4], t26(2, 29, 3, 171));
    ck_assert_int_eq(s->vtype, EDB_VT_REAL);
    ck_assert_str_eq(s->sqltype, "real");
    ck_assert_str_eq(s->mnemonic, "SA_ZATTEST1");
    ck_assert(s->d[0] == -0.209546775);
    edb_series_free(s);

    s = query(st, "SA_ZATTEST1", t26(2, 29, 2, 403), t26(2, 29, 2, 915), 0);
    ck_assert_uint_eq(s->n, 3);
    ck_assert_int_eq(s->t[0], t26(2, 29, 2, 403));
    edb_series_free(s);

    /* Nothing inside: still the two neighbours. */
    s = query(st, "SA_ZATTEST1", t26(2, 29, 2, 404), t26(2, 29, 2, 658), 1);
    ck_assert_uint_eq(s->n, 2);
    ck_assert_int_eq(s->t[0], t26(2, 29, 2, 403));
    ck_assert_int_eq(s->t[1], t26(2, 29, 2, 659));
    edb_series_free(s);
    s = query(st, "SA_ZATTEST1", t26(2, 29, 2, 404), t26(2, 29, 2, 658), 0);
    ck_assert_uint_eq(s->n, 0);
    edb_series_free(s);

    /* Before all data: only the sample after; after all data: only the one before. */
    s = query(st, "SA_ZATTEST1", t26(0, 0, 0, 0), t26(1, 0, 0, 0), 1);
    ck_assert_uint_eq(s->n, 1);
    ck_assert_int_eq(s->t[0], t26(2, 29, 2, 147));
    edb_series_free(s);
    s = query(st, "SA_ZATTEST1", t26(23, 0, 0, 0), t26(23, 59, 0, 0), 1);
    ck_assert_uint_eq(s->n, 1);
    ck_assert_int_eq(s->t[0], t26(2, 35, 50, 249));
    edb_series_free(s);

    /* Lower-case names are the same mnemonic; the whole range is the whole file. */
    s = query(st, "sa_zattest1", EDB_TIME_MIN, EDB_TIME_MAX, 1);
    ck_assert_uint_eq(s->n, 1607);
    ck_assert_str_eq(s->mnemonic, "SA_ZATTEST1");
    for (size_t k = 1; k < s->n; k++)
        ck_assert_int_le(s->t[k - 1], s->t[k]);
    edb_series_free(s);
    edb_store_free(st);
}
END_TEST

START_TEST(store_types_from_meta)
{
    edb_store *st = open_store(store_path());
    edb_series *s = query(st, "INRSI_GWA_Y_TILT_AVGED", EDB_TIME_MIN, EDB_TIME_MAX, 0);
    ck_assert_int_eq(s->vtype, EDB_VT_REAL); /* JSON integers, REAL in meta.json */
    ck_assert_str_eq(s->sqltype, "real");
    ck_assert_uint_eq(s->n, 400);
    ck_assert_ptr_nonnull(s->d);
    ck_assert(s->d[0] == 0.0);
    edb_series_free(s);

    s = query(st, "SA_ZFGDETID", EDB_TIME_MIN, EDB_TIME_MAX, 0);
    ck_assert_int_eq(s->vtype, EDB_VT_INT);
    ck_assert_str_eq(s->sqltype, "tinyint");
    ck_assert_uint_eq(s->n, 52);
    ck_assert_int_eq(s->i[0], 1);
    edb_series_free(s);
    edb_store_free(st);
}
END_TEST

START_TEST(store_refuses)
{
    edb_store *st = open_store(store_path());
    edb_series *s = NULL;
    edb_err e = EDB_ERR_INIT;
    ck_assert_int_eq(edb_store_query(st, "SA_ZNOSUCH1", 0, 1, 1, &s, &e), EDB_ERR_NOT_FOUND);
    ck_assert_ptr_null(s);
    ck_assert_msg(strstr(e.msg, "SA_ZNOSUCH1") != NULL, "%s", e.msg);
    const char *hostile[] = {"../meta", "/etc/passwd", "..", "a/b", "sa_zattest1\n/x", "", "a b",
                             "META.JSON", "x%2e%2e"};
    for (size_t k = 0; k < sizeof hostile / sizeof *hostile; k++) {
        edb_err_clear(&e);
        ck_assert_int_eq(edb_store_query(st, hostile[k], 0, 1, 1, &s, &e), EDB_ERR_MNEMONIC);
        ck_assert_ptr_null(s);
    }
    edb_err_clear(&e);
    ck_assert_int_eq(edb_store_query(st, "SA_ZATTEST1", 2, 1, 1, &s, &e), EDB_ERR_USAGE);
    edb_store_free(st);

    edb_store *none = NULL;
    edb_err_clear(&e);
    ck_assert_int_eq(edb_store_open(&none, "/nonexistent/edbx-store", &e), EDB_ERR_IO);
    ck_assert_ptr_null(none);
    char *dir = tu_mkdtemp();
    edb_err_clear(&e);
    ck_assert_int_eq(edb_store_open(&none, dir, &e), EDB_ERR_DATA); /* no meta.json */
    put(dir, "meta.json", "{\"Count\":1,\"TlmMnemonics\":[");
    edb_err_clear(&e);
    ck_assert_int_eq(edb_store_open(&none, dir, &e), EDB_ERR_DATA);
    ck_assert_msg(strstr(e.msg, "meta.json") != NULL, "%s", e.msg);
    tu_rmtree(dir);
    free(dir);
    edb_store_free(NULL);
}
END_TEST

START_TEST(store_tmp_values)
{
    char *dir = make_tmp_store();
    edb_store *st = open_store(dir);

    edb_series *s = query(st, "ICTM_STATE", EDB_TIME_MIN, EDB_TIME_MAX, 1);
    ck_assert_int_eq(s->vtype, EDB_VT_STRING);
    ck_assert_str_eq(s->sqltype, "varchar");
    ck_assert_uint_eq(s->n, 4);
    size_t len;
    const char *v = edb_series_str(s, 1, &len);
    ck_assert_uint_eq(len, 3);
    ck_assert(memcmp(v, "A,B", 3) == 0);
    v = edb_series_str(s, 2, &len);
    ck_assert(len == 8 && memcmp(v, "say \"hi\"", 8) == 0);
    ck_assert_int_eq(s->t[2], 3000000);
    edb_series_free(s);

    s = query(st, "SXX_EMPTY", EDB_TIME_MIN, EDB_TIME_MAX, 1);
    ck_assert_uint_eq(s->n, 0);
    ck_assert_str_eq(s->sqltype, "real");
    edb_series_free(s);

    s = query(st, "SXX_FINE", EDB_TIME_MIN, EDB_TIME_MAX, 1);
    ck_assert_uint_eq(s->n, 5);
    ck_assert_str_eq(s->sqltype, "float");
    ck_assert_int_eq(s->vtype, EDB_VT_REAL);
    ck_assert_int_eq(s->t[0], -1500000);
    ck_assert(s->d[0] == 1.5e-12);
    ck_assert(s->d[1] == 1.0);
    ck_assert(s->t[2] == 2000000 && s->d[2] == 2.5); /* stable: file order kept */
    ck_assert(s->t[3] == 2000000 && s->d[3] == -0.25);
    ck_assert(s->d[4] == 0.12345678901234566);
    edb_series_free(s);

    s = query(st, "SXX_INTS", EDB_TIME_MIN, EDB_TIME_MAX, 1);
    ck_assert_int_eq(s->vtype, EDB_VT_INT);
    ck_assert_str_eq(s->sqltype, "int");
    ck_assert_int_eq(s->i[1], -3);
    edb_series_free(s);
    s = query(st, "SXX_MIXED", EDB_TIME_MIN, EDB_TIME_MAX, 1);
    ck_assert_int_eq(s->vtype, EDB_VT_REAL);
    ck_assert(s->d[0] == 7.0 && s->d[1] == 0.5);
    edb_series_free(s);
    s = query(st, "SXX_WORDS", EDB_TIME_MIN, EDB_TIME_MAX, 1);
    ck_assert_int_eq(s->vtype, EDB_VT_STRING);
    edb_series_free(s);

    edb_err e = EDB_ERR_INIT;
    s = NULL;
    ck_assert_int_eq(edb_store_query(st, "SXX_BAD", 0, 1, 1, &s, &e), EDB_ERR_DATA);
    ck_assert_ptr_null(s);
    ck_assert_msg(strstr(e.msg, "sxx_bad_data.json") && strstr(e.msg, "[1]"), "%s", e.msg);
    edb_err_clear(&e);
    ck_assert_int_eq(edb_store_query(st, "SXX_GARBAGE", 0, 1, 1, &s, &e), EDB_ERR_DATA);
    edb_store_free(st);
    tu_rmtree(dir);
    free(dir);
}
END_TEST

/* Many threads asking for the same, not yet parsed, mnemonic at once. */
typedef struct par_arg {
    edb_store *st;
    size_t n;
} par_arg;

static void *par_query(void *arg)
{
    par_arg *a = arg;
    edb_series *s = NULL;
    edb_err e = EDB_ERR_INIT;
    if (edb_store_query(a->st, "SA_ZATTEST2", EDB_TIME_MIN, EDB_TIME_MAX, 1, &s, &e) == EDB_OK)
        a->n = s->n;
    edb_series_free(s);
    return NULL;
}

START_TEST(store_threads)
{
    edb_store *st = open_store(store_path());
    pthread_t th[8];
    par_arg args[8];
    for (int k = 0; k < 8; k++) {
        args[k].st = st;
        args[k].n = 0;
        ck_assert_int_eq(pthread_create(&th[k], NULL, par_query, &args[k]), 0);
    }
    for (int k = 0; k < 8; k++) {
        pthread_join(th[k], NULL);
        ck_assert_uint_gt(args[k].n, 0);
        ck_assert_uint_eq(args[k].n, args[0].n);
    }
    edb_store_free(st);
}
END_TEST

/* ---- server tests ----------------------------------------------------------------------- */

START_TEST(serve_probe_and_data)
{
    edb_server_options o = EDB_SERVER_OPTIONS_INIT;
    log_lines *lg = calloc(1, sizeof *lg);
    pthread_mutex_init(&lg->mu, NULL);
    o.log = log_cb;
    o.log_ctx = lg;
    edb_server *s = start_server(&o);
    http_res r;
    http(s, "/api/", NULL, NULL, &r);
    ck_assert_int_eq(r.rc, CURLE_OK);
    ck_assert_int_eq(r.code, 200);
    http_free(&r);
    http(s, "/api", NULL, NULL, &r);
    ck_assert_int_eq(r.code, 200);
    http_free(&r);
    ck_assert_uint_eq(edb_server_requests(s), 0);

    get_uri(s, ATT1_URI, NULL, &r);
    ck_assert_int_eq(r.rc, CURLE_OK);
    ck_assert_int_eq(r.code, 200);
    ck_assert(has_header(&r, "Content-Type: text/csv"));
    size_t nrows;
    char *want = expected_real_body("sa_zattest1", INT64_C(1611628142000), INT64_C(1611628143000),
                                    &nrows);
    ck_assert_uint_eq(nrows, 5); /* 4 inside, the bracket after; none before the first */
    ck_assert_str_eq(r.body, want);
    ck_assert_uint_eq(r.len, strlen(want));
    ck_assert_int_eq(r.clen, (curl_off_t)r.len);
    /* By hand (Python fractions: MJD = 40587 + ms / 86400000, rounded to 10 decimals). */
    const char *head = "theTime,MJD,euvalue,sqldataType\r\n"
                       "2021-01-26 02:29:02.147000,59240.1034970718,-0.2095467750,real\r\n"
                       "2021-01-26 02:29:02.403000,59240.1035000347,-0.2095467750,real\r\n";
    ck_assert(strncmp(r.body, head, strlen(head)) == 0);
    ck_assert(strstr(r.body, "2021-01-26 02:29:03.171000,59240.1035089236,-0.2095468000,real\r\n"));
    free(want);
    http_free(&r);

    /* A range in the middle: one bracket each side. */
    get_uri(s, "mast:jwstedb/SA_ZATTEST1-20210126T023000-20210126T023001.csv", NULL, &r);
    ck_assert_int_eq(r.code, 200);
    want = expected_real_body("sa_zattest1", INT64_C(1611628200000), INT64_C(1611628201000), &nrows);
    ck_assert_str_eq(r.body, want);
    ck_assert_uint_eq(nrows, 6);
    free(want);
    http_free(&r);

    /* Case-insensitive names, same answer. */
    get_uri(s, "mast:jwstedb/sa_zattest1-20210126T022902-20210126T022903.csv", NULL, &r);
    ck_assert_int_eq(r.code, 200);
    ck_assert(strncmp(r.body, head, strlen(head)) == 0);
    http_free(&r);

    /* Integers: tinyint printed as integers. */
    get_uri(s, "mast:jwstedb/SA_ZFGDETID-20210126T022900-20210126T023000.csv", NULL, &r);
    ck_assert_int_eq(r.code, 200);
    ck_assert_msg(strstr(r.body, ",1,tinyint\r\n") != NULL, "%s", r.body);
    http_free(&r);
    /* Whole numbers of a REAL series printed as reals. */
    get_uri(s, "mast:jwstedb/INRSI_GWA_Y_TILT_AVGED-20210126T022902-20210126T022903.csv", NULL, &r);
    ck_assert_int_eq(r.code, 200);
    ck_assert_msg(strstr(r.body, ",0.0000000000,real\r\n") != NULL, "%s", r.body);
    http_free(&r);

    /* An empty range far from the data of a mnemonic: the brackets only. */
    get_uri(s, "mast:jwstedb/SA_ZATTEST1-20200101T000000-20200101T000001.csv", NULL, &r);
    ck_assert_int_eq(r.code, 200);
    ck_assert_str_eq(r.body, "theTime,MJD,euvalue,sqldataType\r\n"
                             "2021-01-26 02:29:02.147000,59240.1034970718,-0.2095467750,real\r\n");
    http_free(&r);

    get_uri(s, "mast:jwstedb/SA_ZNOSUCH1-20210126T022902-20210126T022903.csv", NULL, &r);
    ck_assert_int_eq(r.code, 404);
    ck_assert(strstr(r.body, "SA_ZNOSUCH1"));
    http_free(&r);
    ck_assert_uint_eq(edb_server_requests(s), 7);

    edb_server_stop(s);
    ck_assert_msg(strstr(lg->text, "GET /api/v0.1/Download/file?uri=" ATT1_URI " -> 200 (") != NULL,
                  "%s", lg->text);
    ck_assert_msg(strstr(lg->text, "-> 404") != NULL, "%s", lg->text);
    pthread_mutex_destroy(&lg->mu);
    free(lg);
}
END_TEST

START_TEST(serve_bad_requests)
{
    edb_server_options o = EDB_SERVER_OPTIONS_INIT;
    edb_server *s = start_server(&o);
    const char *bad[] = {
        "mast:jwstedb/SA_ZATTEST1-20210126T022902-20210126T022903",      /* no .csv */
        "mast:jwstedb/SA_ZATTEST1-20210126T022902-20210126T022903.txt",  /* not .csv */
        "mast:jwstedb/SA_ZATTEST1-20211326T022902-20211326T022903.csv",  /* month 13 */
        "mast:jwstedb/SA_ZATTEST1-20210230T000000-20210301T000000.csv",  /* Feb 30 */
        "mast:jwstedb/SA_ZATTEST1-20210126T240000-20210127T000000.csv",  /* hour 24 */
        "mast:jwstedb/SA_ZATTEST1-20210126T026000-20210126T030000.csv",  /* minute 60 */
        "mast:jwstedb/SA_ZATTEST1-20210126T022903-20210126T022902.csv",  /* start > end */
        "mast:jwstedb/SA_ZATTEST1-2021-01-26T02:29-20210126T022903.csv", /* wrong form */
        "mast:jwstedb/SA_ZATTEST1-20210126 022902-20210126T022903.csv",
        "mast:jwstedb/hello world-20210126T022902-20210126T022903.csv",   /* junk name */
        "mast:jwstedb/SA.ZATTEST1-20210126T022902-20210126T022903.csv",   /* '.' in name */
        "mast:jwstedb/../meta-20210126T022902-20210126T022903.csv",       /* traversal */
        "mast:jwstedb/SA_ZATTEST1/../../meta-20210126T022902-20210126T022903.csv",
        "mast:jwstedb/-20210126T022902-20210126T022903.csv",
        "mast:jwst/SA_ZATTEST1-20210126T022902-20210126T022903.csv",      /* prefix */
        "SA_ZATTEST1-20210126T022902-20210126T022903.csv",
        "",
    };
    http_res r;
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        get_uri(s, bad[k], NULL, &r);
        ck_assert_int_eq(r.rc, CURLE_OK);
        ck_assert_msg(r.code == 400, "%s -> %ld %s", bad[k], r.code, r.body);
        ck_assert(r.len > 0 && r.body[r.len - 1] == '\n');
        http_free(&r);
    }
    http(s, "/api/v0.1/Download/file", NULL, NULL, &r); /* no uri */
    ck_assert_int_eq(r.code, 400);
    http_free(&r);
    /* Feb 29 of a leap year is a day; whole-day ranges are fine. */
    get_uri(s, "mast:jwstedb/SA_ZATTEST1-20200229T000000-20200229T235959.csv", NULL, &r);
    ck_assert_int_eq(r.code, 200);
    http_free(&r);

    const char *paths[] = {"/", "/api/v0.1/Download/files", "/api/v0.1/Download/file/x",
                           "/api/v0.1/", "/meta.json", "/sa_zattest1_data.json"};
    for (size_t k = 0; k < sizeof paths / sizeof *paths; k++) {
        http(s, paths[k], NULL, NULL, &r);
        ck_assert_msg(r.code == 404, "%s -> %ld", paths[k], r.code);
        http_free(&r);
    }
    char p[512];
    snprintf(p, sizeof p, "/api/v0.1/Download/file?uri=%s", "mast%3Ajwstedb%2FSA_ZATTEST1-20210126T022902-20210126T022903.csv");
    http(s, p, NULL, "POST", &r);
    ck_assert_int_eq(r.code, 405);
    ck_assert(has_header(&r, "Allow: GET, HEAD"));
    http_free(&r);
    http(s, p, NULL, "DELETE", &r);
    ck_assert_int_eq(r.code, 405);
    http_free(&r);
    edb_server_stop(s);
}
END_TEST

START_TEST(serve_token)
{
    edb_server_options o = EDB_SERVER_OPTIONS_INIT;
    log_lines *lg = calloc(1, sizeof *lg);
    pthread_mutex_init(&lg->mu, NULL);
    o.log = log_cb;
    o.log_ctx = lg;
    char token[] = "s3cr3t-t0ken-value";
    o.token = token;
    edb_server *s = start_server(&o);
    memset(token, 'x', sizeof token - 1); /* the server keeps its own copy */
    http_res r;
    http(s, "/api/", NULL, NULL, &r);
    ck_assert_int_eq(r.code, 200);
    http_free(&r);
    const char *wrong[] = {NULL, "token wrong", "token s3cr3t-t0ken-valu", "token s3cr3t-t0ken-value2",
                           "Bearer s3cr3t-t0ken-value", "s3cr3t-t0ken-value", "token  s3cr3t-t0ken-value"};
    for (size_t k = 0; k < sizeof wrong / sizeof *wrong; k++) {
        get_uri(s, ATT1_URI, wrong[k], &r);
        ck_assert_msg(r.code == 401, "%s -> %ld", wrong[k] ? wrong[k] : "(none)", r.code);
        ck_assert(strstr(r.body, "authentication required"));
        http_free(&r);
    }
    get_uri(s, ATT1_URI, "token s3cr3t-t0ken-value", &r);
    ck_assert_int_eq(r.code, 200);
    ck_assert(strncmp(r.body, "theTime,MJD,euvalue,sqldataType\r\n", 33) == 0);
    http_free(&r);
    ck_assert_uint_eq(edb_server_requests(s), sizeof wrong / sizeof *wrong + 1);
    edb_server_stop(s);
    ck_assert(strstr(lg->text, "-> 401"));
    ck_assert_msg(strstr(lg->text, "s3cr3t") == NULL, "token in the log: %s", lg->text);
    pthread_mutex_destroy(&lg->mu);
    free(lg);
}
END_TEST

START_TEST(serve_fault_status)
{
    edb_server_options o = EDB_SERVER_OPTIONS_INIT;
    o.fault_status = 503;
    o.retry_after = 2;
    o.fault_count = 1;
    edb_server *s = start_server(&o);
    http_res r;
    http(s, "/api/", NULL, NULL, &r); /* the probe is not a data request */
    ck_assert_int_eq(r.code, 200);
    http_free(&r);
    get_uri(s, ATT1_URI, NULL, &r);
    ck_assert_int_eq(r.code, 503);
    ck_assert_msg(has_header(&r, "Retry-After: 2"), "%s", r.hdrs);
    http_free(&r);
    get_uri(s, ATT1_URI, NULL, &r);
    ck_assert_int_eq(r.code, 200);
    ck_assert(!has_header(&r, "Retry-After: 2"));
    http_free(&r);
    ck_assert_uint_eq(edb_server_requests(s), 2);
    edb_server_stop(s);

    /* Every request, no Retry-After. */
    edb_server_options o2 = EDB_SERVER_OPTIONS_INIT;
    o2.fault_status = 429;
    o2.fault_count = -1;
    s = start_server(&o2);
    for (int k = 0; k < 3; k++) {
        get_uri(s, ATT1_URI, NULL, &r);
        ck_assert_int_eq(r.code, 429);
        ck_assert(strstr(r.hdrs, "Retry-After") == NULL);
        http_free(&r);
    }
    ck_assert_uint_eq(edb_server_requests(s), 3);
    edb_server_stop(s);
}
END_TEST

START_TEST(serve_fault_truncate)
{
    edb_server_options o = EDB_SERVER_OPTIONS_INIT;
    o.truncate_after = 10;
    o.fault_count = 1;
    edb_server *s = start_server(&o);
    http_res r;
    get_uri(s, ATT1_URI, NULL, &r);
    ck_assert_int_eq(r.rc, CURLE_PARTIAL_FILE);
    ck_assert_int_eq(r.code, 200);
    ck_assert_uint_eq(r.len, 10);
    ck_assert_int_gt(r.clen, 10);
    ck_assert(memcmp(r.body, "theTime,MJ", 10) == 0);
    http_free(&r);
    get_uri(s, ATT1_URI, NULL, &r);
    ck_assert_int_eq(r.rc, CURLE_OK);
    ck_assert_int_eq(r.clen, (curl_off_t)r.len);
    http_free(&r);
    edb_server_stop(s);

    /* A cut beyond the body's end sends it all. */
    edb_server_options o2 = EDB_SERVER_OPTIONS_INIT;
    o2.truncate_after = 1000000;
    o2.fault_count = -1;
    s = start_server(&o2);
    get_uri(s, ATT1_URI, NULL, &r);
    ck_assert_int_eq(r.rc, CURLE_OK);
    ck_assert_int_eq(r.clen, (curl_off_t)r.len);
    http_free(&r);
    edb_server_stop(s);
}
END_TEST

START_TEST(serve_fault_drop_and_delay)
{
    edb_server_options o = EDB_SERVER_OPTIONS_INIT;
    o.drop = 1;
    o.fault_count = 2;
    edb_server *s = start_server(&o);
    http_res r;
    for (int k = 0; k < 2; k++) {
        get_uri(s, ATT1_URI, NULL, &r);
        ck_assert_int_eq(r.rc, CURLE_GOT_NOTHING);
        http_free(&r);
    }
    get_uri(s, ATT1_URI, NULL, &r);
    ck_assert_int_eq(r.rc, CURLE_OK);
    ck_assert_int_eq(r.code, 200);
    http_free(&r);
    ck_assert_uint_eq(edb_server_requests(s), 3);
    edb_server_stop(s);

    edb_server_options o2 = EDB_SERVER_OPTIONS_INIT;
    o2.delay_us = 300000;
    o2.fault_count = 1;
    s = start_server(&o2);
    get_uri(s, ATT1_URI, NULL, &r);
    ck_assert_int_eq(r.code, 200); /* a delay alone answers normally */
    ck_assert_msg(r.secs >= 0.3, "took %.3f s", r.secs);
    http_free(&r);
    get_uri(s, ATT1_URI, NULL, &r);
    ck_assert_int_eq(r.code, 200);
    ck_assert_msg(r.secs < 0.3, "took %.3f s", r.secs);
    http_free(&r);
    edb_server_stop(s);
}
END_TEST

START_TEST(serve_strings_and_exact_reals)
{
    char *dir = make_tmp_store();
    edb_server_options o = EDB_SERVER_OPTIONS_INIT;
    o.store = dir;
    edb_server *s = start_server(&o);
    http_res r;
    get_uri(s, "mast:jwstedb/ICTM_STATE-19700101T000001-19700101T000004.csv", NULL, &r);
    ck_assert_int_eq(r.code, 200);
    ck_assert_str_eq(r.body,
                     "theTime,MJD,euvalue,sqldataType\r\n"
                     "1970-01-01 00:00:01.000000,40587.0000115741,IDLE,varchar\r\n"
                     "1970-01-01 00:00:02.000000,40587.0000231481,\"A,B\",varchar\r\n"
                     "1970-01-01 00:00:03.000000,40587.0000347222,\"say \"\"hi\"\"\",varchar\r\n"
                     "1970-01-01 00:00:04.000000,40587.0000462963,\"two\r\nlines\",varchar\r\n");
    http_free(&r);
    /* Values %.10f would round are printed in full; a negative stamp before 1970. */
    get_uri(s, "mast:jwstedb/SXX_FINE-19700101T000000-19700101T000003.csv", NULL, &r);
    ck_assert_int_eq(r.code, 200);
    ck_assert_str_eq(r.body,
                     "theTime,MJD,euvalue,sqldataType\r\n"
                     "1969-12-31 23:59:58.500000,40586.9999826389,1.5e-12,float\r\n"
                     "1970-01-01 00:00:01.000000,40587.0000115741,1.0000000000,float\r\n"
                     "1970-01-01 00:00:02.000000,40587.0000231481,2.5000000000,float\r\n"
                     "1970-01-01 00:00:02.000000,40587.0000231481,-0.2500000000,float\r\n"
                     "1970-01-01 00:00:03.000000,40587.0000347222,0.12345678901234566,float\r\n");
    http_free(&r);
    get_uri(s, "mast:jwstedb/SXX_EMPTY-19700101T000000-19700101T000003.csv", NULL, &r);
    ck_assert_int_eq(r.code, 200);
    ck_assert_str_eq(r.body, "theTime,MJD,euvalue,sqldataType\r\n");
    http_free(&r);
    get_uri(s, "mast:jwstedb/SXX_BAD-19700101T000000-19700101T000003.csv", NULL, &r);
    ck_assert_int_eq(r.code, 500);
    ck_assert(strstr(r.body, "sxx_bad") == NULL); /* no file names to the client */
    http_free(&r);
    edb_server_stop(s);
    tu_rmtree(dir);
    free(dir);
}
END_TEST

static int num(const char *p, int n)
{
    int v = 0;
    for (int k = 0; k < n; k++)
        v = v * 10 + (p[k] - '0');
    return v;
}

/* The real service's replies (fixtures/mast-csv) turned back into a store: serving it must
 * give the very same bytes, MJD digits, 10-decimal floats and brackets included. */
static void check_real_reply(const char *file)
{
    char path[8192];
    snprintf(path, sizeof path, "%s", tu_fixture("mast-csv/"));
    size_t plen = strlen(path);
    snprintf(path + plen, sizeof path - plen, "%s", file);
    size_t real_len;
    char *real = tu_read_file(path, &real_len);
    ck_assert_msg(real != NULL, "%s", path);

    char *dir = tu_mkdtemp();
    put(dir, "meta.json",
        "{\"Count\":1,\"TlmMnemonics\":[{\"TlmMnemonic\":\"SA_ZATTEST2\",\"SQLType\":\"REAL\","
        "\"AllPoints\":1}]}");
    char json[8192];
    size_t jl = (size_t)snprintf(json, sizeof json, "{\"TlmMnemonic\":\"SA_ZATTEST2\",\"Data\":[");
    const char *line = strstr(real, "\r\n") + 2;
    int rows = 0;
    while (*line) {
        const char *eol = strstr(line, "\r\n");
        ck_assert_ptr_nonnull(eol);
        /* 2022-02-02 22:24:57.797000,59612.9340022801,-0.7914493680,real */
        struct tm tm = {0};
        tm.tm_year = num(line, 4) - 1900;
        tm.tm_mon = num(line + 5, 2) - 1;
        tm.tm_mday = num(line + 8, 2);
        tm.tm_hour = num(line + 11, 2);
        tm.tm_min = num(line + 14, 2);
        tm.tm_sec = num(line + 17, 2);
        int64_t ms = (int64_t)timegm(&tm) * 1000 + num(line + 20, 3);
        const char *v = line + 44, *ve = strchr(v, ',');
        jl += (size_t)snprintf(json + jl, sizeof json - jl,
                               "%s{\"ObsTime\":\"/Date(%" PRId64 "+0000)/\",\"EUValue\":%.*s}",
                               rows ? "," : "", ms, (int)(ve - v), v);
        rows++;
        line = eol + 2;
    }
    snprintf(json + jl, sizeof json - jl, "]}");
    ck_assert_int_ge(rows, 3);
    put(dir, "sa_zattest2_data.json", json);

    edb_server_options o = EDB_SERVER_OPTIONS_INIT;
    o.store = dir;
    edb_server *s = start_server(&o);
    char uri[256];
    snprintf(uri, sizeof uri, "mast:jwstedb/%s", file);
    http_res r;
    get_uri(s, uri, NULL, &r);
    ck_assert_int_eq(r.code, 200);
    ck_assert_str_eq(r.body, real);
    ck_assert_uint_eq(r.len, real_len);
    http_free(&r);
    edb_server_stop(s);
    free(real);
    tu_rmtree(dir);
    free(dir);
}

START_TEST(serve_matches_real_replies)
{
    check_real_reply("SA_ZATTEST2-20220202T222458-20220202T222459.csv");
    check_real_reply("SA_ZATTEST2-20210522T000000-20210522T000001.csv");
}
END_TEST

/* Clients fetch many chunks: the server must keep connections open between requests. */
START_TEST(serve_keepalive)
{
    edb_server_options o = EDB_SERVER_OPTIONS_INIT;
    edb_server *s = start_server(&o);
    char url[256];
    snprintf(url, sizeof url,
             "http://127.0.0.1:%u/api/v0.1/Download/file?uri=mast%%3Ajwstedb%%2F"
             "SA_ZATTEST1-20210126T022902-20210126T022903.csv",
             edb_server_port(s));
    CURL *h = curl_easy_init();
    http_res r;
    memset(&r, 0, sizeof r);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, http_on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &r);
    for (int k = 0; k < 3; k++) {
        ck_assert_int_eq(curl_easy_perform(h), CURLE_OK);
        long connects = -1;
        curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &connects);
        ck_assert_int_eq(connects, k == 0 ? 1 : 0);
    }
    curl_easy_cleanup(h);
    free(r.body);
    ck_assert_uint_eq(edb_server_requests(s), 3);
    edb_server_stop(s);
}
END_TEST

START_TEST(serve_start_errors)
{
    edb_server *s = NULL;
    edb_err e = EDB_ERR_INIT;
    edb_server_options o = EDB_SERVER_OPTIONS_INIT;
    o.store = "/nonexistent/edbx-store";
    ck_assert_int_eq(edb_server_start(&s, &o, &e), EDB_ERR_IO);
    ck_assert_ptr_null(s);
    o.store = store_path();
    o.bind = "example.com";
    edb_err_clear(&e);
    ck_assert_int_eq(edb_server_start(&s, &o, &e), EDB_ERR_USAGE);
    o.bind = NULL;
    o.port = 70000;
    edb_err_clear(&e);
    ck_assert_int_eq(edb_server_start(&s, &o, &e), EDB_ERR_USAGE);
    o.port = 0;
    o.token = "";
    edb_err_clear(&e);
    ck_assert_int_eq(edb_server_start(&s, &o, &e), EDB_ERR_USAGE);
    o.token = NULL;

    /* A port in use. */
    edb_server *a = start_server(&o);
    edb_server_options o2 = EDB_SERVER_OPTIONS_INIT;
    o2.store = store_path();
    o2.port = edb_server_port(a);
    edb_err_clear(&e);
    ck_assert_int_eq(edb_server_start(&s, &o2, &e), EDB_ERR_IO);
    ck_assert_msg(strstr(e.msg, "port") != NULL, "%s", e.msg);
    ck_assert_ptr_null(s);
    edb_server_stop(a);
    edb_server_stop(NULL);
}
END_TEST

START_TEST(serve_ipv6)
{
    edb_server_options o = EDB_SERVER_OPTIONS_INIT;
    o.store = store_path();
    o.bind = "::1";
    edb_server *s = NULL;
    edb_err e = EDB_ERR_INIT;
    if (edb_server_start(&s, &o, &e) != EDB_OK)
        return; /* no IPv6 loopback here */
    char url[256];
    snprintf(url, sizeof url, "http://[::1]:%u/api/", edb_server_port(s));
    CURL *h = curl_easy_init();
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
    CURLcode rc = curl_easy_perform(h);
    long code = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_cleanup(h);
    edb_server_stop(s);
    if (rc == CURLE_COULDNT_CONNECT)
        return;
    ck_assert_int_eq(rc, CURLE_OK);
    ck_assert_int_eq(code, 200);
}
END_TEST

static Suite *server_suite(void)
{
    Suite *su = suite_create("server");
    TCase *tc = tcase_create("store");
    tcase_add_test(tc, store_brackets_at_boundaries);
    tcase_add_test(tc, store_types_from_meta);
    tcase_add_test(tc, store_refuses);
    tcase_add_test(tc, store_tmp_values);
    tcase_add_test(tc, store_threads);
    suite_add_tcase(su, tc);
    tc = tcase_create("serve");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, serve_probe_and_data);
    tcase_add_test(tc, serve_bad_requests);
    tcase_add_test(tc, serve_token);
    tcase_add_test(tc, serve_fault_status);
    tcase_add_test(tc, serve_fault_truncate);
    tcase_add_test(tc, serve_fault_drop_and_delay);
    tcase_add_test(tc, serve_strings_and_exact_reals);
    tcase_add_test(tc, serve_matches_real_replies);
    tcase_add_test(tc, serve_keepalive);
    tcase_add_test(tc, serve_start_errors);
    tcase_add_test(tc, serve_ipv6);
    suite_add_tcase(su, tc);
    return su;
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    SRunner *sr = srunner_create(server_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    curl_global_cleanup();
    return failed == 0 ? 0 : 1;
}
