/* fuzz_where.c: the expression parser of --where, --expr and --fail-if (edb/expr.h) on
 * arbitrary text, as a condition and as a definition.
 *
 * A parse either fails with EDB_ERR_USAGE and a message (and no expression), or gives an
 * expression whose names are valid mnemonics in their normal form; such an expression is
 * then checked against every assignment of types to its names and evaluated with missing
 * values, numbers and strings, which must never crash nor give a truth other than true,
 * false or unknown. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <edb/edb.h>

#include "expr_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_name(const char *name)
{
    char norm[EDB_MNEMONIC_MAX + 1];
    edb_err e2 = EDB_ERR_INIT;
    if (!name || edb_mnemonic_normalize(name, norm, sizeof norm, &e2) != EDB_OK ||
        strcmp(norm, name) != 0)
        abort();
}

static void exercise(const edb_expr *e)
{
    size_t nr = edb_expr_ref_count(e);
    for (size_t k = 0; k < nr; k++)
        check_name(edb_expr_ref(e, k));
    if (edb_expr_ref(e, nr) != NULL)
        abort();
    edb_vtype *types = calloc(nr + 1, sizeof *types);
    edb__xval *vals = calloc(nr + 1, sizeof *vals);
    const char **units = calloc(nr + 1, sizeof *units);
    if (!types || !vals || !units)
        abort();
    static const edb_vtype tv[] = {EDB_VT_NONE, EDB_VT_REAL, EDB_VT_INT, EDB_VT_STRING};
    for (int a = 0; a < 4; a++) {
        for (size_t k = 0; k < nr; k++)
            types[k] = tv[(a + (int)k) % 4];
        edb_err err = EDB_ERR_INIT;
        edb_status st = edb__expr_check(e, types, "--where", &err);
        if (st != EDB_OK && (st != EDB_ERR_USAGE || !err.msg[0]))
            abort();
    }
    for (int round = 0; round < 4; round++) {
        for (size_t k = 0; k < nr; k++) {
            edb__xval v = {EDB_VT_NONE, 0, NULL, 0};
            if (round == 1 || (round == 3 && k % 2)) {
                v.vt = EDB_VT_REAL;
                v.d = (double)k - 1.5;
            } else if (round == 2 || round == 3) {
                v.vt = EDB_VT_STRING;
                v.s = "ON";
                v.len = 2;
            }
            vals[k] = v;
            units[k] = round ? "V" : NULL;
        }
        if (edb_expr_get_kind(e) == EDB_EXPR_CONDITION) {
            int t = edb__expr_truth(e, vals);
            if (t < -1 || t > 1)
                abort();
        } else {
            (void)edb__expr_value(e, vals);
            free(edb__expr_unit(e, units));
        }
    }
    free(types);
    free(vals);
    free(units);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    for (int kind = 0; kind < 2; kind++) {
        edb_expr *e = NULL;
        edb_err err = EDB_ERR_INIT;
        edb_status st = edb_expr_parse(&e, s, (edb_expr_kind)kind, &err);
        if (st == EDB_OK) {
            if (!e || strcmp(edb_expr_text(e), s) != 0 || !edb_expr_formula(e) ||
                edb_expr_get_kind(e) != (edb_expr_kind)kind)
                abort();
            if (kind == EDB_EXPR_DEFINITION)
                check_name(edb_expr_name(e));
            else if (edb_expr_name(e) != NULL)
                abort();
            exercise(e);
        } else if (e || err.msg[0] == '\0' || (st != EDB_ERR_USAGE && st != EDB_ERR_NOMEM)) {
            abort(); /* a failure leaves nothing behind and always says why */
        }
        edb_expr_free(e);
    }
    free(s);
    return 0;
}
