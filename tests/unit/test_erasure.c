/* SPDX-License-Identifier: MIT */
/* Unit tests for include/guestd/erasure.h: what keeps a guest from being erased (openapi/openapi.yaml,
 * DELETE /v1/guests/{id}?erase=true), each reason alone, all together and in their order. */
#include <check.h>
#include <string.h>

#include "guestd/erasure.h"
#include "guestd/error.h"

#include "gd_check.h"

static const struct {
        struct gd_erasure_facts facts;
        const char *pointers; /* space-separated, in order; "" when erasable */
} cases[] = {
        {{0}, ""},
        {{.legal_hold = true}, "legal_hold"},
        {{.in_house_stays = 1}, "in_house"},
        {{.open_complaints = 2}, "open_complaint"},
        {{.unpaid_charges = 1}, "unpaid_charge"},
        {{.legal_hold = true, .unpaid_charges = 3}, "legal_hold unpaid_charge"},
        {{.legal_hold = true, .in_house_stays = 1, .open_complaints = 1, .unpaid_charges = 1},
         "legal_hold in_house open_complaint unpaid_charge"},
        /* counts below one block nothing */
        {{.in_house_stays = 0, .open_complaints = 0, .unpaid_charges = 0}, ""},
};

START_TEST(test_reasons)
{
        struct gd_error err = {0};
        enum gd_err e = gd_erasure_check(&cases[_i].facts, &err);
        char got[256] = "";
        for (size_t i = 0; i < err.n_fields; i++) {
                if (i)
                        strcat(got, " ");
                strcat(got, err.fields[i].pointer);
                ck_assert(err.fields[i].message[0] != '\0');
        }
        ck_assert_str_eq(got, cases[_i].pointers);
        ck_assert_int_eq(e, cases[_i].pointers[0] ? GD_ERR_CONFLICT : GD_OK);
        ck_assert_int_eq(err.code, cases[_i].pointers[0] ? GD_ERR_CONFLICT : GD_OK);
}
END_TEST

START_TEST(test_message_names_the_count)
{
        struct gd_erasure_facts f = {.open_complaints = 3};
        struct gd_error err = {0};
        gd_erasure_check(&f, &err);
        ck_assert_ptr_nonnull(strstr(message_at(&err, "open_complaint"), "3"));
}
END_TEST

static Suite *erasure_suite(void)
{
        Suite *s = suite_create("erasure");
        TCase *tc = tcase_create("eligibility");
        tcase_add_loop_test(tc, test_reasons, 0, N(cases));
        tcase_add_test(tc, test_message_names_the_count);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        return run_suites(srunner_create(erasure_suite()));
}
