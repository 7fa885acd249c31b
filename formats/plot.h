/* plot.h: what the plot writers share (internal to formats/; docs/plots.md says what a
 * plot shows).
 *
 * A plot is built in three steps, the same for every plot format:
 *   1. the model (plot_model.c): the series or the wide table become panels on one time
 *      axis, each with its traces (a line, steps, a band between two edges), its states,
 *      its value range and its label; the -O options are read here;
 *   2. decimation: each trace is cut into runs at its gaps and reduced, per column of the
 *      time axis, to its first, minimum, maximum and last samples (M4);
 *   3. drawing: plot_draw.c through PLplot (PNG and PDF on a cairo surface the writer
 *      owns, SVG through PLplot's own SVG driver), plot_html.c as a page for uPlot.
 * The model borrows the series or table it was built from (they outlive a write) and
 * owns everything else. */
#ifndef EDB_FORMATS_PLOT_H
#define EDB_FORMATS_PLOT_H

#include <stddef.h>
#include <stdint.h>

#include <edb/series.h>
#include <edb/table.h>
#include <edb/writer.h>

#include "formats.h"

/* Panels a plot draws at most (one per mnemonic, one more per count panel; with overlay,
 * lines in the one panel).  More is refused: such a picture cannot be read. */
#define EDB__PLOT_MAX_PANELS 24
/* The automatic gap rule: a spacing longer than this many times the median spacing of a
 * trace's samples is a break. */
#define EDB__PLOT_GAP_FACTOR 10

/* ---- options (-O KEY=VALUE) -------------------------------------------------------- */

/* Limits: yellow and red (low, high; either side may be missing) and a nominal value. */
typedef struct edb__plot_limits {
    int has_yellow[2], has_red[2], has_nominal;
    double yellow[2], red[2], nominal;
} edb__plot_limits;

#define EDB__PLOT_MAX_PER 32 /* mnemonics with limits of their own */

typedef struct edb__plot_opts {
    int width, height;  /* pixels (PNG) or points (SVG, PDF); 0: the default */
    const char *title;  /* NULL: from the mnemonics */
    int overlay;        /* every line in one panel, with a legend */
    int count;          /* statistics: a count panel under each mnemonic */
    int date;           /* PDF: write the run time as CreationDate */
    edb__plot_limits lim; /* -O yellow=LO,HI ...: every panel of numbers */
    struct {            /* -O yellow=MNEMONIC:LO,HI ...: that mnemonic's, first */
        char name[65];
        edb__plot_limits lim;
    } per[EDB__PLOT_MAX_PER];
    size_t nper;
    int has_ymin, has_ymax;
    double ymin, ymax;
    int64_t max_gap_us; /* 0: the automatic rule; < 0: never break */
    size_t max_points;  /* HTML: samples kept at full resolution per trace */
    int every_point;    /* tests: no decimation, every sample drawn */
} edb__plot_opts;

#define EDB__PLOT_WIDTH 1200
#define EDB__PLOT_MAX_POINTS 200000

/* The options every plot format takes, for its edb__wopt table (a macro, since each
 * format's table is its own array). */
edb_status edb__plot_check_size(const char *key, const char *value, edb_err *err);
edb_status edb__plot_check_limits(const char *key, const char *value, edb_err *err);
edb_status edb__plot_check_number(const char *key, const char *value, edb_err *err);
edb_status edb__plot_check_nominal(const char *key, const char *value, edb_err *err);
edb_status edb__plot_check_gap(const char *key, const char *value, edb_err *err);
edb_status edb__plot_check_points(const char *key, const char *value, edb_err *err);

#define EDB__PLOT_COMMON_OPTIONS                                                              \
    {"width", "N", "pixels (points for SVG, PDF), 200-10000; default 1200 (SVG, PDF: 800)",  \
     edb__plot_check_size},                                                                    \
    {"height", "N", "height, 150-20000; default from the number of panels",                   \
     edb__plot_check_size},                                                                    \
    {"title", "TEXT", "the title; default: the mnemonics", NULL},                             \
    {"overlay", NULL, "every mnemonic in one panel, with a legend", NULL},                    \
    {"yellow", "[MNEMONIC:]LO,HI", "yellow limits: a band beyond them, points outside "     \
     "marked (one side may be empty)", edb__plot_check_limits},                                \
    {"red", "[MNEMONIC:]LO,HI", "red limits: a band beyond them, points outside marked",      \
     edb__plot_check_limits},                                                                  \
    {"nominal", "[MNEMONIC:]V", "a line at the nominal value", edb__plot_check_nominal},      \
    {"ymin", "V", "bottom of the value axis of number panels", edb__plot_check_number},       \
    {"ymax", "V", "top of the value axis of number panels", edb__plot_check_number},          \
    {"count", NULL, "statistics: a panel with the count per bin under each mnemonic", NULL},  \
    {"max-gap", "DUR", "break lines where samples are more than DUR apart (default: 10x the " \
     "median spacing; none: never)", edb__plot_check_gap}

/* The limits of a mnemonic's panel: its own (-O yellow=MNEMONIC:...), else the common. */
edb__plot_limits edb__plot_limits_for(const edb__plot_opts *o, const char *mnemonic);

/* Read the options given (already checked one by one) and check them together. */
edb_status edb__plot_opts_read(edb__plot_opts *o, const edb__wctx *c);

/* ---- the model ----------------------------------------------------------------------- */

/* Values against time: a series, a table column, or values computed here. */
typedef struct edb__plot_src {
    size_t n;
    const edb_time *t;
    int64_t t_shift;      /* added to every time (statistics: the middle of the bin) */
    const double *d;      /* one of d, i, code */
    const int64_t *i;
    const int32_t *code;  /* states: index into the panel's names */
    const uint8_t *valid; /* NULL: every row has a value */
} edb__plot_src;

/* Value k as a double; 0 when it has none or it is not finite (a break). */
static inline int edb__plot_value(const edb__plot_src *s, size_t k, double *v)
{
    if (s->valid && !s->valid[k])
        return 0;
    double x = s->d ? s->d[k] : s->i ? (double)s->i[k] : (double)s->code[k];
    *v = x;
    return x - x == 0; /* finite */
}

typedef enum edb__plot_role {
    EDB__ROLE_LINE,  /* a mnemonic's values, or a statistic's main line (mean) */
    EDB__ROLE_EXTRA, /* another statistic drawn as a thin line (median, first, last...) */
    EDB__ROLE_STD,   /* band: mean - std .. mean + std */
    EDB__ROLE_ENV,   /* band: min .. max */
    EDB__ROLE_COUNT  /* the count per bin (a count panel) */
} edb__plot_role;

/* Where a trace's samples go after decimation: idx[run[r]] .. idx[run[r + 1] - 1] is run r
 * (run[nrun] == nidx); runs are separated by breaks. */
typedef struct edb__plot_sel {
    size_t *idx, nidx, cap;
    size_t *run, nrun, rcap;
} edb__plot_sel;

typedef struct edb__plot_trace {
    char *label;          /* legend: the mnemonic or the statistic */
    edb__plot_role role;
    int step;             /* held between samples: drawn as steps */
    int hold_end;         /* change-only: the last value holds to the end of the axis */
    int colour;           /* index in the palette */
    edb__plot_src src;    /* the values (a band: its lower edge) */
    edb__plot_src hi;     /* a band's upper edge */
    double *own[2];       /* arrays computed here (band edges) */
    int64_t gap_us;       /* a break where samples are more than this apart; 0: none */
    double vmin, vmax;    /* finite values (a band: both edges); vmin > vmax when none */
    size_t npresent;      /* samples with a value */
    edb__plot_sel sel;    /* decimated (line) or the lower edge (band) */
    edb__plot_sel sel_hi; /* a band's upper edge */
} edb__plot_trace;

typedef enum edb__plot_kind {
    EDB__PANEL_NUMBER,
    EDB__PANEL_STATES, /* strings: steps between named levels */
    EDB__PANEL_COUNT
} edb__plot_kind;

typedef struct edb__plot_panel {
    char *ylabel;      /* "SA_ZATTEST1 [V]" */
    char *description; /* or NULL */
    edb__plot_kind kind;
    char **states;     /* STATES: the names, in the order of their codes (sorted) */
    size_t nstates;
    int32_t *codes;    /* STATES: the code of every sample (owned) */
    edb__plot_trace *tr;
    size_t ntr;
    int legend;        /* more than one thing drawn: show a legend */
    double y0, y1;     /* the value axis */
    double ystep;      /* its tick step (0: states, one tick per name) */
    int limits;        /* limit bands and markers apply here */
    edb__plot_limits lim; /* which: the mnemonic's own, else those for every panel */
} edb__plot_panel;

typedef struct edb__plot {
    edb__plot_opts o;
    edb_time x0, x1;        /* the time axis */
    char *title, *caption;  /* caption: the range and what statistics mean */
    edb__plot_panel *p;
    size_t np;
    int empty;              /* nothing to draw: "no data in range" */
} edb__plot;

edb_status edb__plot_from_series(edb__plot **out, const edb__plot_opts *o,
                                 const edb_run_info *run, const edb_series *const *s,
                                 size_t n, edb_err *err);
edb_status edb__plot_from_table(edb__plot **out, const edb__plot_opts *o,
                                const edb_run_info *run, const edb_table *t, edb_err *err);
void edb__plot_free(edb__plot *p);

/* Decimate every trace to ncols columns over [x0, x1] (0: keep every sample), cutting at
 * gaps.  A column holding several samples keeps its first, minimum, maximum and last, in
 * time order.  Band edges are reduced the same way. */
edb_status edb__plot_decimate(edb__plot *p, int ncols, edb_err *err);
/* The same for one trace. */
edb_status edb__plot_trace_decimate(edb__plot_trace *tr, edb_time x0, edb_time x1, int ncols);

/* Column (0..ncols-1) of time t on [x0, x1]. */
int edb__plot_column(edb_time t, edb_time x0, edb_time x1, int ncols);

/* Value axes: set y0, y1, ystep of every panel (limits and -O ymin/ymax included), for a
 * panel height of h pixels and text of font pixels. */
void edb__plot_scale(edb__plot *p, double panel_h, double font);

/* ---- axes ---------------------------------------------------------------------------- */

#define EDB__PLOT_MAX_TICKS 64

typedef struct edb__plot_tick {
    edb_time t;
    char label[32];  /* "02:30", "02:30:15", "2021-01-26", "2021-03", "2021" */
    char date[16];   /* under the label where the day changes (sub-day steps), else "" */
} edb__plot_tick;

/* Ticks on [x0, x1] at a step that suits the range (1 ms to centuries, on UTC calendar
 * boundaries), at most max_ticks of them.  Returns how many; *step_us the step (months
 * and years: their mean length). */
size_t edb__plot_time_ticks(edb_time x0, edb_time x1, size_t max_ticks,
                            edb__plot_tick *ticks, int64_t *step_us);

/* A "nice" step (1, 2, 2.5 or 5 times a power of ten) giving at most max_ticks ticks on
 * [y0, y1]. */
double edb__plot_nice_step(double y0, double y1, int max_ticks);
/* Tick value v on an axis of step `step` whose largest magnitude is `big`: as few digits
 * as tell the ticks apart. */
void edb__plot_format_value(double v, double step, double big, char *buf, size_t n);

/* Estimated width of text, in units of the font size (DejaVu Sans, the font Debian's
 * fontconfig gives for "Sans"). */
double edb__plot_text_em(const char *s);

/* Tests (plot_draw.c): the PNG of these series drawn from every sample, as it would be
 * without decimation, to compare with what the writer draws. */
edb_status edb__plot_write_png_every_point(const edb__wctx *c, const edb_series *const *s,
                                           size_t n);

/* "2021-01-26 02:28:47" (milliseconds when not zero) into buf. */
void edb__plot_time_text(edb_time t, char *buf, size_t n);

#endif
