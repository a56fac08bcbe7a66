/*
 * Where the ssh-agent's socket is, as OpenSSH finds it: IdentityAgent (a path with ~ and %
 * tokens, "SSH_AUTH_SOCK", "$VAR" or "${VAR}", "none"), else $SSH_AUTH_SOCK; and the agent
 * ForwardAgent forwards (yes: that same socket; no; a path; "$VAR").
 */
#ifndef X509SSH_AGENT_SOCK_H
#define X509SSH_AGENT_SOCK_H

#include <stddef.h>
#include <stdint.h>

#include "options.h"

/* The socket of IdentityAgent / SSH_AUTH_SOCK (malloc'd), or NULL for none; *from names the
 * setting it came from, for messages. */
char *agent_sock_path(const struct options *o, const char **from);

/* Is agent forwarding asked for (ForwardAgent other than unset / "no")? */
int agent_fwd_wanted(const struct options *o);

/* Asked for and a socket named (auth-agent-req@openssh.com goes out only then). */
int agent_fwd_ready(const struct options *o);

/* The socket ForwardAgent names (malloc'd), or NULL (not asked, or no socket: a -v line). */
char *agent_fwd_path(const struct options *o);

/* AddKeysToAgent as OpenSSH reads it: yes, no, ask, confirm, each optionally followed by a
 * time (lifetime: 90, 10m, 1h30m; s m h d w), or a time alone (= yes with that lifetime). */
enum addkeys_mode { ADDKEYS_NO = 0, ADDKEYS_YES, ADDKEYS_ASK, ADDKEYS_CONFIRM };
struct agent_addkeys {
	enum addkeys_mode mode;
	uint32_t lifetime; /* seconds, 0: none */
};
/* 0 with *out (may be NULL: only checked), or SSH_ERR_FORMAT with the cause in err. */
int agent_addkeys_parse(const char *v, struct agent_addkeys *out, char *err, size_t errlen);

#endif
