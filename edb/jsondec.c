/* jsondec.c: the streaming decoder of path B and EDP replies (edb/jsondec.h,
 * docs/jsondec.md).
 *
 * A push parser: a byte-level state machine with an explicit stack of open containers,
 * which can stop at any byte and resume with the next chunk.  Tokens that lie whole in a
 * chunk are read where they lie: a string without escapes or non-ASCII bytes by one scan
 * to its closing quote, a number by one scan to its end.  A token cut by a chunk boundary,
 * or a string with escapes or UTF-8, goes through the byte-at-a-time path, which copies
 * only what must be kept into a bounded buffer.  Both paths find every problem at the same
 * byte, so any split of the body gives the same samples and the same message.
 *
 * What a value means comes from where it is (the reply's keys, an element of Data, a
 * sample's ObsTime or EUValue); anything else is checked as JSON and skipped unkept.
 *
 * A JSON reply does not say its type, and typing from the first value would be wrong
 * (float series carry whole numbers as 0), so without a type from metadata the samples
 * wait, 16 bytes each (time and the value's 64 bits) plus a 2-bit tag, until finish()
 * has seen every value.  With a type given they go straight into the series. */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <edb/jsondec.h>
#include <edb/number.h>

#include "internal.h"

#define MAX_DEPTH 64                /* containers open at once; the reply needs 3 */
#define MAX_NUMBER 64               /* characters in a number: a double needs 25 */
#define MAX_STRING ((size_t)1 << 20) /* decoded bytes in a string: EDB strings are short */
#define MAX_KEY 256                 /* an unknown key remembered for the duplicate check */
#define MAX_KEYS 64                 /* unknown keys in the reply object or one sample */
#define COUNT_TRUST ((size_t)100000000) /* Count beyond this is not believed */
#define NEAR 40                     /* bytes shown before where a problem was found */
#define CTX 48                      /* bytes kept from earlier chunks for that (>= NEAR) */

/* Containers on the stack. */
enum { F_REPLY, F_DATA, F_SAMPLE, F_SKIP_OBJ, F_SKIP_ARR };

enum {
    S_TOP,       /* before the reply object */
    S_BOM,       /* inside a byte order mark at the start */
    S_OBJ_FIRST, /* after '{': a key or '}' */
    S_KEY,       /* after ',' in an object: a key */
    S_COLON,     /* after a key */
    S_VALUE,     /* after ':', or after ',' in an array */
    S_ARR_FIRST, /* after '[': a value or ']' */
    S_AFTER,     /* after a value in a container: ',' or its closer */
    S_END,       /* after the reply object: white space only */
    S_STRING,    /* inside a string cut by a chunk boundary or holding escapes */
    S_NUMBER,    /* inside a number cut by a chunk boundary */
    S_LITERAL    /* inside true, false or null */
};

/* What the value being read stands for.  The reply's and a sample's known keys are
 * also bits of keyset.known. */
enum {
    R_OTHER,
    R_TLM,
    R_ALLPOINTS,
    R_COUNT,
    R_REQS,
    R_REQE,
    R_DATA,
    R_OBSTIME,
    R_EUVALUE,
    R_SAMPLE, /* an element of Data */
    R_TOP
};

/* String escape states. */
enum { E_NONE, E_START, E_U, E_LOW1, E_LOW2 };

/* A value's kind on its way to the series. */
enum { V_INT = 0, V_REAL = 1, V_STR = 2 };

/* Kinds of EUValue seen, for typing a reply that no metadata types. */
enum {
    SEEN_NUM_INT = 1,   /* a number that is an integer literal inside int64 */
    SEEN_NUM_REAL = 2,  /* any other number */
    SEEN_STR = 4,       /* a string */
    SEEN_STR_INT = 8,   /* a string that reads as an int64 */
    SEEN_STR_REAL = 16, /* a string that reads as a number but not an int64 */
    SEEN_STR_OTHER = 32, /* a string that is not a number */
    SEEN_BIGINT = 64    /* an integer outside int32 */
};

typedef struct keyset {
    unsigned known;              /* bits 1 << R_x of the known keys seen */
    size_t n;                    /* unknown keys seen */
    uint32_t off[MAX_KEYS + 1];  /* their starts in names */
    edb__buf names;
} keyset;

/* A value with its time: the sample being read, or a bracket kept aside. */
typedef struct slot {
    int have_t, have_v;
    edb_time t;
    int tag;       /* V_x; with a type given, already that type */
    uint64_t bits; /* int64 or double */
    edb__buf s;    /* a string's bytes (or a number's text for a STRING series) */
} slot;

struct edb_jsondec {
    edb_series *dst;
    edb_decode_options o;
    char sqltype[32]; /* o.sqltype, copied; "" if not given */
    edb_vtype given;  /* the type every value converts to, EDB_VT_NONE to infer */
    int all_points0;  /* dst->all_points at new(): reset() puts it back */
    edb_err err;
    int finished;

    /* where the bytes are */
    uint64_t pos;     /* offset of the current chunk's first byte */
    const char *cur;  /* the chunk being fed, and its length (0 outside feed) */
    size_t cur_len;
    char ctx[CTX];    /* the last bytes before it, for excerpts */
    size_t ctx_len;

    /* the grammar */
    int state;
    unsigned char stack[MAX_DEPTH];
    int depth;
    int role;          /* of the value (or the key's object) being read */
    int str_key;       /* the string being read is a key */
    int want;          /* keep its bytes */
    uint64_t tok_off;  /* offset of the token's first byte */
    edb__buf tok;      /* a string's decoded bytes, on the slow path */
    size_t str_len;    /* decoded bytes of the string so far */
    int esc;           /* E_x */
    unsigned uacc, uhex, hi_sur;
    int u8need;        /* continuation bytes still expected */
    unsigned char u8lo, u8hi; /* the range allowed for the next one */
    char num[MAX_NUMBER + 1];
    size_t num_len;
    const char *lit;   /* "true", "false" or "null" being matched */
    size_t lit_pos;

    /* the reply */
    keyset rkeys, skeys;
    size_t elems;      /* elements of Data begun */
    size_t idx;        /* index in Data of the element being read */
    size_t rows;       /* samples complete */
    size_t hint;       /* Count, believed up to COUNT_TRUST; 0 if none */
    slot cur_s;
    unsigned seen;
    size_t first_num;  /* index of the first numeric EUValue (SEEN_NUM_*) */
    size_t first_other; /* index of the first string EUValue that is not a number */
    char other_text[48];

    /* kept samples */
    size_t n0;         /* samples dst held before this reply */
    int unsorted;
    int have_last;
    edb_time last_t;   /* time of the last kept in-range sample */
    slot before, after;
    /* waiting for their type (given == EDB_VT_NONE) */
    edb_time *bt;
    uint64_t *bv;
    uint64_t *btag;    /* 2 bits a sample */
    size_t bn, bcap;
    edb__buf arena;    /* their strings: a 4-byte length, then the bytes */
};

/* ---- character classes --------------------------------------------------------------- */

/* Bytes a string may hold as they are on the fast path: printable ASCII and DEL, but not
 * '"' or '\\'.  Control bytes must be escaped; UTF-8 takes the checked path. */
static const unsigned char plain[256] = {
    ['\x20'] = 1, 1, 0 /* '"' */, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x20-0x2f */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,                      /* 0x30-0x3f */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,                      /* 0x40-0x4f */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0 /* '\\' */, 1, 1, 1,           /* 0x50-0x5f */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,                      /* 0x60-0x6f */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,                      /* 0x70-0x7f */
};

/* Bytes that continue a number token; the grammar is checked on the whole token. */
static const unsigned char numchar[256] = {
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1,
    ['7'] = 1, ['8'] = 1, ['9'] = 1, ['-'] = 1, ['+'] = 1, ['.'] = 1, ['e'] = 1, ['E'] = 1,
};

/* How many plain bytes start s (at most n), eight at a time: the usual tricks for a zero
 * byte in a word flag every '"', '\\', control byte or byte >= 0x80.  A borrow may also
 * flag a byte above a true one, never below, so on a little-endian machine the lowest
 * flag is exactly the first byte that is not plain. */
static size_t plain_run(const char *s, size_t n)
{
    const uint64_t ones = UINT64_C(0x0101010101010101), highs = UINT64_C(0x8080808080808080);
    size_t k = 0;
    while (k + 8 <= n) {
        uint64_t w, q, b;
        memcpy(&w, s + k, 8);
        q = w ^ (ones * '"');
        b = w ^ (ones * '\\');
        uint64_t f = (((q - ones) & ~q) | ((b - ones) & ~b) | (w - ones * 0x20) | w) & highs;
        if (f) {
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
            return k + ((unsigned)__builtin_ctzll(f) >> 3);
#else
            break;
#endif
        }
        k += 8;
    }
    while (k < n && plain[(unsigned char)s[k]])
        k++;
    return k;
}

static int is_ws(unsigned char c)
{
    return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

static const char *skip_ws(const char *p, const char *end)
{
    while (p < end && is_ws((unsigned char)*p))
        p++;
    return p;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static char upper(char c)
{
    return (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
}

/* ---- messages ------------------------------------------------------------------------ */

/* Bytes for a message: printable ASCII as it is, anything else '?', so that a message is
 * always plain text; "..." where cut. */
static char *show(const char *s, size_t n, size_t max, char *out, size_t outlen)
{
    size_t o = 0;
    for (size_t k = 0; k < n && k < max && o + 1 < outlen; k++) {
        unsigned char c = (unsigned char)s[k];
        out[o++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    if (n > max && o + 4 < outlen) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
    return out;
}

static uint64_t off_of(const edb_jsondec *d, const char *p)
{
    return d->pos + (uint64_t)(p - d->cur);
}

/* The NEAR bytes of the body before offset upto (exclusive), from the kept context and
 * the current chunk; "..." in front when earlier bytes exist. */
static void near_text(const edb_jsondec *d, uint64_t upto, char *out,
                      size_t outlen)
{
    char tmp[NEAR];
    uint64_t lo = d->pos - d->ctx_len;
    if (upto > d->pos + d->cur_len)
        upto = d->pos + d->cur_len;
    uint64_t from = upto > lo + NEAR ? upto - NEAR : lo;
    size_t n = 0;
    for (uint64_t k = from; k < upto && n < NEAR; k++)
        tmp[n++] = k < d->pos ? d->ctx[k - lo] : d->cur[k - d->pos];
    size_t o = 0;
    if (from > 0 && outlen > 4) {
        memcpy(out, "...", 3);
        o = 3;
    }
    show(tmp, n, NEAR, out + o, outlen - o);
}

/* "byte OFF: WHAT near '...'": the offset of what is wrong, the bytes up to where it was
 * found. */
static edb_status EDB__PRINTF(5, 6) fail_at(edb_jsondec *d, edb_status st, uint64_t off,
                                            uint64_t upto, const char *fmt,
                                            ...)
{
    if (d->err.status != EDB_OK)
        return d->err.status;
    char what[EDB_ERRMSG_SIZE], near[NEAR + 8];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    near_text(d, upto, near, sizeof near);
    return edb__fail(&d->err, st, "byte %llu: %s near '%s'", (unsigned long long)off, what, near);
}

/* "expected X, got 'c'" at the byte p. */
static edb_status fail_got(edb_jsondec *d, const char *p, const char *expected)
{
    unsigned char c = (unsigned char)*p;
    char got[16];
    if (c >= 0x20 && c < 0x7f)
        snprintf(got, sizeof got, "'%c'", c);
    else
        snprintf(got, sizeof got, "byte 0x%02x", c);
    uint64_t o = off_of(d, p);
    return fail_at(d, EDB_ERR_DATA, o, o + 1, "%s, got %s", expected, got);
}

static edb_status nomem(edb_jsondec *d)
{
    return edb__fail(&d->err, EDB_ERR_NOMEM, "out of memory decoding a reply of %zu samples",
                     d->rows);
}

/* What the value of role r is called in messages ("Data[3]: EUValue"). */
static const char *subject(const edb_jsondec *d, int r, char *buf, size_t len)
{
    switch (r) {
    case R_TLM: return "TlmMnemonic";
    case R_ALLPOINTS: return "AllPoints";
    case R_COUNT: return "Count";
    case R_REQS: return "ReqSTime";
    case R_REQE: return "ReqETime";
    case R_DATA: return "Data";
    case R_OBSTIME: snprintf(buf, len, "Data[%zu]: ObsTime", d->idx); return buf;
    case R_EUVALUE: snprintf(buf, len, "Data[%zu]: EUValue", d->idx); return buf;
    case R_SAMPLE: snprintf(buf, len, "Data[%zu]", d->idx); return buf;
    case R_TOP: return "the reply";
    default: return "a value";
    }
}

static const char *expectation(int r)
{
    switch (r) {
    case R_TLM: return "a string";
    case R_ALLPOINTS: return "0 or 1";
    case R_COUNT: return "a whole number";
    case R_REQS:
    case R_REQE: return "a time string";
    case R_DATA: return "an array or null";
    case R_OBSTIME: return "a time string";
    case R_EUVALUE: return "a number or a string";
    case R_SAMPLE:
    case R_TOP: return "an object";
    default: return "a value";
    }
}

/* A value of the wrong kind for where it is, reported at its first byte. */
static edb_status wrong_kind(edb_jsondec *d, const char *kind, uint64_t upto)
{
    char sb[48];
    return fail_at(d, EDB_ERR_DATA, d->tok_off, upto, "%s is %s, expected %s",
                   subject(d, d->role, sb, sizeof sb), kind, expectation(d->role));
}

/* ---- times --------------------------------------------------------------------------- */

/* "/Date(1611628142147)/" or with "+hhmm"/"-hhmm" before ")/": milliseconds since 1970
 * UTC.  The suffix of .NET's JSON dates names the zone the value was local to; the count
 * is UTC either way, so the suffix is checked but does not shift the time. */
static int parse_msdate(const char *s, size_t n, edb_time *out, char *why, size_t whylen)
{
    if (n < 9 || s[0] != '/' || s[1] != 'D' || s[2] != 'a' || s[3] != 't' || s[4] != 'e' ||
        s[5] != '(' || s[n - 2] != ')' || s[n - 1] != '/') {
        snprintf(why, whylen, "expected /Date(milliseconds)/");
        return -1;
    }
    const char *p = s + 6, *e = s + n - 2;
    if (e - p >= 6 && (e[-5] == '+' || e[-5] == '-') && is_digit(e[-4]) && is_digit(e[-3]) &&
        is_digit(e[-2]) && is_digit(e[-1])) {
        int hh = (e[-4] - '0') * 10 + (e[-3] - '0'), mm = (e[-2] - '0') * 10 + (e[-1] - '0');
        if (hh > 23 || mm > 59) {
            snprintf(why, whylen, "zone suffix '%.5s' out of range (hours 00-23, minutes 00-59)",
                     e - 5);
            return -1;
        }
        e -= 5;
    }
    int neg = 0;
    if (p < e && *p == '-') {
        neg = 1;
        p++;
    }
    if (p == e || e - p > 16) {
        snprintf(why, whylen, "expected 1 to 16 digits of milliseconds, then an optional "
                              "+hhmm, in /Date(...)/");
        return -1;
    }
    int64_t ms = 0;
    for (; p < e; p++) {
        unsigned c = (unsigned)(unsigned char)*p - '0';
        if (c > 9) {
            snprintf(why, whylen, "expected 1 to 16 digits of milliseconds, then an optional "
                                  "+hhmm, in /Date(...)/");
            return -1;
        }
        ms = ms * 10 + (int64_t)c;
    }
    /* microseconds must fit in int64 */
    if (ms > INT64_MAX / 1000) {
        snprintf(why, whylen, "milliseconds out of range");
        return -1;
    }
    *out = (neg ? -ms : ms) * 1000;
    return 0;
}

/* A time from the reply: the /Date()/ form of path B or the ISO form of the EDP. */
static edb_status parse_when(edb_jsondec *d, const char *s, size_t n, edb_time *t,
                             uint64_t upto)
{
    char why[EDB_ERRMSG_SIZE], sb[48], shown[72];
    if (n > 0 && s[0] == '/') {
        if (parse_msdate(s, n, t, why, sizeof why) == 0)
            return EDB_OK;
        return fail_at(d, EDB_ERR_DATA, d->tok_off, upto, "%s '%s' is not a time: %s",
                       subject(d, d->role, sb, sizeof sb), show(s, n, 48, shown, sizeof shown),
                       why);
    }
    if (n > 0 && is_digit(s[0])) {
        if (edb_time_parse_iso(s, n, t, NULL) == EDB_OK)
            return EDB_OK;
        edb_err e = EDB_ERR_INIT; /* 1 KiB to clear: only when there is something to say */
        edb_time_parse_iso(s, n, t, &e);
        /* the time module quotes the text as it is: keep the message plain ASCII */
        show(e.msg, strlen(e.msg), sizeof why - 8, why, sizeof why);
        return fail_at(d, EDB_ERR_DATA, d->tok_off, upto, "%s: %s",
                       subject(d, d->role, sb, sizeof sb), why);
    }
    return fail_at(d, EDB_ERR_DATA, d->tok_off, upto,
                   "%s '%s' is not a time (expected /Date(milliseconds)/ or "
                   "YYYY-MM-DDThh:mm:ss.fff)",
                   subject(d, d->role, sb, sizeof sb), show(s, n, 48, shown, sizeof shown));
}

/* ---- numbers ------------------------------------------------------------------------- */

/* JSON's grammar, -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?: NULL if s is a number
 * (*is_int: without fraction or exponent), else what is wrong. */
static const char *json_number(const char *s, size_t n, int *is_int)
{
    size_t k = 0;
    *is_int = 1;
    if (k < n && s[k] == '-')
        k++;
    if (k == n || !is_digit(s[k]))
        return "no digit after '-'";
    if (s[k] == '0') {
        if (++k < n && is_digit(s[k]))
            return "a leading zero";
    } else {
        while (k < n && is_digit(s[k]))
            k++;
    }
    if (k < n && s[k] == '.') {
        *is_int = 0;
        if (++k == n || !is_digit(s[k]))
            return "no digit after '.'";
        while (k < n && is_digit(s[k]))
            k++;
    }
    if (k < n && (s[k] == 'e' || s[k] == 'E')) {
        *is_int = 0;
        if (++k < n && (s[k] == '+' || s[k] == '-'))
            k++;
        if (k == n || !is_digit(s[k]))
            return "no digit in the exponent";
        while (k < n && is_digit(s[k]))
            k++;
    }
    if (k != n)
        return "not a JSON number";
    return NULL;
}

/* Is v a whole number that int64 holds?  2^63 bounds: a whole double below them converts
 * exactly. */
static int whole_int64(double v, int64_t *out)
{
    if (!(v >= -9223372036854775808.0 && v < 9223372036854775808.0))
        return -1;
    int64_t i = (int64_t)v;
    if ((double)i != v)
        return -1;
    *out = i;
    return 0;
}

static uint64_t dbits(double v)
{
    uint64_t b;
    memcpy(&b, &v, sizeof b);
    return b;
}

static double bitsd(uint64_t b)
{
    double v;
    memcpy(&v, &b, sizeof v);
    return v;
}

/* ---- keys ---------------------------------------------------------------------------- */

static int key_role(int frame, const char *k, size_t n)
{
    if (frame == F_SAMPLE) {
        if (n == 7 && memcmp(k, "ObsTime", 7) == 0)
            return R_OBSTIME;
        if (n == 7 && memcmp(k, "EUValue", 7) == 0)
            return R_EUVALUE;
        return R_OTHER;
    }
    switch (n) {
    case 4: return memcmp(k, "Data", 4) == 0 ? R_DATA : R_OTHER;
    case 5: return memcmp(k, "Count", 5) == 0 ? R_COUNT : R_OTHER;
    case 8:
        if (memcmp(k, "ReqSTime", 8) == 0)
            return R_REQS;
        return memcmp(k, "ReqETime", 8) == 0 ? R_REQE : R_OTHER;
    case 9: return memcmp(k, "AllPoints", 9) == 0 ? R_ALLPOINTS : R_OTHER;
    case 11: return memcmp(k, "TlmMnemonic", 11) == 0 ? R_TLM : R_OTHER;
    default: return R_OTHER;
    }
}

static void keyset_clear(keyset *ks)
{
    ks->known = 0;
    ks->n = 0;
    ks->names.len = 0;
}

/* A key of the reply object or of a sample: known keys once each, unknown ones too (kept,
 * bounded, so that a duplicate is found without keeping the text of the reply). */
static edb_status key_check(edb_jsondec *d, const char *k, size_t n, uint64_t upto)
{
    int frame = d->stack[d->depth - 1];
    keyset *ks = frame == F_SAMPLE ? &d->skeys : &d->rkeys;
    char obj[40], shown[72];
    int r = key_role(frame, k, n);
    d->role = r;
    if (r != R_OTHER && !(ks->known & (1u << r))) {
        ks->known |= 1u << r; /* the usual case, first: nothing to format */
        return EDB_OK;
    }
    if (frame == F_SAMPLE)
        snprintf(obj, sizeof obj, "Data[%zu]", d->idx);
    else
        snprintf(obj, sizeof obj, "the reply object");
    if (r != R_OTHER)
        return fail_at(d, EDB_ERR_DATA, d->tok_off, upto,
                       "duplicate key \"%s\" in %s", show(k, n, 48, shown, sizeof shown), obj);
    if (n > MAX_KEY)
        return fail_at(d, EDB_ERR_DATA, d->tok_off, upto,
                       "key \"%s\" in %s is longer than %d bytes: not an EDB reply",
                       show(k, n, 48, shown, sizeof shown), obj, MAX_KEY);
    for (size_t j = 0; j < ks->n; j++) {
        size_t a = ks->off[j], b = ks->off[j + 1];
        if (b - a == n && memcmp(ks->names.p + a, k, n) == 0)
            return fail_at(d, EDB_ERR_DATA, d->tok_off, upto,
                           "duplicate key \"%s\" in %s", show(k, n, 48, shown, sizeof shown), obj);
    }
    if (ks->n == MAX_KEYS)
        return fail_at(d, EDB_ERR_DATA, d->tok_off, upto,
                       "more than %d unknown keys in %s: not an EDB reply", MAX_KEYS, obj);
    if (ks->n == 0)
        ks->off[0] = 0;
    if (edb__buf_append(&ks->names, k, n) != 0)
        return nomem(d);
    ks->off[++ks->n] = (uint32_t)ks->names.len;
    return EDB_OK;
}

/* ---- keeping samples ----------------------------------------------------------------- */

/* The capacity to grow to when cap samples are not enough: double, but stop at the
 * reply's Count when it lies in between, so that a truthful Count leaves no slack and a
 * false one costs nothing beyond what the samples themselves justify. */
static size_t next_cap(size_t cap, size_t hint)
{
    size_t c = cap < 32 ? 64 : (cap > SIZE_MAX / 4 ? SIZE_MAX / 2 : cap * 2);
    if (hint > cap && hint < c)
        c = hint;
    return c;
}

static edb_status slot_copy(slot *to, const slot *from)
{
    to->have_t = 1;
    to->t = from->t;
    to->tag = from->tag;
    to->bits = from->bits;
    to->s.len = 0;
    if (from->tag == V_STR && edb__buf_append(&to->s, from->s.p ? from->s.p : "", from->s.len) != 0)
        return EDB_ERR_NOMEM;
    return EDB_OK;
}

/* A sample whose value is already of the series' type, at the end of dst. */
static edb_status push_typed(edb_jsondec *d, const slot *v)
{
    edb_series *s = d->dst;
    if (s->n == s->cap) {
        size_t hint = d->hint ? d->n0 + d->hint : 0;
        edb_status st = edb_series_reserve(s, next_cap(s->cap, hint));
        if (st != EDB_OK)
            return st;
    }
    switch (s->vtype) {
    case EDB_VT_REAL: return edb_series_push_real(s, v->t, bitsd(v->bits));
    case EDB_VT_INT: return edb_series_push_int(s, v->t, (int64_t)v->bits);
    case EDB_VT_STRING: return edb_series_push_str(s, v->t, v->s.p ? v->s.p : "", v->s.len);
    default: return EDB_ERR_INTERNAL;
    }
}

/* A sample waiting for its type. */
static edb_status push_waiting(edb_jsondec *d, const slot *v)
{
    if (d->bn == d->bcap) {
        size_t cap = next_cap(d->bcap, d->hint);
        if (cap > SIZE_MAX / 16)
            return EDB_ERR_NOMEM;
        edb_time *t = realloc(d->bt, cap * sizeof *t);
        if (!t)
            return EDB_ERR_NOMEM;
        d->bt = t;
        uint64_t *v2 = realloc(d->bv, cap * sizeof *v2);
        if (!v2)
            return EDB_ERR_NOMEM;
        d->bv = v2;
        size_t words = (cap + 31) / 32, old = (d->bcap + 31) / 32;
        uint64_t *g = realloc(d->btag, words * sizeof *g);
        if (!g)
            return EDB_ERR_NOMEM;
        memset(g + old, 0, (words - old) * sizeof *g);
        d->btag = g;
        d->bcap = cap;
    }
    uint64_t bits = v->bits;
    if (v->tag == V_STR) {
        uint32_t n = (uint32_t)v->s.len;
        bits = d->arena.len;
        if (edb__buf_append(&d->arena, &n, sizeof n) != 0 ||
            edb__buf_append(&d->arena, v->s.p ? v->s.p : "", v->s.len) != 0)
            return EDB_ERR_NOMEM;
    }
    size_t k = d->bn++;
    d->bt[k] = v->t;
    d->bv[k] = bits;
    d->btag[k / 32] |= (uint64_t)v->tag << (2 * (k % 32));
    return EDB_OK;
}

/* A complete sample: checked, then kept, set aside as a bracket, or dropped. */
static edb_status sample_done(edb_jsondec *d, const char *p)
{
    slot *v = &d->cur_s;
    if (!v->have_t || !v->have_v) {
        uint64_t o = off_of(d, p);
        return fail_at(d, EDB_ERR_DATA, o, o + 1, "Data[%zu] has no %s",
                       d->idx, v->have_t ? "EUValue" : "ObsTime");
    }
    d->rows++;
    edb_time t = v->t;
    edb_status st = EDB_OK;
    if (t < d->o.start) {
        /* the latest before start; of equal times the later in the reply */
        if (d->o.keep_before && (!d->before.have_t || t >= d->before.t))
            st = slot_copy(&d->before, v);
    } else if (t > d->o.end) {
        /* the earliest after end; of equal times the earlier */
        if (d->o.keep_after && (!d->after.have_t || t < d->after.t))
            st = slot_copy(&d->after, v);
    } else {
        if (d->have_last && t < d->last_t)
            d->unsorted = 1;
        d->have_last = 1;
        d->last_t = t;
        st = d->given != EDB_VT_NONE ? push_typed(d, v) : push_waiting(d, v);
    }
    if (st == EDB_ERR_NOMEM)
        return nomem(d);
    if (st != EDB_OK)
        return edb__fail(&d->err, st, "Data[%zu]: cannot store the sample: %s", d->idx,
                         edb_strerror(st));
    return EDB_OK;
}

/* ---- values -------------------------------------------------------------------------- */

static void note_int(edb_jsondec *d, int64_t i)
{
    if (i < INT32_MIN || i > INT32_MAX)
        d->seen |= SEEN_BIGINT;
}

/* Without a type, a number after a string that is not one (or the reverse) cannot be
 * typed: found at the second of the two, whichever comes first. */
static edb_status mixed(edb_jsondec *d, int is_string, const char *s, size_t n, uint64_t upto)
{
    char shown[72];
    if (is_string)
        return fail_at(d, EDB_ERR_DATA, d->tok_off, upto,
                       "Data[%zu]: EUValue '%s' is a string that is not a number, but Data[%zu] "
                       "is a number: with no type from metadata the values must not mix",
                       d->idx, show(s, n, 40, shown, sizeof shown), d->first_num);
    return fail_at(d, EDB_ERR_DATA, d->tok_off, upto,
                   "Data[%zu]: EUValue is a number, but Data[%zu] is the string '%s', which is "
                   "not: with no type from metadata the values must not mix",
                   d->idx, d->first_other, d->other_text);
}

static const char *type_said(const edb_jsondec *d)
{
    return d->sqltype[0] ? d->sqltype : edb_vtype_name(d->given);
}

/* EUValue as a number: text is its JSON text (grammar checked). */
static edb_status eu_number(edb_jsondec *d, const char *text, size_t n, int is_int, int64_t iv,
                            double dv, uint64_t upto)
{
    slot *v = &d->cur_s;
    char shown[72];
    int int_ok = is_int; /* an integer literal inside int64: iv holds it */
    if (d->given == EDB_VT_NONE) {
        if (d->seen & SEEN_STR_OTHER)
            return mixed(d, 0, NULL, 0, upto);
        if (!(d->seen & (SEEN_NUM_INT | SEEN_NUM_REAL)))
            d->first_num = d->idx;
        if (int_ok) {
            d->seen |= SEEN_NUM_INT;
            note_int(d, iv);
            v->tag = V_INT;
            v->bits = (uint64_t)iv;
        } else {
            d->seen |= SEEN_NUM_REAL;
            v->tag = V_REAL;
            v->bits = dbits(dv);
        }
    } else if (d->given == EDB_VT_REAL) {
        v->tag = V_REAL;
        /* (double) of an integer is its correctly rounded value, as parsing its text
         * would give; and -0 as an integer is +0, as jansson reads it */
        v->bits = dbits(int_ok ? (double)iv : dv);
    } else if (d->given == EDB_VT_INT) {
        int64_t i = iv;
        if (!int_ok && whole_int64(dv, &i) != 0) {
            int whole = is_int || (isfinite(dv) && dv == floor(dv));
            return fail_at(d, EDB_ERR_DATA, d->tok_off, upto,
                           "Data[%zu]: EUValue %s is %s (the type is %s)", d->idx,
                           show(text, n, 40, shown, sizeof shown),
                           whole ? "out of range for a 64-bit integer" : "not a whole number",
                           type_said(d));
        }
        note_int(d, i);
        v->tag = V_INT;
        v->bits = (uint64_t)i;
    } else {
        v->tag = V_STR;
        v->s.len = 0;
        if (edb__buf_append(&v->s, text, n) != 0)
            return nomem(d);
    }
    v->have_v = 1;
    return EDB_OK;
}

/* EUValue as a string. */
static edb_status eu_string(edb_jsondec *d, const char *s, size_t n, uint64_t upto)
{
    slot *v = &d->cur_s;
    char shown[72];
    if (d->given == EDB_VT_REAL || d->given == EDB_VT_INT) {
        double dv = 0;
        int64_t iv = 0;
        if (edb_parse_int64(s, n, &iv) == 0) {
            dv = (double)iv;
        } else if (edb_parse_double(s, n, &dv) != 0) {
            return fail_at(d, EDB_ERR_DATA, d->tok_off, upto,
                           "Data[%zu]: EUValue '%s' is not a number (the type is %s)", d->idx,
                           show(s, n, 40, shown, sizeof shown), type_said(d));
        } else if (d->given == EDB_VT_INT && whole_int64(dv, &iv) != 0) {
            return fail_at(d, EDB_ERR_DATA, d->tok_off, upto,
                           "Data[%zu]: EUValue '%s' is %s (the type is %s)", d->idx,
                           show(s, n, 40, shown, sizeof shown),
                           isfinite(dv) && dv == floor(dv) ? "out of range for a 64-bit integer"
                                                           : "not a whole number",
                           type_said(d));
        }
        if (d->given == EDB_VT_INT) {
            note_int(d, iv);
            v->tag = V_INT;
            v->bits = (uint64_t)iv;
        } else {
            v->tag = V_REAL;
            v->bits = dbits(dv);
        }
        v->have_v = 1;
        return EDB_OK;
    }
    if (d->given == EDB_VT_NONE) {
        int64_t iv;
        double dv;
        d->seen |= SEEN_STR;
        if (edb_parse_int64(s, n, &iv) == 0) {
            d->seen |= SEEN_STR_INT;
            note_int(d, iv);
        } else if (edb_parse_double(s, n, &dv) == 0) {
            d->seen |= SEEN_STR_REAL;
        } else {
            if (d->seen & (SEEN_NUM_INT | SEEN_NUM_REAL))
                return mixed(d, 1, s, n, upto);
            if (!(d->seen & SEEN_STR_OTHER)) {
                d->first_other = d->idx;
                show(s, n, 40, d->other_text, sizeof d->other_text);
            }
            d->seen |= SEEN_STR_OTHER;
        }
    }
    v->tag = V_STR;
    v->s.len = 0;
    if (edb__buf_append(&v->s, s ? s : "", n) != 0)
        return nomem(d);
    v->have_v = 1;
    return EDB_OK;
}

/* A string value of role d->role: its decoded bytes and the offset just past its closing
 * quote. */
static edb_status string_value(edb_jsondec *d, const char *s, size_t n, uint64_t upto)
{
    char shown[72];
    switch (d->role) {
    case R_OTHER: return EDB_OK;
    case R_TLM: {
        const char *m = d->dst->mnemonic;
        size_t ml = m ? strlen(m) : 0;
        if (ml == 0)
            return EDB_OK;
        int same = ml == n;
        for (size_t k = 0; same && k < n; k++)
            same = upper(s[k]) == upper(m[k]);
        if (same)
            return EDB_OK;
        return fail_at(d, EDB_ERR_DATA, d->tok_off, upto,
                       "the reply is for '%s', not %s", show(s, n, 64, shown, sizeof shown), m);
    }
    case R_REQS:
    case R_REQE: {
        edb_time t;
        return parse_when(d, s, n, &t, upto);
    }
    case R_OBSTIME:
        d->cur_s.have_t = 1;
        return parse_when(d, s, n, &d->cur_s.t, upto);
    case R_EUVALUE: return eu_string(d, s, n, upto);
    default: return wrong_kind(d, "a string", upto);
    }
}

/* A complete string, a key or a value. */
static edb_status string_done(edb_jsondec *d, const char *s, size_t n, uint64_t upto)
{
    if (d->str_key) {
        d->state = S_COLON;
        if (d->stack[d->depth - 1] == F_SKIP_OBJ) {
            d->role = R_OTHER;
            return EDB_OK;
        }
        return key_check(d, s, n, upto);
    }
    d->state = S_AFTER;
    return string_value(d, s, n, upto);
}

/* A number token of role d->role, not yet checked against the grammar. */
static edb_status number_value(edb_jsondec *d, const char *s, size_t n, uint64_t upto)
{
    char shown[80];
    int is_int;
    const char *why = json_number(s, n, &is_int);
    if (why)
        return fail_at(d, EDB_ERR_DATA, d->tok_off, upto, "invalid number '%s' (%s)",
                       show(s, n, MAX_NUMBER, shown, sizeof shown), why);
    int64_t iv = 0;
    double dv = 0;
    if (is_int && edb_parse_int64(s, n, &iv) == 0) {
        dv = (double)iv;
    } else {
        is_int = 0; /* an integer literal beyond int64 is read as a double */
        if (edb_parse_double(s, n, &dv) != 0)
            return edb__fail(&d->err, EDB_ERR_INTERNAL, "byte %llu: number '%s' passed the "
                             "grammar but not the parser", (unsigned long long)d->tok_off,
                             show(s, n, MAX_NUMBER, shown, sizeof shown));
        if (isinf(dv))
            return fail_at(d, EDB_ERR_DATA, d->tok_off, upto,
                           "huge number '%s' (beyond the range of a double)",
                           show(s, n, MAX_NUMBER, shown, sizeof shown));
    }
    switch (d->role) {
    case R_OTHER: return EDB_OK;
    case R_EUVALUE: return eu_number(d, s, n, is_int, iv, dv, upto);
    case R_COUNT:
        if (!is_int || iv < 0)
            return fail_at(d, EDB_ERR_DATA, d->tok_off, upto,
                           "Count is %s, expected a whole number",
                           show(s, n, 40, shown, sizeof shown));
        d->hint = (uint64_t)iv > COUNT_TRUST ? COUNT_TRUST : (size_t)iv;
        return EDB_OK;
    case R_ALLPOINTS:
        if (!is_int || (iv != 0 && iv != 1))
            return fail_at(d, EDB_ERR_DATA, d->tok_off, upto,
                           "AllPoints is %s, expected 0 or 1", show(s, n, 40, shown, sizeof shown));
        d->dst->all_points = (int)iv;
        return EDB_OK;
    default: return wrong_kind(d, "a number", upto);
    }
}

static edb_status number_done(edb_jsondec *d, const char *s, size_t n, uint64_t upto)
{
    d->state = S_AFTER;
    return number_value(d, s, n, upto);
}

/* A complete true, false or null. */
static edb_status literal_done(edb_jsondec *d, uint64_t upto)
{
    d->state = S_AFTER;
    char kind = d->lit[0];
    switch (d->role) {
    case R_OTHER: return EDB_OK;
    case R_DATA:
    case R_TLM:
    case R_REQS:
    case R_REQE:
    case R_COUNT:
        if (kind == 'n')
            return EDB_OK; /* null: not known, as if absent (Data: null is no samples) */
        break;
    case R_ALLPOINTS:
        if (kind == 'n')
            return EDB_OK;
        d->dst->all_points = kind == 't';
        return EDB_OK;
    default: break;
    }
    return wrong_kind(d, kind == 'n' ? "null" : kind == 't' ? "true" : "false", upto);
}

/* ---- containers ---------------------------------------------------------------------- */

static edb_status push_frame(edb_jsondec *d, int f, const char *p)
{
    if (d->depth == MAX_DEPTH) {
        uint64_t o = off_of(d, p);
        return fail_at(d, EDB_ERR_DATA, o, o + 1,
                       "nesting deeper than %d levels", MAX_DEPTH);
    }
    d->stack[d->depth++] = (unsigned char)f;
    return EDB_OK;
}

/* The role of the elements of the array on top. */
static int element_role(const edb_jsondec *d)
{
    return d->stack[d->depth - 1] == F_DATA ? R_SAMPLE : R_OTHER;
}

static int is_object(int f)
{
    return f == F_REPLY || f == F_SAMPLE || f == F_SKIP_OBJ;
}

/* The closer at p ends the container on top. */
static edb_status close_frame(edb_jsondec *d, const char *p)
{
    int f = d->stack[d->depth - 1];
    edb_status st = EDB_OK;
    if (f == F_SAMPLE) {
        st = sample_done(d, p);
    } else if (f == F_REPLY && !(d->rkeys.known & (1u << R_DATA))) {
        uint64_t o = off_of(d, p);
        st = fail_at(d, EDB_ERR_DATA, o, o + 1,
                     "the reply has no Data (not a path B or EDP data reply?)");
    }
    d->depth--;
    d->state = d->depth > 0 ? S_AFTER : S_END;
    return st;
}

/* ---- the state machine --------------------------------------------------------------- */

/* The string whose opening quote is at p: read it where it lies if it ends in this chunk
 * with nothing to decode, else start the byte-at-a-time path.  Returns where to go on,
 * NULL after an error. */
static const char *string_begin(edb_jsondec *d, const char *p, const char *end)
{
    d->tok_off = off_of(d, p);
    const char *s = p + 1;
    size_t room = (size_t)(end - s);
    const char *q = s + plain_run(s, room > MAX_STRING ? MAX_STRING : room);
    if (q < end && *q == '"')
        return string_done(d, s, (size_t)(q - s), off_of(d, q) + 1) == EDB_OK
                   ? q + 1
                   : NULL;
    d->state = S_STRING;
    d->esc = E_NONE;
    d->u8need = 0;
    d->hi_sur = 0;
    d->tok.len = 0;
    d->str_len = (size_t)(q - s);
    if (d->want && edb__buf_append(&d->tok, s, (size_t)(q - s)) != 0) {
        nomem(d);
        return NULL;
    }
    return q;
}

/* Add the code point cp, UTF-8 encoded, to the string being decoded. */
static edb_status put_code(edb_jsondec *d, unsigned cp, const char *p)
{
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    if (d->str_len + n > MAX_STRING)
        return fail_at(d, EDB_ERR_DATA, d->tok_off, off_of(d, p) + 1,
                       "string longer than %zu MiB: not an EDB reply", MAX_STRING >> 20);
    d->str_len += n;
    if (d->want && edb__buf_append(&d->tok, u, n) != 0)
        return nomem(d);
    return EDB_OK;
}

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* The byte-at-a-time string path, from p.  Returns where to go on, NULL after an error. */
static const char *string_slow(edb_jsondec *d, const char *p, const char *end)
{
    while (p < end) {
        unsigned char c = (unsigned char)*p;
        if (d->esc == E_NONE && d->u8need == 0) {
            if (plain[c]) {
                /* a run of plain bytes at once */
                const char *q = p + 1 + plain_run(p + 1, (size_t)(end - p - 1));
                size_t run = (size_t)(q - p);
                if (d->str_len + run > MAX_STRING) {
                    const char *over = p + (MAX_STRING - d->str_len);
                    fail_at(d, EDB_ERR_DATA, d->tok_off, off_of(d, over) + 1,
                            "string longer than %zu MiB: not an EDB reply", MAX_STRING >> 20);
                    return NULL;
                }
                d->str_len += run;
                if (d->want && edb__buf_append(&d->tok, p, run) != 0) {
                    nomem(d);
                    return NULL;
                }
                p = q;
                continue;
            }
            if (c == '"') {
                if (string_done(d, d->tok.p ? d->tok.p : "", d->tok.len, off_of(d, p) + 1) !=
                    EDB_OK)
                    return NULL;
                return p + 1;
            }
            if (c == '\\') {
                d->esc = E_START;
                p++;
                continue;
            }
            if (c < 0x20) {
                uint64_t o = off_of(d, p);
                fail_at(d, EDB_ERR_DATA, o, o + 1,
                        "control byte 0x%02x inside a string (it must be escaped)", c);
                return NULL;
            }
            /* the first byte of a UTF-8 sequence: the shortest form only, no surrogates,
             * nothing beyond U+10FFFF (RFC 3629's table) */
            int need = 0;
            unsigned char lo = 0x80, hi = 0xBF;
            if (c >= 0xC2 && c <= 0xDF) {
                need = 1;
            } else if (c >= 0xE0 && c <= 0xEF) {
                need = 2;
                if (c == 0xE0)
                    lo = 0xA0;
                else if (c == 0xED)
                    hi = 0x9F;
            } else if (c >= 0xF0 && c <= 0xF4) {
                need = 3;
                if (c == 0xF0)
                    lo = 0x90;
                else if (c == 0xF4)
                    hi = 0x8F;
            } else {
                uint64_t o = off_of(d, p);
                fail_at(d, EDB_ERR_DATA, o, o + 1, "invalid UTF-8 in a string (byte 0x%02x)",
                        c);
                return NULL;
            }
            if (d->str_len + 1 + (size_t)need > MAX_STRING) {
                fail_at(d, EDB_ERR_DATA, d->tok_off, off_of(d, p) + 1,
                        "string longer than %zu MiB: not an EDB reply", MAX_STRING >> 20);
                return NULL;
            }
            d->u8need = need;
            d->u8lo = lo;
            d->u8hi = hi;
            d->str_len++;
            if (d->want && edb__buf_append(&d->tok, p, 1) != 0) {
                nomem(d);
                return NULL;
            }
            p++;
            continue;
        }
        if (d->u8need) {
            if (c < d->u8lo || c > d->u8hi) {
                uint64_t o = off_of(d, p);
                fail_at(d, EDB_ERR_DATA, o, o + 1,
                        "invalid UTF-8 in a string (byte 0x%02x where a continuation byte "
                        "0x%02x-0x%02x belongs)",
                        c, d->u8lo, d->u8hi);
                return NULL;
            }
            d->u8need--;
            d->u8lo = 0x80;
            d->u8hi = 0xBF;
            d->str_len++; /* room was checked at the first byte */
            if (d->want && edb__buf_append(&d->tok, p, 1) != 0) {
                nomem(d);
                return NULL;
            }
            p++;
            continue;
        }
        /* escapes */
        switch (d->esc) {
        case E_START: {
            static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
            const char *f = c ? memchr(from, c, sizeof from - 1) : NULL;
            if (f) {
                d->esc = E_NONE;
                if (put_code(d, (unsigned char)to[f - from], p) != EDB_OK)
                    return NULL;
            } else if (c == 'u') {
                d->esc = E_U;
                d->uacc = 0;
                d->uhex = 0;
            } else {
                uint64_t o = off_of(d, p);
                char shown[8];
                fail_at(d, EDB_ERR_DATA, o - 1, o + 1,
                        "invalid escape '\\%s' in a string (expected one of \\\" \\\\ \\/ \\b "
                        "\\f \\n \\r \\t \\uXXXX)",
                        show((const char *)&c, 1, 1, shown, sizeof shown));
                return NULL;
            }
            p++;
            break;
        }
        case E_U: {
            int h = hexval(c);
            if (h < 0) {
                uint64_t o = off_of(d, p);
                char shown[8];
                fail_at(d, EDB_ERR_DATA, o, o + 1,
                        "invalid \\u escape in a string: '%s' is not a hex digit",
                        show((const char *)&c, 1, 1, shown, sizeof shown));
                return NULL;
            }
            d->uacc = d->uacc * 16 + (unsigned)h;
            p++;
            if (++d->uhex < 4)
                break;
            unsigned u = d->uacc;
            uint64_t o = off_of(d, p);
            if (d->hi_sur) {
                if (u < 0xDC00 || u > 0xDFFF) {
                    fail_at(d, EDB_ERR_DATA, o - 12, o,
                            "invalid \\u escape in a string: \\u%04X is not a low surrogate "
                            "after the high surrogate \\u%04X",
                            u, d->hi_sur);
                    return NULL;
                }
                unsigned cp = 0x10000 + ((d->hi_sur - 0xD800) << 10) + (u - 0xDC00);
                d->hi_sur = 0;
                d->esc = E_NONE;
                if (put_code(d, cp, p - 1) != EDB_OK)
                    return NULL;
            } else if (u >= 0xD800 && u <= 0xDBFF) {
                d->hi_sur = u;
                d->esc = E_LOW1;
            } else if (u >= 0xDC00 && u <= 0xDFFF) {
                fail_at(d, EDB_ERR_DATA, o - 6, o,
                        "invalid \\u escape in a string: lone low surrogate \\u%04X", u);
                return NULL;
            } else {
                d->esc = E_NONE;
                if (put_code(d, u, p - 1) != EDB_OK)
                    return NULL;
            }
            break;
        }
        case E_LOW1:
        case E_LOW2:
            if (c != (d->esc == E_LOW1 ? '\\' : 'u')) {
                uint64_t o = off_of(d, p);
                fail_at(d, EDB_ERR_DATA, o - (d->esc == E_LOW1 ? 6 : 7), o + 1,
                        "invalid \\u escape in a string: high surrogate \\u%04X without a "
                        "\\u low surrogate after it",
                        d->hi_sur);
                return NULL;
            }
            d->esc = d->esc == E_LOW1 ? E_LOW2 : E_U;
            d->uacc = 0;
            d->uhex = 0;
            p++;
            break;
        default: break;
        }
    }
    return p;
}

/* Does the string about to start need its bytes kept? */
static int wants_bytes(const edb_jsondec *d)
{
    if (d->str_key)
        return d->stack[d->depth - 1] != F_SKIP_OBJ;
    return d->role == R_TLM || d->role == R_REQS || d->role == R_REQE || d->role == R_OBSTIME ||
           d->role == R_EUVALUE;
}

/* The usual sample, {"ObsTime":"...","EUValue":...} (either order, any white space, both
 * keys once and nothing else, strings without escapes or UTF-8), when it lies whole in
 * the chunk at p: its shape is recognised first, then its values go through the same
 * functions, with the same offsets, as on the general path, so every result and message
 * is the same.  Returns the byte after its '}', p itself when the sample is not of that
 * shape (the general path reads it), or NULL after an error. */
static const char *sample_fast(edb_jsondec *d, const char *p, const char *end)
{
    const char *q = p + 1, *val[2];
    size_t vlen[2];
    int role[2];
    for (int k = 0; k < 2; k++) {
        q = skip_ws(q, end);
        if (end - q < 9 || q[0] != '"' || q[8] != '"')
            return p;
        if (memcmp(q + 1, "ObsTime", 7) == 0)
            role[k] = R_OBSTIME;
        else if (memcmp(q + 1, "EUValue", 7) == 0)
            role[k] = R_EUVALUE;
        else
            return p;
        if (k == 1 && role[1] == role[0])
            return p;
        q = skip_ws(q + 9, end);
        if (q == end || *q != ':')
            return p;
        q = skip_ws(q + 1, end);
        if (q == end)
            return p;
        val[k] = q;
        if (*q == '"') {
            size_t room = (size_t)(end - q - 1);
            size_t m = plain_run(q + 1, room > MAX_STRING ? MAX_STRING : room);
            if (m == room || q[1 + m] != '"')
                return p;
            q += m + 2;
        } else if (role[k] == R_EUVALUE && (*q == '-' || is_digit(*q))) {
            const char *lim = end - q > MAX_NUMBER ? q + MAX_NUMBER : end;
            while (q < lim && numchar[(unsigned char)*q])
                q++;
            if (q == end || numchar[(unsigned char)*q])
                return p;
        } else {
            return p;
        }
        vlen[k] = (size_t)(q - val[k]);
        q = skip_ws(q, end);
        if (q == end || *q != (k == 0 ? ',' : '}'))
            return p;
        q++;
    }
    d->cur_s.have_t = d->cur_s.have_v = 0;
    for (int k = 0; k < 2; k++) {
        d->role = role[k];
        d->tok_off = off_of(d, val[k]);
        uint64_t upto = d->tok_off + vlen[k];
        edb_status st = val[k][0] == '"' ? string_value(d, val[k] + 1, vlen[k] - 2, upto)
                                         : number_value(d, val[k], vlen[k], upto);
        if (st != EDB_OK)
            return NULL;
    }
    if (sample_done(d, q - 1) != EDB_OK)
        return NULL;
    d->state = S_AFTER;
    return q;
}

/* A value starting at p (not white space), in d->role. */
static const char *value_begin(edb_jsondec *d, const char *p, const char *end)
{
    unsigned char c = (unsigned char)*p;
    d->tok_off = off_of(d, p);
    if (d->role == R_SAMPLE)
        d->idx = d->elems++;
    switch (c) {
    case '"':
        d->str_key = 0;
        d->want = wants_bytes(d);
        return string_begin(d, p, end);
    case '{':
        if (d->role == R_SAMPLE) {
            /* samples one after the other on the fast path while they have its shape */
            for (;;) {
                const char *r = sample_fast(d, p, end);
                if (!r)
                    return NULL;
                if (r == p)
                    break;
                const char *q = skip_ws(r, end);
                if (q == end || *q != ',')
                    return r;
                q = skip_ws(q + 1, end);
                if (q == end || *q != '{')
                    return r;
                d->idx = d->elems++;
                d->tok_off = off_of(d, q);
                p = q;
            }
            if (push_frame(d, F_SAMPLE, p) != EDB_OK)
                return NULL;
            d->cur_s.have_t = d->cur_s.have_v = 0;
            keyset_clear(&d->skeys);
        } else if (d->role == R_OTHER) {
            if (push_frame(d, F_SKIP_OBJ, p) != EDB_OK)
                return NULL;
        } else {
            wrong_kind(d, "an object", d->tok_off + 1);
            return NULL;
        }
        d->state = S_OBJ_FIRST;
        return p + 1;
    case '[':
        if (d->role == R_DATA || d->role == R_OTHER) {
            if (push_frame(d, d->role == R_DATA ? F_DATA : F_SKIP_ARR, p) != EDB_OK)
                return NULL;
        } else {
            wrong_kind(d, "an array", d->tok_off + 1);
            return NULL;
        }
        d->role = element_role(d);
        d->state = S_ARR_FIRST;
        return p + 1;
    case 't':
    case 'f':
    case 'n': {
        d->lit = c == 't' ? "true" : c == 'f' ? "false" : "null";
        size_t ln = strlen(d->lit);
        if ((size_t)(end - p) >= ln && memcmp(p, d->lit, ln) == 0)
            return literal_done(d, d->tok_off + ln) == EDB_OK ? p + ln : NULL;
        d->lit_pos = 1;
        d->state = S_LITERAL;
        return p + 1;
    }
    default: break;
    }
    if (c == '-' || is_digit((char)c)) {
        const char *q = p + 1;
        const char *lim = (size_t)(end - p) > MAX_NUMBER ? p + MAX_NUMBER + 1 : end;
        while (q < lim && numchar[(unsigned char)*q])
            q++;
        if ((size_t)(q - p) > MAX_NUMBER) {
            char shown[32];
            fail_at(d, EDB_ERR_DATA, d->tok_off, d->tok_off + MAX_NUMBER + 1,
                    "huge number '%s' (longer than %d characters)",
                    show(p, (size_t)(q - p), 20, shown, sizeof shown), MAX_NUMBER);
            return NULL;
        }
        if (q < end)
            return number_done(d, p, (size_t)(q - p), off_of(d, q)) == EDB_OK ? q : NULL;
        memcpy(d->num, p, (size_t)(q - p));
        d->num_len = (size_t)(q - p);
        d->state = S_NUMBER;
        return q;
    }
    fail_got(d, p, "expected a value (an object, array, string, number, true, false or null)");
    return NULL;
}

/* Decode the bytes [p, end) of the current chunk. */
static edb_status run(edb_jsondec *d, const char *p, const char *end)
{
    while (p < end) {
        switch (d->state) {
        case S_TOP:
            p = skip_ws(p, end);
            if (p == end)
                break;
            if ((unsigned char)*p == 0xEF && off_of(d, p) == 0) {
                d->state = S_BOM;
                d->lit_pos = 1;
                p++;
                break;
            }
            if (*p != '{')
                return fail_got(d, p,
                                "expected '{' at the start of the reply (a JSON object)");
            d->tok_off = off_of(d, p);
            d->stack[d->depth++] = F_REPLY;
            d->state = S_OBJ_FIRST;
            p++;
            break;
        case S_BOM:
            if (*p != "\xEF\xBB\xBF"[d->lit_pos])
                return fail_got(d, p,
                                "expected a UTF-8 byte order mark (EF BB BF) or '{' at the start "
                                "of the reply");
            if (++d->lit_pos == 3)
                d->state = S_TOP;
            p++;
            break;
        case S_OBJ_FIRST:
        case S_KEY:
            p = skip_ws(p, end);
            if (p == end)
                break;
            if (*p == '"') {
                d->str_key = 1;
                d->want = wants_bytes(d);
                p = string_begin(d, p, end);
            } else if (*p == '}' && d->state == S_OBJ_FIRST) {
                if (close_frame(d, p) != EDB_OK)
                    return d->err.status;
                p++;
            } else {
                return fail_got(d, p,
                                d->state == S_OBJ_FIRST ? "expected a key (a string) or '}'"
                                                        : "expected a key (a string) after ','");
            }
            break;
        case S_COLON:
            p = skip_ws(p, end);
            if (p == end)
                break;
            if (*p != ':')
                return fail_got(d, p, "expected ':' after a key");
            d->state = S_VALUE;
            p++;
            break;
        case S_ARR_FIRST:
            p = skip_ws(p, end);
            if (p == end)
                break;
            if (*p == ']') {
                if (close_frame(d, p) != EDB_OK)
                    return d->err.status;
                p++;
                break;
            }
            p = value_begin(d, p, end);
            break;
        case S_VALUE:
            p = skip_ws(p, end);
            if (p == end)
                break;
            p = value_begin(d, p, end);
            break;
        case S_AFTER: {
            p = skip_ws(p, end);
            if (p == end)
                break;
            int f = d->stack[d->depth - 1];
            if (*p == ',') {
                if (is_object(f)) {
                    d->state = S_KEY;
                } else {
                    d->state = S_VALUE;
                    d->role = element_role(d);
                }
                p++;
            } else if (*p == (is_object(f) ? '}' : ']')) {
                if (close_frame(d, p) != EDB_OK)
                    return d->err.status;
                p++;
            } else {
                return fail_got(d, p,
                                is_object(f) ? "expected ',' or '}' after a value"
                                             : "expected ',' or ']' after a value");
            }
            break;
        }
        case S_END:
            p = skip_ws(p, end);
            if (p == end)
                break;
            return fail_got(d, p, "expected nothing after the end of the reply object");
        case S_STRING:
            p = string_slow(d, p, end);
            break;
        case S_NUMBER:
            while (p < end && numchar[(unsigned char)*p]) {
                if (d->num_len == MAX_NUMBER) {
                    char shown[32];
                    d->num[MAX_NUMBER] = *p; /* the character that makes it too long */
                    return fail_at(d, EDB_ERR_DATA, d->tok_off, off_of(d, p) + 1,
                                   "huge number '%s' (longer than %d characters)",
                                   show(d->num, d->num_len + 1, 20, shown, sizeof shown),
                                   MAX_NUMBER);
                }
                d->num[d->num_len++] = *p++;
            }
            if (p < end && number_done(d, d->num, d->num_len, off_of(d, p)) !=
                               EDB_OK)
                return d->err.status;
            break;
        case S_LITERAL:
            if (*p != d->lit[d->lit_pos]) {
                char got[8];
                uint64_t o = off_of(d, p);
                return fail_at(d, EDB_ERR_DATA, d->tok_off, o + 1,
                               "invalid literal '%.*s%s' (expected true, false or null)",
                               (int)d->lit_pos, d->lit, show(p, 1, 1, got, sizeof got));
            }
            p++;
            if (d->lit[++d->lit_pos] == '\0' &&
                literal_done(d, off_of(d, p)) != EDB_OK)
                return d->err.status;
            break;
        }
        if (!p)
            return d->err.status != EDB_OK ? d->err.status : EDB_ERR_INTERNAL;
    }
    return EDB_OK;
}

/* ---- the public face ----------------------------------------------------------------- */

/* Type the series now when the type is known in advance. */
static edb_status prepare(edb_jsondec *d)
{
    d->n0 = d->dst->n;
    d->have_last = d->n0 > 0;
    d->last_t = d->n0 > 0 ? d->dst->t[d->n0 - 1] : 0;
    if (d->given != EDB_VT_NONE && d->dst->vtype != d->given)
        return edb_series_set_type(d->dst, d->given);
    return EDB_OK;
}

edb_status edb_jsondec_new(edb_jsondec **out, edb_series *dst, const edb_decode_options *o)
{
    if (!out)
        return EDB_ERR_USAGE;
    *out = NULL;
    edb_decode_options def = EDB_DECODE_OPTIONS_INIT;
    if (!o)
        o = &def;
    if (!dst || o->vtype < EDB_VT_NONE || o->vtype > EDB_VT_STRING)
        return EDB_ERR_USAGE;
    edb_jsondec *d = calloc(1, sizeof *d);
    if (!d)
        return EDB_ERR_NOMEM;
    d->dst = dst;
    d->o = *o;
    if (o->sqltype) {
        size_t k = 0;
        for (; o->sqltype[k] && k + 1 < sizeof d->sqltype; k++) {
            char c = o->sqltype[k];
            d->sqltype[k] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
        }
        d->sqltype[k] = '\0';
    }
    d->o.sqltype = NULL; /* not kept: the caller's string may go */
    d->given = o->vtype != EDB_VT_NONE ? o->vtype : dst->vtype;
    d->all_points0 = dst->all_points;
    edb_status st = prepare(d);
    if (st != EDB_OK) {
        free(d);
        return st == EDB_ERR_NOMEM ? st : EDB_ERR_USAGE;
    }
    *out = d;
    return EDB_OK;
}

static void forget(edb_jsondec *d)
{
    edb_err_clear(&d->err);
    d->finished = 0;
    d->pos = 0;
    d->cur = NULL;
    d->ctx_len = 0;
    d->state = S_TOP;
    d->depth = 0;
    d->role = R_TOP;
    d->tok.len = 0;
    keyset_clear(&d->rkeys);
    keyset_clear(&d->skeys);
    d->elems = d->idx = d->rows = 0;
    d->hint = 0;
    d->cur_s.have_t = d->cur_s.have_v = 0;
    d->seen = 0;
    d->unsorted = 0;
    d->before.have_t = d->after.have_t = 0;
    d->bn = 0;
    if (d->btag)
        memset(d->btag, 0, (d->bcap + 31) / 32 * sizeof *d->btag);
    d->arena.len = 0;
}

void edb_jsondec_reset(edb_jsondec *d)
{
    if (!d)
        return;
    forget(d);
    edb_series_clear(d->dst);
    d->dst->all_points = d->all_points0;
    edb_status st = prepare(d);
    if (st != EDB_OK)
        edb__fail(&d->err, st, "cannot type the series for a retry: %s", edb_strerror(st));
}

/* Keep the last CTX bytes of the body seen so far, for the next chunk's messages. */
static void keep_context(edb_jsondec *d, const char *buf, size_t len)
{
    if (len >= CTX) {
        memcpy(d->ctx, buf + len - CTX, CTX);
        d->ctx_len = CTX;
        return;
    }
    size_t keep = d->ctx_len + len > CTX ? CTX - len : d->ctx_len;
    memmove(d->ctx, d->ctx + d->ctx_len - keep, keep);
    memcpy(d->ctx + keep, buf, len);
    d->ctx_len = keep + len;
}

edb_status edb_jsondec_feed(edb_jsondec *d, const char *buf, size_t len)
{
    if (!d)
        return EDB_ERR_USAGE;
    if (d->err.status != EDB_OK)
        return d->err.status;
    if (d->finished)
        return edb__fail(&d->err, EDB_ERR_USAGE, "data fed after edb_jsondec_finish");
    if (len == 0)
        return EDB_OK;
    if (!buf)
        return edb__fail(&d->err, EDB_ERR_USAGE, "edb_jsondec_feed: NULL buffer");
    d->cur = buf;
    d->cur_len = len;
    edb_status st = run(d, buf, buf + len);
    keep_context(d, buf, len);
    d->pos += len;
    d->cur = NULL;
    d->cur_len = 0;
    return st;
}

/* Where the body stopped, for the message of a cut reply. */
static void where_cut(const edb_jsondec *d, char *buf, size_t len)
{
    const char *what = d->state == S_STRING    ? "inside a string "
                       : d->state == S_NUMBER  ? "inside a number "
                       : d->state == S_LITERAL ? "inside a literal "
                                               : "";
    if (d->state == S_TOP || d->state == S_BOM) {
        snprintf(buf, len, "before its JSON object");
        return;
    }
    int in_sample = 0, in_data = 0;
    for (int k = 0; k < d->depth; k++) {
        in_sample |= d->stack[k] == F_SAMPLE;
        in_data |= d->stack[k] == F_DATA;
    }
    if (in_sample)
        snprintf(buf, len, "%sin Data[%zu]", what, d->idx);
    else if (in_data)
        snprintf(buf, len, "%sin the Data array after %zu sample%s", what, d->rows,
                 d->rows == 1 ? "" : "s");
    else
        snprintf(buf, len, "%sin the reply object", what);
}

/* The type the values add up to when none was given, and the name the local store gives
 * it (store.c's load_series types a jwst-layout file the same way). */
static edb_vtype inferred(const edb_jsondec *d, const char **name)
{
    unsigned s = d->seen;
    if (s & (SEEN_NUM_INT | SEEN_NUM_REAL)) {
        if (s & (SEEN_NUM_REAL | SEEN_STR_REAL)) {
            *name = "float";
            return EDB_VT_REAL;
        }
        *name = (s & SEEN_BIGINT) ? "bigint" : "int";
        return EDB_VT_INT;
    }
    if (s & SEEN_STR) {
        *name = "varchar";
        return EDB_VT_STRING;
    }
    *name = "";
    return EDB_VT_NONE;
}

/* A waiting value (tag, bits) as a sample of type vt, into v. */
static void settle(const edb_jsondec *d, int tag, uint64_t bits, edb_vtype vt, slot *v)
{
    if (tag == V_STR) {
        uint32_t n;
        memcpy(&n, d->arena.p + bits, sizeof n);
        const char *s = d->arena.p + bits + sizeof n;
        if (vt == EDB_VT_STRING) {
            v->tag = V_STR;
            v->s.p = (char *)s; /* borrowed for the push only */
            v->s.len = n;
            return;
        }
        /* checked when it arrived: every string reads as a number here */
        int64_t iv;
        double dv = 0;
        if (edb_parse_int64(s, n, &iv) == 0) {
            tag = V_INT;
            bits = (uint64_t)iv;
        } else {
            edb_parse_double(s, n, &dv);
            tag = V_REAL;
            bits = dbits(dv);
        }
    }
    if (vt == EDB_VT_REAL && tag == V_INT) {
        v->tag = V_REAL;
        v->bits = dbits((double)(int64_t)bits);
    } else {
        v->tag = tag;
        v->bits = bits;
    }
}

/* A kept bracket, once the type is known. */
static void settle_slot(slot *sl, edb_vtype vt)
{
    if (sl->tag == V_STR && vt != EDB_VT_STRING) {
        int64_t iv;
        double dv = 0;
        if (edb_parse_int64(sl->s.p, sl->s.len, &iv) == 0) {
            sl->tag = V_INT;
            sl->bits = (uint64_t)iv;
        } else {
            edb_parse_double(sl->s.p, sl->s.len, &dv);
            sl->tag = V_REAL;
            sl->bits = dbits(dv);
        }
    }
    if (vt == EDB_VT_REAL && sl->tag == V_INT) {
        sl->tag = V_REAL;
        sl->bits = dbits((double)(int64_t)sl->bits);
    }
}

/* The bracket before start, in front of the samples (or, behind samples the series held
 * before this reply that are earlier still, at the end and sorted later). */
static edb_status place_before(edb_jsondec *d)
{
    edb_series *s = d->dst, *tmp = NULL;
    edb_status st = edb_series_new(&tmp, "");
    if (st == EDB_OK)
        st = edb_series_set_type(tmp, s->vtype);
    if (st == EDB_OK) {
        slot *b = &d->before;
        switch (s->vtype) {
        case EDB_VT_REAL: st = edb_series_push_real(tmp, b->t, bitsd(b->bits)); break;
        case EDB_VT_INT: st = edb_series_push_int(tmp, b->t, (int64_t)b->bits); break;
        default: st = edb_series_push_str(tmp, b->t, b->s.p ? b->s.p : "", b->s.len); break;
        }
    }
    if (st == EDB_OK) {
        if (s->n == 0 || d->before.t <= s->t[0]) {
            st = edb_series_prepend_from(s, tmp, 0);
        } else {
            st = edb_series_push_from(s, tmp, 0);
            d->unsorted = 1;
        }
    }
    edb_series_free(tmp);
    return st;
}

static edb_status place_after(edb_jsondec *d)
{
    edb_series *s = d->dst;
    if (s->n > 0 && d->after.t < s->t[s->n - 1])
        d->unsorted = 1;
    return push_typed(d, &d->after);
}

static void drop_waiting(edb_jsondec *d)
{
    free(d->bt);
    free(d->bv);
    free(d->btag);
    d->bt = NULL;
    d->bv = NULL;
    d->btag = NULL;
    d->bn = d->bcap = 0;
    edb__buf_free(&d->arena);
}

edb_status edb_jsondec_finish(edb_jsondec *d)
{
    if (!d)
        return EDB_ERR_USAGE;
    if (d->err.status != EDB_OK)
        return d->err.status;
    if (d->finished)
        return EDB_OK;
    if (d->state != S_END) {
        if (d->pos == 0)
            return edb__fail(&d->err, EDB_ERR_TRUNCATED,
                             "byte 0: empty reply (expected a JSON object): cut short?");
        char where[96];
        where_cut(d, where, sizeof where);
        return fail_at(d, EDB_ERR_TRUNCATED, d->pos, d->pos,
                       "the reply stops %s: cut short?", where);
    }
    edb_series *s = d->dst;
    const char *name = "";
    edb_vtype vt = d->given;
    if (vt == EDB_VT_NONE) {
        vt = inferred(d, &name);
    } else {
        name = vt == EDB_VT_REAL ? "float"
               : vt == EDB_VT_INT ? ((d->seen & SEEN_BIGINT) ? "bigint" : "int")
                                  : "varchar";
    }
    if (d->sqltype[0])
        memcpy(s->sqltype, d->sqltype, sizeof s->sqltype);
    else if (s->sqltype[0] == '\0')
        snprintf(s->sqltype, sizeof s->sqltype, "%s", name);

    edb_status st = EDB_OK;
    if (d->given == EDB_VT_NONE && vt != EDB_VT_NONE) {
        /* the series came untyped, hence empty: only memory can fail here */
        st = edb_series_set_type(s, vt);
        if (d->before.have_t)
            settle_slot(&d->before, vt);
        if (d->after.have_t)
            settle_slot(&d->after, vt);
        size_t total = s->n + d->bn + (d->before.have_t != 0) + (d->after.have_t != 0);
        st = edb_series_reserve(s, total);
        /* in front when nothing can be earlier: no moving of the samples after it */
        int front = d->before.have_t && s->n == 0;
        if (st == EDB_OK && front) {
            st = push_typed(d, &d->before);
            d->before.have_t = 0;
        }
        slot v = {0};
        for (size_t k = 0; st == EDB_OK && k < d->bn; k++) {
            int tag = (int)((d->btag[k / 32] >> (2 * (k % 32))) & 3);
            settle(d, tag, d->bv[k], vt, &v);
            v.t = d->bt[k];
            st = push_typed(d, &v);
        }
        drop_waiting(d);
    }
    if (st == EDB_OK && d->before.have_t)
        st = place_before(d);
    if (st == EDB_OK && d->after.have_t)
        st = place_after(d);
    if (st != EDB_OK)
        return edb__fail(&d->err, st, "cannot store the samples: %s", edb_strerror(st));
    if (d->unsorted)
        edb_series_sort(s);
    d->finished = 1;
    return EDB_OK;
}

size_t edb_jsondec_rows(const edb_jsondec *d)
{
    return d ? d->rows : 0;
}

size_t edb_jsondec_memory(const edb_jsondec *d)
{
    if (!d)
        return 0;
    return sizeof *d + d->tok.cap + d->rkeys.names.cap + d->skeys.names.cap + d->cur_s.s.cap +
           d->before.s.cap + d->after.s.cap + d->bcap * (sizeof *d->bt + sizeof *d->bv) +
           (d->bcap + 31) / 32 * sizeof *d->btag + d->arena.cap;
}

const char *edb_jsondec_errmsg(const edb_jsondec *d)
{
    return d ? d->err.msg : "";
}

void edb_jsondec_free(edb_jsondec *d)
{
    if (!d)
        return;
    drop_waiting(d);
    edb__buf_free(&d->tok);
    edb__buf_free(&d->rkeys.names);
    edb__buf_free(&d->skeys.names);
    edb__buf_free(&d->cur_s.s);
    edb__buf_free(&d->before.s);
    edb__buf_free(&d->after.s);
    free(d);
}
