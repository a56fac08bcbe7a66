/* Descriptions of token keys: -v lines, `x509ssh-token list` details, the subject= line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/objects.h>

#include "p11_int.h"

int p11_key_info(const struct signer *s, struct p11_key_info *out)
{
	const struct p11_key *k;

	memset(out, 0, sizeof(*out));
	if (!p11_is_signer(s)) {
		return P11_ERR_INTERNAL;
	}
	k = s->impl;
	out->uri = s->name;
	out->label = k->label;
	out->type = k->type;
	out->bits = k->bits;
	out->cert = k->leaf;
	out->chain_len = k->chain != NULL ? (size_t)sk_X509_num(k->chain) : 0;
	return 0;
}

/* append text to a malloc'd string */
static int cat(char **s, const char *t, size_t n)
{
	size_t old = *s != NULL ? strlen(*s) : 0;
	char *p;

	if ((p = realloc(*s, old + n + 1)) == NULL) {
		return P11_ERR_ALLOC;
	}
	memcpy(p + old, t, n);
	p[old + n] = '\0';
	*s = p;
	return 0;
}

static const char *short_name(int nid)
{
	switch (nid) {
	case NID_countryName:
		return "C";
	case NID_stateOrProvinceName:
		return "ST";
	case NID_localityName:
		return "L";
	case NID_organizationName:
		return "O";
	case NID_organizationalUnitName:
		return "OU";
	case NID_commonName:
		return "CN";
	case NID_domainComponent:
		return "DC";
	default:
		return NULL;
	}
}

/* "C=..,O=..,CN=.." in stored RDN order; ',', '+' and '\' escaped with '\' (asyncssh's
 * X509Name syntax); attributes without a short name as dotted OIDs */
static int dn_string(const X509_NAME *name, char **out)
{
	char *s = NULL, oid[80];
	const char *an;
	unsigned char *u = NULL;
	int i, n, prev_set = -1, ul, j, r = P11_ERR_ALLOC;

	*out = NULL;
	if ((s = calloc(1, 1)) == NULL) {
		return P11_ERR_ALLOC;
	}
	n = X509_NAME_entry_count(name);
	for (i = 0; i < n; i++) {
		const X509_NAME_ENTRY *e = X509_NAME_get_entry(name, i);
		const ASN1_OBJECT *obj = X509_NAME_ENTRY_get_object(e);
		int set = X509_NAME_ENTRY_set(e);

		if (i > 0 && (r = cat(&s, set == prev_set ? "+" : ",", 1)) != 0) {
			goto out;
		}
		prev_set = set;
		if ((an = short_name(OBJ_obj2nid(obj))) == NULL) {
			if (OBJ_obj2txt(oid, sizeof(oid), obj, 1) <= 0) {
				r = P11_ERR_LIBCRYPTO;
				goto out;
			}
			an = oid;
		}
		if ((r = cat(&s, an, strlen(an))) != 0 || (r = cat(&s, "=", 1)) != 0) {
			goto out;
		}
		if ((ul = ASN1_STRING_to_UTF8(&u, X509_NAME_ENTRY_get_data(e))) < 0) {
			r = P11_ERR_LIBCRYPTO;
			goto out;
		}
		for (j = 0; j < ul; j++) {
			if ((u[j] == ',' || u[j] == '+' || u[j] == '\\') &&
			    (r = cat(&s, "\\", 1)) != 0) {
				goto out;
			}
			if ((r = cat(&s, (const char *)u + j, 1)) != 0) {
				goto out;
			}
		}
		OPENSSL_free(u);
		u = NULL;
	}
	*out = s;
	s = NULL;
	r = 0;
out:
	OPENSSL_free(u);
	free(s);
	return r;
}

int p11_dn_line(const struct signer *s, const char *alg, char **out)
{
	const struct p11_key *k;
	char *dn = NULL, *line = NULL;
	size_t n;
	int r;

	*out = NULL;
	if (!p11_is_signer(s) || alg == NULL) {
		return P11_ERR_INTERNAL;
	}
	k = s->impl;
	if (k->leaf == NULL) {
		return P11_ERR_NOT_FOUND;
	}
	if ((r = dn_string(X509_get_subject_name(k->leaf), &dn)) != 0) {
		return r;
	}
	n = strlen(alg) + strlen(dn) + 16;
	if ((line = malloc(n)) == NULL) {
		free(dn);
		return P11_ERR_ALLOC;
	}
	snprintf(line, n, "%s subject=%s", alg, dn);
	free(dn);
	*out = line;
	return 0;
}

int p11_describe(const struct signer *s, char **out)
{
	const struct p11_key *k;
	char *subj = NULL, *line = NULL;
	size_t n;
	int r;

	*out = NULL;
	if (!p11_is_signer(s)) {
		return P11_ERR_INTERNAL;
	}
	k = s->impl;
	if (k->leaf != NULL && (r = dn_string(X509_get_subject_name(k->leaf), &subj)) != 0) {
		return r;
	}
	n = strlen(s->name) + strlen(k->label) + (subj != NULL ? strlen(subj) : 0) + 96;
	if ((line = malloc(n)) == NULL) {
		free(subj);
		return P11_ERR_ALLOC;
	}
	if (subj != NULL) {
		snprintf(line, n, "%s %s-%d label \"%s\" certificate subject %s (chain of %d)",
		    s->name, k->type, k->bits, k->label, subj, sk_X509_num(k->chain));
	} else {
		snprintf(line, n, "%s %s-%d label \"%s\" no certificate", s->name, k->type, k->bits,
		    k->label);
	}
	free(subj);
	*out = line;
	return 0;
}
