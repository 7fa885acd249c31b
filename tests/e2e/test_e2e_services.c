/* test_e2e_services.c: choosing a service and what a wrong one looks like, end to end:
 * `edbx get --plan-only` against an exact expected file, a base URL that is not the EDB,
 * a connection refused and a host that does not resolve (the short retry budget). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static int run(tu_run *r, const char *base, const char *const *args, const char *const *env)
{
    return tu_edbx_run(r, tmp, base, args, env);
}

static char *expected(const char *name)
{
    char p[4096];
    snprintf(p, sizeof p, "%s/e2e/expected/%s", getenv("EDBX_TESTS_DIR"), name);
    char *t = tu_read_file(p, NULL);
    ck_assert_msg(t != NULL, "cannot read %s", p);
    return t;
}

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* Two mnemonics (one named twice, in lower case), three days, fractional start, an end
 * exactly on a midnight: one request per mnemonic and day, the end folded into the last
 * day, start floored and end ceiled on the wire.  No token, no network, no cache. */
START_TEST(plan_only_exact)
{
    const char *args[] = {"get",     "SA_ZATTEST1", "sa_zfgdetid", "SA_ZATTEST1",
                          "--start", "2021-01-26T22:00:00.5", "--end", "2021-01-29",
                          "--plan-only", NULL};
    const char *env[] = {"MAST_API_TOKEN=secret-never-needed", NULL};
    tu_run r;
    ck_assert_msg(run(&r, "https://mast.stsci.edu/", args, env) == 0, "%s", r.err);
    char *want = expected("plan_mast.tsv");
    ck_assert_str_eq(r.out, want);
    ck_assert_str_eq(r.err, "");
    ck_assert_ptr_null(strstr(r.out, "secret"));
    free(want);
    tu_run_free(&r);
    /* nothing was made: no cache folder appeared */
    ck_assert(!tu_exists(tu_path(tmp, ".cache")));
}
END_TEST

START_TEST(unknown_service)
{
    const char *args[] = {"get", "SA_ZATTEST1", "--start", "2021-01-26", "--api", "portal",
                          "--plan-only", NULL};
    tu_run r;
    ck_assert_int_eq(run(&r, NULL, args, NULL), 2);
    ck_assert_str_eq(r.err, "edbx: --api 'portal': no such service (known: mast, direct, edp)\n");
    tu_run_free(&r);
    const char *env[] = {"ENG_API=b", NULL};
    const char *args2[] = {"get", "SA_ZATTEST1", "--start", "2021-01-26", "--plan-only", NULL};
    ck_assert_int_eq(run(&r, NULL, args2, env), 2);
    ck_assert_str_eq(r.err, "edbx: ENG_API 'b': no such service (known: mast, direct, edp)\n");
    tu_run_free(&r);
}
END_TEST

/* A server that answers HTTP but is not the EDB at that path: one clear line, exit 5,
 * and not one data request. */
START_TEST(wrong_base_url)
{
    char base[TU_BASE_LEN], wrong[TU_BASE_LEN + 16];
    edb_server_options so = EDB_SERVER_OPTIONS_INIT;
    edb_server *srv = tu_serve(so, tu_fixture("jwst-2021-01-26"), base);
    snprintf(wrong, sizeof wrong, "%sjwst/", base);
    const char *args[] = {"get", "SA_ZATTEST1", "SA_ZATTEST2", "--start", "2021-01-26T02:30",
                          "--end", "2021-01-26T02:31", "-o", tu_path(tmp, "x.csv"), "--no-cache",
                          NULL};
    tu_run r;
    ck_assert_int_eq(run(&r, wrong, args, NULL), 5);
    char want[512];
    snprintf(want, sizeof want, "edbx: %s does not answer as the EDB's MAST path A service "
             "(GET api/ gave 404): check --base-url / ENG_BASE_URL\n", wrong);
    ck_assert_str_eq(r.err, want);
    ck_assert_uint_eq(edb_server_requests(srv), 0);
    ck_assert(!tu_exists(tu_path(tmp, "x.csv")));
    tu_run_free(&r);
    edb_server_stop(srv);
}
END_TEST

/* Nobody listens, or the host does not exist: the short budget (3 tries, waits of about
 * 1 and 2 s with the default settings), not ten tries over minutes. */
START_TEST(refused_and_unresolvable)
{
    char base[TU_BASE_LEN];
    edb_server_options so = EDB_SERVER_OPTIONS_INIT;
    edb_server *srv = tu_serve(so, tu_fixture("jwst-2021-01-26"), base);
    edb_server_stop(srv); /* its port is now closed */
    /* --no-meta: the tries counted are the data request's (the inventory's would make the
     * same three first). */
    const char *args[] = {"get", "SA_ZATTEST1", "--start", "2021-01-26T02:30", "--end",
                          "2021-01-26T02:31", "--no-cache", "-v", "--no-meta", NULL};
    struct {
        const char *base, *why;
    } cases[] = {{base, "cannot connect: "}, {"http://edb.nonexistent.invalid/",
                                              "cannot resolve the host: "}};
    for (int k = 0; k < 2; k++) {
        tu_run r;
        ck_assert_int_eq(run(&r, cases[k].base, args, NULL), 5);
        ck_assert_msg(strstr(r.err, cases[k].why) && strstr(r.err, "after 3 tries"), "%s",
                      r.err);
        ck_assert_msg(count(r.err, "-> no reply") == 3, "%s", r.err);
        ck_assert_msg(count(r.err, "retrying in ") == 2, "%s", r.err);
        tu_run_free(&r);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("services");
    TCase *t = tcase_create("services");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_set_timeout(t, 120);
    tcase_add_test(t, plan_only_exact);
    tcase_add_test(t, unknown_service);
    tcase_add_test(t, wrong_base_url);
    tcase_add_test(t, refused_and_unresolvable);
    suite_add_tcase(s, t);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
