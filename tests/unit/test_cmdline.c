/* cmdline: every flag of OpenSSH's ssh(1) parses, and the ones that are a keyword set it through
 * the options table (-c Ciphers, -b BindAddress, -x ForwardX11, -L LocalForward, ...). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdline.h"
#include "options.h"
#include "options_int.h"
#include "proxycmd.h"
#include "ssh/err.h"
#include "t.h"

#define MAXARGS 32

static struct options o;
static struct cmdline a;
static char err[1024];
static char *copy; /* the words of the last parse: a's pointers point into it */

/* parse "x509ssh ARGS... host" (space-separated, no quoting) into o and a */
static int parse(const char *line)
{
	char *argv[MAXARGS + 2], *save = NULL;
	int argc = 0, r;

	free(copy);
	copy = strdup(line);

	argv[argc++] = "x509ssh";
	for (char *w = strtok_r(copy, " ", &save); w != NULL && argc < MAXARGS;
	     w = strtok_r(NULL, " ", &save)) {
		argv[argc++] = w;
	}
	argv[argc] = NULL;
	options_init(&o);
	free(a.command);
	memset(&a, 0, sizeof(a));
	r = cmdline_parse(argc, argv, &o, &a);
	return r;
}

static int compat_bits(const char *name)
{
	const char *n;

	for (size_t i = 0; (n = options_compat_at(i, NULL)) != NULL; i++) {
		if (strcmp(n, name) == 0) {
			return o.compat_seen[i];
		}
	}
	return -1;
}

static int done(void)
{
	err[0] = '\0';
	return options_finish(&o, "me", 0, err, sizeof(err));
}

/* done() as a run does it */
static int done_run(void)
{
	return done();
}

static void test_every_flag(void)
{
	/* each of OpenSSH 10.2's flags, with an argument where it takes one */
	static const struct {
		const char *line;
		int want;
	} cases[] = {
	    {"-1 h", CMDLINE_FAIL},
	    {"-2 h", CMDLINE_OK},
	    {"-4 h", CMDLINE_OK},
	    {"-6 h", CMDLINE_OK},
	    {"-A h", CMDLINE_OK},
	    {"-a h", CMDLINE_OK},
	    {"-B lo h", CMDLINE_OK},
	    {"-b 127.0.0.1 h", CMDLINE_OK},
	    {"-C h", CMDLINE_OK},
	    {"-c aes128-ctr h", CMDLINE_OK},
	    {"-D 1080 h", CMDLINE_OK},
	    {"-E /dev/null h", CMDLINE_OK},
	    {"-e none h", CMDLINE_OK},
	    {"-F /dev/null h", CMDLINE_OK},
	    {"-f h", CMDLINE_OK},
	    {"-G h", CMDLINE_OK},
	    {"-g h", CMDLINE_OK},
	    {"-I /p.so h", CMDLINE_OK},
	    {"-i /id h", CMDLINE_OK},
	    {"-J j h", CMDLINE_OK},
	    {"-K h", CMDLINE_OK},
	    {"-k h", CMDLINE_OK},
	    {"-L 1:h:2 h", CMDLINE_OK},
	    {"-l u h", CMDLINE_OK},
	    {"-M h", CMDLINE_OK},
	    {"-m hmac-sha2-256 h", CMDLINE_OK},
	    {"-N h", CMDLINE_OK},
	    {"-n h", CMDLINE_OK},
	    {"-O check h", CMDLINE_OK},
	    {"-o BatchMode=yes h", CMDLINE_OK},
	    {"-P t h", CMDLINE_OK},
	    {"-p 2222 h", CMDLINE_OK},
	    {"-Q kex", CMDLINE_OK},
	    {"-q h", CMDLINE_OK},
	    {"-R 1:h:2 h", CMDLINE_OK},
	    {"-S /tmp/cp h", CMDLINE_OK},
	    {"-s h sftp", CMDLINE_OK},
	    {"-T h", CMDLINE_OK},
	    {"-t h", CMDLINE_OK},
	    {"-V", CMDLINE_EXIT0},
	    {"-v h", CMDLINE_OK},
	    {"-W h:22 h", CMDLINE_OK},
	    {"-W h h", CMDLINE_FAIL},
	    {"-W h:22 -W h:23 h", CMDLINE_FAIL},
	    {"-J a -J b h", CMDLINE_FAIL},
	    {"-J ::1 h", CMDLINE_FAIL},
	    {"-L 80:h h", CMDLINE_FAIL},
	    {"-L /tmp/s:h:80 h", CMDLINE_FAIL},
	    {"-D 0 h", CMDLINE_FAIL},
	    {"-R 1:h:0 h", CMDLINE_FAIL},
	    {"-w any h", CMDLINE_OK},
	    {"-X h", CMDLINE_OK},
	    {"-x h", CMDLINE_OK},
	    {"-Y h", CMDLINE_OK},
	    {"-y h", CMDLINE_OK},
	    /* errors */
	    {"-Z h", CMDLINE_FAIL},
	    {"h -p", CMDLINE_FAIL},
	    {"-o Foo=1 h", CMDLINE_FAIL},
	    {"", CMDLINE_USAGE},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r = parse(cases[i].line);
		CHECK_MSG(r == cases[i].want, "'%s': %d, want %d", cases[i].line, r, cases[i].want);
		options_free(&o);
	}
}

static void test_flag_keywords(void)
{
	CHECK_EQ_INT(
	    parse("-o Ciphers=aes128-ctr -c aes256-ctr -m hmac-sha2-512 -e ^A -b 127.0.0.2 "
	          "-B lo -P prod -S /tmp/c h"),
	    CMDLINE_OK);
	CHECK_STR(o.ciphers, "aes256-ctr"); /* the flag wins over -o, as in OpenSSH */
	CHECK_STR(o.macs, "hmac-sha2-512");
	CHECK_EQ_INT(o.escape_char, 1);
	CHECK_STR(o.bind_address, "127.0.0.2");
	CHECK_STR(o.bind_interface, "lo");
	CHECK_STR(o.tag, "prod");
	CHECK_STR(o.control_path, "/tmp/c");
	CHECK_EQ_INT(done(), 0);
	options_free(&o);

	/* no-effect flags are noted; -A / -X warn */
	CHECK_EQ_INT(parse("-x -a -2 -C -M -K -g h"), CMDLINE_OK);
	CHECK_EQ_INT(compat_bits("ForwardX11"), OPT_COMPAT_NOEFFECT);
	CHECK_EQ_INT(compat_bits("ForwardAgent"), -1); /* a keyword of ours now */
	CHECK_STR(o.forward_agent, "no");
	CHECK_EQ_INT(compat_bits("Protocol"), OPT_COMPAT_NOEFFECT);
	CHECK_EQ_INT(compat_bits("Compression"), OPT_COMPAT_NOEFFECT);
	CHECK_EQ_INT(compat_bits("ControlMaster"), OPT_COMPAT_NOEFFECT);
	CHECK_EQ_INT(compat_bits("GSSAPIDelegateCredentials"), OPT_COMPAT_NOEFFECT);
	CHECK_EQ_INT(compat_bits("GatewayPorts"), -1); /* a keyword of ours now */
	CHECK_EQ_INT(o.gateway_ports, 1);
	CHECK_EQ_INT(done(), 0);
	options_free(&o);
	CHECK_EQ_INT(parse("-A -Y h"), CMDLINE_OK);
	CHECK_STR(o.forward_agent, "yes");
	CHECK_EQ_INT(compat_bits("ForwardX11"), OPT_COMPAT_NOEFFECT | OPT_COMPAT_WARN);
	CHECK_EQ_INT(compat_bits("ForwardX11Trusted"), OPT_COMPAT_NOEFFECT | OPT_COMPAT_WARN);
	options_free(&o);

	/* not supported: an error at finish (or, for the forwardings and -J, by the check of the
	 * features not yet in effect, after -G); -L/-R/-D cancelled by ClearAllForwardings */
	static const struct {
		const char *line, *err;
	} unsup[] = {
	    {"-L 1:h:2 h", NULL},
	    {"-R 1:h:2 h", NULL},
	    {"-D 1080 h", NULL},
	    {"-J jump h", NULL},
	    {"-w 0:0 h", "Tunnel is not supported yet"},
	    {"-L 1:h:2 -o ClearAllForwardings=yes h", NULL},
	    {"-o ClearAllForwardings=yes -D 1080 -R 1:h:2 h", NULL},
	    {"-o ClearAllForwardings=yes -J jump h", NULL},
	    {"-W rtr1:22 h", NULL},
	    {"-W rtr1:22 -L 1:h:2 h", NULL},
	    {"-J none h", NULL},
	};
	for (size_t i = 0; i < sizeof(unsup) / sizeof(unsup[0]); i++) {
		CHECK_EQ_INT(parse(unsup[i].line), CMDLINE_OK);
		if (unsup[i].err == NULL) {
			CHECK_MSG(done_run() == 0, "'%s': %s", unsup[i].line, err);
		} else {
			CHECK_MSG(done_run() != 0 && strcmp(err, unsup[i].err) == 0, "'%s': '%s'",
			    unsup[i].line, err);
		}
		options_free(&o);
	}

	/* -L / -R / -D accumulate (a flag does not replace an earlier -o one), -J, -W */
	CHECK_EQ_INT(
	    parse("-o LocalForward=1:h:2 -L 3:h:4 -R 0 -R 5:h:6 -D 7 -D *:8 -g h"), CMDLINE_OK);
	CHECK_EQ_INT(o.n_local_forward, 2);
	CHECK_STR(o.local_forward[1], "3:h:4");
	CHECK_EQ_INT(o.n_remote_forward, 2);
	CHECK_STR(o.remote_forward[0], "0");
	CHECK_EQ_INT(o.n_dynamic_forward, 2);
	CHECK_STR(o.dynamic_forward[1], "*:8");
	CHECK_EQ_INT(o.gateway_ports, 1);
	options_free(&o);
	CHECK_EQ_INT(parse("-J u@b1:2222,ssh://[2001:db8::1]:22 -o ProxyJump=other h"), CMDLINE_OK);
	CHECK_STR(o.proxy_jump, "u@b1:2222,ssh://[2001:db8::1]:22");
	CHECK_STR(o.proxy_command, "none"); /* a ProxyCommand after it is ignored */
	options_free(&o);
	/* as OpenSSH: -J after a ProxyJump (even none) is an error (after a ProxyCommand too:
	 * cmdline.c's jump_flag checks o->proxy_command, which ProxyCommand's row sets) */
	CHECK_EQ_INT(parse("-o ProxyJump=none -J b h"), CMDLINE_FAIL);
	options_free(&o);
	CHECK_EQ_INT(parse("-W [2001:db8::1]:830 -o RequestTTY=yes h"), CMDLINE_OK);
	CHECK_STR(o.stdio_forward, "[2001:db8::1]:830");
	CHECK_EQ_INT(o.request_tty, RTTY_NO);
	CHECK_EQ_INT(o.session_type, SESSION_NONE);
	CHECK_EQ_INT(done(), 0);
	CHECK_EQ_INT(o.clear_all_forwardings, 1);
	CHECK_EQ_INT(o.exit_on_forward_failure, 1);
	options_free(&o);

	/* -O, -y, -s / -N / -n, options after the destination, -- */
	CHECK_EQ_INT(parse("-O check -y h"), CMDLINE_OK);
	CHECK_STR(a.ctl_cmd, "check");
	CHECK_EQ_INT(a.syslog, 1);
	options_free(&o);
	CHECK_EQ_INT(parse("h -x -l u -- echo -x"), CMDLINE_OK);
	CHECK_STR(o.user, "u");
	CHECK_STR(a.command, "echo -x");
	CHECK_EQ_INT(compat_bits("ForwardX11"), OPT_COMPAT_NOEFFECT);
	options_free(&o);
	/* a value with blanks and quotes stays one value */
	CHECK_EQ_INT(parse("-S /tmp/a\"b\\c h"), CMDLINE_OK);
	CHECK_STR(o.control_path, "/tmp/a\"b\\c");
	options_free(&o);
}

static void test_expand(void)
{
	char out[256], bad = 0;

	CHECK_EQ_INT(parse("-l bob -p 2200 host.example"), CMDLINE_OK);
	CHECK_EQ_INT(done(), 0);
	CHECK_EQ_INT(cmdline_expand(&o, "%r@%h:%p %n %% %k", out, sizeof(out), &bad), 0);
	CHECK_STR(out, "bob@host.example:2200 host.example % host.example");
	CHECK_EQ_INT(cmdline_expand(&o, "cm-%C", out, sizeof(out), &bad), 0);
	CHECK(strlen(out) == 43);
	{
		/* %j is ProxyJump as given, and part of %C (as OpenSSH's connection hash) */
		char noj[64];
		CHECK_EQ_INT(cmdline_expand(&o, "[%j]", out, sizeof(out), &bad), 0);
		CHECK_STR(out, "[]");
		CHECK_EQ_INT(cmdline_expand(&o, "%C", noj, sizeof(noj), &bad), 0);
		o.proxy_jump = strdup("alice@bastion:2022,b2");
		CHECK_EQ_INT(cmdline_expand(&o, "[%j]", out, sizeof(out), &bad), 0);
		CHECK_STR(out, "[alice@bastion:2022,b2]");
		CHECK_EQ_INT(cmdline_expand(&o, "%C", out, sizeof(out), &bad), 0);
		CHECK(strlen(out) == 40 && strcmp(out, noj) != 0);
		free(o.proxy_jump);
		o.proxy_jump = NULL;
	}
	CHECK_EQ_INT(cmdline_expand(&o, "a %z", out, sizeof(out), &bad), -2);
	CHECK_EQ_INT(bad, 'z');
	CHECK_EQ_INT(cmdline_expand(&o, "%h%h%h", out, 10, &bad), -1);
	/* a restricted set (ProxyCommand's): the others are unknown tokens */
	CHECK_EQ_INT(cmdline_expand_only(&o, "%r %h:%p %n %%", "%hnpr", out, sizeof(out), &bad), 0);
	CHECK_STR(out, "bob host.example:2200 host.example %");
	bad = 0;
	CHECK_EQ_INT(cmdline_expand_only(&o, "nc %k", "%hnpr", out, sizeof(out), &bad), -2);
	CHECK_EQ_INT(bad, 'k');
	CHECK_EQ_INT(cmdline_expand_only(&o, "nc %", "%hnpr", out, sizeof(out), &bad), -2);
	CHECK_EQ_INT(bad, '\0');
	options_free(&o);
	/* ProxyCommand: HostName for %h, the name as given for %n, the default port */
	CHECK_EQ_INT(
	    parse("-o HostName=10.0.0.1 -o ProxyCommand=relay_%h_%p_%r_%n_%% alias"), CMDLINE_OK);
	CHECK_EQ_INT(done(), 0);
	{
		char *pc = NULL;
		CHECK_EQ_INT(proxycmd_expand(&o, &pc, &bad), 0);
		CHECK_STR(pc, "relay_10.0.0.1_22_me_alias_%");
		free(pc);
		free(o.proxy_command);
		o.proxy_command = strdup("nc %h %C");
		CHECK_EQ_INT(proxycmd_expand(&o, &pc, &bad), SSH_ERR_FORMAT);
		CHECK_EQ_INT(bad, 'C');
		CHECK(pc == NULL);
		free(o.proxy_command);
		o.proxy_command = malloc(4000);
		memset(o.proxy_command, 0, 4000);
		for (int k = 0; k < 1000; k++) {
			strcat(o.proxy_command, "%h ");
		}
		CHECK_EQ_INT(proxycmd_expand(&o, &pc, &bad), 0); /* grows past 256 */
		CHECK(pc != NULL && strlen(pc) == 1000 * 9);
		free(pc);
	}
	options_free(&o);
}

int main(void)
{
	test_every_flag();
	test_flag_keywords();
	test_expand();
	free(a.command);
	free(copy);
	T_DONE();
}
