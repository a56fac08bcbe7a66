/*
 * The configuration's keywords: one table row per keyword (kind, field, limits), parsing one
 * "Keyword value" line (command line or config file) into struct options, init and free.
 * Config files are in options_file.c, defaults in options_finish.c, -G in options_dump.c.
 */
#include "options.h"
#include "options_int.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "algos.h"
#include "err.h"
#include "log.h"
#include "namelist.h"

enum kw_kind {
	KW_STR = 1,  /* one value, first wins */
	KW_INT,      /* number in [min, max] */
	KW_FLAG,     /* yes / no */
	KW_ENUM,     /* one of ev[] */
	KW_ALGOS,    /* algorithm list specification (resolved in options_finish) */
	KW_LIST,     /* accumulating list of paths / patterns; max_args values per line */
	KW_SETENV,   /* accumulating NAME=value, first per NAME */
	KW_ESCAPE,   /* EscapeChar */
	KW_TIMEOUT,  /* seconds or none */
	KW_REKEY,    /* RekeyLimit: size [time] */
	KW_AUTHS,    /* PreferredAuthentications */
	KW_PURPOSES, /* X509HostPurposes */
	KW_LINE,     /* the rest of the line as written (RemoteCommand, ProxyCommand) */
};

struct kw {
	const char *name;
	enum kw_kind kind;
	size_t off;     /* the field */
	size_t cnt_off; /* KW_LIST / KW_SETENV: its count */
	const struct enumv *ev;
	long min, max;       /* KW_INT; KW_LIST: max values on one line in max */
	const char *algocat; /* KW_ALGOS */
};

const struct enumv ev_af[] = {
    {"any", AF_OPT_ANY}, {"inet", AF_OPT_INET}, {"inet6", AF_OPT_INET6}, {NULL, 0}};
const struct enumv ev_loglevel[] = {{"QUIET", LOG_QUIET}, {"FATAL", LOG_FATAL},
    {"ERROR", LOG_ERROR}, {"INFO", LOG_INFO}, {"VERBOSE", LOG_VERBOSE}, {"DEBUG1", LOG_DEBUG1},
    {"DEBUG", LOG_DEBUG1}, {"DEBUG2", LOG_DEBUG2}, {"DEBUG3", LOG_DEBUG3}, {NULL, 0}};
const struct enumv ev_rtty[] = {
    {"auto", RTTY_AUTO}, {"yes", RTTY_YES}, {"no", RTTY_NO}, {"force", RTTY_FORCE}, {NULL, 0}};
const struct enumv ev_session[] = {{"default", SESSION_DEFAULT}, {"none", SESSION_NONE},
    {"subsystem", SESSION_SUBSYSTEM}, {NULL, 0}};
const struct enumv ev_shk[] = {{"ask", SHK_ASK}, {"yes", SHK_YES}, {"accept-new", SHK_ACCEPT_NEW},
    {"no", SHK_NO}, {"off", SHK_NO}, {NULL, 0}};
const struct enumv ev_x509hk[] = {
    {"prefer", X509HK_PREFER}, {"require", X509HK_REQUIRE}, {"no", X509HK_NO}, {NULL, 0}};
const struct enumv ev_x509rev[] = {
    {"check", X509REV_CHECK}, {"require", X509REV_REQUIRE}, {"no", X509REV_NO}, {NULL, 0}};
/* PubkeyAuthentication: unbound and host-bound both mean yes for us */
const struct enumv ev_pubkeyauth[] = {
    {"yes", 1}, {"no", 0}, {"unbound", 1}, {"host-bound", 1}, {NULL, 0}};
const struct enumv ev_ufc[] = {{"no", UFC_NO}, {"cn", UFC_CN}, {"upn", UFC_UPN}, {NULL, 0}};

#define F(field) offsetof(struct options, field)
#define STR(n, field)                                                                              \
	{                                                                                          \
		n, KW_STR, F(field), 0, NULL, 0, 0, NULL                                           \
	}
#define INT(n, field, lo, hi)                                                                      \
	{                                                                                          \
		n, KW_INT, F(field), 0, NULL, lo, hi, NULL                                         \
	}
#define FLAG(n, field)                                                                             \
	{                                                                                          \
		n, KW_FLAG, F(field), 0, NULL, 0, 0, NULL                                          \
	}
#define ENUM(n, field, ev)                                                                         \
	{                                                                                          \
		n, KW_ENUM, F(field), 0, ev, 0, 0, NULL                                            \
	}
#define ALGOS(n, field, cat)                                                                       \
	{                                                                                          \
		n, KW_ALGOS, F(field), 0, NULL, 0, 0, cat                                          \
	}
#define LIST(n, field, maxargs)                                                                    \
	{                                                                                          \
		n, KW_LIST, F(field), F(n_##field), NULL, 0, maxargs, NULL                         \
	}

static const struct kw keywords[] = {
    STR("HostName", hostname),
    INT("Port", port, 1, 65535),
    STR("User", user),
    ENUM("AddressFamily", address_family, ev_af),
    {"ConnectTimeout", KW_TIMEOUT, F(connect_timeout), 0, NULL, 0, 2147483, NULL},
    INT("ConnectionAttempts", connection_attempts, 1, 1000),
    INT("ServerAliveInterval", server_alive_interval, 0, 2147483),
    INT("ServerAliveCountMax", server_alive_count_max, 0, 1000000),
    FLAG("BatchMode", batch_mode),
    ENUM("LogLevel", log_level, ev_loglevel),
    ENUM("RequestTTY", request_tty, ev_rtty),
    ENUM("SessionType", session_type, ev_session),
    FLAG("StdinNull", stdin_null),
    {"EscapeChar", KW_ESCAPE, F(escape_char), 0, NULL, 0, 0, NULL},
    {"SetEnv", KW_SETENV, F(set_env), F(n_set_env), NULL, 0, OPT_MAX_ARGS, NULL},
    LIST("SendEnv", send_env, OPT_MAX_ARGS),
    {"PreferredAuthentications", KW_AUTHS, F(preferred_authentications), 0, NULL, 0, 0, NULL},
    INT("NumberOfPasswordPrompts", number_of_password_prompts, 0, 1000),
    {"RekeyLimit", KW_REKEY, F(rekey_bytes), F(rekey_seconds), NULL, 0, 0, NULL},
    ALGOS("KexAlgorithms", kex_algorithms, "kex"),
    ALGOS("Ciphers", ciphers, "cipher"),
    ALGOS("MACs", macs, "mac"),
    ALGOS("HostKeyAlgorithms", hostkey_algorithms, "key"),
    ALGOS("PubkeyAcceptedAlgorithms", pubkey_accepted_algorithms, "pubkey"),
    ENUM("StrictHostKeyChecking", strict_host_key_checking, ev_shk),
    LIST("UserKnownHostsFile", user_known_hosts_file, OPT_MAX_ARGS),
    LIST("GlobalKnownHostsFile", global_known_hosts_file, OPT_MAX_ARGS),
    STR("HostKeyAlias", host_key_alias),
    FLAG("HashKnownHosts", hash_known_hosts),
    STR("CACertificateFile", ca_certificate_file),
    STR("CACertificatePath", ca_certificate_path),
    STR("CARevocationFile", ca_revocation_file),
    STR("CARevocationPath", ca_revocation_path),
    ENUM("X509HostKeys", x509_host_keys, ev_x509hk),
    STR("X509HostName", x509_host_name),
    FLAG("X509NameFallbackCN", x509_name_fallback_cn),
    {"X509HostPurposes", KW_PURPOSES, F(x509_host_purposes), 0, NULL, 0, 0, NULL},
    ENUM("X509Revocation", x509_revocation, ev_x509rev),
    FLAG("X509AllowPartialChain", x509_allow_partial_chain),
    INT("X509MaxChain", x509_max_chain, 1, 64),
    INT("RequiredRSASize", required_rsa_size, 0, 16384),
    LIST("IdentityFile", identity_file, 1),
    LIST("X509CertificateFile", x509_certificate_file, OPT_MAX_ARGS),
    FLAG("IdentitiesOnly", identities_only),
    STR("PKCS11Provider", pkcs11_provider),
    FLAG("PKCS11Helper", pkcs11_helper),
    STR("IdentityAgent", identity_agent),
    STR("ForwardAgent", forward_agent),
    {"AddKeysToAgent", KW_LINE, F(add_keys_to_agent), 0, NULL, 0, 0, NULL},
    FLAG("X509SendRoot", x509_send_root),
    ENUM("UserFromCertificate", user_from_certificate, ev_ufc),
    /* OpenSSH keywords implemented as in OpenSSH */
    STR("BindAddress", bind_address),
    STR("BindInterface", bind_interface),
    {"RemoteCommand", KW_LINE, F(remote_command), 0, NULL, 0, 0, NULL},
    {"ProxyCommand", KW_LINE, F(proxy_command), 0, NULL, 0, 0, NULL},
    STR("IgnoreUnknown", ignore_unknown),
    STR("Tag", tag),
    FLAG("PasswordAuthentication", password_authentication),
    FLAG("KbdInteractiveAuthentication", kbd_interactive_authentication),
    ENUM("PubkeyAuthentication", pubkey_authentication, ev_pubkeyauth),
    FLAG("ClearAllForwardings", clear_all_forwardings),
    FLAG("GatewayPorts", gateway_ports),
    FLAG("EnableEscapeCommandline", enable_escape_commandline),
    FLAG("ExitOnForwardFailure", exit_on_forward_failure),
    FLAG("ForkAfterAuthentication", fork_after_authentication),
    /* LocalForward, RemoteForward, DynamicForward, PermitRemoteOpen, ProxyJump: options_fwd.c */
    FLAG("RefuseConnection", refuse_connection),
};

const char *options_keyword_at(size_t i)
{
	size_t n = sizeof(keywords) / sizeof(keywords[0]);

	return i < n ? keywords[i].name : options_fwd_keyword_at(i - n);
}

void options_init(struct options *o)
{
	size_t i;

	memset(o, 0, sizeof(*o));
	for (i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++) {
		switch (keywords[i].kind) {
		case KW_INT:
		case KW_FLAG:
		case KW_ENUM:
		case KW_ESCAPE:
		case KW_TIMEOUT:
			*FIELD(o, keywords[i].off, int) = OPT_UNSET;
			break;
		default:
			break;
		}
	}
	o->rekey_bytes = OPT_UNSET;
	o->rekey_seconds = OPT_UNSET;
	o->force_tty = 0; /* counts of -t / -T: main() increments them */
	o->no_tty = 0;
	o->user_from_default = 0;
}

static void free_list(char **v, size_t *n)
{
	size_t i;

	for (i = 0; i < *n; i++) {
		free(v[i]);
		v[i] = NULL;
	}
	*n = 0;
}

void options_free(struct options *o)
{
	size_t i;

	if (o == NULL) {
		return;
	}
	options_fwd_free(o);
	for (i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++) {
		const struct kw *k = &keywords[i];
		switch (k->kind) {
		case KW_STR:
		case KW_LINE:
		case KW_ALGOS:
		case KW_AUTHS:
		case KW_PURPOSES:
			free(*FIELD(o, k->off, char *));
			break;
		case KW_LIST:
		case KW_SETENV:
			free_list(FIELD(o, k->off, char *), FIELD(o, k->cnt_off, size_t));
			break;
		default:
			break;
		}
	}
	free(o->host);
	free(o->log_file);
	free(o->control_path);
	free(o->stdio_forward);
	memset(o, 0, sizeof(*o));
}

static const struct kw *find_kw(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++) {
		if (strcasecmp(keywords[i].name, name) == 0) {
			return &keywords[i];
		}
	}
	return NULL;
}

static int parse_long(const char *s, long min, long max, long *out)
{
	char *end = NULL;
	long v;

	if (s[0] < '0' || s[0] > '9') {
		return -1;
	}
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max) {
		return -1;
	}
	*out = v;
	return 0;
}

struct unit {
	char suffix; /* lower case; matched case-insensitively */
	unsigned long long mult;
};

static const struct unit size_units[] = {
    {'k', 1ull << 10}, {'m', 1ull << 20}, {'g', 1ull << 30}, {0, 0}};
static const struct unit time_units[] = {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}, {0, 0}};

/* A decimal number with an optional one-letter unit from units ("512M", "30m"), at most cap. */
static int parse_scaled(
    const char *s, const struct unit *units, unsigned long long cap, unsigned long long *out)
{
	char *end = NULL;
	unsigned long long v, mult = 1;
	size_t i;

	*out = 0;
	if (s[0] < '0' || s[0] > '9') {
		return -1;
	}
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0) {
		return -1;
	}
	if (*end != '\0') {
		for (i = 0; units[i].suffix != 0 && units[i].suffix != (end[0] | 0x20); i++) {
		}
		if (units[i].suffix == 0 || end[1] != '\0') {
			return -1;
		}
		mult = units[i].mult;
	}
	if (v > cap / mult) {
		return -1;
	}
	*out = v * mult;
	return 0;
}

static int set_str(char **field, const char *v, int active)
{
	if (!active || *field != NULL) {
		return 0;
	}
	if ((*field = strdup(v)) == NULL) {
		return SSH_ERR_ALLOC;
	}
	return 0;
}

static void set_int(int *field, int v, int active)
{
	if (active && *field == OPT_UNSET) {
		*field = v;
	}
}

static int add_list(const struct kw *k, struct options *o, const char *v)
{
	char **arr = FIELD(o, k->off, char *);
	size_t *n = FIELD(o, k->cnt_off, size_t);
	size_t i;

	for (i = 0; i < *n; i++) {
		if (strcmp(arr[i], v) == 0) {
			return 0;
		}
	}
	if (*n >= OPT_MAX_LIST) {
		return SSH_ERR_TOO_LARGE;
	}
	if ((arr[*n] = strdup(v)) == NULL) {
		return SSH_ERR_ALLOC;
	}
	(*n)++;
	return 0;
}

static int add_setenv(const struct kw *k, struct options *o, const char *v)
{
	char **arr = FIELD(o, k->off, char *);
	size_t *n = FIELD(o, k->cnt_off, size_t);
	size_t i, nl = (size_t)(strchr(v, '=') - v);

	for (i = 0; i < *n; i++) {
		if (strncmp(arr[i], v, nl + 1) == 0) {
			return 0; /* first definition of a name wins */
		}
	}
	if (*n >= OPT_MAX_LIST) {
		return SSH_ERR_TOO_LARGE;
	}
	if ((arr[*n] = strdup(v)) == NULL) {
		return SSH_ERR_ALLOC;
	}
	(*n)++;
	return 0;
}

/* validate a comma list against allowed names (case-insensitive); canonical spelling in *out */
static int check_set(
    const char *v, const char *const *allowed, char **out, char *bad, size_t badlen)
{
	struct namelist_iter it;
	const char *el;
	size_t n, j;
	int r = 0;

	*out = NULL;
	if (v[0] == '\0') {
		snprintf(bad, badlen, "%s", v);
		return SSH_ERR_FORMAT;
	}
	namelist_begin(&it, v);
	while (r == 0 && namelist_next(&it, &el, &n)) {
		for (j = 0; allowed[j] != NULL; j++) {
			if (strlen(allowed[j]) == n && strncasecmp(el, allowed[j], n) == 0) {
				break;
			}
		}
		if (allowed[j] == NULL) {
			snprintf(bad, badlen, "%.*s", (int)(n < badlen ? n : badlen), el);
			r = SSH_ERR_FORMAT;
		} else {
			r = namelist_add(out, allowed[j], n);
		}
	}
	if (r != 0) {
		free(*out);
		*out = NULL;
	}
	return r;
}

static const char *const auth_methods[] = {"publickey", "keyboard-interactive", "password", NULL};
static const char *const purposes[] = {
    "secureShellServer", "serverAuth", "anyExtendedKeyUsage", NULL};

/* the methods of list v that we know, canonical spelling, in order; "" when none */
static int known_methods(const char *v, char **out)
{
	struct namelist_iter it;
	const char *el;
	size_t n, j;
	int r = 0;

	*out = NULL;
	namelist_begin(&it, v);
	while (r == 0 && namelist_next(&it, &el, &n)) {
		for (j = 0; auth_methods[j] != NULL; j++) {
			if (strlen(auth_methods[j]) == n &&
			    strncasecmp(el, auth_methods[j], n) == 0) {
				r = namelist_add(out, auth_methods[j], n);
				break;
			}
		}
	}
	if (r == 0 && *out == NULL && (*out = strdup("")) == NULL) {
		r = SSH_ERR_ALLOC;
	}
	if (r != 0) {
		free(*out);
		*out = NULL;
	}
	return r;
}

static int apply_kw(
    struct options *o, const struct kw *k, struct args *a, int active, char *err, size_t errlen)
{
	const char *v = a->n > 1 ? a->v[1] : NULL;
	char bad[128];
	char *s = NULL;
	long num = 0;
	size_t i;
	int r = 0;

	if (v == NULL) {
		errfmt(err, errlen, "missing value for %s", k->name);
		return SSH_ERR_FORMAT;
	}
	if (k->kind != KW_LIST && k->kind != KW_SETENV && k->kind != KW_REKEY &&
	    k->kind != KW_LINE && a->n > 2) {
		errfmt(err, errlen, "too many values for %s", k->name);
		return SSH_ERR_FORMAT;
	}
	if (k->kind == KW_LIST && a->n - 1 > (size_t)k->max) {
		errfmt(err, errlen, "too many values for %s", k->name);
		return SSH_ERR_FORMAT;
	}
	switch (k->kind) {
	case KW_STR:
		if (v[0] == '\0') {
			goto badval;
		}
		r = set_str(FIELD(o, k->off, char *), v, active);
		break;
	case KW_INT:
		if (parse_long(v, k->min, k->max, &num) != 0) {
			goto badval;
		}
		set_int(FIELD(o, k->off, int), (int)num, active);
		break;
	case KW_TIMEOUT:
		if (strcasecmp(v, "none") == 0) {
			num = 0;
		} else if (parse_long(v, 0, k->max, &num) != 0) {
			goto badval;
		}
		set_int(FIELD(o, k->off, int), (int)num, active);
		break;
	case KW_FLAG:
		if (strcasecmp(v, "yes") == 0 || strcasecmp(v, "true") == 0) {
			num = 1;
		} else if (strcasecmp(v, "no") == 0 || strcasecmp(v, "false") == 0) {
			num = 0;
		} else {
			goto badval;
		}
		set_int(FIELD(o, k->off, int), (int)num, active);
		break;
	case KW_ENUM:
		for (i = 0; k->ev[i].name != NULL; i++) {
			if (strcasecmp(v, k->ev[i].name) == 0) {
				break;
			}
		}
		if (k->ev[i].name == NULL) {
			goto badval;
		}
		set_int(FIELD(o, k->off, int), k->ev[i].val, active);
		break;
	case KW_ESCAPE:
		if (strcasecmp(v, "none") == 0) {
			num = ESC_NONE_SET;
		} else if (v[0] != '\0' && v[1] == '\0') {
			num = (unsigned char)v[0];
		} else if (v[0] == '^' && v[1] != '\0' && v[2] == '\0' &&
		           (unsigned char)v[1] >= 64 && (unsigned char)v[1] < 128) {
			num = (unsigned char)v[1] & 31;
		} else {
			goto badval;
		}
		set_int(FIELD(o, k->off, int), (int)num, active);
		break;
	case KW_REKEY: {
		unsigned long long bytes = 0, secs = 0;

		if (a->n > 3) {
			errfmt(err, errlen, "too many values for %s", k->name);
			return SSH_ERR_FORMAT;
		}
		if (strcasecmp(v, "default") != 0 &&
		    (parse_scaled(v, size_units, 1ull << 62, &bytes) != 0 ||
		        (bytes > 0 && bytes < 16))) {
			goto badval;
		}
		if (a->n == 3 && strcasecmp(a->v[2], "none") != 0 &&
		    strcasecmp(a->v[2], "default") != 0 &&
		    parse_scaled(a->v[2], time_units, 31536000ull, &secs) != 0) {
			v = a->v[2];
			goto badval;
		}
		if (active && *FIELD(o, k->off, long long) == OPT_UNSET) {
			*FIELD(o, k->off, long long) = (long long)bytes;
			*FIELD(o, k->cnt_off, int) = (int)secs;
		}
		break;
	}
	case KW_ALGOS:
		/* checked now (with the x509v3 rows), resolved in options_finish */
		if ((s = algo_resolve_category(v, k->algocat, 1, k->name, err, errlen)) == NULL) {
			return SSH_ERR_NO_ALGO;
		}
		free(s);
		s = NULL;
		r = set_str(FIELD(o, k->off, char *), v, active);
		break;
	case KW_LINE:
		/* as OpenSSH: the rest of the line as written, except a single quoted "none" */
		r = set_str(FIELD(o, k->off, char *),
		    a->n == 2 && strcmp(v, "none") == 0 ? v : a->rest, active);
		break;
	case KW_AUTHS:
		/* as OpenSSH: methods we do not know are skipped, an empty list tries none */
		if ((r = known_methods(v, &s)) == 0) {
			r = set_str(FIELD(o, k->off, char *), s, active);
			free(s);
		}
		break;
	case KW_PURPOSES:
		if (check_set(v, purposes, &s, bad, sizeof(bad)) != 0) {
			errfmt(err, errlen, "bad value '%.100s' for %s", bad, k->name);
			return SSH_ERR_FORMAT;
		}
		r = set_str(FIELD(o, k->off, char *), s, active);
		free(s);
		break;
	case KW_LIST:
	case KW_SETENV:
		for (i = 1; i < a->n; i++) {
			const char *eq = strchr(a->v[i], '=');
			if (a->v[i][0] == '\0' ||
			    (k->kind == KW_SETENV && (eq == NULL || eq == a->v[i]))) {
				v = a->v[i];
				goto badval;
			}
		}
		for (i = 1; i < a->n && active && r == 0; i++) {
			r = k->kind == KW_LIST ? add_list(k, o, a->v[i])
			                       : add_setenv(k, o, a->v[i]);
		}
		if (r == SSH_ERR_TOO_LARGE) {
			errfmt(
			    err, errlen, "too many %s entries (at most %d)", k->name, OPT_MAX_LIST);
			return r;
		}
		break;
	}
	if (r != 0) {
		errfmt(err, errlen, "out of memory");
	}
	return r;
badval:
	errfmt(err, errlen, "bad value '%.100s' for %s", v, k->name);
	return SSH_ERR_FORMAT;
}

/* an already split line that is not Host / Match / Include */
int options_apply_args(struct options *o, struct args *a, int active, char *err, size_t errlen)
{
	const struct kw *k;

	int r;

	if ((k = find_kw(a->v[0])) != NULL) {
		return apply_kw(o, k, a, active, err, errlen);
	}
	if ((r = options_fwd_apply(o, a, active, err, errlen)) <= 0 ||
	    (r = options_compat_apply(o, a, active, err, errlen)) <= 0) {
		return r;
	}
	/* IgnoreUnknown: an unknown keyword matching it is skipped (OpenSSH: lower case match) */
	if (o->ignore_unknown != NULL &&
	    namelist_match_patterns(a->v[0], o->ignore_unknown, 1) == 1) {
		log_debug2("ignoring unknown option '%.100s' (IgnoreUnknown)", a->v[0]);
		return 0;
	}
	errfmt(err, errlen, "unknown option '%.100s'", a->v[0]);
	return SSH_ERR_FORMAT;
}

/* One -o style line split into words; an empty one is an error. a->buf is set either way. */
static int split_option(const char *line, struct args *a, char *err, size_t errlen)
{
	int r;

	if ((r = options_split_line(line, a, err, errlen)) != 0) {
		return r;
	}
	if (a->n == 0) {
		errfmt(err, errlen, "empty option");
		return SSH_ERR_FORMAT;
	}
	return 0;
}

int options_apply(struct options *o, const char *line, const char *where, char *err, size_t errlen)
{
	struct args a;
	int r;

	(void)where; /* err carries only the cause; callers prefix where it came from */
	if (o == NULL || line == NULL) {
		errfmt(err, errlen, "no option");
		return SSH_ERR_INTERNAL;
	}
	if ((r = split_option(line, &a, err, errlen)) != 0) {
		goto out;
	}
	if (strcasecmp(a.v[0], "Host") == 0 || strcasecmp(a.v[0], "Match") == 0 ||
	    strcasecmp(a.v[0], "Include") == 0) {
		errfmt(err, errlen, "'%s' is only allowed in a config file", a.v[0]);
		r = SSH_ERR_FORMAT;
		goto out;
	}
	r = options_apply_args(o, &a, 1, err, errlen);
out:
	free(a.buf);
	return r;
}

int options_apply_override(struct options *o, const char *line, char *err, size_t errlen)
{
	const struct kw *k;
	struct args a;
	int r;

	if ((r = split_option(line, &a, err, errlen)) != 0) {
		goto out;
	}
	if ((k = find_kw(a.v[0])) != NULL) {
		switch (k->kind) {
		case KW_STR:
		case KW_LINE:
		case KW_ALGOS:
			free(*FIELD(o, k->off, char *));
			*FIELD(o, k->off, char *) = NULL;
			break;
		case KW_INT:
		case KW_FLAG:
		case KW_ENUM:
		case KW_ESCAPE:
			*FIELD(o, k->off, int) = OPT_UNSET;
			break;
		default:
			break;
		}
	}
	r = options_apply_args(o, &a, 1, err, errlen);
out:
	free(a.buf);
	return r;
}

int options_session_timeout(const struct options *o, int *is_default)
{
	if (is_default != NULL) {
		*is_default = 0;
	}
	if (o->connect_timeout > 0) {
		return o->connect_timeout;
	}
	if (o->batch_mode == 1) {
		if (is_default != NULL) {
			*is_default = 1;
		}
		return OPT_BATCH_CONNECT_TIMEOUT;
	}
	return 0;
}

uint64_t options_silence_limit_ms(const struct options *o)
{
	if (o->server_alive_interval <= 0 || o->server_alive_count_max <= 0) {
		return 0;
	}
	return (uint64_t)o->server_alive_interval * (uint64_t)o->server_alive_count_max * 1000u;
}
