/* bench_resample.c: 10 million samples onto 1 million grid points, once per point method
 * and per statistic (plus clipping, time weighting, a condition, a derived column, blocks
 * and states), printing grid rows/s, samples/s and the peak resident memory.  A benchmark,
 * not a test: it never fails on timing.  Usage: bench_resample [SAMPLES [GRID]]. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <edb/edb.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static long peak_kib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

static void run(const char *what, const edb_series *const *list, size_t nl,
                const edb_resample_spec *sp, size_t nsamples)
{
    edb_table *t = NULL;
    edb_err err = EDB_ERR_INIT;
    double t0 = now_s();
    edb_status st = edb_resample(list, nl, sp, &t, NULL, &err);
    double dt = now_s() - t0;
    if (st != EDB_OK) {
        fprintf(stderr, "%s: %s\n", what, err.msg);
        exit(1);
    }
    printf("%-22s %8.3f s %12.0f rows/s %12.0f samples/s   peak %6ld MiB\n", what, dt,
           (double)t->nrows / dt, (double)nsamples / dt, peak_kib() / 1024);
    edb_table_free(t);
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 10000000;
    size_t g = argc > 2 ? strtoul(argv[2], NULL, 10) : 1000000;
    /* 16 Hz-like telemetry with jitter, and a slow condition mnemonic */
    edb_series *s = NULL, *c = NULL;
    if (edb_series_new(&s, "SA_ZATTEST1") != EDB_OK || edb_series_set_type(s, EDB_VT_REAL) ||
        edb_series_new(&c, "SA_ZFGDETID") != EDB_OK || edb_series_set_type(c, EDB_VT_INT))
        return 1;
    const edb_time t0 = INT64_C(1611628200000000);
    const int64_t step = 62500; /* 16 Hz */
    unsigned long long x = 88172645463325252ULL;
    for (size_t k = 0; k < n; k++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        edb_time t = t0 + (edb_time)k * step + (edb_time)(x % 1000);
        if (edb_series_push_real(s, t, -0.2 + (double)(x % 100000) * 1e-9) != EDB_OK)
            return 1;
        if (k % 4096 == 0 && edb_series_push_int(c, t, (int64_t)((k / 4096) % 3)) != EDB_OK)
            return 1;
    }
    const edb_time end = t0 + (edb_time)n * step;
    const int64_t every = (end - t0) / (int64_t)g;
    printf("bench_resample: %zu samples over %.1f h onto %zu grid points (every %lld us); "
           "peak after building the series %ld MiB\n", n, (double)(end - t0) / 3.6e9, g,
           (long long)every, peak_kib() / 1024);
    const edb_series *list[2] = {s, c};
    const char *cols[1] = {"SA_ZATTEST1"};
    edb_resample_spec sp = EDB_RESAMPLE_SPEC_INIT;
    sp.start = t0;
    sp.end = t0 + every * (int64_t)(g - 1);
    sp.grid = EDB_GRID_EVERY;
    sp.every_us = every;
    sp.columns = cols;
    sp.n_columns = 1;
    const struct {
        const char *name;
        edb_method m;
    } methods[] = {{"hold", EDB_METHOD_HOLD},
                   {"linear", EDB_METHOD_LINEAR},
                   {"nearest", EDB_METHOD_NEAREST}};
    for (size_t k = 0; k < 3; k++) {
        sp.method = methods[k].m;
        run(methods[k].name, list, 2, &sp, n);
    }
    sp.method = EDB_METHOD_AUTO;
    sp.max_gap_us = 100000;
    run("linear --max-gap", list, 2, &sp, n);
    sp.max_gap_us = 0;
    sp.end = end;
    for (int k = 0; k < EDB_STAT_N; k++) {
        if (!edb_stat_defined((edb_stat)k, EDB_VT_REAL))
            continue; /* the mode of a real */
        edb_stat st1[1] = {(edb_stat)k};
        sp.stats = st1;
        sp.n_stats = 1;
        char name[40];
        snprintf(name, sizeof name, "stats %s", edb_stat_name((edb_stat)k));
        run(name, list, 2, &sp, n);
    }
    edb_stat all[8] = {EDB_STAT_MEAN, EDB_STAT_MIN,   EDB_STAT_MAX,   EDB_STAT_MEDIAN,
                       EDB_STAT_STD,  EDB_STAT_COUNT, EDB_STAT_FIRST, EDB_STAT_LAST};
    sp.stats = all;
    sp.n_stats = 8;
    run("stats all 8", list, 2, &sp, n);
    sp.clip_sigma = 3;
    run("stats all --clip 3", list, 2, &sp, n);
    sp.clip_sigma = 0;
    sp.stats = all;
    sp.n_stats = 2;
    sp.weighted = 1;
    run("mean,min --weighted", list, 2, &sp, n);
    sp.weighted = 0;
    edb_expr *w = NULL;
    edb_err err = EDB_ERR_INIT;
    if (edb_expr_parse(&w, "SA_ZFGDETID != 1", EDB_EXPR_CONDITION, &err) != EDB_OK)
        return 1;
    const edb_expr *ws[1] = {w};
    sp.where = ws;
    sp.n_where = 1;
    run("mean,min --where", list, 2, &sp, n);
    /* blocks of the raw samples where the condition holds, and states of SA_ZFGDETID */
    sp.grid = EDB_GRID_NONE;
    sp.blocks = 1;
    run("mean,min --blocks", list, 2, &sp, n);
    sp.blocks = 0;
    sp.n_where = 0;
    sp.group_by = "SA_ZFGDETID";
    run("mean,min --group-by", list, 2, &sp, n);
    sp.group_by = NULL;
    /* a derived column of both on the grid (points) and binned (at the samples' times) */
    edb_expr *d = NULL;
    if (edb_expr_parse(&d, "P = SA_ZATTEST1 * SA_ZFGDETID + 1", EDB_EXPR_DEFINITION, &err) !=
        EDB_OK)
        return 1;
    const edb_expr *ds[1] = {d};
    sp.grid = EDB_GRID_EVERY;
    sp.exprs = ds;
    sp.n_exprs = 1;
    sp.n_columns = 0;
    sp.columns = cols;
    sp.n_stats = 0;
    sp.end = t0 + every * (int64_t)(g - 1);
    run("--expr points", list, 2, &sp, n);
    sp.end = end;
    sp.n_stats = 2;
    run("--expr mean,min", list, 2, &sp, n);
    edb_expr_free(d);
    edb_expr_free(w);
    edb_series_free(s);
    edb_series_free(c);
    return 0;
}
