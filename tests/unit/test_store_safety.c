/* test_store_safety.c: a store folder is hostile input.  Its files are read without
 * following links and only when they are regular files (issue: store folders followed
 * symlinks to /etc/passwd); archives already refuse such entries. */
#include <check.h>
#include <errno.h>
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

static const char META[] =
    "{\"Count\":2,\"TlmMnemonics\":[{\"TlmMnemonic\":\"SA_ZGOOD\",\"SQLType\":\"REAL\","
    "\"AllPoints\":1},{\"TlmMnemonic\":\"SA_ZEVIL\",\"SQLType\":\"REAL\",\"AllPoints\":1}]}";
static const char GOOD[] = "{\"TlmMnemonic\":\"SA_ZGOOD\",\"AllPoints\":1,\"Count\":1,\"Data\":"
                           "[{\"ObsTime\":\"/Date(1611628142147+0000)/\",\"EUValue\":1.5}]}";

static const char *in_tmp(const char *name)
{
    return tu_path(tmp, name);
}

/* A jwst-layout store whose data file for SA_ZEVIL is whatever make() puts there. */
static void jwst_store(void)
{
    tu_write_file(in_tmp("meta.json"), META, strlen(META));
    tu_write_file(in_tmp("sa_zgood_data.json"), GOOD, strlen(GOOD));
}

static void expect_refused(const char *why)
{
    edb_store *s = NULL;
    edb_err err = EDB_ERR_INIT;
    ck_assert_msg(edb_store_open(&s, tmp, &err) == EDB_OK, "%s", err.msg);
    edb_series *ser = NULL;
    ck_assert_int_eq(edb_store_query(s, "SA_ZEVIL", 0, INT64_MAX / 2, 1, &ser, &err), EDB_ERR_IO);
    ck_assert_ptr_null(ser);
    ck_assert_msg(strstr(err.msg, "sa_zevil_data.json") && strstr(err.msg, why), "%s", err.msg);
    /* the good one still answers */
    edb_err_clear(&err);
    ck_assert_int_eq(edb_store_query(s, "SA_ZGOOD", 0, INT64_MAX / 2, 1, &ser, &err), EDB_OK);
    ck_assert_uint_eq(ser->n, 1);
    edb_series_free(ser);
    edb_store_free(s);
}

START_TEST(data_file_symlink_refused)
{
    jwst_store();
    ck_assert_int_eq(symlink("/etc/passwd", in_tmp("sa_zevil_data.json")), 0);
    expect_refused("a symbolic link, not a file: refused");
    /* through edbx get --source as well: exit 7 (local I/O), no output */
    const char *args[] = {"get", "SA_ZEVIL", "--start", "2021-01-26", "--end", "2021-01-27",
                          "--source", tmp, "-o", in_tmp("x.csv"), NULL};
    tu_run r;
    ck_assert_int_eq(tu_edbx_run(&r, tmp, NULL, args, NULL), 7);
    ck_assert_msg(strstr(r.err, "a symbolic link, not a file: refused") &&
                      !strstr(r.err, "root:"), "%s", r.err);
    ck_assert(!tu_exists(in_tmp("x.csv")));
    tu_run_free(&r);
}
END_TEST

START_TEST(data_file_fifo_refused)
{
    jwst_store();
    ck_assert_int_eq(mkfifo(in_tmp("sa_zevil_data.json"), 0600), 0);
    /* opened without blocking for a writer that never comes */
    expect_refused("not a regular file: refused");
}
END_TEST

START_TEST(meta_symlink_refused)
{
    tu_write_file(in_tmp("real-meta.json"), META, strlen(META));
    ck_assert_int_eq(symlink(in_tmp("real-meta.json"), in_tmp("meta.json")), 0);
    edb_store *s = NULL;
    edb_err err = EDB_ERR_INIT;
    ck_assert_int_eq(edb_store_open(&s, tmp, &err), EDB_ERR_DATA);
    ck_assert_ptr_null(s);
    ck_assert_msg(strstr(err.msg, "not a store"), "%s", err.msg);
}
END_TEST

/* Saved replies: a link among them is not a reply, and a raw/ that is a link is not
 * entered. */
START_TEST(saved_reply_links_ignored)
{
    const char body[] = "theTime,MJD,euvalue,sqldataType\r\n"
                        "2021-01-26 02:29:02.147000,59240.1034970718,1.5,real\r\n";
    tu_write_file(in_tmp("SA_ZGOOD-20210126T022900-20210126T023000.csv"), body, strlen(body));
    ck_assert_int_eq(symlink("/etc/passwd", in_tmp("SA_ZEVIL-20210126T022900-20210126T023000.csv")),
                     0);
    edb_store *s = NULL;
    edb_err err = EDB_ERR_INIT;
    ck_assert_msg(edb_store_open(&s, tmp, &err) == EDB_OK, "%s", err.msg);
    edb_series *ser = NULL;
    ck_assert_int_eq(edb_store_query(s, "SA_ZEVIL", 0, INT64_MAX / 2, 1, &ser, &err),
                     EDB_ERR_NOT_FOUND);
    edb_store_free(s);

    char *other = tu_mkdtemp();
    tu_write_file(tu_path(other, "SA_ZGOOD-20210126T022900-20210126T023000.csv"), body,
                  strlen(body));
    char *outer = tu_mkdtemp();
    ck_assert_int_eq(symlink(other, tu_path(outer, "raw")), 0);
    edb_err_clear(&err);
    ck_assert_int_eq(edb_store_open(&s, outer, &err), EDB_ERR_DATA);
    tu_rmtree(outer);
    tu_rmtree(other);
    free(outer);
    free(other);
}
END_TEST

/* Decoding ahead on several threads gives the very samples a plain query gives. */
START_TEST(prefetch_same_samples)
{
    static const char *const names[] = {
        "INRSI_GWA_Y_TILT_AVGED", "SA_ZADUCMDX",  "SA_ZADUCMDY",  "SA_ZATTEST1",  "SA_ZATTEST2",
        "SA_ZATTEST3",            "SA_ZATTEST4",  "SA_ZFGDETID",  "SA_ZFGGSCMDX", "SA_ZFGGSCMDY",
        "SA_ZFGGSPOSX",           "SA_ZFGGSPOSY", "SA_ZRFGS2J11", "SA_ZRFGS2J12", "SA_ZRFGS2J13",
        "SA_ZRFGS2J21",           "SA_ZRFGS2J22", "SA_ZRFGS2J23", "SA_ZRFGS2J31", "SA_ZRFGS2J32",
        "SA_ZRFGS2J33",           "SA_ZNOSUCH1",  "bad/name"};
    const size_t n = sizeof names / sizeof names[0];
    edb_store *a = NULL, *b = NULL;
    edb_err err = EDB_ERR_INIT;
    ck_assert_int_eq(edb_store_open(&a, tu_fixture("jwst-2021-01-26"), &err), EDB_OK);
    ck_assert_int_eq(edb_store_open(&b, tu_fixture("jwst-2021-01-26.tar.xz"), &err), EDB_OK);
    edb_store_prefetch(b, "mast", names, n, EDB_TIME_MIN, EDB_TIME_MAX, 4);
    size_t total = 0;
    for (size_t k = 0; k + 2 < n; k++) {
        edb_series *x = NULL, *y = NULL;
        ck_assert_int_eq(edb_store_query(a, names[k], 0, INT64_MAX / 2, 1, &x, &err), EDB_OK);
        ck_assert_int_eq(edb_store_query(b, names[k], 0, INT64_MAX / 2, 1, &y, &err), EDB_OK);
        ck_assert_uint_eq(x->n, y->n);
        ck_assert_int_eq(x->vtype, y->vtype);
        ck_assert_str_eq(x->sqltype, y->sqltype);
        ck_assert(memcmp(x->t, y->t, x->n * sizeof *x->t) == 0);
        if (x->vtype == EDB_VT_REAL)
            ck_assert(memcmp(x->d, y->d, x->n * sizeof *x->d) == 0);
        else if (x->vtype == EDB_VT_INT)
            ck_assert(memcmp(x->i, y->i, x->n * sizeof *x->i) == 0);
        total += x->n;
        edb_series_free(x);
        edb_series_free(y);
    }
    /* the recording's 21 files hold 11,796 samples (counted with Python's json module) */
    ck_assert_uint_eq(total, 11796);
    edb_series *z = NULL;
    ck_assert_int_eq(edb_store_query(b, "SA_ZNOSUCH1", 0, 1, 1, &z, &err), EDB_ERR_NOT_FOUND);
    edb_store_free(a);
    edb_store_free(b);
}
END_TEST


/* Reading ahead while the fetch runs (edb_store_read_ahead, as edbx get does): the result
 * is the one of a fetch without it, series for series and sample for sample, whatever
 * order the fetch asks in, for saved replies of exactly the range (decoded ahead as the
 * client's decoder decodes them, a repeated instant kept), unions of daily replies, and a
 * reply that does not decode (the same error). */
static edb_status fetch_store(edb_store *st, const char *const *names, size_t n, edb_time a,
                              edb_time b, edb_result **res, char *msg, size_t msglen)
{
    edb_reply_hooks h;
    edb_store_hooks(st, &h);
    edb_client_options o = EDB_CLIENT_OPTIONS_INIT;
    o.hooks = &h;
    o.n_hooks = 1;
    o.offline = 1;
    edb_client *c = NULL;
    ck_assert_int_eq(edb_client_new(&c, &o), EDB_OK);
    edb_query q = {.mnemonics = names, .n_mnemonics = n, .start = a, .end = b,
                   .keep_brackets = 1};
    edb_status rc = edb_client_fetch(c, &q, res);
    snprintf(msg, msglen, "%s", edb_client_errmsg(c));
    edb_client_free(c);
    return rc;
}

static void reply(const char *name, int d0, int d1, int step_min, int dup_at, const char *junk)
{
    char file[128], *body = malloc(1 << 20);
    size_t len = (size_t)sprintf(body, "theTime,MJD,euvalue,sqldataType\r\n");
    snprintf(file, sizeof file, "%s-202201%02dT000000-202201%02dT000000.csv", name, d0 + 1,
             d1 + 1);
    for (int m = d0 * 1440 - step_min; m <= d1 * 1440 + step_min; m += step_min) {
        if (m < 0)
            continue;
        for (int rep = 0; rep < (m == dup_at ? 2 : 1); rep++)
            len += (size_t)sprintf(body + len, "2022-01-%02d %02d:%02d:00.000000,%.10f,%d.%d,real\r\n",
                                   m / 1440 + 1, m / 60 % 24, m % 60, 59580 + m / 1440.0, m, rep);
        if (junk && m == d0 * 1440 + 5 * step_min)
            len += (size_t)sprintf(body + len, "%s\r\n", junk);
    }
    tu_write_file(in_tmp(file), body, len);
    free(body);
}

START_TEST(read_ahead_same_result)
{
    /* SA_ZEX1, SA_ZEX2: one reply of exactly 2022-01-01 to 01-03 (every 7 and 10 min;
     * SA_ZEX2 repeats the instant 01:40); SA_ZDAY: two daily replies; SA_ZBAD: exact, but
     * a row that does not read */
    reply("SA_ZEX1", 0, 2, 7, -1, NULL);
    reply("SA_ZEX2", 0, 2, 10, 100, NULL);
    reply("SA_ZDAY", 0, 1, 15, -1, NULL);
    reply("SA_ZDAY", 1, 2, 15, -1, NULL);
    reply("SA_ZBAD", 0, 2, 30, -1, "2022-01-01 02:31:00.000000,59580.1,oops,real");
    const char *names[] = {"SA_ZEX1", "SA_ZDAY", "SA_ZEX2"};
    const char *rev[] = {"SA_ZEX2", "SA_ZDAY", "SA_ZEX1"};
    /* 00:00:00.5 to 01-03 00:00: the replies' whole-second range, cut to the half second */
    edb_time a = INT64_C(1640995200000000) + 500000, b = INT64_C(1640995200000000) +
                                                          2 * EDB_USEC_PER_DAY;
    char msg[512];
    edb_store *ref = NULL;
    edb_err err = EDB_ERR_INIT;
    ck_assert_int_eq(edb_store_open(&ref, tmp, &err), EDB_OK);
    edb_store_set_single_use(ref, 1);
    edb_result *want = NULL;
    ck_assert_msg(fetch_store(ref, names, 3, a, b, &want, msg, sizeof msg) == EDB_OK, "%s", msg);
    edb_store_free(ref);
    /* by hand, in minutes: the range holds 0.5 s to 2880; 0 is the bracket before, the first
     * sample past 2880 the bracket after.  SA_ZEX1: 0..2877 step 7 and 2884 = 413 samples;
     * SA_ZEX2: 0..2880 step 10, 2890 and the repeat = 291; SA_ZDAY: 0..2880 step 15 and
     * 2895 = 194 */
    ck_assert_uint_eq(edb_result_series(want, 0)->n, 413);
    ck_assert_uint_eq(edb_result_series(want, 1)->n, 194);
    ck_assert_uint_eq(edb_result_series(want, 2)->n, 291);
    for (int exact = 0; exact < 2; exact++)
        for (int order = 0; order < 2; order++)
            for (int threads = 2; threads <= 4; threads += 2) {
                edb_store *st = NULL;
                ck_assert_int_eq(edb_store_open(&st, tmp, &err), EDB_OK);
                edb_store_set_single_use(st, 1);
                edb_store_read_ahead(st, "mast", names, 3, a, b, threads, exact);
                edb_result *got = NULL;
                ck_assert_msg(fetch_store(st, order ? rev : names, 3, a, b, &got, msg,
                                          sizeof msg) == EDB_OK, "%s", msg);
                edb_store_read_ahead_stop(st);
                for (size_t k = 0; k < 3; k++) {
                    const edb_series *x = edb_result_series(want, k);
                    const edb_series *y = edb_result_series(got, order ? 2 - k : k);
                    ck_assert_str_eq(x->mnemonic, y->mnemonic);
                    ck_assert_uint_eq(x->n, y->n);
                    ck_assert_int_eq(x->vtype, y->vtype);
                    ck_assert_str_eq(x->sqltype, y->sqltype);
                    ck_assert_int_eq(x->all_points, y->all_points);
                    ck_assert(memcmp(x->t, y->t, x->n * sizeof *x->t) == 0);
                    ck_assert(memcmp(x->d, y->d, x->n * sizeof *x->d) == 0);
                }
                edb_result_free(got);
                edb_store_free(st);
            }
    edb_result_free(want);
    /* a reply that does not decode fails its query the same way, read ahead or not */
    const char *bad[] = {"SA_ZEX1", "SA_ZBAD"};
    char m1[512], m2[512];
    edb_result *r = NULL;
    ck_assert_int_eq(edb_store_open(&ref, tmp, &err), EDB_OK);
    edb_status s1 = fetch_store(ref, bad, 2, a, b, &r, m1, sizeof m1);
    edb_store_free(ref);
    ck_assert_int_eq(edb_store_open(&ref, tmp, &err), EDB_OK);
    edb_store_set_single_use(ref, 1);
    edb_store_read_ahead(ref, "mast", bad, 2, a, b, 3, 1);
    edb_status s2 = fetch_store(ref, bad, 2, a, b, &r, m2, sizeof m2);
    edb_store_free(ref); /* stops the read-ahead */
    ck_assert_int_eq(s1, EDB_ERR_DATA);
    ck_assert_int_eq(s2, s1);
    ck_assert_str_eq(m1, m2);
}
END_TEST

/* A mnemonic a --source does not have: named once, no URL (none was asked), exit 3. */
START_TEST(source_missing_named_once)
{
    const char *stores[] = {tu_fixture("jwst-2021-01-26"), tu_fixture("jwst-2021-01-26.tar.xz")};
    for (int k = 0; k < 2; k++) {
        char want[4200];
        snprintf(want, sizeof want, "edbx: SA_ZNOPE: no such mnemonic in store %s\n", stores[k]);
        const char *args[] = {"get", "SA_ZNOPE", "--start", "2021-01-26T02:30:00", "--end",
                              "2021-01-26T02:31:00", "--source", stores[k], NULL};
        tu_run r;
        ck_assert_int_eq(tu_edbx_run(&r, tmp, NULL, args, NULL), 3);
        ck_assert_str_eq(r.err, want);
        tu_run_free(&r);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("store_safety");
    TCase *t = tcase_create("links");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, data_file_symlink_refused);
    tcase_add_test(t, data_file_fifo_refused);
    tcase_add_test(t, meta_symlink_refused);
    tcase_add_test(t, saved_reply_links_ignored);
    tcase_add_test(t, prefetch_same_samples);
    tcase_add_test(t, read_ahead_same_result);
    tcase_add_test(t, source_missing_named_once);
    suite_add_tcase(s, t);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
