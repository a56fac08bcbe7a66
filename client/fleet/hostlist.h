/* hostlist: the destinations of a fleet run, from -h FILE text and -H arguments.
 *
 * One destination per line (or per -H): `[user@]host[:port]` or `ssh://[user@]host[:port][/]`,
 * surrounding spaces and tabs ignored, blank lines and `#` comments (a line starting with `#`,
 * or ` #...` / `\t#...` after a destination) skipped, CR LF accepted.
 *
 * Ranges, as pdsh and ClusterShell write them: a bracket group `[a-b,c,d-e/step]` in a
 * destination stands for each of its numbers in turn: `rtr[01-03,07].dc1` is rtr01, rtr02,
 * rtr03, rtr07.dc1. The width of a lower bound with a leading zero sets the zero padding of its
 * element (`[08-10]` -> 08 09 10; `[8-10]` -> 8 9 10). Several groups multiply out, leftmost
 * slowest (`r[1-2]s[1-2]` -> r1s1 r1s2 r2s1 r2s2). A group holding a `:` is an IPv6 address,
 * never a range (`[2001:db8::1]:22`, `u@[::1]`, `ssh://[::1]:2222`); a group that is not a
 * valid range and is the whole host (`[10.0.0.1]:22`) is a bracketed address as well; any
 * other group must be a valid range. A bare address with more than one `:` is refused (it
 * would be ambiguous with host:port).
 *
 * Caps (each refusal names the line): FLEET_LINE_MAX bytes per line, FLEET_GROUPS_MAX groups
 * per destination, bounds of at most FLEET_BOUND_DIGITS digits, at most FLEET_EXPAND_MAX
 * destinations from one pattern and at most max_hosts (default FLEET_EXPAND_MAX) expansions in
 * the whole list (counted before duplicates are dropped). Reversed ranges (`[5-3]`) and a step
 * of 0 are errors.
 *
 * Duplicates: a destination equal to an earlier one (same user or both none, same host
 * compared without case, same port or both none) is dropped; the first one stays where it
 * was and `duplicates` counts the dropped ones (the program may mention the count; it is not
 * an error). `rtr1` and `rtr1:22` are different entries (no port means "as configured").
 *
 * Errors: functions return 0, or -1 with one line in err: "NAME:LINE: cause" for text from a
 * file, "WHERE: cause" for fleet_hostlist_add with line 0; the program prints it as
 * `x509ssh-fleet: config: <err>`. After an error the list holds what was added before it.
 */
#ifndef X509SSH_FLEET_HOSTLIST_H
#define X509SSH_FLEET_HOSTLIST_H

#include <stddef.h>

#define FLEET_LINE_MAX     1024
#define FLEET_GROUPS_MAX   8
#define FLEET_BOUND_DIGITS 9
#define FLEET_EXPAND_MAX   100000

struct fleet_dest {
	char *user;    /* NULL when the destination names no user */
	char *host;    /* host name or address, without brackets */
	int port;      /* 1..65535, or 0 when none was given */
	char *text;    /* the destination as written, ranges expanded ("u@rtr07:22") */
	unsigned line; /* its line in the file, 0 for -H */
};

struct fleet_hostlist {
	struct fleet_dest *dest; /* in input order */
	size_t n;
	size_t duplicates; /* destinations dropped as repeats */
	size_t expanded;   /* destinations produced so far, duplicates included */
	size_t max_hosts;  /* cap on expanded; set after init to change it */
	/* private: the duplicate index */
	size_t cap, *slot, nslot;
};

void fleet_hostlist_init(struct fleet_hostlist *hl);
void fleet_hostlist_free(struct fleet_hostlist *hl);

/* one destination pattern (a -H argument, or one line); where/line name it in errors */
int fleet_hostlist_add(struct fleet_hostlist *hl, const char *text, const char *where,
    unsigned line, char *err, size_t errlen);

/* the text of a hosts file (len bytes, NUL bytes refused); name is the file's name as the
 * user gave it ("-" for stdin) */
int fleet_hostlist_parse(struct fleet_hostlist *hl, const char *buf, size_t len, const char *name,
    char *err, size_t errlen);

#endif
