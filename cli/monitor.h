/* monitor.h: `edbx monitor`, its options (monitor_options.c), the run (monitor.c) and what it
 * writes besides the tables: report.json, report.md and the plots (monitor_report.c).
 *
 * Each entry of a jwql configuration, and each kind it is monitored as, is one job: an
 * `edbx get` command line built from the entry (monitor.c, build_command), run through get's
 * own option code (query.h) on the series one fetch brought for every job, then checked
 * against the entry's limits. */
#ifndef EDBX_MONITOR_H
#define EDBX_MONITOR_H

#include <edb/edb.h>
#include <edb/monitor.h>

#include "cli.h"
#include "get_options.h"
#include "monitor_options.h"
#include "options.h"
#include "query.h"


/* What is checked of a job's table: a column, and what its values did. */
typedef struct mon_check {
    char column[2 * EDB_MNEMONIC_MAX + 24];
    int found;               /* the table has it */
    edb_limit_report all;    /* over the whole table */
    edb_limit_report added;  /* over the rows this run added */
} mon_check;

#define MON_MAX_CHECKS 5

typedef enum mon_status {
    MON_OK = 0,      /* checked, within the limits */
    MON_UNCHECKED,   /* values, but no limits to check them against */
    MON_NO_DATA,     /* no value to check or show */
    MON_YELLOW,
    MON_RED,
    MON_FAILED       /* --keep-going: a mnemonic it reads could not be fetched */
} mon_status;

const char *mon_status_name(mon_status s);

typedef struct mon_job {
    const edb_monitor_config *cfg;
    const edb_monitor_entry *e;
    edb_monitor_kind kind;
    char key[400];           /* STEM/KIND/ID: the table's name */
    char value_col[2 * EDB_MNEMONIC_MAX + 8]; /* NAME, or the product's NAME_X_OTHER (the
                                                 configuration keeps it within 64) */
    char *where;             /* the conditions joined by " and " ("" for none) */
    char *command;           /* the get command over the whole range (what the table is) */
    char *fingerprint;       /* the command without its range */
    char *step;              /* the get command this run computes (NULL: up to date) */
    char **argv;             /* of `step`: owned strings; the query borrows them */
    int argc;
    size_t n_args;           /* output mnemonics in the command */
    cli_query q;
    int prepared;
    edb_time start, end;     /* what this run computes: [start, end] */
    int up_to_date;          /* nothing to compute: the state holds it to the end */
    const edb_table *prev;   /* the rows the state holds (borrowed), or NULL */
    size_t prev_final;       /* how many of them are final */
    edb_table *fresh;        /* computed now */
    edb_table *table;        /* prev + fresh: what is written */
    size_t n_final;          /* rows of table that are final (for the state) */
    edb_time resume;         /* where a run to a later end starts computing */
    edb_time done;           /* the end the rows of table are computed to */
    char *failed;            /* why it could not be computed (--keep-going) */
    mon_check checks[MON_MAX_CHECKS];
    size_t n_checks;
    mon_status status;
} mon_job;

/* The whole run, for the report. */
typedef struct mon_run {
    edb_monitor_config **cfgs;
    size_t n_cfgs;
    mon_job *jobs;
    size_t n_jobs;
    edb_time start, end;
    int end_open;
    const char *dir;
    const char *table_format;   /* the tables' format */
    const char *plot_format;    /* NULL: no plots */
    char **files;               /* what was written into dir, in order (names) */
    size_t n_files;
    int quiet;
    edb_run_info run;           /* what the writers record of the run */
} mon_run;

/* Add name (in dir) to the files written (copied). */
edb_status mon_add_file(mon_run *r, const char *name, edb_err *err);
/* report.json and report.md into r->dir, each written atomically: what every table holds
 * over the whole range, which limits it crossed, how it is computed.  Nothing in them
 * depends on how the range was split over runs (--state), so that a rerun that computes
 * nothing writes the same bytes. */
edb_status mon_write_reports(mon_run *r, edb_err *err);
/* One plot per configuration and plot_category (split into pages of at most 24 panels):
 * each monitored column a panel, with the entry's limits as bands. */
edb_status mon_write_plots(mon_run *r, edb_err *err);
/* Write text to dir/name atomically. */
edb_status mon_write_text(const char *dir, const char *name, const char *text, size_t len,
                          edb_err *err);
/* "2024-03-01", "2024-03-01T12:00:00" or with microseconds: the shortest of those. */
void mon_time_text(edb_time t, char *buf, size_t n);

#endif
