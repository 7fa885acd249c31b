/* service.c: choosing the service `edbx get` asks (--api, ENG_API), and --plan-only. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* A path from the environment that replaces one of EDP's: a relative path, safe in a URL. */
static edb_status env_path(const char *var, const char **out, edb_err *err)
{
    const char *v = getenv(var);
    *out = NULL;
    if (!v || !*v)
        return EDB_OK;
    for (const char *p = v; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c <= 0x20 || c >= 0x7f || c == '?' || c == '#' || c == '\\')
            return edb_err_set(err, EDB_ERR_USAGE, "%s holds a character that cannot be in a URL "
                               "path (give a path such as edp/api/v0.1/mnemonics/spa/jwst/data)",
                               var);
    }
    if (strstr(v, "..") || strstr(v, "://"))
        return edb_err_set(err, EDB_ERR_USAGE, "%s must be a path after the base URL (such as "
                           "edp/api/v0.1/mnemonics/spa/jwst/data), not '%s'", var, v);
    *out = v;
    return EDB_OK;
}

edb_status cli_service_options(edb_client_options *co, const char *api, const char *edp_mission,
                               edb_err *err)
{
    const char *from = "--api";
    if (!api || !*api) {
        api = getenv("ENG_API");
        from = "ENG_API";
    }
    if (api && *api) {
        if (!edb_service_label(api)) {
            char list[128] = "";
            size_t o = 0;
            for (size_t k = 0; k < edb_service_count() && o < sizeof list; k++)
                o += (size_t)snprintf(list + o, sizeof list - o, "%s%s", k ? ", " : "",
                                      edb_service_name(k));
            return edb_err_set(err, EDB_ERR_USAGE, "%s '%s': no such service (known: %s)", from,
                               api, list);
        }
        co->service = api;
    }
    if (edp_mission) {
        if (!*edp_mission || strlen(edp_mission) > 32)
            return edb_err_set(err, EDB_ERR_USAGE, "--edp-mission: give a mission name such as "
                               "jwst (1 to 32 letters, digits, '-' or '_')");
        for (const char *p = edp_mission; *p; p++) {
            char c = *p;
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_'))
                return edb_err_set(err, EDB_ERR_USAGE, "--edp-mission '%s': only letters, "
                                   "digits, '-' and '_' (e.g. jwst)", edp_mission);
        }
        co->edp_mission = edp_mission;
    }
    if (env_path("ENG_DATA_URI", &co->edp_data_path, err) != EDB_OK ||
        env_path("ENG_META_URI", &co->edp_meta_path, err) != EDB_OK)
        return EDB_ERR_USAGE;
    return EDB_OK;
}

int cli_print_plan(const edb_client_options *co, const char *const *mnemonics, size_t n,
                   edb_time start, edb_time end, int brackets, int64_t chunk_us)
{
    edb_client_options o = *co;
    o.token = NULL; /* nothing is sent: no token is needed or read */
    edb_client *c = NULL;
    edb_status st = edb_client_new(&c, &o);
    if (st != EDB_OK)
        return cli_fail(st, "cannot set up the client: %s", edb_strerror(st));
    edb_query q = {.mnemonics = mnemonics, .n_mnemonics = n, .start = start, .end = end,
                   .keep_brackets = brackets, .chunk_us = chunk_us};
    edb_plan *p = NULL;
    if ((st = edb_client_plan(c, &q, &p)) != EDB_OK) {
        int code = cli_fail(st, "%s", edb_client_errmsg(c));
        edb_client_free(c);
        return code;
    }
    printf("%s\n", edb_plan_header());
    char line[2048];
    for (size_t k = 0; k < edb_plan_count(p) && !ferror(stdout); k++) {
        int len = edb_plan_line(p, k, line, sizeof line);
        if (len >= (int)sizeof line) {
            char *big = malloc((size_t)len + 1);
            if (big) {
                edb_plan_line(p, k, big, (size_t)len + 1);
                puts(big);
                free(big);
            }
        } else {
            puts(line);
        }
    }
    int bad = fflush(stdout) != 0 || ferror(stdout);
    edb_plan_free(p);
    edb_client_free(c);
    return bad ? cli_fail(EDB_ERR_IO, "writing the plan to standard output failed") : EXIT_OK;
}
