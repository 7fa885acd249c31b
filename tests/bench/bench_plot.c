/* bench_plot.c: 10 million samples drawn to a PNG by the plot writer, against matplotlib
 * drawing the same points (tests/bench/bench_plot_mpl.py, Debian's python3-matplotlib).
 *
 * Both run pinned to one core.  The series is made before the clock starts; what is timed
 * is the writer from open to close (the model, the gap rule's median, M4 decimation to the
 * pixel columns, PLplot and cairo drawing, PNG encoding) and, for matplotlib, plot() and
 * savefig() of the same points at the same size (x as plain seconds, its fastest path).
 * Prints the best and the median of several runs, and peak memory; then the same for SVG,
 * PDF and the HTML page (no peer for those).  Build in Release;
 * usage: bench_plot [SAMPLES] [DIR] [RUNS] [--no-matplotlib]. */
#define _GNU_SOURCE /* sched_setaffinity */
#include <math.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <edb/series.h>
#include <edb/writer.h>

static double now_s(clockid_t clk)
{
    struct timespec ts;
    clock_gettime(clk, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    size_t n = 10000000;
    const char *dir = "/tmp";
    int runs = 5, mpl = 1;
    int pos = 0;
    for (int k = 1; k < argc; k++) {
        if (strcmp(argv[k], "--no-matplotlib") == 0)
            mpl = 0;
        else if (pos == 0 && ++pos)
            n = (size_t)strtoull(argv[k], NULL, 10);
        else if (pos == 1 && ++pos)
            dir = argv[k];
        else if (pos == 2 && ++pos)
            runs = atoi(argv[k]) > 0 ? atoi(argv[k]) : 1;
    }
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(0, &one);
    if (sched_setaffinity(0, sizeof one, &one) != 0)
        perror("bench_plot: sched_setaffinity (timing on any core)");

    /* 100 Hz stamps (10 million: 27.8 hours); a slow sine with a fast wobble on it, so every
     * pixel column holds a spread of values.  bench_plot_mpl.py makes the same numbers. */
    edb_series *s;
    edb_series_new(&s, "SA_ZBENCH");
    edb_series_set_type(s, EDB_VT_REAL);
    const edb_time t0 = INT64_C(1611619200000000); /* 2021-01-26T00:00:00Z */
    for (size_t k = 0; k < n; k++)
        edb_series_push_real(s, t0 + (edb_time)k * 10000,
                             sin((double)k * 3.1415926e-6) + 0.05 * sin((double)k * 0.7));
    edb_series_set_meta(s, "V", "benchmark series");
    edb_run_info run = {"bench_plot", t0, t0, t0 + (edb_time)n * 10000, 0};
    const char *opts[] = {"width=1200", "height=400"};
    double *wall = calloc((size_t)runs, sizeof *wall), *cpu = calloc((size_t)runs, sizeof *cpu);
    double png_best = 0;
    static const char *const fmts[] = {"png", "svg", "pdf", "html"};
    for (int f = 0; f < 4; f++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/bench_plot.%s", dir, fmts[f]);
        for (int r = 0; r < runs; r++) {
            edb_writer_options o = EDB_WRITER_OPTIONS_INIT;
            o.run = &run;
            o.options = opts;
            o.n_options = 2;
            edb_writer *w = NULL;
            edb_err err = EDB_ERR_INIT;
            double a = now_s(CLOCK_MONOTONIC), ac = now_s(CLOCK_PROCESS_CPUTIME_ID);
            edb_status st = edb_writer_open(&w, path, &o, &err);
            if (st == EDB_OK) {
                const edb_series *one1[] = {s};
                st = edb_writer_write_series(w, one1, 1);
                if (st == EDB_OK)
                    st = edb_writer_close(w);
            }
            wall[r] = now_s(CLOCK_MONOTONIC) - a;
            cpu[r] = now_s(CLOCK_PROCESS_CPUTIME_ID) - ac;
            if (st != EDB_OK) {
                fprintf(stderr, "bench_plot: %s\n", w ? edb_writer_errmsg(w) : err.msg);
                return 1;
            }
            edb_writer_free(w);
        }
        struct stat sb;
        stat(path, &sb);
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        double best = wall[0];
        for (int r = 1; r < runs; r++)
            best = wall[r] < best ? wall[r] : best;
        if (f == 0)
            png_best = best;
        qsort(wall, (size_t)runs, sizeof *wall, cmp_d);
        qsort(cpu, (size_t)runs, sizeof *cpu, cmp_d);
        printf("edbx %-6s %zu samples -> 1200x400: best %.3f s, median %.3f s (cpu %.3f s), "
               "%.0f samples/s, file %.0f kB, peak %.0f MB (series %.0f MB)\n", fmts[f], n,
               best, wall[runs / 2], cpu[runs / 2], (double)n / best,
               (double)sb.st_size / 1e3, (double)ru.ru_maxrss / 1024.0, (double)n * 16 / 1e6);
        fflush(stdout);
    }
    edb_series_free(s);
    free(wall);
    free(cpu);
    double best = png_best;
    if (!mpl)
        return 0;
    char cmd[8400];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s/tests/bench/bench_plot_mpl.py %zu %s/bench_plot_mpl.png %d",
             EDBX_SOURCE_DIR, n, dir, runs < 3 ? runs : 3);
    FILE *p = popen(cmd, "r");
    if (!p) {
        perror("bench_plot: matplotlib");
        return 1;
    }
    char line[512];
    double mbest = 0;
    while (fgets(line, sizeof line, p)) {
        fputs(line, stdout);
        sscanf(line, "matplotlib %*s %*s %*s samples -> 1200x400: best %lf", &mbest);
    }
    if (pclose(p) != 0 || mbest <= 0) {
        fprintf(stderr, "bench_plot: the matplotlib run failed (python3-matplotlib installed?)\n");
        return 1;
    }
    printf("edbx is %.1f times as fast as matplotlib here\n", mbest / best);
    return 0;
}
