/* sbuf: a growable byte string (see sbuf.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sbuf.h"

/* room for n more bytes and the NUL; 0 or -1 (and err set) */
static int sb_room(struct fleet_sb *sb, size_t n)
{
	size_t want, cap;
	char *p;

	if (sb->err) {
		return -1;
	}
	if (n > ((size_t)-1) / 2 - sb->len - 1) {
		sb->err = 1;
		return -1;
	}
	want = sb->len + n + 1;
	if (want <= sb->cap) {
		return 0;
	}
	cap = sb->cap < 256 ? 256 : sb->cap;
	while (cap < want) {
		cap *= 2;
	}
	p = realloc(sb->p, cap);
	if (p == NULL) {
		sb->err = 1;
		return -1;
	}
	sb->p = p;
	sb->cap = cap;
	return 0;
}

void fleet_sb_add(struct fleet_sb *sb, const void *data, size_t n)
{
	if (sb_room(sb, n) != 0) {
		return;
	}
	if (n > 0) {
		memcpy(sb->p + sb->len, data, n);
	}
	sb->len += n;
	sb->p[sb->len] = '\0';
}

void fleet_sb_str(struct fleet_sb *sb, const char *s)
{
	fleet_sb_add(sb, s, strlen(s));
}

void fleet_sb_ch(struct fleet_sb *sb, char c)
{
	fleet_sb_add(sb, &c, 1);
}

void fleet_sb_printf(struct fleet_sb *sb, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		sb->err = 1;
		return;
	}
	if (sb_room(sb, (size_t)n) != 0) {
		return;
	}
	va_start(ap, fmt);
	(void)vsnprintf(sb->p + sb->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sb->len += (size_t)n;
}

void fleet_sb_reset(struct fleet_sb *sb)
{
	sb->len = 0;
	sb->err = 0;
	if (sb->p != NULL) {
		sb->p[0] = '\0';
	}
}

void fleet_sb_free(struct fleet_sb *sb)
{
	free(sb->p);
	sb->p = NULL;
	sb->len = 0;
	sb->cap = 0;
	sb->err = 0;
}
