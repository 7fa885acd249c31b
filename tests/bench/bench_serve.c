/* bench_serve.c: `edbx serve` under many concurrent full-range requests.
 *
 *   bench_serve [EDBX [SAMPLES [CLIENTS [KINDS]]]]
 *
 * Writes a store with one REAL mnemonic of SAMPLES samples (default 1,000,000, one a
 * second), starts EDBX serve on it (default $EDBX_BIN, else ./edbx) on 127.0.0.1, asks the
 * whole range once to have the store parsed, then for each kind of reply (KINDS: any of
 * "a", "b", "e" for path A, path B, EDP; default "abe") sends CLIENTS requests for the whole
 * range at once and reads every reply to its end.  It prints, per kind, the wall time, the
 * bytes, and the server's peak resident memory (VmHWM of its process) before and after.
 * The server runs as its own process so that only its memory is measured, and so that any
 * build of it (an older one too) can be compared.  Prints figures; never fails on them. */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long vm_kb(pid_t pid, const char *key)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    long kb = -1;
    size_t kl = strlen(key);
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, key, kl) == 0)
            kb = atol(line + kl);
    if (f)
        fclose(f);
    return kb;
}

typedef struct job {
    unsigned port;
    const char *path;
    uint64_t bytes;
    int ok;
} job;

/* One GET on its own connection, read to the end (Connection: close). */
static void *fetch(void *arg)
{
    job *j = arg;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)j->port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct timeval tv = {600, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    char req[1024];
    int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
                     j->path);
    if (send(fd, req, (size_t)n, MSG_NOSIGNAL) != n) {
        close(fd);
        return NULL;
    }
    static __thread char buf[1 << 16];
    ssize_t got;
    int first = 1;
    while ((got = recv(fd, buf, sizeof buf, 0)) > 0) {
        if (first && got >= 12)
            j->ok = strncmp(buf, "HTTP/1.1 200", 12) == 0;
        first = 0;
        j->bytes += (uint64_t)got;
    }
    close(fd);
    return NULL;
}

/* The server's resident memory, sampled every 20 ms while a phase runs. */
typedef struct sampler {
    pid_t pid;
    volatile int stop;
    long max_kb;
} sampler;

static void *sample(void *arg)
{
    sampler *sm = arg;
    while (!sm->stop) {
        long r = vm_kb(sm->pid, "VmRSS:");
        if (r > sm->max_kb)
            sm->max_kb = r;
        struct timespec ts = {0, 20000000};
        nanosleep(&ts, NULL);
    }
    return NULL;
}

static void run(unsigned port, pid_t server, const char *name, const char *path, int clients)
{
    job *jobs = calloc((size_t)clients, sizeof *jobs);
    pthread_t *th = calloc((size_t)clients, sizeof *th);
    long rss0 = vm_kb(server, "VmRSS:");
    sampler sm = {server, 0, rss0};
    pthread_t sth;
    pthread_create(&sth, NULL, sample, &sm);
    double t0 = now();
    for (int k = 0; k < clients; k++) {
        jobs[k].port = port;
        jobs[k].path = path;
        pthread_create(&th[k], NULL, fetch, &jobs[k]);
    }
    for (int k = 0; k < clients; k++)
        pthread_join(th[k], NULL);
    sm.stop = 1;
    pthread_join(sth, NULL);
    double dt = now() - t0;
    uint64_t total = 0;
    int ok = 0;
    for (int k = 0; k < clients; k++) {
        total += jobs[k].bytes;
        ok += jobs[k].ok;
    }
    printf("%-6s %3d clients, %d answered 200, %.1f MB per reply: %8.1f MB in %6.2f s "
           "(%6.1f MB/s); server RSS %7.1f MB before, at most %7.1f MB during (peak ever %.1f MB)\n",
           name, clients, ok, clients ? total / 1e6 / clients : 0.0, total / 1e6, dt,
           total / 1e6 / dt, rss0 / 1024.0, sm.max_kb / 1024.0, vm_kb(server, "VmHWM:") / 1024.0);
    free(jobs);
    free(th);
}

int main(int argc, char **argv)
{
    const char *edbx = argc > 1 ? argv[1] : getenv("EDBX_BIN") ? getenv("EDBX_BIN") : "./edbx";
    long samples = argc > 2 ? atol(argv[2]) : 1000000;
    int clients = argc > 3 ? atoi(argv[3]) : 30;
    const char *kinds = argc > 4 ? argv[4] : "abe";
    signal(SIGPIPE, SIG_IGN);

    char dir[] = "/tmp/bench_serve_XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    char path[512];
    snprintf(path, sizeof path, "%s/meta.json", dir);
    FILE *f = fopen(path, "w");
    fprintf(f, "{\"Count\":1,\"TlmMnemonics\":[{\"TlmMnemonic\":\"SA_ZBENCH\",\"Subsystem\":\"ACS\","
               "\"RawType\":\"FL32\",\"EUType\":\"FL32\",\"SQLType\":\"REAL\",\"AllPoints\":1}]}");
    fclose(f);
    snprintf(path, sizeof path, "%s/sa_zbench_data.json", dir);
    f = fopen(path, "w");
    fprintf(f, "{\"TlmMnemonic\":\"SA_ZBENCH\",\"Data\":[");
    const int64_t t0 = INT64_C(1640995200000); /* 2022-01-01 */
    for (long k = 0; k < samples; k++)
        fprintf(f, "%s{\"ObsTime\":\"/Date(%" PRId64 "+0000)/\",\"EUValue\":%.9f}", k ? "," : "",
                t0 + (int64_t)k * 1000, -0.2095 + (double)(k % 997) * 1e-7);
    fprintf(f, "]}");
    fclose(f);
    struct stat sb;
    double json_mb = stat(path, &sb) == 0 ? (double)sb.st_size / 1e6 : -1;

    int out[2];
    if (pipe(out) != 0)
        return 1;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_addclose(&fa, out[0]);
    char *args[] = {(char *)edbx, "serve", dir, "--port", "0", NULL};
    pid_t pid;
    if (posix_spawn(&pid, edbx, &fa, NULL, args, environ) != 0) {
        perror(edbx);
        return 1;
    }
    close(out[1]);
    FILE *so = fdopen(out[0], "r");
    char line[512];
    unsigned port = 0;
    if (!fgets(line, sizeof line, so) || !strstr(line, "127.0.0.1:") ||
        sscanf(strstr(line, "127.0.0.1:") + 10, "%u", &port) != 1) {
        fprintf(stderr, "bench_serve: %s serve did not start\n", edbx);
        kill(pid, SIGTERM);
        return 1;
    }
    printf("bench_serve: %s, %ld samples (%.1f MB of JSON), %d clients\n", edbx, samples,
           json_mb, clients);
    const char *pa = "/api/v0.1/Download/file?uri=mast%3Ajwstedb%2FSA_ZBENCH-20210101T000000-20300101T000000.csv";
    const char *pb = "/JWDMSEngFqAcc/TlmMnemonicDataSrv.svc/Data/SA_ZBENCH?sTime=2021-01-01T00:00:00&eTime=2030-01-01T00:00:00";
    const char *pe = "/edp/api/v0.1/mnemonics/spa/jwst/data?mnemonic=SA_ZBENCH&s_time=2021-01-01T00:00:00&e_time=2030-01-01T00:00:00";
    double tp = now();
    run(port, pid, "parse", strchr(kinds, 'b') ? pb : pa, 1);
    printf("       (the first request parsed the store: %.2f s)\n", now() - tp);
    if (strchr(kinds, 'a'))
        run(port, pid, "path A", pa, clients);
    if (strchr(kinds, 'b'))
        run(port, pid, "path B", pb, clients);
    if (strchr(kinds, 'e'))
        run(port, pid, "EDP", pe, clients);
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    fclose(so);
    unlink(path);
    snprintf(path, sizeof path, "%s/meta.json", dir);
    unlink(path);
    rmdir(dir);
    return 0;
}
