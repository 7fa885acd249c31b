/* test_monitor.c: the jwql monitor configurations (edb/monitor.c) as they are (the five real
 * files load, every field read), malformed ones refused naming the file, entry and field,
 * unknown keys warned about; limit checks; the state of nightly runs written and read back
 * byte for byte, and damaged states refused. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <edb/monitor.h>
#include <edb/table.h>

#include "testutil.h"

/* Warnings collected, one per line. */
typedef struct warns {
    char text[8192];
    int n;
} warns;

static void on_warn(void *ctx, const char *msg)
{
    warns *w = ctx;
    w->n++;
    strncat(w->text, msg, sizeof w->text - strlen(w->text) - 2);
    strcat(w->text, "\n");
}

static edb_monitor_config *load_real(const char *name, warns *w)
{
    char rel[200];
    snprintf(rel, sizeof rel, "jwql-monitor-configs/%s_mnemonics_to_monitor.json", name);
    edb_monitor_config *c = NULL;
    edb_err err = EDB_ERR_INIT;
    ck_assert_msg(edb_monitor_config_load(&c, tu_fixture(rel), on_warn, w, &err) == EDB_OK,
                  "%s", err.msg);
    return c;
}

static const edb_monitor_entry *find(const edb_monitor_config *c, const char *section,
                                     const char *id)
{
    for (size_t k = 0; k < c->n; k++)
        if (strcmp(c->entries[k].section, section) == 0 && strcmp(c->entries[k].id, id) == 0)
            return &c->entries[k];
    ck_abort_msg("no %s entry %s", section, id);
    return NULL;
}

/* The five files of spacetelescope/jwql, 315 entries (counted with Python's json). */
START_TEST(test_real_configs)
{
    static const struct {
        const char *name;
        size_t n;
        int warnings;
    } files[] = {{"fgs", 2, 0}, {"miri", 71, 0}, {"nircam", 221, 2}, {"niriss", 19, 0},
                 {"nirspec", 2, 0}};
    size_t total = 0;
    for (int f = 0; f < 5; f++) {
        warns w = {{0}, 0};
        edb_monitor_config *c = load_real(files[f].name, &w);
        ck_assert_uint_eq(c->n, files[f].n);
        ck_assert_str_eq(c->stem, files[f].name);
        ck_assert_msg(w.n == files[f].warnings, "%s: %s", files[f].name, w.text);
        total += c->n;
        if (strcmp(files[f].name, "nircam") == 0) {
            /* the same mnemonic twice in time_interval, and yellow beyond red */
            ck_assert_msg(strstr(w.text, "nircam_mnemonics_to_monitor.json: time_interval[") &&
                              strstr(w.text, "(INRC_FA_PSC_IMNACE3_N): INRC_FA_PSC_IMNACE3_N is "
                                             "monitored the same way by an earlier entry: this "
                                             "one's outputs are named INRC_FA_PSC_IMNACE3_N_2"),
                          "%s", w.text);
            ck_assert_msg(strstr(w.text, "all[3] (INRC_B_M_PIL_BS_POS): yellow_limits [-24132, "
                                         "20274] reach beyond red_limits [-24000, 24000]"),
                          "%s", w.text);
            const edb_monitor_entry *e = find(c, "time_interval", "INRC_FA_PSC_IMNACE3_N_2");
            ck_assert_str_eq(e->name, "INRC_FA_PSC_IMNACE3_N");
            ck_assert(e->limits.yellow[0] == -3.6 && e->limits.yellow[1] == 0.0);
            ck_assert(e->limits.red[0] == -6.0 && e->limits.red[1] == 1.0);
            ck_assert_int_eq(e->block_us, INT64_C(3600000000));
            ck_assert_str_eq(e->block_text, "1_hour");
            e = find(c, "time_interval", "INRC_SW_TMR_PIL_B");
            ck_assert_str_eq(e->name, "INRC_SW_TMR_PIL");
            ck_assert_uint_eq(e->n_deps, 1);
            ck_assert_str_eq(e->deps[0].name, "IGDP_NRC_B_PIL_STATE");
            ck_assert_int_eq(e->deps[0].rel, EDB_MON_EQ);
            ck_assert(e->deps[0].is_string);
            ck_assert_str_eq(e->deps[0].str, "DEPLOYED");
            ck_assert_int_eq(e->block_us, INT64_C(86400000000));
            e = find(c, "all", "INRC_A_M_PIL_AS_POS");
            ck_assert_uint_eq(e->kinds, 1u << EDB_MON_ALL);
            ck_assert_str_eq(e->block_text, "1_minutes"); /* read, not used by all */
            ck_assert_int_eq(e->block_us, INT64_C(60000000));
        }
        if (strcmp(files[f].name, "miri") == 0) {
            const edb_monitor_entry *e = find(c, "daily_means", "SE_ZIMIRICEA_NO_OPS");
            ck_assert_str_eq(e->name, "SE_ZIMIRICEA");
            ck_assert_str_eq(e->description, "ICE drive current (no ops)");
            ck_assert_uint_eq(e->n_deps, 5);
            ck_assert_str_eq(e->deps[0].name, "SE_ZIMIRICEA");
            ck_assert_int_eq(e->deps[0].rel, EDB_MON_GT);
            ck_assert(!e->deps[0].is_string && e->deps[0].num == 0.2);
            ck_assert_int_eq(e->deps[1].rel, EDB_MON_LT);
            ck_assert(e->deps[1].num == 1);
            ck_assert_str_eq(e->deps[4].name, "IMIR_HK_POM_LOOP");
            ck_assert_str_eq(e->deps[4].str, "OFF");
            ck_assert_str_eq(e->product, "SE_ZBUSVLT");
            ck_assert_uint_eq(e->n_shown, 0);
            ck_assert(e->has_nominal && e->nominal == 7.11);
            ck_assert(e->limits.has_yellow && !e->limits.has_red);
            ck_assert(e->limits.yellow[0] == 6.54 && e->limits.yellow[1] == 7.68);
            ck_assert_str_eq(e->category, "Power");
            ck_assert_uint_eq(e->kinds, 1u << EDB_MON_DAILY_MEANS);
            ck_assert_uint_eq(e->index, 0);
            e = find(c, "block_means", "SE_ZIMIRICEA_OPS");
            ck_assert_str_eq(e->product, "SE_ZBUSVLT");
            ck_assert_uint_eq(e->n_shown, 1);
            ck_assert_int_eq(e->shown[0], EDB_STAT_MAX);
            ck_assert_uint_eq(e->index, 4);
            e = find(c, "every_change", "IMIR_HK_CCC_POS_RATIO");
            ck_assert_int_eq(e->deps[0].rel, EDB_MON_NONE);
            ck_assert_str_eq(e->deps[0].name, "IMIR_HK_CCC_CUR_POS");
            ck_assert(e->limits.yellow[0] == -6.0 && e->limits.yellow[1] == 6.0);
            ck_assert(e->description && !e->has_nominal);
            e = find(c, "daily_means", "IGDP_MIR_ICE_INTER_TEMP");
            ck_assert_str_eq(e->id, e->name); /* no database_id */
        }
        if (strcmp(files[f].name, "niriss") == 0) {
            const edb_monitor_entry *e = find(c, "all", "SA_ZHGAUPST");
            ck_assert_ptr_null(e->block_text);
            e = find(c, "time_interval", "SA_ZATTEST4");
            ck_assert_int_eq(e->block_us, INT64_C(1800000000));
        }
        edb_monitor_config_free(c);
    }
    ck_assert_uint_eq(total, 315);
}
END_TEST

/* An entry with fields replaced: BASE with "%s" where the test's fields go. */
#define ENTRY(kind, fields)                                                                    \
    "{\"" kind "\": [{\"name\": \"SA_ZA\", \"description\": \"d\", \"plot_category\": \"c\", " \
    fields "}]}"

static void parse_bad(const char *text, const char *want)
{
    edb_monitor_config *c = NULL;
    edb_err err = EDB_ERR_INIT;
    ck_assert_int_eq(edb_monitor_config_parse(&c, "x.json", text, strlen(text), NULL, NULL, &err),
                     EDB_ERR_USAGE);
    ck_assert_ptr_null(c);
    ck_assert_msg(strstr(err.msg, want), "expected '%s' in: %s\n(text %s)", want, err.msg, text);
}

START_TEST(test_malformed)
{
    parse_bad("", "x.json: not JSON");
    parse_bad("[1]", "x.json: a monitor configuration is an object of kinds");
    parse_bad("{\"all\": 3}", "x.json: all: give an array of entries, not a number");
    parse_bad("{\"all\": [3]}", "x.json: all[0]: an entry is an object");
    parse_bad("{\"all\": [{\"name\": 3}]}", "x.json: all[0]: name: give a mnemonic name as a "
                                           "string, not a number (3)");
    parse_bad("{\"all\": [{\"name\": \"SA/Z\"}]}", "x.json: all[0]: name: invalid mnemonic");
    parse_bad("{\"all\": [{\"name\": \"and\", \"dependency\": []}]}",
              "name: AND is a word of edbx's expressions");
    parse_bad("{\"all\": [{\"description\": \"d\"}]}", "x.json: all[0]: no \"name\"");
    parse_bad(ENTRY("all", "\"plot_data\": \"nominal\""),
              "x.json: all[0] (SA_ZA): no \"dependency\" (give [] for none)");
    parse_bad(ENTRY("all", "\"dependency\": {}, \"plot_data\": \"nominal\""),
              "all[0] (SA_ZA): dependency: give an array of conditions, not an object");
    parse_bad(ENTRY("all", "\"dependency\": [], \"plot_data\": \"nominal\", \"database_id\": "
                           "\"a b\""), "all[0] (SA_ZA): database_id: invalid mnemonic");
    parse_bad(ENTRY("all", "\"dependency\": [3], \"plot_data\": \"nominal\""),
              "(SA_ZA): dependency[0]: give an object {\"name\", \"relation\", \"threshold\"}");
    parse_bad(ENTRY("all", "\"dependency\": [{\"name\": \"SA_ZB\", \"relation\": \"==\", "
                           "\"threshold\": 1}], \"plot_data\": \"nominal\""),
              "(SA_ZA): dependency[0].relation: give one of \">\", \"<\", \"=\", \"!=\", "
              "\"<=\", \">=\" or \"none\" (got \"==\")");
    parse_bad(ENTRY("all", "\"dependency\": [{\"name\": \"SA_ZB\", \"relation\": \">\"}], "
                           "\"plot_data\": \"nominal\""),
              "(SA_ZA): dependency[0]: no \"threshold\"");
    parse_bad(ENTRY("all", "\"dependency\": [{\"name\": \"SA_ZB\", \"relation\": \">\", "
                           "\"threshold\": \"ON\"}], \"plot_data\": \"nominal\""),
              "dependency[0].threshold: a string (\"ON\") compares with \"=\" or \"!=\" only");
    parse_bad(ENTRY("all", "\"dependency\": [{\"name\": \"SA_ZB\", \"relation\": \"=\", "
                           "\"threshold\": [1]}], \"plot_data\": \"nominal\""),
              "dependency[0].threshold: give a number or a string, not an array ([1])");
    parse_bad(ENTRY("all", "\"dependency\": [{\"name\": \"SA_ZB\", \"relation\": \"=\", "
                           "\"threshold\": \"it's \\\"x\\\"\"}], \"plot_data\": \"nominal\""),
              "dependency[0].threshold: holds both kinds of quote");
    parse_bad(ENTRY("all", "\"dependency\": [{\"name\": \"SA_ZB\", \"relation\": \"none\", "
                           "\"threshold\": 0}], \"plot_data\": \"nominal\""),
              "(SA_ZA): dependency: \"relation\": \"none\" names the state of every_change "
              "entries; this is a all entry");
    parse_bad(ENTRY("every_change", "\"dependency\": [], \"plot_data\": \"nominal\""),
              "every_change[0] (SA_ZA): dependency: an every_change entry names its state: one "
              "condition with \"relation\": \"none\" (it has 0)");
    parse_bad(ENTRY("every_change", "\"dependency\": [{\"name\": \"SA_ZB\", \"relation\": "
                                    "\"none\", \"threshold\": 0}], \"plot_data\": \"*SA_ZC\""),
              "every_change[0] (SA_ZA): plot_data: a product (*SA_ZC) is not taken for "
              "every_change entries");
    parse_bad(ENTRY("all", "\"dependency\": []"), "(SA_ZA): no \"plot_data\"");
    parse_bad(ENTRY("all", "\"dependency\": [], \"plot_data\": \"raw\""),
              "(SA_ZA): plot_data: start with \"nominal\" or \"*MNEMONIC\" (a product), not "
              "'raw'");
    parse_bad(ENTRY("all", "\"dependency\": [], \"plot_data\": \"nominal,average\""),
              "(SA_ZA): plot_data: 'average' is not a statistic shown (mean, median, max or "
              "min)");
    parse_bad(ENTRY("all", "\"dependency\": [], \"plot_data\": \"nominal,max,max\""),
              "(SA_ZA): plot_data: max is named twice");
    parse_bad(ENTRY("all", "\"dependency\": [], \"plot_data\": \"*\""),
              "(SA_ZA): plot_data: empty mnemonic name");
    parse_bad(ENTRY("all", "\"dependency\": [], \"plot_data\": \"nominal\", \"yellow_limits\": "
                           "[1]"), "(SA_ZA): yellow_limits: give two numbers [LOW, HIGH] (got [1])");
    parse_bad(ENTRY("all", "\"dependency\": [], \"plot_data\": \"nominal\", \"red_limits\": "
                           "[2, 1]"), "(SA_ZA): red_limits: LOW must be below HIGH (got [2,1])");
    parse_bad(ENTRY("all", "\"dependency\": [], \"plot_data\": \"nominal\", \"red_limits\": "
                           "[\"1\", 2]"), "(SA_ZA): red_limits: give two numbers");
    parse_bad(ENTRY("all", "\"dependency\": [], \"plot_data\": \"nominal\", \"nominal_value\": "
                           "\"7\""), "(SA_ZA): nominal_value: give a number, not a string");
    parse_bad("{\"all\": [{\"name\": \"SA_ZA\", \"dependency\": [], \"plot_data\": \"nominal\"}]}",
              "all[0] (SA_ZA): no \"plot_category\"");
    parse_bad(ENTRY("time_interval", "\"dependency\": [], \"plot_data\": \"nominal\""),
              "time_interval[0] (SA_ZA): a time_interval entry needs \"mean_time_block\"");
    parse_bad(ENTRY("all+time_interval", "\"dependency\": [], \"plot_data\": \"nominal\""),
              "all+time_interval[0] (SA_ZA): a time_interval entry needs \"mean_time_block\"");
    parse_bad(ENTRY("time_interval", "\"dependency\": [], \"plot_data\": \"nominal\", "
                                     "\"mean_time_block\": \"15 minutes\""),
              "(SA_ZA): mean_time_block: give a number, '_' and a unit of time");
    parse_bad(ENTRY("time_interval", "\"dependency\": [], \"plot_data\": \"nominal\", "
                                     "\"mean_time_block\": \"15_fortnights\""),
              "mean_time_block: give a number");
    parse_bad(ENTRY("time_interval", "\"dependency\": [], \"plot_data\": \"nominal\", "
                                     "\"mean_time_block\": \"0_hour\""),
              "mean_time_block: give a number");
    parse_bad(ENTRY("time_interval", "\"dependency\": [], \"plot_data\": \"nominal\", "
                                     "\"mean_time_block\": \"0.5_sec\""),
              "mean_time_block: \"0.5_sec\" is shorter than a second");
    parse_bad("{\"all\": [{\"name\": \"SA_ZA\", \"description\": \"a\\u0001b\", "
              "\"plot_category\": \"c\", \"dependency\": [], \"plot_data\": \"nominal\"}]}",
              "(SA_ZA): description: holds a control character");
    parse_bad("{\"all\": [], \"all\": []}", "x.json: not JSON: duplicate object key");
    /* the product's column name must stay a name */
    parse_bad(ENTRY("all", "\"dependency\": [], \"plot_data\": "
                           "\"*SA_Z123456789012345678901234567890123456789012345678901234567\""),
              "plot_data: the product's column SA_ZA_X_SA_Z1234");
}
END_TEST

START_TEST(test_fields_and_warnings)
{
    const char *text =
        "{\"all+daily_means\": [{\"name\": \"sa_za\", \"database_id\": \"za_id\", "
        "\"description\": \"A\", \"dependency\": [{\"name\": \"SA_ZB\", \"relation\": \"<=\", "
        "\"threshold\": -1.5, \"comment\": \"x\"}, {\"name\": \"SA_ZC\", \"relation\": \"!=\", "
        "\"threshold\": \"it's\"}], \"plot_data\": \" *SA_ZD , min,median \", "
        "\"nominal_value\": 3, \"yellow_limits\": [1, 5], \"red_limits\": [0, 6], "
        "\"plot_category\": \"cat 1/2\", \"mean_time_block\": \"2.5_min\", \"colour\": 1}],"
        " \"hourly_means\": [],"
        " \"every_change\": [{\"name\": \"SA_ZA\", \"dependency\": [{\"name\": \"SA_ZP\", "
        "\"relation\": \"none\", \"threshold\": 0}], \"plot_data\": \"nominal\", "
        "\"plot_category\": \"c\"}],"
        " \"time_interval\": [{\"name\": \"SA_ZA\", \"dependency\": [], \"plot_data\": "
        "\"nominal\", \"plot_category\": \"c\", \"mean_time_block\": \"1_day\"}, "
        "{\"name\": \"SA_ZA\", \"dependency\": [], \"plot_data\": \"nominal\", "
        "\"plot_category\": \"c\", \"mean_time_block\": \"1_day\"}, "
        "{\"name\": \"SA_ZA\", \"dependency\": [], \"plot_data\": \"nominal\", "
        "\"plot_category\": \"c\", \"mean_time_block\": \"1_day\"}]}";
    warns w = {{0}, 0};
    edb_monitor_config *c = NULL;
    edb_err err = EDB_ERR_INIT;
    ck_assert_msg(edb_monitor_config_parse(&c, "dir/My Inst_mnemonics_to_monitor.json", text,
                                           strlen(text), on_warn, &w, &err) == EDB_OK,
                  "%s", err.msg);
    ck_assert_str_eq(c->stem, "My_Inst");
    ck_assert_uint_eq(c->n, 5);
    const edb_monitor_entry *e = &c->entries[0];
    ck_assert_str_eq(e->section, "all+daily_means");
    ck_assert_uint_eq(e->kinds, (1u << EDB_MON_ALL) | (1u << EDB_MON_DAILY_MEANS));
    ck_assert_str_eq(e->name, "SA_ZA");
    ck_assert_str_eq(e->id, "ZA_ID");
    ck_assert_int_eq(e->deps[0].rel, EDB_MON_LE);
    ck_assert(e->deps[0].num == -1.5);
    ck_assert_int_eq(e->deps[1].rel, EDB_MON_NE);
    ck_assert_str_eq(e->deps[1].str, "it's");
    ck_assert_str_eq(e->product, "SA_ZD");
    ck_assert_uint_eq(e->n_shown, 2);
    ck_assert_int_eq(e->shown[0], EDB_STAT_MIN);
    ck_assert_int_eq(e->shown[1], EDB_STAT_MEDIAN);
    ck_assert(e->has_nominal && e->nominal == 3);
    ck_assert(e->limits.has_red && e->limits.red[0] == 0 && e->limits.red[1] == 6);
    ck_assert_str_eq(e->category, "cat 1/2");
    ck_assert_int_eq(e->block_us, INT64_C(150000000));
    ck_assert_str_eq(edb_monitor_rel_text(e->deps[0].rel), "<=");
    ck_assert_str_eq(edb_monitor_rel_text(EDB_MON_EQ), "==");
    ck_assert_uint_eq(c->entries[1].kinds, 1u << EDB_MON_EVERY_CHANGE);
    /* three of one id: _2 and _3, the warning given once each */
    ck_assert_str_eq(c->entries[2].id, "SA_ZA");
    ck_assert_str_eq(c->entries[3].id, "SA_ZA_2");
    ck_assert_str_eq(c->entries[4].id, "SA_ZA_3");
    ck_assert_msg(w.n == 5, "%s", w.text);
    ck_assert_msg(strstr(w.text, "dir/My Inst_mnemonics_to_monitor.json: all+daily_means[0] "
                                 "(SA_ZA): dependency[0]: unknown key 'comment' ignored\n"),
                  "%s", w.text);
    ck_assert_msg(strstr(w.text, "all+daily_means[0] (SA_ZA): unknown key 'colour' ignored\n"),
                  "%s", w.text);
    ck_assert_msg(strstr(w.text, ".json: unknown kind 'hourly_means' ignored"), "%s", w.text);
    ck_assert_msg(strstr(w.text, "time_interval[1] (SA_ZA): SA_ZA is monitored the same way "
                                 "by an earlier entry: this one's outputs are named SA_ZA_2"),
                  "%s", w.text);
    ck_assert_msg(strstr(w.text, "time_interval[2] (SA_ZA): SA_ZA is monitored the same way "
                                 "by an earlier entry: this one's outputs are named SA_ZA_2"),
                  "%s", w.text);
    edb_monitor_config_free(c);
    /* a missing file */
    ck_assert_int_eq(edb_monitor_config_load(&c, "/nonexistent/x.json", NULL, NULL, &err),
                     EDB_ERR_IO);
    ck_assert_str_eq(err.msg, "/nonexistent/x.json: cannot open it: No such file or directory");
}
END_TEST

/* ---- limits ---------------------------------------------------------------------------- */

START_TEST(test_limits)
{
    edb_limits l = {1, 1, {4, 6}, {2, 8}};
    ck_assert_int_eq(edb_limits_level(&l, 4), 0);
    ck_assert_int_eq(edb_limits_level(&l, 6), 0);
    ck_assert_int_eq(edb_limits_level(&l, 3.99), 1);
    ck_assert_int_eq(edb_limits_level(&l, 2), 1);
    ck_assert_int_eq(edb_limits_level(&l, 8.01), 2);
    ck_assert_int_eq(edb_limits_level(&l, 1), 2);
    /* yellow reaching beyond red (nircam's): beyond red is red */
    edb_limits w = {1, 1, {-24132, 20274}, {-24000, 24000}};
    ck_assert_int_eq(edb_limits_level(&w, -24100), 2);
    ck_assert_int_eq(edb_limits_level(&w, -23000), 0);
    ck_assert_int_eq(edb_limits_level(&w, 22000), 1);
    edb_limits y = {1, 0, {4, 6}, {0, 0}};
    ck_assert_int_eq(edb_limits_level(&y, 100), 1);

    /* rows at t = 0..9: 5 3 9 NaN (none) 1 7 5 10 3.5 */
    const double v[] = {5, 3, 9, NAN, 0, 1, 7, 5, 10, 3.5};
    edb_table *t = NULL;
    ck_assert_int_eq(edb_table_new(&t, 10), EDB_OK);
    edb_column *c = NULL;
    ck_assert_int_eq(edb_table_add_column(t, "V_mean", "V", "mean", EDB_VT_REAL, &c), EDB_OK);
    for (int r = 0; r < 10; r++) {
        t->t[r] = r * 10;
        if (r != 4)
            edb_column_set_real(c, (size_t)r, v[r]);
    }
    edb_limit_report rep;
    edb_err err = EDB_ERR_INIT;
    ck_assert_int_eq(edb_limits_check(&l, t, 0, 0, 10, &rep, &err), EDB_OK);
    ck_assert_uint_eq(rep.checked, 8);
    /* yellow: 3 (t 10), 7 (t 60), 3.5 (t 90): worst 3 (1 below 4; 7 is 1 above 6: a tie,
     * the first kept) */
    ck_assert_uint_eq(rep.yellow.count, 3);
    ck_assert_int_eq(rep.yellow.first, 10);
    ck_assert_int_eq(rep.yellow.last, 90);
    ck_assert(rep.yellow.worst == 3);
    ck_assert_int_eq(rep.yellow.worst_time, 10);
    /* red: 9 (t 20), 1 (t 50), 10 (t 80): worst 10 (2 above 8; 1 is 1 below 2) */
    ck_assert_uint_eq(rep.red.count, 3);
    ck_assert_int_eq(rep.red.first, 20);
    ck_assert_int_eq(rep.red.last, 80);
    ck_assert(rep.red.worst == 10);
    ck_assert_int_eq(rep.red.worst_time, 80);
    /* rows 5..7 only */
    ck_assert_int_eq(edb_limits_check(&l, t, 0, 5, 8, &rep, &err), EDB_OK);
    ck_assert_uint_eq(rep.checked, 3);
    ck_assert_uint_eq(rep.red.count, 1);
    ck_assert_uint_eq(rep.yellow.count, 1);
    ck_assert_int_eq(rep.yellow.first, 60);
    /* an integer column, and a string one refused */
    ck_assert_int_eq(edb_table_add_column(t, "N", "N", NULL, EDB_VT_INT, &c), EDB_OK);
    edb_column_set_int(c, 0, 7);
    ck_assert_int_eq(edb_limits_check(&l, t, 1, 0, 10, &rep, &err), EDB_OK);
    ck_assert_uint_eq(rep.checked, 1);
    ck_assert_uint_eq(rep.yellow.count, 1);
    ck_assert(rep.yellow.worst == 7);
    ck_assert_int_eq(edb_table_add_column(t, "S", "S", NULL, EDB_VT_STRING, &c), EDB_OK);
    ck_assert_int_eq(edb_limits_check(&l, t, 2, 0, 10, &rep, &err), EDB_ERR_USAGE);
    ck_assert_str_eq(err.msg, "S is a column of strings: limits compare numbers");
    edb_table_free(t);
}
END_TEST

/* ---- the state --------------------------------------------------------------------------- */

/* A table of 4 rows with every kind of cell. */
static edb_table *sample_table(void)
{
    edb_table *t = NULL;
    ck_assert_int_eq(edb_table_new(&t, 4), EDB_OK);
    t->step_us = 3600000000;
    for (int r = 0; r < 4; r++)
        t->t[r] = INT64_C(1709251200000000) + r * t->step_us;
    edb_column *c;
    ck_assert_int_eq(edb_table_add_column(t, "A_mean", "A", "mean", EDB_VT_REAL, &c), EDB_OK);
    ck_assert_int_eq(edb_column_set_meta(c, "V", "a voltage"), EDB_OK);
    ck_assert_int_eq(edb_column_set_subsystem(c, "MIRI"), EDB_OK);
    edb_column_set_real(c, 0, 0.1);
    edb_column_set_real(c, 1, 4.5329965277777795);
    edb_column_set_real(c, 3, -INFINITY);
    edb_column_set_real(c, 2, NAN);
    ck_assert_int_eq(edb_table_add_column(t, "A_count", "A", "count", EDB_VT_INT, &c), EDB_OK);
    for (int r = 0; r < 4; r++)
        edb_column_set_int(c, (size_t)r, r == 3 ? INT64_MAX : r);
    ck_assert_int_eq(edb_table_add_column(t, "POS", "POS", NULL, EDB_VT_STRING, &c), EDB_OK);
    ck_assert_int_eq(edb_column_set_str(c, 4, 0, "F770W", 5), EDB_OK);
    ck_assert_int_eq(edb_column_set_str(c, 4, 2, "\xff\x01z", 3), EDB_OK);
    ck_assert_int_eq(edb_column_set_str(c, 4, 3, "", 0), EDB_OK);
    ck_assert_int_eq(edb_table_set_meta(t, "where", "A > 1"), EDB_OK);
    return t;
}

START_TEST(test_state_round_trip)
{
    edb_monitor_state *s = NULL;
    edb_err err = EDB_ERR_INIT;
    ck_assert_int_eq(edb_monitor_state_new(&s), EDB_OK);
    edb_table *t = sample_table();
    /* three final rows, the fourth computed to done and to be computed again from resume */
    ck_assert_int_eq(edb_monitor_state_put(s, "miri/daily_means/B", "edbx get B --daily",
                                           100, INT64_C(1709262000000000),
                                           INT64_C(1709265600000000), 3, t, &err), EDB_OK);
    ck_assert_int_eq(edb_monitor_state_put(s, "x", "f", 100, INT64_C(1709258400000000),
                                           INT64_C(1709265600000000), 3, t, &err),
                     EDB_ERR_USAGE); /* a final row at resume */
    edb_err_clear(&err);
    ck_assert_int_eq(edb_monitor_state_put(s, "x", "f", 100, 200, 50, 0, t, &err),
                     EDB_ERR_USAGE); /* resumes after its end */
    edb_err_clear(&err);
    ck_assert_int_eq(edb_monitor_state_put(s, "x", "f", 100, 100, 99, 5, t, &err),
                     EDB_ERR_USAGE); /* more final rows than rows */
    edb_err_clear(&err);
    edb_table *none = NULL;
    ck_assert_int_eq(edb_table_slice(&none, t, 0, 0), EDB_OK);
    ck_assert_uint_eq(none->ncols, 3);
    ck_assert_str_eq(edb_table_meta(none, "where"), "A > 1");
    ck_assert_int_eq(edb_monitor_state_put(s, "miri/all/A", "edbx get A --on A", 5, 9, 8, 0,
                                           none, &err), EDB_OK);
    edb_table_free(none);
    char *text = NULL, *again = NULL;
    size_t len = 0, len2 = 0;
    ck_assert_int_eq(edb_monitor_state_text(s, &text, &len, &err), EDB_OK);
    ck_assert_uint_eq(len, strlen(text));
    ck_assert(text[len - 1] == '\n');
    /* keys in order, whatever order they were put in */
    ck_assert(strstr(text, "miri/all/A") < strstr(text, "miri/daily_means/B"));
    ck_assert_msg(strstr(text, "{\"hex\":\"ff017a\"}"), "%s", text);
    edb_monitor_state *r = NULL;
    ck_assert_msg(edb_monitor_state_parse(&r, text, len, &err) == EDB_OK, "%s", err.msg);
    ck_assert_uint_eq(edb_monitor_state_count(r), 2);
    ck_assert_int_eq(edb_monitor_state_text(r, &again, &len2, &err), EDB_OK);
    ck_assert_str_eq(again, text);
    edb_monitor_state_entry e;
    ck_assert(edb_monitor_state_get(r, "miri/daily_means/B", &e));
    ck_assert_str_eq(e.fingerprint, "edbx get B --daily");
    ck_assert_int_eq(e.start, 100);
    ck_assert_int_eq(e.resume, INT64_C(1709262000000000));
    ck_assert_int_eq(e.done, INT64_C(1709265600000000));
    ck_assert_uint_eq(e.final, 3);
    const edb_table *b = e.table;
    ck_assert_uint_eq(b->nrows, 4);
    ck_assert_int_eq(b->step_us, 3600000000);
    ck_assert_uint_eq(b->ncols, 3);
    ck_assert_str_eq(b->cols[0].unit, "V");
    ck_assert_str_eq(b->cols[0].description, "a voltage");
    ck_assert_str_eq(b->cols[0].subsystem, "MIRI");
    ck_assert_ptr_null(b->cols[1].subsystem);
    ck_assert_str_eq(b->cols[1].stat, "count");
    ck_assert_ptr_null(b->cols[2].stat);
    ck_assert(b->cols[0].d[0] == 0.1 && b->cols[0].d[1] == 4.5329965277777795);
    ck_assert(b->cols[0].valid[2] && isnan(b->cols[0].d[2]));
    ck_assert(b->cols[0].valid[3] && b->cols[0].d[3] == -INFINITY);
    ck_assert_int_eq(b->cols[1].i[3], INT64_MAX);
    size_t sl;
    const char *sv = edb_column_str(&b->cols[2], 2, &sl);
    ck_assert_uint_eq(sl, 3);
    ck_assert(memcmp(sv, "\xff\x01z", 3) == 0);
    ck_assert(!b->cols[2].valid[1] && b->cols[2].valid[3]);
    ck_assert(!edb_monitor_state_get(r, "miri/all", &e));
    /* a put replaces */
    ck_assert_int_eq(edb_monitor_state_put(r, "miri/all/A", "f2", 1, 2, INT64_MAX, 0, t, &err),
                     EDB_OK);
    ck_assert_uint_eq(edb_monitor_state_count(r), 2);
    ck_assert(edb_monitor_state_get(r, "miri/all/A", &e));
    ck_assert_str_eq(e.fingerprint, "f2");
    free(text);
    free(again);
    edb_table_free(t);
    edb_monitor_state_free(s);
    edb_monitor_state_free(r);
}
END_TEST

/* A string holding a NUL byte is kept as hex, as bytes that are not UTF-8 are: written as
 * "\u0000" it could not be read back (fuzz_monitor_state found it). */
START_TEST(test_state_nul_in_string)
{
    edb_table *t = NULL;
    edb_column *c = NULL;
    edb_err err = EDB_ERR_INIT;
    ck_assert_int_eq(edb_table_new(&t, 2), EDB_OK);
    t->t[0] = 1;
    t->t[1] = 2;
    ck_assert_int_eq(edb_table_add_column(t, "S", "S", NULL, EDB_VT_STRING, &c), EDB_OK);
    ck_assert_int_eq(edb_column_set_str(c, 2, 0, "a\0b", 3), EDB_OK);
    ck_assert_int_eq(edb_column_set_str(c, 2, 1, "ok", 2), EDB_OK);
    edb_monitor_state *s = NULL, *r = NULL;
    ck_assert_int_eq(edb_monitor_state_new(&s), EDB_OK);
    ck_assert_int_eq(edb_monitor_state_put(s, "k", "f", 0, 3, 2, 2, t, &err), EDB_OK);
    char *text = NULL;
    size_t len = 0;
    ck_assert_int_eq(edb_monitor_state_text(s, &text, &len, &err), EDB_OK);
    ck_assert_msg(strstr(text, "[[{\"hex\":\"610062\"},\"ok\"]]"), "%s", text);
    ck_assert_msg(edb_monitor_state_parse(&r, text, len, &err) == EDB_OK, "%s", err.msg);
    edb_monitor_state_entry e;
    ck_assert(edb_monitor_state_get(r, "k", &e));
    size_t sl;
    const char *sv = edb_column_str(&e.table->cols[0], 0, &sl);
    ck_assert_uint_eq(sl, 3);
    ck_assert(memcmp(sv, "a\0b", 3) == 0);
    free(text);
    edb_table_free(t);
    edb_monitor_state_free(s);
    edb_monitor_state_free(r);
}
END_TEST

static void state_bad(const char *text)
{
    edb_monitor_state *s = NULL;
    edb_err err = EDB_ERR_INIT;
    ck_assert_msg(edb_monitor_state_parse(&s, text, strlen(text), &err) == EDB_ERR_DATA,
                  "accepted: %s", text);
    ck_assert_ptr_null(s);
}

#define ST(entries) "{\"format\":\"edbx-monitor-state-1\",\"entries\":[" entries "]}"
#define COL                                                                                   \
    "{\"name\":\"A\",\"mnemonic\":\"A\",\"stat\":null,\"unit\":null,\"description\":null,"  \
    "\"subsystem\":null,"

/* An entry with its head (key..step_us) given, then its columns, times and values. */
#define HEAD(start, resume, done, final)                                                      \
    "{\"key\":\"k\",\"fingerprint\":\"f\",\"start\":" #start ",\"resume\":" #resume             \
    ",\"done\":" #done ",\"final\":" #final ",\"step_us\":0,"
#define EMPTY "\"columns\":[],\"time\":[],\"values\":[]}"

START_TEST(test_state_damaged)
{
    edb_monitor_state *s = NULL;
    edb_err err = EDB_ERR_INIT;
    const char *good = ST(HEAD(0, 10, 20, 1) "\"columns\":[" COL "\"type\":\"real\"}],"
                          "\"time\":[1,12],\"values\":[[1.5,null]]}");
    ck_assert_msg(edb_monitor_state_parse(&s, good, strlen(good), &err) == EDB_OK, "%s",
                  err.msg);
    edb_monitor_state_free(s);
    state_bad("");
    state_bad("{}");
    state_bad("{\"format\":\"edbx-monitor-state-2\",\"entries\":[]}");
    state_bad("{\"format\":\"edbx-monitor-state-1\",\"entries\":[],\"x\":1}");
    state_bad(ST("3"));
    /* a final row not before resume */
    state_bad(ST(HEAD(0, 2, 9, 2) "\"columns\":[],\"time\":[1,2],\"values\":[]}"));
    /* more final rows than rows, resume after done + 1, resume before start, done before
     * start - 1, a negative count */
    state_bad(ST(HEAD(0, 9, 9, 1) EMPTY));
    state_bad(ST(HEAD(0, 11, 9, 0) EMPTY));
    state_bad(ST(HEAD(5, 4, 9, 0) EMPTY));
    state_bad(ST(HEAD(5, 5, 3, 0) EMPTY));
    state_bad(ST(HEAD(0, 9, 9, -1) EMPTY));
    /* times out of order, a value of the wrong type, more values than times */
    state_bad(ST(HEAD(0, 9, 9, 0) "\"columns\":[],\"time\":[2,1],\"values\":[]}"));
    state_bad(ST(HEAD(0, 9, 9, 0) "\"columns\":[" COL "\"type\":\"int\"}],\"time\":[1],"
                 "\"values\":[[1.5]]}"));
    state_bad(ST(HEAD(0, 9, 9, 0) "\"columns\":[" COL "\"type\":\"real\"}],\"time\":[1],"
                 "\"values\":[[1,2]]}"));
    /* a repeated key, an unknown type, an extra key, a bad hex string, an empty key */
    state_bad(ST(HEAD(0, 9, 9, 0) EMPTY "," HEAD(0, 9, 9, 0) EMPTY));
    state_bad(ST(HEAD(0, 9, 9, 0) "\"columns\":[" COL "\"type\":\"blob\"}],\"time\":[1],"
                 "\"values\":[[1]]}"));
    state_bad(ST(HEAD(0, 9, 9, 0) "\"columns\":[],\"time\":[],\"values\":[],\"more\":1}"));
    state_bad(ST(HEAD(0, 9, 9, 0) "\"columns\":[" COL "\"type\":\"string\"}],\"time\":[1],"
                 "\"values\":[[{\"hex\":\"zz\"}]]}"));
    state_bad(ST("{\"key\":\"\",\"fingerprint\":\"f\",\"start\":0,\"resume\":9,\"done\":9,"
                 "\"final\":0,\"step_us\":0," EMPTY));
    /* the extremes of time hold without overflow */
    const char *ext = ST("{\"key\":\"k\",\"fingerprint\":\"f\",\"start\":-9223372036854775808,"
                         "\"resume\":-9223372036854775808,\"done\":9223372036854775807,"
                         "\"final\":0,\"step_us\":0," EMPTY);
    ck_assert_msg(edb_monitor_state_parse(&s, ext, strlen(ext), &err) == EDB_OK, "%s", err.msg);
    edb_monitor_state_free(s);
}
END_TEST

static Suite *monitor_suite(void)
{
    Suite *s = suite_create("monitor");
    TCase *tc = tcase_create("monitor");
    tcase_add_test(tc, test_real_configs);
    tcase_add_test(tc, test_malformed);
    tcase_add_test(tc, test_fields_and_warnings);
    tcase_add_test(tc, test_limits);
    tcase_add_test(tc, test_state_round_trip);
    tcase_add_test(tc, test_state_damaged);
    tcase_add_test(tc, test_state_nul_in_string);
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
