/* SPDX-License-Identifier: MIT */
/* The four dossier sections beside basic info, plus preferences: their rules (pure, no I/O). */
#ifndef GUESTD_SECTION_H
#define GUESTD_SECTION_H

#include <jansson.h>
#include <stdbool.h>
#include <time.h>

#include "guestd/date.h"
#include "guestd/error.h"

enum gd_section {
        GD_SECTION_STAYS,
        GD_SECTION_CONSUMPTIONS,
        GD_SECTION_PREFERENCES,
        GD_SECTION_SPECIAL_DATES,
        GD_SECTION_COMPLAINTS,
        _GD_SECTION_MAX,
};

/* Path segment ("special-dates") and singular noun for messages ("special date"). */
const char *gd_section_path(enum gd_section s);
const char *gd_section_noun(enum gd_section s);

/*
 * Validates a complete item (a POST body, or the stored item with a merge patch applied).
 * `before` is the stored item on a PATCH, NULL on a create: it feeds the workflow rules
 * (a complaint's status may not go backwards). `now` (Unix seconds) bounds the timestamps
 * (gd_body_timestamp_check). Each broken field is listed; GD_OK or GD_ERR_INVALID.
 */
enum gd_err gd_section_validate_at(enum gd_section s, const json_t *doc, const json_t *before, time_t now,
                                   struct gd_error *reterr);

/* The same for a caller that knows only the day (the fuzzers): `now` is the start of `today`, UTC. */
enum gd_err gd_section_validate(enum gd_section s, const json_t *doc, const json_t *before,
                                const struct gd_date *today, struct gd_error *reterr);

/* A PATCH body must be an object naming only writable members. */
enum gd_err gd_section_check_patch(enum gd_section s, const json_t *patch, struct gd_error *reterr);

/*
 * The patch as it takes effect: a human's edit of an inferred preference makes it theirs
 * (source "staff" unless the patch says otherwise). Returns a new reference.
 */
json_t *gd_section_effective_patch(enum gd_section s, const json_t *before, const json_t *patch);

/* Every writable member of a valid item, with defaults for absent ones and decimals in canonical
 * text: the shape the db layer stores. New reference, NULL on allocation failure. */
json_t *gd_section_normalize(enum gd_section s, const json_t *doc);

/* Preference categories a marketing role never sees (health and belief). */
bool gd_preference_category_is_sensitive(const char *category);

#endif
