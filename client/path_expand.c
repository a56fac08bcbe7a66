/* path_expand: "~" and the %-tokens of IdentityFile, CertificateFile and the CA paths. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "identity_int.h"
#include "paths.h"
#include "ssh/err.h"

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
		if ((r = append(buf, &n, paths_home())) != 0) {
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
			v = paths_home();
			break;
		case 'u':
			v = paths_local_user();
			v = v != NULL ? v : "";
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
