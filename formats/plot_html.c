/* plot_html.c: an interactive plot as one self-contained HTML page (docs/plots.md).
 *
 * The page carries uPlot (vendor/uplot, MIT licence, its notice kept in the page), the
 * code that builds the charts (plot_page.js, plot_page.css) and the data as JSON, all
 * compiled into this library (cmake/embed.cmake), so it opens without a network.  The
 * model is the one the pictures use (plot_model.c): the same panels, gaps, states and
 * statistics.  Each trace carries every sample up to -O max-points; a longer one is
 * reduced to the first, minimum, maximum and last sample of each of max-points/4 columns
 * of the time axis.  The page reduces again to the pixels of what is on screen, so a
 * zoom shows the samples themselves as soon as they fit.
 *
 * Times go in as integer microseconds from the start of the axis (exact in JSON and in a
 * JavaScript number), values in their shortest round-trip form; null marks a break. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <edb/number.h>
#include <edb/writer.h>

#include "plot.h"

extern const unsigned char edb__asset_uplot_js[], edb__asset_uplot_css[],
    edb__asset_uplot_license[], edb__asset_page_js[], edb__asset_page_css[];
extern const size_t edb__asset_uplot_js_len, edb__asset_uplot_css_len,
    edb__asset_uplot_license_len, edb__asset_page_js_len, edb__asset_page_css_len;

static const char *const colours[] = {"#1f4e9c", "#d55e00", "#009e73", "#cc79a7",
                                      "#56b4e9", "#000000", "#8c564b", "#7f7f7f",
                                      "#17becf", "#9467bd"};
#define N_COLOURS (sizeof colours / sizeof colours[0])

static void put(edb__out *o, const char *s)
{
    edb__out_put(o, s, strlen(s));
}

static void put_bytes(edb__out *o, const unsigned char *b, size_t n)
{
    edb__out_put(o, (const char *)b, n);
}

/* A JSON string; '<', '>' and '&' as \u escapes so nothing in it can close the script
 * element it sits in. */
static void put_json_str(edb__out *o, const char *s)
{
    put(o, "\"");
    for (const unsigned char *p = (const unsigned char *)s; p && *p; p++) {
        char buf[8];
        if (*p == '"' || *p == '\\') {
            buf[0] = '\\';
            buf[1] = (char)*p;
            edb__out_put(o, buf, 2);
        } else if (*p < 0x20 || *p == '<' || *p == '>' || *p == '&') {
            snprintf(buf, sizeof buf, "\\u%04x", *p);
            edb__out_put(o, buf, 6);
        } else {
            edb__out_put(o, (const char *)p, 1);
        }
    }
    put(o, "\"");
}

/* Text for HTML element content. */
static void put_html(edb__out *o, const char *s)
{
    for (const char *p = s; *p; p++) {
        if (*p == '<')
            put(o, "&lt;");
        else if (*p == '>')
            put(o, "&gt;");
        else if (*p == '&')
            put(o, "&amp;");
        else if (*p == '"')
            put(o, "&quot;");
        else
            edb__out_put(o, p, 1);
    }
}

static void put_num(edb__out *o, double v)
{
    char *p = edb__out_room(o);
    edb__out_commit(o, edb__put_double(p, v));
}

static void put_int(edb__out *o, int64_t v)
{
    char *p = edb__out_room(o);
    edb__out_commit(o, edb__put_int64(p, v));
}

static void put_opt_num(edb__out *o, int has, double v)
{
    if (has)
        put_num(o, v);
    else
        put(o, "null");
}

static int64_t rel_us(const edb__plot *p, const edb__plot_src *s, size_t k)
{
    return (int64_t)((uint64_t)(s->t[k] + s->t_shift) - (uint64_t)p->x0);
}

/* The rows of a band: both edges' selections merged, run by run. */
static edb_status band_rows(const edb__plot_trace *tr, edb__plot_sel *out)
{
    const edb__plot_sel *a = &tr->sel, *b = &tr->sel_hi;
    memset(out, 0, sizeof *out);
    size_t n = a->nidx + b->nidx;
    out->idx = malloc((n ? n : 1) * sizeof *out->idx);
    out->run = malloc((a->nrun + 1) * sizeof *out->run);
    if (!out->idx || !out->run)
        return EDB_ERR_NOMEM;
    for (size_t r = 0; r < a->nrun && r < b->nrun; r++) {
        out->run[out->nrun++] = out->nidx;
        size_t i = a->run[r], ie = a->run[r + 1], j = b->run[r], je = b->run[r + 1];
        while (i < ie || j < je) {
            size_t v;
            if (j >= je || (i < ie && a->idx[i] < b->idx[j]))
                v = a->idx[i++];
            else if (i >= ie || b->idx[j] < a->idx[i])
                v = b->idx[j++];
            else {
                v = a->idx[i++];
                j++;
            }
            out->idx[out->nidx++] = v;
        }
    }
    out->run[out->nrun] = out->nidx;
    return EDB_OK;
}

/* "t": [...], "v": [...] (and "v2" for a band's upper edge), a null between runs. */
static void put_samples(edb__out *o, const edb__plot *p, const edb__plot_trace *tr,
                        const edb__plot_sel *s)
{
    for (int pass = 0; pass < (tr->own[1] ? 3 : 2); pass++) {
        put(o, pass == 0 ? ",\"t\":[" : pass == 1 ? ",\"v\":[" : ",\"v2\":[");
        const edb__plot_src *src = pass == 2 ? &tr->hi : &tr->src;
        int first = 1;
        for (size_t r = 0; r < s->nrun; r++) {
            if (r > 0) {
                /* a break: a row without a value half way between the runs */
                size_t a = s->idx[s->run[r] - 1], b = s->idx[s->run[r]];
                if (!first)
                    put(o, ",");
                if (pass == 0) {
                    int64_t ta = rel_us(p, &tr->src, a), tb = rel_us(p, &tr->src, b);
                    put_int(o, ta + (tb - ta) / 2);
                } else
                    put(o, "null");
                first = 0;
            }
            for (size_t j = s->run[r]; j < s->run[r + 1]; j++) {
                size_t k = s->idx[j];
                if (!first)
                    put(o, ",");
                first = 0;
                if (pass == 0) {
                    put_int(o, rel_us(p, &tr->src, k));
                } else {
                    double v = 0;
                    if (edb__plot_value(src, k, &v))
                        put_num(o, v);
                    else
                        put(o, "null");
                }
            }
        }
        put(o, "]");
    }
}

static const char *role_name(edb__plot_role r)
{
    switch (r) {
    case EDB__ROLE_LINE: return "line";
    case EDB__ROLE_EXTRA: return "extra";
    case EDB__ROLE_STD: return "std";
    case EDB__ROLE_ENV: return "env";
    case EDB__ROLE_COUNT: return "count";
    }
    return "line";
}

static edb_status put_data(edb__out *o, edb__plot *p)
{
    const edb__plot_opts *op = &p->o;
    put(o, "{\"title\":");
    put_json_str(o, p->title);
    put(o, ",\"caption\":");
    put_json_str(o, p->caption);
    put(o, ",\"t0_us\":");
    put_int(o, p->x0);
    put(o, ",\"span_us\":");
    put_int(o, (int64_t)((uint64_t)p->x1 - (uint64_t)p->x0));
    put(o, ",\"width\":");
    put_opt_num(o, op->width > 0, op->width);
    put(o, ",\"height\":");
    put_opt_num(o, op->height > 0, op->height);
    put(o, ",\"ymin\":");
    put_opt_num(o, op->has_ymin, op->ymin);
    put(o, ",\"ymax\":");
    put_opt_num(o, op->has_ymax, op->ymax);
    put(o, ",\"max_points\":");
    put_int(o, (int64_t)op->max_points);
    put(o, ",\"panels\":[");
    for (size_t k = 0; k < p->np; k++) {
        edb__plot_panel *pn = &p->p[k];
        put(o, k ? ",{\"label\":" : "{\"label\":");
        put_json_str(o, pn->ylabel);
        put(o, ",\"description\":");
        if (pn->description)
            put_json_str(o, pn->description);
        else
            put(o, "null");
        put(o, pn->kind == EDB__PANEL_STATES  ? ",\"kind\":\"states\""
               : pn->kind == EDB__PANEL_COUNT ? ",\"kind\":\"count\""
                                              : ",\"kind\":\"number\"");
        put(o, pn->limits ? ",\"limits\":true" : ",\"limits\":false");
        const edb__plot_limits *L = &pn->lim;
        put(o, ",\"yellow\":[");
        put_opt_num(o, L->has_yellow[0], L->yellow[0]);
        put(o, ",");
        put_opt_num(o, L->has_yellow[1], L->yellow[1]);
        put(o, "],\"red\":[");
        put_opt_num(o, L->has_red[0], L->red[0]);
        put(o, ",");
        put_opt_num(o, L->has_red[1], L->red[1]);
        put(o, "],\"nominal\":");
        put_opt_num(o, L->has_nominal, L->nominal);
        put(o, ",\"states\":[");
        for (size_t q = 0; q < pn->nstates; q++) {
            if (q)
                put(o, ",");
            put_json_str(o, pn->states[q]);
        }
        put(o, "],\"traces\":[");
        for (size_t q = 0; q < pn->ntr; q++) {
            edb__plot_trace *tr = &pn->tr[q];
            /* every sample up to the bound, else M4 on max_points / 4 columns */
            int ncols = tr->npresent > op->max_points ? (int)(op->max_points / 4) : 0;
            if (edb__plot_trace_decimate(tr, p->x0, p->x1, ncols) != EDB_OK)
                return EDB_ERR_NOMEM;
            put(o, q ? ",{\"label\":" : "{\"label\":");
            put_json_str(o, tr->label);
            put(o, ",\"role\":\"");
            put(o, role_name(tr->role));
            put(o, tr->step ? "\",\"step\":true" : "\",\"step\":false");
            put(o, tr->hold_end ? ",\"hold_end\":true" : ",\"hold_end\":false");
            put(o, ",\"colour\":");
            int ci = tr->role == EDB__ROLE_EXTRA && !op->overlay ? 1 + (int)(q % (N_COLOURS - 1))
                                                                : tr->colour % (int)N_COLOURS;
            put_json_str(o, colours[ci]);
            put(o, ",\"samples\":");
            put_int(o, (int64_t)tr->npresent);
            put(o, ncols ? ",\"decimated\":true" : ",\"decimated\":false");
            if (tr->own[1]) {
                edb__plot_sel rows;
                edb_status st = band_rows(tr, &rows);
                if (st == EDB_OK)
                    put_samples(o, p, tr, &rows);
                free(rows.idx);
                free(rows.run);
                if (st != EDB_OK)
                    return st;
            } else {
                put_samples(o, p, tr, &tr->sel);
            }
            put(o, "}");
        }
        put(o, "]}");
    }
    put(o, "]}");
    return EDB_OK;
}

static edb_status write_page(const edb__wctx *c, edb__plot *p)
{
    edb__out o;
    if (edb__out_init(&o, c->f) != 0)
        return edb_err_set(c->err, EDB_ERR_NOMEM, "out of memory writing the page");
    char creator[64];
    edb__creator(creator, sizeof creator);
    put(&o, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            "<meta name=\"generator\" content=\"");
    put_html(&o, creator);
    put(&o, "\">\n<title>");
    put_html(&o, p->title);
    put(&o, "</title>\n<style>\n");
    put_bytes(&o, edb__asset_uplot_css, edb__asset_uplot_css_len);
    put(&o, "\n");
    put_bytes(&o, edb__asset_page_css, edb__asset_page_css_len);
    put(&o, "</style>\n</head>\n<body>\n<h1>");
    put_html(&o, p->title);
    put(&o, "</h1>\n<p class=\"caption\">");
    put_html(&o, p->caption);
    put(&o, "</p>\n<p class=\"help\">Drag across a chart to zoom in, Shift+drag to pan, the "
            "wheel to zoom around the pointer, double-click to see everything again; the "
            "values under the pointer show in the legends.</p>\n"
            "<div id=\"edbx-plots\"></div>\n"
            "<script type=\"application/json\" id=\"edbx-data\">");
    edb_status st = put_data(&o, p);
    put(&o, "</script>\n<script>\n/* uPlot 1.6.32, https://github.com/leeoniya/uPlot, under "
            "this licence:\n\n");
    put_bytes(&o, edb__asset_uplot_license, edb__asset_uplot_license_len);
    put(&o, "*/\n");
    put_bytes(&o, edb__asset_uplot_js, edb__asset_uplot_js_len);
    put(&o, "\n</script>\n<script>\n");
    put_bytes(&o, edb__asset_page_js, edb__asset_page_js_len);
    put(&o, "</script>\n</body>\n</html>\n");
    edb__out_free(&o);
    if (st != EDB_OK)
        return edb_err_set(c->err, st, "out of memory writing the page");
    return EDB_OK;
}

static edb_status html_write(const edb__wctx *c, const edb_series *const *s, size_t n,
                             const edb_table *t)
{
    edb__plot_opts o;
    edb_status st = edb__plot_opts_read(&o, c);
    if (st != EDB_OK)
        return st;
    edb__plot *p = NULL;
    st = t ? edb__plot_from_table(&p, &o, c->run, t, c->err)
           : edb__plot_from_series(&p, &o, c->run, s, n, c->err);
    if (st == EDB_OK)
        st = write_page(c, p);
    edb__plot_free(p);
    return st;
}

static edb_status html_series(const edb__wctx *c, const edb_series *const *s, size_t n)
{
    return html_write(c, s, n, NULL);
}

static edb_status html_table(const edb__wctx *c, const edb_table *t)
{
    return html_write(c, NULL, 0, t);
}

static const edb__wopt html_opts[] = {
    EDB__PLOT_COMMON_OPTIONS,
    {"max-points", "N", "samples kept at full resolution per line (1000-100000000; default "
     "200000); a longer line keeps the first, minimum, maximum and last of each of N/4 "
     "columns", edb__plot_check_points},
    {NULL, NULL, NULL, NULL}};

static const char *const html_ext[] = {".html", ".htm", NULL};

const edb__format edb__format_html = {.name = "html", .extensions = html_ext, .options = html_opts,
                                     .streams = 1, .write_series = html_series,
                                     .write_table = html_table,
                                     .max_columns = EDB__PLOT_MAX_PANELS};
