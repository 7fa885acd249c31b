/* edb/number.h: exact, locale-free number parsing and printing, shared by the decoders,
 * the writers and the command line.
 *
 * Parsing is exact for every input (a fast path for up to 15 significant digits, a
 * correct fallback otherwise) and never depends on the locale.  Printing gives the
 * shortest text that reads back as the same double, so a value survives any number of
 * round trips through our files. */
#ifndef EDB_NUMBER_H
#define EDB_NUMBER_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Return 0 on success, -1 if [s, s+len) is not entirely a number. */
int edb_parse_double(const char *s, size_t len, double *out);
int edb_parse_int64(const char *s, size_t len, int64_t *out);

/* Shortest decimal text that reads back as the same double ("%.15g", then 16, then 17
 * digits); NaN and infinities as "nan", "inf", "-inf".  Returns the length. */
int edb_format_double(double v, char *buf, size_t n);

#ifdef __cplusplus
}
#endif
#endif
