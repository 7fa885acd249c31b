/* table.c: wide tables (edb/table.h). */
#include <stdlib.h>
#include <string.h>

#include <edb/table.h>

#include "internal.h"

edb_status edb_table_new(edb_table **out, size_t nrows)
{
    *out = NULL;
    edb_table *t = calloc(1, sizeof *t);
    if (!t)
        return EDB_ERR_NOMEM;
    t->nrows = nrows;
    t->t = calloc(nrows ? nrows : 1, sizeof *t->t);
    if (!t->t) {
        free(t);
        return EDB_ERR_NOMEM;
    }
    *out = t;
    return EDB_OK;
}

static void column_free(edb_column *c)
{
    free(c->name);
    free(c->mnemonic);
    free(c->stat);
    free(c->unit);
    free(c->description);
    free(c->subsystem);
    free(c->d);
    free(c->i);
    free(c->soff);
    free(c->sbuf);
    free(c->valid);
}

void edb_table_free(edb_table *t)
{
    if (!t)
        return;
    for (size_t k = 0; k < t->ncols; k++)
        column_free(&t->cols[k]);
    for (size_t k = 0; k < t->n_meta; k++) {
        free(t->meta_key[k]);
        free(t->meta_val[k]);
    }
    free(t->meta_key);
    free(t->meta_val);
    free(t->cols);
    free(t->t);
    free(t);
}

edb_status edb_table_add_column(edb_table *t, const char *name, const char *mnemonic,
                                const char *stat, edb_vtype vtype, edb_column **col)
{
    *col = NULL;
    if (vtype != EDB_VT_REAL && vtype != EDB_VT_INT && vtype != EDB_VT_STRING)
        return EDB_ERR_USAGE;
    if (t->ncols == t->colcap) {
        size_t cap = t->colcap ? t->colcap * 2 : 8;
        edb_column *nc = realloc(t->cols, cap * sizeof *nc);
        if (!nc)
            return EDB_ERR_NOMEM;
        t->cols = nc;
        t->colcap = cap;
    }
    edb_column *c = &t->cols[t->ncols];
    memset(c, 0, sizeof *c);
    size_t n = t->nrows ? t->nrows : 1;
    c->vtype = vtype;
    c->name = edb__strdup(name);
    c->mnemonic = edb__strdup(mnemonic ? mnemonic : name);
    c->stat = stat ? edb__strdup(stat) : NULL;
    c->valid = calloc(n, 1);
    int ok = c->name && c->mnemonic && (!stat || c->stat) && c->valid;
    if (vtype == EDB_VT_REAL)
        ok = ok && (c->d = calloc(n, sizeof *c->d)) != NULL;
    else if (vtype == EDB_VT_INT)
        ok = ok && (c->i = calloc(n, sizeof *c->i)) != NULL;
    else
        ok = ok && (c->soff = calloc(n + 1, sizeof *c->soff)) != NULL;
    if (!ok) {
        column_free(c);
        return EDB_ERR_NOMEM;
    }
    t->ncols++;
    *col = c;
    return EDB_OK;
}

void edb_column_set_real(edb_column *c, size_t r, double v)
{
    c->d[r] = v;
    c->valid[r] = 1;
}

void edb_column_set_int(edb_column *c, size_t r, int64_t v)
{
    c->i[r] = v;
    c->valid[r] = 1;
}

edb_status edb_column_set_str(edb_column *c, size_t nrows, size_t r, const char *v, size_t len)
{
    /* Rows skipped since the last set get empty strings: offsets are filled forward. */
    if (c->slen + len + 1 > c->scap) {
        size_t cap = c->scap ? c->scap : 256;
        while (cap < c->slen + len + 1)
            cap *= 2;
        char *nb = realloc(c->sbuf, cap);
        if (!nb)
            return EDB_ERR_NOMEM;
        c->sbuf = nb;
        c->scap = cap;
    }
    memcpy(c->sbuf + c->slen, v, len);
    /* soff[r] is the start of row r, soff[r + 1] its end.  Rows skipped since the last
     * set (sfill of them are final) are empty: they start and end where the bytes end.
     * Filling only up to r keeps a column of n strings O(n) to build. */
    (void)nrows;
    for (size_t k = c->sfill + 1; k <= r; k++)
        c->soff[k] = c->slen;
    c->slen += len;
    c->soff[r + 1] = c->slen;
    c->sfill = r + 1;
    c->valid[r] = 1;
    return EDB_OK;
}

const char *edb_column_str(const edb_column *c, size_t r, size_t *len)
{
    /* Rows after the last one set hold no string. */
    if (r >= c->sfill || !c->sbuf) {
        *len = 0;
        return "";
    }
    *len = c->soff[r + 1] - c->soff[r];
    return c->sbuf + c->soff[r];
}

edb_status edb_column_set_meta(edb_column *c, const char *unit, const char *description)
{
    free(c->unit);
    free(c->description);
    c->unit = unit ? edb__strdup(unit) : NULL;
    c->description = description ? edb__strdup(description) : NULL;
    if ((unit && !c->unit) || (description && !c->description))
        return EDB_ERR_NOMEM;
    return EDB_OK;
}

edb_status edb_column_set_subsystem(edb_column *c, const char *subsystem)
{
    char *d = subsystem ? edb__strdup(subsystem) : NULL;
    if (subsystem && !d)
        return EDB_ERR_NOMEM;
    free(c->subsystem);
    c->subsystem = d;
    return EDB_OK;
}

static int grow(void **p, size_t n, size_t size)
{
    void *np = realloc(*p, (n ? n : 1) * size);
    if (!np)
        return -1;
    *p = np;
    return 0;
}

edb_status edb_table_append(edb_table *dst, const edb_table *src)
{
    if (dst->ncols != src->ncols)
        return EDB_ERR_USAGE;
    for (size_t k = 0; k < dst->ncols; k++)
        if (dst->cols[k].vtype != src->cols[k].vtype ||
            strcmp(dst->cols[k].name, src->cols[k].name) != 0)
            return EDB_ERR_USAGE;
    if (src->nrows == 0)
        return EDB_OK;
    size_t n0 = dst->nrows, n = n0 + src->nrows;
    /* Grow everything first: a failure leaves dst with more room but the same rows. */
    if (grow((void **)&dst->t, n, sizeof *dst->t) != 0)
        return EDB_ERR_NOMEM;
    for (size_t k = 0; k < dst->ncols; k++) {
        edb_column *c = &dst->cols[k];
        const edb_column *s = &src->cols[k];
        if (grow((void **)&c->valid, n, 1) != 0)
            return EDB_ERR_NOMEM;
        if (c->vtype == EDB_VT_REAL && grow((void **)&c->d, n, sizeof *c->d) != 0)
            return EDB_ERR_NOMEM;
        if (c->vtype == EDB_VT_INT && grow((void **)&c->i, n, sizeof *c->i) != 0)
            return EDB_ERR_NOMEM;
        if (c->vtype == EDB_VT_STRING) {
            if (grow((void **)&c->soff, n + 1, sizeof *c->soff) != 0)
                return EDB_ERR_NOMEM;
            /* The rows of dst after its last string are empty. */
            for (size_t r = c->sfill + 1; r <= n0; r++)
                c->soff[r] = c->slen;
            size_t need = c->slen + s->slen + 1;
            if (need > c->scap) {
                char *nb = realloc(c->sbuf, need);
                if (!nb)
                    return EDB_ERR_NOMEM;
                c->sbuf = nb;
                c->scap = need;
            }
        }
    }
    memcpy(dst->t + n0, src->t, src->nrows * sizeof *src->t);
    for (size_t k = 0; k < dst->ncols; k++) {
        edb_column *c = &dst->cols[k];
        const edb_column *s = &src->cols[k];
        memcpy(c->valid + n0, s->valid, src->nrows);
        if (c->vtype == EDB_VT_REAL)
            memcpy(c->d + n0, s->d, src->nrows * sizeof *c->d);
        else if (c->vtype == EDB_VT_INT)
            memcpy(c->i + n0, s->i, src->nrows * sizeof *c->i);
        else {
            if (s->slen)
                memcpy(c->sbuf + c->slen, s->sbuf, s->slen);
            /* src's offsets follow dst's bytes; its rows after its last string are
             * empty (src->soff is final only up to its sfill). */
            for (size_t r = 1; r <= src->nrows; r++)
                c->soff[n0 + r] = c->slen + (r <= s->sfill ? s->soff[r] : s->slen);
            c->slen += s->slen;
            c->sfill = n0 + src->nrows;
        }
    }
    if (dst->step_us != src->step_us)
        dst->step_us = 0;
    dst->nrows = n;
    return EDB_OK;
}

edb_status edb_table_set_meta(edb_table *t, const char *key, const char *value)
{
    size_t kl = strlen(key);
    if (kl == 0 || kl > 64)
        return EDB_ERR_USAGE;
    for (size_t k = 0; k < kl; k++) {
        char c = key[k];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_'))
            return EDB_ERR_USAGE;
    }
    char *v = edb__strdup(value);
    if (!v)
        return EDB_ERR_NOMEM;
    for (size_t k = 0; k < t->n_meta; k++)
        if (strcmp(t->meta_key[k], key) == 0) {
            free(t->meta_val[k]);
            t->meta_val[k] = v;
            return EDB_OK;
        }
    char *kc = edb__strdup(key);
    char **nk = realloc(t->meta_key, (t->n_meta + 1) * sizeof *nk);
    if (nk)
        t->meta_key = nk;
    char **nv = nk ? realloc(t->meta_val, (t->n_meta + 1) * sizeof *nv) : NULL;
    if (nv)
        t->meta_val = nv;
    if (!kc || !nk || !nv) {
        free(kc);
        free(v);
        return EDB_ERR_NOMEM;
    }
    t->meta_key[t->n_meta] = kc;
    t->meta_val[t->n_meta++] = v;
    return EDB_OK;
}

const char *edb_table_meta(const edb_table *t, const char *key)
{
    for (size_t k = 0; k < t->n_meta; k++)
        if (strcmp(t->meta_key[k], key) == 0)
            return t->meta_val[k];
    return NULL;
}

edb_status edb_table_slice(edb_table **out, const edb_table *t, size_t from, size_t to)
{
    *out = NULL;
    if (from > to || to > t->nrows)
        return EDB_ERR_USAGE;
    size_t n = to - from;
    edb_table *c = NULL;
    edb_status st = edb_table_new(&c, n);
    if (st != EDB_OK)
        return st;
    c->step_us = t->step_us;
    if (n)
        memcpy(c->t, t->t + from, n * sizeof *c->t);
    for (size_t k = 0; k < t->ncols && st == EDB_OK; k++) {
        const edb_column *s = &t->cols[k];
        edb_column *d = NULL;
        st = edb_table_add_column(c, s->name, s->mnemonic, s->stat, s->vtype, &d);
        if (st == EDB_OK)
            st = edb_column_set_meta(d, s->unit, s->description);
        if (st == EDB_OK && s->subsystem)
            st = edb_column_set_subsystem(d, s->subsystem);
        for (size_t r = 0; r < n && st == EDB_OK; r++) {
            if (!s->valid[from + r])
                continue;
            if (s->vtype == EDB_VT_REAL) {
                edb_column_set_real(d, r, s->d[from + r]);
            } else if (s->vtype == EDB_VT_INT) {
                edb_column_set_int(d, r, s->i[from + r]);
            } else {
                size_t len;
                const char *v = edb_column_str(s, from + r, &len);
                st = edb_column_set_str(d, n, r, v, len);
            }
        }
    }
    for (size_t k = 0; k < t->n_meta && st == EDB_OK; k++)
        st = edb_table_set_meta(c, t->meta_key[k], t->meta_val[k]);
    if (st != EDB_OK) {
        edb_table_free(c);
        return st;
    }
    *out = c;
    return EDB_OK;
}

edb_status edb_table_move_columns(edb_table *dst, edb_table *src)
{
    if (!dst || !src || dst == src || dst->nrows != src->nrows)
        return EDB_ERR_USAGE;
    if (src->ncols == 0)
        return EDB_OK;
    if (dst->ncols + src->ncols > dst->colcap) {
        size_t cap = dst->colcap ? dst->colcap : 8;
        while (cap < dst->ncols + src->ncols)
            cap *= 2;
        edb_column *nc = realloc(dst->cols, cap * sizeof *nc);
        if (!nc)
            return EDB_ERR_NOMEM;
        dst->cols = nc;
        dst->colcap = cap;
    }
    memcpy(dst->cols + dst->ncols, src->cols, src->ncols * sizeof *src->cols);
    dst->ncols += src->ncols;
    src->ncols = 0;
    return EDB_OK;
}

edb_status edb_table_keep_columns(edb_table *t, const size_t *order, size_t n)
{
    if (!t || n > t->ncols)
        return EDB_ERR_USAGE;
    edb_column *old = malloc((t->ncols ? t->ncols : 1) * sizeof *old);
    unsigned char *kept = calloc(t->ncols ? t->ncols : 1, 1);
    int ok = old && kept;
    for (size_t k = 0; ok && k < n; k++) {
        ok = order[k] < t->ncols && !kept[order[k]];
        if (ok)
            kept[order[k]] = 1;
    }
    if (!ok) {
        edb_status st = old && kept ? EDB_ERR_USAGE : EDB_ERR_NOMEM;
        free(old);
        free(kept);
        return st;
    }
    memcpy(old, t->cols, t->ncols * sizeof *old);
    for (size_t k = 0; k < n; k++)
        t->cols[k] = old[order[k]];
    for (size_t k = 0; k < t->ncols; k++)
        if (!kept[k])
            column_free(&old[k]);
    t->ncols = n;
    free(old);
    free(kept);
    return EDB_OK;
}
