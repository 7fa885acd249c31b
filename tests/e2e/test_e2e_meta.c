/* test_e2e_meta.c: `edbx get --meta FILE` end to end against edb_server on 127.0.0.1.
 * Path A replies carry no metadata, so units and descriptions in the outputs come only
 * from --meta (a MAST inventory CSV written here for mnemonics of fixtures/jwst-2021-01-26)
 * and are read back with cfitsio as docs/formats.md describes them: TUNITn for FITS units
 * only, EUNITn as the EDB names it, TCOMMn with CONTINUE for a long description.  And a
 * change-only REAL mnemonic (AllPoints 0, from --meta or a --source store's meta.json) is
 * held by default when resampled. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fitsio.h>

#include <edb/edb.h>

#include "testutil.h"

static char *tmp;
static edb_server *srv;
static char base[TU_BASE_LEN];

static void setup(void)
{
    tmp = tu_mkdtemp();
}

static void teardown(void)
{
    edb_server_stop(srv);
    srv = NULL;
    tu_rmtree(tmp);
    free(tmp);
}

static void serve_store(const char *store)
{
    edb_server_options so = EDB_SERVER_OPTIONS_INIT;
    srv = tu_serve(so, store, base);
}

static int run(tu_run *r, const char *const *args)
{
    return tu_edbx_run(r, tmp, base, args, NULL);
}

/* Wide CSV without its mjd column (second), which test_e2e_formats checks: malloc'ed. */
static char *no_mjd(const char *out)
{
    char *res = malloc(strlen(out) + 1), *q = res;
    ck_assert_ptr_nonnull(res);
    for (const char *p = out; *p;) {
        const char *c1 = strchr(p, ','), *nl = strchr(p, '\n');
        ck_assert(c1 && nl && c1 < nl);
        const char *c2 = strchr(c1 + 1, ',');
        ck_assert(c2 && c2 < nl);
        memcpy(q, p, (size_t)(c1 - p));
        q += c1 - p;
        memcpy(q, c2, (size_t)(nl + 1 - c2));
        q += nl + 1 - c2;
        p = nl + 1;
    }
    *q = '\0';
    return res;
}

#define ASSERT_OUT(r, want)                                                                    \
    do {                                                                                       \
        char *got_ = no_mjd((r).out);                                                          \
        ck_assert_str_eq(got_, want);                                                          \
        free(got_);                                                                            \
    } while (0)

/* 113 characters: more than the 68 a FITS card holds, so CONTINUE cards carry the rest. */
#define DESC1 "Attitude estimate quaternion element 1 (ACS), from the on-board Kalman filter, " \
              "in the J2000 frame: scalar part"
#define DESC2 "Guide star command X, \"quoted\", with a comma"

static const char *write_inventory(void)
{
    static char path[4200];
    snprintf(path, sizeof path, "%s/inventory.csv", tmp);
    /* jwql's column order, CRLF, quotes where a field needs them */
    const char *csv =
        "description,sqlDataType,subsystem,tlmIdentifier,tlmMnemonic,unit\r\n"
        "\"" DESC1 "\",real,ACS,2001,SA_ZATTEST1,V\r\n"
        "\"Guide star command X, \"\"quoted\"\", with a comma\",float,ACS,2002,SA_ZFGGSCMDX,"
        "furlongs\r\n"
        "FGS detector in use,tinyint,ACS,2003,SA_ZFGDETID,counts\r\n";
    ck_assert_int_eq(tu_write_file(path, csv, strlen(csv)), 0);
    return path;
}

/* A string keyword of HDU extname, long-string convention included; NULL if absent. */
static char *key_str(fitsfile *fp, const char *extname, const char *key)
{
    int st = 0;
    fits_movnam_hdu(fp, BINARY_TBL, (char *)extname, 0, &st);
    ck_assert_msg(st == 0, "no HDU %s (cfitsio %d)", extname, st);
    char *v = NULL;
    fits_read_key_longstr(fp, key, &v, NULL, &st);
    if (st == KEY_NO_EXIST) {
        fits_clear_errmsg();
        return NULL;
    }
    ck_assert_msg(st == 0, "%s %s: cfitsio %d", extname, key, st);
    char *copy = strdup(v);
    fits_free_memory(v, &st);
    return copy;
}

static void assert_key(fitsfile *fp, const char *extname, const char *key, const char *want)
{
    char *got = key_str(fp, extname, key);
    if (!want) {
        ck_assert_msg(got == NULL, "%s %s: expected no keyword, got '%s'", extname, key, got);
        return;
    }
    ck_assert_msg(got != NULL, "%s %s: missing", extname, key);
    ck_assert_str_eq(got, want);
    free(got);
}

START_TEST(test_fits_units_and_descriptions)
{
    serve_store(tu_fixture("jwst-2021-01-26"));
    const char *inv = write_inventory();
    char out[4200];
    snprintf(out, sizeof out, "%s/x.fits", tmp);
    tu_run r;
    const char *args[] = {"get", "SA_ZATTEST1", "SA_ZFGGSCMDX", "SA_ZFGDETID", "SA_ZATTEST2",
                          "--start", "2021-01-26T02:30:00", "--end", "2021-01-26T02:31:00",
                          "--meta", inv, "-o", out, NULL};
    ck_assert_msg(run(&r, args) == 0, "%s", r.err);
    tu_run_free(&r);
    fitsfile *fp = NULL;
    int st = 0;
    fits_open_file(&fp, out, READONLY, &st);
    ck_assert_int_eq(st, 0);
    /* a FITS unit: TUNIT and the EDB's spelling (the same here) */
    assert_key(fp, "SA_ZATTEST1", "TUNIT3", "V");
    assert_key(fp, "SA_ZATTEST1", "EUNIT3", "V");
    assert_key(fp, "SA_ZATTEST1", "TCOMM3", DESC1);
    char card[FLEN_CARD];
    st = 0;
    fits_read_card(fp, "LONGSTRN", card, &st);
    ck_assert_msg(st == 0, "no LONGSTRN before the CONTINUE cards");
    /* a unit FITS does not know: no TUNIT, kept as the EDB names it */
    assert_key(fp, "SA_ZFGGSCMDX", "TUNIT3", NULL);
    assert_key(fp, "SA_ZFGGSCMDX", "EUNIT3", "furlongs");
    assert_key(fp, "SA_ZFGGSCMDX", "TCOMM3", DESC2);
    /* an EDB spelling FITS writes differently */
    assert_key(fp, "SA_ZFGDETID", "TUNIT3", "count");
    assert_key(fp, "SA_ZFGDETID", "EUNIT3", "counts");
    assert_key(fp, "SA_ZFGDETID", "TCOMM3", "FGS detector in use");
    /* not in the inventory: nothing invented */
    assert_key(fp, "SA_ZATTEST2", "TUNIT3", NULL);
    assert_key(fp, "SA_ZATTEST2", "EUNIT3", NULL);
    assert_key(fp, "SA_ZATTEST2", "TCOMM3", NULL);
    st = 0;
    fits_close_file(fp, &st);

    /* without --meta, the same query has no units at all (path A carries none) */
    const char *plain[] = {"get", "SA_ZATTEST1", "--start", "2021-01-26T02:30:00", "--end",
                           "2021-01-26T02:31:00", "-o", out, NULL};
    ck_assert_msg(run(&r, plain) == 0, "%s", r.err);
    tu_run_free(&r);
    st = 0;
    fits_open_file(&fp, out, READONLY, &st);
    ck_assert_int_eq(st, 0);
    assert_key(fp, "SA_ZATTEST1", "TUNIT3", NULL);
    assert_key(fp, "SA_ZATTEST1", "TCOMM3", NULL);
    st = 0;
    fits_close_file(fp, &st);

    /* ECSV gets them too: the FITS spelling as unit, the EDB's as edb_unit */
    snprintf(out, sizeof out, "%s/x.ecsv", tmp);
    const char *ecsv[] = {"get", "SA_ZFGDETID", "--start", "2021-01-26T02:30:00", "--end",
                          "2021-01-26T02:31:00", "--meta", inv, "-o", out, NULL};
    ck_assert_msg(run(&r, ecsv) == 0, "%s", r.err);
    tu_run_free(&r);
    char *text = tu_read_file(out, NULL);
    ck_assert_ptr_nonnull(text);
    ck_assert_msg(strstr(text, "edb_unit: \"counts\"") && strstr(text, "FGS detector in use"), "%s",
                  text);
    free(text);
}
END_TEST

START_TEST(test_meta_errors)
{
    serve_store(tu_fixture("jwst-2021-01-26"));
    char bad[4200];
    snprintf(bad, sizeof bad, "%s/bad.csv", tmp);
    const char *csv = "tlmMnemonic,unit\nSA_ZATTEST1,V\nSA_ZATTEST2\n";
    ck_assert_int_eq(tu_write_file(bad, csv, strlen(csv)), 0);
    char out[4200];
    snprintf(out, sizeof out, "%s/x.fits", tmp);
    tu_run r;
    const char *args[] = {"get", "SA_ZATTEST1", "--start", "2021-01-26T02:30:00", "--end",
                          "2021-01-26T02:31:00", "--meta", bad, "-o", out, NULL};
    ck_assert_int_eq(run(&r, args), 6);
    ck_assert_msg(strstr(r.err, "bad.csv: line 3: 1 field where the header has 2"), "%s", r.err);
    ck_assert_int_eq(tu_exists(out), 0);
    ck_assert_uint_eq(edb_server_requests(srv), 0);
    tu_run_free(&r);
    snprintf(bad, sizeof bad, "%s/missing.csv", tmp);
    ck_assert_int_eq(run(&r, args), 7);
    ck_assert_msg(strstr(r.err, "missing.csv"), "%s", r.err);
    tu_run_free(&r);
}
END_TEST

/* A store of one change-only REAL: 4.5 since 2023-12-01T00:00:00Z (1701388800), 6.5
 * from 2024-01-01T00:00:25Z (1704067225). */
static void write_store(char *dir, size_t n, int all_points)
{
    snprintf(dir, n, "%s/store%d", tmp, all_points);
    ck_assert_int_eq(mkdir(dir, 0700), 0);
    char meta[512], path[4400];
    snprintf(meta, sizeof meta,
             "{\"Count\": 1, \"TlmMnemonics\": [{\"TlmMnemonic\": \"SA_ZCHANGE\", \"Subsystem\": "
             "\"SA\", \"RawType\": \"FL32\", \"EUType\": \"FL32\", \"SQLType\": \"REAL\", "
             "\"AllPoints\": %d}]}", all_points);
    snprintf(path, sizeof path, "%s/meta.json", dir);
    ck_assert_int_eq(tu_write_file(path, meta, strlen(meta)), 0);
    const char *chg = "{\"TlmMnemonic\": \"SA_ZCHANGE\", \"AllPoints\": 0, \"Count\": 2, \"Data\": ["
                      "{\"ObsTime\": \"/Date(1701388800000+0000)/\", \"EUValue\": 4.5},"
                      "{\"ObsTime\": \"/Date(1704067225000+0000)/\", \"EUValue\": 6.5}]}";
    snprintf(path, sizeof path, "%s/sa_zchange_data.json", dir);
    ck_assert_int_eq(tu_write_file(path, chg, strlen(chg)), 0);
}

/* Held: the month-old 4.5 until 00:00:25, then 6.5. */
#define HELD "time,SA_ZCHANGE\n"                \
             "2024-01-01T00:00:00.000,4.5\n"    \
             "2024-01-01T00:00:10.000,4.5\n"    \
             "2024-01-01T00:00:20.000,4.5\n"    \
             "2024-01-01T00:00:30.000,6.5\n"

START_TEST(test_change_only_holds_by_default)
{
    char store[4300];
    write_store(store, sizeof store, 0);
    tu_run r;
    /* --source: the store's meta.json says AllPoints 0 */
    const char *a1[] = {"get", "SA_ZCHANGE", "--source", store, "--start", "2024-01-01T00:00:00",
                        "--end", "2024-01-01T00:00:30", "--every", "10s", NULL};
    ck_assert_msg(run(&r, a1) == 0, "%s", r.err);
    ASSERT_OUT(r, HELD);
    tu_run_free(&r);

    /* an explicit --method still wins: linear between 4.5 at 1701388800 s and 6.5 at
     * 1704067225 s, no value after the last sample */
    const char *a2[] = {"get", "SA_ZCHANGE", "--source", store, "--start", "2024-01-01T00:00:00",
                        "--end", "2024-01-01T00:00:30", "--every", "10s", "--method", "linear",
                        NULL};
    ck_assert_msg(run(&r, a2) == 0, "%s", r.err);
    char *lin = no_mjd(r.out), *line = strchr(lin, '\n');
    ck_assert_ptr_nonnull(line);
    double want[3];
    for (int k = 0; k < 3; k++)
        want[k] = 4.5 + (1704067200.0 + 10 * k - 1701388800.0) / 2678425.0 * 2.0;
    for (int k = 0; k < 3; k++) {
        char *comma = strchr(line + 1, ',');
        ck_assert_ptr_nonnull(comma);
        double got = strtod(comma + 1, &line);
        ck_assert_msg(fabs(got - want[k]) < 1e-12, "row %d: %.17g, want %.17g", k, got, want[k]);
    }
    ck_assert_msg(strstr(lin, "2024-01-01T00:00:30.000,\n"), "%s", lin);
    free(lin);
    tu_run_free(&r);

    /* over HTTP path A (no metadata) it interpolates, unless --meta says change-only; path B
     * and EDP tell it themselves (AllPoints 0 in their metadata): held */
    serve_store(store);
    const char *a3[] = {"get", "SA_ZCHANGE", "--start", "2024-01-01T00:00:00", "--end",
                        "2024-01-01T00:00:30", "--every", "10s", NULL};
    ck_assert_msg(run(&r, a3) == 0, "%s", r.err);
    char *interp = no_mjd(r.out);
    if (strcmp(tu_test_api(), "mast") == 0) {
        ck_assert_str_ne(interp, HELD);
        ck_assert_msg(strstr(interp, "2024-01-01T00:00:30.000,\n"), "%s", interp);
    } else {
        ck_assert_str_eq(interp, HELD);
    }
    free(interp);
    tu_run_free(&r);
    char meta[4400];
    snprintf(meta, sizeof meta, "%s/meta.json", store);
    const char *a4[] = {"get", "SA_ZCHANGE", "--start", "2024-01-01T00:00:00", "--end",
                        "2024-01-01T00:00:30", "--every", "10s", "--meta", meta, NULL};
    ck_assert_msg(run(&r, a4) == 0, "%s", r.err);
    ASSERT_OUT(r, HELD);
    tu_run_free(&r);

    /* a store that says AllPoints 1: a REAL is interpolated as before */
    char store1[4300];
    write_store(store1, sizeof store1, 1);
    const char *a5[] = {"get", "SA_ZCHANGE", "--source", store1, "--start",
                        "2024-01-01T00:00:00", "--end", "2024-01-01T00:00:30", "--every", "10s",
                        NULL};
    ck_assert_msg(run(&r, a5) == 0, "%s", r.err);
    interp = no_mjd(r.out);
    ck_assert_msg(strstr(interp, "2024-01-01T00:00:30.000,\n"), "%s", interp);
    free(interp);
    tu_run_free(&r);
}
END_TEST

/* ---- bundles: the --meta files travel in in/ ----------------------------------------- */

static void py(const char *script, const char *a1, const char *a2)
{
    size_t n = strlen(script) + strlen(a1) + strlen(a2) + 64;
    char *cmd = malloc(n);
    ck_assert_ptr_nonnull(cmd);
    snprintf(cmd, n, "/usr/bin/python3 - '%s' '%s' <<'EOF'\n%s\nEOF", a1, a2, script);
    ck_assert_msg(system(cmd) == 0, "failed: %s", cmd);
    free(cmd);
}

/* SA_ZATTEST2 in a second inventory of the same basename, in another folder. */
#define INV2 "tlmMnemonic,unit,description\nSA_ZATTEST2,A,Second file\n"

START_TEST(test_bundle_keeps_meta_files)
{
    serve_store(tu_fixture("jwst-2021-01-26"));
    char d1[4300], d2[4300], m1[4400], m2[4400], out[4300], bun[4300], rep[4300], tdir[4300];
    snprintf(d1, sizeof d1, "%s/a", tmp);
    snprintf(d2, sizeof d2, "%s/b", tmp);
    snprintf(tdir, sizeof tdir, "%s/t", tmp);
    ck_assert_int_eq(mkdir(d1, 0700), 0);
    ck_assert_int_eq(mkdir(d2, 0700), 0);
    ck_assert_int_eq(mkdir(tdir, 0700), 0);
    snprintf(m1, sizeof m1, "%s/inventory.csv", d1);
    snprintf(m2, sizeof m2, "%s/inventory.csv", d2);
    ck_assert_int_eq(rename(write_inventory(), m1), 0);
    ck_assert_int_eq(tu_write_file(m2, INV2, strlen(INV2)), 0);
    snprintf(out, sizeof out, "%s/x.fits", tmp);
    snprintf(bun, sizeof bun, "%s/b.tar.gz", tmp);
    snprintf(rep, sizeof rep, "%s/rep", tmp);
    char m2_joined[4500];
    snprintf(m2_joined, sizeof m2_joined, "--meta=%s", m2);
    tu_run r;
    const char *args[] = {"get", "SA_ZATTEST1", "SA_ZATTEST2", "--start", "2021-01-26T02:30:00",
                          "--end", "2021-01-26T02:31:00", "--meta", m1, m2_joined, "-o", out,
                          "--bundle", bun, NULL};
    ck_assert_msg(run(&r, args) == 0, "%s", r.err);
    tu_run_free(&r);

    /* Both files, apart, with the paths as given, their bytes and hashes (checked by
     * verify below). */
    edb_bundle *b = NULL;
    edb_err err = EDB_ERR_INIT;
    ck_assert_msg(edb_bundle_open(&b, bun, &err) == EDB_OK, "%s", err.msg);
    ck_assert_uint_eq(edb_bundle_input_count(b), 3);
    ck_assert_str_eq(edb_bundle_input_name(b, 0), "1-inventory.csv");
    ck_assert_str_eq(edb_bundle_input_name(b, 1), "2-inventory.csv");
    ck_assert_str_eq(edb_bundle_input_path(b, 0), m1);
    ck_assert_str_eq(edb_bundle_input_path(b, 1), m2);
    /* And what the service's inventory said of the two (its portal answers from the
     * store's meta.json: SQLType REAL, Subsystem ACS), for replay to say it again. */
    ck_assert_str_eq(edb_bundle_input_name(b, 2), "3-edbx-inventory.csv");
    ck_assert_str_eq(edb_bundle_input_path(b, 2), "edbx-inventory.csv");
    /* Unpacked (and checked) by the library: the copies are the files' bytes. */
    char ex[4400], ex1[4500], ex2[4500];
    snprintf(ex, sizeof ex, "%s/ex", tmp);
    ck_assert_int_eq(mkdir(ex, 0700), 0);
    ck_assert_msg(edb_bundle_extract(b, ex, NULL, NULL, &err) == EDB_OK, "%s", err.msg);
    snprintf(ex1, sizeof ex1, "%s/in/1-inventory.csv", ex);
    snprintf(ex2, sizeof ex2, "%s/in/2-inventory.csv", ex);
    size_t len1, len2, want1;
    char *in1 = tu_read_file(ex1, &len1), *in2 = tu_read_file(ex2, &len2);
    char *f1 = tu_read_file(m1, &want1);
    ck_assert(in1 && f1 && len1 == want1 && memcmp(in1, f1, len1) == 0);
    ck_assert(in2 && len2 == strlen(INV2) && memcmp(in2, INV2, len2) == 0);
    char ex3[4500];
    snprintf(ex3, sizeof ex3, "%s/in/3-edbx-inventory.csv", ex);
    char *in3 = tu_read_file(ex3, NULL);
    ck_assert_ptr_nonnull(in3);
    /* The portal (path A) says less than path B's and EDP's metadata documents, and in its
     * own spelling; each is recorded as its service said it. */
    if (strcmp(tu_test_api(), "mast") == 0)
        ck_assert_str_eq(in3, "tlmMnemonic,tlmIdentifier,description,sqlDataType,subsystem,"
                              "unit,longDescription,allPoints,rawType,euType\n"
                              "SA_ZATTEST1,,,real,ACS,,,,,\n"
                              "SA_ZATTEST2,,,real,ACS,,,,,\n");
    else
        ck_assert_str_eq(in3, "tlmMnemonic,tlmIdentifier,description,sqlDataType,subsystem,"
                              "unit,longDescription,allPoints,rawType,euType\n"
                              "SA_ZATTEST1,,,REAL,ACS,,,1,FL32,FL32\n"
                              "SA_ZATTEST2,,,REAL,ACS,,,1,FL32,FL32\n");
    free(in3);
    free(f1);
    free(in1);
    free(in2);
    edb_bundle_free(b);

    /* The files gone, the replay reads the bundle's copies: the same FITS, units included. */
    ck_assert_int_eq(unlink(m1), 0);
    ck_assert_int_eq(unlink(m2), 0);
    ck_assert_int_eq(rmdir(d1), 0);
    ck_assert_int_eq(rmdir(d2), 0);
    char tenv[4400];
    snprintf(tenv, sizeof tenv, "TMPDIR=%s", tdir);
    const char *env[] = {tenv, NULL};
    const char *rp[] = {"replay", bun, "--out", rep, NULL};
    ck_assert_msg(tu_edbx_run(&r, tmp, "http://127.0.0.1:9/", rp, env) == 0, "%s%s", r.out, r.err);
    ck_assert_msg(strstr(r.out, "out/x.fits: identical ("), "%s", r.out);
    tu_run_free(&r);
    char rep_file[4400];
    snprintf(rep_file, sizeof rep_file, "%s/x.fits", rep);
    size_t la, lb;
    char *a = tu_read_file(out, &la), *c = tu_read_file(rep_file, &lb);
    ck_assert_msg(a && c && la == lb && memcmp(a, c, la) == 0, "the replayed FITS differs");
    free(a);
    free(c);
    fitsfile *fp = NULL;
    int st = 0;
    fits_open_file(&fp, rep_file, READONLY, &st);
    ck_assert_int_eq(st, 0);
    assert_key(fp, "SA_ZATTEST1", "TUNIT3", "V");
    assert_key(fp, "SA_ZATTEST2", "TUNIT3", "A");
    assert_key(fp, "SA_ZATTEST2", "TCOMM3", "Second file");
    st = 0;
    fits_close_file(fp, &st);
    /* The private copies are removed. */
    ck_assert_int_eq(rmdir(tdir), 0);
    ck_assert_int_eq(mkdir(tdir, 0700), 0);

    const char *vf[] = {"bundle", "verify", bun, NULL};
    ck_assert_int_eq(run(&r, vf), 0);
    tu_run_free(&r);

    /* A tampered input: verify and replay name it, and the replay leaves nothing behind. */
    char bad[4300];
    snprintf(bad, sizeof bad, "%s/t.tar.gz", tmp);
    py("import sys, tarfile, io\n"
       "src, dst = sys.argv[1:]\n"
       "with tarfile.open(src) as t, tarfile.open(dst, 'w:gz') as o:\n"
       "    for m in t.getmembers():\n"
       "        d = t.extractfile(m).read()\n"
       "        if m.name == 'in/2-inventory.csv': d = d.replace(b',A,', b',B,')\n"
       "        m.size = len(d); o.addfile(m, io.BytesIO(d))", bun, bad);
    const char *vb[] = {"bundle", "verify", bad, NULL};
    ck_assert_int_eq(run(&r, vb), 6);
    ck_assert_msg(strstr(r.out, "in/2-inventory.csv: BAD: ") && !strstr(r.out, "in/1-"), "%s",
                  r.out);
    tu_run_free(&r);
    const char *rb[] = {"replay", bad, NULL};
    ck_assert_int_eq(tu_edbx_run(&r, tmp, base, rb, env), 6);
    ck_assert_msg(strstr(r.out, "in/2-inventory.csv: BAD: "), "%s", r.out);
    tu_run_free(&r);
    /* A manifest whose --meta names no file of the bundle: refused, naming it, and the
     * replay leaves nothing behind. */
    py("import sys, tarfile, io, json\n"
       "src, dst = sys.argv[1:]\n"
       "with tarfile.open(src) as t:\n"
       "    files = {m.name: t.extractfile(m).read() for m in t.getmembers()}\n"
       "m = json.loads(files['manifest.json'])\n"
       "o = [o for o in m['command']['options'] if o['name'] == 'meta'][1]; del o['input']\n"
       "files['manifest.json'] = json.dumps(m).encode()\n"
       "with tarfile.open(dst, 'w:gz') as o:\n"
       "    for n, d in files.items():\n"
       "        i = tarfile.TarInfo(n); i.size = len(d); o.addfile(i, io.BytesIO(d))", bun, bad);
    ck_assert_int_eq(tu_edbx_run(&r, tmp, base, rb, env), 6);
    char want[4700];
    snprintf(want, sizeof want, "option --meta %.40s", m2);
    ck_assert_msg(strstr(r.err, want) && strstr(r.err, "names a file the bundle does not hold"),
                  "%s", r.err);
    tu_run_free(&r);
    ck_assert_int_eq(rmdir(tdir), 0);

    /* A bundle of edbx 0.1 (its command an argv, no copy of the --meta files): replaying
     * it would read files outside the bundle, so it is refused, naming the option. */
    char old[4300];
    snprintf(old, sizeof old, "%s/old.tar.gz", tmp);
    py("import sys, tarfile, io, json\n"
       "src, dst = sys.argv[1:]\n"
       "with tarfile.open(src) as t:\n"
       "    files = {m.name: t.extractfile(m).read() for m in t.getmembers()}\n"
       "m = json.loads(files['manifest.json']); del m['inputs']; del m['command']\n"
       "m['format'] = 'edbx-bundle-1'\n"
       "m['command_line'] = ['get', 'SA_ZATTEST1', '--meta', 'a/inventory.csv', '-o', 'x.fits']\n"
       "files['manifest.json'] = json.dumps(m).encode()\n"
       "with tarfile.open(dst, 'w:gz') as o:\n"
       "    for n, d in files.items():\n"
       "        if n.startswith('in/'): continue\n"
       "        i = tarfile.TarInfo(n); i.size = len(d); o.addfile(i, io.BytesIO(d))", bun, old);
    const char *ro[] = {"replay", old, NULL};
    ck_assert_int_eq(run(&r, ro), 6);
    ck_assert_msg(strstr(r.err, "made by edbx 0.1, which kept no copy of the file of --meta "
                             "a/inventory.csv"), "%s", r.err);
    tu_run_free(&r);
}
END_TEST

static Suite *meta_suite(void)
{
    Suite *s = suite_create("e2e_meta");
    TCase *tc = tcase_create("e2e_meta");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_fits_units_and_descriptions);
    tcase_add_test(tc, test_meta_errors);
    tcase_add_test(tc, test_change_only_holds_by_default);
    tcase_add_test(tc, test_bundle_keeps_meta_files);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(meta_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
