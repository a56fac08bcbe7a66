/* The poll loop: one socket, stdin, stdout, stderr and the engine's events. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "escape.h"
#include "identity.h"
#include "log.h"
#include "loop.h"
#include "p11.h"
#include "prompt.h"
#include "ssh/err.h"
#include "ssh/hostkey.h"
#include "trust.h"

#define IO_CHUNK (256u * 1024) /* socket and stdin reads */
#define ERR_MAX  2048

struct loop {
	const struct options *o;
	const struct ssh_conn_config *cfg;
	struct identities *ids;
	struct ssh_conn *c;
	const char *host; /* HostName, for messages */
	int port;
	int sock;
	char addr[64];

	int stdin_open;    /* not yet at EOF */
	int session_ready; /* SESSION_READY seen: stdin may flow */
	int out_dead[2];   /* stdout / stderr gone (EPIPE): discard */
	int out_nb[2];     /* stdout / stderr are non-blocking */
	int saved_fl[3];   /* original fcntl flags, -1 = untouched */
	int raw_tty;       /* stdin put in raw mode */
	struct termios saved_tio;
	int want_tty;   /* a pty was requested */
	int esc_active; /* escape sequences recognised on stdin */
	struct escape esc;
	uint8_t *escbuf; /* filtered stdin (IO_CHUNK + 1) */
	int escape_quit; /* ~. typed */

	/* the limits up to the open session, on clock_ms() (waits for the user do not count) */
	int hostkey_done;    /* the host key was accepted: user authentication follows */
	int auth_done;       /* AUTH_DONE seen: the session is being opened */
	int limit_s;         /* ConnectTimeout or the BatchMode default, 0 = none */
	int limit_default;   /* limit_s is the BatchMode default */
	uint64_t deadline;   /* when the session must be open, 0 = none */
	uint64_t silence_ms; /* ServerAliveInterval x CountMax: read timeout, 0 = none */
	uint64_t heard;      /* ssh_conn_heard() as last seen */
	uint64_t heard_at;   /* when it last changed (or the connection was made) */

	int pubkey_exhausted;
	int password_tries;
	int kbdint_tries;
	int kbdint_exhausted; /* no way to ask the questions */
	char *auth_method;    /* "publickey" / "password": the attempt under way */
	char auth_note[256];  /* why prompting methods were not (all) tried */

	int alive_interval_ms; /* ServerAliveInterval, 0 = off */
	uint64_t alive_next;   /* when to send the next keepalive (0 = not armed) */
	int alive_misses;      /* keepalives sent since the server was last heard */

	struct signer *sign_signer; /* asynchronous signature pending */

	int exit_known, exit_has_status, exit_core;
	uint32_t exit_status; /* as the server sent it */
	char exit_signal[32];
	char exit_message[256];

	char local_err[ERR_MAX]; /* a local refusal that replaces the engine's message */
	int finished;
	uint8_t *iobuf;
};

static volatile sig_atomic_t got_winch;
static volatile sig_atomic_t got_term;

static void on_term(int sig)
{
	got_term = sig;
}

static void on_winch(int sig)
{
	(void)sig;
	got_winch = 1;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ---- the timeouts' clock: monotonic, without the time spent waiting for the user ---- */

/* process-wide: prompts are asked from identity.c and trust.c as well */
static unsigned wait_depth;
static uint64_t wait_since; /* now_ms() when the outermost wait began */
static uint64_t waited_ms;  /* the sum of the finished waits */

void loop_user_wait_begin(void)
{
	if (wait_depth++ == 0) {
		wait_since = now_ms();
	}
}

void loop_user_wait_end(void)
{
	if (wait_depth == 0) {
		return;
	}
	if (--wait_depth == 0) {
		waited_ms += now_ms() - wait_since;
	}
}

/* stands still while a wait is under way */
static uint64_t clock_ms(void)
{
	return (wait_depth > 0 ? wait_since : now_ms()) - waited_ms;
}

/* prompt_secret, its time not counted by the timeouts */
static int ask_secret(const char *prompt, int flags, char **out)
{
	int r;

	loop_user_wait_begin();
	r = prompt_secret(prompt, flags, out);
	loop_user_wait_end();
	return r;
}

int loop_no_dumps(void)
{
	struct rlimit rl;

	rl.rlim_cur = 0;
	rl.rlim_max = 0;
	if (setrlimit(RLIMIT_CORE, &rl) != 0) {
		return -1;
	}
	return prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0 ? 0 : -1;
}

static int set_nonblock(int fd, int on)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0) {
		return -1;
	}
	fl = on ? (fl | O_NONBLOCK) : (fl & ~O_NONBLOCK);
	return fcntl(fd, F_SETFL, fl);
}

/* ---- connecting ---- */

static int connect_one(const struct addrinfo *ai, int timeout_s, int *fd_out, int *err_out)
{
	int fd, r, one = 1, soerr = 0;
	socklen_t sl = sizeof(soerr);
	struct pollfd pfd;

	*fd_out = -1;
	*err_out = 0;
	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
	if (fd < 0) {
		*err_out = errno;
		return -1;
	}
	r = connect(fd, ai->ai_addr, ai->ai_addrlen);
	if (r != 0 && errno != EINPROGRESS) {
		*err_out = errno;
		close(fd);
		return -1;
	}
	if (r != 0) {
		uint64_t end = timeout_s > 0 ? now_ms() + (uint64_t)timeout_s * 1000u : 0;
		for (;;) {
			int wait = -1;
			if (end != 0) {
				uint64_t t = now_ms();
				wait = t >= end ? 0 : (int)(end - t);
			}
			pfd.fd = fd;
			pfd.events = POLLOUT;
			pfd.revents = 0;
			r = poll(&pfd, 1, wait);
			if (r < 0 && errno == EINTR) {
				continue;
			}
			if (r < 0) {
				*err_out = errno;
				close(fd);
				return -1;
			}
			if (r == 0) {
				*err_out = ETIMEDOUT;
				close(fd);
				return -1;
			}
			break;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0) {
			soerr = errno;
		}
		if (soerr != 0) {
			*err_out = soerr;
			close(fd);
			return -1;
		}
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	*fd_out = fd;
	return 0;
}

int loop_connect(
    const struct options *o, int *fd, char *addr, size_t addrlen, char *err, size_t errlen)
{
	const char *host = o->hostname != NULL ? o->hostname : o->host;
	int port = o->port > 0 ? o->port : 22;
	int attempts = o->connection_attempts > 0 ? o->connection_attempts : 1;
	struct addrinfo hints, *res = NULL, *ai;
	char portstr[16], num[64];
	int r, last_err = 0, is_default = 0;
	int limit = options_session_timeout(o, &is_default);

	*fd = -1;
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_family = o->address_family == AF_OPT_INET    ? AF_INET
	                  : o->address_family == AF_OPT_INET6 ? AF_INET6
	                                                      : AF_UNSPEC;
	snprintf(portstr, sizeof(portstr), "%d", port);
	r = getaddrinfo(host, portstr, &hints, &res);
	if (r != 0) {
		snprintf(err, errlen, "connect: could not resolve hostname %s: %s", host,
		    r == EAI_SYSTEM ? strerror(errno) : gai_strerror(r));
		return SSH_ERR_NOT_FOUND;
	}
	for (int a = 0; a < attempts; a++) {
		if (a > 0) {
			sleep(1);
		}
		for (ai = res; ai != NULL; ai = ai->ai_next) {
			num[0] = '\0';
			getnameinfo(
			    ai->ai_addr, ai->ai_addrlen, num, sizeof(num), NULL, 0, NI_NUMERICHOST);
			log_debug1("Connecting to %s [%s] port %d.", host, num, port);
			if (connect_one(ai, limit, fd, &last_err) == 0) {
				log_debug1("Connection established.");
				if (addr != NULL) {
					snprintf(addr, addrlen, "%s", num);
				}
				freeaddrinfo(res);
				return 0;
			}
			log_debug1(
			    "connect to address %s port %d: %s", num, port, strerror(last_err));
		}
	}
	freeaddrinfo(res);
	num[0] = '\0';
	if (last_err == ETIMEDOUT && is_default) {
		snprintf(num, sizeof(num), " (ConnectTimeout %d s, the BatchMode default)", limit);
	}
	snprintf(err, errlen, "connect: %s port %d: %s%s", host, port,
	    last_err == ETIMEDOUT ? "Connection timed out" : strerror(last_err), num);
	return SSH_ERR_SYSTEM;
}

/* ---- terminal and descriptors ---- */

/* A pipe on stdin or stdout gets a larger kernel buffer (up to 1 MiB, the default
 * pipe-max-size): bulk transfers then move in far fewer wakeups. Failure is harmless. */
static void grow_pipe(int fd)
{
	struct stat st;

	if (fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode)) {
		(void)fcntl(fd, F_SETPIPE_SZ, 1 << 20);
	}
}

static void fds_setup(struct loop *l)
{
	for (int fd = 0; fd < 3; fd++) {
		l->saved_fl[fd] = -1;
		if (fd == STDERR_FILENO || isatty(fd)) {
			continue; /* a terminal shared with others, and our own log channel */
		}
		grow_pipe(fd);
		int fl = fcntl(fd, F_GETFL);
		if (fl >= 0 && !(fl & O_NONBLOCK) && set_nonblock(fd, 1) == 0) {
			l->saved_fl[fd] = fl;
		}
	}
	for (int i = 0; i < 2; i++) {
		int fl = fcntl(i + 1, F_GETFL);
		l->out_nb[i] = fl >= 0 && (fl & O_NONBLOCK);
	}
}

static void fds_restore(struct loop *l)
{
	for (int fd = 0; fd < 3; fd++) {
		if (l->saved_fl[fd] >= 0) {
			fcntl(fd, F_SETFL, l->saved_fl[fd]);
			l->saved_fl[fd] = -1;
		}
	}
	if (l->raw_tty) {
		tcsetattr(STDIN_FILENO, TCSADRAIN, &l->saved_tio);
		l->raw_tty = 0;
	}
}

static void enter_raw_mode(struct loop *l)
{
	struct termios tio;

	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &l->saved_tio) != 0) {
		return;
	}
	tio = l->saved_tio;
	tio.c_iflag |= IGNPAR;
	tio.c_iflag &= ~(tcflag_t)(ISTRIP | INLCR | IGNCR | ICRNL | IXON | IXANY | IXOFF);
	tio.c_lflag &= ~(tcflag_t)(ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHONL | IEXTEN);
	tio.c_oflag &= ~(tcflag_t)OPOST;
	tio.c_cc[VMIN] = 1;
	tio.c_cc[VTIME] = 0;
	if (tcsetattr(STDIN_FILENO, TCSADRAIN, &tio) == 0) {
		l->raw_tty = 1;
	}
}

/* ---- failing ---- */

static void fail_local(struct loop *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail_local(struct loop *l, const char *fmt, ...)
{
	va_list ap;

	if (l->local_err[0] != '\0') {
		return; /* the first cause wins */
	}
	va_start(ap, fmt);
	vsnprintf(l->local_err, sizeof(l->local_err), fmt, ap);
	va_end(ap);
}

/* The one error line for the engine's sticky error (or our own cause). */
static void print_failure(struct loop *l, int r)
{
	const char *msg = NULL;
	const char *note = identities_note(l->ids);

	if (l->local_err[0] != '\0') {
		fatal_line(l->local_err);
		return;
	}
	if (l->c != NULL && ssh_conn_error(l->c, &msg) != 0 && msg != NULL) {
		if ((note != NULL || l->auth_note[0] != '\0') && strncmp(msg, "auth:", 5) == 0) {
			char line[ERR_MAX];
			snprintf(line, sizeof(line), "%s (%s%s%s)", msg, note != NULL ? note : "",
			    note != NULL && l->auth_note[0] != '\0' ? "; " : "", l->auth_note);
			fatal_line(line);
		} else {
			fatal_line(msg);
		}
		return;
	}
	fatal_error("connect", "%s port %d: %s", l->host, l->port, ssh_err_str(r));
}

/* ---- events ---- */

static int list_has(const char *list, const char *name)
{
	size_t n = strlen(name);
	const char *p = list;

	while (p != NULL && *p != '\0') {
		const char *e = strchr(p, ',');
		size_t len = e != NULL ? (size_t)(e - p) : strlen(p);
		if (len == n && strncmp(p, name, n) == 0) {
			return 1;
		}
		p = e != NULL ? e + 1 : NULL;
	}
	return 0;
}

/* Remember why a prompting method was skipped, for the final "auth:" line. */
static void auth_note(struct loop *l, const char *what)
{
	size_t n = strlen(l->auth_note);

	if (strstr(l->auth_note, what) != NULL || n + strlen(what) + 3 >= sizeof(l->auth_note)) {
		return;
	}
	snprintf(l->auth_note + n, sizeof(l->auth_note) - n, "%s%s", n > 0 ? "; " : "", what);
}

static int max_prompts(const struct loop *l)
{
	return l->o->number_of_password_prompts >= 0 ? l->o->number_of_password_prompts : 3;
}

static const char *login_name(const struct loop *l)
{
	if (l->cfg != NULL && l->cfg->user != NULL) {
		return l->cfg->user;
	}
	return l->o->user != NULL ? l->o->user : "";
}

/* Returns 0 when an attempt was sent, 1 when password is not possible, or an error. */
static int try_password(struct loop *l)
{
	char prompt[1200];
	char *pw = NULL;
	int r;

	if (l->o->batch_mode == 1) {
		auth_note(l, "BatchMode: no password or keyboard-interactive prompts");
		return 1;
	}
	if (l->password_tries >= max_prompts(l)) {
		return 1; /* not possible: next method */
	}
	if (l->password_tries > 0) {
		log_error("Permission denied, please try again.");
	}
	snprintf(prompt, sizeof(prompt), "%s@%s's password: ", login_name(l), l->host);
	if ((r = ask_secret(prompt, 0, &pw)) != 0) {
		log_debug1("password prompt: %s", ssh_err_str(r));
		auth_note(l, r == SSH_ERR_NOT_FOUND ? "no terminal or SSH_ASKPASS to ask a password"
		                                    : "password prompt cancelled");
		l->password_tries = max_prompts(l);
		return 1;
	}
	l->password_tries++;
	l->auth_method = "password";
	r = ssh_conn_auth_password(l->c, pw);
	prompt_free_secret(pw);
	return r < 0 ? r : 0;
}

/* Returns 0 when an attempt was sent, 1 when keyboard-interactive is not possible. */
static int try_kbdint(struct loop *l)
{
	if (l->o->batch_mode == 1) {
		auth_note(l, "BatchMode: no password or keyboard-interactive prompts");
		return 1;
	}
	if (l->kbdint_exhausted || l->kbdint_tries >= max_prompts(l)) {
		return 1;
	}
	l->kbdint_tries++;
	l->auth_method = "keyboard-interactive";
	return ssh_conn_auth_kbdint(l->c);
}

/* Show a server text (name or instruction) on stderr like OpenSSH: one line each. */
static void show_text(const char *text)
{
	size_t n;

	if (text == NULL || text[0] == '\0' || log_get_level() < LOG_INFO) {
		return;
	}
	n = strlen(text);
	fputs(text, stderr);
	if (text[n - 1] != '\n') {
		fputc('\n', stderr);
	}
	fflush(stderr);
}

/* SSH_EV_PROMPT: one round of keyboard-interactive questions. */
static int on_prompt(struct loop *l, const struct ssh_event *ev)
{
	size_t n = ev->u.prompt.n, i;
	char **answers = NULL;
	char shown[2400];
	int r;

	if ((answers = calloc(n > 0 ? n : 1, sizeof(*answers))) == NULL) {
		fail_local(l, "auth: out of memory");
		return SSH_ERR_ALLOC;
	}
	show_text(ev->u.prompt.name);
	show_text(ev->u.prompt.instruction);
	for (i = 0; i < n && !l->kbdint_exhausted; i++) {
		int flags = ev->u.prompt.echo[i] ? PROMPT_ECHO : 0;
		/* as OpenSSH: say who asks, so a prompt cannot pose as a local one */
		snprintf(shown, sizeof(shown), "(%s@%s) %s", login_name(l), l->host,
		    ev->u.prompt.prompts[i]);
		r = ask_secret(shown, flags, &answers[i]);
		if (r != 0) {
			/* answer the round with empty strings; the method is then used up */
			log_debug1("keyboard-interactive prompt: %s", ssh_err_str(r));
			auth_note(
			    l, r == SSH_ERR_NOT_FOUND
			           ? "no terminal or SSH_ASKPASS to answer keyboard-interactive"
			           : "keyboard-interactive prompt cancelled");
			l->kbdint_exhausted = 1;
		}
	}
	if (l->kbdint_exhausted) {
		for (i = 0; i < n; i++) {
			prompt_free_secret(answers[i]);
			answers[i] = NULL;
		}
	}
	r = ssh_conn_answer_prompts(l->c, (const char *const *)answers, n);
	for (i = 0; i < n; i++) {
		prompt_free_secret(answers[i]);
	}
	free(answers);
	return r;
}

static int on_auth_next(struct loop *l, const struct ssh_event *ev)
{
	const char *pref = l->o->preferred_authentications;
	char method[64];
	const char *p;
	int r;

	if (pref == NULL) {
		pref = "publickey,keyboard-interactive,password";
	}
	for (p = pref; *p != '\0';) {
		const char *e = strchr(p, ',');
		size_t len = e != NULL ? (size_t)(e - p) : strlen(p);
		const char *start = p;
		p = e != NULL ? e + 1 : p + len;
		if (len == 0 || len >= sizeof(method)) {
			continue;
		}
		memcpy(method, start, len);
		method[len] = '\0';
		if (!list_has(ev->u.auth.methods, method)) {
			continue;
		}
		if (strcmp(method, "publickey") == 0 && !l->pubkey_exhausted) {
			struct signer *s = identities_next(l->ids);
			if (s != NULL) {
				l->auth_method = "publickey";
				return ssh_conn_auth_pubkey(l->c, s);
			}
			l->pubkey_exhausted = 1;
			continue;
		}
		r = 1;
		if (strcmp(method, "keyboard-interactive") == 0) {
			r = try_kbdint(l);
		} else if (strcmp(method, "password") == 0) {
			r = try_password(l);
		}
		if (r <= 0) {
			return r;
		}
	}
	log_debug1("No more authentication methods to try.");
	return ssh_conn_auth_give_up(l->c);
}

/* the one-line message for a failed signature: token errors in their own category */
static void sign_failure(struct signer *s, int r, char *cause, size_t len)
{
	const char *detail = signer_error(s);

	if (detail[0] == '\0') {
		detail = signer_strerror(r);
	}
	if (p11_is_signer(s)) {
		snprintf(
		    cause, len, "pkcs11: %s: %s", s->name != NULL ? s->name : "token key", detail);
	} else {
		snprintf(cause, len, "auth: signing with %s failed: %s",
		    s->name != NULL ? s->name : "key", detail);
	}
}

/* hand the signer's result (r, and the raw signature sig) to the engine */
static int answer_signature(struct loop *l, struct signer *s, int r, uint8_t *sig, size_t len)
{
	char cause[1024];

	if (r != 0) {
		sign_failure(s, r, cause, sizeof(cause));
		r = ssh_conn_answer_sign(l->c, NULL, 0, r, cause);
	} else {
		r = ssh_conn_answer_sign(l->c, sig, len, 0, NULL);
	}
	free(sig);
	return r;
}

static int on_sign(struct loop *l, const struct ssh_event *ev)
{
	struct signer *s = ev->u.sign.signer;
	uint8_t *sig = NULL;
	size_t len = 0;
	int r;

	r = s->ops->sign(s, &ev->u.sign.req, &sig, &len);
	if (r == SIGNER_AGAIN && s->ops->sign_finish != NULL && s->ops->poll_fd != NULL) {
		l->sign_signer = s;     /* a token signs in its thread: wait for poll_fd */
		loop_user_wait_begin(); /* the timeouts stop meanwhile */
		return 0;
	}
	return answer_signature(l, s, r, sig, len);
}

static int finish_sign(struct loop *l)
{
	struct signer *s = l->sign_signer;
	uint8_t *sig = NULL;
	size_t len = 0;
	int r;

	r = s->ops->sign_finish(s, &sig, &len);
	if (r == SIGNER_AGAIN) {
		return 0;
	}
	l->sign_signer = NULL;
	loop_user_wait_end();
	return answer_signature(l, s, r, sig, len);
}

static int on_hostkey(struct loop *l, const struct ssh_event *ev)
{
	char err[ERR_MAX];
	char *fp = NULL;
	int trusted = 0, r;

	if (sshkey_fingerprint(ev->u.hostkey.blob, ev->u.hostkey.len, &fp) == 0) {
		log_debug1("Server host key: %s %s", ev->u.hostkey.alg, fp);
	}
	free(fp);
	r = trust_hostkey(l->o, l->addr, ev->u.hostkey.alg, ev->u.hostkey.blob, ev->u.hostkey.len,
	    &trusted, err, sizeof(err));
	if (!trusted) {
		fail_local(l, "%s", err[0] != '\0' ? err : "hostkey: host key not trusted");
	}
	l->hostkey_done = 1; /* what follows is user authentication */
	(void)r;
	return ssh_conn_answer_hostkey(l->c, trusted);
}

static void on_exit_event(struct loop *l, const struct ssh_event *ev)
{
	l->exit_known = 1;
	l->exit_has_status = ev->u.exit.has_status;
	l->exit_status = ev->u.exit.status;
	l->exit_core = ev->u.exit.core_dumped;
	l->exit_signal[0] = '\0';
	l->exit_message[0] = '\0';
	if (ev->u.exit.signal != NULL) {
		snprintf(l->exit_signal, sizeof(l->exit_signal), "%s", ev->u.exit.signal);
	}
	if (ev->u.exit.message != NULL) {
		snprintf(l->exit_message, sizeof(l->exit_message), "%s", ev->u.exit.message);
	}
}

static int drain_events(struct loop *l)
{
	struct ssh_event ev;
	int r = 0;

	while (r >= 0 && ssh_conn_next_event(l->c, &ev) == 1) {
		switch (ev.type) {
		case SSH_EV_HOSTKEY:
			r = on_hostkey(l, &ev);
			break;
		case SSH_EV_AUTH_BANNER:
			if (log_get_level() >= LOG_INFO && ev.u.banner.text != NULL) {
				fputs(ev.u.banner.text, stderr);
				fflush(stderr);
			}
			break;
		case SSH_EV_AUTH_NEXT:
			l->hostkey_done = 1;
			r = on_auth_next(l, &ev);
			break;
		case SSH_EV_SIGN:
			r = on_sign(l, &ev);
			break;
		case SSH_EV_PROMPT:
			r = on_prompt(l, &ev);
			break;
		case SSH_EV_AUTH_DONE:
			log_debug2("authenticated to %s ([%s]:%d)", l->host, l->addr, l->port);
			l->auth_done = 1;
			/* a pty is requested next: the local terminal goes raw now, so that nothing
			 * the remote side prints meets our own output processing */
			if (l->want_tty && !l->raw_tty) {
				enter_raw_mode(l);
			}
			break;
		case SSH_EV_SESSION_READY:
			l->session_ready = 1;
			if (l->alive_interval_ms > 0) {
				/* keepalives from now on, the first after a quiet interval */
				l->alive_misses = 0;
				l->alive_next = clock_ms() + (uint64_t)l->alive_interval_ms;
			}
			break;
		case SSH_EV_CHANNEL_DATA:
			break; /* the buffers are drained by the loop */
		case SSH_EV_EXIT:
			on_exit_event(l, &ev);
			break;
		case SSH_EV_NONE:
		default:
			break;
		}
	}
	return r;
}

/* ---- I/O ---- */

static int sock_read(struct loop *l)
{
	ssize_t n;
	size_t room = 0;
	uint8_t *win;
	int r;

	/* read straight into the engine's input buffer: one copy less per byte */
	if ((win = ssh_conn_recv_window(l->c, IO_CHUNK, &room)) == NULL) {
		const char *msg = NULL;
		if (ssh_conn_error(l->c, &msg) != 0) {
			return SSH_ERR_PROTOCOL;
		}
		return 0; /* input capped: the engine is waiting for an answer */
	}
	n = recv(l->sock, win, room, 0);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
			return 0;
		}
		fail_local(
		    l, "connect: read from %s port %d: %s", l->host, l->port, strerror(errno));
		return SSH_ERR_SYSTEM;
	}
	if (n == 0) {
		r = ssh_conn_recv_eof(l->c);
		if (r < 0) {
			const char *msg = NULL;
			if (ssh_conn_error(l->c, &msg) == 0 || msg == NULL) {
				fail_local(l, "connect: connection closed by %s", l->host);
			}
			return r;
		}
		if (!ssh_conn_done(l->c)) {
			fail_local(l, "connect: connection closed by %s", l->host);
			return SSH_ERR_PROTOCOL;
		}
		l->finished = 1;
		return 0;
	}
	return ssh_conn_recv_commit(l->c, (size_t)n);
}

static int sock_write(struct loop *l)
{
	const uint8_t *p;
	size_t len;
	ssize_t n;

	for (;;) {
		p = ssh_conn_send_ptr(l->c, &len);
		if (p == NULL || len == 0) {
			return 0;
		}
		n = send(l->sock, p, len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
				return 0;
			}
			fail_local(l, "connect: write to %s port %d: %s", l->host, l->port,
			    strerror(errno));
			return SSH_ERR_SYSTEM;
		}
		ssh_conn_send_consumed(l->c, (size_t)n);
		if ((size_t)n < len) {
			return 0;
		}
	}
}

/* Write a message on the terminal while it may be in raw mode (lines end in CR LF there). */
static void tty_message(const char *text)
{
	fputs(text, stderr);
	fflush(stderr);
}

/* ~^Z: give the terminal back, stop, and take it again when continued. */
static void suspend_self(struct loop *l)
{
	char msg[64];
	int was_raw = l->raw_tty;

	snprintf(msg, sizeof(msg), "%c^Z [suspend x509ssh]\r\n", l->esc.ch);
	tty_message(msg);
	if (was_raw) {
		tcsetattr(STDIN_FILENO, TCSADRAIN, &l->saved_tio);
		l->raw_tty = 0;
	}
	kill(getpid(), SIGTSTP);
	if (was_raw) {
		enter_raw_mode(l);
	}
	got_winch = 1; /* the window may have changed meanwhile */
}

/* Send typed bytes through the escape filter; acts on commands. */
static int stdin_escapes(struct loop *l, const uint8_t *in, size_t len)
{
	char help[1024], msg[16];
	int r;

	while (len > 0 && !l->escape_quit) {
		enum escape_cmd cmd = ESC_CMD_NONE;
		size_t used = 0;
		size_t k = escape_filter(&l->esc, in, len, l->escbuf, &used, &cmd);
		if (k > 0 && (r = ssh_conn_stdin_write(l->c, l->escbuf, k)) < 0) {
			return r;
		}
		in += used;
		len -= used;
		switch (cmd) {
		case ESC_CMD_DISCONNECT:
			snprintf(msg, sizeof(msg), "%c.\r\n", l->esc.ch);
			tty_message(msg);
			l->escape_quit = 1;
			break;
		case ESC_CMD_HELP:
			snprintf(msg, sizeof(msg), "%c?\r\n", l->esc.ch);
			tty_message(msg);
			escape_help(l->esc.ch, help, sizeof(help));
			tty_message(help);
			break;
		case ESC_CMD_SUSPEND:
			suspend_self(l);
			break;
		case ESC_CMD_NONE:
		default:
			break;
		}
	}
	return 0;
}

static int stdin_read(struct loop *l)
{
	size_t room = ssh_conn_stdin_room(l->c);
	ssize_t n;

	if (l->esc_active) {
		room = room > 0 ? room - 1 : 0; /* a held-back escape character may join a byte */
	}
	if (room == 0) {
		return 0;
	}
	if (room > IO_CHUNK) {
		room = IO_CHUNK;
	}
	n = read(STDIN_FILENO, l->iobuf, room);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
			return 0;
		}
		log_debug1("read from stdin: %s", strerror(errno));
		n = 0;
	}
	if (n == 0) {
		l->stdin_open = 0;
		return ssh_conn_stdin_eof(l->c);
	}
	if (l->esc_active) {
		return stdin_escapes(l, l->iobuf, (size_t)n);
	}
	return ssh_conn_stdin_write(l->c, l->iobuf, (size_t)n);
}

/* Write what the channel has for fd 1 (is_stderr 0) or 2. */
static int out_write(struct loop *l, int is_stderr)
{
	struct buf *b = ssh_conn_channel_out(l->c, is_stderr);
	int fd = is_stderr ? STDERR_FILENO : STDOUT_FILENO;
	ssize_t n;

	if (b == NULL) {
		return 0;
	}
	while (buf_len(b) > 0) {
		if (l->out_dead[is_stderr]) {
			return ssh_conn_channel_consumed(l->c, is_stderr, buf_len(b));
		}
		n = write(fd, buf_ptr(b), buf_len(b));
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				return 0;
			}
			if (errno == EINTR) {
				continue;
			}
			log_debug1(
			    "write to %s: %s", is_stderr ? "stderr" : "stdout", strerror(errno));
			l->out_dead[is_stderr] = 1;
			continue;
		}
		int r = ssh_conn_channel_consumed(l->c, is_stderr, (size_t)n);
		if (r < 0) {
			return r;
		}
		b = ssh_conn_channel_out(l->c, is_stderr);
		if (b == NULL || !l->out_nb[is_stderr]) {
			return 0; /* a blocking descriptor: let poll say when it can take more */
		}
	}
	return 0;
}

/* ---- the loop ---- */

static int outputs_drained(struct loop *l)
{
	for (int i = 0; i < 2; i++) {
		struct buf *b = ssh_conn_channel_out(l->c, i);
		if (b != NULL && buf_len(b) > 0 && !l->out_dead[i]) {
			return 0;
		}
	}
	return 1;
}

static size_t send_pending(struct loop *l)
{
	size_t len = 0;

	if (ssh_conn_send_ptr(l->c, &len) == NULL) {
		return 0;
	}
	return len;
}

/* The process exit status for the session's end; every 255 has its one line. */
static int exit_code(struct loop *l)
{
	if (l->exit_known && l->exit_signal[0] != '\0') {
		fatal_error("channel", "remote command killed by signal %s%s%s%s", l->exit_signal,
		    l->exit_core ? " (core dumped)" : "", l->exit_message[0] ? ": " : "",
		    l->exit_message);
		return 255;
	}
	if (!l->exit_known || !l->exit_has_status) {
		/* some network devices close the session this way */
		fatal_error("channel", "the server closed the session without an exit status");
		return 255;
	}
	if (l->exit_status > 255) {
		/* cut to 8 bits, 256 would read as success */
		fatal_error("channel", "the server sent exit status %" PRIu32 ", outside 0..255",
		    l->exit_status);
		return 255;
	}
	return (int)l->exit_status;
}

enum { P_SOCK, P_STDIN, P_STDOUT, P_STDERR, P_SIGN, P_N };

/* the name of a signal we catch, as OpenSSH names remote ones ("TERM") */
static const char *local_signal_name(int sig)
{
	switch (sig) {
	case SIGINT:
		return "INT";
	case SIGTERM:
		return "TERM";
	case SIGHUP:
		return "HUP";
	case SIGQUIT:
		return "QUIT";
	default:
		return "unknown";
	}
}

/* ---- the limits up to the open session, and keepalives after it ---- */

enum phase { PH_BANNER, PH_KEX, PH_AUTH, PH_OPEN, PH_SESSION };

/* as the timeout messages name them */
static const char *const phase_names[] = {
    [PH_BANNER] = "waiting for the server's banner",
    [PH_KEX] = "during key exchange",
    [PH_AUTH] = "during user authentication",
    [PH_OPEN] = "while opening the session",
    [PH_SESSION] = "in the session",
};

static enum phase phase_of(struct loop *l)
{
	if (l->session_ready) {
		return PH_SESSION;
	}
	if (l->auth_done) {
		return PH_OPEN;
	}
	if (l->hostkey_done) {
		return PH_AUTH;
	}
	return ssh_conn_server_version(l->c) == NULL ? PH_BANNER : PH_KEX;
}

/* Shorten *timeout (ms) so that poll returns by `due` (a clock_ms() time, 0 = none). */
static void wait_until(int *timeout, uint64_t t, uint64_t due)
{
	if (due == 0) {
		return;
	}
	if (t >= due) {
		*timeout = 0;
	} else if (due - t < (uint64_t)*timeout) {
		*timeout = (int)(due - t);
	}
}

/* Only a complete packet other than IGNORE/DEBUG proves the server alive: a drip of bytes or a
 * flood of IGNORE messages does not hold the client. */
static void note_heard(struct loop *l, uint64_t t)
{
	uint64_t h = ssh_conn_heard(l->c);

	if (h == l->heard) {
		return;
	}
	l->heard = h;
	l->heard_at = t;
	if (l->session_ready && l->alive_interval_ms > 0) {
		l->alive_misses = 0;
		l->alive_next = t + (uint64_t)l->alive_interval_ms;
	}
}

/* Before the session is open: ConnectTimeout (or the BatchMode default) and the ServerAlive
 * read timeout, each ending with one line naming the phase. */
static int check_limits(struct loop *l, uint64_t t)
{
	enum phase ph = phase_of(l);

	if (ph == PH_SESSION) {
		return 0;
	}
	if (l->deadline != 0 && t >= l->deadline) {
		fail_local(l, "connect: %s port %d: timed out %s (ConnectTimeout %d s%s)", l->host,
		    l->port, phase_names[ph], l->limit_s,
		    l->limit_default ? ", the BatchMode default" : "");
		return SSH_ERR_SYSTEM;
	}
	if (l->silence_ms != 0 && t - l->heard_at >= l->silence_ms) {
		fail_local(l,
		    "connect: timeout: server not responding for %" PRIu64
		    " s %s (ServerAliveInterval %d s x ServerAliveCountMax %d)",
		    l->silence_ms / 1000u, phase_names[ph], l->o->server_alive_interval,
		    l->o->server_alive_count_max);
		return SSH_ERR_SYSTEM;
	}
	return 0;
}

/* After the session is open: a keepalive after each quiet interval, then give up. */
static int keepalive(struct loop *l, uint64_t t)
{
	int r;

	if (l->alive_interval_ms <= 0 || !l->session_ready || l->alive_next == 0 ||
	    t < l->alive_next) {
		return 0;
	}
	if (++l->alive_misses > l->o->server_alive_count_max) {
		fail_local(l, "connect: timeout: server not responding");
		return SSH_ERR_SYSTEM;
	}
	log_debug1("no data from the server for %d ms: keepalive %d of %d", l->alive_interval_ms,
	    l->alive_misses, l->o->server_alive_count_max);
	if ((r = ssh_conn_keepalive(l->c)) < 0) {
		return r;
	}
	l->alive_next = t + (uint64_t)l->alive_interval_ms;
	return 0;
}

static int run(struct loop *l)
{
	struct pollfd pfd[P_N];
	uint64_t now, t, last_tick = 0;
	const char *emsg = NULL;
	int r = 0, sock_eof = 0;

	for (;;) {
		if ((r = drain_events(l)) < 0) {
			return r;
		}
		if (ssh_conn_error(l->c, &emsg) != 0) {
			return SSH_ERR_PROTOCOL;
		}
		if (!sock_eof && (r = sock_write(l)) < 0) {
			return r;
		}
		for (int i = 0; i < 2; i++) {
			if ((r = out_write(l, i)) < 0) {
				return r;
			}
		}
		if ((r = drain_events(l)) < 0) {
			return r;
		}
		if (ssh_conn_done(l->c) && (sock_eof || send_pending(l) == 0) &&
		    outputs_drained(l)) {
			return 0;
		}
		if (l->escape_quit) {
			return 0; /* ~.: leave at once, like ssh */
		}
		if (sock_eof && !ssh_conn_done(l->c)) {
			fail_local(l, "connect: connection closed by %s", l->host);
			return SSH_ERR_PROTOCOL;
		}
		for (int i = 0; i < P_N; i++) {
			pfd[i].fd = -1;
			pfd[i].events = 0;
			pfd[i].revents = 0;
		}
		if (!sock_eof) {
			pfd[P_SOCK].fd = l->sock;
			pfd[P_SOCK].events = POLLIN | (send_pending(l) > 0 ? POLLOUT : 0);
		}
		if (l->session_ready && l->stdin_open &&
		    ssh_conn_stdin_room(l->c) > (l->esc_active ? 1u : 0u)) {
			pfd[P_STDIN].fd = STDIN_FILENO;
			pfd[P_STDIN].events = POLLIN;
		}
		for (int i = 0; i < 2; i++) {
			struct buf *b = ssh_conn_channel_out(l->c, i);
			if (b != NULL && buf_len(b) > 0 && !l->out_dead[i]) {
				pfd[P_STDOUT + i].fd = STDOUT_FILENO + i;
				pfd[P_STDOUT + i].events = POLLOUT;
			}
		}
		if (l->sign_signer != NULL) {
			pfd[P_SIGN].fd = l->sign_signer->ops->poll_fd(l->sign_signer);
			pfd[P_SIGN].events = POLLIN;
		}
		int timeout = 1000;
		t = clock_ms();
		if (!l->session_ready) {
			wait_until(&timeout, t, l->deadline);
			wait_until(
			    &timeout, t, l->silence_ms != 0 ? l->heard_at + l->silence_ms : 0);
		} else if (l->alive_interval_ms > 0) {
			wait_until(&timeout, t, l->alive_next);
		}
		r = poll(pfd, P_N, timeout);
		if (r < 0 && errno != EINTR) {
			fail_local(l, "connect: poll: %s", strerror(errno));
			return SSH_ERR_SYSTEM;
		}
		now = now_ms();
		if (now - last_tick >= 1000) {
			last_tick = now;
			if ((r = ssh_conn_tick(l->c, now)) < 0) {
				return r;
			}
		}
		if (got_term) {
			fail_local(
			    l, "channel: killed by signal %s", local_signal_name((int)got_term));
			return SSH_ERR_SYSTEM;
		}
		if (got_winch) {
			struct winsize ws;
			got_winch = 0;
			if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0 && l->session_ready) {
				if ((r = ssh_conn_window_change(l->c, ws.ws_col, ws.ws_row)) < 0) {
					return r;
				}
			}
		}
		if (pfd[P_SOCK].revents & (POLLIN | POLLHUP | POLLERR)) {
			if ((r = sock_read(l)) < 0) {
				return r;
			}
			if (l->finished) {
				sock_eof = 1;
			}
		}
		t = clock_ms();
		note_heard(l, t);
		if ((r = check_limits(l, t)) < 0) {
			return r;
		}
		if (!sock_eof && (r = keepalive(l, t)) < 0) {
			return r;
		}
		if (l->sign_signer != NULL &&
		    (pfd[P_SIGN].revents & (POLLIN | POLLHUP | POLLERR))) {
			if ((r = finish_sign(l)) < 0) {
				return r;
			}
		}
		if (pfd[P_STDIN].revents & (POLLIN | POLLHUP | POLLERR)) {
			if ((r = stdin_read(l)) < 0) {
				return r;
			}
		}
	}
}

int loop_run(const struct options *o, const struct ssh_conn_config *cfg, struct identities *ids)
{
	struct loop l;
	char err[ERR_MAX];
	struct sigaction sa;
	int r, status = 255;

	memset(&l, 0, sizeof(l));
	l.o = o;
	l.cfg = cfg;
	l.want_tty = cfg->want_tty;
	l.ids = ids;
	l.sock = -1;
	l.host = o->hostname != NULL ? o->hostname : o->host;
	l.port = o->port > 0 ? o->port : 22;
	l.stdin_open = 1;
	for (int i = 0; i < 3; i++) {
		l.saved_fl[i] = -1;
	}
	signal(SIGPIPE, SIG_IGN);

	if ((r = loop_connect(o, &l.sock, l.addr, sizeof(l.addr), err, sizeof(err))) != 0) {
		fatal_line(err);
		goto out;
	}
	/* from the connection on: the limits up to the open session (ConnectTimeout or the
	 * BatchMode default) and the read timeout (ServerAliveInterval x CountMax) */
	l.limit_s = options_session_timeout(o, &l.limit_default);
	if (l.limit_s > 0) {
		l.deadline = clock_ms() + (uint64_t)l.limit_s * 1000u;
	}
	l.silence_ms = options_silence_limit_ms(o);
	l.heard_at = clock_ms();
	if (o->server_alive_interval > 0) {
		l.alive_interval_ms = o->server_alive_interval > 2000000
		                          ? 2000000000
		                          : o->server_alive_interval * 1000;
	}
	l.esc_active = l.want_tty && o->escape_char >= 0;
	escape_init(&l.esc, o->escape_char);
	if ((l.iobuf = malloc(IO_CHUNK)) == NULL || (l.escbuf = malloc(IO_CHUNK + 1)) == NULL) {
		fatal_error("connect", "out of memory");
		goto out;
	}
	if ((r = ssh_conn_new(cfg, &l.c)) != 0) {
		fatal_error("connect", "cannot start the session: %s", ssh_err_str(r));
		goto out;
	}
	if (l.want_tty) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_winch;
		sigemptyset(&sa.sa_mask);
		sa.sa_flags = SA_RESTART;
		sigaction(SIGWINCH, &sa, NULL);
		/* leave the terminal as we found it even when killed */
		sa.sa_handler = on_term;
		sa.sa_flags = 0;
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGHUP, &sa, NULL);
		sigaction(SIGQUIT, &sa, NULL);
		sigaction(SIGINT, &sa, NULL);
	}
	fds_setup(&l);
	r = run(&l);
	int had_tty = l.raw_tty;
	fds_restore(&l);
	if ((had_tty || l.escape_quit) && r >= 0 && l.local_err[0] == '\0') {
		log_info("Connection to %s closed.", l.host);
	}
	if (l.escape_quit && r >= 0 && l.local_err[0] == '\0') {
		goto out; /* ~. : 255, as ssh */
	}
	if (r < 0 || l.local_err[0] != '\0') {
		print_failure(&l, r);
		goto out;
	}
	status = exit_code(&l);
out:
	fds_restore(&l);
	if (l.sign_signer != NULL) {
		l.sign_signer = NULL;
		loop_user_wait_end();
	}
	if (l.c != NULL) {
		ssh_conn_free(l.c);
	}
	if (l.sock >= 0) {
		close(l.sock);
	}
	free(l.iobuf);
	free(l.escbuf);
	return status;
}
