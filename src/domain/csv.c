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
        /* runs between quotes go in whole: a cell is appended in a few calls, not byte by byte */
        for (const char *p = text; *p && ok;) {
                size_t run = strcspn(p, "\"");
                ok &= gd_strbuf_append(b, p, run);
                p += run;
                if (*p == '"') {
                        ok &= gd_strbuf_append(b, "\"\"", 2);
                        p++;
                }
        }
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
