/* -f (ForkAfterAuthentication): go to the background once authenticated (background.c). */
#ifndef X509SSH_BACKGROUND_H
#define X509SSH_BACKGROUND_H

/* Fork now. The child returns 0; the parent waits for background_ready() or the child's end and
 * exits (it never returns). -1 with errno when pipe() or fork() failed. */
int background_fork(void);
/* 1 in a child that has not reported yet. */
int background_pending(void);
/* The child is authenticated and its forwardings are set up: let the parent exit, detach from
 * the terminal's session, stdin from /dev/null. */
void background_ready(void);

#endif
