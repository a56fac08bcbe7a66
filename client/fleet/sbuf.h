/* sbuf: a growable byte string the fleet's codecs write into (no I/O here: the caller decides
 * where the bytes go, e.g. fwrite(sb.p, 1, sb.len, stdout)). A failed allocation or a size cap
 * sets the sticky error flag; later appends do nothing, so a writer checks once at the end. */
#ifndef X509SSH_FLEET_SBUF_H
#define X509SSH_FLEET_SBUF_H

#include <stddef.h>

struct fleet_sb {
	char *p;    /* NUL-terminated when p != NULL */
	size_t len; /* bytes in p, the NUL not counted */
	size_t cap; /* allocated bytes */
	int err;    /* set when an append failed: the content is incomplete */
};

#define FLEET_SB_INIT                                                                              \
	{                                                                                          \
		NULL, 0, 0, 0                                                                      \
	}

/* append n bytes / a C string / one byte / printf-style text */
void fleet_sb_add(struct fleet_sb *sb, const void *data, size_t n);
void fleet_sb_str(struct fleet_sb *sb, const char *s);
void fleet_sb_ch(struct fleet_sb *sb, char c);
void fleet_sb_printf(struct fleet_sb *sb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* empty the string (keeps the allocation and clears the error) */
void fleet_sb_reset(struct fleet_sb *sb);
void fleet_sb_free(struct fleet_sb *sb);

#endif
