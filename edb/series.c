/* series.c: the columnar sample store of one mnemonic (edb/series.h).
 *
 * Arrays grow geometrically so that appending n samples costs O(n) copies in total; all
 * strings of a series share one byte arena indexed by n + 1 offsets, so a million string
 * samples are two allocations, not a million.  The value array matching vtype has the
 * same capacity as the time array; the others stay NULL, as the header promises. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <edb/series.h>

#include "internal.h"

#define MIN_ROWS 64
#define MIN_BYTES 256

const char *edb_vtype_name(edb_vtype t)
{
    switch (t) {
    case EDB_VT_REAL: return "real";
    case EDB_VT_INT: return "int";
    case EDB_VT_STRING: return "string";
    case EDB_VT_NONE: break;
    }
    return "none";
}

static int ieq(const char *s, size_t n, const char *lit)
{
    size_t k = 0;
    for (; k < n; k++) {
        char c = s[k];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (lit[k] == '\0' || c != lit[k])
            return 0;
    }
    return lit[k] == '\0';
}

/* "(50)" or "(max)": the length suffix SQL Server puts on character and float types. */
static int is_len_suffix(const char *s, size_t n)
{
    if (n < 3 || s[0] != '(' || s[n - 1] != ')')
        return 0;
    if (ieq(s + 1, n - 2, "max"))
        return 1;
    for (size_t k = 1; k + 1 < n; k++)
        if (!(s[k] >= '0' && s[k] <= '9'))
            return 0;
    return 1;
}

edb_vtype edb_vtype_from_sqltype(const char *sqltype, size_t len)
{
    if (!sqltype)
        return EDB_VT_NONE;
    const char *s = sqltype;
    size_t base = 0;
    while (base < len && s[base] != '(')
        base++;
    int suffixed = base < len;
    if (suffixed && !is_len_suffix(s + base, len - base))
        return EDB_VT_NONE;
    if (ieq(s, base, "real"))
        return suffixed ? EDB_VT_NONE : EDB_VT_REAL;
    if (ieq(s, base, "float"))
        return EDB_VT_REAL;
    if (ieq(s, base, "int") || ieq(s, base, "tinyint") || ieq(s, base, "smallint") ||
        ieq(s, base, "bigint"))
        return suffixed ? EDB_VT_NONE : EDB_VT_INT;
    if (ieq(s, base, "varchar") || ieq(s, base, "char") || ieq(s, base, "nvarchar") ||
        ieq(s, base, "nchar"))
        return EDB_VT_STRING;
    if (ieq(s, base, "text") || ieq(s, base, "ntext"))
        return suffixed ? EDB_VT_NONE : EDB_VT_STRING;
    return EDB_VT_NONE;
}

edb_status edb_series_new(edb_series **out, const char *mnemonic)
{
    if (!out)
        return EDB_ERR_USAGE;
    *out = NULL;
    edb_series *s = calloc(1, sizeof *s);
    if (!s)
        return EDB_ERR_NOMEM;
    s->mnemonic = edb__strdup(mnemonic ? mnemonic : "");
    if (!s->mnemonic) {
        free(s);
        return EDB_ERR_NOMEM;
    }
    for (char *c = s->mnemonic; *c; c++)
        if (*c >= 'a' && *c <= 'z')
            *c = (char)(*c - 'a' + 'A');
    s->all_points = -1;
    *out = s;
    return EDB_OK;
}

static void free_values(edb_series *s)
{
    free(s->d);
    free(s->i);
    free(s->soff);
    s->d = NULL;
    s->i = NULL;
    s->soff = NULL;
}

void edb_series_free(edb_series *s)
{
    if (!s)
        return;
    free_values(s);
    free(s->t);
    free(s->sbuf);
    free(s->mnemonic);
    free(s->unit);
    free(s->description);
    free(s->subsystem);
    free(s);
}

edb_status edb_series_set_meta(edb_series *s, const char *unit, const char *description)
{
    char *u = unit ? edb__strdup(unit) : NULL, *d = description ? edb__strdup(description) : NULL;
    if ((unit && !u) || (description && !d)) {
        free(u);
        free(d);
        return EDB_ERR_NOMEM;
    }
    free(s->unit);
    free(s->description);
    s->unit = u;
    s->description = d;
    return EDB_OK;
}

edb_status edb_series_set_subsystem(edb_series *s, const char *subsystem)
{
    char *d = subsystem ? edb__strdup(subsystem) : NULL;
    if (subsystem && !d)
        return EDB_ERR_NOMEM;
    free(s->subsystem);
    s->subsystem = d;
    return EDB_OK;
}

void edb_series_clear(edb_series *s)
{
    if (!s)
        return;
    /* The time array and the string arena are kept for the retry; the value arrays must
     * go because the header promises NULL for every array but vtype's. */
    free_values(s);
    s->n = 0;
    s->vtype = EDB_VT_NONE;
    s->sqltype[0] = '\0';
}

/* The value array for type t with room for cap samples; NULL on failure. */
static void *alloc_values(edb_vtype t, size_t cap)
{
    switch (t) {
    case EDB_VT_REAL: return malloc((cap ? cap : 1) * sizeof(double));
    case EDB_VT_INT: return malloc((cap ? cap : 1) * sizeof(int64_t));
    case EDB_VT_STRING: {
        size_t *o = malloc((cap + 1) * sizeof(size_t));
        if (o)
            o[0] = 0;
        return o;
    }
    case EDB_VT_NONE: break;
    }
    return NULL;
}

edb_status edb_series_set_type(edb_series *s, edb_vtype t)
{
    if (!s || (t != EDB_VT_NONE && t != EDB_VT_REAL && t != EDB_VT_INT && t != EDB_VT_STRING))
        return EDB_ERR_USAGE;
    if (t == s->vtype)
        return EDB_OK;
    if (s->n > 0) {
        if (!(s->vtype == EDB_VT_INT && t == EDB_VT_REAL))
            return EDB_ERR_DATA;
        double *d = malloc(s->cap * sizeof *d);
        if (!d)
            return EDB_ERR_NOMEM;
        for (size_t k = 0; k < s->n; k++)
            d[k] = (double)s->i[k];
        free(s->i);
        s->i = NULL;
        s->d = d;
        s->vtype = EDB_VT_REAL;
        return EDB_OK;
    }
    free_values(s);
    s->vtype = EDB_VT_NONE;
    if (t == EDB_VT_NONE)
        return EDB_OK;
    void *v = alloc_values(t, s->cap);
    if (!v)
        return EDB_ERR_NOMEM;
    switch (t) {
    case EDB_VT_REAL: s->d = v; break;
    case EDB_VT_INT: s->i = v; break;
    default: s->soff = v; break;
    }
    if (t == EDB_VT_STRING && !s->sbuf) {
        /* edb_series_str must never hand out NULL, even for an empty string. */
        s->sbuf = malloc(MIN_BYTES);
        if (!s->sbuf) {
            free_values(s);
            return EDB_ERR_NOMEM;
        }
        s->scap = MIN_BYTES;
    }
    s->vtype = t;
    return EDB_OK;
}

/* Resize every array to exactly cap samples (cap >= s->n). */
static edb_status resize_rows(edb_series *s, size_t cap)
{
    if (cap > SIZE_MAX / sizeof(int64_t) - 1)
        return EDB_ERR_NOMEM;
    /* Each array is grown on its own; if a later one fails, the earlier ones are just
     * larger than cap says, which is harmless. */
    edb_time *t = realloc(s->t, cap * sizeof *t);
    if (!t)
        return EDB_ERR_NOMEM;
    s->t = t;
    switch (s->vtype) {
    case EDB_VT_REAL: {
        double *d = realloc(s->d, cap * sizeof *d);
        if (!d)
            return EDB_ERR_NOMEM;
        s->d = d;
        break;
    }
    case EDB_VT_INT: {
        int64_t *i = realloc(s->i, cap * sizeof *i);
        if (!i)
            return EDB_ERR_NOMEM;
        s->i = i;
        break;
    }
    case EDB_VT_STRING: {
        size_t *o = realloc(s->soff, (cap + 1) * sizeof *o);
        if (!o)
            return EDB_ERR_NOMEM;
        s->soff = o;
        break;
    }
    case EDB_VT_NONE: break;
    }
    s->cap = cap;
    return EDB_OK;
}

static edb_status grow_rows(edb_series *s, size_t need)
{
    size_t cap = s->cap ? s->cap : MIN_ROWS;
    while (cap < need) {
        if (cap > SIZE_MAX / 2 / sizeof(int64_t))
            return EDB_ERR_NOMEM;
        cap *= 2;
    }
    return resize_rows(s, cap);
}

edb_status edb_series_reserve(edb_series *s, size_t n)
{
    if (!s)
        return EDB_ERR_USAGE;
    if (n <= s->cap)
        return EDB_OK;
    return resize_rows(s, n);
}

static edb_status grow_bytes(edb_series *s, size_t need)
{
    if (need <= s->scap)
        return EDB_OK;
    size_t cap = s->scap ? s->scap : MIN_BYTES;
    while (cap < need) {
        if (cap > SIZE_MAX / 2)
            return EDB_ERR_NOMEM;
        cap *= 2;
    }
    char *b = realloc(s->sbuf, cap);
    if (!b)
        return EDB_ERR_NOMEM;
    s->sbuf = b;
    s->scap = cap;
    return EDB_OK;
}

edb_status edb_series_push_real(edb_series *s, edb_time t, double v)
{
    if (!s || s->vtype != EDB_VT_REAL)
        return EDB_ERR_USAGE;
    if (s->n == s->cap) {
        edb_status st = grow_rows(s, s->n + 1);
        if (st != EDB_OK)
            return st;
    }
    s->t[s->n] = t;
    s->d[s->n] = v;
    s->n++;
    return EDB_OK;
}

edb_status edb_series_push_int(edb_series *s, edb_time t, int64_t v)
{
    if (!s || s->vtype != EDB_VT_INT)
        return EDB_ERR_USAGE;
    if (s->n == s->cap) {
        edb_status st = grow_rows(s, s->n + 1);
        if (st != EDB_OK)
            return st;
    }
    s->t[s->n] = t;
    s->i[s->n] = v;
    s->n++;
    return EDB_OK;
}

edb_status edb_series_push_str(edb_series *s, edb_time t, const char *v, size_t len)
{
    if (!s || s->vtype != EDB_VT_STRING || (!v && len))
        return EDB_ERR_USAGE;
    size_t off = s->soff[s->n];
    if (len > SIZE_MAX - off)
        return EDB_ERR_NOMEM;
    edb_status st = grow_bytes(s, off + len);
    if (st != EDB_OK)
        return st;
    if (s->n == s->cap) {
        st = grow_rows(s, s->n + 1);
        if (st != EDB_OK)
            return st;
    }
    if (len)
        memcpy(s->sbuf + off, v, len);
    s->t[s->n] = t;
    s->soff[s->n + 1] = off + len;
    s->n++;
    return EDB_OK;
}

const char *edb_series_str(const edb_series *s, size_t i, size_t *len)
{
    if (!s || s->vtype != EDB_VT_STRING || i >= s->n) {
        if (len)
            *len = 0;
        return NULL;
    }
    if (len)
        *len = s->soff[i + 1] - s->soff[i];
    return s->sbuf + s->soff[i];
}

/* Type checks shared by push_from and prepend_from.  An untyped dst takes src's type, and
 * an INT sample goes into a REAL series by conversion (the promotion the decoders do). */
static edb_status check_from(edb_series *dst, const edb_series *src, size_t j)
{
    if (!dst || !src || j >= src->n || src->vtype == EDB_VT_NONE)
        return EDB_ERR_USAGE;
    if (dst->vtype == EDB_VT_NONE && dst->n == 0) {
        edb_status st = edb_series_set_type(dst, src->vtype);
        if (st != EDB_OK)
            return st;
    }
    if (dst->vtype == src->vtype || (dst->vtype == EDB_VT_REAL && src->vtype == EDB_VT_INT))
        return EDB_OK;
    return EDB_ERR_USAGE;
}

edb_status edb_series_push_from(edb_series *dst, const edb_series *src, size_t j)
{
    edb_status st = check_from(dst, src, j);
    if (st != EDB_OK)
        return st;
    switch (src->vtype) {
    case EDB_VT_REAL: return edb_series_push_real(dst, src->t[j], src->d[j]);
    case EDB_VT_INT:
        if (dst->vtype == EDB_VT_REAL)
            return edb_series_push_real(dst, src->t[j], (double)src->i[j]);
        return edb_series_push_int(dst, src->t[j], src->i[j]);
    case EDB_VT_STRING: {
        size_t len;
        const char *v = edb_series_str(src, j, &len);
        if (dst == src) {
            /* v points into the arena the push may move */
            char *copy = edb__strndup(v, len);
            if (!copy)
                return EDB_ERR_NOMEM;
            st = edb_series_push_str(dst, src->t[j], copy, len);
            free(copy);
            return st;
        }
        return edb_series_push_str(dst, src->t[j], v, len);
    }
    case EDB_VT_NONE: break;
    }
    return EDB_ERR_USAGE;
}

edb_status edb_series_append_range(edb_series *dst, const edb_series *src, size_t from,
                                   size_t to)
{
    if (!dst || !src || dst == src || from > to || to > src->n)
        return EDB_ERR_USAGE;
    if (from == to)
        return EDB_OK;
    if (!dst->sqltype[0])
        memcpy(dst->sqltype, src->sqltype, sizeof dst->sqltype);
    edb_vtype want = src->vtype;
    if (dst->vtype == EDB_VT_REAL && want == EDB_VT_INT)
        want = EDB_VT_REAL; /* integers join reals as reals */
    if (dst->vtype == EDB_VT_NONE || (dst->vtype == EDB_VT_INT && want == EDB_VT_REAL)) {
        edb_status st = edb_series_set_type(dst, want);
        if (st != EDB_OK)
            return st;
    }
    if (dst->vtype != want)
        return EDB_ERR_DATA; /* strings and numbers do not mix */
    size_t n = to - from;
    if (dst->n > SIZE_MAX - n)
        return EDB_ERR_NOMEM;
    edb_status st = dst->n + n > dst->cap ? grow_rows(dst, dst->n + n) : EDB_OK;
    if (st != EDB_OK)
        return st;
    memcpy(dst->t + dst->n, src->t + from, n * sizeof *dst->t);
    switch (dst->vtype) {
    case EDB_VT_REAL:
        if (src->vtype == EDB_VT_REAL)
            memcpy(dst->d + dst->n, src->d + from, n * sizeof *dst->d);
        else
            for (size_t k = 0; k < n; k++)
                dst->d[dst->n + k] = (double)src->i[from + k];
        break;
    case EDB_VT_INT: memcpy(dst->i + dst->n, src->i + from, n * sizeof *dst->i); break;
    case EDB_VT_STRING: {
        /* One copy of the bytes, offsets shifted by where they land. */
        size_t b0 = src->soff[from], b1 = src->soff[to], base = dst->soff[dst->n];
        if ((st = grow_bytes(dst, base + (b1 - b0))) != EDB_OK)
            return st;
        memcpy(dst->sbuf + base, src->sbuf + b0, b1 - b0);
        for (size_t k = 1; k <= n; k++)
            dst->soff[dst->n + k] = base + (src->soff[from + k] - b0);
        break;
    }
    case EDB_VT_NONE: break;
    }
    dst->n += n;
    return EDB_OK;
}

void edb_series_keep_range(edb_series *s, size_t from, size_t to)
{
    if (!s)
        return;
    if (to > s->n)
        to = s->n;
    if (from > to)
        from = to;
    size_t n = to - from;
    if (from > 0 && n > 0) {
        memmove(s->t, s->t + from, n * sizeof *s->t);
        if (s->d)
            memmove(s->d, s->d + from, n * sizeof *s->d);
        if (s->i)
            memmove(s->i, s->i + from, n * sizeof *s->i);
    }
    if (s->soff) {
        size_t b0 = s->soff[from], b1 = s->soff[to];
        if (b0 > 0 && b1 > b0)
            memmove(s->sbuf, s->sbuf + b0, b1 - b0);
        for (size_t k = 0; k <= n; k++)
            s->soff[k] = s->soff[from + k] - b0;
    }
    s->n = n;
}

void edb_series_move_samples(edb_series *dst, edb_series *src)
{
    if (!dst || !src || dst == src)
        return;
    free_values(dst);
    free(dst->t);
    free(dst->sbuf);
    dst->t = src->t;
    dst->d = src->d;
    dst->i = src->i;
    dst->soff = src->soff;
    dst->sbuf = src->sbuf;
    dst->n = src->n;
    dst->cap = src->cap;
    dst->scap = src->scap;
    dst->vtype = src->vtype;
    memcpy(dst->sqltype, src->sqltype, sizeof dst->sqltype);
    src->t = NULL;
    src->d = NULL;
    src->i = NULL;
    src->soff = NULL;
    src->sbuf = NULL;
    src->n = src->cap = src->scap = 0;
    src->vtype = EDB_VT_NONE;
    src->sqltype[0] = '\0';
}

edb_status edb_series_prepend_from(edb_series *dst, const edb_series *src, size_t j)
{
    if (dst == src)
        return EDB_ERR_USAGE; /* the shifting below would read what it overwrites */
    edb_status st = check_from(dst, src, j);
    if (st != EDB_OK)
        return st;
    size_t n = dst->n;
    if (dst->vtype == EDB_VT_STRING) {
        size_t len = src->soff[j + 1] - src->soff[j];
        size_t total = dst->soff[n];
        if (len > SIZE_MAX - total)
            return EDB_ERR_NOMEM;
        st = grow_bytes(dst, total + len);
        if (st == EDB_OK && n == dst->cap)
            st = grow_rows(dst, n + 1);
        if (st != EDB_OK)
            return st;
        memmove(dst->sbuf + len, dst->sbuf, total);
        if (len)
            memcpy(dst->sbuf, src->sbuf + src->soff[j], len);
        for (size_t k = n + 1; k > 0; k--)
            dst->soff[k] = dst->soff[k - 1] + len;
        dst->soff[0] = 0;
    } else {
        if (n == dst->cap) {
            st = grow_rows(dst, n + 1);
            if (st != EDB_OK)
                return st;
        }
        if (dst->vtype == EDB_VT_REAL) {
            memmove(dst->d + 1, dst->d, n * sizeof *dst->d);
            dst->d[0] = src->vtype == EDB_VT_INT ? (double)src->i[j] : src->d[j];
        } else {
            memmove(dst->i + 1, dst->i, n * sizeof *dst->i);
            dst->i[0] = src->i[j];
        }
    }
    memmove(dst->t + 1, dst->t, n * sizeof *dst->t);
    dst->t[0] = src->t[j];
    dst->n = n + 1;
    return EDB_OK;
}

/* ---- sorting --------------------------------------------------------------------- */

/* Bottom-up merge sort of an index permutation by time: stable, O(n log n), and it moves
 * 8-byte indices instead of samples whose strings have different lengths. */
static void sort_perm(const edb_time *t, size_t *a, size_t *tmp, size_t n)
{
    size_t *src = a, *dst = tmp;
    for (size_t width = 1; width < n; width *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            size_t mid = lo + width < n ? lo + width : n;
            size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                dst[k++] = t[src[j]] < t[src[i]] ? src[j++] : src[i++];
            while (i < mid)
                dst[k++] = src[i++];
            while (j < hi)
                dst[k++] = src[j++];
        }
        size_t *x = src;
        src = dst;
        dst = x;
    }
    if (src != a)
        memcpy(a, src, n * sizeof *a);
}

static void reverse_bytes(char *p, size_t n)
{
    for (size_t i = 0, j = n; i + 1 < j; i++, j--) {
        char c = p[i];
        p[i] = p[j - 1];
        p[j - 1] = c;
    }
}

/* Move sample k to position p < k, shifting p..k-1 up by one.  Needs no memory: the
 * fallback when the permutation cannot be allocated. */
static void move_sample(edb_series *s, size_t k, size_t p)
{
    edb_time tk = s->t[k];
    memmove(s->t + p + 1, s->t + p, (k - p) * sizeof *s->t);
    s->t[p] = tk;
    if (s->vtype == EDB_VT_REAL) {
        double v = s->d[k];
        memmove(s->d + p + 1, s->d + p, (k - p) * sizeof *s->d);
        s->d[p] = v;
    } else if (s->vtype == EDB_VT_INT) {
        int64_t v = s->i[k];
        memmove(s->i + p + 1, s->i + p, (k - p) * sizeof *s->i);
        s->i[p] = v;
    } else if (s->vtype == EDB_VT_STRING) {
        size_t a = s->soff[p], b = s->soff[k], c = s->soff[k + 1];
        size_t len = c - b;
        /* rotate [a, c) right by len: reverse both parts, then the whole */
        reverse_bytes(s->sbuf + a, b - a);
        reverse_bytes(s->sbuf + b, c - b);
        reverse_bytes(s->sbuf + a, c - a);
        for (size_t j = k; j > p; j--)
            s->soff[j] = s->soff[j - 1] + len;
    }
}

static void insertion_sort(edb_series *s)
{
    for (size_t k = 1; k < s->n; k++) {
        if (s->t[k] >= s->t[k - 1])
            continue;
        size_t lo = 0, hi = k; /* first position whose time is > t[k]: keeps equal ones first */
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (s->t[mid] <= s->t[k])
                lo = mid + 1;
            else
                hi = mid;
        }
        move_sample(s, k, lo);
    }
}

static int apply_perm(edb_series *s, const size_t *perm)
{
    size_t n = s->n;
    if (s->vtype == EDB_VT_STRING) {
        char *nb = malloc(s->scap ? s->scap : 1);
        size_t *no = malloc((s->cap + 1) * sizeof *no);
        edb_time *nt = malloc(s->cap * sizeof *nt);
        if (!nb || !no || !nt) {
            free(nb);
            free(no);
            free(nt);
            return -1;
        }
        size_t off = 0;
        no[0] = 0;
        for (size_t k = 0; k < n; k++) {
            size_t j = perm[k], len = s->soff[j + 1] - s->soff[j];
            memcpy(nb + off, s->sbuf + s->soff[j], len);
            off += len;
            no[k + 1] = off;
            nt[k] = s->t[j];
        }
        free(s->sbuf);
        free(s->soff);
        free(s->t);
        s->sbuf = nb;
        s->soff = no;
        s->t = nt;
        return 0;
    }
    /* Times, doubles and int64s are all 8 bytes: one scratch array serves each in turn. */
    int64_t *tmp = malloc(n * sizeof *tmp);
    if (!tmp)
        return -1;
    for (size_t k = 0; k < n; k++)
        tmp[k] = s->t[perm[k]];
    memcpy(s->t, tmp, n * sizeof *tmp);
    if (s->vtype == EDB_VT_REAL) {
        double *dt = (double *)(void *)tmp;
        for (size_t k = 0; k < n; k++)
            dt[k] = s->d[perm[k]];
        memcpy(s->d, dt, n * sizeof *dt);
    } else if (s->vtype == EDB_VT_INT) {
        for (size_t k = 0; k < n; k++)
            tmp[k] = s->i[perm[k]];
        memcpy(s->i, tmp, n * sizeof *tmp);
    }
    free(tmp);
    return 0;
}

int edb_series_sort(edb_series *s)
{
    if (!s || s->n < 2)
        return 0;
    size_t n = s->n, first = 1;
    /* Replies almost always arrive sorted: one linear pass decides. */
    while (first < n && s->t[first] >= s->t[first - 1])
        first++;
    if (first == n)
        return 0;
    size_t *perm = malloc(2 * n * sizeof *perm);
    if (perm) {
        for (size_t k = 0; k < n; k++)
            perm[k] = k;
        sort_perm(s->t, perm, perm + n, n);
        if (apply_perm(s, perm) == 0) {
            free(perm);
            return 1;
        }
        free(perm);
    }
    insertion_sort(s);
    return 1;
}

size_t edb_series_lower_bound(const edb_series *s, edb_time t)
{
    if (!s)
        return 0;
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->t[mid] < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

size_t edb_series_upper_bound(const edb_series *s, edb_time t)
{
    if (!s)
        return 0;
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->t[mid] <= t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

void edb_series_view(edb_series *view, const edb_series *s, size_t i0, size_t i1)
{
    *view = *s;
    view->cap = view->scap = 0;
    if (i0 > s->n)
        i0 = s->n;
    if (i1 > s->n)
        i1 = s->n;
    if (i1 < i0)
        i1 = i0;
    view->n = i1 - i0;
    /* Offsetting a NULL array (an empty series, or another type's) would be undefined:
     * only the arrays that exist move.  String offsets index sbuf absolutely, so the
     * shifted offsets still point at the right bytes. */
    if (s->t)
        view->t = s->t + i0;
    if (s->d)
        view->d = s->d + i0;
    if (s->i)
        view->i = s->i + i0;
    if (s->soff)
        view->soff = s->soff + i0;
}
