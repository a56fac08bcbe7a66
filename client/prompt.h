/*
 * Prompts: secrets (passphrases, passwords, PINs) and yes/no questions, read from /dev/tty with
 * echo off, or through the SSH_ASKPASS program as OpenSSH does (SSH_ASKPASS_REQUIRE=force|prefer|
 * never, DISPLAY / WAYLAND_DISPLAY). The terminal settings are restored on every path, including
 * a signal during the prompt (the signal is then re-raised with its original disposition).
 * BatchMode is the caller's business: these functions always try to prompt.
 */
#ifndef X509SSH_PROMPT_H
#define X509SSH_PROMPT_H

#define PROMPT_ECHO 1    /* show what is typed (questions) */
#define PROMPT_MAX  1024 /* longest answer kept (the rest of the line is discarded) */

/*
 * Ask `prompt` and return the answer without its line end in *out (malloc'd; free it with
 * prompt_free_secret). Returns 0; SSH_ERR_NOT_FOUND when there is neither a terminal nor an
 * askpass program; SSH_ERR_INCOMPLETE on end of file before a line (or askpass cancelled);
 * SSH_ERR_SYSTEM on other failures (errno set).
 */
int prompt_secret(const char *prompt, int flags, char **out);

/*
 * Ask a yes/no question (echo on) until the answer is "yes", "no" or, if fingerprint is not
 * NULL, that fingerprint (counts as yes). An empty answer or EOF is "no". *yes gets 1 or 0.
 * Returns 0 or a negative error as prompt_secret.
 */
int prompt_confirm(const char *question, const char *fingerprint, int *yes);

/* Wipe and free a string returned by prompt_secret (NULL is fine). */
void prompt_free_secret(char *s);

#endif
