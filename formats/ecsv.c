/* ecsv.c: ECSV 1.0 (astropy's Enhanced CSV): a YAML header in '#' lines, then CSV.
 *
 * Raw samples keep CSV's long layout (time,mjd,mnemonic,value), so one file holds any mix
 * of mnemonics; the value column is int64 when every mnemonic is an integer, float64 when
 * every one is numeric and no integer is beyond 2^53 (where a double would round it),
 * string otherwise.  Units, descriptions and types per mnemonic go into the header's meta
 * (and onto the value column itself when there is one mnemonic).  A wide table is time,
 * mjd and one typed column each.  A missing value is an empty field, which astropy reads
 * as masked; an empty string is written "" to tell it apart.
 *
 * The time column is ISO 8601 text (UTC); only with -O astropy-time (--astropy-time) does
 * the header tag it as an astropy Time, because TOPCAT refuses files that carry that tag.
 * -O safe quotes string values for spreadsheets as CSV does (csv.c). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <edb/number.h>
#include <edb/writer.h>

#include "formats.h"

#define TWO53 INT64_C(9007199254740992)

/* A YAML double-quoted scalar.  safe (-O safe): a spreadsheet splitting the header line
 * at ',' or ';' must not find a cell that starts like a formula (edb__csv_cell_risky). */
static void yaml_str(FILE *f, const char *s, int safe)
{
    putc('"', f);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') {
            putc('\\', f);
            putc(ch, f);
        } else if (ch < 0x20 || ch == 0x7f) {
            fprintf(f, "\\x%02x", ch);
        } else {
            putc(ch, f);
            if (safe && (ch == ',' || ch == ';') && edb__csv_cell_risky(s + 1))
                putc('\'', f);
        }
    }
    putc('"', f);
}

/* Only units astropy parses become the column's unit; others go into meta (edb_unit). */
static void col_unit(FILE *f, const char *unit)
{
    const char *fu = edb__fits_unit(unit);
    if (fu) {
        fputs(", unit: ", f);
        yaml_str(f, fu, 0);
    }
}

static void header_start(FILE *f)
{
    fputs("# %ECSV 1.0\n# ---\n# delimiter: ','\n# datatype:\n", f);
    fputs("# - {name: time, datatype: string, description: \"UTC, ISO 8601\"}\n", f);
    fputs("# - {name: mjd, unit: d, datatype: float64, description: \"the same instant as a "
          "Modified Julian Date (UTC)\"}\n", f);
}

static void header_meta(FILE *f, const edb__wctx *c)
{
    char creator[64];
    edb__creator(creator, sizeof creator);
    fputs("# meta: !!omap\n# - {creator: ", f);
    yaml_str(f, creator, 0);
    fputs("}\n# - {TIMESYS: UTC}\n", f);
    if (c->run) {
        char buf[EDB_TIME_STRLEN];
        if (edb__wctx_stamp(c)) {
            edb_time_format_iso_us(c->run->run_time, buf, sizeof buf);
            fprintf(f, "# - {run_time: \"%s\"}\n", buf);
        }
        edb_time_format_iso_us(c->run->start, buf, sizeof buf);
        fprintf(f, "# - {query_start: \"%s\"}\n", buf);
        edb_time_format_iso_us(c->run->end, buf, sizeof buf);
        fprintf(f, "# - {query_end: \"%s\"}\n", buf);
    }
}

static void header_end(FILE *f, const edb__wctx *c)
{
    if (edb__wctx_flag(c, "astropy-time"))
        fputs("# - __serialized_columns__:\n"
              "#     time:\n"
              "#       __class__: astropy.time.core.Time\n"
              "#       format: isot\n"
              "#       in_subfmt: '*'\n"
              "#       out_subfmt: '*'\n"
              "#       precision: 3\n"
              "#       scale: utc\n"
              "#       value: !astropy.table.SerializedColumn {name: time}\n",
              f);
    fputs("# schema: astropy-2.0\n", f);
}

static edb_status ecsv_write_series(const edb__wctx *c, const edb_series *const *series, size_t n)
{
    FILE *f = c->f;
    int safe = edb__wctx_flag(c, "safe");
    int any_str = 0, all_int = 1, big = 0;
    for (size_t k = 0; k < n; k++) {
        const edb_series *s = series[k];
        if (s->vtype == EDB_VT_STRING)
            any_str = 1;
        if (s->vtype == EDB_VT_REAL)
            all_int = 0;
        if (s->vtype == EDB_VT_INT)
            for (size_t j = 0; j < s->n; j++)
                if (s->i[j] > TWO53 || s->i[j] < -TWO53)
                    big = 1;
    }
    int has_int = 0;
    for (size_t k = 0; k < n; k++)
        has_int |= series[k]->vtype == EDB_VT_INT;
    const char *vtype = any_str ? "string"
                        : (all_int && has_int) ? "int64"
                        : big ? "string" : "float64";
    header_start(f);
    fputs("# - {name: mnemonic, datatype: string}\n", f);
    fprintf(f, "# - {name: value, datatype: %s", vtype);
    if (n == 1) {
        col_unit(f, series[0]->unit);
        if (series[0]->description && series[0]->description[0]) {
            fputs(", description: ", f);
            yaml_str(f, series[0]->description, safe);
        }
    }
    fputs("}\n", f);
    header_meta(f, c);
    fputs("# - mnemonics:\n", f);
    if (n == 0)
        fputs("#     {}\n", f);
    for (size_t k = 0; k < n; k++) {
        const edb_series *s = series[k];
        fprintf(f, "#     %s:\n", s->mnemonic);
        fprintf(f, "#       type: %s\n", edb_vtype_name(s->vtype));
        if (s->sqltype[0]) {
            fputs("#       sqldataType: ", f);
            yaml_str(f, s->sqltype, safe);
            putc('\n', f);
        }
        const char *fu = edb__fits_unit(s->unit);
        if (fu) {
            fputs("#       unit: ", f);
            yaml_str(f, fu, 0);
            putc('\n', f);
        }
        if (s->unit && s->unit[0]) {
            fputs("#       edb_unit: ", f);
            yaml_str(f, s->unit, safe);
            putc('\n', f);
        }
        if (s->description && s->description[0]) {
            fputs("#       description: ", f);
            yaml_str(f, s->description, safe);
            putc('\n', f);
        }
        if (s->subsystem && s->subsystem[0]) {
            fputs("#       subsystem: ", f);
            yaml_str(f, s->subsystem, safe);
            putc('\n', f);
        }
    }
    header_end(f, c);
    fputs("time,mjd,mnemonic,value\n", f);
    edb__out o;
    if (edb__out_init(&o, f) != 0)
        return edb_err_set(c->err, EDB_ERR_NOMEM, "out of memory writing the ECSV");
    o.safe = safe;
    o.empty_quoted = 1;
    int bad = 0;
    for (size_t k = 0; k < n && !bad; k++)
        bad = edb__out_rows(&o, series[k]->n, edb__series_row, series[k]) != 0;
    edb__out_free(&o);
    return bad ? edb_err_set(c->err, EDB_ERR_NOMEM, "out of memory writing the ECSV") : EDB_OK;
}

static edb_status ecsv_write_table(const edb__wctx *c, const edb_table *t)
{
    FILE *f = c->f;
    int safe = edb__wctx_flag(c, "safe");
    header_start(f);
    for (size_t k = 0; k < t->ncols; k++) {
        const edb_column *col = &t->cols[k];
        fputs("# - {name: ", f);
        yaml_str(f, col->name, 0);
        col_unit(f, col->unit);
        fprintf(f, ", datatype: %s", col->vtype == EDB_VT_INT ? "int64"
                                     : col->vtype == EDB_VT_STRING ? "string" : "float64");
        if (col->description && col->description[0]) {
            fputs(", description: ", f);
            yaml_str(f, col->description, safe);
        }
        fputs(", meta: {mnemonic: ", f);
        yaml_str(f, col->mnemonic ? col->mnemonic : "", 0);
        if (col->stat) {
            fputs(", stat: ", f);
            yaml_str(f, col->stat, 0);
        }
        if (col->unit && col->unit[0]) {
            fputs(", edb_unit: ", f);
            yaml_str(f, col->unit, safe);
        }
        if (col->subsystem && col->subsystem[0]) {
            fputs(", subsystem: ", f);
            yaml_str(f, col->subsystem, safe);
        }
        fputs("}}\n", f);
    }
    header_meta(f, c);
    if (t->step_us > 0) {
        char num[40];
        edb_format_double((double)t->step_us / 1e6, num, sizeof num);
        fprintf(f, "# - {step_s: %s}\n", num);
    }
    /* What the table is (edb_table_set_meta): its keys are plain words. */
    for (size_t k = 0; k < t->n_meta; k++) {
        fprintf(f, "# - {%s: ", t->meta_key[k]);
        yaml_str(f, t->meta_val[k], safe);
        fputs("}\n", f);
    }
    header_end(f, c);
    fputs("time,mjd", f);
    for (size_t k = 0; k < t->ncols; k++) {
        putc(',', f);
        edb__csv_put_string(f, t->cols[k].name, strlen(t->cols[k].name));
    }
    putc('\n', f);
    edb__out o;
    if (edb__out_init(&o, f) != 0)
        return edb_err_set(c->err, EDB_ERR_NOMEM, "out of memory writing the ECSV");
    o.safe = safe;
    o.empty_quoted = 1;
    int bad = edb__out_rows(&o, t->nrows, edb__table_row, t) != 0;
    edb__out_free(&o);
    return bad ? edb_err_set(c->err, EDB_ERR_NOMEM, "out of memory writing the ECSV") : EDB_OK;
}

static const char *const ecsv_extensions[] = {".ecsv", NULL};

static const edb__wopt ecsv_options[] = {
    {"safe", NULL,
     "put a ' before a string value that starts like a spreadsheet formula (= + - @, tab, CR "
     "first; numbers excepted)", NULL},
    {"astropy-time", NULL,
     "tag the time column as an astropy Time (TOPCAT cannot open such files)", NULL},
    {NULL, NULL, NULL, NULL}};

const edb__format edb__format_ecsv = {.name = "ecsv", .extensions = ecsv_extensions,
                                      .options = ecsv_options, .streams = 1,
                                      .write_series = ecsv_write_series,
                                      .write_table = ecsv_write_table};
