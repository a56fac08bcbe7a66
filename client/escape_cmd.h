/*
 * The ~C command line (EnableEscapeCommandline), as OpenSSH's: "-L spec", "-D spec", "-R spec"
 * add a forwarding, "-KL [bind:]port", "-KD ...", "-KR ..." cancel one, "?" or "-h" help.
 */
#ifndef X509SSH_ESCAPE_CMD_H
#define X509SSH_ESCAPE_CMD_H

#include <stddef.h>

struct fwd;

/* Run one command line on f (NULL: nothing can be forwarded); what to show goes to out, lines
 * ending in "\r\n" (the terminal is raw). Negative only for a broken connection or memory. */
int escape_command(struct fwd *f, const char *line, char *out, size_t len);

#endif
