/* Config files as OpenSSH reads them: the order of the default files, relative Includes per
 * directory, every Match criterion (positive, negative, errors), the final pass, Include in a
 * block that does not apply, and the HostKeyAlgorithms rule for OpenSSH's own files. Works in a
 * temporary HOME; the system files are stand-ins passed to options_read_files. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "algos.h"
#include "err.h"
#include "options.h"
#include "paths.h"
#include "t.h"
#include "t_options.h"

static char tmp[256];

static const char *tp(const char *rel)
{
	static char p[4][512];
	static int k;

	k = (k + 1) % 4;
	snprintf(p[k], sizeof(p[k]), "%s/%s", tmp, rel);
	return p[k];
}

static void put(const char *rel, const char *text)
{
	const char *path = tp(rel);
	char dir[512], *slash;
	FILE *f;

	snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')) != NULL) {
		*slash = '\0';
		for (char *p = dir + strlen(tmp) + 1; *p != '\0'; p++) {
			if (*p == '/') {
				*p = '\0';
				mkdir(dir, 0700);
				*p = '/';
			}
		}
		mkdir(dir, 0700);
	}
	f = fopen(path, "w");
	CHECK(f != NULL);
	if (f != NULL) {
		fputs(text, f);
		fclose(f);
	}
}

static int read_one(struct options *o, const char *rel)
{
	return t_opt_read(o, tp(rel));
}

/* ---- the default files, in order ---- */

static void test_order(void)
{
	struct paths_config files[4];
	struct options o;

	/* the table the program reads */
	CHECK_EQ_INT(paths_n_configs, 4);
	CHECK_STR(paths_configs[0].file, "~/.x509ssh/config");
	CHECK_STR(paths_configs[0].incdir, "~/.x509ssh");
	CHECK_EQ_INT(paths_configs[0].openssh, 0);
	CHECK_STR(paths_configs[1].file, "~/.ssh/config");
	CHECK_STR(paths_configs[1].incdir, "~/.ssh");
	CHECK_EQ_INT(paths_configs[1].openssh, 1);
	CHECK_STR(paths_configs[2].file, "/etc/x509ssh/x509ssh_config");
	CHECK_STR(paths_configs[2].incdir, "/etc/x509ssh");
	CHECK_EQ_INT(paths_configs[2].openssh, 0);
	CHECK_STR(paths_configs[3].file, "/etc/ssh/ssh_config");
	CHECK_STR(paths_configs[3].incdir, "/etc/ssh");
	CHECK_EQ_INT(paths_configs[3].openssh, 1);

	/* the same rows with the system directories in the temporary tree */
	put("home/.x509ssh/config", "Port 1001\n");
	put("home/.ssh/config", "Port 1002\nUser u2\nInclude inc.conf\n");
	put("home/.ssh/inc.conf", "ConnectionAttempts 7\n");
	put("etc_x509ssh/x509ssh_config", "User u3\nConnectTimeout 3\nInclude inc.conf\n");
	put("etc_x509ssh/inc.conf", "ServerAliveCountMax 9\n");
	put("etc_ssh/ssh_config", "Include /nonexistent-x509ssh-dir/*.conf\n"
	                          "Include ssh_config.d/*.conf\n"
	                          "Host *\n    ConnectTimeout 4\n    ServerAliveInterval 44\n");
	put("etc_ssh/ssh_config.d/10-first.conf", "SendEnv FIRST\n");
	put("etc_ssh/ssh_config.d/20-second.conf", "SendEnv SECOND\nServerAliveInterval 20\n");
	put("etc_ssh/ssh_config.d/notconf", "SendEnv NOT\n");
	memcpy(files, paths_configs, sizeof(files));
	files[2].file = strdup(tp("etc_x509ssh/x509ssh_config"));
	files[2].incdir = strdup(tp("etc_x509ssh"));
	files[3].file = strdup(tp("etc_ssh/ssh_config"));
	files[3].incdir = strdup(tp("etc_ssh"));
	t_opt_fresh(&o, "h");
	CHECK_EQ_INT(options_read_files(&o, files, 4, 1, err, sizeof(err)), 0);
	CHECK_EQ_INT(o.port, 1001);                /* ~/.x509ssh/config first */
	CHECK_STR(o.user, "u2");                   /* then ~/.ssh/config */
	CHECK_EQ_INT(o.connection_attempts, 7);    /* relative to ~/.ssh */
	CHECK_EQ_INT(o.connect_timeout, 3);        /* then /etc/x509ssh */
	CHECK_EQ_INT(o.server_alive_count_max, 9); /* relative to /etc/x509ssh */
	CHECK_EQ_INT(o.server_alive_interval, 20); /* ssh_config.d before the rest of ssh_config */
	CHECK_EQ_INT(o.n_send_env, 2);
	CHECK_STR(o.send_env[0], "FIRST");
	CHECK_STR(o.send_env[1], "SECOND");
	options_free(&o);

	/* every file optional: none there is no error; a missing one is when not optional */
	t_opt_fresh(&o, "h");
	files[0].file = "~/.x509ssh/missing";
	files[1].file = "~/.ssh/missing";
	CHECK_EQ_INT(options_read_files(&o, files, 2, 1, err, sizeof(err)), 0);
	CHECK_EQ_INT(o.port, OPT_UNSET);
	CHECK(options_read_files(&o, files, 2, 0, err, sizeof(err)) < 0);
	CHECK(strstr(err, "/.x509ssh/missing: No such file or directory") != NULL);
	options_free(&o);
	free((char *)(uintptr_t)files[2].file);
	free((char *)(uintptr_t)files[2].incdir);
	free((char *)(uintptr_t)files[3].file);
	free((char *)(uintptr_t)files[3].incdir);

	/* -F: exactly that file; -F none: nothing */
	t_opt_fresh(&o, "h");
	CHECK_EQ_INT(options_read_configs(&o, "none", err, sizeof(err)), 0);
	CHECK_EQ_INT(o.port, OPT_UNSET);
	CHECK_EQ_INT(
	    options_read_configs(&o, tp("etc_x509ssh/x509ssh_config"), err, sizeof(err)), 0);
	CHECK_EQ_INT(o.port, OPT_UNSET);
	CHECK_STR(o.user, "u3");
	CHECK(options_read_configs(&o, tp("nonexistent"), err, sizeof(err)) < 0);
	options_free(&o);
	/* -F ~/.ssh/config: relative Includes from ~/.ssh as for the default file */
	t_opt_fresh(&o, "h");
	CHECK_EQ_INT(options_read_configs(&o, tp("home/.ssh/config"), err, sizeof(err)), 0);
	CHECK_EQ_INT(o.connection_attempts, 7);
	options_free(&o);
}

/* ---- Match ---- */

/* a file "PRE\nMatch CRITERIA\n    ConnectionAttempts 42\n" read for o: 1 matched, 0 not, <0
 * error */
static int match_with(struct options *o, const char *pre, const char *criteria)
{
	char text[2048];
	int r;

	snprintf(text, sizeof(text), "%s\nMatch %s\n    ConnectionAttempts 42\n", pre, criteria);
	put("match.conf", text);
	o->connection_attempts = OPT_UNSET;
	if ((r = read_one(o, "match.conf")) != 0) {
		return r;
	}
	return o->connection_attempts == 42;
}

struct mcase {
	const char *criteria;
	int want; /* 1, 0, or -1 for an error */
};

static void run_mcases(struct options *o, const char *pre, const struct mcase *c, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		int got = match_with(o, pre, c[i].criteria);
		if (got < 0) {
			got = -1;
		}
		CHECK_MSG(got == c[i].want, "Match %s: got %d, want %d (%s)", c[i].criteria, got,
		    c[i].want, err);
	}
}

static void test_match_criteria(void)
{
	static const struct mcase alias[] = {
	    {"all", 1},
	    {"!all", 0},
	    {"host real.example", 1}, /* after HostName */
	    {"host REAL.*", 1},
	    {"host alias", 0},
	    {"!host real.example", 0},
	    {"host *,!real.example", 0},
	    {"originalhost alias", 1},
	    {"originalhost real.example", 0},
	    {"!originalhost alias", 0},
	    {"user bob", 1},
	    {"user b?b,carol", 1},
	    {"user BOB", 0}, /* user names are case-sensitive */
	    {"!user bob", 0},
	    {"user alice", 0},
	    {"version x509ssh_*", 1},
	    {"version OpenSSH_*", 0},
	    {"!version OpenSSH_*", 1},
	    {"tagged prod", 1},
	    {"tagged dev", 0},
	    {"tagged \"\"", 0},
	    {"command \"uptime*\"", 1},
	    {"command ls", 0},
	    {"command \"\"", 0},
	    {"sessiontype exec", 1},
	    {"sessiontype shell,none", 0},
	    {"localnetwork 127.0.0.0/8", 1},
	    {"localnetwork 203.0.113.0/24,198.51.100.7", 0},
	    {"localnetwork 203.0.113.0/24,127.0.0.1", 1},
	    {"!localnetwork 203.0.113.0/24", 1},
	    {"localnetwork 127.0.0.1/33", -1},
	    {"localnetwork !127.0.0.0/8", -1},
	    {"localnetwork nonsense", -1},
	    {"exec true", 1},
	    {"exec false", 0},
	    {"!exec false", 1},
	    {"exec \"test %h = real.example && test %n = alias && test %r = bob\"", 1},
	    {"exec \"test %p = 2222 && test %k = real.example && test %% = %%\"", 1},
	    {"exec \"test %d = $HOME && test %u = $(id -un) && test %i = $(id -u)\"", 1},
	    {"exec \"test %l = $(hostname) && test %L = $(hostname | cut -d. -f1)\"", 1},
	    {"exec \"test %C = $(printf %%s $(hostname)real.example2222bob | sha1sum | cut "
	     "-c1-40)\"",
	        1},
	    {"exec \"echo %Z\"", -1},
	    {"exec \"kill -9 $$\"", -1},
	    /* several criteria: all must hold */
	    {"user bob host real.example tagged prod", 1},
	    {"user bob host other.example", 0},
	    {"canonical", 0}, /* no final pass: no Match final */
	    /* criterion=argument */
	    {"user=bob host=real.example", 1},
	    {"!user=bob", 0},
	    {"tagged=", 0},
	    {"user=", -1},
	    /* errors */
	    {"", -1},
	    {"user", -1},
	    {"host \"\"", -1},
	    {"bogus x", -1},
	    {"all host x", -1},
	    {"host x all y", -1},
	};
	static const struct mcase plain[] = {
	    {"sessiontype shell", 1},
	    {"sessiontype exec", 0},
	    {"tagged \"\"", 1},
	    {"tagged *", 1}, /* as OpenSSH: "*" matches the empty string */
	    {"tagged ?*", 0},
	    {"command \"\"", 1},
	    {"command ?*", 0},
	    {"tagged=", 1},
	    {"host plain", 1},
	};
	struct options o;
	const char *lu = paths_local_user();
	char pre[256], crit[512];
	int got;

	t_opt_fresh(&o, "alias");
	o.user = strdup("bob");
	o.tag = strdup("prod");
	o.command = "uptime -p";
	run_mcases(&o, "Host alias\n    HostName real.example\n    Port 2222", alias,
	    sizeof(alias) / sizeof(alias[0]));
	options_free(&o);

	t_opt_fresh(&o, "plain");
	run_mcases(&o, "", plain, sizeof(plain) / sizeof(plain[0]));
	/* user: the local user when User is not set; localuser */
	CHECK(lu != NULL);
	snprintf(crit, sizeof(crit), "user %s", lu != NULL ? lu : "x");
	CHECK_EQ_INT(match_with(&o, "", crit), 1);
	snprintf(crit, sizeof(crit), "localuser %s", lu != NULL ? lu : "x");
	CHECK_EQ_INT(match_with(&o, "", crit), 1);
	CHECK_EQ_INT(match_with(&o, "", "localuser nosuchuser-x509ssh"), 0);
	CHECK_EQ_INT(match_with(&o, "", "!localuser nosuchuser-x509ssh"), 1);
	/* sessiontype from SessionType and the command */
	o.session_type = SESSION_SUBSYSTEM;
	o.command = "sftp";
	CHECK_EQ_INT(match_with(&o, "", "sessiontype subsystem command sftp"), 1);
	CHECK_EQ_INT(match_with(&o, "", "sessiontype exec"), 0);
	o.session_type = SESSION_NONE;
	o.command = NULL;
	CHECK_EQ_INT(match_with(&o, "", "sessiontype none"), 1);
	CHECK_EQ_INT(match_with(&o, "", "sessiontype shell"), 0);
	/* HostName with %h */
	CHECK_EQ_INT(match_with(&o, "HostName %h.example.net", "host plain.example.net"), 1);
	options_free(&o);

	/* exec is not run once an earlier criterion failed, and runs when all before held */
	t_opt_fresh(&o, "plain");
	snprintf(pre, sizeof(pre), "exec \"touch %s\"", tp("exec_ran"));
	snprintf(crit, sizeof(crit), "host nomatch %s", pre);
	got = match_with(&o, "", crit);
	CHECK_EQ_INT(got, 0);
	CHECK(access(tp("exec_ran"), F_OK) != 0);
	snprintf(crit, sizeof(crit), "host plain %s", pre);
	got = match_with(&o, "", crit);
	CHECK_EQ_INT(got, 1);
	CHECK(access(tp("exec_ran"), F_OK) == 0);
	/* stdin and stdout of the command are /dev/null */
	CHECK_EQ_INT(match_with(&o, "", "exec \"test ! -t 0 && read x; test -z \\\"$x\\\"\""), 1);
	options_free(&o);
}

/* Match canonical / final, the final pass and Host in it */
static void test_match_final(void)
{
	struct options o;

	/* Match final asks for a second pass; it matches there only */
	put("final.conf", "Match !final\n    User first\n"
	                  "Match final\n    Port 4242\n");
	t_opt_fresh(&o, "h");
	CHECK_EQ_INT(read_one(&o, "final.conf"), 0);
	CHECK_EQ_INT(o.port, 4242);
	CHECK_STR(o.user, "first");
	options_free(&o);
	/* the final pass compares Host and Match host with the HostName of the first pass;
	 * canonical matches in that pass too; "all" may follow final / canonical */
	put("final2.conf", "Host alias\n    HostName real.example\n"
	                   "Host real.example\n    Port 4243\n"
	                   "Match canonical all\n    ConnectTimeout 5\n"
	                   "Match final host real.example\n    ServerAliveInterval 6\n"
	                   "Match final originalhost alias\n    ConnectionAttempts 8\n");
	t_opt_fresh(&o, "alias");
	CHECK_EQ_INT(read_one(&o, "final2.conf"), 0);
	CHECK_EQ_INT(o.port, 4243);
	CHECK_EQ_INT(o.connect_timeout, 5);
	CHECK_EQ_INT(o.server_alive_interval, 6);
	CHECK_EQ_INT(o.connection_attempts, 8);
	CHECK_STR(o.hostname, "real.example");
	options_free(&o);
	/* without Match final there is no second pass: Host real.example and canonical never
	 * apply; a negated final does not ask for one either */
	put("final3.conf", "Host alias\n    HostName real.example\n"
	                   "Host real.example\n    Port 4243\n"
	                   "Match canonical\n    ConnectTimeout 5\n"
	                   "Match !final\n    ServerAliveInterval 6\n");
	t_opt_fresh(&o, "alias");
	CHECK_EQ_INT(read_one(&o, "final3.conf"), 0);
	CHECK_EQ_INT(o.port, OPT_UNSET);
	CHECK_EQ_INT(o.connect_timeout, OPT_UNSET);
	CHECK_EQ_INT(o.server_alive_interval, 6);
	options_free(&o);
}

/* Include from a block that does not apply: checked, nothing applied; an included file's Host
 * lines do not change the including file's state */
static void test_include_blocks(void)
{
	struct options o;
	char text[1024];

	put("home/.x509ssh/bad.conf", "BatchMode maybe\n");
	put("home/.x509ssh/good.conf", "Port 77\nHost *\n    User included\n");
	put("home/.x509ssh/host.conf", "Host nomatch\n    User never\n");
	put("incl1.conf", "Host nomatch\nInclude bad.conf\n");
	t_opt_fresh(&o, "h");
	CHECK(read_one(&o, "incl1.conf") < 0);
	CHECK(strstr(err, "bad.conf:1: bad value 'maybe' for BatchMode") != NULL);
	options_free(&o);
	put("incl2.conf", "Host nomatch\nInclude good.conf\nHost *\n    ConnectTimeout 9\n");
	t_opt_fresh(&o, "h");
	CHECK_EQ_INT(read_one(&o, "incl2.conf"), 0);
	CHECK_EQ_INT(o.port, OPT_UNSET);
	CHECK(o.user == NULL);
	CHECK_EQ_INT(o.connect_timeout, 9);
	options_free(&o);
	put("incl3.conf", "Include host.conf\nPort 5\n");
	t_opt_fresh(&o, "h");
	CHECK_EQ_INT(read_one(&o, "incl3.conf"), 0);
	CHECK_EQ_INT(o.port, 5);
	CHECK(o.user == NULL);
	options_free(&o);
	/* Match final inside an included file */
	snprintf(text, sizeof(text), "Include %s\n", tp("final5.inc"));
	put("final5.conf", text);
	put("final5.inc", "Match final\n    Port 4245\n");
	t_opt_fresh(&o, "h");
	CHECK_EQ_INT(read_one(&o, "final5.conf"), 0);
	CHECK_EQ_INT(o.port, 4245);
	options_free(&o);
}

/* the user's files and every included file: refused when others may write them */
static void test_perms(void)
{
	struct options o;
	char text[512];

	put("home/.ssh/config", "Port 2\n");
	chmod(tp("home/.ssh/config"), 0664);
	t_opt_fresh(&o, "h");
	CHECK(options_read_files(&o, &paths_configs[1], 1, 1, err, sizeof(err)) < 0);
	CHECK(strstr(err, "/home/.ssh/config: bad owner or permissions") != NULL);
	options_free(&o);
	chmod(tp("home/.ssh/config"), 0600);
	t_opt_fresh(&o, "h");
	CHECK_EQ_INT(options_read_files(&o, &paths_configs[1], 1, 1, err, sizeof(err)), 0);
	CHECK_EQ_INT(o.port, 2);
	options_free(&o);
	/* -F: the file itself is not checked, what it includes is */
	put("perm_inc.conf", "User inc\n");
	snprintf(text, sizeof(text), "Port 3\nInclude %s\n", tp("perm_inc.conf"));
	put("perm_f.conf", text);
	chmod(tp("perm_f.conf"), 0666);
	t_opt_fresh(&o, "h");
	CHECK_EQ_INT(read_one(&o, "perm_f.conf"), 0);
	CHECK_STR(o.user, "inc");
	options_free(&o);
	chmod(tp("perm_inc.conf"), 0646);
	t_opt_fresh(&o, "h");
	CHECK(read_one(&o, "perm_f.conf") < 0);
	CHECK(strstr(err, "perm_inc.conf: bad owner or permissions") != NULL);
	options_free(&o);
}

/* ---- HostKeyAlgorithms from OpenSSH's files ---- */

static char *x509_defaults(void)
{
	char *all = algo_default_list("key", 1), *out = NULL, *tok, *save = NULL;
	size_t len = 0;

	if (all == NULL || (out = calloc(1, strlen(all) + 1)) == NULL) {
		free(all);
		return NULL;
	}
	for (tok = strtok_r(all, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		if (strncmp(tok, "x509v3-", 7) == 0) {
			len += (size_t)sprintf(out + len, "%s%s", len > 0 ? "," : "", tok);
		}
	}
	free(all);
	return out;
}

/* read rel for host h (after the command-line line cli, if any), then finish */
static int hk_load(struct options *o, const char *rel, const char *cli, int ca, const char *x509hk)
{
	char line[128];
	int r;

	t_opt_fresh(o, "h");
	if (cli != NULL && t_opt_apply(o, cli) != 0) {
		return -1;
	}
	if (x509hk != NULL) {
		snprintf(line, sizeof(line), "X509HostKeys %s", x509hk);
		if (t_opt_apply(o, line) != 0) {
			return -1;
		}
	}
	if ((r = t_opt_read(o, tp(rel))) != 0) {
		return r;
	}
	return options_finish(o, "localuser", ca, err, sizeof(err));
}

static void test_plain_only(void)
{
	struct options o;
	char *x = x509_defaults(), want[4096];

	CHECK(x != NULL && x[0] != '\0');
	snprintf(want, sizeof(want), "%s,ssh-ed25519,rsa-sha2-512", x != NULL ? x : "");
	put("home/.ssh/config", "HostKeyAlgorithms ssh-ed25519,rsa-sha2-512\n");
	put("home/.ssh/x509.conf", "HostKeyAlgorithms x509v3-ecdsa-sha2-nistp256,ssh-ed25519\n");
	put("home/.ssh/plus.conf", "HostKeyAlgorithms +ssh-rsa\n");
	put("home/.ssh/inactive.conf", "Host other\n    HostKeyAlgorithms ssh-ed25519\n");
	put("home/.x509ssh/config", "HostKeyAlgorithms ssh-ed25519,rsa-sha2-512\n");
	put("home/.x509ssh/inc_ssh.conf", "Include ~/.ssh/config\n");
	put("etc_ssh_like.conf", "HostKeyAlgorithms ssh-ed25519\n");

	/* OpenSSH's file, plain list, CA store: x509v3 defaults first, then the list */
	CHECK_EQ_INT(hk_load(&o, "home/.ssh/config", NULL, 1, NULL), 0);
	CHECK_EQ_INT(o.hostkey_algorithms_plain_only, 1);
	CHECK_STR(o.hostkey_algorithms, want);
	options_free(&o);
	/* the same reached through an Include from our own file */
	CHECK_EQ_INT(hk_load(&o, "home/.x509ssh/inc_ssh.conf", NULL, 1, NULL), 0);
	CHECK_STR(o.hostkey_algorithms, want);
	options_free(&o);
	/* no CA store, or X509HostKeys no: the list as given */
	CHECK_EQ_INT(hk_load(&o, "home/.ssh/config", NULL, 0, NULL), 0);
	CHECK_STR(o.hostkey_algorithms, "ssh-ed25519,rsa-sha2-512");
	options_free(&o);
	CHECK_EQ_INT(hk_load(&o, "home/.ssh/config", NULL, 1, "no"), 0);
	CHECK_STR(o.hostkey_algorithms, "ssh-ed25519,rsa-sha2-512");
	options_free(&o);
	/* a list naming x509v3 algorithms is used as given */
	CHECK_EQ_INT(hk_load(&o, "home/.ssh/x509.conf", NULL, 1, NULL), 0);
	CHECK_EQ_INT(o.hostkey_algorithms_plain_only, 0);
	CHECK_STR(o.hostkey_algorithms, "x509v3-ecdsa-sha2-nistp256,ssh-ed25519");
	options_free(&o);
	/* +list keeps the defaults (x509v3 included): not flagged */
	CHECK_EQ_INT(hk_load(&o, "home/.ssh/plus.conf", NULL, 1, NULL), 0);
	CHECK_EQ_INT(o.hostkey_algorithms_plain_only, 0);
	CHECK(o.hostkey_algorithms != NULL && x != NULL &&
	      strncmp(o.hostkey_algorithms, x, strlen(x)) == 0);
	options_free(&o);
	/* a line in a block that does not apply sets nothing */
	CHECK_EQ_INT(hk_load(&o, "home/.ssh/inactive.conf", NULL, 1, NULL), 0);
	CHECK_EQ_INT(o.hostkey_algorithms_plain_only, 0);
	options_free(&o);
	/* our own file: exactly the list */
	CHECK_EQ_INT(hk_load(&o, "home/.x509ssh/config", NULL, 1, NULL), 0);
	CHECK_EQ_INT(o.hostkey_algorithms_plain_only, 0);
	CHECK_STR(o.hostkey_algorithms, "ssh-ed25519,rsa-sha2-512");
	options_free(&o);
	/* a file elsewhere (-F) is ours */
	CHECK_EQ_INT(hk_load(&o, "etc_ssh_like.conf", NULL, 1, NULL), 0);
	CHECK_STR(o.hostkey_algorithms, "ssh-ed25519");
	options_free(&o);
	/* the command line's value wins and is used as given */
	CHECK_EQ_INT(hk_load(&o, "home/.ssh/config", "HostKeyAlgorithms ssh-ed25519", 1, NULL), 0);
	CHECK_EQ_INT(o.hostkey_algorithms_plain_only, 0);
	CHECK_STR(o.hostkey_algorithms, "ssh-ed25519");
	options_free(&o);
	free(x);
}

int main(void)
{
	char cmd[512];

	umask(022); /* the files written here must not be writable by others */
	snprintf(tmp, sizeof(tmp), "%s/x509ssh_cfgfiles_XXXXXX", P_tmpdir);
	if (mkdtemp(tmp) == NULL) {
		return 1;
	}
	mkdir(tp("home"), 0700);
	setenv("HOME", tp("home"), 1);

	test_order();
	test_match_criteria();
	test_match_final();
	test_include_blocks();
	test_perms();
	test_plain_only();

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	if (system(cmd) != 0) {
		fprintf(stderr, "could not remove %s\n", tmp);
	}
	T_DONE();
}
