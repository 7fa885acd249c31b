/* test_e2e_formats.c: `edbx get` end to end into FITS, HDF5, ECSV and gzipped CSV, against
 * edb_server on 127.0.0.1 serving the real 2021 recording in fixtures/.  Every file is
 * read back here with cfitsio, the HDF5 library and zlib, and every sample compared with
 * the recording's JSON as jansson reads it (never with edbx's own code): times to the
 * millisecond, values as the same double or the same integer, nothing missing or extra.
 * Also the FITS keywords that carry the query, a resampled wide table, byte-identical
 * reruns under SOURCE_DATE_EPOCH, and no file left behind by a failed fetch. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include <fitsio.h>
#include <hdf5.h>
#include <zlib.h>

#include <edb/edb.h>

#include "testutil.h"

/* A REAL, a FLOAT, the REAL whose JSON holds only integers, and the TINYINT. */
static const char *const MN[] = {"SA_ZATTEST1", "SA_ZFGGSCMDX", "INRSI_GWA_Y_TILT_AVGED",
                                 "SA_ZFGDETID"};
static const int MN_INT[] = {0, 0, 0, 1};
#define NM 4

/* The raw sub-range, fractional at both ends: [A_MS, B_MS] inclusive. */
#define START_TXT "2021-01-26T02:30:00.500"
#define END_TXT "2021-01-26T02:33:20.250"
#define A_MS INT64_C(1611628200500) /* date -u -d 2021-01-26T02:30:00Z +%s, + 0.500 s */
#define B_MS INT64_C(1611628400250)
/* SOURCE_DATE_EPOCH for every run: 2024-05-01T12:00:00Z (date -u -d @1714564800). */
#define SDE "SOURCE_DATE_EPOCH=1714564800"
#define SDE_ISO "2024-05-01T12:00:00"
#define UNIX_MJD 40587 /* MJD of 1970-01-01 */
#define DAY_MS INT64_C(86400000)

static char *tmp;
static edb_server *srv;
static char base[TU_BASE_LEN];

static void setup(void)
{
    tmp = tu_mkdtemp();
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    edb_server_options so = EDB_SERVER_OPTIONS_INIT;
    srv = tu_serve(so, tu_fixture("jwst-2021-01-26"), base);
}

static void teardown(void)
{
    edb_server_stop(srv);
    srv = NULL;
    char cache[4200];
    snprintf(cache, sizeof cache, "%s-cache", tmp);
    tu_rmtree(cache);
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

/* Run edbx with a clean environment, a fresh reply cache outside tmp (so every run asks
 * the server and tmp holds only what edbx wrote), SOURCE_DATE_EPOCH (unless with_sde is
 * 0) and TMPDIR=tmp/t.  prefix: argv before edbx's (a shell that runs it), or NULL. */
static int run_ex(tu_run *r, const char *const *args, int with_sde, const char *const *prefix)
{
    const char *argv[64];
    size_t n = 0;
    for (; prefix && *prefix; prefix++)
        argv[n++] = *prefix;
    argv[n++] = tu_edbx();
    for (; *args; args++)
        argv[n++] = *args;
    argv[n] = NULL;
    static char home[4200], baseenv[128], xdg[4300], tmpdir[4300];
    static int runs;
    snprintf(home, sizeof home, "HOME=%s", tmp);
    snprintf(xdg, sizeof xdg, "XDG_CACHE_HOME=%s-cache/%d", tmp, runs++);
    snprintf(baseenv, sizeof baseenv, "ENG_BASE_URL=%s", base);
    snprintf(tmpdir, sizeof tmpdir, "TMPDIR=%s/t", tmp);
    mkdir(tmpdir + 7, 0700);
    const char *env[] = {home,     baseenv, "MAST_API_TOKEN=", "NETRC=", "ENG_RETRIES=",
                         "ENG_TIMEOUT=", xdg, tmpdir,          with_sde ? SDE : "SOURCE_DATE_EPOCH=",
                         NULL};
    return tu_run_cmd(r, argv, env);
}

static int run(tu_run *r, const char *const *args)
{
    return run_ex(r, args, 1, NULL);
}

static void run_ok(const char *const *args)
{
    tu_run r;
    ck_assert_msg(run(&r, args) == 0, "exit %d: %s", r.status, r.err);
    ck_assert_str_eq(r.err, "");
    tu_run_free(&r);
}

/* get the four mnemonics over the sub-range, with extra arguments (NULL-terminated). */
static void get4(const char *const *extra, tu_run *r, int want_status)
{
    const char *args[32];
    size_t n = 0;
    args[n++] = "get";
    for (size_t k = 0; k < NM; k++)
        args[n++] = MN[k];
    args[n++] = "--start";
    args[n++] = START_TXT;
    args[n++] = "--end";
    args[n++] = END_TXT;
    for (; *extra; extra++)
        args[n++] = *extra;
    args[n] = NULL;
    tu_run mine, *rr = r ? r : &mine;
    ck_assert_msg(run(rr, args) == want_status, "exit %d: %s", rr->status, rr->err);
    if (!r)
        tu_run_free(&mine);
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

/* ---- the recording, read independently ---------------------------------------------- */

typedef struct sample {
    int64_t ms;
    double v;
    int is_int;
    long long iv;
} sample;

/* All samples of a mnemonic, in file order. */
static size_t load_all(const char *mnemonic, sample **out)
{
    char name[128];
    size_t k;
    for (k = 0; mnemonic[k]; k++)
        name[k] = (char)((mnemonic[k] >= 'A' && mnemonic[k] <= 'Z') ? mnemonic[k] + 32
                                                                      : mnemonic[k]);
    snprintf(name + k, sizeof name - k, "_data.json");
    char path[4300];
    snprintf(path, sizeof path, "%s/%s", tu_fixture("jwst-2021-01-26"), name);
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    ck_assert_msg(root != NULL, "%s: %s", path, je.text);
    json_t *data = json_object_get(root, "Data");
    size_t n = json_array_size(data);
    ck_assert_uint_gt(n, 0);
    sample *s = calloc(n, sizeof *s);
    for (size_t j = 0; j < n; j++) {
        json_t *e = json_array_get(data, j);
        const char *ot = json_string_value(json_object_get(e, "ObsTime"));
        ck_assert_ptr_nonnull(ot);
        ck_assert(strncmp(ot, "/Date(", 6) == 0);
        s[j].ms = strtoll(ot + 6, NULL, 10); /* "/Date(1611628142147+0000)/" */
        json_t *v = json_object_get(e, "EUValue");
        ck_assert(json_is_number(v));
        s[j].v = json_number_value(v);
        s[j].is_int = json_is_integer(v);
        s[j].iv = s[j].is_int ? (long long)json_integer_value(v) : 0;
        if (j)
            ck_assert(s[j].ms >= s[j - 1].ms);
    }
    json_decref(root);
    *out = s;
    return n;
}

/* The samples in [A_MS, B_MS]. */
typedef struct expect {
    sample *s;
    size_t n;
} expect;

static expect ex[NM];
static int64_t ref_ms; /* MJDREF of the raw files: the day of the earliest sample */

static void load_expected(void)
{
    int64_t first = INT64_MAX;
    for (size_t m = 0; m < NM; m++) {
        sample *all;
        size_t n = load_all(MN[m], &all), w = 0;
        for (size_t j = 0; j < n; j++)
            if (all[j].ms >= A_MS && all[j].ms <= B_MS)
                all[w++] = all[j];
        ck_assert_msg(w > 5, "%s: only %zu samples in the range", MN[m], w);
        if (MN_INT[m])
            for (size_t j = 0; j < w; j++)
                ck_assert(all[j].is_int);
        ex[m].s = all;
        ex[m].n = w;
        if (all[0].ms < first)
            first = all[0].ms;
    }
    ref_ms = first / DAY_MS * DAY_MS;
}

static void free_expected(void)
{
    for (size_t m = 0; m < NM; m++) {
        free(ex[m].s);
        ex[m].s = NULL;
    }
}

static void iso_ms(int64_t ms, char *buf, size_t n)
{
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    snprintf(buf, n, "%04d-%02d-%02dT%02d:%02d:%02d.%03d", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
}

static int64_t parse_iso_ms(const char *s)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    ck_assert_msg(strlen(s) == 23, "time '%s'", s);
    ck_assert(s[4] == '-' && s[7] == '-' && s[10] == 'T' && s[13] == ':' && s[16] == ':' &&
              s[19] == '.');
    tm.tm_year = atoi(s) - 1900;
    tm.tm_mon = atoi(s + 5) - 1;
    tm.tm_mday = atoi(s + 8);
    tm.tm_hour = atoi(s + 11);
    tm.tm_min = atoi(s + 14);
    tm.tm_sec = atoi(s + 17);
    return (int64_t)timegm(&tm) * 1000 + atoi(s + 20);
}

/* An MJD (UTC) as milliseconds since 1970, rounded: exact for these 2021 stamps, whose
 * MJD doubles are within a microsecond of the instant. */
static int64_t mjd_to_ms(double mjd)
{
    return (int64_t)llround((mjd - UNIX_MJD) * (double)DAY_MS);
}

static void check_mjd(const char *m, int64_t ms, double mjd)
{
    ck_assert_msg(mjd_to_ms(mjd) == ms, "%s: mjd %.12f is not %lld ms", m, mjd, (long long)ms);
    double want = UNIX_MJD + (double)ms / (double)DAY_MS;
    ck_assert_msg(fabs(mjd - want) < 1e-10, "%s: mjd %.12f, want %.12f", m, mjd, want);
}

/* ---- text formats (ECSV body, CSV) ----------------------------------------------------- */

/* Check the long-layout body "time,mjd,mnemonic,value\n..." against the recording.  In an
 * integer column (int_col) the values are parsed as integers, else as doubles. */
static void check_long_text(char *text, int int_col)
{
    char *save = NULL, *line = strtok_r(text, "\n", &save);
    ck_assert_ptr_nonnull(line);
    ck_assert_str_eq(line, "time,mjd,mnemonic,value");
    size_t m = 0, j = 0, rows = 0;
    while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
        char *f[4], *p = line;
        for (int k = 0; k < 4; k++) {
            f[k] = p;
            p = strchr(p, ',');
            if (k < 3) {
                ck_assert_msg(p != NULL, "short row: %s", line);
                *p++ = '\0';
            }
        }
        ck_assert_msg(p == NULL, "extra field in row");
        while (m < NM && j == ex[m].n) {
            m++;
            j = 0;
        }
        ck_assert_msg(m < NM, "extra row: %s,%s,%s,%s", f[0], f[1], f[2], f[3]);
        const sample *s = &ex[m].s[j];
        ck_assert_str_eq(f[2], MN[m]);
        int64_t ms = parse_iso_ms(f[0]);
        ck_assert_msg(ms == s->ms, "%s row %zu: time %s, want %lld", MN[m], j, f[0],
                      (long long)s->ms);
        char *end;
        double mjd = strtod(f[1], &end);
        ck_assert(*end == '\0' && end != f[1]);
        check_mjd(MN[m], s->ms, mjd);
        if (int_col) {
            long long iv = strtoll(f[3], &end, 10);
            ck_assert_msg(*end == '\0' && end != f[3], "bad integer '%s'", f[3]);
            ck_assert(s->is_int);
            ck_assert_msg(iv == s->iv, "%s at %lld: %lld, want %lld", MN[m], (long long)s->ms,
                          iv, s->iv);
        } else {
            double v = strtod(f[3], &end);
            ck_assert_msg(*end == '\0' && end != f[3], "bad value '%s'", f[3]);
            ck_assert_msg(v == s->v, "%s at %lld: value %s = %.17g, want %.17g", MN[m],
                          (long long)s->ms, f[3], v, s->v);
        }
        j++;
        rows++;
    }
    while (m < NM && j == ex[m].n) {
        m++;
        j = 0;
    }
    ck_assert_msg(m == NM, "%s: rows missing from %zu on", m < NM ? MN[m] : "", j);
    size_t want = 0;
    for (size_t k = 0; k < NM; k++)
        want += ex[k].n;
    ck_assert_uint_eq(rows, want);
}

/* Whole content of a gzip file through zlib, NUL-terminated. */
static char *gunzip_file(const char *path, size_t *len)
{
    gzFile g = gzopen(path, "rb");
    ck_assert_msg(g != NULL, "gzopen %s", path);
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (cap - n < 8192)
            buf = realloc(buf, cap *= 2);
        int got = gzread(g, buf + n, (unsigned)(cap - n - 1));
        ck_assert_int_ge(got, 0);
        if (got == 0)
            break;
        n += (size_t)got;
    }
    ck_assert_int_eq(gzclose(g), Z_OK);
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

/* The gzip member header carries no name and no time stamp (RFC 1952). */
static void check_gzip_header(const unsigned char *b, size_t n)
{
    ck_assert_uint_ge(n, 18);
    ck_assert(b[0] == 0x1f && b[1] == 0x8b && b[2] == 8);
    ck_assert_msg((b[3] & 0x08) == 0, "gzip header carries a file name");
    ck_assert_msg(b[4] == 0 && b[5] == 0 && b[6] == 0 && b[7] == 0, "gzip MTIME is set");
}

/* ---- FITS -------------------------------------------------------------------------------- */

static void key_str(fitsfile *fp, const char *key, const char *want)
{
    char v[FLEN_VALUE];
    int st = 0;
    fits_read_key_str(fp, key, v, NULL, &st);
    ck_assert_msg(st == 0, "keyword %s missing (status %d)", key, st);
    ck_assert_msg(strcmp(v, want) == 0, "%s = '%s', want '%s'", key, v, want);
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

static void check_chksum(fitsfile *fp)
{
    int dataok = 0, hduok = 0, st = 0;
    fits_verify_chksum(fp, &dataok, &hduok, &st);
    ck_assert_int_eq(st, 0);
    ck_assert_msg(dataok == 1 && hduok == 1, "checksums: data %d hdu %d", dataok, hduok);
}

/* Keywords every table carries: time scale and a reference consistent in both spellings,
 * the reference being ref (ms) for every table of the file. */
static void check_time_keys(fitsfile *fp, int64_t ref)
{
    key_str(fp, "TIMESYS", "UTC");
    key_str(fp, "TIMEUNIT", "s");
    key_str(fp, "TREFPOS", "TOPOCENTER");
    key_str(fp, "TELESCOP", "JWST");
    key_str(fp, "DATE", SDE_ISO);
    double mjdref = key_dbl(fp, "MJDREF");
    long long mjdrefi = key_lng(fp, "MJDREFI");
    double mjdreff = key_dbl(fp, "MJDREFF");
    ck_assert_msg(mjdref == (double)mjdrefi + mjdreff, "MJDREF %.15g != %lld + %.15g", mjdref,
                  mjdrefi, mjdreff);
    ck_assert_int_eq(mjdrefi, UNIX_MJD + ref / DAY_MS);
    ck_assert(mjdreff == 0.0);
    key_str(fp, "TTYPE1", "TIME");
    key_str(fp, "TFORM1", "1D");
    key_str(fp, "TUNIT1", "s");
    key_str(fp, "TCTYP1", "UTC");
    key_str(fp, "TCUNI1", "s");
    key_str(fp, "TTYPE2", "MJD");
    key_str(fp, "TFORM2", "1D");
    check_chksum(fp);
}

/* DATE-BEG/DATE-END and TSTART/TSTOP say the first and last time. */
static void check_span_keys(fitsfile *fp, int64_t first, int64_t last, int64_t ref)
{
    char buf[64];
    iso_ms(first, buf, sizeof buf);
    key_str(fp, "DATE-BEG", buf);
    iso_ms(last, buf, sizeof buf);
    key_str(fp, "DATE-END", buf);
    ck_assert_int_eq(llround(key_dbl(fp, "TSTART") * 1e3), first - ref);
    ck_assert_int_eq(llround(key_dbl(fp, "TSTOP") * 1e3), last - ref);
}

/* TIME (s since ref) and MJD of row r are the instant ms. */
static void check_time_cells(const char *m, int64_t ms, double t, double mjd, int64_t ref)
{
    ck_assert_msg(llround(t * 1e3) == ms - ref, "%s: TIME %.9f is not %lld ms", m, t,
                  (long long)ms);
    ck_assert_msg(fabs(t - (double)(ms - ref) / 1e3) < 1e-9, "%s: TIME %.12f", m, t);
    check_mjd(m, ms, mjd);
}

/* The raw FITS file: primary header, one BINTABLE per mnemonic in order, every sample. */
static void check_fits_raw(const char *path)
{
    fitsfile *fp = NULL;
    int st = 0, nhdu = 0;
    fits_open_diskfile(&fp, path, READONLY, &st);
    ck_assert_msg(st == 0, "cannot open %s: status %d", path, st);
    fits_get_num_hdus(fp, &nhdu, &st);
    ck_assert_int_eq(nhdu, 1 + NM);

    /* Primary: the query and the run. */
    key_str(fp, "ORIGIN", "edbx");
    key_str(fp, "TELESCOP", "JWST");
    key_str(fp, "TIMESYS", "UTC");
    key_str(fp, "DATE", SDE_ISO);
    key_str(fp, "QRYSTART", START_TXT "000");
    key_str(fp, "QRYEND", END_TXT "000");
    ck_assert_int_eq(key_lng(fp, "NTABLES"), NM);
    ck_assert_int_eq(key_lng(fp, "NAXIS"), 0);
    check_chksum(fp);

    for (size_t m = 0; m < NM; m++) {
        int type = 0;
        fits_movabs_hdu(fp, (int)m + 2, &type, &st);
        ck_assert_int_eq(st, 0);
        ck_assert_int_eq(type, BINARY_TBL);
        key_str(fp, "EXTNAME", MN[m]);
        key_str(fp, "MNEMONIC", MN[m]);
        check_time_keys(fp, ref_ms);
        key_str(fp, "TTYPE3", "VALUE");
        key_str(fp, "TFORM3", MN_INT[m] ? "1J" : "1D");
        if (MN_INT[m])
            ck_assert_int_eq(key_lng(fp, "TNULL3"), -2147483648LL);
        int ncols = 0;
        fits_get_num_cols(fp, &ncols, &st);
        ck_assert_int_eq(ncols, 3);
        const expect *e = &ex[m];
        check_span_keys(fp, e->s[0].ms, e->s[e->n - 1].ms, ref_ms);
        long nrows = 0;
        fits_get_num_rows(fp, &nrows, &st);
        ck_assert_int_eq(nrows, (long)e->n);
        double *t = malloc(e->n * sizeof *t), *mjd = malloc(e->n * sizeof *mjd);
        double *v = malloc(e->n * sizeof *v);
        LONGLONG *iv = malloc(e->n * sizeof *iv);
        char *nul = calloc(e->n, 1);
        int anynul = 0;
        fits_read_col(fp, TDOUBLE, 1, 1, 1, (LONGLONG)e->n, NULL, t, NULL, &st);
        fits_read_col(fp, TDOUBLE, 2, 1, 1, (LONGLONG)e->n, NULL, mjd, NULL, &st);
        if (MN_INT[m])
            fits_read_colnull(fp, TLONGLONG, 3, 1, 1, (LONGLONG)e->n, iv, nul, &anynul, &st);
        else
            fits_read_colnull(fp, TDOUBLE, 3, 1, 1, (LONGLONG)e->n, v, nul, &anynul, &st);
        ck_assert_int_eq(st, 0);
        ck_assert_msg(anynul == 0, "%s: null values", MN[m]);
        for (size_t j = 0; j < e->n; j++) {
            const sample *s = &e->s[j];
            check_time_cells(MN[m], s->ms, t[j], mjd[j], ref_ms);
            if (MN_INT[m])
                ck_assert_msg(iv[j] == s->iv, "%s row %zu: %lld, want %lld", MN[m], j,
                              (long long)iv[j], s->iv);
            else
                ck_assert_msg(v[j] == s->v, "%s row %zu: %.17g, want %.17g", MN[m], j, v[j],
                              s->v);
        }
        free(t);
        free(mjd);
        free(v);
        free(iv);
        free(nul);
    }
    fits_close_file(fp, &st);
    ck_assert_int_eq(st, 0);
}

/* ---- HDF5 -------------------------------------------------------------------------------- */

static char *attr_str(hid_t obj, const char *name)
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
    H5Tclose(m);
    H5Tclose(t);
}

static hsize_t ds_rows(hid_t d)
{
    hid_t sp = H5Dget_space(d);
    ck_assert_int_eq(H5Sget_simple_extent_ndims(sp), 1);
    hsize_t n = 0;
    H5Sget_simple_extent_dims(sp, &n, NULL);
    H5Sclose(sp);
    return n;
}

static void check_root_attrs(hid_t f, const char *qstart, const char *qend)
{
    char *v = attr_str(f, "TIMESYS");
    ck_assert_str_eq(v, "UTC");
    free(v);
    v = attr_str(f, "run_time");
    ck_assert_msg(strncmp(v, SDE_ISO, strlen(SDE_ISO)) == 0, "run_time %s", v);
    free(v);
    v = attr_str(f, "query_start");
    ck_assert_msg(strncmp(v, qstart, strlen(qstart)) == 0, "query_start %s", v);
    free(v);
    v = attr_str(f, "query_end");
    ck_assert_msg(strncmp(v, qend, strlen(qend)) == 0, "query_end %s", v);
    free(v);
}

static void check_h5_raw(const char *path)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    ck_assert_msg(f >= 0, "cannot open %s", path);
    check_root_attrs(f, START_TXT, END_TXT);
    for (size_t m = 0; m < NM; m++) {
        char dpath[128];
        snprintf(dpath, sizeof dpath, "/raw/%s", MN[m]);
        hid_t d = H5Dopen2(f, dpath, H5P_DEFAULT);
        ck_assert_msg(d >= 0, "no dataset %s", dpath);
        const expect *e = &ex[m];
        ck_assert_uint_eq(ds_rows(d), e->n);
        hid_t t = H5Dget_type(d);
        ck_assert_int_eq(H5Tget_class(t), H5T_COMPOUND);
        ck_assert_int_eq(H5Tget_nmembers(t), 2);
        H5Tclose(t);
        member_type(d, "time", H5T_FLOAT, 8);
        if (MN_INT[m])
            member_type(d, "value", H5T_INTEGER, 4);
        else
            member_type(d, "value", H5T_FLOAT, 8);
        double *tm = malloc(e->n * sizeof *tm), *dv = malloc(e->n * sizeof *dv);
        long long *iv = malloc(e->n * sizeof *iv);
        read_member(d, "time", H5T_NATIVE_DOUBLE, 8, tm);
        if (MN_INT[m])
            read_member(d, "value", H5T_NATIVE_LLONG, 8, iv);
        else
            read_member(d, "value", H5T_NATIVE_DOUBLE, 8, dv);
        for (size_t j = 0; j < e->n; j++) {
            const sample *s = &e->s[j];
            check_mjd(MN[m], s->ms, tm[j]);
            if (MN_INT[m])
                ck_assert_msg(iv[j] == s->iv, "%s row %zu: %lld, want %lld", MN[m], j, iv[j],
                              s->iv);
            else
                ck_assert_msg(dv[j] == s->v, "%s row %zu: %.17g, want %.17g", MN[m], j, dv[j],
                              s->v);
        }
        free(tm);
        free(dv);
        free(iv);
        H5Dclose(d);
    }
    H5Fclose(f);
}

/* ---- tests ------------------------------------------------------------------------------ */

START_TEST(raw_every_format_exact)
{
    load_expected();
    /* FITS */
    const char *fits_path = in_tmp("x.fits");
    const char *a1[] = {"-o", fits_path, NULL};
    get4(a1, NULL, 0);
    check_fits_raw(fits_path);

    /* HDF5 */
    const char *h5_path = in_tmp("x.h5");
    const char *a2[] = {"-o", h5_path, NULL};
    get4(a2, NULL, 0);
    check_h5_raw(h5_path);

    /* ECSV: a float64 value column (REAL, FLOAT and TINYINT mixed). */
    const char *ecsv_path = in_tmp("x.ecsv");
    const char *a3[] = {"-o", ecsv_path, NULL};
    get4(a3, NULL, 0);
    char *ecsv = tu_read_file(ecsv_path, NULL);
    ck_assert_ptr_nonnull(ecsv);
    ck_assert(strncmp(ecsv, "# %ECSV 1.0\n# ---\n", 18) == 0);
    ck_assert_ptr_nonnull(strstr(ecsv, "\n# - {name: value, datatype: float64}\n"));
    ck_assert_ptr_nonnull(strstr(ecsv, "\n# delimiter: ','\n"));
    ck_assert_ptr_nonnull(strstr(ecsv, "\n# - {TIMESYS: UTC}\n"));
    ck_assert_ptr_nonnull(strstr(ecsv, "{query_start: \"" START_TXT));
    ck_assert_ptr_nonnull(strstr(ecsv, "{query_end: \"" END_TXT));
    ck_assert_ptr_nonnull(strstr(ecsv, "{run_time: \"" SDE_ISO));
    char *body = strstr(ecsv, "\ntime,mjd,mnemonic,value\n");
    ck_assert_ptr_nonnull(body);
    /* Nothing but comment lines before the column names. */
    for (char *p = ecsv; p <= body; p = strchr(p, '\n') + 1)
        ck_assert(p == body + 1 || *p == '#');
    check_long_text(body + 1, 0);
    free(ecsv);

    /* csv.gz: zlib reads it; the header has no name and no time stamp. */
    const char *gz_path = in_tmp("x.csv.gz");
    const char *a4[] = {"-o", gz_path, NULL};
    get4(a4, NULL, 0);
    size_t rawlen = 0;
    unsigned char *raw = (unsigned char *)tu_read_file(gz_path, &rawlen);
    ck_assert_ptr_nonnull(raw);
    check_gzip_header(raw, rawlen);
    free(raw);
    size_t csvlen = 0;
    char *csv = gunzip_file(gz_path, &csvlen);
    char *csv_copy = strdup(csv);
    check_long_text(csv, 0);
    free(csv);

    /* --format with -o -: gzipped CSV on stdout is the same CSV. */
    tu_run r;
    const char *a5[] = {"--format", "csv.gz", "-o", "-", NULL};
    get4(a5, &r, 0);
    ck_assert_str_eq(r.err, "");
    check_gzip_header((const unsigned char *)r.out, r.out_len);
    tu_write_file(in_tmp("stdout.csv.gz"), r.out, r.out_len);
    tu_run_free(&r);
    size_t len2 = 0;
    char *csv2 = gunzip_file(in_tmp("stdout.csv.gz"), &len2);
    ck_assert_uint_eq(len2, csvlen);
    ck_assert(memcmp(csv2, csv_copy, csvlen) == 0);
    free(csv2);
    free(csv_copy);

    /* --format fits with -o -: built in $TMPDIR, copied out whole, nothing left there. */
    const char *a6[] = {"--format", "fits", "-o", "-", NULL};
    get4(a6, &r, 0);
    ck_assert_str_eq(r.err, "");
    ck_assert_uint_gt(r.out_len, 2880);
    ck_assert_uint_eq(r.out_len % 2880, 0);
    tu_write_file(in_tmp("stdout.fits"), r.out, r.out_len);
    tu_run_free(&r);
    check_fits_raw(in_tmp("stdout.fits"));
    ck_assert_uint_eq(count_entries(in_tmp("t")), 0);

    /* An integer-only query: ECSV's value column is int64 and reads back as integers. */
    const char *ai[] = {"get", "SA_ZFGDETID", "--start", START_TXT, "--end", END_TXT, "-o",
                        in_tmp("i.ecsv"), NULL};
    run_ok(ai);
    char *iecsv = tu_read_file(in_tmp("i.ecsv"), NULL);
    ck_assert_ptr_nonnull(iecsv);
    ck_assert_ptr_nonnull(strstr(iecsv, "\n# - {name: value, datatype: int64"));
    body = strstr(iecsv, "\ntime,mjd,mnemonic,value\n");
    ck_assert_ptr_nonnull(body);
    /* Only the TINYINT is expected: pretend the others had no samples. */
    size_t saved[NM];
    for (size_t m = 0; m < NM; m++) {
        saved[m] = ex[m].n;
        if (!MN_INT[m])
            ex[m].n = 0;
    }
    check_long_text(body + 1, 1);
    for (size_t m = 0; m < NM; m++)
        ex[m].n = saved[m];
    free(iecsv);
    free_expected();
}
END_TEST

/* The value of a mnemonic at t (ms) by the documented method: linear for REAL, hold for
 * INT (docs/resampling.md), computed here from the JSON. */
static int point_value(const sample *s, size_t n, int64_t t, int is_int, double *out)
{
    size_t j = 0;
    while (j < n && s[j].ms <= t)
        j++;
    if (j == 0)
        return 0;
    const sample *a = &s[j - 1];
    if (is_int || a->ms == t) {
        *out = a->v;
        return 1;
    }
    if (j == n)
        return 0;
    const sample *b = &s[j];
    *out = a->v + (double)(t - a->ms) / (double)(b->ms - a->ms) * (b->v - a->v);
    return 1;
}

START_TEST(resampled_wide_fits_and_hdf5)
{
    /* 02:30:00 to 02:33:00 every 30 s: 7 grid times, every mnemonic has samples around
     * each (the recording spans 02:28:47-02:35:50). */
    const int64_t g0 = INT64_C(1611628200000);
    const size_t nrows = 7;
    const int64_t gref = g0 / DAY_MS * DAY_MS;
    sample *all[NM];
    size_t nall[NM];
    for (size_t m = 0; m < NM; m++)
        nall[m] = load_all(MN[m], &all[m]);

    const char *fits_path = in_tmp("w.fits"), *h5_path = in_tmp("w.h5");
    for (int k = 0; k < 2; k++) {
        const char *args[] = {"get", MN[0], MN[1], MN[2], MN[3],
                              "--start", "2021-01-26T02:30:00", "--end", "2021-01-26T02:33:00",
                              "--every", "30s", "-o", k ? h5_path : fits_path, NULL};
        run_ok(args);
    }

    /* FITS: one RESAMPLED table, TIME, MJD, one column per mnemonic. */
    fitsfile *fp = NULL;
    int st = 0, nhdu = 0, ncols = 0;
    fits_open_diskfile(&fp, fits_path, READONLY, &st);
    ck_assert_int_eq(st, 0);
    fits_get_num_hdus(fp, &nhdu, &st);
    ck_assert_int_eq(nhdu, 2);
    ck_assert_int_eq(key_lng(fp, "NTABLES"), 1);
    fits_movnam_hdu(fp, BINARY_TBL, (char *)"RESAMPLED", 0, &st);
    ck_assert_int_eq(st, 0);
    check_time_keys(fp, gref);
    check_span_keys(fp, g0, g0 + (int64_t)(nrows - 1) * 30000, gref);
    ck_assert(key_dbl(fp, "TIMEDEL") == 30.0);
    ck_assert(key_dbl(fp, "TIMEPIXR") == 0.0);
    long n = 0;
    fits_get_num_rows(fp, &n, &st);
    ck_assert_int_eq(n, (long)nrows);
    fits_get_num_cols(fp, &ncols, &st);
    ck_assert_int_eq(ncols, 2 + NM);
    for (size_t m = 0; m < NM; m++) {
        char key[16];
        snprintf(key, sizeof key, "TTYPE%zu", m + 3);
        key_str(fp, key, MN[m]);
        snprintf(key, sizeof key, "TFORM%zu", m + 3);
        key_str(fp, key, MN_INT[m] ? "1J" : "1D");
        snprintf(key, sizeof key, "TMNEM%zu", m + 3);
        key_str(fp, key, MN[m]);
    }
    for (size_t r = 0; r < nrows; r++) {
        int64_t g = g0 + (int64_t)r * 30000;
        double t = 0, mjd = 0;
        fits_read_col(fp, TDOUBLE, 1, (LONGLONG)r + 1, 1, 1, NULL, &t, NULL, &st);
        fits_read_col(fp, TDOUBLE, 2, (LONGLONG)r + 1, 1, 1, NULL, &mjd, NULL, &st);
        ck_assert_int_eq(st, 0);
        check_time_cells("RESAMPLED", g, t, mjd, gref);
        for (size_t m = 0; m < NM; m++) {
            double want = 0, got = 0;
            ck_assert(point_value(all[m], nall[m], g, MN_INT[m], &want));
            int anynul = 0;
            char nul = 0;
            fits_read_colnull(fp, TDOUBLE, (int)m + 3, (LONGLONG)r + 1, 1, 1, &got, &nul,
                              &anynul, &st);
            ck_assert_int_eq(st, 0);
            ck_assert_msg(!anynul, "%s row %zu is null", MN[m], r);
            if (MN_INT[m])
                ck_assert_msg(got == want, "%s row %zu: %.17g, want %.17g", MN[m], r, got, want);
            else
                ck_assert_msg(fabs(got - want) <= 1e-15 * (1 + fabs(want)),
                              "%s row %zu: %.17g, want %.17g", MN[m], r, got, want);
        }
    }
    fits_close_file(fp, &st);

    /* HDF5: /resampled {time, one member per mnemonic}, no mask (no row lacks a value). */
    hid_t f = H5Fopen(h5_path, H5F_ACC_RDONLY, H5P_DEFAULT);
    ck_assert(f >= 0);
    check_root_attrs(f, "2021-01-26T02:30:00.000", "2021-01-26T02:33:00.000");
    hid_t d = H5Dopen2(f, "/resampled", H5P_DEFAULT);
    ck_assert(d >= 0);
    ck_assert_uint_eq(ds_rows(d), nrows);
    hid_t t = H5Dget_type(d);
    ck_assert_int_eq(H5Tget_nmembers(t), 1 + NM);
    char *m0 = H5Tget_member_name(t, 0);
    ck_assert_str_eq(m0, "time");
    H5free_memory(m0);
    for (size_t m = 0; m < NM; m++) {
        char *name = H5Tget_member_name(t, (unsigned)m + 1);
        ck_assert_str_eq(name, MN[m]);
        H5free_memory(name);
    }
    H5Tclose(t);
    double tm[7], v[7];
    read_member(d, "time", H5T_NATIVE_DOUBLE, 8, tm);
    for (size_t r = 0; r < nrows; r++)
        check_mjd("resampled", g0 + (int64_t)r * 30000, tm[r]);
    for (size_t m = 0; m < NM; m++) {
        member_type(d, MN[m], MN_INT[m] ? H5T_INTEGER : H5T_FLOAT, MN_INT[m] ? 4 : 8);
        read_member(d, MN[m], H5T_NATIVE_DOUBLE, 8, v);
        for (size_t r = 0; r < nrows; r++) {
            double want = 0;
            ck_assert(point_value(all[m], nall[m], g0 + (int64_t)r * 30000, MN_INT[m], &want));
            ck_assert_msg(fabs(v[r] - want) <= 1e-15 * (1 + fabs(want)) &&
                              (!MN_INT[m] || v[r] == want),
                          "%s row %zu: %.17g, want %.17g", MN[m], r, v[r], want);
        }
    }
    H5Dclose(d);
    H5Fclose(f);
    for (size_t m = 0; m < NM; m++)
        free(all[m]);
}
END_TEST

/* Two runs of the same command (same output name, so the same command line) give the same
 * bytes in every format, SOURCE_DATE_EPOCH standing for the clock. */
START_TEST(reruns_byte_identical)
{
    static const char *const names[] = {"r.fits", "r.h5", "r.ecsv", "r.csv.gz"};
    for (size_t k = 0; k < 4; k++) {
        const char *out = in_tmp(names[k]);
        const char *args[] = {"-o", out, NULL};
        get4(args, NULL, 0);
        size_t n1 = 0, n2 = 0;
        char *first = tu_read_file(out, &n1);
        ck_assert_ptr_nonnull(first);
        ck_assert_int_eq(remove(out), 0);
        get4(args, NULL, 0);
        char *second = tu_read_file(out, &n2);
        ck_assert_ptr_nonnull(second);
        ck_assert_msg(n1 == n2 && memcmp(first, second, n1) == 0, "%s differs between runs",
                      names[k]);
        free(first);
        free(second);
    }
    /* The resampled FITS and HDF5 too. */
    static const char *const wide[] = {"rw.fits", "rw.h5"};
    for (size_t k = 0; k < 2; k++) {
        const char *out = in_tmp(wide[k]);
        const char *args[] = {"--every", "30s", "-o", out, NULL};
        get4(args, NULL, 0);
        size_t n1 = 0, n2 = 0;
        char *first = tu_read_file(out, &n1);
        ck_assert_int_eq(remove(out), 0);
        get4(args, NULL, 0);
        char *second = tu_read_file(out, &n2);
        ck_assert(first && second);
        ck_assert_msg(n1 == n2 && memcmp(first, second, n1) == 0, "%s differs between runs",
                      wide[k]);
        free(first);
        free(second);
    }
}
END_TEST

/* A fetch that fails (one name the EDB does not know) leaves no FITS or HDF5 file, nor
 * any temporary file beside it or in $TMPDIR. */
START_TEST(failed_fetch_leaves_nothing)
{
    static const char *const outs[] = {"bad.fits", "bad.h5", "-"};
    static const char *const fmts[] = {NULL, NULL, "fits"};
    for (size_t k = 0; k < 3; k++) {
        const char *out = strcmp(outs[k], "-") ? in_tmp(outs[k]) : "-";
        const char *args[16];
        size_t n = 0;
        args[n++] = "get";
        args[n++] = "SA_ZATTEST1";
        args[n++] = "SA_ZNOSUCH1";
        args[n++] = "--start";
        args[n++] = START_TXT;
        args[n++] = "--end";
        args[n++] = END_TXT;
        args[n++] = "-o";
        args[n++] = out;
        if (fmts[k]) {
            args[n++] = "--format";
            args[n++] = fmts[k];
        }
        args[n] = NULL;
        tu_run r;
        ck_assert_int_eq(run(&r, args), 3);
        ck_assert_msg(strstr(r.err, "SA_ZNOSUCH1: no such mnemonic"), "%s", r.err);
        ck_assert_msg(r.out_len == 0, "%s: %zu bytes on stdout", outs[k], r.out_len);
        tu_run_free(&r);
        if (strcmp(out, "-"))
            ck_assert(!tu_exists(out));
        /* tmp holds only $TMPDIR (t/), and that is empty. */
        ck_assert_uint_eq(count_entries(tmp), 1);
        ck_assert_uint_eq(count_entries(in_tmp("t")), 0);
    }
}
END_TEST


/* ---- output paths, the CLI's part (issue 15, items 2, 11, 12) -------------------------- */

/* Whatever is wrong with -o is found when the writer opens, before any request. */
START_TEST(issue15_2_11_bad_outputs_fail_before_any_request)
{
    mkdir(in_tmp("dir"), 0755);
    char h1[4200], h2[4200];
    snprintf(h1, sizeof h1, "%s", in_tmp("h1.csv"));
    snprintf(h2, sizeof h2, "%s", in_tmp("h2.csv"));
    tu_write_file(h1, "old\n", 4);
    ck_assert_int_eq(link(h1, h2), 0);
    char dir[4200], dirmsg[9000], extmsg[9000], hardmsg[9000];
    snprintf(dir, sizeof dir, "%s", in_tmp("dir"));
    snprintf(dirmsg, sizeof dirmsg, "edbx: -o %s is a folder: name a file in it (%s/x.csv)\n",
             dir, dir);
    snprintf(extmsg, sizeof extmsg, "edbx: %s: edbx writes no '.gz' files (it knows .csv, "
             ".csv.gz, .ecsv, .fits, .fit, .h5, .hdf5, .png, .svg, .pdf, .html, .htm); to write "
             "one of its formats under this name anyway, name the format (--format csv, csv.gz, "
             "ecsv, fits, hdf5, png, svg, pdf, html)\n",
             in_tmp("x.fits.gz"));
    snprintf(hardmsg, sizeof hardmsg, "edbx: %s has 2 hard links: edbx replaces an output by "
             "renaming a new file over it, which would silently part it from its other names; "
             "remove it first (rm %s) or write to another name\n", h1, h1);
    char xfg[4200];
    snprintf(xfg, sizeof xfg, "%s", in_tmp("x.fits.gz"));
    const struct {
        const char *extra[4];
        int status;
        const char *err;
    } cases[] = {
        {{"-o", "", NULL}, 2,
         "edbx: the output's name is empty: give -o FILE, or -o - for standard output\n"},
        {{"-o", dir, NULL}, 2, dirmsg},
        {{"-o", xfg, NULL}, 2, extmsg},
        {{"-o", h1, NULL}, 7, hardmsg},
        {{"--format", "xls", NULL}, 2,
         "edbx: unknown --format 'xls' (known: csv, csv.gz, ecsv, fits, hdf5, png, svg, pdf, html)\n"},
        {{"--compress", "3", "-o", "x.fits"}, 2,
         "edbx: -O compress: fits takes no such option (it takes none)\n"},
        {{"--compress", "12", NULL}, 2,
         "edbx: invalid --compress level '12': expected a whole number from 0 to 9\n"},
        {{"-O", "compress=12", "-o", "x.h5"}, 2,
         "edbx: -O compress=12: the deflate level is a whole number from 0 (no compression) "
         "to 9 (smallest file); the default is 1\n"},
        {{"--csv-safe", "-o", "x.h5", NULL}, 2,
         "edbx: -O safe: hdf5 takes no such option (valid: compress=N)\n"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        tu_run r;
        const char *extra[5] = {0};
        memcpy(extra, cases[k].extra, sizeof cases[k].extra);
        get4(extra, &r, cases[k].status);
        ck_assert_str_eq(r.err, cases[k].err);
        ck_assert_uint_eq(r.out_len, 0);
        tu_run_free(&r);
    }
    ck_assert_uint_eq(edb_server_requests(srv), 0);
    char *t = tu_read_file(h2, NULL);
    ck_assert_str_eq(t, "old\n");
    free(t);
    ck_assert(!tu_exists(xfg));
    ck_assert(!tu_exists("x.fits") && !tu_exists("x.h5"));
}
END_TEST

/* A symbolic link: the file it names is replaced, the link stays; a device is written to
 * and stays a device; the extension is the link's, the name the user typed. */
START_TEST(issue15_2_links_and_devices)
{
    /* CSV: no command line inside, so two names give the same bytes */
    char real[4200], link_[4200], ref[4200];
    snprintf(real, sizeof real, "%s", in_tmp("real.data"));
    snprintf(link_, sizeof link_, "%s", in_tmp("out.csv"));
    snprintf(ref, sizeof ref, "%s", in_tmp("ref.csv"));
    tu_write_file(real, "old\n", 4);
    chmod(real, 0640);
    ck_assert_int_eq(symlink("real.data", link_), 0);
    const char *a1[] = {"-o", link_, NULL};
    get4(a1, NULL, 0);
    const char *a2[] = {"-o", ref, NULL};
    get4(a2, NULL, 0);
    struct stat st;
    ck_assert_int_eq(lstat(link_, &st), 0);
    ck_assert(S_ISLNK(st.st_mode));
    ck_assert_int_eq(stat(real, &st), 0);
    ck_assert_int_eq(st.st_mode & 07777, 0640);
    size_t n1 = 0, n2 = 0;
    char *x = tu_read_file(real, &n1), *y = tu_read_file(ref, &n2);
    ck_assert(n1 == n2 && memcmp(x, y, n1) == 0);
    free(x);
    free(y);
    /* /dev/stdout: the kernel's link to whatever standard output is (here a pipe), which
     * has no name to follow: written to, as -o - is */
    for (int k = 0; k < 2; k++) {
        const char *a5[] = {"-o", "/dev/stdout", k ? "--format" : NULL, "fits", NULL};
        const char *a6[] = {"-o", "-", k ? "--format" : NULL, "fits", NULL};
        tu_run r5, r6;
        get4(a5, &r5, 0);
        get4(a6, &r6, 0);
        ck_assert_str_eq(r5.err, "");
        ck_assert_uint_gt(r5.out_len, 1000);
        /* FITS holds the command line (HISTORY), which differs: compare CSV bytes only */
        if (!k)
            ck_assert(r5.out_len == r6.out_len && memcmp(r5.out, r6.out, r5.out_len) == 0);
        else
            ck_assert_uint_eq(r5.out_len % 2880, 0);
        tu_run_free(&r5);
        tu_run_free(&r6);
    }
    char dev[4200];
    snprintf(dev, sizeof dev, "%s", in_tmp("null"));
    if (mknod(dev, S_IFCHR | 0666, makedev(1, 3)) != 0) {
        fprintf(stderr, "test_e2e_formats: no mknod (%s): device case skipped (run as root)\n",
                strerror(errno));
        return;
    }
    const char *a3[] = {"-o", dev, NULL};
    get4(a3, NULL, 0);
    const char *a4[] = {"-o", dev, "--format", "hdf5", NULL};
    get4(a4, NULL, 0);
    ck_assert_int_eq(lstat(dev, &st), 0);
    ck_assert(S_ISCHR(st.st_mode));
}
END_TEST

/* `edbx get ... | head`: the reader goes away; edbx says nothing and exits 141 (what a
 * shell reports for cat in the same place), for text written as it goes and for FITS
 * copied out at the end; the $TMPDIR spool is gone. */
START_TEST(issue15_12_closed_pipe_exits_141_quietly)
{
    static const char *const fmts[] = {"csv", "csv.gz", "fits"};
    for (size_t k = 0; k < 3; k++) {
        char script[4400];
        /* head takes one byte and leaves; edbx, blocked on a full pipe, then meets EPIPE */
        snprintf(script, sizeof script, "{ \"$0\" \"$@\"; echo $? > %s/rc; } | head -c 1 "
                 ">/dev/null", tmp);
        const char *sh[] = {"/bin/sh", "-c", script, NULL};
        /* four mnemonics over 8 minutes: about a megabyte of CSV (stored, not deflated, in
         * the .gz), far more than a pipe holds */
        const char *args[] = {"get", MN[0], MN[1], MN[2], MN[3], "--start", "2021-01-26T02:28",
                              "--end", "2021-01-26T02:36", "--format", fmts[k],
                              k == 1 ? "--compress" : NULL, "0", NULL};
        tu_run r;
        ck_assert_int_eq(run_ex(&r, args, 1, sh), 0);
        ck_assert_str_eq(r.err, "");
        tu_run_free(&r);
        char *rc = tu_read_file(in_tmp("rc"), NULL);
        ck_assert_msg(rc && strcmp(rc, "141\n") == 0, "%s: exit %s", fmts[k], rc);
        free(rc);
        ck_assert_uint_eq(count_entries(in_tmp("t")), 0);
    }
}
END_TEST

/* ---- no clock in the files (issue 14, item 3) ------------------------------------------ */

static char *get_bytes(const char *const *extra, int with_sde, size_t *n)
{
    const char *args[32];
    size_t k = 0;
    args[k++] = "get";
    for (size_t m = 0; m < NM; m++)
        args[k++] = MN[m];
    args[k++] = "--start";
    args[k++] = START_TXT;
    args[k++] = "--end";
    args[k++] = END_TXT;
    for (; *extra; extra++)
        args[k++] = *extra;
    args[k] = NULL;
    tu_run r;
    ck_assert_msg(run_ex(&r, args, with_sde, NULL) == 0, "exit %d: %s", r.status, r.err);
    char *out = malloc(r.out_len + 1);
    memcpy(out, r.out, r.out_len + 1);
    *n = r.out_len;
    tu_run_free(&r);
    return out;
}

/* The same query at two clock times gives the same bytes in every format, raw and
 * resampled: runs a second apart on the real clock, and for the text formats also two
 * --run-time-us (what replay passes as "now"; FITS and HDF5 record the command line,
 * which then differs).  --stamp (or SOURCE_DATE_EPOCH) writes the time in. */
START_TEST(issue14_3_same_bytes_at_any_clock_time)
{
    static const char *const fmts[] = {"csv", "csv.gz", "ecsv", "fits", "hdf5"};
    for (size_t k = 0; k < 5; k++)
        for (int wide = 0; wide < 2; wide++) {
            const char *e1[] = {"--format", fmts[k], "--run-time-us", "1714564800000000",
                                wide ? "--every" : NULL, "30s", NULL};
            const char *e2[] = {"--format", fmts[k], "--run-time-us", "1893456000000007",
                                wide ? "--every" : NULL, "30s", NULL};
            const char *e3[] = {"--format", fmts[k], wide ? "--every" : NULL, "30s", NULL};
            size_t n1, n2, n3, n4;
            char *a = get_bytes(e1, 0, &n1), *b = get_bytes(e2, 0, &n2);
            char *c = get_bytes(e3, 0, &n3);
            usleep(1100000);
            char *d = get_bytes(e3, 0, &n4);
            if (k < 3)
                ck_assert_msg(n1 > 100 && n1 == n2 && memcmp(a, b, n1) == 0 && n1 == n3 &&
                                  memcmp(a, c, n1) == 0, "%s%s: run-time-us", fmts[k],
                              wide ? " wide" : "");
            ck_assert_msg(n3 > 100 && n3 == n4 && memcmp(c, d, n3) == 0, "%s%s: clock", fmts[k],
                          wide ? " wide" : "");
            free(a);
            free(b);
            free(c);
            free(d);
        }
    /* --stamp: DATE is the run's time (here the one replay would pass) */
    const char *out = in_tmp("s.fits");
    const char *e4[] = {"--stamp", "--run-time-us", "1893456000000007", "-o", out, NULL};
    size_t n;
    free(get_bytes(e4, 0, &n));
    fitsfile *fp = NULL;
    int st = 0;
    fits_open_diskfile(&fp, out, READONLY, &st);
    ck_assert_int_eq(st, 0);
    key_str(fp, "DATE", "2030-01-01T00:00:00");
    fits_close_file(fp, &st);
    /* without it, none */
    const char *e5[] = {"-o", out, NULL};
    free(get_bytes(e5, 0, &n));
    fits_open_diskfile(&fp, out, READONLY, &st);
    char card[FLEN_CARD];
    fits_read_card(fp, "DATE", card, &st);
    ck_assert_int_eq(st, KEY_NO_EXIST);
    st = 0;
    fits_clear_errmsg();
    fits_close_file(fp, &st);
}
END_TEST

/* ---- get's aliases of -O options (the writer-option seam) ------------------------------ */

START_TEST(writer_option_aliases_match)
{
    /* --help lists the formats, extensions and keys from the registry */
    const char *help[] = {"get", "--help", NULL};
    tu_run h;
    ck_assert_int_eq(run(&h, help), 0);
    ck_assert_ptr_nonnull(strstr(h.out, "\n  csv (.csv): safe, header-comments\n"
                                        "  csv.gz (.csv.gz): safe, header-comments, compress=N\n"
                                        "  ecsv (.ecsv): safe, astropy-time\n"
                                        "  fits (.fits .fit)\n"
                                        "  hdf5 (.h5 .hdf5): compress=N\n"));
    tu_run_free(&h);
    /* Text formats, which hold no command line: the same bytes.  (HDF5's compress: the
     * unit tests read the filters back.) */
    static const char *const pairs[][4] = {
        {"--compress", "9", "compress=9", "csv.gz"},
        {"--compress", "0", "compress=0", "csv.gz"},
        {"--astropy-time", NULL, "astropy-time", "ecsv"},
        {"--csv-safe", NULL, "safe", "csv"},
        {"--header-comments", NULL, "header-comments", "csv"},
    };
    for (size_t k = 0; k < sizeof pairs / sizeof pairs[0]; k++) {
        const char *e1[] = {"--format", pairs[k][3], pairs[k][0], pairs[k][1], NULL};
        const char *e2[] = {"--format", pairs[k][3], "-O", pairs[k][2], NULL};
        const char *e3[] = {"--format", pairs[k][3], NULL};
        size_t n1, n2, n3;
        char *a = get_bytes(e1, 1, &n1), *b = get_bytes(e2, 1, &n2), *c = get_bytes(e3, 1, &n3);
        ck_assert_msg(n1 == n2 && memcmp(a, b, n1) == 0, "%s differs from -O %s", pairs[k][0],
                      pairs[k][2]);
        /* and the option does something (the CSV has no string to quote: equal there) */
        if (strcmp(pairs[k][0], "--csv-safe") != 0)
            ck_assert_msg(n1 != n3 || memcmp(a, c, n1) != 0, "%s changes nothing", pairs[k][0]);
        free(a);
        free(b);
        free(c);
    }
}
END_TEST

static Suite *e2e_suite(void)
{
    Suite *s = suite_create("e2e_formats");
    TCase *t = tcase_create("formats");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_set_timeout(t, 120);
    tcase_add_test(t, raw_every_format_exact);
    tcase_add_test(t, resampled_wide_fits_and_hdf5);
    tcase_add_test(t, reruns_byte_identical);
    tcase_add_test(t, failed_fetch_leaves_nothing);
    tcase_add_test(t, issue15_2_11_bad_outputs_fail_before_any_request);
    tcase_add_test(t, issue15_2_links_and_devices);
    tcase_add_test(t, issue15_12_closed_pipe_exits_141_quietly);
    tcase_add_test(t, issue14_3_same_bytes_at_any_clock_time);
    tcase_add_test(t, writer_option_aliases_match);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *r = srunner_create(e2e_suite());
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
