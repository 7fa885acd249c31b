/* expr_internal.h: the parsed form of an expression (expr.c) and what resample.c needs to
 * check and evaluate it.  Never installed. */
#ifndef EDB_EXPR_INTERNAL_H
#define EDB_EXPR_INTERNAL_H

#include <stddef.h>

#include <edb/expr.h>
#include <edb/mnemonic.h>

typedef enum edb__op { EDB__OP_GT, EDB__OP_LT, EDB__OP_GE, EDB__OP_LE, EDB__OP_EQ, EDB__OP_NE } edb__op;

typedef enum edb__xop {
    EDB__X_NUM,
    EDB__X_STR,
    EDB__X_REF,
    EDB__X_NEG,
    EDB__X_ABS,
    EDB__X_ADD,
    EDB__X_SUB,
    EDB__X_MUL,
    EDB__X_DIV,
    EDB__X_CMP,
    EDB__X_AND,
    EDB__X_OR,
    EDB__X_NOT
} edb__xop;

typedef struct edb__xnode {
    edb__xop op;
    edb__op cmp;      /* CMP */
    int a, b;         /* operands (node indexes), -1 when unused */
    size_t ref;       /* REF: index into the expression's names */
    double num;       /* NUM */
    const char *str;  /* STR: points into the expression's text (not NUL-terminated) */
    size_t slen;
    size_t col, len;  /* where it stands in the text (0-based column, length), for messages */
} edb__xnode;

typedef char edb__xname[EDB_MNEMONIC_MAX + 1];

struct edb_expr {
    char *text;
    edb_expr_kind kind;
    edb__xname name;  /* DEFINITION */
    char *formula;
    edb__xnode *v;
    size_t n, cap;
    int root;
    edb__xname *refs;
    size_t nrefs, refcap;
};

const char *edb__op_text(edb__op op);

/* A value handed to an evaluation: vt EDB_VT_NONE is a missing value; REAL and INT give
 * d (an INT converted), STRING gives s and len. */
typedef struct edb__xval {
    edb_vtype vt;
    double d;
    const char *s;
    size_t len;
} edb__xval;

/* A condition at the values of its names (vals[k] for edb_expr_ref(e, k)): 1 true, 0 false,
 * -1 unknown. */
int edb__expr_truth(const edb_expr *e, const edb__xval *vals);
/* A definition's number; NaN when it has no value. */
double edb__expr_value(const edb_expr *e, const edb__xval *vals);

/* Check e against the types of its names (types[k], EDB_VT_NONE when not known yet: then
 * anything goes): no arithmetic on strings, strings compared with strings by == and !=,
 * numbers with numbers.  what names the option in messages ("--where"). */
edb_status edb__expr_check(const edb_expr *e, const edb_vtype *types, const char *what,
                           edb_err *err);

/* The unit of a definition from the units of its names (units[k] NULL or "" when not
 * known): A * V is "A V", A / s "A / s", V + V "V", a constant factor keeps the unit.
 * NULL when it cannot be known (a name without a unit, a sum of different units, out of
 * memory); else malloc'ed. */
char *edb__expr_unit(const edb_expr *e, const char *const *units);

#endif
