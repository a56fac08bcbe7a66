/* SSH name lists and wildcard patterns (namelist.h). */
#include "namelist.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"

void namelist_begin(struct namelist_iter *it, const char *list)
{
	it->p = list != NULL && list[0] != '\0' ? list : NULL;
}

int namelist_next(struct namelist_iter *it, const char **name, size_t *len)
{
	const char *e;

	if (it->p == NULL) {
		return 0;
	}
	e = strchr(it->p, ',');
	*name = it->p;
	*len = e != NULL ? (size_t)(e - it->p) : strlen(it->p);
	it->p = e != NULL ? e + 1 : NULL;
	return 1;
}

int namelist_has_n(const char *list, const char *name, size_t len)
{
	struct namelist_iter it;
	const char *el;
	size_t n;

	if (name == NULL || len == 0) {
		return 0;
	}
	namelist_begin(&it, list);
	while (namelist_next(&it, &el, &n)) {
		if (n == len && memcmp(el, name, len) == 0) {
			return 1;
		}
	}
	return 0;
}

int namelist_contains(const char *list, const char *name)
{
	return name != NULL && namelist_has_n(list, name, strlen(name));
}

char *namelist_first_common(const char *ours, const char *theirs)
{
	struct namelist_iter it;
	const char *el;
	size_t n;

	namelist_begin(&it, ours);
	while (namelist_next(&it, &el, &n)) {
		if (namelist_has_n(theirs, el, n)) {
			return strndup(el, n);
		}
	}
	return NULL;
}

int namelist_add(char **list, const char *name, size_t len)
{
	size_t have = *list != NULL ? strlen(*list) : 0;
	char *nl;

	if (namelist_has_n(*list, name, len)) {
		return 0;
	}
	if (len > NAMELIST_MAX_LEN || have + len + 1 > NAMELIST_MAX_LEN) {
		return SSH_ERR_TOO_LARGE;
	}
	if ((nl = realloc(*list, have + len + 2)) == NULL) {
		return SSH_ERR_ALLOC;
	}
	if (have > 0) {
		nl[have++] = ',';
	}
	memcpy(nl + have, name, len);
	nl[have + len] = '\0';
	*list = nl;
	return 0;
}

static int chr_eq(char a, char b, int nocase)
{
	if (nocase) {
		if (a >= 'A' && a <= 'Z') {
			a = (char)(a - 'A' + 'a');
		}
		if (b >= 'A' && b <= 'Z') {
			b = (char)(b - 'A' + 'a');
		}
	}
	return a == b;
}

int namelist_wildmatch(const char *s, const char *p, size_t plen, int nocase)
{
	const char *pe;
	const char *star_p = NULL;
	const char *star_s = NULL;

	if (s == NULL || p == NULL) {
		return 0;
	}
	pe = p + plen;
	while (*s != '\0') {
		if (p < pe && *p == '*') {
			star_p = ++p;
			star_s = s;
			continue;
		}
		if (p < pe && (*p == '?' || chr_eq(*p, *s, nocase))) {
			p++;
			s++;
			continue;
		}
		if (star_p != NULL) {
			p = star_p;
			s = ++star_s;
			continue;
		}
		return 0;
	}
	while (p < pe && *p == '*') {
		p++;
	}
	return p == pe;
}

int namelist_pattern(const char *s, const char *pattern, int nocase)
{
	if (pattern == NULL) {
		return 0;
	}
	return namelist_wildmatch(s, pattern, strlen(pattern), nocase);
}

int namelist_match_patterns(const char *s, const char *patterns, int nocase)
{
	struct namelist_iter it;
	const char *p;
	size_t n;
	int got = 0;

	if (s == NULL) {
		return 0;
	}
	namelist_begin(&it, patterns);
	while (namelist_next(&it, &p, &n)) {
		int neg = n > 0 && *p == '!';

		if (neg) {
			p++;
			n--;
		}
		if (n > 0 && namelist_wildmatch(s, p, n, nocase)) {
			if (neg) {
				return -1;
			}
			got = 1;
		}
	}
	return got;
}
