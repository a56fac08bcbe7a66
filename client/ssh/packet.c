/*
 * The binary packet protocol of RFC 4253 section 6 for one direction.
 *
 *   uint32 packet_length | byte padding_length | payload | padding | mac-or-tag
 *
 * Modes: plaintext (before the first NEWKEYS), cipher + MAC over the plaintext (MAC-then-encrypt
 * in RFC 4253 terms), cipher + encrypt-then-MAC (length in the clear, MAC over the ciphertext),
 * and AEAD (GCM: length in the clear as AAD; chacha20-poly1305: length under its own key). In etm
 * and AEAD modes the length field is left out of the block alignment, as OpenSSH does.
 */
#include "rand.h"
#include "packet.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "err.h"

#define PKT_MIN_PAD     4
#define PKT_MAX_MAC     64
#define PKT_PLAIN_BLOCK 8

struct pkt_mode {
	uint32_t bs;     /* alignment: max(cipher block size, 8) */
	uint32_t aadlen; /* 4 when the length is outside the alignment (etm, AEAD), else 0 */
	uint32_t maclen; /* MAC or tag bytes on the wire */
	int aead;
	int etm;
	int encrypted;
};

static void pkt_mode_of(const struct pkt_dir *d, struct pkt_mode *m)
{
	memset(m, 0, sizeof(*m));
	m->bs = PKT_PLAIN_BLOCK;
	if (d->calg == NULL) {
		return;
	}
	m->encrypted = 1;
	if (d->calg->block_size > m->bs) {
		m->bs = d->calg->block_size;
	}
	if (d->calg->auth_len > 0) {
		m->aead = 1;
		m->maclen = d->calg->auth_len;
	} else if (d->malg != NULL) {
		m->etm = d->malg->etm;
		m->maclen = d->malg->mac_len;
	}
	m->aadlen = (m->aead || m->etm) ? 4 : 0;
}

void pkt_dir_init(struct pkt_dir *d)
{
	memset(d, 0, sizeof(*d));
	buf_init(&d->plain);
	buf_set_max(&d->plain, PKT_MAX_LEN + 4 + 64);
}

void pkt_dir_free(struct pkt_dir *d)
{
	if (d == NULL) {
		return;
	}
	cipher_ctx_free(d->cipher);
	mac_ctx_free(d->mac);
	buf_wipe(&d->plain);
	buf_free(&d->plain);
	pkt_dir_init(d);
}

int pkt_dir_set_keys(struct pkt_dir *d, const struct cipher_alg *c, const struct mac_alg *m,
    int encrypt, const uint8_t *key, const uint8_t *iv, const uint8_t *mackey)
{
	struct cipher_ctx *cc = NULL;
	struct mac_ctx *mc = NULL;
	int r = SSH_ERR_INTERNAL;

	if (d == NULL || c == NULL) {
		return SSH_ERR_INTERNAL;
	}
	if (c->auth_len > 0) {
		m = NULL; /* AEAD: the MAC negotiated alongside is not used */
	} else if (m == NULL || mackey == NULL) {
		return SSH_ERR_NO_ALGO;
	}
	if ((r = cipher_ctx_new(c, encrypt, key, iv, &cc)) != 0) {
		goto out;
	}
	if (m != NULL && (r = mac_ctx_new(m, mackey, &mc)) != 0) {
		goto out;
	}
	cipher_ctx_free(d->cipher);
	mac_ctx_free(d->mac);
	d->calg = c;
	d->malg = m;
	d->cipher = cc;
	d->mac = mc;
	cc = NULL;
	mc = NULL;
	d->packets = 0;
	d->bytes = 0;
	d->need = 0;
	d->have_first = 0;
	r = 0;
out:
	cipher_ctx_free(cc);
	mac_ctx_free(mc);
	return r;
}

static void pkt_count(struct pkt_dir *d, size_t wire)
{
	d->seqnr++;
	d->packets++;
	d->bytes += wire;
}

int pkt_seal(struct pkt_dir *d, const uint8_t *payload, size_t len, struct buf *out)
{
	return pkt_seal_parts(d, payload, len, NULL, 0, out);
}

int pkt_seal_parts(struct pkt_dir *d, const uint8_t *head, size_t hlen, const uint8_t *data,
    size_t dlen, struct buf *out)
{
	struct pkt_mode m;
	uint8_t *p = NULL;
	uint32_t padlen, packlen;
	size_t total = 0, len = hlen + dlen, mark;
	int r = SSH_ERR_INTERNAL;

	if (d == NULL || out == NULL || (head == NULL && hlen > 0) || (data == NULL && dlen > 0) ||
	    len < hlen) {
		return SSH_ERR_INTERNAL;
	}
	if (d->failed != 0) {
		return d->failed;
	}
	if (len > PKT_MAX_PAYLOAD) {
		return SSH_ERR_TOO_LARGE;
	}
	if (d->initial && d->seqnr == UINT32_MAX) {
		d->failed = SSH_ERR_SEQNR_WRAP;
		return d->failed;
	}
	pkt_mode_of(d, &m);
	padlen = m.bs - (uint32_t)((4 + 1 + len - m.aadlen) % m.bs);
	if (padlen < PKT_MIN_PAD) {
		padlen += m.bs;
	}
	packlen = (uint32_t)(1 + len + padlen);
	total = 4 + (size_t)packlen + m.maclen;
	mark = buf_mark(out);
	if ((r = buf_reserve(out, total, &p)) != 0) {
		return r; /* nothing written, state untouched */
	}
	poke_u32(p, packlen);
	p[4] = (uint8_t)padlen;
	if (hlen > 0) {
		memcpy(p + 5, head, hlen);
	}
	if (dlen > 0) {
		memcpy(p + 5 + hlen, data, dlen);
	}
	if ((r = ssh_rand_padding(p + 5 + len, padlen)) != 0) {
		goto out;
	}
	if (!m.encrypted) {
		r = 0;
	} else if (m.aead) {
		r = cipher_crypt(d->cipher, d->seqnr, p, p, packlen, 4, m.maclen);
	} else if (m.etm) {
		if ((r = cipher_crypt(d->cipher, d->seqnr, p, p, packlen, 4, 0)) == 0) {
			r = mac_compute(d->mac, d->seqnr, p, 4 + (size_t)packlen, p + 4 + packlen);
		}
	} else {
		if ((r = mac_compute(d->mac, d->seqnr, p, 4 + (size_t)packlen, p + 4 + packlen)) ==
		    0) {
			r = cipher_crypt(d->cipher, d->seqnr, p, p, 4 + packlen, 0, 0);
		}
	}
out:
	if (r != 0) {
		/* the cipher state may have advanced: this direction is unusable */
		OPENSSL_cleanse(p, total);
		buf_rollback(out, mark);
		d->failed = r;
		return r;
	}
	pkt_count(d, total);
	return 0;
}

/* packet_length checks that need no more than the length itself */
static int pkt_check_len(const struct pkt_mode *m, uint32_t packlen)
{
	uint32_t aligned, min;

	if (packlen > PKT_MAX_LEN) {
		return SSH_ERR_TOO_LARGE;
	}
	/* the aligned part: packet_length itself is included unless etm/AEAD */
	aligned = m->aadlen > 0 ? packlen : packlen + 4;
	min = m->aadlen > 0 ? m->bs : (m->bs < 16 ? 16 : m->bs);
	if (packlen < 1 + PKT_MIN_PAD || aligned < min || aligned % m->bs != 0) {
		return SSH_ERR_FORMAT;
	}
	return 0;
}

/* start a packet: learn packet_length (decrypting the first block if need be) */
static int pkt_open_start(struct pkt_dir *d, const struct pkt_mode *m, struct buf *in)
{
	uint8_t *p = NULL;
	uint32_t packlen = 0;
	int r;

	buf_reset(&d->plain);
	d->have_first = 0;
	if (m->encrypted && m->aadlen == 0) {
		/* MAC over plaintext: the length is inside the first cipher block */
		if (buf_len(in) < m->bs) {
			return SSH_ERR_AGAIN;
		}
		if ((r = buf_reserve(&d->plain, m->bs, &p)) != 0 ||
		    (r = cipher_crypt(d->cipher, d->seqnr, p, buf_ptr(in), m->bs, 0, 0)) != 0) {
			return r;
		}
		if ((r = buf_consume(in, m->bs)) != 0) {
			return r;
		}
		d->have_first = 1;
		packlen = peek_u32(p);
	} else if (buf_len(in) < 4) {
		return SSH_ERR_AGAIN;
	} else if (m->aead && d->calg->kind == CIPHER_CHACHAPOLY) {
		if ((r = cipher_get_length(d->cipher, &packlen, d->seqnr, buf_ptr(in), 4)) != 0) {
			return r;
		}
	} else {
		packlen = peek_u32(buf_ptr(in));
	}
	if ((r = pkt_check_len(m, packlen)) != 0) {
		return r;
	}
	d->need = packlen;
	return 0;
}

static int pkt_open_body(
    struct pkt_dir *d, const struct pkt_mode *m, struct buf *in, struct rd *payload, size_t *wirep)
{
	uint8_t mac[PKT_MAX_MAC];
	const uint8_t *src;
	uint8_t *dst = NULL, *plain;
	uint32_t packlen = d->need, padlen;
	size_t rest, wire;
	int r;

	/* bytes still to take from in: the (rest of the) packet and its MAC */
	rest = 4 + (size_t)packlen - (d->have_first ? m->bs : 0);
	wire = rest + m->maclen;
	if (buf_len(in) < wire) {
		return SSH_ERR_AGAIN;
	}
	src = buf_ptr(in);
	if ((r = buf_reserve(&d->plain, rest, &dst)) != 0) {
		return r;
	}
	if (!m->encrypted) {
		memcpy(dst, src, rest);
	} else if (m->aead) {
		if ((r = cipher_crypt(d->cipher, d->seqnr, dst, src, packlen, 4, m->maclen)) != 0) {
			return r;
		}
	} else if (m->etm) {
		/* verify before decrypting anything */
		if ((r = mac_compute(d->mac, d->seqnr, src, rest, mac)) != 0) {
			return r;
		}
		if (CRYPTO_memcmp(mac, src + rest, m->maclen) != 0) {
			return SSH_ERR_MAC;
		}
		if ((r = cipher_crypt(d->cipher, d->seqnr, dst, src, packlen, 4, 0)) != 0) {
			return r;
		}
	} else {
		/* MAC over the plaintext: decrypt the rest, then verify the whole packet */
		if ((r = cipher_crypt(d->cipher, d->seqnr, dst, src, (uint32_t)rest, 0, 0)) != 0) {
			return r;
		}
		plain = buf_ptr(&d->plain);
		if ((r = mac_compute(d->mac, d->seqnr, plain, 4 + (size_t)packlen, mac)) != 0) {
			return r;
		}
		if (CRYPTO_memcmp(mac, src + rest, m->maclen) != 0) {
			return SSH_ERR_MAC;
		}
	}
	plain = buf_ptr(&d->plain);
	padlen = plain[4];
	if (padlen < PKT_MIN_PAD || padlen >= packlen) {
		return SSH_ERR_FORMAT;
	}
	*payload = rd_make(plain + 5, packlen - 1 - padlen);
	if ((r = buf_consume(in, wire)) != 0) {
		return r;
	}
	*wirep = 4 + (size_t)packlen + m->maclen;
	return 0;
}

/* CBC with a MAC over the plaintext: the mode where the failure point must not depend on what
 * the first block decrypted to */
static int pkt_mte_cbc(const struct pkt_dir *d, const struct pkt_mode *m)
{
	return m->encrypted && !m->aead && !m->etm && d->calg->kind == CIPHER_CBC;
}

/* swallow input until d->discard is used up: SSH_ERR_AGAIN, then SSH_ERR_MAC */
static int pkt_discard(struct pkt_dir *d, struct buf *in)
{
	size_t n = buf_len(in) < d->discard ? buf_len(in) : d->discard;

	(void)buf_consume(in, n);
	d->discard -= (uint32_t)n;
	return d->discard > 0 ? SSH_ERR_AGAIN : SSH_ERR_MAC;
}

int pkt_open(struct pkt_dir *d, struct buf *in, struct rd *payload)
{
	struct pkt_mode m;
	size_t wire = 0;
	int r;

	if (payload != NULL) {
		*payload = rd_make(NULL, 0);
	}
	if (d == NULL || in == NULL || payload == NULL) {
		return SSH_ERR_INTERNAL;
	}
	if (d->failed != 0) {
		return d->failed;
	}
	pkt_mode_of(d, &m);
	if (d->discard > 0) {
		r = pkt_discard(d, in);
		goto out;
	}
	if (d->need == 0 && (r = pkt_open_start(d, &m, in)) != 0) {
		goto fail;
	}
	if ((r = pkt_open_body(d, &m, in, payload, &wire)) != 0) {
		goto fail;
	}
	if (d->initial && d->seqnr == UINT32_MAX) {
		r = SSH_ERR_SEQNR_WRAP;
		goto out;
	}
	d->need = 0;
	d->have_first = 0;
	pkt_count(d, wire);
	r = 0;
	goto out;
fail:
	if (r != SSH_ERR_AGAIN && r != SSH_ERR_ALLOC && r != SSH_ERR_INTERNAL && d->have_first &&
	    pkt_mte_cbc(d, &m)) {
		/* as OpenSSH: read on to PKT_MAX_LEN bytes of this packet, then a MAC error */
		d->discard = PKT_MAX_LEN - m.bs;
		r = pkt_discard(d, in);
	}
out:
	if (r != 0 && r != SSH_ERR_AGAIN) {
		d->failed = r;
		*payload = rd_make(NULL, 0);
	}
	return r;
}
