/*
 * The configuration: keyword parsing (command line and ssh_config(5)-style files with Host,
 * Match host, Include), defaults, algorithm list resolution and the -G dump.
 */
#include "textfile.h"
#include "options.h"

#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cipher.h"
#include "err.h"
#include "hostkey.h"
#include "kexalg.h"
#include "known_hosts.h"

#define OPT_MAX_LINE  (16 * 1024) /* longest config line */
#define OPT_MAX_ARGS  64          /* values on one line */
#define OPT_MAX_DEPTH 16          /* Include nesting */
#define OPT_MAX_ALGOS 256         /* names in one algorithm list */
#define ESC_NONE_SET  (-2)        /* EscapeChar none, before options_finish */

#define DEFAULT_AUTHS      "publickey,keyboard-interactive,password"
#define DEFAULT_PURPOSES   "secureShellServer,serverAuth,anyExtendedKeyUsage"
#define USER_INCLUDE_DIR   "~/.x509ssh"
#define SYSTEM_INCLUDE_DIR "/etc/x509ssh"

static void seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0) {
		return;
	}
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* ---- string vectors ---- */

struct strv {
	char **v;
	size_t n;
};

static void strv_free(struct strv *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		free(s->v[i]);
	}
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

static int strv_has(const struct strv *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		if (strcmp(s->v[i], name) == 0) {
			return 1;
		}
	}
	return 0;
}

static int strv_push(struct strv *s, const char *name)
{
	char **nv = NULL;
	char *c = NULL;

	if (s->n >= OPT_MAX_ALGOS) {
		return SSH_ERR_TOO_LARGE;
	}
	if ((c = strdup(name)) == NULL) {
		return SSH_ERR_ALLOC;
	}
	if ((nv = realloc(s->v, (s->n + 1) * sizeof(*nv))) == NULL) {
		free(c);
		return SSH_ERR_ALLOC;
	}
	s->v = nv;
	s->v[s->n++] = c;
	return 0;
}

/* split a comma list; empty items are kept (so callers can reject them) */
static int strv_split(const char *list, struct strv *out)
{
	const char *p = list;
	char tmp[256];
	int r;

	for (;;) {
		const char *e = strchr(p, ',');
		size_t n = e != NULL ? (size_t)(e - p) : strlen(p);

		if (n >= sizeof(tmp)) {
			return SSH_ERR_TOO_LARGE;
		}
		memcpy(tmp, p, n);
		tmp[n] = '\0';
		if ((r = strv_push(out, tmp)) != 0) {
			return r;
		}
		if (e == NULL) {
			return 0;
		}
		p = e + 1;
	}
}

static char *strv_join(const struct strv *s)
{
	size_t i, len = 1;
	char *out = NULL;

	for (i = 0; i < s->n; i++) {
		len += strlen(s->v[i]) + 1;
	}
	if ((out = malloc(len)) == NULL) {
		return NULL;
	}
	out[0] = '\0';
	for (i = 0; i < s->n; i++) {
		if (i > 0) {
			strcat(out, ",");
		}
		strcat(out, s->v[i]);
	}
	return out;
}

/* ---- algorithm lists ---- */

static int list_append(struct strv *s, const char *name)
{
	if (strv_has(s, name)) {
		return 0;
	}
	return strv_push(s, name);
}

static int collect(struct strv *s, const char *category, int want_default, int x509_pass)
{
	size_t i;
	int r = 0;

	if (strcmp(category, "cipher") == 0) {
		const struct cipher_alg *a;
		for (i = 0; (a = cipher_alg_at(i)) != NULL && r == 0; i++) {
			if (!want_default || a->is_default) {
				r = list_append(s, a->name);
			}
		}
	} else if (strcmp(category, "mac") == 0) {
		const struct mac_alg *a;
		for (i = 0; (a = mac_alg_at(i)) != NULL && r == 0; i++) {
			if (!want_default || a->is_default) {
				r = list_append(s, a->name);
			}
		}
	} else if (strcmp(category, "kex") == 0) {
		const struct kex_alg *a;
		for (i = 0; (a = kex_alg_at(i)) != NULL && r == 0; i++) {
			if (!want_default || a->is_default) {
				r = list_append(s, a->name);
			}
		}
	} else if (strcmp(category, "key") == 0 || strcmp(category, "pubkey") == 0) {
		const struct hostkey_alg *a;
		for (i = 0; (a = hostkey_alg_at(i)) != NULL && r == 0; i++) {
			int x = (a->flags & HK_FLAG_X509) != 0;
			if (want_default && ((a->flags & HK_FLAG_DEFAULT) == 0 || x != x509_pass)) {
				continue;
			}
			/* OPTIONS.md: x509v3-sign-rsa is a host-key default only */
			if (want_default && strcmp(category, "pubkey") == 0 &&
			    strcmp(a->name, "x509v3-sign-rsa") == 0) {
				continue;
			}
			r = list_append(s, a->name);
		}
	} else {
		r = SSH_ERR_NO_ALGO;
	}
	return r;
}

char *algo_default_list(const char *category, int x509)
{
	struct strv s = {NULL, 0};
	char *out = NULL;
	int is_key;

	if (category == NULL) {
		return NULL;
	}
	is_key = strcmp(category, "key") == 0 || strcmp(category, "pubkey") == 0;
	if (is_key && x509 && collect(&s, category, 1, 1) != 0) {
		goto out;
	}
	if (collect(&s, category, 1, 0) != 0) {
		goto out;
	}
	out = strv_join(&s);
out:
	strv_free(&s);
	return out;
}

char *algo_supported_list(const char *category)
{
	struct strv s = {NULL, 0};
	char *out = NULL;

	if (category != NULL && collect(&s, category, 0, 0) == 0) {
		out = strv_join(&s);
	}
	strv_free(&s);
	return out;
}

/* names of a plain / + / ^ list: each must be supported and not empty */
static int check_names(const struct strv *names, const struct strv *sup, char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < names->n; i++) {
		if (names->v[i][0] == '\0') {
			seterr(err, errlen, "empty algorithm name");
			return SSH_ERR_FORMAT;
		}
		if (!strv_has(sup, names->v[i])) {
			seterr(err, errlen, "unsupported algorithm '%.100s'", names->v[i]);
			return SSH_ERR_NO_ALGO;
		}
	}
	return 0;
}

char *algo_list_resolve(
    const char *spec, const char *defaults, const char *supported, char *err, size_t errlen)
{
	struct strv def = {NULL, 0}, sup = {NULL, 0}, names = {NULL, 0}, res = {NULL, 0};
	char *out = NULL;
	size_t i, j;
	int r = SSH_ERR_ALLOC;

	if (defaults == NULL || supported == NULL) {
		seterr(err, errlen, "no algorithm table");
		goto out;
	}
	if ((defaults[0] != '\0' && strv_split(defaults, &def) != 0) ||
	    (supported[0] != '\0' && strv_split(supported, &sup) != 0)) {
		seterr(err, errlen, "algorithm table too large");
		goto out;
	}
	if (spec == NULL) {
		for (i = 0; i < def.n; i++) {
			if ((r = list_append(&res, def.v[i])) != 0) {
				goto fail;
			}
		}
	} else if (spec[0] == '+' || spec[0] == '-' || spec[0] == '^') {
		if ((r = strv_split(spec + 1, &names)) != 0) {
			goto fail;
		}
		if (spec[0] != '-' && (r = check_names(&names, &sup, err, errlen)) != 0) {
			goto out;
		}
		if (spec[0] == '^') {
			for (i = 0; i < names.n; i++) {
				if ((r = list_append(&res, names.v[i])) != 0) {
					goto fail;
				}
			}
		}
		for (i = 0; i < def.n; i++) {
			int drop = 0;
			if (spec[0] == '-') {
				for (j = 0; j < names.n && !drop; j++) {
					if (names.v[j][0] == '\0') {
						seterr(err, errlen, "empty algorithm name");
						goto out;
					}
					drop = pattern_match(def.v[i], names.v[j], 0);
				}
			}
			if (!drop && (r = list_append(&res, def.v[i])) != 0) {
				goto fail;
			}
		}
		if (spec[0] == '+') {
			for (i = 0; i < names.n; i++) {
				if ((r = list_append(&res, names.v[i])) != 0) {
					goto fail;
				}
			}
		}
	} else {
		if ((r = strv_split(spec, &names)) != 0) {
			goto fail;
		}
		if ((r = check_names(&names, &sup, err, errlen)) != 0) {
			goto out;
		}
		for (i = 0; i < names.n; i++) {
			if ((r = list_append(&res, names.v[i])) != 0) {
				goto fail;
			}
		}
	}
	/* the defaults must be supported too (a table inconsistency would show here) */
	if (check_names(&res, &sup, err, errlen) != 0) {
		goto out;
	}
	if (res.n == 0) {
		seterr(err, errlen, "empty algorithm list");
		goto out;
	}
	if ((out = strv_join(&res)) == NULL) {
		seterr(err, errlen, "out of memory");
	}
	goto out;
fail:
	seterr(err, errlen, "%s",
	    r == SSH_ERR_TOO_LARGE ? "algorithm list too long" : "out of memory");
out:
	strv_free(&def);
	strv_free(&sup);
	strv_free(&names);
	strv_free(&res);
	return out;
}

/* ---- keywords ---- */

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
};

struct enumv {
	const char *name;
	int val;
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

static const struct enumv ev_af[] = {
    {"any", AF_OPT_ANY}, {"inet", AF_OPT_INET}, {"inet6", AF_OPT_INET6}, {NULL, 0}};
static const struct enumv ev_loglevel[] = {{"QUIET", LOG_QUIET}, {"FATAL", LOG_FATAL},
    {"ERROR", LOG_ERROR}, {"INFO", LOG_INFO}, {"VERBOSE", LOG_VERBOSE}, {"DEBUG1", LOG_DEBUG1},
    {"DEBUG", LOG_DEBUG1}, {"DEBUG2", LOG_DEBUG2}, {"DEBUG3", LOG_DEBUG3}, {NULL, 0}};
static const struct enumv ev_rtty[] = {
    {"auto", RTTY_AUTO}, {"yes", RTTY_YES}, {"no", RTTY_NO}, {"force", RTTY_FORCE}, {NULL, 0}};
static const struct enumv ev_shk[] = {{"ask", SHK_ASK}, {"yes", SHK_YES},
    {"accept-new", SHK_ACCEPT_NEW}, {"no", SHK_NO}, {"off", SHK_NO}, {NULL, 0}};
static const struct enumv ev_x509hk[] = {
    {"prefer", X509HK_PREFER}, {"require", X509HK_REQUIRE}, {"no", X509HK_NO}, {NULL, 0}};
static const struct enumv ev_x509rev[] = {
    {"check", X509REV_CHECK}, {"require", X509REV_REQUIRE}, {"no", X509REV_NO}, {NULL, 0}};
static const struct enumv ev_ufc[] = {{"no", UFC_NO}, {"cn", UFC_CN}, {"upn", UFC_UPN}, {NULL, 0}};

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
    LIST("IdentityFile", identity_file, 1),
    LIST("X509CertificateFile", x509_certificate_file, OPT_MAX_ARGS),
    FLAG("IdentitiesOnly", identities_only),
    STR("PKCS11Provider", pkcs11_provider),
    FLAG("X509SendRoot", x509_send_root),
    ENUM("UserFromCertificate", user_from_certificate, ev_ufc),
};

#define FIELD(o, off, type) ((type *)(void *)((char *)(o) + (off)))

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
	for (i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++) {
		const struct kw *k = &keywords[i];
		switch (k->kind) {
		case KW_STR:
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
	memset(o, 0, sizeof(*o));
}

/* ---- line splitting ---- */

struct args {
	char *buf;
	char *v[OPT_MAX_ARGS + 1];
	size_t n;
};

static int is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * "Keyword value ..." or "Keyword=value ...": values may be quoted with " or ', a backslash
 * escapes a quote, a backslash or a space; an unquoted '#' at the start of a value ends the line.
 */
static int split_line(const char *line, struct args *a, char *err, size_t errlen)
{
	char *p, *w;

	memset(a, 0, sizeof(*a));
	if ((a->buf = strdup(line)) == NULL) {
		seterr(err, errlen, "out of memory");
		return SSH_ERR_ALLOC;
	}
	p = a->buf;
	while (is_ws(*p)) {
		p++;
	}
	if (*p == '\0' || *p == '#') {
		return 0;
	}
	a->v[a->n++] = p;
	while (*p != '\0' && !is_ws(*p) && *p != '=') {
		p++;
	}
	if (*p != '\0') {
		int eq = *p == '=';
		*p++ = '\0';
		while (is_ws(*p)) {
			p++;
		}
		if (!eq && *p == '=') {
			p++;
		}
	}
	if (a->v[0][0] == '\0') {
		seterr(err, errlen, "missing keyword");
		return SSH_ERR_FORMAT;
	}
	for (;;) {
		char quote = 0;

		while (is_ws(*p)) {
			p++;
		}
		if (*p == '\0' || *p == '#') {
			break;
		}
		if (a->n >= OPT_MAX_ARGS) {
			seterr(err, errlen, "too many values");
			return SSH_ERR_TOO_LARGE;
		}
		a->v[a->n++] = w = p;
		while (*p != '\0' && (quote != 0 || !is_ws(*p))) {
			if (quote == 0 && (*p == '"' || *p == '\'')) {
				quote = *p++;
				continue;
			}
			if (quote != 0 && *p == quote) {
				quote = 0;
				p++;
				continue;
			}
			if (*p == '\\' && (p[1] == '"' || p[1] == '\'' || p[1] == '\\' ||
			                      (quote == 0 && p[1] == ' '))) {
				p++;
			}
			*w++ = *p++;
		}
		if (quote != 0) {
			seterr(err, errlen, "unterminated quoted value");
			return SSH_ERR_FORMAT;
		}
		if (*p != '\0') {
			p++;
		}
		*w = '\0';
	}
	return 0;
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
	struct strv in = {NULL, 0}, res = {NULL, 0};
	size_t i, j;
	int r;

	*out = NULL;
	if ((r = strv_split(v, &in)) != 0) {
		goto out;
	}
	for (i = 0; i < in.n; i++) {
		for (j = 0; allowed[j] != NULL; j++) {
			if (strcasecmp(in.v[i], allowed[j]) == 0) {
				break;
			}
		}
		if (allowed[j] == NULL) {
			snprintf(bad, badlen, "%s", in.v[i]);
			r = SSH_ERR_FORMAT;
			goto out;
		}
		if ((r = list_append(&res, allowed[j])) != 0) {
			goto out;
		}
	}
	if ((*out = strv_join(&res)) == NULL) {
		r = SSH_ERR_ALLOC;
	}
out:
	strv_free(&in);
	strv_free(&res);
	return r;
}

static const char *const auth_methods[] = {"publickey", "keyboard-interactive", "password", NULL};
static const char *const purposes[] = {
    "secureShellServer", "serverAuth", "anyExtendedKeyUsage", NULL};

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
		seterr(err, errlen, "missing value for %s", k->name);
		return SSH_ERR_FORMAT;
	}
	if (k->kind != KW_LIST && k->kind != KW_SETENV && k->kind != KW_REKEY && a->n > 2) {
		seterr(err, errlen, "too many values for %s", k->name);
		return SSH_ERR_FORMAT;
	}
	if (k->kind == KW_LIST && a->n - 1 > (size_t)k->max) {
		seterr(err, errlen, "too many values for %s", k->name);
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
		if (strcasecmp(v, "yes") == 0) {
			num = 1;
		} else if (strcasecmp(v, "no") == 0) {
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
			seterr(err, errlen, "too many values for %s", k->name);
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
	case KW_ALGOS: {
		char *def = algo_default_list(k->algocat, 1);
		char *sup = algo_supported_list(k->algocat);
		char cause[256];

		s = algo_list_resolve(v, def, sup, cause, sizeof(cause));
		free(def);
		free(sup);
		if (s == NULL) {
			seterr(err, errlen, "%s in %s", cause, k->name);
			return SSH_ERR_NO_ALGO;
		}
		free(s);
		s = NULL;
		r = set_str(FIELD(o, k->off, char *), v, active);
		break;
	}
	case KW_AUTHS:
	case KW_PURPOSES:
		if (check_set(v, k->kind == KW_AUTHS ? auth_methods : purposes, &s, bad,
		        sizeof(bad)) != 0) {
			seterr(err, errlen, "bad value '%.100s' for %s", bad, k->name);
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
			seterr(
			    err, errlen, "too many %s entries (at most %d)", k->name, OPT_MAX_LIST);
			return r;
		}
		break;
	}
	if (r != 0) {
		seterr(err, errlen, "out of memory");
	}
	return r;
badval:
	seterr(err, errlen, "bad value '%.100s' for %s", v, k->name);
	return SSH_ERR_FORMAT;
}

/* an already split line that is not Host / Match / Include */
static int apply_args(struct options *o, struct args *a, int active, char *err, size_t errlen)
{
	const struct kw *k;

	if ((k = find_kw(a->v[0])) == NULL) {
		seterr(err, errlen, "unknown option '%.100s'", a->v[0]);
		return SSH_ERR_FORMAT;
	}
	return apply_kw(o, k, a, active, err, errlen);
}

int options_apply(struct options *o, const char *line, const char *where, char *err, size_t errlen)
{
	struct args a;
	int r;

	(void)where; /* err carries only the cause; callers prefix where it came from */
	if (o == NULL || line == NULL) {
		seterr(err, errlen, "no option");
		return SSH_ERR_INTERNAL;
	}
	if ((r = split_line(line, &a, err, errlen)) != 0) {
		goto out;
	}
	if (a.n == 0) {
		seterr(err, errlen, "empty option");
		r = SSH_ERR_FORMAT;
		goto out;
	}
	if (strcasecmp(a.v[0], "Host") == 0 || strcasecmp(a.v[0], "Match") == 0 ||
	    strcasecmp(a.v[0], "Include") == 0) {
		seterr(err, errlen, "'%s' is only allowed in a config file", a.v[0]);
		r = SSH_ERR_FORMAT;
		goto out;
	}
	r = apply_args(o, &a, 1, err, errlen);
out:
	free(a.buf);
	return r;
}

/* ---- paths ---- */

static const char *home_dir(void)
{
	const char *h = getenv("HOME");
	struct passwd *pw;

	if (h != NULL && h[0] != '\0') {
		return h;
	}
	if ((pw = getpwuid(getuid())) != NULL && pw->pw_dir != NULL) {
		return pw->pw_dir;
	}
	return "/";
}

/* "~" and "~/..." to the home directory; anything else is copied */
static int expand_tilde(const char *in, char **out)
{
	const char *h;
	size_t hl;

	*out = NULL;
	if (in[0] != '~' || (in[1] != '/' && in[1] != '\0')) {
		*out = strdup(in);
		return *out != NULL ? 0 : SSH_ERR_ALLOC;
	}
	h = home_dir();
	hl = strlen(h);
	while (hl > 1 && h[hl - 1] == '/') {
		hl--;
	}
	if ((*out = malloc(hl + strlen(in + 1) + 1)) == NULL) {
		return SSH_ERR_ALLOC;
	}
	memcpy(*out, h, hl);
	strcpy(*out + hl, in + 1);
	return 0;
}

static int expand_field(char **field)
{
	char *e = NULL;
	int r;

	if (*field == NULL || strncmp(*field, "pkcs11:", 7) == 0) {
		return 0;
	}
	if ((r = expand_tilde(*field, &e)) != 0) {
		return r;
	}
	free(*field);
	*field = e;
	return 0;
}

/* ---- config files ---- */

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
		if (pattern_match(host, neg ? p + 1 : p, 1)) {
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
		seterr(err, errlen, "Match needs a criterion");
		return SSH_ERR_FORMAT;
	}
	if (strcasecmp(a->v[1], "all") == 0) {
		if (a->n != 2) {
			seterr(err, errlen, "Match all cannot be combined with other criteria");
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
			seterr(err, errlen, "unsupported Match criterion '%.100s'", a->v[i]);
			return SSH_ERR_FORMAT;
		}
		if (i + 1 >= a->n || a->v[i + 1][0] == '\0') {
			seterr(err, errlen, "Match host needs a pattern list");
			return SSH_ERR_FORMAT;
		}
		m = pattern_match_list(host, a->v[i + 1]) == 1;
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
		seterr(err, errlen, "%s: Include nested too deeply", where);
		return SSH_ERR_TOO_LARGE;
	}
	for (i = 1; i < a->n && r == 0; i++) {
		if ((r = expand_tilde(a->v[i], &exp)) != 0) {
			seterr(err, errlen, "%s: out of memory", where);
			break;
		}
		if (exp[0] != '/') {
			if (asprintf(&pat, "%s/%s", incdir, exp) < 0) {
				pat = NULL;
				r = SSH_ERR_ALLOC;
				seterr(err, errlen, "%s: out of memory", where);
				break;
			}
		} else {
			pat = exp;
			exp = NULL;
		}
		memset(&g, 0, sizeof(g));
		gr = glob(pat, 0, NULL, &g);
		if (gr != 0 && gr != GLOB_NOMATCH) {
			seterr(err, errlen, "%s: Include '%.200s': cannot expand", where, a->v[i]);
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
		seterr(err, errlen, "%s: %s", path, strerror(errno));
		return SSH_ERR_SYSTEM;
	}
	if ((line = malloc(OPT_MAX_LINE + 1)) == NULL) {
		seterr(err, errlen, "%s: out of memory", path);
		r = SSH_ERR_ALLOC;
		goto out;
	}
	while (textfile_read_line(fp, line, OPT_MAX_LINE + 1, &bad)) {
		lineno++;
		snprintf(where, sizeof(where), "%.500s:%lu", path, lineno);
		if (bad) {
			seterr(err, errlen, "%s: line too long or contains a NUL byte", where);
			r = SSH_ERR_FORMAT;
			goto out;
		}
		free(a.buf);
		if ((r = split_line(line, &a, cause, sizeof(cause))) != 0) {
			seterr(err, errlen, "%s: %s", where, cause);
			goto out;
		}
		if (a.n == 0) {
			continue;
		}
		if (strcasecmp(a.v[0], "Host") == 0) {
			if (a.n < 2) {
				seterr(err, errlen, "%s: Host needs a pattern", where);
				r = SSH_ERR_FORMAT;
				goto out;
			}
			active = match_host_line(o, &a);
		} else if (strcasecmp(a.v[0], "Match") == 0) {
			if ((r = match_line(o, &a, &active, cause, sizeof(cause))) != 0) {
				seterr(err, errlen, "%s: %s", where, cause);
				goto out;
			}
		} else if (strcasecmp(a.v[0], "Include") == 0) {
			if (a.n < 2) {
				seterr(err, errlen, "%s: Include needs a file name", where);
				r = SSH_ERR_FORMAT;
				goto out;
			}
			if (active &&
			    (r = do_include(o, &a, depth, incdir, where, err, errlen)) != 0) {
				goto out;
			}
		} else if ((r = apply_args(o, &a, active, cause, sizeof(cause))) != 0) {
			seterr(err, errlen, "%s: %s", where, cause);
			goto out;
		}
	}
	if (ferror(fp)) {
		seterr(err, errlen, "%s: %s", path, strerror(errno));
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
		seterr(err, errlen, "no config file");
		return SSH_ERR_INTERNAL;
	}
	/* relative Include: against /etc/x509ssh for system files, else ~/.x509ssh */
	if (strncmp(path, SYSTEM_INCLUDE_DIR "/", strlen(SYSTEM_INCLUDE_DIR) + 1) == 0) {
		r = expand_tilde(SYSTEM_INCLUDE_DIR, &incdir);
	} else {
		r = expand_tilde(USER_INCLUDE_DIR, &incdir);
	}
	if (r != 0) {
		seterr(err, errlen, "out of memory");
		return r;
	}
	r = read_file_depth(o, path, optional, 0, incdir, err, errlen);
	free(incdir);
	return r;
}

/* ---- defaults ---- */

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
		seterr(err, errlen, "out of memory");
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
			seterr(err, errlen, "bad token in HostName '%.100s'", o->hostname);
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
	char *def = algo_default_list(cat, x509);
	char *sup = algo_supported_list(cat);
	char cause[256];
	char *res = NULL;

	res = algo_list_resolve(*field, def, sup, cause, sizeof(cause));
	free(def);
	free(sup);
	if (res == NULL) {
		seterr(err, errlen, "%s in %s", cause, name);
		return SSH_ERR_NO_ALGO;
	}
	free(*field);
	*field = res;
	return 0;
}

/* X509HostKeys no: take every x509v3 name out of the host-key list */
static int drop_x509_hostkeys(char **field, char *err, size_t errlen)
{
	struct strv in = {NULL, 0}, out = {NULL, 0};
	char *s = NULL;
	size_t i;
	int r;

	if ((r = strv_split(*field, &in)) != 0) {
		goto out;
	}
	for (i = 0; i < in.n; i++) {
		const struct hostkey_alg *a = NULL;
		size_t j;
		for (j = 0; (a = hostkey_alg_at(j)) != NULL; j++) {
			if (strcmp(a->name, in.v[i]) == 0) {
				break;
			}
		}
		if (a != NULL && (a->flags & HK_FLAG_X509) != 0) {
			continue;
		}
		if ((r = strv_push(&out, in.v[i])) != 0) {
			goto out;
		}
	}
	if (out.n == 0) {
		seterr(
		    err, errlen, "empty algorithm list in HostKeyAlgorithms with X509HostKeys no");
		r = SSH_ERR_NO_ALGO;
		goto out;
	}
	if ((s = strv_join(&out)) == NULL) {
		r = SSH_ERR_ALLOC;
		goto out;
	}
	free(*field);
	*field = s;
out:
	if (r == SSH_ERR_ALLOC || r == SSH_ERR_TOO_LARGE) {
		seterr(err, errlen, "out of memory");
	}
	strv_free(&in);
	strv_free(&out);
	return r;
}

static const char *const def_user_kh[] = {"~/.ssh/known_hosts", NULL};
static const char *const def_global_kh[] = {"/etc/ssh/ssh_known_hosts", NULL};
static const char *const def_ids[] = {
    "~/.ssh/id_ed25519", "~/.ssh/id_ecdsa", "~/.ssh/id_rsa", NULL};

int options_finish(
    struct options *o, const char *local_user, int have_ca_store, char *err, size_t errlen)
{
	size_t i, had_ids;
	int r = SSH_ERR_ALLOC;

	if (o == NULL || o->host == NULL || o->host[0] == '\0') {
		seterr(err, errlen, "no destination host");
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
			seterr(err, errlen, "no user name");
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
	if (o->escape_char == ESC_NONE_SET) {
		o->escape_char = -1;
	} else {
		default_int(&o->escape_char, '~');
	}
	default_int(&o->number_of_password_prompts, 3);
	default_int(&o->strict_host_key_checking, SHK_ASK);
	if (o->batch_mode && o->strict_host_key_checking == SHK_ASK) {
		o->strict_host_key_checking = SHK_YES; /* BatchMode never asks */
	}
	if ((r = default_str(&o->preferred_authentications, DEFAULT_AUTHS)) != 0) {
		goto oom;
	}

	/* X.509 */
	default_int(&o->x509_host_keys, X509HK_PREFER);
	default_int(&o->x509_name_fallback_cn, 1);
	if ((r = default_str(&o->x509_host_purposes, DEFAULT_PURPOSES)) != 0) {
		goto oom;
	}
	default_int(&o->x509_revocation, X509REV_CHECK);
	default_int(&o->x509_allow_partial_chain, 0);
	default_int(&o->x509_max_chain, 10);
	default_int(&o->x509_send_root, 0);
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
	if (o->x509_host_keys == X509HK_NO &&
	    (r = drop_x509_hostkeys(&o->hostkey_algorithms, err, errlen)) != 0) {
		return r;
	}

	/* files: defaults, then "~" (the % tokens are expanded where the files are opened) */
	had_ids = o->n_identity_file;
	if ((r = default_list(
	         o->user_known_hosts_file, &o->n_user_known_hosts_file, def_user_kh)) != 0 ||
	    (r = default_list(
	         o->global_known_hosts_file, &o->n_global_known_hosts_file, def_global_kh)) != 0 ||
	    (r = default_list(o->identity_file, &o->n_identity_file, def_ids)) != 0) {
		goto oom;
	}
	o->identity_file_default = had_ids == 0;
	for (i = 0; i < o->n_user_known_hosts_file; i++) {
		if ((r = expand_field(&o->user_known_hosts_file[i])) != 0) {
			goto oom;
		}
	}
	for (i = 0; i < o->n_global_known_hosts_file; i++) {
		if ((r = expand_field(&o->global_known_hosts_file[i])) != 0) {
			goto oom;
		}
	}
	for (i = 0; i < o->n_identity_file; i++) {
		if ((r = expand_field(&o->identity_file[i])) != 0) {
			goto oom;
		}
	}
	for (i = 0; i < o->n_x509_certificate_file; i++) {
		if ((r = expand_field(&o->x509_certificate_file[i])) != 0) {
			goto oom;
		}
	}
	if ((r = expand_field(&o->ca_certificate_file)) != 0 ||
	    (r = expand_field(&o->ca_certificate_path)) != 0 ||
	    (r = expand_field(&o->ca_revocation_file)) != 0 ||
	    (r = expand_field(&o->ca_revocation_path)) != 0 ||
	    (r = expand_field(&o->pkcs11_provider)) != 0) {
		goto oom;
	}
	if (o->force_tty < 0) {
		o->force_tty = 0;
	}
	if (o->no_tty < 0) {
		o->no_tty = 0;
	}
	return 0;
oom:
	seterr(err, errlen, "out of memory");
	return r;
}

/* ---- -G ---- */

#define PIN_ATTR     "pin-value="
#define PIN_ATTR_LEN (sizeof(PIN_ATTR) - 1)

/*
 * s with the value of every pin-value attribute replaced by "***" (up to the next '&' or the end,
 * as the pkcs11 URI errors show it: a character too many hidden rather than one shown), or NULL
 * when out of memory. The attribute name is matched without regard to case.
 */
static char *mask_pin_values(const char *s)
{
	size_t n = strlen(s), k = 0;
	const char *p = s, *hit;
	/* each "pin-value=" (10 bytes) may grow by 3 ("***" for an empty value) */
	char *out = malloc(n + 3 * (n / PIN_ATTR_LEN) + 1);

	if (out == NULL) {
		return NULL;
	}
	while ((hit = strcasestr(p, PIN_ATTR)) != NULL) {
		size_t head = (size_t)(hit - p) + PIN_ATTR_LEN;
		memcpy(out + k, p, head);
		k += head;
		memcpy(out + k, "***", 3);
		k += 3;
		p = hit + PIN_ATTR_LEN;
		p += strcspn(p, "&");
	}
	memcpy(out + k, p, strlen(p) + 1);
	return out;
}

/* a value as the parser reads it back: quoted when it holds blanks, quotes, '#' or is empty;
 * the value of a pin-value attribute masked */
static void put_val(FILE *f, const char *v)
{
	char *s = mask_pin_values(v);
	const char *p;

	if (s == NULL) {
		fputs("***", f); /* out of memory: show nothing of the value */
		return;
	}
	if (s[0] != '\0' && strpbrk(s, " \t\"'\\#") == NULL) {
		fputs(s, f);
		free(s);
		return;
	}
	fputc('"', f);
	for (p = s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\') {
			fputc('\\', f);
		}
		fputc(*p, f);
	}
	fputc('"', f);
	free(s);
}

static void dump_str(FILE *f, const char *kw, const char *v)
{
	if (v == NULL) {
		return;
	}
	fprintf(f, "%s ", kw);
	put_val(f, v);
	fputc('\n', f);
}

static void dump_int(FILE *f, const char *kw, int v)
{
	fprintf(f, "%s %d\n", kw, v);
}

static void dump_flag(FILE *f, const char *kw, int v)
{
	fprintf(f, "%s %s\n", kw, v == 1 ? "yes" : "no");
}

static void dump_enum(FILE *f, const char *kw, const struct enumv *ev, int v)
{
	size_t i;

	for (i = 0; ev[i].name != NULL; i++) {
		if (ev[i].val == v) {
			fprintf(f, "%s %s\n", kw, ev[i].name);
			return;
		}
	}
}

static void dump_each(FILE *f, const char *kw, char *const *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		dump_str(f, kw, v[i]);
	}
}

static void dump_oneline(FILE *f, const char *kw, char *const *v, size_t n)
{
	size_t i;

	if (n == 0) {
		return;
	}
	fprintf(f, "%s", kw);
	for (i = 0; i < n; i++) {
		fputc(' ', f);
		put_val(f, v[i]);
	}
	fputc('\n', f);
}

void options_dump(const struct options *o, FILE *f)
{
	if (o == NULL || f == NULL) {
		return;
	}
	dump_str(f, "host", o->host);
	dump_str(f, "user", o->user);
	dump_str(f, "hostname", o->hostname);
	dump_int(f, "port", o->port);
	dump_enum(f, "addressfamily", ev_af, o->address_family);
	dump_flag(f, "batchmode", o->batch_mode);
	dump_int(f, "connectionattempts", o->connection_attempts);
	if (o->connect_timeout > 0) {
		dump_int(f, "connecttimeout", o->connect_timeout);
	} else {
		fprintf(f, "connecttimeout none\n");
	}
	if (o->escape_char < 0) {
		fprintf(f, "escapechar none\n");
	} else if (o->escape_char < 32) {
		fprintf(f, "escapechar ^%c\n", o->escape_char + 64);
	} else {
		char c[2] = {(char)o->escape_char, '\0'};
		dump_str(f, "escapechar", c);
	}
	dump_flag(f, "identitiesonly", o->identities_only);
	dump_enum(f, "loglevel", ev_loglevel, o->log_level);
	dump_int(f, "numberofpasswordprompts", o->number_of_password_prompts);
	dump_enum(f, "requesttty", ev_rtty, o->request_tty);
	fprintf(f, "rekeylimit %lld %d\n", o->rekey_bytes, o->rekey_seconds);
	dump_int(f, "serveraliveinterval", o->server_alive_interval);
	dump_int(f, "serveralivecountmax", o->server_alive_count_max);
	dump_enum(f, "stricthostkeychecking", ev_shk, o->strict_host_key_checking);
	dump_str(f, "kexalgorithms", o->kex_algorithms);
	dump_str(f, "ciphers", o->ciphers);
	dump_str(f, "macs", o->macs);
	dump_str(f, "hostkeyalgorithms", o->hostkey_algorithms);
	dump_str(f, "pubkeyacceptedalgorithms", o->pubkey_accepted_algorithms);
	dump_str(f, "preferredauthentications", o->preferred_authentications);
	dump_str(f, "hostkeyalias", o->host_key_alias);
	dump_oneline(f, "userknownhostsfile", o->user_known_hosts_file, o->n_user_known_hosts_file);
	dump_oneline(
	    f, "globalknownhostsfile", o->global_known_hosts_file, o->n_global_known_hosts_file);
	dump_each(f, "identityfile", o->identity_file, o->n_identity_file);
	dump_str(f, "pkcs11provider", o->pkcs11_provider);
	dump_each(f, "sendenv", o->send_env, o->n_send_env);
	dump_each(f, "setenv", o->set_env, o->n_set_env);
	dump_str(f, "cacertificatefile", o->ca_certificate_file);
	dump_str(f, "cacertificatepath", o->ca_certificate_path);
	dump_str(f, "carevocationfile", o->ca_revocation_file);
	dump_str(f, "carevocationpath", o->ca_revocation_path);
	dump_enum(f, "x509hostkeys", ev_x509hk, o->x509_host_keys);
	dump_str(f, "x509hostname", o->x509_host_name);
	dump_flag(f, "x509namefallbackcn", o->x509_name_fallback_cn);
	dump_str(f, "x509hostpurposes", o->x509_host_purposes);
	dump_enum(f, "x509revocation", ev_x509rev, o->x509_revocation);
	dump_flag(f, "x509allowpartialchain", o->x509_allow_partial_chain);
	dump_int(f, "x509maxchain", o->x509_max_chain);
	dump_each(f, "x509certificatefile", o->x509_certificate_file, o->n_x509_certificate_file);
	dump_flag(f, "x509sendroot", o->x509_send_root);
	dump_enum(f, "userfromcertificate", ev_ufc, o->user_from_certificate);
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
