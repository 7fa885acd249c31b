/* query.h: a query as `edbx get`'s options make it, shared by `get` and `monitor`.
 *
 * The options that shape what is computed (the range, the grid, statistics, conditions,
 * derived columns, blocks, states, --during, --fail-if) are taken one by one from a parsed
 * command line (cli_query_take), checked against each other and turned into the library's
 * resampling spec and the list of names to fetch (cli_query_prepare).  `edbx monitor` makes
 * each of its entries an `edbx get` command line and runs it through these same functions,
 * so that an entry is exactly the get command it prints: there is one way from options to
 * a spec, never two.  Semantics: docs/resampling.md. */
#ifndef EDBX_QUERY_H
#define EDBX_QUERY_H

#include <edb/edb.h>
#include <edb/writer.h>

#include "cli.h"
#include "options.h"

#define GET_MAX_WHERE 32
#define GET_MAX_EXPR 32
#define GET_MAX_FAIL 32
#define GET_MAX_DURING 1024
#define GET_MAX_WOPTS 64
/* Without --stats, --daily, --hourly, --blocks and --group-by give these. */
#define GET_DEFAULT_STATS "mean,min,max,median,std,count"

/* The options as given (borrowed from argv), then what cli_query_prepare makes of them
 * (owned: cli_query_free). */
typedef struct cli_query {
    const char *every, *on, *at, *method, *max_gap, *stats, *clip, *align, *group_by;
    const char *daily_window;
    int weighted, daily, hourly, changes, grid, blocks, quiet, end_open;
    const char *where[GET_MAX_WHERE];
    size_t n_where;
    const char *exprs[GET_MAX_EXPR];
    size_t n_exprs;
    edb_resample_spec spec;
    edb_stat stat_v[EDB_STAT_N];
    edb_expr *where_v[GET_MAX_WHERE];
    edb_expr *expr_v[GET_MAX_EXPR];
    edb_time *times;
    char on_name[EDB_MNEMONIC_MAX + 1];
    char group_name[EDB_MNEMONIC_MAX + 1];
    char (*cols)[EDB_MNEMONIC_MAX + 1]; /* the arguments, normalised: the output columns */
    const char **col_v;
    const char **fetch; /* the arguments, then the names only conditions, expressions, the
                           grid and --group-by need, each once */
    size_t n_fetch;
    size_t n_fetch_out; /* how many of them are the arguments (the output mnemonics) */
    edb_range *ranges;  /* --during, when several; --daily-window, one per day */
    size_t n_ranges;
    const char *during[GET_MAX_DURING];
    size_t n_during;
    cli_range *dr;      /* what --during read, one per file */
    const char *fail[GET_MAX_FAIL];
    size_t n_fail;
    edb_expr *fail_v[GET_MAX_FAIL];
    /* cli_query_early: each mnemonic resampled as soon as it is fetched */
    edb_resampler *early;
    edb_meta **early_meta;
    const edb_meta *early_inv;
    const edb_store *early_store;
} cli_query;

/* Does the query transform the samples (anything but raw samples over one range)? */
int cli_query_active(const cli_query *q);
void cli_query_free(cli_query *q);

/* Take one parsed option of get's table (get_options.h) into q if it shapes the query (the
 * resampling options, --where, --expr, --during, --fail-if, --daily-window): *taken is 1
 * then, 0 for any other option (left to the caller).  EDB_ERR_USAGE for too many of a
 * repeatable one, or a --fail-if that does not parse. */
edb_status cli_query_take(cli_query *q, const cli_opt *o, const char *value, int *taken,
                          edb_err *err);

/* What --start, --end, --for and --during say against each other, before anything is
 * read (the messages name the options). */
edb_status cli_query_range_check(const cli_query *q, const char *start_s, const char *end_s,
                                 const char *for_s, edb_err *err);
/* The range: from --during's files, or --start and --end (default "now") or --for (which
 * sets q->end_open); now is what relative times count from. */
edb_status cli_query_range(cli_query *q, const char *start_s, const char *end_s,
                           const char *for_s, edb_time now, edb_time *start, edb_time *end,
                           edb_err *err);

/* Check the options against each other and turn them into q->spec and q->fetch, before
 * any request (names: the output mnemonics as given). */
edb_status cli_query_prepare(cli_query *q, const char *const *names, size_t n, edb_time start,
                             edb_time end, edb_time now, edb_err *err);

/* The value type metadata knows for a mnemonic (the --meta files first, then the
 * inventory, then the store's meta.json; any may be NULL), EDB_VT_NONE when none does. */
edb_vtype cli_query_meta_type(const edb_meta *meta, const edb_meta *inv, const edb_store *store,
                              const char *name);

/* Every refusal the options and the metadata can tell before any request: the same checks
 * as the run itself makes, on empty series of the types metadata knows, and --fail-if
 * against the columns that run would write. */
edb_status cli_query_check(cli_query *q, int resample, const char *const *names,
                           size_t n_names, const edb_meta *meta, const edb_meta *inv,
                           const edb_store *store, edb_err *err);

/* Give every fetched series what the metadata knows of it: the --meta files (*meta, made
 * when NULL and a store is given) first, then the inventory (NULL: none), then the store's
 * meta.json, each for what those before leave unknown. */
edb_status cli_query_apply_meta(edb_result *res, edb_meta **meta, const edb_meta *inv,
                                const edb_store *store, edb_err *err);

/* When the query's grid is known before any sample and each column reads one mnemonic
 * (edb_resample_separable: --every, --daily, --hourly or --at, without --where, --expr,
 * --blocks, --group-by or several ranges), have q resample each mnemonic as soon as all
 * its chunks are in and free its samples (q->on_mnemonic), so that a wide table's memory
 * is the table's, not the sum of its inputs; cli_query_write then assembles the table.
 * Each series first gets its metadata (as cli_query_apply_meta gives it after the fetch:
 * the default method depends on it); meta, inv and store must outlive the fetch.
 * slots: q's mnemonics.  Otherwise (or when the grid cannot be made now) nothing changes:
 * the whole result is resampled after the fetch. */
edb_status cli_query_early(cli_query *r, edb_query *q, edb_meta **meta, const edb_meta *inv,
                           const edb_store *store, edb_err *err);

/* The library's report of a value held or interpolated across a gap, on stderr. */
void cli_query_gap(void *ctx, const edb_gap *g);

/* The series of that name among series[0..n), or NULL. */
const edb_series *cli_query_find(const edb_series *const *series, size_t n, const char *name);

/* The output columns (the arguments in their order, once each, as far as they were
 * fetched) into q->spec, then the table of a query with a grid, blocks, states or several
 * ranges.  brackets: get's --brackets. */
edb_status cli_query_table(cli_query *q, const edb_series *const *series, size_t n,
                           size_t n_args, int brackets, edb_table **out,
                           edb_resample_info *info, edb_err *err);

/* Run the transform on what was fetched and write it (get's output), counting the rows
 * --fail-if matches into fail_cnt. */
edb_status cli_query_write(cli_query *q, edb_writer *w, const edb_series **series, size_t n,
                           size_t n_args, int brackets, size_t *rows, edb_expr *const *fail,
                           size_t n_fail, size_t *fail_cnt, edb_err *err);

/* The service: --base-url (else $ENG_BASE_URL), --api, --edp-mission. */
edb_status cli_query_service(edb_client_options *co, const char *base_url, const char *api,
                             const char *edp_mission, edb_err *err);
/* How requests are made: --timeout (else $ENG_TIMEOUT), --retries (else $ENG_RETRIES),
 * --cacert, -j, -v. */
edb_status cli_query_transfer(edb_client_options *co, const char *timeout_s,
                              const char *retries_s, const char *cacert, long jobs, int verbose,
                              edb_err *err);
/* The token: none with a local source (or nothing to ask, as for --slurm); else
 * --token-file, $MAST_API_TOKEN or the ~/.netrc entry of the base URL's host
 * (cli_token_find), never printed from here on (cli_secret_add); then the base URL checked
 * against it.  *token is owned (cli_free_secret), NULL when none. */
edb_status cli_query_token(edb_client_options *co, int local_source, const char *token_file,
                           char **token, edb_err *err);

/* --fail-if over what is written: the matching rows of each condition, into cnt[]. */
edb_status cli_query_fail_count(edb_expr *const *fail, size_t n_fail, const edb_table *t,
                                const edb_series *const *series, size_t ns, size_t *cnt,
                                edb_err *err);
/* Once the output is complete: the matches on stderr (even with -q: they are what a cron
 * job must mail); 1 if any condition matched. */
int cli_query_fail_report(const char *const *text, const size_t *cnt, size_t n_fail);

/* One line per output mnemonic that has no sample in [start, end]: what the EDB sent
 * before START, if anything, is the value in force. */
void cli_query_say_empty(const edb_series *const *series, size_t n, edb_time start,
                         edb_time end, int brackets);

#endif
