/* bench_decode.c: how fast the MAST CSV decoder turns a reply into a series.
 *
 *   bench_decode [ROWS...]        (default: 1000000 10000000)
 *
 * For each count it builds a realistic reply in memory (untimed): rows 256 ms apart from
 * 2022-01-01, MJD and value with 10 decimals, sqldataType real, CRLF, the shape of
 * SA_ZATTEST2.  Then it decodes it fed in 64 KiB chunks, as the HTTP source does, and
 * prints throughput and memory.  The resident size is shown before decoding (the body
 * alone) and at its peak after, so the difference is what the decoder and the series add.
 * Figures only: nothing here fails on timing. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <edb/mastcsv.h>
#include <edb/series.h>

#define CHUNK (64 * 1024)
#define ROW_MAX 96

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
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

/* The reply; digits written by hand because snprintf would make generating 10 million
 * rows slower than decoding them. */
static char *make_body(size_t rows, size_t *len)
{
    static const char hdr[] = "theTime,MJD,euvalue,sqldataType\r\n";
    size_t cap = sizeof hdr + rows * ROW_MAX;
    char *body = malloc(cap);
    if (!body)
        return NULL;
    char *p = body;
    memcpy(p, hdr, sizeof hdr - 1);
    p += sizeof hdr - 1;
    int y = 2022, mo = 1, d = 1;
    uint64_t mjd_day = 59580, ms_of_day = 0;
    uint64_t state = 0x2545F4914F6CDD1DULL;
    int64_t value = -7914493680; /* in units of 1e-10, a random walk */
    for (size_t k = 0; k < rows; k++) {
        uint64_t s = ms_of_day / 1000, ms = ms_of_day % 1000;
        p = put_uint(p, (uint64_t)y, 4);
        *p++ = '-';
        p = put_uint(p, (uint64_t)mo, 2);
        *p++ = '-';
        p = put_uint(p, (uint64_t)d, 2);
        *p++ = ' ';
        p = put_uint(p, s / 3600, 2);
        *p++ = ':';
        p = put_uint(p, s / 60 % 60, 2);
        *p++ = ':';
        p = put_uint(p, s % 60, 2);
        *p++ = '.';
        p = put_uint(p, ms * 1000, 6);
        *p++ = ',';
        p = put_uint(p, mjd_day, 5);
        *p++ = '.';
        p = put_uint(p, (ms_of_day * UINT64_C(10000000000) + 43200000) / 86400000, 10);
        *p++ = ',';
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        value += (int64_t)(state % 1193) - 596;
        uint64_t av = (uint64_t)(value < 0 ? -value : value);
        if (value < 0)
            *p++ = '-';
        p = put_uint(p, av / UINT64_C(10000000000), 1);
        *p++ = '.';
        p = put_uint(p, av % UINT64_C(10000000000), 10);
        memcpy(p, ",real\r\n", 7);
        p += 7;

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
    *len = (size_t)(p - body);
    return body;
}

static int bench(size_t rows)
{
    size_t len;
    double g0 = now_s();
    char *body = make_body(rows, &len);
    if (!body) {
        fprintf(stderr, "bench_decode: cannot allocate the body for %zu rows\n", rows);
        return 1;
    }
    double gen = now_s() - g0;
    double rss_body = rss_mib();

    edb_series *s = NULL;
    edb_mastcsv *d = NULL;
    if (edb_series_new(&s, "SA_ZATTEST2") != EDB_OK || edb_mastcsv_new(&d, s, NULL) != EDB_OK) {
        fprintf(stderr, "bench_decode: out of memory\n");
        return 1;
    }
    double t0 = now_s();
    edb_status st = EDB_OK;
    for (size_t off = 0; off < len && st == EDB_OK; off += CHUNK)
        st = edb_mastcsv_feed(d, body + off, len - off < CHUNK ? len - off : CHUNK);
    if (st == EDB_OK)
        st = edb_mastcsv_finish(d);
    double secs = now_s() - t0;
    if (st != EDB_OK || s->n != rows) {
        fprintf(stderr, "bench_decode: decode failed (%zu of %zu samples): %s\n", s->n, rows,
                edb_mastcsv_errmsg(d));
        return 1;
    }
    double mb = (double)len / 1e6;
    printf("%10zu rows %9.1f MB %8.3f s %8.1f MB/s %12.0f rows/s | body %7.1f MiB, RSS before "
           "%7.1f MiB, peak RSS %7.1f MiB (series %.1f MiB) [generated in %.2f s]\n",
           rows, mb, secs, mb / secs, (double)rows / secs, (double)len / 1048576.0, rss_body,
           peak_mib(), (double)s->n * 16 / 1048576.0, gen);
    fflush(stdout);
    edb_mastcsv_free(d);
    edb_series_free(s);
    free(body);
    return 0;
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
            rc |= bench((size_t)n);
        }
    } else {
        for (size_t k = 0; k < sizeof defaults / sizeof *defaults; k++)
            rc |= bench(defaults[k]);
    }
    return rc;
}
