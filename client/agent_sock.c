/* The agent's socket path from IdentityAgent / SSH_AUTH_SOCK / ForwardAgent (agent_sock.h). */
#include "agent_sock.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "identity.h"
#include "log.h"

/* "$VAR" or "${VAR}": the variable's value (malloc'd), or NULL (a -v line says why) */
static char *from_env(const char *setting, const char *v)
{
	char name[256];
	const char *env;
	size_t l;

	v++;
	l = strlen(v);
	if (v[0] == '{' && l >= 2 && v[l - 1] == '}') {
		v++;
		l -= 2;
	}
	if (l == 0 || l >= sizeof(name)) {
		log_verbose("%s %s: not a variable name", setting, v - 1);
		return NULL;
	}
	memcpy(name, v, l);
	name[l] = '\0';
	if ((env = getenv(name)) == NULL || env[0] == '\0') {
		log_debug1("%s: the variable %s is not set", setting, name);
		return NULL;
	}
	return strdup(env);
}

/* a path or "$VAR" setting: the socket (malloc'd) or NULL */
static char *from_setting(const struct options *o, const char *setting, const char *v)
{
	char *out = NULL;

	if (v[0] == '$') {
		return from_env(setting, v);
	}
	if (path_expand(v, o, &out) != 0) {
		log_verbose("%s %s: cannot expand the path", setting, v);
		return NULL;
	}
	return out;
}

char *agent_sock_path(const struct options *o, const char **from)
{
	const char *v = o->identity_agent, *env;

	*from = "SSH_AUTH_SOCK";
	if (v == NULL || strcmp(v, "SSH_AUTH_SOCK") == 0) {
		env = getenv("SSH_AUTH_SOCK");
		return env != NULL && env[0] != '\0' ? strdup(env) : NULL;
	}
	if (strcmp(v, "none") == 0) {
		return NULL;
	}
	*from = "IdentityAgent";
	return from_setting(o, "IdentityAgent", v);
}

/* OpenSSH's boolean spellings of ForwardAgent */
static const struct {
	const char *word;
	int on;
} fwd_words[] = {{"yes", 1}, {"true", 1}, {"no", 0}, {"false", 0}};

/* 1: yes, 0: no, -1: a path or variable */
static int fwd_word(const char *v)
{
	for (size_t i = 0; i < sizeof(fwd_words) / sizeof(fwd_words[0]); i++) {
		if (strcasecmp(v, fwd_words[i].word) == 0) {
			return fwd_words[i].on;
		}
	}
	return -1;
}

int agent_fwd_wanted(const struct options *o)
{
	return o->forward_agent != NULL && fwd_word(o->forward_agent) != 0;
}

char *agent_fwd_path(const struct options *o)
{
	const char *from;
	char *p;

	if (!agent_fwd_wanted(o)) {
		return NULL;
	}
	if (fwd_word(o->forward_agent) == 1) {
		p = agent_sock_path(o, &from);
		if (p == NULL) {
			log_verbose("ForwardAgent: no agent (%s): not forwarding", from);
		}
		return p;
	}
	if ((p = from_setting(o, "ForwardAgent", o->forward_agent)) == NULL) {
		log_verbose("ForwardAgent %s: no agent socket: not forwarding", o->forward_agent);
	}
	return p;
}

int agent_fwd_ready(const struct options *o)
{
	char *p = agent_fwd_path(o);
	int ok = p != NULL;

	free(p);
	return ok;
}
