/* plot_draw.c: PNG, PDF and SVG plots drawn with PLplot (plot.h, docs/plots.md).
 *
 * PNG and PDF: PLplot's extcairo driver draws into a cairo context this file creates on a
 * surface it owns, so the PDF's dates are ours to set (none by default) and the PNG's
 * bytes depend on nothing but the data.  SVG: PLplot's own svg driver, because cairo's
 * SVG surface writes text as glyph outlines, and a report figure's labels should stay
 * text (searchable, selectable, editable); it writes into memory and the bytes are handed
 * to the writer, so a full disk is seen.
 *
 * What PLplot draws: the frames, ticks, grid, every text, limit bands, statistics bands,
 * markers and legends.  What cairo draws directly (PNG, PDF): the data lines.  PLplot
 * strokes a polyline in pieces of 256 points with bevel joins and butt caps on a grid of
 * 32768 units, so two paths through the same pixels can light different ones; drawn with
 * round joins and caps, one stroke per trace, through the centre of each pixel column,
 * the M4-decimated path covers exactly the pixels the path through every sample covers,
 * which is what makes decimation invisible (tests/unit/test_plot.c compares the bytes).
 *
 * PLplot keeps global state: one plot is drawn at a time (a mutex), and PLplot's exit on
 * a fatal error is turned into an error return (its exit handler jumps back here; PLplot
 * is then not used again by this process). */
#define _GNU_SOURCE /* open_memstream */
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cairo-pdf.h>
#include <cairo.h>
#include <plplot.h>

#include <edb/number.h>
#include <edb/time.h>
#include <edb/writer.h>

#include "plot.h"

enum { OUT_PNG, OUT_PDF, OUT_SVG };

/* ---- colours (PLplot's cmap0 indices) -------------------------------------------------- */

enum {
    C_BG = 0, C_FG, C_GRID, C_MUTED, C_YBAND, C_RBAND, C_YLINE, C_RLINE, C_NOMINAL,
    C_LEGBG, C_LEGEDGE, C_BANDSTD, C_BANDENV, C_PAL0 = 16
};
#define N_PAL 10

typedef struct rgb {
    int r, g, b;
} rgb;

static const rgb fixed[] = {
    {255, 255, 255}, /* background */
    {0, 0, 0},       /* frame, text */
    {221, 221, 221}, /* grid */
    {85, 85, 85},    /* captions, "no data" */
    {255, 236, 153}, /* yellow band */
    {250, 190, 190}, /* red band */
    {214, 160, 0},   /* yellow limit line and marker */
    {204, 20, 30},   /* red limit line and marker */
    {0, 140, 60},    /* nominal */
    {255, 255, 255}, /* legend box */
    {170, 170, 170}, /* legend edge */
};
/* Lines: a dark blue first, then the Okabe-Ito colours that stay apart from the limit
 * colours, then greys and browns. */
static const rgb palette[N_PAL] = {
    {31, 78, 156}, {213, 94, 0}, {0, 158, 115}, {204, 121, 167}, {86, 180, 233},
    {0, 0, 0},     {140, 86, 75}, {127, 127, 127}, {23, 190, 207}, {148, 103, 189}};

/* ---- layout ----------------------------------------------------------------------------- */

typedef struct pbox {
    int top, bottom;  /* pixels from the top of the canvas: the frame */
    int header;       /* the line above it (description, legend), 0 if none */
    double font;      /* of its y label */
} pbox;

typedef struct draw {
    const edb__plot *p;
    int kind;
    int W, H;
    double f;          /* base font size, pixels */
    int left, right;   /* the frame, shared by the panels: [left, right) */
    int ncols;         /* right - left */
    pbox *bx;
    cairo_t *cr;       /* PNG, PDF; NULL for SVG */
    double span_s;     /* the time axis in seconds: world x of the panels */
    edb__plot_tick ticks[EDB__PLOT_MAX_TICKS];
    size_t nticks;
    PLINT errcode;
    char errmsg[1024];
} draw;

static double mm_of_px(double px)
{
    /* PLplot's character height is in mm, drawn by pango at 96 dpi on our 72 dpi page. */
    return px * 25.4 / 96.0;
}

/* Text for PLplot: '#' starts its escape sequences, so it is doubled. */
static void pl_text(const char *in, char *out, size_t n)
{
    size_t o = 0;
    for (const char *p = in; *p && o + 3 < n; p++) {
        if (*p == '#')
            out[o++] = '#';
        out[o++] = *p;
    }
    out[o] = '\0';
}

static void colour(int idx)
{
    plcol0(idx);
}

static void font(double px, int bold)
{
    plschr(mm_of_px(px), 1.0);
    plsfont(PL_FCI_SANS, PL_FCI_UPRIGHT, bold ? PL_FCI_BOLD : PL_FCI_MEDIUM);
}

/* Page coordinates: a viewport over the whole canvas whose world is its pixels, y down
 * as on screen (PLplot's y goes up, so it is flipped here). */
static void page(draw *d)
{
    plvpor(0, 1, 0, 1);
    plwind(0, d->W, d->H, 0);
}

static void text_at(double x, double y, double just, const char *s)
{
    char buf[1200];
    pl_text(s, buf, sizeof buf);
    plptex(x, y, 1, 0, just, buf);
}

/* Text cut to fit max_px at size px (estimated), with an ellipsis. */
static void fit_text(const char *s, double px, double max_px, char *out, size_t n)
{
    snprintf(out, n, "%s", s);
    if (edb__plot_text_em(out) * px <= max_px)
        return;
    size_t len = strlen(out);
    while (len > 0) {
        len--;
        while (len > 0 && ((unsigned char)out[len] & 0xc0) == 0x80)
            len--;
        if (len + 4 > n)
            continue;
        memcpy(out + len, "\xe2\x80\xa6", 4);
        if (edb__plot_text_em(out) * px <= max_px)
            return;
    }
    out[0] = '\0';
}

static double panel_weight(const edb__plot_panel *pn)
{
    return pn->kind == EDB__PANEL_COUNT ? 0.45 : 1.0;
}

static int has_limits(const edb__plot_limits *l)
{
    return l->has_yellow[0] || l->has_yellow[1] || l->has_red[0] || l->has_red[1];
}

static int needs_header(const edb__plot_panel *pn)
{
    int lim = pn->limits && (has_limits(&pn->lim) || pn->lim.has_nominal);
    return pn->description || pn->legend || lim;
}

/* Widest y tick label of a panel, pixels. */
static double ylabels_width(const edb__plot_panel *pn, double px)
{
    double w = 0;
    if (pn->kind == EDB__PANEL_STATES) {
        for (size_t k = 0; k < pn->nstates; k++) {
            double e = edb__plot_text_em(pn->states[k]) * px;
            if (e > w)
                w = e;
        }
        return w;
    }
    double big = fabs(pn->y0) > fabs(pn->y1) ? fabs(pn->y0) : fabs(pn->y1);
    double k0 = ceil(pn->y0 / pn->ystep - 1e-9);
    for (int k = 0; k < 40; k++) {
        double v = (k0 + k) * pn->ystep;
        if (v > pn->y1 + pn->ystep * 1e-9)
            break;
        char buf[64];
        edb__plot_format_value(v, pn->ystep, big, buf, sizeof buf);
        double e = edb__plot_text_em(buf) * px;
        if (e > w)
            w = e;
    }
    return w;
}

static edb_status do_layout(draw *d, edb_err *err)
{
    edb__plot *p = (edb__plot *)d->p;
    const edb__plot_opts *o = &p->o;
    d->W = o->width ? o->width : EDB__PLOT_WIDTH;
    if (!o->width && d->kind != OUT_PNG)
        d->W = 800;
    double f = d->W / 75.0;
    d->f = f = f < 10 ? 10 : f > 28 ? 28 : f;
    int top = (int)(10 + f * 1.9 + f * 1.6 + 6);
    int bottom = (int)(f * 1.3 * 2 + f * 1.7 + 10);
    int gap = (int)(f * 1.2);
    double per = p->np <= 2 ? 22 * f : p->np <= 4 ? 16 * f : 11.5 * f;
    double fixed_px = top + bottom;
    for (size_t k = 0; k < p->np; k++) {
        fixed_px += (needs_header(&p->p[k]) ? f * 1.6 : 0) + (k ? gap : 0);
    }
    /* A states panel grows with its names, up to twice the usual height. */
    double want_px = fixed_px;
    double *want = calloc(p->np, sizeof *want);
    d->bx = calloc(p->np, sizeof *d->bx);
    if (!want || !d->bx) {
        free(want);
        return edb_err_set(err, EDB_ERR_NOMEM, "out of memory drawing the plot");
    }
    for (size_t k = 0; k < p->np; k++) {
        want[k] = per * panel_weight(&p->p[k]);
        if (p->p[k].kind == EDB__PANEL_STATES) {
            double need = (double)p->p[k].nstates * f * 1.25 + f;
            want[k] = need < want[k] ? want[k] : need > 2 * want[k] ? 2 * want[k] : need;
        }
        want_px += want[k];
    }
    double min_panel = 3 * f;
    if (o->height) {
        d->H = o->height;
        double avail = d->H - fixed_px, wtot = want_px - fixed_px;
        if (avail < min_panel * (double)p->np) {
            free(want);
            return edb_err_set(err, EDB_ERR_USAGE, "-O height=%d is too small for %zu panel%s "
                               "at this width: give at least %d", o->height, p->np,
                               p->np == 1 ? "" : "s",
                               (int)ceil(fixed_px + min_panel * (double)p->np));
        }
        for (size_t k = 0; k < p->np; k++)
            want[k] *= avail / wtot;
    } else {
        d->H = (int)ceil(want_px);
    }
    double y = top;
    for (size_t k = 0; k < p->np; k++) {
        if (k)
            y += gap;
        int hdr = needs_header(&p->p[k]) ? (int)(f * 1.6) : 0;
        y += hdr;
        d->bx[k].header = hdr;
        d->bx[k].top = (int)floor(y + 0.5);
        y += want[k];
        d->bx[k].bottom = (int)floor(y + 0.5);
        if (d->bx[k].bottom <= d->bx[k].top + 4)
            d->bx[k].bottom = d->bx[k].top + 5;
    }
    free(want);

    /* Value axes need the panel heights; the left margin needs the axes' labels. */
    double ph_min = 1e9;
    for (size_t k = 0; k < p->np; k++)
        if (p->p[k].kind != EDB__PANEL_COUNT && d->bx[k].bottom - d->bx[k].top < ph_min)
            ph_min = d->bx[k].bottom - d->bx[k].top;
    edb__plot_scale(p, ph_min < 1e9 ? ph_min : 100, f);
    double lw = 0;
    for (size_t k = 0; k < p->np; k++) {
        double w = ylabels_width(&p->p[k], f * 0.92);
        if (w > lw)
            lw = w;
    }
    double lmax = d->W * 0.35;
    if (lw > lmax)
        lw = lmax;
    d->left = (int)ceil(10 + f * 1.5 + 8 + lw + f * 0.6);
    /* room for half the last time label ("2022-03-04") past the frame */
    d->right = d->W - (int)ceil(f * 3.4);
    if (d->right - d->left < 50)
        return edb_err_set(err, EDB_ERR_USAGE, "-O width=%d leaves no room for the data next to "
                           "the labels: give a larger width", d->W);
    d->ncols = d->right - d->left;
    for (size_t k = 0; k < p->np; k++) {
        double ph = d->bx[k].bottom - d->bx[k].top + d->bx[k].header;
        double fl = f;
        if (edb__plot_text_em(p->p[k].ylabel) * fl > ph)
            fl = ph / edb__plot_text_em(p->p[k].ylabel);
        d->bx[k].font = fl < f * 0.6 ? f * 0.6 : fl;
    }
    d->span_s = (double)((uint64_t)p->x1 - (uint64_t)p->x0) / 1e6;

    /* Time ticks: as many as their labels leave room for. */
    size_t maxt = (size_t)(d->ncols / (f * 4)) + 1;
    if (maxt > EDB__PLOT_MAX_TICKS)
        maxt = EDB__PLOT_MAX_TICKS;
    for (; maxt >= 2; maxt--) {
        d->nticks = edb__plot_time_ticks(p->x0, p->x1, maxt, d->ticks, NULL);
        double w = 0;
        for (size_t k = 0; k < d->nticks; k++) {
            double e = edb__plot_text_em(d->ticks[k].label) * f * 0.92;
            double e2 = edb__plot_text_em(d->ticks[k].date) * f * 0.92;
            e = e > e2 ? e : e2;
            w = e > w ? e : w;
        }
        if ((double)d->nticks * (w + f * 1.5) <= d->ncols)
            break;
    }
    return EDB_OK;
}

/* ---- coordinates ----------------------------------------------------------------------- */

static double xpix_of_col(const draw *d, int c)
{
    return d->left + c + 0.5;
}

static double ypix(const edb__plot_panel *pn, const pbox *b, double v)
{
    double y = b->bottom - (v - pn->y0) / (pn->y1 - pn->y0) * (b->bottom - b->top);
    /* Far outside the frame a coordinate only needs its direction; cairo's fixed point
     * numbers stop at a few million. */
    double lim = 1e6;
    return y < -lim ? -lim : y > lim ? lim : y;
}

static double tworld(const draw *d, edb_time t)
{
    return (double)((uint64_t)t - (uint64_t)d->p->x0) / 1e6;
}

/* World x of a pixel column's centre (what PLplot draws on), in the panel viewport. */
static double xworld_of_col(const draw *d, int c)
{
    return ((double)c + 0.5) / d->ncols * d->span_s;
}

/* The data fill pixels [left, right) x [top, bottom); the frame runs through the middle of
 * the pixels around them, so its 1-pixel lines are crisp.  The world coordinates extend
 * by half a pixel to match. */
static void panel_viewport(const draw *d, const edb__plot_panel *pn, const pbox *b)
{
    double wx = d->span_s / d->ncols, wy = (pn->y1 - pn->y0) / (b->bottom - b->top);
    plvpor((d->left - 0.5) / d->W, (d->right + 0.5) / d->W, 1.0 - (b->bottom + 0.5) / d->H,
           1.0 - (b->top - 0.5) / d->H);
    plwind(-0.5 * wx, d->span_s + 0.5 * wx, pn->y0 - 0.5 * wy, pn->y1 + 0.5 * wy);
}

static double clampd(double v, double lo, double hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* A world y for PLplot, kept where its integer coordinates do not overflow. */
static double yworld(const edb__plot_panel *pn, double v)
{
    double span = pn->y1 - pn->y0;
    return clampd(v, pn->y0 - 100 * span, pn->y1 + 100 * span);
}

/* ---- pieces ----------------------------------------------------------------------------- */

static void fill_rect(double x0, double x1, double y0, double y1)
{
    PLFLT x[4] = {x0, x1, x1, x0}, y[4] = {y0, y0, y1, y1};
    plfill(4, x, y);
}

static void limit_bands(const draw *d, const edb__plot_panel *pn)
{
    const edb__plot_limits *o = &pn->lim;
    double a = pn->y0, b = pn->y1, X = d->span_s;
    /* Beyond red: red.  Between yellow and red (or beyond yellow with no red): yellow. */
    if (o->has_red[0] && o->red[0] > a) {
        colour(C_RBAND);
        fill_rect(0, X, a, clampd(o->red[0], a, b));
    }
    if (o->has_red[1] && o->red[1] < b) {
        colour(C_RBAND);
        fill_rect(0, X, clampd(o->red[1], a, b), b);
    }
    if (o->has_yellow[0] && o->yellow[0] > a) {
        double lo = o->has_red[0] ? clampd(o->red[0], a, b) : a;
        colour(C_YBAND);
        fill_rect(0, X, lo, clampd(o->yellow[0], a, b));
    }
    if (o->has_yellow[1] && o->yellow[1] < b) {
        double hi = o->has_red[1] ? clampd(o->red[1], a, b) : b;
        colour(C_YBAND);
        fill_rect(0, X, clampd(o->yellow[1], a, b), hi);
    }
}

static void hline(const draw *d, double v, int col, int dashed, double width)
{
    static const PLINT mark[1] = {600}, space[1] = {400};
    colour(col);
    plwidth(width);
    if (dashed)
        plstyl(1, mark, space);
    pljoin(0, v, d->span_s, v);
    plstyl(0, NULL, NULL);
    plwidth(1);
}

static void limit_lines(const draw *d, const edb__plot_panel *pn)
{
    const edb__plot_limits *o = &pn->lim;
    for (int s = 0; s < 2; s++) {
        if (o->has_yellow[s] && o->yellow[s] >= pn->y0 && o->yellow[s] <= pn->y1)
            hline(d, o->yellow[s], C_YLINE, 0, 1);
        if (o->has_red[s] && o->red[s] >= pn->y0 && o->red[s] <= pn->y1)
            hline(d, o->red[s], C_RLINE, 0, 1);
    }
    if (o->has_nominal && o->nominal >= pn->y0 && o->nominal <= pn->y1)
        hline(d, o->nominal, C_NOMINAL, 1, 1.5);
}

/* Every how many state names there is room to write one. */
static size_t states_every(const draw *d, const edb__plot_panel *pn, const pbox *b)
{
    double ph = b->bottom - b->top, fs = d->f * 0.92;
    size_t every = 1;
    while ((double)(pn->nstates / every) * fs * 1.15 > ph && every < pn->nstates)
        every++;
    return every;
}

static void grid(const draw *d, const edb__plot_panel *pn, const pbox *b)
{
    colour(C_GRID);
    plwidth(1);
    for (size_t k = 0; k < d->nticks; k++) {
        double x = tworld(d, d->ticks[k].t);
        pljoin(x, pn->y0, x, pn->y1);
    }
    if (pn->kind == EDB__PANEL_STATES) {
        size_t every = states_every(d, pn, b);
        for (size_t k = 0; k < pn->nstates; k += every)
            pljoin(0, (double)k, d->span_s, (double)k);
    } else if (pn->ystep > 0) {
        double k0 = ceil(pn->y0 / pn->ystep - 1e-9);
        for (int k = 0; k < 40; k++) {
            double v = (k0 + k) * pn->ystep;
            if (v > pn->y1 + pn->ystep * 1e-9)
                break;
            pljoin(0, v, d->span_s, v);
        }
    }
}

/* A band between two edges, as polygons: the upper edge forward, the lower edge back,
 * each reduced to its extreme per pixel column. */
static edb_status band(const draw *d, const edb__plot_panel *pn, const edb__plot_trace *tr)
{
    const edb__plot_sel *lo = &tr->sel, *hi = &tr->sel_hi;
    if (lo->nrun != hi->nrun)
        return EDB_OK; /* cannot happen: both edges break at the same rows */
    size_t cap = 0;
    for (size_t r = 0; r < lo->nrun; r++) {
        size_t n = (lo->run[r + 1] - lo->run[r]) + (hi->run[r + 1] - hi->run[r]);
        cap = n > cap ? n : cap;
    }
    PLFLT *x = malloc((cap + 1) * sizeof *x), *y = malloc((cap + 1) * sizeof *y);
    if (!x || !y) {
        free(x);
        free(y);
        return EDB_ERR_NOMEM;
    }
    for (size_t r = 0; r < lo->nrun; r++) {
        size_t n = 0;
        for (int pass = 0; pass < 2; pass++) {
            const edb__plot_sel *s = pass == 0 ? hi : lo;
            const edb__plot_src *src = pass == 0 ? &tr->hi : &tr->src;
            size_t a = s->run[r], b = s->run[r + 1];
            size_t start = n;
            int col = -1;
            for (size_t j = a; j < b; j++) {
                size_t k = s->idx[j];
                double v = 0;
                edb__plot_value(src, k, &v);
                int c = edb__plot_column(src->t[k] + src->t_shift, d->p->x0, d->p->x1, d->ncols);
                if (c == col) {
                    if (pass == 0 ? v > y[n - 1] : v < y[n - 1])
                        y[n - 1] = yworld(pn, v);
                    continue;
                }
                col = c;
                x[n] = xworld_of_col(d, c);
                y[n] = yworld(pn, v);
                n++;
            }
            if (pass == 1) {
                /* the lower edge runs back */
                for (size_t i = start, j = n - 1; i < j; i++, j--) {
                    PLFLT tx = x[i], ty = y[i];
                    x[i] = x[j];
                    y[i] = y[j];
                    x[j] = tx;
                    y[j] = ty;
                }
            }
        }
        if (n >= 3)
            plfill((PLINT)n, x, y);
    }
    free(x);
    free(y);
    return EDB_OK;
}

static void set_rgb(cairo_t *cr, const rgb *c)
{
    cairo_set_source_rgb(cr, c->r / 255.0, c->g / 255.0, c->b / 255.0);
}

/* A marker on a point outside the limits. */
static void marker(const draw *d, const edb__plot_panel *pn, const pbox *b, int col, double v,
                   int level)
{
    double xp = xpix_of_col(d, col), yp = ypix(pn, b, v);
    double r = d->f * 0.24;
    if (d->cr) {
        cairo_t *cr = d->cr;
        cairo_save(cr);
        cairo_identity_matrix(cr); /* PLplot's is flipped */
        cairo_rectangle(cr, d->left, b->top, d->ncols, b->bottom - b->top);
        cairo_clip(cr);
        set_rgb(cr, &fixed[level == 2 ? C_RLINE : C_YLINE]);
        cairo_new_path(cr);
        cairo_arc(cr, xp, yp, r, 0, 2 * M_PI);
        cairo_fill(cr);
        cairo_restore(cr);
        return;
    }
    /* PLplot: a filled octagon, in world coordinates of the panel */
    PLFLT x[8], y[8];
    double sx = d->span_s / d->ncols, sy = (pn->y1 - pn->y0) / (b->bottom - b->top);
    for (int k = 0; k < 8; k++) {
        double a = k * M_PI / 4 + M_PI / 8;
        x[k] = (xp - d->left + r * cos(a)) * sx;
        y[k] = yworld(pn, v + r * sin(a) * sy);
    }
    colour(level == 2 ? C_RLINE : C_YLINE);
    plfill(8, x, y);
}

/* A line or steps through the selected samples: cairo for PNG and PDF (see the top of the
 * file), PLplot's polylines for SVG. */
static edb_status trace(draw *d, const edb__plot_panel *pn, const pbox *b,
                        const edb__plot_trace *tr, const rgb *c, int cidx, double width)
{
    const edb__plot_sel *s = &tr->sel;
    const edb__plot_src *src = &tr->src;
    const edb_time x0 = d->p->x0, x1 = d->p->x1;
    if (d->cr) {
        cairo_t *cr = d->cr;
        cairo_save(cr);
        cairo_identity_matrix(cr);
        cairo_rectangle(cr, d->left, b->top, d->ncols, b->bottom - b->top);
        cairo_clip(cr);
        cairo_new_path(cr);
        for (size_t r = 0; r < s->nrun; r++) {
            double py = 0;
            for (size_t j = s->run[r]; j < s->run[r + 1]; j++) {
                size_t k = s->idx[j];
                double v = 0;
                edb__plot_value(src, k, &v);
                double px = xpix_of_col(d, edb__plot_column(src->t[k] + src->t_shift, x0, x1,
                                                            d->ncols));
                double y = ypix(pn, b, v);
                if (j == s->run[r]) {
                    cairo_move_to(cr, px, y);
                    cairo_line_to(cr, px, y); /* a lone sample is a dot */
                } else {
                    if (tr->step)
                        cairo_line_to(cr, px, py);
                    cairo_line_to(cr, px, y);
                }
                py = y;
            }
            if (tr->hold_end && r + 1 == s->nrun)
                cairo_line_to(cr, d->right, py);
        }
        set_rgb(cr, c);
        cairo_set_line_width(cr, width);
        cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
        cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
        cairo_stroke(cr);
        /* A sample alone between breaks would be a dot one line wide: make it visible. */
        for (size_t r = 0; r < s->nrun; r++) {
            if (s->run[r + 1] - s->run[r] != 1)
                continue;
            size_t k = s->idx[s->run[r]];
            double v = 0;
            edb__plot_value(src, k, &v);
            cairo_new_path(cr);
            cairo_arc(cr, xpix_of_col(d, edb__plot_column(src->t[k] + src->t_shift, x0, x1,
                                                          d->ncols)),
                      ypix(pn, b, v), width * 1.6, 0, 2 * M_PI);
            cairo_fill(cr);
        }
        cairo_restore(cr);
        return EDB_OK;
    }
    size_t cap = 0;
    for (size_t r = 0; r < s->nrun; r++)
        cap = s->run[r + 1] - s->run[r] > cap ? s->run[r + 1] - s->run[r] : cap;
    PLFLT *x = malloc((2 * cap + 2) * sizeof *x), *y = malloc((2 * cap + 2) * sizeof *y);
    if (!x || !y) {
        free(x);
        free(y);
        return EDB_ERR_NOMEM;
    }
    colour(cidx);
    plwidth(width);
    for (size_t r = 0; r < s->nrun; r++) {
        size_t n = 0;
        for (size_t j = s->run[r]; j < s->run[r + 1]; j++) {
            size_t k = s->idx[j];
            double v = 0;
            edb__plot_value(src, k, &v);
            double xw = xworld_of_col(d, edb__plot_column(src->t[k] + src->t_shift, x0, x1,
                                                          d->ncols));
            if (tr->step && n > 0) {
                x[n] = xw;
                y[n] = y[n - 1];
                n++;
            }
            x[n] = xw;
            y[n] = yworld(pn, v);
            n++;
        }
        if (tr->hold_end && r + 1 == s->nrun && n > 0) {
            x[n] = d->span_s;
            y[n] = y[n - 1];
            n++;
        }
        if (n == 1) {
            /* a lone sample: a dot */
            double sx = d->span_s / d->ncols, sy = (pn->y1 - pn->y0) / (b->bottom - b->top);
            PLFLT ox[8], oy[8];
            for (int q = 0; q < 8; q++) {
                ox[q] = x[0] + 1.6 * width * sx * cos(q * M_PI / 4);
                oy[q] = y[0] + 1.6 * width * sy * sin(q * M_PI / 4);
            }
            plfill(8, ox, oy);
        } else if (n > 1) {
            plline((PLINT)n, x, y);
        }
    }
    plwidth(1);
    free(x);
    free(y);
    return EDB_OK;
}

/* Markers where a line leaves its limits: in each pixel column whose samples go beyond a
 * limit, one at its highest or lowest value (M4 keeps both, so the decimated and the full
 * series mark the same points). */
static void markers(draw *d, const edb__plot_panel *pn, const pbox *b, const edb__plot_trace *tr)
{
    const edb__plot_limits *o = &pn->lim;
    const edb__plot_sel *s = &tr->sel;
    int col = -1;
    double lo = 0, hi = 0;
    for (size_t j = 0; j <= s->nidx; j++) {
        int c = -1;
        double v = 0;
        if (j < s->nidx) {
            size_t k = s->idx[j];
            edb__plot_value(&tr->src, k, &v);
            c = edb__plot_column(tr->src.t[k] + tr->src.t_shift, d->p->x0, d->p->x1, d->ncols);
            if (c == col) {
                lo = v < lo ? v : lo;
                hi = v > hi ? v : hi;
                continue;
            }
        }
        if (col >= 0) {
            int up = (o->has_red[1] && hi > o->red[1]) ? 2 : (o->has_yellow[1] && hi > o->yellow[1]);
            int dn = (o->has_red[0] && lo < o->red[0]) ? 2 : (o->has_yellow[0] && lo < o->yellow[0]);
            if (up)
                marker(d, pn, b, col, hi, up);
            if (dn)
                marker(d, pn, b, col, lo, dn);
        }
        col = c;
        lo = hi = v;
    }
}

typedef struct legend_entry {
    char text[160];
    int kind;   /* 0 line, 1 filled box, 2 dashed line */
    int cidx;   /* PLplot colour */
} legend_entry;

static size_t legend_entries(const draw *d, const edb__plot_panel *pn, legend_entry *e,
                             size_t max)
{
    const edb__plot_limits *o = &pn->lim;
    size_t n = 0;
    if (pn->legend)
        for (size_t k = 0; k < pn->ntr && n < max; k++) {
            const edb__plot_trace *tr = &pn->tr[k];
            snprintf(e[n].text, sizeof e[n].text, "%s", tr->label);
            e[n].kind = tr->role == EDB__ROLE_STD || tr->role == EDB__ROLE_ENV;
            e[n].cidx = tr->role == EDB__ROLE_STD   ? C_BANDSTD
                        : tr->role == EDB__ROLE_ENV ? C_BANDENV
                        : tr->role == EDB__ROLE_EXTRA && !d->p->o.overlay
                            ? C_PAL0 + 1 + (int)((k) % (N_PAL - 1))
                            : C_PAL0 + tr->colour % N_PAL;
            n++;
        }
    if (!pn->limits)
        return n;
    char a[64], b[64];
    for (int s = 0; s < 2 && n < max; s++) {
        int has0 = s ? o->has_red[0] : o->has_yellow[0];
        int has1 = s ? o->has_red[1] : o->has_yellow[1];
        double v0 = s ? o->red[0] : o->yellow[0], v1 = s ? o->red[1] : o->yellow[1];
        if (!has0 && !has1)
            continue;
        edb_format_double(v0, a, sizeof a);
        edb_format_double(v1, b, sizeof b);
        if (has0 && has1)
            snprintf(e[n].text, sizeof e[n].text, "%s limits %s, %s", s ? "red" : "yellow", a, b);
        else
            snprintf(e[n].text, sizeof e[n].text, "%s limit %s %s", s ? "red" : "yellow",
                     has0 ? "\xe2\x89\xa5" : "\xe2\x89\xa4", has0 ? a : b);
        e[n].kind = 1;
        e[n].cidx = s ? C_RBAND : C_YBAND;
        n++;
    }
    if (o->has_nominal && n < max) {
        edb_format_double(o->nominal, a, sizeof a);
        snprintf(e[n].text, sizeof e[n].text, "nominal %s", a);
        e[n].kind = 2;
        e[n].cidx = C_NOMINAL;
        n++;
    }
    return n;
}

/* The header line above a panel: its description on the left, the legend on the right. */
static void header(draw *d, const edb__plot_panel *pn, const pbox *b)
{
    legend_entry e[40];
    size_t n = legend_entries(d, pn, e, 40);
    double fs = d->f * 0.9, sw = fs * 1.8, pad = fs * 0.5, y = b->top - b->header * 0.45;
    double width = 0;
    for (size_t k = 0; k < n; k++)
        width += sw + pad + edb__plot_text_em(e[k].text) * fs + fs * 1.2;
    double room = d->ncols;
    /* Description first; the legend takes what is left, or a line of its own inside. */
    double x = d->right;
    int inside = width > room * 0.7 && n > 0;
    font(fs, 0);
    if (!inside)
        for (size_t k = n; k-- > 0;) {
            double tw = edb__plot_text_em(e[k].text) * fs;
            x -= tw;
            colour(C_FG);
            page(d);
            text_at(x, y, 0, e[k].text);
            x -= pad + sw;
            double sy = y;
            if (e[k].kind == 1) {
                colour(e[k].cidx);
                fill_rect(x, x + sw, sy - fs * 0.35, sy + fs * 0.35);
                colour(C_LEGEDGE);
                plwidth(0.5);
                pljoin(x, sy - fs * 0.35, x + sw, sy - fs * 0.35);
                pljoin(x, sy + fs * 0.35, x + sw, sy + fs * 0.35);
                plwidth(1);
            } else {
                static const PLINT mark[1] = {600}, space[1] = {400};
                colour(e[k].cidx);
                plwidth(2);
                if (e[k].kind == 2)
                    plstyl(1, mark, space);
                pljoin(x, sy, x + sw, sy);
                plstyl(0, NULL, NULL);
                plwidth(1);
            }
            x -= fs * 1.2;
        }
    if (pn->description) {
        char buf[600];
        double max = (inside ? d->right : x) - d->left - fs;
        fit_text(pn->description, fs, max, buf, sizeof buf);
        page(d);
        colour(C_MUTED);
        text_at(d->left, y, 0, buf);
    }
    if (inside) {
        /* a box in the panel's top right corner, one entry a line */
        double wmax = 0;
        for (size_t k = 0; k < n; k++) {
            double w = edb__plot_text_em(e[k].text) * fs;
            wmax = w > wmax ? w : wmax;
        }
        double lh = fs * 1.35, bw = sw + pad + wmax + 2 * pad, bh = lh * (double)n + pad;
        double bx = d->right - bw - pad, by = b->top + pad;
        page(d);
        plscol0a(C_LEGBG, 255, 255, 255, 0.85);
        colour(C_LEGBG);
        fill_rect(bx, bx + bw, by, by + bh);
        colour(C_LEGEDGE);
        plwidth(0.5);
        pljoin(bx, by, bx + bw, by);
        pljoin(bx + bw, by, bx + bw, by + bh);
        pljoin(bx + bw, by + bh, bx, by + bh);
        pljoin(bx, by + bh, bx, by);
        plwidth(1);
        for (size_t k = 0; k < n; k++) {
            double ly = by + pad * 0.5 + lh * ((double)k + 0.5);
            double lx = bx + pad;
            if (e[k].kind == 1) {
                colour(e[k].cidx);
                fill_rect(lx, lx + sw, ly - fs * 0.35, ly + fs * 0.35);
            } else {
                static const PLINT mark[1] = {600}, space[1] = {400};
                colour(e[k].cidx);
                plwidth(2);
                if (e[k].kind == 2)
                    plstyl(1, mark, space);
                pljoin(lx, ly, lx + sw, ly);
                plstyl(0, NULL, NULL);
                plwidth(1);
            }
            colour(C_FG);
            text_at(lx + sw + pad, ly, 0, e[k].text);
        }
    }
}

static void yaxis(draw *d, const edb__plot_panel *pn, const pbox *b, int last)
{
    double fs = d->f * 0.92, tick = d->f * 0.4;
    page(d);
    colour(C_FG);
    font(fs, 0);
    if (pn->kind == EDB__PANEL_STATES) {
        size_t every = states_every(d, pn, b);
        for (size_t k = 0; k < pn->nstates; k += every) {
            double yp = ypix(pn, b, (double)k);
            pljoin(d->left, yp, d->left + tick, yp);
            text_at(d->left - fs * 0.5, yp, 1.0, pn->states[k]);
        }
    } else if (pn->ystep > 0) {
        double big = fabs(pn->y0) > fabs(pn->y1) ? fabs(pn->y0) : fabs(pn->y1);
        double k0 = ceil(pn->y0 / pn->ystep - 1e-9);
        for (int k = 0; k < 40; k++) {
            double v = (k0 + k) * pn->ystep;
            if (v > pn->y1 + pn->ystep * 1e-9)
                break;
            double yp = ypix(pn, b, v);
            char buf[64];
            edb__plot_format_value(v, pn->ystep, big, buf, sizeof buf);
            pljoin(d->left, yp, d->left + tick, yp);
            pljoin(d->right, yp, d->right - tick, yp);
            text_at(d->left - fs * 0.5, yp, 1.0, buf);
        }
    }
    /* time ticks on the frame's bottom and top */
    for (size_t k = 0; k < d->nticks; k++) {
        double xp = d->left + tworld(d, d->ticks[k].t) / d->span_s * d->ncols;
        pljoin(xp, b->bottom, xp, b->bottom - tick);
        pljoin(xp, b->top, xp, b->top + tick);
    }
    /* the label, turned, centred on the panel and its header */
    font(b->font, 0);
    char buf[600];
    double h = b->bottom - b->top + b->header;
    fit_text(pn->ylabel, b->font, h, buf, sizeof buf);
    char esc[1200];
    pl_text(buf, esc, sizeof esc);
    plptex(10 + b->font * 0.6, (b->top - b->header + b->bottom) / 2.0, 0, -1, 0.5, esc);
    if (last) {
        font(fs, 0);
        for (size_t k = 0; k < d->nticks; k++) {
            double xp = d->left + tworld(d, d->ticks[k].t) / d->span_s * d->ncols;
            text_at(xp, b->bottom + fs * 1.0, 0.5, d->ticks[k].label);
            if (d->ticks[k].date[0]) {
                colour(C_MUTED);
                text_at(xp, b->bottom + fs * 2.3, 0.5, d->ticks[k].date);
                colour(C_FG);
            }
        }
        font(d->f, 0);
        text_at((d->left + d->right) / 2.0, b->bottom + fs * 2.3 + d->f * 1.6, 0.5,
                "time (UTC)");
    }
}

static edb_status draw_panel(draw *d, size_t k)
{
    const edb__plot *p = d->p;
    const edb__plot_panel *pn = &p->p[k];
    const pbox *b = &d->bx[k];
    const edb__plot_opts *o = &p->o;
    int lim = pn->limits && pn->kind == EDB__PANEL_NUMBER;
    panel_viewport(d, pn, b);
    if (lim)
        limit_bands(d, pn);
    grid(d, pn, b);
    int any = 0;
    /* bands under lines */
    for (size_t q = 0; q < pn->ntr; q++) {
        const edb__plot_trace *tr = &pn->tr[q];
        any |= tr->npresent > 0;
        if (tr->role != EDB__ROLE_STD && tr->role != EDB__ROLE_ENV)
            continue;
        int ci = tr->role == EDB__ROLE_STD ? C_BANDSTD : C_BANDENV;
        if (o->overlay) {
            /* the band takes its line's colour, lighter */
            const rgb *c = &palette[tr->colour % N_PAL];
            plscol0a(ci, c->r, c->g, c->b, tr->role == EDB__ROLE_STD ? 0.3 : 0.15);
        }
        colour(ci);
        panel_viewport(d, pn, b);
        if (band(d, pn, tr) != EDB_OK)
            return EDB_ERR_NOMEM;
    }
    if (lim)
        limit_lines(d, pn);
    for (size_t q = 0; q < pn->ntr; q++) {
        const edb__plot_trace *tr = &pn->tr[q];
        if (tr->role == EDB__ROLE_STD || tr->role == EDB__ROLE_ENV)
            continue;
        int ci = tr->role == EDB__ROLE_EXTRA && !o->overlay ? C_PAL0 + 1 + (int)(q % (N_PAL - 1))
                                                            : C_PAL0 + tr->colour % N_PAL;
        double w = tr->role == EDB__ROLE_EXTRA ? d->f * 0.09 : d->f * 0.11;
        panel_viewport(d, pn, b);
        if (trace(d, pn, b, tr, &palette[ci - C_PAL0], ci, w < 1 ? 1 : w) != EDB_OK)
            return EDB_ERR_NOMEM;
    }
    if (lim && has_limits(&pn->lim)) {
        panel_viewport(d, pn, b);
        for (size_t q = 0; q < pn->ntr; q++)
            if (pn->tr[q].role == EDB__ROLE_LINE || pn->tr[q].role == EDB__ROLE_EXTRA)
                markers(d, pn, b, &pn->tr[q]);
    }
    /* the frame */
    panel_viewport(d, pn, b);
    colour(C_FG);
    plwidth(1);
    plbox("bc", 0, 0, "bc", 0, 0);
    if (!any) {
        page(d);
        font(d->f * 1.1, 0);
        colour(C_MUTED);
        text_at((d->left + d->right) / 2.0, (b->top + b->bottom) / 2.0, 0.5, "no data in range");
    }
    yaxis(d, pn, b, k + 1 == p->np);
    if (b->header)
        header(d, pn, b);
    return EDB_OK;
}

static void title(draw *d)
{
    page(d);
    colour(C_FG);
    font(d->f * 1.3, 1);
    char buf[800];
    fit_text(d->p->title, d->f * 1.3, d->W - 2 * d->f, buf, sizeof buf);
    text_at(d->W / 2.0, 10 + d->f * 0.95, 0.5, buf);
    font(d->f * 0.95, 0);
    colour(C_MUTED);
    fit_text(d->p->caption, d->f * 0.95, d->W - 2 * d->f, buf, sizeof buf);
    text_at(d->W / 2.0, 10 + d->f * 1.9 + d->f * 0.8, 0.5, buf);
}

/* ---- PLplot, once at a time ---------------------------------------------------------------- */

static pthread_mutex_t pl_lock = PTHREAD_MUTEX_INITIALIZER;
static jmp_buf pl_jump;
static char pl_fatal[512];
static int pl_broken;

static int on_plexit(const char *msg)
{
    snprintf(pl_fatal, sizeof pl_fatal, "%s", msg ? msg : "");
    longjmp(pl_jump, 1);
    return 0;
}

static int have_device(const char *name)
{
    const char *menu[128], *dev[128];
    const char **pm = menu, **pd = dev;
    int n = 128;
    plgDevs(&pm, &pd, &n);
    for (int k = 0; k < n && k < 128; k++)
        if (pd[k] && strcmp(pd[k], name) == 0)
            return 1;
    return 0;
}

static void set_colours(void)
{
    plscmap0n(C_PAL0 + N_PAL);
    for (int k = 0; k < (int)(sizeof fixed / sizeof fixed[0]); k++)
        plscol0(k, fixed[k].r, fixed[k].g, fixed[k].b);
    plscol0a(C_BANDSTD, palette[0].r, palette[0].g, palette[0].b, 0.3);
    plscol0a(C_BANDENV, palette[0].r, palette[0].g, palette[0].b, 0.14);
    for (int k = 0; k < N_PAL; k++)
        plscol0(C_PAL0 + k, palette[k].r, palette[k].g, palette[k].b);
}

/* Draw every panel with PLplot; cr is the context for PNG and PDF, NULL for SVG (out then
 * gets the SVG's FILE*, which PLplot closes). */
static edb_status plplot_draw(draw *d, FILE *svg_out, edb_err *err)
{
    const char *dev = d->cr ? "extcairo" : "svg";
    pthread_mutex_lock(&pl_lock);
    if (pl_broken) {
        pthread_mutex_unlock(&pl_lock);
        if (svg_out)
            fclose(svg_out);
        return edb_err_set(err, EDB_ERR_INTERNAL, "PLplot stopped with an error earlier in this "
                           "process (%s): run again to draw", pl_fatal);
    }
    if (!have_device(dev)) {
        pthread_mutex_unlock(&pl_lock);
        if (svg_out)
            fclose(svg_out);
        return edb_err_set(err, EDB_ERR_INTERNAL, "PLplot has no '%s' driver here: install "
                           "Debian's plplot-driver-cairo (scripts/bootstrap does)", dev);
    }
    volatile edb_status st = EDB_OK;
    if (setjmp(pl_jump)) {
        pl_broken = 1;
        pthread_mutex_unlock(&pl_lock);
        return edb_err_set(err, EDB_ERR_INTERNAL, "PLplot stopped: %s", pl_fatal);
    }
    plsexit(on_plexit);
    d->errcode = 0;
    d->errmsg[0] = '\0';
    plsError(&d->errcode, d->errmsg);
    plsdev(dev);
    plspage(0, 0, d->W, d->H, 0, 0);
    if (svg_out)
        plsfile(svg_out);
    plscolbg(255, 255, 255);
    set_colours();
    plinit();
    plsError(&d->errcode, d->errmsg);
    if (d->cr)
        pl_cmd(PLESC_DEVINIT, d->cr);
    pladv(0);
    title(d);
    for (size_t k = 0; k < d->p->np && st == EDB_OK; k++)
        st = draw_panel(d, k);
    plend();
    plsexit(NULL);
    pthread_mutex_unlock(&pl_lock);
    if (st != EDB_OK)
        return edb_err_set(err, st, "out of memory drawing the plot");
    if (d->errcode)
        return edb_err_set(err, EDB_ERR_INTERNAL, "PLplot: %s", d->errmsg);
    return EDB_OK;
}

/* ---- the formats ------------------------------------------------------------------------ */

static cairo_status_t to_file(void *closure, const unsigned char *data, unsigned int len)
{
    FILE *f = closure;
    return fwrite(data, 1, len, f) == len ? CAIRO_STATUS_SUCCESS : CAIRO_STATUS_WRITE_ERROR;
}

static edb_status render(const edb__wctx *c, edb__plot *p, int kind)
{
    draw d;
    memset(&d, 0, sizeof d);
    d.p = p;
    d.kind = kind;
    edb_status st = do_layout(&d, c->err);
    if (st == EDB_OK)
        st = edb__plot_decimate(p, d.ncols, c->err);
    if (st != EDB_OK) {
        free(d.bx);
        return st;
    }
    cairo_surface_t *sf = NULL;
    if (kind == OUT_PNG)
        sf = cairo_image_surface_create(CAIRO_FORMAT_RGB24, d.W, d.H);
    else if (kind == OUT_PDF) {
        sf = cairo_pdf_surface_create_for_stream(to_file, c->f, d.W, d.H);
        char creator[64];
        edb__creator(creator, sizeof creator);
        cairo_pdf_surface_set_metadata(sf, CAIRO_PDF_METADATA_TITLE, p->title);
        cairo_pdf_surface_set_metadata(sf, CAIRO_PDF_METADATA_CREATOR, creator);
        /* cairo stamps the wall clock unless told a date; an empty one writes none. */
        char date[32] = "";
        if (p->o.date && c->run) {
            int Y, M, D, h, m, s, us;
            edb_time_to_civil(c->run->run_time, &Y, &M, &D, &h, &m, &s, &us);
            snprintf(date, sizeof date, "%04d-%02d-%02dT%02d:%02d:%02dZ", Y, M, D, h, m, s);
        }
        cairo_pdf_surface_set_metadata(sf, CAIRO_PDF_METADATA_CREATE_DATE, date);
        cairo_pdf_surface_set_metadata(sf, CAIRO_PDF_METADATA_MOD_DATE, date);
    }
    FILE *svg = NULL;
    char *svgbuf = NULL;
    size_t svglen = 0;
    if (sf) {
        d.cr = cairo_create(sf);
        cairo_set_source_rgb(d.cr, 1, 1, 1);
        cairo_paint(d.cr);
        if (cairo_status(d.cr) != CAIRO_STATUS_SUCCESS) {
            cairo_destroy(d.cr);
            cairo_surface_destroy(sf);
            free(d.bx);
            return edb_err_set(c->err, EDB_ERR_NOMEM, "cannot make a %dx%d drawing surface "
                               "(out of memory?)", d.W, d.H);
        }
    } else {
        svg = open_memstream(&svgbuf, &svglen);
        if (!svg) {
            free(d.bx);
            return edb_err_set(c->err, EDB_ERR_NOMEM, "out of memory drawing the plot");
        }
    }
    st = plplot_draw(&d, svg, c->err);
    if (sf) {
        cairo_destroy(d.cr);
        if (st == EDB_OK && kind == OUT_PNG) {
            cairo_surface_flush(sf);
            if (cairo_surface_write_to_png_stream(sf, to_file, c->f) != CAIRO_STATUS_SUCCESS)
                st = edb_err_set(c->err, EDB_ERR_IO, "writing the PNG failed");
        }
        if (kind == OUT_PDF) {
            cairo_surface_finish(sf);
            if (st == EDB_OK && cairo_surface_status(sf) != CAIRO_STATUS_SUCCESS)
                st = edb_err_set(c->err, EDB_ERR_IO, "writing the PDF failed: %s",
                                 cairo_status_to_string(cairo_surface_status(sf)));
        }
        cairo_surface_destroy(sf);
    } else if (st == EDB_OK) {
        /* PLplot closed the memory stream at plend. */
        if (svglen && fwrite(svgbuf, 1, svglen, c->f) != svglen)
            st = edb_err_set(c->err, EDB_ERR_IO, "writing the SVG failed");
    }
    free(svgbuf);
    free(d.bx);
    return st;
}

static edb_status write_with(const edb__wctx *c, int kind, const edb_series *const *s, size_t n,
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
        st = render(c, p, kind);
    edb__plot_free(p);
    return st;
}

edb_status edb__plot_write_png_every_point(const edb__wctx *c, const edb_series *const *s,
                                           size_t n)
{
    edb__plot_opts o;
    edb_status st = edb__plot_opts_read(&o, c);
    if (st != EDB_OK)
        return st;
    o.every_point = 1;
    edb__plot *p = NULL;
    st = edb__plot_from_series(&p, &o, c->run, s, n, c->err);
    if (st == EDB_OK)
        st = render(c, p, OUT_PNG);
    edb__plot_free(p);
    return st;
}

static edb_status png_series(const edb__wctx *c, const edb_series *const *s, size_t n)
{
    return write_with(c, OUT_PNG, s, n, NULL);
}
static edb_status png_table(const edb__wctx *c, const edb_table *t)
{
    return write_with(c, OUT_PNG, NULL, 0, t);
}
static edb_status pdf_series(const edb__wctx *c, const edb_series *const *s, size_t n)
{
    return write_with(c, OUT_PDF, s, n, NULL);
}
static edb_status pdf_table(const edb__wctx *c, const edb_table *t)
{
    return write_with(c, OUT_PDF, NULL, 0, t);
}
static edb_status svg_series(const edb__wctx *c, const edb_series *const *s, size_t n)
{
    return write_with(c, OUT_SVG, s, n, NULL);
}
static edb_status svg_table(const edb__wctx *c, const edb_table *t)
{
    return write_with(c, OUT_SVG, NULL, 0, t);
}

static const edb__wopt png_opts[] = {EDB__PLOT_COMMON_OPTIONS, {NULL, NULL, NULL, NULL}};
static const edb__wopt svg_opts[] = {EDB__PLOT_COMMON_OPTIONS, {NULL, NULL, NULL, NULL}};
static const edb__wopt pdf_opts[] = {
    EDB__PLOT_COMMON_OPTIONS,
    {"date", NULL, "write the run time as the PDF's creation date (default: no date)", NULL},
    {NULL, NULL, NULL, NULL}};

static const char *const png_ext[] = {".png", NULL};
static const char *const svg_ext[] = {".svg", NULL};
static const char *const pdf_ext[] = {".pdf", NULL};

const edb__format edb__format_png = {.name = "png", .extensions = png_ext, .options = png_opts,
                                     .streams = 1, .write_series = png_series,
                                     .write_table = png_table,
                                     .max_columns = EDB__PLOT_MAX_PANELS};
const edb__format edb__format_svg = {.name = "svg", .extensions = svg_ext, .options = svg_opts,
                                     .streams = 1, .write_series = svg_series,
                                     .write_table = svg_table,
                                     .max_columns = EDB__PLOT_MAX_PANELS};
const edb__format edb__format_pdf = {.name = "pdf", .extensions = pdf_ext, .options = pdf_opts,
                                     .streams = 1, .write_series = pdf_series,
                                     .write_table = pdf_table,
                                     .max_columns = EDB__PLOT_MAX_PANELS};
