/* test_e2e_plot.c: `edbx get ... -o x.png|svg|pdf|html` end to end, from the real 2021
 * recording in fixtures/ (--source), and read back with other programs: cairo (PNG),
 * Python's xml (SVG, tests/interop/check_plots.py), pdfinfo (poppler-utils), headless
 * Chromium (HTML), jansson (the HTML's data against the recording's JSON).
 *
 * Also: statistics and states through the command line, --meta units, an empty range,
 * byte-identical reruns under a different clock, the PDF's date when asked, refusals
 * (exit 2, nothing left behind), too many mnemonics, and a bundle that replays a plot. */
#include <check.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cairo.h>

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

static const char *store(void)
{
    static char p[4200];
    snprintf(p, sizeof p, "%s", tu_fixture("jwst-2021-01-26"));
    return p;
}

/* SOURCE_DATE_EPOCH 2024-05-01T12:00:00Z (date -u -d @1714564800) unless sde says. */
static int edbx(tu_run *r, const char *const *args, const char *sde)
{
    char e[64], cache[4300];
    snprintf(e, sizeof e, "SOURCE_DATE_EPOCH=%s", sde ? sde : "1714564800");
    snprintf(cache, sizeof cache, "XDG_CACHE_HOME=%s/cache", tmp);
    const char *env[] = {e, cache, NULL};
    return tu_edbx_run(r, tmp, NULL, args, env);
}

/* get MNEMONICS... over [a, b] from the recording into out, with more arguments. */
/* edbx get ... -o out: exit 0 and exactly want_err on stderr. */
static void get_said(const char *out, const char *a, const char *b, const char *const *names,
                     const char *const *more, const char *sde, const char *want_err);

static void get_ok(const char *out, const char *a, const char *b, const char *const *names,
                   const char *const *more, const char *sde)
{
    get_said(out, a, b, names, more, sde, "");
}

static void get_said(const char *out, const char *a, const char *b, const char *const *names,
                     const char *const *more, const char *sde, const char *want_err)
{
    const char *args[64];
    size_t n = 0;
    args[n++] = "get";
    for (; *names; names++)
        args[n++] = *names;
    args[n++] = "--start";
    args[n++] = a;
    args[n++] = "--end";
    args[n++] = b;
    args[n++] = "--source";
    args[n++] = store();
    args[n++] = "-o";
    args[n++] = out;
    for (; more && *more; more++)
        args[n++] = *more;
    args[n] = NULL;
    tu_run r;
    int st = edbx(&r, args, sde);
    ck_assert_msg(st == 0, "exit %d: %s", st, r.err);
    ck_assert_str_eq(r.err, want_err);
    tu_run_free(&r);
}

static void python(const char *const *args)
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

/* Samples of a mnemonic in [a_ms, b_ms] of the recording, read from its JSON here. */
static size_t recorded(const char *mnemonic, int64_t a_ms, int64_t b_ms, int64_t *t_ms,
                       double *v, size_t max)
{
    char lower[64], rel[128];
    size_t k = 0;
    for (; mnemonic[k] && k < sizeof lower - 1; k++)
        lower[k] = (char)(mnemonic[k] >= 'A' && mnemonic[k] <= 'Z' ? mnemonic[k] + 32 : mnemonic[k]);
    lower[k] = '\0';
    snprintf(rel, sizeof rel, "jwst-2021-01-26/%s_data.json", lower);
    json_error_t je;
    json_t *j = json_load_file(tu_fixture(rel), 0, &je);
    ck_assert_msg(j, "%s", je.text);
    json_t *d = json_object_get(j, "Data");
    size_t n = 0;
    for (size_t q = 0; q < json_array_size(d); q++) {
        json_t *row = json_array_get(d, q);
        long long ms;
        ck_assert(sscanf(json_string_value(json_object_get(row, "ObsTime")), "/Date(%lld", &ms) == 1);
        if (ms < a_ms || ms > b_ms)
            continue;
        if (n < max) {
            t_ms[n] = ms;
            v[n] = json_number_value(json_object_get(row, "EUValue"));
        }
        n++;
    }
    json_decref(j);
    return n;
}

/* 2021-01-26T02:29:00Z and 02:35:00Z in ms (date -u -d 2021-01-26T02:29:00Z +%s = 1611628140) */
#define A_MS INT64_C(1611628140000)
#define B_MS INT64_C(1611628500000)
#define A_TXT "2021-01-26T02:29:00"
#define B_TXT "2021-01-26T02:35:00"

static const char *const THREE[] = {"SA_ZATTEST1", "SA_ZFGDETID", "SA_ZFGGSPOSX", NULL};

static int only_file_left(const char *name)
{
    DIR *dd = opendir(tmp);
    struct dirent *e;
    int others = 0;
    while ((e = readdir(dd)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
            (!name || strcmp(e->d_name, name)) && strcmp(e->d_name, "cache"))
            others++;
    closedir(dd);
    return others == 0 && (!name || tu_exists(in_tmp(name)));
}

START_TEST(png_from_fixtures)
{
    const char *more[] = {"-O", "yellow=SA_ZATTEST1:-0.2095472,-0.2095466", NULL};
    get_ok(in_tmp("x.png"), A_TXT, B_TXT, THREE, more, NULL);
    ck_assert(only_file_left("x.png"));
    cairo_surface_t *img = cairo_image_surface_create_from_png(in_tmp("x.png"));
    ck_assert_int_eq(cairo_surface_status(img), CAIRO_STATUS_SUCCESS);
    int w = cairo_image_surface_get_width(img), h = cairo_image_surface_get_height(img);
    ck_assert_int_eq(w, 1200);
    ck_assert_int_gt(h, 3 * 150);
    cairo_surface_flush(img);
    const unsigned char *d = cairo_image_surface_get_data(img);
    int stride = cairo_image_surface_get_stride(img);
    size_t yellow = 0, line = 0, band_top = (size_t)h, band_bottom = 0;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            uint32_t c = *(const uint32_t *)(d + (size_t)y * stride + (size_t)x * 4) & 0xffffff;
            if (c == 0xffec99) { /* the yellow band */
                yellow++;
                band_top = (size_t)y < band_top ? (size_t)y : band_top;
                band_bottom = (size_t)y > band_bottom ? (size_t)y : band_bottom;
            }
            line += c == 0x1f4e9c; /* the lines */
        }
    ck_assert_uint_gt(yellow, 1000);
    ck_assert_uint_gt(line, 1000);
    /* the band belongs to SA_ZATTEST1, the first of three panels: the top third only */
    ck_assert_uint_lt(band_bottom, (size_t)h / 2);
    cairo_surface_destroy(img);
}
END_TEST

START_TEST(svg_from_fixtures)
{
    const char *more[] = {"-O", "yellow=SA_ZATTEST1:-0.2095472,-0.2095466", NULL};
    get_ok(in_tmp("x.svg"), A_TXT, B_TXT, THREE, more, NULL);
    ck_assert(only_file_left("x.svg"));
    const char *args[] = {"svg", in_tmp("x.svg"), "SA_ZATTEST1, SA_ZFGDETID, SA_ZFGGSPOSX",
                          "2021-01-26 02:29:00 to 02:35:00 UTC", "SA_ZATTEST1", "SA_ZFGDETID",
                          "SA_ZFGGSPOSX", "time (UTC)", "02:30", "2021-01-26",
                          "yellow limits -0.2095472, -0.2095466", "-0.2095466", NULL};
    python(args);
}
END_TEST

START_TEST(pdf_from_fixtures)
{
    get_ok(in_tmp("x.pdf"), A_TXT, B_TXT, THREE, NULL, NULL);
    ck_assert(only_file_left("x.pdf"));
    const char *argv[] = {"/usr/bin/pdfinfo", in_tmp("x.pdf"), NULL};
    tu_run r;
    ck_assert_int_eq(tu_run_cmd(&r, argv, NULL), 0);
    ck_assert_msg(strstr(r.out, "Title:           SA_ZATTEST1, SA_ZFGDETID, SA_ZFGGSPOSX\n") &&
                  strstr(r.out, "Creator:         edbx 0.1.0\n") &&
                  strstr(r.out, "Producer:        cairo 1.16.0") &&
                  strstr(r.out, "Pages:           1\n") &&
                  strstr(r.out, "Page size:       800 x "), "%s", r.out);
    /* no date unless asked */
    ck_assert_msg(!strstr(r.out, "CreationDate") && !strstr(r.out, "ModDate"), "%s", r.out);
    tu_run_free(&r);
    /* asked: the run's time, here SOURCE_DATE_EPOCH */
    const char *more[] = {"-O", "date", NULL};
    get_ok(in_tmp("d.pdf"), A_TXT, B_TXT, THREE, more, NULL);
    const char *argv2[] = {"/usr/bin/pdfinfo", in_tmp("d.pdf"), NULL};
    ck_assert_int_eq(tu_run_cmd(&r, argv2, NULL), 0);
    ck_assert_msg(strstr(r.out, "CreationDate:    Wed May  1 12:00:00 2024 UTC\n"), "%s", r.out);
    tu_run_free(&r);
}
END_TEST

/* The page opens in Chromium with no network and no console message, draws every chart,
 * and holds exactly the samples of the query. */
START_TEST(html_from_fixtures)
{
    const char *more[] = {"-O", "yellow=SA_ZATTEST1:-0.2095472,-0.2095466", NULL};
    get_ok(in_tmp("x.html"), A_TXT, B_TXT, THREE, more, NULL);
    ck_assert(only_file_left("x.html"));
    static int64_t t[4000];
    static double v[4000];
    size_t n = 0;
    for (int k = 0; THREE[k]; k++)
        n += recorded(THREE[k], A_MS, B_MS, t, v, 4000);
    char charts[8], points[32];
    snprintf(charts, sizeof charts, "3");
    snprintf(points, sizeof points, "%zu", n);
    const char *args[] = {"chromium", in_tmp("x.html"), charts, points, NULL};
    python(args);

    /* The data of SA_ZATTEST1, sample by sample, against the recording. */
    size_t len;
    char *page = tu_read_file(in_tmp("x.html"), &len);
    const char *a = strstr(page, "id=\"edbx-data\">");
    ck_assert(a);
    a += strlen("id=\"edbx-data\">");
    const char *b = strstr(a, "</script>");
    json_error_t je;
    json_t *j = json_loadb(a, (size_t)(b - a), 0, &je);
    ck_assert_msg(j, "%s", je.text);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "t0_us")), A_MS * 1000);
    json_t *tr = json_array_get(json_object_get(json_array_get(json_object_get(j, "panels"), 0),
                                                "traces"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(tr, "label")), "SA_ZATTEST1");
    size_t m = recorded("SA_ZATTEST1", A_MS, B_MS, t, v, 4000);
    json_t *jt = json_object_get(tr, "t"), *jv = json_object_get(tr, "v");
    ck_assert_uint_eq(json_array_size(jt), m);
    for (size_t k = 0; k < m; k++) {
        ck_assert_int_eq(json_integer_value(json_array_get(jt, k)), (t[k] - A_MS) * 1000);
        ck_assert(json_number_value(json_array_get(jv, k)) == v[k]);
    }
    json_decref(j);
    free(page);
}
END_TEST

/* Two runs with different clocks: the same bytes, in every format. */
START_TEST(same_bytes_twice)
{
    static const char *const ext[] = {"png", "svg", "pdf", "html"};
    for (int k = 0; k < 4; k++) {
        char a[32], b[32];
        snprintf(a, sizeof a, "a.%s", ext[k]);
        snprintf(b, sizeof b, "b.%s", ext[k]);
        get_ok(in_tmp(a), A_TXT, B_TXT, THREE, NULL, "1714564800");
        get_ok(in_tmp(b), A_TXT, B_TXT, THREE, NULL, "1800000000");
        size_t la, lb;
        char *x = tu_read_file(in_tmp(a), &la), *y = tu_read_file(in_tmp(b), &lb);
        ck_assert_msg(la == lb && memcmp(x, y, la) == 0, "%s differs between two runs", ext[k]);
        free(x);
        free(y);
    }
}
END_TEST

/* To standard output (-o - with --format): the bytes of the file, nothing else. */
START_TEST(stdout_same_as_file)
{
    static const char *const fmts[] = {"png", "svg", "pdf", "html"};
    for (int k = 0; k < 4; k++) {
        char name[32];
        snprintf(name, sizeof name, "f.%s", fmts[k]);
        get_ok(in_tmp(name), A_TXT, B_TXT, THREE, NULL, NULL);
        const char *args[] = {"get", "SA_ZATTEST1", "SA_ZFGDETID", "SA_ZFGGSPOSX", "--start",
                              A_TXT, "--end", B_TXT, "--source", store(), "--format", fmts[k],
                              "-o", "-", NULL};
        tu_run r;
        ck_assert_int_eq(edbx(&r, args, NULL), 0);
        size_t len;
        char *file = tu_read_file(in_tmp(name), &len);
        ck_assert_msg(r.out_len == len && memcmp(r.out, file, len) == 0,
                      "%s: standard output differs from the file", fmts[k]);
        free(file);
        tu_run_free(&r);
    }
}
END_TEST

/* Statistics from the command line: mean, bands, counts. */
START_TEST(statistics)
{
    const char *one[] = {"SA_ZATTEST1", NULL};
    const char *more[] = {"--every", "1min", "--stats", "mean,std,min,max,count", "-O", "count",
                          NULL};
    get_ok(in_tmp("s.svg"), A_TXT, B_TXT, one, more, NULL);
    const char *args[] = {"svg", in_tmp("s.svg"), "mean", "mean \xc2\xb1 std", "min \xe2\x80\x93 max",
                          "count",
                          "2021-01-26 02:29:00 to 02:35:00 UTC; statistics: mean, \xc2\xb1 std, min "
                          "\xe2\x80\x93 max per 1min bin (drawn at its middle)", NULL};
    python(args);
    const char *daily[] = {"--daily", NULL};
    get_ok(in_tmp("daily.png"), A_TXT, B_TXT, one, daily, NULL);
    const char *where[] = {"--where", "SA_ZFGDETID == 1", "--every", "10s", NULL};
    get_ok(in_tmp("where.png"), A_TXT, B_TXT, one, where, NULL);
}
END_TEST

/* A store with a state mnemonic (change-only strings) and --meta units and descriptions. */
START_TEST(states_and_units)
{
    char dir[4300];
    snprintf(dir, sizeof dir, "%s/store", tmp);
    ck_assert_int_eq(mkdir(dir, 0755), 0);
    FILE *f = fopen(tu_path(dir, "meta.json"), "w");
    fputs("{\"Count\": 2, \"TlmMnemonics\": [{\"TlmMnemonic\": \"SA_ZSTATE\", \"Subsystem\": "
          "\"ACS\", \"RawType\": \"CS\", \"EUType\": \"CS\", \"SQLType\": \"VARCHAR(20)\", "
          "\"AllPoints\": 0}, {\"TlmMnemonic\": \"SA_ZTEMP\", \"Subsystem\": \"ACS\", "
          "\"RawType\": \"FL32\", \"EUType\": \"FL32\", \"SQLType\": \"REAL\", \"AllPoints\": 1}]}",
          f);
    fclose(f);
    static const char *const st[] = {"STANDBY", "FINE_GUIDE", "TRACK", "STANDBY"};
    f = fopen(tu_path(dir, "sa_zstate_data.json"), "w");
    fputs("{\"TlmMnemonic\": \"SA_ZSTATE\", \"AllPoints\": 0, \"Count\": 4, \"Data\": [", f);
    for (int k = 0; k < 4; k++)
        fprintf(f, "%s{\"ObsTime\": \"/Date(%lld+0000)/\", \"EUValue\": \"%s\"}", k ? ", " : "",
                (long long)(A_MS + k * 60000), st[k]);
    fputs("]}", f);
    fclose(f);
    f = fopen(tu_path(dir, "sa_ztemp_data.json"), "w");
    fputs("{\"TlmMnemonic\": \"SA_ZTEMP\", \"AllPoints\": 1, \"Count\": 360, \"Data\": [", f);
    for (int k = 0; k < 360; k++)
        fprintf(f, "%s{\"ObsTime\": \"/Date(%lld+0000)/\", \"EUValue\": %d.5}", k ? ", " : "",
                (long long)(A_MS + k * 1000), 20 + k % 7);
    fputs("]}", f);
    fclose(f);
    f = fopen(in_tmp("inventory.csv"), "w");
    fputs("description,sqlDataType,subsystem,tlmIdentifier,tlmMnemonic,unit\n"
          "Propellant tank temperature,real,ACS,1,SA_ZTEMP,degC\n"
          "Guider state,varchar,ACS,2,SA_ZSTATE,\n", f);
    fclose(f);
    const char *args[] = {"get", "SA_ZSTATE", "SA_ZTEMP", "--start", A_TXT, "--end", B_TXT,
                          "--source", dir, "--meta", in_tmp("inventory.csv"), "-o",
                          in_tmp("st.svg"), NULL};
    tu_run r;
    ck_assert_msg(edbx(&r, args, NULL) == 0, "%s", r.err);
    tu_run_free(&r);
    const char *check[] = {"svg", in_tmp("st.svg"), "SA_ZSTATE", "STANDBY", "FINE_GUIDE", "TRACK",
                           "Guider state", "SA_ZTEMP [degC]", "Propellant tank temperature",
                           NULL};
    python(check);
    args[12] = in_tmp("st.html");
    ck_assert_msg(edbx(&r, args, NULL) == 0, "%s", r.err);
    tu_run_free(&r);
    const char *chromium[] = {"chromium", in_tmp("st.html"), "2", "364", NULL};
    python(chromium);
}
END_TEST

/* Nothing in the range: a frame that says so, exit 0. */
START_TEST(empty_range)
{
    const char *one[] = {"SA_ZATTEST1", NULL};
    /* exit 0, with the warning every empty raw query gives (the last sample before) */
    const char *warn = "edbx: warning: SA_ZATTEST1: no sample in range; the value held since "
                       "2021-01-26T02:35:50.249 is -0.209547073: use --every or --brackets to "
                       "carry it\n";
    get_said(in_tmp("e.svg"), "2021-01-26T05:00:00", "2021-01-26T05:01:00", one, NULL, NULL,
             warn);
    const char *args[] = {"svg", in_tmp("e.svg"), "no data in range", "SA_ZATTEST1",
                          "2021-01-26 05:00:00 to 05:01:00 UTC", NULL};
    python(args);
    get_said(in_tmp("e.png"), "2021-01-26T05:00:00", "2021-01-26T05:01:00", one, NULL, NULL,
             warn);
    /* on a grid: linear does not extrapolate, so no row has a value, and that is said */
    const char *grid[] = {"--every", "10s", NULL};
    get_said(in_tmp("g.png"), "2021-01-26T05:00:00", "2021-01-26T05:01:00", one, grid, NULL,
             "edbx: warning: SA_ZATTEST1: no value in the range (no sample in it or near "
             "enough to hold or interpolate from): the output holds none\n");
    ck_assert(tu_exists(in_tmp("e.png")));
}
END_TEST

static void refused(const char *const *more, const char *const *names, const char *out,
                    const char *want_err)
{
    const char *args[64];
    size_t n = 0;
    args[n++] = "get";
    for (; *names; names++)
        args[n++] = *names;
    const char *tail[] = {"--start", A_TXT, "--end", B_TXT, "-o", out, NULL};
    for (const char *const *p = tail; *p; p++)
        args[n++] = *p;
    args[n++] = "--source";
    args[n++] = store();
    for (; *more; more++)
        args[n++] = *more;
    args[n] = NULL;
    tu_run r;
    int st = edbx(&r, args, NULL);
    ck_assert_msg(st == 2, "exit %d: %s", st, r.err);
    ck_assert_str_eq(r.err, want_err);
    tu_run_free(&r);
    ck_assert(only_file_left(NULL));
}

/* Exit 2 with the key and what is valid; nothing left behind. */
START_TEST(bad_options)
{
    const char *o1[] = {"-O", "colour=red", NULL};
    refused(o1, THREE, in_tmp("x.png"), "edbx: -O colour: png takes no such option (valid: "
            "width=N, height=N, title=TEXT, overlay, yellow=[MNEMONIC:]LO,HI, "
            "red=[MNEMONIC:]LO,HI, nominal=[MNEMONIC:]V, ymin=V, ymax=V, count, max-gap=DUR)\n");
    const char *o2[] = {"-O", "width=wide", NULL};
    refused(o2, THREE, in_tmp("x.svg"), "edbx: -O width=wide: give a whole number of pixels "
            "(points for SVG and PDF) from 200 to 10000, e.g. -O width=1600\n");
    const char *o3[] = {"-O", "yellow=-2,2", "-O", "red=-1,1", NULL};
    refused(o3, THREE, in_tmp("x.pdf"), "edbx: the low yellow limit -2 lies beyond the red one -1: "
            "the yellow limits are the inner ones (red <= yellow <= red)\n");
    const char *o4[] = {"-O", "max-points=5", NULL};
    refused(o4, THREE, in_tmp("x.html"), "edbx: -O max-points=5: give a whole number from 1000 to "
            "100000000, e.g. -O max-points=2000000\n");
}
END_TEST

/* 25 mnemonics do not make a readable plot. */
/* Raw samples to a plot: --max-gap is where the plot's lines break, the same picture as
 * -O max-gap gives, byte for byte (it needs no grid there). */
START_TEST(max_gap_without_grid)
{
    const char *one[] = {"SA_ZFGDETID", NULL};
    const char *a[] = {"--max-gap", "5s", NULL}, *b[] = {"-O", "max-gap=5s", NULL},
               *c[] = {"-O", "max-gap=none", NULL};
    get_ok(in_tmp("a.png"), A_TXT, B_TXT, one, a, NULL);
    get_ok(in_tmp("b.png"), A_TXT, B_TXT, one, b, NULL);
    get_ok(in_tmp("c.png"), A_TXT, B_TXT, one, c, NULL);
    size_t la, lb, lc;
    char *da = tu_read_file(in_tmp("a.png"), &la), *db = tu_read_file(in_tmp("b.png"), &lb),
         *dc = tu_read_file(in_tmp("c.png"), &lc);
    ck_assert(la == lb && memcmp(da, db, la) == 0);
    /* SA_ZFGDETID reports every 8.2 s: a 5 s limit breaks every line, none draws them */
    ck_assert(la != lc || memcmp(da, dc, la) != 0);
    free(da);
    free(db);
    free(dc);
}
END_TEST

START_TEST(too_many_mnemonics)
{
    char *synth = tu_synthetic_store(25, 1);
    const char *args[40];
    size_t n = 0;
    char names[25][16];
    args[n++] = "get";
    for (int k = 0; k < 25; k++) {
        snprintf(names[k], sizeof names[k], "SA_ZTEST%d", k);
        args[n++] = names[k];
    }
    /* Refused before anything is fetched: the service sees no request. */
    char base[TU_BASE_LEN];
    edb_server_options so = EDB_SERVER_OPTIONS_INIT;
    edb_server *srv = tu_serve(so, synth, base);
    const char *tail[] = {"--start", "2022-03-01", "--end", "2022-03-02", "-o",
                          in_tmp("many.png"), NULL};
    for (const char *const *p = tail; *p; p++)
        args[n++] = *p;
    args[n] = NULL;
    char e[TU_BASE_LEN + 16], cache[4300];
    snprintf(e, sizeof e, "ENG_BASE_URL=%s", base);
    snprintf(cache, sizeof cache, "XDG_CACHE_HOME=%s/cache", tmp);
    const char *env[] = {e, cache, NULL};
    tu_run r;
    int st = tu_edbx_run(&r, tmp, base, args, env);
    ck_assert_msg(st == 2, "exit %d: %s", st, r.err);
    ck_assert_str_eq(r.err, "edbx: a png plot shows at most 24 panels, and this query has 25 "
                            "mnemonics: split them over several plots, or use another format "
                            "for this many\n");
    ck_assert_uint_eq(edb_server_requests(srv), 0);
    tu_run_free(&r);
    edb_server_stop(srv);
    ck_assert(only_file_left(NULL));
    tu_rmtree(synth);
    free(synth);
}
END_TEST

/* A bundle of a plot replays to the same picture. */
START_TEST(bundle_replays_plot)
{
    const char *more[] = {"--bundle", in_tmp("b.tar.gz"), "-O", "yellow=,-0.2095466", NULL};
    get_ok(in_tmp("p.png"), A_TXT, B_TXT, THREE, more, NULL);
    const char *args[] = {"replay", in_tmp("b.tar.gz"), NULL};
    tu_run r;
    int st = edbx(&r, args, "1800000000");
    ck_assert_msg(st == 0, "exit %d: %s%s", st, r.out, r.err);
    ck_assert_msg(strstr(r.out, "p.png: identical"), "%s", r.out);
    tu_run_free(&r);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("e2e_plot");
    TCase *tc = tcase_create("e2e_plot");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, png_from_fixtures);
    tcase_add_test(tc, svg_from_fixtures);
    tcase_add_test(tc, pdf_from_fixtures);
    tcase_add_test(tc, html_from_fixtures);
    tcase_add_test(tc, same_bytes_twice);
    tcase_add_test(tc, stdout_same_as_file);
    tcase_add_test(tc, statistics);
    tcase_add_test(tc, states_and_units);
    tcase_add_test(tc, empty_range);
    tcase_add_test(tc, bad_options);
    tcase_add_test(tc, max_gap_without_grid);
    tcase_add_test(tc, too_many_mnemonics);
    tcase_add_test(tc, bundle_replays_plot);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
