/* ML-KEM-768 through EVP (OpenSSL 3.5+) or ours (mlkem.c): the run-time choice and the EVP
 * operations. Only names and functions of the OpenSSL 3.0 API are used, so a 3.0 build compiles
 * the same code and finds at run time that the fetch fails. */
#include "mlkem_evp.h"

#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/provider.h>

#include "err.h"

#define EVP_MLKEM_NAME "ML-KEM-768"

static CRYPTO_ONCE probe_once = CRYPTO_ONCE_STATIC_INIT;
static int evp_available;
static char evp_name[96];

/* libcrypto offers ML-KEM-768 when both its key management and its KEM can be fetched */
static void probe(void)
{
	EVP_KEYMGMT *km = EVP_KEYMGMT_fetch(NULL, EVP_MLKEM_NAME, NULL);
	EVP_KEM *kem = EVP_KEM_fetch(NULL, EVP_MLKEM_NAME, NULL);
	const OSSL_PROVIDER *prov;

	if (km != NULL && kem != NULL) {
		evp_available = 1;
		prov = EVP_KEM_get0_provider(kem);
		snprintf(evp_name, sizeof(evp_name), "OpenSSL EVP (provider %s)",
		    prov != NULL ? OSSL_PROVIDER_get0_name(prov) : "unknown");
	}
	EVP_KEYMGMT_free(km);
	EVP_KEM_free(kem);
	ERR_clear_error(); /* the failed fetch of a 3.0 libcrypto is not an error of ours */
}

int mlkem768_evp_available(void)
{
	if (!CRYPTO_THREAD_run_once(&probe_once, probe)) {
		return 0;
	}
	return evp_available;
}

int mlkem768_evp_in_use(void)
{
#ifdef X509SSH_MLKEM_BUILTIN
	return 0;
#else
	return mlkem768_evp_available();
#endif
}

const char *mlkem768_impl_name(void)
{
	return mlkem768_evp_in_use() ? evp_name : "built-in (FIPS 203)";
}

int mlkem768_evp_keygen(uint8_t ek[MLKEM768_EK_BYTES], uint8_t dk[MLKEM768_DK_BYTES])
{
	EVP_PKEY *pkey = NULL;
	size_t eklen = 0, dklen = 0;
	int r = SSH_ERR_LIBCRYPTO;

	if (!mlkem768_evp_available()) {
		goto out;
	}
	if ((pkey = EVP_PKEY_Q_keygen(NULL, NULL, EVP_MLKEM_NAME)) == NULL) {
		goto out;
	}
	if (!EVP_PKEY_get_octet_string_param(
	        pkey, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, ek, MLKEM768_EK_BYTES, &eklen) ||
	    eklen != MLKEM768_EK_BYTES) {
		goto out;
	}
	/* the FIPS 203 expanded decapsulation key dk (not the 64-byte seed) */
	if (!EVP_PKEY_get_octet_string_param(
	        pkey, OSSL_PKEY_PARAM_PRIV_KEY, dk, MLKEM768_DK_BYTES, &dklen) ||
	    dklen != MLKEM768_DK_BYTES) {
		goto out;
	}
	r = 0;
out:
	if (r != 0) {
		OPENSSL_cleanse(ek, MLKEM768_EK_BYTES);
		OPENSSL_cleanse(dk, MLKEM768_DK_BYTES);
	}
	EVP_PKEY_free(pkey);
	return r;
}

int mlkem768_evp_decaps(const uint8_t dk[MLKEM768_DK_BYTES], const uint8_t ct[MLKEM768_CT_BYTES],
    uint8_t key[MLKEM_SHARED_BYTES])
{
	EVP_PKEY *pkey = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	size_t klen = MLKEM_SHARED_BYTES;
	int r = SSH_ERR_LIBCRYPTO;

	if (!mlkem768_evp_available()) {
		goto out;
	}
	pkey = EVP_PKEY_new_raw_private_key_ex(NULL, EVP_MLKEM_NAME, NULL, dk, MLKEM768_DK_BYTES);
	if (pkey == NULL) {
		r = SSH_ERR_FORMAT; /* the import checks dk as FIPS 203 section 7.3 asks */
		goto out;
	}
	if ((ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL)) == NULL ||
	    EVP_PKEY_decapsulate_init(ctx, NULL) <= 0 ||
	    EVP_PKEY_decapsulate(ctx, key, &klen, ct, MLKEM768_CT_BYTES) <= 0 ||
	    klen != MLKEM_SHARED_BYTES) {
		goto out;
	}
	r = 0;
out:
	if (r != 0) {
		OPENSSL_cleanse(key, MLKEM_SHARED_BYTES);
	}
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(pkey);
	return r;
}

int mlkem768_evp_encaps(const uint8_t ek[MLKEM768_EK_BYTES], uint8_t ct[MLKEM768_CT_BYTES],
    uint8_t key[MLKEM_SHARED_BYTES])
{
	EVP_PKEY *pkey = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	size_t clen = MLKEM768_CT_BYTES, klen = MLKEM_SHARED_BYTES;
	int r = SSH_ERR_LIBCRYPTO;

	if (!mlkem768_evp_available()) {
		goto out;
	}
	pkey = EVP_PKEY_new_raw_public_key_ex(NULL, EVP_MLKEM_NAME, NULL, ek, MLKEM768_EK_BYTES);
	if (pkey == NULL) {
		r = SSH_ERR_FORMAT; /* the modulus check of FIPS 203 section 7.2 */
		goto out;
	}
	if ((ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL)) == NULL ||
	    EVP_PKEY_encapsulate_init(ctx, NULL) <= 0 ||
	    EVP_PKEY_encapsulate(ctx, ct, &clen, key, &klen) <= 0 || clen != MLKEM768_CT_BYTES ||
	    klen != MLKEM_SHARED_BYTES) {
		goto out;
	}
	r = 0;
out:
	if (r != 0) {
		OPENSSL_cleanse(ct, MLKEM768_CT_BYTES);
		OPENSSL_cleanse(key, MLKEM_SHARED_BYTES);
	}
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(pkey);
	return r;
}
