/* SPDX-License-Identifier: MIT */
/*
 * Bulk import: lines out of a byte stream (domain/import.c), each checked in C, gathered into
 * batches written by one call of import_batch() (sql/0011) in a transaction of their own.
 * Memory stays constant whatever the stream's length: one line buffer, one batch (at most
 * batch_size lines and about GD_IMPORT_MAX_BATCH_BYTES of JSON).
 *   - A line the checks refuse is reported at once and never reaches the database.
 *   - Two lines naming one external reference never share a batch (the batch is written first),
 *     so the set-based upsert never sees the same guest twice.
 *   - A batch the database refuses as a whole (a stay_id of another guest, a reference taken by a
 *     concurrent writer) is written again line by line, each in its own transaction, so one bad
 *     line costs only itself. Serialization failures and deadlocks are retried.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guestd/csv.h" /* gd_strbuf */
#include "guestd/import.h"
#include "internal.h"

#define MAX_TX_ATTEMPTS 3

struct entry {
        unsigned long long n;
        size_t off, len; /* the item's JSON in text */
};

struct gd_importer {
        struct gd_conn *c;
        char actor[128], request_id[32];
        struct gd_date today;
        gd_import_sink sink;
        void *sink_ctx;
        struct gd_lines lines;
        size_t batch_size;
        struct entry *entries;
        size_t n_entries;
        struct gd_strbuf text; /* "[item,item,..." */
        uint64_t *refs; /* hashes of the batch's external references; 0 = empty slot */
        size_t refs_cap, n_refs;
        struct gd_import_counts counts;
        enum gd_err failed; /* set when a batch could not be written: the import stops */
        struct gd_error *failure;
        bool stopped;       /* the sink asked to stop */
};

/* ---- the batch's external references: a false match only writes a batch early ---- */

static uint64_t ref_hash(const char *system, const char *id)
{
        uint64_t h = 1469598103934665603ULL;
        for (const unsigned char *p = (const unsigned char *) system; *p; p++)
                h = (h ^ *p) * 1099511628211ULL;
        h = (h ^ 0x1f) * 1099511628211ULL;
        for (const unsigned char *p = (const unsigned char *) id; *p; p++)
                h = (h ^ *p) * 1099511628211ULL;
        return h ? h : 1;
}

static bool ref_slot(const struct gd_importer *im, uint64_t h, size_t *ret)
{
        size_t mask = im->refs_cap - 1;
        for (size_t i = (size_t) h & mask;; i = (i + 1) & mask) {
                if (im->refs[i] == h || im->refs[i] == 0) {
                        *ret = i;
                        return im->refs[i] == h;
                }
        }
}

/* True when a reference of item is already in the batch, or the set is half full. */
static bool refs_clash(const struct gd_importer *im, const json_t *refs)
{
        if ((im->n_refs + json_array_size(refs)) * 2 > im->refs_cap)
                return true;
        size_t i, slot;
        json_t *r;
        json_array_foreach (refs, i, r)
                if (ref_slot(im, ref_hash(json_string_value(json_object_get(r, "system")),
                                          json_string_value(json_object_get(r, "id"))),
                             &slot))
                        return true;
        return false;
}

static void refs_add(struct gd_importer *im, const json_t *refs)
{
        size_t i, slot;
        json_t *r;
        json_array_foreach (refs, i, r) {
                uint64_t h = ref_hash(json_string_value(json_object_get(r, "system")),
                                      json_string_value(json_object_get(r, "id")));
                if (!ref_slot(im, h, &slot)) {
                        im->refs[slot] = h;
                        im->n_refs++;
                }
        }
}

/* ---- writing a batch ---- */

static int report(struct gd_importer *im, unsigned long long n, const char *status, const char *id,
                  const struct gd_error *problem)
{
        if (strcmp(status, "created") == 0)
                im->counts.created++;
        else if (strcmp(status, "updated") == 0)
                im->counts.updated++;
        else
                im->counts.rejected++;
        int r = im->sink(im->sink_ctx, n, status, id, problem);
        if (r)
                im->stopped = true;
        return r;
}

/* One transaction running import_batch over `json`; retried on serialization failures. */
static enum gd_err write_once(struct gd_importer *im, const char *json, PGresult **ret, struct gd_error *reterr)
{
        enum gd_err e = GD_OK;
        for (int attempt = 1; attempt <= MAX_TX_ATTEMPTS; attempt++) {
                gd_error_clear(reterr);
                const char *params[] = {json};
                e = gd_db_begin(im->c, reterr);
                if (e != GD_OK)
                        return e;
                e = gd_db_set_actor(im->c, im->actor, im->request_id, NULL, NULL, NULL, reterr);
                if (e == GD_OK)
                        e = gd_db_exec(im->c, GD_STMT_IMPORT_BATCH, params, ret, reterr);
                if (e == GD_OK)
                        e = gd_db_commit(im->c, reterr);
                if (e == GD_OK)
                        return GD_OK;
                PQclear(*ret);
                *ret = NULL;
                gd_db_rollback(im->c);
                if (e != GD_ERR_RETRY)
                        break;
                usleep((useconds_t) (5000 * attempt));
        }
        return e;
}

static void report_rows(struct gd_importer *im, PGresult *r)
{
        for (int i = 0; i < PQntuples(r) && !im->stopped; i++) {
                unsigned long long n = strtoull(PQgetvalue(r, i, 0), NULL, 10);
                const char *status = PQgetvalue(r, i, 1);
                if (strcmp(status, "rejected") == 0) {
                        struct gd_error p = {0};
                        gd_error_add_field(&p, PQgetvalue(r, i, 4), "%s", PQgetvalue(r, i, 3));
                        gd_error_set(&p, GD_ERR_CONFLICT, "%s", PQgetvalue(r, i, 3));
                        report(im, n, status, NULL, &p);
                } else {
                        report(im, n, status, PQgetisnull(r, i, 2) ? NULL : PQgetvalue(r, i, 2), NULL);
                }
        }
}

/* The problem of one line the database refused on its own. */
static void line_problem(struct gd_importer *im, enum gd_err e, struct gd_error *p)
{
        const char *constraint = gd_db_last_constraint(im->c);
        gd_error_clear(p);
        if (strcmp(constraint, "consumption_stay_fk") == 0 || strcmp(constraint, "complaint_stay_fk") == 0) {
                gd_error_add_field(p, strcmp(constraint, "consumption_stay_fk") == 0 ? "/consumptions" : "/complaints",
                                   "a stay_id must be one of the guest's stays");
                gd_error_set(p, GD_ERR_INVALID, "A stay_id is not one of the guest's stays; nothing of the line was stored.");
        } else if (strcmp(constraint, "guest_external_ref_unique") == 0) {
                gd_error_add_field(p, "/external_refs", "an external reference already belongs to another guest");
                gd_error_set(p, GD_ERR_CONFLICT, "An external reference is already used by another guest.");
        } else {
                gd_error_set(p, e, "The line breaks a rule of the stored data; nothing of it was stored.");
        }
}

/* Data the database refused (as opposed to a database that failed). */
static bool refused(enum gd_err e)
{
        return e == GD_ERR_INVALID || e == GD_ERR_CONFLICT;
}

static enum gd_err write_lines_alone(struct gd_importer *im, struct gd_error *reterr)
{
        for (size_t i = 0; i < im->n_entries && !im->stopped; i++) {
                const struct entry *en = &im->entries[i];
                char *one = malloc(en->len + 3);
                if (!one)
                        return gd_error_set(reterr, GD_ERR_NOMEM, NULL);
                one[0] = '[';
                memcpy(one + 1, im->text.data + en->off, en->len);
                memcpy(one + 1 + en->len, "]", 2);
                PGresult *r = NULL;
                enum gd_err e = write_once(im, one, &r, reterr);
                free(one);
                if (e == GD_OK) {
                        report_rows(im, r);
                        PQclear(r);
                } else if (refused(e)) {
                        struct gd_error p;
                        line_problem(im, e, &p);
                        report(im, en->n, "rejected", NULL, &p);
                } else {
                        return e;
                }
        }
        return GD_OK;
}

static void batch_reset(struct gd_importer *im)
{
        im->n_entries = 0;
        im->text.len = 0;
        if (im->n_refs)
                memset(im->refs, 0, im->refs_cap * sizeof(*im->refs));
        im->n_refs = 0;
}

static enum gd_err flush(struct gd_importer *im, struct gd_error *reterr)
{
        if (im->n_entries == 0)
                return GD_OK;
        if (!gd_strbuf_append(&im->text, "]", 1))
                return gd_error_set(reterr, GD_ERR_NOMEM, NULL);
        im->counts.batches++;
        PGresult *r = NULL;
        enum gd_err e = write_once(im, im->text.data, &r, reterr);
        if (e == GD_OK) {
                report_rows(im, r);
                PQclear(r);
        } else if (refused(e)) {
                gd_error_clear(reterr);
                e = write_lines_alone(im, reterr);
        }
        batch_reset(im);
        return e;
}

static enum gd_err add_item(struct gd_importer *im, unsigned long long n, json_t *item, struct gd_error *reterr)
{
        const json_t *refs = json_object_get(json_object_get(item, "guest"), "external_refs");
        enum gd_err e = GD_OK;
        if (im->n_entries > 0 && refs_clash(im, refs))
                e = flush(im, reterr);
        if (e != GD_OK)
                return e;
        char *s = json_dumps(item, JSON_COMPACT);
        size_t len = s ? strlen(s) : 0;
        size_t was = im->text.len;
        bool held = s && gd_strbuf_append(&im->text, im->n_entries ? "," : "[", 1) &&
                    gd_strbuf_append(&im->text, s, len);
        free(s);
        if (!held) {
                im->text.len = was; /* the batch as it was */
                return gd_error_set(reterr, GD_ERR_NOMEM, NULL);
        }
        im->entries[im->n_entries++] = (struct entry){.n = n, .off = was + 1, .len = len};
        refs_add(im, refs);
        /* the batch text is bounded too: 1000 lines of up to 1 MiB each would be a gigabyte */
        bool full = im->n_entries >= im->batch_size || im->text.len >= GD_IMPORT_MAX_BATCH_BYTES;
        return full ? flush(im, reterr) : GD_OK;
}

static int on_line(void *ctx, unsigned long long n, const char *line, size_t len)
{
        struct gd_importer *im = ctx;
        struct gd_error *err = im->failure;
        im->counts.lines++;
        if (!line) {
                struct gd_error p = {0};
                gd_error_set(&p, GD_ERR_TOO_LARGE, "The line is %zu bytes long; a line may have at most %d bytes.", len,
                             GD_IMPORT_MAX_LINE);
                return report(im, n, "rejected", NULL, &p);
        }
        json_t *item = NULL;
        struct gd_error p = {0};
        enum gd_err e = gd_import_line(line, len, n, &im->today, &item, &p);
        if (e == GD_ERR_NOMEM) {
                im->failed = gd_error_set(err, e, NULL);
                return 1;
        }
        if (e != GD_OK)
                return report(im, n, "rejected", NULL, &p);
        e = add_item(im, n, item, err);
        json_decref(item);
        if (e != GD_OK) {
                im->failed = e;
                return 1;
        }
        return im->stopped;
}

/* ---- the public side ---- */

enum gd_err gd_importer_new(struct gd_conn *c, const char *actor, const char *request_id, size_t batch_size,
                            const struct gd_date *today, gd_import_sink sink, void *sink_ctx,
                            struct gd_importer **ret, struct gd_error *reterr)
{
        struct gd_importer *im = calloc(1, sizeof(*im));
        if (!im)
                return gd_error_set(reterr, GD_ERR_NOMEM, NULL);
        im->c = c;
        snprintf(im->actor, sizeof(im->actor), "%s", actor ? actor : "");
        snprintf(im->request_id, sizeof(im->request_id), "%s", request_id ? request_id : "");
        im->today = *today;
        im->sink = sink;
        im->sink_ctx = sink_ctx;
        im->batch_size = batch_size ? batch_size : GD_IMPORT_DEFAULT_BATCH;
        im->refs_cap = 1024;
        while (im->refs_cap < im->batch_size * 4)
                im->refs_cap *= 2;
        im->entries = calloc(im->batch_size, sizeof(*im->entries));
        im->refs = calloc(im->refs_cap, sizeof(*im->refs));
        im->failure = calloc(1, sizeof(*im->failure));
        if (!im->entries || !im->refs || !im->failure || !gd_lines_init(&im->lines, GD_IMPORT_MAX_LINE)) {
                gd_importer_free(im);
                return gd_error_set(reterr, GD_ERR_NOMEM, NULL);
        }
        *ret = im;
        return GD_OK;
}

static enum gd_err stopped_by(struct gd_importer *im, struct gd_error *reterr)
{
        if (im->failed) {
                *reterr = *im->failure;
                return im->failed;
        }
        return GD_OK;
}

enum gd_err gd_importer_feed(struct gd_importer *im, const char *data, size_t len, struct gd_error *reterr)
{
        if (im->failed || im->stopped)
                return stopped_by(im, reterr);
        gd_lines_feed(&im->lines, data, len, on_line, im);
        im->counts.bytes = im->lines.bytes;
        return stopped_by(im, reterr);
}

enum gd_err gd_importer_finish(struct gd_importer *im, struct gd_error *reterr)
{
        if (im->failed || im->stopped)
                return stopped_by(im, reterr);
        gd_lines_finish(&im->lines, on_line, im);
        if (!im->failed && !im->stopped) {
                enum gd_err e = flush(im, im->failure);
                if (e != GD_OK)
                        im->failed = e;
        }
        return stopped_by(im, reterr);
}

void gd_importer_counts(const struct gd_importer *im, struct gd_import_counts *ret)
{
        *ret = im->counts;
}

void gd_importer_free(struct gd_importer *im)
{
        if (!im)
                return;
        gd_lines_clear(&im->lines);
        free(im->entries);
        free(im->refs);
        gd_strbuf_clear(&im->text);
        free(im->failure);
        free(im);
}
