/* monitor_report.c: what `edbx monitor` writes besides the tables (monitor.h): report.json
 * for programs, report.md for people, and the plots.  Everything here comes from the
 * configurations and the tables over the whole range, never from the clock nor from how
 * the range was split over runs: the same inputs give the same bytes. */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <edb/writer.h>

#include "monitor.h"
#include "text.h"

/* ---- JSON ------------------------------------------------------------------------------- */

/* A JSON string: the bytes as they are (the configurations are UTF-8 JSON already), the
 * characters JSON must escape escaped. */
static void jstr(cli_text *b, const char *s)
{
    if (!s) {
        cli_text_puts(b, "null");
        return;
    }
    cli_text_puts(b, "\"");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') {
            char e[3] = {'\\', (char)*p, 0};
            cli_text_puts(b, e);
        } else if (*p < 0x20 || *p == 0x7f) {
            cli_text_printf(b, "\\u%04x", *p);
        } else {
            cli_text_put(b, (const char *)p, 1);
        }
    }
    cli_text_puts(b, "\"");
}

/* A number as the shortest text that reads back as the same double. */
static void jnum(cli_text *b, double v)
{
    char num[40];
    if (!isfinite(v)) {
        cli_text_puts(b, "null");
        return;
    }
    edb_format_double(v, num, sizeof num);
    cli_text_puts(b, num);
}

static void jtime(cli_text *b, edb_time t)
{
    char s[EDB_TIME_STRLEN];
    edb_time_format_iso_us(t, s, sizeof s);
    jstr(b, s);
}

static void jlimits(cli_text *b, int has, const double v[2])
{
    if (!has) {
        cli_text_puts(b, "null");
        return;
    }
    cli_text_puts(b, "[");
    jnum(b, v[0]);
    cli_text_puts(b, ", ");
    jnum(b, v[1]);
    cli_text_puts(b, "]");
}

static void jbreach(cli_text *b, const edb_breach *x)
{
    if (!x->count) {
        cli_text_puts(b, "null");
        return;
    }
    cli_text_printf(b, "{\"count\": %zu, \"first\": ", x->count);
    jtime(b, x->first);
    cli_text_puts(b, ", \"last\": ");
    jtime(b, x->last);
    cli_text_puts(b, ", \"worst\": ");
    jnum(b, x->worst);
    cli_text_puts(b, ", \"worst_time\": ");
    jtime(b, x->worst_time);
    cli_text_puts(b, "}");
}

static mon_status overall(const mon_run *r, size_t counts[MON_FAILED + 1])
{
    memset(counts, 0, (MON_FAILED + 1) * sizeof *counts);
    mon_status worst = MON_OK;
    for (size_t k = 0; k < r->n_jobs; k++) {
        mon_status s = r->jobs[k].status;
        counts[s]++;
        if (s == MON_RED || (s == MON_YELLOW && worst != MON_RED) ||
            (s == MON_FAILED && worst != MON_RED && worst != MON_YELLOW))
            worst = s;
    }
    return worst;
}

static size_t table_rows(const mon_job *j)
{
    return j->table ? j->table->nrows : 0;
}

static void report_json(const mon_run *r, cli_text *b)
{
    size_t counts[MON_FAILED + 1];
    mon_status worst = overall(r, counts);
    cli_text_puts(b, "{\n  \"format\": \"edbx-monitor-report-1\",\n  \"edbx_version\": ");
    jstr(b, edb_version());
    cli_text_puts(b, ",\n  \"range\": {\"start\": ");
    jtime(b, r->start);
    cli_text_puts(b, ", \"end\": ");
    jtime(b, r->end);
    cli_text_printf(b, ", \"end_excluded\": %s},\n", r->end_open ? "true" : "false");
    cli_text_puts(b, "  \"configs\": [");
    for (size_t k = 0; k < r->n_cfgs; k++) {
        cli_text_puts(b, k ? ",\n    {\"file\": " : "\n    {\"file\": ");
        jstr(b, r->cfgs[k]->file);
        cli_text_puts(b, ", \"name\": ");
        jstr(b, r->cfgs[k]->stem);
        cli_text_printf(b, ", \"entries\": %zu}", r->cfgs[k]->n);
    }
    cli_text_puts(b, r->n_cfgs ? "\n  ],\n" : "],\n");
    cli_text_puts(b, "  \"status\": ");
    jstr(b, mon_status_name(worst));
    cli_text_printf(b, ",\n  \"counts\": {\"tables\": %zu", r->n_jobs);
    for (int s = 0; s <= MON_FAILED; s++)
        cli_text_printf(b, ", \"%s\": %zu", mon_status_name((mon_status)s), counts[s]);
    cli_text_puts(b, "},\n  \"files\": [");
    for (size_t k = 0; k < r->n_files; k++) {
        cli_text_puts(b, k ? ", " : "");
        jstr(b, r->files[k]);
    }
    cli_text_puts(b, "],\n  \"tables\": [");
    for (size_t k = 0; k < r->n_jobs; k++) {
        const mon_job *j = &r->jobs[k];
        const edb_monitor_entry *e = j->e;
        cli_text_puts(b, k ? ",\n    {\"table\": " : "\n    {\"table\": ");
        jstr(b, j->key);
        cli_text_puts(b, ", \"config\": ");
        jstr(b, e->config);
        cli_text_puts(b, ", \"section\": ");
        jstr(b, e->section);
        cli_text_printf(b, ", \"index\": %zu, \"entry\": ", e->index);
        jstr(b, e->id);
        cli_text_puts(b, ", \"mnemonic\": ");
        jstr(b, e->name);
        cli_text_puts(b, ", \"kind\": ");
        jstr(b, edb_monitor_kind_name(j->kind));
        cli_text_puts(b, ",\n     \"description\": ");
        jstr(b, e->description);
        cli_text_puts(b, ", \"plot_category\": ");
        jstr(b, e->category);
        cli_text_puts(b, ", \"product\": ");
        jstr(b, e->product[0] ? e->product : NULL);
        cli_text_puts(b, ", \"where\": ");
        jstr(b, j->where);
        cli_text_puts(b, ",\n     \"nominal_value\": ");
        if (e->has_nominal)
            jnum(b, e->nominal);
        else
            cli_text_puts(b, "null");
        cli_text_puts(b, ", \"yellow_limits\": ");
        jlimits(b, e->limits.has_yellow, e->limits.yellow);
        cli_text_puts(b, ", \"red_limits\": ");
        jlimits(b, e->limits.has_red, e->limits.red);
        cli_text_puts(b, ",\n     \"command\": ");
        jstr(b, j->command);
        cli_text_printf(b, ",\n     \"rows\": %zu, \"status\": ", table_rows(j));
        jstr(b, mon_status_name(j->status));
        if (j->failed) {
            cli_text_puts(b, ", \"failed\": ");
            jstr(b, j->failed);
        }
        cli_text_puts(b, ", \"checks\": [");
        for (size_t c = 0; c < j->n_checks; c++) {
            const mon_check *ck = &j->checks[c];
            cli_text_puts(b, c ? ", " : "");
            cli_text_puts(b, "{\"column\": ");
            jstr(b, ck->column);
            cli_text_printf(b, ", \"values\": %zu, \"yellow\": ", ck->all.checked);
            jbreach(b, &ck->all.yellow);
            cli_text_puts(b, ", \"red\": ");
            jbreach(b, &ck->all.red);
            cli_text_puts(b, "}");
        }
        cli_text_puts(b, "]}");
    }
    cli_text_puts(b, r->n_jobs ? "\n  ]\n}\n" : "]\n}\n");
}

/* ---- Markdown ------------------------------------------------------------------------------ */

/* Text in a Markdown table cell: '|' escaped, nothing else of it read as syntax. */
static void mdcell(cli_text *b, const char *s)
{
    for (; s && *s; s++) {
        if (*s == '|' || *s == '\\' || *s == '*' || *s == '_' || *s == '`' || *s == '<' ||
            *s == '[')
            cli_text_put(b, "\\", 1);
        cli_text_put(b, s, 1);
    }
}

static void md_limits(cli_text *b, const edb_monitor_entry *e, int red)
{
    const double *v = red ? e->limits.red : e->limits.yellow;
    char a[40], z[40];
    edb_format_double(v[0], a, sizeof a);
    edb_format_double(v[1], z, sizeof z);
    cli_text_printf(b, "[%s, %s]", a, z);
}

static void md_time(cli_text *b, edb_time t)
{
    char s[EDB_TIME_STRLEN];
    edb_time_format_iso(t, s, sizeof s);
    cli_text_puts(b, s);
}

/* The lines of one level's breaches; 1 if there were any. */
static int md_breaches(cli_text *b, const mon_run *r, int red)
{
    int any = 0;
    for (size_t k = 0; k < r->n_jobs; k++) {
        const mon_job *j = &r->jobs[k];
        for (size_t c = 0; c < j->n_checks; c++) {
            const edb_breach *x = red ? &j->checks[c].all.red : &j->checks[c].all.yellow;
            if (!x->count)
                continue;
            if (!any)
                cli_text_puts(b, "| table | column | values beyond | first | last | worst | limits |\n"
                         "|---|---|---|---|---|---|---|\n");
            any = 1;
            cli_text_puts(b, "| ");
            mdcell(b, j->key);
            cli_text_puts(b, " | ");
            mdcell(b, j->checks[c].column);
            cli_text_printf(b, " | %zu of %zu | ", x->count, j->checks[c].all.checked);
            md_time(b, x->first);
            cli_text_puts(b, " | ");
            md_time(b, x->last);
            cli_text_puts(b, " | ");
            char w[40];
            edb_format_double(x->worst, w, sizeof w);
            cli_text_puts(b, w);
            cli_text_puts(b, " at ");
            md_time(b, x->worst_time);
            cli_text_puts(b, " | ");
            md_limits(b, j->e, red);
            cli_text_puts(b, " |\n");
        }
    }
    return any;
}

static void report_md(const mon_run *r, cli_text *b)
{
    size_t counts[MON_FAILED + 1];
    mon_status worst = overall(r, counts);
    char a[EDB_TIME_STRLEN], z[EDB_TIME_STRLEN];
    mon_time_text(r->start, a, sizeof a);
    mon_time_text(r->end_open ? r->end + 1 : r->end, z, sizeof z);
    cli_text_printf(b, "# edbx monitor: %s to %s\n\n", a, z);
    cli_text_printf(b, "UTC, the end %s.  Configurations: ", r->end_open ? "excluded" : "included");
    for (size_t k = 0; k < r->n_cfgs; k++) {
        cli_text_printf(b, "%s", k ? ", " : "");
        mdcell(b, r->cfgs[k]->file);
        cli_text_printf(b, " (%zu entries)", r->cfgs[k]->n);
    }
    cli_text_printf(b, ".\n\n**%s**: of %zu tables, %zu crossed a red limit, %zu a yellow one; %zu are "
               "within their limits, %zu have no limits, %zu have no data",
            worst == MON_RED      ? "RED"
            : worst == MON_YELLOW ? "YELLOW"
            : worst == MON_FAILED ? "INCOMPLETE"
                                  : "OK",
            r->n_jobs, counts[MON_RED], counts[MON_YELLOW], counts[MON_OK],
            counts[MON_UNCHECKED], counts[MON_NO_DATA]);
    if (counts[MON_FAILED])
        cli_text_printf(b, ", %zu could not be computed", counts[MON_FAILED]);
    cli_text_puts(b, ".\n");
    cli_text_puts(b, "\n## Red limits crossed\n\n");
    if (!md_breaches(b, r, 1))
        cli_text_puts(b, "None.\n");
    cli_text_puts(b, "\n## Yellow limits crossed\n\n");
    if (!md_breaches(b, r, 0))
        cli_text_puts(b, "None.\n");
    cli_text_puts(b, "\n## No data\n\n");
    int any = 0;
    for (size_t k = 0; k < r->n_jobs; k++) {
        const mon_job *j = &r->jobs[k];
        if (j->status != MON_NO_DATA && j->status != MON_FAILED)
            continue;
        any = 1;
        cli_text_puts(b, "- ");
        mdcell(b, j->key);
        if (j->failed) {
            cli_text_puts(b, ": could not be computed: ");
            mdcell(b, j->failed);
        } else if (table_rows(j) == 0) {
            cli_text_puts(b, ": no row in the range");
        } else {
            cli_text_printf(b, ": %zu rows, none with a value", table_rows(j));
        }
        if (j->where[0]) {
            cli_text_puts(b, " (where ");
            mdcell(b, j->where);
            cli_text_puts(b, ")");
        }
        cli_text_puts(b, "\n");
    }
    if (!any)
        cli_text_puts(b, "None.\n");
    cli_text_puts(b, "\n## Every table\n\n| table | status | rows | values checked | description |\n"
             "|---|---|---|---|---|\n");
    for (size_t k = 0; k < r->n_jobs; k++) {
        const mon_job *j = &r->jobs[k];
        size_t checked = 0;
        for (size_t c = 0; c < j->n_checks; c++)
            checked += j->checks[c].all.checked;
        cli_text_puts(b, "| ");
        mdcell(b, j->key);
        cli_text_printf(b, " | %s | %zu | %zu | ", mon_status_name(j->status), table_rows(j), checked);
        mdcell(b, j->e->description);
        cli_text_puts(b, " |\n");
    }
    cli_text_puts(b, "\nEach table is one `edbx get` command (report.json has them; `edbx monitor "
             "--explain` prints them).\n");
}

edb_status mon_write_reports(mon_run *r, edb_err *err)
{
    cli_text j = {0}, m = {0};
    report_json(r, &j);
    report_md(r, &m);
    edb_status st = EDB_OK;
    if (j.oom || m.oom)
        st = edb_err_set(err, EDB_ERR_NOMEM, "out of memory");
    if (st == EDB_OK)
        st = mon_write_text(r->dir, "report.md", m.p, m.len, err);
    if (st == EDB_OK)
        st = mon_add_file(r, "report.md", err);
    if (st == EDB_OK)
        st = mon_write_text(r->dir, "report.json", j.p, j.len, err);
    if (st == EDB_OK)
        st = mon_add_file(r, "report.json", err);
    free(j.p);
    free(m.p);
    return st;
}

/* ---- plots --------------------------------------------------------------------------------- */

/* The panel name of a monitored column: the entry's id, and the statistic (ID_mean); at most
 * 64 characters, the id cut to fit. */
static void panel_name(const mon_job *j, const char *column, char *out, size_t n)
{
    const char *stat = j->kind == EDB_MON_ALL ? NULL : column + strlen(j->value_col) + 1;
    size_t room = EDB_MNEMONIC_MAX - (stat ? strlen(stat) + 1 : 0);
    snprintf(out, n, "%.*s%s%s", (int)room, j->e->id, stat ? "_" : "", stat ? stat : "");
}

/* A column of a table as a series named name: a row without a value is a NaN that breaks
 * the line (a day without data is not drawn across), or left out where the type has no
 * NaN. */
static edb_status column_series(const edb_table *t, const edb_column *c, const char *name,
                                const char *description, edb_series **out)
{
    edb_series *s = NULL;
    edb_status st = edb_series_new(&s, name);
    if (st == EDB_OK)
        st = edb_series_set_type(s, c->vtype);
    if (st == EDB_OK)
        st = edb_series_set_meta(s, c->unit, description);
    for (size_t r = 0; t && r < t->nrows && st == EDB_OK; r++) {
        if (!c->valid[r]) {
            if (c->vtype == EDB_VT_REAL)
                st = edb_series_push_real(s, t->t[r], NAN);
            continue;
        }
        if (c->vtype == EDB_VT_REAL)
            st = edb_series_push_real(s, t->t[r], c->d[r]);
        else if (c->vtype == EDB_VT_INT)
            st = edb_series_push_int(s, t->t[r], c->i[r]);
        else {
            size_t len;
            const char *v = edb_column_str(c, r, &len);
            st = edb_series_push_str(s, t->t[r], v, len);
        }
    }
    if (st != EDB_OK) {
        edb_series_free(s);
        return st;
    }
    *out = s;
    return EDB_OK;
}

/* A file name from a category: letters, digits, '-', '_' and '.' kept, the rest '_'. */
static void safe_name(const char *s, char *out, size_t n)
{
    size_t o = 0;
    for (; *s && o + 1 < n && o < 80; s++) {
        char c = *s;
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '-' || c == '_' || (c == '.' && o > 0);
        out[o++] = ok ? c : '_';
    }
    out[o] = '\0';
}

typedef struct page {
    edb_series *s[24];
    char *opts[24 * 3 + 1];
    size_t ns, no;
} page;

static void page_clear(page *p)
{
    for (size_t k = 0; k < p->ns; k++)
        edb_series_free(p->s[k]);
    for (size_t k = 0; k < p->no; k++)
        free(p->opts[k]);
    memset(p, 0, sizeof *p);
}

static int opt_add(page *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int opt_add(page *p, const char *fmt, ...)
{
    char buf[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return (p->opts[p->no++] = strdup(buf)) ? 0 : -1;
}

/* The options of a panel's limits.  The plots want yellow inside red; jwql's files do not
 * always have it (nircam's INRC_B_M_PIL_BS_POS): a yellow limit beyond the red one is drawn
 * at the red one, which is what edbx checks anyway (beyond red is red). */
static int panel_limits(page *p, const char *name, const edb_monitor_entry *e)
{
    char a[40], z[40];
    double y0 = e->limits.yellow[0], y1 = e->limits.yellow[1];
    if (e->limits.has_red) {
        edb_format_double(e->limits.red[0], a, sizeof a);
        edb_format_double(e->limits.red[1], z, sizeof z);
        if (opt_add(p, "red=%s:%s,%s", name, a, z) != 0)
            return -1;
        if (y0 < e->limits.red[0])
            y0 = e->limits.red[0];
        if (y1 > e->limits.red[1])
            y1 = e->limits.red[1];
    }
    if (e->limits.has_yellow && y0 < y1) {
        edb_format_double(y0, a, sizeof a);
        edb_format_double(y1, z, sizeof z);
        if (opt_add(p, "yellow=%s:%s,%s", name, a, z) != 0)
            return -1;
    }
    if (e->has_nominal) {
        edb_format_double(e->nominal, a, sizeof a);
        if (opt_add(p, "nominal=%s:%s", name, a) != 0)
            return -1;
    }
    return 0;
}

static edb_status write_page(mon_run *r, page *p, const char *stem, const char *category,
                             int number, edb_err *err)
{
    char cat[100], base[200], name[260];
    safe_name(category, cat, sizeof cat);
    snprintf(base, sizeof base, "%.64s-%.90s", stem, cat);
    if (number > 1) {
        size_t l = strlen(base);
        snprintf(base + l, sizeof base - l, "-%d", number);
    }
    const char *ext = ".png";
    for (size_t k = 0; k < edb_format_count(); k++)
        if (strcmp(edb_format_name(k), r->plot_format) == 0)
            ext = edb_format_extensions(k)[0];
    /* Two categories may come out the same once made safe ("FW/PW", "FW_PW"). */
    for (int v = 1;; v++) {
        if (v == 1)
            snprintf(name, sizeof name, "%s%.8s", base, ext);
        else
            snprintf(name, sizeof name, "%s_%d%.8s", base, v, ext);
        int clash = 0;
        for (size_t k = 0; k < r->n_files && !clash; k++)
            clash = strcmp(r->files[k], name) == 0;
        if (!clash)
            break;
    }
    char title[400];
    snprintf(title, sizeof title, "title=%s: %s", stem, category);
    if (opt_add(p, "%s", title) != 0)
        return edb_err_set(err, EDB_ERR_NOMEM, "out of memory");
    size_t len = strlen(r->dir) + strlen(name) + 2;
    char *path = malloc(len);
    if (!path)
        return edb_err_set(err, EDB_ERR_NOMEM, "out of memory");
    snprintf(path, len, "%s/%s", r->dir, name);
    edb_writer_options wo = EDB_WRITER_OPTIONS_INIT;
    wo.format = r->plot_format;
    wo.run = &r->run;
    wo.options = (const char *const *)p->opts;
    wo.n_options = p->no;
    edb_writer *w = NULL;
    edb_status st = edb_writer_open(&w, path, &wo, err);
    if (st == EDB_OK && (st = edb_writer_write_series(w, (const edb_series *const *)p->s,
                                                      p->ns)) == EDB_OK)
        st = edb_writer_close(w);
    if (st != EDB_OK && w)
        edb_err_set(err, st, "%s", edb_writer_errmsg(w));
    edb_writer_free(w);
    free(path);
    if (st == EDB_OK)
        st = mon_add_file(r, name, err);
    return st;
}

edb_status mon_write_plots(mon_run *r, edb_err *err)
{
    edb_status st = EDB_OK;
    for (size_t c = 0; c < r->n_cfgs && st == EDB_OK; c++) {
        const edb_monitor_config *cfg = r->cfgs[c];
        /* the categories in the order they first come */
        for (size_t k = 0; k < r->n_jobs && st == EDB_OK; k++) {
            const mon_job *first = &r->jobs[k];
            if (first->cfg != cfg)
                continue;
            int seen = 0;
            for (size_t q = 0; q < k && !seen; q++)
                seen = r->jobs[q].cfg == cfg &&
                       strcmp(r->jobs[q].e->category, first->e->category) == 0;
            if (seen)
                continue;
            page p;
            memset(&p, 0, sizeof p);
            int number = 1;
            for (size_t q = k; q < r->n_jobs && st == EDB_OK; q++) {
                const mon_job *j = &r->jobs[q];
                if (j->cfg != cfg || strcmp(j->e->category, first->e->category) != 0)
                    continue;
                for (size_t ci = 0; ci < j->n_checks && st == EDB_OK; ci++) {
                    const mon_check *ck = &j->checks[ci];
                    char name[EDB_MNEMONIC_MAX + 8];
                    panel_name(j, ck->column, name, sizeof name);
                    /* one name once in a plot */
                    char uniq[EDB_MNEMONIC_MAX + 8];
                    snprintf(uniq, sizeof uniq, "%s", name);
                    for (int v = 2;; v++) {
                        int clash = 0;
                        for (size_t s = 0; s < p.ns && !clash; s++)
                            clash = strcmp(p.s[s]->mnemonic, uniq) == 0;
                        if (!clash)
                            break;
                        snprintf(uniq, sizeof uniq, "%.*s_%d", EDB_MNEMONIC_MAX - 4, name, v);
                    }
                    edb_column empty;
                    memset(&empty, 0, sizeof empty);
                    empty.vtype = EDB_VT_REAL;
                    const edb_column *col = &empty;
                    const edb_table *t = NULL;
                    if (ck->found) {
                        t = j->table;
                        for (size_t x = 0; x < t->ncols; x++)
                            if (strcmp(t->cols[x].name, ck->column) == 0)
                                col = &t->cols[x];
                    }
                    st = column_series(t, col, uniq, j->e->description, &p.s[p.ns]);
                    if (st != EDB_OK) {
                        st = edb_err_set(err, st, "out of memory");
                        break;
                    }
                    p.ns++;
                    if (panel_limits(&p, uniq, j->e) != 0) {
                        st = edb_err_set(err, EDB_ERR_NOMEM, "out of memory");
                        break;
                    }
                    if (p.ns == 24) {
                        st = write_page(r, &p, cfg->stem, first->e->category, number++, err);
                        page_clear(&p);
                    }
                }
            }
            if (st == EDB_OK && (p.ns || number == 1))
                st = write_page(r, &p, cfg->stem, first->e->category, number, err);
            page_clear(&p);
        }
    }
    return st;
}
