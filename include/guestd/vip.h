/* SPDX-License-Identifier: MIT */
/* The VIP list as CSV, from the columns of the list's statement, in the marketing view (pure). */
#ifndef GUESTD_VIP_H
#define GUESTD_VIP_H

#include <jansson.h>
#include <stdbool.h>

#include "guestd/csv.h"

/* The columns of a VIP export row, in the order the statement returns them and the CSV shows
 * them. */
enum gd_vip_column {
        GD_VIP_ID,
        GD_VIP_FAMILY_NAME,
        GD_VIP_GIVEN_NAME,
        GD_VIP_TIER,
        GD_VIP_SCORE,
        GD_VIP_COLOUR,
        GD_VIP_NATIONALITY,
        GD_VIP_LANGUAGE,
        GD_VIP_BIRTH_DATE, /* shown as "birthday", MM-DD */
        GD_VIP_EMAIL,
        GD_VIP_PHONE,
        GD_VIP_MARKETING_CONSENT, /* "t" or "f", as PostgreSQL writes a boolean */
        GD_VIP_VIP_CODE,
        GD_VIP_OCCASION_KIND,
        GD_VIP_OCCASION_DATE,
        GD_VIP_COLUMNS
};

/* Appends the header row. */
bool gd_vip_csv_header(struct gd_strbuf *b);

/* Appends one row from the statement's values (NULL for SQL NULL), masked for marketing:
 * birthday instead of birth date, contact details only with marketing consent. */
bool gd_vip_csv_row(struct gd_strbuf *b, const char *const values[GD_VIP_COLUMNS]);

/* One entry of the VIP list (schema VipEntry) from the same values and the occasion's label, masked
 * for marketing by the same rules as the CSV row. A new reference, or NULL when out of memory. */
json_t *gd_vip_item(const char *const values[GD_VIP_COLUMNS], const char *occasion_label);

#endif
