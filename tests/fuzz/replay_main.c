/* Runs a libFuzzer target over every file of a corpus folder, so that the corpus is an
 * ordinary test in every build (sanitizers catch what the inputs provoke). */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
        return 2;
    }
    DIR *d = opendir(argv[1]);
    if (!d) {
        perror(argv[1]);
        return 1;
    }
    struct dirent *e;
    int files = 0;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", argv[1], e->d_name);
        FILE *f = fopen(path, "rb");
        if (!f) {
            perror(path);
            closedir(d);
            return 1;
        }
        size_t cap = 1 << 16, len = 0, r;
        uint8_t *buf = malloc(cap);
        while (buf && (r = fread(buf + len, 1, cap - len, f)) > 0) {
            len += r;
            if (len == cap) {
                uint8_t *nb = realloc(buf, cap * 2);
                if (!nb) { free(buf); buf = NULL; break; }
                buf = nb;
                cap *= 2;
            }
        }
        fclose(f);
        if (!buf) {
            fprintf(stderr, "out of memory reading %s\n", path);
            closedir(d);
            return 1;
        }
        LLVMFuzzerTestOneInput(buf, len);
        free(buf);
        files++;
    }
    closedir(d);
    if (files == 0) {
        fprintf(stderr, "%s: empty corpus\n", argv[1]);
        return 1;
    }
    printf("%d passed, 0 failed\n", files);
    return 0;
}
