/* tests/test_sanitize.c: hostile text in, display-safe text out. */
#include "build-config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include <time.h>

#include <glib.h>

#include "core/sanitize.h"

#define ESC_ SAN_MARK_ESCAPE
#define CTL_ SAN_MARK_CONTROL
#define BIDI_ SAN_MARK_BIDI
#define ZW_ SAN_MARK_ZW
#define NUL_ SAN_MARK_NUL

/* Code points that must never reach the output, whatever the input. */
static bool
forbidden_cp(gunichar c, enum sanitize_flags flags)
{
	if (c == '\n')
		return !(flags & SAN_MULTILINE);
	if (c < 0x20 || (c >= 0x7f && c <= 0x9f))
		return true;
	if (c == 0x061c || c == 0x180e || (c >= 0x200b && c <= 0x200f) ||
	    (c >= 0x2028 && c <= 0x202e) || (c >= 0x2060 && c <= 0x206f) ||
	    c == 0x3164 || c == 0xfeff || (c >= 0xfff9 && c <= 0xfffb) ||
	    c == 0xffa0)
		return true;
	return c >= 0xe0000 && c <= 0xe007f;
}

/* The output contract, checked on every output of every test. */
static void
assert_output_safe(const char *out, enum sanitize_flags flags)
{
	const char *p;
	char *again;

	assert_non_null(out);
	assert_true(g_utf8_validate(out, -1, NULL));
	for (p = out; *p != '\0'; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		if (forbidden_cp(c, flags))
			fail_msg("forbidden U+%04X at offset %td in \"%s\"",
			    (unsigned int)c, p - out, out);
	}
	/* Idempotent, and sanitize_is_safe agrees. */
	assert_true(sanitize_is_safe(out, flags));
	again = sanitize_text(out, -1, flags);
	assert_string_equal(again, out);
	g_free(again);
}

/*
 * Sanitize IN (LEN bytes, or a C string if LEN < 0), compare with WANT and
 * check the contract, including that sanitize_is_safe(IN) holds exactly
 * when the output equals the input.
 */
static void
expect_san(const char *in, long len, enum sanitize_flags flags,
    const char *want)
{
	size_t n = len < 0 ? strlen(in) : (size_t)len;
	char *out = sanitize_text(in, len, flags);
	char *copy;

	if (strcmp(out, want) != 0)
		fail_msg("sanitize(\"%s\") gave \"%s\", expected \"%s\"",
		    g_strescape(in, NULL), g_strescape(out, NULL),
		    g_strescape(want, NULL));
	assert_output_safe(out, flags);
	if (memchr(in, '\0', n) == NULL) {
		copy = g_strndup(in, n);
		assert_int_equal(sanitize_is_safe(copy, flags),
		    strcmp(out, copy) == 0);
		g_free(copy);
	}
	g_free(out);
}

/* Same in both modes (text without newlines or tabs). */
static void
expect_both(const char *in, const char *want)
{
	expect_san(in, -1, SAN_LINE, want);
	expect_san(in, -1, SAN_MULTILINE, want);
}

static void
test_ascii_unchanged(void **state)
{
	char all[0x7f - 0x20 + 1];
	int i;

	(void)state;
	for (i = 0x20; i < 0x7f; i++)
		all[i - 0x20] = (char)i;
	all[sizeof all - 1] = '\0';
	expect_both(all, all);
	expect_both("", "");
	expect_both("Re: [oss-security] CVE-2024-1234 in libfoo",
	    "Re: [oss-security] CVE-2024-1234 in libfoo");
	expect_san("two\nlines\n", -1, SAN_MULTILINE, "two\nlines\n");
	assert_true(sanitize_is_safe("plain", SAN_LINE));
	assert_true(sanitize_is_safe("a\nb", SAN_MULTILINE));
	assert_false(sanitize_is_safe("a\nb", SAN_LINE));
}

static void
test_utf8_unchanged(void **state)
{
	(void)state;
	expect_both("Grüße 日本語 ✓", "Grüße 日本語 ✓");
	/* e + COMBINING ACUTE, a + COMBINING RING, Hangul jamo sequence */
	expect_both("Cafe\xcc\x81 a\xcc\x8a \xe1\x84\x92\xe1\x85\xa1",
	    "Cafe\xcc\x81 a\xcc\x8a \xe1\x84\x92\xe1\x85\xa1");
	/* 4-byte forms, the last code point, the edges around surrogates */
	expect_both("\xf0\x9f\x94\x90 \xf4\x8f\xbf\xbf \xed\x9f\xbf \xee\x80\x80",
	    "\xf0\x9f\x94\x90 \xf4\x8f\xbf\xbf \xed\x9f\xbf \xee\x80\x80");
	/* U+00A0 (first code point past C1), soft hyphen stays */
	expect_both("no\xc2\xa0" "break in\xc2\xad" "visible",
	    "no\xc2\xa0" "break in\xc2\xad" "visible");
	/* RTL text itself is fine: only the controls are removed */
	expect_both("\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d", "\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d");
}

static void
test_markers_pass_unchanged(void **state)
{
	const char *all = ESC_ CTL_ BIDI_ ZW_ NUL_;

	(void)state;
	expect_both(all, all);
	assert_true(sanitize_is_safe(all, SAN_LINE));
}

static void
test_csi_cursor_and_clear(void **state)
{
	(void)state;
	expect_both("\x1b[2J\x1b[H", ESC_ ESC_);
	expect_both("a\x1b[10;20Hb", "a" ESC_ "b");
	expect_both("\x1b[A\x1b[5B\x1b[3C\x1b[D\x1b[K", ESC_ ESC_ ESC_ ESC_ ESC_);
	/* private parameters, intermediates */
	expect_both("x\x1b[?25l\x1b[?1049hy\x1b[1 qz", "x" ESC_ ESC_ "y" ESC_ "z");
}

static void
test_csi_sgr(void **state)
{
	(void)state;
	expect_both("\x1b[1;31mred\x1b[0m", ESC_ "red" ESC_);
	expect_both("\x1b[38;5;196mX\x1b[38:2::255:0:0mY\x1b[m",
	    ESC_ "X" ESC_ "Y" ESC_);
	/* fake "good signature" in green: the colour goes, the text stays */
	expect_both("\x1b[32mGood signature\x1b[39m",
	    ESC_ "Good signature" ESC_);
}

static void
test_osc_title_bel(void **state)
{
	(void)state;
	expect_both("a\x1b]0;pwned\x07z", "a" ESC_ "z");
	expect_both("a\x1b]2;evil title\x07z", "a" ESC_ "z");
	/* a title query (the terminal would answer into the input) */
	expect_both("\x1b[21t\x1b]l?\x1b\\", ESC_ ESC_);
}

static void
test_osc_title_st(void **state)
{
	(void)state;
	expect_both("a\x1b]0;pwned\x1b\\z", "a" ESC_ "z");
	expect_both("a\x1b]2;t\x9cz", "a" ESC_ "z");           /* raw ST */
	expect_both("a\x1b]2;t\xc2\x9cz", "a" ESC_ "z");       /* U+009C */
	/* a valid character whose encoding contains 0x9c does not end it */
	expect_both("a\x1b]2;\xe2\x9c\x93\x07z", "a" ESC_ "z");
}

static void
test_osc52_clipboard(void **state)
{
	(void)state;
	expect_both("copy\x1b]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaA==\x07me",
	    "copy" ESC_ "me");
	expect_both("\x1b]52;p;?\x1b\\", ESC_);
}

static void
test_osc8_hyperlink(void **state)
{
	(void)state;
	expect_both("see \x1b]8;;https://evil.example/\x1b\\"
		    "https://good.example/\x1b]8;;\x1b\\ now",
	    "see " ESC_ "https://good.example/" ESC_ " now");
	expect_both("\x1b]8;id=1;http://x\x07link\x1b]8;;\x07",
	    ESC_ "link" ESC_);
}

static void
test_string_sequences(void **state)
{
	(void)state;
	/* DCS (DECRQSS, tmux passthrough), APC, PM, SOS */
	expect_both("a\x1bP$qm\x1b\\z", "a" ESC_ "z");
	/* tmux passthrough: ESC ESC ends the DCS, each ESC starts a sequence */
	expect_both("a\x1bPtmux;\x1b\x1b]0;x\x07\x1b\\z",
	    "a" ESC_ ESC_ ESC_ ESC_ "z");
	expect_both("a\x1b_Gf=100;AAAA\x1b\\z", "a" ESC_ "z");
	expect_both("a\x1b^private\x1b\\z", "a" ESC_ "z");
	expect_both("a\x1bXstart of string\x1b\\z", "a" ESC_ "z");
	/* BEL ends only an OSC: inside the others it is content */
	expect_both("a\x1bPx\x07y\x1b\\z", "a" ESC_ "z");
	expect_both("a\x1b_x\x07y\x9cz", "a" ESC_ "z");
	/* everything inside goes, newlines and bad bytes included */
	expect_san("a\x1b]0;l1\nl2\r\n\xff\x01\x07z", -1, SAN_MULTILINE,
	    "a" ESC_ "z");
}

static void
test_esc_short_forms(void **state)
{
	(void)state;
	expect_both("a\x1b" "cz", "a" ESC_ "z");       /* RIS: full reset */
	expect_both("a\x1b" "7\x1b" "8z", "a" ESC_ ESC_ "z");
	expect_both("a\x1b(Bz", "a" ESC_ "z");         /* charset */
	expect_both("a\x1b(0lqkz", "a" ESC_ "lqkz");   /* DEC graphics */
	expect_both("a\x1b#8z", "a" ESC_ "z");         /* DECALN */
	expect_both("a\x1b%Gz", "a" ESC_ "z");
	expect_both("a\x1b=\x1b>z", "a" ESC_ ESC_ "z");
	expect_both("a\x1b\\z", "a" ESC_ "z");         /* stray ST */
	expect_both("a\x1b\xc3\xa9z", "a" ESC_ "z");   /* ESC + any char */
	/* ESC ESC: the first is cancelled, the second starts a CSI */
	expect_both("a\x1b\x1b[2Jz", "a" ESC_ ESC_ "z");
}

static void
test_c1_raw_bytes(void **state)
{
	(void)state;
	expect_both("a\x9b" "2Jz", "a" ESC_ "z");
	expect_both("a\x9b" "1;31mred\x9b" "0mz", "a" ESC_ "red" ESC_ "z");
	expect_both("a\x9d" "0;title\x07z", "a" ESC_ "z");
	expect_both("a\x9d" "52;c;eA==\x9cz", "a" ESC_ "z");
	expect_both("a\x90" "$q\x9cz", "a" ESC_ "z");
	expect_both("a\x9f" "apc\x9cz", "a" ESC_ "z");
	expect_both("a\x9epm\x9cz", "a" ESC_ "z");
	expect_both("a\x98sos\x1b\\z", "a" ESC_ "z");
	/* other C1 bytes, and ST outside a string: one marker each */
	expect_both("a\x80\x85\x8d\x9cz", "a" CTL_ CTL_ CTL_ CTL_ "z");
}

static void
test_c1_utf8_encoded(void **state)
{
	(void)state;
	expect_both("a\xc2\x9b" "2Jz", "a" ESC_ "z");
	expect_both("a\xc2\x9d" "0;t\xc2\x9cz", "a" ESC_ "z");
	expect_both("a\xc2\x90q\xc2\x9cz", "a" ESC_ "z");
	expect_both("a\xc2\x9f" "x\x1b\\z", "a" ESC_ "z");
	expect_both("a\xc2\x9ex\x9cz", "a" ESC_ "z");
	expect_both("a\xc2\x98x\x9cz", "a" ESC_ "z");
	expect_both("a\xc2\x80\xc2\x85\xc2\x8e\xc2\x9cz", "a" CTL_ CTL_ CTL_ CTL_ "z");
}

static void
test_unterminated(void **state)
{
	(void)state;
	expect_both("x\x1b", "x" ESC_);
	expect_both("x\x1b[", "x" ESC_);
	expect_both("x\x1b[12;", "x" ESC_);
	expect_both("x\x1b(", "x" ESC_);
	expect_both("x\x1b]0;title to the end", "x" ESC_);
	expect_both("x\x1bPdcs", "x" ESC_);
	expect_both("x\x1b]0;title\x1b", "x" ESC_);
	expect_both("x\x9b", "x" ESC_);
	expect_both("x\xc2\x9d" "0;t", "x" ESC_);
	/* a string swallows the rest of the text, as a terminal would */
	expect_san("x\x1b]0;a\nsecond line\n", -1, SAN_MULTILINE, "x" ESC_);
}

static void
test_sequence_cut_short(void **state)
{
	(void)state;
	/* ESC inside a string ends it and starts a sequence of its own */
	expect_both("a\x1b]0;t\x1b[2Jz", "a" ESC_ ESC_ "z");
	expect_both("a\x1b]0;t\x1b" "cz", "a" ESC_ ESC_ "z");
	/* a control or non-ASCII character ends a CSI and is shown */
	expect_san("a\x1b[2\nJ", -1, SAN_MULTILINE, "a" ESC_ "\nJ");
	expect_san("a\x1b[2\nJ", -1, SAN_LINE, "a" ESC_ " J");
	expect_both("a\x1b[1\x01m", "a" ESC_ CTL_ "m");
	expect_both("a\x1b[1\xc3\xa9m", "a" ESC_ "\xc3\xa9m");
	expect_both("a\x1b[1\xffm", "a" ESC_ CTL_ "m");
	expect_both("a\x1b[1\x1b[2mz", "a" ESC_ ESC_ "z");
	expect_both("a\x1b[1\x9b" "2mz", "a" ESC_ ESC_ "z");
	expect_both("a\x1b(\x01z", "a" ESC_ CTL_ "z");
	expect_both("a\x1b\x01z", "a" ESC_ CTL_ "z");
	/* a bidi control after ESC is not swallowed but shown */
	expect_both("a\x1b\xe2\x80\xaez", "a" ESC_ BIDI_ "z");
}

static void
test_nul_bytes(void **state)
{
	static const char in[] = "a\0b\0\0c";

	(void)state;
	expect_san(in, sizeof in - 1, SAN_LINE, "a" NUL_ "b" NUL_ NUL_ "c");
	expect_san(in, sizeof in, SAN_LINE, "a" NUL_ "b" NUL_ NUL_ "c" NUL_);
	expect_san("\0", 1, SAN_MULTILINE, NUL_);
	/* LEN -1: a C string, ends at the first NUL */
	expect_san(in, -1, SAN_LINE, "a");
	/* LEN shorter than the string: only that much is read */
	expect_san("abcdef", 3, SAN_LINE, "abc");
	expect_san("ab\xe2\x9c\x93", 4, SAN_LINE, "ab" CTL_ CTL_);
	expect_san("", 0, SAN_LINE, "");
}

static void
test_null_pointer(void **state)
{
	char *out;

	(void)state;
	out = sanitize_text(NULL, -1, SAN_LINE);
	assert_string_equal(out, "");
	g_free(out);
	out = sanitize_text(NULL, 5, SAN_MULTILINE);
	assert_string_equal(out, "");
	g_free(out);
	assert_true(sanitize_is_safe(NULL, SAN_LINE));
}

static void
test_invalid_utf8(void **state)
{
	(void)state;
	expect_both("a\xc0\x80z", "a" CTL_ CTL_ "z");            /* overlong NUL */
	expect_both("a\xc1\xbfz", "a" CTL_ CTL_ "z");            /* overlong DEL */
	expect_both("a\xe0\x80\x80z", "a" CTL_ CTL_ CTL_ "z");   /* overlong */
	expect_both("a\xe0\x9f\xbfz", "a" CTL_ CTL_ CTL_ "z");   /* overlong */
	expect_both("a\xf0\x80\x80\x80z", "a" CTL_ CTL_ CTL_ CTL_ "z");
	expect_both("a\xf0\x8f\xbf\xbfz", "a" CTL_ CTL_ CTL_ CTL_ "z");
	expect_both("a\xed\xa0\x80z", "a" CTL_ CTL_ CTL_ "z");   /* U+D800 */
	expect_both("a\xed\xbf\xbfz", "a" CTL_ CTL_ CTL_ "z");   /* U+DFFF */
	/* above U+10FFFF */
	expect_both("a\xf4\x90\x80\x80", "a" CTL_ CTL_ CTL_ CTL_);
	expect_both("a\xf4\x90\x80\x80z", "a" CTL_ CTL_ CTL_ CTL_ "z");
	expect_both("a\xf7\xbf\xbf\xbfz", "a" CTL_ CTL_ CTL_ CTL_ "z");
	expect_both("a\xf4\xa0\x80\x80z", "a" CTL_ CTL_ CTL_ CTL_ "z");
	expect_both("a\xf5\x80\x80\x80z", "a" CTL_ CTL_ CTL_ CTL_ "z");
	expect_both("a\x80z", "a" CTL_ "z");                     /* lone cont. */
	expect_both("a\xbfz", "a" CTL_ "z");
	expect_both("a\xffz", "a" CTL_ "z");
	expect_both("a\xfe\xff", "a" CTL_ CTL_);
	/* truncated: at the end, and cut by ASCII or a new lead byte */
	expect_both("a\xe2\x9c", "a" CTL_ CTL_);
	expect_both("a\xe2", "a" CTL_);
	expect_both("a\xf0\x9f\x94z", "a" CTL_ CTL_ CTL_ "z");
	expect_both("a\xe2\x82z", "a" CTL_ CTL_ "z");
	expect_both("a\xc3\xc3\xa9z", "a" CTL_ "\xc3\xa9z");
	expect_both("a\xe2\xe2\x9c\x93z", "a" CTL_ "\xe2\x9c\x93z");
	/* a continuation byte of a bad sequence is not a C1 control */
	expect_both("a\xe2\x9b" "2Jz", "a" CTL_ CTL_ "2Jz");
	expect_both("a\xf0\x9f\x94" "b", "a" CTL_ CTL_ CTL_ "b");
	/* but one after a complete character is */
	expect_both("\xc3\xa9\x9b" "2Jz", "\xc3\xa9" ESC_ "z");
}

static void
test_c0_controls_and_del(void **state)
{
	char in[4];
	int c;

	(void)state;
	for (c = 1; c < 0x20; c++) {
		if (c == '\t' || c == '\n' || c == '\r' || c == 0x1b)
			continue;
		in[0] = 'a';
		in[1] = (char)c;
		in[2] = 'z';
		in[3] = '\0';
		expect_both(in, "a" CTL_ "z");
	}
	expect_both("a\x7fz", "a" CTL_ "z");
	expect_both("\x07\x08\x08\x08safe", CTL_ CTL_ CTL_ CTL_ "safe");
}

static void
test_c1_all_code_points(void **state)
{
	char in[8];
	int c;

	(void)state;
	/* every C1 that does not introduce a sequence, raw and encoded */
	for (c = 0x80; c <= 0x9f; c++) {
		if (c == 0x90 || c == 0x98 || c == 0x9b || c == 0x9d ||
		    c == 0x9e || c == 0x9f)
			continue;
		g_snprintf(in, sizeof in, "a%cz", c);
		expect_both(in, "a" CTL_ "z");
		g_snprintf(in, sizeof in, "a%c%cz", 0xc2, c);
		expect_both(in, "a" CTL_ "z");
	}
}

static void
test_bidi_controls(void **state)
{
	static const char *const bidi[] = {
	    "\xd8\x9c",     "\xe2\x80\x8e", "\xe2\x80\x8f", "\xe2\x80\xaa",
	    "\xe2\x80\xab", "\xe2\x80\xac", "\xe2\x80\xad", "\xe2\x80\xae",
	    "\xe2\x81\xa6", "\xe2\x81\xa7", "\xe2\x81\xa8", "\xe2\x81\xa9",
	};
	char *in;
	size_t i;

	(void)state;
	/* RLO: "evil<RLO>txt.exe" would display as "evilexe.txt" */
	expect_both("evil\xe2\x80\xaetxt.exe", "evil" BIDI_ "txt.exe");
	expect_both("From: \xe2\x81\xa7" "admin\xe2\x81\xa9",
	    "From: " BIDI_ "admin" BIDI_);
	for (i = 0; i < G_N_ELEMENTS(bidi); i++) {
		in = g_strdup_printf("a%sz", bidi[i]);
		expect_both(in, "a" BIDI_ "z");
		g_free(in);
	}
}

static void
test_zero_width(void **state)
{
	static const char *const zw[] = {
	    "\xe2\x80\x8b", "\xe2\x80\x8c", "\xe2\x80\x8d", "\xe2\x81\xa0",
	    "\xef\xbb\xbf", "\xe1\xa0\x8e", "\xe2\x81\xa1", "\xe2\x81\xa4",
	    "\xe2\x81\xaa", "\xe2\x81\xaf", "\xef\xbf\xb9", "\xef\xbf\xbb",
	    "\xe2\x81\xa5", "\xe3\x85\xa4", "\xef\xbe\xa0",
	};
	char *in;
	size_t i;

	(void)state;
	expect_both("pay\xe2\x80\x8bpal.com", "pay" ZW_ "pal.com");
	expect_both("\xef\xbb\xbfSubject", ZW_ "Subject");
	for (i = 0; i < G_N_ELEMENTS(zw); i++) {
		in = g_strdup_printf("a%sz", zw[i]);
		expect_both(in, "a" ZW_ "z");
		g_free(in);
	}
	/* neighbours that are visible stay: U+2070, U+FFFC, U+3165 */
	expect_both("a\xe2\x81\xb0z", "a\xe2\x81\xb0z");
	expect_both("a\xef\xbf\xbcz", "a\xef\xbf\xbcz");
	expect_both("a\xe3\x85\xa5z", "a\xe3\x85\xa5z");
}

static void
test_tag_characters(void **state)
{
	(void)state;
	/* "hi" in tag characters: invisible text */
	expect_both("a\xf3\xa0\x81\xa8\xf3\xa0\x81\xa9z", "a" CTL_ CTL_ "z");
	expect_both("a\xf3\xa0\x80\x80\xf3\xa0\x81\xbfz", "a" CTL_ CTL_ "z");
	/* just outside the block: variation selectors supplement, kept */
	expect_both("a\xf3\xa0\x84\x80z", "a\xf3\xa0\x84\x80z");
}

static void
test_line_separators(void **state)
{
	(void)state;
	expect_san("a\xe2\x80\xa8" "b\xe2\x80\xa9" "c", -1, SAN_MULTILINE,
	    "a\nb\nc");
	expect_san("a\xe2\x80\xa8" "b\xe2\x80\xa9" "c", -1, SAN_LINE, "a b c");
	/* the column restarts after one */
	expect_san("abc\xe2\x80\xa8\tx", -1, SAN_MULTILINE, "abc\n        x");
}

static void
test_tabs_multiline(void **state)
{
	(void)state;
	expect_san("a\tb", -1, SAN_MULTILINE, "a       b");
	expect_san("\tx", -1, SAN_MULTILINE, "        x");
	expect_san("1234567\tx", -1, SAN_MULTILINE, "1234567 x");
	expect_san("12345678\tx", -1, SAN_MULTILINE, "12345678        x");
	expect_san("a\t\tb", -1, SAN_MULTILINE, "a               b");
	expect_san("ab\ncd\tx", -1, SAN_MULTILINE, "ab\ncd      x");
	/* wide characters count two columns, combining marks none */
	expect_san("日本\tx", -1, SAN_MULTILINE, "日本    x");
	expect_san("e\xcc\x81\tx", -1, SAN_MULTILINE, "e\xcc\x81       x");
	expect_san("ü\tx", -1, SAN_MULTILINE, "ü       x");
	/* a marker is one column; a removed sequence leaves only its marker */
	expect_san("\x01\tx", -1, SAN_MULTILINE, CTL_ "       x");
	expect_san("\x1b[31m\tx", -1, SAN_MULTILINE, ESC_ "       x");
	expect_san("ab\r\n\tx", -1, SAN_MULTILINE, "ab\n        x");
}

static void
test_tabs_line(void **state)
{
	(void)state;
	expect_san("a\tb", -1, SAN_LINE, "a b");
	expect_san("a\t\tb", -1, SAN_LINE, "a  b");
	expect_san("12345678\tx", -1, SAN_LINE, "12345678 x");
	assert_false(sanitize_is_safe("a\tb", SAN_LINE));
	assert_false(sanitize_is_safe("a\tb", SAN_MULTILINE));
}

static void
test_carriage_returns(void **state)
{
	(void)state;
	expect_san("a\r\nb\r\n", -1, SAN_MULTILINE, "a\nb\n");
	expect_san("a\r\nb", -1, SAN_LINE, "a b");
	/* a lone CR is dropped: it would let a line overwrite itself */
	expect_san("Good signature\rBad ", -1, SAN_MULTILINE,
	    "Good signatureBad ");
	expect_san("a\r\r\nb", -1, SAN_MULTILINE, "a\nb");
	expect_san("\r", -1, SAN_LINE, "");
}

static void
test_line_mode_newlines(void **state)
{
	(void)state;
	expect_san("Subject: hi\nBcc: victim@example.org", -1, SAN_LINE,
	    "Subject: hi Bcc: victim@example.org");
	expect_san("\n\n", -1, SAN_LINE, "  ");
	expect_san("\n\n", -1, SAN_MULTILINE, "\n\n");
}

static uint64_t
prng_next(uint64_t *s)
{
	/* xorshift64*: deterministic, good enough to shake the state machine */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * UINT64_C(2685821657736338717);
}

/* Random bytes, biased towards the ones that drive the state machine. */
static size_t
random_input(uint64_t *seed, char *buf, size_t max)
{
	static const unsigned char hot[] = {
	    0x1b, '[', ']', '\\', 'P', '_', '^', 'X', '(', '0', ';', 'm', 'A',
	    0x07, '\n', '\r', '\t', 0x00, 0x7f, 0x90, 0x98, 0x9b, 0x9c, 0x9d,
	    0x9e, 0x9f, 0x80, 0xbf, 0xc2, 0xc3, 0xe0, 0xe2, 0xed, 0xef, 0xf0,
	    0xf3, 0xf4, 0xa0, 0x80, 0x81, 0xae, 0xa8, 0x8b, 0xff,
	};
	size_t n = prng_next(seed) % max, i;
	uint64_t r;

	for (i = 0; i < n; i++) {
		r = prng_next(seed);
		if (r & 1)
			buf[i] = (char)hot[(r >> 8) % sizeof hot];
		else
			buf[i] = (char)(r >> 16);
	}
	return n;
}

static void
test_property_random(void **state)
{
	uint64_t seed = UINT64_C(0x5eed5a417e);
	char buf[96], *out, *cstr;
	size_t n;
	int round;

	(void)state;
	for (round = 0; round < 4000; round++) {
		enum sanitize_flags flags = round % 2 ? SAN_MULTILINE : SAN_LINE;

		n = random_input(&seed, buf, sizeof buf);
		out = sanitize_text(buf, (long)n, flags);
		assert_output_safe(out, flags);
		/* at most 8 output bytes per input byte (a tab) */
		assert_true(strlen(out) <= 8 * n);
		g_free(out);

		/* the same bytes as a C string: is_safe iff unchanged */
		cstr = g_strndup(buf, n);
		out = sanitize_text(cstr, -1, flags);
		assert_output_safe(out, flags);
		assert_int_equal(sanitize_is_safe(cstr, flags),
		    strcmp(out, cstr) == 0);
		g_free(out);
		g_free(cstr);
	}
}

/*
 * Without controls, the output equals the input exactly when GLib calls it
 * valid UTF-8 and it holds no code point from the list: an independent
 * check of the strict decoder.
 */
static void
test_property_decoder_agrees_with_glib(void **state)
{
	uint64_t seed = UINT64_C(0xdec0de);
	char buf[24], *out;
	const char *p;
	bool want_same;
	size_t n, i;
	int round;

	(void)state;
	for (round = 0; round < 20000; round++) {
		n = 1 + prng_next(&seed) % (sizeof buf - 1);
		for (i = 0; i < n; i++) {
			uint64_t r = prng_next(&seed);

			/* letters and bytes >= 0x80, never C0 or NUL */
			buf[i] = (char)(r & 3 ? 0x80 | (r >> 8) : 'a' + (r >> 8) % 26);
		}
		buf[n] = '\0';
		want_same = g_utf8_validate(buf, (gssize)n, NULL);
		for (p = buf; want_same && *p != '\0'; p = g_utf8_next_char(p))
			if (forbidden_cp(g_utf8_get_char(p), SAN_LINE))
				want_same = false;
		out = sanitize_text(buf, (long)n, SAN_LINE);
		assert_int_equal(strcmp(out, buf) == 0, want_same);
		assert_int_equal(sanitize_is_safe(buf, SAN_LINE), want_same);
		assert_output_safe(out, SAN_LINE);
		g_free(out);
	}
}

static double
seconds_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) +
	    (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/*
 * 50 MiB of hostile text in one call: linear, bounded output.  Three
 * shapes: a normal body with escapes sprinkled in, unterminated CSI
 * openers (quadratic if each rescanned ahead), and one unterminated OSC.
 */
static void
test_large_input_linear(void **state)
{
	static const char chunk[] =
	    "Hello \x1b[31mworld\x1b[0m\tGr\xc3\xbc\xc3\x9f" "e \xe2\x80\xae"
	    "\x9b" "2J\xff\n";
	const size_t size = 50u << 20;
	struct timespec t0;
	char *big, *out;
	size_t i, n = sizeof chunk - 1;

	(void)state;
	big = g_malloc(size + 1);
	for (i = 0; i + n <= size; i += n)
		memcpy(big + i, chunk, n);
	memset(big + i, 'x', size - i);
	big[size] = '\0';

	clock_gettime(CLOCK_MONOTONIC, &t0);
	out = sanitize_text(big, (long)size, SAN_MULTILINE);
	assert_true(g_utf8_validate(out, -1, NULL));
	assert_null(strchr(out, 0x1b));
	assert_true(strlen(out) <= 8 * size);
	g_free(out);

	for (i = 0; i + 2 <= size; i += 2)
		memcpy(big + i, "\x1b[", 2);
	out = sanitize_text(big, (long)size, SAN_LINE);
	assert_int_equal(strlen(out), size / 2 * 3);
	g_free(out);

	memcpy(big, "\x1b]0;", 4);
	memset(big + 4, 'a', size - 4);
	out = sanitize_text(big, (long)size, SAN_LINE);
	assert_string_equal(out, ESC_);
	g_free(out);
	assert_false(sanitize_is_safe(big, SAN_LINE));
	/* generous: linear takes well under a second, valgrind included-ish */
	assert_true(seconds_since(&t0) < 120.0);
	g_free(big);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ascii_unchanged),
	    cmocka_unit_test(test_utf8_unchanged),
	    cmocka_unit_test(test_markers_pass_unchanged),
	    cmocka_unit_test(test_csi_cursor_and_clear),
	    cmocka_unit_test(test_csi_sgr),
	    cmocka_unit_test(test_osc_title_bel),
	    cmocka_unit_test(test_osc_title_st),
	    cmocka_unit_test(test_osc52_clipboard),
	    cmocka_unit_test(test_osc8_hyperlink),
	    cmocka_unit_test(test_string_sequences),
	    cmocka_unit_test(test_esc_short_forms),
	    cmocka_unit_test(test_c1_raw_bytes),
	    cmocka_unit_test(test_c1_utf8_encoded),
	    cmocka_unit_test(test_unterminated),
	    cmocka_unit_test(test_sequence_cut_short),
	    cmocka_unit_test(test_nul_bytes),
	    cmocka_unit_test(test_null_pointer),
	    cmocka_unit_test(test_invalid_utf8),
	    cmocka_unit_test(test_c0_controls_and_del),
	    cmocka_unit_test(test_c1_all_code_points),
	    cmocka_unit_test(test_bidi_controls),
	    cmocka_unit_test(test_zero_width),
	    cmocka_unit_test(test_tag_characters),
	    cmocka_unit_test(test_line_separators),
	    cmocka_unit_test(test_tabs_multiline),
	    cmocka_unit_test(test_tabs_line),
	    cmocka_unit_test(test_carriage_returns),
	    cmocka_unit_test(test_line_mode_newlines),
	    cmocka_unit_test(test_property_random),
	    cmocka_unit_test(test_property_decoder_agrees_with_glib),
	    cmocka_unit_test(test_large_input_linear),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
