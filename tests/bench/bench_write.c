/* bench_write.c: writes 10 million samples (one real mnemonic) in every format and prints
 * seconds, rows/s, the CPU time the write took (all threads: HDF5 deflates on several),
 * the file's size and peak memory against the size of the data itself.  Each format runs
 * in a child process of its own, so every peak is its own.  Build in Release; usage:
 * bench_write [ROWS] [DIR] [FORMAT...]. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <edb/series.h>
#include <edb/writer.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static int run_one(const char *fmt, size_t rows, const char *dir)
{
    edb_series *s;
    if (edb_series_new(&s, "SA_ZATTEST1") != EDB_OK || edb_series_set_type(s, EDB_VT_REAL) != EDB_OK)
        return 1;
    /* Telemetry-like: 4 Hz stamps, a slowly drifting value with 9 significant digits. */
    edb_time t0 = INT64_C(1611628200009000);
    uint64_t x = 88172645463325252u;
    for (size_t k = 0; k < rows; k++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        double v = -0.2095 + (double)(k % 100000) * 1e-7 + (double)(x % 1000) * 1e-9;
        edb_series_push_real(s, t0 + (edb_time)k * 256000, v);
    }
    edb_series_set_meta(s, "V", "attitude estimate");
    char path[4096];
    snprintf(path, sizeof path, "%s/bench.%s", dir,
             strcmp(fmt, "hdf5") == 0 ? "h5" : fmt);
    edb_run_info run = {"bench_write", t0, t0, t0 + (edb_time)rows * 256000, 0};
    edb_writer_options o = EDB_WRITER_OPTIONS_INIT;
    o.run = &run;
    o.format = fmt;
    edb_writer *w = NULL;
    edb_err err = EDB_ERR_INIT;
    double a = now_s(), ca = cpu_s();
    edb_status st = edb_writer_open(&w, path, &o, &err);
    if (st == EDB_OK) {
        const edb_series *one[] = {s};
        st = edb_writer_write_series(w, one, 1);
        if (st == EDB_OK)
            st = edb_writer_close(w);
    }
    double b = now_s(), cb = cpu_s();
    if (st != EDB_OK) {
        fprintf(stderr, "bench_write: %s: %s\n", fmt, w ? edb_writer_errmsg(w) : err.msg);
        edb_writer_free(w);
        return 1;
    }
    edb_writer_free(w);
    struct stat sb;
    stat(path, &sb);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double data_mb = (double)rows * 16 / 1e6;
    printf("%-7s %10zu rows %7.3f s %12.0f rows/s  cpu %6.3f s  file %8.1f MB  peak %7.1f MB "
           "(data %.1f MB)\n", fmt, rows, b - a, (double)rows / (b - a), cb - ca,
           (double)sb.st_size / 1e6, (double)ru.ru_maxrss / 1024.0, data_mb);
    fflush(stdout);
    unlink(path);
    edb_series_free(s);
    return 0;
}

int main(int argc, char **argv)
{
    size_t rows = argc > 1 ? (size_t)strtoull(argv[1], NULL, 10) : 10000000;
    const char *dir = argc > 2 ? argv[2] : "/tmp";
    static const char *const all[] = {"fits", "hdf5", "csv", "csv.gz", "ecsv", NULL};
    const char *const *fmts = argc > 3 ? (const char *const *)argv + 3 : all;
    int bad = 0;
    for (; *fmts; fmts++) {
        pid_t pid = fork();
        if (pid == 0)
            _exit(run_one(*fmts, rows, dir));
        int status = 0;
        waitpid(pid, &status, 0);
        bad |= !WIFEXITED(status) || WEXITSTATUS(status) != 0;
    }
    return bad;
}
