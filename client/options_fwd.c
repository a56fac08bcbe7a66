/*
 * The keywords of forwarding and jump hosts (issue 11) that need more than options.c's kinds:
 * LocalForward, RemoteForward, DynamicForward (accumulating lists, each spec checked with
 * fwdspec.c when the line is read), PermitRemoteOpen (any | none | host:port ...), ProxyJump
 * (checked with jumpspec.c) and its interplay with ProxyCommand; then, at finish, what -W and
 * ClearAllForwardings do to them. GatewayPorts and ExitOnForwardFailure are plain yes/no rows of
 * options.c.
 *
 * ProxyJump and ProxyCommand, as OpenSSH's readconf.c: whichever is obtained first prevents the
 * other. A ProxyJump line takes effect only while both fields are unset; when it names hosts
 * it also sets proxy_command to "none", so that a later ProxyCommand line (first obtained value
 * wins) is ignored. "ProxyJump none" leaves proxy_command alone: a later ProxyCommand still
 * applies (OpenSSH 9.2 does the same). options_fwd_finish turns both "none" into NULL.
 */
#include "options.h"
#include "options_int.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "err.h"
#include "fwdspec.h"
#include "jumpspec.h"
#include "log.h"

enum fk_kind { FK_FWD = 1, FK_PERMIT_OPEN, FK_JUMP };

struct fwd_kw {
	const char *name;
	enum fk_kind kind;
	enum fwd_kind fwd; /* FK_FWD */
	size_t off, cnt_off;
};

#define F(field) offsetof(struct options, field)

static const struct fwd_kw fwd_kws[] = {
    {"LocalForward", FK_FWD, FWD_LOCAL, F(local_forward), F(n_local_forward)},
    {"RemoteForward", FK_FWD, FWD_REMOTE, F(remote_forward), F(n_remote_forward)},
    {"DynamicForward", FK_FWD, FWD_DYNAMIC, F(dynamic_forward), F(n_dynamic_forward)},
    {"PermitRemoteOpen", FK_PERMIT_OPEN, 0, F(permit_remote_open), 0},
    {"ProxyJump", FK_JUMP, 0, F(proxy_jump), 0},
};

#define N_FWD_KWS (sizeof(fwd_kws) / sizeof(fwd_kws[0]))

const char *options_fwd_keyword_at(size_t i)
{
	return i < N_FWD_KWS ? fwd_kws[i].name : NULL;
}

/* the spec's values as one string: "port:host:hostport" or the keyword's "listen connect" */
static char *join_values(const struct args *a)
{
	size_t len = 0;
	char *s;

	for (size_t i = 1; i < a->n; i++) {
		len += strlen(a->v[i]) + 1;
	}
	if ((s = malloc(len + 1)) == NULL) {
		return NULL;
	}
	s[0] = '\0';
	for (size_t i = 1; i < a->n; i++) {
		if (i > 1) {
			strcat(s, " ");
		}
		strcat(s, a->v[i]);
	}
	return s;
}

/* same forwarding already in the list (OpenSSH does not add a duplicate) */
static int same_fwd(enum fwd_kind kind, const char *x, const char *y)
{
	struct fwd_spec a, b;
	char ea[8], sa[FWD_HOST_MAX * 2 + 64], sb[FWD_HOST_MAX * 2 + 64];
	int same = 0;

	if (fwd_spec_parse(kind, x, &a, ea, sizeof(ea)) != 0) {
		return 0;
	}
	if (fwd_spec_parse(kind, y, &b, ea, sizeof(ea)) == 0) {
		same = a.kind == b.kind && fwd_spec_format(&a, FWD_FMT_DUMP, sa, sizeof(sa)) == 0 &&
		       fwd_spec_format(&b, FWD_FMT_DUMP, sb, sizeof(sb)) == 0 &&
		       strcmp(sa, sb) == 0;
		fwd_spec_free(&b);
	}
	fwd_spec_free(&a);
	return same;
}

static int apply_fwd(const struct fwd_kw *k, struct options *o, const struct args *a, int active,
    char *err, size_t errlen)
{
	char **arr = FIELD(o, k->off, char *), cause[256];
	size_t *n = FIELD(o, k->cnt_off, size_t);
	struct fwd_spec spec;
	char *text;
	int r;

	if (a->n > (k->fwd == FWD_DYNAMIC ? 2u : 3u)) {
		errfmt(err, errlen, "too many values for %s", k->name);
		return SSH_ERR_FORMAT;
	}
	if ((text = join_values(a)) == NULL) {
		errfmt(err, errlen, "out of memory");
		return SSH_ERR_ALLOC;
	}
	if ((r = fwd_spec_parse(k->fwd, text, &spec, cause, sizeof(cause))) != 0) {
		errfmt(err, errlen, "bad %s spec '%.200s': %s", k->name, text, cause);
		free(text);
		return r;
	}
	fwd_spec_free(&spec);
	for (size_t i = 0; active && i < *n; i++) {
		if (same_fwd(k->fwd, arr[i], text)) {
			active = 0;
		}
	}
	if (active && *n >= OPT_MAX_LIST) {
		errfmt(err, errlen, "too many %s entries (at most %d)", k->name, OPT_MAX_LIST);
		free(text);
		return SSH_ERR_TOO_LARGE;
	}
	if (active) {
		arr[(*n)++] = text;
	} else {
		free(text);
	}
	return 0;
}

/* PermitRemoteOpen's host:port: host (or "[host]") and a port, a service name or "*" */
static int good_open(const char *v)
{
	const char *colon, *port;
	size_t hl;

	if (v[0] == '[') {
		const char *end = strchr(v, ']');
		if (end == NULL || end[1] != ':') {
			return 0;
		}
		hl = (size_t)(end - v - 1);
		port = end + 2;
	} else {
		if ((colon = strchr(v, ':')) == NULL) {
			return 0;
		}
		hl = (size_t)(colon - v);
		port = colon + 1;
	}
	if (hl == 0 || hl > FWD_HOST_MAX) {
		return 0;
	}
	return strcmp(port, "*") == 0 || fwd_port_parse(port) > 0;
}

static int apply_permit_open(
    struct options *o, const struct args *a, int active, char *err, size_t errlen)
{
	char *text;

	for (size_t i = 1; i < a->n; i++) {
		const char *v = a->v[i];
		if (strcasecmp(v, "any") == 0 || strcasecmp(v, "none") == 0) {
			if (a->n > 2) {
				errfmt(err, errlen, "PermitRemoteOpen %s must appear alone", v);
				return SSH_ERR_FORMAT;
			}
		} else if (!good_open(v)) {
			errfmt(
			    err, errlen, "bad value '%.100s' for PermitRemoteOpen (host:port)", v);
			return SSH_ERR_FORMAT;
		}
	}
	if (!active || o->permit_remote_open != NULL) {
		return 0;
	}
	if ((text = join_values(a)) == NULL) {
		errfmt(err, errlen, "out of memory");
		return SSH_ERR_ALLOC;
	}
	o->permit_remote_open = text;
	return 0;
}

static int apply_jump(struct options *o, const struct args *a, int active, char *err, size_t errlen)
{
	struct jump_spec j;
	char cause[256];
	int r;

	if (a->n > 2) {
		errfmt(err, errlen, "too many values for ProxyJump");
		return SSH_ERR_FORMAT;
	}
	if ((r = jump_spec_parse(a->v[1], &j, cause, sizeof(cause))) != 0) {
		errfmt(err, errlen, "bad ProxyJump '%.200s': %s", a->v[1], cause);
		return r;
	}
	jump_spec_free(&j);
	if (!active || o->proxy_jump != NULL || o->proxy_command != NULL) {
		return 0; /* the first of ProxyJump and ProxyCommand wins */
	}
	if ((o->proxy_jump = strdup(a->v[1])) == NULL ||
	    (strcasecmp(a->v[1], "none") != 0 && (o->proxy_command = strdup("none")) == NULL)) {
		errfmt(err, errlen, "out of memory");
		return SSH_ERR_ALLOC;
	}
	return 0;
}

int options_fwd_apply(struct options *o, struct args *a, int active, char *err, size_t errlen)
{
	const struct fwd_kw *k = NULL;

	for (size_t i = 0; i < N_FWD_KWS && k == NULL; i++) {
		if (strcasecmp(fwd_kws[i].name, a->v[0]) == 0) {
			k = &fwd_kws[i];
		}
	}
	if (k == NULL) {
		return 1;
	}
	if (a->n < 2 || a->v[1][0] == '\0') {
		errfmt(err, errlen, "missing value for %s", k->name);
		return SSH_ERR_FORMAT;
	}
	switch (k->kind) {
	case FK_FWD:
		return apply_fwd(k, o, a, active, err, errlen);
	case FK_PERMIT_OPEN:
		return apply_permit_open(o, a, active, err, errlen);
	case FK_JUMP:
		return apply_jump(o, a, active, err, errlen);
	}
	return SSH_ERR_INTERNAL;
}

static void free_list(char **v, size_t *n)
{
	for (size_t i = 0; i < *n; i++) {
		free(v[i]);
		v[i] = NULL;
	}
	*n = 0;
}

static void clear_none(char **field, int icase)
{
	if (*field != NULL && (icase ? strcasecmp(*field, "none") : strcmp(*field, "none")) == 0) {
		free(*field);
		*field = NULL;
	}
}

void options_fwd_free(struct options *o)
{
	options_clear_forwardings(o);
	free(o->permit_remote_open);
	o->permit_remote_open = NULL;
	free(o->proxy_jump);
	o->proxy_jump = NULL;
	/* ProxyCommand's own row may free it too: NULL here, before that runs, makes that safe */
	free(o->proxy_command);
	o->proxy_command = NULL;
}

void options_clear_forwardings(struct options *o)
{
	free_list(o->local_forward, &o->n_local_forward);
	free_list(o->remote_forward, &o->n_remote_forward);
	free_list(o->dynamic_forward, &o->n_dynamic_forward);
}

void options_fwd_finish(struct options *o)
{
	/* -W: as OpenSSH, ClearAllForwardings and ExitOnForwardFailure default to yes */
	if (o->stdio_forward != NULL) {
		if (o->clear_all_forwardings == OPT_UNSET) {
			o->clear_all_forwardings = 1;
		}
		if (o->exit_on_forward_failure == OPT_UNSET) {
			o->exit_on_forward_failure = 1;
		}
	}
	if (o->clear_all_forwardings == OPT_UNSET) {
		o->clear_all_forwardings = 0;
	}
	if (o->exit_on_forward_failure == OPT_UNSET) {
		o->exit_on_forward_failure = 0;
	}
	if (o->gateway_ports == OPT_UNSET) {
		o->gateway_ports = 0;
	}
	/* ClearAllForwardings yes (its first obtained value) empties the three lists, whether
	 * they came from the files or from -L / -R / -D */
	if (o->clear_all_forwardings == 1) {
		options_clear_forwardings(o);
	}
	clear_none(&o->proxy_jump, 1);
	clear_none(&o->proxy_command, 0);
}
