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

static edb_run_info run_1h = {"edbx get ...", T0, T0, T0 + 3600 * SEC, 0};

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
    edb__wctx c = {.f = f, .run = &run_1h, .err = &err, .opt_keys = keys, .opt_vals = vals,
                   .n_opts = nopt};
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

/* A series of given times (seconds after T0) and values. */
static edb_series *series_of(const char *name, const double *sec, const double *v, size_t n)
{
    edb_series *s;
    edb_series_new(&s, name);
    edb_series_set_type(s, EDB_VT_REAL);
    for (size_t k = 0; k < n; k++)
        edb_series_push_real(s, T0 + (edb_time)llround(sec[k] * 1e6), v[k]);
    return s;
}

static edb__plot *model(const edb_series *const *s, size_t n, const edb__plot_opts *o)
{
    edb__plot *p = NULL;
    edb_err err = EDB_ERR_INIT;
    ck_assert_msg(edb__plot_from_series(&p, o, &run_1h, s, n, &err) == EDB_OK, "%s", err.msg);
    return p;
}

static void expect_sel(const edb__plot_sel *sel, const size_t *idx, size_t n, const size_t *runs,
                       size_t nrun)
{
    ck_assert_uint_eq(sel->nidx, n);
    for (size_t k = 0; k < n; k++)
        ck_assert_msg(sel->idx[k] == idx[k], "idx[%zu] = %zu, want %zu", k, sel->idx[k], idx[k]);
    ck_assert_uint_eq(sel->nrun, nrun);
    for (size_t k = 0; k < nrun; k++)
        ck_assert_uint_eq(sel->run[k], runs[k]);
    ck_assert_uint_eq(sel->run[nrun], n);
}

/* Per column, first, minimum, maximum and last, in time order, each once; a NaN breaks. */
START_TEST(m4_selection)
{
    /* three columns of one second on [T0, T0 + 3 s] */
    static const double sec[] = {0.1, 0.3, 0.5, 0.7, 1.1, 1.3, 1.5, 1.7, 2.1, 2.3, 2.5};
    double v[] = {5, 9, 1, 4, 3, 3, 7, 3, 2, 8, 6};
    edb_series *s = series_of("SA_ZM4", sec, v, 11);
    edb__plot_opts o;
    memset(&o, 0, sizeof o);
    o.max_gap_us = -1;
    edb__plot *p = model((const edb_series *const *)&s, 1, &o);
    edb__plot_trace *tr = &p->p[0].tr[0];
    ck_assert_int_eq(edb__plot_trace_decimate(tr, T0, T0 + 3 * SEC, 3), EDB_OK);
    /* column 0: all four; column 1: first 4 = min (the first 3), max 6, last 7;
     * column 2: first 8 = min, max 9, last 10 */
    static const size_t want[] = {0, 1, 2, 3, 4, 6, 7, 8, 9, 10}, runs[] = {0};
    expect_sel(&tr->sel, want, 10, runs, 1);
    /* every sample when asked for no columns */
    ck_assert_int_eq(edb__plot_trace_decimate(tr, T0, T0 + 3 * SEC, 0), EDB_OK);
    ck_assert_uint_eq(tr->sel.nidx, 11);
    edb__plot_free(p);
    /* sample 5 becomes NaN: column 1 is cut in two runs, each reduced on its own */
    s->d[5] = NAN;
    p = model((const edb_series *const *)&s, 1, &o);
    tr = &p->p[0].tr[0];
    ck_assert_int_eq(edb__plot_trace_decimate(tr, T0, T0 + 3 * SEC, 3), EDB_OK);
    static const size_t want2[] = {0, 1, 2, 3, 4, 6, 7, 8, 9, 10}, runs2[] = {0, 5};
    expect_sel(&tr->sel, want2, 10, runs2, 2);
    edb__plot_free(p);
    edb_series_free(s);
}
END_TEST

/* A gap longer than 10 x the median spacing breaks the line; exactly 10 x does not. */
START_TEST(gap_rule)
{
    static const double sec[] = {0, 1, 2, 3, 4, 5, 15, 25.001, 26, 27};
    static const double v[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    edb_series *s = series_of("SA_ZGAP", sec, v, 10);
    edb__plot_opts o;
    memset(&o, 0, sizeof o);
    /* spacings 1 1 1 1 1 10 10.001 0.999 1: the median is 1 s, the rule 10 s */
    edb__plot *p = model((const edb_series *const *)&s, 1, &o);
    edb__plot_trace *tr = &p->p[0].tr[0];
    ck_assert_int_eq(tr->gap_us, 10 * SEC);
    ck_assert_int_eq(edb__plot_trace_decimate(tr, p->x0, p->x1, 0), EDB_OK);
    static const size_t all[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, r1[] = {0, 7};
    expect_sel(&tr->sel, all, 10, r1, 2);
    edb__plot_free(p);
    /* -O max-gap=5s: both long spacings break */
    o.max_gap_us = 5 * SEC;
    p = model((const edb_series *const *)&s, 1, &o);
    tr = &p->p[0].tr[0];
    ck_assert_int_eq(edb__plot_trace_decimate(tr, p->x0, p->x1, 0), EDB_OK);
    static const size_t r2[] = {0, 6, 7};
    expect_sel(&tr->sel, all, 10, r2, 3);
    edb__plot_free(p);
    /* -O max-gap=none, and change-only data: never */
    o.max_gap_us = -1;
    p = model((const edb_series *const *)&s, 1, &o);
    tr = &p->p[0].tr[0];
    ck_assert_int_eq(edb__plot_trace_decimate(tr, p->x0, p->x1, 0), EDB_OK);
    static const size_t r3[] = {0};
    expect_sel(&tr->sel, all, 10, r3, 1);
    edb__plot_free(p);
    o.max_gap_us = 0;
    s->all_points = 0;
    p = model((const edb_series *const *)&s, 1, &o);
    tr = &p->p[0].tr[0];
    ck_assert_int_eq(tr->gap_us, 0);
    ck_assert(tr->step && tr->hold_end);
    ck_assert_int_eq(edb__plot_trace_decimate(tr, p->x0, p->x1, 0), EDB_OK);
    expect_sel(&tr->sel, all, 10, r3, 1);
    edb__plot_free(p);
    edb_series_free(s);
    /* an even number of spacings: the mean of the middle two, 1 s and 3 s */
    static const double sec2[] = {0, 1, 2, 5, 8};
    s = series_of("SA_ZGAP2", sec2, v, 5);
    p = model((const edb_series *const *)&s, 1, &o);
    ck_assert_int_eq(p->p[0].tr[0].gap_us, 20 * SEC);
    edb__plot_free(p);
    edb_series_free(s);
}
END_TEST

static void expect_ticks(edb_time a, edb_time b, size_t max, const char *const *labels,
                         const char *const *dates, size_t n)
{
    edb__plot_tick t[EDB__PLOT_MAX_TICKS];
    size_t got = edb__plot_time_ticks(a, b, max, t, NULL);
    ck_assert_msg(got == n, "%zu ticks, want %zu (first %s)", got, n, got ? t[0].label : "-");
    for (size_t k = 0; k < n; k++) {
        ck_assert_str_eq(t[k].label, labels[k]);
        ck_assert_str_eq(t[k].date, dates ? dates[k] : "");
    }
}

/* Ticks on UTC boundaries, labelled for the range.  Unix times from date -u -d ... +%s. */
START_TEST(time_ticks)
{
    /* 2021-01-26T02:28:47 .. 02:36:00 (1611628127 .. 1611628560): minutes */
    static const char *const m[] = {"02:29", "02:30", "02:31", "02:32", "02:33", "02:34",
                                    "02:35", "02:36"};
    static const char *const md[] = {"2021-01-26", "", "", "", "", "", "", ""};
    expect_ticks(1611628127 * SEC, 1611628560 * SEC, 9, m, md, 8);
    /* fewer allowed: every 5 minutes */
    static const char *const m5[] = {"02:30", "02:35"};
    static const char *const m5d[] = {"2021-01-26", ""};
    expect_ticks(1611628127 * SEC, 1611628560 * SEC, 4, m5, m5d, 2);
    /* two seconds: half seconds */
    static const char *const h[] = {"02:30:00.0", "02:30:00.5", "02:30:01.0", "02:30:01.5",
                                    "02:30:02.0"};
    static const char *const hd[] = {"2021-01-26", "", "", "", ""};
    expect_ticks(T0, T0 + 2 * SEC, 6, h, hd, 5);
    /* 2022-03-01 .. 03-04 (1646092800 .. 1646352000): 12 hours, the date at midnights */
    static const char *const d[] = {"00:00", "12:00", "00:00", "12:00", "00:00", "12:00", "00:00"};
    static const char *const dd[] = {"2022-03-01", "", "2022-03-02", "", "2022-03-03", "",
                                     "2022-03-04"};
    expect_ticks(1646092800 * SEC, 1646352000 * SEC, 8, d, dd, 7);
    /* 2022-03-01 .. 04-15 (1649980800): weeks, on Mondays (2022-03-07 was one) */
    static const char *const w[] = {"2022-03-07", "2022-03-14", "2022-03-21", "2022-03-28",
                                    "2022-04-04", "2022-04-11"};
    expect_ticks(1646092800 * SEC, 1649980800 * SEC, 8, w, NULL, 6);
    /* 2021-01-01 .. 2021-12-31 (1609459200 .. 1640908800): every two months */
    static const char *const mo[] = {"2021-01", "2021-03", "2021-05", "2021-07", "2021-09",
                                     "2021-11"};
    expect_ticks(1609459200 * SEC, 1640908800 * SEC, 12, mo, NULL, 6);
    /* 2000-01-01 .. 2024-06-01 (946684800 .. 1717200000): every five years */
    static const char *const y[] = {"2000", "2005", "2010", "2015", "2020"};
    expect_ticks(946684800 * SEC, 1717200000 * SEC, 8, y, NULL, 5);
    /* the ends of time: no calendar, no ticks, no overflow */
    edb__plot_tick t[EDB__PLOT_MAX_TICKS];
    ck_assert_uint_eq(edb__plot_time_ticks(INT64_MIN, INT64_MAX, 8, t, NULL), 0);
}
END_TEST

START_TEST(value_labels)
{
    char b[64];
    double st = edb__plot_nice_step(-0.2095472, -0.2095464, 8);
    ck_assert_double_eq_tol(st, 1e-7, 1e-20);
    edb__plot_format_value(-2095468 * st, st, 0.2095472, b, sizeof b);
    ck_assert_str_eq(b, "-0.2095468");
    ck_assert_double_eq(edb__plot_nice_step(0, 100, 5), 20);
    ck_assert_double_eq(edb__plot_nice_step(0, 1, 4), 0.25);
    edb__plot_format_value(0.75, 0.25, 1, b, sizeof b);
    ck_assert_str_eq(b, "0.75");
    edb__plot_format_value(1.5e7, 5e6, 2e7, b, sizeof b);
    ck_assert_str_eq(b, "1.5e+07");
    edb__plot_format_value(8.25e-9, 5e-11, 8.5e-9, b, sizeof b);
    ck_assert_str_eq(b, "8.25e-09");
    edb__plot_format_value(-1e-20, 0.5, 2, b, sizeof b);
    ck_assert_str_eq(b, "0.0");
    edb__plot_format_value(-40, 20, 60, b, sizeof b);
    ck_assert_str_eq(b, "-40");
}
END_TEST

/* ---- pictures -------------------------------------------------------------------------- */

static uint32_t px(cairo_surface_t *s, int x, int y)
{
    const unsigned char *d = cairo_image_surface_get_data(s);
    int stride = cairo_image_surface_get_stride(s);
    return *(const uint32_t *)(d + (size_t)y * stride + (size_t)x * 4) & 0xffffff;
}

static int dark(uint32_t c)
{
    return ((c >> 16) & 255) < 100 && ((c >> 8) & 255) < 100 && (c & 255) < 100;
}

/* Pixels of colour c in rows [y0, y1], columns [x0, x1]. */
static int count_colour(cairo_surface_t *s, int x0, int x1, int y0, int y1, uint32_t c)
{
    int n = 0;
    for (int y = y0; y <= y1; y++)
        for (int x = x0; x <= x1; x++)
            n += px(s, x, y) == c;
    return n;
}

#define RGB(r, g, b) (((uint32_t)(r) << 16) | ((uint32_t)(g) << 8) | (uint32_t)(b))
#define RED_BAND RGB(250, 190, 190)
#define YELLOW_BAND RGB(255, 236, 153)
#define LINE RGB(31, 78, 156)
#define RED_MARK RGB(204, 20, 30)
#define YELLOW_MARK RGB(214, 160, 0)
#define WHITE RGB(255, 255, 255)

/* The colours are where the values say: bands beyond the limits, the line, the markers.
 * The frame is found in the picture (its black lines); rows follow from -O ymin/ymax. */
START_TEST(png_colours)
{
    /* two periods of a sine of amplitude 1 over the hour, a sample a second */
    edb_series *s;
    edb_series_new(&s, "SA_ZSINE");
    edb_series_set_type(s, EDB_VT_REAL);
    for (int k = 0; k <= 3600; k++)
        edb_series_push_real(s, T0 + k * SEC, sin(2 * M_PI * k / 1800.0));
    const char *opts[] = {"width=800", "height=400", "ymin=-1.5", "ymax=1.5",
                          "yellow=-0.8,0.8", "red=-0.95,0.95", NULL};
    const char *p = in_tmp("colours.png");
    write_ok(p, "png", (const edb_series *const *)&s, 1, NULL, opts);
    cairo_surface_t *img = cairo_image_surface_create_from_png(p);
    ck_assert_int_eq(cairo_surface_status(img), CAIRO_STATUS_SUCCESS);
    ck_assert_int_eq(cairo_image_surface_get_width(img), 800);
    ck_assert_int_eq(cairo_image_surface_get_height(img), 400);
    cairo_surface_flush(img);
    /* the frame: its right edge from the right of the middle row, its top and bottom up and
     * down a column inside it */
    int right = 799;
    while (right > 0 && !dark(px(img, right, 200)))
        right--;
    int top = 200, bottom = 200, col = right - 8;
    while (top > 0 && !dark(px(img, col, top)))
        top--;
    while (bottom < 399 && !dark(px(img, col, bottom)))
        bottom++;
    int left = col;
    while (left > 0 && !dark(px(img, left, 200)))
        left--;
    ck_assert_msg(right > 600 && left < 200 && top < 120 && bottom > 300,
                  "frame %d..%d x %d..%d", left, right, top, bottom);
    /* value v at row */
#define ROW(v) ((int)lround(bottom - ((v) + 1.5) / 3.0 * (bottom - top)))
    int x0 = left + 3, x1 = right - 3, area;
    /* above 1.05 (the data never goes there): red band only */
    area = (x1 - x0 + 1) * (ROW(1.05) - ROW(1.5) - 5);
    ck_assert_int_gt(count_colour(img, x0, x1, ROW(1.5) + 3, ROW(1.05) - 3, RED_BAND), area * 9 / 10);
    ck_assert_int_eq(count_colour(img, x0, x1, ROW(1.5) + 3, ROW(1.05) - 3, YELLOW_BAND), 0);
    /* below -1.05 too */
    ck_assert_int_gt(count_colour(img, x0, x1, ROW(-1.05) + 3, ROW(-1.5) - 3, RED_BAND),
                     area * 9 / 10);
    /* 0.81 .. 0.94: yellow, crossed by the line and its markers */
    area = (x1 - x0 + 1) * (ROW(0.81) - ROW(0.94) - 3);
    ck_assert_int_gt(count_colour(img, x0, x1, ROW(0.94) + 2, ROW(0.81) - 2, YELLOW_BAND), area / 2);
    ck_assert_int_eq(count_colour(img, x0, x1, ROW(0.94) + 2, ROW(0.81) - 2, RED_BAND), 0);
    ck_assert_int_gt(count_colour(img, x0, x1, ROW(0.94) + 2, ROW(0.81) - 2, YELLOW_MARK), 0);
    /* -0.75 .. 0.75: no band, the line */
    ck_assert_int_eq(count_colour(img, x0, x1, ROW(0.75), ROW(-0.75), YELLOW_BAND), 0);
    ck_assert_int_eq(count_colour(img, x0, x1, ROW(0.75), ROW(-0.75), RED_BAND), 0);
    ck_assert_int_gt(count_colour(img, x0, x1, ROW(0.75), ROW(-0.75), WHITE),
                     (x1 - x0) * (ROW(-0.75) - ROW(0.75)) / 2);
    ck_assert_int_gt(count_colour(img, x0, x1, ROW(0.75), ROW(-0.75), LINE), 100);
    /* the peaks at +-1 are beyond red: red markers there, none in the middle */
    ck_assert_int_gt(count_colour(img, x0, x1, ROW(1.0) - 4, ROW(1.0) + 4, RED_MARK), 10);
    ck_assert_int_gt(count_colour(img, x0, x1, ROW(-1.0) - 4, ROW(-1.0) + 4, RED_MARK), 10);
    ck_assert_int_eq(count_colour(img, x0, x1, ROW(0.7), ROW(-0.7), RED_MARK), 0);
    ck_assert_int_eq(count_colour(img, x0, x1, ROW(0.7), ROW(-0.7), YELLOW_MARK), 0);
#undef ROW
    cairo_surface_destroy(img);
    edb_series_free(s);
}
END_TEST

/* Run tests/interop/check_plots.py; 0 when the checks hold. */
static void check_plots(const char *const *args)
{
    char script[4200];
    snprintf(script, sizeof script, "%s/interop/check_plots.py", getenv("EDBX_TESTS_DIR"));
    const char *argv[64];
    size_t n = 0;
    argv[n++] = "/usr/bin/python3";
    argv[n++] = script;
    for (; *args && n < 63; args++)
        argv[n++] = *args;
    argv[n] = NULL;
    const char *env[] = {"LD_PRELOAD=", "PYTHONDONTWRITEBYTECODE=1", NULL};
    tu_run r;
    int st = tu_run_cmd(&r, argv, env);
    ck_assert_msg(st == 0, "check_plots.py %s: exit %d\n%s%s", args[0], st, r.out, r.err);
    tu_run_free(&r);
}

static edb_series *state_series(void)
{
    static const char *const names[] = {"OFF", "ON", "SAFE MODE", "ON", "OFF"};
    edb_series *s;
    edb_series_new(&s, "SA_ZSTATE");
    edb_series_set_type(s, EDB_VT_STRING);
    for (int k = 0; k < 5; k++)
        edb_series_push_str(s, T0 + k * 600 * SEC, names[k], strlen(names[k]));
    s->all_points = 0;
    return s;
}

/* The SVG keeps its text: labels with units and descriptions, state names, the axis. */
START_TEST(svg_text)
{
    edb_series *s[2];
    s[0] = state_series();
    static const double sec[] = {0, 60, 120, 180, 240};
    static const double v[] = {20.5, 21, 21.5, 22, 22.5};
    s[1] = series_of("SA_ZTEMP", sec, v, 5);
    edb_series_set_meta(s[1], "\xc2\xb0" "C", "Tank #2 <inner> & outer, \xc2\xb5s \xe2\x86\x92 K");
    const char *p = in_tmp("t.svg");
    write_ok(p, "svg", (const edb_series *const *)s, 2, NULL, NULL);
    const char *args[] = {"svg", p, "SA_ZSTATE, SA_ZTEMP", "2021-01-26 02:30:00 to 03:30:00 UTC",
                          "SA_ZSTATE", "OFF", "ON", "SAFE MODE", "SA_ZTEMP [\xc2\xb0" "C]",
                          "Tank #2 <inner> & outer, \xc2\xb5s \xe2\x86\x92 K", "time (UTC)", "02:30",
                          "2021-01-26", NULL};
    check_plots(args);
    /* states sorted by name on the axis: OFF, ON, SAFE MODE from the bottom */
    edb__plot_opts o;
    memset(&o, 0, sizeof o);
    edb__plot *pl = model((const edb_series *const *)s, 2, &o);
    ck_assert_int_eq(pl->p[0].kind, EDB__PANEL_STATES);
    ck_assert_uint_eq(pl->p[0].nstates, 3);
    ck_assert_str_eq(pl->p[0].states[0], "OFF");
    ck_assert_str_eq(pl->p[0].states[2], "SAFE MODE");
    static const int32_t codes[] = {0, 1, 2, 1, 0};
    for (int k = 0; k < 5; k++)
        ck_assert_int_eq(pl->p[0].codes[k], codes[k]);
    edb__plot_free(pl);
    edb_series_free(s[0]);
    edb_series_free(s[1]);
}
END_TEST

/* Nothing to draw: a frame saying so, in every format. */
START_TEST(empty)
{
    edb_series *s;
    edb_series_new(&s, "SA_ZNOTHING");
    const char *p = in_tmp("e.svg");
    write_ok(p, "svg", (const edb_series *const *)&s, 1, NULL, NULL);
    const char *args[] = {"svg", p, "no data in range", "SA_ZNOTHING", NULL};
    check_plots(args);
    write_ok(in_tmp("e.png"), "png", (const edb_series *const *)&s, 1, NULL, NULL);
    write_ok(in_tmp("e.pdf"), "pdf", (const edb_series *const *)&s, 1, NULL, NULL);
    write_ok(in_tmp("e.html"), "html", (const edb_series *const *)&s, 1, NULL, NULL);
    /* no series at all */
    write_ok(in_tmp("none.svg"), "svg", NULL, 0, NULL, NULL);
    const char *args2[] = {"svg", in_tmp("none.svg"), "no data in range", NULL};
    check_plots(args2);
    edb__plot_opts o;
    memset(&o, 0, sizeof o);
    edb__plot *pl = model((const edb_series *const *)&s, 1, &o);
    ck_assert(pl->empty);
    edb__plot_free(pl);
    edb_series_free(s);
}
END_TEST

/* Statistics: the mean, a band for +-std, a band for min-max, a count panel. */
START_TEST(stats_table)
{
    edb_table *t;
    edb_column *c[5];
    static const char *const st[] = {"mean", "std", "min", "max", "count"};
    edb_table_new(&t, 60);
    t->step_us = 60 * SEC;
    for (int k = 0; k < 5; k++) {
        char name[64];
        snprintf(name, sizeof name, "SA_ZTEMP_%s", st[k]);
        edb_table_add_column(t, name, "SA_ZTEMP", st[k], k == 4 ? EDB_VT_INT : EDB_VT_REAL,
                             &c[k]);
    }
    for (size_t r = 0; r < 60; r++) {
        t->t[r] = T0 + (edb_time)r * 60 * SEC;
        if (r == 30)
            continue; /* an empty bin: a break */
        double m = sin((double)r / 10);
        edb_column_set_real(&t->cols[0], r, m);
        edb_column_set_real(&t->cols[1], r, 0.1);
        edb_column_set_real(&t->cols[2], r, m - 0.3);
        edb_column_set_real(&t->cols[3], r, m + 0.3);
        edb_column_set_int(&t->cols[4], r, 60);
    }
    edb_column_set_meta(&t->cols[0], "degC", NULL);
    const char *opts[] = {"count", NULL};
    const char *p = in_tmp("stats.svg");
    write_ok(p, "svg", NULL, 0, t, opts);
    const char *args[] = {"svg", p, "SA_ZTEMP [degC]", "mean", "mean \xc2\xb1 std",
                          "min \xe2\x80\x93 max", "count",
                          "2021-01-26 02:30:00 to 03:30:00 UTC; statistics: mean, \xc2\xb1 std, "
                          "min \xe2\x80\x93 max per 1min bin (drawn at its middle)", NULL};
    check_plots(args);
    write_ok(in_tmp("stats.png"), "png", NULL, 0, t, opts);
    /* the model: one number panel (a line, two bands) and a count panel; the bands' edges
     * are mean -+ std and min, max; statistics sit at the middle of their bin */
    edb__plot_opts o;
    memset(&o, 0, sizeof o);
    o.count = 1;
    edb__plot *pl = NULL;
    edb_err err = EDB_ERR_INIT;
    ck_assert_int_eq(edb__plot_from_table(&pl, &o, &run_1h, t, &err), EDB_OK);
    ck_assert_uint_eq(pl->np, 2);
    ck_assert_int_eq(pl->p[1].kind, EDB__PANEL_COUNT);
    ck_assert_uint_eq(pl->p[0].ntr, 3);
    ck_assert_int_eq(pl->p[0].tr[0].role, EDB__ROLE_LINE);
    ck_assert_int_eq(pl->p[0].tr[1].role, EDB__ROLE_STD);
    ck_assert_int_eq(pl->p[0].tr[2].role, EDB__ROLE_ENV);
    ck_assert_int_eq(pl->p[0].tr[0].src.t_shift, 30 * SEC);
    double m5 = sin(0.5);
    ck_assert_double_eq(pl->p[0].tr[1].own[0][5], m5 - 0.1);
    ck_assert_double_eq(pl->p[0].tr[1].own[1][5], m5 + 0.1);
    ck_assert_double_eq(pl->p[0].tr[2].own[0][5], m5 - 0.3);
    ck_assert(isnan(pl->p[0].tr[2].own[1][30]));
    edb__plot_free(pl);
    /* -O count on a table without a count column */
    edb_table *t2;
    edb_column *mc;
    edb_table_new(&t2, 2);
    t2->t[0] = T0;
    t2->t[1] = T0 + SEC;
    edb_table_add_column(t2, "SA_ZTEMP_mean", "SA_ZTEMP", "mean", EDB_VT_REAL, &mc);
    char msg[1024];
    ck_assert_int_eq(write_plot(in_tmp("nocount.png"), "png", NULL, 0, t2, opts, &run_1h, msg,
                                sizeof msg), EDB_ERR_USAGE);
    ck_assert_str_eq(msg, "-O count draws the count per bin, and this table has no count column: "
                          "add count to --stats (e.g. --stats mean,std,count)");
    ck_assert(!tu_exists(in_tmp("nocount.png")));
    edb_table_free(t2);
    edb_table_free(t);
}
END_TEST

/* Overlay: one panel, a legend with every mnemonic; states keep their own panel. */
START_TEST(overlay)
{
    edb_series *s[3];
    static const double sec[] = {0, 60, 120};
    static const double a[] = {1, 2, 3}, b[] = {3, 2, 1};
    s[0] = series_of("SA_ZONE", sec, a, 3);
    s[1] = series_of("SA_ZTWO", sec, b, 3);
    s[2] = state_series();
    edb_series_set_meta(s[0], "V", NULL);
    edb_series_set_meta(s[1], "V", NULL);
    const char *opts[] = {"overlay", NULL};
    const char *p = in_tmp("o.svg");
    write_ok(p, "svg", (const edb_series *const *)s, 3, NULL, opts);
    const char *args[] = {"svg", p, "SA_ZONE", "SA_ZTWO", "value [V]", "SA_ZSTATE", "SAFE MODE",
                          NULL};
    check_plots(args);
    edb__plot_opts o;
    memset(&o, 0, sizeof o);
    o.overlay = 1;
    edb__plot *pl = model((const edb_series *const *)s, 3, &o);
    ck_assert_uint_eq(pl->np, 2);
    ck_assert_uint_eq(pl->p[0].ntr, 2);
    ck_assert_int_eq(pl->p[1].kind, EDB__PANEL_STATES);
    edb__plot_free(pl);
    for (int k = 0; k < 3; k++)
        edb_series_free(s[k]);
}
END_TEST

static void refused(const char *format, const char *const *opts, const edb_series *const *s,
                    size_t n, const char *want)
{
    char msg[1024];
    const char *p = in_tmp("refused.out");
    ck_assert_int_eq(write_plot(p, format, s, n, NULL, opts, &run_1h, msg, sizeof msg),
                     EDB_ERR_USAGE);
    ck_assert_str_eq(msg, want);
    ck_assert(!tu_exists(p));
}

/* Unknown keys and bad values are refused, naming the key and what is valid. */
START_TEST(options_refused)
{
    static const double sec[] = {0, 1};
    static const double v[] = {1, 2};
    edb_series *s = series_of("SA_ZONE", sec, v, 2);
    const edb_series *const *ss = (const edb_series *const *)&s;
    const char *o1[] = {"colour=red", NULL};
    refused("png", o1, ss, 1, "-O colour: png takes no such option (valid: width=N, height=N, "
            "title=TEXT, overlay, yellow=[MNEMONIC:]LO,HI, red=[MNEMONIC:]LO,HI, "
            "nominal=[MNEMONIC:]V, ymin=V, ymax=V, count, max-gap=DUR)");
    refused("html", o1, ss, 1, "-O colour: html takes no such option (valid: width=N, height=N, "
            "title=TEXT, overlay, yellow=[MNEMONIC:]LO,HI, red=[MNEMONIC:]LO,HI, "
            "nominal=[MNEMONIC:]V, ymin=V, ymax=V, count, max-gap=DUR, max-points=N)");
    const char *o2[] = {"width=10", NULL};
    refused("png", o2, ss, 1, "-O width=10: give a whole number of pixels (points for SVG and "
            "PDF) from 200 to 10000, e.g. -O width=1600");
    const char *o3[] = {"yellow=5", NULL};
    refused("svg", o3, ss, 1, "-O yellow=5: give LO,HI, two numbers with LO below HI; leave one "
            "out for a one-sided limit, and put MNEMONIC: before them for one mnemonic's (e.g. "
            "-O yellow=-0.5,0.5, -O yellow=,30 or -O yellow=SA_ZATTEST1:-0.5,0.5)");
    const char *o4[] = {"red=2,1", NULL};
    refused("pdf", o4, ss, 1, "-O red=2,1: give LO,HI, two numbers with LO below HI; leave one "
            "out for a one-sided limit, and put MNEMONIC: before them for one mnemonic's (e.g. "
            "-O red=-0.5,0.5, -O red=,30 or -O red=SA_ZATTEST1:-0.5,0.5)");
    const char *o4b[] = {"red=SA-Z:1,2", NULL};
    refused("pdf", o4b, ss, 1, "-O red=SA-Z:1,2: give LO,HI, two numbers with LO below HI; leave "
            "one out for a one-sided limit, and put MNEMONIC: before them for one mnemonic's "
            "(e.g. -O red=-0.5,0.5, -O red=,30 or -O red=SA_ZATTEST1:-0.5,0.5)");
    const char *o5[] = {"nominal=abc", NULL};
    refused("png", o5, ss, 1, "-O nominal=abc: give a finite number, with MNEMONIC: before it for "
            "one mnemonic's (e.g. -O nominal=0.5 or -O nominal=SA_ZATTEST1:0.5)");
    const char *o6[] = {"max-gap=0s", NULL};
    refused("png", o6, ss, 1, "-O max-gap=0s: give a duration longer than 0 (e.g. "
            "-O max-gap=5min) or none");
    const char *o7[] = {"overlay=yes", NULL};
    refused("png", o7, ss, 1, "-O overlay takes no value (every mnemonic in one panel, with a "
            "legend)");
    const char *o8[] = {"date", NULL};
    refused("png", o8, ss, 1, "-O date: png takes no such option (valid: width=N, height=N, "
            "title=TEXT, overlay, yellow=[MNEMONIC:]LO,HI, red=[MNEMONIC:]LO,HI, "
            "nominal=[MNEMONIC:]V, ymin=V, ymax=V, count, max-gap=DUR)");
    /* checked together, when the plot is written */
    const char *o9[] = {"yellow=-2,2", "red=-1,1", NULL};
    refused("png", o9, ss, 1, "the low yellow limit -2 lies beyond the red one -1: the yellow "
            "limits are the inner ones (red <= yellow <= red)");
    const char *o9b[] = {"yellow=-2,2", "red=-3,3", "red=sa_zone:-3,1.5", NULL};
    refused("png", o9b, ss, 1, "SA_ZONE: the high yellow limit 2 lies beyond the red one 1.5: "
            "the yellow limits are the inner ones (red <= yellow <= red)");
    const char *o10[] = {"ymin=3", "ymax=1", NULL};
    refused("svg", o10, ss, 1, "-O ymin=3 is not below -O ymax=1");
    /* too small a height: the message names the least that works, and it does */
    const char *o11[] = {"height=150", NULL};
    edb_series *many[6] = {s, s, s, s, s, s};
    char msg[1024];
    ck_assert_int_eq(write_plot(in_tmp("small.png"), "png", (const edb_series *const *)many, 6,
                                NULL, o11, &run_1h, msg, sizeof msg), EDB_ERR_USAGE);
    int least = 0;
    ck_assert_int_eq(sscanf(msg, "-O height=150 is too small for 6 panels at this width: give "
                            "at least %d", &least), 1);
    ck_assert_int_gt(least, 150);
    char h[32];
    snprintf(h, sizeof h, "height=%d", least - 1);
    const char *o12[] = {h, NULL};
    ck_assert_int_eq(write_plot(in_tmp("small.png"), "png", (const edb_series *const *)many, 6,
                                NULL, o12, &run_1h, msg, sizeof msg), EDB_ERR_USAGE);
    snprintf(h, sizeof h, "height=%d", least);
    write_ok(in_tmp("small.png"), "png", (const edb_series *const *)many, 6, NULL, o12);
    /* one-sided limits are fine */
    const char *ok[] = {"yellow=,1.5", "red=0.5,", NULL};
    write_ok(in_tmp("one-sided.png"), "png", ss, 1, NULL, ok);
    edb_series_free(s);
}
END_TEST

/* Limits for every panel, and a mnemonic's own, which win for that mnemonic. */
START_TEST(limits_per_mnemonic)
{
    static const double sec[] = {0, 1};
    static const double v[] = {1, 2};
    edb_series *s[3];
    s[0] = series_of("SA_ZONE", sec, v, 2);
    s[1] = series_of("SA_ZTWO", sec, v, 2);
    s[2] = state_series();
    edb__plot_opts o;
    memset(&o, 0, sizeof o);
    const char *keys[] = {"yellow", "red", "yellow", "nominal"};
    const char *vals[] = {"-5,5", "-9,", "sa_zone:-1,1", "SA_ZTWO:0.5"};
    edb_err err = EDB_ERR_INIT;
    edb__wctx c = {.run = &run_1h, .err = &err, .opt_keys = keys, .opt_vals = vals,
                   .n_opts = 4};
    ck_assert_int_eq(edb__plot_opts_read(&o, &c), EDB_OK);
    edb__plot *p = model((const edb_series *const *)s, 3, &o);
    const edb__plot_limits *a = &p->p[0].lim, *b = &p->p[1].lim;
    ck_assert(a->has_yellow[0] && a->has_yellow[1] && a->yellow[0] == -1 && a->yellow[1] == 1);
    ck_assert(a->has_red[0] && !a->has_red[1] && a->red[0] == -9 && !a->has_nominal);
    ck_assert(b->has_yellow[0] && b->yellow[0] == -5 && b->yellow[1] == 5);
    ck_assert(b->has_red[0] && b->has_nominal && b->nominal == 0.5);
    ck_assert(!p->p[2].limits); /* states have none */
    edb__plot_free(p);
    const char *opts[] = {"yellow=-5,5", "red=-9,", "yellow=sa_zone:-1,1", "nominal=SA_ZTWO:0.5",
                          NULL};
    const char *path = in_tmp("per.svg");
    write_ok(path, "svg", (const edb_series *const *)s, 3, NULL, opts);
    const char *args[] = {"svg", path, "yellow limits -1, 1", "yellow limits -5, 5",
                          "red limit \xe2\x89\xa5 -9", "nominal 0.5", NULL};
    check_plots(args);
    for (int k = 0; k < 3; k++)
        edb_series_free(s[k]);
}
END_TEST

/* More panels than can be read: refused before anything is drawn. */
START_TEST(too_many_panels)
{
    static const double sec[] = {0, 1};
    static const double v[] = {1, 2};
    edb_series *s[25];
    for (int k = 0; k < 25; k++) {
        char name[32];
        snprintf(name, sizeof name, "SA_ZM%02d", k);
        s[k] = series_of(name, sec, v, 2);
    }
    refused("png", NULL, (const edb_series *const *)s, 25, "a plot shows at most 24 panels; this "
            "one would need 25 (25 mnemonics): split the mnemonics over several plots, or use "
            "another format for this many");
    const char *ov[] = {"overlay", NULL};
    refused("svg", ov, (const edb_series *const *)s, 25, "a plot shows at most 24 lines and "
            "panels; this one would need 25 (25 mnemonics): split the mnemonics over several "
            "plots, or use another format for this many");
    write_ok(in_tmp("24.png"), "png", (const edb_series *const *)s, 24, NULL, NULL);
    for (int k = 0; k < 25; k++)
        edb_series_free(s[k]);
}
END_TEST

static char *render(const char *name, const char *format, const edb_series *const *s, size_t n,
                    const char *const *opts, size_t *len)
{
    const char *p = in_tmp(name);
    write_ok(p, format, s, n, NULL, opts);
    char *b = tu_read_file(p, len);
    ck_assert(b);
    return b;
}

/* The same inputs, the same bytes; the PDF has no date unless asked. */
START_TEST(deterministic)
{
    edb_series *s[2];
    s[0] = busy_series("SA_ZBUSY", 5000, 0);
    s[1] = state_series();
    static const char *const fmts[] = {"png", "svg", "pdf", "html"};
    for (int f = 0; f < 4; f++) {
        size_t a, b;
        char *x = render("d1", fmts[f], (const edb_series *const *)s, 2, NULL, &a);
        char *y = render("d2", fmts[f], (const edb_series *const *)s, 2, NULL, &b);
        ck_assert_msg(a == b && memcmp(x, y, a) == 0, "%s differs between two runs", fmts[f]);
        if (f == 2) {
            ck_assert(memmem(x, a, "%PDF-1.5", 8) == x);
            ck_assert(memmem(x, a, "/CreationDate", 13) == NULL);
            ck_assert(memmem(x, a, "/ModDate", 8) == NULL);
            ck_assert(memmem(x, a, "/Creator (edbx 0.1.0)", 21) != NULL);
        }
        free(x);
        free(y);
    }
    /* asked for: the run time, 2021-01-26T02:30:00Z here */
    const char *opts[] = {"date", NULL};
    size_t n;
    char *x = render("d3", "pdf", (const edb_series *const *)s, 2, opts, &n);
    /* (cairo 1.16 leaves out the "D:" of PDF dates; pdfinfo reads them all the same) */
    ck_assert(memmem(x, n, "/CreationDate (20210126023000Z)", 31) != NULL);
    free(x);
    edb_series_free(s[0]);
    edb_series_free(s[1]);
}
END_TEST

/* The HTML page's data: every sample, exactly, with a null at each break; states by their
 * index; past -O max-points, M4 on max-points / 4 columns. */
START_TEST(html_data)
{
    static const double sec[] = {0, 1, 2, 3, 40, 41};
    double v[] = {0.1, 0.30000000000000004, -2.5e-300, 7, 8, 9};
    edb_series *s[2];
    s[0] = series_of("SA_ZONE", sec, v, 6); /* spacings 1 1 1 37 1: a break before 40 s */
    s[1] = state_series();
    const char *p = in_tmp("h.html");
    write_ok(p, "html", (const edb_series *const *)s, 2, NULL, NULL);
    size_t len;
    char *page = tu_read_file(p, &len);
    const char *a = strstr(page, "<script type=\"application/json\" id=\"edbx-data\">");
    ck_assert(a);
    a = strchr(a, '>') + 1;
    const char *b = strstr(a, "</script>");
    json_error_t je;
    json_t *j = json_loadb(a, (size_t)(b - a), 0, &je);
    ck_assert_msg(j, "%s", je.text);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "t0_us")), T0);
    json_t *tr = json_array_get(json_object_get(json_array_get(json_object_get(j, "panels"), 0),
                                                "traces"), 0);
    json_t *t = json_object_get(tr, "t"), *jv = json_object_get(tr, "v");
    static const int64_t want_t[] = {0, 1000000, 2000000, 3000000, 21500000, 40000000, 41000000};
    ck_assert_uint_eq(json_array_size(t), 7);
    for (size_t k = 0; k < 7; k++) {
        ck_assert_int_eq(json_integer_value(json_array_get(t, k)), want_t[k]);
        json_t *x = json_array_get(jv, k);
        if (k == 4)
            ck_assert(json_is_null(x));
        else
            ck_assert(json_real_value(x) == v[k < 4 ? k : k - 1] ||
                      (json_is_integer(x) && (double)json_integer_value(x) == v[k < 4 ? k : k - 1]));
    }
    json_t *p1 = json_array_get(json_object_get(j, "panels"), 1);
    ck_assert_str_eq(json_string_value(json_object_get(p1, "kind")), "states");
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(p1, "states"), 2)),
                     "SAFE MODE");
    json_t *sv = json_object_get(json_array_get(json_object_get(p1, "traces"), 0), "v");
    static const int want_code[] = {0, 1, 2, 1, 0};
    for (size_t k = 0; k < 5; k++)
        ck_assert_int_eq(json_integer_value(json_array_get(sv, k)), want_code[k]);
    json_decref(j);
    /* nothing in the page can end its script early or fetch anything */
    ck_assert(strstr(page, "<script src") == NULL && strstr(page, "<link") == NULL);
    free(page);
    edb_series_free(s[0]);
    edb_series_free(s[1]);

    /* 10000 samples, max-points=1000: 250 columns, at most 4 samples each, the extremes in */
    edb_series *big;
    edb_series_new(&big, "SA_ZBIG");
    edb_series_set_type(big, EDB_VT_REAL);
    for (int k = 0; k < 10000; k++)
        edb_series_push_real(big, T0 + (edb_time)k * 360000, k == 4321 ? 100.0 : k == 777 ? -100.0 : sin(k));
    const char *opts[] = {"max-points=1000", NULL};
    write_ok(p, "html", (const edb_series *const *)&big, 1, NULL, opts);
    page = tu_read_file(p, &len);
    a = strchr(strstr(page, "id=\"edbx-data\">"), '>') + 1;
    b = strstr(a, "</script>");
    j = json_loadb(a, (size_t)(b - a), 0, &je);
    ck_assert_msg(j, "%s", je.text);
    tr = json_array_get(json_object_get(json_array_get(json_object_get(j, "panels"), 0), "traces"), 0);
    ck_assert(json_is_true(json_object_get(tr, "decimated")));
    ck_assert_int_eq(json_integer_value(json_object_get(tr, "samples")), 10000);
    jv = json_object_get(tr, "v");
    ck_assert_uint_le(json_array_size(jv), 1000);
    ck_assert_uint_ge(json_array_size(jv), 250);
    int have_max = 0, have_min = 0;
    for (size_t k = 0; k < json_array_size(jv); k++) {
        double x = json_number_value(json_array_get(jv, k));
        have_max |= x == 100.0;
        have_min |= x == -100.0;
    }
    ck_assert(have_max && have_min);
    json_decref(j);
    free(page);
    edb_series_free(big);
}
END_TEST

/* What no telemetry should hold still draws: infinities, huge values, one sample, equal
 * times, times at the ends of time, a table with no value at all. */
START_TEST(hostile_values)
{
    edb_series *s[4];
    edb_series_new(&s[0], "SA_ZODD");
    edb_series_set_type(s[0], EDB_VT_REAL);
    static const double odd[] = {INFINITY, -INFINITY, 1e308, -1e308, NAN, 0, 5e-324};
    for (int k = 0; k < 7; k++)
        edb_series_push_real(s[0], T0 + (k / 2) * SEC, odd[k]); /* equal times in pairs */
    edb_series_new(&s[1], "SA_ZONE");
    edb_series_set_type(s[1], EDB_VT_INT);
    edb_series_push_int(s[1], T0 + 5 * SEC, INT64_MIN);
    edb_series_new(&s[2], "SA_ZFAR");
    edb_series_set_type(s[2], EDB_VT_REAL);
    edb_series_push_real(s[2], INT64_MIN / 4, 1);
    edb_series_push_real(s[2], INT64_MAX / 4, 2);
    edb_series_new(&s[3], "SA_ZEND");
    edb_series_set_type(s[3], EDB_VT_INT);
    edb_series_push_int(s[3], INT64_MIN, 1);
    edb_series_push_int(s[3], INT64_MAX, INT64_MAX);
    static const char *const fmts[] = {"png", "svg", "pdf", "html"};
    for (int f = 0; f < 4; f++) {
        char name[32];
        snprintf(name, sizeof name, "odd.%s", fmts[f]);
        for (int k = 0; k < 4; k++)
            write_ok(in_tmp(name), fmts[f], (const edb_series *const *)&s[k], 1, NULL, NULL);
        write_ok(in_tmp(name), fmts[f], (const edb_series *const *)s, 4, NULL, NULL);
    }
    edb_table *t;
    edb_column *c;
    edb_table_new(&t, 3);
    for (int r = 0; r < 3; r++)
        t->t[r] = T0 + r * SEC;
    edb_table_add_column(t, "SA_ZONE_mean", "SA_ZONE", "mean", EDB_VT_REAL, &c);
    edb_table_add_column(t, "SA_ZONE_std", "SA_ZONE", "std", EDB_VT_REAL, &c);
    edb_table_add_column(t, "SA_ZSTR", "SA_ZSTR", NULL, EDB_VT_STRING, &c);
    for (int f = 0; f < 4; f++)
        write_ok(in_tmp("t.out"), fmts[f], NULL, 0, t, NULL);
    edb_table_free(t);
    for (int k = 0; k < 4; k++)
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
    tcase_add_test(tc, m4_selection);
    tcase_add_test(tc, gap_rule);
    tcase_add_test(tc, time_ticks);
    tcase_add_test(tc, value_labels);
    tcase_add_test(tc, png_colours);
    tcase_add_test(tc, svg_text);
    tcase_add_test(tc, empty);
    tcase_add_test(tc, stats_table);
    tcase_add_test(tc, overlay);
    tcase_add_test(tc, options_refused);
    tcase_add_test(tc, too_many_panels);
    tcase_add_test(tc, limits_per_mnemonic);
    tcase_add_test(tc, deterministic);
    tcase_add_test(tc, html_data);
    tcase_add_test(tc, hostile_values);
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
