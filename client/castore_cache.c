/*
 * The CA stores of one run, each kept under a key that spells out its whole configuration:
 * the four path lists slot by slot (each path prefixed by its length, so that no path can end
 * one field and start the next), then the flags and numbers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "castore_cache.h"
#include "log.h"

struct castore_entry {
	char *key; /* NULL: a free slot */
	struct certstore *store;
	unsigned long used; /* the cache's clock at the last use: the smallest goes first */
};

static struct {
	struct castore_entry e[CASTORE_CACHE_MAX];
	unsigned long clock;
} cache;

/* the key of cfg, malloc'd; NULL when out of memory */
static char *config_key(const struct certstore_config *cfg)
{
	const char *const *lists[] = {cfg->ca_files, cfg->ca_paths, cfg->crl_files, cfg->crl_paths};
	char *key = NULL;
	size_t len = 0, i, j;
	FILE *f;
	int bad;

	if ((f = open_memstream(&key, &len)) == NULL) {
		return NULL;
	}
	for (i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		fputc('[', f);
		for (j = 0; j < CERTSTORE_MAX_PATHS; j++) {
			if (lists[i][j] == NULL) {
				fputs("-;", f);
			} else {
				fprintf(f, "%zu:%s;", strlen(lists[i][j]), lists[i][j]);
			}
		}
		fputc(']', f);
	}
	fprintf(f, "explicit_ca=%d explicit_crl=%d partial=%d max_chain=%d revocation=%d",
	    cfg->explicit_ca != 0, cfg->explicit_crl != 0, cfg->allow_partial_chain != 0,
	    cfg->max_chain, cfg->revocation);
	bad = ferror(f);
	if (fclose(f) != 0 || bad) {
		free(key);
		return NULL;
	}
	return key;
}

static void entry_free(struct castore_entry *e)
{
	certstore_free(e->store);
	free(e->key);
	memset(e, 0, sizeof(*e));
}

/* a free slot, else the one used least recently */
static struct castore_entry *victim(void)
{
	struct castore_entry *v = &cache.e[0];
	size_t i;

	for (i = 0; i < CASTORE_CACHE_MAX; i++) {
		if (cache.e[i].key == NULL) {
			return &cache.e[i];
		}
		if (cache.e[i].used < v->used) {
			v = &cache.e[i];
		}
	}
	return v;
}

int castore_get(
    const struct certstore_config *cfg, struct certstore **out, char *err, size_t errlen)
{
	struct castore_entry *e;
	struct certstore *cs = NULL;
	char *key = NULL;
	size_t i;
	int r = CS_ERR_ALLOC;

	*out = NULL;
	if ((key = config_key(cfg)) == NULL) {
		errfmt(err, errlen, "out of memory");
		goto out;
	}
	for (i = 0; i < CASTORE_CACHE_MAX; i++) {
		e = &cache.e[i];
		if (e->key != NULL && strcmp(e->key, key) == 0) {
			e->used = ++cache.clock;
			*out = e->store;
			r = 0;
			goto out;
		}
	}
	if ((r = certstore_new(cfg, &cs, err, errlen)) != 0) {
		goto out;
	}
	log_debug1("x509: CA store loaded (%zu trust anchors)", certstore_anchor_count(cs));
	e = victim();
	entry_free(e);
	e->key = key;
	e->store = cs;
	e->used = ++cache.clock;
	key = NULL;
	*out = cs;
out:
	free(key);
	return r;
}

void castore_clear(void)
{
	size_t i;

	for (i = 0; i < CASTORE_CACHE_MAX; i++) {
		entry_free(&cache.e[i]);
	}
	cache.clock = 0;
}
