/* Shared inside the configuration code (options*.c) only. */
#ifndef X509SSH_OPTIONS_INT_H
#define X509SSH_OPTIONS_INT_H

#include <stddef.h>

#include "options.h"

#define OPT_MAX_ARGS 64   /* values on one line */
#define ESC_NONE_SET (-2) /* EscapeChar none, before options_finish */

#define FIELD(o, off, type) ((type *)(void *)((char *)(o) + (off)))

struct enumv {
	const char *name;
	int val;
};

extern const struct enumv ev_af[], ev_loglevel[], ev_rtty[], ev_session[], ev_shk[], ev_x509hk[],
    ev_x509rev[], ev_ufc[];

/* one line split into words: v[0] the keyword, v[1..n-1] the values (pointers into buf) */
struct args {
	char *buf;
	char *v[OPT_MAX_ARGS + 1];
	size_t n;
};

/*
 * "Keyword value ..." or "Keyword=value ...": values may be quoted with " or ', a backslash
 * escapes a quote, a backslash or a space; an unquoted '#' at the start of a value ends the line.
 * a->buf is malloc'd (also on error): the caller frees it. a->n is 0 for an empty line.
 */
int options_split_line(const char *line, struct args *a, char *err, size_t errlen);

/* Apply a split line that is not Host / Match / Include (only checked when !active). */
int options_apply_args(struct options *o, struct args *a, int active, char *err, size_t errlen);

#endif
