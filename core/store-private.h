/* core/store-private.h: for core modules that keep their own tables in the store (drafts, notifications). */
#ifndef EMBARGO_STORE_PRIVATE_H
#define EMBARGO_STORE_PRIVATE_H

#include <sqlite3.h>

#include "core/store.h"

/*
 * The store's SQLite handle.  Only core/ modules that own a table of the
 * schema (see the migrations in store.c) use it, with parameterised
 * statements and store_begin/store_commit for transactions.
 */
sqlite3 *store_sqlite(struct store *st);

/* The store's file name, for error messages. */
const char *store_path(const struct store *st);

#endif
