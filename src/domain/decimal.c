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
        if (st == GD_DECIMAL_OK) {
                const char *result = strcmp(text, "-0") == 0 ? "0" : text;
                memcpy(out, result, strlen(result) + 1);
        }
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

#define MAX_EXACT_DIGITS 15

/* Significant digits of a number literal's mantissa: leading and trailing zeros do not count. */
static size_t significant_digits(const char *p, size_t n)
{
        size_t first = n, last = 0, count = 0;
        for (size_t i = 0; i < n && p[i] != 'e' && p[i] != 'E'; i++)
                if (p[i] >= '1' && p[i] <= '9') {
                        if (first == n)
                                first = i;
                        last = i;
                }
        for (size_t i = first; first < n && i <= last; i++)
                count += p[i] >= '0' && p[i] <= '9';
        return count;
}

struct number_walk {
        size_t index;        /* numbers met so far, in document order */
        const bool *flagged; /* per number literal: too precise */
        size_t n_flagged;
        struct gd_error *err;
        size_t found;
};

/* Visits the tree in document order: jansson keeps object members in the order they were read. */
static void walk(const json_t *v, const char *at, struct number_walk *w)
{
        char ptr[GD_POINTER_MAX];
        if (json_is_number(v)) {
                if (w->index < w->n_flagged && w->flagged[w->index]) {
                        gd_error_add_field(w->err, at,
                                           "has more than %d significant digits: send it as a decimal string",
                                           MAX_EXACT_DIGITS);
                        w->found++;
                }
                w->index++;
        } else if (json_is_object(v)) {
                const char *key;
                json_t *member;
                json_object_foreach ((json_t *) v, key, member) {
                        gd_pointer_append(ptr, sizeof(ptr), at, key);
                        walk(member, ptr, w);
                }
        } else if (json_is_array(v)) {
                size_t i;
                json_t *item;
                json_array_foreach (v, i, item) {
                        snprintf(ptr, sizeof(ptr), "%s/%zu", at, i);
                        walk(item, ptr, w);
                }
        }
}

size_t gd_json_check_number_precision(const char *text, size_t len, const json_t *root, struct gd_error *reterr)
{
        /* one flag per number literal of the text, strings skipped */
        size_t n = 0, cap = 0;
        bool *flagged = NULL, any = false;
        for (size_t i = 0; i < len; i++) {
                char c = text[i];
                if (c == '"') {
                        for (i++; i < len && text[i] != '"'; i++)
                                if (text[i] == '\\')
                                        i++;
                        continue;
                }
                if (c != '-' && (c < '0' || c > '9'))
                        continue;
                size_t start = i;
                bool real = false;
                while (i < len && strchr("-+0123456789.eE", text[i])) {
                        real |= text[i] == '.' || text[i] == 'e' || text[i] == 'E';
                        i++;
                }
                if (n == cap) {
                        cap = cap ? cap * 2 : 16;
                        bool *grown = realloc(flagged, cap * sizeof(*flagged));
                        if (!grown) {
                                free(flagged);
                                return 0;
                        }
                        flagged = grown;
                }
                flagged[n] = real && significant_digits(text + start, i - start) > MAX_EXACT_DIGITS;
                any |= flagged[n];
                n++;
                i--;
        }
        size_t found = 0;
        if (any) {
                struct number_walk w = {.flagged = flagged, .n_flagged = n, .err = reterr};
                walk(root, "", &w);
                found = w.found;
        }
        free(flagged);
        return found;
}
