/* x509ssh: command line, configuration, then one session through the poll loop. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "background.h"
#include "cmdline.h"
#include "log.h"
#include "loop.h"
#include "options.h"
#include "p11.h"
#include "paths.h"
#include "ssh/err.h"
#include "target.h"
#include "trust_x509.h"

#define EXIT_FAIL 255

int main(int argc, char **argv)
{
	struct options o;
	struct cmdline a;
	struct target dest, *hops = NULL;
	size_t nhops = 0;
	char err[1024];
	int r, status = EXIT_FAIL;

	memset(&dest, 0, sizeof(dest));

	/* the token helper (a process of ours running the PKCS#11 modules) never returns */
	(void)p11_helper_main(argc, argv);

	/* first of all: no core file, no ptrace or /proc/PID/mem for others while PINs, passwords
	 * and private keys may be in memory */
	if (loop_no_dumps() != 0) {
		fatal_error("config", "cannot make the process non-dumpable: %s", strerror(errno));
		return EXIT_FAIL;
	}
	/* the process exits right after the session: let the kernel reclaim libcrypto's tables
	 * instead of walking them at exit (a measurable share of a short connection's CPU) */
	OPENSSL_init_crypto(OPENSSL_INIT_NO_ATEXIT, NULL);
	options_init(&o);
	memset(&a, 0, sizeof(a));
	r = cmdline_parse(argc, argv, &o, &a);
	if (r == CMDLINE_USAGE) {
		cmdline_usage();
		goto out;
	}
	if (r == CMDLINE_EXIT0) {
		status = 0;
		goto out;
	}
	if (r != CMDLINE_OK) {
		goto out;
	}
	if (log_init(a.log_level != OPT_UNSET ? a.log_level : LOG_INFO, o.log_file) != 0) {
		fatal_error("config", "cannot open log file %s: %s", o.log_file, strerror(errno));
		goto out;
	}
	if (a.query != NULL) {
		status = cmdline_query(a.query) == 0 ? 0 : EXIT_FAIL;
		goto out;
	}
	o.command = a.command; /* Match command / sessiontype */
	if (options_read_configs(&o, a.config, err, sizeof(err)) != 0) {
		fatal_error("config", "%s", err);
		goto out;
	}
	if (options_finish(&o, paths_local_user(), target_have_ca_store(&o), err, sizeof(err)) !=
	    0) {
		fatal_error("config", "%s", err);
		goto out;
	}
	log_set_level(o.log_level);
	options_report_compat(&o);
	if (a.syslog) {
		log_debug1("-y has no effect in x509ssh (logs go to stderr)");
	}
	if (a.dump) {
		if (options_dump(&o, stdout) != 0) {
			fatal_error(
			    "config", "cannot write the configuration: %s", strerror(errno));
			goto out;
		}
		status = 0;
		goto out;
	}
	if (a.ctl_cmd != NULL) {
		cmdline_control(&o, a.ctl_cmd);
		goto out;
	}
	if (o.refuse_connection == 1) {
		fatal_error("config", "RefuseConnection is set for %s: not connecting", o.host);
		goto out;
	}
	if (o.remote_command != NULL && a.command != NULL) {
		fatal_error("config", "cannot execute both a command line and RemoteCommand");
		goto out;
	}
	if (a.command == NULL && o.remote_command != NULL) {
		char bad = 0;
		size_t len = strlen(o.remote_command) + 1;
		for (const char *p = o.remote_command; (p = strchr(p, '%')) != NULL; p++) {
			len += 4200; /* room for a token's value (%d: a home directory) */
		}
		if ((a.command = malloc(len)) == NULL) {
			fatal_error("config", "out of memory");
			goto out;
		}
		if (cmdline_expand(&o, o.remote_command, a.command, len, &bad) != 0) {
			fatal_error("config", "RemoteCommand: unknown token %%%c", bad);
			goto out;
		}
	}

	if (o.session_type == SESSION_SUBSYSTEM && (a.command == NULL || a.command[0] == '\0')) {
		fatal_error("config", "-s needs a subsystem name"); /* as ssh, -o SessionType too */
		goto out;
	}
	if (o.fork_after_authentication == 1) {
		if (o.session_type != SESSION_NONE && (a.command == NULL || a.command[0] == '\0') &&
		    o.stdio_forward == NULL) {
			fatal_error("config", "-f (ForkAfterAuthentication) needs a command or -N");
			goto out;
		}
		o.stdin_null = 1; /* -f implies -n, as ssh */
		/* before any token, thread or socket exists: none of them survives fork() */
		if (background_fork() != 0) {
			fatal_error("config", "cannot go to the background: %s", strerror(errno));
			goto out;
		}
	}
	if (target_prepare(&dest, &o, a.command, err, sizeof(err)) != 0) {
		fatal_line(err);
		goto out;
	}
	if (o.proxy_jump != NULL && target_jumps(&o, a.config, &hops, &nhops) != 0) {
		goto out;
	}
	status = target_run(hops, nhops, &dest);
out:
	target_free(&dest);
	target_jumps_free(hops, nhops);
	free(a.command);
	trust_x509_cleanup();
	options_free(&o);
	log_close();
	return status;
}
