/* store.c: local recordings answering range queries with the service's bracket rule.
 *
 * Two layouts, each in a folder or in an archive (read whole into memory by archive.c,
 * never unpacked to disk): jwst's (meta.json + {mnemonic}_data.json, path B JSON) and
 * path A replies saved under their uri names (MNEMONIC-START-END.csv), which is what a
 * bundle's raw/ holds.  A reply file asked for by exactly its name is answered with its
 * bytes as saved; any other range is answered from the samples of the saved replies of
 * that mnemonic, but only inside the time they cover, since only there are the bracket
 * samples known.
 *
 * meta.json is read once at open into a sorted array.  A data file is parsed the first
 * time its mnemonic is asked for; the parsed series is then immutable and shared by every
 * later query, which copies the samples it needs out of it.  The mutex guards only the
 * cache index, never a parse, so one slow file does not stall queries for other names. */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include <edb/archive.h>
#include <edb/decoder.h>
#include <edb/number.h>
#include <edb/store.h>

#include "internal.h"
#include "service.h"

/* Longer than any EDB name (the longest in the recordings' inventory has 23 characters)
 * yet short enough to keep file names and messages tidy. */
#define STORE_NAME_MAX EDB_MNEMONIC_MAX

typedef struct meta_entry {
    char *name;        /* upper-case, as in meta.json */
    char sqltype[32];  /* lower-case, "(N)" dropped; "" if meta.json gave none */
    char subsystem[32]; /* "" if meta.json gave none */
    int all_points;    /* 0 change-only, 1 every sample, -1 not given */
} meta_entry;

typedef struct cache_entry {
    char *name;
    edb_series *series; /* immutable once here */
} cache_entry;

/* A saved reply: its name says what it answers. */
typedef struct reply_file {
    char *file;        /* name relative to the store (prefix included) */
    const edb__service *svc;
    edb_request_kind kind;
    char mnemonic[STORE_NAME_MAX + 1];
    edb_time start, end; /* DATA: the whole-second range asked */
} reply_file;

struct edb_store {
    char *path;
    edb_archive *arc;   /* NULL for a folder */
    char *prefix;       /* "" or "dir/": where the layout sits inside the folder or archive */
    int replies;        /* 1: saved path A replies; 0: the jwst layout */
    reply_file *rf;     /* sorted by mnemonic, then start */
    size_t n_rf;
    meta_entry *meta;
    size_t n_meta;
    pthread_mutex_t mu;
    int single_use;     /* hand a parsed series to its one query instead of keeping it */
    cache_entry *cache; /* sorted by name */
    size_t n_cache, cap_cache;
    struct ahead *ahead; /* a read-ahead in the background (edb_store_read_ahead), or NULL */
};

/* ASCII case mapping: toupper() would follow the caller's locale (Turkish i). */
static char ascii_upper(char c)
{
    return (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
}

static char ascii_lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* The one name rule (edb/mnemonic.h) is what keeps a name from ever turning into a path
 * outside the folder ("../x", "/etc/passwd", "a\0b"). */
static edb_status check_name(const char *mnemonic, char *upper, edb_err *err)
{
    return edb_mnemonic_normalize(mnemonic, upper, STORE_NAME_MAX + 1, err);
}

/* "VARCHAR(50)" -> "varchar": the form the service prints in sqldataType. */
static void normalize_sqltype(const char *in, char *out, size_t outlen)
{
    size_t o = 0;
    for (; *in && *in != '(' && o + 1 < outlen; in++) {
        if (*in != ' ' && *in != '\t')
            out[o++] = ascii_lower(*in);
    }
    out[o] = '\0';
}

static int cmp_meta(const void *a, const void *b)
{
    return strcmp(((const meta_entry *)a)->name, ((const meta_entry *)b)->name);
}

static const meta_entry *find_meta(const edb_store *s, const char *name)
{
    meta_entry key = {(char *)name, {0}, {0}, -1};
    return bsearch(&key, s->meta, s->n_meta, sizeof *s->meta, cmp_meta);
}

/* Open rel (relative to the store's folder, '/'-separated) for reading without following
 * a link anywhere below the folder, and only if it is a regular file: a store holding a
 * link to /etc/passwd, or a FIFO that would block, is refused, as archives refuse such
 * entries.  Returns the descriptor, or -1 with errno (ELOOP for a link, EINVAL for a file
 * that is not regular). */
static int open_below(const edb_store *s, const char *rel, int want_dir)
{
    int fd = open(s->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    const char *p = rel;
    for (;;) {
        const char *sl = strchr(p, '/');
        int last = !sl || sl[1] == '\0';
        size_t len = sl ? (size_t)(sl - p) : strlen(p);
        char comp[256];
        if (len == 0 && last) /* rel is "" or ends in '/': the folder itself */
            return fd;
        if (len == 0 || len >= sizeof comp) {
            close(fd);
            errno = ENAMETOOLONG;
            return -1;
        }
        memcpy(comp, p, len);
        comp[len] = '\0';
        int dir = !last || want_dir;
        int next = openat(fd, comp, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK |
                                        (dir ? O_DIRECTORY : 0));
        int e = errno;
        close(fd);
        if (next < 0) {
            errno = e;
            return -1;
        }
        fd = next;
        if (last) {
            struct stat sb;
            if (fstat(fd, &sb) != 0 || !(dir ? S_ISDIR(sb.st_mode) : S_ISREG(sb.st_mode))) {
                close(fd);
                errno = EINVAL;
                return -1;
            }
            return fd;
        }
        p = sl + 1;
    }
}

static edb_status open_error(const edb_store *s, const char *rel, int e, int *missing,
                             edb_err *err)
{
    *missing = e == ENOENT;
    const char *why = e == ELOOP ? "a symbolic link, not a file: refused"
                      : e == EINVAL ? "not a regular file: refused"
                                    : strerror(e);
    return edb__fail(err, *missing ? EDB_ERR_NOT_FOUND : EDB_ERR_IO, "%s/%s: %s", s->path, rel,
                     why);
}

static int buf_feed(void *ctx, const char *data, size_t len)
{
    return edb__buf_append(ctx, data, len);
}

/* Whole content of file `rel` (relative to the store, prefix included): borrowed from
 * the archive, or read from the folder into out.  Sets *missing for a file that is not
 * there.  The name comes from this module (checked names only). */
static edb_status store_read(const edb_store *s, const char *rel, edb__buf *out,
                             const char **data, size_t *len, int *missing, edb_err *err)
{
    *missing = 0;
    if (s->arc) {
        long k = edb_archive_find(s->arc, rel);
        if (k < 0) {
            *missing = 1;
            return edb__fail(err, EDB_ERR_NOT_FOUND, "%s: no entry %s", s->path, rel);
        }
        *data = edb_archive_data(s->arc, (size_t)k, len);
        if (*data)
            return EDB_OK;
        /* a large entry, not held: read again from the archive */
        edb_status st = edb_archive_stream(s->arc, (size_t)k, buf_feed, out, NULL, err);
        *data = out->p ? out->p : "";
        *len = out->len;
        return st;
    }
    int fd = open_below(s, rel, 0);
    if (fd < 0)
        return open_error(s, rel, errno, missing, err);
    edb_status st = EDB_OK;
    char chunk[65536];
    for (;;) {
        ssize_t got = read(fd, chunk, sizeof chunk);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            st = edb__fail(err, EDB_ERR_IO, "%s/%s: read error: %s", s->path, rel,
                           strerror(errno));
            break;
        }
        if (got == 0)
            break;
        if (edb__buf_append(out, chunk, (size_t)got) != 0) {
            st = edb__fail(err, EDB_ERR_NOMEM, "out of memory");
            break;
        }
    }
    close(fd);
    *data = out->p ? out->p : "";
    *len = out->len;
    return st;
}

/* Hand file `rel` to feed in pieces, never whole in memory (a saved reply asked for by
 * exactly its range).  Returns 0, or -1 with err set. */
/* The size of a file or entry of the store in bytes, 0 when it cannot be told: a size
 * hint for its decoder (edb_decoder_size_hint), never a limit. */
static unsigned long long store_size(const edb_store *s, const char *rel)
{
    if (s->arc) {
        long k = edb_archive_find(s->arc, rel);
        size_t len = 0;
        if (k < 0)
            return 0;
        (void)edb_archive_data(s->arc, (size_t)k, &len);
        return len;
    }
    int fd = open_below(s, rel, 0);
    struct stat st;
    unsigned long long n = 0;
    if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
        n = (unsigned long long)st.st_size;
    if (fd >= 0)
        close(fd);
    return n;
}

static int store_stream(const edb_store *s, const char *rel,
                        int (*feed)(void *ctx, const char *data, size_t len), void *ctx,
                        int *missing, edb_err *err)
{
    int miss = 0;
    if (!missing)
        missing = &miss;
    *missing = 0;
    if (s->arc) {
        long k = edb_archive_find(s->arc, rel);
        if (k < 0) {
            *missing = 1;
            edb__fail(err, EDB_ERR_NOT_FOUND, "%s: no entry %s", s->path, rel);
            return -1;
        }
        return edb_archive_stream(s->arc, (size_t)k, feed, ctx, NULL, err) == EDB_OK ? 0 : -1;
    }
    int fd = open_below(s, rel, 0);
    if (fd < 0) {
        open_error(s, rel, errno, missing, err);
        return -1;
    }
    char chunk[65536];
    int rc = 0;
    for (;;) {
        ssize_t got = read(fd, chunk, sizeof chunk);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            edb__fail(err, EDB_ERR_IO, "%s/%s: read error: %s", s->path, rel, strerror(errno));
            rc = -1;
            break;
        }
        if (got == 0 || feed(ctx, chunk, (size_t)got) != 0)
            break;
    }
    close(fd);
    return rc;
}

static edb_status load_meta(edb_store *s, edb_err *err)
{
    edb__buf p = {0}, content = {0};
    if (edb__buf_printf(&p, "%s/%smeta.json", s->path, s->prefix) != 0)
        return edb__fail(err, EDB_ERR_NOMEM, "out of memory");
    edb__buf rel = {0};
    const char *data = NULL;
    size_t dlen = 0;
    int missing;
    edb_err rerr = EDB_ERR_INIT;
    if (edb__buf_printf(&rel, "%smeta.json", s->prefix) != 0 ||
        store_read(s, rel.p, &content, &data, &dlen, &missing, &rerr) != EDB_OK) {
        edb_status st = edb__fail(err, EDB_ERR_DATA, "%s: cannot read (%s): not a store?", p.p,
                                  rerr.msg[0] ? rerr.msg : "out of memory");
        edb__buf_free(&rel);
        edb__buf_free(&content);
        edb__buf_free(&p);
        return st;
    }
    edb__buf_free(&rel);
    json_error_t jerr;
    json_t *root = json_loadb(data, dlen, 0, &jerr);
    edb__buf_free(&content);
    edb_status st = EDB_OK;
    json_t *list = root ? json_object_get(root, "TlmMnemonics") : NULL;
    if (!root) {
        st = edb__fail(err, EDB_ERR_DATA, "%s: line %d column %d: %s", p.p, jerr.line, jerr.column,
                       jerr.text);
        goto done;
    }
    if (!json_is_array(list)) {
        st = edb__fail(err, EDB_ERR_DATA, "%s: no TlmMnemonics array (path B metadata expected)",
                       p.p);
        goto done;
    }
    size_t n = json_array_size(list);
    s->meta = calloc(n ? n : 1, sizeof *s->meta);
    if (!s->meta) {
        st = edb__fail(err, EDB_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (size_t k = 0; k < n; k++) {
        json_t *e = json_array_get(list, k);
        json_t *name = json_object_get(e, "TlmMnemonic");
        json_t *sql = json_object_get(e, "SQLType");
        if (!json_is_object(e) || !json_is_string(name)) {
            st = edb__fail(err, EDB_ERR_DATA, "%s: TlmMnemonics[%zu] has no TlmMnemonic string",
                           p.p, k);
            goto done;
        }
        meta_entry *m = &s->meta[s->n_meta];
        m->name = edb__strdup(json_string_value(name));
        if (!m->name) {
            st = edb__fail(err, EDB_ERR_NOMEM, "out of memory");
            goto done;
        }
        for (char *c = m->name; *c; c++)
            *c = ascii_upper(*c);
        if (json_is_string(sql))
            normalize_sqltype(json_string_value(sql), m->sqltype, sizeof m->sqltype);
        /* Only what edb_store_meta reports: a value of another shape is left unknown
         * rather than refusing a store that answers queries fine without it. */
        json_t *sub = json_object_get(e, "Subsystem"), *ap = json_object_get(e, "AllPoints");
        if (json_is_string(sub) && strlen(json_string_value(sub)) < sizeof m->subsystem)
            strcpy(m->subsystem, json_string_value(sub));
        m->all_points = -1;
        if (json_is_integer(ap) && (json_integer_value(ap) == 0 || json_integer_value(ap) == 1))
            m->all_points = (int)json_integer_value(ap);
        s->n_meta++;
    }
    qsort(s->meta, s->n_meta, sizeof *s->meta, cmp_meta);
    /* A name listed twice would make bsearch's pick arbitrary; keep one of each. */
    size_t w = 0;
    for (size_t k = 0; k < s->n_meta; k++) {
        if (w > 0 && strcmp(s->meta[w - 1].name, s->meta[k].name) == 0) {
            free(s->meta[k].name);
            continue;
        }
        s->meta[w++] = s->meta[k];
    }
    s->n_meta = w;
done:
    json_decref(root);
    edb__buf_free(&p);
    return st;
}

/* A saved reply's name says what it answers (service.h: edb__reply_name): which service
 * sent it, data or metadata, the mnemonic and the whole-second range.  Fills rf (but
 * rf->file); 0 if the name is one, -1 if not. */
static int parse_reply_name(const char *name, reply_file *rf)
{
    return edb__reply_name_parse(name, &rf->svc, &rf->kind, rf->mnemonic, &rf->start, &rf->end);
}

/* By mnemonic, service, kind (metadata first), then start: each service's data replies of
 * a mnemonic sit together, in time order. */
static int cmp_rf(const void *a, const void *b)
{
    const reply_file *x = a, *y = b;
    int c = strcmp(x->mnemonic, y->mnemonic);
    if (!c)
        c = strcmp(x->svc->name, y->svc->name);
    if (!c)
        c = (x->kind < y->kind) - (x->kind > y->kind);
    if (c)
        return c;
    return (x->start > y->start) - (x->start < y->start);
}

static edb_status add_reply_file(edb_store *s, const char *file, size_t *cap)
{
    reply_file rf;
    const char *base = file + strlen(s->prefix);
    if (strchr(base, '/') || parse_reply_name(base, &rf) != 0)
        return EDB_OK;
    if (s->n_rf == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        reply_file *n = realloc(s->rf, nc * sizeof *n);
        if (!n)
            return EDB_ERR_NOMEM;
        s->rf = n;
        *cap = nc;
    }
    rf.file = edb__strdup(file);
    if (!rf.file)
        return EDB_ERR_NOMEM;
    s->rf[s->n_rf++] = rf;
    return EDB_OK;
}

/* Does the folder or archive hold `rel` as a regular file (no link followed)? */
static int store_has(const edb_store *s, const char *rel)
{
    if (s->arc)
        return edb_archive_find(s->arc, rel) >= 0;
    int fd = open_below(s, rel, 0);
    if (fd < 0)
        return 0;
    close(fd);
    return 1;
}

/* Index the saved replies directly under the prefix. */
static edb_status scan_replies(edb_store *s, edb_err *err)
{
    size_t cap = 0;
    if (s->arc) {
        size_t pl = strlen(s->prefix);
        for (size_t k = 0; k < edb_archive_count(s->arc); k++) {
            const char *n = edb_archive_name(s->arc, k);
            if (strncmp(n, s->prefix, pl) == 0 && add_reply_file(s, n, &cap) != EDB_OK)
                return edb__fail(err, EDB_ERR_NOMEM, "out of memory");
        }
    } else {
        int dfd = open_below(s, s->prefix, 1);
        DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
        if (!d) {
            if (dfd >= 0)
                close(dfd);
            return EDB_OK;
        }
        struct dirent *de;
        edb_status st = EDB_OK;
        while (st == EDB_OK && (de = readdir(d)) != NULL) {
            edb__buf rel = {0};
            if (edb__buf_printf(&rel, "%s%s", s->prefix, de->d_name) != 0)
                st = EDB_ERR_NOMEM;
            else if (parse_reply_name(de->d_name, &(reply_file){0}) == 0 && store_has(s, rel.p))
                st = add_reply_file(s, rel.p, &cap);
            edb__buf_free(&rel);
        }
        closedir(d);
        if (st != EDB_OK)
            return edb__fail(err, st, "out of memory");
    }
    if (s->n_rf > 1)
        qsort(s->rf, s->n_rf, sizeof *s->rf, cmp_rf);
    return EDB_OK;
}

/* Where the layout sits: at the top, in a single top folder of an archive
 * ("jwst-2021-01-26/meta.json"), or in raw/ (a bundle). */
static edb_status find_layout(edb_store *s, edb_err *err)
{
    char top[256] = "";
    if (s->arc && edb_archive_count(s->arc) > 0) {
        const char *n0 = edb_archive_name(s->arc, 0);
        const char *sl = strchr(n0, '/');
        if (sl && (size_t)(sl - n0) + 2 < sizeof top) {
            memcpy(top, n0, (size_t)(sl - n0) + 1);
            top[sl - n0 + 1] = '\0';
            for (size_t k = 1; k < edb_archive_count(s->arc); k++)
                if (strncmp(edb_archive_name(s->arc, k), top, strlen(top)) != 0) {
                    top[0] = '\0';
                    break;
                }
        }
    }
    char cands[4][300];
    snprintf(cands[0], sizeof cands[0], "%s", "");
    snprintf(cands[1], sizeof cands[1], "%s", top);
    snprintf(cands[2], sizeof cands[2], "%s", "raw/");
    snprintf(cands[3], sizeof cands[3], "%sraw/", top);
    for (int k = 0; k < 4; k++) {
        if (k == 1 && !top[0])
            continue;
        if (k == 3 && !top[0])
            continue;
        edb__buf meta = {0};
        free(s->prefix);
        s->prefix = edb__strdup(cands[k]);
        if (!s->prefix || edb__buf_printf(&meta, "%smeta.json", cands[k]) != 0) {
            edb__buf_free(&meta);
            return edb__fail(err, EDB_ERR_NOMEM, "out of memory");
        }
        int has_meta = store_has(s, meta.p);
        edb__buf_free(&meta);
        if (has_meta)
            return load_meta(s, err);
        edb_status st = scan_replies(s, err);
        if (st != EDB_OK)
            return st;
        if (s->n_rf > 0) {
            s->replies = 1;
            return EDB_OK;
        }
    }
    return edb__fail(err, EDB_ERR_DATA,
                     "%s: not a store: no meta.json (jwst layout) and no path A replies saved "
                     "as MNEMONIC-YYYYmmddTHHMMSS-YYYYmmddTHHMMSS.csv", s->path);
}

edb_status edb_store_open(edb_store **out, const char *path, edb_err *err)
{
    return edb_store_open_ex(out, path, NULL, err);
}

edb_status edb_store_open_ex(edb_store **out, const char *path, const edb_archive_limits *lim,
                             edb_err *err)
{
    if (!out || !path || !*path)
        return edb__fail(err, EDB_ERR_USAGE, "edb_store_open: no store path given");
    *out = NULL;
    struct stat st;
    if (stat(path, &st) != 0)
        return edb__fail(err, EDB_ERR_IO, "store %s: %s", path, strerror(errno));
    if (!S_ISDIR(st.st_mode) && !(S_ISREG(st.st_mode) && edb_archive_is_name(path)))
        return edb__fail(err, EDB_ERR_IO, "store %s: neither a folder nor an archive (.tar, "
                         ".tar.gz, .tgz, .tar.xz, .zip)", path);
    edb_store *s = calloc(1, sizeof *s);
    if (!s)
        return edb__fail(err, EDB_ERR_NOMEM, "out of memory");
    size_t plen = strlen(path);
    while (plen > 1 && path[plen - 1] == '/')
        plen--;
    s->path = edb__strndup(path, plen);
    if (!s->path || pthread_mutex_init(&s->mu, NULL) != 0) {
        free(s->path);
        free(s);
        return edb__fail(err, EDB_ERR_NOMEM, "out of memory");
    }
    edb_status rc = EDB_OK;
    if (!S_ISDIR(st.st_mode))
        rc = edb_archive_load(&s->arc, path, lim, err);
    if (rc == EDB_OK)
        rc = find_layout(s, err);
    if (rc != EDB_OK) {
        edb_store_free(s);
        return rc;
    }
    *out = s;
    return EDB_OK;
}

int edb_store_is_replies(const edb_store *s)
{
    return s ? s->replies : 0;
}

int edb_store_meta(const edb_store *s, const char *mnemonic, edb_meta_entry *out)
{
    char name[STORE_NAME_MAX + 1];
    memset(out, 0, sizeof *out);
    out->all_points = -1;
    out->tlm_identifier = -1;
    /* A store of saved replies has no meta.json (and bsearch must not see a NULL array). */
    if (!s || s->n_meta == 0 || !mnemonic || check_name(mnemonic, name, NULL) != EDB_OK)
        return 0;
    const meta_entry *m = find_meta(s, name);
    if (!m)
        return 0;
    out->mnemonic = m->name;
    out->sqltype = m->sqltype[0] ? m->sqltype : NULL;
    out->subsystem = m->subsystem[0] ? m->subsystem : NULL;
    out->all_points = m->all_points;
    return 1;
}

void edb_store_free(edb_store *s)
{
    if (!s)
        return;
    edb_store_read_ahead_stop(s);
    for (size_t k = 0; k < s->n_meta; k++)
        free(s->meta[k].name);
    free(s->meta);
    for (size_t k = 0; k < s->n_cache; k++) {
        free(s->cache[k].name);
        edb_series_free(s->cache[k].series);
    }
    free(s->cache);
    for (size_t k = 0; k < s->n_rf; k++)
        free(s->rf[k].file);
    free(s->rf);
    edb_archive_free(s->arc);
    free(s->prefix);
    pthread_mutex_destroy(&s->mu);
    free(s->path);
    free(s);
}

/* The decoder, fed a file's pieces as they are read. */
typedef struct dec_feed {
    edb_decoder *d;
    int failed;
} dec_feed;

static int feed_decoder(void *ctx, const char *data, size_t len)
{
    dec_feed *f = ctx;
    if (edb_decoder_feed(f->d, data, len) != EDB_OK) {
        f->failed = 1;
        return -1;
    }
    return 0;
}

/* One data file of the jwst layout into a new sorted series, read in pieces through the
 * same JSON decoder as path B and EDP replies (never whole in memory, never through a
 * tree of JSON objects), typed by meta.json's SQLType when it lists the mnemonic. */
static edb_status load_series(edb_store *s, const char *name, edb_series **out, edb_err *err)
{
    char lower[STORE_NAME_MAX + 1];
    size_t nl = strlen(name);
    for (size_t k = 0; k <= nl; k++)
        lower[k] = ascii_lower(name[k]);
    edb__buf rel = {0};
    if (edb__buf_printf(&rel, "%s%s_data.json", s->prefix, lower) != 0)
        return edb__fail(err, EDB_ERR_NOMEM, "out of memory");
    edb_decode_options o = EDB_DECODE_OPTIONS_INIT;
    const meta_entry *m = find_meta(s, name);
    if (m) {
        o.vtype = edb_vtype_from_sqltype(m->sqltype, strlen(m->sqltype));
        o.sqltype = o.vtype != EDB_VT_NONE ? m->sqltype : NULL;
    }
    edb_series *ser = NULL;
    dec_feed f = {NULL, 0};
    edb_status st = edb_series_new(&ser, name);
    if (st == EDB_OK)
        st = edb_decoder_new(&f.d, "json", ser, &o);
    if (st != EDB_OK) {
        st = edb__fail(err, st, "out of memory");
        goto done;
    }
    int missing = 0;
    edb_err rerr = EDB_ERR_INIT;
    if (store_stream(s, rel.p, feed_decoder, &f, &missing, &rerr) != 0) {
        st = missing ? edb__fail(err, EDB_ERR_NOT_FOUND, "no such mnemonic in store %s", s->path)
                     : edb__fail(err, rerr.status ? rerr.status : EDB_ERR_IO, "%s", rerr.msg);
        goto done;
    }
    if (f.failed || (st = edb_decoder_finish(f.d)) != EDB_OK) {
        /* A file that stops early is bad data here, not a reply cut short in transit. */
        st = edb__fail(err, EDB_ERR_DATA, "%s/%s: %s", s->path, rel.p, edb_decoder_errmsg(f.d));
        goto done;
    }
    /* meta.json is the store's word on a mnemonic; a data file's own AllPoints only where
     * meta.json gives none */
    if (m && m->all_points >= 0)
        ser->all_points = m->all_points;
    *out = ser;
    ser = NULL;
done:
    edb_decoder_free(f.d);
    edb_series_free(ser);
    edb__buf_free(&rel);
    return st;
}

/* The saved data replies of name from service svc (NULL: from the first service that has
 * some): [*lo, *hi) in s->rf, in time order.  Returns the service, or NULL for none. */
static const edb__service *reply_range(const edb_store *s, const edb__service *svc,
                                       const char *name, size_t *lo, size_t *hi)
{
    size_t k = 0;
    *lo = *hi = 0;
    while (k < s->n_rf && strcmp(s->rf[k].mnemonic, name) < 0)
        k++;
    for (; k < s->n_rf && strcmp(s->rf[k].mnemonic, name) == 0; k++) {
        const reply_file *r = &s->rf[k];
        if (r->kind != EDB_REQ_DATA || (svc && r->svc != svc))
            continue;
        svc = r->svc;
        *lo = k;
        while (k < s->n_rf && strcmp(s->rf[k].mnemonic, name) == 0 && s->rf[k].svc == svc &&
               s->rf[k].kind == EDB_REQ_DATA)
            k++;
        *hi = k;
        return svc;
    }
    return NULL;
}

/* The saved metadata reply of name from svc, or NULL. */
static const reply_file *meta_reply(const edb_store *s, const edb__service *svc,
                                    const char *name)
{
    for (size_t k = 0; k < s->n_rf; k++)
        if (s->rf[k].kind == EDB_REQ_META && s->rf[k].svc == svc &&
            strcmp(s->rf[k].mnemonic, name) == 0)
            return &s->rf[k];
    return NULL;
}

/* What a saved metadata reply says of name, as decoder options: JSON replies do not carry
 * their values' type. */
static void meta_hint(edb_store *s, const edb__service *svc, const char *name,
                      edb_decode_options *o, char *sqltype, size_t n)
{
    const reply_file *mf = svc->meta_parse ? meta_reply(s, svc, name) : NULL;
    if (!mf)
        return;
    edb__buf content = {0};
    const char *data = NULL;
    size_t dlen = 0;
    int missing;
    edb_meta_entry e;
    void *keep = NULL;
    if (store_read(s, mf->file, &content, &data, &dlen, &missing, NULL) == EDB_OK &&
        svc->meta_parse(data, dlen, name, &e, &keep, NULL) > 0 && e.sqltype) {
        size_t o2 = 0;
        for (const char *p = e.sqltype; *p && *p != '(' && o2 + 1 < n; p++)
            if (*p != ' ')
                sqltype[o2++] = ascii_lower(*p);
        sqltype[o2] = '\0';
        o->vtype = edb_vtype_from_sqltype(sqltype, o2);
        o->sqltype = o->vtype != EDB_VT_NONE ? sqltype : NULL;
    }
    edb__meta_keep_free(keep);
    edb__buf_free(&content);
}

/* Every sample of every saved data reply of name from svc, in time order, each instant
 * once (chunks overlap: one chunk's bracket is its neighbour's first sample), decoded by
 * the service's decoder. */
static edb_status load_replies(edb_store *s, const edb__service *svc, const char *name,
                               edb_series **out, edb_err *err)
{
    size_t lo, hi;
    if (!reply_range(s, svc, name, &lo, &hi))
        return edb__fail(err, EDB_ERR_NOT_FOUND, "no such mnemonic in store %s", s->path);
    edb_decode_options o = EDB_DECODE_OPTIONS_INIT;
    char sqltype[32];
    meta_hint(s, svc, name, &o, sqltype, sizeof sqltype);
    edb_series *all = NULL, *one = NULL, *uniq = NULL;
    edb_status st = edb_series_new(&all, name);
    for (size_t k = lo; st == EDB_OK && k < hi; k++) {
        /* The first reply decodes straight into the result; a later one into a series of
         * its own, appended column by column (its type is checked against the others). */
        edb_series *dst = all->n == 0 ? all : NULL;
        dec_feed f = {NULL, 0};
        one = NULL;
        if (!dst && (st = edb_series_new(&one, name)) == EDB_OK)
            dst = one;
        if (st == EDB_OK && (st = edb_decoder_new(&f.d, svc->decoder, dst, &o)) == EDB_OK) {
            /* the result grows once, from the size of all the replies it will hold */
            if (dst == all) {
                unsigned long long bytes = 0;
                for (size_t j = k; j < hi; j++)
                    bytes += store_size(s, s->rf[j].file);
                edb_decoder_size_hint(f.d, bytes);
            }
            /* read in 64 KiB pieces straight into the decoder: never the whole file */
            int missing = 0;
            edb_err rerr = EDB_ERR_INIT;
            if (store_stream(s, s->rf[k].file, feed_decoder, &f, &missing, &rerr) != 0)
                st = edb__fail(err, missing ? EDB_ERR_NOT_FOUND : EDB_ERR_IO, "%s", rerr.msg);
            else if (f.failed || edb_decoder_finish(f.d) != EDB_OK)
                st = edb__fail(err, EDB_ERR_DATA, "%s/%s: %s", s->path, s->rf[k].file,
                               edb_decoder_errmsg(f.d));
        }
        if (st == EDB_OK && one && one->n > 0) {
            st = edb_series_append_range(all, one, 0, one->n);
            if (st == EDB_ERR_DATA)
                st = edb__fail(err, EDB_ERR_DATA, "%s/%s: values of another type than in the "
                               "other replies of %s", s->path, s->rf[k].file, name);
        }
        edb_decoder_free(f.d);
        edb_series_free(one);
        one = NULL;
        /* a reply without samples leaves no trace (type, sqltype) on the result */
        if (st == EDB_OK && dst == all && all->n == 0) {
            edb_series_free(all);
            all = NULL;
            st = edb_series_new(&all, name);
        }
    }
    if (st == EDB_OK)
        edb_series_sort(all);
    /* Chunks overlap (one chunk's bracket is its neighbour's first sample): each instant
     * is kept once.  Without a repeated instant (one reply, or replies that do not
     * overlap) the decoded series is the answer as it stands: no copy. */
    size_t dup = 1;
    while (st == EDB_OK && dup < all->n && all->t[dup] != all->t[dup - 1])
        dup++;
    if (st == EDB_OK && dup >= all->n) {
        *out = all;
        return EDB_OK;
    }
    if (st == EDB_OK)
        st = edb_series_new(&uniq, name);
    if (st == EDB_OK) {
        memcpy(uniq->sqltype, all->sqltype, sizeof uniq->sqltype);
        if (all->vtype != EDB_VT_NONE)
            st = edb_series_set_type(uniq, all->vtype);
        if (st == EDB_OK)
            st = edb_series_reserve(uniq, all->n);
        /* runs of distinct instants, copied a run at a time */
        for (size_t j = 0; st == EDB_OK && j < all->n;) {
            size_t e = j + 1;
            while (e < all->n && all->t[e] != all->t[e - 1])
                e++;
            st = edb_series_append_range(uniq, all, j, e);
            j = e;
            while (j < all->n && j > 0 && all->t[j] == all->t[j - 1])
                j++;
        }
    }
    edb_series_free(all);
    if (st != EDB_OK) {
        edb_series_free(uniq);
        return edb__fail(err, st, "%s: cannot load the saved replies (%s)", name,
                         edb_strerror(st));
    }
    *out = uniq;
    return EDB_OK;
}

/* Is [start, end] inside the time the saved replies of name cover, without a gap?  Only
 * there does the union of their samples give the right brackets. */
static int replies_cover(const edb_store *s, const edb__service *svc, const char *name,
                         edb_time start, edb_time end)
{
    size_t lo, hi;
    reply_range(s, svc, name, &lo, &hi);
    edb_time a = 0, b = 0;
    int have = 0;
    for (size_t k = lo; k < hi; k++) {
        const reply_file *r = &s->rf[k];
        if (have && r->start <= b + EDB_USEC_PER_SEC) {
            if (r->end > b)
                b = r->end;
            continue;
        }
        if (have && a <= start && end <= b)
            return 1;
        a = r->start;
        b = r->end;
        have = 1;
    }
    return have && a <= start && end <= b;
}

/* Index of name in the sorted cache, or where it would go (*found says which). */
static size_t cache_pos(const edb_store *s, const char *name, int *found)
{
    size_t lo = 0, hi = s->n_cache;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(s->cache[mid].name, name);
        if (c == 0) {
            *found = 1;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = 0;
    return lo;
}

/* The parsed samples of name (from svc's saved replies in a store of replies), parsed on
 * first use and kept. */
static edb_status get_series(edb_store *s, const edb__service *svc, const char *mnemonic,
                             const edb_series **out, edb_err *err)
{
    char name[STORE_NAME_MAX + 32];
    snprintf(name, sizeof name, "%s%s%s", mnemonic, svc ? " " : "", svc ? svc->name : "");
    int found;
    pthread_mutex_lock(&s->mu);
    size_t pos = cache_pos(s, name, &found);
    if (found) {
        *out = s->cache[pos].series;
        pthread_mutex_unlock(&s->mu);
        return EDB_OK;
    }
    pthread_mutex_unlock(&s->mu);

    /* Parsed outside the lock; if another thread won the race, its copy is kept. */
    edb_series *ser = NULL;
    edb_status st = s->replies ? load_replies(s, svc, mnemonic, &ser, err)
                               : load_series(s, mnemonic, &ser, err);
    if (st != EDB_OK)
        return st;
    char *key = edb__strdup(name);
    pthread_mutex_lock(&s->mu);
    pos = cache_pos(s, name, &found);
    if (found) {
        *out = s->cache[pos].series;
        pthread_mutex_unlock(&s->mu);
        free(key);
        edb_series_free(ser);
        return EDB_OK;
    }
    if (!key || (s->n_cache == s->cap_cache && s->cap_cache > ((size_t)-1) / (2 * sizeof *s->cache))) {
        pthread_mutex_unlock(&s->mu);
        free(key);
        edb_series_free(ser);
        return edb__fail(err, EDB_ERR_NOMEM, "out of memory");
    }
    if (s->n_cache == s->cap_cache) {
        size_t cap = s->cap_cache ? s->cap_cache * 2 : 16;
        cache_entry *c = realloc(s->cache, cap * sizeof *c);
        if (!c) {
            pthread_mutex_unlock(&s->mu);
            free(key);
            edb_series_free(ser);
            return edb__fail(err, EDB_ERR_NOMEM, "out of memory");
        }
        s->cache = c;
        s->cap_cache = cap;
    }
    memmove(&s->cache[pos + 1], &s->cache[pos], (s->n_cache - pos) * sizeof *s->cache);
    s->cache[pos].name = key;
    s->cache[pos].series = ser;
    s->n_cache++;
    *out = ser;
    pthread_mutex_unlock(&s->mu);
    return EDB_OK;
}

/* Take series `ser` out of the cache: the caller owns it (NULL if it is not there). */
static edb_series *uncache(edb_store *s, const edb_series *ser)
{
    edb_series *got = NULL;
    pthread_mutex_lock(&s->mu);
    for (size_t k = 0; k < s->n_cache; k++)
        if (s->cache[k].series == ser) {
            got = s->cache[k].series;
            free(s->cache[k].name);
            memmove(&s->cache[k], &s->cache[k + 1], (s->n_cache - k - 1) * sizeof *s->cache);
            s->n_cache--;
            break;
        }
    pthread_mutex_unlock(&s->mu);
    return got;
}

void edb_store_set_single_use(edb_store *s, int on)
{
    if (s)
        s->single_use = on != 0;
}

/* The samples of mnemonic in [start, end] (brackets: and one on each side) as a window
 * [*lo, *hi) over the shared, immutable series *all, for service svc: a store of saved
 * replies answers a service only from its own replies (NULL: from the first service it has
 * replies of); the jwst layout answers every service.  named: messages start with the
 * name (a standalone query), or not (the client puts it first). */
static edb_status window_svc(edb_store *s, const edb__service *svc, const char *mnemonic,
                             edb_time start, edb_time end, int brackets, int named,
                             const edb_series **all, size_t *lo, size_t *hi, edb_err *err)
{
    *all = NULL;
    *lo = *hi = 0;
    char name[STORE_NAME_MAX + 1];
    edb_status st = check_name(mnemonic, name, err);
    if (st != EDB_OK)
        return st;
    if (start > end)
        return edb__fail(err, EDB_ERR_USAGE, "%s: range starts after it ends", name);
    if (s->replies) {
        size_t a, b;
        svc = reply_range(s, svc, name, &a, &b);
        if (!svc)
            return edb__fail(err, EDB_ERR_NOT_FOUND, "%s%sno such mnemonic in store %s",
                             named ? name : "", named ? ": " : "", s->path);
        if (!replies_cover(s, svc, name, start, end)) {
            char t0[EDB_TIME_STRLEN], t1[EDB_TIME_STRLEN];
            edb_time_format_iso(start, t0, sizeof t0);
            edb_time_format_iso(end, t1, sizeof t1);
            return edb__fail(err, EDB_ERR_NOT_FOUND,
                             "%s%sthe replies saved in %s do not cover %s to %s (query the "
                             "ranges they were saved for)", named ? name : "", named ? ": " : "",
                             s->path, t0, t1);
        }
    } else {
        svc = NULL;
    }
    const edb_series *ser = NULL;
    edb_err gerr = EDB_ERR_INIT;
    st = get_series(s, svc, name, &ser, &gerr);
    if (st != EDB_OK)
        return edb__fail(err, st, "%s%s%s", named ? name : "", named ? ": " : "", gerr.msg);
    size_t l = edb_series_lower_bound(ser, start), h = edb_series_upper_bound(ser, end);
    if (brackets) {
        if (l > 0)
            l--;
        if (h < ser->n)
            h++;
    }
    *all = ser;
    *lo = l;
    *hi = h;
    return EDB_OK;
}

/* The same samples copied into a new series of the caller's. */
static edb_status query_svc(edb_store *s, const edb__service *svc, const char *mnemonic,
                            edb_time start, edb_time end, int brackets, edb_series **out,
                            int named, edb_err *err)
{
    if (!s || !out)
        return edb__fail(err, EDB_ERR_USAGE, "edb_store_query: no store or no output");
    *out = NULL;
    const edb_series *all = NULL;
    size_t lo, hi;
    edb_status st = window_svc(s, svc, mnemonic, start, end, brackets, named, &all, &lo, &hi,
                               err);
    if (st != EDB_OK)
        return st;
    edb_series *r = NULL;
    st = edb_series_new(&r, all->mnemonic);
    if (st != EDB_OK)
        return edb__fail(err, st, "out of memory");
    memcpy(r->sqltype, all->sqltype, sizeof r->sqltype);
    r->all_points = all->all_points;
    if (all->vtype != EDB_VT_NONE)
        st = edb_series_set_type(r, all->vtype);
    if (st == EDB_OK)
        st = edb_series_append_range(r, all, lo, hi);
    if (st != EDB_OK) {
        edb_series_free(r);
        return edb__fail(err, st, "%s: cannot copy samples (%s)", all->mnemonic,
                         edb_strerror(st));
    }
    *out = r;
    return EDB_OK;
}

edb_status edb_store_query(edb_store *s, const char *mnemonic, edb_time start, edb_time end,
                           int brackets, edb_series **out, edb_err *err)
{
    return query_svc(s, NULL, mnemonic, start, end, brackets, out, 1, err);
}

/* The saved reply of svc for name over exactly [start, end], or NULL. */
static const reply_file *exact_reply(const edb_store *s, const edb__service *svc,
                                     const char *name, edb_time start, edb_time end)
{
    size_t lo, hi;
    if (!reply_range(s, svc, name, &lo, &hi))
        return NULL;
    for (size_t k = lo; k < hi; k++)
        if (s->rf[k].start == start && s->rf[k].end == end)
            return &s->rf[k];
    return NULL;
}

edb_status edb__store_reply(edb_store *s, const char *mnemonic, int64_t start, int64_t end,
                            edb__buf *out, edb_err *err)
{
    if (s && s->replies) {
        /* Asked for exactly what was saved: the bytes as received, not a re-formatting. */
        char name[STORE_NAME_MAX + 1];
        edb_status st = check_name(mnemonic, name, err);
        if (st != EDB_OK)
            return st;
        const reply_file *rf = exact_reply(s, &edb__svc_mast, name, start, end);
        if (rf) {
            edb__buf content = {0};
            const char *data = NULL;
            size_t dlen = 0;
            int missing;
            st = store_read(s, rf->file, &content, &data, &dlen, &missing, err);
            if (st == EDB_OK && edb__buf_append(out, data, dlen) != 0)
                st = edb__fail(err, EDB_ERR_NOMEM, "out of memory");
            edb__buf_free(&content);
            return st;
        }
    }
    edb_series *ser = NULL;
    edb_status st = edb_store_query(s, mnemonic, start, end, 1, &ser, err);
    if (st != EDB_OK)
        return st;
    if (edb__reply_format(EDB__REPLY_MAST_CSV, ser, start, end, out) != 0)
        st = edb__fail(err, EDB_ERR_NOMEM, "out of memory");
    edb_series_free(ser);
    return st;
}

edb_status edb_store_reply(edb_store *s, const char *mnemonic, edb_time start, edb_time end,
                           char **body, size_t *len, edb_err *err)
{
    if (!body || !len)
        return edb__fail(err, EDB_ERR_USAGE, "edb_store_reply: no output");
    *body = NULL;
    *len = 0;
    edb__buf b = {0};
    edb_status st = edb__store_reply(s, mnemonic, start, end, &b, err);
    if (st != EDB_OK) {
        edb__buf_free(&b);
        return st;
    }
    if (!b.p && !(b.p = malloc(1))) /* an empty body is still a body */
        return edb__fail(err, EDB_ERR_NOMEM, "out of memory");
    *body = b.p;
    *len = b.len;
    return EDB_OK;
}

/* ---- for edbx serve (internal.h) -------------------------------------------------------- */

int edb__store_has_saved(const edb_store *s, const char *mnemonic, int64_t start, int64_t end)
{
    char name[STORE_NAME_MAX + 1];
    if (!s || !s->replies || check_name(mnemonic, name, NULL) != EDB_OK)
        return 0;
    return exact_reply(s, &edb__svc_mast, name, start, end) != NULL;
}

/* edb_store_query's selection without its copy: the server streams replies straight out
 * of the shared immutable series. */
edb_status edb__store_window(edb_store *s, const char *mnemonic, int64_t start, int64_t end,
                             int brackets, const edb_series **all, size_t *lo, size_t *hi,
                             edb_err *err)
{
    return window_svc(s, NULL, mnemonic, start, end, brackets, 1, all, lo, hi, err);
}

edb_status edb__store_meta_json(edb_store *s, edb__buf *out, edb_err *err)
{
    if (!s || s->replies)
        return edb__fail(err, EDB_ERR_NOT_FOUND, "the store holds saved replies: no meta.json");
    edb__buf rel = {0}, content = {0};
    const char *data = NULL;
    size_t len = 0;
    int missing;
    edb_status st = EDB_OK;
    if (edb__buf_printf(&rel, "%smeta.json", s->prefix) != 0)
        st = edb__fail(err, EDB_ERR_NOMEM, "out of memory");
    if (st == EDB_OK)
        st = store_read(s, rel.p, &content, &data, &len, &missing, err);
    if (st == EDB_OK && edb__buf_append(out, data, len) != 0)
        st = edb__fail(err, EDB_ERR_NOMEM, "out of memory");
    edb__buf_free(&rel);
    edb__buf_free(&content);
    return st;
}

/* ---- reading ahead while a fetch runs ------------------------------------------------- */

/* One mnemonic to read ahead.  state: 0 not begun, 1 being decoded by a worker, 2 decoded
 * (in the store's cache, or `answer`), 3 claimed by its query (or begun by it). */
typedef struct ahead_item {
    char name[STORE_NAME_MAX + 1];
    int state;
    edb_series *answer; /* an exact saved reply decoded as the client would: its answer */
} ahead_item;

typedef struct ahead {
    edb_store *s;
    const edb__service *svc;
    ahead_item *items;
    size_t n, next;
    size_t outstanding;  /* begun or decoded, and not yet claimed */
    size_t window;       /* the most outstanding at once */
    edb_time start, end; /* the query's range: the exact replies' answers are cut to it */
    int exact;
    int stop;
    pthread_cond_t cv;
    pthread_t tid[64];
    int threads;
} ahead;

/* A saved path A reply of exactly the query's range, decoded as the client's decoder
 * would decode it for the one request of an unchunked query: cut to [start, end], one
 * bracket kept on each side. */
static edb_series *ahead_exact(edb_store *s, const ahead *a, const char *name)
{
    const reply_file *rf = exact_reply(s, &edb__svc_mast, name,
                                       edb_time_floor(a->start, EDB_USEC_PER_SEC),
                                       edb_time_ceil(a->end, EDB_USEC_PER_SEC));
    if (!rf)
        return NULL;
    edb_decode_options o = EDB_DECODE_OPTIONS_INIT;
    o.start = a->start;
    o.end = a->end;
    o.keep_before = o.keep_after = 1;
    edb_series *ser = NULL;
    dec_feed f = {NULL, 0};
    int ok = edb_series_new(&ser, name) == EDB_OK &&
             edb_decoder_new(&f.d, edb__svc_mast.decoder, ser, &o) == EDB_OK;
    if (ok) {
        edb_decoder_size_hint(f.d, store_size(s, rf->file));
        ok = store_stream(s, rf->file, feed_decoder, &f, NULL, NULL) == 0 && !f.failed &&
             edb_decoder_finish(f.d) == EDB_OK;
    }
    edb_decoder_free(f.d);
    if (!ok) {
        /* its query reads it again and says what is wrong with it */
        edb_series_free(ser);
        return NULL;
    }
    return ser;
}

static void *ahead_worker(void *arg)
{
    ahead *a = arg;
    edb_store *s = a->s;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        while (!a->stop && a->next < a->n &&
               (a->items[a->next].state != 0 || a->outstanding >= a->window)) {
            if (a->items[a->next].state != 0)
                a->next++;
            else
                pthread_cond_wait(&a->cv, &s->mu);
        }
        if (a->stop || a->next >= a->n)
            break;
        ahead_item *it = &a->items[a->next++];
        it->state = 1;
        a->outstanding++;
        pthread_mutex_unlock(&s->mu);
        edb_series *answer = NULL;
        const edb__service *svc = NULL;
        if (s->replies) {
            size_t lo, hi;
            svc = reply_range(s, a->svc, it->name, &lo, &hi);
            if (svc && a->exact && svc == &edb__svc_mast)
                answer = ahead_exact(s, a, it->name);
            else if (svc && exact_reply(s, svc, it->name,
                                        edb_time_floor(a->start, EDB_USEC_PER_SEC),
                                        edb_time_ceil(a->end, EDB_USEC_PER_SEC)))
                svc = NULL; /* its saved reply streams into the client's decoder */
        }
        if (!answer && (svc || !s->replies)) {
            const edb_series *ignore;
            get_series(s, svc, it->name, &ignore, NULL);
        }
        pthread_mutex_lock(&s->mu);
        it->answer = answer;
        it->state = 2;
        pthread_cond_broadcast(&a->cv);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

void edb_store_read_ahead(edb_store *s, const char *service, const char *const *mnemonics,
                          size_t n, edb_time start, edb_time end, int threads, int exact)
{
    if (!s || s->ahead || n == 0 || threads < 1)
        return;
    ahead *a = calloc(1, sizeof *a);
    if (!a || !(a->items = calloc(n, sizeof *a->items)) || pthread_cond_init(&a->cv, NULL)) {
        if (a)
            free(a->items);
        free(a);
        return; /* nothing is read ahead: each query reads its own */
    }
    a->s = s;
    a->n = n;
    a->svc = service ? edb__service_find(service) : NULL;
    a->start = start;
    a->end = end;
    a->exact = exact && s->single_use;
    for (size_t k = 0; k < n; k++)
        if (check_name(mnemonics[k], a->items[k].name, NULL) != EDB_OK)
            a->items[k].state = 3;
    /* The calling thread is busy too (it takes each series, resamples it, writes): one
     * core fewer decodes ahead, and no more series wait than there are decoders. */
    if (threads > 1)
        threads--;
    if ((size_t)threads > n)
        threads = (int)n;
    if (threads > 64)
        threads = 64;
    a->window = (size_t)threads;
    s->ahead = a;
    for (int k = 0; k < threads; k++)
        if (pthread_create(&a->tid[a->threads], NULL, ahead_worker, a) == 0)
            a->threads++;
}

void edb_store_read_ahead_stop(edb_store *s)
{
    ahead *a = s ? s->ahead : NULL;
    if (!a)
        return;
    pthread_mutex_lock(&s->mu);
    a->stop = 1;
    pthread_cond_broadcast(&a->cv);
    pthread_mutex_unlock(&s->mu);
    for (int k = 0; k < a->threads; k++)
        pthread_join(a->tid[k], NULL);
    s->ahead = NULL;
    for (size_t k = 0; k < a->n; k++)
        edb_series_free(a->items[k].answer);
    pthread_cond_destroy(&a->cv);
    free(a->items);
    free(a);
}

/* The query of ri is here: the read-ahead of its mnemonic, if any, is claimed (waited for
 * when a worker is decoding it; left to the query when not yet begun), and its decoded
 * answer handed over when it answers exactly this request. */
static edb_series *ahead_claim(edb_store *s, const edb_request_info *ri)
{
    ahead *a = s->ahead;
    if (!a || ri->kind != EDB_REQ_DATA)
        return NULL;
    edb_series *answer = NULL;
    pthread_mutex_lock(&s->mu);
    for (size_t k = 0; k < a->n; k++) {
        ahead_item *it = &a->items[k];
        if (it->state == 3 || strcmp(it->name, ri->mnemonic) != 0)
            continue;
        while (it->state == 1)
            pthread_cond_wait(&a->cv, &s->mu);
        if (it->state == 2) {
            a->outstanding--;
            pthread_cond_broadcast(&a->cv);
        }
        it->state = 3;
        answer = it->answer;
        it->answer = NULL;
        break;
    }
    pthread_mutex_unlock(&s->mu);
    if (answer && !(ri->start == edb_time_floor(a->start, EDB_USEC_PER_SEC) &&
                    ri->end == edb_time_ceil(a->end, EDB_USEC_PER_SEC) &&
                    strcmp(ri->service, edb__svc_mast.name) == 0)) {
        edb_series_free(answer); /* another request than the one it was decoded for */
        answer = NULL;
    }
    return answer;
}

/* ---- the store as a client's local source --------------------------------------------- */

/* A request answered from the store: a saved reply of that very request with its bytes
 * (what the service said: the decoder reads them); anything else with the samples
 * themselves, never printed to text and parsed again.  Metadata from meta.json (the jwst
 * layout) or from a saved metadata reply.  A store of saved replies answers a service only
 * from that service's replies. */
static int source_lookup(void *ctx, const edb_request_info *ri, const edb_reply_sink *sink,
                         edb_err *err)
{
    edb_store *s = ctx;
    const edb__service *svc = edb__service_find(ri->service);
    if (!svc)
        return 0;
    if (ri->kind == EDB_REQ_META) {
        if (s->replies) {
            const reply_file *mf = meta_reply(s, svc, ri->mnemonic);
            if (mf)
                return store_stream(s, mf->file, sink->feed, sink->ctx, NULL, err) == 0 ? 1 : -1;
            return sink->meta(sink->ctx, NULL) == 0 ? 1 : -1;
        }
        edb_meta_entry e;
        int known = edb_store_meta(s, ri->mnemonic, &e);
        return sink->meta(sink->ctx, known ? &e : NULL) == 0 ? 1 : -1;
    }
    /* A mnemonic being read ahead is waited for, not read a second time. */
    edb_series *early = ahead_claim(s, ri);
    if (early) {
        if (sink->series_take)
            return sink->series_take(sink->ctx, early) == 0 ? 1 : -1;
        edb_series_free(early);
    }
    if (s->replies) {
        const reply_file *rf = exact_reply(s, svc, ri->mnemonic, ri->start, ri->end);
        if (rf) {
            if (sink->size_hint)
                sink->size_hint(sink->ctx, store_size(s, rf->file));
            return store_stream(s, rf->file, sink->feed, sink->ctx, NULL, err) == 0 ? 1 : -1;
        }
    }
    /* A view of the shared series, not a copy: the client copies out what it keeps; or,
     * when each series has one query, the series itself, cut in place.  The client names
     * the mnemonic in its message. */
    const edb_series *all = NULL;
    size_t lo, hi;
    if (window_svc(s, svc, ri->mnemonic, ri->start, ri->end, 1, 0, &all, &lo, &hi, err) !=
        EDB_OK)
        return -1;
    edb_series *own = s->single_use && sink->series_take ? uncache(s, all) : NULL;
    if (own) {
        edb_series_keep_range(own, lo, hi);
        return sink->series_take(sink->ctx, own) == 0 ? 1 : -1;
    }
    edb_series view;
    edb_series_view(&view, all, lo, hi);
    return sink->series(sink->ctx, &view) == 0 ? 1 : -1;
}

void edb_store_hooks(edb_store *s, edb_reply_hooks *out)
{
    memset(out, 0, sizeof *out);
    out->ctx = s;
    out->lookup = source_lookup;
}

/* ---- decoding ahead, on several threads ------------------------------------------------ */

typedef struct prefetch {
    edb_store *s;
    const edb__service *svc;
    const char *const *names;
    size_t n;
    edb_time start, end;
    pthread_mutex_t mu;
    size_t next;
} prefetch;

static void *prefetch_worker(void *arg)
{
    prefetch *p = arg;
    for (;;) {
        pthread_mutex_lock(&p->mu);
        size_t k = p->next++;
        pthread_mutex_unlock(&p->mu);
        if (k >= p->n)
            return NULL;
        char name[STORE_NAME_MAX + 1];
        const edb_series *ignore;
        if (check_name(p->names[k], name, NULL) != EDB_OK)
            continue;
        /* the jwst layout keeps one series per name whatever the service (window_svc):
         * prefetching under the service's key would parse the file a second time */
        const edb__service *svc = p->s->replies ? p->svc : NULL;
        if (p->s->replies) {
            size_t lo, hi;
            svc = reply_range(p->s, svc, name, &lo, &hi);
            if (!svc)
                continue;
            if (p->start != EDB_TIME_MIN && p->end != EDB_TIME_MAX &&
                exact_reply(p->s, svc, name, edb_time_floor(p->start, EDB_USEC_PER_SEC),
                            edb_time_ceil(p->end, EDB_USEC_PER_SEC)))
                continue; /* its saved reply streams into the client's decoder */
        }
        get_series(p->s, svc, name, &ignore, NULL);
    }
}

void edb_store_prefetch(edb_store *s, const char *service, const char *const *mnemonics,
                        size_t n, edb_time start, edb_time end, int threads)
{
    if (!s || n == 0)
        return;
    prefetch p = {s, service ? edb__service_find(service) : NULL, mnemonics, n, start, end,
                  PTHREAD_MUTEX_INITIALIZER, 0};
    if (threads < 1)
        threads = 1;
    if ((size_t)threads > n)
        threads = (int)n;
    if (threads > 64)
        threads = 64;
    pthread_t tid[64];
    int started = 0;
    /* The calling thread works too: one thread means no thread is made. */
    for (int k = 1; k < threads; k++)
        if (pthread_create(&tid[started], NULL, prefetch_worker, &p) == 0)
            started++;
    prefetch_worker(&p);
    for (int k = 0; k < started; k++)
        pthread_join(tid[k], NULL);
    pthread_mutex_destroy(&p.mu);
}
