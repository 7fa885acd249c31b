/* expr.c: the expression language of --where, --expr and --fail-if (edb/expr.h).
 *
 * A recursive-descent parser over a hand-written scanner.  The grammar is small; what
 * matters is the message when the input is wrong: it quotes the expression, names the
 * offending token and gives its 1-based column, because the expression usually sits in
 * shell quotes among other options and the user has to find the mistake by eye.  Nodes
 * live in one array; a condition and a number differ by node kind, and the parser refuses
 * a condition where a number is needed (and the reverse) at the token where it happens.
 * Nesting is bounded (MAX_DEPTH) and so is the length, so that evaluation, which recurses,
 * cannot exhaust the stack whatever the input. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <edb/expr.h>
#include <edb/number.h>

#include "expr_internal.h"
#include "internal.h"

#define MAX_DEPTH 100
#define EXPECT_OPERAND "a number, a quoted string, a name or '('"
#define EXPECT_CMP "one of > < >= <= == !="

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

/* ---- scanning --------------------------------------------------------------------------- */

typedef enum tkind {
    T_END,
    T_NUM,
    T_STR,
    T_NAME,
    T_LP,
    T_RP,
    T_PLUS,
    T_MINUS,
    T_STAR,
    T_SLASH,
    T_CMP,    /* one of the six comparisons (or '=') */
    T_AND,
    T_OR,
    T_NOT,
    T_ABS,
    T_BADOP,  /* a run of < > = ! that is no comparison */
    T_OTHER   /* anything else */
} tkind;

typedef struct tok {
    tkind kind;
    size_t pos, len; /* in the text */
    edb__op op;      /* T_CMP */
    int single_eq;   /* T_CMP written '=' */
} tok;

typedef struct parser {
    edb_expr *e;
    const char *s;
    size_t pos;
    tok t;       /* the current token */
    int depth;
    edb_err *err;
    edb_status st;
} parser;

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static int is_alpha(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int is_op_char(char c)
{
    return c == '<' || c == '>' || c == '=' || c == '!';
}

static int word_is(const char *p, size_t len, const char *kw)
{
    if (strlen(kw) != len)
        return 0;
    for (size_t k = 0; k < len; k++) {
        char c = p[k];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != kw[k])
            return 0;
    }
    return 1;
}

/* The token at ps->pos; ps->pos moves past it. */
static void scan(parser *ps)
{
    const char *s = ps->s;
    size_t p = ps->pos;
    while (is_space(s[p]))
        p++;
    tok t = {T_END, p, 0, EDB__OP_EQ, 0};
    char c = s[p];
    if (!c) {
        ps->t = t;
        ps->pos = p;
        return;
    }
    size_t q = p + 1;
    if (is_digit(c) || (c == '.' && is_digit(s[p + 1]))) {
        /* digits [. digits] [e [+-] digits], then whatever name characters stick to it, so
         * that "1ABC" is one bad token rather than a number and a name */
        q = p;
        while (is_digit(s[q]))
            q++;
        if (s[q] == '.') {
            q++;
            while (is_digit(s[q]))
                q++;
        }
        if ((s[q] == 'e' || s[q] == 'E') &&
            (is_digit(s[q + 1]) || ((s[q + 1] == '+' || s[q + 1] == '-') && is_digit(s[q + 2])))) {
            q += 2;
            while (is_digit(s[q]))
                q++;
        }
        while (is_alpha(s[q]) || is_digit(s[q]) || s[q] == '.')
            q++;
        t.kind = T_NUM;
    } else if (is_alpha(c)) {
        q = p;
        while (is_alpha(s[q]) || is_digit(s[q]))
            q++;
        t.kind = word_is(s + p, q - p, "and")   ? T_AND
                 : word_is(s + p, q - p, "or")  ? T_OR
                 : word_is(s + p, q - p, "not") ? T_NOT
                 : word_is(s + p, q - p, "abs") ? T_ABS
                                                : T_NAME;
    } else if (c == '\'' || c == '"') {
        q = p + 1;
        while (s[q] && s[q] != c)
            q++;
        if (s[q])
            q++;
        t.kind = T_STR; /* an unclosed string is reported by the parser */
    } else if (is_op_char(c)) {
        q = p;
        while (is_op_char(s[q]))
            q++;
        static const struct {
            const char *text;
            edb__op op;
        } ops[] = {{">", EDB__OP_GT}, {"<", EDB__OP_LT}, {">=", EDB__OP_GE}, {"<=", EDB__OP_LE},
                   {"==", EDB__OP_EQ}, {"=", EDB__OP_EQ}, {"!=", EDB__OP_NE}};
        t.kind = T_BADOP;
        for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++)
            if (strlen(ops[k].text) == q - p && memcmp(ops[k].text, s + p, q - p) == 0) {
                t.kind = T_CMP;
                t.op = ops[k].op;
                t.single_eq = q - p == 1 && c == '=';
            }
    } else {
        t.kind = c == '(' ? T_LP : c == ')' ? T_RP : c == '+' ? T_PLUS : c == '-' ? T_MINUS
                 : c == '*' ? T_STAR : c == '/' ? T_SLASH : T_OTHER;
        if (t.kind == T_OTHER) /* a run of the unknown, for the message: "&&", "^2" */
            while (s[q] && !is_space(s[q]) && !is_alpha(s[q]) && !is_digit(s[q]) &&
                   !strchr("()+-*/'\"<>=!", s[q]))
                q++;
    }
    t.len = q - p;
    ps->t = t;
    ps->pos = q;
}

/* ---- errors ------------------------------------------------------------------------------ */

static int fail_at(parser *ps, size_t pos, size_t len, const char *fmt, const char *detail)
{
    if (ps->st != EDB_OK)
        return -1;
    char tok_[64], msg[200];
    snprintf(msg, sizeof msg, fmt, detail ? detail : "");
    if (!ps->s[pos])
        ps->st = edb__fail(ps->err, EDB_ERR_USAGE, "'%s': unexpected end of expression (%s)",
                           ps->e->text, msg);
    else
        ps->st = edb__fail(ps->err, EDB_ERR_USAGE, "'%s': unexpected '%s' at column %zu (%s)",
                           ps->e->text, edb__excerpt(ps->s + pos, len ? len : 1, 40, tok_,
                                                     sizeof tok_),
                           pos + 1, msg);
    return -1;
}

/* The current token is not what was expected. */
static int unexpected(parser *ps, const char *expected)
{
    const tok *t = &ps->t;
    if (t->kind == T_OTHER && t->len == 2 && (memcmp(ps->s + t->pos, "&&", 2) == 0 ||
                                              memcmp(ps->s + t->pos, "||", 2) == 0))
        return fail_at(ps, t->pos, t->len, "write and, or instead of && and ||%s", NULL);
    return fail_at(ps, t->pos, t->len, "expected %s", expected);
}

/* A whole node is of the wrong kind ("not a condition"): point at it. */
static int wrong_node(parser *ps, int x, const char *why)
{
    if (ps->st != EDB_OK)
        return -1;
    const edb__xnode *nd = &ps->e->v[x];
    char tok_[64];
    ps->st = edb__fail(ps->err, EDB_ERR_USAGE, "'%s': '%s' at column %zu %s", ps->e->text,
                       edb__excerpt(ps->s + nd->col, nd->len, 40, tok_, sizeof tok_),
                       nd->col + 1, why);
    return -1;
}

/* ---- nodes ------------------------------------------------------------------------------- */

static int is_cond(const edb_expr *e, int x)
{
    edb__xop op = e->v[x].op;
    return op == EDB__X_CMP || op == EDB__X_AND || op == EDB__X_OR || op == EDB__X_NOT;
}

static int node(parser *ps, edb__xop op, int a, int b, size_t col, size_t end)
{
    edb_expr *e = ps->e;
    if (e->n == e->cap) {
        size_t cap = e->cap ? e->cap * 2 : 16;
        edb__xnode *nv = realloc(e->v, cap * sizeof *nv);
        if (!nv) {
            ps->st = edb__fail(ps->err, EDB_ERR_NOMEM, "out of memory");
            return -1;
        }
        e->v = nv;
        e->cap = cap;
    }
    edb__xnode *nd = &e->v[e->n];
    memset(nd, 0, sizeof *nd);
    nd->op = op;
    nd->a = a;
    nd->b = b;
    nd->col = col;
    nd->len = end - col;
    return (int)e->n++;
}

/* The span of node x in the text: its start column and its end. */
static size_t node_end(const parser *ps, int x)
{
    return ps->e->v[x].col + ps->e->v[x].len;
}

static int ref_index(parser *ps, const char *name, size_t *out)
{
    edb_expr *e = ps->e;
    for (size_t k = 0; k < e->nrefs; k++)
        if (strcmp(e->refs[k], name) == 0) {
            *out = k;
            return 0;
        }
    if (e->nrefs == e->refcap) {
        size_t cap = e->refcap ? e->refcap * 2 : 8;
        edb__xname *nr = realloc(e->refs, cap * sizeof *nr);
        if (!nr) {
            ps->st = edb__fail(ps->err, EDB_ERR_NOMEM, "out of memory");
            return -1;
        }
        e->refs = nr;
        e->refcap = cap;
    }
    snprintf(e->refs[e->nrefs], sizeof e->refs[0], "%s", name);
    *out = e->nrefs++;
    return 0;
}

/* A name token, checked and upper-cased into out. */
static int take_name(parser *ps, edb__xname out)
{
    char buf[EDB_MNEMONIC_MAX + 2];
    const tok *t = &ps->t;
    edb_err nerr = EDB_ERR_INIT;
    size_t n = t->len < sizeof buf - 1 ? t->len : sizeof buf - 1;
    memcpy(buf, ps->s + t->pos, n);
    buf[n] = '\0';
    if (t->len > EDB_MNEMONIC_MAX ||
        edb_mnemonic_normalize(buf, out, sizeof(edb__xname), &nerr) != EDB_OK) {
        char tok_[64];
        ps->st = edb__fail(ps->err, EDB_ERR_USAGE, "'%s': the name '%s' at column %zu is not a "
                           "mnemonic name (letters, digits and '_', at most %d)", ps->e->text,
                           edb__excerpt(ps->s + t->pos, t->len, 40, tok_, sizeof tok_),
                           t->pos + 1, EDB_MNEMONIC_MAX);
        return -1;
    }
    return 0;
}

/* ---- the grammar ------------------------------------------------------------------------- */

static int parse_or(parser *ps);
static int parse_add(parser *ps);

static int deeper(parser *ps)
{
    if (++ps->depth > MAX_DEPTH)
        return fail_at(ps, ps->t.pos, ps->t.len, "nested more than %s levels deep", "100");
    return 0;
}

static int parse_primary(parser *ps)
{
    tok t = ps->t;
    switch (t.kind) {
    case T_NUM: {
        double v;
        if (edb_parse_double(ps->s + t.pos, t.len, &v) != 0 || !isfinite(v))
            return fail_at(ps, t.pos, t.len, "expected %s; a name cannot start with a digit",
                           "a number such as 4.5, -1e3 or .25");
        int x = node(ps, EDB__X_NUM, -1, -1, t.pos, t.pos + t.len);
        if (x >= 0)
            ps->e->v[x].num = v;
        scan(ps);
        return x;
    }
    case T_STR: {
        char q = ps->s[t.pos];
        if (t.len < 2 || ps->s[t.pos + t.len - 1] != q) {
            if (ps->st == EDB_OK)
                ps->st = edb__fail(ps->err, EDB_ERR_USAGE, "'%s': the string at column %zu has "
                                   "no closing %c", ps->e->text, t.pos + 1, q);
            return -1;
        }
        int x = node(ps, EDB__X_STR, -1, -1, t.pos, t.pos + t.len);
        if (x >= 0) {
            ps->e->v[x].str = ps->e->text + t.pos + 1;
            ps->e->v[x].slen = t.len - 2;
        }
        scan(ps);
        return x;
    }
    case T_NAME: {
        edb__xname name;
        size_t ref;
        if (take_name(ps, name) != 0 || ref_index(ps, name, &ref) != 0)
            return -1;
        int x = node(ps, EDB__X_REF, -1, -1, t.pos, t.pos + t.len);
        if (x >= 0)
            ps->e->v[x].ref = ref;
        scan(ps);
        return x;
    }
    case T_ABS: {
        scan(ps);
        if (ps->t.kind != T_LP)
            return unexpected(ps, "'(' after abs: abs(X)");
        scan(ps);
        if (deeper(ps) != 0)
            return -1;
        int a = parse_add(ps);
        ps->depth--;
        if (a < 0)
            return -1;
        if (is_cond(ps->e, a))
            return wrong_node(ps, a, "is a condition: abs() takes a number");
        if (ps->e->v[a].op == EDB__X_STR)
            return wrong_node(ps, a, "is a string: abs() takes a number");
        if (ps->t.kind != T_RP)
            return unexpected(ps, "an operator or ')'");
        int x = node(ps, EDB__X_ABS, a, -1, t.pos, ps->t.pos + 1);
        scan(ps);
        return x;
    }
    case T_LP: {
        scan(ps);
        if (deeper(ps) != 0)
            return -1;
        int a = parse_or(ps);
        ps->depth--;
        if (a < 0)
            return -1;
        if (ps->t.kind != T_RP)
            return unexpected(ps, is_cond(ps->e, a) ? "and, or or ')'" : "an operator or ')'");
        /* The node keeps its own span; the parentheses only group. */
        scan(ps);
        return a;
    }
    case T_AND:
    case T_OR:
    case T_NOT:
        return unexpected(ps, EXPECT_OPERAND "; and, or, not and abs are keywords, not names");
    default:
        break;
    }
    return unexpected(ps, EXPECT_OPERAND);
}

static int parse_unary(parser *ps)
{
    if (ps->t.kind == T_PLUS || ps->t.kind == T_MINUS) {
        tok t = ps->t;
        scan(ps);
        if (deeper(ps) != 0)
            return -1;
        int a = parse_unary(ps);
        ps->depth--;
        if (a < 0)
            return -1;
        if (is_cond(ps->e, a))
            return wrong_node(ps, a, "is a condition: a sign applies to a number");
        if (ps->e->v[a].op == EDB__X_STR)
            return wrong_node(ps, a, "is a string: a sign applies to a number");
        if (t.kind == T_PLUS)
            return a;
        return node(ps, EDB__X_NEG, a, -1, t.pos, node_end(ps, a));
    }
    return parse_primary(ps);
}

/* Both operands of an arithmetic operator must be numbers. */
static int arith_operand(parser *ps, int x, const tok *op)
{
    char why[96];
    if (is_cond(ps->e, x)) {
        snprintf(why, sizeof why, "is a condition: '%.*s' needs numbers", (int)op->len,
                 ps->s + op->pos);
        return wrong_node(ps, x, why);
    }
    if (ps->e->v[x].op == EDB__X_STR) {
        snprintf(why, sizeof why, "is a string: '%.*s' needs numbers", (int)op->len,
                 ps->s + op->pos);
        return wrong_node(ps, x, why);
    }
    return 0;
}

static int parse_mul(parser *ps)
{
    int a = parse_unary(ps);
    while (a >= 0 && (ps->t.kind == T_STAR || ps->t.kind == T_SLASH)) {
        tok op = ps->t;
        if (arith_operand(ps, a, &op) != 0)
            return -1;
        scan(ps);
        int b = parse_unary(ps);
        if (b < 0 || arith_operand(ps, b, &op) != 0)
            return -1;
        a = node(ps, op.kind == T_STAR ? EDB__X_MUL : EDB__X_DIV, a, b, ps->e->v[a].col,
                 node_end(ps, b));
    }
    return a;
}

static int parse_add(parser *ps)
{
    int a = parse_mul(ps);
    while (a >= 0 && (ps->t.kind == T_PLUS || ps->t.kind == T_MINUS)) {
        tok op = ps->t;
        if (arith_operand(ps, a, &op) != 0)
            return -1;
        scan(ps);
        int b = parse_mul(ps);
        if (b < 0 || arith_operand(ps, b, &op) != 0)
            return -1;
        a = node(ps, op.kind == T_PLUS ? EDB__X_ADD : EDB__X_SUB, a, b, ps->e->v[a].col,
                 node_end(ps, b));
    }
    return a;
}

static int parse_cmp(parser *ps)
{
    int a = parse_add(ps);
    if (a < 0)
        return -1;
    if (ps->t.kind == T_BADOP)
        return unexpected(ps, EXPECT_CMP);
    if (ps->t.kind != T_CMP)
        return a;
    tok op = ps->t;
    if (is_cond(ps->e, a))
        return unexpected(ps, "and, or or the end of the condition: a comparison compares "
                          "numbers or strings, not conditions");
    scan(ps);
    int b = parse_add(ps);
    if (b < 0)
        return -1;
    if (is_cond(ps->e, b))
        return wrong_node(ps, b, "is a condition: a comparison compares numbers or strings");
    const edb__xnode *na = &ps->e->v[a], *nb = &ps->e->v[b];
    int sa = na->op == EDB__X_STR, sb = nb->op == EDB__X_STR;
    /* What the literals alone decide; names are checked once their types are known. */
    if ((sa || sb) && op.op != EDB__OP_EQ && op.op != EDB__OP_NE)
        return fail_at(ps, op.pos, op.len, "strings compare with == and != only%s", NULL);
    if ((sa && nb->op != EDB__X_STR && nb->op != EDB__X_REF) ||
        (sb && na->op != EDB__X_STR && na->op != EDB__X_REF))
        return fail_at(ps, op.pos, op.len, "a string compares with a string, not a number%s",
                       NULL);
    int x = node(ps, EDB__X_CMP, a, b, na->col, node_end(ps, b));
    if (x >= 0)
        ps->e->v[x].cmp = op.op;
    if (ps->t.kind == T_CMP || ps->t.kind == T_BADOP)
        return unexpected(ps, "and, or or the end of the condition: write a < X and X < b, "
                          "not a < X < b");
    return x;
}

/* Operands of and, or and not must be conditions. */
static int cond_operand(parser *ps, int x, const char *kw)
{
    if (is_cond(ps->e, x))
        return 0;
    char why[96];
    snprintf(why, sizeof why, "is not a condition (%s joins comparisons such as X > 3)", kw);
    return wrong_node(ps, x, why);
}

static int parse_not(parser *ps)
{
    if (ps->t.kind == T_NOT) {
        tok t = ps->t;
        scan(ps);
        if (deeper(ps) != 0)
            return -1;
        int a = parse_not(ps);
        ps->depth--;
        if (a < 0 || cond_operand(ps, a, "not") != 0)
            return -1;
        return node(ps, EDB__X_NOT, a, -1, t.pos, node_end(ps, a));
    }
    return parse_cmp(ps);
}

static int parse_and(parser *ps)
{
    int a = parse_not(ps);
    while (a >= 0 && ps->t.kind == T_AND) {
        if (cond_operand(ps, a, "and") != 0)
            return -1;
        scan(ps);
        int b = parse_not(ps);
        if (b < 0 || cond_operand(ps, b, "and") != 0)
            return -1;
        a = node(ps, EDB__X_AND, a, b, ps->e->v[a].col, node_end(ps, b));
    }
    return a;
}

static int parse_or(parser *ps)
{
    int a = parse_and(ps);
    while (a >= 0 && ps->t.kind == T_OR) {
        if (cond_operand(ps, a, "or") != 0)
            return -1;
        scan(ps);
        int b = parse_and(ps);
        if (b < 0 || cond_operand(ps, b, "or") != 0)
            return -1;
        a = node(ps, EDB__X_OR, a, b, ps->e->v[a].col, node_end(ps, b));
    }
    return a;
}

static int parse_condition(parser *ps)
{
    int x = parse_or(ps);
    if (x < 0)
        return -1;
    if (ps->t.kind != T_END)
        return unexpected(ps, is_cond(ps->e, x) ? "and, or or the end of the condition"
                                                : EXPECT_CMP " or an arithmetic operator");
    if (!is_cond(ps->e, x))
        return unexpected(ps, EXPECT_CMP);
    return x;
}

/* NAME = number */
static int parse_definition(parser *ps)
{
    if (ps->t.kind != T_NAME) {
        if (ps->t.kind == T_AND || ps->t.kind == T_OR || ps->t.kind == T_NOT ||
            ps->t.kind == T_ABS)
            return unexpected(ps, "the name of the new column: and, or, not and abs are "
                              "keywords");
        return unexpected(ps, "the name of the new column, as in P = A * B");
    }
    if (take_name(ps, ps->e->name) != 0)
        return -1;
    scan(ps);
    if (ps->t.kind != T_CMP || !ps->t.single_eq)
        return unexpected(ps, "'=' after the name, as in P = A * B");
    scan(ps);
    size_t body = ps->t.pos;
    int x = parse_add(ps);
    if (x < 0)
        return -1;
    if (ps->t.kind == T_CMP || ps->t.kind == T_BADOP || ps->t.kind == T_AND ||
        ps->t.kind == T_OR)
        return unexpected(ps, "an arithmetic operator or the end: a derived column is a "
                          "number, not a condition");
    if (ps->t.kind != T_END)
        return unexpected(ps, "an arithmetic operator or the end of the expression");
    if (is_cond(ps->e, x))
        return wrong_node(ps, x, "is a condition: a derived column is a number");
    if (ps->e->v[x].op == EDB__X_STR)
        return wrong_node(ps, x, "is a string: a derived column is a number");
    size_t end = strlen(ps->s);
    while (end > body && is_space(ps->s[end - 1]))
        end--;
    if (!(ps->e->formula = edb__strndup(ps->s + body, end - body))) {
        ps->st = edb__fail(ps->err, EDB_ERR_NOMEM, "out of memory");
        return -1;
    }
    return x;
}

edb_status edb_expr_parse(edb_expr **out, const char *text, edb_expr_kind kind, edb_err *err)
{
    *out = NULL;
    if (!text)
        return edb__fail(err, EDB_ERR_USAGE, "no expression");
    size_t len = strlen(text);
    if (len > EDB_EXPR_MAX_LEN)
        return edb__fail(err, EDB_ERR_USAGE, "an expression of %zu characters (at most %d)", len,
                         EDB_EXPR_MAX_LEN);
    edb_expr *e = calloc(1, sizeof *e);
    if (!e || !(e->text = edb__strdup(text))) {
        free(e);
        return edb__fail(err, EDB_ERR_NOMEM, "out of memory");
    }
    e->kind = kind;
    parser ps = {e, e->text, 0, {T_END, 0, 0, EDB__OP_EQ, 0}, 0, err, EDB_OK};
    scan(&ps);
    int root = kind == EDB_EXPR_DEFINITION ? parse_definition(&ps) : parse_condition(&ps);
    if (root < 0 || ps.st != EDB_OK) {
        edb_status st = ps.st != EDB_OK ? ps.st : EDB_ERR_INTERNAL;
        edb_expr_free(e);
        return st;
    }
    if (kind == EDB_EXPR_CONDITION && !(e->formula = edb__strdup(text))) {
        edb_expr_free(e);
        return edb__fail(err, EDB_ERR_NOMEM, "out of memory");
    }
    e->root = root;
    *out = e;
    return EDB_OK;
}

void edb_expr_free(edb_expr *e)
{
    if (!e)
        return;
    free(e->text);
    free(e->formula);
    free(e->v);
    free(e->refs);
    free(e);
}

edb_expr_kind edb_expr_get_kind(const edb_expr *e)
{
    return e->kind;
}

const char *edb_expr_text(const edb_expr *e)
{
    return e->text;
}

const char *edb_expr_name(const edb_expr *e)
{
    return e->kind == EDB_EXPR_DEFINITION ? e->name : NULL;
}

const char *edb_expr_formula(const edb_expr *e)
{
    return e->formula;
}

size_t edb_expr_ref_count(const edb_expr *e)
{
    return e->nrefs;
}

const char *edb_expr_ref(const edb_expr *e, size_t k)
{
    return k < e->nrefs ? e->refs[k] : NULL;
}

/* ---- checking names against their types ----------------------------------------------- */

typedef enum xtype { XT_NUM, XT_STR, XT_ANY, XT_COND } xtype;

static xtype check_node(const edb_expr *e, int x, const edb_vtype *types, const char *what,
                        edb_err *err, edb_status *st)
{
    const edb__xnode *nd = &e->v[x];
    switch (nd->op) {
    case EDB__X_NUM:
        return XT_NUM;
    case EDB__X_STR:
        return XT_STR;
    case EDB__X_REF:
        switch (types[nd->ref]) {
        case EDB_VT_STRING: return XT_STR;
        case EDB_VT_REAL:
        case EDB_VT_INT: return XT_NUM;
        case EDB_VT_NONE: return XT_ANY;
        }
        return XT_ANY;
    case EDB__X_NEG:
    case EDB__X_ABS:
    case EDB__X_ADD:
    case EDB__X_SUB:
    case EDB__X_MUL:
    case EDB__X_DIV: {
        int ops[2] = {nd->a, nd->b};
        for (int k = 0; k < 2; k++) {
            if (ops[k] < 0)
                continue;
            if (check_node(e, ops[k], types, what, err, st) == XT_STR && *st == EDB_OK) {
                const edb__xnode *o = &e->v[ops[k]];
                *st = edb__fail(err, EDB_ERR_USAGE, "%s '%s': %s is a string mnemonic: "
                                "arithmetic needs numbers", what, e->text,
                                o->op == EDB__X_REF ? e->refs[o->ref] : "a string");
            }
        }
        return XT_NUM;
    }
    case EDB__X_CMP: {
        xtype ta = check_node(e, nd->a, types, what, err, st);
        xtype tb = check_node(e, nd->b, types, what, err, st);
        if (*st != EDB_OK || ta == XT_ANY || tb == XT_ANY)
            return XT_COND;
        const edb__xnode *na = &e->v[nd->a], *nb = &e->v[nd->b];
        /* Name the mnemonic whose type does not fit, as the user wrote it. */
        const edb__xnode *sref = ta == XT_STR && na->op == EDB__X_REF   ? na
                                 : tb == XT_STR && nb->op == EDB__X_REF ? nb
                                                                        : NULL;
        const edb__xnode *nref = ta == XT_NUM && na->op == EDB__X_REF   ? na
                                 : tb == XT_NUM && nb->op == EDB__X_REF ? nb
                                                                        : NULL;
        if (ta != tb) {
            if (sref)
                *st = edb__fail(err, EDB_ERR_USAGE, "%s '%s': %s is a string mnemonic: compare it "
                                "with a quoted string, e.g. %s == 'ON'", what, e->text,
                                e->refs[sref->ref], e->refs[sref->ref]);
            else
                *st = edb__fail(err, EDB_ERR_USAGE, "%s '%s': %s is a numeric mnemonic: compare "
                                "it with a number, not a string", what, e->text,
                                nref ? e->refs[nref->ref] : "a number");
        } else if (ta == XT_STR && nd->cmp != EDB__OP_EQ && nd->cmp != EDB__OP_NE) {
            *st = edb__fail(err, EDB_ERR_USAGE, "%s '%s': %s is a string mnemonic: only == and "
                            "!= compare strings", what, e->text,
                            sref ? e->refs[sref->ref] : "a string");
        }
        return XT_COND;
    }
    case EDB__X_AND:
    case EDB__X_OR:
        check_node(e, nd->a, types, what, err, st);
        check_node(e, nd->b, types, what, err, st);
        return XT_COND;
    case EDB__X_NOT:
        check_node(e, nd->a, types, what, err, st);
        return XT_COND;
    }
    return XT_ANY;
}

edb_status edb__expr_check(const edb_expr *e, const edb_vtype *types, const char *what,
                           edb_err *err)
{
    edb_status st = EDB_OK;
    check_node(e, e->root, types, what, err, &st);
    return st;
}

/* ---- evaluation -------------------------------------------------------------------------- */

static double num_node(const edb_expr *e, int x, const edb__xval *vals)
{
    const edb__xnode *nd = &e->v[x];
    switch (nd->op) {
    case EDB__X_NUM:
        return nd->num;
    case EDB__X_REF: {
        const edb__xval *v = &vals[nd->ref];
        return v->vt == EDB_VT_REAL || v->vt == EDB_VT_INT ? v->d : NAN;
    }
    case EDB__X_NEG:
        return -num_node(e, nd->a, vals);
    case EDB__X_ABS:
        return fabs(num_node(e, nd->a, vals));
    case EDB__X_ADD:
        return num_node(e, nd->a, vals) + num_node(e, nd->b, vals);
    case EDB__X_SUB:
        return num_node(e, nd->a, vals) - num_node(e, nd->b, vals);
    case EDB__X_MUL:
        return num_node(e, nd->a, vals) * num_node(e, nd->b, vals);
    case EDB__X_DIV: {
        double a = num_node(e, nd->a, vals), b = num_node(e, nd->b, vals);
        /* Division by zero is no value, not an infinity that would poison a mean. */
        return b == 0 ? NAN : a / b;
    }
    default:
        break;
    }
    return NAN;
}

/* A string operand: 1 with its bytes, 0 when missing. */
static int str_node(const edb_expr *e, int x, const edb__xval *vals, const char **s, size_t *len)
{
    const edb__xnode *nd = &e->v[x];
    if (nd->op == EDB__X_STR) {
        *s = nd->str;
        *len = nd->slen;
        return 1;
    }
    if (nd->op == EDB__X_REF && vals[nd->ref].vt == EDB_VT_STRING) {
        *s = vals[nd->ref].s;
        *len = vals[nd->ref].len;
        return 1;
    }
    return 0;
}

static int is_string_operand(const edb_expr *e, int x, const edb__xval *vals)
{
    const edb__xnode *nd = &e->v[x];
    return nd->op == EDB__X_STR || (nd->op == EDB__X_REF && vals[nd->ref].vt == EDB_VT_STRING);
}

static int truth_node(const edb_expr *e, int x, const edb__xval *vals)
{
    const edb__xnode *nd = &e->v[x];
    switch (nd->op) {
    case EDB__X_AND: {
        int a = truth_node(e, nd->a, vals);
        if (a == 0)
            return 0;
        int b = truth_node(e, nd->b, vals);
        if (b == 0)
            return 0;
        return a == 1 && b == 1 ? 1 : -1;
    }
    case EDB__X_OR: {
        int a = truth_node(e, nd->a, vals);
        if (a == 1)
            return 1;
        int b = truth_node(e, nd->b, vals);
        if (b == 1)
            return 1;
        return a == 0 && b == 0 ? 0 : -1;
    }
    case EDB__X_NOT: {
        int a = truth_node(e, nd->a, vals);
        return a < 0 ? -1 : !a;
    }
    case EDB__X_CMP: {
        if (is_string_operand(e, nd->a, vals) || is_string_operand(e, nd->b, vals)) {
            const char *sa, *sb;
            size_t la, lb;
            /* A string against a missing value, or against a number (a type left
             * unchecked), is unknown. */
            if (!str_node(e, nd->a, vals, &sa, &la) || !str_node(e, nd->b, vals, &sb, &lb))
                return -1;
            int eq = la == lb && memcmp(sa, sb, la) == 0;
            return nd->cmp == EDB__OP_EQ ? eq : nd->cmp == EDB__OP_NE ? !eq : -1;
        }
        double a = num_node(e, nd->a, vals), b = num_node(e, nd->b, vals);
        if (isnan(a) || isnan(b))
            return -1;
        switch (nd->cmp) {
        case EDB__OP_GT: return a > b;
        case EDB__OP_LT: return a < b;
        case EDB__OP_GE: return a >= b;
        case EDB__OP_LE: return a <= b;
        case EDB__OP_EQ: return a == b;
        case EDB__OP_NE: return a != b;
        }
        return -1;
    }
    default:
        break;
    }
    return -1;
}

int edb__expr_truth(const edb_expr *e, const edb__xval *vals)
{
    return truth_node(e, e->root, vals);
}

double edb__expr_value(const edb_expr *e, const edb__xval *vals)
{
    return num_node(e, e->root, vals);
}

/* ---- units ------------------------------------------------------------------------------- */

/* "" stands for a plain number (a constant), NULL for unknown; others are malloc'ed. */
static char *unit_node(const edb_expr *e, int x, const char *const *units);

static int needs_parens(const char *u, int in_denominator)
{
    return strchr(u, '/') != NULL || (in_denominator && strchr(u, ' ') != NULL);
}

static char *unit_join(const char *a, const char *op, const char *b)
{
    int pa = needs_parens(a, 0), pb = needs_parens(b, *op == '/');
    size_t n = strlen(a) + strlen(b) + strlen(op) + 8;
    char *u = malloc(n);
    if (u)
        snprintf(u, n, "%s%s%s%s%s%s%s", pa ? "(" : "", a, pa ? ")" : "", op, pb ? "(" : "", b,
                 pb ? ")" : "");
    return u;
}

static char *unit_node(const edb_expr *e, int x, const char *const *units)
{
    const edb__xnode *nd = &e->v[x];
    switch (nd->op) {
    case EDB__X_NUM:
        return edb__strdup("");
    case EDB__X_REF: {
        const char *u = units ? units[nd->ref] : NULL;
        return u && *u ? edb__strdup(u) : NULL;
    }
    case EDB__X_NEG:
    case EDB__X_ABS:
        return unit_node(e, nd->a, units);
    case EDB__X_ADD:
    case EDB__X_SUB:
    case EDB__X_MUL:
    case EDB__X_DIV: {
        char *a = unit_node(e, nd->a, units), *b = unit_node(e, nd->b, units), *u = NULL;
        if (a && b) {
            if (nd->op == EDB__X_ADD || nd->op == EDB__X_SUB) {
                /* A constant added takes the other's unit; different units give none. */
                if (!*a || strcmp(a, b) == 0)
                    u = edb__strdup(b);
                else if (!*b)
                    u = edb__strdup(a);
            } else if (nd->op == EDB__X_MUL) {
                u = !*a ? edb__strdup(b) : !*b ? edb__strdup(a) : unit_join(a, " ", b);
            } else {
                u = !*b ? edb__strdup(a) : unit_join(*a ? a : "1", " / ", b);
            }
        }
        free(a);
        free(b);
        return u;
    }
    default:
        break;
    }
    return NULL;
}

char *edb__expr_unit(const edb_expr *e, const char *const *units)
{
    char *u = unit_node(e, e->root, units);
    if (u && !*u) { /* a constant: no unit to speak of */
        free(u);
        return NULL;
    }
    return u;
}

/* ---- --fail-if over an output ---------------------------------------------------------- */

static int name_eq_ci(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        char x = *a, y = *b;
        if (x >= 'a' && x <= 'z')
            x = (char)(x - 'a' + 'A');
        if (y >= 'a' && y <= 'z')
            y = (char)(y - 'a' + 'A');
        if (x != y)
            return 0;
    }
    return *a == *b;
}

static edb_status no_column(const edb_expr *e, const char *name, const char *const *have,
                            size_t n, edb_err *err)
{
    edb__buf b = {0};
    for (size_t k = 0; k < n && k < 30; k++)
        edb__buf_printf(&b, "%s%s", k ? ", " : "", have[k]);
    if (n > 30)
        edb__buf_printf(&b, ", ...");
    edb_status st = edb__fail(err, EDB_ERR_USAGE, "--fail-if '%s': the output has no column %s "
                              "(its columns: %s)", e->text, name, b.p ? b.p : "none");
    edb__buf_free(&b);
    return st;
}

edb_status edb_expr_count_table(const edb_expr *cond, const edb_table *t, size_t *count,
                                edb_err *err)
{
    *count = 0;
    if (cond->kind != EDB_EXPR_CONDITION)
        return edb__fail(err, EDB_ERR_USAGE, "'%s' is not a condition", cond->text);
    size_t nr = cond->nrefs;
    const edb_column **col = calloc(nr ? nr : 1, sizeof *col);
    edb_vtype *types = calloc(nr ? nr : 1, sizeof *types);
    edb__xval *vals = calloc(nr ? nr : 1, sizeof *vals);
    const char **names = calloc(t->ncols ? t->ncols : 1, sizeof *names);
    edb_status st = EDB_OK;
    if (!col || !types || !vals || !names)
        st = edb__fail(err, EDB_ERR_NOMEM, "out of memory");
    for (size_t k = 0; st == EDB_OK && k < t->ncols; k++)
        names[k] = t->cols[k].name;
    for (size_t k = 0; st == EDB_OK && k < nr; k++) {
        for (size_t c = 0; c < t->ncols && !col[k]; c++)
            if (name_eq_ci(t->cols[c].name, cond->refs[k]))
                col[k] = &t->cols[c];
        if (!col[k])
            st = no_column(cond, cond->refs[k], names, t->ncols, err);
        else
            types[k] = col[k]->vtype;
    }
    if (st == EDB_OK)
        st = edb__expr_check(cond, types, "--fail-if", err);
    for (size_t r = 0; st == EDB_OK && r < t->nrows; r++) {
        for (size_t k = 0; k < nr; k++) {
            const edb_column *c = col[k];
            edb__xval *v = &vals[k];
            v->vt = c->valid[r] ? c->vtype : EDB_VT_NONE;
            if (v->vt == EDB_VT_REAL)
                v->d = c->d[r];
            else if (v->vt == EDB_VT_INT)
                v->d = (double)c->i[r];
            else if (v->vt == EDB_VT_STRING)
                v->s = edb_column_str(c, r, &v->len);
        }
        *count += edb__expr_truth(cond, vals) == 1;
    }
    free(col);
    free(types);
    free(vals);
    free(names);
    return st;
}

edb_status edb_expr_count_series(const edb_expr *cond, const edb_series *const *series,
                                 size_t n, size_t *count, edb_err *err)
{
    *count = 0;
    if (cond->kind != EDB_EXPR_CONDITION)
        return edb__fail(err, EDB_ERR_USAGE, "'%s' is not a condition", cond->text);
    size_t nr = cond->nrefs;
    edb_vtype *types = calloc(nr ? nr : 1, sizeof *types);
    edb__xval *vals = calloc(nr ? nr : 1, sizeof *vals);
    size_t *which = calloc(nr ? nr : 1, sizeof *which);
    const char **names = calloc(n ? n : 1, sizeof *names);
    edb_status st = EDB_OK;
    if (!types || !vals || !which || !names)
        st = edb__fail(err, EDB_ERR_NOMEM, "out of memory");
    for (size_t k = 0; st == EDB_OK && k < n; k++)
        names[k] = series[k]->mnemonic;
    for (size_t k = 0; st == EDB_OK && k < nr; k++) {
        which[k] = n;
        for (size_t s = 0; s < n && which[k] == n; s++)
            if (name_eq_ci(series[s]->mnemonic, cond->refs[k]))
                which[k] = s;
        if (which[k] == n)
            st = no_column(cond, cond->refs[k], names, n, err);
        else
            types[k] = series[which[k]]->vtype;
    }
    if (st == EDB_OK)
        st = edb__expr_check(cond, types, "--fail-if", err);
    for (size_t s = 0; st == EDB_OK && s < n; s++) {
        const edb_series *x = series[s];
        for (size_t j = 0; j < x->n; j++) {
            for (size_t k = 0; k < nr; k++) {
                edb__xval *v = &vals[k];
                v->vt = which[k] == s ? x->vtype : EDB_VT_NONE;
                if (v->vt == EDB_VT_REAL) {
                    v->d = x->d[j];
                } else if (v->vt == EDB_VT_INT) {
                    v->d = (double)x->i[j];
                } else if (v->vt == EDB_VT_STRING) {
                    v->s = edb_series_str(x, j, &v->len);
                }
            }
            *count += edb__expr_truth(cond, vals) == 1;
        }
    }
    free(types);
    free(vals);
    free(which);
    free(names);
    return st;
}
