/* keys/key.h: key codes independent of curses, and their names ("j", "C-d", "M-x", "PageDown"). */
#ifndef EMBARGO_KEY_H
#define EMBARGO_KEY_H

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"

/*
 * A key as embargo sees it (tmux's KEYC_* idea): a Unicode code point for a
 * character, or one of the named keys below, plus modifier bits.  The front
 * end maps the terminal's codes (ncurses' KEY_*) to these; the rest of the
 * program never sees curses codes.  Control keys are KEYC_CTRL with the
 * lower-case letter (C-d is KEYC_CTRL | 'd'); C-i, C-m and C-[ are the same
 * bytes as Tab, Enter and Escape and are stored as those.
 */
typedef uint32_t key_code;

#define KEYC_NONE ((key_code)0)
#define KEYC_MASK_KEY ((key_code)0x00ffffff)
#define KEYC_CTRL ((key_code)0x01000000)
#define KEYC_META ((key_code)0x02000000)
#define KEYC_MASK_MOD (KEYC_CTRL | KEYC_META)

/* Named keys: X(enum, canonical name); they follow the Unicode range. */
#define EMB_KEY_NAMES(X)               \
	X(KEYC_ENTER, "Enter")         \
	X(KEYC_TAB, "Tab")             \
	X(KEYC_BTAB, "BTab")           \
	X(KEYC_ESCAPE, "Escape")       \
	X(KEYC_BACKSPACE, "Backspace") \
	X(KEYC_UP, "Up")               \
	X(KEYC_DOWN, "Down")           \
	X(KEYC_LEFT, "Left")           \
	X(KEYC_RIGHT, "Right")         \
	X(KEYC_PAGEUP, "PageUp")       \
	X(KEYC_PAGEDOWN, "PageDown")   \
	X(KEYC_HOME, "Home")           \
	X(KEYC_END, "End")             \
	X(KEYC_INSERT, "Insert")       \
	X(KEYC_DELETE, "Delete")       \
	X(KEYC_F1, "F1")               \
	X(KEYC_F2, "F2")               \
	X(KEYC_F3, "F3")               \
	X(KEYC_F4, "F4")               \
	X(KEYC_F5, "F5")               \
	X(KEYC_F6, "F6")               \
	X(KEYC_F7, "F7")               \
	X(KEYC_F8, "F8")               \
	X(KEYC_F9, "F9")               \
	X(KEYC_F10, "F10")             \
	X(KEYC_F11, "F11")             \
	X(KEYC_F12, "F12")

enum {
	KEYC_BASE = 0x00110000, /* past the last Unicode code point */
#define X(e, n) e,
	EMB_KEY_NAMES(X)
#undef X
	KEYC_BASE_END
};

/* Room for the longest name: "C-M-Backspace" or a modified 4-byte character. */
#define KEYC_NAME_LEN 32

/*
 * Parses a key name as written in `bind` lines: a single printable
 * character ("j", "G", "?", "é"), a named key (case-insensitive: "Enter",
 * "Tab", "Space", "PageDown", "F5"; aliases "Return", "Esc", "BSpace",
 * "PgUp", "PgDn", "PPage", "NPage", "Del", "DC", "IC", "S-Tab"), or either
 * after modifiers "C-" (control, with a letter a-z, or Space) and "M-"
 * (meta/Alt, with any key).  Errors name the text and what is accepted.
 */
int keyc_parse(const char *name, key_code *out, struct error *err);

/* The canonical name of K into BUF ("C-d", "M-Enter", "Space", "j"); "?" parts for invalid codes. */
char *keyc_name(key_code k, char buf[KEYC_NAME_LEN]);

/* Normalises equivalent spellings: C-i is Tab, C-m and C-j are Enter, C-[ is Escape. */
key_code keyc_normalize(key_code k);

/*
 * True when K is a plain character a prompt should insert (no modifier, not
 * a named key).  Space is the character ' ' (named "Space" when printed).
 */
bool keyc_is_text(key_code k);

#endif
