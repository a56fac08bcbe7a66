/* x509ssh-fleet's hosts: options, connections, captured output, host key (fleet_host.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/x509.h>

#include "cmdline.h"
#include "fleet_host.h"
#include "log.h"
#include "paths.h"
#include "target.h"
#include "ssh/x509key.h"

/* the session channel's window and largest packet: a fleet connection holds at most this much
 * of a host's unread output (x509ssh's own is 8 MiB; see x509ssh-fleet(1), MEMORY) */
#define FLEET_CHAN_WINDOW    (128u * 1024)
#define FLEET_CHAN_MAXPACKET (16u * 1024)

char **fleet_host_argv(const struct fleet_host_cfg *cfg, const char *user, const char *host,
    int port, int *argc, char **dest_buf)
{
	size_t n = (size_t)cfg->xargc + (size_t)cfg->ncmd + 8, len = strlen(host) + 8;
	char **v = calloc(n, sizeof(*v)), *d = malloc(len), *portbuf = malloc(16);
	int k = 0;

	*dest_buf = NULL;
	if (v == NULL || d == NULL || portbuf == NULL) {
		free(v);
		free(d);
		free(portbuf);
		return NULL;
	}
	/* an address with ':' is bracketed in the URI form; the user and port go as -l / -p
	 * after the fleet's flags, so that the host list's own win over -l / -p */
	snprintf(d, len, strchr(host, ':') != NULL ? "ssh://[%s]" : "%s", host);
	for (int i = 0; i < cfg->xargc; i++) {
		v[k++] = cfg->xargv[i];
	}
	if (user != NULL) {
		v[k++] = "-l";
		v[k++] = (char *)user;
	}
	if (port > 0) {
		snprintf(portbuf, 16, "%d", port);
		v[k++] = "-p";
		v[k++] = portbuf;
	} else {
		free(portbuf);
		portbuf = NULL;
	}
	v[k++] = "--";
	v[k++] = d;
	for (int i = 0; i < cfg->ncmd && !cfg->shell; i++) {
		v[k++] = cfg->cmd[i];
	}
	v[k] = NULL;
	*argc = k;
	/* the caller frees the destination and the port through dest_buf[0..1] */
	dest_buf[0] = d;
	v[n - 1] = portbuf; /* past the NULL: freed with the vector */
	return v;
}

static void drop_forwardings(struct options *o)
{
	options_clear_forwardings(o);
	free(o->stdio_forward);
	o->stdio_forward = NULL;
}

int fleet_host_prepare(struct fleet_host_state *h, const struct fleet_host_cfg *cfg,
    const char *user, const char *host, int port, char *err, size_t errlen)
{
	struct cmdline a;
	struct target *dest = NULL, *hops = NULL;
	char **argv = NULL, *dbuf = NULL, cause[1024];
	int argc = 0, r = -1;
	size_t n;

	options_init(&h->o);
	h->prepared = 1;
	if ((argv = fleet_host_argv(cfg, user, host, port, &argc, &dbuf)) == NULL) {
		snprintf(err, errlen, "config: out of memory");
		goto out;
	}
	if (cmdline_parse(argc, argv, &h->o, &a) != CMDLINE_OK) {
		snprintf(err, errlen, "config: invalid destination or flags for %s", host);
		goto out;
	}
	h->command = a.command;
	h->o.command = a.command; /* Match command */
	if (a.config != NULL && (h->config = strdup(a.config)) == NULL) {
		snprintf(err, errlen, "config: out of memory");
		goto out;
	}
	cause[0] = '\0';
	if (options_read_configs(&h->o, h->config, cause, sizeof(cause)) != 0 ||
	    options_finish(&h->o, paths_local_user(), target_have_ca_store(&h->o), cause,
	        sizeof(cause)) != 0) {
		snprintf(err, errlen, "config: %s", cause);
		goto out;
	}
	if (h->o.refuse_connection == 1) {
		snprintf(err, errlen, "config: RefuseConnection is set for %s: not connecting",
		    h->o.host);
		goto out;
	}
	drop_forwardings(&h->o);
	h->o.session_type = SESSION_DEFAULT;
	h->o.fork_after_authentication = 0;
	/* --shell: a pty on the server, as a device's shell session has; never one otherwise
	 * (decided here, so that no host says its stdin is not a terminal) */
	h->o.no_tty = !cfg->shell;
	h->o.force_tty = cfg->shell ? 2 : 0;
	if ((dest = calloc(1, sizeof(*dest))) == NULL) {
		snprintf(err, errlen, "config: out of memory");
		goto out;
	}
	h->dest = dest;
	if (target_prepare(dest, &h->o, cfg->shell ? NULL : h->command, err, errlen) != 0) {
		goto out;
	}
	dest->cfg.tty_required = cfg->shell; /* --shell without a pty is not what was asked */
	dest->cfg.chan_window = FLEET_CHAN_WINDOW;
	dest->cfg.chan_max_packet = FLEET_CHAN_MAXPACKET;
	if (h->o.proxy_jump != NULL) {
		if (target_jumps(&h->o, h->config, &hops, &h->nhops) != 0) {
			h->hops = hops;
			snprintf(
			    err, errlen, "config: %s: its jump hosts cannot be prepared", host);
			goto out;
		}
		h->hops = hops;
	}
	if ((h->lt = calloc(h->nhops + 1, sizeof(*h->lt))) == NULL) {
		snprintf(err, errlen, "config: out of memory");
		goto out;
	}
	for (n = 0; n <= h->nhops; n++) {
		const struct target *t = n < h->nhops ? &hops[n] : dest;
		h->lt[n].o = t->o;
		h->lt[n].cfg = &t->cfg;
		h->lt[n].ids = t->ids;
	}
	r = 0;
out:
	if (argv != NULL) {
		free(argv[(size_t)cfg->xargc + (size_t)cfg->ncmd + 7]);
	}
	free(argv);
	free(dbuf);
	return r;
}

int fleet_host_output(
    struct fleet_host_state *h, int is_stderr, const uint8_t *p, size_t len, size_t cap)
{
	struct fleet_capture *c = is_stderr ? &h->err : &h->out;
	size_t keep = 0;

	c->total += len;
	if (c->kept.len < cap) {
		keep = cap - c->kept.len < len ? cap - c->kept.len : len;
		fleet_sb_add(&c->kept, p, keep);
		if (c->kept.err) {
			return -1;
		}
	}
	while (c->fd >= 0 && len > 0) {
		ssize_t n = write(c->fd, p, len);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n <= 0) {
			log_error("cannot write the output of %s: %s", h->o.host, strerror(errno));
			close(c->fd);
			c->fd = -1;
			break;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* an X509_NAME as one line (RFC 2253 order, UTF-8) */
static char *name_line(const X509_NAME *nm)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *out = NULL, *p;
	long len;

	if (b == NULL) {
		return NULL;
	}
	if (X509_NAME_print_ex(b, nm, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0 &&
	    (len = BIO_get_mem_data(b, &p)) >= 0 && (out = malloc((size_t)len + 1)) != NULL) {
		memcpy(out, p, (size_t)len);
		out[len] = '\0';
	}
	BIO_free(b);
	return out;
}

/* notAfter as "YYYY-MM-DDTHH:MM:SSZ" */
static char *time_line(const ASN1_TIME *t)
{
	struct tm tm;
	char buf[32], *out;

	if (ASN1_TIME_to_tm(t, &tm) != 1) {
		return NULL;
	}
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	out = strdup(buf);
	return out;
}

void fleet_host_hostkey(struct fleet_host_state *h, const struct ssh_event *ev)
{
	const struct ssh_hostkey_view *hk = &ev->u.hostkey;
	X509 *leaf = NULL;

	free(h->hk_alg);
	free(h->hk_fp);
	h->hk_alg = hk->alg != NULL ? strdup(hk->alg) : NULL;
	h->hk_fp = hk->fingerprint != NULL ? strdup(hk->fingerprint) : NULL;
	if (hk->x509 == NULL || x509blob_leaf_cert(hk->x509, &leaf) != 0) {
		return;
	}
	free(h->x509_subject);
	free(h->x509_issuer);
	free(h->x509_not_after);
	h->x509_subject = name_line(X509_get_subject_name(leaf));
	h->x509_issuer = name_line(X509_get_issuer_name(leaf));
	h->x509_not_after = time_line(X509_get0_notAfter(leaf));
	X509_free(leaf);
}

void fleet_host_free(struct fleet_host_state *h)
{
	struct target *dest = h->dest;

	if (dest != NULL) {
		target_free(dest);
		free(dest);
	}
	target_jumps_free(h->hops, h->nhops);
	free(h->lt);
	if (h->prepared) {
		options_free(&h->o);
	}
	free(h->command);
	free(h->config);
	for (int i = 0; i < 2; i++) {
		struct fleet_capture *c = i ? &h->err : &h->out;
		fleet_sb_free(&c->kept);
		if (c->fd >= 0) {
			close(c->fd);
		}
	}
	free(h->hk_alg);
	free(h->hk_fp);
	free(h->x509_subject);
	free(h->x509_issuer);
	free(h->x509_not_after);
	memset(h, 0, sizeof(*h));
	h->out.fd = h->err.fd = -1;
}
