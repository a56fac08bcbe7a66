/* libFuzzer target: public-key blobs and signature blobs from a peer. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "sshkey.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	EVP_PKEY *pk = NULL;
	char *type = NULL;
	size_t i;

	if (sshkey_from_blob(data, size, &pk, &type) == 0) {
		for (i = 0; hostkey_alg_at(i) != NULL; i++) {
			const struct hostkey_alg *a = hostkey_alg_at(i);
			if (sshkey_fits_alg(pk, a)) {
				(void)sshsig_verify(a, pk, data, size, data, size);
			}
		}
	}
	EVP_PKEY_free(pk);
	free(type);
	return 0;
}
