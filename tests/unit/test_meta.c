/* test_meta.c: the mnemonic metadata table (edb/meta.c), its sources (a MAST inventory
 * CSV, a path B meta.json, a store's meta.json) and what it gives a series. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <edb/meta.h>
#include <edb/series.h>
#include <edb/store.h>

#include "testutil.h"

static edb_meta *new_meta(void)
{
    edb_meta *m = NULL;
    ck_assert_int_eq(edb_meta_new(&m), EDB_OK);
    return m;
}

static void load_str(edb_meta *m, const char *text)
{
    edb_err err = EDB_ERR_INIT;
    ck_assert_msg(edb_meta_load_buffer(m, text, strlen(text), "t", &err) == EDB_OK, "%s",
                  err.msg);
}

/* Load text expecting EDB_ERR_DATA with a message containing want; the table must not
 * change. */
static void load_bad(edb_meta *m, const char *text, const char *want)
{
    edb_err err = EDB_ERR_INIT;
    size_t before = edb_meta_count(m);
    ck_assert_int_eq(edb_meta_load_buffer(m, text, strlen(text), "inv.csv", &err), EDB_ERR_DATA);
    ck_assert_msg(strstr(err.msg, want), "expected '%s' in: %s", want, err.msg);
    ck_assert_uint_eq(edb_meta_count(m), before);
}

#define ASSERT_NULL_OR_STR(got, want)                                                          \
    do {                                                                                       \
        if (want)                                                                              \
            ck_assert_str_eq((got) ? (got) : "(null)", (want));                                \
        else                                                                                   \
            ck_assert_msg((got) == NULL, "expected unknown, got '%s'", (got));                 \
    } while (0)

static void check_entry(const edb_meta *m, const char *name, const char *unit, const char *desc,
                        const char *sql, const char *sub, int all_points)
{
    const edb_meta_entry *e = edb_meta_find(m, name);
    ck_assert_msg(e != NULL, "%s not found", name);
    ASSERT_NULL_OR_STR(e->unit, unit);
    ASSERT_NULL_OR_STR(e->description, desc);
    ASSERT_NULL_OR_STR(e->sqltype, sql);
    ASSERT_NULL_OR_STR(e->subsystem, sub);
    ck_assert_int_eq(e->all_points, all_points);
}

/* The real excerpt (LF, header in jwql's column order, units empty or "None"), read
 * row by row by eye from fixtures/mast-inventory-excerpt.csv. */
START_TEST(test_inventory_excerpt)
{
    edb_meta *m = new_meta();
    edb_err err = EDB_ERR_INIT;
    ck_assert_msg(edb_meta_load_file(m, tu_fixture("mast-inventory-excerpt.csv"), &err) == EDB_OK,
                  "%s", err.msg);
    ck_assert_uint_eq(edb_meta_count(m), 13);
    check_entry(m, "IFGS_CTD_AMPLITUDE", "count/s",
                "FGS Centroid Data Telemetry Guide Star intensity", "real", "FGS", -1);
    check_entry(m, "IFGS_CTDGS_X", "asec", "FGS Centroid Data Telemetry Guide Star x position",
                "real", "FGS", -1);
    check_entry(m, "IFGS_ACQ_BADCNTRD", NULL, "Bad centroid data quality flag", "varchar", "FGS",
                -1);
    check_entry(m, "IFGS_TFG_BADCNTCNT", "count/s",
                "FGS Track/Fine Guide Image Data Processing Telemetry Bad Centroid Data Count",
                "bigint", "FGS", -1);
    /* the last row: "None" for its unit, as Python writes a missing one */
    check_entry(m, "SA_ZFGCENTDQ", NULL, "FGS Centroid Packet - Centroid Data Quality (Parent)",
                "bigint", "ACS", -1);
    check_entry(m, "SA_ZFGBADCNT", NULL, "FGS Centroid Packet - Bad Centroid Data Quality Flag",
                "varchar", "ACS", -1);
    /* tlmIdentifier, read by eye from the file; it has no longDescription column */
    ck_assert_int_eq(edb_meta_find(m, "IFGS_ACQ_BADCNTRD")->tlm_identifier, 300524);
    ck_assert_int_eq(edb_meta_find(m, "IFGS_CTD_AMPLITUDE")->tlm_identifier, 300306);
    ck_assert_ptr_null(edb_meta_find(m, "IFGS_CTD_AMPLITUDE")->long_description);
    ck_assert_ptr_null(edb_meta_find(m, "IFGS_CTD_AMPLITUDE")->raw_type);
    /* every entry in name order, each once */
    /* (cut -d, -f5 | LC_ALL=C sort) */
    const char *order[13] = {"IFGS_ACQ_BADCNTRD", "IFGS_ACQ_CNTD",      "IFGS_CTDGS_X",
                             "IFGS_CTDGS_Y",      "IFGS_CTD_AMPLITUDE", "IFGS_CTD_CNTD",
                             "IFGS_CTD_GS",       "IFGS_CTD_ID",        "IFGS_TFG_BADCNTCNT",
                             "IFGS_TFG_BADCNTRD", "IFGS_TFG_CNTD",      "SA_ZFGBADCNT",
                             "SA_ZFGCENTDQ"};
    for (size_t k = 0; k < 13; k++) {
        const edb_meta_entry *x = edb_meta_get(m, k);
        ck_assert_ptr_nonnull(x);
        ck_assert_str_eq(x->mnemonic, order[k]);
        ck_assert_ptr_eq(x, edb_meta_find(m, order[k]));
    }
    ck_assert_ptr_null(edb_meta_get(m, 13));
    ck_assert_ptr_null(edb_meta_get(NULL, 0));
    /* lookups normalise the name like a query does */
    ck_assert_ptr_eq(edb_meta_find(m, "  ifgs_ctdgs_y "), edb_meta_find(m, "IFGS_CTDGS_Y"));
    ck_assert_ptr_nonnull(edb_meta_find(m, "IFGS_CTDGS_Y"));
    ck_assert_ptr_null(edb_meta_find(m, "SA_ZATTEST1"));
    ck_assert_ptr_null(edb_meta_find(m, "not a name"));
    ck_assert_ptr_null(edb_meta_find(m, NULL));
    edb_meta_free(m);
}
END_TEST

/* RFC 4180: quotes, "" inside them, a comma and a line end inside quotes, CRLF, another
 * column order, header case, an unknown column, UTF-8, a BOM, a blank last line. */
START_TEST(test_quoted_crlf)
{
    edb_meta *m = new_meta();
    const char *text = "\xEF\xBB\xBF" "UNIT,Extra,TLMMNEMONIC,Description,SQLDATATYPE\r\n"
                       "V,x,sa_zattest1,\"Attitude, \"\"estimated\"\"\",real\r\n"
                       "\xC2\xB0" "C,,\"IMIR_HK_ICE_SEC_VOLT4\",\"two\r\nlines\",\"\"\r\n"
                       ",\"\",SA_ZATTEST2,,\r\n"
                       "\r\n";
    load_str(m, text);
    ck_assert_uint_eq(edb_meta_count(m), 3);
    check_entry(m, "SA_ZATTEST1", "V", "Attitude, \"estimated\"", "real", NULL, -1);
    check_entry(m, "IMIR_HK_ICE_SEC_VOLT4", "\xC2\xB0" "C", "two\r\nlines", NULL, NULL, -1);
    check_entry(m, "SA_ZATTEST2", NULL, NULL, NULL, NULL, -1);
    /* no line end after the last record, and a quoted last field at the very end */
    edb_meta *m2 = new_meta();
    load_str(m2, "tlmMnemonic,unit\nSA_ZATTEST3,\"deg\"");
    check_entry(m2, "SA_ZATTEST3", "deg", NULL, NULL, NULL, -1);
    edb_meta_free(m2);
    edb_meta_free(m);
}
END_TEST

START_TEST(test_csv_errors)
{
    edb_meta *m = new_meta();
    load_str(m, "tlmMnemonic,unit\nSA_ZATTEST1,V\n");
    ck_assert_uint_eq(edb_meta_count(m), 1);
    load_bad(m, "mnemonic,unit\nSA_ZATTEST1,V\n", "inv.csv: line 1: no tlmMnemonic column");
    load_bad(m, "tlmMnemonic,Extra\nSA_ZATTEST1,1\n",
             "inv.csv: line 1: no unit, description, sqlDataType, subsystem, tlmIdentifier, "
             "longDescription, allPoints, rawType or euType column");
    load_bad(m, "tlmMnemonic,tlmIdentifier\nSA_ZATTEST2,12a\n",
             "inv.csv: line 2: tlmIdentifier '12a' is not a whole number");
    load_bad(m, "tlmMnemonic,tlmIdentifier\nSA_ZATTEST2,-5\n", "tlmIdentifier '-5'");
    load_bad(m, "tlmMnemonic,tlmIdentifier\nSA_ZATTEST2,99999999999999999999\n",
             "tlmIdentifier '99999999999999999999'");
    load_bad(m, "tlmMnemonic,unit,Unit\n", "line 1: column unit appears twice");
    /* a row short of a column, after a good one: nothing of the file is kept */
    load_bad(m, "tlmMnemonic,unit,description\r\nSA_ZATTEST2,V,ok\r\nSA_ZATTEST3,V\r\n",
             "inv.csv: line 3: 2 fields where the header has 3");
    ck_assert_ptr_null(edb_meta_find(m, "SA_ZATTEST2"));
    load_bad(m, "tlmMnemonic,unit\nSA_ZATTEST2,V,extra\n", "line 2: 3 fields where the header has 2");
    /* the line of a record is where it starts, even after a quoted line end */
    load_bad(m, "tlmMnemonic,description\nSA_ZATTEST2,\"a\nb\"\nSA_ZATTEST3,\"open\n",
             "line 4: field 2: the quote opened on line 4 is never closed");
    load_bad(m, "tlmMnemonic,description\nSA_ZATTEST2,\"a\"b\n",
             "line 2: field 2: text after the closing quote");
    load_bad(m, "tlmMnemonic,unit\n  ,V\n", "line 2: empty tlmMnemonic");
    load_bad(m, "", "empty file");
    ck_assert_uint_eq(edb_meta_count(m), 1);
    check_entry(m, "SA_ZATTEST1", "V", NULL, NULL, NULL, -1);
    /* every name of the EDB's alphabet is one (FGDP_SCTA_OFFSET_D is real); names that
     * cannot be mnemonics are skipped, not errors */
    load_str(m, "tlmMnemonic,unit\nFGDP_SCTA_OFFSET_D,V\nSA_ZATTEST4,K\nbad/name,V\n");
    ck_assert_uint_eq(edb_meta_count(m), 3);
    edb_err err = EDB_ERR_INIT;
    ck_assert_int_eq(edb_meta_load_file(m, "/nonexistent/inv.csv", &err), EDB_ERR_IO);
    ck_assert_msg(strstr(err.msg, "/nonexistent/inv.csv"), "%s", err.msg);
    edb_meta_free(m);
}
END_TEST

/* The Dictionary's columns: tlmIdentifier (unknown when empty or None, whatever the
 * blanks) and longDescription; a later source fills an unknown identifier. */
START_TEST(test_identifier_long_description)
{
    edb_meta *m = new_meta();
    load_str(m, "tlmMnemonic,tlmIdentifier,longDescription,unit\n"
                "IMIR_HK_ICE_SEC_VOLT4, 210961 ,\"Secondary voltage 4, \"\"ICE\"\" motor\",V\n"
                "SA_ZNOID,,,\n"
                "SA_ZNONEID,None,x,\n");
    const edb_meta_entry *e = edb_meta_find(m, "IMIR_HK_ICE_SEC_VOLT4");
    ck_assert_int_eq(e->tlm_identifier, 210961);
    ck_assert_str_eq(e->long_description, "Secondary voltage 4, \"ICE\" motor");
    ck_assert_int_eq(edb_meta_find(m, "SA_ZNOID")->tlm_identifier, -1);
    ck_assert_ptr_null(edb_meta_find(m, "SA_ZNOID")->long_description);
    ck_assert_int_eq(edb_meta_find(m, "SA_ZNONEID")->tlm_identifier, -1);
    load_str(m, "tlmMnemonic,tlmIdentifier\nSA_ZNOID,4\nIMIR_HK_ICE_SEC_VOLT4,5\n");
    ck_assert_int_eq(edb_meta_find(m, "SA_ZNOID")->tlm_identifier, 4);
    ck_assert_int_eq(edb_meta_find(m, "IMIR_HK_ICE_SEC_VOLT4")->tlm_identifier, 210961);
    /* 2^63 - 1 is the largest; path B's RawType and EUType come from meta.json */
    load_str(m, "tlmMnemonic,tlmIdentifier\nSA_ZBIG,999999999999999999\n");
    ck_assert_int_eq(edb_meta_find(m, "SA_ZBIG")->tlm_identifier, INT64_C(999999999999999999));
    load_str(m, "{\"TlmMnemonics\": [{\"TlmMnemonic\": \"SA_ZBIG\", \"RawType\": \"UI8\", "
                "\"EUType\": \"DS\"}]}");
    ck_assert_str_eq(edb_meta_find(m, "SA_ZBIG")->raw_type, "UI8");
    ck_assert_str_eq(edb_meta_find(m, "SA_ZBIG")->eu_type, "DS");
    ck_assert_int_eq(edb_meta_find(m, "SA_ZBIG")->tlm_identifier, INT64_C(999999999999999999));
    edb_meta_free(m);
}
END_TEST

START_TEST(test_meta_json)
{
    edb_meta *m = new_meta();
    edb_err err = EDB_ERR_INIT;
    ck_assert_msg(edb_meta_load_file(m, tu_fixture("jwst-2021-01-26/meta.json"), &err) == EDB_OK,
                  "%s", err.msg);
    /* 2449 listed, FGDP_SCTA_OFFSET_D and ZZZZZZ among them: every one is a name */
    ck_assert_uint_eq(edb_meta_count(m), 2449);
    check_entry(m, "SA_ZATTEST1", NULL, NULL, "REAL", "ACS", 1);
    check_entry(m, "INRSI_GWA_Y_TILT_AVGED", NULL, NULL, "REAL", "NIRSPEC", 1);
    check_entry(m, "SA_ZFGDETID", NULL, NULL, "TINYINT", "ACS", 1);
    check_entry(m, "FGDP_SCTA_OFFSET_D", NULL, NULL, "FLOAT", "FOS", 1);
    /* {"TlmMnemonic": "ICFM_UNZIP_STAT", "Subsystem": "ICDH", "RawType": "SI8",
     *  "EUType": "DS", "SQLType": "VARCHAR(50)", "AllPoints": 1}, read in the file */
    const edb_meta_entry *x = edb_meta_find(m, "ICFM_UNZIP_STAT");
    ck_assert_str_eq(x->raw_type, "SI8");
    ck_assert_str_eq(x->eu_type, "DS");
    ck_assert_str_eq(x->sqltype, "VARCHAR(50)");
    ck_assert_int_eq(x->tlm_identifier, -1);
    edb_meta_free(m);

    m = new_meta();
    load_str(m, "\n {\"TlmMnemonics\": [{\"TlmMnemonic\": \"SA_ZCHANGE\", \"AllPoints\": 0, "
                "\"SQLType\": \"REAL\"}, {\"TlmMnemonic\": \"sa_zstate\", \"AllPoints\": 1, "
                "\"SQLType\": \"VARCHAR(50)\", \"Subsystem\": \"SA\"}, {\"TlmMnemonic\": "
                "\"SA_ZNONE\"}]}");
    ck_assert_uint_eq(edb_meta_count(m), 3);
    check_entry(m, "SA_ZCHANGE", NULL, NULL, "REAL", NULL, 0);
    check_entry(m, "SA_ZSTATE", NULL, NULL, "VARCHAR(50)", "SA", 1);
    check_entry(m, "SA_ZNONE", NULL, NULL, NULL, NULL, -1);
    edb_meta_free(m);

    m = new_meta();
    load_bad(m, "{\"TlmMnemonics\": [{\"TlmMnemonic\": \"SA_ZA\", \"AllPoints\": 1}, "
                "{\"TlmMnemonic\": \"SA_ZB\", \"AllPoints\": 2}]}",
             "inv.csv: TlmMnemonics[1] (SA_ZB): AllPoints must be 0");
    load_bad(m, "{\"TlmMnemonics\": [{\"AllPoints\": 1}]}", "TlmMnemonics[0]: no TlmMnemonic");
    load_bad(m, "{\"TlmMnemonics\": [{\"TlmMnemonic\": \"SA_ZA\", \"SQLType\": 4}]}",
             "TlmMnemonics[0] (SA_ZA): SQLType, Subsystem, RawType and EUType must be strings");
    load_bad(m, "{\"TlmMnemonics\": [{\"TlmMnemonic\": \"SA_ZA\", \"EUType\": []}]}",
             "TlmMnemonics[0] (SA_ZA): SQLType, Subsystem, RawType and EUType");
    load_bad(m, "{\"Count\": 0}", "no TlmMnemonics array");
    load_bad(m, "{\"TlmMnemonics\": [", "inv.csv: line 1 column");
    ck_assert_uint_eq(edb_meta_count(m), 0);
    edb_meta_free(m);
}
END_TEST

/* Earlier sources win; later ones fill only what is unknown, field by field. */
START_TEST(test_merge)
{
    const char *csv = "tlmMnemonic,unit,description,sqlDataType,subsystem\n"
                      "SA_ZCHANGE,V,Change-only voltage,float,\n"
                      "SA_ZCSVONLY,K,,real,ACS\n";
    const char *json = "{\"TlmMnemonics\": [{\"TlmMnemonic\": \"SA_ZCHANGE\", \"AllPoints\": 0, "
                       "\"SQLType\": \"REAL\", \"Subsystem\": \"SA\"}, {\"TlmMnemonic\": "
                       "\"SA_ZJSONONLY\", \"AllPoints\": 1}]}";
    edb_meta *m = new_meta();
    load_str(m, csv);
    load_str(m, json);
    ck_assert_uint_eq(edb_meta_count(m), 3);
    check_entry(m, "SA_ZCHANGE", "V", "Change-only voltage", "float", "SA", 0);
    check_entry(m, "SA_ZCSVONLY", "K", NULL, "real", "ACS", -1);
    check_entry(m, "SA_ZJSONONLY", NULL, NULL, NULL, NULL, 1);
    edb_meta_free(m);

    m = new_meta();
    load_str(m, json);
    load_str(m, csv);
    check_entry(m, "SA_ZCHANGE", "V", "Change-only voltage", "REAL", "SA", 0);
    /* a duplicate row in one file: the first wins, the second fills */
    load_str(m, "tlmMnemonic,unit,subsystem\nSA_ZDUP,,FIRST\nSA_ZDUP,mV,SECOND\n");
    check_entry(m, "SA_ZDUP", "mV", NULL, NULL, "FIRST", -1);
    /* one entry at a time */
    edb_meta_entry e = EDB_META_ENTRY_INIT;
    e.mnemonic = "sa_zjsononly";
    e.unit = "s";
    e.description = "added";
    e.all_points = 0;
    e.tlm_identifier = 77;
    e.eu_type = "FL32";
    edb_err err = EDB_ERR_INIT;
    ck_assert_int_eq(edb_meta_add(m, &e, &err), EDB_OK);
    check_entry(m, "SA_ZJSONONLY", "s", "added", NULL, NULL, 1);
    ck_assert_int_eq(edb_meta_find(m, "SA_ZJSONONLY")->tlm_identifier, 77);
    ck_assert_str_eq(edb_meta_find(m, "SA_ZJSONONLY")->eu_type, "FL32");
    edb_meta_entry bad = EDB_META_ENTRY_INIT;
    bad.mnemonic = "no such name";
    ck_assert_int_eq(edb_meta_add(m, &bad, &err), EDB_ERR_MNEMONIC);
    ck_assert_uint_eq(edb_meta_count(m), 4);
    edb_meta_free(m);
}
END_TEST

START_TEST(test_apply)
{
    edb_series *s = NULL;
    ck_assert_int_eq(edb_series_new(&s, "sa_zchange"), EDB_OK);
    ck_assert_int_eq(s->all_points, -1);
    edb_meta *m = new_meta();
    /* nothing known: nothing changes */
    ck_assert_int_eq(edb_meta_apply(m, s), EDB_OK);
    ck_assert_ptr_null(s->unit);
    ck_assert_int_eq(s->all_points, -1);
    load_str(m, "{\"TlmMnemonics\": [{\"TlmMnemonic\": \"SA_ZCHANGE\", \"AllPoints\": 0}]}");
    load_str(m, "tlmMnemonic,unit,description\nSA_ZCHANGE,volts,Heater voltage\n");
    /* what the series knows already stays */
    ck_assert_int_eq(edb_series_set_meta(s, NULL, "from the reply"), EDB_OK);
    ck_assert_int_eq(edb_meta_apply(m, s), EDB_OK);
    ck_assert_str_eq(s->unit, "volts");
    ck_assert_str_eq(s->description, "from the reply");
    ck_assert_int_eq(s->all_points, 0);
    /* a retry clears the samples, not what is known of the mnemonic */
    ck_assert_int_eq(edb_series_set_type(s, EDB_VT_REAL), EDB_OK);
    ck_assert_int_eq(edb_series_push_real(s, 1, 2.5), EDB_OK);
    edb_series_clear(s);
    ck_assert_int_eq(s->all_points, 0);
    ck_assert_str_eq(s->unit, "volts");
    edb_series_free(s);
    ck_assert_int_eq(edb_meta_apply(m, NULL), EDB_ERR_USAGE);
    edb_meta_free(m);
    edb_meta_free(NULL);
}
END_TEST

/* A store exposes what its meta.json says, which the table then takes in. */
START_TEST(test_store_meta)
{
    char *dir = tu_mkdtemp();
    const char *meta = "{\"Count\": 2, \"TlmMnemonics\": ["
                       "{\"TlmMnemonic\": \"SA_ZCHANGE\", \"Subsystem\": \"SA\", \"SQLType\": "
                       "\"REAL\", \"AllPoints\": 0},"
                       "{\"TlmMnemonic\": \"SA_ZODD\", \"AllPoints\": \"yes\"}]}";
    ck_assert_int_eq(tu_write_file(tu_path(dir, "meta.json"), meta, strlen(meta)), 0);
    edb_store *st = NULL;
    edb_err err = EDB_ERR_INIT;
    ck_assert_msg(edb_store_open(&st, dir, &err) == EDB_OK, "%s", err.msg);
    edb_meta_entry e;
    ck_assert_int_eq(edb_store_meta(st, "sa_zchange", &e), 1);
    ck_assert_str_eq(e.mnemonic, "SA_ZCHANGE");
    ck_assert_str_eq(e.sqltype, "real");
    ck_assert_str_eq(e.subsystem, "SA");
    ck_assert_ptr_null(e.unit);
    ck_assert_ptr_null(e.description);
    ck_assert_int_eq(e.all_points, 0);
    ck_assert_int_eq(e.tlm_identifier, -1);
    /* an AllPoints of another shape is unknown, not a broken store */
    ck_assert_int_eq(edb_store_meta(st, "SA_ZODD", &e), 1);
    ck_assert_int_eq(e.all_points, -1);
    ck_assert_ptr_null(e.sqltype);
    ck_assert_int_eq(edb_store_meta(st, "SA_ZOTHER", &e), 0);
    ck_assert_int_eq(e.all_points, -1);
    ck_assert_int_eq(edb_store_meta(st, "../x", &e), 0);
    edb_meta *m = new_meta();
    ck_assert_int_eq(edb_store_meta(st, "SA_ZCHANGE", &e), 1);
    ck_assert_int_eq(edb_meta_add(m, &e, &err), EDB_OK);
    check_entry(m, "SA_ZCHANGE", NULL, NULL, "real", "SA", 0);
    edb_meta_free(m);
    edb_store_free(st);
    tu_rmtree(dir);
    free(dir);
    /* a store of saved replies (a bundle's raw/) has no meta.json: nothing is known */
    dir = tu_mkdtemp();
    const char *reply = "theTime,MJD,euvalue,sqldataType\r\n";
    ck_assert_int_eq(tu_write_file(tu_path(dir, "SA_ZATTEST1-20220101T000000-20220102T000000.csv"),
                                   reply, strlen(reply)), 0);
    ck_assert_msg(edb_store_open(&st, dir, &err) == EDB_OK, "%s", err.msg);
    ck_assert_int_eq(edb_store_is_replies(st), 1);
    ck_assert_int_eq(edb_store_meta(st, "SA_ZATTEST1", &e), 0);
    ck_assert_int_eq(e.all_points, -1);
    edb_store_free(st);
    tu_rmtree(dir);
    free(dir);
}
END_TEST

static Suite *meta_suite(void)
{
    Suite *s = suite_create("meta");
    TCase *tc = tcase_create("meta");
    tcase_add_test(tc, test_inventory_excerpt);
    tcase_add_test(tc, test_quoted_crlf);
    tcase_add_test(tc, test_csv_errors);
    tcase_add_test(tc, test_identifier_long_description);
    tcase_add_test(tc, test_meta_json);
    tcase_add_test(tc, test_merge);
    tcase_add_test(tc, test_apply);
    tcase_add_test(tc, test_store_meta);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(meta_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
