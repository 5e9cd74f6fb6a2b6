/* SPDX-License-Identifier: MIT */
/* Guest basic info: the rules of DESIGN §5 and the role-based view (pure, no I/O). */
#ifndef GUESTD_GUEST_H
#define GUESTD_GUEST_H

#include <jansson.h>
#include <stdbool.h>

#include "guestd/date.h"
#include "guestd/error.h"
#include "guestd/role.h"

/*
 * Validates a complete guest document (a POST body, or the result of applying a merge patch
 * to the stored guest). Every broken field is added to reterr->fields with its JSON pointer;
 * returns GD_OK or GD_ERR_INVALID. `today` is the UTC day used for the birth-date rule.
 * Server-owned members (id, version, created_at, ...) are refused as read-only.
 */
enum gd_err gd_guest_validate(const json_t *doc, const struct gd_date *today, struct gd_error *reterr);

/*
 * Returns a new object holding every writable member of a valid document, with defaults for
 * absent ones (nulls, empty external_refs, false booleans): the exact shape the db layer stores.
 */
json_t *gd_guest_normalize(const json_t *doc);

/* Checks a merge-patch body before it is applied: it must be an object, and it may not name
 * server-owned or unknown members. Returns GD_OK or GD_ERR_INVALID. */
enum gd_err gd_guest_check_patch(const json_t *patch, struct gd_error *reterr);

/*
 * Removes or reduces what `role` may not see, in place, on a guest representation:
 * marketing loses ethnicity, id_document, notes, the birth year (birth_date becomes absent and
 * "birthday": "MM-DD" is added), address beyond city and country; phone and email are kept
 * only when marketing_consent is true. On a profile card, marketing also loses "recent_stays"
 * and the preferences of sensitive categories (allergy, taboo, hygiene), and each special date
 * of kind birthday loses its year as birth_date does ("date" becomes "birthday": "MM-DD");
 * anniversaries and other dates are kept whole. Other roles see everything.
 */
void gd_guest_mask(json_t *guest, enum gd_role role);

/*
 * The two rules of the marketing view that callers holding columns instead of a document (the
 * VIP CSV export) apply themselves; gd_guest_mask() applies them too, so they live here once.
 * Contact details (email, phone) are shown to `role` only with the guest's marketing consent
 * when role is marketing. Of a birth date (YYYY-MM-DD), marketing sees the day and month:
 * writes "MM-DD" to out and returns true, or false when birth_date is not a date.
 */
bool gd_guest_contact_visible(enum gd_role role, bool marketing_consent);
bool gd_guest_birthday(const char *birth_date, char out[6]);

/* RFC 7396 JSON Merge Patch: returns a new value (target is not modified). */
json_t *gd_json_merge_patch(const json_t *target, const json_t *patch);

#endif
