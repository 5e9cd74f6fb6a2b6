/* SPDX-License-Identifier: MIT */
/* The field-rule engine behind every request-body validation. */
#include <stdio.h>
#include <string.h>

#include "guestd/decimal.h"
#include "guestd/rules.h"
#include "guestd/validate.h"

static bool in_list(const char *const *list, const char *s)
{
        for (; list && *list; list++)
                if (strcmp(*list, s) == 0)
                        return true;
        return false;
}

static bool is_blank(const char *s)
{
        for (; *s; s++)
                if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
                        return false;
        return true;
}

const struct gd_rule *gd_rules_find(const struct gd_rule *rules, const char *name)
{
        for (; rules->name; rules++)
                if (strcmp(rules->name, name) == 0)
                        return rules;
        return NULL;
}

static void check_text(const json_t *v, const struct gd_rule *r, const char *ptr, struct gd_error *err)
{
        if (!json_is_string(v)) {
                gd_error_add_field(err, ptr, "must be a string");
                return;
        }
        const char *s = json_string_value(v);
        size_t len = gd_utf8_length(s);
        if (len < r->min && r->min > 1)
                gd_error_add_field(err, ptr, "must be at least %u characters", r->min);
        else if (len < r->min || (r->min > 0 && is_blank(s)))
                gd_error_add_field(err, ptr, "must not be empty");
        else if (len > r->max)
                gd_error_add_field(err, ptr, "must be at most %u characters", r->max);
        else if (gd_has_control_chars(s, r->kind == GD_RULE_NOTE))
                gd_error_add_field(err, ptr, "must not contain control characters");
}

static void check_format(const json_t *v, bool (*ok)(const char *), const char *ptr, const char *what,
                         struct gd_error *err)
{
        if (!json_is_string(v))
                gd_error_add_field(err, ptr, "must be a string");
        else if (!ok(json_string_value(v)))
                gd_error_add_field(err, ptr, "must be %s", what);
}

static void check_past_date(const json_t *v, const char *ptr, const struct gd_rules_ctx *ctx,
                            struct gd_error *err)
{
        static const struct gd_date earliest = {1900, 1, 1};
        struct gd_date d;
        if (!json_is_string(v) || !gd_date_parse(json_string_value(v), &d))
                gd_error_add_field(err, ptr, "must be a date formatted YYYY-MM-DD");
        else if (gd_date_compare(&d, &earliest) < 0)
                gd_error_add_field(err, ptr, "must not be before 1900-01-01");
        else if (gd_date_compare(&d, &ctx->today) > 0)
                gd_error_add_field(err, ptr, "must not be in the future");
}

static void check_timestamp(const json_t *v, const char *ptr, const struct gd_rules_ctx *ctx,
                            struct gd_error *err)
{
        if (!json_is_string(v)) {
                gd_error_add_field(err, ptr, "must be a string");
                return;
        }
        static const char *const broken[_GD_BODY_TIMESTAMP_MAX] = {
                [GD_BODY_TIMESTAMP_MALFORMED] =
                        "must be an RFC 3339 date-time such as \"2026-05-01T19:30:00Z\"",
                [GD_BODY_TIMESTAMP_OFFSET] = "must have a UTC offset within -14:00 and +14:00",
                [GD_BODY_TIMESTAMP_LEAP_SECOND] = "must have seconds from 00 to 59",
                [GD_BODY_TIMESTAMP_TOO_EARLY] = "must not be before 1900-01-01T00:00:00Z",
                [GD_BODY_TIMESTAMP_TOO_LATE] = "must not be more than one day in the future",
        };
        enum gd_body_timestamp t = gd_body_timestamp_check(json_string_value(v), ctx->now);
        if (t != GD_BODY_TIMESTAMP_OK)
                gd_error_add_field(err, ptr, "%s", broken[t]);
}

static void check_enum(const json_t *v, const struct gd_rule *r, const char *ptr, struct gd_error *err)
{
        if (json_is_string(v) && in_list(r->values, json_string_value(v)))
                return;
        char allowed[200] = "";
        for (const char *const *e = r->values; *e; e++) {
                if (e != r->values)
                        strncat(allowed, ", ", sizeof(allowed) - strlen(allowed) - 1);
                strncat(allowed, *e, sizeof(allowed) - strlen(allowed) - 1);
        }
        gd_error_add_field(err, ptr, "must be one of: %s", allowed);
}

static void check_object_list(const json_t *v, const struct gd_rule *r, const char *ptr,
                              const struct gd_rules_ctx *ctx, struct gd_error *err)
{
        if (!json_is_array(v)) {
                gd_error_add_field(err, ptr, "must be an array");
                return;
        }
        if (json_array_size(v) > r->max) {
                gd_error_add_field(err, ptr, "must hold at most %u items", r->max);
                return;
        }
        size_t i;
        json_t *item;
        json_array_foreach (v, i, item) {
                char at[GD_POINTER_MAX];
                if (snprintf(at, sizeof(at), "%s/%zu", ptr, i) >= (int) sizeof(at))
                        continue; /* deeper than any document we accept */
                if (!json_is_object(item)) {
                        gd_error_add_field(err, at, "must be an object");
                        continue;
                }
                if (gd_rules_check(item, r->members, at, ctx, err) > 0)
                        continue;
                for (size_t j = 0; j < i; j++)
                        if (json_equal(json_array_get(v, j), item)) {
                                gd_error_add_field(err, at, "repeats item %zu", j);
                                break;
                        }
        }
}

static void check_int(const json_t *v, const struct gd_rule *r, const char *ptr, struct gd_error *err)
{
        if (!json_is_integer(v))
                gd_error_add_field(err, ptr, "must be a whole number");
        else if (json_integer_value(v) < r->imin || json_integer_value(v) > r->imax)
                gd_error_add_field(err, ptr, "must be from %ld to %ld", r->imin, r->imax);
}

static void check_decimal(const json_t *v, const struct gd_rule *r, const char *ptr, struct gd_error *err)
{
        char text[GD_DECIMAL_MAX];
        switch (gd_decimal_parse(v, r->max, r->scale, text)) {
        case GD_DECIMAL_NOT_A_NUMBER:
                gd_error_add_field(err, ptr, "must be a number or a decimal string such as \"245.50\"");
                return;
        case GD_DECIMAL_TOO_MANY_DIGITS:
                gd_error_add_field(err, ptr, "must have at most %u digits before the decimal point", r->max);
                return;
        case GD_DECIMAL_TOO_PRECISE:
                gd_error_add_field(err, ptr, "must have at most %u decimals", r->scale);
                return;
        case GD_DECIMAL_OK:
                break;
        }
        if (gd_decimal_compare_int(text, r->imin) < 0)
                gd_error_add_field(err, ptr, "must be at least %ld", r->imin);
        else if (gd_decimal_compare_int(text, r->imax) > 0)
                gd_error_add_field(err, ptr, "must be at most %ld", r->imax);
}

static void check_date(const json_t *v, const char *ptr, struct gd_error *err)
{
        static const struct gd_date first = {1900, 1, 1}, last = {2100, 12, 31};
        struct gd_date d;
        if (!json_is_string(v) || !gd_date_parse(json_string_value(v), &d))
                gd_error_add_field(err, ptr, "must be a date formatted YYYY-MM-DD");
        else if (gd_date_compare(&d, &first) < 0 || gd_date_compare(&d, &last) > 0)
                gd_error_add_field(err, ptr, "must be between 1900-01-01 and 2100-12-31");
}

static void check_count_map(const json_t *v, const struct gd_rule *r, const char *ptr, struct gd_error *err)
{
        if (!json_is_object(v)) {
                gd_error_add_field(err, ptr, "must be an object of names and counts");
                return;
        }
        if (json_object_size(v) > r->max) {
                gd_error_add_field(err, ptr, "must hold at most %u names", r->max);
                return;
        }
        const char *key;
        json_t *count;
        json_object_foreach ((json_t *) v, key, count) {
                char at[GD_POINTER_MAX];
                gd_pointer_append(at, sizeof(at), ptr, key);
                size_t len = gd_utf8_length(key);
                if (len < 1 || len > 50 || gd_has_control_chars(key, false))
                        gd_error_add_field(err, at, "names must be 1 to 50 characters");
                else
                        check_int(count, r, at, err);
        }
}

static void check_value(const json_t *v, const struct gd_rule *r, const char *ptr, const struct gd_rules_ctx *ctx,
                        struct gd_error *err)
{
        switch (r->kind) {
        case GD_RULE_TEXT:
        case GD_RULE_NOTE:
                check_text(v, r, ptr, err);
                break;
        case GD_RULE_ENUM:
                check_enum(v, r, ptr, err);
                break;
        case GD_RULE_PAST_DATE:
                check_past_date(v, ptr, ctx, err);
                break;
        case GD_RULE_COUNTRY:
                check_format(v, gd_valid_country, ptr, "an ISO 3166-1 alpha-2 country code such as \"FR\"", err);
                break;
        case GD_RULE_PHONE:
                check_format(v, gd_valid_e164, ptr, "an E.164 number: + followed by 8 to 15 digits", err);
                break;
        case GD_RULE_EMAIL:
                check_format(v, gd_valid_email, ptr, "an e-mail address", err);
                break;
        case GD_RULE_LANGUAGE:
                check_format(v, gd_valid_language, ptr, "a BCP 47 language tag such as \"en\" or \"pt-BR\"", err);
                break;
        case GD_RULE_BOOL:
                if (!json_is_boolean(v))
                        gd_error_add_field(err, ptr, "must be true or false");
                break;
        case GD_RULE_OBJECT:
                if (!json_is_object(v))
                        gd_error_add_field(err, ptr, "must be an object");
                else
                        gd_rules_check(v, r->members, ptr, ctx, err);
                break;
        case GD_RULE_OBJECT_LIST:
                check_object_list(v, r, ptr, ctx, err);
                break;
        case GD_RULE_INT:
                check_int(v, r, ptr, err);
                break;
        case GD_RULE_DECIMAL:
                check_decimal(v, r, ptr, err);
                break;
        case GD_RULE_DATE:
                check_date(v, ptr, err);
                break;
        case GD_RULE_DATETIME:
                check_timestamp(v, ptr, ctx, err);
                break;
        case GD_RULE_CURRENCY:
                check_format(v, gd_valid_currency, ptr, "an ISO 4217 currency code such as \"EUR\"", err);
                break;
        case GD_RULE_UUID:
                check_format(v, gd_valid_uuid, ptr, "the id of an existing item", err);
                break;
        case GD_RULE_COUNT_MAP:
                check_count_map(v, r, ptr, err);
                break;
        }
}

static void unknown_member(const char *key, const char *at, const struct gd_rules_ctx *ctx, struct gd_error *err)
{
        char ptr[GD_POINTER_MAX];
        gd_pointer_append(ptr, sizeof(ptr), at, key);
        if (at[0] == '\0' && in_list(ctx->read_only, key))
                gd_error_add_field(err, ptr, "is read-only");
        else
                gd_error_add_field(err, ptr, "is not a known field");
}

/* A boolean or a list has no empty value of its own: null is refused (DESIGN §14), not read as the
 * default, unless the contract documents it as nullable. A required member's null is reported as
 * missing, once. (A merge patch's null never gets here: the patch is applied first, and removes.) */
static bool null_refused(const struct gd_rule *r)
{
        return (r->kind == GD_RULE_BOOL || r->kind == GD_RULE_OBJECT_LIST) && !r->nullable && !r->required;
}

size_t gd_rules_check(const json_t *obj, const struct gd_rule *rules, const char *at,
                      const struct gd_rules_ctx *ctx, struct gd_error *reterr)
{
        size_t before = reterr->n_fields;
        const char *key;
        json_t *value;
        char ptr[GD_POINTER_MAX];
        json_object_foreach ((json_t *) obj, key, value) {
                const struct gd_rule *r = gd_rules_find(rules, key);
                if (!r) {
                        unknown_member(key, at, ctx, reterr);
                } else if (!json_is_null(value) || null_refused(r)) {
                        gd_pointer_append(ptr, sizeof(ptr), at, key);
                        check_value(value, r, ptr, ctx, reterr);
                }
        }
        for (const struct gd_rule *r = rules; r->name; r++) {
                json_t *v = json_object_get(obj, r->name);
                if (r->required && (!v || json_is_null(v))) {
                        gd_pointer_append(ptr, sizeof(ptr), at, r->name);
                        gd_error_add_field(reterr, ptr, "is required");
                }
        }
        return reterr->n_fields - before;
}

size_t gd_rules_check_names(const json_t *obj, const struct gd_rule *rules, const struct gd_rules_ctx *ctx,
                            struct gd_error *reterr)
{
        size_t before = reterr->n_fields;
        const char *key;
        json_t *value;
        json_object_foreach ((json_t *) obj, key, value)
                if (!gd_rules_find(rules, key))
                        unknown_member(key, "", ctx, reterr);
        return reterr->n_fields - before;
}

static json_t *normalized_value(const json_t *v, const struct gd_rule *r)
{
        if (!v || json_is_null(v)) {
                if (r->dflt)
                        return json_loads(r->dflt, JSON_DECODE_ANY, NULL);
                return r->kind == GD_RULE_BOOL ? json_false() : r->kind == GD_RULE_OBJECT_LIST ? json_array() : json_null();
        }
        if (r->kind == GD_RULE_DECIMAL) {
                char text[GD_DECIMAL_MAX];
                if (gd_decimal_parse(v, r->max, r->scale, text) != GD_DECIMAL_OK)
                        return json_null(); /* not reached for a validated document */
                return json_string(text);
        }
        return json_deep_copy(v);
}

json_t *gd_rules_normalize(const json_t *obj, const struct gd_rule *rules)
{
        json_t *out = json_object();
        for (const struct gd_rule *r = rules; out && r->name; r++) {
                json_t *stored = normalized_value(json_object_get(obj, r->name), r);
                if (json_object_set_new(out, r->name, stored) != 0) {
                        json_decref(out);
                        out = NULL;
                }
        }
        return out;
}
