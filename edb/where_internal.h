/* where_internal.h: the parsed form of a --where condition, shared by where.c (parsing)
 * and resample.c (evaluation).  Never installed. */
#ifndef EDB_WHERE_INTERNAL_H
#define EDB_WHERE_INTERNAL_H

#include <stddef.h>

#include <edb/client.h>
#include <edb/resample.h>

typedef enum edb__op { EDB__OP_GT, EDB__OP_LT, EDB__OP_GE, EDB__OP_LE, EDB__OP_EQ, EDB__OP_NE } edb__op;

struct edb_where {
    char *text;                          /* as given, for messages */
    char mnemonic[EDB_MNEMONIC_MAX + 1]; /* normalised */
    edb__op op;
    int is_str;                          /* VALUE was a quoted string */
    double num;
    char *str;                           /* is_str: the bytes between the quotes */
    size_t slen;
};

const char *edb__op_text(edb__op op);

#endif
