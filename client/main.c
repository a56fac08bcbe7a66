/* x509ssh: command line, configuration, then one session through the poll loop. */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "identity.h"
#include "known_hosts.h"
#include "log.h"
#include "loop.h"
#include "options.h"
#include "x509_limits.h"
#include "paths.h"
#include "ssh/conn.h"
#include "ssh/err.h"
#include "ssh/sshkey.h"
#include "ssh/namelist.h"
#include "trust.h"
#include "trust_x509.h"

extern char **environ;

#define EXIT_FAIL 255
#define CMD_MAX   (256u * 1024)
#define ENV_MAX   64

struct args {
	int log_level;      /* from -v / -q, OPT_UNSET if none */
	const char *config; /* -F */
	const char *query;  /* -Q */
	int dump;           /* -G */
	const char *dest;
	char *command; /* joined */
};

static void usage(void)
{
	fprintf(stderr, "usage: x509ssh [-46GqTtv] [-E logfile] [-F configfile] [-I pkcs11-uri | "
	                "module] [-i identity]\n"
	                "               [-l login] [-o Option=value] [-p port] [-Q query] "
	                "destination [command [argument ...]]\n");
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

/*
 * Parse argv into o and a. Returns 0, 1 for a usage error, or -1 with a "config: ..." line
 * already printed.
 */
static int parse_args(int argc, char **argv, struct options *o, struct args *a)
{
	char err[512], where[] = "command line";
	char *user = NULL, *host = NULL;
	const char *ostr = "+46GNnqsTtvE:F:I:i:l:o:p:Q:";
	int opt, port, nv = 0, quiet = 0, r;
	int cl_port = -1;
	char *cl_user = NULL;

	memset(a, 0, sizeof(*a));
	a->log_level = OPT_UNSET;
	opterr = 0;
	optind = 1;
	for (;;) {
		while ((opt = getopt(argc, argv, ostr)) != -1) {
			switch (opt) {
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
				quiet = 1;
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
				nv++;
				break;
			case 'E':
				if (set_string(&o->log_file, optarg) != 0) {
					free(cl_user);
					fatal_error("config", "out of memory");
					return -1;
				}
				break;
			case 'F':
				a->config = optarg;
				break;
			case 'I':
				if (set_string(&o->pkcs11_provider, optarg) != 0) {
					free(cl_user);
					fatal_error("config", "out of memory");
					return -1;
				}
				break;
			case 'i':
				if (o->n_identity_file >= OPT_MAX_LIST) {
					free(cl_user);
					fatal_error("config", "too many identity files");
					return -1;
				}
				if ((o->identity_file[o->n_identity_file] = strdup(optarg)) ==
				    NULL) {
					free(cl_user);
					fatal_error("config", "out of memory");
					return -1;
				}
				o->n_identity_file++;
				break;
			case 'l':
				free(cl_user);
				if ((cl_user = strdup(optarg)) == NULL) {
					fatal_error("config", "out of memory");
					return -1;
				}
				break;
			case 'o':
				if (options_apply(o, optarg, where, err, sizeof(err)) != 0) {
					free(cl_user);
					fatal_error("config", "%s", err);
					return -1;
				}
				break;
			case 'p':
				if ((cl_port = parse_port(optarg)) < 0) {
					free(cl_user);
					fatal_error("config", "bad port '%s'", optarg);
					return -1;
				}
				break;
			case 'Q':
				a->query = optarg;
				break;
			default:
				free(cl_user);
				return 1;
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
		return 1;
	}
	if ((r = join_command(argc - optind, argv + optind, &a->command)) != 0) {
		free(cl_user);
		fatal_error(
		    "config", "%s", r == SSH_ERR_ALLOC ? "out of memory" : "command too long");
		return -1;
	}
	if (quiet) {
		a->log_level = LOG_QUIET;
	} else if (nv > 0) {
		a->log_level = nv >= 3 ? LOG_DEBUG3 : nv == 2 ? LOG_DEBUG2 : LOG_DEBUG1;
	}
	if (a->log_level != OPT_UNSET) {
		o->log_level = a->log_level;
	}
	if (a->dest != NULL) {
		if ((r = parse_destination(a->dest, &user, &host, &port)) != 0) {
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

static int print_query(const char *what)
{
	char *list = NULL;

	if (strcmp(what, "key") == 0) {
		/* key types: the distinct key-blob names */
		const struct hostkey_alg *a;
		for (size_t i = 0; (a = hostkey_alg_at(i)) != NULL; i++) {
			int seen = 0;
			for (size_t j = 0; j < i; j++) {
				seen |= strcmp(hostkey_alg_at(j)->blob_name, a->blob_name) == 0;
			}
			if (!seen) {
				printf("%s\n", a->blob_name);
			}
		}
		return 0;
	}
	if (strcmp(what, "kex") == 0 || strcmp(what, "cipher") == 0 || strcmp(what, "mac") == 0) {
		list = algo_supported_list(what);
	} else if (strcmp(what, "key-sig") == 0 || strcmp(what, "sig") == 0) {
		list = algo_supported_list("key");
	} else {
		fatal_error(
		    "config", "unsupported query \"%s\" (kex, cipher, mac, key, key-sig)", what);
		return -1;
	}
	if (list == NULL) {
		fatal_error("config", "out of memory");
		return -1;
	}
	struct namelist_iter it;
	const char *el;
	size_t n;

	namelist_begin(&it, list);
	while (namelist_next(&it, &el, &n)) {
		printf("%.*s\n", (int)n, el);
	}
	free(list);
	return 0;
}

static int have_ca_store(const struct options *o)
{
	return o->ca_certificate_file != NULL || o->ca_certificate_path != NULL ||
	       paths_default_ca_exists();
}

/* Host-key algorithms: x509v3 ones stay first; then the plain ones whose key type known_hosts
 * already holds for this host (as OpenSSH orders them), then the rest. */
static char *order_hostkey_algs(const struct options *o)
{
	char khname[1100], **files = NULL, *known = NULL, *out = NULL;
	size_t nfiles = 0;

	if (o->hostkey_algorithms == NULL) {
		return NULL;
	}
	if (trust_khname(o, khname, sizeof(khname)) != 0 || trust_files(o, &files, &nfiles) != 0) {
		goto done;
	}
	known = known_hosts_types((const char *const *)files, nfiles, khname);
	if (known == NULL || *known == '\0') {
		goto done;
	}
	for (int pass = 0; pass < 3; pass++) {
		struct namelist_iter it;
		const char *el;
		size_t n;

		namelist_begin(&it, o->hostkey_algorithms);
		while (namelist_next(&it, &el, &n)) {
			char name[128];
			const struct hostkey_alg *a = NULL;
			int x509 = strncmp(el, "x509v3-", 7) == 0, kn = 0, want;
			if (n == 0 || n >= sizeof(name)) {
				continue;
			}
			memcpy(name, el, n);
			name[n] = '\0';
			if (!x509 && (a = hostkey_alg_by_name(name)) != NULL) {
				kn = namelist_contains(known, a->blob_name);
			}
			want = pass == 0 ? x509 : pass == 1 ? (!x509 && kn) : (!x509 && !kn);
			if (want && namelist_add(&out, el, n) != 0) {
				free(out);
				out = NULL;
				goto done;
			}
		}
	}
	log_debug3("host key algorithms for %s: %s", khname, out);
done:
	free(known);
	trust_files_free(files);
	return out;
}

/* SetEnv entries, then the environment variables SendEnv selects. */
static void build_env(const struct options *o, const char **env, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < o->n_set_env && n + 1 < max; i++) {
		env[n++] = o->set_env[i];
	}
	for (char **e = environ; e != NULL && *e != NULL && n + 1 < max; e++) {
		char name[256];
		size_t l = strcspn(*e, "=");
		if (l == 0 || l >= sizeof(name) || (*e)[l] != '=') {
			continue;
		}
		memcpy(name, *e, l);
		name[l] = '\0';
		for (size_t i = 0; i < o->n_send_env; i++) {
			const char *pat = o->send_env[i];
			if (pat[0] != '-' && fnmatch(pat, name, 0) == 0) {
				env[n++] = *e;
				break;
			}
		}
	}
	env[n] = NULL;
}

/*
 * RequestTTY: -T = no, -t = yes, -tt = force (the command line wins over the config), else the
 * RequestTTY option; auto = a pty when no command is given. Without force, stdin must be a tty.
 */
static int want_tty(const struct options *o, const char *command)
{
	int mode = o->request_tty, want;

	if (o->no_tty) {
		mode = RTTY_NO;
	} else if (o->force_tty >= 2) {
		mode = RTTY_FORCE;
	} else if (o->force_tty == 1) {
		mode = RTTY_YES;
	}
	switch (mode) {
	case RTTY_FORCE:
		return 1;
	case RTTY_YES:
		want = 1;
		break;
	case RTTY_NO:
		return 0;
	case RTTY_AUTO:
	default:
		want = command == NULL || command[0] == '\0';
		break;
	}
	if (want && !isatty(STDIN_FILENO)) {
		log_info("Pseudo-terminal will not be allocated because stdin is not a terminal.");
		want = 0;
	}
	return want;
}

int main(int argc, char **argv)
{
	struct options o;
	struct args a;
	struct ssh_conn_config cfg;
	struct identities *ids = NULL;
	struct winsize ws;
	const char *env[ENV_MAX + 1];
	char err[1024], *hk_algs = NULL, *cert_user = NULL;
	int r, status = EXIT_FAIL;

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
	r = parse_args(argc, argv, &o, &a);
	if (r == 1) {
		usage();
		goto out;
	}
	if (r != 0) {
		goto out;
	}
	if (log_init(a.log_level != OPT_UNSET ? a.log_level : LOG_INFO, o.log_file) != 0) {
		fatal_error("config", "cannot open log file %s: %s", o.log_file, strerror(errno));
		goto out;
	}
	if (a.query != NULL) {
		status = print_query(a.query) == 0 ? 0 : EXIT_FAIL;
		goto out;
	}
	o.command = a.command; /* Match command / sessiontype */
	if (options_read_configs(&o, a.config, err, sizeof(err)) != 0) {
		fatal_error("config", "%s", err);
		goto out;
	}
	if (options_finish(&o, paths_local_user(), have_ca_store(&o), err, sizeof(err)) != 0) {
		fatal_error("config", "%s", err);
		goto out;
	}
	log_set_level(o.log_level);
	if (a.dump) {
		options_dump(&o, stdout);
		fflush(stdout);
		status = 0;
		goto out;
	}

	memset(&cfg, 0, sizeof(cfg));
	hk_algs = order_hostkey_algs(&o);
	cfg.kex_algs = o.kex_algorithms;
	cfg.ciphers = o.ciphers;
	cfg.macs = o.macs;
	cfg.hostkey_algs = hk_algs != NULL ? hk_algs : o.hostkey_algorithms;
	cfg.pubkey_algs = o.pubkey_accepted_algorithms;
	cfg.user = o.user;
	cfg.x509_max_chain =
	    o.x509_max_chain > 0 ? (size_t)o.x509_max_chain : X509_MAX_CHAIN_DEFAULT;
	cfg.command = a.command;
	cfg.rekey_bytes = o.rekey_bytes > 0 ? (uint64_t)o.rekey_bytes : 0;
	cfg.rekey_seconds = o.rekey_seconds > 0 ? (uint32_t)o.rekey_seconds : 0;
	cfg.want_tty = want_tty(&o, a.command);
	if (!cfg.want_tty) {
		o.force_tty = 0; /* the loop puts the terminal in raw mode only with a pty */
	}
	cfg.term = getenv("TERM") != NULL ? getenv("TERM") : "vt100";
	cfg.cols = 80;
	cfg.rows = 24;
	if (cfg.want_tty && ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) {
		cfg.cols = ws.ws_col;
		cfg.rows = ws.ws_row;
	}
	build_env(&o, env, ENV_MAX + 1);
	cfg.env = env;
	cfg.log = log_conn_cb;
	cfg.log_arg = NULL;

	if ((r = identities_new(&o, &ids, err, sizeof(err))) != 0) {
		fatal_line(err);
		goto out;
	}
	if (o.user_from_default && o.user_from_certificate != OPT_UNSET &&
	    o.user_from_certificate != UFC_NO) {
		int upn = o.user_from_certificate == UFC_UPN;
		if (identities_cert_user(ids, upn, &cert_user) != 0) {
			fatal_error("auth",
			    "UserFromCertificate %s: no identity's certificate carries a%s",
			    upn ? "upn" : "cn", upn ? " UPN" : " CN");
			goto out;
		}
		log_verbose(
		    "login name '%s' from the certificate's %s", cert_user, upn ? "UPN" : "CN");
		cfg.user = cert_user;
	}
	status = loop_run(&o, &cfg, ids);
out:
	identities_free(ids);
	free(cert_user);
	free(hk_algs);
	free(a.command);
	trust_x509_cleanup();
	options_free(&o);
	log_close();
	return status;
}
