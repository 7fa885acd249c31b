/* where.c: parsing --where conditions (edb/resample.h).
 *
 * The grammar is one comparison, so a hand-written scanner is all it takes; what matters
 * is the message when it fails: it quotes the expression, names the offending token and
 * gives its 1-based column, because the expression usually sits in shell quotes among
 * other options and the user has to find the mistake by eye. */
#include <stdlib.h>
#include <string.h>

#include <edb/number.h>
#include <edb/resample.h>

#include "internal.h"
#include "where_internal.h"

const char *edb__op_text(edb__op op)
{
    switch (op) {
    case EDB__OP_GT: return ">";
    case EDB__OP_LT: return "<";
    case EDB__OP_GE: return ">=";
    case EDB__OP_LE: return "<=";
    case EDB__OP_EQ: return "==";
    case EDB__OP_NE: return "!=";
    }
    return "?";
}

static int is_space(char c)
{
    return c == ' ' || c == '\t';
}

static int is_name_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '_';
}

static int is_op_char(char c)
{
    return c == '<' || c == '>' || c == '=' || c == '!';
}

/* The token starting at p, for a message: a run of operator characters, or of anything
 * but blanks. */
static size_t token_len(const char *p)
{
    size_t n = 0;
    if (is_op_char(p[0])) {
        while (is_op_char(p[n]))
            n++;
        return n;
    }
    while (p[n] && !is_space(p[n]))
        n++;
    return n;
}

static edb_status unexpected(edb_err *err, const char *expr, const char *p, const char *expected)
{
    char tok[64];
    if (!*p)
        return edb__fail(err, EDB_ERR_USAGE, "'%s': unexpected end of expression (expected %s)",
                         expr, expected);
    edb__excerpt(p, token_len(p), 40, tok, sizeof tok);
    return edb__fail(err, EDB_ERR_USAGE, "'%s': unexpected '%s' at column %zu (expected %s)",
                     expr, tok, (size_t)(p - expr) + 1, expected);
}

edb_status edb_where_parse(edb_where **out, const char *expr, edb_err *err)
{
    *out = NULL;
    if (!expr)
        return edb__fail(err, EDB_ERR_USAGE, "empty condition");
    edb_where *w = calloc(1, sizeof *w);
    if (!w || !(w->text = edb__strdup(expr))) {
        free(w);
        return edb__fail(err, EDB_ERR_NOMEM, "out of memory");
    }
    const char *p = expr;
    edb_status st = EDB_OK;
    while (is_space(*p))
        p++;
    const char *name = p;
    while (is_name_char(*p))
        p++;
    if (p == name) {
        st = unexpected(err, expr, p, "a mnemonic such as SA_ZATTEST1");
        goto fail;
    }
    char nbuf[64];
    size_t nlen = (size_t)(p - name) < sizeof nbuf ? (size_t)(p - name) : sizeof nbuf - 1;
    memcpy(nbuf, name, nlen);
    nbuf[nlen] = '\0';
    edb_err nerr = EDB_ERR_INIT;
    if (edb_mnemonic_normalize(nbuf, w->mnemonic, sizeof w->mnemonic, &nerr) != EDB_OK) {
        st = edb__fail(err, EDB_ERR_USAGE, "'%s': at column %zu: %s", expr,
                       (size_t)(name - expr) + 1, nerr.msg);
        goto fail;
    }
    while (is_space(*p))
        p++;
    const char *op = p;
    while (is_op_char(*p))
        p++;
    size_t oplen = (size_t)(p - op);
    static const struct {
        const char *text;
        edb__op op;
    } ops[] = {{">", EDB__OP_GT}, {"<", EDB__OP_LT}, {">=", EDB__OP_GE}, {"<=", EDB__OP_LE},
               {"==", EDB__OP_EQ}, {"=", EDB__OP_EQ}, {"!=", EDB__OP_NE}};
    int found = 0;
    for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++)
        if (strlen(ops[k].text) == oplen && memcmp(ops[k].text, op, oplen) == 0) {
            w->op = ops[k].op;
            found = 1;
        }
    if (!found) {
        st = unexpected(err, expr, op, "one of > < >= <= == !=");
        goto fail;
    }
    while (is_space(*p))
        p++;
    if (*p == '\'' || *p == '"') {
        char q = *p;
        const char *s = ++p;
        while (*p && *p != q)
            p++;
        if (!*p) {
            st = edb__fail(err, EDB_ERR_USAGE, "'%s': the string at column %zu has no closing %c",
                           expr, (size_t)(s - expr), q);
            goto fail;
        }
        w->is_str = 1;
        w->slen = (size_t)(p - s);
        if (!(w->str = edb__strndup(s, w->slen))) {
            st = edb__fail(err, EDB_ERR_NOMEM, "out of memory");
            goto fail;
        }
        p++;
    } else {
        const char *v = p;
        while (*p && !is_space(*p))
            p++;
        if (p == v || edb_parse_double(v, (size_t)(p - v), &w->num) != 0) {
            st = unexpected(err, expr, v, "a number or a quoted string");
            goto fail;
        }
    }
    while (is_space(*p))
        p++;
    if (*p) {
        st = unexpected(err, expr, p, "the end of the condition; combine conditions by "
                        "repeating --where");
        goto fail;
    }
    *out = w;
    return EDB_OK;
fail:
    edb_where_free(w);
    return st;
}

const char *edb_where_mnemonic(const edb_where *w)
{
    return w->mnemonic;
}

const char *edb_where_text(const edb_where *w)
{
    return w->text;
}

void edb_where_free(edb_where *w)
{
    if (!w)
        return;
    free(w->text);
    free(w->str);
    free(w);
}
