/* edb/monitor.h: what `edbx monitor` needs below the command line: the jwql EDB telemetry
 * monitor's configuration files read as they are, limit checks on computed columns, and the
 * state that lets a nightly run go on where the last one stopped.
 *
 * A configuration (one JSON file per instrument in jwql's
 * instrument_monitors/common_monitors/edb_monitor_data/) is an object whose keys are kinds of averaging ("all", "daily_means", "block_means",
 * "time_interval", "every_change" and "all+..." combinations) and whose values are arrays of
 * entries: a mnemonic with its conditions ("dependency"), what is plotted ("plot_data"), its
 * nominal value, yellow and red limits, plot category and averaging time.  Reading checks
 * every field: an unknown key is a warning (through the caller's function: the library never
 * prints), anything malformed an error naming the file, the entry and the field.  What edbx
 * computes for each kind is the command line's business (docs/monitor.md).
 *
 * Ownership: configurations and states own everything in them; what the getters return is
 * borrowed until the object is freed. */
#ifndef EDB_MONITOR_H
#define EDB_MONITOR_H

#include <stddef.h>
#include <stdint.h>

#include <edb/mnemonic.h>
#include <edb/resample.h>
#include <edb/status.h>
#include <edb/table.h>
#include <edb/time.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum edb_monitor_kind {
    EDB_MON_ALL = 0,        /* every sample */
    EDB_MON_DAILY_MEANS,    /* a mean per day */
    EDB_MON_BLOCK_MEANS,    /* a mean per block of samples where the conditions hold */
    EDB_MON_TIME_INTERVAL,  /* a mean per bin of mean_time_block */
    EDB_MON_EVERY_CHANGE    /* a mean per run of constant value of the dependency */
} edb_monitor_kind;
#define EDB_MON_KINDS 5

/* "all", "daily_means", "block_means", "time_interval", "every_change". */
const char *edb_monitor_kind_name(edb_monitor_kind k);

typedef enum edb_monitor_rel {
    EDB_MON_GT = 0, /* ">" */
    EDB_MON_LT,     /* "<" */
    EDB_MON_EQ,     /* "=" */
    EDB_MON_NE,     /* "!=" */
    EDB_MON_LE,     /* "<=" */
    EDB_MON_GE,     /* ">=" */
    EDB_MON_NONE    /* "none": the state of every_change entries */
} edb_monitor_rel;

/* The relation as the expression language writes it ("==" for "="; "" for none). */
const char *edb_monitor_rel_text(edb_monitor_rel r);

/* One "dependency": NAME RELATION THRESHOLD. */
typedef struct edb_monitor_dep {
    char name[EDB_MNEMONIC_MAX + 1]; /* upper-case */
    edb_monitor_rel rel;
    int is_string;                   /* the threshold is a string (str), else a number */
    double num;
    char *str;
} edb_monitor_dep;

/* Yellow and red limits [low, high], low below high; a value is within a pair when
 * low <= value <= high. */
typedef struct edb_limits {
    int has_yellow, has_red;
    double yellow[2], red[2];
} edb_limits;

/* One entry of a configuration. */
typedef struct edb_monitor_entry {
    const char *config;             /* the configuration's file, as given */
    const char *section;            /* its key: "daily_means", "all+time_interval" */
    size_t index;                   /* place in the section's array, from 0 */
    unsigned kinds;                 /* (1 << kind) for each table the entry makes */
    char name[EDB_MNEMONIC_MAX + 1];/* the mnemonic, upper-case */
    char id[EDB_MNEMONIC_MAX + 1];  /* database_id, else name (upper-case), made unique
                                       within the configuration and kind with _2, _3... */
    char *description;              /* NULL when none */
    edb_monitor_dep *deps;
    size_t n_deps;
    char product[EDB_MNEMONIC_MAX + 1]; /* plot_data "*OTHER": OTHER; "" for "nominal" */
    edb_stat shown[4];              /* plot_data ",mean,median,max,min": in the order given */
    size_t n_shown;
    int has_nominal;
    double nominal;
    edb_limits limits;
    char *category;                 /* plot_category */
    int64_t block_us;               /* mean_time_block in microseconds; 0 when none */
    const char *block_text;         /* mean_time_block as given; NULL when none */
} edb_monitor_entry;

typedef struct edb_monitor_config {
    char *file;       /* as given */
    char *stem;       /* the file's base name without ".json" and "_mnemonics_to_monitor"
                         ("miri"), letters, digits, '_', '-' and '.' only */
    edb_monitor_entry *entries;
    size_t n;
} edb_monitor_config;

/* A warning about a configuration (an unknown key, a limit that looks wrong): one line,
 * naming the file and the entry. */
typedef void (*edb_monitor_warn_fn)(void *ctx, const char *msg);

/* The longest configuration file read (jwql's largest is 81 kB). */
#define EDB_MONITOR_CONFIG_MAX ((size_t)64 << 20)

/* Read a configuration from text[0..len); file names it in messages.  EDB_ERR_USAGE with
 * "FILE: SECTION[i] (NAME): FIELD: what is wrong" for a malformed entry, or "FILE: ..." for
 * a file that is not such an object.  warn may be NULL. */
edb_status edb_monitor_config_parse(edb_monitor_config **out, const char *file,
                                    const char *text, size_t len, edb_monitor_warn_fn warn,
                                    void *ctx, edb_err *err);
/* The same from a file (EDB_ERR_IO when it cannot be read). */
edb_status edb_monitor_config_load(edb_monitor_config **out, const char *path,
                                   edb_monitor_warn_fn warn, void *ctx, edb_err *err);
void edb_monitor_config_free(edb_monitor_config *c); /* accepts NULL */

/* ---- limits --------------------------------------------------------------------------- */

/* 0 within the limits, 1 beyond the yellow ones (and within the red ones, when there are
 * any), 2 beyond the red ones. */
int edb_limits_level(const edb_limits *l, double v);

/* The breaches of one level in a column. */
typedef struct edb_breach {
    size_t count;
    edb_time first, last;   /* row times of the first and the last breach */
    double worst;           /* the value furthest beyond that level's limits (the first of
                               equal ones) */
    edb_time worst_time;
} edb_breach;

typedef struct edb_limit_report {
    size_t checked;         /* values checked (rows with a value) */
    edb_breach yellow, red;
} edb_limit_report;

/* Check rows [from, to) of a REAL or INT column of t against l.  A row without a value (or
 * NaN) is not checked.  EDB_ERR_USAGE for a string column. */
edb_status edb_limits_check(const edb_limits *l, const edb_table *t, size_t col, size_t from,
                            size_t to, edb_limit_report *out, edb_err *err);

/* ---- the state of nightly runs -------------------------------------------------------- */

/* Per table (a key such as "miri/daily_means/SE_ZIMIRICEA_NO_OPS"): a fingerprint of how it
 * is computed (the command without its range), the start of the whole range, the end the
 * rows were computed to (done), the rows, how many of them are final (the others: a bin, a
 * block or a run of a state that may go on after done), and the time from which a run to a
 * later end computes again (resume: everything before it is in the final rows). */
typedef struct edb_monitor_state edb_monitor_state;

typedef struct edb_monitor_state_entry {
    const char *key;
    const char *fingerprint;
    edb_time start;
    edb_time resume;
    edb_time done;
    size_t final;
    const edb_table *table;
} edb_monitor_state_entry;

edb_status edb_monitor_state_new(edb_monitor_state **out);
/* Read a state written by edb_monitor_state_text.  EDB_ERR_DATA naming what is wrong for
 * anything else (the text is checked in full: a damaged state is never half used). */
edb_status edb_monitor_state_parse(edb_monitor_state **out, const char *text, size_t len,
                                   edb_err *err);
void edb_monitor_state_free(edb_monitor_state *s); /* accepts NULL */

/* The entry of key: 1 and *out (borrowed until the state changes), or 0. */
int edb_monitor_state_get(const edb_monitor_state *s, const char *key,
                          edb_monitor_state_entry *out);
size_t edb_monitor_state_count(const edb_monitor_state *s);
/* Set the entry of key (replacing one there); t is copied.  EDB_ERR_USAGE unless final <=
 * t->nrows, the final rows are before resume, and start <= resume <= done + 1. */
edb_status edb_monitor_state_put(edb_monitor_state *s, const char *key,
                                 const char *fingerprint, edb_time start, edb_time resume,
                                 edb_time done, size_t final, const edb_table *t,
                                 edb_err *err);
/* The state as text (malloc'ed, *len bytes, NUL-terminated): the entries in key order,
 * numbers that read back as the same doubles, so that the same state gives the same bytes. */
edb_status edb_monitor_state_text(const edb_monitor_state *s, char **text, size_t *len,
                                  edb_err *err);

#ifdef __cplusplus
}
#endif
#endif
