/* test_mnemonic.c: the one name rule (edb/mnemonic.c): every real name passes, what
 * cannot be in a URL or a file name is refused with a message that says why. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <edb/mnemonic.h>

#include "testutil.h"

START_TEST(normal_forms)
{
    static const struct {
        const char *in, *out;
    } ok[] = {
        {"  sa_zattest1 \n", "SA_ZATTEST1"},
        {"IMIR_HK_ICE_SEC_VOLT4", "IMIR_HK_ICE_SEC_VOLT4"},
        {"\tinrsi_gwa_y_tilt_avged\r\n", "INRSI_GWA_Y_TILT_AVGED"},
        {"FGDP_SCTA_OFFSET_D", "FGDP_SCTA_OFFSET_D"}, /* refused by the old shape rule */
        {"ZZZZZZ", "ZZZZZZ"},
        {"x", "X"},
        {"0123456789_", "0123456789_"},
    };
    for (size_t k = 0; k < sizeof ok / sizeof ok[0]; k++) {
        char out[EDB_MNEMONIC_MAX + 1];
        edb_err err = EDB_ERR_INIT;
        ck_assert_msg(edb_mnemonic_normalize(ok[k].in, out, sizeof out, &err) == EDB_OK, "%s: %s",
                      ok[k].in, err.msg);
        ck_assert_str_eq(out, ok[k].out);
        ck_assert_int_eq(edb_mnemonic_is_normal(out, strlen(out)), 1);
    }
    /* 64 characters is the most; the buffer must hold them. */
    char longest[EDB_MNEMONIC_MAX + 1], out[EDB_MNEMONIC_MAX + 1];
    memset(longest, 'A', EDB_MNEMONIC_MAX);
    longest[EDB_MNEMONIC_MAX] = '\0';
    ck_assert_int_eq(edb_mnemonic_normalize(longest, out, sizeof out, NULL), EDB_OK);
    ck_assert_str_eq(out, longest);
    ck_assert_int_eq(edb_mnemonic_normalize(longest, out, EDB_MNEMONIC_MAX, NULL),
                     EDB_ERR_MNEMONIC);
    ck_assert_int_eq(edb_mnemonic_is_normal("sa_zattest1", 11), 0);
    ck_assert_int_eq(edb_mnemonic_is_normal(" SA_ZATTEST1", 12), 0);
    ck_assert_int_eq(edb_mnemonic_is_normal("", 0), 0);
}
END_TEST

/* Every name of the real inventory (meta.json, read here with jansson, not with edbx)
 * passes unchanged, and in lower case comes back upper-cased. */
START_TEST(all_real_names_pass)
{
    json_error_t jerr;
    json_t *root = json_load_file(tu_fixture("jwst-2021-01-26/meta.json"), 0, &jerr);
    ck_assert_msg(root != NULL, "%s", jerr.text);
    json_t *list = json_object_get(root, "TlmMnemonics");
    ck_assert_uint_eq(json_array_size(list), 2449);
    size_t passed = 0;
    for (size_t k = 0; k < json_array_size(list); k++) {
        const char *name = json_string_value(json_object_get(json_array_get(list, k), "TlmMnemonic"));
        ck_assert_ptr_nonnull(name);
        char out[EDB_MNEMONIC_MAX + 1], lower[EDB_MNEMONIC_MAX + 1];
        edb_err err = EDB_ERR_INIT;
        ck_assert_msg(edb_mnemonic_normalize(name, out, sizeof out, &err) == EDB_OK, "%s", err.msg);
        ck_assert_str_eq(out, name);
        size_t n = strlen(name);
        for (size_t j = 0; j <= n; j++)
            lower[j] = (name[j] >= 'A' && name[j] <= 'Z') ? (char)(name[j] + 32) : name[j];
        ck_assert_int_eq(edb_mnemonic_normalize(lower, out, sizeof out, NULL), EDB_OK);
        ck_assert_str_eq(out, name);
        passed++;
    }
    ck_assert_uint_eq(passed, 2449);
    json_decref(root);
}
END_TEST

START_TEST(hostile_names_refused)
{
    static const struct {
        const char *in, *why;
    } bad[] = {
        {"", "empty mnemonic name"},
        {"   \t\r\n", "empty mnemonic name"},
        {"SA_ZATTEST1/../../x", "'/' at position 12 is not allowed"},
        {"../etc/passwd", "'.' at position 1 is not allowed"},
        {"..", "'.' at position 1 is not allowed"},
        {"/etc/passwd", "'/' at position 1 is not allowed"},
        {"SA ZATTEST1", "a blank at position 3 is not allowed"},
        {"SA_ZATT-1", "'-' at position 8 is not allowed"},
        {"SA_ZATT%2F", "'%' at position 8 is not allowed"},
        {"SA_ZATT?x=1", "'?' at position 8 is not allowed"},
        {"SA_ZATT\x01", "a control byte at position 8 is not allowed"},
        {"SA_ZATT\x7f", "a control byte at position 8 is not allowed"},
        {"SA_Z\xc3\xa9", "a non-ASCII byte at position 5 is not allowed"},
        {"SA_ZATT\\X", "'\\' at position 8 is not allowed"},
        {"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", /* 65 */
         "longer than 64 characters"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        char out[EDB_MNEMONIC_MAX + 1];
        edb_err err = EDB_ERR_INIT;
        ck_assert_int_eq(edb_mnemonic_normalize(bad[k].in, out, sizeof out, &err),
                         EDB_ERR_MNEMONIC);
        ck_assert_msg(strstr(err.msg, bad[k].why), "'%s': %s", bad[k].in, err.msg);
        ck_assert_str_eq(out, "");
    }
    /* The message quotes the name with control bytes made visible. */
    edb_err err = EDB_ERR_INIT;
    char out[EDB_MNEMONIC_MAX + 1];
    edb_mnemonic_normalize("SA\nX/", out, sizeof out, &err);
    ck_assert_str_eq(err.msg, "invalid mnemonic 'SA?X/': a control byte at position 3 is not "
                              "allowed (names are letters, digits and '_', such as SA_ZATTEST1)");
    ck_assert_int_eq(edb_mnemonic_normalize(NULL, out, sizeof out, NULL), EDB_ERR_MNEMONIC);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("mnemonic");
    TCase *t = tcase_create("rule");
    tcase_add_test(t, normal_forms);
    tcase_add_test(t, all_real_names_pass);
    tcase_add_test(t, hostile_names_refused);
    suite_add_tcase(s, t);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
