/* fuzz_manifest.c: a bundle's manifest.json from a stranger: the library's reading of it
 * (edb/bundle.c) and the replay plan the CLI builds from it (cli/record.c, against get's
 * option table, or monitor's for a manifest of edbx monitor).  Whatever the bytes, reading
 * fails with a message or gives a bundle; a plan fails with a message or is an argv that
 * names only options of the table that replay may pass, reads inputs only from the
 * bundle's copies, writes only into the replay folder, and has only mnemonics after "--"
 * (none for monitor). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <edb/edb.h>

#include "get_options.h"
#include "internal.h"
#include "monitor_options.h"
#include "record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SRC "/nonexistent/src"
#define OUT "/nonexistent/out"

static void check_plan(const cli_replay_plan *p, const cli_optset *set, const char *cmd)
{
    if (p->argc < 1 || strcmp(p->argv[0], cmd) != 0 || !p->text)
        abort();
    int args = 0;
    for (int k = 1; k < p->argc; k++) {
        const char *a = p->argv[k];
        if (args) {
            if (strcmp(cmd, "monitor") == 0)
                abort();
            char norm[EDB_MNEMONIC_MAX + 1];
            edb_err e = EDB_ERR_INIT;
            if (edb_mnemonic_normalize(a, norm, sizeof norm, &e) != EDB_OK)
                abort();
            continue;
        }
        if (strcmp(a, "--") == 0) {
            args = 1;
            continue;
        }
        if (strncmp(a, "--", 2) != 0)
            abort();
        const char *eq = strchr(a, '=');
        char name[64];
        size_t len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
        if (len >= sizeof name)
            abort();
        memcpy(name, a + 2, len);
        name[len] = '\0';
        const cli_opt *o = cli_opt_find(set, name);
        if (!o || !eq != !o->value)
            abort();
        /* What replay adds itself. */
        if (strcmp(name, "source") == 0) {
            if (strcmp(eq + 1, SRC) != 0)
                abort();
            continue;
        }
        if (strcmp(name, "no-cache") == 0 || strcmp(name, "run-time-us") == 0 ||
            strcmp(name, "chunk") == 0)
            continue;
        switch (cli_role_replay(o->role)) {
        case CLI_REPLAY_KEEP:
            break;
        case CLI_REPLAY_INPUT:
            if (strncmp(eq + 1, SRC "/in/", strlen(SRC "/in/")) != 0 ||
                strchr(eq + 1 + strlen(SRC "/in/"), '/'))
                abort();
            break;
        case CLI_REPLAY_OUTPUT:
            if (strncmp(eq + 1, OUT "/", strlen(OUT "/")) != 0 ||
                strchr(eq + 1 + strlen(OUT "/"), '/'))
                abort();
            break;
        case CLI_REPLAY_OUTPUT_DIR:
            if (strcmp(eq + 1, OUT) != 0)
                abort();
            break;
        case CLI_REPLAY_DROP:
        case CLI_REPLAY_REFUSE:
            abort();
        }
    }
    if (!args)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    edb_bundle *b = NULL;
    edb_err err = EDB_ERR_INIT;
    if (edb__bundle_from_manifest(&b, "fuzz.tar", (const char *)data, size, &err) != EDB_OK) {
        if (b || err.msg[0] == '\0')
            abort();
        return 0;
    }
    /* Everything the accessors hand out is there. */
    for (size_t k = 0; k < edb_bundle_option_count(b); k++) {
        edb_bundle_option o;
        if (!edb_bundle_option_get(b, k, &o) || !o.name ||
            o.input > edb_bundle_input_count(b) || o.output > edb_bundle_output_count(b))
            abort();
    }
    for (size_t k = 0; k < edb_bundle_input_count(b); k++)
        if (!edb_bundle_input_name(b, k) || strchr(edb_bundle_input_name(b, k), '/') ||
            !edb_bundle_input_path(b, k))
            abort();
    for (size_t k = 0; k < edb_bundle_output_count(b); k++)
        if (!edb_bundle_output_name(b, k) || strchr(edb_bundle_output_name(b, k), '/') ||
            strlen(edb_bundle_output_sha256(b, k)) != 64)
            abort();
    cli_replay_plan p;
    edb_err perr = EDB_ERR_INIT;
    const char *name = edb_bundle_command_name(b);
    int monitor = name && strcmp(name, "monitor") == 0;
    const cli_optset *set = monitor ? cli_monitor_options() : &cli_get_options;
    const char *cmd = monitor ? "monitor" : "get";
    if (cli_replay_plan_make(&p, b, set, cmd, SRC, OUT, &perr) == EDB_OK) {
        check_plan(&p, set, cmd);
        cli_replay_plan_free(&p);
    } else if (perr.msg[0] == '\0') {
        abort();
    }
    edb_bundle_free(b);
    return 0;
}
