/*
 * Agent forwarding (ForwardAgent, -A): each auth-agent@openssh.com channel the server opens
 * (the engine raises it only after our auth-agent-req@openssh.com) is connected to the local
 * agent's unix socket and bridged byte for byte, with the channel's own flow control, as a -R
 * channel is bridged to its TCP target (fwd_int.h). The socket is found when the channel comes
 * (ForwardAgent yes: IdentityAgent / SSH_AUTH_SOCK; a path; $VAR); an agent that is not there
 * refuses the channel (connect failed) with a -v line, and the session goes on. Each new agent
 * connection is first bound to this hop (session-bind@openssh.com with is_forwarding set, as
 * OpenSSH's ssh does), so keys added with `ssh-add -h` are refused for hops they do not allow.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent_sock.h"
#include "fwd_int.h"
#include "identity.h"
#include "log.h"
#include "signer_agent.h"
#include "ssh/err.h"

int fwd_agent_incoming(struct fwd *f, const struct ssh_event *ev)
{
	struct bridge *b;
	struct agent_conn *ac = NULL;
	char *path = NULL, what[200], cause[160];
	int fd = -1, r;

	if (f->draining) {
		return ssh_conn_chan_refuse(f->c, ev->u.chan.id, 1, "the session has ended");
	}
	if ((path = agent_fwd_path(f->o)) == NULL) {
		return ssh_conn_chan_refuse(f->c, ev->u.chan.id, 2, "no agent");
	}
	snprintf(what, sizeof(what), "agent forwarding (channel %u) -> %s", ev->u.chan.id, path);
	if (agent_conn_open(path, &ac) != 0) {
		snprintf(cause, sizeof(cause), "%s", strerror(errno));
		log_verbose("%s: cannot connect to the agent: %s", what, cause);
		free(path);
		return ssh_conn_chan_refuse(f->c, ev->u.chan.id, 2, cause);
	}
	free(path);
	/* the agent learns this hop before the far side's requests come (is_forwarding 1) */
	if ((r = agent_bind_forwarded(ac, f->c)) == 0) {
		log_debug1("%s: bound to the host key (forwarding)", what);
	} else {
		log_debug1("%s: session-bind@openssh.com: %s", what, agent_strerror(r));
	}
	if ((fd = agent_conn_take_fd(ac)) < 0) {
		log_verbose("%s: the agent's answer to session-bind was broken", what);
		return ssh_conn_chan_refuse(f->c, ev->u.chan.id, 2, "the agent failed");
	}
	if (fwd_track_socket(f, fd, what, &b) < 0) {
		return ssh_conn_chan_refuse(f->c, ev->u.chan.id, 4, "out of memory");
	}
	b->id = ev->u.chan.id;
	b->have_chan = 1;
	b->state = BR_OPEN;
	log_debug1("%s: connected", b->what);
	if ((r = ssh_conn_chan_accept(f->c, b->id)) < 0) {
		return r;
	}
	return 0;
}
