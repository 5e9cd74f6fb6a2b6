/* SPDX-License-Identifier: MIT */
/* Field rules of the dossier sections (stays, consumptions, preferences, special dates, complaints). */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "guestd/rules.h"
#include "guestd/section.h"

/* ---- value lists ---- */

static const char *const stay_statuses[] = {"reserved", "in_house", "completed", "no_show", "cancelled",
                                            NULL};
static const char *const room_types[] = {"standard", "superior", "deluxe", "junior_suite", "suite",
                                         "family", "accessible", "other", NULL};
static const char *const booking_channels[] = {"phone", "web", "walk_in", "ota", "travel_agent",
                                               "corporate", "group", NULL};
static const char *const stay_purposes[] = {"leisure", "business", "conference", "event", "family",
                                            "medical", "other", NULL};

static const char *const consumption_categories[] = {"room", "dining", "bar", "spa", "minibar", "laundry",
                                                     "event", "transport", "other", NULL};
static const char *const dining_types[] = {"breakfast", "lunch", "dinner", "banquet", "room_service", NULL};
static const char *const payment_methods[] = {"cash", "card", "room_charge", "bank_transfer", "voucher",
                                              "other", NULL};
static const char *const payment_statuses[] = {"paid", "pending", "unpaid", "disputed", "written_off", NULL};

static const char *const preference_categories[] = {"room", "dining", "amenity", "hygiene", "taboo",
                                                    "allergy", "hobby", "habit", "reading", "travel_purpose",
                                                    "communication", "other", NULL};
/* "inferred" is a source too, but only guestd writes it: clients may not. */
static const char *const preference_sources[] = {"staff", "guest", NULL};
static const char *const sensitive_categories[] = {"allergy", "taboo", "hygiene", NULL};

static const char *const special_date_kinds[] = {"birthday", "anniversary", "other", NULL};

static const char *const complaint_categories[] = {"room", "service", "cleanliness", "noise", "food",
                                                   "billing", "staff", "amenities", "other", NULL};
static const char *const complaint_severities[] = {"low", "medium", "high", "critical", NULL};
/* In workflow order: a status may only move to a later one. */
static const char *const complaint_statuses[] = {"open", "in_progress", "resolved", "closed", NULL};

/* ---- rule tables ---- */

/* Money: at most 12 integer digits and 2 decimals, never negative. */
#define MONEY .kind = GD_RULE_DECIMAL, .max = 12, .scale = 2, .imin = 0, .imax = LONG_MAX

static const struct gd_rule stay_rules[] = {
        {.name = "check_in", .kind = GD_RULE_DATE, .required = true},
        {.name = "check_out", .kind = GD_RULE_DATE, .required = true},
        {.name = "status", .kind = GD_RULE_ENUM, .values = stay_statuses, .dflt = "\"reserved\""},
        {.name = "room_type", .kind = GD_RULE_ENUM, .values = room_types},
        {.name = "room_number", .kind = GD_RULE_TEXT, .min = 1, .max = 20},
        {.name = "booking_channel", .kind = GD_RULE_ENUM, .values = booking_channels},
        {.name = "purpose", .kind = GD_RULE_ENUM, .values = stay_purposes},
        {.name = "adults", .kind = GD_RULE_INT, .imin = 1, .imax = 50, .dflt = "1"},
        {.name = "children", .kind = GD_RULE_INT, .imin = 0, .imax = 50, .dflt = "0"},
        {.name = "rate_amount", MONEY},
        {.name = "currency", .kind = GD_RULE_CURRENCY},
        {.name = "amenities_used", .kind = GD_RULE_COUNT_MAP, .max = 50, .imin = 0, .imax = 10000,
         .dflt = "{}"},
        {.name = "external_ref", .kind = GD_RULE_TEXT, .min = 1, .max = 100},
        {0},
};

static const struct gd_rule consumption_rules[] = {
        {.name = "occurred_at", .kind = GD_RULE_DATETIME, .required = true},
        {.name = "category", .kind = GD_RULE_ENUM, .required = true, .values = consumption_categories},
        {.name = "dining_type", .kind = GD_RULE_ENUM, .values = dining_types},
        {.name = "covers", .kind = GD_RULE_INT, .imin = 1, .imax = 1000, .dflt = "1"},
        {.name = "amount", MONEY, .required = true},
        {.name = "currency", .kind = GD_RULE_CURRENCY, .required = true},
        {.name = "discount_rate", .kind = GD_RULE_DECIMAL, .max = 12, .scale = 4, .imin = 0, .imax = 1,
         .dflt = "\"0\""},
        {.name = "payment_method", .kind = GD_RULE_ENUM, .values = payment_methods},
        {.name = "payment_status", .kind = GD_RULE_ENUM, .values = payment_statuses, .dflt = "\"pending\""},
        {.name = "revenue", MONEY},
        {.name = "stay_id", .kind = GD_RULE_UUID},
        /* short, one line: unlike a complaint's description, no newlines */
        {.name = "description", .kind = GD_RULE_TEXT, .min = 1, .max = 200},
        {0},
};

static const struct gd_rule preference_rules[] = {
        {.name = "category", .kind = GD_RULE_ENUM, .required = true, .values = preference_categories},
        {.name = "key", .kind = GD_RULE_TEXT, .min = 1, .max = 50, .required = true},
        {.name = "value", .kind = GD_RULE_TEXT, .min = 1, .max = 200, .required = true},
        {.name = "source", .kind = GD_RULE_ENUM, .values = preference_sources, .dflt = "\"staff\""},
        {.name = "note", .kind = GD_RULE_NOTE, .min = 0, .max = 500},
        {0},
};

static const struct gd_rule special_date_rules[] = {
        {.name = "kind", .kind = GD_RULE_ENUM, .required = true, .values = special_date_kinds},
        {.name = "date", .kind = GD_RULE_DATE, .required = true},
        {.name = "label", .kind = GD_RULE_TEXT, .min = 1, .max = 100},
        {0},
};

static const struct gd_rule complaint_rules[] = {
        /* no default here: the database stamps now() when it is null */
        {.name = "received_at", .kind = GD_RULE_DATETIME},
        {.name = "stay_id", .kind = GD_RULE_UUID},
        {.name = "category", .kind = GD_RULE_ENUM, .required = true, .values = complaint_categories},
        {.name = "severity", .kind = GD_RULE_ENUM, .required = true, .values = complaint_severities},
        {.name = "description", .kind = GD_RULE_NOTE, .min = 1, .max = 4000, .required = true},
        {.name = "status", .kind = GD_RULE_ENUM, .values = complaint_statuses, .dflt = "\"open\""},
        {.name = "resolution", .kind = GD_RULE_NOTE, .min = 0, .max = 4000},
        {.name = "compensation_amount", MONEY},
        {.name = "compensation_currency", .kind = GD_RULE_CURRENCY},
        {.name = "feedback_score", .kind = GD_RULE_INT, .imin = 1, .imax = 5},
        {0},
};

#undef MONEY

/* ---- server-owned members: the common ones, then each section's derived ones ---- */

#define COMMON_READ_ONLY "id", "guest_id", "version", "created_at", "updated_at"

static const char *const stay_read_only[] = {COMMON_READ_ONLY, "nights", "month", NULL};
static const char *const consumption_read_only[] = {COMMON_READ_ONLY, "per_person", NULL};
static const char *const preference_read_only[] = {COMMON_READ_ONLY, "evidence", NULL};
static const char *const special_date_read_only[] = {COMMON_READ_ONLY, NULL};
static const char *const complaint_read_only[] = {COMMON_READ_ONLY, "resolved_at", NULL};

#undef COMMON_READ_ONLY

/* ---- cross-field rules ---- */

/* A member that is present and not null. */
static const json_t *given(const json_t *doc, const char *name)
{
        const json_t *v = json_object_get(doc, name);
        return v && !json_is_null(v) ? v : NULL;
}

/* The string value of a member, or its rule's default when absent or null (NULL if neither). */
static const char *string_or(const json_t *doc, const char *name, const char *dflt)
{
        const json_t *v = given(doc, name);
        if (!v)
                return dflt;
        return json_string_value(v);
}

static bool in_list(const char *const *list, const char *s)
{
        for (; s && list && *list; list++)
                if (strcmp(*list, s) == 0)
                        return true;
        return false;
}

/* Position in a NULL-terminated list, -1 when absent. */
static int list_index(const char *const *list, const char *s)
{
        for (int i = 0; s && list[i]; i++)
                if (strcmp(list[i], s) == 0)
                        return i;
        return -1;
}

static bool parse_date_member(const json_t *doc, const char *name, struct gd_date *ret)
{
        const char *s = json_string_value(given(doc, name));
        return s && gd_date_parse(s, ret);
}

static void stay_cross_check(const json_t *doc, const json_t *before, struct gd_error *err)
{
        (void) before;
        struct gd_date in, out;
        if (parse_date_member(doc, "check_in", &in) && parse_date_member(doc, "check_out", &out) &&
            gd_date_compare(&out, &in) <= 0)
                gd_error_add_field(err, "/check_out", "must be after check_in");
        if (given(doc, "rate_amount") && !given(doc, "currency"))
                gd_error_add_field(err, "/currency", "is required when rate_amount is given");
}

static void consumption_cross_check(const json_t *doc, const json_t *before, struct gd_error *err)
{
        (void) before;
        const char *category = json_string_value(given(doc, "category"));
        /* an invalid or missing category is reported on its own */
        if (given(doc, "dining_type") && in_list(consumption_categories, category) &&
            strcmp(category, "dining") != 0)
                gd_error_add_field(err, "/dining_type", "is only allowed when category is dining");
}

static void preference_cross_check(const json_t *doc, const json_t *before, struct gd_error *err)
{
        (void) before;
        const char *source = json_string_value(given(doc, "source"));
        if (!source || strcmp(source, "inferred") != 0)
                return;
        /* The enum rule already refused it; say why instead of listing the values. */
        size_t n = err->n_fields < GD_ERROR_MAX_FIELDS ? err->n_fields : GD_ERROR_MAX_FIELDS;
        for (size_t i = 0; i < n; i++)
                if (strcmp(err->fields[i].pointer, "/source") == 0) {
                        snprintf(err->fields[i].message, sizeof(err->fields[i].message),
                                 "inferred preferences are made by guestd: use staff or guest");
                        return;
                }
        gd_error_add_field(err, "/source", "inferred preferences are made by guestd: use staff or guest");
}

static void complaint_cross_check(const json_t *doc, const json_t *before, struct gd_error *err)
{
        if (given(doc, "compensation_amount") && !given(doc, "compensation_currency"))
                gd_error_add_field(err, "/compensation_currency",
                                   "is required when compensation_amount is given");

        const char *status = string_or(doc, "status", "open");
        int rank = list_index(complaint_statuses, status);
        if (given(doc, "feedback_score") && rank >= 0 && rank < list_index(complaint_statuses, "resolved"))
                gd_error_add_field(err, "/feedback_score",
                                   "is only allowed when status is resolved or closed");

        const char *was = before ? string_or(before, "status", "open") : NULL;
        int was_rank = list_index(complaint_statuses, was);
        if (rank >= 0 && was_rank >= 0 && rank < was_rank)
                gd_error_add_field(err, "/status", "may not go back from %s to %s", was, status);
}

static void no_cross_check(const json_t *doc, const json_t *before, struct gd_error *err)
{
        (void) doc;
        (void) before;
        (void) err;
}

/* ---- dispatch ---- */

struct section_def {
        const char *path;
        const char *noun;
        const struct gd_rule *rules;
        const char *const *read_only;
        /* adds the errors that involve several members; `before` is NULL on a create */
        void (*cross_check)(const json_t *doc, const json_t *before, struct gd_error *err);
};

static const struct section_def sections[_GD_SECTION_MAX] = {
        [GD_SECTION_STAYS] = {"stays", "stay", stay_rules, stay_read_only, stay_cross_check},
        [GD_SECTION_CONSUMPTIONS] = {"consumptions", "consumption", consumption_rules, consumption_read_only,
                                     consumption_cross_check},
        [GD_SECTION_PREFERENCES] = {"preferences", "preference", preference_rules, preference_read_only,
                                    preference_cross_check},
        [GD_SECTION_SPECIAL_DATES] = {"special-dates", "special date", special_date_rules,
                                      special_date_read_only, no_cross_check},
        [GD_SECTION_COMPLAINTS] = {"complaints", "complaint", complaint_rules, complaint_read_only,
                                   complaint_cross_check},
};

static const struct section_def *section_get(enum gd_section s)
{
        if ((int) s < 0 || s >= _GD_SECTION_MAX)
                return NULL;
        return &sections[s];
}

const char *gd_section_path(enum gd_section s)
{
        const struct section_def *def = section_get(s);
        return def ? def->path : NULL;
}

const char *gd_section_noun(enum gd_section s)
{
        const struct section_def *def = section_get(s);
        return def ? def->noun : NULL;
}

enum gd_err gd_section_validate(enum gd_section s, const json_t *doc, const json_t *before,
                                const struct gd_date *today, struct gd_error *reterr)
{
        time_t now = today ? (time_t) gd_date_to_days(today) * 86400 : 0;
        return gd_section_validate_at(s, doc, before, now, reterr);
}

enum gd_err gd_section_validate_at(enum gd_section s, const json_t *doc, const json_t *before, time_t now,
                                   struct gd_error *reterr)
{
        const struct section_def *def = section_get(s);
        if (!def)
                return gd_error_set(reterr, GD_ERR_INTERNAL, NULL);
        if (!json_is_object(doc)) {
                gd_error_add_field(reterr, "", "must be a JSON object");
                return gd_error_set(reterr, GD_ERR_INVALID, "The request body must be a JSON object.");
        }
        struct gd_rules_ctx ctx = {.today = gd_date_from_unix(now), .now = now, .read_only = def->read_only};
        size_t first = reterr->n_fields;
        gd_rules_check(doc, def->rules, "", &ctx, reterr);
        def->cross_check(doc, json_is_object(before) ? before : NULL, reterr);
        size_t n = reterr->n_fields - first;
        if (n > 0)
                return gd_error_set(reterr, GD_ERR_INVALID, "The %s has %zu invalid field(s).", def->noun, n);
        return GD_OK;
}

enum gd_err gd_section_check_patch(enum gd_section s, const json_t *patch, struct gd_error *reterr)
{
        const struct section_def *def = section_get(s);
        if (!def)
                return gd_error_set(reterr, GD_ERR_INTERNAL, NULL);
        if (!json_is_object(patch)) {
                gd_error_add_field(reterr, "", "must be a JSON object");
                return gd_error_set(reterr, GD_ERR_INVALID, "A merge patch of a %s must be a JSON object.",
                                    def->noun);
        }
        struct gd_rules_ctx ctx = {.read_only = def->read_only};
        if (gd_rules_check_names(patch, def->rules, &ctx, reterr) > 0)
                return gd_error_set(reterr, GD_ERR_INVALID, "The patch names fields that cannot be written.");
        return GD_OK;
}

json_t *gd_section_effective_patch(enum gd_section s, const json_t *before, const json_t *patch)
{
        const char *source = json_string_value(json_object_get(before, "source"));
        bool inferred = source && strcmp(source, "inferred") == 0;
        bool says_source = json_object_get(patch, "source") != NULL;
        if (s != GD_SECTION_PREFERENCES || !inferred || !json_is_object(patch) || says_source)
                return json_incref((json_t *) patch);
        /* a human's edit makes the preference theirs, so inference never overwrites it */
        json_t *copy = json_copy((json_t *) patch);
        if (copy && json_object_set_new(copy, "source", json_string("staff")) != 0) {
                json_decref(copy);
                copy = NULL;
        }
        return copy;
}

json_t *gd_section_normalize(enum gd_section s, const json_t *doc)
{
        const struct section_def *def = section_get(s);
        return def ? gd_rules_normalize(doc, def->rules) : NULL;
}

bool gd_preference_category_is_sensitive(const char *category)
{
        return in_list(sensitive_categories, category);
}
