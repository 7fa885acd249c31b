/* test_format_double.c: edb_format_double against its definition.
 *
 * The writers' text must not change by a byte when the formatting gets faster, so the
 * library's function is compared with the original snprintf-based loop, kept here as the
 * reference: the first of %.15g, %.16g, %.17g that reads back as the same double.  Random
 * bit patterns cover every exponent; the telemetry-like sets cover what the writers
 * really print (values of a few decimals, MJDs of microsecond stamps); the edge cases are
 * where a shortest-digits algorithm and %g part ways (powers of two, subnormals, ties).
 *
 * edb_time_format_iso, the other per-row text, is compared with its original snprintf the
 * same way, over the whole range of edb_time.
 *
 * EDBX_FORMAT_DOUBLE_N sets the count of each random set (default 200000, which ctest
 * runs in seconds even under the sanitizers); a Release build runs tens of millions. */
#include <check.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <edb/number.h>
#include <edb/time.h>

static long n_each = 200000;
static long compared;

static uint64_t rng = 0x9e3779b97f4a7c15u;

static uint64_t rnd64(void)
{
    /* splitmix64: every bit pattern is reachable */
    uint64_t z = (rng += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static double from_bits(uint64_t b)
{
    double v;
    memcpy(&v, &b, sizeof v);
    return v;
}

/* The original edb_format_double, verbatim but for the locale handling (this program
 * never leaves the C locale). */
static int reference(double v, char *buf, size_t n)
{
    char tmp[40];
    int len;
    if (isnan(v))
        len = snprintf(tmp, sizeof tmp, "nan");
    else if (isinf(v))
        len = snprintf(tmp, sizeof tmp, v < 0 ? "-inf" : "inf");
    else {
        len = -1;
        for (int prec = 15; prec <= 17; prec++) {
            len = snprintf(tmp, sizeof tmp, "%.*g", prec, v);
            double back;
            if (prec == 17 ||
                (edb_parse_double(tmp, (size_t)len, &back) == 0 && memcmp(&back, &v, sizeof v) == 0))
                break;
        }
    }
    if (n) {
        size_t c = (size_t)len < n ? (size_t)len : n - 1;
        memcpy(buf, tmp, c);
        buf[c] = '\0';
    }
    return len;
}

static void same(double v)
{
    char want[64], got[64];
    int wn = reference(v, want, sizeof want);
    memset(got, 'x', sizeof got);
    int gn = edb_format_double(v, got, sizeof got);
    if (gn != wn || strcmp(got, want) != 0) {
        uint64_t b;
        memcpy(&b, &v, sizeof b);
        ck_abort_msg("%a (bits %016llx): '%s' (%d), want '%s' (%d)", v, (unsigned long long)b,
                     got, gn, want, wn);
    }
    compared++;
}

static void same_pm(double v)
{
    same(v);
    same(-v);
    same(nextafter(v, 0));
    same(nextafter(v, INFINITY));
}

START_TEST(test_random_bits)
{
    for (long k = 0; k < n_each; k++)
        same(from_bits(rnd64()));
}
END_TEST

/* Values as the EDB sends them: up to 15 significant digits with 1 to 12 decimals, read
 * the way the decoder reads them (a correctly rounded quotient), and their neighbours. */
START_TEST(test_telemetry_decimals)
{
    static const double p10[] = {1,   1e1, 1e2, 1e3, 1e4,  1e5,  1e6,  1e7,
                                 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
    for (long k = 0; k < n_each; k++) {
        uint64_t r = rnd64();
        int dec = 1 + (int)(r % 12);
        int digits = 1 + (int)((r >> 8) % 15);
        uint64_t m = (rnd64() % (uint64_t)p10[digits]);
        double v = (double)m / p10[dec];
        if (r & (1u << 20))
            v = -v;
        same(v);
        if ((k & 7) == 0) {
            same(nextafter(v, INFINITY));
            same(nextafter(v, -INFINITY));
        }
    }
}
END_TEST

/* The mjd column: microsecond stamps between MJD 40000 and 70000, converted the way the
 * writers convert them, and 4 Hz runs of them as the benchmark writes. */
START_TEST(test_mjd_microseconds)
{
    const int64_t lo = (40000 - EDB_MJD_UNIX_EPOCH) * EDB_USEC_PER_DAY;
    const int64_t span = INT64_C(30000) * EDB_USEC_PER_DAY;
    for (long k = 0; k < n_each; k++) {
        edb_time t = lo + (int64_t)(rnd64() % (uint64_t)span);
        same(edb_time_to_mjd(t));
        if ((k & 15) == 0)
            for (int j = 1; j <= 8; j++)
                same(edb_time_to_mjd(t + j * 256000));
    }
}
END_TEST

START_TEST(test_edges)
{
    same(0.0);
    same(-0.0);
    same(NAN);
    same(-NAN);
    same(INFINITY);
    same(-INFINITY);
    same_pm(DBL_MAX);
    same_pm(DBL_MIN);
    same_pm(DBL_TRUE_MIN);
    same_pm(DBL_EPSILON);
    same_pm(9007199254740993.0);
    same_pm(9007199254740992.0);
    same_pm(0.1);
    same_pm(1.0 / 3.0);
    same_pm(5e-324);
    same_pm(2.2250738585072009e-308); /* the largest subnormal */
    /* every power of two (the asymmetric gaps) and of ten, with neighbours */
    for (int e = -1074; e <= 1023; e++)
        same_pm(ldexp(1.0, e));
    for (int e = -323; e <= 308; e++) {
        char s[16];
        snprintf(s, sizeof s, "1e%d", e);
        same_pm(strtod(s, NULL));
    }
    /* subnormals, where the shortest digits are far fewer than %.15g prints */
    for (long k = 0; k < n_each / 10; k++)
        same(from_bits(rnd64() & ((UINT64_C(1) << 52) - 1)));
    /* integers around 1e15..1e17 and 2^53: where 15, 16 and 17 digits change hands */
    for (long k = 0; k < n_each / 10; k++) {
        double base = ldexp(1.0, 50 + (int)(rnd64() % 7));
        same(base + (double)(rnd64() % 100000));
        same(1e15 + (double)(rnd64() % (uint64_t)9e16));
    }
    for (double v = 1e15; v <= 1e17; v *= 10)
        same_pm(v);
    /* Exact ties: m / 2^k is a decimal of exactly 16, 17 or 18 digits ending in 5, so
     * rounding it to one digit fewer is a tie, which printf breaks to even. */
    for (int k = 1; k <= 25; k++) {
        double p2 = ldexp(1.0, -k);
        double p5 = pow(5.0, k);
        for (int digits = 16; digits <= 18; digits++) {
            /* m * 5^k has `digits` digits: m in [10^(digits-1), 10^digits) / 5^k, m odd */
            double mlo = ceil(pow(10.0, digits - 1) / p5), mhi = floor(pow(10.0, digits) / p5);
            if (mhi > 9007199254740991.0)
                mhi = 9007199254740991.0;
            if (mlo > mhi)
                continue;
            for (int j = 0; j < 2000; j++) {
                double m = mlo + (double)(rnd64() % (uint64_t)(mhi - mlo + 1));
                if (fmod(m, 2.0) == 0)
                    m = m + 1 <= mhi ? m + 1 : m - 1;
                if (m < mlo)
                    continue;
                same(m * p2);
                same(-m * p2);
            }
        }
    }
    /* 16-digit odd integers ending in 5: a tie at 15 digits */
    for (long k = 0; k < n_each / 10; k++) {
        uint64_t m = 100000000000000u + rnd64() % 800000000000000u;
        same((double)(m * 10 + 5));
    }
}
END_TEST

static void same_iso(edb_time t)
{
    int y, mo, d, h, mi, sec, us;
    edb_time_to_civil(t, &y, &mo, &d, &h, &mi, &sec, &us);
    char want[EDB_TIME_STRLEN], got[EDB_TIME_STRLEN];
    int wn = snprintf(want, sizeof want, "%04d-%02d-%02dT%02d:%02d:%02d.%03d", y, mo, d, h, mi,
                      sec, us / 1000);
    int gn = edb_time_format_iso(t, got, sizeof got);
    if (gn != wn || strcmp(got, want) != 0)
        ck_abort_msg("%lld: '%s' (%d), want '%s' (%d)", (long long)t, got, gn, want, wn);
    compared++;
}

START_TEST(test_time_iso)
{
    for (long k = 0; k < n_each; k++) {
        uint64_t r = rnd64();
        same_iso((edb_time)r);                                    /* any year at all */
        same_iso((edb_time)(r % (UINT64_C(1) << 59)) - (INT64_C(1) << 58)); /* +-9000 years */
        same_iso(INT64_C(1611628200009000) + (edb_time)(r % (UINT64_C(1) << 50))); /* now-ish */
    }
    /* runs of neighbouring stamps, as a writer formats them: across midnights, before
     * 1970 and after, and back and forth between days */
    static const edb_time starts[] = {INT64_C(1611628200009000), -EDB_USEC_PER_DAY / 2 - 7,
                                      -62167219200000000 - 3000000};
    for (size_t k = 0; k < sizeof starts / sizeof *starts; k++) {
        edb_time t = starts[k];
        for (long j = 0; j < n_each; j++) {
            t += (edb_time)(rnd64() % 4000000);
            same_iso(t);
            if (j % 1000 == 0)
                same_iso(t - EDB_USEC_PER_DAY);
        }
    }
    static const edb_time edges[] = {0, -1, 1, INT64_MIN, INT64_MAX, -62167219200000000,
                                     -62167219200000001, 253402300799999999, 253402300800000000};
    for (size_t k = 0; k < sizeof edges / sizeof *edges; k++)
        same_iso(edges[k]);
    /* a short buffer takes snprintf's path: full length back, text cut */
    char small[8];
    ck_assert_int_eq(edb_time_format_iso(0, small, sizeof small), 23);
    ck_assert_str_eq(small, "1970-01");
}
END_TEST

/* snprintf's contract holds on the fast path too: full length back, text cut. */
START_TEST(test_truncation)
{
    static const double vs[] = {59612.9340022801, -0.791449368, 1e22, 1.2345678901234567e-7,
                                123456789012345678.0, 0.5, -0.0};
    for (size_t k = 0; k < sizeof vs / sizeof *vs; k++)
        for (size_t n = 0; n < 30; n++) {
            char want[64], got[64];
            memset(want, 'x', sizeof want);
            memset(got, 'x', sizeof got);
            ck_assert_int_eq(edb_format_double(vs[k], n ? got : NULL, n),
                             reference(vs[k], n ? want : NULL, n));
            ck_assert_mem_eq(got, want, sizeof got);
        }
}
END_TEST

static Suite *format_double_suite(void)
{
    Suite *s = suite_create("format_double");
    TCase *tc = tcase_create("identity");
    tcase_add_test(tc, test_random_bits);
    tcase_add_test(tc, test_telemetry_decimals);
    tcase_add_test(tc, test_mjd_microseconds);
    tcase_add_test(tc, test_edges);
    tcase_add_test(tc, test_truncation);
    tcase_add_test(tc, test_time_iso);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    const char *e = getenv("EDBX_FORMAT_DOUBLE_N");
    if (e && atol(e) > 0)
        n_each = atol(e);
    SRunner *sr = srunner_create(format_double_suite());
    srunner_set_fork_status(sr, CK_NOFORK); /* so the count below sees every case */
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    fflush(stdout);
    fprintf(stderr, "format_double: %ld values compared with the reference\n", compared);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
