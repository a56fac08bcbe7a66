/* json: the pieces of the fleet's JSON Lines output: strings escaped so that any bytes give
 * valid JSON (quotes, backslashes and control characters escaped, DEL and U+2028/U+2029 as
 * \u escapes, invalid UTF-8 never emitted raw), a strict UTF-8 check, and base64. */
#ifndef X509SSH_FLEET_JSON_H
#define X509SSH_FLEET_JSON_H

#include <stddef.h>

#include "sbuf.h"

/* 1 when p[0..n) is well-formed UTF-8 (no overlong forms, no surrogates, nothing above
 * U+10FFFF; NUL bytes allowed), else 0 */
int fleet_utf8_valid(const unsigned char *p, size_t n);

/* the length of the longest prefix of p[0..n) that does not end inside a UTF-8 sequence
 * (n minus an incomplete multi-byte tail); used before checking a truncated capture */
size_t fleet_utf8_cut(const unsigned char *p, size_t n);

/* n bytes as a quoted JSON string; a byte that is not part of valid UTF-8 becomes U+FFFD */
void fleet_json_str(struct fleet_sb *sb, const void *p, size_t n);
/* a C string, or null when s is NULL */
void fleet_json_cstr(struct fleet_sb *sb, const char *s);
/* n bytes as standard base64 (RFC 4648, padded), without quotes */
void fleet_base64(struct fleet_sb *sb, const void *p, size_t n);

#endif
