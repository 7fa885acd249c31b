/* cache.c: `edbx cache list|size|clear [--older-than DUR] [--cache DIR]`. */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

void help_cache(FILE *out)
{
    fputs("Usage: edbx cache list|size|clear [--older-than DUR] [--cache DIR]\n"
          "\n"
          "The cache of raw EDB replies that 'edbx get' keeps (on by default,\n"
          "zlib-compressed, under $XDG_CACHE_HOME/edbx, else ~/.cache/edbx, each token's\n"
          "replies apart).  A repeated query is answered from it without any request;\n"
          "ranges ending in the future or within the last hour are never cached.  It also\n"
          "keeps the inventory of each service (every mnemonic it lists: get, search and\n"
          "info read it), one per service and base URL, asked again after 7 days\n"
          "(docs/discovery.md).\n"
          "\n"
          "  list                 one line per entry: mnemonic, range, stored, bytes,\n"
          "                       service ('(inventory)' for an inventory)\n"
          "  size                 number of entries and bytes on disk\n"
          "  clear                remove entries (all, or those older than --older-than)\n"
          "                       and temporary files left by killed runs; only the\n"
          "                       cache's own files, never through a link (anything else\n"
          "                       is counted)\n"
          "      --older-than DUR only entries stored more than DUR ago (e.g. 30d, 12h)\n"
          "      --cache DIR      another cache folder\n"
          "  -h, --help           show this help\n",
          out);
}

typedef struct tally {
    unsigned long n;
    uint64_t bytes, raw;
    edb_time before;
    int print;
} tally;

static int on_entry(void *ctx, const edb_cache_entry_info *e)
{
    tally *t = ctx;
    if (e->stored >= t->before)
        return 0;
    t->n++;
    t->bytes += e->file_bytes;
    t->raw += e->raw_bytes;
    if (t->print) {
        char a[EDB_TIME_STRLEN], b[EDB_TIME_STRLEN], s[EDB_TIME_STRLEN];
        edb_time_format_iso(e->start, a, sizeof a);
        edb_time_format_iso(e->end, b, sizeof b);
        edb_time_format_iso(e->stored, s, sizeof s);
        if (e->damaged)
            printf("%-26s (its header does not read)  %" PRIu64 " bytes  %s\n", e->mnemonic,
                   e->file_bytes, e->path);
        else if (strcmp(e->kind, "inventory") == 0)
            /* One per service and base URL, with no mnemonic and no range. */
            printf("%-26s %-47s  stored %s  %" PRIu64 " bytes (%" PRIu64 " raw)  %s %s\n",
                   "(inventory)", "every mnemonic the service lists", s, e->file_bytes,
                   e->raw_bytes, e->service, e->base_url);
        else
            printf("%-26s %s %s  stored %s  %" PRIu64 " bytes (%" PRIu64 " raw)  %s %s\n",
                   e->mnemonic, a, b, s, e->file_bytes, e->raw_bytes, e->service, e->base_url);
    }
    return 0;
}

int cmd_cache(int argc, char **argv)
{
    static const struct option opts[] = {
        {"older-than", required_argument, NULL, 'O'},
        {"cache", required_argument, NULL, 'C'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *older = NULL, *dir_opt = NULL;
    int c;
    edb_err err = EDB_ERR_INIT;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case 'O': older = optarg; break;
        case 'C': dir_opt = optarg; break;
        case 'h': help_cache(stdout); return EXIT_OK;
        case ':':
            return cli_fail(EDB_ERR_USAGE, "option %s needs a value (see 'edbx cache --help')",
                            argv[optind - 1]);
        default:
            return cli_fail(EDB_ERR_USAGE, "unknown option %s (see 'edbx cache --help')",
                            argv[optind - 1]);
        }
    }
    if (optind + 1 != argc)
        return cli_fail(EDB_ERR_USAGE, "name one action: edbx cache list|size|clear");
    const char *action = argv[optind];
    if (strcmp(action, "list") && strcmp(action, "size") && strcmp(action, "clear"))
        return cli_fail(EDB_ERR_USAGE, "unknown action '%s': list, size or clear", action);
    tally t = {0, 0, 0, EDB_TIME_MAX, strcmp(action, "list") == 0};
    if (older) {
        int64_t us;
        if (edb_duration_parse(older, &us, &err) != EDB_OK)
            return cli_fail(EDB_ERR_USAGE, "--older-than: %s", err.msg);
        t.before = edb_time_now() - us;
    }
    char *dir = dir_opt ? strdup(dir_opt) : cli_cache_dir();
    if (!dir)
        return cli_fail(EDB_ERR_USAGE, "no cache folder: set HOME or XDG_CACHE_HOME, or use "
                        "--cache DIR");
    edb_status st;
    if (strcmp(action, "clear") == 0) {
        edb_cache_clear_stats cs;
        st = edb_cache_clear(dir, t.before, &cs, &err);
        if (st == EDB_OK)
            printf("removed %lu file%s (%" PRIu64 " bytes) from %s\n", cs.removed,
                   cs.removed == 1 ? "" : "s", cs.bytes, dir);
        /* Said, not done: what is not the cache's is the user's to look at. */
        if (st == EDB_OK && cs.foreign)
            cli_warn("cache: left %lu file%s, link%s or folder%s in %s that %s not the "
                     "cache's", cs.foreign, cs.foreign == 1 ? "" : "s",
                     cs.foreign == 1 ? "" : "s", cs.foreign == 1 ? "" : "s", dir,
                     cs.foreign == 1 ? "is" : "are");
    } else {
        st = edb_cache_list(dir, on_entry, &t, &err);
        if (st == EDB_OK && !t.print)
            printf("%lu entr%s, %" PRIu64 " bytes on disk (%" PRIu64 " bytes of replies) in %s\n",
                   t.n, t.n == 1 ? "y" : "ies", t.bytes, t.raw, dir);
    }
    free(dir);
    if (st != EDB_OK)
        return cli_fail(st, "%s", err.msg);
    return EXIT_OK;
}
