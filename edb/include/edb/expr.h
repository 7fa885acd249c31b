/* edb/expr.h: the expression language of `edbx get` (--where, --expr, --fail-if).
 *
 * One grammar, two kinds of expression:
 *   a condition   (--where, --fail-if): comparisons (> < >= <= == !=, '=' taken as '==')
 *                 of numbers, quoted strings and names, joined by and, or, not and
 *                 parentheses:  IMIR_HK_ICE_SEC_VOLT4 < 4.523 or IMIR_HK_ICE_SEC_VOLT4 > 4.543
 *   a definition  (--expr): NAME = a number built from + - * /, parentheses, numeric
 *                 constants, abs() and names:  P = SE_ZIMIRICEA * SE_ZBUSVLT
 * Precedence, loosest first: or; and; not; comparisons; + and -; * and /; unary minus.
 * Names follow edb/mnemonic.h (letters, digits, '_', 1-64; case does not matter: they are
 * upper-cased); the keywords and, or, not and abs (any case) are not names, so a mnemonic
 * of one of those names cannot appear in an expression.  A name starting with a digit is
 * taken for a number and refused.  Strings are the bytes between single or double quotes
 * (no escapes) and compare with == and != only.
 *
 * Values may be missing (no sample yet, NaN, an empty cell): arithmetic with a missing
 * value, and division by zero, give no value (NaN); a comparison with a missing value is
 * unknown, and and/or/not follow SQL's three-valued logic (unknown and false is false,
 * unknown or true is true, not unknown is unknown).  A condition selects only where it is
 * true.  Semantics in use: docs/resampling.md.
 *
 * Ownership: an edb_expr owns its text; strings returned are borrowed from it. */
#ifndef EDB_EXPR_H
#define EDB_EXPR_H

#include <stddef.h>

#include <edb/series.h>
#include <edb/status.h>
#include <edb/table.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct edb_expr edb_expr;

typedef enum edb_expr_kind {
    EDB_EXPR_CONDITION = 0, /* true, false or unknown */
    EDB_EXPR_DEFINITION = 1 /* NAME = a number */
} edb_expr_kind;

/* Expressions longer than this are refused (a typing mistake, not a formula). */
#define EDB_EXPR_MAX_LEN 4096

/* Parse text as a condition or a definition.  EDB_ERR_USAGE with a message that quotes
 * the text, gives the 1-based column and says what was expected there, e.g.
 * "'SA_ZATTEST1 >> 3': unexpected '>>' at column 13 (expected one of > < >= <= == !=)". */
edb_status edb_expr_parse(edb_expr **out, const char *text, edb_expr_kind kind, edb_err *err);
void edb_expr_free(edb_expr *e); /* accepts NULL */

edb_expr_kind edb_expr_get_kind(const edb_expr *e);
const char *edb_expr_text(const edb_expr *e);    /* as given */
const char *edb_expr_name(const edb_expr *e);    /* definition: the name defined (upper-case);
                                                    NULL for a condition */
const char *edb_expr_formula(const edb_expr *e); /* definition: the text after '=', trimmed;
                                                    a condition: its text */
/* The distinct names it reads (upper-case), in order of first appearance. */
size_t edb_expr_ref_count(const edb_expr *e);
const char *edb_expr_ref(const edb_expr *e, size_t k);

/* --fail-if: how many rows of a table satisfy a condition.  Names are column names
 * (compared case-insensitively); a cell without a value is a missing value.  EDB_ERR_USAGE
 * naming the name when a column is missing, or when a column's type does not fit the
 * comparison (a string column compared with a number). */
edb_status edb_expr_count_table(const edb_expr *cond, const edb_table *t, size_t *count,
                                edb_err *err);
/* The same over raw samples (the long layout: one row per sample, MNEMONIC's value in its
 * own rows, every other name missing there).  Names are mnemonics of the series. */
edb_status edb_expr_count_series(const edb_expr *cond, const edb_series *const *series,
                                 size_t n, size_t *count, edb_err *err);

#ifdef __cplusplus
}
#endif
#endif
