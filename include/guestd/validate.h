/* SPDX-License-Identifier: MIT */
/* Field-level format checks shared by every resource (pure, no I/O). */
#ifndef GUESTD_VALIDATE_H
#define GUESTD_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* E.164: '+', a non-zero digit, then 7..14 more digits (8..15 digits in all). */
bool gd_valid_e164(const char *s);

/* A pragmatic address check: local@domain, local 1..64, domain with a dot, total <= 254,
 * no spaces or control characters. */
bool gd_valid_email(const char *s);

/* ISO 3166-1 alpha-2, officially assigned, upper case ("FR"). */
bool gd_valid_country(const char *s);

/* ISO 4217 alphabetic code, upper case ("EUR"). */
bool gd_valid_currency(const char *s);

/* BCP 47 language tag shape: 2-3 letter primary subtag, then 1-8 alphanumeric subtags, <= 35. */
bool gd_valid_language(const char *s);

/* Number of Unicode code points in valid UTF-8 (jansson guarantees validity). */
size_t gd_utf8_length(const char *s);

/* Well-formed UTF-8 (RFC 3629): no stray or missing continuation bytes, no overlong forms, no
 * surrogates, nothing past U+10FFFF. Query values arrive percent-decoded as raw bytes: PostgreSQL
 * would refuse the bad ones with a data error. */
bool gd_utf8_valid(const char *s);

/* True when s (valid UTF-8) holds nothing a case- and accent-insensitive match can use: only white
 * space, combining marks and zero-width characters (also true for ""). Such a search text folds to
 * the empty pattern, which matches every name. */
bool gd_folds_to_nothing(const char *s);

/* True if s contains a C0 control character or DEL; allow_newlines permits \n, \r and \t. */
bool gd_has_control_chars(const char *s, bool allow_newlines);

/* Canonical lower-case UUID ("8-4-4-4-12" hex); used to answer 404 for ids of any other shape. */
bool gd_valid_uuid(const char *s);

/* RFC 3339 date-time: YYYY-MM-DDTHH:MM:SS, optional fraction (1..9 digits), then Z or +HH:MM / -HH:MM
 * with an offset within ±14:00, the farthest any place keeps from UTC. Seconds may be 60 (a leap
 * second, as RFC 3339 allows; query values take it, body timestamps do not). */
bool gd_valid_rfc3339(const char *s);

/* What gd_body_timestamp_check() finds in a timestamp. */
enum gd_body_timestamp {
        GD_BODY_TIMESTAMP_OK,
        GD_BODY_TIMESTAMP_MALFORMED,   /* not RFC 3339's date-time grammar */
        GD_BODY_TIMESTAMP_OFFSET,      /* an offset beyond ±14:00 */
        GD_BODY_TIMESTAMP_LEAP_SECOND, /* seconds 60 */
        GD_BODY_TIMESTAMP_TOO_EARLY,   /* before 1900-01-01T00:00:00Z */
        GD_BODY_TIMESTAMP_TOO_LATE,    /* more than one day after `now` (fractions count) */
        _GD_BODY_TIMESTAMP_MAX,
};

/* The one rule for a timestamp a request body may carry (occurred_at, received_at, ...): an RFC 3339
 * date-time (gd_valid_rfc3339), seconds 00..59, an instant from 1900-01-01T00:00:00Z up to exactly one
 * day after `now` (Unix seconds), both ends included. Reads no clock. */
enum gd_body_timestamp gd_body_timestamp_check(const char *s, time_t now);

#endif
