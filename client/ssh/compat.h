/*
 * Peer quirks keyed by the server's identification line (OpenSSH's compat.c is the model): the
 * flags are computed once, when the version line is parsed, and kept on the connection
 * (c->compat); code that bends for a peer tests a flag, never the version string.
 */
#ifndef X509SSH_COMPAT_H
#define X509SSH_COMPAT_H

#define COMPAT_GEX_MAX_4096   0x1u /* group exchange: ask for 4096 bits at most (Cisco IOS) */
#define COMPAT_X509_RSA_FIRST 0x2u /* no server-sig-algs: offer x509v3-ssh-rsa first for RSA */

/* The COMPAT_* flags of a server identification line ("SSH-2.0-Cisco-1.25"); 0 for NULL. */
unsigned compat_flags(const char *server_version);

#endif
