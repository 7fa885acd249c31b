/* edb/resample.h: from raw samples to the table a scientist plots.
 *
 * Puts the series of several mnemonics on one time grid (a regular step, the sample times
 * of one mnemonic, given times, or the union of their own times), with a point method
 * (hold, linear, nearest) or with statistics per bin, per block (a run of points where the
 * conditions hold) or per state (a run of constant value of one mnemonic); derives new
 * columns from expressions; keeps only changes; keeps only the times at which conditions
 * hold; does all of it over several ranges at once.  The semantics are written down in
 * docs/resampling.md.  Everything here is computation: no I/O, no printing.
 *
 * Ownership: inputs are borrowed for the duration of a call; tables and series returned
 * are owned by the caller (edb_table_free, edb_series_list_free). */
#ifndef EDB_RESAMPLE_H
#define EDB_RESAMPLE_H

#include <stddef.h>
#include <stdint.h>

#include <edb/expr.h>
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
    EDB_STAT_LAST,
    EDB_STAT_MODE   /* the most frequent value (the smallest of equally frequent ones) */
} edb_stat;
#define EDB_STAT_N 9

typedef enum edb_grid {
    EDB_GRID_NONE = 0,  /* no grid: raw samples (edb_filter; edb_resample for blocks, states
                           and several ranges) */
    EDB_GRID_EVERY,     /* START + k * every_us, k >= 0, <= END (first floored to align_us) */
    EDB_GRID_TIMES,     /* the given times (sorted here if they are not) */
    EDB_GRID_ON,        /* the sample times of one mnemonic inside [START, END] */
    EDB_GRID_UNION      /* the union of the output mnemonics' sample times in [START, END] */
} edb_grid;

/* One of several ranges (--during FILE...): each is computed as if it were the query's
 * range, and their rows follow one another in the order given. */
typedef struct edb_range {
    edb_time start, end; /* inclusive */
    const char *label;   /* the range column's value in its rows (copied) */
} edb_range;

/* A resampled value held or interpolated across a gap in a mnemonic's samples longer than
 * 10 times its median cadence (the median spacing of its samples), or left without a value
 * by max_gap_us.  Reported once per mnemonic and call, for the longest such gap. */
typedef struct edb_gap {
    const char *mnemonic;  /* borrowed for the call */
    edb_time start, end;   /* the samples on either side of the longest gap (end: the grid
                              time itself when no sample follows) */
    int64_t cadence_us;    /* the median spacing of its samples */
    int64_t limit_us;      /* what counted as a gap: 10 x cadence, or max_gap_us */
    size_t values;         /* how many grid values were computed across such gaps */
    int dropped;           /* 1: max_gap_us left them without a value; 0: they were held or
                              interpolated */
} edb_gap;

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
    const edb_stat *stats;        /* statistics per bin (or block, or state), in column
                                     order; n_stats 0 = point values */
    size_t n_stats;
    double clip_sigma;            /* > 0: sigma-clip each bin first */
    int weighted;                 /* time-weighted mean and std */
    int changes;                  /* keep a sample only when its value changed */
    const edb_expr *const *where; /* conditions (EDB_EXPR_CONDITION), AND-combined; their
                                     names are mnemonics or derived columns */
    size_t n_where;
    const char *const *columns;   /* output mnemonics (normalised names), in order; NULL: all
                                     the series given */
    size_t n_columns;
    int keep_brackets;            /* GRID_NONE: keep samples outside [START, END] */
    const edb_expr *const *exprs; /* derived columns (EDB_EXPR_DEFINITION), in order, output
                                     after the mnemonics; need a grid */
    size_t n_exprs;
    int blocks;                   /* one row per run of points (grid times, or the output
                                     mnemonics' samples) at which the conditions hold,
                                     with the statistics of its points */
    const char *group_by;         /* one row per run of constant value of this mnemonic */
    const edb_range *ranges;      /* n_ranges > 0: these ranges instead of [start, end] */
    size_t n_ranges;
    const char *range_column;     /* with ranges: name of a first column holding each row's
                                     range label; NULL: none */
    /* Called once per mnemonic with the longest gap (see edb_gap); NULL: not reported. */
    void (*on_gap)(void *ctx, const edb_gap *gap);
    void *gap_ctx;
    int end_open;                 /* the range was given half-open, [start, end + 1us) (--for):
                                     a state's last run is shown ending at end + 1us */
} edb_resample_spec;

#define EDB_RESAMPLE_SPEC_INIT                                                               \
    {0, 0, EDB_GRID_NONE, 0, 0, NULL, 0, NULL, 0, EDB_METHOD_AUTO, 0, NULL, 0, 0.0, 0, 0,   \
     NULL, 0, NULL, 0, 0, NULL, 0, 0, NULL, NULL, 0, NULL, NULL, NULL, 0}

/* What a run did that a caller may want to tell the user about. */
typedef struct edb_resample_info {
    size_t where_tested;  /* samples or grid times the conditions were tested at */
    size_t where_kept;    /* of those, how many satisfied every condition */
} edb_resample_info;

/* "hold", "linear", "nearest"; and a comma-separated list of statistic names. */
/* Whether a statistic is defined for a type: mean, min, max, median and std for numbers;
 * count, first and last for all; mode for integers and strings.  EDB_VT_NONE (unknown):
 * all. */
int edb_stat_defined(edb_stat s, edb_vtype t);
edb_status edb_method_parse(const char *s, edb_method *out, edb_err *err);
const char *edb_stat_name(edb_stat s);
edb_status edb_stats_parse(const char *list, edb_stat out[EDB_STAT_N], size_t *n, edb_err *err);

/* With a grid (spec->grid != NONE): one row per grid time (or bin) and one column per
 * output mnemonic and derived column, or per column and statistic.  With blocks or
 * group_by (a grid or not): one row per block or state, after a first column naming the
 * state (group_by) and the columns "end" (ISO 8601 text) and "end_mjd" (MJD).  Without a
 * grid and without those: the raw samples side by side, one row per distinct sample time,
 * a cell without a value where a mnemonic has no sample (the layout of several ranges).
 * The series should include the bracket samples just outside [START, END]: they are used,
 * never output.  info may be NULL. */
edb_status edb_resample(const edb_series *const *series, size_t n,
                        const edb_resample_spec *spec, edb_table **out,
                        edb_resample_info *info, edb_err *err);

/* Resampling one mnemonic at a time, as each is fetched, for a wide table whose grid is
 * known before any sample (spec->grid EVERY or TIMES) and whose columns each read one
 * mnemonic alone: no conditions, derived columns, blocks, states or several ranges
 * (edb_resample_separable says whether spec is such).  Each series given to
 * edb_resampler_add is made into its columns at once and may be freed after the call, so
 * that the memory of a many-mnemonic query is the table's and the largest series', not
 * the sum of the series.  edb_resampler_finish then gives exactly the table, the gap
 * reports (in slot order) and the error edb_resample would give for those series, in
 * slot order, with the same spec (its columns and on_gap as set then). */
typedef struct edb_resampler edb_resampler;

int edb_resample_separable(const edb_resample_spec *spec);
/* slots: how many series may be added (slot i: the i-th of the series edb_resample would
 * be given).  spec's grid, method and statistics are used at each add (copied now). */
edb_status edb_resampler_new(edb_resampler **out, const edb_resample_spec *spec, size_t slots,
                             edb_err *err);
/* The columns of series s (slot < slots, each once).  An error that edb_resample would
 * report is kept for finish, which reports the one of the lowest slot: the return is
 * EDB_OK then, and only EDB_ERR_USAGE for a bad call. */
edb_status edb_resampler_add(edb_resampler *r, size_t slot, const edb_series *s);
/* The table: the columns of spec->columns in that order (NULL: every slot added, in slot
 * order); gaps reported through spec->on_gap.  Call once. */
edb_status edb_resampler_finish(edb_resampler *r, const edb_resample_spec *spec,
                                edb_table **out, edb_resample_info *info, edb_err *err);
void edb_resampler_free(edb_resampler *r); /* accepts NULL */

/* Everything edb_resample would refuse that does not depend on sample values, checked on
 * series that may be empty, with their types set where metadata knows them (EDB_VT_NONE
 * where it does not: anything goes for them): call it before fetching, so that a run that
 * cannot succeed makes no request.  *columns (may be NULL) gets the table edb_resample
 * would make, without rows (its column names and types, for checking --fail-if). */
edb_status edb_resample_check(const edb_series *const *series, size_t n,
                              const edb_resample_spec *spec, edb_table **columns,
                              edb_err *err);

/* Without a grid: --changes and --where applied to the raw samples of each output
 * mnemonic; *out gets *nout new series (free with edb_series_list_free). */
edb_status edb_filter(const edb_series *const *series, size_t n, const edb_resample_spec *spec,
                      edb_series ***out, size_t *nout, edb_resample_info *info, edb_err *err);
void edb_series_list_free(edb_series **list, size_t n); /* accepts NULL */

#ifdef __cplusplus
}
#endif
#endif
