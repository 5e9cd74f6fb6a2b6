/* SPDX-License-Identifier: MIT */
/* The VIP list as CSV rows and as JSON entries, built from columns without an intermediate JSON
 * document: an export of a million rows spends its time here, so each row is one pass over its
 * values; a page of the list is built the same way. */
#include "guestd/vip.h"

#include <stdlib.h>

#include "guestd/guest.h"

static const char *const header[GD_VIP_COLUMNS + 1] = {
        [GD_VIP_ID] = "id",
        [GD_VIP_FAMILY_NAME] = "family_name",
        [GD_VIP_GIVEN_NAME] = "given_name",
        [GD_VIP_TIER] = "tier",
        [GD_VIP_SCORE] = "score",
        [GD_VIP_COLOUR] = "colour",
        [GD_VIP_NATIONALITY] = "nationality",
        [GD_VIP_LANGUAGE] = "language",
        [GD_VIP_BIRTH_DATE] = "birthday",
        [GD_VIP_EMAIL] = "email",
        [GD_VIP_PHONE] = "phone",
        [GD_VIP_MARKETING_CONSENT] = "marketing_consent",
        [GD_VIP_VIP_CODE] = "vip_code",
        [GD_VIP_OCCASION_KIND] = "next_occasion.kind",
        [GD_VIP_OCCASION_DATE] = "next_occasion.date",
        [GD_VIP_COLUMNS] = NULL,
};

bool gd_vip_csv_header(struct gd_strbuf *b)
{
        return gd_csv_header(b, header);
}

bool gd_vip_csv_row(struct gd_strbuf *b, const char *const values[GD_VIP_COLUMNS])
{
        const char *consent_text = values[GD_VIP_MARKETING_CONSENT];
        bool consent = consent_text && consent_text[0] == 't';
        bool contact = gd_guest_contact_visible(GD_ROLE_MARKETING, consent);
        char birthday[6];
        bool ok = true;
        for (int i = 0; i < GD_VIP_COLUMNS && ok; i++) {
                const char *text = values[i] ? values[i] : "";
                if (i == GD_VIP_BIRTH_DATE)
                        text = values[i] && gd_guest_birthday(values[i], birthday) ? birthday : "";
                else if (i == GD_VIP_EMAIL || i == GD_VIP_PHONE)
                        text = contact ? text : "";
                else if (i == GD_VIP_MARKETING_CONSENT)
                        text = consent ? "true" : "false";
                ok = (i == 0 || gd_strbuf_append(b, ",", 1)) && gd_csv_cell(b, text);
        }
        return ok && gd_strbuf_append(b, "\r\n", 2);
}

static json_t *text_or_null(const char *text)
{
        return text ? json_string(text) : json_null();
}

json_t *gd_vip_item(const char *const values[GD_VIP_COLUMNS], const char *occasion_label)
{
        const char *consent_text = values[GD_VIP_MARKETING_CONSENT];
        bool consent = consent_text && consent_text[0] == 't';
        char birthday[6];
        bool has_birthday = values[GD_VIP_BIRTH_DATE] && gd_guest_birthday(values[GD_VIP_BIRTH_DATE], birthday);
        json_t *occasion = values[GD_VIP_OCCASION_KIND]
                                   ? json_pack("{s:s, s:s?, s:o}", "kind", values[GD_VIP_OCCASION_KIND], "date",
                                               values[GD_VIP_OCCASION_DATE], "label", text_or_null(occasion_label))
                                   : json_null();
        const char *score = values[GD_VIP_SCORE];
        json_t *item = json_pack("{s:s, s:s?, s:o, s:o, s:o, s:b, s:o, s:f, s:s?, s:o, s:o, s:o}", "id",
                                 values[GD_VIP_ID], "family_name", values[GD_VIP_FAMILY_NAME], "given_name",
                                 text_or_null(values[GD_VIP_GIVEN_NAME]), "nationality",
                                 text_or_null(values[GD_VIP_NATIONALITY]), "language",
                                 text_or_null(values[GD_VIP_LANGUAGE]), "marketing_consent", consent, "vip_code",
                                 text_or_null(values[GD_VIP_VIP_CODE]), "score", score ? strtod(score, NULL) : 0.0,
                                 "tier", values[GD_VIP_TIER], "colour", text_or_null(values[GD_VIP_COLOUR]),
                                 "next_occasion", occasion, "birthday",
                                 has_birthday ? json_string(birthday) : json_null());
        if (item && gd_guest_contact_visible(GD_ROLE_MARKETING, consent)) {
                json_object_set_new(item, "email", text_or_null(values[GD_VIP_EMAIL]));
                json_object_set_new(item, "phone", text_or_null(values[GD_VIP_PHONE]));
        }
        return item;
}
