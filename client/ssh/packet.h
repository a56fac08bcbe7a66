/*
 * The binary packet protocol (RFC 4253 section 6) for one direction: framing, padding, cipher,
 * MAC, sequence numbers, byte/packet counters for rekeying. No I/O: pkt_seal appends wire bytes to
 * a buffer, pkt_open takes wire bytes from a buffer.
 */
#ifndef X509SSH_PACKET_H
#define X509SSH_PACKET_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "cipher.h"

#define PKT_MAX_LEN      (256u * 1024) /* cap on packet_length a peer may announce */
#define PKT_MAX_PAYLOAD  (PKT_MAX_LEN - 64)
#define PKT_MAX_OVERHEAD (4 + 1 + 255 + 64) /* wire bytes a packet adds to its payload, at most */

struct pkt_dir {
	const struct cipher_alg *calg; /* NULL before the first NEWKEYS: plaintext */
	const struct mac_alg *malg;    /* NULL for AEAD or before NEWKEYS */
	struct cipher_ctx *cipher;
	struct mac_ctx *mac;
	uint32_t seqnr;   /* wraps at 2^32 */
	uint64_t packets; /* since the last key change */
	uint64_t bytes;   /* since the last key change (wire bytes) */
	/* receive side state for a partly read packet */
	struct buf plain; /* decrypted packet being assembled; payload borrowed from here */
	uint32_t need;    /* packet_length once known, else 0 */
	int have_first;   /* first block already decrypted into plain */
	int failed;       /* sticky: after an error every pkt_seal/pkt_open returns it */
	uint32_t discard; /* CBC with MAC-then-encrypt: bytes still to swallow before failing */
	int initial;      /* set by the caller until the first key exchange is over: a wrapping
	                   * seqnr is then SSH_ERR_SEQNR_WRAP (strict kex counts on it) */
};

void pkt_dir_init(struct pkt_dir *d);
/* free cipher/MAC contexts and the reassembly buffer (keys wiped) */
void pkt_dir_free(struct pkt_dir *d);
/*
 * Install new keys (after NEWKEYS). mac may be NULL (AEAD). key/iv/mackey have the lengths the
 * table rows say. Counters are reset; seqnr is kept (strict kex resets it separately).
 */
int pkt_dir_set_keys(struct pkt_dir *d, const struct cipher_alg *c, const struct mac_alg *m,
    int encrypt, const uint8_t *key, const uint8_t *iv, const uint8_t *mackey);

/* Frame, pad (random, at least 4 bytes, to the block size), encrypt and MAC one packet whose
 * payload is given; append the wire bytes to out. Increments seqnr. */
int pkt_seal(struct pkt_dir *d, const uint8_t *payload, size_t len, struct buf *out);
/* The same for a payload given in two parts (a message header and its data), so bulk data is
 * copied once, straight into the wire buffer. */
int pkt_seal_parts(struct pkt_dir *d, const uint8_t *head, size_t hlen, const uint8_t *data,
    size_t dlen, struct buf *out);

/*
 * Take at most one packet from the front of in (consuming exactly its bytes). Returns 0 and
 * sets *payload to the decrypted payload (valid until the next call on d), SSH_ERR_AGAIN when in
 * does not yet hold a whole packet (some bytes may have been consumed and kept in d), or an error:
 * SSH_ERR_MAC (bad MAC/tag), SSH_ERR_TOO_LARGE (packet_length over PKT_MAX_LEN),
 * SSH_ERR_FORMAT (bad padding or length not a multiple of the block size). Errors are final.
 * Increments seqnr per packet.
 * CBC with a MAC over the plaintext (non-etm): a bad length or MAC is not reported at once (the
 * Albrecht-Paterson-Watson setting: where the failure happens would tell the length a forged
 * first block decrypts to); input is swallowed until PKT_MAX_LEN bytes of the packet were
 * consumed, SSH_ERR_AGAIN meanwhile, then SSH_ERR_MAC whatever was wrong.
 * With d->initial set, the packet whose seqnr is 2^32 - 1 fails with SSH_ERR_SEQNR_WRAP (both
 * here and in pkt_seal).
 */
int pkt_open(struct pkt_dir *d, struct buf *in, struct rd *payload);

#endif
