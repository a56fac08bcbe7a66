/*
 * -O: no master ever runs (there is no connection sharing), so the answer is OpenSSH's when none
 * runs; and OpenSSH's %-tokens of ControlPath, RemoteCommand and ProxyCommand.
 */
#include "cmdline.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "log.h"
#include "paths.h"

static const char *const ctl_cmds[] = {"check", "forward", "cancel", "exit", "stop", "proxy", NULL};

/* the value of %c for o (ControlPath, RemoteCommand, ProxyCommand), NULL for an unknown token; buf
 * holds the values that are computed */
static const char *token_value(const struct options *o, char c, char *buf, size_t len)
{
	char host[256] = "", *in = NULL;
	int ok;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	gethostname(host, sizeof(host) - 1);
	switch (c) {
	case '%':
		return "%";
	case 'h':
		return o->hostname != NULL ? o->hostname : o->host;
	case 'n':
		return o->host;
	case 'k':
		return o->host_key_alias != NULL ? o->host_key_alias : o->host;
	case 'r':
		return o->user;
	case 'u':
		return paths_local_user();
	case 'd':
		return getenv("HOME") != NULL ? getenv("HOME") : "";
	case 'j':
		return o->proxy_jump != NULL ? o->proxy_jump : ""; /* ProxyJump, as given */
	case 'T':
		return "NONE"; /* no Tunnel */
	case 'l':
		snprintf(buf, len, "%s", host);
		return buf;
	case 'L':
		snprintf(buf, len, "%.*s", (int)strcspn(host, "."), host);
		return buf;
	case 'p':
		snprintf(buf, len, "%d", o->port);
		return buf;
	case 'i':
		snprintf(buf, len, "%u", (unsigned)getuid());
		return buf;
	case 'C': /* SHA-1 of %l%h%p%r%j, in hex, as OpenSSH */
		if (len < 41 ||
		    asprintf(&in, "%s%s%d%s%s", host, o->hostname != NULL ? o->hostname : o->host,
		        o->port, o->user, o->proxy_jump != NULL ? o->proxy_jump : "") < 0) {
			return NULL;
		}
		ok = EVP_Digest(in, strlen(in), md, &mdlen, EVP_sha1(), NULL) == 1;
		free(in);
		if (!ok) {
			return NULL;
		}
		for (unsigned int k = 0; k < mdlen; k++) {
			snprintf(buf + 2 * k, 3, "%02x", md[k]);
		}
		return buf;
	default:
		return NULL;
	}
}

int cmdline_expand_only(
    const struct options *o, const char *in, const char *only, char *out, size_t len, char *bad)
{
	char buf[64];
	size_t k = 0;

	for (const char *p = in; *p != '\0'; p++) {
		const char *v;
		char one[2] = {*p, '\0'};
		if (*p == '%') {
			if (only != NULL && (p[1] == '\0' || strchr(only, p[1]) == NULL)) {
				*bad = p[1];
				return -2;
			}
			if ((v = token_value(o, p[1], buf, sizeof(buf))) == NULL) {
				*bad = p[1];
				return -2;
			}
			p++;
		} else {
			v = one;
		}
		if (k + strlen(v) >= len) {
			return -1;
		}
		memcpy(out + k, v, strlen(v));
		k += strlen(v);
	}
	out[k] = '\0';
	return 0;
}

int cmdline_expand(const struct options *o, const char *in, char *out, size_t len, char *bad)
{
	return cmdline_expand_only(o, in, NULL, out, len, bad);
}

int cmdline_control(const struct options *o, const char *cmd)
{
	struct sockaddr_un sun;
	char *path = NULL, bad = 0;
	size_t i;
	int fd, e, r;

	for (i = 0; ctl_cmds[i] != NULL && strcmp(ctl_cmds[i], cmd) != 0; i++) {
	}
	if (ctl_cmds[i] == NULL) {
		fatal_error("config", "Invalid multiplex command.");
		return -1;
	}
	if (o->control_path == NULL || strcmp(o->control_path, "none") == 0) {
		fatal_error("config", "No ControlPath specified for \"-O\" command");
		return -1;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (paths_expand_tilde(o->control_path, &path) != 0) {
		fatal_error("config", "out of memory");
		return -1;
	}
	r = cmdline_expand(o, path, sun.sun_path, sizeof(sun.sun_path), &bad);
	free(path);
	if (r != 0) {
		fatal_error("config",
		    r == -1 ? "ControlPath too long" : "ControlPath: unknown token %%%c", bad);
		return -1;
	}
	/* no master of ours ever listens; a socket of OpenSSH's speaks a protocol we do not */
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		e = errno;
	} else {
		e = connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0 ? 0 : errno;
		close(fd);
	}
	if (e != 0) {
		fatal_error(
		    "connect", "Control socket connect(%.100s): %s", sun.sun_path, strerror(e));
	} else {
		fatal_error("connect", "Control socket %.100s: connection sharing is not supported",
		    sun.sun_path);
	}
	return -1;
}
