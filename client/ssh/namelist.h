/*
 * SSH name lists (RFC 4251 section 5: comma-separated names) and OpenSSH's wildcard patterns,
 * for the engine and the program alike. Every element is a span of the list (no copies).
 */
#ifndef X509SSH_NAMELIST_H
#define X509SSH_NAMELIST_H

#include <stddef.h>

#define NAMELIST_MAX_LEN (64 * 1024) /* longest list namelist_add builds */

/*
 * Iterating: every comma separates two elements, so "a,,b" has an empty second element and
 * "a," an empty last one (callers that must refuse empty names see them); "" and NULL have
 * none.
 */
struct namelist_iter {
	const char *p; /* the next element; NULL when done */
};

void namelist_begin(struct namelist_iter *it, const char *list);
/* The next element as a span: 1 with *name, *len set, 0 when the list is done. */
int namelist_next(struct namelist_iter *it, const char **name, size_t *len);

/* 1 if the list holds the name exactly (len bytes; case-sensitive), else 0. An empty name is
 * never held. */
int namelist_has_n(const char *list, const char *name, size_t len);
int namelist_contains(const char *list, const char *name);

/* The first element of ours that theirs holds, malloc'd; NULL when none (or out of memory). */
char *namelist_first_common(const char *ours, const char *theirs);

/*
 * Append the len bytes of name to the malloc'd list *list (NULL = empty) unless it already holds
 * them. 0, SSH_ERR_TOO_LARGE past NAMELIST_MAX_LEN, SSH_ERR_ALLOC.
 */
int namelist_add(char **list, const char *name, size_t len);

/*
 * OpenSSH's wildcard patterns (ssh_config(5) PATTERNS): '*' matches any run of characters, '?'
 * one character, everything else itself; nocase = ASCII case-insensitive. 1 on a match, else 0.
 * One backtrack point per '*': linear, no exponential blow-up.
 */
int namelist_wildmatch(const char *s, const char *pattern, size_t plen, int nocase);
int namelist_pattern(const char *s, const char *pattern, int nocase);

/*
 * A comma-separated list of patterns, each optionally negated with '!': 1 if a positive pattern
 * matches and no negated one does, -1 if a negated pattern matches, 0 if nothing matches.
 */
int namelist_match_patterns(const char *s, const char *patterns, int nocase);

#endif
