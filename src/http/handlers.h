/* SPDX-License-Identifier: MIT */
/* Every handler, one file per resource (h_<resource>.c); the route table in router.c binds them. */
#ifndef GUESTD_HANDLERS_H
#define GUESTD_HANDLERS_H

#include "guestd/http.h"

#define GD_HANDLER(name) enum gd_err name(struct gd_req *req, struct gd_reply *reply, struct gd_error *reterr)

GD_HANDLER(gd_h_guest_create);
GD_HANDLER(gd_h_guest_search);
GD_HANDLER(gd_h_guest_history);
GD_HANDLER(gd_h_changes);
GD_HANDLER(gd_h_guest_get);
GD_HANDLER(gd_h_guest_patch);
GD_HANDLER(gd_h_guest_delete);
GD_HANDLER(gd_h_guest_restore);

/* bulk import: the upload calls feed the body, the handler answers (h_import.c) */
GD_HANDLER(gd_h_guest_import);
enum gd_err gd_h_guest_import_feed(struct gd_req *req, const char *data, size_t len, struct gd_error *reterr);

GD_HANDLER(gd_h_guest_duplicates);
GD_HANDLER(gd_h_guest_merge);
GD_HANDLER(gd_h_merge_undo);
GD_HANDLER(gd_h_guest_export);

GD_HANDLER(gd_h_section_create);
GD_HANDLER(gd_h_section_list);
GD_HANDLER(gd_h_section_get);
GD_HANDLER(gd_h_section_patch);
GD_HANDLER(gd_h_section_delete);

GD_HANDLER(gd_h_report_complaints);

GD_HANDLER(gd_h_purge_run_create);
GD_HANDLER(gd_h_purge_run_get);
GD_HANDLER(gd_h_purge_run_list);

GD_HANDLER(gd_h_loyalty_get);
GD_HANDLER(gd_h_loyalty_config_get);
GD_HANDLER(gd_h_loyalty_config_put);
GD_HANDLER(gd_h_loyalty_rescore);

GD_HANDLER(gd_h_vip_list);
GD_HANDLER(gd_h_special_dates_feed);

GD_HANDLER(gd_h_api_key_create);
GD_HANDLER(gd_h_api_key_list);
GD_HANDLER(gd_h_api_key_revoke);

GD_HANDLER(gd_h_healthz);
GD_HANDLER(gd_h_readyz);
GD_HANDLER(gd_h_openapi);
GD_HANDLER(gd_h_docs);
GD_HANDLER(gd_h_metrics);

#endif
