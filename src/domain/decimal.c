/* SPDX-License-Identifier: MIT */
/* Decimal text for money: strict parsing, exact comparison; binary floating point is never stored. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guestd/decimal.h"

/* Checks [-]digits[.digits] within the limits. */
static enum gd_decimal_status check_text(const char *s, unsigned max_int_digits, unsigned max_scale)
{
        const char *p = s;
        if (*p == '-')
                p++;
        size_t int_digits = strspn(p, "0123456789");
        if (int_digits == 0)
                return GD_DECIMAL_NOT_A_NUMBER;
        const char *frac = p + int_digits;
        size_t scale = 0;
        if (*frac == '.') {
                scale = strspn(frac + 1, "0123456789");
                if (scale == 0)
                        return GD_DECIMAL_NOT_A_NUMBER;
                frac += 1 + scale;
        }
        if (*frac != '\0')
                return GD_DECIMAL_NOT_A_NUMBER;
        /* leading zeros do not count as digits */
        while (int_digits > 1 && *p == '0') {
                p++;
                int_digits--;
        }
        if (int_digits > max_int_digits)
                return GD_DECIMAL_TOO_MANY_DIGITS;
        if (scale > max_scale)
                return GD_DECIMAL_TOO_PRECISE;
        return GD_DECIMAL_OK;
}

enum gd_decimal_status gd_decimal_parse(const json_t *v, unsigned max_int_digits, unsigned max_scale,
                                        char out[static GD_DECIMAL_MAX])
{
        char text[GD_DECIMAL_MAX * 2];
        if (json_is_string(v)) {
                if (json_string_length(v) >= GD_DECIMAL_MAX)
                        return GD_DECIMAL_TOO_MANY_DIGITS;
                snprintf(text, sizeof(text), "%s", json_string_value(v));
        } else if (json_is_integer(v)) {
                snprintf(text, sizeof(text), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        } else if (json_is_real(v)) {
                /* the shortest text with at most max_scale decimals that reads back as this very double */
                double d = json_real_value(v);
                if (d >= 1e15 || d <= -1e15)
                        return GD_DECIMAL_TOO_MANY_DIGITS;
                bool found = false;
                for (unsigned scale = 0; scale <= max_scale && !found; scale++) {
                        snprintf(text, sizeof(text), "%.*f", (int) scale, d);
                        found = strtod(text, NULL) == d;
                }
                if (!found)
                        return GD_DECIMAL_TOO_PRECISE;
        } else {
                return GD_DECIMAL_NOT_A_NUMBER;
        }
        enum gd_decimal_status st = check_text(text, max_int_digits, max_scale);
        if (st == GD_DECIMAL_OK && strlen(text) >= GD_DECIMAL_MAX)
                st = GD_DECIMAL_TOO_MANY_DIGITS;
        if (st == GD_DECIMAL_OK)
                memcpy(out, strcmp(text, "-0") == 0 ? "0" : text, strlen(text) + 1);
        return st;
}

int gd_decimal_compare_int(const char *canonical, long bound)
{
        /* integer part against the bound first; a fraction only matters when they are equal */
        char *end;
        long long whole = strtoll(canonical, &end, 10);
        bool negative = canonical[0] == '-';
        bool has_fraction = false;
        if (*end == '.')
                for (const char *f = end + 1; *f; f++)
                        if (*f != '0')
                                has_fraction = true;
        if (whole != bound)
                return whole < bound ? -1 : 1;
        if (!has_fraction)
                return 0;
        return negative ? -1 : 1;
}
