/* SPDX-License-Identifier: MIT */
/* The guest repository: rows of guest and guest_external_ref to and from JSON. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Column positions of GUEST_COLUMNS + the references, in db/statements.c. */
enum {
        COL_ID,
        COL_VERSION,
        COL_FAMILY_NAME,
        COL_GIVEN_NAME,
        COL_GENDER,
        COL_BIRTH_DATE,
        COL_NATIONALITY,
        COL_ETHNICITY,
        COL_NATIVE_PLACE,
        COL_ADDRESS,
        COL_PHONE,
        COL_EMAIL,
        COL_LANGUAGE,
        COL_ID_DOCUMENT,
        COL_VIP_CODE,
        COL_MARKETING_CONSENT,
        COL_LEGAL_HOLD,
        COL_NOTES,
        COL_CREATED_AT,
        COL_UPDATED_AT,
        COL_UPDATED_AT_US,
        COL_EXTERNAL_REFS,
        COL_RANK, /* only in the q searches */
};

static json_t *text_or_null(const PGresult *r, int row, int col)
{
        return PQgetisnull(r, row, col) ? json_null() : json_string(PQgetvalue(r, row, col));
}

static json_t *jsonb_or_null(const PGresult *r, int row, int col)
{
        if (PQgetisnull(r, row, col))
                return json_null();
        json_t *v = json_loads(PQgetvalue(r, row, col), 0, NULL);
        return v ? v : json_null();
}

static json_t *bool_value(const PGresult *r, int row, int col)
{
        return json_boolean(PQgetvalue(r, row, col)[0] == 't');
}

static json_t *guest_from_row(const PGresult *r, int row)
{
        return json_pack("{s:o, s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o,"
                         " s:o, s:o, s:o, s:o, s:o}",
                         "id", text_or_null(r, row, COL_ID),
                         "version", (json_int_t) strtoll(PQgetvalue(r, row, COL_VERSION), NULL, 10),
                         "family_name", text_or_null(r, row, COL_FAMILY_NAME),
                         "given_name", text_or_null(r, row, COL_GIVEN_NAME),
                         "gender", text_or_null(r, row, COL_GENDER),
                         "birth_date", text_or_null(r, row, COL_BIRTH_DATE),
                         "nationality", text_or_null(r, row, COL_NATIONALITY),
                         "ethnicity", text_or_null(r, row, COL_ETHNICITY),
                         "native_place", text_or_null(r, row, COL_NATIVE_PLACE),
                         "address", jsonb_or_null(r, row, COL_ADDRESS),
                         "phone", text_or_null(r, row, COL_PHONE),
                         "email", text_or_null(r, row, COL_EMAIL),
                         "language", text_or_null(r, row, COL_LANGUAGE),
                         "id_document", jsonb_or_null(r, row, COL_ID_DOCUMENT),
                         "external_refs", jsonb_or_null(r, row, COL_EXTERNAL_REFS),
                         "vip_code", text_or_null(r, row, COL_VIP_CODE),
                         "marketing_consent", bool_value(r, row, COL_MARKETING_CONSENT),
                         "legal_hold", bool_value(r, row, COL_LEGAL_HOLD),
                         "notes", text_or_null(r, row, COL_NOTES),
                         "created_at", text_or_null(r, row, COL_CREATED_AT),
                         "updated_at", text_or_null(r, row, COL_UPDATED_AT));
}

/* A write answers with the whole card, read back once the write succeeded. Clears r. */
static enum gd_err card_after_write(struct gd_conn *c, PGresult *r, json_t **ret_guest, struct gd_error *reterr)
{
        char id[40];
        snprintf(id, sizeof(id), "%s", PQntuples(r) ? PQgetvalue(r, 0, COL_ID) : "");
        PQclear(r);
        return gd_db_guest_get(c, id, ret_guest, reterr);
}

/* Lists which of `refs` belong to a guest other than `owner`, as 409 field errors. */
static enum gd_err report_ref_clashes(struct gd_conn *c, const json_t *refs, const char *owner,
                                      struct gd_error *reterr)
{
        char *refs_text = json_dumps(refs, JSON_COMPACT);
        const char *params[] = {refs_text, owner};
        PGresult *r = NULL;
        struct gd_error lookup = {0};
        if (refs_text && gd_db_exec(c, GD_STMT_GUEST_REF_CLASHES, params, &r, &lookup) == GD_OK) {
                for (int i = 0; i < PQntuples(r); i++) {
                        char ptr[32];
                        snprintf(ptr, sizeof(ptr), "/external_refs/%s", PQgetvalue(r, i, 0));
                        gd_error_add_field(reterr, ptr, "%s reference %s already belongs to another guest",
                                           PQgetvalue(r, i, 1), PQgetvalue(r, i, 2));
                }
        }
        PQclear(r);
        free(refs_text);
        return gd_error_set(reterr, GD_ERR_CONFLICT, "An external reference is already used by another guest.");
}

/* A write that may break the external-reference constraint runs in a savepoint of its own: the
 * request's transaction must stay usable to look up which references clashed. */
static enum gd_err exec_guarded(struct gd_conn *c, enum gd_stmt stmt, const char *const *params, PGresult **ret,
                                struct gd_error *reterr)
{
        enum gd_err e = gd_db_begin(c, reterr);
        if (e != GD_OK)
                return e;
        e = gd_db_exec(c, stmt, params, ret, reterr);
        if (e == GD_OK) {
                e = gd_db_commit(c, reterr);
                if (e != GD_OK) {
                        PQclear(*ret);
                        *ret = NULL;
                }
        }
        if (e != GD_OK)
                gd_db_rollback(c);
        return e;
}

static bool is_ref_clash(struct gd_conn *c)
{
        return strcmp(gd_db_last_constraint(c), "guest_external_ref_unique") == 0;
}

enum gd_err gd_db_guest_create(struct gd_conn *c, const json_t *doc, json_t **ret_guest, struct gd_error *reterr)
{
        char *text = json_dumps(doc, JSON_COMPACT);
        if (!text)
                return gd_error_set(reterr, GD_ERR_NOMEM, NULL);
        const char *params[] = {text};
        PGresult *r = NULL;
        enum gd_err e = exec_guarded(c, GD_STMT_GUEST_INSERT, params, &r, reterr);
        free(text);
        if (e == GD_ERR_CONFLICT && is_ref_clash(c))
                return report_ref_clashes(c, json_object_get(doc, "external_refs"), NULL, reterr);
        if (e != GD_OK)
                return e;
        return card_after_write(c, r, ret_guest, reterr);
}

/* One row of (version, card text) from `stmt`, or *ret_text NULL when it gave none. */
static enum gd_err card_row(struct gd_conn *c, enum gd_stmt stmt, const char *id, char **ret_text, long *ret_version,
                            struct gd_error *reterr)
{
        const char *params[] = {id};
        PGresult *r = NULL;
        enum gd_err e = gd_db_exec(c, stmt, params, &r, reterr);
        if (e != GD_OK)
                return e;
        *ret_text = NULL;
        if (PQntuples(r) == 1) {
                *ret_version = strtol(PQgetvalue(r, 0, 0), NULL, 10);
                *ret_text = strdup(PQgetvalue(r, 0, 1));
                if (!*ret_text)
                        e = gd_error_set(reterr, GD_ERR_NOMEM, NULL);
        }
        PQclear(r);
        return e;
}

/* A read answers with the stored card (sql/0013) when there is a current one, and otherwise
 * builds it and stores it for the next read. */
enum gd_err gd_db_guest_card_text(struct gd_conn *c, const char *id, bool basic, char **ret_text, long *ret_version,
                                  struct gd_error *reterr)
{
        enum gd_err e;
        if (basic) {
                e = card_row(c, GD_STMT_GUEST_BASIC, id, ret_text, ret_version, reterr);
        } else {
                e = card_row(c, GD_STMT_GUEST_CARD_STORED, id, ret_text, ret_version, reterr);
                bool stored = e == GD_OK && *ret_text;
                if (e == GD_OK && !stored)
                        e = card_row(c, GD_STMT_GUEST_CARD_KEEP, id, ret_text, ret_version, reterr);
                if (e == GD_OK && *ret_text)
                        gd_db_count_card_read(stored);
        }
        if (e == GD_OK && !*ret_text)
                /* a merged guest's id answers 404 with the guest it went into */
                return gd_db_guest_not_found(c, id, reterr);
        return e;
}

/* Writes read the card afresh (in their own transaction) and do not store it: the next GET will. */
enum gd_err gd_db_guest_get(struct gd_conn *c, const char *id, json_t **ret_guest, struct gd_error *reterr)
{
        char *text = NULL;
        long version;
        enum gd_err e = card_row(c, GD_STMT_GUEST_CARD, id, &text, &version, reterr);
        if (e == GD_OK && !text)
                return gd_db_guest_not_found(c, id, reterr);
        if (e != GD_OK)
                return e;
        json_t *card = json_loads(text, 0, NULL);
        free(text);
        if (!card)
                return gd_error_set(reterr, GD_ERR_NOMEM, NULL);
        *ret_guest = card;
        return GD_OK;
}

/* After a conditional write touched no row: was the guest gone, or was its version different? */
static enum gd_err why_unchanged(struct gd_conn *c, const char *id, struct gd_error *reterr)
{
        const char *params[] = {id};
        PGresult *r = NULL;
        enum gd_err e = gd_db_exec(c, GD_STMT_GUEST_EXISTS, params, &r, reterr);
        if (e != GD_OK)
                return e;
        bool live = PQntuples(r) == 1 && PQgetvalue(r, 0, 1)[0] == 'f';
        PQclear(r);
        if (!live)
                return gd_error_set(reterr, GD_ERR_NOT_FOUND, "No guest has this id.");
        return gd_error_set(reterr, GD_ERR_PRECONDITION, "The guest has changed since the version in If-Match.");
}

enum gd_err gd_db_guest_replace(struct gd_conn *c, const char *id, long expected_version, const json_t *doc,
                                json_t **ret_guest, struct gd_error *reterr)
{
        char version[24];
        snprintf(version, sizeof(version), "%ld", expected_version);
        char *text = json_dumps(doc, JSON_COMPACT);
        if (!text)
                return gd_error_set(reterr, GD_ERR_NOMEM, NULL);
        const char *params[] = {id, version, text};
        PGresult *r = NULL;
        enum gd_err e = exec_guarded(c, GD_STMT_GUEST_UPDATE, params, &r, reterr);
        free(text);
        if (e == GD_ERR_CONFLICT && is_ref_clash(c))
                return report_ref_clashes(c, json_object_get(doc, "external_refs"), id, reterr);
        if (e != GD_OK)
                return e;
        if (PQntuples(r) == 0) {
                PQclear(r);
                return why_unchanged(c, id, reterr);
        }
        return card_after_write(c, r, ret_guest, reterr);
}

enum gd_err gd_db_guest_soft_delete(struct gd_conn *c, const char *id, long expected_version,
                                    struct gd_error *reterr)
{
        char version[24];
        snprintf(version, sizeof(version), "%ld", expected_version);
        const char *params[] = {id, expected_version >= 0 ? version : NULL};
        PGresult *r = NULL;
        enum gd_err e = gd_db_exec(c, GD_STMT_GUEST_SOFT_DELETE, params, &r, reterr);
        if (e != GD_OK)
                return e;
        int n = PQntuples(r);
        PQclear(r);
        return n == 1 ? GD_OK : why_unchanged(c, id, reterr);
}

enum gd_err gd_db_guest_restore(struct gd_conn *c, const char *id, json_t **ret_guest, struct gd_error *reterr)
{
        const char *params[] = {id};
        PGresult *r = NULL;
        enum gd_err e = gd_db_exec(c, GD_STMT_GUEST_RESTORE, params, &r, reterr);
        if (e != GD_OK)
                return e;
        if (PQntuples(r) == 1)
                return card_after_write(c, r, ret_guest, reterr);
        PQclear(r);
        e = why_unchanged(c, id, reterr);
        if (e == GD_ERR_PRECONDITION) /* it exists and is live */
                return gd_error_set(reterr, GD_ERR_CONFLICT, "The guest is not deleted.");
        if (e == GD_ERR_NOT_FOUND && gd_db_guest_not_found(c, id, reterr) == GD_ERR_NOT_FOUND &&
            reterr->merged_into[0])
                return gd_error_set(reterr, GD_ERR_CONFLICT,
                                    "The guest was merged into guest %s: undo the merge to bring it back.",
                                    reterr->merged_into);
        return e;
}

/* One row of a q search, in one of the two results. */
struct hit {
        const PGresult *r;
        int row;
};

static double hit_rank(const struct hit *h)
{
        return strtod(PQgetvalue(h->r, h->row, COL_RANK), NULL);
}

/* Whether a comes before b: rank descending, then id (canonical uuid text sorts as the uuid). */
static bool hit_before(const struct hit *a, const struct hit *b)
{
        double ra = hit_rank(a), rb = hit_rank(b);
        if (ra != rb)
                return ra > rb;
        return strcmp(PQgetvalue(a->r, a->row, COL_ID), PQgetvalue(b->r, b->row, COL_ID)) < 0;
}

/* The page of a q search out of the prefix hits and (possibly NULL) the similar names, each
 * already in page order: merged, the first `limit` shown, the next cursor when there are more. */
static enum gd_err q_page(const PGresult *prefixed, const PGresult *alike, int limit, json_t **ret_items,
                          char ret_next_key[64], char ret_next_id[64], struct gd_error *reterr)
{
        json_t *items = json_array();
        int np = PQntuples(prefixed), na = alike ? PQntuples(alike) : 0, ip = 0, ia = 0, taken = 0;
        struct hit last = {0};
        ret_next_key[0] = ret_next_id[0] = '\0';
        while (items && (ip < np || ia < na)) {
                struct hit p = {prefixed, ip}, a = {alike, ia};
                bool from_prefixed = ia == na || (ip < np && hit_before(&p, &a));
                struct hit h = from_prefixed ? p : a;
                if (taken == limit) { /* one more than a page: there is a next one */
                        snprintf(ret_next_key, 64, "%s", PQgetvalue(last.r, last.row, COL_RANK));
                        snprintf(ret_next_id, 64, "%s", PQgetvalue(last.r, last.row, COL_ID));
                        break;
                }
                json_t *item = guest_from_row(h.r, h.row);
                if (!item || json_array_append_new(items, item) != 0) {
                        json_decref(items);
                        items = NULL;
                }
                last = h;
                taken++;
                ip += from_prefixed;
                ia += !from_prefixed;
        }
        if (!items)
                return gd_error_set(reterr, GD_ERR_NOMEM, NULL);
        *ret_items = items;
        return GD_OK;
}

static enum gd_err search_q(struct gd_conn *c, const char *const params[9], int limit, json_t **ret_items,
                            char ret_next_key[64], char ret_next_id[64], struct gd_error *reterr)
{
        const char *after_rank = params[6];
        PGresult *prefixed = NULL, *alike = NULL;
        enum gd_err e = GD_OK;
        /* past a rank-1 cursor no prefix hit is left */
        if (!after_rank || strtod(after_rank, NULL) >= 1)
                e = gd_db_exec(c, GD_STMT_GUEST_SEARCH_PREFIX, params, &prefixed, reterr);
        if (e == GD_OK && (!prefixed || PQntuples(prefixed) <= limit))
                e = gd_db_exec(c, GD_STMT_GUEST_SEARCH_ALIKE, params, &alike, reterr);
        if (e == GD_OK && !prefixed) {
                prefixed = alike; /* the similar names alone */
                alike = NULL;
        }
        if (e == GD_OK)
                e = q_page(prefixed, alike, limit, ret_items, ret_next_key, ret_next_id, reterr);
        PQclear(prefixed);
        PQclear(alike);
        return e;
}

enum gd_err gd_db_guest_search(struct gd_conn *c, const struct gd_guest_search *s, json_t **ret_items,
                               char ret_next_key[64], char ret_next_id[64], struct gd_error *reterr)
{
        enum gd_stmt stmt = s->external_system ? GD_STMT_GUEST_SEARCH_EXTERNAL
                            : s->email           ? GD_STMT_GUEST_SEARCH_EMAIL
                            : s->phone           ? GD_STMT_GUEST_SEARCH_PHONE
                                                 : GD_STMT_GUEST_SEARCH_ALL;
        char limit[16];
        gd_db_limit_plus_one(s->limit, limit);
        const char *params[] = {s->q,             s->email,     s->phone,    s->external_system, s->external_id,
                                s->updated_since, s->after_key, s->after_id, limit};
        if (s->q)
                return search_q(c, params, s->limit, ret_items, ret_next_key, ret_next_id, reterr);
        PGresult *r = NULL;
        enum gd_err e = gd_db_exec(c, stmt, params, &r, reterr);
        if (e != GD_OK)
                return e;
        return gd_db_page(r, s->limit, guest_from_row, COL_UPDATED_AT_US, COL_ID, ret_items, ret_next_key,
                          ret_next_id, reterr);
}
