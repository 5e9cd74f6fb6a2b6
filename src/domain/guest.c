/* SPDX-License-Identifier: MIT */
/* Guest basic info: the field rules of DESIGN §5 and the per-role view. */
#include <stdio.h>
#include <string.h>

#include "guestd/guest.h"
#include "guestd/rules.h"
#include "guestd/section.h"

static const char *const genders[] = {"female", "male", "other", "unknown", NULL};
static const char *const document_types[] = {"passport", "national_id", "driving_licence", "residence_permit",
                                             "other", NULL};

static const struct gd_rule address_rules[] = {
        {.name = "line1", .kind = GD_RULE_TEXT, .min = 1, .max = 200},
        {.name = "line2", .kind = GD_RULE_TEXT, .min = 1, .max = 200},
        {.name = "city", .kind = GD_RULE_TEXT, .min = 1, .max = 200},
        {.name = "region", .kind = GD_RULE_TEXT, .min = 1, .max = 200},
        {.name = "postal_code", .kind = GD_RULE_TEXT, .min = 1, .max = 20},
        {.name = "country", .kind = GD_RULE_COUNTRY},
        {0},
};

static const struct gd_rule id_document_rules[] = {
        {.name = "type", .kind = GD_RULE_ENUM, .required = true, .values = document_types},
        {.name = "number", .kind = GD_RULE_TEXT, .min = 1, .max = 50, .required = true},
        {.name = "country", .kind = GD_RULE_COUNTRY},
        {0},
};

static const struct gd_rule external_ref_rules[] = {
        {.name = "system", .kind = GD_RULE_TEXT, .min = 1, .max = 50, .required = true},
        {.name = "id", .kind = GD_RULE_TEXT, .min = 1, .max = 100, .required = true},
        {0},
};

static const struct gd_rule guest_rules[] = {
        {.name = "family_name", .kind = GD_RULE_TEXT, .min = 1, .max = 100, .required = true},
        {.name = "given_name", .kind = GD_RULE_TEXT, .min = 1, .max = 100},
        {.name = "gender", .kind = GD_RULE_ENUM, .values = genders},
        {.name = "birth_date", .kind = GD_RULE_PAST_DATE},
        {.name = "nationality", .kind = GD_RULE_COUNTRY},
        {.name = "ethnicity", .kind = GD_RULE_TEXT, .min = 1, .max = 100},
        {.name = "native_place", .kind = GD_RULE_TEXT, .min = 1, .max = 200},
        {.name = "address", .kind = GD_RULE_OBJECT, .members = address_rules},
        {.name = "phone", .kind = GD_RULE_PHONE},
        {.name = "email", .kind = GD_RULE_EMAIL},
        {.name = "language", .kind = GD_RULE_LANGUAGE},
        {.name = "id_document", .kind = GD_RULE_OBJECT, .members = id_document_rules},
        {.name = "external_refs", .kind = GD_RULE_OBJECT_LIST, .max = 20, .members = external_ref_rules},
        {.name = "vip_code", .kind = GD_RULE_TEXT, .min = 1, .max = 50},
        {.name = "marketing_consent", .kind = GD_RULE_BOOL},
        {.name = "legal_hold", .kind = GD_RULE_BOOL},
        {.name = "notes", .kind = GD_RULE_NOTE, .min = 0, .max = 2000},
        {0},
};

static const char *const server_owned[] = {"id", "version", "created_at", "updated_at", "loyalty", "stats", NULL};

enum gd_err gd_guest_validate(const json_t *doc, const struct gd_date *today, struct gd_error *reterr)
{
        if (!json_is_object(doc)) {
                gd_error_add_field(reterr, "", "must be a JSON object");
                return gd_error_set(reterr, GD_ERR_INVALID, "The request body must be a JSON object.");
        }
        struct gd_rules_ctx ctx = {.today = *today, .read_only = server_owned};
        size_t n = gd_rules_check(doc, guest_rules, "", &ctx, reterr);
        if (n > 0)
                return gd_error_set(reterr, GD_ERR_INVALID, "The guest has %zu invalid field(s).", n);
        return GD_OK;
}

enum gd_err gd_guest_check_patch(const json_t *patch, struct gd_error *reterr)
{
        if (!json_is_object(patch)) {
                gd_error_add_field(reterr, "", "must be a JSON object");
                return gd_error_set(reterr, GD_ERR_INVALID, "A merge patch of a guest must be a JSON object.");
        }
        struct gd_rules_ctx ctx = {.read_only = server_owned};
        if (gd_rules_check_names(patch, guest_rules, &ctx, reterr) > 0)
                return gd_error_set(reterr, GD_ERR_INVALID, "The patch names fields that cannot be written.");
        return GD_OK;
}

json_t *gd_guest_normalize(const json_t *doc)
{
        return gd_rules_normalize(doc, guest_rules);
}

bool gd_guest_contact_visible(enum gd_role role, bool marketing_consent)
{
        return role != GD_ROLE_MARKETING || marketing_consent;
}

bool gd_guest_birthday(const char *birth_date, char out[6])
{
        /* The day and month are enough for a greeting; the year is not marketing's business. */
        struct gd_date d;
        if (!gd_date_parse(birth_date, &d))
                return false;
        if (d.month < 1 || d.month > 12 || d.day < 1 || d.day > 31)
                return false;
        out[0] = (char) ('0' + d.month / 10);
        out[1] = (char) ('0' + d.month % 10);
        out[2] = '-';
        out[3] = (char) ('0' + d.day / 10);
        out[4] = (char) ('0' + d.day % 10);
        out[5] = '\0';
        return true;
}

/* Replaces the date in `member` (YYYY-MM-DD) with "birthday": "MM-DD", or null when it is not a date. */
static void mask_birth_year(json_t *obj, const char *member)
{
        const char *date = json_string_value(json_object_get(obj, member));
        char md[6];
        bool known = date && gd_guest_birthday(date, md);
        json_object_set_new(obj, "birthday", known ? json_string(md) : json_null());
        json_object_del(obj, member);
}

void gd_guest_mask(json_t *guest, enum gd_role role)
{
        if (role != GD_ROLE_MARKETING || !json_is_object(guest))
                return;

        json_object_del(guest, "ethnicity");
        json_object_del(guest, "id_document");
        json_object_del(guest, "notes");
        mask_birth_year(guest, "birth_date");

        json_t *address = json_object_get(guest, "address");
        if (json_is_object(address)) {
                json_t *reduced = json_object();
                const char *keep[] = {"city", "country"};
                for (size_t i = 0; i < 2; i++) {
                        json_t *v = json_object_get(address, keep[i]);
                        if (v)
                                json_object_set(reduced, keep[i], v);
                }
                json_object_set_new(guest, "address", reduced);
        }

        if (!gd_guest_contact_visible(role, json_is_true(json_object_get(guest, "marketing_consent")))) {
                json_object_del(guest, "phone");
                json_object_del(guest, "email");
        }

        /* A special date of kind birthday is a birth date too (often a child's or a partner's): it loses
         * its year the same way. An anniversary keeps its year: it tells no one's age, and the number
         * of years is what an anniversary greeting names. */
        json_t *dates = json_object_get(guest, "special_dates"), *date;
        size_t i;
        json_array_foreach (dates, i, date) {
                const char *kind = json_string_value(json_object_get(date, "kind"));
                if (kind && strcmp(kind, "birthday") == 0)
                        mask_birth_year(date, "date");
        }

        /* The profile card: no stay history, and no health or belief preferences. */
        json_object_del(guest, "recent_stays");
        json_t *preferences = json_object_get(guest, "preferences");
        for (size_t i = json_array_size(preferences); i-- > 0;) {
                json_t *category = json_object_get(json_array_get(preferences, i), "category");
                if (gd_preference_category_is_sensitive(json_string_value(category)))
                        json_array_remove(preferences, i);
        }
}
