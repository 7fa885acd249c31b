/* test_e2e_bundle_long.c: a reply of more than 300 MB goes through a bundle and back
 * (issue 14 item 5: what `get --bundle` writes, `bundle verify` and `replay` accept).
 *
 * The reply is generated here (never committed) into a store of saved replies, so that
 * `--source` answers with it byte for byte.  It is a long test (ctest label "long", run
 * by scripts/test; skip it locally with `ctest -LE long`). */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <edb/edb.h>

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

/* One sample every 18 ms over 2022-01-01: 4,800,000 lines of about 64 bytes. */
#define N_SAMPLES 4800000
#define STEP_US 18000

static long long write_reply(const char *path)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    static char buf[1 << 20];
    setvbuf(f, buf, _IOFBF, sizeof buf);
    fputs("theTime,MJD,euvalue,sqldataType\r\n", f);
    for (long k = 0; k < N_SAMPLES; k++) {
        long long us = (long long)k * STEP_US;
        int sec = (int)(us / 1000000), frac = (int)(us % 1000000);
        double mjd = 59580.0 + (double)us / 86400e6;
        double v = sin((double)k * 1e-3) * 100.0;
        fprintf(f, "2022-01-01 %02d:%02d:%02d.%06d,%.10f,%.10f,real\r\n", sec / 3600,
                sec / 60 % 60, sec % 60, frac, mjd, v);
    }
    long long size = ftell(f);
    ck_assert_int_eq(fclose(f), 0);
    return size;
}

START_TEST(reply_of_300_mb_round_trips)
{
    char store[4200], raw[4300], reply[4400], out[4200], bun[4200], rep[4200], tdir[4200];
    snprintf(store, sizeof store, "%s/store", tmp);
    snprintf(raw, sizeof raw, "%s/raw", store);
    snprintf(reply, sizeof reply, "%s/SA_ZBIG-20220101T000000-20220101T235959.csv", raw);
    snprintf(out, sizeof out, "%s/big.csv", tmp);
    snprintf(bun, sizeof bun, "%s/big.tar.gz", tmp);
    snprintf(rep, sizeof rep, "%s/rep", tmp);
    snprintf(tdir, sizeof tdir, "%s/t", tmp);
    ck_assert_int_eq(mkdir(store, 0700), 0);
    ck_assert_int_eq(mkdir(raw, 0700), 0);
    ck_assert_int_eq(mkdir(tdir, 0700), 0);
    long long size = write_reply(reply);
    ck_assert_int_gt(size, 300LL * 1000 * 1000);
    /* More than an in-memory archive entry may hold: bundles are not read that way. */
    ck_assert_int_gt(size, (long long)EDB_ARCHIVE_ENTRY_MAX_DEFAULT);

    tu_run r;
    const char *args[] = {"get", "SA_ZBIG", "--start", "2022-01-01T00:00:00", "--end",
                          "2022-01-01T23:59:59", "--source", store, "-o", out, "--bundle", bun,
                          "-q", NULL};
    ck_assert_msg(tu_edbx_run(&r, tmp, NULL, args, NULL) == 0, "%s", r.err);
    tu_run_free(&r);
    /* The reply is in the bundle whole: its size and hash as Python's hashlib counts them
     * (the manifest is the first entry; the tar is read as a stream). */
    char cmd[16384];
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 - '%s' '%s' <<'EOF'\n"
             "import hashlib, json, sys, tarfile\n"
             "h = hashlib.sha256(); n = 0\n"
             "with open(sys.argv[2], 'rb') as f:\n"
             "    for chunk in iter(lambda: f.read(1 << 20), b''): h.update(chunk); n += len(chunk)\n"
             "with tarfile.open(sys.argv[1], 'r|gz') as t:\n"
             "    first = next(iter(t)); m = json.loads(t.extractfile(first).read())\n"
             "assert first.name == 'manifest.json'\n"
             "(r,) = m['requests']\n"
             "assert r['bytes'] == n and r['sha256'] == h.hexdigest(), (r, n)\n"
             "EOF",
             bun, reply);
    ck_assert_msg(system(cmd) == 0, "the bundle does not hold the reply whole");
    const char *vf[] = {"bundle", "verify", bun, NULL};
    ck_assert_msg(tu_edbx_run(&r, tmp, NULL, vf, NULL) == 0, "%s%s", r.out, r.err);
    tu_run_free(&r);
    /* The store is gone: the replay has only the bundle. */
    tu_rmtree(store);
    char tenv[4300];
    snprintf(tenv, sizeof tenv, "TMPDIR=%s", tdir);
    const char *env[] = {tenv, NULL};
    const char *rp[] = {"replay", bun, "--out", rep, NULL};
    ck_assert_msg(tu_edbx_run(&r, tmp, "http://127.0.0.1:9/", rp, env) == 0, "%s%s", r.out, r.err);
    ck_assert_msg(strstr(r.out, "out/big.csv: identical ("), "%s", r.out);
    tu_run_free(&r);
    ck_assert_int_eq(rmdir(tdir), 0); /* the unpacked replies went with the replay */
    /* And the output holds every sample up to 23:59:59 (the range is inclusive): one line
     * each, and the header. */
    long long want = 86399LL * 1000000 / STEP_US + 1;
    snprintf(cmd, sizeof cmd, "test \"$(wc -l < '%s')\" -eq %lld", out, want + 1);
    ck_assert_msg(system(cmd) == 0, "big.csv does not hold %lld samples", want);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("e2e_bundle_long");
    TCase *t = tcase_create("long");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_set_timeout(t, 1800);
    tcase_add_test(t, reply_of_300_mb_round_trips);
    suite_add_tcase(s, t);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
