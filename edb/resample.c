/* resample.c: grids, point methods, bin statistics, changes and conditions
 * (edb/resample.h; the semantics are in docs/resampling.md).
 *
 * Every pass walks the samples and the grid together with pointers that only move
 * forward, so a run costs O(samples + grid points) per column: no binary search per
 * grid point.  Conditions are turned once into the sorted list of time spans in which
 * all of them hold; testing a time against that list is again a forward-moving pointer.
 * Medians and sigma clipping use selection (quickselect) on a scratch copy of one bin,
 * never a sort. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <edb/resample.h>

#include "internal.h"
#include "where_internal.h"

/* A grid larger than this is a mistake in the options (a 1 us step over a year), not a
 * table anyone wants: refuse it before allocating gigabytes. */
#define MAX_GRID ((size_t)500000000)
#define CLIP_MAXITERS 10

static const char *const stat_names[EDB_STAT_N] = {"mean",   "min",   "max",   "median",
                                                    "std",    "count", "first", "last"};

const char *edb_stat_name(edb_stat s)
{
    return (unsigned)s < EDB_STAT_N ? stat_names[s] : "?";
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
                             "median, std, count, first, last)", tok);
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

static const edb_series *find_series(const edb_series *const *series, size_t n, const char *name)
{
    for (size_t k = 0; k < n; k++)
        if (series[k] && series[k]->mnemonic && strcmp(series[k]->mnemonic, name) == 0)
            return series[k];
    return NULL;
}

static int is_numeric(const edb_series *s)
{
    return s->vtype == EDB_VT_REAL || s->vtype == EDB_VT_INT;
}

static double num_at(const edb_series *s, size_t j)
{
    return s->vtype == EDB_VT_REAL ? s->d[j] : (double)s->i[j];
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

static edb_status add_column(edb_table *t, const edb_series *s, const char *stat, edb_vtype vt,
                             edb_column **col, edb_err *err)
{
    char name[EDB_MNEMONIC_MAX + 32];
    if (stat)
        snprintf(name, sizeof name, "%s_%s", s->mnemonic, stat);
    else
        snprintf(name, sizeof name, "%s", s->mnemonic);
    if (edb_table_add_column(t, name, s->mnemonic, stat, vt, col) != EDB_OK ||
        edb_column_set_meta(*col, s->unit, s->description) != EDB_OK)
        return edb__fail(err, EDB_ERR_NOMEM, "out of memory");
    return EDB_OK;
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

static int cond_holds(const edb_where *w, const edb_series *s, size_t j)
{
    if (w->is_str) {
        size_t len;
        const char *v = edb_series_str(s, j, &len);
        int eq = len == w->slen && memcmp(v, w->str, len) == 0;
        return w->op == EDB__OP_EQ ? eq : !eq;
    }
    double x = num_at(s, j);
    switch (w->op) {
    case EDB__OP_GT: return x > w->num;
    case EDB__OP_LT: return x < w->num;
    case EDB__OP_GE: return x >= w->num;
    case EDB__OP_LE: return x <= w->num;
    case EDB__OP_EQ: return x == w->num;
    case EDB__OP_NE: return x != w->num;
    }
    return 0;
}

static edb_status check_where(const edb_where *w, const edb_series *s, edb_err *err)
{
    if (!s)
        return edb__fail(err, EDB_ERR_USAGE, "--where '%s': %s was not fetched", w->text,
                         w->mnemonic);
    if (s->vtype == EDB_VT_STRING && !w->is_str)
        return edb__fail(err, EDB_ERR_USAGE, "--where '%s': %s is a string mnemonic: compare it "
                         "with a quoted string, e.g. %s == 'ON'", w->text, w->mnemonic,
                         w->mnemonic);
    if (s->vtype == EDB_VT_STRING && w->op != EDB__OP_EQ && w->op != EDB__OP_NE)
        return edb__fail(err, EDB_ERR_USAGE, "--where '%s': %s is a string mnemonic: only == and "
                         "!= compare strings", w->text, w->mnemonic);
    if (is_numeric(s) && w->is_str)
        return edb__fail(err, EDB_ERR_USAGE, "--where '%s': %s is a numeric mnemonic: compare it "
                         "with a number, not a string", w->text, w->mnemonic);
    return EDB_OK;
}

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

/* Each condition is a step function of time (its mnemonic held from each sample to the
 * next, false before the first); walk all their sample times in one merge. */
static edb_status build_spans(const edb_where *const *w, const edb_series *const *cs, size_t nw,
                              spans *sp, edb_err *err)
{
    size_t *j = calloc(nw, sizeof *j);
    unsigned char *state = calloc(nw, 1);
    if (!j || !state) {
        free(j);
        free(state);
        return edb__fail(err, EDB_ERR_NOMEM, "out of memory");
    }
    size_t ntrue = 0;
    int was_all = 0;
    edb_time since = 0;
    edb_status st = EDB_OK;
    for (;;) {
        int any = 0;
        edb_time tau = 0;
        for (size_t c = 0; c < nw; c++)
            if (j[c] < cs[c]->n && (!any || cs[c]->t[j[c]] < tau)) {
                tau = cs[c]->t[j[c]];
                any = 1;
            }
        if (!any)
            break;
        for (size_t c = 0; c < nw; c++) {
            if (j[c] >= cs[c]->n || cs[c]->t[j[c]] != tau)
                continue;
            while (j[c] < cs[c]->n && cs[c]->t[j[c]] <= tau)
                j[c]++;
            unsigned char now = (unsigned char)cond_holds(w[c], cs[c], j[c] - 1);
            ntrue = ntrue - state[c] + now;
            state[c] = now;
        }
        int all = ntrue == nw;
        if (all && !was_all)
            since = tau;
        else if (!all && was_all && spans_push(sp, since, tau) != 0) {
            st = edb__fail(err, EDB_ERR_NOMEM, "out of memory");
            break;
        }
        was_all = all;
    }
    if (st == EDB_OK && was_all && spans_push(sp, since, EDB_TIME_MAX) != 0)
        st = edb__fail(err, EDB_ERR_NOMEM, "out of memory");
    free(j);
    free(state);
    return st;
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
        return y - x;
    while (*p < sp->n && sp->v[*p].b <= x)
        (*p)++;
    int64_t m = 0;
    for (size_t q = *p; q < sp->n && sp->v[q].a < y; q++) {
        edb_time a = sp->v[q].a > x ? sp->v[q].a : x;
        edb_time b = sp->v[q].b < y ? sp->v[q].b : y;
        if (b > a)
            m += b - a;
    }
    return m;
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

/* ---- the common set-up of both entry points ------------------------------------------- */

typedef struct job {
    const edb_resample_spec *spec;
    size_t nout;
    const edb_series **out;   /* output series, in column order (borrowed or owned below) */
    edb_series **owned;       /* --changes copies, freed at the end */
    spans sp;
    int have_spans;
    edb_resample_info info;
} job;

static void job_free(job *jb)
{
    if (jb->owned)
        edb_series_list_free(jb->owned, jb->nout);
    free(jb->out);
    free(jb->sp.v);
}

static edb_status job_init(job *jb, const edb_series *const *series, size_t n,
                           const edb_resample_spec *spec, edb_err *err)
{
    memset(jb, 0, sizeof *jb);
    jb->spec = spec;
    if (spec->end < spec->start)
        return edb__fail(err, EDB_ERR_USAGE, "the end of the range is before its start");
    jb->nout = spec->columns ? spec->n_columns : n;
    jb->out = calloc(jb->nout ? jb->nout : 1, sizeof *jb->out);
    if (!jb->out)
        return edb__fail(err, EDB_ERR_NOMEM, "out of memory");
    for (size_t k = 0; k < jb->nout; k++) {
        jb->out[k] = spec->columns ? find_series(series, n, spec->columns[k]) : series[k];
        if (!jb->out[k])
            return edb__fail(err, EDB_ERR_USAGE, "%s was not fetched", spec->columns[k]);
    }
    if (spec->n_where) {
        const edb_series **cs = calloc(spec->n_where, sizeof *cs);
        if (!cs)
            return edb__fail(err, EDB_ERR_NOMEM, "out of memory");
        edb_status st = EDB_OK;
        for (size_t c = 0; c < spec->n_where && st == EDB_OK; c++) {
            cs[c] = find_series(series, n, spec->where[c]->mnemonic);
            st = check_where(spec->where[c], cs[c], err);
        }
        if (st == EDB_OK)
            st = build_spans(spec->where, cs, spec->n_where, &jb->sp, err);
        free(cs);
        if (st != EDB_OK)
            return st;
        jb->have_spans = 1;
    }
    return EDB_OK;
}

edb_status edb_filter(const edb_series *const *series, size_t n, const edb_resample_spec *spec,
                      edb_series ***out, size_t *nout, edb_resample_info *info, edb_err *err)
{
    *out = NULL;
    *nout = 0;
    job jb;
    edb_status st = job_init(&jb, series, n, spec, err);
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
 * into the bin before (whose last bin is closed at END, as numpy.histogram's is). */
static edb_status build_grid(const job *jb, const edb_series *const *series, size_t n, int bins,
                             edb_time **g, size_t *G, int64_t *step, edb_err *err)
{
    const edb_resample_spec *sp = jb->spec;
    *g = NULL;
    *G = 0;
    *step = 0;
    switch (sp->grid) {
    case EDB_GRID_EVERY: {
        if (sp->every_us <= 0)
            return edb__fail(err, EDB_ERR_USAGE, "the grid step must be positive");
        edb_time t0 = sp->align_us > 0 ? edb_time_floor(sp->start, sp->align_us) : sp->start;
        uint64_t span_us = (uint64_t)sp->end - (uint64_t)t0;
        uint64_t cnt = bins ? (span_us ? (span_us - 1) / (uint64_t)sp->every_us + 1 : 1)
                            : span_us / (uint64_t)sp->every_us + 1;
        if (cnt > MAX_GRID) {
            char d[64];
            edb_duration_format(sp->every_us, d, sizeof d);
            return edb__fail(err, EDB_ERR_USAGE, "a grid step of %s makes %llu rows over this "
                             "range (at most %zu): choose a longer step or a shorter range", d,
                             (unsigned long long)cnt, MAX_GRID);
        }
        edb_time *v = malloc((size_t)cnt * sizeof *v);
        if (!v)
            return edb__fail(err, EDB_ERR_NOMEM, "out of memory");
        for (size_t k = 0; k < (size_t)cnt; k++)
            v[k] = t0 + (edb_time)k * sp->every_us;
        *g = v;
        *G = (size_t)cnt;
        *step = sp->every_us;
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
            if (v[k] < sp->start || v[k] > sp->end) {
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
        *G = sp->n_times;
        return EDB_OK;
    }
    case EDB_GRID_ON: {
        const edb_series *on = sp->on ? find_series(series, n, sp->on) : NULL;
        if (!on)
            return edb__fail(err, EDB_ERR_USAGE, "%s (the grid mnemonic) was not fetched",
                             sp->on ? sp->on : "(none)");
        return union_times(&on, 1, sp->start, sp->end, g, G, err);
    }
    case EDB_GRID_UNION:
        return union_times(jb->out, jb->nout, sp->start, sp->end, g, G, err);
    case EDB_GRID_NONE:
        break;
    }
    return edb__fail(err, EDB_ERR_USAGE, "no grid: use edb_filter for raw samples");
}

/* ---- point methods -------------------------------------------------------------------- */

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

static edb_status point_column(edb_table *t, const edb_series *s, const edb_resample_spec *sp,
                               edb_err *err)
{
    edb_method m = resolve_method(sp, s);
    edb_column *c;
    edb_vtype vt = m == EDB_METHOD_LINEAR ? EDB_VT_REAL : value_vtype(s);
    edb_status st = add_column(t, s, NULL, vt, &c, err);
    if (st != EDB_OK)
        return st;
    const int64_t gap = sp->max_gap_us;
    const size_t n = s->n;
    size_t j = 0; /* first sample after the grid time */
    for (size_t r = 0; r < t->nrows && st == EDB_OK; r++) {
        edb_time x = t->t[r];
        while (j < n && s->t[j] <= x)
            j++;
        switch (m) {
        case EDB_METHOD_HOLD:
            if (j > 0 && !(gap > 0 && x - s->t[j - 1] > gap))
                st = put_sample(c, t->nrows, r, s, j - 1);
            break;
        case EDB_METHOD_NEAREST: {
            if (n == 0)
                break;
            size_t k;
            if (j == 0)
                k = 0;
            else if (j == n)
                k = j - 1;
            else
                k = (x - s->t[j - 1] <= s->t[j] - x) ? j - 1 : j; /* a tie goes to the earlier */
            edb_time dist = x > s->t[k] ? x - s->t[k] : s->t[k] - x;
            if (!(gap > 0 && dist > gap))
                st = put_sample(c, t->nrows, r, s, k);
            break;
        }
        case EDB_METHOD_LINEAR: {
            if (j > 0 && s->t[j - 1] == x) {
                double v = num_at(s, j - 1);
                if (!isnan(v))
                    edb_column_set_real(c, r, v);
                break;
            }
            if (j == 0 || j == n || (gap > 0 && s->t[j] - s->t[j - 1] > gap))
                break;
            double va = num_at(s, j - 1), vb = num_at(s, j);
            double w = (double)(x - s->t[j - 1]) / (double)(s->t[j] - s->t[j - 1]);
            double v = va + w * (vb - va);
            if (!isnan(v))
                edb_column_set_real(c, r, v);
            break;
        }
        case EDB_METHOD_AUTO:
            break;
        }
    }
    if (st != EDB_OK)
        return edb__fail(err, st, "out of memory");
    return EDB_OK;
}

/* ---- statistics ----------------------------------------------------------------------- */

/* Scratch space for one bin, grown to the largest bin seen. */
typedef struct scratch {
    double *x, *z;
    size_t *idx;
    size_t cap;
} scratch;

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
    if (!x || !z || !idx)
        return -1;
    s->cap = cap;
    return 0;
}

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

typedef struct stat_cols {
    edb_column *c[EDB_STAT_N]; /* by statistic; NULL when not asked */
} stat_cols;

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

static edb_status stats_columns(edb_table *t, const edb_series *s, job *jb, scratch *sc,
                                edb_err *err)
{
    const edb_resample_spec *sp = jb->spec;
    stat_cols sc_cols;
    memset(&sc_cols, 0, sizeof sc_cols);
    for (size_t k = 0; k < sp->n_stats; k++) {
        edb_stat stt = sp->stats[k];
        if (s->vtype == EDB_VT_STRING && stt != EDB_STAT_COUNT && stt != EDB_STAT_FIRST &&
            stt != EDB_STAT_LAST)
            return edb__fail(err, EDB_ERR_USAGE, "%s is a string mnemonic: '%s' is not defined "
                             "for it (strings take first, last and count)", s->mnemonic,
                             stat_names[stt]);
        edb_vtype vt = (stt == EDB_STAT_COUNT) ? EDB_VT_INT
                       : (stt == EDB_STAT_MEAN || stt == EDB_STAT_STD || stt == EDB_STAT_MEDIAN)
                           ? EDB_VT_REAL
                           : value_vtype(s);
        edb_status st = add_column(t, s, stat_names[stt], vt, &sc_cols.c[stt], err);
        if (st != EDB_OK)
            return st;
    }
    /* Column pointers move when the table grows: take them again once all are added. */
    for (size_t k = 0; k < sp->n_stats; k++)
        sc_cols.c[sp->stats[k]] = &t->cols[t->ncols - sp->n_stats + k];
    edb_column *const *C = sc_cols.c;
    const int numeric = is_numeric(s);
    const size_t n = s->n, G = t->nrows;
    size_t j = 0, wp = 0, wsp = 0;
    if (jb->have_spans)
        jb->sp.p = 0;
    edb_time lo0 = G && t->t[0] > sp->start ? t->t[0] : sp->start;
    while (j < n && s->t[j] < lo0)
        j++;
    for (size_t r = 0; r < G; r++) {
        /* Samples of bin r: [t_r, t_r+1), the last bin closed at END; never outside the
         * query range (brackets count only as the value carried into a weighted bin). */
        size_t i0 = j;
        if (r + 1 < G)
            while (j < n && s->t[j] < t->t[r + 1] && s->t[j] <= sp->end)
                j++;
        else
            while (j < n && s->t[j] <= sp->end)
                j++;
        size_t cnt = j - i0;
        if (scratch_reserve(sc, cnt) != 0)
            return edb__fail(err, EDB_ERR_NOMEM, "out of memory");
        size_t m = 0;
        for (size_t i = i0; i < j; i++) {
            if (jb->have_spans) {
                jb->info.where_tested++;
                if (!in_spans(&jb->sp, s->t[i]))
                    continue;
                jb->info.where_kept++;
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
            edb_time a = t->t[r] > sp->start ? t->t[r] : sp->start;
            edb_time b = r + 1 < G && t->t[r + 1] < sp->end ? t->t[r + 1] : sp->end;
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

/* ---- the entry point ------------------------------------------------------------------ */

edb_status edb_resample(const edb_series *const *series, size_t n,
                        const edb_resample_spec *spec, edb_table **out,
                        edb_resample_info *info, edb_err *err)
{
    *out = NULL;
    if (info)
        memset(info, 0, sizeof *info);
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
    job jb;
    edb_status st = job_init(&jb, series, n, spec, err);
    if (st == EDB_OK && spec->changes) {
        if (!(jb.owned = calloc(jb.nout ? jb.nout : 1, sizeof *jb.owned)))
            st = edb__fail(err, EDB_ERR_NOMEM, "out of memory");
        edb_resample_info dummy;
        for (size_t k = 0; st == EDB_OK && k < jb.nout; k++) {
            st = copy_filtered(jb.out[k], EDB_TIME_MIN, EDB_TIME_MAX, 1, NULL, &jb.owned[k],
                               &dummy, err);
            if (st == EDB_OK)
                jb.out[k] = jb.owned[k];
        }
    }
    const int bins = spec->n_stats > 0;
    for (size_t k = 0; st == EDB_OK && bins && k < jb.nout; k++)
        if (jb.out[k]->vtype == EDB_VT_STRING)
            for (size_t q = 0; q < spec->n_stats; q++)
                if (spec->stats[q] != EDB_STAT_COUNT && spec->stats[q] != EDB_STAT_FIRST &&
                    spec->stats[q] != EDB_STAT_LAST) {
                    st = edb__fail(err, EDB_ERR_USAGE, "%s is a string mnemonic: '%s' is not "
                                   "defined for it (strings take first, last and count)",
                                   jb.out[k]->mnemonic, stat_names[spec->stats[q]]);
                    break;
                }
    edb_time *g = NULL;
    size_t G = 0;
    int64_t step = 0;
    if (st == EDB_OK)
        st = build_grid(&jb, series, n, bins, &g, &G, &step, err);
    if (st == EDB_OK && !bins && jb.have_spans) {
        /* Point values: the conditions pick grid rows. */
        size_t m = 0;
        jb.sp.p = 0;
        for (size_t r = 0; r < G; r++)
            if (in_spans(&jb.sp, g[r]))
                g[m++] = g[r];
        jb.info.where_tested = G;
        jb.info.where_kept = m;
        if (m != G)
            step = 0;
        G = m;
    }
    edb_table *t = NULL;
    if (st == EDB_OK && edb_table_new(&t, G) != EDB_OK)
        st = edb__fail(err, EDB_ERR_NOMEM, "out of memory");
    if (st == EDB_OK) {
        if (G)
            memcpy(t->t, g, G * sizeof *g);
        t->step_us = step;
    }
    free(g);
    scratch sc = {NULL, NULL, NULL, 0};
    for (size_t k = 0; st == EDB_OK && k < jb.nout; k++)
        st = bins ? stats_columns(t, jb.out[k], &jb, &sc, err)
                  : point_column(t, jb.out[k], spec, err);
    free(sc.x);
    free(sc.z);
    free(sc.idx);
    if (info)
        *info = jb.info;
    job_free(&jb);
    if (st != EDB_OK) {
        edb_table_free(t);
        return st;
    }
    *out = t;
    return EDB_OK;
}
