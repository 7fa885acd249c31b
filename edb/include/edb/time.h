/* edb/time.h: the one time representation of edbx and every conversion to and from it.
 *
 * edb_time is signed 64-bit microseconds since 1970-01-01T00:00:00 UTC, POSIX style (no
 * leap seconds, like the EDB's own stamps).  It holds the EDB's millisecond stamps exactly
 * and spans +-292,000 years.  Durations are plain int64 microseconds.
 *
 * Accepted input (edb_time_parse), UTC unless a zone offset is given:
 *   2022-01-25                     2022-01-25T00:00:00         2022-01-25 00:00:00.123456
 *   any of those with a trailing Z 2022-025T00:00:00 / 2022-025 (day of year)
 *   2022:025:00:00:00[.fff]        mjd:59612.5                 now, now-6h, now+90s
 *   a time of day with an ISO 8601 offset, converted to UTC: 2022-01-25T08:00:00-04:00
 *   today, yesterday (UTC midnights of now's day and the day before), today-7d
 * Fractions take up to 6 digits (microseconds); more digits are an error, not a rounding.
 * Every result, relative ones included, lies in the years 1000-9999.
 * Durations (edb_duration_parse): a positive or zero decimal number followed by a unit
 * us, ms, s (or sec), min, h, d, e.g. 250ms, 1.5h, 7d; several may follow each other, largest
 * first (1h30min, 1s500ms), which is what edb_duration_format prints.  "m" is refused as
 * ambiguous. */
#ifndef EDB_TIME_H
#define EDB_TIME_H

#include <stddef.h>
#include <stdint.h>

#include <edb/status.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef int64_t edb_time;

#define EDB_TIME_MIN INT64_MIN
#define EDB_TIME_MAX INT64_MAX
#define EDB_USEC_PER_SEC INT64_C(1000000)
#define EDB_USEC_PER_DAY INT64_C(86400000000)
#define EDB_MJD_UNIX_EPOCH 40587 /* MJD of 1970-01-01 */

/* Parse a point in time.  `now` is what "now" means (the library never reads the clock:
 * pass edb_time_now() or a fixed value).  On failure returns EDB_ERR_TIME and puts into
 * err a message that quotes the input and names the bad part
 * ("invalid time '2022-13-01': month 13 out of range (1-12)"). */
edb_status edb_time_parse(const char *s, edb_time now, edb_time *out, edb_err *err);

/* Parse a time stamp as a service writes it, from len bytes (no NUL needed, no white space
 * allowed): YYYY-MM-DDThh:mm:ss[.ffffff] ('T' or a space), then an optional Z or a UTC
 * offset (+hh:mm, +hhmm or +hh; '-' west), which is applied: 2027-02-23T01:00:00+01:00 is
 * 2027-02-23T00:00:00Z.  Nothing else (no day of year, no date alone, no "now").  On failure
 * EDB_ERR_TIME and a message in err, as edb_time_parse. */
edb_status edb_time_parse_iso(const char *s, size_t len, edb_time *out, edb_err *err);

/* Parse a duration such as 250ms, 90s, 15min, 6h, 7d.  EDB_ERR_TIME on failure. */
edb_status edb_duration_parse(const char *s, int64_t *out_us, edb_err *err);

/* The current time from the system clock (CLOCK_REALTIME), for callers that want it. */
edb_time edb_time_now(void);

/* Civil date and time <-> edb_time.  edb_time_from_civil does not validate (use it for
 * already-checked fields); month 1-12, day 1-31. */
edb_time edb_time_from_civil(int year, int month, int day, int hour, int min, int sec, int usec);
void edb_time_to_civil(edb_time t, int *year, int *month, int *day, int *hour, int *min,
                       int *sec, int *usec);

/* Day number since 1970-01-01 of a proleptic Gregorian date, and back. */
int64_t edb_days_from_civil(int64_t y, unsigned m, unsigned d);
void edb_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);

/* Formatting.  All return the number of characters written (not counting the NUL), as
 * snprintf does; buffers of EDB_TIME_STRLEN bytes are always enough.
 *   edb_time_format_iso:   2022-02-02T22:24:57.797      (milliseconds, truncated toward
 *                          the past; UTC, no zone letter, as astropy's isot format)
 *   edb_time_format_iso_us 2022-02-02T22:24:57.797123   (microseconds)
 *   edb_time_format_compact 20220202T222457             (whole seconds, truncated; the
 *                          form path A URLs use) */
#define EDB_TIME_STRLEN 40
int edb_time_format_iso(edb_time t, char *buf, size_t n);
int edb_time_format_iso_us(edb_time t, char *buf, size_t n);
int edb_time_format_compact(edb_time t, char *buf, size_t n);

/* MJD (UTC) as a double, and back.  from_mjd rounds to the nearest microsecond; where a
 * double cannot tell neighbouring microseconds apart (after MJD 65536, in 2038) it returns
 * the one with the most trailing zeros, so that millisecond stamps survive a round trip. */
double edb_time_to_mjd(edb_time t);
edb_time edb_time_from_mjd(double mjd);

/* Floor and ceiling to a multiple of `unit` microseconds (e.g. whole seconds). */
edb_time edb_time_floor(edb_time t, int64_t unit);
edb_time edb_time_ceil(edb_time t, int64_t unit);

/* Format a duration the way a person reads it, largest units first, no fractions:
 * "250ms", "1min30s", "1h30min", "7d"; 0 is "0s". */
int edb_duration_format(int64_t us, char *buf, size_t n);

#ifdef __cplusplus
}
#endif
#endif
