/* SPDX-License-Identifier: MIT */
/* The loyalty configuration's rules (pure). The formula itself is defined once, in SQL
 * (sql/0003_loyalty.sql, loyalty_compute), where both the per-guest and the set-based recompute use it. */
#ifndef GUESTD_LOYALTY_H
#define GUESTD_LOYALTY_H

#include <jansson.h>

#include "guestd/error.h"

/*
 * Validates a PUT /v1/loyalty/config body (the GET body; formula_version and updated_at in it are
 * ignored): weights in [0,1] summing to 1, 2 to 10 tiers from 0 with strictly increasing scores
 * and #RRGGBB colours, a vip_floor_tier among them, positive windows and caps, ISO 4217 currencies
 * with positive rates. Each broken field is listed; GD_OK or GD_ERR_INVALID.
 */
enum gd_err gd_loyalty_config_validate(const json_t *body, struct gd_error *reterr);

/* The stored form of a valid body: {"base_currency", "fx_rates" (rates as decimal strings),
 * "loyalty" (the formula's parameters, numbers as numbers)}. New reference. */
json_t *gd_loyalty_config_normalize(const json_t *body);

#endif
