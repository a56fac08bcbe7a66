/* libFuzzer target: arbitrary server bytes into a fresh client engine. */
#include <stddef.h>
#include <stdint.h>

#include "conn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ssh_conn_config cfg = { 0 };
	struct ssh_conn *c = NULL;
	struct ssh_event ev;

	cfg.kex_algs = "curve25519-sha256,ecdh-sha2-nistp256,diffie-hellman-group-exchange-sha256";
	cfg.ciphers = "aes128-ctr,aes128-gcm@openssh.com";
	cfg.macs = "hmac-sha2-256";
	cfg.hostkey_algs = "ssh-ed25519,rsa-sha2-256";
	cfg.user = "fuzz";
	if (ssh_conn_new(&cfg, &c) != 0) {
		return 0;
	}
	(void)ssh_conn_recv(c, data, size);
	while (ssh_conn_next_event(c, &ev)) {
		if (ev.type == SSH_EV_HOSTKEY) {
			(void)ssh_conn_answer_hostkey(c, 1);
		}
	}
	(void)ssh_conn_recv_eof(c);
	ssh_conn_free(c);
	return 0;
}
