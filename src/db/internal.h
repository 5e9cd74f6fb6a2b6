/* SPDX-License-Identifier: MIT */
/* What the db/ files share and nobody else sees: the statement table and the libpq round trip. */
#ifndef GUESTD_DB_INTERNAL_H
#define GUESTD_DB_INTERNAL_H

#include <libpq-fe.h>

#include "guestd/db.h"

enum gd_stmt {
        GD_STMT_GUEST_INSERT,
        GD_STMT_GUEST_CARD,
        GD_STMT_GUEST_CARD_STORED,
        GD_STMT_GUEST_CARD_KEEP,
        GD_STMT_GUEST_BASIC,
        GD_STMT_GUEST_UPDATE,
        GD_STMT_GUEST_EXISTS,
        GD_STMT_GUEST_SOFT_DELETE,
        GD_STMT_GUEST_RESTORE,
        GD_STMT_GUEST_REF_CLASHES,
        GD_STMT_GUEST_SEARCH_PREFIX,
        GD_STMT_GUEST_SEARCH_ALIKE,
        GD_STMT_GUEST_SEARCH_EMAIL,
        GD_STMT_GUEST_SEARCH_PHONE,
        GD_STMT_GUEST_SEARCH_EXTERNAL,
        GD_STMT_GUEST_SEARCH_ALL,
        GD_STMT_GUEST_LIVE,
        GD_STMT_STAY_INSERT,
        GD_STMT_STAY_GET,
        GD_STMT_STAY_LIST,
        GD_STMT_STAY_UPDATE,
        GD_STMT_STAY_DELETE,
        GD_STMT_CONSUMPTION_INSERT,
        GD_STMT_CONSUMPTION_GET,
        GD_STMT_CONSUMPTION_LIST,
        GD_STMT_CONSUMPTION_UPDATE,
        GD_STMT_CONSUMPTION_DELETE,
        GD_STMT_PREFERENCE_INSERT,
        GD_STMT_PREFERENCE_GET,
        GD_STMT_PREFERENCE_LIST,
        GD_STMT_PREFERENCE_UPDATE,
        GD_STMT_PREFERENCE_DELETE,
        GD_STMT_SPECIAL_DATE_INSERT,
        GD_STMT_SPECIAL_DATE_GET,
        GD_STMT_SPECIAL_DATE_LIST,
        GD_STMT_SPECIAL_DATE_UPDATE,
        GD_STMT_SPECIAL_DATE_DELETE,
        GD_STMT_COMPLAINT_INSERT,
        GD_STMT_COMPLAINT_GET,
        GD_STMT_COMPLAINT_LIST,
        GD_STMT_COMPLAINT_UPDATE,
        GD_STMT_COMPLAINT_DELETE,
        GD_STMT_INFER_FACTS,
        GD_STMT_INFER_APPLY,
        GD_STMT_COMPLAINT_REPORT,
        GD_STMT_LOYALTY_GET,
        GD_STMT_LOYALTY_CONFIG_GET,
        GD_STMT_LOYALTY_TIER_EXISTS,
        GD_STMT_LOYALTY_CONFIG_PUT,
        GD_STMT_RESCORE_BATCH_END,
        GD_STMT_RESCORE_BATCH,
        GD_STMT_VIP_LIST,
        GD_STMT_VIP_EXPORT,
        GD_STMT_OCCASIONS,
        GD_STMT_APIKEY_FIND,
        GD_STMT_APIKEY_INSERT,
        GD_STMT_APIKEY_LIST,
        GD_STMT_APIKEY_REVOKE,
        GD_STMT_APIKEY_COUNT_ACTIVE,
        GD_STMT_PURGE_LOCK,
        GD_STMT_PURGE_UNLOCK,
        GD_STMT_PURGE_CLOCK,
        GD_STMT_PURGE_RUN_RUNNING,
        GD_STMT_PURGE_RUN_ABANDON,
        GD_STMT_PURGE_RUN_INSERT,
        GD_STMT_PURGE_CANDIDATES,
        GD_STMT_PURGE_CANDIDATES_DRY,
        GD_STMT_PURGE_SOFT,
        GD_STMT_PURGE_RUN_GRACE,
        GD_STMT_PURGE_EXPIRED,
        GD_STMT_PURGE_EXPIRED_DRY,
        GD_STMT_PURGE_ERASE,
        GD_STMT_PURGE_RUN_PROGRESS,
        GD_STMT_PURGE_RUN_FINISH,
        GD_STMT_PURGE_RUN_GET,
        GD_STMT_PURGE_RUN_LIST,
        GD_STMT_TX_ACTOR,
        GD_STMT_IDEM_GET,
        GD_STMT_IDEM_PUT,
        GD_STMT_GUEST_HISTORY,
        GD_STMT_CHANGES,
        GD_STMT_GUEST_MERGED_INTO,
        GD_STMT_GUEST_DUPLICATES,
        GD_STMT_MERGE,
        GD_STMT_MERGE_UNDO,
        GD_STMT_GUEST_EXPORT,
        GD_STMT_ERASURE_FACTS,
        GD_STMT_GUEST_ERASE,
        GD_STMT_RESCORE_RUN_RECORD,
        GD_STMT_JOB_FACTS,
        /* bulk import (db/import.c) */
        GD_STMT_IMPORT_BATCH,
        GD_STMT_IMPORT_TAKE_TURN,
        GD_STMT_IMPORT_WAIT_TURN,
        GD_STMT_IMPORT_END_TURN,
        GD_STMT_IMPORT_ANALYZE,
        _GD_STMT_MAX,
};

struct gd_stmt_def {
        const char *name;
        const char *sql;
        int n_params;
};

extern const struct gd_stmt_def gd_stmts[_GD_STMT_MAX];

/* Executes a prepared statement with text parameters (NULL = SQL NULL) and waits at most the
 * configured deadline. On GD_OK *ret is a TUPLES_OK or COMMAND_OK result the caller PQclear()s.
 * Failures are classified by gd_sqlstate_classify(); a lost or frozen connection is closed. */
enum gd_err gd_db_exec(struct gd_conn *c, enum gd_stmt stmt, const char *const *params, PGresult **ret,
                       struct gd_error *reterr);

/* Sends a statement's text with parameters (no prepare: the connection is a one-off) in
 * single-row mode; then gd_conn_next_row() yields the rows one by one. */
enum gd_err gd_conn_stream_start(struct gd_conn *c, enum gd_stmt stmt, const char *const *params,
                                 struct gd_error *reterr);
/* Next row (caller PQclear()s it), or *ret_row = NULL at the end. */
enum gd_err gd_conn_next_row(struct gd_conn *c, PGresult **ret_row, struct gd_error *reterr);

/* Runs fixed SQL text (never request data) and returns its last result. */
enum gd_err gd_conn_query(struct gd_conn *c, const char *sql, PGresult **ret, struct gd_error *reterr);

/* Maps a failed result to an error code (SQLSTATE classes; NULL SQLSTATE = connection lost). */
enum gd_err gd_sqlstate_classify(const char *sqlstate);

/* Which counter a failed statement's SQLSTATE goes to (NULL: the session was lost). */
enum gd_db_error_kind gd_sqlstate_kind(const char *sqlstate);

/* Sets reterr to `e`, the class of a statement that failed with `sqlstate`, and keeps the SQLSTATE
 * for the log. Returns e. */
enum gd_err gd_sqlstate_fail(struct gd_error *reterr, const char *sqlstate, enum gd_err e);

/* db/stats.c: lock-free counters of this process, bumped where the event happens. */
void gd_db_count_error(enum gd_db_error_kind k);
void gd_db_count_card_read(bool stored);
void gd_db_count_connect(bool ok, bool replaces_earlier);
void gd_db_count_purge(enum gd_job_outcome o, int64_t soft_purged, int64_t hard_deleted);
void gd_db_count_rescore(enum gd_job_outcome o, int64_t guests);

/* A connection that connects on first use (pool slots), so guestd starts while the database is down. */
struct gd_conn *gd_conn_new_lazy(const struct gd_db_config *cfg);

/* Ends the open transaction, however deeply gd_db_begin() nested (a connection going back to the pool). */
void gd_conn_rollback_all(struct gd_conn *c);

/* True when no transaction is open (or the connection is closed). */
bool gd_conn_is_idle(struct gd_conn *c);

/* One page of a list: the statement fetched one row more than `limit` when another page follows.
 * Each shown row becomes an item through row_to_json; the last shown row's key_col and id_col make
 * the next cursor ("" when this is the last page). Clears r. */
typedef json_t *(*gd_row_to_json)(const PGresult *r, int row);
enum gd_err gd_db_page(PGresult *r, int limit, gd_row_to_json row_to_json, int key_col, int id_col,
                       json_t **ret_items, char ret_next_key[64], char ret_next_id[64], struct gd_error *reterr);

/* One page of a list statement whose parameters are (cursor key, cursor id, limit + 1). */
enum gd_err gd_db_list(struct gd_conn *c, enum gd_stmt stmt, const char *after_key, const char *after_id, int limit,
                       gd_row_to_json row_to_json, int key_col, int id_col, json_t **ret_items,
                       char ret_next_key[64], char ret_next_id[64], struct gd_error *reterr);

/* Rows whose first column is an item's JSON text (made by the SQL representation functions). */
json_t *gd_db_json_column(const PGresult *r, int row);

/* Lists: the text of a limit one more than the page, which tells whether another page follows. */
void gd_db_limit_plus_one(int limit, char out[16]);

/* Name of the constraint a 23xxx error was about ("" if none). */
const char *gd_db_last_constraint(struct gd_conn *c);
/* The server process of the session (0 when not connected): a session lock such as the purge's or
 * an import batch's turn is held only as long as this stays the same, since a reconnect starts a
 * new session. */
int gd_conn_backend_pid(struct gd_conn *c);

#endif
