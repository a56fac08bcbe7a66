/*
 * The token helper's wire format (pkcs11/p11rpc.c): values read back as written; every cut of a
 * message and every length over its cap is refused (the helper is untrusted); a writer stops at
 * P11RPC_MSG_MAX; framing over a socketpair, with a clean EOF, a short message and an oversized
 * length; the slot and token info structures field by field.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "p11rpc.h"
#include "t.h"

static void sample(struct p11rpc_w *w)
{
	static const uint8_t blob[] = {0, 1, 2, 0xff};

	p11rpc_w_init(w);
	p11rpc_w_u8(w, 0xa5);
	p11rpc_w_u32(w, 0xdeadbeef);
	p11rpc_w_u64(w, 0x0123456789abcdefULL);
	p11rpc_w_bytes(w, blob, sizeof(blob));
	p11rpc_w_str(w, "pin");
	p11rpc_w_str(w, NULL);
}

/* read the sample back from len bytes: 0 when all of it was there and right */
static int read_sample(const uint8_t *p, size_t len)
{
	static const uint8_t blob[] = {0, 1, 2, 0xff};
	struct p11rpc_r r;
	const uint8_t *b;
	size_t n;
	char s[8], e[8];
	int ok;

	p11rpc_r_init(&r, p, len);
	ok = p11rpc_r_u8(&r) == 0xa5;
	ok &= p11rpc_r_u32(&r) == 0xdeadbeef;
	ok &= p11rpc_r_u64(&r) == 0x0123456789abcdefULL;
	p11rpc_r_bytes(&r, &b, &n, 16);
	ok &= b != NULL && n == sizeof(blob) && memcmp(b, blob, n) == 0;
	p11rpc_r_str(&r, s, sizeof(s));
	ok &= strcmp(s, "pin") == 0;
	p11rpc_r_str(&r, e, sizeof(e));
	ok &= e[0] == '\0';
	return ok && p11rpc_r_end(&r) == 0 ? 0 : -1;
}

static void test_round_trip(void)
{
	struct p11rpc_w w;
	struct p11rpc_r r;
	size_t cut, fails = 0;

	sample(&w);
	CHECK(!w.failed);
	CHECK_EQ_INT(w.len, 1 + 4 + 8 + (4 + 4) + (4 + 3) + 4);
	CHECK_EQ_INT(read_sample(w.p, w.len), 0);
	/* every cut is refused, and reads past the end give zeros */
	for (cut = 0; cut < w.len; cut++) {
		fails += read_sample(w.p, cut) != 0;
	}
	CHECK_EQ_INT(fails, w.len);
	p11rpc_r_init(&r, w.p, 3);
	CHECK_EQ_INT(p11rpc_r_u32(&r), 0);
	CHECK(r.failed);
	CHECK_EQ_INT(p11rpc_r_u8(&r), 0);
	/* trailing bytes are refused too */
	p11rpc_r_init(&r, w.p, w.len);
	(void)p11rpc_r_u8(&r);
	CHECK_EQ_INT(p11rpc_r_end(&r), -1);
	p11rpc_w_free(&w);
	p11rpc_w_free(&w); /* twice is fine */
	CHECK(w.p == NULL && w.len == 0);
}

static void test_caps(void)
{
	struct p11rpc_w w;
	struct p11rpc_r r;
	const uint8_t *b;
	size_t n;
	char s[4];
	uint8_t *big;

	/* a byte string longer than the reader's cap */
	p11rpc_w_init(&w);
	p11rpc_w_bytes(&w, "12345", 5);
	p11rpc_r_init(&r, w.p, w.len);
	p11rpc_r_bytes(&r, &b, &n, 4);
	CHECK(b == NULL && n == 0 && r.failed);
	/* a string that does not fit, and one with a NUL inside */
	p11rpc_r_init(&r, w.p, w.len);
	p11rpc_r_str(&r, s, sizeof(s));
	CHECK(r.failed && s[0] == '\0');
	p11rpc_w_free(&w);
	p11rpc_w_init(&w);
	p11rpc_w_bytes(&w, "a\0b", 3);
	p11rpc_r_init(&r, w.p, w.len);
	p11rpc_r_str(&r, s, sizeof(s));
	CHECK(r.failed);
	p11rpc_w_free(&w);
	/* a length field claiming more than there is */
	{
		static const uint8_t lie[] = {0, 0, 0, 9, 'x'};

		p11rpc_r_init(&r, lie, sizeof(lie));
		p11rpc_r_bytes(&r, &b, &n, 100);
		CHECK(b == NULL && r.failed);
	}
	/* a writer stops at P11RPC_MSG_MAX */
	if ((big = calloc(1, P11RPC_MSG_MAX)) != NULL) {
		p11rpc_w_init(&w);
		p11rpc_w_bytes(&w, big, P11RPC_MSG_MAX - 4);
		CHECK(!w.failed);
		p11rpc_w_u8(&w, 1);
		CHECK(w.failed);
		CHECK_EQ_INT(p11rpc_send(-1, &w), -1);
		p11rpc_w_free(&w);
		free(big);
	}
}

static void test_framing(void)
{
	struct p11rpc_w w;
	uint8_t *msg = NULL;
	size_t len = 0;
	int sv[2];
	static const uint8_t oversized[] = {0xff, 0, 0, 0};
	static const uint8_t short_msg[] = {0, 0, 0, 8, 1, 2};

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) {
		CHECK(0);
		return;
	}
	sample(&w);
	CHECK_EQ_INT(p11rpc_send(sv[0], &w), 0);
	CHECK_EQ_INT(p11rpc_recv(sv[1], &msg, &len), 0);
	CHECK_EQ_INT(len, w.len);
	CHECK_EQ_INT(read_sample(msg, len), 0);
	p11rpc_msg_free(msg, len);
	p11rpc_w_free(&w);
	/* an empty message */
	p11rpc_w_init(&w);
	CHECK_EQ_INT(p11rpc_send(sv[0], &w), 0);
	CHECK_EQ_INT(p11rpc_recv(sv[1], &msg, &len), 0);
	CHECK_EQ_INT(len, 0);
	p11rpc_msg_free(msg, len);
	/* a length over P11RPC_MSG_MAX */
	CHECK_EQ_INT(write(sv[0], oversized, sizeof(oversized)), (long long)sizeof(oversized));
	CHECK_EQ_INT(p11rpc_recv(sv[1], &msg, &len), -1);
	CHECK(msg == NULL);
	close(sv[0]);
	close(sv[1]);
	/* a short message, then EOF; and a clean EOF */
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) {
		CHECK(0);
		return;
	}
	CHECK_EQ_INT(write(sv[0], short_msg, sizeof(short_msg)), (long long)sizeof(short_msg));
	close(sv[0]);
	CHECK_EQ_INT(p11rpc_recv(sv[1], &msg, &len), -1);
	CHECK_EQ_INT(p11rpc_recv(sv[1], &msg, &len), 1);
	close(sv[1]);
}

static void test_infos(void)
{
	CK_SLOT_INFO si, si2;
	CK_TOKEN_INFO ti, ti2;
	struct p11rpc_w w;
	struct p11rpc_r r;

	memset(&si, 'a', sizeof(si));
	memset(&ti, 'b', sizeof(ti));
	si.flags = CKF_TOKEN_PRESENT;
	si.hardwareVersion.major = 2;
	si.firmwareVersion.minor = 9;
	ti.flags = CKF_TOKEN_INITIALIZED | CKF_USER_PIN_FINAL_TRY;
	ti.ulMaxPinLen = 64;
	ti.ulFreePrivateMemory = CK_UNAVAILABLE_INFORMATION;
	memcpy(ti.label, "label", 5);
	memcpy(ti.utcTime, "2026", 4);
	p11rpc_w_init(&w);
	p11rpc_w_slot_info(&w, &si);
	p11rpc_w_token_info(&w, &ti);
	memset(&si2, 0, sizeof(si2));
	memset(&ti2, 0, sizeof(ti2));
	p11rpc_r_init(&r, w.p, w.len);
	p11rpc_r_slot_info(&r, &si2);
	p11rpc_r_token_info(&r, &ti2);
	CHECK_EQ_INT(p11rpc_r_end(&r), 0);
	CHECK_MEM(si2.slotDescription, si.slotDescription, sizeof(si.slotDescription));
	CHECK_MEM(si2.manufacturerID, si.manufacturerID, sizeof(si.manufacturerID));
	CHECK_EQ_INT(si2.flags, si.flags);
	CHECK_EQ_INT(si2.hardwareVersion.major, 2);
	CHECK_EQ_INT(si2.firmwareVersion.minor, 9);
	CHECK_MEM(ti2.label, ti.label, sizeof(ti.label));
	CHECK_MEM(ti2.serialNumber, ti.serialNumber, sizeof(ti.serialNumber));
	CHECK_MEM(ti2.utcTime, ti.utcTime, sizeof(ti.utcTime));
	CHECK_EQ_INT(ti2.flags, ti.flags);
	CHECK_EQ_INT(ti2.ulMaxPinLen, 64);
	CHECK(ti2.ulFreePrivateMemory == CK_UNAVAILABLE_INFORMATION);
	/* a cut token info: failed, the text fields blank */
	p11rpc_r_init(&r, w.p, 10);
	p11rpc_r_token_info(&r, &ti2);
	CHECK(r.failed);
	CHECK_EQ_INT(ti2.model[0], ' ');
	p11rpc_w_free(&w);
}

int main(void)
{
	test_round_trip();
	test_caps();
	test_framing();
	test_infos();
	T_DONE();
}
