/*
 * Leaf certificate rules (RFC 6187 2.2 keyUsage / extendedKeyUsage), the host-name check
 * (subjectAltName, CN only when there is no subjectAltName at all) and the text of results.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "certstore_int.h"

#define HOST_MAX 255 /* longest DNS name */

void cs_verdict(struct certstore_result *res, enum certstore_verdict v, int depth, const X509 *cert,
    const char *fmt, ...)
{
	va_list ap;

	res->verdict = v;
	res->depth = depth;
	res->subject[0] = '\0';
	if (cert != NULL) {
		cs_name_line(X509_get_subject_name(cert), res->subject, sizeof(res->subject));
	}
	va_start(ap, fmt);
	vsnprintf(res->reason, sizeof(res->reason), fmt, ap);
	va_end(ap);
}

void cs_name_line(const X509_NAME *name, char *buf, size_t len)
{
	BIO *bio = NULL;
	int n;

	if (len == 0) {
		return;
	}
	snprintf(buf, len, "?");
	if (name == NULL || (bio = BIO_new(BIO_s_mem())) == NULL) {
		goto out;
	}
	/* RFC 2253 with control and non-ASCII bytes escaped: safe for one terminal line */
	if (X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253) < 0) {
		goto out;
	}
	n = BIO_read(bio, buf, (int)(len - 1 > 0x7fffffff ? 0x7fffffff : len - 1));
	buf[n > 0 ? n : 0] = '\0';
out:
	BIO_free(bio);
	ERR_clear_error();
}

void cs_time_str(const ASN1_TIME *t, char *buf, size_t len)
{
	struct tm tm;

	if (len == 0) {
		return;
	}
	memset(&tm, 0, sizeof(tm));
	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1 ||
	    strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0) {
		snprintf(buf, len, "(bad time)");
	}
	ERR_clear_error();
}

/* appends "sep text" to buf (truncating, never overflowing) */
static void append(char *buf, size_t len, const char *sep, const char *text)
{
	size_t used = strlen(buf);

	if (used + 1 >= len) {
		return;
	}
	snprintf(buf + used, len - used, "%s%s", used > 0 ? sep : "", text);
}

/* printable copy of an IA5String / UTF8 value: anything else becomes '?' */
static void printable(const ASN1_STRING *s, char *out, size_t len)
{
	const unsigned char *p = ASN1_STRING_get0_data(s);
	int n = ASN1_STRING_length(s);
	size_t i, j = 0;

	for (i = 0; p != NULL && n > 0 && i < (size_t)n && j + 1 < len; i++) {
		out[j++] = (p[i] >= 0x20 && p[i] < 0x7f) ? (char)p[i] : '?';
	}
	out[j] = '\0';
}

int cs_check_key_usage(X509 *leaf, struct certstore_result *res)
{
	static const struct {
		uint32_t bit;
		const char *name;
	} bits[] = {{KU_DIGITAL_SIGNATURE, "digitalSignature"},
	    {KU_NON_REPUDIATION, "nonRepudiation"}, {KU_KEY_ENCIPHERMENT, "keyEncipherment"},
	    {KU_DATA_ENCIPHERMENT, "dataEncipherment"}, {KU_KEY_AGREEMENT, "keyAgreement"},
	    {KU_KEY_CERT_SIGN, "keyCertSign"}, {KU_CRL_SIGN, "cRLSign"},
	    {KU_ENCIPHER_ONLY, "encipherOnly"}, {KU_DECIPHER_ONLY, "decipherOnly"}};
	char have[256] = "";
	uint32_t ku;
	size_t i;

	if ((X509_get_extension_flags(leaf) & EXFLAG_KUSAGE) == 0) {
		return 0;
	}
	ku = X509_get_key_usage(leaf);
	if ((ku & KU_DIGITAL_SIGNATURE) != 0) {
		return 0;
	}
	for (i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
		if ((ku & bits[i].bit) != 0) {
			append(have, sizeof(have), ", ", bits[i].name);
		}
	}
	cs_verdict(res, CERTSTORE_BAD_KEY_USAGE, 0, leaf,
	    "keyUsage lacks digitalSignature (it allows only %s)", have[0] ? have : "nothing");
	return 0;
}

int cs_check_eku(X509 *leaf, int purposes, struct certstore_result *res)
{
	EXTENDED_KEY_USAGE *eku = NULL;
	char have[512] = "", want[128] = "", oid[80];
	int crit = -1, mask = 0, i, nid;

	if (purposes == 0) {
		purposes = CERTSTORE_PURPOSE_SSH_SERVER | CERTSTORE_PURPOSE_SERVER_AUTH |
		           CERTSTORE_PURPOSE_ANY;
	}
	eku = X509_get_ext_d2i(leaf, NID_ext_key_usage, &crit, NULL);
	if (eku == NULL) {
		ERR_clear_error();
		if (crit == -1) {
			return 0; /* no EKU extension: any purpose */
		}
		cs_verdict(res, CERTSTORE_MALFORMED, 0, leaf,
		    "extendedKeyUsage extension does not parse or is repeated");
		return 0;
	}
	for (i = 0; i < sk_ASN1_OBJECT_num(eku); i++) {
		const ASN1_OBJECT *o = sk_ASN1_OBJECT_value(eku, i);

		nid = OBJ_obj2nid(o);
		switch (nid) {
		case NID_sshServer:
			mask |= CERTSTORE_PURPOSE_SSH_SERVER;
			break;
		case NID_server_auth:
			mask |= CERTSTORE_PURPOSE_SERVER_AUTH;
			break;
		case NID_anyExtendedKeyUsage:
			mask |= CERTSTORE_PURPOSE_ANY;
			break;
		case NID_sshClient:
			mask |= CERTSTORE_PURPOSE_SSH_CLIENT;
			break;
		case NID_client_auth:
			mask |= CERTSTORE_PURPOSE_CLIENT_AUTH;
			break;
		default:
			break;
		}
		if (nid != NID_undef) {
			append(have, sizeof(have), ", ", OBJ_nid2sn(nid));
		} else if (OBJ_obj2txt(oid, sizeof(oid), o, 1) > 0) {
			append(have, sizeof(have), ", ", oid);
		}
	}
	sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
	if ((mask & purposes) != 0) {
		return 0;
	}
	if (purposes & CERTSTORE_PURPOSE_SSH_SERVER) {
		append(want, sizeof(want), ", ", "secureShellServer");
	}
	if (purposes & CERTSTORE_PURPOSE_SERVER_AUTH) {
		append(want, sizeof(want), ", ", "serverAuth");
	}
	if (purposes & CERTSTORE_PURPOSE_SSH_CLIENT) {
		append(want, sizeof(want), ", ", "secureShellClient");
	}
	if (purposes & CERTSTORE_PURPOSE_CLIENT_AUTH) {
		append(want, sizeof(want), ", ", "clientAuth");
	}
	if (purposes & CERTSTORE_PURPOSE_ANY) {
		append(want, sizeof(want), ", ", "anyExtendedKeyUsage");
	}
	cs_verdict(res, CERTSTORE_BAD_EKU, 0, leaf,
	    "extendedKeyUsage allows only %s (need one of %s)", have[0] ? have : "nothing", want);
	return 0;
}

/* "DNS:a, IP:b" from the subjectAltName, or "CN=x" when there is none */
static void names_carried(X509 *leaf, int has_san, char *buf, size_t len)
{
	GENERAL_NAMES *gens = NULL;
	const X509_NAME *subj = X509_get_subject_name(leaf);
	char item[300], val[HOST_MAX + 1], ip[INET6_ADDRSTRLEN];
	int i;

	buf[0] = '\0';
	if (has_san) {
		gens = X509_get_ext_d2i(leaf, NID_subject_alt_name, NULL, NULL);
		for (i = 0; gens != NULL && i < sk_GENERAL_NAME_num(gens); i++) {
			const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
			const unsigned char *a;
			int alen;

			if (g->type == GEN_DNS) {
				printable(g->d.dNSName, val, sizeof(val));
				snprintf(item, sizeof(item), "DNS:%s", val);
			} else if (g->type == GEN_IPADD) {
				a = ASN1_STRING_get0_data(g->d.iPAddress);
				alen = ASN1_STRING_length(g->d.iPAddress);
				if ((alen == 4 && inet_ntop(AF_INET, a, ip, sizeof(ip)) != NULL) ||
				    (alen == 16 &&
				        inet_ntop(AF_INET6, a, ip, sizeof(ip)) != NULL)) {
					snprintf(item, sizeof(item), "IP:%s", ip);
				} else {
					snprintf(item, sizeof(item), "IP:(bad length %d)", alen);
				}
			} else {
				continue;
			}
			append(buf, len, ", ", item);
		}
		GENERAL_NAMES_free(gens);
		if (buf[0] == '\0') {
			snprintf(buf, len, "(no DNS or IP names)");
		}
	} else {
		for (i = -1; (i = X509_NAME_get_index_by_NID(subj, NID_commonName, i)) >= 0;) {
			const X509_NAME_ENTRY *e = X509_NAME_get_entry(subj, i);

			printable(X509_NAME_ENTRY_get_data(e), val, sizeof(val));
			snprintf(item, sizeof(item), "CN=%s", val);
			append(buf, len, ", ", item);
		}
		if (buf[0] == '\0') {
			snprintf(buf, len, "(no names)");
		}
	}
	ERR_clear_error();
}

/* letters, digits, '-' and '_' in labels of 1..63 bytes: no wildcards, no leading dot (which
 * X509_check_host would take as "any host in this domain") */
static int valid_dns_name(const char *name)
{
	size_t label = 0;

	for (; *name != '\0'; name++) {
		char ch = *name;

		if (ch == '.') {
			if (label == 0) {
				return 0;
			}
			label = 0;
		} else if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		           (ch >= '0' && ch <= '9') || ch == '-' || ch == '_') {
			if (++label > 63) {
				return 0;
			}
		} else {
			return 0;
		}
	}
	return label > 0;
}

int cs_check_name(X509 *leaf, const char *host, int fallback_cn, struct certstore_result *res)
{
	ASN1_OCTET_STRING *ip = NULL;
	char name[HOST_MAX + 1], carried[700];
	const char *why = "";
	size_t hlen;
	int has_san, rc = 0;

	if (host == NULL) {
		return 0; /* no name to check (e.g. a client certificate) */
	}
	hlen = strlen(host);
	if (hlen > 0 && host[hlen - 1] == '.') {
		hlen--; /* "host.example.com." is the same name */
	}
	if (hlen == 0 || hlen > HOST_MAX) {
		cs_verdict(res, CERTSTORE_NAME_MISMATCH, 0, leaf, "name mismatch: bad host name");
		return 0;
	}
	memcpy(name, host, hlen);
	name[hlen] = '\0';
	has_san = X509_get_ext_by_NID(leaf, NID_subject_alt_name, -1) >= 0;

	if ((ip = a2i_IPADDRESS(name)) != NULL) {
		/* an address matches a SAN iPAddress exactly; never the CN, never a wildcard */
		if (has_san) {
			rc = X509_check_ip(
			    leaf, ASN1_STRING_get0_data(ip), (size_t)ASN1_STRING_length(ip), 0);
		} else {
			why = " (the CN is never checked for an IP address)";
		}
	} else if (!valid_dns_name(name)) {
		why = " (not a valid host name)";
	} else if (has_san) {
		/* decide the CN fallback here: OpenSSL would also use the CN when the SAN holds
		 * only addresses */
		rc = X509_check_host(leaf, name, hlen,
		    X509_CHECK_FLAG_NEVER_CHECK_SUBJECT | X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS,
		    NULL);
	} else if (fallback_cn) {
		rc = X509_check_host(leaf, name, hlen, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS, NULL);
	} else {
		why = " (no subjectAltName and X509NameFallbackCN is off)";
	}
	ASN1_OCTET_STRING_free(ip);
	ERR_clear_error();
	if (rc == 1) {
		return 0;
	}
	names_carried(leaf, has_san, carried, sizeof(carried));
	cs_verdict(res, CERTSTORE_NAME_MISMATCH, 0, leaf, "name mismatch: '%s' is not in %s%s",
	    name, carried, why);
	return 0;
}

/* SHA256:<base64 without padding>, as OpenSSH prints fingerprints */
static int fingerprint(X509 *x, char *buf, size_t len)
{
	unsigned char md[EVP_MAX_MD_SIZE], b64[((EVP_MAX_MD_SIZE + 2) / 3) * 4 + 1];
	unsigned int mdlen = 0;
	int n;

	if (X509_digest(x, EVP_sha256(), md, &mdlen) != 1) {
		return CS_ERR_LIBCRYPTO;
	}
	n = EVP_EncodeBlock(b64, md, (int)mdlen);
	while (n > 0 && b64[n - 1] == '=') {
		n--;
	}
	b64[n] = '\0';
	snprintf(buf, len, "SHA256:%s", (const char *)b64);
	return 0;
}

int cs_chain_text(STACK_OF(X509) * chain, char **out)
{
	char subj[512], iss[512], nb[40], na[40], fp[100], line[1300];
	char *text = NULL, *tmp;
	size_t used = 0, n;
	int i, r = 0;

	*out = NULL;
	for (i = 0; chain != NULL && i < sk_X509_num(chain); i++) {
		X509 *x = sk_X509_value(chain, i);

		cs_name_line(X509_get_subject_name(x), subj, sizeof(subj));
		cs_name_line(X509_get_issuer_name(x), iss, sizeof(iss));
		cs_time_str(X509_get0_notBefore(x), nb, sizeof(nb));
		cs_time_str(X509_get0_notAfter(x), na, sizeof(na));
		if ((r = fingerprint(x, fp, sizeof(fp))) != 0) {
			goto out;
		}
		snprintf(line, sizeof(line),
		    "%sdepth %d: subject=%s, issuer=%s, valid %s to %s, %s", i > 0 ? "\n" : "", i,
		    subj, iss, nb, na, fp);
		n = strlen(line);
		if ((tmp = realloc(text, used + n + 1)) == NULL) {
			r = CS_ERR_ALLOC;
			goto out;
		}
		text = tmp;
		memcpy(text + used, line, n + 1);
		used += n;
	}
	*out = text;
	text = NULL;
out:
	free(text);
	return r;
}
