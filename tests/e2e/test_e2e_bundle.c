/* test_e2e_bundle.c: reproducibility bundles end to end, as docs/bundles.md promises them.
 *
 * `edbx get --bundle` against edb_server on 127.0.0.1 (the real 2021 recording), then
 * `edbx replay` and `edbx bundle verify`.  This suite is linked with get's option table
 * (cli/get_options.c) and the record module (cli/record.c) so that it can walk the table:
 * an option added to it without what bundles need (a role replay handles, a replay case
 * here for every DATA and INPUT option) fails a test.  Hostile bundles are made from good
 * ones with Python (tests/bundle_edit.py), archives are compared byte for byte, and
 * manifests are read with Python's json. */
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
#include <edb/writer.h>

#include "get_options.h"
#include "monitor_options.h"
#include "record.h"
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

static void serve(void)
{
    edb_server_options so = EDB_SERVER_OPTIONS_INIT;
    srv = tu_serve(so, tu_fixture("jwst-2021-01-26"), base);
}

/* tmp/name in a buffer of the caller's (tu_path's rotate). */
#define P(var, name) \
    char var[4300];  \
    snprintf(var, sizeof var, "%s/%s", tmp, name)

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
    char cmd[32768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    ck_assert_msg(system(cmd) == 0, "failed: %s", cmd);
}

static void edit(const char *src, const char *dst, const char *code)
{
    sh("/usr/bin/python3 '%s/bundle_edit.py' '%s' '%s' \"$(cat <<'EOF'\n%s\nEOF\n)\"",
       getenv("EDBX_TESTS_DIR"), src, dst, code);
}

/* edbx with args (NULL-terminated), HOME in tmp, our server as the EDB, env entries. */
static int run_env(tu_run *r, const char *const *args, const char *const *env)
{
    return tu_edbx_run(r, tmp, base, args, env);
}

static int run(tu_run *r, const char *const *args)
{
    return run_env(r, args, NULL);
}

/* args of `edbx get` over 02:30-02:35 of the recording, then more, then NULL. */
static const char *const BASE_ARGS[] = {"get", "SA_ZATTEST1", "SA_ZATTEST2", "--start",
                                        "2021-01-26T02:30:00", "--end", "2021-01-26T02:35:00",
                                        NULL};

static int get(tu_run *r, const char *const *more, const char *const *env)
{
    const char *args[100];
    size_t n = 0;
    /* A case that gives its own range (--during, --for) keeps only the mnemonics. */
    int own_range = 0;
    for (const char *const *a = more; a && *a; a++)
        own_range |= strcmp(*a, "--during") == 0 || strcmp(*a, "--for") == 0;
    for (const char *const *a = BASE_ARGS; *a; a++) {
        if (own_range && (strcmp(*a, "--start") == 0 || strcmp(*a, "--end") == 0)) {
            a++;
            continue;
        }
        args[n++] = *a;
    }
    for (const char *const *a = more; a && *a; a++)
        args[n++] = *a;
    args[n] = NULL;
    return run_env(r, args, env);
}

static int same_bytes(const char *a, const char *b)
{
    size_t la, lb;
    char *x = tu_read_file(a, &la), *y = tu_read_file(b, &lb);
    int same = x && y && la == lb && memcmp(x, y, la) == 0;
    free(x);
    free(y);
    return same;
}

/* Replay bundle into rep (a folder under tmp, made by replay); 0 on "identical". */
static void replay_identical(const char *bundle, const char *rep_name, const char *out_name)
{
    P(rep, rep_name);
    P(tdir, "t");
    mkdir(tdir, 0700);
    char tenv[4400];
    snprintf(tenv, sizeof tenv, "TMPDIR=%s", tdir);
    /* No service to ask: the replay must need none. */
    const char *env[] = {tenv, "ENG_BASE_URL=http://127.0.0.1:9/", NULL};
    const char *args[] = {"replay", bundle, "--out", rep, NULL};
    tu_run r;
    unsigned long before = srv ? edb_server_requests(srv) : 0;
    int st = run_env(&r, args, env);
    char want[300];
    snprintf(want, sizeof want, "out/%s: identical (", out_name);
    ck_assert_msg(st == 0 && strstr(r.out, want), "replay of %s: exit %d\n%s%s", bundle, st, r.out,
                  r.err);
    tu_run_free(&r);
    if (srv)
        ck_assert_uint_eq(edb_server_requests(srv), before);
    /* Its private copies are gone. */
    ck_assert_msg(rmdir(tdir) == 0, "replay left files in TMPDIR");
}

/* ---- the option table --------------------------------------------------------------- */

START_TEST(every_option_has_a_role_replay_handles)
{
    for (int table = 0; table < 2; table++) {
    const cli_optset *set = table ? cli_monitor_options() : &cli_get_options;
    size_t named = 0;
    for (size_t k = 0; k < set->n; k++) {
        const cli_opt *o = &set->v[k];
        if (!o->name) {
            ck_assert_int_eq(o->id, 0); /* a help line */
            continue;
        }
        named++;
        ck_assert_msg(o->id != 0, "--%s has no id", o->name);
        for (size_t j = 0; j < k; j++)
            ck_assert_msg(!set->v[j].name || (set->v[j].id != o->id &&
                                              strcmp(set->v[j].name, o->name) != 0),
                          "--%s twice in the table", o->name);
        cli_replay_action a = cli_role_replay(o->role);
        if (cli_role_recorded(o->role))
            ck_assert_msg(a == CLI_REPLAY_KEEP || a == CLI_REPLAY_INPUT || a == CLI_REPLAY_OUTPUT ||
                          a == CLI_REPLAY_DROP || a == CLI_REPLAY_OUTPUT_DIR,
                          "--%s: a recorded role replay does not handle", o->name);
        else
            ck_assert_msg(a == CLI_REPLAY_REFUSE, "--%s is not recorded, yet replay takes it",
                          o->name);
        /* An option that names a file takes the file's name. */
        if (o->role == CLI_ROLE_INPUT || o->role == CLI_ROLE_OUTPUT ||
            o->role == CLI_ROLE_OUTPUT_DIR || o->role == CLI_ROLE_STATE)
            ck_assert_msg(o->value != NULL, "--%s names a file but takes no value", o->name);
        /* What replay passes itself, monitor takes too. */
        if (table == 0 && (o->id == GOPT_SOURCE || o->id == GOPT_NO_CACHE ||
                           o->id == GOPT_RUN_TIME_US || o->id == GOPT_CHUNK))
            ck_assert_msg(cli_opt_find(cli_monitor_options(), o->name) != NULL,
                          "monitor has no --%s, which replay passes", o->name);
    }
    ck_assert_uint_ge(named, table ? 30 : 40);
    }
    /* What each role does, as docs/bundles.md says. */
    ck_assert_int_eq(cli_role_replay(CLI_ROLE_DATA), CLI_REPLAY_KEEP);
    ck_assert_int_eq(cli_role_replay(CLI_ROLE_INPUT), CLI_REPLAY_INPUT);
    ck_assert_int_eq(cli_role_replay(CLI_ROLE_OUTPUT), CLI_REPLAY_OUTPUT);
    ck_assert_int_eq(cli_role_replay(CLI_ROLE_SOURCE), CLI_REPLAY_DROP);
    ck_assert_int_eq(cli_role_replay(CLI_ROLE_UI), CLI_REPLAY_REFUSE);
    ck_assert_int_eq(cli_role_replay(CLI_ROLE_INTERNAL), CLI_REPLAY_REFUSE);
    ck_assert_int_eq(cli_role_replay(CLI_ROLE_OUTPUT_DIR), CLI_REPLAY_OUTPUT_DIR);
    ck_assert_int_eq(cli_role_replay(CLI_ROLE_STATE), CLI_REPLAY_REFUSE);
    ck_assert(!cli_role_recorded(CLI_ROLE_STATE));
}
END_TEST

/* The command line the outputs record: the arguments and the options that shape data, in
 * order, quoted for a shell; nothing about where output goes or data came from. */
START_TEST(command_text_is_the_query)
{
    const cli_optset *set = &cli_get_options;
    cli_recorded r[] = {{cli_opt_find(set, "start"), "2021-01-26", 0, 0},
                        {cli_opt_find(set, "output"), "o.csv", 0, 1},
                        {cli_opt_find(set, "where"), "X == 'on'", 0, 0},
                        {cli_opt_find(set, "source"), "s.tar", 0, 0},
                        {cli_opt_find(set, "brackets"), NULL, 0, 0},
                        {cli_opt_find(set, "meta"), "my inv.csv", 1, 0}};
    const char *args[] = {"SA_ZATTEST1"};
    char *t = cli_command_text("get", r, 6, args, 1);
    ck_assert_str_eq(t, "edbx get SA_ZATTEST1 --start 2021-01-26 --where 'X == '\\''on'\\''' "
                        "--brackets --meta 'my inv.csv'");
    free(t);
    char buf[64];
    const char *argv[] = {"get", "A B", "-o", "x"};
    cli_command_text_v1(4, argv, buf, sizeof buf);
    ck_assert_str_eq(buf, "edbx get 'A B' -o x");
}
END_TEST

/* ---- every DATA option replays -------------------------------------------------------- */

typedef struct data_case {
    const char *name;      /* the option */
    const char *ext;       /* of the output */
    const char *args[8];   /* what to add to BASE_ARGS */
} data_case;

static const data_case DATA_CASES[] = {
    {"start", "csv", {NULL}},
    {"end", "csv", {NULL}},
    {"brackets", "csv", {"--brackets", NULL}},
    {"format", "txt", {"--format", "ecsv", NULL}},
    {"compress", "csv.gz", {"--compress", "6", NULL}},
    {"astropy-time", "ecsv", {"--astropy-time", NULL}},
    {"every", "fits", {"--every", "30s", NULL}},
    {"on", "csv", {"--on", "SA_ZATTEST1", NULL}},
    {"method", "csv", {"--every", "30s", "--method", "nearest", NULL}},
    {"max-gap", "csv", {"--every", "30s", "--max-gap", "1min", NULL}},
    {"stats", "h5", {"--every", "1min", "--stats", "mean,max,count", NULL}},
    {"clip", "csv", {"--every", "1min", "--stats", "mean", "--clip", "3", NULL}},
    {"weighted", "csv", {"--every", "1min", "--stats", "mean,std", "--weighted", NULL}},
    {"daily", "csv", {"--daily", NULL}},
    {"daily-window", "csv", {"--daily", "--daily-window", "02:31/2min", NULL}},
    {"hourly", "csv", {"--hourly", NULL}},
    {"align", "csv", {"--align", "union", NULL}},
    {"changes", "csv", {"--changes", NULL}},
    {"where", "csv", {"--where", "SA_ZATTEST1 > 0", "--where", "SA_ZATTEST2 <= 1", NULL}},
    {"keep-going", "csv", {"--keep-going", NULL}},
    {"stamp", "fits", {"--stamp", NULL}},
    {"csv-safe", "csv", {"--csv-safe", NULL}},
    {"header-comments", "csv", {"--header-comments", NULL}},
    {"for", "csv", {"--start", "2021-01-26T02:30:00", "--for", "2min", NULL}},
    {"expr", "csv", {"--every", "30s", "--expr", "D = SA_ZATTEST1 - SA_ZATTEST2", NULL}},
    {"blocks", "csv", {"--where", "SA_ZATTEST1 < -0.2095468", "--blocks", NULL}},
    {"group-by", "ecsv", {"--group-by", "SA_ZATTEST2", "--stats", "count,mean", NULL}},
    {"fail-if", "csv", {"--every", "1min", "--fail-if", "SA_ZATTEST1 > 1", NULL}},
    {"no-meta", "ecsv", {"--no-meta", NULL}},
    {"writer-option", NULL, {NULL}}, /* below: from the formats' own tables */
};

static const data_case *data_case_of(const char *name)
{
    for (size_t k = 0; k < sizeof DATA_CASES / sizeof DATA_CASES[0]; k++)
        if (strcmp(DATA_CASES[k].name, name) == 0)
            return &DATA_CASES[k];
    return NULL;
}

/* The manifest records option name (as data, with the table's name). */
static void assert_recorded(const char *bundle, const char *name)
{
    edb_bundle *b = NULL;
    edb_err e = EDB_ERR_INIT;
    ck_assert_msg(edb_bundle_open(&b, bundle, &e) == EDB_OK, "%s", e.msg);
    ck_assert_int_eq(edb_bundle_command_schema(b), 2);
    int found = 0;
    for (size_t k = 0; k < edb_bundle_option_count(b); k++) {
        edb_bundle_option o;
        edb_bundle_option_get(b, k, &o);
        found |= strcmp(o.name, name) == 0;
        /* Nothing that only changes what is printed. */
        const cli_opt *t = cli_opt_find(&cli_get_options, o.name);
        ck_assert_msg(t && cli_role_recorded(t->role), "--%s recorded", o.name);
    }
    ck_assert_msg(found, "--%s is not in the manifest of %s", name, bundle);
    edb_bundle_free(b);
}

START_TEST(every_data_option_replays)
{
    serve();
    const cli_optset *set = &cli_get_options;
    size_t tested = 0;
    for (size_t k = 0; k < set->n; k++) {
        const cli_opt *o = &set->v[k];
        if (!o->name || o->role != CLI_ROLE_DATA)
            continue;
        const data_case *c = data_case_of(o->name);
        ck_assert_msg(c, "--%s (CLI_ROLE_DATA) has no replay case in test_e2e_bundle.c: add "
                      "one to DATA_CASES", o->name);
        if (strcmp(o->name, "writer-option") == 0)
            continue;
        char out[64], bun[64];
        snprintf(out, sizeof out, "o%zu.%s", k, c->ext);
        snprintf(bun, sizeof bun, "b%zu.tar.gz", k);
        P(outp, out);
        P(bunp, bun);
        const char *more[16];
        size_t n = 0;
        for (const char *const *a = c->args; *a; a++)
            more[n++] = *a;
        more[n++] = "-o";
        more[n++] = outp;
        more[n++] = "--bundle";
        more[n++] = bunp;
        more[n++] = "-q";
        more[n] = NULL;
        tu_run r;
        ck_assert_msg(get(&r, more, NULL) == 0, "--%s: %s", o->name, r.err);
        tu_run_free(&r);
        assert_recorded(bunp, o->name);
        replay_identical(bunp, "rep", out);
        P(rep, "rep");
        char rp[4400];
        snprintf(rp, sizeof rp, "%s/%s", rep, out);
        ck_assert_msg(same_bytes(outp, rp), "--%s: the replayed file differs", o->name);
        tested++;
    }
    ck_assert_uint_ge(tested, 18);

    /* -O: every format's keys come from its own table; each key of each format needs a
     * case here, and each replays byte for byte. */
    static const struct {
        const char *format, *key, *value, *more[6];
    } WOPT_CASES[] = {
        {"csv", "safe", NULL, {NULL}},
        {"csv", "header-comments", NULL, {NULL}},
        {"csv.gz", "safe", NULL, {NULL}},
        {"csv.gz", "header-comments", NULL, {NULL}},
        {"csv.gz", "compress", "9", {NULL}},
        {"ecsv", "safe", NULL, {NULL}},
        {"ecsv", "astropy-time", NULL, {NULL}},
        {"hdf5", "compress", "0", {NULL}},
#define PLOT_CASES(F)                                                                          \
        {F, "width", "900", {NULL}}, {F, "height", "500", {NULL}},                              \
        {F, "title", "attitude", {NULL}}, {F, "overlay", NULL, {NULL}},                         \
        {F, "yellow", "SA_ZATTEST1:-0.5,0.5", {NULL}}, {F, "red", "-0.9,0.9", {NULL}},          \
        {F, "nominal", "0.1", {NULL}}, {F, "ymin", "-1", {NULL}}, {F, "ymax", "1", {NULL}},     \
        {F, "count", NULL, {"--every", "1min", "--stats", "mean,std,count", NULL}},              \
        {F, "max-gap", "1s", {NULL}}
        PLOT_CASES("png"), PLOT_CASES("svg"), PLOT_CASES("pdf"), PLOT_CASES("html"),
#undef PLOT_CASES
        {"pdf", "date", NULL, {NULL}},
        {"html", "max-points", "1000", {NULL}},
    };
    size_t wtested = 0;
    for (size_t f = 0; f < edb_format_count(); f++) {
        const char *fmt = edb_format_name(f);
        for (size_t j = 0; j < edb_format_option_count(fmt); j++) {
            edb_format_option fo;
            edb_format_option_get(fmt, j, &fo);
            size_t c = 0;
            while (c < sizeof WOPT_CASES / sizeof WOPT_CASES[0] &&
                   !(strcmp(WOPT_CASES[c].format, fmt) == 0 &&
                     strcmp(WOPT_CASES[c].key, fo.key) == 0))
                c++;
            ck_assert_msg(c < sizeof WOPT_CASES / sizeof WOPT_CASES[0],
                          "-O %s of %s has no replay case in test_e2e_bundle.c: add one to "
                          "WOPT_CASES", fo.key, fmt);
            char opt[128], out[64], bun[64];
            snprintf(opt, sizeof opt, "%s%s%s", fo.key, WOPT_CASES[c].value ? "=" : "",
                     WOPT_CASES[c].value ? WOPT_CASES[c].value : "");
            snprintf(out, sizeof out, "w%zu_%zu%s", f, j, edb_format_extensions(f)[0]);
            snprintf(bun, sizeof bun, "wb%zu_%zu.tar.gz", f, j);
            P(outp, out);
            P(bunp, bun);
            const char *more[20];
            size_t n = 0;
            for (const char *const *a = WOPT_CASES[c].more; *a; a++)
                more[n++] = *a;
            more[n++] = "-O";
            more[n++] = opt;
            more[n++] = "-o";
            more[n++] = outp;
            more[n++] = "--bundle";
            more[n++] = bunp;
            more[n++] = "-q";
            more[n] = NULL;
            tu_run r;
            ck_assert_msg(get(&r, more, NULL) == 0, "-O %s (%s): %s", opt, fmt, r.err);
            tu_run_free(&r);
            replay_identical(bunp, "rep", out);
            wtested++;
        }
    }
    ck_assert_uint_ge(wtested, 54);
}
END_TEST

/* ---- every INPUT option travels ------------------------------------------------------- */

typedef struct input_case {
    const char *name;      /* the option */
    const char *content;   /* of its file */
    const char *changed;   /* what the file becomes after the run */
    const char *ext;
    const char *args[4];   /* with FILE standing for the file */
} input_case;

/* A FITS primary header (no data) with EXPSTART/EXPEND as given: 2880 bytes of 80-byte
 * cards, the form cfitsio reads (--during). */
#define FITS_HEADER(a, b)                                                                       \
    "SIMPLE  =                    T" "                                                  "      \
    "BITPIX  =                    8" "                                                  "      \
    "NAXIS   =                    0" "                                                  "      \
    "EXPSTART=   " a "                                              "                          \
    "EXPEND  =   " b "                                              "                          \
    "END                                                                             "
/* 2021-01-26T02:30:00 to 02:33:00 (59240 + 9000 s, + 9180 s over 86400 s), then moved. */
#define EXP_A FITS_HEADER("59240.1041666666666667", "59240.1062500000000000")
#define EXP_B FITS_HEADER("59240.1069444444444444", "59240.1090277777777778")

static const input_case INPUT_CASES[] = {
    {"during", EXP_A, EXP_B, "csv", {"--during", "FILE", NULL}},
    {"meta", "tlmMnemonic,unit,description\nSA_ZATTEST1,V,First\n",
     "tlmMnemonic,unit,description\nSA_ZATTEST1,A,Changed\n", "ecsv", {"--meta", "FILE", NULL}},
    {"at", "2021-01-26T02:30:10\n# a comment\n2021-01-26T02:31:00.5\n",
     "2021-01-26T02:33:00\n", "csv", {"--at", "FILE", NULL}},
    {"file", "SA_ZATTEST3\n# and\nSA_ZATTEST4\n", "SA_ZATTEST9\n", "csv", {"-f", "FILE", NULL}},
};

/* An input file; a FITS header is padded with blanks to its 2880-byte block. */
static void write_input(const char *path, const char *content)
{
    char block[2880];
    size_t n = strlen(content);
    if (strncmp(content, "SIMPLE  =", 9) == 0 && n <= sizeof block) {
        memset(block, ' ', sizeof block);
        memcpy(block, content, n);
        tu_write_file(path, block, sizeof block);
        return;
    }
    tu_write_file(path, content, n);
}

START_TEST(every_input_option_travels)
{
    serve();
    const cli_optset *set = &cli_get_options;
    size_t tested = 0;
    for (size_t k = 0; k < set->n; k++) {
        const cli_opt *o = &set->v[k];
        if (!o->name || o->role != CLI_ROLE_INPUT)
            continue;
        const input_case *c = NULL;
        for (size_t j = 0; j < sizeof INPUT_CASES / sizeof INPUT_CASES[0]; j++)
            if (strcmp(INPUT_CASES[j].name, o->name) == 0)
                c = &INPUT_CASES[j];
        ck_assert_msg(c, "--%s (CLI_ROLE_INPUT) has no bundle case in test_e2e_bundle.c: add one "
                      "to INPUT_CASES", o->name);
        char dname[64], out[64], bun[64];
        snprintf(dname, sizeof dname, "in%zu", k);
        snprintf(out, sizeof out, "o%zu.%s", k, c->ext);
        snprintf(bun, sizeof bun, "b%zu.zip", k);
        P(dir, dname);
        P(outp, out);
        P(bunp, bun);
        ck_assert_int_eq(mkdir(dir, 0700), 0);
        char file[4400];
        snprintf(file, sizeof file, "%s/list of %s.txt", dir, o->name);
        write_input(file, c->content);
        const char *more[16];
        size_t n = 0;
        for (const char *const *a = c->args; *a; a++)
            more[n++] = strcmp(*a, "FILE") == 0 ? file : *a;
        const char *tail[] = {"-o", outp, "--bundle", bunp, NULL};
        for (const char *const *a = tail; *a; a++)
            more[n++] = *a;
        more[n] = NULL;
        tu_run r;
        ck_assert_msg(get(&r, more, NULL) == 0, "--%s: %s", o->name, r.err);
        tu_run_free(&r);
        /* The manifest links the option to its copy, which holds the file's bytes. */
        P(ex, "ex");
        sh("rm -rf '%s' && mkdir '%s' && cd '%s' && /usr/bin/python3 - '%s' '%s' '%s' <<'EOF'\n"
           "import json, sys, zipfile\n"
           "z = zipfile.ZipFile(sys.argv[1]); name, path = sys.argv[2], sys.argv[3]\n"
           "m = json.loads(z.read('manifest.json'))\n"
           "o = [o for o in m['command']['options'] if o['name'] == name]\n"
           "assert len(o) == 1 and o[0]['value'] == path and o[0]['input'].startswith('in/'), o\n"
           "assert z.read(o[0]['input']) == open(path, 'rb').read()\n"
           "inputs = [i['path'] for i in m['inputs']]\n"
           "assert inputs == [path, 'edbx-inventory.csv'], inputs\n"
           "EOF", ex, ex, ex, bunp, o->name, file);
        /* Edited: the replay still reads what the run read. */
        write_input(file, c->changed);
        replay_identical(bunp, "rep", out);
        /* Gone, folder and all. */
        ck_assert_int_eq(unlink(file), 0);
        ck_assert_int_eq(rmdir(dir), 0);
        replay_identical(bunp, "rep", out);
        const char *vf[] = {"bundle", "verify", bunp, NULL};
        ck_assert_int_eq(run(&r, vf), 0);
        tu_run_free(&r);
        tested++;
    }
    ck_assert_uint_ge(tested, 4);

    /* Standard input cannot be kept: refused before anything is fetched. */
    P(outp, "s.csv");
    P(bunp, "s.tar");
    const char *more[] = {"-f", "-", "-o", outp, "--bundle", bunp, NULL};
    tu_run r;
    unsigned long before = edb_server_requests(srv);
    ck_assert_int_eq(get(&r, more, NULL), 2);
    ck_assert_msg(strstr(r.err, "standard input (--file -) cannot be kept"), "%s", r.err);
    tu_run_free(&r);
    ck_assert_uint_eq(edb_server_requests(srv), before);
    ck_assert(!tu_exists(outp) && !tu_exists(bunp));
}
END_TEST

/* ---- hostile manifests ---------------------------------------------------------------- */

/* A bundle of a run that read three files, to mutate. */
static void good_bundle(const char *bun)
{
    P(meta, "inv.csv");
    P(times, "times.txt");
    P(list, "list.txt");
    P(outp, "o.csv");
    tu_write_file(meta, "tlmMnemonic,unit\nSA_ZATTEST1,V\n", 31);
    tu_write_file(times, "2021-01-26T02:30:10\n", 20);
    tu_write_file(list, "SA_ZATTEST3\n", 12);
    const char *more[] = {"--meta", meta, "--at", times, "-f", list, "-o", outp, "--bundle", bun,
                          NULL};
    tu_run r;
    ck_assert_msg(get(&r, more, NULL) == 0, "%s", r.err);
    tu_run_free(&r);
}

START_TEST(hostile_manifests_refused)
{
    serve();
    P(bun, "good.tar.gz");
    P(victim, "victim");
    good_bundle(bun);
    /* Each: how the manifest (m) or the entries (files, extra) are changed, and what the
     * refusal says.  VICTIM stands for a path outside the replay folder. */
    static const char *const cases[][2] = {
        /* options spelled other than the table spells them */
        {"m['command']['options'].append({'name': 'bu', 'value': VICTIM})",
         "option --bu is not an option of edbx get"},
        {"m['command']['options'].append({'name': 'bundl=', 'value': VICTIM})",
         "option --bundl= is not an option"},
        {"m['command']['options'].append({'name': 'qf', 'value': '/etc/passwd'})",
         "option --qf is not an option"},
        {"m['command']['options'].append({'name': 'o', 'value': VICTIM})",
         "option --o is not an option"},
        {"m['command']['options'].append({'name': 'exec', 'value': 'touch ' + VICTIM})",
         "option --exec is not an option"},
        /* roles never recorded */
        {"m['command']['options'].append({'name': 'verbose'})", "option --verbose is never recorded"},
        {"m['command']['options'].append({'name': 'run-time-us', 'value': '0'})",
         "option --run-time-us is never recorded"},
        {"m['command']['options'].append({'name': 'token', 'value': 'x'})",
         "option --token is never recorded"},
        /* files outside the bundle */
        {"o = [o for o in m['command']['options'] if o['name'] == 'at'][0]\n"
         "del o['input']; o['value'] = '/etc/passwd'",
         "option --at /etc/passwd names a file the bundle does not hold"},
        {"o = [o for o in m['command']['options'] if o['name'] == 'meta'][0]\n"
         "del o['input']; o['value'] = '/dev/zero'",
         "option --meta /dev/zero names a file the bundle does not hold"},
        {"o = [o for o in m['command']['options'] if o['name'] == 'file'][0]\n"
         "del o['input']; o['value'] = '/dev/zero'",
         "option --file /dev/zero names a file the bundle does not hold"},
        {"m['command']['options'].append({'name': 'meta', 'value': VICTIM})",
         "names a file the bundle does not hold"},
        {"o = [o for o in m['command']['options'] if o['name'] == 'at'][0]\n"
         "o['input'] = [o for o in m['command']['options'] if o['name'] == 'meta'][0]['input']",
         "is named by two options"},
        {"o = [o for o in m['command']['options'] if o['name'] == 'start'][0]\n"
         "o['input'] = m['inputs'][0]['name']", "option --start does not read a file"},
        {"o = [o for o in m['command']['options'] if o['name'] == 'output'][0]; del o['output']",
         "out/o.csv is written by no option"},
        {"files['in/9-x'] = b'x'\n"
         "m['inputs'].append({'name': 'in/9-x', 'path': 'x', 'bytes': 1, 'sha256': "
         "'2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881'})",
         "in/9-x is named by no option"},
        /* traversal and odd names in the lists */
        {"old = m['inputs'][0]['name']; m['inputs'][0]['name'] = 'in/../../victim'\n"
         "for o in m['command']['options']:\n"
         "    if o.get('input') == old: o['input'] = 'in/../../victim'",
         "entry 1 of its in/ list is malformed"},
        {"m['inputs'][0]['name'] = 'in/a/b'", "entry 1 of its in/ list is malformed"},
        {"m['requests'][0]['raw'] = '/etc/passwd'", "entry 1 of its raw/ list is malformed"},
        /* entries the archive rules refuse */
        {"extra.append(tarfile.TarInfo('out/o.csv'))", "'out/o.csv' appears twice"},
        {"extra.append(tarfile.TarInfo('manifest.json'))", "'manifest.json' appears twice"},
        {"i = tarfile.TarInfo('in/l'); i.type = tarfile.SYMTYPE; i.linkname = '/etc/passwd'\n"
         "extra.append(i)", "'in/l' is a link"},
        {"i = tarfile.TarInfo('../victim'); extra.append(i)", "'../victim' has a '..' component"},
        {"files = {k: files[k] for k in list(files)[1:] + ['manifest.json']}",
         "not a bundle: its first file is"},
        {"n = [k for k in files if k.startswith('raw/')][0]; files[n] += b'x' * 100000",
         "do not match the manifest"},
        {"files['in/zz'] = b'x'", "do not match the manifest"},
        /* values */
        {"m['command']['options'].append({'name': 'where', 'value': 'x' * 5000})",
         "longer than 4096 bytes or holds a control character"},
        {"m['command']['options'].append({'name': 'where', 'value': 'A\\nB'})",
         "holds a control character"},
        {"m['command']['options'].append({'name': 'where', 'value': 'x' * 70000})",
         "not a string of at most 64 KiB"},
        {"m['command']['options'] += [{'name': 'brackets'}] * 5000",
         "more than edbx takes"},
        {"[o for o in m['command']['options'] if o['name'] == 'start'][0]['value'] = '9' * 40",
         "--start"},
        {"m['command']['options'].append({'name': 'compress', 'value': '99999999999999999999'})",
         "--compress"},
        {"m['command']['options'].append({'name': 'brackets', 'value': 'yes'})",
         "option --brackets takes no value"},
        {"m['command']['options'].append({'name': 'every'})", "option --every has no value"},
        {"m['command']['options'].append({'name': 'start', 'value': '2021-01-26'})",
         "option --start is given twice"},
        {"m['command']['arguments'].append('--source=/etc')",
         "argument 3, '--source=/etc', is not a mnemonic name"},
        {"m['command']['arguments'].append('../victim')", "is not a mnemonic name"},
        /* the command */
        {"m['command']['name'] = 'serve'", "records 'edbx serve', and replay runs only"},
        {"del m['command']", "records no command to replay"},
        {"m['command']['schema'] = 3", "schema 3"},
        /* edbx 0.1's argv, read by the same strict parser */
        {"m['format'] = 'edbx-bundle-1'; del m['command']\n"
         "m['command_line'] = ['get', 'SA_ZATTEST1', '--start', '2021-01-26T02:30:00', '--end', "
         "'2021-01-26T02:35:00', '-qf/etc/passwd', '-o', 'o.csv']",
         "kept no copy of the file of --file /etc/passwd"},
        {"m['format'] = 'edbx-bundle-1'; del m['command']\n"
         "m['command_line'] = ['get', 'SA_ZATTEST1', '--start', '2021-01-26T02:30:00', '--bu', "
         "VICTIM, '-o', 'o.csv']",
         "its command line does not parse: unknown option --bu"},
        {"m['format'] = 'edbx-bundle-1'; del m['command']\n"
         "m['command_line'] = ['get', 'SA_ZATTEST1', '--start', '2021-01-26T02:30:00', "
         "'--run-time-us=0', '-o', 'o.csv']",
         "option --run-time-us is never recorded"},
    };
    P(tdir, "t");
    P(rep, "rep");
    ck_assert_int_eq(mkdir(tdir, 0700), 0);
    char tenv[4400];
    snprintf(tenv, sizeof tenv, "TMPDIR=%s", tdir);
    const char *env[] = {tenv, NULL};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char code[16384];
        snprintf(code, sizeof code, "import tarfile\nVICTIM = '%s'\n%s", victim, cases[k][0]);
        P(bad, "bad.tar.gz");
        edit(bun, bad, code);
        const char *args[] = {"replay", bad, "--out", rep, NULL};
        tu_run r;
        int st = run_env(&r, args, env);
        ck_assert_msg(st == 6 && strstr(r.err, cases[k][1]), "case %zu: exit %d, want '%s' in:\n%s",
                      k, st, cases[k][1], r.err);
        tu_run_free(&r);
        /* Nothing outside the replay folder, and nothing in it either. */
        ck_assert_msg(!tu_exists(victim), "case %zu wrote %s", k, victim);
        ck_assert_msg(rmdir(tdir) == 0 && mkdir(tdir, 0700) == 0, "case %zu left files", k);
        sh("test ! -e '%s' || test -z \"$(ls -A '%s')\"", rep, rep);
    }
    /* Paths of outputs and sources are the replay's own business: whatever the manifest
     * says, the outputs go into the replay folder and the bundle is the only source. */
    P(good2, "good2.tar.gz");
    P(victim_dir, "victim-dir");
    char code[16384];
    snprintf(code, sizeof code,
             "for o in m['command']['options']:\n"
             "    if o['name'] in ('output', 'bundle'): o['value'] = '%s'\n"
             "m['command']['options'] += [{'name': 'source', 'value': '/etc'},"
             " {'name': 'cache', 'value': '%s'}, {'name': 'token-file', 'value': '/etc/shadow'},"
             " {'name': 'base-url', 'value': 'http://127.0.0.1:9/'}]",
             victim, victim_dir);
    edit(bun, good2, code);
    replay_identical(good2, "rep2", "o.csv");
    ck_assert(!tu_exists(victim) && !tu_exists(victim_dir));
}
END_TEST

/* ---- reproducible bundles ------------------------------------------------------------- */

START_TEST(same_run_same_bundle_bytes)
{
    serve();
    static const char *const fmts[] = {"csv", "ecsv", "fits", "h5"};
    static const char *const boxes[] = {"tar", "tar.gz", "tar.xz", "zip"};
    /* Two runs at different clock times (and time zones), one SOURCE_DATE_EPOCH, the same
     * command (the same paths: the manifest records them): each pass writes into p/,
     * then moved aside. */
    P(dir, "p");
    for (int pass = 0; pass < 2; pass++) {
        const char *env[] = {"SOURCE_DATE_EPOCH=1700000000",
                             pass ? "TZ=America/New_York" : "TZ=Asia/Tokyo", NULL};
        ck_assert_int_eq(mkdir(dir, 0700), 0);
        for (size_t f = 0; f < 4; f++)
            for (size_t c = 0; c < 4; c++) {
                char out[64], bun[64];
                snprintf(out, sizeof out, "p/o%zu.%s", f, fmts[f]);
                snprintf(bun, sizeof bun, "p/b%zu%zu.%s", f, c, boxes[c]);
                P(outp, out);
                P(bunp, bun);
                const char *more[] = {"-o", outp, "--bundle", bunp, "--no-cache", NULL};
                tu_run r;
                ck_assert_msg(get(&r, more, env) == 0, "%s", r.err);
                tu_run_free(&r);
            }
        P(moved, pass ? "p1" : "p0");
        ck_assert_int_eq(rename(dir, moved), 0);
        if (pass == 0)
            sleep(2);
    }
    for (size_t f = 0; f < 4; f++)
        for (size_t c = 0; c < 4; c++) {
            char a[64], b[64];
            snprintf(a, sizeof a, "p0/b%zu%zu.%s", f, c, boxes[c]);
            snprintf(b, sizeof b, "p1/b%zu%zu.%s", f, c, boxes[c]);
            P(pa, a);
            P(pb, b);
            ck_assert_msg(same_bytes(pa, pb), "%s and %s differ", a, b);
        }
    /* What the bundles record of time is SOURCE_DATE_EPOCH's; replayed without it in the
     * environment, the FITS and HDF5 outputs come out the same. */
    sh("cd '%s' && /usr/bin/python3 - <<'EOF'\n"
       "import json, tarfile\n"
       "t = tarfile.open('p0/b20.tar')\n"
       "m = json.loads(t.extractfile('manifest.json').read())\n"
       "assert m['source_date_epoch'] == 1700000000 and m['run_time_us'] == 1700000000000000\n"
       "assert {r['received'] for r in m['requests']} == {'2023-11-14T22:13:20.000000Z'}\n"
       "assert {i.mtime for i in t.getmembers()} == {1700000000}\n"
       "EOF", tmp);
    P(b20, "p0/b20.tar");
    replay_identical(b20, "rep-fits", "o2.fits");
    P(b30, "p0/b30.tar");
    replay_identical(b30, "rep-h5", "o3.h5");
}
END_TEST

/* Without SOURCE_DATE_EPOCH two bundles differ only in the times they record (item 3 of
 * issue 14, outputs without a creation time, is the writers'; CSV has none already). */
START_TEST(without_source_date_epoch_only_times_differ)
{
    serve();
    P(o1, "o1.csv");
    P(o2, "o2.csv");
    P(b1, "b1.tar.gz");
    P(b2, "b2.tar.gz");
    const char *m1[] = {"-o", o1, "--bundle", b1, "--no-cache", NULL};
    const char *m2[] = {"-o", o2, "--bundle", b2, "--no-cache", NULL};
    tu_run r;
    ck_assert_int_eq(get(&r, m1, NULL), 0);
    tu_run_free(&r);
    sleep(1);
    ck_assert_int_eq(get(&r, m2, NULL), 0);
    tu_run_free(&r);
    sh("cd '%s' && /usr/bin/python3 - <<'EOF'\n"
       "import json, tarfile\n"
       "def load(p):\n"
       "    t = tarfile.open(p)\n"
       "    f = {i.name.replace('o1.csv', 'o.csv').replace('o2.csv', 'o.csv'):"
       " t.extractfile(i).read() for i in t.getmembers()}\n"
       "    m = json.loads(f.pop('manifest.json'))\n"
       "    return f, m\n"
       "f1, m1 = load('b1.tar.gz'); f2, m2 = load('b2.tar.gz')\n"
       "assert f1 == f2\n"
       "assert m1['run_time_us'] != m2['run_time_us']\n"
       "for m in (m1, m2):\n"
       "    del m['run_time'], m['run_time_us']\n"
       "    for r in m['requests']: del r['received']\n"
       "    for o in m['command']['options']:\n"
       "        o['value'] = o['value'].replace('1', 'N').replace('2', 'N') if 'value' in o else None\n"
       "        o.pop('output', None)\n"
       "    m['outputs'][0]['name'] = 'out/o.csv'\n"
       "assert m1 == m2, (m1, m2)\n"
       "EOF", tmp);
}
END_TEST

/* "now" is SOURCE_DATE_EPOCH when set (and earlier than the clock): a relative range is
 * counted from it, recorded, and replayed the same. */
START_TEST(relative_times_count_from_the_recorded_now)
{
    serve();
    P(outp, "o.csv");
    P(bunp, "b.tar.xz");
    const char *args[] = {"get", "SA_ZATTEST1", "--start", "now-5min", "--end", "now", "-o", outp,
                          "--bundle", bunp, NULL};
    const char *env[] = {"SOURCE_DATE_EPOCH=1611628500", NULL}; /* 2021-01-26T02:35:00Z */
    tu_run r;
    ck_assert_msg(run_env(&r, args, env) == 0, "%s", r.err);
    tu_run_free(&r);
    char *csv = tu_read_file(outp, NULL);
    ck_assert_ptr_nonnull(csv);
    ck_assert_msg(strstr(csv, "\n2021-01-26T02:30:0") && !strstr(csv, "2021-01-26T02:29:"), "%s",
                  csv);
    free(csv);
    replay_identical(bunp, "rep", "o.csv");
}
END_TEST

/* ---- files that collide --------------------------------------------------------------- */

START_TEST(colliding_paths_refused_before_any_request)
{
    serve();
    P(list, "list.txt");
    P(times, "times.txt");
    P(inv, "inv.csv");
    P(hl, "hardlink.csv");
    P(sl, "symlink.txt");
    P(store, "store.tar");
    P(cache, "cache");
    P(xdg, "xdg");
    P(tok, "tok");
    tu_write_file(list, "SA_ZATTEST3\n", 12);
    tu_write_file(times, "2021-01-26T02:30:10\n", 20);
    tu_write_file(inv, "tlmMnemonic,unit\nSA_ZATTEST1,V\n", 31);
    tu_write_file(tok, "t0ken\n", 6);
    ck_assert_int_eq(link(inv, hl), 0);
    ck_assert_int_eq(symlink(list, sl), 0);
    sh("tar -cf '%s' -C '%s' .", store, tu_fixture("jwst-2021-01-26"));
    sh("mkdir -p '%s/sub' '%s/edbx/sub'", cache, xdg);
    char xdg_env[4400], dot_bundle[4400], in_cache[4400], in_xdg[4400];
    snprintf(xdg_env, sizeof xdg_env, "XDG_CACHE_HOME=%s", xdg);
    snprintf(dot_bundle, sizeof dot_bundle, "%s/./o.tar.gz", tmp);
    snprintf(in_cache, sizeof in_cache, "%s/sub/x.csv", cache);
    snprintf(in_xdg, sizeof in_xdg, "%s/edbx/sub/x.csv", xdg);
    char in_xdg_b[4400];
    snprintf(in_xdg_b, sizeof in_xdg_b, "%s/edbx/sub/b.tar", xdg);
    P(otgz, "o.tar.gz");
    struct {
        const char *args[12];
        const char *env;
        const char *want;
    } cases[] = {
        {{"-o", otgz, "--bundle", dot_bundle}, NULL, "--output"},
        {{"-o", list, "-f", list}, NULL, "--file"},
        {{"-o", times, "--at", times}, NULL, "--at"},
        {{"-o", inv, "--meta", inv}, NULL, "--meta"},
        {{"-o", hl, "--meta", inv}, NULL, "hardlink.csv and --meta"},
        {{"-o", sl, "-f", list}, NULL, "symlink.txt and --file"},
        {{"-o", otgz, "--bundle", store, "--source", store}, NULL, "--bundle"},
        {{"-o", store, "--source", store}, NULL, "--source"},
        {{"-o", tok, "--token-file", tok}, NULL, "--token-file"},
        {{"-o", cache, "--cache", cache}, NULL, "--cache"},
        {{"-o", in_cache, "--cache", cache}, NULL, "is inside the cache folder"},
        {{"-o", in_xdg}, xdg_env, "is inside the cache folder"},
        {{"-o", otgz, "--bundle", in_xdg_b}, xdg_env, "is inside the cache folder"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        const char *env[] = {cases[k].env, NULL};
        unsigned long before = edb_server_requests(srv);
        tu_run r;
        int st = get(&r, cases[k].args, env);
        ck_assert_msg(st == 2 && strstr(r.err, cases[k].want) &&
                      (strstr(r.err, "name the same file") || strstr(r.err, "inside the cache")),
                      "case %zu: exit %d: %s", k, st, r.err);
        tu_run_free(&r);
        ck_assert_uint_eq(edb_server_requests(srv), before);
    }
    /* Untouched. */
    char *a = tu_read_file(list, NULL), *b = tu_read_file(inv, NULL);
    ck_assert_str_eq(a, "SA_ZATTEST3\n");
    ck_assert_str_eq(b, "tlmMnemonic,unit\nSA_ZATTEST1,V\n");
    free(a);
    free(b);
    ck_assert(!tu_exists(otgz));
    /* Distinct files are fine. */
    P(outp, "ok.csv");
    const char *ok[] = {"-o", outp, "--meta", inv, "-f", list, "--cache", cache, NULL};
    tu_run r;
    ck_assert_msg(get(&r, ok, NULL) == 0, "%s", r.err);
    tu_run_free(&r);
}
END_TEST

/* ---- signals -------------------------------------------------------------------------- */

/* Run edbx get into dir with EDBX_TEST_PAUSE=stage, send sig when it says it paused;
 * the exit status. */
static int interrupted_run(const char *dir, const char *out, const char *bundle,
                           const char *stage, int sig)
{
    int pfd[2];
    ck_assert_int_eq(pipe(pfd), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        setenv("HOME", tmp, 1);
        setenv("ENG_BASE_URL", base, 1);
        setenv("EDBX_TEST_PAUSE", stage, 1);
        unsetenv("MAST_API_TOKEN");
        unsetenv("XDG_CACHE_HOME");
        int nul = open("/dev/null", O_RDWR);
        dup2(nul, 0);
        dup2(nul, 1);
        dup2(pfd[1], 2);
        close(pfd[0]);
        if (chdir(dir) != 0)
            _exit(126);
        const char *argv[] = {tu_edbx(), "get", "SA_ZATTEST1", "SA_ZATTEST2", "--start",
                              "2021-01-26T02:30:00", "--end", "2021-01-26T02:35:00", "-o", out,
                              "--bundle", bundle, "--no-cache", NULL};
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(pfd[1]);
    char err[8192];
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
        if (!sent && strstr(err, "test hook: paused at")) {
            kill(pid, sig);
            sent = 1;
        }
    }
    close(pfd[0]);
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    err[n] = '\0';
    ck_assert_msg(sent, "never paused at %s: %s", stage, err);
    ck_assert_msg(strstr(err, "interrupted"), "%s", err);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

START_TEST(signals_leave_no_new_output)
{
    serve();
    static const char *const stages[] = {"write", "close", "bundle"};
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
    int k = 0;
    for (size_t s = 0; s < 3; s++)
        for (size_t g = 0; g < 3; g++, k++) {
            char dname[32];
            snprintf(dname, sizeof dname, "d%d", k);
            P(dir, dname);
            ck_assert_int_eq(mkdir(dir, 0700), 0);
            /* Every other run replaces files that are there; the others make new ones. */
            int existing = k % 2 == 0;
            const char *out = k % 3 == 0 ? "o.fits" : "o.csv";
            char outp[4400], bunp[4400];
            snprintf(outp, sizeof outp, "%s/%s", dir, out);
            snprintf(bunp, sizeof bunp, "%s/b.tar.gz", dir);
            struct stat before;
            if (existing) {
                tu_write_file(outp, "OLD\n", 4);
                tu_write_file(bunp, "OLDB", 4);
                ck_assert_int_eq(stat(outp, &before), 0);
            }
            int st = interrupted_run(dir, out, "b.tar.gz", stages[s], sigs[g]);
            ck_assert_msg(st == 130, "%s, signal %d: exit %d", stages[s], sigs[g], st);
            tu_run ls;
            const char *la[] = {"/bin/ls", "-A", dir, NULL};
            tu_run_cmd(&ls, la, NULL);
            if (existing) {
                struct stat after;
                ck_assert_int_eq(stat(outp, &after), 0);
                ck_assert_msg(after.st_ino == before.st_ino, "%s: the old output was replaced",
                              stages[s]);
                char *o = tu_read_file(outp, NULL), *b = tu_read_file(bunp, NULL);
                ck_assert_str_eq(o, "OLD\n");
                ck_assert_str_eq(b, "OLDB");
                free(o);
                free(b);
                char want[64];
                snprintf(want, sizeof want, "b.tar.gz\n%s\n", out);
                ck_assert_msg(strcmp(ls.out, want) == 0, "%s, signal %d: left %s", stages[s],
                              sigs[g], ls.out);
            } else {
                ck_assert_msg(strcmp(ls.out, "") == 0, "%s, signal %d: left %s", stages[s],
                              sigs[g], ls.out);
            }
            tu_run_free(&ls);
        }
    /* An output that is a symbolic link: the link and the file it points to stay as they
     * were, whichever of them the writer replaced. */
    P(dl, "dl");
    ck_assert_int_eq(mkdir(dl, 0700), 0);
    char real[4400], link_path[4400], text[64] = "";
    snprintf(real, sizeof real, "%s/real.csv", dl);
    snprintf(link_path, sizeof link_path, "%s/o.csv", dl);
    tu_write_file(real, "OLD\n", 4);
    ck_assert_int_eq(symlink("real.csv", link_path), 0);
    ck_assert_int_eq(interrupted_run(dl, "o.csv", "b.tar.gz", "close", SIGINT), 130);
    struct stat sb;
    ck_assert_int_eq(lstat(link_path, &sb), 0);
    ck_assert(S_ISLNK(sb.st_mode));
    ck_assert_int_eq(readlink(link_path, text, sizeof text - 1), 8);
    ck_assert_str_eq(text, "real.csv");
    char *o = tu_read_file(real, NULL);
    ck_assert_str_eq(o, "OLD\n");
    free(o);
    tu_run ls;
    const char *la[] = {"/bin/ls", "-A", dl, NULL};
    tu_run_cmd(&ls, la, NULL);
    ck_assert_str_eq(ls.out, "o.csv\nreal.csv\n");
    tu_run_free(&ls);
}
END_TEST

/* ---- edbx monitor ------------------------------------------------------------------ */

/* A monitor run of the recording with --bundle; the configuration is given as an
 * argument and travels as --config. */
static void monitor_bundle(const char *bun)
{
    P(cfg, "att_mnemonics_to_monitor.json");
    const char *text =
        "{\"all\": [{\"name\": \"SA_ZATTEST1\", \"description\": \"quaternion 1\", "
        "\"dependency\": [{\"name\": \"SA_ZATTEST2\", \"relation\": \"<\", \"threshold\": 0}], "
        "\"plot_data\": \"nominal\", \"yellow_limits\": [-0.2095470, -0.2095466], "
        "\"plot_category\": \"att\"}],"
        " \"time_interval\": [{\"name\": \"SA_ZATTEST2\", \"dependency\": [], \"plot_data\": "
        "\"nominal,max\", \"red_limits\": [-1, 1], \"plot_category\": \"att\", "
        "\"mean_time_block\": \"1_minutes\"}]}";
    ck_assert_int_eq(tu_write_file(cfg, text, strlen(text)), 0);
    P(out, "mon");
    const char *args[] = {"monitor", cfg, "--start", "2021-01-26T02:30:00", "--end",
                          "2021-01-26T02:35:00", "-o", out, "--bundle", bun, "--no-cache",
                          NULL};
    tu_run r;
    int st = run(&r, args);
    ck_assert_msg(st == 10, "exit %d: %s", st, r.err);
    tu_run_free(&r);
}

START_TEST(monitor_bundle_replays)
{
    serve();
    P(bun, "m.tar.gz");
    monitor_bundle(bun);
    /* the configuration, every output and every reply are in it; the command is the
     * monitor's, its configuration an input */
    tu_run r;
    const char *ls[] = {"/bin/tar", "tzf", bun, NULL};
    ck_assert_int_eq(tu_run_cmd(&r, ls, NULL), 0);
    ck_assert_str_eq(r.out, "manifest.json\n"
                            "in/1-att_mnemonics_to_monitor.json\n"
                            "in/2-edbx-inventory.csv\n"
                            "out/att-att.png\n"
                            "out/monitor.h5\n"
                            "out/report.json\n"
                            "out/report.md\n"
                            "raw/SA_ZATTEST1-20210126T023000-20210126T023500.csv\n"
                            "raw/SA_ZATTEST2-20210126T023000-20210126T023500.csv\n");
    tu_run_free(&r);
    sh("cd '%s' && /usr/bin/python3 - <<'EOF'\n"
       "import json, tarfile\n"
       "m = json.load(tarfile.open('m.tar.gz').extractfile('manifest.json'))\n"
       "c = m['command']\n"
       "assert c['name'] == 'monitor' and c['arguments'] == [], c\n"
       "o = [x for x in c['options'] if x['name'] == 'config'][0]\n"
       "assert o['input'] == 'in/1-att_mnemonics_to_monitor.json', o\n"
       "assert o['value'].endswith('/att_mnemonics_to_monitor.json'), o\n"
       "assert m['command_line'].startswith('edbx monitor --start 2021-01-26T02:30:00 --end "
       "2021-01-26T02:35:00 --config '), m['command_line']\n"
       /* the service's inventory of the two, as get records it, for replay to read back;
        * its subsystem is in the tables */
       "o = [x for x in c['options'] if x['name'] == 'recorded-inventory'][0]\n"
       "assert o['input'] == 'in/2-edbx-inventory.csv', o\n"
       "t = tarfile.open('m.tar.gz')\n"
       "inv = t.extractfile('in/2-edbx-inventory.csv').read().decode().splitlines()\n"
       "assert [l.split(',')[0] for l in inv[1:]] == ['SA_ZATTEST1', 'SA_ZATTEST2'], inv\n"
       "assert all(',ACS,' in l for l in inv[1:]), inv\n"
       "import h5py, io\n"
       "h = h5py.File(io.BytesIO(t.extractfile('out/monitor.h5').read()), 'r')\n"
       "from astropy.table import Table\n"
       "a = Table.read(h, path='att/all/SA_ZATTEST1')\n"
       "assert a['SA_ZATTEST1'].meta == {'subsystem': 'ACS'}, a['SA_ZATTEST1'].meta\n"
       "EOF",
       tmp);
    /* replayed: every output identical (a yellow limit crossed is a result) */
    P(rep, "rep");
    P(tdir, "t");
    mkdir(tdir, 0700);
    char tenv[4400];
    snprintf(tenv, sizeof tenv, "TMPDIR=%s", tdir);
    const char *env[] = {tenv, "ENG_BASE_URL=http://127.0.0.1:9/", NULL};
    const char *args[] = {"replay", bun, "--out", rep, NULL};
    unsigned long before = edb_server_requests(srv);
    ck_assert_msg(run_env(&r, args, env) == 0, "%s%s", r.out, r.err);
    const char *names[] = {"monitor.h5", "att-att.png", "report.md", "report.json"};
    for (int k = 0; k < 4; k++) {
        char want[200];
        snprintf(want, sizeof want, "out/%s: identical (", names[k]);
        ck_assert_msg(strstr(r.out, want), "%s", r.out);
    }
    tu_run_free(&r);
    ck_assert_uint_eq(edb_server_requests(srv), before);
    ck_assert_msg(rmdir(tdir) == 0, "replay left files in TMPDIR");
    /* the tables record the command as the run made it, in the replay too */
    P(a, "mon/report.json");
    P(b, "rep/report.json");
    ck_assert(same_bytes(a, b));
    /* --state is no part of a bundle */
    P(out2, "mon2");
    P(st, "st");
    P(cfg, "att_mnemonics_to_monitor.json");
    P(bun2, "m2.tar.gz");
    const char *bad[] = {"monitor", cfg, "--start", "2021-01-26T02:30:00", "--end",
                         "2021-01-26T02:35:00", "-o", out2, "--state", st, "--bundle", bun2,
                         NULL};
    ck_assert_int_eq(run(&r, bad), 2);
    ck_assert_msg(strstr(r.err, "bundle a run without --state"), "%s", r.err);
    ck_assert(!tu_exists(bun2) && !tu_exists(out2) && !tu_exists(st));
    tu_run_free(&r);
}
END_TEST

START_TEST(monitor_hostile_manifests_refused)
{
    serve();
    P(bun, "m.tar.gz");
    monitor_bundle(bun);
    P(victim, "victim");
    static const char *const cases[][2] = {
        /* get's options are not monitor's, nor abbreviations */
        {"m['command']['options'].append({'name': 'every', 'value': '1h'})",
         "option --every is not an option of edbx monitor"},
        {"m['command']['options'].append({'name': 'conf', 'value': VICTIM})",
         "option --conf is not an option of edbx monitor"},
        /* roles never recorded */
        {"m['command']['options'].append({'name': 'state', 'value': VICTIM})",
         "option --state is never recorded"},
        {"m['command']['options'].append({'name': 'explain'})",
         "option --explain is never recorded"},
        /* a configuration outside the bundle */
        {"o = [o for o in m['command']['options'] if o['name'] == 'config'][0]\n"
         "del o['input']; o['value'] = '/etc/passwd'",
         "option --config /etc/passwd names a file the bundle does not hold"},
        {"m['command']['options'].append({'name': 'config', 'value': VICTIM})",
         "names a file the bundle does not hold"},
        /* arguments: a monitor's configurations are options */
        {"m['command']['arguments'].append('SA_ZATTEST1')",
         "edbx monitor is recorded with its configurations as --config options"},
        /* no folder for the outputs */
        {"m['command']['options'] = [o for o in m['command']['options'] if o['name'] != "
         "'output']", "out/monitor.h5 is written by no option"},
        {"o = [o for o in m['command']['options'] if o['name'] == 'output'][0]\n"
         "o['output'] = m['outputs'][0]['name']", "option --output does not write a file"},
        /* values checked as monitor checks them */
        {"m['command']['options'].append({'name': 'plots', 'value': 'exe'})", "--plots exe"},
        {"m['command']['options'].append({'name': 'daily-window', 'value': 'x' * 5000})",
         "longer than 4096 bytes"},
    };
    P(tdir, "t");
    P(rep, "rep");
    ck_assert_int_eq(mkdir(tdir, 0700), 0);
    char tenv[4400];
    snprintf(tenv, sizeof tenv, "TMPDIR=%s", tdir);
    const char *env[] = {tenv, NULL};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char code[16384];
        snprintf(code, sizeof code, "import tarfile\nVICTIM = '%s'\n%s", victim, cases[k][0]);
        P(bad, "bad.tar.gz");
        edit(bun, bad, code);
        const char *args[] = {"replay", bad, "--out", rep, NULL};
        tu_run r;
        int st = run_env(&r, args, env);
        ck_assert_msg(st == 6 && strstr(r.err, cases[k][1]), "case %zu: exit %d, want '%s' in:\n%s",
                      k, st, cases[k][1], r.err);
        tu_run_free(&r);
        ck_assert_msg(!tu_exists(victim), "case %zu wrote %s", k, victim);
        ck_assert_msg(rmdir(tdir) == 0 && mkdir(tdir, 0700) == 0, "case %zu left files", k);
        sh("test ! -e '%s' || test -z \"$(ls -A '%s')\"", rep, rep);
    }
}
END_TEST

static Suite *bundle_suite(void)
{
    Suite *s = suite_create("e2e_bundle");
    TCase *t = tcase_create("e2e_bundle");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_set_timeout(t, 600);
    tcase_add_test(t, every_option_has_a_role_replay_handles);
    tcase_add_test(t, command_text_is_the_query);
    tcase_add_test(t, every_data_option_replays);
    tcase_add_test(t, every_input_option_travels);
    tcase_add_test(t, hostile_manifests_refused);
    tcase_add_test(t, same_run_same_bundle_bytes);
    tcase_add_test(t, without_source_date_epoch_only_times_differ);
    tcase_add_test(t, relative_times_count_from_the_recorded_now);
    tcase_add_test(t, colliding_paths_refused_before_any_request);
    tcase_add_test(t, signals_leave_no_new_output);
    tcase_add_test(t, monitor_bundle_replays);
    tcase_add_test(t, monitor_hostile_manifests_refused);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(bundle_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
