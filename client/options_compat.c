/*
 * The OpenSSH (and PKIX-SSH) keywords that are not in options.c's table, in one table, one row
 * per keyword, by class:
 *   alias     - another name of one of our keywords (a value may be translated);
 *   noeffect  - accepted, does nothing here: its absence cannot route the connection elsewhere or
 *               weaken security; a -v line says so (a warning when set to yes, for the rows that
 *               ask for one);
 *   unsupported - would change where or how we connect: an error naming it when a line that
 *               applies to this destination sets it to a value other than the harmless ones,
 *               raised by options_finish (after every file is read), so that a block for another
 *               host cancels it (the forwarding keywords are options_fwd.c's).
 * The man page x509ssh_config(5) lists the noeffect rows in one table (a unit test compares).
 */
#include "options.h"
#include "options_int.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "err.h"
#include "log.h"

enum compat_class { CC_ALIAS = 1, CC_NOEFFECT, CC_UNSUPPORTED };

#define CF_WARN_YES 1u /* noeffect: a warning (log_info) when the value is yes */

struct valmap {
	const char *from, *to;
};

struct compat_kw {
	const char *name;
	enum compat_class cls;
	const char *target;      /* CC_ALIAS: our keyword */
	const struct valmap *vm; /* CC_ALIAS: value translation (NULL: the value as is) */
	const char *harmless;    /* CC_UNSUPPORTED: comma list of values that are fine */
	unsigned flags;          /* CF_* */
	const char *why;         /* CC_NOEFFECT: appended to the -v line */
	size_t keep;             /* CC_NOEFFECT: nonzero: the value is kept in this char * field */
};

/* PKIX-SSH: AllowedCertPurpose sslserver | any | skip; MandatoryCRL yes | no */
static const struct valmap vm_purpose[] = {{"sslserver", "serverAuth"},
    {"any", "secureShellServer,serverAuth,anyExtendedKeyUsage"},
    {"skip", "secureShellServer,serverAuth,anyExtendedKeyUsage"}, {NULL, NULL}};
static const struct valmap vm_crl[] = {{"yes", "require"}, {"no", "check"}, {NULL, NULL}};

#define ALIAS(n, t)                                                                                \
	{                                                                                          \
		.name = n, .cls = CC_ALIAS, .target = t                                            \
	}
#define ALIASV(n, t, m)                                                                            \
	{                                                                                          \
		.name = n, .cls = CC_ALIAS, .target = t, .vm = m                                   \
	}
#define NOEFF(n, w)                                                                                \
	{                                                                                          \
		.name = n, .cls = CC_NOEFFECT, .why = w                                            \
	}
#define NOEFFW(n, w)                                                                               \
	{                                                                                          \
		.name = n, .cls = CC_NOEFFECT, .flags = CF_WARN_YES, .why = w                      \
	}
#define UNSUP(n, ok)                                                                               \
	{                                                                                          \
		.name = n, .cls = CC_UNSUPPORTED, .harmless = ok                                   \
	}

#define W_FWD "forwarding is not supported"
#define W_MUX "no connection sharing: each run is its own connection"
#define W_GSS "GSSAPI is not supported"
#define W_HB  "host-based authentication is not supported"
#define W_OLD "obsolete in OpenSSH"
#define W_X11 "X11 forwarding is not supported"

static const struct compat_kw compat[] = {
    /* other names of our keywords */
    ALIAS("PubkeyAcceptedKeyTypes", "PubkeyAcceptedAlgorithms"),
    ALIAS("ChallengeResponseAuthentication", "KbdInteractiveAuthentication"),
    ALIAS("SkeyAuthentication", "KbdInteractiveAuthentication"),
    ALIAS("TISAuthentication", "KbdInteractiveAuthentication"),
    ALIAS("DSAAuthentication", "PubkeyAuthentication"),
    ALIAS("SmartcardDevice", "PKCS11Provider"),
    ALIAS("PubkeyAlgorithms", "PubkeyAcceptedAlgorithms"), /* PKIX-SSH's name */
    ALIASV("AllowedCertPurpose", "X509HostPurposes", vm_purpose),
    ALIASV("MandatoryCRL", "X509Revocation", vm_crl),

    /* accepted, no effect */
    NOEFF("CanonicalDomains", "used only with CanonicalizeHostname"),
    NOEFF("CanonicalizeFallbackLocal", "used only with CanonicalizeHostname"),
    NOEFF("CanonicalizeMaxDots", "used only with CanonicalizeHostname"),
    NOEFF("CanonicalizePermittedCNAMEs", "used only with CanonicalizeHostname"),
    NOEFF("CASignatureAlgorithms", "OpenSSH certificates are not supported"),
    NOEFF("ChannelTimeout", NULL),
    NOEFF("CheckHostIP", "host keys are checked by name"),
    NOEFF("Compression", NULL),
    NOEFF("ControlMaster", W_MUX),
    {.name = "ControlPath",
        .cls = CC_NOEFFECT,
        .why = W_MUX,
        .keep = offsetof(struct options, control_path)},
    NOEFF("ControlPersist", W_MUX),
    NOEFF("EnableSSHKeysign", W_HB),
    NOEFF("FingerprintHash", "fingerprints are SHA256"),
    NOEFFW("ForwardX11", W_X11),
    NOEFF("ForwardX11Timeout", W_X11),
    NOEFFW("ForwardX11Trusted", W_X11),
    NOEFF("GSSAPIAuthentication", W_GSS),
    NOEFF("GSSAPIClientIdentity", W_GSS),
    NOEFF("GSSAPIDelegateCredentials", W_GSS),
    NOEFF("GSSAPIKexAlgorithms", W_GSS),
    NOEFF("GSSAPIKeyExchange", W_GSS),
    NOEFF("GSSAPIRenewalForcesRekey", W_GSS),
    NOEFF("GSSAPIServerIdentity", W_GSS),
    NOEFF("GSSAPITrustDns", W_GSS),
    NOEFF("HostbasedAcceptedAlgorithms", W_HB),
    NOEFF("HostbasedAuthentication", W_HB),
    NOEFF("HostbasedKeyTypes", W_HB),
    NOEFF("IPQoS", NULL),
    NOEFF("KbdInteractiveDevices", NULL),
    NOEFF("LocalCommand", "local commands are not supported"),
    NOEFF("LogVerbose", NULL),
    NOEFF("NoHostAuthenticationForLocalhost", "localhost's host key is always checked"),
    NOEFF("ObscureKeystrokeTiming", NULL),
    NOEFF("PermitLocalCommand", "local commands are not supported"),
    NOEFF("StreamLocalBindMask", W_FWD),
    NOEFF("StreamLocalBindUnlink", W_FWD),
    NOEFF("SyslogFacility", "logs go to stderr"),
    NOEFF("TCPKeepAlive", NULL),
    NOEFF("TunnelDevice", "used only with Tunnel"),
    NOEFF("UpdateHostKeys", NULL),
    NOEFF("VerifyHostKeyDNS", "DNS is never trusted for host keys"),
    NOEFF("VersionAddendum", NULL),
    NOEFF("VisualHostKey", NULL),
    NOEFF("WarnWeakCrypto", NULL),
    NOEFF("XAuthLocation", W_X11),
    /* obsolete OpenSSH names it still accepts */
    NOEFF("AFSTokenPassing", W_OLD),
    NOEFF("Cipher", W_OLD),
    NOEFF("CompressionLevel", W_OLD),
    NOEFF("FallBackToRsh", W_OLD),
    NOEFF("GlobalKnownHostsFile2", W_OLD),
    NOEFF("KeepAlive", W_OLD),
    NOEFF("KerberosAuthentication", W_OLD),
    NOEFF("KerberosTGTPassing", W_OLD),
    NOEFF("Protocol", "only SSH-2 exists"),
    NOEFF("RhostsAuthentication", W_OLD),
    NOEFF("RhostsRSAAuthentication", W_OLD),
    NOEFF("RSAAuthentication", W_OLD),
    NOEFF("UsePrivilegedPort", W_OLD),
    NOEFF("UserKnownHostsFile2", W_OLD),
    NOEFF("UseRoaming", W_OLD),
    NOEFF("UseRsh", W_OLD),
    /* PKIX-SSH */
    NOEFF("CAldapURL", "LDAP is not supported"),
    NOEFF("CAldapVersion", "LDAP is not supported"),
    NOEFF("CAStoreURI", "use CACertificateFile / CACertificatePath"),
    NOEFF("HostbasedAlgorithms", W_HB),
    NOEFF("KeyAllowSelfIssued", NULL),
    NOEFF("VACertificateFile", "used only with VAType"),
    NOEFF("X509KeyAlgorithm", "the algorithms follow from the key"),

    /* not supported (yet): an error when it applies */
    UNSUP("CanonicalizeHostname", "no"),
    UNSUP("CertificateFile", "none"),
    UNSUP("KnownHostsCommand", "none"),
    UNSUP("ProxyUseFdpass", "no"),
    UNSUP("RevokedHostKeys", "none"),
    UNSUP("SecurityKeyProvider", "internal"),
    UNSUP("Tunnel", "no"),
    UNSUP("VAOCSPResponderURL", "none"),
    UNSUP("VAType", "none"),
};

#define N_COMPAT (sizeof(compat) / sizeof(compat[0]))

_Static_assert(N_COMPAT <= OPT_COMPAT_MAX, "OPT_COMPAT_MAX too small for the compat table");

static const struct compat_kw *find_compat(const char *name)
{
	for (size_t i = 0; i < N_COMPAT; i++) {
		if (strcasecmp(compat[i].name, name) == 0) {
			return &compat[i];
		}
	}
	return NULL;
}

static int in_list(const char *v, const char *list)
{
	size_t n = strlen(v);
	const char *p = list;

	while (p != NULL && *p != '\0') {
		size_t l = strcspn(p, ",");
		if (l == n && strncasecmp(p, v, n) == 0) {
			return 1;
		}
		p += l;
		p += *p == ',';
	}
	return 0;
}

static int harmless(const struct compat_kw *c, const struct args *a)
{
	return c->harmless != NULL && a->n == 2 && in_list(a->v[1], c->harmless);
}

static int apply_alias(const struct compat_kw *c, struct options *o, struct args *a, int active,
    char *err, size_t errlen)
{
	char *kw = a->v[0], *val = a->n > 1 ? a->v[1] : NULL;
	int r;

	if (c->vm != NULL && val != NULL) {
		size_t i;
		for (i = 0; c->vm[i].from != NULL && strcasecmp(c->vm[i].from, val) != 0; i++) {
		}
		if (c->vm[i].from == NULL) {
			errfmt(err, errlen, "bad value '%.100s' for %s", val, c->name);
			return SSH_ERR_FORMAT;
		}
		a->v[1] = (char *)(uintptr_t)c->vm[i].to;
	}
	a->v[0] = (char *)(uintptr_t)c->target;
	r = options_apply_args(o, a, active, err, errlen);
	a->v[0] = kw;
	if (val != NULL) {
		a->v[1] = val;
	}
	return r;
}

int options_compat_apply(struct options *o, struct args *a, int active, char *err, size_t errlen)
{
	const struct compat_kw *c = find_compat(a->v[0]);
	size_t i;

	if (c == NULL) {
		return 1;
	}
	if (c->cls == CC_ALIAS) {
		return apply_alias(c, o, a, active, err, errlen);
	}
	if (a->n < 2 || a->v[1][0] == '\0') {
		errfmt(err, errlen, "missing value for %s", c->name);
		return SSH_ERR_FORMAT;
	}
	if (!active) {
		return 0;
	}
	i = (size_t)(c - compat);
	if (c->cls == CC_NOEFFECT) {
		char **keep = c->keep != 0 ? FIELD(o, c->keep, char *) : NULL;
		if (keep != NULL && *keep == NULL && (*keep = strdup(a->v[1])) == NULL) {
			errfmt(err, errlen, "out of memory");
			return SSH_ERR_ALLOC;
		}
		o->compat_seen[i] |= OPT_COMPAT_NOEFFECT;
		if ((c->flags & CF_WARN_YES) != 0 && strcasecmp(a->v[1], "yes") == 0) {
			o->compat_seen[i] |= OPT_COMPAT_WARN;
		}
	} else if ((o->compat_seen[i] & OPT_COMPAT_SET) == 0) {
		/* the first obtained value wins ("none") */
		o->compat_seen[i] |= OPT_COMPAT_SET;
		if (!harmless(c, a)) {
			o->compat_seen[i] |= OPT_COMPAT_UNSUPPORTED;
		}
	}
	return 0;
}

int options_compat_finish(const struct options *o, char *err, size_t errlen)
{
	for (size_t i = 0; i < N_COMPAT; i++) {
		if ((o->compat_seen[i] & OPT_COMPAT_UNSUPPORTED) == 0) {
			continue;
		}
		errfmt(err, errlen, "%s is not supported yet", compat[i].name);
		return SSH_ERR_FORMAT;
	}
	return 0;
}

void options_report_compat(const struct options *o)
{
	for (size_t i = 0; i < N_COMPAT; i++) {
		const struct compat_kw *c = &compat[i];
		if ((o->compat_seen[i] & OPT_COMPAT_NOEFFECT) == 0) {
			continue;
		}
		if ((o->compat_seen[i] & OPT_COMPAT_WARN) != 0) {
			log_info("Warning: %s yes has no effect in x509ssh (%s).", c->name, c->why);
		}
		log_debug1("Keyword %s has no effect in x509ssh%s%s%s", c->name,
		    c->why != NULL ? " (" : "", c->why != NULL ? c->why : "",
		    c->why != NULL ? ")" : "");
	}
}

size_t options_compat_count(void)
{
	return N_COMPAT;
}

const char *options_compat_at(size_t i, int *cls)
{
	if (i >= N_COMPAT) {
		return NULL;
	}
	if (cls != NULL) {
		*cls = compat[i].cls == CC_ALIAS      ? OPT_CLASS_ALIAS
		       : compat[i].cls == CC_NOEFFECT ? OPT_CLASS_NOEFFECT
		                                      : OPT_CLASS_UNSUPPORTED;
	}
	return compat[i].name;
}
