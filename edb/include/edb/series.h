/* edb/series.h: the samples of one mnemonic, stored as columns.
 *
 * A series owns its arrays.  Values are typed once per series: REAL (double), INT
 * (int64) or STRING (bytes kept verbatim, any length, not NUL-terminated inside the
 * buffer: use edb_series_str).  Times are edb_time, non-decreasing once a decoder has
 * finished with the series.  Fields are public for reading; change a series only through
 * these functions. */
#ifndef EDB_SERIES_H
#define EDB_SERIES_H

#include <stddef.h>
#include <stdint.h>

#include <edb/status.h>
#include <edb/time.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum edb_vtype {
    EDB_VT_NONE = 0, /* no sample yet: type not known */
    EDB_VT_REAL = 1,
    EDB_VT_INT = 2,
    EDB_VT_STRING = 3
} edb_vtype;

const char *edb_vtype_name(edb_vtype t); /* "real", "int", "string", "none" */

/* The value type an EDB sqldataType stands for: real/float -> REAL; int, tinyint,
 * smallint, bigint -> INT; varchar, varchar(N), char... -> STRING.  Case-insensitive.
 * EDB_VT_NONE for anything else. */
edb_vtype edb_vtype_from_sqltype(const char *sqltype, size_t len);

typedef struct edb_series {
    char *mnemonic;     /* upper-case name, owned */
    edb_vtype vtype;
    char sqltype[32];   /* the EDB's type name as reported (e.g. "real", "varchar"), lower-case */
    size_t n;           /* number of samples */
    edb_time *t;        /* n times */
    double *d;          /* n values when vtype == REAL, else NULL */
    int64_t *i;         /* n values when vtype == INT, else NULL */
    size_t *soff;       /* n + 1 offsets into sbuf when vtype == STRING, else NULL */
    char *sbuf;         /* string bytes */
    /* What is known about the mnemonic beyond its samples (path A carries none of it;
     * metadata sources fill it): NULL when unknown, owned. */
    char *unit;         /* engineering unit as the EDB names it ("V", "sec", "counts") */
    char *description;
    /* Whether the EDB records every sample (1) or only changes (0, path B's AllPoints):
     * -1 when unknown.  Change-only data is held, not interpolated, between samples. */
    int all_points;
    /* The EDB's subsystem of the mnemonic ("ACS", "MIRI"), NULL when unknown, owned. */
    char *subsystem;
    /* allocation bookkeeping */
    size_t cap, scap;
} edb_series;

/* A new empty series for `mnemonic` (copied).  Free with edb_series_free. */
edb_status edb_series_new(edb_series **out, const char *mnemonic);
void edb_series_free(edb_series *s); /* accepts NULL */

/* Copy unit and description (either may be NULL: unknown). */
edb_status edb_series_set_meta(edb_series *s, const char *unit, const char *description);

/* Copy the subsystem (NULL: unknown). */
edb_status edb_series_set_subsystem(edb_series *s, const char *subsystem);

/* Drop every sample and the type, keep the name and the memory (used before a retry). */
void edb_series_clear(edb_series *s);

/* Set the value type; fails (EDB_ERR_DATA) if samples of another type are present, except
 * INT -> REAL, which converts the samples already stored. */
edb_status edb_series_set_type(edb_series *s, edb_vtype t);

/* Room for n samples in all (not n more), exactly: a caller that knows how many samples
 * are coming (a reply's Count) allocates once and wastes nothing.  Never shrinks.  Pushes
 * beyond the room grow the arrays geometrically as always, so a wrong count costs only
 * time; call it once with the expected total, not once per sample. */
edb_status edb_series_reserve(edb_series *s, size_t n);

/* Append one sample.  The series must have the matching type (set_type first). */
edb_status edb_series_push_real(edb_series *s, edb_time t, double v);
edb_status edb_series_push_int(edb_series *s, edb_time t, int64_t v);
edb_status edb_series_push_str(edb_series *s, edb_time t, const char *v, size_t len);

/* Copy sample j of src (same type) to the end of dst. */
edb_status edb_series_push_from(edb_series *dst, const edb_series *src, size_t j);

/* Append samples [from, to) of src to dst, column by column (memcpy, strings as one block
 * with their offsets shifted): what stitching chunks and cutting ranges use.  An empty dst
 * takes src's type; integers appended to reals become reals, reals appended to integers
 * turn dst into reals; strings and numbers do not mix (EDB_ERR_DATA).  dst's sqltype is
 * src's when dst has none.  dst and src must differ. */
edb_status edb_series_append_range(edb_series *dst, const edb_series *src, size_t from,
                                   size_t to);

/* Keep only samples [from, to) of s, moved to the front in place (memmove of each column,
 * strings as one block with their offsets shifted): cutting a series that is about to be
 * handed on costs no second copy.  The memory is kept. */
void edb_series_keep_range(edb_series *s, size_t from, size_t to);

/* Move src's samples, type and sqltype into dst (whose own samples are freed), leaving src
 * empty and untyped: handing a whole series on without copying a byte.  Name, unit,
 * description, subsystem and all_points stay where they are. */
void edb_series_move_samples(edb_series *dst, edb_series *src);

/* Insert sample j of src at the front of dst (used for a bracket that arrives first). */
edb_status edb_series_prepend_from(edb_series *dst, const edb_series *src, size_t j);

/* String value of sample i (borrowed, valid until the series changes). */
const char *edb_series_str(const edb_series *s, size_t i, size_t *len);

/* Sort samples by time, stably (equal times keep their order).  Returns 1 if anything
 * moved, 0 if the series was already in order. */
int edb_series_sort(edb_series *s);

/* A view of samples [i0, i1) of s (i0 <= i1 <= s->n): *view shares s's arrays, so it is
 * read-only, valid while s is unchanged, and never given to edb_series_free or to any
 * function that changes a series.  Used to hand out a range of samples without copying. */
void edb_series_view(edb_series *view, const edb_series *s, size_t i0, size_t i1);

/* Index of the first sample with time >= t, and of the first with time > t (binary
 * search on a sorted series). */
size_t edb_series_lower_bound(const edb_series *s, edb_time t);
size_t edb_series_upper_bound(const edb_series *s, edb_time t);

#ifdef __cplusplus
}
#endif
#endif
