/* test_formats_interop.c: the writers' files opened by the tools their users have:
 * astropy, pandas and h5py (tests/interop/check_formats.py, run with /usr/bin/python3, the
 * interpreter Debian's python3-astropy, -pandas, -h5py and -tables install into) and
 * fitsverify.  Skips, saying why, only when those are not installed. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <edb/writer.h>

#include "formats_fixture.h"
#include "testutil.h"

static char *tmp;

/* opt: one -O option, or NULL */
static void out_opt(const char *name, const edb_series *const *s, size_t n, const char *opt)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", tmp, name);
    edb_writer_options o = EDB_WRITER_OPTIONS_INIT;
    o.run = &fx_run;
    if (opt) {
        o.options = &opt;
        o.n_options = 1;
    }
    edb_writer *w = NULL;
    edb_err err = EDB_ERR_INIT;
    ck_assert_msg(edb_writer_open(&w, path, &o, &err) == EDB_OK, "%s", err.msg);
    ck_assert_msg(edb_writer_write_series(w, s, n) == EDB_OK, "%s", edb_writer_errmsg(w));
    ck_assert_msg(edb_writer_close(w) == EDB_OK, "%s", edb_writer_errmsg(w));
    edb_writer_free(w);
}

static void out(const char *name, const edb_series *const *s, size_t n, int astropy_time)
{
    out_opt(name, s, n, astropy_time ? "astropy-time" : NULL);
}

static void out_wide(const char *name)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", tmp, name);
    edb_table *t = fx_wide();
    edb_writer_options o = EDB_WRITER_OPTIONS_INIT;
    o.run = &fx_run;
    edb_writer *w = NULL;
    edb_err err = EDB_ERR_INIT;
    ck_assert_msg(edb_writer_open(&w, path, &o, &err) == EDB_OK, "%s", err.msg);
    ck_assert_msg(edb_writer_write_table(w, t) == EDB_OK, "%s", edb_writer_errmsg(w));
    ck_assert_msg(edb_writer_close(w) == EDB_OK, "%s", edb_writer_errmsg(w));
    edb_writer_free(w);
    edb_table_free(t);
}

static edb_series *forty[40], *note, *big[3];

static void write_everything(void)
{
    const edb_series *const *all = (const edb_series *const *)fx_series;
    out("all.fits", all, FX_N, 0);
    out("all.h5", all, FX_N, 0);
    out("all.ecsv", all, FX_N, 0);
    out("all.csv", all, FX_N, 0);
    out("all.csv.gz", all, FX_N, 0);
    out("real.ecsv", all, 1, 0);
    out("real.csv", all, 1, 0);
    out("one.fits", all, 1, 0);
    out("ascii.fits", all + FX_INT, 2, 0);
    const edb_series *str[] = {fx_series[FX_STR]};
    out("strings_t.ecsv", str, 1, 1);
    out_wide("wide.fits");
    out_wide("wide.h5");
    out_wide("wide.ecsv");
    for (int k = 0; k < 40; k++) {
        char name[32];
        snprintf(name, sizeof name, "SA_ZTEST%02d", k);
        edb_series_new(&forty[k], name);
        edb_series_set_type(forty[k], EDB_VT_REAL);
        edb_series_push_real(forty[k], (FX_T0_MS + k) * 1000, k * 0.25);
    }
    out("forty.fits", (const edb_series *const *)forty, 40, 0);
    out("forty.h5", (const edb_series *const *)forty, 40, 0);
    /* comment lines (issue 10 item 5) and spreadsheet quoting (issue 15 item 12) */
    out_opt("comments.csv", all, FX_N, "header-comments");
    out_opt("comments.csv.gz", all, FX_N, "header-comments");
    static const char *const notes[] = {"#1", "a#b", "=1+2", "-5", "@x"};
    edb_series_new(&note, "IMIR_HK_NOTE");
    edb_series_set_type(note, EDB_VT_STRING);
    edb_series_set_meta(note, "", "free text # with a hash");
    for (int k = 0; k < 5; k++)
        edb_series_push_str(note, (FX_T0_MS + k) * 1000, notes[k], strlen(notes[k]));
    const edb_series *one[] = {note};
    out_opt("hash.csv", one, 1, "header-comments");
    out_opt("safe.csv", one, 1, "safe");
    out_opt("safe.ecsv", one, 1, "safe");
    /* many chunks, an edge chunk, deflated on worker threads (issue 17 item 4): row k at
     * FX_T0_MS + 250 k ms, k * 0.001 - 3.5 and (k * 7919) % 100000 - 50000 */
    edb_series_new(&big[0], "SA_ZBIGREAL");
    edb_series_set_type(big[0], EDB_VT_REAL);
    edb_series_new(&big[1], "SA_ZBIGINT");
    edb_series_set_type(big[1], EDB_VT_INT);
    edb_series_new(&big[2], "SA_ZBIGSTR"); /* rows of 21 bytes: DATASUM's words straddle them */
    edb_series_set_type(big[2], EDB_VT_STRING);
    for (size_t k = 0; k < 200003; k++) {
        char sv[8];
        snprintf(sv, sizeof sv, "S%04zu", k % 10000);
        edb_series_push_str(big[2], (FX_T0_MS + (int64_t)k * 250) * 1000, sv, 5);
        edb_series_push_real(big[0], (FX_T0_MS + (int64_t)k * 250) * 1000, (double)k * 0.001 - 3.5);
        edb_series_push_int(big[1], (FX_T0_MS + (int64_t)k * 250) * 1000,
                            (int64_t)((k * 7919) % 100000) - 50000);
    }
    out("big.h5", (const edb_series *const *)big, 2, 0);
    out("big.fits", (const edb_series *const *)big, 3, 0);
}

static void setup(void)
{
    tmp = tu_mkdtemp();
    fx_build();
    write_everything();
}

static void teardown(void)
{
    for (int k = 0; k < 40; k++)
        edb_series_free(forty[k]);
    edb_series_free(note);
    edb_series_free(big[0]);
    edb_series_free(big[1]);
    edb_series_free(big[2]);
    fx_free();
    tu_rmtree(tmp);
    free(tmp);
}

START_TEST(astropy_pandas_h5py)
{
    if (access("/usr/bin/python3", X_OK) != 0) {
        fprintf(stderr, "test_formats_interop: skipped: /usr/bin/python3 missing\n");
        return;
    }
    char script[4200];
    snprintf(script, sizeof script, "%s/interop/check_formats.py", getenv("EDBX_TESTS_DIR"));
    const char *argv[] = {"/usr/bin/python3", script, tmp, NULL};
    tu_run r;
    /* The sanitizer runtime must not be preloaded into python. */
    const char *env[] = {"LD_PRELOAD=", "PYTHONDONTWRITEBYTECODE=1", NULL};
    int st = tu_run_cmd(&r, argv, env);
    if (st == 77) {
        fprintf(stderr, "test_formats_interop: %s", r.out);
        tu_run_free(&r);
        return;
    }
    ck_assert_msg(st == 0, "check_formats.py exit %d\n%s\n%s", st, r.out, r.err);
    tu_run_free(&r);
}
END_TEST

/* fitsverify's summary line: "... 0 warnings and 0 errors" (with -q). */
static void fitsverify(const char *name, int allow_nonascii)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", tmp, name);
    const char *argv[] = {"/usr/bin/fitsverify", "-e", path, NULL};
    tu_run r;
    int st = tu_run_cmd(&r, argv, NULL);
    (void)st;
    size_t n = r.out_len + r.err_len + 1;
    char *all = malloc(n);
    snprintf(all, n, "%s%s", r.out, r.err);
    int clean = strstr(all, "Verification found 0 warning(s) and 0 error(s)") != NULL;
    if (!clean && allow_nonascii) {
        /* Strings are written byte for byte, so a UTF-8 value is what fitsverify reports:
         * the one error accepted, and only when it is that one. */
        clean = strstr(all, "contains non-ASCII text") &&
                strstr(all, "found 0 warning(s) and 1 error(s)");
    }
    ck_assert_msg(clean, "fitsverify %s:\n%s", name, all);
    free(all);
    tu_run_free(&r);
}

START_TEST(fitsverify_clean)
{
    if (access("/usr/bin/fitsverify", X_OK) != 0) {
        fprintf(stderr, "test_formats_interop: skipped: fitsverify missing "
                "(apt-get install fitsverify, or scripts/bootstrap)\n");
        return;
    }
    fitsverify("ascii.fits", 0);
    fitsverify("one.fits", 0);
    fitsverify("forty.fits", 0);
    fitsverify("big.fits", 0);
    fitsverify("all.fits", 1);
    fitsverify("wide.fits", 1);
}
END_TEST

static Suite *interop_suite(void)
{
    Suite *s = suite_create("formats_interop");
    TCase *tc = tcase_create("interop");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, astropy_pandas_h5py);
    tcase_add_test(tc, fitsverify_clean);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(interop_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
