/* SPDX-License-Identifier: MIT */
/* Header and query-string checks as pure functions (no libmicrohttpd): see guestd/parse.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "guestd/date.h"
#include "guestd/parse.h"
#include "guestd/validate.h"

bool gd_parse_media_type_is(const char *header, const char *want)
{
        size_t n = strlen(want);
        while (*header == ' ')
                header++;
        if (strncasecmp(header, want, n) != 0)
                return false;
        const char *rest = header + n;
        while (*rest == ' ')
                rest++;
        if (*rest == '\0')
                return true;
        if (*rest != ';')
                return false;
        rest++;
        while (*rest == ' ')
                rest++;
        if (strncasecmp(rest, "charset=", 8) != 0)
                return false;
        rest += 8;
        if (*rest == '"')
                rest++;
        if (strncasecmp(rest, "utf-8", 5) != 0)
                return false;
        rest += 5;
        if (*rest == '"')
                rest++;
        while (*rest == ' ')
                rest++;
        return *rest == '\0';
}

bool gd_parse_content_length(const char *s, unsigned long long *ret)
{
        char *end;
        unsigned long long n = strtoull(s, &end, 10);
        if (*end != '\0' || s[0] == '-')
                return false;
        *ret = n;
        return true;
}

bool gd_parse_etag_listed(const char *header, const char *etag, bool weak)
{
        size_t want_len = strlen(etag);
        for (const char *p = header; *p;) {
                while (*p == ' ' || *p == ',' || *p == '\t')
                        p++;
                if (*p == '*')
                        return true;
                if (weak && strncmp(p, "W/", 2) == 0)
                        p += 2;
                size_t len = strcspn(p, ",");
                while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
                        len--;
                if (len == want_len && strncmp(p, etag, len) == 0)
                        return true;
                p += strcspn(p, ",");
        }
        return false;
}

bool gd_parse_if_match(const char *header, long version)
{
        char want[24];
        snprintf(want, sizeof(want), "\"%ld\"", version);
        return gd_parse_etag_listed(header, want, false);
}

const char *gd_parse_bearer(const char *header)
{
        if (!header || strncasecmp(header, "Bearer ", 7) != 0)
                return NULL;
        const char *key = header + 7;
        while (*key == ' ')
                key++;
        return key;
}

/* strtol alone would take leading white space, a sign and leading zeros: " 5", "+5" and "05" were
 * pages of five. */
bool gd_parse_count(const char *s, long max, long *ret)
{
        size_t n = strlen(s);
        /* at most 18 digits, which strtoll reads without overflow: no parameter takes more */
        if (n == 0 || n > 18 || strspn(s, "0123456789") != n || (s[0] == '0' && n > 1))
                return false;
        long long v = strtoll(s, NULL, 10);
        if (v > max)
                return false;
        *ret = (long) v;
        return true;
}

bool gd_parse_limit(const char *s, int max, int *ret)
{
        long v;
        if (!gd_parse_count(s, max, &v) || v < 1)
                return false;
        *ret = (int) v;
        return true;
}

/* A key as the server writes it: a decimal integer that fits 64 bits, or a plain decimal number
 * (relevance, score) in fixed or exponent notation. strtoll and strtod alone would let through an
 * overflow (clamped, with ERANGE), leading spaces, "+", "nan", "inf" and hex floats. */
static bool number_valid(const char *key, bool integer)
{
        size_t len = strlen(key);
        if (len == 0 || key[0] == '+' || strspn(key, integer ? "-0123456789" : "-+.eE0123456789") != len)
                return false;
        char *end;
        errno = 0;
        if (integer)
                (void) strtoll(key, &end, 10);
        else
                (void) strtod(key, &end);
        return *end == '\0' && errno == 0;
}

bool gd_parse_key_within(const char *key, long min, long max)
{
        char *end;
        errno = 0;
        long v = strtol(key, &end, 10);
        return key[0] != '\0' && *end == '\0' && errno == 0 && v >= min && v <= max;
}

/* An integer key within min..max, both long long: microseconds need 64 bits on every platform. */
static bool integer_within(const char *key, long long min, long long max)
{
        char *end;
        errno = 0;
        long long v = strtoll(key, &end, 10);
        return key[0] != '\0' && *end == '\0' && errno == 0 && v >= min && v <= max;
}

/* The keys of each kind that PostgreSQL takes back without a range error. The server writes dates
 * and instants of stored rows (body dates and timestamps lie in 1900..2100 or near now), and
 * relevances of word_similarity() in 0..1 (a real: 1e39 overflows it, 1e-50 underflows). */
static bool key_fits(const char *key, enum gd_cursor_key type)
{
        static const struct gd_date first = {1, 1, 1}, last = {9999, 12, 31};
        long long first_day = gd_date_to_days(&first), last_day = gd_date_to_days(&last);
        switch (type) {
        case GD_CURSOR_KEY_INTEGER:
        case GD_CURSOR_KEY_DECIMAL:
                return true;
        case GD_CURSOR_KEY_DAYS:
                return integer_within(key, first_day, last_day);
        case GD_CURSOR_KEY_MICROS:
                return integer_within(key, first_day * 86400000000LL, (last_day + 1) * 86400000000LL - 1);
        case GD_CURSOR_KEY_RANK: {
                char *end;
                errno = 0;
                float v = strtof(key, &end);
                return *end == '\0' && errno == 0 && v >= 0 && v <= 1;
        }
        }
        return false;
}

bool gd_parse_cursor_of(const char *s, const char *kind, enum gd_cursor_key key, struct gd_cursor *ret)
{
        bool integer = key == GD_CURSOR_KEY_INTEGER || key == GD_CURSOR_KEY_DAYS ||
                       key == GD_CURSOR_KEY_MICROS;
        if (!gd_parse_cursor(s, kind, integer, ret))
                return false;
        if (!key_fits(ret->fields[1], key)) {
                ret->n = 0;
                return false;
        }
        return true;
}

bool gd_parse_cursor(const char *s, const char *kind, bool integer_key, struct gd_cursor *ret)
{
        if (!gd_cursor_decode(s, 3, ret) || strcmp(ret->fields[0], kind) != 0 ||
            !number_valid(ret->fields[1], integer_key) || !gd_valid_uuid(ret->fields[2])) {
                ret->n = 0;
                return false;
        }
        return true;
}
