/* Streamlined NTRU Prime sntrup761, from the NTRU Prime round 3 specification.
 *
 * Rings: R/q = Z_q[x]/(x^p - x - 1) and R/3 = Z_3[x]/(x^p - x - 1), p = 761, q = 4591. A "small"
 * polynomial has coefficients in {-1, 0, 1}; a "short" one is small with exactly w = 286 non-zero
 * coefficients. KeyGen: g small and invertible in R/3, f short, h = g / (3f) in R/q; pk = h,
 * sk = (f, 1/g). Encrypt(r): Round(h r), each coefficient rounded to a multiple of 3. Decrypt(c):
 * e = 3 f c lifted to the centred range, reduced mod 3, times 1/g in R/3: r when the weight is w.
 * The KEM hides r as c || HashConfirm and derives the session key from Hash(3 || r) and the
 * ciphertext; a ciphertext that does not re-encrypt to itself keys from rho instead (implicit
 * rejection). Hash(b || x) is the first 32 bytes of SHA-512.
 *
 * Constant time: every loop bound and array index is public; comparisons and selections on
 * secret values are masks; reductions are multiplications and shifts. The short polynomials come
 * from sorting a list of random words with a sorting network whose comparisons depend only on the
 * list's length. Inversions are Bernstein-Yang style divstep loops of a fixed 2p - 1 steps.
 * Decoding (pk, ct) divides, but only public data. */
#include "sntrup761.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "err.h"
#include "rand.h"

#define P           761
#define Q           4591
#define W           286
#define Q12         2295   /* (q - 1) / 2 */
#define FQ_RECIP    935519 /* round(2^32 / q) */
#define Q_INV3      3061   /* 1/3 mod q */
#define SMALL_BYTES 191    /* four coefficients a byte */
#define RQ_BYTES    1158
#define RND_BYTES   1007 /* Encode of the rounded c */
#define HASH_BYTES  32
#define KEYGEN_MAX  64 /* attempts at an invertible g; 64 failures mean a broken generator */

/* the secret key's parts */
#define SK_F   0
#define SK_V   SMALL_BYTES
#define SK_PK  (2 * SMALL_BYTES)
#define SK_RHO (SK_PK + RQ_BYTES)
#define SK_PKH (SK_RHO + SMALL_BYTES)

typedef int8_t small;
typedef int16_t fq; /* always in [-q12, q12] */

/* ---- constant-time helpers ---- */

/* -1 when x < 0, else 0 */
static int32_t neg_mask(int32_t x)
{
	return -(int32_t)((uint32_t)x >> 31);
}

/* -1 when x != 0, else 0 */
static int32_t nonzero_mask(int32_t x)
{
	uint32_t u = (uint32_t)x;

	return -(int32_t)((u | (0u - u)) >> 31);
}

/* x mod q in [-q12, q12], for |x| < 2^30: round(x / q) from a 32-bit reciprocal is off by at most
 * one, which the two masked corrections absorb */
static fq fq_freeze(int32_t x)
{
	int32_t k = (int32_t)(((int64_t)x * FQ_RECIP + ((int64_t)1 << 31)) >> 32);
	int32_t r = x - k * Q;

	r -= Q & neg_mask(Q12 - r);
	r += Q & neg_mask(r + Q12);
	return (fq)r;
}

/* x mod 3 in {-1, 0, 1}, for |x| <= 10000: y = x + 10003 is positive and x + 1 mod 3, and
 * (y * 21846) >> 16 is floor(y / 3) for every y below 2^15 */
static small f3_freeze(int32_t x)
{
	int32_t y = x + 10003;

	return (small)(y - 3 * ((y * 21846) >> 16) - 1);
}

/* a^(q-2) = 1/a mod q (the exponent is public) */
static fq fq_recip(fq a)
{
	int32_t r = 1, b = a;
	int e;

	for (e = Q - 2; e > 0; e >>= 1) {
		if (e & 1) {
			r = fq_freeze(r * b);
		}
		b = fq_freeze(b * b);
	}
	return (fq)r;
}

/* ---- sorting network ---- */

static void minmax(uint32_t *a, uint32_t *b)
{
	/* all ones when *b < *a */
	uint32_t m = (uint32_t)(((uint64_t)*b - (uint64_t)*a) >> 32);
	uint32_t t = (*a ^ *b) & m;

	*a ^= t;
	*b ^= t;
}

/* Batcher's merge exchange (Knuth, TAOCP vol. 3, 5.2.2 algorithm M): ascending order, the pairs
 * compared depend only on n */
static void sort_u32(uint32_t *x, size_t n)
{
	size_t t = 0, pp, qq, r, d, i;

	if (n < 2) {
		return;
	}
	while (((size_t)1 << t) < n) {
		t++;
	}
	for (pp = (size_t)1 << (t - 1); pp > 0; pp >>= 1) {
		qq = (size_t)1 << (t - 1);
		r = 0;
		d = pp;
		for (;;) {
			for (i = 0; i + d < n; i++) {
				if ((i & pp) == r) {
					minmax(&x[i], &x[i + d]);
				}
			}
			if (qq == pp) {
				break;
			}
			d = qq - pp;
			qq >>= 1;
			r = pp;
		}
	}
}

/* ---- random polynomials ---- */

static int random_words(sntrup761_rng rng, void *ctx, uint32_t l[P])
{
	uint8_t b[4 * P];
	size_t i;
	int r;

	if ((r = rng(ctx, b, sizeof(b))) != 0) {
		OPENSSL_cleanse(b, sizeof(b));
		return r;
	}
	for (i = 0; i < P; i++) {
		l[i] = (uint32_t)b[4 * i] | (uint32_t)b[4 * i + 1] << 8 |
		       (uint32_t)b[4 * i + 2] << 16 | (uint32_t)b[4 * i + 3] << 24;
	}
	OPENSSL_cleanse(b, sizeof(b));
	return 0;
}

/* a small polynomial: each coefficient floor(3 * (word mod 2^30) / 2^30) - 1 */
static int small_random(sntrup761_rng rng, void *ctx, small out[P])
{
	uint32_t l[P];
	size_t i;
	int r;

	if ((r = random_words(rng, ctx, l)) == 0) {
		for (i = 0; i < P; i++) {
			out[i] = (small)((int32_t)(((l[i] & 0x3fffffffu) * 3) >> 30) - 1);
		}
	}
	OPENSSL_cleanse(l, sizeof(l));
	return r;
}

/* a short polynomial: w words tagged +-1 (low bits 0 or 2), p - w tagged 0 (low bits 1), sorted by
 * their random high bits, the tags read off in the new order */
static int short_random(sntrup761_rng rng, void *ctx, small out[P])
{
	uint32_t l[P];
	size_t i;
	int r;

	if ((r = random_words(rng, ctx, l)) == 0) {
		for (i = 0; i < P; i++) {
			l[i] = i < W ? l[i] & ~1u : (l[i] & ~3u) | 1u;
		}
		sort_u32(l, P);
		for (i = 0; i < P; i++) {
			out[i] = (small)((int32_t)(l[i] & 3) - 1);
		}
	}
	OPENSSL_cleanse(l, sizeof(l));
	return r;
}

/* ---- ring arithmetic ---- */

/* fold a product of degree 2p - 2 with x^p = x + 1 */
static void fold(int32_t c[2 * P - 1])
{
	size_t i;

	for (i = 2 * P - 2; i >= P; i--) {
		c[i - P] += c[i];
		c[i - P + 1] += c[i];
	}
}

/* h = f g in R/q, g small */
static void rq_mul_small(fq h[P], const fq f[P], const small g[P])
{
	int32_t c[2 * P - 1] = {0};
	size_t i, j;

	for (i = 0; i < P; i++) {
		int32_t fi = f[i];
		for (j = 0; j < P; j++) {
			c[i + j] += fi * g[j];
		}
	}
	fold(c);
	for (i = 0; i < P; i++) {
		h[i] = fq_freeze(c[i]);
	}
	OPENSSL_cleanse(c, sizeof(c));
}

/* h = f g in R/3 */
static void r3_mul(small h[P], const small f[P], const small g[P])
{
	int32_t c[2 * P - 1] = {0};
	size_t i, j;

	for (i = 0; i < P; i++) {
		int32_t fi = f[i];
		for (j = 0; j < P; j++) {
			c[i + j] += fi * g[j];
		}
	}
	fold(c);
	for (i = 0; i < P; i++) {
		h[i] = f3_freeze(c[i]);
	}
	OPENSSL_cleanse(c, sizeof(c));
}

/*
 * The divstep inversions. f starts as the reversed modulus (1 - x^(p-1) - x^p), g as the reversed
 * input; each of the 2p - 1 steps swaps (f, v) with (g, r) when delta > 0 and g(0) != 0, then sets
 * g = (f(0) g - g(0) f) / x and r = f(0) r - g(0) v, with v multiplied by x first. At the end the
 * input is invertible exactly when delta = 0, and its inverse is v reversed, divided by f(0).
 * Coefficients above index min(k, p) of v and r are zero at step k; those of f and g above
 * 2p - 1 - k can no longer reach index 0, so the loops stop there (bounds that depend on k only).
 */
#define STEPS (2 * P - 1)

static size_t vr_top(size_t k)
{
	return k < P ? k : P;
}

static size_t fg_top(size_t k)
{
	return 2 * P - 1 - k < P ? 2 * P - 1 - k : P;
}

/* out = 1/in in R/3: 0, or -1 when in has no inverse */
static int r3_recip(small out[P], const small in[P])
{
	small f[P + 1] = {0}, g[P + 1] = {0}, v[P + 1] = {0}, r[P + 1] = {0};
	int32_t delta = 1, swap, f0, g0, t;
	size_t i, k, top;

	f[0] = 1;
	f[P - 1] = f[P] = -1;
	for (i = 0; i < P; i++) {
		g[P - 1 - i] = in[i];
	}
	r[0] = 1;
	for (k = 0; k < STEPS; k++) {
		memmove(v + 1, v, P);
		v[0] = 0;
		swap = neg_mask(-delta) & nonzero_mask(g[0]);
		delta ^= swap & (delta ^ -delta);
		delta += 1;
		top = fg_top(k);
		for (i = 0; i <= top; i++) {
			t = swap & (f[i] ^ g[i]);
			f[i] = (small)(f[i] ^ t);
			g[i] = (small)(g[i] ^ t);
		}
		top = vr_top(k);
		for (i = 0; i <= top; i++) {
			t = swap & (v[i] ^ r[i]);
			v[i] = (small)(v[i] ^ t);
			r[i] = (small)(r[i] ^ t);
		}
		f0 = f[0];
		g0 = g[0];
		top = fg_top(k);
		for (i = 0; i <= top; i++) {
			g[i] = f3_freeze(f0 * g[i] - g0 * f[i]);
		}
		top = vr_top(k);
		for (i = 0; i <= top; i++) {
			r[i] = f3_freeze(f0 * r[i] - g0 * v[i]);
		}
		memmove(g, g + 1, P);
		g[P] = 0;
	}
	for (i = 0; i < P; i++) {
		out[i] = (small)(f[0] * v[P - 1 - i]); /* 1/f(0) = f(0) in Z_3 */
	}
	OPENSSL_cleanse(f, sizeof(f));
	OPENSSL_cleanse(g, sizeof(g));
	OPENSSL_cleanse(v, sizeof(v));
	OPENSSL_cleanse(r, sizeof(r));
	return nonzero_mask(delta);
}

/* out = 1/(3 in) in R/q: always exists for a short in (R/q is a field) */
static void rq_recip3(fq out[P], const small in[P])
{
	fq f[P + 1] = {0}, g[P + 1] = {0}, v[P + 1] = {0}, r[P + 1] = {0};
	int32_t delta = 1, swap, f0, g0, t;
	size_t i, k, top;
	fq scale;

	f[0] = 1;
	f[P - 1] = f[P] = -1;
	for (i = 0; i < P; i++) {
		g[P - 1 - i] = in[i];
	}
	r[0] = Q_INV3 - Q; /* centred */
	for (k = 0; k < STEPS; k++) {
		memmove(v + 1, v, P * sizeof(fq));
		v[0] = 0;
		swap = neg_mask(-delta) & nonzero_mask(g[0]);
		delta ^= swap & (delta ^ -delta);
		delta += 1;
		top = fg_top(k);
		for (i = 0; i <= top; i++) {
			t = swap & (f[i] ^ g[i]);
			f[i] = (fq)(f[i] ^ t);
			g[i] = (fq)(g[i] ^ t);
		}
		top = vr_top(k);
		for (i = 0; i <= top; i++) {
			t = swap & (v[i] ^ r[i]);
			v[i] = (fq)(v[i] ^ t);
			r[i] = (fq)(r[i] ^ t);
		}
		f0 = f[0];
		g0 = g[0];
		top = fg_top(k);
		for (i = 0; i <= top; i++) {
			g[i] = fq_freeze(f0 * g[i] - g0 * f[i]);
		}
		top = vr_top(k);
		for (i = 0; i <= top; i++) {
			r[i] = fq_freeze(f0 * r[i] - g0 * v[i]);
		}
		memmove(g, g + 1, P * sizeof(fq));
		g[P] = 0;
	}
	scale = fq_recip(f[0]);
	for (i = 0; i < P; i++) {
		out[i] = fq_freeze(scale * v[P - 1 - i]);
	}
	OPENSSL_cleanse(f, sizeof(f));
	OPENSSL_cleanse(g, sizeof(g));
	OPENSSL_cleanse(v, sizeof(v));
	OPENSSL_cleanse(r, sizeof(r));
}

/* ---- encodings ---- */

/*
 * The specification's Encode of a list R with R[i] < M[i]: pairs are merged into one number below
 * M[i] M[i+1], whose low bytes go out while its bound is at least 2^14; the list of half the
 * length is encoded next; a single number goes out in bytes until its bound reaches 1. Only
 * multiplications and shifts of the values: constant-time for the re-encryption in Decap.
 */
static uint8_t *encode(uint8_t *out, const uint16_t *rv, const uint16_t *mv, size_t len)
{
	uint16_t r2[(P + 1) / 2] = {0}, m2[(P + 1) / 2] = {0};
	uint32_t r, m;
	size_t i;

	if (len == 1) {
		for (r = rv[0], m = mv[0]; m > 1; m = (m + 255) >> 8, r >>= 8) {
			*out++ = (uint8_t)r;
		}
		return out;
	}
	for (i = 0; i + 1 < len; i += 2) {
		r = rv[i] + (uint32_t)rv[i + 1] * mv[i];
		m = (uint32_t)mv[i] * mv[i + 1];
		while (m >= 16384) {
			*out++ = (uint8_t)r;
			r >>= 8;
			m = (m + 255) >> 8;
		}
		r2[i / 2] = (uint16_t)r;
		m2[i / 2] = (uint16_t)m;
	}
	if (i < len) {
		r2[i / 2] = rv[i];
		m2[i / 2] = mv[i];
	}
	out = encode(out, r2, m2, (len + 1) / 2);
	OPENSSL_cleanse(r2, sizeof(r2));
	return out;
}

/* The inverse of encode, for public data (pk, ct): out-of-range input decodes to some values in
 * range, never out of bounds. */
static void decode(uint16_t *out, const uint8_t *s, const uint16_t *mv, size_t len)
{
	uint16_t r2[(P + 1) / 2] = {0}, m2[(P + 1) / 2] = {0};
	uint32_t bot_r[P / 2], bot_t[P / 2], m, r;
	size_t i;

	if (len == 1) {
		if (mv[0] == 1) {
			out[0] = 0;
		} else if (mv[0] <= 256) {
			out[0] = (uint16_t)(s[0] % mv[0]);
		} else {
			out[0] = (uint16_t)((s[0] + ((uint32_t)s[1] << 8)) % mv[0]);
		}
		return;
	}
	for (i = 0; i + 1 < len; i += 2) {
		m = (uint32_t)mv[i] * mv[i + 1];
		if (m > 256 * 16383) {
			bot_t[i / 2] = 65536;
			bot_r[i / 2] = s[0] + 256 * (uint32_t)s[1];
			s += 2;
			m2[i / 2] = (uint16_t)((((m + 255) >> 8) + 255) >> 8);
		} else if (m >= 16384) {
			bot_t[i / 2] = 256;
			bot_r[i / 2] = s[0];
			s += 1;
			m2[i / 2] = (uint16_t)((m + 255) >> 8);
		} else {
			bot_t[i / 2] = 1;
			bot_r[i / 2] = 0;
			m2[i / 2] = (uint16_t)m;
		}
	}
	if (i < len) {
		m2[i / 2] = mv[i];
	}
	decode(r2, s, m2, (len + 1) / 2);
	for (i = 0; i + 1 < len; i += 2) {
		r = bot_r[i / 2] + bot_t[i / 2] * r2[i / 2];
		out[i] = (uint16_t)(r % mv[i]);
		out[i + 1] = (uint16_t)((r / mv[i]) % mv[i + 1]);
	}
	if (i < len) {
		out[i] = r2[i / 2];
	}
}

static void fill_u16(uint16_t *m, uint16_t v)
{
	size_t i;

	for (i = 0; i < P; i++) {
		m[i] = v;
	}
}

static void rq_encode(uint8_t out[RQ_BYTES], const fq h[P])
{
	uint16_t rv[P], mv[P];
	size_t i;

	for (i = 0; i < P; i++) {
		rv[i] = (uint16_t)(h[i] + Q12);
	}
	fill_u16(mv, Q);
	encode(out, rv, mv, P);
}

static void rq_decode(fq h[P], const uint8_t in[RQ_BYTES])
{
	uint16_t rv[P], mv[P];
	size_t i;

	fill_u16(mv, Q);
	decode(rv, in, mv, P);
	for (i = 0; i < P; i++) {
		h[i] = (fq)(rv[i] - Q12);
	}
}

/* Round(h): each coefficient to the nearest multiple of 3, then (c + q12) / 3 < 1531 encoded */
static void round_encode(uint8_t out[RND_BYTES], const fq h[P])
{
	uint16_t rv[P], mv[P];
	size_t i;
	int32_t c;

	for (i = 0; i < P; i++) {
		c = h[i] - f3_freeze(h[i]) + Q12;      /* a multiple of 3 in [0, q - 1] */
		rv[i] = (uint16_t)((c * 10923) >> 15); /* exact c / 3 below 2^14 */
	}
	fill_u16(mv, (Q + 2) / 3);
	encode(out, rv, mv, P);
	OPENSSL_cleanse(rv, sizeof(rv));
}

static void rounded_decode(fq h[P], const uint8_t in[RND_BYTES])
{
	uint16_t rv[P], mv[P];
	size_t i;

	fill_u16(mv, (Q + 2) / 3);
	decode(rv, in, mv, P);
	for (i = 0; i < P; i++) {
		h[i] = (fq)(3 * rv[i] - Q12);
	}
}

/* four coefficients a byte, each plus one in two bits, the first in the low bits */
static void small_encode(uint8_t out[SMALL_BYTES], const small f[P])
{
	size_t i, j;
	uint32_t b;

	for (i = 0; i < SMALL_BYTES; i++) {
		for (b = 0, j = 0; j < 4 && 4 * i + j < P; j++) {
			b |= (uint32_t)(f[4 * i + j] + 1) << (2 * j);
		}
		out[i] = (uint8_t)b;
	}
}

static void small_decode(small f[P], const uint8_t in[SMALL_BYTES])
{
	size_t i;

	for (i = 0; i < P; i++) {
		f[i] = (small)(((in[i / 4] >> (2 * (i % 4))) & 3) - 1);
	}
}

/* ---- hashes ---- */

/* out = first 32 bytes of SHA-512(b || x || y) */
static int hash_prefix(
    uint8_t out[HASH_BYTES], uint8_t b, const uint8_t *x, size_t xl, const uint8_t *y, size_t yl)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint8_t h[64];
	unsigned int hl = 0;
	int r = SSH_ERR_LIBCRYPTO;

	if (ctx != NULL && EVP_DigestInit_ex(ctx, EVP_sha512(), NULL) &&
	    EVP_DigestUpdate(ctx, &b, 1) && EVP_DigestUpdate(ctx, x, xl) &&
	    (yl == 0 || EVP_DigestUpdate(ctx, y, yl)) && EVP_DigestFinal_ex(ctx, h, &hl) &&
	    hl == sizeof(h)) {
		memcpy(out, h, HASH_BYTES);
		r = 0;
	}
	OPENSSL_cleanse(h, sizeof(h));
	EVP_MD_CTX_free(ctx);
	return r;
}

/* ---- the KEM ---- */

/* Hide: r_enc = Encode(r), ct = Round(h r) || Hash(2 || Hash(3 || r_enc) || Hash(4 || pk)) */
static int hide(uint8_t ct[SNTRUP761_CT_BYTES], uint8_t r_enc[SMALL_BYTES], const small r[P],
    const uint8_t pk[RQ_BYTES], const uint8_t pk_hash[HASH_BYTES])
{
	fq h[P], c[P];
	uint8_t h3[HASH_BYTES];
	int rv;

	small_encode(r_enc, r);
	rq_decode(h, pk);
	rq_mul_small(c, h, r);
	round_encode(ct, c);
	if ((rv = hash_prefix(h3, 3, r_enc, SMALL_BYTES, NULL, 0)) == 0) {
		rv = hash_prefix(ct + RND_BYTES, 2, h3, HASH_BYTES, pk_hash, HASH_BYTES);
	}
	OPENSSL_cleanse(c, sizeof(c));
	OPENSSL_cleanse(h3, sizeof(h3));
	return rv;
}

/* the session key Hash(b || Hash(3 || r_enc) || ct) */
static int session_key(uint8_t ss[SNTRUP761_SS_BYTES], uint8_t b, const uint8_t r_enc[SMALL_BYTES],
    const uint8_t ct[SNTRUP761_CT_BYTES])
{
	uint8_t h3[HASH_BYTES];
	int rv;

	if ((rv = hash_prefix(h3, 3, r_enc, SMALL_BYTES, NULL, 0)) == 0) {
		rv = hash_prefix(ss, b, h3, HASH_BYTES, ct, SNTRUP761_CT_BYTES);
	}
	OPENSSL_cleanse(h3, sizeof(h3));
	return rv;
}

int sntrup761_keygen_rng(
    uint8_t pk[SNTRUP761_PK_BYTES], uint8_t sk[SNTRUP761_SK_BYTES], sntrup761_rng rng, void *ctx)
{
	small g[P], v[P], f[P];
	fq finv[P], h[P];
	int tries, rv = SSH_ERR_LIBCRYPTO;

	for (tries = 0; tries < KEYGEN_MAX; tries++) {
		/* the retry depends on a g that is thrown away: it tells nothing of the key */
		if ((rv = small_random(rng, ctx, g)) != 0 || r3_recip(v, g) == 0) {
			break;
		}
		rv = SSH_ERR_LIBCRYPTO;
	}
	if (rv != 0 || (rv = short_random(rng, ctx, f)) != 0) {
		goto out;
	}
	rq_recip3(finv, f);
	rq_mul_small(h, finv, g);
	rq_encode(pk, h);
	small_encode(sk + SK_F, f);
	small_encode(sk + SK_V, v);
	memcpy(sk + SK_PK, pk, RQ_BYTES);
	if ((rv = rng(ctx, sk + SK_RHO, SMALL_BYTES)) != 0 ||
	    (rv = hash_prefix(sk + SK_PKH, 4, pk, RQ_BYTES, NULL, 0)) != 0) {
		goto out;
	}
out:
	if (rv != 0) {
		OPENSSL_cleanse(pk, SNTRUP761_PK_BYTES);
		OPENSSL_cleanse(sk, SNTRUP761_SK_BYTES);
	}
	OPENSSL_cleanse(g, sizeof(g));
	OPENSSL_cleanse(v, sizeof(v));
	OPENSSL_cleanse(f, sizeof(f));
	OPENSSL_cleanse(finv, sizeof(finv));
	return rv;
}

static int rand_rng(void *ctx, uint8_t *out, size_t len)
{
	(void)ctx;
	return ssh_rand_bytes(out, len);
}

int sntrup761_keygen(uint8_t pk[SNTRUP761_PK_BYTES], uint8_t sk[SNTRUP761_SK_BYTES])
{
	return sntrup761_keygen_rng(pk, sk, rand_rng, NULL);
}

/* the seeded generator: SHA-512(seed || counter) blocks, read as one stream */
struct seed_stream {
	const uint8_t *seed;
	uint32_t counter;
	uint8_t block[64];
	size_t used;
};

static int seed_rng(void *ctx, uint8_t *out, size_t len)
{
	struct seed_stream *s = ctx;
	EVP_MD_CTX *c = NULL;
	uint8_t cb[4];
	size_t n;
	int r = 0;

	while (len > 0 && r == 0) {
		if (s->used == sizeof(s->block)) {
			cb[0] = (uint8_t)(s->counter >> 24);
			cb[1] = (uint8_t)(s->counter >> 16);
			cb[2] = (uint8_t)(s->counter >> 8);
			cb[3] = (uint8_t)s->counter;
			s->counter++;
			s->used = 0;
			if ((c = EVP_MD_CTX_new()) == NULL ||
			    !EVP_DigestInit_ex(c, EVP_sha512(), NULL) ||
			    !EVP_DigestUpdate(c, s->seed, SNTRUP761_SEED_BYTES) ||
			    !EVP_DigestUpdate(c, cb, sizeof(cb)) ||
			    !EVP_DigestFinal_ex(c, s->block, NULL)) {
				r = SSH_ERR_LIBCRYPTO;
			}
			EVP_MD_CTX_free(c);
			c = NULL;
			continue;
		}
		n = sizeof(s->block) - s->used < len ? sizeof(s->block) - s->used : len;
		memcpy(out, s->block + s->used, n);
		s->used += n;
		out += n;
		len -= n;
	}
	return r;
}

int sntrup761_keygen_seeded(const uint8_t seed[SNTRUP761_SEED_BYTES],
    uint8_t pk[SNTRUP761_PK_BYTES], uint8_t sk[SNTRUP761_SK_BYTES])
{
	struct seed_stream s = {.seed = seed, .used = 64};
	int rv = sntrup761_keygen_rng(pk, sk, seed_rng, &s);

	OPENSSL_cleanse(&s, sizeof(s));
	return rv;
}

int sntrup761_encaps_rng(const uint8_t pk[SNTRUP761_PK_BYTES], uint8_t ct[SNTRUP761_CT_BYTES],
    uint8_t ss[SNTRUP761_SS_BYTES], sntrup761_rng rng, void *ctx)
{
	uint8_t pk_hash[HASH_BYTES], r_enc[SMALL_BYTES];
	small r[P];
	int rv;

	if ((rv = hash_prefix(pk_hash, 4, pk, RQ_BYTES, NULL, 0)) != 0 ||
	    (rv = short_random(rng, ctx, r)) != 0 || (rv = hide(ct, r_enc, r, pk, pk_hash)) != 0 ||
	    (rv = session_key(ss, 1, r_enc, ct)) != 0) {
		OPENSSL_cleanse(ct, SNTRUP761_CT_BYTES);
		OPENSSL_cleanse(ss, SNTRUP761_SS_BYTES);
	}
	OPENSSL_cleanse(r, sizeof(r));
	OPENSSL_cleanse(r_enc, sizeof(r_enc));
	return rv;
}

int sntrup761_encaps(const uint8_t pk[SNTRUP761_PK_BYTES], uint8_t ct[SNTRUP761_CT_BYTES],
    uint8_t ss[SNTRUP761_SS_BYTES])
{
	return sntrup761_encaps_rng(pk, ct, ss, rand_rng, NULL);
}

int sntrup761_decaps(const uint8_t sk[SNTRUP761_SK_BYTES], const uint8_t ct[SNTRUP761_CT_BYTES],
    uint8_t ss[SNTRUP761_SS_BYTES])
{
	small f[P], v[P], e[P], r[P];
	fq c[P], t[P];
	uint8_t cnew[SNTRUP761_CT_BYTES], r_enc[SMALL_BYTES], diff = 0, sel;
	int32_t weight = 0, bad;
	size_t i;
	int rv;

	/* Decrypt: e = 3 f c in R/q, reduced mod 3; r = e / g in R/3 */
	rounded_decode(c, ct);
	small_decode(f, sk + SK_F);
	small_decode(v, sk + SK_V);
	rq_mul_small(t, c, f);
	for (i = 0; i < P; i++) {
		e[i] = f3_freeze(fq_freeze(3 * t[i]));
	}
	r3_mul(r, e, v);
	/* a weight other than w gives the fixed (1, ..., 1, 0, ..., 0) of weight w */
	for (i = 0; i < P; i++) {
		weight += r[i] & 1;
	}
	bad = nonzero_mask(weight - W);
	for (i = 0; i < P; i++) {
		r[i] = (small)((r[i] & ~bad) | ((i < W) & bad));
	}
	/* re-encrypt; a different ciphertext keys from rho (prefix 0) instead of r (prefix 1) */
	if ((rv = hide(cnew, r_enc, r, sk + SK_PK, sk + SK_PKH)) != 0) {
		goto out;
	}
	for (i = 0; i < SNTRUP761_CT_BYTES; i++) {
		diff |= (uint8_t)(ct[i] ^ cnew[i]);
	}
	sel = (uint8_t)nonzero_mask(diff); /* 0xff: reject */
	for (i = 0; i < SMALL_BYTES; i++) {
		r_enc[i] = (uint8_t)(r_enc[i] ^ (sel & (r_enc[i] ^ sk[SK_RHO + i])));
	}
	rv = session_key(ss, (uint8_t)(1 + (int8_t)sel), r_enc, ct);
out:
	if (rv != 0) {
		OPENSSL_cleanse(ss, SNTRUP761_SS_BYTES);
	}
	OPENSSL_cleanse(f, sizeof(f));
	OPENSSL_cleanse(v, sizeof(v));
	OPENSSL_cleanse(e, sizeof(e));
	OPENSSL_cleanse(r, sizeof(r));
	OPENSSL_cleanse(t, sizeof(t));
	OPENSSL_cleanse(cnew, sizeof(cnew));
	OPENSSL_cleanse(r_enc, sizeof(r_enc));
	return rv;
}
