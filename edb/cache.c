/* cache.c: raw EDB replies kept on disk, zlib-compressed, behind the client's reply hooks.
 *
 * An entry file is: the line "EDBXCACHE1", one line of JSON saying what it answers (and
 * its raw length and SHA-256), then the zlib stream.  The JSON header makes the folder
 * self-describing (`edbx cache list` needs no index) and lets a lookup refuse an entry
 * that answers something else, however it got there.
 *
 * The folder is hostile ground: another process, a careless user or an attacker with a
 * foothold may have put links, FIFOs or foreign files where entries are expected.  So the
 * cache holds a descriptor of its v1 folder and reaches everything below it with openat()
 * and O_NOFOLLOW, checks with fstat() that an entry is a regular file before reading it,
 * and removes only what carries its magic or is named exactly as its temporary files. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <zlib.h>

#include <edb/archive.h>
#include <edb/cache.h>

#include "cache_internal.h"
#include "internal.h"

#define MAGIC EDB__CACHE_MAGIC
#define MAGIC_LEN EDB__CACHE_MAGIC_LEN
#define HEADER_MAX EDB__CACHE_HEADER_MAX
#define RAW_MAX EDB__CACHE_RAW_MAX
#define LAYOUT "v1"
#define BY_TOKEN "by-token"
#define KEY_FILE "key"
#define KEY_BYTES 32
/* A per-token folder is named by 128 bits of the keyed hash: 32 hex digits. */
#define TOKEN_NAME_HEX 32
/* Temporary files: ".tmp-" KEY "-" 16 random hex digits (entries), ".tmp-key-" 16 random
 * hex digits (the key).  `clear` removes these exact names and nothing else that lacks the
 * magic. */
#define TMP_RAND_HEX 16
#define ENTRY_NAME_LEN (64 + 2)
#define TMP_NAME_LEN (5 + 64 + 1 + TMP_RAND_HEX)
#define IO_CHUNK 65536

struct edb_cache {
    char *dir, *root, *service, *base_url;
    int v1_fd; /* root/v1, opened without following a link */
    edb_time now;
    int refresh;
    int store_warned; /* a failure to store is reported once per run */
    int read_warned;  /* and one to read */
    edb_log_fn log;
    void *log_ctx;
    edb_cache_stats stats;
};

#define logf_(c, ...) edb__logf((c)->log, (c)->log_ctx, __VA_ARGS__)

/* ---- what an entry answers -------------------------------------------------------------- */

/* The identity of a reply: what makes two requests the same one.  The key, the header an
 * entry is written with and the check of a header read back all walk IDENT_SPEC and
 * ident_values(), so a new part of a request's identity (a kind of request, a format) is
 * one member here, one line in each of the two, and nothing else. */
typedef struct ident {
    const char *service, *base_url, *kind, *mnemonic;
    int64_t start, end;
} ident;

typedef struct field {
    const char *name;
    int is_int;
    const char *s;
    int64_t i;
} field;

static const field IDENT_SPEC[] = {
    {"service", 0, NULL, 0}, {"base_url", 0, NULL, 0}, {"kind", 0, NULL, 0},
    {"mnemonic", 0, NULL, 0}, {"start_us", 1, NULL, 0}, {"end_us", 1, NULL, 0},
};
#define N_IDENT (sizeof IDENT_SPEC / sizeof IDENT_SPEC[0])

static void ident_values(const ident *id, field f[N_IDENT])
{
    memcpy(f, IDENT_SPEC, sizeof IDENT_SPEC);
    f[0].s = id->service;
    f[1].s = id->base_url;
    f[2].s = id->kind;
    f[3].s = id->mnemonic;
    f[4].i = id->start;
    f[5].i = id->end;
}

/* The identity of the reply a request asks for: the service, its base URL, data or
 * metadata, the mnemonic and the range, taken from ri here and from nowhere else. */
static void request_ident(const edb_cache *c, const edb_request_info *ri, ident *id)
{
    id->service = c->service;
    id->base_url = c->base_url;
    id->kind = ri->kind == EDB_REQ_META ? "meta" : "data";
    id->mnemonic = ri->mnemonic;
    id->start = ri->start;
    id->end = ri->end;
}

/* KEY: the SHA-256 of every identity field, named and NUL-separated, so that no field can
 * run into the next and no two identities share a key. */
static void ident_key(const ident *id, char key[EDB_SHA256_HEX])
{
    field f[N_IDENT];
    ident_values(id, f);
    edb__buf b = {0};
    int bad = edb__buf_append(&b, "edbx-cache-2", 13);
    for (size_t k = 0; k < N_IDENT && !bad; k++) {
        if (f[k].is_int)
            bad = edb__buf_printf(&b, "%s=%lld", f[k].name, (long long)f[k].i) != 0;
        else
            bad = edb__buf_printf(&b, "%s=%s", f[k].name, f[k].s) != 0;
        bad = bad || edb__buf_append(&b, "", 1) != 0;
    }
    /* Out of memory: a key no entry has, so the lookup misses and the store fails. */
    edb_sha256_hex(bad ? "" : b.p, bad ? 0 : b.len, key);
    if (bad)
        key[0] = 'x';
    edb__buf_free(&b);
}

static int ident_matches(const edb__cache_header *h, const ident *id)
{
    field f[N_IDENT];
    ident_values(id, f);
    json_t *j = h->json_;
    for (size_t k = 0; k < N_IDENT; k++) {
        json_t *v = json_object_get(j, f[k].name);
        if (f[k].is_int ? json_integer_value(v) != f[k].i
                        : strcmp(json_string_value(v), f[k].s) != 0)
            return 0;
    }
    return 1;
}

/* ---- the header ------------------------------------------------------------------------ */

static int is_hex(const char *s, size_t n)
{
    for (size_t k = 0; k < n; k++)
        if (!((s[k] >= '0' && s[k] <= '9') || (s[k] >= 'a' && s[k] <= 'f')))
            return 0;
    return 1;
}

int edb__cache_has_magic(const void *buf, size_t len)
{
    return len >= MAGIC_LEN && memcmp(buf, MAGIC, MAGIC_LEN) == 0;
}

static int why_(char *why, size_t whylen, const char *fmt, const char *name)
{
    snprintf(why, whylen, fmt, name);
    return -1;
}

int edb__cache_header_parse(const void *buf, size_t len, edb__cache_header *h,
                            size_t *header_len, char *why, size_t whylen)
{
    memset(h, 0, sizeof *h);
    if (!edb__cache_has_magic(buf, len))
        return why_(why, whylen, "%sit is not a cache entry", "");
    const char *p = (const char *)buf + MAGIC_LEN;
    size_t room = (len < HEADER_MAX ? len : HEADER_MAX) - MAGIC_LEN;
    const char *nl = memchr(p, '\n', room);
    if (!nl)
        return why_(why, whylen, "%sits header does not end within 4096 bytes", "");
    /* jansson refuses NUL bytes in strings unless asked, and duplicates when asked: one
     * field, one value. */
    json_t *j = json_loadb(p, (size_t)(nl - p), JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(j)) {
        json_decref(j);
        return why_(why, whylen, "%sits header is not a JSON object", "");
    }
    for (size_t k = 0; k < N_IDENT; k++) {
        json_t *v = json_object_get(j, IDENT_SPEC[k].name);
        if (IDENT_SPEC[k].is_int ? !json_is_integer(v) : !json_is_string(v)) {
            json_decref(j);
            return why_(why, whylen, "its header's %s is missing or of the wrong type",
                        IDENT_SPEC[k].name);
        }
        /* `cache list` prints these: no terminal escapes from a planted file. */
        for (const char *s = json_string_value(v); s && *s; s++)
            if ((unsigned char)*s < 0x20 || *s == 0x7f) {
                json_decref(j);
                return why_(why, whylen, "its header's %s holds control characters",
                            IDENT_SPEC[k].name);
            }
    }
    json_t *stored = json_object_get(j, "stored_us"), *size = json_object_get(j, "size");
    json_t *sha = json_object_get(j, "sha256");
    const char *bad = NULL;
    if (!json_is_integer(stored))
        bad = "stored_us";
    else if (!json_is_integer(size) || json_integer_value(size) < 0 ||
             (uint64_t)json_integer_value(size) > RAW_MAX)
        bad = "size";
    else if (!json_is_string(sha) || json_string_length(sha) != 64 ||
             !is_hex(json_string_value(sha), 64))
        bad = "sha256";
    else if (json_integer_value(json_object_get(j, "start_us")) >
             json_integer_value(json_object_get(j, "end_us")))
        bad = "range (start_us after end_us)";
    if (bad) {
        json_decref(j);
        return why_(why, whylen, "its header's %s is bad", bad);
    }
    h->json_ = j;
    h->service = json_string_value(json_object_get(j, "service"));
    h->base_url = json_string_value(json_object_get(j, "base_url"));
    h->kind = json_string_value(json_object_get(j, "kind"));
    h->mnemonic = json_string_value(json_object_get(j, "mnemonic"));
    h->start = json_integer_value(json_object_get(j, "start_us"));
    h->end = json_integer_value(json_object_get(j, "end_us"));
    h->stored = json_integer_value(stored);
    h->size = (uint64_t)json_integer_value(size);
    memcpy(h->sha256, json_string_value(sha), 65);
    *header_len = (size_t)(nl + 1 - (const char *)buf);
    return 0;
}

void edb__cache_header_free(edb__cache_header *h)
{
    if (h && h->json_) {
        json_decref(h->json_);
        h->json_ = NULL;
    }
}

/* ---- folders and files, never through a link --------------------------------------------- */

/* A folder below a folder we hold: made 0700 if asked and missing, opened only if it is a
 * folder itself (a link there fails with ELOOP or ENOTDIR). */
static int subdir_at(int parent, const char *name, int create)
{
    if (create && mkdirat(parent, name, 0700) != 0 && errno != EEXIST)
        return -1;
    return openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

/* A regular file below a folder we hold, for reading.  O_NONBLOCK: a FIFO planted there
 * must not hang us before fstat says what it is. */
static int open_regular(int dirfd, const char *name, struct stat *sb)
{
    int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return -1;
    if (fstat(fd, sb) != 0 || !S_ISREG(sb->st_mode)) {
        close(fd);
        errno = EINVAL;
        return -1;
    }
    return fd;
}

/* Read up to n bytes (fewer only at the end of the file). */
static ssize_t read_full(int fd, void *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, (char *)buf + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r == 0)
            break;
        got += (size_t)r;
    }
    return (ssize_t)got;
}

static int write_full(int fd, const void *buf, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, buf, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        buf = (const char *)buf + w;
        n -= (size_t)w;
    }
    return 0;
}

static int random_hex(char *out, size_t nhex)
{
    unsigned char r[32];
    size_t nb = (nhex + 1) / 2;
    if (nb > sizeof r || getrandom(r, nb, 0) != (ssize_t)nb)
        return -1;
    for (size_t k = 0; k < nhex; k++)
        out[k] = "0123456789abcdef"[(r[k / 2] >> (k % 2 ? 0 : 4)) & 15];
    out[nhex] = '\0';
    return 0;
}

/* A new temporary file "PREFIX" + random hex in dirfd, 0600, never an existing name. */
static int make_temp(int dirfd, const char *prefix, char *name, size_t namelen)
{
    for (int tries = 0; tries < 16; tries++) {
        char r[TMP_RAND_HEX + 1];
        if (random_hex(r, TMP_RAND_HEX) != 0)
            return -1;
        snprintf(name, namelen, "%s%s", prefix, r);
        int fd = openat(dirfd, name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd >= 0 || errno != EEXIST)
            return fd;
    }
    return -1;
}

static int is_entry_name(const char *name)
{
    return strlen(name) == ENTRY_NAME_LEN && is_hex(name, 64) && strcmp(name + 64, ".z") == 0;
}

static int is_temp_name(const char *name)
{
    if (strlen(name) == TMP_NAME_LEN && strncmp(name, ".tmp-", 5) == 0 && is_hex(name + 5, 64) &&
        name[69] == '-' && is_hex(name + 70, TMP_RAND_HEX))
        return 1;
    return strlen(name) == 9 + TMP_RAND_HEX && strncmp(name, ".tmp-key-", 9) == 0 &&
           is_hex(name + 9, TMP_RAND_HEX);
}

/* ---- opening ------------------------------------------------------------------------------ */

/* The random key of the per-token names: read, or made once (linked into place, so two
 * first runs agree on one key). */
static edb_status token_key(int byfd, const char *dir, unsigned char key[KEY_BYTES], edb_err *err)
{
    for (int tries = 0; tries < 2; tries++) {
        struct stat sb;
        int fd = open_regular(byfd, KEY_FILE, &sb);
        if (fd >= 0) {
            ssize_t n = sb.st_size == KEY_BYTES ? read_full(fd, key, KEY_BYTES) : -1;
            close(fd);
            if (n == KEY_BYTES)
                return EDB_OK;
            return edb__fail(err, EDB_ERR_IO, "cache folder %s: %s/" BY_TOKEN "/" KEY_FILE
                             " is not a %d-byte key: remove it (the per-token folders it "
                             "named are then left unused; 'edbx cache clear' empties them)",
                             dir, dir, KEY_BYTES);
        }
        if (errno != ENOENT)
            return edb__fail(err, EDB_ERR_IO, "cache folder %s: %s/" BY_TOKEN "/" KEY_FILE
                             " cannot be read (%s)", dir, dir,
                             errno == EINVAL ? "not a regular file" : strerror(errno));
        char tmp[9 + TMP_RAND_HEX + 1];
        unsigned char fresh[KEY_BYTES];
        fd = make_temp(byfd, ".tmp-key-", tmp, sizeof tmp);
        if (fd < 0 || getrandom(fresh, sizeof fresh, 0) != (ssize_t)sizeof fresh ||
            write_full(fd, fresh, sizeof fresh) != 0) {
            int e = errno;
            if (fd >= 0) {
                close(fd);
                unlinkat(byfd, tmp, 0);
            }
            OPENSSL_cleanse(fresh, sizeof fresh);
            return edb__fail(err, EDB_ERR_IO, "cache folder %s: cannot make its key (%s)", dir,
                             strerror(e));
        }
        close(fd);
        OPENSSL_cleanse(fresh, sizeof fresh);
        /* link() never replaces: if another process made one first, read theirs. */
        int linked = linkat(byfd, tmp, byfd, KEY_FILE, 0) == 0 || errno == EEXIST;
        int e = errno;
        unlinkat(byfd, tmp, 0);
        if (!linked)
            return edb__fail(err, EDB_ERR_IO, "cache folder %s: cannot make its key (%s)", dir,
                             strerror(e));
    }
    return edb__fail(err, EDB_ERR_IO, "cache folder %s: its key keeps changing", dir);
}

/* NAME of a token's folder: HMAC-SHA-256 under the cache's key, never a plain hash, so a
 * folder name tells nothing about a token to whoever does not hold the key. */
static edb_status token_name(int byfd, const char *dir, const char *token,
                             char name[TOKEN_NAME_HEX + 1], edb_err *err)
{
    unsigned char key[KEY_BYTES];
    edb_status st = token_key(byfd, dir, key, err);
    if (st != EDB_OK)
        return st;
    static const char tag[] = "edbx-cache-token";
    size_t tl = token ? strlen(token) : 0;
    size_t n = sizeof tag + 1 + tl;
    unsigned char *msg = malloc(n);
    if (!msg) {
        OPENSSL_cleanse(key, sizeof key);
        return edb__fail(err, EDB_ERR_NOMEM, "out of memory");
    }
    memcpy(msg, tag, sizeof tag); /* with its NUL */
    msg[sizeof tag] = token ? 't' : 'n'; /* no token is not the empty token */
    if (tl)
        memcpy(msg + sizeof tag + 1, token, tl);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    int ok = HMAC(EVP_sha256(), key, KEY_BYTES, msg, n, md, &mdlen) != NULL && mdlen >= 16;
    OPENSSL_cleanse(msg, n);
    free(msg);
    OPENSSL_cleanse(key, sizeof key);
    if (!ok)
        return edb__fail(err, EDB_ERR_INTERNAL, "cache: HMAC-SHA-256 failed");
    for (size_t k = 0; k < TOKEN_NAME_HEX; k++)
        name[k] = "0123456789abcdef"[(md[k / 2] >> (k % 2 ? 0 : 4)) & 15];
    name[TOKEN_NAME_HEX] = '\0';
    return EDB_OK;
}

static edb_status open_fail(edb_err *err, const char *dir, const char *what, int e)
{
    /* Inside the folder a link is refused like a file; the folder itself may be a link. */
    const char *why = *what && (e == ELOOP || e == ENOTDIR)
                          ? "not a folder (a link or a file is there)"
                          : e == ENOTDIR ? "not a folder" : strerror(e);
    return edb__fail(err, EDB_ERR_IO, "cache folder %s: %s%s%s", dir, what, *what ? ": " : "",
                     why);
}

edb_status edb_cache_open(edb_cache **out, const edb_cache_options *o, edb_err *err)
{
    if (!out || !o || !o->dir || !*o->dir || !o->base_url)
        return edb__fail(err, EDB_ERR_USAGE, "edb_cache_open: no folder or no base URL");
    *out = NULL;
    const char *service = o->service ? o->service : "mast";
    size_t bl = strlen(o->base_url);
    /* "http://h/" and "http://h" are one service: one key. */
    while (bl > 0 && o->base_url[bl - 1] == '/')
        bl--;
    if (strlen(service) > EDB_CACHE_SERVICE_MAX || bl > EDB_CACHE_BASE_URL_MAX)
        return edb__fail(err, EDB_ERR_USAGE, "cache: a service name or base URL this long "
                         "(over %d or %d characters) is not cached", EDB_CACHE_SERVICE_MAX,
                         EDB_CACHE_BASE_URL_MAX);
    /* The folder itself may be a link (a cache moved to a bigger disk): the user's choice.
     * Its parent is never made: a missing $HOME or a mistyped path fails here. */
    if (mkdir(o->dir, 0700) != 0 && errno != EEXIST)
        return errno == ENOENT ? edb__fail(err, EDB_ERR_IO, "cache folder %s: its parent "
                                           "folder does not exist", o->dir)
                               : open_fail(err, o->dir, "", errno);
    int top = open(o->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (top < 0)
        return open_fail(err, o->dir, "", errno);
    edb_status st = EDB_OK;
    edb_cache *c = calloc(1, sizeof *c);
    edb__buf root = {0};
    int rootfd = top, byfd = -1;
    if (c)
        c->v1_fd = -1;
    if (!c || edb__buf_printf(&root, "%s", o->dir) != 0) {
        st = edb__fail(err, EDB_ERR_NOMEM, "out of memory");
        goto done;
    }
    if (o->per_token) {
        char name[TOKEN_NAME_HEX + 1];
        byfd = subdir_at(top, BY_TOKEN, 1);
        if (byfd < 0) {
            st = open_fail(err, o->dir, BY_TOKEN, errno);
            goto done;
        }
        if ((st = token_name(byfd, o->dir, o->token, name, err)) != EDB_OK)
            goto done;
        rootfd = subdir_at(byfd, name, 1);
        if (rootfd < 0) {
            st = open_fail(err, o->dir, BY_TOKEN "/<token folder>", errno);
            goto done;
        }
        if (edb__buf_printf(&root, "/" BY_TOKEN "/%s", name) != 0) {
            st = edb__fail(err, EDB_ERR_NOMEM, "out of memory");
            goto done;
        }
    }
    c->v1_fd = subdir_at(rootfd, LAYOUT, 1);
    if (c->v1_fd < 0) {
        st = open_fail(err, root.p, LAYOUT, errno);
        goto done;
    }
    c->dir = edb__strdup(o->dir);
    c->root = root.p;
    root.p = NULL;
    c->service = edb__strdup(service);
    c->base_url = edb__strndup(o->base_url, bl);
    if (!c->dir || !c->service || !c->base_url) {
        st = edb__fail(err, EDB_ERR_NOMEM, "out of memory");
        goto done;
    }
    c->now = o->now;
    c->refresh = o->refresh;
    c->log = o->log;
    c->log_ctx = o->log_ctx;
done:
    if (rootfd != top)
        close(rootfd);
    if (byfd >= 0)
        close(byfd);
    close(top);
    edb__buf_free(&root);
    if (st != EDB_OK) {
        edb_cache_free(c);
        return st;
    }
    *out = c;
    return EDB_OK;
}

void edb_cache_free(edb_cache *c)
{
    if (!c)
        return;
    if (c->v1_fd >= 0)
        close(c->v1_fd);
    free(c->dir);
    free(c->root);
    free(c->service);
    free(c->base_url);
    free(c);
}

const char *edb_cache_root(const edb_cache *c)
{
    return c ? c->root : "";
}

void edb_cache_get_stats(const edb_cache *c, edb_cache_stats *out)
{
    if (c)
        *out = c->stats;
    else
        memset(out, 0, sizeof *out);
}

void edb__cache_entry_relpath(const edb_cache *c, const edb_request_info *ri, char *out,
                              size_t outlen)
{
    ident id;
    char key[EDB_SHA256_HEX];
    request_ident(c, ri, &id);
    ident_key(&id, key);
    snprintf(out, outlen, LAYOUT "/%.2s/%s.z", key, key);
}

/* A settled range: ends at least an hour before now. */
static int cacheable(const edb_cache *c, const edb_request_info *ri)
{
    return c->now >= EDB_TIME_MIN + EDB_CACHE_SETTLE_US && ri->end <= c->now - EDB_CACHE_SETTLE_US;
}

/* ---- answering from an entry --------------------------------------------------------------- */

typedef struct feeder {
    int (*feed)(void *fctx, const char *data, size_t len);
    void *fctx;
    int stopped; /* feed said stop: go on checking, feed no more */
    void (*hint)(void *fctx, unsigned long long bytes); /* the raw length, or NULL */
} feeder;

/* Stream the entry in fd to the feeder: inflate a piece, hash it, feed it, until the end;
 * then check length and checksum.  NULL when the entry is whole; else what is wrong with
 * it.  *io is set when the file could not be read (the entry may be fine). */
static const char *stream_entry(int fd, const ident *id, feeder *fd_out, int *io,
                                edb_time *stored, char *whybuf, size_t whylen)
{
    unsigned char *in = malloc(IO_CHUNK), *out = malloc(IO_CHUNK);
    edb_sha256 *sha = edb_sha256_new();
    const char *why = NULL;
    edb__cache_header h;
    memset(&h, 0, sizeof h);
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    int zinit = 0;
    *io = 0;
    if (!in || !out || !sha) {
        why = "out of memory";
        *io = 1;
        goto done;
    }
    ssize_t got = read_full(fd, in, HEADER_MAX);
    if (got < 0) {
        why = strerror(errno);
        *io = 1;
        goto done;
    }
    size_t hl = 0;
    if (edb__cache_header_parse(in, (size_t)got, &h, &hl, whybuf, whylen) != 0) {
        why = whybuf;
        goto done;
    }
    if (!ident_matches(&h, id)) {
        why = "it answers another request";
        goto done;
    }
    if (stored)
        *stored = h.stored;
    if (fd_out->hint && h.size > 0)
        fd_out->hint(fd_out->fctx, h.size); /* the header's raw length: a hint only */
    if (inflateInit(&zs) != Z_OK) {
        why = "zlib cannot start";
        *io = 1;
        goto done;
    }
    zinit = 1;
    zs.next_in = in + hl;
    zs.avail_in = (uInt)((size_t)got - hl);
    int eof = (size_t)got < HEADER_MAX, zr = Z_OK;
    uint64_t total = 0;
    while (zr != Z_STREAM_END) {
        if (zs.avail_in == 0 && !eof) {
            ssize_t n = read_full(fd, in, IO_CHUNK);
            if (n < 0) {
                why = strerror(errno);
                *io = 1;
                goto done;
            }
            eof = n < IO_CHUNK;
            zs.next_in = in;
            zs.avail_in = (uInt)n;
        }
        zs.next_out = out;
        zs.avail_out = IO_CHUNK;
        zr = inflate(&zs, Z_NO_FLUSH);
        size_t made = IO_CHUNK - zs.avail_out;
        if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR) {
            why = "its data is damaged";
            goto done;
        }
        if (made) {
            total += made;
            if (total > h.size) {
                why = "its data is longer than its length field";
                goto done;
            }
            edb_sha256_update(sha, out, made);
            if (!fd_out->stopped && fd_out->feed(fd_out->fctx, (const char *)out, made) != 0)
                fd_out->stopped = 1;
        }
        if (zr == Z_BUF_ERROR && zs.avail_in == 0 && eof) {
            why = "it is truncated";
            goto done;
        }
    }
    if (zs.avail_in != 0 || (!eof && read_full(fd, in, 1) != 0)) {
        why = "it has bytes after its data";
        goto done;
    }
    if (total != h.size) {
        why = "its length does not match";
        goto done;
    }
    char sum[EDB_SHA256_HEX];
    edb_sha256_final(sha, sum);
    sha = NULL;
    if (strcmp(sum, h.sha256) != 0) {
        why = "its checksum does not match";
        goto done;
    }
    /* An empty reply is still a reply: the decoder hears of it. */
    if (total == 0 && !fd_out->stopped)
        fd_out->feed(fd_out->fctx, "", 0);
done:
    if (zinit)
        inflateEnd(&zs);
    edb__cache_header_free(&h);
    edb_sha256_free(sha);
    free(in);
    free(out);
    return why;
}

/* An entry that cannot be read (not one found damaged) is reported once per run: a folder
 * gone wrong would otherwise say so for every request. */
static void read_failed(edb_cache *c, const char *xx, const char *name, const char *why)
{
    if (c->read_warned)
        return;
    c->read_warned = 1;
    logf_(c, "cache: cannot read %s/" LAYOUT "/%s/%s (%s); asking the service (further read "
          "failures are not reported)", c->root, xx, name, why);
}

static int cache_lookup(void *ctx, const edb_request_info *ri, const edb_reply_sink *sink,
                        edb_err *err)
{
    (void)err; /* a cache never fails a request: at worst the network answers */
    edb_cache *c = ctx;
    if (c->refresh || !cacheable(c, ri))
        return 0;
    ident id;
    char key[EDB_SHA256_HEX], xx[3], name[ENTRY_NAME_LEN + 1];
    request_ident(c, ri, &id);
    ident_key(&id, key);
    snprintf(xx, sizeof xx, "%.2s", key);
    snprintf(name, sizeof name, "%s.z", key);
    c->stats.misses++; /* until it is a hit */
    int xfd = subdir_at(c->v1_fd, xx, 0);
    int at_folder = xfd < 0;
    struct stat sb;
    int fd = xfd >= 0 ? open_regular(xfd, name, &sb) : -1;
    if (fd < 0) {
        int e = errno;
        if (e != ENOENT)
            read_failed(c, xx, name,
                        e == EINVAL ? "not a regular file"
                        : at_folder && (e == ELOOP || e == ENOTDIR)
                            ? "a link or a file where a folder should be"
                        : e == ELOOP ? "a symbolic link: not followed" : strerror(e));
        if (xfd >= 0)
            close(xfd);
        return 0;
    }
    feeder f = {sink->feed, sink->ctx, 0, sink->size_hint};
    int io = 0;
    char whybuf[160];
    const char *why = stream_entry(fd, &id, &f, &io, NULL, whybuf, sizeof whybuf);
    int rc = 1;
    if (why && io) {
        read_failed(c, xx, name, why);
        rc = 0;
    } else if (why) {
        /* Removed, so that it is reported once and the fresh reply can take its place; but
         * only the file we read, not one another process renamed there meanwhile. */
        logf_(c, "cache: dropped a damaged entry for %s (%s/" LAYOUT "/%s/%s: %s); fetching it "
              "again", ri->uri_name, c->root, xx, name, why);
        /* Closed before the unlink: on NFS, removing a file this client holds open renames
         * it to a .nfsXXXX file in the folder instead (until the last close). */
        close(fd);
        fd = -1;
        struct stat now_sb;
        if (fstatat(xfd, name, &now_sb, AT_SYMLINK_NOFOLLOW) == 0 && now_sb.st_ino == sb.st_ino &&
            now_sb.st_dev == sb.st_dev)
            unlinkat(xfd, name, 0);
        c->stats.dropped++;
        rc = 0;
    } else {
        c->stats.misses--;
        c->stats.hits++;
    }
    if (fd >= 0)
        close(fd);
    close(xfd);
    return rc;
}

/* The entry answering ri, opened for reading (never through a link), or -1; *id is what
 * it must answer. */
static int entry_open(edb_cache *c, const edb_request_info *ri, ident *id)
{
    char key[EDB_SHA256_HEX], xx[3], name[ENTRY_NAME_LEN + 1];
    request_ident(c, ri, id);
    ident_key(id, key);
    snprintf(xx, sizeof xx, "%.2s", key);
    snprintf(name, sizeof name, "%s.z", key);
    int xfd = subdir_at(c->v1_fd, xx, 0);
    if (xfd < 0)
        return -1;
    struct stat sb;
    int fd = open_regular(xfd, name, &sb);
    close(xfd);
    return fd;
}

int edb_cache_has(edb_cache *c, const edb_request_info *ri)
{
    if (!c || !ri || !cacheable(c, ri))
        return 0;
    ident id;
    int fd = entry_open(c, ri, &id);
    if (fd < 0)
        return 0;
    /* The header only: what the entry answers.  Its body is checked when it is read. */
    char buf[HEADER_MAX], why[160];
    ssize_t got = read_full(fd, buf, sizeof buf);
    close(fd);
    edb__cache_header h;
    size_t hl;
    if (got < 0 || edb__cache_header_parse(buf, (size_t)got, &h, &hl, why, sizeof why) != 0)
        return 0;
    int ok = ident_matches(&h, &id);
    edb__cache_header_free(&h);
    return ok;
}

int edb__cache_read_quiet(edb_cache *c, const edb_request_info *ri, const edb_reply_sink *sink)
{
    if (!c || c->refresh || !cacheable(c, ri))
        return 0;
    ident id;
    int fd = entry_open(c, ri, &id);
    if (fd < 0)
        return 0;
    feeder f = {sink->feed, sink->ctx, 0, sink->size_hint};
    int io = 0;
    char whybuf[160];
    const char *why = stream_entry(fd, &id, &f, &io, NULL, whybuf, sizeof whybuf);
    close(fd);
    return !why && !f.stopped;
}

void edb__cache_count_hit(edb_cache *c)
{
    c->stats.hits++;
}

edb_cache *edb__cache_of_hooks(const edb_reply_hooks *h)
{
    return h && h->lookup == cache_lookup ? h->ctx : NULL;
}

/* ---- storing a reply ------------------------------------------------------------------------ */

/* A reply on its way into the cache.  It streams: compressed into a temporary file as it
 * arrives, hashed on the way, so that many replies in flight never sit whole in memory. */
typedef struct tap {
    edb_cache *c;
    ident id;
    char mnemonic[EDB_MNEMONIC_MAX + 8];
    char key[EDB_SHA256_HEX];
    int xfd;                     /* the entry's XX folder */
    char zname[TMP_NAME_LEN + 1]; /* the compressed stream so far */
    FILE *zf;
    z_stream zs;
    int zinit, bad;
    edb_sha256 *sha;
    uint64_t size;
    edb_time stored; /* the stamp the entry gets: the cache's now, or the inventory's */
} tap;

static void store_failed(edb_cache *c, const char *what, const char *mnemonic, const char *why)
{
    if (c->store_warned)
        return;
    c->store_warned = 1;
    logf_(c, "cache: cannot %s for %s in %s (%s); the run goes on without storing replies "
          "(further failures are not reported)", what, mnemonic, c->root, why);
}

static void tap_free(tap *t)
{
    if (t->zf)
        fclose(t->zf);
    if (t->zname[0])
        unlinkat(t->xfd, t->zname, 0);
    if (t->xfd >= 0)
        close(t->xfd);
    if (t->zinit)
        deflateEnd(&t->zs);
    edb_sha256_free(t->sha);
    free(t);
}

/* A new entry for id on its way in (its temporary file made), or NULL (reported once). */
static tap *tap_open(edb_cache *c, const ident *id)
{
    tap *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->c = c;
    t->xfd = -1;
    t->stored = c->now;
    t->id = *id;
    snprintf(t->mnemonic, sizeof t->mnemonic, "%s", id->mnemonic);
    t->id.mnemonic = t->mnemonic;
    ident_key(&t->id, t->key);
    char xx[3], prefix[5 + 64 + 2];
    snprintf(xx, sizeof xx, "%.2s", t->key);
    snprintf(prefix, sizeof prefix, ".tmp-%s-", t->key);
    int fd = -1;
    t->xfd = subdir_at(c->v1_fd, xx, 1);
    if (t->xfd >= 0)
        fd = make_temp(t->xfd, prefix, t->zname, sizeof t->zname);
    if (fd < 0)
        t->zname[0] = '\0';
    if (fd < 0 || !(t->zf = fdopen(fd, "w+b")) || !(t->sha = edb_sha256_new()) ||
        deflateInit(&t->zs, 6) != Z_OK) {
        int e = errno;
        if (fd >= 0 && !t->zf)
            close(fd);
        store_failed(c, "prepare an entry", id->mnemonic[0] ? id->mnemonic : "the inventory",
                     e == ELOOP || e == ENOTDIR ? "a link or a file where a folder should be"
                                                : strerror(e));
        tap_free(t);
        return NULL;
    }
    t->zinit = 1;
    return t;
}

static void *cache_tap_begin(void *ctx, const edb_request_info *ri, int local)
{
    edb_cache *c = ctx;
    /* A reply from another local source is not the service's: it must not pose as one. */
    if (local || !cacheable(c, ri))
        return NULL;
    ident id;
    request_ident(c, ri, &id);
    return tap_open(c, &id);
}

/* Deflate what is in zs.next_in into the temporary file. */
static void tap_deflate(tap *t, int flush)
{
    unsigned char out[IO_CHUNK];
    int zr;
    do {
        t->zs.next_out = out;
        t->zs.avail_out = sizeof out;
        zr = deflate(&t->zs, flush);
        size_t n = sizeof out - t->zs.avail_out;
        if (zr == Z_STREAM_ERROR || (n && fwrite(out, 1, n, t->zf) != n)) {
            t->bad = 1;
            return;
        }
    } while (t->zs.avail_out == 0 || (flush == Z_FINISH && zr != Z_STREAM_END));
}

static int cache_tap_write(void *p, const char *data, size_t len)
{
    tap *t = p;
    if (t->bad)
        return 0; /* a cache that cannot write never stops the transfer */
    edb_sha256_update(t->sha, data, len);
    t->size += len;
    /* zlib counts input in uInt: feed a huge piece in parts. */
    while (len > 0 && !t->bad) {
        uInt piece = len > (1u << 30) ? (1u << 30) : (uInt)len;
        t->zs.next_in = (Bytef *)(uintptr_t)data;
        t->zs.avail_in = piece;
        tap_deflate(t, Z_NO_FLUSH);
        data += piece;
        len -= piece;
    }
    return 0;
}

/* Put the entry in place.  NULL when it is stored, else why not (also reported once). */
static const char *store_entry(tap *t)
{
    edb_cache *c = t->c;
    char sha[EDB_SHA256_HEX], stamp[EDB_TIME_STRLEN];
    t->zs.next_in = NULL;
    t->zs.avail_in = 0;
    tap_deflate(t, Z_FINISH);
    edb_sha256_final(t->sha, sha);
    t->sha = NULL;
    if (t->size > RAW_MAX)
        return "too large"; /* a reader would refuse it */
    edb_time_format_iso(t->stored, stamp, sizeof stamp);
    field f[N_IDENT];
    ident_values(&t->id, f);
    json_t *h = json_object();
    for (size_t k = 0; h && k < N_IDENT; k++)
        json_object_set_new(h, f[k].name, f[k].is_int ? json_integer(f[k].i) : json_string(f[k].s));
    if (h) {
        json_object_set_new(h, "stored_us", json_integer(t->stored));
        json_object_set_new(h, "stored", json_string(stamp));
        json_object_set_new(h, "size", json_integer((json_int_t)t->size));
        json_object_set_new(h, "sha256", json_string(sha));
    }
    char *hj = h ? json_dumps(h, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(h);
    char ename[TMP_NAME_LEN + 1] = "", name[ENTRY_NAME_LEN + 1], prefix[5 + 64 + 2];
    snprintf(name, sizeof name, "%s.z", t->key);
    snprintf(prefix, sizeof prefix, ".tmp-%s-", t->key);
    const char *why = NULL;
    int fd = -1;
    FILE *f_out = NULL;
    if (!hj) {
        why = "out of memory";
        goto done;
    }
    /* Sizes are bounded at open: the header always fits what a reader reads. */
    if (MAGIC_LEN + strlen(hj) + 1 > HEADER_MAX) {
        why = "its header would be too long";
        goto done;
    }
    if (t->bad || fflush(t->zf) != 0 || fseek(t->zf, 0, SEEK_SET) != 0) {
        why = strerror(errno ? errno : EIO);
        goto done;
    }
    if ((fd = make_temp(t->xfd, prefix, ename, sizeof ename)) < 0 ||
        !(f_out = fdopen(fd, "wb"))) {
        why = strerror(errno);
        if (fd >= 0)
            close(fd);
        goto done;
    }
    /* The header needs the size and checksum, known only now: it goes first in the entry,
     * followed by a copy of the compressed stream (a fraction of the reply's size). */
    int bad = fwrite(MAGIC, 1, MAGIC_LEN, f_out) != MAGIC_LEN || fputs(hj, f_out) < 0 ||
              fputc('\n', f_out) < 0;
    char buf[IO_CHUNK];
    size_t n;
    while (!bad && (n = fread(buf, 1, sizeof buf, t->zf)) > 0)
        bad = fwrite(buf, 1, n, f_out) != n;
    bad |= ferror(t->zf) != 0;
    bad |= fflush(f_out) != 0;
    int e = errno;
    bad |= fclose(f_out) != 0;
    /* Rename last: a reader sees the whole entry or none, never the file being written. */
    if (bad || renameat(t->xfd, ename, t->xfd, name) != 0) {
        why = strerror(bad ? (e ? e : EIO) : errno);
        goto done;
    }
    ename[0] = '\0';
    c->stats.stored++;
done:
    if (why) {
        /* the file it was writing, for whoever must free the space or fix the folder */
        char what[64 + ENTRY_NAME_LEN + 16];
        snprintf(what, sizeof what, "%s (" LAYOUT "/%.2s/%s)",
                 t->mnemonic[0] ? "store the reply" : "store", t->key, name);
        store_failed(c, what, t->mnemonic[0] ? t->mnemonic : "the inventory", why);
    }
    if (ename[0])
        unlinkat(t->xfd, ename, 0);
    free(hj);
    return why;
}

static edb_status cache_tap_end(void *p, int complete, long http, edb_err *err)
{
    (void)err;
    tap *t = p;
    /* A cache that cannot write is a slower run, not a failed one: never an error here. */
    if (complete && http == 200)
        (void)store_entry(t);
    tap_free(t);
    return EDB_OK;
}

void edb_cache_hooks(edb_cache *c, edb_reply_hooks *out)
{
    memset(out, 0, sizeof *out);
    out->ctx = c;
    out->lookup = cache_lookup;
    out->tap_begin = cache_tap_begin;
    out->tap_write = cache_tap_write;
    out->tap_end = cache_tap_end;
}

/* ---- the inventory -------------------------------------------------------------------------- */

/* The inventory of the cache's service and base URL is an entry like a reply's, of its own
 * kind, with no mnemonic and no range: one per (service, base URL). */
static void inventory_ident(const edb_cache *c, ident *id)
{
    id->service = c->service;
    id->base_url = c->base_url;
    id->kind = "inventory";
    id->mnemonic = "";
    id->start = id->end = 0;
}

typedef struct inv_sink {
    edb__buf *b;
    int too_big;
} inv_sink;

static int inv_feed(void *ctx, const char *data, size_t len)
{
    inv_sink *k = ctx;
    if (k->b->len + len > EDB_CACHE_INVENTORY_MAX) {
        k->too_big = 1;
        return 1;
    }
    return edb__buf_append(k->b, data, len) != 0;
}

edb_status edb_cache_inventory_get(edb_cache *c, char **data, size_t *len, edb_time *stored,
                                   edb_err *err)
{
    *data = NULL;
    *len = 0;
    *stored = 0;
    if (!c)
        return edb__fail(err, EDB_ERR_NOT_FOUND, "no cache");
    ident id;
    char key[EDB_SHA256_HEX], xx[3], name[ENTRY_NAME_LEN + 1];
    inventory_ident(c, &id);
    ident_key(&id, key);
    snprintf(xx, sizeof xx, "%.2s", key);
    snprintf(name, sizeof name, "%s.z", key);
    int xfd = subdir_at(c->v1_fd, xx, 0);
    struct stat sb;
    int fd = xfd >= 0 ? open_regular(xfd, name, &sb) : -1;
    if (fd < 0) {
        int e = errno;
        if (xfd >= 0)
            close(xfd);
        if (e == ENOENT)
            return edb__fail(err, EDB_ERR_NOT_FOUND, "no inventory in the cache");
        return edb__fail(err, EDB_ERR_IO, "cache: cannot read the inventory %s/" LAYOUT
                         "/%s/%s (%s)", c->root, xx, name,
                         e == EINVAL ? "not a regular file"
                         : e == ELOOP ? "a symbolic link: not followed" : strerror(e));
    }
    edb__buf b = {0};
    inv_sink k = {&b, 0};
    feeder f = {inv_feed, &k, 0, NULL};
    int io = 0;
    char whybuf[160];
    const char *why = stream_entry(fd, &id, &f, &io, stored, whybuf, sizeof whybuf);
    edb_status st = EDB_OK;
    if (!why && k.too_big) {
        st = edb__fail(err, EDB_ERR_DATA, "cache: the inventory %s/" LAYOUT "/%s/%s is larger "
                       "than an inventory can be (%zu MiB)", c->root, xx, name,
                       (size_t)(EDB_CACHE_INVENTORY_MAX >> 20));
    } else if (!why && f.stopped) {
        st = edb__fail(err, EDB_ERR_NOMEM, "out of memory");
    } else if (why && io) {
        st = edb__fail(err, EDB_ERR_IO, "cache: cannot read the inventory %s/" LAYOUT
                       "/%s/%s (%s)", c->root, xx, name, why);
    } else if (why) {
        /* Damaged: dropped, so that the next one fetched takes its place. */
        logf_(c, "cache: dropped a damaged inventory (%s/" LAYOUT "/%s/%s: %s)", c->root, xx,
              name, why);
        struct stat now_sb;
        if (fstatat(xfd, name, &now_sb, AT_SYMLINK_NOFOLLOW) == 0 &&
            now_sb.st_ino == sb.st_ino && now_sb.st_dev == sb.st_dev)
            unlinkat(xfd, name, 0);
        c->stats.dropped++;
        st = edb__fail(err, EDB_ERR_NOT_FOUND, "the cached inventory was damaged (dropped)");
    }
    close(fd);
    close(xfd);
    if (st != EDB_OK) {
        edb__buf_free(&b);
        *stored = 0;
        return st;
    }
    *data = b.p ? b.p : calloc(1, 1);
    *len = b.len;
    return *data ? EDB_OK : edb__fail(err, EDB_ERR_NOMEM, "out of memory");
}

edb_status edb_cache_inventory_put(edb_cache *c, const char *data, size_t len, edb_time stored,
                                   edb_err *err)
{
    if (!c)
        return edb__fail(err, EDB_ERR_USAGE, "no cache");
    ident id;
    inventory_ident(c, &id);
    tap *t = tap_open(c, &id);
    if (!t)
        return edb__fail(err, EDB_ERR_IO, "cache: cannot prepare an entry for the inventory in "
                         "%s", c->root);
    t->stored = stored;
    cache_tap_write(t, data, len);
    const char *why = store_entry(t);
    edb_status st = why ? edb__fail(err, EDB_ERR_IO, "cache: cannot store the inventory in %s "
                                    "(%s)", c->root, why)
                        : EDB_OK;
    tap_free(t);
    return st;
}

/* ---- management --------------------------------------------------------------------------- */

typedef enum { F_ENTRY, F_TEMP, F_FOREIGN } file_kind;

/* One file of a v1/XX folder, told apart: an entry (a regular file with an entry's name
 * and the magic; *h filled if its header reads), one of our temporaries, or foreign. */
typedef int (*visit_fn)(void *ctx, int xfd, const char *name, const char *path,
                        const struct stat *sb, file_kind kind, const edb__cache_header *h);

typedef struct walker {
    visit_fn fn;
    void *ctx;
    unsigned long foreign; /* links, folders and other files where entries live */
    int stop;
} walker;

static void visit_file(walker *w, int xfd, const char *name, const char *path)
{
    struct stat sb;
    if (fstatat(xfd, name, &sb, AT_SYMLINK_NOFOLLOW) != 0)
        return; /* gone meanwhile */
    edb__cache_header h;
    memset(&h, 0, sizeof h);
    file_kind kind = F_FOREIGN;
    if (S_ISREG(sb.st_mode) && is_temp_name(name)) {
        kind = F_TEMP;
    } else if (S_ISREG(sb.st_mode) && is_entry_name(name)) {
        struct stat fsb;
        int fd = open_regular(xfd, name, &fsb);
        char buf[HEADER_MAX], why[160];
        ssize_t got = fd >= 0 ? read_full(fd, buf, sizeof buf) : -1;
        if (fd >= 0)
            close(fd);
        /* What we judged must be what we stat'ed, or nothing is done with it. */
        if (got >= 0 && fsb.st_ino == sb.st_ino && fsb.st_dev == sb.st_dev &&
            edb__cache_has_magic(buf, (size_t)got)) {
            kind = F_ENTRY;
            size_t hl;
            edb__cache_header_parse(buf, (size_t)got, &h, &hl, why, sizeof why);
        }
    }
    if (kind == F_FOREIGN)
        w->foreign++;
    w->stop = w->fn(w->ctx, xfd, name, path, &sb, kind, &h);
    edb__cache_header_free(&h);
}

/* Every file of ROOT/v1/XX/ for one root folder we hold (dir or a per-token folder). */
static void walk_root(walker *w, int rootfd, const char *rootpath)
{
    int v1 = subdir_at(rootfd, LAYOUT, 0);
    DIR *d = v1 >= 0 ? fdopendir(v1) : NULL;
    if (!d) {
        if (v1 >= 0)
            close(v1);
        else if (errno != ENOENT)
            w->foreign++; /* v1 is a link or a file */
        return;
    }
    struct dirent *de;
    while (!w->stop && (de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        int xfd = strlen(de->d_name) == 2 && is_hex(de->d_name, 2)
                      ? subdir_at(dirfd(d), de->d_name, 0) : -1;
        DIR *d2 = xfd >= 0 ? fdopendir(xfd) : NULL;
        if (!d2) {
            if (xfd >= 0)
                close(xfd);
            w->foreign++;
            continue;
        }
        struct dirent *e2;
        while (!w->stop && (e2 = readdir(d2)) != NULL) {
            if (strcmp(e2->d_name, ".") == 0 || strcmp(e2->d_name, "..") == 0)
                continue;
            edb__buf path = {0};
            if (edb__buf_printf(&path, "%s/" LAYOUT "/%s/%s", rootpath, de->d_name,
                                e2->d_name) == 0)
                visit_file(w, dirfd(d2), e2->d_name, path.p);
            edb__buf_free(&path);
        }
        closedir(d2);
    }
    closedir(d);
}

/* The folder's own v1, then each per-token folder's. */
static edb_status walk(const char *dir, walker *w, int clear_key_temps, edb_err *err)
{
    int top = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (top < 0)
        return errno == ENOENT ? EDB_OK
                               : edb__fail(err, EDB_ERR_IO, "cache folder %s: %s", dir,
                                           strerror(errno));
    walk_root(w, top, dir);
    int byfd = subdir_at(top, BY_TOKEN, 0);
    if (byfd < 0 && errno != ENOENT)
        w->foreign++; /* by-token is a link or a file */
    DIR *d = byfd >= 0 ? fdopendir(byfd) : NULL;
    if (!d && byfd >= 0)
        close(byfd);
    struct dirent *de;
    while (d && !w->stop && (de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
            strcmp(de->d_name, KEY_FILE) == 0)
            continue;
        if (is_temp_name(de->d_name)) {
            struct stat sb;
            if (clear_key_temps && fstatat(dirfd(d), de->d_name, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
                S_ISREG(sb.st_mode))
                w->stop = w->fn(w->ctx, dirfd(d), de->d_name, de->d_name, &sb, F_TEMP, NULL);
            continue;
        }
        int pfd = strlen(de->d_name) == TOKEN_NAME_HEX && is_hex(de->d_name, TOKEN_NAME_HEX)
                      ? subdir_at(dirfd(d), de->d_name, 0) : -1;
        if (pfd < 0) {
            w->foreign++;
            continue;
        }
        edb__buf path = {0};
        if (edb__buf_printf(&path, "%s/" BY_TOKEN "/%s", dir, de->d_name) == 0)
            walk_root(w, pfd, path.p);
        edb__buf_free(&path);
        close(pfd);
    }
    if (d)
        closedir(d);
    close(top);
    return EDB_OK;
}

typedef struct list_ctx {
    int (*fn)(void *ctx, const edb_cache_entry_info *e);
    void *ctx;
} list_ctx;

static int list_one(void *ctx, int xfd, const char *name, const char *path, const struct stat *sb,
                    file_kind kind, const edb__cache_header *h)
{
    (void)xfd;
    (void)name;
    list_ctx *lc = ctx;
    if (kind != F_ENTRY)
        return 0;
    edb_cache_entry_info e;
    memset(&e, 0, sizeof e);
    e.path = path;
    e.file_bytes = (uint64_t)sb->st_size;
    e.service = e.base_url = e.kind = "";
    e.mnemonic = "?";
    e.stored = (edb_time)sb->st_mtime * 1000000;
    e.damaged = h->json_ == NULL;
    if (!e.damaged) {
        e.service = h->service;
        e.base_url = h->base_url;
        e.kind = h->kind;
        e.mnemonic = h->mnemonic;
        e.start = h->start;
        e.end = h->end;
        e.stored = h->stored;
        e.raw_bytes = h->size;
    }
    return lc->fn(lc->ctx, &e);
}

edb_status edb_cache_list(const char *dir, int (*fn)(void *ctx, const edb_cache_entry_info *e),
                          void *ctx, edb_err *err)
{
    if (!dir || !fn)
        return edb__fail(err, EDB_ERR_USAGE, "edb_cache_list: no folder or no callback");
    list_ctx lc = {fn, ctx};
    walker w = {list_one, &lc, 0, 0};
    return walk(dir, &w, 0, err);
}

typedef struct clear_ctx {
    edb_time before;
    edb_cache_clear_stats st;
} clear_ctx;

static int clear_one(void *ctx, int xfd, const char *name, const char *path, const struct stat *sb,
                     file_kind kind, const edb__cache_header *h)
{
    (void)path;
    clear_ctx *cc = ctx;
    edb_time mtime = (edb_time)sb->st_mtime * 1000000;
    int go = 0;
    if (kind == F_ENTRY)
        go = (h && h->json_ ? h->stored : mtime) < cc->before;
    else if (kind == F_TEMP)
        /* A temporary file of a writer still at work is young; one older than a day is
         * left over from a killed process. */
        go = cc->before == EDB_TIME_MAX || mtime < cc->before - INT64_C(86400000000);
    if (!go)
        return 0;
    /* Unlink the name only if it is still the file we judged (not one put there since). */
    struct stat now_sb;
    if (fstatat(xfd, name, &now_sb, AT_SYMLINK_NOFOLLOW) == 0 && now_sb.st_ino == sb->st_ino &&
        now_sb.st_dev == sb->st_dev && S_ISREG(now_sb.st_mode) && unlinkat(xfd, name, 0) == 0) {
        cc->st.removed++;
        cc->st.bytes += (uint64_t)sb->st_size;
    }
    return 0;
}

edb_status edb_cache_clear(const char *dir, edb_time before, edb_cache_clear_stats *out,
                           edb_err *err)
{
    if (out)
        memset(out, 0, sizeof *out);
    if (!dir)
        return edb__fail(err, EDB_ERR_USAGE, "edb_cache_clear: no folder");
    clear_ctx cc;
    memset(&cc, 0, sizeof cc);
    cc.before = before;
    walker w = {clear_one, &cc, 0, 0};
    edb_status st = walk(dir, &w, 1, err);
    cc.st.foreign = w.foreign;
    if (out)
        *out = cc.st;
    return st;
}
