/* libFuzzer target: RFC 6187 / x509v3-sign-rsa key blobs and the certificates inside them, through
 * the codec and the leaf key extraction. */
#include <stddef.h>
#include <stdint.h>

#include "sshkey.h"
#include "x509key.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct x509_blob b;
	EVP_PKEY *pk = NULL;
	size_t i;

	for (i = 0; hostkey_alg_at(i) != NULL; i++) {
		const struct hostkey_alg *a = hostkey_alg_at(i);
		if (!(a->flags & HK_FLAG_X509)) {
			continue;
		}
		if (x509blob_parse(a, data, size, X509_MAX_CHAIN_DEFAULT, &b) == 0 && x509blob_leaf_key(&b, &pk) == 0) {
			EVP_PKEY_free(pk);
			pk = NULL;
		}
	}
	return 0;
}
