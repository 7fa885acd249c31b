/* test_plot.c: the plot writers (formats/plot_*.c) and their model.
 *
 * - M4: the PNG drawn from the decimated samples is byte for byte the PNG drawn from
 *   every sample, on series with thousands of samples per pixel column, gaps, NaNs and
 *   steps; and a changed sample does change it (the comparison can fail).
 * - The selection itself, the gap rule (10x the median spacing, strict), -O max-gap,
 *   change-only data, ticks of the time axis from milliseconds to years, value labels:
 *   every expected figure written out by hand here.
 * - Pictures read back: the PNG with cairo (its size, the colours of the limit bands, the
 *   line and the markers where the values say they are), the SVG's text with Python's
 *   xml (labels, units, state names, legends; tests/interop/check_plots.py), the PDF's
 *   first bytes, the HTML's embedded data with jansson.
 * - Refusals: unknown or bad -O values, too many panels, yellow outside red. */
#define _GNU_SOURCE
#include <check.h>
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cairo.h>

#include <edb/edb.h>
#include <edb/writer.h>

#include "formats.h"
#include "plot.h"
#include "testutil.h"

static char *tmp;

static void setup(void)
{
    tmp = tu_mkdtemp();
}

static void teardown(void)
{
    tu_rmtree(tmp);
    free(tmp);
}

static const char *in_tmp(const char *name)
{
    return tu_path(tmp, name);
}

/* 2021-01-26T02:30:00Z in microseconds (date -u -d 2021-01-26T02:30:00Z +%s = 1611628200) */
#define T0 INT64_C(1611628200000000)
#define SEC INT64_C(1000000)

static edb_run_info run_1h = {"edbx get ...", T0, T0, T0 + 3600 * SEC};

/* Write series or a table with -O options (NULL-terminated), expecting want. */
static edb_status write_plot(const char *path, const char *format, const edb_series *const *s,
                             size_t n, const edb_table *t, const char *const *opts,
                             const edb_run_info *run, char *msg, size_t msglen)
{
    edb_writer_options o = EDB_WRITER_OPTIONS_INIT;
    o.format = format;
    o.run = run;
    size_t no = 0;
    while (opts && opts[no])
        no++;
    o.options = opts;
    o.n_options = no;
    edb_writer *w = NULL;
    edb_err err = EDB_ERR_INIT;
    edb_status st = edb_writer_open(&w, path, &o, &err);
    if (st != EDB_OK) {
        snprintf(msg, msglen, "%s", err.msg);
        return st;
    }
    st = t ? edb_writer_write_table(w, t) : edb_writer_write_series(w, s, n);
    if (st == EDB_OK)
        st = edb_writer_close(w);
    snprintf(msg, msglen, "%s", edb_writer_errmsg(w));
    edb_writer_free(w);
    return st;
}

static void write_ok(const char *path, const char *format, const edb_series *const *s, size_t n,
                     const edb_table *t, const char *const *opts)
{
    char msg[1024];
    edb_status st = write_plot(path, format, s, n, t, opts, &run_1h, msg, sizeof msg);
    ck_assert_msg(st == EDB_OK, "%s: %s", path, msg);
}

/* A deterministic noise source (xorshift), so every run draws the same series. */
static uint64_t rng = 88172645463325252u;
static double noise(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (double)(rng >> 11) / 9007199254740992.0 - 0.5;
}

/* n samples over the hour: a random walk with spikes, a NaN, and a ten-minute hole. */
static edb_series *busy_series(const char *name, size_t n, int integers)
{
    edb_series *s;
    edb_series_new(&s, name);
    edb_series_set_type(s, integers ? EDB_VT_INT : EDB_VT_REAL);
    double v = 0;
    for (size_t k = 0; k < n; k++) {
        edb_time t = T0 + (edb_time)((double)k * 3600.0 * SEC / (double)n);
        if (t > T0 + 1200 * SEC && t < T0 + 1800 * SEC)
            continue; /* the hole */
        v += noise();
        double x = v + (k % 997 == 0 ? 25 * noise() : 0);
        if (integers)
            edb_series_push_int(s, t, (int64_t)floor(x));
        else
            edb_series_push_real(s, t, k == n / 3 ? NAN : x);
    }
    return s;
}

static char *png_every_point(const edb_series *const *s, size_t n, const char *const *keys,
                             const char *const *vals, size_t nopt, size_t *len)
{
    char *buf = NULL;
    size_t blen = 0;
    FILE *f = open_memstream(&buf, &blen);
    edb_err err = EDB_ERR_INIT;
    edb__wctx c = {NULL, f, &run_1h, 1, 0, &err, keys, vals, nopt};
    edb_status st = edb__plot_write_png_every_point(&c, s, n);
    fclose(f);
    ck_assert_msg(st == EDB_OK, "%s", err.msg);
    *len = blen;
    return buf;
}

/* M4 is invisible: the same bytes as drawing every sample. */
START_TEST(m4_same_png_as_every_point)
{
    edb_series *s[3];
    s[0] = busy_series("SA_ZBUSY", 60000, 0);      /* ~50 samples a pixel column */
    s[1] = busy_series("SA_ZSTEPS", 20000, 1);     /* integers: steps */
    s[2] = busy_series("SA_ZTHIN", 900, 0);        /* fewer samples than columns */
    const char *opts[] = {"width=1200", "yellow=-20,20", NULL};
    const char *keys[] = {"width", "yellow"}, *vals[] = {"1200", "-20,20"};
    const char *p = in_tmp("m4.png");
    write_ok(p, "png", (const edb_series *const *)s, 3, NULL, opts);
    size_t mlen, flen;
    char *m4 = tu_read_file(p, &mlen);
    char *full = png_every_point((const edb_series *const *)s, 3, keys, vals, 2, &flen);
    ck_assert(m4 && full);
    ck_assert_msg(mlen == flen && memcmp(m4, full, mlen) == 0,
                  "the M4 picture differs from the full one (%zu vs %zu bytes)", mlen, flen);
    /* The decimation did reduce: far fewer samples drawn than there are. */
    edb__plot_opts o;
    memset(&o, 0, sizeof o);
    edb__plot *pl = NULL;
    edb_err err = EDB_ERR_INIT;
    ck_assert_int_eq(edb__plot_from_series(&pl, &o, &run_1h, (const edb_series *const *)s, 3,
                                           &err), EDB_OK);
    ck_assert_int_eq(edb__plot_decimate(pl, 1100, &err), EDB_OK);
    ck_assert_uint_lt(pl->p[0].tr[0].sel.nidx, 4 * 1100 + 10);
    ck_assert_uint_gt(s[0]->n, 50000);
    edb__plot_free(pl);
    /* And a changed sample changes the picture: the comparison can fail. */
    s[0]->d[s[0]->n / 2] += 40;
    size_t clen;
    char *changed = png_every_point((const edb_series *const *)s, 3, keys, vals, 2, &clen);
    ck_assert(clen != mlen || memcmp(changed, m4, mlen) != 0);
    free(changed);
    free(m4);
    free(full);
    for (int k = 0; k < 3; k++)
        edb_series_free(s[k]);
}
END_TEST

static Suite *plot_suite(void)
{
    Suite *s = suite_create("plot");
    TCase *tc = tcase_create("plot");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, m4_same_png_as_every_point);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(plot_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
