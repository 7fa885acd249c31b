/* during.c: `edbx get --during FILE.fits[+PAD]`: the time range of an exposure, read from
 * a JWST product's primary header, as the MAST portal pre-fills it from an observation.
 *
 * EXPSTART and EXPEND (UTC MJD) when the header has both, else DATE-BEG and DATE-END
 * (ISO 8601, UTC).  The MJD is read as the text the header holds and converted with the
 * exact decimal arithmetic of edb_time_parse ("mjd:..."), not through a double.  The file
 * is opened with fits_open_diskfile, which takes the name as it is (cfitsio's extended
 * syntax would read '[' or '+' in a name as an instruction). */
#include <fitsio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

/* An MJD keyword's value as written ("59612.93400522" or "5.961293400522E+04"). */
static edb_status mjd_value(fitsfile *fp, const char *key, edb_time *out, const char *path,
                            edb_err *err)
{
    char v[FLEN_VALUE];
    int status = 0;
    fits_read_keyword(fp, key, v, NULL, &status);
    if (status)
        return EDB_ERR_NOT_FOUND;
    char text[FLEN_VALUE + 8];
    snprintf(text, sizeof text, "mjd:%s", v);
    edb_err terr = EDB_ERR_INIT;
    if (edb_time_parse(text, 0, out, &terr) == EDB_OK)
        return EDB_OK;
    /* Not a plain decimal (an exponent): the double is all there is. */
    double d;
    status = 0;
    fits_read_key_dbl(fp, key, &d, NULL, &status);
    if (status || !(d > 0) || d > 3e6)
        return edb_err_set(err, EDB_ERR_USAGE, "--during %s: %s = %s is not an MJD", path, key,
                           v);
    *out = edb_time_from_mjd(d);
    return EDB_OK;
}

/* An ISO date keyword ('2022-02-02T22:24:58.053'); digits past the microsecond are cut. */
static edb_status date_value(fitsfile *fp, const char *key, edb_time *out, const char *path,
                             edb_err *err)
{
    char v[FLEN_VALUE];
    int status = 0;
    fits_read_key_str(fp, key, v, NULL, &status);
    if (status)
        return EDB_ERR_NOT_FOUND;
    char *dot = strchr(v, '.');
    if (dot) {
        size_t nd = strspn(dot + 1, "0123456789");
        if (nd > 6)
            memmove(dot + 7, dot + 1 + nd, strlen(dot + 1 + nd) + 1);
    }
    edb_err terr = EDB_ERR_INIT;
    if (edb_time_parse(v, 0, out, &terr) != EDB_OK)
        return edb_err_set(err, EDB_ERR_USAGE, "--during %s: %s: %s", path, key, terr.msg);
    return EDB_OK;
}

edb_status cli_during_read(const char *arg, cli_range *out, edb_err *err)
{
    memset(out, 0, sizeof *out);
    /* FILE+PAD: the last '+' starts a padding when what follows is a duration and the
     * whole argument is not itself a file. */
    char *path = strdup(arg);
    if (!path)
        return edb_err_set(err, EDB_ERR_NOMEM, "out of memory");
    int64_t pad = 0;
    struct stat stb;
    char *plus = strrchr(path, '+');
    if (plus && stat(arg, &stb) != 0) {
        edb_err derr = EDB_ERR_INIT;
        int64_t d;
        if (edb_duration_parse(plus + 1, &d, &derr) == EDB_OK) {
            *plus = '\0';
            pad = d;
        }
    }
    fitsfile *fp = NULL;
    int status = 0;
    fits_open_diskfile(&fp, path, READONLY, &status);
    if (status) {
        char text[FLEN_STATUS];
        fits_get_errstatus(status, text);
        fits_clear_errmsg();
        edb_status st = edb_err_set(err, EDB_ERR_IO, "--during %s: cannot read it as a FITS "
                                    "file: %s", path, text);
        free(path);
        return st;
    }
    edb_time a = 0, b = 0;
    const char *ka = "EXPSTART", *kb = "EXPEND";
    edb_status sa = mjd_value(fp, ka, &a, path, err), sb = EDB_ERR_NOT_FOUND;
    if (sa == EDB_OK)
        sb = mjd_value(fp, kb, &b, path, err);
    if (sa == EDB_ERR_NOT_FOUND || sb == EDB_ERR_NOT_FOUND) {
        ka = "DATE-BEG";
        kb = "DATE-END";
        sa = date_value(fp, ka, &a, path, err);
        sb = sa == EDB_OK ? date_value(fp, kb, &b, path, err) : EDB_ERR_NOT_FOUND;
    }
    status = 0;
    fits_close_file(fp, &status);
    fits_clear_errmsg();
    edb_status st = EDB_OK;
    if (sa == EDB_ERR_NOT_FOUND || sb == EDB_ERR_NOT_FOUND)
        st = edb_err_set(err, EDB_ERR_USAGE, "--during %s: the primary header has neither "
                         "EXPSTART and EXPEND nor DATE-BEG and DATE-END (the exposure's start "
                         "and end): give --start and --end instead", path);
    else if (sa != EDB_OK || sb != EDB_OK)
        st = err->status ? err->status : EDB_ERR_USAGE;
    else if (b < a)
        st = edb_err_set(err, EDB_ERR_USAGE, "--during %s: %s is before %s", path, kb, ka);
    else if (pad > a - edb_time_from_civil(1000, 1, 1, 0, 0, 0, 0) ||
             pad > edb_time_from_civil(9999, 12, 31, 23, 59, 59, 999999) - b)
        st = edb_err_set(err, EDB_ERR_USAGE, "--during %s: a padding of that size leaves the "
                         "years 1000-9999", arg);
    if (st != EDB_OK) {
        free(path);
        return st;
    }
    out->start = a - pad;
    out->end = b + pad;
    /* The file's name without its folders: what a replay, reading a copy elsewhere, writes
     * again. */
    const char *base = strrchr(path, '/');
    out->label = strdup(base ? base + 1 : path);
    free(path);
    if (!out->label)
        return edb_err_set(err, EDB_ERR_NOMEM, "out of memory");
    return EDB_OK;
}
