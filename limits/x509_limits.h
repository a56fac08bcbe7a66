/*
 * Caps on what a peer sends in an X.509 host key, shared by the engine's blob parser
 * (client/ssh/x509key.c), the trust store (certstore) and the program (X509MaxChain, the chains
 * it sends): one place for the numbers. This folder holds constants only, no code, so each of
 * those rooms has it on its include path (the x509ssh_limits target) without seeing another
 * room's headers; include it by plain name: #include "x509_limits.h".
 */
#ifndef X509SSH_X509_LIMITS_H
#define X509SSH_X509_LIMITS_H

#define X509_MAX_CHAIN_DEFAULT 10           /* X509MaxChain when not set */
#define X509_MAX_CHAIN_LIMIT   32           /* X509MaxChain is clamped to this by certstore */
#define X509_BLOB_MAX          16           /* certificates (and OCSP responses) in one blob */
#define X509_BLOB_ITEM_MAX     (64 * 1024)  /* bytes of one certificate or OCSP response */
#define X509_BLOB_TOTAL_MAX    (256 * 1024) /* bytes of a whole blob (a packet holds no more) */

#endif
