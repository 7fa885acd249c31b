/* reply.c: the body of a path A reply, formatted exactly as the service formats it.
 *
 * Shared by `edbx serve` and by local sources answering a client directly, so that a
 * query answered from a store gives the very bytes the server would have sent. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <edb/number.h>
#include <edb/series.h>

#include "internal.h"

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

static int append_string_field(edb__buf *b, const char *v, size_t len)
{
    int quote = 0;
    for (size_t k = 0; k < len && !quote; k++)
        quote = v[k] == ',' || v[k] == '"' || v[k] == '\r' || v[k] == '\n';
    if (!quote)
        return edb__buf_append(b, v, len);
    if (edb__buf_append(b, "\"", 1) != 0)
        return -1;
    for (size_t k = 0; k < len; k++) {
        if (v[k] == '"' && edb__buf_append(b, "\"", 1) != 0)
            return -1;
        if (edb__buf_append(b, v + k, 1) != 0)
            return -1;
    }
    return edb__buf_append(b, "\"", 1);
}

int edb__reply_format(const edb_series *s, edb__buf *b)
{
    if (edb__buf_append(b, "theTime,MJD,euvalue,sqldataType\r\n", 33) != 0)
        return -1;
    char tail[sizeof s->sqltype + 3];
    size_t tail_len = (size_t)snprintf(tail, sizeof tail, ",%.*s\r\n", (int)sizeof s->sqltype - 1,
                                       s->sqltype);
    for (size_t i = 0; i < s->n; i++) {
        char line[640];
        int y, mo, d, h, mi, sec, us;
        edb_time_to_civil(s->t[i], &y, &mo, &d, &h, &mi, &sec, &us);
        int len = snprintf(line, sizeof line, "%04d-%02d-%02d %02d:%02d:%02d.%06d,", y, mo, d, h,
                           mi, sec, us);
        len += format_mjd(s->t[i], line + len, sizeof line - (size_t)len);
        line[len++] = ',';
        if (s->vtype == EDB_VT_REAL) {
            len += format_real(s->d[i], line + len, sizeof line - (size_t)len);
        } else if (s->vtype == EDB_VT_INT) {
            len += snprintf(line + len, sizeof line - (size_t)len, "%" PRId64, s->i[i]);
        }
        if (edb__buf_append(b, line, (size_t)len) != 0)
            return -1;
        if (s->vtype == EDB_VT_STRING) {
            size_t sl;
            const char *sv = edb_series_str(s, i, &sl);
            if (append_string_field(b, sv, sl) != 0)
                return -1;
        }
        if (edb__buf_append(b, tail, tail_len) != 0)
            return -1;
    }
    return 0;
}
