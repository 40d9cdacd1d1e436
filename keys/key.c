/* keys/key.c: key names to key codes and back, without curses. */
#include "build-config.h"

#include <string.h>

#include <glib.h>

#include "keys/key.h"

static const struct {
	key_code key;
	const char *name;
} key_names[] = {
#define X(e, n) { e, n },
	EMB_KEY_NAMES(X)
#undef X
};

/* Other spellings people bring from tmux, mutt and vi. */
static const struct {
	key_code key;
	const char *name;
} key_aliases[] = {
	{ KEYC_ENTER, "Return" },
	{ KEYC_ENTER, "RET" },
	{ KEYC_ENTER, "CR" },
	{ KEYC_ESCAPE, "Esc" },
	{ KEYC_BACKSPACE, "BSpace" },
	{ KEYC_BACKSPACE, "BS" },
	{ KEYC_PAGEUP, "PgUp" },
	{ KEYC_PAGEUP, "PPage" },
	{ KEYC_PAGEDOWN, "PgDn" },
	{ KEYC_PAGEDOWN, "NPage" },
	{ KEYC_DELETE, "Del" },
	{ KEYC_DELETE, "DC" },
	{ KEYC_INSERT, "IC" },
	{ KEYC_INSERT, "Ins" },
	{ KEYC_BTAB, "S-Tab" },
	{ ' ', "Space" },
	{ ' ', "SPC" },
};

key_code
keyc_normalize(key_code k)
{
	key_code mod = k & KEYC_MASK_MOD, base = k & KEYC_MASK_KEY;

	if (mod & KEYC_CTRL) {
		if (base >= 'A' && base <= 'Z')
			base = base - 'A' + 'a';
		switch (base) {
		case 'i':
			return (mod & ~KEYC_CTRL) | KEYC_TAB;
		case 'm':
		case 'j':
			return (mod & ~KEYC_CTRL) | KEYC_ENTER;
		case '[':
			return (mod & ~KEYC_CTRL) | KEYC_ESCAPE;
		default:
			return mod | base;
		}
	}
	return k;
}

bool
keyc_is_text(key_code k)
{
	if (k & KEYC_MASK_MOD)
		return false;
	/* Format characters (bidi controls, zero-width ones) are not text to type. */
	return k >= ' ' && k < KEYC_BASE && k != 0x7f &&
	    !(k >= 0x80 && k < 0xa0) && g_unichar_isprint((gunichar)k) &&
	    g_unichar_type((gunichar)k) != G_UNICODE_FORMAT;
}

/* The named key for NAME (case-insensitive), or KEYC_NONE. */
static key_code
named_key(const char *name)
{
	for (size_t i = 0; i < G_N_ELEMENTS(key_names); i++)
		if (g_ascii_strcasecmp(name, key_names[i].name) == 0)
			return key_names[i].key;
	for (size_t i = 0; i < G_N_ELEMENTS(key_aliases); i++)
		if (g_ascii_strcasecmp(name, key_aliases[i].name) == 0)
			return key_aliases[i].key;
	return KEYC_NONE;
}

/* Whether NAME looks like "F<digits>", so a bad number gets its own message. */
static bool
looks_like_fkey(const char *name)
{
	if (name[0] != 'F' && name[0] != 'f')
		return false;
	if (name[1] == '\0')
		return false;
	for (const char *p = name + 1; *p != '\0'; p++)
		if (!g_ascii_isdigit(*p))
			return false;
	return true;
}

static int
unknown_key(const char *whole, const char *name, struct error *err)
{
	if (looks_like_fkey(name))
		return error_set(err, "key \"%.64s\": function keys are F1 to "
		    "F12", whole);
	return error_set(err, "key \"%.64s\": unknown key name \"%.64s\"; "
	    "expected one character (j, G, ?), a named key (Enter, Tab, "
	    "Space, Escape, Backspace, Up, Down, Left, Right, PageUp, "
	    "PageDown, Home, End, Insert, Delete, BTab, F1..F12), or C-/M- "
	    "before a key (C-d, M-x)", whole, name);
}

int
keyc_parse(const char *name, key_code *out, struct error *err)
{
	key_code mod = 0, base;
	const char *p = name;

	if (name == NULL || *name == '\0')
		return error_set(err, "empty key name; expected a key such as "
		    "j, Enter or C-d");
	if (!g_utf8_validate(name, -1, NULL))
		return error_set(err, "key name is not valid UTF-8");

	/* Modifiers: "C-" and "M-" in any order, each at most once. */
	for (;;) {
		key_code bit;

		if ((p[0] == 'C' || p[0] == 'c') && p[1] == '-' && p[2] != '\0')
			bit = KEYC_CTRL;
		else if ((p[0] == 'M' || p[0] == 'm') && p[1] == '-' &&
		    p[2] != '\0')
			bit = KEYC_META;
		else
			break;
		if (mod & bit)
			return error_set(err, "key \"%.64s\": modifier %c- "
			    "given twice", name, bit == KEYC_CTRL ? 'C' : 'M');
		mod |= bit;
		p += 2;
	}

	if (g_utf8_strlen(p, -1) == 1) {
		gunichar ch = g_utf8_get_char(p);

		if (ch < ' ' || ch == 0x7f || (ch >= 0x80 && ch < 0xa0) ||
		    !g_unichar_isprint(ch))
			return error_set(err, "key \"%.64s\": control "
			    "character U+%04X; write it as C-<letter> or by "
			    "its name (Enter, Tab, Escape)", name, (unsigned)ch);
		if (ch == ' ' && mod == 0)
			return error_set(err, "key \"%.64s\": a space; write "
			    "Space", name);
		base = ch;
	} else if ((base = named_key(p)) == KEYC_NONE)
		return unknown_key(name, p, err);

	if (mod & KEYC_CTRL) {
		key_code lower = base >= 'A' && base <= 'Z' ?
		    base - 'A' + 'a' : base;

		if (!((lower >= 'a' && lower <= 'z') || lower == ' ' ||
		    lower == '['))
			return error_set(err, "key \"%.64s\": C- goes with a "
			    "letter (C-a .. C-z) or Space, not \"%.64s\"", name,
			    p);
	}
	*out = keyc_normalize(mod | base);
	return 0;
}

char *
keyc_name(key_code k, char buf[KEYC_NAME_LEN])
{
	key_code base = k & KEYC_MASK_KEY;
	size_t n = 0;

	buf[0] = '\0';
	if (k & KEYC_CTRL)
		n = g_strlcat(buf, "C-", KEYC_NAME_LEN);
	if (k & KEYC_META)
		n = g_strlcat(buf, "M-", KEYC_NAME_LEN);
	if (base == ' ') {
		g_strlcat(buf, "Space", KEYC_NAME_LEN);
		return buf;
	}
	if (base > KEYC_BASE && base < KEYC_BASE_END) {
		for (size_t i = 0; i < G_N_ELEMENTS(key_names); i++)
			if (key_names[i].key == base)
				g_strlcat(buf, key_names[i].name,
				    KEYC_NAME_LEN);
		return buf;
	}
	if (base > ' ' && base < KEYC_BASE && g_unichar_validate(base) &&
	    g_unichar_isprint(base)) {
		n += (size_t)g_unichar_to_utf8(base, buf + n);
		buf[n] = '\0';
		return buf;
	}
	g_strlcat(buf, "?", KEYC_NAME_LEN);
	return buf;
}
