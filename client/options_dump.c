/* The -G dump: the effective configuration, one "keyword value" per line. */
#include "options.h"
#include "options_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
