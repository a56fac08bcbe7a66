/* options_finish: the defaults of OPTIONS.md, algorithm lists resolved, "~" expanded. */
#include "options.h"
#include "x509_limits.h"
#include "options_int.h"
#include "agent_sock.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "algos.h"
#include "err.h"
#include "sshkey.h"
#include "log.h"
#include "namelist.h"
#include "paths.h"

#define DEFAULT_AUTHS    "publickey,keyboard-interactive,password"
#define DEFAULT_PURPOSES "secureShellServer,serverAuth,anyExtendedKeyUsage"

static int default_int(int *field, int v)
{
	if (*field == OPT_UNSET) {
		*field = v;
	}
	return 0;
}

static int default_str(char **field, const char *v)
{
	if (*field == NULL && (*field = strdup(v)) == NULL) {
		return SSH_ERR_ALLOC;
	}
	return 0;
}

static int default_list(char **arr, size_t *n, const char *const *defs)
{
	size_t i;

	if (*n > 0) {
		return 0;
	}
	for (i = 0; defs[i] != NULL; i++) {
		if ((arr[i] = strdup(defs[i])) == NULL) {
			return SSH_ERR_ALLOC;
		}
		(*n)++;
	}
	return 0;
}

/* "~" in a path (a pkcs11: URI is not a path) */
static int expand_field(char **field)
{
	char *e = NULL;
	int r;

	if (*field == NULL || strncmp(*field, "pkcs11:", 7) == 0) {
		return 0;
	}
	if ((r = paths_expand_tilde(*field, &e)) != 0) {
		return r;
	}
	free(*field);
	*field = e;
	return 0;
}

#define F(field) offsetof(struct options, field)

/* the path lists and the single paths that get "~" expanded */
static const struct {
	size_t off, cnt_off;
} path_lists[] = {
    {.off = F(user_known_hosts_file), .cnt_off = F(n_user_known_hosts_file)},
    {.off = F(global_known_hosts_file), .cnt_off = F(n_global_known_hosts_file)},
    {.off = F(identity_file), .cnt_off = F(n_identity_file)},
    {.off = F(x509_certificate_file), .cnt_off = F(n_x509_certificate_file)},
};
static const size_t path_fields[] = {F(ca_certificate_file), F(ca_certificate_path),
    F(ca_revocation_file), F(ca_revocation_path), F(pkcs11_provider)};

static int expand_paths(struct options *o)
{
	size_t i, j;
	int r;

	for (i = 0; i < sizeof(path_lists) / sizeof(path_lists[0]); i++) {
		char **v = FIELD(o, path_lists[i].off, char *);
		size_t n = *FIELD(o, path_lists[i].cnt_off, size_t);
		for (j = 0; j < n; j++) {
			if ((r = expand_field(&v[j])) != 0) {
				return r;
			}
		}
	}
	for (i = 0; i < sizeof(path_fields) / sizeof(path_fields[0]); i++) {
		if ((r = expand_field(FIELD(o, path_fields[i], char *))) != 0) {
			return r;
		}
	}
	return 0;
}

/* HostName: %h is the host as given, %% a percent sign */
static int expand_hostname(struct options *o, char *err, size_t errlen)
{
	const char *p = o->hostname;
	char *out = NULL;
	size_t n = 0, cap;

	if (strchr(p, '%') == NULL) {
		return 0;
	}
	cap = strlen(p) * (strlen(o->host) + 1) + 1;
	if ((out = malloc(cap)) == NULL) {
		errfmt(err, errlen, "out of memory");
		return SSH_ERR_ALLOC;
	}
	for (; *p != '\0'; p++) {
		if (*p != '%') {
			out[n++] = *p;
		} else if (p[1] == '%') {
			out[n++] = '%';
			p++;
		} else if (p[1] == 'h') {
			memcpy(out + n, o->host, strlen(o->host));
			n += strlen(o->host);
			p++;
		} else {
			errfmt(err, errlen, "bad token in HostName '%.100s'", o->hostname);
			free(out);
			return SSH_ERR_FORMAT;
		}
	}
	out[n] = '\0';
	free(o->hostname);
	o->hostname = out;
	return 0;
}

static int finish_algos(
    char **field, const char *name, const char *cat, int x509, char *err, size_t errlen)
{
	char *res = algo_resolve_category(*field, cat, x509, name, err, errlen);

	if (res == NULL) {
		return SSH_ERR_NO_ALGO;
	}
	free(*field);
	*field = res;
	return 0;
}

/* X509HostKeys no: take every x509v3 name out of the host-key list */
static int drop_x509_hostkeys(char **field, char *err, size_t errlen)
{
	struct namelist_iter it;
	const char *el;
	char name[256], *out = NULL;
	size_t n;
	int r = 0;

	namelist_begin(&it, *field);
	while (r == 0 && namelist_next(&it, &el, &n)) {
		const struct hostkey_alg *a = NULL;
		if (n < sizeof(name)) {
			memcpy(name, el, n);
			name[n] = '\0';
			a = hostkey_alg_by_name(name);
		}
		if (a == NULL || (a->flags & HK_FLAG_X509) == 0) {
			r = namelist_add(&out, el, n);
		}
	}
	if (r != 0) {
		errfmt(err, errlen, "out of memory");
		free(out);
		return r;
	}
	if (out == NULL) {
		errfmt(
		    err, errlen, "empty algorithm list in HostKeyAlgorithms with X509HostKeys no");
		return SSH_ERR_NO_ALGO;
	}
	free(*field);
	*field = out;
	return 0;
}

/* "none" means unset (RemoteCommand, ProxyCommand, PKCS11Provider) */
static void clear_on_none(char **field)
{
	if (*field != NULL && strcmp(*field, "none") == 0) {
		free(*field);
		*field = NULL;
	}
}

/* PasswordAuthentication / KbdInteractiveAuthentication / PubkeyAuthentication no: the method
 * leaves PreferredAuthentications (which may become empty: then no method is tried) */
static const struct {
	const char *method;
	size_t off;
} auth_switches[] = {
    {.method = "publickey", .off = F(pubkey_authentication)},
    {.method = "keyboard-interactive", .off = F(kbd_interactive_authentication)},
    {.method = "password", .off = F(password_authentication)},
};

static int filter_auths(struct options *o)
{
	struct namelist_iter it;
	const char *el;
	char *out = NULL;
	size_t n, i;
	int r = 0;

	namelist_begin(&it, o->preferred_authentications);
	while (r == 0 && namelist_next(&it, &el, &n)) {
		int on = 1;
		for (i = 0; i < sizeof(auth_switches) / sizeof(auth_switches[0]); i++) {
			if (strlen(auth_switches[i].method) == n &&
			    strncmp(auth_switches[i].method, el, n) == 0) {
				on = *FIELD(o, auth_switches[i].off, int) != 0;
			}
		}
		if (on) {
			r = namelist_add(&out, el, n);
		}
	}
	if (r == 0 && out == NULL && (out = strdup("")) == NULL) {
		r = SSH_ERR_ALLOC;
	}
	if (r != 0) {
		free(out);
		return r;
	}
	free(o->preferred_authentications);
	o->preferred_authentications = out;
	return 0;
}

/*
 * HostKeyAlgorithms set by one of OpenSSH's files with a list naming no x509v3 algorithm (which
 * such files cannot name): it governs the plain algorithms only, so with a CA store and
 * X509HostKeys not no our default x509v3 algorithms go in front of it.
 */
static int x509_before_plain_only(struct options *o, int have_ca_store, char *err, size_t errlen)
{
	struct namelist_iter it;
	const char *el;
	char *defs = NULL, *out = NULL;
	size_t n;
	int r = 0;

	if (!o->hostkey_algorithms_plain_only || !have_ca_store || o->x509_host_keys == X509HK_NO) {
		return 0;
	}
	if ((defs = algo_default_list("key", 1)) == NULL) {
		errfmt(err, errlen, "out of memory");
		return SSH_ERR_ALLOC;
	}
	namelist_begin(&it, defs);
	while (r == 0 && namelist_next(&it, &el, &n)) {
		if (n > 7 && strncmp(el, "x509v3-", 7) == 0) {
			r = namelist_add(&out, el, n);
		}
	}
	namelist_begin(&it, o->hostkey_algorithms);
	while (r == 0 && namelist_next(&it, &el, &n)) {
		r = namelist_add(&out, el, n);
	}
	free(defs);
	if (r != 0) {
		free(out);
		errfmt(err, errlen, "out of memory");
		return r;
	}
	log_verbose("HostKeyAlgorithms from an OpenSSH config file sets the plain host key "
	            "algorithms only; the X.509 ones (CA store) come first: %s",
	    out);
	free(o->hostkey_algorithms);
	o->hostkey_algorithms = out;
	return 0;
}

int options_finish(
    struct options *o, const char *local_user, int have_ca_store, char *err, size_t errlen)
{
	size_t had_ids;
	int r = SSH_ERR_ALLOC;

	if (o == NULL || o->host == NULL || o->host[0] == '\0') {
		errfmt(err, errlen, "no destination host");
		return SSH_ERR_FORMAT;
	}
	if ((r = default_str(&o->hostname, o->host)) != 0) {
		goto oom;
	}
	if ((r = expand_hostname(o, err, errlen)) != 0) {
		return r;
	}
	default_int(&o->port, 22);
	if (o->user == NULL) {
		if (local_user == NULL || local_user[0] == '\0') {
			errfmt(err, errlen, "no user name");
			return SSH_ERR_FORMAT;
		}
		if ((o->user = strdup(local_user)) == NULL) {
			goto oom;
		}
		o->user_from_default = 1;
	}
	default_int(&o->address_family, AF_OPT_ANY);
	if (o->connect_timeout == 0) {
		o->connect_timeout = OPT_UNSET; /* "none" */
	}
	default_int(&o->connection_attempts, 1);
	default_int(&o->server_alive_interval, 0);
	if (o->rekey_bytes == OPT_UNSET) {
		o->rekey_bytes = 0;
		o->rekey_seconds = 0;
	}
	default_int(&o->server_alive_count_max, 3);
	default_int(&o->batch_mode, 0);
	default_int(&o->log_level, LOG_INFO);
	default_int(&o->request_tty, RTTY_AUTO);
	default_int(&o->session_type, SESSION_DEFAULT);
	default_int(&o->stdin_null, 0);
	if (o->escape_char == ESC_NONE_SET) {
		o->escape_char = -1;
	} else {
		default_int(&o->escape_char, '~');
	}
	default_int(&o->number_of_password_prompts, 3);
	default_int(&o->strict_host_key_checking, SHK_ASK);
	default_int(&o->hash_known_hosts, 0);
	default_int(&o->enable_escape_commandline, 0);
	if (o->batch_mode && o->strict_host_key_checking == SHK_ASK) {
		o->strict_host_key_checking = SHK_YES; /* BatchMode never asks */
	}
	if ((r = default_str(&o->preferred_authentications, DEFAULT_AUTHS)) != 0) {
		goto oom;
	}
	default_int(&o->password_authentication, 1);
	default_int(&o->kbd_interactive_authentication, 1);
	default_int(&o->pubkey_authentication, 1);
	options_fwd_finish(o); /* before the check below: ClearAllForwardings empties lists */
	default_int(&o->refuse_connection, 0);
	if ((r = filter_auths(o)) != 0) {
		goto oom;
	}
	clear_on_none(&o->remote_command);
	clear_on_none(&o->proxy_command);
	clear_on_none(&o->pkcs11_provider);
	if ((r = options_compat_finish(o, err, errlen)) != 0) {
		return r;
	}

	/* X.509 */
	default_int(&o->x509_host_keys, X509HK_PREFER);
	default_int(&o->x509_name_fallback_cn, 1);
	if ((r = default_str(&o->x509_host_purposes, DEFAULT_PURPOSES)) != 0) {
		goto oom;
	}
	default_int(&o->x509_revocation, X509REV_CHECK);
	default_int(&o->x509_allow_partial_chain, 0);
	default_int(&o->x509_max_chain, X509_MAX_CHAIN_DEFAULT);
	default_int(&o->required_rsa_size, 1024);
	default_int(&o->x509_send_root, 0);
	default_int(&o->pkcs11_helper, 1);
	default_int(&o->user_from_certificate, UFC_NO);
	default_int(&o->identities_only, 0);
	if (o->x509_host_name == NULL) {
		const char *n = o->host_key_alias != NULL ? o->host_key_alias : o->hostname;
		if ((o->x509_host_name = strdup(n)) == NULL) {
			goto oom;
		}
	}

	/* algorithms */
	if ((r = finish_algos(&o->kex_algorithms, "KexAlgorithms", "kex", 0, err, errlen)) != 0 ||
	    (r = finish_algos(&o->ciphers, "Ciphers", "cipher", 0, err, errlen)) != 0 ||
	    (r = finish_algos(&o->macs, "MACs", "mac", 0, err, errlen)) != 0 ||
	    (r = finish_algos(&o->hostkey_algorithms, "HostKeyAlgorithms", "key",
	         have_ca_store && o->x509_host_keys != X509HK_NO, err, errlen)) != 0 ||
	    (r = finish_algos(&o->pubkey_accepted_algorithms, "PubkeyAcceptedAlgorithms", "pubkey",
	         1, err, errlen)) != 0) {
		return r;
	}
	if ((r = x509_before_plain_only(o, have_ca_store, err, errlen)) != 0) {
		return r;
	}
	if (o->x509_host_keys == X509HK_NO &&
	    (r = drop_x509_hostkeys(&o->hostkey_algorithms, err, errlen)) != 0) {
		return r;
	}

	/* files: defaults, then "~" (the % tokens are expanded where the files are opened) */
	had_ids = o->n_identity_file;
	if ((r = default_list(o->user_known_hosts_file, &o->n_user_known_hosts_file,
	         paths_user_known_hosts)) != 0 ||
	    (r = default_list(o->global_known_hosts_file, &o->n_global_known_hosts_file,
	         paths_global_known_hosts)) != 0 ||
	    (r = default_list(o->identity_file, &o->n_identity_file, paths_default_identities)) !=
	        0) {
		goto oom;
	}
	o->identity_file_default = had_ids == 0;
	if ((r = expand_paths(o)) != 0) {
		goto oom;
	}
	if (o->add_keys_to_agent != NULL &&
	    agent_addkeys_parse(o->add_keys_to_agent, NULL, err, errlen) != 0) {
		return SSH_ERR_FORMAT;
	}
	if (o->force_tty < 0) {
		o->force_tty = 0;
	}
	if (o->no_tty < 0) {
		o->no_tty = 0;
	}
	return 0;
oom:
	errfmt(err, errlen, "out of memory");
	return r;
}
