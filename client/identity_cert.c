/* Certificates of the identities: the chains sent for key files (X509CertificateFile, PKIX-SSH
 * identity files) and UserFromCertificate. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "identity_int.h"
#include "keyfile.h"
#include "log.h"
#include "p11.h"
#include "signer_file.h"
#include "ssh/err.h"
#include "x509chain.h"

/* the subject of c on one line (RFC 2253), possibly cut */
static void subject_of(X509 *c, char *s, size_t max)
{
	BIO *bio = NULL;
	int n;

	snprintf(s, max, "?");
	if ((bio = BIO_new(BIO_s_mem())) != NULL &&
	    X509_NAME_print_ex(bio, X509_get_subject_name(c), 0, XN_FLAG_RFC2253) >= 0 &&
	    (n = BIO_read(bio, s, (int)max - 1)) > 0) {
		s[n] = '\0';
	}
	ERR_clear_error();
	BIO_free(bio);
}

/* the certificates of the X509CertificateFile files, once; a file that cannot be used is
 * reported and left out */
static void read_cert_pool(struct identities *ids)
{
	char err[256];
	size_t n, i;

	if (ids->pool_read) {
		return;
	}
	ids->pool_read = 1;
	if (ids->n_cert_files == 0 || (ids->cert_pool = sk_X509_new_null()) == NULL) {
		return;
	}
	for (i = 0; i < ids->n_cert_files; i++) {
		err[0] = '\0';
		n = 0;
		if (keyfile_certs(ids->cert_files[i], X509CHAIN_POOL_MAX, ids->cert_pool, &n, err,
		        sizeof(err)) != 0) {
			log_info("X509CertificateFile %s: %s", ids->cert_files[i], err);
		} else if (n == 0) {
			log_info("X509CertificateFile %s: no PEM certificate in the file",
			    ids->cert_files[i]);
		} else {
			log_debug1("X509CertificateFile %s: %zu certificate%s", ids->cert_files[i],
			    n, n == 1 ? "" : "s");
		}
	}
}

int identity_key_chain(
    struct identities *ids, const char *path, EVP_PKEY *pk, STACK_OF(X509) * *out)
{
	STACK_OF(X509) *file = NULL, *pool = NULL;
	X509 *leaf = NULL;
	char err[256], subj[256];
	size_t n = 0;
	int i, r = SSH_ERR_ALLOC;

	*out = NULL;
	err[0] = '\0';
	if ((file = sk_X509_new_null()) == NULL) {
		goto out;
	}
	if (path != NULL &&
	    (r = keyfile_certs(path, X509CHAIN_POOL_MAX, file, &n, err, sizeof(err))) != 0) {
		log_info("Load key \"%s\": certificates: %s", path, err[0] ? err : ssh_err_str(r));
		goto out;
	}
	read_cert_pool(ids);
	if (n > 0) {
		leaf = sk_X509_value(file, 0);
		if (!signer_file_cert_matches(pk, leaf)) {
			subject_of(leaf, subj, sizeof(subj));
			log_info(
			    "Load key \"%s\": the certificate in the file (subject %s) is not the "
			    "private key's; key not used",
			    path, subj);
			r = SSH_ERR_KEY_TYPE;
			goto out;
		}
	}
	for (i = 0; leaf == NULL && i < sk_X509_num(ids->cert_pool); i++) {
		if (signer_file_cert_matches(pk, sk_X509_value(ids->cert_pool, i))) {
			leaf = sk_X509_value(ids->cert_pool, i);
		}
	}
	if (leaf == NULL) {
		r = 0;
		goto out;
	}
	/* a borrowing view: the rest of the file, then the pool */
	if ((pool = sk_X509_dup(file)) == NULL) {
		r = SSH_ERR_ALLOC;
		goto out;
	}
	for (i = 0; i < sk_X509_num(ids->cert_pool); i++) {
		if (!sk_X509_push(pool, sk_X509_value(ids->cert_pool, i))) {
			r = SSH_ERR_ALLOC;
			goto out;
		}
	}
	if ((r = x509chain_build(leaf, pool, ids->send_root, X509CHAIN_SEND_MAX, out)) != 0) {
		log_info("Load key \"%s\": certificate chain: %s", path != NULL ? path : "(agent)",
		    ssh_err_str(r));
		goto out;
	}
	subject_of(leaf, subj, sizeof(subj));
	log_debug1("key %s: X.509 certificate %s from %s, %d certificate%s sent",
	    path != NULL ? path : "(agent)", subj, n > 0 ? "the key file" : "X509CertificateFile",
	    sk_X509_num(*out), sk_X509_num(*out) == 1 ? "" : "s");
	r = 0;
out:
	sk_X509_free(pool);
	sk_X509_pop_free(file, X509_free);
	return r;
}

/* the UPN (Microsoft otherName 1.3.6.1.4.1.311.20.2.3) of a certificate's subjectAltName */
static char *cert_upn(const X509 *cert)
{
	GENERAL_NAMES *names = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	ASN1_OBJECT *upn_oid = OBJ_txt2obj("1.3.6.1.4.1.311.20.2.3", 1);
	char *out = NULL;
	int i;

	for (i = 0;
	     names != NULL && upn_oid != NULL && i < sk_GENERAL_NAME_num(names) && out == NULL;
	     i++) {
		const GENERAL_NAME *gn = sk_GENERAL_NAME_value(names, i);
		const ASN1_TYPE *v;
		if (gn->type != GEN_OTHERNAME || OBJ_cmp(gn->d.otherName->type_id, upn_oid) != 0) {
			continue;
		}
		v = gn->d.otherName->value;
		if (v != NULL && v->type == V_ASN1_UTF8STRING) {
			out = strndup((const char *)ASN1_STRING_get0_data(v->value.utf8string),
			    (size_t)ASN1_STRING_length(v->value.utf8string));
		}
	}
	GENERAL_NAMES_free(names);
	ASN1_OBJECT_free(upn_oid);
	return out;
}

static char *cert_cn(const X509 *cert)
{
	const X509_NAME *subj = X509_get_subject_name(cert);
	int idx = X509_NAME_get_index_by_NID(subj, NID_commonName, -1);
	const ASN1_STRING *d;
	unsigned char *utf8 = NULL;
	char *out = NULL;
	int n;

	if (idx < 0) {
		return NULL;
	}
	d = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subj, idx));
	if ((n = ASN1_STRING_to_UTF8(&utf8, d)) < 0) {
		return NULL;
	}
	out = strndup((const char *)utf8, (size_t)n);
	OPENSSL_free(utf8);
	return out;
}

/* the login name a certificate carries (CN or UPN), checked to be usable; NULL if none */
static char *cert_login(const X509 *cert, int upn)
{
	char *name = upn ? cert_upn(cert) : cert_cn(cert);

	if (name == NULL) {
		return NULL;
	}
	for (const char *c = name; *c != '\0'; c++) {
		if ((unsigned char)*c < 0x20 || *c == 0x7f) {
			free(name); /* a login name: no control characters */
			return NULL;
		}
	}
	if (name[0] == '\0') {
		free(name);
		return NULL;
	}
	return name;
}

int identities_cert_user(const struct identities *ids, int upn, char **out)
{
	struct p11_key_info info;
	STACK_OF(X509) *certs = NULL;
	char err[256];
	size_t i, j, n;

	*out = NULL;
	for (i = 0; ids != NULL && i < ids->n && *out == NULL; i++) {
		for (j = 0; ids->v[i].p11v != NULL && j < ids->v[i].p11n && *out == NULL; j++) {
			if (ids->v[i].p11v[j] != NULL &&
			    p11_key_info(ids->v[i].p11v[j], &info) == 0 && info.cert != NULL) {
				*out = cert_login(info.cert, upn);
			}
		}
		/* a PKIX-SSH identity file: its first certificate (read without the passphrase) */
		if (ids->v[i].p11v == NULL && *out == NULL &&
		    (certs = sk_X509_new_null()) != NULL) {
			n = 0;
			if (keyfile_certs(ids->v[i].path, X509CHAIN_POOL_MAX, certs, &n, err,
			        sizeof(err)) == 0 &&
			    n > 0) {
				*out = cert_login(sk_X509_value(certs, 0), upn);
			}
			sk_X509_pop_free(certs, X509_free);
			certs = NULL;
		}
	}
	/* an agent key with a certificate (X509CertificateFile, say) */
	for (i = 0; ids != NULL && i < ids->agent.nfront && *out == NULL; i++) {
		const uint8_t *const *der;
		const size_t *len;
		const unsigned char *p;
		X509 *leaf;
		if (signer_chain(ids->agent.front[i], &der, &len) == 0) {
			continue;
		}
		p = der[0];
		if ((leaf = d2i_X509(NULL, &p, (long)len[0])) != NULL) {
			*out = cert_login(leaf, upn);
			X509_free(leaf);
		}
		ERR_clear_error();
	}
	/* an X.509 identity the agent holds itself (offered unless IdentitiesOnly) */
	for (i = 0; ids != NULL && ids->agent.x509 != NULL && !ids->agent.identities_only &&
	            i < ids->agent.keys.n && *out == NULL;
	     i++) {
		if (ids->agent.x509[i] != NULL && !ids->agent.used[i]) {
			*out = cert_login(sk_X509_value(ids->agent.x509[i], 0), upn);
		}
	}
	return *out != NULL ? 0 : SSH_ERR_NOT_FOUND;
}
