/* SPDX-License-Identifier: MIT */
/*
 * Bulk import: lines out of a byte stream (domain/import.c), each checked in C, gathered into
 * batches written by one call of import_batch() (sql/0011) in a transaction of their own.
 * Memory stays constant whatever the stream's length: one line buffer, and one batch per writer
 * plus the one being filled (at most batch_size lines and about GD_IMPORT_MAX_BATCH_BYTES of JSON).
 *   - A line the checks refuse is reported at once and never reaches the database.
 *   - Two lines naming one external reference never share a batch (the batch is written first),
 *     so the set-based upsert never sees the same guest twice.
 *   - A batch the database refuses as a whole (a stay_id of another guest, a reference taken by a
 *     concurrent writer) is written again line by line, each in its own transaction, so one bad
 *     line costs only itself. Serialization failures and deadlocks are retried.
 *
 * With more than one connection, each has a writer thread and batches are written side by side;
 * the database does the work of a batch on one core, so this is what uses the others. The
 * results are still reported in the file's order, on the caller's thread, and the file's order
 * still decides what each guest ends up with:
 *   - a line naming a reference of a batch still being written waits until that batch is;
 *   - lines reaching one stored guest through different references: each batch holds a turn (an
 *     advisory lock of its connection's session, kept across retries) until it is written, and a
 *     batch naming any stored reference waits, in the database, for the turn of the batch before
 *     it to end. It waits before writing anything, so waits only ever point at earlier batches
 *     and cannot close a cycle. A batch of new guests only (a first load) never waits.
 *
 * A large import also refreshes the planner statistics of the tables it writes (sql/0014): a first
 * load fills tables the planner last saw empty, and autovacuum catches up only after a lag.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "guestd/csv.h" /* gd_strbuf */
#include "guestd/import.h"
#include "internal.h"

#define MAX_TX_ATTEMPTS 3

struct entry {
        unsigned long long n;
        size_t off, len; /* the item's JSON in text */
};

/* A line written on its own after its batch was refused: its result rows, or why it was refused. */
struct alone {
        PGresult *rows;
        enum gd_err refused;
        char constraint[64];
};

struct batch {
        unsigned long long seq; /* from 1: the order of writing, of turns and of reporting */
        struct entry *entries;
        size_t n_entries;
        struct gd_strbuf text; /* "[item,item,..." */
        uint64_t *refs;        /* hashes of the batch's external references; 0 = empty slot */
        size_t n_refs;
        int turn_pid; /* the server process of the writer's session that holds the batch's turn */
        bool analyze;               /* the writer refreshes the statistics after it */
        /* the outcome, set by the writer; the caller's thread reads it once done */
        bool done;
        enum gd_err e;
        struct gd_error *err;
        PGresult *rows;      /* when written whole */
        struct alone *alone; /* when written line by line: one per entry */
};

struct writer {
        struct gd_importer *im;
        struct gd_conn *c;
        struct batch *job; /* under im->mu */
        pthread_t thread;
        bool running;
};

struct gd_importer {
        char actor[128], request_id[32];
        time_t now; /* when the import began: the rules of dates and timestamps read it */
        gd_import_sink sink;
        void *sink_ctx;
        struct gd_lines lines;
        size_t batch_size, refs_cap;
        struct writer *writers;
        size_t n_writers;
        /* used in turn: batch seq lives in batches[seq % n_batches], n_batches = n_writers + 1 */
        struct batch *batches;
        size_t n_batches;
        unsigned long long filling;  /* the batch taking lines */
        unsigned long long reported; /* the oldest batch not reported yet */
        long long turn_base;         /* the turn of batch seq is the advisory lock turn_base + seq */
        unsigned long long analyzed; /* guests created when the statistics were last refreshed */
        pthread_mutex_t mu;
        pthread_cond_t work, done;
        bool quit, threads_made;
        struct gd_import_counts counts;
        enum gd_err failed; /* set when a batch could not be written: the import stops */
        struct gd_error *failure;
        bool stopped; /* the sink asked to stop */
};

static bool side_by_side(const struct gd_importer *im)
{
        return im->n_writers > 1;
}

static struct batch *batch_of(struct gd_importer *im, unsigned long long seq)
{
        return &im->batches[seq % im->n_batches];
}

/* ---- a batch's external references: a false match only makes a line wait ---- */

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

static uint64_t ref_hash_of(const json_t *r)
{
        return ref_hash(json_string_value(json_object_get(r, "system")),
                        json_string_value(json_object_get(r, "id")));
}

static bool ref_slot(const struct batch *b, size_t cap, uint64_t h, size_t *ret)
{
        size_t mask = cap - 1;
        for (size_t i = (size_t) h & mask;; i = (i + 1) & mask) {
                if (b->refs[i] == h || b->refs[i] == 0) {
                        *ret = i;
                        return b->refs[i] == h;
                }
        }
}

/* True when a reference of the line is one of b's. */
static bool refs_shared(const struct gd_importer *im, const struct batch *b, const json_t *refs)
{
        size_t i, slot;
        json_t *r;
        json_array_foreach (refs, i, r)
                if (ref_slot(b, im->refs_cap, ref_hash_of(r), &slot))
                        return true;
        return false;
}

static void refs_add(struct gd_importer *im, struct batch *b, const json_t *refs)
{
        size_t i, slot;
        json_t *r;
        json_array_foreach (refs, i, r) {
                uint64_t h = ref_hash_of(r);
                if (!ref_slot(b, im->refs_cap, h, &slot)) {
                        b->refs[slot] = h;
                        b->n_refs++;
                }
        }
}

/* ---- writing a batch (on its writer's thread) ---- */

static void turn_key(const struct gd_importer *im, unsigned long long seq, char *buf, size_t size)
{
        snprintf(buf, size, "%lld", im->turn_base + (long long) seq);
}

/* One transaction running import_batch over `json`; retried on serialization failures. */
static enum gd_err write_once(struct gd_importer *im, struct gd_conn *c, const struct batch *b,
                              const char *json, PGresult **ret, struct gd_error *reterr)
{
        char before[24];
        turn_key(im, b->seq - 1, before, sizeof(before));
        bool may_wait = side_by_side(im) && b->seq > 1;
        enum gd_err e = GD_OK;
        for (int attempt = 1; attempt <= MAX_TX_ATTEMPTS; attempt++) {
                gd_error_clear(reterr);
                e = gd_db_begin(c, reterr);
                if (e != GD_OK)
                        return e;
                if (side_by_side(im) && gd_conn_backend_pid(c) != b->turn_pid) {
                        /* reconnected: the turn went with the old session, the next batch may be past it */
                        gd_db_rollback(c);
                        gd_error_set_cause(reterr, "the session holding the batch's turn ended");
                        return gd_error_set(reterr, GD_ERR_UNAVAILABLE, "The database is unavailable.");
                }
                e = gd_db_set_actor(c, im->actor, im->request_id, NULL, NULL, NULL, reterr);
                if (e == GD_OK && may_wait) {
                        const char *wait_params[] = {json, before};
                        PGresult *waited = NULL;
                        e = gd_db_exec(c, GD_STMT_IMPORT_WAIT_TURN, wait_params, &waited, reterr);
                        PQclear(waited);
                }
                const char *params[] = {json};
                if (e == GD_OK)
                        e = gd_db_exec(c, GD_STMT_IMPORT_BATCH, params, ret, reterr);
                if (e == GD_OK)
                        e = gd_db_commit(c, reterr);
                if (e == GD_OK)
                        return GD_OK;
                PQclear(*ret);
                *ret = NULL;
                gd_db_rollback(c);
                if (e != GD_ERR_RETRY)
                        break;
                usleep((useconds_t) (5000 * attempt));
        }
        return e;
}

/* Data the database refused (as opposed to a database that failed). */
static bool refused(enum gd_err e)
{
        return e == GD_ERR_INVALID || e == GD_ERR_CONFLICT;
}

static enum gd_err write_lines_alone(struct gd_importer *im, struct gd_conn *c, struct batch *b,
                                     struct gd_error *reterr)
{
        b->alone = calloc(b->n_entries, sizeof(*b->alone));
        if (!b->alone)
                return gd_error_set(reterr, GD_ERR_NOMEM, NULL);
        for (size_t i = 0; i < b->n_entries; i++) {
                const struct entry *en = &b->entries[i];
                char *one = malloc(en->len + 3);
                if (!one)
                        return gd_error_set(reterr, GD_ERR_NOMEM, NULL);
                one[0] = '[';
                memcpy(one + 1, b->text.data + en->off, en->len);
                memcpy(one + 1 + en->len, "]", 2);
                enum gd_err e = write_once(im, c, b, one, &b->alone[i].rows, reterr);
                free(one);
                if (refused(e)) {
                        b->alone[i].refused = e;
                        snprintf(b->alone[i].constraint, sizeof(b->alone[i].constraint), "%s",
                                 gd_db_last_constraint(c));
                        gd_error_clear(reterr);
                } else if (e != GD_OK) {
                        return e;
                }
        }
        return GD_OK;
}

/* Best effort: statistics only steer plans, and a failing database shows in the next batch. */
static void analyze(struct gd_conn *c)
{
        PGresult *r = NULL;
        struct gd_error ignored;
        gd_db_exec(c, GD_STMT_IMPORT_ANALYZE, NULL, &r, &ignored);
        PQclear(r);
}

/* Whether the statistics are due, once at_least guests were created. Only new guests grow the
 * tables: an import of updates leaves the statistics as right as they were. */
static bool analyze_due(struct gd_importer *im, unsigned long long at_least)
{
        unsigned long long created = im->counts.created;
        if (created < at_least || created == im->analyzed)
                return false;
        im->analyzed = created;
        return true;
}

static void write_batch(struct gd_importer *im, struct gd_conn *c, struct batch *b)
{
        b->e = write_once(im, c, b, b->text.data, &b->rows, b->err);
        if (refused(b->e)) {
                gd_error_clear(b->err);
                b->e = write_lines_alone(im, c, b, b->err);
        }
        if (side_by_side(im) && gd_conn_backend_pid(c) == b->turn_pid) {
                /* (a session that ended took its locks with it) */
                char key[24];
                turn_key(im, b->seq, key, sizeof(key));
                const char *params[] = {key};
                PGresult *r = NULL;
                struct gd_error ignored;
                gd_db_exec(c, GD_STMT_IMPORT_END_TURN, params, &r, &ignored);
                PQclear(r);
        }
        if (b->analyze && b->e == GD_OK)
                analyze(c);
}

static void *writer_main(void *arg)
{
        struct writer *w = arg;
        struct gd_importer *im = w->im;
        pthread_mutex_lock(&im->mu);
        for (;;) {
                while (!w->job && !im->quit)
                        pthread_cond_wait(&im->work, &im->mu);
                struct batch *b = w->job;
                if (!b)
                        break;
                pthread_mutex_unlock(&im->mu);
                write_batch(im, w->c, b);
                pthread_mutex_lock(&im->mu);
                b->done = true;
                w->job = NULL;
                pthread_cond_broadcast(&im->done);
        }
        pthread_mutex_unlock(&im->mu);
        return NULL;
}

/* ---- reporting, in batch order, on the caller's thread ---- */

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
static void line_problem(const struct alone *a, struct gd_error *p)
{
        gd_error_clear(p);
        if (strcmp(a->constraint, "consumption_stay_fk") == 0 ||
            strcmp(a->constraint, "complaint_stay_fk") == 0) {
                gd_error_add_field(
                    p, strcmp(a->constraint, "consumption_stay_fk") == 0 ? "/consumptions" : "/complaints",
                    "a stay_id must be one of the guest's stays");
                gd_error_set(p, GD_ERR_INVALID,
                             "A stay_id is not one of the guest's stays; nothing of the line was stored.");
        } else if (strcmp(a->constraint, "guest_external_ref_unique") == 0) {
                gd_error_add_field(p, "/external_refs",
                                   "an external reference already belongs to another guest");
                gd_error_set(p, GD_ERR_CONFLICT, "An external reference is already used by another guest.");
        } else {
                gd_error_set(p, a->refused,
                             "The line breaks a rule of the stored data; nothing of it was stored.");
        }
}

static void report_batch(struct gd_importer *im, struct batch *b)
{
        if (b->alone) {
                /* up to the line a failing database stopped at */
                for (size_t i = 0; i < b->n_entries && !im->stopped; i++) {
                        if (b->alone[i].rows) {
                                report_rows(im, b->alone[i].rows);
                        } else if (b->alone[i].refused) {
                                struct gd_error p;
                                line_problem(&b->alone[i], &p);
                                report(im, b->entries[i].n, "rejected", NULL, &p);
                        } else {
                                break;
                        }
                }
        } else if (b->rows) {
                report_rows(im, b->rows);
        }
        if (b->e != GD_OK && !im->failed) {
                im->failed = b->e;
                *im->failure = *b->err;
        }
}

static void batch_reset(struct gd_importer *im, struct batch *b)
{
        if (b->alone)
                for (size_t i = 0; i < b->n_entries; i++)
                        PQclear(b->alone[i].rows);
        free(b->alone);
        b->alone = NULL;
        PQclear(b->rows);
        b->rows = NULL;
        b->n_entries = 0;
        b->text.len = 0;
        if (b->n_refs)
                memset(b->refs, 0, im->refs_cap * sizeof(*b->refs));
        b->n_refs = 0;
        b->done = false;
        b->analyze = false;
        b->e = GD_OK;
        gd_error_clear(b->err);
}

/* Reports the written batches in order, waiting for each until batch `until` is reported
 * (none when until is 0). */
static void reap(struct gd_importer *im, unsigned long long until)
{
        while (im->reported < im->filling) {
                struct batch *b = batch_of(im, im->reported);
                pthread_mutex_lock(&im->mu);
                while (!b->done && im->reported < until)
                        pthread_cond_wait(&im->done, &im->mu);
                bool done = b->done;
                pthread_mutex_unlock(&im->mu);
                if (!done)
                        return;
                if (!im->stopped)
                        report_batch(im, b);
                batch_reset(im, b);
                im->reported++;
        }
}

/* Hands the filled batch to its writer (or writes it, with one connection). */
static void dispatch(struct gd_importer *im)
{
        struct batch *b = batch_of(im, im->filling);
        struct writer *w = &im->writers[b->seq % im->n_writers];
        im->counts.batches++;
        b->analyze = analyze_due(im, im->analyzed ? 2 * im->analyzed : GD_IMPORT_ANALYZE_FIRST);
        if (!side_by_side(im)) {
                write_batch(im, w->c, b);
                b->done = true;
                im->filling++;
                return;
        }
        /* the batch before it on this writer, and the slot the next batch fills, are free */
        if (im->filling >= im->n_writers)
                reap(im, im->filling - im->n_writers + 1);
        if (im->failed || im->stopped) {
                batch_reset(im, b); /* the import ends here */
                return;
        }
        char key[24];
        turn_key(im, b->seq, key, sizeof(key));
        const char *params[] = {key};
        PGresult *r = NULL;
        b->e = gd_db_exec(w->c, GD_STMT_IMPORT_TAKE_TURN, params, &r, b->err);
        b->turn_pid = gd_conn_backend_pid(w->c);
        PQclear(r);
        pthread_mutex_lock(&im->mu);
        if (b->e == GD_OK)
                w->job = b;
        else
                b->done = true;
        pthread_cond_broadcast(&im->work);
        pthread_mutex_unlock(&im->mu);
        im->filling++;
}

static void flush(struct gd_importer *im)
{
        struct batch *b = batch_of(im, im->filling);
        if (b->n_entries > 0) {
                if (gd_strbuf_append(&b->text, "]", 1)) {
                        dispatch(im);
                } else if (!im->failed) {
                        im->failed = gd_error_set(im->failure, GD_ERR_NOMEM, NULL);
                        batch_reset(im, b);
                }
        }
        reap(im, im->failed ? im->filling : 0);
}

/* True when the line names a reference of a batch not written yet. */
static bool waits_for_written(struct gd_importer *im, const json_t *refs)
{
        for (unsigned long long s = im->reported; s < im->filling; s++)
                if (refs_shared(im, batch_of(im, s), refs))
                        return true;
        return false;
}

static enum gd_err add_item(struct gd_importer *im, unsigned long long n, json_t *item)
{
        const json_t *refs = json_object_get(json_object_get(item, "guest"), "external_refs");
        struct batch *b = batch_of(im, im->filling);
        if (b->n_entries > 0 &&
            ((b->n_refs + json_array_size(refs)) * 2 > im->refs_cap || refs_shared(im, b, refs)))
                flush(im);
        if (waits_for_written(im, refs))
                reap(im, im->filling);
        if (im->failed || im->stopped)
                return im->failed;
        b = batch_of(im, im->filling);
        char *s = json_dumps(item, JSON_COMPACT);
        size_t len = s ? strlen(s) : 0;
        size_t was = b->text.len;
        bool held = s && gd_strbuf_append(&b->text, b->n_entries ? "," : "[", 1) &&
                    gd_strbuf_append(&b->text, s, len);
        free(s);
        if (!held) {
                b->text.len = was; /* the batch as it was */
                return im->failed = gd_error_set(im->failure, GD_ERR_NOMEM, NULL);
        }
        b->entries[b->n_entries++] = (struct entry){.n = n, .off = was + 1, .len = len};
        b->seq = im->filling;
        refs_add(im, b, refs);
        /* the batch text is bounded too: 1000 lines of up to 1 MiB each would be a gigabyte */
        if (b->n_entries >= im->batch_size || b->text.len >= GD_IMPORT_MAX_BATCH_BYTES)
                flush(im);
        return im->failed;
}

static int on_line(void *ctx, unsigned long long n, const char *line, size_t len)
{
        struct gd_importer *im = ctx;
        im->counts.lines++;
        if (!line) {
                struct gd_error p = {0};
                gd_error_set(&p, GD_ERR_TOO_LARGE,
                             "The line is %zu bytes long; a line may have at most %d bytes.", len,
                             GD_IMPORT_MAX_LINE);
                return report(im, n, "rejected", NULL, &p);
        }
        json_t *item = NULL;
        struct gd_error p = {0};
        enum gd_err e = gd_import_line(line, len, n, im->now, &item, &p);
        if (e == GD_ERR_NOMEM) {
                im->failed = gd_error_set(im->failure, e, NULL);
                return 1;
        }
        if (e != GD_OK)
                return report(im, n, "rejected", NULL, &p);
        e = add_item(im, n, item);
        json_decref(item);
        return e != GD_OK || im->stopped;
}

/* ---- the public side ---- */

static bool batch_init(struct gd_importer *im, struct batch *b)
{
        b->entries = calloc(im->batch_size, sizeof(*b->entries));
        b->refs = calloc(im->refs_cap, sizeof(*b->refs));
        b->err = calloc(1, sizeof(*b->err));
        return b->entries && b->refs && b->err;
}

static void batch_free(struct gd_importer *im, struct batch *b)
{
        if (b->entries && b->err)
                batch_reset(im, b);
        free(b->entries);
        free(b->refs);
        free(b->err);
        gd_strbuf_clear(&b->text);
}

/* Keys no other import running at the same time is likely to use; a shared one only adds waits. */
static long long turn_base(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        uint64_t x = ((uint64_t) getpid() << 32) ^ (uint64_t) ts.tv_nsec ^ (uint64_t) ts.tv_sec * 2654435761u;
        x ^= x >> 29;
        return (long long) (x & 0x7fffffff) << 32;
}

enum gd_err gd_importer_new(struct gd_conn *const *conns, size_t n_conns, const char *actor,
                            const char *request_id, size_t batch_size, time_t now,
                            gd_import_sink sink, void *sink_ctx, struct gd_importer **ret,
                            struct gd_error *reterr)
{
        struct gd_importer *im = calloc(1, sizeof(*im));
        if (!im)
                return gd_error_set(reterr, GD_ERR_NOMEM, NULL);
        snprintf(im->actor, sizeof(im->actor), "%s", actor ? actor : "");
        snprintf(im->request_id, sizeof(im->request_id), "%s", request_id ? request_id : "");
        im->now = now;
        im->sink = sink;
        im->sink_ctx = sink_ctx;
        im->batch_size = batch_size ? batch_size : GD_IMPORT_DEFAULT_BATCH;
        im->refs_cap = 1024;
        while (im->refs_cap < im->batch_size * 4)
                im->refs_cap *= 2;
        im->n_writers = n_conns ? n_conns : 1;
        im->n_batches = im->n_writers + 1;
        im->filling = im->reported = 1;
        im->turn_base = turn_base();
        pthread_mutex_init(&im->mu, NULL);
        pthread_cond_init(&im->work, NULL);
        pthread_cond_init(&im->done, NULL);
        im->threads_made = true;
        im->writers = calloc(im->n_writers, sizeof(*im->writers));
        im->batches = calloc(im->n_batches, sizeof(*im->batches));
        im->failure = calloc(1, sizeof(*im->failure));
        bool ok = im->writers && im->batches && im->failure && gd_lines_init(&im->lines, GD_IMPORT_MAX_LINE);
        for (size_t i = 0; ok && i < im->n_batches; i++)
                ok = batch_init(im, &im->batches[i]);
        for (size_t i = 0; ok && i < im->n_writers; i++) {
                struct writer *w = &im->writers[i];
                w->im = im;
                w->c = conns[i];
                if (side_by_side(im))
                        ok = w->running = pthread_create(&w->thread, NULL, writer_main, w) == 0;
        }
        if (!ok) {
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
        if (!im->failed && !im->stopped) {
                gd_lines_finish(&im->lines, on_line, im);
                if (!im->failed && !im->stopped)
                        flush(im);
        }
        reap(im, im->filling); /* every batch written: what was, is reported */
        if (!im->failed && analyze_due(im, im->analyzed + GD_IMPORT_ANALYZE_END))
                analyze(im->writers[0].c);
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
        if (im->writers) {
                pthread_mutex_lock(&im->mu);
                im->quit = true;
                pthread_cond_broadcast(&im->work);
                pthread_mutex_unlock(&im->mu);
                for (size_t i = 0; i < im->n_writers; i++)
                        if (im->writers[i].running)
                                pthread_join(im->writers[i].thread, NULL);
        }
        for (size_t i = 0; im->batches && i < im->n_batches; i++)
                batch_free(im, &im->batches[i]);
        if (im->threads_made) {
                pthread_mutex_destroy(&im->mu);
                pthread_cond_destroy(&im->work);
                pthread_cond_destroy(&im->done);
        }
        gd_lines_clear(&im->lines);
        free(im->writers);
        free(im->batches);
        free(im->failure);
        free(im);
}
