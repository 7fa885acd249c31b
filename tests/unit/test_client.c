/* test_client.c: the path A client over real HTTP against edb_server on 127.0.0.1:
 * names, URLs, the security rules, decoding, and the retry policy counted at the server. */
#include <check.h>
#include <curl/curl.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include <edb/edb.h>

#include "testutil.h"
#include "tu_raw.h"

/* 2021-01-26T02:29:03Z and friends, in microseconds since 1970 (date -u -d ... +%s). */
#define T_022903 INT64_C(1611628143000000)
#define T_0229045 INT64_C(1611628144500000)

static edb_server *start_server(edb_server_options *so)
{
    static char store[4096];
    snprintf(store, sizeof store, "%s", tu_fixture("jwst-2021-01-26"));
    so->store = store;
    edb_server *s = NULL;
    edb_err err = EDB_ERR_INIT;
    edb_status st = edb_server_start(&s, so, &err);
    ck_assert_msg(st == EDB_OK, "server: %s", err.msg);
    return s;
}

static char *base_of(edb_server *s)
{
    static char buf[64];
    snprintf(buf, sizeof buf, "http://127.0.0.1:%u/", edb_server_port(s));
    return buf;
}

/* A client with fast backoff so that retry tests take milliseconds. */
static edb_client *make_client(const char *base, const char *token, int retries)
{
    edb_client_options o = EDB_CLIENT_OPTIONS_INIT;
    o.base_url = base;
    o.token = token;
    o.retries = retries;
    o.backoff_base_us = 1000;
    o.backoff_cap_us = 20000;
    o.timeout_us = 20000000;
    edb_client *c = NULL;
    ck_assert_int_eq(edb_client_new(&c, &o), EDB_OK);
    return c;
}

static edb_status fetch1(edb_client *c, const char *m, edb_time a, edb_time b, int brackets,
                         edb_result **res)
{
    const char *names[] = {m};
    edb_query q = {.mnemonics = names, .n_mnemonics = 1, .start = a, .end = b, .keep_brackets = brackets};
    return edb_client_fetch(c, &q, res);
}

/* ---- names and URLs ----------------------------------------------------------------- */

/* The URL of the one data request of a one-chunk plan. */
static char *plan_url(const char *base, const char *name, edb_time a, edb_time b, edb_err *err,
                      edb_status *st)
{
    edb_client_options o = EDB_CLIENT_OPTIONS_INIT;
    o.base_url = base;
    edb_client *c = NULL;
    ck_assert_int_eq(edb_client_new(&c, &o), EDB_OK);
    const char *names[] = {name};
    edb_query q = {.mnemonics = names, .n_mnemonics = 1, .start = a, .end = b};
    edb_plan *p = NULL;
    *st = edb_client_plan(c, &q, &p);
    char *url = NULL;
    if (*st == EDB_OK) {
        ck_assert_uint_eq(edb_plan_count(p), 1);
        char line[1024];
        edb_plan_line(p, 0, line, sizeof line);
        url = strdup(strrchr(line, '\t') + 1);
    } else {
        err->status = *st;
        snprintf(err->msg, sizeof err->msg, "%s", edb_client_errmsg(c));
    }
    edb_plan_free(p);
    edb_client_free(c);
    return url;
}

START_TEST(url_floor_ceil_encode)
{
    edb_err err = EDB_ERR_INIT;
    edb_status st;
    /* 2022-02-02T22:24:58.500 .. 22:24:59.200: start floored, end ceiled. */
    edb_time a = INT64_C(1643840698500000), b = INT64_C(1643840699200000);
    char *url = plan_url("https://mast.stsci.edu/", " sa_zattest2", a, b, &err, &st);
    ck_assert_int_eq(st, EDB_OK);
    ck_assert_str_eq(url, "https://mast.stsci.edu/api/v0.1/Download/file?uri="
                          "mast%3Ajwstedb%2FSA_ZATTEST2-20220202T222458-20220202T222500.csv");
    free(url);
    /* Whole seconds stay as they are. */
    url = plan_url("http://127.0.0.1:8080", "SA_ZATTEST2", INT64_C(1643840698000000),
                   INT64_C(1643840699000000), &err, &st);
    ck_assert_str_eq(url, "http://127.0.0.1:8080/api/v0.1/Download/file?uri="
                          "mast%3Ajwstedb%2FSA_ZATTEST2-20220202T222458-20220202T222459.csv");
    free(url);
    url = plan_url("https://x", "SA_ZATT-1", a, b, &err, &st);
    ck_assert_int_eq(st, EDB_ERR_MNEMONIC);
    ck_assert_ptr_null(url);
    ck_assert_msg(strstr(err.msg, "'-' at position 8"), "%s", err.msg);
}
END_TEST

START_TEST(base_url_rules)
{
    static const struct {
        const char *url;
        int token;
        edb_status want;
    } cases[] = {
        {"https://mast.stsci.edu", 1, EDB_OK},
        {"https://mast.stsci.edu/", 0, EDB_OK},
        {"http://mast.stsci.edu", 0, EDB_OK},
        {"http://mast.stsci.edu", 1, EDB_ERR_INSECURE},
        {"http://10.1.2.3:8080/", 1, EDB_ERR_INSECURE},
        {"http://127.0.0.1:8080/", 1, EDB_OK},
        {"http://127.9.8.7/", 1, EDB_OK},
        {"http://localhost:1234", 1, EDB_OK},
        {"http://[::1]:1234/", 1, EDB_OK},
        {"http://127.0.0.1.evil.example/", 1, EDB_ERR_INSECURE},
        {"ftp://mast.stsci.edu", 0, EDB_ERR_USAGE},
        {"https://user:pw@mast.stsci.edu", 0, EDB_ERR_USAGE},
        {"https://mast.stsci.edu/?x=1", 0, EDB_ERR_USAGE},
        {"not a url", 0, EDB_ERR_USAGE},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        edb_err err = EDB_ERR_INIT;
        ck_assert_msg(edb_base_url_check(cases[k].url, cases[k].token, &err) == cases[k].want,
                      "%s (token %d): %s", cases[k].url, cases[k].token, err.msg);
    }
}
END_TEST

/* ---- fetching ------------------------------------------------------------------------- */

/* SA_ZATTEST1 from 02:29:03.000 to 02:29:04.500, checked against the recording
 * (fixtures/jwst-2021-01-26/sa_zattest1_data.json, ObsTime in ms). */
static const struct {
    int64_t ms;
    double v;
} zatt1[] = {
    {1611628142915, -0.2095468}, /* bracket before */
    {1611628143171, -0.2095468},   {1611628143427, -0.20954679}, {1611628143683, -0.20954679},
    {1611628143939, -0.20954679},  {1611628144195, -0.20954679}, {1611628144451, -0.209546775},
    {1611628144707, -0.209546775}, /* bracket after */
};

static void check_zatt1(const edb_series *s, int brackets)
{
    size_t first = brackets ? 0 : 1, n = brackets ? 8 : 6;
    ck_assert_str_eq(s->mnemonic, "SA_ZATTEST1");
    ck_assert_int_eq(s->vtype, EDB_VT_REAL);
    ck_assert_uint_eq(s->n, n);
    for (size_t k = 0; k < n; k++) {
        ck_assert_int_eq(s->t[k], zatt1[first + k].ms * 1000);
        ck_assert_msg(s->d[k] == zatt1[first + k].v, "sample %zu: %.17g", k, s->d[k]);
    }
}

START_TEST(fetch_exact_values)
{
    edb_server_options so = EDB_SERVER_OPTIONS_INIT;
    edb_server *srv = start_server(&so);
    edb_client *c = make_client(base_of(srv), NULL, 0);
    edb_result *res = NULL;
    ck_assert_msg(fetch1(c, "sa_zattest1", T_022903, T_0229045, 0, &res) == EDB_OK, "%s",
                  edb_client_errmsg(c));
    ck_assert_uint_eq(edb_result_count(res), 1);
    check_zatt1(edb_result_series(res, 0), 0);
    edb_result_free(res);
    ck_assert_msg(fetch1(c, "SA_ZATTEST1", T_022903, T_0229045, 1, &res) == EDB_OK, "%s",
                  edb_client_errmsg(c));
    check_zatt1(edb_result_series(res, 0), 1);
    edb_result_free(res);
    ck_assert_uint_eq(edb_server_requests(srv), 2);
    edb_client_free(c);
    edb_server_stop(srv);
}
END_TEST

START_TEST(fetch_many_dedup_in_order)
{
    edb_server_options so = EDB_SERVER_OPTIONS_INIT;
    edb_server *srv = start_server(&so);
    edb_client *c = make_client(base_of(srv), NULL, 0);
    const char *names[] = {"SA_ZFGDETID", "sa_zattest1", "SA_ZATTEST1", "INRSI_GWA_Y_TILT_AVGED"};
    edb_query q = {.mnemonics = names, .n_mnemonics = 4, .start = T_022903, .end = T_0229045};
    edb_result *res = NULL;
    ck_assert_msg(edb_client_fetch(c, &q, &res) == EDB_OK, "%s", edb_client_errmsg(c));
    ck_assert_uint_eq(edb_result_count(res), 3);
    ck_assert_str_eq(edb_result_series(res, 0)->mnemonic, "SA_ZFGDETID");
    ck_assert_int_eq(edb_result_series(res, 0)->vtype, EDB_VT_INT);
    check_zatt1(edb_result_series(res, 1), 0);
    ck_assert_str_eq(edb_result_series(res, 2)->mnemonic, "INRSI_GWA_Y_TILT_AVGED");
    ck_assert_int_eq(edb_result_series(res, 2)->vtype, EDB_VT_REAL);
    ck_assert_uint_eq(edb_server_requests(srv), 3);
    edb_result_free(res);
    edb_client_free(c);
    edb_server_stop(srv);
}
END_TEST

START_TEST(not_found_is_final)
{
    edb_server_options so = EDB_SERVER_OPTIONS_INIT;
    edb_server *srv = start_server(&so);
    edb_client *c = make_client(base_of(srv), NULL, 5);
    edb_result *res = NULL;
    ck_assert_int_eq(fetch1(c, "SA_ZNOSUCH1", T_022903, T_0229045, 0, &res), EDB_ERR_NOT_FOUND);
    ck_assert_ptr_null(res);
    ck_assert_ptr_nonnull(strstr(edb_client_errmsg(c), "SA_ZNOSUCH1: no such mnemonic (HTTP 404"));
    ck_assert_uint_eq(edb_server_requests(srv), 1);
    edb_client_free(c);
    edb_server_stop(srv);
}
END_TEST

static void check_budget(int status, int retries, unsigned long want_requests, edb_status want)
{
    edb_server_options so = EDB_SERVER_OPTIONS_INIT;
    so.fault_status = status;
    so.fault_count = -1;
    edb_server *srv = start_server(&so);
    edb_client *c = make_client(base_of(srv), NULL, retries);
    edb_result *res = NULL;
    ck_assert_int_eq(fetch1(c, "SA_ZATTEST1", T_022903, T_0229045, 0, &res), want);
    ck_assert_msg(edb_server_requests(srv) == want_requests, "HTTP %d, %d retries: %lu requests",
                  status, retries, edb_server_requests(srv));
    edb_client_stats st;
    edb_client_get_stats(c, &st);
    ck_assert_uint_eq(st.requests, want_requests);
    ck_assert_uint_eq(st.retries, want_requests - 1);
    edb_client_free(c);
    edb_server_stop(srv);
}

START_TEST(retry_budgets)
{
    check_budget(500, 3, 4, EDB_ERR_SERVER);   /* full budget */
    check_budget(503, 0, 1, EDB_ERR_SERVER);
    check_budget(519, 2, 3, EDB_ERR_SERVER);
    check_budget(408, 4, 5, EDB_ERR_SERVER);
    check_budget(429, 4, 5, EDB_ERR_SERVER);
    check_budget(400, 10, 3, EDB_ERR_SERVER);  /* other 4xx: two more tries */
    check_budget(405, 10, 3, EDB_ERR_SERVER);
    check_budget(400, 1, 2, EDB_ERR_SERVER);   /* never more than asked */
    check_budget(401, 10, 3, EDB_ERR_AUTH);
    check_budget(403, 10, 3, EDB_ERR_AUTH);
    check_budget(520, 10, 3, EDB_ERR_SERVER);  /* past 519: short budget */
}
END_TEST

START_TEST(recovers_503_then_success)
{
    edb_server_options so = EDB_SERVER_OPTIONS_INIT;
    so.fault_status = 503;
    so.fault_count = 2;
    edb_server *srv = start_server(&so);
    edb_client *c = make_client(base_of(srv), NULL, 3);
    edb_result *res = NULL;
    ck_assert_msg(fetch1(c, "SA_ZATTEST1", T_022903, T_0229045, 0, &res) == EDB_OK, "%s",
                  edb_client_errmsg(c));
    check_zatt1(edb_result_series(res, 0), 0);
    ck_assert_uint_eq(edb_server_requests(srv), 3);
    edb_result_free(res);
    edb_client_free(c);
    edb_server_stop(srv);
}
END_TEST

START_TEST(retry_after_is_honoured)
{
    edb_server_options so = EDB_SERVER_OPTIONS_INIT;
    so.fault_status = 429;
    so.fault_count = 1;
    so.retry_after = 1;
    edb_server *srv = start_server(&so);
    edb_client *c = make_client(base_of(srv), NULL, 3);
    edb_result *res = NULL;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ck_assert_int_eq(fetch1(c, "SA_ZATTEST1", T_022903, T_0229045, 0, &res), EDB_OK);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double dt = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    /* The client's own backoff is 1 ms here: only Retry-After explains a 1 s wait. */
    ck_assert_msg(dt >= 0.95, "waited only %.3f s", dt);
    ck_assert_uint_eq(edb_server_requests(srv), 2);
    edb_result_free(res);
    edb_client_free(c);
    edb_server_stop(srv);
}
END_TEST

/* Retry-After beyond what edbx waits (120 s): fail at once, saying so, never sleep for days;
 * a huge value or an HTTP date a year ahead must not overflow (UBSan watches). */
START_TEST(retry_after_is_bounded)
{
    static const char *const alive[] = {"/api/", NULL};
    static const char *const waits[] = {"999999", "9223372036854775807",
                                        "Wed, 21 Oct 2099 07:28:00 GMT"};
    for (size_t k = 0; k < sizeof waits / sizeof waits[0]; k++) {
        tu_raw_reply rr = {503, "busy\n", 5, "Retry-After", waits[k], alive};
        char rbase[64];
        tu_raw *raw = tu_raw_start(&rr, rbase);
        edb_client *c = make_client(rbase, NULL, 10);
        edb_result *res = NULL;
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        ck_assert_int_eq(fetch1(c, "SA_ZATTEST1", T_022903, T_0229045, 0, &res), EDB_ERR_SERVER);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        ck_assert_msg(t1.tv_sec - t0.tv_sec < 30, "%s: waited %ld s", waits[k],
                      (long)(t1.tv_sec - t0.tv_sec));
        const char *m = edb_client_errmsg(c);
        ck_assert_msg(strstr(m, "the service asks to wait ") &&
                          strstr(m, "longer than edbx waits (120 s): try again later"),
                      "%s: %s", waits[k], m);
        ck_assert_uint_eq(tu_raw_requests(raw), 1); /* no retry was made */
        edb_client_free(c);
        tu_raw_stop(raw);
    }
}
END_TEST

/* The real service always sends a body: an empty 200 is a reply cut short, tried again,
 * never taken for "no data". */
START_TEST(empty_200_is_retried)
{
    static const char *const alive[] = {"/api/", NULL};
    tu_raw_reply rr = {200, NULL, 0, NULL, NULL, alive};
    char rbase[64];
    tu_raw *raw = tu_raw_start(&rr, rbase);
    edb_client *c = make_client(rbase, NULL, 2);
    edb_result *res = NULL;
    ck_assert_int_eq(fetch1(c, "SA_ZATTEST1", T_022903, T_0229045, 0, &res), EDB_ERR_TRUNCATED);
    ck_assert_ptr_null(res);
    ck_assert_msg(strstr(edb_client_errmsg(c), "the reply was empty (HTTP 200 without a body)") &&
                      strstr(edb_client_errmsg(c), "after 3 tries"), "%s", edb_client_errmsg(c));
    ck_assert_uint_eq(tu_raw_requests(raw), 3);
    edb_client_free(c);
    tu_raw_stop(raw);
}
END_TEST

/* A compressed reply that inflates more than 200 times past 16 MiB is refused. */
START_TEST(gzip_bomb_refused)
{
    static const char *const alive[] = {"/api/", NULL};
    size_t zlen = 64u << 20; /* 64 MiB of the same CSV row inflate from ~100 kB */
    char *plain = malloc(zlen);
    const char *hdr = "theTime,MJD,euvalue,sqldataType\r\n";
    const char *row = "2021-01-26 02:29:03.000000,59240.1035069444,1.0,real\r\n";
    size_t hl = strlen(hdr), rl = strlen(row), n = hl;
    memcpy(plain, hdr, hl);
    while (n + rl <= zlen) {
        memcpy(plain + n, row, rl);
        n += rl;
    }
    uLongf cap = compressBound(n) + 64;
    unsigned char *gz = malloc(cap);
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    ck_assert_int_eq(deflateInit2(&zs, 9, Z_DEFLATED, 31, 9, Z_DEFAULT_STRATEGY), Z_OK);
    zs.next_in = (unsigned char *)plain;
    zs.avail_in = (uInt)n;
    zs.next_out = gz;
    zs.avail_out = (uInt)cap;
    ck_assert_int_eq(deflate(&zs, Z_FINISH), Z_STREAM_END);
    size_t glen = zs.total_out;
    deflateEnd(&zs);
    free(plain);
    ck_assert_msg(n / glen > 200, "only %zu times", n / glen);
    tu_raw_reply rr = {200, (const char *)gz, glen, "Content-Encoding", "gzip", alive};
    char rbase[64];
    tu_raw *raw = tu_raw_start(&rr, rbase);
    edb_client *c = make_client(rbase, NULL, 2);
    edb_result *res = NULL;
    ck_assert_int_eq(fetch1(c, "SA_ZATTEST1", T_022903, T_0229045, 0, &res), EDB_ERR_DATA);
    ck_assert_msg(strstr(edb_client_errmsg(c), "the compressed reply inflates more than 200 "
                                               "times past 16 MiB: refused"), "%s",
                  edb_client_errmsg(c));
    ck_assert_uint_eq(tu_raw_requests(raw), 1);
    edb_client_free(c);
    tu_raw_stop(raw);
    free(gz);
}
END_TEST

/* A base URL that is not the EDB is reported once as such: no data request is made. */
START_TEST(wrong_base_url_is_named)
{
    edb_server_options so = EDB_SERVER_OPTIONS_INIT;
    edb_server *srv = start_server(&so);
    char wrong[128];
    snprintf(wrong, sizeof wrong, "%sjwst/", base_of(srv));
    edb_client *c = make_client(wrong, NULL, 10);
    edb_result *res = NULL;
    ck_assert_int_eq(fetch1(c, "SA_ZATTEST1", T_022903, T_0229045, 0, &res), EDB_ERR_NETWORK);
    char want[256];
    snprintf(want, sizeof want, "%s does not answer as the EDB's MAST path A service (GET api/ "
             "gave 404): check --base-url / ENG_BASE_URL", wrong);
    ck_assert_str_eq(edb_client_errmsg(c), want);
    edb_client_stats st;
    edb_client_get_stats(c, &st);
    ck_assert_uint_eq(st.probes, 1);
    ck_assert_uint_eq(st.requests, 0);
    ck_assert_uint_eq(edb_server_requests(srv), 0);
    /* Once a base URL answered, a client does not ask again. */
    edb_client_free(c);
    c = make_client(base_of(srv), NULL, 10);
    ck_assert_int_eq(fetch1(c, "SA_ZATTEST1", T_022903, T_0229045, 0, &res), EDB_OK);
    edb_result_free(res);
    ck_assert_int_eq(fetch1(c, "SA_ZATTEST1", T_022903, T_0229045, 0, &res), EDB_OK);
    edb_result_free(res);
    edb_client_get_stats(c, &st);
    ck_assert_uint_eq(st.probes, 1);
    ck_assert_uint_eq(st.requests, 2);
    edb_client_free(c);
    edb_server_stop(srv);
}
END_TEST

START_TEST(truncated_reply_is_refetched_or_fails)
{
    edb_server_options so = EDB_SERVER_OPTIONS_INIT;
    so.truncate_after = 100;
    so.fault_count = 1;
    edb_server *srv = start_server(&so);
    edb_client *c = make_client(base_of(srv), NULL, 2);
    edb_result *res = NULL;
    ck_assert_int_eq(fetch1(c, "SA_ZATTEST1", T_022903, T_0229045, 0, &res), EDB_OK);
    check_zatt1(edb_result_series(res, 0), 0); /* nothing of the cut reply leaked in */
    ck_assert_uint_eq(edb_server_requests(srv), 2);
    edb_result_free(res);
    edb_client_free(c);
    edb_server_stop(srv);

    so.fault_count = -1;
    srv = start_server(&so);
    c = make_client(base_of(srv), NULL, 2);
    res = NULL;
    ck_assert_int_eq(fetch1(c, "SA_ZATTEST1", T_022903, T_0229045, 0, &res), EDB_ERR_TRUNCATED);
    ck_assert_ptr_null(res);
    ck_assert_ptr_nonnull(strstr(edb_client_errmsg(c), "cut short"));
    ck_assert_uint_eq(edb_server_requests(srv), 3);
    edb_client_free(c);
    edb_server_stop(srv);
}
END_TEST

START_TEST(dropped_connection_recovers)
{
    edb_server_options so = EDB_SERVER_OPTIONS_INIT;
    so.drop = 1;
    so.fault_count = 1;
    edb_server *srv = start_server(&so);
    edb_client *c = make_client(base_of(srv), NULL, 2);
    edb_result *res = NULL;
    ck_assert_msg(fetch1(c, "SA_ZATTEST1", T_022903, T_0229045, 0, &res) == EDB_OK, "%s",
                  edb_client_errmsg(c));
    check_zatt1(edb_result_series(res, 0), 0);
    ck_assert_uint_eq(edb_server_requests(srv), 2);
    edb_result_free(res);
    edb_client_free(c);
    edb_server_stop(srv);
}
END_TEST

START_TEST(timeout_fails_cleanly)
{
    edb_server_options so = EDB_SERVER_OPTIONS_INIT;
    so.delay_us = 1500000;
    so.fault_count = -1;
    edb_server *srv = start_server(&so);
    edb_client_options o = EDB_CLIENT_OPTIONS_INIT;
    o.base_url = base_of(srv);
    o.retries = 0;
    o.timeout_us = 300000;
    edb_client *c = NULL;
    ck_assert_int_eq(edb_client_new(&c, &o), EDB_OK);
    edb_result *res = NULL;
    ck_assert_int_eq(fetch1(c, "SA_ZATTEST1", T_022903, T_0229045, 0, &res), EDB_ERR_NETWORK);
    ck_assert_ptr_nonnull(strstr(edb_client_errmsg(c), "timed out"));
    edb_client_free(c);
    edb_server_stop(srv);
}
END_TEST

START_TEST(connection_refused)
{
    /* A port nobody listens on: start a server, note its port, stop it. */
    edb_server_options so = EDB_SERVER_OPTIONS_INIT;
    edb_server *srv = start_server(&so);
    char base[64];
    snprintf(base, sizeof base, "%s", base_of(srv));
    edb_server_stop(srv);
    edb_client *c = make_client(base, NULL, 2);
    edb_result *res = NULL;
    ck_assert_int_eq(fetch1(c, "SA_ZATTEST1", T_022903, T_0229045, 0, &res), EDB_ERR_NETWORK);
    edb_client_stats st;
    edb_client_get_stats(c, &st);
    /* The aliveness check meets the refusal first: the short budget (3 tries), and no data
     * request is made at all. */
    ck_assert_uint_eq(st.probes, 3);
    ck_assert_uint_eq(st.requests, 0);
    ck_assert_msg(strstr(edb_client_errmsg(c), "cannot connect: ") &&
                      strstr(edb_client_errmsg(c), "after 3 tries"), "%s", edb_client_errmsg(c));
    edb_client_free(c);
}
END_TEST

static char logbuf[65536];
static void capture_log(void *ctx, const char *line)
{
    (void)ctx;
    strncat(logbuf, line, sizeof logbuf - strlen(logbuf) - 2);
    strcat(logbuf, "\n");
}

START_TEST(token_required_and_never_shown)
{
    edb_server_options so = EDB_SERVER_OPTIONS_INIT;
    so.token = "s3cr3t-T0KEN";
    edb_server *srv = start_server(&so);
    logbuf[0] = '\0';
    edb_client_options o = EDB_CLIENT_OPTIONS_INIT;
    o.base_url = base_of(srv);
    o.retries = 0;
    o.log = capture_log;
    edb_client *c = NULL;
    edb_result *res = NULL;

    ck_assert_int_eq(edb_client_new(&c, &o), EDB_OK); /* no token */
    ck_assert_int_eq(fetch1(c, "SA_ZATTEST1", T_022903, T_0229045, 0, &res), EDB_ERR_AUTH);
    ck_assert_ptr_nonnull(strstr(edb_client_errmsg(c), "token is missing"));
    ck_assert_ptr_nonnull(strstr(edb_client_errmsg(c), "MAST_API_TOKEN"));
    edb_client_free(c);

    o.token = "wrong-token";
    ck_assert_int_eq(edb_client_new(&c, &o), EDB_OK);
    ck_assert_int_eq(fetch1(c, "SA_ZATTEST1", T_022903, T_0229045, 0, &res), EDB_ERR_AUTH);
    ck_assert_ptr_nonnull(strstr(edb_client_errmsg(c), "wrong or expired"));
    ck_assert_ptr_null(strstr(edb_client_errmsg(c), "wrong-token"));
    edb_client_free(c);

    o.token = "s3cr3t-T0KEN";
    ck_assert_int_eq(edb_client_new(&c, &o), EDB_OK);
    ck_assert_int_eq(fetch1(c, "SA_ZATTEST1", T_022903, T_0229045, 0, &res), EDB_OK);
    check_zatt1(edb_result_series(res, 0), 0);
    edb_result_free(res);
    ck_assert_ptr_null(strstr(edb_client_errmsg(c), "s3cr3t"));
    edb_client_free(c);
    ck_assert_ptr_nonnull(strstr(logbuf, "GET http://127.0.0.1"));
    ck_assert_ptr_null(strstr(logbuf, "s3cr3t"));
    ck_assert_ptr_null(strstr(logbuf, "wrong-token"));
    edb_server_stop(srv);
}
END_TEST

START_TEST(token_not_sent_in_clear)
{
    edb_client *c = make_client("http://edb.example.org/", "tok", 0);
    edb_result *res = NULL;
    ck_assert_int_eq(fetch1(c, "SA_ZATTEST1", T_022903, T_0229045, 0, &res), EDB_ERR_INSECURE);
    ck_assert_ptr_nonnull(strstr(edb_client_errmsg(c), "clear text"));
    edb_client_free(c);
}
END_TEST

/* A tiny redirector: every request gets 302 to `target` + the original path and query. */
static char redirect_target[256];
static enum MHD_Result redirect_handler(void *cls, struct MHD_Connection *conn, const char *url,
                                        const char *method, const char *version,
                                        const char *upload, size_t *upload_size, void **ptr)
{
    (void)cls, (void)method, (void)version, (void)upload, (void)upload_size, (void)ptr;
    const char *uri = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "uri");
    char *enc = curl_easy_escape(NULL, uri ? uri : "", 0);
    char loc[1024];
    snprintf(loc, sizeof loc, "%s%s?uri=%s", redirect_target, url, enc);
    curl_free(enc);
    struct MHD_Response *r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(r, "Location", loc);
    enum MHD_Result ret = MHD_queue_response(conn, 302, r);
    MHD_destroy_response(r);
    return ret;
}

static struct MHD_Daemon *start_redirector(unsigned *port)
{
    struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL,
                                            redirect_handler, NULL, MHD_OPTION_END);
    ck_assert_ptr_nonnull(d);
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    *port = info->port;
    return d;
}

START_TEST(redirect_keeps_token_only_for_same_origin)
{
    edb_server_options so = EDB_SERVER_OPTIONS_INIT;
    so.token = "tok-123";
    edb_server *srv = start_server(&so);
    unsigned rport;
    struct MHD_Daemon *red = start_redirector(&rport);
    char base[64];
    edb_result *res = NULL;

    /* Another origin (another port is another origin): the token must not follow, so the
     * token-demanding server answers 401. */
    snprintf(redirect_target, sizeof redirect_target, "http://127.0.0.1:%u", edb_server_port(srv));
    snprintf(base, sizeof base, "http://127.0.0.1:%u", rport);
    edb_client *c = make_client(base, "tok-123", 0);
    ck_assert_int_eq(fetch1(c, "SA_ZATTEST1", T_022903, T_0229045, 0, &res), EDB_ERR_AUTH);
    ck_assert_uint_eq(edb_server_requests(srv), 1);
    edb_client_free(c);

    /* The same server asked without a token by a redirect-free client works: sanity. */
    c = make_client(redirect_target, "tok-123", 0);
    ck_assert_int_eq(fetch1(c, "SA_ZATTEST1", T_022903, T_0229045, 0, &res), EDB_OK);
    check_zatt1(edb_result_series(res, 0), 0);
    edb_result_free(res);
    edb_client_free(c);

    /* Without a token at all, a redirect to another origin is followed and data arrives. */
    edb_server_stop(srv);
    so.token = NULL;
    srv = start_server(&so);
    snprintf(redirect_target, sizeof redirect_target, "http://127.0.0.1:%u", edb_server_port(srv));
    c = make_client(base, NULL, 0);
    ck_assert_msg(fetch1(c, "SA_ZATTEST1", T_022903, T_0229045, 0, &res) == EDB_OK, "%s",
                  edb_client_errmsg(c));
    check_zatt1(edb_result_series(res, 0), 0);
    edb_result_free(res);
    edb_client_free(c);

    MHD_stop_daemon(red);
    edb_server_stop(srv);
}
END_TEST

static Suite *client_suite(void)
{
    Suite *s = suite_create("client");
    TCase *t = tcase_create("names");
    tcase_add_test(t, url_floor_ceil_encode);
    tcase_add_test(t, base_url_rules);
    suite_add_tcase(s, t);
    t = tcase_create("http");
    tcase_set_timeout(t, 60);
    tcase_add_test(t, fetch_exact_values);
    tcase_add_test(t, fetch_many_dedup_in_order);
    tcase_add_test(t, not_found_is_final);
    tcase_add_test(t, retry_budgets);
    tcase_add_test(t, recovers_503_then_success);
    tcase_add_test(t, retry_after_is_honoured);
    tcase_add_test(t, retry_after_is_bounded);
    tcase_add_test(t, empty_200_is_retried);
    tcase_add_test(t, gzip_bomb_refused);
    tcase_add_test(t, wrong_base_url_is_named);
    tcase_add_test(t, truncated_reply_is_refetched_or_fails);
    tcase_add_test(t, dropped_connection_recovers);
    tcase_add_test(t, timeout_fails_cleanly);
    tcase_add_test(t, connection_refused);
    tcase_add_test(t, token_required_and_never_shown);
    tcase_add_test(t, token_not_sent_in_clear);
    tcase_add_test(t, redirect_keeps_token_only_for_same_origin);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *r = srunner_create(client_suite());
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
