/* plot_model.c: from series or a wide table to panels and traces; the -O options of the
 * plot formats; gaps, M4 decimation, value and time axes (plot.h, docs/plots.md). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <edb/mnemonic.h>
#include <edb/number.h>
#include <edb/resample.h>
#include <edb/time.h>

#include "plot.h"

/* ---- options ------------------------------------------------------------------------- */

static int parse_num(const char *s, size_t len, double *v)
{
    /* Leading or trailing blanks are refused by edb_parse_double; so are inf and nan,
     * which no axis can hold. */
    return edb_parse_double(s, len, v) == 0 && *v - *v == 0 ? 0 : -1;
}

edb_status edb__plot_check_size(const char *key, const char *value, edb_err *err)
{
    int64_t v;
    int w = strcmp(key, "width") == 0;
    int64_t lo = w ? 200 : 150, hi = w ? 10000 : 20000;
    if (edb_parse_int64(value, strlen(value), &v) != 0 || v < lo || v > hi)
        return edb_err_set(err, EDB_ERR_USAGE, "-O %s=%s: give a whole number of %s from %lld "
                           "to %lld, e.g. -O %s=%d", key, value, "pixels (points for SVG and PDF)",
                           (long long)lo, (long long)hi, key, w ? 1600 : 900);
    return EDB_OK;
}

edb_status edb__plot_check_number(const char *key, const char *value, edb_err *err)
{
    double v = 0;
    if (parse_num(value, strlen(value), &v) != 0)
        return edb_err_set(err, EDB_ERR_USAGE, "-O %s=%s: give a finite number, e.g. -O %s=0.5",
                           key, value, key);
    return EDB_OK;
}

/* "LO,HI", either side may be empty (a one-sided limit), not both. */
static int parse_limits(const char *value, int has[2], double v[2])
{
    const char *comma = strchr(value, ',');
    if (!comma || strchr(comma + 1, ','))
        return -1;
    size_t l0 = (size_t)(comma - value), l1 = strlen(comma + 1);
    has[0] = l0 > 0;
    has[1] = l1 > 0;
    if (!has[0] && !has[1])
        return -1;
    if (has[0] && parse_num(value, l0, &v[0]) != 0)
        return -1;
    if (has[1] && parse_num(comma + 1, l1, &v[1]) != 0)
        return -1;
    if (has[0] && has[1] && !(v[0] < v[1]))
        return -1;
    return 0;
}

/* "MNEMONIC:" before a value: that mnemonic's own limit.  *rest gets what follows;
 * name is "" without a prefix.  -1 for a name that is not a mnemonic's. */
static int split_prefix(const char *value, char name[EDB_MNEMONIC_MAX + 1], const char **rest)
{
    const char *colon = strchr(value, ':');
    name[0] = '\0';
    *rest = value;
    if (!colon)
        return 0;
    char raw[EDB_MNEMONIC_MAX + 2];
    size_t len = (size_t)(colon - value);
    if (len == 0 || len > EDB_MNEMONIC_MAX)
        return -1;
    memcpy(raw, value, len);
    raw[len] = '\0';
    edb_err e = EDB_ERR_INIT;
    if (edb_mnemonic_normalize(raw, name, EDB_MNEMONIC_MAX + 1, &e) != EDB_OK)
        return -1;
    *rest = colon + 1;
    return 0;
}

edb_status edb__plot_check_limits(const char *key, const char *value, edb_err *err)
{
    int has[2];
    double v[2];
    char name[EDB_MNEMONIC_MAX + 1];
    const char *rest;
    if (split_prefix(value, name, &rest) != 0 || parse_limits(rest, has, v) != 0)
        return edb_err_set(err, EDB_ERR_USAGE, "-O %s=%s: give LO,HI, two numbers with LO below "
                           "HI; leave one out for a one-sided limit, and put MNEMONIC: before "
                           "them for one mnemonic's (e.g. -O %s=-0.5,0.5, -O %s=,30 or -O "
                           "%s=SA_ZATTEST1:-0.5,0.5)", key, value, key, key, key);
    return EDB_OK;
}

edb_status edb__plot_check_nominal(const char *key, const char *value, edb_err *err)
{
    double v = 0;
    char name[EDB_MNEMONIC_MAX + 1];
    const char *rest;
    if (split_prefix(value, name, &rest) != 0 || parse_num(rest, strlen(rest), &v) != 0)
        return edb_err_set(err, EDB_ERR_USAGE, "-O %s=%s: give a finite number, with MNEMONIC: "
                           "before it for one mnemonic's (e.g. -O %s=0.5 or -O "
                           "%s=SA_ZATTEST1:0.5)", key, value, key, key);
    return EDB_OK;
}

edb_status edb__plot_check_gap(const char *key, const char *value, edb_err *err)
{
    int64_t us;
    edb_err derr = EDB_ERR_INIT;
    if (strcmp(value, "none") == 0)
        return EDB_OK;
    if (edb_duration_parse(value, &us, &derr) != EDB_OK || us <= 0)
        return edb_err_set(err, EDB_ERR_USAGE, "-O %s=%s: give a duration longer than 0 (e.g. "
                           "-O %s=5min) or none", key, value, key);
    return EDB_OK;
}

edb_status edb__plot_check_points(const char *key, const char *value, edb_err *err)
{
    int64_t v;
    if (edb_parse_int64(value, strlen(value), &v) != 0 || v < 1000 || v > 100000000)
        return edb_err_set(err, EDB_ERR_USAGE, "-O %s=%s: give a whole number from 1000 to "
                           "100000000, e.g. -O %s=2000000", key, value, key);
    return EDB_OK;
}

edb__plot_limits edb__plot_limits_for(const edb__plot_opts *o, const char *mnemonic)
{
    edb__plot_limits l = o->lim;
    for (size_t q = 0; mnemonic && q < o->nper; q++) {
        if (strcmp(o->per[q].name, mnemonic) != 0)
            continue;
        const edb__plot_limits *m = &o->per[q].lim;
        /* the mnemonic's own yellow, red and nominal each replace the common ones */
        if (m->has_yellow[0] || m->has_yellow[1]) {
            memcpy(l.has_yellow, m->has_yellow, sizeof l.has_yellow);
            memcpy(l.yellow, m->yellow, sizeof l.yellow);
        }
        if (m->has_red[0] || m->has_red[1]) {
            memcpy(l.has_red, m->has_red, sizeof l.has_red);
            memcpy(l.red, m->red, sizeof l.red);
        }
        if (m->has_nominal) {
            l.has_nominal = 1;
            l.nominal = m->nominal;
        }
    }
    return l;
}

edb_status edb__plot_opts_read(edb__plot_opts *o, const edb__wctx *c)
{
    memset(o, 0, sizeof *o);
    o->max_points = EDB__PLOT_MAX_POINTS;
    const char *v;
    int64_t n;
    /* Every value was checked when the writer opened; these parse again to read them. */
    if ((v = edb__wctx_opt(c, "width")) && edb_parse_int64(v, strlen(v), &n) == 0)
        o->width = (int)n;
    if ((v = edb__wctx_opt(c, "height")) && edb_parse_int64(v, strlen(v), &n) == 0)
        o->height = (int)n;
    if ((v = edb__wctx_opt(c, "max-points")) && edb_parse_int64(v, strlen(v), &n) == 0)
        o->max_points = (size_t)n;
    o->title = edb__wctx_opt(c, "title");
    o->overlay = edb__wctx_opt(c, "overlay") != NULL;
    o->count = edb__wctx_opt(c, "count") != NULL;
    o->date = edb__wctx_opt(c, "date") != NULL;
    /* Limits, in the order given (a later one for the same panel wins). */
    for (size_t k = 0; k < c->n_opts; k++) {
        const char *key = c->opt_keys[k];
        int y = strcmp(key, "yellow") == 0, r = strcmp(key, "red") == 0;
        if (!y && !r && strcmp(key, "nominal") != 0)
            continue;
        char name[EDB_MNEMONIC_MAX + 1];
        const char *rest;
        if (split_prefix(c->opt_vals[k], name, &rest) != 0)
            continue; /* refused at open */
        edb__plot_limits *l = &o->lim;
        if (name[0]) {
            size_t q = 0;
            while (q < o->nper && strcmp(o->per[q].name, name) != 0)
                q++;
            if (q == o->nper) {
                if (o->nper == EDB__PLOT_MAX_PER)
                    return edb_err_set(c->err, EDB_ERR_USAGE, "limits for at most %d mnemonics",
                                       EDB__PLOT_MAX_PER);
                memset(&o->per[q], 0, sizeof o->per[q]);
                snprintf(o->per[q].name, sizeof o->per[q].name, "%s", name);
                o->nper++;
            }
            l = &o->per[q].lim;
        }
        if (y)
            parse_limits(rest, l->has_yellow, l->yellow);
        else if (r)
            parse_limits(rest, l->has_red, l->red);
        else
            l->has_nominal = parse_num(rest, strlen(rest), &l->nominal) == 0;
    }
    if ((v = edb__wctx_opt(c, "ymin")))
        o->has_ymin = parse_num(v, strlen(v), &o->ymin) == 0;
    if ((v = edb__wctx_opt(c, "ymax")))
        o->has_ymax = parse_num(v, strlen(v), &o->ymax) == 0;
    if ((v = edb__wctx_opt(c, "max-gap"))) {
        edb_err derr = EDB_ERR_INIT;
        if (strcmp(v, "none") == 0)
            o->max_gap_us = -1;
        else
            edb_duration_parse(v, &o->max_gap_us, &derr);
    }
    /* What only shows when options meet: yellow inside red, for every panel. */
    for (size_t q = 0; q <= o->nper; q++) {
        edb__plot_limits l = q < o->nper ? edb__plot_limits_for(o, o->per[q].name) : o->lim;
        for (int k = 0; k < 2; k++)
            if (l.has_yellow[k] && l.has_red[k] &&
                (k == 0 ? l.yellow[0] < l.red[0] : l.yellow[1] > l.red[1])) {
                char a[64], b[64], w[160];
                edb_format_double(l.yellow[k], a, sizeof a);
                edb_format_double(l.red[k], b, sizeof b);
                snprintf(w, sizeof w, "%s%s", q < o->nper ? o->per[q].name : "",
                         q < o->nper ? ": " : "");
                return edb_err_set(c->err, EDB_ERR_USAGE, "%sthe %s yellow limit %s lies beyond "
                                   "the red one %s: the yellow limits are the inner ones (red "
                                   "<= yellow <= red)", w, k ? "high" : "low", a, b);
            }
    }
    if (o->has_ymin && o->has_ymax && !(o->ymin < o->ymax))
        return edb_err_set(c->err, EDB_ERR_USAGE, "-O ymin=%s is not below -O ymax=%s",
                           edb__wctx_opt(c, "ymin"), edb__wctx_opt(c, "ymax"));
    return EDB_OK;
}

/* ---- text ------------------------------------------------------------------------------ */

double edb__plot_text_em(const char *s)
{
    /* Advance widths of DejaVu Sans in em, rounded up a little, by class of character. */
    double w = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned char ch = *p;
        if (ch >= 0x80) {
            if ((ch & 0xc0) != 0x80)
                w += 0.75; /* a character outside ASCII: count it once, generously */
        } else if (ch >= '0' && ch <= '9')
            w += 0.64;
        else if (ch >= 'A' && ch <= 'Z')
            w += ch == 'M' || ch == 'W' ? 0.9 : ch == 'I' || ch == 'J' ? 0.32 : 0.72;
        else if (ch >= 'a' && ch <= 'z')
            w += ch == 'm' || ch == 'w' ? 0.9 : ch == 'i' || ch == 'j' || ch == 'l' ? 0.3 : 0.6;
        else if (ch == ' ' || ch == '.' || ch == ',' || ch == ':' || ch == ';' || ch == '\'')
            w += 0.33;
        else if (ch == '_')
            w += 0.5;
        else
            w += 0.64;
    }
    return w;
}

void edb__plot_time_text(edb_time t, char *buf, size_t n)
{
    char iso[EDB_TIME_STRLEN];
    edb_time_format_iso(t, iso, sizeof iso);
    char *tpos = strchr(iso, 'T');
    if (tpos)
        *tpos = ' ';
    size_t len = strlen(iso);
    if (len > 4 && strcmp(iso + len - 4, ".000") == 0)
        iso[len - 4] = '\0';
    snprintf(buf, n, "%s", iso);
}

/* A copy of a label (mnemonic, unit, description, state name): control characters become
 * '?', bytes that are not UTF-8 too, and it is cut to at most max characters with an
 * ellipsis, so that no text from the data can upset a driver or overflow the picture. */
static char *clean_text(const char *s, size_t len, size_t max)
{
    char *out = malloc(len * 3 + 8);
    if (!out)
        return NULL;
    size_t o = 0, chars = 0, k = 0;
    while (k < len) {
        unsigned char ch = (unsigned char)s[k];
        size_t need = ch < 0x80 ? 1 : (ch & 0xe0) == 0xc0 ? 2 : (ch & 0xf0) == 0xe0 ? 3
                      : (ch & 0xf8) == 0xf0 ? 4 : 0;
        int ok = need > 0 && k + need <= len;
        for (size_t q = 1; ok && q < need; q++)
            ok = ((unsigned char)s[k + q] & 0xc0) == 0x80;
        if (ok && need == 2 && ch < 0xc2)
            ok = 0; /* overlong */
        if (chars == max) {
            memcpy(out + o, "\xe2\x80\xa6", 3); /* ... */
            o += 3;
            break;
        }
        if (!ok) {
            out[o++] = '?';
            k++;
        } else if (need == 1) {
            out[o++] = ch < 0x20 || ch == 0x7f ? '?' : (char)ch;
            k++;
        } else {
            memcpy(out + o, s + k, need);
            o += need;
            k += need;
        }
        chars++;
    }
    out[o] = '\0';
    return out;
}

static char *dupstr(const char *s)
{
    return s ? clean_text(s, strlen(s), 200) : NULL;
}

/* ---- building panels ------------------------------------------------------------------ */

#define SHARED (shared_i >= 0 ? &p->p[shared_i] : NULL)

static edb__plot_panel *add_panel(edb__plot *p)
{
    edb__plot_panel *np = realloc(p->p, (p->np + 1) * sizeof *np);
    if (!np)
        return NULL;
    p->p = np;
    memset(&np[p->np], 0, sizeof np[p->np]);
    return &np[p->np++];
}

static edb__plot_trace *add_trace(edb__plot_panel *pn)
{
    edb__plot_trace *nt = realloc(pn->tr, (pn->ntr + 1) * sizeof *nt);
    if (!nt)
        return NULL;
    pn->tr = nt;
    edb__plot_trace *tr = &nt[pn->ntr++];
    memset(tr, 0, sizeof *tr);
    tr->vmin = INFINITY;
    tr->vmax = -INFINITY;
    return tr;
}

static char *make_ylabel(const char *mnemonic, const char *unit)
{
    char buf[512];
    if (unit && *unit)
        snprintf(buf, sizeof buf, "%s [%s]", mnemonic, unit);
    else
        snprintf(buf, sizeof buf, "%s", mnemonic);
    return dupstr(buf);
}

/* int64 scratch for the median, shared by the traces of one build. */
typedef struct scratch {
    int64_t *v;
    size_t cap;
} scratch;

static void swap64(int64_t *a, int64_t *b)
{
    int64_t t = *a;
    *a = *b;
    *b = t;
}

static int cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The k-th smallest of v[0..n): quickselect with a three-way partition (telemetry spacings
 * are mostly equal, which a two-way partition handles badly), falling back to sorting what
 * is left when the pivots keep going wrong, so hostile input costs O(n log n) at worst. */
static int64_t select_kth(int64_t *v, size_t n, size_t k)
{
    size_t lo = 0, hi = n, rounds = 0;
    while (hi - lo > 1) {
        if (++rounds > 64) {
            qsort(v + lo, hi - lo, sizeof *v, cmp64);
            return v[k];
        }
        size_t mid = lo + (hi - lo) / 2;
        int64_t a = v[lo], b = v[mid], c = v[hi - 1];
        int64_t piv = a < b ? (b < c ? b : a < c ? c : a) : (a < c ? a : b < c ? c : b);
        size_t lt = lo, i = lo, gt = hi;
        while (i < gt) {
            if (v[i] < piv)
                swap64(&v[lt++], &v[i++]);
            else if (v[i] > piv)
                swap64(&v[i], &v[--gt]);
            else
                i++;
        }
        if (k < lt)
            hi = lt;
        else if (k >= gt)
            lo = gt;
        else
            return piv;
    }
    return v[k];
}

/* Spacing of consecutive times, never negative (times are sorted; hostile ones need not
 * be) and without overflow. */
static int64_t spacing(edb_time a, edb_time b)
{
    if (b <= a)
        return 0;
    uint64_t d = (uint64_t)b - (uint64_t)a;
    return d > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)d;
}

/* Value range and count of a source, and the spacings of its rows that have a value
 * into sc (for the median). */
static edb_status scan_src(const edb__plot_src *s, edb__plot_trace *tr, scratch *sc,
                           size_t *nsp)
{
    *nsp = 0;
    if (sc && s->n > sc->cap) {
        int64_t *nv = realloc(sc->v, s->n * sizeof *nv);
        if (!nv)
            return EDB_ERR_NOMEM;
        sc->v = nv;
        sc->cap = s->n;
    }
    int have_prev = 0;
    edb_time prev = 0;
    for (size_t k = 0; k < s->n; k++) {
        double v = 0;
        if (edb__plot_value(s, k, &v)) {
            if (v < tr->vmin)
                tr->vmin = v;
            if (v > tr->vmax)
                tr->vmax = v;
            tr->npresent++;
        }
        if (s->valid && !s->valid[k])
            continue;
        if (sc && have_prev)
            sc->v[(*nsp)++] = spacing(prev, s->t[k]);
        prev = s->t[k];
        have_prev = 1;
    }
    return EDB_OK;
}

/* The break threshold of a trace: -O max-gap, else 10 times the median spacing of its
 * samples (the mean of the two middle ones when there is an even number of spacings);
 * none for change-only data, whose silence means "no change". */
static edb_status set_gap(edb__plot_trace *tr, const edb__plot_opts *o, int change_only,
                          scratch *sc)
{
    size_t nsp = 0;
    int want_median = !change_only && o->max_gap_us == 0;
    edb_status st = scan_src(&tr->src, tr, want_median ? sc : NULL, &nsp);
    if (st == EDB_OK && tr->own[1]) {
        size_t dummy;
        st = scan_src(&tr->hi, tr, NULL, &dummy);
    }
    if (st != EDB_OK)
        return st;
    if (change_only || o->max_gap_us < 0)
        tr->gap_us = 0;
    else if (o->max_gap_us > 0)
        tr->gap_us = o->max_gap_us;
    else if (nsp > 0) {
        int64_t med;
        if (nsp % 2)
            med = select_kth(sc->v, nsp, nsp / 2);
        else {
            int64_t a = select_kth(sc->v, nsp, nsp / 2 - 1);
            int64_t b = select_kth(sc->v, nsp, nsp / 2);
            med = a / 2 + b / 2 + (a % 2 + b % 2) / 2;
        }
        /* Saturate: a gap rule beyond the range of time breaks nothing. */
        tr->gap_us = med > INT64_MAX / EDB__PLOT_GAP_FACTOR ? INT64_MAX
                                                             : med * EDB__PLOT_GAP_FACTOR;
        /* A median of 0 (most samples share their time stamp): the rule says any advance
         * is longer than 10 x 0, so every advance breaks; gap_us 0 already means "no
         * breaks", so this case is -1. */
        if (tr->gap_us == 0)
            tr->gap_us = -1;
    }
    return EDB_OK;
}

/* States: the distinct strings of a column, sorted, and each sample's index in them. */
typedef struct str_view {
    const char *s;
    size_t len;
} str_view;

typedef struct str_ref {
    str_view v;
    int32_t id;
} str_ref;

static int cmp_view(const str_view *a, const str_view *b)
{
    size_t m = a->len < b->len ? a->len : b->len;
    int c = memcmp(a->s, b->s, m);
    return c ? c : (a->len > b->len) - (a->len < b->len);
}

static int cmp_ref(const void *a, const void *b)
{
    return cmp_view(&((const str_ref *)a)->v, &((const str_ref *)b)->v);
}

static uint64_t hash_view(const char *s, size_t len)
{
    uint64_t h = 1469598103934665603u; /* FNV-1a */
    for (size_t k = 0; k < len; k++)
        h = (h ^ (unsigned char)s[k]) * 1099511628211u;
    return h;
}

typedef const char *(*str_at_fn)(const void *src, size_t k, size_t *len);

static const char *series_str_at(const void *src, size_t k, size_t *len)
{
    return edb_series_str((const edb_series *)src, k, len);
}

static const char *column_str_at(const void *src, size_t k, size_t *len)
{
    return edb_column_str((const edb_column *)src, k, len);
}

static edb_status make_states(edb__plot_panel *pn, const void *src, str_at_fn at, size_t n,
                              const uint8_t *valid)
{
    pn->codes = malloc((n ? n : 1) * sizeof *pn->codes);
    size_t hcap = 64;
    while (hcap < 2 * n + 2)
        hcap *= 2;
    int32_t *table = malloc(hcap * sizeof *table); /* -1 empty, else index in refs */
    str_ref *refs = NULL;
    size_t nref = 0, rcap = 0;
    edb_status st = EDB_OK;
    if (!pn->codes || !table) {
        st = EDB_ERR_NOMEM;
        goto out;
    }
    for (size_t k = 0; k < hcap; k++)
        table[k] = -1;
    for (size_t k = 0; k < n; k++) {
        if (valid && !valid[k]) {
            pn->codes[k] = -1;
            continue;
        }
        str_view v;
        v.s = at(src, k, &v.len);
        size_t h = (size_t)(hash_view(v.s, v.len) & (hcap - 1));
        while (table[h] >= 0 && cmp_view(&refs[table[h]].v, &v) != 0)
            h = (h + 1) & (hcap - 1);
        if (table[h] < 0) {
            if (nref == rcap) {
                rcap = rcap ? rcap * 2 : 16;
                str_ref *nr = realloc(refs, rcap * sizeof *nr);
                if (!nr) {
                    st = EDB_ERR_NOMEM;
                    goto out;
                }
                refs = nr;
            }
            refs[nref].v = v;
            refs[nref].id = (int32_t)nref;
            table[h] = (int32_t)nref++;
        }
        pn->codes[k] = table[h];
    }
    /* Sorted by name, so that the same states come out in the same order whatever order
     * they were seen in. */
    if (nref > 1)
        qsort(refs, nref, sizeof *refs, cmp_ref);
    int32_t *rank = malloc((nref ? nref : 1) * sizeof *rank);
    pn->states = calloc(nref ? nref : 1, sizeof *pn->states);
    if (!rank || !pn->states) {
        free(rank);
        st = EDB_ERR_NOMEM;
        goto out;
    }
    for (size_t r = 0; r < nref; r++) {
        rank[refs[r].id] = (int32_t)r;
        pn->states[r] = refs[r].v.len ? clean_text(refs[r].v.s, refs[r].v.len, 28)
                                      : dupstr("(empty)");
        if (!pn->states[r]) {
            free(rank);
            st = EDB_ERR_NOMEM;
            goto out;
        }
        pn->nstates = r + 1;
    }
    for (size_t k = 0; k < n; k++)
        if (pn->codes[k] >= 0)
            pn->codes[k] = rank[pn->codes[k]];
    free(rank);
out:
    free(table);
    free(refs);
    return st;
}

static void sel_free(edb__plot_sel *s)
{
    free(s->idx);
    free(s->run);
    memset(s, 0, sizeof *s);
}

void edb__plot_free(edb__plot *p)
{
    if (!p)
        return;
    for (size_t k = 0; k < p->np; k++) {
        edb__plot_panel *pn = &p->p[k];
        for (size_t q = 0; q < pn->ntr; q++) {
            edb__plot_trace *tr = &pn->tr[q];
            free(tr->label);
            free(tr->own[0]);
            free(tr->own[1]);
            sel_free(&tr->sel);
            sel_free(&tr->sel_hi);
        }
        for (size_t q = 0; q < pn->nstates; q++)
            free(pn->states[q]);
        free(pn->states);
        free(pn->codes);
        free(pn->tr);
        free(pn->ylabel);
        free(pn->description);
    }
    free(p->p);
    free(p->title);
    free(p->caption);
    free(p);
}

static edb_status too_many(const edb__plot_opts *o, size_t want, size_t nmnem, edb_err *err)
{
    return edb_err_set(err, EDB_ERR_USAGE, "a plot shows at most %d %s; this one would need %zu "
                       "(%zu mnemonic%s%s): split the mnemonics over several plots, or use "
                       "another format for this many", EDB__PLOT_MAX_PANELS,
                       o->overlay ? "lines and panels" : "panels", want, nmnem,
                       nmnem == 1 ? "" : "s", o->count ? ", with -O count" : "");
}

/* Title, caption and the time axis, once the panels are there. */
static edb_status finish(edb__plot *p, const edb_run_info *run, const char *const *names,
                         size_t nnames, const char *stats_note)
{
    /* The axis spans the query and every sample (brackets, bins that start before it). */
    int have = 0;
    edb_time lo = 0, hi = 0;
    if (run) {
        lo = run->start;
        hi = run->end;
        have = 1;
    }
    for (size_t k = 0; k < p->np; k++)
        for (size_t q = 0; q < p->p[k].ntr; q++) {
            const edb__plot_src *s = &p->p[k].tr[q].src;
            if (!s->n)
                continue;
            edb_time a = s->t[0] + s->t_shift, b = s->t[s->n - 1] + s->t_shift;
            if (!have || a < lo)
                lo = a;
            if (!have || b > hi)
                hi = b;
            have = 1;
        }
    if (!have)
        lo = hi = 0;
    /* An axis needs some width: at least 10 ms around a single instant. */
    if (hi < lo || (uint64_t)hi - (uint64_t)lo < 10000) {
        edb_time mid = lo / 2 + hi / 2;
        lo = mid > EDB_TIME_MIN + 5000 ? mid - 5000 : mid;
        hi = lo + 10000;
    }
    p->x0 = lo;
    p->x1 = hi;

    p->empty = 1;
    for (size_t k = 0; k < p->np; k++)
        for (size_t q = 0; q < p->p[k].ntr; q++)
            if (p->p[k].tr[q].npresent)
                p->empty = 0;

    char buf[600];
    if (p->o.title)
        p->title = clean_text(p->o.title, strlen(p->o.title), 160);
    else {
        size_t o = 0;
        buf[0] = '\0';
        for (size_t k = 0; k < nnames; k++) {
            if (k > 0 && (o + strlen(names[k]) > 70 || k == 6)) {
                snprintf(buf + o, sizeof buf - o, " and %zu more", nnames - k);
                break;
            }
            o += (size_t)snprintf(buf + o, sizeof buf - o, "%s%s", k ? ", " : "", names[k]);
            if (o >= sizeof buf)
                break;
        }
        p->title = dupstr(nnames ? buf : "no mnemonics");
    }
    char a[EDB_TIME_STRLEN], b[EDB_TIME_STRLEN];
    edb_time ra = run ? run->start : p->x0, rb = run ? run->end : p->x1;
    edb__plot_time_text(ra, a, sizeof a);
    edb__plot_time_text(rb, b, sizeof b);
    /* The same day once: "2021-01-26 02:28:47 to 02:36:00 UTC". */
    const char *bshow = strncmp(a, b, 11) == 0 ? b + 11 : b;
    snprintf(buf, sizeof buf, "%s to %s UTC%s%s", a, bshow, stats_note ? "; " : "",
             stats_note ? stats_note : "");
    p->caption = dupstr(buf);
    if (!p->title || !p->caption)
        return EDB_ERR_NOMEM;
    return EDB_OK;
}

static edb__plot *new_plot(const edb__plot_opts *o)
{
    edb__plot *p = calloc(1, sizeof *p);
    if (p)
        p->o = *o;
    return p;
}

edb_status edb__plot_from_series(edb__plot **out, const edb__plot_opts *o,
                                 const edb_run_info *run, const edb_series *const *s,
                                 size_t n, edb_err *err)
{
    *out = NULL;
    edb__plot *p = new_plot(o);
    scratch sc = {NULL, 0};
    const char **names = calloc(n ? n : 1, sizeof *names);
    edb_status st = EDB_OK;
    if (!p || !names) {
        st = EDB_ERR_NOMEM;
        goto fail;
    }
    /* Panels first, so that too many are refused before any work. */
    size_t nnum = 0, nstr = 0;
    for (size_t k = 0; k < n; k++) {
        names[k] = s[k]->mnemonic;
        if (s[k]->vtype == EDB_VT_STRING)
            nstr++;
        else
            nnum++;
    }
    size_t want = o->overlay ? nstr + (nnum > 0) : n;
    if (want > EDB__PLOT_MAX_PANELS || (o->overlay && nnum > EDB__PLOT_MAX_PANELS)) {
        free(names);
        edb__plot_free(p);
        return too_many(o, want > nnum ? want : nnum, n, err);
    }
    /* the overlay's panel, by index: adding panels moves them */
    long shared_i = -1;
    const char *shared_unit = NULL;
    int units_differ = 0;
    for (size_t k = 0; k < n && st == EDB_OK; k++) {
        const edb_series *sr = s[k];
        int states = sr->vtype == EDB_VT_STRING;
        int change_only = sr->all_points == 0;
        edb__plot_panel *pn;
        if (o->overlay && !states && shared_i >= 0)
            pn = SHARED;
        else if (!(pn = add_panel(p))) {
            st = EDB_ERR_NOMEM;
            break;
        }
        if (o->overlay && !states && shared_i < 0) {
            shared_i = (long)(pn - p->p);
            shared_unit = sr->unit;
        } else if (pn == SHARED && !units_differ) {
            units_differ = (shared_unit == NULL) != (sr->unit == NULL) ||
                           (shared_unit && strcmp(shared_unit, sr->unit) != 0);
        }
        if (pn != SHARED) {
            pn->kind = states ? EDB__PANEL_STATES : EDB__PANEL_NUMBER;
            pn->ylabel = make_ylabel(sr->mnemonic, sr->unit);
            pn->description = dupstr(sr->description);
            pn->limits = !states;
            pn->lim = edb__plot_limits_for(o, sr->mnemonic);
            if (!pn->ylabel || (sr->description && !pn->description)) {
                st = EDB_ERR_NOMEM;
                break;
            }
        }
        edb__plot_trace *tr = add_trace(pn);
        if (!tr) {
            st = EDB_ERR_NOMEM;
            break;
        }
        tr->label = dupstr(sr->mnemonic);
        tr->role = EDB__ROLE_LINE;
        tr->colour = pn == SHARED ? (int)(pn->ntr - 1) : 0;
        tr->step = states || sr->vtype == EDB_VT_INT || change_only;
        tr->hold_end = change_only;
        tr->src.n = sr->n;
        tr->src.t = sr->t;
        if (states) {
            st = make_states(pn, sr, series_str_at, sr->n, NULL);
            tr->src.code = pn->codes;
        } else if (sr->vtype == EDB_VT_INT)
            tr->src.i = sr->i;
        else
            tr->src.d = sr->d;
        if (!tr->src.d && !tr->src.i && !tr->src.code)
            tr->src.n = 0; /* no sample, no type */
        if (!tr->label && st == EDB_OK)
            st = EDB_ERR_NOMEM;
        if (st == EDB_OK)
            st = set_gap(tr, o, change_only, &sc);
    }
    if (st == EDB_OK && shared_i >= 0) {
        SHARED->kind = EDB__PANEL_NUMBER;
        SHARED->limits = 1;
        SHARED->lim = o->lim; /* only the limits for every panel */
        SHARED->legend = 1;
        if (SHARED->ntr == 1) {
            SHARED->ylabel = make_ylabel(SHARED->tr[0].label, shared_unit);
        } else {
            char buf[300];
            snprintf(buf, sizeof buf, "value%s%s%s", !units_differ && shared_unit ? " [" : "",
                     !units_differ && shared_unit ? shared_unit : "",
                     !units_differ && shared_unit ? "]" : "");
            SHARED->ylabel = dupstr(buf);
        }
        if (!SHARED->ylabel)
            st = EDB_ERR_NOMEM;
    }
    if (st == EDB_OK && p->np == 0) {
        /* Nothing asked for at all: one empty frame. */
        edb__plot_panel *pn = add_panel(p);
        if (!pn || !(pn->ylabel = dupstr("value")))
            st = EDB_ERR_NOMEM;
    }
    if (st == EDB_OK)
        st = finish(p, run, names, n, NULL);
fail:
    free(names);
    free(sc.v);
    if (st != EDB_OK) {
        edb__plot_free(p);
        return edb_err_set(err, st, "out of memory building the plot");
    }
    *out = p;
    return EDB_OK;
}

/* ---- wide tables ---------------------------------------------------------------------- */

static int stat_is(const edb_column *c, const char *name)
{
    return c->stat && strcmp(c->stat, name) == 0;
}

/* A column as a source of values. */
static void column_src(edb__plot_src *s, const edb_table *t, const edb_column *c, int64_t shift)
{
    memset(s, 0, sizeof *s);
    s->n = t->nrows;
    s->t = t->t;
    s->t_shift = shift;
    s->valid = c->valid;
    if (c->vtype == EDB_VT_INT)
        s->i = c->i;
    else
        s->d = c->d;
}

/* Band edges lo = a - b, hi = a + b (std), or lo = a, hi = b (envelope); NaN where a row
 * lacks either. */
static edb_status band_src(edb__plot_trace *tr, const edb_table *t, const edb_column *a,
                           const edb_column *b, int std, int64_t shift)
{
    size_t n = t->nrows;
    tr->own[0] = malloc((n ? n : 1) * sizeof(double));
    tr->own[1] = malloc((n ? n : 1) * sizeof(double));
    if (!tr->own[0] || !tr->own[1])
        return EDB_ERR_NOMEM;
    for (size_t r = 0; r < n; r++) {
        double x = NAN, y = NAN;
        if (a->valid[r] && b->valid[r]) {
            x = a->vtype == EDB_VT_INT ? (double)a->i[r] : a->d[r];
            y = b->vtype == EDB_VT_INT ? (double)b->i[r] : b->d[r];
        }
        tr->own[0][r] = std ? x - y : x;
        tr->own[1][r] = std ? x + y : y;
    }
    memset(&tr->src, 0, sizeof tr->src);
    tr->src.n = n;
    tr->src.t = t->t;
    tr->src.t_shift = shift;
    tr->src.d = tr->own[0];
    tr->hi = tr->src;
    tr->hi.d = tr->own[1];
    return EDB_OK;
}

typedef struct group {
    const char *mnemonic;
    const edb_column *point[8];
    size_t npoint;
    const edb_column *st[EDB_STAT_N + 2];
    size_t nst;
    const edb_column *mean, *median, *min, *max, *std, *count;
} group;

static const edb_column *find_stat(const group *g, const char *name)
{
    for (size_t k = 0; k < g->nst; k++)
        if (stat_is(g->st[k], name))
            return g->st[k];
    return NULL;
}

edb_status edb__plot_from_table(edb__plot **out, const edb__plot_opts *o,
                                const edb_run_info *run, const edb_table *t, edb_err *err)
{
    *out = NULL;
    edb__plot *p = new_plot(o);
    scratch sc = {NULL, 0};
    group *g = calloc(t->ncols ? t->ncols : 1, sizeof *g);
    const char **names = calloc(t->ncols ? t->ncols : 1, sizeof *names);
    size_t ng = 0;
    edb_status st = EDB_OK;
    int any_stats = 0, any_count = 0;
    if (!p || !g || !names) {
        free(g);
        free(names);
        edb__plot_free(p);
        return edb_err_set(err, EDB_ERR_NOMEM, "out of memory building the plot");
    }
    /* Columns grouped by mnemonic, in the order they come. */
    for (size_t k = 0; k < t->ncols; k++) {
        const edb_column *c = &t->cols[k];
        const char *m = c->mnemonic ? c->mnemonic : c->name;
        size_t q = 0;
        while (q < ng && strcmp(g[q].mnemonic, m) != 0)
            q++;
        if (q == ng) {
            g[ng].mnemonic = m;
            names[ng] = m;
            ng++;
        }
        if (c->stat) {
            any_stats = 1;
            if (g[q].nst < sizeof g[q].st / sizeof g[q].st[0])
                g[q].st[g[q].nst++] = c;
            if (stat_is(c, "count"))
                any_count = 1;
        } else if (g[q].npoint < sizeof g[q].point / sizeof g[q].point[0]) {
            g[q].point[g[q].npoint++] = c;
        }
    }
    if (o->count && !any_count) {
        free(g);
        free(names);
        edb__plot_free(p);
        return edb_err_set(err, EDB_ERR_USAGE, "-O count draws the count per bin, and this "
                           "table has no count column: add count to --stats (e.g. --stats "
                           "mean,std,count)");
    }
    /* Panels needed: one per group of numbers (with overlay: one for all of them, and
     * then at most as many lines), one per string column, one per count panel. */
    size_t want = 0, nnum = 0;
    for (size_t q = 0; q < ng; q++) {
        size_t strs = 0, nums = 0;
        for (size_t k = 0; k < g[q].npoint; k++) {
            if (g[q].point[k]->vtype == EDB_VT_STRING)
                strs++;
            else
                nums++;
        }
        for (size_t k = 0; k < g[q].nst; k++)
            if (g[q].st[k]->vtype == EDB_VT_STRING)
                strs++;
            else if (!stat_is(g[q].st[k], "count"))
                nums++;
        int has_count = find_stat(&g[q], "count") != NULL;
        int count_only = has_count && nums == 0 && g[q].npoint == 0;
        want += strs + (has_count && (o->count || count_only) ? 1 : 0);
        nnum += nums > 0;
    }
    want += o->overlay ? (nnum > 0) : nnum;
    if (want > EDB__PLOT_MAX_PANELS || (o->overlay && nnum > EDB__PLOT_MAX_PANELS)) {
        free(g);
        free(names);
        edb__plot_free(p);
        return too_many(o, want > nnum ? want : nnum, ng, err);
    }
    int64_t shift = any_stats && t->step_us > 0 ? t->step_us / 2 : 0;
    /* the overlay's panel, by index: adding panels moves them */
    long shared_i = -1;
    const char *shared_unit = NULL;
    int units_differ = 0;
    for (size_t q = 0; q < ng && st == EDB_OK; q++) {
        group *gr = &g[q];
        gr->mean = find_stat(gr, "mean");
        gr->median = find_stat(gr, "median");
        gr->min = find_stat(gr, "min");
        gr->max = find_stat(gr, "max");
        gr->std = find_stat(gr, "std");
        gr->count = find_stat(gr, "count");
        const edb_column *any = gr->npoint ? gr->point[0] : gr->st[0];
        /* One panel of numbers for the point columns and the statistics. */
        edb__plot_panel *pn = NULL;
        int made_line = 0;
        for (size_t pass = 0; pass < 2 && st == EDB_OK; pass++) {
            /* pass 0: point columns and statistics drawn as lines; pass 1: bands */
            size_t ncand = gr->npoint + gr->nst;
            for (size_t k = 0; k < ncand && st == EDB_OK; k++) {
                const edb_column *c = k < gr->npoint ? gr->point[k] : gr->st[k - gr->npoint];
                if (c->vtype == EDB_VT_STRING || stat_is(c, "count"))
                    continue;
                edb__plot_role role;
                const edb_column *partner = NULL;
                if (!c->stat)
                    role = EDB__ROLE_LINE;
                else if (stat_is(c, "mean"))
                    role = EDB__ROLE_LINE;
                else if (stat_is(c, "std") && gr->mean)
                    role = EDB__ROLE_STD, partner = gr->mean;
                else if ((stat_is(c, "min") || stat_is(c, "max")) && gr->min && gr->max)
                    role = EDB__ROLE_ENV;
                else if (stat_is(c, "median") && !gr->mean)
                    role = EDB__ROLE_LINE;
                else
                    role = EDB__ROLE_EXTRA;
                int band = role == EDB__ROLE_STD || role == EDB__ROLE_ENV;
                if ((pass == 0) == band)
                    continue;
                if (role == EDB__ROLE_ENV && !stat_is(c, "min"))
                    continue; /* the envelope once, from its min column */
                if (!pn) {
                    if (o->overlay && shared_i >= 0)
                        pn = SHARED;
                    else if (!(pn = add_panel(p))) {
                        st = EDB_ERR_NOMEM;
                        break;
                    } else {
                        pn->kind = EDB__PANEL_NUMBER;
                        pn->limits = 1;
                        pn->lim = o->overlay ? o->lim : edb__plot_limits_for(o, gr->mnemonic);
                        pn->ylabel = make_ylabel(gr->mnemonic, any->unit);
                        pn->description = dupstr(any->description);
                        if (!pn->ylabel || (any->description && !pn->description))
                            st = EDB_ERR_NOMEM;
                        if (o->overlay) {
                            shared_i = (long)(pn - p->p);
                            shared_unit = any->unit;
                        }
                    }
                    if (pn == SHARED && SHARED->ntr > 0 && !units_differ)
                        units_differ = (shared_unit == NULL) != (any->unit == NULL) ||
                                       (shared_unit && strcmp(shared_unit, any->unit) != 0);
                }
                edb__plot_trace *tr = st == EDB_OK ? add_trace(pn) : NULL;
                if (!tr) {
                    st = EDB_ERR_NOMEM;
                    break;
                }
                tr->role = role;
                if (role == EDB__ROLE_LINE && made_line && !o->overlay)
                    tr->role = EDB__ROLE_EXTRA; /* several point columns of one mnemonic */
                made_line |= role == EDB__ROLE_LINE;
                char lab[300];
                if (o->overlay)
                    snprintf(lab, sizeof lab, "%s%s%s", gr->mnemonic,
                             c->stat ? " " : "", c->stat ? c->stat : "");
                else if (role == EDB__ROLE_STD)
                    snprintf(lab, sizeof lab, "mean \xc2\xb1 std");
                else if (role == EDB__ROLE_ENV)
                    snprintf(lab, sizeof lab, "min \xe2\x80\x93 max");
                else
                    snprintf(lab, sizeof lab, "%s", c->stat ? c->stat : c->name);
                tr->label = dupstr(lab);
                if (!tr->label) {
                    st = EDB_ERR_NOMEM;
                    break;
                }
                tr->step = c->vtype == EDB_VT_INT && !c->stat;
                tr->colour = o->overlay ? (int)(pn->ntr - 1) : 0;
                if (role == EDB__ROLE_STD)
                    st = band_src(tr, t, partner, c, 1, shift);
                else if (role == EDB__ROLE_ENV)
                    st = band_src(tr, t, gr->min, gr->max, 0, shift);
                else
                    column_src(&tr->src, t, c, c->stat ? shift : 0);
                if (st == EDB_OK)
                    st = set_gap(tr, o, 0, &sc);
            }
        }
        if (pn && pn != SHARED && pn->ntr > 1)
            pn->legend = 1;
        /* A main line: when only extra statistics are there, the first is it. */
        if (pn && pn != SHARED && !made_line)
            for (size_t k = 0; k < pn->ntr; k++)
                if (pn->tr[k].role == EDB__ROLE_EXTRA) {
                    pn->tr[k].role = EDB__ROLE_LINE;
                    break;
                }
        /* Strings: a states panel each. */
        size_t ncand = gr->npoint + gr->nst;
        for (size_t k = 0; k < ncand && st == EDB_OK; k++) {
            const edb_column *c = k < gr->npoint ? gr->point[k] : gr->st[k - gr->npoint];
            if (c->vtype != EDB_VT_STRING)
                continue;
            edb__plot_panel *sp = add_panel(p);
            edb__plot_trace *tr = sp ? add_trace(sp) : NULL;
            if (!tr) {
                st = EDB_ERR_NOMEM;
                break;
            }
            sp->kind = EDB__PANEL_STATES;
            char lab[300];
            snprintf(lab, sizeof lab, "%s%s%s", gr->mnemonic, c->stat ? " " : "",
                     c->stat ? c->stat : "");
            sp->ylabel = make_ylabel(lab, c->unit);
            sp->description = dupstr(c->description);
            tr->label = dupstr(lab);
            tr->step = 1;
            if (!sp->ylabel || !tr->label || (c->description && !sp->description)) {
                st = EDB_ERR_NOMEM;
                break;
            }
            st = make_states(sp, c, column_str_at, t->nrows, c->valid);
            column_src(&tr->src, t, c, c->stat ? shift : 0);
            tr->src.d = NULL;
            tr->src.code = sp->codes;
            if (st == EDB_OK)
                st = set_gap(tr, o, 0, &sc);
        }
        /* The count: its own panel when asked, or when it is all there is. */
        int count_only = gr->count && !pn && gr->npoint == 0;
        if (st == EDB_OK && gr->count && (o->count || count_only)) {
            edb__plot_panel *cp = add_panel(p);
            edb__plot_trace *tr = cp ? add_trace(cp) : NULL;
            if (!tr) {
                st = EDB_ERR_NOMEM;
                break;
            }
            cp->kind = EDB__PANEL_COUNT;
            /* Right under its mnemonic's panel "count" says it; with overlay, whose. */
            char lab[300];
            snprintf(lab, sizeof lab, "%s%scount", o->overlay || count_only ? gr->mnemonic : "",
                     o->overlay || count_only ? " " : "");
            cp->ylabel = dupstr(lab);
            tr->label = dupstr("count");
            tr->role = EDB__ROLE_COUNT;
            tr->step = 1;
            tr->hold_end = 1; /* the last bin's count holds to its end, the end of the axis */
            if (!cp->ylabel || !tr->label) {
                st = EDB_ERR_NOMEM;
                break;
            }
            column_src(&tr->src, t, gr->count, 0);
            st = set_gap(tr, o, 0, &sc);
        }
    }
    if (st == EDB_OK && shared_i >= 0) {
        SHARED->legend = 1;
        char buf[300];
        snprintf(buf, sizeof buf, "value%s%s%s", !units_differ && shared_unit ? " [" : "",
                 !units_differ && shared_unit ? shared_unit : "",
                 !units_differ && shared_unit ? "]" : "");
        free(SHARED->ylabel);
        SHARED->ylabel = dupstr(buf);
        if (!SHARED->ylabel)
            st = EDB_ERR_NOMEM;
    }
    if (st == EDB_OK && p->np == 0) {
        edb__plot_panel *pn = add_panel(p);
        if (!pn || !(pn->ylabel = dupstr("value")))
            st = EDB_ERR_NOMEM;
    }
    /* What the statistics are: "mean, mean ± std, min – max per 2min". */
    char note[200] = "";
    if (st == EDB_OK && any_stats) {
        char dur[64] = "";
        if (t->step_us > 0)
            edb_duration_format(t->step_us, dur, sizeof dur);
        int m = 0, sd = 0, env = 0;
        for (size_t q = 0; q < ng; q++) {
            m |= g[q].mean != NULL;
            sd |= g[q].mean && g[q].std;
            env |= g[q].min && g[q].max;
        }
        snprintf(note, sizeof note, "statistics%s%s%s%s%s%s", m ? ": mean" : "",
                 sd ? ", \xc2\xb1 std" : "", env ? (m ? ", min \xe2\x80\x93 max" : ": min \xe2\x80\x93 max") : "",
                 dur[0] ? " per " : "", dur, dur[0] ? " bin (drawn at its middle)" : "");
    }
    if (st == EDB_OK)
        st = finish(p, run, names, ng, note[0] ? note : NULL);
    free(g);
    free(names);
    free(sc.v);
    if (st != EDB_OK) {
        edb__plot_free(p);
        return edb_err_set(err, st, "out of memory building the plot");
    }
    *out = p;
    return EDB_OK;
}

/* ---- decimation --------------------------------------------------------------------------- */

int edb__plot_column(edb_time t, edb_time x0, edb_time x1, int ncols)
{
    if (t <= x0 || ncols <= 1)
        return 0;
    if (t >= x1)
        return ncols - 1;
    double f = (double)((uint64_t)t - (uint64_t)x0) / (double)((uint64_t)x1 - (uint64_t)x0);
    int c = (int)(f * ncols);
    return c < 0 ? 0 : c >= ncols ? ncols - 1 : c;
}

static int sel_push(edb__plot_sel *s, size_t k, int new_run)
{
    if (s->nidx == s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 256;
        size_t *ni = realloc(s->idx, nc * sizeof *ni);
        if (!ni)
            return -1;
        s->idx = ni;
        s->cap = nc;
    }
    if (new_run) {
        if (s->nrun + 2 > s->rcap) {
            size_t nc = s->rcap ? s->rcap * 2 : 16;
            size_t *nr = realloc(s->run, nc * sizeof *nr);
            if (!nr)
                return -1;
            s->run = nr;
            s->rcap = nc;
        }
        s->run[s->nrun++] = s->nidx;
    }
    s->idx[s->nidx++] = k;
    return 0;
}

typedef struct m4 {
    int open;    /* a column is being gathered */
    int col;
    size_t first, last, imin, imax;
    double vmin, vmax;
} m4;

/* The column's samples in time order, each once. */
static int m4_flush(m4 *a, edb__plot_sel *s, int *new_run)
{
    if (!a->open)
        return 0;
    a->open = 0;
    size_t v[4] = {a->first, a->imin, a->imax, a->last};
    /* sort four */
    for (int i = 1; i < 4; i++)
        for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
            size_t x = v[j];
            v[j] = v[j - 1];
            v[j - 1] = x;
        }
    for (int i = 0; i < 4; i++)
        if (i == 0 || v[i] != v[i - 1]) {
            if (sel_push(s, v[i], *new_run) != 0)
                return -1;
            *new_run = 0;
        }
    return 0;
}

static edb_status decimate_src(edb__plot_sel *sel, const edb__plot_src *s, int64_t gap,
                               edb_time x0, edb_time x1, int ncols)
{
    sel->nidx = 0;
    sel->nrun = 0;
    m4 a = {0, 0, 0, 0, 0, 0, 0, 0};
    int new_run = 1, have_prev = 0;
    edb_time prev = 0;
    for (size_t k = 0; k < s->n; k++) {
        double v = 0;
        if (!edb__plot_value(s, k, &v)) {
            /* No value here (a NaN, an empty row): the line breaks. */
            if (m4_flush(&a, sel, &new_run) != 0)
                return EDB_ERR_NOMEM;
            new_run = 1;
            have_prev = 0;
            continue;
        }
        edb_time t = s->t[k] + s->t_shift;
        if (have_prev && gap != 0) {
            int64_t d = spacing(prev, t);
            if (gap < 0 ? d > 0 : d > gap) {
                if (m4_flush(&a, sel, &new_run) != 0)
                    return EDB_ERR_NOMEM;
                new_run = 1;
            }
        }
        prev = t;
        have_prev = 1;
        if (ncols <= 0) {
            if (sel_push(sel, k, new_run) != 0)
                return EDB_ERR_NOMEM;
            new_run = 0;
            continue;
        }
        int c = edb__plot_column(t, x0, x1, ncols);
        if (a.open && c == a.col) {
            a.last = k;
            if (v < a.vmin) {
                a.vmin = v;
                a.imin = k;
            }
            if (v > a.vmax) {
                a.vmax = v;
                a.imax = k;
            }
            continue;
        }
        if (m4_flush(&a, sel, &new_run) != 0)
            return EDB_ERR_NOMEM;
        a.open = 1;
        a.col = c;
        a.first = a.last = a.imin = a.imax = k;
        a.vmin = a.vmax = v;
    }
    if (m4_flush(&a, sel, &new_run) != 0)
        return EDB_ERR_NOMEM;
    if (sel->run)
        sel->run[sel->nrun] = sel->nidx;
    return EDB_OK;
}

edb_status edb__plot_trace_decimate(edb__plot_trace *tr, edb_time x0, edb_time x1, int ncols)
{
    edb_status st = decimate_src(&tr->sel, &tr->src, tr->gap_us, x0, x1, ncols);
    if (st == EDB_OK && tr->own[1])
        st = decimate_src(&tr->sel_hi, &tr->hi, tr->gap_us, x0, x1, ncols);
    return st;
}

edb_status edb__plot_decimate(edb__plot *p, int ncols, edb_err *err)
{
    for (size_t k = 0; k < p->np; k++)
        for (size_t q = 0; q < p->p[k].ntr; q++)
            if (edb__plot_trace_decimate(&p->p[k].tr[q], p->x0, p->x1,
                                         p->o.every_point ? 0 : ncols) != EDB_OK)
                return edb_err_set(err, EDB_ERR_NOMEM, "out of memory drawing the plot");
    return EDB_OK;
}

/* ---- value axes ------------------------------------------------------------------------- */

double edb__plot_nice_step(double y0, double y1, int max_ticks)
{
    double span = y1 - y0;
    if (!(span > 0) || max_ticks < 1)
        return 1;
    double raw = span / max_ticks;
    if (!(raw < INFINITY) || raw < 1e-300)
        return raw < 1e-300 ? 1e-300 : 1e300;
    double mag = pow(10, floor(log10(raw)));
    static const double m[] = {1, 2, 2.5, 5, 10};
    for (size_t k = 0; k < sizeof m / sizeof m[0]; k++)
        if (m[k] * mag >= raw * (1 - 1e-12))
            return m[k] * mag;
    return 10 * mag;
}

/* floor(x) as an int, for exponents of ten: always in range. */
static int ifloor(double x)
{
    x = floor(x);
    return x > 400 ? 400 : x < -400 ? -400 : x == x ? (int)x : 0;
}

void edb__plot_format_value(double v, double step, double big, char *buf, size_t n)
{
    if (!(step > 0) || !(step < INFINITY) || !(big < INFINITY)) {
        snprintf(buf, n, "%g", v);
        return;
    }
    if (fabs(v) < step * 1e-6)
        v = 0; /* no "-0.000" */
    if (big >= 1e6 || (big > 0 && big < 1e-3)) {
        int digits = ifloor(log10(big)) - ifloor(log10(step)) + 1;
        if (fabs(step / pow(10, ifloor(log10(step))) - 2.5) < 1e-9)
            digits++;
        digits = digits < 1 ? 1 : digits > 17 ? 17 : digits;
        snprintf(buf, n, "%.*e", digits - 1, v);
        return;
    }
    int dec = -ifloor(log10(step) + 1e-9);
    if (fabs(step / pow(10, ifloor(log10(step) + 1e-9)) - 2.5) < 1e-9)
        dec++;
    dec = dec < 0 ? 0 : dec > 17 ? 17 : dec;
    snprintf(buf, n, "%.*f", dec, v);
}

/* Include a limit in the axis when it lies within one data span of the data: a limit far
 * away would squash the data into a line, one nearby shows where the data sits. */
static void near_limit(double L, double lo, double hi, double *a, double *b)
{
    double span = hi - lo;
    if (!(span > 0))
        span = fabs(hi) > 0 ? fabs(hi) : 1;
    if (L >= lo - span && L <= hi + span) {
        if (L < *a)
            *a = L;
        if (L > *b)
            *b = L;
    }
}

void edb__plot_scale(edb__plot *p, double panel_h, double font)
{
    const edb__plot_opts *o = &p->o;
    int max_ticks = (int)(panel_h / (font * 2.8));
    max_ticks = max_ticks < 2 ? 2 : max_ticks > 8 ? 8 : max_ticks;
    for (size_t k = 0; k < p->np; k++) {
        edb__plot_panel *pn = &p->p[k];
        if (pn->kind == EDB__PANEL_STATES) {
            pn->y0 = -0.5;
            pn->y1 = pn->nstates > 0 ? (double)pn->nstates - 0.5 : 0.5;
            pn->ystep = 0;
            continue;
        }
        double lo = INFINITY, hi = -INFINITY;
        for (size_t q = 0; q < pn->ntr; q++) {
            if (pn->tr[q].vmin < lo)
                lo = pn->tr[q].vmin;
            if (pn->tr[q].vmax > hi)
                hi = pn->tr[q].vmax;
        }
        if (lo <= hi) {
            /* Beyond 1e300 nothing can be told apart on an axis, and a span would overflow. */
            lo = lo < -1e300 ? -1e300 : lo > 1e300 ? 1e300 : lo;
            hi = hi < -1e300 ? -1e300 : hi > 1e300 ? 1e300 : hi;
        }
        if (pn->kind == EDB__PANEL_COUNT) {
            pn->y0 = 0;
            pn->y1 = hi > 0 ? hi * 1.08 : 1;
            pn->ystep = edb__plot_nice_step(0, pn->y1, max_ticks < 4 ? max_ticks : 4);
            if (pn->ystep < 1)
                pn->ystep = 1;
            continue;
        }
        int have = lo <= hi;
        /* Integers (counters, modes, flags) get whole-number ticks. */
        int integers = pn->ntr > 0;
        for (size_t q = 0; q < pn->ntr; q++)
            integers &= pn->tr[q].src.i != NULL && !pn->tr[q].own[0];
        double a = have ? lo : 0, b = have ? hi : 1;
        if (have && pn->limits) {
            const edb__plot_limits *L = &pn->lim;
            double lim[5];
            size_t nl = 0;
            for (int s = 0; s < 2; s++) {
                if (L->has_yellow[s])
                    lim[nl++] = L->yellow[s];
                if (L->has_red[s])
                    lim[nl++] = L->red[s];
            }
            if (L->has_nominal)
                lim[nl++] = L->nominal;
            for (size_t q = 0; q < nl; q++)
                near_limit(lim[q], lo, hi, &a, &b);
        }
        double span = b - a;
        if (!(span > 0)) {
            double d = integers ? 1 : fabs(a) > 0 ? fabs(a) * 0.01 : 1;
            a -= d;
            b += d;
        } else {
            a -= span * 0.05;
            b += span * 0.05;
        }
        /* Beyond what a double can tell apart, a range collapses: widen it. */
        if (!(b - a > fabs(a) * 1e-12)) {
            double d = fabs(a) * 1e-9;
            a -= d;
            b += d;
        }
        if (pn->limits && o->has_ymin)
            a = o->ymin;
        if (pn->limits && o->has_ymax)
            b = o->ymax;
        if (!(a < b)) {
            /* only one of ymin/ymax given, on the wrong side of the data */
            if (pn->limits && o->has_ymin)
                b = a + (fabs(a) > 0 ? fabs(a) : 1);
            else
                a = b - (fabs(b) > 0 ? fabs(b) : 1);
        }
        pn->y0 = a;
        pn->y1 = b;
        pn->ystep = edb__plot_nice_step(a, b, max_ticks);
        if (integers) {
            double mag = pow(10, floor(log10(pn->ystep) + 1e-9));
            if (pn->ystep < 1)
                pn->ystep = 1;
            else if (fabs(pn->ystep / mag - 2.5) < 1e-9)
                pn->ystep = 5 * mag;
        }
    }
}

/* ---- the time axis ------------------------------------------------------------------------ */

#define US_MS INT64_C(1000)
#define US_S INT64_C(1000000)
#define US_MIN (60 * US_S)
#define US_H (3600 * US_S)
#define US_D (86400 * US_S)

/* Steps, smallest first; months and years are counted in months (negative: months). */
static const int64_t fixed_steps[] = {
    1 * US_MS,  2 * US_MS,  5 * US_MS,  10 * US_MS,  20 * US_MS, 50 * US_MS, 100 * US_MS,
    200 * US_MS, 500 * US_MS, 1 * US_S,  2 * US_S,    5 * US_S,   10 * US_S,  15 * US_S,
    30 * US_S,  1 * US_MIN, 2 * US_MIN, 5 * US_MIN,  10 * US_MIN, 15 * US_MIN, 30 * US_MIN,
    1 * US_H,   2 * US_H,   3 * US_H,   6 * US_H,    12 * US_H,  1 * US_D,   2 * US_D,
    7 * US_D,   14 * US_D,  -1,         -2,          -3,         -6,         -12,
    -24,        -60,        -120,       -240,        -600,       -1200,      -2400,
    -6000,      -12000,     -24000,     -60000,      -120000};

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

static void civil(edb_time t, int64_t *y, unsigned *mo, unsigned *d, int64_t *sod_us)
{
    int64_t days = floor_div(t, US_D);
    *sod_us = t - days * US_D;
    edb_civil_from_days(days, y, mo, d);
}

static void label_tick(edb__plot_tick *tk, int64_t step)
{
    int64_t y, sod;
    unsigned mo, d;
    civil(tk->t, &y, &mo, &d, &sod);
    int hh = (int)(sod / US_H), mi = (int)(sod / US_MIN % 60), ss = (int)(sod / US_S % 60);
    int us = (int)(sod % US_S);
    tk->date[0] = '\0';
    if (step < 0) {
        if (step > -12)
            snprintf(tk->label, sizeof tk->label, "%04lld-%02u", (long long)y, mo);
        else
            snprintf(tk->label, sizeof tk->label, "%04lld", (long long)y);
    } else if (step >= US_D) {
        snprintf(tk->label, sizeof tk->label, "%04lld-%02u-%02u", (long long)y, mo, d);
    } else {
        if (step >= US_MIN)
            snprintf(tk->label, sizeof tk->label, "%02d:%02d", hh, mi);
        else if (step >= US_S)
            snprintf(tk->label, sizeof tk->label, "%02d:%02d:%02d", hh, mi, ss);
        else {
            int dec = step >= 100 * US_MS ? 1 : step >= 10 * US_MS ? 2 : 3;
            int frac = dec == 1 ? us / 100000 : dec == 2 ? us / 10000 : us / 1000;
            snprintf(tk->label, sizeof tk->label, "%02d:%02d:%02d.%0*d", hh, mi, ss, dec, frac);
        }
        snprintf(tk->date, sizeof tk->date, "%04lld-%02u-%02u", (long long)y, mo, d);
    }
}

size_t edb__plot_time_ticks(edb_time x0, edb_time x1, size_t max_ticks, edb__plot_tick *ticks,
                            int64_t *step_us)
{
    if (max_ticks > EDB__PLOT_MAX_TICKS)
        max_ticks = EDB__PLOT_MAX_TICKS;
    if (max_ticks < 2)
        max_ticks = 2;
    double span = (double)((uint64_t)x1 - (uint64_t)x0);
    int64_t step = fixed_steps[sizeof fixed_steps / sizeof fixed_steps[0] - 1];
    for (size_t k = 0; k < sizeof fixed_steps / sizeof fixed_steps[0]; k++) {
        int64_t s = fixed_steps[k];
        double len = s > 0 ? (double)s : (double)-s * 30.436875 * (double)US_D;
        if (span / len <= (double)max_ticks - 1) {
            step = s;
            break;
        }
    }
    size_t n = 0;
    /* Beyond +-146,000 years there is no calendar worth drawing (and the arithmetic below
     * would overflow): no ticks. */
    if (x0 < INT64_MIN / 2 || x1 > INT64_MAX / 2) {
        if (step_us)
            *step_us = 0;
        return 0;
    }
    if (step > 0) {
        /* Multiples of the step since 1970, so hours fall on hours and days on midnights;
         * weeks on Mondays (1970-01-05 was one). */
        int64_t off = step % (7 * US_D) == 0 ? 4 * US_D : 0;
        int64_t k0 = floor_div(x0 - off, step);
        for (int64_t k = k0; n < max_ticks; k++) {
            edb_time t = k * step + off;
            if (t < x0)
                continue;
            if (t > x1)
                break;
            ticks[n].t = t;
            label_tick(&ticks[n], step);
            n++;
        }
    } else {
        int64_t months = -step;
        int64_t y, sod;
        unsigned mo, d;
        civil(x0, &y, &mo, &d, &sod);
        int64_t m = y * 12 + (mo - 1);
        m = floor_div(m, months) * months;
        for (; n < max_ticks; m += months) {
            int64_t yy = floor_div(m, 12);
            unsigned mm = (unsigned)(m - yy * 12) + 1;
            if (yy > 290000 || yy < -290000)
                break;
            edb_time t = edb_days_from_civil(yy, mm, 1) * US_D;
            if (t < x0)
                continue;
            if (t > x1)
                break;
            ticks[n].t = t;
            label_tick(&ticks[n], step);
            n++;
        }
    }
    /* The date under a time: at the first tick and where the day changes. */
    char prev[sizeof ticks[0].date] = "";
    for (size_t k = 0; k < n; k++) {
        char cur[sizeof prev];
        memcpy(cur, ticks[k].date, sizeof cur);
        if (k > 0 && strcmp(cur, prev) == 0)
            ticks[k].date[0] = '\0';
        memcpy(prev, cur, sizeof prev);
    }
    if (step_us)
        *step_us = step > 0 ? step : (int64_t)((double)-step * 30.436875 * (double)US_D);
    return n;
}
