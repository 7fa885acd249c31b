/* mnemonic.c: the one name rule (edb/mnemonic.h). */
#include <stdio.h>
#include <string.h>

#include <edb/mnemonic.h>

#include "internal.h"

static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int name_char(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

int edb_mnemonic_is_normal(const char *s, size_t len)
{
    if (!s || len == 0 || len > EDB_MNEMONIC_MAX)
        return 0;
    for (size_t k = 0; k < len; k++)
        if (!name_char((unsigned char)s[k]))
            return 0;
    return 1;
}

edb_status edb_mnemonic_normalize(const char *in, char *out, size_t outlen, edb_err *err)
{
    if (out && outlen)
        out[0] = '\0';
    if (!in)
        return edb__fail(err, EDB_ERR_MNEMONIC, "empty mnemonic name");
    while (*in && is_blank(*in))
        in++;
    size_t len = strlen(in);
    while (len && is_blank(in[len - 1]))
        len--;
    if (len == 0)
        return edb__fail(err, EDB_ERR_MNEMONIC, "empty mnemonic name");
    char ex[64];
    edb__excerpt(in, len, 40, ex, sizeof ex);
    if (len > EDB_MNEMONIC_MAX || !out || len + 1 > outlen)
        return edb__fail(err, EDB_ERR_MNEMONIC,
                         "invalid mnemonic '%s': longer than %d characters", ex, EDB_MNEMONIC_MAX);
    for (size_t k = 0; k < len; k++) {
        unsigned char c = (unsigned char)in[k];
        if (c >= 'a' && c <= 'z')
            c = (unsigned char)(c - 'a' + 'A');
        if (!name_char(c)) {
            char what[24];
            if (c < 0x20 || c == 0x7f)
                snprintf(what, sizeof what, "a control byte");
            else if (c >= 0x80)
                snprintf(what, sizeof what, "a non-ASCII byte");
            else if (c == ' ' || c == '\t')
                snprintf(what, sizeof what, "a blank");
            else
                snprintf(what, sizeof what, "'%c'", c);
            out[0] = '\0';
            return edb__fail(err, EDB_ERR_MNEMONIC,
                             "invalid mnemonic '%s': %s at position %zu is not allowed (names are "
                             "letters, digits and '_', such as SA_ZATTEST1)", ex, what, k + 1);
        }
        out[k] = (char)c;
    }
    out[len] = '\0';
    return EDB_OK;
}
