/* The ~C command line: one line typed after "ssh>", run on the connection's forwardings. */
#include "escape_cmd.h"

#include <stdio.h>
#include <string.h>

#include "fwd.h"

static const struct {
	const char *opt; /* matched as the start of the line */
	enum fwd_kind kind;
	int cancel;
	const char *help;
} commands[] = {
    {"-KL", FWD_LOCAL, 1, "-KL[bind_address:]port                 cancel a local forwarding"},
    {"-KD", FWD_DYNAMIC, 1, "-KD[bind_address:]port                 cancel a dynamic forwarding"},
    {"-KR", FWD_REMOTE, 1, "-KR[bind_address:]port                 cancel a remote forwarding"},
    {"-L", FWD_LOCAL, 0, "-L[bind_address:]port:host:hostport    add a local forwarding"},
    {"-D", FWD_DYNAMIC, 0,
        "-D[bind_address:]port                  add a dynamic (SOCKS) forwarding"},
    {"-R", FWD_REMOTE, 0, "-R[bind_address:]port:host:hostport    add a remote forwarding"},
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void help(char *out, size_t len)
{
	size_t n;

	snprintf(out, len, "Commands:\r\n");
	for (size_t i = 0; i < N_COMMANDS; i++) {
		n = strlen(out);
		snprintf(out + n, len - n, "      %s\r\n", commands[i].help);
	}
}

int escape_command(struct fwd *f, const char *line, char *out, size_t len)
{
	char msg[400] = "";
	size_t i;
	int r = 0;

	out[0] = '\0';
	line += strspn(line, " \t");
	if (line[0] == '\0') {
		return 0;
	}
	if (strcmp(line, "?") == 0 || strncmp(line, "-h", 2) == 0) {
		help(out, len);
		return 0;
	}
	for (i = 0; i < N_COMMANDS; i++) {
		if (strncmp(line, commands[i].opt, strlen(commands[i].opt)) == 0) {
			break;
		}
	}
	if (i == N_COMMANDS) {
		snprintf(out, len, "Invalid command.\r\n");
		return 0;
	}
	line += strlen(commands[i].opt);
	line += strspn(line, " \t");
	if (f == NULL) {
		snprintf(msg, sizeof(msg), "Port forwarding failed.");
	} else if (commands[i].cancel) {
		r = fwd_cancel(f, commands[i].kind, line, msg, sizeof(msg));
	} else {
		r = fwd_add_spec(f, commands[i].kind, line, msg, sizeof(msg));
	}
	snprintf(out, len, "%s\r\n", msg);
	return r;
}
