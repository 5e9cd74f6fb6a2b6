/* SPDX-License-Identifier: MIT */
/* The request header and query-string checks of the HTTP layer that need no connection: pure
 * functions of the text libmicrohttpd hands over, so the fuzzers (tests/fuzz/) reach them directly. */
#ifndef GUESTD_PARSE_H
#define GUESTD_PARSE_H

#include <stdbool.h>

#include "guestd/cursor.h"

/* Content-Type `header` is the media type `want`, optionally with "; charset=utf-8" (quotes and
 * case allowed), and nothing else. */
bool gd_parse_media_type_is(const char *header, const char *want);

/* A Content-Length value: false when it is not a number (then 400). An overlong number reads as
 * the largest value, so that it is refused as too large (413). */
bool gd_parse_content_length(const char *s, unsigned long long *ret);

/* True when `etag` is in `header`, a comma-separated list of entity tags, or header is "*";
 * weak tags (W/"..") match too when `weak` is set (If-None-Match compares weakly, If-Match
 * strongly). */
bool gd_parse_etag_listed(const char *header, const char *etag, bool weak);

/* If-Match `header` (a comma-separated list of strong entity tags, or "*") allows a write over
 * `version`. Weak tags never match. */
bool gd_parse_if_match(const char *header, long version);

/* The key of an "Authorization: Bearer <key>" header (leading spaces skipped), NULL for any
 * other scheme. The key itself is checked by gd_apikey_prefix(). */
const char *gd_parse_bearer(const char *header);

/* An integer query value (?limit=, ?upcoming_days=): digits only, without a sign, spaces or a
 * leading zero ("0" itself is zero), at most max. */
bool gd_parse_count(const char *s, long max, long *ret);

/* ?limit=: gd_parse_count from 1 to max. */
bool gd_parse_limit(const char *s, int max, int *ret);

/* ?cursor= as made by gd_page_new(): [kind, key, id] where key is a number (a decimal integer
 * that fits 64 bits when integer_key, else a decimal in fixed or
 * exponent notation) and id a lowercase UUID. ret->n = 0 when false. */
bool gd_parse_cursor(const char *s, const char *kind, bool integer_key, struct gd_cursor *ret);

/* A cursor's integer key lies within min..max (a decimal integer, nothing else). */
bool gd_parse_key_within(const char *key, long min, long max);

/* What a list's cursor key holds: the values of each kind of key the server can write there. */
enum gd_cursor_key {
        GD_CURSOR_KEY_INTEGER, /* a row id or an offset: any 64-bit integer (a handler may narrow it) */
        GD_CURSOR_KEY_DAYS,    /* a date, as days since 1970-01-01: years 1 to 9999 */
        GD_CURSOR_KEY_MICROS,  /* an instant, as microseconds since 1970-01-01T00:00:00Z: years 1 to 9999 */
        GD_CURSOR_KEY_RANK,    /* a search relevance: a real number from 0 to 1 */
        GD_CURSOR_KEY_DECIMAL, /* a decimal number (a score; the handler reads it further) */
};

/* ?cursor= as made by gd_page_new() (gd_parse_cursor) whose key is a value of `key`: anything else
 * was edited, and would otherwise reach PostgreSQL as a value out of range of its type. */
bool gd_parse_cursor_of(const char *s, const char *kind, enum gd_cursor_key key, struct gd_cursor *ret);

#endif
