/* test_jsondec.c: the streaming JSON decoder of path B and EDP replies (edb/jsondec.c).
 *
 * What the samples should be comes from elsewhere than the code under test: the real
 * recordings are parsed again here with jansson (times read from the /Date()/ text by
 * hand) and checked against counts, end times, time sums and XORs of the value bits that
 * Python's json module gave (the table below); the local store (store.c, jansson) must
 * give the same series for the same files; the malformed replies and their exact
 * messages come from tests/unit/jsondec_cases.py; times are worked out in the comments.
 * Every body is decoded whole, one byte at a time and in random pieces, and all must
 * agree to the bit. */
#include <check.h>
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <edb/decoder.h>
#include <edb/jsondec.h>
#include <edb/number.h>
#include <edb/series.h>
#include <edb/store.h>

#include "testutil.h"

#define FIXDIR "jwst-2021-01-26"

/* ---- facts about the recordings, from Python ------------------------------------------
 * for each *_data.json: json.load; times int(ObsTime[6:-2].replace('+0000','')) * 1000;
 * xor of struct.unpack('<Q', struct.pack('<d', float(v))) over the values; the SQLType of
 * meta.json lower-cased; whether every value is a JSON integer. */
typedef struct fact {
    const char *name, *sqltype;
    size_t n;
    int64_t t_first, t_last, t_sum;
    double v_first, v_last;
    uint64_t v_xor;
    int all_int;
} fact;

static const fact facts[] = {
    {"INRSI_GWA_Y_TILT_AVGED", "real", 400, INT64_C(1611628142019000), INT64_C(1611628550634000), INT64_C(644651338530557000), 0.0, 0.0, UINT64_C(0x0000000000000000), 1},
    {"SA_ZADUCMDX", "float", 799, INT64_C(1611628141891000), INT64_C(1611628550505000), INT64_C(1287691048612451000), 0.01074913638172125, 0.001278620912427419, UINT64_C(0xbe6bb068d0f6a07a), 0},
    {"SA_ZADUCMDY", "float", 799, INT64_C(1611628141891000), INT64_C(1611628550505000), INT64_C(1287691048612451000), -0.003675079104400202, -0.004721926340732622, UINT64_C(0xbfb13b78ec4a0493), 0},
    {"SA_ZATTEST1", "real", 1607, INT64_C(1611628142147000), INT64_C(1611628550249000), INT64_C(2589886752351462000), -0.209546775, -0.209547073, UINT64_C(0xbfcad2732d3c8e60), 0},
    {"SA_ZATTEST2", "real", 1607, INT64_C(1611628142147000), INT64_C(1611628550249000), INT64_C(2589886752351462000), -0.617765546, -0.6177655, UINT64_C(0xbfe3c4bb984dda19), 0},
    {"SA_ZATTEST3", "real", 1607, INT64_C(1611628142147000), INT64_C(1611628550249000), INT64_C(2589886752351462000), -0.4465316, -0.446531624, UINT64_C(0xbfdc93f85315c356), 0},
    {"SA_ZATTEST4", "real", 1607, INT64_C(1611628142147000), INT64_C(1611628550249000), INT64_C(2589886752351462000), 0.612425864, 0.6124258, UINT64_C(0x3fe398fdb5f69270), 0},
    {"SA_ZFGDETID", "tinyint", 52, INT64_C(1611628138051000), INT64_C(1611628555882000), INT64_C(83804674042254000), 1.0, 1.0, UINT64_C(0x0000000000000000), 1},
    {"SA_ZFGGSCMDX", "float", 798, INT64_C(1611628142147000), INT64_C(1611628550249000), INT64_C(1286079420266273000), -22.40031242370602, -22.40031242370602, UINT64_C(0x0000000000000000), 0},
    {"SA_ZFGGSCMDY", "float", 798, INT64_C(1611628142147000), INT64_C(1611628550249000), INT64_C(1286079420266273000), -8.17869377136229, -8.17869377136229, UINT64_C(0x0000000000000000), 0},
    {"SA_ZFGGSPOSX", "real", 798, INT64_C(1611628142147000), INT64_C(1611628550249000), INT64_C(1286079420266273000), -22.4031086, -22.40269, UINT64_C(0x000003710ddae861), 0},
    {"SA_ZFGGSPOSY", "real", 798, INT64_C(1611628142147000), INT64_C(1611628550249000), INT64_C(1286079420266273000), -8.185384, -8.174734, UINT64_C(0x000001dc5958da66), 0},
    {"SA_ZRFGS2J11", "float", 14, INT64_C(1611628127554000), INT64_C(1611628553578000), INT64_C(22562796767921000), -0.0009771910460849853, -0.0009768913691375891, UINT64_C(0x0000033480287f00), 0},
    {"SA_ZRFGS2J12", "float", 14, INT64_C(1611628127554000), INT64_C(1611628553578000), INT64_C(22562796767921000), 0.003389935290444901, 0.003390052270699162, UINT64_C(0x00000199cd71577e), 0},
    {"SA_ZRFGS2J13", "float", 14, INT64_C(1611628127554000), INT64_C(1611628553578000), INT64_C(22562796767921000), 0.9999937766988283, 0.9999937765950622, UINT64_C(0x00000000006af734), 0},
    {"SA_ZRFGS2J21", "float", 14, INT64_C(1611628127554000), INT64_C(1611628553578000), INT64_C(22562796767921000), 0.9999995225432567, 0.9999995228360572, UINT64_C(0x00000000005d89e1), 0},
    {"SA_ZRFGS2J22", "float", 14, INT64_C(1611628127554000), INT64_C(1611628553578000), INT64_C(22562796767921000), 8.417044478070679e-09, 8.531367723385586e-09, UINT64_C(0x000398044a000000), 0},
    {"SA_ZRFGS2J23", "float", 14, INT64_C(1611628127554000), INT64_C(1611628553578000), INT64_C(22562796767921000), 0.000977196632374222, 0.0009768969537037875, UINT64_C(0x000002ec84106900), 0},
    {"SA_ZRFGS2J31", "float", 14, INT64_C(1611628127554000), INT64_C(1611628553578000), INT64_C(22562796767921000), 3.304216357746803e-06, 3.303200421522767e-06, UINT64_C(0x00000c1d7009fffe), 0},
    {"SA_ZRFGS2J32", "float", 14, INT64_C(1611628127554000), INT64_C(1611628553578000), INT64_C(22562796767921000), 0.9999942541528559, 0.9999942537562914, UINT64_C(0x00000000001851fb), 0},
    {"SA_ZRFGS2J33", "float", 14, INT64_C(1611628127554000), INT64_C(1611628553578000), INT64_C(22562796767921000), -0.003389933680122415, -0.003390050661422644, UINT64_C(0x0000019048c8c241), 0},
};
#define N_FACTS (sizeof facts / sizeof facts[0])

/* ---- decoding helpers -------------------------------------------------------------- */

enum { WHOLE, BYTES, RANDOM, RANDOM_BIG };

typedef struct result {
    edb_series *s;
    edb_status st;
    char msg[1024];
    size_t rows;
} result;

static unsigned long long rng_state;
static unsigned rnd(void)
{
    /* splitmix64: a fixed seed gives the same pieces on every machine */
    unsigned long long z = (rng_state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return (unsigned)((z ^ (z >> 31)) >> 16);
}

static void feed_all(edb_jsondec *d, result *r, const char *body, size_t len, int mode)
{
    size_t off = 0;
    r->st = EDB_OK;
    while (off < len && r->st == EDB_OK) {
        size_t n = len - off;
        if (mode == BYTES) {
            n = 1;
        } else if (mode == RANDOM || mode == RANDOM_BIG) {
            size_t c = rnd() % (mode == RANDOM ? 24 : 5000);
            if (c < n)
                n = c; /* zero-length feeds included on purpose */
        }
        r->st = edb_jsondec_feed(d, body + off, n);
        off += n;
    }
    edb_status fin = edb_jsondec_finish(d);
    if (r->st == EDB_OK)
        r->st = fin;
    ck_assert_int_eq(fin, r->st); /* after an error, finish repeats it */
    snprintf(r->msg, sizeof r->msg, "%s", edb_jsondec_errmsg(d));
    r->rows = edb_jsondec_rows(d);
}

static void decode(result *r, const char *mnem, const char *body, size_t len,
                   const edb_decode_options *o, int mode)
{
    edb_jsondec *d = NULL;
    ck_assert_int_eq(edb_series_new(&r->s, mnem), EDB_OK);
    ck_assert_int_eq(edb_jsondec_new(&d, r->s, o), EDB_OK);
    feed_all(d, r, body, len, mode);
    edb_jsondec_free(d);
}

static void done(result *r)
{
    edb_series_free(r->s);
    r->s = NULL;
}

static int same_bits(double a, double b)
{
    return memcmp(&a, &b, sizeof a) == 0;
}

static void assert_same(const result *a, const result *b)
{
    ck_assert_int_eq(a->st, b->st);
    ck_assert_str_eq(a->msg, b->msg);
    ck_assert_uint_eq(a->rows, b->rows);
    if (a->st != EDB_OK)
        return;
    const edb_series *x = a->s, *y = b->s;
    ck_assert_int_eq(x->vtype, y->vtype);
    ck_assert_str_eq(x->sqltype, y->sqltype);
    ck_assert_int_eq(x->all_points, y->all_points);
    ck_assert_uint_eq(x->n, y->n);
    for (size_t k = 0; k < x->n; k++) {
        ck_assert_int_eq(x->t[k], y->t[k]);
        if (x->vtype == EDB_VT_REAL) {
            ck_assert_msg(same_bits(x->d[k], y->d[k]), "sample %zu: %.17g vs %.17g", k, x->d[k],
                          y->d[k]);
        } else if (x->vtype == EDB_VT_INT) {
            ck_assert_int_eq(x->i[k], y->i[k]);
        } else {
            size_t lx, ly;
            const char *sx = edb_series_str(x, k, &lx), *sy = edb_series_str(y, k, &ly);
            ck_assert_uint_eq(lx, ly);
            ck_assert(memcmp(sx, sy, lx) == 0);
        }
    }
}

/* Decode whole, then one byte at a time and in random pieces (small and large, three
 * seeds each): every result must be the whole one.  Returns the whole one. */
static void decode_all_ways(result *whole, const char *mnem, const char *body, size_t len,
                            const edb_decode_options *o)
{
    decode(whole, mnem, body, len, o, WHOLE);
    result other;
    decode(&other, mnem, body, len, o, BYTES);
    assert_same(whole, &other);
    done(&other);
    for (unsigned seed = 1; seed <= 3; seed++) {
        rng_state = seed;
        decode(&other, mnem, body, len, o, RANDOM);
        assert_same(whole, &other);
        done(&other);
        decode(&other, mnem, body, len, o, RANDOM_BIG);
        assert_same(whole, &other);
        done(&other);
    }
}

static void decode_str(result *r, const char *mnem, const char *body, const edb_decode_options *o)
{
    decode_all_ways(r, mnem, body, strlen(body), o);
    ck_assert_msg(r->st == EDB_OK, "%s", r->msg);
}

static char *fixture_body(const char *mnem, size_t *len)
{
    char rel[128];
    size_t k = 0;
    for (; mnem[k] && k < 100; k++)
        rel[k] = (char)(mnem[k] >= 'A' && mnem[k] <= 'Z' ? mnem[k] - 'A' + 'a' : mnem[k]);
    snprintf(rel + k, sizeof rel - k, "_data.json");
    char path[256];
    snprintf(path, sizeof path, "%s/%s", FIXDIR, rel);
    char *body = tu_read_file(tu_fixture(path), len);
    ck_assert_msg(body != NULL, "cannot read %s", path);
    return body;
}

static edb_vtype vt_of(const char *sqltype)
{
    return edb_vtype_from_sqltype(sqltype, strlen(sqltype));
}

/* The samples of a recording as jansson reads them: times from the "/Date(ms+0000)/"
 * text by hand, values as doubles (integers converted), in file order. */
typedef struct indep {
    size_t n;
    int64_t *t;
    double *v;
    int *is_int;
} indep;

static void indep_parse(indep *x, const char *body, size_t len)
{
    json_error_t e;
    json_t *root = json_loadb(body, len, 0, &e);
    ck_assert_msg(root != NULL, "jansson: %s", e.text);
    json_t *data = json_object_get(root, "Data");
    x->n = json_array_size(data);
    x->t = calloc(x->n + 1, sizeof *x->t);
    x->v = calloc(x->n + 1, sizeof *x->v);
    x->is_int = calloc(x->n + 1, sizeof *x->is_int);
    for (size_t k = 0; k < x->n; k++) {
        json_t *el = json_array_get(data, k);
        const char *ot = json_string_value(json_object_get(el, "ObsTime"));
        ck_assert(ot && strncmp(ot, "/Date(", 6) == 0);
        int64_t ms = 0;
        for (const char *p = ot + 6; *p >= '0' && *p <= '9'; p++)
            ms = ms * 10 + (*p - '0');
        x->t[k] = ms * 1000;
        json_t *v = json_object_get(el, "EUValue");
        x->is_int[k] = json_is_integer(v);
        x->v[k] = json_is_integer(v) ? (double)json_integer_value(v) : json_real_value(v);
    }
    json_decref(root);
}

static void indep_free(indep *x)
{
    free(x->t);
    free(x->v);
    free(x->is_int);
}

static double value_at(const edb_series *s, size_t k)
{
    return s->vtype == EDB_VT_INT ? (double)s->i[k] : s->d[k];
}

/* ---- the recordings ------------------------------------------------------------------ */

/* Each of the 21 recordings, with its metadata type and with none: the same samples as
 * jansson and Python find, however the body is cut. */
START_TEST(test_recordings)
{
    for (size_t f = 0; f < N_FACTS; f++) {
        const fact *F = &facts[f];
        size_t len;
        char *body = fixture_body(F->name, &len);
        indep x;
        indep_parse(&x, body, len);
        ck_assert_uint_eq(x.n, F->n);

        for (int typed = 0; typed < 2; typed++) {
            edb_decode_options o = EDB_DECODE_OPTIONS_INIT;
            if (typed) {
                o.vtype = vt_of(F->sqltype);
                o.sqltype = F->sqltype;
            }
            result r;
            decode_all_ways(&r, F->name, body, len, &o);
            ck_assert_msg(r.st == EDB_OK, "%s: %s", F->name, r.msg);
            const edb_series *s = r.s;
            /* typed: the metadata's; untyped: every value a JSON integer makes INT */
            edb_vtype want = typed ? vt_of(F->sqltype) : F->all_int ? EDB_VT_INT : EDB_VT_REAL;
            const char *want_sql = typed ? F->sqltype : F->all_int ? "int" : "float";
            ck_assert_int_eq(s->vtype, want);
            ck_assert_str_eq(s->sqltype, want_sql);
            ck_assert_int_eq(s->all_points, 1);
            ck_assert_uint_eq(r.rows, F->n);
            ck_assert_uint_eq(s->n, F->n);
            ck_assert_int_eq(s->t[0], F->t_first);
            ck_assert_int_eq(s->t[s->n - 1], F->t_last);
            int64_t tsum = 0;
            uint64_t vx = 0;
            for (size_t k = 0; k < s->n; k++) {
                double v = value_at(s, k);
                uint64_t b;
                memcpy(&b, &v, sizeof b);
                vx ^= b;
                tsum += s->t[k];
                ck_assert_int_eq(s->t[k], x.t[k]);
                ck_assert_msg(same_bits(v, x.v[k]), "%s[%zu]: %.17g, jansson %.17g", F->name, k,
                              v, x.v[k]);
            }
            ck_assert_int_eq(tsum, F->t_sum);
            ck_assert_uint_eq(vx, F->v_xor);
            ck_assert(same_bits(value_at(s, 0), F->v_first));
            ck_assert(same_bits(value_at(s, s->n - 1), F->v_last));
            done(&r);
        }
        indep_free(&x);
        free(body);
    }
}
END_TEST

/* The local store reads the same files with jansson (store.c): for the same range and
 * brackets it must give the very same series, type and type name, so that outputs over
 * path B equal those of the jwst layout. */
START_TEST(test_same_as_store)
{
    edb_store *st = NULL;
    edb_err err = EDB_ERR_INIT;
    ck_assert_int_eq(edb_store_open(&st, tu_fixture(FIXDIR), &err), EDB_OK);
    for (size_t f = 0; f < N_FACTS; f++) {
        const fact *F = &facts[f];
        size_t len;
        char *body = fixture_body(F->name, &len);
        edb_meta_entry me;
        ck_assert(edb_store_meta(st, F->name, &me));
        /* the whole file, then a middle third with and without brackets */
        int64_t span = F->t_last - F->t_first;
        const int64_t ranges[3][2] = {{EDB_TIME_MIN, EDB_TIME_MAX},
                                      {F->t_first + span / 3, F->t_first + 2 * span / 3},
                                      {F->t_first + span / 3 + 1, F->t_last - 1}};
        for (int q = 0; q < 3; q++) {
            for (int br = 0; br < 2; br++) {
                edb_series *want = NULL;
                ck_assert_int_eq(edb_store_query(st, F->name, ranges[q][0], ranges[q][1], br,
                                                 &want, &err),
                                 EDB_OK);
                edb_decode_options o = EDB_DECODE_OPTIONS_INIT;
                o.start = ranges[q][0];
                o.end = ranges[q][1];
                o.keep_before = o.keep_after = br;
                o.vtype = vt_of(me.sqltype);
                o.sqltype = me.sqltype;
                result r;
                decode(&r, F->name, body, len, &o, WHOLE);
                ck_assert_msg(r.st == EDB_OK, "%s", r.msg);
                result w = {want, EDB_OK, "", r.rows};
                w.s->all_points = r.s->all_points; /* the store's query does not carry it */
                assert_same(&r, &w);
                done(&r);
                edb_series_free(want);
            }
        }
        free(body);
    }
    edb_store_free(st);
}
END_TEST

/* For a mnemonic meta.json does not list, the store types the file from its values; the
 * decoder without a type must agree on the type, its name and every value. */
START_TEST(test_same_as_store_inferred)
{
    static const struct {
        const char *name, *values;
        const char *sqltype;
    } files[] = {
        {"X_INTS", "0,1,-2,2147483647", "int"},
        {"X_BIG", "0,1,-2147483649", "bigint"},
        {"X_WHOLE_IN_FLOATS", "0,0.0123,1,-7", "float"},
        {"X_REALS", "1e-3,2.5,-0.0,123456789.123456789", "float"},
        {"X_STRINGS", "\"ON\",\"OFF\",\"\",\"\\u00b5s\"", "varchar"},
    };
    char *dir = tu_mkdtemp();
    const char *meta = "{\"Count\":1,\"TlmMnemonics\":[{\"TlmMnemonic\":\"OTHER\","
                       "\"SQLType\":\"REAL\",\"AllPoints\":1}]}";
    ck_assert_int_eq(tu_write_file(tu_path(dir, "meta.json"), meta, strlen(meta)), 0);
    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
        char body[1024], lower[64], file[80];
        size_t o = (size_t)snprintf(body, sizeof body, "{\"TlmMnemonic\":\"%s\",\"Data\":[",
                                    files[f].name);
        const char *v = files[f].values;
        for (int k = 0; *v; k++) {
            const char *c = v;
            int inq = 0;
            while (*c && (inq || *c != ',')) {
                if (*c == '"' && (c == v || c[-1] != '\\'))
                    inq = !inq;
                c++;
            }
            o += (size_t)snprintf(body + o, sizeof body - o,
                                  "%s{\"ObsTime\":\"/Date(%d000+0000)/\",\"EUValue\":%.*s}",
                                  k ? "," : "", 1600000000 + k, (int)(c - v), v);
            v = *c ? c + 1 : c;
        }
        o += (size_t)snprintf(body + o, sizeof body - o, "]}");
        size_t n = strlen(files[f].name);
        for (size_t k = 0; k <= n; k++)
            lower[k] = (char)(files[f].name[k] >= 'A' && files[f].name[k] <= 'Z'
                                  ? files[f].name[k] - 'A' + 'a'
                                  : files[f].name[k]);
        snprintf(file, sizeof file, "%s_data.json", lower);
        ck_assert_int_eq(tu_write_file(tu_path(dir, file), body, o), 0);

        edb_store *st = NULL;
        edb_err err = EDB_ERR_INIT;
        ck_assert_int_eq(edb_store_open(&st, dir, &err), EDB_OK);
        edb_series *want = NULL;
        ck_assert_msg(edb_store_query(st, files[f].name, EDB_TIME_MIN, EDB_TIME_MAX, 1, &want,
                                      &err) == EDB_OK,
                      "%s", err.msg);
        result r;
        decode_all_ways(&r, files[f].name, body, o, NULL);
        ck_assert_msg(r.st == EDB_OK, "%s: %s", files[f].name, r.msg);
        ck_assert_str_eq(r.s->sqltype, files[f].sqltype);
        result w = {want, EDB_OK, "", r.rows};
        assert_same(&r, &w);
        done(&r);
        edb_series_free(want);
        edb_store_free(st);
    }
    tu_rmtree(dir);
    free(dir);
}
END_TEST

/* A reply written in another way carries the same samples: without the +0000 suffix, with
 * another zone suffix (the milliseconds are UTC either way), compact, escaped slashes
 * (.NET writes "\/Date(...)\/"), and as the EDP writes it (ISO times, values as numbers or
 * as strings). */
START_TEST(test_recording_variants)
{
    size_t len;
    char *body = fixture_body("SA_ZATTEST1", &len);
    edb_decode_options o = EDB_DECODE_OPTIONS_INIT;
    o.vtype = EDB_VT_REAL;
    o.sqltype = "real";
    result ref;
    decode(&ref, "SA_ZATTEST1", body, len, &o, WHOLE);
    ck_assert_int_eq(ref.st, EDB_OK);

    indep x;
    indep_parse(&x, body, len);
    enum { NO_SUFFIX, WEST, COMPACT, ESCAPED, EDP_NUMBERS, EDP_STRINGS, EDP_Z, N_VARIANTS };
    for (int v = 0; v < N_VARIANTS; v++) {
        size_t cap = 200 + x.n * 120, o2 = 0;
        char *b = malloc(cap);
        o2 += (size_t)snprintf(b + o2, cap - o2, "{\"TlmMnemonic\":\"sa_zattest1\",%s\"Data\":[",
                               v == COMPACT ? "\"AllPoints\":1," : " \"AllPoints\": 1, ");
        for (size_t k = 0; k < x.n; k++) {
            long long ms = x.t[k] / 1000;
            char when[64], val[40];
            /* %.17g reads back as the same double */
            snprintf(val, sizeof val, v == EDP_STRINGS ? "\"%.17g\"" : "%.17g", x.v[k]);
            if (v >= EDP_NUMBERS) {
                /* gmtime from the C library, not the time module under test */
                time_t secs = (time_t)(ms / 1000);
                struct tm tm;
                gmtime_r(&secs, &tm);
                snprintf(when, sizeof when, "%04d-%02d-%02dT%02d:%02d:%02d.%03lld%s",
                         tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                         tm.tm_sec, ms % 1000, v == EDP_Z ? "Z" : "");
            } else if (v == NO_SUFFIX || v == COMPACT) {
                snprintf(when, sizeof when, "/Date(%lld)/", ms);
            } else if (v == WEST) {
                snprintf(when, sizeof when, "/Date(%lld-0500)/", ms);
            } else {
                snprintf(when, sizeof when, "\\/Date(%lld+0000)\\/", ms);
            }
            if (v == COMPACT) /* values first */
                o2 += (size_t)snprintf(b + o2, cap - o2, "%s{\"EUValue\":%s,\"ObsTime\":\"%s\"}",
                                       k ? "," : "", val, when);
            else
                o2 += (size_t)snprintf(b + o2, cap - o2,
                                       "%s\n  {\"ObsTime\" : \"%s\",\t\"EUValue\": %s }",
                                       k ? "," : "", when, val);
        }
        o2 += (size_t)snprintf(b + o2, cap - o2, "]\n}\n");
        result r;
        decode_all_ways(&r, "SA_ZATTEST1", b, o2, &o);
        ck_assert_msg(r.st == EDB_OK, "variant %d: %s", v, r.msg);
        r.rows = ref.rows;
        assert_same(&ref, &r);
        done(&r);
        free(b);
    }
    indep_free(&x);
    done(&ref);
    free(body);
}
END_TEST

/* ---- typing ---------------------------------------------------------------------------- */

#define T0 "/Date(1611628142147+0000)/"
#define T1 "/Date(1611628142148+0000)/"
#define T2 "/Date(1611628142149+0000)/"
#define US0 INT64_C(1611628142147000)

static const char *body3(char *buf, size_t n, const char *a, const char *b, const char *c)
{
    snprintf(buf, n,
             "{\"Data\":[{\"ObsTime\":\"" T0 "\",\"EUValue\":%s},{\"ObsTime\":\"" T1
             "\",\"EUValue\":%s},{\"ObsTime\":\"" T2 "\",\"EUValue\":%s}]}",
             a, b, c);
    return buf;
}

static void expect_reals(const char *a, const char *b, const char *c, edb_vtype given,
                         const char *sqltype, const char *want_sql, const double want[3])
{
    char buf[512];
    edb_decode_options o = EDB_DECODE_OPTIONS_INIT;
    o.vtype = given;
    o.sqltype = sqltype;
    result r;
    decode_str(&r, "X", body3(buf, sizeof buf, a, b, c), &o);
    ck_assert_int_eq(r.s->vtype, EDB_VT_REAL);
    ck_assert_str_eq(r.s->sqltype, want_sql);
    ck_assert_uint_eq(r.s->n, 3);
    for (int k = 0; k < 3; k++) {
        ck_assert_int_eq(r.s->t[k], US0 + 1000 * k);
        ck_assert_msg(same_bits(r.s->d[k], want[k]), "%s,%s,%s [%d]: %.17g", a, b, c, k,
                      r.s->d[k]);
    }
    done(&r);
}

static void expect_ints(const char *a, const char *b, const char *c, edb_vtype given,
                        const char *sqltype, const char *want_sql, const int64_t want[3])
{
    char buf[512];
    edb_decode_options o = EDB_DECODE_OPTIONS_INIT;
    o.vtype = given;
    o.sqltype = sqltype;
    result r;
    decode_str(&r, "X", body3(buf, sizeof buf, a, b, c), &o);
    ck_assert_int_eq(r.s->vtype, EDB_VT_INT);
    ck_assert_str_eq(r.s->sqltype, want_sql);
    ck_assert_uint_eq(r.s->n, 3);
    for (int k = 0; k < 3; k++)
        ck_assert_int_eq(r.s->i[k], want[k]);
    done(&r);
}

static void expect_strings(const char *a, const char *b, const char *c, edb_vtype given,
                           const char *sqltype, const char *want_sql, const char *const want[3])
{
    char buf[512];
    edb_decode_options o = EDB_DECODE_OPTIONS_INIT;
    o.vtype = given;
    o.sqltype = sqltype;
    result r;
    decode_str(&r, "X", body3(buf, sizeof buf, a, b, c), &o);
    ck_assert_int_eq(r.s->vtype, EDB_VT_STRING);
    ck_assert_str_eq(r.s->sqltype, want_sql);
    ck_assert_uint_eq(r.s->n, 3);
    for (int k = 0; k < 3; k++) {
        size_t n;
        const char *s = edb_series_str(r.s, k, &n);
        ck_assert_uint_eq(n, strlen(want[k]));
        ck_assert(memcmp(s, want[k], n) == 0);
    }
    done(&r);
}

/* Without metadata the whole reply decides: never the first value. */
START_TEST(test_types_inferred)
{
    /* 0 among 0.0123 is REAL, wherever it stands */
    expect_reals("0", "0.0123", "1", EDB_VT_NONE, NULL, "float", (const double[]){0.0, 0.0123, 1.0});
    expect_reals("0.5", "2", "-3", EDB_VT_NONE, NULL, "float", (const double[]){0.5, 2.0, -3.0});
    expect_reals("1", "2", "3e0", EDB_VT_NONE, NULL, "float", (const double[]){1.0, 2.0, 3.0});
    /* an integer literal beyond int64 is read as a double, and makes the series REAL */
    expect_reals("1", "99999999999999999999", "-0", EDB_VT_NONE, NULL, "float",
                 (const double[]){1.0, 1e20, 0.0});
    /* -0 is the integer 0 (+0.0 as a double, as jansson reads it); -0.0 keeps its sign */
    expect_reals("-0", "-0.0", "5e-324", EDB_VT_NONE, NULL, "float",
                 (const double[]){0.0, -0.0, 4.9406564584124654e-324});
    expect_ints("1", "-2", "2147483647", EDB_VT_NONE, NULL, "int",
                (const int64_t[]){1, -2, INT32_MAX});
    expect_ints("1", "-2147483649", "0", EDB_VT_NONE, NULL, "bigint",
                (const int64_t[]){1, INT64_C(-2147483649), 0});
    expect_ints("9223372036854775807", "-9223372036854775808", "0", EDB_VT_NONE, NULL, "bigint",
                (const int64_t[]){INT64_MAX, INT64_MIN, 0});
    /* numbers with strings that read as numbers (the EDP may send either) */
    expect_reals("\"1.5\"", "2", "\"-7\"", EDB_VT_NONE, NULL, "float", (const double[]){1.5, 2.0, -7.0});
    expect_ints("\"3\"", "4", "\"+5\"", EDB_VT_NONE, NULL, "int", (const int64_t[]){3, 4, 5});
    expect_reals("\"NaN\"", "1", "\"inf\"", EDB_VT_NONE, NULL, "float",
                 (const double[]){NAN, 1.0, INFINITY});
    /* strings alone are strings, even when they read as numbers */
    expect_strings("\"1\"", "\"SCFA\"", "\"\"", EDB_VT_NONE, NULL, "varchar",
                   (const char *const[]){"1", "SCFA", ""});
}
END_TEST

/* With metadata every value converts to its type. */
START_TEST(test_types_given)
{
    expect_reals("0", "\"1.5\"", "3", EDB_VT_REAL, "real", "real", (const double[]){0.0, 1.5, 3.0});
    expect_reals("\"NaN\"", "-1e-3", "12345678901234567890", EDB_VT_REAL, "FLOAT", "float",
                 (const double[]){NAN, -0.001, 12345678901234567890.0});
    /* no name given: the local store's name for the type */
    expect_reals("1", "2", "3", EDB_VT_REAL, NULL, "float", (const double[]){1.0, 2.0, 3.0});
    expect_ints("3", "3.0", "\"3\"", EDB_VT_INT, "tinyint", "tinyint", (const int64_t[]){3, 3, 3});
    expect_ints("-4e2", "\"5.0\"", "\"-0\"", EDB_VT_INT, NULL, "int", (const int64_t[]){-400, 5, 0});
    expect_ints("1e10", "0", "1", EDB_VT_INT, NULL, "bigint", (const int64_t[]){INT64_C(10000000000), 0, 1});
    /* to STRING a number keeps its JSON text, verbatim */
    expect_strings("1.50", "\"ON\"", "-0e+00", EDB_VT_STRING, "varchar", "varchar",
                   (const char *const[]){"1.50", "ON", "-0e+00"});
    expect_strings("12345678901234567890123", "-0.000", "1E300", EDB_VT_STRING, NULL, "varchar",
                   (const char *const[]){"12345678901234567890123", "-0.000", "1E300"});
}
END_TEST

START_TEST(test_string_values)
{
    /* escapes, \u, surrogate pairs and UTF-8 as they are; a Python literal-safe reply */
    const char *body =
        "{\"TlmMnemonic\":\"OPE_SCF_DIR\",\"ReqSTime\":\"2027-02-23T01:00:00.000\","
        "\"ReqETime\":\"2027-02-23T01:00:05.000\",\"Count\":4,\"AllPoints\":1,\"Data\":["
        "{\"ObsTime\":\"2027-02-23T00:59:59.054\",\"EUValue\":\"SCFA\"},"
        "{\"ObsTime\":\"2027-02-23T01:00:00\",\"EUValue\":\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\"},"
        "{\"ObsTime\":\"2027-02-23T01:00:01Z\",\"EUValue\":\"\\u00e9\\u20AC\\ud83d\\ude00\\u0000\"},"
        "{\"ObsTime\":\"2027-02-23T01:00:02.5\",\"EUValue\":\"\xc2\xb5s \xe2\x82\xac \xf0\x9f\x98\x80\"}]}";
    result r;
    decode_str(&r, "ope_scf_dir", body, NULL);
    ck_assert_int_eq(r.s->vtype, EDB_VT_STRING);
    ck_assert_str_eq(r.s->sqltype, "varchar");
    ck_assert_uint_eq(r.s->n, 4);
    /* 2027-02-23T00:59:59.054Z is 1803344399054000 us (Python datetime) */
    const int64_t t[4] = {INT64_C(1803344399054000), INT64_C(1803344400000000),
                          INT64_C(1803344401000000), INT64_C(1803344402500000)};
    static const char v2[] = "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80";
    const char *want[4] = {"SCFA", "a\"b\\c/d\b\f\n\r\t", v2, "\xc2\xb5s \xe2\x82\xac \xf0\x9f\x98\x80"};
    const size_t wlen[4] = {4, strlen(want[1]), sizeof v2, strlen(want[3])};
    for (int k = 0; k < 4; k++) {
        size_t n;
        const char *s = edb_series_str(r.s, (size_t)k, &n);
        ck_assert_int_eq(r.s->t[k], t[k]);
        ck_assert_uint_eq(n, wlen[k]);
        ck_assert(memcmp(s, want[k], n) == 0); /* sample 2 ends with the NUL of \u0000 */
    }
    done(&r);
}
END_TEST

/* ---- range and brackets ------------------------------------------------------------- */

START_TEST(test_brackets_recording)
{
    size_t len;
    char *body = fixture_body("SA_ZATTEST2", &len);
    indep x;
    indep_parse(&x, body, len);
    /* a range strictly inside, with edges between samples and on a sample */
    const int64_t start = x.t[100] + 1, end = x.t[200];
    for (int kb = 0; kb < 2; kb++) {
        for (int ka = 0; ka < 2; ka++) {
            edb_decode_options o = EDB_DECODE_OPTIONS_INIT;
            o.start = start;
            o.end = end;
            o.keep_before = kb;
            o.keep_after = ka;
            result r;
            decode_all_ways(&r, "SA_ZATTEST2", body, len, &o);
            ck_assert_int_eq(r.st, EDB_OK);
            /* samples 101..200 inclusive, sample 100 before, 201 after */
            size_t lo = kb ? 100 : 101, hi = ka ? 201 : 200;
            ck_assert_uint_eq(r.s->n, hi - lo + 1);
            ck_assert_uint_eq(r.rows, x.n);
            for (size_t k = 0; k < r.s->n; k++) {
                ck_assert_int_eq(r.s->t[k], x.t[lo + k]);
                ck_assert(same_bits(r.s->d[k], x.v[lo + k]));
            }
            done(&r);
        }
    }
    /* nothing in range, brackets kept: the two neighbours */
    edb_decode_options o = EDB_DECODE_OPTIONS_INIT;
    o.start = x.t[10] + 1;
    o.end = x.t[11] - 1;
    o.keep_before = o.keep_after = 1;
    result r;
    decode_all_ways(&r, "SA_ZATTEST2", body, len, &o);
    ck_assert_uint_eq(r.s->n, 2);
    ck_assert_int_eq(r.s->t[0], x.t[10]);
    ck_assert_int_eq(r.s->t[1], x.t[11]);
    done(&r);
    /* everything before the range: only the last, typed from all */
    o.start = x.t[x.n - 1] + 1;
    o.end = EDB_TIME_MAX;
    o.keep_after = 0;
    decode_all_ways(&r, "SA_ZATTEST2", body, len, &o);
    ck_assert_uint_eq(r.s->n, 1);
    ck_assert_int_eq(r.s->vtype, EDB_VT_REAL);
    ck_assert_int_eq(r.s->t[0], x.t[x.n - 1]);
    done(&r);
    o.keep_before = 0;
    decode_all_ways(&r, "SA_ZATTEST2", body, len, &o);
    ck_assert_uint_eq(r.s->n, 0);
    ck_assert_int_eq(r.s->vtype, EDB_VT_REAL); /* dropped samples still type the series */
    ck_assert_str_eq(r.s->sqltype, "float");
    done(&r);
    indep_free(&x);
    free(body);
}
END_TEST

/* Of samples at the same time, the later one before start and the earlier one after end
 * are the brackets (mastcsv's rule); out-of-order samples are sorted, stably. */
START_TEST(test_brackets_ties_and_order)
{
    const char *body = "{\"Data\":["
                       "{\"ObsTime\":\"/Date(5000)/\",\"EUValue\":\"in-b\"},"
                       "{\"ObsTime\":\"/Date(1000)/\",\"EUValue\":\"before-1\"},"
                       "{\"ObsTime\":\"/Date(1000)/\",\"EUValue\":\"before-2\"},"
                       "{\"ObsTime\":\"/Date(900)/\",\"EUValue\":\"too-early\"},"
                       "{\"ObsTime\":\"/Date(9000)/\",\"EUValue\":\"after-1\"},"
                       "{\"ObsTime\":\"/Date(9000)/\",\"EUValue\":\"after-2\"},"
                       "{\"ObsTime\":\"/Date(4000)/\",\"EUValue\":\"in-a\"},"
                       "{\"ObsTime\":\"/Date(5000)/\",\"EUValue\":\"in-c\"},"
                       "{\"ObsTime\":\"/Date(9500)/\",\"EUValue\":\"too-late\"}]}";
    edb_decode_options o = EDB_DECODE_OPTIONS_INIT;
    o.start = 2000000;
    o.end = 8000000;
    o.keep_before = o.keep_after = 1;
    for (int typed = 0; typed < 2; typed++) {
        o.vtype = typed ? EDB_VT_STRING : EDB_VT_NONE;
        result r;
        decode_str(&r, "X", body, &o);
        const char *want[5] = {"before-2", "in-a", "in-b", "in-c", "after-1"};
        const int64_t wt[5] = {1000000, 4000000, 5000000, 5000000, 9000000};
        ck_assert_uint_eq(r.s->n, 5);
        ck_assert_uint_eq(r.rows, 9);
        for (size_t k = 0; k < 5; k++) {
            size_t n;
            const char *s = edb_series_str(r.s, k, &n);
            ck_assert_int_eq(r.s->t[k], wt[k]);
            ck_assert_uint_eq(n, strlen(want[k]));
            ck_assert(memcmp(s, want[k], n) == 0);
        }
        done(&r);
    }
}
END_TEST

/* With no type given, kept brackets wait like the other samples and take the type at
 * finish: an integer before a REAL series, a numeric string after it. */
START_TEST(test_brackets_typed_at_finish)
{
    const char *body = "{\"Data\":[{\"ObsTime\":\"/Date(1000)/\",\"EUValue\":1},"
                       "{\"ObsTime\":\"/Date(5000)/\",\"EUValue\":2.5},"
                       "{\"ObsTime\":\"/Date(9000)/\",\"EUValue\":\"3\"}]}";
    edb_decode_options o = EDB_DECODE_OPTIONS_INIT;
    o.start = 2000000;
    o.end = 8000000;
    o.keep_before = o.keep_after = 1;
    result r;
    decode_str(&r, "X", body, &o);
    ck_assert_int_eq(r.s->vtype, EDB_VT_REAL);
    ck_assert_str_eq(r.s->sqltype, "float");
    ck_assert_uint_eq(r.s->n, 3);
    const double want[3] = {1.0, 2.5, 3.0};
    for (int k = 0; k < 3; k++) {
        ck_assert_int_eq(r.s->t[k], 1000000 + 4000000 * k);
        ck_assert(same_bits(r.s->d[k], want[k]));
    }
    done(&r);
    /* the same shapes in an INT series: a numeric string before, numbers after */
    body = "{\"Data\":[{\"ObsTime\":\"/Date(1000)/\",\"EUValue\":\"-4\"},"
           "{\"ObsTime\":\"/Date(5000)/\",\"EUValue\":7},"
           "{\"ObsTime\":\"/Date(9000)/\",\"EUValue\":3000000000}]}";
    decode_str(&r, "X", body, &o);
    ck_assert_int_eq(r.s->vtype, EDB_VT_INT);
    ck_assert_str_eq(r.s->sqltype, "bigint");
    ck_assert_uint_eq(r.s->n, 3);
    ck_assert_int_eq(r.s->i[0], -4);
    ck_assert_int_eq(r.s->i[1], 7);
    ck_assert_int_eq(r.s->i[2], INT64_C(3000000000));
    done(&r);
}
END_TEST

/* A series that already holds samples (a retry keeps nothing, but a caller may append):
 * the reply's samples follow, the before bracket goes in front when it is earlier. */
START_TEST(test_appends_to_series)
{
    edb_series *s = NULL;
    ck_assert_int_eq(edb_series_new(&s, "X"), EDB_OK);
    ck_assert_int_eq(edb_series_set_type(s, EDB_VT_INT), EDB_OK);
    ck_assert_int_eq(edb_series_push_int(s, 3000000, 30), EDB_OK);
    edb_decode_options o = EDB_DECODE_OPTIONS_INIT;
    o.start = 4000000;
    o.keep_before = 1;
    edb_jsondec *d = NULL;
    ck_assert_int_eq(edb_jsondec_new(&d, s, &o), EDB_OK); /* typed INT by the series */
    const char *body = "{\"Data\":[{\"ObsTime\":\"/Date(1000)/\",\"EUValue\":1},"
                       "{\"ObsTime\":\"/Date(5000)/\",\"EUValue\":5.0}]}";
    ck_assert_int_eq(edb_jsondec_feed(d, body, strlen(body)), EDB_OK);
    ck_assert_int_eq(edb_jsondec_finish(d), EDB_OK);
    ck_assert_uint_eq(s->n, 3);
    ck_assert_int_eq(s->t[0], 1000000);
    ck_assert_int_eq(s->i[0], 1);
    ck_assert_int_eq(s->t[1], 3000000);
    ck_assert_int_eq(s->i[1], 30);
    ck_assert_int_eq(s->t[2], 5000000);
    ck_assert_int_eq(s->i[2], 5);
    ck_assert_str_eq(s->sqltype, "int");
    edb_jsondec_free(d);
    /* a series typed otherwise than the options: refused */
    o.vtype = EDB_VT_STRING;
    ck_assert_int_eq(edb_jsondec_new(&d, s, &o), EDB_ERR_USAGE);
    ck_assert_ptr_null(d);
    edb_series_free(s);

    /* earlier samples on both sides of the brackets: the brackets go behind them, and the
     * series is sorted at finish */
    ck_assert_int_eq(edb_series_new(&s, "X"), EDB_OK);
    ck_assert_int_eq(edb_series_set_type(s, EDB_VT_REAL), EDB_OK);
    ck_assert_int_eq(edb_series_push_real(s, 500000, 0.5), EDB_OK);
    ck_assert_int_eq(edb_series_push_real(s, 99000000, 99), EDB_OK);
    o = (edb_decode_options)EDB_DECODE_OPTIONS_INIT;
    o.start = 4000000;
    o.end = 8000000;
    o.keep_before = o.keep_after = 1;
    ck_assert_int_eq(edb_jsondec_new(&d, s, &o), EDB_OK);
    body = "{\"Data\":[{\"ObsTime\":\"/Date(1000)/\",\"EUValue\":1},"
           "{\"ObsTime\":\"/Date(5000)/\",\"EUValue\":5},"
           "{\"ObsTime\":\"/Date(9000)/\",\"EUValue\":9}]}";
    ck_assert_int_eq(edb_jsondec_feed(d, body, strlen(body)), EDB_OK);
    ck_assert_int_eq(edb_jsondec_finish(d), EDB_OK);
    const int64_t wt[5] = {500000, 1000000, 5000000, 9000000, 99000000};
    const double wv[5] = {0.5, 1, 5, 9, 99};
    ck_assert_uint_eq(s->n, 5);
    for (int k = 0; k < 5; k++) {
        ck_assert_int_eq(s->t[k], wt[k]);
        ck_assert(s->d[k] == wv[k]);
    }
    edb_jsondec_free(d);
    edb_series_free(s);
}
END_TEST

/* ---- the reply's other fields ---------------------------------------------------------- */

START_TEST(test_data_null_and_empty)
{
    const char *bodies[] = {"{\"TlmMnemonic\":\"SA_ZATTEST1\",\"Count\":0,\"Data\":null}",
                            "{\"Data\":[]}", "\xef\xbb\xbf {\"Data\" : [ ] } \r\n",
                            "{\"Data\":null,\"Extra\":{\"a\":[1,2,{\"b\":null}],\"c\":true}}"};
    for (size_t k = 0; k < 4; k++) {
        for (int typed = 0; typed < 2; typed++) {
            edb_decode_options o = EDB_DECODE_OPTIONS_INIT;
            o.vtype = typed ? EDB_VT_REAL : EDB_VT_NONE;
            o.sqltype = typed ? "real" : NULL;
            result r;
            decode_str(&r, "SA_ZATTEST1", bodies[k], &o);
            ck_assert_uint_eq(r.s->n, 0);
            ck_assert_uint_eq(r.rows, 0);
            ck_assert_int_eq(r.s->vtype, typed ? EDB_VT_REAL : EDB_VT_NONE);
            ck_assert_str_eq(r.s->sqltype, typed ? "real" : "");
            done(&r);
        }
    }
}
END_TEST

START_TEST(test_reply_fields)
{
    /* TlmMnemonic in any case; AllPoints 0 marks change-only data; unknown keys anywhere,
     * with any value, are skipped; keys in any order; white space everywhere */
    const char *body =
        " {\"Data\" :\n[ {\"Note\":{\"x\":[\"]\",\"}\",{}]},\"EUValue\":7 ,\"ObsTime\":\"/Date(-1000)/\","
        "\"Quality\":null}\n] ,\"AllPoints\":0,\"tlmmnemonic\":5,\"TlmMnemonic\":\"sa_zfgdetid\","
        "\"ReqSTime\":\"/Date(-2000+0130)/\",\"ReqETime\":\"1969-12-31T23:59:59.999+00:00\","
        "\"Count\":1,\"Units\":\"\\u00b5s\"} ";
    result r;
    decode_str(&r, "SA_ZFGDETID", body, NULL);
    ck_assert_int_eq(r.s->all_points, 0);
    ck_assert_uint_eq(r.s->n, 1);
    ck_assert_int_eq(r.s->t[0], -1000000);
    ck_assert_int_eq(r.s->i[0], 7);
    done(&r);
    const char *forms[] = {"{\"AllPoints\":1,\"Data\":null}", "{\"AllPoints\":true,\"Data\":null}",
                           "{\"AllPoints\":false,\"Data\":null}", "{\"AllPoints\":null,\"Data\":null}"};
    const int want[] = {1, 1, 0, -1};
    for (int k = 0; k < 4; k++) {
        decode_str(&r, "X", forms[k], NULL);
        ck_assert_int_eq(r.s->all_points, want[k]);
        done(&r);
    }
    /* no mnemonic to check against: any TlmMnemonic */
    decode_str(&r, "", "{\"TlmMnemonic\":\"ANYTHING\",\"Data\":null}", NULL);
    done(&r);
}
END_TEST

/* Times in both forms, to the microsecond (values from Python's datetime). */
START_TEST(test_times)
{
    static const struct {
        const char *text;
        int64_t us;
    } cases[] = {
        {"/Date(1611628142147+0000)/", INT64_C(1611628142147000)},
        {"/Date(1611628142147)/", INT64_C(1611628142147000)},
        {"/Date(1611628142147-2359)/", INT64_C(1611628142147000)},
        {"/Date(0)/", 0},
        {"/Date(-1)/", -1000},
        {"/Date(-1-0100)/", -1000},
        {"/Date(0000000000000001)/", 1000},
        {"/Date(9223372036854775)/", INT64_C(9223372036854775000)},
        {"/Date(-9223372036854775)/", INT64_C(-9223372036854775000)},
        {"2027-02-23T00:59:59.054", INT64_C(1803344399054000)},
        {"2027-02-23T01:00:00", INT64_C(1803344400000000)},
        {"2027-02-23 01:00:00Z", INT64_C(1803344400000000)},
        {"2027-02-23T00:59:59.123456", INT64_C(1803344399123456)},
        {"2027-02-23T01:00:00+01:00", INT64_C(1803340800000000)},
        {"2027-02-23T01:00:00+0100", INT64_C(1803340800000000)},
        {"2027-02-23T01:00:00+01", INT64_C(1803340800000000)},
        {"2027-02-23T01:00:00-05:30", INT64_C(1803364200000000)},
        {"2024-02-29T23:59:59.9", INT64_C(1709251199900000)},
        {"1969-12-31T23:59:59.999", -1000},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char body[256];
        snprintf(body, sizeof body,
                 "{\"ReqSTime\":\"%s\",\"Data\":[{\"ObsTime\":\"%s\",\"EUValue\":1}]}",
                 cases[k].text, cases[k].text);
        result r;
        decode_str(&r, "X", body, NULL);
        ck_assert_uint_eq(r.s->n, 1);
        ck_assert_msg(r.s->t[0] == cases[k].us, "%s: %lld", cases[k].text, (long long)r.s->t[0]);
        done(&r);
    }
}
END_TEST

/* ---- malformed replies ------------------------------------------------------------------ */

enum { VT_NONE, VT_REAL, VT_INT, VT_STRING };

typedef struct bad_case {
    const char *name, *body;
    size_t len;
    const char *mnemonic;
    int kind;
    edb_status st;
    const char *msg;
} bad_case;

#include "jsondec_cases.h"

START_TEST(test_malformed)
{
    for (size_t k = 0; k < sizeof bad_cases / sizeof bad_cases[0]; k++) {
        const bad_case *c = &bad_cases[k];
        edb_decode_options o = EDB_DECODE_OPTIONS_INIT;
        static const char *const names[] = {NULL, "real", "tinyint", "varchar"};
        static const edb_vtype vts[] = {EDB_VT_NONE, EDB_VT_REAL, EDB_VT_INT, EDB_VT_STRING};
        o.vtype = vts[c->kind];
        o.sqltype = names[c->kind];
        result r;
        decode_all_ways(&r, c->mnemonic, c->body, c->len, &o);
        ck_assert_msg(r.st == c->st, "%s: status %d, want %d (%s)", c->name, r.st, c->st, r.msg);
        ck_assert_msg(strcmp(r.msg, c->msg) == 0, "%s:\n got  %s\n want %s", c->name, r.msg,
                      c->msg);
        done(&r);
    }
}
END_TEST

/* The first error sticks: feed and finish return it, the message stays; reset forgets it,
 * clears the series and puts AllPoints back. */
START_TEST(test_sticky_and_reset)
{
    edb_series *s = NULL;
    ck_assert_int_eq(edb_series_new(&s, "SA_ZATTEST1"), EDB_OK);
    edb_jsondec *d = NULL;
    ck_assert_int_eq(edb_jsondec_new(&d, s, NULL), EDB_OK);
    const char *bad = "{\"AllPoints\":0,\"Data\":[{\"ObsTime\":\"/Date(1)/\",\"EUValue\":1}]]";
    ck_assert_int_eq(edb_jsondec_feed(d, bad, strlen(bad)), EDB_ERR_DATA);
    char first[1024];
    snprintf(first, sizeof first, "%s", edb_jsondec_errmsg(d));
    ck_assert_str_eq(first, "byte 59: expected ',' or '}' after a value, got ']' near "
                            "'...\":[{\"ObsTime\":\"/Date(1)/\",\"EUValue\":1}]]'");
    ck_assert_int_eq(edb_jsondec_feed(d, "{}", 2), EDB_ERR_DATA);
    ck_assert_int_eq(edb_jsondec_feed(d, NULL, 0), EDB_ERR_DATA);
    ck_assert_int_eq(edb_jsondec_finish(d), EDB_ERR_DATA);
    ck_assert_str_eq(edb_jsondec_errmsg(d), first);
    ck_assert_int_eq(s->all_points, 0);

    edb_jsondec_reset(d);
    ck_assert_str_eq(edb_jsondec_errmsg(d), "");
    ck_assert_int_eq(s->all_points, -1);
    ck_assert_uint_eq(s->n, 0);
    ck_assert_uint_eq(edb_jsondec_rows(d), 0);
    const char *good = "{\"Data\":[{\"ObsTime\":\"/Date(1)/\",\"EUValue\":1.5}]}";
    ck_assert_int_eq(edb_jsondec_feed(d, good, strlen(good)), EDB_OK);
    ck_assert_int_eq(edb_jsondec_finish(d), EDB_OK);
    ck_assert_uint_eq(s->n, 1);
    ck_assert(s->d[0] == 1.5);
    ck_assert_uint_eq(edb_jsondec_rows(d), 1);
    /* finished: more data is a caller's mistake; finish again is fine */
    ck_assert_int_eq(edb_jsondec_finish(d), EDB_OK);
    ck_assert_int_eq(edb_jsondec_feed(d, " ", 1), EDB_ERR_USAGE);
    ck_assert_str_eq(edb_jsondec_errmsg(d), "data fed after edb_jsondec_finish");
    edb_jsondec_free(d);

    /* the caller's mistakes */
    edb_jsondec_free(NULL);
    edb_jsondec_reset(NULL);
    ck_assert_int_eq(edb_jsondec_new(&d, NULL, NULL), EDB_ERR_USAGE);
    ck_assert_int_eq(edb_jsondec_new(NULL, s, NULL), EDB_ERR_USAGE);
    edb_decode_options o = EDB_DECODE_OPTIONS_INIT;
    o.vtype = (edb_vtype)7;
    ck_assert_int_eq(edb_jsondec_new(&d, s, &o), EDB_ERR_USAGE);
    ck_assert_int_eq(edb_jsondec_feed(NULL, "{", 1), EDB_ERR_USAGE);
    ck_assert_int_eq(edb_jsondec_finish(NULL), EDB_ERR_USAGE);
    ck_assert_uint_eq(edb_jsondec_rows(NULL), 0);
    ck_assert_uint_eq(edb_jsondec_memory(NULL), 0);
    ck_assert_str_eq(edb_jsondec_errmsg(NULL), "");
    ck_assert_int_eq(edb_jsondec_new(&d, s, NULL), EDB_OK);
    ck_assert_int_eq(edb_jsondec_feed(d, NULL, 3), EDB_ERR_USAGE);
    ck_assert_str_eq(edb_jsondec_errmsg(d), "edb_jsondec_feed: NULL buffer");
    edb_jsondec_free(d);
    edb_series_free(s);
}
END_TEST

/* A reply cut anywhere is TRUNCATED, never a success with fewer samples; a whole one
 * followed only by white space is fine. */
START_TEST(test_truncated_everywhere)
{
    const char *body =
        "\xef\xbb\xbf{\"TlmMnemonic\":\"OPE_SCF_DIR\",\"AllPoints\":1,\"Count\":3,"
        "\"ReqSTime\":\"2027-02-23T01:00:00.000\",\"X\":[true,false,null,{\"a\":-1.5e-3}],"
        "\"Data\":[{\"ObsTime\":\"2027-02-23T00:59:59.054\",\"EUValue\":\"\\u00e9\\ud83d\\ude00\xc2\xb5\"},"
        "{\"EUValue\":\"B\",\"ObsTime\":\"/Date(1803344400000+0000)/\"},\n"
        " {\"ObsTime\":\"\\/Date(1803344401000)\\/\", \"EUValue\" : \"C\" } ] } \n";
    size_t len = strlen(body);
    size_t end = len;
    while (end > 0 && (body[end - 1] == ' ' || body[end - 1] == '\n'))
        end--;
    for (size_t cut = 0; cut < len; cut++) {
        result r;
        decode(&r, "OPE_SCF_DIR", body, cut, NULL, WHOLE);
        if (cut < end) {
            ck_assert_msg(r.st == EDB_ERR_TRUNCATED, "cut at %zu: %d %s", cut, r.st, r.msg);
            ck_assert(strncmp(r.msg, "byte ", 5) == 0);
        } else {
            ck_assert_msg(r.st == EDB_OK, "cut at %zu: %s", cut, r.msg);
            ck_assert_uint_eq(r.s->n, 3);
        }
        result b;
        decode(&b, "OPE_SCF_DIR", body, cut, NULL, BYTES);
        assert_same(&r, &b);
        done(&b);
        done(&r);
    }
}
END_TEST

/* Strings are bounded: 1 MiB of decoded bytes is fine, one more is not, whether that
 * byte comes plain, from an escape or as the start of a UTF-8 character. */
START_TEST(test_string_limit)
{
    const size_t mib = (size_t)1 << 20;
    const char *head = "{\"Data\":[{\"ObsTime\":\"/Date(1)/\",\"EUValue\":\"";
    size_t hl = strlen(head);
    char *body = malloc(hl + mib + 64);
    memcpy(body, head, hl);
    for (int extra = 0; extra < 2; extra++) {
        size_t n = mib + (size_t)extra;
        memset(body + hl, 'a', n);
        size_t len = hl + n;
        len += (size_t)sprintf(body + len, "\"}]}");
        result r;
        decode_all_ways(&r, "X", body, len, NULL);
        if (extra == 0) {
            ck_assert_msg(r.st == EDB_OK, "%s", r.msg);
            size_t sl;
            edb_series_str(r.s, 0, &sl);
            ck_assert_uint_eq(sl, mib);
        } else {
            /* the string's quote is at byte hl - 1; the byte past the limit at hl + mib */
            char want[256];
            snprintf(want, sizeof want,
                     "byte %zu: string longer than 1 MiB: not an EDB reply near '...%s'", hl - 1,
                     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
            ck_assert_int_eq(r.st, EDB_ERR_DATA);
            ck_assert_str_eq(r.msg, want);
        }
        done(&r);
    }
    static const struct {
        const char *tail, *near_end;
    } over[] = {{"\\n", "\\n"}, {"\\u00e9", "\\u00e9"}, {"\xc3\xa9", "?"}};
    for (size_t k = 0; k < 3; k++) {
        memset(body + hl, 'a', mib);
        size_t len = hl + mib;
        len += (size_t)sprintf(body + len, "%s\"}]}", over[k].tail);
        result r;
        decode_all_ways(&r, "X", body, len, NULL);
        /* found at the escape's last byte, or at the UTF-8 lead byte */
        char want[256], tail[48];
        size_t nl = strlen(over[k].near_end);
        memset(tail, 'a', 40 - nl);
        memcpy(tail + 40 - nl, over[k].near_end, nl + 1);
        snprintf(want, sizeof want,
                 "byte %zu: string longer than 1 MiB: not an EDB reply near '...%s'", hl - 1, tail);
        ck_assert_int_eq(r.st, EDB_ERR_DATA);
        ck_assert_str_eq(r.msg, want);
        done(&r);
    }
    free(body);
}
END_TEST

/* ---- memory ---------------------------------------------------------------------------- */

/* Writes sample k of a generated path B reply into buf. */
static size_t gen_sample(char *buf, size_t k)
{
    /* 10-digit reals, 256 ms apart: SA_ZATTEST2's shape */
    long long v = (long long)((k * 2654435761u) % 20000000000ULL) - 10000000000LL;
    long long av = v < 0 ? -v : v;
    return (size_t)sprintf(buf, "%s{\"ObsTime\":\"/Date(%lld+0000)/\",\"EUValue\":%s%lld.%010lld}",
                           k ? "," : "", 1640995200000LL + 256LL * (long long)k, v < 0 ? "-" : "",
                           av / 10000000000LL, av % 10000000000LL);
}

/* A million samples fed in 4 KiB pieces, never held whole: with the type given the
 * decoder holds only a few kilobytes; without it, 16 bytes and 2 bits a sample until
 * finish, nothing after.  The series is sized by Count exactly, and a Count far beyond
 * the data allocates nothing for it. */
START_TEST(test_memory_bounded)
{
    const size_t n = 1000000;
    for (int typed = 0; typed < 2; typed++) {
        edb_series *s = NULL;
        ck_assert_int_eq(edb_series_new(&s, "SA_ZATTEST2"), EDB_OK);
        edb_decode_options o = EDB_DECODE_OPTIONS_INIT;
        o.vtype = typed ? EDB_VT_REAL : EDB_VT_NONE;
        edb_jsondec *d = NULL;
        ck_assert_int_eq(edb_jsondec_new(&d, s, &o), EDB_OK);
        size_t base = edb_jsondec_memory(d);
        char piece[4096 + 128];
        size_t fill = (size_t)sprintf(piece, "{\"TlmMnemonic\":\"SA_ZATTEST2\",\"Count\":%zu,"
                                             "\"AllPoints\":1,\"Data\":[", n);
        size_t peak = 0;
        for (size_t k = 0; k <= n; k++) {
            if (k < n)
                fill += gen_sample(piece + fill, k);
            else
                fill += (size_t)sprintf(piece + fill, "]}");
            if (fill >= 4096 || k == n) {
                ck_assert_int_eq(edb_jsondec_feed(d, piece, fill), EDB_OK);
                fill = 0;
                size_t m = edb_jsondec_memory(d);
                if (m > peak)
                    peak = m;
                if (typed) {
                    ck_assert_uint_le(m, base + 16384);
                } else {
                    /* 8 bytes of time + 8 of value + 2 bits, grown by doubling up to Count */
                    size_t waiting = edb_jsondec_rows(d);
                    ck_assert_uint_le(m, base + 16384 + 2 * waiting * 17 + 64 * 17);
                }
            }
        }
        ck_assert_int_eq(edb_jsondec_finish(d), EDB_OK);
        ck_assert_uint_eq(s->n, n);
        ck_assert_uint_eq(s->cap, n); /* Count said exactly how many */
        ck_assert_uint_le(edb_jsondec_memory(d), base + 16384);
        if (!typed)
            ck_assert_uint_ge(peak, n * 16); /* they did wait */
        /* spot checks against the generator */
        ck_assert_int_eq(s->t[123456], (1640995200000LL + 256LL * 123456) * 1000);
        char one[128];
        gen_sample(one, 999999);
        double v;
        ck_assert_int_eq(edb_parse_double(strstr(one, "EUValue\":") + 9,
                                          strlen(strstr(one, "EUValue\":") + 9) - 1, &v),
                         0);
        ck_assert(same_bits(s->d[999999], v));
        edb_jsondec_free(d);
        edb_series_free(s);
    }

    /* a Count of a hundred million over three samples: nothing reserved for it */
    const char *liar = "{\"Count\":100000000,\"Data\":[{\"ObsTime\":\"/Date(1)/\",\"EUValue\":1},"
                       "{\"ObsTime\":\"/Date(2)/\",\"EUValue\":2},"
                       "{\"ObsTime\":\"/Date(3)/\",\"EUValue\":3}]}";
    for (int typed = 0; typed < 2; typed++) {
        edb_decode_options o = EDB_DECODE_OPTIONS_INIT;
        o.vtype = typed ? EDB_VT_INT : EDB_VT_NONE;
        result r;
        decode_str(&r, "X", liar, &o);
        ck_assert_uint_eq(r.s->n, 3);
        ck_assert_uint_le(r.s->cap, 64);
        done(&r);
    }
}
END_TEST

/* The decoder table reaches it by name. */
START_TEST(test_decoder_table)
{
    ck_assert(edb_decoder_known("json"));
    edb_series *s = NULL;
    ck_assert_int_eq(edb_series_new(&s, "X"), EDB_OK);
    edb_decoder *d = NULL;
    edb_decode_options o = EDB_DECODE_OPTIONS_INIT;
    o.vtype = EDB_VT_INT;
    o.sqltype = "SMALLINT";
    ck_assert_int_eq(edb_decoder_new(&d, "json", s, &o), EDB_OK);
    ck_assert_str_eq(edb_decoder_kind(d), "json");
    const char *body = "{\"Data\":[{\"ObsTime\":\"/Date(1)/\",\"EUValue\":\"-3\"}]}";
    ck_assert_int_eq(edb_decoder_feed(d, body, strlen(body)), EDB_OK);
    ck_assert_int_eq(edb_decoder_finish(d), EDB_OK);
    ck_assert_uint_eq(s->n, 1);
    ck_assert_int_eq(s->i[0], -3);
    ck_assert_str_eq(s->sqltype, "smallint");
    edb_decoder_reset(d);
    ck_assert_uint_eq(s->n, 0);
    ck_assert_int_eq(edb_decoder_feed(d, "[", 1), EDB_ERR_DATA);
    ck_assert_str_eq(edb_decoder_errmsg(d), "byte 0: expected '{' at the start of the reply (a "
                                            "JSON object), got '[' near '['");
    edb_decoder_free(d);
    edb_series_free(s);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("jsondec");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_recordings);
    tcase_add_test(tc, test_same_as_store);
    tcase_add_test(tc, test_same_as_store_inferred);
    tcase_add_test(tc, test_recording_variants);
    tcase_add_test(tc, test_types_inferred);
    tcase_add_test(tc, test_types_given);
    tcase_add_test(tc, test_string_values);
    tcase_add_test(tc, test_brackets_recording);
    tcase_add_test(tc, test_brackets_ties_and_order);
    tcase_add_test(tc, test_brackets_typed_at_finish);
    tcase_add_test(tc, test_appends_to_series);
    tcase_add_test(tc, test_data_null_and_empty);
    tcase_add_test(tc, test_reply_fields);
    tcase_add_test(tc, test_times);
    tcase_add_test(tc, test_malformed);
    tcase_add_test(tc, test_sticky_and_reset);
    tcase_add_test(tc, test_truncated_everywhere);
    tcase_add_test(tc, test_string_limit);
    tcase_add_test(tc, test_memory_bounded);
    tcase_add_test(tc, test_decoder_table);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
