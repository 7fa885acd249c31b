/* test_e2e_monitor.c: `edbx monitor` end to end, against edb_server on 127.0.0.1 serving a
 * synthetic month of every mnemonic the jwql MIRI configuration reads, written at the start
 * by tests/make_miri_month.py (planted dropouts, out-of-band days, heater and loop
 * stretches, filter moves).
 *
 * The values are checked by tests/monitor_check.py, which works out every table of the real
 * MIRI configuration and of tests/monitor_cases_mnemonics_to_monitor.json (every other kind
 * and field) from the store's JSON files on its own, and compares them with monitor.h5 and
 * report.json exactly.  Here: that each table is the `edbx get` command report.json names
 * (run, and compared byte for byte), the exit statuses and their order, --state (nights
 * that add up to one run, a rerun that asks nothing and changes nothing, an interrupted
 * run that leaves the state), outputs that do not depend on the clock, the five real
 * configurations, malformed ones, and the options. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <edb/edb.h>

#include "testutil.h"

/* The month, written once for the whole suite (the unchecked fixture runs in the parent). */
static char *month_dir;
static char store[4300], inventory[4300], store_meta[4300];
/* Each test: a folder and a server of its own (the server's request count is its own). */
static char *tmp;
static edb_server *srv;
static char base[TU_BASE_LEN];

static const char *tests_dir(void)
{
    const char *d = getenv("EDBX_TESTS_DIR");
    ck_assert_ptr_nonnull(d);
    return d;
}

static const char *miri_config(void)
{
    static char p[4400];
    snprintf(p, sizeof p, "%s", tu_fixture("jwql-monitor-configs/miri_mnemonics_to_monitor.json"));
    return p;
}

static const char *cases_config(void)
{
    static char p[4400];
    snprintf(p, sizeof p, "%s/monitor_cases_mnemonics_to_monitor.json", tests_dir());
    return p;
}

static void write_month(void)
{
    month_dir = tu_mkdtemp();
    snprintf(store, sizeof store, "%s/month", month_dir);
    snprintf(inventory, sizeof inventory, "%s/month-inventory.csv", month_dir);
    snprintf(store_meta, sizeof store_meta, "%s/month/meta.json", month_dir);
    char script[4400];
    snprintf(script, sizeof script, "%s/make_miri_month.py", tests_dir());
    const char *argv[] = {"/usr/bin/python3", script, store, NULL};
    tu_run r;
    ck_assert_msg(tu_run_cmd(&r, argv, NULL) == 0, "make_miri_month.py: %s", r.err);
    tu_run_free(&r);
}

static void remove_month(void)
{
    tu_rmtree(month_dir);
    free(month_dir);
}

static void setup(void)
{
    tmp = tu_mkdtemp();
    edb_server_options so = EDB_SERVER_OPTIONS_INIT;
    srv = tu_serve(so, store, base);
}

static void teardown(void)
{
    edb_server_stop(srv);
    srv = NULL;
    tu_rmtree(tmp);
    free(tmp);
}

/* edbx monitor ARGS... against our server, the month's units and change-only flags as
 * --meta, no cache; env entries added. */
static int monitor_env(tu_run *r, const char *const *args, const char *const *env)
{
    const char *argv[64];
    size_t n = 0;
    argv[n++] = "monitor";
    for (; *args; args++)
        argv[n++] = *args;
    argv[n++] = "--meta";
    argv[n++] = inventory;
    argv[n++] = "--meta";
    argv[n++] = store_meta;
    argv[n++] = "--no-cache";
    argv[n] = NULL;
    return tu_edbx_run(r, tmp, base, argv, env);
}

static int monitor(tu_run *r, const char *const *args)
{
    return monitor_env(r, args, NULL);
}

static const char *P(const char *name)
{
    return tu_path(tmp, name);
}

/* tests/monitor_check.py on an output folder: 0 when every table is as worked out there. */
static void check_values(const char *dir, const char *window, const char *c1, const char *c2)
{
    char script[4400];
    snprintf(script, sizeof script, "%s/monitor_check.py", tests_dir());
    const char *argv[12];
    size_t n = 0;
    argv[n++] = "/usr/bin/python3";
    argv[n++] = script;
    argv[n++] = store;
    argv[n++] = "2024-03-01";
    argv[n++] = "30";
    argv[n++] = dir;
    argv[n++] = c1;
    if (c2)
        argv[n++] = c2;
    if (window)
        argv[n++] = window;
    argv[n] = NULL;
    tu_run r;
    int st = tu_run_cmd(&r, argv, NULL);
    ck_assert_msg(st == 0, "monitor_check.py: %s%s", r.out, r.err);
    tu_run_free(&r);
}

static int same_file(const char *a, const char *b)
{
    size_t na, nb;
    char *x = tu_read_file(a, &na), *y = tu_read_file(b, &nb);
    int same = x && y && na == nb && memcmp(x, y, na) == 0;
    free(x);
    free(y);
    return same;
}

/* Every file of folder a is in b with the same bytes, and b has no other. */
static void same_folders(const char *a, const char *b)
{
    char cmd[9000];
    snprintf(cmd, sizeof cmd, "diff -r '%s' '%s' >/dev/null", a, b);
    ck_assert_msg(system(cmd) == 0, "%s and %s differ", a, b);
}

#define RANGE "--start", "2024-03-01", "--for", "30d"
/* Shorter, where the whole month adds nothing: the first ten days (the planted yellow
 * filter position of day 2, the red minima of the bus voltage) */
#define RANGE10 "--start", "2024-03-01", "--for", "10d"

/* ---- the values ----------------------------------------------------------------------- */

/* The real MIRI configuration and every other kind and field, over HTTP, each value as
 * monitor_check.py works it out. */
START_TEST(test_values)
{
    tu_run r;
    const char *a[] = {miri_config(), cases_config(), RANGE, "-o", P("out"), "--plots", "none",
                       NULL};
    int st = monitor(&r, a);
    /* the cases' red limits: 11 */
    ck_assert_msg(st == 11, "exit %d: %s", st, r.err);
    /* the alert lines: the red ones of the cases, the yellow ones planted in the month */
    ck_assert_msg(strstr(r.err, "edbx: red: monitor_cases/all/IMIR_HK_ICE_CMD_CNT: "
                                "IMIR_HK_ICE_CMD_CNT: 4 values beyond the red limits, from "
                                "2024-03-30T22:00:00.000 to 2024-03-30T23:30:00.000, the worst 7\n"),
                  "%s", r.err);
    ck_assert_msg(strstr(r.err, "edbx: yellow: miri/daily_means/IGDP_MIR_ICE_T1P_CRYO: "
                                "IGDP_MIR_ICE_T1P_CRYO_mean: 1 value beyond the yellow limits, "
                                "from 2024-03-20T00:00:00.000 to 2024-03-20T00:00:00.000"),
                  "%s", r.err);
    /* the hole of a day in the bus voltage is told once, for the run */
    const char *gap = strstr(r.err, "edbx: warning: SE_ZBUSVLT: ");
    ck_assert_msg(gap && !strstr(gap + 1, "edbx: warning: SE_ZBUSVLT: "), "%s", r.err);
    tu_run_free(&r);
    check_values(P("out"), NULL, miri_config(), cases_config());
    /* jwql's 15 minutes at noon */
    const char *w[] = {miri_config(), RANGE, "-o", P("noon"), "--plots", "none",
                       "--daily-window", "12:00/15min", "-q", NULL};
    ck_assert_int_eq(monitor(&r, w), 10);
    ck_assert_str_eq(r.err, "edbx: yellow: miri/daily_means/IMIR_HK_ICE_SEC_VOLT4_NO_OPS: "
                            "IMIR_HK_ICE_SEC_VOLT4_mean: 1 value beyond the yellow limits, from "
                            "2024-03-12T00:00:00.000 to 2024-03-12T00:00:00.000, the worst "
                            "4.5482499999999995\n"
                            "edbx: yellow: miri/daily_means/IGDP_MIR_ICE_T1P_CRYO: "
                            "IGDP_MIR_ICE_T1P_CRYO_mean: 1 value beyond the yellow limits, from "
                            "2024-03-20T00:00:00.000 to 2024-03-20T00:00:00.000, the worst "
                            "7.91195\n"
                            "edbx: yellow: miri/daily_means/IMIR_PDU_V_DIG_5V: "
                            "IMIR_PDU_V_DIG_5V_mean: 1 value beyond the yellow limits, from "
                            "2024-03-26T00:00:00.000 to 2024-03-26T00:00:00.000, the worst 5.0398\n"
                            "edbx: yellow: miri/block_means/SE_ZIMIRICEA_OPS: "
                            "SE_ZIMIRICEA_X_SE_ZBUSVLT_mean: 1 value beyond the yellow limits, "
                            "from 2024-03-21T08:00:00.000 to 2024-03-21T08:00:00.000, the worst "
                            "12.439319277777786\n"
                            "edbx: yellow: miri/block_means/SE_ZIMIRICEA_OPS: "
                            "SE_ZIMIRICEA_X_SE_ZBUSVLT_max: 1 value beyond the yellow limits, "
                            "from 2024-03-21T08:00:00.000 to 2024-03-21T08:00:00.000, the worst "
                            "12.489336000000002\n"
                            "edbx: yellow: miri/block_means/IMIR_HK_CCC_POS_VOLT: "
                            "IMIR_HK_CCC_POS_VOLT_mean: 1 value beyond the yellow limits, from "
                            "2024-03-17T08:00:00.000 to 2024-03-17T08:00:00.000, the worst "
                            "292.984\n"
                            "edbx: yellow: miri/every_change/IMIR_HK_FW_POS_RATIO: "
                            "IMIR_HK_FW_POS_RATIO_mean: 10 values beyond the yellow limits, from "
                            "2024-03-02T20:00:00.000 to 2024-03-29T20:00:00.000, the worst "
                            "1.7200019444444448\n");
    tu_run_free(&r);
    check_values(P("noon"), "--daily-window=12:00/15min", miri_config(), NULL);
    /* the table's metadata, read back with h5py */
    char code[9000];
    snprintf(code, sizeof code,
             "import h5py\n"
             "d = h5py.File('%s/out/monitor.h5')['miri/daily_means/SE_ZIMIRICEA_NO_OPS']\n"
             "a = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in d.attrs.items()}\n"
             "assert a['entry'] == 'SE_ZIMIRICEA_NO_OPS', a\n"
             "assert a['kind'] == 'daily_means' and a['section'] == 'daily_means', a\n"
             "assert a['product'] == 'SE_ZBUSVLT' and a['yellow_limits'] == '6.54,7.68', a\n"
             "assert a['nominal_value'] == '7.11' and a['plot_category'] == 'Power', a\n"
             "assert a['where'] == 'SE_ZIMIRICEA > 0.2 and IMIR_HK_ICE_SEC_VOLT1 < 1 and "
             "IMIR_HK_IMG_CAL_LOOP == \"OFF\" and IMIR_HK_IFU_CAL_LOOP == \"OFF\" and "
             "IMIR_HK_POM_LOOP == \"OFF\"', a\n"
             "assert a['command'].startswith('edbx get SE_ZIMIRICEA SE_ZBUSVLT --start "
             "2024-03-01 --for 30d --daily --expr '), a\n"
             "assert a['description'] == 'ICE drive current (no ops)', a\n"
             "from astropy.table import Table\n"
             "t = Table.read('%s/out/monitor.h5', path='miri/daily_means/SE_ZIMIRICEA_NO_OPS')\n"
             "assert str(t['SE_ZIMIRICEA_X_SE_ZBUSVLT_mean'].unit) == 'A V' or "
             "t['SE_ZIMIRICEA_X_SE_ZBUSVLT_mean'].meta.get('edb_unit') == 'A V', t.info\n"
             "assert t.meta['where'].startswith('SE_ZIMIRICEA > 0.2'), t.meta\n"
             "assert len(t) == 30\n",
             tmp, tmp);
    const char *py[] = {"/usr/bin/python3", "-c", code, NULL};
    ck_assert_msg(tu_run_cmd(&r, py, NULL) == 0, "%s", r.err);
    tu_run_free(&r);
}
END_TEST

/* Each table is exactly the get command report.json gives for it: run it (tables as CSV,
 * one file each) and compare the bytes. */
START_TEST(test_tables_are_get_commands)
{
    tu_run r;
    const char *a[] = {cases_config(), miri_config(), RANGE10, "-o", P("out"), "--plots", "none",
                       "--format", "csv", "-q", NULL};
    int st = monitor(&r, a);
    ck_assert_msg(st == 11, "exit %d: %s", st, r.err);
    tu_run_free(&r);
    /* every table of the cases, and one of each kind of the MIRI configuration */
    char code[4000];
    snprintf(code, sizeof code,
             "import json\n"
             "r = json.load(open('%s/out/report.json'))\n"
             "seen = set()\n"
             "for t in r['tables']:\n"
             "    k = (t['config'], t['kind'])\n"
             "    if 'monitor_cases' in t['table'] or k not in seen or t['product']:\n"
             "        seen.add(k)\n"
             "        print(t['table'].replace('/', '.') + '.csv\\t' + t['command'][5:])\n",
             tmp);
    const char *py[] = {"/usr/bin/python3", "-c", code, NULL};
    ck_assert_msg(tu_run_cmd(&r, py, NULL) == 0, "%s", r.err);
    int ran = 0;
    for (char *line = strtok(r.out, "\n"); line; line = strtok(NULL, "\n")) {
        char *tab = strchr(line, '\t');
        ck_assert_ptr_nonnull(tab);
        *tab = '\0';
        char cmd[16384], h[4400], b[200];
        /* the command as printed, run where the monitor ran (its --meta paths) */
        snprintf(cmd, sizeof cmd, "cd '%s' && '%s' %s -o got.csv --no-cache --meta '%s' --meta "
                 "'%s' -q", tmp, tu_edbx(), tab + 1, inventory, store_meta);
        snprintf(h, sizeof h, "HOME=%s", tmp);
        snprintf(b, sizeof b, "ENG_BASE_URL=%s", base);
        const char *argv[] = {"/bin/sh", "-c", cmd, NULL};
        const char *env[] = {h, b, "MAST_API_TOKEN=", NULL};
        tu_run g;
        ck_assert_msg(tu_run_cmd(&g, argv, env) == 0, "%s: %s", cmd, g.err);
        tu_run_free(&g);
        char want[4400];
        snprintf(want, sizeof want, "out/%s", line);
        ck_assert_msg(same_file(P("got.csv"), P(want)), "%s is not what `edbx %s` writes", line,
                      tab + 1);
        ran++;
    }
    tu_run_free(&r);
    /* 15 of the cases, and MIRI's daily, block and state tables and products */
    ck_assert_int_ge(ran, 19);
}
END_TEST

/* ---- exit statuses ------------------------------------------------------------------------ */

static void write_config(const char *name, const char *text)
{
    ck_assert_int_eq(tu_write_file(P(name), text, strlen(text)), 0);
}

START_TEST(test_exit_statuses)
{
    tu_run r;
    /* within limits: 0, and only the gap warning on stderr */
    write_config("calm_mnemonics_to_monitor.json",
                 "{\"daily_means\": [{\"name\": \"IMIR_HK_ICE_SEC_VOLT1\", \"dependency\": [], "
                 "\"plot_data\": \"nominal,max\", \"yellow_limits\": [0, 40], \"red_limits\": "
                 "[-1, 41], \"plot_category\": \"ICE\"}]}");
    const char *a0[] = {P("calm_mnemonics_to_monitor.json"), RANGE10, "-o", P("o0"), "--plots",
                        "none", NULL};
    ck_assert_msg(monitor(&r, a0) == 0, "%s", r.err);
    ck_assert_str_eq(r.err, "");
    tu_run_free(&r);
    /* yellow: 10 (the MIRI configuration) */
    const char *a1[] = {miri_config(), RANGE10, "-o", P("o1"), "--plots", "none", "-q", NULL};
    ck_assert_int_eq(monitor(&r, a1), 10);
    tu_run_free(&r);
    /* red over yellow: 11 */
    const char *a2[] = {miri_config(), cases_config(), RANGE10, "-o", P("o2"), "--plots", "none",
                        "-q", NULL};
    ck_assert_int_eq(monitor(&r, a2), 11);
    tu_run_free(&r);
    /* a mnemonic the EDB does not have: 3, nothing written */
    write_config("bad_mnemonics_to_monitor.json",
                 "{\"all\": [{\"name\": \"IMIR_HK_NOT_THERE\", \"dependency\": [], \"plot_data\": "
                 "\"nominal\", \"plot_category\": \"x\"}]}");
    const char *a3[] = {cases_config(), P("bad_mnemonics_to_monitor.json"), RANGE10, "-o", P("o3"),
                        "--plots", "none", "-q", NULL};
    ck_assert_int_eq(monitor(&r, a3), 3);
    ck_assert_msg(strstr(r.err, "IMIR_HK_NOT_THERE"), "%s", r.err);
    ck_assert(!tu_exists(P("o3/report.json")));
    tu_run_free(&r);
    /* --keep-going: the others are written and the red limits reported, but the failure
     * comes first: 8 */
    const char *a4[] = {cases_config(), P("bad_mnemonics_to_monitor.json"), RANGE10, "-o", P("o4"),
                        "--plots", "none", "-q", "--keep-going", NULL};
    ck_assert_int_eq(monitor(&r, a4), 8);
    ck_assert_msg(strstr(r.err, "edbx: red: monitor_cases/time_interval/SE_ZBUSVLT: "
                                "SE_ZBUSVLT_min: 40 values beyond the red limits") &&
                      strstr(r.err, "1 of 16 tables could not be computed"),
                  "%s", r.err);
    tu_run_free(&r);
    char *rep = tu_read_file(P("o4/report.json"), NULL);
    ck_assert_ptr_nonnull(rep);
    ck_assert_msg(strstr(rep, "\"table\": \"bad/all/IMIR_HK_NOT_THERE\"") &&
                      strstr(rep, "\"status\": \"failed\", \"failed\": \"IMIR_HK_NOT_THERE"),
                  "%.3000s", rep);
    /* the statuses of the others are checked by monitor_check.py (test_values) */
    ck_assert_msg(strstr(rep, "\"status\": \"red\",\n  \"counts\": {\"tables\": 16, \"ok\": 10, "
                              "\"unchecked\": 4, \"no_data\": 0, \"yellow\": 0, \"red\": 1, "
                              "\"failed\": 1}"),
                  "%.3000s", rep);
    free(rep);
    char *md = tu_read_file(P("o4/report.md"), NULL);
    ck_assert_msg(strstr(md, "- bad/all/IMIR\\_HK\\_NOT\\_THERE: could not be computed: "
                             "IMIR\\_HK\\_NOT\\_THERE"), "%.3000s", md);
    free(md);
}
END_TEST

/* ---- --state ---------------------------------------------------------------------------- */

/* A run with EDBX_TEST_PAUSE=state, interrupted by SIGINT where it pauses; its status. */
static int interrupted_run(const char *const *args)
{
    int pfd[2];
    ck_assert_int_eq(pipe(pfd), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        setenv("HOME", tmp, 1);
        setenv("ENG_BASE_URL", base, 1);
        setenv("EDBX_TEST_PAUSE", "state", 1);
        unsetenv("MAST_API_TOKEN");
        unsetenv("XDG_CACHE_HOME");
        int nul = open("/dev/null", O_RDWR);
        dup2(nul, 0);
        dup2(nul, 1);
        dup2(pfd[1], 2);
        close(pfd[0]);
        const char *argv[64];
        size_t n = 0;
        argv[n++] = tu_edbx();
        argv[n++] = "monitor";
        for (; *args; args++)
            argv[n++] = *args;
        argv[n++] = "--meta";
        argv[n++] = inventory;
        argv[n++] = "--meta";
        argv[n++] = store_meta;
        argv[n++] = "--no-cache";
        argv[n] = NULL;
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(pfd[1]);
    char err[16384];
    size_t n = 0;
    int sent = 0;
    for (;;) {
        struct pollfd p = {pfd[0], POLLIN, 0};
        if (poll(&p, 1, 60000) <= 0)
            break;
        ssize_t got = read(pfd[0], err + n, sizeof err - 1 - n);
        if (got <= 0)
            break;
        n += (size_t)got;
        err[n] = '\0';
        if (!sent && strstr(err, "test hook: paused at state")) {
            kill(pid, SIGINT);
            sent = 1;
        }
    }
    close(pfd[0]);
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    err[n] = '\0';
    ck_assert_msg(sent, "never paused: %s", err);
    ck_assert_msg(strstr(err, "interrupted: the state is as it was"), "%s", err);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

START_TEST(test_state_nights)
{
    tu_run r;
    /* one run over ten days */
    const char *one[] = {miri_config(), cases_config(), "--start", "2024-03-01", "--for", "10d",
                         "-o", P("one"), "--plots", "none", "-q", NULL};
    ck_assert_int_eq(monitor(&r, one), 11);
    tu_run_free(&r);
    /* the same ten days as three nights cut mid-day, mid-block and mid-run of a state: the
     * outputs are byte for byte the one run's */
    const char *ends[] = {"2024-03-04T07:33", "2024-03-09T14:00", NULL};
    for (int k = 0; ends[k]; k++) {
        const char *n[] = {miri_config(), cases_config(), "--start", "2024-03-01", "--end",
                           ends[k], "-o", P("nights"), "--state", P("st"), "--plots", "none",
                           "-q", NULL};
        int st = monitor(&r, n);
        ck_assert_msg(st == 10 || st == 11 || st == 0, "night %d: exit %d %s", k, st, r.err);
        tu_run_free(&r);
    }
    unsigned long before = edb_server_requests(srv);
    const char *last[] = {miri_config(), cases_config(), "--start", "2024-03-01", "--for", "10d",
                          "-o", P("nights"), "--state", P("st"), "--plots", "none", "-q", NULL};
    int st = monitor(&r, last);
    ck_assert_msg(st == 0 || st == 10 || st == 11, "%d: %s", st, r.err);
    tu_run_free(&r);
    unsigned long after_last = edb_server_requests(srv);
    ck_assert_uint_gt(after_last, before);
    same_folders(P("one"), P("nights"));
    /* the same night again: no request, the same bytes, the state untouched, nothing new
     * to report (exit 0: what was yellow or red was reported the first time) */
    struct stat s1, s2;
    ck_assert_int_eq(stat(P("st/state.json"), &s1), 0);
    char *state = tu_read_file(P("st/state.json"), NULL);
    ck_assert_int_eq(monitor(&r, last), 0);
    ck_assert_str_eq(r.err, "");
    tu_run_free(&r);
    ck_assert_uint_eq(edb_server_requests(srv), after_last);
    same_folders(P("one"), P("nights"));
    ck_assert_int_eq(stat(P("st/state.json"), &s2), 0);
    ck_assert(s1.st_ino == s2.st_ino && s1.st_mtime == s2.st_mtime);
    /* --explain with the state: everything up to date */
    const char *ex[] = {miri_config(), "--start", "2024-03-01", "--for", "10d", "--state",
                        P("st"), "--explain", NULL};
    ck_assert_int_eq(monitor(&r, ex), 0);
    ck_assert_msg(strstr(r.out, "# up to date: --state holds it to 2024-03-11\n") &&
                      !strstr(r.out, "\nedbx get"), "%s", r.out);
    tu_run_free(&r);
    /* an interrupted night leaves the state as it was */
    const char *more[] = {miri_config(), cases_config(), "--start", "2024-03-01", "--for", "12d",
                          "-o", P("nights"), "--state", P("st"), "--plots", "none", NULL};
    ck_assert_int_eq(interrupted_run(more), 130);
    char *state2 = tu_read_file(P("st/state.json"), NULL);
    ck_assert_str_eq(state2, state);
    free(state2);
    /* and the next night goes on from it: twelve days, as one run makes them */
    ck_assert_int_ge(monitor(&r, more), 0);
    tu_run_free(&r);
    const char *one12[] = {miri_config(), cases_config(), "--start", "2024-03-01", "--for", "12d",
                           "-o", P("one12"), "--plots", "none", "-q", NULL};
    ck_assert_int_eq(monitor(&r, one12), 11);
    tu_run_free(&r);
    same_folders(P("one12"), P("nights"));
    /* a damaged state is refused (7), named, and nothing is written */
    ck_assert_int_eq(tu_write_file(P("st/state.json"), "{\"format\": 1}", 13), 0);
    ck_assert_int_eq(monitor(&r, more), 7);
    ck_assert_msg(strstr(r.err, "state.json is damaged (not a state of edbx monitor") &&
                      strstr(r.err, "remove it, and the next run computes everything again"),
                  "%s", r.err);
    tu_run_free(&r);
    free(state);
}
END_TEST

/* ---- the same inputs, the same bytes ------------------------------------------------------------ */

START_TEST(test_deterministic)
{
    tu_run r;
    const char *a[] = {miri_config(), "--start", "2024-03-01", "--for", "3d", "-o", P("a"), "-q",
                       NULL};
    const char *e1[] = {"SOURCE_DATE_EPOCH=1800000000", NULL};
    ck_assert_int_eq(monitor_env(&r, a, e1), 10);
    tu_run_free(&r);
    sleep(1);
    const char *b[] = {miri_config(), "--start", "2024-03-01", "--for", "3d", "-o", P("b"), "-q",
                       NULL};
    const char *e2[] = {"SOURCE_DATE_EPOCH=", NULL};
    ck_assert_int_eq(monitor_env(&r, b, e2), 10);
    tu_run_free(&r);
    same_folders(P("a"), P("b"));
    /* the plots are there, one per category */
    ck_assert(tu_exists(P("a/miri-Power.png")) && tu_exists(P("a/miri-Position_sensors.png")));
    char *rep = tu_read_file(P("a/report.json"), NULL);
    ck_assert_msg(strstr(rep, "\"files\": [\"monitor.h5\", \"miri-Power.png\", "
                              "\"miri-ICE_voltage.png\", \"miri-ICE_temperature.png\", "
                              "\"miri-Deck_temperature.png\", \"miri-FPM_temperature.png\", "
                              "\"miri-Mech_temp.png\", \"miri-POM_temperature.png\", "
                              "\"miri-Cal_src_temperature.png\", \"miri-FPE_voltage.png\", "
                              "\"miri-FPE_current.png\", \"miri-Detector_bias.png\", "
                              "\"miri-FPE_temperature.png\", \"miri-Detector_temperature.png\", "
                              "\"miri-Pos_Sen_Volts.png\", \"miri-Position_sensors.png\"]"),
                  "%.3000s", rep);
    free(rep);
}
END_TEST

/* With --format fits each table is a file whose table extension carries the entry as the
 * HDF5 tables do, in keywords astropy (Debian's 5.2) reads back: the short keys as they
 * are, a longer one as HIERARCH when its value fits on the card, else under its first 8
 * characters with CONTINUE cards; fitsverify finds nothing wrong. */
START_TEST(test_fits_tables_carry_the_entry)
{
    write_config("fitsy_mnemonics_to_monitor.json",
                 "{\"daily_means\": [{\"name\": \"IMIR_HK_ICE_SEC_VOLT4\", \"description\": "
                 "\"ICE Secondary Voltage 4, while the ICE is powered, with a description long "
                 "enough to need a continuation card\", \"dependency\": [{\"name\": "
                 "\"IMIR_HK_ICE_SEC_VOLT1\", \"relation\": \">\", \"threshold\": 25}], "
                 "\"plot_data\": \"nominal\", \"nominal_value\": 4.533, \"yellow_limits\": "
                 "[4.523, 4.543], \"red_limits\": [4.5, 4.6], \"plot_category\": "
                 "\"ICE_voltage\"}]}");
    tu_run r;
    const char *a[] = {P("fitsy_mnemonics_to_monitor.json"), "--start", "2024-03-01", "--for",
                       "3d", "-o", P("f"), "--format", "fits", "--plots", "none", "-q", NULL};
    int st = monitor(&r, a);
    ck_assert_msg(st == 0 || st == 10 || st == 11, "exit %d: %s", st, r.err);
    tu_run_free(&r);
    char file[4400];
    snprintf(file, sizeof file, "%s", P("f/fitsy.daily_means.IMIR_HK_ICE_SEC_VOLT4.fits"));
    ck_assert_msg(tu_exists(file), "no %s", file);
    const char *fv[] = {"/usr/bin/fitsverify", "-q", file, NULL};
    ck_assert_msg(tu_run_cmd(&r, fv, NULL) == 0, "%s%s", r.out, r.err);
    tu_run_free(&r);
    /* astropy reads every key; a value holding a doubled quote followed by a space (the
     * command's quoted --where) is read by the FITS standard's rule, card by card, since
     * Debian's astropy 5.2 cuts such a string short (astropy#14581, fixed in 5.3) */
    char py[6000];
    snprintf(py, sizeof py,
             "import json, sys\n"
             "from astropy.table import Table\n"
             "m = Table.read(sys.argv[1]).meta\n"
             "cmd = json.load(open(sys.argv[2]))['tables'][0]['command']\n"
             "want = {'ENTRY': 'IMIR_HK_ICE_SEC_VOLT4', 'CONFIG': sys.argv[3],\n"
             "        'SECTION': 'daily_means', 'KIND': 'daily_means',\n"
             "        'MNEMONIC': 'IMIR_HK_ICE_SEC_VOLT4',\n"
             "        'DESCRIPT': 'ICE Secondary Voltage 4, while the ICE is powered, with a '\n"
             "                    'description long enough to need a continuation card',\n"
             "        'WHERE': 'IMIR_HK_ICE_SEC_VOLT1 > 25', 'YELLOW_LIMITS': '4.523,4.543',\n"
             "        'RED_LIMITS': '4.5,4.6', 'NOMINAL_VALUE': '4.533',\n"
             "        'PLOT_CATEGORY': 'ICE_voltage', 'COMMAND': cmd}\n"
             "got = {k: m.get(k) for k in want if k != 'COMMAND'}\n"
             "assert got == {k: v for k, v in want.items() if k != 'COMMAND'}, (got, want)\n"
             "assert 'DESCRIPTION' not in m\n"
             "raw = open(sys.argv[1], 'rb').read()\n"
             "h = raw[2880:]\n"
             "cards = [h[i:i + 80].decode('ascii') for i in range(0, h.index(b'END ' + b' ' * 76), 80)]\n"
             "vals, key = {}, None\n"
             "def sval(t):\n"
             "    t = t.strip()\n"
             "    assert t[0] == \"'\", t\n"
             "    i, out = 1, ''\n"
             "    while True:\n"
             "        if t[i] == \"'\":\n"
             "            if t[i + 1:i + 2] == \"'\":\n"
             "                out += \"'\"; i += 2; continue\n"
             "            return out.rstrip(' ')\n"
             "        out += t[i]; i += 1\n"
             "for c in cards:\n"
             "    if c.startswith('CONTINUE'):\n"
             "        vals[key] = vals[key][:-1] + sval(c[10:])\n"
             "    elif c.startswith('HIERARCH '):\n"
             "        key, v = c[9:].split('=', 1); key = key.strip(); vals[key] = sval(v)\n"
             "    elif c[8:10] == '= ' and c[10:].strip().startswith(\"'\"):\n"
             "        key = c[:8].strip(); vals[key] = sval(c[10:])\n"
             "for k, v in want.items():\n"
             "    assert vals[k] == v, (k, vals[k], v)\n");
    char report[4400];
    snprintf(report, sizeof report, "%s", P("f/report.json"));
    char config[4400];
    snprintf(config, sizeof config, "%s", P("fitsy_mnemonics_to_monitor.json"));
    const char *pa[] = {"/usr/bin/python3", "-c", py, file, report, config, NULL};
    ck_assert_msg(tu_run_cmd(&r, pa, NULL) == 0, "%s%s", r.out, r.err);
    tu_run_free(&r);
}
END_TEST

/* ---- configurations ----------------------------------------------------------------------- */

START_TEST(test_real_configs_load)
{
    tu_run r;
    const char *names[] = {"fgs", "miri", "nircam", "niriss", "nirspec"};
    char paths[5][4400];
    const char *a[16];
    size_t n = 0;
    for (int k = 0; k < 5; k++) {
        char rel[200];
        snprintf(rel, sizeof rel, "jwql-monitor-configs/%s_mnemonics_to_monitor.json", names[k]);
        snprintf(paths[k], sizeof paths[k], "%s", tu_fixture(rel));
        a[n++] = paths[k];
    }
    a[n++] = "--start";
    a[n++] = "2024-03-01";
    a[n++] = "--for";
    a[n++] = "1d";
    a[n++] = "--explain";
    a[n] = NULL;
    ck_assert_int_eq(monitor(&r, a), 0);
    /* two warnings, both about nircam's file */
    size_t nw = 0;
    for (const char *p = r.err; (p = strstr(p, "edbx: warning: ")); p++)
        nw++;
    ck_assert_msg(nw == 2 && strstr(r.err, "(INRC_FA_PSC_IMNACE3_N): INRC_FA_PSC_IMNACE3_N is "
                                          "monitored the same way by an earlier entry") &&
                      strstr(r.err, "all[3] (INRC_B_M_PIL_BS_POS): yellow_limits [-24132, "
                                    "20274] reach beyond red_limits"),
                  "%s", r.err);
    /* 315 entries, one kind each, one command each */
    size_t heads = 0, cmds = 0;
    for (const char *p = r.out; *p; p = strchr(p, '\n') + 1) {
        heads += strncmp(p, "# ", 2) == 0;
        cmds += strncmp(p, "edbx get ", 9) == 0;
    }
    ck_assert_uint_eq(heads, 315);
    ck_assert_uint_eq(cmds, 315);
    ck_assert_msg(strstr(r.out, "\n# "), "%s", r.out);
    ck_assert_msg(strstr(r.out, "edbx get INRC_SW_TMR_PIL --start 2024-03-01 --for 1d --every 1d "
                                "--stats mean,count --clip 3 --where "
                                "'IGDP_NRC_B_PIL_STATE == \"DEPLOYED\"'"),
                  "%s", r.out);
    ck_assert_msg(strstr(r.out, "edbx get SA_ZATTEST1 --start 2024-03-01 --for 1d --every 30min "
                                "--stats mean,count --clip 3"), "%s", r.out);
    ck_assert_msg(strstr(r.out, "edbx get IMIR_HK_FW_POS_RATIO --start 2024-03-01 --for 1d "
                                "--group-by IMIR_HK_FW_CUR_POS --stats mean,count --clip 5"),
                  "%s", r.out);
    tu_run_free(&r);
    /* --explain contacts nothing */
    ck_assert_uint_eq(edb_server_requests(srv), 0);
}
END_TEST

START_TEST(test_malformed_configs)
{
    tu_run r;
    static const char *const cases[][2] = {
        {"{\"all\": [{\"name\": \"SA_ZA\", \"dependency\": [], \"plot_data\": \"nominal\", "
         "\"plot_category\": \"c\", \"yellow_limits\": [3, 1]}]}",
         "broken_mnemonics_to_monitor.json: all[0] (SA_ZA): yellow_limits: LOW must be below "
         "HIGH (got [3,1])"},
        {"{\"daily_means\": [{\"name\": \"SA_ZA\", \"dependency\": [{\"name\": \"SA_ZB\", "
         "\"relation\": \"~\", \"threshold\": 1}], \"plot_data\": \"nominal\", "
         "\"plot_category\": \"c\"}]}",
         "broken_mnemonics_to_monitor.json: daily_means[0] (SA_ZA): dependency[0].relation: "
         "give one of"},
        {"{\"time_interval\": [{\"name\": \"SA_ZA\", \"dependency\": [], \"plot_data\": "
         "\"nominal\", \"plot_category\": \"c\"}]}",
         "time_interval[0] (SA_ZA): a time_interval entry needs \"mean_time_block\""},
        {"{\"all\": [{\"name\": \"SA_ZA\", \"dependency\": [], \"plot_category\": \"c\"}]}",
         "all[0] (SA_ZA): no \"plot_data\""},
        {"{\"all\": [", "broken_mnemonics_to_monitor.json: not JSON"},
        /* a string mnemonic compared with a number: known from the metadata, refused before
         * any request */
        {"{\"all\": [{\"name\": \"IMIR_HK_ICE_SEC_VOLT1\", \"dependency\": [{\"name\": "
         "\"IMIR_HK_POM_LOOP\", \"relation\": \">\", \"threshold\": 3}], \"plot_data\": "
         "\"nominal\", \"plot_category\": \"c\"}]}",
         "broken_mnemonics_to_monitor.json: all[0] (IMIR_HK_ICE_SEC_VOLT1): --where "
         "'IMIR_HK_POM_LOOP > 3': IMIR_HK_POM_LOOP is a string mnemonic"},
        /* limits on strings */
        {"{\"all\": [{\"name\": \"IMIR_HK_POM_LOOP\", \"dependency\": [], \"plot_data\": "
         "\"nominal\", \"plot_category\": \"c\", \"red_limits\": [0, 1]}]}",
         "all[0] (IMIR_HK_POM_LOOP): red_limits: IMIR_HK_POM_LOOP is a string mnemonic: its "
         "limits cannot be checked"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        /* all but the last are refused before any request (the types come from --meta) */
        if (k + 1 == sizeof cases / sizeof cases[0])
            ck_assert_uint_eq(edb_server_requests(srv), 0);
        write_config("broken_mnemonics_to_monitor.json", cases[k][0]);
        const char *a[] = {P("broken_mnemonics_to_monitor.json"), RANGE, "-o", P("o"), "--plots",
                           "none", NULL};
        ck_assert_int_eq(monitor(&r, a), 2);
        ck_assert_msg(strstr(r.err, cases[k][1]), "case %zu: %s", k, r.err);
        ck_assert(!tu_exists(P("o/report.json")));
        tu_run_free(&r);
    }
    /* an unknown key: a warning naming it; the run goes on */
    write_config("odd_mnemonics_to_monitor.json",
                 "{\"all\": [{\"name\": \"IMIR_HK_ICE_SEC_VOLT1\", \"dependency\": [], "
                 "\"plot_data\": \"nominal\", \"plot_category\": \"c\", \"colour\": \"red\"}], "
                 "\"weekly_means\": []}");
    const char *a[] = {P("odd_mnemonics_to_monitor.json"), "--start", "2024-03-01", "--for",
                       "1d", "-o", P("o"), "--plots", "none", NULL};
    ck_assert_int_eq(monitor(&r, a), 0);
    ck_assert_msg(strstr(r.err, "edbx: warning: ") &&
                      strstr(r.err, "odd_mnemonics_to_monitor.json: all[0] "
                                    "(IMIR_HK_ICE_SEC_VOLT1): unknown key 'colour' ignored\n") &&
                      strstr(r.err, "odd_mnemonics_to_monitor.json: unknown kind 'weekly_means' "
                                    "ignored"),
                  "%s", r.err);
    tu_run_free(&r);
    /* two files of one name */
    const char *b[] = {miri_config(), miri_config(), RANGE, "-o", P("o"), NULL};
    ck_assert_int_eq(monitor(&r, b), 2);
    ck_assert_msg(strstr(r.err, "both make tables named miri/...: give one of them another "
                                "name"), "%s", r.err);
    tu_run_free(&r);
}
END_TEST

START_TEST(test_options)
{
    tu_run r;
    static const struct {
        const char *args[14];
        const char *want;
    } cases[] = {
        {{RANGE, "-o", "o", NULL}, "name at least one configuration"},
        {{"MIRI", RANGE, NULL}, "-o DIR is required"},
        {{"MIRI", RANGE, "-o", "o", "--format", "png", NULL}, "--format png: the tables are"},
        {{"MIRI", RANGE, "-o", "o", "--plots", "csv", NULL}, "--plots csv: give png, svg"},
        {{"MIRI", RANGE, "-o", "o", "--daily-window", "25:00/1h", NULL},
         "--daily-window '25:00/1h': give the time of day"},
        {{"MIRI", RANGE, "-o", "o", "-O", "width=100", NULL}, "-O width: hdf5 takes no such"},
        {{"MIRI", RANGE, "-o", "o", "--state", "st", "--bundle", "b.tar.gz", NULL},
         "--bundle records a run from what it reads, and --state"},
        {{"MIRI", RANGE, "--explain", "--bundle", "b.tar.gz", "-o", "o", NULL},
         "--explain writes nothing"},
        {{"MIRI", "--start", "2024-03-01", "--end", "2024-03-02", "--for", "1d", "-o", "o", NULL},
         "--for and --end both give the end"},
        {{"MIRI", "--start", "tomorrow", "-o", "o", NULL}, "--start: "},
        {{"MIRI", RANGE, "-o", "o", "--every", "1h", NULL}, "unknown option --every"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        const char *a[16];
        size_t n = 0;
        for (const char *const *p = cases[k].args; *p; p++)
            a[n++] = strcmp(*p, "MIRI") == 0 ? miri_config() : *p;
        a[n] = NULL;
        ck_assert_int_eq(monitor(&r, a), 2);
        ck_assert_msg(strstr(r.err, cases[k].want), "case %zu: %s", k, r.err);
        tu_run_free(&r);
    }
    ck_assert_uint_eq(edb_server_requests(srv), 0);
    /* the help names every option, and the exit codes */
    const char *h[] = {"monitor", "--help", NULL};
    ck_assert_int_eq(tu_edbx_run(&r, tmp, NULL, h, NULL), 0);
    ck_assert_msg(strstr(r.out, "--daily-window HH:MM/DUR") && strstr(r.out, "--state DIR") &&
                      strstr(r.out, "--explain") && strstr(r.out, "10 a yellow limit crossed, 11 "
                                                           "a red limit") &&
                      strstr(r.out, "-j, --jobs N"),
                  "%s", r.out);
    tu_run_free(&r);
}
END_TEST

/* ---- the documents --------------------------------------------------------------------- */

/* Sorted lines of text, split in place. */
static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static size_t sorted_lines(char *text, char **v, size_t max)
{
    size_t n = 0;
    for (char *p = strtok(text, "\n"); p && n < max; p = strtok(NULL, "\n"))
        v[n++] = p;
    qsort(v, n, sizeof *v, cmp_str);
    return n;
}

/* Replace every occurrence of from in s by to (into out). */
static void replace_all(const char *s, const char *from, const char *to, char *out, size_t n)
{
    size_t o = 0, fl = strlen(from), tl = strlen(to);
    while (*s && o + 1 < n) {
        if (strncmp(s, from, fl) == 0 && o + tl + 1 < n) {
            memcpy(out + o, to, tl);
            o += tl;
            s += fl;
        } else {
            out[o++] = *s++;
        }
    }
    out[o] = '\0';
}

/* Run the ```console blocks of doc that hold an `edbx monitor` command, in a folder with
 * fixtures/ and tests/, the month where the document says /tmp/miri-month, and compare
 * what each command prints (standard error and output, lines in any order) with the
 * document. */
static int check_doc(const char *doc)
{
    char path[4400];
    snprintf(path, sizeof path, "%s/../%s", tests_dir(), doc);
    char *text = tu_read_file(path, NULL);
    ck_assert_msg(text, "cannot read %s", path);
    char month[4400];
    snprintf(month, sizeof month, "%s/month", month_dir);
    static char *lv[20000];
    size_t nl = 0;
    for (char *p = text; *p && nl < 20000;) {
        char *e = strchr(p, '\n');
        if (e)
            *e = '\0';
        lv[nl++] = p;
        p = e ? e + 1 : p + strlen(p);
    }
    int ran = 0, last = 0;
    for (size_t k = 0; k < nl; k++) {
        if (strcmp(lv[k], "```console") != 0)
            continue;
        size_t end = k + 1;
        int monitor_block = 0;
        while (end < nl && strcmp(lv[end], "```") != 0)
            monitor_block |= strstr(lv[end++], "edbx monitor") != NULL;
        if (!monitor_block) {
            k = end;
            continue;
        }
        for (size_t q = k + 1; q < end;) {
            if (strncmp(lv[q], "$ ", 2) != 0) {
                q++;
                continue;
            }
            static char cmd[32768], want[262144], got[262144];
            size_t clen = 0;
            for (;;) {
                const char *c = lv[q];
                while (*c == ' ')
                    c++;
                size_t len = strlen(c);
                int cont = len && c[len - 1] == '\\';
                size_t take = cont ? len - 1 : len;
                ck_assert_uint_lt(clen + take, sizeof cmd);
                memcpy(cmd + clen, c, take);
                clen += take;
                cmd[clen] = '\0';
                q++;
                if (!cont || q >= end)
                    break;
            }
            want[0] = '\0';
            while (q < end && strncmp(lv[q], "$ ", 2) != 0) {
                strncat(want, lv[q], sizeof want - strlen(want) - 2);
                strcat(want, "\n");
                q++;
            }
            const char *body = cmd + 2;
            if (strstr(body, "make_miri_month.py"))
                continue; /* the month is written already, the same bytes */
            if (strcmp(body, "echo $?") == 0) {
                snprintf(got, sizeof got, "%d\n", last);
                ck_assert_msg(strcmp(got, want) == 0, "%s: exit %d, the document says %s", doc,
                              last, want);
                ran++;
                continue;
            }
            char bin[4400], a[40000], b[40000], full[80000];
            snprintf(bin, sizeof bin, "'%s' monitor", tu_edbx());
            replace_all(body, "edbx monitor", bin, a, sizeof a);
            replace_all(a, "/tmp/miri-month", month, b, sizeof b);
            snprintf(full, sizeof full, "cd '%s' && { %s ; } 2>&1", tmp, b);
            const char *argv[] = {"/bin/sh", "-c", full, NULL};
            char h[4400];
            snprintf(h, sizeof h, "HOME=%s", tmp);
            const char *env[] = {h, "MAST_API_TOKEN=", "ENG_BASE_URL=", NULL};
            tu_run r;
            last = tu_run_cmd(&r, argv, env);
            /* what names the month names it as the document does */
            replace_all(r.out, month, "/tmp/miri-month", got, sizeof got);
            tu_run_free(&r);
            static char *wv[4000], *gv[4000];
            char *wc = strdup(want), *gc = strdup(got);
            size_t nw = sorted_lines(wc, wv, 4000), ng = sorted_lines(gc, gv, 4000);
            int same = nw == ng;
            for (size_t x = 0; same && x < nw; x++)
                same = strcmp(wv[x], gv[x]) == 0;
            ck_assert_msg(same, "%s: %.200s\n--- the document says:\n%.1500s--- it printed:\n"
                          "%.1500s", doc, body, want, got);
            free(wc);
            free(gc);
            ran++;
        }
        k = end;
    }
    free(text);
    return ran;
}

START_TEST(test_docs)
{
    ck_assert_int_eq(symlink(getenv("EDBX_FIXTURES"), P("fixtures")), 0);
    ck_assert_int_eq(symlink(tests_dir(), P("tests")), 0);
    ck_assert_int_ge(check_doc("docs/monitor.md"), 8);
    ck_assert_int_ge(check_doc("README.md"), 4);
}
END_TEST

static Suite *monitor_suite(void)
{
    Suite *s = suite_create("e2e_monitor");
    TCase *tc = tcase_create("monitor");
    tcase_add_unchecked_fixture(tc, write_month, remove_month);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_values);
    tcase_add_test(tc, test_tables_are_get_commands);
    tcase_add_test(tc, test_exit_statuses);
    tcase_add_test(tc, test_state_nights);
    tcase_add_test(tc, test_deterministic);
    tcase_add_test(tc, test_fits_tables_carry_the_entry);
    tcase_add_test(tc, test_real_configs_load);
    tcase_add_test(tc, test_malformed_configs);
    tcase_add_test(tc, test_options);
    tcase_add_test(tc, test_docs);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(monitor_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
