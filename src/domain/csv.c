/* SPDX-License-Identifier: MIT */
/* RFC 4180 rows with formula-injection protection. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guestd/csv.h"

bool gd_strbuf_append(struct gd_strbuf *b, const char *s, size_t n)
{
        if (b->len + n + 1 > b->cap) {
                size_t cap = b->cap ? b->cap : 256;
                while (cap < b->len + n + 1)
                        cap *= 2;
                char *grown = realloc(b->data, cap);
                if (!grown)
                        return false;
                b->data = grown;
                b->cap = cap;
        }
        memcpy(b->data + b->len, s, n);
        b->len += n;
        b->data[b->len] = '\0';
        return true;
}

void gd_strbuf_clear(struct gd_strbuf *b)
{
        free(b->data);
        *b = (struct gd_strbuf){0};
}

bool gd_csv_cell(struct gd_strbuf *b, const char *text)
{
        bool formula = strchr("=+-@\t\r", text[0]) && text[0] != '\0';
        bool quote = strpbrk(text, ",\"\r\n") != NULL;
        bool ok = true;
        if (quote)
                ok &= gd_strbuf_append(b, "\"", 1);
        if (formula)
                ok &= gd_strbuf_append(b, "'", 1);
        for (const char *p = text; *p && ok; p++)
                ok &= *p == '"' ? gd_strbuf_append(b, "\"\"", 2) : gd_strbuf_append(b, p, 1);
        if (quote)
                ok &= gd_strbuf_append(b, "\"", 1);
        return ok;
}

bool gd_csv_header(struct gd_strbuf *b, const char *const *columns)
{
        bool ok = true;
        for (size_t i = 0; columns[i] && ok; i++)
                ok = (i == 0 || gd_strbuf_append(b, ",", 1)) && gd_csv_cell(b, columns[i]);
        return ok && gd_strbuf_append(b, "\r\n", 2);
}

static const json_t *column_value(const json_t *item, const char *column)
{
        const char *dot = strchr(column, '.');
        if (!dot)
                return json_object_get(item, column);
        char outer[64];
        snprintf(outer, sizeof(outer), "%.*s", (int) (dot - column), column);
        return json_object_get(json_object_get(item, outer), dot + 1);
}

bool gd_csv_row(struct gd_strbuf *b, const json_t *item, const char *const *columns)
{
        bool ok = true;
        for (size_t i = 0; columns[i] && ok; i++) {
                const json_t *v = column_value(item, columns[i]);
                char number[64] = "";
                const char *text = "";
                if (json_is_string(v))
                        text = json_string_value(v);
                else if (json_is_integer(v))
                        snprintf(number, sizeof(number), "%" JSON_INTEGER_FORMAT, json_integer_value(v)), text = number;
                else if (json_is_real(v))
                        snprintf(number, sizeof(number), "%.15g", json_real_value(v)), text = number;
                else if (json_is_boolean(v))
                        text = json_is_true(v) ? "true" : "false";
                ok = (i == 0 || gd_strbuf_append(b, ",", 1)) && gd_csv_cell(b, text);
        }
        return ok && gd_strbuf_append(b, "\r\n", 2);
}
