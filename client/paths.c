/* Paths: the home directory, the local user name and ~ / %-token expansion. */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "paths.h"
#include "ssh/err.h"

const char *path_home(void)
{
	const char *h = getenv("HOME");
	struct passwd *pw;

	if (h != NULL && *h != '\0') {
		return h;
	}
	pw = getpwuid(getuid());
	if (pw != NULL && pw->pw_dir != NULL) {
		return pw->pw_dir;
	}
	return "/";
}

const char *path_local_user(void)
{
	struct passwd *pw = getpwuid(getuid());

	if (pw != NULL && pw->pw_name != NULL) {
		return pw->pw_name;
	}
	return getenv("USER") != NULL ? getenv("USER") : "";
}

static int append(char *dst, size_t *n, const char *s)
{
	size_t l = strlen(s);

	if (*n + l >= PATH_MAX_LEN) {
		return SSH_ERR_TOO_LARGE;
	}
	memcpy(dst + *n, s, l);
	*n += l;
	dst[*n] = '\0';
	return 0;
}

int path_expand(const char *in, const struct options *o, char **out)
{
	char buf[PATH_MAX_LEN], num[32], lhost[256];
	const char *p = in, *v;
	size_t n = 0;
	int r = 0;

	*out = NULL;
	buf[0] = '\0';
	if (p[0] == '~' && (p[1] == '/' || p[1] == '\0')) {
		if ((r = append(buf, &n, path_home())) != 0) {
			return r;
		}
		p++;
	}
	for (; *p != '\0'; p++) {
		char one[2] = {*p, '\0'};
		if (*p != '%') {
			if ((r = append(buf, &n, one)) != 0) {
				return r;
			}
			continue;
		}
		p++;
		v = NULL;
		switch (*p) {
		case '%':
			v = "%";
			break;
		case 'd':
			v = path_home();
			break;
		case 'u':
			v = path_local_user();
			break;
		case 'l':
			if (gethostname(lhost, sizeof(lhost)) != 0) {
				lhost[0] = '\0';
			}
			lhost[sizeof(lhost) - 1] = '\0';
			v = lhost;
			break;
		case 'h':
			v = o != NULL ? (o->hostname != NULL ? o->hostname : o->host) : NULL;
			break;
		case 'n':
			v = o != NULL ? o->host : NULL;
			break;
		case 'r':
			v = o != NULL ? o->user : NULL;
			break;
		case 'p':
			if (o != NULL) {
				snprintf(num, sizeof(num), "%d", o->port > 0 ? o->port : 22);
				v = num;
			}
			break;
		default:
			break;
		}
		if (v == NULL) {
			return SSH_ERR_FORMAT;
		}
		if ((r = append(buf, &n, v)) != 0) {
			return r;
		}
	}
	if ((*out = strdup(buf)) == NULL) {
		return SSH_ERR_ALLOC;
	}
	return 0;
}
