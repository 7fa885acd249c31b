/* numparse.c: exact, locale-independent number parsing and shortest round-trip
 * formatting for the decoders and writers (declared in edb/number.h).
 *
 * Why not plain strtod/snprintf: both follow LC_NUMERIC, and a program embedding libedb
 * may well call setlocale(LC_ALL, "") in a locale whose decimal point is ','.  The EDB's
 * telemetry has 10-decimal values; a 15-digit decimal converts exactly with one IEEE
 * multiplication or division (Clinger's fast path), which is also several times faster
 * than strtod.  Everything else goes to strtod_l with a private "C" locale, which glibc
 * rounds correctly.  Formatting once took three snprintf and strtod calls per number,
 * most of a CSV writer's time; its text is unchanged but now computed directly (see
 * edb_format_double). */
#define _GNU_SOURCE /* strtod_l lives behind it in glibc and musl */
#include <float.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <edb/number.h>

#include "dtoa.h"

static locale_t c_locale = (locale_t)0;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;

static void c_locale_init(void)
{
    c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
}

static locale_t get_c_locale(void)
{
    pthread_once(&c_locale_once, c_locale_init);
    return c_locale;
}

/* Exactly representable powers of ten: 10^22 < 2^53 * 2^22, so each is a double
 * without rounding, which is what makes the fast path exact. */
static const double pow10_exact[23] = {
    1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

static const uint64_t pow10_u64[16] = {
    UINT64_C(1),
    UINT64_C(10),
    UINT64_C(100),
    UINT64_C(1000),
    UINT64_C(10000),
    UINT64_C(100000),
    UINT64_C(1000000),
    UINT64_C(10000000),
    UINT64_C(100000000),
    UINT64_C(1000000000),
    UINT64_C(10000000000),
    UINT64_C(100000000000),
    UINT64_C(1000000000000),
    UINT64_C(10000000000000),
    UINT64_C(100000000000000),
    UINT64_C(1000000000000000)};

#define TWO_POW_53 (UINT64_C(1) << 53)

static int lower_eq(const char *s, size_t n, const char *lit)
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

/* The EDB is a SQL Server database fronted by .NET and Python code; any of them may spell
 * a missing or overflowed float as NaN, Infinity or inf. */
static int parse_special(const char *p, size_t n, int neg, double *out)
{
    if (lower_eq(p, n, "nan")) {
        *out = neg ? -NAN : NAN;
        return 0;
    }
    if (lower_eq(p, n, "inf") || lower_eq(p, n, "infinity")) {
        *out = neg ? -INFINITY : INFINITY;
        return 0;
    }
    return -1;
}

static int slow_parse(const char *s, size_t len, double *out)
{
    locale_t loc = get_c_locale();
    if (loc == (locale_t)0)
        return -1; /* newlocale("C") failing means no memory: nothing correct to fall back on */
    char stackbuf[128];
    char *buf = stackbuf;
    if (len >= sizeof stackbuf) {
        buf = malloc(len + 1);
        if (!buf)
            return -1;
    }
    memcpy(buf, s, len);
    buf[len] = '\0';
    char *end = NULL;
    double v = strtod_l(buf, &end, loc);
    int ok = end == buf + len;
    if (buf != stackbuf)
        free(buf);
    if (!ok)
        return -1;
    *out = v;
    return 0;
}

int edb_parse_double(const char *s, size_t len, double *out)
{
    if (!s || !out || len == 0)
        return -1;
    const char *p = s, *e = s + len;
    int neg = 0;
    if (*p == '+' || *p == '-') {
        neg = *p == '-';
        if (++p == e)
            return -1;
    }
    if (!(*p >= '0' && *p <= '9') && *p != '.')
        return parse_special(p, (size_t)(e - p), neg, out);

    /* Validate the whole grammar here, so that the fallback never sees what strtod would
     * accept but we must not (hex, leading blanks) and never stops early. */
    uint64_t w = 0;  /* the first 19 significant digits */
    int sig = 0;     /* digits in w */
    int more = 0;    /* nonzero digits were dropped: w is not exact */
    int scale = 0;   /* decimal exponent of w's last digit, before the e part */
    int ndigits = 0; /* mantissa digits, to reject "." and "e5" */
    for (; p < e && *p >= '0' && *p <= '9'; p++) {
        unsigned c = (unsigned)(*p - '0');
        ndigits++;
        if (w == 0 && c == 0)
            continue;
        if (sig < 19) {
            w = w * 10 + c;
            sig++;
        } else {
            scale++;
            more |= c != 0;
        }
    }
    if (p < e && *p == '.') {
        for (p++; p < e && *p >= '0' && *p <= '9'; p++) {
            unsigned c = (unsigned)(*p - '0');
            ndigits++;
            if (w == 0 && c == 0) {
                scale--;
            } else if (sig < 19) {
                w = w * 10 + c;
                sig++;
                scale--;
            } else {
                more |= c != 0;
            }
        }
    }
    if (ndigits == 0)
        return -1;
    long ex = 0;
    if (p < e && (*p == 'e' || *p == 'E')) {
        int eneg = 0;
        p++;
        if (p < e && (*p == '+' || *p == '-')) {
            eneg = *p == '-';
            p++;
        }
        if (p == e || !(*p >= '0' && *p <= '9'))
            return -1;
        for (; p < e && *p >= '0' && *p <= '9'; p++) {
            if (ex < 100000) /* far beyond any finite double: saturate, do not overflow */
                ex = ex * 10 + (*p - '0');
        }
        if (eneg)
            ex = -ex;
    }
    if (p != e)
        return -1;

    if (w == 0) {
        *out = neg ? -0.0 : 0.0;
        return 0;
    }
#if defined(FLT_EVAL_METHOD) && FLT_EVAL_METHOD == 0
    /* Clinger: w and 10^k are both exact doubles, so one correctly rounded IEEE operation
     * gives the correctly rounded result.  Needs double arithmetic without excess
     * precision, hence the FLT_EVAL_METHOD guard (x87 falls back). */
    long k = ex + scale;
    if (!more && w <= TWO_POW_53 && k >= -22 && k <= 22 + 15) {
        double v;
        int done = 1;
        if (k < 0) {
            v = (double)w / pow10_exact[-k];
        } else if (k <= 22) {
            v = (double)w * pow10_exact[k];
        } else if (w <= TWO_POW_53 / pow10_u64[k - 22]) {
            /* 12e30: fold the extra zeros into the integer while it stays exact */
            v = (double)(w * pow10_u64[k - 22]) * 1e22;
        } else {
            v = 0;
            done = 0;
        }
        if (done) {
            *out = neg ? -v : v;
            return 0;
        }
    }
#endif
    return slow_parse(s, len, out);
}

int edb_parse_int64(const char *s, size_t len, int64_t *out)
{
    if (!s || !out || len == 0)
        return -1;
    const char *p = s, *e = s + len;
    int neg = 0;
    if (*p == '+' || *p == '-') {
        neg = *p == '-';
        if (++p == e)
            return -1;
    }
    uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    uint64_t v = 0;
    for (; p < e; p++) {
        if (!(*p >= '0' && *p <= '9'))
            return -1;
        unsigned c = (unsigned)(*p - '0');
        if (v > (limit - c) / 10)
            return -1;
        v = v * 10 + c;
    }
    if (neg)
        *out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
    else
        *out = (int64_t)v;
    return 0;
}

/* %.*g in the C locale.  uselocale is per thread, so switching around the call cannot
 * disturb other threads; if no C locale could be made, the decimal point the current
 * locale printed is rewritten to '.' instead. */
static int format_c(char *buf, size_t n, int prec, double v)
{
    locale_t loc = get_c_locale();
    int len;
    if (loc != (locale_t)0) {
        locale_t old = uselocale(loc);
        len = snprintf(buf, n, "%.*g", prec, v);
        uselocale(old);
        return len;
    }
    char tmp[64];
    len = snprintf(tmp, sizeof tmp, "%.*g", prec, v);
    if (len < 0 || (size_t)len >= sizeof tmp)
        return -1;
    size_t o = 0;
    for (int k = 0; k < len;) {
        char c = tmp[k];
        if ((c >= '0' && c <= '9') || c == '-' || c == '+' || c == 'e' || c == 'E') {
            if (o + 1 < n)
                buf[o] = c;
            o++;
            k++;
        } else {
            while (k < len && !((tmp[k] >= '0' && tmp[k] <= '9') || tmp[k] == 'e'))
                k++;
            if (o + 1 < n)
                buf[o] = '.';
            o++;
        }
    }
    if (n)
        buf[o < n ? o : n - 1] = '\0';
    return (int)o;
}

static int put_text(char *buf, size_t n, const char *text, size_t len)
{
    if (n) {
        size_t c = len < n ? len : n - 1;
        memcpy(buf, text, c);
        buf[c] = '\0';
    }
    return (int)len;
}

/* The definition of what edb_format_double writes: the first of %.15g, %.16g, %.17g that
 * reads back as v, bit for bit.  Kept as the path for the doubles the fast one does not
 * cover (zero aside: see there). */
static int format_double_checked(double v, char *buf, size_t n)
{
    char tmp[40];
    int len = -1;
    for (int prec = 15; prec <= 17; prec++) {
        len = format_c(tmp, sizeof tmp, prec, v);
        if (len < 0 || (size_t)len >= sizeof tmp)
            return put_text(buf, n, "nan", 3); /* cannot happen: %.17g fits in 40 */
        double back;
        /* Compare bits, not values: -0.0 must not come back as "0". */
        if (prec == 17 ||
            (edb_parse_double(tmp, (size_t)len, &back) == 0 && memcmp(&back, &v, sizeof v) == 0))
            break;
    }
    return put_text(buf, n, tmp, (size_t)len);
}

/* Lays out n significant digits dig[0..len) (no trailing zeros), of decimal exponent x,
 * the way %.{prec}g does: exponent form when x < -4 or x >= prec.  Returns the length. */
static size_t layout_g(char *tmp, int neg, const char *dig, int len, int x, int prec)
{
    size_t o = 0;
    if (neg)
        tmp[o++] = '-';
    if (x < -4 || x >= prec) {
        tmp[o++] = dig[0];
        if (len > 1) {
            tmp[o++] = '.';
            memcpy(tmp + o, dig + 1, (size_t)len - 1);
            o += (size_t)len - 1;
        }
        tmp[o++] = 'e';
        tmp[o++] = x < 0 ? '-' : '+';
        unsigned ax = (unsigned)(x < 0 ? -x : x);
        if (ax >= 100) {
            tmp[o++] = (char)('0' + ax / 100);
            ax %= 100;
        }
        tmp[o++] = (char)('0' + ax / 10);
        tmp[o++] = (char)('0' + ax % 10);
    } else if (x >= 0) {
        size_t ip = (size_t)x + 1; /* digits before the point */
        if ((size_t)len <= ip) {
            memcpy(tmp + o, dig, (size_t)len);
            memset(tmp + o + len, '0', ip - (size_t)len);
            o += ip;
        } else {
            memcpy(tmp + o, dig, ip);
            o += ip;
            tmp[o++] = '.';
            memcpy(tmp + o, dig + ip, (size_t)len - ip);
            o += (size_t)len - ip;
        }
    } else {
        tmp[o++] = '0';
        tmp[o++] = '.';
        memset(tmp + o, '0', (size_t)(-x - 1));
        o += (size_t)(-x - 1);
        memcpy(tmp + o, dig, (size_t)len);
        o += (size_t)len;
    }
    return o;
}

__extension__ typedef unsigned __int128 u128;

static const uint64_t pow5_128[32][2] = {
    {UINT64_C(0x0), UINT64_C(0x1)},
    {UINT64_C(0x0), UINT64_C(0x5)},
    {UINT64_C(0x0), UINT64_C(0x19)},
    {UINT64_C(0x0), UINT64_C(0x7d)},
    {UINT64_C(0x0), UINT64_C(0x271)},
    {UINT64_C(0x0), UINT64_C(0xc35)},
    {UINT64_C(0x0), UINT64_C(0x3d09)},
    {UINT64_C(0x0), UINT64_C(0x1312d)},
    {UINT64_C(0x0), UINT64_C(0x5f5e1)},
    {UINT64_C(0x0), UINT64_C(0x1dcd65)},
    {UINT64_C(0x0), UINT64_C(0x9502f9)},
    {UINT64_C(0x0), UINT64_C(0x2e90edd)},
    {UINT64_C(0x0), UINT64_C(0xe8d4a51)},
    {UINT64_C(0x0), UINT64_C(0x48c27395)},
    {UINT64_C(0x0), UINT64_C(0x16bcc41e9)},
    {UINT64_C(0x0), UINT64_C(0x71afd498d)},
    {UINT64_C(0x0), UINT64_C(0x2386f26fc1)},
    {UINT64_C(0x0), UINT64_C(0xb1a2bc2ec5)},
    {UINT64_C(0x0), UINT64_C(0x3782dace9d9)},
    {UINT64_C(0x0), UINT64_C(0x1158e460913d)},
    {UINT64_C(0x0), UINT64_C(0x56bc75e2d631)},
    {UINT64_C(0x0), UINT64_C(0x1b1ae4d6e2ef5)},
    {UINT64_C(0x0), UINT64_C(0x878678326eac9)},
    {UINT64_C(0x0), UINT64_C(0x2a5a058fc295ed)},
    {UINT64_C(0x0), UINT64_C(0xd3c21bcecceda1)},
    {UINT64_C(0x0), UINT64_C(0x422ca8b0a00a425)},
    {UINT64_C(0x0), UINT64_C(0x14adf4b7320334b9)},
    {UINT64_C(0x0), UINT64_C(0x6765c793fa10079d)},
    {UINT64_C(0x2), UINT64_C(0x4fce5e3e2502611)},
    {UINT64_C(0xa), UINT64_C(0x18f07d736b90be55)},
    {UINT64_C(0x32), UINT64_C(0x7cb2734119d3b7a9)},
    {UINT64_C(0xfc), UINT64_C(0x6f7c40458122964d)},
};

static const uint64_t pow10_u64_18[19] = {
    UINT64_C(1), UINT64_C(10), UINT64_C(100), UINT64_C(1000), UINT64_C(10000),
    UINT64_C(100000), UINT64_C(1000000), UINT64_C(10000000), UINT64_C(100000000),
    UINT64_C(1000000000), UINT64_C(10000000000), UINT64_C(100000000000),
    UINT64_C(1000000000000), UINT64_C(10000000000000), UINT64_C(100000000000000),
    UINT64_C(1000000000000000), UINT64_C(10000000000000000),
    UINT64_C(100000000000000000), UINT64_C(1000000000000000000)};

static const char digit_pairs[201] = "00010203040506070809101112131415161718192021222324"
                                     "25262728293031323334353637383940414243444546474849"
                                     "50515253545556575859606162636465666768697071727374"
                                     "75767778798081828384858687888990919293949596979899";

/* Fixed-width digit writing, two at a time from a table, in independent pieces: a loop
 * of divisions by ten is one long dependency chain, and the formatting's largest cost. */
static void put4(char *p, uint32_t x)
{
    memcpy(p, digit_pairs + 2 * (x / 100), 2);
    memcpy(p + 2, digit_pairs + 2 * (x % 100), 2);
}

static void put9(char *p, uint32_t x)
{
    uint32_t y = x % 100000000;
    p[0] = (char)('0' + x / 100000000);
    put4(p + 1, y / 10000);
    put4(p + 5, y % 10000);
}

/* c (below 10^17) as exactly len digits, at p (room for 17). */
static void put_digits(char *p, uint64_t c, int len)
{
    char all[36]; /* 18 digits, then slack for the fixed-size copy */
    put9(all, (uint32_t)(c / 1000000000));
    put9(all + 9, (uint32_t)(c % 1000000000));
    memcpy(p, all + 18 - len, 17);
}

/* The old loop itself, in exact integer arithmetic, for 1e-15 <= |v| < 1e15 or so: all
 * telemetry values and MJDs.  v = m 2^e; with k = 16 - x (x the decimal exponent of v),
 * v 10^k = m 5^k 2^(k+e) = P / 2^s holds 17 digits before the point, and P (below 2^125)
 * and 2^s are exact, so W = floor(v 10^k) and the bits below it give every D_n (n = 15,
 * 16, 17) correctly rounded, ties to even as glibc's printf rounds them.  D_n reads back
 * as v when it lies within half an ulp of v (ties to v when m is even: strtod rounds to
 * even), and half an ulp is 5^k in units of 2^-(s+1) / 10^k.  Powers of two, whose gap
 * below is half the one above, are left to the other paths.  Returns the length written
 * to out, or 0 when v is out of this path's range. */
static size_t format_exact(uint64_t m, int e, int neg, char *out)
{
    int e2 = e + 52; /* 2^e2 <= v < 2^(e2+1) */
    /* floor(e2 log10 2), which is x or x - 1 (78913 / 2^18: exact for |e2| < 1100) */
    int xe = e2 >= 0 ? (e2 * 78913) >> 18 : -((-e2 * 78913 + (1 << 18) - 1) >> 18);
    int k = 16 - xe;
    if (k < 2 || k > 31)
        return 0;
    u128 p5 = (u128)pow5_128[k][0] << 64 | pow5_128[k][1];
    int s = -(k + e);
    if (s <= 0 || s > 120)
        return 0;
    u128 P = p5 * m;
    uint64_t W = (uint64_t)(P >> s);
    if (W >= pow10_u64_18[17]) { /* x was xe + 1: one digit fewer */
        k--;
        s++;
        p5 = (u128)pow5_128[k][0] << 64 | pow5_128[k][1];
        P = p5 * m;
        W = (uint64_t)(P >> s);
    }
    u128 below = P & (((u128)1 << s) - 1); /* v 10^k - W, in units of 2^-s */
    u128 half_unit = (u128)1 << (s - 1);
    int x = 16 - k;
    /* W's last two digits, by constants (a division by a variable power of ten cost
     * more than all the rest) */
    const uint64_t q1 = W / 10, q2 = W / 100;
    const uint64_t r1 = W - q1 * 10, r2 = W - q2 * 100;
    for (int n = 15; n <= 17; n++) {
        int d = 17 - n;
        uint64_t q = d == 2 ? q2 : d == 1 ? q1 : W, r = d == 2 ? r2 : r1;
        int up;
        if (d == 0) {
            up = below > half_unit || (below == half_unit && (q & 1));
        } else {
            uint64_t half = d == 2 ? 50 : 5;
            up = r > half || (r == half && (below != 0 || (q & 1)));
        }
        uint64_t c = q + (uint64_t)up;
        if (n < 17) {
            /* |D_n - v| in units of 2^-(s+1) / 10^k against half an ulp, 5^k */
            u128 dn = (u128)(c * pow10_u64_18[d]) << (s + 1);
            u128 v2 = P << 1;
            u128 dist = dn > v2 ? dn - v2 : v2 - dn;
            if (dist > p5 || (dist == p5 && (m & 1)))
                continue;
        }
        char dig[20];
        int len = n, xo = x;
        if (c == pow10_u64_18[n]) { /* rounded up to the next power of ten */
            c = 1;
            len = 1;
            xo = x + 1;
        }
        put_digits(dig, c, len);
        while (len > 1 && dig[len - 1] == '0')
            len--;
        return layout_g(out, neg, dig, len, xo, n);
    }
    return 0; /* not reached: n = 17 always returns */
}

/* Outside format_exact's range the digits come from std::to_chars (dtoa.cc), the shortest
 * that read back.  Why that still gives the old loop's text: let L be the length of the
 * shortest decimal that reads back as v, S that decimal (the one nearest v among them,
 * as std::to_chars promises: ties go to even), and D_n v correctly rounded to n
 * significant digits (what %.{n}g prints; glibc also rounds exact ties to even).  If D_n
 * reads back as v then L <= n, so the old loop never stops before n = max(L, 15), and:
 *   - L <= 15: S is within half an ulp of v, at most 2^-53 v for a normal double, which
 *     is less than half the step between 15-digit decimals near v (more than 10^-15 v),
 *     so S is the 15-digit decimal nearest v: D_15 = S, which reads back.
 *   - L >= 16: where a double's neighbours are the same distance away on both sides, the
 *     decimals that read back as v are those within that half gap (both ends in or both
 *     out), so D_L, at least as near to v as the L-digit S, reads back too; and being the
 *     nearest L-digit decimal with ties to even on both sides, D_L = S.
 * The neighbours are not equally far only when v is a power of two (the gap below is
 * half the gap above); there, and for subnormals (whose half ulp is no small fraction of
 * v, so S can be much shorter than D_15: 5e-324 against 4.94065645841247e-324), the old
 * loop runs, as it costs nothing at their frequency.  %g then drops trailing zeros and
 * picks the exponent form when the exponent is below -4 or at least the precision. */
int edb_format_double(double v, char *buf, size_t n)
{
    if (isnan(v))
        return put_text(buf, n, "nan", 3);
    if (isinf(v))
        return v < 0 ? put_text(buf, n, "-inf", 4) : put_text(buf, n, "inf", 3);
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    int neg = (int)(bits >> 63);
    uint64_t frac = bits & ((UINT64_C(1) << 52) - 1);
    unsigned bexp = (unsigned)(bits >> 52) & 0x7ff;
    if (bexp == 0 && frac == 0) /* zero keeps its sign: "-0" reads back as -0.0 */
        return neg ? put_text(buf, n, "-0", 2) : put_text(buf, n, "0", 1);
    if (bexp == 0 || frac == 0)
        return format_double_checked(v, buf, n);
    /* at most 24 characters ("-1.2345678901234567e-100"): straight into a buffer that
     * surely holds them, the writers' case */
    char tmp[32];
    char *out = n >= sizeof tmp ? buf : tmp;
    size_t o = format_exact(frac | (UINT64_C(1) << 52), (int)bexp - 1075, neg, out);
    if (!o) {
        char dig[17];
        int x;
        int len = edb__shortest_digits(neg ? -v : v, dig, &x);
        if (len < 1)
            return format_double_checked(v, buf, n);
        o = layout_g(out, neg, dig, len, x, len < 15 ? 15 : len);
    }
    if (out == tmp)
        return put_text(buf, n, tmp, o);
    buf[o] = '\0';
    return (int)o;
}
