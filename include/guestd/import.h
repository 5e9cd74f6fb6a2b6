/* SPDX-License-Identifier: MIT */
/* Bulk import, the pure part: NDJSON lines out of a byte stream, and one line checked and
 * normalized by the rules of POST /v1/guests and the section POSTs (no I/O). */
#ifndef GUESTD_IMPORT_H
#define GUESTD_IMPORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "guestd/date.h"
#include "guestd/error.h"

#define GD_IMPORT_MAX_LINE (1024 * 1024)  /* a longer line is rejected; the import goes on */
#define GD_IMPORT_MAX_ITEMS 1000          /* section items per line, per section */
#define GD_IMPORT_DEFAULT_BATCH 1000      /* lines per transaction (guestd import) */
#define GD_IMPORT_MAX_BATCH_BYTES (8 * 1024 * 1024) /* a batch of long lines is written early */
/* The planner statistics of the import's tables are refreshed (sql/0014) once this many guests
 * were created, again each time that count doubles, and at the end when at least
 * GD_IMPORT_ANALYZE_END were created since the last refresh. Each refresh costs ~0.3 s, and
 * below ~50,000 rows the plans made for empty tables are as good. */
#define GD_IMPORT_ANALYZE_FIRST 50000
#define GD_IMPORT_ANALYZE_END 10000
/* POST /v1/guests/import: a batch must end well within the server's statement timeout (4 s by
 * default) even on a loaded machine, where 1000 lines with their triggers took about 1 s */
#define GD_IMPORT_HTTP_BATCH 500

/*
 * Splits a byte stream into lines of at most max_line bytes, in constant memory: bytes arrive in
 * chunks of any size (a line may span many), a line ends at "\n", a "\r" before it is dropped,
 * a UTF-8 byte order mark at the start of the stream is skipped. Empty lines (also
 * whitespace-only ones) are skipped but counted, so numbers are the file's line numbers.
 * A line longer than max_line is reported once, with line NULL and its length, and skipped.
 */
typedef int (*gd_line_fn)(void *ctx, unsigned long long lineno, const char *line, size_t len);
struct gd_lines {
        char *buf; /* max_line bytes, owned */
        size_t len, max_line;
        unsigned long long lineno;   /* the line being read, from 1 */
        unsigned long long overlong; /* bytes of the current line when it is past max_line, else 0 */
        unsigned long long bytes;    /* read so far */
};
/* false on allocation failure. */
bool gd_lines_init(struct gd_lines *s, size_t max_line);
void gd_lines_clear(struct gd_lines *s);
/* Calls fn for each complete line; stops and returns fn's value when it is non-zero. */
int gd_lines_feed(struct gd_lines *s, const char *data, size_t len, gd_line_fn fn, void *ctx);
/* The last line when the stream does not end with "\n". */
int gd_lines_finish(struct gd_lines *s, gd_line_fn fn, void *ctx);

/* Sections a line may carry, by their member names: the item representations of the section POSTs. */
extern const char *const gd_import_section_members[];

/*
 * Checks one line: a JSON object holding a guest as POST /v1/guests takes it, with at least one
 * external reference (the key of the upsert), and optionally the members of
 * gd_import_section_members, each an array of items as the section's POST takes them.
 * On success *ret_item is a new object {"n", "guest" (normalized), "absent" (the writable members
 * the line left out: an update keeps their stored values), "sections" (normalized items)}.
 * Errors: GD_ERR_BAD_JSON (not JSON), GD_ERR_INVALID with every broken field as a JSON pointer
 * into the line ("/stays/0/check_out").
 */
enum gd_err gd_import_line(const char *line, size_t len, unsigned long long n, time_t now,
                           json_t **ret_item, struct gd_error *reterr);

#endif
