/* bench_cache.c: how much memory a reply costs on its way into and out of the cache.
 *
 *   bench_cache [ROWS...]        (default: 1000000 5000000)
 *
 * For each count it streams a path A reply of ROWS rows (about 80 bytes each, the shape
 * of SA_ZATTEST2) into a cache in a temporary folder through the tap hooks, 1 MiB at a
 * time as a transfer would, then answers the same request from the cache through the
 * lookup hook into a sink that only counts and hashes.  It prints the time of each and
 * the peak resident size after each: a cache that inflated the whole reply into one
 * buffer would add the reply's size to the second peak.  Figures only: nothing here fails
 * on timing. */
#define _XOPEN_SOURCE 700 /* nftw */
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <edb/edb.h>

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

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p);
}

typedef struct sink {
    uint64_t bytes;
    size_t pieces;
    edb_sha256 *sha;
} sink;

static int sink_feed(void *ctx, const char *d, size_t n)
{
    sink *s = ctx;
    s->bytes += n;
    s->pieces++;
    edb_sha256_update(s->sha, d, n);
    return 0;
}

static int bench(size_t rows)
{
    char dir[] = "/tmp/edbx-bench-cache-XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    edb_cache_options o = EDB_CACHE_OPTIONS_INIT;
    o.dir = dir;
    o.base_url = "http://127.0.0.1:9/";
    o.now = INT64_C(1704067200000000); /* 2024-01-01 */
    edb_cache *c = NULL;
    edb_err err = EDB_ERR_INIT;
    if (edb_cache_open(&c, &o, &err) != EDB_OK) {
        fprintf(stderr, "bench_cache: %s\n", err.msg);
        return 1;
    }
    edb_reply_hooks h;
    edb_cache_hooks(c, &h);
    edb_request_info ri = {.service = "mast", .kind = EDB_REQ_DATA, .mnemonic = "SA_ZATTEST2",
                           .start = INT64_C(1640995200000000), .end = INT64_C(1643673600000000),
                           .url = "http://127.0.0.1:9/x", .uri_name = "SA_ZATTEST2-bench.csv"};
    double t0 = now_s();
    void *tap = h.tap_begin(h.ctx, &ri, 0);
    if (!tap)
        return 1;
    enum { BUF = 1 << 20 };
    char *buf = malloc(BUF + 128);
    edb_sha256 *in_sha = edb_sha256_new();
    uint64_t total = 0;
    size_t len = (size_t)snprintf(buf, BUF, "theTime,MJD,euvalue,sqldataType\r\n");
    for (size_t k = 0; k < rows; k++) {
        uint64_t ms = (uint64_t)k * 256;
        len += (size_t)snprintf(buf + len, 128,
                                "2022-01-%02u %02u:%02u:%02u.%03u000,%.10f,%.10f,real\r\n",
                                (unsigned)(1 + ms / 86400000 % 28), (unsigned)(ms / 3600000 % 24),
                                (unsigned)(ms / 60000 % 60), (unsigned)(ms / 1000 % 60),
                                (unsigned)(ms % 1000), 59580.0 + (double)ms / 86400000.0,
                                -0.79 + (double)(k % 1000) * 1e-6);
        if (len > BUF - 128 || k + 1 == rows) {
            h.tap_write(tap, buf, len);
            edb_sha256_update(in_sha, buf, len);
            total += len;
            len = 0;
        }
    }
    h.tap_end(tap, 1, 200, &err);
    double t1 = now_s(), peak_store = peak_mib();
    char want[EDB_SHA256_HEX], got[EDB_SHA256_HEX];
    edb_sha256_final(in_sha, want);
    free(buf);

    sink s = {0, 0, edb_sha256_new()};
    edb_reply_sink rs = {&s, sink_feed, NULL, NULL, NULL, NULL};
    int rc = h.lookup(h.ctx, &ri, &rs, &err);
    double t2 = now_s(), peak_lookup = peak_mib();
    edb_sha256_final(s.sha, got);
    edb_cache_stats st;
    edb_cache_get_stats(c, &st);
    printf("%9zu rows, reply %7.1f MiB: stored in %5.2f s (peak RSS %6.1f MiB), served in %5.2f s "
           "in %zu pieces (peak RSS %6.1f MiB)%s\n",
           rows, (double)total / 1048576.0, t1 - t0, peak_store, t2 - t1, s.pieces, peak_lookup,
           rc == 1 && s.bytes == total && strcmp(got, want) == 0 ? "" : "  MISMATCH");
    edb_cache_free(c);
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    return 0;
}

int main(int argc, char **argv)
{
    size_t def[] = {1000000, 5000000};
    if (argc > 1) {
        for (int k = 1; k < argc; k++)
            if (bench((size_t)strtoull(argv[k], NULL, 10)) != 0)
                return 1;
        return 0;
    }
    for (size_t k = 0; k < sizeof def / sizeof def[0]; k++)
        if (bench(def[k]) != 0)
            return 1;
    return 0;
}
