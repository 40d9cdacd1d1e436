/* keys/action.c: name and help lookups over the action and context tables. */
#include "build-config.h"

#include <string.h>

#include "keys/action.h"

static const struct {
	const char *name;
	const char *help;
} contexts[] = {
#define X(e, n, h) { n, h },
	EMB_KEY_CONTEXTS(X)
#undef X
};

static const struct {
	const char *name;
	unsigned contexts;
	const char *help;
} actions[] = {
#define X(e, n, c, h) { n, c, h },
	EMB_ACTIONS(X)
#undef X
};

const char *
key_context_name(enum key_context c)
{
	if ((int)c < 0 || c >= KCTX__COUNT)
		return NULL;
	return contexts[c].name;
}

const char *
key_context_help(enum key_context c)
{
	if ((int)c < 0 || c >= KCTX__COUNT)
		return NULL;
	return contexts[c].help;
}

int
key_context_from_name(const char *name)
{
	for (int c = 0; name != NULL && c < KCTX__COUNT; c++)
		if (strcmp(name, contexts[c].name) == 0)
			return c;
	return -1;
}

const char *
action_name(enum action a)
{
	if (a == ACT_NONE)
		return "none";
	if ((int)a < 0 || a >= ACT__COUNT)
		return NULL;
	return actions[a].name;
}

const char *
action_help(enum action a)
{
	if (a == ACT_NONE)
		return "does nothing (unbinds the key)";
	if ((int)a < 0 || a >= ACT__COUNT)
		return NULL;
	return actions[a].help;
}

unsigned
action_contexts(enum action a)
{
	if ((int)a < 0 || a >= ACT__COUNT)
		return 0;
	return actions[a].contexts;
}

int
action_from_name(const char *name)
{
	if (name == NULL)
		return -2;
	if (strcmp(name, "none") == 0)
		return ACT_NONE;
	for (int a = 0; a < ACT__COUNT; a++)
		if (strcmp(name, actions[a].name) == 0)
			return a;
	return -2;
}

/*
 * Global actions may also be bound per panel (bind timeline Space page-down),
 * never in prompts or the editor, where unbound keys are text.
 */
bool
action_allowed_in(enum action a, enum key_context c)
{
	unsigned mask = action_contexts(a);

	if ((int)c < 0 || c >= KCTX__COUNT)
		return false;
	if (a == ACT_NONE)
		return true;
	if (mask & KC(c))
		return true;
	return (mask & KC(KCTX_GLOBAL)) && c != KCTX_PROMPT &&
	    c != KCTX_COMPOSE;
}
