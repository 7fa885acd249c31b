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
