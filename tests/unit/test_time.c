/* test_time.c: the edb/time module (parsing, formatting, calendar, MJD, durations).
 *
 * Every expected number is hard-coded, computed independently of libedb (python3's
 * datetime and decimal modules, or `date -u -d ... +%s`), so that a shared mistake in the
 * library and the test cannot cancel out.  The module touches no files, so the cases
 * need no temporary directory. */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <edb/time.h>

/* 2022-01-25T00:00:00Z: date -u -d 2022-01-25 +%s -> 1643068800 */
#define T_20220125 INT64_C(1643068800000000)
/* The fixed "now" of the relative-time cases. */
#define NOW T_20220125

/* ---- parsing: accepted forms ------------------------------------------------------ */

typedef struct valid_case {
    const char *in;
    int64_t want;
} valid_case;

static const valid_case VALID[] = {
    /* the dashed calendar forms */
    {"2022-01-25", T_20220125},
    {"2022-01-25T00:00:00", T_20220125},
    {"2022-01-25 00:00:00", T_20220125},
    {"2022-01-25t00:00:00", T_20220125},
    {"2022-01-25T00:00:00Z", T_20220125},
    {"2022-01-25Z", T_20220125},
    {"  2022-01-25T00:00:00 \t\n", T_20220125},
    /* hours and minutes without seconds: 12:30 = 45000 s after midnight */
    {"2022-01-25T12:30", INT64_C(1643113800000000)},
    {"2022-01-25 12:30Z", INT64_C(1643113800000000)},
    /* fractions of 1..6 digits, read as decimal fractions of a second */
    {"2022-01-25T00:00:00.1", T_20220125 + 100000},
    {"2022-01-25T00:00:00.12", T_20220125 + 120000},
    {"2022-01-25T00:00:00.123", T_20220125 + 123000},
    {"2022-01-25T00:00:00.1234", T_20220125 + 123400},
    {"2022-01-25T00:00:00.12345", T_20220125 + 123450},
    {"2022-01-25 00:00:00.123456", T_20220125 + 123456},
    {"2022-01-25T00:00:00.000001Z", T_20220125 + 1},
    /* python: datetime(2022,2,2,22,24,57,797123) -> 1643840697797123 us */
    {"2022-02-02T22:24:57.797123", INT64_C(1643840697797123)},
    /* python: datetime(2022,12,31,23,59,59) -> 1672531199 s */
    {"2022-12-31T23:59:59", INT64_C(1672531199000000)},
    /* day of year, dashed and colon forms */
    {"2022-025T00:00:00", T_20220125},
    {"2022-025", T_20220125},
    {"2022-025Z", T_20220125},
    {"2022-025T12:30", INT64_C(1643113800000000)},
    {"2022:025:00:00:00", T_20220125},
    {"2022:025", T_20220125},
    {"2022:025:00:00:00.5", T_20220125 + 500000},
    {"2022:025:12:30", INT64_C(1643113800000000)},
    {"2022:025:00:00:00.123456Z", T_20220125 + 123456},
    /* leap years: python datetime(2020,2,29) etc. */
    {"2020-02-29", INT64_C(1582934400000000)},
    {"2000-02-29", INT64_C(951782400000000)},
    {"2024:060", INT64_C(1709164800000000)}, /* day 60 of a leap year is Feb 29 */
    {"2020-366", INT64_C(1609372800000000)}, /* date -u -d 2020-12-31 +%s -> 1609372800 */
    {"2000-366T00:00:00", INT64_C(978220800000000)},
    {"1900-03-01", INT64_C(-2203891200000000)},
    /* around the epoch and the ends of the 4-digit range */
    {"1970-01-01", 0},
    {"1969-12-31T23:59:59.999999", -1},
    {"1969-12-31", INT64_C(-86400000000)},
    {"1000-01-01", INT64_C(-30610224000000000)},
    {"9999-12-31T23:59:59.999999", INT64_C(253402300799999999)},
    /* MJD: python Decimal((mjd - 40587) * 86400e6) rounded half up */
    {"mjd:59612.5", INT64_C(1643803200000000)},
    {"MJD:40587", 0},
    {"mjd:0", INT64_C(-3506716800000000)}, /* 1858-11-17 */
    {"mjd:59612.934002280", INT64_C(1643840697796992)},
    {"mjd:59612.9340022801", INT64_C(1643840697797001)}, /* ...797000.64 rounds down */
    {"mjd:40587.00000000001157407407", 1},               /* 0.99999... us */
    {"mjd:40587.00000000000578", 0},                     /* 0.4994 us */
    {"mjd:40587.00000000000579", 1},                     /* 0.5003 us */
    {"mjd:59612.5000000000000000000000001", INT64_C(1643803200000000)},
    {"mjd:51544.0000000000115740740740740", INT64_C(946684800000001)},
    {"mjd:-313698", INT64_C(-30610224000000000)}, /* 1000-01-01 */
    /* relative to the fixed now */
    {"now", NOW},
    {"NOW", NOW},
    {" now ", NOW},
    {"now-6h", NOW - INT64_C(21600000000)},
    {"now+90s", NOW + INT64_C(90000000)},
    {"now-1.5d", NOW - INT64_C(129600000000)},
    {"now-1h30min", NOW - INT64_C(5400000000)},
    {"now+0s", NOW},
    {"now-250ms", NOW - 250000},
    /* UTC midnights (NOW is itself a midnight; parse_today_floors takes another now) */
    {"today", T_20220125},
    {"TODAY", T_20220125},
    {"yesterday", T_20220125 - INT64_C(86400000000)},
    {"today-7d", T_20220125 - 7 * INT64_C(86400000000)},
    {"today+1d", T_20220125 + INT64_C(86400000000)},
    {"yesterday+6h", T_20220125 - INT64_C(64800000000)},
    /* ISO 8601 zone offsets, converted to UTC (python: datetime.fromisoformat(...)
     * .timestamp()) */
    {"2022-01-25T00:00:00+00:00", T_20220125},
    {"2022-01-25T00:00:00-04:00", T_20220125 + INT64_C(14400000000)},
    {"2022-01-25T00:00:00+01:00", T_20220125 - INT64_C(3600000000)},
    {"2022-01-25T05:30:00.25+05:30", T_20220125 + 250000},
    {"2022-01-25 00:00-0430", T_20220125 + INT64_C(16200000000)},
    {"2022-01-25T02:00+02", T_20220125},
    {"2022-025T00:00:00-04:00", T_20220125 + INT64_C(14400000000)},
    {"1000-01-01T01:00:00+01:00", INT64_C(-30610224000000000)},
    {"9999-12-31T19:59:59.999999-04:00", INT64_C(253402300799999999)},
};

START_TEST(parse_valid)
{
    const valid_case *c = &VALID[_i];
    edb_err err = EDB_ERR_INIT;
    edb_time t = 12345;
    edb_status st = edb_time_parse(c->in, NOW, &t, &err);
    ck_assert_msg(st == EDB_OK, "'%s': status %d: %s", c->in, (int)st, err.msg);
    ck_assert_msg(t == c->want, "'%s': got %lld, want %lld", c->in, (long long)t,
                  (long long)c->want);
    ck_assert_int_eq(err.status, EDB_OK);
}
END_TEST

/* ---- parsing: rejected input, each naming what is wrong ---------------------------- */

typedef struct invalid_case {
    const char *in;
    const char *frag; /* must appear in the message */
} invalid_case;

static const invalid_case INVALID[] = {
    {"", "empty time"},
    {"   \t", "empty time"},
    {"2022-13-01", "invalid time '2022-13-01': month 13 out of range (1-12)"},
    {"2022-00-10", "month 0 out of range (1-12)"},
    {"2023-02-29", "invalid time '2023-02-29': day 29 out of range for 2023-02 (1-28)"},
    {"1900-02-29", "day 29 out of range for 1900-02 (1-28)"},
    {"2022-04-31", "day 31 out of range for 2022-04 (1-30)"},
    {"2022-01-00", "day 0 out of range for 2022-01 (1-31)"},
    {"2022-01-25T24:00:01", "invalid time '2022-01-25T24:00:01': hour 24 out of range (0-23)"},
    {"2022-01-25T23:60", "minute 60 out of range (0-59)"},
    {"2022-01-25T23:59:60", "leap seconds are not supported"},
    {"2022-01-25T23:59:61", "second 61 out of range (0-59)"},
    {"2022-01-25x", "invalid time '2022-01-25x': unexpected 'x' after the date"},
    {"2022-01-25\x01", "unexpected '?' after the date"}, /* control bytes are not echoed */
    {"2022-366", "day of year 366 out of range for 2022 (1-365)"},
    {"2022-000", "day of year 0 out of range for 2022 (1-365)"},
    {"2020-367", "day of year 367 out of range for 2020 (1-366)"},
    {"2022:366:00:00:00", "day of year 366 out of range for 2022 (1-365)"},
    {"2022-01-25T00:00:00.1234567", "fraction '.1234567' has more than 6 digits"},
    {"2022-01-25T00:00:00.", "expected digits after the '.' of the seconds"},
    {"2022-01-25T12:30.5", "a fraction needs seconds"},
    {"2022-01-25T00:00:00+24:00", "zone offset '+24:00' out of range (-23:59 to +23:59)"},
    {"2022-01-25T00:00:00+01:60", "zone offset '+01:60' out of range"},
    {"2022-01-25T00:00:00+1", "zone offset '+1': write it +hh:mm"},
    {"2022-01-25T00:00:00+01:0", "expected 2 digits of minutes after ':'"},
    {"2022-01-25T00:00:00+01:00Z", "unexpected 'Z' after the zone offset"},
    {"2022-01-25T00:00:00Z+01:00", "unexpected '+01:00' after the time"},
    {"2022-01-25+01:00", "unexpected '+01:00' after the date (a zone offset such as +01:00 "
                         "follows a time of day"},
    {"1000-01-01T00:30:00+01:00", "the time in UTC is outside the years 1000-9999"},
    {"9999-12-31T23:00:00-01:00", "the time in UTC is outside the years 1000-9999"},
    {"today-", "in the duration after 'today-': empty"},
    {"todayx", "unexpected 'x' after 'today'"},
    {"yesterday*2", "unexpected '*2' after 'yesterday'"},
    {"2022-01-25T00:00:00ZZ", "unexpected 'Z' after the time"},
    {"2022-01-25T1:30", "expected hh:mm after the date, found '1:30'"},
    {"2022-01-25T", "expected hh:mm after the date"},
    {"2022-01-25T12:3", "minute '3' must have 2 digits"},
    {"2022-01-25T12:30:5", "expected 2 digits of seconds, found '5'"},
    {"2022-1-25", "expected a 2-digit month or a 3-digit day of year after '2022-'"},
    {"2022-01-5", "day '5' must have 2 digits"},
    {"22-01-25", "year '22' must have 4 digits"},
    {"0999-12-31", "year 0999 out of range (1000-9999)"},
    {"2022", "a year alone is not a time"},
    {"2022/01/25", "unexpected '/01/25' after the year"},
    {"2022-01", "a day is missing after the month"},
    {"2022:01:25", "expected a 3-digit day of year after '2022:'"},
    {"2022:025T00:00:00", "unexpected 'T00:00:00' after the date"},
    {"20220125T000000", "without separators is not accepted"},
    {"tomorrow", "not a time (use 2022-01-25T00:00:00, 2022-025T00:00:00, mjd:59612.5 or now-6h)"},
    {"mjd:", "expected a number after 'mjd:'"},
    {"mjd:59612.5x", "unexpected 'x' after the MJD"},
    {"mjd:59612.", "expected digits after the '.' of the MJD"},
    {"mjd:99999999999", "out of range"},
    {"mjd:2973484", "out of range"},              /* 10000-01-01 */
    {"mjd:-313698.0000001", "out of range"},      /* 8.64 ms before 1000-01-01 */
    {"now-6x", "unknown unit 'x'"},
    {"now-", "in the duration after 'now-': empty"},
    {"now--6h", "negative durations are not allowed"},
    {"nowish", "unexpected 'ish' after 'now'"},
    {"now-6h30", "missing unit after '30'"},
};

START_TEST(parse_invalid)
{
    const invalid_case *c = &INVALID[_i];
    edb_err err = EDB_ERR_INIT;
    edb_time t = 12345;
    edb_status st = edb_time_parse(c->in, NOW, &t, &err);
    ck_assert_msg(st == EDB_ERR_TIME, "'%s': status %d, want EDB_ERR_TIME", c->in, (int)st);
    ck_assert_int_eq(err.status, EDB_ERR_TIME);
    ck_assert_msg(strstr(err.msg, c->frag) != NULL, "'%s': message '%s' lacks '%s'", c->in,
                  err.msg, c->frag);
    ck_assert_msg(t == 12345, "'%s': output written on failure", c->in);
}
END_TEST

/* edb_time_parse_iso: the stamps a service writes, from a bounded buffer (no NUL), zone
 * offsets applied.  Expected values: python datetime.fromisoformat(...).timestamp(). */
START_TEST(parse_iso_stamps)
{
    static const valid_case ok[] = {
        {"2027-02-23T00:59:59.054", INT64_C(1803344399054000)},
        {"2027-02-23T01:00:00", INT64_C(1803344400000000)},
        {"2027-02-23 01:00:00Z", INT64_C(1803344400000000)},
        {"2027-02-23t01:00:00z", INT64_C(1803344400000000)},
        {"2027-02-23T00:59:59.123456", INT64_C(1803344399123456)},
        {"2027-02-23T01:00:00+01:00", INT64_C(1803340800000000)},
        {"2027-02-23T01:00:00+0100", INT64_C(1803340800000000)},
        {"2027-02-23T01:00:00+01", INT64_C(1803340800000000)},
        {"2027-02-23T01:00:00-05:30", INT64_C(1803364200000000)},
        {"2027-02-23T01:00:00.5-00:00", INT64_C(1803344400500000)},
        {"2024-02-29T23:59:59.9", INT64_C(1709251199900000)},
        {"1969-12-31T23:59:59.999", -1000},
        {"1000-01-02T00:00:00+23:59", INT64_C(-30610223940000000)},
        {"9999-12-31T23:59:59.999999", INT64_C(253402300799999999)},
    };
    for (size_t k = 0; k < sizeof ok / sizeof ok[0]; k++) {
        /* a copy with junk after it: only len bytes may be read */
        char buf[64];
        size_t n = strlen(ok[k].in);
        memcpy(buf, ok[k].in, n);
        memcpy(buf + n, "99:99", 6);
        edb_err err = EDB_ERR_INIT;
        edb_time t = 0;
        ck_assert_msg(edb_time_parse_iso(buf, n, &t, &err) == EDB_OK, "%s: %s", ok[k].in, err.msg);
        ck_assert_msg(t == ok[k].want, "%s: %lld", ok[k].in, (long long)t);
    }
    static const invalid_case bad[] = {
        {"2027-054T00:59:59", "invalid time '2027-054T00:59:59': expected YYYY-MM-DD, found a day "
                              "of year '054T00:59:59'"},
        {"2027:054:00:59:59", "invalid time '2027:054:00:59:59': unexpected ':054:00:59:59' after the year"},
        {"2027-02-23", "invalid time '2027-02-23': a date without a time of day (expected "
                       "YYYY-MM-DDThh:mm:ss)"},
        {"2027-02-23T00:59", "invalid time '2027-02-23T00:59': expected ':' and 2 digits of seconds "
                             "after hh:mm, found ''"},
        {"2027-02-30T00:00:00", "invalid time '2027-02-30T00:00:00': day 30 out of range for "
                                "2027-02 (1-28)"},
        {"2027-02-23T00:00:60", "invalid time '2027-02-23T00:00:60': second 60 out of range (0-59): "
                                "leap seconds are not supported, times are POSIX UTC"},
        {"2027-02-23T01:00:00+1:00", "invalid time '2027-02-23T01:00:00+1:00': zone offset '+1:00': "
                                     "write it +hh:mm (e.g. -04:00, +00:00)"},
        {"2027-02-23T01:00:00+01:", "invalid time '2027-02-23T01:00:00+01:': zone offset '+01:': "
                                    "expected 2 digits of minutes after ':' (e.g. -04:00)"},
        {"2027-02-23T01:00:00+01:60", "invalid time '2027-02-23T01:00:00+01:60': zone offset "
                                      "'+01:60' out of range (-23:59 to +23:59)"},
        /* held to the years 1000-9999 in UTC, as every time is */
        {"1000-01-01T00:00:00+23:59", "invalid time '1000-01-01T00:00:00+23:59': the time in UTC "
                                      "is outside the years 1000-9999"},
        {"2027-02-23T01:00:00Z+01", "invalid time '2027-02-23T01:00:00Z+01': unexpected '+01' after "
                                    "the time"},
        {" 2027-02-23T01:00:00", "invalid time ' 2027-02-23T01:00:00': expected "
                                 "YYYY-MM-DDThh:mm:ss[.ffffff][Z or +hh:mm]"},
        {"now", "invalid time 'now': expected YYYY-MM-DDThh:mm:ss[.ffffff][Z or +hh:mm]"},
        /* a fraction too long to add up in an int64 (found by fuzz_jsondec) */
        {"2027-02-23T00:59:59.0000000000000000000000000000000001",
         "invalid time '2027-02-23T00:59:59.0000000000000000000000000000000001': fraction "
         "'.00000000000000000000000...' has more than 6 digits (the finest is microseconds)"},
        {"", "invalid time '': empty (expected YYYY-MM-DDThh:mm:ss)"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        edb_err err = EDB_ERR_INIT;
        edb_time t = 12345;
        ck_assert_int_eq(edb_time_parse_iso(bad[k].in, strlen(bad[k].in), &t, &err), EDB_ERR_TIME);
        ck_assert_str_eq(err.msg, bad[k].frag);
        ck_assert_int_eq(t, 12345);
    }
    edb_time t;
    ck_assert_int_eq(edb_time_parse_iso(NULL, 0, &t, NULL), EDB_ERR_TIME);
    ck_assert_int_eq(edb_time_parse_iso(NULL, 3, &t, NULL), EDB_ERR_USAGE);
    ck_assert_int_eq(edb_time_parse_iso("2027-02-23T01:00:00", 19, NULL, NULL), EDB_ERR_USAGE);
    /* the general parser takes the same offsets (issue 11 item 5) and gives the same time */
    edb_err err = EDB_ERR_INIT;
    ck_assert_int_eq(edb_time_parse("2027-02-23T01:00:00+01:00", NOW, &t, &err), EDB_OK);
    edb_time u;
    ck_assert_int_eq(edb_time_parse_iso("2027-02-23T01:00:00+01:00", 25, &u, &err), EDB_OK);
    ck_assert_int_eq(t, u);
    ck_assert_int_eq(t, INT64_C(1803340800000000)); /* 2027-02-23T00:00:00Z (date -u ... +%s) */
}
END_TEST

START_TEST(parse_null_and_first_error_wins)
{
    edb_err err = EDB_ERR_INIT;
    edb_time t = 0;
    ck_assert_int_eq(edb_time_parse(NULL, NOW, &t, &err), EDB_ERR_TIME);
    ck_assert_ptr_nonnull(strstr(err.msg, "empty time"));
    /* a second failure must not replace the first message */
    ck_assert_int_eq(edb_time_parse("2022-13-01", NOW, &t, &err), EDB_ERR_TIME);
    ck_assert_ptr_nonnull(strstr(err.msg, "empty time"));
    ck_assert_ptr_null(strstr(err.msg, "month"));
    /* a NULL err is allowed */
    ck_assert_int_eq(edb_time_parse("2022-13-01", NOW, &t, NULL), EDB_ERR_TIME);
    ck_assert_int_eq(edb_time_parse("2022-01-25", NOW, NULL, NULL), EDB_ERR_USAGE);
}
END_TEST

START_TEST(parse_long_input_is_cut_in_message)
{
    char in[400];
    memset(in, '9', sizeof in - 1);
    in[sizeof in - 1] = '\0';
    edb_err err = EDB_ERR_INIT;
    edb_time t;
    ck_assert_int_eq(edb_time_parse(in, NOW, &t, &err), EDB_ERR_TIME);
    ck_assert_ptr_nonnull(strstr(err.msg, "..."));
    ck_assert_uint_lt(strlen(err.msg), 300);
}
END_TEST

/* Every fraction length from 1 to 6 against its decimal value, and 7 rejected. */
START_TEST(parse_fraction_digits)
{
    static const struct {
        const char *frac;
        int64_t want;
    } c[] = {{"5", 1500000},      {"25", 1250000},     {"125", 1125000},
             {"0625", 1062500},   {"03125", 1031250},  {"015625", 1015625}};
    for (int k = 0; k < 6; k++) {
        char in[64];
        snprintf(in, sizeof in, "1970-01-01T00:00:01.%s", c[k].frac);
        edb_time t;
        edb_err err = EDB_ERR_INIT;
        ck_assert_msg(edb_time_parse(in, 0, &t, &err) == EDB_OK, "%s: %s", in, err.msg);
        ck_assert_int_eq(t, c[k].want);
    }
    edb_time t;
    edb_err err = EDB_ERR_INIT;
    ck_assert_int_eq(edb_time_parse("1970-01-01T00:00:01.0156250", 0, &t, &err), EDB_ERR_TIME);
    ck_assert_ptr_nonnull(strstr(err.msg, "more than 6 digits"));
}
END_TEST

/* today and yesterday are the UTC midnights of the clock's day and the day before, at any
 * time of that day, the last microsecond included. */
START_TEST(parse_today_floors)
{
    const edb_time day = INT64_C(86400000000);
    const edb_time nows[] = {T_20220125, T_20220125 + INT64_C(45296789000), T_20220125 + day - 1,
                             -1 /* 1969-12-31T23:59:59.999999 */};
    const edb_time mid[] = {T_20220125, T_20220125, T_20220125, -day};
    for (int k = 0; k < 4; k++) {
        edb_time t;
        edb_err err = EDB_ERR_INIT;
        ck_assert_int_eq(edb_time_parse("today", nows[k], &t, &err), EDB_OK);
        ck_assert_int_eq(t, mid[k]);
        ck_assert_int_eq(edb_time_parse("yesterday", nows[k], &t, &err), EDB_OK);
        ck_assert_int_eq(t, mid[k] - day);
        ck_assert_int_eq(edb_time_parse("today-7d", nows[k], &t, &err), EDB_OK);
        ck_assert_int_eq(t, mid[k] - 7 * day);
    }
}
END_TEST

START_TEST(parse_now_overflow)
{
    /* Relative times stay inside the years absolute ones may name (1000-9999), and are
     * computed without overflow whatever the duration or the clock (issue 15). */
    static const struct {
        const char *in;
        edb_time now;
        const char *frag;
    } c[] = {
        {"now+1d", INT64_MAX - 5, "'now' (9223372036854775802 us since 1970) is outside the years"},
        {"now-1d", INT64_MIN + 5, "is outside the years 1000-9999"},
        {"now-9223372036854775807us", NOW, "the result is outside the years 1000-9999"},
        {"now+9223372036854775807us", NOW, "the result is outside the years 1000-9999"},
        {"now-9223372036854775807us", 0, "the result is outside the years 1000-9999"},
        {"now+300000y", NOW, "unknown unit 'y'"},
        {"now-106751991d", NOW, "the result is outside the years 1000-9999"},
        {"today-3000000d", NOW, "the result is outside the years 1000-9999"},
        {"yesterday", INT64_MIN, "'yesterday' is outside the years"},
        {"today", INT64_MIN, "'today'"},
        /* 10000-01-01 is one microsecond too late */
        {"now+1us", INT64_C(253402300799999999), "the result is outside the years"},
    };
    for (size_t k = 0; k < sizeof c / sizeof c[0]; k++) {
        edb_err err = EDB_ERR_INIT;
        edb_time t = 42;
        ck_assert_int_eq(edb_time_parse(c[k].in, c[k].now, &t, &err), EDB_ERR_TIME);
        ck_assert_msg(strstr(err.msg, c[k].frag), "%s: %s", c[k].in, err.msg);
        ck_assert_int_eq(t, 42);
    }
    /* the ends of the range themselves are fine */
    edb_time t;
    edb_err err = EDB_ERR_INIT;
    ck_assert_int_eq(edb_time_parse("now-1us", INT64_C(-30610224000000000) + 1, &t, &err), EDB_OK);
    ck_assert_int_eq(t, INT64_C(-30610224000000000));
    ck_assert_int_eq(edb_time_parse("now", INT64_C(253402300799999999), &t, &err), EDB_OK);
}
END_TEST

/* ---- durations ---------------------------------------------------------------------- */

static const valid_case DUR_VALID[] = {
    {"1us", 1},
    {"250ms", 250000},
    {"90s", INT64_C(90000000)},
    {"5sec", INT64_C(5000000)},
    {"15min", INT64_C(900000000)},
    {"6h", INT64_C(21600000000)},
    {"7d", INT64_C(604800000000)},
    {"1.5h", INT64_C(5400000000)},
    {"0.25s", 250000},
    {"1.5ms", 1500},
    {"0.000001s", 1},
    {"0.0000005d", 43200},
    {"0s", 0},
    {"000.000s", 0},
    {"1h30min", INT64_C(5400000000)},
    {"1s500ms", 1500000},
    {" 5 min ", INT64_C(300000000)},
    {"1h 30min", INT64_C(5400000000)},
    {"1.500000000000000000000000s", 1500000}, /* trailing zeros are exact */
    {"106751991d", INT64_C(9223372022400000000)}, /* the largest whole number of days */
};

START_TEST(duration_valid)
{
    const valid_case *c = &DUR_VALID[_i];
    edb_err err = EDB_ERR_INIT;
    int64_t d = -7;
    ck_assert_msg(edb_duration_parse(c->in, &d, &err) == EDB_OK, "'%s': %s", c->in, err.msg);
    ck_assert_msg(d == c->want, "'%s': got %lld, want %lld", c->in, (long long)d,
                  (long long)c->want);
}
END_TEST

static const invalid_case DUR_INVALID[] = {
    {"15m", "invalid duration '15m': unknown unit 'm' (use us, ms, s, min, h or d)"},
    {"", "invalid duration '': empty"},
    {"  ", "invalid duration '': empty"},
    {"-5s", "negative durations are not allowed"},
    {"5", "missing unit after '5'"},
    {"1.0000001s", "'1.0000001s' is finer than a microsecond"},
    {"0.5us", "finer than a microsecond"},
    {"106751992d", "too large"},
    {"99999999999999999999us", "too large"},
    {"106751991d1d", "too large"}, /* the sum overflows, not either part */
    {"1.h", "expected digits after '1.'"},
    {"h", "expected a number, found 'h'"},
    {"6h!", "unexpected '!' after '6h'"},
    {"1.5 hours", "unknown unit 'hours'"},
    {"5S", "unknown unit 'S'"},
    {"+5s", "expected a number, found '+5s'"},
    {"5s-", "unexpected '-' after '5s'"},
};

START_TEST(duration_invalid)
{
    const invalid_case *c = &DUR_INVALID[_i];
    edb_err err = EDB_ERR_INIT;
    int64_t d = -7;
    ck_assert_msg(edb_duration_parse(c->in, &d, &err) == EDB_ERR_TIME, "'%s' accepted", c->in);
    ck_assert_int_eq(err.status, EDB_ERR_TIME);
    ck_assert_msg(strstr(err.msg, c->frag) != NULL, "'%s': message '%s' lacks '%s'", c->in,
                  err.msg, c->frag);
    ck_assert_int_eq(d, -7);
}
END_TEST

START_TEST(duration_null)
{
    edb_err err = EDB_ERR_INIT;
    int64_t d;
    ck_assert_int_eq(edb_duration_parse(NULL, &d, &err), EDB_ERR_TIME);
    ck_assert_ptr_nonnull(strstr(err.msg, "empty"));
    ck_assert_int_eq(edb_duration_parse("5s", NULL, NULL), EDB_ERR_USAGE);
}
END_TEST

typedef struct dfmt_case {
    int64_t us;
    const char *want;
} dfmt_case;

static const dfmt_case DUR_FORMAT[] = {
    {0, "0s"},
    {1, "1us"},
    {250000, "250ms"},
    {1500000, "1s500ms"},
    {INT64_C(90000000), "1min30s"},
    {INT64_C(900000000), "15min"},
    {INT64_C(5400000000), "1h30min"},
    {INT64_C(21600000000), "6h"},
    {INT64_C(604800000000), "7d"},
    {INT64_C(90061001001), "1d1h1min1s1ms1us"},
    {INT64_C(-5000000), "-5s"},
    /* python: divmod(2**63 - 1, 86400e6) etc. */
    {INT64_MAX, "106751991d4h54s775ms807us"},
    {INT64_MIN, "-106751991d4h54s775ms808us"},
};

START_TEST(duration_format)
{
    const dfmt_case *c = &DUR_FORMAT[_i];
    char buf[64];
    int n = edb_duration_format(c->us, buf, sizeof buf);
    ck_assert_str_eq(buf, c->want);
    ck_assert_int_eq(n, (int)strlen(c->want));
    /* what is printed reads back (for the durations parse accepts) */
    if (c->us >= 0) {
        int64_t back = -1;
        edb_err err = EDB_ERR_INIT;
        ck_assert_msg(edb_duration_parse(buf, &back, &err) == EDB_OK, "%s: %s", buf, err.msg);
        ck_assert_int_eq(back, c->us);
    }
}
END_TEST

START_TEST(duration_format_truncates_like_snprintf)
{
    char buf[4];
    ck_assert_int_eq(edb_duration_format(INT64_C(5400000000), buf, sizeof buf), 7);
    ck_assert_str_eq(buf, "1h3");
    ck_assert_int_eq(edb_duration_format(INT64_C(5400000000), NULL, 0), 7);
}
END_TEST

/* ---- formatting ----------------------------------------------------------------------- */

typedef struct fmt_case {
    int64_t t;
    const char *iso, *iso_us, *compact;
} fmt_case;

static const fmt_case FORMAT[] = {
    {INT64_C(1643840697797123), "2022-02-02T22:24:57.797", "2022-02-02T22:24:57.797123",
     "20220202T222457"},
    {0, "1970-01-01T00:00:00.000", "1970-01-01T00:00:00.000000", "19700101T000000"},
    /* before 1970 every field floors toward the past */
    {-1, "1969-12-31T23:59:59.999", "1969-12-31T23:59:59.999999", "19691231T235959"},
    {-1500, "1969-12-31T23:59:59.998", "1969-12-31T23:59:59.998500", "19691231T235959"},
    {INT64_C(-1000000), "1969-12-31T23:59:59.000", "1969-12-31T23:59:59.000000",
     "19691231T235959"},
    {INT64_C(-3506716800000000), "1858-11-17T00:00:00.000", "1858-11-17T00:00:00.000000",
     "18581117T000000"},
    {INT64_C(-30610224000000000), "1000-01-01T00:00:00.000", "1000-01-01T00:00:00.000000",
     "10000101T000000"},
    {INT64_C(253402300799999999), "9999-12-31T23:59:59.999", "9999-12-31T23:59:59.999999",
     "99991231T235959"},
    {INT64_C(951782400000999), "2000-02-29T00:00:00.000", "2000-02-29T00:00:00.000999",
     "20000229T000000"},
};

START_TEST(format_all)
{
    const fmt_case *c = &FORMAT[_i];
    char buf[EDB_TIME_STRLEN];
    ck_assert_int_eq(edb_time_format_iso(c->t, buf, sizeof buf), (int)strlen(c->iso));
    ck_assert_str_eq(buf, c->iso);
    ck_assert_int_eq(edb_time_format_iso_us(c->t, buf, sizeof buf), (int)strlen(c->iso_us));
    ck_assert_str_eq(buf, c->iso_us);
    ck_assert_int_eq(edb_time_format_compact(c->t, buf, sizeof buf), (int)strlen(c->compact));
    ck_assert_str_eq(buf, c->compact);
}
END_TEST

START_TEST(format_truncates_like_snprintf)
{
    char buf[5];
    ck_assert_int_eq(edb_time_format_iso(T_20220125, buf, sizeof buf), 23);
    ck_assert_str_eq(buf, "2022");
    ck_assert_int_eq(edb_time_format_iso_us(T_20220125, NULL, 0), 26);
    ck_assert_int_eq(edb_time_format_compact(T_20220125, NULL, 0), 15);
}
END_TEST

START_TEST(format_extremes_fit)
{
    char buf[EDB_TIME_STRLEN];
    ck_assert_int_lt(edb_time_format_iso_us(INT64_MIN, buf, sizeof buf), EDB_TIME_STRLEN);
    ck_assert_int_lt(edb_time_format_iso_us(INT64_MAX, buf, sizeof buf), EDB_TIME_STRLEN);
    ck_assert_int_lt(edb_time_format_iso(INT64_MIN, buf, sizeof buf), EDB_TIME_STRLEN);
    ck_assert_int_lt(edb_time_format_compact(INT64_MAX, buf, sizeof buf), EDB_TIME_STRLEN);
}
END_TEST

/* What the formatter writes, the parser reads back, over many times in 1000..9999. */
START_TEST(format_parse_round_trip)
{
    const int64_t lo = INT64_C(-30610224000000000), hi = INT64_C(253402300799999999);
    const int64_t step = (hi - lo) / 200000 + 7; /* odd-ish so every field varies */
    for (int64_t t = lo; t <= hi; t += step) {
        char buf[EDB_TIME_STRLEN];
        edb_time back;
        edb_err err = EDB_ERR_INIT;
        /* plain ifs in hot loops: each ck_assert costs a write to Check's pipe */
        edb_time_format_iso_us(t, buf, sizeof buf);
        if (edb_time_parse(buf, 0, &back, &err) != EDB_OK || back != t)
            ck_abort_msg("%s: %s, got %lld want %lld", buf, err.msg, (long long)back,
                         (long long)t);
        edb_time_format_iso(t, buf, sizeof buf);
        if (edb_time_parse(buf, 0, &back, &err) != EDB_OK || back != edb_time_floor(t, 1000))
            ck_abort_msg("%s: %s, got %lld for %lld", buf, err.msg, (long long)back,
                         (long long)t);
    }
}
END_TEST

/* ---- civil calendar --------------------------------------------------------------------- */

START_TEST(civil_known_days)
{
    ck_assert_int_eq(edb_days_from_civil(1970, 1, 1), 0);
    ck_assert_int_eq(edb_days_from_civil(1969, 12, 31), -1);
    ck_assert_int_eq(edb_days_from_civil(2000, 3, 1), 11017); /* date -u -d 2000-03-01 +%s / 86400 */
    ck_assert_int_eq(edb_days_from_civil(1000, 1, 1), -354285);
    ck_assert_int_eq(edb_days_from_civil(2022, 1, 25), 19017);
    int64_t y;
    unsigned m, d;
    edb_civil_from_days(-1, &y, &m, &d);
    ck_assert(y == 1969 && m == 12 && d == 31);
    edb_civil_from_days(11016, &y, &m, &d);
    ck_assert(y == 2000 && m == 2 && d == 29);
    /* far outside the parser's range the algorithm still holds: year 0 is a leap year */
    edb_civil_from_days(edb_days_from_civil(0, 2, 29), &y, &m, &d);
    ck_assert(y == 0 && m == 2 && d == 29);
    ck_assert_int_eq(edb_days_from_civil(0, 3, 1) - edb_days_from_civil(0, 2, 28), 2);
}
END_TEST

/* Walks every day from 1000-01-01 to 9999-12-31 with a calendar counted by hand (no
 * shared code with the library), checking both directions. */
START_TEST(civil_every_day)
{
    static const unsigned dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int64_t y = 1000;
    unsigned m = 1, d = 1;
    for (int64_t z = -354285; y <= 9999; z++) {
        if (edb_days_from_civil(y, m, d) != z)
            ck_abort_msg("%lld-%u-%u: got day %lld, want %lld", (long long)y, m, d,
                         (long long)edb_days_from_civil(y, m, d), (long long)z);
        int64_t yy;
        unsigned mm, dd;
        edb_civil_from_days(z, &yy, &mm, &dd);
        if (yy != y || mm != m || dd != d)
            ck_abort_msg("day %lld: got %lld-%u-%u, want %lld-%u-%u", (long long)z,
                         (long long)yy, mm, dd, (long long)y, m, d);
        int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        unsigned last = dim[m - 1] + (m == 2 && leap);
        if (++d > last) {
            d = 1;
            if (++m > 12) {
                m = 1;
                y++;
            }
        }
    }
}
END_TEST

START_TEST(civil_time_fields)
{
    ck_assert_int_eq(edb_time_from_civil(2022, 2, 2, 22, 24, 57, 797123),
                     INT64_C(1643840697797123));
    ck_assert_int_eq(edb_time_from_civil(1969, 12, 31, 23, 59, 59, 999999), -1);
    int y, mo, d, h, mi, s, us;
    edb_time_to_civil(-1, &y, &mo, &d, &h, &mi, &s, &us);
    ck_assert(y == 1969 && mo == 12 && d == 31 && h == 23 && mi == 59 && s == 59 &&
              us == 999999);
    edb_time_to_civil(INT64_C(1643840697797123), &y, &mo, &d, &h, &mi, &s, &us);
    ck_assert(y == 2022 && mo == 2 && d == 2 && h == 22 && mi == 24 && s == 57 && us == 797123);
    /* every output may be NULL */
    edb_time_to_civil(0, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
}
END_TEST

/* ---- MJD ------------------------------------------------------------------------------ */

START_TEST(mjd_known_values)
{
    ck_assert(edb_time_to_mjd(0) == 40587.0);
    ck_assert(edb_time_to_mjd(INT64_C(1643803200000000)) == 59612.5);
    ck_assert(edb_time_to_mjd(INT64_C(-3506716800000000)) == 0.0);
    ck_assert(edb_time_to_mjd(INT64_C(-43200000000)) == 40586.5);
    ck_assert(edb_time_to_mjd(-1) < 40587.0);
    ck_assert_int_eq(edb_time_from_mjd(59612.5), INT64_C(1643803200000000));
    ck_assert_int_eq(edb_time_from_mjd(40587.0), 0);
    ck_assert_int_eq(edb_time_from_mjd(0.0), INT64_C(-3506716800000000));
    ck_assert_int_eq(edb_time_from_mjd(40586.5), INT64_C(-43200000000));
    /* 59612.934002280 days is ...796992 us exactly (python Decimal); the nearest double
     * is within 1e-11 day of it, far less than half a microsecond */
    ck_assert_int_eq(edb_time_from_mjd(59612.934002280), INT64_C(1643840697796992));
    ck_assert_int_eq(edb_time_from_mjd(NAN), EDB_TIME_MIN);
    ck_assert_int_eq(edb_time_from_mjd(INFINITY), EDB_TIME_MAX);
    ck_assert_int_eq(edb_time_from_mjd(-INFINITY), EDB_TIME_MIN);
    ck_assert_int_eq(edb_time_from_mjd(1e300), EDB_TIME_MAX);
}
END_TEST

/* The MJD text form and the double form agree. */
START_TEST(mjd_text_and_double_agree)
{
    edb_time t;
    edb_err err = EDB_ERR_INIT;
    ck_assert_int_eq(edb_time_parse("mjd:59612.9340022801", 0, &t, &err), EDB_OK);
    ck_assert_int_eq(t, INT64_C(1643840697797001));
    ck_assert_int_eq(edb_time_from_mjd(edb_time_to_mjd(t)), t);
}
END_TEST

/* Millisecond stamps survive to_mjd and back across 2000..2040: a million samples at an
 * irregular millisecond step, plus every millisecond of one hour in 2039, where a double
 * MJD can no longer tell neighbouring microseconds apart. */
START_TEST(mjd_round_trip_ms_sweep)
{
    const int64_t t2000 = INT64_C(946684800000000), t2040 = INT64_C(2208988800000000);
    const int64_t step = ((t2040 - t2000) / 1000000 / 1000 + 1) * 1000 + 3000;
    long n = 0;
    for (int64_t t = t2000; t < t2040; t += step, n++) {
        edb_time back = edb_time_from_mjd(edb_time_to_mjd(t));
        if (back != t)
            ck_abort_msg("t=%lld came back as %lld", (long long)t, (long long)back);
    }
    ck_assert_int_ge(n, 990000);
    const int64_t t2039 = INT64_C(2177452800000000);
    for (int64_t t = t2039; t < t2039 + INT64_C(3600000000); t += 1000) {
        edb_time back = edb_time_from_mjd(edb_time_to_mjd(t));
        if (back != t)
            ck_abort_msg("t=%lld came back as %lld", (long long)t, (long long)back);
    }
}
END_TEST

/* Before MJD 65536 (2038) a double still separates microseconds: every microsecond of a
 * stretch in 2000 and in 2037 comes back exactly. */
START_TEST(mjd_round_trip_us)
{
    static const int64_t starts[] = {INT64_C(946684800000000), INT64_C(2114380800000000)};
    for (size_t k = 0; k < 2; k++)
        for (int64_t t = starts[k]; t < starts[k] + 2000000; t++) {
            edb_time back = edb_time_from_mjd(edb_time_to_mjd(t));
            if (back != t)
                ck_abort_msg("t=%lld came back as %lld", (long long)t, (long long)back);
        }
}
END_TEST

/* ---- floor and ceiling ------------------------------------------------------------------ */

START_TEST(floor_ceil)
{
    const int64_t S = EDB_USEC_PER_SEC, D = EDB_USEC_PER_DAY;
    ck_assert_int_eq(edb_time_floor(1500000, S), S);
    ck_assert_int_eq(edb_time_ceil(1500000, S), 2 * S);
    ck_assert_int_eq(edb_time_floor(2 * S, S), 2 * S);
    ck_assert_int_eq(edb_time_ceil(2 * S, S), 2 * S);
    ck_assert_int_eq(edb_time_floor(-1, S), -S);
    ck_assert_int_eq(edb_time_ceil(-1, S), 0);
    ck_assert_int_eq(edb_time_floor(-S, S), -S);
    ck_assert_int_eq(edb_time_ceil(-S - 1, S), -S);
    ck_assert_int_eq(edb_time_floor(T_20220125 + 5, D), T_20220125);
    ck_assert_int_eq(edb_time_ceil(T_20220125 + 5, D), T_20220125 + D);
    ck_assert_int_eq(edb_time_floor(-1, D), -D); /* 1969-12-31T23:59:59.999999 -> that day */
    ck_assert_int_eq(edb_time_floor(INT64_C(1643840697797123), 1000), INT64_C(1643840697797000));
    ck_assert_int_eq(edb_time_ceil(INT64_C(1643840697797123), 1000), INT64_C(1643840697798000));
    ck_assert_int_eq(edb_time_floor(12345, 0), 12345); /* no unit: unchanged */
    ck_assert_int_eq(edb_time_ceil(12345, -1), 12345);
    ck_assert_int_eq(edb_time_floor(INT64_MIN, S), INT64_C(-9223372036854000000));
    /* no multiple above: the largest representable one */
    ck_assert_int_eq(edb_time_ceil(INT64_MAX, S), INT64_MAX - INT64_MAX % S);
}
END_TEST

/* ---- the clock ----------------------------------------------------------------------------- */

START_TEST(now_is_plausible)
{
    edb_time a = edb_time_now();
    edb_time b = edb_time_now();
    ck_assert_int_gt(a, INT64_C(1577836800000000)); /* after 2020-01-01 */
    ck_assert_int_lt(a, INT64_C(4102444800000000)); /* before 2100-01-01 */
    ck_assert_int_ge(b + 1000000, a);               /* allow for a small clock step */
}
END_TEST

static Suite *time_suite(void)
{
    Suite *s = suite_create("time");
    TCase *tc = tcase_create("parse");
    tcase_add_loop_test(tc, parse_valid, 0, (int)(sizeof VALID / sizeof VALID[0]));
    tcase_add_loop_test(tc, parse_invalid, 0, (int)(sizeof INVALID / sizeof INVALID[0]));
    tcase_add_test(tc, parse_iso_stamps);
    tcase_add_test(tc, parse_null_and_first_error_wins);
    tcase_add_test(tc, parse_long_input_is_cut_in_message);
    tcase_add_test(tc, parse_fraction_digits);
    tcase_add_test(tc, parse_now_overflow);
    tcase_add_test(tc, parse_today_floors);
    suite_add_tcase(s, tc);

    tc = tcase_create("duration");
    tcase_add_loop_test(tc, duration_valid, 0, (int)(sizeof DUR_VALID / sizeof DUR_VALID[0]));
    tcase_add_loop_test(tc, duration_invalid, 0,
                        (int)(sizeof DUR_INVALID / sizeof DUR_INVALID[0]));
    tcase_add_test(tc, duration_null);
    tcase_add_loop_test(tc, duration_format, 0, (int)(sizeof DUR_FORMAT / sizeof DUR_FORMAT[0]));
    tcase_add_test(tc, duration_format_truncates_like_snprintf);
    suite_add_tcase(s, tc);

    tc = tcase_create("format");
    tcase_add_loop_test(tc, format_all, 0, (int)(sizeof FORMAT / sizeof FORMAT[0]));
    tcase_add_test(tc, format_truncates_like_snprintf);
    tcase_add_test(tc, format_extremes_fit);
    tcase_add_test(tc, format_parse_round_trip);
    suite_add_tcase(s, tc);

    tc = tcase_create("calendar");
    tcase_add_test(tc, civil_known_days);
    tcase_add_test(tc, civil_every_day);
    tcase_add_test(tc, civil_time_fields);
    suite_add_tcase(s, tc);

    tc = tcase_create("mjd");
    tcase_add_test(tc, mjd_known_values);
    tcase_add_test(tc, mjd_text_and_double_agree);
    tcase_add_test(tc, mjd_round_trip_ms_sweep);
    tcase_add_test(tc, mjd_round_trip_us);
    suite_add_tcase(s, tc);

    tc = tcase_create("misc");
    tcase_add_test(tc, floor_ceil);
    tcase_add_test(tc, now_is_plausible);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(time_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
