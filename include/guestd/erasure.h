/* SPDX-License-Identifier: MIT */
/* Right to erasure (pure): what keeps a guest's data from being erased now (DELETE
 * /v1/guests/{id}?erase=true). The database reads the facts under a lock on the guest. */
#ifndef GUESTD_ERASURE_H
#define GUESTD_ERASURE_H

#include <stdbool.h>

#include "guestd/error.h"

struct gd_erasure_facts {
        bool legal_hold;
        long open_complaints; /* status open or in_progress */
        long unpaid_charges;  /* payment_status unpaid, pending or disputed */
        long in_house_stays;  /* status in_house */
};

/* GD_OK when nothing blocks the erasure; otherwise GD_ERR_CONFLICT with one field error per
 * blocking reason, in this order: legal_hold, in_house, open_complaint, unpaid_charge. */
enum gd_err gd_erasure_check(const struct gd_erasure_facts *f, struct gd_error *reterr);

#endif
