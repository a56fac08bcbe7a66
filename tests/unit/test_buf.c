/* The wire codec: struct buf writers and struct rd readers, with known encodings (RFC 4251
 * section 5 examples for mpint), bounds, caps, secret wiping and a mutation sweep. */
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>

#include "buf.h"
#include "err.h"
#include "t.h"

static void test_put_get(void)
{
	struct buf b;
	struct rd r;
	uint8_t u8;
	uint32_t u32;
	uint64_t u64;
	const uint8_t *p;
	size_t n;
	char *s = NULL;
	int bo;
	static const uint8_t want[] = {0x07, 0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0,
	    0, 3, 'a', 'b', 'c', 1, 0, 0, 0, 0};

	buf_init(&b);
	CHECK_EQ_INT(buf_put_u8(&b, 7), 0);
	CHECK_EQ_INT(buf_put_u32(&b, 0xdeadbeef), 0);
	CHECK_EQ_INT(buf_put_u64(&b, 0x0000000100000002ull), 0);
	CHECK_EQ_INT(buf_put_cstring(&b, "abc"), 0);
	CHECK_EQ_INT(buf_put_bool(&b, 42), 0);
	CHECK_EQ_INT(buf_put_string(&b, NULL, 0), 0);
	CHECK_EQ_INT(buf_len(&b), sizeof(want));
	CHECK_MEM(buf_ptr(&b), want, sizeof(want));

	r = buf_rd(&b);
	CHECK(rd_u8(&r, &u8) == 0 && u8 == 7);
	CHECK(rd_u32(&r, &u32) == 0 && u32 == 0xdeadbeef);
	CHECK(rd_u64(&r, &u64) == 0 && u64 == 0x0000000100000002ull);
	CHECK(rd_cstring(&r, &s) == 0 && strcmp(s, "abc") == 0);
	free(s);
	CHECK(rd_bool(&r, &bo) == 0 && bo == 1);
	CHECK(rd_string(&r, &p, &n) == 0 && n == 0);
	CHECK_EQ_INT(rd_end(&r), 0);
	/* reading past the end fails, zeroes the output and consumes nothing */
	u32 = 99;
	CHECK_EQ_INT(rd_u32(&r, &u32), SSH_ERR_INCOMPLETE);
	CHECK_EQ_INT(u32, 0);
	buf_free(&b);
}

static void test_strings(void)
{
	static const uint8_t over[] = {0, 0, 0, 9, 'a', 'b'};   /* length beyond the data */
	static const uint8_t nul[] = {0, 0, 0, 3, 'a', 0, 'b'}; /* NUL inside a text */
	static const uint8_t nested[] = {0, 0, 0, 6, 0, 0, 0, 2, 'h', 'i', 'x'};
	struct rd r, sub;
	const uint8_t *p;
	size_t n;
	char *s = NULL;

	r = rd_make(over, sizeof(over));
	CHECK_EQ_INT(rd_string(&r, &p, &n), SSH_ERR_INCOMPLETE);
	CHECK(p == NULL && n == 0 && r.len == sizeof(over)); /* nothing consumed */
	r = rd_make(nul, sizeof(nul));
	CHECK_EQ_INT(rd_cstring(&r, &s), SSH_ERR_FORMAT);
	CHECK(s == NULL && r.len == sizeof(nul));
	r = rd_make(nested, sizeof(nested));
	CHECK_EQ_INT(rd_string_rd(&r, &sub), 0);
	CHECK(rd_string(&sub, &p, &n) == 0 && n == 2 && memcmp(p, "hi", 2) == 0);
	CHECK_EQ_INT(rd_end(&sub), 0);
	CHECK_EQ_INT(rd_end(&r), SSH_ERR_FORMAT); /* the trailing 'x' */
	CHECK(str_eq((const uint8_t *)"abc", 3, "abc") && !str_eq((const uint8_t *)"abc", 3, "ab"));
}

/* RFC 4251 section 5 mpint examples */
static void test_mpint(void)
{
	struct {
		const char *hex;  /* value */
		const char *wire; /* encoding */
	} v[] = {
	    {"", "00000000"}, {"09a378f9b2e332a7", "0000000809a378f9b2e332a7"},
	    {"80", "000000020080"}, {"00000080", "000000020080"}, /* leading zeros are stripped */
	};
	uint8_t val[16], wire[32];
	struct buf b;
	struct rd r;
	const uint8_t *p;
	size_t i, n, vl, wl;
	BIGNUM *bn = NULL;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		buf_init(&b);
		vl = t_unhex(v[i].hex, val, sizeof(val));
		wl = t_unhex(v[i].wire, wire, sizeof(wire));
		CHECK_EQ_INT(buf_put_mpint_bytes(&b, val, vl), 0);
		CHECK(buf_len(&b) == wl && memcmp(buf_ptr(&b), wire, wl) == 0);
		r = buf_rd(&b);
		CHECK_EQ_INT(rd_bignum(&r, &bn), 0);
		buf_reset(&b);
		CHECK_EQ_INT(buf_put_bignum(&b, bn), 0);
		CHECK(buf_len(&b) == wl && memcmp(buf_ptr(&b), wire, wl) == 0);
		BN_free(bn);
		bn = NULL;
		buf_free(&b);
	}
	/* negative numbers and non-minimal encodings are refused */
	wl = t_unhex("00000001ff", wire, sizeof(wire));
	r = rd_make(wire, wl);
	CHECK_EQ_INT(rd_mpint_bytes(&r, &p, &n), SSH_ERR_FORMAT);
	wl = t_unhex("000000020001", wire, sizeof(wire));
	r = rd_make(wire, wl);
	CHECK_EQ_INT(rd_mpint_bytes(&r, &p, &n), SSH_ERR_FORMAT);
	CHECK_EQ_INT(r.len, wl);
}

static void test_growth_and_caps(void)
{
	struct buf b;
	uint8_t *p;
	size_t i;

	buf_init(&b);
	buf_set_max(&b, 1000);
	for (i = 0; i < 1000; i++) {
		CHECK_EQ_INT(buf_put_u8(&b, (uint8_t)i), i < 1000 ? 0 : SSH_ERR_TOO_LARGE);
	}
	CHECK_EQ_INT(buf_put_u8(&b, 0), SSH_ERR_TOO_LARGE);
	CHECK_EQ_INT(buf_consume(&b, 600), 0);
	CHECK_EQ_INT(buf_put(&b, "0123456789", 10), 0); /* the cap is on unread bytes */
	CHECK_EQ_INT(buf_len(&b), 410);
	CHECK(buf_ptr(&b)[0] == (uint8_t)600);
	CHECK_EQ_INT(buf_consume(&b, 411), SSH_ERR_INCOMPLETE);
	CHECK_EQ_INT(buf_consume_end(&b, 10), 0);
	CHECK_EQ_INT(buf_len(&b), 400);
	/* tail + commit: reserve room, fill part of it */
	CHECK_EQ_INT(buf_tail(&b, 50, &p), 0);
	memcpy(p, "xyz", 3);
	CHECK_EQ_INT(buf_commit(&b, 3), 0);
	CHECK_EQ_INT(buf_len(&b), 403);
	CHECK(memcmp(buf_ptr(&b) + 400, "xyz", 3) == 0);
	CHECK_EQ_INT(buf_tail(&b, 1000, &p), SSH_ERR_TOO_LARGE);
	CHECK(p == NULL);
	buf_free(&b);
	CHECK(buf_ptr(&b) == NULL && buf_len(&b) == 0);

	/* a secret buffer keeps working across growth and compaction */
	buf_init_secret(&b);
	for (i = 0; i < 5000; i++) {
		CHECK_EQ_INT(buf_put_u32(&b, (uint32_t)i), 0);
		if (i % 3 == 0) {
			CHECK_EQ_INT(buf_consume(&b, 4), 0);
		}
	}
	CHECK_EQ_INT(buf_len(&b), (5000 - 1667) * 4);
	CHECK_EQ_INT(peek_u32(buf_ptr(&b)), 1667); /* the oldest unread value */
	buf_free(&b);
}

/* zero-length operations on buffers without storage and readers over NULL (what an empty
 * CHANNEL_DATA from a server does): no pointer arithmetic on NULL (UBSan under clang) */
static void test_empty_null(void)
{
	struct buf b;
	struct rd r = rd_make(NULL, 0), sub;
	const uint8_t *p = (const uint8_t *)"x";
	uint8_t *w = (uint8_t *)"x";
	size_t n = 9;

	buf_init(&b);
	CHECK_EQ_INT(buf_put(&b, NULL, 0), 0);
	CHECK_EQ_INT(buf_put(&b, "", 0), 0);
	CHECK_EQ_INT(buf_reserve(&b, 0, &w), 0);
	CHECK(w == NULL);
	CHECK_EQ_INT(buf_len(&b), 0);
	CHECK(buf_ptr(&b) == NULL);
	CHECK_EQ_INT(buf_consume(&b, 0), 0);
	CHECK_EQ_INT(buf_consume_end(&b, 0), 0);
	CHECK_EQ_INT(rd_bytes(&r, 0, &p), 0);
	CHECK(p == NULL && r.p == NULL && r.len == 0);
	CHECK_EQ_INT(rd_string(&r, &p, &n), SSH_ERR_INCOMPLETE);
	r = buf_rd(&b);
	CHECK_EQ_INT(rd_bytes(&r, 0, NULL), 0);
	CHECK_EQ_INT(rd_end(&r), 0);
	/* an empty string inside a message: a nested reader of length 0 */
	CHECK_EQ_INT(buf_put_string(&b, NULL, 0), 0);
	r = buf_rd(&b);
	CHECK_EQ_INT(rd_string_rd(&r, &sub), 0);
	CHECK_EQ_INT(rd_bytes(&sub, 0, &p), 0);
	CHECK_EQ_INT(rd_end(&sub), 0);
	buf_free(&b);
}

/*
 * The reader contract one getter call must keep: on failure (e != 0) the reader is exactly as
 * it was (same position, same remaining length), so a caller can try another reading; on
 * success it moved forward by what it consumed and stayed inside the bytes it started with.
 * Returns 1 when the contract held; counts failures in *seen_fail.
 */
static int getter_kept_contract(
    const struct rd *before, const struct rd *after, int e, int *seen_fail)
{
	if (e != 0) {
		(*seen_fail)++;
		return after->p == before->p && after->len == before->len;
	}
	return after->len < before->len && after->p == before->p + (before->len - after->len);
}

/* every truncation of a structured message fails cleanly; under bit flips every getter either
 * consumes its field or fails leaving the reader unchanged */
static void test_sweep(void)
{
	struct buf b;
	size_t cut, i, bit, step = t_sweep_step();
	int fails = 0, bad = 0, seen_fail = 0, flips = 0;

	buf_init(&b);
	buf_put_cstring(&b, "ssh-userauth");
	buf_put_u32(&b, 7);
	buf_put_mpint_bytes(&b, (const uint8_t *)"\x80\x01\x02", 3);
	buf_put_cstring(&b, "tail");
	for (cut = 0; cut < buf_len(&b); cut++) {
		struct rd r = rd_make(buf_ptr(&b), cut);
		const uint8_t *p;
		size_t n;
		uint32_t u;
		int e = rd_string(&r, &p, &n);
		if (e == 0) {
			e = rd_u32(&r, &u);
		}
		if (e == 0) {
			e = rd_mpint_bytes(&r, &p, &n);
		}
		if (e == 0) {
			e = rd_string(&r, &p, &n);
		}
		fails += e != 0;
	}
	CHECK_EQ_INT(fails, (int)buf_len(&b));
	fails = 0;
	for (i = 0; i < buf_len(&b); i += step) {
		for (bit = 0; bit < 8; bit++) {
			uint8_t *copy = malloc(buf_len(&b));
			struct rd r;
			char *s = NULL;
			BIGNUM *bn = NULL;
			uint32_t u;
			memcpy(copy, buf_ptr(&b), buf_len(&b));
			copy[i] ^= (uint8_t)(1u << bit);
			flips++;
			struct rd before;
			int e;
			r = rd_make(copy, buf_len(&b));
			before = r;
			e = rd_cstring(&r, &s);
			bad += !getter_kept_contract(&before, &r, e, &seen_fail);
			if (e == 0) {
				before = r;
				e = rd_u32(&r, &u);
				bad += !getter_kept_contract(&before, &r, e, &seen_fail);
			}
			if (e == 0) {
				before = r;
				e = rd_bignum(&r, &bn);
				bad += !getter_kept_contract(&before, &r, e, &seen_fail);
				CHECK((e == 0) == (bn != NULL));
			}
			if (e == 0) {
				before = r;
				e = rd_skip_string(&r);
				bad += !getter_kept_contract(&before, &r, e, &seen_fail);
			}
			fails += e != 0;
			free(s);
			BN_free(bn);
			free(copy);
		}
	}
	/* every getter kept its contract at every flip, and the sweep did reach failing getters
	 * (a length prefix flipped past the end) as well as passing ones */
	CHECK_EQ_INT(bad, 0);
	CHECK(seen_fail > 0);
	CHECK(fails < flips);
	buf_free(&b);
}

int main(void)
{
	test_empty_null();
	test_put_get();
	test_strings();
	test_mpint();
	test_growth_and_caps();
	test_sweep();
	T_DONE();
}
