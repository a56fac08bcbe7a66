/*
 * Escape sequences typed on an interactive session (ssh(1) compatible): the escape character
 * (EscapeChar, default '~') is recognised only at the start of a line (after CR or LF, or as
 * the very first byte). Only used when a pty was requested; EscapeChar none disables it.
 *
 *   ~.   disconnect          ~?   help
 *   ~^Z  suspend the client  ~~   send one escape character
 *   ~#   list the forwarded connections
 *   ~C   the "ssh>" command line (EnableEscapeCommandline): a line is collected here, from the
 *        same typed bytes, with a small editor (backspace, ^U, Enter; ^C cancels)
 *   ~x   (anything else)     both bytes are sent unchanged
 */
#ifndef X509SSH_ESCAPE_H
#define X509SSH_ESCAPE_H

#include <stddef.h>
#include <stdint.h>

enum escape_cmd {
	ESC_CMD_NONE = 0,
	ESC_CMD_DISCONNECT,
	ESC_CMD_HELP,
	ESC_CMD_SUSPEND,
	ESC_CMD_LIST,
	ESC_CMD_CMDLINE, /* ~C: the caller opens the line (escape_line_begin) or refuses */
	ESC_CMD_LINE,    /* the command line was entered: its text is in e->line */
};

#define ESCAPE_LINE_MAX 512

struct escape {
	int ch;      /* the escape character (0..255), or -1 = none (everything passes) */
	int at_bol;  /* the last byte sent ended a line (or nothing was sent yet) */
	int pending; /* the escape character was seen at the start of a line */
	int in_line; /* collecting the ~C command line */
	char line[ESCAPE_LINE_MAX];
	size_t llen;
	char echo[ESCAPE_LINE_MAX * 4]; /* what to show on the terminal for the typed bytes */
	size_t nech;
};

void escape_init(struct escape *e, int ch);

/*
 * Filter typed bytes in[0..len). The bytes to send go to out, which must have room for len + 1
 * bytes (a pending escape character followed by an unknown command yields both); returns how
 * many were written. Processing stops after a command: *used says how many input bytes were
 * consumed (len when no command was found) and *cmd which command (ESC_CMD_NONE if none).
 */
size_t escape_filter(struct escape *e, const uint8_t *in, size_t len, uint8_t *out, size_t *used,
    enum escape_cmd *cmd);

/* ~C: collect a command line from the next typed bytes (escape_filter consumes them, fills
 * e->echo, and ends with ESC_CMD_LINE on Enter; ^C cancels with an empty line). */
void escape_line_begin(struct escape *e);

/* The help text for ~? (lines end in "\r\n": the terminal is in raw mode) into buf. */
void escape_help(int ch, char *buf, size_t len);

#endif
