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
    tcase_add_test(t, source_missing_named_once);
    suite_add_tcase(s, t);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
