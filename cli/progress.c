/* progress.c: the one progress line `edbx get` draws on a terminal. */
#include <stdio.h>
#include <unistd.h>

#include "cli.h"

void cli_progress_init(cli_progress *p, int force)
{
    p->on = force < 0 ? isatty(STDERR_FILENO) : force;
    p->drawn = 0;
}

static void human_bytes(unsigned long long b, char *out, size_t n)
{
    if (b < 10000)
        snprintf(out, n, "%llu B", b);
    else if (b < 10000000ULL)
        snprintf(out, n, "%.1f kB", b / 1e3);
    else if (b < 10000000000ULL)
        snprintf(out, n, "%.1f MB", b / 1e6);
    else
        snprintf(out, n, "%.1f GB", b / 1e9);
}

void cli_progress_update(void *ctx, const edb_progress *pr)
{
    cli_progress *p = ctx;
    if (!p->on)
        return;
    char bytes[32], eta[32] = "";
    human_bytes(pr->bytes, bytes, sizeof bytes);
    /* Time left from the pace so far; nothing until a chunk is done. */
    if (pr->requests_done > 0 && pr->requests_done < pr->requests_total) {
        double left = pr->elapsed_s / (double)pr->requests_done *
                      (double)(pr->requests_total - pr->requests_done);
        unsigned s = (unsigned)(left + 0.5);
        snprintf(eta, sizeof eta, ", %u:%02u:%02u left", s / 3600, s / 60 % 60, s % 60);
    }
    fprintf(stderr, "\r\033[Kedbx: %zu/%zu requests, %zu rows, %s, %lu retr%s%s", pr->requests_done,
            pr->requests_total, pr->rows, bytes, pr->retries, pr->retries == 1 ? "y" : "ies",
            eta);
    fflush(stderr);
    p->drawn = 1;
}

void cli_progress_done(cli_progress *p)
{
    if (p->on && p->drawn) {
        fputc('\n', stderr);
        fflush(stderr);
    }
    p->drawn = 0;
}
