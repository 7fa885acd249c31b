/* scale.c: `edbx get` across many processes (docs/scale.md).
 *
 *   --shard K/N    fetch shard K of N of the plan into the cache, write nothing
 *   --offline      answer from the cache alone, after checking that it holds every request
 *   --shards N     name the shard (of N) of each request listed (--offline, --plan-only)
 *   --slurm N      write OUT.sbatch: a job array of N shards and the assembly of OUT
 *
 * The cache is the merge medium: shards share nothing but its folder, so a shard that dies
 * loses only its transfers in flight, a rerun skips what is stored, and the assembly is an
 * ordinary run whose every reply comes from the cache. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <edb/writer.h>

#include "cli.h"
#include "get_options.h"

/* "K/N": two whole numbers, 0 <= K < N <= CLI_MAX_SHARDS. */
static edb_status parse_shard(const char *s, size_t *k, size_t *n, edb_err *err)
{
    const char *slash = s ? strchr(s, '/') : NULL;
    char kb[16];
    long kv = -1, nv = -1;
    edb_err e = EDB_ERR_INIT;
    if (slash && (size_t)(slash - s) < sizeof kb) {
        memcpy(kb, s, (size_t)(slash - s));
        kb[slash - s] = '\0';
        if (cli_parse_count("K", kb, CLI_MAX_SHARDS, &kv, &e) != EDB_OK ||
            cli_parse_count("N", slash + 1, CLI_MAX_SHARDS, &nv, &e) != EDB_OK)
            kv = nv = -1;
    }
    if (kv < 0 || nv < 1 || kv >= nv)
        return edb_err_set(err, EDB_ERR_USAGE, "invalid --shard '%s': give K/N, shard K of N "
                           "counted from 0 (0/4, 1/4, 2/4, 3/4), N from 1 to %d", s ? s : "",
                           CLI_MAX_SHARDS);
    *k = (size_t)kv;
    *n = (size_t)nv;
    return EDB_OK;
}

edb_status cli_scale_check(cli_scale *s, const cli_scale_ctx *x, edb_err *err)
{
    long v;
    if (s->shard_s && parse_shard(s->shard_s, &s->k, &s->n, err) != EDB_OK)
        return EDB_ERR_USAGE;
    if (s->shards_s) {
        if (cli_parse_count("--shards", s->shards_s, CLI_MAX_SHARDS, &v, err) != EDB_OK ||
            v < 1)
            return edb_err_set(err, EDB_ERR_USAGE, "invalid --shards '%s': from 1 to %d",
                               s->shards_s, CLI_MAX_SHARDS);
        s->owners = (size_t)v;
    }
    if (s->slurm_s) {
        if (cli_parse_count("--slurm", s->slurm_s, CLI_MAX_SHARDS, &v, err) != EDB_OK || v < 1)
            return edb_err_set(err, EDB_ERR_USAGE, "invalid --slurm '%s': the number of array "
                               "tasks, from 1 to %d", s->slurm_s, CLI_MAX_SHARDS);
        s->tasks = v;
        s->owners = (size_t)v;
    }
    s->cap = CLI_SLURM_MAX_TRANSFERS;
    if (s->max_transfers_s) {
        if (!s->slurm_s)
            return edb_err_set(err, EDB_ERR_USAGE, "--max-transfers caps a --slurm array: add "
                               "--slurm N");
        if (cli_parse_count("--max-transfers", s->max_transfers_s, CLI_MAX_TRANSFERS_LIMIT, &v,
                            err) != EDB_OK || v < 1)
            return edb_err_set(err, EDB_ERR_USAGE, "invalid --max-transfers '%s': from 1 to %d",
                               s->max_transfers_s, CLI_MAX_TRANSFERS_LIMIT);
        s->cap = v;
    }
    if (s->shard_s && s->shards_s)
        return edb_err_set(err, EDB_ERR_USAGE, "--shard K/N already says N: drop --shards");
    if (s->shard_s)
        s->owners = s->n;
    if (s->slurm_s && (s->shard_s || s->shards_s || s->offline || x->plan_only))
        return edb_err_set(err, EDB_ERR_USAGE, "--slurm writes a job script and fetches nothing: "
                           "it takes no %s", s->shard_s ? "--shard (each task gets its own)"
                           : s->shards_s ? "--shards" : s->offline ? "--offline (the assembly "
                           "job has it)" : "--plan-only (see the plan of shard K with "
                           "--plan-only --shard K/N)");
    if (s->shards_s && !s->offline && !x->plan_only)
        return edb_err_set(err, EDB_ERR_USAGE, "--shards N names the shards of the requests "
                           "--offline or --plan-only lists: add one of them (or --shard K/N to "
                           "fetch one)");
    int sharded = s->shard_s || s->offline || s->slurm_s;
    if (!sharded || x->plan_only)
        return EDB_OK;
    const char *what = s->slurm_s ? "--slurm" : s->shard_s ? "--shard" : "--offline";
    if (x->source)
        return edb_err_set(err, EDB_ERR_USAGE, "%s works through the reply cache; --source "
                           "answers from local data and never uses the network already", what);
    if (x->no_cache)
        return edb_err_set(err, EDB_ERR_USAGE, "%s works through the reply cache: drop "
                           "--no-cache", what);
    if (x->refresh && !s->shard_s)
        return edb_err_set(err, EDB_ERR_USAGE, "%s", s->offline
                           ? "--offline answers from the cache and --refresh asks the service "
                             "again: use one of them"
                           : "--refresh in a job array would make every rerun of a shard ask "
                             "again: remove the entries instead (edbx cache clear) and drop "
                             "--refresh");
    if (s->shard_s && x->output)
        return edb_err_set(err, EDB_ERR_USAGE, "--shard fetches into the cache and writes "
                           "nothing: drop -o, and once every shard is done write the output "
                           "with --offline -o FILE (see --slurm N)");
    if (s->shard_s && x->bundle)
        return edb_err_set(err, EDB_ERR_USAGE, "--shard writes nothing to bundle: give --bundle "
                           "to the assembly (--offline -o FILE --bundle B)");
    if (s->slurm_s && !x->output)
        return edb_err_set(err, EDB_ERR_USAGE, "--slurm N needs the output of the assembly "
                           "job: add -o FILE (the job script is written to FILE.sbatch)");
    if (s->slurm_s && x->bundle && !edb_archive_is_name(x->bundle))
        return edb_err_set(err, EDB_ERR_USAGE, "--bundle %s: the name must end in .tar.gz, .tgz, "
                           ".tar.xz, .tar or .zip", x->bundle);
    if (s->slurm_s && x->names_from_stdin)
        return edb_err_set(err, EDB_ERR_USAGE, "--slurm: the jobs cannot read the mnemonics "
                           "from standard input (-f -): put them in a file");
    /* A shard's replies must be cacheable, or the assembly could never find them. */
    edb_time settled = x->now - EDB_CACHE_SETTLE_US;
    if ((s->shard_s || s->slurm_s) && edb_time_ceil(x->end, EDB_USEC_PER_SEC) > settled) {
        char e[EDB_TIME_STRLEN], l[EDB_TIME_STRLEN];
        edb_time_format_iso(x->end, e, sizeof e);
        edb_time_format_iso(settled, l, sizeof l);
        return edb_err_set(err, EDB_ERR_USAGE, "%s: the range ends at %s, within the last hour "
                           "(after %s): the EDB may still be filling that time, so its replies "
                           "are never cached and the assembly (--offline) could not find them; "
                           "end the range an hour ago or earlier (--end)", what, e, l);
    }
    return EDB_OK;
}

/* ---- listing requests -------------------------------------------------------------------- */

/* One line of the plan, with the shard among `owners` when it is not 0. */
static int plan_line(const edb_plan *p, size_t i, size_t owners, char *buf, size_t n)
{
    return owners ? edb_plan_shard_line(p, i, owners, buf, n) : edb_plan_line(p, i, buf, n);
}

/* Request i's line through fn (a printf-like sink), however long it is. */
static void emit_line(const edb_plan *p, size_t i, size_t owners, FILE *out, const char *prefix)
{
    char line[2048];
    int len = plan_line(p, i, owners, line, sizeof line);
    char *big = NULL;
    if (len >= (int)sizeof line && (big = malloc((size_t)len + 1)) != NULL)
        plan_line(p, i, owners, big, (size_t)len + 1);
    const char *s = big ? big : line;
    if (prefix)
        cli_warn("%s%s", prefix, s); /* the one path of messages: never the token */
    else
        fprintf(out, "%s\n", s);
    free(big);
}

static edb_status make_plan(const edb_client_options *co, const edb_query *q, edb_plan **out,
                            edb_err *err)
{
    edb_client_options o = *co;
    o.token = NULL; /* a plan asks nothing */
    o.hooks = NULL;
    o.n_hooks = 0;
    edb_client *c = NULL;
    edb_status st = edb_client_new(&c, &o);
    if (st != EDB_OK)
        return edb_err_set(err, st, "cannot set up the client: %s", edb_strerror(st));
    st = edb_client_plan(c, q, out);
    if (st != EDB_OK)
        edb_err_set(err, st, "%s", edb_client_errmsg(c));
    edb_client_free(c);
    return st;
}

int cli_scale_plan(const edb_client_options *co, const edb_query *q, const cli_scale *s)
{
    edb_err err = EDB_ERR_INIT;
    edb_plan *p = NULL;
    if (make_plan(co, q, &p, &err) != EDB_OK)
        return cli_fail(err.status, "%s", err.msg);
    size_t lo = 0, hi = edb_plan_count(p);
    if (s->shard_s)
        edb_plan_shard_range(p, s->k, s->n, &lo, &hi);
    printf("%s\n", edb_plan_shard_header());
    for (size_t i = lo; i < hi && !ferror(stdout); i++)
        emit_line(p, i, s->owners, stdout, NULL);
    int bad = fflush(stdout) != 0 || ferror(stdout);
    edb_plan_free(p);
    return bad ? cli_fail(EDB_ERR_IO, "writing the plan to standard output failed") : EXIT_OK;
}

/* ---- what the cache holds ----------------------------------------------------------------- */

/* The most missing requests listed one by one; past it, only counted. */
#define LIST_MAX 1000

/* "1, 3-5, 9" into buf from a sorted list of shards. */
static void shard_ranges(const size_t *v, size_t n, char *buf, size_t len)
{
    size_t o = 0;
    buf[0] = '\0';
    for (size_t a = 0; a < n && o < len;) {
        size_t b = a;
        while (b + 1 < n && v[b + 1] == v[b] + 1)
            b++;
        if (b == a)
            o += (size_t)snprintf(buf + o, len - o, "%s%zu", a ? ", " : "", v[a]);
        else
            o += (size_t)snprintf(buf + o, len - o, "%s%zu-%zu", a ? ", " : "", v[a], v[b]);
        a = b + 1;
    }
}

int cli_scale_check_cache(const edb_client_options *co, const edb_query *q, const cli_scale *s,
                          edb_cache *cache, edb_time now, const edb_result *res, int after)
{
    edb_err err = EDB_ERR_INIT;
    edb_plan *p = NULL;
    if (make_plan(co, q, &p, &err) != EDB_OK)
        return cli_fail(err.status, "%s", err.msg);
    size_t lo = 0, hi = edb_plan_count(p);
    if (s->shard_s)
        edb_plan_shard_range(p, s->k, s->n, &lo, &hi);
    size_t missing = 0, fresh = 0, *owners = NULL, n_owners = 0, checked = 0;
    for (size_t i = lo; i < hi && !cli_interrupted; i++) {
        edb_plan_request r;
        edb_plan_get(p, i, &r);
        /* A mnemonic that failed (--keep-going) has said why already. */
        if (res && edb_result_status(res, r.mnemonic) != EDB_OK)
            continue;
        checked++;
        edb_request_info ri = {edb_plan_service(p), r.kind, r.name,
                               r.kind == EDB_REQ_DATA ? r.wire_lo : 0,
                               r.kind == EDB_REQ_DATA ? r.wire_hi : 0, "", ""};
        if (edb_cache_has(cache, &ri))
            continue;
        if (r.kind == EDB_REQ_DATA && r.wire_hi > now - EDB_CACHE_SETTLE_US)
            fresh++;
        if (missing++ < LIST_MAX)
            emit_line(p, i, s->owners, stderr, "not in the cache: ");
        size_t k = s->owners ? edb_plan_shard(p, i, s->owners) : 0;
        if (s->owners && (n_owners == 0 || owners[n_owners - 1] != k)) {
            size_t *o = realloc(owners, (n_owners + 1) * sizeof *o);
            if (!o) {
                free(owners);
                edb_plan_free(p);
                return cli_fail(EDB_ERR_NOMEM, "out of memory");
            }
            owners = o;
            owners[n_owners++] = k; /* shards are runs of requests: in order */
        }
    }
    edb_plan_free(p);
    if (cli_interrupted) {
        free(owners);
        return cli_fail(EDB_ERR_INTERRUPTED, "interrupted");
    }
    if (missing == 0) {
        free(owners);
        return EXIT_OK;
    }
    char more[64] = "", shards[512] = "", why[160] = "";
    if (missing > LIST_MAX)
        snprintf(more, sizeof more, "; the first %d listed", LIST_MAX);
    if (n_owners) {
        char r[400];
        shard_ranges(owners, n_owners, r, sizeof r);
        snprintf(shards, sizeof shards, "; shard%s %s of %zu own%s them: run %s (again)",
                 n_owners > 1 ? "s" : "", r, s->owners, n_owners > 1 ? "" : "s",
                 n_owners > 1 ? "those" : "it");
    }
    if (fresh)
        snprintf(why, sizeof why, "; %zu end%s within an hour of the run and %s never cached: "
                 "end the range earlier", fresh, fresh > 1 ? "" : "s", fresh > 1 ? "are" : "is");
    free(owners);
    if (after)
        cli_warn("shard %zu/%zu: %zu of %zu requests are not in the cache at %s after the run "
                 "(listed above%s%s): they could not be stored; run the shard again", s->k, s->n,
                 missing, checked, edb_cache_root(cache), more, why);
    else
        cli_warn("--offline: %zu of %zu requests are not in the cache at %s (listed above%s%s%s)%s",
                 missing, checked, edb_cache_root(cache), more, shards, why,
                 q->keep_going ? "; --keep-going: the mnemonics that are whole are written"
                               : "; nothing was written");
    return EXIT_MISSING;
}

/* ---- the job script -------------------------------------------------------------------- */

/* s quoted for a POSIX shell: as is when it is plain, else in single quotes. */
static int put_quoted(FILE *f, const char *s)
{
    int plain = *s != '\0';
    for (const char *p = s; *p; p++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-+=.,:/@%",
                    *p))
            plain = 0;
    if (plain)
        return fputs(s, f) < 0 ? -1 : 0;
    int bad = fputc('\'', f) == EOF;
    for (const char *p = s; *p && !bad; p++)
        bad = *p == '\'' ? fputs("'\\''", f) < 0 : fputc(*p, f) == EOF;
    return bad || fputc('\'', f) == EOF ? -1 : 0;
}

/* The options every task is given: those of the command line but the ones that say what
 * this run does (--slurm, -o, --bundle) and the range, which is written absolute, with the
 * run's "now", so that every task makes the same plan whenever it runs. */
static int put_common(FILE *f, const cli_scale_ctx *x, edb_err *err)
{
    cli_args a;
    if (cli_args_parse(&cli_get_options, "get", x->argc, x->argv, &a, err) != EDB_OK)
        return -1;
    int bad = 0;
    for (size_t k = 0; k < a.npos && !bad; k++)
        bad = fputc(' ', f) == EOF || put_quoted(f, a.pos[k]) != 0;
    for (size_t k = 0; k < a.n && !bad; k++) {
        const cli_opt *o = a.v[k].opt;
        switch (o->id) {
        case GOPT_SLURM: case GOPT_MAX_TRANSFERS: case GOPT_OUTPUT: case GOPT_BUNDLE:
        case GOPT_START: case GOPT_END: case GOPT_RUN_TIME_US: case GOPT_BASE_URL:
        case GOPT_API:
            continue;
        default:
            break;
        }
        bad = fprintf(f, " \\\n    --%s", o->name) < 0;
        if (!bad && a.v[k].value)
            bad = fputc(' ', f) == EOF || put_quoted(f, a.v[k].value) != 0;
    }
    cli_args_free(&a);
    char t0[EDB_TIME_STRLEN], t1[EDB_TIME_STRLEN];
    edb_time_format_iso_us(x->start, t0, sizeof t0);
    edb_time_format_iso_us(x->end, t1, sizeof t1);
    /* The service and its URL are part of what a cache entry answers: pinned too. */
    bad = bad || fprintf(f, " \\\n    --start %s --end %s --run-time-us %lld \\\n    --api %s "
                         "--base-url ", t0, t1, (long long)x->now, x->co->service) < 0 ||
          put_quoted(f, x->co->base_url) != 0;
    return bad ? -1 : 0;
}

/* Is the path absolute?  Else the folder it is relative to, joined. */
static char *absolute(const char *path)
{
    if (path[0] == '/')
        return strdup(path);
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd))
        return NULL;
    size_t n = strlen(cwd) + strlen(path) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", cwd, path);
    return p;
}

/* The script, into f.  self: its own absolute path. */
static int put_script(FILE *f, const cli_scale *s, const cli_scale_ctx *x, const char *self,
                      const char *cwd, const char *edbx, const char *xdg, long at_once,
                      const char *arr, edb_err *err)
{
    long n = s->tasks;
    int bad = fprintf(f,
        "#!/bin/sh\n"
        "# edbx get as a job array of %ld shards that fill the reply cache, then the\n"
        "# assembly of the output from the cache alone (docs/scale.md).  Written by\n"
        "# 'edbx get --slurm %ld'; edbx never submits it.  Submit it with Slurm:\n"
        "#   sh %s submit [SBATCH OPTIONS, e.g. -p PARTITION -A ACCOUNT -t 2:00:00]\n"
        "# which runs\n"
        "#   jid=$(sbatch --parsable --array=%s [OPTIONS] %s shard)\n"
        "#   sbatch --dependency=afterany:${jid%%%%;*} [OPTIONS] %s assemble\n"
        "# or run it without Slurm: every shard, %ld at a time, then the assembly:\n"
        "#   sh %s local\n"
        "# or one shard (K from 0 to %ld), and the assembly once they are all done:\n"
        "#   sh %s shard K;  sh %s assemble\n"
        "#SBATCH --job-name=edbx-get\n"
        "#SBATCH --requeue\n"
        "#SBATCH --open-mode=append\n",
        n, n, self, arr, self, self, at_once, self, n - 1, self, self) < 0;
    bad = bad || fputs("#SBATCH --chdir=", f) < 0 || put_quoted(f, cwd) != 0 ||
          fputs("\nset -eu\ncd ", f) < 0 || put_quoted(f, cwd) != 0 ||
          fputs("\nEDBX=${EDBX:-", f) < 0 || put_quoted(f, edbx) != 0 ||
          fputs("}\nself=", f) < 0 || put_quoted(f, self) != 0 || fputc('\n', f) == EOF;
    if (!bad && xdg) {
        /* The default cache folder, as this run resolved it: every task finds the same. */
        bad = fputs("XDG_CACHE_HOME=", f) < 0 || put_quoted(f, xdg) != 0 ||
              fputs("\nexport XDG_CACHE_HOME\n", f) < 0;
    }
    const char *envs[] = {"ENG_DATA_URI", "ENG_META_URI"};
    for (size_t k = 0; k < 2 && !bad; k++) {
        const char *v = getenv(envs[k]);
        if (v && *v)
            bad = fprintf(f, "%s=", envs[k]) < 0 || put_quoted(f, v) != 0 ||
                  fprintf(f, "\nexport %s\n", envs[k]) < 0;
    }
    bad = bad || fputs("\n# Every task makes the same plan: the same names, range, \"now\" and "
                       "service.\nget() {\n    exec \"$EDBX\" get", f) < 0 ||
          put_common(f, x, err) != 0 || fputs(" \\\n    \"$@\"\n}\n\n", f) < 0;
    if (bad)
        return -1;
    bad = fprintf(f,
        "case \"${1-}\" in\n"
        "shard)\n"
        "    k=${2-${SLURM_ARRAY_TASK_ID-}}\n"
        "    if [ -z \"$k\" ]; then\n"
        "        echo \"$self: shard: give its number (0 to %ld) or run it as a Slurm array "
        "task\" >&2\n"
        "        exit 2\n"
        "    fi\n"
        "    get --shard \"$k/%ld\" ;;\n"
        "assemble)\n"
        "    get --offline --shards %ld --output ",
        n - 1, n, n) < 0;
    bad = bad || put_quoted(f, x->output) != 0;
    if (!bad && x->bundle)
        bad = fputs(" --bundle ", f) < 0 || put_quoted(f, x->bundle) != 0;
    bad = bad || fprintf(f,
        " ;;\n"
        "submit)\n"
        "    shift\n"
        "    jid=$(sbatch --parsable --array=%s \"$@\" \"$self\" shard)\n"
        "    jid=${jid%%%%;*}\n"
        "    echo \"edbx: shards: job array $jid (%ld tasks)\"\n"
        "    sbatch --dependency=afterany:\"$jid\" \"$@\" \"$self\" assemble ;;\n"
        "local)\n"
        "    # A shell loop: %ld shards at a time; the assembly runs whatever their outcome\n"
        "    # and lists what is missing, as the Slurm assembly does (afterany).\n"
        "    k=0\n"
        "    while [ \"$k\" -lt %ld ]; do\n"
        "        pids=\n"
        "        j=0\n"
        "        while [ \"$j\" -lt %ld ] && [ \"$k\" -lt %ld ]; do\n"
        "            sh \"$self\" shard \"$k\" &\n"
        "            pids=\"$pids $!\"\n"
        "            k=$((k + 1))\n"
        "            j=$((j + 1))\n"
        "        done\n"
        "        for p in $pids; do\n"
        "            wait \"$p\" || echo \"$self: a shard failed (exit $?)\" >&2\n"
        "        done\n"
        "    done\n"
        "    exec sh \"$self\" assemble ;;\n"
        "*)\n"
        "    echo \"usage: sh $self submit [SBATCH OPTIONS] | local | shard [K] | assemble\" "
        ">&2\n"
        "    exit 2 ;;\n"
        "esac\n",
        arr, n, at_once, n, at_once, n) < 0;
    return bad ? -1 : 0;
}

int cli_scale_slurm(const cli_scale *s, const cli_scale_ctx *x)
{
    long jobs = x->jobs, n = s->tasks;
    if (jobs > s->cap)
        return cli_fail(EDB_ERR_USAGE, "-j %ld alone is over the cap of %ld transfers at once "
                        "(--max-transfers): lower -j", jobs, s->cap);
    /* The cap is kept by Slurm's array throttle: tasks past it wait for a free slot. */
    long at_once = s->cap / jobs < n ? s->cap / jobs : n;
    char arr[64]; /* the array's tasks, and how many run at once when that is fewer */
    if (at_once < n)
        snprintf(arr, sizeof arr, "0-%ld%%%ld", n - 1, at_once);
    else
        snprintf(arr, sizeof arr, "0-%ld", n - 1);
    char *out_abs = absolute(x->output);
    char cwd[PATH_MAX];
    if (!out_abs || !getcwd(cwd, sizeof cwd)) {
        free(out_abs);
        return cli_fail(EDB_ERR_IO, "--slurm: cannot tell the current folder: %s", strerror(errno));
    }
    size_t sl = strlen(out_abs) + 8;
    char *script = malloc(sl), *tmp = malloc(sl + 32);
    if (!script || !tmp) {
        free(out_abs);
        free(script);
        free(tmp);
        return cli_fail(EDB_ERR_NOMEM, "out of memory");
    }
    snprintf(script, sl, "%s.sbatch", out_abs);
    free(out_abs);
    char edbx[PATH_MAX];
    ssize_t el = readlink("/proc/self/exe", edbx, sizeof edbx - 1);
    if (el <= 0)
        snprintf(edbx, sizeof edbx, "edbx");
    else
        edbx[el] = '\0';
    char *xdg = NULL;
    if (!x->cache_dir) {
        /* The default folder: its parent, which XDG_CACHE_HOME names. */
        xdg = cli_cache_dir();
        char *slash = xdg ? strrchr(xdg, '/') : NULL;
        if (slash && slash != xdg)
            *slash = '\0';
        else if (xdg) {
            free(xdg);
            xdg = NULL;
        }
    }
    /* Written beside its name and renamed: never half a script under it. */
    const char *base = strrchr(script, '/');
    snprintf(tmp, sl + 32, "%.*s.%s.edbx-XXXXXX", (int)(base - script + 1), script, base + 1);
    int fd = mkstemp(tmp);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    edb_err err = EDB_ERR_INIT;
    int bad = !f || put_script(f, s, x, script, cwd, edbx, xdg, at_once, arr, &err) != 0;
    int e = errno;
    if (f) {
        bad |= fflush(f) != 0 || fchmod(fileno(f), 0755) != 0;
        bad |= fclose(f) != 0;
    } else if (fd >= 0) {
        close(fd);
    }
    if (!bad && rename(tmp, script) != 0) {
        e = errno;
        bad = 1;
    }
    free(xdg);
    int code;
    if (bad) {
        if (fd >= 0)
            unlink(tmp);
        code = err.status != EDB_OK ? cli_fail(err.status, "%s", err.msg)
                                    : cli_fail(EDB_ERR_IO, "--slurm: cannot write %s: %s",
                                               script, strerror(e ? e : EIO));
        free(script);
        free(tmp);
        return code;
    }
    long total = at_once * jobs;
    printf("wrote %s: %ld shard%s of -j %ld, then the assembly of %s\n", script, n,
           n > 1 ? "s" : "", jobs, x->output);
    if (at_once < n)
        printf("at most %ld transfers at once against the service: %ld tasks x -j %ld would be "
               "%ld, over the cap of %ld (--max-transfers), so %ld tasks run at once "
               "(--array=%s)\n", total, n, jobs, n * jobs, s->cap, at_once, arr);
    else
        printf("at most %ld transfers at once against the service: %ld task%s x -j %ld (the cap "
               "is %ld, --max-transfers)\n", total, n, n > 1 ? "s" : "", jobs, s->cap);
    printf("submit with Slurm (add your site's options, e.g. -p PARTITION -t 2:00:00):\n"
           "  jid=$(sbatch --parsable --array=%s %s shard)\n"
           "  sbatch --dependency=afterany:${jid%%%%;*} %s assemble\n"
           "or: sh %s submit [SBATCH OPTIONS]\n"
           "without Slurm: sh %s local  (or: sh %s shard K, for K from 0 to %ld, then sh %s "
           "assemble)\n",
           arr, script, script, script, script, script, n - 1, script);
    code = fflush(stdout) != 0 ? cli_fail(EDB_ERR_IO, "writing to standard output failed")
                               : EXIT_OK;
    free(script);
    free(tmp);
    return code;
}
