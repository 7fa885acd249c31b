/* mastcsv.c: the streaming decoder of MAST CSV replies (edb/mastcsv.h, docs/mastcsv.md).
 *
 * Records are found with memchr and parsed where they lie in the caller's chunk; only a
 * record cut by a chunk boundary is copied, into `carry`, and finished when the rest
 * arrives.  Quotes are rare (string mnemonics at most), so the position of the next '"'
 * is looked up once per stretch of the chunk: a record with no quote before its '\n' is
 * a plain line and takes the fast path (four fields split by memchr, a fixed-position
 * time parser, the Clinger number fast path, no allocation).  A record with quotes is
 * walked byte by byte by a small RFC 4180 state machine that knows a newline inside
 * quotes does not end the record, and its fields are unquoted into a reused scratch
 * buffer.  The same state machine keeps its state across chunks, so feeding one byte at
 * a time gives the same records, the same samples and the same messages. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <edb/mastcsv.h>

#include "internal.h"

/* A record longer than this without a line end is not telemetry; stop before it eats
 * the memory (strings in the EDB are short: VARCHAR(50) and the like). */
#define MAX_RECORD ((size_t)64 << 20)
#define EXCERPT_MAX 80

/* Where the record scanner stands: at a field start, inside an unquoted field, inside
 * quotes, or just after a '"' inside quotes (the end of the quotes or half of a ""). */
enum { Q_START, Q_BARE, Q_IN, Q_IN_QUOTE };

typedef struct slot {
    int have;
    edb_time t;
    edb_vtype vt; /* the row's own type; converted to the series' type at finish */
    double d;
    int64_t i;
    edb__buf s;
} slot;

typedef struct field {
    const char *p;
    size_t n;
} field;

struct edb_mastcsv {
    edb_series *dst;
    edb_mastcsv_options o;
    edb_err err;
    int header_done, finished;
    size_t rows; /* data rows seen */
    size_t line; /* physical line (1-based) where the next record starts */

    edb__buf carry; /* the start of a record cut by a chunk boundary */
    int cstate;     /* scanner state at the end of carry */
    int cquoted;    /* carry holds a '"' */

    edb_vtype vt;          /* the type the rows so far add up to */
    char tcache[32];       /* the last sqldataType text seen, and its type: */
    size_t tcache_len;     /* most replies repeat one type on every row */
    edb_vtype tcache_vt;

    int unsorted;
    slot before, after;
    edb__buf scratch; /* unquoted fields of a quoted record */
};

/* ---- small helpers ------------------------------------------------------------------- */

static edb_status row_fail(edb_mastcsv *d, edb_status st, size_t line, const char *rec,
                           size_t len, const char *what)
{
    char ex[EXCERPT_MAX + 8];
    edb__excerpt(rec, len, EXCERPT_MAX, ex, sizeof ex);
    /* A lone CR is invisible in an excerpt ('?'): name it, it is the usual culprit when
     * a reply mixes line ends. */
    const char *hint = memchr(rec, '\r', len) ? " (stray carriage return)" : "";
    return edb__fail(&d->err, st, "row %zu (line %zu): %s%s in '%s'", d->rows, line, what, hint,
                     ex);
}

static char *quote_field(const char *p, size_t n, char *out, size_t outlen)
{
    return edb__excerpt(p, n, 40, out, outlen);
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

static size_t count_char(const char *p, size_t n, char ch)
{
    size_t c = 0;
    const char *e = p + n;
    while ((p = memchr(p, ch, (size_t)(e - p))) != NULL) {
        c++;
        p++;
    }
    return c;
}

/* ---- time ---------------------------------------------------------------------------- */

/* Howard Hinnant's days_from_civil: proleptic Gregorian, no tables, no branches worth
 * mentioning.  A private copy rather than time.c's so the hot loop can inline it. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned dd)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + dd - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static int dig2(const char *s, unsigned *v)
{
    unsigned a = (unsigned)(s[0] - '0'), b = (unsigned)(s[1] - '0');
    if (a > 9 || b > 9)
        return -1;
    *v = a * 10 + b;
    return 0;
}

/* YYYY-MM-DD HH:MM:SS[.f{1,6}][Z], 'T' also accepted between date and time.  Fixed
 * positions: the EDB writes every field zero-padded, and checking each byte where it must
 * be is far cheaper than a general parser.  On failure writes the reason to why. */
static int parse_time(const char *s, size_t n, edb_time *out, char *why, size_t whylen)
{
    unsigned y1, y2, mo, dd, hh, mi, ss;
    if (n < 19 || dig2(s, &y1) || dig2(s + 2, &y2) || s[4] != '-' || dig2(s + 5, &mo) ||
        s[7] != '-' || dig2(s + 8, &dd) || (s[10] != ' ' && s[10] != 'T') ||
        dig2(s + 11, &hh) || s[13] != ':' || dig2(s + 14, &mi) || s[16] != ':' ||
        dig2(s + 17, &ss)) {
        snprintf(why, whylen, "theTime is not YYYY-MM-DD HH:MM:SS[.ffffff]");
        return -1;
    }
    size_t k = 19;
    unsigned usec = 0;
    if (k < n && s[k] == '.') {
        unsigned nd = 0;
        for (k++; k < n && s[k] >= '0' && s[k] <= '9'; k++) {
            if (++nd > 6) {
                snprintf(why, whylen, "theTime has more than 6 fraction digits");
                return -1;
            }
            usec = usec * 10 + (unsigned)(s[k] - '0');
        }
        if (nd == 0) {
            snprintf(why, whylen, "theTime has no digits after '.'");
            return -1;
        }
        for (; nd < 6; nd++)
            usec *= 10;
    }
    if (k < n && s[k] == 'Z')
        k++;
    if (k != n) {
        snprintf(why, whylen, "theTime is not YYYY-MM-DD HH:MM:SS[.ffffff]");
        return -1;
    }
    unsigned y = y1 * 100 + y2;
    static const unsigned char mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (mo < 1 || mo > 12) {
        snprintf(why, whylen, "theTime: month %u out of range", mo);
        return -1;
    }
    unsigned dim = mdays[mo - 1] + (mo == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0));
    if (dd < 1 || dd > dim) {
        snprintf(why, whylen, "theTime: day %u out of range for %04u-%02u", dd, y, mo);
        return -1;
    }
    if (hh > 23 || mi > 59 || ss > 59) {
        snprintf(why, whylen, "theTime: time of day %02u:%02u:%02u out of range", hh, mi, ss);
        return -1;
    }
    int64_t days = days_from_civil(y, mo, dd);
    *out = ((days * 24 + hh) * 60 + mi) * 60 * EDB_USEC_PER_SEC + (int64_t)ss * EDB_USEC_PER_SEC +
           usec;
    return 0;
}

/* ---- record splitting ---------------------------------------------------------------- */

/* Advance the RFC 4180 scanner over [p, end) from state *st; returns the '\n' that ends
 * the record, or NULL if the data ends first (then *st is the state to resume from).
 * memchr does the walking, so even quoted records cost little. */
static const char *record_end(const char *p, const char *end, int *st, int *quoted)
{
    while (p < end) {
        if (*st == Q_IN) {
            const char *q = memchr(p, '"', (size_t)(end - p));
            if (!q)
                return NULL;
            *st = Q_IN_QUOTE;
            p = q + 1;
            continue;
        }
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *stop = nl ? nl : end;
        const char *q = memchr(p, '"', (size_t)(stop - p));
        if (!q) {
            if (nl)
                return nl;
            /* Outside quotes every byte but '"' and '\n' leads to START (',') or BARE. */
            *st = end[-1] == ',' ? Q_START : Q_BARE;
            return NULL;
        }
        *quoted = 1;
        int s = q == p ? *st : (q[-1] == ',' ? Q_START : Q_BARE);
        /* A quote opens quotes only at a field start; after quotes it is half of "";
         * inside an unquoted field it is just a character. */
        *st = (s == Q_START || s == Q_IN_QUOTE) ? Q_IN : Q_BARE;
        p = q + 1;
    }
    return NULL;
}

/* Split a quoted record into fields, unquoting into d->scratch.  Returns the number of
 * fields (up to `max` stored), or -1 with the reason in why. */
static int split_quoted(edb_mastcsv *d, const char *rec, size_t len, field *f, int max, char *why,
                        size_t whylen)
{
    d->scratch.len = 0;
    if (edb__buf_reserve(&d->scratch, len) != 0) {
        snprintf(why, whylen, "out of memory");
        return -2;
    }
    char *w = d->scratch.p; /* unquoted text is never longer than the record: no realloc */
    const char *p = rec, *end = rec + len;
    int k = 0;
    for (;;) {
        field cur;
        if (p < end && *p == '"') {
            char *start = w;
            for (p++;; p++) {
                if (p == end) {
                    snprintf(why, whylen, "field %d: quotes not closed", k + 1);
                    return -1;
                }
                if (*p == '"') {
                    if (p + 1 < end && p[1] == '"') {
                        *w++ = '"';
                        p++;
                        continue;
                    }
                    p++;
                    break;
                }
                *w++ = *p;
            }
            if (p < end && *p != ',') {
                snprintf(why, whylen, "field %d: text after the closing quote", k + 1);
                return -1;
            }
            cur.p = start;
            cur.n = (size_t)(w - start);
        } else {
            const char *c = memchr(p, ',', (size_t)(end - p));
            const char *fe = c ? c : end;
            cur.p = p;
            cur.n = (size_t)(fe - p);
            p = fe;
        }
        if (k < max)
            f[k] = cur;
        k++;
        if (p == end)
            return k;
        p++; /* the comma */
    }
}

/* ---- rows ---------------------------------------------------------------------------- */

static edb_vtype lookup_type(edb_mastcsv *d, const char *s, size_t n)
{
    if (n == d->tcache_len && n && memcmp(s, d->tcache, n) == 0)
        return d->tcache_vt;
    edb_vtype vt = edb_vtype_from_sqltype(s, n);
    if (vt != EDB_VT_NONE && n < sizeof d->tcache) {
        memcpy(d->tcache, s, n);
        d->tcache_len = n;
        d->tcache_vt = vt;
    }
    return vt;
}

static int type_is_string(edb_mastcsv *d, const char *s, size_t n)
{
    return lookup_type(d, s, n) == EDB_VT_STRING;
}

static edb_status slot_store(slot *sl, edb_time t, edb_vtype vt, double dv, int64_t iv,
                             const char *sv, size_t sn)
{
    sl->have = 1;
    sl->t = t;
    sl->vt = vt;
    sl->d = dv;
    sl->i = iv;
    sl->s.len = 0;
    if (vt == EDB_VT_STRING && edb__buf_append(&sl->s, sv, sn) != 0)
        return EDB_ERR_NOMEM;
    return EDB_OK;
}

/* Settle the row's type against the rows before it (and against a series that came typed). */
static edb_status settle_type(edb_mastcsv *d, edb_vtype vt, const field *tf, size_t line,
                              const char *rec, size_t len)
{
    edb_series *s = d->dst;
    if (d->vt == EDB_VT_NONE) {
        if (s->sqltype[0] == '\0') {
            size_t n = tf->n < sizeof s->sqltype - 1 ? tf->n : sizeof s->sqltype - 1;
            for (size_t k = 0; k < n; k++) {
                char c = tf->p[k];
                s->sqltype[k] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
            }
            s->sqltype[n] = '\0';
        }
        d->vt = s->vtype != EDB_VT_NONE ? s->vtype : vt;
    }
    if (vt != d->vt) {
        if (d->vt == EDB_VT_INT && vt == EDB_VT_REAL) {
            d->vt = EDB_VT_REAL;
        } else if (!(d->vt == EDB_VT_REAL && vt == EDB_VT_INT)) {
            char what[160], ex[48];
            snprintf(what, sizeof what,
                     "sqldataType '%s' after rows of type %s: string and numeric values do not mix",
                     quote_field(tf->p, tf->n, ex, sizeof ex), edb_vtype_name(d->vt));
            return row_fail(d, EDB_ERR_DATA, line, rec, len, what);
        }
    }
    if (s->vtype != d->vt) {
        edb_status st = edb_series_set_type(s, d->vt);
        if (st != EDB_OK)
            return edb__fail(&d->err, st, "row %zu (line %zu): cannot make the series %s: %s",
                             d->rows, line, edb_vtype_name(d->vt), edb_strerror(st));
    }
    return EDB_OK;
}

static edb_status parse_row(edb_mastcsv *d, const field *f, size_t line, const char *rec,
                            size_t len)
{
    char why[128], what[192], ex[48];
    edb_time t;
    if (parse_time(f[0].p, f[0].n, &t, why, sizeof why) != 0)
        return row_fail(d, EDB_ERR_DATA, line, rec, len, why);
    double mjd;
    if (edb_parse_double(f[1].p, f[1].n, &mjd) != 0) {
        snprintf(what, sizeof what, "MJD '%s' is not a number",
                 quote_field(f[1].p, f[1].n, ex, sizeof ex));
        return row_fail(d, EDB_ERR_DATA, line, rec, len, what);
    }
    edb_vtype vt = lookup_type(d, f[3].p, f[3].n);
    if (vt == EDB_VT_NONE) {
        snprintf(what, sizeof what, "unknown sqldataType '%s' (expected real, float, int, tinyint, "
                 "smallint, bigint, varchar, char...)", quote_field(f[3].p, f[3].n, ex, sizeof ex));
        return row_fail(d, EDB_ERR_DATA, line, rec, len, what);
    }

    double dv = 0;
    int64_t iv = 0;
    const field *v = &f[2];
    if (vt == EDB_VT_REAL) {
        if (v->n == 0)
            dv = NAN; /* a missing float is a gap, which NaN says in every output format */
        else if (edb_parse_double(v->p, v->n, &dv) != 0) {
            snprintf(what, sizeof what, "euvalue '%s' is not a number (sqldataType %s)",
                     quote_field(v->p, v->n, ex, sizeof ex), edb_vtype_name(vt));
            return row_fail(d, EDB_ERR_DATA, line, rec, len, what);
        }
    } else if (vt == EDB_VT_INT) {
        if (v->n == 0)
            return row_fail(d, EDB_ERR_DATA, line, rec, len,
                            "empty euvalue for an integer sqldataType");
        if (edb_parse_int64(v->p, v->n, &iv) != 0) {
            double probe;
            int num = edb_parse_double(v->p, v->n, &probe) == 0;
            int digits_only = v->n > 0;
            for (size_t k = (v->p[0] == '-' || v->p[0] == '+'); k < v->n; k++)
                digits_only &= v->p[k] >= '0' && v->p[k] <= '9';
            snprintf(what, sizeof what, "euvalue '%s' %s", quote_field(v->p, v->n, ex, sizeof ex),
                     digits_only ? "is out of range for a 64-bit integer"
                     : num       ? "is not an integer (sqldataType says integer)"
                                 : "is not a number (sqldataType says integer)");
            return row_fail(d, EDB_ERR_DATA, line, rec, len, what);
        }
        dv = (double)iv;
    }

    edb_status st = settle_type(d, vt, &f[3], line, rec, len);
    if (st != EDB_OK)
        return st;

    edb_series *s = d->dst;
    if (t < d->o.start || t > d->o.end) {
        /* Last before start and first after end; on equal times the one nearer the range
         * in the reply's order wins (later before, earlier after). */
        slot *sl = NULL;
        if (t < d->o.start) {
            if ((d->o.keep_brackets || d->o.keep_before) && (!d->before.have || t >= d->before.t))
                sl = &d->before;
        } else if ((d->o.keep_brackets || d->o.keep_after) && (!d->after.have || t < d->after.t)) {
            sl = &d->after;
        }
        if (sl && slot_store(sl, t, vt, dv, iv, v->p, v->n) != EDB_OK)
            return edb__fail(&d->err, EDB_ERR_NOMEM, "row %zu: out of memory", d->rows);
        return EDB_OK;
    }
    if (s->n > 0 && t < s->t[s->n - 1])
        d->unsorted = 1;
    switch (s->vtype) {
    case EDB_VT_REAL: st = edb_series_push_real(s, t, dv); break;
    case EDB_VT_INT: st = edb_series_push_int(s, t, iv); break;
    default: st = edb_series_push_str(s, t, v->p, v->n); break;
    }
    if (st != EDB_OK)
        return edb__fail(&d->err, st, "row %zu (line %zu): cannot store the sample: %s", d->rows,
                         line, edb_strerror(st));
    return EDB_OK;
}

static edb_status header(edb_mastcsv *d, const char *rec, size_t len, int quoted)
{
    const char *p = rec;
    size_t n = len;
    if (n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) {
        p += 3;
        n -= 3;
    }
    field f[5];
    int nf;
    char why[128];
    if (quoted) {
        nf = split_quoted(d, p, n, f, 5, why, sizeof why);
        if (nf == -2)
            return edb__fail(&d->err, EDB_ERR_NOMEM, "header: out of memory");
    } else {
        nf = 0;
        const char *q = p, *e = p + n;
        for (;;) {
            const char *c = memchr(q, ',', (size_t)(e - q));
            const char *fe = c ? c : e;
            if (nf < 5)
                f[nf] = (field){q, (size_t)(fe - q)};
            nf++;
            if (!c)
                break;
            q = c + 1;
        }
    }
    static const char *const names[4] = {"thetime", "mjd", "euvalue", "sqldatatype"};
    int ok = nf == 4;
    for (int k = 0; ok && k < 4; k++)
        ok = ieq(f[k].p, f[k].n, names[k]);
    if (!ok) {
        char ex[EXCERPT_MAX + 8];
        edb__excerpt(rec, len, EXCERPT_MAX, ex, sizeof ex);
        return edb__fail(&d->err, EDB_ERR_DATA,
                         "unexpected header '%s': expected theTime,MJD,euvalue,sqldataType", ex);
    }
    d->header_done = 1;
    return EDB_OK;
}

/* One complete record without its '\n'. */
static edb_status record(edb_mastcsv *d, const char *rec, size_t len, int quoted)
{
    size_t line = d->line;
    d->line += 1 + (quoted ? count_char(rec, len, '\n') : 0);
    if (len && rec[len - 1] == '\r')
        len--;
    if (len == 0)
        return EDB_OK; /* blank line */
    if (!d->header_done)
        return header(d, rec, len, quoted);
    d->rows++;
    if (len > MAX_RECORD)
        return edb__fail(&d->err, EDB_ERR_DATA,
                         "row %zu (line %zu): longer than %zu MiB: not a MAST CSV reply?", d->rows,
                         line, MAX_RECORD >> 20);

    field f[4];
    if (!quoted) {
        const char *e = rec + len;
        const char *c1 = memchr(rec, ',', len);
        const char *c2 = c1 ? memchr(c1 + 1, ',', (size_t)(e - c1 - 1)) : NULL;
        const char *c3 = c2 ? memchr(c2 + 1, ',', (size_t)(e - c2 - 1)) : NULL;
        const char *c4 = c3 ? memchr(c3 + 1, ',', (size_t)(e - c3 - 1)) : NULL;
        if (c4) {
            /* An unquoted string with commas: theTime and MJD never hold one and
             * sqldataType is last, so the value is everything in between.  Only for a
             * string type: for a number, a comma is an error. */
            const char *last = e - 1;
            while (*last != ',')
                last--;
            if (type_is_string(d, last + 1, (size_t)(e - last - 1))) {
                c3 = last;
                c4 = NULL;
            }
        }
        if (!c3 || c4) {
            char what[96];
            snprintf(what, sizeof what,
                     "expected 4 fields (theTime,MJD,euvalue,sqldataType), found %zu",
                     1 + count_char(rec, len, ','));
            return row_fail(d, EDB_ERR_DATA, line, rec, len, what);
        }
        f[0] = (field){rec, (size_t)(c1 - rec)};
        f[1] = (field){c1 + 1, (size_t)(c2 - c1 - 1)};
        f[2] = (field){c2 + 1, (size_t)(c3 - c2 - 1)};
        f[3] = (field){c3 + 1, (size_t)(e - c3 - 1)};
    } else {
        char why[96];
        int nf = split_quoted(d, rec, len, f, 4, why, sizeof why);
        if (nf == -2)
            return edb__fail(&d->err, EDB_ERR_NOMEM, "row %zu (line %zu): out of memory", d->rows,
                             line);
        if (nf < 0)
            return row_fail(d, EDB_ERR_DATA, line, rec, len, why);
        if (nf != 4) {
            snprintf(why, sizeof why,
                     "expected 4 fields (theTime,MJD,euvalue,sqldataType), found %d", nf);
            return row_fail(d, EDB_ERR_DATA, line, rec, len, why);
        }
    }
    return parse_row(d, f, line, rec, len);
}

/* ---- the public face ----------------------------------------------------------------- */

edb_status edb_mastcsv_new(edb_mastcsv **out, edb_series *dst, const edb_mastcsv_options *o)
{
    if (!out)
        return EDB_ERR_USAGE;
    *out = NULL;
    if (!dst)
        return EDB_ERR_USAGE;
    edb_mastcsv *d = calloc(1, sizeof *d);
    if (!d)
        return EDB_ERR_NOMEM;
    d->dst = dst;
    if (o) {
        d->o = *o;
    } else {
        edb_mastcsv_options def = EDB_MASTCSV_OPTIONS_INIT;
        d->o = def;
    }
    d->line = 1;
    *out = d;
    return EDB_OK;
}

static void forget(edb_mastcsv *d)
{
    edb_err_clear(&d->err);
    d->header_done = d->finished = 0;
    d->rows = 0;
    d->line = 1;
    d->carry.len = 0;
    d->cstate = Q_START;
    d->cquoted = 0;
    d->vt = EDB_VT_NONE;
    d->tcache_len = 0;
    d->unsorted = 0;
    d->before.have = d->after.have = 0;
}

void edb_mastcsv_reset(edb_mastcsv *d)
{
    if (!d)
        return;
    forget(d);
    edb_series_clear(d->dst);
}

static edb_status carry_append(edb_mastcsv *d, const char *p, size_t n)
{
    if (d->carry.len + n > MAX_RECORD + 1) /* +1: the CR a CRLF line may still end with */
        return edb__fail(&d->err, EDB_ERR_DATA,
                         "row %zu (line %zu): longer than %zu MiB: not a MAST CSV reply?",
                         d->rows + d->header_done, d->line, MAX_RECORD >> 20);
    if (edb__buf_append(&d->carry, p, n) != 0)
        return edb__fail(&d->err, EDB_ERR_NOMEM, "out of memory buffering a partial line");
    return EDB_OK;
}

edb_status edb_mastcsv_feed(edb_mastcsv *d, const char *buf, size_t len)
{
    if (!d)
        return EDB_ERR_USAGE;
    if (d->err.status != EDB_OK)
        return d->err.status;
    if (d->finished)
        return edb__fail(&d->err, EDB_ERR_USAGE, "data fed after edb_mastcsv_finish");
    if (len == 0)
        return EDB_OK;
    if (!buf)
        return edb__fail(&d->err, EDB_ERR_USAGE, "edb_mastcsv_feed: NULL buffer");
    const char *p = buf, *end = buf + len;
    edb_status st;

    if (d->carry.len > 0) {
        int qs = d->cstate, quoted = d->cquoted;
        const char *nl = record_end(p, end, &qs, &quoted);
        if ((st = carry_append(d, p, (size_t)((nl ? nl : end) - p))) != EDB_OK)
            return st;
        if (!nl) {
            d->cstate = qs;
            d->cquoted = quoted;
            return EDB_OK;
        }
        st = record(d, d->carry.p, d->carry.len, quoted);
        d->carry.len = 0;
        d->cstate = Q_START;
        d->cquoted = 0;
        if (st != EDB_OK)
            return st;
        p = nl + 1;
    }

    /* nq: the next '"' at or after p (end if none), found once per stretch. */
    const char *nq = p;
    while (p < end) {
        if (nq <= p) {
            nq = memchr(p, '"', (size_t)(end - p));
            if (!nq)
                nq = end;
        }
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        int quoted = 0;
        if (!nl || nl > nq) {
            int qs = Q_START;
            nl = record_end(p, end, &qs, &quoted);
            if (!nl) {
                if ((st = carry_append(d, p, (size_t)(end - p))) != EDB_OK)
                    return st;
                d->cstate = qs;
                d->cquoted = quoted;
                return EDB_OK;
            }
        }
        if ((st = record(d, p, (size_t)(nl - p), quoted)) != EDB_OK)
            return st;
        p = nl + 1;
    }
    return EDB_OK;
}

static edb_status place_before(edb_mastcsv *d)
{
    edb_series *s = d->dst, *tmp = NULL;
    slot *b = &d->before;
    edb_status st = edb_series_new(&tmp, "");
    if (st == EDB_OK)
        st = edb_series_set_type(tmp, s->vtype);
    if (st == EDB_OK) {
        switch (s->vtype) {
        case EDB_VT_REAL:
            st = edb_series_push_real(tmp, b->t, b->vt == EDB_VT_INT ? (double)b->i : b->d);
            break;
        case EDB_VT_INT: st = edb_series_push_int(tmp, b->t, b->i); break;
        default: st = edb_series_push_str(tmp, b->t, b->s.p, b->s.len); break;
        }
    }
    if (st == EDB_OK) {
        /* Only a series that held samples before this decoder can have earlier ones. */
        if (s->n == 0 || b->t <= s->t[0]) {
            st = edb_series_prepend_from(s, tmp, 0);
        } else {
            st = edb_series_push_from(s, tmp, 0);
            d->unsorted = 1;
        }
    }
    edb_series_free(tmp);
    return st;
}

static edb_status place_after(edb_mastcsv *d)
{
    edb_series *s = d->dst;
    slot *a = &d->after;
    if (s->n > 0 && a->t < s->t[s->n - 1])
        d->unsorted = 1;
    switch (s->vtype) {
    case EDB_VT_REAL:
        return edb_series_push_real(s, a->t, a->vt == EDB_VT_INT ? (double)a->i : a->d);
    case EDB_VT_INT: return edb_series_push_int(s, a->t, a->i);
    default: return edb_series_push_str(s, a->t, a->s.p, a->s.len);
    }
}

edb_status edb_mastcsv_finish(edb_mastcsv *d)
{
    if (!d)
        return EDB_ERR_USAGE;
    if (d->err.status != EDB_OK)
        return d->err.status;
    if (d->finished)
        return EDB_OK;
    if (d->carry.len > 0) {
        const char *p = d->carry.p;
        size_t n = d->carry.len;
        if (n && p[n - 1] == '\r')
            n--;
        if (n > 0) {
            if (!d->header_done) {
                /* A complete header with no line end is an empty reply, not a cut one:
                 * nothing can have followed it unseen, it is the whole body. */
                if (d->cstate != Q_IN && header(d, p, n, d->cquoted) == EDB_OK) {
                    d->carry.len = 0;
                } else {
                    edb_err_clear(&d->err);
                    return edb__fail(&d->err, EDB_ERR_TRUNCATED,
                                     "reply ends inside the header (no line end): cut short?");
                }
            } else if (d->cstate == Q_IN) {
                return edb__fail(&d->err, EDB_ERR_TRUNCATED,
                                 "reply ends inside a quoted field of row %zu (line %zu): cut short?",
                                 d->rows + 1, d->line);
            } else {
                return edb__fail(&d->err, EDB_ERR_TRUNCATED,
                                 "reply ends inside row %zu (line %zu, no line end): cut short?",
                                 d->rows + 1, d->line);
            }
        }
        d->carry.len = 0;
    }
    edb_status st = EDB_OK;
    if (d->before.have)
        st = place_before(d);
    if (st == EDB_OK && d->after.have)
        st = place_after(d);
    if (st != EDB_OK)
        return edb__fail(&d->err, st, "cannot store a bracket sample: %s", edb_strerror(st));
    if (d->unsorted)
        edb_series_sort(d->dst);
    d->finished = 1;
    return EDB_OK;
}

size_t edb_mastcsv_rows(const edb_mastcsv *d)
{
    return d ? d->rows : 0;
}

const char *edb_mastcsv_errmsg(const edb_mastcsv *d)
{
    return d ? d->err.msg : "";
}

void edb_mastcsv_free(edb_mastcsv *d)
{
    if (!d)
        return;
    edb__buf_free(&d->carry);
    edb__buf_free(&d->scratch);
    edb__buf_free(&d->before.s);
    edb__buf_free(&d->after.s);
    free(d);
}
