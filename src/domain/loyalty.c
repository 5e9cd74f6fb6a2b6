/* SPDX-License-Identifier: MIT */
/* Rules of the loyalty configuration: the shapes through the rule engine, the rest by hand. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guestd/decimal.h"
#include "guestd/loyalty.h"
#include "guestd/rules.h"
#include "guestd/validate.h"

#define WEIGHT_TOLERANCE 0.0001

static const struct gd_rule weight_rules[] = {
        {.name = "recency", .kind = GD_RULE_DECIMAL, .max = 1, .scale = 4, .imin = 0, .imax = 1, .required = true},
        {.name = "frequency", .kind = GD_RULE_DECIMAL, .max = 1, .scale = 4, .imin = 0, .imax = 1, .required = true},
        {.name = "monetary", .kind = GD_RULE_DECIMAL, .max = 1, .scale = 4, .imin = 0, .imax = 1, .required = true},
        {.name = "satisfaction", .kind = GD_RULE_DECIMAL, .max = 1, .scale = 4, .imin = 0, .imax = 1, .required = true},
        {.name = "credit", .kind = GD_RULE_DECIMAL, .max = 1, .scale = 4, .imin = 0, .imax = 1, .required = true},
        {0},
};

static const struct gd_rule tier_rules[] = {
        {.name = "name", .kind = GD_RULE_TEXT, .min = 1, .max = 30, .required = true},
        {.name = "min_score", .kind = GD_RULE_DECIMAL, .max = 3, .scale = 1, .imin = 0, .imax = 100, .required = true},
        {.name = "colour", .kind = GD_RULE_TEXT, .min = 1, .max = 7, .required = true},
        {0},
};

static const struct gd_rule config_rules[] = {
        {.name = "base_currency", .kind = GD_RULE_CURRENCY, .required = true},
        {.name = "window_days", .kind = GD_RULE_INT, .imin = 1, .imax = 3650, .required = true},
        {.name = "recency_days", .kind = GD_RULE_INT, .imin = 1, .imax = 3650, .required = true},
        {.name = "frequency_cap", .kind = GD_RULE_INT, .imin = 1, .imax = 1000, .required = true},
        {.name = "monetary_cap", .kind = GD_RULE_DECIMAL, .max = 12, .scale = 2, .imin = 0, .imax = 999999999999,
         .required = true},
        {.name = "weights", .kind = GD_RULE_OBJECT, .members = weight_rules, .required = true},
        {.name = "tiers", .kind = GD_RULE_OBJECT_LIST, .max = 10, .members = tier_rules, .required = true},
        {.name = "vip_floor_tier", .kind = GD_RULE_TEXT, .min = 1, .max = 30, .required = true},
        {0},
};

/* Members of the GET body that a PUT may send back but never changes. */
static const char *const ignored[] = {"formula_version", "updated_at", NULL};

static json_t *without_ignored(const json_t *body)
{
        json_t *copy = json_copy((json_t *) body);
        for (const char *const *i = ignored; copy && *i; i++)
                json_object_del(copy, *i);
        return copy;
}

static double decimal_value(const json_t *v, unsigned scale)
{
        char text[GD_DECIMAL_MAX];
        return gd_decimal_parse(v, 15, scale, text) == GD_DECIMAL_OK ? strtod(text, NULL) : 0;
}

static bool colour_valid(const char *s)
{
        if (strlen(s) != 7 || s[0] != '#')
                return false;
        for (int i = 1; i < 7; i++)
                if (!isxdigit((unsigned char) s[i]))
                        return false;
        return true;
}

static bool tier_name_valid(const char *s)
{
        if (!islower((unsigned char) s[0]))
                return false;
        for (const char *p = s; *p; p++)
                if (!islower((unsigned char) *p) && !isdigit((unsigned char) *p) && *p != '_')
                        return false;
        return true;
}

static void check_fx_rates(const json_t *rates, const char *base, struct gd_error *err)
{
        const char *currency;
        json_t *rate;
        char ptr[GD_POINTER_MAX], text[GD_DECIMAL_MAX];
        json_object_foreach ((json_t *) rates, currency, rate) {
                gd_pointer_append(ptr, sizeof(ptr), "/fx_rates", currency);
                if (!gd_valid_currency(currency))
                        gd_error_add_field(err, ptr, "must be keyed by an ISO 4217 currency code");
                else if (base && strcmp(currency, base) == 0)
                        gd_error_add_field(err, ptr, "the base currency has no rate");
                else if (gd_decimal_parse(rate, 9, 6, text) != GD_DECIMAL_OK || gd_decimal_compare_int(text, 0) <= 0)
                        gd_error_add_field(err, ptr, "must be a positive rate with at most 6 decimals");
        }
}

static void check_tiers(const json_t *tiers, const char *floor, struct gd_error *err)
{
        size_t n = json_array_size(tiers), i;
        if (n < 2) {
                gd_error_add_field(err, "/tiers", "must hold 2 to 10 tiers");
                return;
        }
        bool floor_found = false;
        json_t *tier;
        char ptr[GD_POINTER_MAX];
        json_array_foreach (tiers, i, tier) {
                const char *name = json_string_value(json_object_get(tier, "name"));
                const char *colour = json_string_value(json_object_get(tier, "colour"));
                double score = decimal_value(json_object_get(tier, "min_score"), 1);
                if (name && !tier_name_valid(name)) {
                        snprintf(ptr, sizeof(ptr), "/tiers/%zu/name", i);
                        gd_error_add_field(err, ptr, "must be lower-case letters, digits and _, starting with a letter");
                }
                if (colour && !colour_valid(colour)) {
                        snprintf(ptr, sizeof(ptr), "/tiers/%zu/colour", i);
                        gd_error_add_field(err, ptr, "must be a colour formatted #RRGGBB");
                }
                snprintf(ptr, sizeof(ptr), "/tiers/%zu/min_score", i);
                if (i == 0 && score != 0)
                        gd_error_add_field(err, ptr, "the first tier must start at 0");
                if (i > 0 && score <= decimal_value(json_object_get(json_array_get(tiers, i - 1), "min_score"), 1))
                        gd_error_add_field(err, ptr, "must be higher than the previous tier's");
                for (size_t j = 0; name && j < i; j++)
                        if (json_equal(json_object_get(json_array_get(tiers, j), "name"), json_object_get(tier, "name"))) {
                                snprintf(ptr, sizeof(ptr), "/tiers/%zu/name", i);
                                gd_error_add_field(err, ptr, "repeats the name of tier %zu", j);
                        }
                floor_found |= name && floor && strcmp(name, floor) == 0;
        }
        if (floor && !floor_found)
                gd_error_add_field(err, "/vip_floor_tier", "must be the name of one of the tiers");
}

enum gd_err gd_loyalty_config_validate(const json_t *body, struct gd_error *reterr)
{
        if (!json_is_object(body)) {
                gd_error_add_field(reterr, "", "must be a JSON object");
                return gd_error_set(reterr, GD_ERR_INVALID, "The configuration must be a JSON object.");
        }
        json_t *doc = without_ignored(body);
        struct gd_rules_ctx ctx = {.read_only = ignored};
        size_t before = reterr->n_fields;
        /* fx_rates holds currencies, not fixed members: its shape is checked by hand */
        json_t *rates = json_incref(json_object_get(doc, "fx_rates"));
        json_object_del(doc, "fx_rates");
        gd_rules_check(doc, config_rules, "", &ctx, reterr);
        /* the rules across members, wherever the members themselves are readable */
        const json_t *w = json_object_get(doc, "weights");
        double sum = 0;
        bool weights_readable = json_is_object(w);
        char text[GD_DECIMAL_MAX];
        for (const struct gd_rule *r = weight_rules; weights_readable && r->name; r++) {
                weights_readable = gd_decimal_parse(json_object_get(w, r->name), 1, 4, text) == GD_DECIMAL_OK;
                sum += decimal_value(json_object_get(w, r->name), 4);
        }
        if (weights_readable && fabs(sum - 1.0) > WEIGHT_TOLERANCE)
                gd_error_add_field(reterr, "/weights", "must add up to 1 (they add up to %.4f)", sum);
        char cap[GD_DECIMAL_MAX];
        if (gd_decimal_parse(json_object_get(doc, "monetary_cap"), 12, 2, cap) == GD_DECIMAL_OK &&
            gd_decimal_compare_int(cap, 0) == 0)
                gd_error_add_field(reterr, "/monetary_cap", "must be more than 0");
        if (json_is_array(json_object_get(doc, "tiers")))
                check_tiers(json_object_get(doc, "tiers"), json_string_value(json_object_get(doc, "vip_floor_tier")),
                            reterr);
        if (rates && !json_is_object(rates) && !json_is_null(rates))
                gd_error_add_field(reterr, "/fx_rates", "must be an object of currency codes and rates");
        else if (rates)
                check_fx_rates(rates, json_string_value(json_object_get(doc, "base_currency")), reterr);
        json_decref(rates);
        json_decref(doc);
        size_t n = reterr->n_fields - before;
        return n ? gd_error_set(reterr, GD_ERR_INVALID, "The configuration has %zu invalid field(s).", n) : GD_OK;
}

/* Decimal members as numbers, for the formula's arithmetic. */
static json_t *as_number(const json_t *v, unsigned scale)
{
        return json_real(decimal_value(v, scale));
}

json_t *gd_loyalty_config_normalize(const json_t *body)
{
        json_t *loyalty = json_object(), *weights = json_object(), *tiers = json_array(), *rates = json_object();
        const json_t *w = json_object_get(body, "weights");
        for (const struct gd_rule *r = weight_rules; r->name; r++)
                json_object_set_new(weights, r->name, as_number(json_object_get(w, r->name), 4));
        size_t i;
        json_t *tier;
        json_array_foreach (json_object_get(body, "tiers"), i, tier)
                json_array_append_new(tiers, json_pack("{s:O, s:o, s:O}", "name", json_object_get(tier, "name"),
                                                       "min_score", as_number(json_object_get(tier, "min_score"), 1),
                                                       "colour", json_object_get(tier, "colour")));
        const char *currency;
        json_t *rate;
        char text[GD_DECIMAL_MAX];
        json_object_foreach (json_object_get(body, "fx_rates"), currency, rate)
                if (gd_decimal_parse(rate, 9, 6, text) == GD_DECIMAL_OK)
                        json_object_set_new(rates, currency, json_string(text));
        char cap[GD_DECIMAL_MAX] = "0";
        gd_decimal_parse(json_object_get(body, "monetary_cap"), 12, 2, cap);
        json_object_set(loyalty, "window_days", json_object_get(body, "window_days"));
        json_object_set(loyalty, "recency_days", json_object_get(body, "recency_days"));
        json_object_set(loyalty, "frequency_cap", json_object_get(body, "frequency_cap"));
        json_object_set_new(loyalty, "monetary_cap", json_string(cap));
        json_object_set_new(loyalty, "weights", weights);
        json_object_set_new(loyalty, "tiers", tiers);
        json_object_set(loyalty, "vip_floor_tier", json_object_get(body, "vip_floor_tier"));
        return json_pack("{s:O, s:o, s:o}", "base_currency", json_object_get(body, "base_currency"), "fx_rates", rates,
                         "loyalty", loyalty);
}
