/* SPDX-License-Identifier: MIT */
/* The route table: method, path pattern, handler, roles. Deny by default: a route lists its roles. */
#include <string.h>

#include "handlers.h"

#define ROLE(r) GD_ROLE_BIT(GD_ROLE_##r)
#define ALL_ROLES (ROLE(FRONTDESK) | ROLE(MARKETING) | ROLE(OPS))

/* The five routes of one dossier section. */
#define SECTION_ROUTES(path, section, roles)                                                                \
        {"POST", "/v1/guests/{id}/" path, gd_h_section_create, roles, GD_BODY_JSON, true, section, false},      \
        {"GET", "/v1/guests/{id}/" path, gd_h_section_list, roles, GD_BODY_NONE, true, section, false},         \
        {"GET", "/v1/guests/{id}/" path "/{item_id}", gd_h_section_get, roles, GD_BODY_NONE, true, section, false}, \
        {"PATCH", "/v1/guests/{id}/" path "/{item_id}", gd_h_section_patch, roles, GD_BODY_MERGE_PATCH, true,   \
         section, false},                                                                                       \
        {"DELETE", "/v1/guests/{id}/" path "/{item_id}", gd_h_section_delete, roles, GD_BODY_NONE, true, section, false}

const struct gd_route gd_routes[] = {
        {"GET", "/healthz", gd_h_healthz, GD_ROLES_PUBLIC, GD_BODY_NONE, false, 0, false},
        {"GET", "/readyz", gd_h_readyz, GD_ROLES_PUBLIC, GD_BODY_NONE, true, 0, false},
        {"GET", "/openapi.json", gd_h_openapi, GD_ROLES_PUBLIC, GD_BODY_NONE, false, 0, false},
        /* the human-readable API page: public like the document it is made from (DESIGN §5) */
        {"GET", "/docs", gd_h_docs, GD_ROLES_PUBLIC, GD_BODY_NONE, false, 0, false},
        /* public, as DESIGN §5 says; takes a pool connection itself (h_metrics.c) */
        {"GET", "/metrics", gd_h_metrics, GD_ROLES_PUBLIC, GD_BODY_NONE, false, 0, false},

        {"POST", "/v1/guests", gd_h_guest_create, ROLE(FRONTDESK), GD_BODY_JSON, true, 0, false},
        {"GET", "/v1/guests", gd_h_guest_search, ROLE(FRONTDESK) | ROLE(OPS), GD_BODY_NONE, true, 0, false},
        {"GET", "/v1/guests/{id}", gd_h_guest_get, ROLE(FRONTDESK) | ROLE(MARKETING) | ROLE(OPS), GD_BODY_NONE, true, 0, false},
        {"PATCH", "/v1/guests/{id}", gd_h_guest_patch, ROLE(FRONTDESK), GD_BODY_MERGE_PATCH, true, 0, false},
        {"DELETE", "/v1/guests/{id}", gd_h_guest_delete, ROLE(FRONTDESK), GD_BODY_NONE, true, 0, false},
        {"POST", "/v1/guests/{id}/restore", gd_h_guest_restore, ROLE(OPS), GD_BODY_NONE, true, 0, false},
        {"GET", "/v1/guests/{id}/duplicates", gd_h_guest_duplicates, ROLE(FRONTDESK) | ROLE(OPS), GD_BODY_NONE, true,
         0, false},
        {"POST", "/v1/guests/{id}/merge", gd_h_guest_merge, ROLE(FRONTDESK), GD_BODY_JSON, true, 0, false},
        {"POST", "/v1/merges/{id}/undo", gd_h_merge_undo, ROLE(FRONTDESK), GD_BODY_NONE, true, 0, false},
        {"GET", "/v1/guests/{id}/export", gd_h_guest_export, ROLE(ADMIN), GD_BODY_NONE, true, 0, false},
        {"GET", "/v1/guests/{id}/history", gd_h_guest_history, ROLE(FRONTDESK) | ROLE(OPS), GD_BODY_NONE, true, 0,
         false},
        {"GET", "/v1/changes", gd_h_changes, ROLE(FRONTDESK) | ROLE(OPS), GD_BODY_NONE, true, 0, false},

        /* bulk import: a streamed body written in batches that commit one by one; it takes its
         * database session in the upload calls, so dispatch() must not hold a second one */
        {"POST", "/v1/guests/import", gd_h_guest_import, ROLE(FRONTDESK), GD_BODY_STREAM, false, 0, true},

        SECTION_ROUTES("stays", GD_SECTION_STAYS, ROLE(FRONTDESK)),
        SECTION_ROUTES("consumptions", GD_SECTION_CONSUMPTIONS, ROLE(FRONTDESK)),
        SECTION_ROUTES("preferences", GD_SECTION_PREFERENCES, ROLE(FRONTDESK)),
        SECTION_ROUTES("special-dates", GD_SECTION_SPECIAL_DATES, ROLE(FRONTDESK)),
        SECTION_ROUTES("complaints", GD_SECTION_COMPLAINTS, ROLE(FRONTDESK) | ROLE(OPS)),

        {"GET", "/v1/guests/{id}/loyalty", gd_h_loyalty_get, ALL_ROLES, GD_BODY_NONE, true, 0, false},
        {"GET", "/v1/loyalty/config", gd_h_loyalty_config_get, ALL_ROLES, GD_BODY_NONE, true, 0, false},
        /* both rescore every guest, in batches that commit one by one */
        {"PUT", "/v1/loyalty/config", gd_h_loyalty_config_put, ROLE(ADMIN), GD_BODY_JSON, true, 0, true},
        {"POST", "/v1/loyalty/rescore", gd_h_loyalty_rescore, ROLE(OPS), GD_BODY_NONE, true, 0, true},

        {"GET", "/v1/vip", gd_h_vip_list, ROLE(MARKETING), GD_BODY_NONE, true, 0, false},
        {"GET", "/v1/special-dates", gd_h_special_dates_feed, ROLE(MARKETING), GD_BODY_NONE, true, 0, false},

        {"GET", "/v1/reports/complaints", gd_h_report_complaints, ROLE(OPS), GD_BODY_NONE, true, 0, false},

        /* a run opens a session of its own: it must not hold a pooled one for its whole length */
        {"POST", "/v1/purge-runs", gd_h_purge_run_create, ROLE(OPS), GD_BODY_JSON, false, 0, false},
        {"GET", "/v1/purge-runs", gd_h_purge_run_list, ROLE(OPS), GD_BODY_NONE, true, 0, false},
        {"GET", "/v1/purge-runs/{id}", gd_h_purge_run_get, ROLE(OPS), GD_BODY_NONE, true, 0, false},

        {"POST", "/v1/api-keys", gd_h_api_key_create, ROLE(ADMIN), GD_BODY_JSON, true, 0, false},
        {"GET", "/v1/api-keys", gd_h_api_key_list, ROLE(ADMIN), GD_BODY_NONE, true, 0, false},
        {"DELETE", "/v1/api-keys/{id}", gd_h_api_key_revoke, ROLE(ADMIN), GD_BODY_NONE, true, 0, false},
};
const size_t gd_routes_len = sizeof(gd_routes) / sizeof(gd_routes[0]);

/* The upload functions of the streamed routes, by handler. */
static const struct {
        gd_handler handler;
        gd_feed_fn feed;
} stream_feeds[] = {
        {gd_h_guest_import, gd_h_guest_import_feed},
};

gd_feed_fn gd_route_feed(const struct gd_route *r)
{
        for (size_t i = 0; r->body == GD_BODY_STREAM && i < sizeof(stream_feeds) / sizeof(stream_feeds[0]); i++)
                if (stream_feeds[i].handler == r->handler)
                        return stream_feeds[i].feed;
        return NULL;
}

/* Matches one pattern against a path, segment by segment; "{x}" takes one non-empty segment. */
static bool pattern_matches(const char *pattern, const char *path, char params[GD_MAX_PATH_PARAMS][128])
{
        size_t n_params = 0;
        while (*pattern && *path) {
                if (*pattern == '{') {
                        const char *end = strchr(path, '/');
                        size_t len = end ? (size_t) (end - path) : strlen(path);
                        if (len == 0 || len >= 128 || n_params >= GD_MAX_PATH_PARAMS)
                                return false;
                        memcpy(params[n_params], path, len);
                        params[n_params++][len] = '\0';
                        path += len;
                        pattern = strchr(pattern, '}') + 1;
                        continue;
                }
                if (*pattern++ != *path++)
                        return false;
        }
        return *pattern == '\0' && *path == '\0';
}

/*
 * HEAD is GET without the body (RFC 9110 §9.3.2), so every GET route answers it: the same handler,
 * roles and headers; libmicrohttpd leaves the body of a response to a HEAD unsent. The table lists
 * GET alone, and the 405 Allow header names HEAD wherever it names GET.
 */
static bool method_matches(const char *route_method, const char *method)
{
        return strcmp(route_method, method) == 0 ||
               (strcmp(route_method, "GET") == 0 && strcmp(method, "HEAD") == 0);
}

static void allow_add(char allow[64], const char *method)
{
        if (strlen(allow) + strlen(method) + 3 < 64) {
                if (allow[0])
                        strcat(allow, ", ");
                strcat(allow, method);
        }
}

enum gd_err gd_route_match(const char *method, const char *path, const struct gd_route **ret,
                           char params[GD_MAX_PATH_PARAMS][128], char allow[64], struct gd_error *reterr)
{
        char scratch[GD_MAX_PATH_PARAMS][128];
        allow[0] = '\0';
        for (size_t i = 0; i < gd_routes_len; i++) {
                const struct gd_route *r = &gd_routes[i];
                if (!pattern_matches(r->pattern, path, scratch))
                        continue;
                if (method_matches(r->method, method)) {
                        memcpy(params, scratch, sizeof(scratch));
                        *ret = r;
                        return GD_OK;
                }
                allow_add(allow, r->method);
                if (strcmp(r->method, "GET") == 0)
                        allow_add(allow, "HEAD");
        }
        if (allow[0])
                return gd_error_set(reterr, GD_ERR_METHOD, "This resource does not support %s.", method);
        return gd_error_set(reterr, GD_ERR_NOT_FOUND, "No resource at this path.");
}
