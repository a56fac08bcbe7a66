/*
 * libFuzzer target: an ssh-agent's answer bytes through the client codec (client/agent.c):
 * framing, the identities answer, the sign response and the signature unwrapping. Besides the
 * sanitizers the codec's promises are checked (abort on a breach): a frame never claims more
 * than given or more than AGENT_MSG_MAX, at most AGENT_KEYS_MAX keys, borrowed signatures lie
 * inside the input, an unwrapped ECDSA signature is exactly two field halves.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "agent.h"

static void check(int ok)
{
	if (!ok) {
		abort();
	}
}

static const struct {
	const char *name;
	size_t field;
} names[] = {
    {"ssh-rsa", 0},
    {"rsa-sha2-256", 0},
    {"ssh-ed25519", 0},
    {"ecdsa-sha2-nistp256", 32},
    {"ecdsa-sha2-nistp521", 66},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *msg, *sig;
	size_t msglen, siglen, rawlen, i;
	struct agent_keys k;
	uint8_t *raw;
	int r;

	r = agent_frame(data, size, &msg, &msglen);
	check(r <= 0 || ((size_t)r == msglen + 4 && (size_t)r <= size && msglen <= AGENT_MSG_MAX &&
	                    msg == data + 4));
	if (agent_dec_identities(data, size, &k) == 0) {
		check(k.n <= AGENT_KEYS_MAX);
		for (i = 0; i < k.n; i++) {
			check(k.v[i].bloblen > 0 && k.v[i].blob != NULL && k.v[i].comment != NULL);
		}
	}
	agent_keys_clear(&k);
	if (agent_dec_sign_response(data, size, &sig, &siglen) == 0) {
		check(sig >= data && sig + siglen <= data + size);
	}
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (agent_unwrap_sig(data, size, names[i].name, names[i].field, &raw, &rawlen) ==
		    0) {
			check(raw != NULL && rawlen > 0);
			check(names[i].field == 0 || rawlen == 2 * names[i].field);
			free(raw);
		} else {
			check(raw == NULL && rawlen == 0);
		}
	}
	return 0;
}
