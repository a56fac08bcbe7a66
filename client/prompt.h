/*
 * Prompts: secrets (passphrases, passwords, PINs) and yes/no questions, read from /dev/tty with
 * echo off, or through the SSH_ASKPASS program as OpenSSH does (SSH_ASKPASS_REQUIRE=force|prefer|
 * never, DISPLAY / WAYLAND_DISPLAY). The terminal settings are restored on every path, including
 * a signal during the prompt (the signal is then re-raised with its original disposition).
 * BatchMode is the caller's business: these functions always try to prompt.
 *
 * A prompt is an object driven by the caller's poll loop (prompt_start, prompt_fill, prompt_step,
 * prompt_finish), so that waiting for the user stops nothing else. Only one prompt uses the
 * terminal at a time: a second one waits its turn; askpass prompts run side by side.
 * prompt_secret and prompt_confirm are the same prompts driven to their end on the spot.
 */
#ifndef X509SSH_PROMPT_H
#define X509SSH_PROMPT_H

#include <poll.h>
#include <stddef.h>

#define PROMPT_ECHO 1    /* show what is typed (questions) */
#define PROMPT_MAX  1024 /* longest answer kept (the rest of the line is discarded) */

/*
 * Ask `prompt` and return the answer without its line end in *out (malloc'd; free it with
 * prompt_free_secret). Returns 0; SSH_ERR_NOT_FOUND when there is neither a terminal nor an
 * askpass program; SSH_ERR_INCOMPLETE on end of file before a line (or askpass cancelled);
 * SSH_ERR_SYSTEM on other failures (errno set). A prompt of the poll loop that holds the terminal
 * steps aside meanwhile and is asked again afterwards.
 */
int prompt_secret(const char *prompt, int flags, char **out);

/*
 * Ask a yes/no question (echo on) until the answer is "yes", "no" or, if fingerprint is not
 * NULL, that fingerprint (counts as yes). An empty answer or EOF is "no". *yes gets 1 or 0.
 * Returns 0 or a negative error as prompt_secret.
 */
int prompt_confirm(const char *question, const char *fingerprint, int *yes);

/* ---- the same prompts, step by step in a poll loop ---- */

struct prompt_ask;

/*
 * Start asking `prompt` (flags: PROMPT_ECHO) as prompt_secret would; with confirm set, a yes/no
 * question as prompt_confirm (fingerprint may be NULL). Returns 0 with *out set (a failure to
 * ask is the result prompt_finish gives), or SSH_ERR_ALLOC.
 */
int prompt_start(
    const char *prompt, int flags, int confirm, const char *fingerprint, struct prompt_ask **out);
/* Its poll slot (fd -1 while it waits for the terminal) and how long poll may sleep for it. */
void prompt_fill(struct prompt_ask *p, struct pollfd *pfd, int *timeout);
/* After poll, every turn (pfd: the slot prompt_fill gave, revents may be 0): 1 when the answer
 * is there (prompt_finish), 0 while it is not. */
int prompt_step(struct prompt_ask *p, const struct pollfd *pfd);
/*
 * Once prompt_step said 1: the result as prompt_secret (answer, may be NULL for a question) or
 * prompt_confirm (yes, may be NULL for a secret) give it. p is freed.
 */
int prompt_finish(struct prompt_ask *p, char **answer, int *yes);
/* Give up a prompt (NULL is fine): the terminal restored, an askpass program stopped, p freed. */
void prompt_cancel(struct prompt_ask *p);

/*
 * The answer in an askpass program's output (a pure function, for tests and fuzzing): buf holds
 * the first n bytes the program wrote (bufsz bytes of room; bytes from bufsz - 1 on are dropped),
 * status is its wait status (-1 when it could not be collected). The answer is the output up to
 * the first CR, LF or NUL, left NUL-terminated in buf (the bytes after it stay in buf, to be
 * wiped with it). Returns 0, or SSH_ERR_INCOMPLETE, with buf wiped to "", when the program did not
 * exit with status 0 (cancelled or failed); SSH_ERR_INTERNAL when bufsz is 0.
 */
int prompt_askpass_answer(char *buf, size_t n, size_t bufsz, int status);

/* Wipe and free a string returned by prompt_secret (NULL is fine). */
void prompt_free_secret(char *s);

#endif
