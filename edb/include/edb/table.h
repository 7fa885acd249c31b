/* edb/table.h: a wide table, one row per time and one column per mnemonic or statistic.
 *
 * What resampling, alignment and bin statistics produce and what the writers write for
 * them: a shared time column and typed value columns, each with a validity flag per row
 * ("no value": empty in CSV, NaN or TNULL in FITS, fill value plus mask in HDF5, masked
 * in ECSV).  A table owns everything in it. */
#ifndef EDB_TABLE_H
#define EDB_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include <edb/series.h>
#include <edb/status.h>
#include <edb/time.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct edb_column {
    char *name;        /* column name: "SA_ZATTEST1" or "SA_ZATTEST1_mean" (owned) */
    char *mnemonic;    /* the mnemonic it comes from (owned) */
    char *stat;        /* the statistic ("mean", "count"...) or NULL for a point value */
    char *unit;        /* the EDB's unit, or NULL when unknown (owned) */
    char *description; /* or NULL (owned) */
    edb_vtype vtype;   /* REAL, INT or STRING */
    double *d;         /* nrows values when REAL */
    int64_t *i;        /* nrows values when INT */
    size_t *soff;      /* nrows + 1 offsets into sbuf when STRING (final up to sfill:
                          read strings with edb_column_str) */
    char *sbuf;
    size_t slen, scap;
    size_t sfill;      /* rows 0..sfill-1 have final offsets; later rows hold no string */
    uint8_t *valid;    /* nrows flags: 1 = a value, 0 = no value */
    char *subsystem;   /* the EDB's subsystem of its mnemonic, or NULL (owned) */
} edb_column;

typedef struct edb_table {
    size_t nrows;
    edb_time *t;        /* nrows times (the grid), non-decreasing */
    int64_t step_us;    /* the grid step when regular (for FITS TIMEDEL), else 0 */
    size_t ncols;
    edb_column *cols;
    size_t colcap;
    /* What the table is, beyond its columns (set with edb_table_set_meta): key and value
     * strings, in the order set, which writers put where the format keeps a table's
     * metadata (HDF5 attributes, FITS header keywords, the ECSV header). */
    size_t n_meta;
    char **meta_key, **meta_val;
} edb_table;

/* A table of nrows rows (times zero until set).  Free with edb_table_free. */
edb_status edb_table_new(edb_table **out, size_t nrows);
void edb_table_free(edb_table *t); /* accepts NULL */

/* Add a column (all rows "no value" to start with); *col is borrowed, valid until the next
 * add.  name and mnemonic are copied; stat may be NULL. */
edb_status edb_table_add_column(edb_table *t, const char *name, const char *mnemonic,
                                const char *stat, edb_vtype vtype, edb_column **col);

/* Set row r of a column (marks it valid).  Strings must be set in row order (each row at
 * most once, rows left unset read as ""). */
void edb_column_set_real(edb_column *c, size_t r, double v);
void edb_column_set_int(edb_column *c, size_t r, int64_t v);
edb_status edb_column_set_str(edb_column *c, size_t nrows, size_t r, const char *v, size_t len);
/* String of row r (borrowed); "" for a row without a value. */
const char *edb_column_str(const edb_column *c, size_t r, size_t *len);
/* Copy unit and description (either may be NULL). */
edb_status edb_column_set_meta(edb_column *c, const char *unit, const char *description);

/* Copy the subsystem (NULL: unknown). */
edb_status edb_column_set_subsystem(edb_column *c, const char *subsystem);
/* Set the table's metadata key to value (both copied; a key set again is replaced, in its
 * place).  Keys are letters, digits and '_' (EDB_ERR_USAGE otherwise), at most 64. */
edb_status edb_table_set_meta(edb_table *t, const char *key, const char *value);
/* The value of key, or NULL (borrowed). */
const char *edb_table_meta(const edb_table *t, const char *key);

/* A new table with t's columns (names, mnemonics, statistics, types, units, descriptions,
 * subsystems), step and metadata, holding rows [from, to) of t (none when from == to). */
edb_status edb_table_slice(edb_table **out, const edb_table *t, size_t from, size_t to);

/* Append the rows of src to dst, which must have the same columns (names and types, in
 * order).  The step is kept only when both have the same.  EDB_ERR_USAGE when the columns
 * differ, EDB_ERR_NOMEM (dst unchanged) when memory runs out. */
edb_status edb_table_append(edb_table *dst, const edb_table *src);

/* Move every column of src to the end of dst, which must have as many rows (EDB_ERR_USAGE
 * otherwise), leaving src without columns: a table assembled a few columns at a time
 * (one mnemonic's as soon as it is resampled) without copying a value.  EDB_ERR_NOMEM
 * leaves both unchanged. */
edb_status edb_table_move_columns(edb_table *dst, edb_table *src);

/* Keep only the columns order[0..n) (indices into t's columns, each at most once), in that
 * order; the others are freed.  EDB_ERR_USAGE for a bad order, EDB_ERR_NOMEM: t
 * unchanged. */
edb_status edb_table_keep_columns(edb_table *t, const size_t *order, size_t n);

#ifdef __cplusplus
}
#endif
#endif
