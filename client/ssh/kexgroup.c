/*
 * Diffie-Hellman domain parameters: named or explicit groups as EVP keys, and the safe-prime
 * checks a group-exchange group from the server must pass (kexalg.h).
 */
#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/param_build.h>

#include "err.h"
#include "kexalg.h"
#include "sshkey.h"

int kex_dh_params_pkey(const char *ossl_name, const BIGNUM *p, const BIGNUM *g, EVP_PKEY **out)
{
	OSSL_PARAM_BLD *bld = NULL;
	int r = SSH_ERR_LIBCRYPTO;

	*out = NULL;
	if ((bld = OSSL_PARAM_BLD_new()) == NULL) {
		goto out;
	}
	if (ossl_name != NULL) {
		if (!OSSL_PARAM_BLD_push_utf8_string(
		        bld, OSSL_PKEY_PARAM_GROUP_NAME, ossl_name, 0)) {
			goto out;
		}
	} else if (!OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_FFC_P, p) ||
	           !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_FFC_G, g)) {
		goto out;
	}
	r = sshkey_from_params("DH", EVP_PKEY_KEY_PARAMETERS, bld, out);
out:
	OSSL_PARAM_BLD_free(bld);
	return r;
}

/* the RFC 3526 and RFC 7919 groups, by OpenSSL's names */
static const struct {
	const char *name;
	int bits;
} gex_known[] = {
    {"modp_2048", 2048},
    {"modp_3072", 3072},
    {"modp_4096", 4096},
    {"modp_6144", 6144},
    {"modp_8192", 8192},
    {"ffdhe2048", 2048},
    {"ffdhe3072", 3072},
    {"ffdhe4096", 4096},
    {"ffdhe6144", 6144},
    {"ffdhe8192", 8192},
};

/* 1 if p is one of gex_known (by value), 0 if not, <0 on error */
static int gex_is_known(const BIGNUM *p)
{
	EVP_PKEY *pk = NULL;
	BIGNUM *kp = NULL;
	size_t i;
	int r = 0;

	for (i = 0; i < sizeof(gex_known) / sizeof(gex_known[0]) && r == 0; i++) {
		if (gex_known[i].bits != BN_num_bits(p)) {
			continue;
		}
		if (kex_dh_params_pkey(gex_known[i].name, NULL, NULL, &pk) != 0 ||
		    !EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_FFC_P, &kp)) {
			r = SSH_ERR_LIBCRYPTO;
		} else if (BN_cmp(kp, p) == 0) {
			r = 1;
		}
		EVP_PKEY_free(pk);
		BN_free(kp);
		pk = NULL;
		kp = NULL;
	}
	return r;
}

/* the smallest of the first KEX_GEX_SMALL_PRIMES odd primes dividing n, or 0 */
static BN_ULONG small_factor(const BIGNUM *n)
{
	uint8_t composite[2100] = {0}; /* the 300th odd prime is 1993 */
	BN_ULONG q, m;
	size_t found = 0;

	for (q = 3; q < sizeof(composite) && found < KEX_GEX_SMALL_PRIMES; q += 2) {
		if (composite[q]) {
			continue;
		}
		for (m = q * q; m < sizeof(composite); m += 2 * q) {
			composite[m] = 1;
		}
		found++;
		if (BN_mod_word(n, q) == 0 && !BN_is_word(n, q)) {
			return q;
		}
	}
	return 0;
}

/* Miller-Rabin with random bases: 1 probably prime, 0 composite, <0 error. n odd, > 3. */
static int miller_rabin(const BIGNUM *n, int rounds, BN_CTX *ctx)
{
	BN_MONT_CTX *mont = NULL;
	BIGNUM *nm1, *d, *a, *x, *range;
	int s = 0, i, j, r = SSH_ERR_LIBCRYPTO;

	BN_CTX_start(ctx);
	nm1 = BN_CTX_get(ctx);
	d = BN_CTX_get(ctx);
	a = BN_CTX_get(ctx);
	x = BN_CTX_get(ctx);
	if ((range = BN_CTX_get(ctx)) == NULL || (mont = BN_MONT_CTX_new()) == NULL ||
	    !BN_MONT_CTX_set(mont, n, ctx) || !BN_sub(nm1, n, BN_value_one()) || !BN_copy(d, nm1) ||
	    !BN_sub(range, n, BN_value_one()) ||
	    !BN_sub_word(range, 3)) { /* bases in [2, n-2]: 2 + [0, n-4] */
		goto out;
	}
	while (!BN_is_odd(d)) {
		if (!BN_rshift1(d, d)) {
			goto out;
		}
		s++;
	}
	r = 1;
	for (i = 0; i < rounds && r == 1; i++) {
		if (!BN_priv_rand_range(a, range) || !BN_add_word(a, 2) ||
		    !BN_mod_exp_mont(x, a, d, n, ctx, mont)) {
			r = SSH_ERR_LIBCRYPTO;
			break;
		}
		if (BN_is_one(x) || BN_cmp(x, nm1) == 0) {
			continue;
		}
		for (j = 1; j < s; j++) {
			if (!BN_mod_sqr(x, x, n, ctx)) {
				r = SSH_ERR_LIBCRYPTO;
				break;
			}
			if (BN_cmp(x, nm1) == 0) {
				break;
			}
		}
		if (r == 1 && j >= s) {
			r = 0;
		}
	}
out:
	BN_MONT_CTX_free(mont);
	BN_CTX_end(ctx);
	return r;
}

int kex_gex_check_safe_prime(
    const BIGNUM *p, const BIGNUM *g, int *known, int *bad_generator, char *why, size_t whylen)
{
	BN_CTX *ctx = NULL;
	BIGNUM *pm1 = NULL, *q = NULL;
	BN_ULONG f;
	int k, r = SSH_ERR_FORMAT;

	if (known != NULL) {
		*known = 0;
	}
	*bad_generator = 0;
	snprintf(why, whylen, "%s", "");
	if (p == NULL || g == NULL || BN_is_negative(p) || BN_is_negative(g)) {
		snprintf(why, whylen, "no group");
		return SSH_ERR_FORMAT;
	}
	if (!BN_is_odd(p) || BN_num_bits(p) < 4) {
		snprintf(why, whylen, "p is %s", BN_is_odd(p) ? "too small" : "even");
		return SSH_ERR_FORMAT;
	}
	if ((pm1 = BN_dup(p)) == NULL || !BN_sub_word(pm1, 1) || (q = BN_dup(pm1)) == NULL ||
	    !BN_rshift1(q, q) || (ctx = BN_CTX_new()) == NULL) {
		r = SSH_ERR_LIBCRYPTO;
		goto out;
	}
	if (BN_cmp(g, BN_value_one()) <= 0 || BN_cmp(g, pm1) >= 0) {
		*bad_generator = 1;
		snprintf(why, whylen, "g is outside 2..p-2");
		goto out;
	}
	if ((k = gex_is_known(p)) != 0) {
		if (k < 0) {
			r = k;
			goto out;
		}
		if (known != NULL) {
			*known = 1;
		}
		r = 0;
		goto out;
	}
	if ((f = small_factor(p)) != 0) {
		snprintf(why, whylen, "p is divisible by %lu", (unsigned long)f);
		goto out;
	}
	if ((f = small_factor(q)) != 0) {
		snprintf(why, whylen, "(p-1)/2 is divisible by %lu", (unsigned long)f);
		goto out;
	}
	if ((k = miller_rabin(p, KEX_GEX_MR_ROUNDS, ctx)) != 1) {
		r = k < 0 ? k : SSH_ERR_FORMAT;
		snprintf(why, whylen, "p is composite");
		goto out;
	}
	if ((k = miller_rabin(q, KEX_GEX_MR_ROUNDS, ctx)) != 1) {
		r = k < 0 ? k : SSH_ERR_FORMAT;
		snprintf(why, whylen, "(p-1)/2 is composite");
		goto out;
	}
	r = 0;
out:
	BN_free(pm1);
	BN_free(q);
	BN_CTX_free(ctx);
	return r;
}
