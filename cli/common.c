/* common.c: exit codes, messages, numbers, secrets and signals for every subcommand. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

volatile int cli_interrupted = 0;

static void on_signal(int sig)
{
    (void)sig;
    cli_interrupted = 1;
}

void cli_trap_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL); /* a closed terminal: stop as cleanly as for Ctrl-C */
    signal(SIGPIPE, SIG_IGN); /* a closed pipe is a write error we report, not a death */
}

int cli_exit_code(edb_status st)
{
    switch (st) {
    case EDB_OK: return EXIT_OK;
    case EDB_ERR_USAGE:
    case EDB_ERR_TIME:
    case EDB_ERR_MNEMONIC:
    case EDB_ERR_INSECURE: return EXIT_USAGE;
    case EDB_ERR_NOT_FOUND: return EXIT_NOTFOUND;
    case EDB_ERR_AUTH: return EXIT_AUTH;
    case EDB_ERR_NETWORK:
    case EDB_ERR_SERVER:
    case EDB_ERR_TRUNCATED: return EXIT_NETWORK;
    case EDB_ERR_DATA: return EXIT_DATA;
    case EDB_ERR_IO: return EXIT_IO;
    case EDB_ERR_INTERRUPTED: return EXIT_INTERRUPTED;
    case EDB_ERR_PARTIAL: return EXIT_PARTIAL;
    case EDB_ERR_NOMEM:
    case EDB_ERR_INTERNAL: return EXIT_INTERNAL;
    }
    return EXIT_INTERNAL;
}

int cli_fail(edb_status st, const char *fmt, ...)
{
    va_list ap;
    fputs("edbx: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return cli_exit_code(st);
}

edb_status cli_parse_count(const char *what, const char *s, long max, long *out, edb_err *err)
{
    char *end;
    errno = 0;
    long v = s && isdigit((unsigned char)*s) ? strtol(s, &end, 10) : -1;
    if (v < 0 || errno || *end || v > max)
        return edb_err_set(err, EDB_ERR_USAGE, "invalid %s '%s': expected a whole number from 0 "
                           "to %ld", what, s ? s : "", max);
    *out = v;
    return EDB_OK;
}

edb_status cli_parse_timeout(const char *s, int64_t *us, edb_err *err)
{
    /* ENG_TIMEOUT is plain seconds in the Python clients; accept that and durations. */
    const char *p = s;
    while (*p && (isdigit((unsigned char)*p) || *p == '.'))
        p++;
    if (*s && *p == '\0') {
        char buf[64];
        snprintf(buf, sizeof buf, "%ss", s);
        return edb_duration_parse(buf, us, err);
    }
    return edb_duration_parse(s, us, err);
}

void cli_free_secret(char *s)
{
    if (!s)
        return;
    volatile char *p = s;
    while (*p)
        *p++ = 0;
    free(s);
}

static char *trim_dup(const char *s, size_t len)
{
    while (len && isspace((unsigned char)*s)) {
        s++;
        len--;
    }
    while (len && isspace((unsigned char)s[len - 1]))
        len--;
    char *out = malloc(len + 1);
    if (out) {
        memcpy(out, s, len);
        out[len] = '\0';
    }
    return out;
}

edb_status cli_read_token_file(const char *path, char **out, edb_err *err)
{
    *out = NULL;
    FILE *f = fopen(path, "r");
    if (!f)
        return edb_err_set(err, EDB_ERR_IO, "cannot read the token file %s: %s", path,
                           strerror(errno));
    char buf[4096];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *nl = strpbrk(buf, "\r\n");
    size_t len = nl ? (size_t)(nl - buf) : n;
    char *tok = trim_dup(buf, len);
    volatile char *p = buf;
    for (size_t k = 0; k < sizeof buf; k++)
        p[k] = 0;
    if (!tok)
        return edb_err_set(err, EDB_ERR_NOMEM, "out of memory");
    if (!*tok) {
        free(tok);
        return edb_err_set(err, EDB_ERR_USAGE, "the token file %s is empty: put the MAST token "
                           "on its first line", path);
    }
    for (const char *c = tok; *c; c++)
        if ((unsigned char)*c < 0x21 || (unsigned char)*c > 0x7e) {
            cli_free_secret(tok);
            return edb_err_set(err, EDB_ERR_USAGE, "the token in %s holds spaces or control "
                               "characters: a MAST token is one word", path);
        }
    *out = tok;
    return EDB_OK;
}

char *cli_netrc_password(const char *machine)
{
    const char *path = getenv("NETRC");
    char def[4096];
    if (!path || !*path) {
        const char *home = getenv("HOME");
        if (!home || !*home)
            return NULL;
        snprintf(def, sizeof def, "%s/.netrc", home);
        path = def;
    }
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    /* Tokens separated by white space: machine NAME login L password P ... default ... */
    char tok[1024];
    int in_machine = 0, want_password = 0;
    char *found = NULL;
    int c, len = 0;
    for (;;) {
        c = fgetc(f);
        if (c != EOF && !isspace(c)) {
            if (len < (int)sizeof tok - 1)
                tok[len++] = (char)c;
            continue;
        }
        if (len > 0) {
            tok[len] = '\0';
            if (want_password) {
                if (in_machine && !found)
                    found = strdup(tok);
                want_password = 0;
            } else if (strcmp(tok, "machine") == 0) {
                /* the next token is the name */
                int n2 = 0, c2;
                while ((c2 = fgetc(f)) != EOF && isspace(c2))
                    ;
                while (c2 != EOF && !isspace(c2)) {
                    if (n2 < (int)sizeof tok - 1)
                        tok[n2++] = (char)c2;
                    c2 = fgetc(f);
                }
                tok[n2] = '\0';
                in_machine = strcmp(tok, machine) == 0;
            } else if (strcmp(tok, "default") == 0) {
                in_machine = 0; /* a default entry is for any host: not ours to use */
            } else if (strcmp(tok, "password") == 0) {
                want_password = 1;
            }
            len = 0;
        }
        if (c == EOF || found)
            break;
    }
    volatile char *p = tok;
    for (size_t k = 0; k < sizeof tok; k++)
        p[k] = 0;
    fclose(f);
    return found;
}

edb_status cli_names_add(cli_names *l, const char *s, size_t len)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        char **nv = realloc(l->v, cap * sizeof *nv);
        if (!nv)
            return EDB_ERR_NOMEM;
        l->v = nv;
        l->cap = cap;
    }
    char *c = malloc(len + 1);
    if (!c)
        return EDB_ERR_NOMEM;
    memcpy(c, s, len);
    c[len] = '\0';
    l->v[l->n++] = c;
    return EDB_OK;
}

edb_status cli_names_read_file(cli_names *l, const char *path, edb_err *err)
{
    int is_stdin = strcmp(path, "-") == 0;
    FILE *f = is_stdin ? stdin : fopen(path, "r");
    if (!f)
        return edb_err_set(err, EDB_ERR_IO, "cannot read the mnemonic list %s: %s", path,
                           strerror(errno));
    char line[4096];
    unsigned lineno = 0;
    edb_status st = EDB_OK;
    while (st == EDB_OK && fgets(line, sizeof line, f)) {
        lineno++;
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        char *p = line;
        while (*p && isspace((unsigned char)*p))
            p++;
        size_t len = strlen(p);
        while (len && isspace((unsigned char)p[len - 1]))
            len--;
        if (len == 0)
            continue;
        for (size_t k = 0; k < len; k++)
            if (isspace((unsigned char)p[k])) {
                st = edb_err_set(err, EDB_ERR_USAGE, "%s line %u: one mnemonic per line, "
                                 "'%.*s' holds a space", path, lineno, (int)len, p);
                break;
            }
        if (st == EDB_OK && cli_names_add(l, p, len) != EDB_OK)
            st = edb_err_set(err, EDB_ERR_NOMEM, "out of memory");
    }
    if (st == EDB_OK && ferror(f))
        st = edb_err_set(err, EDB_ERR_IO, "cannot read the mnemonic list %s", path);
    if (!is_stdin)
        fclose(f);
    return st;
}

void cli_names_free(cli_names *l)
{
    for (size_t k = 0; k < l->n; k++)
        free(l->v[k]);
    free(l->v);
    memset(l, 0, sizeof *l);
}
