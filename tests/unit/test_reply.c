/* test_reply.c: the reply generators (edb/reply.c) for path A, B and EDP.
 *
 * Every expected body is written out here by hand (times worked out with `date -u -d
 * @SECONDS`, numbers as the shortest text that reads back); then every body is read back
 * through the generator in blocks of many sizes, which must give the same bytes and
 * exactly the length announced up front.  The EDP bodies are also read by Python as both
 * JSON and a Python literal, as romancal reads them, which must agree. */
#include <check.h>
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <edb/edb.h>

#include "internal.h"
#include "testutil.h"

/* 2021-01-26T02:29:02.147Z, and 02:29:03.000 / 02:29:04.500 */
#define T0 INT64_C(1611628142147000)
#define T1 INT64_C(1611628143000000)
#define T2 INT64_C(1611628144500000)

static edb_series *new_series(const char *name, edb_vtype vt, const char *sqltype)
{
    edb_series *s = NULL;
    ck_assert_int_eq(edb_series_new(&s, name), EDB_OK);
    if (vt != EDB_VT_NONE)
        ck_assert_int_eq(edb_series_set_type(s, vt), EDB_OK);
    snprintf(s->sqltype, sizeof s->sqltype, "%s", sqltype);
    return s;
}

static char *whole(edb__reply_kind kind, const edb_series *s, int64_t a, int64_t b, size_t *len)
{
    edb__buf out = {0};
    ck_assert_int_eq(edb__reply_format(kind, s, a, b, &out), 0);
    *len = out.len;
    if (!out.p)
        out.p = calloc(1, 1);
    return out.p;
}

/* The body read through a generator in blocks of `block` bytes must be `want`. */
static void check_stream(edb__reply_kind kind, const edb_series *s, int64_t a, int64_t b,
                         const char *want, size_t want_len, size_t block)
{
    edb__reply_gen *g = NULL;
    ck_assert_int_eq(edb__reply_gen_new(&g, kind, s, a, b), EDB_OK);
    ck_assert_uint_eq(edb__reply_gen_length(g), want_len);
    char *got = malloc(want_len + block + 1);
    char *buf = malloc(block);
    size_t len = 0, n;
    /* (no ck_assert in the loop: Check records every passing assertion, too slow here) */
    while ((n = edb__reply_gen_read(g, buf, block)) > 0) {
        if (n > block || len + n > want_len)
            ck_abort_msg("read %zu bytes at %zu with a block of %zu (length %zu)", n, len, block,
                         want_len);
        memcpy(got + len, buf, n);
        len += n;
    }
    ck_assert_uint_eq(len, want_len);
    ck_assert(memcmp(got, want, want_len) == 0);
    ck_assert_uint_eq(edb__reply_gen_read(g, buf, block), 0); /* stays at the end */
    free(buf);
    free(got);
    edb__reply_gen_free(g);
}

static const size_t blocks[] = {1, 2, 3, 7, 64, 1000, 65536};

static void check_all_blocks(edb__reply_kind kind, const edb_series *s, int64_t a, int64_t b,
                             const char *want)
{
    size_t len;
    char *w = whole(kind, s, a, b, &len);
    ck_assert_uint_eq(len, strlen(want));
    ck_assert_str_eq(w, want);
    for (size_t k = 0; k < sizeof blocks / sizeof *blocks; k++)
        check_stream(kind, s, a, b, want, len, blocks[k]);
    free(w);
}

START_TEST(reals)
{
    edb_series *s = new_series("SA_ZATTEST1", EDB_VT_REAL, "real");
    ck_assert_int_eq(edb_series_push_real(s, T0, -0.209546775), EDB_OK);
    ck_assert_int_eq(edb_series_push_real(s, T1, 2.0), EDB_OK);
    ck_assert_int_eq(edb_series_push_real(s, T1, 1.5e-12), EDB_OK);
    ck_assert_int_eq(edb_series_push_real(s, T2, 0.30000000000000004), EDB_OK);
    ck_assert_int_eq(edb_series_push_real(s, T2, NAN), EDB_OK);
    ck_assert_int_eq(edb_series_push_real(s, T2, -INFINITY), EDB_OK);
    ck_assert_int_eq(edb_series_push_real(s, T2, 1e300), EDB_OK);
    s->all_points = 0;
    check_all_blocks(EDB__REPLY_DIRECT_JSON, s, T0 - 147000, T1,
                     "{\"TlmMnemonic\":\"SA_ZATTEST1\",\"AllPoints\":0,\"Count\":7,"
                     "\"ReqSTime\":\"/Date(1611628142000+0000)/\","
                     "\"ReqETime\":\"/Date(1611628143000+0000)/\",\"Data\":["
                     "{\"ObsTime\":\"/Date(1611628142147+0000)/\",\"EUValue\":-0.209546775},"
                     "{\"ObsTime\":\"/Date(1611628143000+0000)/\",\"EUValue\":2},"
                     "{\"ObsTime\":\"/Date(1611628143000+0000)/\",\"EUValue\":1.5e-12},"
                     "{\"ObsTime\":\"/Date(1611628144500+0000)/\",\"EUValue\":0.30000000000000004},"
                     "{\"ObsTime\":\"/Date(1611628144500+0000)/\",\"EUValue\":\"NaN\"},"
                     "{\"ObsTime\":\"/Date(1611628144500+0000)/\",\"EUValue\":\"-Infinity\"},"
                     "{\"ObsTime\":\"/Date(1611628144500+0000)/\",\"EUValue\":1e+300}]}");
    check_all_blocks(EDB__REPLY_EDP_JSON, s, T0 - 147000, T1,
                     "{\"TlmMnemonic\":\"SA_ZATTEST1\",\"ReqSTime\":\"2021-01-26T02:29:02.000\","
                     "\"ReqETime\":\"2021-01-26T02:29:03.000\",\"Count\":7,\"AllPoints\":0,"
                     "\"Data\":["
                     "{\"ObsTime\":\"2021-01-26T02:29:02.147\",\"EUValue\":-0.209546775},"
                     "{\"ObsTime\":\"2021-01-26T02:29:03.000\",\"EUValue\":2},"
                     "{\"ObsTime\":\"2021-01-26T02:29:03.000\",\"EUValue\":1.5e-12},"
                     "{\"ObsTime\":\"2021-01-26T02:29:04.500\",\"EUValue\":0.30000000000000004},"
                     "{\"ObsTime\":\"2021-01-26T02:29:04.500\",\"EUValue\":\"NaN\"},"
                     "{\"ObsTime\":\"2021-01-26T02:29:04.500\",\"EUValue\":\"-Infinity\"},"
                     "{\"ObsTime\":\"2021-01-26T02:29:04.500\",\"EUValue\":1e+300}]}");
    /* path A: 10 decimals where they read back exactly (1e300 too: Python's '%.10f' %
     * 1e300 is the 311 characters below), MJD from integer arithmetic (59240 +
     * 8942147/86400000, rounded: .1034970718; 8943000 ms: .1035069444) */
    check_all_blocks(EDB__REPLY_MAST_CSV, s, 0, 0,
                     "theTime,MJD,euvalue,sqldataType\r\n"
                     "2021-01-26 02:29:02.147000,59240.1034970718,-0.2095467750,real\r\n"
                     "2021-01-26 02:29:03.000000,59240.1035069444,2.0000000000,real\r\n"
                     "2021-01-26 02:29:03.000000,59240.1035069444,1.5e-12,real\r\n"
                     "2021-01-26 02:29:04.500000,59240.1035243056,0.30000000000000004,real\r\n"
                     "2021-01-26 02:29:04.500000,59240.1035243056,nan,real\r\n"
                     "2021-01-26 02:29:04.500000,59240.1035243056,-inf,real\r\n"
                     "2021-01-26 02:29:04.500000,59240.1035243056,"
                     "1000000000000000052504760255204420248704468581108159154915854115511802457988"
                     "9081957863713750804478640437044438328838781769425232353604305756447921847867"
                     "0698284838720092657580373783023379478809005936895323497079994508111903896764"
                     "0880074652742780142494579258788820056842838115669472196386865459400540160.00"
                     "00000000"
                     ",real\r\n");
    edb_series_free(s);
}
END_TEST

START_TEST(ints_and_empty)
{
    edb_series *s = new_series("SA_ZFGDETID", EDB_VT_INT, "tinyint");
    ck_assert_int_eq(edb_series_push_int(s, T0, 1), EDB_OK);
    ck_assert_int_eq(edb_series_push_int(s, T1, INT64_MIN), EDB_OK);
    ck_assert_int_eq(edb_series_push_int(s, T2, INT64_MAX), EDB_OK);
    check_all_blocks(EDB__REPLY_DIRECT_JSON, s, T0, T2,
                     "{\"TlmMnemonic\":\"SA_ZFGDETID\",\"AllPoints\":1,\"Count\":3,"
                     "\"ReqSTime\":\"/Date(1611628142147+0000)/\","
                     "\"ReqETime\":\"/Date(1611628144500+0000)/\",\"Data\":["
                     "{\"ObsTime\":\"/Date(1611628142147+0000)/\",\"EUValue\":1},"
                     "{\"ObsTime\":\"/Date(1611628143000+0000)/\",\"EUValue\":-9223372036854775808},"
                     "{\"ObsTime\":\"/Date(1611628144500+0000)/\",\"EUValue\":9223372036854775807}]}");
    edb_series_free(s);

    /* no samples: an empty Data array (never null: a Python literal has no null) */
    s = new_series("SXX_EMPTY", EDB_VT_NONE, "real");
    check_all_blocks(EDB__REPLY_EDP_JSON, s, T0, T2,
                     "{\"TlmMnemonic\":\"SXX_EMPTY\",\"ReqSTime\":\"2021-01-26T02:29:02.147\","
                     "\"ReqETime\":\"2021-01-26T02:29:04.500\",\"Count\":0,\"AllPoints\":1,"
                     "\"Data\":[]}");
    check_all_blocks(EDB__REPLY_DIRECT_JSON, s, 0, 999,
                     "{\"TlmMnemonic\":\"SXX_EMPTY\",\"AllPoints\":1,\"Count\":0,"
                     "\"ReqSTime\":\"/Date(0+0000)/\",\"ReqETime\":\"/Date(0+0000)/\","
                     "\"Data\":[]}");
    check_all_blocks(EDB__REPLY_MAST_CSV, s, 0, 0, "theTime,MJD,euvalue,sqldataType\r\n");
    edb_series_free(s);

    /* before 1970: times floor toward the past, as the ISO form does */
    s = new_series("SXX_OLD", EDB_VT_INT, "int");
    ck_assert_int_eq(edb_series_push_int(s, -1500000, 7), EDB_OK);
    check_all_blocks(EDB__REPLY_DIRECT_JSON, s, -1500001, -1,
                     "{\"TlmMnemonic\":\"SXX_OLD\",\"AllPoints\":1,\"Count\":1,"
                     "\"ReqSTime\":\"/Date(-1501+0000)/\",\"ReqETime\":\"/Date(-1+0000)/\","
                     "\"Data\":[{\"ObsTime\":\"/Date(-1500+0000)/\",\"EUValue\":7}]}");
    check_all_blocks(EDB__REPLY_EDP_JSON, s, -1500000, 0,
                     "{\"TlmMnemonic\":\"SXX_OLD\",\"ReqSTime\":\"1969-12-31T23:59:58.500\","
                     "\"ReqETime\":\"1970-01-01T00:00:00.000\",\"Count\":1,\"AllPoints\":1,"
                     "\"Data\":[{\"ObsTime\":\"1969-12-31T23:59:58.500\",\"EUValue\":7}]}");
    edb_series_free(s);
}
END_TEST

/* The string values every escape rule meets, and one longer than any buffer involved. */
static edb_series *string_series(size_t *long_len)
{
    edb_series *s = new_series("ICTM_STATE", EDB_VT_STRING, "varchar");
    const char *v[] = {"IDLE", "A,B", "say \"hi\"", "two\r\nlines", "tab\tback\\slash",
                       "\x01\x1f\x7f", "caf\xC3\xA9 \xF0\x9F\x98\x80", "bad \xFF \xE2\x82 end",
                       "\xED\xA0\x80", ""};
    for (size_t k = 0; k < sizeof v / sizeof *v; k++)
        ck_assert_int_eq(edb_series_push_str(s, T0 + (int64_t)k * 1000, v[k], strlen(v[k])), EDB_OK);
    *long_len = 100000;
    char *big = malloc(*long_len);
    for (size_t k = 0; k < *long_len; k++)
        big[k] = "ab\"c,\n"[k % 6];
    ck_assert_int_eq(edb_series_push_str(s, T2, big, *long_len), EDB_OK);
    free(big);
    return s;
}

START_TEST(strings)
{
    size_t big;
    edb_series *s = string_series(&big);
    /* the expected texts, built by hand */
    edb__buf want = {0};
    const char *head = "{\"TlmMnemonic\":\"ICTM_STATE\",\"AllPoints\":1,\"Count\":11,"
                       "\"ReqSTime\":\"/Date(1611628142147+0000)/\","
                       "\"ReqETime\":\"/Date(1611628144500+0000)/\",\"Data\":[";
    const char *rows[] = {"\"IDLE\"", "\"A,B\"", "\"say \\\"hi\\\"\"", "\"two\\r\\nlines\"",
                          "\"tab\\tback\\\\slash\"", "\"\\u0001\\u001f\\u007f\"",
                          "\"caf\xC3\xA9 \xF0\x9F\x98\x80\"",
                          "\"bad \xEF\xBF\xBD \xEF\xBF\xBD\xEF\xBF\xBD end\"",
                          "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"", "\"\""};
    edb__buf_printf(&want, "%s", head);
    for (size_t k = 0; k < 10; k++)
        edb__buf_printf(&want, "%s{\"ObsTime\":\"/Date(%lld+0000)/\",\"EUValue\":%s}", k ? "," : "",
                        (long long)(1611628142147 + (long long)k), rows[k]);
    edb__buf_printf(&want, ",{\"ObsTime\":\"/Date(1611628144500+0000)/\",\"EUValue\":\"");
    for (size_t k = 0; k < big; k++) {
        static const char *const unit[6] = {"a", "b", "\\\"", "c", ",", "\\n"};
        edb__buf_printf(&want, "%s", unit[k % 6]);
    }
    edb__buf_printf(&want, "\"}]}");
    check_all_blocks(EDB__REPLY_DIRECT_JSON, s, T0, T2, want.p);
    edb__buf_free(&want);

    /* path A: RFC 4180 quoting only where needed, bytes as they are */
    edb__buf_printf(&want, "theTime,MJD,euvalue,sqldataType\r\n");
    const char *csv[] = {"IDLE", "\"A,B\"", "\"say \"\"hi\"\"\"", "\"two\r\nlines\"",
                         "tab\tback\\slash", "\x01\x1f\x7f", "caf\xC3\xA9 \xF0\x9F\x98\x80",
                         "bad \xFF \xE2\x82 end", "\xED\xA0\x80", ""};
    /* MJD of 02:29:02.147 + k ms: 59240 + (8942147 + k) / 86400000, rounded to 10 places */
    const char *mjd[] = {"59240.1034970718", "59240.1034970833", "59240.1034970949",
                         "59240.1034971065", "59240.1034971181", "59240.1034971296",
                         "59240.1034971412", "59240.1034971528", "59240.1034971644",
                         "59240.1034971759"};
    for (size_t k = 0; k < 10; k++)
        edb__buf_printf(&want, "2021-01-26 02:29:02.%03d000,%s,%s,varchar\r\n", 147 + (int)k, mjd[k],
                        csv[k]);
    edb__buf_printf(&want, "2021-01-26 02:29:04.500000,59240.1035243056,\"");
    for (size_t k = 0; k < big; k++) {
        static const char *const unit[6] = {"a", "b", "\"\"", "c", ",", "\n"};
        edb__buf_printf(&want, "%s", unit[k % 6]);
    }
    edb__buf_printf(&want, "\",varchar\r\n");
    /* the CSV body holds a NUL-free text, but compare by length all the same */
    size_t len;
    char *w = whole(EDB__REPLY_MAST_CSV, s, 0, 0, &len);
    ck_assert_uint_eq(len, want.len);
    ck_assert(memcmp(w, want.p, len) == 0);
    for (size_t k = 0; k < sizeof blocks / sizeof *blocks; k++)
        check_stream(EDB__REPLY_MAST_CSV, s, 0, 0, want.p, want.len, blocks[k]);
    free(w);
    edb__buf_free(&want);
    edb_series_free(s);
}
END_TEST

/* romancal reads EDP replies with ast.literal_eval: the text must be a Python literal
 * meaning what the JSON means, for every kind of value. */
START_TEST(edp_is_a_python_literal)
{
    if (access("/usr/bin/python3", X_OK) != 0) {
        fprintf(stderr, "test_reply: skipped the Python check: /usr/bin/python3 missing\n");
        return;
    }
    char *dir = tu_mkdtemp();
    size_t big;
    edb_series *s[3];
    s[0] = string_series(&big);
    s[1] = new_series("SA_ZATTEST1", EDB_VT_REAL, "real");
    ck_assert_int_eq(edb_series_push_real(s[1], T0, 2.0), EDB_OK);
    ck_assert_int_eq(edb_series_push_real(s[1], T0, NAN), EDB_OK);
    ck_assert_int_eq(edb_series_push_real(s[1], T1, -1e-300), EDB_OK);
    s[2] = new_series("SXX_EMPTY", EDB_VT_NONE, "real");
    for (int k = 0; k < 3; k++) {
        size_t len;
        char *w = whole(EDB__REPLY_EDP_JSON, s[k], T0, T2, &len);
        char name[32];
        snprintf(name, sizeof name, "edp%d.json", k);
        ck_assert_int_eq(tu_write_file(tu_path(dir, name), w, len), 0);
        free(w);
        edb_series_free(s[k]);
    }
    const char *prog =
        "import ast, json, sys\n"
        "for k in range(3):\n"
        "    text = open(sys.argv[1] + '/edp%d.json' % k, encoding='utf-8').read()\n"
        "    a, b = json.loads(text), ast.literal_eval(text)\n"
        "    assert a == b, (k, a, b)\n"
        "    assert a['Count'] == len(a['Data'])\n"
        "d = json.loads(open(sys.argv[1] + '/edp0.json', encoding='utf-8').read())['Data']\n"
        "assert d[6]['EUValue'] == 'caf\\u00e9 \\U0001F600', d[6]\n"
        "assert d[5]['EUValue'] == '\\x01\\x1f\\x7f'\n"
        "assert d[7]['EUValue'] == 'bad \\ufffd \\ufffd\\ufffd end'\n"
        "assert d[10]['EUValue'] == 'ab\"c,\\n' * 16666 + 'ab\"c'\n"
        "e = ast.literal_eval(open(sys.argv[1] + '/edp1.json').read())['Data']\n"
        "assert e[0]['EUValue'] == 2 and e[1]['EUValue'] == 'NaN' and e[2]['EUValue'] == -1e-300\n"
        "assert ast.literal_eval(open(sys.argv[1] + '/edp2.json').read())['Data'] == []\n";
    const char *argv[] = {"/usr/bin/python3", "-c", prog, dir, NULL};
    const char *env[] = {"LD_PRELOAD=", NULL};
    tu_run r;
    int st = tu_run_cmd(&r, argv, env);
    ck_assert_msg(st == 0, "python: %s%s", r.out, r.err);
    tu_run_free(&r);
    tu_rmtree(dir);
    free(dir);
}
END_TEST

/* The same bodies straight from the fixture store, every mnemonic, every kind: streamed
 * and whole agree, the length is exact, and B/EDP parse as JSON with the right count. */
START_TEST(fixture_store_streams)
{
    edb_store *st = NULL;
    edb_err err = EDB_ERR_INIT;
    ck_assert_msg(edb_store_open(&st, tu_fixture("jwst-2021-01-26"), &err) == EDB_OK, "%s", err.msg);
    const char *names[] = {"SA_ZATTEST1", "SA_ZFGDETID", "INRSI_GWA_Y_TILT_AVGED", "SA_ZADUCMDX"};
    for (size_t k = 0; k < sizeof names / sizeof *names; k++) {
        edb_series *s = NULL;
        ck_assert_int_eq(edb_store_query(st, names[k], EDB_TIME_MIN, EDB_TIME_MAX, 1, &s, &err),
                         EDB_OK);
        for (int kind = 0; kind < 3; kind++) {
            size_t len;
            char *w = whole((edb__reply_kind)kind, s, T0, T2, &len);
            for (size_t b = 0; b < sizeof blocks / sizeof *blocks; b++)
                check_stream((edb__reply_kind)kind, s, T0, T2, w, len, blocks[b]);
            if (kind != EDB__REPLY_MAST_CSV) {
                json_error_t je;
                json_t *j = json_loadb(w, len, 0, &je);
                ck_assert_msg(j != NULL, "%s: %s", names[k], je.text);
                ck_assert_uint_eq(json_array_size(json_object_get(j, "Data")), s->n);
                ck_assert_int_eq(json_integer_value(json_object_get(j, "Count")), (json_int_t)s->n);
                json_decref(j);
            }
            free(w);
        }
        edb_series_free(s);
    }
    edb_store_free(st);
}
END_TEST

/* A reply's length from its rows' lengths (what a server keeps per block) is its length;
 * the rows' lengths add up over any split of a range. */
START_TEST(rows_length_adds_up)
{
    size_t big;
    edb_series *str = string_series(&big);
    edb_series *re = new_series("SA_ZATTEST1", EDB_VT_REAL, "real");
    for (int k = 0; k < 5000; k++)
        ck_assert_int_eq(edb_series_push_real(re, T0 + k * 1000, k % 7 == 0 ? 2.0 : k * 1e-3 - 1.5),
                         EDB_OK);
    edb_series *series[2] = {str, re};
    for (int si = 0; si < 2; si++) {
        const edb_series *s = series[si];
        for (int kind = 0; kind < 3; kind++) {
            size_t n = s->n, cuts[] = {0, 1, n / 3, n / 2, n - 1, n};
            for (size_t a = 0; a < 6; a++)
                for (size_t b = a; b < 6; b++) {
                    size_t lo = cuts[a], hi = cuts[b];
                    uint64_t whole = edb__reply_rows_length((edb__reply_kind)kind, s, lo, hi);
                    for (size_t m = lo; m <= hi; m += (hi - lo) / 3 + 1)
                        ck_assert_uint_eq(whole, edb__reply_rows_length((edb__reply_kind)kind, s, lo, m) +
                                                     edb__reply_rows_length((edb__reply_kind)kind, s, m, hi));
                    /* a window of the series, as the server sends it */
                    edb_series v = *s;
                    v.n = hi - lo;
                    v.t = s->t + lo;
                    v.d = s->d ? s->d + lo : NULL;
                    v.soff = s->soff ? s->soff + lo : NULL;
                    edb__reply_gen *g1 = NULL, *g2 = NULL;
                    ck_assert_int_eq(edb__reply_gen_new(&g1, (edb__reply_kind)kind, &v, T0, T2), EDB_OK);
                    ck_assert_int_eq(edb__reply_gen_new_sized(&g2, (edb__reply_kind)kind, &v, T0, T2,
                                                              whole), EDB_OK);
                    ck_assert_uint_eq(edb__reply_gen_length(g1), edb__reply_gen_length(g2));
                    edb__reply_gen_free(g1);
                    edb__reply_gen_free(g2);
                }
        }
    }
    ck_assert_uint_eq(edb__reply_rows_length(EDB__REPLY_MAST_CSV, re, 3, 3), 0);
    ck_assert_uint_eq(edb__reply_rows_length(EDB__REPLY_MAST_CSV, re, 0, re->n + 1), 0);
    edb_series_free(str);
    edb_series_free(re);
}
END_TEST

START_TEST(bad_arguments)
{
    edb__reply_gen *g = (edb__reply_gen *)1;
    edb_series *s = new_series("SA_ZX", EDB_VT_REAL, "real");
    ck_assert_int_eq(edb__reply_gen_new(&g, EDB__REPLY_MAST_CSV, NULL, 0, 0), EDB_ERR_USAGE);
    ck_assert_ptr_null(g);
    ck_assert_int_eq(edb__reply_gen_new(&g, (edb__reply_kind)7, s, 0, 0), EDB_ERR_USAGE);
    ck_assert_int_eq(edb__reply_gen_new(NULL, EDB__REPLY_MAST_CSV, s, 0, 0), EDB_ERR_USAGE);
    ck_assert_uint_eq(edb__reply_gen_read(NULL, (char *)s, 1), 0);
    ck_assert_uint_eq(edb__reply_gen_length(NULL), 0);
    edb__reply_gen_free(NULL);
    edb_series_free(s);
}
END_TEST

static Suite *reply_suite(void)
{
    Suite *su = suite_create("reply");
    TCase *tc = tcase_create("reply");
    tcase_add_test(tc, reals);
    tcase_add_test(tc, ints_and_empty);
    tcase_add_test(tc, strings);
    tcase_add_test(tc, edp_is_a_python_literal);
    tcase_add_test(tc, fixture_store_streams);
    tcase_add_test(tc, rows_length_adds_up);
    tcase_add_test(tc, bad_arguments);
    suite_add_tcase(su, tc);
    return su;
}

int main(void)
{
    SRunner *sr = srunner_create(reply_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
