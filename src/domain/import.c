/* SPDX-License-Identifier: MIT */
/* Bulk import, the pure part: the NDJSON line splitter and the check of one line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guestd/decimal.h"
#include "guestd/guest.h"
#include "guestd/import.h"
#include "guestd/section.h"

/* ---- lines ---- */

bool gd_lines_init(struct gd_lines *s, size_t max_line)
{
        *s = (struct gd_lines){.max_line = max_line, .lineno = 1};
        s->buf = malloc(max_line ? max_line : 1);
        return s->buf != NULL;
}

void gd_lines_clear(struct gd_lines *s)
{
        free(s->buf);
        s->buf = NULL;
}

static bool blank(const char *p, size_t len)
{
        for (size_t i = 0; i < len; i++)
                if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
                        return false;
        return true;
}

/* One complete line (without its "\n"). */
static int emit(struct gd_lines *s, const char *p, size_t len, gd_line_fn fn, void *ctx)
{
        unsigned long long n = s->lineno++;
        if (s->overlong) {
                unsigned long long total = s->overlong + len;
                s->overlong = 0;
                return fn(ctx, n, NULL, (size_t) total);
        }
        if (len && p[len - 1] == '\r')
                len--;
        /* a byte order mark some Windows tools write before the first line */
        if (n == 1 && len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) {
                p += 3;
                len -= 3;
        }
        if (blank(p, len))
                return 0;
        return fn(ctx, n, p, len);
}

/* Keeps part of a line for the next chunk, or counts it once the line is past max_line. */
static void hold(struct gd_lines *s, const char *p, size_t len)
{
        if (s->overlong) {
                s->overlong += len;
        } else if (s->len + len > s->max_line) {
                s->overlong = s->len + len;
                s->len = 0;
        } else {
                memcpy(s->buf + s->len, p, len);
                s->len += len;
        }
}

int gd_lines_feed(struct gd_lines *s, const char *data, size_t len, gd_line_fn fn, void *ctx)
{
        s->bytes += len;
        while (len > 0) {
                const char *nl = memchr(data, '\n', len);
                if (!nl) {
                        hold(s, data, len);
                        return 0;
                }
                size_t part = (size_t) (nl - data);
                int r;
                if (s->len == 0 && !s->overlong) {
                        /* the common case: the whole line is in this chunk, no copy */
                        r = part > s->max_line ? (s->overlong = part, emit(s, NULL, 0, fn, ctx))
                                               : emit(s, data, part, fn, ctx);
                } else {
                        hold(s, data, part);
                        r = emit(s, s->buf, s->len, fn, ctx);
                        s->len = 0;
                }
                data += part + 1;
                len -= part + 1;
                if (r)
                        return r;
        }
        return 0;
}

int gd_lines_finish(struct gd_lines *s, gd_line_fn fn, void *ctx)
{
        if (s->len == 0 && !s->overlong)
                return 0;
        int r = emit(s, s->buf, s->len, fn, ctx);
        s->len = 0;
        return r;
}

/* ---- one line ---- */

const char *const gd_import_section_members[_GD_SECTION_MAX + 1] = {
        [GD_SECTION_STAYS] = "stays",
        [GD_SECTION_CONSUMPTIONS] = "consumptions",
        [GD_SECTION_PREFERENCES] = "preferences",
        [GD_SECTION_SPECIAL_DATES] = "special_dates",
        [GD_SECTION_COMPLAINTS] = "complaints",
        [_GD_SECTION_MAX] = NULL,
};

/* The field errors of one item, moved under its pointer in the line ("/stays/2"). */
static void add_prefixed(struct gd_error *reterr, const char *prefix, const struct gd_error *item)
{
        for (size_t i = 0; i < item->n_fields; i++) {
                char ptr[GD_POINTER_MAX];
                snprintf(ptr, sizeof(ptr), "%s%s", prefix, item->fields[i].pointer);
                gd_error_add_field(reterr, ptr, "%s", item->fields[i].message);
        }
}

/* Checks and normalizes the items of one section into `out` (a new array on success). */
static void check_section(enum gd_section s, const char *member, const json_t *items, time_t now,
                          json_t *out, struct gd_error *reterr)
{
        char ptr[GD_POINTER_MAX];
        snprintf(ptr, sizeof(ptr), "/%s", member);
        if (!json_is_array(items)) {
                gd_error_add_field(reterr, ptr, "must be an array of %s items", gd_section_noun(s));
                return;
        }
        if (json_array_size(items) > GD_IMPORT_MAX_ITEMS) {
                gd_error_add_field(reterr, ptr, "must hold at most %d items", GD_IMPORT_MAX_ITEMS);
                return;
        }
        json_t *normalized = json_array();
        size_t i;
        json_t *item;
        json_array_foreach (items, i, item) {
                struct gd_error one = {0};
                if (gd_section_validate_at(s, item, NULL, now, &one) != GD_OK) {
                        char prefix[GD_POINTER_MAX];
                        snprintf(prefix, sizeof(prefix), "/%s/%zu", member, i);
                        add_prefixed(reterr, prefix, &one);
                        continue;
                }
                json_array_append_new(normalized, gd_section_normalize(s, item));
        }
        json_object_set_new(out, member, normalized);
}

/* The writable members of `normalized` that the line does not name. */
static json_t *absent_members(const json_t *normalized, const json_t *line)
{
        json_t *absent = json_array();
        const char *key;
        json_t *v;
        json_object_foreach ((json_t *) normalized, key, v)
                if (!json_object_get(line, key))
                        json_array_append_new(absent, json_string(key));
        return absent;
}

enum gd_err gd_import_line(const char *line, size_t len, unsigned long long n, time_t now,
                           json_t **ret_item, struct gd_error *reterr)
{
        json_error_t jerr;
        json_t *root = json_loadb(line, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
        if (!root)
                return gd_error_set(reterr, GD_ERR_BAD_JSON, "The line is not valid JSON: %s (column %d).", jerr.text,
                                    jerr.column);
        enum gd_err e = GD_OK;
        json_t *guest = NULL, *sections = NULL, *item = NULL;
        if (gd_json_check_number_precision(line, len, root, reterr) > 0) {
                e = gd_error_set(reterr, GD_ERR_INVALID, "A number is too long to be read exactly.");
                goto out;
        }
        if (!json_is_object(root)) {
                gd_error_add_field(reterr, "", "must be a JSON object");
                e = gd_error_set(reterr, GD_ERR_INVALID, "An import line must be a JSON object.");
                goto out;
        }
        /* the guest is the line without its sections */
        guest = json_copy(root);
        sections = json_object();
        if (!guest || !sections) {
                e = gd_error_set(reterr, GD_ERR_NOMEM, NULL);
                goto out;
        }
        for (int s = 0; s < _GD_SECTION_MAX; s++) {
                const char *member = gd_import_section_members[s];
                json_t *items = json_object_get(root, member);
                if (!items)
                        continue;
                check_section((enum gd_section) s, member, items, now, sections, reterr);
                json_object_del(guest, member);
        }
        struct gd_error basic = {0};
        struct gd_date today = gd_date_from_unix(now);
        (void) gd_guest_validate(guest, &today, &basic);
        add_prefixed(reterr, "", &basic);
        const json_t *refs = json_object_get(guest, "external_refs");
        if (!basic.n_fields && json_array_size(refs) == 0)
                gd_error_add_field(reterr, "/external_refs",
                                   "an import line needs at least one external reference: it is the key of the upsert");
        if (reterr->n_fields > 0) {
                e = gd_error_set(reterr, GD_ERR_INVALID, "The line has %zu invalid field(s); nothing of it was stored.",
                                 reterr->n_fields);
                goto out;
        }
        json_t *normalized = gd_guest_normalize(guest);
        json_t *absent = normalized ? absent_members(normalized, guest) : NULL;
        item = json_pack("{s:I, s:o*, s:o*, s:O}", "n", (json_int_t) n, "guest", normalized, "absent", absent,
                         "sections", sections);
        if (!item || !normalized || !absent) {
                e = gd_error_set(reterr, GD_ERR_NOMEM, NULL);
                goto out;
        }
        *ret_item = item;
        item = NULL;
out:
        json_decref(item);
        json_decref(sections);
        json_decref(guest);
        json_decref(root);
        return e;
}
