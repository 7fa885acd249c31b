/* test_serve_services.c: `edbx serve` (edb/server.c) as path B, the EDP API and the MAST
 * portal, over real HTTP on 127.0.0.1.
 *
 * Expected bodies are computed here from the fixture files themselves, with jansson and
 * this file's own formatting (times with gmtime_r, numbers as the shortest %.Ng that
 * reads back), never by the library; the portal's rows from the inventory excerpt are
 * written out by hand. */
#include <check.h>
#include <inttypes.h>
#include <jansson.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <edb/edb.h>

#include "http_client.h"
#include "testutil.h"

#define BP "/" EDB_SERVER_DIRECT_PATH
#define EDP "/edp/api/v0.1/mnemonics/spa/jwst/"
/* 2021-01-26T02:29:02Z and 02:29:03Z in ms (date -u -d 2021-01-26T02:29:02Z +%s) */
#define A_MS INT64_C(1611628142000)
#define B_MS INT64_C(1611628143000)

static const char *store_path(void)
{
    static char buf[4096];
    snprintf(buf, sizeof buf, "%s", tu_fixture("jwst-2021-01-26"));
    return buf;
}

static edb_server *start(edb_server_options *o)
{
    if (!o->store)
        o->store = store_path();
    edb_server *s = NULL;
    edb_err e = EDB_ERR_INIT;
    ck_assert_msg(edb_server_start(&s, o, &e) == EDB_OK, "edb_server_start: %s", e.msg);
    return s;
}

static void get(edb_server *s, const char *path, http_res *r)
{
    http_port(edb_server_port(s), path, NULL, r);
}

/* The portal: POST the form request=<json>, as astroquery does (its json.dumps spacing). */
static void invoke(edb_server *s, const char *json, const http_req *extra, http_res *r)
{
    char *esc = url_escape(json);
    size_t n = strlen(esc) + 16;
    char *body = malloc(n);
    snprintf(body, n, "request=%s", esc);
    http_req q = {0};
    if (extra)
        q = *extra;
    q.body = body;
    q.ctype = "application/x-www-form-urlencoded";
    http_port(edb_server_port(s), "/api/v0/invoke", &q, r);
    free(body);
    free(esc);
}

static json_t *parse(const http_res *r)
{
    json_error_t je;
    json_t *j = json_loadb(r->body, r->len, 0, &je);
    ck_assert_msg(j != NULL, "not JSON (%s): %.300s", je.text, r->body);
    return j;
}

/* ---- the independent formatter ---------------------------------------------------------- */

/* The shortest %.Ng (N = 1..17) that reads back as v. */
static void shortest(double v, char *out, size_t n)
{
    for (int p = 1; p <= 17; p++) {
        snprintf(out, n, "%.*g", p, v);
        if (strtod(out, NULL) == v)
            return;
    }
}

static int64_t obstime_ms(const char *s)
{
    ck_assert_msg(strncmp(s, "/Date(", 6) == 0, "ObsTime %s", s);
    return strtoll(s + 6, NULL, 10);
}

static void iso_ms(int64_t ms, char *out, size_t n)
{
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    char d[24];
    strftime(d, sizeof d, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, n, "%.19s.%03d", d, (int)(ms % 1000));
}

static json_t *fixture_json(const char *file)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", store_path(), file);
    json_error_t je;
    json_t *j = json_load_file(path, 0, &je);
    ck_assert_msg(j != NULL, "%s: %s", path, je.text);
    return j;
}

/* meta.json's entry for name (borrowed from root), or NULL. */
static json_t *meta_entry(json_t *root, const char *name)
{
    json_t *list = json_object_get(root, "TlmMnemonics");
    for (size_t k = 0; k < json_array_size(list); k++) {
        json_t *e = json_array_get(list, k);
        if (strcmp(json_string_value(json_object_get(e, "TlmMnemonic")), name) == 0)
            return e;
    }
    return NULL;
}

/* The B (edp = 0) or EDP (edp = 1) reply for a mnemonic of the fixture over [a_ms, b_ms]:
 * the samples inside plus one on each side. */
static char *expected_data(int edp, const char *name, const char *lower, int64_t a_ms, int64_t b_ms)
{
    char file[200];
    snprintf(file, sizeof file, "%s_data.json", lower);
    json_t *root = fixture_json(file), *meta = fixture_json("meta.json");
    json_t *data = json_object_get(root, "Data");
    size_t n = json_array_size(data), lo = n, hi = 0, first_after = n;
    for (size_t k = 0; k < n; k++) {
        int64_t ms = obstime_ms(json_string_value(json_object_get(json_array_get(data, k), "ObsTime")));
        if (ms >= a_ms && ms <= b_ms) {
            if (lo == n)
                lo = k;
            hi = k + 1;
        }
        if (ms > b_ms && first_after == n)
            first_after = k;
    }
    if (lo == n) { /* nothing inside: the neighbours only */
        lo = hi = first_after;
    }
    if (lo > 0)
        lo--;
    if (hi < n)
        hi++;
    int ap = (int)json_integer_value(json_object_get(meta_entry(meta, name), "AllPoints"));
    int is_real = strcmp(json_string_value(json_object_get(meta_entry(meta, name), "SQLType")),
                         "REAL") == 0;
    size_t cap = 512 + (hi - lo) * 96, len = 0;
    char *out = malloc(cap);
    char a[40], b[40];
    if (edp) {
        iso_ms(a_ms, a, sizeof a);
        iso_ms(b_ms, b, sizeof b);
        len += (size_t)snprintf(out, cap, "{\"TlmMnemonic\":\"%s\",\"ReqSTime\":\"%s\",\"ReqETime\":"
                                "\"%s\",\"Count\":%zu,\"AllPoints\":%d,\"Data\":[",
                                name, a, b, hi - lo, ap);
    } else {
        len += (size_t)snprintf(out, cap, "{\"TlmMnemonic\":\"%s\",\"AllPoints\":%d,\"Count\":%zu,"
                                "\"ReqSTime\":\"/Date(%" PRId64 "+0000)/\",\"ReqETime\":\"/Date(%"
                                PRId64 "+0000)/\",\"Data\":[",
                                name, ap, hi - lo, a_ms, b_ms);
    }
    for (size_t k = lo; k < hi; k++) {
        json_t *e = json_array_get(data, k), *v = json_object_get(e, "EUValue");
        int64_t ms = obstime_ms(json_string_value(json_object_get(e, "ObsTime")));
        char val[64], t[40];
        if (json_is_integer(v) && !is_real)
            snprintf(val, sizeof val, "%" PRId64, (int64_t)json_integer_value(v));
        else
            shortest(json_number_value(v), val, sizeof val);
        if (edp) {
            iso_ms(ms, t, sizeof t);
            len += (size_t)snprintf(out + len, cap - len, "%s{\"ObsTime\":\"%s\",\"EUValue\":%s}",
                                    k > lo ? "," : "", t, val);
        } else {
            len += (size_t)snprintf(out + len, cap - len,
                                    "%s{\"ObsTime\":\"/Date(%" PRId64 "+0000)/\",\"EUValue\":%s}",
                                    k > lo ? "," : "", ms, val);
        }
    }
    snprintf(out + len, cap - len, "]}");
    json_decref(root);
    json_decref(meta);
    return out;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* B's metadata for names containing sub (upper case), from meta.json, in name order. */
static char *expected_meta(const char *sub)
{
    json_t *meta = fixture_json("meta.json");
    json_t *list = json_object_get(meta, "TlmMnemonics");
    size_t n = json_array_size(list), m = 0;
    const char **names = malloc(n * sizeof *names);
    for (size_t k = 0; k < n; k++) {
        const char *nm = json_string_value(json_object_get(json_array_get(list, k), "TlmMnemonic"));
        if (strstr(nm, sub))
            names[m++] = nm;
    }
    qsort(names, m, sizeof *names, cmp_str);
    size_t cap = 256 + m * 200, len = 0;
    char *out = malloc(cap);
    len += (size_t)snprintf(out, cap, "{\"Count\":%zu,\"TlmMnemonics\":[", m);
    for (size_t k = 0; k < m; k++) {
        json_t *e = meta_entry(meta, names[k]);
        len += (size_t)snprintf(out + len, cap - len,
                                "%s{\"TlmMnemonic\":\"%s\",\"Subsystem\":\"%s\",\"RawType\":\"%s\","
                                "\"EUType\":\"%s\",\"SQLType\":\"%s\",\"AllPoints\":%d}",
                                k ? "," : "", names[k],
                                json_string_value(json_object_get(e, "Subsystem")),
                                json_string_value(json_object_get(e, "RawType")),
                                json_string_value(json_object_get(e, "EUType")),
                                json_string_value(json_object_get(e, "SQLType")),
                                (int)json_integer_value(json_object_get(e, "AllPoints")));
    }
    snprintf(out + len, cap - len, "]}");
    free(names);
    json_decref(meta);
    return out;
}

static void expect_body(edb_server *s, const char *path, const char *want)
{
    http_res r;
    get(s, path, &r);
    ck_assert_msg(r.rc == CURLE_OK && r.code == 200, "%s -> %ld (%d) %.300s", path, r.code,
                  (int)r.rc, r.body);
    ck_assert(has_header(&r, "Content-Type: application/json"));
    ck_assert_int_eq(r.clen, (curl_off_t)r.len);
    ck_assert_msg(strcmp(r.body, want) == 0, "%s:\n got %.400s\nwant %.400s", path, r.body, want);
    http_free(&r);
}

/* ---- path B and EDP data ---------------------------------------------------------------- */

START_TEST(direct_data)
{
    edb_server_options o = EDB_SERVER_OPTIONS_INIT;
    edb_server *s = start(&o);
    char *want = expected_data(0, "SA_ZATTEST1", "sa_zattest1", A_MS, B_MS);
    /* SA_ZATTEST1 starts at 02:29:02.147: 4 inside, the one after, none before */
    json_t *j = json_loads(want, 0, NULL);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "Count")), 5);
    json_decref(j);
    /* jwst sends astropy's .iso (a space, which requests escapes as %20) */
    expect_body(s, BP "Data/SA_ZATTEST1?sTime=2021-01-26%2002:29:02.000&eTime=2021-01-26%2002:29:03.000",
                want);
    expect_body(s, BP "Data/sa_zattest1?sTime=2021-01-26T02:29:02&eTime=2021-01-26T02:29:03Z", want);
    expect_body(s, BP "Data/SA_ZATTEST1?sTime=2021-01-26+02:29:02&eTime=2021-01-26%2002:29:03.000000",
                want);
    free(want);
    /* in the middle, integer and whole-number real series, and a range far from the data */
    want = expected_data(0, "SA_ZATTEST1", "sa_zattest1", A_MS + 58000, B_MS + 58000);
    expect_body(s, BP "Data/SA_ZATTEST1?sTime=2021-01-26T02:30:00&eTime=2021-01-26T02:30:01", want);
    free(want);
    want = expected_data(0, "SA_ZFGDETID", "sa_zfgdetid", A_MS, A_MS + 60000);
    expect_body(s, BP "Data/SA_ZFGDETID?sTime=2021-01-26T02:29:02&eTime=2021-01-26T02:30:02", want);
    free(want);
    want = expected_data(0, "INRSI_GWA_Y_TILT_AVGED", "inrsi_gwa_y_tilt_avged", A_MS, B_MS);
    ck_assert_msg(strstr(want, "\"EUValue\":0}"), "%s", want); /* a whole real, as an integer */
    expect_body(s, BP "Data/INRSI_GWA_Y_TILT_AVGED?sTime=2021-01-26T02:29:02&eTime=2021-01-26T02:29:03",
                want);
    free(want);
    want = expected_data(0, "SA_ZATTEST1", "sa_zattest1", INT64_C(1577836800000),
                         INT64_C(1577836801000));
    expect_body(s, BP "Data/SA_ZATTEST1?sTime=2020-01-01&eTime=2020-01-01T00:00:01", want);
    free(want);
    ck_assert_uint_eq(edb_server_requests(s), 7);
    edb_server_stop(s);
}
END_TEST

START_TEST(edp_data)
{
    edb_server_options o = EDB_SERVER_OPTIONS_INIT;
    edb_server *s = start(&o);
    char *want = expected_data(1, "SA_ZATTEST1", "sa_zattest1", A_MS, B_MS);
    /* romancal's form (whole seconds), any mission segment */
    expect_body(s, EDP "data?mnemonic=SA_ZATTEST1&s_time=2021-01-26T02:29:02&e_time=2021-01-26T02:29:03",
                want);
    expect_body(s, "/edp/api/v0.1/mnemonics/spa/roman/data?mnemonic=sa_zattest1"
                   "&s_time=2021-01-26T02:29:02&e_time=2021-01-26T02:29:03", want);
    free(want);
    want = expected_data(1, "SA_ZFGDETID", "sa_zfgdetid", A_MS, A_MS + 60000);
    expect_body(s, EDP "data?mnemonic=SA_ZFGDETID&s_time=2021-01-26T02:29:02&e_time=2021-01-26T02:30:02",
                want);
    free(want);
    edb_server_stop(s);
}
END_TEST

/* A store of saved path A replies (fixtures/mast-csv: no meta.json) answers B and EDP from
 * the samples of its replies, inside the range they cover. */
START_TEST(replies_store)
{
    edb_server_options o = EDB_SERVER_OPTIONS_INIT;
    char dir[4200];
    snprintf(dir, sizeof dir, "%s", tu_fixture("mast-csv"));
    o.store = dir;
    edb_server *s = start(&o);
    http_res r;
    get(s, BP "Data/SA_ZATTEST2?sTime=2022-02-02T22:24:58&eTime=2022-02-02T22:24:59", &r);
    ck_assert_int_eq(r.code, 200);
    /* the saved reply's first rows: 22:24:57.797 -0.7914493680 (the bracket), then
     * 22:24:58.053 -0.7914494276 (jwst's test_engdb_mast.py) */
    ck_assert_msg(strstr(r.body, "{\"ObsTime\":\"/Date(1643840697797+0000)/\",\"EUValue\":-0.791449368},"
                                 "{\"ObsTime\":\"/Date(1643840698053+0000)/\",\"EUValue\":-0.7914494276}"),
                  "%s", r.body);
    http_free(&r);
    get(s, BP "Data/SA_ZATTEST2?sTime=2023-01-01T00:00:00&eTime=2023-01-01T00:00:01", &r);
    ck_assert_int_eq(r.code, 404); /* outside what was saved */
    http_free(&r);
    expect_body(s, BP "MetaData/TlmMnemonics/", "{\"Count\":0,\"TlmMnemonics\":[]}");
    edb_server_stop(s);
}
END_TEST

/* ---- metadata -------------------------------------------------------------------------- */

START_TEST(metadata)
{
    edb_server_options o = EDB_SERVER_OPTIONS_INIT;
    edb_server *s = start(&o);
    char *want = expected_meta("ZATTEST");
    json_t *j = json_loads(want, 0, NULL);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "Count")), 4);
    json_decref(j);
    /* a case-insensitive substring, in B's path and EDP's parameter */
    expect_body(s, BP "MetaData/TlmMnemonics/zattest", want);
    expect_body(s, BP "MetaData/TlmMnemonics/ZAttEst", want);
    expect_body(s, EDP "metadata?mnemonic=zattest", want);
    free(want);
    want = expected_meta("SA_ZATTEST1");
    expect_body(s, BP "MetaData/TlmMnemonics/SA_ZATTEST1", want);
    free(want);
    /* everything: B's aliveness probe (an empty substring) and EDP without a parameter */
    want = expected_meta("");
    j = json_loads(want, 0, NULL);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "Count")), 2449);
    json_decref(j);
    expect_body(s, BP "MetaData/TlmMnemonics/", want);
    expect_body(s, BP "MetaData/TlmMnemonics", want);
    expect_body(s, EDP "metadata", want);
    expect_body(s, EDP "metadata?mnemonic=", want);
    free(want);
    /* romancal's aliveness probe: a name no store has, answered 200 */
    expect_body(s, EDP "metadata?mnemonic=engdb_mastaliveness", "{\"Count\":0,\"TlmMnemonics\":[]}");
    expect_body(s, BP "MetaData/TlmMnemonics/NOSUCHTHING", "{\"Count\":0,\"TlmMnemonics\":[]}");
    ck_assert_uint_eq(edb_server_requests(s), 10);
    edb_server_stop(s);
}
END_TEST

/* ---- the portal --------------------------------------------------------------------------- */

#define FIELDS6                                                                                  \
    "{\"name\":\"tlmMnemonic\",\"type\":\"string\"},{\"name\":\"tlmIdentifier\",\"type\":\"int\"}," \
    "{\"name\":\"description\",\"type\":\"string\"},{\"name\":\"sqlDataType\",\"type\":\"string\"},"  \
    "{\"name\":\"subsystem\",\"type\":\"string\"},{\"name\":\"unit\",\"type\":\"string\"}"

static edb_server *start_portal(int executing)
{
    static char inv[4200];
    snprintf(inv, sizeof inv, "%s", tu_fixture("mast-inventory-excerpt.csv"));
    edb_server_options o = EDB_SERVER_OPTIONS_INIT;
    o.inventory = inv;
    o.portal_executing = executing;
    return start(&o);
}

static void expect_portal(edb_server *s, const char *json, const char *want)
{
    http_res r;
    invoke(s, json, NULL, &r);
    ck_assert_msg(r.rc == CURLE_OK && r.code == 200, "%s -> %ld %.300s", json, r.code, r.body);
    ck_assert(has_header(&r, "Content-Type: application/json"));
    ck_assert_int_eq(r.clen, (curl_off_t)r.len);
    ck_assert_msg(strcmp(r.body, want) == 0, "%s:\n got %.600s\nwant %.600s", json, r.body, want);
    http_free(&r);
}

START_TEST(portal_dictionary)
{
    edb_server *s = start_portal(0);
    /* the inventory row (fixtures/mast-inventory-excerpt.csv, line 4), by hand */
    const char *row = "{\"tlmMnemonic\":\"IFGS_CTD_AMPLITUDE\",\"tlmIdentifier\":300306,"
                      "\"description\":\"FGS Centroid Data Telemetry Guide Star intensity\","
                      "\"sqlDataType\":\"real\",\"subsystem\":\"FGS\",\"unit\":\"count/s\","
                      "\"longDescription\":null}";
    char want[2000];
    snprintf(want, sizeof want,
             "{\"status\":\"COMPLETE\",\"msg\":\"\",\"data\":[%s],\"fields\":[" FIELDS6
             ",{\"name\":\"longDescription\",\"type\":\"string\"}],\"paging\":{\"page\":1,"
             "\"pageSize\":50000,\"pagesFiltered\":1,\"rows\":1,\"rowsFiltered\":1,"
             "\"rowsTotal\":1}}",
             row);
    /* astroquery's request: json.dumps spacing, a cacheBreaker, pagesize and page */
    expect_portal(s, "{\"service\": \"Mast.JwstEdb.Dictionary\", \"params\": {\"mnemonic\": "
                     "\"IFGS_CTD_AMPLITUDE\"}, \"format\": \"json\", \"pagesize\": 50000, \"page\": 1, "
                     "\"cacheBreaker\": \"0b8d5d3c\"}",
                  want);
    edb_server_stop(s);
}
END_TEST

START_TEST(portal_dictionary_rows)
{
    edb_server *s = start_portal(0);
    const char *tail = ",{\"name\":\"longDescription\",\"type\":\"string\"}],\"paging\":{\"page\":1,"
                       "\"pageSize\":%s,\"pagesFiltered\":1,\"rows\":%s,\"rowsFiltered\":%s,"
                       "\"rowsTotal\":%s}}";
    char want[3000], t[400];
    /* a name the inventory has, asked in lower case, no pagesize: one page of one row */
    snprintf(t, sizeof t, tail, "1", "1", "1", "1");
    snprintf(want, sizeof want,
             "{\"status\":\"COMPLETE\",\"msg\":\"\",\"data\":[{\"tlmMnemonic\":\"SA_ZFGCENTDQ\","
             "\"tlmIdentifier\":%s,\"description\":\"FGS Centroid Packet - Centroid Data Quality "
             "(Parent)\",\"sqlDataType\":\"bigint\",\"subsystem\":\"ACS\",\"unit\":null,"
             "\"longDescription\":null}],\"fields\":[" FIELDS6 "%s",
             "null", t);
    /* its tlmIdentifier, read from the file */
    FILE *f = fopen(tu_fixture("mast-inventory-excerpt.csv"), "r");
    char line[512], id[32] = "";
    while (f && fgets(line, sizeof line, f))
        if (strstr(line, ",SA_ZFGCENTDQ,")) {
            char *c = line;
            for (int k = 0; k < 3; k++)
                c = strchr(c, ',') + 1;
            snprintf(id, sizeof id, "%.*s", (int)(strchr(c, ',') - c), c);
        }
    if (f)
        fclose(f);
    ck_assert_str_ne(id, "");
    char w2[3000];
    char *p = strstr(want, "\"tlmIdentifier\":null");
    snprintf(w2, sizeof w2, "%.*s\"tlmIdentifier\":%s%s", (int)(p - want), want, id,
             p + strlen("\"tlmIdentifier\":null"));
    expect_portal(s, "{\"service\": \"Mast.JwstEdb.Dictionary\", \"params\": {\"mnemonic\": "
                     "\"sa_zfgcentdq\"}, \"format\": \"json\"}", w2);
    /* a name only meta.json knows: what it says (subsystem, its type in the portal's
     * spelling), the rest unknown */
    snprintf(want, sizeof want,
             "{\"status\":\"COMPLETE\",\"msg\":\"\",\"data\":[{\"tlmMnemonic\":\"SA_ZATTEST1\","
             "\"tlmIdentifier\":null,\"description\":null,\"sqlDataType\":\"real\",\"subsystem\":"
             "\"ACS\",\"unit\":null,\"longDescription\":null}],\"fields\":[" FIELDS6 "%s", t);
    expect_portal(s, "{\"service\": \"Mast.JwstEdb.Dictionary\", \"params\": {\"mnemonic\": "
                     "\"SA_ZATTEST1\"}}", want);
    /* a name nobody knows: complete, no rows */
    snprintf(t, sizeof t, tail, "1", "0", "0", "0");
    snprintf(want, sizeof want, "{\"status\":\"COMPLETE\",\"msg\":\"\",\"data\":[],\"fields\":["
             FIELDS6 "%s", t);
    expect_portal(s, "{\"service\": \"Mast.JwstEdb.Dictionary\", \"params\": {\"mnemonic\": "
                     "\"SA_ZNOSUCH\"}}", want);
    edb_server_stop(s);
}
END_TEST

/* The inventory pages: each page's rows, in name order, exactly the whole list cut up. */
START_TEST(portal_mnemonics_paging)
{
    edb_server *s = start_portal(0);
    http_res r;
    invoke(s, "{\"service\": \"Mast.JwstEdb.Mnemonics\", \"params\": {}, \"format\": \"json\"}",
           NULL, &r);
    ck_assert_int_eq(r.code, 200);
    json_t *all = parse(&r);
    http_free(&r);
    json_t *data = json_object_get(all, "data"), *pg = json_object_get(all, "paging");
    /* meta.json's 2,449 and the one inventory name it lacks, IFGS_TFG_BADCNTCNT (grep) */
    ck_assert_uint_eq(json_array_size(data), 2450);
    ck_assert_int_eq(json_integer_value(json_object_get(pg, "pagesFiltered")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(pg, "rows")), 2450);
    ck_assert_int_eq(json_integer_value(json_object_get(pg, "rowsTotal")), 2450);
    ck_assert_int_eq(json_integer_value(json_object_get(pg, "pageSize")), 2450);
    ck_assert_str_eq(json_string_value(json_object_get(all, "status")), "COMPLETE");
    /* in name order; the inventory's own fields where it has them */
    for (size_t k = 1; k < json_array_size(data); k++)
        ck_assert(strcmp(json_string_value(json_object_get(json_array_get(data, k - 1), "tlmMnemonic")),
                         json_string_value(json_object_get(json_array_get(data, k), "tlmMnemonic"))) < 0);
    int found = 0;
    for (size_t k = 0; k < json_array_size(data); k++) {
        json_t *e = json_array_get(data, k);
        const char *nm = json_string_value(json_object_get(e, "tlmMnemonic"));
        if (strcmp(nm, "IFGS_TFG_BADCNTCNT") == 0) {
            found++;
            ck_assert_ptr_nonnull(json_object_get(e, "tlmIdentifier"));
            ck_assert_str_eq(json_string_value(json_object_get(e, "subsystem")), "FGS");
        }
        if (strcmp(nm, "IFGS_CTDGS_X") != 0)
            continue;
        found++;
        ck_assert_str_eq(json_string_value(json_object_get(e, "unit")), "asec");
        ck_assert_str_eq(json_string_value(json_object_get(e, "sqlDataType")), "real");
        ck_assert_ptr_null(json_object_get(e, "longDescription")); /* Dictionary only */
    }
    ck_assert_int_eq(found, 2);

    /* pages of 1000: 1000, 1000, 450, then nothing */
    size_t at = 0;
    for (int page = 1; page <= 4; page++) {
        char req[300];
        snprintf(req, sizeof req, "{\"service\": \"Mast.JwstEdb.Mnemonics\", \"params\": {}, "
                 "\"format\": \"json\", \"pagesize\": 1000, \"page\": %d}", page);
        invoke(s, req, NULL, &r);
        ck_assert_int_eq(r.code, 200);
        json_t *j = parse(&r);
        http_free(&r);
        json_t *d = json_object_get(j, "data"), *p = json_object_get(j, "paging");
        size_t want_rows = page < 3 ? 1000 : page == 3 ? 450 : 0;
        ck_assert_uint_eq(json_array_size(d), want_rows);
        ck_assert_int_eq(json_integer_value(json_object_get(p, "page")), page);
        ck_assert_int_eq(json_integer_value(json_object_get(p, "pageSize")), 1000);
        ck_assert_int_eq(json_integer_value(json_object_get(p, "pagesFiltered")), 3);
        ck_assert_int_eq(json_integer_value(json_object_get(p, "rows")), (json_int_t)want_rows);
        ck_assert_int_eq(json_integer_value(json_object_get(p, "rowsFiltered")), 2450);
        for (size_t k = 0; k < json_array_size(d); k++)
            ck_assert(json_equal(json_array_get(d, k), json_array_get(data, at++)));
        json_decref(j);
    }
    ck_assert_uint_eq(at, 2450);
    /* huge values are pages past the end or one big page, never an overflow */
    const char *huge[] = {"\"pagesize\": 4611686018427387904, \"page\": 1",
                          "\"pagesize\": 1000, \"page\": 9223372036854775807",
                          "\"pagesize\": 9223372036854775807, \"page\": 9223372036854775807"};
    size_t rows[] = {2450, 0, 0};
    for (int k = 0; k < 3; k++) {
        char req[300];
        snprintf(req, sizeof req, "{\"service\": \"Mast.JwstEdb.Mnemonics\", \"params\": {}, %s}",
                 huge[k]);
        invoke(s, req, NULL, &r);
        ck_assert_int_eq(r.code, 200);
        json_t *j = parse(&r);
        ck_assert_uint_eq(json_array_size(json_object_get(j, "data")), rows[k]);
        ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(j, "paging"),
                                                            "pagesFiltered")), 1 + 2 * (k == 1));
        json_decref(j);
        http_free(&r);
    }
    json_decref(all);
    edb_server_stop(s);
}
END_TEST

static void expect_error_status(edb_server *s, const char *json, const char *msg_part)
{
    http_res r;
    invoke(s, json, NULL, &r);
    ck_assert_msg(r.code == 200, "%s -> %ld %s", json, r.code, r.body);
    json_t *j = parse(&r);
    ck_assert_str_eq(json_string_value(json_object_get(j, "status")), "ERROR");
    const char *msg = json_string_value(json_object_get(j, "msg"));
    ck_assert_msg(msg && strstr(msg, msg_part), "%s: msg '%s', expected '%s'", json, msg, msg_part);
    ck_assert_uint_eq(json_array_size(json_object_get(j, "data")), 0);
    json_decref(j);
    http_free(&r);
}

static void expect_http_error(edb_server *s, const http_req *q, long code, const char *part)
{
    http_res r;
    http_port(edb_server_port(s), "/api/v0/invoke", q, &r);
    ck_assert_msg(r.rc == CURLE_OK && r.code == code, "-> %ld (%d), want %ld: %s", r.code,
                  (int)r.rc, code, r.body);
    ck_assert_msg(strstr(r.body, part), "'%s' not in: %s", part, r.body);
    ck_assert(r.len > 0 && r.body[r.len - 1] == '\n');
    http_free(&r);
}

START_TEST(portal_errors)
{
    edb_server *s = start_portal(0);
    /* status ERROR with a message: requests the portal understands but cannot serve */
    expect_error_status(s, "{\"service\": \"Mast.Caom.Cone\", \"params\": {}}",
                        "unknown service 'Mast.Caom.Cone'");
    expect_error_status(s, "{\"params\": {}}", "names no service");
    expect_error_status(s, "{\"service\": \"Mast.JwstEdb.Dictionary\", \"params\": {}}",
                        "params need a mnemonic");
    expect_error_status(s, "{\"service\": \"Mast.JwstEdb.Dictionary\", \"params\": {\"mnemonic\": 5}}",
                        "params need a mnemonic");
    expect_error_status(s, "{\"service\": \"Mast.JwstEdb.Dictionary\", \"params\": {\"mnemonic\": "
                           "\"../etc/passwd\"}}", "invalid mnemonic '../etc/passwd'");
    expect_error_status(s, "{\"service\": \"Mast.JwstEdb.Mnemonics\", \"params\": [1]}",
                        "params must be a JSON object");
    expect_error_status(s, "{\"service\": \"Mast.JwstEdb.Mnemonics\", \"params\": {}, \"pagesize\": 0}",
                        "pagesize and page must be whole numbers from 1");
    expect_error_status(s, "{\"service\": \"Mast.JwstEdb.Mnemonics\", \"params\": {}, \"page\": -3}",
                        "pagesize and page");
    expect_error_status(s, "{\"service\": \"Mast.JwstEdb.Mnemonics\", \"params\": {}, \"page\": 1.5}",
                        "pagesize and page");
    expect_error_status(s, "{\"service\": \"Mast.JwstEdb.Mnemonics\", \"params\": {}, \"pagesize\": \"10\"}",
                        "pagesize and page");
    expect_error_status(s, "{\"service\": \"Mast.JwstEdb.Mnemonics\", \"params\": {}, \"format\": \"csv\"}",
                        "only the format \"json\"");

    /* HTTP errors: what is not a portal request at all, with a clear text */
    http_req q = {0};
    q.ctype = "application/x-www-form-urlencoded";
    q.body = "";
    q.method = "POST";
    expect_http_error(s, &q, 400, "empty body");
    q.body = "foo=bar&x";
    expect_http_error(s, &q, 400, "no 'request' field");
    q.body = "request=%7B%zz";
    expect_http_error(s, &q, 400, "bad %-escape");
    q.body = "request=%7B";
    expect_http_error(s, &q, 400, "the request is not JSON");
    q.body = "request=%5B1%2C2%5D";
    expect_http_error(s, &q, 400, "not a JSON object");
    q.body = "request={\"service\":\"Mast.JwstEdb.Mnemonics\",\"page\":99999999999999999999999}";
    expect_http_error(s, &q, 400, "the request is not JSON");
    q.body = "request={\"service\":\"a\",\"service\":\"b\"}";
    expect_http_error(s, &q, 400, "duplicate");
    q.body = "request={\"service\":\"Mast.JwstEdb.Dictionary\",\"params\":{\"mnemonic\":\"SA\\u0000X\"}}";
    expect_http_error(s, &q, 400, "the request is not JSON");
    q.body = "request=%7B%7D&request=%7B%7D";
    expect_http_error(s, &q, 400, "two 'request' fields");
    q.body = "request=%7B%7D";
    q.ctype = "text/plain";
    expect_http_error(s, &q, 415, "must be a form");
    q.ctype = "";
    expect_http_error(s, &q, 415, "not '(none)'");
    /* more than 64 KiB, announced or sent in chunks */
    size_t big = (64 << 10) + 1;
    char *body = malloc(big + 1);
    memset(body, 'a', big);
    memcpy(body, "request=", 8);
    body[big] = '\0';
    q.body = body;
    q.ctype = "application/x-www-form-urlencoded";
    expect_http_error(s, &q, 413, "larger than 65536 bytes");
    q.chunked = 1;
    expect_http_error(s, &q, 413, "larger than 65536 bytes");
    free(body);
    /* the method */
    http_res r;
    get(s, "/api/v0/invoke", &r);
    ck_assert_int_eq(r.code, 405);
    ck_assert(has_header(&r, "Allow: POST"));
    http_free(&r);
    /* astroquery's first call */
    http_req cq = {0};
    cq.body = "colConfigId=Mast.JwstEdb.Mnemonics";
    cq.ctype = "application/x-www-form-urlencoded";
    http_port(edb_server_port(s), "/portal/Mashup/Mashup.asmx/columnsconfig", &cq, &r);
    ck_assert_int_eq(r.code, 200);
    ck_assert_str_eq(r.body, "{}");
    http_free(&r);
    get(s, "/portal/Mashup/Mashup.asmx/columnsconfig", &r);
    ck_assert_int_eq(r.code, 405);
    http_free(&r);
    edb_server_stop(s);
}
END_TEST

/* --portal-executing 2: the same request twice EXECUTING, then its result, then its result
 * again; another request (astroquery's next page, a new cacheBreaker) starts over. */
START_TEST(portal_executing)
{
    edb_server *s = start_portal(2);
    const char *req = "{\"service\": \"Mast.JwstEdb.Dictionary\", \"params\": {\"mnemonic\": "
                      "\"IFGS_CTDGS_X\"}, \"format\": \"json\", \"cacheBreaker\": \"one\"}";
    const char *status[] = {"EXECUTING", "EXECUTING", "COMPLETE", "COMPLETE"};
    http_res r;
    for (int k = 0; k < 4; k++) {
        invoke(s, req, NULL, &r);
        ck_assert_int_eq(r.code, 200);
        json_t *j = parse(&r);
        ck_assert_str_eq(json_string_value(json_object_get(j, "status")), status[k]);
        ck_assert_uint_eq(json_array_size(json_object_get(j, "data")), k < 2 ? 0 : 1);
        json_decref(j);
        http_free(&r);
    }
    invoke(s, "{\"service\": \"Mast.JwstEdb.Dictionary\", \"params\": {\"mnemonic\": "
              "\"IFGS_CTDGS_X\"}, \"format\": \"json\", \"cacheBreaker\": \"two\"}", NULL, &r);
    ck_assert_msg(strstr(r.body, "\"status\":\"EXECUTING\""), "%s", r.body);
    http_free(&r);
    ck_assert_uint_eq(edb_server_requests(s), 5);
    edb_server_stop(s);
}
END_TEST

/* ---- faults and the token on every route -------------------------------------------------- */

typedef struct route_case {
    const char *path;  /* GET, or the portal when NULL */
    const char *key;   /* its errors: JSON with this key, or text when NULL */
} route_case;

static const route_case routes[] = {
    {BP "Data/SA_ZATTEST1?sTime=2021-01-26T02:29:02&eTime=2021-01-26T02:29:03", "Message"},
    {BP "MetaData/TlmMnemonics/ZATTEST", "Message"},
    {EDP "data?mnemonic=SA_ZATTEST1&s_time=2021-01-26T02:29:02&e_time=2021-01-26T02:29:03", "detail"},
    {EDP "metadata?mnemonic=ZATTEST", "detail"},
    {NULL, NULL},
};
#define PORTAL_REQ "{\"service\": \"Mast.JwstEdb.Dictionary\", \"params\": {\"mnemonic\": \"SA_ZATTEST1\"}}"

static void request_route(edb_server *s, const route_case *rc, const http_req *q, http_res *r)
{
    if (rc->path)
        http_port(edb_server_port(s), rc->path, q, r);
    else
        invoke(s, PORTAL_REQ, q, r);
}

START_TEST(faults_every_route)
{
    size_t nr = sizeof routes / sizeof *routes;
    /* the full bodies, for the cut ones */
    edb_server_options o0 = EDB_SERVER_OPTIONS_INIT;
    edb_server *s = start(&o0);
    char *full[8];
    for (size_t k = 0; k < nr; k++) {
        http_res r;
        request_route(s, &routes[k], NULL, &r);
        ck_assert_int_eq(r.code, 200);
        full[k] = strdup(r.body);
        http_free(&r);
    }
    edb_server_stop(s);

    for (size_t k = 0; k < nr; k++) {
        http_res r;
        /* a status, with Retry-After, in the route's own error form */
        edb_server_options o = EDB_SERVER_OPTIONS_INIT;
        o.fault_status = 503;
        o.retry_after = 7;
        o.fault_count = 1;
        s = start(&o);
        request_route(s, &routes[k], NULL, &r);
        ck_assert_int_eq(r.code, 503);
        ck_assert(has_header(&r, "Retry-After: 7"));
        char want[200];
        if (routes[k].key)
            snprintf(want, sizeof want, "{\"%s\": \"injected fault: HTTP 503\"}", routes[k].key);
        else
            snprintf(want, sizeof want, "injected fault: HTTP 503\n");
        ck_assert_str_eq(r.body, want);
        http_free(&r);
        request_route(s, &routes[k], NULL, &r);
        ck_assert_int_eq(r.code, 200);
        ck_assert_str_eq(r.body, full[k]);
        http_free(&r);
        edb_server_stop(s);

        /* cut after 10 bytes of an announced whole */
        edb_server_options o2 = EDB_SERVER_OPTIONS_INIT;
        o2.truncate_after = 10;
        o2.fault_count = -1;
        s = start(&o2);
        request_route(s, &routes[k], NULL, &r);
        ck_assert_int_eq(r.rc, CURLE_PARTIAL_FILE);
        ck_assert_uint_eq(r.len, 10);
        ck_assert_int_eq(r.clen, (curl_off_t)strlen(full[k]));
        ck_assert(memcmp(r.body, full[k], 10) == 0);
        http_free(&r);
        edb_server_stop(s);

        /* dropped */
        edb_server_options o3 = EDB_SERVER_OPTIONS_INIT;
        o3.drop = 1;
        o3.fault_count = -1;
        s = start(&o3);
        request_route(s, &routes[k], NULL, &r);
        ck_assert_int_eq(r.rc, CURLE_GOT_NOTHING);
        http_free(&r);
        edb_server_stop(s);

        /* complete by Content-Length, without its last byte (the closing brace) */
        edb_server_options o4 = EDB_SERVER_OPTIONS_INIT;
        o4.chop_eol = 1;
        o4.fault_count = -1;
        s = start(&o4);
        request_route(s, &routes[k], NULL, &r);
        ck_assert_int_eq(r.rc, CURLE_OK);
        ck_assert_int_eq(r.clen, (curl_off_t)r.len);
        ck_assert_uint_eq(r.len, strlen(full[k]) - 1);
        ck_assert(memcmp(r.body, full[k], r.len) == 0);
        http_free(&r);
        edb_server_stop(s);

        /* random failures */
        edb_server_options o5 = EDB_SERVER_OPTIONS_INIT;
        o5.fail_rate = 1.0;
        s = start(&o5);
        request_route(s, &routes[k], NULL, &r);
        ck_assert_int_eq(r.code, 503);
        http_free(&r);
        edb_server_stop(s);
    }
    for (size_t k = 0; k < nr; k++)
        free(full[k]);
}
END_TEST

typedef struct delayed {
    edb_server *s;
    const route_case *rc;
    http_res r;
} delayed;

static void *delayed_request(void *arg)
{
    delayed *d = arg;
    request_route(d->s, d->rc, NULL, &d->r);
    return NULL;
}

/* A delayed request holds no thread: others are answered meanwhile, on every route. */
START_TEST(delay_does_not_block)
{
    edb_server_options o = EDB_SERVER_OPTIONS_INIT;
    o.delay_us = 800000;
    o.fault_count = -1;
    o.threads = 1; /* one worker: a sleeping one would stall everything */
    edb_server *s = start(&o);
    size_t nr = sizeof routes / sizeof *routes;
    delayed d[8];
    pthread_t th[8];
    for (size_t k = 0; k < nr; k++) {
        d[k].s = s;
        d[k].rc = &routes[k];
        ck_assert_int_eq(pthread_create(&th[k], NULL, delayed_request, &d[k]), 0);
    }
    /* while all of them wait: the probe (not faulted) answers at once */
    struct timespec ts = {0, 200000000};
    nanosleep(&ts, NULL);
    http_res r;
    get(s, "/api/", &r);
    ck_assert_int_eq(r.code, 200);
    ck_assert_msg(r.secs < 0.5, "the probe took %.3f s behind the delayed requests", r.secs);
    http_free(&r);
    for (size_t k = 0; k < nr; k++) {
        pthread_join(th[k], NULL);
        ck_assert_int_eq(d[k].r.code, 200);
        ck_assert_msg(d[k].r.secs >= 0.8, "route %zu took %.3f s", k, d[k].r.secs);
        http_free(&d[k].r);
    }
    edb_server_stop(s);
}
END_TEST

/* Stopping the server while requests sleep in a delay: they are resumed and answered. */
START_TEST(stop_during_delay)
{
    edb_server_options o = EDB_SERVER_OPTIONS_INIT;
    o.delay_us = 30000000; /* 30 s: stop comes first */
    o.fault_count = -1;
    edb_server *s = start(&o);
    delayed d = {s, &routes[0], {0}};
    pthread_t th;
    ck_assert_int_eq(pthread_create(&th, NULL, delayed_request, &d), 0);
    struct timespec ts = {0, 300000000};
    nanosleep(&ts, NULL);
    double t0 = now_secs();
    edb_server_stop(s);
    ck_assert_msg(now_secs() - t0 < 10, "stopping took %.1f s", now_secs() - t0);
    pthread_join(th, NULL);
    http_free(&d.r);
}
END_TEST

START_TEST(token_every_route)
{
    edb_server_options o = EDB_SERVER_OPTIONS_INIT;
    o.token = "s3cr3t";
    edb_server *s = start(&o);
    size_t nr = sizeof routes / sizeof *routes;
    for (size_t k = 0; k < nr; k++) {
        http_res r;
        http_req q = {0};
        request_route(s, &routes[k], &q, &r);
        ck_assert_msg(r.code == 401, "route %zu -> %ld", k, r.code);
        ck_assert(has_header(&r, "WWW-Authenticate: token"));
        ck_assert(strstr(r.body, "authentication required"));
        if (routes[k].key) {
            json_t *j = parse(&r);
            ck_assert(json_is_string(json_object_get(j, routes[k].key)));
            json_decref(j);
        }
        http_free(&r);
        q.auth = "token wrong";
        request_route(s, &routes[k], &q, &r);
        ck_assert_int_eq(r.code, 401);
        http_free(&r);
        q.auth = "token s3cr3t";
        request_route(s, &routes[k], &q, &r);
        ck_assert_int_eq(r.code, 200);
        http_free(&r);
        /* astroquery's login sets a cookie: the portal takes it, the others do not */
        q.auth = NULL;
        q.cookie = "other=1; mast_token=s3cr3t";
        request_route(s, &routes[k], &q, &r);
        ck_assert_int_eq(r.code, routes[k].path ? 401 : 200);
        http_free(&r);
        q.cookie = "mast_token=s3cr3tX";
        request_route(s, &routes[k], &q, &r);
        ck_assert_int_eq(r.code, 401);
        http_free(&r);
    }
    /* the probes stay open */
    http_res r;
    get(s, "/api/", &r);
    ck_assert_int_eq(r.code, 200);
    http_free(&r);
    http_req cq = {0};
    cq.body = "colConfigId=x";
    cq.ctype = "application/x-www-form-urlencoded";
    http_port(edb_server_port(s), "/portal/Mashup/Mashup.asmx/columnsconfig", &cq, &r);
    ck_assert_int_eq(r.code, 200);
    http_free(&r);
    edb_server_stop(s);
}
END_TEST

/* ---- hostile requests ---------------------------------------------------------------------- */

static void expect_status(edb_server *s, const char *path, long code, const char *part)
{
    http_res r;
    get(s, path, &r);
    ck_assert_msg(r.rc == CURLE_OK && r.code == code, "%s -> %ld (%d), want %ld: %s", path, r.code,
                  (int)r.rc, code, r.body);
    ck_assert_msg(!part || strstr(r.body, part), "%s: '%s' not in: %s", path, part, r.body);
    /* errors in the route's form (an unknown path has none: text) */
    const char *key = strstr(r.body, "not found: ") ? NULL
                      : strstr(path, "/edp/")       ? "detail"
                      : strstr(path, BP)            ? "Message"
                                                    : NULL;
    if (key) {
        json_t *j = parse(&r);
        ck_assert_msg(json_is_string(json_object_get(j, key)), "%s: %s", path, r.body);
        json_decref(j);
    } else {
        ck_assert(r.len > 0 && r.body[r.len - 1] == '\n');
    }
    http_free(&r);
}

START_TEST(hostile_params)
{
    edb_server_options o = EDB_SERVER_OPTIONS_INIT;
    edb_server *s = start(&o);
    const char *t = "?sTime=2021-01-26T02:29:02&eTime=2021-01-26T02:29:03";
    char p[600];
    const char *names[] = {"SA.ZATTEST1", "SA%2FZATTEST1", "..%2Fmeta", "SA%20X", "SA%00X", "",
                           "%C3%A9T%C3%A9", "A234567890123456789012345678901234567890123456789012345678901234567890"};
    const char *why[] = {"'.' at position 3", "'/' at position 3", "'.' at position 1",
                         "a blank", "'%' at position 3", "no mnemonic given", "non-ASCII",
                         "longer than 64 characters"};
    for (size_t k = 0; k < sizeof names / sizeof *names; k++) {
        snprintf(p, sizeof p, BP "Data/%s%s", names[k], t);
        expect_status(s, p, 400, why[k]);
        snprintf(p, sizeof p, EDP "data?mnemonic=%s&s_time=2021-01-26T02:29:02&e_time=2021-01-26T02:29:03",
                 names[k]);
        expect_status(s, p, 400, why[k]);
    }
    const char *times[] = {"2021-13-01T00:00:00", "2021-02-29T00:00:00", "2021-01-26T24:00:00",
                           "2021-01-26T02:60:00", "2021-01-26T02:29:60", "2021-01-26T02:29",
                           "2021-01-26T02:29:02.1234567", "2021-01-26T02:29:02.", "26/01/2021",
                           "2021-01-26T02:29:02+01:00", "now", "mjd:59240", ""};
    const char *twhy[] = {"month out of range", "day out of range", "hour out of range",
                          "minute out of range", "second out of range", "not in the form",
                          "more than 6 decimals", "not in the form", "not in the form",
                          "not in the form", "not in the form", "not in the form", "no time given"};
    for (size_t k = 0; k < sizeof times / sizeof *times; k++) {
        char *e = url_escape(times[k]);
        snprintf(p, sizeof p, BP "Data/SA_ZATTEST1?sTime=%s&eTime=2021-01-26T02:29:03", e);
        expect_status(s, p, 400, twhy[k]);
        snprintf(p, sizeof p, EDP "data?mnemonic=SA_ZATTEST1&s_time=2021-01-26T02:29:02&e_time=%s", e);
        expect_status(s, p, 400, twhy[k]);
        free(e);
    }
    expect_status(s, BP "Data/SA_ZATTEST1?sTime=2021-01-26T02:29:03&eTime=2021-01-26T02:29:02", 400,
                  "start time is after the end time");
    expect_status(s, BP "Data/SA_ZATTEST1?sTime=2021-01-26T02:29:03", 400, "missing eTime=");
    expect_status(s, BP "Data/SA_ZATTEST1", 400, "missing sTime=");
    expect_status(s, EDP "data?s_time=2021-01-26T02:29:02&e_time=2021-01-26T02:29:03", 400,
                  "missing mnemonic=");
    expect_status(s, EDP "data?mnemonic=SA_ZATTEST1&e_time=2021-01-26T02:29:03", 400, "missing s_time=");
    /* unknown mnemonics and paths */
    snprintf(p, sizeof p, BP "Data/SA_ZNOSUCH1%s", t);
    expect_status(s, p, 404, "SA_ZNOSUCH1: no such mnemonic");
    expect_status(s, EDP "data?mnemonic=SA_ZNOSUCH1&s_time=2021-01-26T02:29:02&e_time=2021-01-26T02:29:03",
                  404, "{\"detail\": \"SA_ZNOSUCH1: no such mnemonic\"}");
    const char *notfound[] = {BP "Data", BP "data/SA_ZATTEST1", BP "MetaData/TlmMnemonic/X",
                              BP "xml/Data/SA_ZATTEST1", "/JWDMSEngFqAcc/api/",
                              "/edp/api/v0.1/mnemonics/spa//data", "/edp/api/v0.1/mnemonics/spa/j%20w/data",
                              "/edp/api/v0.1/mnemonics/spa/jwst/data/x", "/edp/api/v0.1/mnemonics/spa/jwst",
                              "/edp/api/v0.1/mnemonics/spa/a23456789012345678901234567890123/data"};
    for (size_t k = 0; k < sizeof notfound / sizeof *notfound; k++)
        expect_status(s, notfound[k], 404, "not found");
    /* metadata searches that cannot be part of a name */
    expect_status(s, BP "MetaData/TlmMnemonics/SA%25", 400, "only letters, digits and '_'");
    expect_status(s, BP "MetaData/TlmMnemonics/a%2Fb", 400, "only letters, digits and '_'");
    expect_status(s, EDP "metadata?mnemonic=*ZATT*", 400, "only letters, digits and '_'");
    expect_status(s, EDP "metadata?mnemonic=A23456789012345678901234567890123456789012345678901234567890123456",
                  400, "longer than 64");
    /* the methods */
    http_req q = {0};
    q.method = "DELETE";
    http_res r;
    http_port(edb_server_port(s), BP "MetaData/TlmMnemonics/", &q, &r);
    ck_assert_int_eq(r.code, 405);
    ck_assert(has_header(&r, "Allow: GET, HEAD"));
    http_free(&r);
    q.method = "HEAD";
    http_port(edb_server_port(s), EDP "metadata?mnemonic=ZATTEST", &q, &r);
    ck_assert_int_eq(r.code, 200);
    ck_assert_uint_eq(r.len, 0);
    ck_assert_int_gt(r.clen, 100);
    http_free(&r);
    edb_server_stop(s);
}
END_TEST

static Suite *services_suite(void)
{
    Suite *su = suite_create("serve_services");
    TCase *tc = tcase_create("services");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, direct_data);
    tcase_add_test(tc, edp_data);
    tcase_add_test(tc, replies_store);
    tcase_add_test(tc, metadata);
    tcase_add_test(tc, portal_dictionary);
    tcase_add_test(tc, portal_dictionary_rows);
    tcase_add_test(tc, portal_mnemonics_paging);
    tcase_add_test(tc, portal_errors);
    tcase_add_test(tc, portal_executing);
    tcase_add_test(tc, faults_every_route);
    tcase_add_test(tc, delay_does_not_block);
    tcase_add_test(tc, stop_during_delay);
    tcase_add_test(tc, token_every_route);
    tcase_add_test(tc, hostile_params);
    suite_add_tcase(su, tc);
    return su;
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    SRunner *sr = srunner_create(services_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    curl_global_cleanup();
    return failed == 0 ? 0 : 1;
}
