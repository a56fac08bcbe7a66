/*
 * Config files in ssh_config(5) style: Host and Match host blocks, Include (glob, nested up to
 * OPT_MAX_DEPTH), one keyword line at a time through options_apply_args.
 */
#include "options.h"
#include "options_int.h"

#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "err.h"
#include "log.h"
#include "namelist.h"
#include "paths.h"
#include "textfile.h"

#define OPT_MAX_LINE  (16 * 1024) /* longest config line */
#define OPT_MAX_DEPTH 16          /* Include nesting */

static int read_file_depth(struct options *o, const char *path, int optional, int depth,
    const char *incdir, char *err, size_t errlen);

/* Host pattern ...: any positive match and no negated match */
static int match_host_line(const struct options *o, const struct args *a)
{
	const char *host = o->host != NULL ? o->host : "";
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

/* Match all | Match [!]host list [[!]host list ...]; *result 1/0 */
static int match_line(
    const struct options *o, const struct args *a, int *result, char *err, size_t errlen)
{
	const char *host = o->hostname != NULL ? o->hostname : (o->host != NULL ? o->host : "");
	size_t i;
	int all = 1;

	*result = 0;
	if (a->n < 2) {
		errfmt(err, errlen, "Match needs a criterion");
		return SSH_ERR_FORMAT;
	}
	if (strcasecmp(a->v[1], "all") == 0) {
		if (a->n != 2) {
			errfmt(err, errlen, "Match all cannot be combined with other criteria");
			return SSH_ERR_FORMAT;
		}
		*result = 1;
		return 0;
	}
	for (i = 1; i < a->n; i += 2) {
		const char *c = a->v[i];
		int neg = c[0] == '!', m;
		if (neg) {
			c++;
		}
		if (strcasecmp(c, "host") != 0) {
			errfmt(err, errlen, "unsupported Match criterion '%.100s'", a->v[i]);
			return SSH_ERR_FORMAT;
		}
		if (i + 1 >= a->n || a->v[i + 1][0] == '\0') {
			errfmt(err, errlen, "Match host needs a pattern list");
			return SSH_ERR_FORMAT;
		}
		m = namelist_match_patterns(host, a->v[i + 1], 1) == 1;
		if (m == neg) {
			all = 0;
		}
	}
	*result = all;
	return 0;
}

static int do_include(struct options *o, const struct args *a, int depth, const char *incdir,
    const char *where, char *err, size_t errlen)
{
	glob_t g;
	char *pat = NULL, *exp = NULL;
	size_t i, j;
	int r = 0, gr;

	if (depth + 1 > OPT_MAX_DEPTH) {
		errfmt(err, errlen, "%s: Include nested too deeply", where);
		return SSH_ERR_TOO_LARGE;
	}
	for (i = 1; i < a->n && r == 0; i++) {
		if ((r = paths_expand_tilde(a->v[i], &exp)) != 0) {
			errfmt(err, errlen, "%s: out of memory", where);
			break;
		}
		if (exp[0] != '/') {
			if (asprintf(&pat, "%s/%s", incdir, exp) < 0) {
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
			r = read_file_depth(o, g.gl_pathv[j], 0, depth + 1, incdir, err, errlen);
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

static int read_file_depth(struct options *o, const char *path, int optional, int depth,
    const char *incdir, char *err, size_t errlen)
{
	FILE *fp = NULL;
	char *line = NULL;
	char where[600], cause[512];
	struct args a;
	unsigned long lineno = 0;
	int active = 1, bad = 0, r = 0;

	memset(&a, 0, sizeof(a));
	if ((fp = fopen(path, "re")) == NULL) {
		if (optional && errno == ENOENT) {
			return 0;
		}
		errfmt(err, errlen, "%s: %s", path, strerror(errno));
		return SSH_ERR_SYSTEM;
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
			active = match_host_line(o, &a);
		} else if (strcasecmp(a.v[0], "Match") == 0) {
			if ((r = match_line(o, &a, &active, cause, sizeof(cause))) != 0) {
				errfmt(err, errlen, "%s: %s", where, cause);
				goto out;
			}
		} else if (strcasecmp(a.v[0], "Include") == 0) {
			if (a.n < 2) {
				errfmt(err, errlen, "%s: Include needs a file name", where);
				r = SSH_ERR_FORMAT;
				goto out;
			}
			if (active &&
			    (r = do_include(o, &a, depth, incdir, where, err, errlen)) != 0) {
				goto out;
			}
		} else if ((r = options_apply_args(o, &a, active, cause, sizeof(cause))) != 0) {
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

int options_read_file(struct options *o, const char *path, int optional, char *err, size_t errlen)
{
	char *incdir = NULL;
	int r;

	if (o == NULL || path == NULL) {
		errfmt(err, errlen, "no config file");
		return SSH_ERR_INTERNAL;
	}
	/* relative Include: against /etc/x509ssh for system files, else ~/.x509ssh */
	if (strncmp(path, PATHS_SYSTEM_DIR "/", strlen(PATHS_SYSTEM_DIR) + 1) == 0) {
		r = paths_expand_tilde(PATHS_SYSTEM_DIR, &incdir);
	} else {
		r = paths_expand_tilde(PATHS_USER_DIR, &incdir);
	}
	if (r != 0) {
		errfmt(err, errlen, "out of memory");
		return r;
	}
	r = read_file_depth(o, path, optional, 0, incdir, err, errlen);
	free(incdir);
	return r;
}
