/* test_serve_limits.c: `edbx serve` cannot be exhausted by its clients (edb/server.c):
 * slow clients are cut off and capped per address without taking threads from the others,
 * the connection cap holds, and many concurrent full-range replies stream correctly.
 *
 * Every case runs on 127.0.0.1 only (127.0.0.2, also loopback, stands for a second
 * client address), with bounded counts, and stops itself: sockets have timeouts and the
 * waits are bounded loops. */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <edb/edb.h>

#include "http_client.h"
#include "testutil.h"

static edb_server *start(edb_server_options *o, const char *store)
{
    o->store = store;
    edb_server *s = NULL;
    edb_err e = EDB_ERR_INIT;
    ck_assert_msg(edb_server_start(&s, o, &e) == EDB_OK, "edb_server_start: %s", e.msg);
    return s;
}

static const char *fixture_store(void)
{
    static char buf[4096];
    snprintf(buf, sizeof buf, "%s", tu_fixture("jwst-2021-01-26"));
    return buf;
}

/* Threads of this process now (the server runs inside it). */
static int thread_count(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    int n = -1;
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "Threads:", 8) == 0)
            n = atoi(line + 8);
    if (f)
        fclose(f);
    return n;
}

/* A socket to 127.0.0.1:port that has sent `text` and then stays silent; -1 if the
 * connection could not even be made (the kernel's backlog). */
static int slow_client(unsigned port, const char *text)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    /* a refused connection may already be closed: the write may fail, which is fine */
    (void)!send(fd, text, strlen(text), MSG_NOSIGNAL);
    return fd;
}

/* Has the server closed fd (EOF or reset) within wait_ms?  What it sends before is read
 * and dropped. */
static int closed_by_server(int fd, int wait_ms)
{
    double end = now_secs() + wait_ms / 1000.0;
    for (;;) {
        double left = end - now_secs();
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, left > 0 ? (int)(left * 1000) : 0) <= 0)
            return 0;
        char b[4096];
        ssize_t n = recv(fd, b, sizeof b, MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
            return 1;
    }
}

static void raise_fd_limit(rlim_t want)
{
    struct rlimit rl;
    ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
    if (rl.rlim_cur < want) {
        rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ? want : rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

/* The review's case: 1,100 clients send part of their headers and stop.  They must not take
 * a thread each, new clients from elsewhere must be answered meanwhile, the address they
 * come from gets at most max_per_client connections, and the ones it holds are cut off
 * after the request timeout. */
START_TEST(slow_clients)
{
    enum { SLOW = 1100, PER_CLIENT = 32 };
    raise_fd_limit(SLOW + 200);
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    int nslow = rl.rlim_cur >= SLOW + 100 ? SLOW : (int)rl.rlim_cur - 100;
    ck_assert_int_gt(nslow, PER_CLIENT * 2);
    edb_server_options o = EDB_SERVER_OPTIONS_INIT;
    o.max_per_client = PER_CLIENT;
    o.request_timeout_us = 4000000;
    int before = thread_count();
    edb_server *s = start(&o, fixture_store());
    int serving = thread_count();
    int *fd = malloc((size_t)nslow * sizeof *fd);
    int made = 0;
    for (int k = 0; k < nslow; k++) {
        fd[k] = slow_client(edb_server_port(s), "GET /api/ HTTP/1.1\r\nHost: x\r\nX-Slow: ");
        made += fd[k] >= 0;
    }
    ck_assert_int_gt(made, PER_CLIENT);
    /* no thread per connection: the server has exactly the threads it started with */
    ck_assert_int_eq(thread_count(), serving);
    ck_assert_int_le(serving - before, EDB_SERVER_THREADS + 2);
    /* another address is answered while the slow ones wait */
    http_req q = {0};
    q.source = "127.0.0.2";
    http_res r;
    http_port(edb_server_port(s), "/api/", &q, &r);
    ck_assert_msg(r.rc == CURLE_OK && r.code == 200, "from 127.0.0.2: %d %ld", (int)r.rc, r.code);
    http_free(&r);
    /* ... but this address is at its limit: refused */
    http_port(edb_server_port(s), "/api/", NULL, &r);
    ck_assert_msg(r.rc != CURLE_OK, "a connection over the per-client limit was served");
    http_free(&r);
    ck_assert_uint_le(edb_server_max_open_connections(s), PER_CLIENT + 1);
    /* the ones over the limit are closed at once (give them a second, well inside the
     * 4 s timeout); the held ones are cut off after the timeout */
    int held = 0, cut = 0;
    double settle = now_secs() + 1.0;
    char *is_held = calloc((size_t)nslow, 1);
    for (int k = 0; k < nslow; k++) {
        if (fd[k] < 0)
            continue;
        double left = settle - now_secs();
        if (closed_by_server(fd[k], left > 0 ? (int)(left * 1000) : 0))
            cut++;
        else
            is_held[k] = 1;
    }
    for (int k = 0; k < nslow; k++)
        if (is_held[k]) {
            held++;
            ck_assert_msg(closed_by_server(fd[k], 10000), "slow client %d still open after 10 s", k);
        }
    free(is_held);
    ck_assert_int_eq(held, PER_CLIENT);
    ck_assert_int_eq(cut + held, made);
    ck_assert_uint_eq(edb_server_timeouts(s), PER_CLIENT);
    /* the address is served again, once the server has closed its side (it shut the
     * sockets down; closing them follows in its own thread, bounded here to 5 s) */
    for (int tries = 0; tries < 50; tries++) {
        http_port(edb_server_port(s), "/api/", NULL, &r);
        long code = r.code;
        http_free(&r);
        if (code == 200)
            break;
        ck_assert_msg(tries < 49, "127.0.0.1 still refused 5 s after its connections ended");
        struct timespec ts = {0, 100000000};
        nanosleep(&ts, NULL);
    }
    for (int k = 0; k < nslow; k++)
        if (fd[k] >= 0)
            close(fd[k]);
    free(fd);
    edb_server_stop(s);
}
END_TEST

/* A client dribbling its request a byte at a time is cut off too: the deadline is on the
 * whole request, not on silence. */
START_TEST(dribbling_client)
{
    edb_server_options o = EDB_SERVER_OPTIONS_INIT;
    o.request_timeout_us = 1000000;
    edb_server *s = start(&o, fixture_store());
    int fd = slow_client(edb_server_port(s), "G");
    ck_assert_int_ge(fd, 0);
    const char *rest = "ET /api/ HTTP/1.1\r\nHost: x\r\nX-A: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    int closed = 0;
    for (size_t k = 0; k < strlen(rest) && !closed; k++) {
        (void)!send(fd, rest + k, 1, MSG_NOSIGNAL);
        closed = closed_by_server(fd, 100); /* 10 bytes a second: never silent for long */
    }
    ck_assert_msg(closed || closed_by_server(fd, 5000), "the dribbling client was never cut off");
    close(fd);
    ck_assert_uint_eq(edb_server_timeouts(s), 1);
    /* a request that arrives in time, kept alive: served twice on one connection, then
     * closed once idle past the timeout */
    fd = slow_client(edb_server_port(s), "GET /api/ HTTP/1.1\r\nHost: x\r\n\r\n");
    for (int round = 0; round < 2; round++) {
        if (round == 1)
            ck_assert_int_gt(send(fd, "GET /api HTTP/1.1\r\nHost: x\r\n\r\n", 31, MSG_NOSIGNAL), 0);
        char buf[4096];
        size_t got = 0;
        /* the whole reply: the probe's JSON ends in "}\n" */
        while (got < 4 || !(buf[got - 1] == '\n' && buf[got - 2] == '}')) {
            struct pollfd p = {fd, POLLIN, 0};
            ck_assert_int_eq(poll(&p, 1, 5000), 1);
            ssize_t n = recv(fd, buf + got, sizeof buf - 1 - got, 0);
            ck_assert_int_gt(n, 0);
            got += (size_t)n;
            buf[got] = '\0';
        }
        ck_assert_msg(strncmp(buf, "HTTP/1.1 200", 12) == 0, "%s", buf);
    }
    ck_assert(closed_by_server(fd, 5000));
    close(fd);
    ck_assert_uint_eq(edb_server_connections(s), 2);
    edb_server_stop(s);
}
END_TEST

/* The cap on all connections holds whatever the addresses. */
START_TEST(connection_cap)
{
    enum { CAP = 40, TRY = 120 };
    edb_server_options o = EDB_SERVER_OPTIONS_INIT;
    o.max_connections = CAP;
    o.max_per_client = 1000;
    o.request_timeout_us = 1000000;
    edb_server *s = start(&o, fixture_store());
    int fd[TRY];
    for (int k = 0; k < TRY; k++)
        fd[k] = slow_client(edb_server_port(s), "GET /api/ HTTP/1.1\r\n");
    struct timespec ts = {0, 200000000};
    nanosleep(&ts, NULL);
    ck_assert_uint_le(edb_server_max_open_connections(s), CAP);
    ck_assert_uint_gt(edb_server_max_open_connections(s), 0);
    for (int k = 0; k < TRY; k++)
        if (fd[k] >= 0) {
            ck_assert_msg(closed_by_server(fd[k], 10000), "client %d never closed", k);
            close(fd[k]);
        }
    http_res r;
    for (int tries = 0; tries < 50; tries++) {
        http_port(edb_server_port(s), "/api/", NULL, &r);
        long code = r.code;
        http_free(&r);
        if (code == 200)
            break;
        ck_assert_msg(tries < 49, "still refused 5 s after the connections ended");
        struct timespec pause = {0, 100000000};
        nanosleep(&pause, NULL);
    }
    edb_server_stop(s);
}
END_TEST

/* ---- many full-range replies at once ---------------------------------------------------- */

#define NSAMPLES 50000
#define T0_MS INT64_C(1646092800000) /* 2022-03-01T00:00:00Z */

static char *big_store(void)
{
    char *dir = tu_mkdtemp();
    const char *meta = "{\"Count\":1,\"TlmMnemonics\":[{\"TlmMnemonic\":\"SA_ZBIG\",\"Subsystem\":"
                       "\"ACS\",\"RawType\":\"FL32\",\"EUType\":\"FL32\",\"SQLType\":\"REAL\","
                       "\"AllPoints\":1}]}";
    ck_assert_int_eq(tu_write_file(tu_path(dir, "meta.json"), meta, strlen(meta)), 0);
    FILE *f = fopen(tu_path(dir, "sa_zbig_data.json"), "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "{\"TlmMnemonic\":\"SA_ZBIG\",\"Data\":[");
    for (int k = 0; k < NSAMPLES; k++)
        fprintf(f, "%s{\"ObsTime\":\"/Date(%" PRId64 "+0000)/\",\"EUValue\":%d.25}", k ? "," : "",
                T0_MS + (int64_t)k * 1000, k % 1000 - 500);
    fprintf(f, "]}");
    ck_assert_int_eq(fclose(f), 0);
    return dir;
}

/* FNV-1a over a body as it arrives, and its length: the bodies are not kept. */
typedef struct sink {
    uint64_t hash, len;
    char tail[128];
    size_t tail_len;
} sink;

static size_t on_data(char *d, size_t size, size_t nmemb, void *ud)
{
    sink *k = ud;
    size_t n = size * nmemb;
    for (size_t i = 0; i < n; i++) {
        k->hash ^= (unsigned char)d[i];
        k->hash *= UINT64_C(1099511628211);
    }
    k->len += n;
    if (n >= sizeof k->tail) {
        memcpy(k->tail, d + n - sizeof k->tail, sizeof k->tail);
        k->tail_len = sizeof k->tail;
    } else {
        size_t old = k->tail_len < sizeof k->tail - n ? k->tail_len : sizeof k->tail - n;
        memmove(k->tail, k->tail + k->tail_len - old, old);
        memcpy(k->tail + old, d, n);
        k->tail_len = old + n;
    }
    return n;
}

static long peak_rss_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "VmHWM:", 6) == 0)
            kb = atol(line + 6);
    if (f)
        fclose(f);
    return kb;
}

/* 30 clients at once ask for the whole range (10 per data service): every body is whole,
 * as long as announced, and the same for the same service; its last sample is right. */
START_TEST(concurrent_full_range)
{
    enum { PER_KIND = 10 };
    char *dir = big_store();
    edb_server_options o = EDB_SERVER_OPTIONS_INIT;
    edb_server *s = start(&o, dir);
    char base[64];
    snprintf(base, sizeof base, "http://127.0.0.1:%u", edb_server_port(s));
    /* 2022-03-01T00:00:00 to 2022-03-01T13:53:19, the last sample */
    const char *paths[3] = {
        "/api/v0.1/Download/file?uri=mast%3Ajwstedb%2FSA_ZBIG-20220101T000000-20220401T000000.csv",
        "/" EDB_SERVER_DIRECT_PATH "Data/SA_ZBIG?sTime=2022-01-01T00:00:00&eTime=2022-04-01T00:00:00",
        "/edp/api/v0.1/mnemonics/spa/jwst/data?mnemonic=SA_ZBIG&s_time=2022-01-01T00:00:00"
        "&e_time=2022-04-01T00:00:00"};
    const char *tails[3] = {"2022-03-01 13:53:19.000000,59639.5786921296,499.2500000000,real\r\n",
                            "{\"ObsTime\":\"/Date(1646142799000+0000)/\",\"EUValue\":499.25}]}",
                            "{\"ObsTime\":\"2022-03-01T13:53:19.000\",\"EUValue\":499.25}]}"};
    /* parse the store once before measuring */
    http_res r;
    http_port(edb_server_port(s), paths[1], NULL, &r);
    ck_assert_int_eq(r.code, 200);
    http_free(&r);
    long rss0 = peak_rss_kb();
    CURLM *m = curl_multi_init();
    CURL *h[3 * PER_KIND];
    sink k[3 * PER_KIND];
    memset(k, 0, sizeof k);
    for (int i = 0; i < 3 * PER_KIND; i++) {
        char url[512];
        snprintf(url, sizeof url, "%s%s", base, paths[i % 3]);
        k[i].hash = UINT64_C(14695981039346656037);
        h[i] = curl_easy_init();
        curl_easy_setopt(h[i], CURLOPT_URL, url);
        curl_easy_setopt(h[i], CURLOPT_WRITEFUNCTION, on_data);
        curl_easy_setopt(h[i], CURLOPT_WRITEDATA, &k[i]);
        curl_easy_setopt(h[i], CURLOPT_NOPROXY, "*");
        curl_easy_setopt(h[i], CURLOPT_TIMEOUT, 240L);
        curl_multi_add_handle(m, h[i]);
    }
    int running = 1;
    while (running) {
        curl_multi_perform(m, &running);
        if (running)
            curl_multi_wait(m, NULL, 0, 200, NULL);
    }
    long rss1 = peak_rss_kb();
    for (int i = 0; i < 3 * PER_KIND; i++) {
        long code = 0;
        curl_off_t clen = -1;
        curl_easy_getinfo(h[i], CURLINFO_RESPONSE_CODE, &code);
        curl_easy_getinfo(h[i], CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &clen);
        ck_assert_int_eq(code, 200);
        ck_assert_int_eq((curl_off_t)k[i].len, clen);
        ck_assert_uint_eq(k[i].hash, k[i % 3].hash);
        size_t tl = strlen(tails[i % 3]);
        ck_assert_msg(k[i].tail_len >= tl &&
                          memcmp(k[i].tail + k[i].tail_len - tl, tails[i % 3], tl) == 0,
                      "body %d ends in %.*s", i, (int)k[i].tail_len, k[i].tail);
        curl_multi_remove_handle(m, h[i]);
        curl_easy_cleanup(h[i]);
    }
    curl_multi_cleanup(m);
    fprintf(stderr, "test_serve_limits: 30 concurrent full-range replies of %d samples "
            "(%.1f + %.1f + %.1f MB): peak RSS %.1f MB before, %.1f MB after\n", NSAMPLES,
            k[0].len / 1e6, k[1].len / 1e6, k[2].len / 1e6, rss0 / 1024.0, rss1 / 1024.0);
    edb_server_stop(s);
    tu_rmtree(dir);
    free(dir);
}
END_TEST

static Suite *limits_suite(void)
{
    Suite *su = suite_create("serve_limits");
    TCase *tc = tcase_create("limits");
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, slow_clients);
    tcase_add_test(tc, dribbling_client);
    tcase_add_test(tc, connection_cap);
    tcase_add_test(tc, concurrent_full_range);
    suite_add_tcase(su, tc);
    return su;
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    SRunner *sr = srunner_create(limits_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    curl_global_cleanup();
    return failed == 0 ? 0 : 1;
}
