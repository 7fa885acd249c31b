/* numparse.c: exact, locale-independent number parsing and shortest round-trip
 * formatting for the decoders and writers (declared in edb/mastcsv.h).
 *
 * Why not plain strtod/snprintf: both follow LC_NUMERIC, and a program embedding libedb
 * may well call setlocale(LC_ALL, "") in a locale whose decimal point is ','.  The EDB's
 * telemetry has 10-decimal values; a 15-digit decimal converts exactly with one IEEE
 * multiplication or division (Clinger's fast path), which is also several times faster
 * than strtod.  Everything else goes to strtod_l with a private "C" locale, which glibc
 * rounds correctly. */
#define _GNU_SOURCE /* strtod_l lives behind it in glibc and musl */
#include <float.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <edb/mastcsv.h>

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

int edb_format_double(double v, char *buf, size_t n)
{
    if (isnan(v))
        return put_text(buf, n, "nan", 3);
    if (isinf(v))
        return v < 0 ? put_text(buf, n, "-inf", 4) : put_text(buf, n, "inf", 3);
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
