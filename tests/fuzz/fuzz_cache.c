/* fuzz_cache.c: a cache entry file from a hostile folder: the header parser, then, when
 * the header reads, a whole lookup of the request it names (the file placed where that
 * request's entry lives), which inflates, feeds, counts and hashes the stream, and the
 * listing of the folder.  Whatever the bytes: the parser fails with a reason or gives sane
 * fields, and a lookup that answers has fed exactly the length and SHA-256 the header
 * promised; one that does not has removed the file. */
#define _XOPEN_SOURCE 700 /* nftw */
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <edb/edb.h>

#include "cache_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[] = "/tmp/edbx-fuzz-cache-XXXXXX";

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p);
}

static void cleanup(void)
{
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

typedef struct fed {
    uint64_t n;
    edb_sha256 *sha;
} fed;

static int feed(void *ctx, const char *p, size_t n)
{
    fed *f = ctx;
    f->n += n;
    edb_sha256_update(f->sha, p, n);
    return 0;
}

static int count(void *ctx, const edb_cache_entry_info *e)
{
    (void)e;
    ++*(int *)ctx;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    edb__cache_header h;
    size_t hl = 0;
    char why[160] = "";
    if (edb__cache_header_parse(data, size, &h, &hl, why, sizeof why) != 0) {
        if (!why[0] || h.json_)
            abort();
        return 0;
    }
    if (hl > size || hl > EDB__CACHE_HEADER_MAX || h.size > EDB__CACHE_RAW_MAX ||
        strlen(h.sha256) != 64 || h.start > h.end || !h.service || !h.base_url || !h.kind ||
        !h.mnemonic)
        abort();
    static int made;
    if (!made) {
        if (!mkdtemp(dir))
            abort();
        atexit(cleanup);
        made = 1;
    }
    /* A cache for the service and base URL the header names, at a time its range has
     * settled by. */
    edb_cache_options o = EDB_CACHE_OPTIONS_INIT;
    o.dir = dir;
    o.service = h.service;
    o.base_url = h.base_url;
    o.now = h.end < EDB_TIME_MAX - EDB_CACHE_SETTLE_US ? h.end + EDB_CACHE_SETTLE_US : h.end;
    edb_cache *c = NULL;
    edb_err err = EDB_ERR_INIT;
    if (edb_cache_open(&c, &o, &err) != EDB_OK) {
        edb__cache_header_free(&h);
        return 0;
    }
    edb_request_info ri = {.service = h.service, .kind = strcmp(h.kind, "meta") == 0 ? EDB_REQ_META : EDB_REQ_DATA,
                           .mnemonic = h.mnemonic,
                           .start = h.start, .end = h.end, .url = "http://127.0.0.1:9/",
                           .uri_name = "fuzz.csv"};
    char rel[128], path[4200];
    edb__cache_entry_relpath(c, &ri, rel, sizeof rel);
    snprintf(path, sizeof path, "%s/%.5s", dir, rel); /* v1/XX */
    mkdir(path, 0700);
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0)
        abort();
    int listed = 0;
    if (edb_cache_list(dir, count, &listed, &err) != EDB_OK || listed != 1)
        abort();
    edb_reply_hooks hooks;
    edb_cache_hooks(c, &hooks);
    fed fd = {0, edb_sha256_new()};
    edb_reply_sink sink = {&fd, feed, NULL, NULL, NULL, NULL};
    int rc = hooks.lookup(hooks.ctx, &ri, &sink, &err);
    char sum[EDB_SHA256_HEX];
    edb_sha256_final(fd.sha, sum);
    struct stat sb;
    int there = stat(path, &sb) == 0;
    if (rc == 1 && (fd.n != h.size || strcmp(sum, h.sha256) != 0 || !there))
        abort(); /* served, so exactly what the header promised */
    /* The settle rule, as cache.h states it: outside it the cache neither serves nor drops. */
    int settled = o.now >= EDB_TIME_MIN + EDB_CACHE_SETTLE_US && h.end <= o.now - EDB_CACHE_SETTLE_US;
    if (rc == 0 && there && settled)
        abort(); /* refused, so removed */
    if (rc != 0 && !settled)
        abort();
    if (rc != 0 && rc != 1)
        abort();
    unlink(path);
    edb_cache_free(c);
    edb__cache_header_free(&h);
    return 0;
}
