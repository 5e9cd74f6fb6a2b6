/* SPDX-License-Identifier: MIT */
/* The Prometheus text exposition format 0.0.4 (see include/guestd/prom.h). */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guestd/prom.h"

void gd_prom_init(struct gd_prom *w)
{
        *w = (struct gd_prom){0};
}

void gd_prom_free(struct gd_prom *w)
{
        gd_strbuf_clear(&w->text);
        w->failed = false;
}

static void append(struct gd_prom *w, const char *s, size_t n)
{
        if (!w->failed && !gd_strbuf_append(&w->text, s, n))
                w->failed = true;
}

static void append_str(struct gd_prom *w, const char *s)
{
        append(w, s, strlen(s));
}

/* Label values escape \, " and line feed; HELP text escapes only \ and line feed. */
static void append_escaped(struct gd_prom *w, const char *s, bool quote)
{
        for (const char *p = s; *p; p++) {
                if (*p == '\\')
                        append(w, "\\\\", 2);
                else if (*p == '\n')
                        append(w, "\\n", 2);
                else if (*p == '"' && quote)
                        append(w, "\\\"", 2);
                else
                        append(w, p, 1);
        }
}

void gd_prom_format_value(double v, char out[32])
{
        if (isnan(v)) {
                snprintf(out, 32, "NaN");
                return;
        }
        if (isinf(v)) {
                snprintf(out, 32, v > 0 ? "+Inf" : "-Inf");
                return;
        }
        /* 2^53: every integer below it is exact in a double and printed without an exponent */
        if (v == floor(v) && fabs(v) < 9007199254740992.0) {
                snprintf(out, 32, "%.0f", v);
                return;
        }
        /* the shortest form that reads back as the same double: 0.0005, not 0.00050000000000000001 */
        for (int precision = 1; precision <= 17; precision++) {
                snprintf(out, 32, "%.*g", precision, v);
                if (strtod(out, NULL) == v)
                        return;
        }
}

void gd_prom_family(struct gd_prom *w, const char *name, const char *type, const char *help)
{
        append_str(w, "# HELP ");
        append_str(w, name);
        append_str(w, " ");
        append_escaped(w, help, false);
        append_str(w, "\n# TYPE ");
        append_str(w, name);
        append_str(w, " ");
        append_str(w, type);
        append_str(w, "\n");
}

/* name{a="x",b="y"} with an optional extra label (a histogram's le) */
static void series(struct gd_prom *w, const char *name, const char *suffix, const struct gd_prom_label *labels,
                   size_t n_labels, const char *le)
{
        append_str(w, name);
        append_str(w, suffix);
        if (n_labels == 0 && !le)
                return;
        append_str(w, "{");
        for (size_t i = 0; i < n_labels; i++) {
                if (i > 0)
                        append_str(w, ",");
                append_str(w, labels[i].name);
                append_str(w, "=\"");
                append_escaped(w, labels[i].value ? labels[i].value : "", true);
                append_str(w, "\"");
        }
        if (le) {
                append_str(w, n_labels ? ",le=\"" : "le=\"");
                append_str(w, le);
                append_str(w, "\"");
        }
        append_str(w, "}");
}

static void value_line(struct gd_prom *w, const char *text)
{
        append_str(w, " ");
        append_str(w, text);
        append_str(w, "\n");
}

void gd_prom_sample(struct gd_prom *w, const char *name, const struct gd_prom_label *labels, size_t n_labels,
                    double value)
{
        char text[32];
        gd_prom_format_value(value, text);
        series(w, name, "", labels, n_labels, NULL);
        value_line(w, text);
}

void gd_prom_sample_u64(struct gd_prom *w, const char *name, const struct gd_prom_label *labels, size_t n_labels,
                        uint64_t value)
{
        /* counters can pass 2^53, where a double would round them */
        char text[32];
        snprintf(text, sizeof(text), "%" PRIu64, value);
        series(w, name, "", labels, n_labels, NULL);
        value_line(w, text);
}

void gd_prom_histogram(struct gd_prom *w, const char *name, const struct gd_prom_label *labels, size_t n_labels,
                       const double *bounds, const uint64_t *counts, size_t n_bounds, double sum)
{
        uint64_t cumulative = 0;
        char le[32], text[32];
        for (size_t i = 0; i <= n_bounds; i++) {
                cumulative += counts[i];
                if (i < n_bounds)
                        gd_prom_format_value(bounds[i], le);
                else
                        snprintf(le, sizeof(le), "+Inf");
                series(w, name, "_bucket", labels, n_labels, le);
                snprintf(text, sizeof(text), "%" PRIu64, cumulative);
                value_line(w, text);
        }
        gd_prom_format_value(sum, text);
        series(w, name, "_sum", labels, n_labels, NULL);
        value_line(w, text);
        snprintf(text, sizeof(text), "%" PRIu64, cumulative);
        series(w, name, "_count", labels, n_labels, NULL);
        value_line(w, text);
}
