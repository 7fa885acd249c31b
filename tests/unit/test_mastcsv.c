/* test_mastcsv.c: the MAST CSV decoder (edb/mastcsv.c) and the number parsing and
 * formatting it shares with the writers (edb/numparse.c).
 *
 * Expected times are written out as int64 microseconds worked by hand, not computed with
 * libedb's own time functions, so that a bug there cannot hide one here. */
#include <check.h>
#include <float.h>
#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <edb/decoder.h>
#include <edb/mastcsv.h>
#include <edb/series.h>

#include "testutil.h"

#define FIX2022 "mast-csv/SA_ZATTEST2-20220202T222458-20220202T222459.csv"
#define FIX2021 "mast-csv/SA_ZATTEST2-20210522T000000-20210522T000001.csv"

/* 2022-02-02 is MJD 59612, i.e. 59612 - 40587 = 19025 days after 1970-01-01
 * (check: 52 years 1970..2021 with 13 leap days = 18993 days to 2022-01-01, + 31 + 1).
 * 19025 * 86400 = 1643760000 s; 22:24:58 = 80698 s; so 22:24:58 is 1643840698 s. */
#define T2022_5800 INT64_C(1643840698000000) /* 22:24:58.000 (range start) */
#define T2022_5900 INT64_C(1643840699000000) /* 22:24:59.000 (range end) */
static const int64_t t2022[6] = {
    INT64_C(1643840697797000), /* 22:24:57.797 (bracket before) */
    INT64_C(1643840698053000), /* 22:24:58.053 */
    INT64_C(1643840698309000), /* 22:24:58.309 */
    INT64_C(1643840698565000), /* 22:24:58.565 */
    INT64_C(1643840698821000), /* 22:24:58.821 */
    INT64_C(1643840699077000), /* 22:24:59.077 (bracket after) */
};
static const double v2022[6] = {-0.7914493680, -0.7914494276, -0.7914494276,
                                -0.7914494276, -0.7914493680, -0.7914493680};

/* 2021-05-22 is MJD 59356: 18769 days (18628 to 2021-01-01, + 31+28+31+30 + 21), so
 * 00:00:00 that day is 18769 * 86400 = 1621641600 s. */
#define T2021_0000 INT64_C(1621641600000000)
#define T2021_0001 INT64_C(1621641601000000)
static const int64_t t2021[6] = {
    INT64_C(1621641599816000), /* 2021-05-21 23:59:59.816 (bracket before) */
    INT64_C(1621641600072000), /* 00:00:00.072 */
    INT64_C(1621641600328000), /* 00:00:00.328 */
    INT64_C(1621641600584000), /* 00:00:00.584 */
    INT64_C(1621641600840000), /* 00:00:00.840 */
    INT64_C(1621641601096000), /* 00:00:01.096 (bracket after) */
};
static const double v2021[6] = {0.4641213417, 0.4641213417, 0.4641213417,
                                0.4641213119, 0.4641213119, 0.4641212821};

#define HDR "theTime,MJD,euvalue,sqldataType\r\n"

/* ---- helpers ----------------------------------------------------------------------- */

enum { WHOLE, BYTES, RANDOM };

typedef struct result {
    edb_series *s;
    edb_status st;
    char msg[1024];
    size_t rows;
} result;

static unsigned long long rng_state;
static unsigned rnd(void)
{
    /* splitmix64: a fixed seed gives the same chunking on every machine */
    unsigned long long z = (rng_state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return (unsigned)((z ^ (z >> 31)) >> 16);
}

static uint64_t rnd64(void)
{
    return ((uint64_t)rnd() << 48) ^ ((uint64_t)rnd() << 24) ^ rnd();
}

static void feed_all(edb_mastcsv *d, result *r, const char *body, size_t len, int mode)
{
    size_t off = 0;
    r->st = EDB_OK;
    while (off < len && r->st == EDB_OK) {
        size_t n = len - off;
        if (mode == BYTES)
            n = 1;
        else if (mode == RANDOM) {
            size_t c = rnd() % 100;
            if (c < n)
                n = c; /* zero-length feeds included on purpose */
        }
        r->st = edb_mastcsv_feed(d, body + off, n);
        off += n;
    }
    if (r->st == EDB_OK)
        r->st = edb_mastcsv_finish(d);
    snprintf(r->msg, sizeof r->msg, "%s", edb_mastcsv_errmsg(d));
    r->rows = edb_mastcsv_rows(d);
}

static void decode(result *r, const char *body, size_t len, const edb_mastcsv_options *o, int mode)
{
    edb_mastcsv *d = NULL;
    ck_assert_int_eq(edb_series_new(&r->s, "sa_zattest2"), EDB_OK);
    ck_assert_int_eq(edb_mastcsv_new(&d, r->s, o), EDB_OK);
    feed_all(d, r, body, len, mode);
    edb_mastcsv_free(d);
}

static void decode_str(result *r, const char *body, const edb_mastcsv_options *o)
{
    decode(r, body, strlen(body), o, WHOLE);
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

static void assert_same_series(const edb_series *a, const edb_series *b)
{
    ck_assert_int_eq(a->vtype, b->vtype);
    ck_assert_str_eq(a->sqltype, b->sqltype);
    ck_assert_uint_eq(a->n, b->n);
    for (size_t k = 0; k < a->n; k++) {
        ck_assert_int_eq(a->t[k], b->t[k]);
        if (a->vtype == EDB_VT_REAL)
            ck_assert_msg(same_bits(a->d[k], b->d[k]), "value %zu differs", k);
        else if (a->vtype == EDB_VT_INT)
            ck_assert_int_eq(a->i[k], b->i[k]);
        else {
            size_t la, lb;
            const char *sa = edb_series_str(a, k, &la), *sb = edb_series_str(b, k, &lb);
            ck_assert_uint_eq(la, lb);
            ck_assert_mem_eq(sa, sb, la);
        }
    }
}

static char *read_fixture(const char *rel, size_t *len)
{
    char *b = tu_read_file(tu_fixture(rel), len);
    ck_assert_msg(b != NULL, "cannot read fixture %s (EDBX_FIXTURES=%s)", rel,
                  getenv("EDBX_FIXTURES") ? getenv("EDBX_FIXTURES") : "unset");
    return b;
}

/* The body with every CR removed: the LF flavour of the same reply. */
static char *strip_cr(const char *b, size_t len, size_t *out_len)
{
    char *o = malloc(len + 1);
    size_t n = 0;
    for (size_t k = 0; k < len; k++)
        if (b[k] != '\r')
            o[n++] = b[k];
    o[n] = '\0';
    *out_len = n;
    return o;
}

static void assert_ok(const result *r)
{
    ck_assert_msg(r->st == EDB_OK, "status %d: %s", (int)r->st, r->msg);
}

static void assert_fails(const char *body, edb_status st, const char *fragment)
{
    result r = {0};
    decode_str(&r, body, NULL);
    ck_assert_msg(r.st == st, "status %d (want %d): %s", (int)r.st, (int)st, r.msg);
    ck_assert_msg(strstr(r.msg, fragment) != NULL, "message '%s' lacks '%s'", r.msg, fragment);
    /* the same failure, with the same words, when fed one byte at a time */
    result b = {0};
    decode(&b, body, strlen(body), NULL, BYTES);
    ck_assert_int_eq(b.st, st);
    ck_assert_str_eq(b.msg, r.msg);
    done(&r);
    done(&b);
}

/* ---- the real replies -------------------------------------------------------------- */

static void check_fixture(const char *rel, const int64_t *t, const double *v, edb_time start,
                          edb_time end)
{
    size_t len;
    char *body = read_fixture(rel, &len);
    edb_mastcsv_options o = {start, end, 0, 0, 0};

    result r = {0};
    decode(&r, body, len, &o, WHOLE);
    assert_ok(&r);
    ck_assert_uint_eq(r.rows, 6);
    ck_assert_int_eq(r.s->vtype, EDB_VT_REAL);
    ck_assert_str_eq(r.s->sqltype, "real");
    ck_assert_str_eq(r.s->mnemonic, "SA_ZATTEST2");
    ck_assert_uint_eq(r.s->n, 4);
    for (size_t k = 0; k < 4; k++) {
        ck_assert_int_eq(r.s->t[k], t[k + 1]);
        ck_assert_msg(same_bits(r.s->d[k], v[k + 1]), "sample %zu: %.17g != %.17g", k,
                      r.s->d[k], v[k + 1]);
    }

    o.keep_brackets = 1;
    result b = {0};
    decode(&b, body, len, &o, WHOLE);
    assert_ok(&b);
    ck_assert_uint_eq(b.s->n, 6);
    for (size_t k = 0; k < 6; k++) {
        ck_assert_int_eq(b.s->t[k], t[k]);
        ck_assert_msg(same_bits(b.s->d[k], v[k]), "sample %zu: %.17g != %.17g", k, b.s->d[k],
                      v[k]);
    }

    /* No range: everything, brackets or not. */
    result all = {0};
    decode(&all, body, len, NULL, WHOLE);
    assert_ok(&all);
    assert_same_series(all.s, b.s);

    /* The LF flavour, one byte at a time, and random chunks: the same series. */
    size_t lflen;
    char *lf = strip_cr(body, len, &lflen);
    ck_assert_uint_lt(lflen, len);
    result x = {0};
    decode(&x, lf, lflen, &o, WHOLE);
    assert_ok(&x);
    assert_same_series(x.s, b.s);
    done(&x);
    decode(&x, body, len, &o, BYTES);
    assert_ok(&x);
    assert_same_series(x.s, b.s);
    done(&x);
    decode(&x, lf, lflen, &o, BYTES);
    assert_ok(&x);
    assert_same_series(x.s, b.s);
    done(&x);
    rng_state = 42;
    for (int rep = 0; rep < 50; rep++) {
        decode(&x, rep % 2 ? lf : body, rep % 2 ? lflen : len, &o, RANDOM);
        assert_ok(&x);
        assert_same_series(x.s, b.s);
        done(&x);
    }
    free(lf);
    free(body);
    done(&r);
    done(&b);
    done(&all);
}

START_TEST(test_fixture_2022)
{
    check_fixture(FIX2022, t2022, v2022, T2022_5800, T2022_5900);
}
END_TEST

START_TEST(test_fixture_2021)
{
    check_fixture(FIX2021, t2021, v2021, T2021_0000, T2021_0001);
}
END_TEST

START_TEST(test_fixture_exact_values)
{
    /* Spelled out for the first reply, so a reader sees the numbers the EDB sent. */
    size_t len;
    char *body = read_fixture(FIX2022, &len);
    edb_mastcsv_options o = {T2022_5800, T2022_5900, 0, 0, 0};
    result r = {0};
    decode(&r, body, len, &o, WHOLE);
    assert_ok(&r);
    ck_assert_uint_eq(r.s->n, 4);
    ck_assert_int_eq(r.s->t[0], INT64_C(1643840698053000));
    ck_assert_int_eq(r.s->t[1], INT64_C(1643840698309000));
    ck_assert_int_eq(r.s->t[2], INT64_C(1643840698565000));
    ck_assert_int_eq(r.s->t[3], INT64_C(1643840698821000));
    ck_assert(r.s->d[0] == -0.7914494276);
    ck_assert(r.s->d[1] == -0.7914494276);
    ck_assert(r.s->d[2] == -0.7914494276);
    ck_assert(r.s->d[3] == -0.7914493680);
    done(&r);
    free(body);
}
END_TEST

START_TEST(test_inclusive_bounds)
{
    /* A sample exactly on start or end is inside. */
    const char *body = HDR "2022-02-02 22:24:58,59612.93400463,1,real\r\n"
                           "2022-02-02 22:24:59.000000,59612.93401620,2,real\r\n"
                           "2022-02-02 22:24:59.000001,59612.93401620,3,real\r\n";
    edb_mastcsv_options o = {T2022_5800, T2022_5900, 0, 0, 0};
    result r = {0};
    decode_str(&r, body, &o);
    assert_ok(&r);
    ck_assert_uint_eq(r.s->n, 2);
    ck_assert_int_eq(r.s->t[0], T2022_5800);
    ck_assert_int_eq(r.s->t[1], T2022_5900);
    done(&r);
}
END_TEST

START_TEST(test_brackets_choice)
{
    /* Several samples on each side (path A asks in whole seconds): the last before start
     * and the first after end are kept, whatever order they come in. */
    const char *body = HDR "2022-02-02 22:24:57.100000,0,1,real\r\n"
                           "2022-02-02 22:24:57.900000,0,2,real\r\n"
                           "2022-02-02 22:24:57.500000,0,3,real\r\n"
                           "2022-02-02 22:24:58.500000,0,4,real\r\n"
                           "2022-02-02 22:24:59.900000,0,5,real\r\n"
                           "2022-02-02 22:24:59.300000,0,6,real\r\n"
                           "2022-02-02 22:24:59.600000,0,7,real\r\n";
    edb_mastcsv_options o = {T2022_5800, T2022_5900, 1, 0, 0};
    result r = {0};
    decode_str(&r, body, &o);
    assert_ok(&r);
    ck_assert_uint_eq(r.s->n, 3);
    ck_assert_int_eq(r.s->t[0], INT64_C(1643840697900000));
    ck_assert(r.s->d[0] == 2);
    ck_assert(r.s->d[1] == 4);
    ck_assert_int_eq(r.s->t[2], INT64_C(1643840699300000));
    ck_assert(r.s->d[2] == 6);
    ck_assert_uint_eq(r.rows, 7);
    done(&r);

    /* Only brackets, nothing inside: both kept, in order. */
    const char *only = HDR "2022-02-02 22:24:57.100000,0,1,real\r\n"
                           "2022-02-02 22:24:59.900000,0,5,real\r\n";
    decode_str(&r, only, &o);
    assert_ok(&r);
    ck_assert_uint_eq(r.s->n, 2);
    ck_assert(r.s->d[0] == 1 && r.s->d[1] == 5);
    done(&r);
    o.keep_brackets = 0;
    decode_str(&r, only, &o);
    assert_ok(&r);
    ck_assert_uint_eq(r.s->n, 0);
    ck_assert_int_eq(r.s->vtype, EDB_VT_REAL); /* the type is known even with no sample */
    done(&r);
}
END_TEST

/* ---- formats of rows ---------------------------------------------------------------- */

START_TEST(test_quoted_strings)
{
    const char *body = HDR
        "2022-02-02 22:24:58.053000,59612.9340052431,\"a, \"\"b\"\"\",varchar\r\n"
        "2022-02-02 22:24:58.309000,59612.9340082060,\"line1\r\nline2\",varchar\r\n"
        "2022-02-02 22:24:58.565000,59612.9340111690,plain text,varchar\r\n"
        "2022-02-02 22:24:58.821000,59612.9340141319,,VARCHAR(50)\r\n"
        "\"2022-02-02 22:24:59.077000\",\"59612.9340170949\",\"\",\"varchar\"\r\n"
        "2022-02-02 22:24:59.100000,59612.93401736,ON, STANDBY,varchar\r\n"
        "2022-02-02 22:24:59.200000,59612.93401852,5\" disk,varchar\r\n"
        "2022-02-02 22:24:59.300000,59612.93401968,\"\"\"\",char(1)\r\n";
    static const char *const want[] = {"a, \"b\"", "line1\r\nline2", "plain text", "", "",
                                       "ON, STANDBY", "5\" disk", "\""};
    result r = {0};
    decode_str(&r, body, NULL);
    assert_ok(&r);
    ck_assert_int_eq(r.s->vtype, EDB_VT_STRING);
    ck_assert_str_eq(r.s->sqltype, "varchar");
    ck_assert_uint_eq(r.s->n, 8);
    ck_assert_uint_eq(r.rows, 8);
    for (size_t k = 0; k < 8; k++) {
        size_t len;
        const char *v = edb_series_str(r.s, k, &len);
        ck_assert_uint_eq(len, strlen(want[k]));
        ck_assert_mem_eq(v, want[k], len);
    }
    ck_assert_int_eq(r.s->t[4], INT64_C(1643840699077000));

    result b = {0};
    decode(&b, body, strlen(body), NULL, BYTES);
    assert_ok(&b);
    assert_same_series(b.s, r.s);
    done(&b);
    rng_state = 7;
    for (int rep = 0; rep < 50; rep++) {
        decode(&b, body, strlen(body), NULL, RANDOM);
        assert_ok(&b);
        assert_same_series(b.s, r.s);
        done(&b);
    }
    done(&r);

    /* Line numbers count the newline inside quotes. */
    assert_fails(HDR "2022-02-02 22:24:58.053000,0,\"x\ny\",varchar\r\n"
                     "2022-02-02 22:24:58.309000,0,z\r\n",
                 EDB_ERR_DATA, "row 2 (line 4): expected 4 fields");
}
END_TEST

START_TEST(test_quoted_numbers_and_bom)
{
    const char *body = "\xEF\xBB\xBF\"theTime\",\"MJD\",\"euvalue\",\"sqldataType\"\r\n"
                       "\"2022-02-02 22:24:58.053000\",\"59612.9340052431\",\"-0.7914494276\",\"real\"\r\n";
    result r = {0};
    decode_str(&r, body, NULL);
    assert_ok(&r);
    ck_assert_uint_eq(r.s->n, 1);
    ck_assert(r.s->d[0] == -0.7914494276);
    done(&r);
    /* the header is case-insensitive */
    decode_str(&r, "THETIME,mjd,EuValue,SQLDATATYPE\n2022-02-02 22:24:58,0,1,REAL\n", NULL);
    assert_ok(&r);
    ck_assert_uint_eq(r.s->n, 1);
    ck_assert_str_eq(r.s->sqltype, "real");
    done(&r);
}
END_TEST

START_TEST(test_time_forms)
{
    const char *body = HDR "2022-02-02T22:24:58,0,1,real\r\n"
                           "2022-02-02 22:24:58.1,0,2,real\r\n"
                           "2022-02-02 22:24:58.123456Z,0,3,real\r\n"
                           "2024-02-29 00:00:00.000001,0,4,real\r\n"
                           "1969-12-31 23:59:59.999999,0,5,real\r\n";
    result r = {0};
    decode_str(&r, body, NULL);
    assert_ok(&r);
    ck_assert_uint_eq(r.s->n, 5);
    ck_assert_int_eq(r.s->t[0], INT64_C(-1));
    ck_assert_int_eq(r.s->t[1], INT64_C(1643840698000000));
    ck_assert_int_eq(r.s->t[2], INT64_C(1643840698100000));
    ck_assert_int_eq(r.s->t[3], INT64_C(1643840698123456));
    /* 2024-02-29: 54 years with 13 leap days to 2024-01-01 = 19723 days, + 31 + 28 = 19782;
     * 19782 * 86400 = 1709164800 s.  The sort put 1969 first. */
    ck_assert_int_eq(r.s->t[4], INT64_C(1709164800000001));
    done(&r);
}
END_TEST

START_TEST(test_time_every_day)
{
    /* One row per day 1900-01-01..2100-12-31, the expected day number counted one day at a
     * time from 1900-01-01 = -25567 (70 years of 365 days + 17 leap days before 1970). */
    static const int md[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    size_t cap = 80 * 74000, len = 0;
    char *body = malloc(cap);
    len += (size_t)snprintf(body, cap, HDR);
    int64_t day = -25567;
    size_t rows = 0;
    for (int y = 1900; y <= 2100; y++)
        for (int m = 1; m <= 12; m++) {
            int dim = md[m - 1] + (m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0));
            for (int d = 1; d <= dim; d++, day++, rows++)
                len += (size_t)snprintf(body + len, cap - len,
                                        "%04d-%02d-%02d 12:34:56.789012,0,%lld,bigint\r\n", y, m,
                                        d, (long long)day);
        }
    /* 2100-12-31 is day 47846: 131 years 1970..2100 of 365 days + 32 leap days, less one */
    ck_assert_int_eq(day, 47846 + 1);
    result r = {0};
    decode(&r, body, len, NULL, WHOLE);
    assert_ok(&r);
    ck_assert_uint_eq(r.s->n, rows);
    for (size_t k = 0; k < rows; k++)
        ck_assert_int_eq(r.s->t[k], r.s->i[k] * INT64_C(86400000000) + INT64_C(45296789012));
    done(&r);
    free(body);
}
END_TEST

START_TEST(test_int_types)
{
    const char *body = HDR "2022-02-02 22:24:58.053000,0,1,tinyint\r\n"
                           "2022-02-02 22:24:58.309000,0,-32768,smallint\r\n"
                           "2022-02-02 22:24:58.565000,0,+7,int\r\n"
                           "2022-02-02 22:24:58.821000,0,9223372036854775807,bigint\r\n"
                           "2022-02-02 22:24:59.077000,0,-9223372036854775808,BIGINT\r\n";
    result r = {0};
    decode_str(&r, body, NULL);
    assert_ok(&r);
    ck_assert_int_eq(r.s->vtype, EDB_VT_INT);
    ck_assert_str_eq(r.s->sqltype, "tinyint");
    ck_assert_ptr_null(r.s->d);
    ck_assert_uint_eq(r.s->n, 5);
    ck_assert_int_eq(r.s->i[0], 1);
    ck_assert_int_eq(r.s->i[1], -32768);
    ck_assert_int_eq(r.s->i[2], 7);
    ck_assert_int_eq(r.s->i[3], INT64_MAX);
    ck_assert_int_eq(r.s->i[4], INT64_MIN);
    done(&r);
}
END_TEST

START_TEST(test_promotion)
{
    /* int rows, then real: the series becomes real and the earlier values convert */
    result r = {0};
    decode_str(&r, HDR "2022-02-02 22:24:58.053000,0,1,int\r\n"
                       "2022-02-02 22:24:58.309000,0,2,int\r\n"
                       "2022-02-02 22:24:58.565000,0,2.5,real\r\n"
                       "2022-02-02 22:24:58.821000,0,3,int\r\n",
               NULL);
    assert_ok(&r);
    ck_assert_int_eq(r.s->vtype, EDB_VT_REAL);
    ck_assert_str_eq(r.s->sqltype, "int"); /* the first row's name, as reported */
    ck_assert_uint_eq(r.s->n, 4);
    ck_assert(r.s->d[0] == 1.0 && r.s->d[1] == 2.0 && r.s->d[2] == 2.5 && r.s->d[3] == 3.0);
    done(&r);

    /* real first, int later: stays real */
    decode_str(&r, HDR "2022-02-02 22:24:58.053000,0,1.5,float\r\n"
                       "2022-02-02 22:24:58.309000,0,2,smallint\r\n",
               NULL);
    assert_ok(&r);
    ck_assert_int_eq(r.s->vtype, EDB_VT_REAL);
    ck_assert(r.s->d[0] == 1.5 && r.s->d[1] == 2.0);
    done(&r);

    /* an int bracket before a real range converts too */
    edb_mastcsv_options o = {T2022_5800, T2022_5900, 1, 0, 0};
    decode_str(&r, HDR "2022-02-02 22:24:57.053000,0,4,int\r\n"
                       "2022-02-02 22:24:58.309000,0,2.25,real\r\n",
               &o);
    assert_ok(&r);
    ck_assert_uint_eq(r.s->n, 2);
    ck_assert(r.s->d[0] == 4.0 && r.s->d[1] == 2.25);
    done(&r);

    assert_fails(HDR "2022-02-02 22:24:58.053000,0,1,real\r\n"
                     "2022-02-02 22:24:58.309000,0,on,varchar\r\n",
                 EDB_ERR_DATA, "row 2 (line 3): sqldataType 'varchar' after rows of type real");
    assert_fails(HDR "2022-02-02 22:24:58.053000,0,on,varchar\r\n"
                     "2022-02-02 22:24:58.309000,0,1,int\r\n",
                 EDB_ERR_DATA, "row 2 (line 3): sqldataType 'int' after rows of type string");
}
END_TEST

START_TEST(test_missing_and_special_values)
{
    result r = {0};
    decode_str(&r, HDR "2022-02-02 22:24:58.053000,0,,real\r\n"
                       "2022-02-02 22:24:58.309000,0,NaN,real\r\n"
                       "2022-02-02 22:24:58.565000,0,-Infinity,real\r\n"
                       "2022-02-02 22:24:58.821000,0,inf,real\r\n",
               NULL);
    assert_ok(&r);
    ck_assert_uint_eq(r.s->n, 4);
    ck_assert(isnan(r.s->d[0]) && isnan(r.s->d[1]));
    ck_assert(isinf(r.s->d[2]) && r.s->d[2] < 0);
    ck_assert(isinf(r.s->d[3]) && r.s->d[3] > 0);
    done(&r);
}
END_TEST

/* ---- errors ------------------------------------------------------------------------- */

#define GOOD2 "2022-02-02 22:24:58.053000,59612.9340052431,-0.7914494276,real\r\n" \
              "2022-02-02 22:24:58.309000,59612.9340082060,-0.7914494276,real\r\n"

START_TEST(test_malformed_rows)
{
    assert_fails(HDR GOOD2 "2022-02-02 22:24:58.565000,59612.9340111690,-0.79\r\n", EDB_ERR_DATA,
                 "row 3 (line 4): expected 4 fields (theTime,MJD,euvalue,sqldataType), found 3");
    assert_fails(HDR GOOD2 "2022-02-02 22:24:58.565000,59612.9340111690,-0.79,real,x\r\n",
                 EDB_ERR_DATA, "row 3 (line 4): expected 4 fields");
    assert_fails(HDR GOOD2 "2022-02-02 22:24:58.565000,59612.9340111690,-0.79,real,x\r\n",
                 EDB_ERR_DATA, "found 5 in '2022-02-02 22:24:58.565000,59612.9340111690,-0.79,real,x'");
    assert_fails(HDR GOOD2 "2022-02-3x 22:24:58.565000,59612.9340111690,-0.79,real\r\n",
                 EDB_ERR_DATA, "row 3 (line 4): theTime is not YYYY-MM-DD HH:MM:SS");
    assert_fails(HDR GOOD2 "2022-13-02 22:24:58.565000,59612.9340111690,-0.79,real\r\n",
                 EDB_ERR_DATA, "row 3 (line 4): theTime: month 13 out of range");
    assert_fails(HDR GOOD2 "2022-02-30 22:24:58.565000,59612.9340111690,-0.79,real\r\n",
                 EDB_ERR_DATA, "day 30 out of range for 2022-02");
    assert_fails(HDR GOOD2 "2022-02-02 24:00:00,59612.9340111690,-0.79,real\r\n", EDB_ERR_DATA,
                 "time of day 24:00:00 out of range");
    assert_fails(HDR GOOD2 "2022-02-02 22:24:58.1234567,59612.93,-0.79,real\r\n", EDB_ERR_DATA,
                 "more than 6 fraction digits");
    assert_fails(HDR GOOD2 "2022-02-02 22:24:58.565000,59612.9340111690,-0.7x9,real\r\n",
                 EDB_ERR_DATA, "row 3 (line 4): euvalue '-0.7x9' is not a number");
    assert_fails(HDR GOOD2 "2022-02-02 22:24:58.565000,59612.9340111690, -0.79,real\r\n",
                 EDB_ERR_DATA, "euvalue ' -0.79' is not a number");
    assert_fails(HDR GOOD2 "2022-02-02 22:24:58.565000,0x10,-0.79,real\r\n", EDB_ERR_DATA,
                 "row 3 (line 4): MJD '0x10' is not a number");
    assert_fails(HDR GOOD2 "2022-02-02 22:24:58.565000,,-0.79,real\r\n", EDB_ERR_DATA,
                 "MJD '' is not a number");
    assert_fails(HDR GOOD2 "2022-02-02 22:24:58.565000,59612.9340111690,-0.79,blob\r\n",
                 EDB_ERR_DATA, "row 3 (line 4): unknown sqldataType 'blob'");
    assert_fails(HDR "2022-02-02 22:24:58.565000,0,3.0,int\r\n", EDB_ERR_DATA,
                 "row 1 (line 2): euvalue '3.0' is not an integer");
    assert_fails(HDR "2022-02-02 22:24:58.565000,0,9223372036854775808,bigint\r\n", EDB_ERR_DATA,
                 "euvalue '9223372036854775808' is out of range for a 64-bit integer");
    assert_fails(HDR "2022-02-02 22:24:58.565000,0,abc,int\r\n", EDB_ERR_DATA,
                 "euvalue 'abc' is not a number");
    assert_fails(HDR "2022-02-02 22:24:58.565000,0,,int\r\n", EDB_ERR_DATA,
                 "row 1 (line 2): empty euvalue for an integer sqldataType");
    assert_fails(HDR "2022-02-02 22:24:58.565000,0,\"a\"b,varchar\r\n", EDB_ERR_DATA,
                 "row 1 (line 2): field 3: text after the closing quote");
    assert_fails(HDR "2022-02-02 22:24:58.565000,0,1,real\r\r\n", EDB_ERR_DATA,
                 "unknown sqldataType 'real?' (expected real");
    assert_fails(HDR "2022-02-02 22:24:58.565000,0,1,real\r\r\n", EDB_ERR_DATA,
                 "(stray carriage return)");
    /* a number with a comma is an error even though strings may hold commas */
    assert_fails(HDR "2022-02-02 22:24:58.565000,0,1,5,real\r\n", EDB_ERR_DATA, "found 5");
}
END_TEST

START_TEST(test_headers)
{
    result r = {0};
    decode_str(&r, HDR, NULL);
    assert_ok(&r);
    ck_assert_uint_eq(r.s->n, 0);
    ck_assert_uint_eq(r.rows, 0);
    done(&r);
    decode_str(&r, "", NULL);
    assert_ok(&r);
    ck_assert_uint_eq(r.s->n, 0);
    done(&r);
    /* header with no line end: the whole (empty) reply, not a cut one */
    decode_str(&r, "theTime,MJD,euvalue,sqldataType", NULL);
    assert_ok(&r);
    done(&r);
    /* blank lines anywhere, and a final one, are ignored */
    decode_str(&r, HDR GOOD2 "\r\n", NULL);
    assert_ok(&r);
    ck_assert_uint_eq(r.s->n, 2);
    done(&r);
    decode_str(&r, "\r\n" HDR "\n" GOOD2 "\r\n\n", NULL);
    assert_ok(&r);
    ck_assert_uint_eq(r.s->n, 2);
    ck_assert_uint_eq(r.rows, 2);
    done(&r);

    assert_fails("time,MJD,value,type\r\n" GOOD2, EDB_ERR_DATA,
                 "unexpected header 'time,MJD,value,type': expected theTime,MJD,euvalue,sqldataType");
    assert_fails("theTime,MJD,euvalue\r\n" GOOD2, EDB_ERR_DATA, "unexpected header");
    assert_fails("theTime,MJD,euvalue,sqldataType,extra\r\n", EDB_ERR_DATA, "unexpected header");
    assert_fails(GOOD2, EDB_ERR_DATA, "unexpected header '2022-02-02 22:24:58.053000");
    assert_fails("<html><body>Service Unavailable</body></html>\n", EDB_ERR_DATA,
                 "unexpected header '<html>");
    assert_fails("theTim", EDB_ERR_TRUNCATED, "reply ends inside the header");
}
END_TEST

START_TEST(test_truncated)
{
    assert_fails(HDR GOOD2 "2022-02-02 22:24:58.565000,59612.93401", EDB_ERR_TRUNCATED,
                 "reply ends inside row 3 (line 4, no line end): cut short?");
    /* a complete-looking last row with no line end is still cut */
    assert_fails(HDR GOOD2 "2022-02-02 22:24:58.565000,59612.9340111690,-0.79,real",
                 EDB_ERR_TRUNCATED, "reply ends inside row 3");
    assert_fails(HDR GOOD2 "2022-02-02 22:24:58.565000,59612.9340111690,\"abc\r\n", EDB_ERR_TRUNCATED,
                 "reply ends inside a quoted field of row 3");
    /* a lone CR after the last line end is nothing */
    result r = {0};
    decode_str(&r, HDR GOOD2 "\r", NULL);
    assert_ok(&r);
    ck_assert_uint_eq(r.s->n, 2);
    done(&r);
}
END_TEST

START_TEST(test_sticky_errors)
{
    edb_series *s = NULL;
    edb_mastcsv *d = NULL;
    ck_assert_int_eq(edb_series_new(&s, "X"), EDB_OK);
    ck_assert_int_eq(edb_mastcsv_new(&d, s, NULL), EDB_OK);
    ck_assert_str_eq(edb_mastcsv_errmsg(d), "");
    const char *bad = HDR "2022-02-02 22:24:58,0,1,nope\r\n";
    ck_assert_int_eq(edb_mastcsv_feed(d, bad, strlen(bad)), EDB_ERR_DATA);
    char first[1024];
    snprintf(first, sizeof first, "%s", edb_mastcsv_errmsg(d));
    ck_assert_int_eq(edb_mastcsv_feed(d, GOOD2, strlen(GOOD2)), EDB_ERR_DATA);
    ck_assert_int_eq(edb_mastcsv_finish(d), EDB_ERR_DATA);
    ck_assert_str_eq(edb_mastcsv_errmsg(d), first);
    /* reset forgets the error and the samples */
    edb_mastcsv_reset(d);
    ck_assert_str_eq(edb_mastcsv_errmsg(d), "");
    ck_assert_int_eq(edb_mastcsv_feed(d, HDR GOOD2, strlen(HDR GOOD2)), EDB_OK);
    ck_assert_int_eq(edb_mastcsv_finish(d), EDB_OK);
    ck_assert_uint_eq(s->n, 2);
    ck_assert_int_eq(edb_mastcsv_finish(d), EDB_OK); /* finishing twice is harmless */
    ck_assert_int_eq(edb_mastcsv_feed(d, "x", 1), EDB_ERR_USAGE);
    edb_mastcsv_free(d);
    edb_series_free(s);
    edb_mastcsv_free(NULL);
    ck_assert_int_eq(edb_mastcsv_new(&d, NULL, NULL), EDB_ERR_USAGE);
}
END_TEST

START_TEST(test_out_of_order)
{
    /* out of order, with two equal times whose order must survive the sort */
    const char *body = HDR "2022-02-02 22:24:58.565000,0,3,real\r\n"
                           "2022-02-02 22:24:58.053000,0,1,real\r\n"
                           "2022-02-02 22:24:58.309000,0,2,real\r\n"
                           "2022-02-02 22:24:58.053000,0,1.5,real\r\n"
                           "2022-02-02 22:24:57.000000,0,0,real\r\n"
                           "2022-02-02 22:24:59.500000,0,9,real\r\n";
    edb_mastcsv_options o = {T2022_5800, T2022_5900, 1, 0, 0};
    result r = {0};
    decode_str(&r, body, &o);
    assert_ok(&r);
    ck_assert_uint_eq(r.s->n, 6);
    static const double want[6] = {0, 1, 1.5, 2, 3, 9};
    for (size_t k = 0; k < 6; k++)
        ck_assert_msg(r.s->d[k] == want[k], "sample %zu is %g", k, r.s->d[k]);
    for (size_t k = 1; k < 6; k++)
        ck_assert_int_le(r.s->t[k - 1], r.s->t[k]);
    done(&r);
}
END_TEST

START_TEST(test_reset_refeed)
{
    size_t len;
    char *body = read_fixture(FIX2022, &len);
    edb_series *s = NULL;
    edb_mastcsv *d = NULL;
    edb_mastcsv_options o = {T2022_5800, T2022_5900, 1, 0, 0};
    ck_assert_int_eq(edb_series_new(&s, "SA_ZATTEST2"), EDB_OK);
    ck_assert_int_eq(edb_mastcsv_new(&d, s, &o), EDB_OK);
    /* half a reply (a retry after a dropped connection), then the whole of it */
    ck_assert_int_eq(edb_mastcsv_feed(d, body, len / 2), EDB_OK);
    edb_mastcsv_reset(d);
    ck_assert_uint_eq(s->n, 0);
    ck_assert_uint_eq(edb_mastcsv_rows(d), 0);
    result r = {0};
    feed_all(d, &r, body, len, WHOLE);
    assert_ok(&r);
    result ref = {0};
    decode(&ref, body, len, &o, WHOLE);
    assert_same_series(s, ref.s);
    ck_assert_str_eq(s->mnemonic, "SA_ZATTEST2");
    /* and again after a finished decode */
    edb_mastcsv_reset(d);
    rng_state = 99;
    feed_all(d, &r, body, len, RANDOM);
    assert_ok(&r);
    assert_same_series(s, ref.s);
    done(&ref);
    edb_mastcsv_free(d);
    edb_series_free(s);
    free(body);
}
END_TEST

START_TEST(test_many_rows_chunked)
{
    /* A few thousand rows of each kind, fed whole, bytewise and in random chunks. */
    size_t cap = 1 << 20, len = 0;
    char *body = malloc(cap);
    len += (size_t)snprintf(body, cap, HDR);
    for (int k = 0; k < 3000; k++) {
        int sec = k % 60, min = (k / 60) % 60;
        if (k % 3 == 0)
            len += (size_t)snprintf(body + len, cap - len,
                                    "2022-01-01 00:%02d:%02d.%03d000,59580.%010d,%d.%04d,real\r\n",
                                    min, sec, k % 1000, k * 7, k, k % 10000);
        else if (k % 3 == 1)
            len += (size_t)snprintf(body + len, cap - len,
                                    "2022-01-01 00:%02d:%02d.%03d000,59580.%010d,%lld,int\n", min,
                                    sec, k % 1000, k * 7, (long long)k * 1000003);
        else
            len += (size_t)snprintf(body + len, cap - len,
                                    "2022-01-01 00:%02d:%02d.%03d000,59580.%010d,%d.5e-3,float\r\n",
                                    min, sec, k % 1000, k * 7, -k);
    }
    result whole = {0}, x = {0};
    decode(&whole, body, len, NULL, WHOLE);
    assert_ok(&whole);
    ck_assert_uint_eq(whole.s->n, 3000);
    ck_assert_int_eq(whole.s->vtype, EDB_VT_REAL);
    decode(&x, body, len, NULL, BYTES);
    assert_ok(&x);
    assert_same_series(x.s, whole.s);
    done(&x);
    rng_state = 12345;
    for (int rep = 0; rep < 5; rep++) {
        decode(&x, body, len, NULL, RANDOM);
        assert_ok(&x);
        assert_same_series(x.s, whole.s);
        done(&x);
    }
    done(&whole);
    free(body);
}
END_TEST

/* ---- numbers ------------------------------------------------------------------------ */

static double pd(const char *s)
{
    double v = -12345.678;
    int rc = edb_parse_double(s, strlen(s), &v);
    ck_assert_msg(rc == 0, "'%s' rejected", s);
    return v;
}

#define PARSES_TO(text, want)                                                                 \
    do {                                                                                      \
        double got_ = pd(text), want_ = (want);                                               \
        ck_assert_msg(same_bits(got_, want_), "'%s' -> %.17g, want %.17g", text, got_, want_); \
    } while (0)


/* Issue 17, item 2: a reply's length (Content-Length, a saved reply's size) reserves room
 * for the samples it holds once, at 56 bytes a row plus the two brackets; a hostile length
 * reserves at most EDB_DECODER_HINT_MAX_ROWS; JSON (which has Count) takes no hint; and a
 * hint changes no sample. */
START_TEST(test_size_hint)
{
    char body[65536];
    size_t len = (size_t)snprintf(body, sizeof body, "theTime,MJD,euvalue,sqldataType\r\n");
    for (int k = 0; k < 300; k++)
        len += (size_t)snprintf(body + len, sizeof body - len,
                                "2022-01-01 00:%02d:%02d.000000,%.10f,%d.%04d,real\r\n", k / 60,
                                k % 60, 59580 + k / 86400.0, k, k * 7 % 10000);
    edb_series *plain = NULL, *hinted = NULL;
    ck_assert_int_eq(edb_series_new(&plain, "SA_ZTEST"), EDB_OK);
    ck_assert_int_eq(edb_series_new(&hinted, "SA_ZTEST"), EDB_OK);
    edb_decoder *a = NULL, *b = NULL;
    ck_assert_int_eq(edb_decoder_new(&a, "mast-csv", plain, NULL), EDB_OK);
    ck_assert_int_eq(edb_decoder_new(&b, "mast-csv", hinted, NULL), EDB_OK);
    edb_decoder_size_hint(b, len);
    /* by hand: len / 56 + 2 samples of room, exactly */
    ck_assert_uint_eq(hinted->cap, len / 56 + 2);
    ck_assert_int_eq(edb_decoder_feed(a, body, len), EDB_OK);
    ck_assert_int_eq(edb_decoder_feed(b, body, len), EDB_OK);
    ck_assert_int_eq(edb_decoder_finish(a), EDB_OK);
    ck_assert_int_eq(edb_decoder_finish(b), EDB_OK);
    ck_assert_uint_eq(plain->n, 300);
    ck_assert_uint_eq(hinted->n, 300);
    ck_assert_int_eq(hinted->vtype, EDB_VT_REAL);
    ck_assert(memcmp(plain->t, hinted->t, 300 * sizeof *plain->t) == 0);
    ck_assert(memcmp(plain->d, hinted->d, 300 * sizeof *plain->d) == 0);
    ck_assert(hinted->d[299] == 299.2093);
    edb_decoder_free(a);
    edb_decoder_free(b);
    /* a hostile length: the room is capped, and nothing fails */
    edb_series_free(hinted);
    ck_assert_int_eq(edb_series_new(&hinted, "SA_ZTEST"), EDB_OK);
    ck_assert_int_eq(edb_decoder_new(&b, "mast-csv", hinted, NULL), EDB_OK);
    edb_decoder_size_hint(b, 1ULL << 62);
    ck_assert_uint_eq(hinted->cap, EDB_DECODER_HINT_MAX_ROWS);
    ck_assert_int_eq(edb_decoder_feed(b, body, len), EDB_OK);
    ck_assert_int_eq(edb_decoder_finish(b), EDB_OK);
    ck_assert_uint_eq(hinted->n, 300);
    edb_decoder_free(b);
    edb_series_free(hinted);
    /* JSON grows towards its Count instead: a length reserves nothing */
    ck_assert_int_eq(edb_series_new(&hinted, "SA_ZTEST"), EDB_OK);
    ck_assert_int_eq(edb_decoder_new(&b, "json", hinted, NULL), EDB_OK);
    edb_decoder_size_hint(b, 1 << 20);
    ck_assert_uint_eq(hinted->cap, 0);
    edb_decoder_free(b);
    edb_series_free(hinted);
    edb_series_free(plain);
}
END_TEST

START_TEST(test_parse_double_exact)
{
    PARSES_TO("0.1", 0.1);
    PARSES_TO("1e22", 1e22);
    PARSES_TO("1e23", 1e23);
    PARSES_TO("12e30", 12e30);
    PARSES_TO("9007199254740993", 9007199254740992.0); /* 2^53 + 1 ties to even */
    PARSES_TO("9007199254740995", 9007199254740996.0);
    PARSES_TO("2.2250738585072014e-308", DBL_MIN);
    PARSES_TO("2.2250738585072011e-308", 2.2250738585072011e-308);
    PARSES_TO("4.9e-324", 4.9406564584124654e-324);
    PARSES_TO("2.4703282292062328e-324", 4.9406564584124654e-324); /* just above half: rounds up */
    PARSES_TO("1.7976931348623157e308", DBL_MAX);
    PARSES_TO("0.30000000000000004", 0.30000000000000004);
    PARSES_TO("0.1000000000000000055511151231257827", 0.1);
    PARSES_TO("123456789012345678901234567890", 123456789012345678901234567890.0);
    PARSES_TO("-0.7914493680", -0.7914493680);
    PARSES_TO("59612.9340022801", 59612.9340022801);
    PARSES_TO("0.4641213417", 0.4641213417);
    PARSES_TO("3.14159265358979323846", 3.14159265358979323846);
    PARSES_TO("1e-400", 0.0);
    PARSES_TO("0e999999999999", 0.0);
    PARSES_TO(".5", 0.5);
    PARSES_TO("5.", 5.0);
    PARSES_TO("+1", 1.0);
    PARSES_TO("1E5", 1e5);
    PARSES_TO("1e+5", 1e5);
    PARSES_TO("1e-5", 1e-5);
    PARSES_TO("000000000000000000000000000001.5", 1.5);
    PARSES_TO("0.000000000000000000000000000015", 1.5e-29);
    double z = pd("-0.0");
    ck_assert(z == 0 && signbit(z));
    z = pd("-0");
    ck_assert(z == 0 && signbit(z));
    ck_assert(isinf(pd("1e999")));
    ck_assert(isnan(pd("nan")) && isnan(pd("NaN")) && isnan(pd("-nan")));
    ck_assert(isinf(pd("inf")) && pd("Infinity") > 0 && pd("-inf") < 0 && pd("-INFINITY") < 0);
}
END_TEST

START_TEST(test_parse_double_rejects)
{
    static const char *const bad[] = {"",     " 1",   "1 ",   "+",     "-",    ".",    "-.",
                                      "1e",   "1e+",  "e5",   "0x10",  "0x1p3", "1.5x", "nanx",
                                      "in",   "--1",  "1..2", "1,5",   "infin", "+-1",  "1e5.5",
                                      "\t1",  "1\n",  "1_0",  "１"};
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        double v = 42;
        ck_assert_msg(edb_parse_double(bad[k], strlen(bad[k]), &v) == -1, "'%s' accepted", bad[k]);
        ck_assert(v == 42);
    }
    /* the length bounds the text: no NUL needed, nothing read past it */
    double v;
    ck_assert_int_eq(edb_parse_double("1.25junk", 4, &v), 0);
    ck_assert(v == 1.25);
    ck_assert_int_eq(edb_parse_double("123456789012345678901x", 21, &v), 0);
}
END_TEST

/* The fast path must agree with a correctly rounding strtod on every decimal it takes. */
START_TEST(test_parse_double_vs_strtod)
{
    rng_state = 2024;
    char buf[64];
    for (int k = 0; k < 50000; k++) {
        int nd = 1 + (int)(rnd() % 19), dot = (int)(rnd() % (unsigned)(nd + 1));
        int n = 0;
        if (rnd() % 2)
            buf[n++] = '-';
        for (int j = 0; j < nd; j++) {
            if (j == dot && j > 0)
                buf[n++] = '.';
            buf[n++] = (char)('0' + rnd() % 10);
        }
        if (rnd() % 3 == 0)
            n += snprintf(buf + n, sizeof buf - (size_t)n, "e%d", (int)(rnd() % 90) - 45);
        buf[n] = '\0';
        double want = strtod(buf, NULL), got;
        ck_assert_int_eq(edb_parse_double(buf, (size_t)n, &got), 0);
        ck_assert_msg(same_bits(got, want), "'%s' -> %.17g, strtod %.17g", buf, got, want);
    }
}
END_TEST

START_TEST(test_parse_int64)
{
    int64_t v;
    ck_assert_int_eq(edb_parse_int64("0", 1, &v), 0);
    ck_assert_int_eq(v, 0);
    ck_assert_int_eq(edb_parse_int64("-0", 2, &v), 0);
    ck_assert_int_eq(v, 0);
    ck_assert_int_eq(edb_parse_int64("+42", 3, &v), 0);
    ck_assert_int_eq(v, 42);
    ck_assert_int_eq(edb_parse_int64("9223372036854775807", 19, &v), 0);
    ck_assert_int_eq(v, INT64_MAX);
    ck_assert_int_eq(edb_parse_int64("-9223372036854775808", 20, &v), 0);
    ck_assert_int_eq(v, INT64_MIN);
    static const char *const bad[] = {"9223372036854775808", "-9223372036854775809",
                                      "99999999999999999999", "", "+", "-", "1.0", " 1", "1 ",
                                      "1e3", "0x1", "--1"};
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        v = 7;
        ck_assert_msg(edb_parse_int64(bad[k], strlen(bad[k]), &v) == -1, "'%s' accepted", bad[k]);
        ck_assert_int_eq(v, 7);
    }
}
END_TEST

static void fmt_is(double v, const char *want)
{
    char buf[64];
    int n = edb_format_double(v, buf, sizeof buf);
    ck_assert_str_eq(buf, want);
    ck_assert_int_eq(n, (int)strlen(want));
}

START_TEST(test_format_double)
{
    fmt_is(0.1, "0.1");
    fmt_is(-0.791449368, "-0.791449368");
    fmt_is(-0.7914493680, "-0.791449368");
    fmt_is(59612.9340022801, "59612.9340022801");
    fmt_is(1e22, "1e+22");
    fmt_is(1.0, "1");
    fmt_is(-0.0, "-0");
    fmt_is(0.0, "0");
    fmt_is(0.30000000000000004, "0.30000000000000004");
    fmt_is(1.0 / 3.0, "0.3333333333333333");
    fmt_is(DBL_MAX, "1.7976931348623157e+308");
    fmt_is(4.9406564584124654e-324, "4.94065645841247e-324"); /* 15 digits already read back */
    fmt_is(9007199254740993.0, "9007199254740992");
    fmt_is(NAN, "nan");
    fmt_is(INFINITY, "inf");
    fmt_is(-INFINITY, "-inf");
    /* snprintf's contract: the full length back, the text cut and terminated */
    char small[4];
    ck_assert_int_eq(edb_format_double(-0.791449368, small, sizeof small), 12);
    ck_assert_str_eq(small, "-0.");
    ck_assert_int_eq(edb_format_double(0.5, NULL, 0), 3);
}
END_TEST

START_TEST(test_format_round_trip)
{
    rng_state = 314159;
    char buf[64];
    for (int k = 0; k < 50000; k++) {
        uint64_t bits = rnd64();
        double v;
        memcpy(&v, &bits, sizeof v);
        int n = edb_format_double(v, buf, sizeof buf);
        ck_assert_int_gt(n, 0);
        ck_assert_int_lt(n, 32);
        double back;
        ck_assert_msg(edb_parse_double(buf, (size_t)n, &back) == 0, "'%s' does not parse", buf);
        if (isnan(v))
            ck_assert(isnan(back));
        else
            ck_assert_msg(same_bits(v, back), "%a -> '%s' -> %a", v, buf, back);
        /* shortest: one digit fewer must not round-trip (for the 16 and 17 digit cases) */
        if (!isnan(v) && !isinf(v) && v != 0) {
            char alt[64];
            snprintf(alt, sizeof alt, "%.14g", v);
            double a = strtod(alt, NULL);
            if (same_bits(a, v))
                ck_assert_uint_le(strlen(buf), strlen(alt));
        }
    }
}
END_TEST

START_TEST(test_locale_independence)
{
    /* In a locale with a decimal comma, parsing and formatting still use '.'. */
    static const char *const locs[] = {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "de_DE"};
    const char *set = NULL;
    for (size_t k = 0; k < sizeof locs / sizeof *locs && !set; k++)
        set = setlocale(LC_NUMERIC, locs[k]);
    if (!set) {
        fprintf(stderr, "test_locale_independence: no decimal-comma locale installed, "
                        "checking in C only\n");
    }
    char buf[64];
    edb_format_double(-0.791449368, buf, sizeof buf);
    ck_assert_str_eq(buf, "-0.791449368");
    edb_format_double(0.30000000000000004, buf, sizeof buf);
    ck_assert_str_eq(buf, "0.30000000000000004");
    PARSES_TO("0.30000000000000004", 0.30000000000000004); /* the strtod_l fallback */
    PARSES_TO("-0.7914493680", -0.7914493680);
    double v;
    ck_assert_int_eq(edb_parse_double("0,5", 3, &v), -1);
    setlocale(LC_NUMERIC, "C");
}
END_TEST

static Suite *mastcsv_suite(void)
{
    Suite *s = suite_create("mastcsv");
    TCase *tc = tcase_create("decoder");
    tcase_add_test(tc, test_fixture_2022);
    tcase_add_test(tc, test_size_hint);
    tcase_add_test(tc, test_fixture_2021);
    tcase_add_test(tc, test_fixture_exact_values);
    tcase_add_test(tc, test_inclusive_bounds);
    tcase_add_test(tc, test_brackets_choice);
    tcase_add_test(tc, test_quoted_strings);
    tcase_add_test(tc, test_quoted_numbers_and_bom);
    tcase_add_test(tc, test_time_forms);
    tcase_add_test(tc, test_time_every_day);
    tcase_add_test(tc, test_int_types);
    tcase_add_test(tc, test_promotion);
    tcase_add_test(tc, test_missing_and_special_values);
    tcase_add_test(tc, test_malformed_rows);
    tcase_add_test(tc, test_headers);
    tcase_add_test(tc, test_truncated);
    tcase_add_test(tc, test_sticky_errors);
    tcase_add_test(tc, test_out_of_order);
    tcase_add_test(tc, test_reset_refeed);
    tcase_add_test(tc, test_many_rows_chunked);
    suite_add_tcase(s, tc);
    TCase *num = tcase_create("numbers");
    tcase_add_test(num, test_parse_double_exact);
    tcase_add_test(num, test_parse_double_rejects);
    tcase_add_test(num, test_parse_double_vs_strtod);
    tcase_add_test(num, test_parse_int64);
    tcase_add_test(num, test_format_double);
    tcase_add_test(num, test_format_round_trip);
    tcase_add_test(num, test_locale_independence);
    suite_add_tcase(s, num);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(mastcsv_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
