/* hostlist: -h FILE text and -H arguments into destinations, with pdsh/ClusterShell ranges
 * (see hostlist.h for the syntax, the caps and the duplicate rule). */
#include <ctype.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hostlist.h"

/* one element of a range group: lo..hi by step, printed with at least width digits */
struct elem {
	unsigned long lo, hi, step;
	int width;
};

/* a piece of a pattern: literal text, or a range group */
struct seg {
	const char *lit; /* literal bytes (not NUL-terminated), NULL for a group */
	size_t litlen;
	struct elem *el; /* the group's elements */
	size_t nel;
	size_t count; /* numbers in the group */
};

struct pattern {
	struct seg seg[2 * FLEET_GROUPS_MAX + 1];
	size_t nseg, ngroups, litlen;
	struct elem el[FLEET_LINE_MAX / 2 + 1]; /* a group element takes >= 2 bytes ("1,") */
	size_t nel;
};

/* "prefix: cause" into err; always -1 */
static int fail(char *err, size_t errlen, const char *where, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int fail(char *err, size_t errlen, const char *where, unsigned line, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (err == NULL || errlen == 0) {
		return -1;
	}
	if (line > 0) {
		n = snprintf(err, errlen, "%s:%u: ", where, line);
	} else {
		n = snprintf(err, errlen, "%s: ", where);
	}
	if (n < 0 || (size_t)n >= errlen) {
		return -1;
	}
	va_start(ap, fmt);
	(void)vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

/* ---------------------------------------------------------------- ranges */

/* a bound: 1..FLEET_BOUND_DIGITS digits at *p; advances *p; -1 when none */
static int parse_num(const char **p, const char *end, unsigned long *v, size_t *ndig)
{
	const char *s = *p;
	unsigned long x = 0;

	while (s < end && isdigit((unsigned char)*s) && s - *p < FLEET_BOUND_DIGITS + 1) {
		x = x * 10 + (unsigned long)(*s - '0');
		s++;
	}
	*ndig = (size_t)(s - *p);
	if (*ndig == 0 || *ndig > FLEET_BOUND_DIGITS) {
		return -1;
	}
	*v = x;
	*p = s;
	return 0;
}

/* the group text s..end ("01-40,45") into elements; 0, -1 (not a range at all: why in
 * *cause) or -2 (a range, but a bad one: cause says why) */
static int parse_group(
    struct pattern *pt, struct seg *g, const char *s, const char *end, const char **cause)
{
	const char *p = s;
	struct elem *e;
	size_t nd, nd2;
	unsigned long long count = 0;

	g->el = pt->el + pt->nel;
	g->nel = 0;
	for (;;) {
		e = pt->el + pt->nel;
		if (parse_num(&p, end, &e->lo, &nd) != 0) {
			*cause = nd > FLEET_BOUND_DIGITS ? "range bound too long" : "bad range";
			return nd > FLEET_BOUND_DIGITS ? -2 : -1;
		}
		e->width = (nd > 1 && p[-(ptrdiff_t)nd] == '0') ? (int)nd : 0;
		e->hi = e->lo;
		e->step = 1;
		if (p < end && *p == '-') {
			p++;
			if (parse_num(&p, end, &e->hi, &nd2) != 0) {
				*cause =
				    nd2 > FLEET_BOUND_DIGITS ? "range bound too long" : "bad range";
				return nd2 > FLEET_BOUND_DIGITS ? -2 : -1;
			}
			if (p < end && *p == '/') {
				p++;
				if (parse_num(&p, end, &e->step, &nd2) != 0) {
					*cause = "bad range step";
					return -2;
				}
				if (e->step == 0) {
					*cause = "range step 0";
					return -2;
				}
			}
			if (e->hi < e->lo) {
				*cause = "reversed range";
				return -2;
			}
		}
		count += (e->hi - e->lo) / e->step + 1;
		pt->nel++;
		g->nel++;
		if (p == end) {
			break;
		}
		if (*p != ',' || p + 1 == end) {
			*cause = "bad range";
			return -1;
		}
		p++;
	}
	if (count > FLEET_EXPAND_MAX) {
		*cause = "range group of too many numbers";
		return -2;
	}
	g->count = (size_t)count;
	return 0;
}

/* is the bracket group at [open, close] the whole host of the destination? */
static int whole_host(const char *start, const char *open, const char *close)
{
	const char *b = open;
	char next = close[1];

	if (!(next == '\0' || next == ':' || next == '/')) {
		return 0;
	}
	if (b == start || b[-1] == '@') {
		return 1;
	}
	return b - start == 6 && strncasecmp(start, "ssh://", 6) == 0;
}

static void add_lit(struct pattern *pt, const char *s, size_t n)
{
	struct seg *g;

	if (n == 0) {
		return;
	}
	g = &pt->seg[pt->nseg++];
	memset(g, 0, sizeof(*g));
	g->lit = s;
	g->litlen = n;
	pt->litlen += n;
}

/* split text into literal pieces and range groups; 0 or -1 (cause set) */
static int split_pattern(struct pattern *pt, const char *text, const char **cause)
{
	const char *p = text, *lit = text, *close;
	struct seg *g;
	int rc;

	memset(pt, 0, sizeof(*pt));
	while (*p != '\0') {
		if (*p == ']') {
			*cause = "unbalanced ']'";
			return -1;
		}
		if (*p != '[') {
			p++;
			continue;
		}
		close = p + 1;
		while (*close != '\0' && *close != ']' && *close != '[') {
			close++;
		}
		if (*close != ']') {
			*cause = "unbalanced '['";
			return -1;
		}
		if (memchr(p, ':', (size_t)(close - p)) != NULL) {
			p = close + 1; /* an IPv6 address: literal */
			continue;
		}
		if (pt->ngroups == FLEET_GROUPS_MAX || pt->nseg + 2 > 2 * FLEET_GROUPS_MAX + 1) {
			*cause = "too many range groups";
			return -1;
		}
		add_lit(pt, lit, (size_t)(p - lit));
		g = &pt->seg[pt->nseg];
		memset(g, 0, sizeof(*g));
		rc = parse_group(pt, g, p + 1, close, cause);
		if (rc == -1 && whole_host(text, p, close)) {
			/* "[10.0.0.1]:22": a bracketed address; the literal restarts at '[' */
			pt->nel -= g->nel;
			lit = p;
			p = close + 1;
			continue;
		}
		if (rc != 0) {
			return -1;
		}
		pt->nseg++;
		pt->ngroups++;
		p = close + 1;
		lit = p;
	}
	add_lit(pt, lit, (size_t)(p - lit));
	return 0;
}

/* ---------------------------------------------------------------- one destination */

static int host_char(int c, int v6)
{
	if (isalnum(c) || c == '.' || c == '-' || c == '_') {
		return 1;
	}
	return v6 && (c == ':' || c == '%');
}

/* s = "[user@]host[:port]" or the ssh:// form into d (user and host allocated); 0 or -1 */
static int parse_dest(const char *s, struct fleet_dest *d, const char **cause)
{
	const char *hp, *at, *port = NULL, *hend, *end = s + strlen(s), *h, *q;
	int bracketed = 0, v6;
	unsigned long v = 0;

	memset(d, 0, sizeof(*d));
	if (strncasecmp(s, "ssh://", 6) == 0) {
		s += 6;
		if (end > s && end[-1] == '/') {
			end--;
		}
	}
	at = NULL;
	for (q = s; q < end; q++) {
		if (*q == '@') {
			at = q;
		}
	}
	hp = s;
	if (at != NULL) {
		if (at == s) {
			*cause = "empty user name";
			return -1;
		}
		if (*s == '-') {
			*cause = "user name starts with '-'";
			return -1;
		}
		for (q = s; q < at; q++) {
			if (iscntrl((unsigned char)*q) || *q == ' ' || *q == '\t' || *q == '/') {
				*cause = "bad character in the user name";
				return -1;
			}
		}
		hp = at + 1;
	}
	if (hp < end && *hp == '[') {
		bracketed = 1;
		h = hp + 1;
		hend = memchr(h, ']', (size_t)(end - h));
		if (hend == NULL) {
			*cause = "unbalanced '['";
			return -1;
		}
		q = hend + 1;
		if (q < end) {
			if (*q != ':') {
				*cause = "text after ']'";
				return -1;
			}
			port = q + 1;
		}
	} else {
		h = hp;
		hend = memchr(h, ':', (size_t)(end - h));
		if (hend == NULL) {
			hend = end;
		} else {
			if (memchr(hend + 1, ':', (size_t)(end - hend - 1)) != NULL) {
				*cause = "an IPv6 address goes in [brackets]";
				return -1;
			}
			port = hend + 1;
		}
	}
	if (hend == h) {
		*cause = "empty host name";
		return -1;
	}
	if (*h == '-' || (hend - h) > 255) {
		*cause = *h == '-' ? "host name starts with '-'" : "host name too long";
		return -1;
	}
	/* ':' and '%' (a zone) only in an IPv6 address; "[10.0.0.1]" is a plain name */
	v6 = bracketed && memchr(h, ':', (size_t)(hend - h)) != NULL;
	for (q = h; q < hend; q++) {
		if (!host_char((unsigned char)*q, v6)) {
			*cause = "bad character in the host name";
			return -1;
		}
	}
	if (port != NULL) {
		if (port == end || end - port > 5) {
			*cause = "bad port";
			return -1;
		}
		for (q = port; q < end; q++) {
			if (!isdigit((unsigned char)*q)) {
				*cause = "bad port";
				return -1;
			}
			v = v * 10 + (unsigned long)(*q - '0');
		}
		if (v == 0 || v > 65535) {
			*cause = "bad port";
			return -1;
		}
		d->port = (int)v;
	}
	d->host = strndup(h, (size_t)(hend - h));
	if (at != NULL) {
		d->user = strndup(s, (size_t)(at - s));
	}
	if (d->host == NULL || (at != NULL && d->user == NULL)) {
		free(d->host);
		free(d->user);
		*cause = "out of memory";
		return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------- the duplicate index */

#define FNV_BASIS ((uint64_t)14695981039346656037u)
#define FNV_PRIME ((uint64_t)1099511628211u)

static uint64_t dest_hash(const struct fleet_dest *d)
{
	uint64_t h = FNV_BASIS;
	const char *p;

	for (p = d->host; *p != '\0'; p++) {
		h = (h ^ (unsigned char)tolower((unsigned char)*p)) * FNV_PRIME;
	}
	h = (h ^ (uint64_t)(d->user != NULL)) * FNV_PRIME;
	for (p = d->user != NULL ? d->user : ""; *p != '\0'; p++) {
		h = (h ^ (unsigned char)*p) * FNV_PRIME;
	}
	return (h ^ (uint64_t)(unsigned)d->port) * FNV_PRIME;
}

static int dest_same(const struct fleet_dest *a, const struct fleet_dest *b)
{
	if (a->port != b->port || strcasecmp(a->host, b->host) != 0) {
		return 0;
	}
	if (a->user == NULL || b->user == NULL) {
		return a->user == b->user;
	}
	return strcmp(a->user, b->user) == 0;
}

/* slot of d in the index: where it is (*found = 1) or where it goes */
static size_t index_find(const struct fleet_hostlist *hl, const struct fleet_dest *d, int *found)
{
	size_t i = (size_t)dest_hash(d) & (hl->nslot - 1);

	*found = 0;
	while (hl->slot[i] != 0) {
		if (dest_same(&hl->dest[hl->slot[i] - 1], d)) {
			*found = 1;
			break;
		}
		i = (i + 1) & (hl->nslot - 1);
	}
	return i;
}

/* keep the index at most half full; 0 or -1 */
static int index_grow(struct fleet_hostlist *hl)
{
	size_t n = hl->nslot == 0 ? 64 : hl->nslot * 2, i, j, *old = hl->slot, oldn = hl->nslot;
	int found;

	if (hl->n + 1 <= hl->nslot / 2) {
		return 0;
	}
	hl->slot = calloc(n, sizeof(*hl->slot));
	if (hl->slot == NULL) {
		hl->slot = old;
		return -1;
	}
	hl->nslot = n;
	for (i = 0; i < oldn; i++) {
		if (old[i] != 0) {
			j = index_find(hl, &hl->dest[old[i] - 1], &found);
			hl->slot[j] = old[i];
		}
	}
	free(old);
	return 0;
}

static void dest_clear(struct fleet_dest *d)
{
	free(d->user);
	free(d->host);
	free(d->text);
	memset(d, 0, sizeof(*d));
}

/* add one expanded destination; 0 or -1 (cause set) */
static int add_one(struct fleet_hostlist *hl, const char *text, unsigned line, const char **cause)
{
	struct fleet_dest d, *nd;
	size_t i;
	int found, rc = -1;

	if (parse_dest(text, &d, cause) != 0) {
		return -1;
	}
	d.line = line;
	*cause = "out of memory";
	if (index_grow(hl) != 0) {
		goto out;
	}
	i = index_find(hl, &d, &found);
	if (found) {
		hl->duplicates++;
		rc = 0;
		goto out;
	}
	if (hl->n == hl->cap) {
		size_t cap = hl->cap == 0 ? 16 : hl->cap * 2;
		nd = realloc(hl->dest, cap * sizeof(*nd));
		if (nd == NULL) {
			goto out;
		}
		hl->dest = nd;
		hl->cap = cap;
	}
	d.text = strdup(text);
	if (d.text == NULL) {
		goto out;
	}
	hl->dest[hl->n++] = d;
	hl->slot[i] = hl->n;
	memset(&d, 0, sizeof(d)); /* the list owns it now */
	rc = 0;
out:
	dest_clear(&d);
	return rc;
}

/* the value of number k (0-based) of group g */
static unsigned long group_value(const struct seg *g, size_t k, int *width)
{
	size_t i, n;

	for (i = 0; i < g->nel; i++) {
		n = (g->el[i].hi - g->el[i].lo) / g->el[i].step + 1;
		if (k < n) {
			*width = g->el[i].width;
			return g->el[i].lo + k * g->el[i].step;
		}
		k -= n;
	}
	*width = 0;
	return 0;
}

/* ---------------------------------------------------------------- the entry points */

void fleet_hostlist_init(struct fleet_hostlist *hl)
{
	memset(hl, 0, sizeof(*hl));
	hl->max_hosts = FLEET_EXPAND_MAX;
}

void fleet_hostlist_free(struct fleet_hostlist *hl)
{
	size_t i;

	for (i = 0; i < hl->n; i++) {
		dest_clear(&hl->dest[i]);
	}
	free(hl->dest);
	free(hl->slot);
	memset(hl, 0, sizeof(*hl));
}

int fleet_hostlist_add(struct fleet_hostlist *hl, const char *text, const char *where,
    unsigned line, char *err, size_t errlen)
{
	struct pattern *pt = NULL;
	size_t idx[FLEET_GROUPS_MAX], i, g, total = 1;
	char *buf = NULL, *o;
	const char *cause = NULL;
	unsigned long v;
	int width, rc = -1;

	if (strlen(text) > FLEET_LINE_MAX) {
		return fail(
		    err, errlen, where, line, "destination longer than %d bytes", FLEET_LINE_MAX);
	}
	if (*text == '\0') {
		return fail(err, errlen, where, line, "empty destination");
	}
	pt = malloc(sizeof(*pt));
	buf = malloc(FLEET_LINE_MAX + FLEET_GROUPS_MAX * (FLEET_BOUND_DIGITS + 1) + 1);
	if (pt == NULL || buf == NULL) {
		fail(err, errlen, where, line, "out of memory");
		goto out;
	}
	if (split_pattern(pt, text, &cause) != 0) {
		fail(err, errlen, where, line, "%s in '%s'", cause, text);
		goto out;
	}
	for (i = 0; i < pt->nseg; i++) {
		if (pt->seg[i].lit == NULL) {
			total *= pt->seg[i].count;
			if (total > FLEET_EXPAND_MAX) {
				fail(err, errlen, where, line, "'%s' expands to more than %d hosts",
				    text, FLEET_EXPAND_MAX);
				goto out;
			}
		}
	}
	if (total > hl->max_hosts || hl->expanded > hl->max_hosts - total) {
		fail(err, errlen, where, line, "more than %zu hosts in all", hl->max_hosts);
		goto out;
	}
	memset(idx, 0, sizeof(idx));
	for (;;) {
		o = buf;
		for (i = 0, g = 0; i < pt->nseg; i++) {
			if (pt->seg[i].lit != NULL) {
				memcpy(o, pt->seg[i].lit, pt->seg[i].litlen);
				o += pt->seg[i].litlen;
			} else {
				v = group_value(&pt->seg[i], idx[g++], &width);
				o += sprintf(o, "%0*lu", width, v);
			}
		}
		*o = '\0';
		hl->expanded++;
		if (add_one(hl, buf, line, &cause) != 0) {
			fail(err, errlen, where, line, "%s in '%s'", cause, buf);
			goto out;
		}
		/* the odometer: the rightmost group turns fastest */
		for (g = pt->ngroups, i = pt->nseg; g > 0; i--) {
			if (pt->seg[i - 1].lit != NULL) {
				continue;
			}
			g--;
			if (++idx[g] < pt->seg[i - 1].count) {
				break;
			}
			idx[g] = 0;
		}
		if (g == 0 && (pt->ngroups == 0 || idx[0] == 0)) {
			break;
		}
	}
	rc = 0;
out:
	free(pt);
	free(buf);
	return rc;
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

int fleet_hostlist_parse(struct fleet_hostlist *hl, const char *buf, size_t len, const char *name,
    char *err, size_t errlen)
{
	char line[FLEET_LINE_MAX + 1];
	const char *p = buf, *end = buf + len, *nl, *s, *e, *q;
	unsigned lineno = 0;

	while (p < end) {
		lineno++;
		nl = memchr(p, '\n', (size_t)(end - p));
		e = nl != NULL ? nl : end;
		if (memchr(p, '\0', (size_t)(e - p)) != NULL) {
			return fail(err, errlen, name, lineno, "NUL byte in the line");
		}
		if ((size_t)(e - p) > FLEET_LINE_MAX + 1) {
			return fail(
			    err, errlen, name, lineno, "line longer than %d bytes", FLEET_LINE_MAX);
		}
		s = p;
		p = nl != NULL ? nl + 1 : end;
		if (e > s && e[-1] == '\r') {
			e--;
		}
		for (q = s; q < e; q++) {
			if (*q == '#' && (q == s || is_blank(q[-1]))) {
				e = q;
				break;
			}
		}
		while (s < e && is_blank(*s)) {
			s++;
		}
		while (e > s && is_blank(e[-1])) {
			e--;
		}
		if (s == e) {
			continue;
		}
		if ((size_t)(e - s) > FLEET_LINE_MAX) {
			return fail(
			    err, errlen, name, lineno, "line longer than %d bytes", FLEET_LINE_MAX);
		}
		for (q = s; q < e; q++) {
			if (is_blank(*q)) {
				return fail(err, errlen, name, lineno,
				    "more than one destination on the line");
			}
			if (iscntrl((unsigned char)*q)) {
				return fail(
				    err, errlen, name, lineno, "control character in the line");
			}
		}
		memcpy(line, s, (size_t)(e - s));
		line[e - s] = '\0';
		if (fleet_hostlist_add(hl, line, name, lineno, err, errlen) != 0) {
			return -1;
		}
	}
	return 0;
}
