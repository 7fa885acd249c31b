/* common.c: what several writers share: units, the creator string, small checks. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <edb/edb.h>

#include "formats.h"

typedef struct unit_map {
    const char *edb;
    const char *fits;
} unit_map;

/* Symbols that are already valid FITS units (FITS Standard 4.0, tables 4.3 and 4.4),
 * matched exactly because case matters for them (mV, MV). */
static const char *const fits_symbols[] = {
    "V", "mV", "uV", "kV", "A", "mA", "uA", "W", "mW", "kW", "K", "s", "ms", "us", "ns",
    "min", "h", "d", "Hz", "kHz", "MHz", "GHz", "rad", "mrad", "urad", "deg", "arcsec",
    "arcmin", "mas", "m", "mm", "um", "nm", "km", "Pa", "kPa", "hPa", "Ohm", "kOhm", "N",
    "J", "T", "G", "count", "ct", "photon", "rad/s", "deg/s", "m/s", "mm/s", "arcsec/s",
    "V/s", "K/s", "Hz/s", "byte", "bit", NULL};

/* Spellings the EDB uses that FITS writes differently, matched without regard to case. */
static const unit_map word_units[] = {
    {"volt", "V"},        {"volts", "V"},        {"millivolt", "mV"}, {"millivolts", "mV"},
    {"amp", "A"},         {"amps", "A"},         {"ampere", "A"},     {"amperes", "A"},
    {"milliamp", "mA"},   {"milliamps", "mA"},   {"watt", "W"},       {"watts", "W"},
    {"sec", "s"},         {"secs", "s"},         {"second", "s"},     {"seconds", "s"},
    {"msec", "ms"},       {"millisecond", "ms"}, {"milliseconds", "ms"},
    {"usec", "us"},       {"microseconds", "us"},
    {"minute", "min"},    {"minutes", "min"},    {"hour", "h"},       {"hours", "h"},
    {"day", "d"},         {"days", "d"},
    {"count", "count"},   {"counts", "count"},   {"cnt", "count"},    {"cnts", "count"},
    {"degree", "deg"},    {"degrees", "deg"},    {"degs", "deg"},
    {"radian", "rad"},    {"radians", "rad"},    {"kelvin", "K"},     {"degK", "K"},
    {"hertz", "Hz"},      {"ohm", "Ohm"},        {"ohms", "Ohm"},
    {"deg/sec", "deg/s"}, {"rad/sec", "rad/s"},  {"arcsec/sec", "arcsec/s"},
    {"meter", "m"},       {"meters", "m"},       {"pascal", "Pa"},    {"newton", "N"},
    {"bytes", "byte"},    {"bits", "bit"},
    {NULL, NULL}};

const char *edb__fits_unit(const char *u)
{
    if (!u || !*u)
        return NULL;
    for (const char *const *p = fits_symbols; *p; p++)
        if (strcmp(*p, u) == 0)
            return *p;
    for (const unit_map *m = word_units; m->edb; m++)
        if (strcasecmp(m->edb, u) == 0)
            return m->fits;
    return NULL;
}

edb_status edb__check_level(const char *key, const char *value, edb_err *err)
{
    if (value[0] < '0' || value[0] > '9' || value[1])
        return edb_err_set(err, EDB_ERR_USAGE, "-O %s=%.40s: the deflate level is a whole number "
                           "from 0 (no compression) to 9 (smallest file); the default is 1",
                           key, value);
    return EDB_OK;
}

void edb__creator(char *buf, size_t n)
{
    snprintf(buf, n, "edbx %s", edb_version());
}

int edb__is_ascii(const char *s, size_t len)
{
    for (size_t k = 0; k < len; k++)
        if ((unsigned char)s[k] < 0x20 || (unsigned char)s[k] > 0x7e)
            return 0;
    return 1;
}

long edb__mjd_day(edb_time t)
{
    int64_t days = t / EDB_USEC_PER_DAY;
    if (t % EDB_USEC_PER_DAY < 0)
        days--;
    return (long)(days + EDB_MJD_UNIX_EPOCH);
}

int edb__fits_int32(const int64_t *v, const uint8_t *valid, size_t n)
{
    for (size_t k = 0; k < n; k++)
        if ((!valid || valid[k]) && (v[k] <= INT32_MIN || v[k] > INT32_MAX))
            return 0;
    return 1;
}
