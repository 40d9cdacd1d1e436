/* core/threads.h: how many threads core may use to read mail. */
#ifndef EMBARGO_CORE_THREADS_H
#define EMBARGO_CORE_THREADS_H

/*
 * Reading mail uses a few threads: app_thread decrypts and verifies on
 * several (each waits on its own gpg process), and a full refresh walks
 * the matching threads from both ends on two (core/mail.c).
 *
 * threads_max() is the most threads (the calling one included) core uses
 * for one such job: EMBARGO_THREADS when it is set to a number from 1 to
 * THREADS_LIMIT (1: everything on the calling thread), else one per
 * processor, at most THREADS_DEFAULT_MAX.  A value out of range is ignored.
 * threads_env() is EMBARGO_THREADS alone, 0 when unset or out of range.
 */
#define THREADS_DEFAULT_MAX 4
#define THREADS_LIMIT 8

unsigned int threads_env(void);
unsigned int threads_max(void);

#endif
