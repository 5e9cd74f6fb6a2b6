/* SPDX-License-Identifier: MIT */
/* Guest bodies: POST validation and normalization, PATCH checks, RFC 7396 merge and the
 * validation of the merged result, and the marketing mask, as src/http/h_guests.c chains them. */
#include "fuzz_common.h"
#include "guestd/guest.h"

/* A stored guest, as the API shows it, that a fuzzed patch is applied to. */
static const char stored_text[] =
        "{\"id\":\"0b7e6f9c-2a4d-4c1e-9f3b-5d8a7c6e4b21\",\"version\":3,"
        "\"created_at\":\"2026-01-02T03:04:05Z\",\"updated_at\":\"2026-01-02T03:04:05Z\","
        "\"family_name\":\"Müller\",\"given_name\":\"José\",\"gender\":\"male\",\"birth_date\":\"1984-02-29\","
        "\"nationality\":\"DE\",\"phone\":\"+4915112345678\",\"email\":\"jose@example.com\",\"language\":\"de-DE\","
        "\"address\":{\"line1\":\"Hauptstraße 5\",\"city\":\"Berlin\",\"postal_code\":\"10115\",\"country\":\"DE\"},"
        "\"id_document\":{\"type\":\"passport\",\"number\":\"C01X00T47\",\"country\":\"DE\"},"
        "\"external_refs\":[{\"system\":\"opera\",\"id\":\"100234\"}],\"marketing_consent\":true,"
        "\"notes\":\"quiet room\"}";

static void check_valid_doc(const json_t *doc, struct gd_error *err)
{
        json_t *normal = gd_guest_normalize(doc);
        FUZZ_ASSERT(normal != NULL);
        /* what is stored must pass the rules again: a later PATCH starts from it */
        gd_error_clear(err);
        FUZZ_ASSERT(gd_guest_validate(normal, &fuzz_today, err) == GD_OK);
        json_t *again = gd_guest_normalize(normal);
        FUZZ_ASSERT(again != NULL && json_equal(again, normal));
        json_decref(again);
        json_decref(normal);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static json_t *stored;
        if (!stored) {
                stored = json_loads(stored_text, 0, NULL);
                FUZZ_ASSERT(stored != NULL);
        }
        json_t *doc = fuzz_parse_body(data, size);
        if (!doc)
                return 0;
        struct gd_error *err = calloc(1, sizeof(*err));
        FUZZ_ASSERT(err != NULL);

        /* POST /v1/guests */
        enum gd_err e = gd_guest_validate(doc, &fuzz_today, err);
        fuzz_check_error(err);
        FUZZ_ASSERT(e == GD_OK || (e == GD_ERR_INVALID && err->n_fields > 0));
        if (e == GD_OK)
                check_valid_doc(doc, err);

        /* PATCH /v1/guests/{id}: the body as a merge patch over the stored guest */
        gd_error_clear(err);
        e = gd_guest_check_patch(doc, err);
        fuzz_check_error(err);
        if (e == GD_OK) {
                json_t *base = gd_guest_normalize(stored);
                json_t *merged = gd_json_merge_patch(base, doc);
                FUZZ_ASSERT(base != NULL && merged != NULL);
                /* RFC 7396 is idempotent */
                json_t *twice = gd_json_merge_patch(merged, doc);
                FUZZ_ASSERT(twice != NULL && json_equal(twice, merged));
                json_decref(twice);
                gd_error_clear(err);
                e = gd_guest_validate(merged, &fuzz_today, err);
                fuzz_check_error(err);
                if (e == GD_OK)
                        check_valid_doc(merged, err);
                json_decref(merged);
                json_decref(base);
        }

        /* GET as marketing, when the fuzzed document is shaped like a stored guest */
        json_t *copy = json_deep_copy(doc);
        if (copy && json_is_object(copy)) {
                gd_guest_mask(copy, GD_ROLE_MARKETING);
                FUZZ_ASSERT(json_object_get(copy, "id_document") == NULL);
                FUZZ_ASSERT(json_object_get(copy, "notes") == NULL);
        }
        json_decref(copy);
        free(err);
        json_decref(doc);
        return 0;
}
