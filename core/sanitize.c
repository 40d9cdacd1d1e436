/* core/sanitize.c: untrusted text from mail made safe for a terminal. */
#include "build-config.h"

#include <stdint.h>
#include <string.h>

#include <glib.h>

#include "core/sanitize.h"

/* A decoded unit that is not a code point: a byte outside valid UTF-8. */
#define SAN_INVALID UINT32_MAX

#define SAN_ESC 0x1b
#define SAN_BEL 0x07
#define SAN_C1_DCS 0x90
#define SAN_C1_SOS 0x98
#define SAN_C1_CSI 0x9b
#define SAN_C1_ST 0x9c
#define SAN_C1_OSC 0x9d
#define SAN_C1_PM 0x9e
#define SAN_C1_APC 0x9f

/* What a code point becomes outside escape sequences. */
enum san_class {
	SAN_KEEP,
	SAN_NEWLINE, /* '\n', U+2028, U+2029 */
	SAN_TAB,
	SAN_DROP, /* CR */
	SAN_NUL,
	SAN_CONTROL, /* other controls, invalid UTF-8, tag characters */
	SAN_BIDI,
	SAN_ZW,
	SAN_ESCAPE, /* ESC or a C1 sequence introducer */
};

/* Code points from U+00A0 up that are not kept as they are; sorted. */
static const struct {
	uint32_t lo, hi;
	enum san_class cls;
} san_ranges[] = {
    {0x061c, 0x061c, SAN_BIDI},      /* ARABIC LETTER MARK */
    {0x180e, 0x180e, SAN_ZW},        /* MONGOLIAN VOWEL SEPARATOR */
    {0x200b, 0x200d, SAN_ZW},        /* ZWSP, ZWNJ, ZWJ */
    {0x200e, 0x200f, SAN_BIDI},      /* LRM, RLM */
    {0x2028, 0x2029, SAN_NEWLINE},   /* LINE and PARAGRAPH SEPARATOR */
    {0x202a, 0x202e, SAN_BIDI},      /* LRE, RLE, PDF, LRO, RLO */
    {0x2060, 0x2065, SAN_ZW},        /* WORD JOINER, invisible operators */
    {0x2066, 0x2069, SAN_BIDI},      /* LRI, RLI, FSI, PDI */
    {0x206a, 0x206f, SAN_ZW},        /* deprecated format characters */
    {0x3164, 0x3164, SAN_ZW},        /* HANGUL FILLER: a blank "name" */
    {0xfeff, 0xfeff, SAN_ZW},        /* ZERO WIDTH NO-BREAK SPACE (BOM) */
    {0xffa0, 0xffa0, SAN_ZW},        /* HALFWIDTH HANGUL FILLER */
    {0xfff9, 0xfffb, SAN_ZW},        /* interlinear annotation */
    {0xe0000, 0xe007f, SAN_CONTROL}, /* tags: invisible ASCII copies */
};

enum san_state {
	SAN_GROUND,
	SAN_IN_ESC,     /* after ESC */
	SAN_IN_ESC_INT, /* ESC and intermediate bytes */
	SAN_IN_CSI,
	SAN_IN_STRING,  /* OSC, DCS, SOS, PM, APC: up to ST */
	SAN_IN_STR_ESC, /* an ESC inside a string: ST or a new sequence */
};

/*
 * Decode one unit at P (N > 0 bytes left) strictly; returns its length.
 * A lead byte and the continuation bytes it announces form one unit, valid
 * or not: a bad sequence (overlong, surrogate, above U+10FFFF, truncated)
 * is SAN_INVALID with the length of what was read, so that its
 * continuation bytes are never taken for C1 controls (as a UTF-8 terminal
 * would not).  A stray continuation byte 0x80..0x9f stands for the C1
 * control of that value (what an 8-bit terminal would make of it); any
 * other stray byte is SAN_INVALID.
 */
static size_t
san_decode(const unsigned char *p, size_t n, uint32_t *cp)
{
	static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
	unsigned char b = p[0];
	size_t len, i;
	uint32_t v;

	if (b < 0x80) {
		*cp = b;
		return 1;
	}
	if (b < 0xc0) {
		*cp = b <= 0x9f ? b : SAN_INVALID;
		return 1;
	}
	if (b < 0xe0) {
		len = 2;
		v = b & 0x1f;
	} else if (b < 0xf0) {
		len = 3;
		v = b & 0x0f;
	} else if (b < 0xf8) {
		len = 4;
		v = b & 0x07;
	} else {
		*cp = SAN_INVALID;
		return 1;
	}
	for (i = 1; i < len; i++) {
		if (i >= n || (p[i] & 0xc0) != 0x80) {
			*cp = SAN_INVALID;
			return i;
		}
		v = (v << 6) | (p[i] & 0x3f);
	}
	if (v < min[len] || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		*cp = SAN_INVALID;
	else
		*cp = v;
	return len;
}

static enum san_class
san_classify(uint32_t cp)
{
	size_t i;

	if (cp >= 0x20 && cp < 0x7f)
		return SAN_KEEP;
	switch (cp) {
	case '\n':
		return SAN_NEWLINE;
	case '\t':
		return SAN_TAB;
	case '\r':
		return SAN_DROP;
	case '\0':
		return SAN_NUL;
	case SAN_ESC:
	case SAN_C1_CSI:
	case SAN_C1_OSC:
	case SAN_C1_DCS:
	case SAN_C1_SOS:
	case SAN_C1_PM:
	case SAN_C1_APC:
		return SAN_ESCAPE;
	case SAN_INVALID:
		return SAN_CONTROL;
	}
	if (cp < 0xa0)
		return SAN_CONTROL; /* C0, DEL, C1 */
	for (i = 0; i < G_N_ELEMENTS(san_ranges) && cp >= san_ranges[i].lo;
	     i++) {
		if (cp <= san_ranges[i].hi)
			return san_ranges[i].cls;
	}
	return SAN_KEEP;
}

/* Display columns of a kept code point, for tab stops. */
static unsigned int
san_width(uint32_t cp)
{
	if (cp < 0x80)
		return 1;
	if (g_unichar_iszerowidth(cp))
		return 0;
	return g_unichar_iswide(cp) ? 2 : 1;
}

struct san {
	char *out; /* g_malloc'd, always room for a final NUL */
	size_t len, cap;
	enum sanitize_flags flags;
	enum san_state state;
	bool osc;         /* the string is an OSC: BEL ends it too */
	unsigned int col; /* display column, for tabs */
};

/*
 * GString would do, but a call per marker costs; this keeps 50 MiB of
 * hostile bytes to a fraction of a second.
 */
static void
san_put(struct san *sn, const char *s, size_t n)
{
	if (sn->cap - sn->len <= n) {
		sn->cap = MAX(sn->cap * 2, sn->len + n + 1);
		sn->out = g_realloc(sn->out, sn->cap);
	}
	memcpy(sn->out + sn->len, s, n);
	sn->len += n;
}

static void
san_mark(struct san *sn, const char *mark)
{
	san_put(sn, mark, 3);
	sn->col++;
}

/* Start the sequence introduced by ESC or a C1 control CP. */
static void
san_begin(struct san *sn, uint32_t cp)
{
	san_mark(sn, SAN_MARK_ESCAPE);
	sn->osc = false;
	switch (cp) {
	case SAN_ESC:
		sn->state = SAN_IN_ESC;
		break;
	case SAN_C1_CSI:
		sn->state = SAN_IN_CSI;
		break;
	case SAN_C1_OSC:
		sn->osc = true;
		sn->state = SAN_IN_STRING;
		break;
	default: /* DCS, SOS, PM, APC */
		sn->state = SAN_IN_STRING;
		break;
	}
}

/*
 * Output for a unit of class CLS outside sequences: code point CP, or a bad
 * UTF-8 sequence of LEN bytes (one marker per byte).
 */
static void
san_ground(struct san *sn, enum san_class cls, uint32_t cp, size_t len)
{
	size_t n;

	switch (cls) {
	case SAN_KEEP:
	case SAN_DROP:
		break;
	case SAN_NEWLINE:
		if (sn->flags & SAN_MULTILINE) {
			san_put(sn, "\n", 1);
			sn->col = 0;
		} else {
			san_put(sn, " ", 1);
			sn->col++;
		}
		break;
	case SAN_TAB:
		n = (sn->flags & SAN_MULTILINE) ? 8 - sn->col % 8 : 1;
		san_put(sn, "        ", n);
		sn->col += (unsigned int)n;
		break;
	case SAN_NUL:
		san_mark(sn, SAN_MARK_NUL);
		break;
	case SAN_CONTROL:
		for (n = cp == SAN_INVALID ? len : 1; n > 0; n--)
			san_mark(sn, SAN_MARK_CONTROL);
		break;
	case SAN_BIDI:
		san_mark(sn, SAN_MARK_BIDI);
		break;
	case SAN_ZW:
		san_mark(sn, SAN_MARK_ZW);
		break;
	case SAN_ESCAPE:
		san_begin(sn, cp);
		break;
	}
}

/*
 * Feed CP to the sequence being skipped.  Returns false when CP does not
 * belong to it: the caller then feeds CP again in the new state.
 */
static bool
san_sequence(struct san *sn, uint32_t cp)
{
	switch (sn->state) {
	case SAN_GROUND:
		break;
	case SAN_IN_ESC:
		if (cp == '[') {
			sn->state = SAN_IN_CSI;
		} else if (cp == ']') {
			sn->osc = true;
			sn->state = SAN_IN_STRING;
		} else if (cp == 'P' || cp == 'X' || cp == '^' || cp == '_') {
			sn->state = SAN_IN_STRING;
		} else if (cp >= 0x20 && cp <= 0x2f) {
			sn->state = SAN_IN_ESC_INT;
		} else if (san_classify(cp) == SAN_KEEP) {
			/* ESC c, ESC 7, ESC =: one printable character */
			sn->state = SAN_GROUND;
		} else {
			sn->state = SAN_GROUND;
			return false;
		}
		return true;
	case SAN_IN_ESC_INT:
		if (cp >= 0x20 && cp <= 0x2f)
			return true;
		sn->state = SAN_GROUND;
		return cp >= 0x30 && cp <= 0x7e;
	case SAN_IN_CSI:
		if (cp >= 0x20 && cp <= 0x3f)
			return true;
		sn->state = SAN_GROUND;
		return cp >= 0x40 && cp <= 0x7e;
	case SAN_IN_STRING:
		if (cp == SAN_C1_ST || (sn->osc && cp == SAN_BEL))
			sn->state = SAN_GROUND;
		else if (cp == SAN_ESC)
			sn->state = SAN_IN_STR_ESC;
		return true;
	case SAN_IN_STR_ESC:
		if (cp == '\\') {
			sn->state = SAN_GROUND;
			return true;
		}
		/* That ESC ended the string and begins a sequence of its own.
		 */
		san_begin(sn, SAN_ESC);
		return false;
	}
	return true;
}

char *
sanitize_text(const char *s, long len, enum sanitize_flags flags)
{
	const unsigned char *p = (const unsigned char *)s;
	struct san sn = {.flags = flags, .state = SAN_GROUND};
	size_t n, i = 0, run = 0, k;
	enum san_class cls;
	uint32_t cp;

	if (s == NULL)
		return g_strdup("");
	n = len < 0 ? strlen(s) : (size_t)len;
	/* Most text passes unchanged; a little slack for a few markers. */
	sn.cap = n + n / 16 + 16;
	sn.out = g_malloc(sn.cap);

	/*
	 * Kept characters are not copied one by one: [run, i) is the pending
	 * stretch of input to copy as it is, flushed before anything else is
	 * written.
	 */
	while (i < n) {
		if (sn.state == SAN_GROUND && p[i] >= 0x20 && p[i] < 0x7f) {
			sn.col++;
			i++;
			continue;
		}
		k = san_decode(p + i, n - i, &cp);
		if (sn.state == SAN_GROUND) {
			cls = san_classify(cp);
			if (cls == SAN_KEEP) {
				if (flags & SAN_MULTILINE)
					sn.col += san_width(cp);
				i += k;
				continue;
			}
			san_put(&sn, s + run, i - run);
			san_ground(&sn, cls, cp, k);
			i += k;
			run = i;
		} else if (san_sequence(&sn, cp)) {
			i += k;
			run = i;
		} else {
			run = i; /* feed CP again, in the new state */
		}
	}
	san_put(&sn, s + run, n - run);
	sn.out[sn.len] = '\0';
	return sn.out;
}

bool
sanitize_is_safe(const char *s, enum sanitize_flags flags)
{
	const unsigned char *p = (const unsigned char *)s;
	enum san_class cls;
	size_t n, i = 0;
	uint32_t cp;

	if (s == NULL)
		return true;
	n = strlen(s);
	while (i < n) {
		if (p[i] >= 0x20 && p[i] < 0x7f) {
			i++;
			continue;
		}
		i += san_decode(p + i, n - i, &cp);
		cls = san_classify(cp);
		if (cls == SAN_KEEP)
			continue;
		/* U+2028/9 are SAN_NEWLINE too, but become '\n'. */
		if (cls == SAN_NEWLINE && cp == '\n' && (flags & SAN_MULTILINE))
			continue;
		return false;
	}
	return true;
}
