/* Escape filter: known answers, commands only at the start of a line, chunking invariance. */
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "t.h"

/* Run s through a fresh filter in chunks of `chunk` bytes; commands are recorded as "<.>",
 * "<?>", "<Z>" in the output string. */
static void run(int ch, const char *s, size_t chunk, char *res, size_t max)
{
	struct escape e;
	const uint8_t *p = (const uint8_t *)s;
	size_t len = strlen(s), off = 0, n = 0;
	uint8_t out[256];

	escape_init(&e, ch);
	while (off < len) {
		size_t take = len - off < chunk ? len - off : chunk, used = 0, k;
		enum escape_cmd cmd;
		k = escape_filter(&e, p + off, take, out, &used, &cmd);
		CHECK(k <= take + 1);
		CHECK(used >= 1 && used <= take);
		for (size_t i = 0; i < k && n + 1 < max; i++) {
			res[n++] = (char)out[i];
		}
		if (cmd != ESC_CMD_NONE && n + 3 < max) {
			static const char *const tags[] = {[ESC_CMD_DISCONNECT] = "<.>",
			    [ESC_CMD_HELP] = "<?>",
			    [ESC_CMD_SUSPEND] = "<Z>",
			    [ESC_CMD_LIST] = "<#>"};
			const char *tag = tags[cmd];
			memcpy(res + n, tag, 3);
			n += 3;
		} else {
			CHECK(cmd != ESC_CMD_NONE || used == take);
		}
		off += used;
	}
	res[n] = '\0';
}

static void check(int ch, const char *in, const char *want)
{
	char res[512];

	for (size_t chunk = 1; chunk <= strlen(in) + 1; chunk++) {
		run(ch, in, chunk, res, sizeof(res));
		if (strcmp(res, want) != 0) {
			fprintf(stderr, "input '%s' chunk %zu: got '%s', want '%s'\n", in, chunk,
			    res, want);
		}
		CHECK_STR(res, want);
	}
}

/* ~C: the command line is collected from the typed bytes, with its small editor */
static void test_cmdline(void)
{
	static const struct {
		const char *typed, *line, *echo;
	} cases[] = {
	    {"-L 1:h:2\r", "-L 1:h:2", "-L 1:h:2\r\n"},
	    {"ab\x7f"
	     "c\n",
	        "ac", "ab\b \bc\r\n"},
	    {"ab\x15"
	     "x\r",
	        "x", "ab\b \b\b \bx\r\n"},
	    {"abc\x03", "", "abc\r\n"},
	    {"\x7f\x01q\r", "q", "q\r\n"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct escape e;
		uint8_t out[64];
		size_t used = 0, n;
		enum escape_cmd cmd;
		const char *in = "~C";

		escape_init(&e, '~');
		n = escape_filter(&e, (const uint8_t *)in, 2, out, &used, &cmd);
		CHECK_EQ_INT(n, 0);
		CHECK_EQ_INT(cmd, ESC_CMD_CMDLINE);
		escape_line_begin(&e);
		n = escape_filter(
		    &e, (const uint8_t *)cases[i].typed, strlen(cases[i].typed), out, &used, &cmd);
		CHECK_EQ_INT(n, 0); /* nothing typed on the line reaches the server */
		CHECK_EQ_INT(cmd, ESC_CMD_LINE);
		CHECK_EQ_INT(used, strlen(cases[i].typed));
		CHECK_STR(e.line, cases[i].line);
		CHECK_MSG(
		    e.nech == strlen(cases[i].echo) && memcmp(e.echo, cases[i].echo, e.nech) == 0,
		    "case %zu: echo '%.*s'", i, (int)e.nech, e.echo);
		/* and then a command may follow at once: the line ended a line */
		e.nech = 0;
		n = escape_filter(&e, (const uint8_t *)"~.", 2, out, &used, &cmd);
		CHECK_EQ_INT(cmd, ESC_CMD_DISCONNECT);
	}
}

int main(void)
{
	char help[1024];

	test_cmdline();

	/* commands at the very start, after CR and after LF */
	check('~', "~.", "<.>");
	check('~', "ls\r~.", "ls\r<.>");
	/* ~# lists the forwarded connections; mid-line it is two plain bytes */
	check('~', "~#", "<#>");
	check('~', "a\n~#b", "a\n<#>b");
	check('~', "a~#", "a~#");
	check('~', "ls\n~.rest", "ls\n<.>rest");
	check('~', "~?~.", "<?><.>"); /* still at the start of a line after help */
	check('~', "~\x1a", "<Z>");
	/* not at the start of a line: sent unchanged */
	check('~', "a~.", "a~.");
	check('~', "echo ~/x\r", "echo ~/x\r");
	/* ~~ sends one ~, and the line is no longer at its start */
	check('~', "~~.", "~.");
	check('~', "~~~.", "~~.");
	/* unknown command: both bytes */
	check('~', "~x", "~x");
	check('~', "~\r~.", "~\r<.>");
	/* another escape character, and none */
	check('#', "~.#.", "~.#.");
	check('#', "\r#.", "\r<.>");
	check(0x1d, "\x1d.", "<.>");
	check(-1, "~.~?\r~.", "~.~?\r~.");
	/* a pending escape at the end of input is held back until the next byte */
	{
		struct escape e;
		uint8_t out[8];
		size_t used = 0;
		enum escape_cmd cmd;
		escape_init(&e, '~');
		CHECK_EQ_INT(escape_filter(&e, (const uint8_t *)"~", 1, out, &used, &cmd), 0);
		CHECK_EQ_INT(used, 1);
		CHECK_EQ_INT(cmd, ESC_CMD_NONE);
		CHECK_EQ_INT(escape_filter(&e, (const uint8_t *)"q", 1, out, &used, &cmd), 2);
		CHECK_MEM(out, "~q", 2);
	}
	/* every byte value after the escape: exactly the commands are recognised */
	for (int b = 0; b < 256; b++) {
		struct escape e;
		uint8_t in[2] = {'~', (uint8_t)b}, out[4];
		size_t used = 0, k;
		enum escape_cmd cmd;
		escape_init(&e, '~');
		k = escape_filter(&e, in, 2, out, &used, &cmd);
		if (b == '.' || b == '?' || b == 0x1a || b == '#' || b == 'C') {
			CHECK(cmd != ESC_CMD_NONE && k == 0 && used == 2);
		} else if (b == '~') {
			CHECK(cmd == ESC_CMD_NONE && k == 1 && out[0] == '~');
		} else {
			CHECK(cmd == ESC_CMD_NONE && k == 2 && out[0] == '~' && out[1] == b);
		}
	}
	escape_help('~', help, sizeof(help));
	CHECK(strstr(help, " ~.   - terminate connection\r\n") != NULL);
	CHECK(strstr(help, " ~C   - open a command line\r\n") != NULL);
	escape_help(0x1d, help, sizeof(help));
	CHECK(strstr(help, " ^].") != NULL);
	T_DONE();
}
