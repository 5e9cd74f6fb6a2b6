/* SPDX-License-Identifier: MIT */
/* Handle GET /v1/reports/complaints. */
#include <string.h>

#include "guestd/date.h"
#include "handlers.h"

#define DEFAULT_SPAN_DAYS 364
#define MAX_SPAN_DAYS 3660

static const char *const report_params[] = {"from", "to", NULL};

/* A date parameter, or the fallback when it is absent; a field error when it is malformed. */
static bool date_param(struct gd_req *req, const char *name, const struct gd_date *fallback, struct gd_date *ret,
                       struct gd_error *reterr)
{
        const char *s = gd_query_get(req, name);
        if (!s) {
                *ret = *fallback;
                return true;
        }
        if (gd_date_parse(s, ret))
                return true;
        gd_error_add_field(reterr, name, "must be a date formatted YYYY-MM-DD");
        return false;
}

GD_HANDLER(gd_h_report_complaints)
{
        enum gd_err e = gd_query_check_names(req, report_params, reterr);
        if (e != GD_OK)
                return e;
        struct gd_date today = gd_date_from_unix(req->now), to, from;
        bool ok = date_param(req, "to", &today, &to, reterr);
        struct gd_date year_before = gd_date_from_unix((time_t) (gd_date_to_days(ok ? &to : &today) - DEFAULT_SPAN_DAYS) *
                                                       86400);
        ok = date_param(req, "from", &year_before, &from, reterr) && ok;
        if (ok && gd_date_compare(&from, &to) > 0)
                gd_error_add_field(reterr, "from", "must not be after to");
        else if (ok && gd_date_to_days(&to) - gd_date_to_days(&from) > MAX_SPAN_DAYS)
                gd_error_add_field(reterr, "from", "the range may span at most %d days", MAX_SPAN_DAYS);
        if (reterr->n_fields > 0)
                return gd_error_set(reterr, GD_ERR_BAD_REQUEST, "The report range is not valid.");

        char first[11], last[11];
        gd_date_format(&from, first);
        gd_date_format(&to, last);
        return gd_db_complaint_report(req->db, first, last, &reply->body, reterr);
}
