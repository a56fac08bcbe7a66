/* Forwarding specifications (-L, -R, -D, -W and their keywords): parse, free, format. */
#include "fwdspec.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "ssh/err.h"

#define FWD_MAX_FIELDS 4

struct fields {
	char *f[FWD_MAX_FIELDS];
	size_t n;
	int path; /* a field holds a '/': a Unix-domain socket path */
};

int fwd_port_parse(const char *s)
{
	struct servent *se;
	char *end = NULL;
	long v;

	if (s == NULL || s[0] == '\0') {
		return -1;
	}
	if (s[0] >= '0' && s[0] <= '9') {
		errno = 0;
		v = strtol(s, &end, 10);
		return errno == 0 && *end == '\0' && v >= 0 && v <= 65535 ? (int)v : -1;
	}
	if ((se = getservbyname(s, "tcp")) == NULL) {
		return -1;
	}
	return (int)ntohs((uint16_t)se->s_port);
}

/* One field at *pp: "[literal]" or characters up to ':' (a backslash takes the next one
 * literally). *pp moves past the field and its ':'; NULL when it was the last one. */
static int next_field(char **pp, struct fields *fl, char *err, size_t errlen)
{
	char *p = *pp, *start, *w;
	int more;

	if (*p == '[') {
		char *end = strchr(p + 1, ']');
		if (end == NULL) {
			errfmt(err, errlen, "missing ']'");
			return SSH_ERR_FORMAT;
		}
		if (end[1] != ':' && end[1] != '\0') {
			errfmt(err, errlen, "']' must end a field");
			return SSH_ERR_FORMAT;
		}
		more = end[1] == ':';
		*end = '\0';
		start = p + 1;
		fl->path |= strchr(start, '/') != NULL;
		p = end + 1;
	} else {
		start = w = p;
		while (*p != '\0' && *p != ':') {
			if (*p == '\\' && *++p == '\0') {
				errfmt(err, errlen, "backslash at the end");
				return SSH_ERR_FORMAT;
			}
			fl->path |= *p == '/';
			*w++ = *p++;
		}
		more = *p == ':';
		*w = '\0';
	}
	fl->f[fl->n++] = start;
	/* as OpenSSH: a ':' at the very end ends the spec without an empty field */
	*pp = more && p[1] != '\0' ? p + 1 : NULL;
	return 0;
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* s (modified in place) into fields; the keyword's "listen connect" form joins at the blank */
static int split_fields(char *s, struct fields *fl, int *spaced, char *err, size_t errlen)
{
	char *p = s, *b;
	int r;

	memset(fl, 0, sizeof(*fl));
	*spaced = 0;
	if ((b = strpbrk(s, " \t")) != NULL) {
		char *c = b;
		while (is_blank(*c)) {
			c++;
		}
		size_t open = 0;
		for (const char *q = s; q < b; q++) {
			open += *q == '[';
			open -= open > 0 && *q == ']';
		}
		if (b == s || *c == '\0' || strpbrk(c, " \t") != NULL || open > 0) {
			errfmt(err, errlen, "blanks inside a spec");
			return SSH_ERR_FORMAT;
		}
		*b = ':';
		memmove(b + 1, c, strlen(c) + 1);
		*spaced = 1;
	}
	if (*p == '\0') {
		errfmt(err, errlen, "empty spec");
		return SSH_ERR_FORMAT;
	}
	while (p != NULL) {
		if (fl->n == FWD_MAX_FIELDS) {
			errfmt(err, errlen, "too many fields (an IPv6 address goes in [brackets])");
			return SSH_ERR_FORMAT;
		}
		if ((r = next_field(&p, fl, err, errlen)) != 0) {
			return r;
		}
	}
	return 0;
}

static int set_host(char **dst, const char *h, int may_be_empty, char *err, size_t errlen)
{
	if (h[0] == '\0' && !may_be_empty) {
		errfmt(err, errlen, "missing host");
		return SSH_ERR_FORMAT;
	}
	if (strlen(h) > FWD_HOST_MAX) {
		errfmt(err, errlen, "host name too long");
		return SSH_ERR_FORMAT;
	}
	for (const char *p = h; *p != '\0'; p++) {
		if ((unsigned char)*p <= ' ' || *p == 0x7f) {
			errfmt(err, errlen, "bad host '%.100s'", h);
			return SSH_ERR_FORMAT;
		}
	}
	if ((*dst = strdup(h)) == NULL) {
		errfmt(err, errlen, "out of memory");
		return SSH_ERR_ALLOC;
	}
	return 0;
}

static int set_port(int *dst, const char *s, int allow_zero, char *err, size_t errlen)
{
	int v = fwd_port_parse(s);

	if (v < 0) {
		errfmt(err, errlen, "bad port '%.100s'", s);
		return SSH_ERR_FORMAT;
	}
	if (v == 0 && !allow_zero) {
		errfmt(err, errlen, "port 0 is not allowed here");
		return SSH_ERR_FORMAT;
	}
	*dst = v;
	return 0;
}

/* what each kind expects, for the message when the number of fields is wrong */
static const char *const expected[] = {
    [FWD_LOCAL] = "[bind_address:]port:host:hostport",
    [FWD_REMOTE] = "[bind_address:]port[:host:hostport]",
    [FWD_DYNAMIC] = "[bind_address:]port",
    [FWD_REMOTE_DYNAMIC] = "[bind_address:]port",
    [FWD_STDIO] = "host:port",
};

/* the fields' roles: listen part (0..1 bind, 1 port), connect part (host, port) */
static int assign(struct fwd_spec *s, const struct fields *fl, int spaced, char *err, size_t errlen)
{
	size_t n = fl->n, listen_n;
	int connect, r, zero_ok;

	switch (s->kind) {
	case FWD_LOCAL:
	case FWD_REMOTE:
		if (s->kind == FWD_REMOTE && !spaced && n <= 2) {
			s->kind = FWD_REMOTE_DYNAMIC;
			connect = 0;
		} else if (n >= 3) {
			connect = 1;
		} else {
			goto count;
		}
		break;
	case FWD_DYNAMIC:
	case FWD_REMOTE_DYNAMIC:
		connect = 0;
		break;
	case FWD_STDIO:
		if (n != 2) {
			goto count;
		}
		if ((r = set_host(&s->connect_host, fl->f[0], 0, err, errlen)) != 0) {
			return r;
		}
		return set_port(&s->connect_port, fl->f[1], 0, err, errlen);
	default:
		errfmt(err, errlen, "unknown forwarding kind");
		return SSH_ERR_INTERNAL;
	}
	if (spaced && !connect) {
		goto count;
	}
	listen_n = connect ? n - 2 : n;
	if (listen_n < 1 || listen_n > 2) {
		goto count;
	}
	if (listen_n == 2 && (r = set_host(&s->listen_host, fl->f[0], 1, err, errlen)) != 0) {
		return r;
	}
	zero_ok = s->kind == FWD_REMOTE || s->kind == FWD_REMOTE_DYNAMIC;
	if ((r = set_port(&s->listen_port, fl->f[listen_n - 1], zero_ok, err, errlen)) != 0) {
		return r;
	}
	if (connect && ((r = set_host(&s->connect_host, fl->f[n - 2], 0, err, errlen)) != 0 ||
	                   (r = set_port(&s->connect_port, fl->f[n - 1], 0, err, errlen)) != 0)) {
		return r;
	}
	return 0;
count:
	errfmt(err, errlen, "expected %s", expected[s->kind]);
	return SSH_ERR_FORMAT;
}

int fwd_spec_parse(
    enum fwd_kind kind, const char *text, struct fwd_spec *spec, char *err, size_t errlen)
{
	struct fields fl;
	char *copy = NULL, *s;
	size_t len;
	int r, spaced = 0;

	memset(spec, 0, sizeof(*spec));
	if (kind < FWD_LOCAL || kind > FWD_STDIO || text == NULL) {
		errfmt(err, errlen, "unknown forwarding kind");
		return SSH_ERR_INTERNAL;
	}
	spec->kind = kind;
	if ((copy = strdup(text)) == NULL) {
		errfmt(err, errlen, "out of memory");
		return SSH_ERR_ALLOC;
	}
	for (s = copy; is_blank(*s); s++) {
	}
	for (len = strlen(s); len > 0 && is_blank(s[len - 1]); len--) {
		s[len - 1] = '\0';
	}
	if ((r = split_fields(s, &fl, &spaced, err, errlen)) != 0) {
		goto out;
	}
	if (spaced && kind != FWD_LOCAL && kind != FWD_REMOTE) {
		errfmt(err, errlen, "blanks inside a spec");
		r = SSH_ERR_FORMAT;
		goto out;
	}
	if (fl.path) {
		errfmt(err, errlen, "Unix-domain socket forwarding is not supported");
		r = SSH_ERR_FORMAT;
		goto out;
	}
	r = assign(spec, &fl, spaced, err, errlen);
out:
	free(copy);
	if (r != 0) {
		fwd_spec_free(spec);
		spec->kind = kind;
	}
	return r;
}

void fwd_spec_free(struct fwd_spec *spec)
{
	if (spec == NULL) {
		return;
	}
	free(spec->listen_host);
	free(spec->connect_host);
	memset(spec, 0, sizeof(*spec));
}

/* an address for the command-line style: bracketed when it holds a ':' (or is empty) */
static const char *lb(const char *h)
{
	return h[0] == '\0' || strchr(h, ':') != NULL ? "[" : "";
}

static const char *rb(const char *h)
{
	return h[0] == '\0' || strchr(h, ':') != NULL ? "]" : "";
}

static int format_dump(const struct fwd_spec *s, char *buf, size_t len)
{
	int n;

	if (s->listen_host == NULL) {
		n = snprintf(buf, len, "%d", s->listen_port);
	} else {
		n = snprintf(buf, len, "[%s]:%d", s->listen_host, s->listen_port);
	}
	if (n >= 0 && (size_t)n < len && s->kind != FWD_DYNAMIC) {
		/* OpenSSH shows a reverse SOCKS forwarding as a connection to "socks" port 0 */
		const char *h = s->kind == FWD_REMOTE_DYNAMIC ? "socks" : s->connect_host;
		int m = snprintf(buf + n, len - (size_t)n, " [%s]:%d", h != NULL ? h : "",
		    s->kind == FWD_REMOTE_DYNAMIC ? 0 : s->connect_port);
		n = m < 0 ? m : n + m;
	}
	return n >= 0 && (size_t)n < len ? 0 : SSH_ERR_TOO_LARGE;
}

static int format_spec(const struct fwd_spec *s, char *buf, size_t len)
{
	const char *lh = s->listen_host;
	int n;

	if (s->kind == FWD_STDIO) {
		n = 0;
		buf[0] = '\0';
	} else if (lh == NULL) {
		n = snprintf(buf, len, "%d", s->listen_port);
	} else {
		n = snprintf(buf, len, "%s%s%s:%d", lb(lh), lh, rb(lh), s->listen_port);
	}
	if (n >= 0 && (size_t)n < len && s->connect_host != NULL) {
		const char *ch = s->connect_host;
		int m = snprintf(buf + n, len - (size_t)n, "%s%s%s%s:%d", n > 0 ? ":" : "", lb(ch),
		    ch, rb(ch), s->connect_port);
		n = m < 0 ? m : n + m;
	}
	return n >= 0 && (size_t)n < len ? 0 : SSH_ERR_TOO_LARGE;
}

int fwd_spec_format(const struct fwd_spec *spec, enum fwd_format style, char *buf, size_t len)
{
	if (spec == NULL || buf == NULL || len == 0) {
		return SSH_ERR_INTERNAL;
	}
	return style == FWD_FMT_DUMP ? format_dump(spec, buf, len) : format_spec(spec, buf, len);
}
