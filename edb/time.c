/* time.c: parsing, formatting and arithmetic of edb_time (int64 microseconds since
 * 1970-01-01 UTC, no leap seconds).
 *
 * Parsing is done by hand, byte by byte, so that every rejection can name the exact field
 * that is wrong, and so that decimal fractions (of seconds, of MJD days, of durations)
 * become integer microseconds without ever passing through a binary double. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <edb/time.h>

#include "internal.h"

#define WHY_SIZE 320
#define QUOTE_MAX 80
#define FORMS_HINT "use 2022-01-25T00:00:00, 2022-025T00:00:00, mjd:59612.5 or now-6h"
#define UNITS_HINT "use us, ms, s, min, h or d"

/* The calendar forms take 4-digit years only; holding parsed times to this range also
 * keeps every arithmetic step below far from int64 overflow. */
#define YEAR_MIN 1000
#define YEAR_MAX 9999

/* ---- small arithmetic helpers --------------------------------------------------- */

typedef struct tparse tparse;
static edb_time range_lo(void);
static edb_time range_hi(void);
static int out_of_years(tparse *p, const char *what);

/* Division rounding toward minus infinity: C's '/' truncates toward zero, which would put
 * times before 1970 into the wrong day or second. */
static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b, r = a % b;
    return (r != 0 && ((r < 0) != (b < 0))) ? q - 1 : q;
}

static int64_t floor_mod(int64_t a, int64_t b)
{
    int64_t r = a % b;
    return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Locale-independent: the library must not behave differently under another locale. */
static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static int is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* Drops leading and trailing white space: *s moves to the first kept byte, the kept
 * length is returned. */
static size_t trim(const char **s)
{
    const char *p = *s;
    size_t len = strlen(p);
    while (len > 0 && is_space(*p)) {
        p++;
        len--;
    }
    while (len > 0 && is_space(p[len - 1]))
        len--;
    *s = p;
    return len;
}

static size_t count_digits(const char *s, size_t len, size_t pos)
{
    size_t k = pos;
    while (k < len && is_digit(s[k]))
        k++;
    return k - pos;
}

/* Caller guarantees n is small (at most 9 here), so no overflow check is needed. */
static int digits_value(const char *s, size_t n)
{
    int v = 0;
    for (size_t k = 0; k < n; k++)
        v = v * 10 + (s[k] - '0');
    return v;
}

static int is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned days_in_month(int64_t y, unsigned m)
{
    static const unsigned char dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return (m == 2 && is_leap(y)) ? 29u : dim[m - 1];
}

/* Multiplies the decimal fraction 0.d1d2...dn by mult exactly, by long multiplication from
 * the last digit: the low n digits of mult * d1..dn are the fraction of the product and
 * what carries out of them is its integer part.  This works for any number of digits
 * without big integers because each carry stays below mult.  *first gets the first
 * fraction digit of the product (for rounding), *inexact whether any is non-zero. */
static int64_t frac_times(const char *d, size_t n, int64_t mult, int *first, int *inexact)
{
    int64_t carry = 0;
    int lastdig = 0, nz = 0;
    for (size_t k = n; k-- > 0;) {
        int64_t v = (int64_t)(d[k] - '0') * mult + carry;
        lastdig = (int)(v % 10);
        if (lastdig)
            nz = 1;
        carry = v / 10;
    }
    if (first)
        *first = lastdig;
    if (inexact)
        *inexact = nz;
    return carry;
}

/* ---- civil calendar (Howard Hinnant's algorithms, proleptic Gregorian) -------------- */

/* Works in 400-year eras that start on March 1st so that the leap day falls at the end
 * of the shifted year and every era has exactly 146097 days. */
int64_t edb_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

void edb_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned dd = doy - (153 * mp + 2) / 5 + 1;
    const unsigned mm = mp < 10 ? mp + 3 : mp - 9;
    if (y)
        *y = (int64_t)yoe + era * 400 + (mm <= 2);
    if (m)
        *m = mm;
    if (d)
        *d = dd;
}

edb_time edb_time_from_civil(int year, int month, int day, int hour, int min, int sec, int usec)
{
    /* Unvalidated fields may be anything: sum in unsigned arithmetic so that absurd input
     * wraps instead of being undefined behaviour. */
    int64_t days = edb_days_from_civil(year, (unsigned)month, (unsigned)day);
    uint64_t t = (uint64_t)days * (uint64_t)EDB_USEC_PER_DAY;
    t += (uint64_t)((int64_t)hour * 3600 + (int64_t)min * 60 + sec) * (uint64_t)EDB_USEC_PER_SEC;
    t += (uint64_t)(int64_t)usec;
    return (edb_time)t;
}

void edb_time_to_civil(edb_time t, int *year, int *month, int *day, int *hour, int *min,
                       int *sec, int *usec)
{
    int64_t days = floor_div(t, EDB_USEC_PER_DAY);
    int64_t rem = floor_mod(t, EDB_USEC_PER_DAY); /* not t - days*DAY: that overflows near INT64_MIN */
    int64_t y;
    unsigned m, d;
    edb_civil_from_days(days, &y, &m, &d);
    int64_t s = rem / EDB_USEC_PER_SEC;
    if (year)
        *year = (int)y;
    if (month)
        *month = (int)m;
    if (day)
        *day = (int)d;
    if (hour)
        *hour = (int)(s / 3600);
    if (min)
        *min = (int)(s / 60 % 60);
    if (sec)
        *sec = (int)(s % 60);
    if (usec)
        *usec = (int)(rem % EDB_USEC_PER_SEC);
}

edb_time edb_time_now(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
        return 0;
    return (edb_time)ts.tv_sec * EDB_USEC_PER_SEC + ts.tv_nsec / 1000;
}

/* ---- durations -------------------------------------------------------------------- */

typedef struct unit_def {
    const char *name;
    int64_t us;
} unit_def;

static const unit_def UNITS[] = {
    {"us", 1},
    {"ms", 1000},
    {"s", EDB_USEC_PER_SEC},
    {"sec", EDB_USEC_PER_SEC},
    {"min", 60 * EDB_USEC_PER_SEC},
    {"h", 3600 * EDB_USEC_PER_SEC},
    {"d", EDB_USEC_PER_DAY},
};

static const unit_def *find_unit(const char *s, size_t n)
{
    for (size_t k = 0; k < sizeof UNITS / sizeof UNITS[0]; k++)
        if (strlen(UNITS[k].name) == n && memcmp(UNITS[k].name, s, n) == 0)
            return &UNITS[k];
    return NULL;
}

/* Parses s[0..len) as a duration: one or more "number unit" parts ("1.5h", "1h30min",
 * the latter so that edb_duration_format's output reads back).  On failure writes the
 * reason into why and returns -1. */
static int dur_parse(const char *s, size_t len, int64_t *out, char *why, size_t whylen)
{
    char q[QUOTE_MAX + 8];
    if (len == 0) {
        snprintf(why, whylen, "empty");
        return -1;
    }
    if (s[0] == '-') {
        snprintf(why, whylen, "negative durations are not allowed");
        return -1;
    }
    int64_t total = 0;
    size_t pos = 0;
    while (pos < len) {
        size_t start = pos;
        size_t ni = count_digits(s, len, pos);
        if (ni == 0) {
            char q2[QUOTE_MAX + 8];
            if (pos > 0)
                snprintf(why, whylen, "unexpected '%s' after '%s'",
                         edb__excerpt(s + pos, len - pos, 16, q, sizeof q),
                         edb__excerpt(s, pos, 24, q2, sizeof q2));
            else
                snprintf(why, whylen, "expected a number, found '%s' (e.g. 90s, 1.5h, 7d)",
                         edb__excerpt(s + pos, len - pos, 16, q, sizeof q));
            return -1;
        }
        const char *ip = s + pos;
        pos += ni;
        const char *fp = NULL;
        size_t nf = 0;
        if (pos < len && s[pos] == '.') {
            nf = count_digits(s, len, pos + 1);
            if (nf == 0) {
                snprintf(why, whylen, "expected digits after '%s'",
                         edb__excerpt(s + start, pos + 1 - start, 24, q, sizeof q));
                return -1;
            }
            fp = s + pos + 1;
            pos += 1 + nf;
        }
        size_t numend = pos;
        while (pos < len && is_space(s[pos]))
            pos++;
        size_t ustart = pos;
        while (pos < len && is_alpha(s[pos]))
            pos++;
        if (pos == ustart) {
            char q2[QUOTE_MAX + 8];
            const char *num = edb__excerpt(s + start, numend - start, 24, q2, sizeof q2);
            if (pos < len)
                snprintf(why, whylen, "unexpected '%s' after the number '%s' (%s)",
                         edb__excerpt(s + pos, len - pos, 16, q, sizeof q), num, UNITS_HINT);
            else
                snprintf(why, whylen, "missing unit after '%s' (%s)", num, UNITS_HINT);
            return -1;
        }
        const unit_def *u = find_unit(s + ustart, pos - ustart);
        if (!u) {
            snprintf(why, whylen, "unknown unit '%s' (%s)",
                     edb__excerpt(s + ustart, pos - ustart, 16, q, sizeof q), UNITS_HINT);
            return -1;
        }
        int inexact = 0;
        int64_t fus = fp ? frac_times(fp, nf, u->us, NULL, &inexact) : 0;
        if (inexact) {
            snprintf(why, whylen, "'%s' is finer than a microsecond",
                     edb__excerpt(s + start, pos - start, 40, q, sizeof q));
            return -1;
        }
        /* Accumulate the integer part with an overflow check at every digit: the input
         * may hold any number of digits. */
        int64_t ival = 0;
        for (size_t k = 0; k < ni; k++) {
            int dg = ip[k] - '0';
            if (ival > (INT64_MAX - dg) / 10) {
                ival = -1;
                break;
            }
            ival = ival * 10 + dg;
        }
        if (ival < 0 || ival > (INT64_MAX - fus) / u->us ||
            ival * u->us + fus > INT64_MAX - total) {
            snprintf(why, whylen, "too large (the limit is about 292,000 years)");
            return -1;
        }
        total += ival * u->us + fus;
        while (pos < len && is_space(s[pos]))
            pos++;
    }
    *out = total;
    return 0;
}

edb_status edb_duration_parse(const char *s, int64_t *out_us, edb_err *err)
{
    char why[WHY_SIZE], q[QUOTE_MAX + 8];
    if (!out_us)
        return edb__fail(err, EDB_ERR_USAGE, "edb_duration_parse: out_us is NULL");
    if (!s)
        s = "";
    size_t len = trim(&s);
    int64_t v;
    if (dur_parse(s, len, &v, why, sizeof why) != 0)
        return edb__fail(err, EDB_ERR_TIME, "invalid duration '%s': %s",
                         edb__excerpt(s, len, QUOTE_MAX, q, sizeof q), why);
    *out_us = v;
    return EDB_OK;
}

int edb_duration_format(int64_t us, char *buf, size_t n)
{
    static const unit_def parts[] = {
        {"d", EDB_USEC_PER_DAY}, {"h", 3600 * EDB_USEC_PER_SEC}, {"min", 60 * EDB_USEC_PER_SEC},
        {"s", EDB_USEC_PER_SEC}, {"ms", 1000}, {"us", 1},
    };
    char tmp[96];
    size_t o = 0;
    /* The magnitude as unsigned, because -INT64_MIN does not fit in int64. */
    uint64_t mag = us < 0 ? (uint64_t)0 - (uint64_t)us : (uint64_t)us;
    if (us < 0)
        tmp[o++] = '-';
    if (mag == 0) {
        memcpy(tmp + o, "0s", 3);
    } else {
        for (size_t k = 0; k < sizeof parts / sizeof parts[0]; k++) {
            uint64_t q = mag / (uint64_t)parts[k].us;
            if (q == 0)
                continue;
            mag -= q * (uint64_t)parts[k].us;
            int w = snprintf(tmp + o, sizeof tmp - o, "%llu%s", (unsigned long long)q,
                             parts[k].name);
            if (w > 0)
                o += (size_t)w;
        }
        tmp[o] = '\0';
    }
    return snprintf(buf, n, "%s", tmp);
}

/* ---- time parsing ----------------------------------------------------------------- */

struct tparse {
    const char *s; /* trimmed input */
    size_t len;
    size_t pos;
    char *why;
    size_t whylen;
    /* edb_time_parse_iso: a full YYYY-MM-DDThh:mm:ss stamp only (no day of year, no date
     * alone, no missing seconds); a UTC offset may follow it, as it may any time of day */
    int iso;
};

static const char *rest(const tparse *p, char *q, size_t qlen)
{
    return edb__excerpt(p->s + p->pos, p->len - p->pos, 16, q, qlen);
}

static int fail_unexpected(tparse *p, const char *where)
{
    char q[40];
    if (!p->iso && (p->s[p->pos] == '+' || p->s[p->pos] == '-'))
        snprintf(p->why, p->whylen,
                 "unexpected '%s' after the %s (a zone offset such as +01:00 follows a time "
                 "of day: 2022-01-25T00:00:00+01:00)",
                 rest(p, q, sizeof q), where);
    else
        snprintf(p->why, p->whylen, "unexpected '%s' after the %s", rest(p, q, sizeof q), where);
    return -1;
}

/* Accepts what may close a calendar time: the end, or a Z and then the end. */
static int at_end(tparse *p)
{
    if (p->pos < p->len && (p->s[p->pos] == 'Z' || p->s[p->pos] == 'z'))
        p->pos++;
    return p->pos == p->len;
}

/* hh:mm[:ss[.ffffff]] at p->pos.  *tod gets microseconds since midnight. */
static int parse_clock(tparse *p, int64_t *tod)
{
    const char *s = p->s;
    char q[40];
    int h, mi, sec = 0, us = 0;

    if (count_digits(s, p->len, p->pos) != 2 || p->pos + 2 >= p->len || s[p->pos + 2] != ':') {
        snprintf(p->why, p->whylen, "expected hh:mm after the date, found '%s'",
                 rest(p, q, sizeof q));
        return -1;
    }
    h = digits_value(s + p->pos, 2);
    if (h > 23) {
        snprintf(p->why, p->whylen, "hour %d out of range (0-23)", h);
        return -1;
    }
    p->pos += 3;
    if (count_digits(s, p->len, p->pos) != 2) {
        snprintf(p->why, p->whylen, "minute '%s' must have 2 digits", rest(p, q, sizeof q));
        return -1;
    }
    mi = digits_value(s + p->pos, 2);
    if (mi > 59) {
        snprintf(p->why, p->whylen, "minute %d out of range (0-59)", mi);
        return -1;
    }
    p->pos += 2;
    if (p->pos < p->len && s[p->pos] == ':') {
        p->pos++;
        size_t ns = count_digits(s, p->len, p->pos);
        if (ns != 2) {
            snprintf(p->why, p->whylen, "expected 2 digits of seconds, found '%s'",
                     rest(p, q, sizeof q));
            return -1;
        }
        sec = digits_value(s + p->pos, 2);
        if (sec == 60) {
            snprintf(p->why, p->whylen,
                     "second 60 out of range (0-59): leap seconds are not supported, "
                     "times are POSIX UTC");
            return -1;
        }
        if (sec > 59) {
            snprintf(p->why, p->whylen, "second %d out of range (0-59)", sec);
            return -1;
        }
        p->pos += 2;
        if (p->pos < p->len && s[p->pos] == '.') {
            size_t nf = count_digits(s, p->len, p->pos + 1);
            if (nf == 0) {
                p->pos++;
                snprintf(p->why, p->whylen, "expected digits after the '.' of the seconds, "
                                            "found '%s'",
                         rest(p, q, sizeof q));
                return -1;
            }
            if (nf > 6) {
                snprintf(p->why, p->whylen,
                         "fraction '%s' has more than 6 digits (the finest is microseconds)",
                         edb__excerpt(s + p->pos, nf + 1, 24, q, sizeof q));
                return -1;
            }
            us = digits_value(s + p->pos + 1, nf);
            for (size_t k = nf; k < 6; k++)
                us *= 10;
            p->pos += 1 + nf;
        }
    } else if (p->pos < p->len && s[p->pos] == '.') {
        snprintf(p->why, p->whylen, "a fraction needs seconds first: use hh:mm:ss.ffffff");
        return -1;
    } else if (p->iso) {
        snprintf(p->why, p->whylen,
                 "expected ':' and 2 digits of seconds after hh:mm, found '%s'",
                 rest(p, q, sizeof q));
        return -1;
    }
    *tod = ((int64_t)h * 3600 + mi * 60 + sec) * EDB_USEC_PER_SEC + us;
    return 0;
}

/* An ISO 8601 zone offset after a time of day: +hh:mm, -hh:mm, +hhmm or +hh.  *off gets
 * it in microseconds (east of UTC positive). */
static int parse_offset(tparse *p, int64_t *off)
{
    const char *s = p->s;
    char q[40];
    size_t start = p->pos;
    int neg = s[p->pos] == '-';
    p->pos++;
    size_t nd = count_digits(s, p->len, p->pos);
    int h, m = 0;
    if (nd != 2 && nd != 4) {
        snprintf(p->why, p->whylen, "zone offset '%s': write it +hh:mm (e.g. -04:00, +00:00)",
                 edb__excerpt(s + start, p->len - start, 16, q, sizeof q));
        return -1;
    }
    h = digits_value(s + p->pos, 2);
    if (nd == 4)
        m = digits_value(s + p->pos + 2, 2);
    p->pos += nd;
    if (nd == 2 && p->pos < p->len && s[p->pos] == ':') {
        if (count_digits(s, p->len, p->pos + 1) != 2) {
            snprintf(p->why, p->whylen, "zone offset '%s': expected 2 digits of minutes "
                     "after ':' (e.g. -04:00)",
                     edb__excerpt(s + start, p->len - start, 16, q, sizeof q));
            return -1;
        }
        m = digits_value(s + p->pos + 1, 2);
        p->pos += 3;
    }
    if (h > 23 || m > 59) {
        snprintf(p->why, p->whylen, "zone offset '%s' out of range (-23:59 to +23:59)",
                 edb__excerpt(s + start, p->pos - start, 16, q, sizeof q));
        return -1;
    }
    int64_t v = ((int64_t)h * 3600 + (int64_t)m * 60) * EDB_USEC_PER_SEC;
    *off = neg ? -v : v;
    return 0;
}

/* YYYY-MM-DD, YYYY-DDD or YYYY:DDD, each optionally followed by a time of day. */
static int parse_calendar(tparse *p, edb_time *out)
{
    const char *s = p->s;
    char q[40];
    size_t ny = count_digits(s, p->len, 0);
    if (ny != 4) {
        if (ny == 8 || (ny > 4 && ny < 16 && ny < p->len && (s[ny] == 'T' || s[ny] == 't')))
            snprintf(p->why, p->whylen,
                     "the form without separators is not accepted (%s)", FORMS_HINT);
        else
            snprintf(p->why, p->whylen, "year '%s' must have 4 digits",
                     edb__excerpt(s, ny, 12, q, sizeof q));
        return -1;
    }
    int year = digits_value(s, 4);
    if (year < YEAR_MIN) {
        snprintf(p->why, p->whylen, "year %04d out of range (%d-%d)", year, YEAR_MIN, YEAR_MAX);
        return -1;
    }
    p->pos = 4;
    if (p->pos == p->len) {
        snprintf(p->why, p->whylen,
                 "a year alone is not a time: add a month and day (%d-01-25) or a day of year "
                 "(%d-025)",
                 year, year);
        return -1;
    }
    char sep = s[p->pos];
    if (sep != '-' && (sep != ':' || p->iso))
        return fail_unexpected(p, "year");
    p->pos++;
    size_t n = count_digits(s, p->len, p->pos);
    int64_t days;
    int colon_form = sep == ':';
    if (n == 3 && p->iso) {
        snprintf(p->why, p->whylen, "expected YYYY-MM-DD, found a day of year '%s'",
                 rest(p, q, sizeof q));
        return -1;
    } else if (n == 3) {
        int doy = digits_value(s + p->pos, 3);
        int ndays = is_leap(year) ? 366 : 365;
        if (doy < 1 || doy > ndays) {
            snprintf(p->why, p->whylen, "day of year %d out of range for %d (1-%d)", doy, year,
                     ndays);
            return -1;
        }
        p->pos += 3;
        days = edb_days_from_civil(year, 1, 1) + doy - 1;
    } else if (n == 2 && !colon_form) {
        int month = digits_value(s + p->pos, 2);
        if (month < 1 || month > 12) {
            snprintf(p->why, p->whylen, "month %d out of range (1-12)", month);
            return -1;
        }
        p->pos += 2;
        if (p->pos >= p->len || s[p->pos] != '-') {
            if (p->pos >= p->len)
                snprintf(p->why, p->whylen, "a day is missing after the month (%04d-%02d-25)",
                         year, month);
            else
                fail_unexpected(p, "month");
            return -1;
        }
        p->pos++;
        if (count_digits(s, p->len, p->pos) != 2) {
            snprintf(p->why, p->whylen, "day '%s' must have 2 digits", rest(p, q, sizeof q));
            return -1;
        }
        int day = digits_value(s + p->pos, 2);
        unsigned dim = days_in_month(year, (unsigned)month);
        if (day < 1 || (unsigned)day > dim) {
            snprintf(p->why, p->whylen, "day %d out of range for %04d-%02d (1-%u)", day, year,
                     month, dim);
            return -1;
        }
        p->pos += 2;
        days = edb_days_from_civil(year, (unsigned)month, (unsigned)day);
    } else {
        if (colon_form)
            snprintf(p->why, p->whylen, "expected a 3-digit day of year after '%04d:', found '%s'",
                     year, rest(p, q, sizeof q));
        else
            snprintf(p->why, p->whylen,
                     "expected a 2-digit month or a 3-digit day of year after '%04d-', found '%s'",
                     year, rest(p, q, sizeof q));
        return -1;
    }

    int64_t tod = 0;
    if (p->iso && p->pos == p->len) {
        snprintf(p->why, p->whylen,
                 "a date without a time of day (expected YYYY-MM-DDThh:mm:ss)");
        return -1;
    }
    if (!p->iso && at_end(p)) {
        *out = days * EDB_USEC_PER_DAY;
        return 0;
    }
    char c = s[p->pos];
    /* The colon form continues with ':', as the EDB and APT write it (2022:025:12:00:00);
     * the dashed forms with ISO 8601's T or the common space. */
    int sep_ok = colon_form ? c == ':' : (c == 'T' || c == 't' || c == ' ');
    if (!sep_ok)
        return fail_unexpected(p, "date");
    p->pos++;
    if (parse_clock(p, &tod) != 0)
        return -1;
    int64_t off = 0;
    if (p->pos < p->len && (s[p->pos] == '+' || s[p->pos] == '-')) {
        if (parse_offset(p, &off) != 0)
            return -1;
        if (p->pos < p->len)
            return fail_unexpected(p, "zone offset");
    } else if (!at_end(p)) {
        return fail_unexpected(p, "time");
    }
    /* Local time at offset OFF: UTC is the local time minus OFF.  The sum stays far from
     * overflow (years 1000-9999, an offset below a day) and is held to the same years. */
    edb_time t = days * EDB_USEC_PER_DAY + tod - off;
    if (t < range_lo() || t > range_hi())
        return out_of_years(p, "the time in UTC");
    *out = t;
    return 0;
}

/* mjd:DDDDD[.ffff], any number of fraction digits, rounded half up to a microsecond. */
static int parse_mjd(tparse *p, edb_time *out)
{
    const char *s = p->s;
    char q[40];
    int neg = 0;
    if (p->pos < p->len && (s[p->pos] == '-' || s[p->pos] == '+')) {
        neg = s[p->pos] == '-';
        p->pos++;
    }
    size_t ni = count_digits(s, p->len, p->pos);
    if (ni == 0) {
        snprintf(p->why, p->whylen, "expected a number after 'mjd:', found '%s'",
                 rest(p, q, sizeof q));
        return -1;
    }
    /* Leading zeros cost nothing; more significant digits than any valid MJD has (7)
     * mean out of range, checked below without risking overflow. */
    size_t k = p->pos;
    while (k + 1 < p->pos + ni && s[k] == '0')
        k++;
    size_t sig = p->pos + ni - k;
    int64_t days = sig > 9 ? INT64_C(1000000000) : digits_value(s + k, sig);
    p->pos += ni;
    int64_t fus = 0;
    if (p->pos < p->len && s[p->pos] == '.') {
        size_t nf = count_digits(s, p->len, p->pos + 1);
        if (nf == 0) {
            p->pos++;
            snprintf(p->why, p->whylen, "expected digits after the '.' of the MJD, found '%s'",
                     rest(p, q, sizeof q));
            return -1;
        }
        int first = 0;
        fus = frac_times(s + p->pos + 1, nf, EDB_USEC_PER_DAY, &first, NULL);
        if (first >= 5)
            fus++;
        p->pos += 1 + nf;
    }
    if (p->pos < p->len)
        return fail_unexpected(p, "MJD");
    const int64_t lo = edb_days_from_civil(YEAR_MIN, 1, 1) + EDB_MJD_UNIX_EPOCH;
    const int64_t hi = edb_days_from_civil(YEAR_MAX + 1, 1, 1) + EDB_MJD_UNIX_EPOCH;
    /* days is checked first: it may hold up to 10^9, which would overflow once scaled. */
    int64_t v = 0;
    if (days <= hi) {
        int64_t mag = days * EDB_USEC_PER_DAY + fus;
        v = neg ? -mag : mag;
    }
    if (days > hi || v < lo * EDB_USEC_PER_DAY || v >= hi * EDB_USEC_PER_DAY) {
        snprintf(p->why, p->whylen, "MJD %s out of range (%lld to %lld: years %d-%d)",
                 edb__excerpt(s + 4, p->len - 4, 24, q, sizeof q), (long long)lo,
                 (long long)hi, YEAR_MIN, YEAR_MAX);
        return -1;
    }
    *out = v - (int64_t)EDB_MJD_UNIX_EPOCH * EDB_USEC_PER_DAY;
    return 0;
}

/* The first and last microsecond of the years a calendar time may name.  Relative times
 * are held to the same range, which also keeps their arithmetic from overflowing. */
static edb_time range_lo(void)
{
    return edb_days_from_civil(YEAR_MIN, 1, 1) * EDB_USEC_PER_DAY;
}

static edb_time range_hi(void)
{
    return edb_days_from_civil(YEAR_MAX + 1, 1, 1) * EDB_USEC_PER_DAY - 1;
}

static int out_of_years(tparse *p, const char *what)
{
    snprintf(p->why, p->whylen, "%s is outside the years %d-%d", what, YEAR_MIN, YEAR_MAX);
    return -1;
}

/* NAME, NAME-DURATION, NAME+DURATION, where NAME (now, today, yesterday) stands for base. */
static int parse_relative(tparse *p, const char *name, edb_time base, edb_time *out)
{
    char q[40];
    /* Checked first, so that base - lo and hi - base below cannot overflow. */
    if (base < range_lo() || base > range_hi()) {
        char what[48];
        snprintf(what, sizeof what, "'%s' (%lld us since 1970)", name, (long long)base);
        return out_of_years(p, what);
    }
    if (p->pos == p->len) {
        *out = base;
        return 0;
    }
    char sign = p->s[p->pos];
    if (sign != '-' && sign != '+') {
        snprintf(p->why, p->whylen, "unexpected '%s' after '%s' (use %s, %s-6h or %s+90s)",
                 rest(p, q, sizeof q), name, name, name, name);
        return -1;
    }
    p->pos++;
    char dwhy[WHY_SIZE];
    int64_t d;
    if (dur_parse(p->s + p->pos, p->len - p->pos, &d, dwhy, sizeof dwhy) != 0) {
        snprintf(p->why, p->whylen, "in the duration after '%s%c': %.*s", name, sign,
                 WHY_SIZE - 64, dwhy);
        return -1;
    }
    if (sign == '-' ? d > base - range_lo() : d > range_hi() - base)
        return out_of_years(p, "the result");
    *out = sign == '-' ? base - d : base + d;
    return 0;
}

static int has_prefix_ci(const char *s, size_t len, const char *prefix)
{
    size_t n = strlen(prefix);
    if (len < n)
        return 0;
    for (size_t k = 0; k < n; k++)
        if (lower(s[k]) != prefix[k])
            return 0;
    return 1;
}

edb_status edb_time_parse(const char *s, edb_time now, edb_time *out, edb_err *err)
{
    char why[WHY_SIZE], q[QUOTE_MAX + 8];
    if (!out)
        return edb__fail(err, EDB_ERR_USAGE, "edb_time_parse: out is NULL");
    if (!s)
        s = "";
    size_t len = trim(&s);
    if (len == 0)
        return edb__fail(err, EDB_ERR_TIME, "empty time (%s)", FORMS_HINT);

    tparse p = {s, len, 0, why, sizeof why, 0};
    edb_time t = 0;
    int rc;
    if (is_digit(s[0])) {
        rc = parse_calendar(&p, &t);
    } else if (has_prefix_ci(s, len, "mjd:")) {
        p.pos = 4;
        rc = parse_mjd(&p, &t);
    } else if (has_prefix_ci(s, len, "now")) {
        p.pos = 3;
        rc = parse_relative(&p, "now", now, &t);
    } else if (has_prefix_ci(s, len, "today")) {
        /* UTC midnights: a nightly job's "--start yesterday --for 1d" is one whole day. */
        p.pos = 5;
        rc = parse_relative(&p, "today", edb_time_floor(now, EDB_USEC_PER_DAY), &t);
    } else if (has_prefix_ci(s, len, "yesterday")) {
        p.pos = 9;
        edb_time y = edb_time_floor(now, EDB_USEC_PER_DAY);
        rc = y < INT64_MIN + EDB_USEC_PER_DAY ? out_of_years(&p, "'yesterday'")
                                              : parse_relative(&p, "yesterday",
                                                               y - EDB_USEC_PER_DAY, &t);
    } else {
        snprintf(why, sizeof why, "not a time (%s)", FORMS_HINT);
        rc = -1;
    }
    if (rc != 0)
        return edb__fail(err, EDB_ERR_TIME, "invalid time '%s': %s",
                         edb__excerpt(s, len, QUOTE_MAX, q, sizeof q), why);
    *out = t;
    return EDB_OK;
}

/* The form a decoder meets millions of times, YYYY-MM-DDThh:mm:ss[.f{1,6}][Z], read at fixed
 * positions.  It only accepts: anything else (a zone offset, a bad field) goes to the
 * general parser, which says what is wrong. */
static _Thread_local char iso_fast_date[10]; /* the last date read, and its day number: */
static _Thread_local int64_t iso_fast_days = INT64_MIN; /* consecutive stamps share it */

static int iso_fast(const char *s, size_t len, edb_time *out)
{
    static const unsigned char at[6] = {11, 12, 14, 15, 17, 18};
    unsigned v[8];
    if (len < 19 || s[4] != '-' || s[7] != '-' || s[13] != ':' || s[16] != ':' ||
        (s[10] != 'T' && s[10] != 't' && s[10] != ' '))
        return -1;
    int64_t days;
    if (iso_fast_days != INT64_MIN && memcmp(s, iso_fast_date, 10) == 0) {
        days = iso_fast_days;
    } else {
        static const unsigned char dat[8] = {0, 1, 2, 3, 5, 6, 8, 9};
        for (int k = 0; k < 8; k++) {
            v[k] = (unsigned)(s[dat[k]] - '0');
            if (v[k] > 9)
                return -1;
        }
        int year = (int)(v[0] * 1000 + v[1] * 100 + v[2] * 10 + v[3]);
        unsigned month = v[4] * 10 + v[5], day = v[6] * 10 + v[7];
        if (year < YEAR_MIN || month < 1 || month > 12 || day < 1 ||
            day > days_in_month(year, month))
            return -1;
        days = edb_days_from_civil(year, month, day);
        memcpy(iso_fast_date, s, 10);
        iso_fast_days = days;
    }
    for (int k = 0; k < 6; k++) {
        v[k] = (unsigned)(s[at[k]] - '0');
        if (v[k] > 9)
            return -1;
    }
    unsigned h = v[0] * 10 + v[1], mi = v[2] * 10 + v[3], sec = v[4] * 10 + v[5];
    if (h > 23 || mi > 59 || sec > 59)
        return -1;
    size_t k = 19;
    int64_t us = 0;
    if (k < len && s[k] == '.') {
        size_t nf = 0;
        for (k++; k < len && is_digit(s[k]); k++, nf++) {
            if (nf == 6)
                return -1; /* more than microseconds: the general parser says so */
            us = us * 10 + (s[k] - '0');
        }
        if (nf == 0)
            return -1;
        for (; nf < 6; nf++)
            us *= 10;
    }
    if (k < len && (s[k] == 'Z' || s[k] == 'z'))
        k++;
    if (k != len)
        return -1;
    *out = days * EDB_USEC_PER_DAY + ((int64_t)h * 3600 + mi * 60 + sec) * EDB_USEC_PER_SEC + us;
    return 0;
}

edb_status edb_time_parse_iso(const char *s, size_t len, edb_time *out, edb_err *err)
{
    char why[WHY_SIZE], q[QUOTE_MAX + 8];
    if (!out || (!s && len))
        return edb__fail(err, EDB_ERR_USAGE, "edb_time_parse_iso: NULL argument");
    if (iso_fast(s, len, out) == 0)
        return EDB_OK;
    tparse p = {s, len, 0, why, sizeof why, 1};
    edb_time t = 0;
    int rc;
    if (len == 0) {
        snprintf(why, sizeof why, "empty (expected YYYY-MM-DDThh:mm:ss)");
        rc = -1;
    } else if (!is_digit(s[0])) {
        snprintf(why, sizeof why, "expected YYYY-MM-DDThh:mm:ss[.ffffff][Z or +hh:mm]");
        rc = -1;
    } else {
        rc = parse_calendar(&p, &t);
    }
    if (rc != 0)
        return edb__fail(err, EDB_ERR_TIME, "invalid time '%s': %s",
                         edb__excerpt(s, len, QUOTE_MAX, q, sizeof q), why);
    *out = t;
    return EDB_OK;
}

/* ---- formatting ------------------------------------------------------------------- */

static char *put2(char *p, unsigned v)
{
    p[0] = (char)('0' + v / 10);
    p[1] = (char)('0' + v % 10);
    return p + 2;
}

/* The writers print one of these per row, so the common case (years 0-9999, a buffer
 * large enough) writes its digits directly, and takes the date from the previous call
 * when it is the same day, as consecutive samples nearly always are: snprintf's format
 * parsing and the calendar arithmetic cost more than everything else in a CSV row but
 * the numbers.  The text is what the snprintf below prints, which other cases still use. */
static _Thread_local int64_t iso_day = INT64_MIN; /* per thread: no locking, no sharing */
static _Thread_local char iso_date[11];            /* "YYYY-MM-DD" of iso_day, then 'T' */

int edb_time_format_iso(edb_time t, char *buf, size_t n)
{
    int64_t days = floor_div(t, EDB_USEC_PER_DAY);
    if (days != iso_day || n <= 23) {
        int y, mo, d, h, mi, s, us;
        edb_time_to_civil(t, &y, &mo, &d, &h, &mi, &s, &us);
        if (y < 0 || y > 9999 || n <= 23)
            return snprintf(buf, n, "%04d-%02d-%02dT%02d:%02d:%02d.%03d", y, mo, d, h, mi, s,
                            us / 1000);
        char *p = put2(iso_date, (unsigned)y / 100);
        p = put2(p, (unsigned)y % 100);
        *p++ = '-';
        p = put2(p, (unsigned)mo);
        *p++ = '-';
        p = put2(p, (unsigned)d);
        *p = 'T';
        iso_day = days;
    }
    /* milliseconds of the day, truncated toward the past like the date */
    uint32_t ms = (uint32_t)(floor_mod(t, EDB_USEC_PER_DAY) / 1000);
    uint32_t sec = ms / 1000;
    memcpy(buf, iso_date, 11);
    char *p = put2(buf + 11, sec / 3600);
    *p++ = ':';
    p = put2(p, sec / 60 % 60);
    *p++ = ':';
    p = put2(p, sec % 60);
    *p++ = '.';
    ms %= 1000;
    *p++ = (char)('0' + ms / 100);
    p = put2(p, ms % 100);
    *p = '\0';
    return 23;
}

int edb_time_format_iso_us(edb_time t, char *buf, size_t n)
{
    int y, mo, d, h, mi, s, us;
    edb_time_to_civil(t, &y, &mo, &d, &h, &mi, &s, &us);
    return snprintf(buf, n, "%04d-%02d-%02dT%02d:%02d:%02d.%06d", y, mo, d, h, mi, s, us);
}

int edb_time_format_compact(edb_time t, char *buf, size_t n)
{
    int y, mo, d, h, mi, s;
    edb_time_to_civil(t, &y, &mo, &d, &h, &mi, &s, NULL);
    return snprintf(buf, n, "%04d%02d%02dT%02d%02d%02d", y, mo, d, h, mi, s);
}

/* ---- MJD -------------------------------------------------------------------------- */

double edb_time_to_mjd(edb_time t)
{
    /* Whole days and the day fraction apart, so that the only rounding is the final
     * addition: one division of the full count by 86400e6 would first lose the low bits
     * of t in the conversion to double. */
    int64_t days = floor_div(t, EDB_USEC_PER_DAY);
    int64_t rem = floor_mod(t, EDB_USEC_PER_DAY);
    return (double)(days + EDB_MJD_UNIX_EPOCH) + (double)rem / (double)EDB_USEC_PER_DAY;
}

static edb_time from_mjd_nearest(double mjd)
{
    double day = floor(mjd);
    double frac = mjd - day; /* exact: day and mjd share their high bits */
    int64_t us = (int64_t)llround(frac * (double)EDB_USEC_PER_DAY);
    return ((int64_t)day - EDB_MJD_UNIX_EPOCH) * EDB_USEC_PER_DAY + us;
}

edb_time edb_time_from_mjd(double mjd)
{
    /* Past about MJD 65536 (2038) a double's step exceeds a microsecond, so several
     * microseconds map to the same double.  Among those, the roundest one (most trailing
     * zeros) is returned, the way shortest float printing picks among equal candidates,
     * so that a millisecond stamp always survives to_mjd and back. */
    if (isnan(mjd))
        return EDB_TIME_MIN;
    /* Bounds that keep the day count times 86400e6 inside int64. */
    const double lim = 100000000.0;
    if (mjd <= -lim)
        return EDB_TIME_MIN;
    if (mjd >= lim)
        return EDB_TIME_MAX;
    edb_time c = from_mjd_nearest(mjd);
    edb_time best = c;
    int best_zeros = -1;
    for (int64_t off = -2; off <= 2; off++) {
        edb_time cand = c + off;
        if (edb_time_to_mjd(cand) != mjd)
            continue;
        int zeros = 0;
        for (int64_t p10 = 10; zeros < 17 && cand % p10 == 0; p10 *= 10)
            zeros++;
        int64_t dist = off < 0 ? -off : off;
        int64_t bdist = best - c < 0 ? c - best : best - c;
        if (zeros > best_zeros || (zeros == best_zeros && dist < bdist)) {
            best = cand;
            best_zeros = zeros;
        }
    }
    return best;
}

/* ---- rounding to units ------------------------------------------------------------ */

edb_time edb_time_floor(edb_time t, int64_t unit)
{
    if (unit <= 0)
        return t;
    int64_t r = floor_mod(t, unit);
    /* No multiple of unit at or below t fits: the smallest representable one is the
     * answer nearest to the truth. */
    if (t < INT64_MIN + r)
        return t + (unit - r);
    return t - r;
}

edb_time edb_time_ceil(edb_time t, int64_t unit)
{
    if (unit <= 0)
        return t;
    int64_t r = floor_mod(t, unit);
    if (r == 0)
        return t;
    edb_time f = t - r;
    /* No multiple of unit above t fits: the largest representable one is the answer
     * nearest to the truth. */
    if (f > INT64_MAX - unit)
        return f;
    return f + unit;
}
