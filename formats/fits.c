/* fits.c: FITS binary tables through cfitsio (docs/formats.md says what is in them).
 *
 * Raw samples: an empty primary HDU with the run's metadata, then one BINTABLE per
 * mnemonic (EXTNAME = the mnemonic) with TIME, MJD, VALUE.  A wide table: one BINTABLE
 * (EXTNAME = 'RESAMPLED') with TIME, MJD and one column each.  TIME is seconds since
 * MJDREF, the integer MJD of the day of the earliest sample in the file, so every table of
 * one file shares one reference; MJD is the same instant as a plain number and carries no
 * TCTYP/TCUNI so that time-aware readers pick TIME alone.
 *
 * Rows are packed here, big-endian, into a buffer of fits_get_rowsize rows and handed to
 * fits_write_tblbytes: cfitsio's per-cell conversions are what would make this slow.
 * Nothing comes from the clock: DATE (the run's time) is written only when the caller asks
 * for it (edb_run_info.stamp), and the date cfitsio puts in the CHECKSUM/DATASUM comments
 * is replaced by a fixed text. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <fitsio.h>

#include <edb/writer.h>

#include "formats.h"

/* One value column, from a raw series or from a wide table's column. */
typedef struct vcol {
    const char *name;
    const char *mnemonic;
    const char *stat;
    const char *unit;
    const char *description;
    edb_vtype vtype;
    const double *d;
    const int64_t *i;
    const edb_series *s;   /* string source when raw */
    const edb_column *c;   /* string source when wide */
    const uint8_t *valid;  /* NULL: every row has a value */
    int wide_int;          /* INT stored as 1K rather than 1J */
    size_t width;          /* bytes in a row */
    const char *subsystem; /* the EDB's subsystem of the mnemonic, or NULL */
} vcol;

typedef struct hdu {
    const char *extname;
    const char *mnemonic;  /* raw only */
    const char *sqltype;   /* raw only */
    size_t nrows;
    const edb_time *t;
    int64_t step_us;       /* wide only, 0 = irregular */
    size_t ncols;
    vcol *cols;
    const edb_table *meta; /* wide only: the table's own key/value metadata, or NULL */
} hdu;

static edb_status fits_fail(const edb__wctx *c, int status, const char *what)
{
    char text[FLEN_STATUS], line[FLEN_ERRMSG], stack[600] = "";
    size_t o = 0;
    fits_get_errstatus(status, text);
    /* cfitsio keeps a global stack of messages; collect it for our message and leave it
     * empty, so nothing is ever printed or left for the next caller. */
    while (fits_read_errmsg(line) && o < sizeof stack - 1) {
        size_t len = strlen(line);
        while (len && line[len - 1] == ' ')
            line[--len] = '\0';
        if (len)
            o += (size_t)snprintf(stack + o, sizeof stack - o, "%s%s", o ? "; " : "", line);
    }
    fits_clear_errmsg();
    edb_status st = status == MEMORY_ALLOCATION ? EDB_ERR_NOMEM : EDB_ERR_IO;
    return edb_err_set(c->err, st, "FITS: %s failed: %s (cfitsio status %d%s%s)", what, text,
                       status, o ? ": " : "", stack);
}

static void put_be64(unsigned char *p, uint64_t v)
{
    for (int k = 7; k >= 0; k--) {
        p[k] = (unsigned char)v;
        v >>= 8;
    }
}

static void put_double(unsigned char *p, double d)
{
    uint64_t v;
    memcpy(&v, &d, 8);
    put_be64(p, v);
}

/* FITS header strings are printable ASCII: anything else becomes '?', so that at least the
 * shape of a unit or description survives (the bytes are kept in HDF5 and ECSV). */
static void ascii_copy(char *dst, size_t n, const char *src)
{
    size_t k = 0;
    for (; src[k] && k + 1 < n; k++) {
        unsigned char ch = (unsigned char)src[k];
        dst[k] = (ch < 0x20 || ch > 0x7e) ? '?' : (char)ch;
    }
    dst[k] = '\0';
}

static char *ascii_dup(const char *src)
{
    size_t n = strlen(src) + 1;
    char *d = malloc(n);
    if (d)
        ascii_copy(d, n, src);
    return d;
}

static void iso_s(edb_time t, char *buf, size_t n)
{
    /* DATE wants whole seconds; edb_time_format_iso gives milliseconds. */
    char full[EDB_TIME_STRLEN];
    edb_time_format_iso(t, full, sizeof full);
    snprintf(buf, n, "%.19s", full);
}

static size_t str_len(const vcol *v, size_t r)
{
    size_t len;
    if (v->s)
        edb_series_str(v->s, r, &len);
    else
        edb_column_str(v->c, r, &len);
    return len;
}

static const char *str_at(const vcol *v, size_t r, size_t *len)
{
    return v->s ? edb_series_str(v->s, r, len) : edb_column_str(v->c, r, len);
}

static void size_column(vcol *v, size_t nrows)
{
    switch (v->vtype) {
    case EDB_VT_INT:
        v->wide_int = !edb__fits_int32(v->i, v->valid, nrows);
        v->width = v->wide_int ? 8 : 4;
        break;
    case EDB_VT_STRING: {
        size_t w = 1; /* FITS has no 0A column that every reader takes */
        for (size_t r = 0; r < nrows; r++)
            if (!v->valid || v->valid[r]) {
                size_t len = str_len(v, r);
                if (len > w)
                    w = len;
            }
        v->width = w;
        break;
    }
    default:
        v->width = 8;
    }
}

/* A string value of any length under a key of any length, as astropy reads it back: a key
 * of up to 8 characters takes cfitsio's long strings (the OGIP CONTINUE convention); a
 * longer one is a HIERARCH card when the value fits on it, else (astropy reads no long
 * HIERARCH value) the key's first 8 characters with CONTINUE cards, the whole key named
 * in the comment (not written when the header has that shorter key already).  value is
 * ASCII. */
static void write_long_str(fitsfile *fp, const char *key, const char *value, int *status)
{
    if (strlen(key) <= 8) {
        fits_write_key_longstr(fp, key, value, "", status);
        return;
    }
    char card[FLEN_CARD * 2];
    size_t quotes = 0;
    for (const char *p = value; *p; p++)
        quotes += *p == '\'';
    int n = snprintf(card, sizeof card, "HIERARCH %s = '", key);
    if (n > 0 && (size_t)n + strlen(value) + quotes + 1 <= 80) {
        for (const char *p = value; *p; p++) {
            card[n++] = *p;
            if (*p == '\'')
                card[n++] = '\'';
        }
        card[n++] = '\'';
        card[n] = '\0';
        fits_write_record(fp, card, status);
        return;
    }
    char shortkey[9], comment[FLEN_COMMENT];
    snprintf(shortkey, sizeof shortkey, "%s", key);
    if (fits_read_card(fp, shortkey, card, status) == 0)
        return;
    *status = 0;
    snprintf(comment, sizeof comment, "%s", key);
    fits_write_key_longstr(fp, shortkey, value, comment, status);
}

static void write_card_str(fitsfile *fp, const char *key, const char *value, const char *comment,
                           int *status)
{
    char v[FLEN_VALUE];
    ascii_copy(v, sizeof v - 2, value);
    fits_write_key_str(fp, key, v, comment, status);
}

/* ---- CHECKSUM and DATASUM ------------------------------------------------------------
 *
 * cfitsio's fits_write_chksum reads the whole data unit back, twice with the fix-up of
 * the time-stamped comments it writes: for large tables that was a fifth of the time.  So
 * the data sum (the 32-bit ones' complement sum of the data's big-endian words, FITS 4.0
 * appendix J) is added up here as the rows are packed; the keywords go in before the data
 * with fixed comments, and at the end only the header is summed (cfitsio's fits_csum) and
 * CHECKSUM set to the complement, as the convention says. */

typedef struct csum {
    uint64_t sum;
    unsigned char part[4]; /* a word cut by the end of a block */
    size_t npart;
} csum;

static void csum_fold(csum *c)
{
    while (c->sum >> 32)
        c->sum = (c->sum & 0xffffffffu) + (c->sum >> 32);
}

static void csum_add(csum *c, const unsigned char *p, size_t n)
{
    if (c->npart) { /* complete the word the last block cut */
        size_t take = 4 - c->npart < n ? 4 - c->npart : n;
        memcpy(c->part + c->npart, p, take);
        c->npart += take;
        p += take;
        n -= take;
        if (c->npart < 4)
            return;
        c->npart = 0;
        c->sum += (uint32_t)c->part[0] << 24 | (uint32_t)c->part[1] << 16 |
                  (uint32_t)c->part[2] << 8 | c->part[3];
    }
    for (; n >= 4; p += 4, n -= 4)
        c->sum += (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
    if (n) { /* here npart is 0 and n < 4 */
        memcpy(c->part, p, n);
        c->npart = n;
    }
    csum_fold(c); /* at most 2^32 words were added: no overflow */
}

static unsigned long csum_end(csum *c)
{
    if (c->npart) { /* the data unit is padded with zeros */
        while (c->npart < 4)
            c->part[c->npart++] = 0;
        c->npart = 0;
        c->sum += (uint32_t)c->part[0] << 24 | (uint32_t)c->part[1] << 16 |
                  (uint32_t)c->part[2] << 8 | c->part[3];
        csum_fold(c);
    }
    return (unsigned long)c->sum;
}

/* Before the data: the keywords, with fixed comments (no time stamp). */
static void checksum_keys(fitsfile *fp, int *status)
{
    fits_write_key_str(fp, "CHECKSUM", "0000000000000000", "HDU checksum", status);
    /* cfitsio's own placeholder, so that the header is what fits_write_chksum writes */
    fits_write_key_str(fp, "DATASUM", "         0", "data unit checksum", status);
}

/* After the data: DATASUM's value, then the header summed onto it, and CHECKSUM the
 * complement of that ("&" keeps the comment). */
static void checksum_final(fitsfile *fp, unsigned long datasum, int *status)
{
    char v[FLEN_VALUE];
    snprintf(v, sizeof v, "%lu", datasum);
    if (datasum)
        fits_modify_key_str(fp, "DATASUM", v, "&", status);
    fits_set_hdustruc(fp, status); /* END and the blank fill in place */
    LONGLONG head = 0, data = 0, end = 0;
    fits_get_hduaddrll(fp, &head, &data, &end, status);
    if (*status)
        return;
    unsigned long sum = datasum;
    /* ffmbyt: public "for the rare cases where it is needed"; 0 is REPORT_EOF */
    ffmbyt(fp, head, 0, status);
    ffcsum(fp, (long)((data - head) / 2880), &sum, status);
    fits_encode_chksum(sum, TRUE, v);
    fits_modify_key_str(fp, "CHECKSUM", v, "&", status);
}

static void write_time_keys(fitsfile *fp, const hdu *h, long mjdref, const edb__wctx *c,
                            int *status)
{
    char buf[EDB_TIME_STRLEN];
    fits_write_key_str(fp, "TIMESYS", "UTC", "time scale of TIME and of every date", status);
    fits_write_key_str(fp, "TIMEUNIT", "s", "unit of TIME, TSTART, TSTOP, TIMEDEL", status);
    fits_write_key_str(fp, "TREFPOS", "TOPOCENTER", "where the times apply", status);
    fits_write_key_dbl(fp, "MJDREF", (double)mjdref, 15, "[d] MJD of TIME = 0 (UTC)", status);
    fits_write_key_lng(fp, "MJDREFI", mjdref, "[d] integer part of MJDREF", status);
    fits_write_key_dbl(fp, "MJDREFF", 0.0, 15, "[d] fractional part of MJDREF", status);
    const edb_time ref = (edb_time)(mjdref - EDB_MJD_UNIX_EPOCH) * EDB_USEC_PER_DAY;
    edb_time a = 0, b = 0;
    int have = 0;
    if (h->nrows) {
        a = h->t[0];
        b = h->t[h->nrows - 1];
        have = 1;
    } else if (c->run) {
        a = c->run->start;
        b = c->run->end;
        have = 1;
    }
    if (have) {
        edb_time_format_iso(a, buf, sizeof buf);
        fits_write_key_str(fp, "DATE-BEG", buf, "first time in the table (UTC)", status);
        edb_time_format_iso(b, buf, sizeof buf);
        fits_write_key_str(fp, "DATE-END", buf, "last time in the table (UTC)", status);
        fits_write_key_dbl(fp, "TSTART", (double)(a - ref) / 1e6, 15,
                           "[s] DATE-BEG as TIME", status);
        fits_write_key_dbl(fp, "TSTOP", (double)(b - ref) / 1e6, 15, "[s] DATE-END as TIME",
                           status);
    }
}

static void write_run_keys(fitsfile *fp, const edb__wctx *c, int *status)
{
    char buf[EDB_TIME_STRLEN];
    fits_write_key_str(fp, "TELESCOP", "JWST", "telemetry of the James Webb Space Telescope",
                       status);
    if (edb__wctx_stamp(c)) {
        iso_s(c->run->run_time, buf, sizeof buf);
        fits_write_key_str(fp, "DATE", buf, "UTC time of the run that wrote the file", status);
    }
}

static edb_status write_hdu(fitsfile *fp, const hdu *h, long mjdref, const edb__wctx *c)
{
    int status = 0;
    size_t nc = 2 + h->ncols;
    char **ttype = calloc(nc, sizeof *ttype), **tform = calloc(nc, sizeof *tform);
    char **tunit = calloc(nc, sizeof *tunit);
    char(*forms)[24] = calloc(nc, sizeof *forms);
    unsigned char *buf = NULL;
    edb_status st = EDB_OK;
    if (!ttype || !tform || !tunit || !forms) {
        st = edb_err_set(c->err, EDB_ERR_NOMEM, "out of memory writing FITS");
        goto done;
    }
    size_t rowlen = 16;
    ttype[0] = (char *)"TIME";
    tform[0] = (char *)"1D";
    tunit[0] = (char *)"s";
    ttype[1] = (char *)"MJD";
    tform[1] = (char *)"1D";
    tunit[1] = (char *)"d";
    for (size_t k = 0; k < h->ncols; k++) {
        vcol *v = &h->cols[k];
        size_column(v, h->nrows);
        rowlen += v->width;
        ttype[2 + k] = ascii_dup(v->name);
        switch (v->vtype) {
        case EDB_VT_INT: snprintf(forms[2 + k], sizeof forms[0], v->wide_int ? "1K" : "1J"); break;
        case EDB_VT_STRING: snprintf(forms[2 + k], sizeof forms[0], "%zuA", v->width); break;
        default: snprintf(forms[2 + k], sizeof forms[0], "1D"); break;
        }
        tform[2 + k] = forms[2 + k];
        const char *fu = edb__fits_unit(v->unit);
        tunit[2 + k] = (char *)(fu ? fu : "");
        if (!ttype[2 + k]) {
            st = edb_err_set(c->err, EDB_ERR_NOMEM, "out of memory writing FITS");
            goto done;
        }
    }
    fits_create_tbl(fp, BINARY_TBL, (LONGLONG)h->nrows, (int)nc, ttype, tform, tunit,
                    h->extname, &status);
    if (h->mnemonic)
        fits_write_key_str(fp, "MNEMONIC", h->mnemonic, "EDB mnemonic of this table", &status);
    if (h->sqltype && h->sqltype[0])
        fits_write_key_str(fp, "SQLTYPE", h->sqltype, "the EDB's sqldataType of the values",
                           &status);
    write_run_keys(fp, c, &status);
    write_time_keys(fp, h, mjdref, c, &status);
    if (!h->mnemonic) {
        if (h->step_us > 0)
            fits_write_key_dbl(fp, "TIMEDEL", (double)h->step_us / 1e6, 15,
                               "[s] step of the time grid", &status);
        fits_write_key_dbl(fp, "TIMEPIXR", 0.0, 1, "a time marks the start of its bin",
                           &status);
    }
    fits_write_key_str(fp, "TCTYP1", "UTC", "TIME is a UTC time coordinate", &status);
    fits_write_key_str(fp, "TCUNI1", "s", "unit of the TIME coordinate", &status);
    int longwarn = 0;
    for (size_t k = 0; k < h->ncols && status == 0; k++) {
        const vcol *v = &h->cols[k];
        char key[FLEN_KEYWORD];
        int n = (int)(3 + k);
        if (v->vtype == EDB_VT_INT) {
            snprintf(key, sizeof key, "TNULL%d", n);
            fits_write_key_lng(fp, key, v->wide_int ? INT64_MIN : INT32_MIN, "no value", &status);
        }
        if (v->unit && v->unit[0]) {
            snprintf(key, sizeof key, "EUNIT%d", n);
            write_card_str(fp, key, v->unit, "unit as the EDB names it", &status);
        }
        if (v->subsystem && v->subsystem[0]) {
            snprintf(key, sizeof key, "TSUBS%d", n);
            write_card_str(fp, key, v->subsystem, "the EDB's subsystem of the mnemonic",
                           &status);
        }
        if (!h->mnemonic) {
            snprintf(key, sizeof key, "TMNEM%d", n);
            write_card_str(fp, key, v->mnemonic, "EDB mnemonic of the column", &status);
            if (v->stat) {
                snprintf(key, sizeof key, "TSTAT%d", n);
                write_card_str(fp, key, v->stat, "statistic of the bin", &status);
            }
        }
        if (v->description && v->description[0]) {
            if (!longwarn++)
                fits_write_key_longwarn(fp, &status);
            char *d = ascii_dup(v->description);
            if (!d) {
                st = edb_err_set(c->err, EDB_ERR_NOMEM, "out of memory writing FITS");
                goto done;
            }
            snprintf(key, sizeof key, "TCOMM%d", n);
            fits_write_key_longstr(fp, key, d, "description", &status);
            free(d);
        }
    }
    /* The table's own metadata (edbx monitor: the entry, its limits, condition and command),
     * its keys in capitals, anything but a letter, a digit, '-' or '_' made '_'
     * (write_long_str); a key the header already holds is not written twice. */
    for (size_t k = 0; h->meta && k < h->meta->n_meta && status == 0; k++) {
        char key[FLEN_KEYWORD], card[FLEN_CARD];
        ascii_copy(key, 60, h->meta->meta_key[k]);
        for (char *q = key; *q; q++)
            *q = (*q >= 'a' && *q <= 'z')                                 ? (char)(*q - 'a' + 'A')
                 : (*q >= 'A' && *q <= 'Z') || (*q >= '0' && *q <= '9') || *q == '-' ? *q
                                                                                     : '_';
        if (!key[0])
            continue;
        if (fits_read_card(fp, key, card, &status) == 0)
            continue;
        status = 0;
        if (!longwarn++)
            fits_write_key_longwarn(fp, &status);
        char *d = ascii_dup(h->meta->meta_val[k] ? h->meta->meta_val[k] : "");
        if (!d) {
            st = edb_err_set(c->err, EDB_ERR_NOMEM, "out of memory writing FITS");
            goto done;
        }
        write_long_str(fp, key, d, &status);
        free(d);
    }
    checksum_keys(fp, &status);
    char what[160];
    if (status) {
        snprintf(what, sizeof what, "writing the header of table %s", h->extname);
        st = fits_fail(c, status, what);
        goto done;
    }

    long chunk = 0;
    fits_get_rowsize(fp, &chunk, &status);
    if (chunk < 1)
        chunk = 1;
    if (h->nrows && (size_t)chunk > h->nrows)
        chunk = (long)h->nrows;
    buf = calloc((size_t)chunk, rowlen);
    if (!buf) {
        st = edb_err_set(c->err, EDB_ERR_NOMEM, "out of memory writing FITS");
        goto done;
    }
    const edb_time ref = (edb_time)(mjdref - EDB_MJD_UNIX_EPOCH) * EDB_USEC_PER_DAY;
    csum ds = {0, {0}, 0};
    for (size_t r0 = 0; r0 < h->nrows && status == 0; r0 += (size_t)chunk) {
        size_t m = h->nrows - r0 < (size_t)chunk ? h->nrows - r0 : (size_t)chunk;
        memset(buf, 0, m * rowlen);
        for (size_t j = 0; j < m; j++) {
            size_t r = r0 + j;
            unsigned char *p = buf + j * rowlen;
            /* Exact: the microsecond difference is an integer below 2^53. */
            put_double(p, (double)(h->t[r] - ref) / 1e6);
            put_double(p + 8, edb_time_to_mjd(h->t[r]));
            p += 16;
            for (size_t k = 0; k < h->ncols; k++) {
                const vcol *v = &h->cols[k];
                int ok = !v->valid || v->valid[r];
                switch (v->vtype) {
                case EDB_VT_REAL:
                    put_double(p, ok ? v->d[r] : NAN);
                    break;
                case EDB_VT_INT:
                    if (v->wide_int) {
                        put_be64(p, (uint64_t)(ok ? v->i[r] : INT64_MIN));
                    } else {
                        uint32_t u = (uint32_t)(int32_t)(ok ? v->i[r] : INT32_MIN);
                        p[0] = (unsigned char)(u >> 24);
                        p[1] = (unsigned char)(u >> 16);
                        p[2] = (unsigned char)(u >> 8);
                        p[3] = (unsigned char)u;
                    }
                    break;
                case EDB_VT_STRING:
                    if (ok) {
                        /* NUL-padded (FITS 4.0 7.3.3.1): trailing blanks of a value stay. */
                        size_t len;
                        const char *s = str_at(v, r, &len);
                        memcpy(p, s, len);
                    }
                    break;
                case EDB_VT_NONE:
                    break;
                }
                p += v->width;
            }
        }
        csum_add(&ds, buf, m * rowlen);
        fits_write_tblbytes(fp, (LONGLONG)r0 + 1, 1, (LONGLONG)(m * rowlen), buf, &status);
    }
    checksum_final(fp, csum_end(&ds), &status);
    if (status) {
        snprintf(what, sizeof what, "writing table %s", h->extname);
        st = fits_fail(c, status, what);
    }
done:
    if (ttype)
        for (size_t k = 2; k < nc; k++)
            free(ttype[k]);
    free(ttype);
    free(tform);
    free(tunit);
    free(forms);
    free(buf);
    return st;
}

static edb_status open_file(const edb__wctx *c, fitsfile **fp, long nhdus)
{
    int status = 0;
    /* writer.c created the temporary file; cfitsio insists on creating it itself.  The
     * disk-file call does not parse cfitsio's extended syntax, so '[' or '!' in a path are
     * just characters. */
    remove(c->path);
    fits_create_diskfile(fp, c->path, &status);
    if (status)
        return fits_fail(c, status, "creating the file");
    fits_create_img(*fp, BYTE_IMG, 0, NULL, &status);
    char creator[64];
    edb__creator(creator, sizeof creator);
    fits_write_key_str(*fp, "ORIGIN", "edbx", "JWST engineering telemetry pulled by edbx",
                       &status);
    fits_write_key_str(*fp, "CREATOR", creator, "program that wrote the file", &status);
    write_run_keys(*fp, c, &status);
    if (c->run) {
        char buf[EDB_TIME_STRLEN];
        fits_write_key_str(*fp, "TIMESYS", "UTC", "time scale of every date", &status);
        edb_time_format_iso_us(c->run->start, buf, sizeof buf);
        fits_write_key_str(*fp, "QRYSTART", buf, "start of the query interval (UTC)", &status);
        edb_time_format_iso_us(c->run->end, buf, sizeof buf);
        fits_write_key_str(*fp, "QRYEND", buf, "end of the query interval (UTC)", &status);
    }
    fits_write_key_lng(*fp, "NTABLES", nhdus, "number of table extensions", &status);
    if (c->run && c->run->command_line) {
        char *h = ascii_dup(c->run->command_line);
        if (!h) {
            fits_close_file(*fp, &status);
            return edb_err_set(c->err, EDB_ERR_NOMEM, "out of memory writing FITS");
        }
        /* cfitsio continues a long HISTORY over as many cards as it needs. */
        fits_write_history(*fp, h, &status);
        free(h);
    }
    checksum_keys(*fp, &status);
    checksum_final(*fp, 0, &status);
    if (status) {
        edb_status st = fits_fail(c, status, "writing the primary header");
        int s2 = 0;
        fits_close_file(*fp, &s2);
        fits_clear_errmsg();
        return st;
    }
    return EDB_OK;
}

static edb_status close_file(const edb__wctx *c, fitsfile *fp, edb_status st)
{
    int status = 0;
    fits_close_file(fp, &status);
    if (st == EDB_OK && status)
        return fits_fail(c, status, "closing the file");
    fits_clear_errmsg();
    return st;
}

static long reference_day(const edb_time *first, size_t n, const edb__wctx *c)
{
    edb_time m = EDB_TIME_MAX;
    for (size_t k = 0; k < n; k++)
        if (first[k] < m)
            m = first[k];
    if (m == EDB_TIME_MAX)
        m = c->run ? c->run->start : 0;
    return edb__mjd_day(m);
}

static edb_status fits_write_series(const edb__wctx *c, const edb_series *const *series, size_t n)
{
    edb_time *first = calloc(n ? n : 1, sizeof *first);
    if (!first)
        return edb_err_set(c->err, EDB_ERR_NOMEM, "out of memory writing FITS");
    size_t nf = 0;
    for (size_t k = 0; k < n; k++)
        if (series[k]->n)
            first[nf++] = series[k]->t[0]; /* series are in time order */
    long mjdref = reference_day(first, nf, c);
    free(first);
    fitsfile *fp = NULL;
    edb_status st = open_file(c, &fp, (long)n);
    if (st != EDB_OK)
        return st;
    for (size_t k = 0; k < n && st == EDB_OK; k++) {
        const edb_series *s = series[k];
        vcol v = {"VALUE", s->mnemonic, NULL, s->unit, s->description,
                  s->vtype == EDB_VT_NONE ? EDB_VT_REAL : s->vtype,
                  s->d, s->i, s, NULL, NULL, 0, 0, s->subsystem};
        hdu h = {s->mnemonic, s->mnemonic, s->sqltype, s->n, s->t, 0, 1, &v, NULL};
        st = write_hdu(fp, &h, mjdref, c);
    }
    return close_file(c, fp, st);
}

static edb_status fits_write_table(const edb__wctx *c, const edb_table *t)
{
    long mjdref = reference_day(t->t, t->nrows ? 1 : 0, c);
    vcol *cols = calloc(t->ncols ? t->ncols : 1, sizeof *cols);
    if (!cols)
        return edb_err_set(c->err, EDB_ERR_NOMEM, "out of memory writing FITS");
    for (size_t k = 0; k < t->ncols; k++) {
        const edb_column *col = &t->cols[k];
        vcol v = {col->name, col->mnemonic, col->stat, col->unit, col->description,
                  col->vtype == EDB_VT_NONE ? EDB_VT_REAL : col->vtype,
                  col->d, col->i, NULL, col, col->valid, 0, 0, col->subsystem};
        cols[k] = v;
    }
    fitsfile *fp = NULL;
    edb_status st = open_file(c, &fp, 1);
    if (st == EDB_OK) {
        hdu h = {"RESAMPLED", NULL, NULL, t->nrows, t->t, t->step_us, t->ncols, cols, t};
        st = close_file(c, fp, write_hdu(fp, &h, mjdref, c));
    }
    free(cols);
    return st;
}

static const char *const fits_extensions[] = {".fits", ".fit", NULL};

const edb__format edb__format_fits = {.name = "fits", .extensions = fits_extensions, .streams = 0,
                                      .write_series = fits_write_series,
                                      .write_table = fits_write_table};
