#include "rand.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "err.h"

#define PAD_POOL 512 /* bytes of padding drawn from the kernel at once */

int ssh_rand_bytes(void *buf, size_t len)
{
	uint8_t *p = buf;
	ssize_t n;

	while (len > 0) {
		n = getrandom(p, len, 0);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0 && errno == ENOSYS) {
			/* a kernel without getrandom: OpenSSL's generator then */
			return RAND_priv_bytes(p, (int)len) == 1 ? 0 : SSH_ERR_LIBCRYPTO;
		}
		if (n <= 0) {
			return SSH_ERR_SYSTEM;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int ssh_rand_padding(uint8_t *buf, size_t len)
{
	static _Thread_local uint8_t pool[PAD_POOL];
	static _Thread_local size_t left;
	size_t take;
	int r;

	while (len > 0) {
		if (left == 0) {
			if ((r = ssh_rand_bytes(pool, sizeof(pool))) != 0) {
				return r;
			}
			left = sizeof(pool);
		}
		take = len < left ? len : left;
		memcpy(buf, pool + sizeof(pool) - left, take);
		OPENSSL_cleanse(pool + sizeof(pool) - left, take); /* each byte is used once */
		left -= take;
		buf += take;
		len -= take;
	}
	return 0;
}

EVP_PKEY *ssh_rand_x25519(void)
{
	uint8_t priv[32];
	EVP_PKEY *k = NULL;

	if (ssh_rand_bytes(priv, sizeof(priv)) == 0) {
		k = EVP_PKEY_new_raw_private_key_ex(NULL, "X25519", NULL, priv, sizeof(priv));
	}
	OPENSSL_cleanse(priv, sizeof(priv));
	return k;
}
