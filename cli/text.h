/* text.h: a text that grows as it is written (text.c), for what the CLI composes before
 * writing it whole: the command line a bundle and the outputs record, monitor's reports. */
#ifndef EDBX_TEXT_H
#define EDBX_TEXT_H

#include <stddef.h>

/* A text that grows as it is written: the bundle's command line, monitor's reports.  Zero
 * it to start; after a failed allocation every write is a no-op and oom is set; free p. */
typedef struct cli_text {
    char *p;
    size_t len, cap;
    int oom;
} cli_text;
void cli_text_put(cli_text *b, const char *s, size_t n);
void cli_text_puts(cli_text *b, const char *s);
void cli_text_printf(cli_text *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
