/* SPDX-License-Identifier: MIT */
/* The rules that turn a guest's recent history into inferred preferences. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "guestd/infer.h"

#define MIN_SUPPORT 3 /* every rule needs at least this many facts agreeing */

/* Enough for every amenity of every stay looked at, and for every dining charge. */
#define STAY_NAMES (GD_INFER_STAYS * GD_INFER_MAX_AMENITIES)
#define TALLY_CAP (STAY_NAMES > GD_INFER_DINING ? STAY_NAMES : GD_INFER_DINING)

/* Distinct values in order of first appearance (the newest first), with how many facts hold each. */
struct tally {
        size_t n;
        const char *value[TALLY_CAP];
        size_t len[TALLY_CAP];
        size_t count[TALLY_CAP];
};

/* Fixed-size fields may lack a NUL when full: never read past them. */
static size_t field_len(const char *s, size_t cap)
{
        const char *nul = memchr(s, '\0', cap);
        return nul ? (size_t) (nul - s) : cap;
}

static void tally_add(struct tally *t, const char *value, size_t len)
{
        for (size_t i = 0; i < t->n; i++)
                if (t->len[i] == len && memcmp(t->value[i], value, len) == 0) {
                        t->count[i]++;
                        return;
                }
        if (t->n < TALLY_CAP) {
                t->value[t->n] = value;
                t->len[t->n] = len;
                t->count[t->n++] = 1;
        }
}

/* The most frequent value; a tie goes to the one that appeared first, i.e. was seen most recently. */
static size_t tally_best(const struct tally *t)
{
        size_t best = 0;
        for (size_t i = 1; i < t->n; i++)
                if (t->count[i] > t->count[best])
                        best = i;
        return best;
}

/* Appends one result unless out is full; returns the new count. */
static size_t emit(struct gd_inferred *out, size_t n, size_t cap, const char *category, const char *key,
                   size_t key_len, const char *value, size_t value_len, const char *evidence)
{
        if (n >= cap)
                return n;
        struct gd_inferred *r = &out[n];
        memset(r, 0, sizeof(*r));
        snprintf(r->category, sizeof(r->category), "%s", category);
        snprintf(r->key, sizeof(r->key), "%.*s", (int) key_len, key);
        snprintf(r->value, sizeof(r->value), "%.*s", (int) value_len, value);
        snprintf(r->evidence, sizeof(r->evidence), "%s", evidence);
        return n + 1;
}

/*
 * The rule the room-type, party-size and dining rules share: the most frequent value among the m
 * facts looked at, kept when seen at least MIN_SUPPORT times (and, with need_half, on at least half
 * of them). The evidence reads "<value><unit> on <count> of the last <m> <what>".
 */
static size_t emit_most_frequent(const struct tally *t, size_t m, bool need_half, const char *category,
                                 const char *key, const char *unit, const char *what, struct gd_inferred *out,
                                 size_t n, size_t cap)
{
        if (t->n == 0)
                return n;
        size_t b = tally_best(t);
        if (t->count[b] < MIN_SUPPORT || (need_half && 2 * t->count[b] < m))
                return n;
        char evidence[sizeof(out->evidence)];
        snprintf(evidence, sizeof(evidence), "%.*s%s on %zu of the last %zu %s", (int) t->len[b], t->value[b], unit,
                 t->count[b], m, what);
        return emit(out, n, cap, category, key, strlen(key), t->value[b], t->len[b], evidence);
}

/* (room, room_type): M is the number of the stays that have a room type. */
static size_t infer_room_type(const struct gd_stay_fact *stays, size_t n_stays, struct gd_inferred *out,
                              size_t n, size_t cap)
{
        struct tally t;
        size_t m = 0;
        memset(&t, 0, sizeof(t));
        for (size_t i = 0; i < n_stays; i++) {
                size_t len = field_len(stays[i].room_type, sizeof(stays[i].room_type));
                if (len > 0) {
                        m++;
                        tally_add(&t, stays[i].room_type, len);
                }
        }
        return emit_most_frequent(&t, m, false, "room", "room_type", "", "stays", out, n, cap);
}

/* (habit, party_size): every stay counts. */
static size_t infer_party_size(const struct gd_stay_fact *stays, size_t n_stays, struct gd_inferred *out,
                               size_t n, size_t cap)
{
        struct tally t;
        char party[GD_INFER_STAYS][24];
        memset(&t, 0, sizeof(t));
        for (size_t i = 0; i < n_stays; i++) {
                int len = snprintf(party[i], sizeof(party[i]), "%d", stays[i].party);
                tally_add(&t, party[i], (size_t) len);
        }
        return emit_most_frequent(&t, n_stays, false, "habit", "party_size", " guests", "stays", out, n, cap);
}

/* (dining, dining_type): the most frequent type, on at least 3 and at least half of the charges. */
static size_t infer_dining_type(const struct gd_dining_fact *dining, size_t n_dining, struct gd_inferred *out,
                                size_t n, size_t cap)
{
        struct tally t;
        size_t m = 0;
        memset(&t, 0, sizeof(t));
        for (size_t i = 0; i < n_dining; i++) {
                size_t len = field_len(dining[i].dining_type, sizeof(dining[i].dining_type));
                if (len > 0) {
                        m++;
                        tally_add(&t, dining[i].dining_type, len);
                }
        }
        return emit_most_frequent(&t, m, true, "dining", "dining_type", "", "dining charges", out, n, cap);
}

static bool listed_before(const struct gd_stay_fact *stay, size_t j, const char *name, size_t len)
{
        for (size_t p = 0; p < j; p++)
                if (field_len(stay->amenities[p], sizeof(stay->amenities[p])) == len &&
                    memcmp(stay->amenities[p], name, len) == 0)
                        return true;
        return false;
}

/* (amenity, <name>) = "used": on at least 3 of the stays and at least 60% of them (once a stay). */
static size_t infer_amenities(const struct gd_stay_fact *stays, size_t n_stays, struct gd_inferred *out,
                              size_t n, size_t cap)
{
        struct tally t;
        memset(&t, 0, sizeof(t));
        for (size_t i = 0; i < n_stays; i++) {
                size_t k = stays[i].n_amenities < GD_INFER_MAX_AMENITIES ? stays[i].n_amenities
                                                                         : GD_INFER_MAX_AMENITIES;
                for (size_t j = 0; j < k; j++) {
                        const char *name = stays[i].amenities[j];
                        size_t len = field_len(name, sizeof(stays[i].amenities[j]));
                        if (len > 0 && !listed_before(&stays[i], j, name, len))
                                tally_add(&t, name, len);
                }
        }
        for (size_t a = 0; a < t.n; a++) {
                if (t.count[a] < MIN_SUPPORT || 5 * t.count[a] < 3 * n_stays)
                        continue;
                char evidence[sizeof(out->evidence)];
                snprintf(evidence, sizeof(evidence), "used on %zu of the last %zu stays", t.count[a],
                         n_stays);
                n = emit(out, n, cap, "amenity", t.value[a], t.len[a], "used", strlen("used"), evidence);
        }
        return n;
}

size_t gd_infer_preferences(const struct gd_stay_fact *stays, size_t n_stays,
                            const struct gd_dining_fact *dining, size_t n_dining, struct gd_inferred *out,
                            size_t cap)
{
        if (!stays)
                n_stays = 0;
        if (!dining)
                n_dining = 0;
        if (n_stays > GD_INFER_STAYS)
                n_stays = GD_INFER_STAYS;
        if (n_dining > GD_INFER_DINING)
                n_dining = GD_INFER_DINING;

        size_t n = 0;
        n = infer_room_type(stays, n_stays, out, n, cap);
        n = infer_party_size(stays, n_stays, out, n, cap);
        n = infer_dining_type(dining, n_dining, out, n, cap);
        n = infer_amenities(stays, n_stays, out, n, cap);
        return n;
}
