/* options: keyword parsing, precedence, Host / Match / Include, errors with FILE:LINE, defaults,
 * the -G dump, and a mutation sweep over a config file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "options.h"
#include "t.h"
#include "t_options.h"

static char home[1024];

/* ---- options_apply ---- */

static void test_apply(void)
{
	struct options o;
	char line[64];
	int i;

	t_opt_fresh(&o, "h");
	CHECK_EQ_INT(t_opt_apply(&o, "bAtChMoDe YES"), 0);
	CHECK_EQ_INT(o.batch_mode, 1);
	CHECK_EQ_INT(t_opt_apply(&o, "BatchMode=no"), 0); /* first obtained value wins */
	CHECK_EQ_INT(o.batch_mode, 1);
	CHECK_EQ_INT(t_opt_apply(&o, "Port = 2022"), 0);
	CHECK_EQ_INT(o.port, 2022);
	CHECK_EQ_INT(t_opt_apply(&o, "  port\t=\t33"), 0);
	CHECK_EQ_INT(o.port, 2022);
	CHECK_EQ_INT(t_opt_apply(&o, "User=\"a user\""), 0);
	CHECK_STR(o.user, "a user");
	CHECK_EQ_INT(t_opt_apply(&o, "IdentityFile \"/path with/spaces\""), 0);
	CHECK_EQ_INT(t_opt_apply(&o, "IdentityFile='/second'"), 0);
	CHECK_EQ_INT(t_opt_apply(&o, "IdentityFile /path\\ escaped"), 0);
	CHECK_EQ_INT(t_opt_apply(&o, "IdentityFile /second"), 0); /* duplicate: kept once */
	CHECK_EQ_INT(o.n_identity_file, 3);
	CHECK_STR(o.identity_file[0], "/path with/spaces");
	CHECK_STR(o.identity_file[1], "/second");
	CHECK_STR(o.identity_file[2], "/path escaped");
	CHECK_EQ_INT(t_opt_apply(&o, "SendEnv LANG LC_* # comment"), 0);
	CHECK_EQ_INT(t_opt_apply(&o, "SendEnv XTERM_*"), 0);
	CHECK_EQ_INT(o.n_send_env, 3);
	CHECK_STR(o.send_env[2], "XTERM_*");
	CHECK_EQ_INT(t_opt_apply(&o, "SetEnv A=1 \"B=two words\""), 0);
	CHECK_EQ_INT(t_opt_apply(&o, "SetEnv A=other C="), 0); /* A: first definition wins */
	CHECK_EQ_INT(o.n_set_env, 3);
	CHECK_STR(o.set_env[0], "A=1");
	CHECK_STR(o.set_env[1], "B=two words");
	CHECK_STR(o.set_env[2], "C=");
	CHECK_EQ_INT(t_opt_apply(&o, "UserKnownHostsFile /a /b"), 0);
	CHECK_EQ_INT(t_opt_apply(&o, "UserKnownHostsFile /c"), 0);
	CHECK_EQ_INT(o.n_user_known_hosts_file, 3);
	CHECK_EQ_INT(t_opt_apply(&o, "EscapeChar ^A"), 0);
	CHECK_EQ_INT(o.escape_char, 1);
	CHECK_EQ_INT(t_opt_apply(&o, "ConnectTimeout none"), 0);
	CHECK_EQ_INT(o.connect_timeout, 0);
	CHECK_EQ_INT(t_opt_apply(&o, "ConnectTimeout 5"), 0);
	CHECK_EQ_INT(o.connect_timeout, 0);
	CHECK_EQ_INT(t_opt_apply(&o, "LogLevel debug"), 0);
	CHECK_EQ_INT(o.log_level, LOG_DEBUG1);
	CHECK_EQ_INT(t_opt_apply(&o, "StrictHostKeyChecking accept-new"), 0);
	CHECK_EQ_INT(o.strict_host_key_checking, SHK_ACCEPT_NEW);
	CHECK_EQ_INT(t_opt_apply(&o, "X509HostPurposes SERVERAUTH,secureshellserver"), 0);
	CHECK_STR(o.x509_host_purposes, "serverAuth,secureShellServer");
	CHECK_EQ_INT(t_opt_apply(&o, "Ciphers +aes128-cbc"), 0);
	CHECK_STR(o.ciphers, "+aes128-cbc"); /* resolved by options_finish */
	CHECK_EQ_INT(t_opt_apply(&o, "   "), SSH_ERR_FORMAT);
	CHECK_EQ_INT(t_opt_apply(&o, "# only a comment"), SSH_ERR_FORMAT);
	CHECK_EQ_INT(t_opt_finish(&o), 0);
	CHECK_EQ_INT(o.escape_char, 1);
	CHECK_EQ_INT(o.connect_timeout, OPT_UNSET);
	CHECK_EQ_INT(o.user_from_default, 0);
	options_free(&o);

	/* EscapeChar none and a plain character */
	t_opt_fresh(&o, "h");
	CHECK_EQ_INT(t_opt_apply(&o, "EscapeChar none"), 0);
	CHECK_EQ_INT(t_opt_apply(&o, "EscapeChar %"), 0);
	CHECK_EQ_INT(t_opt_finish(&o), 0);
	CHECK_EQ_INT(o.escape_char, -1);
	options_free(&o);
	t_opt_fresh(&o, "h");
	CHECK_EQ_INT(t_opt_apply(&o, "EscapeChar %"), 0);
	CHECK_EQ_INT(t_opt_finish(&o), 0);
	CHECK_EQ_INT(o.escape_char, '%');
	options_free(&o);

	/* list cap */
	t_opt_fresh(&o, "h");
	for (i = 0; i < OPT_MAX_LIST; i++) {
		snprintf(line, sizeof(line), "IdentityFile /k%d", i);
		CHECK_EQ_INT(t_opt_apply(&o, line), 0);
	}
	CHECK_EQ_INT(t_opt_apply(&o, "IdentityFile /one-too-many"), SSH_ERR_TOO_LARGE);
	CHECK_STR(err, "too many IdentityFile entries (at most 32)");
	CHECK_EQ_INT(o.n_identity_file, OPT_MAX_LIST);
	options_free(&o);
}

struct bad {
	const char *line;
	const char *err;
};

static const struct bad bads[] = {
    {"Foo bar", "unknown option 'Foo'"},
    {"Host *", "'Host' is only allowed in a config file"},
    {"match all", "'match' is only allowed in a config file"},
    {"Include x", "'Include' is only allowed in a config file"},
    {"=yes", "missing keyword"},
    {"BatchMode", "missing value for BatchMode"},
    {"BatchMode maybe", "bad value 'maybe' for BatchMode"},
    {"BatchMode yes no", "too many values for BatchMode"},
    {"BatchMode on", "bad value 'on' for BatchMode"},
    {"IdentitiesOnly 1", "bad value '1' for IdentitiesOnly"},
    {"X509NameFallbackCN maybe", "bad value 'maybe' for X509NameFallbackCN"},
    {"X509AllowPartialChain y", "bad value 'y' for X509AllowPartialChain"},
    {"X509SendRoot on", "bad value 'on' for X509SendRoot"},
    {"AddressFamily inet4", "bad value 'inet4' for AddressFamily"},
    {"LogLevel LOUD", "bad value 'LOUD' for LogLevel"},
    {"LogLevel DEBUG4", "bad value 'DEBUG4' for LogLevel"},
    {"RequestTTY sometimes", "bad value 'sometimes' for RequestTTY"},
    {"StrictHostKeyChecking accept", "bad value 'accept' for StrictHostKeyChecking"},
    {"X509HostKeys only", "bad value 'only' for X509HostKeys"},
    {"X509Revocation soft", "bad value 'soft' for X509Revocation"},
    {"UserFromCertificate email", "bad value 'email' for UserFromCertificate"},
    {"EscapeChar ab", "bad value 'ab' for EscapeChar"},
    {"EscapeChar ^1", "bad value '^1' for EscapeChar"},
    {"EscapeChar \"\"", "bad value '' for EscapeChar"},
    {"Port 0", "bad value '0' for Port"},
    {"Port 65536", "bad value '65536' for Port"},
    {"Port -1", "bad value '-1' for Port"},
    {"Port 22x", "bad value '22x' for Port"},
    {"Port 99999999999999999999", "bad value '99999999999999999999' for Port"},
    {"ConnectTimeout soon", "bad value 'soon' for ConnectTimeout"},
    {"ConnectTimeout -5", "bad value '-5' for ConnectTimeout"},
    {"ConnectionAttempts 0", "bad value '0' for ConnectionAttempts"},
    {"ServerAliveInterval x", "bad value 'x' for ServerAliveInterval"},
    {"ServerAliveCountMax +3", "bad value '+3' for ServerAliveCountMax"},
    {"NumberOfPasswordPrompts many", "bad value 'many' for NumberOfPasswordPrompts"},
    {"X509MaxChain 0", "bad value '0' for X509MaxChain"},
    {"X509MaxChain 65", "bad value '65' for X509MaxChain"},
    {"X509HostPurposes serverAuth,clientAuth", "bad value 'clientAuth' for X509HostPurposes"},
    {"SetEnv NOVALUE", "bad value 'NOVALUE' for SetEnv"},
    {"SetEnv A=1 =x", "bad value '=x' for SetEnv"},
    {"IdentityFile /a /b", "too many values for IdentityFile"},
    {"IdentityFile \"\"", "bad value '' for IdentityFile"},
    {"HostName \"\"", "bad value '' for HostName"},
    {"User 'unterminated", "unterminated quoted value"},
    {"Ciphers aes128-ctr,rot13", "unsupported algorithm 'rot13' in Ciphers"},
    {"Ciphers +rot13", "unsupported algorithm 'rot13' in Ciphers"},
    {"Ciphers ^aes128-ctr,", "empty algorithm name in Ciphers"},
    {"Ciphers -*", "empty algorithm list in Ciphers"},
    {"MACs hmac-md5", "unsupported algorithm 'hmac-md5' in MACs"},
    {"KexAlgorithms sntrup653x25519-sha512@openssh.com",
        "unsupported algorithm 'sntrup653x25519-sha512@openssh.com' in KexAlgorithms"},
    {"HostKeyAlgorithms ssh-dss", "unsupported algorithm 'ssh-dss' in HostKeyAlgorithms"},
    {"PubkeyAcceptedAlgorithms ecdsa-sha2-*",
        "unsupported algorithm 'ecdsa-sha2-*' in PubkeyAcceptedAlgorithms"},
};

static void test_bad_values(void)
{
	struct options o;
	size_t i;

	for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		t_opt_fresh(&o, "h");
		CHECK_MSG(
		    t_opt_apply(&o, bads[i].line) < 0, "line '%s' was accepted", bads[i].line);
		CHECK_MSG(strcmp(err, bads[i].err) == 0, "line '%s': got '%s', want '%s'",
		    bads[i].line, err, bads[i].err);
		/* nothing was stored */
		CHECK(o.batch_mode == OPT_UNSET && o.port == OPT_UNSET && o.ciphers == NULL &&
		      o.n_identity_file == 0 && o.n_set_env == 0);
		options_free(&o);
	}
}

/* ---- files ---- */

static char *home_path(const char *rel)
{
	static char p[1200];

	snprintf(p, sizeof(p), "%s/%s", home, rel);
	return p;
}

static void test_files(void)
{
	struct options o;

	/* alpha.example: the first Host block wins over "*.example" and "Host *" */
	CHECK_EQ_INT(t_opt_load(&o, "alpha.example", "data/cfg_main"), 0);
	CHECK_EQ_INT(o.port, 2201);
	CHECK_STR(o.user, "fileuser");
	CHECK_STR(o.hostname, "alpha.example");
	CHECK_EQ_INT(o.connect_timeout, 7);
	CHECK_STR(o.ciphers, "aes128-ctr,aes256-ctr");
	CHECK_EQ_INT(o.n_identity_file, 2);
	CHECK_STR(o.identity_file[0], home_path("id_alpha"));
	CHECK_STR(o.identity_file[1], home_path("id_all"));
	CHECK_EQ_INT(o.n_send_env, 4); /* LANG LC_* FROM_A FROM_B: glob in sorted order */
	CHECK_STR(o.send_env[0], "LANG");
	CHECK_STR(o.send_env[1], "LC_*");
	CHECK_STR(o.send_env[2], "FROM_A");
	CHECK_STR(o.send_env[3], "FROM_B");
	CHECK_EQ_INT(o.x509_max_chain, 5);
	CHECK_EQ_INT(o.log_level, LOG_DEBUG2);
	CHECK_EQ_INT(o.number_of_password_prompts, 5); /* Match !host real-* */
	CHECK_EQ_INT(o.connection_attempts, 1);
	CHECK_EQ_INT(o.server_alive_interval, 0);
	CHECK_EQ_INT(o.batch_mode, 1);
	CHECK_EQ_INT(o.strict_host_key_checking, SHK_ACCEPT_NEW);
	options_free(&o);

	/* host names match case-insensitively */
	CHECK_EQ_INT(t_opt_load(&o, "ALPHA.Example", "data/cfg_main"), 0);
	CHECK_EQ_INT(o.port, 2201);
	options_free(&o);
	CHECK_EQ_INT(t_opt_load(&o, "x.alpha.example", "data/cfg_main"), 0);
	CHECK_EQ_INT(o.port, 2201);
	options_free(&o);
	/* negated in the first block: falls to *.example */
	CHECK_EQ_INT(t_opt_load(&o, "beta.example", "data/cfg_main"), 0);
	CHECK_EQ_INT(o.port, 2202);
	CHECK_EQ_INT(o.n_identity_file, 1);
	CHECK_STR(o.ciphers, "aes128-ctr,aes256-ctr");
	options_free(&o);
	/* negated in *.example: only Host * applies */
	CHECK_EQ_INT(t_opt_load(&o, "secret.example", "data/cfg_main"), 0);
	CHECK_EQ_INT(o.port, 2299);
	CHECK(o.ciphers != NULL && strstr(o.ciphers, "chacha20-poly1305@openssh.com") != NULL);
	CHECK_EQ_INT(o.n_send_env, 2);
	options_free(&o);
	/* gamma: Match host sees HostName only once it is set (the Match before it does not
	 * apply, the one after does); Include'd Host gamma */
	CHECK_EQ_INT(t_opt_load(&o, "gamma", "data/cfg_main"), 0);
	CHECK_STR(o.hostname, "real-gamma.example.net");
	CHECK_EQ_INT(o.port, 2299);
	CHECK_EQ_INT(o.server_alive_interval, 30);
	CHECK_EQ_INT(o.number_of_password_prompts, 3);
	CHECK_EQ_INT(o.connection_attempts, 4);
	CHECK_STR(o.x509_host_name, "real-gamma.example.net");
	options_free(&o);

	/* command line first, then the file */
	t_opt_fresh(&o, "alpha.example");
	CHECK_EQ_INT(t_opt_apply(&o, "Port 9"), 0);
	CHECK_EQ_INT(t_opt_apply(&o, "User cli"), 0);
	CHECK_EQ_INT(t_opt_apply(&o, "IdentityFile /cli_key"), 0);
	CHECK_EQ_INT(t_opt_read(&o, "data/cfg_main"), 0);
	CHECK_EQ_INT(t_opt_finish(&o), 0);
	CHECK_EQ_INT(o.port, 9);
	CHECK_STR(o.user, "cli");
	CHECK_EQ_INT(o.n_identity_file, 3);
	CHECK_STR(o.identity_file[0], "/cli_key");
	options_free(&o);

	/* a missing file: error unless optional */
	t_opt_fresh(&o, "h");
	CHECK_EQ_INT(options_read_file(&o, "data/cfg_does_not_exist", 1, err, sizeof(err)), 0);
	CHECK_EQ_INT(t_opt_read(&o, "data/cfg_does_not_exist"), SSH_ERR_SYSTEM);
	CHECK_STR(err, "data/cfg_does_not_exist: No such file or directory");
	options_free(&o);
}

struct ferr {
	const char *file;
	const char *err; /* exact, or a suffix when it starts with '*' */
};

static void test_file_errors(void)
{
	static const struct ferr ferrs[] = {
	    {"data/cfg_err_unknown", "data/cfg_err_unknown:3: unknown option 'Foo'"},
	    {"data/cfg_err_value", "data/cfg_err_value:4: bad value 'maybe' for BatchMode"},
	    {"data/cfg_err_quote", "data/cfg_err_quote:1: unterminated quoted value"},
	    {"data/cfg_err_match", "data/cfg_err_match:3: unsupported Match criterion 'bogus'"},
	    {"data/cfg_err_host", "data/cfg_err_host:1: Host needs a pattern"},
	    {"data/cfg_err_algo", "data/cfg_err_algo:1: unsupported algorithm 'rot13' in Ciphers"},
	    {"data/cfg_err_nested",
	        "*/cfg_home/.x509ssh/err_inner.conf:2: bad value 'maybe' for BatchMode"},
	    {"data/cfg_home/.x509ssh/loop.conf",
	        "*/cfg_home/.x509ssh/loop.conf:2: Include nested too deeply"},
	};
	struct options o;
	size_t i;

	for (i = 0; i < sizeof(ferrs) / sizeof(ferrs[0]); i++) {
		const char *want = ferrs[i].err;
		int ok;

		t_opt_fresh(&o, "h");
		err[0] = '\0';
		ok = t_opt_read(&o, ferrs[i].file) < 0;
		if (want[0] == '*') {
			size_t el = strlen(err), wl = strlen(want + 1);
			ok =
			    ok && el >= wl && strcmp(err + el - wl, want + 1) == 0 && err[0] == '/';
		} else {
			ok = ok && strcmp(err, want) == 0;
		}
		if (!ok) {
			fprintf(stderr, "%s: got '%s', want '%s'\n", ferrs[i].file, err, want);
		}
		CHECK(ok);
		options_free(&o);
	}
}

/* ---- defaults ---- */

static int contains(const char *list, const char *name)
{
	size_t n = strlen(name);
	const char *p = list;

	while (p != NULL && (p = strstr(p, name)) != NULL) {
		if ((p == list || p[-1] == ',') && (p[n] == ',' || p[n] == '\0')) {
			return 1;
		}
		p += n;
	}
	return 0;
}

static void test_defaults(void)
{
	struct options o;
	char *def;

	t_opt_fresh(&o, "plain.example");
	CHECK_EQ_INT(t_opt_finish(&o), 0);
	CHECK_STR(o.hostname, "plain.example");
	CHECK_EQ_INT(o.port, 22);
	CHECK_STR(o.user, "localuser");
	CHECK_EQ_INT(o.user_from_default, 1);
	CHECK_EQ_INT(o.address_family, AF_OPT_ANY);
	CHECK_EQ_INT(o.connect_timeout, OPT_UNSET);
	CHECK_EQ_INT(o.connection_attempts, 1);
	CHECK_EQ_INT(o.server_alive_interval, 0);
	CHECK_EQ_INT(o.server_alive_count_max, 3);
	CHECK_EQ_INT(o.batch_mode, 0);
	CHECK_EQ_INT(o.log_level, LOG_INFO);
	CHECK_EQ_INT(o.request_tty, RTTY_AUTO);
	CHECK_EQ_INT(o.escape_char, '~');
	CHECK_STR(o.preferred_authentications, "publickey,keyboard-interactive,password");
	CHECK_EQ_INT(o.number_of_password_prompts, 3);
	CHECK_EQ_INT(o.strict_host_key_checking, SHK_ASK);
	CHECK_EQ_INT(o.n_user_known_hosts_file, 1);
	CHECK_STR(o.user_known_hosts_file[0], home_path(".ssh/known_hosts"));
	CHECK_EQ_INT(o.n_global_known_hosts_file, 1);
	CHECK_STR(o.global_known_hosts_file[0], "/etc/ssh/ssh_known_hosts");
	CHECK_EQ_INT(o.n_identity_file, 3);
	CHECK_STR(o.identity_file[0], home_path(".ssh/id_ed25519"));
	CHECK_STR(o.identity_file[1], home_path(".ssh/id_ecdsa"));
	CHECK_STR(o.identity_file[2], home_path(".ssh/id_rsa"));
	CHECK_EQ_INT(o.x509_host_keys, X509HK_PREFER);
	CHECK_STR(o.x509_host_name, "plain.example");
	CHECK_EQ_INT(o.x509_name_fallback_cn, 1);
	CHECK_STR(o.x509_host_purposes, "secureShellServer,serverAuth,anyExtendedKeyUsage");
	CHECK_EQ_INT(o.x509_revocation, X509REV_CHECK);
	CHECK_EQ_INT(o.x509_allow_partial_chain, 0);
	CHECK_EQ_INT(o.x509_max_chain, 10);
	CHECK_EQ_INT(o.x509_send_root, 0);
	CHECK_EQ_INT(o.user_from_certificate, UFC_NO);
	CHECK_EQ_INT(o.identities_only, 0);
	CHECK_EQ_INT(o.force_tty, 0);
	CHECK_EQ_INT(o.no_tty, 0);
	CHECK(o.ca_certificate_file == NULL && o.pkcs11_provider == NULL);
	def = algo_default_list("cipher", 0);
	CHECK_STR(o.ciphers, def);
	free(def);
	def = algo_default_list("key", 0); /* no CA store: plain host keys only */
	CHECK_STR(o.hostkey_algorithms, def);
	free(def);
	def = algo_default_list("pubkey", 1);
	CHECK_STR(o.pubkey_accepted_algorithms, def);
	free(def);
	options_free(&o);

	/* BatchMode: never ask */
	t_opt_fresh(&o, "h");
	CHECK_EQ_INT(t_opt_apply(&o, "BatchMode yes"), 0);
	CHECK_EQ_INT(t_opt_finish(&o), 0);
	CHECK_EQ_INT(o.strict_host_key_checking, SHK_YES);
	options_free(&o);
	t_opt_fresh(&o, "h");
	CHECK_EQ_INT(t_opt_apply(&o, "BatchMode yes"), 0);
	CHECK_EQ_INT(t_opt_apply(&o, "StrictHostKeyChecking no"), 0);
	CHECK_EQ_INT(t_opt_finish(&o), 0);
	CHECK_EQ_INT(o.strict_host_key_checking, SHK_NO);
	options_free(&o);

	/* X509HostName: explicit, else HostKeyAlias, else HostName; HostName %h */
	t_opt_fresh(&o, "short");
	CHECK_EQ_INT(t_opt_apply(&o, "HostName %h.corp.example%%"), 0);
	CHECK_EQ_INT(t_opt_apply(&o, "HostKeyAlias alias.example"), 0);
	CHECK_EQ_INT(t_opt_finish(&o), 0);
	CHECK_STR(o.hostname, "short.corp.example%");
	CHECK_STR(o.x509_host_name, "alias.example");
	options_free(&o);
	t_opt_fresh(&o, "short");
	CHECK_EQ_INT(t_opt_apply(&o, "HostName %x"), 0);
	CHECK_EQ_INT(t_opt_finish(&o), SSH_ERR_FORMAT);
	options_free(&o);
	t_opt_fresh(&o, "short");
	CHECK_EQ_INT(t_opt_apply(&o, "X509HostName cert.example"), 0);
	CHECK_EQ_INT(t_opt_apply(&o, "HostKeyAlias alias.example"), 0);
	CHECK_EQ_INT(t_opt_finish(&o), 0);
	CHECK_STR(o.x509_host_name, "cert.example");
	options_free(&o);

	/* a CA store turns the x509v3 host-key defaults on, X509HostKeys no turns them off */
	t_opt_fresh(&o, "h");
	CHECK_EQ_INT(options_finish(&o, "u", 1, err, sizeof(err)), 0);
	def = algo_default_list("key", 1);
	CHECK_STR(o.hostkey_algorithms, def);
	free(def);
	options_free(&o);
	t_opt_fresh(&o, "h");
	CHECK_EQ_INT(t_opt_apply(&o, "X509HostKeys no"), 0);
	CHECK_EQ_INT(options_finish(&o, "u", 1, err, sizeof(err)), 0);
	CHECK(o.hostkey_algorithms != NULL && strstr(o.hostkey_algorithms, "x509v3-") == NULL);
	options_free(&o);

	/* algorithm lists resolved against the defaults */
	t_opt_fresh(&o, "h");
	CHECK_EQ_INT(t_opt_apply(&o, "Ciphers -*-gcm@openssh.com,chacha*"), 0);
	CHECK_EQ_INT(t_opt_apply(&o, "MACs ^hmac-sha2-512"), 0);
	CHECK_EQ_INT(t_opt_apply(&o, "KexAlgorithms +diffie-hellman-group14-sha1"), 0);
	CHECK_EQ_INT(t_opt_apply(&o, "HostKeyAlgorithms +ssh-rsa"), 0);
	CHECK_EQ_INT(t_opt_finish(&o), 0);
	CHECK_STR(o.ciphers, "aes128-ctr,aes192-ctr,aes256-ctr");
	CHECK(o.macs != NULL && strncmp(o.macs, "hmac-sha2-512,", 14) == 0);
	CHECK(contains(o.macs, "hmac-sha2-256"));
	CHECK(o.kex_algorithms != NULL && contains(o.kex_algorithms, "curve25519-sha256"));
	CHECK(o.kex_algorithms != NULL &&
	      strstr(o.kex_algorithms, ",diffie-hellman-group14-sha1") != NULL &&
	      strcmp(strstr(o.kex_algorithms, ",diffie-hellman-group14-sha1"),
	          ",diffie-hellman-group14-sha1") == 0);
	CHECK(contains(o.hostkey_algorithms, "ssh-rsa"));
	options_free(&o);

	/* no destination, no user */
	options_init(&o);
	CHECK_EQ_INT(t_opt_finish(&o), SSH_ERR_FORMAT);
	options_free(&o);
	t_opt_fresh(&o, "h");
	CHECK_EQ_INT(options_finish(&o, NULL, 0, err, sizeof(err)), SSH_ERR_FORMAT);
	options_free(&o);
}

/* ---- -G ---- */

static char *dump_to_string(const struct options *o)
{
	char *s = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&s, &n);

	if (f == NULL) {
		return NULL;
	}
	options_dump(o, f);
	fclose(f);
	return s;
}

static void test_dump(void)
{
	struct options o, o2;
	char *got, *want, *again, *line, *save = NULL, *copy;

	CHECK_EQ_INT(t_opt_load(&o, "dumphost", "data/cfg_dump"), 0);
	got = dump_to_string(&o);
	want = t_slurp_text("data/cfg_dump.expected");
	CHECK_STR(got, want != NULL ? want : "(missing)");
	if (got != NULL && want != NULL && strcmp(got, want) != 0) {
		fprintf(stderr, "dump:\n%s", got);
	}

	/* the dump reads back to the same configuration */
	t_opt_fresh(&o2, "dumphost");
	copy = got != NULL ? strdup(got) : NULL;
	for (line = copy != NULL ? strtok_r(copy, "\n", &save) : NULL; line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "host ", 5) == 0) {
			continue;
		}
		if (t_opt_apply(&o2, line) != 0) {
			fprintf(stderr, "read back '%s': %s\n", line, err);
			CHECK(0);
		}
	}
	CHECK_EQ_INT(t_opt_finish(&o2), 0);
	again = dump_to_string(&o2);
	CHECK_STR(again, got != NULL ? got : "(none)");
	free(again);
	free(copy);
	free(got);
	free(want);
	options_free(&o2);
	options_free(&o);

	/* defaults for a bare host: the flags print as yes/no, the lists one per line */
	t_opt_fresh(&o, "bare");
	CHECK_EQ_INT(t_opt_finish(&o), 0);
	got = dump_to_string(&o);
	CHECK(got != NULL &&
	      strncmp(got, "host bare\nuser localuser\nhostname bare\nport 22\n", 45) == 0);
	CHECK(got != NULL && strstr(got, "\nbatchmode no\n") != NULL);
	CHECK(got != NULL && strstr(got, "\nconnecttimeout none\n") != NULL);
	CHECK(got != NULL && strstr(got, "\nescapechar ~\n") != NULL);
	CHECK(got != NULL && strstr(got, "\nloglevel INFO\n") != NULL);
	CHECK(got != NULL && strstr(got, "\nstricthostkeychecking ask\n") != NULL);
	CHECK(got != NULL && strstr(got, "\nidentityfile ") != NULL &&
	      strstr(got, "/.ssh/id_ecdsa\nidentityfile ") != NULL);
	CHECK(got != NULL && strstr(got, "\nglobalknownhostsfile /etc/ssh/ssh_known_hosts\n"));
	free(got);
	options_free(&o);
}

/* -G never shows a PIN: the value of every pin-value attribute is "***", as in the pkcs11 URI
 * errors; the rest of the URI stays as written */
static void test_dump_masks_pins(void)
{
	struct options o;
	char *got;

	t_opt_fresh(&o, "pinhost");
	CHECK_EQ_INT(
	    t_opt_apply(&o, "IdentityFile pkcs11:token=t1?module-path=/m.so&pin-value=1234"), 0);
	CHECK_EQ_INT(
	    t_opt_apply(&o, "IdentityFile pkcs11:token=t2?pin-value=5678&module-path=/n.so"), 0);
	CHECK_EQ_INT(t_opt_apply(&o, "PKCS11Provider pkcs11:token=t3?PIN-Value=%39%39%39"), 0);
	CHECK_EQ_INT(t_opt_apply(&o, "IdentityFile pkcs11:token=t4?pin-value="), 0);
	CHECK_EQ_INT(t_opt_finish(&o), 0);
	got = dump_to_string(&o);
	CHECK(got != NULL);
	if (got != NULL) {
		CHECK(strstr(got, "1234") == NULL);
		CHECK(strstr(got, "5678") == NULL);
		CHECK(strstr(got, "%39") == NULL);
		CHECK(strstr(got,
		          "\nidentityfile pkcs11:token=t1?module-path=/m.so&pin-value=***\n") !=
		      NULL);
		CHECK(strstr(got,
		          "\nidentityfile pkcs11:token=t2?pin-value=***&module-path=/n.so\n") !=
		      NULL);
		CHECK(strstr(got, "\npkcs11provider pkcs11:token=t3?PIN-Value=***\n") != NULL);
		CHECK(strstr(got, "\nidentityfile pkcs11:token=t4?pin-value=***\n") != NULL);
	}
	free(got);
	options_free(&o);
}

/* ---- the limits up to the open session (issue 8) ---- */

static void test_session_limits(void)
{
	static const struct {
		const char *a, *b, *c;
		int secs, is_default;
		unsigned long long silence_ms;
		const char *dump; /* the connecttimeout line of -G */
	} v[] = {
	    /* interactive without ConnectTimeout: no limit, as OpenSSH */
	    {NULL, NULL, NULL, 0, 0, 0, "connecttimeout none"},
	    {"BatchMode=no", NULL, NULL, 0, 0, 0, "connecttimeout none"},
	    /* BatchMode: 60 s by default, not shown by -G (it prints what was configured) */
	    {"BatchMode=yes", NULL, NULL, OPT_BATCH_CONNECT_TIMEOUT, 1, 0, "connecttimeout none"},
	    {"BatchMode=yes", "ConnectTimeout=0", NULL, OPT_BATCH_CONNECT_TIMEOUT, 1, 0,
	        "connecttimeout none"},
	    {"BatchMode=yes", "ConnectTimeout=5", NULL, 5, 0, 0, "connecttimeout 5"},
	    {"ConnectTimeout=90", "BatchMode=yes", NULL, 90, 0, 0, "connecttimeout 90"},
	    {"ConnectTimeout=7", NULL, NULL, 7, 0, 0, "connecttimeout 7"},
	    /* the read timeout before the session: Interval x CountMax (default CountMax 3) */
	    {"ServerAliveInterval=1", "ServerAliveCountMax=2", NULL, 0, 0, 2000,
	        "connecttimeout none"},
	    {"ServerAliveInterval=5", NULL, NULL, 0, 0, 15000, "connecttimeout none"},
	    {"ServerAliveInterval=1", "ServerAliveCountMax=0", NULL, 0, 0, 0,
	        "connecttimeout none"},
	    {"ServerAliveCountMax=9", NULL, NULL, 0, 0, 0, "connecttimeout none"},
	    /* the largest values do not overflow */
	    {"ServerAliveInterval=2147483", "ServerAliveCountMax=1000000", "BatchMode=yes",
	        OPT_BATCH_CONNECT_TIMEOUT, 1, 2147483ULL * 1000000ULL * 1000ULL,
	        "connecttimeout none"},
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct options o;
		int is_default = -1;
		char *got, line[64];

		t_opt_fresh(&o, "limits");
		CHECK(v[i].a == NULL || t_opt_apply(&o, v[i].a) == 0);
		CHECK(v[i].b == NULL || t_opt_apply(&o, v[i].b) == 0);
		CHECK(v[i].c == NULL || t_opt_apply(&o, v[i].c) == 0);
		CHECK_EQ_INT(t_opt_finish(&o), 0);
		CHECK_EQ_INT(options_session_timeout(&o, &is_default), v[i].secs);
		CHECK_EQ_INT(is_default, v[i].is_default);
		CHECK_EQ_INT(options_session_timeout(&o, NULL), v[i].secs);
		CHECK(options_silence_limit_ms(&o) == v[i].silence_ms);
		got = dump_to_string(&o);
		snprintf(line, sizeof(line), "\n%s\n", v[i].dump);
		CHECK(got != NULL && strstr(got, line) != NULL);
		if (got == NULL || strstr(got, line) == NULL) {
			fprintf(stderr, "case %zu: no '%s' line\n", i, v[i].dump);
		}
		free(got);
		options_free(&o);
	}
}

/* ---- mutation sweep over a config file: never crash; an error names FILE:LINE ---- */

static int write_file(const char *path, const char *b, size_t n)
{
	FILE *f = fopen(path, "wb");

	if (f == NULL) {
		return -1;
	}
	if (n > 0 && fwrite(b, 1, n, f) != n) {
		fclose(f);
		return -1;
	}
	return fclose(f);
}

static int sweep_case(const char *path, size_t plen)
{
	struct options o;
	int r, ok = 1;

	t_opt_fresh(&o, "alpha.example");
	r = t_opt_read(&o, path);
	if (r != 0) {
		/* our file, or one it includes, with a line number */
		ok = r < 0 && err[0] != '\0' && strchr(err, ':') != NULL &&
		     (strncmp(err, path, plen) == 0 || err[0] == '/');
	} else if ((r = t_opt_finish(&o)) != 0) {
		ok = r < 0 && err[0] != '\0';
	} else {
		char *d = dump_to_string(&o);
		ok = d != NULL && o.port >= 1 && o.port <= 65535 && o.hostname != NULL;
		free(d);
	}
	options_free(&o);
	return ok;
}

static void test_sweep(void)
{
	char path[] = "/tmp/x509ssh-cfgmut-XXXXXX";
	char *orig = t_slurp_text("data/cfg_main"), *mut = NULL;
	size_t len, i, bad = 0, plen = strlen(path);
	int fd = mkstemp(path);

	if (fd < 0 || orig == NULL || (mut = malloc(strlen(orig) + 1)) == NULL) {
		CHECK(0);
		free(orig);
		return;
	}
	close(fd);
	len = strlen(orig);
	for (i = 0; i <= len; i = t_sweep_next(i, len + 1)) {
		if (write_file(path, orig, i) != 0 || !sweep_case(path, plen)) {
			bad++;
		}
	}
	for (i = 0; i < len * 8; i = t_sweep_next_bit(i, len * 8)) {
		memcpy(mut, orig, len);
		mut[i / 8] ^= (char)(1u << (i % 8));
		if (write_file(path, mut, len) != 0 || !sweep_case(path, plen)) {
			bad++;
		}
	}
	CHECK_EQ_INT(bad, 0);
	unlink(path);
	free(mut);
	free(orig);
}

/* RekeyLimit: a size with k/m/g and an optional time with s/m/h/d, both capped */
static void test_rekey_limit(void)
{
	static const struct {
		const char *line;
		long long bytes;
		int secs; /* -1: the line is refused */
	} v[] = {
	    {"RekeyLimit 1M 2", 1048576, 2},
	    {"RekeyLimit 512k 30m", 524288, 1800},
	    {"RekeyLimit=1G 1h", 1073741824, 3600},
	    {"RekeyLimit default 1d", 0, 86400},
	    {"RekeyLimit 4096 none", 4096, 0},
	    {"RekeyLimit 0", 0, 0},
	    {"RekeyLimit 10", 0, -1},           /* under 16 bytes */
	    {"RekeyLimit 1X", 0, -1},           /* unknown unit */
	    {"RekeyLimit 1MB", 0, -1},          /* one letter only */
	    {"RekeyLimit 5M 2y", 0, -1},        /* unknown time unit */
	    {"RekeyLimit 5M 366d", 0, -1},      /* more than a year */
	    {"RekeyLimit 99999999999G", 0, -1}, /* more than 2^62 */
	    {"RekeyLimit -1", 0, -1},
	};
	struct options o;
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		t_opt_fresh(&o, "h");
		if (v[i].secs < 0) {
			CHECK(t_opt_apply(&o, v[i].line) < 0 && o.rekey_bytes == OPT_UNSET);
		} else {
			CHECK(t_opt_apply(&o, v[i].line) == 0 && o.rekey_bytes == v[i].bytes &&
			      o.rekey_seconds == v[i].secs);
		}
		options_free(&o);
	}
}

int main(void)
{
	char cwd[900];

	if (getcwd(cwd, sizeof(cwd)) == NULL) {
		return 1;
	}
	snprintf(home, sizeof(home), "%s/data/cfg_home", cwd);
	setenv("HOME", home, 1);

	test_apply();
	test_bad_values();
	test_rekey_limit();
	test_files();
	test_file_errors();
	test_defaults();
	test_dump();
	test_dump_masks_pins();
	test_session_limits();
	test_sweep();
	T_DONE();
}
