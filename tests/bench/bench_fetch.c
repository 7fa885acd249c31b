/* bench_fetch.c: many mnemonics over a week through a slow service.
 *
 * 50 mnemonics x 7 daily chunks (350 requests) from edb_server on 127.0.0.1 answering each
 * request after 200 ms, fetched with -j 1, 4 and 16.  Prints the wall time against the
 * ideal (requests x delay / concurrency) and the peak memory of each run, each measured in
 * a child process of its own so that one run's memory does not hide another's.
 *
 *   bench_fetch [MNEMONICS [DAYS [DELAY_MS [JOBS...]]]]     (defaults 50 7 200 1 4 16)
 *
 * Samples are 1 minute apart (1440 a day a mnemonic), so the data itself is about
 * 50 x 7 x 1440 x 16 bytes = 8 MB of series. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <edb/edb.h>

#define D0_MS 1646092800000LL /* 2022-03-01T00:00:00Z */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void write_store(const char *dir, int nm, int days)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/meta.json", dir);
    FILE *meta = fopen(path, "w");
    if (!meta) {
        perror(path);
        exit(1);
    }
    fprintf(meta, "{\"Count\": %d, \"TlmMnemonics\": [", nm);
    for (int m = 0; m < nm; m++) {
        fprintf(meta, "%s{\"TlmMnemonic\": \"SA_ZBENCH%d\", \"SQLType\": \"REAL\", \"AllPoints\": 1}",
                m ? ", " : "", m);
        snprintf(path, sizeof path, "%s/sa_zbench%d_data.json", dir, m);
        FILE *f = fopen(path, "w");
        int n = days * 1440;
        fprintf(f, "{\"TlmMnemonic\": \"SA_ZBENCH%d\", \"AllPoints\": 1, \"Count\": %d, \"Data\": [",
                m, n);
        for (int k = 0; k < n; k++)
            fprintf(f, "%s{\"ObsTime\": \"/Date(%lld+0000)/\", \"EUValue\": %.9f}", k ? ", " : "",
                    D0_MS + k * 60000LL, -0.2 + 1e-7 * ((k * 7919 + m * 104729) % 100000));
        fputs("]}", f);
        fclose(f);
    }
    fputs("]}", meta);
    fclose(meta);
}

/* One fetch in this (child) process; prints its line. */
static int run_one(const char *base, int nm, int days, int jobs, double delay_s)
{
    char **names = calloc((size_t)nm, sizeof *names);
    for (int m = 0; m < nm; m++) {
        names[m] = malloc(32);
        snprintf(names[m], 32, "SA_ZBENCH%d", m);
    }
    edb_client_options o = EDB_CLIENT_OPTIONS_INIT;
    o.base_url = base;
    o.parallel = jobs;
    o.retries = 0;
    edb_client *c = NULL;
    if (edb_client_new(&c, &o) != EDB_OK)
        return 1;
    edb_query q = {.mnemonics = (const char *const *)names, .n_mnemonics = (size_t)nm,
                   .start = D0_MS * 1000, .end = (D0_MS + days * 86400000LL) * 1000 - 1,
                   .chunk_us = EDB_USEC_PER_DAY};
    edb_result *res = NULL;
    double t0 = now_s();
    edb_status st = edb_client_fetch(c, &q, &res);
    double dt = now_s() - t0;
    if (st != EDB_OK) {
        fprintf(stderr, "fetch failed: %s\n", edb_client_errmsg(c));
        return 1;
    }
    size_t rows = 0;
    for (size_t k = 0; k < edb_result_count(res); k++)
        rows += edb_result_series(res, k)->n;
    size_t requests = (size_t)nm * (size_t)days;
    double ideal = requests * delay_s / jobs;
    edb_client_stats stats;
    edb_client_get_stats(c, &stats);
    printf("-j %-3d %4zu requests  %8zu rows  %7.2f s  ideal %6.2f s  ratio %.3f  %lu retries",
           jobs, requests, rows, dt, ideal, dt / ideal, stats.retries);
    fflush(stdout);
    edb_result_free(res);
    edb_client_free(c);
    for (int m = 0; m < nm; m++)
        free(names[m]);
    free(names);
    return 0;
}

int main(int argc, char **argv)
{
    int nm = argc > 1 ? atoi(argv[1]) : 50;
    int days = argc > 2 ? atoi(argv[2]) : 7;
    int delay_ms = argc > 3 ? atoi(argv[3]) : 200;
    int jobs_default[] = {1, 4, 16}, *jobs = jobs_default, njobs = 3;
    if (argc > 4) {
        njobs = argc - 4;
        jobs = calloc((size_t)njobs, sizeof *jobs);
        for (int k = 0; k < njobs; k++)
            jobs[k] = atoi(argv[4 + k]);
    }
    char dir[] = "/tmp/edbx-bench-fetch-XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    write_store(dir, nm, days);
    edb_server_options so = EDB_SERVER_OPTIONS_INIT;
    so.store = dir;
    so.delay_us = (int64_t)delay_ms * 1000;
    so.fault_count = -1;
    edb_server *srv = NULL;
    edb_err err = EDB_ERR_INIT;
    if (edb_server_start(&srv, &so, &err) != EDB_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    char base[64];
    snprintf(base, sizeof base, "http://127.0.0.1:%u/", edb_server_port(srv));
    printf("%d mnemonics x %d daily chunks, %d ms per request, 1-minute samples\n", nm, days,
           delay_ms);
    for (int k = 0; k < njobs; k++) {
        fflush(stdout);
        unsigned long before = edb_server_requests(srv);
        pid_t pid = fork();
        if (pid == 0)
            _exit(run_one(base, nm, days, jobs[k], delay_ms / 1000.0));
        int status;
        struct rusage ru;
        wait4(pid, &status, 0, &ru);
        printf("  peak %6.1f MB  max %u connections open\n", ru.ru_maxrss / 1024.0,
               edb_server_max_open_connections(srv));
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            return 1;
        (void)before;
    }
    edb_server_stop(srv);
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : 1;
}
