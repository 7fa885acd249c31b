/* test_e2e_cli.c: what the edbx command itself guards, end to end (issue 15): the token
 * kept out of every message even when a service echoes it, one rule for tokens from every
 * source, ~/.netrc entries only for their host, a cache that cannot be had, mnemonic lists
 * with NUL bytes or long lines, a zero timeout, and the docs that state the exit codes and
 * the commands.  Services are edb_server, or a small echoing server here, on 127.0.0.1. */
#include <check.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <edb/edb.h>

#include "testutil.h"

static char *tmp;
static edb_server *srv;
static char base[TU_BASE_LEN];

static void setup(void)
{
    tmp = tu_mkdtemp();
}

static void teardown(void)
{
    edb_server_stop(srv);
    srv = NULL;
    tu_rmtree(tmp);
    free(tmp);
}

static const char *in_tmp(const char *name)
{
    return tu_path(tmp, name);
}

static void serve(const char *token)
{
    edb_server_options so = EDB_SERVER_OPTIONS_INIT;
    so.token = token;
    srv = tu_serve(so, tu_fixture("jwst-2021-01-26"), base);
}

/* edbx with HOME = tmp, our server, no token, the cache off unless a case wants it. */
static int run_env(tu_run *r, const char *const *args, const char *e1, const char *e2)
{
    const char *env[] = {e1, e2, NULL};
    return tu_edbx_run(r, tmp, base, args, e1 ? env : NULL);
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

/* ---- item 8: secrets ------------------------------------------------------------------- */

/* A service that answers every request 400 with a body echoing the Authorization header,
 * as some proxies and frameworks do: whole, cut by the 160-byte excerpt of an error body
 * (10 characters of the token left), or URL-encoded in lower case. */
typedef enum { ECHO_WHOLE, ECHO_CUT, ECHO_ENCODED } echo_mode;

#if MHD_VERSION >= 0x00097002
typedef enum MHD_Result mhd_ret;
#else
typedef int mhd_ret;
#endif

static mhd_ret echo(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                    const char *version, const char *upload, size_t *upload_size, void **ptr)
{
    (void)method;
    (void)version;
    (void)upload;
    (void)upload_size;
    (void)ptr;
    echo_mode mode = *(const echo_mode *)cls;
    if (strcmp(url, "/api/") == 0) { /* the aliveness check passes: the data requests echo */
        struct MHD_Response *ok =
            MHD_create_response_from_buffer(2, (void *)"{}", MHD_RESPMEM_PERSISTENT);
        mhd_ret ret = MHD_queue_response(c, 200, ok);
        MHD_destroy_response(ok);
        return ret;
    }
    const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    char body[2048];
    if (!auth)
        auth = "(none)";
    if (mode == ECHO_WHOLE) {
        snprintf(body, sizeof body, "bad request: Authorization: %s", auth);
    } else if (mode == ECHO_CUT) {
        memset(body, '.', 144);
        snprintf(body + 144, sizeof body - 144, "%s", auth); /* "token " + 10 characters at 160 */
    } else {
        size_t o = (size_t)snprintf(body, sizeof body, "you sent ?auth=");
        for (const unsigned char *p = (const unsigned char *)auth; *p && o + 4 < sizeof body; p++)
            o += (size_t)(strchr("+/= ", *p) ? snprintf(body + o, 4, "%%%02x", *p)
                                              : snprintf(body + o, 2, "%c", *p));
    }
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_COPY);
    mhd_ret ret = MHD_queue_response(c, 400, r);
    MHD_destroy_response(r);
    return ret;
}

static struct MHD_Daemon *echo_start(echo_mode *mode, char *url, size_t n)
{
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct MHD_Daemon *d =
        MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0,
                         NULL, NULL, echo, mode, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sin,
                         MHD_OPTION_END);
    ck_assert_ptr_nonnull(d);
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    ck_assert_ptr_nonnull(info);
    snprintf(url, n, "http://127.0.0.1:%u/", (unsigned)info->port);
    return d;
}

START_TEST(item8_token_redacted_from_every_message)
{
    static const char tok[] = "Tok3n+Echo/Secret=0123456789abcdef";
    static const char encoded[] = "Tok3n%2bEcho%2fSecret%3d0123456789abcdef";
    char env[128];
    snprintf(env, sizeof env, "MAST_API_TOKEN=%s", tok);
    for (echo_mode mode = ECHO_WHOLE; mode <= ECHO_ENCODED; mode++) {
        echo_mode m = mode;
        char url[64];
        struct MHD_Daemon *d = echo_start(&m, url, sizeof url);
        snprintf(base, sizeof base, "%s", url);
        /* The failure message, the -v log, and --keep-going's list of what is missing. */
        const char *one[] = {"get", "SA_ZATTEST1", "--start", "2021-01-26T02:30:00", "--end",
                             "2021-01-26T02:31:00", "--no-cache", "--retries", "0", "-v", NULL};
        const char *two[] = {"get", "SA_ZATTEST1", "SA_ZATTEST2", "--start",
                             "2021-01-26T02:30:00", "--end", "2021-01-26T02:31:00", "--no-cache",
                             "--retries", "0", "--keep-going", "-v", NULL};
        const char *const *cases[] = {one, two};
        for (int k = 0; k < 2; k++) {
            tu_run r;
            int code = run_env(&r, cases[k], env, NULL);
            ck_assert_msg(code == (k ? 8 : 5), "mode %d case %d: exit %d: %s", mode, k, code, r.err);
            ck_assert_msg(strstr(r.err, "the service failed"), "%s", r.err);
            /* Not whole, not its first 8 characters, not URL-encoded. */
            ck_assert_msg(!strstr(r.err, "Tok3n+Ec") && !strstr(r.err, "Tok3n%2bEc") &&
                              !strstr(r.err, encoded) && !strstr(r.err, "0123456789abcdef"),
                          "mode %d case %d: %s", mode, k, r.err);
            ck_assert_ptr_null(strstr(r.out, "Tok3n"));
            tu_run_free(&r);
        }
        MHD_stop_daemon(d);
    }
}
END_TEST

START_TEST(item8_token_from_environment_checked)
{
    serve(NULL);
    const char *args[] = {"get", "SA_ZATTEST1", "--start", "2021-01-26T02:30:00", "--end",
                          "2021-01-26T02:31:00", "--no-cache", NULL};
    static const char *const bad[] = {"MAST_API_TOKEN=abcdef0123\n",
                                      "MAST_API_TOKEN=abcdef0123\r\nX-Evil: 1",
                                      "MAST_API_TOKEN=abc def0123", "MAST_API_TOKEN=\tabcdef0123"};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        tu_run r;
        ck_assert_int_eq(run_env(&r, args, bad[k], NULL), 2);
        ck_assert_str_eq(r.err, "edbx: the token in MAST_API_TOKEN holds spaces or control "
                                "characters (a line end, a tab): a MAST token is one word\n");
        tu_run_free(&r);
    }
    /* Longer than any token: from the environment, and as a token file's only line. */
    char *big = malloc(6000);
    strcpy(big, "MAST_API_TOKEN=");
    memset(big + 15, 'a', 5000);
    big[5015] = '\0';
    tu_run r;
    ck_assert_int_eq(run_env(&r, args, big, NULL), 2);
    ck_assert_str_eq(r.err, "edbx: the token in MAST_API_TOKEN is longer than 1024 characters: "
                            "not a MAST token\n");
    tu_run_free(&r);
    tu_write_file(in_tmp("tok"), big + 15, 5000);
    const char *tf[] = {"get", "SA_ZATTEST1", "--start", "2021-01-26T02:30:00", "--token-file",
                        in_tmp("tok"), "--no-cache", NULL};
    ck_assert_int_eq(run_env(&r, tf, NULL, NULL), 2);
    ck_assert_msg(strstr(r.err, "is longer than 1024 characters: not a MAST token"), "%s", r.err);
    ck_assert_ptr_null(strstr(r.err, "aaaaaaaa"));
    tu_run_free(&r);
    free(big);
    ck_assert_uint_eq(edb_server_requests(srv), 0);
}
END_TEST

START_TEST(item8_netrc_entry_only_for_its_host)
{
    serve("edbx-netrc-S3CRET");
    const char *args[] = {"get", "SA_ZATTEST1", "--start", "2021-01-26T02:29:03", "--end",
                          "2021-01-26T02:29:04", "--no-cache", "--retries", "0", NULL};
    /* Entries for other hosts, MAST's among them, are never sent to this one. */
    static const char *const others[] = {
        "machine mast login me password edbx-netrc-S3CRET\n",
        "machine mast.stsci.edu login me password edbx-netrc-S3CRET\n",
        "default login me password edbx-netrc-S3CRET\n",
        "machine 127.0.0.2 login me password edbx-netrc-S3CRET\n",
    };
    for (size_t k = 0; k < sizeof others / sizeof others[0]; k++) {
        tu_write_file(in_tmp(".netrc"), others[k], strlen(others[k]));
        tu_run r;
        ck_assert_msg(run_env(&r, args, NULL, NULL) == 4, "%s: %s", others[k], r.err);
        ck_assert_msg(strstr(r.err, "the MAST token is missing"), "%s", r.err);
        tu_run_free(&r);
    }
    /* The entry of the base URL's host is. */
    const char *mine = "machine mast login me password nope\n"
                       "machine 127.0.0.1 login me password edbx-netrc-S3CRET\n";
    tu_write_file(in_tmp(".netrc"), mine, strlen(mine));
    tu_run r;
    ck_assert_msg(run_env(&r, args, NULL, NULL) == 0, "%s", r.err);
    tu_run_free(&r);
    /* And it passes the token rule like any other source. */
    const char *ctl = "machine 127.0.0.1 login me password edbx\x01netrc\n";
    tu_write_file(in_tmp(".netrc"), ctl, strlen(ctl));
    ck_assert_int_eq(run_env(&r, args, NULL, NULL), 2);
    ck_assert_msg(strstr(r.err, "the token in ~/.netrc (machine 127.0.0.1) holds spaces or "
                                "control characters"), "%s", r.err);
    tu_run_free(&r);
}
END_TEST

/* ---- item 10: a cache that cannot be had ------------------------------------------------ */

static const char *const GET3[] = {"get", "SA_ZATTEST1", "SA_ZATTEST2", "SA_ZFGDETID",
                                   "--start", "2021-01-26T02:30:00", "--end",
                                   "2021-01-26T02:31:00", NULL};

static int get3(tu_run *r, const char *home, const char *e1, const char *more1,
                const char *more2)
{
    const char *args[16];
    size_t n = 0;
    for (const char *const *a = GET3; *a; a++)
        args[n++] = *a;
    if (more1)
        args[n++] = more1;
    if (more2)
        args[n++] = more2;
    args[n] = NULL;
    const char *env[] = {e1, NULL};
    return tu_edbx_run(r, home, base, args, e1 ? env : NULL);
}

START_TEST(item10_unusable_cache_warns_once_and_runs)
{
    serve(NULL);
    tu_run ref;
    ck_assert_int_eq(get3(&ref, tmp, NULL, "--no-cache", NULL), 0);
    /* $HOME missing: a warning, the data, and no $HOME made. */
    tu_run r;
    ck_assert_msg(get3(&r, in_tmp("no/home"), NULL, NULL, NULL) == 0, "%s", r.err);
    ck_assert_str_eq(r.out, ref.out);
    char want[4400];
    snprintf(want, sizeof want, "edbx: warning: cache folder: $HOME (%s) is not a folder; the run "
             "goes on without the cache (--cache DIR names another, --no-cache says none is "
             "wanted)\n", in_tmp("no/home"));
    ck_assert_str_eq(r.err, want);
    ck_assert(!tu_exists(in_tmp("no")));
    tu_run_free(&r);
    /* $XDG_CACHE_HOME or --cache a file. */
    tu_write_file(in_tmp("file"), "x", 1);
    char xdg[4300];
    snprintf(xdg, sizeof xdg, "XDG_CACHE_HOME=%s", in_tmp("file"));
    ck_assert_msg(get3(&r, tmp, xdg, NULL, NULL) == 0, "%s", r.err);
    ck_assert_str_eq(r.out, ref.out);
    snprintf(want, sizeof want, "edbx: warning: cache folder: cannot make %s (not a folder); the "
             "run goes on without the cache (--cache DIR names another, --no-cache says none "
             "is wanted)\n", in_tmp("file"));
    ck_assert_str_eq(r.err, want);
    tu_run_free(&r);
    ck_assert_msg(get3(&r, tmp, NULL, "--cache", in_tmp("file")) == 0, "%s", r.err);
    ck_assert_str_eq(r.out, ref.out);
    snprintf(want, sizeof want, "edbx: warning: cache folder %s: not a folder; the run goes on "
             "without the cache (--cache DIR names another, --no-cache says none is wanted)\n",
             in_tmp("file"));
    ck_assert_str_eq(r.err, want);
    tu_run_free(&r);
    /* A cache that opens but where nothing can be read or stored (every v1/XX a file): one
     * warning of each, not one per request. */
    mkdir(in_tmp("c"), 0700);
    mkdir(in_tmp("c/v1"), 0700);
    for (int k = 0; k < 256; k++) {
        char name[16];
        snprintf(name, sizeof name, "c/v1/%02x", k);
        tu_write_file(in_tmp(name), "", 0);
    }
    ck_assert_msg(get3(&r, tmp, NULL, "--cache", in_tmp("c")) == 0, "%s", r.err);
    ck_assert_str_eq(r.out, ref.out);
    ck_assert_msg(count(r.err, "\n") == 2, "%s", r.err);
    /* The inventory is the first entry the run would store. */
    ck_assert_msg(strstr(r.err, "edbx: cache: cannot prepare an entry for the inventory in ") &&
                      strstr(r.err, "(a link or a file where a folder should be); the run goes "
                                    "on without storing replies (further failures are not "
                                    "reported)\n"), "%s", r.err);
    ck_assert_msg(strstr(r.err, "edbx: cache: cannot read ") &&
                      strstr(r.err, ".z (a link or a file where a folder should be); asking the "
                                    "service (further read failures are not reported)\n"),
                  "%s", r.err);
    tu_run_free(&r);
    tu_run_free(&ref);
    /* Missing parents of a named folder are made, as XDG says; 0700 each. */
    ck_assert_msg(get3(&r, tmp, NULL, "--cache", in_tmp("a/b/c")) == 0, "%s", r.err);
    ck_assert_str_eq(r.err, "");
    tu_run_free(&r);
    struct stat sb;
    ck_assert_int_eq(stat(in_tmp("a/b"), &sb), 0);
    ck_assert_int_eq(sb.st_mode & 0777, 0700);
    ck_assert_int_eq(stat(in_tmp("a/b/c"), &sb), 0);
    ck_assert_int_eq(sb.st_mode & 0777, 0700);
}
END_TEST

/* ---- item 12: messages ------------------------------------------------------------------ */

START_TEST(item12_mnemonic_list_nul_and_long_lines_refused)
{
    serve(NULL);
    tu_write_file(in_tmp("nul.txt"), "SA_ZATTEST1\nSA_Z\0ATTEST2\nSA_ZFGDETID\n", 37);
    char *long3 = malloc(6000);
    size_t n = (size_t)sprintf(long3, "SA_ZATTEST1\n# fine\n");
    memset(long3 + n, 'A', 4097);
    n += 4097;
    long3[n++] = '\n';
    tu_write_file(in_tmp("long.txt"), long3, n);
    /* A line of exactly 4096 bytes (a comment) is not too long. */
    n = (size_t)sprintf(long3, "SA_ZATTEST1\n#");
    memset(long3 + n, 'x', 4095);
    n += 4095;
    n += (size_t)sprintf(long3 + n, "\nSA_ZFGDETID\n");
    tu_write_file(in_tmp("ok.txt"), long3, n);
    free(long3);
    tu_run r;
    char want[4400];
    const char *a1[] = {"get", "-f", in_tmp("nul.txt"), "--start", "2021-01-26T02:30:00",
                        "--end", "2021-01-26T02:31:00", "--no-cache", NULL};
    ck_assert_int_eq(run_env(&r, a1, NULL, NULL), 2);
    snprintf(want, sizeof want, "edbx: %s line 2 holds a NUL byte: a mnemonic list is text, one "
             "name per line\n", in_tmp("nul.txt"));
    ck_assert_str_eq(r.err, want);
    tu_run_free(&r);
    const char *a2[] = {"get", "-f", in_tmp("long.txt"), "--start", "2021-01-26T02:30:00",
                        "--end", "2021-01-26T02:31:00", "--no-cache", NULL};
    ck_assert_int_eq(run_env(&r, a2, NULL, NULL), 2);
    snprintf(want, sizeof want, "edbx: %s line 3 is longer than 4096 bytes: a mnemonic list has "
             "one name (at most 64 characters) per line\n", in_tmp("long.txt"));
    ck_assert_str_eq(r.err, want);
    tu_run_free(&r);
    ck_assert_uint_eq(edb_server_requests(srv), 0);
    const char *a3[] = {"get", "-f", in_tmp("ok.txt"), "--start", "2021-01-26T02:30:00",
                        "--end", "2021-01-26T02:31:00", "--no-cache", NULL};
    ck_assert_msg(run_env(&r, a3, NULL, NULL) == 0, "%s", r.err);
    ck_assert_ptr_nonnull(strstr(r.out, ",SA_ZFGDETID,"));
    tu_run_free(&r);
    /* The two mnemonics, and the inventory that checked their names. */
    ck_assert_uint_eq(edb_server_requests(srv), 3);
}
END_TEST

START_TEST(item12_zero_timeout_refused)
{
    serve(NULL);
    tu_run r;
    static const char *const zeros[] = {"0", "0s", "0.0", "0ms"};
    for (size_t k = 0; k < sizeof zeros / sizeof zeros[0]; k++) {
        const char *a[] = {"get", "SA_ZATTEST1", "--start", "2021-01-26T02:30:00", "--end",
                           "2021-01-26T02:31:00", "--no-cache", "--timeout", zeros[k], NULL};
        char want[512];
        snprintf(want, sizeof want, "edbx: timeout: '%s' is no time at all: a timeout is more "
                 "than 0 (seconds or a duration, e.g. 600 or 10min); leave it out for the "
                 "default of 600 s\n", zeros[k]);
        ck_assert_int_eq(run_env(&r, a, NULL, NULL), 2);
        ck_assert_str_eq(r.err, want);
        tu_run_free(&r);
        /* The same rule for ENG_TIMEOUT. */
        char env[64];
        snprintf(env, sizeof env, "ENG_TIMEOUT=%s", zeros[k]);
        const char *b[] = {"get", "SA_ZATTEST1", "--start", "2021-01-26T02:30:00", "--end",
                           "2021-01-26T02:31:00", "--no-cache", NULL};
        ck_assert_int_eq(run_env(&r, b, env, NULL), 2);
        ck_assert_str_eq(r.err, want);
        tu_run_free(&r);
    }
    ck_assert_uint_eq(edb_server_requests(srv), 0);
    const char *a[] = {"get", "SA_ZATTEST1", "--start", "2021-01-26T02:30:00", "--end",
                       "2021-01-26T02:31:00", "--no-cache", "--timeout", "0.5", NULL};
    ck_assert_msg(run_env(&r, a, NULL, NULL) == 0, "%s", r.err);
    tu_run_free(&r);
}
END_TEST

/* ---- item 13: the docs say what the command does ---------------------------------------- */

static char *read_doc(const char *rel)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/../%s", getenv("EDBX_TESTS_DIR"), rel);
    char *d = tu_read_file(path, NULL);
    ck_assert_msg(d != NULL, "%s", path);
    return d;
}

/* The exit codes `edbx --help` lists, as "0 1 2 ...". */
static void help_codes(const char *help, char *out, size_t n)
{
    const char *p = strstr(help, "Exit status:\n");
    ck_assert_ptr_nonnull(p);
    out[0] = '\0';
    for (p = strchr(p, '\n') + 1; *p == ' ';) {
        char *end;
        long c = strtol(p, &end, 10);
        if (end != p)
            snprintf(out + strlen(out), n - strlen(out), "%s%ld", *out ? " " : "", c);
        p = strchr(p, '\n');
        if (!p)
            break;
        p++;
    }
}

START_TEST(item13_exit_table_and_synopsis_match_the_command)
{
    tu_run r;
    const char *h[] = {"--help", NULL};
    ck_assert_int_eq(run_env(&r, h, NULL, NULL), 0);
    char want[128];
    help_codes(r.out, want, sizeof want);
    ck_assert_str_eq(want, "0 1 2 3 4 5 6 7 8 9 10 11 12 130 141");
    /* README: one table, every code in it, nothing of it after the first line that is
     * not a row. */
    char *readme = read_doc("README.md");
    char *sec = strstr(readme, "### Exit status");
    ck_assert_ptr_nonnull(sec);
    char *next = strstr(sec + 4, "\n## ");
    if (next)
        *next = '\0';
    char got[128] = "";
    int in_table = 0, tables = 0;
    for (char *line = strtok(sec, "\n"); line; line = strtok(NULL, "\n")) {
        int row = line[0] == '|';
        if (row && !in_table)
            tables++;
        in_table = row;
        char *end;
        long c = row ? strtol(line + 1, &end, 10) : -1;
        if (row && end != line + 1)
            snprintf(got + strlen(got), sizeof got - strlen(got), "%s%ld", *got ? " " : "", c);
    }
    ck_assert_int_eq(tables, 1);
    ck_assert_str_eq(got, want);
    free(readme);
    /* The man page: every command of `edbx --help` in the SYNOPSIS. */
    char *man = read_doc("docs/edbx.1");
    char *syn = strstr(man, ".SH SYNOPSIS");
    ck_assert_ptr_nonnull(syn);
    char *end = strstr(syn + 4, "\n.SH ");
    ck_assert_ptr_nonnull(end);
    *end = '\0';
    const char *cmds = strstr(r.out, "Commands:\n");
    ck_assert_ptr_nonnull(cmds);
    int n = 0;
    for (const char *p = strchr(cmds, '\n') + 1; strncmp(p, "  ", 2) == 0; p = strchr(p, '\n') + 1) {
        char name[32], line[64];
        ck_assert(sscanf(p, "%31s", name) == 1);
        snprintf(line, sizeof line, ".B edbx %s", name);
        ck_assert_msg(strstr(syn, line), "the man page's SYNOPSIS lacks '%s'", line);
        n++;
    }
    ck_assert_int_eq(n, 10);
    free(man);
    tu_run_free(&r);
}
END_TEST

/* Every help fits a terminal: no line of `edbx --help` or of any command's --help is wider
 * than 80 columns (options' help is filled by the table's printer, the formats' -O keys by
 * get's, the rest is written by hand). */
START_TEST(item13_every_help_fits_80_columns)
{
    tu_run top;
    const char *h[] = {"--help", NULL};
    ck_assert_int_eq(run_env(&top, h, NULL, NULL), 0);
    const char *cmds = strstr(top.out, "Commands:\n");
    ck_assert_ptr_nonnull(cmds);
    char names[16][32];
    int n = 0;
    for (const char *p = strchr(cmds, '\n') + 1; strncmp(p, "  ", 2) == 0 && n < 16;
         p = strchr(p, '\n') + 1)
        ck_assert(sscanf(p, "%31s", names[n++]) == 1);
    ck_assert_int_eq(n, 10);
    int checked = 0;
    for (int k = -1; k < n; k++) {
        if (k >= 0 && strcmp(names[k], "help") == 0)
            continue;
        tu_run r;
        const char *a[] = {k < 0 ? "--help" : names[k], "--help", NULL};
        ck_assert_int_eq(run_env(&r, k < 0 ? h : a, NULL, NULL), 0);
        if (k < 0 || strcmp(names[k], "version") != 0) /* version prints the version */
            ck_assert_msg(strstr(r.out, "Usage: edbx"), "%s: no help", a[0]);
        size_t line = 1, col = 0;
        for (const char *p = r.out; *p; p++) {
            ck_assert_msg((unsigned char)*p < 0x80, "%s --help: byte %d is not ASCII", a[0], *p);
            if (*p == '\n') {
                line++;
                col = 0;
            } else {
                col++;
                ck_assert_msg(col <= 80, "%s --help: line %zu is wider than 80 columns", a[0],
                              line);
            }
        }
        checked++;
        tu_run_free(&r);
    }
    ck_assert_int_eq(checked, 10);
    tu_run_free(&top);
}
END_TEST

static Suite *cli_suite(void)
{
    Suite *s = suite_create("e2e_cli");
    TCase *t = tcase_create("cli");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_set_timeout(t, 120);
    tcase_add_test(t, item8_token_redacted_from_every_message);
    tcase_add_test(t, item8_token_from_environment_checked);
    tcase_add_test(t, item8_netrc_entry_only_for_its_host);
    tcase_add_test(t, item10_unusable_cache_warns_once_and_runs);
    tcase_add_test(t, item12_mnemonic_list_nul_and_long_lines_refused);
    tcase_add_test(t, item12_zero_timeout_refused);
    tcase_add_test(t, item13_exit_table_and_synopsis_match_the_command);
    tcase_add_test(t, item13_every_help_fits_80_columns);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(cli_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
