/* test_e2e_scale.c: `edbx get` across many processes (docs/scale.md), end to end against
 * edb_server on 127.0.0.1: shards filling one cache through random faults, the assembly
 * (--offline) byte for byte equal to one process, a finished shard rerun making no
 * request, --offline naming what is missing and the shard that owns it, a killed shard
 * resumed, a shard that cannot store, the job script of --slurm run by its shell loop,
 * --plan-only of shards against an exact file, and the options that do not go together. */
#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <edb/edb.h>

#include "testutil.h"

static char *store, *tmp;
static edb_server *srv;
static char base[TU_BASE_LEN];
static char cache[1024];

/* 5 mnemonics x 6 days of 15-minute samples: 30 requests of one day. */
#define NM 5
#define NDAYS 6
#define NREQ (NM * NDAYS)
static const char *const QUERY[] = {"SA_ZTEST0", "SA_ZTEST1", "SA_ZTEST2", "SA_ZTEST3",
                                    "SA_ZTEST4", "--start", "2022-03-01", "--end",
                                    "2022-03-06T23:59:59", NULL};

static void setup(void)
{
    store = tu_synthetic_store(NM, NDAYS);
    tmp = tu_mkdtemp();
    snprintf(cache, sizeof cache, "%s/cache", tmp);
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

static void serve(edb_server_options so)
{
    srv = tu_serve(so, store, base);
}

static const char *in_tmp(const char *name)
{
    return tu_path(tmp, name);
}

/* edbx get QUERY, then the arguments given (NULL-terminated), in the test's clean
 * environment with env entries on top. */
static int get(tu_run *r, const char *const *env, ...)
{
    const char *args[64];
    size_t n = 0;
    args[n++] = "get";
    for (size_t k = 0; QUERY[k]; k++)
        args[n++] = QUERY[k];
    va_list ap;
    va_start(ap, env);
    for (const char *a; (a = va_arg(ap, const char *)) != NULL && n < 63;)
        args[n++] = a;
    va_end(ap);
    args[n] = NULL;
    return tu_edbx_run(r, tmp, base, args, env);
}

/* The CSV of mnemonics ms over all 6 days, built from the store's definition: sample k of
 * mnemonic m at TU_D0_MS + k * TU_STEP_MS, value m * 1000 + k + 0.25. */
static char *expected_csv(const int *ms, size_t nm)
{
    size_t cap = 1 << 20, len = 0;
    char *out = malloc(cap);
    len += (size_t)snprintf(out, cap, "time,mjd,mnemonic,value\n");
    for (size_t j = 0; j < nm; j++)
        for (int k = 0; k < NDAYS * 96; k++) {
            int64_t ms_t = TU_D0_MS + k * TU_STEP_MS;
            time_t sec = (time_t)(ms_t / 1000);
            struct tm tm;
            gmtime_r(&sec, &tm);
            char iso[40], mjd[40], val[40];
            strftime(iso, sizeof iso, "%Y-%m-%dT%H:%M:%S", &tm);
            edb_format_double(edb_time_to_mjd(ms_t * 1000), mjd, sizeof mjd);
            snprintf(val, sizeof val, "%.17g", tu_synthetic_value(ms[j], k));
            if (len + 200 > cap)
                out = realloc(out, cap *= 2);
            len += (size_t)snprintf(out + len, cap - len, "%s.%03d,%s,SA_ZTEST%d,%s\n", iso,
                                    (int)(ms_t % 1000), mjd, ms[j], val);
        }
    return out;
}

static void assert_same_file(const char *a, const char *b)
{
    size_t la, lb;
    char *da = tu_read_file(a, &la), *db = tu_read_file(b, &lb);
    ck_assert_msg(da && db, "%s or %s missing", a, b);
    ck_assert_msg(la == lb && memcmp(da, db, la) == 0, "%s and %s differ", a, b);
    free(da);
    free(db);
}

static void assert_file_is(const char *path, const char *want)
{
    char *d = tu_read_file(path, NULL);
    ck_assert_msg(d != NULL, "%s missing", path);
    ck_assert_msg(strcmp(d, want) == 0, "%s is not as expected", path);
    free(d);
}

/* Entries in the cache folder (files ending in .z). */
static int entries(void)
{
    tu_run r;
    const char *a[] = {"/usr/bin/find", cache, "-type", "f", "-name", "*.z", NULL};
    tu_run_cmd(&r, a, NULL);
    int n = 0;
    for (const char *p = r.out; p && *p; p++)
        n += *p == '\n';
    tu_run_free(&r);
    return n;
}

/* The lines --plan-only prints for shard k of n, without the header. */
static char *plan_lines(size_t k, size_t n)
{
    char sh[32];
    snprintf(sh, sizeof sh, "%zu/%zu", k, n);
    tu_run r;
    ck_assert_int_eq(get(&r, NULL, "--plan-only", "--shard", sh, NULL), 0);
    char *body = strdup(strchr(r.out, '\n') + 1);
    tu_run_free(&r);
    return body;
}

/* ---- shards, then the assembly --------------------------------------------------------- */

/* Four shards through a service that fails one request in five (503, retried), then the
 * assembly from the cache alone: the same bytes as one process asking the service, and
 * as the samples the store holds.  ECSV, which records the run time, too, when
 * SOURCE_DATE_EPOCH fixes it.  A shard run again asks nothing. */
START_TEST(shards_then_assembly_equal_one_process)
{
    edb_server_options so = EDB_SERVER_OPTIONS_INIT;
    so.fail_rate = 0.2;
    so.fail_seed = 16;
    serve(so);
    tu_run r;
    for (int k = 0; k < 4; k++) {
        char sh[8], want[2048];
        snprintf(sh, sizeof sh, "%d/4", k);
        ck_assert_msg(get(&r, NULL, "--cache", cache, "-j", "3", "--shard", sh, NULL) == 0,
                      "%s", r.err);
        /* 30 one-day requests: 7, 8, 7, 8 (the middles of the requests at 0.5 .. 29.5
         * days, cut at 7.5, 15 and 22.5 days). */
        snprintf(want, sizeof want, "edbx: shard %d/4: %d requests in the cache at %s (", k,
                 k % 2 ? 8 : 7, cache);
        ck_assert_msg(strncmp(r.err, want, strlen(want)) == 0, "%s", r.err);
        tu_run_free(&r);
    }
    /* every request's reply, and the inventory (shard 0 asks for it, for the assembly) */
    ck_assert_int_eq(entries(), NREQ + 1);
    unsigned long asked = edb_server_requests(srv);
    ck_assert_uint_ge(asked, NREQ + 1); /* every request, and the failed tries */
    ck_assert_uint_gt(asked, NREQ + 1); /* seed 16 fails some: the retries are exercised */

    ck_assert_msg(get(&r, NULL, "--cache", cache, "--offline", "--shards", "4", "-o",
                      in_tmp("assembled.csv"), NULL) == 0, "%s", r.err);
    ck_assert_str_eq(r.err, "");
    tu_run_free(&r);
    ck_assert_uint_eq(edb_server_requests(srv), asked); /* nothing was asked */
    ck_assert_msg(get(&r, NULL, "--no-cache", "-o", in_tmp("single.csv"), NULL) == 0, "%s",
                  r.err);
    tu_run_free(&r);
    assert_same_file(in_tmp("assembled.csv"), in_tmp("single.csv"));
    const int all[] = {0, 1, 2, 3, 4};
    char *want = expected_csv(all, 5);
    assert_file_is(in_tmp("assembled.csv"), want);
    free(want);

    /* The assembly's bundle replays (from the bundle alone) to the same bytes. */
    asked = edb_server_requests(srv);
    ck_assert_msg(get(&r, NULL, "--cache", cache, "--offline", "--shards", "4", "-o",
                      in_tmp("b.csv"), "--bundle", in_tmp("b.tar.gz"), NULL) == 0, "%s", r.err);
    tu_run_free(&r);
    const char *rp[] = {"replay", in_tmp("b.tar.gz"), "--out", in_tmp("rep"), NULL};
    ck_assert_msg(tu_edbx_run(&r, tmp, "http://127.0.0.1:9/", rp, NULL) == 0, "%s", r.err);
    ck_assert_msg(strstr(r.out, "identical"), "%s%s", r.out, r.err);
    tu_run_free(&r);
    assert_same_file(in_tmp("rep/b.csv"), in_tmp("single.csv"));
    ck_assert_uint_eq(edb_server_requests(srv), asked);

    const char *sde[] = {"SOURCE_DATE_EPOCH=1700000000", NULL};
    ck_assert_int_eq(get(&r, sde, "--cache", cache, "--offline", "-o", in_tmp("a.ecsv"), NULL),
                     0);
    tu_run_free(&r);
    ck_assert_int_eq(get(&r, sde, "--no-cache", "-o", in_tmp("s.ecsv"), NULL), 0);
    tu_run_free(&r);
    assert_same_file(in_tmp("a.ecsv"), in_tmp("s.ecsv"));

    /* A finished shard run again: every reply from the cache, no request (not even the
     * check that the base URL is the service). */
    asked = edb_server_requests(srv);
    unsigned long conns = edb_server_connections(srv);
    ck_assert_int_eq(get(&r, NULL, "--cache", cache, "--shard", "2/4", NULL), 0);
    char line[2048];
    snprintf(line, sizeof line, "edbx: shard 2/4: 7 requests in the cache at %s (0 asked of the "
             "service, 0 retries, 0 bytes; 7 answered by the cache)\n", cache);
    ck_assert_str_eq(r.err, line);
    ck_assert_str_eq(r.out, "");
    tu_run_free(&r);
    ck_assert_uint_eq(edb_server_requests(srv), asked);
    ck_assert_uint_eq(edb_server_connections(srv), conns);
}
END_TEST

/* Shard 2 of 4 never ran: --offline lists its requests, as --plan-only --shard 2/4 prints
 * them, names shard 2, writes nothing and asks nothing; with --keep-going it writes the
 * mnemonics that are whole (shard 2 holds days of SA_ZTEST2 and SA_ZTEST3) and exits 8. */
/* Path B and EDP: every mnemonic's metadata request belongs to a shard too (a shard that
 * begins inside a mnemonic also asks that mnemonic's metadata, which its data needs), and
 * the assembly over either service gives the bytes one process gives over path A. */
START_TEST(shards_over_every_service)
{
    edb_server_options so = EDB_SERVER_OPTIONS_INIT;
    serve(so);
    tu_run r;
    ck_assert_msg(get(&r, NULL, "--no-cache", "-o", in_tmp("a.csv"), NULL) == 0, "%s", r.err);
    tu_run_free(&r);
    int all[] = {0, 1, 2, 3, 4};
    char *want = expected_csv(all, NM);
    assert_file_is(in_tmp("a.csv"), want);
    free(want);
    static const char *const apis[] = {"direct", "edp"};
    for (int a = 0; a < 2; a++) {
        char api[32], dir[1100], ccache[1100], b_base[TU_BASE_LEN + 64], out[64];
        snprintf(api, sizeof api, "ENG_API=%s", apis[a]);
        snprintf(b_base, sizeof b_base, "ENG_BASE_URL=%s%s", base,
                 a == 0 ? EDB_SERVER_DIRECT_PATH : "");
        snprintf(dir, sizeof dir, "%s-%s", cache, apis[a]);
        snprintf(ccache, sizeof ccache, "%s", dir);
        const char *env[] = {api, b_base, NULL};
        for (int k = 0; k < 3; k++) {
            char sh[8];
            snprintf(sh, sizeof sh, "%d/3", k);
            ck_assert_msg(get(&r, env, "--cache", ccache, "-j", "2", "--shard", sh, "-q", NULL) ==
                              0, "%s shard %s: %s", apis[a], sh, r.err);
            tu_run_free(&r);
        }
        unsigned long asked = edb_server_requests(srv);
        snprintf(out, sizeof out, "%s.csv", apis[a]);
        ck_assert_msg(get(&r, env, "--cache", ccache, "--offline", "-o", in_tmp(out), NULL) == 0,
                      "%s assembly: %s", apis[a], r.err);
        tu_run_free(&r);
        ck_assert_uint_eq(edb_server_requests(srv), asked); /* nothing asked */
        assert_same_file(in_tmp("a.csv"), in_tmp(out));
    }
}
END_TEST

START_TEST(offline_lists_missing_and_their_shard)
{
    serve((edb_server_options)EDB_SERVER_OPTIONS_INIT);
    tu_run r;
    const char *done[] = {"0/4", "1/4", "3/4"};
    for (size_t k = 0; k < 3; k++) {
        ck_assert_msg(get(&r, NULL, "--cache", cache, "-q", "--shard", done[k], NULL) == 0, "%s",
                      r.err);
        ck_assert_str_eq(r.err, ""); /* -q: not even the summary */
        tu_run_free(&r);
    }
    unsigned long asked = edb_server_requests(srv);
    ck_assert_uint_eq(asked, 23 + 1); /* and the inventory, which shard 0 asks for */
    char *lines = plan_lines(2, 4);
    /* The shard column of --plan-only --shard is what --offline prints too. */
    char want[16384];
    size_t o = 0;
    for (char *l = strtok(lines, "\n"); l; l = strtok(NULL, "\n"))
        o += (size_t)snprintf(want + o, sizeof want - o, "edbx: not in the cache: %s\n", l);
    free(lines);
    snprintf(want + o, sizeof want - o, "edbx: --offline: 7 of 30 requests are not in the cache at "
             "%s (listed above; shard 2 of 4 owns them: run it (again)); nothing was written\n",
             cache);
    ck_assert_int_eq(get(&r, NULL, "--cache", cache, "--offline", "--shards", "4", "-o",
                         in_tmp("out.csv"), NULL), 12);
    ck_assert_str_eq(r.err, want);
    tu_run_free(&r);
    tu_run ls;
    const char *lsargs[] = {"/bin/ls", "-A", tmp, NULL};
    tu_run_cmd(&ls, lsargs, NULL);
    ck_assert_str_eq(ls.out, "cache\n"); /* no output, no temporary file */
    tu_run_free(&ls);
    /* Without --shards the lines have no shard column, and no shard is named. */
    ck_assert_int_eq(get(&r, NULL, "--cache", cache, "--offline", NULL), 12);
    ck_assert_msg(strstr(r.err, "\tmast\tdata\tSA_ZTEST2\t2022-03-04T00:00:00.000000\t"), "%s",
                  r.err);
    ck_assert_ptr_null(strstr(r.err, "shard"));
    tu_run_free(&r);

    ck_assert_int_eq(get(&r, NULL, "--cache", cache, "--offline", "--keep-going", "-o",
                         in_tmp("part.csv"), NULL), 8);
    ck_assert_msg(strstr(r.err, "edbx: missing SA_ZTEST2: not in the local source (no network "
                                "is used)\n"), "%s", r.err);
    ck_assert_msg(strstr(r.err, "edbx: missing SA_ZTEST3: "), "%s", r.err);
    ck_assert_msg(strstr(r.err, "edbx: wrote 3 of 5 mnemonics; 2 failed (listed above)\n"), "%s",
                  r.err);
    tu_run_free(&r);
    const int whole[] = {0, 1, 4};
    char *csv = expected_csv(whole, 3);
    assert_file_is(in_tmp("part.csv"), csv);
    free(csv);
    ck_assert_uint_eq(edb_server_requests(srv), asked);

    /* Shard 2 run now: the assembly is whole. */
    ck_assert_int_eq(get(&r, NULL, "--cache", cache, "--shard", "2/4", NULL), 0);
    tu_run_free(&r);
    ck_assert_uint_eq(edb_server_requests(srv), 30 + 1); /* and shard 0's inventory */
    ck_assert_int_eq(get(&r, NULL, "--cache", cache, "--offline", "-o", in_tmp("out.csv"), NULL),
                     0);
    tu_run_free(&r);
    const int all[] = {0, 1, 2, 3, 4};
    csv = expected_csv(all, 5);
    assert_file_is(in_tmp("out.csv"), csv);
    free(csv);
}
END_TEST

/* An entry damaged after the check (its header whole, its reply cut short): the check
 * finds it, reading it finds the damage, and --offline, which cannot ask again, fails with
 * exit 12 and writes nothing. */
START_TEST(offline_damaged_entry)
{
    serve((edb_server_options)EDB_SERVER_OPTIONS_INIT);
    tu_run r;
    ck_assert_int_eq(get(&r, NULL, "--cache", cache, "-q", "--shard", "0/1", NULL), 0);
    tu_run_free(&r);
    /* Every entry cut right after its header line. */
    const char *cut[] = {"/bin/sh", "-c", "for f in $(find \"$0\" -name '*.z'); do "
                         "/usr/bin/python3 -c \"import sys; p = sys.argv[1]; d = open(p, 'rb')"
                         ".read(); open(p, 'wb').write(d[:d.index(b'\\n', 11) + 1])\" \"$f\"; "
                         "done", cache, NULL};
    ck_assert_int_eq(tu_run_cmd(&r, cut, NULL), 0);
    tu_run_free(&r);
    ck_assert_int_eq(get(&r, NULL, "--cache", cache, "--offline", "-o", in_tmp("o.csv"), NULL),
                     12);
    ck_assert_msg(strstr(r.err, "edbx: cache: dropped a damaged entry for SA_ZTEST0-20220301T00"
                                "0000-20220302T000000.csv ("), "%s", r.err);
    ck_assert_msg(strstr(r.err, "edbx: SA_ZTEST0: not in the local source (no network is "
                                "used)\n"), "%s", r.err);
    tu_run_free(&r);
    ck_assert(!tu_exists(in_tmp("o.csv")));
    ck_assert_uint_eq(edb_server_requests(srv), NREQ + 1); /* and shard 0's inventory */
}
END_TEST

/* A shard killed (SIGKILL, as a node lost) after some replies are stored: run again, it
 * asks only for what the cache does not hold; run once more, for nothing. */
START_TEST(killed_shard_resumes)
{
    edb_server_options so = EDB_SERVER_OPTIONS_INIT;
    so.delay_us = 250000;
    so.fault_count = -1;
    serve(so);
    pid_t pid = fork();
    ck_assert(pid >= 0);
    if (pid == 0) {
        setenv("ENG_BASE_URL", base, 1);
        unsetenv("MAST_API_TOKEN");
        unsetenv("XDG_CACHE_HOME");
        setenv("HOME", tmp, 1);
        int nul = open("/dev/null", O_WRONLY);
        dup2(nul, 2);
        execl(tu_edbx(), "edbx", "get", "SA_ZTEST0", "SA_ZTEST1", "SA_ZTEST2", "SA_ZTEST3",
              "SA_ZTEST4", "--start", "2022-03-01", "--end", "2022-03-06T23:59:59", "--cache",
              cache, "-j", "1", "--shard", "1/2", (char *)NULL);
        _exit(127);
    }
    /* Killed once 4 of its 15 replies are stored (about a second in). */
    int stored = 0;
    for (int waited = 0; waited < 20000 && (stored = entries()) < 4; waited += 20) {
        struct timespec ts = {0, 20000000};
        nanosleep(&ts, NULL);
    }
    kill(pid, SIGKILL);
    int st;
    waitpid(pid, &st, 0);
    ck_assert(WIFSIGNALED(st));
    stored = entries();
    ck_assert_int_ge(stored, 4);
    ck_assert_int_lt(stored, 15);
    unsigned long before = edb_server_requests(srv);
    tu_run r;
    ck_assert_msg(get(&r, NULL, "--cache", cache, "-j", "4", "--shard", "1/2", NULL) == 0, "%s",
                  r.err);
    char want[2048];
    snprintf(want, sizeof want, "edbx: shard 1/2: 15 requests in the cache at %s (%d asked of the "
             "service, 0 retries, ", cache, 15 - stored);
    ck_assert_msg(strncmp(r.err, want, strlen(want)) == 0, "%s", r.err);
    tu_run_free(&r);
    ck_assert_uint_eq(edb_server_requests(srv) - before, (unsigned long)(15 - stored));
    before = edb_server_requests(srv);
    ck_assert_int_eq(get(&r, NULL, "--cache", cache, "--shard", "1/2", NULL), 0);
    tu_run_free(&r);
    ck_assert_uint_eq(edb_server_requests(srv), before);
    ck_assert_int_eq(get(&r, NULL, "--cache", cache, "-j", "8", "--shard", "0/2", NULL), 0);
    tu_run_free(&r);
    ck_assert_int_eq(get(&r, NULL, "--cache", cache, "--offline", "-o", in_tmp("out.csv"), NULL),
                     0);
    tu_run_free(&r);
    const int all[] = {0, 1, 2, 3, 4};
    char *csv = expected_csv(all, 5);
    assert_file_is(in_tmp("out.csv"), csv);
    free(csv);
}
END_TEST

/* A shard whose replies cannot be stored (every entry folder is a link, which the cache
 * never writes through) fetches them all and then fails with exit 12, listing them. */
START_TEST(shard_that_cannot_store_fails)
{
    serve((edb_server_options)EDB_SERVER_OPTIONS_INIT);
    tu_run r;
    const char *sh[] = {"/bin/sh", "-c", "mkdir -p \"$0/v1\" \"$0/../elsewhere\" && for a in "
                        "0 1 2 3 4 5 6 7 8 9 a b c d e f; do for b in 0 1 2 3 4 5 6 7 8 9 a b c "
                        "d e f; do ln -s ../../elsewhere \"$0/v1/$a$b\"; done; done", cache,
                        NULL};
    ck_assert_int_eq(tu_run_cmd(&r, sh, NULL), 0);
    tu_run_free(&r);
    ck_assert_int_eq(get(&r, NULL, "--cache", cache, "--shard", "3/4", NULL), 12);
    char *lines = plan_lines(3, 4);
    ck_assert_msg(strstr(r.err, "edbx: cache: cannot prepare an entry for SA_ZTEST"), "%s",
                  r.err);
    for (char *l = strtok(lines, "\n"); l; l = strtok(NULL, "\n")) {
        char w[1024];
        snprintf(w, sizeof w, "edbx: not in the cache: %s\n", l);
        ck_assert_msg(strstr(r.err, w), "%s not in %s", w, r.err);
    }
    free(lines);
    char want[2048];
    snprintf(want, sizeof want, "edbx: shard 3/4: 8 of 8 requests are not in the cache at %s after "
             "the run (listed above): they could not be stored; run the shard again\n", cache);
    ck_assert_msg(strstr(r.err, want), "%s", r.err);
    tu_run_free(&r);
    ck_assert_uint_eq(edb_server_requests(srv), 8);
}
END_TEST

/* ---- --slurm: the job script, run without Slurm ----------------------------------------- */

START_TEST(slurm_script_runs_as_a_shell_loop)
{
    edb_server_options so = EDB_SERVER_OPTIONS_INIT;
    so.fail_rate = 0.2;
    so.fail_seed = 3;
    serve(so);
    tu_run r;
    ck_assert_int_eq(tu_run_cmd(&r, (const char *const[]){"/bin/mkdir", in_tmp("out"), NULL},
                                NULL), 0);
    tu_run_free(&r);
    const char *tok[] = {"MAST_API_TOKEN=tok-never-in-a-script-1234", NULL};
    ck_assert_msg(get(&r, tok, "--cache", cache, "-j", "2", "--slurm", "4", "-o",
                      in_tmp("out/all.csv"), NULL) == 0, "%s", r.err);
    char script[1100], want[16384];
    snprintf(script, sizeof script, "%s/out/all.csv.sbatch", tmp);
    ck_assert_uint_lt(strlen(tmp), 1000);
    snprintf(want, sizeof want,
             "wrote %s: 4 shards of -j 2, then the assembly of %s/out/all.csv\n"
             "at most 8 transfers at once against the service: 4 tasks x -j 2 (the cap is 32, "
             "--max-transfers)\n"
             "submit with Slurm (add your site's options, e.g. -p PARTITION -t 2:00:00):\n"
             "  jid=$(sbatch --parsable --array=0-3 %s shard)\n"
             "  sbatch --dependency=afterany:${jid%%%%;*} %s assemble\n"
             "or: sh %s submit [SBATCH OPTIONS]\n"
             "without Slurm: sh %s local  (or: sh %s shard K, for K from 0 to 3, then sh %s "
             "assemble)\n", script, tmp, script, script, script, script, script, script);
    ck_assert_str_eq(r.out, want);
    ck_assert_str_eq(r.err, "");
    tu_run_free(&r);
    ck_assert_uint_eq(edb_server_requests(srv), 0); /* nothing is fetched */
    struct stat sb;
    ck_assert_int_eq(stat(script, &sb), 0);
    ck_assert_int_eq(sb.st_mode & 0777, 0755);
    char *text = tu_read_file(script, NULL);
    ck_assert_ptr_null(strstr(text, "tok-never"));
    /* The range is pinned (absolute, with the run's now), and so are the service and URL. */
    ck_assert_msg(strstr(text, "--start 2022-03-01T00:00:00.000000 --end "
                               "2022-03-06T23:59:59.000000 --run-time-us "), "%s", text);
    char pin[256];
    snprintf(pin, sizeof pin, "--api mast --base-url %s \\\n", base);
    ck_assert_msg(strstr(text, pin), "%s", text);
    ck_assert_msg(strstr(text, "#SBATCH --requeue\n"), "%s", text);
    free(text);

    /* The shell loop: every shard (a third through the faults), then the assembly. */
    const char *loop[] = {"/bin/sh", script, "local", NULL};
    char home[4300];
    snprintf(home, sizeof home, "HOME=%s", tmp);
    const char *env[] = {"MAST_API_TOKEN=tok-never-in-a-script-1234", "XDG_CACHE_HOME=",
                         "ENG_BASE_URL=", home, NULL};
    ck_assert_msg(tu_run_cmd(&r, loop, env) == 0, "%s", r.err);
    ck_assert_ptr_null(strstr(r.err, "tok-never"));
    for (int k = 0; k < 4; k++) {
        char s[2048];
        snprintf(s, sizeof s, "edbx: shard %d/4: %d requests in the cache at %s (", k,
                 k % 2 ? 8 : 7, cache);
        ck_assert_msg(strstr(r.err, s), "%s", r.err);
    }
    tu_run_free(&r);
    ck_assert_int_eq(get(&r, NULL, "--no-cache", "-o", in_tmp("single.csv"), NULL), 0);
    tu_run_free(&r);
    assert_same_file(in_tmp("out/all.csv"), in_tmp("single.csv"));

    /* A shard by hand, and the script's own refusals. */
    const char *one[] = {"/bin/sh", script, "shard", "1", NULL};
    unsigned long asked = edb_server_requests(srv);
    ck_assert_int_eq(tu_run_cmd(&r, one, env), 0);
    tu_run_free(&r);
    ck_assert_uint_eq(edb_server_requests(srv), asked);
    const char *none[] = {"/bin/sh", script, "shard", NULL};
    const char *noenv[] = {"SLURM_ARRAY_TASK_ID=", NULL};
    ck_assert_int_eq(tu_run_cmd(&r, none, noenv), 2);
    ck_assert_msg(strstr(r.err, ": shard: give its number (0 to 3) or run it as a Slurm array "
                                "task\n"), "%s", r.err);
    tu_run_free(&r);
    const char *task[] = {"SLURM_ARRAY_TASK_ID=3", NULL};
    ck_assert_int_eq(tu_run_cmd(&r, none, task), 0);
    ck_assert_msg(strstr(r.err, "edbx: shard 3/4: 8 requests"), "%s", r.err);
    tu_run_free(&r);
    const char *bad[] = {"/bin/sh", script, "frobnicate", NULL};
    ck_assert_int_eq(tu_run_cmd(&r, bad, NULL), 2);
    tu_run_free(&r);
}
END_TEST

/* More tasks than the cap allows at once: Slurm's array throttle keeps it. */
START_TEST(slurm_concurrency_cap)
{
    tu_run r;
    ck_assert_int_eq(get(&r, NULL, "--cache", cache, "-j", "4", "--slurm", "16", "-o",
                         in_tmp("x.csv"), NULL), 0);
    ck_assert_msg(strstr(r.out, "at most 32 transfers at once against the service: 16 tasks x "
                                "-j 4 would be 64, over the cap of 32 (--max-transfers), so 8 "
                                "tasks run at once (--array=0-15%8)\n"), "%s", r.out);
    tu_run_free(&r);
    char *text = tu_read_file(in_tmp("x.csv.sbatch"), NULL);
    ck_assert_msg(strstr(text, "jid=$(sbatch --parsable --array=0-15%8 \"$@\" \"$self\" shard)"),
                  "%s", text);
    ck_assert_msg(strstr(text, "while [ \"$j\" -lt 8 ] && [ \"$k\" -lt 16 ]; do"), "%s", text);
    free(text);
    ck_assert_int_eq(get(&r, NULL, "--cache", cache, "-j", "4", "--slurm", "16",
                         "--max-transfers", "64", "-o", in_tmp("x.csv"), NULL), 0);
    ck_assert_msg(strstr(r.out, "at most 64 transfers at once against the service: 16 tasks x "
                                "-j 4 (the cap is 64, --max-transfers)\n"), "%s", r.out);
    tu_run_free(&r);
    ck_assert_int_eq(get(&r, NULL, "-j", "8", "--slurm", "2", "--max-transfers", "4", "-o",
                         in_tmp("x.csv"), NULL), 2);
    ck_assert_str_eq(r.err, "edbx: -j 8 alone is over the cap of 4 transfers at once "
                            "(--max-transfers): lower -j\n");
    tu_run_free(&r);
}
END_TEST

/* ---- --plan-only with shards ------------------------------------------------------------- */

/* The query of plan_mast.tsv in 3 shards.  By hand: each mnemonic's requests are 2 h - 0.5 s,
 * 1 day and 1 day + 1 us long (179999.500001 s together), so the line of both is
 * 359999.000002 s, cut every 119999.666667 s; the middles of the requests are at 3599.75,
 * 50399.5, 136799.5, 183599.25, 230399.0 and 316799.0 s: shards 0 0 1 1 1 2. */
START_TEST(plan_only_shards_exact)
{
    const char *args[] = {"get", "SA_ZATTEST1", "sa_zfgdetid", "SA_ZATTEST1", "--start",
                          "2021-01-26T22:00:00.5", "--end", "2021-01-29", "--plan-only",
                          "--shards", "3", NULL};
    tu_run r;
    ck_assert_msg(tu_edbx_run(&r, tmp, "https://mast.stsci.edu/", args, NULL) == 0, "%s", r.err);
    char p[4096];
    snprintf(p, sizeof p, "%s/e2e/expected/plan_mast_shards3.tsv", getenv("EDBX_TESTS_DIR"));
    char *want = tu_read_file(p, NULL);
    ck_assert_ptr_nonnull(want);
    ck_assert_str_eq(r.out, want);
    tu_run_free(&r);
    /* Shard by shard: the same lines, in order, each once. */
    char joined[8192] = "#request\tshard\tservice\tkind\tmnemonic\tstart\tend\turl\n";
    for (int k = 0; k < 3; k++) {
        char sh[8];
        snprintf(sh, sizeof sh, "%d/3", k);
        args[9] = "--shard";
        args[10] = sh;
        ck_assert_int_eq(tu_edbx_run(&r, tmp, "https://mast.stsci.edu/", args, NULL), 0);
        ck_assert(strncmp(r.out, joined, strlen("#request\tshard")) == 0);
        strcat(joined, strchr(r.out, '\n') + 1);
        tu_run_free(&r);
    }
    ck_assert_str_eq(joined, want);
    free(want);
    ck_assert(!tu_exists(in_tmp(".cache"))); /* nothing was made */
}
END_TEST

/* ---- what does not go together ---------------------------------------------------------- */

typedef struct refusal {
    const char *a[8];
    const char *msg;
} refusal;

static const refusal REFUSALS[] = {
    {{"--shard", "4/4"}, "invalid --shard '4/4': give K/N, shard K of N counted from 0 (0/4, "
                         "1/4, 2/4, 3/4), N from 1 to 100000"},
    {{"--shard", "1"}, "invalid --shard '1': give K/N, shard K of N counted from 0 (0/4, 1/4, "
                       "2/4, 3/4), N from 1 to 100000"},
    {{"--shard", "-1/4"}, "invalid --shard '-1/4': give K/N, shard K of N counted from 0 (0/4, "
                          "1/4, 2/4, 3/4), N from 1 to 100000"},
    {{"--shard", "0/0"}, "invalid --shard '0/0': give K/N, shard K of N counted from 0 (0/4, "
                         "1/4, 2/4, 3/4), N from 1 to 100000"},
    {{"--shard", "1/4", "-o", "x.csv"}, "--shard fetches into the cache and writes nothing: "
                                        "drop -o, and once every shard is done write the output "
                                        "with --offline -o FILE (see --slurm N)"},
    {{"--shard", "1/4", "--no-cache"}, "--shard works through the reply cache: drop --no-cache"},
    {{"--shard", "1/4", "--source", "x"}, "--shard works through the reply cache; --source "
                                          "answers from local data and never uses the network "
                                          "already"},
    {{"--shard", "1/4", "--shards", "4"}, "--shard K/N already says N: drop --shards"},
    {{"--offline", "--refresh"}, "--offline answers from the cache and --refresh asks the "
                                 "service again: use one of them"},
    {{"--shards", "4"}, "--shards N names the shards of the requests --offline or --plan-only "
                        "lists: add one of them (or --shard K/N to fetch one)"},
    {{"--slurm", "4"}, "--slurm N needs the output of the assembly job: add -o FILE (the job "
                       "script is written to FILE.sbatch)"},
    {{"--slurm", "0", "-o", "x.csv"}, "invalid --slurm '0': the number of array tasks, from 1 "
                                      "to 100000"},
    {{"--slurm", "4", "--offline", "-o", "x.csv"}, "--slurm writes a job script and fetches "
                                                   "nothing: it takes no --offline (the "
                                                   "assembly job has it)"},
    {{"--slurm", "4", "--refresh", "-o", "x.csv"}, "--refresh in a job array would make every "
                                                   "rerun of a shard ask again: remove the "
                                                   "entries instead (edbx cache clear) and drop "
                                                   "--refresh"},
    {{"--slurm", "4", "-f", "-", "-o", "x.csv"}, "--slurm: the jobs cannot read the mnemonics "
                                                 "from standard input (-f -): put them in a "
                                                 "file"},
    {{"--max-transfers", "8"}, "--max-transfers caps a --slurm array: add --slurm N"},
    {{"--slurm", "2", "-o", "x.csv", "--bundle", "x.tar.bz2"}, "--bundle x.tar.bz2: the name "
                                                               "must end in .tar.gz, .tgz, "
                                                               ".tar.xz, .tar or .zip"},
};

START_TEST(refusals)
{
    const refusal *f = &REFUSALS[_i];
    const char *args[32];
    size_t n = 0;
    args[n++] = "get";
    for (size_t k = 0; QUERY[k]; k++)
        args[n++] = QUERY[k];
    for (size_t k = 0; f->a[k]; k++)
        args[n++] = f->a[k];
    args[n] = NULL;
    tu_run r;
    ck_assert_int_eq(tu_edbx_run(&r, tmp, "http://127.0.0.1:9/", args, NULL), 2);
    char want[1024];
    snprintf(want, sizeof want, "edbx: %s\n", f->msg);
    ck_assert_str_eq(r.err, want);
    tu_run_free(&r);
    tu_run ls;
    const char *lsargs[] = {"/bin/ls", "-A", tmp, NULL};
    tu_run_cmd(&ls, lsargs, NULL);
    ck_assert_str_eq(ls.out, ""); /* nothing made: no cache, no output, no script */
    tu_run_free(&ls);
}
END_TEST

/* A range that ends within the hour before now is never cached: a shard or an array of
 * it is refused up front, and --offline says why its requests are missing. */
START_TEST(recent_ranges)
{
    const char *shard[] = {"get", "SA_ZTEST0", "--start", "now-3h", "--end", "now-30min",
                           "--shard", "0/2", NULL};
    tu_run r;
    ck_assert_int_eq(tu_edbx_run(&r, tmp, "http://127.0.0.1:9/", shard, NULL), 2);
    ck_assert_msg(strstr(r.err, "edbx: --shard: the range ends at "), "%s", r.err);
    ck_assert_msg(strstr(r.err, ", within the last hour (after "), "%s", r.err);
    ck_assert_msg(strstr(r.err, "): the EDB may still be filling that time, so its replies are "
                                "never cached and the assembly (--offline) could not find them; "
                                "end the range an hour ago or earlier (--end)\n"), "%s", r.err);
    tu_run_free(&r);
    const char *slurm[] = {"get", "SA_ZTEST0", "--start", "now-3h", "--slurm", "2", "-o",
                           in_tmp("x.csv"), NULL};
    ck_assert_int_eq(tu_edbx_run(&r, tmp, "http://127.0.0.1:9/", slurm, NULL), 2);
    ck_assert_msg(strstr(r.err, "edbx: --slurm: the range ends at "), "%s", r.err);
    tu_run_free(&r);
    const char *offline[] = {"get", "SA_ZTEST0", "--start", "now-3h", "--end", "now-30min",
                             "--chunk", "100000d", "--cache", cache, "--offline", NULL};
    ck_assert_int_eq(tu_edbx_run(&r, tmp, "http://127.0.0.1:9/", offline, NULL), 12);
    ck_assert_msg(strstr(r.err, "; 1 ends within an hour of the run and is never cached: end the "
                                "range earlier); nothing was written\n"), "%s", r.err);
    tu_run_free(&r);
}
END_TEST

/* Shards meet in the cache: one that cannot be had fails the run (exit 7) rather than
 * fetching replies that would go nowhere, and so does the assembly. */
START_TEST(no_cache_no_shards)
{
    serve((edb_server_options)EDB_SERVER_OPTIONS_INIT);
    tu_run r;
    ck_assert_int_eq(tu_write_file(cache, "a file, not a folder", 20), 0);
    ck_assert_int_eq(get(&r, NULL, "--cache", cache, "--shard", "0/4", NULL), 7);
    char want[2048];
    snprintf(want, sizeof want, "edbx: cache folder %s: not a folder: the cache is where shards "
             "meet (--shard, --offline), so the run cannot go on without it (--cache DIR names "
             "another)\n", cache);
    ck_assert_str_eq(r.err, want);
    tu_run_free(&r);
    ck_assert_int_eq(get(&r, NULL, "--cache", cache, "--offline", "-o", in_tmp("o.csv"), NULL),
                     7);
    ck_assert_str_eq(r.err, want);
    tu_run_free(&r);
    ck_assert(!tu_exists(in_tmp("o.csv")));
    ck_assert_uint_eq(edb_server_requests(srv), 0);
}
END_TEST

static Suite *scale_suite(void)
{
    Suite *s = suite_create("scale");
    TCase *t = tcase_create("shards");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_set_timeout(t, 120);
    tcase_add_test(t, shards_then_assembly_equal_one_process);
    tcase_add_test(t, shards_over_every_service);
    tcase_add_test(t, offline_lists_missing_and_their_shard);
    tcase_add_test(t, offline_damaged_entry);
    tcase_add_test(t, killed_shard_resumes);
    tcase_add_test(t, shard_that_cannot_store_fails);
    tcase_add_test(t, slurm_script_runs_as_a_shell_loop);
    tcase_add_test(t, slurm_concurrency_cap);
    tcase_add_test(t, plan_only_shards_exact);
    tcase_add_loop_test(t, refusals, 0, sizeof REFUSALS / sizeof REFUSALS[0]);
    tcase_add_test(t, recent_ranges);
    tcase_add_test(t, no_cache_no_shards);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *r = srunner_create(scale_suite());
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
