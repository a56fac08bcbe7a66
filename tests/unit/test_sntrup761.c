/* Streamlined NTRU Prime sntrup761 (client/ssh/sntrup761.c).
 *
 * - The submission's known answer, count = 0: NIST's AES-256 CTR_DRBG (the KAT generator's
 *   randombytes, written here on OpenSSL's AES-256-ECB) seeded with 0, 1, ..., 47 gives the seed;
 *   reseeded with it, key generation, encapsulation and decapsulation consume it in the reference
 *   order (g's words, f's words, rho, then r's words, each list one request). The text of the
 *   entry ("count = 0", seed, pk, sk, ct, ss, as the KAT file prints them) must hash to the
 *   SHA-256 that PQClean records for the submission's first KAT entry (META.yml nistkat-sha256).
 * - round trips with fresh keys; a changed ciphertext keys from rho: Hash(0 || Hash(3 || rho) ||
 *   ct), recomputed here; the seeded key generation is deterministic.
 * - with the valgrind headers: decapsulation with the secret parts of sk (f, 1/g, rho) undefined
 *   for memcheck (tests/run.sh runs the unit tests under valgrind). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "err.h"
#include "sntrup761.h"
#include "t.h"

#include "t_ct.h"

#define PK SNTRUP761_PK_BYTES
#define SK SNTRUP761_SK_BYTES
#define CT SNTRUP761_CT_BYTES
#define SS SNTRUP761_SS_BYTES

/* PQClean crypto_kem/sntrup761/META.yml: SHA-256 of the first entry of the KAT file */
static const char KAT0_SHA256[] =
    "afc42c3a5b10f4ef69654250097ebda9b9564570f4086744b24a6daf2bd1f89a";

/* ---- NIST SP 800-90A CTR_DRBG with AES-256, no derivation function (the KAT's rng.c) ---- */
struct drbg {
	uint8_t key[32], v[16];
};

static void drbg_block(struct drbg *d, uint8_t out[16])
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int i, n = 0;

	for (i = 15; i >= 0; i--) { /* V = V + 1, big-endian */
		if (++d->v[i] != 0) {
			break;
		}
	}
	CHECK(c != NULL && EVP_EncryptInit_ex(c, EVP_aes_256_ecb(), NULL, d->key, NULL) == 1 &&
	      EVP_CIPHER_CTX_set_padding(c, 0) == 1 &&
	      EVP_EncryptUpdate(c, out, &n, d->v, 16) == 1 && n == 16);
	EVP_CIPHER_CTX_free(c);
}

static void drbg_update(struct drbg *d, const uint8_t *provided)
{
	uint8_t t[48];
	int i;

	for (i = 0; i < 3; i++) {
		drbg_block(d, t + 16 * i);
	}
	for (i = 0; provided != NULL && i < 48; i++) {
		t[i] ^= provided[i];
	}
	memcpy(d->key, t, 32);
	memcpy(d->v, t + 32, 16);
}

static void drbg_init(struct drbg *d, const uint8_t entropy[48])
{
	memset(d, 0, sizeof(*d));
	drbg_update(d, entropy);
}

/* randombytes(): whole blocks, the tail of the last one dropped, then an update */
static void drbg_bytes(struct drbg *d, uint8_t *out, size_t len)
{
	uint8_t b[16];

	while (len > 0) {
		size_t n = len < 16 ? len : 16;
		drbg_block(d, b);
		memcpy(out, b, n);
		out += n;
		len -= n;
	}
	drbg_update(d, NULL);
}

static int calls;

/* randombytes() as the KAT generator: each request of the KEM is one request of the DRBG */
static int kat_rng(void *ctx, uint8_t *out, size_t len)
{
	drbg_bytes(ctx, out, len);
	calls++;
	return 0;
}

static void put_hex(EVP_MD_CTX *md, const char *label, const uint8_t *p, size_t n)
{
	static const char hx[] = "0123456789ABCDEF";
	char two[2];
	size_t i;

	EVP_DigestUpdate(md, label, strlen(label));
	for (i = 0; i < n; i++) {
		two[0] = hx[p[i] >> 4];
		two[1] = hx[p[i] & 15];
		EVP_DigestUpdate(md, two, 2);
	}
	EVP_DigestUpdate(md, "\n", 1);
}

static void test_kat(void)
{
	static uint8_t pk[PK], sk[SK], ct[CT];
	uint8_t ent[48], seed[48], ss[SS], ss2[SS], got[32], want[32];
	unsigned int dl = 0;
	struct drbg d;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	size_t i;

	for (i = 0; i < 48; i++) {
		ent[i] = (uint8_t)i;
	}
	drbg_init(&d, ent);
	drbg_bytes(&d, seed, 48);
	drbg_init(&d, seed);
	calls = 0;
	CHECK_EQ_INT(sntrup761_keygen_rng(pk, sk, kat_rng, &d), 0);
	CHECK(calls >= 3); /* g (at least once), f, rho */
	CHECK_EQ_INT(sntrup761_encaps_rng(pk, ct, ss, kat_rng, &d), 0);
	CHECK_EQ_INT(sntrup761_decaps(sk, ct, ss2), 0);
	CHECK_MEM(ss, ss2, SS);
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	EVP_DigestUpdate(md, "count = 0\n", 10);
	put_hex(md, "seed = ", seed, sizeof(seed));
	put_hex(md, "pk = ", pk, PK);
	put_hex(md, "sk = ", sk, SK);
	put_hex(md, "ct = ", ct, CT);
	put_hex(md, "ss = ", ss, SS);
	EVP_DigestFinal_ex(md, got, &dl);
	t_unhex(KAT0_SHA256, want, sizeof(want));
	CHECK_MEM(got, want, 32);
	EVP_MD_CTX_free(md);
}

/* Hash(b || x || y), first 32 bytes of SHA-512 */
static void t_hash(
    uint8_t out[32], uint8_t b, const uint8_t *x, size_t xl, const uint8_t *y, size_t yl)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint8_t h[64];

	CHECK(EVP_DigestInit_ex(md, EVP_sha512(), NULL) == 1);
	EVP_DigestUpdate(md, &b, 1);
	EVP_DigestUpdate(md, x, xl);
	EVP_DigestUpdate(md, y, yl);
	EVP_DigestFinal_ex(md, h, NULL);
	memcpy(out, h, 32);
	EVP_MD_CTX_free(md);
}

static void test_round_trip(void)
{
	static uint8_t pk[PK], sk[SK], ct[CT];
	uint8_t k1[SS], k2[SS], h3[32], want[SS];
	int i;

	for (i = 0; i < 3; i++) {
		CHECK_EQ_INT(sntrup761_keygen(pk, sk), 0);
		CHECK_MEM(sk + 382, pk, PK); /* the secret key carries pk */
		t_hash(h3, 4, pk, PK, NULL, 0);
		CHECK_MEM(sk + SK - 32, h3, 32);
		CHECK_EQ_INT(sntrup761_encaps(pk, ct, k1), 0);
		CHECK_EQ_INT(sntrup761_decaps(sk, ct, k2), 0);
		CHECK_MEM(k1, k2, SS);
	}
	/* implicit rejection: Hash(0 || Hash(3 || rho) || ct) */
	ct[17] ^= 0x10;
	CHECK_EQ_INT(sntrup761_decaps(sk, ct, k2), 0);
	t_hash(h3, 3, sk + 382 + PK, 191, NULL, 0);
	t_hash(want, 0, h3, 32, ct, CT);
	CHECK_MEM(k2, want, SS);
	CHECK(memcmp(k1, k2, SS) != 0);
	/* the confirmation hash alone changed: rejected as well */
	ct[17] ^= 0x10;
	ct[CT - 1] ^= 1;
	CHECK_EQ_INT(sntrup761_decaps(sk, ct, k2), 0);
	t_hash(want, 0, h3, 32, ct, CT);
	CHECK_MEM(k2, want, SS);
}

static void test_seeded(void)
{
	static uint8_t pk1[PK], sk1[SK], pk2[PK], sk2[SK];
	uint8_t seed[SNTRUP761_SEED_BYTES];

	memset(seed, 0x42, sizeof(seed));
	CHECK_EQ_INT(sntrup761_keygen_seeded(seed, pk1, sk1), 0);
	CHECK_EQ_INT(sntrup761_keygen_seeded(seed, pk2, sk2), 0);
	CHECK_MEM(pk1, pk2, PK);
	CHECK_MEM(sk1, sk2, SK);
	seed[31] ^= 1;
	CHECK_EQ_INT(sntrup761_keygen_seeded(seed, pk2, sk2), 0);
	CHECK(memcmp(pk1, pk2, PK) != 0);
}

/* decapsulation with f, 1/g and rho undefined for memcheck (and so everything computed from them):
 * a branch or index depending on them is a memcheck error of this run */
static void test_constant_time(void)
{
	static uint8_t pk[PK], sk[SK], ct[CT];
	uint8_t k1[SS], k2[SS], k3[SS];
	unsigned long before;

	CHECK_EQ_INT(sntrup761_keygen(pk, sk), 0);
	CHECK_EQ_INT(sntrup761_encaps(pk, ct, k1), 0);
	before = (unsigned long)VALGRIND_COUNT_ERRORS;
	VALGRIND_MAKE_MEM_UNDEFINED(sk, 382);
	VALGRIND_MAKE_MEM_UNDEFINED(sk + 382 + PK, 191);
	CHECK_EQ_INT(sntrup761_decaps(sk, ct, k2), 0);
	ct[3] ^= 1;
	CHECK_EQ_INT(sntrup761_decaps(sk, ct, k3), 0);
	ct[3] ^= 1;
	t_ct_verdict(before, k1, k2, k3, SS, sk, SK);
}

int main(void)
{
	test_kat();
	test_round_trip();
	test_seeded();
	test_constant_time();
	T_DONE();
}
