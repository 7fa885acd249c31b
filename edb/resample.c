/* resample.c: grids, point methods, derived columns, statistics per bin, block and state,
 * changes, conditions and several ranges (edb/resample.h; the semantics are in
 * docs/resampling.md).
 *
 * Every pass walks the samples and the grid together with pointers that only move
 * forward, so a run costs O(samples + grid points) per column: no binary search per
 * grid point.  Conditions are turned once into the sorted list of time spans in which
 * all of them hold; testing a time against that list is again a forward-moving pointer.
 * Medians and sigma clipping use selection (quickselect) on a scratch copy of one bin,
 * never a sort.  Blocks and states are lists of row intervals that the same statistics
 * code walks as it walks bins; several ranges are computed one by one on views of the
 * series (no copy) and their tables appended. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <edb/resample.h>

#include "expr_internal.h"
#include "internal.h"

/* A grid larger than this is a mistake in the options (a 1 us step over a year), not a
 * table anyone wants: refuse it before allocating gigabytes. */
#define MAX_GRID ((size_t)500000000)
#define CLIP_MAXITERS 10
/* A value is held or interpolated across a gap when its samples are more than this many
 * median cadences apart. */
#define GAP_CADENCES 10

static const char *const stat_names[EDB_STAT_N] = {"mean",  "min",   "max",  "median", "std",
                                                    "count", "first", "last", "mode"};

const char *edb_stat_name(edb_stat s)
{
    return (unsigned)s < EDB_STAT_N ? stat_names[s] : "?";
}

int edb_stat_defined(edb_stat s, edb_vtype t)
{
    switch (s) {
    case EDB_STAT_COUNT:
    case EDB_STAT_FIRST:
    case EDB_STAT_LAST:
        return 1;
    case EDB_STAT_MODE:
        return t != EDB_VT_REAL;
    case EDB_STAT_MEAN:
    case EDB_STAT_MIN:
    case EDB_STAT_MAX:
    case EDB_STAT_MEDIAN:
    case EDB_STAT_STD:
        return t != EDB_VT_STRING;
    }
    return 0;
}

edb_status edb_method_parse(const char *s, edb_method *out, edb_err *err)
{
    if (strcmp(s, "hold") == 0)
        *out = EDB_METHOD_HOLD;
    else if (strcmp(s, "linear") == 0)
        *out = EDB_METHOD_LINEAR;
    else if (strcmp(s, "nearest") == 0)
        *out = EDB_METHOD_NEAREST;
    else
        return edb__fail(err, EDB_ERR_USAGE, "unknown method '%s' (known: hold, linear, nearest)",
                         s);
    return EDB_OK;
}

edb_status edb_stats_parse(const char *list, edb_stat out[EDB_STAT_N], size_t *n, edb_err *err)
{
    *n = 0;
    const char *p = list;
    for (;;) {
        size_t len = strcspn(p, ",");
        int found = -1;
        for (int k = 0; k < EDB_STAT_N; k++)
            if (strlen(stat_names[k]) == len && memcmp(stat_names[k], p, len) == 0)
                found = k;
        if (found < 0) {
            char tok[48];
            edb__excerpt(p, len, 30, tok, sizeof tok);
            return edb__fail(err, EDB_ERR_USAGE, "unknown statistic '%s' (known: mean, min, max, "
                             "median, std, count, first, last, mode)", tok);
        }
        for (size_t k = 0; k < *n; k++)
            if (out[k] == (edb_stat)found)
                return edb__fail(err, EDB_ERR_USAGE, "statistic '%s' named twice",
                                 stat_names[found]);
        out[(*n)++] = (edb_stat)found;
        if (!p[len])
            break;
        p += len + 1;
    }
    return EDB_OK;
}

/* ---- small helpers -------------------------------------------------------------------- */

/* Index of the series named name, or n. */
static size_t find_index(const edb_series *const *series, size_t n, const char *name)
{
    for (size_t k = 0; k < n; k++)
        if (series[k] && series[k]->mnemonic && strcmp(series[k]->mnemonic, name) == 0)
            return k;
    return n;
}

static const edb_series *find_series(const edb_series *const *series, size_t n, const char *name)
{
    size_t k = find_index(series, n, name);
    return k < n ? series[k] : NULL;
}

static int is_numeric(const edb_series *s)
{
    return s->vtype == EDB_VT_REAL || s->vtype == EDB_VT_INT;
}

static double num_at(const edb_series *s, size_t j)
{
    return s->vtype == EDB_VT_REAL ? s->d[j] : (double)s->i[j];
}

/* b - a for b >= a, without overflow whatever the times (a hostile store may hold any). */
static int64_t tdiff(edb_time b, edb_time a)
{
    if (b <= a)
        return 0;
    uint64_t d = (uint64_t)b - (uint64_t)a;
    return d > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)d;
}

/* Two samples hold the same value (NaN equals NaN: a NaN run is not a run of changes). */
static int same_value(const edb_series *s, size_t a, size_t b)
{
    switch (s->vtype) {
    case EDB_VT_REAL:
        return s->d[a] == s->d[b] || (isnan(s->d[a]) && isnan(s->d[b]));
    case EDB_VT_INT:
        return s->i[a] == s->i[b];
    case EDB_VT_STRING: {
        size_t la, lb;
        const char *va = edb_series_str(s, a, &la), *vb = edb_series_str(s, b, &lb);
        return la == lb && memcmp(va, vb, la) == 0;
    }
    case EDB_VT_NONE:
        break;
    }
    return 1;
}

/* The column type that sample values of s go into (an empty series has no type yet:
 * its column is REAL and has no values). */
static edb_vtype value_vtype(const edb_series *s)
{
    return s->vtype == EDB_VT_NONE ? EDB_VT_REAL : s->vtype;
}

/* Sample j of s as an expression value (a NaN is a missing value). */
static edb__xval sample_xval(const edb_series *s, size_t j)
{
    edb__xval v = {EDB_VT_NONE, 0, NULL, 0};
    switch (s->vtype) {
    case EDB_VT_REAL:
        if (!isnan(s->d[j])) {
            v.vt = EDB_VT_REAL;
            v.d = s->d[j];
        }
        break;
    case EDB_VT_INT:
        v.vt = EDB_VT_INT;
        v.d = (double)s->i[j];
        break;
    case EDB_VT_STRING:
        v.vt = EDB_VT_STRING;
        v.s = edb_series_str(s, j, &v.len);
        break;
    case EDB_VT_NONE:
        break;
    }
    return v;
}

/* Row r of c gets sample j of s; NaN stays "no value". */
static edb_status put_sample(edb_column *c, size_t nrows, size_t r, const edb_series *s, size_t j)
{
    switch (s->vtype) {
    case EDB_VT_REAL:
        if (!isnan(s->d[j]))
            edb_column_set_real(c, r, s->d[j]);
        return EDB_OK;
    case EDB_VT_INT:
        if (c->vtype == EDB_VT_REAL)
            edb_column_set_real(c, r, (double)s->i[j]);
        else
            edb_column_set_int(c, r, s->i[j]);
        return EDB_OK;
    case EDB_VT_STRING: {
        size_t len;
        const char *v = edb_series_str(s, j, &len);
        return edb_column_set_str(c, nrows, r, v, len);
    }
    case EDB_VT_NONE:
        break;
    }
    return EDB_OK;
}

/* A column for s (and a statistic).  A count has no unit (it counts samples, whatever
 * they measure); every other statistic, the spread included, is in the mnemonic's. */
static edb_status add_column(edb_table *t, const edb_series *s, const char *stat, edb_vtype vt,
                             edb_column **col, edb_err *err)
{
    char name[EDB_MNEMONIC_MAX + 32];
    if (stat)
        snprintf(name, sizeof name, "%s_%s", s->mnemonic, stat);
    else
        snprintf(name, sizeof name, "%s", s->mnemonic);
    const char *unit = stat && strcmp(stat, "count") == 0 ? NULL : s->unit;
    if (edb_table_add_column(t, name, s->mnemonic, stat, vt, col) != EDB_OK ||
        edb_column_set_meta(*col, unit, s->description) != EDB_OK)
        return edb__fail(err, EDB_ERR_NOMEM, "out of memory");
    return EDB_OK;
}

/* A column that is not a mnemonic's (end, end_mjd, the range label). */
static edb_status add_plain_column(edb_table *t, const char *name, edb_vtype vt, const char *unit,
                                   const char *description, edb_column **col, edb_err *err)
{
    if (edb_table_add_column(t, name, name, NULL, vt, col) != EDB_OK ||
        edb_column_set_meta(*col, unit, description) != EDB_OK)
        return edb__fail(err, EDB_ERR_NOMEM, "out of memory");
    return EDB_OK;
}

/* ---- gaps: values held or interpolated across a hole in the samples -------------------- */

typedef struct gapacc {
    int known;          /* cadence computed */
    int64_t cadence;    /* median spacing of the samples (0: fewer than two distinct times) */
    size_t values;      /* grid values across a gap */
    edb_time a, b;      /* the longest such gap */
    int dropped;
} gapacc;

/* Put the k-th smallest of v[0..m) at v[k], smaller ones before it, larger after:
 * Hoare partition around the median of three, O(m) on average. */
static void select_kth(double *v, size_t m, size_t k)
{
    ptrdiff_t lo = 0, hi = (ptrdiff_t)m - 1, kk = (ptrdiff_t)k;
    while (lo < hi) {
        ptrdiff_t mid = lo + (hi - lo) / 2;
        double tmp;
#define SWAP(a, b) (tmp = v[a], v[a] = v[b], v[b] = tmp)
        if (v[mid] < v[lo])
            SWAP(mid, lo);
        if (v[hi] < v[lo])
            SWAP(hi, lo);
        if (v[hi] < v[mid])
            SWAP(hi, mid);
        double pivot = v[mid];
        ptrdiff_t i = lo - 1, j = hi + 1;
        for (;;) {
            do
                i++;
            while (v[i] < pivot);
            do
                j--;
            while (v[j] > pivot);
            if (i >= j)
                break;
            SWAP(i, j);
        }
#undef SWAP
        if (kk <= j)
            hi = j;
        else
            lo = j + 1;
    }
}

/* Median of v[0..m), m > 0; v is reordered.  The mean of the two middle values when m is
 * even, as numpy.median. */
static double median_of(double *v, size_t m)
{
    size_t k = m / 2;
    select_kth(v, m, k);
    double hi = v[k];
    if (m % 2)
        return hi;
    double lo = v[0];
    for (size_t q = 1; q < k; q++)
        if (v[q] > lo)
            lo = v[q];
    return (lo + hi) / 2;
}

/* The median cadence: the median of the positive spacings between s's samples (duplicate
 * times are not a cadence), by selection.  Of a long series only CADENCE_PAIRS spacings,
 * spread evenly over it, are taken: the median of a regular cadence is the same, and the
 * cost stays constant instead of adding a pass with a copy of every spacing to each
 * resampled mnemonic. */
#define CADENCE_PAIRS 10001
static int64_t median_cadence(const edb_series *s)
{
    if (s->n < 2)
        return 0;
    size_t pairs = s->n - 1, take = pairs < CADENCE_PAIRS ? pairs : CADENCE_PAIRS;
    double *d = malloc(take * sizeof *d);
    if (!d)
        return 0; /* no warning rather than a failure: the warning is advice */
    size_t m = 0;
    for (size_t k = 0; k < take; k++) {
        /* pair j = floor(k * pairs / take): all of them when take == pairs */
        size_t j = (size_t)((unsigned long long)k * pairs / take);
        if (s->t[j + 1] > s->t[j])
            d[m++] = (double)tdiff(s->t[j + 1], s->t[j]);
    }
    double med = m ? median_of(d, m) : 0;
    free(d);
    return med >= 9.2e18 ? INT64_MAX : (int64_t)llround(med);
}

static void gap_add(gapacc *g, edb_time a, edb_time b, int dropped)
{
    g->values++;
    g->dropped |= dropped;
    if (g->values == 1 || tdiff(b, a) > tdiff(g->b, g->a)) {
        g->a = a;
        g->b = b;
    }
}

/* A value at x across the gap (a, b), waiting to be told whether x is in the output: values
 * are computed on the whole grid before the conditions pick rows, and only the rows that
 * are written count. */
typedef struct gappend {
    size_t idx; /* the input */
    edb_time x, a, b;
    int dropped;
} gappend;

typedef struct gaplist {
    gappend *v;
    size_t n, cap;
} gaplist;

static void gap_record(gaplist *l, size_t idx, edb_time x, edb_time a, edb_time b, int dropped)
{
    if (!l)
        return;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        gappend *nv = realloc(l->v, cap * sizeof *nv);
        if (!nv)
            return; /* the warning is advice: it never fails a run */
        l->v = nv;
        l->cap = cap;
    }
    gappend g = {idx, x, a, b, dropped};
    l->v[l->n++] = g;
}

/* ---- point values: what a method gives at one time ----------------------------------- */

/* A forward-moving reader of one series at increasing times. */
typedef struct cursor {
    const edb_series *s;
    edb_method m;
    size_t j;         /* first sample after the last time asked */
    int64_t max_gap;  /* 0: none */
    int64_t limit;    /* > 0: record values across gaps longer than this */
    gaplist *acc;     /* where to record them; NULL: not recorded */
    size_t idx;       /* the input s is */
} cursor;

typedef struct pval {
    int kind; /* 0 no value, 1 sample k, 2 the number v */
    size_t k;
    double v;
} pval;

static inline pval point_at(cursor *c, edb_time x)
{
    const edb_series *s = c->s;
    const size_t n = s->n;
    const edb_time *t = s->t;
    pval none = {0, 0, 0};
    /* The hot loop of every point column: the cursor in a register, not in memory. */
    size_t jj = c->j;
    while (jj < n && t[jj] <= x)
        jj++;
    c->j = jj;
    const size_t j = jj;
    const int64_t gap = c->max_gap;
    switch (c->m) {
    case EDB_METHOD_HOLD: {
        if (j == 0)
            return none;
        edb_time a = s->t[j - 1];
        pval v = {1, j - 1, 0};
        if (a == x)
            return v;
        edb_time b = j < n ? s->t[j] : x;
        if (gap > 0 && tdiff(x, a) > gap) {
            gap_record(c->acc, c->idx, x, a, b, 1);
            return none;
        }
        if (c->limit > 0 && tdiff(b, a) > c->limit)
            gap_record(c->acc, c->idx, x, a, b, 0);
        return v;
    }
    case EDB_METHOD_NEAREST: {
        if (n == 0)
            return none;
        size_t k;
        edb_time a, b;
        if (j == 0) {
            k = 0;
            a = x;
            b = s->t[0];
        } else if (j == n) {
            k = j - 1;
            a = s->t[j - 1];
            b = x;
        } else {
            a = s->t[j - 1];
            b = s->t[j];
            k = tdiff(x, a) <= tdiff(b, x) ? j - 1 : j; /* a tie goes to the earlier */
        }
        pval v = {1, k, 0};
        if (s->t[k] == x)
            return v;
        int64_t dist = x > s->t[k] ? tdiff(x, s->t[k]) : tdiff(s->t[k], x);
        if (gap > 0 && dist > gap) {
            gap_record(c->acc, c->idx, x, a, b, 1);
            return none;
        }
        if (c->limit > 0 && tdiff(b, a) > c->limit)
            gap_record(c->acc, c->idx, x, a, b, 0);
        return v;
    }
    case EDB_METHOD_LINEAR: {
        if (j > 0 && s->t[j - 1] == x) {
            pval v = {2, 0, num_at(s, j - 1)};
            return v;
        }
        if (j == 0 || j == n)
            return none;
        edb_time a = s->t[j - 1], b = s->t[j];
        if (gap > 0 && tdiff(b, a) > gap) {
            gap_record(c->acc, c->idx, x, a, b, 1);
            return none;
        }
        if (c->limit > 0 && tdiff(b, a) > c->limit)
            gap_record(c->acc, c->idx, x, a, b, 0);
        double va = num_at(s, j - 1), vb = num_at(s, j);
        double w = (double)tdiff(x, a) / (double)tdiff(b, a);
        pval v = {2, 0, va + w * (vb - va)};
        return v;
    }
    case EDB_METHOD_AUTO:
        break;
    }
    return none;
}

static edb__xval pval_xval(const cursor *c, pval p)
{
    edb__xval v = {EDB_VT_NONE, 0, NULL, 0};
    if (p.kind == 1)
        return sample_xval(c->s, p.k);
    if (p.kind == 2 && !isnan(p.v)) {
        v.vt = EDB_VT_REAL;
        v.d = p.v;
    }
    return v;
}

/* ---- conditions: the spans of time in which every one holds --------------------------- */

typedef struct span {
    edb_time a, b; /* [a, b) */
} span;

typedef struct spans {
    span *v;
    size_t n, cap;
    size_t p; /* forward-moving cursor for in_spans */
} spans;

static int spans_push(spans *sp, edb_time a, edb_time b)
{
    if (sp->n == sp->cap) {
        size_t cap = sp->cap ? sp->cap * 2 : 16;
        span *nv = realloc(sp->v, cap * sizeof *nv);
        if (!nv)
            return -1;
        sp->v = nv;
        sp->cap = cap;
    }
    sp->v[sp->n].a = a;
    sp->v[sp->n].b = b;
    sp->n++;
    return 0;
}

/* Is t inside a span?  Calls must come with non-decreasing t (sp->p moves forward). */
static int in_spans(spans *sp, edb_time t)
{
    while (sp->p < sp->n && sp->v[sp->p].b <= t)
        sp->p++;
    return sp->p < sp->n && sp->v[sp->p].a <= t;
}

/* How much of [x, y) lies inside the spans (all of it without conditions).  x must not
 * decrease from one call to the next. */
static int64_t span_measure(const spans *sp, int have, size_t *p, edb_time x, edb_time y)
{
    if (!have)
        return tdiff(y, x);
    while (*p < sp->n && sp->v[*p].b <= x)
        (*p)++;
    int64_t m = 0;
    for (size_t q = *p; q < sp->n && sp->v[q].a < y; q++) {
        edb_time a = sp->v[q].a > x ? sp->v[q].a : x;
        edb_time b = sp->v[q].b < y ? sp->v[q].b : y;
        if (b > a)
            m += tdiff(b, a);
    }
    return m;
}

/* Is t inside a span?  Any order of calls (a binary search). */
static int span_contains(const spans *sp, edb_time t)
{
    size_t lo = 0, hi = sp->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (sp->v[mid].b <= t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < sp->n && sp->v[lo].a <= t;
}

/* ---- the common set-up ------------------------------------------------------------------ */

/* One call of edb_resample (or edb_filter): what its ranges share. */
typedef struct ctx {
    const edb_resample_spec *spec;
    const edb_series *const *series; /* the inputs as given */
    size_t n;
    gapacc *gaps;                     /* per input, across ranges */
    int check_only;                   /* edb_resample_check: no rows, only the refusals */
} ctx;

/* One derived column being computed. */
typedef struct dexpr {
    const edb_expr *e;
    size_t *in;        /* per name: the input it reads, or n when a derived column */
    size_t *der;       /* per name: the derived column it reads (when in[] is n) */
    edb__xval *vals;   /* per name: scratch for one evaluation */
} dexpr;

/* One range. */
typedef struct job {
    ctx *cx;
    const edb_resample_spec *spec;
    edb_time start, end;
    const edb_series *const *in; /* the inputs for this range (the series or views of them) */
    size_t n;
    size_t nout;
    const edb_series **out;      /* output mnemonics, in column order */
    size_t *out_idx;             /* their index among the inputs */
    edb_series **owned;          /* --changes copies, freed at the end */
    size_t nder;
    edb_series **der;            /* derived series, in --expr order (owned) */
    dexpr *dx;
    spans sp;
    int have_spans;
    edb_resample_info info;
    gaplist pend;                /* values across gaps, until the output rows are known */
} job;

static void job_free(job *jb)
{
    if (jb->owned)
        edb_series_list_free(jb->owned, jb->nout);
    if (jb->der)
        edb_series_list_free(jb->der, jb->spec->n_exprs);
    if (jb->dx)
        for (size_t k = 0; k < jb->spec->n_exprs; k++) {
            free(jb->dx[k].in);
            free(jb->dx[k].der);
            free(jb->dx[k].vals);
        }
    free(jb->dx);
    free(jb->out);
    free(jb->out_idx);
    free(jb->sp.v);
    free(jb->pend.v);
}

/* The derived column named name among the first upto, or upto. */
static size_t find_derived(const job *jb, const char *name, size_t upto)
{
    for (size_t k = 0; k < upto; k++)
        if (strcmp(edb_expr_name(jb->spec->exprs[k]), name) == 0)
            return k;
    return upto;
}

/* A cursor on input idx (or, idx == n, on a series of our own, never gap-checked). */
static void cursor_init(cursor *c, job *jb, const edb_series *s, size_t idx, edb_method m)
{
    memset(c, 0, sizeof *c);
    c->s = s;
    c->m = m;
    c->max_gap = jb->spec->max_gap_us;
    /* Gaps are judged on the samples as fetched; after --changes every value is meant to
     * be held until the next change, and so is a change-only mnemonic's. */
    if (idx >= jb->n || jb->cx->check_only || jb->spec->changes)
        return;
    gapacc *g = &jb->cx->gaps[idx];
    c->acc = &jb->pend;
    c->idx = idx;
    if (c->max_gap > 0)
        return;
    if (s->all_points == 0)
        return;
    if (!g->known) {
        g->cadence = median_cadence(jb->cx->series[idx]);
        g->known = 1;
    }
    c->limit = g->cadence > INT64_MAX / GAP_CADENCES ? INT64_MAX : g->cadence * GAP_CADENCES;
}

static edb_method resolve_method(const edb_resample_spec *sp, const edb_series *s)
{
    edb_method m = sp->method;
    if (m == EDB_METHOD_AUTO)
        /* Change-only data stays at a value until the next sample says otherwise: a line
         * between two changes would invent values the mnemonic never had. */
        m = (sp->align || s->vtype != EDB_VT_REAL || s->all_points == 0) ? EDB_METHOD_HOLD
                                                                         : EDB_METHOD_LINEAR;
    if (m == EDB_METHOD_LINEAR && s->vtype == EDB_VT_STRING)
        m = EDB_METHOD_HOLD; /* a state name cannot be interpolated: it holds until it changes */
    return m;
}

/* A source of values for conditions: an input or a derived column. */
static const edb_series *source(const job *jb, const char *name)
{
    const edb_series *s = find_series(jb->in, jb->n, name);
    if (!s && jb->der) {
        size_t k = find_derived(jb, name, jb->spec->n_exprs);
        if (k < jb->spec->n_exprs)
            s = jb->der[k];
    }
    return s;
}

/* Each condition is a step function of time (each name holds its last sample until the
 * next, and has no value before its first); walk the samples of all their names in one
 * merge and keep the times at which every condition is true. */
static edb_status build_spans(job *jb, edb_err *err)
{
    const edb_resample_spec *sp = jb->spec;
    size_t nref = 0;
    for (size_t w = 0; w < sp->n_where; w++)
        nref += edb_expr_ref_count(sp->where[w]);
    const edb_series **src = calloc(nref ? nref : 1, sizeof *src); /* per (condition, name) */
    size_t *j = calloc(nref ? nref : 1, sizeof *j);
    edb__xval *vals = calloc(nref ? nref : 1, sizeof *vals);
    edb_vtype *types = calloc(nref ? nref : 1, sizeof *types);
    edb_status st = EDB_OK;
    if (!src || !j || !vals || !types)
        st = edb__fail(err, EDB_ERR_NOMEM, "out of memory");
    for (size_t w = 0, o = 0; st == EDB_OK && w < sp->n_where; w++) {
        const edb_expr *e = sp->where[w];
        size_t base = o;
        for (size_t r = 0; st == EDB_OK && r < edb_expr_ref_count(e); r++, o++) {
            src[o] = source(jb, edb_expr_ref(e, r));
            if (!src[o])
                st = edb__fail(err, EDB_ERR_USAGE, "--where '%s': %s was not fetched",
                               edb_expr_text(e), edb_expr_ref(e, r));
            else
                types[o] = src[o]->vtype;
        }
        if (st == EDB_OK)
            st = edb__expr_check(e, types + base, "--where", err);
    }
    int was = 0;
    edb_time since = 0;
    while (st == EDB_OK) {
        int any = 0;
        edb_time tau = 0;
        for (size_t c = 0; c < nref; c++)
            if (j[c] < src[c]->n && (!any || src[c]->t[j[c]] < tau)) {
                tau = src[c]->t[j[c]];
                any = 1;
            }
        if (!any)
            break;
        for (size_t c = 0; c < nref; c++) {
            if (j[c] >= src[c]->n || src[c]->t[j[c]] != tau)
                continue;
            while (j[c] < src[c]->n && src[c]->t[j[c]] <= tau)
                j[c]++;
            vals[c] = sample_xval(src[c], j[c] - 1);
        }
        int all = 1;
        for (size_t w = 0, o = 0; w < sp->n_where; o += edb_expr_ref_count(sp->where[w]), w++)
            if (all && edb__expr_truth(sp->where[w], vals + o) != 1)
                all = 0;
        if (all && !was)
            since = tau;
        else if (!all && was && spans_push(&jb->sp, since, tau) != 0)
            st = edb__fail(err, EDB_ERR_NOMEM, "out of memory");
        was = all;
    }
    if (st == EDB_OK && was && spans_push(&jb->sp, since, EDB_TIME_MAX) != 0)
        st = edb__fail(err, EDB_ERR_NOMEM, "out of memory");
    free(src);
    free(j);
    free(vals);
    free(types);
    if (st == EDB_OK)
        jb->have_spans = 1;
    return st;
}

/* ---- --changes ------------------------------------------------------------------------ */

/* A copy of the samples of s in [lo, hi] (and, with changes, only those whose value differs
 * from the sample before; the first one in [lo, hi] is always kept).  With sp, only the
 * samples at times when the conditions hold. */
static edb_status copy_filtered(const edb_series *s, edb_time lo, edb_time hi, int changes,
                                spans *sp, edb_series **out, edb_resample_info *info,
                                edb_err *err)
{
    edb_series *d = NULL;
    if (edb_series_new(&d, s->mnemonic) != EDB_OK ||
        edb_series_set_meta(d, s->unit, s->description) != EDB_OK ||
        (s->vtype != EDB_VT_NONE && edb_series_set_type(d, s->vtype) != EDB_OK)) {
        edb_series_free(d);
        return edb__fail(err, EDB_ERR_NOMEM, "out of memory");
    }
    memcpy(d->sqltype, s->sqltype, sizeof d->sqltype);
    d->all_points = s->all_points;
    if (sp)
        sp->p = 0;
    int first = 1;
    for (size_t j = 0; j < s->n; j++) {
        if (s->t[j] < lo || s->t[j] > hi)
            continue;
        int keep = !changes || first || !same_value(s, j - 1, j);
        first = 0;
        if (keep && sp) {
            info->where_tested++;
            keep = in_spans(sp, s->t[j]);
            info->where_kept += (size_t)keep;
        }
        if (keep && edb_series_push_from(d, s, j) != EDB_OK) {
            edb_series_free(d);
            return edb__fail(err, EDB_ERR_NOMEM, "out of memory");
        }
    }
    *out = d;
    return EDB_OK;
}

void edb_series_list_free(edb_series **list, size_t n)
{
    if (!list)
        return;
    for (size_t k = 0; k < n; k++)
        edb_series_free(list[k]);
    free(list);
}

/* reduce: apply --changes to the output series now (for grids and rows; raw samples are
 * reduced inside the range instead, so that the first sample in it is always kept). */
static edb_status job_init(job *jb, ctx *cx, const edb_series *const *in, edb_time start,
                           edb_time end, int reduce, edb_err *err)
{
    const edb_resample_spec *spec = cx->spec;
    memset(jb, 0, sizeof *jb);
    jb->cx = cx;
    jb->spec = spec;
    jb->in = in;
    jb->n = cx->n;
    jb->start = start;
    jb->end = end;
    if (end < start)
        return edb__fail(err, EDB_ERR_USAGE, "the end of the range is before its start");
    jb->nout = spec->columns ? spec->n_columns : cx->n;
    jb->out = calloc(jb->nout ? jb->nout : 1, sizeof *jb->out);
    jb->out_idx = calloc(jb->nout ? jb->nout : 1, sizeof *jb->out_idx);
    if (!jb->out || !jb->out_idx)
        return edb__fail(err, EDB_ERR_NOMEM, "out of memory");
    for (size_t k = 0; k < jb->nout; k++) {
        jb->out_idx[k] = spec->columns ? find_index(in, cx->n, spec->columns[k]) : k;
        if (jb->out_idx[k] >= cx->n)
            return edb__fail(err, EDB_ERR_USAGE, "%s was not fetched", spec->columns[k]);
        jb->out[k] = in[jb->out_idx[k]];
    }
    if (spec->changes && reduce) {
        if (!(jb->owned = calloc(jb->nout ? jb->nout : 1, sizeof *jb->owned)))
            return edb__fail(err, EDB_ERR_NOMEM, "out of memory");
        edb_resample_info dummy;
        for (size_t k = 0; k < jb->nout; k++) {
            edb_status st = copy_filtered(jb->out[k], EDB_TIME_MIN, EDB_TIME_MAX, 1, NULL,
                                          &jb->owned[k], &dummy, err);
            if (st != EDB_OK)
                return st;
            jb->out[k] = jb->owned[k];
        }
    }
    return EDB_OK;
}

/* ---- grids ---------------------------------------------------------------------------- */

static int cmp_time(const void *a, const void *b)
{
    edb_time x = *(const edb_time *)a, y = *(const edb_time *)b;
    return (x > y) - (x < y);
}

/* Times in [start, end] of the union of the series' samples, each distinct time once. */
static edb_status union_times(const edb_series *const *ss, size_t ns, edb_time start,
                              edb_time end, edb_time **g, size_t *G, edb_err *err)
{
    size_t total = 0;
    for (size_t k = 0; k < ns; k++)
        total += ss[k]->n;
    size_t *j = calloc(ns ? ns : 1, sizeof *j);
    edb_time *v = malloc((total ? total : 1) * sizeof *v);
    if (!j || !v) {
        free(j);
        free(v);
        return edb__fail(err, EDB_ERR_NOMEM, "out of memory");
    }
    for (size_t k = 0; k < ns; k++)
        j[k] = edb_series_lower_bound(ss[k], start);
    size_t m = 0;
    for (;;) {
        int any = 0;
        edb_time tau = 0;
        for (size_t k = 0; k < ns; k++)
            if (j[k] < ss[k]->n && ss[k]->t[j[k]] <= end && (!any || ss[k]->t[j[k]] < tau)) {
                tau = ss[k]->t[j[k]];
                any = 1;
            }
        if (!any)
            break;
        v[m++] = tau;
        for (size_t k = 0; k < ns; k++)
            while (j[k] < ss[k]->n && ss[k]->t[j[k]] == tau)
                j[k]++;
    }
    free(j);
    *g = v;
    *G = m;
    return EDB_OK;
}

/* The grid times; for statistics (bins), only the times that start a bin inside
 * [start, end]: a bin starting exactly at END would hold one instant, so it is folded
 * into the bin before (whose last bin is closed at END, as numpy.histogram's last bin is).
 * Checking only, the grid is validated but has no rows. */
static edb_status build_grid(const job *jb, int bins, edb_time **g, size_t *G, int64_t *step,
                             edb_err *err)
{
    const edb_resample_spec *sp = jb->spec;
    const int check = jb->cx->check_only;
    *g = NULL;
    *G = 0;
    *step = 0;
    switch (sp->grid) {
    case EDB_GRID_EVERY: {
        if (sp->every_us <= 0)
            return edb__fail(err, EDB_ERR_USAGE, "the grid step must be positive");
        edb_time t0 = sp->align_us > 0 ? edb_time_floor(jb->start, sp->align_us) : jb->start;
        uint64_t span_us = (uint64_t)jb->end - (uint64_t)t0;
        uint64_t cnt = bins ? (span_us ? (span_us - 1) / (uint64_t)sp->every_us + 1 : 1)
                            : span_us / (uint64_t)sp->every_us + 1;
        if (cnt > MAX_GRID) {
            char d[64];
            edb_duration_format(sp->every_us, d, sizeof d);
            return edb__fail(err, EDB_ERR_USAGE, "a grid step of %s makes %llu rows over this "
                             "range (at most %zu): choose a longer step or a shorter range", d,
                             (unsigned long long)cnt, MAX_GRID);
        }
        *step = sp->every_us;
        if (check)
            cnt = 0;
        edb_time *v = malloc((cnt ? (size_t)cnt : 1) * sizeof *v);
        if (!v)
            return edb__fail(err, EDB_ERR_NOMEM, "out of memory");
        for (size_t k = 0; k < (size_t)cnt; k++)
            v[k] = t0 + (edb_time)k * sp->every_us;
        *g = v;
        *G = (size_t)cnt;
        return EDB_OK;
    }
    case EDB_GRID_TIMES: {
        edb_time *v = malloc((sp->n_times ? sp->n_times : 1) * sizeof *v);
        if (!v)
            return edb__fail(err, EDB_ERR_NOMEM, "out of memory");
        if (sp->n_times)
            memcpy(v, sp->times, sp->n_times * sizeof *v);
        int sorted = 1;
        for (size_t k = 0; k < sp->n_times; k++) {
            if (v[k] < jb->start || v[k] > jb->end) {
                char a[EDB_TIME_STRLEN];
                edb_time_format_iso_us(v[k], a, sizeof a);
                free(v);
                return edb__fail(err, EDB_ERR_USAGE, "grid time %s is outside the range of the "
                                 "query: widen --start/--end to cover it", a);
            }
            if (k && v[k] < v[k - 1])
                sorted = 0;
        }
        if (!sorted)
            qsort(v, sp->n_times, sizeof *v, cmp_time);
        *g = v;
        *G = check ? 0 : sp->n_times;
        return EDB_OK;
    }
    case EDB_GRID_ON: {
        const edb_series *on = sp->on ? find_series(jb->in, jb->n, sp->on) : NULL;
        if (!on)
            return edb__fail(err, EDB_ERR_USAGE, "%s (the grid mnemonic) was not fetched",
                             sp->on ? sp->on : "(none)");
        return union_times(&on, 1, jb->start, jb->end, g, G, err);
    }
    case EDB_GRID_UNION:
        return union_times(jb->out, jb->nout, jb->start, jb->end, g, G, err);
    case EDB_GRID_NONE:
        break;
    }
    return edb__fail(err, EDB_ERR_USAGE, "no grid: use edb_filter for raw samples");
}

/* ---- derived columns ------------------------------------------------------------------ */

/* Derived column k at the current time: the values of the inputs it reads (directly or
 * through earlier derived columns) are in by_input. */
static double eval_derived(job *jb, size_t k, const edb__xval *by_input)
{
    dexpr *d = &jb->dx[k];
    for (size_t r = 0; r < edb_expr_ref_count(d->e); r++) {
        if (d->in[r] < jb->n) {
            d->vals[r] = by_input[d->in[r]];
        } else {
            double v = eval_derived(jb, d->der[r], by_input);
            edb__xval x = {isnan(v) ? EDB_VT_NONE : EDB_VT_REAL, v, NULL, 0};
            d->vals[r] = x;
        }
    }
    return edb__expr_value(d->e, d->vals);
}

/* Resolve the names of derived column k, check their types, and mark in uses[] the inputs
 * it reads, directly or not. */
static edb_status prepare_derived(job *jb, size_t k, unsigned char *uses, edb_err *err)
{
    const edb_expr *e = jb->spec->exprs[k];
    const char *name = edb_expr_name(e);
    if (!name)
        return edb__fail(err, EDB_ERR_USAGE, "'%s' is not a definition (NAME = ...)",
                         edb_expr_text(e));
    if (find_index(jb->in, jb->n, name) < jb->n)
        return edb__fail(err, EDB_ERR_USAGE, "--expr '%s': %s is also the name of a mnemonic "
                         "this query reads: give the derived column another name, and define "
                         "a column before using it", edb_expr_text(e), name);
    if (find_derived(jb, name, k) < k)
        return edb__fail(err, EDB_ERR_USAGE, "--expr '%s': %s is defined twice",
                         edb_expr_text(e), name);
    size_t nr = edb_expr_ref_count(e);
    dexpr *d = &jb->dx[k];
    d->e = e;
    d->in = calloc(nr ? nr : 1, sizeof *d->in);
    d->der = calloc(nr ? nr : 1, sizeof *d->der);
    d->vals = calloc(nr ? nr : 1, sizeof *d->vals);
    edb_vtype *types = calloc(nr ? nr : 1, sizeof *types);
    const char **units = calloc(nr ? nr : 1, sizeof *units);
    edb_status st = EDB_OK;
    if (!d->in || !d->der || !d->vals || !types || !units)
        st = edb__fail(err, EDB_ERR_NOMEM, "out of memory");
    for (size_t r = 0; st == EDB_OK && r < nr; r++) {
        const char *ref = edb_expr_ref(e, r);
        d->in[r] = find_index(jb->in, jb->n, ref);
        if (d->in[r] < jb->n) {
            types[r] = jb->in[d->in[r]]->vtype;
            units[r] = jb->in[d->in[r]]->unit;
            uses[d->in[r]] = 1;
            continue;
        }
        d->der[r] = find_derived(jb, ref, k);
        if (d->der[r] >= k) {
            st = edb__fail(err, EDB_ERR_USAGE, "--expr '%s': %s was not fetched",
                           edb_expr_text(e), ref);
            break;
        }
        types[r] = EDB_VT_REAL;
        units[r] = jb->der[d->der[r]]->unit;
        /* What an earlier column reads, this one reads too. */
        for (size_t i = 0; i < jb->n; i++)
            uses[i] |= uses[jb->n + d->der[r] * jb->n + i];
    }
    if (st == EDB_OK)
        st = edb__expr_check(e, types, "--expr", err);
    edb_series *s = NULL;
    char *unit = NULL;
    if (st == EDB_OK) {
        unit = edb__expr_unit(e, units);
        if (edb_series_new(&s, name) != EDB_OK || edb_series_set_type(s, EDB_VT_REAL) != EDB_OK ||
            edb_series_set_meta(s, unit, edb_expr_formula(e)) != EDB_OK)
            st = edb__fail(err, EDB_ERR_NOMEM, "out of memory");
        if (s)
            s->all_points = 1;
    }
    free(unit);
    free(types);
    free(units);
    if (st != EDB_OK) {
        edb_series_free(s);
        return st;
    }
    jb->der[k] = s;
    return EDB_OK;
}

/* The derived columns as series: at the grid times (points), or, for bin statistics, at
 * the sample times of the inputs each reads inside the range plus the last one before and
 * the first one after it (so that a time-weighted bin knows the value carried in). */
static edb_status derive(job *jb, int bins, const edb_time *g, size_t G, edb_err *err)
{
    const size_t ne = jb->spec->n_exprs, n = jb->n;
    jb->nder = ne;
    jb->der = calloc(ne, sizeof *jb->der);
    jb->dx = calloc(ne, sizeof *jb->dx);
    /* uses[n + k*n + i]: derived column k reads input i; uses[0..n) is scratch */
    unsigned char *uses = calloc(n + ne * n + 1, 1);
    cursor *cur = calloc(n ? n : 1, sizeof *cur);
    edb__xval *by_input = calloc(n ? n : 1, sizeof *by_input);
    const edb_series **ins = calloc(n ? n : 1, sizeof *ins);
    edb_status st = EDB_OK;
    if (!jb->der || !jb->dx || !uses || !cur || !by_input || !ins)
        st = edb__fail(err, EDB_ERR_NOMEM, "out of memory");
    for (size_t k = 0; st == EDB_OK && k < ne; k++) {
        memset(uses, 0, n);
        st = prepare_derived(jb, k, uses, err);
        if (st != EDB_OK)
            break;
        memcpy(uses + n + k * n, uses, n);
        /* The times of evaluation. */
        edb_time *tv = NULL;
        size_t nt = 0;
        if (!bins) {
            tv = (edb_time *)g;
            nt = G;
        } else {
            size_t m = 0;
            edb_time before = EDB_TIME_MIN, after = EDB_TIME_MAX;
            int has_before = 0, has_after = 0;
            for (size_t i = 0; i < n; i++) {
                if (!uses[i])
                    continue;
                const edb_series *s = jb->in[i];
                ins[m++] = s;
                size_t lb = edb_series_lower_bound(s, jb->start);
                size_t ub = edb_series_upper_bound(s, jb->end);
                if (lb > 0 && (!has_before || s->t[lb - 1] > before)) {
                    before = s->t[lb - 1];
                    has_before = 1;
                }
                if (ub < s->n && (!has_after || s->t[ub] < after)) {
                    after = s->t[ub];
                    has_after = 1;
                }
            }
            edb_time *u = NULL;
            size_t nu = 0;
            st = union_times(ins, m, jb->start, jb->end, &u, &nu, err);
            if (st != EDB_OK)
                break;
            if (jb->cx->check_only)
                nu = has_before = has_after = 0;
            tv = malloc((nu + 2) * sizeof *tv);
            if (!tv) {
                free(u);
                st = edb__fail(err, EDB_ERR_NOMEM, "out of memory");
                break;
            }
            if (has_before)
                tv[nt++] = before;
            if (nu)
                memcpy(tv + nt, u, nu * sizeof *u);
            nt += nu;
            if (has_after)
                tv[nt++] = after;
            free(u);
        }
        for (size_t i = 0; i < n; i++)
            if (uses[i])
                cursor_init(&cur[i], jb, jb->in[i], i, resolve_method(jb->spec, jb->in[i]));
        edb_series *ds = jb->der[k];
        for (size_t r = 0; r < nt && st == EDB_OK; r++) {
            for (size_t i = 0; i < n; i++)
                if (uses[i])
                    by_input[i] = pval_xval(&cur[i], point_at(&cur[i], tv[r]));
            if (edb_series_push_real(ds, tv[r], eval_derived(jb, k, by_input)) != EDB_OK)
                st = edb__fail(err, EDB_ERR_NOMEM, "out of memory");
        }
        if (bins)
            free(tv);
    }
    free(uses);
    free(cur);
    free(by_input);
    free(ins);
    return st;
}

/* ---- point methods -------------------------------------------------------------------- */

/* The column of s at the table's times.  idx: s's index among the inputs, for the gap
 * check (n for a series of our own). */
static edb_status point_column(job *jb, edb_table *t, const edb_series *s, size_t idx,
                               edb_method m, edb_err *err)
{
    edb_column *c;
    edb_vtype vt = m == EDB_METHOD_LINEAR ? EDB_VT_REAL : value_vtype(s);
    edb_status st = add_column(t, s, NULL, vt, &c, err);
    if (st != EDB_OK)
        return st;
    cursor cur;
    cursor_init(&cur, jb, s, idx, m);
    for (size_t r = 0; r < t->nrows && st == EDB_OK; r++) {
        pval p = point_at(&cur, t->t[r]);
        if (p.kind == 1)
            st = put_sample(c, t->nrows, r, s, p.k);
        else if (p.kind == 2 && !isnan(p.v))
            edb_column_set_real(c, r, p.v);
    }
    if (st != EDB_OK)
        return edb__fail(err, st, "out of memory");
    return EDB_OK;
}

/* ---- statistics ----------------------------------------------------------------------- */

/* The rows of a statistics table: row r takes the samples in [lo[r], hi[r]) ([lo, hi]
 * when closed[r]); rows are in time order and do not overlap.  Bins are given by their
 * grid alone (bins[r] to bins[r + 1], the last closed at the range's end), without
 * arrays of bounds for a million bins. */
typedef struct rowset {
    size_t n;
    edb_time *lo, *hi;
    unsigned char *closed;
    const edb_time *bins;
} rowset;

static void row_bounds(const rowset *rs, size_t r, edb_time end, edb_time *lo, edb_time *hi,
                       int *closed)
{
    if (rs->bins) {
        *lo = rs->bins[r];
        *closed = r + 1 == rs->n;
        *hi = *closed ? end : rs->bins[r + 1];
        return;
    }
    *lo = rs->lo[r];
    *hi = rs->hi[r];
    *closed = rs->closed[r];
}

static void rowset_free(rowset *rs)
{
    free(rs->lo);
    free(rs->hi);
    free(rs->closed);
    memset(rs, 0, sizeof *rs);
}

static int rowset_push(rowset *rs, size_t *cap, edb_time lo, edb_time hi, int closed)
{
    if (rs->n == *cap) {
        size_t nc = *cap ? *cap * 2 : 16;
        edb_time *a = realloc(rs->lo, nc * sizeof *a);
        if (a)
            rs->lo = a;
        edb_time *b = realloc(rs->hi, nc * sizeof *b);
        if (b)
            rs->hi = b;
        unsigned char *c = realloc(rs->closed, nc);
        if (c)
            rs->closed = c;
        if (!a || !b || !c)
            return -1;
        *cap = nc;
    }
    rs->lo[rs->n] = lo;
    rs->hi[rs->n] = hi;
    rs->closed[rs->n] = (unsigned char)closed;
    rs->n++;
    return 0;
}

/* Scratch space for one row, grown to the largest row seen. */
typedef struct strref {
    const char *s;
    size_t len, idx;
} strref;

typedef struct scratch {
    double *x, *z;
    size_t *idx;
    int64_t *iv;
    strref *sv;
    size_t cap;
} scratch;

static void scratch_free(scratch *s)
{
    free(s->x);
    free(s->z);
    free(s->idx);
    free(s->iv);
    free(s->sv);
}

static int scratch_reserve(scratch *s, size_t m)
{
    if (m <= s->cap)
        return 0;
    size_t cap = s->cap ? s->cap : 64;
    while (cap < m)
        cap *= 2;
    double *x = realloc(s->x, cap * sizeof *x);
    if (x)
        s->x = x;
    double *z = realloc(s->z, cap * sizeof *z);
    if (z)
        s->z = z;
    size_t *idx = realloc(s->idx, cap * sizeof *idx);
    if (idx)
        s->idx = idx;
    int64_t *iv = realloc(s->iv, cap * sizeof *iv);
    if (iv)
        s->iv = iv;
    strref *sv = realloc(s->sv, cap * sizeof *sv);
    if (sv)
        s->sv = sv;
    if (!x || !z || !idx || !iv || !sv)
        return -1;
    s->cap = cap;
    return 0;
}

/* astropy.stats.sigma_clip with cenfunc median, stdfunc std (ddof 0), sigma for both
 * sides: iterate on the values still in, until a round clips nothing or after 10 rounds;
 * then a value is kept iff it lies in the last bounds [median - s*std, median + s*std]
 * (astropy applies the final bounds to all the data, so a value clipped early can return). */
static void clip_bounds(double *z, size_t m, double sigma, double *lo, double *hi)
{
    *lo = -INFINITY;
    *hi = INFINITY;
    for (int it = 0; it < CLIP_MAXITERS && m > 0; it++) {
        double med = median_of(z, m);
        double sum = 0;
        for (size_t q = 0; q < m; q++)
            sum += z[q];
        double mean = sum / (double)m, ss = 0;
        for (size_t q = 0; q < m; q++)
            ss += (z[q] - mean) * (z[q] - mean);
        double sd = sqrt(ss / (double)m);
        *lo = med - sigma * sd;
        *hi = med + sigma * sd;
        size_t nn = 0;
        for (size_t q = 0; q < m; q++)
            if (z[q] >= *lo && z[q] <= *hi)
                z[nn++] = z[q];
        if (nn == m)
            break;
        m = nn;
    }
}

static int cmp_i64(const void *pa, const void *pb)
{
    int64_t x = *(const int64_t *)pa, y = *(const int64_t *)pb;
    return (x > y) - (x < y);
}

static int cmp_strref(const void *pa, const void *pb)
{
    const strref *a = pa, *b = pb;
    size_t n = a->len < b->len ? a->len : b->len;
    int c = n ? memcmp(a->s, b->s, n) : 0;
    if (c)
        return c;
    return (a->len > b->len) - (a->len < b->len);
}

/* The index (into s) of the mode of the m kept samples sc->idx[0..m): the value seen most
 * often, the smallest of those seen equally often (scipy.stats.mode's rule); integers by
 * value, strings bytewise. */
static size_t mode_of(const edb_series *s, scratch *sc, size_t m)
{
    size_t best = sc->idx[0], bestn = 0;
    if (s->vtype == EDB_VT_INT) {
        for (size_t q = 0; q < m; q++)
            sc->iv[q] = s->i[sc->idx[q]];
        qsort(sc->iv, m, sizeof *sc->iv, cmp_i64);
        int64_t bv = sc->iv[0];
        for (size_t q = 0; q < m;) {
            size_t e = q;
            while (e < m && sc->iv[e] == sc->iv[q])
                e++;
            if (e - q > bestn) {
                bestn = e - q;
                bv = sc->iv[q];
            }
            q = e;
        }
        for (size_t q = 0; q < m; q++)
            if (s->i[sc->idx[q]] == bv)
                return sc->idx[q];
        return best;
    }
    for (size_t q = 0; q < m; q++) {
        sc->sv[q].s = edb_series_str(s, sc->idx[q], &sc->sv[q].len);
        sc->sv[q].idx = sc->idx[q];
    }
    qsort(sc->sv, m, sizeof *sc->sv, cmp_strref);
    for (size_t q = 0; q < m;) {
        size_t e = q;
        while (e < m && cmp_strref(&sc->sv[e], &sc->sv[q]) == 0)
            e++;
        if (e - q > bestn) {
            bestn = e - q;
            best = sc->sv[q].idx;
        }
        q = e;
    }
    return best;
}

/* Time-weighted mean and std (ddof 0: a weight is a duration, not a count) over
 * [a, b): each value counts for the time it held there, the one in force at a included;
 * NaN values and the time outside the conditions' spans do not count. */
static void weighted_bin(const edb_series *s, size_t *wp, const job *jb, size_t *sp_p,
                         edb_time a, edb_time b, int *ok, double *mean, double *sd)
{
    *ok = 0;
    const size_t n = s->n;
    while (*wp < n && s->t[*wp] <= a)
        (*wp)++;
    size_t first = *wp > 0 ? *wp - 1 : *wp;
    double wsum = 0, sum = 0;
    size_t p0 = *sp_p;
    for (int pass = 0; pass < 2; pass++) {
        size_t p = p0;
        double m = pass ? sum / wsum : 0, ss = 0;
        for (size_t i = first; i < n && s->t[i] < b; i++) {
            edb_time x0 = s->t[i] > a ? s->t[i] : a;
            edb_time x1 = (i + 1 < n && s->t[i + 1] < b) ? s->t[i + 1] : b;
            if (x1 <= x0)
                continue;
            double v = num_at(s, i);
            if (isnan(v))
                continue;
            double w = (double)span_measure(&jb->sp, jb->have_spans, &p, x0, x1);
            if (pass == 0) {
                wsum += w;
                sum += w * v;
            } else {
                ss += w * (v - m) * (v - m);
            }
        }
        if (pass == 0 && wsum <= 0)
            return;
        if (pass == 1) {
            *sp_p = p;
            *ok = 1;
            *mean = m;
            *sd = sqrt(ss / wsum);
        }
    }
}

/* The statistics of s over the rows.  use_spans: only the samples at which the conditions
 * hold (then count_info counts them in jb->info). */
static edb_status stats_columns(job *jb, edb_table *t, const edb_series *s, const rowset *rows,
                                scratch *sc, int use_spans, int count_info, edb_err *err)
{
    const edb_resample_spec *sp = jb->spec;
    edb_column *C[EDB_STAT_N];
    memset(C, 0, sizeof C);
    edb_vtype vt0 = s->vtype;
    size_t nc = 0;
    for (size_t k = 0; k < sp->n_stats; k++) {
        edb_stat stt = sp->stats[k];
        /* What is not defined for this type is left out, column by column; only a
         * mnemonic for which nothing asked is defined stops the run. */
        if (!edb_stat_defined(stt, vt0))
            continue;
        edb_vtype vt = (stt == EDB_STAT_COUNT) ? EDB_VT_INT
                       : (stt == EDB_STAT_MEAN || stt == EDB_STAT_STD || stt == EDB_STAT_MEDIAN)
                           ? EDB_VT_REAL
                           : value_vtype(s);
        edb_status st = add_column(t, s, stat_names[stt], vt, &C[stt], err);
        if (st != EDB_OK)
            return st;
        nc++;
    }
    if (nc == 0) {
        char asked[96] = "";
        for (size_t k = 0; k < sp->n_stats; k++)
            snprintf(asked + strlen(asked), sizeof asked - strlen(asked), "%s%s", k ? ", " : "",
                     stat_names[sp->stats[k]]);
        return edb__fail(err, EDB_ERR_USAGE, "%s is a %s mnemonic: %s %s not defined for it (%s)",
                         s->mnemonic, vt0 == EDB_VT_STRING ? "string" : "real", asked,
                         sp->n_stats > 1 ? "are" : "is",
                         vt0 == EDB_VT_STRING ? "strings take count, first, last and mode"
                                              : "reals take every statistic but mode");
    }
    /* Column pointers move when the table grows: take them again once all are added. */
    for (size_t k = 0, q = 0; k < sp->n_stats; k++)
        if (C[sp->stats[k]])
            C[sp->stats[k]] = &t->cols[t->ncols - nc + q++];
    const int numeric = is_numeric(s);
    const size_t n = s->n, G = rows->n;
    size_t j = 0, wp = 0, wsp = 0;
    if (jb->have_spans)
        jb->sp.p = 0;
    for (size_t r = 0; r < G; r++) {
        /* Samples of row r: [lo, hi), or [lo, hi] when closed; never outside the range
         * (brackets count only as the value carried into a weighted row). */
        edb_time lo, hi;
        int closed;
        row_bounds(rows, r, jb->end, &lo, &hi, &closed);
        if (lo < jb->start)
            lo = jb->start;
        if (hi > jb->end) {
            hi = jb->end;
            closed = 1;
        }
        while (j < n && s->t[j] < lo)
            j++;
        size_t i0 = j;
        while (j < n && (s->t[j] < hi || (closed && s->t[j] == hi)))
            j++;
        size_t cnt = j - i0;
        if (cnt > sc->cap && scratch_reserve(sc, cnt) != 0)
            return edb__fail(err, EDB_ERR_NOMEM, "out of memory");
        size_t m = 0;
        for (size_t i = i0; i < j; i++) {
            if (use_spans && jb->have_spans) {
                int in = in_spans(&jb->sp, s->t[i]);
                if (count_info) {
                    jb->info.where_tested++;
                    jb->info.where_kept += (size_t)in;
                }
                if (!in)
                    continue;
            }
            if (numeric) {
                double v = num_at(s, i);
                if (isnan(v))
                    continue;
                sc->x[m] = v;
            }
            sc->idx[m++] = i;
        }
        if (numeric && sp->clip_sigma > 0 && m > 0) {
            double blo, bhi;
            memcpy(sc->z, sc->x, m * sizeof *sc->z);
            clip_bounds(sc->z, m, sp->clip_sigma, &blo, &bhi);
            size_t nn = 0;
            for (size_t q = 0; q < m; q++)
                if (sc->x[q] >= blo && sc->x[q] <= bhi) {
                    sc->x[nn] = sc->x[q];
                    sc->idx[nn++] = sc->idx[q];
                }
            m = nn;
        }
        edb_status st = EDB_OK;
        if (C[EDB_STAT_COUNT])
            edb_column_set_int(C[EDB_STAT_COUNT], r, (int64_t)m);
        if (m > 0 && C[EDB_STAT_FIRST])
            st = put_sample(C[EDB_STAT_FIRST], G, r, s, sc->idx[0]);
        if (m > 0 && C[EDB_STAT_LAST] && st == EDB_OK)
            st = put_sample(C[EDB_STAT_LAST], G, r, s, sc->idx[m - 1]);
        if (m > 0 && C[EDB_STAT_MODE] && st == EDB_OK)
            st = put_sample(C[EDB_STAT_MODE], G, r, s, mode_of(s, sc, m));
        if (st != EDB_OK)
            return edb__fail(err, st, "out of memory");
        if (!numeric)
            continue;
        if (m > 0 && (C[EDB_STAT_MIN] || C[EDB_STAT_MAX])) {
            size_t imin = 0, imax = 0;
            for (size_t q = 1; q < m; q++) {
                if (sc->x[q] < sc->x[imin])
                    imin = q;
                if (sc->x[q] > sc->x[imax])
                    imax = q;
            }
            if (C[EDB_STAT_MIN])
                put_sample(C[EDB_STAT_MIN], G, r, s, sc->idx[imin]);
            if (C[EDB_STAT_MAX])
                put_sample(C[EDB_STAT_MAX], G, r, s, sc->idx[imax]);
        }
        if (m > 0 && C[EDB_STAT_MEDIAN]) {
            memcpy(sc->z, sc->x, m * sizeof *sc->z);
            edb_column_set_real(C[EDB_STAT_MEDIAN], r, median_of(sc->z, m));
        }
        if (sp->weighted && (C[EDB_STAT_MEAN] || C[EDB_STAT_STD])) {
            /* The weighting window: the row clipped to the range. */
            edb_time a = lo, b = hi;
            int ok = 0;
            double mean = 0, sd = 0;
            if (b > a)
                weighted_bin(s, &wp, jb, &wsp, a, b, &ok, &mean, &sd);
            if (ok && C[EDB_STAT_MEAN])
                edb_column_set_real(C[EDB_STAT_MEAN], r, mean);
            if (ok && C[EDB_STAT_STD])
                edb_column_set_real(C[EDB_STAT_STD], r, sd);
        } else if (m > 0 && (C[EDB_STAT_MEAN] || C[EDB_STAT_STD])) {
            double sum = 0;
            for (size_t q = 0; q < m; q++)
                sum += sc->x[q];
            double mean = sum / (double)m;
            if (C[EDB_STAT_MEAN])
                edb_column_set_real(C[EDB_STAT_MEAN], r, mean);
            if (C[EDB_STAT_STD] && m >= 2) {
                double ss = 0;
                for (size_t q = 0; q < m; q++)
                    ss += (sc->x[q] - mean) * (sc->x[q] - mean);
                edb_column_set_real(C[EDB_STAT_STD], r, sqrt(ss / (double)(m - 1)));
            }
        }
    }
    return EDB_OK;
}

/* ---- blocks and states ------------------------------------------------------------------ */

/* Runs of consecutive points at which mask holds: [first, last], closed. */
static edb_status block_rows(const edb_time *pts, const unsigned char *mask, size_t np,
                             rowset *rows, edb_err *err)
{
    size_t cap = 0;
    for (size_t p = 0; p < np;) {
        if (!mask[p]) {
            p++;
            continue;
        }
        size_t q = p;
        while (q + 1 < np && mask[q + 1])
            q++;
        if (rowset_push(rows, &cap, pts[p], pts[q], 1) != 0)
            return edb__fail(err, EDB_ERR_NOMEM, "out of memory");
        p = q + 1;
    }
    return EDB_OK;
}

/* Runs of constant value of g over [start, end]: [a, b), the last closed at end.  The
 * first run starts at start with the value g held there (from its last sample before, or
 * none).  who[r]: the sample whose value run r holds, g->n when none. */
static edb_status state_rows(const edb_series *g, edb_time start, edb_time end, rowset *rows,
                             size_t **who, edb_err *err)
{
    size_t cap = 0, wcap = 0;
    size_t *w = NULL;
    size_t j = edb_series_upper_bound(g, start);
    size_t cur = j > 0 ? j - 1 : g->n;
    edb_time a = start;
    edb_status st = EDB_OK;
    for (;;) {
        int last = !(j < g->n && g->t[j] <= end);
        size_t k = j;
        if (!last)
            while (k + 1 < g->n && g->t[k + 1] == g->t[j])
                k++; /* of several samples at one time, the last one holds */
        if (last || cur >= g->n || !same_value(g, cur, k)) {
            if (rows->n == wcap) {
                size_t nc = wcap ? wcap * 2 : 16;
                size_t *nw = realloc(w, nc * sizeof *nw);
                if (!nw) {
                    st = edb__fail(err, EDB_ERR_NOMEM, "out of memory");
                    break;
                }
                w = nw;
                wcap = nc;
            }
            w[rows->n] = cur;
            if (rowset_push(rows, &cap, a, last ? end : g->t[j], last) != 0) {
                st = edb__fail(err, EDB_ERR_NOMEM, "out of memory");
                break;
            }
            if (last)
                break;
            a = g->t[j];
        }
        cur = k;
        j = k + 1;
    }
    if (st != EDB_OK) {
        free(w);
        return st;
    }
    *who = w;
    return EDB_OK;
}

/* A column's values at the points where mask holds, as a series of its own. */
static edb_status column_series(const edb_column *c, const edb_time *g, const unsigned char *mask,
                                size_t G, edb_series **out, edb_err *err)
{
    edb_series *s = NULL;
    edb_status st = EDB_OK;
    if (edb_series_new(&s, c->name) != EDB_OK || edb_series_set_type(s, c->vtype) != EDB_OK ||
        edb_series_set_meta(s, c->unit, c->description) != EDB_OK)
        st = EDB_ERR_NOMEM;
    for (size_t r = 0; st == EDB_OK && r < G; r++) {
        if (!mask[r] || !c->valid[r])
            continue;
        if (c->vtype == EDB_VT_REAL)
            st = edb_series_push_real(s, g[r], c->d[r]);
        else if (c->vtype == EDB_VT_INT)
            st = edb_series_push_int(s, g[r], c->i[r]);
        else {
            size_t len;
            const char *v = edb_column_str(c, r, &len);
            st = edb_series_push_str(s, g[r], v, len);
        }
    }
    if (st != EDB_OK) {
        edb_series_free(s);
        return edb__fail(err, EDB_ERR_NOMEM, "out of memory");
    }
    s->all_points = 1;
    *out = s;
    return EDB_OK;
}

/* ---- the tables of one range ------------------------------------------------------------ */

static edb_status new_table(const job *jb, size_t nrows, const edb_time *times, int64_t step,
                            const char *label, edb_table **out, edb_err *err)
{
    edb_table *t = NULL;
    *out = NULL;
    if (edb_table_new(&t, nrows) != EDB_OK)
        return edb__fail(err, EDB_ERR_NOMEM, "out of memory");
    if (nrows)
        memcpy(t->t, times, nrows * sizeof *times);
    t->step_us = step;
    if (label) {
        edb_column *c;
        edb_status st = add_plain_column(t, jb->spec->range_column, EDB_VT_STRING, NULL,
                                         "the range (and its source) each row belongs to", &c,
                                         err);
        for (size_t r = 0; st == EDB_OK && r < nrows; r++)
            if (edb_column_set_str(c, nrows, r, label, strlen(label)) != EDB_OK)
                st = edb__fail(err, EDB_ERR_NOMEM, "out of memory");
        if (st != EDB_OK) {
            edb_table_free(t);
            return st;
        }
    }
    *out = t;
    return EDB_OK;
}

/* Point values: one row per grid time at which the conditions hold. */
static edb_status table_points(job *jb, edb_time *g, size_t G, int64_t step, const char *label,
                               edb_table **out, edb_err *err)
{
    if (jb->have_spans) {
        size_t m = 0;
        jb->sp.p = 0;
        for (size_t r = 0; r < G; r++)
            if (in_spans(&jb->sp, g[r]))
                g[m++] = g[r];
        jb->info.where_tested = G;
        jb->info.where_kept = m;
        if (m != G)
            step = 0; /* no longer a regular grid */
        G = m;
    }
    edb_table *t = NULL;
    edb_status st = new_table(jb, G, g, step, label, &t, err);
    for (size_t k = 0; st == EDB_OK && k < jb->nout; k++)
        st = point_column(jb, t, jb->out[k], jb->out_idx[k], resolve_method(jb->spec, jb->out[k]),
                          err);
    /* A derived column was computed at these very times: holding it reads it back. */
    for (size_t k = 0; st == EDB_OK && k < jb->nder; k++)
        st = point_column(jb, t, jb->der[k], jb->n, EDB_METHOD_HOLD, err);
    if (st != EDB_OK) {
        edb_table_free(t);
        return st;
    }
    *out = t;
    return EDB_OK;
}

/* Statistics per bin of the grid. */
static edb_status table_bins(job *jb, const edb_time *g, size_t G, int64_t step,
                             const char *label, edb_table **out, edb_err *err)
{
    rowset rows = {G, NULL, NULL, NULL, g};
    edb_table *t = NULL;
    edb_status st = new_table(jb, G, g, step, label, &t, err);
    scratch sc;
    memset(&sc, 0, sizeof sc);
    for (size_t k = 0; st == EDB_OK && k < jb->nout; k++)
        st = stats_columns(jb, t, jb->out[k], &rows, &sc, 1, 1, err);
    for (size_t k = 0; st == EDB_OK && k < jb->nder; k++)
        st = stats_columns(jb, t, jb->der[k], &rows, &sc, 1, 1, err);
    scratch_free(&sc);
    if (st != EDB_OK) {
        edb_table_free(t);
        return st;
    }
    *out = t;
    return EDB_OK;
}

/* Statistics per block or per state, of the grid's point values or of the raw samples. */
static edb_status table_rows(job *jb, const edb_time *g, size_t G, const char *label,
                             edb_table **out, edb_err *err)
{
    const edb_resample_spec *sp = jb->spec;
    const int grid = sp->grid != EDB_GRID_NONE;
    const size_t np_cols = jb->nout + jb->nder;
    const edb_series **P = calloc(np_cols ? np_cols : 1, sizeof *P);
    edb_series **Pown = calloc(np_cols ? np_cols : 1, sizeof *Pown);
    edb_table *TT = NULL, *t = NULL;
    edb_time *pts = NULL;
    size_t np = 0;
    unsigned char *mask = NULL;
    rowset rows = {0, NULL, NULL, NULL, NULL};
    size_t *who = NULL;
    const edb_series *gs = NULL;
    scratch sc;
    memset(&sc, 0, sizeof sc);
    edb_status st = EDB_OK;
    if (!P || !Pown)
        st = edb__fail(err, EDB_ERR_NOMEM, "out of memory");
    if (st == EDB_OK && sp->group_by && !(gs = find_series(jb->in, jb->n, sp->group_by)))
        st = edb__fail(err, EDB_ERR_USAGE, "--group-by %s: it was not fetched", sp->group_by);
    /* The points: grid times, or every sample time of the output mnemonics. */
    if (st == EDB_OK && grid) {
        pts = malloc((G ? G : 1) * sizeof *pts);
        if (!pts)
            st = edb__fail(err, EDB_ERR_NOMEM, "out of memory");
        else if (G)
            memcpy(pts, g, G * sizeof *g);
        np = G;
    } else if (st == EDB_OK) {
        st = union_times(jb->out, jb->nout, jb->start, jb->end, &pts, &np, err);
    }
    if (st == EDB_OK && !(mask = malloc(np ? np : 1)))
        st = edb__fail(err, EDB_ERR_NOMEM, "out of memory");
    if (st == EDB_OK) {
        size_t kept = 0;
        jb->sp.p = 0;
        for (size_t p = 0; p < np; p++) {
            mask[p] = (unsigned char)(!jb->have_spans || in_spans(&jb->sp, pts[p]));
            kept += mask[p];
        }
        if (jb->have_spans) {
            jb->info.where_tested = np;
            jb->info.where_kept = kept;
        }
    }
    /* The values each row's statistics are of. */
    if (st == EDB_OK && grid) {
        st = new_table(jb, np, pts, 0, NULL, &TT, err);
        for (size_t k = 0; st == EDB_OK && k < jb->nout; k++)
            st = point_column(jb, TT, jb->out[k], jb->out_idx[k],
                              resolve_method(sp, jb->out[k]), err);
        for (size_t k = 0; st == EDB_OK && k < jb->nder; k++)
            st = point_column(jb, TT, jb->der[k], jb->n, EDB_METHOD_HOLD, err);
        for (size_t k = 0; st == EDB_OK && k < np_cols; k++) {
            st = column_series(&TT->cols[k], pts, mask, np, &Pown[k], err);
            P[k] = Pown[k];
        }
    } else if (st == EDB_OK) {
        for (size_t k = 0; k < jb->nout; k++)
            P[k] = jb->out[k];
    }
    if (st == EDB_OK)
        st = sp->blocks ? block_rows(pts, mask, np, &rows, err)
                        : state_rows(gs, jb->start, jb->end, &rows, &who, err);
    if (st == EDB_OK)
        st = new_table(jb, rows.n, rows.lo, 0, label, &t, err);
    if (st == EDB_OK && gs) {
        edb_column *c;
        st = add_column(t, gs, NULL, value_vtype(gs), &c, err);
        for (size_t r = 0; st == EDB_OK && r < rows.n; r++)
            if (who[r] < gs->n && put_sample(c, rows.n, r, gs, who[r]) != EDB_OK)
                st = edb__fail(err, EDB_ERR_NOMEM, "out of memory");
    }
    if (st == EDB_OK) {
        edb_column *ce, *cm;
        const char *what = sp->blocks ? "the last point of the block"
                                      : "the end of the run: the next change, or the end of "
                                        "the range";
        char de[160], dm[160];
        snprintf(de, sizeof de, "%s (UTC, ISO 8601)", what);
        snprintf(dm, sizeof dm, "%s (MJD, UTC)", what);
        st = add_plain_column(t, "end", EDB_VT_STRING, NULL, de, &ce, err);
        if (st == EDB_OK)
            st = add_plain_column(t, "end_mjd", EDB_VT_REAL, "d", dm, &cm, err);
        if (st == EDB_OK) {
            ce = &t->cols[t->ncols - 2];
            for (size_t r = 0; st == EDB_OK && r < rows.n; r++) {
                /* A half-open range's last run ends where the range does: at its end
                 * instant, not a microsecond before. */
                edb_time e = rows.hi[r];
                if (!sp->blocks && sp->end_open && !sp->n_ranges && r + 1 == rows.n &&
                    e == jb->end && e < EDB_TIME_MAX)
                    e++;
                char iso[EDB_TIME_STRLEN];
                int len = edb_time_format_iso(e, iso, sizeof iso);
                if (edb_column_set_str(ce, rows.n, r, iso, (size_t)len) != EDB_OK)
                    st = edb__fail(err, EDB_ERR_NOMEM, "out of memory");
                edb_column_set_real(cm, r, edb_time_to_mjd(e));
            }
        }
    }
    /* Raw samples under --group-by are picked by the conditions here; grid points were
     * picked above, and a block holds only points at which they hold. */
    const int use_spans = !grid && !sp->blocks;
    for (size_t k = 0; st == EDB_OK && k < np_cols; k++)
        st = stats_columns(jb, t, P[k], &rows, &sc, use_spans, 0, err);
    scratch_free(&sc);
    rowset_free(&rows);
    free(who);
    free(mask);
    free(pts);
    edb_table_free(TT);
    if (Pown)
        for (size_t k = 0; k < np_cols; k++)
            edb_series_free(Pown[k]);
    free(Pown);
    free(P);
    if (st != EDB_OK) {
        edb_table_free(t);
        return st;
    }
    *out = t;
    return EDB_OK;
}

/* No grid: the samples side by side, one row per distinct time, a mnemonic's cell empty
 * where it has no sample (of several at one time, the last).  --changes and the
 * conditions as edb_filter applies them. */
static edb_status table_raw(job *jb, const char *label, edb_table **out, edb_err *err)
{
    const edb_resample_spec *sp = jb->spec;
    edb_series **f = calloc(jb->nout ? jb->nout : 1, sizeof *f);
    edb_time *u = NULL;
    size_t nu = 0;
    edb_table *t = NULL;
    edb_status st = EDB_OK;
    if (!f)
        st = edb__fail(err, EDB_ERR_NOMEM, "out of memory");
    edb_time lo = sp->keep_brackets ? EDB_TIME_MIN : jb->start;
    edb_time hi = sp->keep_brackets ? EDB_TIME_MAX : jb->end;
    for (size_t k = 0; st == EDB_OK && k < jb->nout; k++)
        st = copy_filtered(jb->in[jb->out_idx[k]], lo, hi, sp->changes,
                           jb->have_spans ? &jb->sp : NULL, &f[k], &jb->info, err);
    if (st == EDB_OK)
        st = union_times((const edb_series *const *)f, jb->nout, EDB_TIME_MIN, EDB_TIME_MAX, &u,
                         &nu, err);
    if (st == EDB_OK && jb->cx->check_only)
        nu = 0;
    if (st == EDB_OK)
        st = new_table(jb, nu, u, 0, label, &t, err);
    for (size_t k = 0; st == EDB_OK && k < jb->nout; k++) {
        const edb_series *s = f[k];
        edb_column *c;
        st = add_column(t, s, NULL, value_vtype(s), &c, err);
        size_t j = 0;
        for (size_t r = 0; st == EDB_OK && r < nu; r++) {
            while (j < s->n && s->t[j] < u[r])
                j++;
            size_t last = s->n;
            while (j < s->n && s->t[j] == u[r])
                last = j++;
            if (last < s->n && put_sample(c, nu, r, s, last) != EDB_OK)
                st = edb__fail(err, EDB_ERR_NOMEM, "out of memory");
        }
    }
    if (f)
        edb_series_list_free(f, jb->nout);
    free(u);
    if (st != EDB_OK) {
        edb_table_free(t);
        return st;
    }
    *out = t;
    return EDB_OK;
}

static int same_name_ci(const char *a, const char *b)
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

/* Column names are told apart without regard to case (--fail-if finds them so): a derived
 * column, the range label, the state and end columns must not take another's name. */
static edb_status check_unique(const job *jb, const edb_table *t, edb_err *err)
{
    const edb_resample_spec *sp = jb->spec;
    for (size_t k = 0; k < t->ncols; k++) {
        const char *a = t->cols[k].name;
        int special = !t->cols[k].stat && (find_index(jb->in, jb->n, a) >= jb->n ||
                                           (sp->group_by && strcmp(a, sp->group_by) == 0));
        if (!special)
            continue;
        for (size_t q = 0; q < t->ncols; q++)
            if (q != k && same_name_ci(a, t->cols[q].name))
                return edb__fail(err, EDB_ERR_USAGE, "two output columns would be named %s "
                                 "(names are compared without regard to case): rename the "
                                 "derived column or the range column", a);
    }
    return EDB_OK;
}

static edb_status run_range(ctx *cx, const edb_series *const *in, edb_time start, edb_time end,
                            const char *label, edb_table **out, edb_resample_info *info,
                            edb_err *err)
{
    const edb_resample_spec *sp = cx->spec;
    const int grid = sp->grid != EDB_GRID_NONE;
    const int rowsmode = sp->blocks || sp->group_by != NULL;
    const int bins = grid && sp->n_stats > 0 && !rowsmode;
    *out = NULL;
    job jb;
    edb_status st = job_init(&jb, cx, in, start, end, grid || rowsmode, err);
    edb_time *g = NULL;
    size_t G = 0;
    int64_t step = 0;
    if (st == EDB_OK && grid)
        st = build_grid(&jb, bins, &g, &G, &step, err);
    if (st == EDB_OK && sp->n_exprs)
        st = derive(&jb, bins, g, G, err);
    if (st == EDB_OK && sp->n_where)
        st = build_spans(&jb, err);
    edb_table *t = NULL;
    if (st == EDB_OK) {
        if (bins)
            st = table_bins(&jb, g, G, step, label, &t, err);
        else if (rowsmode)
            st = table_rows(&jb, g, G, label, &t, err);
        else if (grid)
            st = table_points(&jb, g, G, step, label, &t, err);
        else
            st = table_raw(&jb, label, &t, err);
    }
    if (st == EDB_OK)
        st = check_unique(&jb, t, err);
    /* Only values in rows that are written count as held across a gap. */
    for (size_t k = 0; st == EDB_OK && k < jb.pend.n; k++) {
        const gappend *p = &jb.pend.v[k];
        if (p->x >= start && p->x <= end && (!jb.have_spans || span_contains(&jb.sp, p->x)))
            gap_add(&cx->gaps[p->idx], p->a, p->b, p->dropped);
    }
    free(g);
    info->where_tested += jb.info.where_tested;
    info->where_kept += jb.info.where_kept;
    job_free(&jb);
    if (st != EDB_OK) {
        edb_table_free(t);
        return st;
    }
    *out = t;
    return EDB_OK;
}

/* ---- the entry points ------------------------------------------------------------------- */

static edb_status validate(const edb_resample_spec *spec, edb_err *err)
{
    const int rowsmode = spec->blocks || spec->group_by != NULL;
    if (spec->clip_sigma < 0 || isnan(spec->clip_sigma))
        return edb__fail(err, EDB_ERR_USAGE, "the clipping sigma must be positive");
    if (spec->n_stats == 0 && (spec->clip_sigma > 0 || spec->weighted))
        return edb__fail(err, EDB_ERR_USAGE, "--clip and --weighted apply to statistics: add "
                         "--stats (e.g. --stats mean,std)");
    if (spec->clip_sigma > 0 && spec->weighted)
        return edb__fail(err, EDB_ERR_USAGE, "--clip and --weighted do not combine: a clipped "
                         "sample's time would have to be given to another value");
    if (spec->max_gap_us < 0)
        return edb__fail(err, EDB_ERR_USAGE, "the maximum gap must not be negative");
    if (spec->blocks && spec->group_by)
        return edb__fail(err, EDB_ERR_USAGE, "--blocks and --group-by do not combine: choose "
                         "one kind of row");
    if (rowsmode && spec->n_stats == 0)
        return edb__fail(err, EDB_ERR_USAGE, "%s gives statistics per row: add --stats (e.g. "
                         "--stats mean,count)", spec->blocks ? "--blocks" : "--group-by");
    if (spec->blocks && spec->weighted)
        return edb__fail(err, EDB_ERR_USAGE, "--weighted does not apply to --blocks: a block "
                         "ends at its last point, so its last value holds for no time (it "
                         "applies to bins and to --group-by)");
    if (spec->grid == EDB_GRID_NONE && spec->n_exprs)
        return edb__fail(err, EDB_ERR_USAGE, "a derived column (--expr) is computed on a grid: "
                         "add --every DUR (or --daily, --hourly, --on MNEMONIC, --at FILE, "
                         "--align)");
    if (spec->grid == EDB_GRID_NONE && spec->n_stats && !rowsmode)
        return edb__fail(err, EDB_ERR_USAGE, "statistics need a grid (--every DUR, --daily, "
                         "--hourly) or rows (--blocks, --group-by)");
    for (size_t k = 0; k < spec->n_ranges; k++)
        if (spec->ranges[k].end < spec->ranges[k].start)
            return edb__fail(err, EDB_ERR_USAGE, "range %zu (%s) ends before it starts", k + 1,
                             spec->ranges[k].label ? spec->ranges[k].label : "no label");
    if (spec->n_ranges && spec->range_column && !*spec->range_column)
        return edb__fail(err, EDB_ERR_USAGE, "the range column needs a name");
    return EDB_OK;
}

/* Views of the inputs for one range: its samples and one bracket on each side. */
static void range_views(edb_series *views, const edb_series **vp, const edb_series *const *series,
                        size_t n, edb_time start, edb_time end)
{
    for (size_t k = 0; k < n; k++) {
        const edb_series *s = series[k];
        size_t i0 = edb_series_lower_bound(s, start), i1 = edb_series_upper_bound(s, end);
        if (i0 > 0)
            i0--;
        if (i1 < s->n)
            i1++;
        edb_series_view(&views[k], s, i0, i1);
        vp[k] = &views[k];
    }
}

static edb_status resample(const edb_series *const *series, size_t n,
                           const edb_resample_spec *spec, int check, edb_table **out,
                           edb_resample_info *info, edb_err *err)
{
    *out = NULL;
    edb_resample_info inf = {0, 0};
    edb_status st = validate(spec, err);
    if (st != EDB_OK)
        return st;
    ctx cx = {spec, series, n, calloc(n ? n : 1, sizeof(gapacc)), check};
    edb_series *views = NULL;
    const edb_series **vp = NULL;
    edb_table *t = NULL;
    if (!cx.gaps)
        st = edb__fail(err, EDB_ERR_NOMEM, "out of memory");
    if (st == EDB_OK && !spec->n_ranges) {
        st = run_range(&cx, series, spec->start, spec->end, NULL, &t, &inf, err);
    } else if (st == EDB_OK) {
        views = calloc(n ? n : 1, sizeof *views);
        vp = calloc(n ? n : 1, sizeof *vp);
        if (!views || !vp)
            st = edb__fail(err, EDB_ERR_NOMEM, "out of memory");
        for (size_t r = 0; st == EDB_OK && r < spec->n_ranges; r++) {
            const edb_range *rg = &spec->ranges[r];
            range_views(views, vp, series, n, rg->start, rg->end);
            edb_table *tr = NULL;
            st = run_range(&cx, vp, rg->start, rg->end,
                           spec->range_column ? (rg->label ? rg->label : "") : NULL, &tr, &inf,
                           err);
            if (st == EDB_OK && !t) {
                t = tr;
            } else if (st == EDB_OK) {
                edb_status a = edb_table_append(t, tr);
                if (a != EDB_OK)
                    st = edb__fail(err, a, a == EDB_ERR_NOMEM ? "out of memory"
                                   : "the ranges gave tables of different columns (a mnemonic "
                                     "of different types in them)");
                edb_table_free(tr);
            }
        }
        /* Grids of several ranges side by side are not one regular grid. */
        if (st == EDB_OK && t && spec->n_ranges > 1)
            t->step_us = 0;
    }
    if (st == EDB_OK && !check && spec->on_gap)
        for (size_t k = 0; k < n; k++) {
            const gapacc *g = &cx.gaps[k];
            if (!g->values)
                continue;
            int64_t limit = spec->max_gap_us > 0 ? spec->max_gap_us
                            : g->cadence > INT64_MAX / GAP_CADENCES
                                ? INT64_MAX
                                : g->cadence * GAP_CADENCES;
            edb_gap gap = {series[k]->mnemonic, g->a, g->b, g->cadence, limit, g->values,
                           g->dropped};
            spec->on_gap(spec->gap_ctx, &gap);
        }
    free(cx.gaps);
    free(views);
    free(vp);
    if (info)
        *info = inf;
    if (st != EDB_OK) {
        edb_table_free(t);
        return st;
    }
    *out = t;
    return EDB_OK;
}

edb_status edb_resample(const edb_series *const *series, size_t n,
                        const edb_resample_spec *spec, edb_table **out,
                        edb_resample_info *info, edb_err *err)
{
    return resample(series, n, spec, 0, out, info, err);
}

edb_status edb_resample_check(const edb_series *const *series, size_t n,
                              const edb_resample_spec *spec, edb_table **columns,
                              edb_err *err)
{
    edb_table *t = NULL;
    edb_status st;
    if (spec->grid == EDB_GRID_NONE && !spec->blocks && !spec->group_by && !spec->n_ranges &&
        !spec->n_stats && !spec->n_exprs) {
        /* Raw samples go through edb_filter: what it refuses is what there is to check. */
        edb_series **f = NULL;
        size_t nf = 0;
        st = edb_filter(series, n, spec, &f, &nf, NULL, err);
        edb_series_list_free(f, nf);
        if (st == EDB_OK && columns)
            st = resample(series, n, spec, 1, &t, NULL, err);
    } else {
        st = resample(series, n, spec, 1, &t, NULL, err);
    }
    if (columns)
        *columns = t;
    else
        edb_table_free(t);
    return st;
}

edb_status edb_filter(const edb_series *const *series, size_t n, const edb_resample_spec *spec,
                      edb_series ***out, size_t *nout, edb_resample_info *info, edb_err *err)
{
    *out = NULL;
    *nout = 0;
    if (info)
        memset(info, 0, sizeof *info);
    if (spec->n_exprs)
        return edb__fail(err, EDB_ERR_USAGE, "a derived column (--expr) is computed on a grid: "
                         "add --every DUR (or --daily, --hourly, --on MNEMONIC, --at FILE, "
                         "--align)");
    if (spec->blocks || spec->group_by || spec->n_stats || spec->n_ranges)
        return edb__fail(err, EDB_ERR_USAGE, "blocks, states, statistics and several ranges "
                         "make a table: use edb_resample");
    ctx cx = {spec, series, n, NULL, 0};
    job jb;
    edb_status st = job_init(&jb, &cx, series, spec->start, spec->end, 0, err);
    if (st == EDB_OK && spec->n_where)
        st = build_spans(&jb, err);
    edb_series **res = NULL;
    if (st == EDB_OK && !(res = calloc(jb.nout ? jb.nout : 1, sizeof *res)))
        st = edb__fail(err, EDB_ERR_NOMEM, "out of memory");
    edb_time lo = spec->keep_brackets ? EDB_TIME_MIN : spec->start;
    edb_time hi = spec->keep_brackets ? EDB_TIME_MAX : spec->end;
    for (size_t k = 0; st == EDB_OK && k < jb.nout; k++)
        st = copy_filtered(jb.out[k], lo, hi, spec->changes, jb.have_spans ? &jb.sp : NULL,
                           &res[k], &jb.info, err);
    if (info)
        *info = jb.info;
    if (st != EDB_OK) {
        edb_series_list_free(res, jb.nout);
        job_free(&jb);
        return st;
    }
    *out = res;
    *nout = jb.nout;
    job_free(&jb);
    return EDB_OK;
}

/* ---- one mnemonic at a time ------------------------------------------------------------- */

int edb_resample_separable(const edb_resample_spec *spec)
{
    /* The grid must be known without samples, and no column may read another mnemonic:
     * --on and union grids are sample times, conditions and derived columns read several
     * series, blocks and states are rows of their own, and several ranges cut every
     * series per range. */
    return spec && (spec->grid == EDB_GRID_EVERY || spec->grid == EDB_GRID_TIMES) &&
           spec->n_where == 0 && spec->n_exprs == 0 && !spec->blocks && !spec->group_by &&
           spec->n_ranges == 0;
}

struct edb_resampler {
    edb_resample_spec spec; /* as given to new (its columns and on_gap unused) */
    size_t slots;
    edb_table *t;           /* the grid, and the columns of each series added, in the order
                               added */
    char **name;            /* per slot: its mnemonic once added */
    edb_gap *gap;           /* per slot: its longest gap, when gap_set */
    unsigned char *gap_set;
    size_t err_slot;        /* the lowest slot whose columns failed (slots: none) */
    edb_err err;
};

void edb_resampler_free(edb_resampler *r)
{
    if (!r)
        return;
    edb_table_free(r->t);
    for (size_t k = 0; r->name && k < r->slots; k++)
        free(r->name[k]);
    free(r->name);
    free(r->gap);
    free(r->gap_set);
    free(r);
}

edb_status edb_resampler_new(edb_resampler **out, const edb_resample_spec *spec, size_t slots,
                             edb_err *err)
{
    *out = NULL;
    if (!edb_resample_separable(spec))
        return edb__fail(err, EDB_ERR_USAGE, "this resampling needs every series at once");
    edb_resampler *r = calloc(1, sizeof *r);
    if (!r || !(r->name = calloc(slots ? slots : 1, sizeof *r->name)) ||
        !(r->gap = calloc(slots ? slots : 1, sizeof *r->gap)) ||
        !(r->gap_set = calloc(slots ? slots : 1, 1))) {
        edb_resampler_free(r);
        return edb__fail(err, EDB_ERR_NOMEM, "out of memory");
    }
    r->spec = *spec;
    r->spec.columns = NULL;
    r->spec.n_columns = 0;
    r->spec.on_gap = NULL;
    r->slots = slots;
    r->err_slot = slots;
    /* The grid alone: a table of its rows without columns, which each series adds to. */
    edb_status st = resample(NULL, 0, &r->spec, 0, &r->t, NULL, err);
    if (st != EDB_OK) {
        edb_resampler_free(r);
        return st;
    }
    *out = r;
    return EDB_OK;
}

typedef struct gap_keep {
    edb_resampler *r;
    size_t slot;
} gap_keep;

static void keep_gap(void *arg, const edb_gap *g)
{
    gap_keep *k = arg;
    k->r->gap[k->slot] = *g;
    k->r->gap[k->slot].mnemonic = NULL; /* the slot's name, at finish */
    k->r->gap_set[k->slot] = 1;
}

edb_status edb_resampler_add(edb_resampler *r, size_t slot, const edb_series *s)
{
    if (!r || !s || !s->mnemonic || slot >= r->slots || r->name[slot])
        return EDB_ERR_USAGE;
    if (!(r->name[slot] = edb__strdup(s->mnemonic))) {
        if (slot < r->err_slot) {
            r->err_slot = slot;
            edb_err_clear(&r->err);
            edb__fail(&r->err, EDB_ERR_NOMEM, "out of memory");
        }
        return EDB_OK;
    }
    if (r->err_slot < slot)
        return EDB_OK; /* the table will not be made: an earlier column failed */
    edb_resample_spec sp = r->spec;
    const char *col = s->mnemonic;
    gap_keep gk = {r, slot};
    sp.columns = &col;
    sp.n_columns = 1;
    sp.on_gap = keep_gap;
    sp.gap_ctx = &gk;
    edb_err e = EDB_ERR_INIT;
    edb_table *t = NULL;
    edb_status st = resample(&s, 1, &sp, 0, &t, NULL, &e);
    if (st == EDB_OK && (st = edb_table_move_columns(r->t, t)) != EDB_OK)
        st = edb__fail(&e, st, st == EDB_ERR_NOMEM ? "out of memory"
                                                   : "the grids of two columns differ");
    edb_table_free(t);
    if (st != EDB_OK && slot < r->err_slot) {
        r->err_slot = slot;
        r->err = e;
    }
    return EDB_OK;
}

edb_status edb_resampler_finish(edb_resampler *r, const edb_resample_spec *spec,
                                edb_table **out, edb_resample_info *info, edb_err *err)
{
    *out = NULL;
    if (info)
        info->where_tested = info->where_kept = 0;
    if (!r || !r->t)
        return edb__fail(err, EDB_ERR_USAGE, "edb_resampler_finish: no resampler, or called "
                         "twice");
    if (r->err_slot < r->slots)
        return edb__fail(err, r->err.status, "%s", r->err.msg);
    edb_table *t = r->t;
    size_t want = spec->columns ? spec->n_columns : r->slots;
    size_t *order = malloc((t->ncols ? t->ncols : 1) * sizeof *order);
    unsigned char *used = calloc(t->ncols ? t->ncols : 1, 1);
    if (!order || !used) {
        free(order);
        free(used);
        return edb__fail(err, EDB_ERR_NOMEM, "out of memory");
    }
    /* Each series' columns went in together, in its own order: they are taken as runs. */
    size_t m = 0;
    edb_status st = EDB_OK;
    for (size_t k = 0; k < want && st == EDB_OK; k++) {
        const char *name = NULL;
        if (spec->columns) {
            name = spec->columns[k];
            size_t q = 0;
            while (q < r->slots && !(r->name[q] && strcmp(r->name[q], name) == 0))
                q++;
            if (q == r->slots)
                st = edb__fail(err, EDB_ERR_USAGE, "%s was not fetched", name);
        } else if (!(name = r->name[k])) {
            continue;
        }
        for (size_t c = 0; st == EDB_OK && c < t->ncols; c++)
            if (!used[c] && strcmp(t->cols[c].mnemonic, name) == 0) {
                used[c] = 1;
                order[m++] = c;
            }
    }
    if (st == EDB_OK && (st = edb_table_keep_columns(t, order, m)) != EDB_OK)
        edb__fail(err, st, "out of memory");
    free(order);
    free(used);
    if (st != EDB_OK)
        return st;
    if (spec->on_gap)
        for (size_t k = 0; k < r->slots; k++)
            if (r->gap_set[k] && r->name[k]) {
                edb_gap g = r->gap[k];
                g.mnemonic = r->name[k];
                spec->on_gap(spec->gap_ctx, &g);
            }
    r->t = NULL;
    *out = t;
    return EDB_OK;
}
