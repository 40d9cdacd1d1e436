/* core/store.c: the SQLite case store: cases, the append-only event log, folded fields, cached mail facts. */
#include "build-config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <sqlite3.h>

#include "core/domain.h"
#include "core/store.h"
#include "core/store-private.h"

/*
 * Durability: synchronous=FULL.  In WAL mode NORMAL already survives a
 * crash or kill -9 of the process; FULL also survives power loss and OS
 * crashes, at the price of one fsync of the WAL per commit.  An event is an
 * audit record that may be tied to a mail already sent, so losing the last
 * few on a power cut is worse than a millisecond per interactive change.
 * Bulk writers (the mail refresh) group their writes with store_begin.
 */
#define STORE_SYNCHRONOUS "FULL"

/* The page cache of a connection, in KiB (PRAGMA cache_size). */
#define STORE_CACHE_KB 16384

/* How long a connection waits for another one's write lock before failing. */
#define STORE_BUSY_TIMEOUT_MS 10000

/* Refs are 5 characters; a collision in one store extends the later one. */
#define REF_LEN 5
#define REF_MAX_LEN 51 /* 256 bits of SHA-256 in 5-bit characters */

static const char crockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/*
 * Forward migrations: step i brings user_version i to i + 1.  These are
 * history: never edit a step once released, append a new one (and bump
 * STORE_SCHEMA_VERSION).  Step 0 creates the first schema.
 */
static const char *const migrations[] = {
	/* 0 -> 1 */
	"CREATE TABLE cases ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  msgid TEXT UNIQUE NOT NULL,"
	"  ref TEXT UNIQUE NOT NULL,"
	"  thread TEXT,"
	"  created INTEGER NOT NULL);"
	"CREATE INDEX cases_thread ON cases(thread);"
	"CREATE TABLE events ("
	"  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  uuid TEXT UNIQUE NOT NULL,"
	"  case_id INTEGER NOT NULL REFERENCES cases(id),"
	"  author TEXT NOT NULL,"
	"  at INTEGER NOT NULL,"
	"  kind TEXT NOT NULL,"
	"  field TEXT,"
	"  value TEXT,"
	"  prev TEXT);"
	"CREATE INDEX events_case ON events(case_id, at, uuid);"
	"CREATE INDEX events_at ON events(at);"
	"CREATE TRIGGER events_no_update BEFORE UPDATE ON events"
	"  BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;"
	"CREATE TRIGGER events_no_delete BEFORE DELETE ON events"
	"  BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;"
	"CREATE TABLE fields ("
	"  case_id INTEGER NOT NULL REFERENCES cases(id),"
	"  field TEXT NOT NULL,"
	"  value TEXT,"
	"  at INTEGER NOT NULL,"
	"  uuid TEXT NOT NULL,"
	"  author TEXT,"
	"  PRIMARY KEY (case_id, field)) WITHOUT ROWID;"
	"CREATE TABLE facts ("
	"  case_id INTEGER PRIMARY KEY REFERENCES cases(id),"
	"  thread TEXT,"
	"  report_msgid TEXT,"
	"  subject TEXT,"
	"  reporter_name TEXT,"
	"  reporter_addr TEXT,"
	"  reply_to TEXT,"
	"  report_at INTEGER,"
	"  first_team_reply_at INTEGER,"
	"  second_team_reply_at INTEGER,"
	"  last_team_to_reporter_at INTEGER,"
	"  last_reporter_at INTEGER,"
	"  last_message_at INTEGER,"
	"  message_count INTEGER,"
	"  encrypted INTEGER,"
	"  reporter_encrypted INTEGER,"
	"  distros_mail_at INTEGER,"
	"  oss_mail_at INTEGER);"
	"CREATE TABLE meta ("
	"  key TEXT PRIMARY KEY,"
	"  value TEXT);"
	/* Drafts of replies: OpenPGP ciphertext to the team key, never plaintext (core/draft.c). */
	"CREATE TABLE drafts ("
	"  case_id INTEGER NOT NULL REFERENCES cases(id),"
	"  author TEXT NOT NULL,"
	"  updated INTEGER NOT NULL,"
	"  data BLOB NOT NULL,"
	"  PRIMARY KEY (case_id, author));"
	/* Which deadline urgencies `due --notify` has already announced (core/oncall.c). */
	"CREATE TABLE notifications ("
	"  case_id INTEGER NOT NULL REFERENCES cases(id),"
	"  kind TEXT NOT NULL,"
	"  due INTEGER NOT NULL,"
	"  urgency TEXT NOT NULL,"
	"  sent_at INTEGER NOT NULL,"
	"  PRIMARY KEY (case_id, kind, due, urgency));",
	/* 1 -> 2: which events team sync has mailed or imported (core/sync.c). */
	"CREATE TABLE sync_events ("
	"  uuid TEXT PRIMARY KEY,"
	"  how TEXT NOT NULL,"
	"  msgid TEXT,"
	"  at INTEGER NOT NULL) WITHOUT ROWID;",
	/* 2 -> 3: what core/mail read from each message file (struct store_msgfile). */
	/*
	 * Rows go in in the order files are read (a rowid table appends); the
	 * path hashes are random, so only the small index takes them in that
	 * order, not the wide rows.
	 */
	"CREATE TABLE msgfiles ("
	"  key INTEGER NOT NULL,"
	"  msgid TEXT NOT NULL,"
	"  stamp TEXT NOT NULL,"
	"  hdr_from TEXT,"
	"  hdr_to TEXT,"
	"  hdr_cc TEXT,"
	"  hdr_reply_to TEXT,"
	"  auth TEXT,"
	"  flags INTEGER NOT NULL);"
	"CREATE UNIQUE INDEX msgfiles_key ON msgfiles(key);",
	/* 3 -> 4: the facts' fold state (struct mail_facts); core/mail rescans to fill it. */
	"ALTER TABLE facts ADD COLUMN has_reporter INTEGER;"
	"ALTER TABLE facts ADD COLUMN team_to_reporter INTEGER;",
};

_Static_assert(sizeof migrations / sizeof migrations[0] ==
    STORE_SCHEMA_VERSION, "one migration step per schema version");

/*
 * Every member of struct mail_facts, with its column type.  The statements
 * reading and writing facts are generated from this list; a member added
 * here needs a migration adding its column.
 */
#define FACT_COLUMNS(X)                                                 \
	X(thread, STR)                                                  \
	X(report_msgid, STR)                                            \
	X(subject, STR)                                                 \
	X(reporter_name, STR)                                           \
	X(reporter_addr, STR)                                           \
	X(reply_to, STR)                                                \
	X(report_at, TIME)                                              \
	X(first_team_reply_at, TIME)                                    \
	X(second_team_reply_at, TIME)                                   \
	X(last_team_to_reporter_at, TIME)                               \
	X(last_reporter_at, TIME)                                       \
	X(last_message_at, TIME)                                        \
	X(message_count, INT)                                           \
	X(encrypted, BOOL)                                              \
	X(reporter_encrypted, BOOL)                                     \
	X(distros_mail_at, TIME)                                        \
	X(oss_mail_at, TIME)                                            \
	X(has_reporter, BOOL)                                           \
	X(team_to_reporter, INT)

#define FACT_NAME(n, t) ", " #n
#define FACT_PARAM(n, t) ", ?"
#define FACT_SET(n, t) ", " #n " = excluded." #n

/* The cached statements, prepared on first use. */
enum query {
	Q_CASE_BY_MSGID,
	Q_CASE_SET_THREAD,
	Q_REF_TAKEN,
	Q_CASE_INSERT,
	Q_CASE_EXISTS,
	Q_CASE_BY_THREAD,
	Q_CASE_BY_REF,
	Q_CASE_GET,
	Q_CASE_ALL,
	Q_FIELDS_OF,
	Q_FIELDS_ALL,
	Q_FACTS_OF,
	Q_FACTS_ALL,
	Q_FIELD_VALUE,
	Q_EVENT_EXISTS,
	Q_EVENT_INSERT,
	Q_FOLD,
	Q_EVENTS_OF,
	Q_FACTS_PUT,
	Q_FACTS_DELETE,
	Q_META_GET,
	Q_META_SET,
	Q_META_DELETE,
	Q_DATA_VERSION,
	Q_MSGFILE_GET,
	Q_MSGFILE_PUT,
	Q_MSGFILE_PATHS,
	Q_MSGFILE_DELETE,
	Q_MSGFILE_ANY,
	Q_CASES_OF_THREAD,
	Q_SAVEPOINT,
	Q_RELEASE,
	Q__COUNT
};

static const char *const queries[Q__COUNT] = {
	[Q_CASE_BY_MSGID] = "SELECT id, thread FROM cases WHERE msgid = ?",
	[Q_CASE_SET_THREAD] = "UPDATE cases SET thread = ? WHERE id = ?",
	[Q_REF_TAKEN] = "SELECT 1 FROM cases WHERE ref = ?",
	[Q_CASE_INSERT] =
	    "INSERT INTO cases (msgid, ref, thread, created) VALUES (?, ?, ?, ?)",
	[Q_CASE_EXISTS] = "SELECT 1 FROM cases WHERE id = ?",
	[Q_CASE_BY_THREAD] =
	    "SELECT id FROM cases WHERE thread = ? ORDER BY id LIMIT 1",
	[Q_CASE_BY_REF] = "SELECT id FROM cases WHERE ref = ?",
	[Q_CASE_GET] =
	    "SELECT id, msgid, ref, thread, created FROM cases WHERE id = ?",
	[Q_CASE_ALL] =
	    "SELECT id, msgid, ref, thread, created FROM cases ORDER BY id",
	[Q_FIELDS_OF] = "SELECT case_id, field, value, at, uuid, author"
			" FROM fields WHERE case_id = ?",
	[Q_FIELDS_ALL] = "SELECT case_id, field, value, at, uuid, author"
			 " FROM fields",
	[Q_FACTS_OF] = "SELECT case_id" FACT_COLUMNS(FACT_NAME)
	    " FROM facts WHERE case_id = ?",
	[Q_FACTS_ALL] = "SELECT case_id" FACT_COLUMNS(FACT_NAME) " FROM facts",
	[Q_FIELD_VALUE] =
	    "SELECT value FROM fields WHERE case_id = ? AND field = ?",
	[Q_EVENT_EXISTS] = "SELECT 1 FROM events WHERE uuid = ?",
	[Q_EVENT_INSERT] = "INSERT INTO events"
			   " (uuid, case_id, author, at, kind, field, value, prev)"
			   " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
	/* The fold: the greatest (at, uuid) wins, whatever the arrival order. */
	[Q_FOLD] = "INSERT INTO fields (case_id, field, value, at, uuid, author)"
		   " VALUES (?, ?, ?, ?, ?, ?)"
		   " ON CONFLICT (case_id, field) DO UPDATE SET"
		   " value = excluded.value, at = excluded.at,"
		   " uuid = excluded.uuid, author = excluded.author"
		   " WHERE (excluded.at, excluded.uuid) > (fields.at, fields.uuid)",
	[Q_EVENTS_OF] =
	    "SELECT uuid, case_id, author, at, kind, field, value, prev"
	    " FROM events WHERE case_id = ? ORDER BY at, uuid",
	[Q_FACTS_PUT] = "INSERT INTO facts (case_id" FACT_COLUMNS(FACT_NAME)
	    ") VALUES (?" FACT_COLUMNS(FACT_PARAM)
	    ") ON CONFLICT (case_id) DO UPDATE SET case_id = excluded.case_id"
	    FACT_COLUMNS(FACT_SET),
	[Q_FACTS_DELETE] = "DELETE FROM facts WHERE case_id = ?",
	[Q_META_GET] = "SELECT value FROM meta WHERE key = ?",
	[Q_META_SET] = "INSERT INTO meta (key, value) VALUES (?, ?)"
		       " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
	[Q_META_DELETE] = "DELETE FROM meta WHERE key = ?",
	[Q_DATA_VERSION] = "PRAGMA data_version",
	[Q_MSGFILE_GET] = "SELECT msgid, stamp, hdr_from, hdr_to, hdr_cc,"
			  " hdr_reply_to, auth, flags FROM msgfiles WHERE key = ?",
	[Q_MSGFILE_PUT] = "INSERT OR REPLACE INTO msgfiles (key, msgid, stamp,"
			  " hdr_from, hdr_to, hdr_cc, hdr_reply_to, auth, flags)"
			  " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
	[Q_MSGFILE_PATHS] = "SELECT key FROM msgfiles",
	[Q_MSGFILE_DELETE] = "DELETE FROM msgfiles WHERE key = ?",
	[Q_MSGFILE_ANY] = "SELECT EXISTS (SELECT 1 FROM msgfiles)",
	[Q_CASES_OF_THREAD] = "SELECT id FROM cases WHERE thread = ? ORDER BY id",
	/* Prepared once: a refresh opens one per case it creates. */
	[Q_SAVEPOINT] = "SAVEPOINT store_nested",
	[Q_RELEASE] = "RELEASE store_nested",
};

struct store {
	sqlite3 *db;
	char *path;
	int depth; /* store_begin nesting: 0 = no transaction */
	sqlite3_stmt *stmts[Q__COUNT];
	store_event_hook_fn hook;  /* store_set_event_hook */
	void *hook_arg;
	bool appended;             /* the open transaction stored a new event */
	bool in_hook;
};

static int
db_error(struct store *st, struct error *err, const char *what)
{
	return error_set(err, "%s: cannot %s: %s", st->path, what,
	    sqlite3_errmsg(st->db));
}

/* The cached statement for Q, ready to bind; give it back with done(). */
static sqlite3_stmt *
query(struct store *st, enum query q, const char *what, struct error *err)
{
	if (st->stmts[q] == NULL &&
	    sqlite3_prepare_v3(st->db, queries[q], -1, SQLITE_PREPARE_PERSISTENT,
		&st->stmts[q], NULL) != SQLITE_OK) {
		db_error(st, err, what);
		return NULL;
	}
	return st->stmts[q];
}

/* Resets a statement so it holds no read lock between uses. */
static void
done(sqlite3_stmt *s)
{
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
}

static void
bind_text(sqlite3_stmt *s, int i, const char *text)
{
	if (text == NULL)
		sqlite3_bind_null(s, i);
	else
		sqlite3_bind_text(s, i, text, -1, SQLITE_TRANSIENT);
}

static char *
column_strdup(sqlite3_stmt *s, int i)
{
	return g_strdup((const char *)sqlite3_column_text(s, i));
}

/* Runs a statement that returns no rows we need; 0 or -1 (error set). */
static int
step_done(struct store *st, sqlite3_stmt *s, const char *what,
    struct error *err)
{
	int rc = sqlite3_step(s);

	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		db_error(st, err, what);
		done(s);
		return -1;
	}
	done(s);
	return 0;
}

/* Steps a one-row lookup: 1 found (row left for the caller), 0 none, -1 error. */
static int
step_row(struct store *st, sqlite3_stmt *s, const char *what,
    struct error *err)
{
	int rc = sqlite3_step(s);

	if (rc == SQLITE_ROW)
		return 1;
	if (rc != SQLITE_DONE) {
		db_error(st, err, what);
		done(s);
		return -1;
	}
	done(s);
	return 0;
}

static int
exec(struct store *st, const char *sql, const char *what, struct error *err)
{
	if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return db_error(st, err, what);
	return 0;
}

/* Runs the cached statement Q, which returns no rows. */
static int
exec_cached(struct store *st, enum query q, const char *what, struct error *err)
{
	sqlite3_stmt *s = query(st, q, what, err);

	return s != NULL ? step_done(st, s, what, err) : -1;
}

/*
 * Transactions nest: the outermost level is BEGIN IMMEDIATE (so the write
 * lock is taken up front, the busy handler applies and no reader has to be
 * upgraded), inner levels are savepoints, so a function that writes can join
 * a transaction its caller opened with store_begin.
 */
static int
tx_begin(struct store *st, struct error *err)
{
	if (st->depth == 0) {
		if (exec(st, "BEGIN IMMEDIATE", "begin a transaction", err) != 0)
			return -1;
	} else if (exec_cached(st, Q_SAVEPOINT, "open a savepoint", err) != 0)
		return -1;
	st->depth++;
	return 0;
}

static void
tx_rollback(struct store *st)
{
	if (st->depth == 0)
		return;
	st->depth--;
	/* After some errors SQLite has already rolled everything back. */
	if (sqlite3_get_autocommit(st->db)) {
		st->depth = 0;
		st->appended = false;
		return;
	}
	if (st->depth == 0) {
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		st->appended = false;
	} else
		sqlite3_exec(st->db,
		    "ROLLBACK TO store_nested; RELEASE store_nested", NULL, NULL,
		    NULL);
}

static int
tx_commit(struct store *st, struct error *err)
{
	if (st->depth == 0)
		return error_set(err, "%s: commit without a transaction",
		    st->path);
	if (sqlite3_get_autocommit(st->db)) {
		st->depth = 0;
		return error_set(err, "%s: cannot commit: the transaction was "
		    "already rolled back after an error", st->path);
	}
	if (st->depth == 1) {
		if (exec(st, "COMMIT", "commit", err) != 0) {
			tx_rollback(st);
			return -1;
		}
	} else if (exec_cached(st, Q_RELEASE, "release a savepoint", err) != 0) {
		tx_rollback(st);
		return -1;
	}
	st->depth--;
	if (st->depth == 0 && st->appended) {
		st->appended = false;
		/* Outside any transaction, once per commit; never re-entered. */
		if (st->hook != NULL && !st->in_hook) {
			st->in_hook = true;
			st->hook(st->hook_arg, st);
			st->in_hook = false;
		}
	}
	return 0;
}

/* Creates the store's file (and its directory) private to the user, if absent. */
static int
store_create_file(const char *path, struct error *err)
{
	char *dir;
	int fd;

	dir = g_path_get_dirname(path);
	if (g_mkdir_with_parents(dir, 0700) != 0) {
		error_set(err, "%s: cannot create directory: %s", dir,
		    strerror(errno));
		g_free(dir);
		return -1;
	}
	g_free(dir);

	/*
	 * SQLite gives the -wal and -shm files the mode of the database file,
	 * so creating it 0600 here keeps all three private.
	 */
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd == -1) {
		if (errno == EEXIST)
			return 0;
		return error_set(err, "%s: cannot create: %s", path,
		    strerror(errno));
	}
	if (fchmod(fd, 0600) != 0) {
		error_set(err, "%s: cannot chmod: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static int
pragma_int(struct store *st, const char *sql, int *value, struct error *err)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return db_error(st, err, "read the schema version");
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		db_error(st, err, "read the schema version");
		sqlite3_finalize(s);
		return -1;
	}
	*value = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return 0;
}

/* Brings the schema up to STORE_SCHEMA_VERSION in one transaction. */
static int
store_migrate(struct store *st, struct error *err)
{
	int version;
	char *sql;

	/* The common case takes no lock, so opening never waits for a writer. */
	if (pragma_int(st, "PRAGMA user_version", &version, err) != 0)
		return -1;
	if (version == STORE_SCHEMA_VERSION)
		return 0;

	/* Read again under the write lock: another process may be migrating too. */
	if (tx_begin(st, err) != 0)
		return -1;
	if (pragma_int(st, "PRAGMA user_version", &version, err) != 0)
		goto fail;
	if (version > STORE_SCHEMA_VERSION) {
		error_set(err, "%s: schema version %d was written by a newer "
		    "embargo (this one knows up to version %d): upgrade embargo",
		    st->path, version, STORE_SCHEMA_VERSION);
		goto fail;
	}
	if (version < 0) {
		error_set(err, "%s: invalid schema version %d", st->path,
		    version);
		goto fail;
	}
	if (version == STORE_SCHEMA_VERSION) {
		tx_rollback(st);
		return 0;
	}
	for (int i = version; i < STORE_SCHEMA_VERSION; i++) {
		if (sqlite3_exec(st->db, migrations[i], NULL, NULL, NULL) !=
		    SQLITE_OK) {
			error_set(err, "%s: cannot migrate schema from version "
			    "%d to %d: %s", st->path, i, i + 1,
			    sqlite3_errmsg(st->db));
			goto fail;
		}
	}
	/* PRAGMA takes no parameters; the value is our own integer. */
	sql = g_strdup_printf("PRAGMA user_version = %d", STORE_SCHEMA_VERSION);
	if (exec(st, sql, "set the schema version", err) != 0) {
		g_free(sql);
		goto fail;
	}
	g_free(sql);
	return tx_commit(st, err);

fail:
	tx_rollback(st);
	return -1;
}

static int
store_configure(struct store *st, struct error *err)
{
	sqlite3_stmt *s;
	const char *mode;
	int fk;

	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, STORE_BUSY_TIMEOUT_MS);

	if (sqlite3_prepare_v2(st->db, "PRAGMA journal_mode = WAL", -1, &s,
		NULL) != SQLITE_OK)
		return db_error(st, err, "set WAL mode");
	if (sqlite3_step(s) != SQLITE_ROW) {
		db_error(st, err, "set WAL mode");
		sqlite3_finalize(s);
		return -1;
	}
	mode = (const char *)sqlite3_column_text(s, 0);
	if (mode == NULL || g_ascii_strcasecmp(mode, "wal") != 0) {
		error_set(err, "%s: cannot set WAL mode: journal mode is %s",
		    st->path, mode != NULL ? mode : "unknown");
		sqlite3_finalize(s);
		return -1;
	}
	sqlite3_finalize(s);

	if (exec(st, "PRAGMA synchronous = " STORE_SYNCHRONOUS,
		"set synchronous mode", err) != 0)
		return -1;
	/*
	 * A page cache big enough for a refresh of a large mailbox: with
	 * SQLite's default 2 MB, one transaction writing thousands of cases
	 * (random keys in the msgid, ref and uuid indexes) spills pages to the
	 * WAL and writes them again and again.  Pages are allocated on use, so
	 * a small store costs no more.
	 */
	if (exec(st, "PRAGMA cache_size = -" G_STRINGIFY(STORE_CACHE_KB),
		"set the page cache size", err) != 0)
		return -1;
	/*
	 * Temporary data in memory: above all the savepoint sub-journal, which
	 * each nested store_begin inside a refresh's transaction fills with the
	 * pages it touches (a file under /var/tmp otherwise: tens of writes a
	 * case).  It is emptied when the savepoint is released.
	 */
	if (exec(st, "PRAGMA temp_store = MEMORY", "keep temporary data in memory",
		err) != 0)
		return -1;
	if (exec(st, "PRAGMA foreign_keys = ON", "enable foreign keys",
		err) != 0)
		return -1;
	if (pragma_int(st, "PRAGMA foreign_keys", &fk, err) != 0)
		return -1;
	if (fk != 1)
		return error_set(err, "%s: cannot enable foreign keys",
		    st->path);
	return 0;
}

int
store_open(const char *path, struct store **out, struct error *err)
{
	struct store *st;
	int rc;

	if (path == NULL || *path == '\0')
		return error_set(err, "no store path given");
	if (store_create_file(path, err) != 0)
		return -1;

	st = g_new0(struct store, 1);
	st->path = g_strdup(path);
	rc = sqlite3_open_v2(path, &st->db,
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc != SQLITE_OK) {
		if (st->db == NULL)
			error_set(err, "%s: cannot open: %s", path,
			    sqlite3_errstr(rc));
		else
			db_error(st, err, "open");
		store_close(st);
		return -1;
	}
	if (store_configure(st, err) != 0 || store_migrate(st, err) != 0) {
		store_close(st);
		return -1;
	}
	*out = st;
	return 0;
}

void
store_close(struct store *st)
{
	if (st == NULL)
		return;
	for (int i = 0; i < Q__COUNT; i++)
		sqlite3_finalize(st->stmts[i]);
	/* An open transaction is rolled back by sqlite3_close. */
	sqlite3_close(st->db);
	g_free(st->path);
	g_free(st);
}

int
store_data_version(struct store *st, int64_t *version, struct error *err)
{
	sqlite3_stmt *s;

	if ((s = query(st, Q_DATA_VERSION, "read the data version", err)) ==
	    NULL)
		return -1;
	switch (step_row(st, s, "read the data version", err)) {
	case -1:
		return -1;
	case 0:
		return error_set(err, "%s: cannot read the data version: no "
		    "row", st->path);
	}
	*version = sqlite3_column_int64(s, 0);
	done(s);
	return 0;
}

void
store_event_free(struct store_event *ev)
{
	if (ev == NULL)
		return;
	g_free(ev->author);
	g_free(ev->kind);
	g_free(ev->field);
	g_free(ev->value);
	g_free(ev->prev);
	g_free(ev);
}

/*
 * UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then a 12-bit counter,
 * then random bits.  The fold breaks ties of equal `at` by uuid, and the
 * clock may be pinned (EMBARGO_NOW) or coarse (seconds), so events made
 * later must sort later: a random v4 would let "new" then "triaged" set in
 * the same second fold to either.  The counter keeps uuids made within one
 * millisecond in order in this process; other processes rely on the real
 * clock.  getrandom() rather than GLib's generator, whose state a fork()
 * would duplicate.
 */
void
store_uuid_new(char uuid[37])
{
	G_LOCK_DEFINE_STATIC(uuid_lock);
	static guint64 last_ms;
	static unsigned counter;
	guint8 b[16];
	guint64 ms;
	size_t got = 0;

	while (got < 10) {
		ssize_t n = getrandom(b + 6, 10 - got, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			/* No kernel randomness: still unique enough with the time. */
			for (; got < 10; got++)
				b[6 + got] = (guint8)g_random_int();
			break;
		}
		got += (size_t)n;
	}

	G_LOCK(uuid_lock);
	ms = (guint64)(g_get_real_time() / 1000);
	if (ms > last_ms) {
		last_ms = ms;
		counter = b[6]; /* a random start below 256 leaves room to count */
	} else if (++counter > 0xfff) {
		last_ms++;
		counter = 0;
	}
	ms = last_ms;
	b[6] = (guint8)(counter >> 8);
	b[7] = (guint8)counter;
	G_UNLOCK(uuid_lock);

	for (int i = 5; i >= 0; i--, ms >>= 8)
		b[i] = (guint8)(ms & 0xff);
	b[6] = (guint8)(0x70 | (b[6] & 0x0f));
	b[8] = (guint8)(0x80 | (b[8] & 0x3f));
	g_snprintf(uuid, 37,
	    "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x%02x%02x%02x%02x",
	    b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10],
	    b[11], b[12], b[13], b[14], b[15]);
}

/* Checks the RFC 4122 text form and lower-cases it in place. */
static bool
uuid_normalise(char uuid[37])
{
	for (int i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (uuid[i] != '-')
				return false;
		} else if (!g_ascii_isxdigit(uuid[i]))
			return false;
	}
	if (uuid[36] != '\0')
		return false;
	for (int i = 0; i < 36; i++)
		uuid[i] = g_ascii_tolower(uuid[i]);
	return true;
}

static void
field_free(gpointer p)
{
	struct store_field *f = p;

	g_free(f->value);
	g_free(f->author);
	g_free(f);
}

void
store_case_free(struct store_case *c)
{
	if (c == NULL)
		return;
	g_free(c->msgid);
	g_free(c->ref);
	g_free(c->thread);
	if (c->fields != NULL)
		g_hash_table_destroy(c->fields);
	mail_facts_clear(&c->facts);
	g_free(c);
}

const char *
store_case_field(const struct store_case *c, const char *field)
{
	const struct store_field *f;

	if (c == NULL || c->fields == NULL || field == NULL)
		return NULL;
	f = g_hash_table_lookup(c->fields, field);
	return f != NULL ? f->value : NULL;
}

time_t
store_case_field_at(const struct store_case *c, const char *field)
{
	const struct store_field *f;

	if (c == NULL || c->fields == NULL || field == NULL)
		return 0;
	f = g_hash_table_lookup(c->fields, field);
	return f != NULL ? f->at : 0;
}

/* A Message-ID without its angle brackets; returns a pointer and length into MSGID. */
static const char *
msgid_bare(const char *msgid, size_t *len)
{
	size_t n = strlen(msgid);

	if (n >= 2 && msgid[0] == '<' && msgid[n - 1] == '>') {
		*len = n - 2;
		return msgid + 1;
	}
	*len = n;
	return msgid;
}

/* The first LEN Crockford base32 characters (5 bits each) of SHA-256(msgid). */
static void
ref_from_msgid_len(const char *msgid, size_t len, char *ref)
{
	guint8 digest[32];
	gsize dlen = sizeof digest;
	GChecksum *sum;
	const char *bare;
	size_t blen;

	bare = msgid_bare(msgid, &blen);
	sum = g_checksum_new(G_CHECKSUM_SHA256);
	g_checksum_update(sum, (const guchar *)bare, (gssize)blen);
	g_checksum_get_digest(sum, digest, &dlen);
	g_checksum_free(sum);

	for (size_t i = 0; i < len; i++) {
		unsigned v = 0;

		for (size_t b = i * 5; b < i * 5 + 5; b++) {
			unsigned bit = (digest[b / 8] >> (7 - b % 8)) & 1;
			v = (v << 1) | bit;
		}
		ref[i] = crockford[v];
	}
	ref[len] = '\0';
}

void
store_ref_from_msgid(const char *msgid, char ref[8])
{
	ref_from_msgid_len(msgid, REF_LEN, ref);
}

/* Runs Q with one text parameter KEY: 1 when it gives a row, 0 if not, -1 on error (WHAT names it). */
static int
row_exists(struct store *st, enum query q, const char *what, const char *key,
    struct error *err)
{
	sqlite3_stmt *s;
	int found;

	if ((s = query(st, q, what, err)) == NULL)
		return -1;
	bind_text(s, 1, key);
	found = step_row(st, s, what, err);
	if (found == 1)
		done(s);
	return found;
}

/* 1 when some case already has REF, 0 if not, -1 on error. */
static int
ref_taken(struct store *st, const char *ref, struct error *err)
{
	return row_exists(st, Q_REF_TAKEN, "look up a ref", ref, err);
}

static int
case_exists(struct store *st, int64_t id, struct error *err)
{
	sqlite3_stmt *s;
	int found;

	if ((s = query(st, Q_CASE_EXISTS, "look up a case", err)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	found = step_row(st, s, "look up a case", err);
	if (found == 1)
		done(s);
	return found;
}

/*
 * The field an event sets, or NULL for a kind that does not fold.  Field
 * events name their field after their kind, except "check" whose field is
 * "check:<item>" and must be given.  -1 (error set) when they disagree.
 */
static int
event_field(struct store *st, const struct store_event *ev,
    const char **field, struct error *err)
{
	int kind;

	if (ev->kind == NULL || (kind = event_kind_from_name(ev->kind)) < 0)
		return error_set(err, "%s: cannot append event: unknown kind "
		    "\"%s\"", st->path, ev->kind != NULL ? ev->kind : "");
	if (!event_kind_folds(kind)) {
		if (ev->field != NULL)
			return error_set(err, "%s: cannot append event: a "
			    "\"%s\" event sets no field (got \"%s\")",
			    st->path, ev->kind, ev->field);
		*field = NULL;
		return 0;
	}
	if (kind == EV_CHECK) {
		if (ev->field == NULL || !g_str_has_prefix(ev->field, "check:") ||
		    ev->field[strlen("check:")] == '\0')
			return error_set(err, "%s: cannot append event: a "
			    "\"check\" event needs the field \"check:<item>\"",
			    st->path);
		*field = ev->field;
		return 0;
	}
	if (ev->field != NULL && strcmp(ev->field, ev->kind) != 0)
		return error_set(err, "%s: cannot append event: a \"%s\" event "
		    "sets the field \"%s\", not \"%s\"", st->path, ev->kind,
		    ev->kind, ev->field);
	*field = ev->kind;
	return 0;
}

/* The folded value of FIELD (g_free, NULL when unset or cleared). */
static int
field_value(struct store *st, int64_t case_id, const char *field,
    char **value, struct error *err)
{
	sqlite3_stmt *s;
	int found;

	if ((s = query(st, Q_FIELD_VALUE, "read a field", err)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, case_id);
	bind_text(s, 2, field);
	found = step_row(st, s, "read a field", err);
	if (found < 0)
		return -1;
	*value = found ? column_strdup(s, 0) : NULL;
	if (found)
		done(s);
	return 0;
}

/* Inserts EV and folds it; the caller holds a transaction.  Duplicate uuid: no-op. */
static int
append_locked(struct store *st, const struct store_event *ev,
    const char *field, struct error *err)
{
	sqlite3_stmt *s;
	const char *value;

	if ((s = query(st, Q_EVENT_INSERT, "append event", err)) == NULL)
		return -1;
	bind_text(s, 1, ev->uuid);
	sqlite3_bind_int64(s, 2, ev->case_id);
	bind_text(s, 3, ev->author);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)ev->at);
	bind_text(s, 5, ev->kind);
	bind_text(s, 6, field);
	bind_text(s, 7, ev->value);
	bind_text(s, 8, ev->prev);
	if (step_done(st, s, "append event", err) != 0)
		return -1;
	if (field == NULL)
		return 0;

	/* An empty value clears: the row stays, with its (at, uuid), so older events cannot resurrect it. */
	value = (ev->value != NULL && *ev->value != '\0') ? ev->value : NULL;
	if ((s = query(st, Q_FOLD, "fold event", err)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, ev->case_id);
	bind_text(s, 2, field);
	bind_text(s, 3, value);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)ev->at);
	bind_text(s, 5, ev->uuid);
	bind_text(s, 6, ev->author);
	return step_done(st, s, "fold event", err);
}

static int
event_exists(struct store *st, const char *uuid, struct error *err)
{
	return row_exists(st, Q_EVENT_EXISTS, "look up an event", uuid, err);
}

int
store_append_event(struct store *st, struct store_event *ev,
    bool expect_check, const char *expect, char **current, struct error *err)
{
	const char *field = NULL;
	char *now = NULL;
	int found;

	if (ev->uuid[0] == '\0')
		store_uuid_new(ev->uuid);
	else if (!uuid_normalise(ev->uuid))
		return error_set(err, "%s: cannot append event: bad uuid \"%.36s\""
		    " (expected xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)", st->path,
		    ev->uuid);
	if (event_field(st, ev, &field, err) != 0)
		return -1;
	if (ev->author == NULL)
		return error_set(err, "%s: cannot append event: no author",
		    st->path);
	if (expect_check && field == NULL)
		return error_set(err, "%s: cannot append event: a \"%s\" event "
		    "sets no field to compare", st->path, ev->kind);

	if (tx_begin(st, err) != 0)
		return -1;
	if ((found = case_exists(st, ev->case_id, err)) < 0)
		goto fail;
	if (found == 0) {
		error_set(err, "%s: cannot append event: no case %" PRId64,
		    st->path, ev->case_id);
		goto fail;
	}
	if ((found = event_exists(st, ev->uuid, err)) < 0)
		goto fail;
	if (found == 1) /* imported twice: already folded */
		return tx_commit(st, err);

	if (expect_check) {
		if (expect != NULL && *expect == '\0')
			expect = NULL;
		if (field_value(st, ev->case_id, field, &now, err) != 0)
			goto fail;
		if (g_strcmp0(now, expect) != 0) {
			tx_rollback(st);
			if (current != NULL)
				*current = now;
			else
				g_free(now);
			return 1;
		}
		g_free(now);
	}
	if (append_locked(st, ev, field, err) != 0)
		goto fail;
	st->appended = true;
	return tx_commit(st, err);

fail:
	tx_rollback(st);
	return -1;
}

/* Finds a free ref for MSGID: its 5 characters, or longer on a collision. */
static int
ref_choose(struct store *st, const char *msgid, char ref[REF_MAX_LEN + 1],
    struct error *err)
{
	for (size_t len = REF_LEN; len <= REF_MAX_LEN; len++) {
		int taken;

		ref_from_msgid_len(msgid, len, ref);
		if ((taken = ref_taken(st, ref, err)) < 0)
			return -1;
		if (!taken)
			return 0;
	}
	return error_set(err, "%s: cannot create case: no free ref for <%s>",
	    st->path, msgid);
}

int
store_case_ensure(struct store *st, const char *msgid, const char *thread,
    const char *author, time_t now, int64_t *id, bool *created,
    struct error *err)
{
	struct store_event ev = {0};
	char ref[REF_MAX_LEN + 1];
	char *bare, *old_thread;
	const char *b;
	sqlite3_stmt *s;
	size_t blen;
	int found;
	int64_t cid = 0;

	if (msgid == NULL || (b = msgid_bare(msgid, &blen), blen == 0))
		return error_set(err, "%s: cannot create case: empty Message-ID",
		    st->path);
	if (author == NULL)
		return error_set(err, "%s: cannot create case: no author",
		    st->path);
	bare = g_strndup(b, blen);

	if (tx_begin(st, err) != 0) {
		g_free(bare);
		return -1;
	}
	if ((s = query(st, Q_CASE_BY_MSGID, "look up a case", err)) == NULL)
		goto fail;
	bind_text(s, 1, bare);
	if ((found = step_row(st, s, "look up a case", err)) < 0)
		goto fail;
	if (found) {
		cid = sqlite3_column_int64(s, 0);
		old_thread = column_strdup(s, 1);
		done(s);
		if (thread != NULL && g_strcmp0(thread, old_thread) != 0) {
			g_free(old_thread);
			if ((s = query(st, Q_CASE_SET_THREAD, "update a case",
				 err)) == NULL)
				goto fail;
			bind_text(s, 1, thread);
			sqlite3_bind_int64(s, 2, cid);
			if (step_done(st, s, "update a case", err) != 0)
				goto fail;
		} else
			g_free(old_thread);
	} else {
		if (ref_choose(st, bare, ref, err) != 0)
			goto fail;
		if ((s = query(st, Q_CASE_INSERT, "create case", err)) == NULL)
			goto fail;
		bind_text(s, 1, bare);
		bind_text(s, 2, ref);
		bind_text(s, 3, thread);
		sqlite3_bind_int64(s, 4, (sqlite3_int64)now);
		if (step_done(st, s, "create case", err) != 0)
			goto fail;
		cid = sqlite3_last_insert_rowid(st->db);

		store_uuid_new(ev.uuid);
		ev.case_id = cid;
		ev.author = (char *)author;
		ev.at = now;
		ev.kind = (char *)event_kind_name(EV_CREATED);
		if (append_locked(st, &ev, NULL, err) != 0)
			goto fail;
	}
	if (tx_commit(st, err) != 0) {
		g_free(bare);
		return -1;
	}
	g_free(bare);
	*id = cid;
	if (created != NULL)
		*created = !found;
	return 0;

fail:
	tx_rollback(st);
	g_free(bare);
	return -1;
}

/* A lookup by one text or integer parameter: 1 and *ID when found. */
static int
lookup_id(struct store *st, enum query q, const char *text, int64_t num,
    int64_t *id, struct error *err)
{
	sqlite3_stmt *s;
	int found;

	if ((s = query(st, q, "look up a case", err)) == NULL)
		return -1;
	if (text != NULL)
		bind_text(s, 1, text);
	else
		sqlite3_bind_int64(s, 1, num);
	found = step_row(st, s, "look up a case", err);
	if (found == 1) {
		*id = q == Q_CASE_EXISTS ? num : sqlite3_column_int64(s, 0);
		done(s);
	}
	return found;
}

/* A ref as typed, upper-cased with Crockford's aliases; NULL if not base32. */
static char *
ref_normalise(const char *key)
{
	char *ref = g_ascii_strup(key, -1);

	for (char *p = ref; *p != '\0'; p++) {
		if (*p == 'O')
			*p = '0';
		else if (*p == 'I' || *p == 'L')
			*p = '1';
		if (strchr(crockford, *p) == NULL) {
			g_free(ref);
			return NULL;
		}
	}
	return ref;
}

/*
 * Digits are an id; but refs can be all digits too, so digits that name no
 * case (or start with 0, which no id printed does) are tried as a ref.
 */
int
store_case_resolve(struct store *st, const char *key, int64_t *id,
    struct error *err)
{
	char *ref, *shown;
	int found = 0;

	if (key == NULL)
		key = "";
	if (g_str_has_prefix(key, "thread:")) {
		const char *t = key + strlen("thread:");

		if (*t != '\0' &&
		    (found = lookup_id(st, Q_CASE_BY_THREAD, t, 0, id, err)) < 0)
			return -1;
	} else if (*key != '\0') {
		bool digits = strspn(key, "0123456789") == strlen(key);

		if (digits && key[0] != '0' && strlen(key) <= 18) {
			int64_t n = g_ascii_strtoll(key, NULL, 10);

			if ((found = lookup_id(st, Q_CASE_EXISTS, NULL, n, id,
				 err)) < 0)
				return -1;
		}
		if (!found && (ref = ref_normalise(key)) != NULL) {
			found = lookup_id(st, Q_CASE_BY_REF, ref, 0, id, err);
			g_free(ref);
			if (found < 0)
				return -1;
		}
	}
	if (found)
		return 0;
	shown = g_strescape(key, NULL);
	error_set(err, "no case \"%s\": give a case id, its ref or thread:ID "
	    "(see embargo list)", shown);
	g_free(shown);
	return -1;
}

static struct store_case *
case_from_row(sqlite3_stmt *s)
{
	struct store_case *c = g_new0(struct store_case, 1);

	c->id = sqlite3_column_int64(s, 0);
	c->msgid = column_strdup(s, 1);
	c->ref = column_strdup(s, 2);
	c->thread = column_strdup(s, 3);
	c->created = (time_t)sqlite3_column_int64(s, 4);
	c->fields = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
	    field_free);
	return c;
}

/* Adds a fields row (case_id, field, value, at, uuid, author) to C; cleared fields are left out. */
static void
case_add_field(struct store_case *c, sqlite3_stmt *s)
{
	struct store_field *f;
	const char *uuid;

	if (sqlite3_column_type(s, 2) == SQLITE_NULL)
		return;
	f = g_new0(struct store_field, 1);
	f->value = column_strdup(s, 2);
	f->at = (time_t)sqlite3_column_int64(s, 3);
	uuid = (const char *)sqlite3_column_text(s, 4);
	g_strlcpy(f->uuid, uuid != NULL ? uuid : "", sizeof f->uuid);
	f->author = column_strdup(s, 5);
	g_hash_table_replace(c->fields, column_strdup(s, 1), f);
}

#define READ_STR(s, i, dst) (dst) = column_strdup((s), (i))
#define READ_TIME(s, i, dst) (dst) = (time_t)sqlite3_column_int64((s), (i))
#define READ_INT(s, i, dst) (dst) = sqlite3_column_int((s), (i))
#define READ_BOOL(s, i, dst) (dst) = sqlite3_column_int((s), (i)) != 0

/* Fills C's facts from a facts row (case_id, then the columns). */
static void
case_set_facts(struct store_case *c, sqlite3_stmt *s)
{
	int i = 1;

	mail_facts_clear(&c->facts);
#define FACT_READ(n, t) READ_##t(s, i, c->facts.n); i++;
	FACT_COLUMNS(FACT_READ)
#undef FACT_READ
	c->has_facts = true;
}

/* Runs a query of fields or facts rows, handing each to ADD with its case. */
static int
case_rows(struct store *st, sqlite3_stmt *s, GHashTable *by_id,
    struct store_case *one, void (*add)(struct store_case *, sqlite3_stmt *),
    struct error *err)
{
	int rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t cid = sqlite3_column_int64(s, 0);
		struct store_case *c = one;

		if (by_id != NULL)
			c = g_hash_table_lookup(by_id, &cid);
		if (c != NULL)
			add(c, s);
	}
	if (rc != SQLITE_DONE) {
		db_error(st, err, "read a case");
		done(s);
		return -1;
	}
	done(s);
	return 0;
}

int
store_case_get(struct store *st, int64_t id, struct store_case **out,
    struct error *err)
{
	struct store_case *c;
	sqlite3_stmt *s;
	int found;

	if ((s = query(st, Q_CASE_GET, "read a case", err)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	if ((found = step_row(st, s, "read a case", err)) < 0)
		return -1;
	if (!found)
		return error_set(err, "%s: no case %" PRId64, st->path, id);
	c = case_from_row(s);
	done(s);

	if ((s = query(st, Q_FIELDS_OF, "read a case", err)) == NULL)
		goto fail;
	sqlite3_bind_int64(s, 1, id);
	if (case_rows(st, s, NULL, c, case_add_field, err) != 0)
		goto fail;
	if ((s = query(st, Q_FACTS_OF, "read a case", err)) == NULL)
		goto fail;
	sqlite3_bind_int64(s, 1, id);
	if (case_rows(st, s, NULL, c, case_set_facts, err) != 0)
		goto fail;
	*out = c;
	return 0;

fail:
	store_case_free(c);
	return -1;
}

int
store_case_list(struct store *st, GPtrArray **out, struct error *err)
{
	GPtrArray *cases;
	GHashTable *by_id;
	sqlite3_stmt *s;
	int rc;

	/* Three queries for the whole store, not three per case. */
	if ((s = query(st, Q_CASE_ALL, "list cases", err)) == NULL)
		return -1;
	cases = g_ptr_array_new_with_free_func((GDestroyNotify)store_case_free);
	by_id = g_hash_table_new(g_int64_hash, g_int64_equal);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_case *c = case_from_row(s);

		g_ptr_array_add(cases, c);
		g_hash_table_insert(by_id, &c->id, c);
	}
	if (rc != SQLITE_DONE) {
		db_error(st, err, "list cases");
		done(s);
		goto fail;
	}
	done(s);
	if ((s = query(st, Q_FIELDS_ALL, "list cases", err)) == NULL ||
	    case_rows(st, s, by_id, NULL, case_add_field, err) != 0)
		goto fail;
	if ((s = query(st, Q_FACTS_ALL, "list cases", err)) == NULL ||
	    case_rows(st, s, by_id, NULL, case_set_facts, err) != 0)
		goto fail;
	g_hash_table_destroy(by_id);
	*out = cases;
	return 0;

fail:
	g_hash_table_destroy(by_id);
	g_ptr_array_free(cases, TRUE);
	return -1;
}

int
store_events(struct store *st, int64_t case_id, GPtrArray **out,
    struct error *err)
{
	GPtrArray *events;
	sqlite3_stmt *s;
	int rc;

	if ((s = query(st, Q_EVENTS_OF, "read events", err)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, case_id);
	events = g_ptr_array_new_with_free_func((GDestroyNotify)store_event_free);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_event *ev = g_new0(struct store_event, 1);
		const char *uuid = (const char *)sqlite3_column_text(s, 0);

		g_strlcpy(ev->uuid, uuid != NULL ? uuid : "", sizeof ev->uuid);
		ev->case_id = sqlite3_column_int64(s, 1);
		ev->author = column_strdup(s, 2);
		ev->at = (time_t)sqlite3_column_int64(s, 3);
		ev->kind = column_strdup(s, 4);
		ev->field = column_strdup(s, 5);
		ev->value = column_strdup(s, 6);
		ev->prev = column_strdup(s, 7);
		g_ptr_array_add(events, ev);
	}
	if (rc != SQLITE_DONE) {
		db_error(st, err, "read events");
		done(s);
		g_ptr_array_free(events, TRUE);
		return -1;
	}
	done(s);
	*out = events;
	return 0;
}

#define BIND_STR(s, i, v) bind_text((s), (i), (v))
#define BIND_TIME(s, i, v) sqlite3_bind_int64((s), (i), (sqlite3_int64)(v))
#define BIND_INT(s, i, v) sqlite3_bind_int((s), (i), (v))
#define BIND_BOOL(s, i, v) sqlite3_bind_int((s), (i), (v) ? 1 : 0)

int
store_facts_put(struct store *st, int64_t case_id, const struct mail_facts *f,
    struct error *err)
{
	sqlite3_stmt *s;
	int i = 2, found;

	if ((found = case_exists(st, case_id, err)) < 0)
		return -1;
	if (!found)
		return error_set(err, "%s: cannot store mail facts: no case %"
		    PRId64, st->path, case_id);
	if ((s = query(st, Q_FACTS_PUT, "store mail facts", err)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, case_id);
#define FACT_BIND(n, t) BIND_##t(s, i, f->n); i++;
	FACT_COLUMNS(FACT_BIND)
#undef FACT_BIND
	return step_done(st, s, "store mail facts", err);
}

int
store_facts_delete(struct store *st, int64_t case_id, struct error *err)
{
	sqlite3_stmt *s;

	if ((s = query(st, Q_FACTS_DELETE, "delete mail facts", err)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, case_id);
	return step_done(st, s, "delete mail facts", err);
}

int
store_meta_get(struct store *st, const char *key, char **value,
    struct error *err)
{
	sqlite3_stmt *s;
	int found;

	if ((s = query(st, Q_META_GET, "read meta", err)) == NULL)
		return -1;
	bind_text(s, 1, key);
	if ((found = step_row(st, s, "read meta", err)) < 0)
		return -1;
	*value = found ? column_strdup(s, 0) : NULL;
	if (found)
		done(s);
	return 0;
}

/* VALUE NULL removes KEY. */
int
store_meta_set(struct store *st, const char *key, const char *value,
    struct error *err)
{
	sqlite3_stmt *s;

	if (key == NULL)
		return error_set(err, "%s: cannot write meta: no key",
		    st->path);
	if ((s = query(st, value != NULL ? Q_META_SET : Q_META_DELETE,
		 "write meta", err)) == NULL)
		return -1;
	bind_text(s, 1, key);
	if (value != NULL)
		bind_text(s, 2, value);
	return step_done(st, s, "write meta", err);
}

int
store_begin(struct store *st, struct error *err)
{
	return tx_begin(st, err);
}

int
store_commit(struct store *st, struct error *err)
{
	return tx_commit(st, err);
}

void
store_rollback(struct store *st)
{
	tx_rollback(st);
}

void
store_set_event_hook(struct store *st, store_event_hook_fn fn, void *arg)
{
	st->hook = fn;
	st->hook_arg = arg;
}

sqlite3 *
store_sqlite(struct store *st)
{
	return st->db;
}

const char *
store_path(const struct store *st)
{
	return st->path;
}

/* ---- Message file cache ------------------------------------------------------ */

#define MSGFILE_EVENT 1
#define MSGFILE_INLINE_PGP 2

int64_t
store_msgfile_key(const char *path)
{
	uint64_t h = UINT64_C(14695981039346656037);

	for (; path != NULL && *path != '\0'; path++) {
		h ^= (unsigned char)*path;
		h *= UINT64_C(1099511628211);
	}
	return (int64_t)h;
}

void
store_msgfile_clear(struct store_msgfile *f)
{
	if (f == NULL)
		return;
	g_free(f->path);
	g_free(f->msgid);
	g_free(f->stamp);
	g_free(f->from);
	g_free(f->to);
	g_free(f->cc);
	g_free(f->reply_to);
	g_free(f->auth);
	memset(f, 0, sizeof *f);
}

int
store_msgfile_any(struct store *st, bool *any, struct error *err)
{
	sqlite3_stmt *s;
	int found;

	if ((s = query(st, Q_MSGFILE_ANY, "read the message file cache", err)) == NULL)
		return -1;
	if ((found = step_row(st, s, "read the message file cache", err)) < 0)
		return -1;
	*any = found && sqlite3_column_int(s, 0) != 0;
	if (found)
		done(s);
	return 0;
}

int
store_msgfile_get(struct store *st, const char *path,
    struct store_msgfile *out, struct error *err)
{
	sqlite3_stmt *s;
	int found, flags;

	memset(out, 0, sizeof *out);
	if (path == NULL)
		return 0;
	if ((s = query(st, Q_MSGFILE_GET, "read the message file cache", err)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, store_msgfile_key(path));
	if ((found = step_row(st, s, "read the message file cache", err)) <= 0)
		return found;
	out->path = g_strdup(path);
	out->msgid = column_strdup(s, 0);
	out->stamp = column_strdup(s, 1);
	out->from = column_strdup(s, 2);
	out->to = column_strdup(s, 3);
	out->cc = column_strdup(s, 4);
	out->reply_to = column_strdup(s, 5);
	out->auth = column_strdup(s, 6);
	flags = sqlite3_column_int(s, 7);
	out->event = (flags & MSGFILE_EVENT) != 0;
	out->inline_pgp = (flags & MSGFILE_INLINE_PGP) != 0;
	done(s);
	if (out->msgid == NULL || out->stamp == NULL) {
		store_msgfile_clear(out);
		return 0;
	}
	return 1;
}

int
store_msgfile_put(struct store *st, const struct store_msgfile *f,
    struct error *err)
{
	sqlite3_stmt *s;

	if (f->path == NULL || f->msgid == NULL || f->stamp == NULL)
		return error_set(err, "%s: cannot cache a message file: "
		    "path, Message-ID and stamp are required", st->path);
	if ((s = query(st, Q_MSGFILE_PUT, "write the message file cache", err)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, store_msgfile_key(f->path));
	bind_text(s, 2, f->msgid);
	bind_text(s, 3, f->stamp);
	bind_text(s, 4, f->from);
	bind_text(s, 5, f->to);
	bind_text(s, 6, f->cc);
	bind_text(s, 7, f->reply_to);
	bind_text(s, 8, f->auth);
	sqlite3_bind_int(s, 9, (f->event ? MSGFILE_EVENT : 0) |
	    (f->inline_pgp ? MSGFILE_INLINE_PGP : 0));
	return step_done(st, s, "write the message file cache", err);
}

int
store_msgfile_prune(struct store *st, bool (*keep)(void *arg, int64_t key),
    void *arg, int *deleted, struct error *err)
{
	GArray *gone = g_array_new(FALSE, FALSE, sizeof(int64_t));
	sqlite3_stmt *s;
	int rc, n = 0;
	guint i;

	if ((s = query(st, Q_MSGFILE_PATHS, "read the message file cache", err)) == NULL)
		goto fail;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t k = sqlite3_column_int64(s, 0);

		if (keep == NULL || !keep(arg, k))
			g_array_append_val(gone, k);
	}
	if (rc != SQLITE_DONE) {
		db_error(st, err, "read the message file cache");
		done(s);
		goto fail;
	}
	done(s);
	for (i = 0; i < gone->len; i++) {
		if ((s = query(st, Q_MSGFILE_DELETE, "prune the message file cache", err)) == NULL)
			goto fail;
		sqlite3_bind_int64(s, 1, g_array_index(gone, int64_t, i));
		if (step_done(st, s, "prune the message file cache", err) < 0)
			goto fail;
		n++;
	}
	g_array_free(gone, TRUE);
	if (deleted != NULL)
		*deleted = n;
	return 0;
fail:
	g_array_free(gone, TRUE);
	return -1;
}

int
store_case_list_threads(struct store *st, const char *const *threads,
    size_t n, GPtrArray **out, struct error *err)
{
	GPtrArray *cases = g_ptr_array_new_with_free_func((GDestroyNotify)store_case_free);
	GArray *ids = g_array_new(FALSE, FALSE, sizeof(int64_t));
	sqlite3_stmt *s;
	size_t i;
	guint j;
	int rc;

	for (i = 0; i < n; i++) {
		if ((s = query(st, Q_CASES_OF_THREAD, "list cases", err)) == NULL)
			goto fail;
		bind_text(s, 1, threads[i]);
		while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
			int64_t id = sqlite3_column_int64(s, 0);

			g_array_append_val(ids, id);
		}
		if (rc != SQLITE_DONE) {
			db_error(st, err, "list cases");
			done(s);
			goto fail;
		}
		done(s);
	}
	for (j = 0; j < ids->len; j++) {
		struct store_case *c;

		if (store_case_get(st, g_array_index(ids, int64_t, j), &c, err) != 0)
			goto fail;
		g_ptr_array_add(cases, c);
	}
	g_array_free(ids, TRUE);
	*out = cases;
	return 0;
fail:
	g_array_free(ids, TRUE);
	g_ptr_array_free(cases, TRUE);
	return -1;
}
