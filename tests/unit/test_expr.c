/* test_expr.c: the expression language (edb/expr.h): what parses and what does not, the
 * precedence of every operator, three-valued logic, and --fail-if's counting over tables
 * and raw samples.  Each expected count is worked out by hand in the comments, row by row,
 * from the small table built here. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <edb/edb.h>

#include "testutil.h"

static edb_expr *parse(const char *text, edb_expr_kind kind)
{
    edb_expr *e = NULL;
    edb_err err = EDB_ERR_INIT;
    ck_assert_msg(edb_expr_parse(&e, text, kind, &err) == EDB_OK, "'%s': %s", text, err.msg);
    return e;
}

/* Rows (A, B, S), "-" a cell without a value:
 *   r0:  1   1  ON
 *   r1:  1   0  OFF
 *   r2:  0   1  ON
 *   r3:  0   0  OFF
 *   r4:  -   1  ON
 *   r5:  2  -3  -        */
static edb_table *table6(void)
{
    edb_table *t = NULL;
    ck_assert_int_eq(edb_table_new(&t, 6), EDB_OK);
    for (int r = 0; r < 6; r++)
        t->t[r] = r;
    edb_column *c;
    ck_assert_int_eq(edb_table_add_column(t, "A", NULL, NULL, EDB_VT_REAL, &c), EDB_OK);
    const double a[] = {1, 1, 0, 0, NAN, 2};
    for (int r = 0; r < 6; r++)
        if (!isnan(a[r]))
            edb_column_set_real(c, (size_t)r, a[r]);
    ck_assert_int_eq(edb_table_add_column(t, "B", NULL, NULL, EDB_VT_INT, &c), EDB_OK);
    const int64_t b[] = {1, 0, 1, 0, 1, -3};
    for (int r = 0; r < 6; r++)
        edb_column_set_int(c, (size_t)r, b[r]);
    ck_assert_int_eq(edb_table_add_column(t, "S", NULL, NULL, EDB_VT_STRING, &c), EDB_OK);
    const char *sv[] = {"ON", "OFF", "ON", "OFF", "ON", NULL};
    for (int r = 0; r < 6; r++)
        if (sv[r])
            ck_assert_int_eq(edb_column_set_str(c, 6, (size_t)r, sv[r], strlen(sv[r])), EDB_OK);
    return t;
}

static size_t count(const edb_table *t, const char *text)
{
    edb_expr *e = parse(text, EDB_EXPR_CONDITION);
    size_t n = 99;
    edb_err err = EDB_ERR_INIT;
    ck_assert_msg(edb_expr_count_table(e, t, &n, &err) == EDB_OK, "'%s': %s", text, err.msg);
    edb_expr_free(e);
    return n;
}

START_TEST(test_precedence_and_operators)
{
    edb_table *t = table6();
    static const struct {
        const char *e;
        size_t want;
    } c[] = {
        /* and binds tighter than or: A==1 or (B==1 and S=='OFF') -> r0 r1 (left to right
         * would give r1 only) */
        {"A == 1 or B == 1 and S == 'OFF'", 2},
        {"(A == 1 or B == 1) and S == 'OFF'", 1},
        /* keywords in any case, names upper-cased */
        {"a == 1 OR b == 1 And s == 'OFF'", 2},
        /* not binds looser than a comparison, tighter than and: (not A==1) and B==1 -> r2;
         * r4's A is missing: not unknown is unknown */
        {"not A == 1 and B == 1", 1},
        {"NOT (A == 1 and B == 1)", 4}, /* r1 r2 r3 r5; r4: not (unknown and true) unknown */
        /* * before +: A + 2B == 3 -> r0 only ((A+B)*2 == 3 would match none) */
        {"A + B * 2 == 3", 1},
        {"(A + B) * 2 == 2", 2}, /* r1 r2 */
        /* - and / associate to the left: (A-B)-1 == -1 -> r0 r3 */
        {"A - B - 1 == -1", 2},
        {"A / B / 2 == 0.5", 1}, /* r0: (1/1)/2; r5: (2/-3)/2 no */
        /* unary minus: (-A)*(-B) > 0 -> r0 only */
        {"-A * -B > 0", 1},
        {"- -A == 1", 2},
        /* division by zero has no value: r1 (1/0) and r3 (0/0) are unknown, r0 1 > 0.5 */
        {"A / B > 0.5", 1},
        {"not (A / B > 0.5)", 2}, /* r2 (0), r5 (-2/3); r1 r3 r4 unknown */
        {"abs(B) >= 3", 1},
        {"abs(A - 2) * 2 <= 2", 3}, /* r0 r1 (|1-2|*2=2), r5 (0) */
        /* every comparison */
        {"A > 1", 1},
        {"A < 1", 2},
        {"A >= 1", 3},
        {"A <= 1", 4},
        {"A == 1", 2},
        {"A = 1", 2},
        {"A != 1", 3},
        {"1 < A", 1},
        {"A == B", 2}, /* r0 (1,1), r3 (0,0) */
        {"A > B", 2},  /* r1, r5 */
        /* strings: r5 has none, so it is neither ON nor not ON */
        {"S == 'ON'", 3},
        {"S != \"ON\"", 2},
        {"S == S", 5},
        {"S == 'on'", 0}, /* bytes compare exactly */
        /* three-valued logic: unknown or true is true, unknown and false is false */
        {"A > 0 or B > 0", 5},   /* r0 r1 r2 r4 (unknown or true) r5 */
        {"A > 0 and S == 'ON'", 1}, /* r0; r4 unknown and true; r5 true and unknown */
        {"A > 0 or S == 'OFF'", 4}, /* r0 r1 r3 r5 (true or unknown) */
        {"A > 5 and S == 'x'", 0},
        {"not (A > 0)", 2},
        {"1 == 1", 6},
        {"1.5e1 > 1e-2 and .5 < 1", 6},
    };
    for (size_t k = 0; k < sizeof c / sizeof c[0]; k++)
        ck_assert_msg(count(t, c[k].e) == c[k].want, "'%s': %zu rows, want %zu", c[k].e,
                      count(t, c[k].e), c[k].want);
    edb_table_free(t);
}
END_TEST

START_TEST(test_count_errors)
{
    edb_table *t = table6();
    static const struct {
        const char *e, *want;
    } c[] = {
        {"Q > 1", "--fail-if 'Q > 1': the output has no column Q (its columns: A, B, S)"},
        {"S > 1", "S is a string mnemonic: compare it with a quoted string, e.g. S == 'ON'"},
        {"A == 'x'", "A is a numeric mnemonic: compare it with a number, not a string"},
        {"S < 'x'", "unexpected '<' at column 3 (strings compare with == and != only)"},
        {"S * 2 > 1", "S is a string mnemonic: arithmetic needs numbers"},
    };
    for (size_t k = 0; k < sizeof c / sizeof c[0]; k++) {
        edb_expr *e = NULL;
        edb_err err = EDB_ERR_INIT;
        size_t n = 0;
        if (edb_expr_parse(&e, c[k].e, EDB_EXPR_CONDITION, &err) == EDB_OK)
            ck_assert_int_eq(edb_expr_count_table(e, t, &n, &err), EDB_ERR_USAGE);
        ck_assert_msg(strstr(err.msg, c[k].want), "'%s': %s", c[k].e, err.msg);
        edb_expr_free(e);
    }
    /* a definition is not a condition */
    edb_expr *d = parse("P = A * 2", EDB_EXPR_DEFINITION);
    size_t n;
    edb_err err = EDB_ERR_INIT;
    ck_assert_int_eq(edb_expr_count_table(d, t, &n, &err), EDB_ERR_USAGE);
    edb_expr_free(d);
    edb_table_free(t);
}
END_TEST

/* Raw output is the long layout: a row is one sample of one mnemonic, the other names
 * have no value there. */
START_TEST(test_count_series)
{
    edb_series *a = NULL, *s = NULL;
    ck_assert_int_eq(edb_series_new(&a, "SA_ZA"), EDB_OK);
    ck_assert_int_eq(edb_series_set_type(a, EDB_VT_REAL), EDB_OK);
    ck_assert_int_eq(edb_series_new(&s, "SA_ZS"), EDB_OK);
    ck_assert_int_eq(edb_series_set_type(s, EDB_VT_STRING), EDB_OK);
    const double av[] = {4.52, 4.53, 4.55, NAN, 4.50};
    for (int k = 0; k < 5; k++)
        ck_assert_int_eq(edb_series_push_real(a, k, av[k]), EDB_OK);
    ck_assert_int_eq(edb_series_push_str(s, 0, "ON", 2), EDB_OK);
    ck_assert_int_eq(edb_series_push_str(s, 1, "OFF", 3), EDB_OK);
    const edb_series *list[2] = {a, s};
    static const struct {
        const char *e;
        size_t want;
    } c[] = {
        {"SA_ZA < 4.523 or SA_ZA > 4.543", 3}, /* 4.52, 4.55, 4.50; the NaN is unknown */
        {"sa_za > 4.5", 3},
        {"SA_ZS == 'ON'", 1},
        {"SA_ZA > 0 or SA_ZS == 'ON'", 5},   /* 4 real rows + the ON row */
        {"SA_ZA > 0 and SA_ZS == 'ON'", 0},  /* no row has both */
    };
    for (size_t k = 0; k < sizeof c / sizeof c[0]; k++) {
        edb_expr *e = parse(c[k].e, EDB_EXPR_CONDITION);
        size_t n = 99;
        edb_err err = EDB_ERR_INIT;
        ck_assert_msg(edb_expr_count_series(e, list, 2, &n, &err) == EDB_OK, "%s", err.msg);
        ck_assert_msg(n == c[k].want, "'%s': %zu, want %zu", c[k].e, n, c[k].want);
        edb_expr_free(e);
    }
    /* not (x > 4.51): 4.50 is true; the NaN row and the two string rows are unknown */
    edb_expr *e = parse("not (SA_ZA > 4.51)", EDB_EXPR_CONDITION);
    size_t n;
    edb_err err = EDB_ERR_INIT;
    ck_assert_int_eq(edb_expr_count_series(e, list, 2, &n, &err), EDB_OK);
    ck_assert_uint_eq(n, 1);
    edb_expr_free(e);
    e = parse("SA_ZB > 1", EDB_EXPR_CONDITION);
    ck_assert_int_eq(edb_expr_count_series(e, list, 2, &n, &err), EDB_ERR_USAGE);
    ck_assert_msg(strstr(err.msg, "no column SA_ZB (its columns: SA_ZA, SA_ZS)"), "%s", err.msg);
    edb_expr_free(e);
    edb_series_free(a);
    edb_series_free(s);
}
END_TEST

START_TEST(test_parse_parts)
{
    edb_expr *e = parse("  p_1 = se_zimiricea * SE_ZBUSVLT / (1 + abs(se_zimiricea))  ",
                        EDB_EXPR_DEFINITION);
    ck_assert_int_eq(edb_expr_get_kind(e), EDB_EXPR_DEFINITION);
    ck_assert_str_eq(edb_expr_name(e), "P_1");
    ck_assert_str_eq(edb_expr_formula(e), "se_zimiricea * SE_ZBUSVLT / (1 + abs(se_zimiricea))");
    ck_assert_uint_eq(edb_expr_ref_count(e), 2);
    ck_assert_str_eq(edb_expr_ref(e, 0), "SE_ZIMIRICEA");
    ck_assert_str_eq(edb_expr_ref(e, 1), "SE_ZBUSVLT");
    ck_assert_ptr_null(edb_expr_ref(e, 2));
    edb_expr_free(e);
    e = parse("X > 1 or (Y == 'a b' and not Z <= -2)", EDB_EXPR_CONDITION);
    ck_assert_ptr_null(edb_expr_name(e));
    ck_assert_uint_eq(edb_expr_ref_count(e), 3);
    ck_assert_str_eq(edb_expr_ref(e, 2), "Z");
    edb_expr_free(e);
    static const struct {
        const char *e, *want;
    } bad[] = {
        {"P A * B", "unexpected 'A' at column 3 (expected '=' after the name, as in P = A * B)"},
        {"P == A", "unexpected '==' at column 3"},
        {"P = A > B", "unexpected '>' at column 7 (expected an arithmetic operator or the end: "
                      "a derived column is a number, not a condition)"},
        {"P = 'x'", "''x'' at column 5 is a string: a derived column is a number"},
        {"P = (A > 1)", "'A > 1' at column 6 is a condition: a derived column is a number"},
        {"= A", "unexpected '=' at column 1 (expected the name of the new column"},
        {"and = 3", "and, or, not and abs are keywords"},
        {"P = A *", "unexpected end of expression"},
        {"P = abs(A, B)", "unexpected ',' at column 10 (expected an operator or ')')"},
        {"P = 2A", "unexpected '2A' at column 5"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        edb_expr *x = NULL;
        edb_err err = EDB_ERR_INIT;
        ck_assert_int_eq(edb_expr_parse(&x, bad[k].e, EDB_EXPR_DEFINITION, &err), EDB_ERR_USAGE);
        ck_assert_ptr_null(x);
        ck_assert_msg(strstr(err.msg, bad[k].want), "'%s': %s", bad[k].e, err.msg);
    }
    char big[EDB_EXPR_MAX_LEN + 16];
    memset(big, ' ', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    memcpy(big, "A > 1", 5);
    edb_err err = EDB_ERR_INIT;
    ck_assert_int_eq(edb_expr_parse(&e, big, EDB_EXPR_CONDITION, &err), EDB_ERR_USAGE);
    ck_assert_msg(strstr(err.msg, "at most 4096"), "%s", err.msg);
    edb_expr_free(NULL);
}
END_TEST

static Suite *expr_suite(void)
{
    Suite *s = suite_create("expr");
    TCase *tc = tcase_create("expr");
    tcase_add_test(tc, test_precedence_and_operators);
    tcase_add_test(tc, test_count_errors);
    tcase_add_test(tc, test_count_series);
    tcase_add_test(tc, test_parse_parts);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(expr_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
