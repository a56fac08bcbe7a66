/* The ssh-agent protocol codec (client/agent.c): exact bytes both ways, and the caps. */
#include <stdint.h>
#include <string.h>

#include "agent.h"
#include "ssh/err.h"
#include "t.h"

static void check_hex(const struct buf *b, const char *hex)
{
	unsigned char want[256];
	size_t n = t_unhex(hex, want, sizeof(want));

	CHECK_EQ_INT(buf_len(b), n);
	if (buf_len(b) == n) {
		CHECK_MEM(buf_ptr(b), want, n);
	}
}

static void test_encode(void)
{
	struct buf b;

	buf_init(&b);
	CHECK_EQ_INT(agent_enc_request_identities(&b), 0);
	check_hex(&b, "000000010b");
	buf_reset(&b);
	CHECK_EQ_INT(agent_enc_sign_request(&b, (const uint8_t *)"AB", 2, (const uint8_t *)"xyz", 3,
	                 AGENT_RSA_SHA2_256),
	    0);
	check_hex(&b, "000000120d000000024142000000037879"
	              "7a00000002");
	buf_reset(&b);
	CHECK_EQ_INT(
	    agent_enc_sign_request(&b, (const uint8_t *)"k", 1, (const uint8_t *)"", 0, 0), 0);
	check_hex(&b, "0000000e0d000000016b0000000000000000");
	buf_free(&b);
}

static void test_frame(void)
{
	unsigned char in[64];
	const uint8_t *m;
	size_t n, ml;

	n = t_unhex("000000010b77", in, sizeof(in));
	CHECK_EQ_INT(agent_frame(in, n, &m, &ml), 5);
	CHECK_EQ_INT(ml, 1);
	CHECK(m == in + 4);
	CHECK_EQ_INT(agent_frame(in, 4, &m, &ml), 0); /* body not yet read */
	CHECK_EQ_INT(ml, 0);
	CHECK_EQ_INT(agent_frame(in, 3, &m, &ml), 0);
	n = t_unhex("00040001", in, sizeof(in)); /* 256 KiB + 1 */
	CHECK_EQ_INT(agent_frame(in, n, &m, &ml), SSH_ERR_TOO_LARGE);
	n = t_unhex("00040000", in, sizeof(in)); /* exactly the cap: waits for more */
	CHECK_EQ_INT(agent_frame(in, n, &m, &ml), 0);
	n = t_unhex("00000000", in, sizeof(in));
	CHECK_EQ_INT(agent_frame(in, n, &m, &ml), SSH_ERR_FORMAT);
}

static void test_identities(void)
{
	unsigned char in[128];
	struct agent_keys k;
	size_t n;

	n = t_unhex("0c00000002"
	            "000000036b3178"
	            "0000000161"
	            "000000026b32"
	            "00000000",
	    in, sizeof(in));
	CHECK_EQ_INT(agent_dec_identities(in, n, &k), 0);
	CHECK_EQ_INT(k.n, 2);
	if (k.n == 2) {
		CHECK_EQ_INT(k.v[0].bloblen, 3);
		CHECK_MEM(k.v[0].blob, "k1x", 3);
		CHECK_STR(k.v[0].comment, "a");
		CHECK_EQ_INT(k.v[1].bloblen, 2);
		CHECK_STR(k.v[1].comment, "");
	}
	agent_keys_clear(&k);
	CHECK(k.v == NULL && k.n == 0);
	/* a byte more, a byte less, the wrong type, a refusal, too many keys, an empty blob */
	CHECK_EQ_INT(agent_dec_identities(in, n - 1, &k), SSH_ERR_FORMAT);
	CHECK(k.v == NULL);
	in[n] = 0;
	CHECK_EQ_INT(agent_dec_identities(in, n + 1, &k), SSH_ERR_FORMAT);
	in[0] = AGENT_SIGN_RESPONSE;
	CHECK_EQ_INT(agent_dec_identities(in, n, &k), SSH_ERR_PROTOCOL);
	in[0] = AGENT_FAILURE;
	CHECK_EQ_INT(agent_dec_identities(in, 1, &k), AGENT_ERR_REFUSED);
	CHECK_EQ_INT(agent_dec_identities(in, 0, &k), SSH_ERR_FORMAT);
	n = t_unhex("0c00000401", in, sizeof(in));
	CHECK_EQ_INT(agent_dec_identities(in, n, &k), SSH_ERR_TOO_LARGE);
	n = t_unhex("0c000000010000000000000000", in, sizeof(in));
	CHECK_EQ_INT(agent_dec_identities(in, n, &k), SSH_ERR_FORMAT);
	n = t_unhex("0c00000000", in, sizeof(in));
	CHECK_EQ_INT(agent_dec_identities(in, n, &k), 0);
	CHECK_EQ_INT(k.n, 0);
	agent_keys_clear(&k);
}

static void test_sign_response(void)
{
	unsigned char in[128];
	const uint8_t *sig;
	size_t n, sl;

	n = t_unhex("0e00000003414243ff", in, sizeof(in));
	CHECK_EQ_INT(agent_dec_sign_response(in, n - 1, &sig, &sl), 0);
	CHECK_EQ_INT(sl, 3);
	CHECK(sig == in + 5);
	CHECK_EQ_INT(agent_dec_sign_response(in, n, &sig, &sl), SSH_ERR_FORMAT);
	CHECK(sig == NULL);
	CHECK_EQ_INT(agent_dec_sign_response(in, n - 2, &sig, &sl), SSH_ERR_FORMAT);
	in[0] = AGENT_FAILURE;
	CHECK_EQ_INT(agent_dec_sign_response(in, 1, &sig, &sl), AGENT_ERR_REFUSED);
	in[0] = AGENT_IDENTITIES_ANSWER;
	CHECK_EQ_INT(agent_dec_sign_response(in, n - 1, &sig, &sl), SSH_ERR_PROTOCOL);
}

static void test_unwrap(void)
{
	unsigned char in[256], want[64];
	uint8_t *raw = NULL;
	size_t n, rl;

	/* ecdsa-sha2-nistp256: mpint r = 0x0080 (sign byte), mpint s = 0x01 */
	n = t_unhex("00000013"
	            "65636473612d736861322d6e69737470323536"
	            "0000000b"
	            "000000020080"
	            "0000000101",
	    in, sizeof(in));
	CHECK_EQ_INT(agent_unwrap_sig(in, n, "ecdsa-sha2-nistp256", 32, &raw, &rl), 0);
	memset(want, 0, sizeof(want));
	want[31] = 0x80;
	want[63] = 0x01;
	CHECK_EQ_INT(rl, 64);
	if (raw != NULL && rl == 64) {
		CHECK_MEM(raw, want, 64);
	}
	free(raw);
	/* a half longer than the field, or asked for another curve's name */
	CHECK_EQ_INT(
	    agent_unwrap_sig(in, n, "ecdsa-sha2-nistp256", 0, &raw, &rl), SSH_ERR_INTERNAL);
	CHECK_EQ_INT(
	    agent_unwrap_sig(in, n, "ecdsa-sha2-nistp384", 48, &raw, &rl), SSH_ERR_SIGNATURE);
	CHECK(raw == NULL);
	/* rsa-sha2-256 asked, ssh-rsa answered (an agent that ignored the flag) */
	n = t_unhex("00000007"
	            "7373682d727361"
	            "00000002"
	            "abcd",
	    in, sizeof(in));
	CHECK_EQ_INT(agent_unwrap_sig(in, n, "rsa-sha2-256", 0, &raw, &rl), SSH_ERR_SIGNATURE);
	CHECK_EQ_INT(agent_unwrap_sig(in, n, "ssh-rsa", 0, &raw, &rl), 0);
	CHECK_EQ_INT(rl, 2);
	if (raw != NULL && rl == 2) {
		CHECK_MEM(raw, "\xab\xcd", 2);
	}
	free(raw);
	/* Ed25519 must be 64 bytes */
	n = t_unhex("0000000b"
	            "7373682d65643235353139"
	            "00000002"
	            "abcd",
	    in, sizeof(in));
	CHECK_EQ_INT(agent_unwrap_sig(in, n, "ssh-ed25519", 0, &raw, &rl), SSH_ERR_FORMAT);
	CHECK_EQ_INT(agent_unwrap_sig(in, n - 1, "ssh-ed25519", 0, &raw, &rl), SSH_ERR_FORMAT);
}

int main(void)
{
	test_encode();
	test_frame();
	test_identities();
	test_sign_response();
	test_unwrap();
	CHECK_STR(agent_strerror(AGENT_ERR_REFUSED), "agent refused operation");
	T_DONE();
}
