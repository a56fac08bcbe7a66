/*
 * The command line: every flag of OpenSSH's ssh(1), each mapped onto its keyword through
 * options_apply where one exists (one table), the destination forms and -V. -Q is in query.c,
 * -O and the %-tokens in ctlpath.c.
 */
#include "cmdline.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "fwdspec.h"
#include "log.h"
#include "ssh/err.h"

#ifndef X509SSH_VERSION
#define X509SSH_VERSION "0.1.0" /* CMakeLists.txt passes project()'s version */
#endif

#define CMD_MAX (256u * 1024)

void cmdline_usage(void)
{
	fprintf(stderr,
	    "usage: x509ssh [-46AaCfGgKkMNnqsTtVvXxYy] [-B bind_interface] [-b bind_address]\n"
	    "               [-c cipher_spec] [-D [bind_address:]port] [-E log_file]\n"
	    "               [-e escape_char] [-F configfile] [-I pkcs11] [-i identity_file]\n"
	    "               [-J destination] [-L address] [-l login_name] [-m mac_spec]\n"
	    "               [-O ctl_cmd] [-o option] [-P tag] [-p port] [-Q query_option]\n"
	    "               [-R address] [-S ctl_path] [-W host:port]\n"
	    "               [-w local_tun[:remote_tun]] destination [command [argument ...]]\n");
}

/* A port number 1..65535, or -1. */
static int parse_port(const char *s)
{
	char *end = NULL;
	long v;

	if (s == NULL || *s == '\0') {
		return -1;
	}
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 1 || v > 65535) {
		return -1;
	}
	return (int)v;
}

/*
 * "[user@]host" or "ssh://[user@]host[:port]" (host may be "[v6addr]" in the URI form). *user and
 * *host are malloc'd (user may be NULL), *port -1 when not given. SSH_ERR_FORMAT if malformed.
 */
static int parse_destination(const char *dest, char **user, char **host, int *port)
{
	char *copy = NULL, *h, *at, *u = NULL, *hostpart = NULL, *p;
	int r = SSH_ERR_FORMAT;

	*user = NULL;
	*host = NULL;
	*port = -1;
	if ((copy = strdup(dest)) == NULL) {
		return SSH_ERR_ALLOC;
	}
	h = copy;
	if (strncmp(copy, "ssh://", 6) == 0) {
		h = copy + 6;
		if (strchr(h, '/') != NULL && h[strcspn(h, "/")] != '\0') {
			p = strchr(h, '/');
			if (p[1] != '\0') {
				goto out; /* a path is not allowed */
			}
			*p = '\0';
		}
		if ((at = strrchr(h, '@')) != NULL) {
			*at = '\0';
			u = h;
			h = at + 1;
		}
		if (*h == '[') {
			p = strchr(h, ']');
			if (p == NULL) {
				goto out;
			}
			*p = '\0';
			hostpart = h + 1;
			p++;
			if (*p == ':') {
				if ((*port = parse_port(p + 1)) < 0) {
					goto out;
				}
			} else if (*p != '\0') {
				goto out;
			}
		} else {
			hostpart = h;
			if ((p = strchr(h, ':')) != NULL) {
				*p = '\0';
				if ((*port = parse_port(p + 1)) < 0) {
					goto out;
				}
			}
		}
	} else {
		if ((at = strrchr(h, '@')) != NULL) {
			*at = '\0';
			u = h;
			h = at + 1;
		}
		hostpart = h;
	}
	if (hostpart == NULL || *hostpart == '\0' || *hostpart == '-' ||
	    strpbrk(hostpart, " \t\r\n'\"`\\$;&|<>") != NULL) {
		goto out;
	}
	if (u != NULL && *u == '\0') {
		goto out;
	}
	if (u != NULL && (*user = strdup(u)) == NULL) {
		r = SSH_ERR_ALLOC;
		goto out;
	}
	if ((*host = strdup(hostpart)) == NULL) {
		free(*user);
		*user = NULL;
		r = SSH_ERR_ALLOC;
		goto out;
	}
	r = 0;
out:
	if (r != 0) {
		*port = -1;
	}
	free(copy);
	return r;
}

/* The remaining arguments joined with spaces, like ssh. */
static int join_command(int argc, char **argv, char **out)
{
	size_t len = 0;
	char *s = NULL;

	*out = NULL;
	if (argc <= 0) {
		return 0;
	}
	for (int i = 0; i < argc; i++) {
		len += strlen(argv[i]) + 1;
		if (len > CMD_MAX) {
			return SSH_ERR_TOO_LARGE;
		}
	}
	if ((s = malloc(len)) == NULL) {
		return SSH_ERR_ALLOC;
	}
	s[0] = '\0';
	for (int i = 0; i < argc; i++) {
		if (i > 0) {
			strcat(s, " ");
		}
		strcat(s, argv[i]);
	}
	*out = s;
	return 0;
}

/*
 * The flags that are a keyword: "-c spec" is "Ciphers spec", "-x" is "ForwardX11 no". A flag
 * may set two keywords (two rows). As in OpenSSH, a flag's value replaces an earlier -o one.
 */
static const struct flag_kw {
	char flag;
	const char *kw;
	const char *value; /* NULL: the flag's argument */
} flag_kws[] = {
    {'2', "Protocol", "2"},
    {'A', "ForwardAgent", "yes"},
    {'a', "ForwardAgent", "no"},
    {'B', "BindInterface", NULL},
    {'b', "BindAddress", NULL},
    {'C', "Compression", "yes"},
    {'c', "Ciphers", NULL},
    {'D', "DynamicForward", NULL},
    {'e', "EscapeChar", NULL},
    {'f', "ForkAfterAuthentication", "yes"},
    {'g', "GatewayPorts", "yes"},
    {'K', "GSSAPIAuthentication", "yes"},
    {'K', "GSSAPIDelegateCredentials", "yes"},
    {'k', "GSSAPIDelegateCredentials", "no"},
    {'L', "LocalForward", NULL},
    {'M', "ControlMaster", "yes"},
    {'m', "MACs", NULL},
    {'P', "Tag", NULL},
    {'R', "RemoteForward", NULL},
    {'S', "ControlPath", NULL},
    {'w', "Tunnel", "yes"},
    {'w', "TunnelDevice", NULL},
    {'X', "ForwardX11", "yes"},
    {'x', "ForwardX11", "no"},
    {'Y', "ForwardX11", "yes"},
    {'Y', "ForwardX11Trusted", "yes"},
};

/* "Keyword \"value\"" with '"' and '\\' escaped: a value with blanks stays one value */
static int quoted_line(char **out, const char *kw, const char *v)
{
	size_t n = strlen(kw) + 4 + 2 * strlen(v), k;
	char *s = malloc(n);

	if (s == NULL) {
		return -1;
	}
	k = (size_t)snprintf(s, n, "%s \"", kw);
	for (; *v != '\0'; v++) {
		if (*v == '"' || *v == '\\') {
			s[k++] = '\\';
		}
		s[k++] = *v;
	}
	s[k++] = '"';
	s[k] = '\0';
	*out = s;
	return 0;
}

/* the flag's rows through options_apply_override; 1 if c is not in the table */
static int apply_flag(struct options *o, int c, const char *arg)
{
	char err[512], *line = NULL;
	int found = 0;

	for (size_t i = 0; i < sizeof(flag_kws) / sizeof(flag_kws[0]); i++) {
		const struct flag_kw *f = &flag_kws[i];
		int r;
		if (f->flag != c) {
			continue;
		}
		found = 1;
		r = f->value != NULL ? asprintf(&line, "%s %s", f->kw, f->value)
		                     : quoted_line(&line, f->kw, arg);
		if (r < 0) {
			fatal_error("config", "out of memory");
			return -1;
		}
		r = options_apply_override(o, line, err, sizeof(err));
		free(line);
		line = NULL;
		if (r != 0) {
			fatal_error("config", "-%c: %s", c, err);
			return -1;
		}
	}
	return found ? 0 : 1;
}

static int set_string(char **field, const char *v)
{
	char *c = strdup(v);

	if (c == NULL) {
		return SSH_ERR_ALLOC;
	}
	free(*field);
	*field = c;
	return 0;
}

/* -J: ProxyJump's value; as OpenSSH, only one -J, and not after a ProxyCommand (or ProxyJump) */
static int jump_flag(struct options *o, const char *arg)
{
	char err[512], *line = NULL;
	int r;

	if (o->proxy_jump != NULL) {
		fatal_error("config",
		    "only a single -J option is permitted (use commas to separate "
		    "multiple jump hops)");
		return -1;
	}
	if (o->proxy_command != NULL) {
		fatal_error("config", "cannot specify -J with ProxyCommand");
		return -1;
	}
	if (quoted_line(&line, "ProxyJump", arg) != 0) {
		fatal_error("config", "out of memory");
		return -1;
	}
	r = options_apply(o, line, "command line", err, sizeof(err));
	free(line);
	if (r != 0) {
		fatal_error("config", "-J: %s", err);
		return -1;
	}
	return 0;
}

/* -W host:port, checked; as OpenSSH: no tty, no session (ClearAllForwardings and
 * ExitOnForwardFailure default to yes at finish) */
static int stdio_flag(struct options *o, const char *arg)
{
	struct fwd_spec s;
	char err[256];

	if (o->stdio_forward != NULL) {
		fatal_error("config", "stdio forward already specified");
		return -1;
	}
	if (fwd_spec_parse(FWD_STDIO, arg, &s, err, sizeof(err)) != 0) {
		fatal_error("config", "-W: bad stdio forwarding spec '%s': %s", arg, err);
		return -1;
	}
	fwd_spec_free(&s);
	if (set_string(&o->stdio_forward, arg) != 0) {
		fatal_error("config", "out of memory");
		return -1;
	}
	o->request_tty = RTTY_NO;
	o->session_type = SESSION_NONE;
	return 0;
}

/* the flags without a keyword row; 1 for an unknown flag */
static int other_flag(int opt, struct options *o, struct cmdline *a, char **cl_user, int *cl_port,
    int *nv, int *quiet)
{
	char err[512];

	switch (opt) {
	case '1':
		fatal_error("config", "SSH protocol v.1 is no longer supported");
		return -1;
	case '4':
		o->address_family = AF_OPT_INET;
		break;
	case '6':
		o->address_family = AF_OPT_INET6;
		break;
	case 'G':
		a->dump = 1;
		break;
	case 'N':
		o->session_type = SESSION_NONE;
		break;
	case 'n':
		o->stdin_null = 1;
		break;
	case 'q':
		*quiet = 1;
		break;
	case 's':
		o->session_type = SESSION_SUBSYSTEM;
		break;
	case 'T':
		o->no_tty = 1;
		break;
	case 't':
		o->force_tty++;
		break;
	case 'v':
		(*nv)++;
		break;
	case 'y':
		a->syslog = 1;
		break;
	case 'V':
		fprintf(
		    stderr, "x509ssh %s, %s\n", X509SSH_VERSION, OpenSSL_version(OPENSSL_VERSION));
		return 2;
	case 'J':
		return jump_flag(o, optarg);
	case 'W':
		return stdio_flag(o, optarg);
	case 'O':
		a->ctl_cmd = optarg;
		break;
	case 'E':
	case 'I':
		if (set_string(opt == 'E' ? &o->log_file : &o->pkcs11_provider, optarg) != 0) {
			fatal_error("config", "out of memory");
			return -1;
		}
		break;
	case 'F':
		a->config = optarg;
		break;
	case 'i':
		if (o->n_identity_file >= OPT_MAX_LIST) {
			fatal_error("config", "too many identity files");
			return -1;
		}
		if ((o->identity_file[o->n_identity_file] = strdup(optarg)) == NULL) {
			fatal_error("config", "out of memory");
			return -1;
		}
		o->n_identity_file++;
		break;
	case 'l':
		free(*cl_user);
		if ((*cl_user = strdup(optarg)) == NULL) {
			fatal_error("config", "out of memory");
			return -1;
		}
		break;
	case 'o':
		if (options_apply(o, optarg, "command line", err, sizeof(err)) != 0) {
			fatal_error("config", "%s", err);
			return -1;
		}
		break;
	case 'p':
		if ((*cl_port = parse_port(optarg)) < 0) {
			fatal_error("config", "bad port '%s'", optarg);
			return -1;
		}
		break;
	case 'Q':
		a->query = optarg;
		break;
	default:
		return 1;
	}
	return 0;
}

static int one_flag(int opt, struct options *o, struct cmdline *a, char **cl_user, int *cl_port,
    int *nv, int *quiet)
{
	int r;

	if (opt == '?' || opt == ':') {
		if (opt == ':') {
			fatal_error("config", "option -%c needs an argument", optopt);
		} else if (optopt > 32 && optopt < 127) {
			fatal_error("config", "unknown option -%c", optopt);
		} else {
			fatal_error("config", "unknown option");
		}
		cmdline_usage();
		return -1;
	}
	if ((r = apply_flag(o, opt, optarg)) <= 0) {
		return r;
	}
	if ((r = other_flag(opt, o, a, cl_user, cl_port, nv, quiet)) == 1) {
		fatal_error("config", "unknown option -%c", opt);
		cmdline_usage();
		return -1;
	}
	return r;
}

/* the destination (user@ / ssh:// forms), -l and -p: the command line wins over both */
static int set_destination(struct options *o, struct cmdline *a, char *cl_user, int cl_port)
{
	char *user = NULL, *host = NULL;
	int port;

	if (a->dest != NULL) {
		if (parse_destination(a->dest, &user, &host, &port) != 0) {
			free(cl_user);
			fatal_error("config", "invalid destination '%s'", a->dest);
			return -1;
		}
		free(o->host);
		o->host = host;
		if (cl_port < 0 && port > 0) {
			cl_port = port;
		}
		if (cl_user == NULL) {
			cl_user = user;
			user = NULL;
		}
		free(user);
	}
	if (cl_port > 0) {
		o->port = cl_port;
	}
	if (cl_user != NULL) {
		free(o->user);
		o->user = cl_user;
	}
	return 0;
}

int cmdline_parse(int argc, char **argv, struct options *o, struct cmdline *a)
{
	const char *ostr =
	    "+:1246AaB:b:Cc:D:E:e:F:fGgI:i:J:KkL:l:Mm:NnO:o:P:p:Q:qR:S:sTtVvW:w:XxYy";
	int opt, nv = 0, quiet = 0, r, cl_port = -1;
	char *cl_user = NULL;

	memset(a, 0, sizeof(*a));
	a->log_level = OPT_UNSET;
	opterr = 0;
	optind = 0; /* glibc: 0 re-initialises the scanner (the unit tests parse many times) */
	for (;;) {
		while ((opt = getopt(argc, argv, ostr)) != -1) {
			if ((r = one_flag(opt, o, a, &cl_user, &cl_port, &nv, &quiet)) != 0) {
				free(cl_user);
				return r == 2 ? CMDLINE_EXIT0 : CMDLINE_FAIL;
			}
		}
		if (optind >= argc || a->dest != NULL) {
			break;
		}
		if (strcmp(argv[optind - 1], "--") == 0 && optind > 1) {
			a->dest = argv[optind++];
			break;
		}
		a->dest = argv[optind++];
		if (optind >= argc) {
			break;
		}
		/* options may follow the destination, as with ssh; a new getopt scan */
		argc -= optind - 1;
		argv += optind - 1;
		optind = 0; /* glibc: 0 re-initialises the scanner */
	}
	if (a->dest == NULL && a->query == NULL) {
		free(cl_user);
		return CMDLINE_USAGE;
	}
	if ((r = join_command(argc - optind, argv + optind, &a->command)) != 0) {
		free(cl_user);
		fatal_error(
		    "config", "%s", r == SSH_ERR_ALLOC ? "out of memory" : "command too long");
		return CMDLINE_FAIL;
	}
	if (quiet) {
		a->log_level = LOG_QUIET;
	} else if (nv > 0) {
		a->log_level = nv >= 3 ? LOG_DEBUG3 : nv == 2 ? LOG_DEBUG2 : LOG_DEBUG1;
	}
	if (a->log_level != OPT_UNSET) {
		o->log_level = a->log_level;
	}
	return set_destination(o, a, cl_user, cl_port) == 0 ? CMDLINE_OK : CMDLINE_FAIL;
}
