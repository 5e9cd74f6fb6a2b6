/* SPDX-License-Identifier: MIT */
/* The erasure rule: a legal hold, a guest in house, an open complaint or a charge not settled
 * (unpaid, pending or disputed: money still owed or argued about) keeps the data. Written-off and
 * paid charges do not block, nor do reserved, completed, cancelled or no-show stays. */
#include "guestd/erasure.h"

enum gd_err gd_erasure_check(const struct gd_erasure_facts *f, struct gd_error *reterr)
{
        bool blocked = false;
        if (f->legal_hold) {
                gd_error_add_field(reterr, "legal_hold", "the guest is under legal hold");
                blocked = true;
        }
        if (f->in_house_stays > 0) {
                gd_error_add_field(reterr, "in_house", "the guest is in house (%ld stay in_house)", f->in_house_stays);
                blocked = true;
        }
        if (f->open_complaints > 0) {
                gd_error_add_field(reterr, "open_complaint", "%ld complaint(s) open or in progress",
                                   f->open_complaints);
                blocked = true;
        }
        if (f->unpaid_charges > 0) {
                gd_error_add_field(reterr, "unpaid_charge", "%ld charge(s) unpaid, pending or disputed",
                                   f->unpaid_charges);
                blocked = true;
        }
        if (!blocked)
                return GD_OK;
        return gd_error_set(reterr, GD_ERR_CONFLICT, "The guest cannot be erased now.");
}
