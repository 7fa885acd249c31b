/* test_formats.c: every writer, read back with cfitsio, the HDF5 library and zlib, and
 * compared value by value, type by type and keyword by keyword with formats_fixture.h.
 * Also: byte-identical reruns, a write that fails on a full disk leaves nothing, stdout. */
#define _GNU_SOURCE /* memmem */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>
#include <dirent.h>

#include <fitsio.h>
#include <hdf5.h>
#include <zlib.h>

#include <edb/number.h>
#include <edb/writer.h>

#include "formats.h" /* formats/: the writers' shared helpers */
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

/* opts: -O options, NULL-terminated (NULL: none). */
static void write_series_opts(const char *path, const edb_series *const *s, size_t n,
                              const char *format, const char *const *opts)
{
    edb_writer_options o = EDB_WRITER_OPTIONS_INIT;
    o.run = &fx_run;
    o.format = format;
    o.options = opts;
    while (opts && opts[o.n_options])
        o.n_options++;
    edb_writer *w = NULL;
    edb_err err = EDB_ERR_INIT;
    ck_assert_msg(edb_writer_open(&w, path, &o, &err) == EDB_OK, "%s", err.msg);
    ck_assert_msg(edb_writer_write_series(w, s, n) == EDB_OK, "%s", edb_writer_errmsg(w));
    ck_assert_msg(edb_writer_close(w) == EDB_OK, "%s", edb_writer_errmsg(w));
    edb_writer_free(w);
}

static void write_all(const char *path)
{
    write_series_opts(path, (const edb_series *const *)fx_series, FX_N, NULL, NULL);
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
    write_series_opts(path, (const edb_series *const *)many, 40, NULL, NULL);
    const char *one = in_tmp("one.fits");
    write_series_opts(one, (const edb_series *const *)many + 7, 1, NULL, NULL);
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
    const char *c0[] = {"compress=0", NULL}, *c9[] = {"compress=9", NULL};
    write_series_opts(p0, (const edb_series *const *)fx_series, 1, NULL, c0);
    write_series_opts(p9, (const edb_series *const *)fx_series, 1, NULL, c9);
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
    const char *c10[] = {"compress=10"};
    edb_writer_options o = EDB_WRITER_OPTIONS_INIT;
    o.options = c10;
    o.n_options = 1;
    edb_writer *w = NULL;
    edb_err err = EDB_ERR_INIT;
    ck_assert_int_eq(edb_writer_open(&w, in_tmp("x.h5"), &o, &err), EDB_ERR_USAGE);
    ck_assert_str_eq(err.msg, "-O compress=10: the deflate level is a whole number from 0 (no "
                              "compression) to 9 (smallest file); the default is 1");
    ck_assert(!tu_exists(in_tmp("x.h5")));
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

/* Several tables in one HDF5 file (edbx monitor's): each at /NAME, its groups made, its
 * metadata as attributes and in the astropy header; no time stamp on the groups either. */
static char *attr_text(hid_t obj, const char *name)
{
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    ck_assert_msg(a >= 0, "no attribute %s", name);
    hid_t t = H5Aget_type(a);
    ck_assert(H5Tis_variable_str(t) > 0);
    char *p = NULL;
    ck_assert_int_ge(H5Aread(a, t, &p), 0);
    char *v = strdup(p ? p : "");
    H5free_memory(p);
    H5Tclose(t);
    H5Aclose(a);
    return v;
}

START_TEST(hdf5_several_tables_with_metadata)
{
    edb_table *t1 = fx_wide(), *t2 = fx_wide();
    ck_assert_int_eq(edb_table_set_meta(t1, "where", "SA_ZATTEST1 > 0 and S == \"OFF\""),
                     EDB_OK);
    ck_assert_int_eq(edb_table_set_meta(t1, "yellow_limits", "6.54,7.68"), EDB_OK);
    ck_assert_int_eq(edb_table_set_meta(t1, "where", "A > 1"), EDB_OK); /* replaced in place */
    ck_assert_int_eq(edb_table_set_meta(t1, "bad key", "x"), EDB_ERR_USAGE);
    ck_assert_str_eq(edb_table_meta(t1, "where"), "A > 1");
    ck_assert_ptr_null(edb_table_meta(t2, "where"));
    const edb_table *tv[] = {t1, t2};
    const char *names[] = {"miri/daily_means/SE_ZIMIRICEA_NO_OPS", "miri/all/X"};
    for (int pass = 0; pass < 2; pass++) {
        const char *path = in_tmp(pass ? "several2.h5" : "several.h5");
        edb_writer_options o = EDB_WRITER_OPTIONS_INIT;
        o.run = &fx_run;
        edb_writer *w = NULL;
        edb_err err = EDB_ERR_INIT;
        ck_assert_msg(edb_writer_open(&w, path, &o, &err) == EDB_OK, "%s", err.msg);
        ck_assert_msg(edb_writer_write_tables(w, tv, names, 2) == EDB_OK, "%s",
                      edb_writer_errmsg(w));
        ck_assert_int_eq(edb_writer_close(w), EDB_OK);
        edb_writer_free(w);
    }
    /* the same bytes twice: no time stamp anywhere, groups included */
    size_t l1, l2;
    char *b1 = tu_read_file(in_tmp("several.h5"), &l1), *b2 = tu_read_file(in_tmp("several2.h5"),
                                                                            &l2);
    ck_assert(l1 == l2 && memcmp(b1, b2, l1) == 0);
    free(b1);
    free(b2);
    hid_t f = H5Fopen(in_tmp("several.h5"), H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t g = H5Gopen2(f, "/miri/daily_means", H5P_DEFAULT);
    ck_assert(g >= 0);
    H5O_info_t info;
    ck_assert_int_ge(H5Oget_info2(g, &info, H5O_INFO_TIME), 0);
    ck_assert_int_eq(info.ctime, 0);
    H5Gclose(g);
    hid_t d = H5Dopen2(f, "/miri/daily_means/SE_ZIMIRICEA_NO_OPS", H5P_DEFAULT);
    ck_assert(d >= 0);
    int64_t ms[3] = {FX_T0_MS - 9, FX_T0_MS - 9 + 1000, FX_T0_MS - 9 + 2000};
    h5_times(d, ms, 3);
    char *v = attr_text(d, "where");
    ck_assert_str_eq(v, "A > 1");
    free(v);
    v = attr_text(d, "yellow_limits");
    ck_assert_str_eq(v, "6.54,7.68");
    free(v);
    ck_assert_int_lt(H5Aexists(d, "bad key"), 1);
    H5Dclose(d);
    h5_meta_has(f, "/miri/daily_means/SE_ZIMIRICEA_NO_OPS", "- {where: \"A > 1\"}");
    d = H5Dopen2(f, "/miri/all/X", H5P_DEFAULT);
    ck_assert(d >= 0);
    ck_assert_int_eq(H5Aexists(d, "where"), 0);
    H5Dclose(d);
    H5Fclose(f);
    /* the formats that hold one table a file, and names that are not names, are refused */
    static const struct {
        const char *ext;
        const char *names[2];
        const char *want;
    } bad[] = {{"csv", {"a", "b"}, "csv holds one table a file, not 2"},
               {"h5", {"a", "a"}, "two tables are named a"},
               {"h5", {"a//b", "c"}, "'a//b' cannot name a table"},
               {"h5", {"a/../b", "c"}, "'a/../b' cannot name a table"},
               {"h5", {"/a", "c"}, "'/a' cannot name a table"}};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        char name[32];
        snprintf(name, sizeof name, "bad%zu.%s", k, bad[k].ext);
        edb_writer_options o = EDB_WRITER_OPTIONS_INIT;
        edb_writer *w = NULL;
        edb_err err = EDB_ERR_INIT;
        ck_assert_int_eq(edb_writer_open(&w, in_tmp(name), &o, &err), EDB_OK);
        ck_assert_int_eq(edb_writer_write_tables(w, tv, bad[k].names, 2), EDB_ERR_USAGE);
        ck_assert_msg(strstr(edb_writer_errmsg(w), bad[k].want), "%s", edb_writer_errmsg(w));
        edb_writer_free(w);
        ck_assert(!tu_exists(in_tmp(name)));
    }
    ck_assert(edb_format_holds_tables("hdf5") && !edb_format_holds_tables("fits") &&
              !edb_format_holds_tables("nope"));
    ck_assert(edb_format_is_picture("png") && edb_format_is_picture("html") &&
              !edb_format_is_picture("csv"));
    /* ECSV keeps the metadata in its header */
    edb_writer_options o = EDB_WRITER_OPTIONS_INIT;
    o.run = &fx_run;
    edb_writer *w = NULL;
    edb_err err = EDB_ERR_INIT;
    ck_assert_int_eq(edb_writer_open(&w, in_tmp("meta.ecsv"), &o, &err), EDB_OK);
    ck_assert_int_eq(edb_writer_write_table(w, t1), EDB_OK);
    ck_assert_int_eq(edb_writer_close(w), EDB_OK);
    edb_writer_free(w);
    char *text = tu_read_file(in_tmp("meta.ecsv"), NULL);
    ck_assert_msg(strstr(text, "\n# - {where: \"A > 1\"}\n# - {yellow_limits: \"6.54,7.68\"}\n"),
                  "%s", text);
    free(text);
    edb_table_free(t1);
    edb_table_free(t2);
}
END_TEST

/* ---- text formats -------------------------------------------------------------------- */

START_TEST(ecsv_raw_exact_text)
{
    const char *path = in_tmp("two.ecsv");
    const edb_series *two[] = {fx_series[FX_INT], fx_series[FX_UNK]};
    write_series_opts(path, two, 2, NULL, NULL);
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
    const char *tag[] = {"astropy-time", NULL};
    write_series_opts(path, one, 1, NULL, tag);
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
    write_series_opts(path, one, 1, NULL, NULL);
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
    write_series_opts(p, (const edb_series *const *)fx_series, 1, "fits", NULL);
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
    ck_assert_uint_eq(edb_format_option_count("fits"), 0);
    edb_format_option fo;
    ck_assert_int_eq(edb_format_option_get("fits", 0, &fo), -1);
    const char *opts[] = {"width=1600"};
    edb_writer_options o = EDB_WRITER_OPTIONS_INIT;
    o.options = opts;
    o.n_options = 1;
    edb_writer *w = NULL;
    edb_err err = EDB_ERR_INIT;
    const char *p = in_tmp("opts.fits");
    ck_assert_int_eq(edb_writer_open(&w, p, &o, &err), EDB_ERR_USAGE);
    ck_assert_ptr_null(w);
    ck_assert_str_eq(err.msg, "-O width: fits takes no such option (it takes none)");
    ck_assert(!tu_exists(p));
}
END_TEST

/* A full disk halfway through: a 64 KiB tmpfs and a series that cannot fit.  Nothing is
 * left, and the message names the file (issue 15 item 12: csv.gz did not). */
START_TEST(issue15_12_full_disk_names_file_leaves_nothing)
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
        const char *c0[] = {"compress=0"}; /* so that deflate cannot make it fit */
        if (k == 1 || k == 4) {
            o.options = c0;
            o.n_options = 1;
        }
        edb_writer *w = NULL;
        edb_err err = EDB_ERR_INIT;
        ck_assert_msg(edb_writer_open(&w, path, &o, &err) == EDB_OK, "%s", err.msg);
        const edb_series *one[] = {s};
        edb_status st = edb_writer_write_series(w, one, 1);
        if (st == EDB_OK)
            st = edb_writer_close(w);
        ck_assert_msg(st == EDB_ERR_IO, "%s: status %d (%s)", names[k], st, edb_writer_errmsg(w));
        char want[4400];
        snprintf(want, sizeof want, "cannot write %s: %s", path,
                 k < 3 ? "No space left on device" : k == 3 ? "FITS: " : "HDF5: ");
        if (k < 3)
            ck_assert_str_eq(edb_writer_errmsg(w), want);
        else
            ck_assert_msg(strncmp(edb_writer_errmsg(w), want, strlen(want)) == 0, "%s: %s",
                          names[k], edb_writer_errmsg(w));
        edb_writer_free(w);
        ck_assert_msg(count_entries(mnt) == 0, "%s left a file behind", names[k]);
    }
    edb_series_free(s);
    umount(mnt);
}
END_TEST


/* ---- where the bytes go (issue 15, items 2, 11, 12) ------------------------------------ */

/* Open, write the fixture's series (or nothing, when open fails) and close; the status of
 * the first step that failed, its message in msg. */
static edb_status try_write(const char *path, const char *format, const char *const *opts,
                            const edb_run_info *run, char *msg, size_t msglen)
{
    edb_writer_options o = EDB_WRITER_OPTIONS_INIT;
    o.run = run;
    o.format = format;
    o.options = opts;
    while (opts && opts[o.n_options])
        o.n_options++;
    edb_writer *w = NULL;
    edb_err err = EDB_ERR_INIT;
    edb_status st = edb_writer_open(&w, path, &o, &err);
    if (st != EDB_OK) {
        ck_assert_ptr_null(w);
        snprintf(msg, msglen, "%s", err.msg);
        return st;
    }
    st = edb_writer_write_series(w, (const edb_series *const *)fx_series, FX_N);
    if (st == EDB_OK)
        st = edb_writer_close(w);
    snprintf(msg, msglen, "%s", edb_writer_errmsg(w));
    edb_writer_free(w);
    return st;
}

static mode_t mode_of(const char *path)
{
    struct stat st;
    ck_assert_msg(stat(path, &st) == 0, "%s: %s", path, strerror(errno));
    return st.st_mode;
}

static void same_bytes(const char *a, const char *b)
{
    size_t na = 0, nb = 0;
    char *x = tu_read_file(a, &na), *y = tu_read_file(b, &nb);
    ck_assert_msg(x && y, "%s or %s unreadable", a, b);
    ck_assert_msg(na == nb && memcmp(x, y, na) == 0, "%s (%zu bytes) differs from %s (%zu)", a,
                  na, b, nb);
    free(x);
    free(y);
}

/* A reader on the far end of a FIFO: everything it reads goes to a file. */
typedef struct fifo_reader {
    const char *fifo, *copy;
    pthread_t th;
} fifo_reader;

static void *fifo_read(void *arg)
{
    fifo_reader *r = arg;
    int in = open(r->fifo, O_RDONLY);
    FILE *out = fopen(r->copy, "wb");
    char buf[4096];
    ssize_t n;
    while (in >= 0 && out && (n = read(in, buf, sizeof buf)) > 0)
        fwrite(buf, 1, (size_t)n, out);
    if (out)
        fclose(out);
    if (in >= 0)
        close(in);
    return NULL;
}

static void sort_of(const char *path, mode_t want)
{
    struct stat st;
    ck_assert_int_eq(lstat(path, &st), 0);
    ck_assert_msg((st.st_mode & S_IFMT) == want, "%s: type %o, want %o", path,
                  st.st_mode & S_IFMT, want);
}

/* Item 2: a regular file is replaced atomically and keeps its mode; a symlink keeps being a
 * link and its target gets the output; a FIFO and a device are written to, not replaced;
 * a hard-linked file, a socket, a folder and "" are refused at open. */
START_TEST(issue15_2_output_paths)
{
    char msg[1200], ref[4200], ref_fits[4200];
    snprintf(ref, sizeof ref, "%s", in_tmp("ref.csv"));
    snprintf(ref_fits, sizeof ref_fits, "%s", in_tmp("ref.fits"));
    write_all(ref);
    write_all(ref_fits);

    /* an existing file: new content, same mode */
    char old[4200], oldf[4200], fresh[4200];
    snprintf(old, sizeof old, "%s", in_tmp("old.csv"));
    tu_write_file(old, "old\n", 4);
    chmod(old, 0604);
    ck_assert_int_eq(try_write(old, NULL, NULL, &fx_run, msg, sizeof msg), EDB_OK);
    same_bytes(old, ref);
    ck_assert_int_eq(mode_of(old) & 07777, 0604);
    /* and FITS, which cfitsio creates by name */
    snprintf(oldf, sizeof oldf, "%s", in_tmp("old.fits"));
    tu_write_file(oldf, "old\n", 4);
    chmod(oldf, 0640);
    ck_assert_int_eq(try_write(oldf, NULL, NULL, &fx_run, msg, sizeof msg), EDB_OK);
    same_bytes(oldf, ref_fits);
    ck_assert_int_eq(mode_of(oldf) & 07777, 0640);
    /* a new file: the umask's mode */
    mode_t um = umask(022);
    snprintf(fresh, sizeof fresh, "%s", in_tmp("fresh.fits"));
    ck_assert_int_eq(try_write(fresh, NULL, NULL, &fx_run, msg, sizeof msg), EDB_OK);
    ck_assert_int_eq(mode_of(fresh) & 07777, 0644);
    umask(um);

    /* a relative symlink into a folder, through a second link: the file at the end gets
     * the output, the links stay links and point where they did */
    mkdir(in_tmp("sub"), 0755);
    char real[4200];
    snprintf(real, sizeof real, "%s", in_tmp("sub/real.csv"));
    tu_write_file(real, "old\n", 4);
    chmod(real, 0600);
    ck_assert_int_eq(symlink("real.csv", in_tmp("sub/inner.csv")), 0);
    ck_assert_int_eq(symlink("sub/inner.csv", in_tmp("outer.csv")), 0);
    ck_assert_int_eq(try_write(in_tmp("outer.csv"), NULL, NULL, &fx_run, msg, sizeof msg),
                     EDB_OK);
    sort_of(in_tmp("outer.csv"), S_IFLNK);
    sort_of(in_tmp("sub/inner.csv"), S_IFLNK);
    sort_of(real, S_IFREG);
    char target[64] = {0};
    ck_assert_int_gt(readlink(in_tmp("outer.csv"), target, sizeof target - 1), 0);
    ck_assert_str_eq(target, "sub/inner.csv");
    same_bytes(real, ref);
    ck_assert_int_eq(mode_of(real) & 07777, 0600);
    ck_assert_uint_eq(count_entries(in_tmp("sub")), 2); /* no temporary file left */
    /* a link to a file yet to be made: made, beside where the link points */
    ck_assert_int_eq(symlink("sub/later.fits", in_tmp("dangling.fits")), 0);
    ck_assert_int_eq(try_write(in_tmp("dangling.fits"), NULL, NULL, &fx_run, msg, sizeof msg),
                     EDB_OK);
    sort_of(in_tmp("dangling.fits"), S_IFLNK);
    same_bytes(in_tmp("sub/later.fits"), ref_fits);
    /* a loop of links */
    ck_assert_int_eq(symlink("loop2.csv", in_tmp("loop1.csv")), 0);
    ck_assert_int_eq(symlink("loop1.csv", in_tmp("loop2.csv")), 0);
    char loop[4200], want_loop[9000];
    snprintf(loop, sizeof loop, "%s", in_tmp("loop1.csv"));
    ck_assert_int_eq(try_write(loop, NULL, NULL, &fx_run, msg, sizeof msg), EDB_ERR_IO);
    snprintf(want_loop, sizeof want_loop, "cannot use the output %s: Too many levels of "
             "symbolic links", loop);
    ck_assert_str_eq(msg, want_loop);

    /* a link to an open descriptor (/dev/stdout is one): the file behind it is written
     * through it, emptied first, the same inode (whoever opened it reads it there), hard
     * links or not */
    char cap[4200], fdpath[64];
    snprintf(cap, sizeof cap, "%s", in_tmp("cap.csv"));
    int cfd = open(cap, O_RDWR | O_CREAT | O_TRUNC, 0644);
    ck_assert_int_ge(cfd, 0);
    ck_assert_int_eq(write(cfd, "stale content, longer than nothing\n", 35), 35);
    ck_assert_int_eq(link(cap, in_tmp("cap2.csv")), 0);
    struct stat before, after;
    fstat(cfd, &before);
    snprintf(fdpath, sizeof fdpath, "/proc/self/fd/%d", cfd);
    ck_assert_int_eq(try_write(fdpath, NULL, NULL, &fx_run, msg, sizeof msg), EDB_OK);
    ck_assert_int_eq(stat(cap, &after), 0);
    ck_assert(before.st_ino == after.st_ino);
    same_bytes(cap, ref);
    close(cfd);

    /* a FIFO: streamed (text) or spooled and copied (FITS, HDF5), and still a FIFO */
    static const char *const fifo_fmt[] = {"csv", "fits"};
    for (int k = 0; k < 2; k++) {
        char fifo[4200], copy[4200];
        snprintf(fifo, sizeof fifo, "%s", in_tmp("pipe"));
        snprintf(copy, sizeof copy, "%s", in_tmp("pipe.copy"));
        ck_assert_int_eq(mkfifo(fifo, 0600), 0);
        fifo_reader r = {fifo, copy, 0};
        pthread_create(&r.th, NULL, fifo_read, &r);
        ck_assert_int_eq(try_write(fifo, fifo_fmt[k], NULL, &fx_run, msg, sizeof msg), EDB_OK);
        pthread_join(r.th, NULL);
        sort_of(fifo, S_IFIFO);
        same_bytes(copy, k ? ref_fits : ref);
        unlink(fifo);
        unlink(copy);
    }

    /* a character device (a /dev/null of our own, so that a regression replaces nothing
     * of the system's): written to, still a device */
    char dev[4200];
    snprintf(dev, sizeof dev, "%s", in_tmp("null"));
    if (mknod(dev, S_IFCHR | 0666, makedev(1, 3)) == 0) {
        ck_assert_int_eq(try_write(dev, NULL, NULL, &fx_run, msg, sizeof msg), EDB_OK);
        ck_assert_int_eq(try_write(dev, "hdf5", NULL, &fx_run, msg, sizeof msg), EDB_OK);
        sort_of(dev, S_IFCHR);
    } else {
        fprintf(stderr, "test_formats: issue15_2_output_paths: no mknod (%s): the device "
                "case is skipped (run as root)\n", strerror(errno));
    }

    /* a hard link: refused, both names untouched */
    char h1[4200], h2[4200];
    snprintf(h1, sizeof h1, "%s", in_tmp("h1.csv"));
    snprintf(h2, sizeof h2, "%s", in_tmp("h2.csv"));
    tu_write_file(h1, "old\n", 4);
    ck_assert_int_eq(link(h1, h2), 0);
    ck_assert_int_eq(try_write(h1, NULL, NULL, &fx_run, msg, sizeof msg), EDB_ERR_IO);
    char want[10000];
    snprintf(want, sizeof want, "%s has 2 hard links: edbx replaces an output by renaming a new "
             "file over it, which would silently part it from its other names; remove it "
             "first (rm %s) or write to another name", h1, h1);
    ck_assert_str_eq(msg, want);
    char *t = tu_read_file(h2, NULL);
    ck_assert_str_eq(t, "old\n");
    free(t);

    /* a socket, a folder, a name ending in '/', nothing at all */
    char sock[4200];
    snprintf(sock, sizeof sock, "%s", in_tmp("sock"));
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    ck_assert_uint_lt(strlen(sock), sizeof sa.sun_path);
    memcpy(sa.sun_path, sock, strlen(sock) + 1);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    ck_assert_int_eq(try_write(sock, NULL, NULL, &fx_run, msg, sizeof msg), EDB_ERR_IO);
    snprintf(want, sizeof want, "-o %s is a socket: edbx writes to files, devices and FIFOs",
             sock);
    ck_assert_str_eq(msg, want);
    close(fd);
    sort_of(sock, S_IFSOCK);
    ck_assert_int_eq(try_write(in_tmp("sub"), NULL, NULL, &fx_run, msg, sizeof msg),
                     EDB_ERR_USAGE);
    snprintf(want, sizeof want, "-o %s is a folder: name a file in it (%s/x.csv)", in_tmp("sub"),
             in_tmp("sub"));
    ck_assert_str_eq(msg, want);
    ck_assert_int_eq(try_write(in_tmp("nosuch/"), NULL, NULL, &fx_run, msg, sizeof msg),
                     EDB_ERR_USAGE);
    ck_assert_ptr_nonnull(strstr(msg, "names a folder: name a file in it"));
    ck_assert_int_eq(try_write("", NULL, NULL, &fx_run, msg, sizeof msg), EDB_ERR_USAGE);
    ck_assert_str_eq(msg, "the output's name is empty: give -o FILE, or -o - for standard "
                          "output");
    ck_assert_int_eq(try_write(in_tmp("nosuch/x.csv"), NULL, NULL, &fx_run, msg, sizeof msg),
                     EDB_ERR_IO);
    ck_assert_ptr_nonnull(strstr(msg, "No such file or directory (check that its folder"));
}
END_TEST

/* Item 2, as root: the replacing file keeps the old one's owner and group too. */
START_TEST(issue15_2_owner_kept)
{
    if (geteuid() != 0) {
        fprintf(stderr, "test_formats: issue15_2_owner_kept: skipped (run as root)\n");
        return;
    }
    char msg[1200];
    const char *p = in_tmp("theirs.h5");
    tu_write_file(p, "old\n", 4);
    ck_assert_int_eq(chown(p, 4321, 4322), 0);
    chmod(p, 0664);
    ck_assert_int_eq(try_write(p, NULL, NULL, &fx_run, msg, sizeof msg), EDB_OK);
    struct stat st;
    ck_assert_int_eq(stat(p, &st), 0);
    ck_assert_int_eq(st.st_uid, 4321);
    ck_assert_int_eq(st.st_gid, 4322);
    ck_assert_int_eq(st.st_mode & 07777, 0664);
}
END_TEST

/* Item 11: an extension no format has is refused unless the format is named; a name
 * without an extension is CSV. */
START_TEST(issue15_11_unknown_extension_refused)
{
    static const char *const names[] = {"x.fits.gz", "x.parquet", "x.json", "x.tsv"};
    static const char *const exts[] = {".gz", ".parquet", ".json", ".tsv"};
    char msg[1200], want[1200];
    for (size_t k = 0; k < 4; k++) {
        const char *p = in_tmp(names[k]);
        ck_assert_int_eq(try_write(p, NULL, NULL, &fx_run, msg, sizeof msg), EDB_ERR_USAGE);
        snprintf(want, sizeof want, "%s: edbx writes no '%s' files (it knows .csv, .csv.gz, "
                 ".ecsv, .fits, .fit, .h5, .hdf5, .png, .svg, .pdf, .html, .htm); to write one of "
                 "its formats under this name anyway, name the format (--format csv, csv.gz, ecsv, "
                 "fits, hdf5, png, svg, pdf, html)", p, exts[k]);
        ck_assert_str_eq(msg, want);
        ck_assert(!tu_exists(p));
        ck_assert_uint_eq(count_entries(tmp), 0);
    }
    /* named: written in that format under that name */
    ck_assert_int_eq(try_write(in_tmp("x.tsv"), "csv", NULL, &fx_run, msg, sizeof msg), EDB_OK);
    write_all(in_tmp("ref.csv"));
    same_bytes(in_tmp("x.tsv"), in_tmp("ref.csv"));
    /* no extension (a hidden name, a trailing dot): CSV */
    static const char *const plain[] = {"data", ".data", "data.", "v1.2/data"};
    mkdir(in_tmp("v1.2"), 0755);
    for (size_t k = 0; k < 4; k++) {
        ck_assert_int_eq(try_write(in_tmp(plain[k]), NULL, NULL, &fx_run, msg, sizeof msg),
                         EDB_OK);
        same_bytes(in_tmp(plain[k]), in_tmp("ref.csv"));
    }
    /* case does not matter */
    ck_assert_str_eq(edb_format_from_path("X.CSV.GZ"), "csv.gz");
    ck_assert_ptr_null(edb_format_from_path("x.gz"));
}
END_TEST

/* Item 12: a reader that goes away (| head) is told apart from other failures, for the
 * formats written as they go and for those copied out at the end. */
START_TEST(issue15_12_closed_pipe_is_told_apart)
{
    signal(SIGPIPE, SIG_IGN); /* as the CLI does: a closed pipe is an error, not a death */
    edb_series *s;
    edb_series_new(&s, "SA_ZBIG");
    edb_series_set_type(s, EDB_VT_REAL);
    for (int k = 0; k < 100000; k++) /* megabytes: far beyond what a pipe holds */
        edb_series_push_real(s, (FX_T0_MS + k) * 1000, k * 1.000001);
    static const char *const fmts[] = {"csv", "csv.gz", "ecsv", "fits", "hdf5"};
    const char *fifo = in_tmp("pipe");
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    for (size_t k = 0; k < 5; k++) {
        /* a reader that is there when the writer opens, and gone when it writes */
        int rd = open(fifo, O_RDONLY | O_NONBLOCK);
        ck_assert_int_ge(rd, 0);
        edb_writer_options o = EDB_WRITER_OPTIONS_INIT;
        o.format = fmts[k];
        edb_writer *w = NULL;
        edb_err err = EDB_ERR_INIT;
        ck_assert_msg(edb_writer_open(&w, fifo, &o, &err) == EDB_OK, "%s", err.msg);
        close(rd);
        const edb_series *one[] = {s};
        edb_status st = edb_writer_write_series(w, one, 1);
        if (st == EDB_OK)
            st = edb_writer_close(w);
        ck_assert_msg(st == EDB_ERR_IO, "%s: status %d", fmts[k], st);
        ck_assert_msg(edb_writer_pipe_closed(w), "%s: %s", fmts[k], edb_writer_errmsg(w));
        char want[1200];
        snprintf(want, sizeof want, "cannot write %s: Broken pipe", fifo);
        ck_assert_str_eq(edb_writer_errmsg(w), want);
        edb_writer_free(w);
    }
    /* any other failure is not a closed pipe */
    edb_writer *w = NULL;
    edb_err err = EDB_ERR_INIT;
    edb_writer_options o = EDB_WRITER_OPTIONS_INIT;
    const char *dev = in_tmp("full");
    if (mknod(dev, S_IFCHR | 0666, makedev(1, 7)) == 0) { /* /dev/full */
        ck_assert_int_eq(edb_writer_open(&w, dev, &o, &err), EDB_OK);
        const edb_series *one[] = {s};
        edb_status st = edb_writer_write_series(w, one, 1);
        if (st == EDB_OK)
            st = edb_writer_close(w);
        ck_assert_int_eq(st, EDB_ERR_IO);
        ck_assert(!edb_writer_pipe_closed(w));
        char want[1200];
        snprintf(want, sizeof want, "cannot write %s: No space left on device", dev);
        ck_assert_str_eq(edb_writer_errmsg(w), want);
        edb_writer_free(w);
    }
    ck_assert(!edb_writer_pipe_closed(NULL));
    edb_series_free(s);
}
END_TEST

/* Item 12: -O safe puts a ' before a string that a spreadsheet would run, and leaves
 * numbers, other strings and the default alone. */
START_TEST(issue15_12_csv_safe)
{
    static const char *const v[] = {"=1+2", "+SUM(A1:A9)", "-2+3", "@cmd", "-5", "+7.5e3",
                                    "\tx", "\r=y", "plain", "a=b", "=q,\"r\"", ""};
    const size_t nv = sizeof v / sizeof v[0];
    edb_series *s;
    edb_series_new(&s, "IMIR_HK_NOTE");
    edb_series_set_type(s, EDB_VT_STRING);
    for (size_t k = 0; k < nv; k++)
        edb_series_push_str(s, (FX_T0_MS + (int64_t)k) * 1000, v[k], strlen(v[k]));
    const edb_series *one[] = {s};
    const char *safe[] = {"safe", NULL};
    /* mjd: float(Fraction(ms, 86400000) + 40587) in Python, printed with repr */
    const char *body =
        "time,mjd,mnemonic,value\n"
        "2021-01-26T02:30:00.009,59240.104166770834,IMIR_HK_NOTE,'=1+2\n"
        "2021-01-26T02:30:00.010,59240.10416678241,IMIR_HK_NOTE,'+SUM(A1:A9)\n"
        "2021-01-26T02:30:00.011,59240.10416679398,IMIR_HK_NOTE,'-2+3\n"
        "2021-01-26T02:30:00.012,59240.104166805555,IMIR_HK_NOTE,'@cmd\n"
        "2021-01-26T02:30:00.013,59240.10416681713,IMIR_HK_NOTE,-5\n"
        "2021-01-26T02:30:00.014,59240.10416682871,IMIR_HK_NOTE,+7.5e3\n"
        "2021-01-26T02:30:00.015,59240.104166840276,IMIR_HK_NOTE,'\tx\n"
        "2021-01-26T02:30:00.016,59240.10416685185,IMIR_HK_NOTE,\"'\r=y\"\n"
        "2021-01-26T02:30:00.017,59240.10416686343,IMIR_HK_NOTE,plain\n"
        "2021-01-26T02:30:00.018,59240.104166875,IMIR_HK_NOTE,a=b\n"
        "2021-01-26T02:30:00.019,59240.10416688657,IMIR_HK_NOTE,\"'=q,\"\"r\"\"\"\n"
        "2021-01-26T02:30:00.020,59240.10416689815,IMIR_HK_NOTE,\n";
    write_series_opts(in_tmp("s.csv"), one, 1, NULL, safe);
    char *t = tu_read_file(in_tmp("s.csv"), NULL);
    ck_assert_str_eq(t, body);
    free(t);
    /* csv.gz: the same bytes inside */
    write_series_opts(in_tmp("s.csv.gz"), one, 1, NULL, safe);
    size_t zl = 0;
    t = gunzip(in_tmp("s.csv.gz"), &zl);
    ck_assert_str_eq(t, body);
    free(t);
    /* ECSV: the same values ("" for the empty string, as ECSV always writes it) */
    write_series_opts(in_tmp("s.ecsv"), one, 1, NULL, safe);
    t = tu_read_file(in_tmp("s.ecsv"), NULL);
    ck_assert_ptr_nonnull(strstr(t, "\ntime,mjd,mnemonic,value\n"
                                    "2021-01-26T02:30:00.009,59240.104166770834,IMIR_HK_NOTE,'=1+2\n"));
    ck_assert_ptr_nonnull(strstr(t, ",IMIR_HK_NOTE,-5\n"));
    ck_assert_ptr_nonnull(strstr(t, ",IMIR_HK_NOTE,\"'=q,\"\"r\"\"\"\n"));
    ck_assert_ptr_nonnull(strstr(t, ",IMIR_HK_NOTE,\"\"\n"));
    free(t);
    /* without the option: the values as they are */
    write_series_opts(in_tmp("raw.csv"), one, 1, NULL, NULL);
    t = tu_read_file(in_tmp("raw.csv"), NULL);
    ck_assert_ptr_nonnull(strstr(t, ",IMIR_HK_NOTE,=1+2\n"));
    ck_assert_ptr_nonnull(strstr(t, ",IMIR_HK_NOTE,\"\r=y\"\n"));
    ck_assert_ptr_null(strstr(t, "'"));
    free(t);
    /* a wide table's string column too */
    edb_table *w = fx_wide();
    edb_column *c;
    edb_table_add_column(w, "IMIR_HK_NOTE", "IMIR_HK_NOTE", NULL, EDB_VT_STRING, &c);
    edb_column_set_str(c, 3, 0, "=HYPERLINK(1)", 13);
    edb_writer_options o = EDB_WRITER_OPTIONS_INIT;
    o.options = safe;
    o.n_options = 1;
    edb_writer *wr = NULL;
    edb_err err = EDB_ERR_INIT;
    ck_assert_int_eq(edb_writer_open(&wr, in_tmp("w.csv"), &o, &err), EDB_OK);
    ck_assert_int_eq(edb_writer_write_table(wr, w), EDB_OK);
    ck_assert_int_eq(edb_writer_close(wr), EDB_OK);
    edb_writer_free(wr);
    edb_table_free(w);
    t = tu_read_file(in_tmp("w.csv"), NULL);
    ck_assert_ptr_nonnull(strstr(t, "\n2021-01-26T02:30:00.000,59240.104166666664,-0.209546968,"
                                    "7,ON,'=HYPERLINK(1)\n"));
    free(t);
    /* text in the header too: a spreadsheet splits a comment line or ECSV's YAML at ','
     * and ';', so no cell there may start like a formula either */
    edb_series_set_meta(s, "dB;=1", "heater, =HYPERLINK(\"x\");-1,2");
    const char *both[] = {"safe", "header-comments", NULL};
    write_series_opts(in_tmp("h.csv"), one, 1, NULL, both);
    t = tu_read_file(in_tmp("h.csv"), NULL);
    ck_assert_ptr_nonnull(strstr(t, "\n# mnemonic IMIR_HK_NOTE [dB;'=1]: heater,' "
                                    "=HYPERLINK(\"x\");'-1,2\n"));
    free(t);
    write_series_opts(in_tmp("h.ecsv"), one, 1, NULL, safe);
    t = tu_read_file(in_tmp("h.ecsv"), NULL);
    ck_assert_ptr_nonnull(strstr(t, "description: \"heater,' =HYPERLINK(\\\"x\\\");'-1,2\"}\n"));
    ck_assert_ptr_nonnull(strstr(t, "#       edb_unit: \"dB;'=1\"\n"));
    free(t);
    write_series_opts(in_tmp("h2.ecsv"), one, 1, NULL, NULL); /* and not without it */
    t = tu_read_file(in_tmp("h2.ecsv"), NULL);
    ck_assert_ptr_nonnull(strstr(t, "description: \"heater, =HYPERLINK(\\\"x\\\");-1,2\"}\n"));
    free(t);
    /* FITS and HDF5 are no spreadsheet's: the key is refused there */
    char msg[1200];
    ck_assert_int_eq(try_write(in_tmp("s.h5"), NULL, safe, &fx_run, msg, sizeof msg),
                     EDB_ERR_USAGE);
    ck_assert_str_eq(msg, "-O safe: hdf5 takes no such option (valid: compress=N)");
    edb_series_free(s);
}
END_TEST

/* ---- the run's time (issue 14, item 3) ------------------------------------------------- */

/* The same data written at two clock times give the same bytes in every format; with
 * the stamp asked for, the time is there (and the files differ). */
START_TEST(issue14_3_no_clock_in_files)
{
    edb_run_info a = fx_run, b = fx_run;
    a.stamp = b.stamp = 0;
    a.run_time = INT64_C(1714564800) * 1000000;     /* 2024-05-01T12:00:00Z */
    b.run_time = INT64_C(1893456000) * 1000000 + 7; /* 2030-01-01T00:00:00.000007Z */
    static const char *const ext[] = {"csv", "csv.gz", "ecsv", "fits", "h5"};
    const char *comments[] = {"header-comments", NULL};
    char msg[1200];
    for (size_t k = 0; k < 5; k++) {
        char pa[32], pb[32];
        for (int wide = 0; wide < 2; wide++) {
            snprintf(pa, sizeof pa, "a%d.%s", wide, ext[k]);
            snprintf(pb, sizeof pb, "b%d.%s", wide, ext[k]);
            for (int i = 0; i < 2; i++) {
                edb_writer_options o = EDB_WRITER_OPTIONS_INIT;
                o.run = i ? &b : &a;
                if (k < 2) { /* the comment lines name the query, never the run */
                    o.options = comments;
                    o.n_options = 1;
                }
                edb_writer *w = NULL;
                edb_err err = EDB_ERR_INIT;
                ck_assert_int_eq(edb_writer_open(&w, in_tmp(i ? pb : pa), &o, &err), EDB_OK);
                edb_table *t = wide ? fx_wide() : NULL;
                ck_assert_int_eq(wide ? edb_writer_write_table(w, t)
                                      : edb_writer_write_series(
                                            w, (const edb_series *const *)fx_series, FX_N),
                                 EDB_OK);
                ck_assert_int_eq(edb_writer_close(w), EDB_OK);
                edb_writer_free(w);
                edb_table_free(t);
            }
            same_bytes(in_tmp(pa), in_tmp(pb));
        }
    }
    /* nothing of either time is in them */
    for (size_t k = 0; k < 5; k++) {
        char p[32];
        snprintf(p, sizeof p, "a0.%s", ext[k]);
        size_t n = 0;
        char *t = k == 1 ? gunzip(in_tmp(p), &n) : tu_read_file(in_tmp(p), &n);
        ck_assert_msg(!memmem(t, n, "2024-05-01", 10) && !memmem(t, n, "2030-01-01", 10) &&
                      !memmem(t, n, "run_time", 8), "%s holds a run time", p);
        free(t);
    }
    fitsfile *fp;
    int st = 0;
    fits_open_diskfile(&fp, in_tmp("a0.fits"), READONLY, &st);
    key_absent(fp, "DATE");
    move_to(fp, "SA_ZATTEST1");
    key_absent(fp, "DATE");
    key_str(fp, "DATE-BEG", "2021-01-26T02:30:00.009"); /* the data's own times stay */
    fits_close_file(fp, &st);
    hid_t f = H5Fopen(in_tmp("a0.h5"), H5F_ACC_RDONLY, H5P_DEFAULT);
    ck_assert_int_eq(H5Aexists(f, "run_time"), 0);
    attr_eq(f, "query_start", "2021-01-26T02:30:00.000000");
    H5Fclose(f);

    /* stamped: the time, where the docs say */
    b.stamp = 1;
    for (size_t k = 0; k < 5; k++) {
        char p[32];
        snprintf(p, sizeof p, "s.%s", ext[k]);
        ck_assert_int_eq(try_write(in_tmp(p), NULL, k < 2 ? comments : NULL, &b, msg,
                                   sizeof msg), EDB_OK);
    }
    fits_open_diskfile(&fp, in_tmp("s.fits"), READONLY, &st);
    key_str(fp, "DATE", "2030-01-01T00:00:00");
    move_to(fp, "SA_ZATTEST1");
    key_str(fp, "DATE", "2030-01-01T00:00:00");
    fits_close_file(fp, &st);
    f = H5Fopen(in_tmp("s.h5"), H5F_ACC_RDONLY, H5P_DEFAULT);
    attr_eq(f, "run_time", "2030-01-01T00:00:00.000007");
    H5Fclose(f);
    char *t = tu_read_file(in_tmp("s.ecsv"), NULL);
    ck_assert_ptr_nonnull(strstr(t, "\n# - {run_time: \"2030-01-01T00:00:00.000007\"}\n"));
    free(t);
    t = tu_read_file(in_tmp("s.csv"), NULL);
    ck_assert_ptr_nonnull(strstr(t, "; run at 2030-01-01T00:00:00.000007 (UTC)\n"));
    free(t);
}
END_TEST

/* ---- CSV comment lines (issue 10, item 5) --------------------------------------------- */

START_TEST(issue10_5_csv_header_comments)
{
    const char *comments[] = {"header-comments", NULL};
    const edb_series *two[] = {fx_series[FX_REAL], fx_series[FX_UNK], fx_series[FX_EMPTY]};
    write_series_opts(in_tmp("c.csv"), two, 3, NULL, comments);
    char *t = tu_read_file(in_tmp("c.csv"), NULL);
    ck_assert_str_eq(t,
        "# edbx 0.1.0: query from 2021-01-26T02:30:00.000000 to 2021-01-26T02:31:00.000000 "
        "(UTC); run at 2024-05-01T12:00:00.000000 (UTC)\n"
        "# column time: UTC, ISO 8601\n"
        "# column mjd [d]: the same instant as a Modified Julian Date (UTC)\n"
        "# column mnemonic: the EDB mnemonic of the row\n"
        "# column value: the sample, in the unit of its mnemonic\n"
        "# mnemonic SA_ZATTEST1 [volts]: " FX_LONG_DESC "\n"
        "# mnemonic SA_ZODDUNIT [DN/furlong]\n"
        "# mnemonic SA_ZNOTHING\n"
        "time,mjd,mnemonic,value\n"
        "2021-01-26T02:30:00.009,59240.104166770834,SA_ZATTEST1,-0.209546968\n"
        "2021-01-26T02:30:00.265,59240.10416973379,SA_ZATTEST1,0.30000000000000004\n"
        "2021-01-26T02:30:00.521,59240.10417269676,SA_ZATTEST1,\n"
        "2021-01-26T02:30:00.777,59240.10417565972,SA_ZATTEST1,1e-300\n"
        "2021-01-26T02:30:00.016,59240.10416685185,SA_ZODDUNIT,42.5\n");
    free(t);
    /* a wide table: a line per column, the statistic named; a '#' in a value is quoted,
     * since pandas' comment='#' would cut the line there */
    edb_table *w = fx_wide();
    edb_column *c;
    edb_table_add_column(w, "IMIR_HK_HTR", "IMIR_HK_HTR", NULL, EDB_VT_STRING, &c);
    edb_column_set_str(c, 3, 0, "on", 2);
    edb_column_set_str(c, 3, 2, "#3", 2);
    edb_column_set_meta(c, "", "state\nof the # heater");
    edb_writer_options o = EDB_WRITER_OPTIONS_INIT;
    edb_run_info run = fx_run;
    run.stamp = 0;
    o.run = &run;
    o.options = comments;
    o.n_options = 1;
    edb_writer *wr = NULL;
    edb_err err = EDB_ERR_INIT;
    ck_assert_int_eq(edb_writer_open(&wr, in_tmp("w.csv.gz"), &o, &err), EDB_OK);
    ck_assert_int_eq(edb_writer_write_table(wr, w), EDB_OK);
    ck_assert_int_eq(edb_writer_close(wr), EDB_OK);
    edb_writer_free(wr);
    edb_table_free(w);
    size_t n;
    t = gunzip(in_tmp("w.csv.gz"), &n);
    ck_assert_str_eq(t,
        "# edbx 0.1.0: query from 2021-01-26T02:30:00.000000 to 2021-01-26T02:31:00.000000 "
        "(UTC); grid step 1 s\n"
        "# column time: UTC, ISO 8601\n"
        "# column mjd [d]: the same instant as a Modified Julian Date (UTC)\n"
        "# column SA_ZATTEST1_mean [V]: " FX_LONG_DESC " (mean of SA_ZATTEST1)\n"
        "# column SA_ZFGDETID [DN/furlong]\n"
        "# column IMIR_HK_STATE\n"
        "# column IMIR_HK_HTR: state of the # heater\n"
        "time,mjd,SA_ZATTEST1_mean,SA_ZFGDETID,IMIR_HK_STATE,IMIR_HK_HTR\n"
        "2021-01-26T02:30:00.000,59240.104166666664,-0.209546968,7,ON,on\n"
        "2021-01-26T02:30:01.000,59240.10417824074,,-7,\"" "a,b \"\"q\"\" "
        "\xc3\xa9\xc3\xbc \xe6\x97\xa5\xe6\x9c\xac\",\n"
        "2021-01-26T02:30:02.000,59240.10418981482,0.30000000000000004,,OFF,\"#3\"\n");
    free(t);
    /* not for ECSV (its YAML header says all that), FITS or HDF5 */
    char msg[1200];
    ck_assert_int_eq(try_write(in_tmp("c.ecsv"), NULL, comments, &fx_run, msg, sizeof msg),
                     EDB_ERR_USAGE);
    ck_assert_str_eq(msg, "-O header-comments: ecsv takes no such option (valid: safe, "
                          "astropy-time)");
}
END_TEST

/* The writer-option seam: each format's keys and the checks of their values. */
START_TEST(writer_option_values_checked)
{
    char msg[1200];
    static const struct {
        const char *path, *opt, *msg;
    } bad[] = {
        {"x.h5", "compress=x", "-O compress=x: the deflate level is a whole number from 0 (no "
                               "compression) to 9 (smallest file); the default is 1"},
        {"x.csv.gz", "compress=-1", "-O compress=-1: the deflate level is a whole number from "
                                    "0 (no compression) to 9 (smallest file); the default is 1"},
        {"x.csv.gz", "compress=", "-O compress=: the deflate level is a whole number from 0 "
                                  "(no compression) to 9 (smallest file); the default is 1"},
        {"x.h5", "compress", "-O compress needs a value: -O compress=N (deflate level of the "
                             "chunks, 0 (none) to 9 (smallest); default 1)"},
        {"x.ecsv", "astropy-time=1", "-O astropy-time takes no value (tag the time column as "
                                     "an astropy Time (TOPCAT cannot open such files))"},
        {"x.csv", "compress=1", "-O compress: csv takes no such option (valid: safe, "
                                "header-comments)"},
        {"x.fits", "compress=1", "-O compress: fits takes no such option (it takes none)"},
        {"x.csv", "astropy-time", "-O astropy-time: csv takes no such option (valid: safe, "
                                  "header-comments)"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        const char *opts[] = {bad[k].opt, NULL};
        ck_assert_int_eq(try_write(in_tmp(bad[k].path), NULL, opts, &fx_run, msg, sizeof msg),
                         EDB_ERR_USAGE);
        ck_assert_str_eq(msg, bad[k].msg);
        ck_assert_uint_eq(count_entries(tmp), 0);
    }
    /* the tables, for --help and the docs */
    static const char *const keys[][4] = {{"csv", "safe", "header-comments", NULL},
                                          {"csv.gz", "safe", "header-comments", "compress"},
                                          {"ecsv", "safe", "astropy-time", NULL},
                                          {"hdf5", "compress", NULL, NULL}};
    for (size_t k = 0; k < 4; k++) {
        size_t n = 0;
        while (n < 3 && keys[k][n + 1])
            n++;
        ck_assert_uint_eq(edb_format_option_count(keys[k][0]), n);
        for (size_t j = 0; j < n; j++) {
            edb_format_option fo;
            ck_assert_int_eq(edb_format_option_get(keys[k][0], j, &fo), 0);
            ck_assert_str_eq(fo.key, keys[k][j + 1]);
        }
    }
    /* the last of a repeated key wins; csv.gz at level 0 is stored, not compressed */
    const char *levels[] = {"compress=9", "compress=0", NULL};
    write_series_opts(in_tmp("l0.csv.gz"), (const edb_series *const *)fx_series, FX_N, NULL,
                      levels);
    unsigned char *raw = (unsigned char *)tu_read_file(in_tmp("l0.csv.gz"), NULL);
    ck_assert_int_eq(raw[10] & 0x06, 0); /* first deflate block: BTYPE 00, stored */
    free(raw);
}
END_TEST

/* ---- large tables (issue 17, item 4) ---------------------------------------------------
 *
 * FITS packs rows in blocks of cfitsio's optimal row count and sums DATASUM as it goes;
 * HDF5 packs, shuffles and deflates chunks on worker threads and writes them whole.  A
 * few hundred thousand rows span many blocks and chunks, with an edge chunk and rows
 * whose length is not a multiple of 4; everything reads back through the libraries. */

#define BIG_N 200003
static int64_t big_ms(size_t k) { return FX_T0_MS + (int64_t)k * 250; }
static double big_real(size_t k) { return (double)k * 0.001 - 3.5; }
static int64_t big_int(size_t k) { return (int64_t)((k * 7919) % 100000) - 50000; }
static void big_str(size_t k, char out[8]) { snprintf(out, 8, "S%04zu", k % 10000); }

static void big_series(edb_series *s[3])
{
    edb_series_new(&s[0], "SA_ZBIGREAL");
    edb_series_set_type(s[0], EDB_VT_REAL);
    edb_series_new(&s[1], "SA_ZBIGINT");
    edb_series_set_type(s[1], EDB_VT_INT);
    edb_series_new(&s[2], "SA_ZBIGSTR");
    edb_series_set_type(s[2], EDB_VT_STRING);
    for (size_t k = 0; k < BIG_N; k++) {
        char str[8];
        big_str(k, str);
        edb_series_push_real(s[0], big_ms(k) * 1000, big_real(k));
        edb_series_push_int(s[1], big_ms(k) * 1000, big_int(k));
        edb_series_push_str(s[2], big_ms(k) * 1000, str, 5);
    }
}

/* A wide table of BIG_N rows: a real missing every 7th row, an int every 11th, a string
 * in one row of 20000 (edb_column_set_str costs a pass over the rows after the one set). */
static edb_table *big_wide(void)
{
    edb_table *t;
    edb_column *re, *in, *st;
    edb_table_new(&t, BIG_N);
    edb_table_add_column(t, "A_mean", "A", "mean", EDB_VT_REAL, &re);
    edb_table_add_column(t, "B", "B", NULL, EDB_VT_INT, &in);
    edb_table_add_column(t, "C", "C", NULL, EDB_VT_STRING, &st);
    t->step_us = 1000000;
    for (size_t r = 0; r < BIG_N; r++) {
        char str[8];
        big_str(r, str);
        t->t[r] = (FX_T0_MS - 9 + (int64_t)r * 1000) * 1000;
        if (r % 7)
            edb_column_set_real(re, r, big_real(r));
        if (r % 11)
            edb_column_set_int(in, r, big_int(r));
        if (r % 20000 == 0)
            edb_column_set_str(st, BIG_N, r, str, 5);
    }
    return t;
}

static void h5_chunk_rows(hid_t d, hsize_t want)
{
    hid_t p = H5Dget_create_plist(d);
    hsize_t dim = 0;
    ck_assert_int_eq(H5Pget_chunk(p, 1, &dim), 1);
    ck_assert_uint_eq(dim, want);
    H5Pclose(p);
}

START_TEST(issue17_4_large_tables_read_back)
{
    /* one assertion per row would take minutes (check records each): the first wrong row
     * is kept, and asserted at the end */
    size_t bad_row = SIZE_MAX;
    int bad_line = 0;
#define ROW_OK(cond, row)                                                                      \
    do {                                                                                       \
        if (!(cond) && bad_row == SIZE_MAX) {                                                  \
            bad_row = (row);                                                                   \
            bad_line = __LINE__;                                                               \
        }                                                                                      \
    } while (0)
    edb_series *s[3];
    big_series(s);
    const edb_series *const *ss = (const edb_series *const *)s;
    for (int level = 0; level < 2; level++) {
        const char *opts[] = {level ? "compress=1" : "compress=0", NULL};
        const char *path = in_tmp("big.h5");
        write_series_opts(path, ss, 3, NULL, opts);
        hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
        double *t = malloc(BIG_N * sizeof *t), *v = malloc(BIG_N * sizeof *v);
        int64_t *iv = malloc(BIG_N * sizeof *iv);
        char *sv = malloc(BIG_N * 5);
        hid_t d = H5Dopen2(f, "/raw/SA_ZBIGREAL", H5P_DEFAULT);
        h5_filters(d, level ? 1 : -1);
        h5_chunk_rows(d, 65536); /* 16-byte rows: 1 MiB */
        read_member(d, "time", H5T_NATIVE_DOUBLE, 8, t);
        read_member(d, "value", H5T_NATIVE_DOUBLE, 8, v);
        H5Dclose(d);
        for (size_t k = 0; k < BIG_N; k++)
            ROW_OK(fabs(t[k] - exp_mjd(big_ms(k))) < 2e-11 && v[k] == big_real(k), k);
        d = H5Dopen2(f, "/raw/SA_ZBIGINT", H5P_DEFAULT);
        member_type(d, "value", H5T_INTEGER, 4);
        h5_chunk_rows(d, 65536); /* 12-byte rows: the row cap */
        read_member(d, "value", H5T_NATIVE_INT64, 8, iv);
        H5Dclose(d);
        for (size_t k = 0; k < BIG_N; k++)
            ROW_OK(iv[k] == big_int(k), k);
        d = H5Dopen2(f, "/raw/SA_ZBIGSTR", H5P_DEFAULT);
        hid_t st5 = H5Tcopy(H5T_C_S1);
        H5Tset_size(st5, 5);
        H5Tset_strpad(st5, H5T_STR_NULLPAD);
        H5Tset_cset(st5, H5T_CSET_UTF8);
        read_member(d, "value", st5, 5, sv);
        H5Tclose(st5);
        H5Dclose(d);
        for (size_t k = 0; k < BIG_N; k++) {
            char want[8];
            big_str(k, want);
            ROW_OK(memcmp(sv + 5 * k, want, 5) == 0, k);
        }
        H5Fclose(f);
        free(t);
        free(v);
        free(iv);
        free(sv);
    }

    /* the wide table: masks and sentinels across the edge chunk */
    edb_table *w = big_wide();
    edb_writer_options o = EDB_WRITER_OPTIONS_INIT;
    edb_writer *wr = NULL;
    edb_err err = EDB_ERR_INIT;
    ck_assert_int_eq(edb_writer_open(&wr, in_tmp("bigw.h5"), &o, &err), EDB_OK);
    ck_assert_int_eq(edb_writer_write_table(wr, w), EDB_OK);
    ck_assert_int_eq(edb_writer_close(wr), EDB_OK);
    edb_writer_free(wr);
    ck_assert_int_eq(edb_writer_open(&wr, in_tmp("bigw.fits"), &o, &err), EDB_OK);
    ck_assert_int_eq(edb_writer_write_table(wr, w), EDB_OK);
    ck_assert_int_eq(edb_writer_close(wr), EDB_OK);
    edb_writer_free(wr);
    edb_table_free(w);
    hid_t f = H5Fopen(in_tmp("bigw.h5"), H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t d = H5Dopen2(f, "/resampled", H5P_DEFAULT);
    /* time 8 + real 8 + int 4 + string 5 + three masks: 28 bytes, 1 MiB / 28 rows a chunk */
    h5_chunk_rows(d, (1 << 20) / 28);
    double *v = malloc(BIG_N * sizeof *v);
    int32_t *iv = malloc(BIG_N * sizeof *iv);
    int8_t *m1 = malloc(BIG_N), *m2 = malloc(BIG_N), *m3 = malloc(BIG_N);
    char *sv = malloc(BIG_N * 5);
    read_member(d, "A_mean", H5T_NATIVE_DOUBLE, 8, v);
    read_member(d, "A_mean.mask", H5T_NATIVE_INT8, 1, m1);
    read_member(d, "B", H5T_NATIVE_INT32, 4, iv);
    read_member(d, "B.mask", H5T_NATIVE_INT8, 1, m2);
    read_member(d, "C.mask", H5T_NATIVE_INT8, 1, m3);
    hid_t st5 = H5Tcopy(H5T_C_S1);
    H5Tset_size(st5, 5);
    H5Tset_strpad(st5, H5T_STR_NULLPAD);
    H5Tset_cset(st5, H5T_CSET_UTF8);
    read_member(d, "C", st5, 5, sv);
    H5Tclose(st5);
    H5Dclose(d);
    H5Fclose(f);
    for (size_t r = 0; r < BIG_N; r++) {
        char want[8] = {0};
        if (r % 20000 == 0)
            big_str(r, want);
        ROW_OK(m1[r] == (r % 7 == 0) && m2[r] == (r % 11 == 0) && m3[r] == (r % 20000 != 0) &&
                   (r % 7 == 0 ? isnan(v[r]) : v[r] == big_real(r)) &&
                   iv[r] == (r % 11 == 0 ? INT32_MIN : big_int(r)) &&
                   memcmp(sv + 5 * r, want, 5) == 0, r);
    }
    free(v);
    free(iv);
    free(m1);
    free(m2);
    free(m3);
    free(sv);

    /* FITS: rows of 16 + 5 bytes (DATASUM's words straddle rows and blocks), and the wide
     * table; the checksums as cfitsio computes them, and the values */
    const char *fp_path = in_tmp("big.fits");
    write_series_opts(fp_path, ss + 2, 1, NULL, NULL);
    fitsfile *fp;
    int stt = 0;
    fits_open_diskfile(&fp, fp_path, READONLY, &stt);
    move_to(fp, "SA_ZBIGSTR");
    int dataok = 0, hduok = 0;
    fits_verify_chksum(fp, &dataok, &hduok, &stt);
    ck_assert_msg(dataok == 1 && hduok == 1, "checksums: data %d hdu %d", dataok, hduok);
    for (size_t k = 0; k < BIG_N; k += 997) {
        unsigned char b[5];
        cell(fp, (long)k + 1, 17, 5, b);
        char want[8];
        big_str(k, want);
        ck_assert(memcmp(b, want, 5) == 0);
    }
    fits_close_file(fp, &stt);
    fits_open_diskfile(&fp, in_tmp("bigw.fits"), READONLY, &stt);
    move_to(fp, "RESAMPLED");
    fits_verify_chksum(fp, &dataok, &hduok, &stt);
    ck_assert_msg(dataok == 1 && hduok == 1, "checksums: data %d hdu %d", dataok, hduok);
    double *rv = malloc(BIG_N * sizeof *rv);
    char *nul = malloc(BIG_N);
    int anynul = 0;
    fits_read_colnull(fp, TDOUBLE, 3, 1, 1, BIG_N, rv, nul, &anynul, &stt);
    ck_assert_int_eq(stt, 0);
    for (size_t r = 0; r < BIG_N; r++)
        ROW_OK(r % 7 == 0 ? nul[r] == 1 : rv[r] == big_real(r), r);
    free(rv);
    free(nul);
    fits_close_file(fp, &stt);
    for (int k = 0; k < 3; k++)
        edb_series_free(s[k]);
    ck_assert_msg(bad_row == SIZE_MAX, "first wrong row: %zu (line %d)", bad_row, bad_line);
#undef ROW_OK
}
END_TEST

/* CSV and ECSV rows are formatted a block of 8192 rows at a time on worker threads and
 * written in order: many blocks, with strings that must be quoted (and in ECSV, empty
 * strings written ""), give exactly the text of rows built one after the other here. */
#define TEXT_N 50001
static void text_str(size_t k, char *out, size_t n)
{
    if (k % 7 == 0)
        out[0] = '\0';
    else if (k % 5 == 0)
        snprintf(out, n, "a,\"%zu\"", k);
    else
        snprintf(out, n, "v%zu", k);
}

/* The ordered pipeline both the CSV and the HDF5 writer run on (formats/common.c): jobs
 * made on worker threads come back in order, each from its own slot, a slot is never made
 * again before its job is taken, and a failure anywhere ends the run with every thread
 * joined and nothing taken past it. */

#define PIPE_SLOTS 3
typedef struct pipe_t {
    size_t slot_job[PIPE_SLOTS]; /* 1 + the job made into the slot, 0 once taken */
    size_t taken, fail_make, fail_take, inits, finis;
    int fail_init, overwritten, out_of_order;
    pthread_mutex_t mu;
} pipe_t;

static void *pt_init(void *ctx)
{
    pipe_t *p = ctx;
    pthread_mutex_lock(&p->mu);
    p->inits++;
    pthread_mutex_unlock(&p->mu);
    return p->fail_init ? NULL : (void *)p;
}

static void pt_fini(void *ctx, void *state)
{
    pipe_t *p = ctx;
    ck_assert_ptr_eq(state, p);
    pthread_mutex_lock(&p->mu);
    p->finis++;
    pthread_mutex_unlock(&p->mu);
}

static int pt_make(void *ctx, void *state, size_t job, size_t slot)
{
    pipe_t *p = ctx;
    (void)state;
    if (job + 1 == p->fail_make)
        return -1;
    pthread_mutex_lock(&p->mu);
    if (p->slot_job[slot] != 0)
        p->overwritten = 1; /* made again before it was taken */
    p->slot_job[slot] = job + 1;
    pthread_mutex_unlock(&p->mu);
    return 0;
}

static int pt_take(void *ctx, size_t job, size_t slot)
{
    pipe_t *p = ctx;
    pthread_mutex_lock(&p->mu);
    if (job != p->taken || p->slot_job[slot] != job + 1)
        p->out_of_order = 1;
    p->slot_job[slot] = 0;
    p->taken++;
    pthread_mutex_unlock(&p->mu);
    return job + 1 == p->fail_take ? -1 : 0;
}

static int pt_run(pipe_t *p, size_t njobs, size_t nworkers, int with_init)
{
    memset(p, 0, offsetof(pipe_t, mu));
    edb__pipe pp = {.ctx = p, .njobs = njobs, .nslots = PIPE_SLOTS, .nworkers = nworkers,
                    .init = with_init ? pt_init : NULL, .fini = pt_fini, .make = pt_make,
                    .take = pt_take};
    return edb__pipe_run(&pp);
}

START_TEST(issue17_3_pipeline_in_order)
{
    pipe_t p;
    pthread_mutex_init(&p.mu, NULL);
    for (size_t w = 0; w <= 4; w++) {
        ck_assert_int_eq(pt_run(&p, 5000, w, 1), 0);
        ck_assert_uint_eq(p.taken, 5000);
        ck_assert_int_eq(p.out_of_order, 0);
        ck_assert_int_eq(p.overwritten, 0);
        ck_assert_uint_eq(p.inits, w ? w : 1); /* one state a thread, this one without */
        ck_assert_uint_eq(p.finis, p.inits);
        ck_assert_int_eq(pt_run(&p, 0, w, 0), 0);
        ck_assert_uint_eq(p.taken, 0);
    }
    /* a make that fails: nothing is taken from it on */
    pt_run(&p, 0, 0, 0);
    p.fail_make = 701;
    edb__pipe pp = {.ctx = &p, .njobs = 5000, .nslots = PIPE_SLOTS, .nworkers = 2,
                    .make = pt_make, .take = pt_take};
    ck_assert_int_eq(edb__pipe_run(&pp), -1);
    ck_assert_uint_le(p.taken, 700);
    ck_assert_int_eq(p.out_of_order, 0);
    /* a take that stops the run: no take after it */
    memset(&p, 0, offsetof(pipe_t, mu));
    p.fail_take = 42;
    ck_assert_int_eq(edb__pipe_run(&pp), -1);
    ck_assert_uint_eq(p.taken, 42);
    /* a worker without its state fails the run: with threads and without */
    for (size_t w = 0; w <= 2; w += 2) {
        memset(&p, 0, offsetof(pipe_t, mu));
        p.fail_init = 1;
        edb__pipe pi = {.ctx = &p, .njobs = 50, .nslots = PIPE_SLOTS, .nworkers = w,
                        .init = pt_init, .fini = pt_fini, .make = pt_make, .take = pt_take};
        ck_assert_int_eq(edb__pipe_run(&pi), -1);
        ck_assert_uint_eq(p.taken, 0);
        ck_assert_uint_eq(p.finis, 0);
    }
    pthread_mutex_destroy(&p.mu);
}
END_TEST

START_TEST(issue17_4_text_rows_in_blocks)
{
    edb_series *s[2];
    edb_series_new(&s[0], "SA_ZTEXTREAL");
    edb_series_set_type(s[0], EDB_VT_REAL);
    edb_series_new(&s[1], "SA_ZTEXTSTR");
    edb_series_set_type(s[1], EDB_VT_STRING);
    for (size_t k = 0; k < TEXT_N; k++) {
        char str[40];
        text_str(k, str, sizeof str);
        edb_series_push_real(s[0], big_ms(k) * 1000, k % 13 ? big_real(k) : NAN);
        edb_series_push_str(s[1], big_ms(k) * 1000, str, strlen(str));
    }
    for (int ecsv = 0; ecsv < 2; ecsv++) {
        /* the expected rows: time, mjd, mnemonic, value; NaN an empty field; a string
         * with a comma or a quote quoted, its quotes doubled; "" for an empty ECSV string */
        size_t cap = (size_t)TEXT_N * 2 * 100, o = 0;
        char *want = malloc(cap);
        ck_assert_ptr_nonnull(want);
        o += (size_t)snprintf(want, cap, "time,mjd,mnemonic,value\n");
        for (int m = 0; m < 2; m++)
            for (size_t k = 0; k < TEXT_N; k++) {
                char iso[EDB_TIME_STRLEN], mjd[40], val[64] = "";
                edb_time t = big_ms(k) * 1000;
                edb_time_format_iso(t, iso, sizeof iso);
                edb_format_double(edb_time_to_mjd(t), mjd, sizeof mjd);
                if (m == 0 && k % 13)
                    edb_format_double(big_real(k), val, sizeof val);
                if (m == 1) {
                    char str[40];
                    text_str(k, str, sizeof str);
                    if (k % 7 == 0)
                        snprintf(val, sizeof val, "%s", ecsv ? "\"\"" : "");
                    else if (k % 5 == 0)
                        snprintf(val, sizeof val, "\"a,\"\"%zu\"\"\"", k);
                    else
                        snprintf(val, sizeof val, "%s", str);
                }
                o += (size_t)snprintf(want + o, cap - o, "%s,%s,%s,%s\n", iso, mjd,
                                      m ? "SA_ZTEXTSTR" : "SA_ZTEXTREAL", val);
            }
        const char *path = in_tmp(ecsv ? "rows.ecsv" : "rows.csv");
        write_series_opts(path, (const edb_series *const *)s, 2, NULL, NULL);
        size_t len = 0;
        char *text = tu_read_file(path, &len);
        ck_assert_ptr_nonnull(text);
        /* ECSV: the rows after its YAML header */
        const char *body = ecsv ? strstr(text, "\ntime,mjd,mnemonic,value\n") + 1 : text;
        ck_assert_uint_eq(strlen(body), o);
        ck_assert_msg(memcmp(body, want, o) == 0, "%s: the rows differ", path);
        free(text);
        free(want);
    }
    edb_series_free(s[0]);
    edb_series_free(s[1]);
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
    tcase_add_test(tc, issue15_12_full_disk_names_file_leaves_nothing);
    tcase_add_test(tc, issue15_2_output_paths);
    tcase_add_test(tc, issue15_2_owner_kept);
    tcase_add_test(tc, issue15_11_unknown_extension_refused);
    tcase_add_test(tc, issue15_12_closed_pipe_is_told_apart);
    tcase_add_test(tc, issue15_12_csv_safe);
    tcase_add_test(tc, issue14_3_no_clock_in_files);
    tcase_add_test(tc, issue10_5_csv_header_comments);
    tcase_add_test(tc, writer_option_values_checked);
    tcase_add_test(tc, issue17_4_large_tables_read_back);
    tcase_add_test(tc, issue17_4_text_rows_in_blocks);
    tcase_add_test(tc, issue17_3_pipeline_in_order);
    tcase_add_test(tc, hdf5_several_tables_with_metadata);
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
