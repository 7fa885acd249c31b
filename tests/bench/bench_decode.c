/* bench_decode.c: how fast the decoders turn a reply into a series.
 *
 *   bench_decode [ROWS...]        (default: 1000000 10000000)
 *
 * For each count and each kind of reply it builds a realistic body in memory (untimed),
 * samples 256 ms apart from 2022-01-01 with values of 10 decimals, the shape of
 * SA_ZATTEST2:
 *   csv          path A: theTime,MJD,euvalue,sqldataType rows, CRLF
 *   pathb        path B JSON: {"ObsTime":"/Date(1640995200256+0000)/","EUValue":-0.79...}
 *   edp          EDP JSON: {"ObsTime":"2022-01-01T00:00:00.256","EUValue":-0.79...}
 * The JSON replies are decoded twice: with no type known (the samples wait for finish to
 * type them) and with the type given as metadata would (REAL, straight into the series).
 * Each body is fed in 64 KiB chunks, as the HTTP source does, in a process of its own so
 * that its peak resident size is its own.  The resident size is shown before decoding
 * (the body alone) and at its peak after, so the difference is what the decoder and the
 * series add.  Rates are given by the wall clock and by the thread's CPU time: on a
 * shared machine only the second is the decoder's alone.  Figures only: nothing here
 * fails on timing. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <edb/decoder.h>
#include <edb/series.h>

#define CHUNK (64 * 1024)
#define ROW_MAX 96

enum { CSV, PATHB, EDP };
static const char *const kind_names[] = {"csv", "pathb", "edp"};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* CPU time of this thread: on a shared machine the wall clock measures the neighbours
 * too, the CPU time only the decoder's own work. */
static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double peak_mib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_maxrss / 1024.0; /* Linux: kilobytes */
}

/* Current resident size from /proc (ru_maxrss only ever grows). */
static double rss_mib(void)
{
    char buf[128] = {0};
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *p;
    strtol(buf, &p, 10);               /* total size */
    long res = strtol(p, NULL, 10);    /* resident pages */
    return (double)res * (double)sysconf(_SC_PAGESIZE) / (1024.0 * 1024.0);
}

static char *put_uint(char *p, uint64_t v, int width)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v || n < width);
    while (n)
        *p++ = tmp[--n];
    return p;
}

static int days_in_month(int y, int m)
{
    static const int md[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return md[m - 1] + (m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0));
}

static char *put_value(char *p, int64_t value)
{
    uint64_t av = (uint64_t)(value < 0 ? -value : value);
    if (value < 0)
        *p++ = '-';
    p = put_uint(p, av / UINT64_C(10000000000), 1);
    *p++ = '.';
    return put_uint(p, av % UINT64_C(10000000000), 10);
}

static char *put_iso(char *p, int y, int mo, int d, uint64_t ms_of_day, char sep, int usec)
{
    uint64_t s = ms_of_day / 1000, ms = ms_of_day % 1000;
    p = put_uint(p, (uint64_t)y, 4);
    *p++ = '-';
    p = put_uint(p, (uint64_t)mo, 2);
    *p++ = '-';
    p = put_uint(p, (uint64_t)d, 2);
    *p++ = sep;
    p = put_uint(p, s / 3600, 2);
    *p++ = ':';
    p = put_uint(p, s / 60 % 60, 2);
    *p++ = ':';
    p = put_uint(p, s % 60, 2);
    *p++ = '.';
    return usec ? put_uint(p, ms * 1000, 6) : put_uint(p, ms, 3);
}

/* The reply; digits written by hand because snprintf would make generating 10 million
 * rows slower than decoding them. */
static char *make_body(int kind, size_t rows, size_t *len)
{
    static const char hdr[] = "theTime,MJD,euvalue,sqldataType\r\n";
    size_t cap = 256 + rows * ROW_MAX;
    char *body = malloc(cap);
    if (!body)
        return NULL;
    char *p = body;
    const uint64_t ms0 = UINT64_C(1640995200000); /* 2022-01-01T00:00:00Z */
    if (kind == CSV) {
        memcpy(p, hdr, sizeof hdr - 1);
        p += sizeof hdr - 1;
    } else {
        static const char a[] = "{\"TlmMnemonic\":\"SA_ZATTEST2\",\"AllPoints\":1,\"Count\":";
        memcpy(p, a, sizeof a - 1);
        p += sizeof a - 1;
        p = put_uint(p, rows, 1);
        if (kind == PATHB) {
            p += sprintf(p,
                         ",\"ReqSTime\":\"/Date(%llu+0000)/\",\"ReqETime\":\"/Date(%llu+0000)/\"",
                         (unsigned long long)ms0, (unsigned long long)(ms0 + rows * 256));
        } else {
            p += sprintf(p, ",\"ReqSTime\":\"2022-01-01T00:00:00.000\",\"ReqETime\":\"%s\"",
                         "2099-01-01T00:00:00.000");
        }
        memcpy(p, ",\"Data\":[", 9);
        p += 9;
    }
    int y = 2022, mo = 1, d = 1;
    uint64_t mjd_day = 59580, ms_of_day = 0, ms = ms0;
    uint64_t state = 0x2545F4914F6CDD1DULL;
    int64_t value = -7914493680; /* in units of 1e-10, a random walk */
    for (size_t k = 0; k < rows; k++) {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        value += (int64_t)(state % 1193) - 596;
        if (kind == CSV) {
            p = put_iso(p, y, mo, d, ms_of_day, ' ', 1);
            *p++ = ',';
            p = put_uint(p, mjd_day, 5);
            *p++ = '.';
            p = put_uint(p, (ms_of_day * UINT64_C(10000000000) + 43200000) / 86400000, 10);
            *p++ = ',';
            p = put_value(p, value);
            memcpy(p, ",real\r\n", 7);
            p += 7;
        } else {
            if (k > 0)
                *p++ = ',';
            memcpy(p, "{\"ObsTime\":\"", 12);
            p += 12;
            if (kind == PATHB) {
                memcpy(p, "/Date(", 6);
                p = put_uint(p + 6, ms, 13);
                memcpy(p, "+0000)/", 7);
                p += 7;
            } else {
                p = put_iso(p, y, mo, d, ms_of_day, 'T', 0);
            }
            memcpy(p, "\",\"EUValue\":", 12);
            p = put_value(p + 12, value);
            *p++ = '}';
        }

        ms += 256;
        ms_of_day += 256;
        if (ms_of_day >= 86400000) {
            ms_of_day -= 86400000;
            mjd_day++;
            if (++d > days_in_month(y, mo)) {
                d = 1;
                if (++mo > 12) {
                    mo = 1;
                    y++;
                }
            }
        }
    }
    if (kind != CSV) {
        memcpy(p, "]}", 2);
        p += 2;
    }
    *len = (size_t)(p - body);
    return body;
}

static int bench(int kind, int typed, size_t rows)
{
    size_t len;
    double g0 = now_s();
    char *body = make_body(kind, rows, &len);
    if (!body) {
        fprintf(stderr, "bench_decode: cannot allocate the body for %zu rows\n", rows);
        return 1;
    }
    double gen = now_s() - g0;
    double rss_body = rss_mib();

    edb_series *s = NULL;
    edb_decoder *d = NULL;
    edb_decode_options o = EDB_DECODE_OPTIONS_INIT;
    if (typed) {
        o.vtype = EDB_VT_REAL;
        o.sqltype = "real";
    }
    if (edb_series_new(&s, "SA_ZATTEST2") != EDB_OK ||
        edb_decoder_new(&d, kind == CSV ? "mast-csv" : "json", s, &o) != EDB_OK) {
        fprintf(stderr, "bench_decode: out of memory\n");
        return 1;
    }
    double t0 = now_s(), c0 = cpu_s();
    edb_status st = EDB_OK;
    for (size_t off = 0; off < len && st == EDB_OK; off += CHUNK)
        st = edb_decoder_feed(d, body + off, len - off < CHUNK ? len - off : CHUNK);
    if (st == EDB_OK)
        st = edb_decoder_finish(d);
    double secs = now_s() - t0, cpu = cpu_s() - c0;
    if (st != EDB_OK || s->n != rows) {
        fprintf(stderr, "bench_decode: decode failed (%zu of %zu samples): %s\n", s->n, rows,
                edb_decoder_errmsg(d));
        return 1;
    }
    double mb = (double)len / 1e6;
    printf("%-5s %-8s %10zu rows %7.1f MB %7.3f s %6.1f MB/s %5.2f M rows/s | cpu %7.3f s "
           "%6.1f MB/s %5.2f M rows/s | body %6.1f MiB, RSS before %6.1f MiB, peak %6.1f MiB "
           "(series %.1f MiB) [generated in %.2f s]\n",
           kind_names[kind], kind == CSV ? "" : typed ? "typed" : "untyped", rows, mb, secs,
           mb / secs, (double)rows / secs / 1e6, cpu, mb / cpu, (double)rows / cpu / 1e6,
           (double)len / 1048576.0, rss_body, peak_mib(), (double)s->n * 16 / 1048576.0, gen);
    fflush(stdout);
    edb_decoder_free(d);
    edb_series_free(s);
    free(body);
    return 0;
}

/* One case in a child process: its peak RSS is then its own. */
static int bench_alone(int kind, int typed, size_t rows)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        return bench(kind, typed, rows);
    if (pid == 0)
        _exit(bench(kind, typed, rows));
    int status = 0;
    if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
        return 1;
    return WEXITSTATUS(status);
}

static int bench_all(size_t rows)
{
    int rc = bench_alone(CSV, 0, rows);
    for (int kind = PATHB; kind <= EDP; kind++)
        for (int typed = 0; typed < 2; typed++)
            rc |= bench_alone(kind, typed, rows);
    return rc;
}

int main(int argc, char **argv)
{
    static const size_t defaults[] = {1000000, 10000000};
    int rc = 0;
    if (argc > 1) {
        for (int k = 1; k < argc; k++) {
            char *end;
            unsigned long long n = strtoull(argv[k], &end, 10);
            if (*end || n == 0) {
                fprintf(stderr, "usage: %s [ROWS...]\n", argv[0]);
                return 2;
            }
            rc |= bench_all((size_t)n);
        }
    } else {
        for (size_t k = 0; k < sizeof defaults / sizeof *defaults; k++)
            rc |= bench_all(defaults[k]);
    }
    return rc;
}
