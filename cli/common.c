/* common.c: exit codes, messages, numbers, secrets and signals for every subcommand. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

/* ---- every message edbx prints on standard error ------------------------------------- */

/* The secrets to keep out of messages: the token, and its URL-encoded form when that
 * differs (a service echoing a query string would show that one). */
#define CLI_MAX_SECRETS 8
static char *secrets[CLI_MAX_SECRETS];
static size_t n_secrets;
/* A cut message (an excerpt of an error body, a bounded buffer) may end inside the token:
 * a piece of it this long or longer is redacted too.  A shorter piece says nothing useful
 * of a MAST token (32 hex digits), and a shorter secret is redacted only whole. */
#define CLI_SECRET_PIECE 8
#define CLI_REDACTED "[redacted]"

static void forget_secrets(void)
{
    for (size_t k = 0; k < n_secrets; k++)
        cli_free_secret(secrets[k]);
    n_secrets = 0;
}

static void remember(char *s)
{
    for (size_t k = 0; s && k < n_secrets; k++)
        if (strcmp(secrets[k], s) == 0) {
            cli_free_secret(s);
            return;
        }
    if (s && n_secrets < CLI_MAX_SECRETS)
        secrets[n_secrets++] = s;
    else
        cli_free_secret(s);
}

void cli_secret_add(const char *secret)
{
    static int registered;
    if (!secret || !*secret)
        return;
    if (!registered) {
        atexit(forget_secrets);
        registered = 1;
    }
    remember(strdup(secret));
    size_t n = strlen(secret);
    char *enc = malloc(3 * n + 1);
    if (!enc)
        return;
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)secret; *p; p++) {
        if (isalnum(*p) || strchr("-._~", *p))
            enc[o++] = (char)*p;
        else
            o += (size_t)sprintf(enc + o, "%%%02X", *p);
    }
    enc[o] = '\0';
    if (strcmp(enc, secret) != 0)
        remember(enc);
    else
        cli_free_secret(enc);
}

/* How many bytes at t match the start of secret s; the hex digits of a percent escape
 * match in either case ("%2f" is "%2F"). */
static size_t secret_match(const char *t, const char *s)
{
    size_t k = 0;
    for (; s[k] && t[k]; k++) {
        if (t[k] == s[k])
            continue;
        int escape_digit = (k >= 1 && s[k - 1] == '%') || (k >= 2 && s[k - 2] == '%');
        if (!escape_digit || !isxdigit((unsigned char)s[k]) ||
            tolower((unsigned char)t[k]) != tolower((unsigned char)s[k]))
            break;
    }
    return k;
}

char *cli_redact(const char *text)
{
    size_t n = strlen(text), cap = n + 1;
    char *out = malloc(cap);
    if (!out)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        size_t hit = 0;
        for (size_t k = 0; k < n_secrets; k++) {
            size_t sl = strlen(secrets[k]), m = secret_match(text + i, secrets[k]);
            if ((m == sl || m >= CLI_SECRET_PIECE) && m > hit)
                hit = m;
        }
        const char *put = hit ? CLI_REDACTED : text + i;
        size_t pl = hit ? sizeof CLI_REDACTED - 1 : 1;
        if (o + pl + 1 > cap) {
            cap = 2 * cap + pl;
            char *bigger = realloc(out, cap);
            if (!bigger) {
                free(out);
                return NULL;
            }
            out = bigger;
        }
        memcpy(out + o, put, pl);
        o += pl;
        i += hit ? hit : 1;
    }
    out[o] = '\0';
    return out;
}

/* One line on stderr: prefix, the text with every secret redacted, a line end.  If the
 * redaction cannot be done (out of memory), the text is not printed at all. */
static void emit(const char *prefix, const char *fmt, va_list ap)
{
    char small[1024];
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    char *text = small;
    if (n >= (int)sizeof small && (text = malloc((size_t)n + 1)) != NULL)
        vsnprintf(text, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    char *clean = n >= 0 && text ? cli_redact(text) : NULL;
    fprintf(stderr, "%s%s\n", prefix, clean ? clean : "(a message was withheld: out of memory)");
    free(clean);
    if (text != small)
        free(text);
}

int cli_fail(edb_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    emit("edbx: ", fmt, ap);
    va_end(ap);
    return cli_exit_code(st);
}

void cli_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    emit("edbx: ", fmt, ap);
    va_end(ap);
}

void cli_log_line(void *ctx, const char *line)
{
    (void)ctx;
    cli_warn("%s", line);
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
    edb_status st;
    if (*s && *p == '\0') {
        char buf[64];
        if (strlen(s) + 2 > sizeof buf)
            return edb_err_set(err, EDB_ERR_USAGE, "'%.20s...' is too long for a timeout", s);
        snprintf(buf, sizeof buf, "%ss", s);
        st = edb_duration_parse(buf, us, err);
    } else {
        st = edb_duration_parse(s, us, err);
    }
    /* 0 is refused rather than read as "no timeout", as the Python clients refuse it: a
     * transfer that can hang forever is never what a typo should give. */
    if (st == EDB_OK && *us <= 0)
        return edb_err_set(err, EDB_ERR_USAGE, "'%s' is no time at all: a timeout is more than "
                           "0 (seconds or a duration, e.g. 600 or 10min); leave it out for the "
                           "default of 600 s", s);
    return st;
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

edb_status cli_token_check(const char *tok, const char *from, edb_err *err)
{
    size_t n = strlen(tok);
    if (n == 0)
        return edb_err_set(err, EDB_ERR_USAGE, "the token in %s is empty: put the MAST token "
                           "there (get one at https://auth.mast.stsci.edu/token)", from);
    if (n > CLI_TOKEN_MAX)
        return edb_err_set(err, EDB_ERR_USAGE, "the token in %s is longer than %d characters: "
                           "not a MAST token", from, CLI_TOKEN_MAX);
    /* A line end or a space would break the header it goes in (or add one of its own). */
    for (const char *c = tok; *c; c++)
        if ((unsigned char)*c < 0x21 || (unsigned char)*c > 0x7e)
            return edb_err_set(err, EDB_ERR_USAGE, "the token in %s holds spaces or control "
                               "characters (a line end, a tab): a MAST token is one word", from);
    return EDB_OK;
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
    /* A first line that does not fit is longer than any token: never cut it to one. */
    int cut = !nl && n == sizeof buf - 1;
    char *tok = cut ? NULL : trim_dup(buf, len);
    volatile char *p = buf;
    for (size_t k = 0; k < sizeof buf; k++)
        p[k] = 0;
    if (cut)
        return edb_err_set(err, EDB_ERR_USAGE, "the token in %s is longer than %d characters: "
                           "not a MAST token", path, CLI_TOKEN_MAX);
    if (!tok)
        return edb_err_set(err, EDB_ERR_NOMEM, "out of memory");
    if (cli_token_check(tok, path, err) != EDB_OK) {
        cli_free_secret(tok);
        return err->status;
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
                in_machine = strcasecmp(tok, machine) == 0; /* host names ignore case */
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

/* The host of a URL, lower-cased, without port or brackets ("" if it has none). */
static void url_host(const char *url, char *out, size_t n)
{
    out[0] = '\0';
    const char *p = strstr(url, "://");
    if (!p)
        return;
    p += 3;
    size_t len = *p == '[' ? strcspn(++p, "]") : strcspn(p, ":/?#");
    if (len >= n)
        return; /* no host that long is in anyone's ~/.netrc */
    for (size_t k = 0; k < len; k++)
        out[k] = (char)tolower((unsigned char)p[k]);
    out[len] = '\0';
}

edb_status cli_netrc_token(const char *base_url, char **out, edb_err *err)
{
    *out = NULL;
    char host[256];
    url_host(base_url, host, sizeof host);
    if (!*host)
        return EDB_OK;
    /* An entry goes to the host it names and to no other; "mast", the short name other
     * MAST clients read, names mast.stsci.edu only. */
    const char *names[] = {host, strcmp(host, "mast.stsci.edu") == 0 ? "mast" : NULL};
    for (size_t k = 0; k < 2 && names[k]; k++) {
        char *tok = cli_netrc_password(names[k]);
        if (!tok)
            continue;
        char from[300];
        snprintf(from, sizeof from, "~/.netrc (machine %s)", names[k]);
        if (cli_token_check(tok, from, err) != EDB_OK) {
            cli_free_secret(tok);
            return err->status;
        }
        *out = tok;
        return EDB_OK;
    }
    return EDB_OK;
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
    const char *shown = is_stdin ? "standard input" : path;
    char line[CLI_NAMES_LINE_MAX + 2];
    unsigned long lineno = 0;
    edb_status st = EDB_OK;
    /* Read byte by byte into a bounded line, so that a NUL byte is seen (fgets would hide
     * the rest of the line behind it), a long line is refused whole (fgets would split it
     * into two names) and a file with no line end (/dev/zero) cannot fill the memory. */
    for (;;) {
        size_t n = 0;
        int c = EOF, nul = 0;
        while (n <= CLI_NAMES_LINE_MAX && (c = getc(f)) != EOF) {
            nul |= c == '\0';
            line[n++] = (char)c;
            if (c == '\n')
                break;
        }
        if (n == 0 && c == EOF)
            break;
        lineno++;
        if (nul) {
            st = edb_err_set(err, EDB_ERR_USAGE, "%s line %lu holds a NUL byte: a mnemonic "
                             "list is text, one name per line", shown, lineno);
            break;
        }
        if (n - (line[n - 1] == '\n') > CLI_NAMES_LINE_MAX) {
            st = edb_err_set(err, EDB_ERR_USAGE, "%s line %lu is longer than %d bytes: a "
                             "mnemonic list has one name (at most %d characters) per line",
                             shown, lineno, CLI_NAMES_LINE_MAX, EDB_MNEMONIC_MAX);
            break;
        }
        line[n] = '\0';
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
                st = edb_err_set(err, EDB_ERR_USAGE, "%s line %lu: one mnemonic per line, "
                                 "'%.*s' holds a space", shown, lineno, (int)len, p);
                break;
            }
        if (st == EDB_OK && cli_names_add(l, p, len) != EDB_OK)
            st = edb_err_set(err, EDB_ERR_NOMEM, "out of memory");
        if (st != EDB_OK)
            break;
    }
    if (st == EDB_OK && ferror(f))
        st = edb_err_set(err, EDB_ERR_IO, "cannot read the mnemonic list %s", shown);
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
