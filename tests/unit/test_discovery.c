/* test_discovery.c: discovery in libedb (edb/discovery.h, portal.c, svc_meta.c, the
 * inventory in cache.c, tables to CSV in meta.c) over real HTTP against edb_server and a
 * tiny raw server on 127.0.0.1: the portal's envelope decoded and refused, its requests
 * exactly, paging, EXECUTING polled and given up on, ERROR turned into a message, the retry
 * classes, the token, the inventory through the cache (fresh, old, damaged, the service
 * down), what path B and EDP answer, and "did you mean" on the real meta.json. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <edb/edb.h>

#include "discovery_internal.h"
#include "testutil.h"
#include "tu_raw.h"

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

/* A client of base with fast backoff, so that retry tests take milliseconds. */
static edb_client *client(const char *base, const char *token, int retries)
{
    edb_client_options o = EDB_CLIENT_OPTIONS_INIT;
    o.base_url = base;
    o.token = token;
    o.retries = retries;
    o.backoff_base_us = 1000;
    o.backoff_cap_us = 4000;
    o.timeout_us = 20000000;
    edb_client *c = NULL;
    ck_assert_int_eq(edb_client_new(&c, &o), EDB_OK);
    return c;
}

static edb_meta *meta(void)
{
    edb_meta *m = NULL;
    ck_assert_int_eq(edb_meta_new(&m), EDB_OK);
    return m;
}

static char *csv_of(const edb_meta *m)
{
    char *csv = NULL;
    size_t len = 0;
    ck_assert_int_eq(edb_meta_format_csv(m, &csv, &len), EDB_OK);
    ck_assert_uint_eq(strlen(csv), len);
    return csv;
}

/* The store the portal serves, with the real inventory excerpt (2,449 names of meta.json
 * and 13 of the excerpt, 12 of them in both: 2,450). */
static edb_server *serve(edb_server_options so, char *base)
{
    static char inv[4096];
    snprintf(inv, sizeof inv, "%s", tu_fixture("mast-inventory-excerpt.csv"));
    if (!so.inventory)
        so.inventory = inv;
    static char store[4096];
    snprintf(store, sizeof store, "%s", tu_fixture("jwst-2021-01-26"));
    return tu_serve(so, store, base);
}

/* ---- the envelope ----------------------------------------------------------------------- */

START_TEST(decode_complete)
{
    static const char body[] =
        "{\"status\":\"COMPLETE\",\"msg\":\"\",\"data\":["
        "{\"tlmMnemonic\":\"IMIR_HK_ICE_SEC_VOLT4\",\"tlmIdentifier\":210961,"
        "\"description\":\"MIR Housekeeping Packet ICE Motor Secondary Voltage 4\","
        "\"sqlDataType\":\"real\",\"subsystem\":\"MIRI\",\"unit\":\"V\",\"extra\":[1]},"
        "{\"tlmMnemonic\":\" sa_zattest1 \",\"tlmIdentifier\":null,\"description\":null,"
        "\"sqlDataType\":\"real\",\"subsystem\":\"ACS\",\"unit\":null,"
        "\"longDescription\":\"two\\nlines\"},"
        "{\"tlmMnemonic\":\"NOT-A-NAME\",\"unit\":\"V\"}],"
        "\"fields\":[{\"name\":\"tlmMnemonic\",\"type\":\"string\"}],"
        "\"paging\":{\"page\":2,\"pageSize\":3,\"pagesFiltered\":5,\"rows\":3,"
        "\"rowsFiltered\":14,\"rowsTotal\":15}}";
    edb_meta *m = meta();
    edb__portal_envelope e;
    char why[400];
    ck_assert_int_eq(edb__portal_decode(body, strlen(body), &e, m, why, sizeof why), 0);
    ck_assert_int_eq(e.status, EDB__PORTAL_COMPLETE);
    ck_assert_str_eq(e.msg, "");
    ck_assert_int_eq(e.page, 2);
    ck_assert_int_eq(e.page_size, 3);
    ck_assert_int_eq(e.pages_filtered, 5);
    ck_assert_int_eq(e.rows, 3);
    ck_assert_int_eq(e.rows_filtered, 14);
    ck_assert_int_eq(e.rows_total, 15);
    ck_assert_uint_eq(e.n_data, 3);
    ck_assert_uint_eq(e.n_skipped, 1);
    ck_assert_uint_eq(edb_meta_count(m), 2);
    char *csv = csv_of(m);
    ck_assert_str_eq(csv, "tlmMnemonic,tlmIdentifier,description,sqlDataType,subsystem,unit,"
                          "longDescription,allPoints,rawType,euType\n"
                          "IMIR_HK_ICE_SEC_VOLT4,210961,MIR Housekeeping Packet ICE Motor "
                          "Secondary Voltage 4,real,MIRI,V,,,,\n"
                          "SA_ZATTEST1,,,real,ACS,,\"two\nlines\",,,\n");
    free(csv);
    edb_meta_free(m);
}
END_TEST

START_TEST(decode_executing_and_error)
{
    edb__portal_envelope e;
    char why[400];
    static const char ex[] = "{\"status\":\"EXECUTING\",\"msg\":\"\",\"data\":[],\"fields\":[]}";
    ck_assert_int_eq(edb__portal_decode(ex, strlen(ex), &e, NULL, why, sizeof why), 0);
    ck_assert_int_eq(e.status, EDB__PORTAL_EXECUTING);
    ck_assert_int_eq(e.pages_filtered, -1);
    /* An ERROR's message is kept, control characters shown as '?'. */
    static const char er[] = "{\"status\":\"ERROR\",\"msg\":\"no\\tsuch service\",\"data\":null}";
    ck_assert_int_eq(edb__portal_decode(er, strlen(er), &e, NULL, why, sizeof why), 0);
    ck_assert_int_eq(e.status, EDB__PORTAL_ERROR);
    ck_assert_str_eq(e.msg, "no?such service");
}
END_TEST

START_TEST(decode_malformed)
{
    static const struct {
        const char *body, *why;
    } cases[] = {
        {"", "the reply is empty (a JSON object expected)"},
        {"<html>", "the reply is not JSON: '[' or '{' expected near '<' (line 1, column 1)"},
        {"[1]", "the reply is not a JSON object"},
        {"{\"msg\":\"\"}", "the reply has no status (COMPLETE, EXECUTING or ERROR)"},
        {"{\"status\":\"DONE\"}",
         "the reply's status is 'DONE' (COMPLETE, EXECUTING or ERROR expected)"},
        {"{\"status\":\"ERROR\",\"msg\":5}", "the reply's msg is not a string"},
        {"{\"status\":\"COMPLETE\",\"data\":[],\"paging\":{\"page\":\"1\"}}",
         "the reply's paging is not an object of whole numbers (page, pageSize, pagesFiltered, "
         "rows, rowsFiltered, rowsTotal)"},
        {"{\"status\":\"COMPLETE\",\"data\":[],\"paging\":{\"rows\":-1}}",
         "the reply's paging is not an object of whole numbers (page, pageSize, pagesFiltered, "
         "rows, rowsFiltered, rowsTotal)"},
        {"{\"status\":\"COMPLETE\",\"data\":{}}", "the COMPLETE reply has no data array"},
        {"{\"status\":\"COMPLETE\"}", "the COMPLETE reply has no data array"},
        {"{\"status\":\"COMPLETE\",\"data\":[{\"tlmMnemonic\":\"SA_ZATTEST1\"},7]}",
         "data[1] is not an object"},
        {"{\"status\":\"COMPLETE\",\"data\":[{\"unit\":\"V\"}]}",
         "data[0] has no tlmMnemonic string"},
        {"{\"status\":\"COMPLETE\",\"data\":[{\"tlmMnemonic\":\"SA_ZATTEST1\",\"unit\":1}]}",
         "data[0] (SA_ZATTEST1): unit is not a string"},
        {"{\"status\":\"COMPLETE\",\"data\":[{\"tlmMnemonic\":\"SA_ZATTEST1\","
         "\"tlmIdentifier\":\"12\"}]}",
         "data[0] (SA_ZATTEST1): tlmIdentifier is not a whole number"},
        {"{\"status\":\"COMPLETE\",\"data\":[{\"tlmMnemonic\":\"SA_ZATTEST1\","
         "\"tlmIdentifier\":-1}]}",
         "data[0] (SA_ZATTEST1): tlmIdentifier is not a whole number"},
        {"{\"status\":\"COMPLETE\",\"status\":\"ERROR\",\"data\":[]}",
         "the reply is not JSON: duplicate object key near '\"status\"' (line 1, column 29)"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        edb_meta *m = meta();
        edb__portal_envelope e;
        char why[400];
        ck_assert_msg(edb__portal_decode(cases[k].body, strlen(cases[k].body), &e, m, why,
                                         sizeof why) == -1, "case %zu", k);
        ck_assert_msg(strcmp(why, cases[k].why) == 0, "case %zu: %s", k, why);
        ck_assert_uint_eq(edb_meta_count(m), 0);
        edb_meta_free(m);
    }
}
END_TEST

START_TEST(form_exact)
{
    edb__buf b = {0};
    ck_assert_int_eq(edb__portal_form("Mast.JwstEdb.Mnemonics", NULL, 50000, 1, &b), 0);
    /* {"service":"Mast.JwstEdb.Mnemonics","params":{},"format":"json","pagesize":50000,
     * "page":1}, every byte but letters, digits and -._~ escaped. */
    ck_assert_str_eq(b.p, "request=%7B%22service%22%3A%22Mast.JwstEdb.Mnemonics%22%2C%22params"
                          "%22%3A%7B%7D%2C%22format%22%3A%22json%22%2C%22pagesize%22%3A50000%2C"
                          "%22page%22%3A1%7D");
    b.len = 0;
    ck_assert_int_eq(edb__portal_form("Mast.JwstEdb.Dictionary", "SA_ZATTEST1", 10, 3, &b), 0);
    ck_assert_str_eq(b.p, "request=%7B%22service%22%3A%22Mast.JwstEdb.Dictionary%22%2C%22params"
                          "%22%3A%7B%22mnemonic%22%3A%22SA_ZATTEST1%22%7D%2C%22format%22%3A%22"
                          "json%22%2C%22pagesize%22%3A10%2C%22page%22%3A3%7D");
    edb__buf_free(&b);
}
END_TEST

/* ---- the portal over HTTP -------------------------------------------------------------- */

START_TEST(inventory_from_the_portal)
{
    char base[TU_BASE_LEN];
    edb_server *srv = serve((edb_server_options)EDB_SERVER_OPTIONS_INIT, base);
    edb_client *c = client(base, NULL, 0);
    edb_meta *m = meta();
    ck_assert_msg(edb_client_inventory(c, NULL, m) == EDB_OK, "%s", edb_client_errmsg(c));
    ck_assert_uint_eq(edb_meta_count(m), 2450);
    ck_assert_uint_eq(edb_server_requests(srv), 1);
    const edb_meta_entry *e = edb_meta_find(m, "IFGS_CTD_AMPLITUDE");
    ck_assert_ptr_nonnull(e);
    ck_assert_str_eq(e->unit, "count/s");
    ck_assert_str_eq(e->description, "FGS Centroid Data Telemetry Guide Star intensity");
    ck_assert_str_eq(e->sqltype, "real");
    ck_assert_str_eq(e->subsystem, "FGS");
    ck_assert_int_eq(e->tlm_identifier, 300306);
    /* From meta.json through the portal: no unit, description or AllPoints there. */
    e = edb_meta_find(m, "SA_ZATTEST1");
    ck_assert_ptr_nonnull(e);
    ck_assert_str_eq(e->subsystem, "ACS");
    ck_assert_str_eq(e->sqltype, "real");
    ck_assert_ptr_null(e->unit);
    ck_assert_int_eq(e->all_points, -1);
    ck_assert_int_eq(e->tlm_identifier, -1);
    /* The excerpt's "None" is no unit. */
    ck_assert_ptr_null(edb_meta_find(m, "SA_ZFGBADCNT")->unit);
    edb_meta_free(m);
    edb_client_free(c);
    edb_server_stop(srv);
}
END_TEST

START_TEST(paging_and_executing)
{
    char base[TU_BASE_LEN];
    edb_server *srv = serve((edb_server_options)EDB_SERVER_OPTIONS_INIT, base);
    edb_client *c = client(base, NULL, 0);
    edb_meta *whole = meta(), *paged = meta();
    ck_assert_int_eq(edb_client_inventory(c, NULL, whole), EDB_OK);
    /* 100 rows a page: 25 pages (2,450 rows), one request each, the same table. */
    edb_discovery_options o = EDB_DISCOVERY_OPTIONS_INIT;
    o.pagesize = 100;
    ck_assert_msg(edb_client_inventory(c, &o, paged) == EDB_OK, "%s", edb_client_errmsg(c));
    ck_assert_uint_eq(edb_server_requests(srv), 1 + 25);
    char *a = csv_of(whole), *b = csv_of(paged);
    ck_assert_str_eq(a, b);
    free(b);
    edb_meta_free(paged);
    edb_client_free(c);
    edb_server_stop(srv);

    /* EXECUTING twice before each page: asked again (the same request), three pages of
     * 1,000, three requests each. */
    edb_server_options so = EDB_SERVER_OPTIONS_INIT;
    so.portal_executing = 2;
    srv = serve(so, base);
    c = client(base, NULL, 0);
    o.pagesize = 1000;
    o.poll_us = 1000;
    paged = meta();
    ck_assert_msg(edb_client_inventory(c, &o, paged) == EDB_OK, "%s", edb_client_errmsg(c));
    ck_assert_uint_eq(edb_server_requests(srv), 3 * 3);
    b = csv_of(paged);
    ck_assert_str_eq(a, b);
    free(a);
    free(b);
    edb_meta_free(paged);
    edb_meta_free(whole);
    edb_client_free(c);
    edb_server_stop(srv);
}
END_TEST

START_TEST(executing_for_ever_given_up)
{
    edb_server_options so = EDB_SERVER_OPTIONS_INIT;
    so.portal_executing = EDB_PORTAL_POLLS_MAX + 5;
    char base[TU_BASE_LEN];
    edb_server *srv = serve(so, base);
    edb_client *c = client(base, NULL, 0);
    edb_discovery_options o = EDB_DISCOVERY_OPTIONS_INIT;
    o.poll_us = 1000; /* waits of 1, 2, 4 ... 16 ms */
    edb_meta *m = meta();
    ck_assert_int_eq(edb_client_inventory(c, &o, m), EDB_ERR_NETWORK);
    char want[300];
    snprintf(want, sizeof want, "Mast.JwstEdb.Mnemonics: the MAST portal was still EXECUTING "
             "the request after %d polls and ", EDB_PORTAL_POLLS_MAX + 1);
    ck_assert_msg(strncmp(edb_client_errmsg(c), want, strlen(want)) == 0, "%s",
                  edb_client_errmsg(c));
    ck_assert_msg(strstr(edb_client_errmsg(c), " s: try again later (POST http://127.0.0.1:"),
                  "%s", edb_client_errmsg(c));
    /* The first answer and every poll, no more. */
    ck_assert_uint_eq(edb_server_requests(srv), EDB_PORTAL_POLLS_MAX + 1);
    ck_assert_uint_eq(edb_meta_count(m), 0);
    edb_meta_free(m);
    edb_client_free(c);
    edb_server_stop(srv);
}
END_TEST

START_TEST(portal_error_and_bad_replies)
{
    char base[TU_BASE_LEN], want[600];
    /* ERROR: the service and the portal's own words. */
    static const char err_body[] = "{\"status\":\"ERROR\",\"msg\":\"Mast.JwstEdb.Mnemonics is "
                                   "down for maintenance\",\"data\":[],\"fields\":[]}";
    tu_raw_reply rr = {200, err_body, sizeof err_body - 1, NULL, NULL, NULL};
    tu_raw *raw = tu_raw_start(&rr, base);
    edb_client *c = client(base, NULL, 3);
    edb_meta *m = meta();
    ck_assert_int_eq(edb_client_inventory(c, NULL, m), EDB_ERR_SERVER);
    snprintf(want, sizeof want, "Mast.JwstEdb.Mnemonics: the MAST portal answered ERROR: "
             "Mast.JwstEdb.Mnemonics is down for maintenance (POST %sapi/v0/invoke)", base);
    ck_assert_str_eq(edb_client_errmsg(c), want);
    ck_assert_uint_eq(tu_raw_requests(raw), 1); /* an answer, not a failure to retry */
    tu_raw_stop(raw);
    edb_client_free(c);
    /* Not JSON: bad data, said with where it came from. */
    static const char html[] = "<html>maintenance</html>";
    rr.body = html;
    rr.len = sizeof html - 1;
    raw = tu_raw_start(&rr, base);
    c = client(base, NULL, 3);
    ck_assert_int_eq(edb_client_inventory(c, NULL, m), EDB_ERR_DATA);
    snprintf(want, sizeof want, "Mast.JwstEdb.Mnemonics: the MAST portal's reply does not "
             "decode: the reply is not JSON: '[' or '{' expected near '<' (line 1, column 1) "
             "(POST %sapi/v0/invoke, page 1)", base);
    ck_assert_str_eq(edb_client_errmsg(c), want);
    ck_assert_uint_eq(tu_raw_requests(raw), 1);
    tu_raw_stop(raw);
    edb_client_free(c);
    /* No portal there (404): final, and said as such. */
    rr.status = 404;
    rr.body = "not found";
    rr.len = 9;
    raw = tu_raw_start(&rr, base);
    c = client(base, NULL, 3);
    ck_assert_int_eq(edb_client_inventory(c, NULL, m), EDB_ERR_NETWORK);
    snprintf(want, sizeof want, "Mast.JwstEdb.Mnemonics: not found: not found (HTTP 404 from "
             "%sapi/v0/invoke); %sapi/v0/invoke does not answer as the MAST portal (POST "
             "api/v0/invoke): check --base-url / ENG_BASE_URL", base, base);
    ck_assert_str_eq(edb_client_errmsg(c), want);
    ck_assert_uint_eq(tu_raw_requests(raw), 1);
    tu_raw_stop(raw);
    edb_client_free(c);
    ck_assert_uint_eq(edb_meta_count(m), 0);
    edb_meta_free(m);
}
END_TEST

START_TEST(retry_classes_and_the_token)
{
    char base[TU_BASE_LEN], want[800];
    /* 503: the full budget (3 retries here, 4 tries). */
    tu_raw_reply rr = {503, "busy", 4, "Retry-After", "0", NULL};
    tu_raw *raw = tu_raw_start(&rr, base);
    edb_client *c = client(base, NULL, 3);
    edb_meta *m = meta();
    ck_assert_int_eq(edb_client_inventory(c, NULL, m), EDB_ERR_SERVER);
    snprintf(want, sizeof want, "Mast.JwstEdb.Mnemonics: the service failed: busy (HTTP 503 "
             "from %sapi/v0/invoke, after 4 tries)", base);
    ck_assert_str_eq(edb_client_errmsg(c), want);
    ck_assert_uint_eq(tu_raw_requests(raw), 4);
    tu_raw_stop(raw);
    edb_client_free(c);
    /* 401: at most 2 more tries; the token the service echoes never shows. */
    static const char echo[] = "token SecretToken123456 refused";
    rr = (tu_raw_reply){401, echo, sizeof echo - 1, NULL, NULL, NULL};
    raw = tu_raw_start(&rr, base);
    c = client(base, "SecretToken123456", 5);
    ck_assert_int_eq(edb_client_inventory(c, NULL, m), EDB_ERR_AUTH);
    ck_assert_uint_eq(tu_raw_requests(raw), 3);
    ck_assert_ptr_null(strstr(edb_client_errmsg(c), "SecretToken123456"));
    ck_assert_msg(strstr(edb_client_errmsg(c), "the MAST token is wrong or expired") &&
                  strstr(edb_client_errmsg(c), "after 3 tries"), "%s", edb_client_errmsg(c));
    tu_raw_stop(raw);
    edb_client_free(c);
    /* A service asking for a wait longer than edbx waits: said at once. */
    rr = (tu_raw_reply){503, "", 0, "Retry-After", "99999", NULL};
    raw = tu_raw_start(&rr, base);
    c = client(base, NULL, 3);
    ck_assert_int_eq(edb_client_inventory(c, NULL, m), EDB_ERR_SERVER);
    ck_assert_msg(strstr(edb_client_errmsg(c), "the service asks to wait 99999 s before trying "
                                               "again, longer than edbx waits (120 s): try "
                                               "again later"), "%s", edb_client_errmsg(c));
    ck_assert_uint_eq(tu_raw_requests(raw), 1);
    tu_raw_stop(raw);
    edb_client_free(c);
    /* The token only over https or to a loopback host: refused before any request. */
    c = client("http://edb.example.org/", "SecretToken123456", 0);
    ck_assert_int_eq(edb_client_inventory(c, NULL, m), EDB_ERR_INSECURE);
    ck_assert_msg(strstr(edb_client_errmsg(c), "refusing to send the MAST token in clear text"),
                  "%s", edb_client_errmsg(c));
    edb_client_free(c);
    ck_assert_uint_eq(edb_meta_count(m), 0);
    /* A server that wants the token takes it as "Authorization: token T" on the portal. */
    edb_server_options so = EDB_SERVER_OPTIONS_INIT;
    so.token = "SecretToken123456";
    edb_server *srv = serve(so, base);
    c = client(base, "SecretToken123456", 0);
    ck_assert_msg(edb_client_inventory(c, NULL, m) == EDB_OK, "%s", edb_client_errmsg(c));
    ck_assert_uint_eq(edb_meta_count(m), 2450);
    edb_client_free(c);
    c = client(base, NULL, 0);
    edb_meta *none = meta();
    ck_assert_int_eq(edb_client_inventory(c, NULL, none), EDB_ERR_AUTH);
    ck_assert_msg(strstr(edb_client_errmsg(c), "the MAST token is missing"), "%s",
                  edb_client_errmsg(c));
    edb_meta_free(none);
    edb_client_free(c);
    edb_server_stop(srv);
    edb_meta_free(m);
}
END_TEST

START_TEST(dictionary_with_long_description)
{
    /* An inventory with longDescription, as Mast.JwstEdb.Dictionary gives it. */
    static const char inv[] = "tlmMnemonic,unit,description,longDescription,subsystem\n"
                              "SA_ZATTEST1,,\"Attitude, element 1\",\"The first element\n"
                              "of the attitude quaternion\",ACS\n";
    char path[4300], base[TU_BASE_LEN];
    snprintf(path, sizeof path, "%s/inv.csv", tmp);
    tu_write_file(path, inv, strlen(inv));
    edb_server_options so = EDB_SERVER_OPTIONS_INIT;
    so.inventory = path;
    edb_server *srv = serve(so, base);
    edb_client *c = client(base, NULL, 0);
    edb_meta *m = meta();
    ck_assert_msg(edb_client_describe(c, NULL, " sa_zattest1", m) == EDB_OK, "%s",
                  edb_client_errmsg(c));
    ck_assert_uint_eq(edb_meta_count(m), 1);
    const edb_meta_entry *e = edb_meta_get(m, 0);
    ck_assert_str_eq(e->mnemonic, "SA_ZATTEST1");
    ck_assert_str_eq(e->description, "Attitude, element 1");
    ck_assert_str_eq(e->long_description, "The first element\nof the attitude quaternion");
    ck_assert_str_eq(e->subsystem, "ACS");
    ck_assert_str_eq(e->sqltype, "real"); /* meta.json fills what the CSV leaves */
    ck_assert_int_eq(edb_client_describe(c, NULL, "SA_ZNOSUCH1", m), EDB_ERR_NOT_FOUND);
    ck_assert_str_eq(edb_client_errmsg(c), "SA_ZNOSUCH1: the MAST portal's "
                                           "Mast.JwstEdb.Dictionary does not list it");
    ck_assert_int_eq(edb_client_describe(c, NULL, "SA-Z", m), EDB_ERR_MNEMONIC);
    ck_assert_uint_eq(edb_server_requests(srv), 2);
    ck_assert_uint_eq(edb_meta_count(m), 1);
    edb_meta_free(m);
    edb_client_free(c);
    edb_server_stop(srv);
}
END_TEST

/* ---- path B and EDP ----------------------------------------------------------------------- */

START_TEST(direct_and_edp_inventories)
{
    edb__svc_conf conf = {"http://h:8/base/", "jwst", NULL, NULL};
    edb__buf u = {0};
    ck_assert_int_eq(edb__direct_inventory_url(&conf, &u, NULL), EDB_OK);
    ck_assert_str_eq(u.p, "http://h:8/base/MetaData/TlmMnemonics/");
    u.len = 0;
    ck_assert_int_eq(edb__edp_inventory_url(&conf, &u, NULL), EDB_OK);
    ck_assert_str_eq(u.p, "http://h:8/base/edp/api/v0.1/mnemonics/spa/jwst/metadata");
    u.len = 0;
    conf.edp_mission = "roman";
    conf.meta_path = "/other/meta";
    ck_assert_int_eq(edb__edp_inventory_url(&conf, &u, NULL), EDB_OK);
    ck_assert_str_eq(u.p, "http://h:8/base/other/meta");
    u.len = 0;
    conf.meta_path = NULL;
    ck_assert_int_eq(edb__edp_inventory_url(&conf, &u, NULL), EDB_OK);
    ck_assert_str_eq(u.p, "http://h:8/base/edp/api/v0.1/mnemonics/spa/roman/metadata");
    u.len = 0;
    ck_assert_int_eq(edb__portal_inventory_url(&conf, &u, NULL), EDB_OK);
    ck_assert_str_eq(u.p, "http://h:8/base/api/v0/invoke");
    edb__buf_free(&u);

    /* What edbx serve answers at those URLs reads as every mnemonic of meta.json, with what
     * path B says beyond the portal (RawType, EUType, AllPoints). */
    char base[TU_BASE_LEN];
    edb_server *srv = serve((edb_server_options)EDB_SERVER_OPTIONS_INIT, base);
    char direct[TU_BASE_LEN + 64];
    snprintf(direct, sizeof direct, "%s" EDB_SERVER_DIRECT_PATH, base);
    for (int edp = 0; edp < 2; edp++) {
        edb_client *c = client(edp ? base : direct, NULL, 0);
        edb__svc_conf cf = {edp ? base : direct, "jwst", NULL, NULL};
        edb__buf url = {0}, body = {0};
        ck_assert_int_eq((edp ? edb__edp_inventory_url : edb__direct_inventory_url)(&cf, &url,
                                                                                  NULL),
                         EDB_OK);
        edb__http_req q = {"inventory", "GET", url.p, NULL, NULL, 0, (size_t)64 << 20};
        long http = 0;
        edb_err err = EDB_ERR_INIT;
        ck_assert_msg(edb__client_http(c, &q, &body, &http, &err) == EDB_OK, "%s", err.msg);
        ck_assert_int_eq(http, 200);
        edb_meta *m = meta();
        ck_assert_msg(edb_meta_load_buffer(m, body.p, body.len, url.p, &err) == EDB_OK, "%s",
                      err.msg);
        ck_assert_uint_eq(edb_meta_count(m), 2449);
        const edb_meta_entry *e = edb_meta_find(m, "SA_ZATTEST1");
        ck_assert_str_eq(e->raw_type, "FL32");
        ck_assert_str_eq(e->eu_type, "FL32");
        ck_assert_str_eq(e->sqltype, "REAL");
        ck_assert_int_eq(e->all_points, 1);
        edb_meta_free(m);
        edb__buf_free(&url);
        edb__buf_free(&body);
        edb_client_free(c);
    }
    ck_assert_uint_eq(edb_server_requests(srv), 2);
    edb_server_stop(srv);
}
END_TEST

/* ---- through the cache ------------------------------------------------------------------- */

#define DAY INT64_C(86400000000)

static edb_cache *open_cache(const char *base, edb_time now)
{
    char dir[4300];
    snprintf(dir, sizeof dir, "%s/cache", tmp);
    edb_cache_options o = EDB_CACHE_OPTIONS_INIT;
    o.dir = dir;
    o.base_url = base;
    o.service = "mast";
    o.now = now;
    edb_cache *c = NULL;
    edb_err err = EDB_ERR_INIT;
    ck_assert_msg(edb_cache_open(&c, &o, &err) == EDB_OK, "%s", err.msg);
    return c;
}

static edb_status load(edb_client *c, edb_cache *cache, edb_time now, int refresh,
                       edb_inventory_info *info, size_t *count, edb_err *err)
{
    edb_inventory_options o = EDB_INVENTORY_OPTIONS_INIT;
    o.cache = cache;
    o.now = now;
    o.refresh = refresh;
    edb_meta *m = meta();
    edb_status st = edb_inventory_load(m, c, &o, info, err);
    *count = edb_meta_count(m);
    edb_meta_free(m);
    return st;
}

typedef struct kinds {
    int inventory, other;
    edb_time stored;
} kinds;

static int count_kinds(void *ctx, const edb_cache_entry_info *e)
{
    kinds *k = ctx;
    if (strcmp(e->kind, "inventory") == 0) {
        k->inventory++;
        k->stored = e->stored;
        ck_assert_str_eq(e->mnemonic, "");
        ck_assert_str_eq(e->service, "mast");
    } else {
        k->other++;
    }
    return 0;
}

static kinds cache_kinds(void)
{
    char dir[4300];
    snprintf(dir, sizeof dir, "%s/cache", tmp);
    kinds k = {0, 0, 0};
    edb_err err = EDB_ERR_INIT;
    ck_assert_int_eq(edb_cache_list(dir, count_kinds, &k, &err), EDB_OK);
    return k;
}

START_TEST(inventory_through_the_cache)
{
    char base[TU_BASE_LEN];
    edb_server *srv = serve((edb_server_options)EDB_SERVER_OPTIONS_INIT, base);
    const edb_time t0 = INT64_C(1700000000000000);
    edb_client *c = client(base, NULL, 0);
    edb_inventory_info info;
    edb_err err = EDB_ERR_INIT;
    size_t n = 0;
    /* Nothing kept: asked, and kept. */
    edb_cache *cache = open_cache(base, t0);
    ck_assert_msg(load(c, cache, t0, 0, &info, &n, &err) == EDB_OK, "%s", err.msg);
    ck_assert_int_eq(info.origin, EDB_INVENTORY_FETCHED);
    ck_assert_int_eq(info.stored, t0);
    ck_assert_uint_eq(info.count, 2450);
    ck_assert_uint_eq(n, 2450);
    ck_assert_int_eq(info.not_stored, 0);
    ck_assert_uint_eq(edb_server_requests(srv), 1);
    kinds k = cache_kinds();
    ck_assert_int_eq(k.inventory, 1);
    ck_assert_int_eq(k.other, 0);
    ck_assert_int_eq(k.stored, t0);
    /* Within 7 days: the copy, no request. */
    ck_assert_int_eq(load(c, cache, t0 + 7 * DAY, 0, &info, &n, &err), EDB_OK);
    ck_assert_int_eq(info.origin, EDB_INVENTORY_CACHED);
    ck_assert_int_eq(info.stored, t0);
    ck_assert_uint_eq(n, 2450);
    ck_assert_uint_eq(edb_server_requests(srv), 1);
    /* --refresh: asked again. */
    ck_assert_int_eq(load(c, cache, t0 + DAY, 1, &info, &n, &err), EDB_OK);
    ck_assert_int_eq(info.origin, EDB_INVENTORY_FETCHED);
    ck_assert_int_eq(info.stored, t0 + DAY);
    ck_assert_uint_eq(edb_server_requests(srv), 2);
    ck_assert_int_eq(cache_kinds().inventory, 1); /* replaced, not added */
    /* Older than 7 days: asked again and replaced. */
    ck_assert_int_eq(load(c, cache, t0 + 9 * DAY, 0, &info, &n, &err), EDB_OK);
    ck_assert_int_eq(info.origin, EDB_INVENTORY_FETCHED);
    ck_assert_uint_eq(edb_server_requests(srv), 3);
    ck_assert_int_eq(cache_kinds().stored, t0 + 9 * DAY);
    /* The service down and the copy old: the copy, saying why. */
    edb_server_stop(srv);
    ck_assert_int_eq(load(c, cache, t0 + 30 * DAY, 0, &info, &n, &err), EDB_OK);
    ck_assert_int_eq(info.origin, EDB_INVENTORY_STALE);
    ck_assert_int_eq(info.stored, t0 + 9 * DAY);
    ck_assert_uint_eq(n, 2450);
    ck_assert_msg(strstr(info.why, "Mast.JwstEdb.Mnemonics: cannot connect: "), "%s", info.why);
    /* ... with --refresh too. */
    ck_assert_int_eq(load(c, cache, t0 + 10 * DAY, 1, &info, &n, &err), EDB_OK);
    ck_assert_int_eq(info.origin, EDB_INVENTORY_STALE);
    edb_cache_free(cache);
    /* No copy and the service down: the service's failure. */
    edb_cache *other = NULL;
    {
        char dir[4300];
        snprintf(dir, sizeof dir, "%s/other", tmp);
        edb_cache_options o = EDB_CACHE_OPTIONS_INIT;
        o.dir = dir;
        o.base_url = base;
        o.now = t0;
        ck_assert_int_eq(edb_cache_open(&other, &o, &err), EDB_OK);
    }
    edb_err e2 = EDB_ERR_INIT;
    ck_assert_int_eq(load(c, other, t0, 0, &info, &n, &e2), EDB_ERR_NETWORK);
    ck_assert_int_eq(info.origin, EDB_INVENTORY_NONE);
    ck_assert_msg(strstr(e2.msg, "Mast.JwstEdb.Mnemonics: cannot connect: "), "%s", e2.msg);
    ck_assert_uint_eq(n, 0);
    edb_cache_free(other);
    edb_client_free(c);
}
END_TEST

static void on_log(void *ctx, const char *line)
{
    snprintf(ctx, 1024, "%s", line);
}

START_TEST(damaged_copy_dropped)
{
    char base[TU_BASE_LEN];
    edb_server *srv = serve((edb_server_options)EDB_SERVER_OPTIONS_INIT, base);
    const edb_time t0 = INT64_C(1700000000000000);
    edb_client *c = client(base, NULL, 0);
    edb_inventory_info info;
    edb_err err = EDB_ERR_INIT;
    size_t n = 0;
    edb_cache *cache = open_cache(base, t0);
    ck_assert_int_eq(load(c, cache, t0, 0, &info, &n, &err), EDB_OK);
    edb_cache_free(cache);
    /* One byte of the compressed copy flipped: its checksum no longer holds. */
    char cmd[8800];
    snprintf(cmd, sizeof cmd, "cd '%s/cache' && p=$(find v1 -name '*.z') && /usr/bin/python3 -c "
             "\"import sys; p=sys.argv[1]; b=bytearray(open(p,'rb').read()); b[-9]^=1; "
             "open(p,'wb').write(b)\" $p", tmp);
    ck_assert_int_eq(system(cmd), 0);
    char dir[4300], logged[1024] = "";
    snprintf(dir, sizeof dir, "%s/cache", tmp);
    edb_cache_options o = EDB_CACHE_OPTIONS_INIT;
    o.dir = dir;
    o.base_url = base;
    o.now = t0;
    o.log = on_log;
    o.log_ctx = logged;
    ck_assert_int_eq(edb_cache_open(&cache, &o, &err), EDB_OK);
    char *data = NULL;
    size_t len = 0;
    edb_time stored = 0;
    ck_assert_int_eq(edb_cache_inventory_get(cache, &data, &len, &stored, &err), EDB_ERR_NOT_FOUND);
    ck_assert_msg(strstr(logged, "cache: dropped a damaged inventory (") &&
                  strstr(logged, ": its data is damaged)") + strlen(": its data is damaged)") ==
                      logged + strlen(logged), "%s", logged);
    ck_assert_ptr_null(data);
    ck_assert_int_eq(cache_kinds().inventory, 0); /* removed */
    /* So the next load asks the service and keeps a good copy again. */
    ck_assert_int_eq(load(c, cache, t0 + DAY, 0, &info, &n, &err), EDB_OK);
    ck_assert_int_eq(info.origin, EDB_INVENTORY_FETCHED);
    ck_assert_uint_eq(edb_server_requests(srv), 2);
    ck_assert_int_eq(edb_cache_inventory_get(cache, &data, &len, &stored, &err), EDB_OK);
    ck_assert_int_eq(stored, t0 + DAY);
    ck_assert_uint_eq(len, strlen(data));
    ck_assert_msg(strncmp(data, "tlmMnemonic,tlmIdentifier,description,sqlDataType,subsystem,"
                                "unit,longDescription,allPoints,rawType,euType\n", 95) == 0,
                  "%.200s", data);
    free(data);
    edb_cache_free(cache);
    edb_client_free(c);
    edb_server_stop(srv);
}
END_TEST

/* ---- a store, did you mean, tables as CSV --------------------------------------------------- */

START_TEST(store_meta_as_inventory)
{
    edb_store *s = NULL;
    edb_err err = EDB_ERR_INIT;
    ck_assert_int_eq(edb_store_open(&s, tu_fixture("jwst-2021-01-26"), &err), EDB_OK);
    edb_meta *m = meta();
    ck_assert_int_eq(edb_store_load_meta(s, m, &err), EDB_OK);
    ck_assert_uint_eq(edb_meta_count(m), 2449);
    ck_assert_int_eq(edb_meta_find(m, "INRSI_GWA_Y_TILT_AVGED")->all_points, 1);
    edb_store_free(s);
    edb_meta_free(m);
    /* A store of saved replies has no meta.json. */
    ck_assert_int_eq(edb_store_open(&s, tu_fixture("mast-csv"), &err), EDB_OK);
    m = meta();
    ck_assert_int_eq(edb_store_load_meta(s, m, &err), EDB_ERR_NOT_FOUND);
    ck_assert_uint_eq(edb_meta_count(m), 0);
    edb_store_free(s);
    edb_meta_free(m);
}
END_TEST

START_TEST(did_you_mean_on_the_real_meta_json)
{
    edb_meta *m = meta();
    edb_err err = EDB_ERR_INIT;
    char path[4096];
    snprintf(path, sizeof path, "%s/meta.json", tu_fixture("jwst-2021-01-26"));
    ck_assert_msg(edb_meta_load_file(m, path, &err) == EDB_OK, "%s", err.msg);
    ck_assert_uint_eq(edb_meta_count(m), 2449);
    /* Expected lists computed apart, by a Python implementation of the same rule over the
     * same 2,449 names (the optimal string alignment distance, the limits by length, the
     * prefix rule, ties in name order). */
    static const struct {
        const char *name;
        const char *want[3];
    } cases[] = {
        {"SA_ZATTEST", {"SA_ZATTEST1", "SA_ZATTEST2", "SA_ZATTEST3"}},
        {"sa_zattest1x", {"SA_ZATTEST1", "SA_ZATTEST2", "SA_ZATTEST3"}},
        {"SA_ZATEST1", {"SA_ZATTEST1", "SA_ZATTEST2", "SA_ZATTEST3"}},
        {"SA_ZATTSET1", {"SA_ZATTEST1", "SA_ZATTEST2", "SA_ZATTEST3"}},
        {"INRSI_GWA_Y_TILT_AVG", {"INRSI_GWA_Y_TILT_AVGED", "INRSI_GWA_X_TILT_AVGED"}},
        {"INRSI_GWA_TILT_AVGED", {"INRSI_GWA_X_TILT_AVGED", "INRSI_GWA_Y_TILT_AVGED"}},
        {"SA_ZFGDETIDX", {"SA_ZFGDETID"}},
        {"S_ZFGDETID", {"SA_ZFGDETID"}},
        {"SA_ZRFGS2J12X", {"SA_ZRFGS2J12", "SA_ZRFGS2J11", "SA_ZRFGS2J13"}},
        {"IMIR_HK_ICE_SEC_VOLT", {"IMIR_HK_ICE_SEC_VOLT1", "IMIR_HK_ICE_SEC_VOLT2",
                                  "IMIR_HK_ICE_SEC_VOLT3"}},
        {"ZZZZZ", {"ZZZZZZ"}},
        {"SA_Z", {"SA_ZDDCTGT", "SA_ZFGPSFX", "SA_ZFGPSFY"}},
        {"FGDP_SCTA_OFFSET", {"FGDP_SCTA_OFFSET_D"}},
        {"QQQQQQQQQQQQ", {NULL}},
        {"IGDP_NRSI_C_CAL_CALIB", {NULL}},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        const char *got[3] = {NULL, NULL, NULL};
        size_t n = edb_meta_suggest(m, cases[k].name, got, 3);
        size_t want_n = 0;
        while (want_n < 3 && cases[k].want[want_n])
            want_n++;
        ck_assert_msg(n == want_n, "%s: %zu names, want %zu", cases[k].name, n, want_n);
        for (size_t j = 0; j < n; j++)
            ck_assert_msg(strcmp(got[j], cases[k].want[j]) == 0, "%s: #%zu is %s, want %s",
                          cases[k].name, j, got[j], cases[k].want[j]);
    }
    /* Fewer asked, fewer given: the nearest. */
    const char *one[1];
    ck_assert_uint_eq(edb_meta_suggest(m, "SA_ZRFGS2J12X", one, 1), 1);
    ck_assert_str_eq(one[0], "SA_ZRFGS2J12");
    /* Nothing to compare with. */
    ck_assert_uint_eq(edb_meta_suggest(m, "", one, 1), 0);
    edb_meta_free(m);
}
END_TEST

START_TEST(tables_to_csv_and_back)
{
    edb_meta *m = meta();
    edb_err err = EDB_ERR_INIT;
    edb_meta_entry e = EDB_META_ENTRY_INIT;
    e.mnemonic = "SA_ZB";
    e.unit = "degC";
    e.description = "a \"quoted\", two-part\r\ndescription";
    e.sqltype = "VARCHAR(50)";
    e.subsystem = "EPS";
    e.all_points = 0;
    e.tlm_identifier = 42;
    e.long_description = " leading blank";
    e.raw_type = "CS";
    e.eu_type = "DS";
    edb_meta_entry a = EDB_META_ENTRY_INIT;
    a.mnemonic = "SA_ZA";
    a.all_points = 1;
    edb_meta_entry v[] = {e, a, {.mnemonic = "BAD NAME", .all_points = -1, .tlm_identifier = -1}};
    size_t skipped = 0;
    ck_assert_int_eq(edb_meta_add_entries(m, v, 3, &skipped, &err), EDB_OK);
    ck_assert_uint_eq(skipped, 1);
    char *csv = csv_of(m);
    ck_assert_str_eq(csv, "tlmMnemonic,tlmIdentifier,description,sqlDataType,subsystem,unit,"
                          "longDescription,allPoints,rawType,euType\n"
                          "SA_ZA,,,,,,,1,,\n"
                          "SA_ZB,42,\"a \"\"quoted\"\", two-part\r\ndescription\",VARCHAR(50),"
                          "EPS,degC, leading blank,0,CS,DS\n");
    edb_meta *back = meta();
    ck_assert_msg(edb_meta_load_buffer(back, csv, strlen(csv), "t.csv", &err) == EDB_OK, "%s",
                  err.msg);
    char *again = csv_of(back);
    ck_assert_str_eq(again, csv);
    const edb_meta_entry *b = edb_meta_find(back, "SA_ZB");
    ck_assert_str_eq(b->description, "a \"quoted\", two-part\r\ndescription");
    ck_assert_int_eq(b->all_points, 0);
    /* allPoints other than 0, 1 or nothing is refused, naming the line. */
    static const char bad[] = "tlmMnemonic,allPoints\nSA_ZA,1\nSA_ZB,yes\n";
    edb_meta *x = meta();
    ck_assert_int_eq(edb_meta_load_buffer(x, bad, strlen(bad), "t.csv", &err), EDB_ERR_DATA);
    ck_assert_str_eq(err.msg, "t.csv: line 3: allPoints 'yes' is not 0 (change-only) or 1 "
                              "(every sample)");
    ck_assert_uint_eq(edb_meta_count(x), 0);
    free(csv);
    free(again);
    edb_meta_free(x);
    edb_meta_free(back);
    edb_meta_free(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("discovery");
    TCase *t = tcase_create("discovery");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_set_timeout(t, 120);
    tcase_add_test(t, decode_complete);
    tcase_add_test(t, decode_executing_and_error);
    tcase_add_test(t, decode_malformed);
    tcase_add_test(t, form_exact);
    tcase_add_test(t, inventory_from_the_portal);
    tcase_add_test(t, paging_and_executing);
    tcase_add_test(t, executing_for_ever_given_up);
    tcase_add_test(t, portal_error_and_bad_replies);
    tcase_add_test(t, retry_classes_and_the_token);
    tcase_add_test(t, dictionary_with_long_description);
    tcase_add_test(t, direct_and_edp_inventories);
    tcase_add_test(t, inventory_through_the_cache);
    tcase_add_test(t, damaged_copy_dropped);
    tcase_add_test(t, store_meta_as_inventory);
    tcase_add_test(t, did_you_mean_on_the_real_meta_json);
    tcase_add_test(t, tables_to_csv_and_back);
    suite_add_tcase(s, t);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
