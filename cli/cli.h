/* cli.h: what the subcommands of edbx share: exit codes, the environment, secrets. */
#ifndef EDBX_CLI_H
#define EDBX_CLI_H

#include <signal.h>
#include <stdio.h>

#include <edb/edb.h>
#include <edb/writer.h>

/* Exit codes: documented in README.md, `edbx --help` and docs/edbx.1.  Never renumber. */
enum {
    EXIT_OK = 0,
    EXIT_INTERNAL = 1,   /* a bug or out of memory */
    EXIT_USAGE = 2,      /* bad command line: option, time, mnemonic name */
    EXIT_NOTFOUND = 3,   /* the EDB does not know a mnemonic */
    EXIT_AUTH = 4,       /* token missing, wrong or expired */
    EXIT_NETWORK = 5,    /* network or server failure after every retry */
    EXIT_DATA = 6,       /* the EDB's reply could not be decoded */
    EXIT_IO = 7,         /* local files: output, token file, store */
    EXIT_PARTIAL = 8,    /* --keep-going: some mnemonics failed, the rest was written */
    EXIT_ALERT = 9,      /* --fail-if: the output was written and some row matched */
    EXIT_YELLOW = 10,    /* monitor: the outputs were written and a yellow limit was crossed */
    EXIT_RED = 11,       /* monitor: ... and a red limit was crossed */
    EXIT_MISSING = 12,   /* --offline: replies missing from the cache (listed, with their
                            shards); --shard: replies it could not store */
    EXIT_INTERRUPTED = 130,
    EXIT_PIPE = 141      /* the reader of standard output went away (| head): 128 + SIGPIPE,
                            what a shell shows for cat killed by the same pipe; no message */
};

typedef struct cli_command {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv);
    void (*help)(FILE *out);
} cli_command;

int cmd_get(int argc, char **argv);
void help_get(FILE *out);
int cmd_search(int argc, char **argv);
void help_search(FILE *out);
int cmd_info(int argc, char **argv);
void help_info(FILE *out);
int cmd_serve(int argc, char **argv);
void help_serve(FILE *out);
int cmd_cache(int argc, char **argv);
void help_cache(FILE *out);
int cmd_replay(int argc, char **argv);
void help_replay(FILE *out);
int cmd_bundle(int argc, char **argv);
void help_bundle(FILE *out);
int cmd_monitor(int argc, char **argv);
void help_monitor(FILE *out);

/* The service (service.c): --api or $ENG_API ("mast", "direct", "edp"), --edp-mission,
 * and romancal's $ENG_DATA_URI / $ENG_META_URI onto the client options.  EDB_ERR_USAGE
 * naming the services there are for an unknown one. */
edb_status cli_service_options(edb_client_options *co, const char *api, const char *edp_mission,
                               edb_err *err);
/* --plan-only: the plan of the query on standard output; the exit code. */
int cli_print_plan(const edb_client_options *co, const char *const *mnemonics, size_t n,
                   edb_time start, edb_time end, int brackets, int64_t chunk_us);

/* Map a library status to the exit code. */
int cli_exit_code(edb_status st);

/* Every message edbx prints on standard error goes through these three, and each
 * replaces the secrets given to cli_secret_add (whole, or a piece of 8 characters or more
 * where a message was cut) with "[redacted]": the last line of defence, whatever the
 * library or a service put in the text. */
/* Print "edbx: message" to stderr (one line), and return the exit code for st. */
int cli_fail(edb_status st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Print "edbx: message" to stderr (one line): a warning, a note. */
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* An edb_log_fn: "edbx: line" on stderr. */
void cli_log_line(void *ctx, const char *line);
/* Never print s (nor its URL-encoded form) from now on; copied, wiped at exit. */
void cli_secret_add(const char *s);
/* text with the secrets replaced (malloc'ed; NULL when out of memory). */
char *cli_redact(const char *text);

/* Seconds or a duration ("600", "90s", "2min") into microseconds; 0 is refused. */
edb_status cli_parse_timeout(const char *s, int64_t *us, edb_err *err);
/* A non-negative integer. */
edb_status cli_parse_count(const char *what, const char *s, long max, long *out, edb_err *err);

/* The longest token taken from anywhere. */
#define CLI_TOKEN_MAX 1024
/* The one rule for a token from any source (file, MAST_API_TOKEN, ~/.netrc): not empty,
 * at most CLI_TOKEN_MAX characters, printable ASCII with no space.  `from` names the
 * source in the message (never the token). */
edb_status cli_token_check(const char *tok, const char *from, edb_err *err);
/* Read a token from a file (first line, trimmed, then checked).  *out is malloc'ed. */
edb_status cli_read_token_file(const char *path, char **out, edb_err *err);
/* The password for `machine` in ~/.netrc (or $NETRC), or NULL.  Malloc'ed. */
char *cli_netrc_password(const char *machine);
/* The ~/.netrc token for base_url: the entry of its host (any case), and for
 * mast.stsci.edu also `machine mast`; never another host's entry.  *out is NULL if none
 * (malloc'ed otherwise); an entry that fails cli_token_check is an error. */
edb_status cli_netrc_token(const char *base_url, char **out, edb_err *err);
/* Overwrite a secret before freeing it. */
void cli_free_secret(char *s);

/* The most transfers -j allows at once: a hard bound that protects the service. */
#define CLI_MAX_JOBS 32

/* A list of mnemonic names (from arguments and -f files), owned. */
typedef struct cli_names {
    char **v;
    size_t n, cap;
} cli_names;
edb_status cli_names_add(cli_names *l, const char *s, size_t len);
/* One name per line; '#' starts a comment; blank lines skipped; "-" is standard input.
 * A NUL byte or a line longer than CLI_NAMES_LINE_MAX bytes is refused (file and line). */
#define CLI_NAMES_LINE_MAX 4096
edb_status cli_names_read_file(cli_names *l, const char *path, edb_err *err);
void cli_names_free(cli_names *l);

/* One progress line on stderr: requests done/total, rows, bytes, retries, time left. */
typedef struct cli_progress {
    int on;       /* drawing at all */
    int drawn;    /* a line is on the screen */
} cli_progress;
/* force: 1 always, 0 never, -1 when stderr is a terminal. */
void cli_progress_init(cli_progress *p, int force);
void cli_progress_update(void *ctx, const edb_progress *p);
void cli_progress_done(cli_progress *p);

/* Set by SIGINT, SIGTERM and SIGHUP once cli_trap_signals() ran. */
extern volatile int cli_interrupted;
void cli_trap_signals(void);

/* --during FILE.fits[+PAD] (during.c): the range of the exposure in FILE's primary header
 * (EXPSTART/EXPEND, else DATE-BEG/DATE-END), widened by PAD on both sides; label is the
 * file's name without its folders (malloc'ed). */
typedef struct cli_range {
    edb_time start, end;
    char *label;
} cli_range;
edb_status cli_during_read(const char *arg, cli_range *out, edb_err *err);

/* Many processes, one cache (scale.c, docs/scale.md): --shard, --offline, --shards,
 * --slurm and --max-transfers, as given, then as checked by cli_scale_check. */
#define CLI_MAX_SHARDS 100000
/* The most transfers a --slurm array makes at once, all tasks together, unless
 * --max-transfers says otherwise: -j's own maximum, so that an array is no harder on MAST
 * than one process may be. */
#define CLI_SLURM_MAX_TRANSFERS 32
#define CLI_MAX_TRANSFERS_LIMIT 1024
typedef struct cli_scale {
    const char *shard_s, *shards_s, *slurm_s, *max_transfers_s; /* borrowed from argv */
    int offline;
    size_t k, n;   /* --shard K/N; n 0: none */
    size_t owners; /* the N the shards of listed requests are named among; 0: none */
    long tasks;    /* --slurm N */
    long cap;      /* --max-transfers */
} cli_scale;
/* What the rest of the command line says, for checking and for the job script. */
typedef struct cli_scale_ctx {
    int plan_only, source, no_cache, refresh, names_from_stdin;
    const char *output;    /* NULL: standard output */
    const char *bundle, *cache_dir;
    int argc;              /* the command line as given, "get" first */
    char **argv;
    edb_time start, end, now;
    long jobs;
    const edb_client_options *co;
} cli_scale_ctx;
/* Parse the values and refuse what does not go together (EDB_ERR_USAGE). */
edb_status cli_scale_check(cli_scale *s, const cli_scale_ctx *x, edb_err *err);
/* --plan-only with --shard or --shards: the lines with their shards; the exit code. */
int cli_scale_plan(const edb_client_options *co, const edb_query *q, const cli_scale *s);
/* Check every request of q (of shard K with --shard) against the cache; list the missing
 * ones on stderr with their shards; EXIT_OK or EXIT_MISSING.  res (after a fetch, or NULL)
 * leaves out the mnemonics that failed; after: the check that follows a shard's run. */
int cli_scale_check_cache(const edb_client_options *co, const edb_query *q, const cli_scale *s,
                          edb_cache *cache, edb_time now, const edb_result *res, int after);
/* --slurm N: write OUTPUT.sbatch and say how to run it; the exit code. */
int cli_scale_slurm(const cli_scale *s, const cli_scale_ctx *x);

/* Local data for `edbx get` (local.c): --source, the cache, --bundle, the record of the
 * command, and the outputs on their way into place. */
struct cli_recorded;
struct cli_args;
typedef struct cli_local {
    const char *cmd; /* the subcommand recorded: "get" (when NULL) or "monitor" */
    const char *source, *cache_dir, *bundle; /* from the options; borrowed */
    int no_cache, refresh;
    int need_cache; /* --shard, --offline: a cache that cannot be had fails the run */
    edb_time run_time;
    edb_store *store;
    edb_cache *cache;
    edb_recorder *rec;
    edb_reply_hooks hooks[3];
    size_t n_hooks;
    char *token; /* kept only to prove that no bundle holds it */
    int has_sde; /* SOURCE_DATE_EPOCH */
    int64_t sde;
    /* The record (values and arguments borrowed from argv): the options the manifest keeps,
     * the arguments, the outputs (OUTPUT options but --bundle), what the outputs record. */
    struct cli_recorded *recorded;
    size_t n_recorded;
    const char **args;
    size_t n_args;
    const char **outputs;
    size_t n_outputs;
    char *text;
    /* Putting the outputs in place. */
    const char *output; /* -o, once in place */
    char *target;       /* the file the output replaces (a link's target) */
    char *link_text;    /* -o was a symbolic link to this */
    char *keep;         /* a second name of the file it replaces, until the run is through */
    int placed;         /* the output was renamed into place */
    int placed_new;     /* ... where no file was */
    char *pending;      /* the bundle, written beside its name, not yet in place */
    unsigned entries_written;
} cli_local;

/* $XDG_CACHE_HOME/edbx, else ~/.cache/edbx; NULL without either.  Malloc'ed. */
char *cli_cache_dir(void);
/* The same, with its parent made (0700) if missing: $XDG_CACHE_HOME with its own parents
 * (the XDG rule), or ~/.cache when $HOME is a folder, never $HOME nor anything above it.
 * NULL with err set if it cannot be. */
char *cli_cache_dir_prepare(edb_err *err);
/* --cache DIR, with its missing parents made (0700) as for $XDG_CACHE_HOME; DIR itself is
 * made by the cache.  Malloc'ed; NULL with err set if it cannot be. */
char *cli_cache_dir_named(const char *dir, edb_err *err);
/* Record the parsed options and arguments of `get` (by their role), check that the files
 * they name are distinct (exit 2 before any request), and with --bundle make its spool and
 * copy every input file into it.  Does nothing when --help is among them. */
edb_status cli_local_note_args(cli_local *l, const struct cli_args *a, edb_err *err);
/* With --bundle: keep data (the inventory's entries the run used, as CSV) in the bundle
 * as in/N-edbx-inventory.csv, named by a recorded --recorded-inventory that replay reads
 * back.  Nothing without --bundle. */
edb_status cli_local_record_inventory(cli_local *l, const char *data, size_t len, edb_err *err);
/* "now": the clock, or SOURCE_DATE_EPOCH when that is earlier. */
edb_time cli_local_now(const cli_local *l);
/* The command line the outputs record (record.h); borrowed. */
const char *cli_local_text(const cli_local *l);
/* Set by `edbx replay` around its run of `get`: the command line the outputs must record
 * again to come out byte-identical (made from the manifest, never run). */
extern const char *cli_replay_text;
/* Set by `edbx replay` too: where each input of the bundle is read from, and the name the
 * recorded run gave it. */
extern const char *const *cli_replay_in_path;
extern const char *const *cli_replay_in_recorded;
extern size_t cli_replay_n_in;
/* The name the outputs show for an input file: in a replay, the recorded run's name of the
 * bundle's copy it reads; otherwise path itself. */
const char *cli_shown_path(const char *path);
/* The outputs of a run that writes several (monitor), each a file in place by now; paths
 * borrowed until cli_local_free; the bundle keeps them as out/BASENAME. */
edb_status cli_local_set_outputs(cli_local *l, const char *const *paths, size_t n,
                                 edb_err *err);
edb_status cli_local_setup(cli_local *l, edb_client_options *co, edb_time now, const char *output,
                           const char *token, edb_err *err);
/* Close the writer (its file goes into place), keeping a way back to the file it replaces
 * until cli_local_settle; EDB_ERR_INTERRUPTED when a signal came first. */
edb_status cli_local_close_output(cli_local *l, edb_writer *w, const char *output, edb_err *err);
/* Write the bundle beside its name (not yet in place). */
edb_status cli_local_finish(cli_local *l, const edb_client_options *co,
                            const char *const *mnemonics, size_t n, edb_time start, edb_time end,
                            int brackets, int64_t chunk_us, const char *output, edb_err *err);
/* The end of the run, st its outcome so far: the bundle put in place, or, when st is a
 * failure or a signal came first, the output's old file (or none) put back and the bundle
 * removed.  Returns the outcome. */
edb_status cli_local_settle(cli_local *l, edb_status st, const char *output, edb_err *err);
/* A test hook: with EDBX_TEST_PAUSE=stage, wait here for a signal (docs/bundles.md). */
void cli_local_pause(const char *stage);
void cli_local_free(cli_local *l);

#endif
