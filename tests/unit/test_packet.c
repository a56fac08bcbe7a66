/* The binary packet protocol: round trips in every mode, framing, and hostile input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "cipher.h"
#include "err.h"
#include "packet.h"
#include "t.h"

struct combo {
	const struct cipher_alg *c; /* NULL: plaintext */
	const struct mac_alg *m;
};

static struct combo combos[64];
static size_t n_combos;

static void make_combos(void)
{
	const struct cipher_alg *c;
	const struct mac_alg *m;
	size_t i, j;

	combos[n_combos].c = NULL;
	combos[n_combos++].m = NULL;
	for (i = 0; (c = cipher_alg_at(i)) != NULL; i++) {
		if (c->auth_len > 0) {
			combos[n_combos].c = c;
			combos[n_combos++].m = NULL;
			continue;
		}
		for (j = 0; (m = mac_alg_at(j)) != NULL; j++) {
			combos[n_combos].c = c;
			combos[n_combos++].m = m;
		}
	}
}

static const char *combo_name(const struct combo *cb)
{
	static char s[128];

	snprintf(s, sizeof(s), "%s+%s", cb->c ? cb->c->name : "none", cb->m ? cb->m->name : "-");
	return s;
}

/* both ends of one direction, keyed alike */
static int pair(const struct combo *cb, struct pkt_dir *enc, struct pkt_dir *dec, uint32_t seqnr)
{
	uint8_t key[64], iv[16], mk[64];
	size_t i;
	int r = 0;

	for (i = 0; i < sizeof(key); i++) {
		key[i] = (uint8_t)(i * 13 + 1);
		mk[i] = (uint8_t)(i * 29 + 7);
	}
	for (i = 0; i < sizeof(iv); i++) {
		iv[i] = (uint8_t)(0xf0 + i);
	}
	pkt_dir_init(enc);
	pkt_dir_init(dec);
	enc->seqnr = dec->seqnr = seqnr;
	if (cb->c != NULL) {
		if ((r = pkt_dir_set_keys(enc, cb->c, cb->m, 1, key, iv, mk)) != 0 ||
		    (r = pkt_dir_set_keys(dec, cb->c, cb->m, 0, key, iv, mk)) != 0) {
			fprintf(stderr, "set_keys %s: %d\n", combo_name(cb), r);
		}
	}
	return r;
}

static uint32_t mode_bs(const struct combo *cb)
{
	return cb->c == NULL || cb->c->block_size < 8 ? 8 : cb->c->block_size;
}

static uint32_t mode_maclen(const struct combo *cb)
{
	if (cb->c == NULL) {
		return 0;
	}
	return cb->c->auth_len > 0 ? cb->c->auth_len : cb->m->mac_len;
}

static int mode_aad(const struct combo *cb)
{
	return cb->c != NULL && (cb->c->auth_len > 0 || cb->m->etm);
}

static void fill(uint8_t *p, size_t n, uint32_t seed)
{
	size_t i;

	for (i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		p[i] = (uint8_t)(seed >> 16);
	}
}

/* seal/open every size 0..300 and 32 KiB; check framing arithmetic on the wire length */
static void test_roundtrip(const struct combo *cb)
{
	static uint8_t data[32768];
	struct pkt_dir enc, dec;
	struct buf wire;
	struct rd pl;
	uint32_t bs = mode_bs(cb), maclen = mode_maclen(cb), packlen, padlen;
	size_t len, before, w, fails = 0, total = 0;
	int r;

	fill(data, sizeof(data), 42);
	buf_init(&wire);
	if (pair(cb, &enc, &dec, 0) != 0) {
		CHECK(0);
		return;
	}
	for (len = 0; len <= 301; len++) {
		size_t n = len == 301 ? sizeof(data) : len;
		before = buf_len(&wire);
		if ((r = pkt_seal(&enc, data, n, &wire)) != 0) {
			fails++;
			continue;
		}
		w = buf_len(&wire) - before;
		total += w;
		packlen = (uint32_t)(w - 4 - maclen);
		padlen = packlen - 1 - (uint32_t)n;
		if (padlen < 4 || padlen >= 4 + bs ||
		    (mode_aad(cb) ? packlen : packlen + 4) % bs != 0 ||
		    (!mode_aad(cb) && packlen + 4 < 16)) {
			fprintf(
			    stderr, "%s len %zu: bad framing (wire %zu)\n", combo_name(cb), n, w);
			fails++;
		}
		/* open right away half of the time, the rest in a batch below */
		if (len % 2 == 0) {
			r = pkt_open(&dec, &wire, &pl);
			if (r != 0 || pl.len != n || (n > 0 && memcmp(pl.p, data, n) != 0) ||
			    buf_len(&wire) != 0) {
				fprintf(stderr, "%s len %zu: open %d\n", combo_name(cb), n, r);
				fails++;
			}
		} else if ((r = pkt_open(&dec, &wire, &pl)) != 0 || pl.len != n) {
			fails++;
		}
	}
	CHECK_EQ_INT(fails, 0);
	CHECK_EQ_INT(buf_len(&wire), 0);
	/* a payload sealed in two parts opens as their concatenation */
	for (len = 0; len <= 40; len += 8) {
		if (pkt_seal_parts(&enc, data, 9, data + 9, len, &wire) != 0 ||
		    pkt_open(&dec, &wire, &pl) != 0 || pl.len != 9 + len ||
		    memcmp(pl.p, data, 9 + len) != 0) {
			fails++;
		}
		total = enc.bytes;
	}
	CHECK_EQ_INT(fails, 0);
	CHECK_EQ_INT(enc.seqnr, 302 + 6);
	CHECK_EQ_INT(dec.seqnr, 302 + 6);
	enc.seqnr -= 6;
	dec.seqnr -= 6;
	enc.packets -= 6;
	dec.packets -= 6;
	CHECK_EQ_INT(enc.seqnr, 302);
	CHECK_EQ_INT(dec.seqnr, 302);
	CHECK_EQ_INT(enc.packets, 302);
	CHECK_EQ_INT(dec.packets, 302);
	CHECK_EQ_INT(enc.bytes, total);
	CHECK_EQ_INT(dec.bytes, total);
	CHECK_EQ_INT(pkt_open(&dec, &wire, &pl), SSH_ERR_AGAIN);
	pkt_dir_free(&enc);
	pkt_dir_free(&dec);
	buf_free(&wire);
}

/* three packets in one stream fed a byte at a time */
static void test_bytewise(const struct combo *cb)
{
	static const size_t sizes[] = {0, 100, 1000};
	uint8_t data[1000];
	struct pkt_dir enc, dec;
	struct buf wire, in;
	struct rd pl;
	size_t i, k = 0, got = 0, early = 0, bad = 0;
	int r;

	fill(data, sizeof(data), 7);
	buf_init(&wire);
	buf_init(&in);
	if (pair(cb, &enc, &dec, 5) != 0) {
		CHECK(0);
		return;
	}
	for (i = 0; i < 3; i++) {
		CHECK_EQ_INT(pkt_seal(&enc, data, sizes[i], &wire), 0);
	}
	for (k = 0; k < buf_len(&wire); k++) {
		CHECK(buf_put(&in, buf_ptr(&wire) + k, 1) == 0);
		r = pkt_open(&dec, &in, &pl);
		if (r == SSH_ERR_AGAIN) {
			continue;
		}
		if (r != 0 || got >= 3 || pl.len != sizes[got] ||
		    (pl.len > 0 && memcmp(pl.p, data, pl.len) != 0)) {
			bad++;
			break;
		}
		/* a packet completes exactly when its last byte arrived */
		if (buf_len(&in) != 0) {
			early++;
		}
		got++;
	}
	CHECK_EQ_INT(bad, 0);
	CHECK_EQ_INT(early, 0);
	CHECK_EQ_INT(got, 3);
	CHECK_EQ_INT(dec.seqnr, 8);
	pkt_dir_free(&enc);
	pkt_dir_free(&dec);
	buf_free(&wire);
	buf_free(&in);
}

/* every truncation gives SSH_ERR_AGAIN, and the rest then completes the packet */
static void test_truncation(const struct combo *cb)
{
	uint8_t data[77];
	struct pkt_dir enc, dec;
	struct buf wire, in;
	struct rd pl;
	size_t k, bad = 0;
	int r;

	fill(data, sizeof(data), 9);
	buf_init(&wire);
	buf_init(&in);
	if (pair(cb, &enc, &dec, 0) != 0) {
		CHECK(0);
		return;
	}
	CHECK_EQ_INT(pkt_seal(&enc, data, sizeof(data), &wire), 0);
	for (k = 0; k < buf_len(&wire); k = t_sweep_next(k, buf_len(&wire))) {
		pkt_dir_free(&dec);
		pkt_dir_free(&enc);
		pair(cb, &enc, &dec, 0);
		buf_reset(&in);
		buf_put(&in, buf_ptr(&wire), k);
		if ((r = pkt_open(&dec, &in, &pl)) != SSH_ERR_AGAIN) {
			fprintf(stderr, "%s trunc %zu: %d\n", combo_name(cb), k, r);
			bad++;
			continue;
		}
		buf_put(&in, buf_ptr(&wire) + k, buf_len(&wire) - k);
		r = pkt_open(&dec, &in, &pl);
		if (r != 0 || pl.len != sizeof(data) || memcmp(pl.p, data, sizeof(data)) != 0) {
			bad++;
		}
	}
	CHECK_EQ_INT(bad, 0);
	pkt_dir_free(&enc);
	pkt_dir_free(&dec);
	buf_free(&wire);
	buf_free(&in);
}

/*
 * Every single-bit flip. Outside the length field: SSH_ERR_MAC. In the length field (the whole
 * first block for CBC without etm): SSH_ERR_MAC, FORMAT or TOO_LARGE once enough bytes are there
 * (a length grown by the flip waits for more input first). Plaintext mode: an error or a
 * consistent payload.
 */
static void test_bitflips(const struct combo *cb)
{
	static uint8_t zeros[4096];
	uint8_t data[40];
	struct pkt_dir enc, dec;
	struct buf wire, in;
	struct rd pl;
	size_t bit, nbits, lenregion, bad = 0, fed;
	uint32_t seq = 0x00010203;
	int r;

	fill(data, sizeof(data), 11);
	buf_init(&wire);
	buf_init(&in);
	if (pair(cb, &enc, &dec, seq) != 0) {
		CHECK(0);
		return;
	}
	CHECK_EQ_INT(pkt_seal(&enc, data, sizeof(data), &wire), 0);
	nbits = buf_len(&wire) * 8;
	lenregion = (cb->c != NULL && cb->c->kind == CIPHER_CBC && !cb->m->etm) ? 16 : 4;
	for (bit = 0; bit < nbits; bit = t_sweep_next_bit(bit, nbits)) {
		pkt_dir_free(&dec);
		pkt_dir_free(&enc);
		pair(cb, &enc, &dec, seq);
		buf_reset(&in);
		buf_put(&in, buf_ptr(&wire), buf_len(&wire));
		buf_ptr(&in)[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		fed = buf_len(&in);
		while (
		    (r = pkt_open(&dec, &in, &pl)) == SSH_ERR_AGAIN && fed <= PKT_MAX_LEN + 128) {
			buf_put(&in, zeros, sizeof(zeros));
			fed += sizeof(zeros);
		}
		if (cb->c == NULL) {
			if (r == 0 ? (pl.len >= PKT_MAX_LEN || pl.p == NULL)
			           : (r != SSH_ERR_FORMAT && r != SSH_ERR_TOO_LARGE)) {
				fprintf(stderr, "%s bit %zu: %d\n", combo_name(cb), bit, r);
				bad++;
			}
		} else if (bit / 8 < lenregion) {
			if (r != SSH_ERR_MAC && r != SSH_ERR_FORMAT && r != SSH_ERR_TOO_LARGE) {
				fprintf(stderr, "%s bit %zu: %d\n", combo_name(cb), bit, r);
				bad++;
			}
		} else if (r != SSH_ERR_MAC) {
			fprintf(stderr, "%s bit %zu: %d\n", combo_name(cb), bit, r);
			bad++;
		}
	}
	CHECK_EQ_INT(bad, 0);
	/* the sequence number is authenticated (GCM uses its own invocation counter instead) */
	if (cb->c != NULL && cb->c->kind != CIPHER_AEAD_GCM) {
		pkt_dir_free(&dec);
		pkt_dir_free(&enc);
		pair(cb, &enc, &dec, seq);
		dec.seqnr = seq + 1;
		buf_reset(&in);
		buf_put(&in, buf_ptr(&wire), buf_len(&wire));
		fed = buf_len(&in);
		/* CBC without etm reads on to PKT_MAX_LEN bytes before it says so */
		while (
		    (r = pkt_open(&dec, &in, &pl)) == SSH_ERR_AGAIN && fed <= PKT_MAX_LEN + 128) {
			buf_put(&in, zeros, sizeof(zeros));
			fed += sizeof(zeros);
		}
		CHECK(r == SSH_ERR_MAC || (cb->c->kind == CIPHER_CHACHAPOLY && r != 0));
		/* errors are final: the right packet is refused afterwards */
		dec.seqnr = seq;
		buf_reset(&in);
		buf_put(&in, buf_ptr(&wire), buf_len(&wire));
		CHECK(pkt_open(&dec, &in, &pl) == r && pl.len == 0);
	}
	pkt_dir_free(&enc);
	pkt_dir_free(&dec);
	buf_free(&wire);
	buf_free(&in);
}

/* an announced length over the cap is refused at once, with nothing but the header read */
static void test_oversize(const struct combo *cb)
{
	uint8_t data[16] = {0};
	struct pkt_dir enc, dec;
	struct buf wire, in;
	struct rd pl;
	uint32_t orig, want, bs = mode_bs(cb);
	size_t hdr;
	uint8_t *p;
	int r, j;

	buf_init(&wire);
	buf_init(&in);
	for (j = 0; j < 3; j++) {
		/* just over the cap (aligned), far over the cap, exactly the largest aligned length
		 */
		if (pair(cb, &enc, &dec, 3) != 0) {
			CHECK(0);
			return;
		}
		buf_reset(&wire);
		CHECK_EQ_INT(pkt_seal(&enc, data, sizeof(data), &wire), 0);
		p = buf_ptr(&wire);
		if (cb->c != NULL && cb->c->kind == CIPHER_CBC && !cb->m->etm) {
			pkt_dir_free(&enc);
			pkt_dir_free(&dec);
			continue; /* cannot steer a CBC length without the key: covered by flips */
		}
		want = j == 0   ? PKT_MAX_LEN + (mode_aad(cb) ? bs : bs - 4)
		       : j == 1 ? 0xfffffff0u
		                : PKT_MAX_LEN - (mode_aad(cb) ? 0 : 4);
		/* stream ciphers and clear lengths: xor the difference into the length field */
		orig = (uint32_t)(buf_len(&wire) - 4 - mode_maclen(cb));
		orig ^= want;
		p[0] ^= (uint8_t)(orig >> 24);
		p[1] ^= (uint8_t)(orig >> 16);
		p[2] ^= (uint8_t)(orig >> 8);
		p[3] ^= (uint8_t)orig;
		hdr = mode_aad(cb) || cb->c == NULL ? 4 : bs;
		buf_reset(&in);
		buf_put(&in, p, hdr);
		r = pkt_open(&dec, &in, &pl);
		if (j < 2) {
			CHECK_EQ_INT(r, SSH_ERR_TOO_LARGE);
			CHECK_EQ_INT(pkt_open(&dec, &in, &pl), SSH_ERR_TOO_LARGE);
		} else {
			/* the largest length allowed is accepted: waits for the body */
			CHECK_EQ_INT(r, SSH_ERR_AGAIN);
			CHECK_EQ_INT(dec.need, want);
		}
		/* nothing buffered beyond the first block */
		CHECK(buf_len(&dec.plain) <= bs);
		pkt_dir_free(&enc);
		pkt_dir_free(&dec);
	}
	buf_free(&wire);
	buf_free(&in);
}

/* exact plaintext framing, malformed plaintext headers */
static void test_plain_format(void)
{
	struct pkt_dir d;
	struct buf b;
	struct rd pl;
	uint8_t pkt[32];

	pkt_dir_init(&d);
	buf_init(&b);
	CHECK_EQ_INT(pkt_seal(&d, (const uint8_t *)"abc", 3, &b), 0);
	/* 5 + 3 + pad = 16 */
	CHECK_EQ_INT(buf_len(&b), 16);
	CHECK_EQ_INT(peek_u32(buf_ptr(&b)), 12);
	CHECK_EQ_INT(buf_ptr(&b)[4], 8);
	CHECK_MEM(buf_ptr(&b) + 5, "abc", 3);
	buf_reset(&b);
	CHECK_EQ_INT(pkt_seal(&d, NULL, 0, &b), 0);
	CHECK_EQ_INT(buf_len(&b), 16);
	CHECK_EQ_INT(buf_ptr(&b)[4], 11);
	buf_reset(&b);
	CHECK_EQ_INT(
	    pkt_seal(&d, (const uint8_t *)"abc", PKT_MAX_PAYLOAD + 1, &b), SSH_ERR_TOO_LARGE);
	CHECK_EQ_INT(buf_len(&b), 0);
	pkt_dir_free(&d);

	/* padding_length 3: FORMAT */
	pkt_dir_init(&d);
	memset(pkt, 0, sizeof(pkt));
	poke_u32(pkt, 12);
	pkt[4] = 3;
	buf_put(&b, pkt, 16);
	CHECK_EQ_INT(pkt_open(&d, &b, &pl), SSH_ERR_FORMAT);
	CHECK_EQ_INT(pkt_open(&d, &b, &pl), SSH_ERR_FORMAT); /* sticky */
	pkt_dir_free(&d);
	/* padding_length == packet_length: FORMAT; packet_length - 1: empty payload */
	pkt_dir_init(&d);
	buf_reset(&b);
	pkt[4] = 12;
	buf_put(&b, pkt, 16);
	CHECK_EQ_INT(pkt_open(&d, &b, &pl), SSH_ERR_FORMAT);
	pkt_dir_free(&d);
	pkt_dir_init(&d);
	buf_reset(&b);
	pkt[4] = 11;
	buf_put(&b, pkt, 16);
	CHECK_EQ_INT(pkt_open(&d, &b, &pl), 0);
	CHECK_EQ_INT(pl.len, 0);
	/* misaligned length, too short a packet, zero length */
	buf_reset(&b);
	poke_u32(pkt, 13);
	buf_put(&b, pkt, 20);
	CHECK_EQ_INT(pkt_open(&d, &b, &pl), SSH_ERR_FORMAT);
	pkt_dir_free(&d);
	pkt_dir_init(&d);
	buf_reset(&b);
	poke_u32(pkt, 4);
	pkt[4] = 3;
	buf_put(&b, pkt, 8);
	CHECK_EQ_INT(pkt_open(&d, &b, &pl), SSH_ERR_FORMAT);
	pkt_dir_free(&d);
	pkt_dir_init(&d);
	buf_reset(&b);
	poke_u32(pkt, 0);
	buf_put(&b, pkt, 8);
	CHECK_EQ_INT(pkt_open(&d, &b, &pl), SSH_ERR_FORMAT);
	pkt_dir_free(&d);
	buf_free(&b);
}

/* seqnr wraps at 2^32; rekeying keeps seqnr and resets the counters */
static void test_wrap_rekey(void)
{
	struct combo cb = {cipher_alg_by_name("aes128-ctr"), mac_alg_by_name("hmac-sha2-256")};
	struct combo cc = {cipher_alg_by_name("chacha20-poly1305@openssh.com"), NULL};
	struct pkt_dir enc, dec;
	struct buf b;
	struct rd pl;
	uint8_t key[64] = {1}, iv[16] = {2}, mk[64] = {3};
	int i;

	buf_init(&b);
	CHECK_EQ_INT(pair(&cb, &enc, &dec, 0xfffffffeu), 0);
	for (i = 0; i < 4; i++) {
		CHECK_EQ_INT(pkt_seal(&enc, (const uint8_t *)"hello", 5, &b), 0);
		CHECK_EQ_INT(pkt_open(&dec, &b, &pl), 0);
		CHECK(pl.len == 5 && memcmp(pl.p, "hello", 5) == 0);
	}
	CHECK_EQ_INT(enc.seqnr, 2);
	CHECK_EQ_INT(dec.seqnr, 2);
	CHECK_EQ_INT(dec.packets, 4);
	/* switch both ends to chacha mid-stream */
	CHECK_EQ_INT(pkt_dir_set_keys(&enc, cc.c, mac_alg_by_name("hmac-sha1"), 1, key, iv, mk), 0);
	CHECK_EQ_INT(pkt_dir_set_keys(&dec, cc.c, NULL, 0, key, iv, NULL), 0);
	CHECK(enc.malg == NULL && enc.mac == NULL);
	CHECK_EQ_INT(enc.seqnr, 2);
	CHECK_EQ_INT(enc.packets, 0);
	CHECK_EQ_INT(enc.bytes, 0);
	CHECK_EQ_INT(pkt_seal(&enc, (const uint8_t *)"again", 5, &b), 0);
	CHECK_EQ_INT(pkt_open(&dec, &b, &pl), 0);
	CHECK(pl.len == 5 && memcmp(pl.p, "again", 5) == 0);
	/* a non-AEAD cipher without a MAC is refused and changes nothing */
	CHECK_EQ_INT(pkt_dir_set_keys(&enc, cb.c, NULL, 1, key, iv, mk), SSH_ERR_NO_ALGO);
	CHECK(enc.calg == cc.c);
	pkt_dir_free(&enc);
	pkt_dir_free(&dec);
	pkt_dir_free(&dec); /* twice is harmless */
	buf_free(&b);
}

/*
 * CBC with a MAC over the plaintext (Albrecht, Paterson, Watson 2009): a first block whose length
 * is bad, or a bad MAC, is not reported at once: exactly PKT_MAX_LEN bytes of the packet are read
 * (SSH_ERR_AGAIN until then), then SSH_ERR_MAC, the same for both causes. Other modes fail at once.
 */
static size_t consumed_before_failure(const struct combo *cb, int bad_len, int *err)
{
	static uint8_t chunk[1000];
	uint8_t data[64];
	struct pkt_dir enc, dec;
	struct buf wire, in;
	struct rd pl;
	size_t fed, consumed = 0;
	int r = SSH_ERR_INTERNAL;

	fill(data, sizeof(data), 5);
	buf_init(&wire);
	buf_init(&in);
	if (pair(cb, &enc, &dec, 7) != 0) {
		goto out;
	}
	CHECK_EQ_INT(pkt_seal(&enc, data, sizeof(data), &wire), 0);
	/* a flip in the first block garbles what it decrypts to (CBC: the whole block; otherwise
	 * the length field: the top byte makes it far over the cap); else a flip in the MAC */
	if (bad_len) {
		buf_ptr(&wire)[0] ^= 0x80;
	} else {
		buf_ptr(&wire)[buf_len(&wire) - 1] ^= 1;
	}
	buf_put(&in, buf_ptr(&wire), buf_len(&wire));
	fed = buf_len(&in);
	while ((r = pkt_open(&dec, &in, &pl)) == SSH_ERR_AGAIN && fed < 2 * PKT_MAX_LEN) {
		consumed += fed - buf_len(&in);
		fed = buf_len(&in);
		buf_put(&in, chunk, sizeof(chunk));
		fed += sizeof(chunk);
	}
	consumed += fed - buf_len(&in);
	/* errors are final, and consume nothing more */
	fed = buf_len(&in);
	CHECK_EQ_INT(pkt_open(&dec, &in, &pl), r);
	CHECK_EQ_INT(buf_len(&in), fed);
out:
	*err = r;
	pkt_dir_free(&enc);
	pkt_dir_free(&dec);
	buf_free(&wire);
	buf_free(&in);
	return consumed;
}

static void test_cbc_mte_discard(void)
{
	static const char *const ciphers[] = {"aes128-cbc", "aes256-cbc", "aes128-ctr"};
	static const char *const macs[] = {
	    "hmac-sha2-256", "hmac-sha1", "hmac-sha2-256-etm@openssh.com"};
	size_t i, j, n;
	int err, bad_len;

	for (i = 0; i < sizeof(ciphers) / sizeof(ciphers[0]); i++) {
		for (j = 0; j < sizeof(macs) / sizeof(macs[0]); j++) {
			struct combo cb = {
			    cipher_alg_by_name(ciphers[i]), mac_alg_by_name(macs[j])};
			int mte_cbc;

			if (cb.c == NULL || cb.m == NULL) {
				CHECK(0);
				continue;
			}
			mte_cbc = cb.c->kind == CIPHER_CBC && !cb.m->etm;
			for (bad_len = 0; bad_len < 2; bad_len++) {
				n = consumed_before_failure(&cb, bad_len, &err);
				if (mte_cbc) {
					CHECK_EQ_INT(err, SSH_ERR_MAC);
					CHECK_EQ_INT(n, PKT_MAX_LEN);
				} else {
					CHECK(err == (bad_len ? SSH_ERR_TOO_LARGE : SSH_ERR_MAC) ||
					      (bad_len && cb.m->etm && err == SSH_ERR_MAC));
					CHECK(n < 1024);
				}
				if (mte_cbc ? (err != SSH_ERR_MAC || n != PKT_MAX_LEN)
				            : n >= 1024) {
					fprintf(stderr, "%s bad_len %d: %d after %zu bytes\n",
					    combo_name(&cb), bad_len, err, n);
				}
			}
		}
	}
}

/* during the initial key exchange (d->initial) the sequence number must not wrap: the packet
 * numbered 2^32 - 1 is refused both ways; afterwards a wrap is harmless (test_wrap_rekey) */
static void test_seqnr_wrap_initial(void)
{
	size_t k;

	for (k = 0; k < 2; k++) {
		struct combo cb = {k == 0 ? NULL : cipher_alg_by_name("aes128-ctr"),
		    k == 0 ? NULL : mac_alg_by_name("hmac-sha2-256")};
		struct pkt_dir enc, dec;
		struct buf b;
		struct rd pl;

		buf_init(&b);
		CHECK_EQ_INT(pair(&cb, &enc, &dec, 0xfffffffdu), 0);
		dec.initial = 1;
		CHECK_EQ_INT(pkt_seal(&enc, (const uint8_t *)"one", 3, &b), 0);
		CHECK_EQ_INT(pkt_seal(&enc, (const uint8_t *)"two", 3, &b), 0);
		CHECK_EQ_INT(pkt_seal(&enc, (const uint8_t *)"three", 5, &b), 0); /* 2^32 - 1 */
		CHECK_EQ_INT(pkt_open(&dec, &b, &pl), 0);
		CHECK_EQ_INT(pkt_open(&dec, &b, &pl), 0);
		/* the receiver refuses the packet its counter would wrap after */
		CHECK_EQ_INT(pkt_open(&dec, &b, &pl), SSH_ERR_SEQNR_WRAP);
		CHECK_EQ_INT(pl.len, 0);
		CHECK_EQ_INT(pkt_open(&dec, &b, &pl), SSH_ERR_SEQNR_WRAP);
		pkt_dir_free(&enc);
		pkt_dir_free(&dec);
		/* the sender refuses to send it */
		buf_reset(&b);
		CHECK_EQ_INT(pair(&cb, &enc, &dec, 0xfffffffeu), 0);
		enc.initial = 1;
		CHECK_EQ_INT(pkt_seal(&enc, (const uint8_t *)"four", 4, &b), 0);
		CHECK_EQ_INT(buf_len(&b) > 0, 1);
		buf_reset(&b);
		CHECK_EQ_INT(pkt_seal(&enc, (const uint8_t *)"five", 4, &b), SSH_ERR_SEQNR_WRAP);
		CHECK_EQ_INT(buf_len(&b), 0);
		CHECK_EQ_INT(enc.seqnr, 0xffffffffu);
		pkt_dir_free(&enc);
		pkt_dir_free(&dec);
		buf_free(&b);
	}
}

/* the largest payload goes through */
static void test_max_payload(const struct combo *cb)
{
	uint8_t *data = malloc(PKT_MAX_PAYLOAD);
	struct pkt_dir enc, dec;
	struct buf b;
	struct rd pl;

	CHECK(data != NULL);
	if (data == NULL) {
		return;
	}
	fill(data, PKT_MAX_PAYLOAD, 3);
	buf_init(&b);
	CHECK_EQ_INT(pair(cb, &enc, &dec, 0), 0);
	CHECK_EQ_INT(pkt_seal(&enc, data, PKT_MAX_PAYLOAD, &b), 0);
	CHECK_EQ_INT(pkt_open(&dec, &b, &pl), 0);
	CHECK(pl.len == PKT_MAX_PAYLOAD && memcmp(pl.p, data, PKT_MAX_PAYLOAD) == 0);
	pkt_dir_free(&enc);
	pkt_dir_free(&dec);
	buf_free(&b);
	free(data);
}

/* print-only throughput of seal+open on 32 KiB packets */
static void bench(const char *cname, const char *mname)
{
	static uint8_t data[32768];
	struct combo cb = {cipher_alg_by_name(cname), mname ? mac_alg_by_name(mname) : NULL};
	struct pkt_dir enc, dec;
	struct buf b;
	struct rd pl;
	struct timespec t0, t1;
	double secs;
	int i, n = 2048 / (int)t_sweep_step(), ok = 1; /* fewer rounds when sampled */

	if (n < 1) {
		n = 1;
	}
	buf_init(&b);
	if (pair(&cb, &enc, &dec, 0) != 0) {
		CHECK(0);
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < n && ok; i++) {
		ok = pkt_seal(&enc, data, sizeof(data), &b) == 0 && pkt_open(&dec, &b, &pl) == 0;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	CHECK(ok);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("throughput %-30s %-14s seal+open %7.1f MB/s\n", cname, mname ? mname : "",
	    secs > 0 ? (double)n * sizeof(data) / secs / 1e6 : 0.0);
	pkt_dir_free(&enc);
	pkt_dir_free(&dec);
	buf_free(&b);
}

int main(void)
{
	size_t i;

	make_combos();
	CHECK_EQ_INT(n_combos, 1 + 3 + 5 * 6);
	for (i = 0; i < n_combos; i++) {
		test_roundtrip(&combos[i]);
		test_bytewise(&combos[i]);
		test_truncation(&combos[i]);
		test_bitflips(&combos[i]);
		test_oversize(&combos[i]);
	}
	test_max_payload(&combos[0]);
	test_max_payload(&combos[1]);
	test_max_payload(&combos[2]);
	test_max_payload(&combos[n_combos - 1]);
	test_plain_format();
	test_wrap_rekey();
	test_cbc_mte_discard();
	test_seqnr_wrap_initial();
	bench("aes128-gcm@openssh.com", NULL);
	bench("chacha20-poly1305@openssh.com", NULL);
	bench("aes128-ctr", "hmac-sha2-256-etm@openssh.com");
	T_DONE();
}
