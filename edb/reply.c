/* reply.c: the body of a data reply of each service, formatted exactly as the service
 * formats it, and streamed.
 *
 * Shared by `edbx serve` and by local sources answering a client directly, so that a
 * query answered from a store gives the very bytes the server would have sent.
 *
 * A generator walks a series (borrowed, never copied) and writes the body into whatever
 * buffer it is handed, any size down to one byte, so a reply never sits whole in memory:
 * its state is one sample's fixed-size text (time, number) in a small staging area and,
 * for a string sample, a position in the series' own bytes, which are escaped on the
 * way out.  Memory per generator is therefore constant, whatever the range or the length
 * of a string value.  The body's exact length is known up front (HTTP's Content-Length,
 * which lets a client detect a cut reply) by running the generator once over a scratch
 * block at creation: two linear passes, each formatting every sample once, sharing one
 * code path so that the length and the bytes cannot disagree. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <edb/mnemonic.h>
#include <edb/number.h>
#include <edb/series.h>

#include "internal.h"

/* ---- path A pieces (byte-identical to the service) ------------------------------------ */

/* MJD with exactly 10 decimals from integer microseconds: a double would carry 59612.934...
 * with only ~11 significant decimals left, enough to flip the last printed digit. */
static int format_mjd(edb_time t, char *buf, size_t n)
{
    int64_t day = t / EDB_USEC_PER_DAY, us = t % EDB_USEC_PER_DAY;
    if (us < 0) {
        us += EDB_USEC_PER_DAY;
        day--;
    }
    /* us * 1e10 / 86400e6 = us * 25 / 216, rounded half up; us * 50 < 2^63. */
    int64_t frac = (us * 50 + 216) / 432;
    if (frac == INT64_C(10000000000)) {
        frac = 0;
        day++;
    }
    int64_t mjd = day + EDB_MJD_UNIX_EPOCH;
    if (mjd < 0 && frac > 0) /* -1 + 0.25 is -0.75 */
        return snprintf(buf, n, "-%" PRId64 ".%010" PRId64, -(mjd + 1), INT64_C(10000000000) - frac);
    return snprintf(buf, n, "%" PRId64 ".%010" PRId64, mjd, frac);
}

static int same_double(double a, double b)
{
    return memcmp(&a, &b, sizeof a) == 0;
}

/* The service prints floats with 10 decimals (-0.7914493680); do the same whenever that
 * text reads back as the very same double, else print the shortest exact text, so that
 * serving never loses a digit the store holds. */
static int format_real(double v, char *buf, size_t n)
{
    if (!isfinite(v))
        return edb_format_double(v, buf, n);
    int len = snprintf(buf, n, "%.10f", v);
    if (len < 12 || (size_t)len >= n)
        return edb_format_double(v, buf, n);
    /* A caller's LC_NUMERIC may have put a comma (or more) before the 10 decimals. */
    size_t ip = (buf[0] == '-') ? 1 : 0;
    while (buf[ip] >= '0' && buf[ip] <= '9')
        ip++;
    size_t fp = (size_t)len - 10;
    if (fp < ip)
        return edb_format_double(v, buf, n);
    if (!(fp == ip + 1 && buf[ip] == '.')) {
        buf[ip] = '.';
        memmove(buf + ip + 1, buf + fp, 11);
        len = (int)(ip + 11);
    }
    double back;
    if (edb_parse_double(buf, (size_t)len, &back) == 0 && same_double(back, v))
        return len;
    return edb_format_double(v, buf, n);
}

static char *put2(char *p, int v)
{
    p[0] = (char)('0' + v / 10);
    p[1] = (char)('0' + v % 10);
    return p + 2;
}

/* "2022-02-02 22:24:57.797000,": the common years by hand (snprintf's format parsing costs
 * more than the rest of a row), others through snprintf; the same text either way. */
static int format_csv_time(edb_time t, char *buf, size_t n)
{
    int y, mo, d, h, mi, sec, us;
    edb_time_to_civil(t, &y, &mo, &d, &h, &mi, &sec, &us);
    if (y < 0 || y > 9999 || us < 0 || n < 28)
        return snprintf(buf, n, "%04d-%02d-%02d %02d:%02d:%02d.%06d,", y, mo, d, h, mi, sec, us);
    char *p = put2(buf, y / 100);
    p = put2(p, y % 100);
    *p++ = '-';
    p = put2(p, mo);
    *p++ = '-';
    p = put2(p, d);
    *p++ = ' ';
    p = put2(p, h);
    *p++ = ':';
    p = put2(p, mi);
    *p++ = ':';
    p = put2(p, sec);
    *p++ = '.';
    p = put2(p, us / 10000);
    p = put2(p, us / 100 % 100);
    p = put2(p, us % 100);
    *p++ = ',';
    return (int)(p - buf);
}

/* ---- JSON pieces ------------------------------------------------------------------------ */

static int64_t floor_ms(edb_time t)
{
    int64_t ms = t / 1000;
    return (t % 1000 < 0) ? ms - 1 : ms;
}

/* A finite number as the shortest text that reads back as the same double: a whole real
 * prints as an integer ("2"), exactly the quirk of the direct service.  JSON (and a
 * Python literal) has no NaN or infinity; the service's .NET serializer writes them as
 * strings, so do the same. */
static int format_json_real(double v, char *buf, size_t n)
{
    if (isnan(v))
        return snprintf(buf, n, "\"NaN\"");
    if (isinf(v))
        return snprintf(buf, n, v < 0 ? "\"-Infinity\"" : "\"Infinity\"");
    return edb_format_double(v, buf, n);
}

/* Length of the valid UTF-8 sequence (RFC 3629: no overlong forms, no surrogates, nothing
 * past U+10FFFF) at p[0..avail), or 0 if it is not one. */
static size_t utf8_len(const unsigned char *p, size_t avail)
{
    unsigned c = p[0];
    if (c < 0x80)
        return 1;
    size_t n;
    unsigned lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else {
        return 0;
    }
    if (avail < n || p[1] < lo || p[1] > hi)
        return 0;
    for (size_t k = 2; k < n; k++)
        if (p[k] < 0x80 || p[k] > 0xBF)
            return 0;
    return n;
}

/* The JSON text of the next unit of s[pos..len) into out (at least 8 bytes); returns its
 * length and advances *used by the bytes of s consumed.  Only '"', '\\' and control
 * characters are escaped (\uXXXX and the short forms, which mean the same in JSON and in
 * a Python string literal); other characters stay as UTF-8, since a \u escape of a
 * character beyond U+FFFF would be a surrogate pair, which Python reads as two characters.
 * Bytes that are not UTF-8 (a CSV reply may hold anything) become U+FFFD: JSON cannot
 * carry them. */
static size_t json_unit(const char *s, size_t len, size_t pos, char *out, size_t *used)
{
    unsigned char c = (unsigned char)s[pos];
    *used = 1;
    switch (c) {
    case '"': memcpy(out, "\\\"", 2); return 2;
    case '\\': memcpy(out, "\\\\", 2); return 2;
    case '\n': memcpy(out, "\\n", 2); return 2;
    case '\r': memcpy(out, "\\r", 2); return 2;
    case '\t': memcpy(out, "\\t", 2); return 2;
    default: break;
    }
    if (c < 0x20 || c == 0x7f)
        return (size_t)snprintf(out, 8, "\\u%04x", c);
    size_t n = utf8_len((const unsigned char *)s + pos, len - pos);
    if (n == 0) {
        memcpy(out, "\xEF\xBF\xBD", 3);
        return 3;
    }
    memcpy(out, s + pos, n);
    *used = n;
    return n;
}

/* A short JSON string (a mnemonic) escaped into buf; returns the length. */
static size_t json_string(const char *s, char *buf, size_t n)
{
    size_t o = 0, len = strlen(s);
    buf[o++] = '"';
    for (size_t k = 0; k < len && o + 9 < n;) {
        size_t used;
        o += json_unit(s, len, k, buf + o, &used);
        k += used;
    }
    buf[o++] = '"';
    return o;
}

int edb__json_append_string(edb__buf *b, const char *s, size_t len)
{
    if (edb__buf_append(b, "\"", 1) != 0)
        return -1;
    for (size_t k = 0; k < len;) {
        char unit[8];
        size_t used;
        size_t n = json_unit(s, len, k, unit, &used);
        if (edb__buf_append(b, unit, n) != 0)
            return -1;
        k += used;
    }
    return edb__buf_append(b, "\"", 1);
}

/* ---- the generator -------------------------------------------------------------------- */

/* Everything but a string value fits here: the longest piece is the JSON head, with a
 * mnemonic of at most 64 characters escaped (6 bytes each at most) and four numbers. */
#define STAGE_MAX 1024

enum { P_HEAD, P_ROW, P_STR, P_ROW_END, P_FOOT, P_DONE };

struct edb__reply_gen {
    edb__reply_kind kind;
    const edb_series *s;
    int64_t req_start, req_end;
    uint64_t length;
    int phase;
    size_t row;
    char stage[STAGE_MAX];
    size_t stage_len, stage_pos;
    const char *str; /* the string value being sent, borrowed from the series */
    size_t str_len, str_pos;
    int str_quote;   /* CSV: the value needs RFC 4180 quotes */
    int rows_only;   /* edb__reply_rows_length: no head, foot or separators */
    size_t first;    /* the first row (rows_only walks a range of the series) */
    size_t end;      /* one past the last row */
};

static const char *csv_header = "theTime,MJD,euvalue,sqldataType\r\n";

static void stage_head(edb__reply_gen *g)
{
    const edb_series *s = g->s;
    char *b = g->stage;
    size_t n = 0;
    if (g->kind == EDB__REPLY_MAST_CSV) {
        n = strlen(csv_header);
        memcpy(b, csv_header, n);
    } else {
        char name[EDB_MNEMONIC_MAX * 6 + 8];
        size_t nl = json_string(s->mnemonic ? s->mnemonic : "", name, sizeof name);
        int ap = s->all_points == 0 ? 0 : 1; /* unknown: the common case, every sample */
        if (g->kind == EDB__REPLY_DIRECT_JSON) {
            n = (size_t)snprintf(b, STAGE_MAX,
                                 "{\"TlmMnemonic\":%.*s,\"AllPoints\":%d,\"Count\":%zu,"
                                 "\"ReqSTime\":\"/Date(%" PRId64 "+0000)/\",\"ReqETime\":\"/Date(%" PRId64
                                 "+0000)/\",\"Data\":[",
                                 (int)nl, name, ap, s->n, floor_ms(g->req_start), floor_ms(g->req_end));
        } else {
            char a[EDB_TIME_STRLEN], z[EDB_TIME_STRLEN];
            edb_time_format_iso(g->req_start, a, sizeof a);
            edb_time_format_iso(g->req_end, z, sizeof z);
            n = (size_t)snprintf(b, STAGE_MAX,
                                 "{\"TlmMnemonic\":%.*s,\"ReqSTime\":\"%s\",\"ReqETime\":\"%s\","
                                 "\"Count\":%zu,\"AllPoints\":%d,\"Data\":[",
                                 (int)nl, name, a, z, s->n, ap);
        }
    }
    g->stage_len = n;
    g->stage_pos = 0;
}

/* The row's text up to its value, and the value itself unless it is a string (then the
 * string state is set up and P_STR sends it). */
static void stage_row(edb__reply_gen *g)
{
    const edb_series *s = g->s;
    size_t i = g->row;
    char *b = g->stage;
    size_t n = 0;
    if (g->kind == EDB__REPLY_MAST_CSV) {
        n += (size_t)format_csv_time(s->t[i], b, STAGE_MAX);
        n += (size_t)format_mjd(s->t[i], b + n, STAGE_MAX - n);
        b[n++] = ',';
    } else {
        if (i > g->first && !g->rows_only)
            b[n++] = ',';
        if (g->kind == EDB__REPLY_DIRECT_JSON) {
            n += (size_t)snprintf(b + n, STAGE_MAX - n, "{\"ObsTime\":\"/Date(%" PRId64 "+0000)/\",\"EUValue\":",
                                  floor_ms(s->t[i]));
        } else {
            memcpy(b + n, "{\"ObsTime\":\"", 12);
            n += 12;
            n += (size_t)edb_time_format_iso(s->t[i], b + n, STAGE_MAX - n);
            memcpy(b + n, "\",\"EUValue\":", 12);
            n += 12;
        }
    }
    g->phase = P_ROW_END;
    switch (s->vtype) {
    case EDB_VT_REAL:
        if (g->kind == EDB__REPLY_MAST_CSV)
            n += (size_t)format_real(s->d[i], b + n, STAGE_MAX - n);
        else
            n += (size_t)format_json_real(s->d[i], b + n, STAGE_MAX - n);
        break;
    case EDB_VT_INT:
        n += (size_t)snprintf(b + n, STAGE_MAX - n, "%" PRId64, s->i[i]);
        break;
    case EDB_VT_STRING:
        g->str = edb_series_str(s, i, &g->str_len);
        g->str_pos = 0;
        g->phase = P_STR;
        if (g->kind == EDB__REPLY_MAST_CSV) {
            g->str_quote = 0;
            for (size_t k = 0; k < g->str_len && !g->str_quote; k++) {
                char c = g->str[k];
                g->str_quote = c == ',' || c == '"' || c == '\r' || c == '\n';
            }
            if (g->str_quote)
                b[n++] = '"';
        } else {
            b[n++] = '"';
        }
        break;
    default:
        break; /* no type means no sample: never reached */
    }
    g->stage_len = n;
    g->stage_pos = 0;
}

static void stage_row_end(edb__reply_gen *g)
{
    char *b = g->stage;
    size_t n = 0;
    int str = g->s->vtype == EDB_VT_STRING;
    if (g->kind == EDB__REPLY_MAST_CSV) {
        if (str && g->str_quote)
            b[n++] = '"';
        n += (size_t)snprintf(b + n, STAGE_MAX - n, ",%.*s\r\n", (int)sizeof g->s->sqltype - 1,
                              g->s->sqltype);
    } else {
        if (str)
            b[n++] = '"';
        b[n++] = '}';
    }
    g->stage_len = n;
    g->stage_pos = 0;
}

/* Send as much of the current string value as fits; units that do not fit whole go to
 * the stage. */
static size_t emit_str(edb__reply_gen *g, char *buf, size_t max)
{
    size_t out = 0;
    while (out < max && g->str_pos < g->str_len) {
        const char *s = g->str;
        if (g->kind == EDB__REPLY_MAST_CSV && !g->str_quote) {
            size_t n = g->str_len - g->str_pos;
            if (n > max - out)
                n = max - out;
            memcpy(buf + out, s + g->str_pos, n);
            out += n;
            g->str_pos += n;
            continue;
        }
        char unit[8];
        size_t ul, used = 1;
        if (g->kind == EDB__REPLY_MAST_CSV) {
            unit[0] = s[g->str_pos];
            ul = 1;
            if (unit[0] == '"')
                unit[ul++] = '"';
        } else {
            ul = json_unit(s, g->str_len, g->str_pos, unit, &used);
        }
        g->str_pos += used;
        size_t fit = ul <= max - out ? ul : max - out;
        memcpy(buf + out, unit, fit);
        out += fit;
        if (fit < ul) {
            memcpy(g->stage, unit + fit, ul - fit);
            g->stage_len = ul - fit;
            g->stage_pos = 0;
            break;
        }
    }
    return out;
}

size_t edb__reply_gen_read(edb__reply_gen *g, char *buf, size_t max)
{
    size_t out = 0;
    if (!g)
        return 0;
    while (out < max) {
        if (g->stage_pos < g->stage_len) {
            size_t n = g->stage_len - g->stage_pos;
            if (n > max - out)
                n = max - out;
            memcpy(buf + out, g->stage + g->stage_pos, n);
            g->stage_pos += n;
            out += n;
            continue;
        }
        switch (g->phase) {
        case P_HEAD:
            if (!g->rows_only)
                stage_head(g);
            g->phase = P_ROW;
            break;
        case P_ROW:
            if (g->row >= g->end) {
                g->phase = P_FOOT;
                break;
            }
            stage_row(g);
            break;
        case P_STR:
            out += emit_str(g, buf + out, max - out);
            if (g->str_pos >= g->str_len && g->stage_pos >= g->stage_len)
                g->phase = P_ROW_END;
            break;
        case P_ROW_END:
            stage_row_end(g);
            g->row++;
            g->phase = P_ROW;
            break;
        case P_FOOT:
            g->stage_len = 0;
            g->stage_pos = 0;
            if (g->kind != EDB__REPLY_MAST_CSV && !g->rows_only) {
                memcpy(g->stage, "]}", 2);
                g->stage_len = 2;
            }
            g->phase = P_DONE;
            break;
        default:
            return out;
        }
    }
    return out;
}

static void rewind_gen(edb__reply_gen *g)
{
    g->phase = P_HEAD;
    g->row = g->first;
    g->stage_len = g->stage_pos = 0;
    g->str = NULL;
    g->str_len = g->str_pos = 0;
}

static edb_status check_args(edb__reply_kind kind, const edb_series *s)
{
    if (!s || (kind != EDB__REPLY_MAST_CSV && kind != EDB__REPLY_DIRECT_JSON &&
               kind != EDB__REPLY_EDP_JSON))
        return EDB_ERR_USAGE;
    if (s->n > 0 && s->vtype != EDB_VT_REAL && s->vtype != EDB_VT_INT &&
        s->vtype != EDB_VT_STRING)
        return EDB_ERR_INTERNAL;
    return EDB_OK;
}

/* Every byte the generator would give, counted through a scratch block. */
static uint64_t count_all(edb__reply_gen *g)
{
    char scratch[16384];
    size_t got;
    uint64_t n = 0;
    rewind_gen(g);
    while ((got = edb__reply_gen_read(g, scratch, sizeof scratch)) > 0)
        n += got;
    rewind_gen(g);
    return n;
}

static edb_status gen_new(edb__reply_gen **out, edb__reply_kind kind, const edb_series *s,
                          int64_t req_start, int64_t req_end, const uint64_t *rows_length)
{
    if (!out)
        return EDB_ERR_USAGE;
    *out = NULL;
    edb_status st = check_args(kind, s);
    if (st != EDB_OK)
        return st;
    edb__reply_gen *g = calloc(1, sizeof *g);
    if (!g)
        return EDB_ERR_NOMEM;
    g->kind = kind;
    g->s = s;
    g->req_start = req_start;
    g->req_end = req_end;
    g->end = s->n;
    if (!rows_length) {
        /* The sizing pass: the same code as the sending one, into a scratch block. */
        g->length = count_all(g);
    } else {
        /* The head and the foot as they will be sent, the rows as measured, and the
         * separators JSON puts between rows. */
        stage_head(g);
        g->length = g->stage_len + *rows_length;
        if (kind != EDB__REPLY_MAST_CSV)
            g->length += 2 + (s->n > 0 ? s->n - 1 : 0); /* "]}" and the commas */
        rewind_gen(g);
    }
    *out = g;
    return EDB_OK;
}

edb_status edb__reply_gen_new(edb__reply_gen **out, edb__reply_kind kind, const edb_series *s,
                              int64_t req_start, int64_t req_end)
{
    return gen_new(out, kind, s, req_start, req_end, NULL);
}

edb_status edb__reply_gen_new_sized(edb__reply_gen **out, edb__reply_kind kind,
                                    const edb_series *s, int64_t req_start, int64_t req_end,
                                    uint64_t rows_length)
{
    return gen_new(out, kind, s, req_start, req_end, &rows_length);
}

uint64_t edb__reply_rows_length(edb__reply_kind kind, const edb_series *s, size_t lo, size_t hi)
{
    if (check_args(kind, s) != EDB_OK || lo >= hi || hi > s->n)
        return 0;
    edb__reply_gen g;
    memset(&g, 0, sizeof g);
    g.kind = kind;
    g.s = s;
    g.rows_only = 1;
    g.first = lo;
    g.end = hi;
    return count_all(&g);
}

uint64_t edb__reply_gen_length(const edb__reply_gen *g)
{
    return g ? g->length : 0;
}

void edb__reply_gen_free(edb__reply_gen *g)
{
    free(g);
}

int edb__reply_format(edb__reply_kind kind, const edb_series *s, int64_t req_start,
                      int64_t req_end, edb__buf *b)
{
    edb__reply_gen *g = NULL;
    if (edb__reply_gen_new(&g, kind, s, req_start, req_end) != EDB_OK)
        return -1;
    uint64_t len = edb__reply_gen_length(g);
    if (len > SIZE_MAX - 1 || edb__buf_reserve(b, (size_t)len) != 0) {
        edb__reply_gen_free(g);
        return -1;
    }
    size_t got = edb__reply_gen_read(g, b->p + b->len, (size_t)len);
    b->len += got;
    b->p[b->len] = '\0';
    edb__reply_gen_free(g);
    return got == len ? 0 : -1;
}
