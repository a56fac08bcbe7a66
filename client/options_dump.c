/* The -G dump: the effective configuration, one "keyword value" per line. */
#include "options.h"
#include "options_int.h"
#include "p11uri.h"

#include "cmdline.h"
#include "fwdspec.h"
#include "jumpspec.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* s with every pin-value attribute's value masked (p11uri_mask_pin), or NULL when out of memory */
static char *mask_pin_values(const char *s)
{
	/* each "pin-value=" (10 bytes) may grow by 3 ("***" for an empty value) */
	size_t n = strlen(s), len = n + 3 * (n / 10) + 1;
	char *out = malloc(len);

	if (out != NULL) {
		p11uri_mask_pin(s, out, len);
	}
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

/* the rest of a line as written (ProxyCommand): unquoted, as OpenSSH prints it */
static void dump_line(FILE *f, const char *kw, const char *v)
{
	char *s;

	if (v == NULL) {
		return;
	}
	s = mask_pin_values(v);
	fprintf(f, "%s %s\n", kw, s != NULL ? s : "***");
	free(s);
}

/* a command line with its %-tokens expanded (left as written when one is unknown) */
static void dump_cmd(FILE *f, const char *kw, const struct options *o, const char *v)
{
	char *out, bad = 0;
	size_t len;

	if (v == NULL) {
		return;
	}
	len = strlen(v) + 1;
	for (const char *p = v; (p = strchr(p, '%')) != NULL; p++) {
		len += 4200; /* room for a token's value */
	}
	if ((out = malloc(len)) != NULL && cmdline_expand(o, v, out, len, &bad) == 0) {
		dump_line(f, kw, out);
	} else {
		dump_line(f, kw, v);
	}
	free(out);
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

enum dump_kind {
	D_STR = 1, /* char *: omitted when NULL */
	D_LINE,    /* char *, printed as is: omitted when NULL */
	D_INT,
	D_FLAG,
	D_ENUM,    /* int, by ev */
	D_EACH,    /* char *[] with a count: one line each */
	D_ONELINE, /* char *[] with a count: all on one line */
	D_TIMEOUT, /* ConnectTimeout: seconds or none */
	D_ESCAPE,  /* EscapeChar: none, ^X or the character */
	D_REKEY,   /* RekeyLimit: bytes and seconds */
	D_FWD,     /* char *[] of forwarding specs: one line each, as OpenSSH's -G */
	D_JUMP,    /* ProxyJump, as OpenSSH's -G; omitted when NULL */
	D_DEFSTR,  /* char *: def when NULL; unquoted words (PermitRemoteOpen) */
	D_CMD,     /* char *: tokens expanded, printed as is (RemoteCommand, as OpenSSH's -G) */
};

struct dump_row {
	const char *kw; /* as -G prints it */
	enum dump_kind kind;
	size_t off, cnt_off;
	const struct enumv *ev;
	enum fwd_kind fwd; /* D_FWD */
	const char *def;   /* D_DEFSTR */
};

#define F(field)     offsetof(struct options, field)
#define LISTF(field) .off = F(field), .cnt_off = F(n_##field)

/* in the order -G prints them */
static const struct dump_row dump_rows[] = {
    {.kw = "host", .kind = D_STR, .off = F(host)},
    {.kw = "user", .kind = D_STR, .off = F(user)},
    {.kw = "hostname", .kind = D_STR, .off = F(hostname)},
    {.kw = "port", .kind = D_INT, .off = F(port)},
    {.kw = "addressfamily", .kind = D_ENUM, .off = F(address_family), .ev = ev_af},
    {.kw = "batchmode", .kind = D_FLAG, .off = F(batch_mode)},
    {.kw = "connectionattempts", .kind = D_INT, .off = F(connection_attempts)},
    {.kw = "connecttimeout", .kind = D_TIMEOUT, .off = F(connect_timeout)},
    {.kw = "escapechar", .kind = D_ESCAPE, .off = F(escape_char)},
    {.kw = "identitiesonly", .kind = D_FLAG, .off = F(identities_only)},
    {.kw = "loglevel", .kind = D_ENUM, .off = F(log_level), .ev = ev_loglevel},
    {.kw = "numberofpasswordprompts", .kind = D_INT, .off = F(number_of_password_prompts)},
    {.kw = "requesttty", .kind = D_ENUM, .off = F(request_tty), .ev = ev_rtty},
    {.kw = "sessiontype", .kind = D_ENUM, .off = F(session_type), .ev = ev_session},
    {.kw = "stdinnull", .kind = D_FLAG, .off = F(stdin_null)},
    {.kw = "enableescapecommandline", .kind = D_FLAG, .off = F(enable_escape_commandline)},
    {.kw = "rekeylimit", .kind = D_REKEY, .off = F(rekey_bytes), .cnt_off = F(rekey_seconds)},
    {.kw = "serveraliveinterval", .kind = D_INT, .off = F(server_alive_interval)},
    {.kw = "serveralivecountmax", .kind = D_INT, .off = F(server_alive_count_max)},
    {.kw = "stricthostkeychecking",
        .kind = D_ENUM,
        .off = F(strict_host_key_checking),
        .ev = ev_shk},
    {.kw = "kexalgorithms", .kind = D_STR, .off = F(kex_algorithms)},
    {.kw = "ciphers", .kind = D_STR, .off = F(ciphers)},
    {.kw = "macs", .kind = D_STR, .off = F(macs)},
    {.kw = "hostkeyalgorithms", .kind = D_STR, .off = F(hostkey_algorithms)},
    {.kw = "pubkeyacceptedalgorithms", .kind = D_STR, .off = F(pubkey_accepted_algorithms)},
    {.kw = "preferredauthentications", .kind = D_STR, .off = F(preferred_authentications)},
    {.kw = "hostkeyalias", .kind = D_STR, .off = F(host_key_alias)},
    {.kw = "hashknownhosts", .kind = D_FLAG, .off = F(hash_known_hosts)},
    {.kw = "userknownhostsfile", .kind = D_ONELINE, LISTF(user_known_hosts_file)},
    {.kw = "globalknownhostsfile", .kind = D_ONELINE, LISTF(global_known_hosts_file)},
    {.kw = "identityfile", .kind = D_EACH, LISTF(identity_file)},
    {.kw = "pkcs11provider", .kind = D_STR, .off = F(pkcs11_provider)},
    {.kw = "pkcs11helper", .kind = D_FLAG, .off = F(pkcs11_helper)},
    {.kw = "identityagent", .kind = D_STR, .off = F(identity_agent)},
    {.kw = "forwardagent", .kind = D_DEFSTR, .off = F(forward_agent), .def = "no"},
    {.kw = "addkeystoagent", .kind = D_DEFSTR, .off = F(add_keys_to_agent), .def = "no"},
    {.kw = "sendenv", .kind = D_EACH, LISTF(send_env)},
    {.kw = "setenv", .kind = D_EACH, LISTF(set_env)},
    {.kw = "cacertificatefile", .kind = D_STR, .off = F(ca_certificate_file)},
    {.kw = "cacertificatepath", .kind = D_STR, .off = F(ca_certificate_path)},
    {.kw = "carevocationfile", .kind = D_STR, .off = F(ca_revocation_file)},
    {.kw = "carevocationpath", .kind = D_STR, .off = F(ca_revocation_path)},
    {.kw = "x509hostkeys", .kind = D_ENUM, .off = F(x509_host_keys), .ev = ev_x509hk},
    {.kw = "x509hostname", .kind = D_STR, .off = F(x509_host_name)},
    {.kw = "x509namefallbackcn", .kind = D_FLAG, .off = F(x509_name_fallback_cn)},
    {.kw = "x509hostpurposes", .kind = D_STR, .off = F(x509_host_purposes)},
    {.kw = "x509revocation", .kind = D_ENUM, .off = F(x509_revocation), .ev = ev_x509rev},
    {.kw = "x509allowpartialchain", .kind = D_FLAG, .off = F(x509_allow_partial_chain)},
    {.kw = "x509maxchain", .kind = D_INT, .off = F(x509_max_chain)},
    {.kw = "requiredrsasize", .kind = D_INT, .off = F(required_rsa_size)},
    {.kw = "x509certificatefile", .kind = D_EACH, LISTF(x509_certificate_file)},
    {.kw = "x509sendroot", .kind = D_FLAG, .off = F(x509_send_root)},
    {.kw = "userfromcertificate", .kind = D_ENUM, .off = F(user_from_certificate), .ev = ev_ufc},
    /* OpenSSH's keywords that we implement */
    {.kw = "bindaddress", .kind = D_STR, .off = F(bind_address)},
    {.kw = "bindinterface", .kind = D_STR, .off = F(bind_interface)},
    {.kw = "clearallforwardings", .kind = D_FLAG, .off = F(clear_all_forwardings)},
    {.kw = "exitonforwardfailure", .kind = D_FLAG, .off = F(exit_on_forward_failure)},
    {.kw = "forkafterauthentication", .kind = D_FLAG, .off = F(fork_after_authentication)},
    {.kw = "gatewayports", .kind = D_FLAG, .off = F(gateway_ports)},
    {.kw = "dynamicforward", .kind = D_FWD, LISTF(dynamic_forward), .fwd = FWD_DYNAMIC},
    {.kw = "localforward", .kind = D_FWD, LISTF(local_forward), .fwd = FWD_LOCAL},
    {.kw = "remoteforward", .kind = D_FWD, LISTF(remote_forward), .fwd = FWD_REMOTE},
    {.kw = "permitremoteopen", .kind = D_DEFSTR, .off = F(permit_remote_open), .def = "any"},
    {.kw = "proxyjump", .kind = D_JUMP, .off = F(proxy_jump)},
    {.kw = "controlpath", .kind = D_STR, .off = F(control_path)},
    {.kw = "kbdinteractiveauthentication",
        .kind = D_FLAG,
        .off = F(kbd_interactive_authentication)},
    {.kw = "passwordauthentication", .kind = D_FLAG, .off = F(password_authentication)},
    {.kw = "pubkeyauthentication", .kind = D_FLAG, .off = F(pubkey_authentication)},
    {.kw = "refuseconnection", .kind = D_FLAG, .off = F(refuse_connection)},
    {.kw = "proxycommand", .kind = D_LINE, .off = F(proxy_command)},
    {.kw = "remotecommand", .kind = D_CMD, .off = F(remote_command)},
    {.kw = "tag", .kind = D_STR, .off = F(tag)},
};

#define CFIELD(o, off, type) ((const type *)(const void *)((const char *)(o) + (off)))
#define CLIST(o, off)        ((char *const *)(const void *)((const char *)(o) + (off)))

/* each spec as OpenSSH's -G prints it ("localforward 8080 [h]:80") */
static void dump_fwds(FILE *f, const char *kw, enum fwd_kind kind, char *const *v, size_t n)
{
	char buf[2 * FWD_HOST_MAX + 64], err[256];
	struct fwd_spec s;

	for (size_t i = 0; i < n; i++) {
		if (fwd_spec_parse(kind, v[i], &s, err, sizeof(err)) != 0) {
			continue; /* checked when read: only out of memory */
		}
		if (fwd_spec_format(&s, FWD_FMT_DUMP, buf, sizeof(buf)) == 0) {
			fprintf(f, "%s %s\n", kw, buf);
		}
		fwd_spec_free(&s);
	}
}

static void dump_jump(FILE *f, const char *kw, const char *v)
{
	char buf[8192];

	if (v != NULL && jump_spec_dump(v, buf, sizeof(buf)) == 0) {
		fprintf(f, "%s %s\n", kw, buf);
	}
}

static void dump_row(FILE *f, const struct options *o, const struct dump_row *d)
{
	int v = d->kind == D_STR || d->kind == D_LINE || d->kind == D_EACH ||
	                d->kind == D_ONELINE || d->kind == D_REKEY || d->kind == D_FWD ||
	                d->kind == D_JUMP || d->kind == D_DEFSTR || d->kind == D_CMD
	            ? 0
	            : *CFIELD(o, d->off, int);

	switch (d->kind) {
	case D_STR:
		dump_str(f, d->kw, *CFIELD(o, d->off, char *));
		break;
	case D_LINE:
		dump_line(f, d->kw, *CFIELD(o, d->off, char *));
		break;
	case D_INT:
		dump_int(f, d->kw, v);
		break;
	case D_FLAG:
		dump_flag(f, d->kw, v);
		break;
	case D_ENUM:
		dump_enum(f, d->kw, d->ev, v);
		break;
	case D_EACH:
		dump_each(f, d->kw, CLIST(o, d->off), *CFIELD(o, d->cnt_off, size_t));
		break;
	case D_ONELINE:
		dump_oneline(f, d->kw, CLIST(o, d->off), *CFIELD(o, d->cnt_off, size_t));
		break;
	case D_TIMEOUT:
		if (v > 0) {
			dump_int(f, d->kw, v);
		} else {
			fprintf(f, "%s none\n", d->kw);
		}
		break;
	case D_ESCAPE:
		if (v < 0) {
			fprintf(f, "%s none\n", d->kw);
		} else if (v < 32) {
			fprintf(f, "%s ^%c\n", d->kw, v + 64);
		} else {
			char c[2] = {(char)v, '\0'};
			dump_str(f, d->kw, c);
		}
		break;
	case D_REKEY:
		fprintf(f, "%s %lld %d\n", d->kw, *CFIELD(o, d->off, long long),
		    *CFIELD(o, d->cnt_off, int));
		break;
	case D_FWD:
		dump_fwds(f, d->kw, d->fwd, CLIST(o, d->off), *CFIELD(o, d->cnt_off, size_t));
		break;
	case D_JUMP:
		dump_jump(f, d->kw, *CFIELD(o, d->off, char *));
		break;
	case D_CMD:
		dump_cmd(f, d->kw, o, *CFIELD(o, d->off, char *));
		break;
	case D_DEFSTR: {
		const char *s = *CFIELD(o, d->off, char *);
		/* the words as OpenSSH prints them, unquoted */
		fprintf(f, "%s %s\n", d->kw, s != NULL ? s : d->def);
		break;
	}
	}
}

int options_dump(const struct options *o, FILE *f)
{
	size_t i;

	if (o == NULL || f == NULL) {
		return -1;
	}
	for (i = 0; i < sizeof(dump_rows) / sizeof(dump_rows[0]); i++) {
		dump_row(f, o, &dump_rows[i]);
	}
	return fflush(f) != 0 || ferror(f) ? -1 : 0;
}
