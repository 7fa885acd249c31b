/* test_shard.c: the shards of a plan (edb_plan_shard, edb_plan_shard_range): every request
 * in exactly one shard, each shard one run of consecutive requests, loads within 10% of
 * the mean by expected size (mnemonic x duration), small cases checked against shards
 * worked out by hand, a plan of 100 million requests cut without a per-request cost. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <edb/edb.h>

#include "plan_internal.h"
#include "testutil.h"

/* 2022-03-01T00:00:00Z and 2021-01-26T22:00:00.5Z (date -u -d ... +%s). */
#define D0 INT64_C(1646092800000000)
#define T_0126_22 INT64_C(1611698400500000)
#define DAY EDB_USEC_PER_DAY
#define HOUR (INT64_C(3600) * 1000000)

static edb_plan *mast_plan(size_t nm, edb_time a, edb_time b, int64_t chunk_us)
{
    char (*names)[16] = calloc(nm, sizeof *names);
    const char **v = calloc(nm, sizeof *v);
    ck_assert(names && v);
    for (size_t k = 0; k < nm; k++) {
        snprintf(names[k], sizeof names[k], "SA_ZTEST%zu", k);
        v[k] = names[k];
    }
    edb_client_options o = EDB_CLIENT_OPTIONS_INIT;
    o.base_url = "https://mast.stsci.edu";
    edb_client *c = NULL;
    ck_assert_int_eq(edb_client_new(&c, &o), EDB_OK);
    edb_query q = {.mnemonics = v, .n_mnemonics = nm, .start = a, .end = b, .chunk_us = chunk_us};
    edb_plan *p = NULL;
    ck_assert_msg(edb_client_plan(c, &q, &p) == EDB_OK, "%s", edb_client_errmsg(c));
    edb_client_free(c);
    free(names);
    free(v);
    return p;
}

/* A service with metadata (as path B and EDP): a plan with a metadata request first for
 * every mnemonic.  Its URLs are never asked for here. */
static edb_status no_url(const edb__svc_conf *c, const char *m, edb_time lo, edb_time hi,
                         edb__buf *out, edb_err *err)
{
    (void)c, (void)m, (void)lo, (void)hi, (void)out;
    return edb__fail(err, EDB_ERR_INTERNAL, "no URL");
}
static edb_status no_meta_url(const edb__svc_conf *c, const char *m, edb__buf *out, edb_err *err)
{
    (void)c, (void)m, (void)out;
    return edb__fail(err, EDB_ERR_INTERNAL, "no URL");
}
static const edb__service meta_svc = {.name = "withmeta", .label = "a service with metadata",
                                      .decoder = "mast-csv", .reply_ext = ".json",
                                      .data_url = no_url, .meta_url = no_meta_url};

static edb_plan *meta_plan(size_t nm, edb_time a, edb_time b, int64_t chunk_us)
{
    const char *names[] = {"SA_ZA", "SA_ZB", "SA_ZC", "SA_ZD", "SA_ZE", "SA_ZF", "SA_ZG",
                           "SA_ZH", "SA_ZI", "SA_ZJ", "SA_ZK", "SA_ZL"};
    ck_assert_uint_le(nm, sizeof names / sizeof names[0]);
    edb__svc_conf conf = {"https://example.org", NULL, NULL, NULL};
    edb_plan *p = NULL;
    edb_err err = EDB_ERR_INIT;
    ck_assert_msg(edb__plan_new(&p, &meta_svc, &conf, names, nm, a, b, 0, chunk_us, &err) ==
                  EDB_OK, "%s", err.msg);
    return p;
}

/* Every request in exactly one shard: the ranges of shards 0..n-1 follow each other
 * without gap or overlap from 0 to the count, and edb_plan_shard names the shard whose
 * range holds each request.  Loads are summed here from each request's own range (hi - lo
 * + 1; metadata 0), not from the code's arithmetic; each is returned in load[k]. */
static void check_partition(const edb_plan *p, size_t n, double *load)
{
    size_t count = edb_plan_count(p), next = 0;
    for (size_t k = 0; k < n; k++) {
        size_t first, end;
        edb_plan_shard_range(p, k, n, &first, &end);
        ck_assert_uint_eq(first, next);
        ck_assert_uint_le(first, end);
        load[k] = 0;
        for (size_t i = first; i < end; i++) {
            ck_assert_uint_eq(edb_plan_shard(p, i, n), k);
            edb_plan_request r;
            edb_plan_get(p, i, &r);
            if (r.kind == EDB_REQ_DATA)
                load[k] += (double)(r.hi - r.lo + 1);
        }
        next = end;
    }
    ck_assert_uint_eq(next, count);
    size_t first, end;
    edb_plan_shard_range(p, n, n, &first, &end); /* no such shard: empty */
    ck_assert_uint_eq(first, count);
    ck_assert_uint_eq(end, count);
}

/* The loads of n shards each within 10% of the mean, and within one request's size (the
 * largest) of it: the guarantee of cutting at the middles of requests. */
static void check_balance(const edb_plan *p, size_t n, double within)
{
    double *load = calloc(n, sizeof *load), total = 0, biggest = 0;
    check_partition(p, n, load);
    for (size_t i = 0; i < edb_plan_count(p); i++) {
        edb_plan_request r;
        edb_plan_get(p, i, &r);
        double w = r.kind == EDB_REQ_DATA ? (double)(r.hi - r.lo + 1) : 0;
        total += w;
        biggest = w > biggest ? w : biggest;
    }
    double mean = total / (double)n;
    for (size_t k = 0; k < n; k++) {
        ck_assert_msg(load[k] >= mean - biggest && load[k] <= mean + biggest,
                      "shard %zu of %zu: load %.0f, mean %.0f, largest request %.0f", k, n,
                      load[k], mean, biggest);
        if (within > 0)
            ck_assert_msg(load[k] >= mean * (1 - within) && load[k] <= mean * (1 + within),
                          "shard %zu of %zu: load %.0f is more than %.0f%% off the mean %.0f", k,
                          n, load[k], within * 100, mean);
    }
    free(load);
}

/* The benchmark: 29 mnemonics x 60 days, into 1 to 16 shards. */
START_TEST(twenty_nine_by_sixty)
{
    edb_plan *p = mast_plan(29, D0, D0 + 60 * DAY - 1, DAY);
    ck_assert_uint_eq(edb_plan_count(p), 29 * 60);
    for (size_t n = 1; n <= 16; n++)
        check_balance(p, n, 0.10);
    /* 1740 requests of one day each: 8 shards of 217 or 218 days. */
    size_t first, end;
    for (size_t k = 0; k < 8; k++) {
        edb_plan_shard_range(p, k, 8, &first, &end);
        ck_assert(end - first == 217 || end - first == 218);
    }
    edb_plan_free(p);
}
END_TEST

/* Partial first and last days, and more shards than mnemonics: a shard holds days of one
 * mnemonic, or the end of one and the start of the next. */
START_TEST(partial_days_and_many_shards)
{
    edb_plan *p = mast_plan(3, D0 + 13 * HOUR + 1, D0 + 90 * DAY + 7 * HOUR, DAY);
    ck_assert_uint_eq(edb_plan_count(p), 3 * 91);
    for (size_t n = 1; n <= 20; n++)
        check_balance(p, n, 0.10);
    check_balance(p, 100, 0); /* ~2.7 days a shard: only the one-request bound holds */
    edb_plan_free(p);
}
END_TEST

/* Worked out by hand.  2 mnemonics x 4 whole days, 3 shards: the line is 8 days, cut at
 * 8/3 and 16/3; the middles of the requests are at 0.5, 1.5, ... 7.5 days, so the shards
 * are 0 0 0 1 1 2 2 2 (2.5 < 2.67 < 3.5; 4.5 < 5.33 < 5.5). */
START_TEST(small_by_hand)
{
    edb_plan *p = mast_plan(2, D0, D0 + 4 * DAY - 1, DAY);
    const size_t want3[] = {0, 0, 0, 1, 1, 2, 2, 2}, want2[] = {0, 0, 0, 0, 1, 1, 1, 1};
    for (size_t i = 0; i < 8; i++) {
        ck_assert_uint_eq(edb_plan_shard(p, i, 3), want3[i]);
        ck_assert_uint_eq(edb_plan_shard(p, i, 2), want2[i]);
        ck_assert_uint_eq(edb_plan_shard(p, i, 1), 0);
        ck_assert_uint_eq(edb_plan_shard(p, i, 0), 0); /* 0 shards is one */
        ck_assert_uint_eq(edb_plan_shard(p, i, 8), i); /* one request each */
    }
    size_t first, end;
    edb_plan_shard_range(p, 1, 3, &first, &end);
    ck_assert_uint_eq(first, 3);
    ck_assert_uint_eq(end, 5);
    /* 9 shards of 8 requests: the middles 0.5..7.5 days times 9/8 are 0.56, 1.69, 2.81,
     * 3.94, 5.06, 6.19, 7.31, 8.44, so the shards are 0 1 2 3 5 6 7 8 and shard 4 is
     * empty. */
    const size_t want9[] = {0, 1, 2, 3, 5, 6, 7, 8};
    for (size_t i = 0; i < 8; i++)
        ck_assert_uint_eq(edb_plan_shard(p, i, 9), want9[i]);
    edb_plan_shard_range(p, 4, 9, &first, &end);
    ck_assert_uint_eq(first, 4);
    ck_assert_uint_eq(end, 4);
    double load[9];
    check_partition(p, 9, load);
    edb_plan_free(p);
}
END_TEST

/* One request per mnemonic (no chunks): 40 mnemonics into 4 shards of 10. */
START_TEST(whole_range_requests)
{
    edb_plan *p = mast_plan(40, D0, D0 + 17 * HOUR, 0);
    ck_assert_uint_eq(edb_plan_count(p), 40);
    for (size_t k = 0; k < 4; k++) {
        size_t first, end;
        edb_plan_shard_range(p, k, 4, &first, &end);
        ck_assert_uint_eq(first, 10 * k);
        ck_assert_uint_eq(end, 10 * k + 10);
    }
    check_balance(p, 4, 0.0001);
    edb_plan_free(p);
}
END_TEST

/* A service with metadata: each mnemonic's metadata request weighs nothing but belongs to
 * exactly one shard.  By hand, 2 mnemonics x 2 days (requests: meta, day 1, day 2 of the
 * first, then of the second; middles 0, 0.5, 1.5, 2, 2.5, 3.5 days on a line of 4): in 2
 * shards 0 0 0 1 1 1; in 4 shards (cuts at 1, 2, 3) 0 0 1 2 2 3: shard 1 is the second
 * day of the first mnemonic alone, without its metadata request. */
START_TEST(metadata_requests)
{
    edb_plan *p = meta_plan(2, D0, D0 + 2 * DAY - 1, DAY);
    ck_assert_uint_eq(edb_plan_count(p), 6);
    ck_assert_uint_eq(edb_plan_per_mnemonic(p), 3);
    const size_t want2[] = {0, 0, 0, 1, 1, 1}, want4[] = {0, 0, 1, 2, 2, 3};
    for (size_t i = 0; i < 6; i++) {
        ck_assert_uint_eq(edb_plan_shard(p, i, 2), want2[i]);
        ck_assert_uint_eq(edb_plan_shard(p, i, 4), want4[i]);
    }
    double load[4];
    check_partition(p, 4, load);
    ck_assert(load[0] == (double)DAY && load[1] == (double)DAY && load[2] == (double)DAY &&
              load[3] == (double)DAY);
    edb_plan_free(p);
    p = meta_plan(12, D0 + 5 * HOUR, D0 + 40 * DAY, DAY);
    for (size_t n = 1; n <= 24; n++)
        check_balance(p, n, 0.10);
    edb_plan_free(p);
}
END_TEST

/* The largest plan there may be (100 million requests: 1000 mnemonics x 100000 one-minute
 * chunks) is cut by bisection, without touching each request: the boundaries found are
 * where the shard number changes, and the shards add up to the plan. */
START_TEST(hundred_million_requests)
{
    int64_t min = INT64_C(60) * 1000000;
    edb_plan *p = mast_plan(1000, D0, D0 + 100000 * min - 1, min);
    ck_assert_uint_eq(edb_plan_count(p), 100000000);
    size_t n = 7, next = 0;
    for (size_t k = 0; k < n; k++) {
        size_t first, end;
        edb_plan_shard_range(p, k, n, &first, &end);
        ck_assert_uint_eq(first, next);
        ck_assert_uint_eq(edb_plan_shard(p, first, n), k);
        ck_assert_uint_eq(edb_plan_shard(p, end - 1, n), k);
        if (end < edb_plan_count(p))
            ck_assert_uint_eq(edb_plan_shard(p, end, n), k + 1);
        /* every request the same size: 100000000 / 7 = 14285714.3 each */
        ck_assert(end - first == 14285714 || end - first == 14285715);
        next = end;
    }
    ck_assert_uint_eq(next, 100000000);
    edb_plan_free(p);
}
END_TEST

static Suite *shard_suite(void)
{
    Suite *s = suite_create("shard");
    TCase *t = tcase_create("assignment");
    tcase_set_timeout(t, 120);
    tcase_add_test(t, twenty_nine_by_sixty);
    tcase_add_test(t, partial_days_and_many_shards);
    tcase_add_test(t, small_by_hand);
    tcase_add_test(t, whole_range_requests);
    tcase_add_test(t, metadata_requests);
    tcase_add_test(t, hundred_million_requests);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *r = srunner_create(shard_suite());
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
