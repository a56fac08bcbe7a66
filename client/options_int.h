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
    ev_x509rev[], ev_ufc[], ev_pubkeyauth[];

/* one line split into words: v[0] the keyword, v[1..n-1] the values (pointers into buf) */
struct args {
	char *buf;
	char *v[OPT_MAX_ARGS + 1];
	size_t n;
	const char *rest; /* the line after the keyword as written (quotes kept), trailing blanks
	                     removed: RemoteCommand's value, as OpenSSH takes it */
};

/*
 * "Keyword value ..." or "Keyword=value ...": values may be quoted with " or ', a backslash
 * escapes a quote, a backslash or a space; an unquoted '#' at the start of a value ends the line.
 * a->buf is malloc'd (also on error): the caller frees it. a->n is 0 for an empty line.
 */
int options_split_line(const char *line, struct args *a, char *err, size_t errlen);

/* Apply a split line that is not Host / Match / Include (only checked when !active). */
int options_apply_args(struct options *o, struct args *a, int active, char *err, size_t errlen);

/*
 * The compatibility table (options_compat.c): 1 when a->v[0] is none of its keywords, else
 * applies it (an alias through options_apply_args; a no-effect or not-supported keyword is noted
 * in o->compat_seen when active) and returns 0 or a negative error.
 */
int options_compat_apply(struct options *o, struct args *a, int active, char *err, size_t errlen);

/* The not-supported keyword that applies and is not cancelled, as an error ("LocalForward is not
 * supported yet"); 0 when there is none. Called by options_finish. */
int options_compat_finish(const struct options *o, char *err, size_t errlen);

/*
 * The forwarding and jump keywords (options_fwd.c): 1 when a->v[0] is none of them, else applies
 * it (checked always, stored only when active) and returns 0 or a negative error.
 */
int options_fwd_apply(struct options *o, struct args *a, int active, char *err, size_t errlen);
/* their fields freed (before options.c's table frees the rest) */
void options_fwd_free(struct options *o);
/* at options_finish: -W's defaults, GatewayPorts / ExitOnForwardFailure / ClearAllForwardings
 * defaults, ClearAllForwardings yes empties the lists, ProxyJump / ProxyCommand "none" unset */
void options_fwd_finish(struct options *o);
/* the i-th keyword of options_fwd.c, NULL past the end */
const char *options_fwd_keyword_at(size_t i);

/* Classes of a keyword, for the tests and the docs. */
enum { OPT_CLASS_OURS = 1, OPT_CLASS_ALIAS, OPT_CLASS_NOEFFECT, OPT_CLASS_UNSUPPORTED };

/* The i-th row of the compatibility table (its class in *cls), NULL past the end. */
size_t options_compat_count(void);
const char *options_compat_at(size_t i, int *cls);

/* The i-th keyword of options.c's own table, NULL past the end. */
const char *options_keyword_at(size_t i);

#endif
