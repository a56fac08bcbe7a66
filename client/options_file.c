/*
 * Config files in ssh_config(5) style: the default files in their order (or -F), Host and Match
 * blocks (the criteria are in options_match.c), Include (glob, nested up to OPT_MAX_DEPTH), the
 * final pass "Match final" asks for, one keyword line at a time through options_apply_args.
 */
#include "options.h"
#include "options_int.h"
#include "options_match.h"

#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "log.h"
#include "namelist.h"
#include "paths.h"
#include "textfile.h"

#define OPT_MAX_LINE  (16 * 1024) /* longest config line */
#define OPT_MAX_DEPTH 16          /* Include nesting */

/* how one file is read: inherited by what it includes */
struct cfg_read {
	const char *incdir;    /* relative Includes, "~" expanded */
	int openssh;           /* one of OpenSSH's own files */
	int never;             /* included from a block that does not apply: check, apply nothing */
	int checkperm;         /* owner and mode checked: the user's files and every include */
	struct cfg_pass *pass; /* first or final */
};

static int read_file_depth(struct options *o, const char *path, int optional, int depth,
    const struct cfg_read *rd, int *activep, char *err, size_t errlen);

/* Host pattern ...: any positive match and no negated match */
static int match_host_line(const char *host, const struct args *a)
{
	size_t i;
	int got = 0;

	for (i = 1; i < a->n; i++) {
		const char *p = a->v[i];
		int neg = p[0] == '!';
		if (namelist_pattern(host, neg ? p + 1 : p, 1)) {
			if (neg) {
				return 0;
			}
			got = 1;
		}
	}
	return got;
}

/* the paths_configs row whose directory holds path: its incdir (expanded) and openssh flag;
 * ~/.x509ssh and not OpenSSH's for anything else */
static int classify(const char *path, char **incdir, int *openssh)
{
	size_t i;
	int r;

	*incdir = NULL;
	*openssh = 0;
	for (i = 0; i < paths_n_configs; i++) {
		char *dir = NULL;
		size_t dl;
		if ((r = paths_expand_tilde(paths_configs[i].incdir, &dir)) != 0) {
			return r;
		}
		dl = strlen(dir);
		if (strncmp(path, dir, dl) == 0 && path[dl] == '/') {
			*incdir = dir;
			*openssh = paths_configs[i].openssh;
			return 0;
		}
		free(dir);
	}
	return paths_expand_tilde(PATHS_USER_DIR, incdir);
}

/* a HostKeyAlgorithms value that replaces the list and names no x509v3 algorithm */
static int plain_only_list(const char *v)
{
	const char *p;

	if (v[0] == '+' || v[0] == '-' || v[0] == '^') {
		return 0; /* the defaults, x509v3 ones included, stay as they are */
	}
	for (p = v; *p != '\0'; p++) {
		if (strncasecmp(p, "x509v3-", 7) == 0) {
			return 0;
		}
	}
	return 1;
}

static int do_include(struct options *o, const struct args *a, int depth, const struct cfg_read *rd,
    int active, const char *where, char *err, size_t errlen)
{
	struct cfg_read sub = *rd;
	glob_t g;
	char *pat = NULL, *exp = NULL, *incdir = NULL;
	size_t i, j;
	int r = 0, gr, openssh = 0, sub_active;

	if (depth + 1 > OPT_MAX_DEPTH) {
		errfmt(err, errlen, "%s: Include nested too deeply", where);
		return SSH_ERR_TOO_LARGE;
	}
	sub.never = rd->never || !active;
	sub.checkperm = 1;
	for (i = 1; i < a->n && r == 0; i++) {
		if ((r = paths_expand_tilde(a->v[i], &exp)) != 0) {
			errfmt(err, errlen, "%s: out of memory", where);
			break;
		}
		if (exp[0] != '/') {
			if (asprintf(&pat, "%s/%s", rd->incdir, exp) < 0) {
				pat = NULL;
				r = SSH_ERR_ALLOC;
				errfmt(err, errlen, "%s: out of memory", where);
				break;
			}
		} else {
			pat = exp;
			exp = NULL;
		}
		memset(&g, 0, sizeof(g));
		gr = glob(pat, 0, NULL, &g);
		if (gr != 0 && gr != GLOB_NOMATCH) {
			errfmt(err, errlen, "%s: Include '%.200s': cannot expand", where, a->v[i]);
			r = SSH_ERR_SYSTEM;
		}
		for (j = 0; gr == 0 && j < g.gl_pathc && r == 0; j++) {
			/* a file in OpenSSH's directories is OpenSSH's, whoever includes it */
			if ((r = classify(g.gl_pathv[j], &incdir, &openssh)) != 0) {
				errfmt(err, errlen, "%s: out of memory", where);
				break;
			}
			free(incdir);
			incdir = NULL;
			sub.openssh = rd->openssh || openssh;
			/* the included file starts in the state of the Include line and cannot
			 * change the including file's */
			sub_active = active && !sub.never;
			r = read_file_depth(
			    o, g.gl_pathv[j], 0, depth + 1, &sub, &sub_active, err, errlen);
		}
		globfree(&g);
		free(pat);
		free(exp);
		pat = exp = NULL;
	}
	free(pat);
	free(exp);
	return r;
}

/* one line that is neither Host, Match nor Include */
static int keyword_line(struct options *o, struct args *a, const struct cfg_read *rd, int active,
    const char *where, char *err, size_t errlen)
{
	int hk = rd->openssh && active && o->hostkey_algorithms == NULL &&
	         strcasecmp(a->v[0], "HostKeyAlgorithms") == 0;
	int r;

	if ((r = options_apply_args(o, a, active, err, errlen)) != 0) {
		return r;
	}
	if (hk && o->hostkey_algorithms != NULL && plain_only_list(o->hostkey_algorithms)) {
		o->hostkey_algorithms_plain_only = 1;
		log_debug1("%s: HostKeyAlgorithms from an OpenSSH config file names no x509v3 "
		           "algorithm: it sets the plain host key algorithms only",
		    where);
	}
	return 0;
}

/* as OpenSSH: a file others may write (or that another user owns) could run commands through
 * Match exec, so it is refused */
static int check_perm(FILE *fp, const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (fstat(fileno(fp), &st) != 0) {
		errfmt(err, errlen, "%s: %s", path, strerror(errno));
		return SSH_ERR_SYSTEM;
	}
	if ((st.st_uid != 0 && st.st_uid != getuid()) || (st.st_mode & 022) != 0) {
		errfmt(err, errlen, "%s: bad owner or permissions", path);
		return SSH_ERR_FORMAT;
	}
	return 0;
}

static int read_file_depth(struct options *o, const char *path, int optional, int depth,
    const struct cfg_read *rd, int *activep, char *err, size_t errlen)
{
	FILE *fp = NULL;
	char *line = NULL;
	char where[600], cause[512];
	struct args a;
	unsigned long lineno = 0;
	int bad = 0, r = 0;

	memset(&a, 0, sizeof(a));
	if ((fp = fopen(path, "re")) == NULL) {
		/* only a file that is not there is optional: one we cannot read may hold settings
		 * that matter (X509HostKeys require, ...) */
		if (optional && (errno == ENOENT || errno == ENOTDIR)) {
			log_debug2("config file %s: %s", path, strerror(errno));
			return 0;
		}
		errfmt(err, errlen, "%s: %s", path, strerror(errno));
		return SSH_ERR_SYSTEM;
	}
	log_debug1("Reading configuration data %s%s", path, rd->pass->final ? " (final pass)" : "");
	if (rd->checkperm && (r = check_perm(fp, path, err, errlen)) != 0) {
		goto out;
	}
	if ((line = malloc(OPT_MAX_LINE + 1)) == NULL) {
		errfmt(err, errlen, "%s: out of memory", path);
		r = SSH_ERR_ALLOC;
		goto out;
	}
	while (textfile_read_line(fp, line, OPT_MAX_LINE + 1, &bad)) {
		lineno++;
		snprintf(where, sizeof(where), "%.500s:%lu", path, lineno);
		if (bad) {
			errfmt(err, errlen, "%s: line too long or contains a NUL byte", where);
			r = SSH_ERR_FORMAT;
			goto out;
		}
		free(a.buf);
		if ((r = options_split_line(line, &a, cause, sizeof(cause))) != 0) {
			errfmt(err, errlen, "%s: %s", where, cause);
			goto out;
		}
		if (a.n == 0) {
			continue;
		}
		if (strcasecmp(a.v[0], "Host") == 0) {
			if (a.n < 2) {
				errfmt(err, errlen, "%s: Host needs a pattern", where);
				r = SSH_ERR_FORMAT;
				goto out;
			}
			/* the final pass compares the HostName of the first one, as OpenSSH */
			*activep = !rd->never &&
			           match_host_line(rd->pass->final ? o->hostname : o->host, &a);
		} else if (strcasecmp(a.v[0], "Match") == 0) {
			if ((r = options_match_line(
			         o, &a, rd->pass, where, activep, cause, sizeof(cause))) != 0) {
				errfmt(err, errlen, "%s: %s", where, cause);
				goto out;
			}
			*activep = *activep && !rd->never;
		} else if (strcasecmp(a.v[0], "Include") == 0) {
			if (a.n < 2) {
				errfmt(err, errlen, "%s: Include needs a file name", where);
				r = SSH_ERR_FORMAT;
				goto out;
			}
			if ((r = do_include(o, &a, depth, rd, *activep, where, err, errlen)) != 0) {
				goto out;
			}
		} else if ((r = keyword_line(o, &a, rd, *activep, where, cause, sizeof(cause))) !=
		           0) {
			errfmt(err, errlen, "%s: %s", where, cause);
			goto out;
		}
	}
	if (ferror(fp)) {
		errfmt(err, errlen, "%s: %s", path, strerror(errno));
		r = SSH_ERR_SYSTEM;
	}
out:
	free(a.buf);
	free(line);
	fclose(fp);
	return r;
}

static int read_list(struct options *o, const struct paths_config *files, size_t n, int optional,
    struct cfg_pass *pass, char *err, size_t errlen)
{
	struct cfg_read rd;
	char *path = NULL, *incdir = NULL;
	size_t i;
	int r = 0, active;

	for (i = 0; i < n && r == 0; i++) {
		if ((r = paths_expand_tilde(files[i].file, &path)) != 0 ||
		    (r = paths_expand_tilde(files[i].incdir, &incdir)) != 0) {
			errfmt(err, errlen, "out of memory");
			break;
		}
		memset(&rd, 0, sizeof(rd));
		rd.incdir = incdir;
		rd.openssh = files[i].openssh;
		rd.checkperm = files[i].user;
		rd.pass = pass;
		active = 1;
		r = read_file_depth(o, path, optional, 0, &rd, &active, err, errlen);
		free(path);
		free(incdir);
		path = incdir = NULL;
	}
	free(path);
	free(incdir);
	return r;
}

int options_read_files(struct options *o, const struct paths_config *files, size_t n, int optional,
    char *err, size_t errlen)
{
	struct cfg_pass pass;
	char *host = NULL;
	int r;

	if (o == NULL || (files == NULL && n > 0)) {
		errfmt(err, errlen, "no config file");
		return SSH_ERR_INTERNAL;
	}
	memset(&pass, 0, sizeof(pass));
	if ((r = read_list(o, files, n, optional, &pass, err, errlen)) != 0 || !pass.want_final) {
		return r;
	}
	/* Match final: everything again, Host and Match host now seeing the HostName */
	log_debug1("configuration requests final Match pass");
	if ((host = options_match_host(o)) == NULL) {
		errfmt(err, errlen, "out of memory");
		return SSH_ERR_ALLOC;
	}
	free(o->hostname);
	o->hostname = host;
	pass.final = 1;
	return read_list(o, files, n, optional, &pass, err, errlen);
}

int options_read_file(struct options *o, const char *path, int optional, char *err, size_t errlen)
{
	struct paths_config one;
	char *incdir = NULL;
	int r, openssh = 0;

	if (o == NULL || path == NULL) {
		errfmt(err, errlen, "no config file");
		return SSH_ERR_INTERNAL;
	}
	if ((r = classify(path, &incdir, &openssh)) != 0) {
		errfmt(err, errlen, "out of memory");
		return r;
	}
	one.file = path;
	one.incdir = incdir;
	one.openssh = openssh;
	one.user = 0; /* -F: that file as it is; what it includes is checked */
	r = options_read_files(o, &one, 1, optional, err, errlen);
	free(incdir);
	return r;
}

int options_read_configs(struct options *o, const char *config, char *err, size_t errlen)
{
	if (config != NULL) {
		if (strcmp(config, "none") == 0) {
			return 0;
		}
		return options_read_file(o, config, 0, err, errlen);
	}
	return options_read_files(o, paths_configs, paths_n_configs, 1, err, errlen);
}
