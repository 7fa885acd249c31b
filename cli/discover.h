/* discover.h: what `edbx get`, `edbx search` and `edbx info` share to learn about mnemonics
 * (discover.c): the service's inventory through the cache or a store's meta.json, the
 * warnings about where it came from, "did you mean", and for search and info their common
 * options (the service, the token, the cache) and setting them up. */
#ifndef EDBX_DISCOVER_H
#define EDBX_DISCOVER_H

#include <stdio.h>

#include <edb/edb.h>

#include "options.h"

/* The service's inventory (edb_inventory_load) through cache (NULL: none), with a client
 * made from co (its hooks left out: they answer data requests); the inventory's age is
 * counted on the clock.  The message of a failure in err. */
edb_status cli_inventory_fetch(edb_meta *into, const edb_client_options *co, edb_cache *cache,
                               int64_t max_age_us, int refresh, edb_inventory_info *info,
                               edb_err *err);
/* Where the inventory came from, for a line of its own: "Mast.JwstEdb.Mnemonics from
 * http://host/ (cached 2024-03-05T10:00:00Z)".  info NULL: a store's meta.json (the path in
 * source). */
void cli_inventory_label(char *out, size_t n, const char *service, const char *base_url,
                         const edb_inventory_info *info, const char *store);
/* The warning of an inventory used although old (EDB_INVENTORY_STALE), on stderr, or its
 * text into out. */
void cli_inventory_warn_stale(const edb_inventory_info *info, const char *service);
void cli_inventory_stale_text(const edb_inventory_info *info, const char *service, char *out,
                              size_t n);
/* "; did you mean A, B, C?" for name, from m (at most three), or "" when nothing is
 * close; into out. */
void cli_suggest(const edb_meta *m, const char *name, char *out, size_t n);

/* The inventory a run of get or monitor uses (docs/discovery.md), into *inv (made here;
 * left NULL with no_meta and nothing recorded): a bundle's copy (recorded, read whole),
 * else the store's meta.json (l->store), else the service's, from the cache or asked now,
 * a cached copy that lacks one of names being asked again once.  *info says where it came
 * from: count 0 when there is nothing to check names against (a store, a copy, no
 * answer), origin EDB_INVENTORY_FETCHED when it is sure.  That it could not be asked is a
 * warning, into note (metadata never fails a run).  -1 to go on, else the exit code
 * (out of memory, interrupted, an unreadable copy or meta.json), said on stderr. */
struct cli_local;
int cli_inventory_for_run(edb_meta **inv, const edb_client_options *co, struct cli_local *l,
                          const char *recorded, int no_meta, int64_t max_age_us, int quiet,
                          const char *const *names, size_t n, edb_inventory_info *info,
                          char *note, size_t note_n);
/* The entries of names (each once) in inv, into l's bundle as the copy that replay reads
 * back (--recorded-inventory); nothing without a bundle. */
edb_status cli_inventory_record(const edb_meta *inv, struct cli_local *l,
                                const char *const *names, size_t n, edb_err *err);

/* The token for base_url, by the one rule: --token-file F, else MAST_API_TOKEN, else the
 * ~/.netrc entry of the base URL's host.  *out NULL when there is none (malloc'ed
 * otherwise; free with cli_free_secret). */
edb_status cli_token_find(const char *token_file, const char *base_url, char **out, edb_err *err);

/* ---- search and info: their shared options ------------------------------------------ */

enum {
    DOPT_API = 1000,
    DOPT_EDP_MISSION,
    DOPT_BASE_URL,
    DOPT_TOKEN_FILE,
    DOPT_TOKEN,
    DOPT_CACERT,
    DOPT_TIMEOUT,
    DOPT_RETRIES,
    DOPT_SOURCE,
    DOPT_CACHE,
    DOPT_NO_CACHE,
    DOPT_REFRESH,
    DOPT_MAX_AGE,
    DOPT_FORMAT,
    DOPT_VERBOSE,
    DOPT_QUIET,
    DOPT_HELP
};

/* The entries of those options, for a command's table (roles matter to get's bundles
 * only: these are all SOURCE, or UI). */
#define CLI_DISCO_OPTIONS(FORMAT_HELP)                                                        \
    {0, NULL, 0, NULL, 0, CLI_ROLE_DATA, "Output:"},                                           \
    {DOPT_FORMAT, "format", 0, "NAME", 0, CLI_ROLE_UI, FORMAT_HELP},                            \
    {DOPT_QUIET, "quiet", 'q', NULL, 0, CLI_ROLE_UI, "print nothing but the results and errors"}, \
    {DOPT_VERBOSE, "verbose", 'v', NULL, 0, CLI_ROLE_UI,                                       \
     "log every request (URL, status, bytes, time) to stderr"},                               \
    {DOPT_HELP, "help", 'h', NULL, 0, CLI_ROLE_UI, "show this help"},                          \
    {0, NULL, 0, NULL, 0, CLI_ROLE_DATA, ""},                                                  \
    {0, NULL, 0, NULL, 0, CLI_ROLE_DATA, "Where it comes from (as for edbx get):"},            \
    {DOPT_API, "api", 0, "NAME", 0, CLI_ROLE_SOURCE,                                           \
     "the service: mast (its inventory is the MAST portal's\n"                                 \
     "Mast.JwstEdb.Mnemonics), direct (path B's metadata) or\n"                                \
     "edp (the EDP API's); default $ENG_API, else mast"},                                      \
    {DOPT_EDP_MISSION, "edp-mission", 0, "NAME", 0, CLI_ROLE_SOURCE,                           \
     "edp: the mission path segment (default jwst)"},                                          \
    {DOPT_BASE_URL, "base-url", 0, "URL", 0, CLI_ROLE_SOURCE,                                  \
     "the EDB service (default $ENG_BASE_URL, else\n"                                          \
     "https://mast.stsci.edu)"},                                                                \
    {DOPT_TOKEN_FILE, "token-file", 0, "F", 0, CLI_ROLE_SOURCE,                                \
     "read the MAST token from the first line of F (default\n"                                 \
     "$MAST_API_TOKEN, else ~/.netrc)"},                                                       \
    {DOPT_TOKEN, "token", 0, "T", 0, CLI_ROLE_INTERNAL, ""},                                   \
    {DOPT_CACERT, "cacert", 0, "FILE", 0, CLI_ROLE_SOURCE,                                     \
     "CA bundle to verify the service's TLS certificate with"},                                \
    {DOPT_TIMEOUT, "timeout", 0, "DUR", 0, CLI_ROLE_SOURCE,                                    \
     "time limit of one request (default $ENG_TIMEOUT, else\n"                                 \
     "600 s)"},                                                                                \
    {DOPT_RETRIES, "retries", 0, "N", 0, CLI_ROLE_SOURCE,                                      \
     "retries of a failing request (default $ENG_RETRIES, else\n"                              \
     "10)"},                                                                                   \
    {DOPT_SOURCE, "source", 0, "PATH", 0, CLI_ROLE_SOURCE,                                     \
     "a local store instead of the service: its meta.json is\n"                                \
     "the inventory (no network, no token)"},                                                  \
    {DOPT_CACHE, "cache", 0, "DIR", 0, CLI_ROLE_SOURCE,                                        \
     "where the inventory is kept (default: the reply cache,\n"                                \
     "$XDG_CACHE_HOME/edbx, else ~/.cache/edbx)"},                                             \
    {DOPT_NO_CACHE, "no-cache", 0, NULL, 0, CLI_ROLE_SOURCE,                                   \
     "neither read nor keep the inventory: ask the service"},                                  \
    {DOPT_REFRESH, "refresh", 0, NULL, 0, CLI_ROLE_SOURCE,                                     \
     "ask the service again and replace the cached inventory"},                                \
    {DOPT_MAX_AGE, "inventory-max-age", 0, "DUR", 0, CLI_ROLE_SOURCE,                          \
     "use the cached inventory while younger than DUR\n"                                       \
     "(default 7d); an older one is used, with a warning,\n"                                   \
     "only when the service cannot answer"}

/* The setup of search and info. */
typedef struct cli_disco {
    /* the options */
    const char *api, *edp_mission, *base_url, *token_file, *cacert, *timeout, *retries;
    const char *source, *cache_dir, *max_age, *format;
    int no_cache, refresh, verbose, quiet;
    /* made by cli_disco_open */
    edb_client_options co;
    int64_t max_age_us;
    char *token;
    edb_cache *cache;
    edb_store *store;
    edb_client *client;
} cli_disco;

/* One parsed option: 1 if it is one of the shared ones (taken), 0 if not, -1 on a bad
 * value (err). */
int cli_disco_take(cli_disco *d, const cli_arg *a, edb_err *err);
/* The service, the token, the cache (a cache that cannot be had is warned of and left
 * out), the store; errors in err. */
edb_status cli_disco_open(cli_disco *d, edb_err *err);
/* The inventory: the store's meta.json with --source, else the service's through the
 * cache.  *info filled (origin NONE for a store); label gets where it came from. */
edb_status cli_disco_inventory(cli_disco *d, edb_meta *into, edb_inventory_info *info,
                               char *label, size_t labellen, edb_err *err);
void cli_disco_close(cli_disco *d);

/* Is stdout a terminal (the aligned tables of search, the table of info)? */
int cli_stdout_tty(void);
/* Columns of the terminal, 0 when not known. */
int cli_terminal_width(void);
/* s as a JSON string (quotes included) to f: '"', '\\' and control characters escaped,
 * bytes that are not UTF-8 as U+FFFD. */
void cli_json_string(FILE *f, const char *s);

#endif
