/* common.c: what several writers share: units, the creator string, small checks, and
 * the ordered pipeline of worker threads that the CSV and HDF5 writers run their rows on. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <edb/edb.h>

#include "formats.h"

typedef struct unit_map {
    const char *edb;
    const char *fits;
} unit_map;

/* Symbols that are already valid FITS units (FITS Standard 4.0, tables 4.3 and 4.4),
 * matched exactly because case matters for them (mV, MV). */
static const char *const fits_symbols[] = {
    "V", "mV", "uV", "kV", "A", "mA", "uA", "W", "mW", "kW", "K", "s", "ms", "us", "ns",
    "min", "h", "d", "Hz", "kHz", "MHz", "GHz", "rad", "mrad", "urad", "deg", "arcsec",
    "arcmin", "mas", "m", "mm", "um", "nm", "km", "Pa", "kPa", "hPa", "Ohm", "kOhm", "N",
    "J", "T", "G", "count", "ct", "photon", "rad/s", "deg/s", "m/s", "mm/s", "arcsec/s",
    "V/s", "K/s", "Hz/s", "byte", "bit", NULL};

/* Spellings the EDB uses that FITS writes differently, matched without regard to case. */
static const unit_map word_units[] = {
    {"volt", "V"},        {"volts", "V"},        {"millivolt", "mV"}, {"millivolts", "mV"},
    {"amp", "A"},         {"amps", "A"},         {"ampere", "A"},     {"amperes", "A"},
    {"milliamp", "mA"},   {"milliamps", "mA"},   {"watt", "W"},       {"watts", "W"},
    {"sec", "s"},         {"secs", "s"},         {"second", "s"},     {"seconds", "s"},
    {"msec", "ms"},       {"millisecond", "ms"}, {"milliseconds", "ms"},
    {"usec", "us"},       {"microseconds", "us"},
    {"minute", "min"},    {"minutes", "min"},    {"hour", "h"},       {"hours", "h"},
    {"day", "d"},         {"days", "d"},
    {"count", "count"},   {"counts", "count"},   {"cnt", "count"},    {"cnts", "count"},
    {"degree", "deg"},    {"degrees", "deg"},    {"degs", "deg"},
    {"radian", "rad"},    {"radians", "rad"},    {"kelvin", "K"},     {"degK", "K"},
    {"hertz", "Hz"},      {"ohm", "Ohm"},        {"ohms", "Ohm"},
    {"deg/sec", "deg/s"}, {"rad/sec", "rad/s"},  {"arcsec/sec", "arcsec/s"},
    {"meter", "m"},       {"meters", "m"},       {"pascal", "Pa"},    {"newton", "N"},
    {"bytes", "byte"},    {"bits", "bit"},
    {NULL, NULL}};

const char *edb__fits_unit(const char *u)
{
    if (!u || !*u)
        return NULL;
    for (const char *const *p = fits_symbols; *p; p++)
        if (strcmp(*p, u) == 0)
            return *p;
    for (const unit_map *m = word_units; m->edb; m++)
        if (strcasecmp(m->edb, u) == 0)
            return m->fits;
    return NULL;
}

edb_status edb__check_level(const char *key, const char *value, edb_err *err)
{
    if (value[0] < '0' || value[0] > '9' || value[1])
        return edb_err_set(err, EDB_ERR_USAGE, "-O %s=%.40s: the deflate level is a whole number "
                           "from 0 (no compression) to 9 (smallest file); the default is 1",
                           key, value);
    return EDB_OK;
}

void edb__creator(char *buf, size_t n)
{
    snprintf(buf, n, "edbx %s", edb_version());
}

int edb__is_ascii(const char *s, size_t len)
{
    for (size_t k = 0; k < len; k++)
        if ((unsigned char)s[k] < 0x20 || (unsigned char)s[k] > 0x7e)
            return 0;
    return 1;
}

long edb__mjd_day(edb_time t)
{
    int64_t days = t / EDB_USEC_PER_DAY;
    if (t % EDB_USEC_PER_DAY < 0)
        days--;
    return (long)(days + EDB_MJD_UNIX_EPOCH);
}

int edb__fits_int32(const int64_t *v, const uint8_t *valid, size_t n)
{
    for (size_t k = 0; k < n; k++)
        if ((!valid || valid[k]) && (v[k] <= INT32_MIN || v[k] > INT32_MAX))
            return 0;
    return 1;
}

/* ---- work in order on worker threads --------------------------------------------------- */

size_t edb__pipe_workers(size_t max)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 2)
        return 0;
    return (size_t)n > max ? max : (size_t)n;
}

typedef struct pipe_run {
    const edb__pipe *p;
    size_t *made;  /* per slot: 1 + the job it holds made, 0 while it holds none */
    size_t next;   /* the next job a worker takes up */
    size_t taken;  /* jobs the calling thread has taken: job j may use its slot once
                      j < taken + nslots */
    int stop;      /* the calling thread gives up, or every job is taken */
    int failed;    /* init or make failed */
    pthread_mutex_t mu;
    pthread_cond_t work, done;
} pipe_run;

static void *pipe_worker(void *arg)
{
    pipe_run *r = arg;
    const edb__pipe *p = r->p;
    void *state = p->init ? p->init(p->ctx) : NULL;
    pthread_mutex_lock(&r->mu);
    if (p->init && !state) {
        r->failed = 1;
        pthread_cond_broadcast(&r->done);
        pthread_cond_broadcast(&r->work);
    }
    while (!r->failed) {
        while (!r->stop && !r->failed && r->next < p->njobs && r->next >= r->taken + p->nslots)
            pthread_cond_wait(&r->work, &r->mu);
        if (r->stop || r->failed || r->next >= p->njobs)
            break;
        size_t j = r->next++, s = j % p->nslots;
        pthread_mutex_unlock(&r->mu);
        int rc = p->make(p->ctx, state, j, s);
        pthread_mutex_lock(&r->mu);
        if (rc != 0) {
            r->failed = 1;
            pthread_cond_broadcast(&r->work);
        } else {
            r->made[s] = j + 1;
        }
        pthread_cond_broadcast(&r->done);
    }
    pthread_mutex_unlock(&r->mu);
    if (state && p->fini)
        p->fini(p->ctx, state);
    return NULL;
}

/* Every job on this thread, through slot 0. */
static int pipe_alone(const edb__pipe *p)
{
    void *state = p->init ? p->init(p->ctx) : NULL;
    int rc = p->init && !state ? -1 : 0;
    for (size_t j = 0; rc == 0 && j < p->njobs; j++) {
        rc = p->make(p->ctx, state, j, 0);
        if (rc == 0)
            rc = p->take(p->ctx, j, 0);
    }
    if (state && p->fini)
        p->fini(p->ctx, state);
    return rc ? -1 : 0;
}

int edb__pipe_run(const edb__pipe *p)
{
    size_t nworkers = p->nworkers < p->njobs ? p->nworkers : p->njobs;
    if (nworkers > EDB__PIPE_MAX_WORKERS)
        nworkers = EDB__PIPE_MAX_WORKERS;
    pipe_run r;
    memset(&r, 0, sizeof r);
    r.p = p;
    if (!nworkers || !(r.made = calloc(p->nslots, sizeof *r.made)))
        return pipe_alone(p);
    pthread_mutex_init(&r.mu, NULL);
    pthread_cond_init(&r.work, NULL);
    pthread_cond_init(&r.done, NULL);
    pthread_t th[EDB__PIPE_MAX_WORKERS];
    size_t started = 0;
    while (started < nworkers && pthread_create(&th[started], NULL, pipe_worker, &r) == 0)
        started++;
    int rc = 0;
    if (!started) {
        rc = pipe_alone(p);
    } else {
        for (size_t j = 0; rc == 0 && j < p->njobs; j++) {
            size_t s = j % p->nslots;
            pthread_mutex_lock(&r.mu);
            while (r.made[s] != j + 1 && !r.failed)
                pthread_cond_wait(&r.done, &r.mu);
            rc = r.failed ? -1 : 0;
            pthread_mutex_unlock(&r.mu);
            if (rc == 0)
                rc = p->take(p->ctx, j, s) ? -1 : 0;
            pthread_mutex_lock(&r.mu);
            r.made[s] = 0;
            r.taken = j + 1;
            pthread_cond_broadcast(&r.work);
            pthread_mutex_unlock(&r.mu);
        }
        pthread_mutex_lock(&r.mu);
        r.stop = 1;
        pthread_cond_broadcast(&r.work);
        pthread_mutex_unlock(&r.mu);
        for (size_t k = 0; k < started; k++)
            pthread_join(th[k], NULL);
    }
    pthread_mutex_destroy(&r.mu);
    pthread_cond_destroy(&r.work);
    pthread_cond_destroy(&r.done);
    free(r.made);
    return rc;
}
