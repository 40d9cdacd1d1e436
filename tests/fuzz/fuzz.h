/* tests/fuzz/fuzz.h: the libFuzzer entry points, shared by the harnesses and the regression driver. */
#ifndef EMBARGO_FUZZ_H
#define EMBARGO_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/*
 * Each harness defines this.  It returns 0 and calls fuzz_fail() (which
 * aborts) when an invariant breaks, so libFuzzer and the regression driver
 * both see a crash.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Reports a broken invariant on stderr and aborts. */
void fuzz_fail(const char *what) __attribute__((noreturn));

/*
 * Checks that S (LEN bytes) is what sanitize_text() promises: valid UTF-8
 * without C0 controls (but '\n' when MULTILINE), DEL, C1 controls, bidi
 * controls or the zero-width characters it makes visible.  Aborts if not.
 */
void fuzz_check_display_safe(const char *s, size_t len, int multiline);

#endif
