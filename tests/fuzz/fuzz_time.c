/* fuzz_time.c: edb_time_parse and edb_duration_parse on arbitrary bytes.
 *
 * Beyond not crashing, whatever parses must obey the module's invariants (each checked
 * with abort() so that libFuzzer records the input):
 *   - a failure is EDB_ERR_TIME with a non-empty message;
 *   - a time in years 1000..9999 reads back from its own ISO text, to the microsecond
 *     (iso_us) and to the millisecond below (iso), and through the civil fields;
 *   - floor <= t <= ceil, both multiples of the unit;
 *   - the MJD double round trip stays within the double's own resolution;
 *   - a duration reads back from edb_duration_format's text. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <edb/time.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* 1000-01-01 and 10000-01-01 in microseconds (python datetime). */
#define T_LO INT64_C(-30610224000000000)
#define T_HI INT64_C(253402300800000000)

static void check_failure(edb_status st, const edb_err *err)
{
    if (st != EDB_ERR_TIME || err->status != EDB_ERR_TIME || err->msg[0] == '\0' ||
        memchr(err->msg, '\0', sizeof err->msg) == NULL)
        abort();
}

static void check_time(edb_time t)
{
    char buf[EDB_TIME_STRLEN];
    edb_time back;
    edb_err err = EDB_ERR_INIT;

    static const int64_t units[] = {1, 1000, EDB_USEC_PER_SEC, 60 * EDB_USEC_PER_SEC,
                                    EDB_USEC_PER_DAY, 7 * EDB_USEC_PER_DAY};
    for (size_t k = 0; k < sizeof units / sizeof units[0]; k++) {
        edb_time f = edb_time_floor(t, units[k]), c = edb_time_ceil(t, units[k]);
        if (f > t || c < t || f % units[k] != 0 || c % units[k] != 0 || c - f > units[k])
            abort();
    }

    if (t < T_LO || t >= T_HI)
        return;

    int n = edb_time_format_iso_us(t, buf, sizeof buf);
    if (n != 26 || edb_time_parse(buf, 0, &back, &err) != EDB_OK || back != t)
        abort();
    n = edb_time_format_iso(t, buf, sizeof buf);
    if (n != 23 || edb_time_parse(buf, 0, &back, &err) != EDB_OK ||
        back != edb_time_floor(t, 1000))
        abort();
    n = edb_time_format_compact(t, buf, sizeof buf);
    if (n != 15)
        abort();

    int y, mo, d, h, mi, s, us;
    edb_time_to_civil(t, &y, &mo, &d, &h, &mi, &s, &us);
    if (edb_time_from_civil(y, mo, d, h, mi, s, us) != t)
        abort();

    /* A double holds 53 bits: at MJD m its step is about m * 2^-52 days. */
    double mjd = edb_time_to_mjd(t);
    double tol_us = fabs(mjd) * ldexp(1.0, -52) * (double)EDB_USEC_PER_DAY + 1.0;
    edb_time m = edb_time_from_mjd(mjd);
    if (fabs((double)(m - t)) > tol_us)
        abort();
}

static void check_duration(int64_t d)
{
    char buf[64];
    int n = edb_duration_format(d, buf, sizeof buf);
    if (n <= 0 || (size_t)n >= sizeof buf)
        abort();
    if (d < 0)
        abort(); /* the parser never yields a negative duration */
    int64_t back;
    edb_err err = EDB_ERR_INIT;
    if (edb_duration_parse(buf, &back, &err) != EDB_OK || back != d)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';

    /* 2022-01-25T00:00:00Z, so that now-relative inputs land in the checked range. */
    const edb_time now = INT64_C(1643068800000000);
    edb_time t;
    edb_err err = EDB_ERR_INIT;
    edb_status st = edb_time_parse(s, now, &t, &err);
    if (st == EDB_OK)
        check_time(t);
    else
        check_failure(st, &err);

    int64_t d;
    edb_err derr = EDB_ERR_INIT;
    st = edb_duration_parse(s, &d, &derr);
    if (st == EDB_OK)
        check_duration(d);
    else
        check_failure(st, &derr);

    free(s);
    return 0;
}
