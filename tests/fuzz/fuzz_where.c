/* fuzz_where.c: the --where expression parser on arbitrary text.  A parse either fails
 * with EDB_ERR_USAGE and a message, or gives a condition on a valid mnemonic. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <edb/edb.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    edb_where *w = NULL;
    edb_err err = EDB_ERR_INIT;
    edb_status st = edb_where_parse(&w, s, &err);
    if (st == EDB_OK) {
        char norm[EDB_MNEMONIC_MAX + 1];
        edb_err e2 = EDB_ERR_INIT;
        /* What was accepted names a valid mnemonic, already in its normal form. */
        if (!w || edb_mnemonic_normalize(edb_where_mnemonic(w), norm, sizeof norm, &e2) != EDB_OK ||
            strcmp(norm, edb_where_mnemonic(w)) != 0 || !edb_where_text(w))
            abort();
    } else if (w || err.msg[0] == '\0') {
        abort(); /* a failure leaves nothing behind and always says why */
    }
    edb_where_free(w);
    free(s);
    return 0;
}
