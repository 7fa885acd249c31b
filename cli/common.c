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
