/*
 * The trust store (anchors and CRLs from the configured files and hashed directories, loaded
 * once) and the chain decision: X509_verify_cert over the certificates sent plus the store,
 * then the leaf rules (policy.c) and stapled OCSP (ocsp.c).
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "certstore_int.h"

const char *certstore_err_str(int err)
{
	switch (err) {
	case CS_OK:
		return "success";
	case CS_ERR_ALLOC:
		return "out of memory";
	case CS_ERR_FORMAT:
		return "invalid format";
	case CS_ERR_TOO_LARGE:
		return "size limit exceeded";
	case CS_ERR_LIBCRYPTO:
		return "libcrypto error";
	case CS_ERR_SYSTEM:
		return "system error";
	case CS_ERR_INTERNAL:
	default:
		return "internal error";
	}
}

const char *cs_ossl_reason(char *buf, size_t len)
{
	unsigned long e = ERR_get_error(), next;
	const char *r;

	while (e != 0 && ERR_GET_LIB(e) == ERR_LIB_OSSL_DECODER && (next = ERR_get_error()) != 0) {
		e = next;
	}
	r = e != 0 ? ERR_reason_error_string(e) : NULL;
	if (len > 0) {
		if (r != NULL) {
			snprintf(buf, len, "%s", r);
		} else if (e != 0) {
			ERR_error_string_n(e, buf, len);
		} else {
			snprintf(buf, len, "no detail from OpenSSL");
		}
	}
	ERR_clear_error();
	return buf;
}

/* ------------------------------------------------------------------ loading */

/* hashed directory entries: "0123abcd.N" certificates, "0123abcd.rN" CRLs */
static int hashed_name(const char *n, int *is_crl)
{
	size_t i;

	for (i = 0; i < 8; i++) {
		if (!((n[i] >= '0' && n[i] <= '9') || (n[i] >= 'a' && n[i] <= 'f'))) {
			return 0;
		}
	}
	if (n[8] != '.') {
		return 0;
	}
	n += 9;
	*is_crl = (*n == 'r');
	if (*is_crl) {
		n++;
	}
	if (*n == '\0') {
		return 0;
	}
	for (; *n != '\0'; n++) {
		if (*n < '0' || *n > '9') {
			return 0;
		}
	}
	return 1;
}

static void count_dir(const char *path, size_t *certs, size_t *crls)
{
	DIR *d = NULL;
	struct dirent *e;
	int is_crl = 0;

	if ((d = opendir(path)) == NULL) {
		return;
	}
	while ((e = readdir(d)) != NULL) {
		if (hashed_name(e->d_name, &is_crl)) {
			if (is_crl) {
				(*crls)++;
			} else {
				(*certs)++;
			}
		}
	}
	closedir(d);
}

/* 1 = exists, 0 = absent and may be skipped, <0 = error (err filled) */
static int present(
    const char *path, int must, int want_dir, const char *what, char *err, size_t errlen)
{
	struct stat sb;

	if (stat(path, &sb) != 0) {
		if (errno == ENOENT && !must) {
			return 0;
		}
		snprintf(err, errlen, "%s %s: %s", what, path, strerror(errno));
		return CS_ERR_SYSTEM;
	}
	if (want_dir ? !S_ISDIR(sb.st_mode) : !S_ISREG(sb.st_mode)) {
		snprintf(
		    err, errlen, "%s %s: not a %s", what, path, want_dir ? "directory" : "file");
		return CS_ERR_FORMAT;
	}
	return 1;
}

/* every certificate and CRL of a PEM file into the store */
static int load_pem(
    struct certstore *cs, const char *path, const char *what, char *err, size_t errlen)
{
	BIO *bio = NULL;
	STACK_OF(X509_INFO) *infos = NULL;
	size_t ncert = 0, ncrl = 0;
	char why[256];
	int i, r = CS_ERR_FORMAT;

	if ((bio = BIO_new_file(path, "r")) == NULL) {
		snprintf(err, errlen, "%s %s: cannot open (%s)", what, path,
		    cs_ossl_reason(why, sizeof(why)));
		r = CS_ERR_SYSTEM;
		goto out;
	}
	if ((infos = PEM_X509_INFO_read_bio(bio, NULL, NULL, NULL)) == NULL) {
		snprintf(err, errlen, "%s %s: not PEM certificates or CRLs (%s)", what, path,
		    cs_ossl_reason(why, sizeof(why)));
		goto out;
	}
	for (i = 0; i < sk_X509_INFO_num(infos); i++) {
		X509_INFO *xi = sk_X509_INFO_value(infos, i);

		if (xi->x509 != NULL) {
			if (X509_STORE_add_cert(cs->store, xi->x509) != 1) {
				snprintf(err, errlen, "%s %s: cannot add certificate: %s", what,
				    path, cs_ossl_reason(why, sizeof(why)));
				r = CS_ERR_LIBCRYPTO;
				goto out;
			}
			ncert++;
		}
		if (xi->crl != NULL) {
			if (X509_STORE_add_crl(cs->store, xi->crl) != 1) {
				snprintf(err, errlen, "%s %s: cannot add CRL: %s", what, path,
				    cs_ossl_reason(why, sizeof(why)));
				r = CS_ERR_LIBCRYPTO;
				goto out;
			}
			ncrl++;
		}
	}
	if (ncert + ncrl == 0) {
		snprintf(err, errlen, "%s %s: no certificates or CRLs in it", what, path);
		goto out;
	}
	cs->anchors += ncert;
	cs->crls += ncrl;
	r = 0;
out:
	sk_X509_INFO_pop_free(infos, X509_INFO_free);
	BIO_free(bio);
	ERR_clear_error();
	return r;
}

static int add_dir(
    struct certstore *cs, X509_LOOKUP **dirs, const char *path, char *err, size_t errlen)
{
	size_t ncert = 0, ncrl = 0;
	char why[256];

	if (*dirs == NULL &&
	    (*dirs = X509_STORE_add_lookup(cs->store, X509_LOOKUP_hash_dir())) == NULL) {
		snprintf(err, errlen, "cannot create a directory lookup: %s",
		    cs_ossl_reason(why, sizeof(why)));
		return CS_ERR_LIBCRYPTO;
	}
	if (X509_LOOKUP_add_dir(*dirs, path, X509_FILETYPE_PEM) != 1) {
		snprintf(err, errlen, "cannot use directory %s: %s", path,
		    cs_ossl_reason(why, sizeof(why)));
		return CS_ERR_LIBCRYPTO;
	}
	count_dir(path, &ncert, &ncrl);
	cs->anchors += ncert;
	cs->crls += ncrl;
	return 0;
}

int certstore_new(
    const struct certstore_config *cfg, struct certstore **out, char *err, size_t errlen)
{
	struct certstore *cs = NULL;
	X509_LOOKUP *dirs = NULL;
	char dummy[8];
	size_t i;
	int r = CS_ERR_INTERNAL, p;

	if (err == NULL || errlen == 0) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	err[0] = '\0';
	if (out == NULL || cfg == NULL) {
		snprintf(err, errlen, "certstore_new: bad arguments");
		goto out;
	}
	*out = NULL;
	if (cfg->revocation < CERTSTORE_REV_CHECK || cfg->revocation > CERTSTORE_REV_NO) {
		snprintf(err, errlen, "bad revocation mode %d", cfg->revocation);
		goto out;
	}
	if ((cs = calloc(1, sizeof(*cs))) == NULL || (cs->store = X509_STORE_new()) == NULL) {
		snprintf(err, errlen, "out of memory");
		r = CS_ERR_ALLOC;
		goto out;
	}
	cs->allow_partial_chain = cfg->allow_partial_chain != 0;
	cs->revocation = cfg->revocation;
	cs->max_chain = cfg->max_chain > 0 ? cfg->max_chain : X509_MAX_CHAIN_DEFAULT;
	if (cs->max_chain > X509_MAX_CHAIN_LIMIT) {
		cs->max_chain = X509_MAX_CHAIN_LIMIT;
	}
	for (i = 0; i < CERTSTORE_MAX_PATHS; i++) {
		if (cfg->ca_files[i] == NULL) {
			continue;
		}
		if ((p = present(cfg->ca_files[i], cfg->explicit_ca, 0, "CA file", err, errlen)) <
		    0) {
			r = p;
			goto out;
		}
		if (p == 1 && (r = load_pem(cs, cfg->ca_files[i], "CA file", err, errlen)) != 0) {
			goto out;
		}
	}
	for (i = 0; i < CERTSTORE_MAX_PATHS; i++) {
		if (cfg->ca_paths[i] == NULL) {
			continue;
		}
		if ((p = present(
		         cfg->ca_paths[i], cfg->explicit_ca, 1, "CA directory", err, errlen)) < 0) {
			r = p;
			goto out;
		}
		if (p == 1 && (r = add_dir(cs, &dirs, cfg->ca_paths[i], err, errlen)) != 0) {
			goto out;
		}
	}
	for (i = 0; i < CERTSTORE_MAX_PATHS; i++) {
		if (cfg->crl_files[i] == NULL) {
			continue;
		}
		if ((p = present(
		         cfg->crl_files[i], cfg->explicit_crl, 0, "CRL file", err, errlen)) < 0) {
			r = p;
			goto out;
		}
		if (p == 1) {
			size_t before = cs->anchors;

			if ((r = load_pem(cs, cfg->crl_files[i], "CRL file", err, errlen)) != 0) {
				goto out;
			}
			/* certificates in a CRL file are not anchors, but they are in the
			 * store now: refuse rather than trust them silently */
			if (cs->anchors != before) {
				snprintf(err, errlen, "CRL file %s: holds certificates",
				    cfg->crl_files[i]);
				r = CS_ERR_FORMAT;
				goto out;
			}
		}
	}
	for (i = 0; i < CERTSTORE_MAX_PATHS; i++) {
		if (cfg->crl_paths[i] == NULL) {
			continue;
		}
		if ((p = present(cfg->crl_paths[i], cfg->explicit_crl, 1, "CRL directory", err,
		         errlen)) < 0) {
			r = p;
			goto out;
		}
		if (p == 1) {
			size_t before = cs->anchors;

			if ((r = add_dir(cs, &dirs, cfg->crl_paths[i], err, errlen)) != 0) {
				goto out;
			}
			if (cs->anchors != before) {
				snprintf(err, errlen, "CRL directory %s: holds certificates",
				    cfg->crl_paths[i]);
				r = CS_ERR_FORMAT;
				goto out;
			}
		}
	}
	*out = cs;
	cs = NULL;
	r = 0;
out:
	certstore_free(cs);
	ERR_clear_error();
	return r;
}

void certstore_free(struct certstore *cs)
{
	if (cs == NULL) {
		return;
	}
	X509_STORE_free(cs->store);
	free(cs);
}

size_t certstore_anchor_count(const struct certstore *cs)
{
	return cs == NULL ? 0 : cs->anchors;
}

void certstore_result_clear(struct certstore_result *res)
{
	if (res == NULL) {
		return;
	}
	free(res->chain_text);
	memset(res, 0, sizeof(*res));
	res->depth = -1;
}

/* ------------------------------------------------------------------ verifying */

/* one no_crl bit per chain depth: the deepest chain is X509_MAX_CHAIN_LIMIT certificates */
_Static_assert(X509_MAX_CHAIN_LIMIT <= 32, "vstate.no_crl has a bit per depth");

struct vstate {
	uint32_t no_crl;  /* bit d: no usable CRL for the certificate at depth d */
	char revoked[40]; /* revocation date when a CRL revoked the current certificate */
};

/* Missing or out-of-date CRLs are not fatal here: whether a status is needed is decided
 * after the chain (X509Revocation require, or a stapled OCSP response). */
static int verify_cb(int ok, X509_STORE_CTX *ctx)
{
	struct vstate *st = X509_STORE_CTX_get_app_data(ctx);
	X509_CRL *crl;
	X509_REVOKED *rev = NULL;
	X509 *x;
	int depth;

	if (ok || st == NULL) {
		return ok;
	}
	depth = X509_STORE_CTX_get_error_depth(ctx);
	switch (X509_STORE_CTX_get_error(ctx)) {
	case X509_V_ERR_UNABLE_TO_GET_CRL:
	case X509_V_ERR_CRL_HAS_EXPIRED:
	case X509_V_ERR_CRL_NOT_YET_VALID:
		if (depth >= 0 && depth < X509_MAX_CHAIN_LIMIT) {
			st->no_crl |= (uint32_t)1 << depth;
		}
		return 1;
	case X509_V_ERR_CERT_REVOKED:
		crl = X509_STORE_CTX_get0_current_crl(ctx);
		x = X509_STORE_CTX_get_current_cert(ctx);
		if (crl != NULL && x != NULL && X509_CRL_get0_by_cert(crl, &rev, x) == 1 &&
		    rev != NULL) {
			cs_time_str(X509_REVOKED_get0_revocationDate(rev), st->revoked,
			    sizeof(st->revoked));
		}
		return 0;
	default:
		return 0;
	}
}

/* the verdict for a failed X509_verify_cert */
static void chain_failure(
    X509_STORE_CTX *ctx, X509 *leaf, const struct vstate *st, struct certstore_result *res)
{
	int err = X509_STORE_CTX_get_error(ctx);
	int depth = X509_STORE_CTX_get_error_depth(ctx);
	X509 *x = X509_STORE_CTX_get_current_cert(ctx);
	const char *who;
	char name[512], when[40];

	if (x == NULL) {
		x = leaf;
		depth = 0;
	}
	who = depth > 0 ? "CA certificate" : "certificate";
	switch (err) {
	case X509_V_ERR_CERT_HAS_EXPIRED:
		cs_time_str(X509_get0_notAfter(x), when, sizeof(when));
		cs_verdict(res, CERTSTORE_EXPIRED, depth, x, "%s expired on %s", who, when);
		break;
	case X509_V_ERR_CERT_NOT_YET_VALID:
		cs_time_str(X509_get0_notBefore(x), when, sizeof(when));
		cs_verdict(
		    res, CERTSTORE_NOT_YET_VALID, depth, x, "%s not valid before %s", who, when);
		break;
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
		cs_name_line(X509_get_issuer_name(x), name, sizeof(name));
		cs_verdict(res, CERTSTORE_UNTRUSTED, depth, x,
		    "untrusted issuer '%s' (neither sent nor in the CA store)", name);
		break;
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
		cs_name_line(X509_get_subject_name(x), name, sizeof(name));
		cs_verdict(res, CERTSTORE_UNTRUSTED, depth, x,
		    "untrusted issuer '%s' (a root not in the CA store)", name);
		break;
	case X509_V_ERR_CERT_SIGNATURE_FAILURE:
	case X509_V_ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE:
	case X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY:
		cs_verdict(res, CERTSTORE_BAD_SIGNATURE, depth, x, "%s: bad signature (%s)", who,
		    X509_verify_cert_error_string(err));
		break;
	case X509_V_ERR_CERT_REVOKED:
		cs_verdict(res, CERTSTORE_REVOKED, depth, x, "%s revoked on %s (CRL)", who,
		    st->revoked[0] ? st->revoked : "an unknown date");
		break;
	case X509_V_ERR_CERT_CHAIN_TOO_LONG:
		cs_verdict(res, CERTSTORE_CHAIN_TOO_LONG, depth, x, "certificate chain too long");
		break;
	case X509_V_ERR_ERROR_IN_CERT_NOT_BEFORE_FIELD:
	case X509_V_ERR_ERROR_IN_CERT_NOT_AFTER_FIELD:
		cs_verdict(res, CERTSTORE_MALFORMED, depth, x, "%s: %s", who,
		    X509_verify_cert_error_string(err));
		break;
	default:
		cs_verdict(res, CERTSTORE_UNTRUSTED, depth, x, "%s: %s", who,
		    X509_verify_cert_error_string(err));
		break;
	}
}

/* index in the certificates sent of x, or -1 */
static int sent_index(STACK_OF(X509) * sent, X509 *x)
{
	int i;

	for (i = 0; i < sk_X509_num(sent); i++) {
		if (X509_cmp(sk_X509_value(sent, i), x) == 0) {
			return i;
		}
	}
	return -1;
}

/* stapled OCSP and X509Revocation require over the verified chain */
static int revocation(struct certstore *cs, STACK_OF(X509) * chain, STACK_OF(X509) * sent,
    const uint8_t *const *ocsp, const size_t *ocsp_lens, size_t nocsp, int crl_checked,
    const struct vstate *st, time_t now, struct certstore_result *res)
{
	int n = sk_X509_num(chain), d, i, good, r;

	if (cs->revocation == CERTSTORE_REV_NO) {
		return 0;
	}
	/* the last certificate of the chain is the anchor: it needs no status */
	for (d = 0; d + 1 < n; d++) {
		X509 *x = sk_X509_value(chain, d);
		char name[512];

		good = 0;
		i = sent_index(sent, x);
		if (i >= 0 && (size_t)i < nocsp && ocsp_lens[i] > 0) {
			r = cs_ocsp_check(ocsp[i], ocsp_lens[i], x, sk_X509_value(chain, d + 1),
			    now, d, res, &good);
			if (r != 0 || res->verdict != CERTSTORE_OK) {
				return r;
			}
		}
		if (cs->revocation == CERTSTORE_REV_REQUIRE && !good &&
		    !(crl_checked && (st->no_crl & ((uint32_t)1 << d)) == 0)) {
			cs_name_line(X509_get_issuer_name(x), name, sizeof(name));
			cs_verdict(res, CERTSTORE_NO_REVOCATION_STATUS, d, x,
			    "no revocation status (no current CRL from '%s' and no stapled OCSP "
			    "response)",
			    name);
			return 0;
		}
	}
	return 0;
}

int certstore_verify(struct certstore *cs, const uint8_t *const *certs, const size_t *lens,
    size_t ncerts, const uint8_t *const *ocsp, const size_t *ocsp_lens, size_t nocsp,
    const struct certstore_check *chk, struct certstore_result *res)
{
	STACK_OF(X509) *sent = NULL, *untrusted = NULL, *chain = NULL, *shown = NULL;
	X509_STORE_CTX *ctx = NULL;
	X509_VERIFY_PARAM *param;
	X509 *x = NULL, *leaf = NULL;
	struct vstate st;
	const unsigned char *p;
	unsigned long flags = X509_V_FLAG_X509_STRICT;
	time_t now;
	size_t i;
	int r = CS_ERR_INTERNAL, crl_checked = 0, depth;

	if (res == NULL) {
		return CS_ERR_INTERNAL;
	}
	memset(res, 0, sizeof(*res));
	res->depth = -1;
	if (cs == NULL || chk == NULL || (ncerts > 0 && (certs == NULL || lens == NULL)) ||
	    nocsp > ncerts || (nocsp > 0 && (ocsp == NULL || ocsp_lens == NULL))) {
		goto out;
	}
	memset(&st, 0, sizeof(st));
	now = chk->now != 0 ? chk->now : time(NULL);
	r = 0;
	if (cs->anchors == 0) {
		cs_verdict(res, CERTSTORE_NO_ANCHORS, -1, NULL, "no trust anchors in the CA store");
		goto out;
	}
	if (ncerts == 0) {
		cs_verdict(res, CERTSTORE_MALFORMED, -1, NULL, "no certificate sent");
		goto out;
	}
	if (ncerts > (size_t)cs->max_chain) {
		cs_verdict(res, CERTSTORE_CHAIN_TOO_LONG, -1, NULL,
		    "%zu certificates sent, more than X509MaxChain %d", ncerts, cs->max_chain);
		goto out;
	}
	if ((sent = sk_X509_new_null()) == NULL || (untrusted = sk_X509_new_null()) == NULL) {
		r = CS_ERR_ALLOC;
		goto out;
	}
	for (i = 0; i < ncerts; i++) {
		if (certs[i] == NULL || lens[i] == 0 || lens[i] > X509_BLOB_ITEM_MAX) {
			cs_verdict(res, CERTSTORE_MALFORMED, (int)i, NULL,
			    "certificate %zu is %zu bytes (the cap is %d bytes)", i, lens[i],
			    X509_BLOB_ITEM_MAX);
			goto out;
		}
		p = certs[i];
		x = d2i_X509(NULL, &p, (long)lens[i]);
		if (x == NULL || p != certs[i] + lens[i]) {
			cs_verdict(res, CERTSTORE_MALFORMED, (int)i, NULL,
			    "certificate %zu does not parse", i);
			goto out;
		}
		if (!sk_X509_push(sent, x)) {
			r = CS_ERR_ALLOC;
			goto out;
		}
		x = NULL;
		if (i > 0 && !sk_X509_push(untrusted, sk_X509_value(sent, (int)i))) {
			r = CS_ERR_ALLOC;
			goto out;
		}
	}
	leaf = sk_X509_value(sent, 0);

	if ((ctx = X509_STORE_CTX_new()) == NULL ||
	    X509_STORE_CTX_init(ctx, cs->store, leaf, untrusted) != 1) {
		r = CS_ERR_LIBCRYPTO;
		goto out;
	}
	param = X509_STORE_CTX_get0_param(ctx);
	if (cs->allow_partial_chain) {
		flags |= X509_V_FLAG_PARTIAL_CHAIN;
	}
	if (cs->revocation != CERTSTORE_REV_NO && cs->crls > 0) {
		flags |= X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL;
		crl_checked = 1;
	}
	X509_VERIFY_PARAM_set_flags(param, flags);
	/* OpenSSL counts neither the leaf nor the anchor; our own count follows below */
	X509_VERIFY_PARAM_set_depth(param, cs->max_chain);
	if (chk->now != 0) {
		X509_VERIFY_PARAM_set_time(param, chk->now);
	}
	X509_STORE_CTX_set_app_data(ctx, &st);
	X509_STORE_CTX_set_verify_cb(ctx, verify_cb);

	if (X509_verify_cert(ctx) != 1) {
		chain_failure(ctx, leaf, &st, res);
		chain = X509_STORE_CTX_get1_chain(ctx);
		goto out;
	}
	if ((chain = X509_STORE_CTX_get1_chain(ctx)) == NULL) {
		r = CS_ERR_LIBCRYPTO;
		goto out;
	}
	if (sk_X509_num(chain) > cs->max_chain) {
		depth = sk_X509_num(chain) - 1;
		cs_verdict(res, CERTSTORE_CHAIN_TOO_LONG, depth, sk_X509_value(chain, depth),
		    "path of %d certificates to the anchor, more than X509MaxChain %d",
		    sk_X509_num(chain), cs->max_chain);
		goto out;
	}
	if ((r = cs_check_key_usage(leaf, res)) != 0 || res->verdict != CERTSTORE_OK ||
	    (r = cs_check_eku(leaf, chk->purposes, res)) != 0 || res->verdict != CERTSTORE_OK ||
	    (r = cs_check_name(leaf, chk->host, chk->name_fallback_cn, res)) != 0 ||
	    res->verdict != CERTSTORE_OK) {
		goto out;
	}
	if ((r = revocation(cs, chain, sent, ocsp, ocsp_lens, nocsp, crl_checked, &st, now, res)) !=
	        0 ||
	    res->verdict != CERTSTORE_OK) {
		goto out;
	}
	cs_verdict(res, CERTSTORE_OK, 0, leaf, "trusted");
out:
	/* for -v: the chain as built, else the certificates as sent */
	shown = (chain != NULL && sk_X509_num(chain) > 0) ? chain : sent;
	if (r == 0 && shown != NULL && sk_X509_num(shown) > 0) {
		r = cs_chain_text(shown, &res->chain_text);
	}
	X509_free(x);
	X509_STORE_CTX_free(ctx);
	sk_X509_pop_free(chain, X509_free);
	sk_X509_free(untrusted);
	sk_X509_pop_free(sent, X509_free);
	ERR_clear_error();
	if (r != 0 && res != NULL) {
		free(res->chain_text);
		res->chain_text = NULL;
	}
	return r;
}
