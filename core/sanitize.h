/* core/sanitize.h: untrusted text from mail made safe for a terminal. */
#ifndef EMBARGO_SANITIZE_H
#define EMBARGO_SANITIZE_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Every string that came from mail (headers, bodies, file names, gpg user
 * ids) passes through here before it reaches stdout, JSON or the screen.
 * The result is valid UTF-8 with:
 *  - no C0 control other than '\n' (and only when SAN_MULTILINE), no DEL,
 *    no C1 control (U+0080..U+009F) and no raw 8-bit C1 byte;
 *  - escape sequences (CSI, OSC incl. titles, clipboard and links, DCS, APC,
 *    PM, SOS, and their 8-bit forms) removed whole, with a visible marker;
 *  - bidi controls (U+202A..U+202E, U+2066..U+2069, U+200E/F, U+061C)
 *    replaced by a visible marker, so they cannot reorder the line;
 *  - zero-width characters that can hide text (U+200B..U+200D, U+2060,
 *    U+FEFF) made visible;
 *  - invalid or overlong UTF-8 replaced by U+FFFD;
 *  - tabs expanded to spaces (8-column stops) in multi-line text, a single
 *    space otherwise; CR LF folded to LF, a lone CR dropped.
 *
 * The details, for those who must predict the output exactly:
 *  - UTF-8 is decoded strictly: overlong forms, surrogates (U+D800..DFFF),
 *    values above U+10FFFF and truncated sequences are rejected, and every
 *    byte of a bad sequence becomes one SAN_MARK_CONTROL ("\xe2\x82x"
 *    gives two of them, then "x").  A sequence is a lead byte 0xc0..0xf7
 *    and the continuation bytes 0x80..0xbf it announces, as far as present.
 *  - A stray byte 0x80..0x9F (not part of such a sequence) means what it
 *    would mean to an 8-bit terminal: the C1 control of that value, exactly
 *    like the encoded code point U+0080..U+009F.  So 0x9b and U+009B start a
 *    CSI, 0x9d / U+009D an OSC, 0x90 a DCS, 0x98 a SOS, 0x9e a PM, 0x9f an
 *    APC; any other C1 is a SAN_MARK_CONTROL.
 *  - Each escape sequence is replaced by one SAN_MARK_ESCAPE:
 *    CSI (ESC [ or C1 CSI): parameter and intermediate bytes 0x20..0x3F up
 *    to a final byte 0x40..0x7E;
 *    OSC (ESC ] or C1 OSC): up to BEL or ST;
 *    DCS, SOS, PM, APC (ESC P, ESC X, ESC ^, ESC _ or C1): up to ST;
 *    ST is ESC \, the raw byte 0x9c or U+009C; an unterminated string runs
 *    to the end of the input (all of it removed, as a terminal would);
 *    ESC, intermediates 0x20..0x2F, then a final 0x30..0x7E (ESC ( B);
 *    ESC and any other single printable character (ESC c, ESC 7, ESC é).
 *    Inside a string, an ESC not followed by '\' ends the string and starts
 *    a new sequence (a new marker).  A character that cannot continue a
 *    CSI or an ESC sequence (a control, ESC, a non-ASCII character or
 *    invalid UTF-8) ends it there and is then treated on its own.
 *  - NUL bytes (inside an explicit LEN) become SAN_MARK_NUL.
 *  - Other C0 controls, DEL, C1 controls and the Unicode tag characters
 *    U+E0000..U+E007F (invisible text) become SAN_MARK_CONTROL.
 *  - Every CR is dropped (so CR LF becomes LF and a lone CR disappears,
 *    which joins old Mac-style lines: CR alone cannot be shown safely).
 *  - SAN_MARK_ZW also replaces the other invisible format characters
 *    U+180E, U+2061..U+2065, U+206A..U+206F, U+FFF9..U+FFFB and the
 *    stand-alone Hangul fillers U+3164 and U+FFA0 (blank look-alikes).
 *  - U+2028 and U+2029 (line and paragraph separators) become '\n' in
 *    SAN_MULTILINE and a space in SAN_LINE.  SAN_LINE turns '\n' into a
 *    space too.  Soft hyphens (U+00AD) and combining marks are kept.
 *  - Tab stops count display columns: a wide (East Asian) character counts
 *    2, a combining or zero-width one 0, every marker 1.
 *  - The output is at most 8 times as long as the input (a tab), and the
 *    work is linear in the input.
 * The markers themselves pass unchanged, so sanitizing is idempotent.
 */
enum sanitize_flags {
	SAN_LINE = 0,      /* one line: newlines become spaces */
	SAN_MULTILINE = 1, /* keep '\n' */
};

/*
 * Returns a new NUL-terminated string (g_free).  LEN may be -1 (or any
 * negative value) for a C string; NUL bytes in the input are shown as a
 * marker.  A NULL S gives "".
 */
char *sanitize_text(const char *s, long len, enum sanitize_flags flags);

/*
 * True when S (C string) needs no change: sanitize_text(S, -1, FLAGS) would
 * return the same bytes.  Cheap (no allocation).  NULL counts as "".
 */
bool sanitize_is_safe(const char *s, enum sanitize_flags flags);

/* The markers used in place of what was removed (documented in embargo(1)). */
#define SAN_MARK_ESCAPE "\xe2\x90\x9b"   /* U+241B SYMBOL FOR ESCAPE: an escape sequence was removed */
#define SAN_MARK_CONTROL "\xef\xbf\xbd"  /* U+FFFD: a control byte or invalid UTF-8 */
#define SAN_MARK_BIDI "\xe2\x87\x84"     /* U+21C4: a bidi control */
#define SAN_MARK_ZW "\xe2\x90\xa3"       /* U+2423: a zero-width character */
#define SAN_MARK_NUL "\xe2\x90\x80"      /* U+2400 SYMBOL FOR NULL */

#endif
