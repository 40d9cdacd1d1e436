/* core/store.h: the SQLite case store: cases, the event log, folded fields, cached mail facts. */
#ifndef EMBARGO_STORE_H
#define EMBARGO_STORE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <glib.h>

#include "core/error.h"
#include "core/facts.h"

struct store;

/* The newest schema version (PRAGMA user_version) this build writes. */
#define STORE_SCHEMA_VERSION 4

/*
 * Opens (creating when absent, with its directory, mode 0600) and migrates
 * the store at PATH.  WAL, synchronous=FULL, foreign keys on, a 10 s busy
 * timeout so concurrent handlers wait rather than fail.  A store from a
 * newer embargo is refused.  Never carry an open store across fork().
 */
int store_open(const char *path, struct store **out, struct error *err);
void store_close(struct store *st);

/* PRAGMA data_version: changes when another connection commits. */
int store_data_version(struct store *st, int64_t *version, struct error *err);

/*
 * An event: the audit log's unit; never updated or deleted.  A field event
 * (event_kind_folds) sets FIELD to VALUE; for most kinds the field is the
 * kind's name, for "check" it is "check:<item>".  VALUE NULL or "" clears it.
 * PREV is the value the author saw before (for "from -> to"), may be NULL.
 */
struct store_event {
	char uuid[37];   /* lower-case RFC 4122/9562 text form */
	int64_t case_id;
	char *author;
	time_t at;
	char *kind;
	char *field;     /* NULL for non-field events */
	char *value;
	char *prev;
};

/* Frees EV and its strings (events from store_events, allocated with g_new0). */
void store_event_free(struct store_event *ev);

/*
 * Fills UUID with a new time-ordered (v7) UUID: ones made later sort later,
 * so events of equal time made one after the other fold in that order.
 */
void store_uuid_new(char uuid[37]);

/*
 * A case and its folded fields.  Field values are the fold of its events:
 * the event with the greatest (at, uuid) wins.
 */
struct store_case {
	int64_t id;
	char *msgid;   /* Message-ID of the report, without <> */
	char *ref;     /* short stable name derived from msgid, e.g. "K7Q2M" */
	char *thread;  /* last known notmuch thread id */
	time_t created;
	GHashTable *fields;   /* field name -> struct store_field *; set fields only */
	struct mail_facts facts;
	bool has_facts;
};

struct store_field {
	char *value;
	time_t at;       /* time of the winning event */
	char uuid[37];
	char *author;
};

void store_case_free(struct store_case *c);

/* The folded value of FIELD, or NULL when unset. */
const char *store_case_field(const struct store_case *c, const char *field);
/* The winning event's time for FIELD, or 0 when unset. */
time_t store_case_field_at(const struct store_case *c, const char *field);

/*
 * The short reference for a Message-ID (with or without <>): the first 25
 * bits of its SHA-256 as 5 Crockford base32 characters.
 */
void store_ref_from_msgid(const char *msgid, char ref[8]);

/*
 * Finds the case for MSGID (with or without <>) or creates it (appending a
 * "created" event by AUTHOR at NOW); records THREAD as its notmuch thread id
 * (NULL keeps the one known).  *CREATED tells which happened (may be NULL).
 * When another case of this store already has the 5-character ref (two
 * Message-IDs sharing 25 bits), the later case gets 6, 7... characters of
 * its hash, so refs stay unique and the earlier case's never changes.
 */
int store_case_ensure(struct store *st, const char *msgid, const char *thread,
    const char *author, time_t now, int64_t *id, bool *created,
    struct error *err);

/*
 * Resolves what a user typed for a case: its id ("7"), its ref ("K7Q2M",
 * any case, O for 0 and I or L for 1 accepted), or "thread:<id>".  Digits
 * are an id when such a case exists, else tried as a ref (refs can be all
 * digits); digits with a leading 0 are only a ref.  Unknown: an error
 * naming KEY.
 */
int store_case_resolve(struct store *st, const char *key, int64_t *id,
    struct error *err);

/* Loads one case with its fields and cached facts (store_case_free). */
int store_case_get(struct store *st, int64_t id, struct store_case **out,
    struct error *err);

/* Loads every case (GPtrArray of struct store_case *, owning them). */
int store_case_list(struct store *st, GPtrArray **out, struct error *err);

/* Loads the cases whose thread is one of THREADS[0..N), as store_case_list. */
int store_case_list_threads(struct store *st, const char *const *threads,
    size_t n, GPtrArray **out, struct error *err);

/*
 * Appends EV (its uuid filled by the caller, or generated into EV->uuid when
 * empty; lower-cased) and folds it.  EV->field may be NULL for a field
 * kind: it is then the kind's name ("check" needs "check:<item>"); kinds
 * that do not fold take no field.  VALUE NULL or "" clears the field.  An
 * event older than the folded value by (at, uuid) is recorded but does not
 * change the field, even when the compare-and-set passed.  When EXPECT_CHECK is true the append is a compare-and-set in one
 * write transaction: it happens only if FIELD's folded value equals EXPECT
 * (NULL = unset); otherwise nothing is written, *CURRENT (when not NULL)
 * gets a copy of the value that is there, and the return is 1.
 * An event whose uuid is already stored is ignored (returns 0): importing
 * the same event twice is harmless.
 */
int store_append_event(struct store *st, struct store_event *ev,
    bool expect_check, const char *expect, char **current, struct error *err);

/* Every event of a case in fold order ((at, uuid) ascending); GPtrArray of struct store_event *. */
int store_events(struct store *st, int64_t case_id, GPtrArray **out,
    struct error *err);

/* Replaces the cached mail facts of a case. */
int store_facts_put(struct store *st, int64_t case_id,
    const struct mail_facts *f, struct error *err);

/* Drops the cached facts of a case whose thread no longer matches (it stays a case). */
int store_facts_delete(struct store *st, int64_t case_id, struct error *err);

/*
 * What core/mail read from one message file, cached so that a file is read
 * once in the store's life rather than at each refresh of its thread.  Keyed
 * by PATH (a 64-bit hash of it, store_msgfile_key); STAMP (the file's inode,
 * size and modification time, as core/mail formats them) and MSGID say
 * whether a row still describes the file: the reader compares them and reads
 * the file again when either differs.  Header values are raw (unfolded)
 * text, NULL when absent: untrusted.
 */
struct store_msgfile {
	char *path;
	char *msgid;
	char *stamp;
	char *from, *to, *cc, *reply_to;
	char *auth;        /* Authentication-Results values, '\n'-separated, topmost first */
	bool event;        /* has an X-Embargo-Event header */
	bool inline_pgp;   /* its body holds an armoured PGP message */
};
void store_msgfile_clear(struct store_msgfile *f); /* frees the strings */

/* The key of PATH's row. */
int64_t store_msgfile_key(const char *path);

/* The row of PATH into *OUT (store_msgfile_clear): 1 found, 0 none, -1 error. */
int store_msgfile_get(struct store *st, const char *path,
    struct store_msgfile *out, struct error *err);

/* Whether the cache holds any row. */
int store_msgfile_any(struct store *st, bool *any, struct error *err);

/* Inserts or replaces the row of f->path. */
int store_msgfile_put(struct store *st, const struct store_msgfile *f,
    struct error *err);

/*
 * Deletes every row for which KEEP(ARG, KEY) is false (KEEP NULL: every
 * row).  *DELETED (may be NULL) counts them.
 */
int store_msgfile_prune(struct store *st, bool (*keep)(void *arg, int64_t key),
    void *arg, int *deleted, struct error *err);

/*
 * Small key/value table for bookkeeping (notmuch revision, uuid).  *VALUE
 * NULL when absent (g_free); setting VALUE NULL removes KEY.
 */
int store_meta_get(struct store *st, const char *key, char **value,
    struct error *err);
int store_meta_set(struct store *st, const char *key, const char *value,
    struct error *err);

/*
 * Called once after each commit that stored at least one new event (an
 * append on its own, or the outermost store_commit of a transaction that
 * appended; not for duplicates or refused compare-and-sets), outside any
 * transaction, so FN may use the store; appends FN makes do not call it
 * again.  Team sync uses it to mail local events (core/sync.c).  FN NULL
 * removes the hook.
 */
typedef void (*store_event_hook_fn)(void *arg, struct store *st);
void store_set_event_hook(struct store *st, store_event_hook_fn fn, void *arg);

/*
 * Groups several writes into one transaction (BEGIN IMMEDIATE ... COMMIT;
 * nested calls are savepoints).  The store functions that write join it.
 * Bulk writers should use it: each commit outside one is an fsync.
 */
int store_begin(struct store *st, struct error *err);
int store_commit(struct store *st, struct error *err);
void store_rollback(struct store *st);

#endif
