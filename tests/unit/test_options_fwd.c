/* options: the forwarding and jump keywords (options_fwd.c): LocalForward / RemoteForward /
 * DynamicForward accumulate and are checked when read (FILE:LINE in the message), duplicates
 * are dropped, ClearAllForwardings empties them, PermitRemoteOpen, GatewayPorts,
 * ExitOnForwardFailure, ProxyJump and its first-wins rule with ProxyCommand, -W's defaults and
 * the table of features accepted but not yet in effect. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "options.h"
#include "t.h"
#include "t_options.h"

static void test_accumulate(void)
{
	struct options o;
	char path[64], want[256], line[64];

	t_opt_fresh(&o, "h");
	CHECK_EQ_INT(t_opt_apply(&o, "LocalForward 8080:h:80"), 0);
	CHECK_EQ_INT(t_opt_read_text(&o,
	                 "LocalForward 8081 h:81\n"
	                 "Host h\n"
	                 "  LocalForward [::1]:8082 [2001:db8::1]:82\n"
	                 "  LocalForward 8080 h:80\n" /* the same as -L's: dropped */
	                 "  RemoteForward 9090 localhost:22\n"
	                 "  RemoteForward 0:localhost:23\n"
	                 "  RemoteForward 1080\n"
	                 "  DynamicForward 1081\n"
	                 "  DynamicForward *:1082\n"
	                 "Host other\n"
	                 "  LocalForward 7070 elsewhere:70\n",
	                 path, sizeof(path)),
	    0);
	CHECK_EQ_INT(o.n_local_forward, 3);
	CHECK_STR(o.local_forward[0], "8080:h:80");
	CHECK_STR(o.local_forward[1], "8081 h:81"); /* as written */
	CHECK_STR(o.local_forward[2], "[::1]:8082 [2001:db8::1]:82");
	CHECK_EQ_INT(o.n_remote_forward, 3);
	CHECK_STR(o.remote_forward[2], "1080");
	CHECK_EQ_INT(o.n_dynamic_forward, 2);
	CHECK_EQ_INT(t_opt_finish(&o), 0);
	CHECK_EQ_INT(o.n_local_forward, 3);
	CHECK_EQ_INT(o.clear_all_forwardings, 0);
	CHECK_EQ_INT(o.gateway_ports, 0);
	CHECK_EQ_INT(o.exit_on_forward_failure, 0);
	CHECK(o.permit_remote_open == NULL);
	options_free(&o);

	/* a bad spec: the file and line, the keyword, the spec and the cause */
	t_opt_fresh(&o, "h");
	CHECK(t_opt_read_text(&o, "Host *\n  LocalForward 8080 h\n", path, sizeof(path)) ==
	      SSH_ERR_FORMAT);
	snprintf(want, sizeof(want),
	    "%s:2: bad LocalForward spec '8080 h': expected [bind_address:]port:host:hostport",
	    path);
	CHECK_STR(err, want);
	options_free(&o);
	/* ... checked even in a block that does not apply */
	t_opt_fresh(&o, "h");
	CHECK(t_opt_read_text(&o, "Host other\n  RemoteForward /tmp/sock h:22\n", path,
	          sizeof(path)) == SSH_ERR_FORMAT);
	snprintf(want, sizeof(want),
	    "%s:2: bad RemoteForward spec '/tmp/sock h:22': Unix-domain socket forwarding is not "
	    "supported",
	    path);
	CHECK_STR(err, want);
	options_free(&o);
	static const struct {
		const char *line, *err;
	} bad[] = {
	    {"LocalForward 0:h:80", "bad LocalForward spec '0:h:80': port 0 is not allowed here"},
	    {"DynamicForward 1080 1081", "too many values for DynamicForward"},
	    {"LocalForward 1 h:2 x", "too many values for LocalForward"},
	    {"RemoteForward", "missing value for RemoteForward"},
	    {"DynamicForward [::1:1080", "bad DynamicForward spec '[::1:1080': missing ']'"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		t_opt_fresh(&o, "h");
		CHECK_MSG(t_opt_apply(&o, bad[i].line) != 0, "'%s' accepted", bad[i].line);
		CHECK_MSG(strcmp(err, bad[i].err) == 0, "'%s': '%s'", bad[i].line, err);
		CHECK_EQ_INT(o.n_local_forward + o.n_remote_forward + o.n_dynamic_forward, 0);
		options_free(&o);
	}
	/* the cap */
	t_opt_fresh(&o, "h");
	for (int i = 1; i <= OPT_MAX_LIST; i++) {
		snprintf(line, sizeof(line), "DynamicForward %d", i);
		CHECK_EQ_INT(t_opt_apply(&o, line), 0);
	}
	CHECK_EQ_INT(t_opt_apply(&o, "DynamicForward 5000"), SSH_ERR_TOO_LARGE);
	CHECK_STR(err, "too many DynamicForward entries (at most 32)");
	CHECK_EQ_INT(t_opt_apply(&o, "DynamicForward 1"), 0); /* a duplicate is not one more */
	options_free(&o);
}

/* ClearAllForwardings yes (its first value) empties the three lists, wherever they came from */
static void test_clear(void)
{
	struct options o;
	char path[64];

	t_opt_fresh(&o, "h");
	CHECK_EQ_INT(t_opt_apply(&o, "LocalForward 1:h:2"), 0);
	CHECK_EQ_INT(t_opt_apply(&o, "DynamicForward 3"), 0);
	CHECK_EQ_INT(t_opt_read_text(
	                 &o, "RemoteForward 4 h:5\nClearAllForwardings yes\n", path, sizeof(path)),
	    0);
	CHECK_EQ_INT(o.n_remote_forward, 1);
	CHECK_EQ_INT(t_opt_finish(&o), 0);
	CHECK_EQ_INT(o.n_local_forward + o.n_remote_forward + o.n_dynamic_forward, 0);
	options_free(&o);
	/* the first value wins: no, then yes, keeps them */
	t_opt_fresh(&o, "h");
	CHECK_EQ_INT(t_opt_apply(&o, "ClearAllForwardings no"), 0);
	CHECK_EQ_INT(t_opt_apply(&o, "ClearAllForwardings yes"), 0);
	CHECK_EQ_INT(t_opt_apply(&o, "RemoteForward 4 h:5"), 0);
	CHECK_EQ_INT(t_opt_finish(&o), 0);
	CHECK_EQ_INT(o.n_remote_forward, 1);
	options_free(&o);
}

static void test_flags_and_permit_open(void)
{
	struct options o;

	t_opt_fresh(&o, "h");
	CHECK_EQ_INT(t_opt_apply(&o, "GatewayPorts yes"), 0);
	CHECK_EQ_INT(t_opt_apply(&o, "GatewayPorts no"), 0);
	CHECK_EQ_INT(t_opt_apply(&o, "ExitOnForwardFailure yes"), 0);
	CHECK_EQ_INT(t_opt_apply(&o, "PermitRemoteOpen rtr1:22 [2001:db8::1]:* *:830 h:ssh"), 0);
	CHECK_EQ_INT(t_opt_apply(&o, "PermitRemoteOpen none"), 0); /* first wins */
	CHECK_EQ_INT(t_opt_finish(&o), 0);
	CHECK_EQ_INT(o.gateway_ports, 1);
	CHECK_EQ_INT(o.exit_on_forward_failure, 1);
	CHECK_STR(o.permit_remote_open, "rtr1:22 [2001:db8::1]:* *:830 h:ssh");
	options_free(&o);

	static const struct {
		const char *line, *err;
	} bad[] = {
	    {"GatewayPorts maybe", "bad value 'maybe' for GatewayPorts"},
	    {"ExitOnForwardFailure 1", "bad value '1' for ExitOnForwardFailure"},
	    {"PermitRemoteOpen any h:22", "PermitRemoteOpen any must appear alone"},
	    {"PermitRemoteOpen h:22 NONE", "PermitRemoteOpen NONE must appear alone"},
	    {"PermitRemoteOpen h", "bad value 'h' for PermitRemoteOpen (host:port)"},
	    {"PermitRemoteOpen h:0", "bad value 'h:0' for PermitRemoteOpen (host:port)"},
	    {"PermitRemoteOpen a:1,b:2", "bad value 'a:1,b:2' for PermitRemoteOpen (host:port)"},
	    {"PermitRemoteOpen ::1:22", "bad value '::1:22' for PermitRemoteOpen (host:port)"},
	    {"PermitRemoteOpen :22", "bad value ':22' for PermitRemoteOpen (host:port)"},
	    {"PermitRemoteOpen [::1]", "bad value '[::1]' for PermitRemoteOpen (host:port)"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		t_opt_fresh(&o, "h");
		CHECK_MSG(
		    t_opt_apply(&o, bad[i].line) == SSH_ERR_FORMAT, "'%s' accepted", bad[i].line);
		CHECK_MSG(strcmp(err, bad[i].err) == 0, "'%s': '%s'", bad[i].line, err);
		options_free(&o);
	}
	t_opt_fresh(&o, "h");
	CHECK_EQ_INT(t_opt_apply(&o, "PermitRemoteOpen ANY"), 0);
	CHECK_STR(o.permit_remote_open, "ANY");
	options_free(&o);
}

/* ProxyJump: checked, first wins, and the first of ProxyJump and ProxyCommand prevents the
 * other (ProxyCommand's own row stores o->proxy_command; it is set by hand here) */
static void test_jump(void)
{
	struct options o;
	char path[64];

	t_opt_fresh(&o, "h");
	CHECK_EQ_INT(t_opt_apply(&o, "ProxyJump u@bastion:2222,[2001:db8::7]"), 0);
	CHECK_EQ_INT(t_opt_apply(&o, "ProxyJump other"), 0);
	CHECK_STR(o.proxy_jump, "u@bastion:2222,[2001:db8::7]");
	CHECK_STR(o.proxy_command, "none"); /* a later ProxyCommand is ignored */
	CHECK_EQ_INT(t_opt_finish(&o), 0);
	CHECK(o.proxy_command == NULL);
	CHECK_STR(o.proxy_jump, "u@bastion:2222,[2001:db8::7]");
	options_free(&o);

	/* ProxyCommand first: ProxyJump is ignored */
	t_opt_fresh(&o, "h");
	o.proxy_command = strdup("nc %h %p");
	CHECK_EQ_INT(t_opt_apply(&o, "ProxyJump bastion"), 0);
	CHECK(o.proxy_jump == NULL);
	CHECK_STR(o.proxy_command, "nc %h %p");
	CHECK_EQ_INT(t_opt_finish(&o), 0);
	options_free(&o);
	/* ProxyCommand none first: the same */
	t_opt_fresh(&o, "h");
	o.proxy_command = strdup("none");
	CHECK_EQ_INT(t_opt_apply(&o, "ProxyJump bastion"), 0);
	CHECK(o.proxy_jump == NULL);
	CHECK_EQ_INT(t_opt_finish(&o), 0);
	CHECK(o.proxy_command == NULL && o.proxy_jump == NULL);
	options_free(&o);
	/* ProxyJump none first: no jump, and ProxyCommand stays free (as OpenSSH 9.2) */
	t_opt_fresh(&o, "h");
	CHECK_EQ_INT(t_opt_read_text(&o, "Host h\n  ProxyJump NONE\nHost *\n  ProxyJump bastion\n",
	                 path, sizeof(path)),
	    0);
	CHECK_STR(o.proxy_jump, "NONE");
	CHECK(o.proxy_command == NULL);
	CHECK_EQ_INT(t_opt_finish(&o), 0);
	CHECK(o.proxy_jump == NULL);
	options_free(&o);

	/* checked, also where it does not apply */
	t_opt_fresh(&o, "h");
	CHECK(t_opt_read_text(&o, "Host other\n  ProxyJump a,,b\n", path, sizeof(path)) ==
	      SSH_ERR_FORMAT);
	CHECK(strstr(err, ":2: bad ProxyJump 'a,,b': empty hop") != NULL);
	options_free(&o);
	t_opt_fresh(&o, "h");
	CHECK_EQ_INT(t_opt_apply(&o, "ProxyJump a b"), SSH_ERR_FORMAT);
	CHECK_STR(err, "too many values for ProxyJump");
	CHECK_EQ_INT(t_opt_apply(&o, "ProxyJump h:0"), SSH_ERR_FORMAT);
	CHECK_STR(err, "bad ProxyJump 'h:0': bad port '0' in hop 'h:0'");
	CHECK(o.proxy_jump == NULL && o.proxy_command == NULL);
	options_free(&o);
}

/* -W (set by cmdline.c): ClearAllForwardings and ExitOnForwardFailure default to yes, as in
 * OpenSSH; values obtained from -o or a file stay */
static void test_stdio_defaults(void)
{
	struct options o;

	t_opt_fresh(&o, "h");
	o.stdio_forward = strdup("rtr1:22");
	CHECK_EQ_INT(t_opt_apply(&o, "LocalForward 1:h:2"), 0);
	CHECK_EQ_INT(t_opt_finish(&o), 0);
	CHECK_EQ_INT(o.clear_all_forwardings, 1);
	CHECK_EQ_INT(o.exit_on_forward_failure, 1);
	CHECK_EQ_INT(o.n_local_forward, 0);
	options_free(&o);
	t_opt_fresh(&o, "h");
	o.stdio_forward = strdup("rtr1:22");
	CHECK_EQ_INT(t_opt_apply(&o, "ClearAllForwardings no"), 0);
	CHECK_EQ_INT(t_opt_apply(&o, "ExitOnForwardFailure no"), 0);
	CHECK_EQ_INT(t_opt_apply(&o, "LocalForward 1:h:2"), 0);
	CHECK_EQ_INT(t_opt_finish(&o), 0);
	CHECK_EQ_INT(o.clear_all_forwardings, 0);
	CHECK_EQ_INT(o.exit_on_forward_failure, 0);
	CHECK_EQ_INT(o.n_local_forward, 1);
	options_free(&o);
}

int main(void)
{
	test_accumulate();
	test_clear();
	test_flags_and_permit_open();
	test_jump();
	test_stdio_defaults();
	T_DONE();
}
