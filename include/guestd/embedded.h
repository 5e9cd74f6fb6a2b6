/* SPDX-License-Identifier: MIT */
/* Files compiled into the binary at build time (scripts/embed.py). */
#ifndef GUESTD_EMBEDDED_H
#define GUESTD_EMBEDDED_H

#include <stddef.h>

struct gd_migration {
        int version;
        const char *name;
        const char *sql;
};

extern const char *const gd_embedded_openapi_json;
extern const size_t gd_embedded_openapi_json_len;
extern const char *const gd_embedded_openapi_etag; /* "<16 hex digits>", a digest of the document */

/* The API page of GET /docs (scripts/build-docs, -Ddocs): NULL when this build has none. */
extern const char *const gd_embedded_docs_html;
extern const size_t gd_embedded_docs_html_len;
extern const char *const gd_embedded_docs_etag;
extern const char *const gd_embedded_docs_csp; /* its Content-Security-Policy (script hashes) */
extern const struct gd_migration gd_embedded_migrations[];
extern const size_t gd_embedded_migrations_len;

#endif
