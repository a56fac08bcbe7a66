/* Edge cases of the client engine's key exchanges, driven over byte buffers against the in-memory
 * server (engine_rig.h, testsrv.h):
 *   - a time-based rekey starts exactly once per interval, however often the clock ticks while
 *     it is in flight, and not again right after it completed;
 *   - (issue 8) group-exchange groups that are no safe prime or have a generator out of range
 *     are refused;
 *   - (issue 9) the server-version quirk table caps a Cisco server's group-exchange size;
 *   - (issue 9) SSH_EV_HOSTKEY carries the view the key exchange parsed, and a rekey compares the
 *     X.509 certificates of the new host key with the first ones;
 *   - (issue 15) mlkem768x25519-sha256 end to end: key exchange against the server's half of the
 *     hybrid (encapsulation to our ML-KEM key, X25519), "none" authentication, a command and
 *     its output, a rekey; a reply one byte short is refused with a kex: line; the same for
 *     sntrup761x25519-sha512 under both names (sntrup761, SHA-512). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "buf.h"
#include "conn.h"
#include "sshkey.h"
#include "x509key.h"
#include "t.h"
#include "testsrv.h"
#include "engine_rig.h"

/* 1. rekey_seconds = 10, the clock started at 1000 ms */
static void test_rekey_once(void)
{
	struct rig r;
	int ok = rig_session(&r, 100000, 32768, 10) == 0;

	CHECK(ok);
	if (!ok) {
		goto out;
	}
	CHECK_EQ_INT(ssh_conn_tick(r.s.c, 10999), 0);
	CHECK_EQ_INT(count_kexinits(&r), 0); /* not yet */
	CHECK_EQ_INT(ssh_conn_tick(r.s.c, 12000), 0);
	CHECK_EQ_INT(count_kexinits(&r), 1);
	/* the loop goes on ticking while the server takes its time */
	CHECK_EQ_INT(ssh_conn_tick(r.s.c, 13000), 0);
	CHECK_EQ_INT(ssh_conn_tick(r.s.c, 14000), 0);
	CHECK_EQ_INT(ssh_conn_tick(r.s.c, 30000), 0);
	CHECK_EQ_INT(count_kexinits(&r), 0);
	CHECK_EQ_INT(srv_kex(&r), 0);
	CHECK_EQ_INT(testsrv_newkeys(&r.s), 0);
	CHECK_STR(conn_err(r.s.c), "");
	/* completed at 30000 ms: nothing more now, nor before the next interval */
	CHECK_EQ_INT(count_kexinits(&r), 0);
	CHECK_EQ_INT(ssh_conn_tick(r.s.c, 31000), 0);
	CHECK_EQ_INT(ssh_conn_tick(r.s.c, 39999), 0);
	CHECK_EQ_INT(count_kexinits(&r), 0);
	CHECK(data_flows(&r, 'k')); /* the new keys are in use on both sides */
	CHECK_EQ_INT(ssh_conn_tick(r.s.c, 40000), 0);
	CHECK_EQ_INT(ssh_conn_tick(r.s.c, 40001), 0);
	CHECK_EQ_INT(count_kexinits(&r), 1); /* the next interval: once */
	CHECK_STR(conn_err(r.s.c), "");
out:
	rig_free(&r);
}

/* a connection offered only group exchange by a server with identification line version (and
 * CRLF), up to the client's GEX_REQUEST, left in r->s.p; 0 when it came. r: rig_free either way. */
static int gex_rig(struct rig *r, const char *version, int cisco_gex_cap)
{
	static const char *lists[] = {"diffie-hellman-group-exchange-sha256", "ssh-ed25519",
	    "aes128-gcm@openssh.com", "aes128-gcm@openssh.com", "hmac-sha2-256", "hmac-sha2-256",
	    "none", "none", "", ""};
	uint8_t cookie[16] = {2};
	size_t i;

	rig_init_version(r, version);
	r->cfg.kex_algs = lists[0];
	r->cfg.ciphers = lists[2];
	r->cfg.macs = lists[4];
	r->cfg.hostkey_algs = lists[1];
	r->cfg.user = "tester";
	r->cfg.cisco_gex_cap = cisco_gex_cap;
	if (ssh_conn_new(&r->cfg, &r->s.c) != 0) {
		return -1;
	}
	if (testsrv_send_version(&r->s) != 0 || testsrv_next_type(&r->s) != 20) {
		return -1;
	}
	buf_reset(&r->s.p);
	buf_put_u8(&r->s.p, 20);
	buf_put(&r->s.p, cookie, 16);
	for (i = 0; i < 10; i++) {
		buf_put_cstring(&r->s.p, lists[i]);
	}
	buf_put_u8(&r->s.p, 0);
	buf_put_u32(&r->s.p, 0);
	srv_send(r, &r->s.p);
	return testsrv_next_type(&r->s) == 34 ? 0 : -1; /* GEX_REQUEST */
}

/* the client's answer to a group-exchange group (p = modp_2048 + delta, generator gen):
 * 0 when it went on with its GEX_INIT; its error text is left in err */
static int gex_answer(long delta, unsigned long gen, char *err, size_t errlen)
{
	struct rig r;
	BIGNUM *p = NULL, *g = BN_new();
	int ret = -1;

	if (gex_rig(&r, "SSH-2.0-T", 0) != 0 || g == NULL ||
	    (p = BN_get_rfc3526_prime_2048(NULL)) == NULL) {
		goto out;
	}
	if (delta >= 0) {
		BN_add_word(p, (BN_ULONG)delta);
	} else {
		BN_sub_word(p, (BN_ULONG)-delta);
	}
	BN_set_word(g, gen);
	buf_reset(&r.s.p);
	buf_put_u8(&r.s.p, 31);
	buf_put_bignum(&r.s.p, p);
	buf_put_bignum(&r.s.p, g);
	srv_send(&r, &r.s.p);
	ret = testsrv_next_type(&r.s) == 32 ? 0 : 1;
out:
	snprintf(err, errlen, "%s", r.s.c != NULL ? conn_err(r.s.c) : "no connection");
	BN_free(p);
	BN_free(g);
	rig_free(&r);
	return ret;
}

/* the largest group the client asks for from a server with this identification line */
static long gex_max_for(const char *version, int cisco_gex_cap)
{
	struct rig r;
	struct rd rd;
	uint8_t t;
	uint32_t min = 0, n = 0, max = 0;
	long ret = -1;

	if (gex_rig(&r, version, cisco_gex_cap) == 0) {
		rd = buf_rd(&r.s.p);
		if (rd_u8(&rd, &t) == 0 && rd_u32(&rd, &min) == 0 && rd_u32(&rd, &n) == 0 &&
		    rd_u32(&rd, &max) == 0 && rd_end(&rd) == 0 && min == 2048 && n == 3072) {
			ret = (long)max;
		}
	}
	rig_free(&r);
	return ret;
}

/* 14. (issue 9) the server-version quirk table: a Cisco identification line caps the group
 * exchange at 4096 bits (as the config's cisco_gex_cap does); other servers get 8192 */
static void test_compat_gex(void)
{
	CHECK_EQ_INT(gex_max_for("SSH-2.0-OpenSSH_9.2p1 Debian-2", 0), 8192);
	CHECK_EQ_INT(gex_max_for("SSH-2.0-Cisco-1.25", 0), 4096);
	CHECK_EQ_INT(gex_max_for("SSH-1.99-Cisco-1.25", 0), 4096);
	CHECK_EQ_INT(gex_max_for("SSH-2.0-OpenSSH_9.2", 1), 4096);
	CHECK_EQ_INT(gex_max_for("SSH-2.0-cisco-1.25", 0), 8192); /* as before: case matters */
}

/* 13. (issue 8 #8) a group-exchange modulus that is no safe prime, a generator out of range */
static void test_gex_group(void)
{
	char err[512];
	long d;

	/* the RFC 3526 prime itself: accepted without a test */
	CHECK_EQ_INT(gex_answer(0, 2, err, sizeof(err)), 0);
	CHECK_STR(err, "");
	/* an odd composite of the same size divisible by 3: refused */
	for (d = 2; d < 8; d += 2) {
		BIGNUM *p = BN_get_rfc3526_prime_2048(NULL);
		int div3 = p != NULL && BN_add_word(p, (BN_ULONG)d) && BN_mod_word(p, 3) == 0;

		BN_free(p);
		if (div3) {
			break;
		}
	}
	CHECK_EQ_INT(gex_answer(d, 2, err, sizeof(err)), 1);
	CHECK_STR(err, "kex: the server's 2048-bit group-exchange modulus is not a safe prime (p "
	               "is divisible by 3)");
	/* g = 1 and g = 0 (g = p - 1: test_kex.c) */
	CHECK_EQ_INT(gex_answer(0, 1, err, sizeof(err)), 1);
	CHECK(strstr(err, "kex: ") == err && strstr(err, "generator") != NULL);
	CHECK_EQ_INT(gex_answer(0, 0, err, sizeof(err)), 1);
	CHECK(strstr(err, "generator") != NULL);
}

/* a self-signed certificate for key with common name cn, as DER */
static int make_cert(EVP_PKEY *key, const char *cn, struct buf *der)
{
	X509 *x = X509_new();
	X509_NAME *name = NULL;
	unsigned char *p = NULL;
	int n = -1;

	if (x != NULL && (name = X509_NAME_new()) != NULL &&
	    X509_NAME_add_entry_by_txt(
	        name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0) == 1 &&
	    X509_set_version(x, 2) == 1 && ASN1_INTEGER_set(X509_get_serialNumber(x), 7) == 1 &&
	    X509_set_subject_name(x, name) == 1 && X509_set_issuer_name(x, name) == 1 &&
	    X509_gmtime_adj(X509_getm_notBefore(x), -60) != NULL &&
	    X509_gmtime_adj(X509_getm_notAfter(x), 3600) != NULL && X509_set_pubkey(x, key) == 1 &&
	    X509_sign(x, key, EVP_sha256()) > 0) {
		n = i2d_X509(x, &p);
	}
	buf_reset(der);
	if (n > 0) {
		buf_put(der, p, (size_t)n);
	}
	OPENSSL_free(p);
	X509_NAME_free(name);
	X509_free(x);
	return n > 0 ? 0 : -1;
}

/* an RFC 6187 blob of alg with certificates c1 (and c2 when not NULL) and nocsp stand-in OCSP
 * responses (the DER of an empty SEQUENCE: the engine does not decode them) */
static void x509_ks(
    struct buf *ks, const char *alg, const struct buf *c1, const struct buf *c2, uint32_t nocsp)
{
	static const uint8_t ocsp[] = {0x30, 0x00};
	uint32_t i;

	buf_reset(ks);
	buf_put_cstring(ks, alg);
	buf_put_u32(ks, c2 != NULL ? 2 : 1);
	buf_put_string(ks, buf_ptr(c1), buf_len(c1));
	if (c2 != NULL) {
		buf_put_string(ks, buf_ptr(c2), buf_len(c2));
	}
	buf_put_u32(ks, nocsp);
	for (i = 0; i < nocsp; i++) {
		buf_put_string(ks, ocsp, sizeof(ocsp));
	}
}

/* 16. (issue 9) SSH_EV_HOSTKEY carries the view the key exchange parsed: the table row, the
 * certificates and OCSP responses of an X.509 host key, the fingerprint */
static void test_hostkey_view(void)
{
	struct rig r;
	char *fp = NULL;
	int ok = rig_start(&r, 0) == 0;

	CHECK(ok);
	if (ok) {
		CHECK_STR(r.hk.alg, "ssh-ed25519");
		CHECK(r.hk.row == hostkey_alg_by_name("ssh-ed25519"));
		CHECK(r.hk.x509 == NULL);
		CHECK_EQ_INT(sshkey_fingerprint(r.hk.blob, r.hk.len, &fp), 0);
		CHECK(fp != NULL && r.hk.fingerprint != NULL && strcmp(fp, r.hk.fingerprint) == 0);
		CHECK(r.hk.fingerprint != NULL && strncmp(r.hk.fingerprint, "SHA256:", 7) == 0);
	}
	free(fp);
	fp = NULL;
	rig_free(&r);
}

/* 17. (issue 9) an X.509 host key: the view holds the certificates as sent; a rekey may staple
 * fresh OCSP responses to the same certificates, but a different certificate is refused */
static void test_hostkey_x509_rekey(void)
{
	static const char *alg = "x509v3-ecdsa-sha2-nistp256";
	struct buf leaf, ca, other, ks;
	struct rig r;
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	char *fp = NULL;
	int ok;

	buf_init(&leaf);
	buf_init(&ca);
	buf_init(&other);
	buf_init(&ks);
	rig_init(&r);
	r.cfg.hostkey_algs = alg;
	ok = key != NULL && make_cert(key, "host.example", &leaf) == 0 &&
	     make_cert(key, "some CA", &ca) == 0 && make_cert(key, "other.example", &other) == 0;
	CHECK(ok);
	if (!ok) {
		goto out;
	}
	x509_ks(&ks, alg, &leaf, &ca, 1);
	ok = testsrv_set_hostkey(&r.s, key, alg, buf_ptr(&ks), buf_len(&ks)) == 0 &&
	     rig_connect(&r, 10) == 0;
	CHECK(ok);
	if (!ok) {
		goto out;
	}
	CHECK_STR(r.hk.alg, alg);
	CHECK(r.hk.row == hostkey_alg_by_name(alg));
	CHECK(r.hk.len == buf_len(&ks) && memcmp(r.hk.blob, buf_ptr(&ks), r.hk.len) == 0);
	CHECK(r.hk.x509 != NULL);
	if (r.hk.x509 != NULL) {
		CHECK_EQ_INT((int)r.hk.x509->ncerts, 2);
		CHECK(r.hk.x509->cert_len[0] == buf_len(&leaf) &&
		      memcmp(r.hk.x509->cert[0], buf_ptr(&leaf), buf_len(&leaf)) == 0);
		CHECK(r.hk.x509->cert_len[1] == buf_len(&ca) &&
		      memcmp(r.hk.x509->cert[1], buf_ptr(&ca), buf_len(&ca)) == 0);
		CHECK_EQ_INT((int)r.hk.x509->nocsp, 1);
		CHECK(r.hk.x509->ocsp_len[0] == 2 && r.hk.x509->ocsp[0][0] == 0x30);
		/* the view points into the blob it describes */
		CHECK(r.hk.x509->cert[0] >= r.hk.blob && r.hk.x509->cert[0] < r.hk.blob + r.hk.len);
	}
	CHECK_EQ_INT(sshkey_fingerprint(buf_ptr(&ks), buf_len(&ks), &fp), 0);
	CHECK(fp != NULL && r.hk.fingerprint != NULL && strcmp(fp, r.hk.fingerprint) == 0);
	/* rekey: the same certificates with two OCSP responses now */
	x509_ks(&ks, alg, &leaf, &ca, 2);
	CHECK_EQ_INT(testsrv_set_hostkey(&r.s, NULL, NULL, buf_ptr(&ks), buf_len(&ks)), 0);
	CHECK_EQ_INT(ssh_conn_tick(r.s.c, 12000), 0);
	CHECK_EQ_INT(count_kexinits(&r), 1);
	CHECK_EQ_INT(srv_kex(&r), 0);
	CHECK_EQ_INT(testsrv_newkeys(&r.s), 0);
	CHECK_STR(conn_err(r.s.c), "");
	/* the view of the first exchange still holds (its blob is kept) */
	CHECK(r.hk.x509 != NULL && r.hk.x509->nocsp == 1 &&
	      memcmp(r.hk.x509->cert[1], buf_ptr(&ca), buf_len(&ca)) == 0);
	/* rekey: another leaf for the same key */
	x509_ks(&ks, alg, &other, &ca, 0);
	CHECK_EQ_INT(testsrv_set_hostkey(&r.s, NULL, NULL, buf_ptr(&ks), buf_len(&ks)), 0);
	CHECK_EQ_INT(ssh_conn_tick(r.s.c, 24000), 0);
	CHECK_EQ_INT(count_kexinits(&r), 1);
	CHECK_EQ_INT(srv_kex(&r), 0);
	CHECK_STR(
	    conn_err(r.s.c), "hostkey: the server presented a different host key during rekeying");
out:
	free(fp);
	buf_free(&leaf);
	buf_free(&ca);
	buf_free(&other);
	buf_free(&ks);
	EVP_PKEY_free(key);
	rig_free(&r);
}

/* a client and the in-memory server both set to the hybrid `name` */
static void hybrid_rig(struct rig *r, const char *name)
{
	rig_init(r);
	r->cfg.kex_algs = name;
	CHECK_EQ_INT(testsrv_set_kex(&r->s, name), 0);
}

/* 18. (issue 15) a whole connection with each hybrid (H is the method's hash) */
static void test_hybrid_session(const char *name, int hlen)
{
	static const char out[] = "hybrid ok\n";
	struct rig r;
	struct ssh_event ev;
	int ok;

	hybrid_rig(&r, name);
	ok = rig_connect(&r, 0) == 0;
	CHECK(ok);
	if (!ok) {
		goto out;
	}
	CHECK(r.s.kalg == kex_alg_by_name(name));
	CHECK_EQ_INT((int)r.s.hlen, hlen);
	buf_reset(&r.s.p);
	buf_put_u8(&r.s.p, 52); /* USERAUTH_SUCCESS */
	srv_send(&r, &r.s.p);
	CHECK_EQ_INT(testsrv_next_type(&r.s), 90); /* CHANNEL_OPEN session */
	buf_reset(&r.s.p);
	buf_put_u8(&r.s.p, 91);
	buf_put_u32(&r.s.p, 0);
	buf_put_u32(&r.s.p, SESSION_SRV_ID);
	buf_put_u32(&r.s.p, 100000);
	buf_put_u32(&r.s.p, 32768);
	srv_send(&r, &r.s.p);
	CHECK_EQ_INT(testsrv_next_type(&r.s), 98); /* exec "echo hi" */
	CHECK(memmem(buf_ptr(&r.s.p), buf_len(&r.s.p), "echo hi", 7) != NULL);
	buf_reset(&r.s.p);
	buf_put_u8(&r.s.p, 99);
	buf_put_u32(&r.s.p, 0);
	srv_send(&r, &r.s.p);
	CHECK(testsrv_next_event(r.s.c, SSH_EV_SESSION_READY, &ev));
	buf_reset(&r.s.p);
	buf_put_u8(&r.s.p, 94);
	buf_put_u32(&r.s.p, 0);
	buf_put_string(&r.s.p, out, sizeof(out) - 1);
	srv_send(&r, &r.s.p);
	CHECK(out_is(r.s.c, 0, out, sizeof(out) - 1));
	/* a server-initiated rekey runs the hybrid again; the new keys carry data */
	CHECK_EQ_INT(testsrv_rekey(&r.s, 0), 0);
	CHECK_STR(conn_err(r.s.c), "");
	CHECK(data_flows(&r, 'q'));
out:
	rig_free(&r);
}

/* 19. (issue 15) Q_S must be exactly ciphertext || X25519 key: one byte short is a kex: error */
static void test_hybrid_short_reply(const char *name)
{
	char want[200];
	struct rig r;

	hybrid_rig(&r, name);
	CHECK_EQ_INT(ssh_conn_new(&r.cfg, &r.s.c), 0);
	CHECK_EQ_INT(testsrv_handshake(&r.s, TESTSRV_SHORT_QS), -1);
	snprintf(want, sizeof(want),
	    "kex: the server's %s public value is invalid (invalid format)", name);
	CHECK_STR(conn_err(r.s.c), want);
	rig_free(&r);
}

int main(void)
{
	test_rekey_once();
	test_gex_group();
	test_compat_gex();
	test_hostkey_view();
	test_hostkey_x509_rekey();
	test_hybrid_session("mlkem768x25519-sha256", 32);
	test_hybrid_short_reply("mlkem768x25519-sha256");
	test_hybrid_session("sntrup761x25519-sha512", 64);
	test_hybrid_session("sntrup761x25519-sha512@openssh.com", 64);
	test_hybrid_short_reply("sntrup761x25519-sha512@openssh.com");
	T_DONE();
}
