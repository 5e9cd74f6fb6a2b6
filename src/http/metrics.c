/* SPDX-License-Identifier: MIT */
/*
 * Request counters and the latency histogram behind GET /metrics, recorded in one place: when
 * libmicrohttpd reports a request complete (server.c). Every array is allocated once at start and
 * indexed by a series number, so recording is a few relaxed atomic additions: no lock, no
 * allocation, no system call on the path that every request takes.
 *
 * A series is a route of the table (its method is the route's) or, for a path no route matches,
 * one of a few method slots: the label is the route template, never the path, so the number of
 * series is fixed whatever clients send.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guestd/prom.h"
#include "metrics.h"

/* Upper bounds in microseconds: 0.5 ms (a cached read) to 5 s (a long export or rescore). */
static const uint64_t bucket_us[] = {500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000,
                                     2500000, 5000000};
#define N_BUCKETS (sizeof(bucket_us) / sizeof(bucket_us[0]))

/* Methods of requests that match no route; anything else is "other". */
static const char *const unmatched_methods[] = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "other"};
#define N_UNMATCHED (sizeof(unmatched_methods) / sizeof(unmatched_methods[0]))

/* The statuses guestd answers with (reply.c's problems, 2xx and 304); the last slot takes any
 * other, so the label set stays fixed. */
static const unsigned short statuses[] = {200, 201, 204, 304, 400, 401, 403, 404, 405, 406, 409,
                                          412, 413, 415, 422, 428, 429, 500, 503};
#define N_STATUSES (sizeof(statuses) / sizeof(statuses[0]) + 1)

struct series {
        atomic_uint_fast64_t by_status[N_STATUSES];
        atomic_uint_fast64_t buckets[N_BUCKETS + 1]; /* the last: above the highest bound */
        atomic_uint_fast64_t sum_us;
};

struct gd_metrics {
        size_t n_series; /* gd_routes_len routes, then N_UNMATCHED */
        struct series *series;
};

struct gd_metrics *gd_metrics_new(void)
{
        struct gd_metrics *m = calloc(1, sizeof(*m));
        if (!m)
                return NULL;
        m->n_series = gd_routes_len + N_UNMATCHED;
        m->series = calloc(m->n_series, sizeof(*m->series));
        if (!m->series) {
                free(m);
                return NULL;
        }
        for (size_t s = 0; s < m->n_series; s++) {
                struct series *x = &m->series[s];
                for (size_t i = 0; i < N_STATUSES; i++)
                        atomic_init(&x->by_status[i], 0);
                for (size_t i = 0; i <= N_BUCKETS; i++)
                        atomic_init(&x->buckets[i], 0);
                atomic_init(&x->sum_us, 0);
        }
        return m;
}

void gd_metrics_free(struct gd_metrics *m)
{
        if (!m)
                return;
        free(m->series);
        free(m);
}

static size_t series_index(const struct gd_route *route, const char *method)
{
        if (route)
                return (size_t) (route - gd_routes);
        size_t i = 0;
        while (i + 1 < N_UNMATCHED && strcmp(unmatched_methods[i], method) != 0)
                i++;
        return gd_routes_len + i;
}

static size_t status_index(unsigned status)
{
        size_t i = 0;
        while (i + 1 < N_STATUSES && statuses[i] != status)
                i++;
        return i;
}

static void add(atomic_uint_fast64_t *c, uint64_t n)
{
        atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

void gd_metrics_observe(struct gd_metrics *m, const struct gd_route *route, const char *method, unsigned status,
                        long long duration_us)
{
        if (!m)
                return;
        struct series *x = &m->series[series_index(route, method)];
        uint64_t us = duration_us > 0 ? (uint64_t) duration_us : 0;
        size_t b = 0;
        while (b < N_BUCKETS && us > bucket_us[b])
                b++;
        add(&x->by_status[status_index(status)], 1);
        add(&x->buckets[b], 1);
        add(&x->sum_us, us);
}

static void series_labels(size_t s, const char **route, const char **method)
{
        if (s < gd_routes_len) {
                *route = gd_routes[s].pattern;
                *method = gd_routes[s].method;
        } else {
                *route = "unmatched";
                *method = unmatched_methods[s - gd_routes_len];
        }
}

void gd_metrics_write_http(const struct gd_metrics *m, struct gd_prom *w)
{
        /* series appear once they have a request, as with any labelled client library; a series
         * never seen reads as absent, which rate() and increase() treat as no requests */
        gd_prom_family(w, "guestd_http_requests_total", "counter",
                       "HTTP requests answered, by route template (\"unmatched\" when no route matched), method "
                       "and status code (\"other\" for a code outside guestd's list).");
        for (size_t s = 0; s < m->n_series; s++) {
                const char *route, *method;
                series_labels(s, &route, &method);
                for (size_t i = 0; i < N_STATUSES; i++) {
                        uint64_t n = atomic_load_explicit(&m->series[s].by_status[i], memory_order_relaxed);
                        if (n == 0)
                                continue;
                        char status[8];
                        if (i + 1 < N_STATUSES)
                                snprintf(status, sizeof(status), "%u", statuses[i]);
                        else
                                snprintf(status, sizeof(status), "other");
                        const struct gd_prom_label l[] = {{"route", route}, {"method", method}, {"status", status}};
                        gd_prom_sample_u64(w, "guestd_http_requests_total", l, 3, n);
                }
        }

        double bounds[N_BUCKETS];
        for (size_t b = 0; b < N_BUCKETS; b++)
                bounds[b] = (double) bucket_us[b] / 1e6;
        gd_prom_family(w, "guestd_http_request_duration_seconds", "histogram",
                       "Time from a request's headers read to its answer sent, by route template and method.");
        for (size_t s = 0; s < m->n_series; s++) {
                uint64_t counts[N_BUCKETS + 1], total = 0;
                for (size_t b = 0; b <= N_BUCKETS; b++) {
                        counts[b] = atomic_load_explicit(&m->series[s].buckets[b], memory_order_relaxed);
                        total += counts[b];
                }
                if (total == 0)
                        continue;
                const char *route, *method;
                series_labels(s, &route, &method);
                const struct gd_prom_label l[] = {{"route", route}, {"method", method}};
                double sum = (double) atomic_load_explicit(&m->series[s].sum_us, memory_order_relaxed) / 1e6;
                gd_prom_histogram(w, "guestd_http_request_duration_seconds", l, 2, bounds, counts, N_BUCKETS, sum);
        }
}
