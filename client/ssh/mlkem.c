/* ML-KEM-768 from FIPS 203 (August 2024). Algorithm numbers in the comments are the standard's.
 *
 * Representation: a polynomial is 256 coefficients in [0, q), q = 3329, kept as uint16_t; every
 * product is reduced by Barrett's method (multiply by floor(2^32 / q), shift, then one
 * conditional subtraction done with a mask). Nothing that depends on a secret value selects a
 * branch, a table index or a division: rounding divisions by q (Compress) are a multiplication
 * by ceil(2^40 / q) and a shift, exact for every numerator below 2^28.
 *
 * Hashes come from OpenSSL's EVP interface (SHA3-256, SHA3-512, SHAKE128, SHAKE256). OpenSSL 3.0
 * has no incremental squeeze (EVP_DigestSqueeze is 3.3+), so SampleNTT asks for SAMPLE_FIRST
 * bytes of SHAKE128 at once (three rate blocks: enough for about 99 polynomials out of 100) and,
 * when rejection sampling runs short, recomputes the XOF with twice the length and starts over
 * (the longer output begins with the shorter one, so the result is the same as reading an
 * unbounded stream). The seed of that sampling (rho) is public: the retry leaks nothing. */
#include "rand.h"
#include "mlkem.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "err.h"

#define Q            3329
#define N            256
#define K            3                /* module rank of ML-KEM-768 */
#define ETA          2                /* eta1 = eta2 = 2 */
#define DU           10               /* bits per coefficient of u in the ciphertext */
#define DV           4                /* bits per coefficient of v */
#define POLY_12      384              /* ByteEncode12 of one polynomial */
#define PKE_DK       (K * POLY_12)    /* 1152: encoded s_hat */
#define CT_U         (K * N * DU / 8) /* 960 */
#define CT_V         (N * DV / 8)     /* 128 */
#define BARRETT      1290167u         /* floor(2^32 / q) */
#define DIV_Q        330282857u       /* ceil(2^40 / q) */
#define INV_128      3303u            /* 128^-1 mod q, the scale of the inverse NTT */
#define SAMPLE_FIRST (3 * 168)        /* bytes of SHAKE128 tried first by SampleNTT */
#define SAMPLE_MAX   (64 * 168)       /* never reached but by a broken XOF */

typedef struct {
	uint16_t c[N];
} poly;

/* zeta^BitRev7(i) mod q for zeta = 17, i = 0..127 (FIPS 203 appendix A) */
static const uint16_t zetas[128] = {1, 1729, 2580, 3289, 2642, 630, 1897, 848, 1062, 1919, 193, 797,
    2786, 3260, 569, 1746, 296, 2447, 1339, 1476, 3046, 56, 2240, 1333, 1426, 2094, 535, 2882, 2393,
    2879, 1974, 821, 289, 331, 3253, 1756, 1197, 2304, 2277, 2055, 650, 1977, 2513, 632, 2865, 33,
    1320, 1915, 2319, 1435, 807, 452, 1438, 2868, 1534, 2402, 2647, 2617, 1481, 648, 2474, 3110,
    1227, 910, 17, 2761, 583, 2649, 1637, 723, 2288, 1100, 1409, 2662, 3281, 233, 756, 2156, 3015,
    3050, 1703, 1651, 2789, 1789, 1847, 952, 1461, 2687, 939, 2308, 2437, 2388, 733, 2337, 268, 641,
    1584, 2298, 2037, 3220, 375, 2549, 2090, 1645, 1063, 319, 2773, 757, 2099, 561, 2466, 2594,
    2804, 1092, 403, 1026, 1143, 2150, 2775, 886, 1722, 1212, 1874, 1029, 2110, 2935, 885, 2154};

/* ---- arithmetic mod q, constant-time ---- */

/* x mod q for x < 2q */
static uint16_t csub(uint32_t x)
{
	uint32_t r = x - Q;
	uint32_t mask = 0u - (r >> 31); /* all ones when x < q */
	return (uint16_t)(r + (mask & Q));
}

/* x mod q for any 32-bit x: the Barrett quotient is floor(x / q) or one less */
static uint16_t reduce(uint32_t x)
{
	uint32_t quot = (uint32_t)(((uint64_t)x * BARRETT) >> 32);
	return csub(x - quot * Q);
}

static uint16_t fqmul(uint16_t a, uint16_t b)
{
	return reduce((uint32_t)a * b);
}

static uint16_t fqadd(uint16_t a, uint16_t b)
{
	return csub((uint32_t)a + b);
}

static uint16_t fqsub(uint16_t a, uint16_t b)
{
	return csub((uint32_t)a + Q - b);
}

/* floor(n / q) for n < 2^28 */
static uint32_t div_q(uint32_t n)
{
	return (uint32_t)(((uint64_t)n * DIV_Q) >> 40);
}

/* Compress_d (4.7): round(2^d / q * x) mod 2^d */
static uint16_t compress(uint16_t x, unsigned d)
{
	return (uint16_t)(div_q(((uint32_t)x << d) + Q / 2) & ((1u << d) - 1));
}

/* Decompress_d (4.8): round(q / 2^d * y) */
static uint16_t decompress(uint16_t y, unsigned d)
{
	return (uint16_t)(((uint32_t)y * Q + (1u << (d - 1))) >> d);
}

/* ---- byte encodings (Algorithms 5 and 6) ---- */

/* ByteEncode_d of one polynomial whose coefficients are below 2^d: 32 * d bytes */
static void byte_encode(const poly *p, unsigned d, uint8_t *out)
{
	uint32_t acc = 0;
	unsigned bits = 0, i;
	size_t o = 0;

	for (i = 0; i < N; i++) {
		acc |= (uint32_t)p->c[i] << bits;
		bits += d;
		while (bits >= 8) {
			out[o++] = (uint8_t)acc;
			acc >>= 8;
			bits -= 8;
		}
	}
}

/* ByteDecode_d: 32 * d bytes; for d = 12 each coefficient is taken mod q, as the standard says */
static void byte_decode(poly *p, unsigned d, const uint8_t *in)
{
	uint32_t acc = 0;
	unsigned bits = 0, i;
	size_t o = 0;

	for (i = 0; i < N; i++) {
		while (bits < d) {
			acc |= (uint32_t)in[o++] << bits;
			bits += 8;
		}
		p->c[i] = (uint16_t)(acc & ((1u << d) - 1));
		acc >>= d;
		bits -= d;
		if (d == 12) {
			p->c[i] = csub(p->c[i]);
		}
	}
}

/* ---- NTT (Algorithms 9, 10, 11, 12) ---- */

static void ntt(poly *f)
{
	unsigned len, start, j, i = 1;

	for (len = 128; len >= 2; len /= 2) {
		for (start = 0; start < N; start += 2 * len) {
			uint16_t zeta = zetas[i++];
			for (j = start; j < start + len; j++) {
				uint16_t t = fqmul(zeta, f->c[j + len]);
				f->c[j + len] = fqsub(f->c[j], t);
				f->c[j] = fqadd(f->c[j], t);
			}
		}
	}
}

static void ntt_inverse(poly *f)
{
	unsigned len, start, j, i = 127;

	for (len = 2; len <= 128; len *= 2) {
		for (start = 0; start < N; start += 2 * len) {
			uint16_t zeta = zetas[i--];
			for (j = start; j < start + len; j++) {
				uint16_t t = f->c[j];
				f->c[j] = fqadd(t, f->c[j + len]);
				f->c[j + len] = fqmul(zeta, fqsub(f->c[j + len], t));
			}
		}
	}
	for (j = 0; j < N; j++) {
		f->c[j] = fqmul(f->c[j], INV_128);
	}
}

/* acc += f * g in the NTT domain (MultiplyNTTs with BaseCaseMultiply; the pair 2i uses
 * gamma = zeta^(2 BitRev7(i) + 1), which is zetas[64 + i/2] or its negative) */
static void ntt_mul_acc(poly *acc, const poly *f, const poly *g)
{
	unsigned i;

	for (i = 0; i < N / 2; i++) {
		uint16_t z = zetas[64 + i / 2];
		uint16_t gamma = (i & 1) ? (uint16_t)(Q - z) : z;
		uint16_t a0 = f->c[2 * i], a1 = f->c[2 * i + 1];
		uint16_t b0 = g->c[2 * i], b1 = g->c[2 * i + 1];
		uint16_t c0 = fqadd(fqmul(a0, b0), fqmul(fqmul(a1, b1), gamma));
		uint16_t c1 = fqadd(fqmul(a0, b1), fqmul(a1, b0));
		acc->c[2 * i] = fqadd(acc->c[2 * i], c0);
		acc->c[2 * i + 1] = fqadd(acc->c[2 * i + 1], c1);
	}
}

static void poly_add(poly *r, const poly *a)
{
	unsigned i;

	for (i = 0; i < N; i++) {
		r->c[i] = fqadd(r->c[i], a->c[i]);
	}
}

/* ---- hashes ---- */

/* md(a || b) into out (outlen bytes; for an XOF the output length, else the digest size) */
static int hash2(const EVP_MD *md, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen,
    uint8_t *out, size_t outlen)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int r = SSH_ERR_LIBCRYPTO;

	if (ctx == NULL || md == NULL || EVP_DigestInit_ex(ctx, md, NULL) != 1 ||
	    EVP_DigestUpdate(ctx, a, alen) != 1 ||
	    (blen > 0 && EVP_DigestUpdate(ctx, b, blen) != 1)) {
		goto out;
	}
	if ((EVP_MD_get_flags(md) & EVP_MD_FLAG_XOF) != 0) {
		if (EVP_DigestFinalXOF(ctx, out, outlen) != 1) {
			goto out;
		}
	} else if (EVP_DigestFinal_ex(ctx, out, NULL) != 1) {
		goto out;
	}
	r = 0;
out:
	EVP_MD_CTX_free(ctx);
	return r;
}

/* SampleNTT (Algorithm 7) on SHAKE128(rho || j || i), see the head of the file */
static int sample_ntt(poly *p, const uint8_t rho[32], uint8_t j, uint8_t i)
{
	uint8_t buf[SAMPLE_MAX];
	uint8_t idx[2] = {j, i};
	size_t len, pos;
	unsigned n;
	int r;

	for (len = SAMPLE_FIRST; len <= SAMPLE_MAX; len *= 2) {
		if ((r = hash2(EVP_shake128(), rho, 32, idx, 2, buf, len)) < 0) {
			return r;
		}
		for (n = 0, pos = 0; n < N && pos + 3 <= len; pos += 3) {
			uint16_t d1 = (uint16_t)(buf[pos] | ((buf[pos + 1] & 0x0f) << 8));
			uint16_t d2 = (uint16_t)((buf[pos + 1] >> 4) | (buf[pos + 2] << 4));
			if (d1 < Q) {
				p->c[n++] = d1;
			}
			if (d2 < Q && n < N) {
				p->c[n++] = d2;
			}
		}
		if (n == N) {
			return 0;
		}
	}
	return SSH_ERR_INTERNAL;
}

/* SamplePolyCBD_2 (Algorithm 8) on PRF_2(s, b) = SHAKE256(s || b, 128 bytes) */
static int sample_cbd(poly *p, const uint8_t s[32], uint8_t b)
{
	uint8_t buf[64 * ETA];
	unsigned i;
	int r;

	if ((r = hash2(EVP_shake256(), s, 32, &b, 1, buf, sizeof(buf))) < 0) {
		goto out;
	}
	for (i = 0; i < N; i++) {
		/* four bits per coefficient: x = b0 + b1, y = b2 + b3 */
		unsigned v = (buf[i / 2] >> (4 * (i & 1))) & 0x0f;
		unsigned x = (v & 1) + ((v >> 1) & 1);
		unsigned y = ((v >> 2) & 1) + ((v >> 3) & 1);
		p->c[i] = csub(x + Q - y);
	}
out:
	OPENSSL_cleanse(buf, sizeof(buf));
	return r;
}

/* ---- K-PKE (Algorithms 13, 14, 15) ---- */

/* the element (row, col) of A_hat: SampleNTT(rho || col || row) */
static int matrix_entry(poly *a, const uint8_t rho[32], unsigned row, unsigned col)
{
	return sample_ntt(a, rho, (uint8_t)col, (uint8_t)row);
}

/* K-PKE.KeyGen(d): ek (1184 bytes) and the encoded s_hat (1152 bytes) */
static int pke_keygen(const uint8_t d[32], uint8_t *ek, uint8_t *dk_pke)
{
	uint8_t seed[33], rhosigma[64];
	const uint8_t *rho = rhosigma, *sigma = rhosigma + 32;
	poly s[K], e, t, a;
	unsigned i, j;
	int r;

	memcpy(seed, d, 32);
	seed[32] = K; /* domain separation of the final standard */
	if ((r = hash2(EVP_sha3_512(), seed, 33, NULL, 0, rhosigma, 64)) < 0) {
		goto out;
	}
	for (i = 0; i < K; i++) {
		if ((r = sample_cbd(&s[i], sigma, (uint8_t)i)) < 0) {
			goto out;
		}
		ntt(&s[i]);
	}
	for (i = 0; i < K; i++) {
		if ((r = sample_cbd(&e, sigma, (uint8_t)(K + i))) < 0) {
			goto out;
		}
		ntt(&e);
		memset(&t, 0, sizeof(t));
		for (j = 0; j < K; j++) {
			if ((r = matrix_entry(&a, rho, i, j)) < 0) {
				goto out;
			}
			ntt_mul_acc(&t, &a, &s[j]);
		}
		poly_add(&t, &e);
		byte_encode(&t, 12, ek + i * POLY_12);
		byte_encode(&s[i], 12, dk_pke + i * POLY_12);
	}
	memcpy(ek + PKE_DK, rho, 32);
out:
	OPENSSL_cleanse(seed, sizeof(seed));
	OPENSSL_cleanse(rhosigma, sizeof(rhosigma));
	OPENSSL_cleanse(s, sizeof(s));
	OPENSSL_cleanse(&e, sizeof(e));
	OPENSSL_cleanse(&t, sizeof(t));
	return r;
}

/* K-PKE.Encrypt(ek, m, rand): the ciphertext (1088 bytes) */
static int pke_encrypt(const uint8_t *ek, const uint8_t m[32], const uint8_t rand[32], uint8_t *ct)
{
	const uint8_t *rho = ek + PKE_DK;
	poly y[K], e, u, v, a;
	unsigned i, j;
	int r;

	for (i = 0; i < K; i++) {
		if ((r = sample_cbd(&y[i], rand, (uint8_t)i)) < 0) {
			goto out;
		}
		ntt(&y[i]);
	}
	for (i = 0; i < K; i++) {
		/* u[i] = NTT^-1(sum_j A_hat[j][i] * y_hat[j]) + e1[i] */
		memset(&u, 0, sizeof(u));
		for (j = 0; j < K; j++) {
			if ((r = matrix_entry(&a, rho, j, i)) < 0) {
				goto out;
			}
			ntt_mul_acc(&u, &a, &y[j]);
		}
		ntt_inverse(&u);
		if ((r = sample_cbd(&e, rand, (uint8_t)(K + i))) < 0) {
			goto out;
		}
		poly_add(&u, &e);
		for (j = 0; j < N; j++) {
			u.c[j] = compress(u.c[j], DU);
		}
		byte_encode(&u, DU, ct + i * (N * DU / 8));
	}
	/* v = NTT^-1(t_hat . y_hat) + e2 + Decompress_1(m) */
	memset(&v, 0, sizeof(v));
	for (j = 0; j < K; j++) {
		byte_decode(&a, 12, ek + j * POLY_12);
		ntt_mul_acc(&v, &a, &y[j]);
	}
	ntt_inverse(&v);
	if ((r = sample_cbd(&e, rand, (uint8_t)(2 * K))) < 0) {
		goto out;
	}
	poly_add(&v, &e);
	byte_decode(&e, 1, m);
	for (j = 0; j < N; j++) {
		v.c[j] = compress(fqadd(v.c[j], decompress(e.c[j], 1)), DV);
	}
	byte_encode(&v, DV, ct + CT_U);
out:
	OPENSSL_cleanse(y, sizeof(y));
	OPENSSL_cleanse(&e, sizeof(e));
	OPENSSL_cleanse(&u, sizeof(u));
	OPENSSL_cleanse(&v, sizeof(v));
	return r;
}

/* K-PKE.Decrypt(dk_pke, c): the 32-byte message */
static void pke_decrypt(const uint8_t *dk_pke, const uint8_t *ct, uint8_t m[32])
{
	poly u, s, w, v;
	unsigned i, j;

	memset(&w, 0, sizeof(w));
	for (i = 0; i < K; i++) {
		byte_decode(&u, DU, ct + i * (N * DU / 8));
		for (j = 0; j < N; j++) {
			u.c[j] = decompress(u.c[j], DU);
		}
		ntt(&u);
		byte_decode(&s, 12, dk_pke + i * POLY_12);
		ntt_mul_acc(&w, &s, &u);
	}
	ntt_inverse(&w);
	byte_decode(&v, DV, ct + CT_U);
	for (j = 0; j < N; j++) {
		w.c[j] = compress(fqsub(decompress(v.c[j], DV), w.c[j]), 1);
	}
	byte_encode(&w, 1, m);
	OPENSSL_cleanse(&s, sizeof(s));
	OPENSSL_cleanse(&w, sizeof(w));
	OPENSSL_cleanse(&u, sizeof(u));
}

/* ---- ML-KEM (Algorithms 16, 17, 18 and the checks of section 7) ---- */

int mlkem768_keygen_internal(const uint8_t d[MLKEM_SEED_BYTES], const uint8_t z[MLKEM_SEED_BYTES],
    uint8_t ek[MLKEM768_EK_BYTES], uint8_t dk[MLKEM768_DK_BYTES])
{
	int r;

	if ((r = pke_keygen(d, ek, dk)) < 0) {
		goto out;
	}
	/* dk = dk_pke || ek || H(ek) || z */
	memcpy(dk + PKE_DK, ek, MLKEM768_EK_BYTES);
	if ((r = hash2(EVP_sha3_256(), ek, MLKEM768_EK_BYTES, NULL, 0,
	         dk + PKE_DK + MLKEM768_EK_BYTES, 32)) < 0) {
		goto out;
	}
	memcpy(dk + MLKEM768_DK_BYTES - 32, z, 32);
out:
	if (r < 0) {
		OPENSSL_cleanse(ek, MLKEM768_EK_BYTES);
		OPENSSL_cleanse(dk, MLKEM768_DK_BYTES);
	}
	return r;
}

int mlkem768_keygen(uint8_t ek[MLKEM768_EK_BYTES], uint8_t dk[MLKEM768_DK_BYTES])
{
	uint8_t dz[64];
	int r = SSH_ERR_LIBCRYPTO;

	if (ssh_rand_bytes(dz, sizeof(dz)) != 0) {
		OPENSSL_cleanse(ek, MLKEM768_EK_BYTES);
		OPENSSL_cleanse(dk, MLKEM768_DK_BYTES);
		goto out;
	}
	r = mlkem768_keygen_internal(dz, dz + 32, ek, dk);
out:
	OPENSSL_cleanse(dz, sizeof(dz));
	return r;
}

/* the modulus check of section 7.2: ByteEncode12(ByteDecode12(ek)) == ek, i.e. every 12-bit
 * coefficient of t_hat is below q (ek is public: this may branch) */
static int ek_check(const uint8_t *ek)
{
	uint8_t again[POLY_12];
	poly t;
	unsigned i;

	for (i = 0; i < K; i++) {
		byte_decode(&t, 12, ek + i * POLY_12);
		byte_encode(&t, 12, again);
		if (memcmp(again, ek + i * POLY_12, POLY_12) != 0) {
			return SSH_ERR_FORMAT;
		}
	}
	return 0;
}

int mlkem768_encaps_internal(const uint8_t ek[MLKEM768_EK_BYTES], const uint8_t m[MLKEM_SEED_BYTES],
    uint8_t ct[MLKEM768_CT_BYTES], uint8_t key[MLKEM_SHARED_BYTES])
{
	uint8_t mh[64], kr[64];
	int r;

	if ((r = ek_check(ek)) < 0) {
		goto out;
	}
	/* (K, r) = G(m || H(ek)); c = K-PKE.Encrypt(ek, m, r) */
	memcpy(mh, m, 32);
	if ((r = hash2(EVP_sha3_256(), ek, MLKEM768_EK_BYTES, NULL, 0, mh + 32, 32)) < 0 ||
	    (r = hash2(EVP_sha3_512(), mh, 64, NULL, 0, kr, 64)) < 0 ||
	    (r = pke_encrypt(ek, m, kr + 32, ct)) < 0) {
		goto out;
	}
	memcpy(key, kr, MLKEM_SHARED_BYTES);
out:
	if (r < 0) {
		OPENSSL_cleanse(ct, MLKEM768_CT_BYTES);
		OPENSSL_cleanse(key, MLKEM_SHARED_BYTES);
	}
	OPENSSL_cleanse(mh, sizeof(mh));
	OPENSSL_cleanse(kr, sizeof(kr));
	return r;
}

int mlkem768_encaps(const uint8_t ek[MLKEM768_EK_BYTES], uint8_t ct[MLKEM768_CT_BYTES],
    uint8_t key[MLKEM_SHARED_BYTES])
{
	uint8_t m[32];
	int r = SSH_ERR_LIBCRYPTO;

	if (ssh_rand_bytes(m, sizeof(m)) != 0) {
		OPENSSL_cleanse(ct, MLKEM768_CT_BYTES);
		OPENSSL_cleanse(key, MLKEM_SHARED_BYTES);
		goto out;
	}
	r = mlkem768_encaps_internal(ek, m, ct, key);
out:
	OPENSSL_cleanse(m, sizeof(m));
	return r;
}

/* an optimisation barrier: the compiler cannot know the value, so it cannot turn the masked
 * select below back into a branch */
static uint8_t opaque(uint8_t x)
{
#if defined(__GNUC__)
	__asm__("" : "+r"(x));
#endif
	return x;
}

int mlkem768_decaps(const uint8_t dk[MLKEM768_DK_BYTES], const uint8_t ct[MLKEM768_CT_BYTES],
    uint8_t key[MLKEM_SHARED_BYTES])
{
	const uint8_t *dk_pke = dk, *ek = dk + PKE_DK, *h = ek + MLKEM768_EK_BYTES, *z = h + 32;
	uint8_t hek[32], mh[64], kr[64], kbar[32], ct2[MLKEM768_CT_BYTES];
	uint8_t diff = 0, keep;
	size_t i;
	int r;

	/* the hash check of section 7.3: H(ek) stored in dk is the hash of the ek stored there */
	if ((r = hash2(EVP_sha3_256(), ek, MLKEM768_EK_BYTES, NULL, 0, hek, 32)) < 0) {
		goto out;
	}
	if (CRYPTO_memcmp(hek, h, 32) != 0) {
		r = SSH_ERR_FORMAT;
		goto out;
	}
	/* m' = Decrypt(dk_pke, c); (K', r') = G(m' || h); K_bar = J(z || c); c' = Encrypt(ek, m',
	 * r') */
	pke_decrypt(dk_pke, ct, mh);
	memcpy(mh + 32, h, 32);
	if ((r = hash2(EVP_sha3_512(), mh, 64, NULL, 0, kr, 64)) < 0 ||
	    (r = hash2(EVP_shake256(), z, 32, ct, MLKEM768_CT_BYTES, kbar, 32)) < 0 ||
	    (r = pke_encrypt(ek, mh, kr + 32, ct2)) < 0) {
		goto out;
	}
	/* constant-time: keep = 0xff when c == c', else 0; K = keep ? K' : K_bar */
	for (i = 0; i < MLKEM768_CT_BYTES; i++) {
		diff |= (uint8_t)(ct[i] ^ ct2[i]);
	}
	keep = opaque((uint8_t)(((uint32_t)diff - 1u) >> 8));
	for (i = 0; i < MLKEM_SHARED_BYTES; i++) {
		key[i] = (uint8_t)((kr[i] & keep) | (kbar[i] & (uint8_t)~keep));
	}
out:
	if (r < 0) {
		OPENSSL_cleanse(key, MLKEM_SHARED_BYTES);
	}
	OPENSSL_cleanse(mh, sizeof(mh));
	OPENSSL_cleanse(kr, sizeof(kr));
	OPENSSL_cleanse(kbar, sizeof(kbar));
	OPENSSL_cleanse(ct2, sizeof(ct2));
	return r;
}
