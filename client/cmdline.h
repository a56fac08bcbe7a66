/* The x509ssh command line: OpenSSH's flags, each mapped onto its keyword where it has one. */
#ifndef X509SSH_CMDLINE_H
#define X509SSH_CMDLINE_H

#include "options.h"

struct cmdline {
	int log_level;       /* from -v / -q, OPT_UNSET if none */
	const char *config;  /* -F */
	const char *query;   /* -Q */
	const char *ctl_cmd; /* -O */
	int dump;            /* -G */
	int syslog;          /* -y: accepted, logs stay on stderr */
	const char *dest;
	char *command; /* the remaining arguments joined with spaces; NULL if none */
};

enum { CMDLINE_OK = 0, CMDLINE_USAGE = 1, CMDLINE_EXIT0 = 2, CMDLINE_FAIL = -1 };

/*
 * Parse argv into o and a. CMDLINE_OK; CMDLINE_USAGE (no destination: the caller prints the
 * usage); CMDLINE_EXIT0 (-V printed the version); CMDLINE_FAIL with the error line (and for an
 * unknown flag or a missing argument, the usage text) already printed.
 */
int cmdline_parse(int argc, char **argv, struct options *o, struct cmdline *a);

void cmdline_usage(void);

/* -Q: print the list asked for on stdout; 0, or -1 with the error line printed. */
int cmdline_query(const char *what);

/*
 * OpenSSH's %-tokens of ControlPath and RemoteCommand in in, for a finished o, into out: %% %C %d
 * %h %i %j %k %L %l %n %p %r %T %u. 0; -1 when out is too small; -2 for an unknown token (the
 * character after the '%' in *bad).
 */
int cmdline_expand(const struct options *o, const char *in, char *out, size_t len, char *bad);
/* The same with only the tokens whose letters are in only (NULL: all of them); any other is
 * unknown (ProxyCommand takes "%hnpr", as OpenSSH). */
int cmdline_expand_only(
    const struct options *o, const char *in, const char *only, char *out, size_t len, char *bad);

/* -O ctl_cmd for a finished o: no master ever runs, so this answers as OpenSSH does when none
 * runs, printing the error line; always -1. */
int cmdline_control(const struct options *o, const char *cmd);

#endif
