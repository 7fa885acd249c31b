/* edb/resample.h: from raw samples to the table a scientist plots.
 *
 * Puts the series of several mnemonics on one time grid (a regular step, the sample times
 * of one mnemonic, given times, or the union of their own times), with a point method
 * (hold, linear, nearest) or with statistics per bin; keeps only changes; keeps only the
 * times at which conditions on other mnemonics hold.  The semantics are written down in
 * docs/resampling.md.  Everything here is computation: no I/O, no printing.
 *
 * Ownership: inputs are borrowed for the duration of a call; tables, series and parsed
 * conditions returned are owned by the caller (edb_table_free, edb_series_list_free,
 * edb_where_free). */
#ifndef EDB_RESAMPLE_H
#define EDB_RESAMPLE_H

#include <stddef.h>
#include <stdint.h>

#include <edb/series.h>
#include <edb/status.h>
#include <edb/table.h>
#include <edb/time.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum edb_method {
    EDB_METHOD_AUTO = 0, /* linear for REAL series, hold for INT, STRING and change-only
                            (all_points == 0) series (hold for all when aligning) */
    EDB_METHOD_HOLD = 1,
    EDB_METHOD_LINEAR = 2,
    EDB_METHOD_NEAREST = 3
} edb_method;

typedef enum edb_stat {
    EDB_STAT_MEAN = 0,
    EDB_STAT_MIN,
    EDB_STAT_MAX,
    EDB_STAT_MEDIAN,
    EDB_STAT_STD,
    EDB_STAT_COUNT,
    EDB_STAT_FIRST,
    EDB_STAT_LAST
} edb_stat;
#define EDB_STAT_N 8

typedef enum edb_grid {
    EDB_GRID_NONE = 0,  /* no grid: raw samples (edb_filter) */
    EDB_GRID_EVERY,     /* START + k * every_us, k >= 0, <= END (first floored to align_us) */
    EDB_GRID_TIMES,     /* the given times (sorted here if they are not) */
    EDB_GRID_ON,        /* the sample times of one mnemonic inside [START, END] */
    EDB_GRID_UNION      /* the union of the output mnemonics' sample times in [START, END] */
} edb_grid;

/* A parsed --where condition: MNEMONIC OP VALUE. */
typedef struct edb_where edb_where;

typedef struct edb_resample_spec {
    edb_time start, end;          /* the query range, inclusive */
    edb_grid grid;
    int64_t every_us;             /* EVERY: the step (> 0) */
    int64_t align_us;             /* EVERY: > 0 floors the first grid time to a multiple of
                                     this (1 d for --daily, 1 h for --hourly) */
    const edb_time *times;        /* TIMES */
    size_t n_times;
    const char *on;               /* ON: the mnemonic whose sample times are the grid */
    int align;                    /* ON/UNION as --align: AUTO means hold for every type */
    edb_method method;
    int64_t max_gap_us;           /* 0: no limit */
    const edb_stat *stats;        /* statistics per bin, in column order; n_stats 0 = point
                                     values */
    size_t n_stats;
    double clip_sigma;            /* > 0: sigma-clip each bin first */
    int weighted;                 /* time-weighted mean and std */
    int changes;                  /* keep a sample only when its value changed */
    const edb_where *const *where;/* AND-combined */
    size_t n_where;
    const char *const *columns;   /* output mnemonics (normalised names), in order; NULL: all
                                     the series given */
    size_t n_columns;
    int keep_brackets;            /* GRID_NONE: keep samples outside [START, END] */
} edb_resample_spec;

#define EDB_RESAMPLE_SPEC_INIT                                                               \
    {0, 0, EDB_GRID_NONE, 0, 0, NULL, 0, NULL, 0, EDB_METHOD_AUTO, 0, NULL, 0, 0.0, 0, 0,   \
     NULL, 0, NULL, 0, 0}

/* What a run did that a caller may want to tell the user about. */
typedef struct edb_resample_info {
    size_t where_tested;  /* samples or grid times the conditions were tested at */
    size_t where_kept;    /* of those, how many satisfied every condition */
} edb_resample_info;

/* Parse "MNEMONIC OP VALUE" (OP one of > < >= <= == !=, VALUE a number or a string in
 * single or double quotes).  EDB_ERR_USAGE with a message naming the bad token and its
 * column (1-based), e.g. "'SA_ZATTEST1 >> 3': unexpected '>>' at column 13 ...". */
edb_status edb_where_parse(edb_where **out, const char *expr, edb_err *err);
const char *edb_where_mnemonic(const edb_where *w); /* normalised, borrowed */
const char *edb_where_text(const edb_where *w);     /* the expression as given, borrowed */
void edb_where_free(edb_where *w);                  /* accepts NULL */

/* "hold", "linear", "nearest"; and a comma-separated list of statistic names. */
edb_status edb_method_parse(const char *s, edb_method *out, edb_err *err);
const char *edb_stat_name(edb_stat s);
edb_status edb_stats_parse(const char *list, edb_stat out[EDB_STAT_N], size_t *n, edb_err *err);

/* With a grid (spec->grid != NONE): one row per grid time (or bin) and one column per
 * output mnemonic, or per mnemonic and statistic.  The series should include the bracket
 * samples just outside [START, END]: they are used, never output.  info may be NULL. */
edb_status edb_resample(const edb_series *const *series, size_t n,
                        const edb_resample_spec *spec, edb_table **out,
                        edb_resample_info *info, edb_err *err);

/* Without a grid: --changes and --where applied to the raw samples of each output
 * mnemonic; *out gets *nout new series (free with edb_series_list_free). */
edb_status edb_filter(const edb_series *const *series, size_t n, const edb_resample_spec *spec,
                      edb_series ***out, size_t *nout, edb_resample_info *info, edb_err *err);
void edb_series_list_free(edb_series **list, size_t n); /* accepts NULL */

#ifdef __cplusplus
}
#endif
#endif
