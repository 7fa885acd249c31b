/* edb/writer.h: writing query results to files: CSV, gzipped CSV, ECSV, FITS, HDF5.
 *
 * Each format is one file in formats/ with a const table of functions; a registry maps
 * format names and file extensions to them.  What a writer does with its path:
 *  - a new name, or an existing regular file: the output is written to a temporary file
 *    beside it and renamed over it only in edb_writer_close (an existing file keeps its
 *    mode, and its owner where the system allows); edb_writer_free of a writer that was
 *    not closed successfully removes the temporary file, so a failed run never leaves a
 *    file, or half a file, under the target's name;
 *  - a symbolic link: the same, for the file the link names (the link stays a link);
 *  - "-" (standard output), or an existing device or FIFO: written to directly, as it
 *    is produced (not atomic, by nature); FITS and HDF5, which need a file they can
 *    seek in, are built in $TMPDIR and copied out once complete;
 *  - refused at open, before anything is written: "", a folder, a socket, a file with
 *    more than one hard link (renaming would silently split it from its other names),
 *    and a name whose extension no format has unless the format is named.
 * Outputs are deterministic: nothing in them comes from the clock; the run's time is
 * written only when the caller asks for it (edb_run_info.stamp). */
#ifndef EDB_WRITER_H
#define EDB_WRITER_H

#include <edb/series.h>
#include <edb/status.h>
#include <edb/table.h>
#include <edb/time.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What a writer may record about the run that made the file. */
typedef struct edb_run_info {
    const char *command_line; /* secrets removed by the caller; may be NULL */
    edb_time run_time;        /* UTC time of the run (not read from the clock here) */
    edb_time start, end;      /* the query interval */
    /* 1: write run_time into the file (FITS DATE, the ECSV and HDF5 run_time).  0 (the
     * default): the file carries no time of its making, so the same data give the same
     * bytes whenever they are written. */
    int stamp;
} edb_run_info;

typedef struct edb_writer_options {
    const char *format;       /* a name of the registry ("csv", "fits"...); NULL: from the
                               * path's extension; a name without one (and "-") is csv */
    const edb_run_info *run;  /* may be NULL */
    /* Options of the format (-O on the command line): "key=value", or "key" for a flag
     * ("compress=9", "astropy-time", "safe"); each format lists the keys it takes
     * (edb_format_option_get) and checks the values: an unknown key or a bad value fails
     * edb_writer_open with EDB_ERR_USAGE naming the key and the valid ones.  Copied. */
    const char *const *options;
    size_t n_options;
} edb_writer_options;

#define EDB_WRITER_OPTIONS_INIT {NULL, NULL, NULL, 0}

typedef struct edb_writer edb_writer;

/* Open a writer for path (see the top of this file for what each kind of path means).
 * Fails with EDB_ERR_USAGE for an empty name, a folder, an unknown format or extension
 * (the message lists the known ones) or a bad -O option, and with EDB_ERR_IO when the
 * path cannot be used: a file with several hard links, a socket, a device that does not
 * open, a folder where the temporary file cannot be created (the message says which). */
edb_status edb_writer_open(edb_writer **out, const char *path, const edb_writer_options *o,
                           edb_err *err);

/* Write raw samples: one series per mnemonic, in the order given (CSV: the long layout
 * time,mjd,mnemonic,value). */
edb_status edb_writer_write_series(edb_writer *w, const edb_series *const *series, size_t n);

/* Write a wide table (resampled or aligned data: time, mjd, then one column each).  A
 * writer takes one call of either kind. */
edb_status edb_writer_write_table(edb_writer *w, const edb_table *t);

/* Can the format show n mnemonics?  A plot shows a bounded number of panels; the check
 * made before anything is fetched (the writer checks the exact count again when it
 * writes).  EDB_ERR_USAGE with a message saying what to do, else EDB_OK. */
edb_status edb_writer_check_columns(edb_writer *w, size_t n, edb_err *err);
/* Write several wide tables into one file, each under its name: letters, digits, '_', '-',
 * '.' and '/' between parts, at most 255 bytes, each name once (HDF5: a dataset at /NAME,
 * its parts making groups).  Only formats that hold several tables take it
 * (edb_format_holds_tables); EDB_ERR_USAGE otherwise or for a bad name. */
edb_status edb_writer_write_tables(edb_writer *w, const edb_table *const *tables,
                                   const char *const *names, size_t n);

/* Flush, sync and rename into place.  After a failure nothing stands under the target. */
edb_status edb_writer_close(edb_writer *w);

/* Free; removes the temporary file if close did not succeed.  Accepts NULL. */
void edb_writer_free(edb_writer *w);

const char *edb_writer_errmsg(const edb_writer *w);

/* 1 when the writer failed because the reader of its pipe went away (EPIPE: `edbx get ... |
 * head`), which a command-line tool reports by exiting quietly, not as an error. */
int edb_writer_pipe_closed(const edb_writer *w);

/* The format name for a path from its extension (".csv", ".csv.gz"...), or NULL. */
const char *edb_format_from_path(const char *path);
/* Is this a known format name? */
int edb_format_known(const char *name);
/* Does the format hold several tables in one file (edb_writer_write_tables)? */
int edb_format_holds_tables(const char *name);
/* Is the format a picture (a plot: png, svg, pdf, html)? */
int edb_format_is_picture(const char *name);

/* The registry, for --help and messages: format i's name ("csv") and its extensions
 * (NULL-terminated, with the dot: ".csv"), for i < edb_format_count(); borrowed. */
size_t edb_format_count(void);
const char *edb_format_name(size_t i);
const char *const *edb_format_extensions(size_t i);

/* The -O options a format takes: key, how its value is written ("N", "LO,HI"; NULL for a
 * flag without a value) and a line of help.  Strings are borrowed (static). */
typedef struct edb_format_option {
    const char *key, *value, *help;
} edb_format_option;
size_t edb_format_option_count(const char *format);
int edb_format_option_get(const char *format, size_t i, edb_format_option *out); /* 0 / -1 */

#ifdef __cplusplus
}
#endif
#endif
