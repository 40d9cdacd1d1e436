/* keys/keymap.h: which key runs which action in which context: defaults, `bind` overrides, help. */
#ifndef EMBARGO_KEYMAP_H
#define EMBARGO_KEYMAP_H

#include <stdio.h>

#include <glib.h>

#include "core/config.h"
#include "core/error.h"
#include "keys/action.h"
#include "keys/key.h"

struct keymap;

/* The default bindings (mutt and vi habits; embargo(1) KEYS lists them). */
struct keymap *keymap_new(void);
void keymap_free(struct keymap *km);

/*
 * Binds KEY in CONTEXT to ACTION ("none" unbinds it), replacing what was
 * there.  An error names the context, key or action that is wrong and what
 * is allowed.
 */
int keymap_bind(struct keymap *km, const char *context, const char *key,
    const char *action, struct error *err);

/*
 * Applies cfg->bindings in order.  Stops at the first bad one: the error
 * names the file and the whole `bind CONTEXT KEY ACTION`.
 */
int keymap_load_config(struct keymap *km, const struct config *cfg,
    struct error *err);

/*
 * The action for K in CTX: CTX's own bindings first, then the global ones
 * (never for KCTX_PROMPT).  ACT_NONE when unbound.
 */
enum action keymap_lookup(const struct keymap *km, enum key_context ctx,
    key_code k);

/* The keys that run A in CTX as "j, Down" (g_free), or NULL when none does. */
char *keymap_keys_text(const struct keymap *km, enum key_context ctx,
    enum action a);

/* One line of the help screen: a context heading (act ACT_NONE) or an action with its keys. */
struct keymap_help_row {
	enum key_context ctx;
	enum action act;  /* ACT_NONE for the heading of ctx */
	char *keys;       /* "j, Down"; NULL when unbound (and for headings) */
};

/*
 * Every context with the actions that can be used there and their current
 * keys; every action of the table appears at least once.  GPtrArray of
 * struct keymap_help_row * (owning).
 */
GPtrArray *keymap_help(const struct keymap *km);

/* The same as plain text (`embargo --help-keys`). */
void keymap_print_text(FILE *fp, const struct keymap *km);

/* The same as mdoc(7) .Ss sections with .Bl -tag lists, for embargo(1). */
void keymap_print_mdoc(FILE *fp, const struct keymap *km);

#endif
