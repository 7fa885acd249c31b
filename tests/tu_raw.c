/* tu_raw.c: the tiny test server of tu_raw.h, on libmicrohttpd. */
#include <check.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "tu_raw.h"

#if MHD_VERSION >= 0x00097002
typedef enum MHD_Result mhd_ret;
#else
typedef int mhd_ret;
#endif

struct tu_raw {
    struct MHD_Daemon *d;
    const tu_raw_reply *r;
    atomic_ulong requests;
};

static mhd_ret answer(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                      const char *version, const char *upload, size_t *upload_size, void **ctx)
{
    (void)method;
    (void)version;
    (void)upload;
    static int seen;
    if (!*ctx) {
        *ctx = &seen;
        return MHD_YES;
    }
    /* A request body (a POST) is read whole before the answer, as a server must. */
    if (*upload_size) {
        *upload_size = 0;
        return MHD_YES;
    }
    tu_raw *s = cls;
    const tu_raw_reply *r = s->r;
    for (const char *const *p = r->ok_paths; p && *p; p++)
        if (strcmp(url, *p) == 0) {
            struct MHD_Response *ok =
                MHD_create_response_from_buffer(2, (void *)"{}", MHD_RESPMEM_PERSISTENT);
            mhd_ret ret = MHD_queue_response(c, 200, ok);
            MHD_destroy_response(ok);
            return ret;
        }
    atomic_fetch_add(&s->requests, 1);
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        r->len, (void *)(r->body ? r->body : ""), MHD_RESPMEM_PERSISTENT);
    if (r->header)
        MHD_add_response_header(resp, r->header, r->value);
    mhd_ret ret = MHD_queue_response(c, r->status, resp);
    MHD_destroy_response(resp);
    return ret;
}

tu_raw *tu_raw_start(const tu_raw_reply *r, char *base)
{
    tu_raw *s = calloc(1, sizeof *s);
    ck_assert_ptr_nonnull(s);
    s->r = r;
    atomic_init(&s->requests, 0);
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(0x7f000001);
    s->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0,
                            NULL, NULL, answer, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sin,
                            MHD_OPTION_END);
    ck_assert_msg(s->d != NULL, "the raw test server did not start");
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    snprintf(base, 64, "http://127.0.0.1:%u/", info ? info->port : 0);
    return s;
}

unsigned long tu_raw_requests(const tu_raw *s)
{
    return atomic_load(&((tu_raw *)s)->requests);
}

void tu_raw_stop(tu_raw *s)
{
    if (!s)
        return;
    MHD_stop_daemon(s->d);
    free(s);
}
