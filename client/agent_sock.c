/* The agent's socket path from IdentityAgent / SSH_AUTH_SOCK / ForwardAgent (agent_sock.h). */
#include "agent_sock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "identity.h"
#include "log.h"
#include "ssh/err.h"

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

/* OpenSSH's time format: digits with an optional unit each, summed (1h30m); 0 on success */
static int parse_time(const char *v, uint32_t *out)
{
	static const struct {
		char unit;
		uint64_t mul;
	} units[] = {{'s', 1}, {'S', 1}, {'m', 60}, {'M', 60}, {'h', 3600}, {'H', 3600},
	    {'d', 86400}, {'D', 86400}, {'w', 604800}, {'W', 604800}};
	uint64_t total = 0, n;
	size_t i;

	if (*v == '\0') {
		return -1;
	}
	while (*v != '\0') {
		if (*v < '0' || *v > '9') {
			return -1;
		}
		for (n = 0; *v >= '0' && *v <= '9'; v++) {
			n = n * 10 + (uint64_t)(*v - '0');
			if (n > UINT32_MAX) {
				return -1;
			}
		}
		if (*v != '\0' && !(*v >= '0' && *v <= '9')) {
			for (i = 0; i < sizeof(units) / sizeof(units[0]) && units[i].unit != *v;
			     i++) {
			}
			if (i == sizeof(units) / sizeof(units[0])) {
				return -1;
			}
			n *= units[i].mul;
			v++;
		}
		total += n;
		if (total > UINT32_MAX) {
			return -1;
		}
	}
	*out = (uint32_t)total;
	return 0;
}

static const struct {
	const char *word;
	enum addkeys_mode mode;
} addkeys_words[] = {
    {"no", ADDKEYS_NO},
    {"yes", ADDKEYS_YES},
    {"ask", ADDKEYS_ASK},
    {"confirm", ADDKEYS_CONFIRM},
};

int agent_addkeys_parse(const char *v, struct agent_addkeys *out, char *err, size_t errlen)
{
	struct agent_addkeys a = {ADDKEYS_YES, 0};
	char first[64], second[64], extra[2];
	int n;
	size_t i;

	n = sscanf(v, "%63s %63s %1s", first, second, extra);
	if (n < 1 || n > 2) {
		goto bad;
	}
	for (i = 0; i < sizeof(addkeys_words) / sizeof(addkeys_words[0]); i++) {
		if (strcasecmp(first, addkeys_words[i].word) == 0) {
			break;
		}
	}
	if (i == sizeof(addkeys_words) / sizeof(addkeys_words[0])) {
		/* a time alone: yes, with that lifetime */
		if (n != 1 || parse_time(first, &a.lifetime) != 0 || a.lifetime == 0) {
			goto bad;
		}
	} else {
		a.mode = addkeys_words[i].mode;
		if (n == 2 && (a.mode == ADDKEYS_NO || parse_time(second, &a.lifetime) != 0 ||
		                  a.lifetime == 0)) {
			goto bad;
		}
	}
	if (out != NULL) {
		*out = a;
	}
	return 0;
bad:
	if (err != NULL) {
		snprintf(err, errlen, "bad AddKeysToAgent value '%.100s'", v);
	}
	return SSH_ERR_FORMAT;
}
