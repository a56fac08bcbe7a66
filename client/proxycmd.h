/*
 * ProxyCommand: instead of a TCP connection, a command run as OpenSSH runs it ("exec command"
 * through $SHELL, or /bin/sh) whose standard input and output are one end of a socketpair; the
 * other end is the connection's socket. Its standard error is ours.
 */
#ifndef X509SSH_PROXYCMD_H
#define X509SSH_PROXYCMD_H

#include <stddef.h>
#include <sys/types.h>

#include "options.h"

struct loop;

/* The tokens ProxyCommand takes, as OpenSSH: %h (HostName) %n (the host as given) %p %r %%. */
#define PROXYCMD_TOKENS "%hnpr"

/*
 * o->proxy_command with its tokens expanded, in a new string *out. 0; SSH_ERR_FORMAT with *bad
 * the letter of an unknown token; SSH_ERR_ALLOC.
 */
int proxycmd_expand(const struct options *o, char **out, char *bad);

/*
 * Start o->proxy_command. On success *fd is our end (non-blocking, close-on-exec) and *pid the
 * child's. On failure err holds the one line ("config: ..." for an unknown token, "connect: ..."
 * else), nothing is left running and a negative error is returned.
 */
int proxycmd_start(const struct options *o, int *fd, pid_t *pid, char *err, size_t errlen);

/*
 * The connection of l failed: when no SSH byte came from the command and it has ended (a short
 * bounded wait when its end of the socket is closed), l's error line says how it ended and the
 * child is reaped (l->proxy_pid 0). Otherwise nothing changes.
 */
void proxycmd_explain(struct loop *l);

/* The end: SIGHUP to a child still running, reaped within a short bounded wait, else SIGKILL
 * (then reaped). *pid becomes 0. Nothing for *pid <= 0. */
void proxycmd_stop(pid_t *pid);

#endif
