/* fuzz_serve_request.c: what `edbx serve` parses from a request (edb/server.c): the
 * portal's form body (request=<URL-encoded JSON>), and the times and metadata searches of
 * path B and EDP queries.  Each either fails with a message or gives a value within its
 * rules. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <edb/edb.h>

#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char why[400];
    edb__portal_request pr;
    why[0] = '\0';
    int rc = edb__portal_parse((const char *)data, size, &pr, why, sizeof why);
    if (rc < -1 || rc > 1 || (rc != 0 && why[0] == '\0'))
        abort(); /* a failure always says why */
    if (rc == 0) {
        if (pr.service != EDB__PORTAL_MNEMONICS && pr.service != EDB__PORTAL_DICTIONARY)
            abort();
        if (pr.pagesize < 0 || pr.page < 0)
            abort();
        if (pr.service == EDB__PORTAL_DICTIONARY &&
            !edb_mnemonic_is_normal(pr.mnemonic, strlen(pr.mnemonic)))
            abort();
    }

    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    int64_t t;
    why[0] = '\0';
    if (edb__serve_parse_time(s, &t, why, sizeof why) == 0) {
        /* years 0000-9999 only */
        if (t < edb_time_from_civil(0, 1, 1, 0, 0, 0, 0) ||
            t > edb_time_from_civil(9999, 12, 31, 23, 59, 59, 999999))
            abort();
    } else if (why[0] == '\0') {
        abort();
    }
    char out[EDB_MNEMONIC_MAX + 1];
    why[0] = '\0';
    if (edb__serve_parse_search(s, out, why, sizeof why) == 0) {
        size_t n = strlen(out);
        if (n != strlen(s))
            abort();
        for (size_t k = 0; k < n; k++)
            if (!((out[k] >= 'A' && out[k] <= 'Z') || (out[k] >= '0' && out[k] <= '9') || out[k] == '_'))
                abort();
    } else if (why[0] == '\0') {
        abort();
    }
    free(s);
    return 0;
}
