/*
 * The options tests' shared steps (test_options, test_options_compat, test_config_files): a
 * fresh options struct for a host, one command-line line, a config file, the final step, each
 * leaving its error text in err. Header-only (static), include after t.h.
 *
 *   struct options o;
 *   CHECK_EQ_INT(t_opt_load(&o, "alpha.example", "data/cfg_main"), 0);
 *   CHECK_EQ_INT(t_opt_apply(&o, "Port 0"), SSH_ERR_CONFIG); CHECK(strstr(err, "Port") != NULL);
 */
#ifndef X509SSH_T_OPTIONS_H
#define X509SSH_T_OPTIONS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "options.h"

/* the error text of the last step below (a test may pass it to options_* calls of its own) */
static char err[1024];

/* options in their initial state, for host */
static inline void t_opt_fresh(struct options *o, const char *host)
{
	options_init(o);
	o->host = strdup(host);
}

/* one line as -o gives it */
static inline int t_opt_apply(struct options *o, const char *line)
{
	err[0] = '\0';
	return options_apply(o, line, "command line", err, sizeof(err));
}

/* one config file by path */
static inline int t_opt_read(struct options *o, const char *path)
{
	err[0] = '\0';
	return options_read_file(o, path, 0, err, sizeof(err));
}

/* a config file holding text (a newline is added), read for o's host, then removed; its path in
 * path when path is not NULL (for the messages that name it) */
static inline int t_opt_read_text(struct options *o, const char *text, char *path, size_t plen)
{
	char tmpl[] = "/tmp/t_options_XXXXXX";
	int fd = mkstemp(tmpl), r;
	FILE *f;

	if (fd < 0 || (f = fdopen(fd, "w")) == NULL) {
		return -100;
	}
	fprintf(f, "%s\n", text);
	fclose(f);
	if (path != NULL) {
		snprintf(path, plen, "%s", tmpl);
	}
	r = t_opt_read(o, tmpl);
	unlink(tmpl);
	return r;
}

/* the step after every source: defaults, the local user "localuser", no CA configured */
static inline int t_opt_finish(struct options *o)
{
	err[0] = '\0';
	return options_finish(o, "localuser", 0, err, sizeof(err));
}

/* fresh for host, the file at path, then finish */
static inline int t_opt_load(struct options *o, const char *host, const char *path)
{
	int r;

	t_opt_fresh(o, host);
	if ((r = t_opt_read(o, path)) != 0) {
		return r;
	}
	return t_opt_finish(o);
}

#endif
