/* fuzz_monitor.c: the reader of jwql monitor configurations (edb/monitor.h) on arbitrary
 * bytes.
 *
 * A read either fails with EDB_ERR_USAGE (or EDB_ERR_NOMEM) and a message naming the file,
 * or gives entries that hold together: names and ids valid mnemonics in their normal form,
 * at least one kind each, limits with the low one below the high one, a state exactly for
 * every_change entries, a time block for time_interval ones, thresholds quotable in an
 * expression.  Every warning is one line naming the file. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <edb/edb.h>
#include <edb/monitor.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void on_warn(void *ctx, const char *msg)
{
    (void)ctx;
    if (strncmp(msg, "f.json: ", 8) != 0 || strchr(msg, '\n'))
        abort();
}

static void check_name(const char *name)
{
    char norm[EDB_MNEMONIC_MAX + 1];
    edb_err e = EDB_ERR_INIT;
    if (edb_mnemonic_normalize(name, norm, sizeof norm, &e) != EDB_OK || strcmp(norm, name) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    edb_monitor_config *c = NULL;
    edb_err err = EDB_ERR_INIT;
    edb_status st = edb_monitor_config_parse(&c, "f.json", (const char *)data, size, on_warn,
                                             NULL, &err);
    if (st != EDB_OK) {
        if (c || (st != EDB_ERR_USAGE && st != EDB_ERR_NOMEM) || strncmp(err.msg, "f.json: ", 8))
            abort();
        return 0;
    }
    if (strcmp(c->stem, "f") != 0)
        abort();
    for (size_t k = 0; k < c->n; k++) {
        const edb_monitor_entry *e = &c->entries[k];
        check_name(e->name);
        check_name(e->id);
        if (e->product[0])
            check_name(e->product);
        if (!e->kinds || e->kinds >= (1u << EDB_MON_KINDS) || !e->category || !e->category[0])
            abort();
        for (int l = 0; l < 2; l++) {
            const double *v = l ? e->limits.red : e->limits.yellow;
            if ((l ? e->limits.has_red : e->limits.has_yellow) && !(v[0] < v[1]))
                abort();
        }
        size_t states = 0;
        for (size_t d = 0; d < e->n_deps; d++) {
            check_name(e->deps[d].name);
            states += e->deps[d].rel == EDB_MON_NONE;
            if (e->deps[d].is_string &&
                ((e->deps[d].rel != EDB_MON_EQ && e->deps[d].rel != EDB_MON_NE) ||
                 (strchr(e->deps[d].str, '\'') && strchr(e->deps[d].str, '"'))))
                abort();
        }
        if ((e->kinds & (1u << EDB_MON_EVERY_CHANGE)) ? states != 1 : states != 0)
            abort();
        if ((e->kinds & (1u << EDB_MON_TIME_INTERVAL)) && e->block_us < 1000000)
            abort();
        for (size_t q = 0; q < k; q++)
            if ((c->entries[q].kinds & e->kinds) && strcmp(c->entries[q].id, e->id) == 0)
                abort();
    }
    edb_monitor_config_free(c);
    return 0;
}
