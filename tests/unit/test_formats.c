/* test_formats.c: every writer, read back with cfitsio, the HDF5 library and zlib, and
 * compared value by value, type by type and keyword by keyword with formats_fixture.h.
 * Also: byte-identical reruns, a write that fails on a full disk leaves nothing, stdout. */
#define _GNU_SOURCE /* memmem */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>

#include <fitsio.h>
#include <hdf5.h>
#include <zlib.h>

#include <edb/writer.h>

#include "formats_fixture.h"
#include "testutil.h"

static char *tmp;

static void setup(void)
{
    tmp = tu_mkdtemp();
    fx_build();
}

static void teardown(void)
{
    fx_free();
    tu_rmtree(tmp);
    free(tmp);
}

static const char *in_tmp(const char *name)
{
    static char buf[4][4200];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", tmp, name);
    return buf[k];
}

static void write_series_opts(const char *path, const edb_series *const *s, size_t n,
                              const char *format, int compress, int astropy_time)
{
    edb_writer_options o = EDB_WRITER_OPTIONS_INIT;
    o.run = &fx_run;
    o.format = format;
    o.compress = compress;
    o.astropy_time = astropy_time;
    edb_writer *w = NULL;
    edb_err err = EDB_ERR_INIT;
    ck_assert_msg(edb_writer_open(&w, path, &o, &err) == EDB_OK, "%s", err.msg);
    ck_assert_msg(edb_writer_write_series(w, s, n) == EDB_OK, "%s", edb_writer_errmsg(w));
    ck_assert_msg(edb_writer_close(w) == EDB_OK, "%s", edb_writer_errmsg(w));
    edb_writer_free(w);
}

static void write_all(const char *path)
{
    write_series_opts(path, (const edb_series *const *)fx_series, FX_N, NULL, -1, 0);
}

static void write_wide(const char *path)
{
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

static size_t count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    ck_assert_ptr_nonnull(d);
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

/* Expected TIME (s since MJD 59240) and MJD of a millisecond stamp, by hand (the exact
 * texts below are the correctly rounded MJDs, computed with Python's fractions). */
static double exp_time(int64_t ms)
{
    return (double)(ms - FX_DAY0_MS) / 1e3;
}

static double exp_mjd(int64_t ms)
{
    return 59240.0 + (double)(ms - FX_DAY0_MS) / 86400000.0;
}

/* ---- FITS ---------------------------------------------------------------------------- */

static void key_str(fitsfile *fp, const char *key, const char *want)
{
    char v[FLEN_VALUE];
    int st = 0;
    fits_read_key_str(fp, key, v, NULL, &st);
    ck_assert_msg(st == 0, "keyword %s missing (status %d)", key, st);
    ck_assert_msg(strcmp(v, want) == 0, "%s = '%s', want '%s'", key, v, want);
}

static void key_absent(fitsfile *fp, const char *key)
{
    char card[FLEN_CARD];
    int st = 0;
    fits_read_card(fp, key, card, &st);
    ck_assert_msg(st == KEY_NO_EXIST, "keyword %s should not be there", key);
}

static double key_dbl(fitsfile *fp, const char *key)
{
    double d = 0;
    int st = 0;
    fits_read_key_dbl(fp, key, &d, NULL, &st);
    ck_assert_msg(st == 0, "keyword %s missing", key);
    return d;
}

static long long key_lng(fitsfile *fp, const char *key)
{
    LONGLONG v = 0;
    int st = 0;
    fits_read_key_lnglng(fp, key, &v, NULL, &st);
    ck_assert_msg(st == 0, "keyword %s missing", key);
    return v;
}

static void fits_common_time_keys(fitsfile *fp)
{
    key_str(fp, "TIMESYS", "UTC");
    key_str(fp, "TIMEUNIT", "s");
    key_str(fp, "TREFPOS", "TOPOCENTER");
    ck_assert(key_dbl(fp, "MJDREF") == 59240.0);
    ck_assert_int_eq(key_lng(fp, "MJDREFI"), 59240);
    ck_assert(key_dbl(fp, "MJDREFF") == 0.0);
    key_str(fp, "TTYPE1", "TIME");
    key_str(fp, "TFORM1", "1D");
    key_str(fp, "TUNIT1", "s");
    key_str(fp, "TCTYP1", "UTC");
    key_str(fp, "TCUNI1", "s");
    key_str(fp, "TTYPE2", "MJD");
    key_absent(fp, "TCTYP2");
    key_absent(fp, "TCUNI2");
    key_str(fp, "DATE", "2024-05-01T12:00:00");
    key_str(fp, "TELESCOP", "JWST");
    int dataok = 0, hduok = 0, st = 0;
    fits_verify_chksum(fp, &dataok, &hduok, &st);
    ck_assert_int_eq(st, 0);
    ck_assert_msg(dataok == 1 && hduok == 1, "checksums: data %d hdu %d", dataok, hduok);
}

/* Raw bytes of one cell (big-endian as in the file). */
static void cell(fitsfile *fp, long row, long col_byte, long n, unsigned char *out)
{
    int st = 0;
    fits_read_tblbytes(fp, row, col_byte, n, out, &st);
    ck_assert_int_eq(st, 0);
}

static double be_double(const unsigned char *p)
{
    uint64_t v = 0;
    for (int k = 0; k < 8; k++)
        v = (v << 8) | p[k];
    double d;
    memcpy(&d, &v, 8);
    return d;
}

static int64_t be_int(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int k = 0; k < n; k++)
        v = (v << 8) | p[k];
    if (n == 4)
        return (int32_t)(uint32_t)v;
    return (int64_t)v;
}

static void fits_times(fitsfile *fp, const int64_t *ms, size_t n)
{
    long nrows = 0;
    int st = 0;
    fits_get_num_rows(fp, &nrows, &st);
    ck_assert_int_eq(nrows, (long)n);
    for (size_t r = 0; r < n; r++) {
        double t = 0, m = 0;
        fits_read_col(fp, TDOUBLE, 1, (LONGLONG)r + 1, 1, 1, NULL, &t, NULL, &st);
        fits_read_col(fp, TDOUBLE, 2, (LONGLONG)r + 1, 1, 1, NULL, &m, NULL, &st);
        ck_assert_int_eq(st, 0);
        ck_assert_msg(t == exp_time(ms[r]), "TIME %.17g want %.17g", t, exp_time(ms[r]));
        /* and the instant to the microsecond, the way a reader rebuilds it */
        ck_assert_int_eq(llround(t * 1e3) + FX_DAY0_MS, ms[r]);
        ck_assert_msg(fabs(m - exp_mjd(ms[r])) < 2e-11, "MJD %.17g want %.17g", m,
                      exp_mjd(ms[r]));
    }
}

static void move_to(fitsfile *fp, const char *extname)
{
    int st = 0;
    fits_movnam_hdu(fp, BINARY_TBL, (char *)extname, 0, &st);
    ck_assert_msg(st == 0, "no HDU %s", extname);
}

START_TEST(fits_raw_readback)
{
    const char *path = in_tmp("all.fits");
    write_all(path);
    fitsfile *fp;
    int st = 0, nhdu = 0;
    fits_open_diskfile(&fp, path, READONLY, &st);
    ck_assert_int_eq(st, 0);
    fits_get_num_hdus(fp, &nhdu, &st);
    ck_assert_int_eq(nhdu, 1 + FX_N);
    /* primary */
    key_str(fp, "ORIGIN", "edbx");
    key_str(fp, "CREATOR", "edbx 0.1.0");
    key_str(fp, "TELESCOP", "JWST");
    key_str(fp, "DATE", "2024-05-01T12:00:00");
    key_str(fp, "QRYSTART", "2021-01-26T02:30:00.000000");
    key_str(fp, "QRYEND", "2021-01-26T02:31:00.000000");
    ck_assert_int_eq(key_lng(fp, "NAXIS"), 0);
    {
        char card[FLEN_CARD];
        int found = 0, nkeys = 0;
        fits_get_hdrspace(fp, &nkeys, NULL, &st);
        for (int k = 1; k <= nkeys; k++) {
            fits_read_record(fp, k, card, &st);
            if (strncmp(card, "HISTORY edbx get SA_ZATTEST1 --start", 36) == 0)
                found = 1;
        }
        ck_assert_msg(found, "HISTORY with the command line");
        int dataok = 0, hduok = 0;
        fits_verify_chksum(fp, &dataok, &hduok, &st);
        ck_assert(hduok == 1);
    }

    /* the real mnemonic */
    move_to(fp, "SA_ZATTEST1");
    fits_common_time_keys(fp);
    key_str(fp, "MNEMONIC", "SA_ZATTEST1");
    key_str(fp, "SQLTYPE", "real");
    key_str(fp, "TTYPE3", "VALUE");
    key_str(fp, "TFORM3", "1D");
    key_str(fp, "TUNIT3", "V");
    key_str(fp, "EUNIT3", "volts");
    key_str(fp, "DATE-BEG", "2021-01-26T02:30:00.009");
    key_str(fp, "DATE-END", "2021-01-26T02:30:00.777");
    ck_assert(key_dbl(fp, "TSTART") == 9000.009);
    ck_assert(key_dbl(fp, "TSTOP") == 9000.777);
    key_absent(fp, "TIMEDEL");
    {
        char *longstr = NULL;
        fits_read_key_longstr(fp, "TCOMM3", &longstr, NULL, &st);
        ck_assert_int_eq(st, 0);
        ck_assert_str_eq(longstr, FX_LONG_DESC);
        fits_free_memory(longstr, &st);
    }
    fits_times(fp, fx_real_ms, 4);
    for (long r = 0; r < 4; r++) {
        unsigned char b[8];
        cell(fp, r + 1, 17, 8, b);
        double v = be_double(b);
        if (isnan(fx_real_v[r]))
            ck_assert(isnan(v));
        else
            ck_assert_msg(v == fx_real_v[r], "row %ld: %.17g want %.17g", r, v, fx_real_v[r]);
    }

    /* int32 */
    move_to(fp, "SA_ZFGDETID");
    fits_common_time_keys(fp);
    key_str(fp, "TFORM3", "1J");
    key_str(fp, "TUNIT3", "count");
    ck_assert_int_eq(key_lng(fp, "TNULL3"), -2147483648LL);
    fits_times(fp, fx_int_ms, 3);
    for (long r = 0; r < 3; r++) {
        unsigned char b[4];
        cell(fp, r + 1, 17, 4, b);
        ck_assert_int_eq(be_int(b, 4), fx_int_v[r]);
    }

    /* int64 */
    move_to(fp, "SA_ZBIGCOUNT");
    key_str(fp, "TFORM3", "1K");
    key_absent(fp, "TUNIT3");
    key_str(fp, "SQLTYPE", "bigint");
    ck_assert_int_eq(key_lng(fp, "TNULL3"), INT64_MIN);
    for (long r = 0; r < 2; r++) {
        unsigned char b[8];
        cell(fp, r + 1, 17, 8, b);
        ck_assert_int_eq(be_int(b, 8), fx_big_v[r]);
    }

    /* strings: width of the longest, bytes intact, NUL-padded */
    move_to(fp, "IMIR_HK_STATE");
    fits_common_time_keys(fp);
    {
        char want[16];
        size_t w = strlen(FX_UTF8);
        snprintf(want, sizeof want, "%zuA", w);
        key_str(fp, "TFORM3", want);
        fits_times(fp, fx_str_ms, 4);
        key_str(fp, "DATE-END", "2021-01-27T02:30:00.009");
        for (long r = 0; r < 4; r++) {
            unsigned char b[64] = {0};
            cell(fp, r + 1, 17, (long)w, b);
            size_t len = strlen(fx_str_v[r]);
            ck_assert(memcmp(b, fx_str_v[r], len) == 0);
            for (size_t k = len; k < w; k++)
                ck_assert_int_eq(b[k], 0);
        }
    }

    /* a unit FITS does not know: no TUNIT, the EDB's own in EUNIT */
    move_to(fp, "SA_ZODDUNIT");
    key_absent(fp, "TUNIT3");
    key_str(fp, "EUNIT3", "DN/furlong");

    /* no rows: the query interval */
    move_to(fp, "SA_ZNOTHING");
    fits_common_time_keys(fp);
    fits_times(fp, NULL, 0);
    key_str(fp, "DATE-BEG", "2021-01-26T02:30:00.000");
    key_str(fp, "DATE-END", "2021-01-26T02:31:00.000");
    fits_close_file(fp, &st);
    ck_assert_int_eq(st, 0);
}
END_TEST

START_TEST(fits_wide_readback)
{
    const char *path = in_tmp("wide.fits");
    write_wide(path);
    fitsfile *fp;
    int st = 0;
    fits_open_diskfile(&fp, path, READONLY, &st);
    ck_assert_int_eq(st, 0);
    move_to(fp, "RESAMPLED");
    fits_common_time_keys(fp);
    key_absent(fp, "MNEMONIC");
    ck_assert(key_dbl(fp, "TIMEDEL") == 1.0);
    ck_assert(key_dbl(fp, "TIMEPIXR") == 0.0);
    ck_assert(key_dbl(fp, "TSTART") == 9000.0);
    ck_assert(key_dbl(fp, "TSTOP") == 9002.0);
    key_str(fp, "TTYPE3", "SA_ZATTEST1_mean");
    key_str(fp, "TFORM3", "1D");
    key_str(fp, "TUNIT3", "V");
    key_str(fp, "TMNEM3", "SA_ZATTEST1");
    key_str(fp, "TSTAT3", "mean");
    key_str(fp, "TTYPE4", "SA_ZFGDETID");
    key_str(fp, "TFORM4", "1J");
    ck_assert_int_eq(key_lng(fp, "TNULL4"), -2147483648LL);
    key_absent(fp, "TUNIT4");
    key_str(fp, "EUNIT4", "DN/furlong");
    key_absent(fp, "TSTAT4");
    key_str(fp, "TTYPE5", "IMIR_HK_STATE");
    int64_t ms[3] = {FX_T0_MS - 9, FX_T0_MS - 9 + 1000, FX_T0_MS - 9 + 2000};
    fits_times(fp, ms, 3);
    /* through cfitsio's own null handling */
    double d[3];
    int anynul = 0;
    char nul[3];
    fits_read_colnull(fp, TDOUBLE, 3, 1, 1, 3, d, nul, &anynul, &st);
    ck_assert_int_eq(st, 0);
    ck_assert(d[0] == -0.209546968 && d[2] == 0.30000000000000004);
    ck_assert(nul[0] == 0 && nul[1] == 1 && nul[2] == 0);
    long long iv[3];
    fits_read_colnull(fp, TLONGLONG, 4, 1, 1, 3, iv, nul, &anynul, &st);
    ck_assert_int_eq(st, 0);
    ck_assert(iv[0] == 7 && iv[1] == -7 && nul[0] == 0 && nul[1] == 0 && nul[2] == 1);
    unsigned char b[64];
    size_t w = strlen(FX_UTF8);
    cell(fp, 2, 8 + 8 + 8 + 4 + 1, (long)w, b);
    ck_assert(memcmp(b, FX_UTF8, w) == 0);
    fits_close_file(fp, &st);
}
END_TEST

START_TEST(fits_forty_and_one)
{
    edb_series *many[40];
    for (int k = 0; k < 40; k++) {
        char name[32];
        snprintf(name, sizeof name, "SA_ZTEST%02d", k);
        edb_series_new(&many[k], name);
        edb_series_set_type(many[k], EDB_VT_REAL);
        edb_series_push_real(many[k], (FX_T0_MS + k) * 1000, k * 0.25);
    }
    const char *path = in_tmp("forty.fits");
    write_series_opts(path, (const edb_series *const *)many, 40, NULL, -1, 0);
    const char *one = in_tmp("one.fits");
    write_series_opts(one, (const edb_series *const *)many + 7, 1, NULL, -1, 0);
    fitsfile *fp;
    int st = 0, nhdu = 0;
    fits_open_diskfile(&fp, path, READONLY, &st);
    fits_get_num_hdus(fp, &nhdu, &st);
    ck_assert_int_eq(nhdu, 41);
    move_to(fp, "SA_ZTEST39");
    double v = 0;
    fits_read_col(fp, TDOUBLE, 3, 1, 1, 1, NULL, &v, NULL, &st);
    ck_assert(v == 9.75);
    fits_close_file(fp, &st);
    fits_open_diskfile(&fp, one, READONLY, &st);
    fits_get_num_hdus(fp, &nhdu, &st);
    ck_assert_int_eq(nhdu, 2);
    move_to(fp, "SA_ZTEST07");
    fits_close_file(fp, &st);
    ck_assert_int_eq(st, 0);
    for (int k = 0; k < 40; k++)
        edb_series_free(many[k]);
}
END_TEST

/* ---- HDF5 ---------------------------------------------------------------------------- */

static char *attr_s(hid_t obj, const char *name)
{
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    ck_assert_msg(a >= 0, "attribute %s missing", name);
    hid_t t = H5Aget_type(a);
    ck_assert(H5Tis_variable_str(t) > 0);
    char *v = NULL;
    hid_t mt = H5Tcopy(H5T_C_S1);
    H5Tset_size(mt, H5T_VARIABLE);
    H5Tset_cset(mt, H5T_CSET_UTF8);
    ck_assert(H5Aread(a, mt, &v) >= 0);
    char *copy = strdup(v);
    H5free_memory(v);
    H5Tclose(mt);
    H5Tclose(t);
    H5Aclose(a);
    return copy;
}

static void attr_eq(hid_t obj, const char *name, const char *want)
{
    char *v = attr_s(obj, name);
    ck_assert_msg(strcmp(v, want) == 0, "%s = '%s', want '%s'", name, v, want);
    free(v);
}

/* Read a compound dataset's member into out (converted by HDF5 to mtype). */
static void read_member(hid_t d, const char *member, hid_t mtype, size_t size, void *out)
{
    hid_t t = H5Tcreate(H5T_COMPOUND, size);
    H5Tinsert(t, member, 0, mtype);
    ck_assert_msg(H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) >= 0, "read %s", member);
    H5Tclose(t);
}

static void member_type(hid_t d, const char *member, H5T_class_t cls, size_t size)
{
    hid_t t = H5Dget_type(d);
    int idx = H5Tget_member_index(t, member);
    ck_assert_msg(idx >= 0, "no member %s", member);
    hid_t m = H5Tget_member_type(t, (unsigned)idx);
    ck_assert_int_eq(H5Tget_class(m), cls);
    ck_assert_uint_eq(H5Tget_size(m), size);
    if (cls == H5T_STRING)
        ck_assert(H5Tis_variable_str(m) == 0);
    H5Tclose(m);
    H5Tclose(t);
}

static void h5_times(hid_t d, const int64_t *ms, size_t n)
{
    hid_t sp = H5Dget_space(d);
    hsize_t dim = 0;
    H5Sget_simple_extent_dims(sp, &dim, NULL);
    H5Sclose(sp);
    ck_assert_uint_eq(dim, n);
    member_type(d, "time", H5T_FLOAT, 8);
    double *t = calloc(n + 1, sizeof *t);
    if (n)
        read_member(d, "time", H5T_NATIVE_DOUBLE, 8, t);
    for (size_t r = 0; r < n; r++) {
        ck_assert_msg(fabs(t[r] - exp_mjd(ms[r])) < 2e-11, "mjd %.17g", t[r]);
        /* the millisecond is recoverable from the double */
        double ms_back = (t[r] - 40587.0) * 86400000.0;
        ck_assert_int_eq(llround(ms_back), ms[r]);
    }
    free(t);
}

static void h5_meta_has(hid_t f, const char *path, const char *line)
{
    char mp[300];
    snprintf(mp, sizeof mp, "%s.__table_column_meta__", path);
    hid_t d = H5Dopen2(f, mp, H5P_DEFAULT);
    ck_assert_msg(d >= 0, "%s missing", mp);
    hid_t t = H5Dget_type(d);
    ck_assert(H5Tis_variable_str(t) == 0);
    size_t w = H5Tget_size(t);
    hid_t sp = H5Dget_space(d);
    hsize_t n = 0;
    H5Sget_simple_extent_dims(sp, &n, NULL);
    char *buf = calloc(n, w + 1), *rows = calloc(n, w);
    H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, rows);
    int found = 0;
    for (hsize_t k = 0; k < n; k++) {
        char one[2048] = {0};
        memcpy(one, rows + k * w, w < sizeof one - 1 ? w : sizeof one - 1);
        if (strcmp(one, line) == 0)
            found = 1;
    }
    ck_assert_msg(found, "%s: no line '%s'", mp, line);
    free(buf);
    free(rows);
    H5Sclose(sp);
    H5Tclose(t);
    H5Dclose(d);
}

static void h5_filters(hid_t d, int want_deflate)
{
    hid_t p = H5Dget_create_plist(d);
    int nf = H5Pget_nfilters(p);
    if (want_deflate < 0) {
        ck_assert_int_eq(nf, 0);
    } else {
        ck_assert_int_eq(H5Pget_layout(p), H5D_CHUNKED);
        ck_assert_int_eq(nf, 2);
        unsigned flags, cd[4];
        size_t ncd = 4;
        ck_assert_int_eq(H5Pget_filter2(p, 0, &flags, &ncd, cd, 0, NULL, NULL), H5Z_FILTER_SHUFFLE);
        ncd = 4;
        ck_assert_int_eq(H5Pget_filter2(p, 1, &flags, &ncd, cd, 0, NULL, NULL), H5Z_FILTER_DEFLATE);
        ck_assert_uint_eq(cd[0], (unsigned)want_deflate);
    }
    H5Pclose(p);
}

START_TEST(hdf5_raw_readback)
{
    const char *path = in_tmp("all.h5");
    write_all(path);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    ck_assert(f >= 0);
    attr_eq(f, "creator", "edbx 0.1.0");
    attr_eq(f, "version", "0.1.0");
    attr_eq(f, "TIMESYS", "UTC");
    attr_eq(f, "run_time", "2024-05-01T12:00:00.000000");
    attr_eq(f, "query_start", "2021-01-26T02:30:00.000000");
    attr_eq(f, "query_end", "2021-01-26T02:31:00.000000");

    hid_t d = H5Dopen2(f, "/raw/SA_ZATTEST1", H5P_DEFAULT);
    ck_assert(d >= 0);
    h5_filters(d, 1);
    attr_eq(d, "unit", "volts");
    attr_eq(d, "description", FX_LONG_DESC);
    attr_eq(d, "TIMESYS", "UTC");
    attr_eq(d, "sqldataType", "real");
    attr_eq(d, "time_format", "mjd");
    h5_times(d, fx_real_ms, 4);
    member_type(d, "value", H5T_FLOAT, 8);
    double v[4];
    read_member(d, "value", H5T_NATIVE_DOUBLE, 8, v);
    ck_assert(v[0] == fx_real_v[0] && v[1] == fx_real_v[1] && isnan(v[2]) && v[3] == fx_real_v[3]);
    H5Dclose(d);
    h5_meta_has(f, "/raw/SA_ZATTEST1",
                "- {name: \"value\", unit: \"V\", datatype: float64, description: \"" FX_LONG_DESC "\"}");
    h5_meta_has(f, "/raw/SA_ZATTEST1", "      scale: utc");
    h5_meta_has(f, "/raw/SA_ZATTEST1", "      format: mjd");

    d = H5Dopen2(f, "/raw/SA_ZFGDETID", H5P_DEFAULT);
    member_type(d, "value", H5T_INTEGER, 4);
    h5_times(d, fx_int_ms, 3);
    int64_t iv[3];
    read_member(d, "value", H5T_NATIVE_INT64, 8, iv);
    for (int k = 0; k < 3; k++)
        ck_assert_int_eq(iv[k], fx_int_v[k]);
    H5Dclose(d);

    d = H5Dopen2(f, "/raw/SA_ZBIGCOUNT", H5P_DEFAULT);
    member_type(d, "value", H5T_INTEGER, 8);
    read_member(d, "value", H5T_NATIVE_INT64, 8, iv);
    ck_assert_int_eq(iv[0], fx_big_v[0]);
    ck_assert_int_eq(iv[1], fx_big_v[1]);
    H5Dclose(d);

    d = H5Dopen2(f, "/raw/IMIR_HK_STATE", H5P_DEFAULT);
    size_t w = strlen(FX_UTF8);
    member_type(d, "value", H5T_STRING, w);
    h5_times(d, fx_str_ms, 4);
    {
        hid_t st = H5Tcopy(H5T_C_S1);
        H5Tset_size(st, w);
        H5Tset_strpad(st, H5T_STR_NULLPAD);
        H5Tset_cset(st, H5T_CSET_UTF8);
        char *s = calloc(4, w);
        read_member(d, "value", st, w, s);
        for (int k = 0; k < 4; k++) {
            size_t len = strlen(fx_str_v[k]);
            ck_assert(memcmp(s + k * w, fx_str_v[k], len) == 0);
            for (size_t j = len; j < w; j++)
                ck_assert_int_eq(s[k * w + j], 0);
        }
        free(s);
        H5Tclose(st);
    }
    H5Dclose(d);

    d = H5Dopen2(f, "/raw/SA_ZODDUNIT", H5P_DEFAULT);
    attr_eq(d, "unit", "DN/furlong");
    H5Dclose(d);
    h5_meta_has(f, "/raw/SA_ZODDUNIT",
                "- {name: \"value\", datatype: float64, meta: {edb_unit: \"DN/furlong\"}}");

    d = H5Dopen2(f, "/raw/SA_ZNOTHING", H5P_DEFAULT);
    ck_assert(d >= 0);
    h5_times(d, NULL, 0);
    H5Dclose(d);
    H5Fclose(f);
}
END_TEST

START_TEST(hdf5_compress_levels)
{
    const char *p0 = in_tmp("c0.h5"), *p9 = in_tmp("c9.h5");
    write_series_opts(p0, (const edb_series *const *)fx_series, 1, NULL, 0, 0);
    write_series_opts(p9, (const edb_series *const *)fx_series, 1, NULL, 9, 0);
    hid_t f = H5Fopen(p0, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t d = H5Dopen2(f, "/raw/SA_ZATTEST1", H5P_DEFAULT);
    h5_filters(d, -1);
    H5Dclose(d);
    H5Fclose(f);
    f = H5Fopen(p9, H5F_ACC_RDONLY, H5P_DEFAULT);
    d = H5Dopen2(f, "/raw/SA_ZATTEST1", H5P_DEFAULT);
    h5_filters(d, 9);
    H5Dclose(d);
    H5Fclose(f);
    edb_writer_options o = EDB_WRITER_OPTIONS_INIT;
    o.compress = 10;
    edb_writer *w = NULL;
    edb_err err = EDB_ERR_INIT;
    ck_assert_int_eq(edb_writer_open(&w, in_tmp("x.h5"), &o, &err), EDB_ERR_USAGE);
    ck_assert_ptr_nonnull(strstr(err.msg, "0-9"));
}
END_TEST

START_TEST(hdf5_wide_readback)
{
    const char *path = in_tmp("wide.h5");
    write_wide(path);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t d = H5Dopen2(f, "/resampled", H5P_DEFAULT);
    ck_assert(d >= 0);
    int64_t ms[3] = {FX_T0_MS - 9, FX_T0_MS - 9 + 1000, FX_T0_MS - 9 + 2000};
    h5_times(d, ms, 3);
    member_type(d, "SA_ZATTEST1_mean", H5T_FLOAT, 8);
    member_type(d, "SA_ZATTEST1_mean.mask", H5T_ENUM, 1);
    member_type(d, "SA_ZFGDETID", H5T_INTEGER, 4);
    member_type(d, "SA_ZFGDETID.mask", H5T_ENUM, 1);
    member_type(d, "IMIR_HK_STATE", H5T_STRING, strlen(FX_UTF8));
    hid_t t = H5Dget_type(d);
    ck_assert_int_lt(H5Tget_member_index(t, "IMIR_HK_STATE.mask"), 0);
    H5Tclose(t);
    double v[3];
    int8_t m[3];
    read_member(d, "SA_ZATTEST1_mean", H5T_NATIVE_DOUBLE, 8, v);
    ck_assert(v[0] == -0.209546968 && isnan(v[1]) && v[2] == 0.30000000000000004);
    read_member(d, "SA_ZATTEST1_mean.mask", H5T_NATIVE_INT8, 1, m);
    ck_assert(m[0] == 0 && m[1] == 1 && m[2] == 0);
    int32_t iv[3];
    read_member(d, "SA_ZFGDETID", H5T_NATIVE_INT32, 4, iv);
    ck_assert(iv[0] == 7 && iv[1] == -7 && iv[2] == INT32_MIN);
    read_member(d, "SA_ZFGDETID.mask", H5T_NATIVE_INT8, 1, m);
    ck_assert(m[0] == 0 && m[1] == 0 && m[2] == 1);
    H5Dclose(d);
    h5_meta_has(f, "/resampled", "      mask: !astropy.table.SerializedColumn {name: "
                                 "\"SA_ZFGDETID.mask\"}");
    H5Fclose(f);
}
END_TEST

/* ---- text formats -------------------------------------------------------------------- */

START_TEST(ecsv_raw_exact_text)
{
    const char *path = in_tmp("two.ecsv");
    const edb_series *two[] = {fx_series[FX_INT], fx_series[FX_UNK]};
    write_series_opts(path, two, 2, NULL, -1, 0);
    char *text = tu_read_file(path, NULL);
    const char *want =
        "# %ECSV 1.0\n"
        "# ---\n"
        "# delimiter: ','\n"
        "# datatype:\n"
        "# - {name: time, datatype: string, description: \"UTC, ISO 8601\"}\n"
        "# - {name: mjd, unit: d, datatype: float64, description: \"the same instant as a "
        "Modified Julian Date (UTC)\"}\n"
        "# - {name: mnemonic, datatype: string}\n"
        "# - {name: value, datatype: float64}\n"
        "# meta: !!omap\n"
        "# - {creator: \"edbx 0.1.0\"}\n"
        "# - {TIMESYS: UTC}\n"
        "# - {run_time: \"2024-05-01T12:00:00.000000\"}\n"
        "# - {query_start: \"2021-01-26T02:30:00.000000\"}\n"
        "# - {query_end: \"2021-01-26T02:31:00.000000\"}\n"
        "# - mnemonics:\n"
        "#     SA_ZFGDETID:\n"
        "#       type: int\n"
        "#       sqldataType: \"int\"\n"
        "#       unit: \"count\"\n"
        "#       edb_unit: \"counts\"\n"
        "#       description: \"guide star detector id\"\n"
        "#     SA_ZODDUNIT:\n"
        "#       type: real\n"
        "#       sqldataType: \"float\"\n"
        "#       edb_unit: \"DN/furlong\"\n"
        "# schema: astropy-2.0\n"
        "time,mjd,mnemonic,value\n"
        "2021-01-26T02:30:00.010,59240.10416678241,SA_ZFGDETID,0\n"
        "2021-01-26T02:30:01.010,59240.10417835648,SA_ZFGDETID,-2147483647\n"
        "2021-01-26T02:30:02.010,59240.10418993056,SA_ZFGDETID,2147483647\n"
        "2021-01-26T02:30:00.016,59240.10416685185,SA_ZODDUNIT,42.5\n";
    ck_assert_str_eq(text, want);
    free(text);
}
END_TEST

START_TEST(ecsv_strings_and_time_tag)
{
    const char *path = in_tmp("s.ecsv");
    const edb_series *one[] = {fx_series[FX_STR]};
    write_series_opts(path, one, 1, NULL, -1, 1);
    char *text = tu_read_file(path, NULL);
    ck_assert_ptr_nonnull(strstr(text, "# - {name: value, datatype: string}\n"));
    ck_assert_ptr_nonnull(strstr(text, "#       __class__: astropy.time.core.Time\n"
                                       "#       format: isot\n"));
    ck_assert_ptr_nonnull(strstr(text, ",IMIR_HK_STATE,\"a,b \"\"q\"\" \xc3\xa9\xc3\xbc "
                                       "\xe6\x97\xa5\xe6\x9c\xac\"\n"));
    ck_assert_ptr_nonnull(strstr(text, ",IMIR_HK_STATE,\"\"\n"));
    ck_assert_ptr_nonnull(strstr(text, ",IMIR_HK_STATE,\"trailing \"\n"));
    free(text);
    /* without the option, no tag */
    write_series_opts(path, one, 1, NULL, -1, 0);
    text = tu_read_file(path, NULL);
    ck_assert_ptr_null(strstr(text, "astropy.time"));
    free(text);
}
END_TEST

static char *gunzip(const char *path, size_t *len)
{
    gzFile g = gzopen(path, "rb");
    ck_assert_ptr_nonnull(g);
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    int r;
    while ((r = gzread(g, buf + n, (unsigned)(cap - n))) > 0) {
        n += (size_t)r;
        if (n == cap)
            buf = realloc(buf, (cap *= 2) + 1);
    }
    ck_assert_int_eq(r, 0);
    gzclose(g);
    buf[n] = '\0';
    *len = n;
    return buf;
}

START_TEST(csvgz_same_as_csv)
{
    const char *pc = in_tmp("a.csv"), *pz = in_tmp("a.csv.gz");
    write_all(pc);
    write_all(pz);
    size_t nc, nz, graw;
    char *c = tu_read_file(pc, &nc), *z = gunzip(pz, &nz);
    ck_assert_uint_eq(nc, nz);
    ck_assert(memcmp(c, z, nc) == 0);
    unsigned char *raw = (unsigned char *)tu_read_file(pz, &graw);
    /* gzip magic, deflate, no FNAME/FCOMMENT flags, MTIME zero */
    ck_assert(raw[0] == 0x1f && raw[1] == 0x8b && raw[2] == 8 && raw[3] == 0);
    ck_assert(raw[4] == 0 && raw[5] == 0 && raw[6] == 0 && raw[7] == 0);
    ck_assert_ptr_null(memmem(raw, graw, "a.csv", 5));
    free(raw);
    free(c);
    free(z);
    /* the wide CSV, exactly */
    const char *pw = in_tmp("w.csv");
    write_wide(pw);
    c = tu_read_file(pw, NULL);
    ck_assert_str_eq(c, "time,mjd,SA_ZATTEST1_mean,SA_ZFGDETID,IMIR_HK_STATE\n"
                        "2021-01-26T02:30:00.000,59240.104166666664,-0.209546968,7,ON\n"
                        "2021-01-26T02:30:01.000,59240.10417824074,,-7,\"" "a,b \"\"q\"\" "
                        "\xc3\xa9\xc3\xbc \xe6\x97\xa5\xe6\x9c\xac\"\n"
                        "2021-01-26T02:30:02.000,59240.10418981482,0.30000000000000004,,OFF\n");
    free(c);
}
END_TEST

/* ---- every format ------------------------------------------------------------------- */

static const char *const all_ext[] = {"csv", "csv.gz", "ecsv", "fits", "h5"};

START_TEST(byte_identical_reruns)
{
    for (size_t k = 0; k < 5; k++) {
        char a[64], b[64];
        snprintf(a, sizeof a, "a.%s", all_ext[k]);
        snprintf(b, sizeof b, "b.%s", all_ext[k]);
        write_all(in_tmp(a));
        if (k == 3 || k == 4)
            sleep(1); /* a clock-based stamp would differ now */
        write_all(in_tmp(b));
        size_t na, nb;
        char *x = tu_read_file(in_tmp(a), &na), *y = tu_read_file(in_tmp(b), &nb);
        ck_assert_msg(na == nb && memcmp(x, y, na) == 0, "%s differs between runs", all_ext[k]);
        free(x);
        free(y);
    }
}
END_TEST

START_TEST(format_by_name_and_extension)
{
    ck_assert_str_eq(edb_format_from_path("x.csv.gz"), "csv.gz");
    ck_assert_str_eq(edb_format_from_path("X.FITS"), "fits");
    ck_assert_str_eq(edb_format_from_path("x.fit"), "fits");
    ck_assert_str_eq(edb_format_from_path("x.hdf5"), "hdf5");
    ck_assert_str_eq(edb_format_from_path("x.h5"), "hdf5");
    ck_assert_str_eq(edb_format_from_path("x.ecsv"), "ecsv");
    ck_assert(edb_format_known("fits") && edb_format_known("csv.gz") && !edb_format_known("xls"));
    /* --format wins over the extension */
    const char *p = in_tmp("really_fits.dat");
    write_series_opts(p, (const edb_series *const *)fx_series, 1, "fits", -1, 0);
    char *t = tu_read_file(p, NULL);
    ck_assert(strncmp(t, "SIMPLE  =", 9) == 0);
    free(t);
}
END_TEST

/* -O options go through the format's own table: a key it does not list is refused at
 * open, naming the key and what the format takes, before anything is written. */
START_TEST(writer_options_checked_at_open)
{
    /* csv, csv.gz, ecsv, fits, hdf5 and the plots png, svg, pdf, html */
    ck_assert_uint_eq(edb_format_count(), 9);
    ck_assert_str_eq(edb_format_name(0), "csv");
    ck_assert_str_eq(edb_format_extensions(1)[0], ".csv.gz");
    ck_assert_ptr_null(edb_format_name(9));
    ck_assert_uint_eq(edb_format_option_count("csv"), 0);
    edb_format_option fo;
    ck_assert_int_eq(edb_format_option_get("csv", 0, &fo), -1);
    const char *opts[] = {"width=1600"};
    edb_writer_options o = EDB_WRITER_OPTIONS_INIT;
    o.options = opts;
    o.n_options = 1;
    edb_writer *w = NULL;
    edb_err err = EDB_ERR_INIT;
    const char *p = in_tmp("opts.csv");
    ck_assert_int_eq(edb_writer_open(&w, p, &o, &err), EDB_ERR_USAGE);
    ck_assert_ptr_null(w);
    ck_assert_str_eq(err.msg, "-O width: csv takes no such option (it takes none)");
    ck_assert(!tu_exists(p));
}
END_TEST

/* A full disk halfway through: a 64 KiB tmpfs and a series that cannot fit. */
START_TEST(full_disk_leaves_nothing)
{
    const char *mnt = in_tmp("small");
    mkdir(mnt, 0755);
    if (mount("tmpfs", mnt, "tmpfs", 0, "size=64k") != 0) {
        fprintf(stderr, "test_formats: full_disk_leaves_nothing: cannot mount a tmpfs (%s); "
                "skipped (run as root)\n", strerror(errno));
        return;
    }
    edb_series *s;
    edb_series_new(&s, "SA_ZBIG");
    edb_series_set_type(s, EDB_VT_REAL);
    for (int k = 0; k < 200000; k++)
        edb_series_push_real(s, (FX_T0_MS + k) * 1000, k * 1.000001);
    const char *names[] = {"x.csv", "x.csv.gz", "x.ecsv", "x.fits", "x.h5"};
    for (size_t k = 0; k < 5; k++) {
        char path[4300];
        snprintf(path, sizeof path, "%s/%s", mnt, names[k]);
        edb_writer_options o = EDB_WRITER_OPTIONS_INIT;
        o.run = &fx_run;
        o.compress = 0; /* so that gzip cannot make it fit */
        edb_writer *w = NULL;
        edb_err err = EDB_ERR_INIT;
        ck_assert_msg(edb_writer_open(&w, path, &o, &err) == EDB_OK, "%s", err.msg);
        const edb_series *one[] = {s};
        edb_status st = edb_writer_write_series(w, one, 1);
        if (st == EDB_OK)
            st = edb_writer_close(w);
        ck_assert_msg(st == EDB_ERR_IO, "%s: status %d (%s)", names[k], st, edb_writer_errmsg(w));
        ck_assert_msg(strstr(edb_writer_errmsg(w), "No space left") ||
                      strstr(edb_writer_errmsg(w), "HDF5") || strstr(edb_writer_errmsg(w), "FITS"),
                      "%s: %s", names[k], edb_writer_errmsg(w));
        edb_writer_free(w);
        ck_assert_msg(count_entries(mnt) == 0, "%s left a file behind", names[k]);
    }
    edb_series_free(s);
    umount(mnt);
}
END_TEST

static Suite *formats_suite(void)
{
    Suite *s = suite_create("formats");
    TCase *tc = tcase_create("formats");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, fits_raw_readback);
    tcase_add_test(tc, fits_wide_readback);
    tcase_add_test(tc, fits_forty_and_one);
    tcase_add_test(tc, hdf5_raw_readback);
    tcase_add_test(tc, hdf5_compress_levels);
    tcase_add_test(tc, hdf5_wide_readback);
    tcase_add_test(tc, ecsv_raw_exact_text);
    tcase_add_test(tc, ecsv_strings_and_time_tag);
    tcase_add_test(tc, csvgz_same_as_csv);
    tcase_add_test(tc, byte_identical_reruns);
    tcase_add_test(tc, format_by_name_and_extension);
    tcase_add_test(tc, writer_options_checked_at_open);
    tcase_add_test(tc, full_disk_leaves_nothing);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(formats_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
