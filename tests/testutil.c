/* testutil.c: helpers shared by the Check suites. */
#define _XOPEN_SOURCE 700 /* nftw */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <check.h>

#include "testutil.h"

extern char **environ;

char *tu_mkdtemp(void)
{
    const char *base = getenv("TMPDIR");
    char tmpl[4096];
    snprintf(tmpl, sizeof tmpl, "%s/edbx-test-XXXXXX", base && *base ? base : "/tmp");
    char *d = mkdtemp(tmpl);
    if (!d) {
        perror("mkdtemp");
        abort();
    }
    return strdup(d);
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(p);
}

void tu_rmtree(const char *path)
{
    if (path)
        nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

char *tu_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0, r;
    char *buf = malloc(cap + 1);
    while (buf && (r = fread(buf + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap) {
            char *nb = realloc(buf, cap * 2 + 1);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    fclose(f);
    if (!buf)
        return NULL;
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

int tu_write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t w = fwrite(data, 1, len, f);
    return (fclose(f) == 0 && w == len) ? 0 : -1;
}

const char *tu_fixture(const char *rel)
{
    static char buf[4096];
    const char *base = getenv("EDBX_FIXTURES");
    snprintf(buf, sizeof buf, "%s/%s", base ? base : "fixtures", rel);
    return buf;
}

const char *tu_edbx(void)
{
    const char *b = getenv("EDBX_BIN");
    return b ? b : "edbx";
}

edb_server *tu_serve(edb_server_options so, const char *store, char *base)
{
    so.store = store;
    edb_server *srv = NULL;
    edb_err err = EDB_ERR_INIT;
    ck_assert_msg(edb_server_start(&srv, &so, &err) == EDB_OK, "edbx serve %s: %s", store,
                  err.msg);
    snprintf(base, TU_BASE_LEN, "http://127.0.0.1:%u/", edb_server_port(srv));
    return srv;
}

int tu_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static char *slurp_fd(int fd, size_t *len)
{
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap + 1);
    for (;;) {
        if (n == cap) {
            cap *= 2;
            buf = realloc(buf, cap + 1);
        }
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

int tu_run_cmd(tu_run *r, const char *const *argv, const char *const *env)
{
    memset(r, 0, sizeof *r);
    char outp[] = "/tmp/edbx-test-out-XXXXXX";
    char errp[] = "/tmp/edbx-test-err-XXXXXX";
    int ofd = mkstemp(outp), efd = mkstemp(errp);
    if (ofd < 0 || efd < 0)
        abort();
    unlink(outp);
    unlink(errp);
    pid_t pid = fork();
    if (pid < 0)
        abort();
    if (pid == 0) {
        for (const char *const *e = env; e && *e; e++) {
            const char *eq = strchr(*e, '=');
            if (!eq)
                continue;
            char name[256];
            snprintf(name, sizeof name, "%.*s", (int)(eq - *e), *e);
            if (eq[1] == '\0')
                unsetenv(name);
            else
                setenv(name, eq + 1, 1);
        }
        int nul = open("/dev/null", O_RDONLY);
        dup2(nul, 0);
        dup2(ofd, 1);
        dup2(efd, 2);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    lseek(ofd, 0, SEEK_SET);
    lseek(efd, 0, SEEK_SET);
    r->out = slurp_fd(ofd, &r->out_len);
    r->err = slurp_fd(efd, &r->err_len);
    close(ofd);
    close(efd);
    r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return r->status;
}

int tu_edbx_run(tu_run *r, const char *home, const char *base_url, const char *const *args,
                const char *const *env)
{
    const char *argv[128];
    size_t n = 0;
    argv[n++] = tu_edbx();
    for (; *args && n < 127; args++)
        argv[n++] = *args;
    argv[n] = NULL;
    char h[4200], b[4200], api[64];
    snprintf(h, sizeof h, "HOME=%s", home);
    /* EDBX_TEST_API=direct|edp runs the same e2e suite over another service of the same
     * edbx serve: path B under its own path, EDP beside path A (tests/CMakeLists.txt). */
    const char *svc = getenv("EDBX_TEST_API");
    int direct = svc && strcmp(svc, "direct") == 0 && base_url &&
                 strncmp(base_url, "http://127.0.0.1:", 17) == 0 &&
                 base_url[strlen(base_url) - 1] == '/' && !strstr(base_url + 17, "/" EDB_SERVER_DIRECT_PATH);
    snprintf(b, sizeof b, "ENG_BASE_URL=%s%s", base_url ? base_url : "",
             direct ? EDB_SERVER_DIRECT_PATH : "");
    snprintf(api, sizeof api, "ENG_API=%s", svc && *svc ? svc : "");
    const char *all[64] = {h, b, "MAST_API_TOKEN=", "NETRC=", "ENG_RETRIES=", "ENG_TIMEOUT=",
                           "XDG_CACHE_HOME=", api};
    size_t k = 8;
    for (; env && *env && k < 63; env++)
        all[k++] = *env;
    all[k] = NULL;
    return tu_run_cmd(r, argv, all);
}

const char *tu_test_api(void)
{
    const char *a = getenv("EDBX_TEST_API");
    return a && *a ? a : "mast";
}

unsigned long tu_served(unsigned long data, unsigned long mnemonics)
{
    const char *a = tu_test_api();
    if (strcmp(a, "direct") == 0)
        return data + mnemonics + 1;
    if (strcmp(a, "edp") == 0)
        return data + mnemonics;
    return data;
}

const char *tu_path(const char *dir, const char *name)
{
    static char buf[8][4200];
    static int k;
    k = (k + 1) % 8;
    snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
    return buf[k];
}

void tu_run_free(tu_run *r)
{
    free(r->out);
    free(r->err);
    r->out = r->err = NULL;
}

double tu_synthetic_value(int m, int k)
{
    return m * 1000.0 + k + 0.25; /* exact in binary, distinct for every sample */
}

char *tu_synthetic_store(int nmnem, int ndays)
{
    char *dir = tu_mkdtemp();
    int nsamples = ndays * 96 + 1;
    char path[4200];
    snprintf(path, sizeof path, "%s/meta.json", dir);
    FILE *meta = fopen(path, "w");
    if (!meta)
        abort();
    fprintf(meta, "{\"Count\": %d, \"TlmMnemonics\": [", nmnem);
    for (int m = 0; m < nmnem; m++) {
        fprintf(meta, "%s{\"TlmMnemonic\": \"SA_ZTEST%d\", \"Subsystem\": \"ACS\", "
                "\"RawType\": \"FL64\", \"EUType\": \"FL64\", \"SQLType\": \"FLOAT\", "
                "\"AllPoints\": 1}", m ? ", " : "", m);
        snprintf(path, sizeof path, "%s/sa_ztest%d_data.json", dir, m);
        FILE *f = fopen(path, "w");
        if (!f)
            abort();
        fprintf(f, "{\"TlmMnemonic\": \"SA_ZTEST%d\", \"AllPoints\": 1, \"Count\": %d, "
                "\"Data\": [", m, nsamples);
        for (int k = 0; k < nsamples; k++)
            fprintf(f, "%s{\"ObsTime\": \"/Date(%lld+0000)/\", \"EUValue\": %.17g}", k ? ", " : "",
                    (long long)(TU_D0_MS + k * TU_STEP_MS), tu_synthetic_value(m, k));
        fputs("]}", f);
        fclose(f);
    }
    fputs("]}", meta);
    fclose(meta);
    return dir;
}
