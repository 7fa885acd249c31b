/* formats.h: the table of functions each format implements (internal to formats/).
 *
 * Adding a format is one file with one `const edb__format` and one line in the registry
 * (writer.c).  writer.c owns everything around the format: the temporary file beside
 * the target, the rename, the cleanup, standard output.  common.c holds what several
 * formats share (units, run metadata, the order columns are described in). */
#ifndef EDB_FORMATS_INTERNAL_H
#define EDB_FORMATS_INTERNAL_H

#include <stdio.h>

#include <edb/writer.h>

/* What a format is given for one write. */
typedef struct edb__wctx {
    const char *path;         /* the temporary file to write (streams == 0), else NULL */
    FILE *f;                  /* where to write (streams == 1), else NULL */
    const edb_run_info *run;  /* may be NULL */
    int compress;             /* 0-9, already defaulted */
    int astropy_time;
    edb_err *err;             /* the writer's; formats say what failed in it */
} edb__wctx;

typedef struct edb__format {
    const char *name;              /* "csv" */
    const char *const *extensions; /* NULL-terminated, with the dot: ".csv" */
    /* 1: writes to the FILE* given (text formats, can go to stdout directly); 0: writes
     * to the named (temporary) file itself, as cfitsio and HDF5 need, and f is NULL. */
    int streams;
    edb_status (*write_series)(const edb__wctx *c, const edb_series *const *series, size_t n);
    edb_status (*write_table)(const edb__wctx *c, const edb_table *t);
} edb__format;

extern const edb__format edb__format_csv;
extern const edb__format edb__format_csvgz;
extern const edb__format edb__format_ecsv;
extern const edb__format edb__format_fits;
extern const edb__format edb__format_hdf5;

/* ---- common.c ---------------------------------------------------------------------- */

/* The FITS (and astropy) spelling of an EDB unit ("volts" -> "V", "sec" -> "s",
 * "counts" -> "count"), or NULL when the unit is not one FITS defines: such a unit is
 * kept verbatim in a keyword or attribute of its own instead of TUNIT/unit, because
 * readers warn about or choke on units they do not know. */
const char *edb__fits_unit(const char *edb_unit);

/* "edbx 0.1.0" into buf. */
void edb__creator(char *buf, size_t n);

/* Is every byte printable ASCII (FITS header strings must be)? */
int edb__is_ascii(const char *s, size_t len);

/* Integer MJD of the day holding t (UTC), the reference of FITS TIME columns. */
long edb__mjd_day(edb_time t);

/* Does every valid int64 in v[0..n) fit in int32 without taking INT32_MIN, which is kept
 * for "no value" (FITS TNULL, the HDF5 fill)?  valid may be NULL (all valid). */
int edb__fits_int32(const int64_t *v, const uint8_t *valid, size_t n);

/* A CSV field: verbatim, or quoted per RFC 4180 when it holds a comma, a quote, CR, LF or
 * a leading or trailing blank (csv.c). */
void edb__csv_put_string(FILE *f, const char *s, size_t len);

#endif
