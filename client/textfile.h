/* Reading line-oriented text files (config, known_hosts) with a cap per line. */
#ifndef X509SSH_TEXTFILE_H
#define X509SSH_TEXTFILE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* One line into buf (NUL-terminated, newline removed). *bad is set when the line was longer
 * than cap - 1 or held a NUL byte (the rest of the line is skipped). Returns 0 at EOF. */
int textfile_read_line(FILE *fp, char *buf, size_t cap, int *bad);

/* All of fd (to its end) into a malloc'd buffer (the caller frees it, also when it is empty):
 * 0, or -1 with errno (EFBIG when it holds more than max bytes). */
int textfile_read_fd(int fd, size_t max, char **out, size_t *len);

#define TEXTFILE_B64_MAX (64 * 1024) /* longest base64 text decoded */

/* Strict base64 (RFC 4648, padded, no whitespace) of len characters into a malloc'd buffer.
 * SSH_ERR_FORMAT for anything else. */
int textfile_b64_decode(const char *s, size_t len, uint8_t **out, size_t *outlen);

/* The same decoding into the caller's out, which has room for len / 4 * 3 bytes (no cap but
 * INT_MAX: for secret buffers). 0 or SSH_ERR_FORMAT. */
int textfile_b64_decode_to(const char *s, size_t len, uint8_t *out, size_t *outlen);

/* Padded base64 of n bytes (n at most TEXTFILE_B64_MAX / 4 * 3, so that it reads back),
 * NUL-terminated and malloc'd; NULL when too long or out of memory. */
char *textfile_b64_encode(const uint8_t *p, size_t n);

#endif
