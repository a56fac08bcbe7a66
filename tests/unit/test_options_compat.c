/* options: the OpenSSH keyword surface: every keyword of OpenSSH 10.2's ssh_config(5) is known,
 * each class behaves as documented (implemented, alias, no effect, not supported only where it
 * applies), IgnoreUnknown, ClearAllForwardings, the authentication switches, quoting, and the
 * man page's table of keywords without effect. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "err.h"
#include "options.h"
#include "options_int.h"
#include "t.h"
#include "t_options.h"

/* every keyword of OpenSSH 10.2's ssh_config(5) (Host, Match, Include are the files' own) and
 * the obsolete names it still accepts, with a value it accepts */
static const char *const openssh_lines[] = {
    "AddKeysToAgent yes",
    "AddressFamily inet",
    "BatchMode yes",
    "BindAddress 127.0.0.1",
    "BindInterface lo",
    "CanonicalDomains example.com",
    "CanonicalizeFallbackLocal yes",
    "CanonicalizeHostname no",
    "CanonicalizeMaxDots 1",
    "CanonicalizePermittedCNAMEs *.a.example:*.b.example",
    "CASignatureAlgorithms ssh-ed25519",
    "CertificateFile none",
    "ChannelTimeout session=5m",
    "CheckHostIP no",
    "Ciphers aes128-ctr",
    "ClearAllForwardings yes",
    "Compression yes",
    "ConnectionAttempts 2",
    "ConnectTimeout 10",
    "ControlMaster auto",
    "ControlPath none",
    "ControlPersist 60s",
    "DynamicForward 1080",
    "EnableEscapeCommandline no",
    "EnableSSHKeysign no",
    "EscapeChar ~",
    "ExitOnForwardFailure yes",
    "FingerprintHash sha256",
    "ForkAfterAuthentication no",
    "ForwardAgent no",
    "ForwardX11 no",
    "ForwardX11Timeout 20m",
    "ForwardX11Trusted no",
    "GatewayPorts no",
    "GlobalKnownHostsFile /dev/null",
    "GSSAPIAuthentication no",
    "GSSAPIDelegateCredentials no",
    "HashKnownHosts yes",
    "HostbasedAcceptedAlgorithms ssh-ed25519",
    "HostbasedAuthentication no",
    "HostKeyAlgorithms ssh-ed25519",
    "HostKeyAlias alias",
    "Hostname h.example",
    "IdentitiesOnly yes",
    "IdentityAgent none",
    "IdentityFile ~/.ssh/id_ed25519",
    "IgnoreUnknown Foo",
    "IPQoS lowdelay throughput",
    "KbdInteractiveAuthentication no",
    "KbdInteractiveDevices pam",
    "KexAlgorithms curve25519-sha256",
    "KnownHostsCommand none",
    "LocalCommand echo hi",
    "LocalForward 8080 localhost:80",
    "LogLevel ERROR",
    "LogVerbose kex.c:*",
    "MACs hmac-sha2-256",
    "NoHostAuthenticationForLocalhost no",
    "NumberOfPasswordPrompts 1",
    "ObscureKeystrokeTiming no",
    "PasswordAuthentication no",
    "PermitLocalCommand no",
    "PermitRemoteOpen any",
    "PKCS11Provider none",
    "Port 22",
    "PreferredAuthentications publickey",
    "ProxyCommand none",
    "ProxyJump none",
    "ProxyUseFdpass no",
    "PubkeyAcceptedAlgorithms ssh-ed25519",
    "PubkeyAuthentication host-bound",
    "RefuseConnection no",
    "RekeyLimit 1G 1h",
    "RemoteCommand none",
    "RemoteForward 9090 localhost:90",
    "RequestTTY no",
    "RequiredRSASize 1024",
    "RevokedHostKeys none",
    "SecurityKeyProvider internal",
    "SendEnv LANG",
    "ServerAliveCountMax 3",
    "ServerAliveInterval 0",
    "SessionType default",
    "SetEnv A=1",
    "StdinNull no",
    "StreamLocalBindMask 0177",
    "StreamLocalBindUnlink no",
    "StrictHostKeyChecking accept-new",
    "SyslogFacility USER",
    "Tag t",
    "TCPKeepAlive yes",
    "Tunnel no",
    "TunnelDevice any:any",
    "UpdateHostKeys no",
    "User u",
    "UserKnownHostsFile /dev/null",
    "VerifyHostKeyDNS no",
    "VersionAddendum none",
    "VisualHostKey no",
    "WarnWeakCrypto yes",
    "XAuthLocation /usr/bin/xauth",
    /* obsolete names OpenSSH still accepts */
    "ChallengeResponseAuthentication no",
    "Cipher blowfish",
    "CompressionLevel 6",
    "DSAAuthentication yes",
    "GlobalKnownHostsFile2 /dev/null",
    "KeepAlive yes",
    "Protocol 2",
    "PubkeyAcceptedKeyTypes ssh-ed25519",
    "RhostsRSAAuthentication no",
    "RSAAuthentication no",
    "SkeyAuthentication no",
    "SmartcardDevice none",
    "TISAuthentication no",
    "UsePrivilegedPort no",
    "UserKnownHostsFile2 /dev/null",
    "UseRoaming no",
    /* Debian's GSSAPI key exchange */
    "GSSAPIKeyExchange no",
    "GSSAPITrustDns no",
};

/* each is known from -o and from a file, lower case too, and finishes without error */
static void test_openssh_keywords(void)
{
	char lower[256];
	struct options o;
	size_t i, j;

	for (i = 0; i < sizeof(openssh_lines) / sizeof(openssh_lines[0]); i++) {
		const char *l = openssh_lines[i];
		int clear = strncmp(l, "LocalForward", 12) == 0 ||
		            strncmp(l, "RemoteForward", 13) == 0 ||
		            strncmp(l, "DynamicForward", 14) == 0;
		t_opt_fresh(&o, "h");
		CHECK_MSG(t_opt_apply(&o, l) == 0, "-o '%s': %s", l, err);
		if (clear) {
			CHECK_EQ_INT(t_opt_apply(&o, "ClearAllForwardings yes"), 0);
		}
		CHECK_MSG(t_opt_finish(&o) == 0, "'%s' then finish: %s", l, err);
		options_free(&o);

		for (j = 0; l[j] != '\0' && j + 1 < sizeof(lower); j++) {
			lower[j] = l[j] >= 'A' && l[j] <= 'Z' ? (char)(l[j] + 32) : l[j];
		}
		lower[j] = '\0';
		t_opt_fresh(&o, "h");
		CHECK_MSG(t_opt_read_text(&o, lower, NULL, 0) == 0, "file '%s': %s", lower, err);
		options_free(&o);
	}
}

/* a value our own table accepts, per keyword: a keyword added without one fails here */
static const struct {
	const char *kw, *value;
} samples[] = {
    {"HostName", "h.example"},
    {"Port", "2222"},
    {"User", "u"},
    {"AddressFamily", "inet6"},
    {"ConnectTimeout", "5"},
    {"ConnectionAttempts", "2"},
    {"ServerAliveInterval", "10"},
    {"ServerAliveCountMax", "2"},
    {"BatchMode", "yes"},
    {"LogLevel", "DEBUG2"},
    {"RequestTTY", "force"},
    {"SessionType", "none"},
    {"StdinNull", "yes"},
    {"EscapeChar", "^A"},
    {"SetEnv", "A=1 B=2"},
    {"SendEnv", "LC_*"},
    {"PreferredAuthentications", "password"},
    {"NumberOfPasswordPrompts", "2"},
    {"RekeyLimit", "512M 30m"},
    {"KexAlgorithms", "+diffie-hellman-group14-sha256"},
    {"Ciphers", "aes256-ctr"},
    {"MACs", "hmac-sha2-512"},
    {"HostKeyAlgorithms", "ssh-ed25519"},
    {"PubkeyAcceptedAlgorithms", "-ssh-rsa"},
    {"StrictHostKeyChecking", "no"},
    {"UserKnownHostsFile", "/a /b"},
    {"GlobalKnownHostsFile", "/c"},
    {"HostKeyAlias", "al"},
    {"HashKnownHosts", "yes"},
    {"CACertificateFile", "/ca.pem"},
    {"CACertificatePath", "/ca"},
    {"CARevocationFile", "/crl.pem"},
    {"CARevocationPath", "/crl"},
    {"X509HostKeys", "require"},
    {"X509HostName", "n.example"},
    {"X509NameFallbackCN", "no"},
    {"X509HostPurposes", "serverAuth"},
    {"X509Revocation", "require"},
    {"X509AllowPartialChain", "yes"},
    {"X509MaxChain", "4"},
    {"RequiredRSASize", "3072"},
    {"IdentityFile", "/id"},
    {"X509CertificateFile", "/c.pem"},
    {"IdentitiesOnly", "yes"},
    {"PKCS11Provider", "/p.so"},
    {"PKCS11Helper", "no"},
    {"IdentityAgent", "~/.ssh/agent.sock"},
    {"ForwardAgent", "yes"},
    {"AddKeysToAgent", "confirm 10m"},
    {"X509SendRoot", "yes"},
    {"UserFromCertificate", "cn"},
    {"BindAddress", "127.0.0.1"},
    {"BindInterface", "lo"},
    {"RemoteCommand", "echo a b"},
    {"ProxyCommand", "nc %h %p"},
    {"IgnoreUnknown", "Foo*"},
    {"Tag", "t1"},
    {"PasswordAuthentication", "no"},
    {"KbdInteractiveAuthentication", "no"},
    {"PubkeyAuthentication", "unbound"},
    {"ClearAllForwardings", "yes"},
    {"GatewayPorts", "yes"},
    {"EnableEscapeCommandline", "yes"},
    {"ExitOnForwardFailure", "yes"},
    {"ForkAfterAuthentication", "yes"},
    {"RefuseConnection", "yes"},
    {"LocalForward", "8080 localhost:80"},
    {"RemoteForward", "9090 localhost:90"},
    {"DynamicForward", "1080"},
    {"PermitRemoteOpen", "h:22"},
    {"ProxyJump", "bastion"},
};

static const char *sample_for(const char *kw)
{
	for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
		if (strcmp(samples[i].kw, kw) == 0) {
			return samples[i].value;
		}
	}
	return NULL;
}

/* our own table: each keyword has a sample, which applies from -o and a file and sets something
 * -G shows differently from the defaults */
static void test_own_keywords(void)
{
	struct options o, d;
	const char *kw;
	char line[300];
	size_t i;

	for (i = 0; (kw = options_keyword_at(i)) != NULL; i++) {
		const char *v = sample_for(kw);
		CHECK_MSG(v != NULL, "keyword %s has no sample value in this test", kw);
		if (v == NULL) {
			continue;
		}
		snprintf(line, sizeof(line), "%s %s", kw, v);
		t_opt_fresh(&o, "h");
		CHECK_MSG(t_opt_apply(&o, line) == 0, "-o '%s': %s", line, err);
		options_free(&o);
		t_opt_fresh(&o, "h");
		CHECK_MSG(t_opt_read_text(&o, line, NULL, 0) == 0, "file '%s': %s", line, err);
		options_free(&o);
	}
	/* one of the samples changes what -G shows (the new keywords are printed) */
	t_opt_fresh(&d, "h");
	CHECK_EQ_INT(t_opt_finish(&d), 0);
	t_opt_fresh(&o, "h");
	CHECK_EQ_INT(t_opt_apply(&o, "BindAddress 127.0.0.1"), 0);
	CHECK_EQ_INT(t_opt_apply(&o, "PasswordAuthentication no"), 0);
	CHECK_EQ_INT(t_opt_finish(&o), 0);
	CHECK_STR(o.bind_address, "127.0.0.1");
	CHECK_EQ_INT(o.password_authentication, 0);
	CHECK_EQ_INT(d.password_authentication, 1);
	options_free(&o);
	options_free(&d);
}

/* the compatibility table: each class from -o */
static void test_compat_classes(void)
{
	struct options o;
	const char *name;
	char line[300];
	int cls = 0, n_noeffect = 0, n_unsup = 0;

	for (size_t i = 0; (name = options_compat_at(i, &cls)) != NULL; i++) {
		CHECK(i < options_compat_count());
		t_opt_fresh(&o, "h");
		switch (cls) {
		case OPT_CLASS_NOEFFECT:
			n_noeffect++;
			snprintf(line, sizeof(line), "%s yes", name);
			CHECK_MSG(t_opt_apply(&o, line) == 0, "'%s': %s", line, err);
			CHECK_MSG(o.compat_seen[i] & OPT_COMPAT_NOEFFECT, "'%s' not noted", line);
			CHECK_MSG(t_opt_finish(&o) == 0, "'%s' then finish: %s", line, err);
			break;
		case OPT_CLASS_UNSUPPORTED:
			n_unsup++;
			snprintf(line, sizeof(line), "%s 4096", name);
			CHECK_MSG(t_opt_apply(&o, line) == 0, "'%s': %s", line, err);
			CHECK_MSG(t_opt_finish(&o) == SSH_ERR_FORMAT, "'%s' was accepted", line);
			CHECK_MSG(
			    strncmp(err, name, strlen(name)) == 0 && strstr(err, "not supported"),
			    "'%s': error '%s'", line, err);
			/* in a block that does not apply: fine */
			options_free(&o);
			t_opt_fresh(&o, "h");
			snprintf(line, sizeof(line), "Host other\n%s 4096", name);
			CHECK_MSG(
			    t_opt_read_text(&o, line, NULL, 0) == 0, "file '%s': %s", line, err);
			CHECK_MSG(t_opt_finish(&o) == 0, "not applying '%s': %s", line, err);
			break;
		case OPT_CLASS_ALIAS:
			break;
		default:
			CHECK_MSG(0, "%s: class %d", name, cls);
		}
		options_free(&o);
	}
	CHECK(n_noeffect > 40);
	CHECK(n_unsup >= 9);

	/* a value OpenSSH documents as "off" is harmless for the unsupported ones */
	t_opt_fresh(&o, "h");
	CHECK_EQ_INT(t_opt_apply(&o, "ProxyJump none"), 0);
	CHECK_EQ_INT(t_opt_apply(&o, "ProxyCommand none"), 0);
	CHECK_EQ_INT(t_opt_apply(&o, "Tunnel no"), 0);
	CHECK_EQ_INT(t_opt_apply(&o, "ForkAfterAuthentication no"), 0);
	CHECK_EQ_INT(t_opt_apply(&o, "CanonicalizeHostname no"), 0);
	CHECK_EQ_INT(t_opt_apply(&o, "RequiredRSASize 1024"), 0);
	CHECK_EQ_INT(t_opt_apply(&o, "VAType none"), 0);
	CHECK_EQ_INT(t_opt_finish(&o), 0);
	options_free(&o);
	t_opt_fresh(&o, "h");
	CHECK_EQ_INT(t_opt_apply(&o, "CanonicalizeHostname always"), 0);
	CHECK_EQ_INT(t_opt_finish(&o), SSH_ERR_FORMAT);
	CHECK_STR(err, "CanonicalizeHostname is not supported yet");
	options_free(&o);
	/* RequiredRSASize is a real option now: any size up to 16384 */
	t_opt_fresh(&o, "h");
	CHECK_EQ_INT(t_opt_apply(&o, "RequiredRSASize 3072"), 0);
	CHECK_EQ_INT(t_opt_finish(&o), 0);
	CHECK_EQ_INT(o.required_rsa_size, 3072);
	options_free(&o);
	t_opt_fresh(&o, "h");
	CHECK(t_opt_apply(&o, "RequiredRSASize 20000") != 0);
	options_free(&o);
	t_opt_fresh(&o, "h");
	CHECK_EQ_INT(t_opt_finish(&o), 0);
	CHECK_EQ_INT(o.required_rsa_size, 1024);
	options_free(&o);
	/* the first obtained value wins for these too: "none" first keeps it off */
	t_opt_fresh(&o, "h");
	CHECK_EQ_INT(t_opt_read_text(&o,
	                 "Host h\nProxyJump none\nTunnel no\nHost *\nProxyJump bastion\n"
	                 "Tunnel yes\nLocalForward 1 h:2\nRemoteForward 3 h:4",
	                 NULL, 0),
	    0);
	CHECK_EQ_INT(t_opt_finish(&o), 0);
	CHECK(o.proxy_jump == NULL); /* "none" came first */
	CHECK_EQ_INT(o.n_local_forward, 1);
	CHECK_EQ_INT(o.n_remote_forward, 1);
	options_free(&o);
	/* ProxyCommand is ours now: no error */
	t_opt_fresh(&o, "h");
	CHECK_EQ_INT(t_opt_apply(&o, "ProxyCommand nc %h %p"), 0);
	CHECK_EQ_INT(t_opt_finish(&o), 0);
	options_free(&o);
	/* ... but not its file-descriptor passing */
	t_opt_fresh(&o, "h");
	CHECK_EQ_INT(t_opt_apply(&o, "ProxyUseFdpass no"), 0);
	CHECK_EQ_INT(t_opt_finish(&o), 0);
	options_free(&o);
	t_opt_fresh(&o, "h");
	CHECK_EQ_INT(t_opt_apply(&o, "ProxyUseFdpass yes"), 0);
	CHECK_EQ_INT(t_opt_finish(&o), SSH_ERR_FORMAT);
	CHECK_STR(err, "ProxyUseFdpass is not supported yet");
	options_free(&o);

	/* a no-effect keyword needs a value, as in OpenSSH */
	t_opt_fresh(&o, "h");
	CHECK_EQ_INT(t_opt_apply(&o, "ForwardX11"), SSH_ERR_FORMAT);
	CHECK_STR(err, "missing value for ForwardX11");
	options_free(&o);

	/* the warning bit: ForwardX11 yes only (ForwardAgent is a keyword of ours now) */
	t_opt_fresh(&o, "h");
	CHECK_EQ_INT(t_opt_apply(&o, "ForwardAgent yes"), 0);
	CHECK_EQ_INT(t_opt_apply(&o, "ForwardX11 yes"), 0);
	CHECK_EQ_INT(t_opt_apply(&o, "Compression yes"), 0);
	for (size_t i = 0; (name = options_compat_at(i, NULL)) != NULL; i++) {
		int warn = (o.compat_seen[i] & OPT_COMPAT_WARN) != 0;
		CHECK_MSG(warn == (strcmp(name, "ForwardX11") == 0), "%s: warn %d", name, warn);
	}
	CHECK_STR(o.forward_agent, "yes");
	options_free(&o);
	/* the first value wins; a path and a variable are kept as given */
	t_opt_fresh(&o, "h");
	CHECK_EQ_INT(t_opt_apply(&o, "ForwardAgent $MY_SOCK"), 0);
	CHECK_EQ_INT(t_opt_apply(&o, "ForwardAgent no"), 0);
	CHECK_STR(o.forward_agent, "$MY_SOCK");
	options_free(&o);
}

static void test_aliases(void)
{
	struct options o;

	t_opt_fresh(&o, "h");
	CHECK_EQ_INT(t_opt_apply(&o, "ChallengeResponseAuthentication no"), 0);
	CHECK_EQ_INT(t_opt_apply(&o, "KbdInteractiveAuthentication yes"), 0); /* first wins */
	CHECK_EQ_INT(t_opt_apply(&o, "DSAAuthentication no"), 0);
	CHECK_EQ_INT(t_opt_apply(&o, "PubkeyAcceptedKeyTypes ssh-ed25519"), 0);
	CHECK_EQ_INT(t_opt_apply(&o, "SmartcardDevice /lib/p11.so"), 0);
	CHECK_EQ_INT(t_opt_apply(&o, "AllowedCertPurpose sslserver"), 0);
	CHECK_EQ_INT(t_opt_apply(&o, "MandatoryCRL yes"), 0);
	CHECK_EQ_INT(o.kbd_interactive_authentication, 0);
	CHECK_EQ_INT(o.pubkey_authentication, 0);
	CHECK_STR(o.pubkey_accepted_algorithms, "ssh-ed25519");
	CHECK_STR(o.pkcs11_provider, "/lib/p11.so");
	CHECK_STR(o.x509_host_purposes, "serverAuth");
	CHECK_EQ_INT(o.x509_revocation, X509REV_REQUIRE);
	options_free(&o);
	t_opt_fresh(&o, "h");
	CHECK_EQ_INT(t_opt_apply(&o, "PubkeyAlgorithms x509v3-rsa2048-sha256"), 0); /* PKIX-SSH */
	CHECK_STR(o.pubkey_accepted_algorithms, "x509v3-rsa2048-sha256");
	CHECK_EQ_INT(t_opt_apply(&o, "MandatoryCRL perhaps"), SSH_ERR_FORMAT);
	CHECK_STR(err, "bad value 'perhaps' for MandatoryCRL");
	CHECK_EQ_INT(t_opt_apply(&o, "MandatoryCRL no"), 0);
	CHECK_EQ_INT(t_opt_apply(&o, "AllowedCertPurpose any"), 0);
	CHECK_EQ_INT(o.x509_revocation, X509REV_CHECK);
	CHECK_STR(o.x509_host_purposes, "secureShellServer,serverAuth,anyExtendedKeyUsage");
	options_free(&o);
}

/* IgnoreUnknown: from -o and in a file (where it must come before the keyword) */
static void test_ignore_unknown(void)
{
	struct options o;

	t_opt_fresh(&o, "h");
	CHECK_EQ_INT(t_opt_apply(&o, "UseKeychain yes"), SSH_ERR_FORMAT);
	CHECK_STR(err, "unknown option 'UseKeychain'");
	CHECK_EQ_INT(t_opt_apply(&o, "IgnoreUnknown usekeychain,Foo*"), 0);
	CHECK_EQ_INT(t_opt_apply(&o, "UseKeychain yes"), 0);
	CHECK_EQ_INT(t_opt_apply(&o, "FooBar 1"), 0);
	CHECK_EQ_INT(t_opt_apply(&o, "Bar 1"), SSH_ERR_FORMAT);
	CHECK_STR(err, "unknown option 'Bar'");
	CHECK_EQ_INT(t_opt_finish(&o), 0);
	options_free(&o);
	t_opt_fresh(&o, "h");
	CHECK_EQ_INT(t_opt_read_text(&o, "UseKeychain yes\nIgnoreUnknown UseKeychain", NULL, 0),
	    SSH_ERR_FORMAT);
	options_free(&o);
	t_opt_fresh(&o, "h");
	CHECK_EQ_INT(t_opt_read_text(&o, "IgnoreUnknown UseKeychain\nUseKeychain yes", NULL, 0), 0);
	options_free(&o);
}

/* not-supported keywords count only in blocks that apply; ClearAllForwardings cancels them */
static void test_blocks_and_clear(void)
{
	struct options o;
	/* alt: elsewhere.example's ProxyCommand comes after its ProxyJump, so it is ignored once
	 * ProxyCommand is a keyword of ours (LocalForward is then the first error); while it is a
	 * not-supported row of options_compat.c, it is the error */
	static const struct {
		const char *host, *err, *alt;
	} cases[] = {
	    {"other.example", NULL, NULL},
	    {"elsewhere.example", NULL, NULL},
	    {"fwd.example", NULL, NULL},
	    {"proxied.example", NULL, NULL},
	    {"direct.example", NULL, NULL},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		t_opt_fresh(&o, cases[i].host);
		err[0] = '\0';
		CHECK_MSG(options_read_file(&o, "data/cfg_compat_blocks", 0, err, sizeof(err)) == 0,
		    "%s: %s", cases[i].host, err);
		if (cases[i].err == NULL) {
			CHECK_MSG(t_opt_finish(&o) == 0, "%s: %s", cases[i].host, err);
			CHECK_STR(o.control_path, "~/.ssh/cm-%r@%h:%p");
		} else {
			CHECK(t_opt_finish(&o) != 0);
			CHECK_MSG(strcmp(err, cases[i].err) == 0 ||
			              (cases[i].alt != NULL && strcmp(err, cases[i].alt) == 0),
			    "%s: got '%s'", cases[i].host, err);
		}
		options_free(&o);
	}
	/* ClearAllForwardings yes from the command line cancels the file's forwardings */
	t_opt_fresh(&o, "fwd.example");
	CHECK_EQ_INT(t_opt_apply(&o, "ClearAllForwardings yes"), 0);
	CHECK_EQ_INT(options_read_file(&o, "data/cfg_compat_blocks", 0, err, sizeof(err)), 0);
	CHECK_EQ_INT(t_opt_finish(&o), 0);
	CHECK_EQ_INT(o.n_dynamic_forward, 0);
	options_free(&o);
	/* ... but not a ProxyJump */
	t_opt_fresh(&o, "proxied.example");
	CHECK_EQ_INT(t_opt_apply(&o, "ClearAllForwardings yes"), 0);
	CHECK_EQ_INT(options_read_file(&o, "data/cfg_compat_blocks", 0, err, sizeof(err)), 0);
	CHECK_EQ_INT(t_opt_finish(&o), 0);
	CHECK(o.proxy_jump != NULL); /* ClearAllForwardings does not touch it */
	options_free(&o);
	/* set in the file after the forwardings; and a command-line -L (LocalForward) too */
	t_opt_fresh(&o, "h");
	CHECK_EQ_INT(t_opt_apply(&o, "LocalForward 1:h:2"), 0);
	CHECK_EQ_INT(options_read_file(&o, "data/cfg_compat_clear", 0, err, sizeof(err)), 0);
	CHECK_EQ_INT(t_opt_finish(&o), 0);
	CHECK_EQ_INT(o.clear_all_forwardings, 1);
	CHECK_EQ_INT(o.n_local_forward, 0);
	options_free(&o);
	/* ClearAllForwardings no keeps them */
	t_opt_fresh(&o, "h");
	CHECK_EQ_INT(t_opt_apply(&o, "ClearAllForwardings no"), 0);
	CHECK_EQ_INT(options_read_file(&o, "data/cfg_compat_clear", 0, err, sizeof(err)), 0);
	CHECK_EQ_INT(t_opt_finish(&o), 0);
	CHECK(o.n_local_forward > 0); /* kept */
	options_free(&o);
}

static void test_auth_switches(void)
{
	struct options o;

	/* unknown methods are skipped */
	t_opt_fresh(&o, "h");
	CHECK_EQ_INT(
	    t_opt_apply(&o, "PreferredAuthentications gssapi-with-mic,gssapi-keyex,hostbased,"
	                    "publickey"),
	    0);
	CHECK_EQ_INT(t_opt_finish(&o), 0);
	CHECK_STR(o.preferred_authentications, "publickey");
	options_free(&o);
	/* an empty list (ssh-copy-id's ",") tries nothing */
	t_opt_fresh(&o, "h");
	CHECK_EQ_INT(t_opt_apply(&o, "PreferredAuthentications ,"), 0);
	CHECK_EQ_INT(t_opt_finish(&o), 0);
	CHECK_STR(o.preferred_authentications, "");
	options_free(&o);
	t_opt_fresh(&o, "h");
	CHECK_EQ_INT(t_opt_apply(&o, "PreferredAuthentications \"\""), 0);
	CHECK_EQ_INT(t_opt_finish(&o), 0);
	CHECK_STR(o.preferred_authentications, "");
	options_free(&o);
	/* the yes/no switches filter the list (the default and a given one) */
	t_opt_fresh(&o, "h");
	CHECK_EQ_INT(t_opt_apply(&o, "PasswordAuthentication no"), 0);
	CHECK_EQ_INT(t_opt_apply(&o, "KbdInteractiveAuthentication no"), 0);
	CHECK_EQ_INT(t_opt_finish(&o), 0);
	CHECK_STR(o.preferred_authentications, "publickey");
	options_free(&o);
	t_opt_fresh(&o, "h");
	CHECK_EQ_INT(t_opt_apply(&o, "PubkeyAuthentication no"), 0);
	CHECK_EQ_INT(t_opt_apply(&o, "PreferredAuthentications password,publickey"), 0);
	CHECK_EQ_INT(t_opt_finish(&o), 0);
	CHECK_STR(o.preferred_authentications, "password");
	options_free(&o);
	t_opt_fresh(&o, "h");
	CHECK_EQ_INT(t_opt_apply(&o, "PubkeyAuthentication maybe"), SSH_ERR_FORMAT);
	CHECK_EQ_INT(t_opt_apply(&o, "PubkeyAuthentication host-bound"), 0);
	CHECK_EQ_INT(t_opt_apply(&o, "PasswordAuthentication false"), 0);
	CHECK_EQ_INT(t_opt_finish(&o), 0);
	CHECK_STR(o.preferred_authentications, "publickey,keyboard-interactive");
	options_free(&o);
}

static void test_values(void)
{
	struct options o;

	/* quoting as Ansible, sftp and scp write it */
	t_opt_fresh(&o, "h");
	CHECK_EQ_INT(t_opt_apply(&o, "User=\"root\""), 0);
	CHECK_EQ_INT(t_opt_apply(&o, "ControlPath=\"/tmp/a b\""), 0);
	CHECK_EQ_INT(t_opt_apply(&o, "ForwardX11 no"), 0);
	CHECK_EQ_INT(t_opt_apply(&o, "batchmode yes"), 0);
	CHECK_EQ_INT(t_opt_apply(&o, "RemoteCommand=none"), 0);
	CHECK_EQ_INT(t_opt_apply(&o, "PKCS11Provider none"), 0);
	CHECK_EQ_INT(t_opt_finish(&o), 0);
	CHECK_STR(o.user, "root");
	CHECK_STR(o.control_path, "/tmp/a b");
	CHECK_EQ_INT(o.batch_mode, 1);
	CHECK(o.remote_command == NULL);
	CHECK(o.pkcs11_provider == NULL);
	options_free(&o);
	/* RemoteCommand: the rest of the line */
	t_opt_fresh(&o, "h");
	CHECK_EQ_INT(t_opt_apply(&o, "RemoteCommand echo  a \"b c\" \t"), 0);
	CHECK_EQ_INT(t_opt_finish(&o), 0);
	CHECK_STR(o.remote_command, "echo  a \"b c\"");
	options_free(&o);
	t_opt_fresh(&o, "h");
	CHECK_EQ_INT(t_opt_read_text(&o, "RemoteCommand = printf '%s\\n' x", NULL, 0), 0);
	CHECK_EQ_INT(t_opt_finish(&o), 0);
	CHECK_STR(o.remote_command, "printf '%s\\n' x");
	options_free(&o);
	t_opt_fresh(&o, "h");
	CHECK_EQ_INT(t_opt_apply(&o, "RemoteCommand \"none\""), 0);
	CHECK_EQ_INT(t_opt_finish(&o), 0);
	CHECK(o.remote_command == NULL);
	options_free(&o);
	/* ProxyCommand: the rest of the line, "none" unset, the first obtained value wins */
	t_opt_fresh(&o, "h");
	CHECK_EQ_INT(t_opt_apply(&o, "ProxyCommand=ssh -W %h:%p  \"bastion host\" \t"), 0);
	CHECK_EQ_INT(t_opt_apply(&o, "ProxyCommand nc other 22"), 0);
	CHECK_EQ_INT(t_opt_finish(&o), 0);
	CHECK_STR(o.proxy_command, "ssh -W %h:%p  \"bastion host\"");
	options_free(&o);
	t_opt_fresh(&o, "h");
	CHECK_EQ_INT(t_opt_read_text(
	                 &o, "Host h\nProxyCommand none\nHost *\nProxyCommand nc %h %p", NULL, 0),
	    0);
	CHECK_EQ_INT(t_opt_finish(&o), 0);
	CHECK(o.proxy_command == NULL);
	options_free(&o);
	t_opt_fresh(&o, "h");
	CHECK_EQ_INT(t_opt_read_text(
	                 &o, "Host h\nProxyCommand nc %h %p\nHost *\nProxyCommand none", NULL, 0),
	    0);
	CHECK_EQ_INT(t_opt_finish(&o), 0);
	CHECK_STR(o.proxy_command, "nc %h %p");
	options_free(&o);
	t_opt_fresh(&o, "h");
	CHECK_EQ_INT(t_opt_apply(&o, "ProxyCommand=none"), 0);
	CHECK_EQ_INT(t_opt_read_text(&o, "ProxyCommand nc %h %p", NULL, 0), 0);
	CHECK_EQ_INT(t_opt_finish(&o), 0);
	CHECK(o.proxy_command == NULL);
	options_free(&o);
	/* a flag's keyword replaces an earlier -o value (as OpenSSH's -c after -o Ciphers) */
	t_opt_fresh(&o, "h");
	CHECK_EQ_INT(t_opt_apply(&o, "Ciphers aes128-ctr"), 0);
	CHECK_EQ_INT(options_apply_override(&o, "Ciphers \"aes256-ctr\"", err, sizeof(err)), 0);
	CHECK_EQ_INT(options_apply_override(&o, "EscapeChar \"%\"", err, sizeof(err)), 0);
	CHECK_EQ_INT(options_apply_override(&o, "ForwardX11 no", err, sizeof(err)), 0);
	CHECK_EQ_INT(t_opt_finish(&o), 0);
	CHECK_STR(o.ciphers, "aes256-ctr");
	CHECK_EQ_INT(o.escape_char, '%');
	options_free(&o);
	/* RefuseConnection and Tag are stored */
	t_opt_fresh(&o, "h");
	CHECK_EQ_INT(t_opt_apply(&o, "RefuseConnection yes"), 0);
	CHECK_EQ_INT(t_opt_apply(&o, "Tag prod"), 0);
	CHECK_EQ_INT(t_opt_finish(&o), 0);
	CHECK_EQ_INT(o.refuse_connection, 1);
	CHECK_STR(o.tag, "prod");
	options_free(&o);
}

/* the man page's table of keywords without effect holds exactly the table's rows */
static void test_man_table(void)
{
	char *man = t_slurp_text("../../man/x509ssh_config.5"), *tab, *end;
	const char *name;
	char needle[128];
	int cls = 0, rows = 0;

	CHECK(man != NULL);
	if (man == NULL) {
		return;
	}
	tab = strstr(man, ".\\\" no-effect table begin");
	end = strstr(man, ".\\\" no-effect table end");
	CHECK(tab != NULL && end != NULL && end > tab);
	if (tab == NULL || end == NULL) {
		free(man);
		return;
	}
	*end = '\0';
	for (size_t i = 0; (name = options_compat_at(i, &cls)) != NULL; i++) {
		if (cls != OPT_CLASS_NOEFFECT) {
			continue;
		}
		rows++;
		snprintf(needle, sizeof(needle), "\n.It Cm %s\n", name);
		CHECK_MSG(
		    strstr(tab, needle) != NULL, "%s is missing from the man page table", name);
	}
	/* and nothing else */
	for (char *p = tab; (p = strstr(p, "\n.It Cm ")) != NULL; p++) {
		rows--;
	}
	CHECK_EQ_INT(rows, 0);
	free(man);
}

int main(void)
{
	char cwd[900], home[1000];

	if (getcwd(cwd, sizeof(cwd)) == NULL) {
		return 1;
	}
	snprintf(home, sizeof(home), "%s/data/cfg_home", cwd);
	setenv("HOME", home, 1);

	test_openssh_keywords();
	test_own_keywords();
	test_compat_classes();
	test_aliases();
	test_ignore_unknown();
	test_blocks_and_clear();
	test_auth_switches();
	test_values();
	test_man_table();
	T_DONE();
}
