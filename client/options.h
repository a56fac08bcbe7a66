/*
 * The effective configuration for one destination: every keyword of OPTIONS.md. Values come
 * from the command line (-o, -p, -l, ...), then the user config, then the system config; the
 * first obtained value wins (ssh_config(5) semantics). Unset fields are filled with defaults by
 * options_finish().
 */
#ifndef X509SSH_OPTIONS_H
#define X509SSH_OPTIONS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "algos.h" /* the algorithm lists the keywords resolve */

#define OPT_UNSET    (-1)
#define OPT_MAX_LIST 32 /* IdentityFile, SendEnv, SetEnv, ... entries */
/* BatchMode without ConnectTimeout: the limit (seconds) on everything up to the open session */
#define OPT_BATCH_CONNECT_TIMEOUT 60
#define OPT_COMPAT_MAX            192 /* rows of the compatibility keyword table */
#define OPT_COMPAT_NOEFFECT       1u  /* a no-effect keyword was set */
#define OPT_COMPAT_WARN           2u  /* ... to a value that deserves a warning (yes) */
#define OPT_COMPAT_UNSUPPORTED    4u  /* a not-supported keyword was set to a value that matters */
#define OPT_COMPAT_SET            8u /* a single-valued not-supported keyword was set (first wins) */

enum strict_hostkey { SHK_ASK = 0, SHK_YES, SHK_ACCEPT_NEW, SHK_NO };
enum request_tty { RTTY_AUTO = 0, RTTY_YES, RTTY_NO, RTTY_FORCE };
/* SessionType: what the session channel asks for (-N = none, -s = subsystem) */
enum session_type { SESSION_DEFAULT = 0, SESSION_NONE, SESSION_SUBSYSTEM };
enum address_family { AF_OPT_ANY = 0, AF_OPT_INET, AF_OPT_INET6 };
enum log_level {
	LOG_QUIET = 0,
	LOG_FATAL,
	LOG_ERROR,
	LOG_INFO,
	LOG_VERBOSE,
	LOG_DEBUG1,
	LOG_DEBUG2,
	LOG_DEBUG3
};
enum x509_hostkeys { X509HK_PREFER = 0, X509HK_REQUIRE, X509HK_NO };
enum x509_revocation { X509REV_CHECK = 0, X509REV_REQUIRE, X509REV_NO };
enum user_from_cert { UFC_NO = 0, UFC_CN, UFC_UPN };

struct options {
	/* destination */
	char *host;            /* as given on the command line (after user@ / ssh:// parsing) */
	char *hostname;        /* HostName */
	int port;              /* Port */
	char *user;            /* User */
	int user_from_default; /* set by options_finish: user is the local user, none was given */
	int address_family;    /* AddressFamily */
	int connect_timeout;   /* ConnectTimeout, seconds; OPT_UNSET = none */
	int connection_attempts;
	int server_alive_interval;
	int server_alive_count_max;

	int batch_mode;   /* yes/no: 1/0 */
	int log_level;    /* enum log_level */
	int request_tty;  /* enum request_tty */
	int session_type; /* enum session_type: default = shell or exec of the command */
	int stdin_null;   /* StdinNull (-n): read stdin from /dev/null */
	int escape_char;  /* -1 = none, else the character; OPT_UNSET until finished ('~') */
	char *set_env[OPT_MAX_LIST];
	size_t n_set_env; /* "NAME=value" */
	char *send_env[OPT_MAX_LIST];
	size_t n_send_env; /* patterns */

	/* borrowed, not freed: the remote command given on the command line ("" or NULL = none),
	 * for Match command and sessiontype; set before the config files are read */
	const char *command;

	/* algorithm lists, comma-separated, already resolved against the defaults (+ - ^ applied)
	 */
	char *kex_algorithms;
	char *ciphers;
	char *macs;
	char *hostkey_algorithms;
	char *pubkey_accepted_algorithms;
	char *preferred_authentications;
	int number_of_password_prompts;
	long long rekey_bytes; /* RekeyLimit: 0 = default (1 GiB); OPT_UNSET until set */
	int rekey_seconds;     /* RekeyLimit's second value: 0 = none */

	/* plain host keys */
	int strict_host_key_checking; /* enum strict_hostkey */
	char *user_known_hosts_file[OPT_MAX_LIST];
	size_t n_user_known_hosts_file;
	char *global_known_hosts_file[OPT_MAX_LIST];
	size_t n_global_known_hosts_file;
	char *host_key_alias;
	int hash_known_hosts; /* HashKnownHosts: hash the names of entries we write */
	/* set when HostKeyAlgorithms came from one of OpenSSH's own config files (which cannot name
	 * x509v3-* algorithms) and names none: it then governs the plain algorithms only */
	int hostkey_algorithms_plain_only;

	/* X.509 (issue 3/4; parsed and printed by -G now) */
	char *ca_certificate_file;
	char *ca_certificate_path;
	char *ca_revocation_file;
	char *ca_revocation_path;
	int x509_host_keys; /* enum x509_hostkeys */
	char *x509_host_name;
	int x509_name_fallback_cn; /* yes/no */
	char *x509_host_purposes;  /* comma list */
	int x509_revocation;       /* enum x509_revocation */
	int x509_allow_partial_chain;
	int x509_max_chain;
	int required_rsa_size; /* RequiredRSASize: bits; below 1024 means 1024 */
	char *x509_certificate_file[OPT_MAX_LIST];
	size_t n_x509_certificate_file;
	int x509_send_root;
	int user_from_certificate; /* enum user_from_cert */

	/* identities */
	char *identity_file[OPT_MAX_LIST];
	size_t n_identity_file;    /* paths or pkcs11: URIs */
	int identity_file_default; /* set by options_finish: the entries are the default files */
	int identities_only;
	char *pkcs11_provider;
	int pkcs11_helper; /* PKCS11Helper: token modules in a process of their own (default yes) */
	char *identity_agent;    /* IdentityAgent: a socket path, SSH_AUTH_SOCK, $VAR or none */
	char *forward_agent;     /* ForwardAgent / -A / -a: yes, no, a socket path or $VAR */
	char *add_keys_to_agent; /* AddKeysToAgent: yes|no|ask|confirm [time], or a time */

	/* OpenSSH keywords x509ssh implements (options_compat.c has the rest) */
	char *bind_address;          /* BindAddress (-b) */
	char *bind_interface;        /* BindInterface (-B) */
	char *remote_command;        /* RemoteCommand; "none" is kept as unset */
	char *ignore_unknown;        /* IgnoreUnknown pattern list */
	char *tag;                   /* Tag (-P), for Match tagged */
	char *control_path;          /* ControlPath (-S): only for -O's answer, nothing is shared */
	int password_authentication; /* PasswordAuthentication */
	int kbd_interactive_authentication; /* KbdInteractiveAuthentication */
	int pubkey_authentication;          /* PubkeyAuthentication */
	int clear_all_forwardings;          /* ClearAllForwardings */
	int refuse_connection;              /* RefuseConnection */
	/* reaching the host and forwarding (issue 11) */
	/* ProxyCommand and ProxyJump: the first obtained wins; a ProxyJump naming hosts also sets
	 * proxy_command to "none" (see options_fwd.c); both "none" become NULL at finish */
	char *proxy_command; /* ProxyCommand; "none" is kept as unset */
	char *proxy_jump;    /* ProxyJump / -J as written (jumpspec.h parses it) */
	char *stdio_forward; /* -W host:port (command line only; FWD_STDIO) */
	/* one spec each, as written, checked by fwdspec.h's fwd_spec_parse (which the loop calls
	 * again to read it); emptied at finish by ClearAllForwardings yes */
	char *local_forward[OPT_MAX_LIST]; /* LocalForward / -L */
	size_t n_local_forward;
	char *remote_forward[OPT_MAX_LIST]; /* RemoteForward / -R */
	size_t n_remote_forward;
	char *dynamic_forward[OPT_MAX_LIST]; /* DynamicForward / -D */
	size_t n_dynamic_forward;
	int gateway_ports;             /* GatewayPorts (-g) */
	int enable_escape_commandline; /* EnableEscapeCommandline: ~C (default no, as OpenSSH) */
	int exit_on_forward_failure;   /* ExitOnForwardFailure */
	char *permit_remote_open; /* PermitRemoteOpen as written, checked: NULL or "any" (any case)
	                             for any, "none", or host:port words (host or port "*") */
	int fork_after_authentication; /* ForkAfterAuthentication (-f) */
	/* per row of the compatibility table (options_compat.c): OPT_COMPAT_* bits, set only by
	 * lines that apply to this destination */
	unsigned char compat_seen[OPT_COMPAT_MAX];

	/* command-line only */
	int force_tty;  /* -t count */
	int no_tty;     /* -T */
	char *log_file; /* -E */
};

/* Every field unset (strings NULL, ints OPT_UNSET, counts 0). */
void options_init(struct options *o);
void options_free(struct options *o);
/* Empty the -L / -R / -D lists (ClearAllForwardings, a jump host, a fleet host). */
void options_clear_forwardings(struct options *o);

/*
 * Apply one "Keyword value" / "Keyword=value" setting (keyword case-insensitive, value may be
 * quoted). First obtained value wins for single values; list keywords (IdentityFile, SendEnv,
 * SetEnv, X509CertificateFile, UserKnownHostsFile, ...) accumulate. `where` is "FILE:LINE" or
 * "command line" for messages. On error, writes a one-line cause to err ("unknown option
 * 'Foo'", "bad value 'maybe' for BatchMode") and returns a negative value.
 */
int options_apply(struct options *o, const char *line, const char *where, char *err, size_t errlen);

/* A command-line flag's "Keyword value" (-c, -m, -e, -b, ...): as options_apply, but the value
 * replaces one set before (OpenSSH's flags override an earlier -o). */
int options_apply_override(struct options *o, const char *line, char *err, size_t errlen);

/*
 * Read a config file in ssh_config(5) style, applying the lines whose Host / Match blocks apply
 * (options_match.c has the Match criteria). Include (glob) is followed up to 16 levels deep;
 * relative Include paths and whether the file counts as OpenSSH's follow its directory (the
 * paths_configs rows; elsewhere ~/.x509ssh, ours). A missing file is not an error when
 * `optional`. Errors: "FILE:LINE: cause" in err, negative return.
 */
int options_read_file(struct options *o, const char *path, int optional, char *err, size_t errlen);

/*
 * Read a list of config files in order (struct paths_config in paths.h: the file, the directory
 * of its relative Includes, whether it is one of OpenSSH's), each missing one skipped when
 * `optional`; then, when a Match line asked for it ("Match final"), read them all again as the
 * final pass, with Host and Match host comparing the HostName of the first pass.
 */
struct paths_config;
int options_read_files(struct options *o, const struct paths_config *files, size_t n, int optional,
    char *err, size_t errlen);

/*
 * The config files of a run: `config` (-F; "none" = no file) exactly, else the default files of
 * paths.h in their order. Errors as options_read_file.
 */
int options_read_configs(struct options *o, const char *config, char *err, size_t errlen);

/*
 * Fill defaults (OPTIONS.md), resolve algorithm lists (+name appends, -name removes (patterns
 * allowed), ^name prepends, a plain list replaces) against our defaults, validate every name
 * against the tables, set hostname/user/port defaults. `have_ca_store` says whether a CA store
 * exists (it decides the x509v3 host-key defaults).
 */
int options_finish(
    struct options *o, const char *local_user, int have_ca_store, char *err, size_t errlen);

/*
 * After options_finish and log_set_level: the -v lines for the keywords that have no effect, the
 * warnings (ForwardAgent / ForwardX11 yes), once each.
 */
void options_report_compat(const struct options *o);

/* Print the effective configuration, one "keyword value" per line, keywords lower case (-G).
 * The value of a pin-value attribute in a PKCS#11 URI is shown as "***", as errors show it.
 * Returns 0, or -1 when writing to f failed. */
int options_dump(const struct options *o, FILE *f);

/*
 * The limit in seconds on the TCP connect and on everything after it up to the open session, for
 * a finished o: ConnectTimeout; without it, OPT_BATCH_CONNECT_TIMEOUT with BatchMode (then
 * *is_default, if not NULL, is set to 1) and 0 (none) without. Time spent waiting for the user or
 * a token is the loop's business.
 */
int options_session_timeout(const struct options *o, int *is_default);

/* The read timeout before the session is open, in ms: ServerAliveInterval x ServerAliveCountMax,
 * 0 (none) when either is 0, as OpenSSH's packet timeout. */
uint64_t options_silence_limit_ms(const struct options *o);

#endif
