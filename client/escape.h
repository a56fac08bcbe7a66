/*
 * Escape sequences typed on an interactive session (ssh(1) compatible): the escape character
 * (EscapeChar, default '~') is recognised only at the start of a line (after CR or LF, or as
 * the very first byte). Only used when a pty was requested; EscapeChar none disables it.
 *
 *   ~.   disconnect          ~?   help
 *   ~^Z  suspend the client  ~~   send one escape character
 *   ~#   list the forwarded connections
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
};

struct escape {
	int ch;      /* the escape character (0..255), or -1 = none (everything passes) */
	int at_bol;  /* the last byte sent ended a line (or nothing was sent yet) */
	int pending; /* the escape character was seen at the start of a line */
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

/* The help text for ~? (lines end in "\r\n": the terminal is in raw mode) into buf. */
void escape_help(int ch, char *buf, size_t len);

#endif
