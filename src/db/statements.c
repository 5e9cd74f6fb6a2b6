/* SPDX-License-Identifier: MIT */
/* Every SQL statement guestd runs, prepared on each new connection. Parameters only: $1..$n. */
#include "internal.h"

/* advisory lock class of Idempotency-Keys (the first key of the two-key form) */
#define IDEM_LOCK_CLASS "1684628836"

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

/* The query $1 as a LIKE pattern's literal part, and "a word of the name starts with it". */
#define SEARCH_LQ "replace(replace(replace(search_fold($1), '\\', '\\\\'), '%', '\\%'), '_', '\\_')"
#define SEARCH_PREFIX(g)                                                                                    \
        "(" g ".search_name LIKE " SEARCH_LQ " || '%' OR " g ".search_name LIKE '% ' || " SEARCH_LQ " || '%')"

#define SEARCH_BY_UPDATED(driver)                                                                           \
        "SELECT " GUEST_COLUMNS("g") ", " GUEST_REFS("g") " FROM guest g WHERE " driver SEARCH_FILTERS      \
        " AND $1::text IS NULL" /* q searches use guest_search_q */                                        \
        " AND ($7::bigint IS NULL OR (g.updated_at, g.id) > (timestamptz 'epoch' + $7::bigint"              \
        "      * interval '1 microsecond', $8::uuid))"                                                      \
        " ORDER BY g.updated_at, g.id LIMIT $9::int"

/*
 * A guest's basic info as the members of one JSON object, written by the database: the profile
 * card is served as PostgreSQL writes it, with no parsing and re-serializing in guestd (that was
 * about half of guestd's time per card). The same members as guest_from_row() in db/guests.c
 * builds from GUEST_COLUMNS for lists and writes; tests/integration/test_guests.py compares the two.
 */
#define GUEST_JSON_MEMBERS(g)                                                                               \
        "'id', " g ".id, 'version', " g ".version, 'family_name', " g ".family_name, 'given_name', " g     \
        ".given_name, 'gender', " g ".gender, 'birth_date', " g ".birth_date, 'nationality', " g           \
        ".nationality, 'ethnicity', " g ".ethnicity, 'native_place', " g ".native_place, 'address', " g     \
        ".address, 'phone', " g ".phone, 'email', " g ".email, 'language', " g ".language, 'id_document', " \
        g ".id_document, 'external_refs', (SELECT coalesce(jsonb_agg(jsonb_build_object('system', x.system," \
        " 'id', x.external_id) ORDER BY x.system, x.external_id), '[]') FROM guest_external_ref x"           \
        " WHERE x.guest_id = " g ".id), 'vip_code', " g ".vip_code, 'marketing_consent', " g                 \
        ".marketing_consent, 'legal_hold', " g ".legal_hold, 'notes', " g ".notes, 'created_at', rfc3339(" g  \
        ".created_at), 'updated_at', rfc3339(" g ".updated_at)"

/* The card parts beside basic info: statistics, loyalty, preferences, special dates, the newest
 * stays (st: the guest's guest_stats row). */
#define CARD_JSON_MEMBERS(g)                                                                                \
        "'stats', guest_stats_json(st),"                                                                    \
        " 'loyalty', (SELECT doc FROM loyalty_doc(" g ".id))," /* inlined: see sql/0009 */                  \
        " 'preferences', (SELECT coalesce(json_agg(preference_json(p) ORDER BY p.category, p.key), '[]')"   \
        "   FROM preference p WHERE p.guest_id = " g ".id),"                                                \
        " 'special_dates', (SELECT coalesce(json_agg(special_date_json(d) ORDER BY to_char(d.date, 'MM-DD'),"\
        "   d.id), '[]') FROM special_date d WHERE d.guest_id = " g ".id),"                                 \
        " 'recent_stays', (SELECT coalesce(json_agg(stay_json(r) ORDER BY r.check_in DESC, r.id DESC), '[]')"\
        "   FROM (SELECT * FROM stay x WHERE x.guest_id = " g ".id"                                         \
        "         ORDER BY x.check_in DESC, x.id DESC LIMIT 5) r)"

/* $1 guest id: the version (for the ETag) and the profile card as JSON text. */
#define CARD_BUILD                                                                                          \
        "SELECT g.version, json_build_object(" GUEST_JSON_MEMBERS("g") ", " CARD_JSON_MEMBERS("g") ")::text AS body" \
        " FROM guest g LEFT JOIN guest_stats st ON st.guest_id = g.id"                                      \
        " WHERE g.id = $1::uuid AND g.deleted_at IS NULL"

/*
 * Section items: $1 guest id. The guest must be live (not soft-deleted). Each statement returns
 * the item's JSON (the <table>_json() function of sql/0002) and its version.
 */
/*
 * The VIP list's rows, best first. Tiers compare by their rank in the configuration (kept with
 * each score), so a vip_code lift counts; the tier list is read once per statement (an init
 * plan), not once per row.
 */
#define VIP_COLOUR "(SELECT (loyalty_parameters(loyalty)).tier_colours FROM settings)[l.tier_rank]"
#define VIP_FROM " FROM guest_loyalty l JOIN guest g ON g.id = l.guest_id AND g.deleted_at IS NULL"
#define VIP_WHERE                                                                                           \
        " WHERE ($1::text IS NULL OR l.tier_rank >= array_position("                                       \
        "   (SELECT (loyalty_parameters(loyalty)).tier_names FROM settings), $1::text))"                    \
        " AND ($2::numeric IS NULL OR l.score >= $2::numeric)"                                              \
        " AND ($3::text IS NULL OR g.nationality = $3)"                                                     \
        " AND ($4::boolean IS NULL OR g.marketing_consent = $4::boolean)"                                   \
        " AND ($5::int IS NULL OR next_occasion(g.id, g.birth_date, current_date, $5::int) IS NOT NULL)"   \
        " AND ($6::numeric IS NULL OR l.score < $6::numeric OR (l.score = $6::numeric AND g.id > $7::uuid))"
#define VIP_ORDER " ORDER BY l.score DESC, g.id"
/* the columns of enum gd_vip_column (include/guestd/vip.h), in order */
#define VIP_COLUMNS                                                                                         \
        "g.id, g.family_name, g.given_name, l.tier, trim_scale(l.score), " VIP_COLOUR ", g.nationality,"    \
        " g.language, g.birth_date, g.email, g.phone, g.marketing_consent, g.vip_code, o.kind, o.day"
/* the list and the export take the occasion apart, for their columns */
#define VIP_FROM_WHERE_OCCASION                                                                             \
        VIP_FROM " LEFT JOIN LATERAL (SELECT o ->> 'kind' AS kind, o ->> 'date' AS day, o ->> 'label' AS label" \
        "   FROM next_occasion(g.id, g.birth_date, current_date, $5::int) AS o WHERE $5::int IS NOT NULL) o ON true" \
        VIP_WHERE VIP_ORDER

#define LIVE_GUEST(t) " JOIN guest g ON g.id = " t ".guest_id AND g.deleted_at IS NULL"

#define SECTION_INSERT(table, columns, record)                                                              \
        "INSERT INTO " table " AS t (guest_id, " columns ") SELECT g.id, " columns                          \
        " FROM guest g, jsonb_to_record($2::jsonb) AS r(" record ")"                                        \
        " WHERE g.id = $1::uuid AND g.deleted_at IS NULL RETURNING " table "_json(t)::text, t.version"

#define SECTION_GET(table)                                                                                  \
        "SELECT " table "_json(t)::text, t.version FROM " table " t" LIVE_GUEST("t")                        \
        " WHERE t.guest_id = $1::uuid AND t.id = $2::uuid"

/* Newest first; the cursor key is the sort column as an integer (key_expr) and back (key_param). */
#define SECTION_LIST(table, sort_col, key_expr, key_param)                                                  \
        "SELECT " table "_json(t)::text, (" key_expr ")::text, t.id::text FROM " table " t"                 \
        " WHERE t.guest_id = $1::uuid AND ($2::bigint IS NULL OR (t." sort_col ", t.id) < (" key_param      \
        ", $3::uuid)) ORDER BY t." sort_col " DESC, t.id DESC LIMIT $4::int"

#define MICROS(col) "(extract(epoch FROM t." col ") * 1000000)::bigint"
#define FROM_MICROS "timestamptz 'epoch' + $2::bigint * interval '1 microsecond'"

/* $3 expected version, $4 the normalized item. */
#define SECTION_UPDATE(table, columns, record, extra)                                                       \
        "UPDATE " table " t SET (" columns ") = (SELECT " columns " FROM jsonb_to_record($4::jsonb) AS r("  \
        record ")), version = t.version + 1, updated_at = now()" extra " FROM guest g"                     \
        " WHERE g.id = t.guest_id AND g.deleted_at IS NULL AND t.guest_id = $1::uuid AND t.id = $2::uuid"  \
        " AND t.version = $3::int RETURNING " table "_json(t)::text, t.version"

#define SECTION_DELETE(table)                                                                               \
        "DELETE FROM " table " t USING guest g WHERE g.id = t.guest_id AND g.deleted_at IS NULL"            \
        " AND t.guest_id = $1::uuid AND t.id = $2::uuid AND ($3::int IS NULL OR t.version = $3::int)"       \
        " RETURNING t.version"

#define STAY_COLUMNS                                                                                        \
        "check_in, check_out, status, room_type, room_number, booking_channel, purpose, adults, children, "   \
        "rate_amount, currency, amenities_used, external_ref"
#define STAY_RECORD                                                                                         \
        "check_in date, check_out date, status text, room_type text, room_number text, booking_channel text, " \
        "purpose text, adults int, children int, rate_amount numeric, currency text, amenities_used jsonb, "   \
        "external_ref text"

#define CONSUMPTION_COLUMNS                                                                                 \
        "occurred_at, category, dining_type, covers, amount, currency, discount_rate, payment_method, "       \
        "payment_status, revenue, stay_id, description"
#define CONSUMPTION_RECORD                                                                                  \
        "occurred_at timestamptz, category text, dining_type text, covers int, amount numeric, currency text, " \
        "discount_rate numeric, payment_method text, payment_status text, revenue numeric, stay_id uuid, "    \
        "description text"

#define PREFERENCE_COLUMNS "category, key, value, source, note"
#define PREFERENCE_RECORD "category text, key text, value text, source text, note text"

#define SPECIAL_DATE_COLUMNS "kind, date, label"
#define SPECIAL_DATE_RECORD "kind text, date date, label text"

#define COMPLAINT_COLUMNS                                                                                   \
        "received_at, stay_id, category, severity, description, status, resolution, compensation_amount, "    \
        "compensation_currency, feedback_score"
#define COMPLAINT_RECORD                                                                                    \
        "received_at timestamptz, stay_id uuid, category text, severity text, description text, status text, " \
        "resolution text, compensation_amount numeric, compensation_currency text, feedback_score int"

/* Instants as the purge passes them: microseconds since the Unix epoch, both ways. */
#define EPOCH_US(col) "(extract(epoch FROM " col ") * 1000000)::bigint"
#define FROM_EPOCH_US(param) "(timestamptz 'epoch' + " param "::bigint * interval '1 microsecond')"

/* A keyset that starts before everything when its parameters are NULL, so that the range stays
 * an index condition in the generic plan ("$2 IS NULL OR ..." would turn it into a filter and
 * make every batch rescan the rows of the ones before). */
#define AFTER_KEYSET(cols)                                                                                  \
        " AND (" cols ") > (coalesce(" FROM_EPOCH_US("$2") ", '-infinity'),"                                \
        " coalesce($3::uuid, '00000000-0000-0000-0000-000000000000'))"

/* Facts for the policy (domain/purge.c): id, last activity, legal hold, vip_code, open stays and
 * complaints. */
#define PURGE_CANDIDATES(lock)                                                                              \
        "SELECT s.guest_id::text, " EPOCH_US("s.last_activity_at") "::text, g.legal_hold,"                  \
        " g.vip_code IS NOT NULL, s.open_stays, s.open_complaints"                                          \
        " FROM guest_stats s JOIN guest g ON g.id = s.guest_id"                                             \
        " WHERE s.last_activity_at < " FROM_EPOCH_US("$1") " AND g.deleted_at IS NULL"                       \
        AFTER_KEYSET("s.last_activity_at, s.guest_id")                                                      \
        " ORDER BY s.last_activity_at, s.guest_id LIMIT $4::int" lock

#define PURGE_EXPIRED(lock)                                                                                 \
        "SELECT g.id::text, " EPOCH_US("g.deleted_at") "::text, g.legal_hold FROM guest g"                  \
        " WHERE g.deleted_at < " FROM_EPOCH_US("$1") AFTER_KEYSET("g.deleted_at, g.id")                      \
        " ORDER BY g.deleted_at, g.id LIMIT $4::int" lock

/* candidates each reason may add: a very common name or a shared company phone cannot flood the list */
#define DUP_PER_REASON "100"

const struct gd_stmt_def gd_stmts[_GD_STMT_MAX] = {
        [GD_STMT_GUEST_INSERT] = {"guest_insert",
                "WITH doc AS (SELECT $1::jsonb AS d),"
                " g AS (INSERT INTO guest (" GUEST_WRITABLE ") SELECT " GUEST_WRITABLE_R
                "   FROM doc, " GUEST_RECORD("doc.d") " RETURNING *),"
                " refs AS (INSERT INTO guest_external_ref (guest_id, system, external_id)"
                "   SELECT g.id, e->>'system', e->>'id' FROM g, doc, jsonb_array_elements(doc.d->'external_refs') e)"
                " SELECT " GUEST_COLUMNS("g") ", " INPUT_REFS " FROM g", 1},

        /* the card built afresh: after a write, and as the write's starting point */
        [GD_STMT_GUEST_CARD] = {"guest_card", CARD_BUILD, 1},
        /* The card as stored by an earlier read, if nothing it shows was written since (sql/0013). */
        [GD_STMT_GUEST_CARD_STORED] = {"guest_card_stored",
                "SELECT c.version, c.body FROM guest_card c WHERE c.guest_id = $1::uuid AND c.body IS NOT NULL"
                " AND c.epoch = (SELECT card_epoch FROM settings)", 1},
        /* The card built, and stored unless a write moved its stamp since this statement's snapshot
         * (ON CONFLICT waits for such a writer and re-reads the row). The key-share lock keeps a
         * guest erased meanwhile from getting a card again. */
        [GD_STMT_GUEST_CARD_KEEP] = {"guest_card_keep",
                "WITH card AS (" CARD_BUILD "),"
                " seen AS (SELECT coalesce((SELECT stamp FROM guest_card WHERE guest_id = $1::uuid), 0) AS stamp,"
                "   (SELECT card_epoch FROM settings) AS epoch),"
                " live AS (SELECT id FROM guest WHERE id = $1::uuid AND deleted_at IS NULL FOR KEY SHARE),"
                " kept AS (INSERT INTO guest_card AS c (guest_id, stamp, epoch, version, body)"
                "   SELECT live.id, seen.stamp, seen.epoch, card.version, card.body FROM live, seen, card"
                "   ON CONFLICT (guest_id) DO UPDATE SET epoch = excluded.epoch, version = excluded.version,"
                "   body = excluded.body WHERE c.stamp = excluded.stamp)"
                " SELECT version, body FROM card", 1},
        /* The same for the basic info alone: one primary-key probe, the cheapest read of a guest. */
        [GD_STMT_GUEST_BASIC] = {"guest_basic",
                "SELECT g.version, json_build_object(" GUEST_JSON_MEMBERS("g") ")::text"
                " FROM guest g WHERE g.id = $1::uuid AND g.deleted_at IS NULL", 1},

        [GD_STMT_GUEST_LIVE] = {"guest_live",
                "SELECT 1 FROM guest WHERE id = $1::uuid AND deleted_at IS NULL", 1},

        [GD_STMT_STAY_INSERT] = {"stay_insert", SECTION_INSERT("stay", STAY_COLUMNS, STAY_RECORD), 2},
        [GD_STMT_STAY_GET] = {"stay_get", SECTION_GET("stay"), 2},
        [GD_STMT_STAY_LIST] = {"stay_list",
                SECTION_LIST("stay", "check_in", "t.check_in - date '1970-01-01'", "date '1970-01-01' + $2::int"), 4},
        [GD_STMT_STAY_UPDATE] = {"stay_update", SECTION_UPDATE("stay", STAY_COLUMNS, STAY_RECORD, ""), 4},
        [GD_STMT_STAY_DELETE] = {"stay_delete", SECTION_DELETE("stay"), 3},

        [GD_STMT_CONSUMPTION_INSERT] = {"consumption_insert",
                SECTION_INSERT("consumption", CONSUMPTION_COLUMNS, CONSUMPTION_RECORD), 2},
        [GD_STMT_CONSUMPTION_GET] = {"consumption_get", SECTION_GET("consumption"), 2},
        [GD_STMT_CONSUMPTION_LIST] = {"consumption_list",
                SECTION_LIST("consumption", "occurred_at", MICROS("occurred_at"), FROM_MICROS), 4},
        [GD_STMT_CONSUMPTION_UPDATE] = {"consumption_update",
                SECTION_UPDATE("consumption", CONSUMPTION_COLUMNS, CONSUMPTION_RECORD, ""), 4},
        [GD_STMT_CONSUMPTION_DELETE] = {"consumption_delete", SECTION_DELETE("consumption"), 3},

        /* preference_create() lets a new entry replace an inferred one (sql/0002) */
        [GD_STMT_PREFERENCE_INSERT] = {"preference_insert",
                "SELECT preference_json(t)::text, t.version FROM preference_create($1::uuid, $2::jsonb) t", 2},
        [GD_STMT_PREFERENCE_GET] = {"preference_get", SECTION_GET("preference"), 2},
        [GD_STMT_PREFERENCE_LIST] = {"preference_list",
                SECTION_LIST("preference", "created_at", MICROS("created_at"), FROM_MICROS), 4},
        /* evidence belongs to inferred entries only: a human's edit drops it */
        [GD_STMT_PREFERENCE_UPDATE] = {"preference_update",
                SECTION_UPDATE("preference", PREFERENCE_COLUMNS, PREFERENCE_RECORD,
                               ", evidence = CASE WHEN $4::jsonb ->> 'source' = 'inferred' THEN t.evidence END"), 4},
        [GD_STMT_PREFERENCE_DELETE] = {"preference_delete", SECTION_DELETE("preference"), 3},

        [GD_STMT_SPECIAL_DATE_INSERT] = {"special_date_insert",
                SECTION_INSERT("special_date", SPECIAL_DATE_COLUMNS, SPECIAL_DATE_RECORD), 2},
        [GD_STMT_SPECIAL_DATE_GET] = {"special_date_get", SECTION_GET("special_date"), 2},
        [GD_STMT_SPECIAL_DATE_LIST] = {"special_date_list",
                SECTION_LIST("special_date", "created_at", MICROS("created_at"), FROM_MICROS), 4},
        [GD_STMT_SPECIAL_DATE_UPDATE] = {"special_date_update",
                SECTION_UPDATE("special_date", SPECIAL_DATE_COLUMNS, SPECIAL_DATE_RECORD, ""), 4},
        [GD_STMT_SPECIAL_DATE_DELETE] = {"special_date_delete", SECTION_DELETE("special_date"), 3},

        /* received_at defaults to now; resolved_at is stamped the first time the status reaches
         * resolved or closed (the status never moves back, see domain/section.c) */
        [GD_STMT_COMPLAINT_INSERT] = {"complaint_insert",
                "INSERT INTO complaint AS t (guest_id, " COMPLAINT_COLUMNS ", resolved_at)"
                " SELECT g.id, coalesce(r.received_at, now()), r.stay_id, r.category, r.severity, r.description,"
                " r.status, r.resolution, r.compensation_amount, r.compensation_currency, r.feedback_score,"
                " CASE WHEN r.status IN ('resolved', 'closed') THEN now() END"
                " FROM guest g, jsonb_to_record($2::jsonb) AS r(" COMPLAINT_RECORD ")"
                " WHERE g.id = $1::uuid AND g.deleted_at IS NULL RETURNING complaint_json(t)::text, t.version", 2},
        [GD_STMT_COMPLAINT_GET] = {"complaint_get", SECTION_GET("complaint"), 2},
        [GD_STMT_COMPLAINT_LIST] = {"complaint_list",
                SECTION_LIST("complaint", "received_at", MICROS("received_at"), FROM_MICROS), 4},
        [GD_STMT_COMPLAINT_UPDATE] = {"complaint_update",
                "UPDATE complaint t SET (" COMPLAINT_COLUMNS ") = (SELECT coalesce(r.received_at, t.received_at),"
                " r.stay_id, r.category, r.severity, r.description, r.status, r.resolution, r.compensation_amount,"
                " r.compensation_currency, r.feedback_score FROM jsonb_to_record($4::jsonb) AS r(" COMPLAINT_RECORD
                ")), resolved_at = CASE WHEN $4::jsonb ->> 'status' IN ('resolved', 'closed')"
                " THEN coalesce(t.resolved_at, now()) END, version = t.version + 1, updated_at = now() FROM guest g"
                " WHERE g.id = t.guest_id AND g.deleted_at IS NULL AND t.guest_id = $1::uuid AND t.id = $2::uuid"
                " AND t.version = $3::int RETURNING complaint_json(t)::text, t.version", 4},
        [GD_STMT_COMPLAINT_DELETE] = {"complaint_delete", SECTION_DELETE("complaint"), 3},

        /* the newest completed stays: room type, party size, amenities used at least once */
        /* What the inference reads, in one round trip: rows of kind 's' (the $2 newest completed
         * stays: room type, party, amenities used), 'd' (the $3 newest dining types), and one 'p'
         * (how many inferred preferences the guest has now). */
        [GD_STMT_INFER_FACTS] = {"infer_facts",
                "SELECT k, a, b, c FROM ("
                " (SELECT 's' AS k, row_number() OVER (ORDER BY s.check_in DESC, s.id DESC) AS n,"
                "   coalesce(s.room_type, '') AS a, (s.adults + s.children)::text AS b,"
                "   coalesce((SELECT json_agg(a.key ORDER BY a.key) FROM jsonb_each(s.amenities_used) a"
                "     WHERE jsonb_typeof(a.value) = 'number' AND (a.value)::numeric > 0), '[]')::text AS c"
                "   FROM stay s WHERE s.guest_id = $1::uuid AND s.status = 'completed'"
                "   ORDER BY s.check_in DESC, s.id DESC LIMIT $2::int)"
                " UNION ALL"
                " (SELECT 'd', row_number() OVER (ORDER BY x.occurred_at DESC, x.id DESC), x.dining_type, NULL, NULL"
                "   FROM consumption x WHERE x.guest_id = $1::uuid AND x.category = 'dining'"
                "   AND x.dining_type IS NOT NULL ORDER BY x.occurred_at DESC, x.id DESC LIMIT $3::int)"
                " UNION ALL"
                " SELECT 'p', 1, count(*)::text, NULL, NULL FROM preference p"
                "   WHERE p.guest_id = $1::uuid AND p.source = 'inferred') f ORDER BY k, n", 3},
        [GD_STMT_INFER_APPLY] = {"infer_apply", "SELECT apply_inferred_preferences($1::uuid, $2::jsonb)", 2},

        [GD_STMT_LOYALTY_GET] = {"loyalty_get",
                "SELECT (SELECT doc FROM loyalty_doc(g.id))::text FROM guest g"
                " WHERE g.id = $1::uuid AND g.deleted_at IS NULL", 1},
        [GD_STMT_LOYALTY_CONFIG_GET] = {"loyalty_config_get", "SELECT loyalty_config_json()::text", 0},
        /* whether the configuration in force has a tier of this name */
        [GD_STMT_LOYALTY_TIER_EXISTS] = {"loyalty_tier_exists",
                "SELECT ($1 = ANY ((loyalty_parameters(loyalty)).tier_names))::text FROM settings", 1},
        [GD_STMT_LOYALTY_CONFIG_PUT] = {"loyalty_config_put",
                "UPDATE settings SET base_currency = $1, fx_rates = $2::jsonb, loyalty = $3::jsonb,"
                " formula_version = formula_version + 1, updated_at = now() RETURNING formula_version", 3},
        /* one transaction per batch: front-desk writes wait for one batch at most */
        [GD_STMT_RESCORE_BATCH_END] = {"rescore_batch_end",
                "SELECT rescore_batch_end($1::uuid, $2::int, $3)::text, (SELECT formula_version FROM settings)", 3},
        [GD_STMT_RESCORE_BATCH] = {"rescore_batch",
                "SELECT guests, moved_up, moved_down FROM rescore_batch($1::uuid, $2::uuid, $3)", 3},

        /*
         * VIP list, best first: $1 min_tier, $2 min_score, $3 nationality, $4 consent,
         * $5 upcoming_days, $6/$7 cursor (score, id), $8 limit. As JSON items for pages, as
         * columns for CSV exports.
         */
        /* the columns of include/guestd/vip.h, the occasion's label, then the page keys: guestd
         * writes each entry in the marketing view from them (domain/vip.c), without a JSON
         * document per row to parse */
        [GD_STMT_VIP_LIST] = {"vip_list",
                "SELECT " VIP_COLUMNS ", o.label, l.score::text, g.id" VIP_FROM_WHERE_OCCASION " LIMIT $8::int", 8},
        /* the columns of include/guestd/vip.h, in order, for the whole list; a score is written
         * like the JSON number, without a trailing .0 */
        [GD_STMT_VIP_EXPORT] = {"vip_export",
                "SELECT " VIP_COLUMNS VIP_FROM_WHERE_OCCASION, 7},
        /* the greeting feed: $1..$2 days, $3 kind, $4/$5 cursor (day number, row id), $6 limit */
        [GD_STMT_OCCASIONS] = {"occasions",
                "SELECT item::text, (day - date '1970-01-01')::text, row_id::text"
                " FROM occasions_between($1::date, $2::date, $3)"
                " WHERE $4::int IS NULL OR (day, row_id) > (date '1970-01-01' + $4::int, $5::uuid)"
                " ORDER BY day, row_id LIMIT $6::int", 6},

        [GD_STMT_COMPLAINT_REPORT] = {"complaint_report", "SELECT complaint_report($1::date, $2::date)::text", 2},

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
                "UPDATE guest SET deleted_at = now(), deleted_reason = 'request', version = version + 1,"
                " updated_at = now()"
                " WHERE id = $1::uuid AND deleted_at IS NULL AND ($2::int IS NULL OR version = $2::int)"
                " RETURNING version", 2},

        [GD_STMT_GUEST_RESTORE] = {"guest_restore",
                "UPDATE guest g SET deleted_at = NULL, deleted_reason = NULL, purge_run_id = NULL,"
                " version = version + 1, updated_at = now()"
                " WHERE g.id = $1::uuid AND g.deleted_at IS NOT NULL"
                /* a merged guest comes back only by undoing its merge, which moves its rows back too */
                " AND g.deleted_reason <> 'merge'"
                " RETURNING " GUEST_COLUMNS("g") ", " GUEST_REFS("g"), 1},

        [GD_STMT_GUEST_REF_CLASHES] = {"guest_ref_clashes",
                "SELECT (e.ord - 1)::text, e.r->>'system', e.r->>'id'"
                " FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS e(r, ord)"
                " JOIN guest_external_ref x ON x.system = e.r->>'system' AND x.external_id = e.r->>'id'"
                " WHERE $2::uuid IS NULL OR x.guest_id <> $2::uuid ORDER BY e.ord", 2},

        /*
         * Relevance: a name word starting with the query ranks 1, otherwise trigram word similarity.
         * Two statements, merged by db/guests.c: the rank-1 hits come in id order, so a page for a
         * common prefix (a surname shared by thousands) is the first rows of an ordered scan, not a
         * sort of every hit; the similar names are read only when the prefix hits do not fill the
         * page. The pattern is written out, not taken from a CTE, so that each execution is planned
         * for its value (a rare prefix reads its few rows through the trigram index).
         */
        [GD_STMT_GUEST_SEARCH_PREFIX] = {"guest_search_prefix",
                "SELECT " GUEST_COLUMNS("g") ", " GUEST_REFS("g") ", '1' FROM guest g"
                " WHERE " SEARCH_PREFIX("g") SEARCH_FILTERS
                " AND ($7::real IS NULL OR ($7::real >= 1 AND g.id > $8::uuid))"
                " ORDER BY g.id LIMIT $9::int", 9},
        [GD_STMT_GUEST_SEARCH_ALIKE] = {"guest_search_alike",
                "SELECT " GUEST_COLUMNS("s") ", " GUEST_REFS("s") ", s.rank::text"
                " FROM (SELECT g.*, word_similarity(search_fold($1), g.search_name) AS rank FROM guest g"
                "   WHERE (search_fold($1) <% g.search_name OR g.phone = $1 OR lower(g.email) = lower($1))"
                "   AND NOT coalesce(" SEARCH_PREFIX("g") ", false)" SEARCH_FILTERS ") s"
                " WHERE $7::real IS NULL OR s.rank < $7::real OR (s.rank = $7::real AND s.id > $8::uuid)"
                " ORDER BY s.rank DESC, s.id LIMIT $9::int", 9},

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

        /* ---- the purge (db/purge.c). Instants travel as microseconds since the epoch. ---- */

        /* held by the run's session from start to end: the key is the bytes "guestdpg" */
        [GD_STMT_PURGE_LOCK] = {"purge_lock", "SELECT pg_try_advisory_lock(x'6775657374647067'::bigint)", 0},
        [GD_STMT_PURGE_UNLOCK] = {"purge_unlock", "SELECT pg_advisory_unlock(x'6775657374647067'::bigint)", 0},
        /* the database's clock, which also stamps deleted_at: cut-offs never meet another clock */
        [GD_STMT_PURGE_CLOCK] = {"purge_clock",
                "SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::bigint::text", 0},
        [GD_STMT_PURGE_RUN_RUNNING] = {"purge_run_running",
                "SELECT id::text FROM purge_run WHERE status = 'running' ORDER BY started_at DESC LIMIT 1", 0},
        /* only the holder of the lock runs this: a run still 'running' then has lost its session */
        [GD_STMT_PURGE_RUN_ABANDON] = {"purge_run_abandon",
                "UPDATE purge_run SET status = 'failed', finished_at = clock_timestamp(),"
                " error = 'abandoned: its process or database session ended before it finished'"
                " WHERE status = 'running' RETURNING id::text", 0},
        /* $1 dry_run, $2 started_by, $3 inactive_days, $4 grace_days, $5 batch_size, $6 include_vip,
         * $7 limit, $8 cutoff, $9 started_at */
        [GD_STMT_PURGE_RUN_INSERT] = {"purge_run_insert",
                "INSERT INTO purge_run (dry_run, started_by, inactive_days, grace_days, batch_size, include_vip,"
                " run_limit, cutoff, started_at) VALUES ($1::boolean, $2, $3::int, $4::int, $5::int, $6::boolean,"
                " $7::int, " FROM_EPOCH_US("$8") ", " FROM_EPOCH_US("$9") ") RETURNING id::text", 9},
        /*
         * The next batch of stale live guests after the keyset ($2, $3; NULL for the first): $1 cut-off,
         * $4 batch size. One index range (guest_stats_last_activity), no history read. The guest and
         * its statistics are locked, so a history write either committed before (and its fresh
         * last_activity_at is re-checked here) or waits for the batch; rows a writer holds are skipped.
         */
        [GD_STMT_PURGE_CANDIDATES] = {"purge_candidates", PURGE_CANDIDATES(" FOR UPDATE OF g, s SKIP LOCKED"), 4},
        /* a dry run takes no locks: it changes nothing, so it must not make a writer wait */
        [GD_STMT_PURGE_CANDIDATES_DRY] = {"purge_candidates_dry", PURGE_CANDIDATES(""), 4},
        /* $1 the ids (a JSON array), $2 the run. Nothing else of the guest changes, not even its
         * version: a restore brings it back exactly as it was. */
        [GD_STMT_PURGE_SOFT] = {"purge_soft",
                "UPDATE guest g SET deleted_at = now(), deleted_reason = 'purge', purge_run_id = $2::uuid"
                " FROM jsonb_array_elements_text($1::jsonb) AS u(id)"
                " WHERE g.id = u.id::uuid AND g.deleted_at IS NULL", 2},
        [GD_STMT_PURGE_RUN_GRACE] = {"purge_run_grace",
                "UPDATE purge_run SET grace_cutoff = " FROM_EPOCH_US("$2") " WHERE id = $1::uuid", 2},
        /* deleted guests (by request or purge) deleted before the grace cut-off $1, after the keyset */
        [GD_STMT_PURGE_EXPIRED] = {"purge_expired", PURGE_EXPIRED(" FOR UPDATE SKIP LOCKED"), 4},
        [GD_STMT_PURGE_EXPIRED_DRY] = {"purge_expired_dry", PURGE_EXPIRED(""), 4},
        /* every section and derived row goes with the guest (ON DELETE CASCADE); a tombstone stays */
        [GD_STMT_PURGE_ERASE] = {"purge_erase",
                "WITH gone AS (DELETE FROM guest g USING jsonb_array_elements_text($1::jsonb) AS u(id)"
                "   WHERE g.id = u.id::uuid AND g.deleted_at IS NOT NULL"
                "   RETURNING g.id, g.deleted_at, g.deleted_reason, g.purge_run_id)"
                " INSERT INTO guest_tombstone (guest_id, deleted_at, reason, soft_purge_run_id, hard_deleted_at, run_id)"
                " SELECT id, deleted_at, deleted_reason, purge_run_id, now(), $2::uuid FROM gone", 2},
        /* in the batch's transaction: the counts of a run are what its committed batches did */
        [GD_STMT_PURGE_RUN_PROGRESS] = {"purge_run_progress",
                "UPDATE purge_run SET candidates = candidates + $2::bigint, soft_purged = soft_purged + $3::bigint,"
                " expired = expired + $4::bigint, hard_deleted = hard_deleted + $5::bigint,"
                " skipped_legal_hold = skipped_legal_hold + $6::bigint, skipped_vip = skipped_vip + $7::bigint,"
                " skipped_open_stay = skipped_open_stay + $8::bigint,"
                " skipped_open_complaint = skipped_open_complaint + $9::bigint, batches = batches + 1"
                " WHERE id = $1::uuid", 9},
        /* $2 'done' or 'failed', $3 the sample (dry runs), $4 why it failed */
        [GD_STMT_PURGE_RUN_FINISH] = {"purge_run_finish",
                "UPDATE purge_run r SET status = $2, finished_at = clock_timestamp(), sample = $3::jsonb, error = $4"
                " WHERE r.id = $1::uuid RETURNING purge_run_json(r)::text", 4},
        [GD_STMT_PURGE_RUN_GET] = {"purge_run_get",
                "SELECT purge_run_json(r)::text FROM purge_run r WHERE r.id = $1::uuid", 1},
        /* newest first: $1/$2 cursor (started_at, id), $3 limit */
        [GD_STMT_PURGE_RUN_LIST] = {"purge_run_list",
                "SELECT purge_run_json(r)::text, " EPOCH_US("r.started_at") "::text, r.id::text FROM purge_run r"
                " WHERE $1::bigint IS NULL OR (r.started_at, r.id) < (" FROM_EPOCH_US("$1") ", $2::uuid)"
                " ORDER BY r.started_at DESC, r.id DESC LIMIT $3::int", 3},

        /* ---- the request transaction (http/request_tx.c, db/idempotency.c) ---- */
        /* transaction-local: who writes and in which request, for triggers */
        /* Who writes ($1 actor, $2 request id), and with an Idempotency-Key ($4, of API key $3)
         * its lock, in one round trip: one request per (API key, Idempotency-Key) at a time, a
         * second one finds the lock taken (two-key form: its own space, apart from the purge's
         * one-key lock). Without a key the answer is true. */
        [GD_STMT_TX_ACTOR] = {"tx_actor",
                "SELECT set_config('guestd.actor', $1, true), set_config('guestd.request_id', $2, true),"
                " (CASE WHEN $4::text IS NULL THEN true"
                "  ELSE pg_try_advisory_xact_lock(" IDEM_LOCK_CLASS ", hashtext($3 || ' ' || $4)) END)::text", 4},
        /* a stored answer still within its lifetime ($3 hours) */
        [GD_STMT_IDEM_GET] = {"idem_get",
                "SELECT fingerprint, status::text, location, etag, body FROM idempotency_key"
                " WHERE api_key_id = $1::uuid AND key = $2 AND created_at >= now() - make_interval(hours => $3::int)", 3},
        /* An expired answer with the same key is replaced. The same statement is the expiry job:
         * it removes up to $9 answers past their lifetime (other keys than its own, so that no row
         * is changed twice by one statement), oldest first, skipping rows another writer holds. */
        [GD_STMT_IDEM_PUT] = {"idem_put",
                "WITH put AS (INSERT INTO idempotency_key AS k (api_key_id, key, fingerprint, status, location, etag, body)"
                "   VALUES ($1::uuid, $2, $3, $4::int, $5, $6, $7)"
                "   ON CONFLICT (api_key_id, key) DO UPDATE SET fingerprint = EXCLUDED.fingerprint,"
                "   status = EXCLUDED.status, location = EXCLUDED.location, etag = EXCLUDED.etag,"
                "   body = EXCLUDED.body, created_at = now()"
                "   WHERE k.created_at < now() - make_interval(hours => $8::int) RETURNING 1),"
                " old AS (SELECT api_key_id, key FROM idempotency_key"
                "   WHERE created_at < now() - make_interval(hours => $8::int)"
                "   AND (api_key_id, key) <> ($1::uuid, $2)"
                "   ORDER BY created_at LIMIT $9::int FOR UPDATE SKIP LOCKED),"
                " expired AS (DELETE FROM idempotency_key k USING old"
                "   WHERE k.api_key_id = old.api_key_id AND k.key = old.key)"
                " SELECT count(*)::text FROM put", 9},

        /* ---- the audit trail and the change feed (db/audit.c); rows written by sql/0007's triggers ---- */
        /* newest first: $2 the cursor's event id; $3 (its guest id) only keeps the cursor's shape */
        [GD_STMT_GUEST_HISTORY] = {"guest_history",
                "SELECT audit_event_json(a)::text, a.id::text, a.guest_id::text FROM audit_event a"
                " WHERE a.guest_id = $1::uuid AND ($2::bigint IS NULL OR a.id < $2::bigint)"
                " AND ($3::uuid IS NULL OR a.guest_id = $3::uuid) ORDER BY a.id DESC LIMIT $4::int", 4},
        /* after ($1 xid, $2 id), in (xid, id) order, only events of transactions older than every one
         * still running: those can no longer gain an event before the cursor */
        [GD_STMT_CHANGES] = {"changes",
                "SELECT change_event_json(e)::text FROM change_event e"
                " WHERE ($1::xid8 IS NULL OR (e.xid, e.id) > ($1::xid8, $2::bigint))"
                " AND e.xid < pg_snapshot_xmin(pg_current_snapshot())"
                " ORDER BY e.xid, e.id LIMIT $3::int", 3},

        /* asked only after a guest read found nothing: was the id merged into another guest? */
        [GD_STMT_GUEST_MERGED_INTO] = {"guest_merged_into",
                "SELECT merged_into::text FROM guest WHERE id = $1::uuid AND deleted_reason = 'merge'", 1},
        /*
         * Likely duplicates of live guest $1: one lookup per reason, each on its index of sql/0008
         * (or guest_phone of sql/0001) and capped, then the reasons per candidate. No row: no such
         * live guest; one row with a NULL item: no candidate. domain/duplicates.c scores and orders.
         */
        [GD_STMT_GUEST_DUPLICATES] = {"guest_duplicates",
                "WITH t AS (SELECT * FROM guest WHERE id = $1::uuid AND deleted_at IS NULL),"
                " hits AS ("
                "  (SELECT g.id, 'same_email' AS reason FROM t JOIN guest g"
                "     ON lower(btrim(g.email)) = lower(btrim(t.email)) AND g.deleted_at IS NULL AND g.email IS NOT NULL"
                "   WHERE g.id <> t.id LIMIT " DUP_PER_REASON ")"
                "  UNION ALL"
                "  (SELECT g.id, 'same_phone' FROM t JOIN guest g ON g.phone = t.phone AND g.deleted_at IS NULL"
                "   WHERE g.id <> t.id LIMIT " DUP_PER_REASON ")"
                "  UNION ALL"
                "  (SELECT g.id, 'same_id_document' FROM t JOIN guest g"
                "     ON (g.id_document ->> 'type', g.id_document ->> 'number', g.id_document ->> 'country')"
                "      = (t.id_document ->> 'type', t.id_document ->> 'number', t.id_document ->> 'country')"
                "     AND g.deleted_at IS NULL AND g.id_document IS NOT NULL"
                "   WHERE g.id <> t.id LIMIT " DUP_PER_REASON ")"
                "  UNION ALL"
                "  (SELECT g.id, 'same_name_and_birth_date' FROM t JOIN guest g ON g.birth_date = t.birth_date"
                "     AND search_fold(g.family_name) = search_fold(t.family_name)"
                "     AND search_fold(coalesce(g.given_name, '')) = search_fold(coalesce(t.given_name, ''))"
                "     AND g.deleted_at IS NULL AND g.birth_date IS NOT NULL"
                "   WHERE g.id <> t.id LIMIT " DUP_PER_REASON ")"
                "  UNION ALL"
                /* pg_trgm's % (similarity above pg_trgm.similarity_threshold, 0.3 by default) */
                "  (SELECT g.id, 'similar_name_and_birth_date' FROM t JOIN guest g ON g.birth_date = t.birth_date"
                "     AND g.search_name % t.search_name AND g.deleted_at IS NULL AND g.birth_date IS NOT NULL"
                "   WHERE g.id <> t.id LIMIT " DUP_PER_REASON "))"
                " SELECT t.id::text, c.item::text FROM t LEFT JOIN LATERAL ("
                "   SELECT json_build_object('id', g.id, 'reasons', json_agg(DISTINCT h.reason),"
                "     'family_name', g.family_name, 'given_name', g.given_name, 'birth_date', g.birth_date,"
                "     'email', g.email, 'phone', g.phone) AS item"
                "   FROM hits h JOIN guest g ON g.id = h.id GROUP BY g.id) c ON true", 1},
        /* $1 survivor, $2 source, $3 dry run, $4 actor: sql/0008 merge_guests() */
        [GD_STMT_MERGE] = {"merge",
                "SELECT merge_guests($1::uuid, $2::uuid, $3::boolean, $4)::text", 4},
        [GD_STMT_MERGE_UNDO] = {"merge_undo", "SELECT merge_undo($1::uuid, $2)::text", 2},
        [GD_STMT_GUEST_EXPORT] = {"guest_export", "SELECT guest_export($1::uuid)::text WHERE EXISTS"
                " (SELECT 1 FROM guest WHERE id = $1::uuid)", 1},
        /* the facts of domain/erasure.c, under a lock on the guest (live or soft-deleted) */
        [GD_STMT_ERASURE_FACTS] = {"erasure_facts",
                "SELECT g.version, g.legal_hold,"
                " (SELECT count(*) FROM complaint k WHERE k.guest_id = g.id AND k.status IN ('open', 'in_progress')),"
                " (SELECT count(*) FROM consumption x WHERE x.guest_id = g.id"
                "    AND x.payment_status IN ('unpaid', 'pending', 'disputed')),"
                " (SELECT count(*) FROM stay s WHERE s.guest_id = g.id AND s.status = 'in_house'),"
                " g.deleted_at IS NOT NULL"
                " FROM guest g WHERE g.id = $1::uuid FOR UPDATE", 1},
        /* The guest, every section and derived row (ON DELETE CASCADE), the guests merged into it
         * (the same person's records), and the merge journal entries naming any of them, which
         * hold personal data; a tombstone per guest stays. */
        [GD_STMT_GUEST_ERASE] = {"guest_erase",
                "WITH RECURSIVE fam AS (SELECT $1::uuid AS id"
                "   UNION SELECT g.id FROM guest g JOIN fam ON g.merged_into = fam.id),"
                " journal AS (DELETE FROM merge_journal m USING fam WHERE m.survivor_id = fam.id OR m.source_id = fam.id),"
                " gone AS (DELETE FROM guest g USING fam WHERE g.id = fam.id RETURNING g.id, g.deleted_at)"
                " INSERT INTO guest_tombstone (guest_id, deleted_at, reason, hard_deleted_at)"
                " SELECT id, coalesce(deleted_at, now()), 'erasure', now() FROM gone RETURNING guest_id::text", 1},

        /* ---- run records for GET /metrics (sql/0010) ---- */
        /* a finished rescore: $1 why, $2 status, $3 jobs, $4 duration in ms (the database's clock
         * places it, as it does purge runs), $5..$8 counts, $9 formula version, $10 error code */
        [GD_STMT_RESCORE_RUN_RECORD] = {"rescore_run_record",
                "INSERT INTO rescore_run (why, status, jobs, started_at, finished_at, guests, moved_up, moved_down,"
                " batches, formula_version, error) SELECT $1, $2, $3::int, now - $4::bigint * interval '1 millisecond',"
                " now, $5::bigint, $6::bigint, $7::bigint, $8::bigint, $9::int, $10 FROM clock_timestamp() AS now", 10},
        /* the latest runs of every process, one index entry each (sql/0010); dry purges left out */
        [GD_STMT_JOB_FACTS] = {"job_facts",
                "SELECT extract(epoch FROM pd.finished_at), extract(epoch FROM pd.finished_at - pd.started_at),"
                " pd.soft_purged, pd.hard_deleted,"
                " (SELECT extract(epoch FROM max(finished_at)) FROM purge_run WHERE status = 'failed' AND NOT dry_run),"
                " (SELECT count(*) FROM purge_run WHERE status = 'running'),"
                " extract(epoch FROM rd.finished_at), extract(epoch FROM rd.finished_at - rd.started_at), rd.guests,"
                " (SELECT extract(epoch FROM max(finished_at)) FROM rescore_run WHERE status = 'failed')"
                " FROM (SELECT 1) AS one"
                " LEFT JOIN LATERAL (SELECT * FROM purge_run WHERE status = 'done' AND NOT dry_run"
                "   ORDER BY finished_at DESC LIMIT 1) pd ON true"
                " LEFT JOIN LATERAL (SELECT * FROM rescore_run WHERE status = 'done'"
                "   ORDER BY finished_at DESC LIMIT 1) rd ON true", 0},
        /* ---- bulk import: one call per batch of checked lines (sql/0011) ---- */
        [GD_STMT_IMPORT_BATCH] = {"import_batch",
                "SELECT line, status, guest_id::text, detail, field FROM import_batch($1::jsonb)", 1},
        /* Batches written side by side keep the file's order (db/import.c): a batch holds its turn, a
         * session lock that outlives the retries of its transaction, until it is written ... */
        [GD_STMT_IMPORT_TAKE_TURN] = {"import_take_turn", "SELECT pg_advisory_lock($1::bigint)", 1},
        /* ... and a batch naming a stored reference, which may update a guest the batch before it
         * updates too, waits for that batch's turn to end before it writes anything. */
        [GD_STMT_IMPORT_WAIT_TURN] = {"import_wait_turn",
                "SELECT pg_advisory_xact_lock_shared($2::bigint) WHERE EXISTS (SELECT 1"
                " FROM jsonb_array_elements($1::jsonb) l, jsonb_array_elements(l->'guest'->'external_refs') r"
                " JOIN guest_external_ref x ON x.system = r->>'system' AND x.external_id = r->>'id')", 2},
        [GD_STMT_IMPORT_END_TURN] = {"import_end_turn", "SELECT pg_advisory_unlock($1::bigint)", 1},
        /* planner statistics after a large import (sql/0014) */
        [GD_STMT_IMPORT_ANALYZE] = {"import_analyze", "SELECT import_analyze()", 0},
};
