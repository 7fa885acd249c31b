/* formats.h: the table of functions each format implements (internal to formats/).
 *
 * Adding a format is one file with one `const edb__format` and one line in the registry
 * (registry.c).  writer.c owns everything around the format: the temporary file beside
 * the target, the rename, the cleanup, standard output.  common.c holds what several
 * formats share (units, run metadata, the order columns are described in). */
#ifndef EDB_FORMATS_INTERNAL_H
#define EDB_FORMATS_INTERNAL_H

#include <stdint.h>
#include <stdio.h>

#include <edb/writer.h>

/* What a format is given for one write. */
typedef struct edb__wctx {
    const char *path;         /* the temporary file to write (streams == 0), else NULL */
    FILE *f;                  /* where to write (streams == 1), else NULL */
    const edb_run_info *run;  /* may be NULL */
    edb_err *err;             /* formats say what failed in it; writer.c adds which file */
    /* The -O options given, already checked against the format's table: keys and values
     * ("" for a flag), in the order given.  Read them with edb__wctx_opt. */
    const char *const *opt_keys;
    const char *const *opt_vals;
    size_t n_opts;
} edb__wctx;

/* The value of option key ("" for a flag given without one), the last one given when
 * repeated, or NULL when not given. */
const char *edb__wctx_opt(const edb__wctx *c, const char *key);
/* Was the flag (or the option) key given? */
int edb__wctx_flag(const edb__wctx *c, const char *key);
/* The deflate level of -O compress=N (checked by edb__check_level), else 1: where deflate
 * gives most of its gain for a small part of its time. */
int edb__wctx_level(const edb__wctx *c);
/* Is the run's time to be written into the file (edb_run_info.stamp)? */
int edb__wctx_stamp(const edb__wctx *c);

/* One -O option a format takes.  A table of them ends with a NULL key. */
typedef struct edb__wopt {
    const char *key;
    const char *value; /* how the value is written in help ("N", "LO,HI", "TEXT"); NULL for a
                          flag, which takes no value */
    const char *help;  /* one line for --help and messages */
    /* Check a value (never NULL for an option with a value); NULL: any value is fine.
     * A refusal names the key, the value and what is expected. */
    edb_status (*check)(const char *key, const char *value, edb_err *err);
} edb__wopt;

typedef struct edb__format {
    const char *name;              /* "csv" */
    const char *const *extensions; /* NULL-terminated, with the dot: ".csv" */
    const edb__wopt *options;      /* the -O options it takes (NULL: none) */
    /* 1: writes to the FILE* given (text formats, can go to stdout directly); 0: writes
     * to the named (temporary) file itself, as cfitsio and HDF5 need, and f is NULL. */
    int streams;
    edb_status (*write_series)(const edb__wctx *c, const edb_series *const *series, size_t n);
    edb_status (*write_table)(const edb__wctx *c, const edb_table *t);
    /* The most mnemonics it can show (a plot's panels), checked before anything is
     * fetched by edb_writer_check_columns; 0: no limit. */
    size_t max_columns;
    /* Several tables in one file, each under its name (NULL: the format holds one). */
    edb_status (*write_tables)(const edb__wctx *c, const edb_table *const *t,
                               const char *const *names, size_t n);
} edb__format;

/* ---- registry.c: the formats there are, by name and by extension --------------------- */

const edb__format *edb__format_by_name(const char *name);
/* The format whose extension ends path (case-insensitive; the longest wins), or NULL. */
const edb__format *edb__format_by_path(const char *path);
/* "csv, csv.gz, ecsv, ..." into buf. */
void edb__format_list(char *buf, size_t n);
/* "valid: width=N, title=TEXT, overlay" (or "it takes none") for f into buf. */
void edb__format_option_list(const edb__format *f, char *buf, size_t n);
/* ".csv, .csv.gz, .ecsv, ..." into buf. */
void edb__format_ext_list(char *buf, size_t n);

extern const edb__format edb__format_csv;
extern const edb__format edb__format_csvgz;
extern const edb__format edb__format_ecsv;
extern const edb__format edb__format_fits;
extern const edb__format edb__format_hdf5;
extern const edb__format edb__format_png; /* plot_draw.c */
extern const edb__format edb__format_svg;
extern const edb__format edb__format_pdf;
extern const edb__format edb__format_html; /* plot_html.c */

/* ---- common.c ---------------------------------------------------------------------- */

/* The check of -O compress=N: a whole number from 0 (no compression) to 9. */
edb_status edb__check_level(const char *key, const char *value, edb_err *err);

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

/* ---- work in order on worker threads (common.c) -------------------------------------
 *
 * Jobs 0..njobs-1 (blocks of rows, chunks) are made by worker threads, each into a slot
 * of the caller's (job j in slot j % nslots), and taken by the calling thread in job
 * order: a slot is made again only once its job has been taken, so memory is the slots
 * plus what each worker keeps.  Without threads (nworkers 0, or none can be started)
 * the calling thread makes and takes every job itself, through slot 0.  The callbacks
 * must not share anything writable but their slot and their worker state. */
#define EDB__PIPE_MAX_WORKERS 4

typedef struct edb__pipe {
    void *ctx;
    size_t njobs;
    size_t nslots;   /* at least 1 */
    size_t nworkers; /* threads to start (at most EDB__PIPE_MAX_WORKERS); 0: none */
    /* A worker's own state (buffers, a compressor), made on its thread; NULL when it
     * cannot be had, which fails the run.  NULL init: no state (make gets NULL). */
    void *(*init)(void *ctx);
    void (*fini)(void *ctx, void *state);
    int (*make)(void *ctx, void *state, size_t job, size_t slot); /* 0, or -1: fails the run */
    int (*take)(void *ctx, size_t job, size_t slot);              /* 0, or -1: stops the run */
} edb__pipe;

/* Run every job; 0 when every one was made and taken, -1 when init or make failed or
 * take stopped (the callbacks say which in their ctx).  Returns only once every thread
 * it started has ended. */
int edb__pipe_run(const edb__pipe *p);

/* Worker threads to use: one a core, at most max; 0 on a single core. */
size_t edb__pipe_workers(size_t max);

/* A CSV field: verbatim, or quoted per RFC 4180 when it holds a comma, a quote, CR, LF or
 * a leading or trailing blank (csv.c). */
void edb__csv_put_string(FILE *f, const char *s, size_t len);

/* -O safe (csv.c): does a string value start like a spreadsheet formula ('=', '+', '-',
 * '@', TAB or CR first) without being a plain number?  Such a value is written with a
 * "'" in front, which spreadsheets take as "text, do not evaluate". */
int edb__csv_formula_like(const char *s, size_t len);
/* -O safe in header text (CSV comment lines, ECSV's YAML): is s (just after a ',' or ';',
 * where a spreadsheet splitting the line would start a cell) blanks and then one of
 * = + - @?  A "'" then goes after the delimiter. */
int edb__csv_cell_risky(const char *s);

/* ---- rows through a block buffer (csv.c) ------------------------------------------- */

/* The text writers build their rows in one large block and hand it to stdio a block at
 * a time: a stdio call per field (locking, bounds checks, format parsing) used to cost
 * more than all the rest of a row.  Write errors still end up in ferror(f). */
typedef struct edb__out {
    FILE *f;      /* NULL: a buffer of rows for edb__out_rows, which grows instead */
    char *buf;
    size_t len;
    size_t cap;   /* EDB__OUT_BLOCK, or more for a growing buffer */
    int oom;      /* a growing buffer could not grow: its rows are lost */
    /* How edb__out_csv_string writes a string (0 after edb__out_init): */
    int safe;       /* -O safe: "'" before a value that a spreadsheet would run */
    int quote_hash; /* quote a value holding '#', which pandas' comment='#' would cut */
    int empty_quoted; /* an empty string value as "" (ECSV, where an empty field is no value) */
} edb__out;

#define EDB__OUT_BLOCK ((size_t)1 << 18)
#define EDB__OUT_ROOM 128 /* what edb__out_room always has: a time, two numbers, commas */

int edb__out_init(edb__out *o, FILE *f); /* 0, or -1 when out of memory */
void edb__out_flush(edb__out *o);
void edb__out_free(edb__out *o); /* flushes first */
void edb__out_put(edb__out *o, const char *s, size_t len);
/* edb__csv_put_string into the buffer */
void edb__out_csv_string(edb__out *o, const char *s, size_t len);
/* The time column, a comma and the mjd column, as edb_time_format_iso and
 * edb_format_double(edb_time_to_mjd(t)) print them. */
void edb__out_time_mjd(edb__out *o, edb_time t);
/* Decimal, as printf's %lld; p must have room for 20 characters.  Returns the end. */
char *edb__put_int64(char *p, int64_t v);
/* edb_format_double at p (EDB__OUT_ROOM from the end at least).  Returns the end. */
char *edb__put_double(char *p, double v);

/* Room for EDB__OUT_ROOM bytes at the end of the buffer, flushing if need be; write
 * there, then hand the new end to edb__out_commit. */
static inline char *edb__out_room(edb__out *o)
{
    if (o->cap - o->len < EDB__OUT_ROOM)
        edb__out_flush(o);
    return o->buf + o->len;
}

static inline void edb__out_commit(edb__out *o, char *end)
{
    o->len = (size_t)(end - o->buf);
}

/* Rows 0..n-1 through fn, in order, into o: formatted a block of rows at a time by worker
 * threads (one per core, at most 4) into buffers of their own, which this thread hands to
 * o's stream in order, so the bytes are those of a plain loop.  fn must only read shared
 * data and write to the edb__out it is given (which has o's safe and quote_hash).  Few
 * rows, or no thread to be had: a plain loop.  0, or -1 when out of memory. */
typedef void (*edb__row_fn)(edb__out *o, const void *ctx, size_t r);
int edb__out_rows(edb__out *o, size_t n, edb__row_fn fn, const void *ctx);
/* The rows of the two layouts, for edb__out_rows: sample r of the edb_series ctx
 * (time,mjd,mnemonic,value) and row r of the edb_table ctx (time,mjd,COLUMN...; no value
 * is an empty field). */
void edb__series_row(edb__out *o, const void *ctx, size_t r);
void edb__table_row(edb__out *o, const void *ctx, size_t r);

#endif
