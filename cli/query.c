/* query.c: a query as `edbx get`'s options make it (query.h), shared by get and monitor.
 * Moved out of get.c unchanged in behaviour: the option-to-spec logic has one home. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <edb/writer.h>

#include "discover.h"
#include "get_options.h"
#include "query.h"

int cli_query_active(const cli_query *r)
{
    return r->every || r->on || r->at || r->method || r->max_gap || r->stats || r->clip ||
           r->align || r->weighted || r->daily || r->hourly || r->changes || r->n_where ||
           r->n_exprs || r->blocks || r->group_by || r->n_ranges > 1 || r->daily_window;
}

void cli_query_free(cli_query *r)
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
    edb_resampler_free(r->early);
    r->early = NULL;
}

edb_status cli_query_take(cli_query *rs, const cli_opt *o, const char *optarg, int *taken,
                          edb_err *err)
{
    *taken = 1;
    switch (o->id) {
    case GOPT_DURING:
        if (rs->n_during == GET_MAX_DURING)
            return edb_err_set(err, EDB_ERR_USAGE, "at most %d --during files", GET_MAX_DURING);
        rs->during[rs->n_during++] = optarg;
        break;
    case GOPT_EVERY: rs->every = optarg; break;
    case GOPT_ON: rs->on = optarg; break;
    case GOPT_AT: rs->at = optarg; break;
    case GOPT_METHOD: rs->method = optarg; break;
    case GOPT_MAX_GAP: rs->max_gap = optarg; break;
    case GOPT_STATS: rs->stats = optarg; break;
    case GOPT_CLIP: rs->clip = optarg; break;
    case GOPT_WEIGHTED: rs->weighted = 1; break;
    case GOPT_DAILY: rs->daily = 1; break;
    case GOPT_DAILY_WINDOW: rs->daily_window = optarg; break;
    case GOPT_HOURLY: rs->hourly = 1; break;
    case GOPT_ALIGN: rs->align = optarg; break;
    case GOPT_CHANGES: rs->changes = 1; break;
    case GOPT_WHERE:
        if (rs->n_where == GET_MAX_WHERE)
            return edb_err_set(err, EDB_ERR_USAGE, "at most %d --where conditions",
                               GET_MAX_WHERE);
        rs->where[rs->n_where++] = optarg;
        break;
    case GOPT_EXPR:
        if (rs->n_exprs == GET_MAX_EXPR)
            return edb_err_set(err, EDB_ERR_USAGE, "at most %d --expr columns", GET_MAX_EXPR);
        rs->exprs[rs->n_exprs++] = optarg;
        break;
    case GOPT_BLOCKS: rs->blocks = 1; break;
    case GOPT_GROUP_BY: rs->group_by = optarg; break;
    case GOPT_FAIL_IF: {
        if (rs->n_fail == GET_MAX_FAIL)
            return edb_err_set(err, EDB_ERR_USAGE, "at most %d --fail-if conditions",
                               GET_MAX_FAIL);
        edb_err perr = EDB_ERR_INIT;
        if (edb_expr_parse(&rs->fail_v[rs->n_fail], optarg, EDB_EXPR_CONDITION, &perr) !=
            EDB_OK)
            return edb_err_set(err, perr.status, "--fail-if %s", perr.msg);
        rs->fail[rs->n_fail++] = optarg;
        break;
    }
    default:
        *taken = 0;
        break;
    }
    return EDB_OK;
}

edb_status cli_query_range_check(const cli_query *rs, const char *start_s, const char *end_s,
                                 const char *for_s, edb_err *err)
{
    if (rs->n_during && (start_s || end_s || for_s))
        return edb_err_set(err, EDB_ERR_USAGE, "--during gives the range: drop %s",
                           start_s ? "--start" : end_s ? "--end" : "--for");
    if (!start_s && !rs->n_during)
        return edb_err_set(err, EDB_ERR_USAGE, "--start is required (e.g. --start "
                           "2022-02-02T22:24:58 or --start now-6h; or --during FILE.fits)");
    if (for_s && end_s)
        return edb_err_set(err, EDB_ERR_USAGE, "--for and --end both give the end: use one "
                           "of them");
    return EDB_OK;
}

edb_status cli_query_range(cli_query *rs, const char *start_s, const char *end_s,
                           const char *for_s, edb_time now, edb_time *startp, edb_time *endp,
                           edb_err *err)
{
    edb_time start = 0, end = 0;
    edb_err terr = EDB_ERR_INIT;
    if (rs->n_during) {
        /* One range per file; the fetch covers them all, from the first start to the last
         * end. */
        if (!(rs->dr = calloc(rs->n_during, sizeof *rs->dr)))
            return edb_err_set(err, EDB_ERR_NOMEM, "out of memory");
        for (size_t k = 0; k < rs->n_during; k++) {
            if (cli_during_read(rs->during[k], &rs->dr[k], err) != EDB_OK)
                return err->status;
            if (k == 0 || rs->dr[k].start < start)
                start = rs->dr[k].start;
            if (k == 0 || rs->dr[k].end > end)
                end = rs->dr[k].end;
        }
        if (rs->n_during > 1) {
            if (!(rs->ranges = calloc(rs->n_during, sizeof *rs->ranges)))
                return edb_err_set(err, EDB_ERR_NOMEM, "out of memory");
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
        if (edb_time_parse(start_s, now, &start, &terr) != EDB_OK)
            return edb_err_set(err, terr.status, "--start: %s", terr.msg);
        if (for_s) {
            /* [START, START+DUR): in microseconds, the last instant is START+DUR-1us, so the
             * range is half-open exactly, down to a sample stamped on the end. */
            int64_t dur;
            if (edb_duration_parse(for_s, &dur, &terr) != EDB_OK)
                return edb_err_set(err, EDB_ERR_USAGE, "--for: %s", terr.msg);
            if (dur <= 0)
                return edb_err_set(err, EDB_ERR_USAGE, "--for: the range must be longer than 0");
            if (dur > EDB_TIME_MAX - start ||
                start + dur - 1 > edb_time_from_civil(9999, 12, 31, 23, 59, 59, 999999))
                return edb_err_set(err, EDB_ERR_USAGE, "--for %s: the range ends after the "
                                   "year 9999", for_s);
            end = start + dur - 1;
            rs->end_open = 1;
        } else if (edb_time_parse(end_s ? end_s : "now", now, &end, &terr) != EDB_OK) {
            return edb_err_set(err, terr.status, "--end: %s", terr.msg);
        }
    }
    if (end < start) {
        char a[EDB_TIME_STRLEN], b[EDB_TIME_STRLEN];
        edb_time_format_iso(start, a, sizeof a);
        edb_time_format_iso(end, b, sizeof b);
        return edb_err_set(err, EDB_ERR_USAGE, "the end (%s) is before the start (%s)", b, a);
    }
    *startp = start;
    *endp = end;
    return EDB_OK;
}

/* The times of --at FILE, one per line. */
static edb_status read_times(cli_query *r, edb_time now, edb_err *err)
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
static void fetch_add(cli_query *r, const char *name)
{
    for (size_t k = 0; k < r->n_fetch; k++)
        if (strcmp(r->fetch[k], name) == 0)
            return;
    r->fetch[r->n_fetch++] = name;
}

/* Is name defined by one of the first upto --expr? */
static int is_derived(const cli_query *r, const char *name, size_t upto)
{
    for (size_t k = 0; k < upto; k++)
        if (strcmp(edb_expr_name(r->expr_v[k]), name) == 0)
            return 1;
    return 0;
}

/* The most days --daily-window cuts a range into (27 centuries). */
#define MAX_WINDOW_DAYS 1000000

/* --daily-window HH:MM[:SS]/DUR: one range per UTC day, [day + HH:MM, day + HH:MM + DUR),
 * cut to [start, end]; the daily bins then count only the samples inside them. */
static edb_status daily_window(cli_query *r, edb_time start, edb_time end, edb_err *err)
{
    const char *w = r->daily_window, *slash = strchr(w, '/');
    if (!r->daily)
        return edb_err_set(err, EDB_ERR_USAGE, "--daily-window chooses the part of each day "
                           "that daily statistics count: add --daily");
    if (r->n_ranges > 1)
        return edb_err_set(err, EDB_ERR_USAGE, "--daily-window and several --during do not "
                           "combine: each exposure is a range of its own");
    int hh = -1, mm = -1, ss = 0;
    size_t tl = slash ? (size_t)(slash - w) : 0;
    int ok = slash && (tl == 5 || tl == 8) && w[2] == ':' && (tl == 5 || w[5] == ':');
    for (size_t k = 0; ok && k < tl; k++)
        ok = (k % 3 == 2) || (w[k] >= '0' && w[k] <= '9');
    if (ok) {
        hh = (w[0] - '0') * 10 + (w[1] - '0');
        mm = (w[3] - '0') * 10 + (w[4] - '0');
        if (tl == 8)
            ss = (w[6] - '0') * 10 + (w[7] - '0');
        ok = hh < 24 && mm < 60 && ss < 60;
    }
    int64_t dur = 0;
    edb_err derr = EDB_ERR_INIT;
    if (ok)
        ok = edb_duration_parse(slash + 1, &dur, &derr) == EDB_OK && dur > 0;
    const int64_t tod = ((int64_t)hh * 3600 + mm * 60 + ss) * EDB_USEC_PER_SEC;
    if (!ok || tod + dur > EDB_USEC_PER_DAY)
        return edb_err_set(err, EDB_ERR_USAGE, "--daily-window '%s': give the time of day and "
                           "the length of each day's window, HH:MM/DUR (e.g. 12:00/15min); the "
                           "window must end by midnight", w);
    edb_time d0 = edb_time_floor(start, EDB_USEC_PER_DAY);
    uint64_t days = ((uint64_t)end - (uint64_t)d0) / (uint64_t)EDB_USEC_PER_DAY + 1;
    if (days > MAX_WINDOW_DAYS)
        return edb_err_set(err, EDB_ERR_USAGE, "--daily-window over %llu days (at most %d): "
                           "choose a shorter range", (unsigned long long)days, MAX_WINDOW_DAYS);
    if (!(r->ranges = calloc((size_t)days, sizeof *r->ranges)))
        return edb_err_set(err, EDB_ERR_NOMEM, "out of memory");
    size_t n = 0;
    for (uint64_t k = 0; k < days; k++) {
        edb_time a = d0 + (edb_time)k * EDB_USEC_PER_DAY + tod, b = a + dur - 1;
        if (a < start)
            a = start;
        if (b > end)
            b = end;
        if (a <= b)
            r->ranges[n++] = (edb_range){a, b, NULL};
    }
    if (n == 0)
        return edb_err_set(err, EDB_ERR_USAGE, "--daily-window %s: no day's window falls inside "
                           "the range", w);
    r->n_ranges = n;
    r->spec.ranges = r->ranges;
    r->spec.n_ranges = n;
    r->spec.range_column = NULL;
    return EDB_OK;
}

/* Check the options against each other and turn them into a spec, before any request. */
edb_status cli_query_prepare(cli_query *r, const char *const *names, size_t n, edb_time start,
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
    } else if (r->on && strcmp(r->on, "union") == 0) {
        /* The union of the output mnemonics' sample times, each column by its own point
         * method (--align holds them all). */
        r->spec.grid = EDB_GRID_UNION;
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
        edb_status st = read_times(r, now, err);
        if (st != EDB_OK)
            return st;
    }
    if (rows && !r->stats)
        r->stats = GET_DEFAULT_STATS;
    if (r->daily_window) {
        edb_status st = daily_window(r, start, end, err);
        if (st != EDB_OK)
            return st;
    }
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
    if (r->n_ranges > 1 && !r->daily_window) {
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
        fetch_add(r, r->cols[k]);
    }
    r->n_fetch_out = r->n_fetch;
    /* Mnemonics named only in conditions, expressions, as the grid or as the state are
     * fetched too; a name an --expr defines is a column, not a mnemonic (for a condition,
     * any --expr; for an expression, only an earlier one). */
    for (size_t k = 0; k < r->n_exprs; k++)
        for (size_t q = 0; q < edb_expr_ref_count(r->expr_v[k]); q++)
            if (!is_derived(r, edb_expr_ref(r->expr_v[k], q), k))
                fetch_add(r, edb_expr_ref(r->expr_v[k], q));
    for (size_t k = 0; k < r->n_where; k++)
        for (size_t q = 0; q < edb_expr_ref_count(r->where_v[k]); q++)
            if (!is_derived(r, edb_expr_ref(r->where_v[k], q), r->n_exprs))
                fetch_add(r, edb_expr_ref(r->where_v[k], q));
    if (r->spec.on)
        fetch_add(r, r->spec.on);
    if (r->spec.group_by)
        fetch_add(r, r->spec.group_by);
    return EDB_OK;
}

const edb_series *cli_query_find(const edb_series *const *series, size_t n, const char *name)
{
    for (size_t k = 0; k < n; k++)
        if (strcmp(series[k]->mnemonic, name) == 0)
            return series[k];
    return NULL;
}

edb_vtype cli_query_meta_type(const edb_meta *meta, const edb_meta *inv, const edb_store *store,
                              const char *name)
{
    const edb_meta *tables[] = {meta, inv};
    for (size_t k = 0; k < 2; k++) {
        const edb_meta_entry *e = tables[k] ? edb_meta_find(tables[k], name) : NULL;
        if (e && e->sqltype) {
            edb_vtype t = edb_vtype_from_sqltype(e->sqltype, strlen(e->sqltype));
            if (t != EDB_VT_NONE)
                return t;
        }
    }
    edb_meta_entry se;
    if (store && edb_store_meta(store, name, &se) && se.sqltype)
        return edb_vtype_from_sqltype(se.sqltype, strlen(se.sqltype));
    return EDB_VT_NONE;
}

/* Every refusal the options and the metadata can tell before any request: the same
 * checks as the run itself makes, on empty series of the types metadata knows, and
 * --fail-if against the columns that run would write. */
edb_status cli_query_check(cli_query *r, int resample, const char *const *names,
                           size_t n_names, const edb_meta *meta, const edb_meta *inv,
                           const edb_store *store, edb_err *err)
{
    edb_expr *const *fail = r->fail_v;
    size_t n_fail = r->n_fail;
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
        edb_vtype t = cli_query_meta_type(meta, inv, store, name);
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
void cli_query_gap(void *ctx, const edb_gap *g)
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
edb_status cli_query_fail_count(edb_expr *const *fail, size_t n_fail, const edb_table *t,
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
int cli_query_fail_report(const char *const *text, const size_t *cnt, size_t n_fail)
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
void cli_query_say_empty(const edb_series *const *series, size_t n, edb_time start, edb_time end,
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
static edb_status subsystems_to_columns(edb_table *t, const edb_series *const *series,
                                        size_t n, edb_err *err)
{
    for (size_t k = 0; k < t->ncols; k++) {
        edb_column *c = &t->cols[k];
        const edb_series *s = c->mnemonic ? cli_query_find(series, n, c->mnemonic) : NULL;
        if (s && s->subsystem && !c->subsystem &&
            edb_column_set_subsystem(c, s->subsystem) != EDB_OK)
            return edb_err_set(err, EDB_ERR_NOMEM, "out of memory");
    }
    return EDB_OK;
}

/* The output columns: the arguments in their order, once each, as far as they were
 * fetched (--keep-going leaves failed ones out); their number. */
static size_t set_columns(cli_query *r, const edb_series *const *series, size_t n,
                          size_t n_args, int brackets)
{
    size_t nc = 0;
    for (size_t k = 0; k < n_args; k++) {
        int dup = 0;
        for (size_t q = 0; q < nc; q++)
            dup |= strcmp(r->col_v[q], r->cols[k]) == 0;
        if (!dup && cli_query_find(series, n, r->cols[k]))
            r->col_v[nc++] = r->cols[k];
    }
    r->spec.columns = r->col_v;
    r->spec.n_columns = nc;
    r->spec.keep_brackets = brackets;
    if (!r->quiet)
        r->spec.on_gap = cli_query_gap;
    return nc;
}

edb_status cli_query_table(cli_query *r, const edb_series *const *series, size_t n,
                           size_t n_args, int brackets, edb_table **out,
                           edb_resample_info *info, edb_err *err)
{
    set_columns(r, series, n, n_args, brackets);
    edb_status st = edb_resample(series, n, &r->spec, out, info, err);
    if (st == EDB_OK && (st = subsystems_to_columns(*out, series, n, err)) != EDB_OK) {
        edb_table_free(*out);
        *out = NULL;
    }
    return st;
}

/* Run the transform on what was fetched and write it. */
edb_status cli_query_write(cli_query *r, edb_writer *w, const edb_series **series, size_t n,
                           size_t n_args, int brackets, size_t *rows, edb_expr *const *fail,
                           size_t n_fail, size_t *fail_cnt, edb_err *err)
{
    size_t nc = set_columns(r, series, n, n_args, brackets);
    edb_resample_info info = {0, 0};
    edb_status st;
    const int table = r->grid || r->blocks || r->group_by || r->n_ranges > 1;
    if (table) {
        edb_table *t = NULL;
        if (r->early) {
            /* Every mnemonic was resampled as it came in: the table is assembled. */
            st = edb_resampler_finish(r->early, &r->spec, &t, &info, err);
            edb_resampler_free(r->early);
            r->early = NULL;
        } else {
            st = edb_resample(series, n, &r->spec, &t, &info, err);
        }
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
            st = cli_query_fail_count(fail, n_fail, t, NULL, 0, fail_cnt, err);
        edb_table_free(t);
    } else {
        edb_series **out = NULL;
        size_t nout = 0;
        st = edb_filter(series, n, &r->spec, &out, &nout, &info, err);
        for (size_t k = 0; k < nout && st == EDB_OK; k++) {
            const edb_series *from = cli_query_find(series, n, out[k]->mnemonic);
            if (from && from->subsystem && !out[k]->subsystem &&
                edb_series_set_subsystem(out[k], from->subsystem) != EDB_OK)
                st = edb_err_set(err, EDB_ERR_NOMEM, "out of memory");
        }
        if (st == EDB_OK) {
            if (!r->quiet && !r->n_where) {
                const edb_series **o = calloc(nc ? nc : 1, sizeof *o);
                for (size_t k = 0; o && k < nc; k++)
                    o[k] = cli_query_find(series, n, r->col_v[k]);
                if (o)
                    cli_query_say_empty(o, nc, r->spec.start, r->spec.end, brackets);
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
            st = cli_query_fail_count(fail, n_fail, NULL, (const edb_series *const *)out, nout, fail_cnt,
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

/* What the metadata knows of one series.  The --meta files come first; the inventory (the
 * service's, or a store's meta.json) and a store's meta.json only fill what they leave
 * unknown, because a file named on the command line is the user's word.  Series are
 * independent (each takes only its own entries), so one at a time, as each is fetched,
 * is the same as all of them together. */
static edb_status apply_meta_one(edb_series *s, edb_meta **meta, const edb_meta *inv,
                                 const edb_store *store, edb_err *err)
{
    if (inv && ((*meta && edb_meta_apply(*meta, s) != EDB_OK) || edb_meta_apply(inv, s) != EDB_OK))
        return edb_err_set(err, EDB_ERR_NOMEM, "out of memory");
    if (!*meta && !store)
        return EDB_OK;
    if (!*meta && edb_meta_new(meta) != EDB_OK)
        return edb_err_set(err, EDB_ERR_NOMEM, "out of memory");
    edb_meta_entry e;
    if (store && edb_store_meta(store, s->mnemonic, &e) && edb_meta_add(*meta, &e, err) != EDB_OK)
        return err->status;
    if (edb_meta_apply(*meta, s) != EDB_OK)
        return edb_err_set(err, EDB_ERR_NOMEM, "out of memory");
    return EDB_OK;
}

/* Give every fetched series what the metadata knows of it. */
edb_status cli_query_apply_meta(edb_result *res, edb_meta **meta, const edb_meta *inv,
                                const edb_store *store, edb_err *err)
{
    for (size_t k = 0; k < edb_result_count(res); k++) {
        edb_series *s = edb_result_series_mut(res, k);
        if (!s || edb_result_status(res, k) != EDB_OK)
            continue;
        edb_status st = apply_meta_one(s, meta, inv, store, err);
        if (st != EDB_OK)
            return st;
    }
    return EDB_OK;
}

/* A mnemonic fetched whole: its columns now, its samples freed (its name and metadata
 * stay, for the messages and the columns' subsystems). */
static edb_status early_one(void *ctx, size_t i, edb_series *s, edb_err *err)
{
    cli_query *r = ctx;
    edb_status st = apply_meta_one(s, r->early_meta, r->early_inv, r->early_store, err);
    if (st != EDB_OK)
        return st;
    if ((st = edb_resampler_add(r->early, i, s)) != EDB_OK)
        return edb_err_set(err, st, "%s: cannot be resampled alone", s->mnemonic);
    edb_series *gone = NULL;
    if (edb_series_new(&gone, s->mnemonic) == EDB_OK) {
        edb_series_move_samples(gone, s);
        edb_series_free(gone);
    }
    return EDB_OK;
}

edb_status cli_query_early(cli_query *r, edb_query *q, edb_meta **meta, const edb_meta *inv,
                           const edb_store *store, edb_err *err)
{
    (void)err;
    if (r->early || !edb_resample_separable(&r->spec) || q->shard_n)
        return EDB_OK;
    edb_err rerr = EDB_ERR_INIT;
    /* A grid that cannot be made is refused by the run after the fetch, as before. */
    if (edb_resampler_new(&r->early, &r->spec, q->n_mnemonics, &rerr) != EDB_OK)
        return EDB_OK;
    r->early_meta = meta;
    r->early_inv = inv;
    r->early_store = store;
    q->on_mnemonic = early_one;
    q->on_mnemonic_ctx = r;
    return EDB_OK;
}

/* ---- the service, the transfers and the token ------------------------------------------ */

edb_status cli_query_service(edb_client_options *co, const char *base_url, const char *api,
                             const char *edp_mission, edb_err *err)
{
    if (!base_url)
        base_url = getenv("ENG_BASE_URL");
    if (base_url && *base_url)
        co->base_url = base_url;
    return cli_service_options(co, api, edp_mission, err);
}

edb_status cli_query_transfer(edb_client_options *co, const char *timeout_s,
                              const char *retries_s, const char *cacert, long jobs, int verbose,
                              edb_err *err)
{
    edb_err terr = EDB_ERR_INIT;
    if (!timeout_s)
        timeout_s = getenv("ENG_TIMEOUT");
    if (timeout_s && *timeout_s && cli_parse_timeout(timeout_s, &co->timeout_us, &terr) != EDB_OK)
        return edb_err_set(err, EDB_ERR_USAGE, "timeout: %s", terr.msg);
    if (!retries_s)
        retries_s = getenv("ENG_RETRIES");
    if (retries_s && *retries_s) {
        long r;
        if (cli_parse_count("number of retries", retries_s, 100, &r, err) != EDB_OK)
            return err->status;
        co->retries = (int)r;
    }
    co->cacert = cacert;
    co->parallel = (int)jobs;
    if (verbose)
        co->log = cli_log_line;
    return EDB_OK;
}

edb_status cli_query_token(edb_client_options *co, int local_source, const char *token_file,
                           char **tokenp, edb_err *err)
{
    char *token = NULL;
    *tokenp = NULL;
    /* A local source needs no token: none is read, so none can leak. */
    if (!local_source && cli_token_find(token_file, co->base_url, &token, err) != EDB_OK)
        return err->status;
    cli_secret_add(token); /* from here on, no message shows it */
    co->token = token;
    if (edb_base_url_check(co->base_url, token != NULL && edb_service_takes_token(co->service),
                           err) != EDB_OK) {
        cli_free_secret(token);
        co->token = NULL;
        return err->status;
    }
    *tokenp = token;
    return EDB_OK;
}
