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
 * one thread.  Memory stays near the size of the data plus a few chunks.  Object time
 * stamps are off: the same data give the same bytes.  HDF5's automatic error printing is
 * off; its error stack goes into our message. */
#include <math.h>
#include <pthread.h>
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
#define MAX_WORKERS 4

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
 * every element, then byte j+1... (H5Zshuffle.c), so that deflate sees the runs. */
static void shuffle(const unsigned char *in, unsigned char *out, size_t n, size_t size)
{
    /* by blocks of rows, so that reads and writes both stay in cache */
    enum { BLOCK = 256 };
    for (size_t i0 = 0; i0 < n; i0 += BLOCK) {
        size_t i1 = i0 + BLOCK < n ? i0 + BLOCK : n;
        for (size_t j = 0; j < size; j++) {
            unsigned char *o = out + j * n;
            for (size_t i = i0; i < i1; i++)
                o[i] = in[i * size + j];
        }
    }
}

typedef struct slot {
    size_t chunk;       /* the chunk it holds when ready */
    int ready;
    unsigned char *raw; /* the packed rows of a whole chunk, zero past the last row */
    unsigned char *shuf;
    unsigned char *z;
    const unsigned char *out; /* what goes to the file: raw, or z */
    size_t len;
} slot;

typedef struct pipeline {
    const tbl *tb;
    size_t rowsize, chunk_rows, nchunks, nslots, zcap;
    int level;          /* 0: neither shuffle nor deflate */
    slot *slots;        /* chunk i in slots[i % nslots] */
    pthread_mutex_t mu;
    pthread_cond_t work, done;
    size_t next;        /* the next chunk a worker takes */
    size_t taken;       /* chunks the main thread has written, whose slots are free */
    int stop;           /* the main thread gives up */
    int failed;         /* a worker could not get a compressor */
} pipeline;

static void make_chunk(pipeline *p, struct libdeflate_compressor *z, size_t i, slot *s)
{
    size_t r0 = i * p->chunk_rows, bytes = p->chunk_rows * p->rowsize;
    size_t m = p->tb->nrows - r0 < p->chunk_rows ? p->tb->nrows - r0 : p->chunk_rows;
    pack_rows(p->tb, r0, m, p->rowsize, s->raw);
    /* an edge chunk is stored whole: zeros, as HDF5's own fill would be */
    memset(s->raw + m * p->rowsize, 0, bytes - m * p->rowsize);
    if (!p->level) {
        s->out = s->raw;
        s->len = bytes;
        return;
    }
    shuffle(s->raw, s->shuf, p->chunk_rows, p->rowsize);
    s->len = libdeflate_zlib_compress(z, s->shuf, bytes, s->z, p->zcap);
    s->out = s->z;
}

static void *worker(void *arg)
{
    pipeline *p = arg;
    struct libdeflate_compressor *z = p->level ? libdeflate_alloc_compressor(p->level) : NULL;
    pthread_mutex_lock(&p->mu);
    if (p->level && !z) {
        p->failed = 1;
        pthread_cond_broadcast(&p->done);
    }
    while (!p->failed) {
        while (!p->stop && p->next < p->nchunks && p->next >= p->taken + p->nslots)
            pthread_cond_wait(&p->work, &p->mu);
        if (p->stop || p->next >= p->nchunks)
            break;
        size_t i = p->next++;
        slot *s = &p->slots[i % p->nslots];
        pthread_mutex_unlock(&p->mu);
        make_chunk(p, z, i, s);
        pthread_mutex_lock(&p->mu);
        s->chunk = i;
        s->ready = 1;
        pthread_cond_broadcast(&p->done);
    }
    pthread_mutex_unlock(&p->mu);
    libdeflate_free_compressor(z);
    return NULL;
}

static int ncores(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > MAX_WORKERS ? MAX_WORKERS : (int)n;
}

/* Buffers of every slot, and a compressor for the main thread's own chunks; 0 or -1. */
static int alloc_slots(pipeline *p, struct libdeflate_compressor **z)
{
    size_t bytes = p->chunk_rows * p->rowsize;
    if (p->level) {
        *z = libdeflate_alloc_compressor(p->level);
        if (!*z)
            return -1;
        p->zcap = libdeflate_zlib_compress_bound(*z, bytes);
    }
    p->slots = calloc(p->nslots, sizeof *p->slots);
    if (!p->slots)
        return -1;
    for (size_t k = 0; k < p->nslots; k++) {
        slot *s = &p->slots[k];
        s->raw = malloc(bytes);
        if (p->level) {
            s->shuf = malloc(bytes);
            s->z = malloc(p->zcap);
        }
        if (!s->raw || (p->level && (!s->shuf || !s->z)))
            return -1;
    }
    return 0;
}

/* Write every chunk of d, in order: made by worker threads when there are several, by
 * this thread otherwise (or when no thread can be started). */
static edb_status write_chunks(hid_t d, const tbl *tb, size_t rowsize, size_t chunk_rows,
                               const edb__wctx *c)
{
    pipeline p;
    memset(&p, 0, sizeof p);
    p.tb = tb;
    p.rowsize = rowsize;
    p.chunk_rows = chunk_rows;
    p.nchunks = (tb->nrows + chunk_rows - 1) / chunk_rows;
    p.level = edb__wctx_level(c);
    size_t nworkers = (size_t)ncores();
    if (nworkers > p.nchunks - 1)
        nworkers = p.nchunks - 1; /* a single chunk: no thread */
    p.nslots = nworkers ? 2 * nworkers + 1 : 1;
    struct libdeflate_compressor *z = NULL;
    pthread_t th[MAX_WORKERS];
    size_t started = 0;
    int oom = alloc_slots(&p, &z) != 0, sync = 0;
    if (!oom && nworkers) {
        sync = 1;
        pthread_mutex_init(&p.mu, NULL);
        pthread_cond_init(&p.work, NULL);
        pthread_cond_init(&p.done, NULL);
        while (started < nworkers && pthread_create(&th[started], NULL, worker, &p) == 0)
            started++;
        nworkers = started;
    }
    edb_status st = EDB_OK;
    for (size_t i = 0; !oom && st == EDB_OK && i < p.nchunks; i++) {
        slot *s = &p.slots[i % (nworkers ? p.nslots : 1)];
        if (nworkers) {
            pthread_mutex_lock(&p.mu);
            while (!(s->ready && s->chunk == i) && !p.failed)
                pthread_cond_wait(&p.done, &p.mu);
            oom = p.failed;
            pthread_mutex_unlock(&p.mu);
            if (oom)
                break;
        } else {
            make_chunk(&p, z, i, s);
        }
        hsize_t off = (hsize_t)(i * chunk_rows);
        if (H5Dwrite_chunk(d, H5P_DEFAULT, 0, &off, s->len, s->out) < 0) {
            keep_error();
            char what[600];
            snprintf(what, sizeof what, "writing the rows of %s", tb->path);
            st = h5_fail(c, what);
        }
        if (nworkers) {
            pthread_mutex_lock(&p.mu);
            s->ready = 0;
            p.taken++;
            pthread_cond_broadcast(&p.work);
            pthread_mutex_unlock(&p.mu);
        }
    }
    if (started) {
        pthread_mutex_lock(&p.mu);
        p.stop = 1;
        pthread_cond_broadcast(&p.work);
        pthread_mutex_unlock(&p.mu);
        for (size_t k = 0; k < started; k++)
            pthread_join(th[k], NULL);
    }
    if (sync) {
        pthread_mutex_destroy(&p.mu);
        pthread_cond_destroy(&p.work);
        pthread_cond_destroy(&p.done);
    }
    for (size_t k = 0; p.slots && k < p.nslots; k++) {
        free(p.slots[k].raw);
        free(p.slots[k].shuf);
        free(p.slots[k].z);
    }
    free(p.slots);
    libdeflate_free_compressor(z);
    if (oom && st == EDB_OK)
        st = edb_err_set(c->err, EDB_ERR_NOMEM, "out of memory writing HDF5");
    return st;
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
