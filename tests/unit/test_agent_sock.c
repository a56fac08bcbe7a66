/* Which agent socket IdentityAgent / SSH_AUTH_SOCK name, and which one ForwardAgent forwards:
 * yes (that same socket; none when IdentityAgent none), no / false / unset (nothing), a path
 * (~ expanded), $VAR and ${VAR} (the variable's value; nothing when it is unset). */
#include <stdlib.h>
#include <string.h>

#include "agent_sock.h"
#include "t.h"
#include "t_options.h"

/* ForwardAgent's socket for a -o line (NULL: none), "" when line is NULL; result malloc'd */
static char *fwd_for(const char *line)
{
	struct options o;
	char *p;

	t_opt_fresh(&o, "h");
	if (line != NULL) {
		CHECK_EQ_INT(t_opt_apply(&o, line), 0);
	}
	p = agent_fwd_path(&o);
	CHECK_EQ_INT(agent_fwd_ready(&o), p != NULL);
	options_free(&o);
	return p;
}

static void check_fwd(const char *line, const char *want)
{
	char *p = fwd_for(line);

	if (want == NULL) {
		CHECK_MSG(p == NULL, "%s: got %s", line != NULL ? line : "(unset)", p);
	} else {
		CHECK_MSG(p != NULL && strcmp(p, want) == 0, "%s: got %s, want %s",
		    line != NULL ? line : "(unset)", p != NULL ? p : "(none)", want);
	}
	free(p);
}

/* AddKeysToAgent values as OpenSSH reads them */
static void test_addkeys(void)
{
	static const struct {
		const char *v;
		int ok;
		enum addkeys_mode mode;
		uint32_t lifetime;
	} cases[] = {
	    {"no", 1, ADDKEYS_NO, 0},
	    {"yes", 1, ADDKEYS_YES, 0},
	    {"ask", 1, ADDKEYS_ASK, 0},
	    {"confirm", 1, ADDKEYS_CONFIRM, 0},
	    {"CONFIRM 10m", 1, ADDKEYS_CONFIRM, 600},
	    {"yes 1h30m", 1, ADDKEYS_YES, 5400},
	    {"ask 2", 1, ADDKEYS_ASK, 2},
	    {"1w", 1, ADDKEYS_YES, 604800},
	    {"90s", 1, ADDKEYS_YES, 90},
	    {"2d3h", 1, ADDKEYS_YES, 2 * 86400 + 3 * 3600},
	    {"maybe", 0, ADDKEYS_NO, 0},
	    {"no 10m", 0, ADDKEYS_NO, 0},
	    {"confirm 10x", 0, ADDKEYS_NO, 0},
	    {"confirm 0", 0, ADDKEYS_NO, 0},
	    {"0", 0, ADDKEYS_NO, 0},
	    {"yes 1m extra", 0, ADDKEYS_NO, 0},
	    {"m", 0, ADDKEYS_NO, 0},
	    {"99999999999", 0, ADDKEYS_NO, 0},
	    {"", 0, ADDKEYS_NO, 0},
	};
	struct agent_addkeys a;
	char e[128];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&a, 0xff, sizeof(a));
		e[0] = '\0';
		int r = agent_addkeys_parse(cases[i].v, &a, e, sizeof(e));
		CHECK_MSG((r == 0) == cases[i].ok, "'%s': %d %s", cases[i].v, r, e);
		if (r == 0 && cases[i].ok) {
			CHECK_MSG(a.mode == cases[i].mode && a.lifetime == cases[i].lifetime,
			    "'%s': mode %d lifetime %u", cases[i].v, (int)a.mode, a.lifetime);
		}
		if (!cases[i].ok) {
			CHECK(strstr(e, "bad AddKeysToAgent value") != NULL);
		}
	}
}

int main(void)
{
	struct options o;
	const char *from = NULL;
	char *p;

	setenv("HOME", "/home/tester", 1);
	setenv("SSH_AUTH_SOCK", "/run/agent.sock", 1);
	setenv("OTHER_SOCK", "/run/other.sock", 1);
	unsetenv("UNSET_SOCK");

	/* IdentityAgent's socket */
	t_opt_fresh(&o, "h");
	p = agent_sock_path(&o, &from);
	CHECK_STR(p, "/run/agent.sock");
	CHECK_STR(from, "SSH_AUTH_SOCK");
	free(p);
	CHECK_EQ_INT(t_opt_apply(&o, "IdentityAgent ~/a.sock"), 0);
	p = agent_sock_path(&o, &from);
	CHECK_STR(p, "/home/tester/a.sock");
	CHECK_STR(from, "IdentityAgent");
	free(p);
	options_free(&o);

	/* ForwardAgent */
	check_fwd(NULL, NULL);
	check_fwd("ForwardAgent no", NULL);
	check_fwd("ForwardAgent false", NULL);
	check_fwd("ForwardAgent yes", "/run/agent.sock");
	check_fwd("ForwardAgent true", "/run/agent.sock");
	check_fwd("ForwardAgent ~/fwd.sock", "/home/tester/fwd.sock");
	check_fwd("ForwardAgent /tmp/x.sock", "/tmp/x.sock");
	check_fwd("ForwardAgent $OTHER_SOCK", "/run/other.sock");
	check_fwd("ForwardAgent ${OTHER_SOCK}", "/run/other.sock");
	check_fwd("ForwardAgent $UNSET_SOCK", NULL);
	check_fwd("ForwardAgent $", NULL);

	/* yes forwards IdentityAgent's socket, and nothing with IdentityAgent none */
	t_opt_fresh(&o, "h");
	CHECK_EQ_INT(t_opt_apply(&o, "ForwardAgent yes"), 0);
	CHECK_EQ_INT(t_opt_apply(&o, "IdentityAgent $OTHER_SOCK"), 0);
	p = agent_fwd_path(&o);
	CHECK_STR(p, "/run/other.sock");
	free(p);
	options_free(&o);
	t_opt_fresh(&o, "h");
	CHECK_EQ_INT(t_opt_apply(&o, "ForwardAgent yes"), 0);
	CHECK_EQ_INT(t_opt_apply(&o, "IdentityAgent none"), 0);
	CHECK(agent_fwd_wanted(&o));
	CHECK(agent_fwd_path(&o) == NULL);
	options_free(&o);
	unsetenv("SSH_AUTH_SOCK");
	check_fwd("ForwardAgent yes", NULL);
	test_addkeys();
	T_DONE();
}
