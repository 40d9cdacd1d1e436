/* core/mail.h: the notmuch side: which threads are cases, what their mail says, refresh. */
#ifndef EMBARGO_MAIL_H
#define EMBARGO_MAIL_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <glib.h>

#include "core/config.h"
#include "core/error.h"
#include "core/facts.h"
#include "core/store.h"

struct mail;

/*
 * Opens the notmuch database read-only (cfg->database, else notmuch's own
 * lookup through $NOTMUCH_CONFIG).  The handle is a snapshot; mail_reopen
 * moves it to the newest revision.
 */
int mail_open(const struct config *cfg, struct mail **out, struct error *err);
void mail_close(struct mail *m);
int mail_reopen(struct mail *m, struct error *err);

/* The mail root directory (for indexing files, the sent folder). */
const char *mail_root(struct mail *m);

/*
 * Brings the store's cases up to date with the database: every thread that
 * matches cfg->query becomes a case (created on first sight) and gets its
 * facts recomputed.  Incremental: only threads with messages changed since
 * the revision recorded in the store are revisited; a changed database uuid,
 * or FULL, rescans everything.  *CHANGED (may be NULL) counts cases updated.
 */
int mail_refresh(struct mail *m, struct store *st, const struct config *cfg,
    bool full, time_t now, int *changed, struct error *err);

/* Derives the facts of one thread (exposed for tests and the benchmark). */
int mail_thread_facts(struct mail *m, const struct config *cfg,
    const char *thread_id, struct mail_facts *out, struct error *err);

/* One message of a thread, in date order, with what notmuch knows of it. */
struct mail_message {
	char *msgid;
	char *path;       /* first file name */
	time_t date;
	char **tags;      /* NULL-terminated */
};
void mail_message_free(struct mail_message *mm);

/* The messages of THREAD_ID, oldest first (GPtrArray of struct mail_message *). */
int mail_thread_messages(struct mail *m, const char *thread_id,
    GPtrArray **out, struct error *err);

/* The thread ids matching QUERY AND cfg->query (for `/` in the TUI). GPtrArray of char *. */
int mail_search_threads(struct mail *m, const struct config *cfg,
    const char *query, GPtrArray **out, struct error *err);

/* notmuch's current revision (for live refresh polling). */
int mail_revision(struct mail *m, uint64_t *rev, struct error *err);

/*
 * Indexes the message file PATH (already delivered under the mail root) with
 * TAGS added, opening the database read-write briefly and retrying with
 * backoff for up to TIMEOUT_MS while another writer holds the lock.
 */
int mail_index_file(const struct config *cfg, const char *path,
    const char *const *tags, int timeout_ms, struct error *err);

#endif
