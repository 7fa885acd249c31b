/* cli.h: what the subcommands of edbx share: exit codes, the environment, secrets. */
#ifndef EDBX_CLI_H
#define EDBX_CLI_H

#include <signal.h>
#include <stdio.h>

#include <edb/edb.h>

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
    /* 10 and 11 are reserved for `edbx monitor`'s yellow and red limits. */
    EXIT_INTERRUPTED = 130
};

typedef struct cli_command {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv);
    void (*help)(FILE *out);
} cli_command;

int cmd_get(int argc, char **argv);
void help_get(FILE *out);
int cmd_serve(int argc, char **argv);
void help_serve(FILE *out);
int cmd_cache(int argc, char **argv);
void help_cache(FILE *out);
int cmd_replay(int argc, char **argv);
void help_replay(FILE *out);
int cmd_bundle(int argc, char **argv);
void help_bundle(FILE *out);

/* Map a library status to the exit code. */
int cli_exit_code(edb_status st);

/* Print "edbx: message" to stderr (one line), and return the exit code for st. */
int cli_fail(edb_status st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Seconds or a duration ("600", "90s", "2min") into microseconds. */
edb_status cli_parse_timeout(const char *s, int64_t *us, edb_err *err);
/* A non-negative integer. */
edb_status cli_parse_count(const char *what, const char *s, long max, long *out, edb_err *err);

/* Read a token from a file (first line, trimmed).  *out is malloc'ed. */
edb_status cli_read_token_file(const char *path, char **out, edb_err *err);
/* The password for `machine` in ~/.netrc (or $NETRC), or NULL.  Malloc'ed. */
char *cli_netrc_password(const char *machine);
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
/* One name per line; '#' starts a comment; blank lines skipped; "-" is standard input. */
edb_status cli_names_read_file(cli_names *l, const char *path, edb_err *err);
void cli_names_free(cli_names *l);

/* One progress line on stderr: chunks done/total, rows, bytes, retries, time left. */
typedef struct cli_progress {
    int on;       /* drawing at all */
    int drawn;    /* a line is on the screen */
} cli_progress;
/* force: 1 always, 0 never, -1 when stderr is a terminal. */
void cli_progress_init(cli_progress *p, int force);
void cli_progress_update(void *ctx, const edb_progress *p);
void cli_progress_done(cli_progress *p);

/* Set by SIGINT/SIGTERM once cli_trap_signals() ran. */
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

/* Local data for `edbx get` (local.c): --source, the cache, --bundle. */
typedef struct cli_local {
    const char *source, *cache_dir, *bundle; /* from the options; borrowed */
    int no_cache, refresh;
    edb_time run_time;
    edb_store *store;
    edb_cache *cache;
    edb_recorder *rec;
    edb_reply_hooks hooks[3];
    size_t n_hooks;
    char **argv; /* the command line as given, for the bundle's manifest */
    int argc;
    char *token; /* kept only to prove that no bundle holds it */
    const char **meta; /* the --meta files in the order given (borrowed): bundle inputs */
    size_t n_meta;
} cli_local;

/* $XDG_CACHE_HOME/edbx, else ~/.cache/edbx; NULL without either.  Malloc'ed. */
char *cli_cache_dir(void);
void cli_local_note_argv(cli_local *l, int argc, char **argv);
edb_status cli_local_note_meta(cli_local *l, const char *path);
/* Set by `edbx replay` around its run of `get`: the recorded command line, which is what
 * the outputs must record again (FITS HISTORY...) to come out byte-identical. */
extern char **cli_recorded_argv;
extern int cli_recorded_argc;
edb_status cli_local_setup(cli_local *l, edb_client_options *co, edb_time now, const char *output,
                           const char *token, edb_err *err);
edb_status cli_local_finish(cli_local *l, const edb_client_options *co,
                            const char *const *mnemonics, size_t n, edb_time start, edb_time end,
                            int brackets, int64_t chunk_us, const char *output, edb_err *err);
void cli_local_free(cli_local *l);

#endif
