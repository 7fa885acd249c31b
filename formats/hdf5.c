/* hdf5.c: HDF5 through the HDF5 C library (docs/formats.md says what is in the files).
 *
 * Raw samples: /raw/<MNEMONIC>, a 1-D compound dataset {time f8 (MJD, UTC), value f8 | i4
 * | i8 | fixed-length string}; a wide table: /resampled, {time, one member per column, and
 * "<column>.mask" (bool) for a column with missing rows}.  Beside each dataset,
 * "<name>.__table_column_meta__" holds astropy's YAML table header, one line per element,
 * so that astropy's Table.read(f, path=...) gives a UTC Time column, units, descriptions and
 * masks; plain attributes say the same for h5py users.  Datasets hold only fixed-size
 * types (pandas and PyTables cannot read variable-length strings in them).
 *
 * Chunks hold about 1 MiB (64 Ki rows of the raw layout's 16 bytes).  Each is packed,
 * shuffled and deflated here, by worker threads (one per core, at most 4) with libdeflate,
 * and the main thread hands the finished chunks to HDF5 in order with H5Dwrite_chunk: the
 * dataset declares the same shuffle + deflate filters, so every reader inflates them as
 * if HDF5 had written them, and HDF5 itself (not thread-safe) is only ever called from
 * one thread.  Memory: one uncompressed chunk a worker, and compressed chunks waiting
 * their turn (write_chunks); never a copy of a whole column.  Object time
 * stamps are off: the same data give the same bytes.  HDF5's automatic error printing is
 * off; its error stack goes into our message. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hdf5.h>
#include <libdeflate.h>

#include <edb/edb.h>
#include <edb/writer.h>

#include "formats.h"

#define CHUNK_BYTES ((size_t)1 << 20)
#define CHUNK_ROWS 65536

/* ---- errors -------------------------------------------------------------------------- */

typedef struct errwalk {
    char buf[600];
    size_t o;
} errwalk;

static herr_t walk_cb(unsigned n, const H5E_error2_t *e, void *ctx)
{
    errwalk *w = ctx;
    if (n < 4 && w->o < sizeof w->buf - 1 && e->desc)
        w->o += (size_t)snprintf(w->buf + w->o, sizeof w->buf - w->o, "%s%s (%s)",
                                 w->o ? "; " : "", e->desc, e->func_name ? e->func_name : "?");
    return 0;
}

/* Every HDF5 call clears the error stack on entry, so the stack of the call that failed is
 * kept aside at once (keep_error) for h5_fail, which reports the first one kept.  One
 * saved stack per process is enough: this HDF5 build is not thread-safe anyway. */
static hid_t saved_stack = H5I_INVALID_HID;

static void keep_error(void)
{
    if (saved_stack == H5I_INVALID_HID)
        saved_stack = H5Eget_current_stack();
}

static edb_status h5_fail(const edb__wctx *c, const char *what)
{
    errwalk w;
    w.buf[0] = '\0';
    w.o = 0;
    keep_error();
    if (saved_stack != H5I_INVALID_HID) {
        /* Upward: the innermost records first, which name the cause ("No space left on
         * device") rather than the API call that met it. */
        H5Ewalk2(saved_stack, H5E_WALK_UPWARD, walk_cb, &w);
        H5Eclose_stack(saved_stack);
        saved_stack = H5I_INVALID_HID;
    }
    H5Eclear2(H5E_DEFAULT);
    return edb_err_set(c->err, EDB_ERR_IO, "HDF5: %s failed%s%s", what, w.o ? ": " : "", w.buf);
}

/* ---- small builders ------------------------------------------------------------------ */

typedef struct sbuf {
    char *p;
    size_t n, cap;
    int oom;
} sbuf;

static void sb_put(sbuf *b, const char *s, size_t len)
{
    if (b->oom)
        return;
    if (b->n + len + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 1024;
        while (cap < b->n + len + 1)
            cap *= 2;
        char *np = realloc(b->p, cap);
        if (!np) {
            b->oom = 1;
            return;
        }
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, len);
    b->n += len;
    b->p[b->n] = '\0';
}

static void sb_puts(sbuf *b, const char *s)
{
    sb_put(b, s, strlen(s));
}

/* A YAML double-quoted scalar: always quoted, so no value can be mistaken for a number, a
 * boolean or YAML syntax; UTF-8 passes through, control bytes are escaped. */
static void sb_yaml_str(sbuf *b, const char *s)
{
    sb_put(b, "\"", 1);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') {
            char e[2] = {'\\', (char)ch};
            sb_put(b, e, 2);
        } else if (ch < 0x20 || ch == 0x7f) {
            char e[8];
            snprintf(e, sizeof e, "\\x%02x", ch);
            sb_puts(b, e);
        } else {
            sb_put(b, s, 1);
        }
    }
    sb_put(b, "\"", 1);
}

static herr_t attr_str(hid_t obj, const char *name, const char *value)
{
    if (!value)
        return 0;
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(obj, name, t, sp, H5P_DEFAULT, H5P_DEFAULT);
    herr_t r = a < 0 ? -1 : H5Awrite(a, t, &value);
    if (r < 0)
        keep_error();
    if (a >= 0)
        H5Aclose(a);
    H5Sclose(sp);
    H5Tclose(t);
    return r;
}

static herr_t attr_strs(hid_t obj, const char *name, const char *const *values, size_t n)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    hsize_t dim = n;
    hid_t sp = n ? H5Screate_simple(1, &dim, NULL) : H5Screate(H5S_NULL);
    hid_t a = H5Acreate2(obj, name, t, sp, H5P_DEFAULT, H5P_DEFAULT);
    herr_t r = a < 0 ? -1 : (n ? H5Awrite(a, t, values) : 0);
    if (r < 0)
        keep_error();
    if (a >= 0)
        H5Aclose(a);
    H5Sclose(sp);
    H5Tclose(t);
    return r;
}

static herr_t attr_time(hid_t obj, const char *name, edb_time t)
{
    char buf[EDB_TIME_STRLEN];
    edb_time_format_iso_us(t, buf, sizeof buf);
    return attr_str(obj, name, buf);
}

/* h5py's and numpy's bool: an 8-bit enum FALSE/TRUE. */
static hid_t bool_type(void)
{
    hid_t t = H5Tenum_create(H5T_NATIVE_INT8);
    int8_t v = 0;
    H5Tenum_insert(t, "FALSE", &v);
    v = 1;
    H5Tenum_insert(t, "TRUE", &v);
    return t;
}

/* ---- one table ----------------------------------------------------------------------- */

typedef struct vcol {
    const char *name;
    const char *unit;
    const char *description;
    edb_vtype vtype;
    const double *d;
    const int64_t *i;
    const edb_series *s;
    const edb_column *c;
    const uint8_t *valid; /* NULL: all valid */
    int has_missing;
    int i64;
    size_t width;    /* bytes of the value member */
    size_t off;      /* offset of the value member */
    size_t mask_off; /* offset of the mask member when has_missing */
    const char *subsystem; /* the EDB's subsystem of the mnemonic, or NULL */
} vcol;

typedef struct tbl {
    const char *path;        /* "/raw/SA_ZATTEST1" */
    const char *mnemonic;    /* raw only */
    const char *sqltype;     /* raw only */
    size_t nrows;
    const edb_time *t;
    int64_t step_us;
    size_t ncols;
    vcol *cols;
    const edb_table *src;    /* a wide table: its metadata (edb_table_set_meta) */
} tbl;

static const char *str_at(const vcol *v, size_t r, size_t *len)
{
    return v->s ? edb_series_str(v->s, r, len) : edb_column_str(v->c, r, len);
}

static const char *yaml_dtype(const vcol *v)
{
    switch (v->vtype) {
    case EDB_VT_INT: return v->i64 ? "int64" : "int32";
    case EDB_VT_STRING: return "string";
    default: return "float64";
    }
}

static void yaml_header(sbuf *y, const tbl *tb, const edb__wctx *c)
{
    char creator[64];
    edb__creator(creator, sizeof creator);
    sb_puts(y, "datatype:\n- {name: time, datatype: float64, description: \"UTC time as a "
               "Modified Julian Date\"}\n");
    for (size_t k = 0; k < tb->ncols; k++) {
        const vcol *v = &tb->cols[k];
        const char *fu = edb__fits_unit(v->unit);
        sb_puts(y, "- {name: ");
        sb_yaml_str(y, v->name);
        if (fu) {
            sb_puts(y, ", unit: ");
            sb_yaml_str(y, fu);
        }
        sb_puts(y, ", datatype: ");
        sb_puts(y, yaml_dtype(v));
        if (v->description && v->description[0]) {
            sb_puts(y, ", description: ");
            sb_yaml_str(y, v->description);
        }
        int edb_unit = v->unit && v->unit[0] && !fu;
        int sub = v->subsystem && v->subsystem[0];
        if (edb_unit || sub) {
            /* A unit astropy would not parse stays readable, as column metadata; the
             * subsystem goes there too. */
            sb_puts(y, ", meta: {");
            if (edb_unit) {
                sb_puts(y, "edb_unit: ");
                sb_yaml_str(y, v->unit);
            }
            if (sub) {
                sb_puts(y, edb_unit ? ", subsystem: " : "subsystem: ");
                sb_yaml_str(y, v->subsystem);
            }
            sb_puts(y, "}");
        }
        sb_puts(y, "}\n");
        if (v->has_missing) {
            sb_puts(y, "- {name: ");
            char mname[300];
            snprintf(mname, sizeof mname, "%s.mask", v->name);
            sb_yaml_str(y, mname);
            sb_puts(y, ", datatype: bool}\n");
        }
    }
    sb_puts(y, "meta: !!omap\n");
    if (tb->mnemonic) {
        sb_puts(y, "- {mnemonic: ");
        sb_yaml_str(y, tb->mnemonic);
        sb_puts(y, "}\n");
        if (tb->sqltype && tb->sqltype[0]) {
            sb_puts(y, "- {sqldataType: ");
            sb_yaml_str(y, tb->sqltype);
            sb_puts(y, "}\n");
        }
    }
    if (tb->step_us > 0) {
        char num[40];
        snprintf(num, sizeof num, "%.17g", (double)tb->step_us / 1e6);
        sb_puts(y, "- {step_s: ");
        sb_puts(y, num);
        sb_puts(y, "}\n");
    }
    for (size_t k = 0; tb->src && k < tb->src->n_meta; k++) {
        sb_puts(y, "- {");
        sb_puts(y, tb->src->meta_key[k]);
        sb_puts(y, ": ");
        sb_yaml_str(y, tb->src->meta_val[k]);
        sb_puts(y, "}\n");
    }
    sb_puts(y, "- {TIMESYS: UTC}\n- {creator: ");
    sb_yaml_str(y, creator);
    sb_puts(y, "}\n");
    if (c->run) {
        char buf[EDB_TIME_STRLEN];
        edb_time_format_iso_us(c->run->start, buf, sizeof buf);
        sb_puts(y, "- {query_start: ");
        sb_yaml_str(y, buf);
        sb_puts(y, "}\n");
        edb_time_format_iso_us(c->run->end, buf, sizeof buf);
        sb_puts(y, "- {query_end: ");
        sb_yaml_str(y, buf);
        sb_puts(y, "}\n");
    }
    sb_puts(y, "- __serialized_columns__:\n"
               "    time:\n"
               "      __class__: astropy.time.core.Time\n"
               "      format: mjd\n"
               "      scale: utc\n"
               "      value: !astropy.table.SerializedColumn {name: time}\n");
    for (size_t k = 0; k < tb->ncols; k++) {
        const vcol *v = &tb->cols[k];
        if (!v->has_missing)
            continue;
        char mname[300];
        snprintf(mname, sizeof mname, "%s.mask", v->name);
        sb_puts(y, "    ");
        sb_yaml_str(y, v->name);
        sb_puts(y, ":\n      __class__: astropy.table.column.MaskedColumn\n"
                   "      data: !astropy.table.SerializedColumn {name: ");
        sb_yaml_str(y, v->name);
        sb_puts(y, "}\n      mask: !astropy.table.SerializedColumn {name: ");
        sb_yaml_str(y, mname);
        sb_puts(y, "}\n");
    }
}

/* The YAML as a 1-D dataset of fixed-length strings, one line each, as astropy writes it. */
static herr_t write_meta(hid_t parent, const char *name, const sbuf *y, hid_t dcpl)
{
    size_t nlines = 0, width = 1;
    for (const char *p = y->p; *p;) {
        const char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len > width)
            width = len;
        nlines++;
        p += len + (e ? 1 : 0);
    }
    char *buf = calloc(nlines ? nlines : 1, width);
    if (!buf)
        return -1;
    size_t k = 0;
    for (const char *p = y->p; *p; k++) {
        const char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        memcpy(buf + k * width, p, len);
        p += len + (e ? 1 : 0);
    }
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, width);
    H5Tset_strpad(t, H5T_STR_NULLPAD);
    H5Tset_cset(t, H5T_CSET_UTF8);
    hsize_t dim = nlines;
    hid_t sp = H5Screate_simple(1, &dim, NULL);
    hid_t d = H5Dcreate2(parent, name, t, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    herr_t r = d < 0 ? -1 : H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
    if (r < 0)
        keep_error();
    if (d >= 0 && H5Dclose(d) < 0) {
        keep_error();
        r = -1;
    }
    H5Sclose(sp);
    H5Tclose(t);
    free(buf);
    return r;
}

static void size_columns(tbl *tb, size_t *rowsize)
{
    size_t off = 8;
    for (size_t k = 0; k < tb->ncols; k++) {
        vcol *v = &tb->cols[k];
        v->has_missing = 0;
        if (v->valid)
            for (size_t r = 0; r < tb->nrows && !v->has_missing; r++)
                v->has_missing = !v->valid[r];
        switch (v->vtype) {
        case EDB_VT_INT:
            v->i64 = !edb__fits_int32(v->i, v->valid, tb->nrows);
            v->width = v->i64 ? 8 : 4;
            break;
        case EDB_VT_STRING:
            v->width = 1;
            for (size_t r = 0; r < tb->nrows; r++) {
                size_t len;
                if (!v->valid || v->valid[r]) {
                    str_at(v, r, &len);
                    if (len > v->width)
                        v->width = len;
                }
            }
            break;
        default:
            v->width = 8;
        }
        v->off = off;
        off += v->width;
    }
    for (size_t k = 0; k < tb->ncols; k++)
        if (tb->cols[k].has_missing)
            tb->cols[k].mask_off = off++;
    *rowsize = off;
}

static hid_t row_type(const tbl *tb, size_t rowsize)
{
    hid_t t = H5Tcreate(H5T_COMPOUND, rowsize);
    H5Tinsert(t, "time", 0, H5T_IEEE_F64LE);
    for (size_t k = 0; k < tb->ncols; k++) {
        const vcol *v = &tb->cols[k];
        hid_t m;
        switch (v->vtype) {
        case EDB_VT_INT: m = H5Tcopy(v->i64 ? H5T_STD_I64LE : H5T_STD_I32LE); break;
        case EDB_VT_STRING:
            m = H5Tcopy(H5T_C_S1);
            H5Tset_size(m, v->width);
            H5Tset_strpad(m, H5T_STR_NULLPAD);
            H5Tset_cset(m, H5T_CSET_UTF8);
            break;
        default: m = H5Tcopy(H5T_IEEE_F64LE); break;
        }
        H5Tinsert(t, v->name, v->off, m);
        H5Tclose(m);
    }
    hid_t b = bool_type();
    for (size_t k = 0; k < tb->ncols; k++)
        if (tb->cols[k].has_missing) {
            char mname[300];
            snprintf(mname, sizeof mname, "%s.mask", tb->cols[k].name);
            H5Tinsert(t, mname, tb->cols[k].mask_off, b);
        }
    H5Tclose(b);
    return t;
}

static void pack_rows(const tbl *tb, size_t r0, size_t m, size_t rowsize, unsigned char *buf)
{
    memset(buf, 0, m * rowsize);
    for (size_t j = 0; j < m; j++) {
        size_t r = r0 + j;
        unsigned char *p = buf + j * rowsize;
        double mjd = edb_time_to_mjd(tb->t[r]);
        memcpy(p, &mjd, 8);
        for (size_t k = 0; k < tb->ncols; k++) {
            const vcol *v = &tb->cols[k];
            int ok = !v->valid || v->valid[r];
            switch (v->vtype) {
            case EDB_VT_REAL: {
                double d = ok ? v->d[r] : NAN;
                memcpy(p + v->off, &d, 8);
                break;
            }
            case EDB_VT_INT:
                /* A missing int holds the same sentinel FITS uses as TNULL. */
                if (v->i64) {
                    int64_t x = ok ? v->i[r] : INT64_MIN;
                    memcpy(p + v->off, &x, 8);
                } else {
                    int32_t x = ok ? (int32_t)v->i[r] : INT32_MIN;
                    memcpy(p + v->off, &x, 4);
                }
                break;
            case EDB_VT_STRING:
                if (ok) {
                    size_t len;
                    const char *s = str_at(v, r, &len);
                    memcpy(p + v->off, s, len);
                }
                break;
            case EDB_VT_NONE:
                break;
            }
            if (v->has_missing)
                p[v->mask_off] = (unsigned char)!ok;
        }
    }
}


/* ---- chunks, made off the main thread ------------------------------------------------ */

/* What HDF5's shuffle filter does to a chunk of n elements of size bytes each: byte j of
 * every element, then byte j+1... (H5Zshuffle.c), so that deflate sees the runs.  Here
 * for the rows i0.. i0+m-1 of the chunk, packed in rows: the chunk is shuffled a block of
 * rows at a time, so it is never held packed as well as shuffled. */
static void shuffle_rows(const unsigned char *rows, unsigned char *out, size_t i0, size_t m,
                         size_t n, size_t size)
{
    for (size_t j = 0; j < size; j++) {
        unsigned char *o = out + j * n + i0;
        for (size_t i = 0; i < m; i++)
            o[i] = rows[i * size + j];
    }
}

/* Rows packed and shuffled a block at a time (small enough to stay in cache). */
#define SHUFFLE_ROWS 256

typedef struct slot {
    unsigned char *buf; /* a compressed chunk, or the packed rows at level 0 */
    size_t len;
} slot;

/* What each worker keeps: a compressor, the chunk shuffled, a block of packed rows. */
typedef struct zworker {
    struct libdeflate_compressor *z;
    unsigned char *shuf;
    unsigned char *rows;
} zworker;

typedef struct pipeline {
    hid_t d;
    const tbl *tb;
    const edb__wctx *c;
    size_t rowsize, chunk_rows, zcap;
    int level;          /* 0: neither shuffle nor deflate */
    slot *slots;
    edb_status st;      /* of H5Dwrite_chunk */
} pipeline;

/* The rows of chunk i there are; an edge chunk is stored whole, zeros past the last row,
 * as HDF5's own fill would be. */
static size_t chunk_rows_in(const pipeline *p, size_t i)
{
    size_t r0 = i * p->chunk_rows;
    return p->tb->nrows - r0 < p->chunk_rows ? p->tb->nrows - r0 : p->chunk_rows;
}

static void pack_block(const pipeline *p, size_t r0, size_t m, size_t rows, unsigned char *buf)
{
    if (m)
        pack_rows(p->tb, r0, m, p->rowsize, buf);
    memset(buf + m * p->rowsize, 0, (rows - m) * p->rowsize);
}

static void *chunk_init(void *ctx)
{
    pipeline *p = ctx;
    zworker *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    size_t block = p->chunk_rows < SHUFFLE_ROWS ? p->chunk_rows : SHUFFLE_ROWS;
    w->z = libdeflate_alloc_compressor(p->level);
    w->shuf = malloc(p->chunk_rows * p->rowsize);
    w->rows = malloc(block * p->rowsize);
    if (!w->z || !w->shuf || !w->rows) {
        libdeflate_free_compressor(w->z);
        free(w->shuf);
        free(w->rows);
        free(w);
        return NULL;
    }
    return w;
}

static void chunk_fini(void *ctx, void *state)
{
    (void)ctx;
    zworker *w = state;
    libdeflate_free_compressor(w->z);
    free(w->shuf);
    free(w->rows);
    free(w);
}

/* Chunk i into its slot: packed, shuffled and deflated. */
static int chunk_make(void *ctx, void *state, size_t i, size_t k)
{
    pipeline *p = ctx;
    zworker *w = state;
    slot *s = &p->slots[k];
    size_t r0 = i * p->chunk_rows, m = chunk_rows_in(p, i), n = p->chunk_rows;
    for (size_t i0 = 0; i0 < n; i0 += SHUFFLE_ROWS) {
        size_t b = n - i0 < SHUFFLE_ROWS ? n - i0 : SHUFFLE_ROWS;
        size_t real = i0 >= m ? 0 : m - i0 < b ? m - i0 : b;
        pack_block(p, r0 + i0, real, b, w->rows);
        shuffle_rows(w->rows, w->shuf, i0, b, n, p->rowsize);
    }
    s->len = libdeflate_zlib_compress(w->z, w->shuf, n * p->rowsize, s->buf, p->zcap);
    return s->len ? 0 : -1; /* 0: did not fit the bound, which cannot happen */
}

/* Chunk i into its slot at level 0: the packed rows as they are. */
static int chunk_pack(void *ctx, void *state, size_t i, size_t k)
{
    (void)state;
    pipeline *p = ctx;
    slot *s = &p->slots[k];
    pack_block(p, i * p->chunk_rows, chunk_rows_in(p, i), p->chunk_rows, s->buf);
    s->len = p->chunk_rows * p->rowsize;
    return 0;
}

static int chunk_take(void *ctx, size_t i, size_t k)
{
    pipeline *p = ctx;
    const slot *s = &p->slots[k];
    hsize_t off = (hsize_t)(i * p->chunk_rows);
    if (H5Dwrite_chunk(p->d, H5P_DEFAULT, 0, &off, s->len, s->buf) < 0) {
        keep_error();
        char what[600];
        snprintf(what, sizeof what, "writing the rows of %s", p->tb->path);
        p->st = h5_fail(p->c, what);
        return -1;
    }
    return 0;
}

/* Write every chunk of d, in order.  Deflated chunks are made by worker threads (one per
 * core, at most 4: edb__pipe_run), each with one chunk's worth of its own to shuffle
 * into; a slot holds only a compressed chunk, so it costs the pages the chunk fills.
 * Memory: a chunk a worker plus 2 compressed chunks a worker.  Uncompressed chunks
 * (level 0) are only packed, which is quick: on this thread, through one slot. */
static edb_status write_chunks(hid_t d, const tbl *tb, size_t rowsize, size_t chunk_rows,
                               const edb__wctx *c)
{
    pipeline p;
    memset(&p, 0, sizeof p);
    p.d = d;
    p.tb = tb;
    p.c = c;
    p.rowsize = rowsize;
    p.chunk_rows = chunk_rows;
    p.level = edb__wctx_level(c);
    p.st = EDB_OK;
    size_t nchunks = (tb->nrows + chunk_rows - 1) / chunk_rows, bytes = chunk_rows * rowsize;
    size_t nworkers = p.level ? edb__pipe_workers(EDB__PIPE_MAX_WORKERS) : 0;
    if (nworkers > nchunks - 1)
        nworkers = nchunks - 1; /* a single chunk: no thread */
    size_t nslots = nworkers ? 2 * nworkers + 1 : 1;
    /* The bound is not filled: the pages past a chunk's compressed length stay untouched. */
    p.zcap = p.level ? libdeflate_zlib_compress_bound(NULL, bytes) : bytes;
    int oom = !(p.slots = calloc(nslots, sizeof *p.slots));
    for (size_t k = 0; !oom && k < nslots; k++)
        oom = !(p.slots[k].buf = malloc(p.zcap));
    if (!oom) {
        edb__pipe pp = {.ctx = &p, .njobs = nchunks, .nslots = nslots, .nworkers = nworkers,
                        .init = p.level ? chunk_init : NULL, .fini = chunk_fini,
                        .make = p.level ? chunk_make : chunk_pack, .take = chunk_take};
        oom = edb__pipe_run(&pp) != 0 && p.st == EDB_OK;
    }
    for (size_t k = 0; p.slots && k < nslots; k++)
        free(p.slots[k].buf);
    free(p.slots);
    if (oom)
        return edb_err_set(c->err, EDB_ERR_NOMEM, "out of memory writing HDF5");
    return p.st;
}

static edb_status write_tbl(hid_t file, tbl *tb, const edb__wctx *c)
{
    char what[600];
    size_t rowsize;
    size_columns(tb, &rowsize);
    edb_status st = EDB_OK;
    hid_t type = row_type(tb, rowsize);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE), mcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_obj_track_times(dcpl, 0);
    H5Pset_obj_track_times(mcpl, 0);
    hsize_t dim = tb->nrows;
    /* about 1 MiB a chunk, what HDF5 advises: 64 Ki rows of 16 bytes, fewer wider rows */
    size_t chunk = CHUNK_BYTES / rowsize;
    chunk = chunk < 1 ? 1 : chunk > CHUNK_ROWS ? CHUNK_ROWS : chunk;
    if (chunk > tb->nrows)
        chunk = tb->nrows;
    if (chunk) {
        hsize_t cd = chunk;
        H5Pset_chunk(dcpl, 1, &cd);
        if (edb__wctx_level(c) > 0) {
            /* Shuffle groups the bytes of each member, which is what lets deflate find
             * the runs in slowly changing times and values. */
            H5Pset_shuffle(dcpl);
            H5Pset_deflate(dcpl, (unsigned)edb__wctx_level(c));
        }
    }
    hid_t space = H5Screate_simple(1, &dim, NULL);
    /* No chunk cache: chunks go to the file whole (H5Dwrite_chunk), so the cache would only
     * hold a copy, and after a failed write (a full disk) it would keep a dirty chunk that
     * makes every later close fail too. */
    hid_t dapl = H5Pcreate(H5P_DATASET_ACCESS);
    H5Pset_chunk_cache(dapl, 0, 0, H5D_CHUNK_CACHE_W0_DEFAULT);
    hid_t d = H5Dcreate2(file, tb->path, type, space, H5P_DEFAULT, dcpl, dapl);
    H5Pclose(dapl);
    if (d < 0) {
        snprintf(what, sizeof what, "creating %s", tb->path);
        st = h5_fail(c, what);
        goto done;
    }
    if (chunk && (st = write_chunks(d, tb, rowsize, chunk, c)) != EDB_OK)
        goto done;
    /* Plain attributes for h5py users; never a unit on the time member. */
    herr_t r = attr_str(d, "TIMESYS", "UTC");
    if (r >= 0)
        r = attr_str(d, "time_format", "mjd");
    if (tb->mnemonic) {
        const vcol *v = &tb->cols[0];
        if (r >= 0)
            r = attr_str(d, "mnemonic", tb->mnemonic);
        if (r >= 0 && tb->sqltype && tb->sqltype[0])
            r = attr_str(d, "sqldataType", tb->sqltype);
        if (r >= 0)
            r = attr_str(d, "unit", v->unit);
        if (r >= 0)
            r = attr_str(d, "description", v->description);
        if (r >= 0)
            r = attr_str(d, "subsystem", v->subsystem);
    } else if (tb->step_us > 0 && r >= 0) {
        double step = (double)tb->step_us / 1e6;
        hid_t sp = H5Screate(H5S_SCALAR);
        hid_t a = H5Acreate2(d, "step_s", H5T_IEEE_F64LE, sp, H5P_DEFAULT, H5P_DEFAULT);
        r = a < 0 ? -1 : H5Awrite(a, H5T_NATIVE_DOUBLE, &step);
        if (r < 0)
            keep_error();
        if (a >= 0)
            H5Aclose(a);
        H5Sclose(sp);
    }
    /* The table's metadata, as plain attributes too (a key the attributes above already
     * use is left to the YAML header). */
    for (size_t k = 0; r >= 0 && tb->src && k < tb->src->n_meta; k++) {
        const char *key = tb->src->meta_key[k];
        if (strcmp(key, "TIMESYS") != 0 && strcmp(key, "time_format") != 0 &&
            strcmp(key, "step_s") != 0)
            r = attr_str(d, key, tb->src->meta_val[k]);
    }
    if (r < 0) {
        st = h5_fail(c, "writing attributes");
        goto done;
    }
    {
        sbuf y = {0};
        yaml_header(&y, tb, c);
        if (y.oom) {
            free(y.p);
            st = edb_err_set(c->err, EDB_ERR_NOMEM, "out of memory writing HDF5");
            goto done;
        }
        char mpath[600];
        snprintf(mpath, sizeof mpath, "%s.__table_column_meta__", tb->path);
        r = write_meta(file, mpath, &y, mcpl);
        free(y.p);
        if (r < 0) {
            st = h5_fail(c, "writing the astropy header");
            goto done;
        }
    }
done:
    if (d >= 0 && H5Dclose(d) < 0 && st == EDB_OK)
        st = h5_fail(c, "closing a dataset");
    H5Sclose(space);
    H5Pclose(dcpl);
    H5Pclose(mcpl);
    H5Tclose(type);
    return st;
}

/* ---- files --------------------------------------------------------------------------- */

static edb_status open_file(const edb__wctx *c, hid_t *file, const char *const *paths, size_t n)
{
    /* The library prints its error stack by default; we turn it into our message. */
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hid_t fcpl = H5Pcreate(H5P_FILE_CREATE);
    H5Pset_obj_track_times(fcpl, 0);
    *file = H5Fcreate(c->path, H5F_ACC_TRUNC, fcpl, H5P_DEFAULT);
    H5Pclose(fcpl);
    if (*file < 0)
        return h5_fail(c, "creating the file");
    char creator[64];
    edb__creator(creator, sizeof creator);
    herr_t r = attr_str(*file, "creator", creator);
    if (r >= 0)
        r = attr_str(*file, "version", edb_version());
    if (r >= 0)
        r = attr_str(*file, "TIMESYS", "UTC");
    if (r >= 0 && edb__wctx_stamp(c))
        r = attr_time(*file, "run_time", c->run->run_time);
    if (r >= 0 && c->run) {
        r = attr_time(*file, "query_start", c->run->start);
        if (r >= 0)
            r = attr_time(*file, "query_end", c->run->end);
        if (r >= 0 && c->run->command_line)
            r = attr_str(*file, "command_line", c->run->command_line);
    }
    if (r >= 0)
        r = attr_strs(*file, "datasets", paths, n);
    if (r < 0) {
        edb_status st = h5_fail(c, "writing the file's attributes");
        H5Fclose(*file);
        H5Eclear2(H5E_DEFAULT);
        return st;
    }
    return EDB_OK;
}

static edb_status close_file(const edb__wctx *c, hid_t file, edb_status st)
{
    if (st != EDB_OK) {
        /* The file is lost (writer.c removes it); empty it first, so that on a full disk
         * the close below finds room for the metadata it flushes.  HDF5 1.10 does not
         * survive a failed H5Fclose: the file stays half open and the library crashes
         * closing it again at exit. */
        void *h = NULL;
        if (H5Fget_vfd_handle(file, H5P_DEFAULT, &h) >= 0 && h)
            (void)!ftruncate(*(int *)h, 0);
    }
    if (H5Fclose(file) < 0 && st == EDB_OK)
        st = h5_fail(c, "closing the file");
    if (saved_stack != H5I_INVALID_HID) {
        H5Eclose_stack(saved_stack);
        saved_stack = H5I_INVALID_HID;
    }
    H5Eclear2(H5E_DEFAULT);
    return st;
}

static edb_status make_group(const edb__wctx *c, hid_t file, const char *name)
{
    hid_t gcpl = H5Pcreate(H5P_GROUP_CREATE);
    H5Pset_obj_track_times(gcpl, 0);
    hid_t g = H5Gcreate2(file, name, H5P_DEFAULT, gcpl, H5P_DEFAULT);
    H5Pclose(gcpl);
    if (g < 0)
        return h5_fail(c, "creating a group");
    H5Gclose(g);
    return EDB_OK;
}

static edb_status h5_write_series(const edb__wctx *c, const edb_series *const *series, size_t n)
{
    char **paths = calloc(n ? n : 1, sizeof *paths);
    if (!paths)
        return edb_err_set(c->err, EDB_ERR_NOMEM, "out of memory writing HDF5");
    edb_status st = EDB_OK;
    for (size_t k = 0; k < n && st == EDB_OK; k++) {
        size_t len = strlen(series[k]->mnemonic) + 8;
        paths[k] = malloc(len);
        if (!paths[k])
            st = edb_err_set(c->err, EDB_ERR_NOMEM, "out of memory writing HDF5");
        else
            snprintf(paths[k], len, "/raw/%s", series[k]->mnemonic);
    }
    hid_t file = -1;
    if (st == EDB_OK)
        st = open_file(c, &file, (const char *const *)paths, n);
    if (st == EDB_OK) {
        st = make_group(c, file, "/raw");
        for (size_t k = 0; k < n && st == EDB_OK; k++) {
            const edb_series *s = series[k];
            vcol v = {"value", s->unit, s->description,
                      s->vtype == EDB_VT_NONE ? EDB_VT_REAL : s->vtype,
                      s->d, s->i, s, NULL, NULL, 0, 0, 0, 0, 0, s->subsystem};
            tbl tb = {paths[k], s->mnemonic, s->sqltype, s->n, s->t, 0, 1, &v, NULL};
            st = write_tbl(file, &tb, c);
        }
        st = close_file(c, file, st);
    }
    for (size_t k = 0; k < n; k++)
        free(paths[k]);
    free(paths);
    return st;
}

/* A wide table as a dataset at path. */
static edb_status write_wide(hid_t file, const char *path, const edb_table *t,
                             const edb__wctx *c)
{
    vcol *cols = calloc(t->ncols ? t->ncols : 1, sizeof *cols);
    if (!cols)
        return edb_err_set(c->err, EDB_ERR_NOMEM, "out of memory writing HDF5");
    for (size_t k = 0; k < t->ncols; k++) {
        const edb_column *col = &t->cols[k];
        vcol v = {col->name, col->unit, col->description,
                  col->vtype == EDB_VT_NONE ? EDB_VT_REAL : col->vtype,
                  col->d, col->i, NULL, col, col->valid, 0, 0, 0, 0, 0, col->subsystem};
        cols[k] = v;
    }
    tbl tb = {path, NULL, NULL, t->nrows, t->t, t->step_us, t->ncols, cols, t};
    edb_status st = write_tbl(file, &tb, c);
    free(cols);
    return st;
}

static edb_status h5_write_table(const edb__wctx *c, const edb_table *t)
{
    const char *paths[] = {"/resampled"};
    hid_t file;
    edb_status st = open_file(c, &file, paths, 1);
    if (st == EDB_OK)
        st = close_file(c, file, write_wide(file, "/resampled", t, c));
    return st;
}

/* Several tables, /NAME each; the groups on the way are made here (not by HDF5's
 * intermediate groups, which would carry time stamps). */
static edb_status h5_write_tables(const edb__wctx *c, const edb_table *const *t,
                                  const char *const *names, size_t n)
{
    char **paths = calloc(n ? n : 1, sizeof *paths);
    edb_status st = paths ? EDB_OK : edb_err_set(c->err, EDB_ERR_NOMEM, "out of memory");
    for (size_t k = 0; k < n && st == EDB_OK; k++) {
        size_t len = strlen(names[k]) + 2;
        if (!(paths[k] = malloc(len)))
            st = edb_err_set(c->err, EDB_ERR_NOMEM, "out of memory writing HDF5");
        else
            snprintf(paths[k], len, "/%s", names[k]);
    }
    hid_t file = -1;
    if (st == EDB_OK)
        st = open_file(c, &file, (const char *const *)paths, n);
    if (st != EDB_OK) {
        for (size_t k = 0; paths && k < n; k++)
            free(paths[k]);
        free(paths);
        return st;
    }
    for (size_t k = 0; k < n && st == EDB_OK; k++) {
        char *p = paths[k];
        for (char *slash = strchr(p + 1, '/'); slash && st == EDB_OK;
             slash = strchr(slash + 1, '/')) {
            *slash = '\0';
            htri_t there = H5Lexists(file, p, H5P_DEFAULT);
            if (there < 0)
                st = h5_fail(c, "looking for a group");
            else if (!there)
                st = make_group(c, file, p);
            *slash = '/';
        }
        if (st == EDB_OK)
            st = write_wide(file, p, t[k], c);
    }
    st = close_file(c, file, st);
    for (size_t k = 0; k < n; k++)
        free(paths[k]);
    free(paths);
    return st;
}

static const char *const h5_extensions[] = {".h5", ".hdf5", NULL};

static const edb__wopt h5_options[] = {
    {"compress", "N", "deflate level of the chunks, 0 (none) to 9 (smallest); default 1",
     edb__check_level},
    {NULL, NULL, NULL, NULL}};

const edb__format edb__format_hdf5 = {.name = "hdf5", .extensions = h5_extensions,
                                      .options = h5_options, .streams = 0,
                                      .write_series = h5_write_series,
                                      .write_table = h5_write_table,
                                      .write_tables = h5_write_tables};
