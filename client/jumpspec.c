/* ProxyJump / -J: the list of jump hosts, parsed; and its -G form. */
#include "jumpspec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fwdspec.h" /* fwd_port_parse, FWD_HOST_MAX */
#include "log.h"
#include "ssh/err.h"

/* a host name: not empty, no leading '-', none of the characters a shell, a URI or this syntax
 * would split on; ':' only in brackets */
static int good_host(const char *h, int bracketed)
{
	if (h[0] == '\0' || h[0] == '-' || strlen(h) > FWD_HOST_MAX) {
		return 0;
	}
	for (const char *p = h; *p != '\0'; p++) {
		if ((unsigned char)*p <= ' ' || *p == 0x7f ||
		    strchr("'\"`\\$;&|<>@,/[]", *p) != NULL || (*p == ':' && !bracketed)) {
			return 0;
		}
	}
	return 1;
}

/* one hop, h modified in place; `shown` is the hop as written, for messages */
static int parse_hop(char *h, const char *shown, struct jump_hop *hop, char *err, size_t errlen)
{
	char *at, *host, *port = NULL, *end;
	int bracketed = 0;

	if (strncmp(h, "ssh://", 6) == 0) {
		h += 6;
		if ((end = strchr(h, '/')) != NULL) {
			if (end[1] != '\0') {
				errfmt(err, errlen, "a path in hop '%s'", shown);
				return SSH_ERR_FORMAT;
			}
			*end = '\0';
		}
	}
	host = h;
	if ((at = strrchr(h, '@')) != NULL) {
		*at = '\0';
		host = at + 1;
		if (h[0] == '\0') {
			errfmt(err, errlen, "empty user name in hop '%s'", shown);
			return SSH_ERR_FORMAT;
		}
	}
	if (host[0] == '[') {
		if ((end = strchr(host, ']')) == NULL || (end[1] != '\0' && end[1] != ':')) {
			errfmt(err, errlen, "bad brackets in hop '%s'", shown);
			return SSH_ERR_FORMAT;
		}
		*end = '\0';
		port = end[1] == ':' ? end + 2 : NULL;
		host++;
		bracketed = 1;
	} else if ((end = strchr(host, ':')) != NULL) {
		*end = '\0';
		port = end + 1;
	}
	if (!good_host(host, bracketed)) {
		errfmt(err, errlen, "bad host name in hop '%s'%s", shown,
		    port != NULL && strchr(port, ':') != NULL
		        ? " (an IPv6 address goes in [brackets])"
		        : "");
		return SSH_ERR_FORMAT;
	}
	if (port != NULL && (hop->port = fwd_port_parse(port)) <= 0) {
		errfmt(err, errlen, "bad port '%.100s' in hop '%s'", port, shown);
		return SSH_ERR_FORMAT;
	}
	if ((at != NULL && (hop->user = strdup(h)) == NULL) || (hop->host = strdup(host)) == NULL) {
		errfmt(err, errlen, "out of memory");
		return SSH_ERR_ALLOC;
	}
	return 0;
}

int jump_spec_parse(const char *text, struct jump_spec *j, char *err, size_t errlen)
{
	char *copy = NULL, *p, *next, shown[160];
	int r = 0;

	memset(j, 0, sizeof(*j));
	if (text == NULL || text[0] == '\0') {
		errfmt(err, errlen, "empty jump host list");
		return SSH_ERR_FORMAT;
	}
	if (strcasecmp(text, "none") == 0) {
		return 0;
	}
	if ((copy = strdup(text)) == NULL) {
		errfmt(err, errlen, "out of memory");
		return SSH_ERR_ALLOC;
	}
	for (p = copy; p != NULL && r == 0; p = next) {
		if ((next = strchr(p, ',')) != NULL) {
			*next++ = '\0';
		}
		snprintf(shown, sizeof(shown), "%s", p);
		if (p[0] == '\0') {
			errfmt(err, errlen, "empty hop");
			r = SSH_ERR_FORMAT;
		} else if (j->n == JUMP_MAX_HOPS) {
			errfmt(err, errlen, "more than %d hops", JUMP_MAX_HOPS);
			r = SSH_ERR_FORMAT;
		} else {
			j->hop[j->n].port = -1;
			r = parse_hop(p, shown, &j->hop[j->n], err, errlen);
			j->n++;
		}
	}
	free(copy);
	if (r != 0) {
		jump_spec_free(j);
	}
	return r;
}

void jump_spec_free(struct jump_spec *j)
{
	if (j == NULL) {
		return;
	}
	for (size_t i = 0; i < j->n; i++) {
		free(j->hop[i].user);
		free(j->hop[i].host);
	}
	memset(j, 0, sizeof(*j));
}

int jump_spec_dump(const char *text, char *buf, size_t len)
{
	struct jump_spec j;
	const struct jump_hop *h;
	const char *comma;
	char err[256], port[16] = "";
	int r, n, br;

	if (buf == NULL || len == 0) {
		return SSH_ERR_INTERNAL;
	}
	buf[0] = '\0';
	if ((r = jump_spec_parse(text, &j, err, sizeof(err))) != 0) {
		return r;
	}
	if (j.n == 0) {
		n = snprintf(buf, len, "none");
	} else {
		h = &j.hop[j.n - 1];
		comma = strrchr(text, ',');
		br = strchr(h->host, ':') != NULL ||
		     strspn(h->host, "0123456789.") == strlen(h->host);
		if (h->port > 0) {
			snprintf(port, sizeof(port), ":%d", h->port);
		}
		n = snprintf(buf, len, "%.*s%s%s%s%s%s%s",
		    comma != NULL ? (int)(comma - text + 1) : 0, text,
		    h->user != NULL ? h->user : "", h->user != NULL ? "@" : "", br ? "[" : "",
		    h->host, br ? "]" : "", port);
	}
	jump_spec_free(&j);
	return n >= 0 && (size_t)n < len ? 0 : SSH_ERR_TOO_LARGE;
}

/* the walk of jump_expand: the first hops whose own ProxyJump is being expanded */
struct jump_walk {
	jump_own_fn own;
	void *arg;
	struct jump_spec *out;
	const struct jump_hop *stack[JUMP_MAX_HOPS];
	size_t depth;
	char *err;
	size_t errlen;
};

static int same_str(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcasecmp(a, b) == 0);
}

static int same_hop(const struct jump_hop *a, const struct jump_hop *b)
{
	return same_str(a->user, b->user) && same_str(a->host, b->host) && a->port == b->port;
}

/* "[user@]host[:port]" appended to buf (for the loop message) */
static void hop_shown(const struct jump_hop *h, char *buf, size_t len)
{
	size_t l = strlen(buf);

	if (l + 1 >= len) {
		return;
	}
	if (h->port > 0) {
		snprintf(buf + l, len - l, "%s%s%s:%d", h->user != NULL ? h->user : "",
		    h->user != NULL ? "@" : "", h->host, h->port);
	} else {
		snprintf(buf + l, len - l, "%s%s%s", h->user != NULL ? h->user : "",
		    h->user != NULL ? "@" : "", h->host);
	}
}

static int walk_loop(struct jump_walk *w, const struct jump_hop *h)
{
	char chain[512] = "";
	size_t i = 0;

	while (i < w->depth && !same_hop(w->stack[i], h)) {
		i++;
	}
	if (i == w->depth) {
		return 0;
	}
	for (; i < w->depth; i++) {
		hop_shown(w->stack[i], chain, sizeof(chain));
		strncat(chain, " -> ", sizeof(chain) - strlen(chain) - 1);
	}
	hop_shown(h, chain, sizeof(chain));
	errfmt(w->err, w->errlen, "ProxyJump: loop: %s", chain);
	return SSH_ERR_FORMAT;
}

/* append the hops of j to the flat list, moving their strings */
static int walk_append(struct jump_walk *w, struct jump_spec *j)
{
	for (size_t i = 0; i < j->n; i++) {
		if (w->out->n == JUMP_MAX_HOPS) {
			errfmt(w->err, w->errlen, "ProxyJump: more than %d hops in all",
			    JUMP_MAX_HOPS);
			return SSH_ERR_FORMAT;
		}
		w->out->hop[w->out->n++] = j->hop[i];
		memset(&j->hop[i], 0, sizeof(j->hop[i]));
	}
	return 0;
}

static int walk_list(struct jump_walk *w, const char *text)
{
	struct jump_spec j;
	char *own = NULL, cause[256];
	int r;

	if ((r = jump_spec_parse(text, &j, cause, sizeof(cause))) != 0) {
		errfmt(w->err, w->errlen, "ProxyJump: %s", cause);
		return r;
	}
	if (j.n == 0) {
		goto out; /* none */
	}
	if ((r = walk_loop(w, &j.hop[0])) != 0) {
		goto out;
	}
	if (w->depth == JUMP_MAX_HOPS) {
		errfmt(w->err, w->errlen, "ProxyJump: more than %d hops in all", JUMP_MAX_HOPS);
		r = SSH_ERR_FORMAT;
		goto out;
	}
	j.hop[0].own_jump = 1;
	if ((r = w->own(w->arg, &j.hop[0], &own, w->err, w->errlen)) != 0) {
		goto out;
	}
	if (own != NULL) {
		w->stack[w->depth++] = &j.hop[0];
		r = walk_list(w, own);
		w->depth--;
		if (r != 0) {
			goto out;
		}
	}
	r = walk_append(w, &j);
out:
	free(own);
	jump_spec_free(&j);
	return r;
}

int jump_expand(
    const char *text, jump_own_fn own, void *arg, struct jump_spec *out, char *err, size_t errlen)
{
	struct jump_walk w;
	int r;

	memset(out, 0, sizeof(*out));
	memset(&w, 0, sizeof(w));
	w.own = own;
	w.arg = arg;
	w.out = out;
	w.err = err;
	w.errlen = errlen;
	if ((r = walk_list(&w, text)) != 0) {
		jump_spec_free(out);
	}
	return r;
}
