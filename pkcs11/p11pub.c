/* Public keys of token objects as EVP keys, and certificate chains for them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include "p11_int.h"

/* the one EVP_PKEY_fromdata of the token code: a public key of type from params */
static int pub_from_params(const char *type, OSSL_PARAM *params, EVP_PKEY **out)
{
	EVP_PKEY_CTX *ctx = NULL;
	int r = P11_ERR_LIBCRYPTO;

	if ((ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL)) != NULL &&
	    EVP_PKEY_fromdata_init(ctx) > 0 &&
	    EVP_PKEY_fromdata(ctx, out, EVP_PKEY_PUBLIC_KEY, params) > 0) {
		r = 0;
	}
	EVP_PKEY_CTX_free(ctx);
	return r;
}

static int rsa_from_object(
    CK_FUNCTION_LIST *fl, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, EVP_PKEY **out)
{
	uint8_t *mod = NULL, *exp = NULL;
	size_t modlen, explen;
	BIGNUM *n = NULL, *e = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	int r;

	if ((r = p11_get_attr(fl, s, o, CKA_MODULUS, &mod, &modlen)) != 0 ||
	    (r = p11_get_attr(fl, s, o, CKA_PUBLIC_EXPONENT, &exp, &explen)) != 0) {
		goto out;
	}
	r = P11_ERR_LIBCRYPTO;
	if ((n = BN_bin2bn(mod, (int)modlen, NULL)) == NULL ||
	    (e = BN_bin2bn(exp, (int)explen, NULL)) == NULL ||
	    (bld = OSSL_PARAM_BLD_new()) == NULL ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) ||
	    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL) {
		goto out;
	}
	r = pub_from_params("RSA", params, out);
out:
	free(mod);
	free(exp);
	BN_free(n);
	BN_free(e);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	return r;
}

/* CKA_EC_POINT is a DER OCTET STRING (some tokens give the raw point) */
static void unwrap_point(const uint8_t *p, size_t len, const uint8_t **pt, size_t *ptlen)
{
	const unsigned char *q = p;
	ASN1_OCTET_STRING *os = NULL;

	*pt = p;
	*ptlen = len;
	if (len > 2 && p[0] == 0x04 && (os = d2i_ASN1_OCTET_STRING(NULL, &q, (long)len)) != NULL) {
		if ((size_t)(q - p) == len) {
			*ptlen = (size_t)ASN1_STRING_length(os);
			*pt = p + (len - *ptlen); /* the contents end the encoding */
		}
		ASN1_OCTET_STRING_free(os);
	}
}

static int ec_from_object(
    CK_FUNCTION_LIST *fl, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, int edwards, EVP_PKEY **out)
{
	uint8_t *par = NULL, *point = NULL;
	size_t parlen, pointlen, ptlen;
	const uint8_t *pt;
	const unsigned char *q;
	ASN1_OBJECT *oid = NULL;
	const char *group = NULL;
	OSSL_PARAM params[3];
	int r, nid;

	if ((r = p11_get_attr(fl, s, o, CKA_EC_PARAMS, &par, &parlen)) != 0 ||
	    (r = p11_get_attr(fl, s, o, CKA_EC_POINT, &point, &pointlen)) != 0) {
		goto out;
	}
	unwrap_point(point, pointlen, &pt, &ptlen);
	r = P11_ERR_KEY_TYPE;
	q = par;
	if (par[0] == 0x06 && (oid = d2i_ASN1_OBJECT(NULL, &q, (long)parlen)) != NULL &&
	    (size_t)(q - par) == parlen) {
		nid = OBJ_obj2nid(oid);
	} else if (par[0] == 0x13 && parlen == 14 && memcmp(par + 2, "edwards25519", 12) == 0) {
		nid = NID_ED25519; /* PKCS#11 3.0 printable-string form */
	} else {
		goto out;
	}
	if (edwards || nid == NID_ED25519) {
		if (nid != NID_ED25519 || ptlen != 32) {
			goto out;
		}
		r = P11_ERR_LIBCRYPTO;
		if ((*out = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pt, ptlen)) ==
		    NULL) {
			goto out;
		}
		r = 0;
		goto out;
	}
	switch (nid) {
	case NID_X9_62_prime256v1:
		group = "P-256";
		break;
	case NID_secp384r1:
		group = "P-384";
		break;
	case NID_secp521r1:
		group = "P-521";
		break;
	default:
		goto out;
	}
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)group, 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)pt, ptlen);
	params[2] = OSSL_PARAM_construct_end();
	r = pub_from_params("EC", params, out);
out:
	ASN1_OBJECT_free(oid);
	free(par);
	free(point);
	return r;
}

int p11_pubkey_from_object(
    CK_FUNCTION_LIST *fl, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, EVP_PKEY **out)
{
	CK_KEY_TYPE kt = (CK_KEY_TYPE)-1;
	CK_ATTRIBUTE a = {CKA_KEY_TYPE, &kt, sizeof(kt)};

	*out = NULL;
	if (fl->C_GetAttributeValue(s, o, &a, 1) != CKR_OK) {
		return P11_ERR_NOT_FOUND;
	}
	switch (kt) {
	case CKK_RSA:
		return rsa_from_object(fl, s, o, out);
	case CKK_EC:
		return ec_from_object(fl, s, o, 0, out);
	case CKK_EC_EDWARDS:
		return ec_from_object(fl, s, o, 1, out);
	default:
		return P11_ERR_KEY_TYPE;
	}
}

void p11_key_kind(const EVP_PKEY *pk, const char **type, int *bits)
{
	*bits = EVP_PKEY_get_bits(pk);
	switch (EVP_PKEY_get_base_id(pk)) {
	case EVP_PKEY_RSA:
		*type = "RSA";
		break;
	case EVP_PKEY_EC:
		*type = "ECDSA";
		break;
	case EVP_PKEY_ED25519:
		*type = "Ed25519";
		break;
	default:
		*type = "unknown";
		break;
	}
}
