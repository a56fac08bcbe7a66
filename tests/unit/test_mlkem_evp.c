/* ML-KEM-768 implementation choice (client/ssh/mlkem_evp.c).
 *
 * - the selection: with a libcrypto without ML-KEM-768 (OpenSSL 3.0) or a builtin build, ours is
 *   in use and named "built-in (FIPS 203)"; with one that has it, EVP is in use and named after
 *   its provider.
 * - the EVP operations fail cleanly (SSH_ERR_LIBCRYPTO, zeroed outputs) when libcrypto lacks it.
 * - with EVP present (OpenSSL 3.5+; skipped with a note otherwise) the two implementations agree
 *   both ways: EVP keygen -> our encaps -> EVP decaps, and our keygen -> EVP encaps -> our
 *   decaps; plus a key and ciphertext of the ACVP-style seeded path crossing over, and implicit
 *   rejection of a flipped ciphertext giving the same key on both sides. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "err.h"
#include "mlkem.h"
#include "mlkem_evp.h"
#include "t.h"

#define EK MLKEM768_EK_BYTES
#define DK MLKEM768_DK_BYTES
#define CT MLKEM768_CT_BYTES
#define SS MLKEM_SHARED_BYTES

static int nonzero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;
	for (size_t i = 0; i < n; i++) {
		acc |= p[i];
	}
	return acc != 0;
}

/* what libcrypto says on its own, independently of mlkem_evp.c */
static int libcrypto_has_mlkem(void)
{
	EVP_KEM *kem = EVP_KEM_fetch(NULL, "ML-KEM-768", NULL);
	int has = kem != NULL;

	EVP_KEM_free(kem);
	return has;
}

static void test_selection(void)
{
	int has = libcrypto_has_mlkem();

	CHECK_EQ_INT(mlkem768_evp_available(), has);
#ifdef X509SSH_MLKEM_BUILTIN
	CHECK_EQ_INT(mlkem768_evp_in_use(), 0);
	CHECK_STR(mlkem768_impl_name(), "built-in (FIPS 203)");
#else
	CHECK_EQ_INT(mlkem768_evp_in_use(), has);
	if (has) {
		CHECK(strncmp(mlkem768_impl_name(), "OpenSSL EVP (provider ", 22) == 0);
	} else {
		CHECK_STR(mlkem768_impl_name(), "built-in (FIPS 203)");
	}
#endif
	/* the answer is cached and stable */
	CHECK_EQ_INT(mlkem768_evp_available(), has);
}

static void test_absent(void)
{
	static uint8_t ek[EK], dk[DK], ct[CT];
	uint8_t k[SS];

	if (libcrypto_has_mlkem()) {
		return;
	}
	fprintf(stderr, "note: libcrypto %s has no ML-KEM-768: the built-in one is used\n",
	    OpenSSL_version(OPENSSL_VERSION_STRING));
	memset(ek, 0xa5, sizeof(ek));
	memset(dk, 0xa5, sizeof(dk));
	memset(ct, 0xa5, sizeof(ct));
	memset(k, 0xa5, sizeof(k));
	CHECK_EQ_INT(mlkem768_evp_keygen(ek, dk), SSH_ERR_LIBCRYPTO);
	CHECK(!nonzero(ek, EK) && !nonzero(dk, DK));
	CHECK_EQ_INT(mlkem768_evp_encaps(ek, ct, k), SSH_ERR_LIBCRYPTO);
	CHECK(!nonzero(ct, CT) && !nonzero(k, SS));
	memset(k, 0xa5, sizeof(k));
	CHECK_EQ_INT(mlkem768_evp_decaps(dk, ct, k), SSH_ERR_LIBCRYPTO);
	CHECK(!nonzero(k, SS));
}

static void test_cross(void)
{
	static uint8_t ek[EK], dk[DK], ct[CT];
	uint8_t k1[SS], k2[SS], k3[SS], seed[2 * MLKEM_SEED_BYTES];

	if (!libcrypto_has_mlkem()) {
		fprintf(stderr, "skip: cross-check with EVP's ML-KEM-768 (needs OpenSSL 3.5+)\n");
		return;
	}
	for (int i = 0; i < 8; i++) {
		/* EVP keygen -> our encaps -> EVP decaps */
		CHECK_EQ_INT(mlkem768_evp_keygen(ek, dk), 0);
		CHECK_EQ_INT(mlkem768_encaps(ek, ct, k1), 0);
		CHECK_EQ_INT(mlkem768_evp_decaps(dk, ct, k2), 0);
		CHECK_MEM(k1, k2, SS);
		/* our decaps of EVP's dk agrees too, also on implicit rejection */
		CHECK_EQ_INT(mlkem768_decaps(dk, ct, k3), 0);
		CHECK_MEM(k1, k3, SS);
		ct[5] ^= 0x10;
		CHECK_EQ_INT(mlkem768_evp_decaps(dk, ct, k2), 0);
		CHECK_EQ_INT(mlkem768_decaps(dk, ct, k3), 0);
		CHECK_MEM(k2, k3, SS);
		CHECK(memcmp(k1, k2, SS) != 0);

		/* our keygen -> EVP encaps -> our decaps */
		CHECK_EQ_INT(mlkem768_keygen(ek, dk), 0);
		CHECK_EQ_INT(mlkem768_evp_encaps(ek, ct, k1), 0);
		CHECK_EQ_INT(mlkem768_decaps(dk, ct, k2), 0);
		CHECK_MEM(k1, k2, SS);
		CHECK_EQ_INT(mlkem768_evp_decaps(dk, ct, k3), 0);
		CHECK_MEM(k1, k3, SS);
	}
	/* a seeded (deterministic) key of ours, decapsulated by EVP */
	for (size_t i = 0; i < sizeof(seed); i++) {
		seed[i] = (uint8_t)(i * 7 + 1);
	}
	CHECK_EQ_INT(mlkem768_keygen_internal(seed, seed + MLKEM_SEED_BYTES, ek, dk), 0);
	CHECK_EQ_INT(mlkem768_encaps(ek, ct, k1), 0);
	CHECK_EQ_INT(mlkem768_evp_decaps(dk, ct, k2), 0);
	CHECK_MEM(k1, k2, SS);
	/* a dk whose stored H(ek) does not match is refused by both */
	dk[DK - 2 * MLKEM_SEED_BYTES] ^= 1;
	CHECK(mlkem768_evp_decaps(dk, ct, k2) < 0);
	CHECK(mlkem768_decaps(dk, ct, k2) < 0);
}

int main(void)
{
	test_selection();
	test_absent();
	test_cross();
	T_DONE();
}
