/*
 * Agent forwarding (ForwardAgent, -A): each auth-agent@openssh.com channel the server opens
 * (the engine raises it only after our auth-agent-req@openssh.com) is connected to the local
 * agent's unix socket and bridged byte for byte, with the channel's own flow control, as a -R
 * channel is bridged to its TCP target (fwd_int.h). The socket is found when the channel comes
 * (ForwardAgent yes: IdentityAgent / SSH_AUTH_SOCK; a path; $VAR); an agent that is not there
 * refuses the channel (connect failed) with a -v line, and the session goes on.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent_sock.h"
#include "fwd_int.h"
#include "log.h"
#include "signer_agent.h"
#include "ssh/err.h"

int fwd_agent_incoming(struct fwd *f, const struct ssh_event *ev)
{
	struct bridge *b;
	char *path = NULL, what[200], cause[160];
	int fd = -1, pending = 0, r;

	if (f->draining) {
		return ssh_conn_chan_refuse(f->c, ev->u.chan.id, 1, "the session has ended");
	}
	if ((path = agent_fwd_path(f->o)) == NULL) {
		return ssh_conn_chan_refuse(f->c, ev->u.chan.id, 2, "no agent");
	}
	snprintf(what, sizeof(what), "agent forwarding (channel %u) -> %s", ev->u.chan.id, path);
	if ((fd = agent_sock_connect(path, 0, &pending)) < 0) {
		snprintf(cause, sizeof(cause), "%s", strerror(errno));
		log_verbose("%s: cannot connect to the agent: %s", what, cause);
		free(path);
		return ssh_conn_chan_refuse(f->c, ev->u.chan.id, 2, cause);
	}
	free(path);
	if (fwd_track_socket(f, fd, what, &b) < 0) {
		return ssh_conn_chan_refuse(f->c, ev->u.chan.id, 4, "out of memory");
	}
	b->id = ev->u.chan.id;
	b->have_chan = 1;
	if (pending) {
		b->connecting = 1; /* fwd_remote_connected accepts or refuses it */
		return 0;
	}
	b->state = BR_OPEN;
	log_debug1("%s: connected", b->what);
	if ((r = ssh_conn_chan_accept(f->c, b->id)) < 0) {
		return r;
	}
	return 0;
}
