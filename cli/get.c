/* get.c: `edbx get MNEMONIC... --start T --end T [-o FILE]`. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>
#include <unistd.h>

#include <edb/writer.h>

#include "cli.h"
#include "discover.h"
#include "get_options.h"

void help_get(FILE *out)
{
    fputs("Usage: edbx get MNEMONIC... [-f FILE] --start TIME [--end TIME | --for DUR]\n"
          "                [-o FILE] [OPTIONS]\n"
          "       edbx get MNEMONIC... --during FILE.fits[+PAD]... [-o FILE] [OPTIONS]\n"
          "\n"
          "Fetch the samples of one or more mnemonics over a UTC time range from the EDB\n"
          "(MAST's path A) and write them out.  CSV has one row per sample, grouped by\n"
          "mnemonic in the order given, each in time order:\n"
          "  time,mjd,mnemonic,value\n"
          "  2022-02-02T22:24:58.053,59612.934005243056,SA_ZATTEST2,-0.7914494276\n"
          "time is ISO 8601 UTC with milliseconds; mjd is the same instant as an MJD (UTC).\n"
          "Units, descriptions and subsystems come from the service's inventory (the MAST\n"
          "portal's, kept a week in the cache; --no-meta: none), which also refuses a name\n"
          "it does not list before any data request (see 'edbx search', 'edbx info').\n"
          "\n",
          out);
    cli_opts_help(&cli_get_options, out);
    /* From the writers' registry, so that a format or a key added there shows here. */
    fputs("\nFormats (--format NAME, or the extension of FILE) and their -O keys:\n", out);
    for (size_t k = 0; k < edb_format_count(); k++) {
        const char *name = edb_format_name(k);
        fprintf(out, "  %s (", name);
        for (const char *const *e = edb_format_extensions(k); *e; e++)
            fprintf(out, "%s%s", e == edb_format_extensions(k) ? "" : " ", *e);
        fputc(')', out);
        edb_format_option fo;
        for (size_t j = 0; edb_format_option_get(name, j, &fo) == 0; j++)
            fprintf(out, "%s%s%s%s", j ? ", " : ": ", fo.key, fo.value ? "=" : "",
                    fo.value ? fo.value : "");
        fputc('\n', out);
    }
    fputs("\n"
          "Exit status: 0 ok, 2 usage, 3 unknown mnemonic, 4 authentication, 5 network or\n"
          "server, 6 bad data, 7 local I/O, 8 partly failed (--keep-going), 9 alert (a\n"
          "--fail-if condition matched rows of the output, which is written in full),\n"
          "12 not in the cache (--offline, --shard), 130 interrupted, 141 standard output\n"
          "closed early (| head; nothing printed) (see 'edbx --help').\n",
          out);
}

/* ---- resampling (docs/resampling.md): options as given, then what they make ---------- */

#define GET_MAX_WHERE 32
#define GET_MAX_EXPR 32
#define GET_MAX_FAIL 32
#define GET_MAX_DURING 1024
#define GET_MAX_WOPTS 64
/* Without --stats, --daily, --hourly, --blocks and --group-by give these. */
#define GET_DEFAULT_STATS "mean,min,max,median,std,count"

typedef struct get_rs {
    const char *every, *on, *at, *method, *max_gap, *stats, *clip, *align, *group_by;
    int weighted, daily, hourly, changes, grid, blocks, quiet, end_open;
    const char *where[GET_MAX_WHERE];
    size_t n_where;
    const char *exprs[GET_MAX_EXPR];
    size_t n_exprs;
    edb_resample_spec spec;
    edb_stat stat_v[EDB_STAT_N];
    edb_expr *where_v[GET_MAX_WHERE];
    edb_expr *expr_v[GET_MAX_EXPR];
    edb_time *times;
    char on_name[EDB_MNEMONIC_MAX + 1];
    char group_name[EDB_MNEMONIC_MAX + 1];
    char (*cols)[EDB_MNEMONIC_MAX + 1]; /* the arguments, normalised: the output columns */
    const char **col_v;
    const char **fetch; /* the arguments, then the names only conditions, expressions, the
                           grid and --group-by need, each once */
    size_t n_fetch;
    size_t n_fetch_out; /* how many of them are the arguments (the output mnemonics) */
    edb_range *ranges;  /* --during, when several */
    size_t n_ranges;
    const char *during[GET_MAX_DURING];
    size_t n_during;
    cli_range *dr;      /* what --during read, one per file */
    const char *fail[GET_MAX_FAIL];
    size_t n_fail;
    edb_expr *fail_v[GET_MAX_FAIL];
} get_rs;

static int rs_active(const get_rs *r)
{
    return r->every || r->on || r->at || r->method || r->max_gap || r->stats || r->clip ||
           r->align || r->weighted || r->daily || r->hourly || r->changes || r->n_where ||
           r->n_exprs || r->blocks || r->group_by || r->n_ranges > 1;
}

static void rs_free(get_rs *r)
{
    for (size_t k = 0; k < r->n_where; k++)
        edb_expr_free(r->where_v[k]);
    for (size_t k = 0; k < r->n_exprs; k++)
        edb_expr_free(r->expr_v[k]);
    for (size_t k = 0; k < r->n_fail; k++)
        edb_expr_free(r->fail_v[k]);
    if (r->dr)
        for (size_t k = 0; k < r->n_during; k++)
            free(r->dr[k].label);
    free(r->dr);
    free(r->ranges);
    free(r->times);
    free(r->cols);
    free(r->col_v);
    free(r->fetch);
}

/* The times of --at FILE, one per line. */
static edb_status rs_read_times(get_rs *r, edb_time now, edb_err *err)
{
    FILE *f = fopen(r->at, "r");
    if (!f)
        return edb_err_set(err, EDB_ERR_IO, "--at %s: cannot open it: %s", r->at,
                           strerror(errno));
    char *line = NULL;
    size_t cap = 0, n = 0, lineno = 0, tcap = 0;
    ssize_t len;
    edb_status st = EDB_OK;
    while (st == EDB_OK && (len = getline(&line, &cap, f)) >= 0) {
        lineno++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r' ||
                           line[len - 1] == ' ' || line[len - 1] == '\t'))
            line[--len] = '\0';
        char *p = line;
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p || *p == '#')
            continue;
        if (n == tcap) {
            tcap = tcap ? tcap * 2 : 256;
            edb_time *nt = realloc(r->times, tcap * sizeof *nt);
            if (!nt) {
                st = edb_err_set(err, EDB_ERR_NOMEM, "out of memory");
                break;
            }
            r->times = nt;
        }
        edb_err terr = EDB_ERR_INIT;
        if (edb_time_parse(p, now, &r->times[n], &terr) != EDB_OK)
            st = edb_err_set(err, EDB_ERR_USAGE, "--at %s, line %zu: %s", r->at, lineno,
                             terr.msg);
        n++;
    }
    if (st == EDB_OK && ferror(f))
        st = edb_err_set(err, EDB_ERR_IO, "--at %s: cannot read it: %s", r->at, strerror(errno));
    free(line);
    fclose(f);
    if (st == EDB_OK && n == 0)
        st = edb_err_set(err, EDB_ERR_USAGE, "--at %s: no times in the file", r->at);
    r->spec.times = r->times;
    r->spec.n_times = n;
    return st;
}

/* Add name to the list of names to fetch unless it is there already. */
static void rs_fetch_add(get_rs *r, const char *name)
{
    for (size_t k = 0; k < r->n_fetch; k++)
        if (strcmp(r->fetch[k], name) == 0)
            return;
    r->fetch[r->n_fetch++] = name;
}

/* Is name defined by one of the first upto --expr? */
static int rs_derived(const get_rs *r, const char *name, size_t upto)
{
    for (size_t k = 0; k < upto; k++)
        if (strcmp(edb_expr_name(r->expr_v[k]), name) == 0)
            return 1;
    return 0;
}

/* Check the options against each other and turn them into a spec, before any request. */
static edb_status rs_prepare(get_rs *r, const char *const *names, size_t n, edb_time start,
                             edb_time end, edb_time now, edb_err *err)
{
    edb_resample_spec init = EDB_RESAMPLE_SPEC_INIT;
    r->spec = init;
    r->spec.start = start;
    r->spec.end = end;
    r->spec.end_open = r->end_open;
    int grids = !!r->every + !!r->on + !!r->at + !!r->align + r->daily + r->hourly;
    if (grids > 1)
        return edb_err_set(err, EDB_ERR_USAGE, "choose one of --every, --daily, --hourly, "
                           "--on, --at and --align");
    r->grid = grids == 1;
    const int rows = r->blocks || r->group_by;
    if (r->blocks && r->group_by)
        return edb_err_set(err, EDB_ERR_USAGE, "--blocks and --group-by do not combine: choose "
                           "one kind of row");
    if (rows && (r->daily || r->hourly))
        return edb_err_set(err, EDB_ERR_USAGE, "--%s makes rows of its own (one per block or "
                           "state): use --every DUR for a grid of points under it, not --%s",
                           r->blocks ? "blocks" : "group-by", r->daily ? "daily" : "hourly");
    if (!r->grid && !rows && (r->stats || r->method || r->max_gap))
        return edb_err_set(err, EDB_ERR_USAGE, "%s needs a grid: add --every DUR (or --daily, "
                           "--hourly, --on MNEMONIC, --at FILE)",
                           r->stats ? "--stats" : r->method ? "--method" : "--max-gap");
    if (!r->grid && (r->method || r->max_gap))
        return edb_err_set(err, EDB_ERR_USAGE, "%s needs a grid: add --every DUR (or --on "
                           "MNEMONIC, --at FILE)", r->method ? "--method" : "--max-gap");
    if (!r->grid && r->n_exprs)
        return edb_err_set(err, EDB_ERR_USAGE, "--expr '%s': a derived column is computed on a "
                           "grid: add --every DUR (or --daily, --hourly, --on MNEMONIC, --at FILE, "
                           "--align)", r->exprs[0]);
    if (r->align && r->stats && !rows)
        return edb_err_set(err, EDB_ERR_USAGE, "--align puts samples side by side; for "
                           "statistics use --every, --daily or --hourly with --stats");
    if (r->every || r->daily || r->hourly) {
        r->spec.grid = EDB_GRID_EVERY;
        if (r->every) {
            edb_err derr = EDB_ERR_INIT;
            if (edb_duration_parse(r->every, &r->spec.every_us, &derr) != EDB_OK ||
                r->spec.every_us <= 0)
                return edb_err_set(err, EDB_ERR_USAGE, "--every: %s",
                                   derr.msg[0] ? derr.msg : "the step must be longer than 0");
        } else {
            r->spec.every_us = r->daily ? EDB_USEC_PER_DAY : 3600 * EDB_USEC_PER_SEC;
            r->spec.align_us = r->spec.every_us;
            if (!r->stats)
                r->stats = GET_DEFAULT_STATS;
        }
    } else if (r->on || (r->align && strcmp(r->align, "union") != 0)) {
        const char *m = r->on ? r->on : r->align;
        edb_err nerr = EDB_ERR_INIT;
        if (edb_mnemonic_normalize(m, r->on_name, sizeof r->on_name, &nerr) != EDB_OK)
            return edb_err_set(err, EDB_ERR_USAGE, "%s: %s", r->on ? "--on" : "--align", nerr.msg);
        r->spec.grid = EDB_GRID_ON;
        r->spec.on = r->on_name;
        r->spec.align = r->align != NULL;
    } else if (r->align) {
        r->spec.grid = EDB_GRID_UNION;
        r->spec.align = 1;
    } else if (r->at) {
        if (r->n_ranges > 1)
            return edb_err_set(err, EDB_ERR_USAGE, "--at and several --during do not combine: "
                               "each exposure has a range of its own, and a time of the file "
                               "would fall outside most of them");
        r->spec.grid = EDB_GRID_TIMES;
        edb_status st = rs_read_times(r, now, err);
        if (st != EDB_OK)
            return st;
    }
    if (rows && !r->stats)
        r->stats = GET_DEFAULT_STATS;
    if (r->method && edb_method_parse(r->method, &r->spec.method, err) != EDB_OK)
        return EDB_ERR_USAGE;
    if (r->max_gap) {
        edb_err derr = EDB_ERR_INIT;
        if (edb_duration_parse(r->max_gap, &r->spec.max_gap_us, &derr) != EDB_OK ||
            r->spec.max_gap_us <= 0)
            return edb_err_set(err, EDB_ERR_USAGE, "--max-gap: %s",
                               derr.msg[0] ? derr.msg : "the gap must be longer than 0");
    }
    if (r->stats) {
        if (r->method && !rows)
            return edb_err_set(err, EDB_ERR_USAGE, "--method gives a value per grid time, "
                               "--stats one per bin: use one of them");
        if (edb_stats_parse(r->stats, r->stat_v, &r->spec.n_stats, err) != EDB_OK)
            return EDB_ERR_USAGE;
        r->spec.stats = r->stat_v;
    }
    if (r->clip) {
        double sigma;
        if (edb_parse_double(r->clip, strlen(r->clip), &sigma) != 0 || !(sigma > 0) ||
            sigma > 1e6)
            return edb_err_set(err, EDB_ERR_USAGE, "--clip '%s': give a positive number of "
                               "standard deviations, e.g. --clip 3", r->clip);
        r->spec.clip_sigma = sigma;
    }
    if ((r->clip || r->weighted) && !r->spec.n_stats)
        return edb_err_set(err, EDB_ERR_USAGE, "%s applies to statistics: add --stats (e.g. "
                           "--stats mean,std)", r->clip ? "--clip" : "--weighted");
    if (r->clip && r->weighted)
        return edb_err_set(err, EDB_ERR_USAGE, "--clip and --weighted do not combine");
    if (r->blocks && r->weighted)
        return edb_err_set(err, EDB_ERR_USAGE, "--weighted does not apply to --blocks: a block "
                           "ends at its last point, so its last value holds for no time (it "
                           "applies to bins and to --group-by)");
    r->spec.weighted = r->weighted;
    r->spec.changes = r->changes;
    r->spec.blocks = r->blocks;
    if (r->group_by) {
        edb_err nerr = EDB_ERR_INIT;
        if (edb_mnemonic_normalize(r->group_by, r->group_name, sizeof r->group_name, &nerr) !=
            EDB_OK)
            return edb_err_set(err, EDB_ERR_USAGE, "--group-by: %s", nerr.msg);
        r->spec.group_by = r->group_name;
    }
    /* Expressions: every one is parsed (and so every syntax error found) before anything
     * else happens. */
    for (size_t k = 0; k < r->n_exprs; k++) {
        edb_err xerr = EDB_ERR_INIT;
        if (edb_expr_parse(&r->expr_v[k], r->exprs[k], EDB_EXPR_DEFINITION, &xerr) != EDB_OK) {
            r->n_exprs = k;
            return edb_err_set(err, xerr.status, "--expr %s", xerr.msg);
        }
    }
    r->spec.exprs = (const edb_expr *const *)r->expr_v;
    r->spec.n_exprs = r->n_exprs;
    for (size_t k = 0; k < r->n_where; k++) {
        edb_err werr = EDB_ERR_INIT;
        if (edb_expr_parse(&r->where_v[k], r->where[k], EDB_EXPR_CONDITION, &werr) != EDB_OK) {
            r->n_where = k;
            return edb_err_set(err, werr.status, "--where %s", werr.msg);
        }
    }
    r->spec.where = (const edb_expr *const *)r->where_v;
    r->spec.n_where = r->n_where;
    if (r->n_ranges > 1) {
        r->spec.ranges = r->ranges;
        r->spec.n_ranges = r->n_ranges;
        r->spec.range_column = "file";
    }
    size_t nref = 0;
    for (size_t k = 0; k < r->n_where; k++)
        nref += edb_expr_ref_count(r->where_v[k]);
    for (size_t k = 0; k < r->n_exprs; k++)
        nref += edb_expr_ref_count(r->expr_v[k]);
    r->cols = calloc(n ? n : 1, sizeof *r->cols);
    r->col_v = calloc(n ? n : 1, sizeof *r->col_v);
    r->fetch = calloc(n + nref + 2, sizeof *r->fetch);
    if (!r->cols || !r->col_v || !r->fetch)
        return edb_err_set(err, EDB_ERR_NOMEM, "out of memory");
    for (size_t k = 0; k < n; k++) {
        if (edb_mnemonic_normalize(names[k], r->cols[k], sizeof r->cols[k], err) != EDB_OK)
            return err->status;
        rs_fetch_add(r, r->cols[k]);
    }
    r->n_fetch_out = r->n_fetch;
    /* Mnemonics named only in conditions, expressions, as the grid or as the state are
     * fetched too; a name an --expr defines is a column, not a mnemonic (for a condition,
     * any --expr; for an expression, only an earlier one). */
    for (size_t k = 0; k < r->n_exprs; k++)
        for (size_t q = 0; q < edb_expr_ref_count(r->expr_v[k]); q++)
            if (!rs_derived(r, edb_expr_ref(r->expr_v[k], q), k))
                rs_fetch_add(r, edb_expr_ref(r->expr_v[k], q));
    for (size_t k = 0; k < r->n_where; k++)
        for (size_t q = 0; q < edb_expr_ref_count(r->where_v[k]); q++)
            if (!rs_derived(r, edb_expr_ref(r->where_v[k], q), r->n_exprs))
                rs_fetch_add(r, edb_expr_ref(r->where_v[k], q));
    if (r->spec.on)
        rs_fetch_add(r, r->spec.on);
    if (r->spec.group_by)
        rs_fetch_add(r, r->spec.group_by);
    return EDB_OK;
}

static const edb_series *rs_find(const edb_series **series, size_t n, const char *name)
{
    for (size_t k = 0; k < n; k++)
        if (strcmp(series[k]->mnemonic, name) == 0)
            return series[k];
    return NULL;
}

/* --source, the cache and --bundle: reset and freed by cmd_get around each run. */
static cli_local get_local;
/* --meta files, loaded as the options are read so that a bad file fails before any
 * request; freed by cmd_get. */
static edb_meta *get_meta;
/* The inventory the run uses (the service's, the store's meta.json, or a bundle's
 * recorded copy), after --meta; freed by cmd_get. */
static edb_meta *get_inv;
/* With --keep-going, the names to fetch once the inventory has refused some; freed by
 * cmd_get. */
static const char **get_kept;
static size_t n_get_kept;
/* What the lookup has to say about the inventory it could not have (or had only old):
 * said once the data is in, since a run that fails says why and nothing else. */
static char get_note[EDB_ERRMSG_SIZE * 2];

/* The value type metadata knows for a mnemonic (--meta files first, then the inventory,
 * then the store's meta.json), EDB_VT_NONE when none does. */
static edb_vtype meta_type(const char *name)
{
    const edb_meta *tables[] = {get_meta, get_inv};
    for (size_t k = 0; k < 2; k++) {
        const edb_meta_entry *e = tables[k] ? edb_meta_find(tables[k], name) : NULL;
        if (e && e->sqltype) {
            edb_vtype t = edb_vtype_from_sqltype(e->sqltype, strlen(e->sqltype));
            if (t != EDB_VT_NONE)
                return t;
        }
    }
    edb_meta_entry se;
    if (get_local.store && edb_store_meta(get_local.store, name, &se) && se.sqltype)
        return edb_vtype_from_sqltype(se.sqltype, strlen(se.sqltype));
    return EDB_VT_NONE;
}

/* Every refusal the options and the metadata can tell before any request: the same
 * checks as the run itself makes, on empty series of the types metadata knows, and
 * --fail-if against the columns that run would write. */
static edb_status rs_check(get_rs *r, int resample, const char *const *names, size_t n_names,
                           edb_expr *const *fail, size_t n_fail, edb_err *err)
{
    const char *const *fetch = resample ? r->fetch : names;
    size_t nf = resample ? r->n_fetch : n_names;
    edb_series **s = calloc(nf ? nf : 1, sizeof *s);
    if (!s)
        return edb_err_set(err, EDB_ERR_NOMEM, "out of memory");
    edb_status st = EDB_OK;
    for (size_t k = 0; k < nf && st == EDB_OK; k++) {
        char name[EDB_MNEMONIC_MAX + 1];
        if (edb_mnemonic_normalize(fetch[k], name, sizeof name, err) != EDB_OK) {
            st = err->status;
            break;
        }
        edb_vtype t = meta_type(name);
        if (edb_series_new(&s[k], name) != EDB_OK ||
            (t != EDB_VT_NONE && edb_series_set_type(s[k], t) != EDB_OK))
            st = edb_err_set(err, EDB_ERR_NOMEM, "out of memory");
    }
    edb_table *cols = NULL;
    if (st == EDB_OK && resample) {
        for (size_t k = 0; k < n_names; k++)
            r->col_v[k] = r->cols[k];
        r->spec.columns = r->col_v;
        r->spec.n_columns = n_names;
        st = edb_resample_check((const edb_series *const *)s, nf, &r->spec, &cols, err);
        if (st == EDB_OK && !r->grid && !r->blocks && !r->group_by && r->n_ranges < 2) {
            /* raw samples: the long layout's rows, one mnemonic each */
            edb_table_free(cols);
            cols = NULL;
        }
    }
    for (size_t k = 0; k < n_fail && st == EDB_OK; k++) {
        size_t cnt;
        if (cols) {
            st = edb_expr_count_table(fail[k], cols, &cnt, err);
        } else {
            /* Only the output mnemonics are columns of raw output. */
            size_t no = resample ? r->n_fetch_out : nf;
            st = edb_expr_count_series(fail[k], (const edb_series *const *)s, no, &cnt, err);
        }
    }
    edb_table_free(cols);
    edb_series_list_free(s, nf);
    return st;
}

/* The library's report of a value held or interpolated across a gap, once per mnemonic. */
static void rs_gap(void *ctx, const edb_gap *g)
{
    (void)ctx;
    char a[EDB_TIME_STRLEN], b[EDB_TIME_STRLEN], len[64], lim[64];
    edb_time_format_iso(g->start, a, sizeof a);
    edb_time_format_iso(g->end, b, sizeof b);
    edb_duration_format(g->end - g->start, len, sizeof len);
    edb_duration_format(g->limit_us, lim, sizeof lim);
    if (g->dropped) {
        fprintf(stderr, "edbx: warning: %s: %zu value%s left empty by --max-gap %s; the longest "
                "gap is %s, from %s to %s\n", g->mnemonic, g->values, g->values == 1 ? "" : "s",
                lim, len, a, b);
    } else {
        char cad[64];
        edb_duration_format(g->cadence_us, cad, sizeof cad);
        fprintf(stderr, "edbx: warning: %s: %zu value%s held or interpolated across a gap of %s, "
                "from %s to %s (more than %d times its median cadence of %s); --max-gap DUR "
                "leaves such values empty\n", g->mnemonic, g->values, g->values == 1 ? "" : "s",
                len, a, b, 10, cad);
    }
}

/* --fail-if over what is written: the matching rows of each condition, into cnt[]. */
static edb_status fail_count(edb_expr *const *fail, size_t n_fail, const edb_table *t,
                             const edb_series *const *series, size_t ns, size_t *cnt,
                             edb_err *err)
{
    for (size_t k = 0; k < n_fail; k++) {
        edb_status st = t ? edb_expr_count_table(fail[k], t, &cnt[k], err)
                          : edb_expr_count_series(fail[k], series, ns, &cnt[k], err);
        if (st != EDB_OK)
            return st;
    }
    return EDB_OK;
}

/* Once the output is complete: the matches on stderr (even with -q: they are what a cron
 * job must mail); 1 if any condition matched. */
static int fail_report(const char *const *text, const size_t *cnt, size_t n_fail)
{
    int matched = 0;
    for (size_t k = 0; k < n_fail; k++)
        if (cnt[k]) {
            matched = 1;
            fprintf(stderr, "edbx: alert: %zu row%s of the output match%s --fail-if '%s'\n",
                    cnt[k], cnt[k] == 1 ? "" : "s", cnt[k] == 1 ? "es" : "", text[k]);
        }
    return matched;
}

/* One line per output mnemonic that has no sample in [start, end]: what the EDB sent
 * before START, if anything, is the value in force. */
static void say_empty(const edb_series *const *series, size_t n, edb_time start, edb_time end,
                      int brackets)
{
    for (size_t k = 0; k < n; k++) {
        const edb_series *s = series[k];
        size_t i0 = edb_series_lower_bound(s, start), i1 = edb_series_upper_bound(s, end);
        if (i1 > i0)
            continue;
        if (i0 == 0) {
            fprintf(stderr, "edbx: warning: %s: no sample in range, and none before it\n",
                    s->mnemonic);
            continue;
        }
        char when[EDB_TIME_STRLEN], val[64];
        edb_time_format_iso(s->t[i0 - 1], when, sizeof when);
        const char *v = val;
        int vlen = 0;
        if (s->vtype == EDB_VT_STRING) {
            size_t len;
            v = edb_series_str(s, i0 - 1, &len);
            vlen = len > 200 ? 200 : (int)len;
        } else if (s->vtype == EDB_VT_INT) {
            vlen = snprintf(val, sizeof val, "%lld", (long long)s->i[i0 - 1]);
        } else if (s->vtype == EDB_VT_REAL) {
            vlen = edb_format_double(s->d[i0 - 1], val, sizeof val);
        }
        fprintf(stderr, "edbx: warning: %s: no sample in range; the value held since %s is "
                "%.*s%s\n", s->mnemonic, when, vlen, v,
                brackets ? "" : ": use --every or --brackets to carry it");
    }
}

/* A mnemonic with no value at any row of the table (its counts aside): the output is
 * empty for it, and a plot of it an empty frame; said once each, so it is not taken for
 * a quiet instrument. */
static void say_no_value(const edb_table *t)
{
    if (t->nrows == 0)
        return;
    for (size_t c = 0; c < t->ncols; c++) {
        const edb_column *col = &t->cols[c];
        if (!col->mnemonic || (col->stat && strcmp(col->stat, "count") == 0))
            continue;
        int first = 1, any = 0;
        for (size_t j = 0; j < c && first; j++)
            first = !(t->cols[j].mnemonic && strcmp(t->cols[j].mnemonic, col->mnemonic) == 0);
        if (!first)
            continue;
        for (size_t j = c; j < t->ncols && !any; j++) {
            const edb_column *o = &t->cols[j];
            if (!o->mnemonic || strcmp(o->mnemonic, col->mnemonic) != 0 ||
                (o->stat && strcmp(o->stat, "count") == 0))
                continue;
            for (size_t k = 0; k < t->nrows && !any; k++)
                any = o->valid[k];
        }
        if (!any)
            cli_warn("warning: %s: no value in the range (no sample in it or near enough "
                     "to %s): the output holds none", col->mnemonic,
                     col->stat ? "bin" : "hold or interpolate from");
    }
}

/* Each column of a mnemonic (its value or a statistic of it) takes the mnemonic's
 * subsystem, as it takes its unit. */
static edb_status subsystems_to_columns(edb_table *t, const edb_series **series, size_t n,
                                        edb_err *err)
{
    for (size_t k = 0; k < t->ncols; k++) {
        edb_column *c = &t->cols[k];
        const edb_series *s = c->mnemonic ? rs_find(series, n, c->mnemonic) : NULL;
        if (s && s->subsystem && !c->subsystem && edb_column_set_subsystem(c, s->subsystem) != EDB_OK)
            return edb_err_set(err, EDB_ERR_NOMEM, "out of memory");
    }
    return EDB_OK;
}

/* Run the transform on what was fetched and write it. */
static edb_status rs_write(get_rs *r, edb_writer *w, const edb_series **series, size_t n,
                           size_t n_args, int brackets, size_t *rows, edb_expr *const *fail,
                           size_t n_fail, size_t *fail_cnt, edb_err *err)
{
    /* Output columns: the arguments in their order, once each, as far as they were fetched
     * (--keep-going leaves failed ones out). */
    size_t nc = 0;
    for (size_t k = 0; k < n_args; k++) {
        int dup = 0;
        for (size_t q = 0; q < nc; q++)
            dup |= strcmp(r->col_v[q], r->cols[k]) == 0;
        if (!dup && rs_find(series, n, r->cols[k]))
            r->col_v[nc++] = r->cols[k];
    }
    r->spec.columns = r->col_v;
    r->spec.n_columns = nc;
    r->spec.keep_brackets = brackets;
    if (!r->quiet)
        r->spec.on_gap = rs_gap;
    edb_resample_info info = {0, 0};
    edb_status st;
    const int table = r->grid || r->blocks || r->group_by || r->n_ranges > 1;
    if (table) {
        edb_table *t = NULL;
        st = edb_resample(series, n, &r->spec, &t, &info, err);
        if (st == EDB_OK)
            st = subsystems_to_columns(t, series, n, err);
        if (st == EDB_OK) {
            *rows = t->nrows;
            st = edb_writer_write_table(w, t);
            if (st != EDB_OK)
                edb_err_set(err, st, "%s", edb_writer_errmsg(w));
        }
        if (st == EDB_OK && !r->quiet)
            say_no_value(t);
        if (st == EDB_OK && n_fail)
            st = fail_count(fail, n_fail, t, NULL, 0, fail_cnt, err);
        edb_table_free(t);
    } else {
        edb_series **out = NULL;
        size_t nout = 0;
        st = edb_filter(series, n, &r->spec, &out, &nout, &info, err);
        for (size_t k = 0; k < nout && st == EDB_OK; k++) {
            const edb_series *from = rs_find(series, n, out[k]->mnemonic);
            if (from && from->subsystem && !out[k]->subsystem &&
                edb_series_set_subsystem(out[k], from->subsystem) != EDB_OK)
                st = edb_err_set(err, EDB_ERR_NOMEM, "out of memory");
        }
        if (st == EDB_OK) {
            if (!r->quiet && !r->n_where) {
                const edb_series **o = calloc(nc ? nc : 1, sizeof *o);
                for (size_t k = 0; o && k < nc; k++)
                    o[k] = rs_find(series, n, r->col_v[k]);
                if (o)
                    say_empty(o, nc, r->spec.start, r->spec.end, brackets);
                free(o);
            }
            *rows = 0;
            for (size_t k = 0; k < nout; k++)
                *rows += out[k]->n;
            st = edb_writer_write_series(w, (const edb_series *const *)out, nout);
            if (st != EDB_OK)
                edb_err_set(err, st, "%s", edb_writer_errmsg(w));
        }
        if (st == EDB_OK && n_fail)
            st = fail_count(fail, n_fail, NULL, (const edb_series *const *)out, nout, fail_cnt,
                            err);
        edb_series_list_free(out, nout);
    }
    if (st == EDB_OK && r->n_where && info.where_kept == 0 && !r->quiet) {
        fprintf(stderr, "edbx: warning: no %s in the range satisfies",
                r->grid && !r->spec.n_stats ? "grid time" : "sample");
        for (size_t k = 0; k < r->n_where; k++)
            fprintf(stderr, "%s '%s'", k ? " and" : "", r->where[k]);
        fputs(": the output is empty\n", stderr);
    }
    return st;
}

/* The body of `edbx get`; names (the mnemonics of -f and of the arguments) is freed by
 * the caller whatever the outcome. */
/* --source, the cache and --bundle: reset and freed by cmd_get around each run. */
static cli_local get_local;
/* --meta files, loaded as the options are read so that a bad file fails before any
 * request; freed by cmd_get. */
static edb_meta *get_meta;

/* Give every fetched series what the metadata knows of it.  The --meta files come
 * first; the inventory (the service's, or a store's meta.json) only fills what they leave
 * unknown, because a file named on the command line is the user's word. */
static edb_status apply_meta(edb_result *res, edb_err *err)
{
    size_t n = edb_result_count(res);
    for (size_t k = 0; k < n; k++) {
        edb_series *s = edb_result_series_mut(res, k);
        if (!s || edb_result_status(res, k) != EDB_OK)
            continue;
        if ((get_meta && edb_meta_apply(get_meta, s) != EDB_OK) ||
            (get_inv && edb_meta_apply(get_inv, s) != EDB_OK))
            return edb_err_set(err, EDB_ERR_NOMEM, "out of memory");
    }
    return EDB_OK;
}

/* --shard K/N: fetch the shard into the cache, then check that the cache holds it all. */
static int run_shard(edb_client_options *co, const edb_query *q, const cli_scale *scale,
                     edb_time now, int quiet, cli_progress *prog)
{
    edb_client *client = NULL;
    edb_status st = edb_client_new(&client, co);
    if (st != EDB_OK)
        return cli_fail(st, "cannot set up the HTTP client: %s", edb_strerror(st));
    edb_result *res = NULL;
    st = edb_client_fetch(client, q, &res);
    cli_progress_done(prog);
    int code;
    if (st != EDB_OK && !(st == EDB_ERR_PARTIAL && res)) {
        code = cli_fail(st, "shard %zu/%zu: %s", scale->k, scale->n, edb_client_errmsg(client));
        edb_client_free(client);
        return code;
    }
    for (size_t k = 0; k < edb_result_count(res); k++)
        if (edb_result_status(res, k) != EDB_OK)
            cli_warn("missing %s", edb_result_errmsg(res, k));
    code = cli_scale_check_cache(co, q, scale, get_local.cache, now, res, 1);
    if (code == EXIT_OK && st == EDB_ERR_PARTIAL)
        code = cli_fail(st, "shard %zu/%zu: some mnemonics failed (listed above); the rest is "
                        "in the cache", scale->k, scale->n);
    if (code == EXIT_OK && !quiet) {
        edb_client_stats cs;
        edb_client_get_stats(client, &cs);
        size_t first, end;
        edb_plan *p = NULL;
        if (edb_client_plan(client, q, &p) == EDB_OK)
            edb_plan_shard_range(p, scale->k, scale->n, &first, &end);
        else
            first = end = 0;
        edb_plan_free(p);
        cli_warn("shard %zu/%zu: %zu requests in the cache at %s (%lu asked of the service, %lu "
                 "retries, %llu bytes; %lu answered by the cache)", scale->k, scale->n,
                 end - first, edb_cache_root(get_local.cache), cs.requests - cs.retries,
                 cs.retries, cs.bytes, cs.local);
    }
    edb_result_free(res);
    edb_client_free(client);
    return code;
}

/* Does format take the -O key? */
static int format_takes(const char *format, const char *key)
{
    edb_format_option fo;
    for (size_t k = 0; edb_format_option_get(format, k, &fo) == 0; k++)
        if (strcmp(fo.key, key) == 0)
            return 1;
    return 0;
}

/* The inventory's entries of the run's mnemonics, into the bundle: what replay reads back
 * (--recorded-inventory) to give the same units, descriptions and subsystems. */
static edb_status record_inventory(const char *const *names, size_t n, edb_err *err)
{
    edb_meta *used = NULL;
    if (edb_meta_new(&used) != EDB_OK)
        return edb_err_set(err, EDB_ERR_NOMEM, "out of memory");
    edb_status st = EDB_OK;
    for (size_t k = 0; k < n && st == EDB_OK; k++) {
        const edb_meta_entry *e = edb_meta_find(get_inv, names[k]);
        if (e)
            st = edb_meta_add(used, e, err);
    }
    char *csv = NULL;
    size_t len = 0;
    if (st == EDB_OK && edb_meta_count(used) > 0) {
        if (edb_meta_format_csv(used, &csv, &len) != EDB_OK)
            st = edb_err_set(err, EDB_ERR_NOMEM, "out of memory");
        else
            st = cli_local_record_inventory(&get_local, csv, len, err);
    }
    free(csv);
    edb_meta_free(used);
    return st;
}

/* What the service (or the store) knows of the run's mnemonics: its inventory, from the
 * cache or asked now (docs/discovery.md), for units, descriptions, subsystems and
 * change-only flags.  A name the inventory does not list is refused here, before any data
 * request (exit 3), but only when the inventory is sure: one just asked of the service (a
 * cached copy that lacks a name is asked again first).  Anything else that goes wrong is a
 * warning: metadata never fails a run.  -1 to go on, else the exit code. */
static int get_lookup(const edb_client_options *co, const char *const *names, size_t n,
                      int no_meta, const char *recorded, int64_t max_age_us, int quiet,
                      int keep_going, size_t *refused_out)
{
    *refused_out = 0;
    edb_err err = EDB_ERR_INIT;
    if (!recorded && no_meta)
        return -1;
    if (edb_meta_new(&get_inv) != EDB_OK)
        return cli_fail(EDB_ERR_NOMEM, "out of memory");
    if (recorded) {
        /* A bundle's copy: what the recorded run used, whole (nothing is asked). */
        if (edb_meta_load_file(get_inv, recorded, &err) != EDB_OK)
            return cli_fail(err.status, "--recorded-inventory: %s", err.msg);
        return -1;
    }
    if (get_local.store) {
        edb_status st = edb_store_load_meta(get_local.store, get_inv, &err);
        if (st != EDB_OK && st != EDB_ERR_NOT_FOUND)
            return cli_fail(st, "%s", err.msg);
    } else {
        edb_inventory_info info;
        edb_status st = cli_inventory_fetch(get_inv, co, get_local.cache, max_age_us,
                                            get_local.refresh, &info, &err);
        if (st == EDB_ERR_INTERRUPTED)
            return cli_fail(st, "interrupted: nothing was written");
        if (st != EDB_OK) {
            if (!quiet)
                snprintf(get_note, sizeof get_note, "warning: %s; going on without the "
                         "service's units, descriptions and subsystems (--no-meta does not "
                         "ask)", err.msg);
            return -1;
        }
        if (info.origin == EDB_INVENTORY_STALE && !quiet)
            cli_inventory_stale_text(&info, co->service, get_note, sizeof get_note);
        size_t unknown = 0;
        for (size_t k = 0; k < n && info.count > 0; k++)
            unknown += edb_meta_find(get_inv, names[k]) == NULL;
        if (unknown && info.origin == EDB_INVENTORY_CACHED) {
            /* The copy may predate a new mnemonic: ask once more before refusing. */
            edb_meta *fresh = NULL;
            edb_inventory_info fi;
            if (edb_meta_new(&fresh) != EDB_OK)
                return cli_fail(EDB_ERR_NOMEM, "out of memory");
            edb_err ferr = EDB_ERR_INIT;
            st = cli_inventory_fetch(fresh, co, get_local.cache, max_age_us, 1, &fi, &ferr);
            if (st == EDB_ERR_INTERRUPTED) {
                edb_meta_free(fresh);
                return cli_fail(st, "interrupted: nothing was written");
            }
            if (st == EDB_OK && fi.origin == EDB_INVENTORY_FETCHED) {
                edb_meta_free(get_inv);
                get_inv = fresh;
                info = fi;
            } else {
                edb_meta_free(fresh);
                info.origin = EDB_INVENTORY_STALE; /* not sure: let the service say */
                snprintf(info.why, sizeof info.why, "%s",
                         st == EDB_OK ? fi.why : ferr.msg);
            }
        }
        char label[600];
        cli_inventory_label(label, sizeof label, co->service, co->base_url, &info, NULL);
        size_t refused = 0;
        /* With --keep-going, what it refuses is left out and listed, as a mnemonic the
         * service answers 404 for would be. */
        if (keep_going && !(get_kept = calloc(n ? n : 1, sizeof *get_kept)))
            return cli_fail(EDB_ERR_NOMEM, "out of memory");
        for (size_t k = 0; k < n; k++) {
            if (info.count == 0 || edb_meta_find(get_inv, names[k])) {
                if (get_kept)
                    get_kept[n_get_kept++] = names[k];
                continue;
            }
            char name[EDB_MNEMONIC_MAX + 1], hint[300];
            edb_mnemonic_normalize(names[k], name, sizeof name, NULL); /* checked before */
            cli_suggest(get_inv, name, hint, sizeof hint);
            if (info.origin == EDB_INVENTORY_FETCHED) {
                if (keep_going)
                    cli_warn("missing %s: no such mnemonic in %s%s", name, label, hint);
                else
                    cli_fail(EDB_ERR_NOT_FOUND, "%s: no such mnemonic in %s%s", name, label,
                             hint);
                refused++;
            } else {
                if (get_kept)
                    get_kept[n_get_kept++] = names[k];
                if (!quiet)
                    cli_warn("warning: %s is not in %s, which could not be asked again (%s): "
                             "asking for it anyway%s", name, label, info.why, hint);
            }
        }
        *refused_out = refused;
        if (refused && (!keep_going || refused == n))
            return EXIT_NOTFOUND;
    }
    if (get_local.rec && record_inventory(names, n, &err) != EDB_OK)
        return cli_fail(err.status, "%s", err.msg);
    return -1;
}

static int run_get(int argc, char **argv, cli_names *names, get_rs *rs)
{
    char max_gap_opt[96];
    const char *start_s = NULL, *end_s = NULL, *for_s = NULL, *output = "-", *format = NULL;
    const char *base_url = NULL, *token_file = NULL, *cacert = NULL;
    const char *api = NULL, *edp_mission = NULL;
    int plan_only = 0;
    cli_scale scale;
    memset(&scale, 0, sizeof scale);
    int names_from_stdin = 0;
    const char *timeout_s = NULL, *retries_s = NULL;
    int brackets = 0, verbose = 0, progress = -1, keep_going = 0, quiet = 0;
    const char *wopts[GET_MAX_WOPTS];
    size_t n_wopts = 0;
    char compress_opt[32]; /* --compress N, as -O compress=N */
    int stamp = 0, no_meta = 0;
    const char *recorded_inv = NULL;
    int64_t inv_max_age_us = 0;
    long jobs = 4;
    int64_t chunk_us = EDB_USEC_PER_DAY;
    edb_err err = EDB_ERR_INIT;
    int run_time_given = 0;

    cli_args args;
    if (cli_args_parse(&cli_get_options, "get", argc, argv, &args, &err) != EDB_OK) {
        cli_args_free(&args);
        return cli_fail(err.status, "%s", err.msg);
    }
    /* Values are borrowed from argv, so args can go once read. */
    int code = -1;
#define FAIL(...)                                                                              \
    do {                                                                                       \
        code = cli_fail(__VA_ARGS__);                                                          \
        goto parsed;                                                                           \
    } while (0)
    /* Recorded by role, and the files named checked, before any is read. */
    if (cli_local_note_args(&get_local, &args, &err) != EDB_OK)
        FAIL(err.status, "%s", err.msg);
    for (size_t ai = 0; ai < args.n; ai++) {
        const char *optarg = args.v[ai].value;
        switch (args.v[ai].opt->id) {
        case GOPT_START: start_s = optarg; break;
        case GOPT_END: end_s = optarg; break;
        case GOPT_FOR: for_s = optarg; break;
        case GOPT_DURING:
            if (rs->n_during == GET_MAX_DURING)
                FAIL(EDB_ERR_USAGE, "at most %d --during files", GET_MAX_DURING);
            rs->during[rs->n_during++] = optarg;
            break;
        case GOPT_OUTPUT: output = optarg; break;
        case GOPT_FORMAT: format = optarg; break;
        /* Older spellings of -O options, and the names the issues used: each adds its -O. */
        case GOPT_COMPRESS:
        case GOPT_ASTROPY_TIME:
        case GOPT_CSV_SAFE:
        case GOPT_HEADER_COMMENTS: {
            long level = 0;
            int id = args.v[ai].opt->id;
            if (id == GOPT_COMPRESS) {
                if (cli_parse_count("--compress level", optarg, 9, &level, &err) != EDB_OK)
                    FAIL(err.status, "%s", err.msg);
                snprintf(compress_opt, sizeof compress_opt, "compress=%ld", level);
            }
            if (n_wopts == GET_MAX_WOPTS)
                FAIL(EDB_ERR_USAGE, "at most %d -O options", GET_MAX_WOPTS);
            wopts[n_wopts++] = id == GOPT_COMPRESS      ? compress_opt
                               : id == GOPT_ASTROPY_TIME ? "astropy-time"
                               : id == GOPT_CSV_SAFE     ? "safe"
                                                         : "header-comments";
            break;
        }
        case GOPT_STAMP: stamp = 1; break;
        case GOPT_NO_META: no_meta = 1; break;
        case GOPT_RECORDED_INVENTORY: recorded_inv = optarg; break;
        case GOPT_INVENTORY_MAX_AGE:
            if (edb_duration_parse(optarg, &inv_max_age_us, &err) != EDB_OK ||
                inv_max_age_us <= 0)
                FAIL(EDB_ERR_USAGE, "--inventory-max-age: %s",
                     err.msg[0] ? err.msg : "give a duration longer than 0 (e.g. 1d, 12h)");
            break;
        case GOPT_META:
            if (!get_meta && edb_meta_new(&get_meta) != EDB_OK)
                FAIL(EDB_ERR_NOMEM, "out of memory");
            if (edb_meta_load_file(get_meta, optarg, &err) != EDB_OK)
                FAIL(err.status, "--meta: %s", err.msg);
            break;
        case GOPT_BRACKETS: brackets = 1; break;
        case GOPT_BASE_URL: base_url = optarg; break;
        case GOPT_TOKEN_FILE: token_file = optarg; break;
        case GOPT_TOKEN:
            FAIL(EDB_ERR_USAGE, "the token is never taken on the command line (it "
                            "would show in ps and in shell history): put it in a file and use "
                            "--token-file FILE, or set MAST_API_TOKEN");
        case GOPT_CACERT: cacert = optarg; break;
        case GOPT_TIMEOUT: timeout_s = optarg; break;
        case GOPT_RETRIES: retries_s = optarg; break;
        case GOPT_JOBS:
            if (cli_parse_count("-j", optarg, CLI_MAX_JOBS, &jobs, &err) != EDB_OK || jobs < 1)
                FAIL(EDB_ERR_USAGE, "invalid -j '%s': from 1 to %d transfers at once",
                                optarg, CLI_MAX_JOBS);
            break;
        case GOPT_CHUNK:
            if (edb_duration_parse(optarg, &chunk_us, &err) != EDB_OK ||
                chunk_us < EDB_USEC_PER_SEC)
                FAIL(EDB_ERR_USAGE, "--chunk: %s",
                                err.msg[0] ? err.msg : "a chunk is at least 1s (e.g. 1d, 6h)");
            break;
        case GOPT_FILE:
            names_from_stdin |= strcmp(optarg, "-") == 0;
            if (cli_names_read_file(names, optarg, &err) != EDB_OK)
                FAIL(err.status, "%s", err.msg);
            break;
        case GOPT_KEEP_GOING: keep_going = 1; break;
        case GOPT_PROGRESS: progress = 1; break;
        case GOPT_VERBOSE: verbose = 1; break;
        case GOPT_QUIET: verbose = 0; progress = 0; quiet = 1; break;
        case GOPT_EVERY: rs->every = optarg; break;
        case GOPT_ON: rs->on = optarg; break;
        case GOPT_AT: rs->at = optarg; break;
        case GOPT_METHOD: rs->method = optarg; break;
        case GOPT_MAX_GAP: rs->max_gap = optarg; break;
        case GOPT_STATS: rs->stats = optarg; break;
        case GOPT_CLIP: rs->clip = optarg; break;
        case GOPT_WEIGHTED: rs->weighted = 1; break;
        case GOPT_DAILY: rs->daily = 1; break;
        case GOPT_HOURLY: rs->hourly = 1; break;
        case GOPT_ALIGN: rs->align = optarg; break;
        case GOPT_CHANGES: rs->changes = 1; break;
        case GOPT_WHERE:
            if (rs->n_where == GET_MAX_WHERE)
                FAIL(EDB_ERR_USAGE, "at most %d --where conditions", GET_MAX_WHERE);
            rs->where[rs->n_where++] = optarg;
            break;
        case GOPT_EXPR:
            if (rs->n_exprs == GET_MAX_EXPR)
                FAIL(EDB_ERR_USAGE, "at most %d --expr columns", GET_MAX_EXPR);
            rs->exprs[rs->n_exprs++] = optarg;
            break;
        case GOPT_BLOCKS: rs->blocks = 1; break;
        case GOPT_GROUP_BY: rs->group_by = optarg; break;
        case GOPT_FAIL_IF:
            if (rs->n_fail == GET_MAX_FAIL)
                FAIL(EDB_ERR_USAGE, "at most %d --fail-if conditions", GET_MAX_FAIL);
            if (edb_expr_parse(&rs->fail_v[rs->n_fail], optarg, EDB_EXPR_CONDITION, &err) !=
                EDB_OK)
                FAIL(err.status, "--fail-if %s", err.msg);
            rs->fail[rs->n_fail++] = optarg;
            break;
        case GOPT_SOURCE: get_local.source = optarg; break;
        case GOPT_CACHE: get_local.cache_dir = optarg; break;
        case GOPT_NO_CACHE: get_local.no_cache = 1; break;
        case GOPT_REFRESH: get_local.refresh = 1; break;
        case GOPT_BUNDLE: get_local.bundle = optarg; break;
        case GOPT_RUN_TIME_US: {
            char *e;
            get_local.run_time = (edb_time)strtoll(optarg, &e, 10);
            if (*e || !*optarg)
                FAIL(EDB_ERR_USAGE, "--run-time-us: not an integer");
            run_time_given = 1;
            break;
        }
        case GOPT_HELP: help_get(stdout);
            code = EXIT_OK;
            goto parsed;
        case GOPT_API: api = optarg; break;
        case GOPT_EDP_MISSION: edp_mission = optarg; break;
        case GOPT_PLAN_ONLY: plan_only = 1; break;
        case GOPT_SHARD: scale.shard_s = optarg; break;
        case GOPT_SHARDS: scale.shards_s = optarg; break;
        case GOPT_OFFLINE: scale.offline = 1; break;
        case GOPT_SLURM: scale.slurm_s = optarg; break;
        case GOPT_MAX_TRANSFERS: scale.max_transfers_s = optarg; break;
        case GOPT_WOPT:
            if (n_wopts == GET_MAX_WOPTS)
                FAIL(EDB_ERR_USAGE, "at most %d -O options", GET_MAX_WOPTS);
            wopts[n_wopts++] = optarg;
            break;
        default:
            FAIL(EDB_ERR_INTERNAL, "option --%s is in the table but not handled",
                 args.v[ai].opt->name);
        }
    }
    for (size_t k = 0; k < args.npos; k++)
        if (cli_names_add(names, args.pos[k], strlen(args.pos[k])) != EDB_OK)
            FAIL(EDB_ERR_NOMEM, "out of memory");
parsed:
#undef FAIL
    cli_args_free(&args);
    if (code >= 0)
        return code;
    const char *const *mnemonics = (const char *const *)names->v;
    size_t n_mnemonics = names->n;
    /* Derived columns alone are an output too (edbx get --expr 'P = A * B' --every 1min). */
    if (n_mnemonics == 0 && rs->n_exprs == 0)
        return cli_fail(EDB_ERR_USAGE, "name at least one mnemonic, e.g. edbx get SA_ZATTEST1 "
                        "--start 2022-02-02T22:24:58 --end 2022-02-02T22:24:59");
    if (rs->n_during && (start_s || end_s || for_s))
        return cli_fail(EDB_ERR_USAGE, "--during gives the range: drop %s",
                        start_s ? "--start" : end_s ? "--end" : "--for");
    if (!start_s && !rs->n_during)
        return cli_fail(EDB_ERR_USAGE, "--start is required (e.g. --start 2022-02-02T22:24:58 "
                        "or --start now-6h; or --during FILE.fits)");
    if (for_s && end_s)
        return cli_fail(EDB_ERR_USAGE, "--for and --end both give the end: use one of them");
    /* Every name is checked before anything else happens. */
    for (size_t k = 0; k < n_mnemonics; k++) {
        char name[EDB_MNEMONIC_MAX + 1];
        if (edb_mnemonic_normalize(mnemonics[k], name, sizeof name, &err) != EDB_OK)
            return cli_fail(err.status, "%s", err.msg);
    }
    /* A replay passes the recorded time, so that "now-6h" and FITS DATE come out the same. */
    edb_time now = run_time_given ? get_local.run_time : cli_local_now(&get_local), start = 0,
             end = 0;
    if (rs->n_during) {
        /* One range per file; the fetch covers them all, from the first start to the last
         * end. */
        if (!(rs->dr = calloc(rs->n_during, sizeof *rs->dr)))
            return cli_fail(EDB_ERR_NOMEM, "out of memory");
        for (size_t k = 0; k < rs->n_during; k++) {
            if (cli_during_read(rs->during[k], &rs->dr[k], &err) != EDB_OK)
                return cli_fail(err.status, "%s", err.msg);
            if (k == 0 || rs->dr[k].start < start)
                start = rs->dr[k].start;
            if (k == 0 || rs->dr[k].end > end)
                end = rs->dr[k].end;
        }
        if (rs->n_during > 1) {
            if (!(rs->ranges = calloc(rs->n_during, sizeof *rs->ranges)))
                return cli_fail(EDB_ERR_NOMEM, "out of memory");
            /* In order of their starts (stably), so that the rows run forward in time. */
            for (size_t k = 0; k < rs->n_during; k++) {
                size_t q = k;
                while (q > 0 && rs->ranges[q - 1].start > rs->dr[k].start) {
                    rs->ranges[q] = rs->ranges[q - 1];
                    q--;
                }
                rs->ranges[q].start = rs->dr[k].start;
                rs->ranges[q].end = rs->dr[k].end;
                rs->ranges[q].label = rs->dr[k].label;
            }
            rs->n_ranges = rs->n_during;
        }
    } else {
        if (edb_time_parse(start_s, now, &start, &err) != EDB_OK)
            return cli_fail(err.status, "--start: %s", err.msg);
        if (for_s) {
            /* [START, START+DUR): in microseconds, the last instant is START+DUR-1us, so the
             * range is half-open exactly, down to a sample stamped on the end. */
            int64_t dur;
            if (edb_duration_parse(for_s, &dur, &err) != EDB_OK)
                return cli_fail(EDB_ERR_USAGE, "--for: %s", err.msg);
            if (dur <= 0)
                return cli_fail(EDB_ERR_USAGE, "--for: the range must be longer than 0");
            if (dur > EDB_TIME_MAX - start ||
                start + dur - 1 > edb_time_from_civil(9999, 12, 31, 23, 59, 59, 999999))
                return cli_fail(EDB_ERR_USAGE, "--for %s: the range ends after the year 9999",
                                for_s);
            end = start + dur - 1;
            rs->end_open = 1;
        } else if (edb_time_parse(end_s ? end_s : "now", now, &end, &err) != EDB_OK) {
            return cli_fail(err.status, "--end: %s", err.msg);
        }
    }
    if (end < start) {
        char a[EDB_TIME_STRLEN], b[EDB_TIME_STRLEN];
        edb_time_format_iso(start, a, sizeof a);
        edb_time_format_iso(end, b, sizeof b);
        return cli_fail(EDB_ERR_USAGE, "the end (%s) is before the start (%s)", b, a);
    }
    if (format && !edb_format_known(format)) {
        char known[256];
        size_t o = 0;
        known[0] = '\0';
        for (size_t k = 0; k < edb_format_count() && o < sizeof known; k++)
            o += (size_t)snprintf(known + o, sizeof known - o, "%s%s", k ? ", " : "",
                                  edb_format_name(k));
        return cli_fail(EDB_ERR_USAGE, "unknown --format '%s' (known: %s)", format, known);
    }

    /* Raw samples drawn as a plot: --max-gap says where its lines break (the plot's own
     * -O max-gap), with no grid to apply to. */
    const char *shown_as = format ? format : edb_format_from_path(output);
    if (rs->max_gap && !rs->every && !rs->on && !rs->at && !rs->align && !rs->daily &&
        !rs->hourly && !rs->blocks && !rs->group_by && shown_as &&
        format_takes(shown_as, "max-gap")) {
        if (n_wopts == GET_MAX_WOPTS)
            return cli_fail(EDB_ERR_USAGE, "at most %d -O options", GET_MAX_WOPTS);
        snprintf(max_gap_opt, sizeof max_gap_opt, "max-gap=%s", rs->max_gap);
        wopts[n_wopts++] = max_gap_opt;
        rs->max_gap = NULL;
    }
    rs->quiet = quiet;
    const int resample = rs_active(rs);
    const char *const *args_names = mnemonics;
    const size_t n_args = n_mnemonics;
    if (resample) {
        if (rs_prepare(rs, mnemonics, n_mnemonics, start, end, now, &err) != EDB_OK)
            return cli_fail(err.status, "%s", err.msg);
        mnemonics = rs->fetch;
        n_mnemonics = rs->n_fetch;
    }

    edb_client_options co = EDB_CLIENT_OPTIONS_INIT;
    if (!base_url)
        base_url = getenv("ENG_BASE_URL");
    if (base_url && *base_url)
        co.base_url = base_url;
    if (cli_service_options(&co, api, edp_mission, &err) != EDB_OK)
        return cli_fail(err.status, "%s", err.msg);
    /* Local data is read once: chunks shape requests to a service, not reads of a store. */
    int64_t fetch_chunk_us = get_local.source ? 0 : chunk_us;
    /* The brackets are always fetched: resampling uses them, and raw output cuts them off
     * unless --brackets asks for them (edb_series_view, no copy). */
    edb_query q = {.mnemonics = mnemonics, .n_mnemonics = n_mnemonics, .start = start,
                   .end = end, .keep_brackets = 1, .chunk_us = fetch_chunk_us,
                   .keep_going = keep_going};
    cli_scale_ctx sx = {plan_only, get_local.source != NULL, get_local.no_cache,
                        get_local.refresh, names_from_stdin,
                        strcmp(output, "-") ? output : NULL, get_local.bundle,
                        get_local.cache_dir, argc, argv, start, end, now,
                        jobs, &co};
    if (cli_scale_check(&scale, &sx, &err) != EDB_OK)
        return cli_fail(err.status, "%s", err.msg);
    q.shard_k = scale.k;
    q.shard_n = scale.n;
    if (plan_only && (scale.shard_s || scale.shards_s))
        return cli_scale_plan(&co, &q, &scale);
    if (plan_only)
        return cli_print_plan(&co, mnemonics, n_mnemonics, start, end,
                              resample ? 1 : brackets, fetch_chunk_us);
    if (!timeout_s)
        timeout_s = getenv("ENG_TIMEOUT");
    if (timeout_s && *timeout_s && cli_parse_timeout(timeout_s, &co.timeout_us, &err) != EDB_OK)
        return cli_fail(EDB_ERR_USAGE, "timeout: %s", err.msg);
    if (!retries_s)
        retries_s = getenv("ENG_RETRIES");
    if (retries_s && *retries_s) {
        long r;
        if (cli_parse_count("number of retries", retries_s, 100, &r, &err) != EDB_OK)
            return cli_fail(err.status, "%s", err.msg);
        co.retries = (int)r;
    }
    co.cacert = cacert;
    co.parallel = (int)jobs;
    if (verbose)
        co.log = cli_log_line;
    cli_progress prog;
    cli_progress_init(&prog, progress);
    if (prog.on) {
        co.progress = cli_progress_update;
        co.progress_ctx = &prog;
    }
    cli_trap_signals();
    co.cancel = &cli_interrupted;

    char *token = NULL;
    /* A local source needs no token, nor writing a job script: none is read, so none can
     * leak. */
    if (!get_local.source && !scale.slurm_s &&
        cli_token_find(token_file, co.base_url, &token, &err) != EDB_OK)
        return cli_fail(err.status, "%s", err.msg);
    cli_secret_add(token); /* from here on, no message shows it */
    co.token = token;
    if (edb_base_url_check(co.base_url, token != NULL && edb_service_takes_token(co.service),
                           &err) != EDB_OK) {
        cli_free_secret(token);
        return cli_fail(err.status, "%s", err.msg);
    }

    get_local.need_cache = scale.shard_s || scale.offline;
    if (!scale.slurm_s && cli_local_setup(&get_local, &co, now, output, token, &err) != EDB_OK) {
        cli_free_secret(token);
        return cli_fail(err.status, "%s", err.msg);
    }
    if (scale.offline) {
        /* Every request is looked for before anything is written; none goes out. */
        co.offline = 1;
        code = cli_scale_check_cache(&co, &q, &scale, get_local.cache, now, NULL, 0);
        if (code != EXIT_OK && !(code == EXIT_MISSING && keep_going)) {
            cli_free_secret(token);
            return code;
        }
    }
    if (scale.shard_s) {
        /* Shard 0 also puts the inventory in the cache, for the assembly (--offline) to take
         * units, descriptions and subsystems from, and refuses a name the service does not
         * list; the other shards do not ask for it. */
        size_t n_refused = 0;
        code = scale.k != 0 ? -1
                            : get_lookup(&co, mnemonics, n_mnemonics, no_meta, recorded_inv,
                                         inv_max_age_us, quiet, keep_going, &n_refused);
        if (code < 0)
            code = run_shard(&co, &q, &scale, now, quiet, &prog);
        cli_free_secret(token);
        return code;
    }

    /* What the options and the metadata (--meta, a store's meta.json) can refuse is
     * refused now, before the first request. */
    if ((resample || rs->n_fail) &&
        rs_check(rs, resample, args_names, n_args, rs->fail_v, rs->n_fail, &err) != EDB_OK) {
        cli_free_secret(token);
        return cli_fail(err.status, "%s", err.msg);
    }

    /* Open the output first: a bad output folder fails before any request is made. */
    /* The command line goes into the file (FITS HISTORY, an HDF5 attribute): made from the
     * record of the options (record.h), so that a replay writes the same bytes; it holds
     * no secret, since the token is refused on the command line.  The run's time goes in
     * only with --stamp (the clock, or in a replay the recorded time) or SOURCE_DATE_EPOCH
     * (the reproducible-builds convention: it is the time), so by default the same query
     * gives the same bytes whenever it runs. */
    edb_run_info run = {cli_local_text(&get_local), now, start, end, stamp};
    const char *sde = getenv("SOURCE_DATE_EPOCH");
    if (sde && *sde) {
        char *endp;
        long long secs = strtoll(sde, &endp, 10);
        if (*endp || secs < 0)
            return cli_fail(EDB_ERR_USAGE, "SOURCE_DATE_EPOCH='%s' is not a count of seconds",
                            sde);
        run.run_time = (edb_time)secs * EDB_USEC_PER_SEC;
        run.stamp = 1;
    }
    edb_writer_options wo = EDB_WRITER_OPTIONS_INIT;
    wo.format = format;
    wo.run = &run;
    wo.options = wopts;
    wo.n_options = n_wopts;
    edb_writer *w = NULL;
    if (edb_writer_open(&w, output, &wo, &err) != EDB_OK) {
        cli_free_secret(token);
        return cli_fail(err.status, "%s", err.msg);
    }
    /* A plot of more mnemonics than it can show is refused before anything is fetched. */
    size_t n_shown = rs->n_exprs;
    for (size_t k = 0; k < names->n; k++) {
        int seen = 0;
        for (size_t j = 0; j < k && !seen; j++)
            seen = strcasecmp(names->v[j], names->v[k]) == 0;
        n_shown += !seen;
    }
    if (edb_writer_check_columns(w, n_shown, &err) != EDB_OK) {
        cli_free_secret(token);
        edb_writer_free(w);
        return cli_fail(err.status, "%s", err.msg);
    }
    if (scale.slurm_s) {
        /* The output folder and the writer's options are good: the assembly will write. */
        edb_writer_free(w);
        return cli_scale_slurm(&scale, &sx);
    }

    edb_client *client = NULL;
    edb_status st = edb_client_new(&client, &co);
    if (st != EDB_OK) {
        cli_free_secret(token);
        edb_writer_free(w);
        return cli_fail(st, "cannot set up the HTTP client: %s", edb_strerror(st));
    }
    /* A plan that cannot be (too many requests) is refused before any request too. */
    code = -1;
    edb_plan *plan = NULL;
    if ((st = edb_client_plan(client, &q, &plan)) != EDB_OK)
        code = cli_fail(st, "%s", edb_client_errmsg(client));
    edb_plan_free(plan);

    /* What the service knows of the mnemonics, and whether it knows them at all: the
     * first request, once everything that can be refused without one has been; then the
     * checks above again with the types it gave, before any data request.  --offline
     * reads the cache's copy only. */
    size_t n_refused = 0;
    if (code < 0 &&
        (code = get_lookup(&co, mnemonics, n_mnemonics, no_meta, recorded_inv, inv_max_age_us,
                           quiet, keep_going, &n_refused)) < 0 &&
        get_inv && edb_meta_count(get_inv) > 0 && (resample || rs->n_fail) &&
        rs_check(rs, resample, args_names, n_args, rs->fail_v, rs->n_fail, &err) != EDB_OK)
        code = cli_fail(err.status, "%s", err.msg);
    cli_free_secret(token);
    if (code >= 0) {
        edb_writer_free(w);
        edb_client_free(client);
        return code;
    }
    if (n_refused) {
        q.mnemonics = mnemonics = get_kept;
        q.n_mnemonics = n_mnemonics = n_get_kept;
    }
    edb_result *res = NULL;
    if (get_local.store) {
        /* A local source decodes its files on every core before the fetch asks for them. */
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        edb_store_prefetch(get_local.store, co.service, mnemonics, n_mnemonics,
                           cpus < 1 ? 1 : cpus > 8 ? 8 : (int)cpus);
    }
    st = edb_client_fetch(client, &q, &res);
    cli_progress_done(&prog);
    edb_status fetch_st = st;
    if (st != EDB_OK && !(st == EDB_ERR_PARTIAL && res)) {
        code = cli_fail(st, "%s", edb_client_errmsg(client));
        /* --offline: a reply the check found but that did not read back (damaged since,
         * or removed) is missing from the cache, not unknown to the EDB. */
        if (scale.offline && st == EDB_ERR_NOT_FOUND)
            code = EXIT_MISSING;
        edb_writer_free(w);
        edb_client_free(client);
        return code;
    }
    if (get_note[0])
        cli_warn("%s", get_note);
    size_t n = edb_result_count(res);
    edb_err merr = EDB_ERR_INIT;
    /* Before resampling: the default method of a change-only mnemonic depends on it. */
    if ((st = apply_meta(res, &merr)) != EDB_OK) {
        code = cli_fail(st, "%s", merr.msg);
        edb_writer_free(w);
        edb_result_free(res);
        edb_client_free(client);
        return code;
    }
    const edb_series **series = calloc(n ? n : 1, sizeof *series);
    if (!series) {
        edb_writer_free(w);
        edb_result_free(res);
        edb_client_free(client);
        return cli_fail(EDB_ERR_NOMEM, "out of memory");
    }
    /* With --keep-going, what failed is left out of the output and listed. */
    size_t rows = 0, nw = 0;
    for (size_t k = 0; k < n; k++) {
        if (edb_result_status(res, k) != EDB_OK) {
            cli_warn("missing %s", edb_result_errmsg(res, k));
            continue;
        }
        series[nw] = edb_result_series(res, k);
        rows += series[nw++]->n;
    }
    /* The brackets are always fetched: resampling needs them, and without them an empty
     * range could not say what value was in force. */
    edb_err rerr = EDB_ERR_INIT;
    size_t fail_cnt[GET_MAX_FAIL] = {0};
    if (resample) {
        st = rs_write(rs, w, series, nw, names->n, brackets, &rows, rs->fail_v, rs->n_fail,
                      fail_cnt, &rerr);
    } else {
        /* Raw samples: views of the range (the brackets too with --brackets), no copy. */
        edb_series *views = calloc(nw ? nw : 1, sizeof *views);
        const edb_series **vp = calloc(nw ? nw : 1, sizeof *vp);
        if (!views || !vp) {
            st = edb_err_set(&rerr, EDB_ERR_NOMEM, "out of memory");
        } else {
            rows = 0;
            for (size_t k = 0; k < nw; k++) {
                const edb_series *s = series[k];
                size_t i0 = brackets ? 0 : edb_series_lower_bound(s, start);
                size_t i1 = brackets ? s->n : edb_series_upper_bound(s, end);
                edb_series_view(&views[k], s, i0, i1);
                vp[k] = &views[k];
                rows += views[k].n;
            }
            if (!quiet)
                say_empty(series, nw, start, end, brackets);
            st = edb_writer_write_series(w, vp, nw);
            if (st == EDB_OK && rs->n_fail)
                st = fail_count(rs->fail_v, rs->n_fail, NULL, vp, nw, fail_cnt, &rerr);
        }
        free(views);
        free(vp);
    }
    if (st == EDB_OK && cli_interrupted)
        st = edb_err_set(&rerr, EDB_ERR_INTERRUPTED, "interrupted: nothing was written");
    if (st == EDB_OK)
        st = cli_local_close_output(&get_local, w, output, &rerr);
    if (st == EDB_OK && get_local.bundle)
        st = cli_local_finish(&get_local, &co, (const char *const *)names->v, names->n, start,
                              end, brackets, chunk_us, output, &rerr);
    /* Both outputs in place, or neither (a signal or a failure puts the old file back). */
    st = cli_local_settle(&get_local, st, output, &rerr);
    code = EXIT_OK;
    /* Alerts are reported whatever else happens to the run, once the output is whole. */
    int alerted = st == EDB_OK && fail_report(rs->fail, fail_cnt, rs->n_fail);
    if (st != EDB_OK && edb_writer_pipe_closed(w))
        code = EXIT_PIPE; /* | head has what it wanted: quiet, as cat would be */
    else if (st != EDB_OK)
        code = cli_fail(st, "%s", rerr.msg[0] ? rerr.msg : edb_writer_errmsg(w));
    else if (fetch_st == EDB_ERR_PARTIAL || n_refused)
        code = cli_fail(EDB_ERR_PARTIAL, "wrote %zu of %zu mnemonics; %zu failed (listed above)",
                        nw, n + n_refused, n - nw + n_refused);
    else if (alerted)
        code = EXIT_ALERT; /* below every real failure: the output is complete */
    else if (verbose) {
        edb_client_stats stats;
        edb_client_get_stats(client, &stats);
        fprintf(stderr, "edbx: wrote %zu samples of %zu mnemonic%s to %s (%lu requests, %lu "
                "retries, %llu bytes)\n", rows, n, n == 1 ? "" : "s",
                strcmp(output, "-") ? output : "standard output", stats.requests,
                stats.retries, stats.bytes);
    }
    free(series);
    edb_writer_free(w);
    edb_result_free(res);
    edb_client_free(client);
    return code;
}

int cmd_get(int argc, char **argv)
{
    cli_names names = {0};
    get_rs rs;
    memset(&rs, 0, sizeof rs);
    memset(&get_local, 0, sizeof get_local);
    /* From the start: a signal at any moment ends the run through its clean-up. */
    cli_trap_signals();
    int rc = run_get(argc, argv, &names, &rs);
    cli_local_free(&get_local);
    edb_meta_free(get_meta);
    get_meta = NULL;
    edb_meta_free(get_inv);
    get_inv = NULL;
    free(get_kept);
    get_kept = NULL;
    n_get_kept = 0;
    get_note[0] = '\0';
    rs_free(&rs);
    cli_names_free(&names);
    return rc;
}
