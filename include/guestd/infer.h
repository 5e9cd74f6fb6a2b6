/* SPDX-License-Identifier: MIT */
/* Preferences inferred from a guest's history ("the system notices"): pure rules, no I/O. */
#ifndef GUESTD_INFER_H
#define GUESTD_INFER_H

#include <stddef.h>

#define GD_INFER_STAYS 5   /* how many of the newest completed stays the stay rules look at */
#define GD_INFER_DINING 20 /* how many of the newest dining charges the dining rule looks at */
#define GD_INFER_MAX_AMENITIES 50
#define GD_INFER_MAX_RESULTS (3 + GD_INFER_MAX_AMENITIES)

/* One completed stay, as the rules see it. */
struct gd_stay_fact {
        char room_type[32]; /* "" when unknown */
        int party;          /* adults + children */
        size_t n_amenities;
        char amenities[GD_INFER_MAX_AMENITIES][51]; /* amenities used at least once */
};

/* One dining charge with a dining type. */
struct gd_dining_fact {
        char dining_type[16];
};

struct gd_inferred {
        char category[16];
        char key[51];
        char value[64];
        char evidence[128];
};

/*
 * Applies the rules to the newest completed stays and dining charges (newest first; only the
 * first GD_INFER_STAYS and GD_INFER_DINING are used) and writes what they support to out
 * (capacity cap), returning the count. Deterministic: ties go to the value seen most recently.
 */
size_t gd_infer_preferences(const struct gd_stay_fact *stays, size_t n_stays, const struct gd_dining_fact *dining,
                            size_t n_dining, struct gd_inferred *out, size_t cap);

#endif
