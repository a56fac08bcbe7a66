/*
 * Host-key trust for RFC 6187 X.509 host keys: the certificate chain in the key blob is verified
 * by certstore against the local CA store, the host name and the purposes; known_hosts is not
 * consulted and nothing is asked or written.
 */
#ifndef X509SSH_TRUST_X509_H
#define X509SSH_TRUST_X509_H

#include <stddef.h>
#include <stdint.h>

#include "options.h"
#include "ssh/conn.h"

/* Same contract as trust_hostkey_view() for a host key of an X.509 algorithm (hk->x509 set):
 * 0 with *trusted set, err holds "x509: ..." when not. */
int trust_x509(const struct options *o, const struct ssh_hostkey_view *hk, int *trusted, char *err,
    size_t errlen);

/* Free the CA stores of the run (one per configuration, loaded on first use). */
void trust_x509_cleanup(void);

#endif
