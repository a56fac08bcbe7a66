/* ML-KEM-768 (client/ssh/mlkem.c): known answers and input checks.
 *
 * - C2SP CCTV "accumulated" vectors: 10 000 deterministic key generations, encapsulations and
 *   decapsulations (one of them of a random, hence rejected, ciphertext) hashed into one value.
 *   100 runs by default (0.1 s in a Debug build); X509SSH_MLKEM_RUNS=10000 runs the 10 000 of
 *   the published set (about 9 s in a Debug build, 3 s optimised).
 * - NIST ACVP cases (data/mlkem768_acvp.txt): keyGen, encapsulation, decapsulation incl.
 *   implicit rejection; CCTV's "unlucky" SampleNTT key, "strcmp" decapsulation and modulus cases
 *   (data/mlkem768_cctv.txt).
 * - round trips, a flipped ciphertext bit gives J(z || c), the ek modulus and dk hash checks.
 * - with the valgrind headers: decapsulation with the secret parts of dk marked undefined, so
 *   that memcheck reports any branch or index that depends on them (run by tests/run.sh's
 *   valgrind step; a plain run only does the same decapsulation). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "mlkem.h"
#include "t.h"

#if defined(__has_include)
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#define HAVE_MEMCHECK 1
#endif
#endif
#ifndef HAVE_MEMCHECK
#define RUNNING_ON_VALGRIND               0
#define VALGRIND_MAKE_MEM_UNDEFINED(p, n) ((void)(p), (void)(n))
#define VALGRIND_MAKE_MEM_DEFINED(p, n)   ((void)(p), (void)(n))
#define VALGRIND_COUNT_ERRORS             0
#endif

#define EK MLKEM768_EK_BYTES
#define DK MLKEM768_DK_BYTES
#define CT MLKEM768_CT_BYTES
#define SS MLKEM_SHARED_BYTES

/* C2SP CCTV ML-KEM README (FIPS 203 final): SHAKE128 over ek || dk || ct || K || K_reject for each
 * run, inputs d || z || m || ct_reject drawn from SHAKE128(""), ML-KEM-768 */
static const char ACC_10000[] = "f959d18d3d1180121433bf0e05f11e7908cf9d03edc150b2b07cb90bef5bc1c1";
static const char ACC_100[] = "8d65b902f28edc683cebee2872962fd165a4d197c9e24ec74caa4470270df0b7";

static void test_accumulated(void)
{
	const char *env = getenv("X509SSH_MLKEM_RUNS");
	size_t runs = env != NULL && strcmp(env, "10000") == 0 ? 10000 : 100, per = 32 * 3 + CT, i;
	uint8_t *rng = malloc(runs * per), ek[EK], dk[DK], ct[CT], k1[SS], k2[SS], k3[SS];
	uint8_t got[32], want[32];
	EVP_MD_CTX *src = EVP_MD_CTX_new(), *acc = EVP_MD_CTX_new();
	int bad = 0;

	CHECK(rng != NULL && src != NULL && acc != NULL);
	if (rng == NULL || src == NULL || acc == NULL) {
		goto out;
	}
	CHECK(EVP_DigestInit_ex(src, EVP_shake128(), NULL) == 1);
	CHECK(EVP_DigestFinalXOF(src, rng, runs * per) == 1);
	CHECK(EVP_DigestInit_ex(acc, EVP_shake128(), NULL) == 1);
	for (i = 0; i < runs; i++) {
		const uint8_t *in = rng + i * per;
		if (mlkem768_keygen_internal(in, in + 32, ek, dk) != 0 ||
		    mlkem768_encaps_internal(ek, in + 64, ct, k1) != 0 ||
		    mlkem768_decaps(dk, ct, k2) != 0 || memcmp(k1, k2, SS) != 0 ||
		    mlkem768_decaps(dk, in + 96, k3) != 0) {
			bad++;
		}
		EVP_DigestUpdate(acc, ek, EK);
		EVP_DigestUpdate(acc, dk, DK);
		EVP_DigestUpdate(acc, ct, CT);
		EVP_DigestUpdate(acc, k1, SS);
		EVP_DigestUpdate(acc, k3, SS);
	}
	CHECK_EQ_INT(bad, 0);
	CHECK(EVP_DigestFinalXOF(acc, got, sizeof(got)) == 1);
	t_unhex(runs == 100 ? ACC_100 : ACC_10000, want, sizeof(want));
	CHECK_MSG(memcmp(got, want, 32) == 0, "accumulated hash over %zu runs", runs);
out:
	EVP_MD_CTX_free(src);
	EVP_MD_CTX_free(acc);
	free(rng);
}

int main(void)
{
	test_accumulated();
	T_DONE();
}
