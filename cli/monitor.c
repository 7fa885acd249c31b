/* monitor.c: `edbx monitor CONFIG.json... --start T [--end T | --for DUR] -o DIR`.
 *
 * The jwql EDB telemetry monitor's configurations, run as they are.  Every entry, and every
 * kind it is monitored as, is one job: the `edbx get` command line docs/monitor.md gives for
 * it (build_command), parsed by get's own table and taken by get's own code (query.h), so
 * that an entry is exactly the get command --explain prints.  One fetch brings every
 * mnemonic any job reads over the whole range; each job then computes on views of those
 * series cut as get's own fetch would have cut them, its table is checked against the
 * entry's limits, and everything is written into DIR: the tables, report.json, report.md,
 * the plots.  With --state the final rows of each table are kept, and the next run
 * computes only from where they end (docs/monitor.md says why the result is the same). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <edb/writer.h>

#include "discover.h"
#include "monitor.h"
#include "record.h"

void help_monitor(FILE *out)
{
    fputs("Usage: edbx monitor CONFIG.json... --start TIME [--end TIME | --for DUR]\n"
          "                    -o DIR [OPTIONS]\n"
          "       edbx monitor CONFIG.json... --start TIME --explain\n"
          "\n"
          "Run the jwql EDB telemetry monitor's configurations (one JSON file per\n"
          "instrument, read as they are) over a UTC time range: every entry is an\n"
          "'edbx get' command (--explain prints them), every mnemonic is fetched once for\n"
          "the whole range, every computed value is checked against the entry's yellow and\n"
          "red limits.  DIR gets the tables (monitor.h5: /CONFIG/KIND/ENTRY), report.json,\n"
          "report.md and one plot per plot category.  Kinds: all, daily_means,\n"
          "block_means, time_interval, every_change and all+...; what each computes:\n"
          "docs/monitor.md.\n"
          "\n",
          out);
    cli_opts_help(cli_monitor_options(), out);
    fputs("\n"
          "Exit status: 0 all within limits, 10 a yellow limit crossed, 11 a red limit\n"
          "crossed (the outputs are written in full; with --state, by the values this run\n"
          "added); 2 usage or a malformed configuration, 3 unknown mnemonic, 4\n"
          "authentication, 5 network or server, 6 bad data, 7 local I/O (the outputs, the\n"
          "state), 8 partly failed (--keep-going), 130 interrupted: these come first\n"
          "(see 'edbx --help').\n",
          out);
}

/* --source, the cache and --bundle of the run; reset and freed by cmd_monitor. */
static cli_local mon_local;
/* --meta files; freed by cmd_monitor. */
static edb_meta *mon_meta;
/* The inventory the run uses (cli_inventory_for_run); freed by cmd_monitor. */
static edb_meta *mon_inv;

const char *mon_status_name(mon_status s)
{
    static const char *const names[] = {"ok", "unchecked", "no_data", "yellow", "red",
                                        "failed"};
    return (unsigned)s <= MON_FAILED ? names[s] : "";
}

void mon_time_text(edb_time t, char *buf, size_t n)
{
    if (t % EDB_USEC_PER_DAY == 0) {
        edb_time_format_iso(t, buf, n);
        char *tt = strchr(buf, 'T');
        if (tt)
            *tt = '\0';
    } else if (t % EDB_USEC_PER_SEC == 0) {
        edb_time_format_iso(t, buf, n);
        char *dot = strrchr(buf, '.');
        if (dot)
            *dot = '\0';
    } else {
        edb_time_format_iso_us(t, buf, n);
    }
}

static int quiet_warnings;

static void on_config_warning(void *ctx, const char *msg)
{
    (void)ctx;
    if (!quiet_warnings)
        cli_warn("warning: %s", msg);
}

/* ---- the get command of a job ---------------------------------------------------------- */

typedef struct argvb {
    char **v;
    int n, cap, oom;
} argvb;

static void push(argvb *a, const char *s)
{
    if (a->oom)
        return;
    if (a->n + 2 > a->cap) {
        int cap = a->cap ? a->cap * 2 : 32;
        char **nv = realloc(a->v, (size_t)cap * sizeof *nv);
        if (!nv) {
            a->oom = 1;
            return;
        }
        a->v = nv;
        a->cap = cap;
    }
    if (!(a->v[a->n] = strdup(s))) {
        a->oom = 1;
        return;
    }
    a->v[++a->n] = NULL;
}

static void pushf(argvb *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void pushf(argvb *a, const char *fmt, ...)
{
    char buf[8192];
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (len < 0 || (size_t)len >= sizeof buf)
        a->oom = 1;
    else
        push(a, buf);
}

static void argv_free(char **v, int n)
{
    for (int k = 0; v && k < n; k++)
        free(v[k]);
    free(v);
}

/* One dependency as a condition of the expression language: NAME REL NUMBER, NAME == "TEXT"
 * (single quotes when the text holds a double one), so that a shell's single quotes hold
 * the whole condition. */
static void dep_text(const edb_monitor_dep *d, char *buf, size_t n)
{
    if (d->is_string) {
        char q = strchr(d->str, '"') ? '\'' : '"';
        snprintf(buf, n, "%s %s %c%s%c", d->name, edb_monitor_rel_text(d->rel), q, d->str, q);
    } else {
        char num[40];
        edb_format_double(d->num, num, sizeof num);
        snprintf(buf, n, "%s %s %s", d->name, edb_monitor_rel_text(d->rel), num);
    }
}

/* What the run was given that every command shares. */
typedef struct mon_opts {
    const char *daily_window;
    const char *const *meta; /* --meta files, as the outputs show them */
    size_t n_meta;
    int end_open;
} mon_opts;

/* The stats a job computes: the mean, each one plot_data shows, the count. */
static void stats_text(const edb_monitor_entry *e, char *buf, size_t n)
{
    size_t o = (size_t)snprintf(buf, n, "mean");
    for (size_t k = 0; k < e->n_shown && o < n; k++)
        if (e->shown[k] != EDB_STAT_MEAN)
            o += (size_t)snprintf(buf + o, n - o, ",%s", edb_stat_name(e->shown[k]));
    if (o < n)
        snprintf(buf + o, n - o, ",count");
}

/* The get command of job j over [start, end] (with_range 0: without the range, the
 * fingerprint).  docs/monitor.md is the table of what each kind and field becomes. */
static void build_command(argvb *a, const mon_job *j, const mon_opts *mo, edb_time start,
                          edb_time end, int with_range)
{
    const edb_monitor_entry *e = j->e;
    push(a, "get");
    push(a, e->name);
    if (e->product[0])
        push(a, e->product);
    if (with_range) {
        char s[EDB_TIME_STRLEN], d[96];
        mon_time_text(start, s, sizeof s);
        push(a, "--start");
        push(a, s);
        if (mo->end_open) {
            edb_duration_format(end + 1 - start, d, sizeof d);
            push(a, "--for");
            push(a, d);
        } else {
            mon_time_text(end, s, sizeof s);
            push(a, "--end");
            push(a, s);
        }
    }
    char stats[64];
    stats_text(e, stats, sizeof stats);
    const char *product_grid = NULL;
    switch (j->kind) {
    case EDB_MON_ALL:
        /* every sample of the mnemonic as a row; a product at the samples of either */
        push(a, "--on");
        push(a, e->product[0] ? "union" : e->name);
        break;
    case EDB_MON_DAILY_MEANS:
        push(a, "--daily");
        if (mo->daily_window) {
            push(a, "--daily-window");
            push(a, mo->daily_window);
        }
        break;
    case EDB_MON_BLOCK_MEANS:
        push(a, "--blocks");
        /* a block of products needs points: the samples of either */
        product_grid = "union";
        break;
    case EDB_MON_TIME_INTERVAL: {
        char d[96];
        edb_duration_format(e->block_us, d, sizeof d);
        push(a, "--every");
        push(a, d);
        break;
    }
    case EDB_MON_EVERY_CHANGE:
        for (size_t k = 0; k < e->n_deps; k++)
            if (e->deps[k].rel == EDB_MON_NONE) {
                push(a, "--group-by");
                push(a, e->deps[k].name);
            }
        break;
    }
    if (e->product[0]) {
        if (product_grid) {
            push(a, "--on");
            push(a, product_grid);
        }
        push(a, "--expr");
        pushf(a, "%s = %s * %s", j->value_col, e->name, e->product);
    }
    if (j->kind != EDB_MON_ALL) {
        push(a, "--stats");
        push(a, stats);
        push(a, "--clip");
        /* jwql's sigma_clipped_stats: 3, and 5 for the filter positions of every_change */
        push(a, j->kind == EDB_MON_EVERY_CHANGE ? "5" : "3");
    }
    for (size_t k = 0; k < e->n_deps; k++) {
        if (e->deps[k].rel == EDB_MON_NONE)
            continue;
        char w[1200];
        dep_text(&e->deps[k], w, sizeof w);
        push(a, "--where");
        push(a, w);
    }
    for (size_t k = 0; k < mo->n_meta; k++) {
        push(a, "--meta");
        push(a, mo->meta[k]);
    }
}

/* The command line the outputs show for an argv of get (record.h's quoting). */
static char *argv_text(char **argv, int argc, edb_err *err)
{
    cli_args a;
    edb_err perr = EDB_ERR_INIT;
    if (cli_args_parse(&cli_get_options, "get", argc, argv, &a, &perr) != EDB_OK) {
        cli_args_free(&a);
        edb_err_set(err, EDB_ERR_INTERNAL, "a monitor command does not parse: %s", perr.msg);
        return NULL;
    }
    cli_recorded *rec = calloc(a.n + 1, sizeof *rec);
    char *text = NULL;
    if (rec) {
        for (size_t k = 0; k < a.n; k++)
            rec[k] = (cli_recorded){a.v[k].opt, a.v[k].value, 0, 0};
        text = cli_command_text("get", rec, a.n, (const char *const *)a.pos, a.npos);
    }
    free(rec);
    cli_args_free(&a);
    if (!text)
        edb_err_set(err, EDB_ERR_NOMEM, "out of memory");
    return text;
}

/* "FILE: SECTION[i] (NAME): " of a job, for messages. */
static void job_where(const mon_job *j, char *buf, size_t n)
{
    snprintf(buf, n, "%s: %s[%zu] (%s): ", j->e->config, j->e->section, j->e->index,
             j->e->name);
}

/* Parse the job's command (step) with get's table and take it into j->q as get does. */
static edb_status prepare_job(mon_job *j, edb_time now, edb_err *err)
{
    cli_args a;
    edb_err perr = EDB_ERR_INIT;
    char w[600];
    job_where(j, w, sizeof w);
    if (cli_args_parse(&cli_get_options, "get", j->argc, j->argv, &a, &perr) != EDB_OK) {
        cli_args_free(&a);
        return edb_err_set(err, EDB_ERR_INTERNAL, "%sits command does not parse: %s", w,
                           perr.msg);
    }
    const char *start_s = NULL, *end_s = NULL, *for_s = NULL;
    edb_status st = EDB_OK;
    for (size_t k = 0; k < a.n && st == EDB_OK; k++) {
        int taken = 0;
        st = cli_query_take(&j->q, a.v[k].opt, a.v[k].value, &taken, &perr);
        if (st != EDB_OK || taken)
            continue;
        switch (a.v[k].opt->id) {
        case GOPT_START: start_s = a.v[k].value; break;
        case GOPT_END: end_s = a.v[k].value; break;
        case GOPT_FOR: for_s = a.v[k].value; break;
        case GOPT_META: break; /* the run's own, loaded once */
        default:
            st = edb_err_set(&perr, EDB_ERR_INTERNAL, "--%s is not taken", a.v[k].opt->name);
        }
    }
    edb_time start = 0, end = 0;
    if (st == EDB_OK)
        st = cli_query_range_check(&j->q, start_s, end_s, for_s, &perr);
    if (st == EDB_OK)
        st = cli_query_range(&j->q, start_s, end_s, for_s, now, &start, &end, &perr);
    if (st == EDB_OK)
        st = cli_query_prepare(&j->q, (const char *const *)a.pos, a.npos, start, end, now,
                               &perr);
    j->n_args = a.npos;
    cli_args_free(&a);
    if (st != EDB_OK)
        return edb_err_set(err, st, "%s%s", w, perr.msg);
    j->prepared = 1;
    return EDB_OK;
}

static void job_free(mon_job *j)
{
    free(j->where);
    free(j->command);
    free(j->fingerprint);
    free(j->step);
    argv_free(j->argv, j->argc);
    cli_query_free(&j->q);
    edb_table_free(j->fresh);
    edb_table_free(j->table);
    free(j->failed);
}

/* ---- what a table holds that is final --------------------------------------------------- */

/* The row whose name is col, or ncols. */
static size_t col_index(const edb_table *t, const char *name)
{
    for (size_t k = 0; k < t->ncols; k++)
        if (strcmp(t->cols[k].name, name) == 0)
            return k;
    return t->ncols;
}

/* The latest sample time in [a, b] of the series named, or EDB_TIME_MIN. */
static edb_time last_point(const edb_series *const *s, size_t n, const char *const *names,
                           size_t nn, edb_time a, edb_time b)
{
    edb_time last = EDB_TIME_MIN;
    for (size_t k = 0; k < nn; k++) {
        const edb_series *x = cli_query_find(s, n, names[k]);
        if (!x)
            continue;
        size_t i = edb_series_upper_bound(x, b);
        if (i > 0 && x->t[i - 1] >= a && x->t[i - 1] > last)
            last = x->t[i - 1];
    }
    return last;
}

/* How many of the fresh rows are final, and where the next run starts computing: a bin
 * that ends after END, the block still open at the last point, and the run of a state that
 * goes on are computed again next time (from their start, so that they come out as one
 * run over the whole range would make them); every sample is final. */
static void final_rows(mon_job *j, const edb_series *const *s, size_t n)
{
    const edb_table *t = j->fresh;
    const edb_time end = j->end, after = j->end + 1;
    size_t nf = t->nrows;
    edb_time resume = after;
    switch (j->kind) {
    case EDB_MON_ALL:
        break;
    case EDB_MON_DAILY_MEANS:
    case EDB_MON_TIME_INTERVAL: {
        int64_t width = j->kind == EDB_MON_DAILY_MEANS ? EDB_USEC_PER_DAY : j->e->block_us;
        for (size_t r = 0; r < t->nrows; r++)
            if (t->t[r] > end - width + 1) {
                nf = r;
                resume = t->t[r] < j->start ? j->start : t->t[r];
                break;
            }
        break;
    }
    case EDB_MON_BLOCK_MEANS: {
        size_t ec = col_index(t, "end_mjd");
        if (t->nrows && ec < t->ncols) {
            edb_time last = last_point(s, n, j->q.spec.columns, j->q.spec.n_columns, j->start,
                                       end);
            const edb_column *c = &t->cols[ec];
            size_t r = t->nrows - 1;
            if (last != EDB_TIME_MIN && c->valid[r] && c->d[r] == edb_time_to_mjd(last)) {
                nf = r;
                resume = t->t[r];
            }
        }
        break;
    }
    case EDB_MON_EVERY_CHANGE:
        if (t->nrows) {
            nf = t->nrows - 1;
            resume = t->t[nf];
        }
        break;
    }
    j->n_final += nf;
    j->resume = resume;
    j->done = end;
}

/* ---- checking --------------------------------------------------------------------------- */

/* The columns a job monitors: the value for all, else its mean and what plot_data shows. */
static void set_checks(mon_job *j)
{
    j->n_checks = 0;
    if (j->kind == EDB_MON_ALL) {
        snprintf(j->checks[j->n_checks++].column, sizeof j->checks[0].column, "%s",
                 j->value_col);
        return;
    }
    snprintf(j->checks[j->n_checks++].column, sizeof j->checks[0].column, "%s_mean",
             j->value_col);
    for (size_t k = 0; k < j->e->n_shown; k++)
        if (j->e->shown[k] != EDB_STAT_MEAN)
            snprintf(j->checks[j->n_checks++].column, sizeof j->checks[0].column, "%s_%s",
                     j->value_col, edb_stat_name(j->e->shown[k]));
}

static edb_status check_job(mon_job *j, size_t added_from, edb_err *err)
{
    const edb_table *t = j->table;
    const edb_limits *l = &j->e->limits;
    const int limits = l->has_yellow || l->has_red;
    size_t values = 0;
    int level = 0;
    for (size_t k = 0; k < j->n_checks; k++) {
        mon_check *c = &j->checks[k];
        size_t ci = t ? col_index(t, c->column) : 0;
        c->found = t && ci < t->ncols;
        memset(&c->all, 0, sizeof c->all);
        memset(&c->added, 0, sizeof c->added);
        if (!c->found)
            continue;
        const edb_column *col = &t->cols[ci];
        if (col->vtype == EDB_VT_STRING) {
            if (limits) {
                char w[600];
                job_where(j, w, sizeof w);
                return edb_err_set(err, EDB_ERR_USAGE, "%s%s: %s is a string mnemonic: its "
                                   "limits cannot be checked (remove them)", w,
                                   l->has_yellow ? "yellow_limits" : "red_limits", j->e->name);
            }
            for (size_t r = 0; r < t->nrows; r++)
                values += col->valid[r];
            continue;
        }
        edb_status st = edb_limits_check(l, t, ci, 0, t->nrows, &c->all, err);
        if (st == EDB_OK)
            st = edb_limits_check(l, t, ci, added_from, t->nrows, &c->added, err);
        if (st != EDB_OK)
            return st;
        values += c->all.checked;
        if (c->all.red.count)
            level = 2;
        else if (c->all.yellow.count && level < 1)
            level = 1;
    }
    if (j->failed)
        j->status = MON_FAILED;
    else if (!values)
        j->status = MON_NO_DATA;
    else if (!limits)
        j->status = MON_UNCHECKED;
    else
        j->status = level == 2 ? MON_RED : level == 1 ? MON_YELLOW : MON_OK;
    return EDB_OK;
}

/* ---- the table's metadata ------------------------------------------------------------------ */

static edb_status set_table_meta(mon_job *j, edb_table *t)
{
    const edb_monitor_entry *e = j->e;
    char buf[200];
    edb_status st = edb_table_set_meta(t, "entry", e->id);
    if (st == EDB_OK)
        st = edb_table_set_meta(t, "config", e->config);
    if (st == EDB_OK)
        st = edb_table_set_meta(t, "section", e->section);
    if (st == EDB_OK)
        st = edb_table_set_meta(t, "kind", edb_monitor_kind_name(j->kind));
    if (st == EDB_OK)
        st = edb_table_set_meta(t, "mnemonic", e->name);
    if (st == EDB_OK && e->product[0])
        st = edb_table_set_meta(t, "product", e->product);
    if (st == EDB_OK && e->description)
        st = edb_table_set_meta(t, "description", e->description);
    if (st == EDB_OK)
        st = edb_table_set_meta(t, "where", j->where);
    for (int l = 0; l < 2 && st == EDB_OK; l++) {
        if (!(l ? e->limits.has_red : e->limits.has_yellow))
            continue;
        const double *v = l ? e->limits.red : e->limits.yellow;
        char a[40], b[40];
        edb_format_double(v[0], a, sizeof a);
        edb_format_double(v[1], b, sizeof b);
        snprintf(buf, sizeof buf, "%s,%s", a, b);
        st = edb_table_set_meta(t, l ? "red_limits" : "yellow_limits", buf);
    }
    if (st == EDB_OK && e->has_nominal) {
        edb_format_double(e->nominal, buf, sizeof buf);
        st = edb_table_set_meta(t, "nominal_value", buf);
    }
    if (st == EDB_OK)
        st = edb_table_set_meta(t, "plot_category", e->category);
    if (st == EDB_OK)
        st = edb_table_set_meta(t, "command", j->command);
    return st;
}

/* ---- files ---------------------------------------------------------------------------------- */

edb_status mon_add_file(mon_run *r, const char *name, edb_err *err)
{
    char **nv = realloc(r->files, (r->n_files + 1) * sizeof *nv);
    if (!nv)
        return edb_err_set(err, EDB_ERR_NOMEM, "out of memory");
    r->files = nv;
    if (!(r->files[r->n_files] = strdup(name)))
        return edb_err_set(err, EDB_ERR_NOMEM, "out of memory");
    r->n_files++;
    return EDB_OK;
}

/* dir/name, malloc'ed. */
static char *path_in(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", dir, name);
    return p;
}

/* A folder, made (one level) when missing. */
static edb_status make_dir(const char *what, const char *dir, edb_err *err)
{
    struct stat sb;
    if (mkdir(dir, 0777) == 0 || (errno == EEXIST && stat(dir, &sb) == 0 && S_ISDIR(sb.st_mode)))
        return EDB_OK;
    return edb_err_set(err, EDB_ERR_IO, "%s %s: %s", what, dir,
                       errno == EEXIST ? "not a folder" : strerror(errno));
}

/* Write text to dir/name atomically (a temporary file beside it, synced, renamed). */
static edb_status write_atomic(const char *dir, const char *name, const char *text, size_t len,
                               edb_err *err)
{
    char *target = path_in(dir, name);
    size_t tl = strlen(dir) + strlen(name) + 32;
    char *tmp = malloc(tl);
    if (!target || !tmp) {
        free(target);
        free(tmp);
        return edb_err_set(err, EDB_ERR_NOMEM, "out of memory");
    }
    snprintf(tmp, tl, "%s/.%s.edbx-XXXXXX", dir, name);
    int fd = mkstemp(tmp);
    edb_status st = EDB_OK;
    if (fd < 0) {
        st = edb_err_set(err, EDB_ERR_IO, "%s: cannot create a file beside it: %s", target,
                         strerror(errno));
    } else {
        size_t done = 0;
        while (done < len && st == EDB_OK) {
            ssize_t w = write(fd, text + done, len - done);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0)
                st = edb_err_set(err, EDB_ERR_IO, "%s: cannot write it: %s", target,
                                 strerror(w < 0 ? errno : EIO));
            else
                done += (size_t)w;
        }
        if (st == EDB_OK && (fchmod(fd, 0644) != 0 || fsync(fd) != 0))
            st = edb_err_set(err, EDB_ERR_IO, "%s: cannot write it: %s", target,
                             strerror(errno));
        if (close(fd) != 0 && st == EDB_OK)
            st = edb_err_set(err, EDB_ERR_IO, "%s: cannot write it: %s", target,
                             strerror(errno));
        if (st == EDB_OK && rename(tmp, target) != 0)
            st = edb_err_set(err, EDB_ERR_IO, "%s: cannot rename into place: %s", target,
                             strerror(errno));
        if (st != EDB_OK)
            unlink(tmp);
    }
    free(target);
    free(tmp);
    return st;
}

/* Is the file dir/name there with exactly these bytes? */
static int same_bytes(const char *dir, const char *name, const char *text, size_t len)
{
    char *p = path_in(dir, name);
    FILE *f = p ? fopen(p, "rb") : NULL;
    free(p);
    if (!f)
        return 0;
    int same = 1;
    char buf[65536];
    size_t off = 0, got;
    while (same && (got = fread(buf, 1, sizeof buf, f)) > 0) {
        same = off + got <= len && memcmp(buf, text + off, got) == 0;
        off += got;
    }
    fclose(f);
    return same && off == len;
}

edb_status mon_write_text(const char *dir, const char *name, const char *text, size_t len,
                          edb_err *err)
{
    return write_atomic(dir, name, text, len, err);
}

/* The extension a format's files get (".h5"). */
static const char *format_ext(const char *format)
{
    for (size_t k = 0; k < edb_format_count(); k++)
        if (strcmp(edb_format_name(k), format) == 0)
            return edb_format_extensions(k)[0];
    return "";
}

/* The tables: one file of them all, or one file each. */
static edb_status write_tables(mon_run *r, const edb_run_info *run, const char *const *wopts,
                               size_t n_wopts, edb_err *err)
{
    edb_writer_options wo = EDB_WRITER_OPTIONS_INIT;
    wo.format = r->table_format;
    wo.run = run;
    wo.options = wopts;
    wo.n_options = n_wopts;
    const char *ext = format_ext(r->table_format);
    const edb_table **tables = calloc(r->n_jobs + 1, sizeof *tables);
    const char **names = calloc(r->n_jobs + 1, sizeof *names);
    edb_status st = tables && names ? EDB_OK : edb_err_set(err, EDB_ERR_NOMEM, "out of memory");
    size_t nt = 0;
    for (size_t k = 0; k < r->n_jobs && st == EDB_OK; k++) {
        if (!r->jobs[k].table)
            continue;
        tables[nt] = r->jobs[k].table;
        names[nt++] = r->jobs[k].key;
    }
    if (st == EDB_OK && edb_format_holds_tables(r->table_format)) {
        char name[64];
        snprintf(name, sizeof name, "monitor%s", ext);
        char *p = path_in(r->dir, name);
        edb_writer *w = NULL;
        st = p ? edb_writer_open(&w, p, &wo, err) : edb_err_set(err, EDB_ERR_NOMEM, "no memory");
        if (st == EDB_OK && (st = edb_writer_write_tables(w, tables, names, nt)) == EDB_OK)
            st = edb_writer_close(w);
        if (st != EDB_OK && w)
            edb_err_set(err, st, "%s", edb_writer_errmsg(w));
        edb_writer_free(w);
        free(p);
        if (st == EDB_OK)
            st = mon_add_file(r, name, err);
    } else {
        for (size_t k = 0; k < nt && st == EDB_OK; k++) {
            char name[512];
            snprintf(name, sizeof name, "%s%s", names[k], ext);
            for (char *c = name; *c; c++)
                if (*c == '/')
                    *c = '.';
            char *p = path_in(r->dir, name);
            edb_writer *w = NULL;
            st = p ? edb_writer_open(&w, p, &wo, err)
                   : edb_err_set(err, EDB_ERR_NOMEM, "out of memory");
            if (st == EDB_OK && (st = edb_writer_write_table(w, tables[k])) == EDB_OK)
                st = edb_writer_close(w);
            if (st != EDB_OK && w)
                edb_err_set(err, st, "%s", edb_writer_errmsg(w));
            edb_writer_free(w);
            free(p);
            if (st == EDB_OK)
                st = mon_add_file(r, name, err);
        }
    }
    free(tables);
    free(names);
    return st;
}

/* ---- the state ---------------------------------------------------------------------------- */

#define STATE_FILE "state.json"

static edb_status load_state(const char *dir, edb_monitor_state **out, edb_err *err)
{
    char *p = path_in(dir, STATE_FILE);
    if (!p)
        return edb_err_set(err, EDB_ERR_NOMEM, "out of memory");
    FILE *f = fopen(p, "rb");
    edb_status st = EDB_OK;
    if (!f) {
        if (errno == ENOENT)
            st = edb_monitor_state_new(out) == EDB_OK
                     ? EDB_OK
                     : edb_err_set(err, EDB_ERR_NOMEM, "out of memory");
        else
            st = edb_err_set(err, EDB_ERR_IO, "--state: cannot read %s: %s", p, strerror(errno));
        free(p);
        return st;
    }
    char *text = NULL;
    size_t len = 0, cap = 0, got;
    char buf[65536];
    while (st == EDB_OK && (got = fread(buf, 1, sizeof buf, f)) > 0) {
        if (len + got + 1 > cap) {
            cap = (len + got + 1) * 2;
            char *nt = realloc(text, cap);
            if (!nt)
                st = edb_err_set(err, EDB_ERR_NOMEM, "out of memory");
            else
                text = nt;
        }
        if (st == EDB_OK) {
            memcpy(text + len, buf, got);
            len += got;
        }
    }
    if (st == EDB_OK && ferror(f))
        st = edb_err_set(err, EDB_ERR_IO, "--state: cannot read %s", p);
    fclose(f);
    edb_err perr = EDB_ERR_INIT;
    if (st == EDB_OK && edb_monitor_state_parse(out, text ? text : "", len, &perr) != EDB_OK)
        st = edb_err_set(err, perr.status == EDB_ERR_NOMEM ? EDB_ERR_NOMEM : EDB_ERR_IO,
                         "--state: %s is damaged (%s): remove it, and the next run computes "
                         "everything again from --start", p, perr.msg);
    free(text);
    free(p);
    return st;
}

/* ---- the run -------------------------------------------------------------------------------- */

/* The range of the whole run: --start, and --end, --for, or today's midnight excluded. */
static edb_status run_range(const char *start_s, const char *end_s, const char *for_s,
                            edb_time now, edb_time *start, edb_time *end, int *end_open,
                            edb_err *err)
{
    cli_query q;
    memset(&q, 0, sizeof q);
    edb_status st = cli_query_range_check(&q, start_s, end_s, for_s, err);
    if (st == EDB_OK && (end_s || for_s)) {
        st = cli_query_range(&q, start_s, end_s, for_s, now, start, end, err);
        *end_open = q.end_open;
    } else if (st == EDB_OK) {
        edb_time today;
        edb_err terr = EDB_ERR_INIT;
        if (edb_time_parse(start_s, now, start, &terr) != EDB_OK)
            st = edb_err_set(err, terr.status, "--start: %s", terr.msg);
        else if (edb_time_parse("today", now, &today, &terr) != EDB_OK)
            st = edb_err_set(err, terr.status, "%s", terr.msg);
        else if (today <= *start)
            st = edb_err_set(err, EDB_ERR_USAGE, "--start is not before today's midnight, "
                             "where the range ends by default: give --end or --for");
        *end = today - 1;
        *end_open = 1;
    }
    cli_query_free(&q);
    return st;
}

/* Read a configuration under the name the outputs show for it. */
static edb_status load_config(const char *path, edb_monitor_config **out, edb_err *err)
{
    FILE *f = fopen(path, "rb");
    const char *shown = cli_shown_path(path);
    if (!f)
        return edb_err_set(err, EDB_ERR_IO, "%s: cannot open it: %s", path, strerror(errno));
    char *text = NULL;
    size_t len = 0, cap = 0, got;
    char buf[65536];
    edb_status st = EDB_OK;
    while (st == EDB_OK && (got = fread(buf, 1, sizeof buf, f)) > 0) {
        if (len + got > EDB_MONITOR_CONFIG_MAX)
            st = edb_err_set(err, EDB_ERR_USAGE, "%s: larger than %zu MiB: not a monitor "
                             "configuration", path, EDB_MONITOR_CONFIG_MAX >> 20);
        if (st == EDB_OK && len + got + 1 > cap) {
            cap = (len + got + 1) * 2;
            char *nt = realloc(text, cap);
            if (!nt)
                st = edb_err_set(err, EDB_ERR_NOMEM, "out of memory");
            else
                text = nt;
        }
        if (st == EDB_OK) {
            memcpy(text + len, buf, got);
            len += got;
        }
    }
    if (st == EDB_OK && ferror(f))
        st = edb_err_set(err, EDB_ERR_IO, "%s: cannot read it", path);
    fclose(f);
    if (st == EDB_OK)
        st = edb_monitor_config_parse(out, shown, text ? text : "", len, on_config_warning,
                                      NULL, err);
    free(text);
    return st;
}

/* The names of a job's fetch, as views of the fetched series cut as get's own fetch of
 * [start, end] would cut them: the samples inside, and one before and one after. */
static edb_status job_views(mon_job *j, const edb_result *res, edb_series *views,
                            const edb_series **vp, size_t *nv, char **missing)
{
    *nv = 0;
    for (size_t k = 0; k < j->q.n_fetch; k++) {
        const edb_series *s = NULL;
        for (size_t q = 0; q < edb_result_count(res); q++) {
            const edb_series *x = edb_result_series(res, q);
            if (x && strcmp(x->mnemonic, j->q.fetch[k]) == 0) {
                if (edb_result_status(res, q) != EDB_OK) {
                    *missing = strdup(edb_result_errmsg(res, q));
                    return *missing ? EDB_ERR_PARTIAL : EDB_ERR_NOMEM;
                }
                s = x;
            }
        }
        if (!s)
            continue;
        size_t i0 = edb_series_lower_bound(s, j->start), i1 = edb_series_upper_bound(s, j->end);
        if (i0 > 0)
            i0--;
        if (i1 < s->n)
            i1++;
        edb_series_view(&views[*nv], s, i0, i1);
        vp[*nv] = &views[*nv];
        (*nv)++;
    }
    return EDB_OK;
}

/* Gaps are reported once per mnemonic for the whole run (many jobs read the same ones). */
typedef struct gap_seen {
    char **names;
    size_t n;
} gap_seen;

static gap_seen gaps;

static void on_gap(void *ctx, const edb_gap *g)
{
    (void)ctx;
    for (size_t k = 0; k < gaps.n; k++)
        if (strcmp(gaps.names[k], g->mnemonic) == 0)
            return;
    char **nv = realloc(gaps.names, (gaps.n + 1) * sizeof *nv);
    if (!nv)
        return;
    gaps.names = nv;
    if (!(gaps.names[gaps.n] = strdup(g->mnemonic)))
        return;
    gaps.n++;
    cli_query_gap(NULL, g);
}

static void gaps_free(void)
{
    for (size_t k = 0; k < gaps.n; k++)
        free(gaps.names[k]);
    free(gaps.names);
    gaps.names = NULL;
    gaps.n = 0;
}

/* Add name to the list unless there. */
static int names_add(const char ***v, size_t *n, size_t *cap, const char *name)
{
    for (size_t k = 0; k < *n; k++)
        if (strcmp((*v)[k], name) == 0)
            return 0;
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 64;
        const char **nv = realloc(*v, c * sizeof *nv);
        if (!nv)
            return -1;
        *v = nv;
        *cap = c;
    }
    (*v)[(*n)++] = name;
    return 0;
}

typedef struct mon_args {
    const char **configs;
    size_t n_configs;
    const char *start_s, *end_s, *for_s, *dir, *format, *plots, *state_dir, *daily_window;
    const char *base_url, *token_file, *cacert, *api, *edp_mission, *timeout_s, *retries_s;
    const char *wopts[GET_MAX_WOPTS];
    size_t n_wopts;
    char compress_opt[32]; /* --compress N, as -O compress=N */
    const char *meta[64];
    size_t n_meta;
    int explain, verbose, quiet, progress, keep_going, run_time_given, no_meta;
    const char *recorded_inv;
    int64_t inv_max_age_us;
    long jobs;
    int64_t chunk_us;
} mon_args;

static edb_status read_args(const cli_args *a, mon_args *m, edb_err *err, int *help)
{
    for (size_t k = 0; k < a->n; k++) {
        const char *v = a->v[k].value;
        switch (a->v[k].opt->id) {
        case MOPT_CONFIG: m->configs[m->n_configs++] = v; break;
        case GOPT_START: m->start_s = v; break;
        case GOPT_END: m->end_s = v; break;
        case GOPT_FOR: m->for_s = v; break;
        case MOPT_DAILY_WINDOW: m->daily_window = v; break;
        case MOPT_STATE: m->state_dir = v; break;
        case MOPT_OUTPUT_DIR: m->dir = v; break;
        case MOPT_FORMAT: m->format = v; break;
        case GOPT_WOPT:
            if (m->n_wopts == GET_MAX_WOPTS)
                return edb_err_set(err, EDB_ERR_USAGE, "at most %d -O options", GET_MAX_WOPTS);
            m->wopts[m->n_wopts++] = v;
            break;
        /* Older spellings of -O options, as get takes them: each adds its -O. */
        case GOPT_COMPRESS:
        case GOPT_ASTROPY_TIME:
        case GOPT_CSV_SAFE:
        case GOPT_HEADER_COMMENTS: {
            int id = a->v[k].opt->id;
            if (id == GOPT_COMPRESS) {
                long level = 0;
                if (cli_parse_count("--compress level", v, 9, &level, err) != EDB_OK)
                    return err->status;
                snprintf(m->compress_opt, sizeof m->compress_opt, "compress=%ld", level);
            }
            if (m->n_wopts == GET_MAX_WOPTS)
                return edb_err_set(err, EDB_ERR_USAGE, "at most %d -O options", GET_MAX_WOPTS);
            m->wopts[m->n_wopts++] = id == GOPT_COMPRESS      ? m->compress_opt
                                     : id == GOPT_ASTROPY_TIME ? "astropy-time"
                                     : id == GOPT_CSV_SAFE     ? "safe"
                                                               : "header-comments";
            break;
        }
        case MOPT_PLOTS: m->plots = v; break;
        case GOPT_META:
            if (m->n_meta == sizeof m->meta / sizeof m->meta[0])
                return edb_err_set(err, EDB_ERR_USAGE, "at most 64 --meta files");
            if (!mon_meta && edb_meta_new(&mon_meta) != EDB_OK)
                return edb_err_set(err, EDB_ERR_NOMEM, "out of memory");
            if (edb_meta_load_file(mon_meta, v, err) != EDB_OK) {
                edb_err e2 = *err;
                edb_err_clear(err);
                return edb_err_set(err, e2.status, "--meta: %s", e2.msg);
            }
            m->meta[m->n_meta++] = v;
            break;
        case MOPT_EXPLAIN: m->explain = 1; break;
        case GOPT_NO_META: m->no_meta = 1; break;
        case GOPT_RECORDED_INVENTORY: m->recorded_inv = v; break;
        case GOPT_INVENTORY_MAX_AGE: {
            edb_err derr = EDB_ERR_INIT;
            if (edb_duration_parse(v, &m->inv_max_age_us, &derr) != EDB_OK ||
                m->inv_max_age_us <= 0)
                return edb_err_set(err, EDB_ERR_USAGE, "--inventory-max-age: %s",
                                   derr.msg[0] ? derr.msg : "give a duration above 0, e.g. 7d");
            break;
        }
        case GOPT_SOURCE: mon_local.source = v; break;
        case GOPT_CACHE: mon_local.cache_dir = v; break;
        case GOPT_NO_CACHE: mon_local.no_cache = 1; break;
        case GOPT_REFRESH: mon_local.refresh = 1; break;
        case GOPT_BUNDLE: mon_local.bundle = v; break;
        case GOPT_API: m->api = v; break;
        case GOPT_EDP_MISSION: m->edp_mission = v; break;
        case GOPT_BASE_URL: m->base_url = v; break;
        case GOPT_TOKEN_FILE: m->token_file = v; break;
        case GOPT_TOKEN:
            return edb_err_set(err, EDB_ERR_USAGE, "the token is never taken on the command line "
                               "(it would show in ps and in shell history): put it in a file and "
                               "use --token-file FILE, or set MAST_API_TOKEN");
        case GOPT_CACERT: m->cacert = v; break;
        case GOPT_TIMEOUT: m->timeout_s = v; break;
        case GOPT_RETRIES: m->retries_s = v; break;
        case GOPT_CHUNK: {
            edb_err derr = EDB_ERR_INIT;
            if (edb_duration_parse(v, &m->chunk_us, &derr) != EDB_OK ||
                m->chunk_us < EDB_USEC_PER_SEC)
                return edb_err_set(err, EDB_ERR_USAGE, "--chunk: %s",
                                   derr.msg[0] ? derr.msg : "a chunk is at least 1s (e.g. 1d, 6h)");
            break;
        }
        case GOPT_JOBS:
            if (cli_parse_count("-j", v, CLI_MAX_JOBS, &m->jobs, err) != EDB_OK || m->jobs < 1) {
                edb_err_clear(err);
                return edb_err_set(err, EDB_ERR_USAGE, "invalid -j '%s': from 1 to %d transfers "
                                   "at once", v, CLI_MAX_JOBS);
            }
            break;
        case GOPT_KEEP_GOING: m->keep_going = 1; break;
        case GOPT_PROGRESS: m->progress = 1; break;
        case GOPT_VERBOSE: m->verbose = 1; break;
        case GOPT_QUIET: m->verbose = 0; m->progress = 0; m->quiet = 1; break;
        case GOPT_HELP: *help = 1; return EDB_OK;
        case GOPT_RUN_TIME_US: {
            char *e;
            mon_local.run_time = (edb_time)strtoll(v, &e, 10);
            if (*e || !*v)
                return edb_err_set(err, EDB_ERR_USAGE, "--run-time-us: not an integer");
            m->run_time_given = 1;
            break;
        }
        default:
            return edb_err_set(err, EDB_ERR_INTERNAL, "option --%s is in the table but not "
                               "handled", a->v[k].opt->name);
        }
    }
    return EDB_OK;
}

/* The whole monitor; the exit code.  cfgs and jobs are freed by the caller. */
static int run_monitor(int argc, char **argv, mon_run *r, mon_args *m)
{
    edb_err err = EDB_ERR_INIT;
    cli_args args;
    const cli_optset *set = cli_monitor_options();
    if (cli_args_parse(set, "monitor", argc, argv, &args, &err) != EDB_OK) {
        cli_args_free(&args);
        return cli_fail(err.status, "%s", err.msg);
    }
    /* The configurations given as arguments are recorded as --config, so that a bundle
     * keeps a copy of each and replay reads that copy. */
    const cli_opt *config_opt = cli_opt_find(set, "config");
    cli_arg *all = calloc(args.n + args.npos + 1, sizeof *all);
    m->configs = calloc(args.n + args.npos + 1, sizeof *m->configs);
    if (!all || !m->configs) {
        free(all);
        cli_args_free(&args);
        return cli_fail(EDB_ERR_NOMEM, "out of memory");
    }
    memcpy(all, args.v, args.n * sizeof *all);
    for (size_t k = 0; k < args.npos; k++)
        all[args.n + k] = (cli_arg){config_opt, args.pos[k]};
    cli_args rec = {all, args.n + args.npos, NULL, 0};
    int help = 0;
    mon_local.cmd = "monitor";
    edb_status st = EDB_OK;
    for (size_t k = 0; k < rec.n && !help; k++)
        help = rec.v[k].opt->id == GOPT_HELP;
    if (!help && rec.n) {
        /* --state makes a run depend on the runs before it, which a bundle cannot hold. */
        int state = 0, bundle = 0;
        for (size_t k = 0; k < rec.n; k++) {
            state |= rec.v[k].opt->id == MOPT_STATE;
            bundle |= rec.v[k].opt->id == GOPT_BUNDLE;
        }
        if (state && bundle)
            st = edb_err_set(&err, EDB_ERR_USAGE, "--bundle records a run from what it reads, "
                             "and --state makes it depend on the runs before it: bundle a run "
                             "without --state");
    }
    if (st == EDB_OK && !help)
        st = cli_local_note_args(&mon_local, &rec, &err);
    if (st == EDB_OK)
        st = read_args(&rec, m, &err, &help);
    free(all);
    cli_args_free(&args);
    if (help) {
        help_monitor(stdout);
        return EXIT_OK;
    }
    if (st != EDB_OK)
        return cli_fail(err.status, "%s", err.msg);
    r->quiet = m->quiet;
    r->dir = m->dir;
    quiet_warnings = m->quiet;
    if (!m->n_configs)
        return cli_fail(EDB_ERR_USAGE, "name at least one configuration, e.g. edbx monitor "
                        "miri_mnemonics_to_monitor.json --start 2024-03-01 -o out");
    if (!m->dir && !m->explain)
        return cli_fail(EDB_ERR_USAGE, "-o DIR is required: the folder the tables, the reports "
                        "and the plots go into (or --explain to see the commands)");
    if (m->explain && mon_local.bundle)
        return cli_fail(EDB_ERR_USAGE, "--explain writes nothing, so there is no run to bundle");
    r->table_format = m->format ? m->format : "hdf5";
    if (!edb_format_known(r->table_format) || edb_format_is_picture(r->table_format))
        return cli_fail(EDB_ERR_USAGE, "--format %s: the tables are written as hdf5, fits, ecsv, "
                        "csv or csv.gz (plots: --plots FORMAT)", r->table_format);
    r->plot_format = m->plots ? m->plots : "png";
    if (strcmp(r->plot_format, "none") == 0)
        r->plot_format = NULL;
    else if (!edb_format_is_picture(r->plot_format))
        return cli_fail(EDB_ERR_USAGE, "--plots %s: give png, svg, pdf, html or none",
                        r->plot_format);
    /* The -O options are the tables' writer's: refused now if it does not take them. */
    if (m->n_wopts) {
        edb_writer_options wo = EDB_WRITER_OPTIONS_INIT;
        wo.format = r->table_format;
        wo.options = m->wopts;
        wo.n_options = m->n_wopts;
        edb_writer *w = NULL;
        st = edb_writer_open(&w, "/dev/null", &wo, &err);
        edb_writer_free(w);
        if (st != EDB_OK)
            return cli_fail(err.status, "%s", err.msg);
    }
    if (m->daily_window) {
        /* Checked as get checks it, on a day of its own. */
        cli_query q;
        memset(&q, 0, sizeof q);
        q.daily = 1;
        q.daily_window = m->daily_window;
        const char *names[] = {"SA_ZTEST"};
        edb_err werr = EDB_ERR_INIT;
        st = cli_query_prepare(&q, names, 1, 0, EDB_USEC_PER_DAY - 1, 0, &werr);
        cli_query_free(&q);
        if (st != EDB_OK)
            return cli_fail(werr.status, "%s", werr.msg);
    }

    /* The range, as get reads it; "now" is the replay's recorded time in a replay. */
    edb_time now = m->run_time_given ? mon_local.run_time : cli_local_now(&mon_local);
    if (run_range(m->start_s, m->end_s, m->for_s, now, &r->start, &r->end, &r->end_open, &err) !=
        EDB_OK)
        return cli_fail(err.status, "%s", err.msg);

    /* The configurations. */
    if (!(r->cfgs = calloc(m->n_configs, sizeof *r->cfgs)))
        return cli_fail(EDB_ERR_NOMEM, "out of memory");
    size_t n_jobs = 0;
    for (size_t k = 0; k < m->n_configs; k++) {
        if (load_config(m->configs[k], &r->cfgs[k], &err) != EDB_OK)
            return cli_fail(err.status, "%s", err.msg);
        r->n_cfgs++;
        for (size_t q = 0; q < k; q++)
            if (strcmp(r->cfgs[q]->stem, r->cfgs[k]->stem) == 0)
                return cli_fail(EDB_ERR_USAGE, "%s and %s both make tables named %s/...: give "
                                "one of them another name", r->cfgs[q]->file, r->cfgs[k]->file,
                                r->cfgs[k]->stem);
        for (size_t e = 0; e < r->cfgs[k]->n; e++)
            for (unsigned kind = 0; kind < EDB_MON_KINDS; kind++)
                n_jobs += (r->cfgs[k]->entries[e].kinds >> kind) & 1;
    }

    /* The state: what earlier runs made final. */
    edb_monitor_state *state = NULL;
    if (m->state_dir) {
        if (!m->explain && make_dir("--state", m->state_dir, &err) != EDB_OK)
            return cli_fail(err.status, "%s", err.msg);
        if (load_state(m->state_dir, &state, &err) != EDB_OK)
            return cli_fail(err.status, "%s", err.msg);
    }
    int code = -1;
    char *token = NULL;
    const char **fetch = NULL;
    size_t n_fetch = 0, fetch_cap = 0;
    edb_client *client = NULL;
    edb_result *res = NULL;
#define FAIL(...)                                                                              \
    do {                                                                                       \
        code = cli_fail(__VA_ARGS__);                                                          \
        goto out;                                                                              \
    } while (0)

    /* The jobs: an entry and a kind each, with its command. */
    const char **shown_meta = calloc(m->n_meta + 1, sizeof *shown_meta);
    if (!(r->jobs = calloc(n_jobs ? n_jobs : 1, sizeof *r->jobs)) || !shown_meta)
        FAIL(EDB_ERR_NOMEM, "out of memory");
    for (size_t k = 0; k < m->n_meta; k++)
        shown_meta[k] = cli_shown_path(m->meta[k]);
    mon_opts mo = {m->daily_window, shown_meta, m->n_meta, r->end_open};
    for (size_t c = 0; c < r->n_cfgs; c++) {
        const edb_monitor_config *cfg = r->cfgs[c];
        for (size_t e = 0; e < cfg->n; e++) {
            const edb_monitor_entry *en = &cfg->entries[e];
            for (unsigned kind = 0; kind < EDB_MON_KINDS; kind++) {
                if (!((en->kinds >> kind) & 1))
                    continue;
                mon_job *j = &r->jobs[r->n_jobs++];
                j->cfg = cfg;
                j->e = en;
                j->kind = (edb_monitor_kind)kind;
                snprintf(j->key, sizeof j->key, "%s/%s/%s", cfg->stem,
                         edb_monitor_kind_name(j->kind), en->id);
                if (en->product[0])
                    snprintf(j->value_col, sizeof j->value_col, "%s_X_%s", en->name,
                             en->product);
                else
                    snprintf(j->value_col, sizeof j->value_col, "%s", en->name);
                set_checks(j);
                /* the conditions, as the table's metadata says them */
                size_t wl = 1;
                char dt[1200];
                for (size_t d = 0; d < en->n_deps; d++) {
                    dep_text(&en->deps[d], dt, sizeof dt);
                    wl += strlen(dt) + 5;
                }
                if (!(j->where = calloc(wl, 1)))
                    FAIL(EDB_ERR_NOMEM, "out of memory");
                for (size_t d = 0; d < en->n_deps; d++) {
                    if (en->deps[d].rel == EDB_MON_NONE)
                        continue;
                    dep_text(&en->deps[d], dt, sizeof dt);
                    if (j->where[0])
                        strcat(j->where, " and ");
                    strcat(j->where, dt);
                }
                argvb whole = {0}, fp = {0};
                build_command(&whole, j, &mo, r->start, r->end, 1);
                build_command(&fp, j, &mo, 0, 0, 0);
                if (whole.oom || fp.oom) {
                    argv_free(whole.v, whole.n);
                    argv_free(fp.v, fp.n);
                    FAIL(EDB_ERR_NOMEM, "out of memory");
                }
                j->command = argv_text(whole.v, whole.n, &err);
                j->fingerprint = j->command ? argv_text(fp.v, fp.n, &err) : NULL;
                argv_free(whole.v, whole.n);
                argv_free(fp.v, fp.n);
                if (!j->fingerprint)
                    FAIL(err.status, "%s", err.msg);
                /* What the state holds for it, if it still applies. */
                j->start = r->start;
                j->end = r->end;
                edb_monitor_state_entry se;
                if (state && edb_monitor_state_get(state, j->key, &se) &&
                    strcmp(se.fingerprint, j->fingerprint) == 0 && se.start == r->start &&
                    se.done <= r->end) {
                    j->prev = se.table;
                    j->prev_final = se.final;
                    j->resume = se.resume;
                    j->done = se.done;
                    /* computed to this very end: nothing can have changed */
                    j->up_to_date = se.done == r->end;
                    j->start = se.resume;
                }
                if (j->up_to_date)
                    continue;
                argvb step = {0};
                build_command(&step, j, &mo, j->start, r->end, 1);
                if (step.oom) {
                    argv_free(step.v, step.n);
                    FAIL(EDB_ERR_NOMEM, "out of memory");
                }
                j->argv = step.v;
                j->argc = step.n;
                if (!(j->step = argv_text(j->argv, j->argc, &err)))
                    FAIL(err.status, "%s", err.msg);
                if (prepare_job(j, now, &err) != EDB_OK)
                    FAIL(err.status, "%s", err.msg);
            }
        }
    }

    if (m->explain) {
        for (size_t k = 0; k < r->n_jobs; k++) {
            const mon_job *j = &r->jobs[k];
            printf("# %s: %s[%zu] %s, %s%s%s\n", j->e->config, j->e->section, j->e->index,
                   j->e->id, edb_monitor_kind_name(j->kind), j->e->description ? ": " : "",
                   j->e->description ? j->e->description : "");
            if (j->up_to_date) {
                char s[EDB_TIME_STRLEN];
                mon_time_text(r->end + 1, s, sizeof s);
                printf("# up to date: --state holds it to %s\n", s);
            } else {
                printf("%s\n", j->step);
            }
        }
        code = EXIT_OK;
        goto out;
    }

    /* The service, the transfers and the token, as get sets them up. */
    edb_client_options co = EDB_CLIENT_OPTIONS_INIT;
    if (cli_query_service(&co, m->base_url, m->api, m->edp_mission, &err) != EDB_OK ||
        cli_query_transfer(&co, m->timeout_s, m->retries_s, m->cacert, m->jobs, m->verbose,
                           &err) != EDB_OK)
        FAIL(err.status, "%s", err.msg);
    cli_progress prog;
    cli_progress_init(&prog, m->progress);
    if (prog.on) {
        co.progress = cli_progress_update;
        co.progress_ctx = &prog;
    }
    co.cancel = &cli_interrupted;
    if (cli_query_token(&co, mon_local.source != NULL, m->token_file, &token, &err) != EDB_OK)
        FAIL(err.status, "%s", err.msg);
    if (cli_local_setup(&mon_local, &co, now, r->dir, token, &err) != EDB_OK)
        FAIL(err.status, "%s", err.msg);

    /* Every mnemonic any job reads, for one fetch over the range of them all. */
    edb_time fetch_start = r->end + 1;
    for (size_t k = 0; k < r->n_jobs; k++) {
        mon_job *j = &r->jobs[k];
        if (!j->prepared)
            continue;
        if (j->start < fetch_start)
            fetch_start = j->start;
        for (size_t q = 0; q < j->q.n_fetch; q++)
            if (names_add(&fetch, &n_fetch, &fetch_cap, j->q.fetch[q]) != 0)
                FAIL(EDB_ERR_NOMEM, "out of memory");
    }

    /* What the metadata can refuse is refused now, the same checks get makes: with --meta
     * and a store's meta.json before any request, and again with the inventory's types
     * before the first data request. */
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1) {
            /* What the service knows of them (units, descriptions, subsystems, change-only
             * flags), as get learns it: the inventory from the cache or asked now, a store's
             * meta.json, or a bundle's copy.  A name it does not list is left to its data
             * request to refuse. */
            if (!n_fetch)
                break;
            edb_inventory_info info;
            char note[EDB_ERRMSG_SIZE * 2];
            int ic = cli_inventory_for_run(&mon_inv, &co, &mon_local, m->recorded_inv,
                                           m->no_meta, m->inv_max_age_us, m->quiet,
                                           (const char *const *)fetch, n_fetch, &info, note,
                                           sizeof note);
            if (ic >= 0) {
                code = ic;
                goto out;
            }
            if (note[0])
                cli_warn("%s", note);
            if (!m->recorded_inv &&
                cli_inventory_record(mon_inv, &mon_local, (const char *const *)fetch, n_fetch,
                                     &err) != EDB_OK)
                FAIL(err.status, "%s", err.msg);
            if (!mon_inv || edb_meta_count(mon_inv) == 0)
                break;
        }
        for (size_t k = 0; k < r->n_jobs; k++) {
            mon_job *j = &r->jobs[k];
            edb_err cerr = EDB_ERR_INIT;
            if (j->prepared && cli_query_check(&j->q, 1, NULL, j->n_args, mon_meta,
                                               pass ? mon_inv : NULL, mon_local.store,
                                               &cerr) != EDB_OK) {
                char w[600];
                job_where(j, w, sizeof w);
                FAIL(cerr.status, "%s%s", w, cerr.msg);
            }
        }
    }
    if (make_dir("-o", r->dir, &err) != EDB_OK)
        FAIL(err.status, "%s", err.msg);

    /* One fetch. */
    int64_t fetch_chunk_us = mon_local.source ? 0 : m->chunk_us;
    edb_status fetch_st = EDB_OK;
    if (n_fetch) {
        if ((st = edb_client_new(&client, &co)) != EDB_OK)
            FAIL(st, "cannot set up the HTTP client: %s", edb_strerror(st));
        edb_query qy = {.mnemonics = fetch, .n_mnemonics = n_fetch, .start = fetch_start,
                        .end = r->end, .keep_brackets = 1, .chunk_us = fetch_chunk_us,
                        .keep_going = m->keep_going};
        if (mon_local.store) {
            long cpus = sysconf(_SC_NPROCESSORS_ONLN);
            edb_store_prefetch(mon_local.store, co.service, fetch, n_fetch, EDB_TIME_MIN,
                               EDB_TIME_MAX, cpus < 1 ? 1 : cpus > 8 ? 8 : (int)cpus);
        }
        fetch_st = edb_client_fetch(client, &qy, &res);
        cli_progress_done(&prog);
        if (fetch_st != EDB_OK && !(fetch_st == EDB_ERR_PARTIAL && res))
            FAIL(fetch_st, "%s", edb_client_errmsg(client));
        edb_err merr = EDB_ERR_INIT;
        if ((st = cli_query_apply_meta(res, &mon_meta, mon_inv, mon_local.store, &merr)) != EDB_OK)
            FAIL(st, "%s", merr.msg);
        for (size_t k = 0; k < edb_result_count(res); k++)
            if (edb_result_status(res, k) != EDB_OK)
                cli_warn("missing %s", edb_result_errmsg(res, k));
    }

    /* Each job on views of what was fetched; the rows before it from the state. */
    edb_series *views = calloc(n_fetch + 1, sizeof *views);
    const edb_series **vp = calloc(n_fetch + 1, sizeof *vp);
    if (!views || !vp) {
        free(views);
        free(vp);
        FAIL(EDB_ERR_NOMEM, "out of memory");
    }
    size_t failed = 0;
    for (size_t k = 0; k < r->n_jobs && code < 0; k++) {
        mon_job *j = &r->jobs[k];
        /* The rows the state holds that stand: all of them when nothing is computed, else
         * the final ones (the others are computed again). */
        size_t added_from = j->up_to_date ? j->prev->nrows : j->prev ? j->prev_final : 0;
        if (j->prev && (st = edb_table_slice(&j->table, j->prev, 0, added_from)) != EDB_OK) {
            code = cli_fail(st, "out of memory");
            break;
        }
        j->n_final = j->up_to_date ? j->prev_final : added_from;
        if (j->prepared) {
            size_t nv = 0;
            st = job_views(j, res, views, vp, &nv, &j->failed);
            if (st == EDB_ERR_PARTIAL) {
                /* the state keeps its final rows, and computes from their end next time */
                failed++;
                j->resume = j->start;
                j->done = j->start - 1;
            } else if (st != EDB_OK) {
                code = cli_fail(st, "out of memory");
            } else {
                edb_resample_info info = {0, 0};
                edb_err rerr = EDB_ERR_INIT;
                j->q.quiet = 1; /* gaps once per mnemonic for the run, below */
                j->q.spec.on_gap = m->quiet ? NULL : on_gap;
                st = cli_query_table(&j->q, vp, nv, j->n_args, 0, &j->fresh, &info, &rerr);
                if (st != EDB_OK) {
                    char w[600];
                    job_where(j, w, sizeof w);
                    code = cli_fail(st, "%s%s", w, rerr.msg);
                    break;
                }
                if (m->verbose)
                    cli_warn("%s: %zu rows from %s", j->key, j->fresh->nrows, j->step);
                final_rows(j, vp, nv);
                if (!j->table) {
                    j->table = j->fresh;
                    j->fresh = NULL;
                } else if ((st = edb_table_append(j->table, j->fresh)) != EDB_OK) {
                    code = st == EDB_ERR_NOMEM
                               ? cli_fail(st, "out of memory")
                               : cli_fail(EDB_ERR_IO, "--state: %s holds other columns for %s "
                                          "than this run computes: remove it, and the next run "
                                          "computes everything again from --start",
                                          STATE_FILE, j->key);
                }
            }
        }
        if (code < 0 && (st = check_job(j, added_from, &err)) != EDB_OK)
            code = cli_fail(err.status, "%s", err.msg);
    }
    free(views);
    free(vp);
    if (code >= 0)
        goto out;
    if (cli_interrupted)
        FAIL(EDB_ERR_INTERRUPTED, "interrupted: nothing was written");

    /* The outputs: tables, plots, reports, each file in place as soon as it is whole. */
    edb_run_info run = {cli_local_text(&mon_local), now, r->start, r->end, 0};
    r->run = run;
    for (size_t k = 0; k < r->n_jobs; k++)
        if (r->jobs[k].table && set_table_meta(&r->jobs[k], r->jobs[k].table) != EDB_OK)
            FAIL(EDB_ERR_NOMEM, "out of memory");
    if (write_tables(r, &run, m->wopts, m->n_wopts, &err) != EDB_OK)
        FAIL(err.status, "%s", err.msg);
    if (!cli_interrupted && r->plot_format && mon_write_plots(r, &err) != EDB_OK)
        FAIL(err.status, "%s", err.msg);
    if (!cli_interrupted && mon_write_reports(r, &err) != EDB_OK)
        FAIL(err.status, "%s", err.msg);

    /* The bundle (never with --state), from the files in place. */
    if (mon_local.bundle && !cli_interrupted) {
        char **paths = calloc(r->n_files + 1, sizeof *paths);
        if (!paths)
            FAIL(EDB_ERR_NOMEM, "out of memory");
        for (size_t k = 0; k < r->n_files; k++)
            paths[k] = path_in(r->dir, r->files[k]);
        st = cli_local_set_outputs(&mon_local, (const char *const *)paths, r->n_files, &err);
        if (st == EDB_OK)
            st = cli_local_finish(&mon_local, &co, fetch, n_fetch, fetch_start, r->end, 1,
                                  m->chunk_us, r->dir, &err);
        st = cli_local_settle(&mon_local, st, r->dir, &err);
        for (size_t k = 0; k < r->n_files; k++)
            free(paths[k]);
        free(paths);
        if (st != EDB_OK)
            FAIL(st, "%s", err.msg);
    }

    /* The state, last and atomically: a run stopped before this leaves it as it was. */
    cli_local_pause("state");
    if (cli_interrupted)
        FAIL(EDB_ERR_INTERRUPTED, "interrupted: %s%s", m->state_dir ? "the state is as it was; "
             : "", "the files written so far are whole, and the next run writes them again");
    if (m->state_dir) {
        edb_monitor_state *ns = NULL;
        if (edb_monitor_state_new(&ns) != EDB_OK)
            FAIL(EDB_ERR_NOMEM, "out of memory");
        for (size_t k = 0; k < r->n_jobs && st == EDB_OK; k++) {
            mon_job *j = &r->jobs[k];
            if (!j->table)
                continue;
            st = edb_monitor_state_put(ns, j->key, j->fingerprint, r->start, j->resume, j->done,
                                       j->n_final, j->table, &err);
        }
        char *text = NULL;
        size_t len = 0;
        if (st == EDB_OK)
            st = edb_monitor_state_text(ns, &text, &len, &err);
        if (st == EDB_OK && !same_bytes(m->state_dir, STATE_FILE, text, len))
            st = write_atomic(m->state_dir, STATE_FILE, text, len, &err);
        free(text);
        edb_monitor_state_free(ns);
        if (st != EDB_OK)
            FAIL(err.status ? err.status : st, "%s", err.msg[0] ? err.msg : "out of memory");
    }

    /* What crossed a limit among the values this run added: on stderr even with -q, for
     * whoever a cron job mails. */
    int level = 0;
    for (size_t k = 0; k < r->n_jobs; k++) {
        const mon_job *j = &r->jobs[k];
        for (size_t c = 0; c < j->n_checks; c++) {
            const mon_check *ck = &j->checks[c];
            for (int l = 2; l >= 1; l--) {
                const edb_breach *b = l == 2 ? &ck->added.red : &ck->added.yellow;
                if (!b->count)
                    continue;
                char a[EDB_TIME_STRLEN], z[EDB_TIME_STRLEN], wv[40];
                edb_time_format_iso(b->first, a, sizeof a);
                edb_time_format_iso(b->last, z, sizeof z);
                edb_format_double(b->worst, wv, sizeof wv);
                fprintf(stderr, "edbx: %s: %s: %s: %zu value%s beyond the %s limits, from %s "
                        "to %s, the worst %s\n", l == 2 ? "red" : "yellow", j->key, ck->column,
                        b->count, b->count == 1 ? "" : "s", l == 2 ? "red" : "yellow", a, z, wv);
                if (l > level)
                    level = l;
            }
        }
    }
    if (fetch_st == EDB_ERR_PARTIAL || failed)
        FAIL(EDB_ERR_PARTIAL, "%zu of %zu tables could not be computed (listed above); the "
             "others are written", failed, r->n_jobs);
    code = level == 2 ? EXIT_RED : level == 1 ? EXIT_YELLOW : EXIT_OK;
out:
    free(shown_meta);
    free(fetch);
    edb_result_free(res);
    edb_client_free(client);
    cli_free_secret(token);
    edb_monitor_state_free(state);
#undef FAIL
    return code;
}

int cmd_monitor(int argc, char **argv)
{
    mon_run r;
    mon_args m;
    memset(&r, 0, sizeof r);
    memset(&m, 0, sizeof m);
    m.jobs = 4;
    m.progress = -1;
    m.chunk_us = EDB_USEC_PER_DAY;
    memset(&mon_local, 0, sizeof mon_local);
    cli_trap_signals();
    int rc = run_monitor(argc, argv, &r, &m);
    for (size_t k = 0; k < r.n_jobs; k++)
        job_free(&r.jobs[k]);
    free(r.jobs);
    for (size_t k = 0; k < r.n_cfgs; k++)
        edb_monitor_config_free(r.cfgs[k]);
    free(r.cfgs);
    for (size_t k = 0; k < r.n_files; k++)
        free(r.files[k]);
    free(r.files);
    free(m.configs);
    cli_local_free(&mon_local);
    edb_meta_free(mon_meta);
    mon_meta = NULL;
    edb_meta_free(mon_inv);
    mon_inv = NULL;
    gaps_free();
    return rc;
}
