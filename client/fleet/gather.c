/* gather: identical results grouped under one folded host list (see gather.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fold.h"
#include "gather.h"

struct block {
	char *detail;
	unsigned char *out, *err;
	size_t outlen, errlen;
	uint64_t hash;
	const char **hosts; /* pointers into fleet_gather.names */
	size_t nhosts, caphosts;
};

struct fleet_gather {
	struct block *b;
	size_t nb, capb;
	size_t *slot, nslot; /* index + 1 of a block, by hash */
	char **names;
	size_t nnames, capnames;
};

static const char dashes[] = "---------------\n";

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;
	size_t i;

	for (i = 0; i < n; i++) {
		h = (h ^ s[i]) * (uint64_t)1099511628211u;
	}
	/* the length too, so that ("ab","") and ("a","b") differ */
	return (h ^ (uint64_t)n) * (uint64_t)1099511628211u;
}

static int block_is(const struct block *b, uint64_t h, const char *detail, const void *out,
    size_t outlen, const void *err, size_t errlen)
{
	if (b->hash != h || b->outlen != outlen || b->errlen != errlen) {
		return 0;
	}
	if ((b->detail == NULL) != (detail == NULL) ||
	    (detail != NULL && strcmp(b->detail, detail) != 0)) {
		return 0;
	}
	return (outlen == 0 || memcmp(b->out, out, outlen) == 0) &&
	       (errlen == 0 || memcmp(b->err, err, errlen) == 0);
}

struct fleet_gather *fleet_gather_new(void)
{
	return calloc(1, sizeof(struct fleet_gather));
}

void fleet_gather_free(struct fleet_gather *g)
{
	size_t i;

	if (g == NULL) {
		return;
	}
	for (i = 0; i < g->nb; i++) {
		free(g->b[i].detail);
		free(g->b[i].out);
		free(g->b[i].err);
		free(g->b[i].hosts);
	}
	for (i = 0; i < g->nnames; i++) {
		free(g->names[i]);
	}
	free(g->b);
	free(g->slot);
	free(g->names);
	free(g);
}

/* keep the slot table at most half full; 0 or -1 */
static int slots_grow(struct fleet_gather *g)
{
	size_t n, i, j, *s;

	if (g->nb + 1 <= g->nslot / 2) {
		return 0;
	}
	n = g->nslot == 0 ? 64 : g->nslot * 2;
	s = calloc(n, sizeof(*s));
	if (s == NULL) {
		return -1;
	}
	for (i = 0; i < g->nb; i++) {
		for (j = (size_t)g->b[i].hash & (n - 1); s[j] != 0; j = (j + 1) & (n - 1)) {
		}
		s[j] = i + 1;
	}
	free(g->slot);
	g->slot = s;
	g->nslot = n;
	return 0;
}

static void *dup_bytes(const void *p, size_t n)
{
	void *q = malloc(n == 0 ? 1 : n);

	if (q != NULL && n > 0) {
		memcpy(q, p, n);
	}
	return q;
}

/* grow an array of elements of size es to hold one more; 0 or -1 */
static int grow(void **arr, size_t n, size_t *cap, size_t es)
{
	void *p;
	size_t c;

	if (n < *cap) {
		return 0;
	}
	c = *cap == 0 ? 16 : *cap * 2;
	p = realloc(*arr, c * es);
	if (p == NULL) {
		return -1;
	}
	*arr = p;
	*cap = c;
	return 0;
}

int fleet_gather_add(struct fleet_gather *g, const char *host, const char *detail, const void *out,
    size_t outlen, const void *err, size_t errlen)
{
	uint64_t h = (uint64_t)14695981039346656037u;
	struct block *b = NULL;
	char *name;
	size_t j;

	h = fnv(h, detail != NULL ? detail : "", detail != NULL ? strlen(detail) + 1 : 0);
	h = fnv(h, out, outlen);
	h = fnv(h, err, errlen);
	if (slots_grow(g) != 0 ||
	    grow((void **)&g->names, g->nnames, &g->capnames, sizeof(*g->names)) != 0) {
		return -1;
	}
	for (j = (size_t)h & (g->nslot - 1); g->slot[j] != 0; j = (j + 1) & (g->nslot - 1)) {
		if (block_is(&g->b[g->slot[j] - 1], h, detail, out, outlen, err, errlen)) {
			b = &g->b[g->slot[j] - 1];
			break;
		}
	}
	if (b == NULL) {
		if (grow((void **)&g->b, g->nb, &g->capb, sizeof(*g->b)) != 0) {
			return -1;
		}
		b = &g->b[g->nb];
		memset(b, 0, sizeof(*b));
		b->hash = h;
		b->outlen = outlen;
		b->errlen = errlen;
		b->out = dup_bytes(out, outlen);
		b->err = dup_bytes(err, errlen);
		b->detail = detail != NULL ? strdup(detail) : NULL;
		if (b->out == NULL || b->err == NULL || (detail != NULL && b->detail == NULL)) {
			free(b->out);
			free(b->err);
			free(b->detail);
			return -1;
		}
		g->slot[j] = ++g->nb;
	}
	if (grow((void **)&b->hosts, b->nhosts, &b->caphosts, sizeof(*b->hosts)) != 0) {
		return -1;
	}
	name = strdup(host);
	if (name == NULL) {
		return -1;
	}
	g->names[g->nnames++] = name;
	b->hosts[b->nhosts++] = name;
	return 0;
}

/* bytes, with a newline added when they do not end in one */
static void add_text(struct fleet_sb *sb, const unsigned char *p, size_t n)
{
	fleet_sb_add(sb, p, n);
	if (n > 0 && p[n - 1] != '\n') {
		fleet_sb_ch(sb, '\n');
	}
}

int fleet_gather_write(const struct fleet_gather *g, struct fleet_sb *sb)
{
	size_t i;
	const struct block *b;

	for (i = 0; i < g->nb; i++) {
		b = &g->b[i];
		if (b->nhosts == 0) {
			continue; /* made by an add that then ran out of memory */
		}
		fleet_sb_str(sb, dashes);
		if (fleet_fold(sb, b->hosts, b->nhosts) != 0) {
			return -1;
		}
		fleet_sb_printf(sb, " (%zu)", b->nhosts);
		if (b->detail != NULL) {
			fleet_sb_printf(sb, ": %s", b->detail);
		}
		fleet_sb_ch(sb, '\n');
		fleet_sb_str(sb, dashes);
		add_text(sb, b->out, b->outlen);
		if (b->errlen > 0) {
			fleet_sb_str(sb, "--- stderr\n");
			add_text(sb, b->err, b->errlen);
		}
	}
	return sb->err ? -1 : 0;
}
