/* core/mime.h: a mail message turned into a display model (GMime), decrypted and verified via core/crypto. */
#ifndef EMBARGO_MIME_H
#define EMBARGO_MIME_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <glib.h>

#include "core/crypto.h"
#include "core/error.h"

/* Limits past which a part is replaced by a placeholder (never a failure of the whole message). */
struct mime_limits {
	int max_depth;        /* MIME nesting; default 32 */
	int max_parts;        /* leaf parts shown; default 1000 */
	size_t max_part_size; /* decoded bytes per text part; default 4 MiB */
	size_t max_total;     /* decoded bytes per message; default 16 MiB */
	size_t max_file;      /* bytes read from the message file; default 64 MiB */
};
void mime_limits_default(struct mime_limits *lim);

enum block_type {
	BLOCK_TEXT,        /* text to show (text/plain, or reduced text/html) */
	BLOCK_ATTACHMENT,  /* an attachment: name, type, size */
	BLOCK_NOTICE,      /* something embargo says in place of a part (limit hit, cannot decrypt, ...) */
};

/*
 * One displayed piece of a message.  Text is UTF-8 but NOT sanitised: it
 * comes from mail and must pass core/sanitize before output.
 */
struct mime_block {
	enum block_type type;
	char *text;        /* BLOCK_TEXT: body text; BLOCK_NOTICE: the notice */
	char *filename;    /* BLOCK_ATTACHMENT: name from the mail (untrusted), may be NULL */
	char *content_type;/* e.g. "application/pdf" */
	size_t size;       /* decoded size in bytes */
	bool encrypted;    /* came out of an encrypted part */
	int sig_index;     /* index into message_view.signatures covering it, -1 when unsigned */
	bool from_html;    /* text reduced from text/html */
	bool forwarded;    /* inside a message/rfc822 (another conversation) */
};

/* What was verified for the message as a whole (INTERFACE.md "signature"). */
struct message_view {
	char *msgid;       /* without <> */
	char *from;        /* raw From header, decoded (RFC 2047) */
	char *from_addr;   /* address of the first From mailbox, lower-cased; NULL if none */
	int from_mailboxes;/* number of mailboxes in From (across duplicate From headers) */
	int from_headers;  /* number of From headers */
	char *sender;      /* Sender header, or NULL */
	char *to;
	char *cc;
	char *reply_to;
	char *subject;     /* outer Subject */
	char *protected_subject; /* Subject inside the encrypted part (protected headers), or NULL */
	char *date_header;
	time_t date;
	char *in_reply_to;
	char *references;
	GPtrArray *auth_results; /* Authentication-Results header values (char *) */

	bool encrypted;    /* the message or a part was encrypted */
	bool decrypted;    /* every encrypted part could be decrypted */
	char *decrypt_error; /* why not, when !decrypted (first reason), else NULL */

	GPtrArray *signatures; /* struct crypto_signature *, every signature seen */
	/* Summary for the whole message: */
	enum sig_status sig_status;     /* SIG_NONE when nothing was signed */
	int sig_best;                   /* index of the signature summarised, -1 if none */
	bool sig_partial;               /* a valid signature covers only some displayed parts */
	bool sig_matches_from;          /* some good signer uid carries from_addr */

	GPtrArray *blocks; /* struct mime_block *, in display order */
};

void message_view_free(struct message_view *mv);

/*
 * Reads the message at PATH and builds its view: headers, text (decoded to
 * UTF-8 from any declared charset; HTML reduced to text without fetching
 * anything), attachments listed, PGP/MIME and inline PGP decrypted and
 * verified with CRYPTO (may be NULL: encrypted parts then show a notice).
 * Plaintext stays in memory.  Fails only when the file cannot be read at all.
 */
int mime_view_file(struct crypto *crypto, const char *path,
    const struct mime_limits *lim, struct message_view **out,
    struct error *err);

/* The same from bytes in memory. */
int mime_view_bytes(struct crypto *crypto, const char *data, size_t len,
    const struct mime_limits *lim, struct message_view **out,
    struct error *err);

/*
 * The message body as one display text (not yet sanitised): text blocks in
 * order, attachments as "[attachment: name, type, size]" lines, notices as
 * "[notice]" lines, each block separated by a blank line.  New string (g_free).
 */
char *message_view_body(const struct message_view *mv);

#endif
