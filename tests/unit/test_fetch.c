/* test_fetch.c: many mnemonics over long ranges: chunking and stitching, concurrency,
 * faults injected by edb_server, keep-going, and the connection bound, all over real HTTP
 * on 127.0.0.1.  The store is written here, so every expected sample is known exactly. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <edb/edb.h>

#include "testutil.h"

#define D0_MS TU_D0_MS
#define DAY_MS TU_DAY_MS
#define STEP_MS TU_STEP_MS /* 15 min: 96 samples a day, one exactly on each midnight */
#define NDAYS 4
#define NSAMPLES (NDAYS * 96 + 1)

static char *store;
static edb_server *srv;
static char base[64];

static double value_of(int m, int k)
{
    return tu_synthetic_value(m, k);
}

static void write_store(int nmnem)
{
    store = tu_synthetic_store(nmnem, NDAYS);
}

static void serve(edb_server_options *so)
{
    so->store = store;
    edb_err err = EDB_ERR_INIT;
    ck_assert_msg(edb_server_start(&srv, so, &err) == EDB_OK, "%s", err.msg);
    snprintf(base, sizeof base, "http://127.0.0.1:%u/", edb_server_port(srv));
}

static void teardown(void)
{
    edb_server_stop(srv);
    srv = NULL;
    tu_rmtree(store);
    free(store);
    store = NULL;
}

static edb_client *client(int parallel, int retries)
{
    edb_client_options o = EDB_CLIENT_OPTIONS_INIT;
    o.base_url = base;
    o.parallel = parallel;
    o.retries = retries;
    o.backoff_base_us = 1000;
    o.backoff_cap_us = 10000;
    /* These tests count the server's data requests against the client's tries.  Without
     * the aliveness check every data request opens its own first connection: libcurl
     * silently sends a request again when a reused connection turns out dead (a dropped
     * connection fault on the probe's connection), which would make the counts differ. */
    o.probe = 0;
    edb_client *c = NULL;
    ck_assert_int_eq(edb_client_new(&c, &o), EDB_OK);
    return c;
}

/* The series must hold exactly samples first..last of mnemonic m, once each, in order. */
static void expect_samples(const edb_series *s, int m, int first, int last)
{
    char name[32];
    snprintf(name, sizeof name, "SA_ZTEST%d", m);
    ck_assert_str_eq(s->mnemonic, name);
    ck_assert_msg(s->n == (size_t)(last - first + 1), "%s: %zu samples, want %d", name, s->n,
                  last - first + 1);
    for (int k = first; k <= last; k++) {
        size_t j = (size_t)(k - first);
        ck_assert_msg(s->t[j] == (D0_MS + k * STEP_MS) * 1000, "%s sample %d: time %lld", name,
                      k, (long long)s->t[j]);
        ck_assert_msg(s->d[j] == value_of(m, k), "%s sample %d: value %.17g", name, k, s->d[j]);
    }
}

static edb_status fetch(edb_client *c, const char *const *names, size_t n, edb_time a,
                        edb_time b, int brackets, int64_t chunk, int keep_going,
                        edb_result **res)
{
    edb_query q = {.mnemonics = names, .n_mnemonics = n, .start = a, .end = b,
                   .keep_brackets = brackets, .chunk_us = chunk, .keep_going = keep_going};
    return edb_client_fetch(c, &q, res);
}

#define US(ms) ((ms) * INT64_C(1000))

START_TEST(stitching_at_midnights)
{
    write_store(2);
    edb_server_options so = EDB_SERVER_OPTIONS_INIT;
    serve(&so);
    edb_client *c = client(4, 0);
    const char *names[] = {"SA_ZTEST0", "SA_ZTEST1"};
    edb_result *res = NULL;
    /* The whole recording with daily chunks: 4 chunks (the final midnight, the range's end,
     * closes the last one instead of being asked for alone), samples exactly on each
     * midnight appear once. */
    ck_assert_msg(fetch(c, names, 2, US(D0_MS), US(D0_MS + NDAYS * DAY_MS), 0, EDB_USEC_PER_DAY, 0,
                        &res) == EDB_OK, "%s", edb_client_errmsg(c));
    expect_samples(edb_result_series(res, 0), 0, 0, NSAMPLES - 1);
    expect_samples(edb_result_series(res, 1), 1, 0, NSAMPLES - 1);
    ck_assert_uint_eq(edb_server_requests(srv), 2 * NDAYS);
    edb_result_free(res);

    /* Mid-day to mid-day, hourly chunks, fractional bounds: 10:00:00.5 on day 0 to
     * 13:59:59.999 on day 2 keeps samples 41..(2*96+55). */
    edb_time a = US(D0_MS + 10 * 3600000) + 500000, b = US(D0_MS + 2 * DAY_MS + 14 * 3600000) - 1000;
    ck_assert_msg(fetch(c, names, 1, a, b, 0, 3600 * EDB_USEC_PER_SEC, 0, &res) == EDB_OK, "%s",
                  edb_client_errmsg(c));
    expect_samples(edb_result_series(res, 0), 0, 41, 2 * 96 + 55);
    edb_result_free(res);

    /* Brackets survive chunking: one before the first chunk, one after the last. */
    ck_assert_msg(fetch(c, names, 1, a, b, 1, 3600 * EDB_USEC_PER_SEC, 0, &res) == EDB_OK, "%s",
                  edb_client_errmsg(c));
    expect_samples(edb_result_series(res, 0), 0, 40, 2 * 96 + 56);
    edb_result_free(res);
    edb_client_free(c);
    teardown();
}
END_TEST

/* Twelve mnemonics served with delays (replies finish in a scrambled order), named in
 * reverse: names[m] is SA_ZTEST(11 - m). */
static void serve_twelve_scrambled(const char *names[12], char buf[12][16])
{
    write_store(12);
    edb_server_options so = EDB_SERVER_OPTIONS_INIT;
    so.delay_us = 20000;
    so.fault_count = -1;
    serve(&so);
    for (int m = 0; m < 12; m++) {
        snprintf(buf[m], 16, "SA_ZTEST%d", 11 - m);
        names[m] = buf[m];
    }
}

START_TEST(same_result_for_any_parallelism)
{
    const char *names[12];
    char buf[12][16];
    serve_twelve_scrambled(names, buf);
    int jobs[] = {1, 3, 16};
    for (size_t j = 0; j < 3; j++) {
        edb_client *c = client(jobs[j], 0);
        edb_result *res = NULL;
        ck_assert_msg(fetch(c, names, 12, US(D0_MS + 3600000), US(D0_MS + 3 * DAY_MS), 0,
                            EDB_USEC_PER_DAY, 0, &res) == EDB_OK, "%s", edb_client_errmsg(c));
        for (int m = 0; m < 12; m++)
            expect_samples(edb_result_series(res, (size_t)m), 11 - m, 4, 3 * 96);
        edb_result_free(res);
        edb_client_free(c);
    }
    teardown();
}
END_TEST

START_TEST(connections_stay_within_the_bound)
{
    write_store(8);
    edb_server_options so = EDB_SERVER_OPTIONS_INIT;
    so.delay_us = 100000;
    so.fault_count = -1;
    serve(&so);
    const char *names[8] = {"SA_ZTEST0", "SA_ZTEST1", "SA_ZTEST2", "SA_ZTEST3",
                            "SA_ZTEST4", "SA_ZTEST5", "SA_ZTEST6", "SA_ZTEST7"};
    edb_client *c = client(3, 0);
    edb_result *res = NULL;
    ck_assert_int_eq(fetch(c, names, 8, US(D0_MS), US(D0_MS + NDAYS * DAY_MS - 1000), 0,
                           EDB_USEC_PER_DAY, 0, &res), EDB_OK);
    ck_assert_uint_eq(edb_server_requests(srv), 32);
    /* Never more than 3 at once, and really 3 at once (32 x 100 ms would take 3.2 s one at
     * a time); connections are reused, not opened per request. */
    ck_assert_uint_eq(edb_server_max_open_connections(srv), 3);
    ck_assert_msg(edb_server_connections(srv) <= 6, "%lu connections for 32 requests",
                  edb_server_connections(srv));
    edb_result_free(res);
    edb_client_free(c);
    teardown();
}
END_TEST

START_TEST(faults_are_recovered)
{
    write_store(3);
    const char *names[] = {"SA_ZTEST0", "SA_ZTEST1", "SA_ZTEST2"};
    struct {
        const char *what;
        edb_server_options so;
    } faults[6];
    for (int k = 0; k < 6; k++) {
        edb_server_options d = EDB_SERVER_OPTIONS_INIT;
        faults[k].so = d;
        faults[k].so.fault_count = 4;
    }
    faults[0].what = "503 with Retry-After";
    faults[0].so.fault_status = 503;
    faults[0].so.retry_after = 1;
    faults[0].so.fault_count = 2;
    faults[1].what = "truncated body";
    faults[1].so.truncate_after = 200;
    faults[2].what = "no final line end";
    faults[2].so.chop_eol = 1;
    faults[3].what = "dropped connection";
    faults[3].so.drop = 1;
    faults[4].what = "429";
    faults[4].so.fault_status = 429;
    faults[5].what = "random 500s";
    faults[5].so.fault_count = 0;
    faults[5].so.fail_rate = 0.3;
    faults[5].so.fail_seed = 7;
    faults[5].so.fault_status = 500;
    for (int k = 0; k < 6; k++) {
        serve(&faults[k].so);
        edb_client *c = client(2, 8);
        edb_result *res = NULL;
        ck_assert_msg(fetch(c, names, 3, US(D0_MS), US(D0_MS + 2 * DAY_MS - 1000), 0,
                            EDB_USEC_PER_DAY, 0, &res) == EDB_OK,
                      "%s: %s", faults[k].what, edb_client_errmsg(c));
        for (int m = 0; m < 3; m++)
            expect_samples(edb_result_series(res, (size_t)m), m, 0, 2 * 96 - 1);
        unsigned long want = k == 5 ? 0 : (unsigned long)faults[k].so.fault_count;
        edb_client_stats st;
        edb_client_get_stats(c, &st);
        ck_assert_msg(edb_server_requests(srv) == 6 + st.retries, "%s: %lu requests, %lu retries",
                      faults[k].what, edb_server_requests(srv), st.retries);
        if (k < 5)
            ck_assert_msg(st.retries == want, "%s: %lu retries", faults[k].what, st.retries);
        else
            ck_assert_msg(st.retries > 0, "random faults never struck");
        edb_result_free(res);
        edb_client_free(c);
        edb_server_stop(srv);
        srv = NULL;
    }
    teardown();
}
END_TEST

START_TEST(failure_stops_or_keeps_going)
{
    write_store(3);
    edb_server_options so = EDB_SERVER_OPTIONS_INIT;
    serve(&so);
    const char *names[] = {"SA_ZTEST0", "SA_ZNOSUCH9", "SA_ZTEST2"};
    edb_client *c = client(2, 3);
    edb_result *res = NULL;
    ck_assert_int_eq(fetch(c, names, 3, US(D0_MS), US(D0_MS + 2 * DAY_MS - 1000), 0,
                           EDB_USEC_PER_DAY, 0, &res), EDB_ERR_NOT_FOUND);
    ck_assert_ptr_null(res);
    ck_assert_ptr_nonnull(strstr(edb_client_errmsg(c), "SA_ZNOSUCH9: no such mnemonic (HTTP 404"));

    ck_assert_int_eq(fetch(c, names, 3, US(D0_MS), US(D0_MS + 2 * DAY_MS - 1000), 0,
                           EDB_USEC_PER_DAY, 1, &res), EDB_ERR_PARTIAL);
    ck_assert_ptr_nonnull(res);
    ck_assert_uint_eq(edb_result_count(res), 3);
    ck_assert_int_eq(edb_result_status(res, 0), EDB_OK);
    ck_assert_int_eq(edb_result_status(res, 1), EDB_ERR_NOT_FOUND);
    ck_assert_int_eq(edb_result_status(res, 2), EDB_OK);
    ck_assert_ptr_nonnull(strstr(edb_result_errmsg(res, 1), "SA_ZNOSUCH9: no such mnemonic"));
    ck_assert_str_eq(edb_result_errmsg(res, 0), "");
    ck_assert_uint_eq(edb_result_series(res, 1)->n, 0);
    expect_samples(edb_result_series(res, 0), 0, 0, 2 * 96 - 1);
    expect_samples(edb_result_series(res, 2), 2, 0, 2 * 96 - 1);
    ck_assert_ptr_nonnull(strstr(edb_client_errmsg(c), "1 of 3 mnemonics failed"));
    edb_result_free(res);
    edb_client_free(c);
    teardown();
}
END_TEST

static volatile int cancel_flag;
static void cancel_on_progress(void *ctx, const edb_progress *p)
{
    (void)ctx;
    if (p->requests_done >= 2)
        cancel_flag = 1;
}

START_TEST(cancel_stops_everything)
{
    write_store(4);
    edb_server_options so = EDB_SERVER_OPTIONS_INIT;
    so.delay_us = 200000;
    so.fault_count = -1;
    serve(&so);
    const char *names[] = {"SA_ZTEST0", "SA_ZTEST1", "SA_ZTEST2", "SA_ZTEST3"};
    edb_client_options o = EDB_CLIENT_OPTIONS_INIT;
    o.base_url = base;
    o.parallel = 2;
    o.cancel = &cancel_flag;
    o.progress = cancel_on_progress;
    cancel_flag = 0;
    edb_client *c = NULL;
    ck_assert_int_eq(edb_client_new(&c, &o), EDB_OK);
    edb_result *res = NULL;
    ck_assert_int_eq(fetch(c, names, 4, US(D0_MS), US(D0_MS + NDAYS * DAY_MS - 1000), 0,
                           EDB_USEC_PER_DAY, 0, &res), EDB_ERR_INTERRUPTED);
    ck_assert_ptr_null(res);
    ck_assert_msg(edb_server_requests(srv) < 16, "%lu requests after cancel",
                  edb_server_requests(srv));
    edb_client_free(c);
    teardown();
}
END_TEST


/* Issue 17, item 4: each mnemonic is handed over once, whole (every chunk stitched), as
 * soon as its last chunk is in, while the others are still being fetched; the callee may
 * take its samples, and a failure it reports stops the fetch with its message. */
typedef struct seen {
    int calls[12];
    int order[12];
    int n;
    unsigned long requests_at_first;
    int take;
    int fail_at;
} seen;

static edb_status on_mnemonic(void *ctx, size_t i, edb_series *s, edb_err *err)
{
    seen *sn = ctx;
    ck_assert_uint_lt(i, 12);
    if (sn->n == 0)
        sn->requests_at_first = edb_server_requests(srv);
    sn->calls[i]++;
    sn->order[sn->n++] = (int)i;
    expect_samples(s, 11 - (int)i, 4, 3 * 96);
    if (sn->fail_at >= 0 && sn->n > sn->fail_at)
        return edb_err_set(err, EDB_ERR_IO, "%s: the table could not take it", s->mnemonic);
    if (sn->take) {
        edb_series *gone = NULL;
        ck_assert_int_eq(edb_series_new(&gone, s->mnemonic), EDB_OK);
        edb_series_move_samples(gone, s);
        edb_series_free(gone);
    }
    return EDB_OK;
}

START_TEST(each_mnemonic_handed_over_when_complete)
{
    const char *names[12];
    char buf[12][16];
    serve_twelve_scrambled(names, buf);
    for (int take = 0; take < 2; take++) {
        edb_client *c = client(3, 0);
        seen sn;
        memset(&sn, 0, sizeof sn);
        sn.take = take;
        sn.fail_at = -1;
        edb_query q = {.mnemonics = names, .n_mnemonics = 12, .start = US(D0_MS + 3600000),
                       .end = US(D0_MS + 3 * DAY_MS), .chunk_us = EDB_USEC_PER_DAY,
                       .on_mnemonic = on_mnemonic, .on_mnemonic_ctx = &sn};
        edb_result *res = NULL;
        unsigned long before = edb_server_requests(srv);
        ck_assert_msg(edb_client_fetch(c, &q, &res) == EDB_OK, "%s", edb_client_errmsg(c));
        /* 12 mnemonics x 3 daily chunks; the first was complete long before the last
         * request was made */
        ck_assert_uint_eq(edb_server_requests(srv) - before, 36);
        ck_assert_uint_lt(sn.requests_at_first - before, 36);
        ck_assert_int_eq(sn.n, 12);
        for (int m = 0; m < 12; m++) {
            ck_assert_int_eq(sn.calls[m], 1);
            const edb_series *s = edb_result_series(res, (size_t)m);
            ck_assert_str_eq(s->mnemonic, names[m]);
            if (take)
                ck_assert_uint_eq(s->n, 0); /* taken: the result keeps the name only */
            else
                expect_samples(s, 11 - m, 4, 3 * 96);
        }
        edb_result_free(res);
        /* a callee that fails stops the fetch, with its message */
        sn.n = 0;
        sn.fail_at = 2;
        memset(sn.calls, 0, sizeof sn.calls);
        ck_assert_int_eq(edb_client_fetch(c, &q, &res), EDB_ERR_IO);
        ck_assert_ptr_null(res);
        ck_assert_msg(strstr(edb_client_errmsg(c), "the table could not take it") != NULL, "%s",
                      edb_client_errmsg(c));
        ck_assert_int_eq(sn.n, 3);
        edb_client_free(c);
        /* the stopped fetch's transfers are cut off, but a request already on its way may
         * reach the server after this: wait until every connection is closed, so that the
         * next count is the next fetch's alone (bounded: 10 s) */
        for (int w = 0; w < 1000 && edb_server_open_connections(srv) > 0; w++)
            usleep(10000);
        ck_assert_uint_eq(edb_server_open_connections(srv), 0);
    }
    teardown();
}
END_TEST

static Suite *fetch_suite(void)
{
    Suite *s = suite_create("fetch");
    TCase *t = tcase_create("fetch");
    tcase_set_timeout(t, 120);
    tcase_add_test(t, stitching_at_midnights);
    tcase_add_test(t, same_result_for_any_parallelism);
    tcase_add_test(t, connections_stay_within_the_bound);
    tcase_add_test(t, faults_are_recovered);
    tcase_add_test(t, failure_stops_or_keeps_going);
    tcase_add_test(t, cancel_stops_everything);
    tcase_add_test(t, each_mnemonic_handed_over_when_complete);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *r = srunner_create(fetch_suite());
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
