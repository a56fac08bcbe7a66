/* Algorithm lists: the engine's tables as rows of one shape, and list resolution (algos.h). */
#include "algos.h"

#include <stdlib.h>
#include <string.h>

#include "cipher.h"
#include "err.h"
#include "log.h"
#include "sshkey.h"
#include "kexalg.h"
#include "namelist.h"

/* one algorithm of any category, as the lists see it */
struct algo_row {
	const char *name;
	int is_default; /* in the default list */
	int x509;       /* an x509v3 row: first in the defaults, only when a CA store exists */
};

/* row i of a table; 0 past the end */
typedef int (*algo_at_fn)(size_t i, struct algo_row *row);

static int kex_row(size_t i, struct algo_row *row)
{
	const struct kex_alg *a = kex_alg_at(i);

	if (a == NULL) {
		return 0;
	}
	*row = (struct algo_row){.name = a->name, .is_default = a->is_default};
	return 1;
}

static int cipher_row(size_t i, struct algo_row *row)
{
	const struct cipher_alg *a = cipher_alg_at(i);

	if (a == NULL) {
		return 0;
	}
	*row = (struct algo_row){.name = a->name, .is_default = a->is_default};
	return 1;
}

static int mac_row(size_t i, struct algo_row *row)
{
	const struct mac_alg *a = mac_alg_at(i);

	if (a == NULL) {
		return 0;
	}
	*row = (struct algo_row){.name = a->name, .is_default = a->is_default};
	return 1;
}

static int hostkey_row(size_t i, struct algo_row *row)
{
	const struct hostkey_alg *a = hostkey_alg_at(i);

	if (a == NULL) {
		return 0;
	}
	*row = (struct algo_row){.name = a->name,
	    .is_default = (a->flags & HK_FLAG_DEFAULT) != 0,
	    .x509 = (a->flags & HK_FLAG_X509) != 0};
	return 1;
}

/* OPTIONS.md: x509v3-sign-rsa (the single-certificate row) is a host-key default only */
static int pubkey_row(size_t i, struct algo_row *row)
{
	if (!hostkey_row(i, row)) {
		return 0;
	}
	if ((hostkey_alg_at(i)->flags & HK_FLAG_SINGLE_CERT) != 0) {
		row->is_default = 0;
	}
	return 1;
}

static const struct algo_category {
	const char *name;
	algo_at_fn at;
} categories[] = {
    {.name = "kex", .at = kex_row},
    {.name = "cipher", .at = cipher_row},
    {.name = "mac", .at = mac_row},
    {.name = "key", .at = hostkey_row},
    {.name = "pubkey", .at = pubkey_row},
};

static const struct algo_category *find_category(const char *name)
{
	size_t i;

	for (i = 0; name != NULL && i < sizeof(categories) / sizeof(categories[0]); i++) {
		if (strcmp(categories[i].name, name) == 0) {
			return &categories[i];
		}
	}
	return NULL;
}

/* the rows of cat (the default ones of the x509 pass, or all) appended to *out */
static int collect(char **out, const struct algo_category *cat, int want_default, int x509_pass)
{
	struct algo_row row;
	size_t i;
	int r = 0;

	for (i = 0; r == 0 && cat->at(i, &row); i++) {
		if (want_default && (!row.is_default || row.x509 != x509_pass)) {
			continue;
		}
		r = namelist_add(out, row.name, strlen(row.name));
	}
	return r;
}

char *algo_default_list(const char *category, int x509)
{
	const struct algo_category *cat = find_category(category);
	char *out = NULL;

	if (cat == NULL || (x509 && collect(&out, cat, 1, 1) != 0) ||
	    collect(&out, cat, 1, 0) != 0) {
		free(out);
		return NULL;
	}
	return out != NULL ? out : strdup("");
}

char *algo_supported_list(const char *category)
{
	const struct algo_category *cat = find_category(category);
	char *out = NULL;

	if (cat == NULL || collect(&out, cat, 0, 0) != 0) {
		free(out);
		return NULL;
	}
	return out != NULL ? out : strdup("");
}

/* every element of names not empty (names "" is one empty name) and supported (sup not NULL) */
static int check_names(const char *names, const char *sup, char *err, size_t errlen)
{
	struct namelist_iter it;
	const char *el;
	size_t n;

	if (names[0] == '\0') {
		errfmt(err, errlen, "empty algorithm name");
		return SSH_ERR_FORMAT;
	}
	namelist_begin(&it, names);
	while (namelist_next(&it, &el, &n)) {
		if (n == 0) {
			errfmt(err, errlen, "empty algorithm name");
			return SSH_ERR_FORMAT;
		}
		if (sup != NULL && !namelist_has_n(sup, el, n)) {
			errfmt(err, errlen, "unsupported algorithm '%.*s'", n > 100 ? 100 : (int)n,
			    el);
			return SSH_ERR_NO_ALGO;
		}
	}
	return 0;
}

/* 1 if name matches one of the patterns (each a wildcard pattern; no negation) */
static int matches_any(const char *name, size_t len, const char *patterns)
{
	struct namelist_iter it;
	const char *pat;
	char buf[256];
	size_t n;

	if (len >= sizeof(buf)) {
		return 0; /* longer than any table name: kept, and refused by the final check */
	}
	memcpy(buf, name, len);
	buf[len] = '\0';
	namelist_begin(&it, patterns);
	while (namelist_next(&it, &pat, &n)) {
		if (namelist_wildmatch(buf, pat, n, 0)) {
			return 1;
		}
	}
	return 0;
}

/* the elements of list, minus those matching one of drop (if not NULL), appended to *out */
static int add_all(char **out, const char *list, const char *drop)
{
	struct namelist_iter it;
	const char *el;
	size_t n;
	int r;

	namelist_begin(&it, list);
	while (namelist_next(&it, &el, &n)) {
		if (drop != NULL && matches_any(el, n, drop)) {
			continue;
		}
		if ((r = namelist_add(out, el, n)) != 0) {
			return r;
		}
	}
	return 0;
}

char *algo_list_resolve(
    const char *spec, const char *defaults, const char *supported, char *err, size_t errlen)
{
	char op = spec != NULL ? spec[0] : '\0';
	const char *names = op == '+' || op == '-' || op == '^' ? spec + 1 : spec;
	char *res = NULL;
	int r = 0;

	if (defaults == NULL || supported == NULL) {
		errfmt(err, errlen, "no algorithm table");
		return NULL;
	}
	if (names == NULL) {
		r = add_all(&res, defaults, NULL);
	} else if (op == '-') {
		/* patterns; removing a name we do not have is harmless */
		if (check_names(names, NULL, err, errlen) != 0) {
			return NULL;
		}
		r = add_all(&res, defaults, names);
	} else {
		if (check_names(names, supported, err, errlen) != 0) {
			return NULL;
		}
		if (op != '+') {
			r = add_all(&res, names, NULL); /* ^names first, or names alone */
		}
		if (r == 0 && (op == '^' || op == '+')) {
			r = add_all(&res, defaults, NULL);
		}
		if (r == 0 && op == '+') {
			r = add_all(&res, names, NULL);
		}
	}
	if (r != 0) {
		errfmt(err, errlen, "%s",
		    r == SSH_ERR_TOO_LARGE ? "algorithm list too long" : "out of memory");
		goto fail;
	}
	if (res == NULL) {
		errfmt(err, errlen, "empty algorithm list");
		goto fail;
	}
	/* the defaults must be supported too (a table inconsistency would show here) */
	if (check_names(res, supported, err, errlen) != 0) {
		goto fail;
	}
	return res;
fail:
	free(res);
	return NULL;
}

char *algo_resolve_category(
    const char *spec, const char *category, int x509, const char *keyword, char *err, size_t errlen)
{
	char *def = algo_default_list(category, x509);
	char *sup = algo_supported_list(category);
	char cause[256];
	char *res = algo_list_resolve(spec, def, sup, cause, sizeof(cause));

	free(def);
	free(sup);
	if (res == NULL) {
		errfmt(err, errlen, "%s in %s", cause, keyword);
	}
	return res;
}
