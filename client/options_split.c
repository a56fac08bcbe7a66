/*
 * One "Keyword value" line of a config file or -o split into words (struct args): the keyword,
 * then its values, with OpenSSH's quoting rules.
 */
#include "options_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "errfmt.h"

static int is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * "Keyword value ..." or "Keyword=value ...": values may be quoted with " or ', a backslash
 * escapes a quote, a backslash or a space; an unquoted '#' at the start of a value ends the line.
 */
int options_split_line(const char *line, struct args *a, char *err, size_t errlen)
{
	char *p, *w;

	size_t len = strlen(line);
	char *raw;

	memset(a, 0, sizeof(*a));
	/* two copies: one split in place, one kept as written for a->rest */
	if ((a->buf = malloc(2 * len + 2)) == NULL) {
		errfmt(err, errlen, "out of memory");
		return SSH_ERR_ALLOC;
	}
	memcpy(a->buf, line, len + 1);
	raw = a->buf + len + 1;
	memcpy(raw, line, len + 1);
	while (len > 0 && is_ws(raw[len - 1])) {
		raw[--len] = '\0';
	}
	p = a->buf;
	while (is_ws(*p)) {
		p++;
	}
	if (*p == '\0' || *p == '#') {
		return 0;
	}
	a->v[a->n++] = p;
	while (*p != '\0' && !is_ws(*p) && *p != '=') {
		p++;
	}
	if (*p != '\0') {
		int eq = *p == '=';
		*p++ = '\0';
		while (is_ws(*p)) {
			p++;
		}
		if (!eq && *p == '=') {
			p++;
		}
	}
	a->rest = raw + (p - a->buf);
	while (is_ws(*a->rest)) {
		a->rest++;
	}
	if (a->v[0][0] == '\0') {
		errfmt(err, errlen, "missing keyword");
		return SSH_ERR_FORMAT;
	}
	for (;;) {
		char quote = 0;

		while (is_ws(*p)) {
			p++;
		}
		if (*p == '\0' || *p == '#') {
			break;
		}
		if (a->n >= OPT_MAX_ARGS) {
			errfmt(err, errlen, "too many values");
			return SSH_ERR_TOO_LARGE;
		}
		a->v[a->n++] = w = p;
		while (*p != '\0' && (quote != 0 || !is_ws(*p))) {
			if (quote == 0 && (*p == '"' || *p == '\'')) {
				quote = *p++;
				continue;
			}
			if (quote != 0 && *p == quote) {
				quote = 0;
				p++;
				continue;
			}
			if (*p == '\\' && (p[1] == '"' || p[1] == '\'' || p[1] == '\\' ||
			                      (quote == 0 && p[1] == ' '))) {
				p++;
			}
			*w++ = *p++;
		}
		if (quote != 0) {
			errfmt(err, errlen, "unterminated quoted value");
			return SSH_ERR_FORMAT;
		}
		if (*p != '\0') {
			p++;
		}
		*w = '\0';
	}
	return 0;
}
