/* Escape sequences of interactive sessions: a small byte filter, no I/O. */
#include <stdio.h>

#include "escape.h"

#include <string.h>

#define CTRL_Z 0x1a
#define CTRL_C 0x03
#define CTRL_U 0x15

void escape_init(struct escape *e, int ch)
{
	e->ch = ch >= 0 && ch <= 255 ? ch : -1;
	e->at_bol = 1;
	e->pending = 0;
	e->in_line = 0;
	e->llen = 0;
	e->nech = 0;
}

void escape_line_begin(struct escape *e)
{
	e->in_line = 1;
	e->llen = 0;
	e->line[0] = '\0';
}

static void echo_add(struct escape *e, const char *s)
{
	size_t n = strlen(s);

	if (e->nech + n <= sizeof(e->echo)) {
		memcpy(e->echo + e->nech, s, n);
		e->nech += n;
	}
}

/* one byte of the command line; 1 when the line is over (entered or cancelled) */
static int line_byte(struct escape *e, uint8_t b)
{
	char c[2] = {(char)b, '\0'};

	if (b == '\r' || b == '\n' || b == CTRL_C) {
		if (b == CTRL_C) {
			e->llen = 0;
		}
		e->line[e->llen] = '\0';
		e->in_line = 0;
		echo_add(e, "\r\n");
		return 1;
	}
	if ((b == 0x7f || b == 0x08) && e->llen > 0) {
		e->llen--;
		echo_add(e, "\b \b");
	} else if (b == CTRL_U) {
		for (; e->llen > 0; e->llen--) {
			echo_add(e, "\b \b");
		}
	} else if (b >= 0x20 && b < 0x7f && e->llen + 1 < sizeof(e->line)) {
		e->line[e->llen++] = (char)b;
		echo_add(e, c);
	}
	return 0;
}

/* the byte after the escape character, and what it asks for */
static const struct {
	uint8_t key;
	enum escape_cmd cmd;
} commands[] = {
    {.key = '.', .cmd = ESC_CMD_DISCONNECT},
    {.key = '?', .cmd = ESC_CMD_HELP},
    {.key = CTRL_Z, .cmd = ESC_CMD_SUSPEND},
    {.key = '#', .cmd = ESC_CMD_LIST},
    {.key = 'C', .cmd = ESC_CMD_CMDLINE},
};

size_t escape_filter(struct escape *e, const uint8_t *in, size_t len, uint8_t *out, size_t *used,
    enum escape_cmd *cmd)
{
	size_t i, n = 0;

	*cmd = ESC_CMD_NONE;
	for (i = 0; i < len; i++) {
		uint8_t b = in[i];
		if (e->in_line) {
			if (line_byte(e, b)) {
				*cmd = ESC_CMD_LINE;
				*used = i + 1;
				e->at_bol = 1;
				return n;
			}
			continue;
		}
		if (e->ch < 0) {
			out[n++] = b;
			continue;
		}
		if (e->pending) {
			e->pending = 0;
			for (size_t k = 0; k < sizeof(commands) / sizeof(commands[0]); k++) {
				if (b == commands[k].key) {
					*cmd = commands[k].cmd;
				}
			}
			if (*cmd != ESC_CMD_NONE) {
				/* still at the start of a line: another escape may follow */
				*used = i + 1;
				return n;
			}
			if (b != (uint8_t)e->ch) {
				out[n++] =
				    (uint8_t)e->ch; /* not a command: both bytes go through */
			}
			out[n++] = b;
			e->at_bol = b == '\r' || b == '\n';
			continue;
		}
		if (e->at_bol && b == (uint8_t)e->ch) {
			e->pending = 1;
			continue;
		}
		out[n++] = b;
		e->at_bol = b == '\r' || b == '\n';
	}
	*used = len;
	return n;
}

void escape_help(int ch, char *buf, size_t len)
{
	char c[8];

	if (ch < 32) {
		snprintf(c, sizeof(c), "^%c", ch + 64);
	} else {
		snprintf(c, sizeof(c), "%c", ch);
	}
	snprintf(buf, len,
	    "Supported escape sequences:\r\n"
	    " %s.   - terminate connection\r\n"
	    " %s^Z  - suspend x509ssh\r\n"
	    " %s#   - list forwarded connections\r\n"
	    " %sC   - open a command line\r\n"
	    " %s?   - this message\r\n"
	    " %s%s   - send the escape character by typing it twice\r\n"
	    "(Note that escapes are only recognized immediately after newline.)\r\n",
	    c, c, c, c, c, c, c);
}
