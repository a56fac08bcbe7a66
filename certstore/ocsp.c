/*
 * Stapled OCSP responses (RFC 6960): a successful BasicOCSPResponse about this certificate,
 * signed by its issuer or by a responder the issuer authorised (id-kp-OCSPSigning), current
 * within CS_OCSP_SKEW of the check time.
 */
#include <limits.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "certstore_int.h"

/* the single response about cert, whatever hash its CertID uses; NULL if none */
static OCSP_SINGLERESP *find_single(OCSP_BASICRESP *bs, X509 *cert, X509 *issuer, int *err)
{
	OCSP_CERTID *id = NULL;
	OCSP_SINGLERESP *found = NULL;
	int i, n = OCSP_resp_count(bs);

	*err = 0;
	for (i = 0; i < n && found == NULL; i++) {
		OCSP_SINGLERESP *single = OCSP_resp_get0(bs, i);
		const OCSP_CERTID *cid = single ? OCSP_SINGLERESP_get0_id(single) : NULL;
		ASN1_OBJECT *md_oid = NULL;
		const EVP_MD *md;

		if (cid == NULL ||
		    OCSP_id_get0_info(NULL, &md_oid, NULL, NULL, (OCSP_CERTID *)cid) != 1 ||
		    (md = EVP_get_digestbyobj(md_oid)) == NULL) {
			continue;
		}
		if ((id = OCSP_cert_to_id(md, cert, issuer)) == NULL) {
			*err = CS_ERR_LIBCRYPTO;
			goto out;
		}
		if (OCSP_id_cmp(id, cid) == 0) {
			found = single;
		}
		OCSP_CERTID_free(id);
		id = NULL;
	}
out:
	OCSP_CERTID_free(id);
	return found;
}

/* the issuer itself, or a certificate it issued for OCSP signing, valid now */
static int signer_authorised(X509 *signer, X509 *issuer, time_t now)
{
	EVP_PKEY *ikey = X509_get0_pubkey(issuer);

	if (X509_cmp(signer, issuer) == 0) {
		return 1;
	}
	if (ikey == NULL || X509_check_issued(issuer, signer) != X509_V_OK ||
	    X509_verify(signer, ikey) != 1) {
		return 0;
	}
	if ((X509_get_extension_flags(signer) & EXFLAG_XKUSAGE) == 0 ||
	    (X509_get_extended_key_usage(signer) & XKU_OCSP_SIGN) == 0) {
		return 0;
	}
	return X509_cmp_time(X509_get0_notBefore(signer), &now) < 0 &&
	       X509_cmp_time(X509_get0_notAfter(signer), &now) > 0;
}

int cs_ocsp_check(const unsigned char *der, size_t len, X509 *cert, X509 *issuer, time_t now,
    int depth, struct certstore_result *res, int *good)
{
	OCSP_RESPONSE *resp = NULL;
	OCSP_BASICRESP *bs = NULL;
	OCSP_SINGLERESP *single = NULL;
	STACK_OF(X509) *extra = NULL;
	X509 *signer = NULL;
	ASN1_GENERALIZEDTIME *revtime = NULL, *thisupd = NULL, *nextupd = NULL;
	const unsigned char *p = der;
	char when[40], name[512];
	time_t lo = now - CS_OCSP_SKEW, hi = now + CS_OCSP_SKEW, oldest;
	int r = 0, st, reason = 0;

	*good = 0;
	if (len == 0 || len > X509_BLOB_ITEM_MAX) {
		cs_verdict(res, CERTSTORE_BAD_OCSP, depth, cert,
		    "stapled OCSP response of %zu bytes (the cap is %d bytes)", len,
		    X509_BLOB_ITEM_MAX);
		goto out;
	}
	resp = d2i_OCSP_RESPONSE(NULL, &p, (long)len);
	if (resp == NULL || p != der + len) {
		cs_verdict(
		    res, CERTSTORE_MALFORMED, depth, cert, "stapled OCSP response does not parse");
		goto out;
	}
	st = OCSP_response_status(resp);
	if (st != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
		cs_verdict(res, CERTSTORE_BAD_OCSP, depth, cert, "OCSP responder answered '%s'",
		    OCSP_response_status_str(st));
		goto out;
	}
	if ((bs = OCSP_response_get1_basic(resp)) == NULL) {
		cs_verdict(res, CERTSTORE_BAD_OCSP, depth, cert,
		    "stapled OCSP response is not a basic response");
		goto out;
	}
	if ((single = find_single(bs, cert, issuer, &r)) == NULL) {
		if (r == 0) {
			cs_verdict(res, CERTSTORE_BAD_OCSP, depth, cert,
			    "stapled OCSP response is about another certificate");
		}
		goto out;
	}
	if ((extra = sk_X509_new_null()) == NULL || !sk_X509_push(extra, issuer)) {
		r = CS_ERR_ALLOC;
		goto out;
	}
	if (OCSP_resp_get0_signer(bs, &signer, extra) != 1 || signer == NULL) {
		cs_verdict(res, CERTSTORE_BAD_OCSP, depth, cert,
		    "the signer of the stapled OCSP response is unknown");
		goto out;
	}
	if (!signer_authorised(signer, issuer, now)) {
		cs_name_line(X509_get_subject_name(signer), name, sizeof(name));
		cs_verdict(res, CERTSTORE_BAD_OCSP, depth, cert,
		    "stapled OCSP response signed by '%s', neither the issuer nor a responder it "
		    "authorised",
		    name);
		goto out;
	}
	/* the signature with the signer just chosen (its chain was checked above) */
	sk_X509_zero(extra);
	if (!sk_X509_push(extra, signer)) {
		r = CS_ERR_ALLOC;
		goto out;
	}
	if (OCSP_basic_verify(bs, extra, NULL, OCSP_NOINTERN | OCSP_NOVERIFY) != 1) {
		cs_verdict(
		    res, CERTSTORE_BAD_OCSP, depth, cert, "stapled OCSP response: bad signature");
		goto out;
	}
	st = OCSP_single_get0_status(single, &reason, &revtime, &thisupd, &nextupd);
	/* OCSP_check_validity() with a 5 minute skew, but against the caller's clock */
	if (thisupd == NULL || X509_cmp_time(thisupd, &hi) >= 0) {
		cs_time_str(thisupd, when, sizeof(when));
		cs_verdict(res, CERTSTORE_BAD_OCSP, depth, cert,
		    "stapled OCSP response: thisUpdate %s is in the future", when);
		goto out;
	}
	if (nextupd != NULL && X509_cmp_time(nextupd, &lo) <= 0) {
		cs_time_str(nextupd, when, sizeof(when));
		cs_verdict(res, CERTSTORE_BAD_OCSP, depth, cert,
		    "stale OCSP response: nextUpdate %s has passed", when);
		goto out;
	}
	/* without nextUpdate a response says nothing about how long it holds: a stapled one older
	 * than CS_OCSP_MAX_AGE could have been captured before a revocation, so it is stale */
	oldest = now - CS_OCSP_MAX_AGE - CS_OCSP_SKEW;
	if (nextupd == NULL && X509_cmp_time(thisupd, &oldest) <= 0) {
		cs_time_str(thisupd, when, sizeof(when));
		cs_verdict(res, CERTSTORE_BAD_OCSP, depth, cert,
		    "stale OCSP response: no nextUpdate and thisUpdate %s is more than %d hours "
		    "old",
		    when, CS_OCSP_MAX_AGE / 3600);
		goto out;
	}
	if (st == V_OCSP_CERTSTATUS_GOOD) {
		*good = 1;
	} else if (st == V_OCSP_CERTSTATUS_REVOKED) {
		cs_time_str(revtime, when, sizeof(when));
		cs_verdict(res, CERTSTORE_REVOKED, depth, cert,
		    "certificate revoked on %s (OCSP, reason: %s)", when,
		    reason >= 0 ? OCSP_crl_reason_str(reason) : "unspecified");
	} else {
		cs_verdict(res, CERTSTORE_BAD_OCSP, depth, cert,
		    "stapled OCSP response: certificate status unknown");
	}
out:
	sk_X509_free(extra);
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(resp);
	ERR_clear_error();
	return r;
}
