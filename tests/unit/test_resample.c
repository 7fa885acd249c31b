/* test_resample.c: the resampling engine (edb/resample.h) against hand-computed values.
 *
 * Each case builds small series whose expected table is worked out by hand in the
 * comments (times are offsets in seconds from T0), plus the real 2021 recording, whose
 * per-minute mean of SA_ZATTEST1 is recomputed here from the JSON with a plain loop. */
#include <check.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <edb/edb.h>

#include "testutil.h"

#define S INT64_C(1000000)
/* 2024-01-01T00:00:00Z */
#define T0 INT64_C(1704067200000000)

static edb_series *mk(const char *name, edb_vtype vt)
{
    edb_series *s = NULL;
    ck_assert_int_eq(edb_series_new(&s, name), EDB_OK);
    ck_assert_int_eq(edb_series_set_type(s, vt), EDB_OK);
    return s;
}

static void pr(edb_series *s, int64_t sec, double v)
{
    ck_assert_int_eq(edb_series_push_real(s, T0 + sec * S, v), EDB_OK);
}

static void pi(edb_series *s, int64_t sec, int64_t v)
{
    ck_assert_int_eq(edb_series_push_int(s, T0 + sec * S, v), EDB_OK);
}

static void ps(edb_series *s, int64_t sec, const char *v)
{
    ck_assert_int_eq(edb_series_push_str(s, T0 + sec * S, v, strlen(v)), EDB_OK);
}

static edb_table *run1(edb_series *s, const edb_resample_spec *sp)
{
    const edb_series *list[1] = {s};
    edb_table *t = NULL;
    edb_err err = EDB_ERR_INIT;
    ck_assert_msg(edb_resample(list, 1, sp, &t, NULL, &err) == EDB_OK, "%s", err.msg);
    return t;
}

static edb_resample_spec every(int64_t start_s, int64_t end_s, int64_t step_s)
{
    edb_resample_spec sp = EDB_RESAMPLE_SPEC_INIT;
    sp.start = T0 + start_s * S;
    sp.end = T0 + end_s * S;
    sp.grid = EDB_GRID_EVERY;
    sp.every_us = step_s * S;
    return sp;
}

/* A column's row: NAN stands for "no value" in the expectations. */
#define NV NAN
static void expect_real(const edb_column *c, const double *want, size_t n)
{
    for (size_t r = 0; r < n; r++) {
        if (isnan(want[r]))
            ck_assert_msg(!c->valid[r], "%s row %zu: want no value, got %.17g", c->name, r,
                          c->valid[r] ? c->d[r] : 0.0);
        else {
            ck_assert_msg(c->valid[r], "%s row %zu: want %.17g, got no value", c->name, r, want[r]);
            ck_assert_msg(c->d[r] == want[r], "%s row %zu: want %.17g, got %.17g", c->name, r,
                          want[r], c->d[r]);
        }
    }
}

static void expect_str(const edb_column *c, const char *const *want, size_t n)
{
    for (size_t r = 0; r < n; r++) {
        if (!want[r]) {
            ck_assert_msg(!c->valid[r], "%s row %zu: want no value", c->name, r);
            continue;
        }
        ck_assert_msg(c->valid[r], "%s row %zu: want '%s', got no value", c->name, r, want[r]);
        size_t len;
        const char *v = edb_column_str(c, r, &len);
        ck_assert_msg(len == strlen(want[r]) && memcmp(v, want[r], len) == 0,
                      "%s row %zu: want '%s', got '%.*s'", c->name, r, want[r], (int)len, v);
    }
}

/* 0:1  10:3  20:NaN  30:7  40:5, grid every 5 s over [0, 50]. */
static edb_series *series_a(void)
{
    edb_series *s = mk("SA_ZTEST1", EDB_VT_REAL);
    pr(s, 0, 1);
    pr(s, 10, 3);
    pr(s, 20, NAN);
    pr(s, 30, 7);
    pr(s, 40, 5);
    return s;
}

START_TEST(test_grid_every)
{
    edb_series *s = series_a();
    edb_resample_spec sp = every(0, 50, 5);
    sp.method = EDB_METHOD_HOLD;
    edb_table *t = run1(s, &sp);
    ck_assert_uint_eq(t->nrows, 11); /* 0, 5, ..., 50: t_k <= END included */
    for (size_t r = 0; r < 11; r++)
        ck_assert_int_eq(t->t[r], T0 + (int64_t)r * 5 * S);
    ck_assert_int_eq(t->step_us, 5 * S);
    ck_assert_uint_eq(t->ncols, 1);
    ck_assert_str_eq(t->cols[0].name, "SA_ZTEST1");
    edb_table_free(t);
    /* END not on the grid: the last point is the last one <= END */
    sp = every(0, 49, 5);
    t = run1(s, &sp);
    ck_assert_uint_eq(t->nrows, 10);
    ck_assert_int_eq(t->t[9], T0 + 45 * S);
    edb_table_free(t);
    /* START == END: one point */
    sp = every(10, 10, 5);
    t = run1(s, &sp);
    ck_assert_uint_eq(t->nrows, 1);
    edb_table_free(t);
    edb_series_free(s);
}
END_TEST

START_TEST(test_hold)
{
    edb_series *s = series_a();
    edb_resample_spec sp = every(-10, 50, 5);
    sp.method = EDB_METHOD_HOLD;
    edb_table *t = run1(s, &sp);
    /* -10 and -5 are before the first sample: no value; 20 and 25 hold the NaN: no value */
    const double want[] = {NV, NV, 1, 1, 3, 3, NV, NV, 7, 7, 5, 5, 5};
    ck_assert_uint_eq(t->nrows, 13);
    ck_assert_int_eq(t->cols[0].vtype, EDB_VT_REAL);
    expect_real(&t->cols[0], want, 13);
    edb_table_free(t);
    edb_series_free(s);
}
END_TEST

START_TEST(test_linear)
{
    edb_series *s = series_a();
    edb_resample_spec sp = every(-10, 50, 5);
    sp.method = EDB_METHOD_LINEAR;
    edb_table *t = run1(s, &sp);
    /* 0: exact sample; 5: halfway 1..3 = 2; 15 and 25 lean on the NaN: none; 20 is the NaN
     * itself; 35: halfway 7..5 = 6; 45, 50: after the last sample, no extrapolation */
    const double want[] = {NV, NV, 1, 2, 3, NV, NV, NV, 7, 6, 5, NV, NV};
    expect_real(&t->cols[0], want, 13);
    edb_table_free(t);
    /* AUTO is linear for REAL */
    sp.method = EDB_METHOD_AUTO;
    t = run1(s, &sp);
    expect_real(&t->cols[0], want, 13);
    edb_table_free(t);
    edb_series_free(s);
    /* a quarter of the way: 0:0, 8:100 at t=2 -> 25 */
    s = mk("SA_ZTEST1", EDB_VT_REAL);
    pr(s, 0, 0);
    pr(s, 8, 100);
    sp = every(2, 2, 1);
    t = run1(s, &sp);
    const double w2[] = {25};
    expect_real(&t->cols[0], w2, 1);
    edb_table_free(t);
    edb_series_free(s);
}
END_TEST

START_TEST(test_nearest)
{
    edb_series *s = series_a();
    edb_resample_spec sp = every(-10, 50, 5);
    sp.method = EDB_METHOD_NEAREST;
    edb_table *t = run1(s, &sp);
    /* -10, -5: the first sample is the closest; 5, 15, 25, 35: ties go to the earlier
     * sample (25 -> the NaN at 20: no value); 45, 50: the last sample */
    const double want[] = {1, 1, 1, 1, 3, 3, NV, NV, 7, 7, 5, 5, 5};
    expect_real(&t->cols[0], want, 13);
    edb_table_free(t);
    /* not a tie: 6 is closer to 10 than to 0 */
    sp = every(6, 6, 1);
    sp.method = EDB_METHOD_NEAREST;
    t = run1(s, &sp);
    const double w6[] = {3};
    expect_real(&t->cols[0], w6, 1);
    edb_table_free(t);
    edb_series_free(s);
}
END_TEST

START_TEST(test_max_gap)
{
    edb_series *s = mk("SA_ZTEST1", EDB_VT_REAL);
    pr(s, 0, 0);
    pr(s, 100, 100);
    /* grid 0, 50, 100, 150 */
    edb_resample_spec sp = every(0, 150, 50);
    sp.max_gap_us = 60 * S;
    sp.method = EDB_METHOD_LINEAR;
    edb_table *t = run1(s, &sp);
    /* 0 and 100 are exact samples; 50 would use samples 100 s apart > 60 s */
    const double wl[] = {0, NV, 100, NV};
    expect_real(&t->cols[0], wl, 4);
    edb_table_free(t);
    sp.method = EDB_METHOD_HOLD;
    t = run1(s, &sp);
    /* hold: 50 holds a 50 s old sample (<= 60 s), 150 a 50 s old one */
    const double wh[] = {0, 0, 100, 100};
    expect_real(&t->cols[0], wh, 4);
    edb_table_free(t);
    sp.max_gap_us = 40 * S;
    t = run1(s, &sp);
    const double wh2[] = {0, NV, 100, NV};
    expect_real(&t->cols[0], wh2, 4);
    edb_table_free(t);
    sp.method = EDB_METHOD_NEAREST;
    t = run1(s, &sp);
    /* nearest: 50 is 50 s from both (> 40 s); 150 is 50 s from 100 */
    expect_real(&t->cols[0], wh2, 4);
    edb_table_free(t);
    /* exactly the limit is allowed: samples 100 s apart with a 100 s limit */
    sp.max_gap_us = 100 * S;
    sp.method = EDB_METHOD_LINEAR;
    t = run1(s, &sp);
    const double wl2[] = {0, 50, 100, NV};
    expect_real(&t->cols[0], wl2, 4);
    edb_table_free(t);
    edb_series_free(s);
}
END_TEST

START_TEST(test_bracket_month_before)
{
    /* A change-only mnemonic: the last change came 30 days before START (the bracket the
     * EDB sends), the next one hour after START. */
    edb_series *s = mk("SA_ZTEST1", EDB_VT_REAL);
    pr(s, -30 * 86400, 4);
    pr(s, 3600, 6);
    edb_resample_spec sp = every(0, 7200, 1800);
    sp.method = EDB_METHOD_HOLD;
    edb_table *t = run1(s, &sp);
    const double wh[] = {4, 4, 6, 6, 6};
    expect_real(&t->cols[0], wh, 5);
    edb_table_free(t);
    sp.method = EDB_METHOD_LINEAR;
    t = run1(s, &sp);
    /* at START: 4 + 2 * (30 d) / (30 d + 1 h) */
    double at0 = 4 + (2592000.0 / 2595600.0) * 2;
    double at30 = 4 + (2593800.0 / 2595600.0) * 2;
    const double wl[] = {at0, at30, 6, NV, NV};
    expect_real(&t->cols[0], wl, 5);
    edb_table_free(t);
    /* statistics: hourly bins [0, 1h) and [1h, 2h]; the bracket is never counted, but it
     * is the value carried into the first bin of a weighted mean */
    edb_stat st[] = {EDB_STAT_COUNT, EDB_STAT_MEAN, EDB_STAT_STD};
    sp = every(0, 7200, 3600);
    sp.stats = st;
    sp.n_stats = 3;
    t = run1(s, &sp);
    ck_assert_uint_eq(t->nrows, 2);
    ck_assert_int_eq(t->cols[0].i[0], 0);
    ck_assert_int_eq(t->cols[0].i[1], 1);
    const double wm[] = {NV, 6};
    expect_real(&t->cols[1], wm, 2);
    const double ws[] = {NV, NV};
    expect_real(&t->cols[2], ws, 2);
    edb_table_free(t);
    sp.weighted = 1;
    t = run1(s, &sp);
    const double wwm[] = {4, 6};
    expect_real(&t->cols[1], wwm, 2);
    const double wws[] = {0, 0};
    expect_real(&t->cols[2], wws, 2);
    edb_table_free(t);
    edb_series_free(s);
}
END_TEST

static edb_series *series_d(void)
{
    edb_series *s = mk("SA_ZTEST1", EDB_VT_REAL);
    pr(s, -1, 1000); /* bracket before START: never in a bin */
    pr(s, 1, 2);
    pr(s, 3, 4);
    pr(s, 5, NAN);
    pr(s, 7, 9);
    pr(s, 25, 8);
    pr(s, 30, 1);
    pr(s, 40, 3);    /* exactly END: in the last bin, which is closed */
    pr(s, 41, 1000); /* bracket after END */
    return s;
}

START_TEST(test_stats)
{
    edb_series *s = series_d();
    edb_stat st[] = {EDB_STAT_MEAN, EDB_STAT_MIN,   EDB_STAT_MAX,   EDB_STAT_MEDIAN,
                     EDB_STAT_STD,  EDB_STAT_COUNT, EDB_STAT_FIRST, EDB_STAT_LAST};
    edb_resample_spec sp = every(0, 40, 10);
    sp.stats = st;
    sp.n_stats = 8;
    edb_table *t = run1(s, &sp);
    /* bins [0,10) [10,20) [20,30) [30,40]: no bin starts at END */
    ck_assert_uint_eq(t->nrows, 4);
    ck_assert_int_eq(t->step_us, 10 * S);
    ck_assert_uint_eq(t->ncols, 8);
    const char *names[] = {"SA_ZTEST1_mean",   "SA_ZTEST1_min",   "SA_ZTEST1_max",
                           "SA_ZTEST1_median", "SA_ZTEST1_std",   "SA_ZTEST1_count",
                           "SA_ZTEST1_first",  "SA_ZTEST1_last"};
    for (int k = 0; k < 8; k++) {
        ck_assert_str_eq(t->cols[k].name, names[k]);
        ck_assert_str_eq(t->cols[k].mnemonic, "SA_ZTEST1");
        ck_assert_str_eq(t->cols[k].stat, names[k] + 10);
    }
    /* bin 0: 2, 4, (NaN skipped), 9: mean 5, deviations -3 -1 4, ss 26, std sqrt(26/2);
     * bin 1: empty; bin 2: 8 alone (no std); bin 3: 1, 3 (END included): std sqrt(2) */
    const double mean[] = {5, NV, 8, 2}, mn[] = {2, NV, 8, 1}, mx[] = {9, NV, 8, 3};
    const double med[] = {4, NV, 8, 2}, sd[] = {sqrt(13.0), NV, NV, sqrt(2.0)};
    const double first[] = {2, NV, 8, 1}, last[] = {9, NV, 8, 3};
    expect_real(&t->cols[0], mean, 4);
    expect_real(&t->cols[1], mn, 4);
    expect_real(&t->cols[2], mx, 4);
    expect_real(&t->cols[3], med, 4);
    expect_real(&t->cols[4], sd, 4);
    const int64_t cnt[] = {3, 0, 1, 2};
    for (int r = 0; r < 4; r++) {
        ck_assert(t->cols[5].valid[r]);
        ck_assert_int_eq(t->cols[5].i[r], cnt[r]);
    }
    expect_real(&t->cols[6], first, 4);
    expect_real(&t->cols[7], last, 4);
    edb_table_free(t);
    /* END not a multiple: [0,10) [10,20) [20,30) [30,35] */
    sp = every(0, 35, 10);
    sp.stats = st + 5;
    sp.n_stats = 1;
    t = run1(s, &sp);
    ck_assert_uint_eq(t->nrows, 4);
    ck_assert_int_eq(t->cols[0].i[3], 1);
    edb_table_free(t);
    edb_series_free(s);
}
END_TEST

START_TEST(test_stats_int)
{
    edb_series *s = mk("SA_ZTEST2", EDB_VT_INT);
    pi(s, 0, 4);
    pi(s, 1, 1);
    pi(s, 2, 2);
    pi(s, 3, 7);
    edb_stat st[] = {EDB_STAT_MIN, EDB_STAT_MAX, EDB_STAT_MEDIAN, EDB_STAT_MEAN, EDB_STAT_FIRST};
    edb_resample_spec sp = every(0, 3, 10);
    sp.stats = st;
    sp.n_stats = 5;
    edb_table *t = run1(s, &sp);
    ck_assert_uint_eq(t->nrows, 1);
    ck_assert_int_eq(t->cols[0].vtype, EDB_VT_INT);
    ck_assert_int_eq(t->cols[0].i[0], 1);
    ck_assert_int_eq(t->cols[1].i[0], 7);
    /* even count: the mean of the middle two, 2 and 4 */
    ck_assert_int_eq(t->cols[2].vtype, EDB_VT_REAL);
    ck_assert(t->cols[2].d[0] == 3.0);
    ck_assert(t->cols[3].d[0] == 3.5);
    ck_assert_int_eq(t->cols[4].vtype, EDB_VT_INT);
    ck_assert_int_eq(t->cols[4].i[0], 4);
    edb_table_free(t);
    /* hold keeps the integer type, linear makes it real */
    sp = every(0, 3, 1);
    t = run1(s, &sp);
    ck_assert_int_eq(t->cols[0].vtype, EDB_VT_INT);
    edb_table_free(t);
    sp.method = EDB_METHOD_LINEAR;
    t = run1(s, &sp);
    ck_assert_int_eq(t->cols[0].vtype, EDB_VT_REAL);
    edb_table_free(t);
    edb_series_free(s);
}
END_TEST

START_TEST(test_weighted)
{
    /* -5:0 (carried in), 2:10, 6:20 over one bin [0, 10]:
     * 0 for 2 s, 10 for 4 s, 20 for 4 s: mean (0 + 40 + 80) / 10 = 12;
     * std (ddof 0) sqrt((2*144 + 4*4 + 4*64) / 10) = sqrt(56) */
    edb_series *s = mk("SA_ZTEST1", EDB_VT_REAL);
    pr(s, -5, 0);
    pr(s, 2, 10);
    pr(s, 6, 20);
    edb_stat st[] = {EDB_STAT_MEAN, EDB_STAT_STD, EDB_STAT_COUNT};
    edb_resample_spec sp = every(0, 10, 10);
    sp.stats = st;
    sp.n_stats = 3;
    sp.weighted = 1;
    edb_table *t = run1(s, &sp);
    ck_assert_uint_eq(t->nrows, 1);
    const double wm[] = {12}, ws[] = {sqrt(56.0)};
    expect_real(&t->cols[0], wm, 1);
    expect_real(&t->cols[1], ws, 1);
    ck_assert_int_eq(t->cols[2].i[0], 2);
    edb_table_free(t);
    /* unweighted: the samples in the bin only */
    sp.weighted = 0;
    t = run1(s, &sp);
    const double um[] = {15}, us[] = {sqrt(50.0)};
    expect_real(&t->cols[0], um, 1);
    expect_real(&t->cols[1], us, 1);
    edb_table_free(t);
    /* two bins [0,5) [5,10]: 0 for 2 s and 10 for 3 s -> 6; 10 for 1 s, 20 for 4 s -> 18 */
    sp = every(0, 10, 5);
    sp.stats = st;
    sp.n_stats = 1;
    sp.weighted = 1;
    t = run1(s, &sp);
    const double w2[] = {6, 18};
    expect_real(&t->cols[0], w2, 2);
    edb_table_free(t);
    /* a NaN value's time does not count: 0 for 2 s, NaN for 4 s, 20 for 4 s -> 80/6 */
    edb_series_free(s);
    s = mk("SA_ZTEST1", EDB_VT_REAL);
    pr(s, -5, 0);
    pr(s, 2, NAN);
    pr(s, 6, 20);
    sp = every(0, 10, 10);
    sp.stats = st;
    sp.n_stats = 1;
    sp.weighted = 1;
    t = run1(s, &sp);
    const double w3[] = {80.0 / 6.0};
    expect_real(&t->cols[0], w3, 1);
    edb_table_free(t);
    edb_series_free(s);
}
END_TEST

START_TEST(test_clip)
{
    /* 1 2 3 4 100, sigma 2.  Round 1: median 3, std (ddof 0) sqrt(1522) = 39.01, bounds
     * [-75.0, 81.0]: 100 goes.  Round 2: median 2.5, std sqrt(1.25) = 1.118, bounds
     * [0.264, 4.736]: nothing goes, converged.  Kept: 1 2 3 4. */
    edb_series *s = mk("SA_ZTEST1", EDB_VT_REAL);
    const double v[] = {1, 2, 3, 4, 100};
    for (int k = 0; k < 5; k++)
        pr(s, k, v[k]);
    edb_stat st[] = {EDB_STAT_MEAN, EDB_STAT_COUNT, EDB_STAT_MAX, EDB_STAT_LAST};
    edb_resample_spec sp = every(0, 9, 10);
    sp.stats = st;
    sp.n_stats = 4;
    sp.clip_sigma = 2;
    edb_table *t = run1(s, &sp);
    const double m[] = {2.5}, mx[] = {4}, last[] = {4};
    expect_real(&t->cols[0], m, 1);
    ck_assert_int_eq(t->cols[1].i[0], 4);
    expect_real(&t->cols[2], mx, 1);
    expect_real(&t->cols[3], last, 1);
    edb_table_free(t);
    /* sigma 3 keeps 100 in round 1 (|100 - 3| = 97 <= 3 * 39.01 = 117): mean 22 */
    sp.clip_sigma = 3;
    t = run1(s, &sp);
    const double m3[] = {22};
    expect_real(&t->cols[0], m3, 1);
    ck_assert_int_eq(t->cols[1].i[0], 5);
    edb_table_free(t);
    edb_series_free(s);
    /* all equal: std 0, nothing clipped (|x - median| = 0 is not > 0) */
    s = mk("SA_ZTEST1", EDB_VT_REAL);
    for (int k = 0; k < 4; k++)
        pr(s, k, 7);
    sp.clip_sigma = 1;
    t = run1(s, &sp);
    ck_assert_int_eq(t->cols[1].i[0], 4);
    edb_table_free(t);
    edb_series_free(s);
}
END_TEST

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

START_TEST(test_median_random)
{
    /* Selection against a full sort, on bins of every size from 1 to 200 with repeats. */
    srand(7);
    for (int m = 1; m <= 200; m++) {
        edb_series *s = mk("SA_ZTEST1", EDB_VT_REAL);
        double *ref = malloc((size_t)m * sizeof *ref);
        for (int k = 0; k < m; k++) {
            ref[k] = (double)(rand() % (m / 3 + 2));
            ck_assert_int_eq(edb_series_push_real(s, T0 + k, ref[k]), EDB_OK);
        }
        qsort(ref, (size_t)m, sizeof *ref, cmp_d);
        double want = m % 2 ? ref[m / 2] : (ref[m / 2 - 1] + ref[m / 2]) / 2;
        edb_stat st[] = {EDB_STAT_MEDIAN};
        edb_resample_spec sp = every(0, 1, 10);
        sp.end = T0 + m;
        sp.stats = st;
        sp.n_stats = 1;
        edb_table *t = run1(s, &sp);
        ck_assert_msg(t->cols[0].d[0] == want, "m=%d want %g got %g", m, want, t->cols[0].d[0]);
        edb_table_free(t);
        edb_series_free(s);
        free(ref);
    }
}
END_TEST

static edb_series *series_str(void)
{
    edb_series *s = mk("SA_ZSTATE", EDB_VT_STRING);
    ps(s, 0, "OFF");
    ps(s, 10, "ON");
    ps(s, 20, "ON");
    ps(s, 30, "OFF");
    return s;
}

START_TEST(test_strings)
{
    edb_series *s = series_str();
    edb_resample_spec sp = every(0, 30, 5);
    edb_table *t = run1(s, &sp); /* AUTO is hold for strings */
    ck_assert_int_eq(t->cols[0].vtype, EDB_VT_STRING);
    const char *wh[] = {"OFF", "OFF", "ON", "ON", "ON", "ON", "OFF"};
    expect_str(&t->cols[0], wh, 7);
    edb_table_free(t);
    sp.method = EDB_METHOD_LINEAR; /* cannot interpolate a state: holds */
    t = run1(s, &sp);
    expect_str(&t->cols[0], wh, 7);
    edb_table_free(t);
    sp = every(-5, 35, 5);
    sp.method = EDB_METHOD_NEAREST;
    t = run1(s, &sp);
    /* -5: first; 5 tie -> OFF; 15 tie -> ON (10); 25 tie -> ON (20); 35 -> OFF */
    const char *wn[] = {"OFF", "OFF", "OFF", "ON", "ON", "ON", "ON", "OFF", "OFF"};
    expect_str(&t->cols[0], wn, 9);
    edb_table_free(t);
    edb_stat st[] = {EDB_STAT_FIRST, EDB_STAT_LAST, EDB_STAT_COUNT};
    sp = every(0, 30, 10);
    sp.stats = st;
    sp.n_stats = 3;
    sp.clip_sigma = 2; /* no effect on strings */
    t = run1(s, &sp);
    const char *wf[] = {"OFF", "ON", "ON"}, *wl[] = {"OFF", "ON", "OFF"};
    expect_str(&t->cols[0], wf, 3);
    expect_str(&t->cols[1], wl, 3);
    ck_assert_int_eq(t->cols[2].i[2], 2);
    edb_table_free(t);
    /* a numeric statistic of a string mnemonic is left out of its columns; asked alone,
     * it is a usage error naming the mnemonic and the statistic */
    const edb_stat bad[] = {EDB_STAT_MEAN, EDB_STAT_MIN, EDB_STAT_MAX, EDB_STAT_MEDIAN,
                            EDB_STAT_STD};
    for (int k = 0; k < 5; k++) {
        sp = every(0, 30, 10);
        edb_stat two[] = {EDB_STAT_COUNT, bad[k]};
        sp.stats = two;
        sp.n_stats = 2;
        t = run1(s, &sp);
        ck_assert_uint_eq(t->ncols, 1);
        ck_assert_str_eq(t->cols[0].name, "SA_ZSTATE_count");
        edb_table_free(t);
        sp.stats = two + 1;
        sp.n_stats = 1;
        const edb_series *list[1] = {s};
        edb_err err = EDB_ERR_INIT;
        t = NULL;
        ck_assert_int_eq(edb_resample(list, 1, &sp, &t, NULL, &err), EDB_ERR_USAGE);
        ck_assert_ptr_null(t);
        ck_assert_msg(strstr(err.msg, "SA_ZSTATE is a string mnemonic") &&
                          strstr(err.msg, edb_stat_name(bad[k])) &&
                          strstr(err.msg, "strings take count, first, last and mode"),
                      "%s", err.msg);
    }
    edb_series_free(s);
}
END_TEST

START_TEST(test_changes)
{
    edb_series *s = mk("SA_ZTEST1", EDB_VT_REAL);
    const double v[] = {5, 1, 1, 1, 2, 2, NAN, NAN, 1, 9};
    for (int k = 0; k < 10; k++)
        pr(s, k - 1, v[k]); /* first at -1 (a bracket), last at 8 (after END = 7) */
    edb_resample_spec sp = EDB_RESAMPLE_SPEC_INIT;
    sp.start = T0;
    sp.end = T0 + 7 * S;
    sp.changes = 1;
    const edb_series *list[1] = {s};
    edb_series **out = NULL;
    size_t nout = 0;
    edb_err err = EDB_ERR_INIT;
    ck_assert_msg(edb_filter(list, 1, &sp, &out, &nout, NULL, &err) == EDB_OK, "%s", err.msg);
    ck_assert_uint_eq(nout, 1);
    /* in range: 1 1 1 2 2 NaN NaN 1 -> the first, then each change: 1 2 NaN 1 */
    ck_assert_uint_eq(out[0]->n, 4);
    ck_assert(out[0]->d[0] == 1 && out[0]->t[0] == T0);
    ck_assert(out[0]->d[1] == 2 && out[0]->t[1] == T0 + 3 * S);
    ck_assert(isnan(out[0]->d[2]) && out[0]->t[2] == T0 + 5 * S);
    ck_assert(out[0]->d[3] == 1 && out[0]->t[3] == T0 + 7 * S);
    edb_series_list_free(out, nout);
    /* with the brackets: 5 first, then 1 at 0 is a change ... and 9 at 8 */
    sp.keep_brackets = 1;
    ck_assert_int_eq(edb_filter(list, 1, &sp, &out, &nout, NULL, &err), EDB_OK);
    ck_assert_uint_eq(out[0]->n, 6);
    ck_assert(out[0]->d[0] == 5 && out[0]->d[5] == 9);
    edb_series_list_free(out, nout);
    edb_series_free(s);
    /* strings */
    s = series_str();
    list[0] = s;
    sp.keep_brackets = 0;
    sp.end = T0 + 30 * S;
    ck_assert_int_eq(edb_filter(list, 1, &sp, &out, &nout, NULL, &err), EDB_OK);
    ck_assert_uint_eq(out[0]->n, 3); /* OFF ON OFF */
    size_t len;
    ck_assert_int_eq(memcmp(edb_series_str(out[0], 1, &len), "ON", 2), 0);
    ck_assert_int_eq(out[0]->t[2], T0 + 30 * S);
    edb_series_list_free(out, nout);
    edb_series_free(s);
}
END_TEST

START_TEST(test_where_parse)
{
    /* Each syntax error names the token, its 1-based column and what was expected there. */
    static const struct {
        const char *expr, *want;
    } bad[] = {
        {"SA_ZATTEST1 >> 3", "'SA_ZATTEST1 >> 3': unexpected '>>' at column 13 (expected one "
                             "of > < >= <= == !=)"},
        {"SA_ZATTEST1 => 3", "unexpected '=>' at column 13"},
        {"SA_ZATTEST1 3", "unexpected '3' at column 13 (expected one of > < >= <= == != or an "
                          "arithmetic operator)"},
        {"SA_ZATTEST1 >", "unexpected end of expression (expected a number, a quoted string, a "
                          "name or '(')"},
        {"SA_ZATTEST1 > 3 4", "unexpected '4' at column 17 (expected and, or or the end of the "
                              "condition)"},
        {"SA_ZATTEST1 == 'ON", "the string at column 16 has no closing '"},
        {"> 3", "unexpected '>' at column 1"},
        {"", "unexpected end of expression"},
        {"SA_ZATTEST1", "unexpected end of expression (expected one of > < >= <= == !=)"},
        {"SA_ZATTEST1 > 3 AND", "unexpected end of expression (expected a number"},
        {"(SA_ZATTEST1 > 3", "unexpected end of expression (expected and, or or ')')"},
        {"SA_ZATTEST1 > 3)", "unexpected ')' at column 16"},
        {"A > 1 && B < 2", "unexpected '&&' at column 7 (write and, or instead of && and ||)"},
        {"1ABC > 2", "unexpected '1ABC' at column 1 (expected a number such as 4.5"},
        {"A < B < C", "unexpected '<' at column 7"},
        {"A > 1 and 3", "'3' at column 11 is not a condition"},
        {"not A", "'A' at column 5 is not a condition"},
        {"A > 'x'", "unexpected '>' at column 3 (strings compare with == and != only)"},
        {"'x' == 3", "unexpected '==' at column 5 (a string compares with a string"},
        {"A + (B > 1) > 2", "'B > 1' at column 6 is a condition: '+' needs numbers"},
        {"abs A > 1", "unexpected 'A' at column 5 (expected '(' after abs: abs(X))"},
        {"and > 1", "and, or, not and abs are keywords"},
        {"A % 2 > 1", "unexpected '%' at column 3"},
        {"SA/ZATTEST1 == 'x'", "unexpected '==' at column 13 (a string compares with a string"},
        {"A / 'x' > 1", "''x'' at column 5 is a string: '/' needs numbers"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        edb_expr *w = NULL;
        edb_err err = EDB_ERR_INIT;
        ck_assert_msg(edb_expr_parse(&w, bad[k].expr, EDB_EXPR_CONDITION, &err) ==
                          EDB_ERR_USAGE, "'%s' parsed", bad[k].expr);
        ck_assert_ptr_null(w);
        ck_assert_msg(strstr(err.msg, bad[k].want), "'%s': got '%s'", bad[k].expr, err.msg);
    }
    /* Nesting deeper than 100 levels is refused, not a stack overflow. */
    char deep[512];
    memset(deep, '(', 101);
    snprintf(deep + 101, sizeof deep - 101, "A > 1");
    edb_expr *w = NULL;
    edb_err derr = EDB_ERR_INIT;
    ck_assert_int_eq(edb_expr_parse(&w, deep, EDB_EXPR_CONDITION, &derr), EDB_ERR_USAGE);
    ck_assert_msg(strstr(derr.msg, "nested more than 100 levels deep"), "%s", derr.msg);
    const char *good[] = {"SA_ZATTEST1 > 0.5", "sa_zattest1>=-1e3", "  SA_ZATTEST1<3  ",
                          "SA_ZATTEST1 <= 3", "SA_ZATTEST1 == 3", "SA_ZATTEST1 != 3",
                          "SA_ZATTEST1 = 3", "SA_ZSTATE == 'ON'", "SA_ZSTATE != \"A B\"",
                          "SA_ZATTEST1 > 3 AND SA_ZATTEST2 > 1", "SA_ZA > abc",
                          "SA_Z1 / ZATTEST1 > 3", "not (SA_ZX > 1 or SA_ZY < 2) and SA_ZS == 'x'"};
    for (size_t k = 0; k < sizeof good / sizeof good[0]; k++) {
        edb_err err = EDB_ERR_INIT;
        w = NULL;
        ck_assert_msg(edb_expr_parse(&w, good[k], EDB_EXPR_CONDITION, &err) == EDB_OK, "%s: %s",
                      good[k], err.msg);
        ck_assert_str_eq(edb_expr_text(w), good[k]);
        ck_assert(strncmp(edb_expr_ref(w, 0), "SA_Z", 4) == 0);
        edb_expr_free(w);
    }
}
END_TEST

static edb_expr *wp(const char *e)
{
    edb_expr *w = NULL;
    edb_err err = EDB_ERR_INIT;
    ck_assert_msg(edb_expr_parse(&w, e, EDB_EXPR_CONDITION, &err) == EDB_OK, "%s", err.msg);
    return w;
}

START_TEST(test_where)
{
    edb_series *x = mk("SA_ZTEST1", EDB_VT_REAL); /* 0..40 every 10 s: 0 1 2 3 4 */
    for (int k = 0; k < 5; k++)
        pr(x, k * 10, k);
    edb_series *st = series_str(); /* OFF 0, ON 10, ON 20, OFF 30 */
    edb_series *c = mk("SA_ZCOND", EDB_VT_REAL);
    pr(c, -86400, 1); /* bracket a day before START: > 0.5 holds from the start */
    pr(c, 25, 0);
    pr(c, 35, 2);
    const edb_series *list[3] = {x, st, c};
    const char *cols[1] = {"SA_ZTEST1"};
    edb_resample_spec sp = EDB_RESAMPLE_SPEC_INIT;
    sp.start = T0;
    sp.end = T0 + 40 * S;
    sp.columns = cols;
    sp.n_columns = 1;
    edb_expr *w1 = wp("SA_ZSTATE == 'ON'");
    const edb_expr *ws[2] = {w1, NULL};
    sp.where = ws;
    sp.n_where = 1;
    edb_series **out = NULL;
    size_t nout = 0;
    edb_resample_info info;
    edb_err err = EDB_ERR_INIT;
    ck_assert_msg(edb_filter(list, 3, &sp, &out, &nout, &info, &err) == EDB_OK, "%s", err.msg);
    /* ON in [10, 30): samples at 10 and 20 */
    ck_assert_uint_eq(nout, 1);
    ck_assert_uint_eq(out[0]->n, 2);
    ck_assert(out[0]->d[0] == 1 && out[0]->d[1] == 2);
    ck_assert_uint_eq(info.where_tested, 5);
    ck_assert_uint_eq(info.where_kept, 2);
    edb_series_list_free(out, nout);
    /* AND with SA_ZCOND > 0.5 (true before 25 and from 35): only 10 and 20 still */
    edb_expr *w2 = wp("SA_ZCOND > 0.5");
    ws[1] = w2;
    sp.n_where = 2;
    ck_assert_int_eq(edb_filter(list, 3, &sp, &out, &nout, &info, &err), EDB_OK);
    ck_assert_uint_eq(out[0]->n, 2);
    edb_series_list_free(out, nout);
    /* SA_ZCOND alone: 0, 10, 20 (the bracket makes it true at 0) and 40 */
    ws[0] = w2;
    sp.n_where = 1;
    ck_assert_int_eq(edb_filter(list, 3, &sp, &out, &nout, &info, &err), EDB_OK);
    ck_assert_uint_eq(out[0]->n, 4);
    ck_assert(out[0]->d[3] == 4);
    edb_series_list_free(out, nout);
    /* on a grid: points at 0, 5, ..., 40 where SA_ZSTATE == 'ON' -> 10, 15, 20, 25 */
    ws[0] = w1;
    sp.grid = EDB_GRID_EVERY;
    sp.every_us = 5 * S;
    sp.method = EDB_METHOD_LINEAR;
    edb_table *t = NULL;
    ck_assert_int_eq(edb_resample(list, 3, &sp, &t, &info, &err), EDB_OK);
    ck_assert_uint_eq(t->nrows, 4);
    ck_assert_int_eq(t->t[0], T0 + 10 * S);
    ck_assert_int_eq(t->t[3], T0 + 25 * S);
    ck_assert_int_eq(t->step_us, 0); /* no longer a regular grid */
    const double wv[] = {1, 1.5, 2, 2.5};
    expect_real(&t->cols[0], wv, 4);
    ck_assert_uint_eq(info.where_tested, 9);
    ck_assert_uint_eq(info.where_kept, 4);
    edb_table_free(t);
    /* statistics: the condition picks samples: [0,20) -> 1 (10 only); [20,40] -> 2 (20) */
    edb_stat stt[] = {EDB_STAT_MEAN, EDB_STAT_COUNT};
    sp.every_us = 20 * S;
    sp.stats = stt;
    sp.n_stats = 2;
    ck_assert_int_eq(edb_resample(list, 3, &sp, &t, &info, &err), EDB_OK);
    ck_assert_uint_eq(t->nrows, 2);
    const double wm[] = {1, 2};
    expect_real(&t->cols[0], wm, 2);
    edb_table_free(t);
    /* weighted with a condition: x holds 1 over [10,20), 2 over [20,30) where ON:
     * bin [0,20): 1 for 10 s -> 1; bin [20,40]: 2 for 10 s -> 2 */
    sp.weighted = 1;
    ck_assert_int_eq(edb_resample(list, 3, &sp, &t, &info, &err), EDB_OK);
    expect_real(&t->cols[0], wm, 2);
    edb_table_free(t);
    edb_expr_free(w1);
    edb_expr_free(w2);
    edb_series_free(x);
    edb_series_free(st);
    edb_series_free(c);
}
END_TEST

START_TEST(test_where_never)
{
    edb_series *x = series_a();
    edb_series *st = series_str();
    const edb_series *list[2] = {x, st};
    const char *cols[1] = {"SA_ZTEST1"};
    edb_expr *w = wp("SA_ZSTATE == 'STANDBY'");
    const edb_expr *ws[1] = {w};
    edb_resample_spec sp = every(0, 40, 10);
    sp.columns = cols;
    sp.n_columns = 1;
    sp.where = ws;
    sp.n_where = 1;
    edb_table *t = NULL;
    edb_resample_info info;
    edb_err err = EDB_ERR_INIT;
    ck_assert_int_eq(edb_resample(list, 2, &sp, &t, &info, &err), EDB_OK);
    ck_assert_uint_eq(t->nrows, 0);
    ck_assert_uint_eq(t->ncols, 1);
    ck_assert_uint_eq(info.where_tested, 5);
    ck_assert_uint_eq(info.where_kept, 0);
    edb_table_free(t);
    sp.grid = EDB_GRID_NONE;
    edb_series **out = NULL;
    size_t nout = 0;
    ck_assert_int_eq(edb_filter(list, 2, &sp, &out, &nout, &info, &err), EDB_OK);
    ck_assert_uint_eq(out[0]->n, 0);
    ck_assert_uint_eq(info.where_kept, 0);
    edb_series_list_free(out, nout);
    edb_expr_free(w);
    /* type mismatches are usage errors naming the mnemonic */
    const char *badc[] = {"SA_ZSTATE > 1", "SA_ZSTATE == 3", "SA_ZTEST1 == 'ON'",
                          "SA_ZOTHER > 1", "SA_ZSTATE < SA_ZSTATE", "SA_ZSTATE * 2 > 1"};
    for (int k = 0; k < 6; k++) {
        w = wp(badc[k]);
        ws[0] = w;
        edb_err e2 = EDB_ERR_INIT;
        t = NULL;
        ck_assert_int_eq(edb_resample(list, 2, &sp, &t, &info, &e2), EDB_ERR_USAGE);
        ck_assert_msg(strstr(e2.msg, edb_expr_ref(w, 0)), "%s", e2.msg);
        edb_expr_free(w);
    }
    edb_series_free(x);
    edb_series_free(st);
}
END_TEST

START_TEST(test_align)
{
    edb_series *p = mk("SA_ZTESTP", EDB_VT_REAL);
    pr(p, -50, 0); /* bracket */
    pr(p, 0, 1);
    pr(p, 10, 2);
    pr(p, 20, 3);
    edb_series *q = mk("SA_ZTESTQ", EDB_VT_INT);
    pi(q, 5, 7);
    pi(q, 10, 8);
    pi(q, 25, 9);
    pi(q, 35, 10); /* bracket */
    const edb_series *list[2] = {p, q};
    edb_resample_spec sp = EDB_RESAMPLE_SPEC_INIT;
    sp.start = T0;
    sp.end = T0 + 30 * S;
    sp.grid = EDB_GRID_UNION;
    sp.align = 1;
    edb_table *t = NULL;
    edb_err err = EDB_ERR_INIT;
    ck_assert_int_eq(edb_resample(list, 2, &sp, &t, NULL, &err), EDB_OK);
    /* union in [0, 30]: 0 5 10 20 25, each once; hold for both */
    ck_assert_uint_eq(t->nrows, 5);
    const int64_t tt[] = {0, 5, 10, 20, 25};
    for (int r = 0; r < 5; r++)
        ck_assert_int_eq(t->t[r], T0 + tt[r] * S);
    const double wp_[] = {1, 1, 2, 3, 3};
    expect_real(&t->cols[0], wp_, 5);
    ck_assert_int_eq(t->cols[1].vtype, EDB_VT_INT);
    ck_assert(!t->cols[1].valid[0]);
    const int64_t wq[] = {0, 7, 8, 8, 9};
    for (int r = 1; r < 5; r++)
        ck_assert_int_eq(t->cols[1].i[r], wq[r]);
    ck_assert_int_eq(t->step_us, 0);
    edb_table_free(t);
    /* --align SA_ZTESTQ: Q's times in range, P held */
    sp.grid = EDB_GRID_ON;
    sp.on = "SA_ZTESTQ";
    ck_assert_int_eq(edb_resample(list, 2, &sp, &t, NULL, &err), EDB_OK);
    ck_assert_uint_eq(t->nrows, 3);
    const double wp2[] = {1, 2, 3};
    expect_real(&t->cols[0], wp2, 3);
    edb_table_free(t);
    /* --on SA_ZTESTQ (a grid, not alignment): P is linear by default: 5 -> 1.5, 25 -> NaN
     * (no sample after 20 in P) */
    sp.align = 0;
    ck_assert_int_eq(edb_resample(list, 2, &sp, &t, NULL, &err), EDB_OK);
    const double wp3[] = {1.5, 2, NV};
    expect_real(&t->cols[0], wp3, 3);
    edb_table_free(t);
    edb_series_free(p);
    edb_series_free(q);
}
END_TEST

START_TEST(test_times)
{
    edb_series *s = series_a();
    const edb_time at[] = {T0 + 35 * S, T0 + 5 * S, T0 + 10 * S};
    edb_resample_spec sp = EDB_RESAMPLE_SPEC_INIT;
    sp.start = T0;
    sp.end = T0 + 50 * S;
    sp.grid = EDB_GRID_TIMES;
    sp.times = at;
    sp.n_times = 3;
    edb_table *t = run1(s, &sp);
    ck_assert_uint_eq(t->nrows, 3);
    ck_assert_int_eq(t->t[0], T0 + 5 * S); /* sorted */
    const double w[] = {2, 3, 6};
    expect_real(&t->cols[0], w, 3);
    edb_table_free(t);
    /* statistics on an irregular grid: [5,10) [10,35) [35,50] */
    edb_stat st[] = {EDB_STAT_COUNT};
    sp.stats = st;
    sp.n_stats = 1;
    t = run1(s, &sp);
    ck_assert_int_eq(t->cols[0].i[0], 0);
    ck_assert_int_eq(t->cols[0].i[1], 2); /* 10 and 30; the NaN at 20 is not counted */
    ck_assert_int_eq(t->cols[0].i[2], 1);
    edb_table_free(t);
    /* a time outside the range */
    sp.end = T0 + 20 * S;
    const edb_series *list[1] = {s};
    edb_err err = EDB_ERR_INIT;
    ck_assert_int_eq(edb_resample(list, 1, &sp, &t, NULL, &err), EDB_ERR_USAGE);
    ck_assert_msg(strstr(err.msg, "outside"), "%s", err.msg);
    edb_series_free(s);
}
END_TEST

START_TEST(test_leap_day_daily)
{
    /* Samples every 6 h from 2024-02-28T00:00Z (k = 0..11, value k); range
     * 2024-02-28T12:00 .. 2024-03-01T12:00; daily bins start at UTC midnight (the first
     * one floored), and only samples inside the range count: 02-28 has k=2,3; 02-29 (the
     * leap day, 24 h like any UTC day) k=4..7; 03-01 k=8,9,10 (12:00 is END, included). */
    const int64_t feb28 = INT64_C(1709078400) * S; /* date -u -d 2024-02-28 +%s */
    edb_series *s = mk("SA_ZTEST1", EDB_VT_REAL);
    for (int k = 0; k < 12; k++)
        ck_assert_int_eq(edb_series_push_real(s, feb28 + k * 6 * 3600 * S, k), EDB_OK);
    edb_stat st[] = {EDB_STAT_MEAN, EDB_STAT_COUNT};
    edb_resample_spec sp = EDB_RESAMPLE_SPEC_INIT;
    sp.start = feb28 + 12 * 3600 * S;
    sp.end = feb28 + (2 * 24 + 12) * 3600 * S;
    sp.grid = EDB_GRID_EVERY;
    sp.every_us = 86400 * S;
    sp.align_us = 86400 * S;
    sp.stats = st;
    sp.n_stats = 2;
    edb_table *t = run1(s, &sp);
    ck_assert_uint_eq(t->nrows, 3);
    ck_assert_int_eq(t->t[0], feb28);
    ck_assert_int_eq(t->t[1], INT64_C(1709164800) * S); /* 2024-02-29 */
    ck_assert_int_eq(t->t[2], INT64_C(1709251200) * S); /* 2024-03-01 */
    ck_assert_int_eq(t->step_us, 86400 * S);
    const double wm[] = {2.5, 5.5, 9};
    expect_real(&t->cols[0], wm, 3);
    const int64_t wc[] = {2, 4, 3};
    for (int r = 0; r < 3; r++)
        ck_assert_int_eq(t->cols[1].i[r], wc[r]);
    edb_table_free(t);
    edb_series_free(s);
}
END_TEST

START_TEST(test_errors)
{
    edb_series *s = series_a();
    const edb_series *list[1] = {s};
    edb_table *t = NULL;
    edb_err err = EDB_ERR_INIT;
    edb_resample_spec sp = every(0, 86400 * 365, 0);
    ck_assert_int_eq(edb_resample(list, 1, &sp, &t, NULL, &err), EDB_ERR_USAGE);
    edb_err_clear(&err);
    sp.every_us = 1; /* 3e13 rows */
    ck_assert_int_eq(edb_resample(list, 1, &sp, &t, NULL, &err), EDB_ERR_USAGE);
    ck_assert_msg(strstr(err.msg, "rows"), "%s", err.msg);
    edb_err_clear(&err);
    sp = every(0, 10, 1);
    const char *cols[1] = {"SA_ZNOPE"};
    sp.columns = cols;
    sp.n_columns = 1;
    ck_assert_int_eq(edb_resample(list, 1, &sp, &t, NULL, &err), EDB_ERR_USAGE);
    edb_err_clear(&err);
    sp = every(0, 10, 1);
    edb_stat st[] = {EDB_STAT_MEAN};
    sp.stats = st;
    sp.n_stats = 1;
    sp.weighted = 1;
    sp.clip_sigma = 3;
    ck_assert_int_eq(edb_resample(list, 1, &sp, &t, NULL, &err), EDB_ERR_USAGE);
    ck_assert_ptr_null(t);
    edb_err_clear(&err);
    edb_stat parsed[EDB_STAT_N];
    size_t np;
    ck_assert_int_eq(edb_stats_parse("mean,std,count", parsed, &np, &err), EDB_OK);
    ck_assert_uint_eq(np, 3);
    ck_assert_int_eq(parsed[1], EDB_STAT_STD);
    ck_assert_int_eq(edb_stats_parse("mean,avg", parsed, &np, &err), EDB_ERR_USAGE);
    ck_assert_msg(strstr(err.msg, "'avg'"), "%s", err.msg);
    edb_err_clear(&err);
    ck_assert_int_eq(edb_stats_parse("mean,mean", parsed, &np, &err), EDB_ERR_USAGE);
    edb_method m;
    ck_assert_int_eq(edb_method_parse("nearest", &m, &err), EDB_OK);
    ck_assert_int_eq(m, EDB_METHOD_NEAREST);
    ck_assert_int_eq(edb_method_parse("cubic", &m, &err), EDB_ERR_USAGE);
    edb_series_free(s);
}
END_TEST

/* ---- the real recording --------------------------------------------------------------- */

START_TEST(test_real_minute_mean)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/sa_zattest1_data.json", tu_fixture("jwst-2021-01-26"));
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    ck_assert_msg(root != NULL, "%s: %s", path, je.text);
    json_t *data = json_object_get(root, "Data");
    size_t n = json_array_size(data);
    ck_assert_uint_gt(n, 1000);
    int64_t *tms = malloc(n * sizeof *tms);
    double *val = malloc(n * sizeof *val);
    edb_series *s = mk("SA_ZATTEST1", EDB_VT_REAL);
    for (size_t j = 0; j < n; j++) {
        json_t *e = json_array_get(data, j);
        const char *ot = json_string_value(json_object_get(e, "ObsTime"));
        tms[j] = strtoll(ot + 6, NULL, 10) * 1000; /* "/Date(1611628142147+0000)/" */
        val[j] = json_number_value(json_object_get(e, "EUValue"));
        ck_assert_int_eq(edb_series_push_real(s, tms[j], val[j]), EDB_OK);
    }
    json_decref(root);
    /* 2021-01-26T02:29:00 .. 02:36:00: seven minutes; a sample at END would go to the last */
    const int64_t start = INT64_C(1611628140) * S, end = start + 7 * 60 * S;
    edb_stat st[] = {EDB_STAT_MEAN, EDB_STAT_COUNT};
    edb_resample_spec sp = EDB_RESAMPLE_SPEC_INIT;
    sp.start = start;
    sp.end = end;
    sp.grid = EDB_GRID_EVERY;
    sp.every_us = 60 * S;
    sp.stats = st;
    sp.n_stats = 2;
    edb_table *t = run1(s, &sp);
    ck_assert_uint_eq(t->nrows, 7);
    size_t total = 0;
    for (int k = 0; k < 7; k++) {
        int64_t lo = start + k * 60 * S, hi = lo + 60 * S;
        double sum = 0;
        size_t cnt = 0;
        for (size_t j = 0; j < n; j++)
            if (tms[j] >= lo && (tms[j] < hi || (k == 6 && tms[j] == end))) {
                sum += val[j];
                cnt++;
            }
        total += cnt;
        ck_assert_int_eq(t->cols[1].i[k], (int64_t)cnt);
        if (cnt == 0) {
            ck_assert(!t->cols[0].valid[k]);
            continue;
        }
        double ref = sum / (double)cnt;
        ck_assert_msg(fabs(t->cols[0].d[k] - ref) <= 1e-12, "minute %d: %.17g vs %.17g", k,
                      t->cols[0].d[k], ref);
    }
    ck_assert_uint_eq(total, n); /* the whole recording lies inside the seven minutes */
    edb_table_free(t);
    edb_series_free(s);
    free(tms);
    free(val);
}
END_TEST

/* ---- derived columns, blocks, states, mode, units, gaps, ranges (issue 11) -------------- */

static edb_table *runn(const edb_series *const *list, size_t n, const edb_resample_spec *sp)
{
    edb_table *t = NULL;
    edb_err err = EDB_ERR_INIT;
    ck_assert_msg(edb_resample(list, n, sp, &t, NULL, &err) == EDB_OK, "%s", err.msg);
    return t;
}

static const edb_column *col(const edb_table *t, const char *name)
{
    for (size_t k = 0; k < t->ncols; k++)
        if (strcmp(t->cols[k].name, name) == 0)
            return &t->cols[k];
    ck_abort_msg("no column %s", name);
    return NULL;
}

static edb_expr *xp(const char *text, edb_expr_kind kind)
{
    edb_expr *e = NULL;
    edb_err err = EDB_ERR_INIT;
    ck_assert_msg(edb_expr_parse(&e, text, kind, &err) == EDB_OK, "%s", err.msg);
    return e;
}

static void expect_times(const edb_table *t, const int64_t *sec, size_t n)
{
    ck_assert_uint_eq(t->nrows, n);
    for (size_t r = 0; r < n; r++)
        ck_assert_msg(t->t[r] == T0 + sec[r] * S, "row %zu: %lld, want %lld s", r,
                      (long long)((t->t[r] - T0) / S), (long long)sec[r]);
}

static void expect_ints(const edb_column *c, const int64_t *want, size_t n)
{
    for (size_t r = 0; r < n; r++) {
        ck_assert_msg(c->valid[r], "%s row %zu: no value", c->name, r);
        ck_assert_msg(c->i[r] == want[r], "%s row %zu: %lld, want %lld", c->name, r,
                      (long long)c->i[r], (long long)want[r]);
    }
}

/* A (linear, every sample) at 0:1 10:3 20:5; C (change-only: held) 2 since a bracket at
 * -100, 4 from 15.  P = A * C, Q = P / (C - 2). */
START_TEST(test_derived)
{
    edb_series *a = mk("SA_ZA", EDB_VT_REAL), *c = mk("SA_ZC", EDB_VT_REAL);
    pr(a, 0, 1);
    pr(a, 10, 3);
    pr(a, 20, 5);
    a->all_points = 1;
    pr(c, -100, 2);
    pr(c, 15, 4);
    c->all_points = 0;
    ck_assert_int_eq(edb_series_set_meta(a, "A", "current"), EDB_OK);
    ck_assert_int_eq(edb_series_set_meta(c, "V", "voltage"), EDB_OK);
    const edb_series *list[2] = {a, c};
    edb_expr *p = xp("P = SA_ZA * sa_zc", EDB_EXPR_DEFINITION);
    edb_expr *q = xp("Q = P / (SA_ZC - 2)", EDB_EXPR_DEFINITION);
    const edb_expr *ex[2] = {p, q};
    const char *cols[1] = {"SA_ZA"};
    edb_resample_spec sp = every(0, 20, 5);
    sp.columns = cols;
    sp.n_columns = 1;
    sp.exprs = ex;
    sp.n_exprs = 2;
    edb_table *t = runn(list, 2, &sp);
    /* A: 1 2 3 4 5 (linear); C: 2 2 2 4 4 (held); P: 2 4 6 16 20; Q: C - 2 is 0 until 15,
     * and x/0 has no value: - - - 8 10 */
    ck_assert_uint_eq(t->ncols, 3);
    ck_assert_str_eq(t->cols[1].name, "P");
    ck_assert_str_eq(t->cols[2].name, "Q");
    const double wa[] = {1, 2, 3, 4, 5}, wp[] = {2, 4, 6, 16, 20}, wq[] = {NV, NV, NV, 8, 10};
    expect_real(col(t, "SA_ZA"), wa, 5);
    expect_real(col(t, "P"), wp, 5);
    expect_real(col(t, "Q"), wq, 5);
    /* units compose; the description is the formula */
    ck_assert_str_eq(col(t, "P")->unit, "A V");
    ck_assert_str_eq(col(t, "Q")->unit, "A V / V");
    ck_assert_str_eq(col(t, "P")->description, "SA_ZA * sa_zc");
    ck_assert_int_eq(t->step_us, 5 * S);
    edb_table_free(t);
    /* a derived column can be filtered: P > 5 keeps 10, 15, 20 */
    edb_expr *w = xp("P > 5", EDB_EXPR_CONDITION);
    const edb_expr *ws[1] = {w};
    sp.where = ws;
    sp.n_where = 1;
    t = runn(list, 2, &sp);
    const int64_t tw[] = {10, 15, 20};
    expect_times(t, tw, 3);
    const double wa2[] = {3, 4, 5};
    expect_real(col(t, "SA_ZA"), wa2, 3);
    edb_table_free(t);
    /* binned: P is evaluated at the operands' sample times (the bracket at -100 carries no
     * value of A, then 0:2 10:6 15:16 20:20); bins [0,10) and [10,20]: 2 (1), 14 (3) */
    sp = every(0, 20, 10);
    sp.columns = cols;
    sp.n_columns = 1;
    sp.exprs = ex;
    sp.n_exprs = 1;
    edb_stat st[] = {EDB_STAT_MEAN, EDB_STAT_COUNT};
    sp.stats = st;
    sp.n_stats = 2;
    t = runn(list, 2, &sp);
    const double wpm[] = {2, 14};
    expect_real(col(t, "P_mean"), wpm, 2);
    const int64_t wpc[] = {1, 3};
    expect_ints(col(t, "P_count"), wpc, 2);
    ck_assert_ptr_null(col(t, "P_count")->unit);
    ck_assert_str_eq(col(t, "P_mean")->unit, "A V");
    edb_table_free(t);
    /* refusals */
    static const struct {
        const char *def, *want;
    } bad[] = {
        {"SA_ZA = SA_ZC * 2", "SA_ZA is also the name of a mnemonic this query reads"},
        {"R = SA_ZB + 1", "--expr 'R = SA_ZB + 1': SA_ZB was not fetched"},
    };
    for (size_t k = 0; k < 2; k++) {
        edb_expr *d = xp(bad[k].def, EDB_EXPR_DEFINITION);
        const edb_expr *one[1] = {d};
        sp = every(0, 20, 5);
        sp.exprs = one;
        sp.n_exprs = 1;
        edb_err err = EDB_ERR_INIT;
        t = NULL;
        ck_assert_int_eq(edb_resample(list, 2, &sp, &t, NULL, &err), EDB_ERR_USAGE);
        ck_assert_msg(strstr(err.msg, bad[k].want), "%s", err.msg);
        edb_expr_free(d);
    }
    const edb_expr *twice[2] = {p, p};
    sp = every(0, 20, 5);
    sp.exprs = twice;
    sp.n_exprs = 2;
    edb_err err = EDB_ERR_INIT;
    ck_assert_int_eq(edb_resample(list, 2, &sp, &t, NULL, &err), EDB_ERR_USAGE);
    ck_assert_msg(strstr(err.msg, "P is defined twice"), "%s", err.msg);
    edb_err_clear(&err);
    sp.grid = EDB_GRID_NONE;
    sp.n_exprs = 1;
    ck_assert_int_eq(edb_resample(list, 2, &sp, &t, NULL, &err), EDB_ERR_USAGE);
    ck_assert_msg(strstr(err.msg, "computed on a grid"), "%s", err.msg);
    edb_expr_free(p);
    edb_expr_free(q);
    edb_expr_free(w);
    edb_series_free(a);
    edb_series_free(c);
}
END_TEST

/* X at -10:5 (bracket) 0:5 10:1 20:6 30:7 40:2 50:8 60:9 (bracket), range [0, 55],
 * condition X > 4. */
static edb_series *series_x(void)
{
    edb_series *x = mk("SA_ZX", EDB_VT_REAL);
    const int64_t ts[] = {-10, 0, 10, 20, 30, 40, 50, 60};
    const double vs[] = {5, 5, 1, 6, 7, 2, 8, 9};
    for (int k = 0; k < 8; k++)
        pr(x, ts[k], vs[k]);
    x->all_points = 1;
    return x;
}

START_TEST(test_blocks)
{
    edb_series *x = series_x(), *y = mk("SA_ZY", EDB_VT_REAL);
    pr(y, 5, 100);
    pr(y, 25, 200);
    pr(y, 35, 300);
    const edb_series *list[2] = {x, y};
    edb_expr *w = xp("SA_ZX > 4", EDB_EXPR_CONDITION);
    const edb_expr *ws[1] = {w};
    edb_stat st[] = {EDB_STAT_MEAN, EDB_STAT_COUNT, EDB_STAT_FIRST, EDB_STAT_LAST};
    const char *cx[1] = {"SA_ZX"};
    edb_resample_spec sp = EDB_RESAMPLE_SPEC_INIT;
    sp.start = T0;
    sp.end = T0 + 55 * S;
    sp.blocks = 1;
    sp.where = ws;
    sp.n_where = 1;
    sp.stats = st;
    sp.n_stats = 4;
    sp.columns = cx;
    sp.n_columns = 1;
    edb_resample_info info;
    edb_table *t = NULL;
    edb_err err = EDB_ERR_INIT;
    /* raw samples: 0 T, 10 F, 20 T, 30 T, 40 F, 50 T.  Blocks [0,0] (one sample long; the
     * condition held before START already), [20,30], [50,50] (still true after END) */
    ck_assert_msg(edb_resample(list, 2, &sp, &t, &info, &err) == EDB_OK, "%s", err.msg);
    const int64_t tb[] = {0, 20, 50};
    expect_times(t, tb, 3);
    ck_assert_str_eq(t->cols[0].name, "end");
    ck_assert_str_eq(t->cols[1].name, "end_mjd");
    const char *we[] = {"2024-01-01T00:00:00.000", "2024-01-01T00:00:30.000",
                        "2024-01-01T00:00:50.000"};
    expect_str(col(t, "end"), we, 3);
    /* MJD 60310 is 2024-01-01; 30 s is 30/86400 d */
    const double wem[] = {60310, 60310 + 30.0 / 86400, 60310 + 50.0 / 86400};
    for (int r = 0; r < 3; r++)
        ck_assert(fabs(col(t, "end_mjd")->d[r] - wem[r]) < 1e-9);
    ck_assert_str_eq(col(t, "end_mjd")->unit, "d");
    const double wm[] = {5, 6.5, 8}, wf[] = {5, 6, 8}, wl[] = {5, 7, 8};
    const int64_t wc[] = {1, 2, 1};
    expect_real(col(t, "SA_ZX_mean"), wm, 3);
    expect_ints(col(t, "SA_ZX_count"), wc, 3);
    expect_real(col(t, "SA_ZX_first"), wf, 3);
    expect_real(col(t, "SA_ZX_last"), wl, 3);
    ck_assert_uint_eq(info.where_tested, 6);
    ck_assert_uint_eq(info.where_kept, 4);
    edb_table_free(t);
    /* two mnemonics: the points are all their samples, 0 5 10 20 25 30 35 40 50; X held at
     * Y's times: 5 T, 25 T, 35 T -> blocks [0,5], [20,35], [50,50] */
    const char *cxy[2] = {"SA_ZX", "SA_ZY"};
    sp.columns = cxy;
    sp.n_columns = 2;
    t = runn(list, 2, &sp);
    const int64_t tb2[] = {0, 20, 50};
    expect_times(t, tb2, 3);
    const char *we2[] = {"2024-01-01T00:00:05.000", "2024-01-01T00:00:35.000",
                         "2024-01-01T00:00:50.000"};
    expect_str(col(t, "end"), we2, 3);
    const double wym[] = {100, 250, NV};
    expect_real(col(t, "SA_ZY_mean"), wym, 3);
    const int64_t wyc[] = {1, 2, 0};
    expect_ints(col(t, "SA_ZY_count"), wyc, 3);
    expect_real(col(t, "SA_ZX_mean"), wm, 3);
    edb_table_free(t);
    /* on a grid of held values every 5 s: 0 5 | 20 25 30 35 | 50 55, and a derived column */
    edb_expr *d = xp("D = SA_ZX * 2", EDB_EXPR_DEFINITION);
    const edb_expr *ds[1] = {d};
    sp.grid = EDB_GRID_EVERY;
    sp.every_us = 5 * S;
    sp.method = EDB_METHOD_HOLD;
    sp.columns = cx;
    sp.n_columns = 1;
    sp.exprs = ds;
    sp.n_exprs = 1;
    t = runn(list, 2, &sp);
    const int64_t tg[] = {0, 20, 50};
    expect_times(t, tg, 3);
    const char *weg[] = {"2024-01-01T00:00:05.000", "2024-01-01T00:00:35.000",
                         "2024-01-01T00:00:55.000"};
    expect_str(col(t, "end"), weg, 3);
    const double wgm[] = {5, 6.5, 8}, wdm[] = {10, 13, 16};
    const int64_t wgc[] = {2, 4, 2};
    expect_real(col(t, "SA_ZX_mean"), wgm, 3);
    expect_ints(col(t, "SA_ZX_count"), wgc, 3);
    expect_real(col(t, "D_mean"), wdm, 3);
    edb_table_free(t);
    /* without conditions every point is in one block: the six samples, mean 29/6 */
    sp.grid = EDB_GRID_NONE;
    sp.n_exprs = 0;
    sp.method = EDB_METHOD_AUTO;
    sp.n_where = 0;
    t = runn(list, 2, &sp);
    const int64_t t1[] = {0};
    expect_times(t, t1, 1);
    const double w1[] = {29.0 / 6};
    expect_real(col(t, "SA_ZX_mean"), w1, 1);
    edb_table_free(t);
    /* --weighted has no meaning for a block, and --blocks needs statistics */
    sp.weighted = 1;
    ck_assert_int_eq(edb_resample(list, 2, &sp, &t, NULL, &err), EDB_ERR_USAGE);
    ck_assert_msg(strstr(err.msg, "--weighted does not apply to --blocks"), "%s", err.msg);
    edb_err_clear(&err);
    sp.weighted = 0;
    sp.n_stats = 0;
    ck_assert_int_eq(edb_resample(list, 2, &sp, &t, NULL, &err), EDB_ERR_USAGE);
    ck_assert_msg(strstr(err.msg, "add --stats"), "%s", err.msg);
    edb_expr_free(w);
    edb_expr_free(d);
    edb_series_free(x);
    edb_series_free(y);
}
END_TEST

/* G (a state): A from -30 (before START), A again at 10 (no change), B 20, C 30 (one
 * sample long), B 35, D 60 (after END).  X: 1 at 0, +1 every 5 s, 12 at 55.  Range
 * [0, 50]. */
START_TEST(test_group_by)
{
    edb_series *g = mk("SA_ZG", EDB_VT_STRING), *x = mk("SA_ZX", EDB_VT_REAL);
    ps(g, -30, "A");
    ps(g, 10, "A");
    ps(g, 20, "B");
    ps(g, 30, "C");
    ps(g, 35, "B");
    ps(g, 60, "D");
    ck_assert_int_eq(edb_series_set_meta(g, NULL, "filter position"), EDB_OK);
    for (int k = 0; k <= 11; k++)
        pr(x, 5 * k, k + 1);
    x->all_points = 1;
    const edb_series *list[2] = {g, x};
    const char *cx[1] = {"SA_ZX"};
    edb_stat st[] = {EDB_STAT_MEAN, EDB_STAT_COUNT};
    edb_resample_spec sp = EDB_RESAMPLE_SPEC_INIT;
    sp.start = T0;
    sp.end = T0 + 50 * S;
    sp.group_by = "SA_ZG";
    sp.stats = st;
    sp.n_stats = 2;
    sp.columns = cx;
    sp.n_columns = 1;
    edb_table *t = runn(list, 2, &sp);
    /* runs [0,20) A (from START), [20,30) B, [30,35) C, [35,50] B (closed at END) */
    const int64_t tr[] = {0, 20, 30, 35};
    expect_times(t, tr, 4);
    ck_assert_str_eq(t->cols[0].name, "SA_ZG");
    ck_assert_str_eq(t->cols[0].description, "filter position");
    const char *wl[] = {"A", "B", "C", "B"};
    expect_str(&t->cols[0], wl, 4);
    const char *we[] = {"2024-01-01T00:00:20.000", "2024-01-01T00:00:30.000",
                        "2024-01-01T00:00:35.000", "2024-01-01T00:00:50.000"};
    expect_str(col(t, "end"), we, 4);
    const double wm[] = {2.5, 5.5, 7, 9.5}; /* 1..4 | 5 6 | 7 | 8..11 */
    const int64_t wc[] = {4, 2, 1, 4};
    expect_real(col(t, "SA_ZX_mean"), wm, 4);
    expect_ints(col(t, "SA_ZX_count"), wc, 4);
    edb_table_free(t);
    /* with a condition: X != 9 drops 9 from the last run only */
    edb_expr *w = xp("SA_ZX != 9", EDB_EXPR_CONDITION);
    const edb_expr *ws[1] = {w};
    sp.where = ws;
    sp.n_where = 1;
    t = runn(list, 2, &sp);
    const double wm2[] = {2.5, 5.5, 7, 29.0 / 3};
    expect_real(col(t, "SA_ZX_mean"), wm2, 4);
    edb_table_free(t);
    /* time-weighted: each value for the time it held inside the run; the last run
     * [35, 50): 8, 9, 10 for 5 s each -> 9 (the 11 at 50 holds for no time) */
    sp.n_where = 0;
    sp.weighted = 1;
    t = runn(list, 2, &sp);
    const double wmw[] = {2.5, 5.5, 7, 9};
    expect_real(col(t, "SA_ZX_mean"), wmw, 4);
    edb_table_free(t);
    sp.weighted = 0;
    /* on a grid every 10 s (linear: 1 3 5 7 9 11): A 0 10 | B 20 | C 30 | B 40 50 */
    sp.grid = EDB_GRID_EVERY;
    sp.every_us = 10 * S;
    t = runn(list, 2, &sp);
    expect_times(t, tr, 4);
    const double wgm[] = {2, 5, 7, 10};
    const int64_t wgc[] = {2, 1, 1, 2};
    expect_real(col(t, "SA_ZX_mean"), wgm, 4);
    expect_ints(col(t, "SA_ZX_count"), wgc, 4);
    edb_table_free(t);
    /* an integer state with a sample exactly at START: the first run takes it; a state
     * without any sample before START opens with a run without a value */
    edb_series *gi = mk("SA_ZGI", EDB_VT_INT), *gs = mk("SA_ZGS", EDB_VT_STRING);
    pi(gi, -5, 1);
    pi(gi, 0, 2);
    pi(gi, 40, 3);
    ps(gs, 15, "ON");
    ps(gs, 40, "OFF");
    const edb_series *l2[3] = {gi, gs, x};
    sp.grid = EDB_GRID_NONE;
    sp.group_by = "SA_ZGI";
    t = runn(l2, 3, &sp);
    const int64_t ti[] = {0, 40};
    expect_times(t, ti, 2);
    ck_assert_int_eq(t->cols[0].vtype, EDB_VT_INT);
    const int64_t wi[] = {2, 3};
    expect_ints(&t->cols[0], wi, 2);
    const double wim[] = {4.5, 10}; /* 1..8 | 9 10 11 */
    expect_real(col(t, "SA_ZX_mean"), wim, 2);
    edb_table_free(t);
    sp.group_by = "SA_ZGS";
    t = runn(l2, 3, &sp);
    const int64_t ts[] = {0, 15, 40};
    expect_times(t, ts, 3);
    const char *wsl[] = {NULL, "ON", "OFF"};
    expect_str(&t->cols[0], wsl, 3);
    const int64_t wsc[] = {3, 5, 3}; /* 0 5 10 | 15..35 | 40 45 50 */
    expect_ints(col(t, "SA_ZX_count"), wsc, 3);
    edb_table_free(t);
    /* a state that was not fetched, and --blocks with --group-by */
    sp.group_by = "SA_ZNONE";
    edb_err err = EDB_ERR_INIT;
    ck_assert_int_eq(edb_resample(l2, 3, &sp, &t, NULL, &err), EDB_ERR_USAGE);
    ck_assert_msg(strstr(err.msg, "--group-by SA_ZNONE: it was not fetched"), "%s", err.msg);
    edb_err_clear(&err);
    sp.group_by = "SA_ZGS";
    sp.blocks = 1;
    ck_assert_int_eq(edb_resample(l2, 3, &sp, &t, NULL, &err), EDB_ERR_USAGE);
    ck_assert_msg(strstr(err.msg, "do not combine"), "%s", err.msg);
    edb_expr_free(w);
    edb_series_free(g);
    edb_series_free(x);
    edb_series_free(gi);
    edb_series_free(gs);
}
END_TEST

/* The mode, statistics defined per type, and the units of statistics columns. */
START_TEST(test_mode_and_units)
{
    edb_series *i = mk("SA_ZI", EDB_VT_INT), *s = mk("SA_ZS", EDB_VT_STRING),
               *x = mk("SA_ZX", EDB_VT_REAL);
    /* bin [0,10): I 3 1 3 1 2 (1 and 3 twice: the smaller), S b a b a c ("a");
     * bin [10,20]: I 7 7 5 -> 7, S z -> z */
    const int64_t iv[] = {3, 1, 3, 1, 2, 7, 7, 5};
    const char *sv[] = {"b", "a", "b", "a", "c", "z", "z", "z"};
    const int64_t tv[] = {0, 2, 4, 6, 8, 10, 12, 14};
    for (int k = 0; k < 8; k++) {
        pi(i, tv[k], iv[k]);
        ps(s, tv[k], sv[k]);
        pr(x, tv[k], (double)iv[k]);
    }
    ck_assert_int_eq(edb_series_set_meta(i, "counts", NULL), EDB_OK);
    ck_assert_int_eq(edb_series_set_meta(x, "V", NULL), EDB_OK);
    const edb_series *list[3] = {i, s, x};
    edb_stat st[] = {EDB_STAT_MEAN, EDB_STAT_STD, EDB_STAT_COUNT, EDB_STAT_MODE,
                     EDB_STAT_MEDIAN, EDB_STAT_MIN, EDB_STAT_MAX, EDB_STAT_FIRST,
                     EDB_STAT_LAST};
    edb_resample_spec sp = every(0, 20, 10);
    sp.stats = st;
    sp.n_stats = 9;
    edb_table *t = runn(list, 3, &sp);
    /* what is defined for each type, in the order asked: an integer takes all nine, a
     * string count, mode, first and last, a real all but the mode */
    const char *names[] = {"SA_ZI_mean", "SA_ZI_std", "SA_ZI_count", "SA_ZI_mode",
                           "SA_ZI_median", "SA_ZI_min", "SA_ZI_max", "SA_ZI_first",
                           "SA_ZI_last", "SA_ZS_count", "SA_ZS_mode", "SA_ZS_first",
                           "SA_ZS_last", "SA_ZX_mean", "SA_ZX_std", "SA_ZX_count",
                           "SA_ZX_median", "SA_ZX_min", "SA_ZX_max", "SA_ZX_first",
                           "SA_ZX_last"};
    ck_assert_uint_eq(t->ncols, 21);
    for (size_t k = 0; k < 21; k++)
        ck_assert_str_eq(t->cols[k].name, names[k]);
    const int64_t wim[] = {1, 7};
    expect_ints(col(t, "SA_ZI_mode"), wim, 2);
    ck_assert_int_eq(col(t, "SA_ZI_mode")->vtype, EDB_VT_INT);
    const char *wsm[] = {"a", "z"};
    expect_str(col(t, "SA_ZS_mode"), wsm, 2);
    /* units: a count has none; every other statistic, std and mode included, the
     * mnemonic's */
    for (size_t k = 0; k < t->ncols; k++) {
        const edb_column *c = &t->cols[k];
        const char *want = strcmp(c->stat, "count") == 0   ? NULL
                           : strncmp(c->name, "SA_ZI", 5) == 0 ? "counts"
                           : strncmp(c->name, "SA_ZX", 5) == 0 ? "V"
                                                               : NULL;
        if (want)
            ck_assert_msg(c->unit && strcmp(c->unit, want) == 0, "%s: unit %s", c->name,
                          c->unit ? c->unit : "(none)");
        else
            ck_assert_msg(!c->unit, "%s: unit %s, want none", c->name, c->unit);
    }
    edb_table_free(t);
    /* the mode alone of a real: nothing to compute, refused naming it */
    edb_stat m[] = {EDB_STAT_MODE};
    sp.stats = m;
    sp.n_stats = 1;
    edb_err err = EDB_ERR_INIT;
    ck_assert_int_eq(edb_resample(list, 3, &sp, &t, NULL, &err), EDB_ERR_USAGE);
    ck_assert_msg(strstr(err.msg, "SA_ZX is a real mnemonic: mode is not defined for it"), "%s",
                  err.msg);
    ck_assert(edb_stat_defined(EDB_STAT_MODE, EDB_VT_NONE));
    ck_assert(!edb_stat_defined(EDB_STAT_MEAN, EDB_VT_STRING));
    ck_assert_str_eq(edb_stat_name(EDB_STAT_MODE), "mode");
    edb_series_free(i);
    edb_series_free(s);
    edb_series_free(x);
}
END_TEST

typedef struct gaps_seen {
    int calls;
    edb_gap last;
    char name[64];
} gaps_seen;

static void on_gap(void *ctx, const edb_gap *g)
{
    gaps_seen *gs = ctx;
    gs->calls++;
    gs->last = *g;
    snprintf(gs->name, sizeof gs->name, "%s", g->mnemonic);
    gs->last.mnemonic = gs->name;
}

START_TEST(test_gaps)
{
    /* every 10 s from 0 to 30 and from 150 to 200: the median cadence is 10 s, and the
     * hole from 30 to 150 (120 s) is longer than 10 cadences */
    edb_series *x = mk("SA_ZX", EDB_VT_REAL);
    const int64_t ts[] = {0, 10, 20, 30, 150, 160, 170, 180, 190, 200};
    for (int k = 0; k < 10; k++)
        pr(x, ts[k], k);
    x->all_points = 1;
    const edb_series *list[1] = {x};
    gaps_seen seen;
    memset(&seen, 0, sizeof seen);
    edb_resample_spec sp = every(0, 200, 20);
    sp.on_gap = on_gap;
    sp.gap_ctx = &seen;
    edb_table *t = runn(list, 1, &sp);
    /* 40 60 80 100 120 140 are interpolated across it: one report for the mnemonic */
    ck_assert_int_eq(seen.calls, 1);
    ck_assert_str_eq(seen.name, "SA_ZX");
    ck_assert_uint_eq(seen.last.values, 6);
    ck_assert_int_eq(seen.last.start, T0 + 30 * S);
    ck_assert_int_eq(seen.last.end, T0 + 150 * S);
    ck_assert_int_eq(seen.last.cadence_us, 10 * S);
    ck_assert_int_eq(seen.last.limit_us, 100 * S);
    ck_assert_int_eq(seen.last.dropped, 0);
    edb_table_free(t);
    /* values across the gap that the conditions leave out of the output are not
     * reported: SA_ZC > 0 holds over [0, 35) and from 145 */
    edb_series *cnd = mk("SA_ZC", EDB_VT_REAL);
    pr(cnd, 0, 1);
    pr(cnd, 35, 0);
    pr(cnd, 145, 1);
    const edb_series *lc[2] = {x, cnd};
    edb_expr *w = xp("SA_ZC > 0", EDB_EXPR_CONDITION);
    const edb_expr *ws[1] = {w};
    const char *cx[1] = {"SA_ZX"};
    memset(&seen, 0, sizeof seen);
    sp.where = ws;
    sp.n_where = 1;
    sp.columns = cx;
    sp.n_columns = 1;
    t = runn(lc, 2, &sp);
    ck_assert_uint_eq(t->nrows, 5); /* 0 20 160 180 200 */
    ck_assert_int_eq(seen.calls, 0);
    edb_table_free(t);
    /* ... nor are those computed for a derived column and left out of every block */
    edb_expr *d = xp("D = SA_ZX + 1", EDB_EXPR_DEFINITION);
    const edb_expr *ds[1] = {d};
    edb_stat bst[] = {EDB_STAT_COUNT};
    sp.exprs = ds;
    sp.n_exprs = 1;
    sp.blocks = 1;
    sp.stats = bst;
    sp.n_stats = 1;
    t = runn(lc, 2, &sp);
    ck_assert_uint_eq(t->nrows, 2); /* [0, 20] and [160, 200] */
    ck_assert_int_eq(seen.calls, 0);
    edb_table_free(t);
    edb_expr_free(w);
    edb_expr_free(d);
    edb_series_free(cnd);
    /* where the samples are regular, nothing to report */
    memset(&seen, 0, sizeof seen);
    sp = every(150, 200, 5);
    sp.on_gap = on_gap;
    sp.gap_ctx = &seen;
    t = runn(list, 1, &sp);
    ck_assert_int_eq(seen.calls, 0);
    edb_table_free(t);
    /* --max-gap keeps its meaning: those values are left empty, and said so */
    memset(&seen, 0, sizeof seen);
    sp = every(0, 200, 20);
    sp.max_gap_us = 50 * S;
    sp.on_gap = on_gap;
    sp.gap_ctx = &seen;
    t = runn(list, 1, &sp);
    ck_assert_int_eq(seen.calls, 1);
    ck_assert_uint_eq(seen.last.values, 6);
    ck_assert_int_eq(seen.last.dropped, 1);
    ck_assert_int_eq(seen.last.limit_us, 50 * S);
    for (int r = 2; r <= 7; r++)
        ck_assert(!t->cols[0].valid[r]);
    edb_table_free(t);
    /* held past the last sample, with none after it: the gap ends at the grid time */
    edb_series *h = mk("SA_ZH", EDB_VT_REAL);
    pr(h, 0, 1);
    pr(h, 10, 2);
    pr(h, 20, 3);
    h->all_points = 1;
    const edb_series *lh[1] = {h};
    memset(&seen, 0, sizeof seen);
    sp = every(0, 500, 50);
    sp.method = EDB_METHOD_HOLD;
    sp.on_gap = on_gap;
    sp.gap_ctx = &seen;
    t = runn(lh, 1, &sp);
    ck_assert_int_eq(seen.calls, 1);
    ck_assert_uint_eq(seen.last.values, 8); /* 150 200 ... 500 are more than 100 s on */
    ck_assert_int_eq(seen.last.start, T0 + 20 * S);
    ck_assert_int_eq(seen.last.end, T0 + 500 * S);
    edb_table_free(t);
    /* a change-only mnemonic is meant to be held: no report; nor after --changes */
    h->all_points = 0;
    memset(&seen, 0, sizeof seen);
    t = runn(lh, 1, &sp);
    ck_assert_int_eq(seen.calls, 0);
    edb_table_free(t);
    h->all_points = 1;
    sp.changes = 1;
    t = runn(lh, 1, &sp);
    ck_assert_int_eq(seen.calls, 0);
    edb_table_free(t);
    edb_series_free(x);
    edb_series_free(h);
}
END_TEST

START_TEST(test_ranges)
{
    edb_series *x = mk("SA_ZX", EDB_VT_REAL), *y = mk("SA_ZY", EDB_VT_REAL);
    for (int k = -2; k <= 12; k++)
        pr(x, 10 * k, k);
    pr(y, -100, 1);
    pr(y, 65, 2);
    y->all_points = 0;
    const edb_series *list[2] = {x, y};
    const edb_range rg[2] = {{T0, T0 + 20 * S, "a.fits"}, {T0 + 60 * S, T0 + 80 * S, "b.fits"}};
    edb_resample_spec sp = every(0, 0, 10);
    sp.ranges = rg;
    sp.n_ranges = 2;
    sp.range_column = "file";
    edb_table *t = runn(list, 2, &sp);
    /* each range its own grid; Y holds 1 at 60 from its sample at -100, which lies
     * outside both ranges */
    const int64_t tg[] = {0, 10, 20, 60, 70, 80};
    expect_times(t, tg, 6);
    ck_assert_str_eq(t->cols[0].name, "file");
    const char *wf[] = {"a.fits", "a.fits", "a.fits", "b.fits", "b.fits", "b.fits"};
    expect_str(&t->cols[0], wf, 6);
    const double wx[] = {0, 1, 2, 6, 7, 8}, wy[] = {1, 1, 1, 1, 2, 2};
    expect_real(col(t, "SA_ZX"), wx, 6);
    expect_real(col(t, "SA_ZY"), wy, 6);
    ck_assert_int_eq(t->step_us, 0);
    edb_table_free(t);
    /* raw samples side by side, a cell empty where a mnemonic has no sample */
    sp.grid = EDB_GRID_NONE;
    t = runn(list, 2, &sp);
    const int64_t tr[] = {0, 10, 20, 60, 65, 70, 80};
    expect_times(t, tr, 7);
    const double rx[] = {0, 1, 2, 6, NV, 7, 8}, ry[] = {NV, NV, NV, NV, 2, NV, NV};
    expect_real(col(t, "SA_ZX"), rx, 7);
    expect_real(col(t, "SA_ZY"), ry, 7);
    edb_table_free(t);
    /* statistics per range: bins [0,10) [10,20] | [60,70) [70,80] */
    edb_stat st[] = {EDB_STAT_COUNT};
    sp.grid = EDB_GRID_EVERY;
    sp.stats = st;
    sp.n_stats = 1;
    const char *cx[1] = {"SA_ZX"};
    sp.columns = cx;
    sp.n_columns = 1;
    t = runn(list, 2, &sp);
    const int64_t tb[] = {0, 10, 60, 70};
    expect_times(t, tb, 4);
    const int64_t wc[] = {1, 2, 1, 2};
    expect_ints(col(t, "SA_ZX_count"), wc, 4);
    edb_table_free(t);
    /* without a range column, the rows alone */
    sp.range_column = NULL;
    t = runn(list, 2, &sp);
    ck_assert_uint_eq(t->ncols, 1);
    edb_table_free(t);
    edb_series_free(x);
    edb_series_free(y);
}
END_TEST

/* What can be refused before fetching is refused on empty series of known types. */
START_TEST(test_check)
{
    edb_series *s = NULL, *x = NULL, *u = NULL;
    ck_assert_int_eq(edb_series_new(&s, "SA_ZS"), EDB_OK);
    ck_assert_int_eq(edb_series_set_type(s, EDB_VT_STRING), EDB_OK);
    ck_assert_int_eq(edb_series_new(&x, "SA_ZX"), EDB_OK);
    ck_assert_int_eq(edb_series_set_type(x, EDB_VT_REAL), EDB_OK);
    ck_assert_int_eq(edb_series_new(&u, "SA_ZU"), EDB_OK); /* type unknown */
    const edb_series *list[3] = {s, x, u};
    edb_stat st[] = {EDB_STAT_MEAN, EDB_STAT_COUNT};
    edb_resample_spec sp = every(0, 86400, 60);
    sp.stats = st;
    sp.n_stats = 2;
    edb_table *cols = NULL;
    edb_err err = EDB_ERR_INIT;
    ck_assert_msg(edb_resample_check(list, 3, &sp, &cols, &err) == EDB_OK, "%s", err.msg);
    const char *names[] = {"SA_ZS_count", "SA_ZX_mean", "SA_ZX_count", "SA_ZU_mean",
                           "SA_ZU_count"};
    ck_assert_uint_eq(cols->ncols, 5);
    ck_assert_uint_eq(cols->nrows, 0);
    for (int k = 0; k < 5; k++)
        ck_assert_str_eq(cols->cols[k].name, names[k]);
    edb_table_free(cols);
    /* the mean alone of a string: refused before any data exists */
    sp.n_stats = 1;
    ck_assert_int_eq(edb_resample_check(list, 3, &sp, NULL, &err), EDB_ERR_USAGE);
    ck_assert_msg(strstr(err.msg, "SA_ZS is a string mnemonic: mean is not defined"), "%s",
                  err.msg);
    edb_err_clear(&err);
    /* a condition comparing a string with a number, raw samples */
    edb_expr *w = xp("SA_ZS > 3", EDB_EXPR_CONDITION);
    const edb_expr *ws[1] = {w};
    edb_resample_spec raw = EDB_RESAMPLE_SPEC_INIT;
    raw.start = T0;
    raw.end = T0 + 10 * S;
    raw.where = ws;
    raw.n_where = 1;
    ck_assert_int_eq(edb_resample_check(list, 3, &raw, NULL, &err), EDB_ERR_USAGE);
    ck_assert_msg(strstr(err.msg, "SA_ZS is a string mnemonic"), "%s", err.msg);
    edb_err_clear(&err);
    /* a grid too large, before allocating anything */
    sp.n_stats = 0;
    sp.every_us = 1;
    ck_assert_int_eq(edb_resample_check(list, 3, &sp, NULL, &err), EDB_ERR_USAGE);
    ck_assert_msg(strstr(err.msg, "rows over this range"), "%s", err.msg);
    edb_expr_free(w);
    edb_series_free(s);
    edb_series_free(x);
    edb_series_free(u);
}
END_TEST

/* --for 1d from a midnight: [START, START+1d) is END = START+1d-1us; a sample stamped at
 * the next midnight belongs to the next day. */
START_TEST(test_half_open_day)
{
    edb_series *x = mk("SA_ZX", EDB_VT_REAL);
    const int64_t day = 86400;
    pr(x, -1, 100);     /* bracket */
    pr(x, 0, 1);        /* midnight: in */
    pr(x, 43200, 2);
    pr(x, day, 1000);   /* the next midnight: out */
    const edb_series *list[1] = {x};
    edb_stat st[] = {EDB_STAT_COUNT, EDB_STAT_MEAN, EDB_STAT_MAX};
    edb_resample_spec sp = EDB_RESAMPLE_SPEC_INIT;
    sp.start = T0;
    sp.end = T0 + day * S - 1;
    sp.grid = EDB_GRID_EVERY;
    sp.every_us = day * S;
    sp.align_us = day * S;
    sp.stats = st;
    sp.n_stats = 3;
    edb_table *t = runn(list, 1, &sp);
    const int64_t t1[] = {0};
    expect_times(t, t1, 1);
    const int64_t wc[] = {2};
    expect_ints(&t->cols[0], wc, 1);
    const double wm[] = {1.5}, wx[] = {2};
    expect_real(&t->cols[1], wm, 1);
    expect_real(&t->cols[2], wx, 1);
    edb_table_free(t);
    /* points every 6 h: 00 06 12 18, not the next midnight */
    sp.n_stats = 0;
    sp.every_us = 6 * 3600 * S;
    sp.align_us = 0;
    t = runn(list, 1, &sp);
    const int64_t tp[] = {0, 21600, 43200, 64800};
    expect_times(t, tp, 4);
    edb_table_free(t);
    /* a state's last run ends where the half-open range does: the next midnight */
    edb_series *g = mk("SA_ZG", EDB_VT_STRING);
    ps(g, -5, "ON");
    const edb_series *l2[2] = {x, g};
    const char *cx[1] = {"SA_ZX"};
    sp = (edb_resample_spec)EDB_RESAMPLE_SPEC_INIT;
    sp.start = T0;
    sp.end = T0 + day * S - 1;
    sp.end_open = 1;
    sp.group_by = "SA_ZG";
    sp.stats = st;
    sp.n_stats = 1;
    sp.columns = cx;
    sp.n_columns = 1;
    t = runn(l2, 2, &sp);
    const char *we[] = {"2024-01-02T00:00:00.000"};
    expect_str(col(t, "end"), we, 1);
    expect_ints(col(t, "SA_ZX_count"), wc, 1);
    edb_table_free(t);
    sp.end_open = 0; /* a closed range ends at its last instant */
    t = runn(l2, 2, &sp);
    const char *we2[] = {"2024-01-01T23:59:59.999"};
    expect_str(col(t, "end"), we2, 1);
    edb_table_free(t);
    edb_series_free(g);
    edb_series_free(x);
}
END_TEST

/* Appending tables, and string columns whose last rows were never set. */
START_TEST(test_table_append)
{
    edb_table *a = NULL, *b = NULL;
    ck_assert_int_eq(edb_table_new(&a, 3), EDB_OK);
    ck_assert_int_eq(edb_table_new(&b, 2), EDB_OK);
    edb_table *both[2] = {a, b};
    for (int k = 0; k < 2; k++) {
        edb_column *c;
        ck_assert_int_eq(edb_table_add_column(both[k], "S", NULL, NULL, EDB_VT_STRING, &c), EDB_OK);
        ck_assert_int_eq(edb_table_add_column(both[k], "X", NULL, NULL, EDB_VT_REAL, &c), EDB_OK);
        both[k]->step_us = 10;
    }
    ck_assert_int_eq(edb_column_set_str(&a->cols[0], 3, 1, "one", 3), EDB_OK); /* 0, 2 unset */
    edb_column_set_real(&a->cols[1], 0, 0.5);
    ck_assert_int_eq(edb_column_set_str(&b->cols[0], 2, 0, "xy", 2), EDB_OK); /* 1 unset */
    edb_column_set_real(&b->cols[1], 1, 1.5);
    for (int r = 0; r < 3; r++)
        a->t[r] = r;
    b->t[0] = 10;
    b->t[1] = 11;
    ck_assert_int_eq(edb_table_append(a, b), EDB_OK);
    ck_assert_uint_eq(a->nrows, 5);
    ck_assert_int_eq(a->step_us, 10);
    const char *ws[] = {NULL, "one", NULL, "xy", NULL};
    expect_str(&a->cols[0], ws, 5);
    size_t len;
    (void)edb_column_str(&a->cols[0], 4, &len);
    ck_assert_uint_eq(len, 0);
    const double wx[] = {0.5, NV, NV, NV, 1.5};
    expect_real(&a->cols[1], wx, 5);
    ck_assert_int_eq(a->t[3], 10);
    /* a string set after an append goes after the others */
    edb_table *c1 = NULL;
    ck_assert_int_eq(edb_table_new(&c1, 1), EDB_OK);
    edb_column *c;
    ck_assert_int_eq(edb_table_add_column(c1, "S", NULL, NULL, EDB_VT_STRING, &c), EDB_OK);
    ck_assert_int_eq(edb_table_add_column(c1, "Y", NULL, NULL, EDB_VT_REAL, &c), EDB_OK);
    ck_assert_int_eq(edb_table_append(a, c1), EDB_ERR_USAGE); /* other columns */
    edb_table_free(c1);
    edb_table_free(a);
    edb_table_free(b);
}
END_TEST


/* Issue 17, item 4: a wide table made a mnemonic at a time (edb_resampler) is the table
 * edb_resample makes of all the series at once, whatever order they come in; the gaps are
 * reported in the series' order and the error is the first series' error. */
typedef struct gap_order {
    char names[4][32];
    int64_t len[4];
    int n;
} gap_order;

static void gap_in_order(void *ctx, const edb_gap *g)
{
    gap_order *o = ctx;
    ck_assert_int_lt(o->n, 4);
    snprintf(o->names[o->n], sizeof o->names[o->n], "%s", g->mnemonic);
    o->len[o->n++] = g->end - g->start;
}

static void same_tables(const edb_table *a, const edb_table *b)
{
    ck_assert_uint_eq(a->nrows, b->nrows);
    ck_assert_uint_eq(a->ncols, b->ncols);
    ck_assert_int_eq(a->step_us, b->step_us);
    ck_assert(memcmp(a->t, b->t, a->nrows * sizeof *a->t) == 0);
    for (size_t c = 0; c < a->ncols; c++) {
        const edb_column *x = &a->cols[c], *y = &b->cols[c];
        ck_assert_str_eq(x->name, y->name);
        ck_assert_int_eq(x->vtype, y->vtype);
        ck_assert(memcmp(x->valid, y->valid, a->nrows) == 0);
        for (size_t r = 0; r < a->nrows; r++) {
            if (!x->valid[r])
                continue;
            if (x->vtype == EDB_VT_REAL)
                ck_assert(memcmp(&x->d[r], &y->d[r], sizeof x->d[r]) == 0);
            else if (x->vtype == EDB_VT_INT)
                ck_assert_int_eq(x->i[r], y->i[r]);
            else {
                size_t lx, ly;
                const char *sx = edb_column_str(x, r, &lx), *sy = edb_column_str(y, r, &ly);
                ck_assert(lx == ly && memcmp(sx, sy, lx) == 0);
            }
        }
    }
}

START_TEST(test_resampler)
{
    /* SA_ZTEST1 (series_a), SA_ZSTATE (series_str), and SA_ZGAPPY: 0..4 every second,
     * then 68 (median cadence 1 s: the hole 4..68 is a gap; its 64 s make every
     * interpolated value exact); SA_ZGAP2 likewise 0..2, then 45. */
    edb_series *g1 = mk("SA_ZGAPPY", EDB_VT_REAL), *g2 = mk("SA_ZGAP2", EDB_VT_INT);
    for (int k = 0; k <= 4; k++)
        pr(g1, k, k);
    pr(g1, 68, 68);
    for (int k = 0; k <= 2; k++)
        pi(g2, k, 10 * k);
    pi(g2, 45, 450);
    edb_series *in[4] = {g1, series_a(), series_str(), g2};
    const char *cols[] = {"SA_ZTEST1", "SA_ZGAP2", "SA_ZSTATE", "SA_ZGAPPY"};
    const size_t added[] = {3, 1, 0, 2}; /* the order the series complete in */
    edb_stat stv[] = {EDB_STAT_COUNT, EDB_STAT_LAST};
    for (int mode = 0; mode < 3; mode++) {
        edb_resample_spec sp = every(0, 50, 5);
        if (mode == 1) {
            sp.stats = stv;
            sp.n_stats = 2;
        }
        if (mode == 2) {
            static const edb_time times[] = {T0 + 7 * S, T0 + 3 * S, T0 + 41 * S};
            sp.grid = EDB_GRID_TIMES;
            sp.times = times;
            sp.n_times = 3;
        }
        ck_assert(edb_resample_separable(&sp));
        sp.columns = cols;
        sp.n_columns = 4;
        gap_order whole = {0}, parts = {0};
        sp.on_gap = gap_in_order;
        sp.gap_ctx = &whole;
        edb_table *a = NULL, *b = NULL;
        edb_err err = EDB_ERR_INIT;
        ck_assert_msg(edb_resample((const edb_series *const *)in, 4, &sp, &a, NULL, &err) ==
                      EDB_OK, "%s", err.msg);
        edb_resampler *r = NULL;
        ck_assert_int_eq(edb_resampler_new(&r, &sp, 4, &err), EDB_OK);
        for (int k = 0; k < 4; k++)
            ck_assert_int_eq(edb_resampler_add(r, added[k], in[added[k]]), EDB_OK);
        ck_assert_int_eq(edb_resampler_add(r, 1, in[1]), EDB_ERR_USAGE); /* each slot once */
        sp.gap_ctx = &parts;
        ck_assert_msg(edb_resampler_finish(r, &sp, &b, NULL, &err) == EDB_OK, "%s", err.msg);
        edb_resampler_free(r);
        same_tables(a, b);
        /* gaps in the series' order, not in the order they were added */
        ck_assert_int_eq(whole.n, parts.n);
        for (int k = 0; k < whole.n; k++) {
            ck_assert_str_eq(whole.names[k], parts.names[k]);
            ck_assert_int_eq(whole.len[k], parts.len[k]);
        }
        if (mode == 0) {
            /* by hand: the columns in the order asked; SA_ZTEST1 linear (series_a as in
             * test_linear), SA_ZGAP2 held (an integer), SA_ZSTATE held */
            ck_assert_uint_eq(b->nrows, 11);
            ck_assert_str_eq(b->cols[0].name, "SA_ZTEST1");
            ck_assert_str_eq(b->cols[1].name, "SA_ZGAP2");
            ck_assert_str_eq(b->cols[2].name, "SA_ZSTATE");
            ck_assert_str_eq(b->cols[3].name, "SA_ZGAPPY");
            const double lin[] = {1, 2, 3, NV, NV, NV, 7, 6, 5, NV, NV};
            expect_real(&b->cols[0], lin, 11);
            const int64_t held[] = {0, 20, 20, 20, 20, 20, 20, 20, 20, 450, 450};
            for (int k = 0; k < 11; k++)
                ck_assert_int_eq(b->cols[1].i[k], held[k]);
            const char *st[] = {"OFF", "OFF", "ON", "ON", "ON", "ON", "OFF", "OFF", "OFF",
                                "OFF", "OFF"};
            expect_str(&b->cols[2], st, 11);
            /* 0..4 then 68: linear between 4 and 68 is the time itself */
            const double gp[] = {0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50};
            expect_real(&b->cols[3], gp, 11);
            /* both gappy series crossed their hole: SA_ZGAPPY (4 -> 68) first, as given */
            ck_assert_int_eq(parts.n, 2);
            ck_assert_str_eq(parts.names[0], "SA_ZGAPPY");
            ck_assert_int_eq(parts.len[0], 64 * S);
            ck_assert_str_eq(parts.names[1], "SA_ZGAP2");
            ck_assert_int_eq(parts.len[1], 43 * S);
        }
        edb_table_free(a);
        edb_table_free(b);
    }
    /* an error is the one of the first series in order: mean is not defined for strings;
     * the string series comes last, the error is still its own */
    edb_stat mean = EDB_STAT_MEAN;
    edb_resample_spec sp = every(0, 50, 5);
    sp.stats = &mean;
    sp.n_stats = 1;
    edb_table *t = NULL;
    edb_err e1 = EDB_ERR_INIT, e2 = EDB_ERR_INIT;
    ck_assert_int_eq(edb_resample((const edb_series *const *)in, 4, &sp, &t, NULL, &e1),
                     EDB_ERR_USAGE);
    edb_resampler *r = NULL;
    ck_assert_int_eq(edb_resampler_new(&r, &sp, 4, &e2), EDB_OK);
    for (int k = 3; k >= 0; k--)
        ck_assert_int_eq(edb_resampler_add(r, (size_t)k, in[k]), EDB_OK);
    ck_assert_int_eq(edb_resampler_finish(r, &sp, &t, NULL, &e2), EDB_ERR_USAGE);
    ck_assert_ptr_null(t);
    ck_assert_str_eq(e1.msg, e2.msg);
    edb_resampler_free(r);
    /* what needs every series at once is not separable */
    sp.grid = EDB_GRID_ON;
    ck_assert(!edb_resample_separable(&sp));
    sp.grid = EDB_GRID_UNION;
    ck_assert(!edb_resample_separable(&sp));
    sp = every(0, 50, 5);
    sp.blocks = 1;
    ck_assert(!edb_resample_separable(&sp));
    ck_assert_int_eq(edb_resampler_new(&r, &sp, 4, &e2), EDB_ERR_USAGE);
    for (int k = 0; k < 4; k++)
        edb_series_free(in[k]);
}
END_TEST

static Suite *resample_suite(void)
{
    Suite *s = suite_create("resample");
    TCase *tc = tcase_create("resample");
    tcase_add_test(tc, test_grid_every);
    tcase_add_test(tc, test_hold);
    tcase_add_test(tc, test_linear);
    tcase_add_test(tc, test_nearest);
    tcase_add_test(tc, test_max_gap);
    tcase_add_test(tc, test_bracket_month_before);
    tcase_add_test(tc, test_stats);
    tcase_add_test(tc, test_stats_int);
    tcase_add_test(tc, test_weighted);
    tcase_add_test(tc, test_clip);
    tcase_add_test(tc, test_median_random);
    tcase_add_test(tc, test_strings);
    tcase_add_test(tc, test_changes);
    tcase_add_test(tc, test_where_parse);
    tcase_add_test(tc, test_where);
    tcase_add_test(tc, test_where_never);
    tcase_add_test(tc, test_align);
    tcase_add_test(tc, test_times);
    tcase_add_test(tc, test_leap_day_daily);
    tcase_add_test(tc, test_errors);
    tcase_add_test(tc, test_real_minute_mean);
    suite_add_tcase(s, tc);
    TCase *ta = tcase_create("analysis");
    tcase_add_test(ta, test_derived);
    tcase_add_test(ta, test_blocks);
    tcase_add_test(ta, test_group_by);
    tcase_add_test(ta, test_mode_and_units);
    tcase_add_test(ta, test_gaps);
    tcase_add_test(ta, test_ranges);
    tcase_add_test(ta, test_check);
    tcase_add_test(ta, test_half_open_day);
    tcase_add_test(ta, test_table_append);
    tcase_add_test(ta, test_resampler);
    suite_add_tcase(s, ta);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(resample_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
