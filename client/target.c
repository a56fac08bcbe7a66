/* One connection of a run, resolved as x509ssh resolves it (target.h). */
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "identity.h"
#include "agent_sock.h"
#include "jumpspec.h"
#include "known_hosts.h"
#include "log.h"
#include "loop.h"
#include "options.h"
#include "paths.h"
#include "target.h"
#include "trust.h"
#include "x509_limits.h"
#include "ssh/namelist.h"
#include "ssh/sshkey.h"

extern char **environ;

int target_have_ca_store(const struct options *o)
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
 * RequestTTY option; auto = a pty when no command is given (a subsystem has one: its name).
 * Without force, stdin must be a tty and not given up by -n. -N never asks, as OpenSSH.
 */
static int want_tty(const struct options *o, const char *command)
{
	int mode = o->request_tty, want;

	if (o->session_type == SESSION_NONE) {
		return 0;
	}
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
	if (want && (o->stdin_null || !isatty(STDIN_FILENO))) {
		log_info("Pseudo-terminal will not be allocated because stdin is not a terminal.");
		want = 0;
	}
	return want;
}

/* SessionType as the engine knows it (-N ignores a command, as OpenSSH) */
static const enum ssh_session_kind session_kinds[] = {
    [SESSION_DEFAULT] = SSH_SESSION_DEFAULT,
    [SESSION_NONE] = SSH_SESSION_NONE,
    [SESSION_SUBSYSTEM] = SSH_SESSION_SUBSYSTEM,
};

int target_prepare(
    struct target *t, struct options *o, const char *command, char *err, size_t errlen)
{
	struct winsize ws;
	int r;

	t->o = o;
	memset(&t->cfg, 0, sizeof(t->cfg));
	t->cfg.session = session_kinds[o->session_type];
	t->hk_algs = order_hostkey_algs(o);
	t->cfg.kex_algs = o->kex_algorithms;
	t->cfg.ciphers = o->ciphers;
	t->cfg.macs = o->macs;
	t->cfg.hostkey_algs = t->hk_algs != NULL ? t->hk_algs : o->hostkey_algorithms;
	t->cfg.pubkey_algs = o->pubkey_accepted_algorithms;
	t->cfg.user = o->user;
	t->cfg.x509_max_chain =
	    o->x509_max_chain > 0 ? (size_t)o->x509_max_chain : X509_MAX_CHAIN_DEFAULT;
	t->cfg.rsa_min_bits = o->required_rsa_size > 0 ? (unsigned)o->required_rsa_size : 0;
	t->cfg.command = command;
	t->cfg.rekey_bytes = o->rekey_bytes > 0 ? (uint64_t)o->rekey_bytes : 0;
	t->cfg.rekey_seconds = o->rekey_seconds > 0 ? (uint32_t)o->rekey_seconds : 0;
	t->cfg.want_tty = want_tty(o, command);
	if (!t->cfg.want_tty) {
		o->force_tty = 0; /* the loop puts the terminal in raw mode only with a pty */
	}
	t->cfg.term = getenv("TERM") != NULL ? getenv("TERM") : "vt100";
	t->cfg.cols = 80;
	t->cfg.rows = 24;
	if (t->cfg.want_tty && ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) {
		t->cfg.cols = ws.ws_col;
		t->cfg.rows = ws.ws_row;
	}
	build_env(o, t->env, TARGET_ENV_MAX + 1);
	t->cfg.env = t->env;
	t->cfg.forward_agent = t->cfg.session != SSH_SESSION_NONE && agent_fwd_ready(o);
	t->cfg.log = log_conn_cb;
	t->cfg.log_arg = NULL;

	if ((r = identities_new(o, &t->ids, err, errlen)) != 0) {
		return -1;
	}
	if (o->user_from_default && o->user_from_certificate != OPT_UNSET &&
	    o->user_from_certificate != UFC_NO) {
		int upn = o->user_from_certificate == UFC_UPN;
		if (identities_cert_user(t->ids, upn, &t->cert_user) != 0) {
			snprintf(err, errlen,
			    "auth: UserFromCertificate %s: no identity's certificate carries a%s",
			    upn ? "upn" : "cn", upn ? " UPN" : " CN");
			return -1;
		}
		log_verbose(
		    "login name '%s' from the certificate's %s", t->cert_user, upn ? "UPN" : "CN");
		t->cfg.user = t->cert_user;
	}
	return 0;
}

void target_free(struct target *t)
{
	identities_free(t->ids);
	free(t->cert_user);
	free(t->hk_algs);
	t->ids = NULL;
	t->cert_user = NULL;
	t->hk_algs = NULL;
}

/* A jump host carries the next hop only: no forwardings. Its own ProxyJump was followed (the
 * first hop of a list) or is overridden by the list; its ProxyCommand connects it only when it is
 * the first hop of all (as OpenSSH, where -J keeps a later hop's ProxyCommand from applying). */
static void clear_forwardings(struct options *o, const struct jump_hop *h, int first)
{
	options_clear_forwardings(o);
	if (o->proxy_jump != NULL && !h->own_jump) {
		log_debug1("jump host %s: its own ProxyJump %s is overridden by the hop list",
		    o->host, o->proxy_jump);
	}
	free(o->proxy_jump);
	o->proxy_jump = NULL;
	if (o->proxy_command != NULL && !first) {
		log_debug1("jump host %s: its ProxyCommand is not used (reached through the hop "
		           "before it)",
		    o->host);
		free(o->proxy_command);
		o->proxy_command = NULL;
	}
}

/*
 * A jump host's options: its Host block in the config files, the user and port of the -J spec
 * first; nothing of the command line but -F applies (as OpenSSH). It gets no session and no
 * forwardings of its own.
 */
static int hop_read(struct options *o, const struct jump_hop *h, const char *config)
{
	char err[1024];

	options_init(o);
	o->session_type = SESSION_NONE;
	if ((o->host = strdup(h->host)) == NULL ||
	    (h->user != NULL && (o->user = strdup(h->user)) == NULL)) {
		fatal_error("config", "out of memory");
		return -1;
	}
	if (h->port > 0) {
		o->port = h->port;
	}
	if (options_read_configs(o, config, err, sizeof(err)) != 0 ||
	    options_finish(o, paths_local_user(), target_have_ca_store(o), err, sizeof(err)) != 0) {
		fatal_error("config", "jump host %s: %s", h->host, err);
		return -1;
	}
	return 0;
}

/* jump_expand's question: the ProxyJump of a hop's own Host block (errors are printed) */
static int hop_own_jump(void *arg, const struct jump_hop *h, char **spec, char *err, size_t errlen)
{
	struct options o;
	int r = -1;

	*spec = NULL;
	errfmt(err, errlen, "%s", "");
	if (hop_read(&o, h, (const char *)arg) != 0) {
		goto out;
	}
	if (o.proxy_jump != NULL) {
		log_debug1(
		    "jump host %s: reached through its own ProxyJump %s", h->host, o.proxy_jump);
		if ((*spec = strdup(o.proxy_jump)) == NULL) {
			fatal_error("config", "out of memory");
			goto out;
		}
	}
	r = 0;
out:
	options_free(&o);
	return r;
}

/* The jump hosts of ProxyJump / -J and of the jump hosts' own ProxyJump, first hop first.
 * Errors are printed. */
int target_jumps(const struct options *o, const char *config, struct target **out, size_t *nout)
{
	struct jump_spec j;
	struct target *t = NULL;
	size_t i;
	char err[512] = "";
	int r = -1;

	if (jump_expand(o->proxy_jump, hop_own_jump, (void *)config, &j, err, sizeof(err)) != 0) {
		if (err[0] != '\0') { /* else hop_own_jump printed it */
			fatal_error("config", "%s", err);
		}
		return -1;
	}
	if (j.n == 0) {
		r = 0; /* "none" */
		goto done;
	}
	if ((t = calloc(j.n, sizeof(*t))) == NULL) {
		fatal_error("config", "out of memory");
		goto done;
	}
	*out = t;
	for (i = 0; i < j.n; i++) {
		*nout = i + 1;
		if (hop_read(&t[i].own, &j.hop[i], config) != 0) {
			goto done;
		}
		clear_forwardings(&t[i].own, &j.hop[i], i == 0);
		if (target_prepare(&t[i], &t[i].own, NULL, err, sizeof(err)) != 0) {
			fatal_line(err);
			goto done;
		}
	}
	r = 0;
done:
	jump_spec_free(&j);
	return r;
}

int target_run(const struct target *hops, size_t nhops, const struct target *dest)
{
	struct loop_target *lt = calloc(nhops + 1, sizeof(*lt));
	int status;

	if (lt == NULL) {
		fatal_error("connect", "out of memory");
		return 255;
	}
	for (size_t i = 0; i <= nhops; i++) {
		const struct target *t = i < nhops ? &hops[i] : dest;
		lt[i].o = t->o;
		lt[i].cfg = &t->cfg;
		lt[i].ids = t->ids;
	}
	status = loop_run(lt, nhops + 1);
	free(lt);
	return status;
}

void target_jumps_free(struct target *hops, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		target_free(&hops[i]);
		options_free(&hops[i].own);
	}
	free(hops);
}
