/*
 * ProxyJump / -J: the jump hosts, in the order they are reached (the first is connected to
 * directly, each next one through the previous). Syntax as ssh(1): comma-separated hops, each
 * "[user@]host[:port]" or "ssh://[user@]host[:port][/]", the host in [brackets] when it is an
 * IPv6 address (or any host, in the URI form); the port a number 1..65535 or a TCP service name.
 * "none" (any case, alone) means no jump host.
 */
#ifndef X509SSH_JUMPSPEC_H
#define X509SSH_JUMPSPEC_H

#include <stddef.h>

#define JUMP_MAX_HOPS 16

struct jump_hop {
	char *user; /* NULL: the jump host's own User (its Host block, else the local user) */
	char *host;
	int port;     /* -1: not given (the jump host's own Port) */
	int own_jump; /* jump_expand: this hop's own ProxyJump was looked up (and followed) */
};

struct jump_spec {
	struct jump_hop hop[JUMP_MAX_HOPS];
	size_t n; /* 0: "none" */
};

/*
 * Parse text into *j (strings malloc'd; *j emptied on error). Errors: SSH_ERR_FORMAT with a short
 * cause in err ("empty hop", "bad port 'x' in hop 'h:x'", "more than 16 hops"), SSH_ERR_ALLOC.
 */
int jump_spec_parse(const char *text, struct jump_spec *j, char *err, size_t errlen);

void jump_spec_free(struct jump_spec *j);

/*
 * ProxyJump as OpenSSH's ssh -G prints it: the hops before the last as written, the last one
 * rewritten as [user@]host[:port] (host in brackets when it holds a ':' or is all digits and
 * dots). text must parse; 0, or SSH_ERR_FORMAT / SSH_ERR_TOO_LARGE / SSH_ERR_ALLOC.
 */
int jump_spec_dump(const char *text, char *buf, size_t len);

/*
 * The ProxyJump of hop h's own Host block, for jump_expand: 0 with *spec NULL (none, or a
 * ProxyCommand took its place) or a malloc'd hop list; an error code with a cause in err.
 */
typedef int (*jump_own_fn)(
    void *arg, const struct jump_hop *h, char **spec, char *err, size_t errlen);

/*
 * The hop list text as OpenSSH walks it (ssh -J a,b runs "ssh -J a -W ... b"): the last hops of
 * a list are reached through the ones before them, so only the first hop of each list is
 * reached through the ProxyJump of its own Host block (asked of own()), recursively, and that
 * hop list goes in front of it. The result is one flat list into *out, first reached first.
 * Errors (*out emptied): SSH_ERR_FORMAT with "ProxyJump: loop: a -> b -> a" when a hop is
 * reached through itself, "ProxyJump: more than 16 hops in all", "ProxyJump: <parse error>";
 * own()'s error as it returned it.
 */
int jump_expand(
    const char *text, jump_own_fn own, void *arg, struct jump_spec *out, char *err, size_t errlen);

#endif
