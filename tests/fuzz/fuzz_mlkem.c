/* libFuzzer target: ML-KEM-768 on arbitrary inputs (client/ssh/mlkem.c). The first byte picks the
 * operation, the rest is the input, zero-padded or cut to size:
 *   0: decapsulation of an arbitrary ciphertext with a fixed key: never fails, and gives the
 *      implicit-rejection key J(z || c) unless c is the fixed key's one valid ciphertext here;
 *   1: encapsulation to an arbitrary ek: 0 (then decapsulation is not possible: no dk) or the
 *      modulus-check refusal, nothing else;
 *   2: decapsulation with an arbitrary dk: 0 or the hash-check refusal. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "err.h"
#include "mlkem.h"

static uint8_t ek[MLKEM768_EK_BYTES], dk[MLKEM768_DK_BYTES], good_ct[MLKEM768_CT_BYTES];
static uint8_t good_key[MLKEM_SHARED_BYTES];
static int ready;

static void setup(void)
{
	uint8_t d[32], z[32], m[32];

	memset(d, 1, sizeof(d));
	memset(z, 2, sizeof(z));
	memset(m, 3, sizeof(m));
	if (mlkem768_keygen_internal(d, z, ek, dk) != 0 ||
	    mlkem768_encaps_internal(ek, m, good_ct, good_key) != 0) {
		abort();
	}
	ready = 1;
}

static void reject_key(const uint8_t *ct, uint8_t out[MLKEM_SHARED_BYTES])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_shake256(), NULL) != 1 ||
	    EVP_DigestUpdate(ctx, dk + MLKEM768_DK_BYTES - 32, 32) != 1 ||
	    EVP_DigestUpdate(ctx, ct, MLKEM768_CT_BYTES) != 1 ||
	    EVP_DigestFinalXOF(ctx, out, MLKEM_SHARED_BYTES) != 1) {
		abort();
	}
	EVP_MD_CTX_free(ctx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t in[MLKEM768_DK_BYTES], ct[MLKEM768_CT_BYTES];
	uint8_t key[MLKEM_SHARED_BYTES], want[MLKEM_SHARED_BYTES];
	size_t n;
	int r;

	if (!ready) {
		setup();
	}
	if (size < 1) {
		return 0;
	}
	n = size - 1 < sizeof(in) ? size - 1 : sizeof(in);
	memset(in, 0, sizeof(in));
	memcpy(in, data + 1, n);
	switch (data[0] % 3) {
	case 0:
		if (mlkem768_decaps(dk, in, key) != 0) {
			abort();
		}
		if (memcmp(in, good_ct, MLKEM768_CT_BYTES) == 0) {
			memcpy(want, good_key, sizeof(want));
		} else {
			reject_key(in, want);
		}
		if (memcmp(key, want, sizeof(key)) != 0) {
			abort();
		}
		break;
	case 1:
		r = mlkem768_encaps(in, ct, key);
		if (r != 0 && r != SSH_ERR_FORMAT) {
			abort();
		}
		break;
	default:
		r = mlkem768_decaps(in, good_ct, key);
		if (r != 0 && r != SSH_ERR_FORMAT) {
			abort();
		}
		break;
	}
	return 0;
}
