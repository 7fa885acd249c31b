/* fuzz_store.c: a local store read from an untrusted archive (tar, gzip, xz, zip) holding
 * the jwst layout or saved path A replies: libarchive's reading, our entry checks, the
 * JSON and CSV decoding, and a range query with the bracket rule.  Whatever the bytes,
 * opening either fails with a message or gives a store that answers. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <edb/archive.h>
#include <edb/edb.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* The store reads from a path: the input goes to a private temporary file. */
    char path[] = "/tmp/edbx-fuzz-store-XXXXXX.tar";
    int fd = mkstemps(path, 4);
    if (fd < 0)
        return 0;
    if (write(fd, data, size) != (ssize_t)size) {
        close(fd);
        unlink(path);
        return 0;
    }
    close(fd);
    edb_archive_limits lim = EDB_ARCHIVE_LIMITS_INIT;
    lim.entry_max = 1 << 20; /* small limits: the fuzzer should not spend its time inflating */
    lim.total_max = 4 << 20;
    edb_store *s = NULL;
    edb_err err = EDB_ERR_INIT;
    edb_status st = edb_store_open_ex(&s, path, &lim, &err);
    unlink(path);
    if (st != EDB_OK) {
        if (s || err.msg[0] == '\0')
            abort();
        return 0;
    }
    static const char *const names[] = {"SA_ZATTEST1", "SA_ZATTEST2", "SA_ZSTR"};
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        edb_series *ser = NULL;
        edb_err qe = EDB_ERR_INIT;
        /* 2022-02-02T22:24:58 .. 22:24:59 and everything. */
        if (edb_store_query(s, names[k], INT64_C(1643840698000000), INT64_C(1643840699000000), 1,
                            &ser, &qe) == EDB_OK) {
            for (size_t j = 1; j < ser->n; j++)
                if (ser->t[j] < ser->t[j - 1])
                    abort(); /* a store answers in time order */
        }
        edb_series_free(ser);
        ser = NULL;
        edb_store_query(s, names[k], EDB_TIME_MIN + 1, EDB_TIME_MAX - 1, 0, &ser, &qe);
        edb_series_free(ser);
    }
    edb_store_free(s);
    return 0;
}
