/* SPDX-License-Identifier: MIT */
/* Every SQL statement guestd runs, prepared on each new connection. Parameters only: $1..$n. */
#include "internal.h"

/* The guest representation, column by column; db/guests.c reads them by these positions. */
#define GUEST_COLUMNS(g)                                                                                    \
        g ".id::text, " g ".version, " g ".family_name, " g ".given_name, " g ".gender, " g                \
        ".birth_date::text, " g ".nationality, " g ".ethnicity, " g ".native_place, " g ".address::text, " g \
        ".phone, " g ".email, " g ".language, " g ".id_document::text, " g ".vip_code, " g                   \
        ".marketing_consent, " g ".legal_hold, " g ".notes, rfc3339(" g ".created_at), rfc3339(" g           \
        ".updated_at), (extract(epoch FROM " g ".updated_at) * 1000000)::bigint::text"

#define GUEST_REFS(g)                                                                                       \
        "(SELECT coalesce(jsonb_agg(jsonb_build_object('system', x.system, 'id', x.external_id)"            \
        " ORDER BY x.system, x.external_id), '[]')::text FROM guest_external_ref x WHERE x.guest_id = " g   \
        ".id)"

/* The references just written, in the order GUEST_REFS shows them (sibling CTEs are not visible). */
#define INPUT_REFS                                                                                          \
        "(SELECT coalesce(jsonb_agg(e ORDER BY e->>'system', e->>'id'), '[]')::text"                        \
        " FROM doc, jsonb_array_elements(doc.d->'external_refs') e)"

#define GUEST_WRITABLE                                                                                      \
        "family_name, given_name, gender, birth_date, nationality, ethnicity, native_place, address, phone, " \
        "email, language, id_document, vip_code, marketing_consent, legal_hold, notes"

#define GUEST_WRITABLE_R                                                                                    \
        "r.family_name, r.given_name, r.gender, r.birth_date, r.nationality, r.ethnicity, r.native_place, "   \
        "r.address, r.phone, r.email, r.language, r.id_document, r.vip_code, r.marketing_consent, "           \
        "r.legal_hold, r.notes"

/* A normalized guest document (gd_guest_normalize) read as a row. */
#define GUEST_RECORD(doc)                                                                                   \
        "jsonb_to_record(" doc ") AS r(family_name text, given_name text, gender text, birth_date date, "   \
        "nationality text, ethnicity text, native_place text, address jsonb, phone text, email text, "        \
        "language text, id_document jsonb, vip_code text, marketing_consent boolean, legal_hold boolean, "   \
        "notes text)"

/*
 * Search: $1 q, $2 email, $3 phone, $4 external system, $5 external id, $6 updated_since,
 * $7 cursor key, $8 cursor id, $9 limit. Each statement is driven by one index; the other
 * filters apply to the rows it yields.
 */
#define SEARCH_FILTERS                                                                                      \
        " AND g.deleted_at IS NULL"                                                                         \
        " AND ($2::text IS NULL OR lower(g.email) = lower($2))"                                             \
        " AND ($3::text IS NULL OR g.phone = $3)"                                                           \
        " AND ($4::text IS NULL OR EXISTS (SELECT 1 FROM guest_external_ref x WHERE x.guest_id = g.id"      \
        "      AND x.system = $4 AND x.external_id = $5))"                                                  \
        " AND ($6::timestamptz IS NULL OR g.updated_at >= $6::timestamptz)"

#define SEARCH_BY_UPDATED(driver)                                                                           \
        "SELECT " GUEST_COLUMNS("g") ", " GUEST_REFS("g") " FROM guest g WHERE " driver SEARCH_FILTERS      \
        " AND $1::text IS NULL" /* q searches use guest_search_q */                                        \
        " AND ($7::bigint IS NULL OR (g.updated_at, g.id) > (timestamptz 'epoch' + $7::bigint"              \
        "      * interval '1 microsecond', $8::uuid))"                                                      \
        " ORDER BY g.updated_at, g.id LIMIT $9::int"

const struct gd_stmt_def gd_stmts[_GD_STMT_MAX] = {
        [GD_STMT_GUEST_INSERT] = {"guest_insert",
                "WITH doc AS (SELECT $1::jsonb AS d),"
                " g AS (INSERT INTO guest (" GUEST_WRITABLE ") SELECT " GUEST_WRITABLE_R
                "   FROM doc, " GUEST_RECORD("doc.d") " RETURNING *),"
                " refs AS (INSERT INTO guest_external_ref (guest_id, system, external_id)"
                "   SELECT g.id, e->>'system', e->>'id' FROM g, doc, jsonb_array_elements(doc.d->'external_refs') e)"
                " SELECT " GUEST_COLUMNS("g") ", " INPUT_REFS " FROM g", 1},

        [GD_STMT_GUEST_GET] = {"guest_get",
                "SELECT " GUEST_COLUMNS("g") ", " GUEST_REFS("g")
                " FROM guest g WHERE g.id = $1::uuid AND g.deleted_at IS NULL", 1},

        /* The references are replaced by difference, so an unchanged one is never deleted and
         * re-inserted within one statement (which would race the unique check). */
        [GD_STMT_GUEST_UPDATE] = {"guest_update",
                "WITH doc AS (SELECT $3::jsonb AS d),"
                " g AS (UPDATE guest t SET (" GUEST_WRITABLE ") = (SELECT " GUEST_WRITABLE_R
                "   FROM doc, " GUEST_RECORD("doc.d") "), version = t.version + 1, updated_at = now()"
                "   WHERE t.id = $1::uuid AND t.version = $2::int AND t.deleted_at IS NULL RETURNING t.*),"
                " gone AS (DELETE FROM guest_external_ref x USING g WHERE x.guest_id = g.id AND NOT EXISTS"
                "   (SELECT 1 FROM doc, jsonb_array_elements(doc.d->'external_refs') e"
                "    WHERE e->>'system' = x.system AND e->>'id' = x.external_id)),"
                " added AS (INSERT INTO guest_external_ref (guest_id, system, external_id)"
                "   SELECT g.id, e->>'system', e->>'id' FROM g, doc, jsonb_array_elements(doc.d->'external_refs') e"
                "   WHERE NOT EXISTS (SELECT 1 FROM guest_external_ref x WHERE x.guest_id = g.id"
                "     AND x.system = e->>'system' AND x.external_id = e->>'id'))"
                " SELECT " GUEST_COLUMNS("g") ", " INPUT_REFS " FROM g", 3},

        [GD_STMT_GUEST_EXISTS] = {"guest_exists",
                "SELECT version, deleted_at IS NOT NULL FROM guest WHERE id = $1::uuid", 1},

        [GD_STMT_GUEST_SOFT_DELETE] = {"guest_soft_delete",
                "UPDATE guest SET deleted_at = now(), version = version + 1, updated_at = now()"
                " WHERE id = $1::uuid AND deleted_at IS NULL AND ($2::int IS NULL OR version = $2::int)"
                " RETURNING version", 2},

        [GD_STMT_GUEST_RESTORE] = {"guest_restore",
                "UPDATE guest g SET deleted_at = NULL, version = version + 1, updated_at = now()"
                " WHERE g.id = $1::uuid AND g.deleted_at IS NOT NULL"
                " RETURNING " GUEST_COLUMNS("g") ", " GUEST_REFS("g"), 1},

        [GD_STMT_GUEST_REF_CLASHES] = {"guest_ref_clashes",
                "SELECT (e.ord - 1)::text, e.r->>'system', e.r->>'id'"
                " FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS e(r, ord)"
                " JOIN guest_external_ref x ON x.system = e.r->>'system' AND x.external_id = e.r->>'id'"
                " WHERE $2::uuid IS NULL OR x.guest_id <> $2::uuid ORDER BY e.ord", 2},

        /* Relevance: a name word starting with the query ranks 1, otherwise trigram word similarity. */
        [GD_STMT_GUEST_SEARCH_Q] = {"guest_search_q",
                "WITH p AS (SELECT search_fold($1) AS q,"
                "   replace(replace(replace(search_fold($1), '\\', '\\\\'), '%', '\\%'), '_', '\\_') AS lq),"
                " hits AS (SELECT g.*, CASE WHEN g.search_name LIKE p.lq || '%' OR g.search_name LIKE '% ' || p.lq || '%'"
                "   THEN 1::real ELSE word_similarity(p.q, g.search_name) END AS rank"
                "   FROM guest g, p WHERE (g.search_name LIKE p.lq || '%' OR g.search_name LIKE '% ' || p.lq || '%'"
                "   OR p.q <% g.search_name OR g.phone = $1 OR lower(g.email) = lower($1))" SEARCH_FILTERS ")"
                " SELECT " GUEST_COLUMNS("g") ", " GUEST_REFS("g") ", g.rank::text FROM hits g"
                " WHERE $7::real IS NULL OR g.rank < $7::real OR (g.rank = $7::real AND g.id > $8::uuid)"
                " ORDER BY g.rank DESC, g.id LIMIT $9::int", 9},

        [GD_STMT_GUEST_SEARCH_EMAIL] = {"guest_search_email", SEARCH_BY_UPDATED("lower(g.email) = lower($2)"), 9},
        [GD_STMT_GUEST_SEARCH_PHONE] = {"guest_search_phone", SEARCH_BY_UPDATED("g.phone = $3"), 9},
        [GD_STMT_GUEST_SEARCH_EXTERNAL] = {"guest_search_external",
                SEARCH_BY_UPDATED("g.id = (SELECT x.guest_id FROM guest_external_ref x"
                                  " WHERE x.system = $4 AND x.external_id = $5)"), 9},
        [GD_STMT_GUEST_SEARCH_ALL] = {"guest_search_all", SEARCH_BY_UPDATED("true"), 9},

        [GD_STMT_APIKEY_FIND] = {"apikey_find",
                "SELECT id::text, name, role, digest FROM api_key WHERE prefix = $1 AND revoked_at IS NULL", 1},
        [GD_STMT_APIKEY_INSERT] = {"apikey_insert",
                "INSERT INTO api_key (name, role, prefix, digest) VALUES ($1, $2, $3, decode($4, 'hex'))"
                " RETURNING id::text, name, role, prefix, rfc3339(created_at)", 4},
        [GD_STMT_APIKEY_LIST] = {"apikey_list",
                "SELECT id::text, name, role, prefix, rfc3339(created_at), rfc3339(revoked_at),"
                " (extract(epoch FROM created_at) * 1000000)::bigint::text FROM api_key"
                " WHERE $1::bigint IS NULL OR (created_at, id) > (timestamptz 'epoch' + $1::bigint"
                "   * interval '1 microsecond', $2::uuid)"
                " ORDER BY created_at, id LIMIT $3::int", 3},
        [GD_STMT_APIKEY_REVOKE] = {"apikey_revoke",
                "UPDATE api_key SET revoked_at = now() WHERE id = $1::uuid AND revoked_at IS NULL RETURNING id", 1},
        [GD_STMT_APIKEY_COUNT_ACTIVE] = {"apikey_count_active",
                "SELECT count(*)::text FROM api_key WHERE role = $1 AND revoked_at IS NULL", 1},
};
