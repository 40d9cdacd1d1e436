/* tests/fixture.h: the shared test sandbox (tests/fixture/README.md) in C. */
#ifndef EMBARGO_TEST_FIXTURE_H
#define EMBARGO_TEST_FIXTURE_H

#include <stddef.h>

/*
 * A sandbox built by tests/fixture/mksandbox in a fresh /tmp/emb.XXXXXX.
 * Every path is absolute and owned by the fixture (freed by fixture_free).
 */
struct fixture {
	char *dir;            /* DIR */
	char *env_file;       /* DIR/env */
	char *config;         /* DIR/config, the embargo config */
	char *maildir;        /* DIR/mail, the notmuch database path */
	char *gnupghome;      /* DIR/gnupg, the team's GnuPG home */
	char *notmuch_config; /* DIR/notmuch-config */
	char *store;          /* DIR/cases.db */
	char *outbox;         /* DIR/outbox, where DIR/bin/sendmail saves */
	char *bin_sendmail;   /* DIR/bin/sendmail */
	char *gnupghome_reporters; /* DIR/gnupg-reporters */
};

/*
 * Builds a sandbox (running $top_srcdir/tests/fixture/mksandbox, or the copy
 * beside this source file when top_srcdir is unset) and points the process
 * environment at it exactly as DIR/env does (HOME, XDG_*, GNUPGHOME,
 * NOTMUCH_CONFIG, EMBARGO_CONFIG, EMAIL), plus EMBARGO_NOW=FIXTURE_NOW; it
 * unsets NOTMUCH_DATABASE and NOTMUCH_PROFILE.  Returns NULL and says why on
 * stderr on failure.  Free with fixture_free().
 */
struct fixture *fixture_new(void);

/* The fixture's "now", exported as EMBARGO_NOW by fixture_new(). */
#define FIXTURE_NOW "2026-11-22T12:00:00Z"

/*
 * Stops the gpg-agents of both GnuPG homes, removes DIR and frees FX
 * (NULL is fine).  The environment still names the removed paths.
 */
void fixture_free(struct fixture *fx);

/* DIR/REL, newly allocated (g_free). */
char *fixture_path(const struct fixture *fx, const char *rel);

/*
 * The fingerprint (40 upper-case hex digits) of key NAME: team, alice, bob,
 * rita, mallory or ghost.  Newly allocated (g_free); NULL if unknown.
 */
char *fixture_fpr(const struct fixture *fx, const char *name);

/*
 * Delivers TEXT (a raw message) as DIR/mail/FOLDER/new/NAME, creating the
 * maildir FOLDER if needed.  Run fixture_notmuch(fx, "new") to index it.
 * Returns 0, or -1 with a message on stderr.
 */
int fixture_add_message(struct fixture *fx, const char *folder,
                        const char *name, const char *text);

/*
 * Runs "notmuch --config=DIR/notmuch-config ARGS" through /bin/sh, discarding
 * its stdout (stderr is shown only if it fails).  Returns its exit status, or
 * -1 if it could not be run or was killed.
 */
int fixture_notmuch(struct fixture *fx, const char *args);

/*
 * Runs CMDLINE with /bin/sh -c in the current environment.  Sets *OUT to its
 * stdout (g_free; OUT may be NULL to discard it) and *STATUS to its exit
 * status (128 + N if killed by signal N).  Its stderr is inherited: add
 * "2>&1" to capture it.  Returns 0 if it ran, -1 (message on stderr) if not.
 */
int fixture_run(const char *cmdline, char **out, int *status);

/*
 * The contents of PATH (g_free), NUL-terminated; *LEN (if LEN is not NULL)
 * is its size.  NULL with a message on stderr if it cannot be read.
 */
char *fixture_read_file(const char *path, size_t *len);

#endif
