/* testutil.h: helpers shared by the Check suites. */
#ifndef EDB_TESTUTIL_H
#define EDB_TESTUTIL_H
#include <stdint.h>

#include <stddef.h>

#include <edb/server.h>

/* A fresh temporary directory for one test case (removed by tu_rmtree). Never NULL. */
char *tu_mkdtemp(void);
/* Remove a directory tree (the test's temp dir). */
void tu_rmtree(const char *path);

/* Whole content of a file, NUL-terminated; *len gets its length (may be NULL).  NULL if
 * unreadable. Free with free(). */
char *tu_read_file(const char *path, size_t *len);
int tu_write_file(const char *path, const void *data, size_t len);

/* Path of a fixture: $EDBX_FIXTURES/rel.  Static buffer: copy it if you keep it. */
const char *tu_fixture(const char *rel);
/* Path of the edbx binary ($EDBX_BIN). */
const char *tu_edbx(void);

/* Run argv (argv[0] is the program path) with extra environment entries env ("K=V",
 * NULL-terminated, may be NULL; an entry "K=" with empty value unsets K) and stdin from
 * /dev/null.  Captures stdout and stderr (NUL-terminated, free them) and returns the exit
 * status (128+signal if killed). */
typedef struct tu_run {
    int status;
    char *out;
    size_t out_len;
    char *err;
    size_t err_len;
} tu_run;
int tu_run_cmd(tu_run *r, const char *const *argv, const char *const *env);
void tu_run_free(tu_run *r);

/* Run the edbx binary with args (argv[1...], NULL-terminated) in a clean environment:
 * HOME=home (so no real ~/.netrc or cache is seen), ENG_BASE_URL=base_url (unless NULL),
 * no MAST_API_TOKEN, NETRC, ENG_RETRIES, ENG_TIMEOUT or XDG_CACHE_HOME; then the
 * entries of env ("K=V", "K=" unsets; NULL-terminated, may be NULL), which win. */
int tu_edbx_run(tu_run *r, const char *home, const char *base_url, const char *const *args,
                const char *const *env);

/* The service the e2e suites run over: "mast" unless EDBX_TEST_API says "direct" or "edp"
 * (tests/CMakeLists.txt runs the network suites once per service). */
const char *tu_test_api(void);
/* The requests edbx serve counts (data and metadata, every service) for a run of `data`
 * data requests over `mnemonics` distinct mnemonics, each asked once: path B and EDP ask
 * each mnemonic's metadata first, and path B's aliveness check is a metadata request. */
unsigned long tu_served(unsigned long data, unsigned long mnemonics);

/* dir/name in one of 8 rotating static buffers (so a few can be used in one call). */
const char *tu_path(const char *dir, const char *name);

/* Start edb_server on 127.0.0.1, a free port, serving store with so's other options; the
 * test fails if it cannot.  base (TU_BASE_LEN bytes) gets "http://127.0.0.1:PORT/". */
#define TU_BASE_LEN 64
edb_server *tu_serve(edb_server_options so, const char *store, char *base);

/* Does the file exist? */
int tu_exists(const char *path);



/* A synthetic store in the jwst layout in a new temporary folder (free the path, remove
 * it with tu_rmtree): mnemonics SA_ZTEST0..n-1 (FLOAT), samples every 15 minutes from
 * 2022-03-01T00:00:00Z for ndays days and one more exactly on the last midnight; sample k
 * of mnemonic m is at TU_D0_MS + k * TU_STEP_MS with value tu_synthetic_value(m, k). */
#define TU_D0_MS INT64_C(1646092800000) /* 2022-03-01T00:00:00Z (date -u -d ... +%s) */
#define TU_STEP_MS INT64_C(900000)
#define TU_DAY_MS INT64_C(86400000)
char *tu_synthetic_store(int nmnem, int ndays);
double tu_synthetic_value(int m, int k);
#endif
