/* dtoa.h: shortest round-trip digits of a double (dtoa.cc, C++), for numparse.c. */
#ifndef EDB_DTOA_H
#define EDB_DTOA_H

#ifdef __cplusplus
extern "C" {
#endif

/* v finite and > 0.  Writes the shortest decimal significand that reads back as v
 * (nearest to v among the shortest, exact ties to even; no trailing zeros, no point) to
 * digits (room for 17) and its decimal exponent, as in d.ddd x 10^exp10, to *exp10.
 * Returns the number of digits, or -1 (cannot happen for such v). */
int edb__shortest_digits(double v, char *digits, int *exp10);

#ifdef __cplusplus
}
#endif

#endif
