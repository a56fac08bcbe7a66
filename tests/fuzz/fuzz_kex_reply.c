/*
 * libFuzzer target (issue 15): the client's parsing of the server's key-exchange reply
 * (SSH_MSG_KEX_ECDH_REPLY: K_S, Q_S, signature), above all the hybrid's Q_S = ciphertext ||
 * X25519 key. The in-memory server (testsrv.h) takes the connection to the client's ECDH_INIT;
 * then the input decides the reply:
 *   byte 0: the method (below, modulo the table size); byte 1, bit 0: 0 = the rest of the input is
 *   the whole reply payload after the type byte; 1 = the server's own valid reply with the rest
 *   of the input XORed onto it (and, when byte 1 >> 1 is non-zero, cut to 8 * that many bytes),
 *   so near-valid replies reach the length checks, decapsulation, X25519 and the signature.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "buf.h"
#include "conn.h"
#include "testsrv.h"

static const char *const methods[] = {
    "mlkem768x25519-sha256",
    "curve25519-sha256",
    "ecdh-sha2-nistp256",
    "diffie-hellman-group14-sha256",
    "sntrup761x25519-sha512@openssh.com",
};

static EVP_PKEY *host_key;
static int trace; /* X509SSH_FUZZ_TRACE: print each run's outcome */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const uint8_t seed[32] = {7};

	(void)argc;
	(void)argv;
	host_key = testsrv_ed25519(seed);
	trace = getenv("X509SSH_FUZZ_TRACE") != NULL;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ssh_conn_config cfg;
	struct testsrv s;
	struct ssh_event ev;
	struct buf reply;
	const char *method, *m = NULL;
	int hostkey = 0;

	if (size < 2) {
		return 0;
	}
	method = methods[data[0] % (sizeof(methods) / sizeof(methods[0]))];
	memset(&cfg, 0, sizeof(cfg));
	cfg.kex_algs = method;
	cfg.ciphers = "aes128-gcm@openssh.com";
	cfg.macs = "hmac-sha2-256";
	cfg.hostkey_algs = "ssh-ed25519";
	cfg.user = "fuzz";
	buf_init(&reply);
	if (testsrv_init(&s, host_key, NULL) != 0 || testsrv_set_kex(&s, method) != 0 ||
	    ssh_conn_new(&cfg, &s.c) != 0 || testsrv_send_version(&s) != 0) {
		goto out;
	}
	testsrv_kexinit_offer(&s, &s.i_s);
	if (testsrv_send(&s, &s.i_s) != 0 || testsrv_next_type(&s) != 20) {
		goto out;
	}
	buf_reset(&s.i_c);
	buf_put(&s.i_c, buf_ptr(&s.p), buf_len(&s.p));
	if (testsrv_next_type(&s) != 30) {
		goto out;
	}
	if (data[1] & 1) {
		s.reply_xor = data + 2;
		s.reply_xor_len = size - 2;
		s.reply_cut = (size_t)(data[1] >> 1) * 8;
		(void)testsrv_kex_answer(&s, 0);
	} else {
		buf_put_u8(&reply, 31);
		buf_put(&reply, data + 2, size - 2);
		(void)testsrv_send(&s, &reply);
	}
	while (ssh_conn_next_event(s.c, &ev)) {
		if (ev.type == SSH_EV_HOSTKEY) {
			hostkey = 1;
			(void)ssh_conn_answer_hostkey(s.c, 1);
		}
	}
	if (trace) {
		(void)ssh_conn_error(s.c, &m);
		fprintf(stderr, "%s: %s%s\n", method, hostkey ? "host key proved; " : "",
		    m != NULL ? m : "no error");
	}
out:
	buf_free(&reply);
	testsrv_free(&s);
	return 0;
}
