/* ML-KEM-768 (client/ssh/mlkem.c): known answers and input checks.
 *
 * - C2SP CCTV "accumulated" vectors: 10 000 deterministic key generations, encapsulations and
 *   decapsulations (one of them of a random, hence rejected, ciphertext) hashed into one value.
 *   100 runs by default (0.1 s in a Debug build); X509SSH_MLKEM_RUNS=10000 runs the 10 000 of
 *   the published set (about 9 s in a Debug build, 3 s optimised).
 * - NIST ACVP cases (data/mlkem768_acvp.txt): encapsulation, decapsulation and implicit
 *   rejection of a modified ciphertext; CCTV's "unlucky" key (SampleNTT reads > 575 bytes) and
 *   "strcmp" ciphertext (data/mlkem768_cctv.txt).
 * - round trips, a flipped ciphertext bit gives J(z || c), the ek modulus and dk hash checks.
 * - with the valgrind headers: decapsulation with the secret parts of dk marked undefined, so
 *   that memcheck reports any branch or index that depends on them (run by tests/run.sh's
 *   valgrind step; a plain run only does the same decapsulation). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "err.h"
#include "mlkem.h"
#include "t.h"

#include "t_ct.h"

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

/* ---- known-answer files (data/mlkem768_acvp.txt, data/mlkem768_cctv.txt) ---- */

enum kat_kind { KAT_ENCAPS, KAT_DECAPS, KAT_KEM };

struct kat {
	uint8_t ek[EK], dk[DK], d[32], z[32], m[32], c[CT], k[SS];
	size_t ek_len, dk_len, d_len, z_len, m_len, c_len, k_len;
	enum kat_kind kind;
	char note[96];
};

static void kat_run(struct kat *t)
{
	uint8_t ct[CT], key[SS];

	if (t->kind == KAT_KEM) {
		/* keygen from (d, z), encapsulation with m, decapsulation: all agree on k */
		CHECK_MSG(t->d_len == 32 && t->z_len == 32 && t->m_len == 32 && t->k_len == SS,
		    "%s: fields", t->note);
		CHECK_MSG(mlkem768_keygen_internal(t->d, t->z, t->ek, t->dk) == 0, "%s", t->note);
		CHECK_MSG(mlkem768_encaps_internal(t->ek, t->m, ct, key) == 0, "%s", t->note);
		CHECK_MSG(memcmp(key, t->k, SS) == 0, "%s: encapsulated key", t->note);
		CHECK_MSG(mlkem768_decaps(t->dk, ct, key) == 0, "%s", t->note);
		CHECK_MSG(memcmp(key, t->k, SS) == 0, "%s: decapsulated key", t->note);
	} else if (t->kind == KAT_ENCAPS) {
		CHECK_MSG(t->ek_len == EK && t->m_len == 32 && t->c_len == CT && t->k_len == SS,
		    "%s: fields", t->note);
		CHECK_MSG(mlkem768_encaps_internal(t->ek, t->m, ct, key) == 0, "%s", t->note);
		CHECK_MSG(memcmp(ct, t->c, CT) == 0, "%s: ciphertext", t->note);
		CHECK_MSG(memcmp(key, t->k, SS) == 0, "%s: key", t->note);
	} else {
		CHECK_MSG(
		    t->dk_len == DK && t->c_len == CT && t->k_len == SS, "%s: fields", t->note);
		CHECK_MSG(mlkem768_decaps(t->dk, t->c, key) == 0, "%s", t->note);
		CHECK_MSG(memcmp(key, t->k, SS) == 0, "%s: key", t->note);
	}
}

/* returns the number of cases run */
static int test_kat_file(const char *path)
{
	size_t n = 0;
	char *text = (char *)t_slurp(path, &n), *line, *save = NULL;
	static struct kat t;
	int cases = 0, open = 0;

	CHECK_MSG(text != NULL, "%s", path);
	if (text == NULL) {
		return 0;
	}
	memset(&t, 0, sizeof(t));
	for (line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		char *sp = strchr(line, ' ');
		if (line[0] == '#' || sp == NULL) {
			continue;
		}
		*sp++ = '\0';
		if (strcmp(line, "case") == 0) {
			if (open) {
				kat_run(&t);
				cases++;
			}
			t.kind = strncmp(sp, "encaps", 6) == 0 ? KAT_ENCAPS
			         : strncmp(sp, "kem", 3) == 0  ? KAT_KEM
			                                       : KAT_DECAPS;
			snprintf(t.note, sizeof(t.note), "%s", sp);
			t.m_len = t.c_len = t.k_len = 0;
			open = 1;
		} else if (strcmp(line, "ek") == 0) {
			t.ek_len = t_unhex(sp, t.ek, sizeof(t.ek));
		} else if (strcmp(line, "dk") == 0) {
			t.dk_len = t_unhex(sp, t.dk, sizeof(t.dk));
		} else if (strcmp(line, "d") == 0) {
			t.d_len = t_unhex(sp, t.d, sizeof(t.d));
		} else if (strcmp(line, "z") == 0) {
			t.z_len = t_unhex(sp, t.z, sizeof(t.z));
		} else if (strcmp(line, "m") == 0) {
			t.m_len = t_unhex(sp, t.m, sizeof(t.m));
		} else if (strcmp(line, "c") == 0) {
			t.c_len = t_unhex(sp, t.c, sizeof(t.c));
		} else if (strcmp(line, "k") == 0) {
			t.k_len = t_unhex(sp, t.k, sizeof(t.k));
		}
	}
	if (open) {
		kat_run(&t);
		cases++;
	}
	free(text);
	return cases;
}

/* ---- properties and input checks ---- */

/* J(z || c) = SHAKE256(z || c, 32), the implicit-rejection key */
static void reject_key(const uint8_t *dk, const uint8_t *ct, uint8_t out[SS])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	CHECK(ctx != NULL && EVP_DigestInit_ex(ctx, EVP_shake256(), NULL) == 1 &&
	      EVP_DigestUpdate(ctx, dk + DK - 32, 32) == 1 && EVP_DigestUpdate(ctx, ct, CT) == 1 &&
	      EVP_DigestFinalXOF(ctx, out, SS) == 1);
	EVP_MD_CTX_free(ctx);
}

static void test_round_trip(void)
{
	static uint8_t ek[EK], dk[DK], ct[CT], ek2[EK], dk2[DK];
	uint8_t k1[SS], k2[SS], kj[SS], d[32], z[32];
	size_t bit;
	int i;

	for (i = 0; i < 3; i++) {
		CHECK(mlkem768_keygen(ek, dk) == 0);
		CHECK(mlkem768_encaps(ek, ct, k1) == 0);
		CHECK(mlkem768_decaps(dk, ct, k2) == 0);
		CHECK_MEM(k1, k2, SS);
	}
	/* dk embeds ek; two fresh keys differ */
	CHECK_MEM(dk + 1152, ek, EK);
	CHECK(mlkem768_keygen(ek2, dk2) == 0);
	CHECK(memcmp(ek, ek2, EK) != 0);
	/* the deterministic generation is deterministic and keeps z at the end of dk */
	memset(d, 0x11, sizeof(d));
	memset(z, 0x22, sizeof(z));
	CHECK(mlkem768_keygen_internal(d, z, ek, dk) == 0);
	CHECK(mlkem768_keygen_internal(d, z, ek2, dk2) == 0);
	CHECK_MEM(ek, ek2, EK);
	CHECK_MEM(dk, dk2, DK);
	CHECK_MEM(dk + DK - 32, z, 32);

	/* a flipped ciphertext bit anywhere gives J(z || c'), never K and never an error */
	CHECK(mlkem768_encaps(ek, ct, k1) == 0);
	for (bit = 0; bit < CT * 8; bit = t_sweep_next_by(bit, CT * 8, 97)) {
		ct[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		CHECK_MSG(mlkem768_decaps(dk, ct, k2) == 0, "bit %zu", bit);
		reject_key(dk, ct, kj);
		CHECK_MSG(memcmp(k2, kj, SS) == 0 && memcmp(k2, k1, SS) != 0, "bit %zu", bit);
		ct[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	CHECK(mlkem768_decaps(dk, ct, k2) == 0);
	CHECK_MEM(k1, k2, SS);
}

/* set the 12-bit coefficient i of the encoded t_hat in ek to v (no reduction) */
static void set_coeff(uint8_t *ek, size_t i, unsigned v)
{
	uint8_t *p = ek + (i / 2) * 3;

	if (i % 2 == 0) {
		p[0] = (uint8_t)v;
		p[1] = (uint8_t)((p[1] & 0xf0) | (v >> 8));
	} else {
		p[1] = (uint8_t)((p[1] & 0x0f) | ((v & 0x0f) << 4));
		p[2] = (uint8_t)(v >> 4);
	}
}

static void test_input_checks(void)
{
	static uint8_t ek[EK], dk[DK], bad[EK], ct[CT];
	uint8_t key[SS], zero[SS];
	static const size_t pos[] = {0, 1, 255, 256, 511, 767};
	static const unsigned val[] = {3329, 3330, 4095};
	size_t i, j;

	memset(zero, 0, sizeof(zero));
	CHECK(mlkem768_keygen(ek, dk) == 0);
	/* modulus check: q, q + 1 and 2^12 - 1 in even and odd positions of every polynomial */
	for (i = 0; i < sizeof(pos) / sizeof(pos[0]); i++) {
		for (j = 0; j < sizeof(val) / sizeof(val[0]); j++) {
			memcpy(bad, ek, EK);
			set_coeff(bad, pos[i], val[j]);
			memset(key, 0xaa, sizeof(key));
			CHECK_MSG(mlkem768_encaps(bad, ct, key) == SSH_ERR_FORMAT,
			    "coefficient %zu = %u", pos[i], val[j]);
			CHECK_MEM(key, zero, SS);
		}
		memcpy(bad, ek, EK);
		set_coeff(bad, pos[i], 3328); /* q - 1 is a valid coefficient */
		CHECK_MSG(mlkem768_encaps(bad, ct, key) == 0, "coefficient %zu = q - 1", pos[i]);
	}
	/* the rho part of ek is not checked: any 32 bytes are a valid seed */
	memcpy(bad, ek, EK);
	memset(bad + 1152, 0xff, 32);
	CHECK(mlkem768_encaps(bad, ct, key) == 0);

	/* hash check of dk: the ek inside dk or H(ek) changed */
	CHECK(mlkem768_encaps(ek, ct, key) == 0);
	dk[1152 + 7] ^= 1;
	CHECK(mlkem768_decaps(dk, ct, key) == SSH_ERR_FORMAT);
	CHECK_MEM(key, zero, SS);
	dk[1152 + 7] ^= 1;
	dk[1152 + EK] ^= 0x80;
	CHECK(mlkem768_decaps(dk, ct, key) == SSH_ERR_FORMAT);
	dk[1152 + EK] ^= 0x80;
	CHECK(mlkem768_decaps(dk, ct, key) == 0);
}

/* Decapsulation with the secret parts of dk (s_hat and z) undefined for memcheck: a branch or a
 * table index that depends on them is an error of this run (tests/run.sh runs every unit test
 * under valgrind). Outside valgrind this is one more decapsulation of each kind. */
static void test_constant_time(void)
{
	static uint8_t ek[EK], dk[DK], ct[CT];
	uint8_t k1[SS], k2[SS], k3[SS];
	unsigned long before;

	CHECK(mlkem768_keygen(ek, dk) == 0);
	CHECK(mlkem768_encaps(ek, ct, k1) == 0);
	before = (unsigned long)VALGRIND_COUNT_ERRORS;
	VALGRIND_MAKE_MEM_UNDEFINED(dk, 1152);
	VALGRIND_MAKE_MEM_UNDEFINED(dk + DK - 32, 32);
	CHECK(mlkem768_decaps(dk, ct, k2) == 0); /* the valid ciphertext */
	ct[5] ^= 4;
	CHECK(mlkem768_decaps(dk, ct, k3) == 0); /* implicit rejection */
	ct[5] ^= 4;
	t_ct_verdict(before, k1, k2, k3, SS, dk, DK);
}

int main(void)
{
	test_accumulated();
	CHECK_EQ_INT(test_kat_file("data/mlkem768_acvp.txt"), 3);
	CHECK_EQ_INT(test_kat_file("data/mlkem768_cctv.txt"), 2);
	test_round_trip();
	test_input_checks();
	test_constant_time();
	T_DONE();
}
