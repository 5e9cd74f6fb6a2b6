/* SPDX-License-Identifier: MIT */
/*
 * The Prometheus text exposition format, version 0.0.4: a writer into a growing buffer. Pure
 * (libc only), so the escaping and the histogram arithmetic are unit-tested apart from the
 * server. Names are the caller's constants; label values may be anything and are escaped.
 */
#ifndef GUESTD_PROM_H
#define GUESTD_PROM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "guestd/csv.h" /* struct gd_strbuf */

#define GD_PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct gd_prom {
        struct gd_strbuf text;
        bool failed; /* out of memory: the text is incomplete and must not be served */
};

struct gd_prom_label {
        const char *name;
        const char *value;
};

void gd_prom_init(struct gd_prom *w);
void gd_prom_free(struct gd_prom *w);

/* The "# HELP" and "# TYPE" lines that precede a family's samples; type is "counter", "gauge"
 * or "histogram". */
void gd_prom_family(struct gd_prom *w, const char *name, const char *type, const char *help);

/* One sample line: name{labels} value. */
void gd_prom_sample(struct gd_prom *w, const char *name, const struct gd_prom_label *labels, size_t n_labels,
                    double value);
void gd_prom_sample_u64(struct gd_prom *w, const char *name, const struct gd_prom_label *labels, size_t n_labels,
                        uint64_t value);

/* One histogram series: name_bucket lines (cumulative, le="..." added to the labels, ending with
 * le="+Inf"), name_sum and name_count. `bounds` are the n_bounds upper bounds, ascending;
 * `counts` holds n_bounds + 1 observation counts per bucket (not cumulative), the last one for
 * observations above the highest bound. _count is their total. */
void gd_prom_histogram(struct gd_prom *w, const char *name, const struct gd_prom_label *labels, size_t n_labels,
                       const double *bounds, const uint64_t *counts, size_t n_bounds, double sum);

/* A sample value as the format writes it: integers without a fraction, "+Inf", "-Inf", "NaN",
 * other numbers in the fewest digits that read back as the same double. */
void gd_prom_format_value(double v, char out[32]);

#endif
