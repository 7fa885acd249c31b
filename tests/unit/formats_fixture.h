/* formats_fixture.h: the series and tables the writer tests write, and what they must read
 * back as.  Every expected figure here is written out by hand (times as Unix milliseconds
 * checked against a calendar, MJDs from them by the textbook formula), never computed by
 * the code under test. */
#ifndef EDB_FORMATS_FIXTURE_H
#define EDB_FORMATS_FIXTURE_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#include <edb/series.h>
#include <edb/table.h>
#include <edb/writer.h>

/* 2021-01-26T00:00:00Z = MJD 59240 = 1611619200000 ms since 1970. */
#define FX_DAY0_MS INT64_C(1611619200000)
#define FX_MJDREF 59240
/* 2021-01-26T02:30:00.009Z */
#define FX_T0_MS INT64_C(1611628200009)

#define FX_LONG_DESC "Attitude estimate quaternion element 1 from the ACS, propagated on board " \
                     "at 4 Hz; this text is longer than one FITS card can hold"
#define FX_UTF8 "a,b \"q\" \xc3\xa9\xc3\xbc \xe6\x97\xa5\xe6\x9c\xac"

static const int64_t fx_real_ms[] = {FX_T0_MS, FX_T0_MS + 256, FX_T0_MS + 512, FX_T0_MS + 768};
static const double fx_real_v[] = {-0.209546968, 0.30000000000000004, NAN, 1e-300};
static const int64_t fx_int_ms[] = {FX_T0_MS + 1, FX_T0_MS + 1001, FX_T0_MS + 2001};
static const int64_t fx_int_v[] = {0, -2147483647, 2147483647};
static const int64_t fx_big_ms[] = {FX_T0_MS + 5, FX_T0_MS + 6};
static const int64_t fx_big_v[] = {INT64_C(1099511627777), INT64_C(-9007199254740993)};
static const int64_t fx_str_ms[] = {FX_T0_MS + 100, FX_T0_MS + 200, FX_T0_MS + 300, FX_T0_MS + 86400000};
static const char *const fx_str_v[] = {"ON", FX_UTF8, "", "trailing "};
static const int64_t fx_unk_ms[] = {FX_T0_MS + 7};
static const double fx_unk_v[] = {42.5};

enum { FX_REAL, FX_INT, FX_BIG, FX_STR, FX_UNK, FX_EMPTY, FX_N };
static const char *const fx_names[FX_N] = {"SA_ZATTEST1", "SA_ZFGDETID", "SA_ZBIGCOUNT",
                                           "IMIR_HK_STATE", "SA_ZODDUNIT", "SA_ZNOTHING"};

static edb_series *fx_series[FX_N];

static void fx_build(void)
{
    edb_series *s;
    edb_series_new(&s, fx_names[FX_REAL]);
    edb_series_set_type(s, EDB_VT_REAL);
    strcpy(s->sqltype, "real");
    for (size_t k = 0; k < 4; k++)
        edb_series_push_real(s, fx_real_ms[k] * 1000, fx_real_v[k]);
    edb_series_set_meta(s, "volts", FX_LONG_DESC);
    fx_series[FX_REAL] = s;

    edb_series_new(&s, fx_names[FX_INT]);
    edb_series_set_type(s, EDB_VT_INT);
    strcpy(s->sqltype, "int");
    for (size_t k = 0; k < 3; k++)
        edb_series_push_int(s, fx_int_ms[k] * 1000, fx_int_v[k]);
    edb_series_set_meta(s, "counts", "guide star detector id");
    fx_series[FX_INT] = s;

    edb_series_new(&s, fx_names[FX_BIG]);
    edb_series_set_type(s, EDB_VT_INT);
    strcpy(s->sqltype, "bigint");
    for (size_t k = 0; k < 2; k++)
        edb_series_push_int(s, fx_big_ms[k] * 1000, fx_big_v[k]);
    fx_series[FX_BIG] = s;

    edb_series_new(&s, fx_names[FX_STR]);
    edb_series_set_type(s, EDB_VT_STRING);
    strcpy(s->sqltype, "varchar");
    for (size_t k = 0; k < 4; k++)
        edb_series_push_str(s, fx_str_ms[k] * 1000, fx_str_v[k], strlen(fx_str_v[k]));
    fx_series[FX_STR] = s;

    edb_series_new(&s, fx_names[FX_UNK]);
    edb_series_set_type(s, EDB_VT_REAL);
    strcpy(s->sqltype, "float");
    edb_series_push_real(s, fx_unk_ms[0] * 1000, fx_unk_v[0]);
    edb_series_set_meta(s, "DN/furlong", NULL);
    fx_series[FX_UNK] = s;

    edb_series_new(&s, fx_names[FX_EMPTY]);
    fx_series[FX_EMPTY] = s;
}

static void fx_free(void)
{
    for (size_t k = 0; k < FX_N; k++) {
        edb_series_free(fx_series[k]);
        fx_series[k] = NULL;
    }
}

/* The run: 2021-01-26T02:30:00 to 02:31:00, run on 2024-05-01T12:00:00Z, with the run's
 * time asked for in the file (--stamp), so that the tests see where it goes. */
#define FX_RUN_MS INT64_C(1714564800000)
static edb_run_info fx_run = {"edbx get SA_ZATTEST1 --start 2021-01-26T02:30:00 -o x",
                              FX_RUN_MS * 1000, (FX_T0_MS - 9) * 1000,
                              (FX_T0_MS - 9 + 60000) * 1000, 1};

/* A wide table: 3 rows at 1 s, a real (row 1 missing), an int (row 2 missing), a string. */
#define FX_WIDE_STEP_MS 1000
static edb_table *fx_wide(void)
{
    edb_table *t;
    edb_column *c;
    edb_table_new(&t, 3);
    for (size_t r = 0; r < 3; r++)
        t->t[r] = (FX_T0_MS - 9 + (int64_t)r * FX_WIDE_STEP_MS) * 1000;
    t->step_us = FX_WIDE_STEP_MS * 1000;
    edb_table_add_column(t, "SA_ZATTEST1_mean", "SA_ZATTEST1", "mean", EDB_VT_REAL, &c);
    edb_column_set_real(c, 0, -0.209546968);
    edb_column_set_real(c, 2, 0.30000000000000004);
    edb_column_set_meta(c, "V", FX_LONG_DESC);
    edb_table_add_column(t, "SA_ZFGDETID", "SA_ZFGDETID", NULL, EDB_VT_INT, &c);
    edb_column_set_int(c, 0, 7);
    edb_column_set_int(c, 1, -7);
    edb_column_set_meta(c, "DN/furlong", NULL);
    edb_table_add_column(t, "IMIR_HK_STATE", "IMIR_HK_STATE", NULL, EDB_VT_STRING, &c);
    edb_column_set_str(c, 3, 0, "ON", 2);
    edb_column_set_str(c, 3, 1, FX_UTF8, strlen(FX_UTF8));
    edb_column_set_str(c, 3, 2, "OFF", 3);
    return t;
}

#endif
