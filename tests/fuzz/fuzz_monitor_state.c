/* fuzz_monitor_state.c: the reader of edbx monitor's state (edb/monitor.h) on arbitrary
 * bytes.
 *
 * A read either fails with EDB_ERR_DATA (or EDB_ERR_NOMEM) and gives nothing, or gives a
 * state that, written out and read again, is written out to the very same bytes: what a
 * nightly run reads is what it writes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <edb/edb.h>
#include <edb/monitor.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    edb_monitor_state *s = NULL;
    edb_err err = EDB_ERR_INIT;
    edb_status st = edb_monitor_state_parse(&s, (const char *)data, size, &err);
    if (st != EDB_OK) {
        if (s || (st != EDB_ERR_DATA && st != EDB_ERR_NOMEM) || !err.msg[0])
            abort();
        return 0;
    }
    char *t1 = NULL, *t2 = NULL;
    size_t n1 = 0, n2 = 0;
    edb_monitor_state *r = NULL;
    if (edb_monitor_state_text(s, &t1, &n1, &err) != EDB_OK ||
        edb_monitor_state_parse(&r, t1, n1, &err) != EDB_OK ||
        edb_monitor_state_text(r, &t2, &n2, &err) != EDB_OK)
        abort();
    if (n1 != n2 || memcmp(t1, t2, n1) != 0 ||
        edb_monitor_state_count(s) != edb_monitor_state_count(r))
        abort();
    free(t1);
    free(t2);
    edb_monitor_state_free(s);
    edb_monitor_state_free(r);
    return 0;
}
