/* core/mail.h: the notmuch side: which threads are cases, what their mail says, refresh. */
#ifndef EMBARGO_MAIL_H
#define EMBARGO_MAIL_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <glib.h>

#include "core/addr.h"
#include "core/config.h"
#include "core/error.h"
#include "core/facts.h"
#include "core/store.h"

struct mail;

/*
 * Opens the notmuch database read-only (cfg->database, else notmuch's own
 * lookup through $NOTMUCH_CONFIG).  The handle is a snapshot; mail_reopen
 * moves it to the newest revision.  Every query made through it leaves out
 * messages carrying notmuch's search.exclude_tags.
 */
int mail_open(const struct config *cfg, struct mail **out, struct error *err);
void mail_close(struct mail *m);
int mail_reopen(struct mail *m, struct error *err);

/*
 * True when notmuch's index.decrypt makes it put decrypted text into its
 * index ("true" or "nostash"): embargo warns, since embargoed plaintext
 * would then rest on disk.
 */
bool mail_indexes_cleartext(struct mail *m);

/* The mail root directory (for indexing files, the sent folder). */
const char *mail_root(struct mail *m);

/*
 * Brings the store's cases up to date with the database: every thread that
 * matches cfg->query becomes a case (created on first sight) and gets its
 * facts recomputed; a case whose thread no longer matches loses its facts
 * (it stays in the store).  Incremental: only threads with messages changed
 * since the revision recorded in the store are revisited, plus threads that
 * lost messages (found by recounting); a changed database uuid, a changed
 * query, exclude tags, team, lists or team_reply settings, or FULL, rescans
 * everything.  All writes are one store transaction.  When nothing was committed to notmuch
 * since the last refresh it returns at once without writing (cheap enough
 * to poll).  *CHANGED (may be NULL) counts cases whose cached facts were
 * written or dropped.  Sees the handle's snapshot: call mail_reopen first.
 */
int mail_refresh(struct mail *m, struct store *st, const struct config *cfg,
    bool full, time_t now, int *changed, struct error *err);

/*
 * What the last mail_refresh that found changes did: rescanned everything
 * (FULL), or revisited the changed threads, FOLDED forward from their
 * stored facts (only their new messages read) or WALKED (every message
 * read).  For tests and the benchmark.
 */
struct mail_refresh_stats {
	bool full;
	unsigned int walks;     /* a full rescan: 2 when two threads shared it */
	unsigned int folded;
	unsigned int walked;
};
void mail_refresh_stats(struct mail *m, struct mail_refresh_stats *out);

/*
 * The facts count a message From the team address or a handler as a team
 * reply (first_team_reply_at and the rest) only when it meets cfg->team_reply:
 * always with "any"; with "verified", the rule of core/verify.h
 * (verify_team_reply), the same one `show` applies to each message.  Under
 * "verified" the signatures of a team message are read (and an encrypted one
 * decrypted, never asking for a passphrase) only when neither the sent
 * folder nor DKIM settles it, and only in threads a refresh revisits.  A
 * change in gpg's trust in a handler's key is seen when the thread's mail
 * next changes, or on a full rescan.
 *
 * The header that marks a handler's event mail (core/sync.c).  Such a mail
 * from the team or a handler counts in the thread's message_count and is
 * otherwise left out of its facts: it is no team reply and no report.
 */
#define MAIL_EVENT_HEADER "X-Embargo-Event"

/*
 * Derives the facts of one thread (exposed for tests and the benchmark).
 * A thread holding only event mails gets report_msgid NULL: it is no case.
 */
int mail_thread_facts(struct mail *m, const struct config *cfg,
    const char *thread_id, struct mail_facts *out, struct error *err);

/*
 * One message of a thread, in date order, with what notmuch knows of it.
 * notmuch keeps every file with one Message-ID as one message: PATHS holds
 * them all.  PATH, the one shown (and the one the facts read), is the copy
 * delivered first: the oldest modification time (a tie keeps notmuch's
 * order), since a later file reusing a Message-ID is the likelier impostor.
 * Copies that differ (mail_files_same) are for the front end to warn about
 * (app_thread does).  The facts read From, To, Cc and Reply-To from PATH
 * too; DATE and the subject are notmuch's, taken from the copy it indexed
 * first, which is normally also the first delivered.
 */
struct mail_message {
	char *msgid;
	char *path;       /* the file shown, also paths[0] */
	char **paths;     /* every file of the message, PATH first (NULL-terminated) */
	time_t date;
	char **tags;      /* NULL-terminated */
};
void mail_message_free(struct mail_message *mm);

/* The messages of THREAD_ID, oldest first (GPtrArray of struct mail_message *). */
int mail_thread_messages(struct mail *m, const char *thread_id,
    GPtrArray **out, struct error *err);

/*
 * The messages matching QUERY (notmuch syntax, "" for all; exclude tags not
 * applied: the caller judges each message) added or changed after revision
 * SINCE of the database whose uuid is UUID; every message matching QUERY
 * when UUID is NULL or names another database (rebuilt).  GPtrArray of
 * struct mail_message *, oldest first.  *NEW_UUID (g_free) and *REV name
 * the snapshot read, to pass back next time.
 */
int mail_messages_changed(struct mail *m, const char *query, const char *uuid,
    uint64_t since, GPtrArray **out, char **new_uuid, uint64_t *rev,
    struct error *err);

/*
 * Whether the message files A and B hold the same message: identical but
 * for the trace headers servers add on the way (Received, Return-Path,
 * Delivered-To, X-Original-To, Envelope-To, Authentication-Results,
 * Received-SPF, ARC-*, X-Spam-*), as two deliveries of one message are.
 * Every other header (in order, white space at its ends ignored) and the
 * body byte for byte must match.  Returns 1 when they do, 0 when not, -1
 * when a file cannot be read (ERR names it).
 */
int mail_files_same(const char *a, const char *b, struct error *err);

/*
 * The MAIL_EVENT_HEADER of the message file PATH, trimmed (untrusted text),
 * read without a MIME parser; NULL when absent or the file cannot be read
 * (g_free).
 */
char *mail_file_event_header(const char *path);

/*
 * The thread ids matching QUERY AND cfg->query, newest first (for `/` in the
 * TUI).  GPtrArray of char *.  A QUERY with unbalanced parentheses is refused.
 */
int mail_search_threads(struct mail *m, const struct config *cfg,
    const char *query, GPtrArray **out, struct error *err);

/*
 * notmuch's current revision (for live refresh polling).  Reopens the
 * handle first, so a following mail_refresh sees what the revision counts.
 * Removing a message does not always bump it: to notice everything, poll
 * with mail_reopen + mail_refresh, whose no-change path is as cheap.
 */
int mail_revision(struct mail *m, uint64_t *rev, struct error *err);

/*
 * Indexes the message file PATH (already delivered under the mail root) with
 * TAGS added, opening the database read-write briefly in a child process.
 * While another writer holds the lock the child waits; after TIMEOUT_MS the
 * call returns an error saying so, and the child indexes the file as soon as
 * the lock is free (the file is also picked up by the next `notmuch new`).
 */
int mail_index_file(const struct config *cfg, const char *path,
    const char *const *tags, int timeout_ms, struct error *err);

#endif
