/* SPDX-License-Identifier: MIT */
/* Header and query-string checks as pure functions (no libmicrohttpd): see guestd/parse.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

bool gd_parse_limit(const char *s, int max, int *ret)
{
        char *end;
        long v = strtol(s, &end, 10);
        if (*s == '\0' || *end != '\0' || v < 1 || v > max)
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

bool gd_parse_cursor(const char *s, const char *kind, bool integer_key, struct gd_cursor *ret)
{
        if (!gd_cursor_decode(s, 3, ret) || strcmp(ret->fields[0], kind) != 0 ||
            !number_valid(ret->fields[1], integer_key) || !gd_valid_uuid(ret->fields[2])) {
                ret->n = 0;
                return false;
        }
        return true;
}
