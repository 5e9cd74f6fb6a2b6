/* SPDX-License-Identifier: MIT */
/* The HTTP layer's request counters for GET /metrics (metrics.c). */
#ifndef GUESTD_HTTP_METRICS_H
#define GUESTD_HTTP_METRICS_H

#include "guestd/http.h"
#include "guestd/prom.h"

/* Allocated once, before the server starts; NULL when out of memory. */
struct gd_metrics *gd_metrics_new(void);
void gd_metrics_free(struct gd_metrics *m);
/* One answered request (route NULL: no route matched). Lock-free; callable from any thread. */
void gd_metrics_observe(struct gd_metrics *m, const struct gd_route *route, const char *method, unsigned status,
                        long long duration_us);
/* guestd_http_requests_total and guestd_http_request_duration_seconds. */
void gd_metrics_write_http(const struct gd_metrics *m, struct gd_prom *w);

#endif
