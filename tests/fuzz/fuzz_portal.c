/* fuzz_portal.c: the MAST portal's reply decoder (edb__portal_decode, portal.c) on any
 * bytes.
 *
 * Input: the reply body.  It is decoded twice, into no table and into one; both must agree
 * on the outcome and the counts.  A refused reply leaves the table empty.  An accepted one
 * must be a JSON object jansson parses too, with a status of the three; when COMPLETE, its
 * data array holds n_data rows, and the table holds exactly the distinct valid names among
 * them, which survive a round trip through CSV (edb_meta_format_csv, then
 * edb_meta_load_buffer) field for field.  "Did you mean" on the table returns names of it,
 * nearest first. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <edb/discovery.h>
#include <edb/meta.h>

#include "discovery_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                                  \
    do {                                                                          \
        if (!(c)) {                                                               \
            fprintf(stderr, "fuzz_portal: %s:%d: check failed: %s\n", __FILE__,   \
                    __LINE__, #c);                                                \
            abort();                                                              \
        }                                                                         \
    } while (0)

static int same_str(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *body = (const char *)data;
    edb__portal_envelope e1, e2;
    char why1[400], why2[400];
    edb_meta *m = NULL;
    CHECK(edb_meta_new(&m) == EDB_OK);
    int r1 = edb__portal_decode(body, size, &e1, NULL, why1, sizeof why1);
    int r2 = edb__portal_decode(body, size, &e2, m, why2, sizeof why2);
    CHECK(r1 == r2);
    if (r1 != 0) {
        CHECK(strcmp(why1, why2) == 0 && why1[0]);
        CHECK(edb_meta_count(m) == 0);
        edb_meta_free(m);
        return 0;
    }
    CHECK(e1.status == e2.status && e1.n_data == e2.n_data && e1.n_skipped == e2.n_skipped);
    CHECK(e1.status >= EDB__PORTAL_COMPLETE && e1.status <= EDB__PORTAL_ERROR);
    CHECK(strcmp(e1.msg, e2.msg) == 0);
    json_t *root = json_loadb(body, size, JSON_REJECT_DUPLICATES, NULL);
    CHECK(json_is_object(root));
    if (e1.status != EDB__PORTAL_COMPLETE) {
        CHECK(edb_meta_count(m) == 0);
    } else {
        json_t *rows = json_object_get(root, "data");
        CHECK(json_is_array(rows) && json_array_size(rows) == e1.n_data);
        CHECK(e1.n_skipped <= e1.n_data);
        /* Every valid name once: no more entries than valid rows, and each row's name in. */
        CHECK(edb_meta_count(m) <= e1.n_data - e1.n_skipped);
        size_t valid = 0;
        for (size_t k = 0; k < json_array_size(rows); k++) {
            const char *name = json_string_value(json_object_get(json_array_get(rows, k),
                                                                 "tlmMnemonic"));
            CHECK(name);
            char norm[EDB_MNEMONIC_MAX + 1];
            if (edb_mnemonic_normalize(name, norm, sizeof norm, NULL) == EDB_OK) {
                valid++;
                CHECK(edb_meta_find(m, norm) != NULL);
            }
        }
        CHECK(valid == e1.n_data - e1.n_skipped);
        /* Through CSV and back: the same entries, field for field. */
        char *csv = NULL;
        size_t len = 0;
        CHECK(edb_meta_format_csv(m, &csv, &len) == EDB_OK);
        edb_meta *back = NULL;
        edb_err err = EDB_ERR_INIT;
        CHECK(edb_meta_new(&back) == EDB_OK);
        CHECK(edb_meta_load_buffer(back, csv, len, "csv", &err) == EDB_OK);
        CHECK(edb_meta_count(back) == edb_meta_count(m));
        for (size_t k = 0; k < edb_meta_count(m); k++) {
            const edb_meta_entry *a = edb_meta_get(m, k), *b = edb_meta_get(back, k);
            CHECK(strcmp(a->mnemonic, b->mnemonic) == 0);
            /* A text of blanks only is unknown once written; "None" is no unit. */
            CHECK(a->tlm_identifier == b->tlm_identifier && a->all_points == b->all_points);
            CHECK(same_str(a->description, b->description) &&
                  same_str(a->sqltype, b->sqltype) && same_str(a->subsystem, b->subsystem) &&
                  same_str(a->long_description, b->long_description));
            CHECK(same_str(a->unit, b->unit) || (a->unit && strcmp(a->unit, "None") == 0));
        }
        free(csv);
        edb_meta_free(back);
        /* Did you mean: names of the table, at most three, nearest first. */
        if (edb_meta_count(m) > 0) {
            const char *name = edb_meta_get(m, 0)->mnemonic;
            char typo[EDB_MNEMONIC_MAX + 1];
            snprintf(typo, sizeof typo, "%s", name);
            size_t tl = strlen(typo);
            typo[tl - 1] = typo[tl - 1] == 'X' ? 'Y' : 'X'; /* one substitution away */
            const char *best[3];
            size_t n = edb_meta_suggest(m, typo, best, 3);
            CHECK(n >= 1 && n <= 3);
            for (size_t k = 0; k < n; k++)
                CHECK(edb_meta_find(m, best[k]) != NULL);
        }
    }
    json_decref(root);
    edb_meta_free(m);
    return 0;
}
