/* SPDX-License-Identifier: MIT */
/* Field-level format checks shared by every resource (pure, no I/O). */
#ifndef GUESTD_VALIDATE_H
#define GUESTD_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>

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

/* True if s contains a C0 control character or DEL; allow_newlines permits \n, \r and \t. */
bool gd_has_control_chars(const char *s, bool allow_newlines);

/* Canonical lower-case UUID ("8-4-4-4-12" hex); used to answer 404 for ids of any other shape. */
bool gd_valid_uuid(const char *s);

/* RFC 3339 date-time: YYYY-MM-DDTHH:MM:SS, optional fraction (1..9 digits), then Z or +HH:MM / -HH:MM. */
bool gd_valid_rfc3339(const char *s);

#endif
