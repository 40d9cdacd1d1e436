/* core/app.h: one embargo session: config, clock, store, mail and crypto, opened together. */
#ifndef EMBARGO_APP_H
#define EMBARGO_APP_H

#include <stdbool.h>
#include <time.h>

#include <glib.h>

#include "core/config.h"
#include "core/error.h"
#include "core/mail.h"
#include "core/mime.h"
#include "core/policy.h"
#include "core/store.h"

#include "core/crypto.h"
struct sync;
struct app_crypto_pool;

/*
 * Everything a command or the TUI works with, passed down explicitly (no
 * globals).  The CLI and the TUI open it the same way.
 */
struct app {
	struct config *cfg;
	struct store *st;
	struct mail *mail;     /* NULL until app_open_mail */
	struct crypto *crypto; /* NULL until app_open_crypto */
	crypto_passphrase_fn pass_cb; /* asks for passphrases (loopback pinentry); NULL: gpg-agent's pinentry */
	void *pass_arg;
	time_t now;            /* the clock, read once at open and by app_tick */
	GPtrArray *warnings;   /* char *: config warnings and similar, for the front end to show */
	struct sync *sync;     /* team sync (core/sync.h); NULL with [team] sync = off */
	int crypto_threads;    /* app_set_crypto_threads; 0: the default */
	struct app_crypto_pool *crypto_pool; /* core/app.c's own: app_thread's worker contexts */
};

/* Loads the config (CONFIG_PATH from --config, may be NULL), reads the clock, opens the store. */
int app_open(const char *config_path, struct app **out, struct error *err);
void app_close(struct app *app);

/* Re-reads the clock (EMBARGO_NOW or the real time). */
int app_tick(struct app *app, struct error *err);

/*
 * Opens notmuch and brings the store's cases up to date with the mail
 * (incremental); with [team] sync = mail, then imports new event mails and
 * retries event mails not sent yet (core/sync.h; problems are warnings).
 */
int app_refresh(struct app *app, struct error *err);

/* Opens the gpgme context (lazily: only commands that decrypt need it). */
int app_open_crypto(struct app *app, struct error *err);

/*
 * Makes passphrase requests go to FN (the interface's own masked prompt, for
 * SSH sessions without a pinentry window).  Call before app_open_crypto.
 */
void app_set_passphrase_fn(struct app *app, crypto_passphrase_fn fn, void *arg);

/*
 * How many threads app_thread uses to decrypt and verify a thread's
 * messages: 1 reads them all on the calling thread, 0 (the default)
 * threads_max() (core/threads.h); at most THREADS_LIMIT, and at most
 * EMBARGO_THREADS when that is set.
 */
void app_set_crypto_threads(struct app *app, int n);

/* A case as the front ends show it: the store's record and its deadlines now. */
struct case_view {
	struct store_case *sc;
	struct case_deadlines dl;
};
void case_view_free(struct case_view *cv);

/*
 * The cases with mail facts (the threads that match the query), with their
 * deadlines, sorted most urgent first.  ALL includes closed, rejected and
 * published cases.  GPtrArray of struct case_view * (owning).
 */
int app_cases(struct app *app, bool all, GPtrArray **out, struct error *err);

/* One case by what the user typed (id, ref, thread:ID). */
int app_case(struct app *app, const char *key, struct case_view **out,
    struct error *err);

/* One message of a case's thread, read, decrypted and judged. */
struct thread_message {
	struct mail_message *mm;
	struct message_view *mv; /* NULL when the file could not be read */
	char *error;             /* why mv is NULL */
	char *warning;           /* other files with this Message-ID differ (untrusted paths), or NULL */
	bool from_team;          /* From is the team address or a handler */
	bool team_verified;      /* from_team and it met the team_reply = verified rule (core/verify.h) */
	bool pinned;             /* signed by the key first seen for this From address in the case */
};
void thread_message_free(struct thread_message *tm);

/*
 * Every message of the case's thread, oldest first (GPtrArray of struct
 * thread_message *).  Messages notmuch tagged encrypted or signed are read
 * on several threads (app_set_crypto_threads), after the first encrypted
 * one alone (its passphrase, if any, is then in gpg-agent); the passphrase
 * function may be called from any of them, but never on two at once.
 */
int app_thread(struct app *app, const struct case_view *cv, GPtrArray **out,
    struct error *err);

#endif
