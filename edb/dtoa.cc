/* dtoa.cc: the one C++ file of libedb.  It exists for std::to_chars (C++17), the standard
 * library's shortest round-trip conversion (Ryu in libstdc++): correct by specification,
 * maintained with the compiler, and several times faster than anything built on printf
 * and strtod, which is what lets the CSV writer keep up with FITS and HDF5.  numparse.c
 * lays the digits out the way printf's %g would; see edb_format_double there. */
#include <charconv>
#include <system_error>

#include "dtoa.h"

extern "C" int edb__shortest_digits(double v, char *digits, int *exp10)
{
    // "d.ddde+XX" or "de+XX": scientific keeps the layout fixed, whatever the magnitude.
    char buf[40];
    std::to_chars_result r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
    if (r.ec != std::errc())
        return -1;
    const char *p = buf, *e = r.ptr;
    int n = 0;
    for (; p < e && *p != 'e'; p++)
        if (*p >= '0' && *p <= '9') {
            if (n == 17)
                return -1;
            digits[n++] = *p;
        }
    if (n == 0 || e - p < 3)
        return -1;
    int neg = p[1] == '-';
    int x = 0;
    for (p += 2; p < e; p++)
        x = x * 10 + (*p - '0');
    *exp10 = neg ? -x : x;
    while (n > 1 && digits[n - 1] == '0') // the standard does not promise their absence
        n--;
    return n;
}
