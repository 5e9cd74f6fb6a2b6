/* SPDX-License-Identifier: MIT */
/* Dossier section bodies (stays, consumptions, preferences, special dates, complaints): the first
 * byte picks the section, the rest is the body. A POST is validated and normalized; as a PATCH it
 * goes through the cycle of src/http/write.c: check, effective patch, merge, validate, normalize. */
#include "fuzz_common.h"
#include "guestd/guest.h"
#include "guestd/section.h"

/* One stored item per section, as the API shows it: the "before" of a PATCH. The preference is an
 * inferred one and the complaint is in progress, so the workflow rules have something to judge. */
static const char *const stored_text[_GD_SECTION_MAX] = {
        [GD_SECTION_STAYS] =
                "{\"id\":\"4f0c2a8e-6b1d-4e3a-9c7f-1a2b3c4d5e6f\",\"guest_id\":\"0b7e6f9c-2a4d-4c1e-9f3b-5d8a7c6e4b21\","
                "\"version\":2,\"check_in\":\"2026-03-02\",\"check_out\":\"2026-03-05\",\"status\":\"completed\","
                "\"room_type\":\"deluxe\",\"room_number\":\"512\",\"adults\":2,\"rate_amount\":\"189.00\","
                "\"currency\":\"EUR\",\"amenities_used\":{\"minibar\":3,\"spa\":1}}",
        [GD_SECTION_CONSUMPTIONS] =
                "{\"id\":\"4f0c2a8e-6b1d-4e3a-9c7f-1a2b3c4d5e6f\",\"guest_id\":\"0b7e6f9c-2a4d-4c1e-9f3b-5d8a7c6e4b21\","
                "\"version\":1,\"occurred_at\":\"2026-03-03T20:15:00Z\",\"category\":\"dining\","
                "\"dining_type\":\"dinner\",\"covers\":2,\"amount\":\"245.50\",\"currency\":\"EUR\","
                "\"payment_status\":\"paid\"}",
        [GD_SECTION_PREFERENCES] =
                "{\"id\":\"4f0c2a8e-6b1d-4e3a-9c7f-1a2b3c4d5e6f\",\"guest_id\":\"0b7e6f9c-2a4d-4c1e-9f3b-5d8a7c6e4b21\","
                "\"version\":1,\"category\":\"room\",\"key\":\"room_type\",\"value\":\"deluxe\","
                "\"source\":\"inferred\",\"evidence\":\"deluxe on 4 of the last 5 stays\"}",
        [GD_SECTION_SPECIAL_DATES] =
                "{\"id\":\"4f0c2a8e-6b1d-4e3a-9c7f-1a2b3c4d5e6f\",\"guest_id\":\"0b7e6f9c-2a4d-4c1e-9f3b-5d8a7c6e4b21\","
                "\"version\":1,\"kind\":\"anniversary\",\"date\":\"2012-06-16\",\"label\":\"Wedding\"}",
        [GD_SECTION_COMPLAINTS] =
                "{\"id\":\"4f0c2a8e-6b1d-4e3a-9c7f-1a2b3c4d5e6f\",\"guest_id\":\"0b7e6f9c-2a4d-4c1e-9f3b-5d8a7c6e4b21\","
                "\"version\":4,\"category\":\"noise\",\"severity\":\"medium\",\"description\":\"Construction noise\","
                "\"status\":\"in_progress\",\"received_at\":\"2026-03-04T07:00:00Z\"}",
};

static void check_valid_item(enum gd_section s, const json_t *doc, const json_t *before, struct gd_error *err)
{
        json_t *normal = gd_section_normalize(s, doc);
        FUZZ_ASSERT(normal != NULL);
        gd_error_clear(err);
        /* what is stored must pass the rules again: a later PATCH starts from it */
        FUZZ_ASSERT(gd_section_validate(s, normal, before, &fuzz_today, err) == GD_OK);
        json_t *again = gd_section_normalize(s, normal);
        FUZZ_ASSERT(again != NULL && json_equal(again, normal));
        json_decref(again);
        json_decref(normal);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static json_t *stored[_GD_SECTION_MAX];
        if (size < 1)
                return 0;
        enum gd_section s = (enum gd_section) (data[0] % _GD_SECTION_MAX);
        if (!stored[s]) {
                stored[s] = json_loads(stored_text[s], 0, NULL);
                FUZZ_ASSERT(stored[s] != NULL);
        }
        json_t *doc = fuzz_parse_body(data + 1, size - 1);
        if (!doc)
                return 0;
        struct gd_error *err = calloc(1, sizeof(*err));
        FUZZ_ASSERT(err != NULL);

        /* POST */
        enum gd_err e = gd_section_validate(s, doc, NULL, &fuzz_today, err);
        fuzz_check_error(err);
        FUZZ_ASSERT(e == GD_OK || (e == GD_ERR_INVALID && err->n_fields > 0));
        if (e == GD_OK)
                check_valid_item(s, doc, NULL, err);

        /* PATCH over the stored item */
        gd_error_clear(err);
        e = gd_section_check_patch(s, doc, err);
        fuzz_check_error(err);
        if (e == GD_OK) {
                json_t *base = gd_section_normalize(s, stored[s]);
                json_t *patch = gd_section_effective_patch(s, stored[s], doc);
                FUZZ_ASSERT(base != NULL && patch != NULL);
                json_t *merged = gd_json_merge_patch(base, patch);
                FUZZ_ASSERT(merged != NULL);
                gd_error_clear(err);
                e = gd_section_validate(s, merged, stored[s], &fuzz_today, err);
                fuzz_check_error(err);
                if (e == GD_OK)
                        check_valid_item(s, merged, stored[s], err);
                json_decref(merged);
                json_decref(patch);
                json_decref(base);
        }
        free(err);
        json_decref(doc);
        return 0;
}
