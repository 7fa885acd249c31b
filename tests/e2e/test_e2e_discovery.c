/* test_e2e_discovery.c: `edbx search`, `edbx info`, the inventory cache and metadata in
 * every output, end to end against edb_server on 127.0.0.1 (docs/discovery.md).
 *
 * Two stores: the real recording (its meta.json, 2,449 names) with the real inventory
 * excerpt (fixtures/mast-inventory-excerpt.csv; 2,450 names in all), for search and info;
 * the synthetic MIRI store with its inventory (fixtures/miri-2024-03*), whose units and
 * descriptions the outputs must carry, read back with astropy, h5py and pandas.  Expected
 * names and counts were computed apart from edbx (Python over the same files). */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <edb/edb.h>

#include "testutil.h"
#include "tu_raw.h"

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

/* The real recording and the real excerpt. */
static void serve_real(int executing)
{
    static char inv[4096], store[4096];
    snprintf(inv, sizeof inv, "%s", tu_fixture("mast-inventory-excerpt.csv"));
    snprintf(store, sizeof store, "%s", tu_fixture("jwst-2021-01-26"));
    edb_server_options so = EDB_SERVER_OPTIONS_INIT;
    so.inventory = inv;
    so.portal_executing = executing;
    srv = tu_serve(so, store, base);
}

static void serve_miri(void)
{
    static char inv[4096], store[4096];
    snprintf(inv, sizeof inv, "%s", tu_fixture("miri-2024-03-inventory.csv"));
    snprintf(store, sizeof store, "%s", tu_fixture("miri-2024-03"));
    edb_server_options so = EDB_SERVER_OPTIONS_INIT;
    so.inventory = inv;
    srv = tu_serve(so, store, base);
}

/* edbx with args (NULL-terminated), HOME in tmp (its cache there), our server as the EDB. */
static int run(tu_run *r, const char *const *args)
{
    return tu_edbx_run(r, tmp, base, args, NULL);
}

static int run_env(tu_run *r, const char *const *args, const char *env1)
{
    const char *env[] = {env1, NULL};
    return tu_edbx_run(r, tmp, base, args, env);
}

static const char *in_tmp(const char *name)
{
    return tu_path(tmp, name);
}

/* Run a Python check with two arguments; fails the test with its output. */
static void python(const char *script, const char *a1, const char *a2)
{
    char path[4300];
    snprintf(path, sizeof path, "%s/check.py", tmp);
    tu_write_file(path, script, strlen(script));
    const char *argv[] = {"/usr/bin/python3", path, a1, a2 ? a2 : "", NULL};
    tu_run r;
    int st = tu_run_cmd(&r, argv, NULL);
    ck_assert_msg(st == 0, "python: exit %d\n%s%s", st, r.out, r.err);
    tu_run_free(&r);
}

/* ---- search ------------------------------------------------------------------------------ */

START_TEST(search_finds_and_says_how_many)
{
    serve_real(0);
    tu_run r;
    /* Not a terminal: tab-separated, no header; the count on stderr. */
    const char *a1[] = {"search", "SA_ZATTEST*", NULL};
    ck_assert_int_eq(run(&r, a1), 0);
    ck_assert_str_eq(r.out, "SA_ZATTEST1\tACS\treal\t\t\t\n"
                            "SA_ZATTEST2\tACS\treal\t\t\t\n"
                            "SA_ZATTEST3\tACS\treal\t\t\t\n"
                            "SA_ZATTEST4\tACS\treal\t\t\t\n");
    ck_assert_str_eq(r.err, "edbx: 4 of 2450 mnemonics match\n");
    tu_run_free(&r);
    ck_assert_uint_eq(edb_server_requests(srv), 1);
    /* Any case; without * ? [ a substring; filters combine. */
    const char *a2[] = {"search", "ifgs_ctd", "--unit", "count/s", NULL};
    ck_assert_int_eq(run(&r, a2), 0);
    ck_assert_str_eq(r.out, "IFGS_CTD_AMPLITUDE\tFGS\treal\tcount/s\t\tFGS Centroid Data "
                            "Telemetry Guide Star intensity\n");
    ck_assert_str_eq(r.err, "edbx: 1 of 2450 mnemonics matches\n");
    tu_run_free(&r);
    const char *a3[] = {"search", "--desc", "guide star.*POSITION", "--subsystem", "fgs", NULL};
    ck_assert_int_eq(run(&r, a3), 0);
    ck_assert_str_eq(r.out, "IFGS_CTDGS_X\tFGS\treal\tasec\t\tFGS Centroid Data Telemetry "
                            "Guide Star x position\n"
                            "IFGS_CTDGS_Y\tFGS\treal\tasec\t\tFGS Centroid Data Telemetry "
                            "Guide Star y position\n");
    tu_run_free(&r);
    const char *a4[] = {"search", "--regex", "^sa_zattest[13]$", NULL};
    ck_assert_int_eq(run(&r, a4), 0);
    ck_assert_str_eq(r.out, "SA_ZATTEST1\tACS\treal\t\t\t\nSA_ZATTEST3\tACS\treal\t\t\t\n");
    tu_run_free(&r);
    /* Counted apart: 383 names of subsystem FGS, 644 of MIRI. */
    const char *a5[] = {"search", "--subsystem", "FGS", "-q", NULL};
    ck_assert_int_eq(run(&r, a5), 0);
    size_t lines = 0;
    for (const char *p = r.out; (p = strchr(p, '\n')); p++)
        lines++;
    ck_assert_uint_eq(lines, 383);
    ck_assert_str_eq(r.err, "");
    tu_run_free(&r);
    const char *a6[] = {"search", "--subsystem", "MIRI", NULL};
    ck_assert_int_eq(run(&r, a6), 0);
    ck_assert_str_eq(r.err, "edbx: 644 of 2450 mnemonics match\n");
    tu_run_free(&r);
    /* None: exit 1, as grep. */
    const char *a7[] = {"search", "NO_SUCH_THING*", NULL};
    ck_assert_int_eq(run(&r, a7), 1);
    ck_assert_str_eq(r.out, "");
    ck_assert_str_eq(r.err, "edbx: 0 of 2450 mnemonics match\n");
    tu_run_free(&r);
    /* The inventory was asked once: every search after the first read the cache. */
    ck_assert_uint_eq(edb_server_requests(srv), 1);
    /* The aligned table, as a terminal would get it. */
    const char *a8[] = {"search", "IFGS_CTDGS_?", "--format", "table", NULL};
    ck_assert_int_eq(run_env(&r, a8, "COLUMNS=200"), 0);
    ck_assert_str_eq(r.out,
                     "NAME          SUBSYSTEM  TYPE  UNIT  DESCRIPTION\n"
                     "IFGS_CTDGS_X  FGS        real  asec  FGS Centroid Data Telemetry Guide Star "
                     "x position\n"
                     "IFGS_CTDGS_Y  FGS        real  asec  FGS Centroid Data Telemetry Guide Star "
                     "y position\n");
    tu_run_free(&r);
    /* Narrow: the description is cut to fit. */
    ck_assert_int_eq(run_env(&r, a8, "COLUMNS=60"), 0);
    ck_assert_str_eq(r.out,
                     "NAME          SUBSYSTEM  TYPE  UNIT  DESCRIPTION\n"
                     "IFGS_CTDGS_X  FGS        real  asec  FGS Centroid Data Te...\n"
                     "IFGS_CTDGS_Y  FGS        real  asec  FGS Centroid Data Te...\n");
    tu_run_free(&r);
}
END_TEST

START_TEST(search_formats)
{
    serve_real(0);
    tu_run r;
    const char *a1[] = {"search", "IFGS_CTDGS_*", "--format", "csv", NULL};
    ck_assert_int_eq(run(&r, a1), 0);
    static const char want[] =
        "tlmMnemonic,tlmIdentifier,description,sqlDataType,subsystem,unit,longDescription,"
        "allPoints,rawType,euType\n"
        "IFGS_CTDGS_X,300304,FGS Centroid Data Telemetry Guide Star x position,real,FGS,asec,,,,\n"
        "IFGS_CTDGS_Y,300305,FGS Centroid Data Telemetry Guide Star y position,real,FGS,asec,,,,\n";
    ck_assert_str_eq(r.out, want);
    tu_run_free(&r);
    /* What --format csv writes, get --meta reads. */
    tu_write_file(in_tmp("found.csv"), want, strlen(want));
    const char *a2[] = {"info", "IFGS_CTDGS_X", "--meta", in_tmp("found.csv"), "--format", "json",
                        NULL};
    ck_assert_int_eq(run(&r, a2), 0);
    tu_write_file(in_tmp("info.json"), r.out, r.out_len);
    tu_run_free(&r);
    python("import json, sys\n"
           "j = json.load(open(sys.argv[1]))\n"
           "assert j[0]['unit'] == {'value': 'asec', 'source': '--meta ' + sys.argv[2]}, j\n",
           in_tmp("info.json"), in_tmp("found.csv"));
    const char *a3[] = {"search", "--regex", "^(IFGS_CTD_AMPLITUDE|SA_ZATTEST1)$", "--format",
                        "json", NULL};
    ck_assert_int_eq(run(&r, a3), 0);
    tu_write_file(in_tmp("s.json"), r.out, r.out_len);
    tu_run_free(&r);
    python("import json, sys\n"
           "j = json.load(open(sys.argv[1]))\n"
           "assert j == [{'tlmMnemonic': 'IFGS_CTD_AMPLITUDE', 'tlmIdentifier': 300306,\n"
           "  'description': 'FGS Centroid Data Telemetry Guide Star intensity',\n"
           "  'sqlDataType': 'real', 'subsystem': 'FGS', 'unit': 'count/s',\n"
           "  'longDescription': None, 'allPoints': None, 'rawType': None, 'euType': None},\n"
           " {'tlmMnemonic': 'SA_ZATTEST1', 'tlmIdentifier': None, 'description': None,\n"
           "  'sqlDataType': 'real', 'subsystem': 'ACS', 'unit': None, 'longDescription': None,\n"
           "  'allPoints': None, 'rawType': None, 'euType': None}], j\n",
           in_tmp("s.json"), NULL);
    /* Usage errors, exit 2, no request. */
    unsigned long before = edb_server_requests(srv);
    static const struct {
        const char *args[8];
        const char *err;
    } bad[] = {
        {{"search", NULL}, "edbx: name a PATTERN ('IMIR_HK_ICE*') or a filter (--desc, "
                           "--subsystem, --unit); '*' lists every mnemonic\n"},
        {{"search", "A", "B", NULL}, "edbx: one PATTERN at most (quote it: 'IMIR_HK_ICE*'); to "
                                     "combine, use --regex 'A|B'\n"},
        {{"search", "--regex", "a(", NULL},
         "edbx: PATTERN 'a(': not an extended regular expression: Unmatched ( or \\(\n"},
        {{"search", "X", "--format", "xml", NULL},
         "edbx: unknown --format 'xml' (table, tsv, csv or json)\n"},
        {{"search", "X", "--token", "t", NULL},
         "edbx: the token is never taken on the command line (it would show in ps and in "
         "shell history): put it in a file and use --token-file FILE, or set MAST_API_TOKEN\n"},
        {{"search", "X", "--inventory-max-age", "0s", NULL},
         "edbx: --inventory-max-age: give a duration longer than 0 (e.g. 1d, 12h)\n"},
        {{"info", NULL}, "edbx: name at least one mnemonic, e.g. edbx info "
                         "IMIR_HK_ICE_SEC_VOLT4\n"},
        {{"info", "SA-ZATTEST1", NULL}, NULL},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        ck_assert_msg(run(&r, bad[k].args) == 2, "case %zu: %s", k, r.err);
        if (bad[k].err)
            ck_assert_str_eq(r.err, bad[k].err);
        else
            ck_assert_msg(strstr(r.err, "invalid mnemonic 'SA-ZATTEST1'"), "%s", r.err);
        tu_run_free(&r);
    }
    ck_assert_uint_eq(edb_server_requests(srv), before);
}
END_TEST

/* The portal makes clients poll (EXECUTING twice) and fails (ERROR): the same inventory
 * after three requests; the portal's own words, exit 5. */
START_TEST(portal_polled_and_its_error_said)
{
    serve_real(2);
    tu_run r;
    const char *a1[] = {"search", "SA_ZATTEST*", NULL};
    ck_assert_int_eq(run(&r, a1), 0);
    ck_assert_str_eq(r.err, "edbx: 4 of 2450 mnemonics match\n");
    tu_run_free(&r);
    ck_assert_uint_eq(edb_server_requests(srv), 3);
    edb_server_stop(srv);
    srv = NULL;
    static const char err_body[] = "{\"status\":\"ERROR\",\"msg\":\"Mast.JwstEdb.Mnemonics "
                                   "is down for maintenance\",\"data\":[],\"fields\":[]}";
    tu_raw_reply rr = {200, err_body, sizeof err_body - 1, NULL, NULL, NULL};
    tu_raw *raw = tu_raw_start(&rr, base);
    const char *a2[] = {"search", "SA_ZATTEST*", "--no-cache", NULL};
    ck_assert_int_eq(run(&r, a2), 5);
    char want[600];
    snprintf(want, sizeof want, "edbx: Mast.JwstEdb.Mnemonics: the MAST portal answered ERROR: "
             "Mast.JwstEdb.Mnemonics is down for maintenance (POST %sapi/v0/invoke)\n", base);
    ck_assert_str_eq(r.err, want);
    ck_assert_str_eq(r.out, "");
    tu_run_free(&r);
    ck_assert_uint_eq(tu_raw_requests(raw), 1);
    tu_raw_stop(raw);
}
END_TEST

/* A local store: its meta.json is the inventory, with what path B says (AllPoints). */
START_TEST(search_and_info_of_a_store)
{
    tu_run r;
    const char *a1[] = {"search", "SA_ZATTEST[12]", "--source", tu_fixture("jwst-2021-01-26"),
                        NULL};
    ck_assert_int_eq(run(&r, a1), 0);
    ck_assert_str_eq(r.out, "SA_ZATTEST1\tACS\treal\t\tno\t\nSA_ZATTEST2\tACS\treal\t\tno\t\n");
    ck_assert_str_eq(r.err, "edbx: 2 of 2449 mnemonics match\n");
    tu_run_free(&r);
    const char *a2[] = {"info", "SA_ZATTEST1", "--source", tu_fixture("jwst-2021-01-26"), NULL};
    ck_assert_int_eq(run(&r, a2), 0);
    ck_assert_str_eq(r.out, "SA_ZATTEST1\n"
                            "  description       -\n"
                            "  long description  -\n"
                            "  unit              -\n"
                            "  subsystem         ACS\n"
                            "  SQL type          REAL\n"
                            "  raw type          FL32\n"
                            "  EU type           FL32\n"
                            "  tlmIdentifier     -\n"
                            "  change-only       no (every sample)\n");
    tu_run_free(&r);
    /* A store of saved replies has no meta.json to search. */
    const char *a3[] = {"search", "X", "--source", tu_fixture("mast-csv"), NULL};
    ck_assert_int_eq(run(&r, a3), 2);
    char want[4400];
    snprintf(want, sizeof want, "edbx: --source %s holds saved replies and no meta.json: "
             "nothing to search (search a store in the jwst layout, or the service)\n",
             tu_fixture("mast-csv"));
    ck_assert_str_eq(r.err, want);
    tu_run_free(&r);
}
END_TEST

/* ---- info ---------------------------------------------------------------------------------- */

START_TEST(info_merges_and_says_where_from)
{
    serve_real(0);
    tu_run r;
    const char *a1[] = {"info", "ifgs_ctd_amplitude", NULL};
    ck_assert_int_eq(run(&r, a1), 0);
    ck_assert_str_eq(r.out, "IFGS_CTD_AMPLITUDE\n"
                            "  description       FGS Centroid Data Telemetry Guide Star intensity\n"
                            "  long description  -\n"
                            "  unit              count/s\n"
                            "  subsystem         FGS\n"
                            "  SQL type          real\n"
                            "  raw type          -\n"
                            "  EU type           -\n"
                            "  tlmIdentifier     300306\n"
                            "  change-only       -\n");
    ck_assert_str_eq(r.err, "");
    tu_run_free(&r);
    /* The inventory once, and Mast.JwstEdb.Dictionary for the name. */
    ck_assert_uint_eq(edb_server_requests(srv), 2);
    /* A --meta file comes first; each field says where it came from. */
    static const char mine[] = "tlmMnemonic,unit,description\nIFGS_CTD_AMPLITUDE,ct/s,\n";
    tu_write_file(in_tmp("mine.csv"), mine, strlen(mine));
    const char *a2[] = {"info", "IFGS_CTD_AMPLITUDE", "SA_ZATTEST", "SA_ZATTEST2", "--meta",
                        in_tmp("mine.csv"), "--format", "json", NULL};
    ck_assert_int_eq(run(&r, a2), 3);
    char want[1000];
    snprintf(want, sizeof want, "edbx: SA_ZATTEST: no such mnemonic in Mast.JwstEdb.Mnemonics "
             "from %s (cached ", base);
    ck_assert_msg(strncmp(r.err, want, strlen(want)) == 0 &&
                  strstr(r.err, "Z); did you mean SA_ZATTEST1, SA_ZATTEST2, SA_ZATTEST3?\n") &&
                  strchr(r.err, '\n') == r.err + strlen(r.err) - 1, "%s", r.err);
    tu_write_file(in_tmp("info.json"), r.out, r.out_len);
    tu_run_free(&r);
    char both[4400];
    snprintf(both, sizeof both, "%s|%s", base, in_tmp("mine.csv"));
    python("import json, sys\n"
           "j = json.load(open(sys.argv[1]))\n"
           "base, meta = sys.argv[2].split('|')\n"
           "d = 'Mast.JwstEdb.Dictionary from ' + base\n"
           "assert [x['mnemonic'] for x in j] == ['IFGS_CTD_AMPLITUDE', 'SA_ZATTEST2'], j\n"
           "a = j[0]\n"
           "assert a['known'] is True\n"
           "assert a['unit'] == {'value': 'ct/s', 'source': '--meta ' + meta}, a\n"
           "assert a['description'] == {'value': 'FGS Centroid Data Telemetry Guide Star "
           "intensity', 'source': d}, a\n"
           "assert a['tlmIdentifier'] == {'value': 300306, 'source': d}, a\n"
           "assert a['subsystem'] == {'value': 'FGS', 'source': d}, a\n"
           "assert a['longDescription'] is None and a['allPoints'] is None, a\n"
           "b = j[1]\n"
           "assert b['subsystem'] == {'value': 'ACS', 'source': d}, b\n"
           "assert b['unit'] is None, b\n",
           in_tmp("info.json"), both);
}
END_TEST

/* ---- the inventory cache -------------------------------------------------------------------- */

START_TEST(inventory_cache_expiry_and_stale_fallback)
{
    serve_real(0);
    tu_run r;
    const char *a1[] = {"search", "SA_ZATTEST1", NULL};
    ck_assert_int_eq(run(&r, a1), 0);
    tu_run_free(&r);
    ck_assert_uint_eq(edb_server_requests(srv), 1);
    /* edbx cache list shows it; size counts it. */
    const char *ls[] = {"cache", "list", NULL};
    ck_assert_int_eq(run(&r, ls), 0);
    /* (inventory) and its what, each in its column: 26 and 47 characters. */
    char head[200];
    snprintf(head, sizeof head, "(inventory)%16severy mnemonic the service lists%17sstored ", "",
             "");
    ck_assert_msg(strncmp(r.out, head, strlen(head)) == 0, "%s", r.out);
    char tail[200];
    snprintf(tail, sizeof tail, " raw)  mast %.*s\n", (int)strlen(base) - 1, base);
    ck_assert_msg(strstr(r.out, tail), "%s", r.out);
    tu_run_free(&r);
    /* --refresh asks again; a young copy is used; an old one is asked again. */
    const char *a2[] = {"search", "SA_ZATTEST1", "--refresh", NULL};
    ck_assert_int_eq(run(&r, a2), 0);
    tu_run_free(&r);
    ck_assert_uint_eq(edb_server_requests(srv), 2);
    const char *a3[] = {"search", "SA_ZATTEST1", "--inventory-max-age", "1h", NULL};
    ck_assert_int_eq(run(&r, a3), 0);
    tu_run_free(&r);
    ck_assert_uint_eq(edb_server_requests(srv), 2);
    sleep(2);
    const char *a4[] = {"search", "SA_ZATTEST1", "--inventory-max-age", "1s", NULL};
    ck_assert_int_eq(run(&r, a4), 0);
    ck_assert_str_eq(r.err, "edbx: 1 of 2450 mnemonics matches\n");
    tu_run_free(&r);
    ck_assert_uint_eq(edb_server_requests(srv), 3);
    /* The service down, the copy old: used, with a warning that says so. */
    sleep(2);
    edb_server_stop(srv);
    srv = NULL;
    const char *a5[] = {"search", "SA_ZATTEST1", "--inventory-max-age", "1s", "--retries", "0",
                        NULL};
    ck_assert_int_eq(run(&r, a5), 0);
    ck_assert_str_eq(r.out, "SA_ZATTEST1\tACS\treal\t\t\t\n");
    ck_assert_msg(strncmp(r.err, "edbx: warning: using the copy of Mast.JwstEdb.Mnemonics "
                                 "cached ", 62) == 0 &&
                  strstr(r.err, "because the service could not be asked: "
                                "Mast.JwstEdb.Mnemonics: cannot connect: ") &&
                  strstr(r.err, "\nedbx: 1 of 2450 mnemonics matches\n"), "%s", r.err);
    tu_run_free(&r);
    /* No copy at all (another cache): the service's failure, exit 5. */
    const char *a6[] = {"search", "SA_ZATTEST1", "--cache", in_tmp("empty"), "--retries", "0",
                        NULL};
    ck_assert_int_eq(run(&r, a6), 5);
    ck_assert_msg(strstr(r.err, "edbx: Mast.JwstEdb.Mnemonics: cannot connect: "), "%s", r.err);
    ck_assert_str_eq(r.out, "");
    tu_run_free(&r);
    /* edbx cache clear removes it with the replies. */
    const char *cl[] = {"cache", "clear", NULL};
    ck_assert_int_eq(run(&r, cl), 0);
    ck_assert_msg(strncmp(r.out, "removed 1 file (", 16) == 0, "%s", r.out);
    tu_run_free(&r);
}
END_TEST

/* The portal fails (503, no retry) but the data does not: get writes the data, with the
 * units of the old copy and a warning; with no copy at all, without them. */
START_TEST(get_never_fails_for_metadata)
{
    serve_miri();
    tu_run r;
    const char *a1[] = {"get", "IMIR_HK_ICE_SEC_VOLT4", "--start", "2024-03-01T00:00",
                        "--end", "2024-03-01T00:30", "-o", in_tmp("a.ecsv"), NULL};
    ck_assert_msg(run(&r, a1) == 0, "%s", r.err);
    tu_run_free(&r);
    unsigned port = edb_server_port(srv);
    edb_server_stop(srv);
    static char inv[4096], store[4096];
    snprintf(inv, sizeof inv, "%s", tu_fixture("miri-2024-03-inventory.csv"));
    snprintf(store, sizeof store, "%s", tu_fixture("miri-2024-03"));
    edb_server_options so = EDB_SERVER_OPTIONS_INIT;
    so.inventory = inv;
    so.port = port; /* the same base URL: the same copy in the cache */
    so.fault_status = 503;
    so.fault_count = 1;
    srv = tu_serve(so, store, base);
    sleep(2);
    const char *a2[] = {"get", "IMIR_HK_ICE_SEC_VOLT4", "--start", "2024-03-01T00:00",
                        "--end", "2024-03-01T00:30", "-o", in_tmp("b.ecsv"),
                        "--inventory-max-age", "1s", "--retries", "0", NULL};
    ck_assert_msg(run(&r, a2) == 0, "%s", r.err);
    ck_assert_msg(strncmp(r.err, "edbx: warning: using the copy of Mast.JwstEdb.Mnemonics "
                                 "cached ", 62) == 0 &&
                  strstr(r.err, "Mast.JwstEdb.Mnemonics: the service failed: ") &&
                  strchr(r.err, '\n') == r.err + strlen(r.err) - 1, "%s", r.err);
    tu_run_free(&r);
    char *a = tu_read_file(in_tmp("a.ecsv"), NULL), *b = tu_read_file(in_tmp("b.ecsv"), NULL);
    ck_assert_str_eq(a, b);
    ck_assert_ptr_nonnull(strstr(a, "description: \"ICE Secondary Voltage 4\""));
    free(a);
    free(b);
    /* No copy (no cache): the data without the metadata, and a warning. */
    edb_server_stop(srv);
    so.fault_count = 1;
    srv = tu_serve(so, store, base);
    const char *a3[] = {"get", "IMIR_HK_ICE_SEC_VOLT4", "--start", "2024-03-01T00:00",
                        "--end", "2024-03-01T00:30", "-o", in_tmp("c.ecsv"), "--no-cache",
                        "--retries", "0", NULL};
    ck_assert_msg(run(&r, a3) == 0, "%s", r.err);
    ck_assert_msg(strncmp(r.err, "edbx: warning: Mast.JwstEdb.Mnemonics: the service failed: ",
                          59) == 0 &&
                  strstr(r.err, "; going on without the service's units, descriptions and "
                                "subsystems (--no-meta does not ask)\n"), "%s", r.err);
    tu_run_free(&r);
    char *c = tu_read_file(in_tmp("c.ecsv"), NULL);
    ck_assert_ptr_null(strstr(c, "ICE Secondary Voltage 4"));
    free(c);
}
END_TEST

/* ---- unknown names ------------------------------------------------------------------------ */

START_TEST(unknown_names_caught_before_any_data_request)
{
    serve_real(0);
    tu_run r;
    const char *a1[] = {"get", "SA_ZATTEST1", "sa_zattest", "INRSI_GWA_Y_TILT_AVG", "--start",
                        "2021-01-26T02:30:00", "--end", "2021-01-26T02:31:00", "-o",
                        in_tmp("x.csv"), NULL};
    ck_assert_int_eq(run(&r, a1), 3);
    char l1[600], l2[600];
    snprintf(l1, sizeof l1, "edbx: SA_ZATTEST: no such mnemonic in Mast.JwstEdb.Mnemonics from "
             "%s (fetched ", base);
    snprintf(l2, sizeof l2, "edbx: INRSI_GWA_Y_TILT_AVG: no such mnemonic in "
             "Mast.JwstEdb.Mnemonics from %s (fetched ", base);
    const char *second = strchr(r.err, '\n');
    ck_assert_msg(second && strncmp(r.err, l1, strlen(l1)) == 0 &&
                  strncmp(second + 1, l2, strlen(l2)) == 0, "%s", r.err);
    ck_assert_msg(strstr(r.err, "Z); did you mean SA_ZATTEST1, SA_ZATTEST2, SA_ZATTEST3?\n") &&
                  strstr(r.err, "Z); did you mean INRSI_GWA_Y_TILT_AVGED, "
                                "INRSI_GWA_X_TILT_AVGED?\n"), "%s", r.err);
    ck_assert(!tu_exists(in_tmp("x.csv")));
    /* One request: the inventory.  No data request. */
    ck_assert_uint_eq(edb_server_requests(srv), 1);
    tu_run_free(&r);
    /* A cached inventory that lacks a name is asked again before the name is refused. */
    const char *a2[] = {"get", "SA_ZNOSUCH", "--start", "2021-01-26T02:30:00", "-o",
                        in_tmp("x.csv"), NULL};
    ck_assert_int_eq(run(&r, a2), 3);
    ck_assert_uint_eq(edb_server_requests(srv), 2);
    tu_run_free(&r);
}
END_TEST

/* ---- metadata in every output ------------------------------------------------------------- */

START_TEST(metadata_in_every_format)
{
    serve_miri();
    tu_run r;
    const char *names[] = {"IMIR_HK_ICE_SEC_VOLT1", "IMIR_HK_ICE_SEC_VOLT4", NULL};
    static const char *const exts[] = {"fits", "ecsv", "h5", "csv"};
    for (int stats = 0; stats < 2; stats++)
        for (size_t k = 0; k < 4; k++) {
            char out[64];
            snprintf(out, sizeof out, "%s.%s", stats ? "stats" : "raw", exts[k]);
            const char *args[20];
            size_t n = 0;
            args[n++] = "get";
            for (const char *const *m = names; *m; m++)
                args[n++] = *m;
            const char *more[] = {"--start", "2024-03-01T00:00", "--end", "2024-03-01T06:00",
                                  "-o", in_tmp(out), NULL};
            for (const char *const *m = more; *m; m++)
                args[n++] = *m;
            if (stats) {
                args[n++] = "--every";
                args[n++] = "1h";
                args[n++] = "--stats";
                args[n++] = "mean,std,count";
            }
            if (k == 3)
                args[n++] = "--header-comments";
            args[n] = NULL;
            ck_assert_msg(run(&r, args) == 0, "%s: %s", out, r.err);
            ck_assert_str_eq(r.err, "");
            tu_run_free(&r);
        }
    /* Read back by the tools scientists use. */
    python(
        "import sys, warnings\n"
        "import h5py, pandas, numpy\n"
        "from astropy.table import Table\n"
        "from astropy.io import fits\n"
        "warnings.simplefilter('ignore')\n"
        "d = sys.argv[1]\n"
        "V1, V4 = 'IMIR_HK_ICE_SEC_VOLT1', 'IMIR_HK_ICE_SEC_VOLT4'\n"
        "desc = {V1: 'ICE Secondary Voltage (HV) 1', V4: 'ICE Secondary Voltage 4'}\n"
        "# FITS, raw: one table per mnemonic; TUNIT, EUNIT, TCOMM, TSUBS of VALUE (3)\n"
        "with fits.open(d + '/raw.fits') as f:\n"
        "    for m in (V1, V4):\n"
        "        h = f[m].header\n"
        "        assert (h['TUNIT3'], h['EUNIT3'], h['TCOMM3'], h['TSUBS3']) == "
        "('V', 'V', desc[m], 'MIRI'), repr(h)\n"
        "    t = Table.read(d + '/raw.fits', hdu=V4)\n"
        "    assert str(t['VALUE'].unit) == 'V'\n"
        "# FITS, statistics: _count has no unit, _mean and _std the mnemonic's\n"
        "with fits.open(d + '/stats.fits') as f:\n"
        "    h = f['RESAMPLED'].header\n"
        "    cols = {h['TTYPE%d' % i]: i for i in range(3, h['TFIELDS'] + 1)}\n"
        "    for m in (V1, V4):\n"
        "        for s in ('mean', 'std', 'count'):\n"
        "            i = cols[m + '_' + s]\n"
        "            assert h.get('TUNIT%d' % i) == (None if s == 'count' else 'V'), (m, s)\n"
        "            assert h['TSUBS%d' % i] == 'MIRI' and h['TCOMM%d' % i] == desc[m]\n"
        "# ECSV: units, descriptions, the subsystem in meta\n"
        "t = Table.read(d + '/raw.ecsv')\n"
        "mm = t.meta['mnemonics']\n"
        "for m in (V1, V4):\n"
        "    assert (mm[m]['unit'], mm[m]['edb_unit'], mm[m]['description'], mm[m]['subsystem']) "
        "== ('V', 'V', desc[m], 'MIRI'), mm[m]\n"
        "t = Table.read(d + '/stats.ecsv')\n"
        "for m in (V1, V4):\n"
        "    for s in ('mean', 'std', 'count'):\n"
        "        c = t[m + '_' + s]\n"
        "        assert (str(c.unit) if c.unit else None) == (None if s == 'count' else 'V'), (m, s)\n"
        "        assert c.description == desc[m] and c.meta['subsystem'] == 'MIRI'\n"
        "# HDF5: attributes for h5py, the column meta for astropy\n"
        "with h5py.File(d + '/raw.h5') as f:\n"
        "    for m in (V1, V4):\n"
        "        a = f['raw/' + m].attrs\n"
        "        assert (a['unit'], a['description'], a['subsystem']) == ('V', desc[m], 'MIRI'), "
        "dict(a)\n"
        "t = Table.read(d + '/raw.h5', path='raw/' + V4)\n"
        "assert str(t['value'].unit) == 'V' and t['value'].meta['subsystem'] == 'MIRI'\n"
        "t = Table.read(d + '/stats.h5', path='resampled')\n"
        "for m in (V1, V4):\n"
        "    for s in ('mean', 'std', 'count'):\n"
        "        c = t[m + '_' + s]\n"
        "        assert (str(c.unit) if c.unit else None) == (None if s == 'count' else 'V')\n"
        "        assert c.description == desc[m] and c.meta['subsystem'] == 'MIRI'\n"
        "# CSV with --header-comments: pandas reads past the comments\n"
        "lines = [l for l in open(d + '/raw.csv') if l.startswith('#')]\n"
        "assert '# mnemonic %s [V] (subsystem MIRI): %s\\n' % (V4, desc[V4]) in lines, lines\n"
        "p = pandas.read_csv(d + '/raw.csv', comment='#')\n"
        "assert list(p.columns) == ['time', 'mjd', 'mnemonic', 'value']\n"
        "lines = [l for l in open(d + '/stats.csv') if l.startswith('#')]\n"
        "assert '# column %s_count (subsystem MIRI): %s (count of %s)\\n' % (V4, desc[V4], V4) "
        "in lines, lines\n"
        "assert '# column %s_std [V] (subsystem MIRI): %s (std of %s)\\n' % (V4, desc[V4], V4) "
        "in lines, lines\n"
        "p = pandas.read_csv(d + '/stats.csv', comment='#')\n"
        "# the samples of the range, counted from the store's own file\n"
        "import json, datetime\n"
        "t0 = datetime.datetime(2024, 3, 1, tzinfo=datetime.timezone.utc).timestamp() * 1000\n"
        "obs = [int(x['ObsTime'][6:19]) for x in json.load(open(sys.argv[2] + "
        "'/imir_hk_ice_sec_volt4_data.json'))['Data']]\n"
        "n = sum(1 for ms in obs if t0 <= ms <= t0 + 6 * 3600000)\n"
        "# six hourly bins, the last closed at the end (06:00 counts in it)\n"
        "assert len(p) == 6 and p[V4 + '_count'].sum() == n, (len(p), p[V4 + '_count'].sum(), n)\n",
        tmp, tu_fixture("miri-2024-03"));
    /* Eight runs, three requests: the inventory and the two mnemonics, once; then the cache. */
    ck_assert_uint_eq(edb_server_requests(srv), 3);
}
END_TEST

/* --meta wins over the service; --no-meta asks nothing and writes none of it. */
START_TEST(meta_wins_and_no_meta_asks_nothing)
{
    serve_miri();
    static const char mine[] = "tlmMnemonic,unit,description\n"
                               "IMIR_HK_ICE_SEC_VOLT4,mV,my own words\n";
    tu_write_file(in_tmp("mine.csv"), mine, strlen(mine));
    tu_run r;
    const char *a1[] = {"get", "IMIR_HK_ICE_SEC_VOLT4", "--start", "2024-03-01T00:00", "--end",
                        "2024-03-01T00:30", "-o", in_tmp("m.ecsv"), "--meta", in_tmp("mine.csv"),
                        NULL};
    ck_assert_msg(run(&r, a1) == 0, "%s", r.err);
    tu_run_free(&r);
    char *t = tu_read_file(in_tmp("m.ecsv"), NULL);
    ck_assert_ptr_nonnull(strstr(t, "#       unit: \"mV\"\n#       edb_unit: \"mV\"\n"
                                    "#       description: \"my own words\"\n"
                                    "#       subsystem: \"MIRI\"\n"));
    free(t);
    unsigned long before = edb_server_requests(srv);
    const char *a2[] = {"get", "IMIR_HK_ICE_SEC_VOLT4", "--start", "2024-03-01T00:00", "--end",
                        "2024-03-01T00:30", "-o", in_tmp("n.ecsv"), "--no-meta", "--no-cache",
                        NULL};
    ck_assert_msg(run(&r, a2) == 0, "%s", r.err);
    tu_run_free(&r);
    ck_assert_uint_eq(edb_server_requests(srv), before + 1); /* the data, nothing else */
    t = tu_read_file(in_tmp("n.ecsv"), NULL);
    ck_assert_ptr_null(strstr(t, "edb_unit"));
    ck_assert_ptr_null(strstr(t, "subsystem"));
    ck_assert_ptr_null(strstr(t, "ICE Secondary"));
    free(t);
}
END_TEST

/* ---- bundles -------------------------------------------------------------------------------- */

START_TEST(bundle_replays_the_inventory_offline)
{
    serve_miri();
    tu_run r;
    const char *a1[] = {"get", "IMIR_HK_ICE_SEC_VOLT1", "IMIR_HK_ICE_SEC_VOLT4", "--start",
                        "2024-03-01T00:00", "--end", "2024-03-01T06:00", "--every", "1h",
                        "--stats", "mean,count", "-o", in_tmp("ice.fits"), "--bundle",
                        in_tmp("b.tar.gz"), NULL};
    ck_assert_msg(run(&r, a1) == 0, "%s", r.err);
    tu_run_free(&r);
    /* The inventory's entries of the run travel in the bundle as what replay reads. */
    python("import json, sys, tarfile\n"
           "t = tarfile.open(sys.argv[1])\n"
           "m = json.loads(t.extractfile('manifest.json').read())\n"
           "o = [o for o in m['command']['options'] if o['name'] == 'recorded-inventory']\n"
           "assert o == [{'name': 'recorded-inventory', 'value': 'edbx-inventory.csv',\n"
           "              'input': 'in/1-edbx-inventory.csv'}], o\n"
           "assert 'recorded-inventory' not in m['command_line']\n"
           "got = t.extractfile('in/1-edbx-inventory.csv').read().decode()\n"
           "assert got == ('tlmMnemonic,tlmIdentifier,description,sqlDataType,subsystem,unit,'\n"
           "  'longDescription,allPoints,rawType,euType\\n'\n"
           "  'IMIR_HK_ICE_SEC_VOLT1,900003,ICE Secondary Voltage (HV) 1,real,MIRI,V,,,,\\n'\n"
           "  'IMIR_HK_ICE_SEC_VOLT4,900004,ICE Secondary Voltage 4,real,MIRI,V,,,,\\n'), got\n",
           in_tmp("b.tar.gz"), NULL);
    /* The service gone: the replay gives the same bytes, units and all. */
    edb_server_stop(srv);
    srv = NULL;
    const char *a2[] = {"replay", in_tmp("b.tar.gz"), "--out", in_tmp("rep"), NULL};
    ck_assert_msg(run(&r, a2) == 0, "%s%s", r.out, r.err);
    ck_assert_msg(strncmp(r.out, "out/ice.fits: identical (", 25) == 0, "%s", r.out);
    tu_run_free(&r);
    python("import sys\n"
           "from astropy.io import fits\n"
           "h = fits.open(sys.argv[1])['RESAMPLED'].header\n"
           "assert h['TTYPE3'] == 'IMIR_HK_ICE_SEC_VOLT1_mean' and h['TUNIT3'] == 'V'\n"
           "assert h['TCOMM3'] == 'ICE Secondary Voltage (HV) 1' and h['TSUBS3'] == 'MIRI'\n",
           in_tmp("rep/ice.fits"), NULL);
}
END_TEST

/* ---- the other services --------------------------------------------------------------------- */

/* Path B and EDP list their inventory themselves (MetaData/TlmMnemonics/, .../metadata). */
START_TEST(search_and_info_through_direct_and_edp)
{
    serve_real(0);
    static const char *const apis[] = {"direct", "edp"};
    for (int k = 0; k < 2; k++) {
        tu_run r;
        char b[TU_BASE_LEN + 64];
        snprintf(b, sizeof b, "%s%s", base, k == 0 ? EDB_SERVER_DIRECT_PATH : "");
        const char *a1[] = {"search", "SA_ZATTEST[12]", "--api", apis[k], "--base-url", b, NULL};
        /* Path B's metadata says AllPoints: the change-only column is known. */
        ck_assert_msg(run(&r, a1) == 0, "%s", r.err);
        ck_assert_str_eq(r.out, "SA_ZATTEST1\tACS\treal\t\tno\t\n"
                                "SA_ZATTEST2\tACS\treal\t\tno\t\n");
        ck_assert_str_eq(r.err, "edbx: 2 of 2449 mnemonics match\n");
        tu_run_free(&r);
        const char *a2[] = {"info", "SA_ZATTEST1", "--api", apis[k], "--base-url", b, "--format",
                            "json", NULL};
        ck_assert_msg(run(&r, a2) == 0, "%s", r.err);
        tu_write_file(in_tmp("i.json"), r.out, r.out_len);
        tu_run_free(&r);
        python("import json, sys\n"
               "a = json.load(open(sys.argv[1]))[0]\n"
               "assert a['rawType']['value'] == 'FL32' and a['allPoints']['value'] == 1, a\n"
               "assert a['allPoints']['source'].startswith('the metadata of the '), a\n",
               in_tmp("i.json"), NULL);
        /* Where nothing is listed, not this service: said so, exit 5. */
        char wrong[TU_BASE_LEN + 64];
        snprintf(wrong, sizeof wrong, "%snothing/here/", base);
        const char *a3[] = {"search", "X", "--api", apis[k], "--base-url", wrong, "--no-cache",
                            NULL};
        ck_assert_int_eq(run(&r, a3), 5);
        ck_assert_msg(strstr(r.err, " does not answer as the EDB's ") &&
                      strstr(r.err, " service: check --base-url / ENG_BASE_URL and --api\n"),
                      "%s", r.err);
        tu_run_free(&r);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("e2e_discovery");
    TCase *t = tcase_create("discovery");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_set_timeout(t, 240);
    tcase_add_test(t, search_finds_and_says_how_many);
    tcase_add_test(t, search_formats);
    tcase_add_test(t, portal_polled_and_its_error_said);
    tcase_add_test(t, search_and_info_of_a_store);
    tcase_add_test(t, info_merges_and_says_where_from);
    tcase_add_test(t, inventory_cache_expiry_and_stale_fallback);
    tcase_add_test(t, get_never_fails_for_metadata);
    tcase_add_test(t, unknown_names_caught_before_any_data_request);
    tcase_add_test(t, metadata_in_every_format);
    tcase_add_test(t, meta_wins_and_no_meta_asks_nothing);
    tcase_add_test(t, bundle_replays_the_inventory_offline);
    tcase_add_test(t, search_and_info_through_direct_and_edp);
    suite_add_tcase(s, t);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
