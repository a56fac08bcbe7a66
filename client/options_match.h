/* Match lines of ssh_config(5) (options_match.c), for the config file reader (options_file.c). */
#ifndef X509SSH_OPTIONS_MATCH_H
#define X509SSH_OPTIONS_MATCH_H

#include <stddef.h>

#include "options_int.h"

#include "conn.h"

/* What Match reports back as our version ("Match version"): the software part of the
 * identification line we send. */
#define OPTIONS_MATCH_VERSION SSH_SOFTWARE_VERSION

/* One reading of the config files. */
struct cfg_pass {
	int final;      /* the final pass: only there do "canonical" and "final" match */
	int want_final; /* set by any Match line with a non-negated "final" */
};

/*
 * Evaluate the criteria of a split "Match ..." line (a->v[0] is "Match") for o: *result 1 when
 * every criterion holds, else 0. `where` is "FILE:LINE" for -vvv lines. An "exec" criterion runs
 * its command (tokens expanded) through the user's shell unless an earlier criterion of the
 * line already failed. Errors (unknown criterion, missing argument, bad CIDR list, a command
 * that could not run) as one cause in err, negative return.
 */
int options_match_line(const struct options *o, const struct args *a, struct cfg_pass *pass,
    const char *where, int *result, char *err, size_t errlen);

/* The host Match host and the final pass compare: HostName with %h (and %%) expanded, else the
 * host as given; malloc'd, NULL when out of memory. */
char *options_match_host(const struct options *o);

#endif
