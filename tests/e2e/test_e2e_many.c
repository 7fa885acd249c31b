/* test_e2e_many.c: `edbx get` with many mnemonics over a long range, as a user runs it:
 * -f lists, -j, --chunk, --keep-going, the progress line, and Ctrl-C, against edb_server
 * on 127.0.0.1 serving a synthetic store whose every sample is known. */
#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <edb/edb.h>

#include "testutil.h"

static char *store, *tmp;
static edb_server *srv;
static char base[TU_BASE_LEN];

static void setup(void)
{
    store = tu_synthetic_store(6, 3);
    tmp = tu_mkdtemp();
}

static void teardown(void)
{
    edb_server_stop(srv);
    srv = NULL;
    tu_rmtree(store);
    tu_rmtree(tmp);
    free(store);
    free(tmp);
}

static void serve(edb_server_options *so)
{
    srv = tu_serve(*so, store, base);
}

static int run(tu_run *r, const char *const *args)
{
    return tu_edbx_run(r, tmp, base, args, NULL);
}

static const char *in_tmp(const char *name)
{
    return tu_path(tmp, name);
}

/* The CSV edbx must write for mnemonics ms over samples first..last, built here from the
 * store's definition (the mjd text comes from the time module, tested on its own). */
static char *expected_csv(const int *ms, size_t nm, int first, int last)
{
    size_t cap = 1 << 20, len = 0;
    char *out = malloc(cap);
    len += (size_t)snprintf(out, cap, "time,mjd,mnemonic,value\n");
    for (size_t j = 0; j < nm; j++)
        for (int k = first; k <= last; k++) {
            int64_t ms_t = TU_D0_MS + k * TU_STEP_MS;
            time_t sec = (time_t)(ms_t / 1000);
            struct tm tm;
            gmtime_r(&sec, &tm);
            char iso[40], mjd[40], val[40];
            strftime(iso, sizeof iso, "%Y-%m-%dT%H:%M:%S", &tm);
            edb_format_double(edb_time_to_mjd(ms_t * 1000), mjd, sizeof mjd);
            snprintf(val, sizeof val, "%.17g", tu_synthetic_value(ms[j], k));
            /* values are m*1000 + k + 0.25: short decimals, %.17g prints them exactly */
            if (len + 200 > cap)
                out = realloc(out, cap *= 2);
            len += (size_t)snprintf(out + len, cap - len, "%s.%03d,%s,SA_ZTEST%d,%s\n", iso,
                                    (int)(ms_t % 1000), mjd, ms[j], val);
        }
    return out;
}

START_TEST(file_list_chunks_and_jobs_give_one_output)
{
    edb_server_options so = EDB_SERVER_OPTIONS_INIT;
    so.delay_us = 10000;
    so.fault_count = -1;
    serve(&so);
    const char *list = "# attitude test set\nSA_ZTEST3\n\n  sa_ztest1   # lower case is fine\n"
                       "SA_ZTEST3\nSA_ZTEST5\n";
    tu_write_file(in_tmp("list.txt"), list, strlen(list));
    const char *a1[] = {"get", "-f", in_tmp("list.txt"), "SA_ZTEST0", "--start", "2022-03-01T06:00",
                        "--end", "2022-03-03T12:00", "-j", "1", "-o", in_tmp("j1.csv"), NULL};
    tu_run r;
    ck_assert_msg(run(&r, a1) == 0, "exit %d: %s", r.status, r.err);
    ck_assert_str_eq(r.err, ""); /* no terminal: no progress line */
    tu_run_free(&r);
    /* 4 distinct names x 3 daily chunks, and the inventory (once, whatever the names). */
    ck_assert_uint_eq(edb_server_requests(srv), tu_served(12, 4) + 1);
    const char *a2[] = {"get", "-f", in_tmp("list.txt"), "SA_ZTEST0", "--start", "2022-03-01T06:00",
                        "--end", "2022-03-03T12:00", "-j", "16", "--chunk", "6h", "-o",
                        in_tmp("j16.csv"), NULL};
    ck_assert_msg(run(&r, a2) == 0, "exit %d: %s", r.status, r.err);
    tu_run_free(&r);
    /* 4 x 9 six-hour chunks: the end (12:00 on day 2) is a chunk edge, so it closes the
     * last chunk rather than being asked for alone. */
    /* (the inventory, and the metadata of path B and EDP, came from the cache the first
     * run filled) */
    ck_assert_uint_eq(edb_server_requests(srv), tu_served(12, 4) + 1 + tu_served(4 * 9, 0));
    char *j1 = tu_read_file(in_tmp("j1.csv"), NULL), *j16 = tu_read_file(in_tmp("j16.csv"), NULL);
    /* From 06:00 on day 0 (sample 24) to 12:00 on day 2 (sample 2*96+48), inclusive. */
    int ms[] = {3, 1, 5, 0};
    char *want = expected_csv(ms, 4, 24, 2 * 96 + 48);
    ck_assert_str_eq(j1, want);
    ck_assert_str_eq(j16, want);
    free(j1);
    free(j16);
    free(want);
}
END_TEST

START_TEST(keep_going_writes_the_rest)
{
    edb_server_options so = EDB_SERVER_OPTIONS_INIT;
    serve(&so);
    const char *out = in_tmp("kg.csv");
    const char *a1[] = {"get", "SA_ZTEST2", "SA_ZNOSUCH7", "--start", "2022-03-01",
                        "--end", "2022-03-01T01:00", "-o", out, NULL};
    tu_run r;
    ck_assert_int_eq(run(&r, a1), 3);
    ck_assert(!tu_exists(out));
    tu_run_free(&r);
    const char *a2[] = {"get", "SA_ZTEST2", "SA_ZNOSUCH7", "--start", "2022-03-01",
                        "--end", "2022-03-01T01:00", "-o", out, "--keep-going", NULL, NULL};
    /* The inventory refuses the name before any data request; the rest is written. */
    unsigned long before = edb_server_requests(srv);
    ck_assert_int_eq(run(&r, a2), 8);
    const char *api = tu_test_api();
    const char *inv = strcmp(api, "direct") == 0 ? "the inventory of the direct (path B) service"
                      : strcmp(api, "edp") == 0  ? "the inventory of the EDP service"
                                                 : "Mast.JwstEdb.Mnemonics";
    char want_missing[256];
    snprintf(want_missing, sizeof want_missing,
             "edbx: missing SA_ZNOSUCH7: no such mnemonic in %s from ", inv);
    ck_assert_msg(strstr(r.err, want_missing), "%s", r.err);
    ck_assert_msg(strstr(r.err, "wrote 1 of 2 mnemonics; 1 failed"), "%s", r.err);
    tu_run_free(&r);
    /* the inventory, and SA_ZTEST2 (with its metadata over path B and EDP) */
    ck_assert_uint_eq(edb_server_requests(srv), before + 1 + tu_served(1, 1));
    char *first = tu_read_file(out, NULL);
    /* Without it, the service's 404 says the same, and the same file is written. */
    a2[10] = "--no-meta";
    ck_assert_int_eq(run(&r, a2), 8);
    ck_assert_msg(strstr(r.err, "edbx: missing SA_ZNOSUCH7: no such mnemonic (HTTP 404"), "%s",
                  r.err);
    ck_assert_msg(strstr(r.err, "wrote 1 of 2 mnemonics; 1 failed"), "%s", r.err);
    tu_run_free(&r);
    char *second = tu_read_file(out, NULL);
    ck_assert_str_eq(first, second);
    free(first);
    free(second);
    char *got = tu_read_file(out, NULL);
    int ms[] = {2};
    char *want = expected_csv(ms, 1, 0, 4);
    ck_assert_str_eq(got, want);
    free(got);
    free(want);
}
END_TEST

START_TEST(progress_line_when_asked)
{
    edb_server_options so = EDB_SERVER_OPTIONS_INIT;
    so.delay_us = 150000;
    so.fault_count = -1;
    serve(&so);
    const char *a[] = {"get", "SA_ZTEST0", "SA_ZTEST1", "--start", "2022-03-01", "--end",
                       "2022-03-02T23:00", "-j", "1", "--progress", "-o", in_tmp("p.csv"), NULL};
    tu_run r;
    ck_assert_msg(run(&r, a) == 0, "%s", r.err);
    /* 378 samples in range and the two brackets, which are always fetched; 2 days of 2
     * mnemonics, and their metadata over path B and EDP */
    int meta = strcmp(tu_test_api(), "mast") != 0;
    ck_assert_msg(strstr(r.err, meta ? "edbx: 6/6 requests, 380 rows," : "edbx: 4/4 requests, 380 rows,"),
                  "%s", r.err);
    ck_assert_msg(strstr(r.err, meta ? "/6 requests" : "/4 requests") && strstr(r.err, "left"),
                  "%s", r.err);
    ck_assert(r.err[r.err_len - 1] == '\n');
    tu_run_free(&r);
    const char *q[] = {"get", "SA_ZTEST0", "--start", "2022-03-01", "--end", "2022-03-01T01:00",
                       "--progress", "-q", NULL};
    ck_assert_int_eq(run(&r, q), 0);
    ck_assert_str_eq(r.err, "");
    tu_run_free(&r);
}
END_TEST

START_TEST(ctrl_c_leaves_nothing)
{
    edb_server_options so = EDB_SERVER_OPTIONS_INIT;
    so.delay_us = 400000;
    so.fault_count = -1;
    serve(&so);
    char outarg[4200];
    snprintf(outarg, sizeof outarg, "%s", in_tmp("int.csv"));
    pid_t pid = fork();
    ck_assert(pid >= 0);
    if (pid == 0) {
        setenv("ENG_BASE_URL", base, 1);
        unsetenv("MAST_API_TOKEN");
        setenv("HOME", tmp, 1);
        setenv("XDG_CACHE_HOME", tmp, 1);
        int nul = open("/dev/null", O_WRONLY);
        dup2(nul, 2);
        execl(tu_edbx(), "edbx", "get", "SA_ZTEST0", "SA_ZTEST1", "SA_ZTEST2", "--start",
              "2022-03-01", "--end", "2022-03-03", "-j", "2", "-o", outarg, (char *)NULL);
        _exit(127);
    }
    struct timespec ts = {0, 600000000};
    nanosleep(&ts, NULL);
    kill(pid, SIGINT);
    int st;
    waitpid(pid, &st, 0);
    ck_assert(WIFEXITED(st));
    ck_assert_int_eq(WEXITSTATUS(st), 130);
    /* Neither the output nor its temporary file. */
    tu_run ls;
    const char *lsargs[] = {"/bin/ls", "-A", tmp, NULL};
    tu_run_cmd(&ls, lsargs, NULL);
    ck_assert_msg(strstr(ls.out, "int.csv") == NULL, "left: %s", ls.out);
    tu_run_free(&ls);
}
END_TEST

START_TEST(bad_lists_and_limits)
{
    edb_server_options so = EDB_SERVER_OPTIONS_INIT;
    serve(&so);
    tu_write_file(in_tmp("bad.txt"), "SA_ZTEST1\nSA_ZTEST2 SA_ZTEST3\n", 30);
    static const struct {
        const char *args[12];
        const char *msg;
    } cases[] = {
        {{"get", "-f", "/nonexistent/list", "--start", "2022-03-01", NULL}, "cannot read the mnemonic list"},
        {{"get", "-j", "0", "SA_ZTEST1", "--start", "2022-03-01", NULL}, "invalid -j '0'"},
        {{"get", "-j", "33", "SA_ZTEST1", "--start", "2022-03-01", NULL}, "from 1 to 32"},
        {{"get", "--chunk", "10ms", "SA_ZTEST1", "--start", "2022-03-01", NULL}, "at least 1s"},
        {{"get", "--chunk", "1s", "SA_ZTEST1", "--start", "2000-01-01", "--end", "2022-03-01", NULL},
         "more than 100000000 requests"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        tu_run r;
        int code = run(&r, cases[k].args);
        ck_assert_msg(code == 2 || (k == 0 && code == 7), "case %zu: exit %d: %s", k, code, r.err);
        ck_assert_msg(strstr(r.err, cases[k].msg), "case %zu: %s", k, r.err);
        tu_run_free(&r);
    }
    const char *a[] = {"get", "-f", in_tmp("bad.txt"), "--start", "2022-03-01", NULL};
    tu_run r;
    ck_assert_int_eq(run(&r, a), 2);
    ck_assert_msg(strstr(r.err, "line 2: one mnemonic per line"), "%s", r.err);
    tu_run_free(&r);
    ck_assert_uint_eq(edb_server_requests(srv), 0);
}
END_TEST

static Suite *many_suite(void)
{
    Suite *s = suite_create("e2e_many");
    TCase *t = tcase_create("many");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_set_timeout(t, 120);
    tcase_add_test(t, file_list_chunks_and_jobs_give_one_output);
    tcase_add_test(t, keep_going_writes_the_rest);
    tcase_add_test(t, progress_line_when_asked);
    tcase_add_test(t, ctrl_c_leaves_nothing);
    tcase_add_test(t, bad_lists_and_limits);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *r = srunner_create(many_suite());
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
