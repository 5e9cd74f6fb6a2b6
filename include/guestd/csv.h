/* SPDX-License-Identifier: MIT */
/* CSV out (RFC 4180), safe to open in a spreadsheet (pure). */
#ifndef GUESTD_CSV_H
#define GUESTD_CSV_H

#include <stdbool.h>
#include <stddef.h>

/* A growable byte buffer. */
struct gd_strbuf {
        char *data;
        size_t len, cap;
};

bool gd_strbuf_append(struct gd_strbuf *b, const char *s, size_t n);
void gd_strbuf_clear(struct gd_strbuf *b); /* frees the contents */

/*
 * Appends one cell: quoted when it holds a comma, a quote, CR or LF (quotes doubled); a cell
 * starting with = + - @ TAB or CR gets a leading apostrophe first, so a spreadsheet shows it
 * as text instead of running it as a formula.
 */
bool gd_csv_cell(struct gd_strbuf *b, const char *text);

/* Appends the header row of `columns` (NULL-terminated names), CRLF-terminated. */
bool gd_csv_header(struct gd_strbuf *b, const char *const *columns);

#endif
