/* fuzz_plot.c: the plot model (formats/plot_model.c) on arbitrary series, tables and -O
 * values: panels, states, the gap rule's median, M4 decimation, value and time axes.  The
 * drawing itself (PLplot) is left out: it only ever sees what the model hands it.
 *
 * Input: a line of options ("key=value;key=value"), then a flag byte, a column byte, and
 * records of 12 bytes (a signed 32-bit step of the time in microseconds, then the 8 bytes
 * of a double, any bits: NaN, infinities, huge).  Every option value goes through its
 * check; the accepted ones are read together as a writer would.  Invariants: a selection's
 * indices are in range and increase, runs are ordered and end at the selection's end. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <edb/edb.h>
#include <edb/table.h>

#include "plot.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const edb__wopt opts[] = {EDB__PLOT_COMMON_OPTIONS,
                                 {"max-points", "N", "", edb__plot_check_points},
                                 {"date", NULL, "", NULL},
                                 {NULL, NULL, NULL, NULL}};

static void check_sel(const edb__plot_sel *s, size_t n)
{
    for (size_t r = 0; r < s->nrun; r++) {
        if (s->run[r] > s->run[r + 1] || s->run[r + 1] > s->nidx)
            abort();
        for (size_t j = s->run[r]; j < s->run[r + 1]; j++)
            if (s->idx[j] >= n || (j > s->run[r] && s->idx[j] <= s->idx[j - 1]))
                abort();
    }
    if (s->nrun && s->run[s->nrun] != s->nidx)
        abort();
}

static void exercise(edb__plot *p, int ncols)
{
    edb_err err = EDB_ERR_INIT;
    if (edb__plot_decimate(p, ncols, &err) != EDB_OK)
        return;
    for (size_t k = 0; k < p->np; k++)
        for (size_t q = 0; q < p->p[k].ntr; q++) {
            const edb__plot_trace *tr = &p->p[k].tr[q];
            check_sel(&tr->sel, tr->src.n);
            if (tr->own[1])
                check_sel(&tr->sel_hi, tr->hi.n);
        }
    edb__plot_scale(p, 120, 13);
    for (size_t k = 0; k < p->np; k++) {
        const edb__plot_panel *pn = &p->p[k];
        if (pn->ystep > 0) {
            double k0 = ceil(pn->y0 / pn->ystep - 1e-9);
            for (int j = 0; j < 40; j++) {
                char b[64];
                double v = (k0 + j) * pn->ystep;
                if (v > pn->y1)
                    break;
                edb__plot_format_value(v, pn->ystep, fabs(pn->y0) > fabs(pn->y1) ? fabs(pn->y0)
                                                                                 : fabs(pn->y1),
                                       b, sizeof b);
            }
        }
    }
    edb__plot_tick t[EDB__PLOT_MAX_TICKS];
    edb__plot_time_ticks(p->x0, p->x1, (size_t)(ncols / 40 + 2), t, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nl = memchr(data, '\n', size);
    size_t olen = nl ? (size_t)(nl - data) : 0;
    char *line = malloc(olen + 1);
    if (!line)
        return 0;
    memcpy(line, data, olen);
    line[olen] = '\0';
    const char *keys[16], *vals[16];
    size_t nk = 0;
    for (char *tok = strtok(line, ";"); tok && nk < 16; tok = strtok(NULL, ";")) {
        char *eq = strchr(tok, '=');
        const char *v = eq ? eq + 1 : "";
        if (eq)
            *eq = '\0';
        for (const edb__wopt *o = opts; o->key; o++) {
            if (strcmp(o->key, tok) != 0 || (o->value != NULL) != (eq != NULL))
                continue;
            edb_err e = EDB_ERR_INIT;
            if (o->check && o->check(o->key, v, &e) != EDB_OK) {
                if (e.status != EDB_ERR_USAGE || !e.msg[0])
                    abort(); /* a refusal always says why */
                break;
            }
            keys[nk] = o->key;
            vals[nk] = v;
            nk++;
            break;
        }
    }
    const uint8_t *p = nl ? nl + 1 : data;
    size_t rest = size - (size_t)(p - data);
    uint8_t flags = rest > 0 ? p[0] : 0, cols = rest > 1 ? p[1] : 0;
    p += rest > 2 ? 2 : rest;
    rest = rest > 2 ? rest - 2 : 0;
    size_t n = rest / 12;

    edb_err err = EDB_ERR_INIT;
    edb__wctx c = {.err = &err, .opt_keys = keys, .opt_vals = vals, .n_opts = nk};
    edb__plot_opts o;
    if (edb__plot_opts_read(&o, &c) != EDB_OK) {
        free(line);
        return 0;
    }
    o.overlay |= flags & 1;
    o.every_point = (flags >> 1) & 1;
    edb_run_info run = {.command_line = "fuzz", .run_time = 0,
                        .start = INT64_C(1611628200000000), .end = INT64_C(1611628260000000)};

    /* up to three series from the records: reals, integers, strings */
    edb_series *s[3] = {NULL, NULL, NULL};
    edb_table *t = NULL;
    if (edb_table_new(&t, n) != EDB_OK)
        goto out;
    edb_column *col[5];
    static const char *const st[] = {"mean", "std", "min", "max", "count"};
    for (int k = 0; k < 5; k++)
        edb_table_add_column(t, st[k], "SA_ZFUZZ", st[k], k == 4 ? EDB_VT_INT : EDB_VT_REAL,
                             &col[k]);
    t->step_us = flags & 4 ? 1000000 : 0;
    static const char *const names[] = {"SA_ZREAL", "SA_ZINT", "SA_ZSTR"};
    static const edb_vtype types[] = {EDB_VT_REAL, EDB_VT_INT, EDB_VT_STRING};
    for (int k = 0; k < 3; k++) {
        edb_series_new(&s[k], names[k]);
        edb_series_set_type(s[k], types[k]);
        s[k]->all_points = (flags >> (3 + k)) & 1 ? 0 : 1;
    }
    edb_time tm = run.start;
    for (size_t k = 0; k < n; k++) {
        int32_t dt;
        double v;
        memcpy(&dt, p + 12 * k, 4);
        memcpy(&v, p + 12 * k + 4, 8);
        tm += dt;
        edb_series_push_real(s[0], tm, v);
        edb_series_push_int(s[1], tm, (int64_t)(p[12 * k + 4] - 128));
        char txt[2] = {(char)('A' + (p[12 * k + 5] & 7)), 0};
        edb_series_push_str(s[2], tm, txt, (p[12 * k + 6] & 1) ? 1 : 0);
        t->t[k] = tm;
        for (int q = 0; q < 4; q++)
            if ((p[12 * k + 7] >> q) & 1)
                edb_column_set_real(&t->cols[q], k, q == 1 ? fabs(v) : v + q);
        if (p[12 * k + 8] & 1)
            edb_column_set_int(&t->cols[4], k, p[12 * k + 9]);
    }
    int ncols = cols * 8;
    edb__plot *pl = NULL;
    if (edb__plot_from_series(&pl, &o, &run, (const edb_series *const *)s, 3, &err) == EDB_OK)
        exercise(pl, ncols);
    edb__plot_free(pl);
    pl = NULL;
    edb_err terr = EDB_ERR_INIT;
    if (edb__plot_from_table(&pl, &o, (flags & 64) ? NULL : &run, t, &terr) == EDB_OK)
        exercise(pl, ncols);
    edb__plot_free(pl);
out:
    for (int k = 0; k < 3; k++)
        edb_series_free(s[k]);
    edb_table_free(t);
    free(line);
    return 0;
}
