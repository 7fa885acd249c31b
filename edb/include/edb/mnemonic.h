/* edb/mnemonic.h: the one rule for mnemonic names, used by everything that takes one
 * (the client, stores, --where, metadata, the server).
 *
 * What is certain about EDB names (edb-protocol section 6) is their alphabet: upper-case
 * ASCII letters, digits and '_'.  Their shape (<X><Y>_<Z>, "SA_ZATTEST1") is a habit, not
 * a rule: the real inventory holds FGDP_SCTA_OFFSET_D and ZZZZZZ too, so no well-formed
 * name is refused for its shape.  What is refused is what could never be a name and could
 * hurt when put into a URL or a file name: other characters ('/', '.', blanks, control
 * bytes, non-ASCII), the empty name and names longer than EDB_MNEMONIC_MAX.  Whether a
 * name exists is for the inventory or the service to say.
 *
 * Everything here is locale-free: case mapping is ASCII only (no Turkish dotless i). */
#ifndef EDB_MNEMONIC_H
#define EDB_MNEMONIC_H

#include <stddef.h>

#include <edb/status.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The longest name accepted.  The recordings' 2,449 names have 6 to 23 characters. */
#define EDB_MNEMONIC_MAX 64

/* Trim surrounding blanks (space, tab, CR, LF), upper-case ASCII letters and check the
 * rule above.  Writes the normal form to out (at least EDB_MNEMONIC_MAX + 1 bytes: a
 * smaller buffer is refused like an over-long name).  EDB_ERR_MNEMONIC with a message
 * that quotes the name (control bytes shown as '?') and says what is wrong, e.g.
 * "invalid mnemonic 'SA/ZATTEST1': '/' at position 3 is not allowed (names are letters,
 * digits and '_', such as SA_ZATTEST1)".  in may be NULL (an empty name). */
edb_status edb_mnemonic_normalize(const char *in, char *out, size_t outlen, edb_err *err);

/* 1 if s[0..len) is already a name in normal form (no blanks, upper case, the rule above),
 * 0 otherwise; for checking names read from files or URLs without copying them. */
int edb_mnemonic_is_normal(const char *s, size_t len);

#ifdef __cplusplus
}
#endif
#endif
