/* formats.h: the table of functions each format implements (internal to formats/).
 *
 * Adding a format is one file with one `const edb__format` and one line in the registry
 * (writer.c).  writer.c owns everything around the format: the temporary file beside
 * the target, the rename, the cleanup, standard output. */
#ifndef EDB_FORMATS_INTERNAL_H
#define EDB_FORMATS_INTERNAL_H

#include <stdio.h>

#include <edb/writer.h>

typedef struct edb__format {
    const char *name;              /* "csv" */
    const char *const *extensions; /* NULL-terminated, with the dot: ".csv" */
    /* 1: writes to the FILE* given (text formats, can go to stdout directly); 0: writes
     * to the named (temporary) file itself, as cfitsio and HDF5 need, and f is NULL. */
    int streams;
    edb_status (*write_series)(const char *path, FILE *f, const edb_series *const *series,
                               size_t n, const edb_run_info *run, edb_err *err);
    edb_status (*write_table)(const char *path, FILE *f, const edb_table *t,
                              const edb_run_info *run, edb_err *err);
} edb__format;

extern const edb__format edb__format_csv;

#endif
