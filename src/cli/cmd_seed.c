/* SPDX-License-Identifier: MIT */
/*
 * guestd seed: N synthetic guests with a realistic history, for benchmarks and demos.
 *
 * Speed comes from three choices: rows are generated in C from a small PRNG (no SQL functions
 * per row), streamed through COPY in text format on six connections at once (one per table, so
 * the six backends parse and index in parallel while this process generates), and the history
 * triggers are off for the load (session_replication_role = replica) — the derived rows
 * (guest_stats, guest_loyalty) are rebuilt afterwards, set-based, in chunks on two connections,
 * by the same functions the triggers call. Replica mode also skips the audit trail and the change
 * feed (sql/0007): a bulk seed is not an edit by anyone, and a million audit rows would only
 * hide real ones. Foreign keys are not checked in replica mode either; the generator only emits
 * rows whose parents it emitted.
 *
 * Deterministic: every value of guest number i comes from splitmix64 seeded by (seed, i), and
 * every date is counted back or forward from the day of the run (UTC), so the same seed on the
 * same day gives the same rows, ids included.
 */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

static const char usage[] =
        "Usage: guestd seed [--guests N] [--seed S] [--append] [--database-url URL]\n"
        "\n"
        "Loads N synthetic guests with a realistic history, for benchmarks and demos:\n"
        "1 to 5 stays each (1 % regulars with 10 to 20; about 6 % cancelled or no-show; a\n"
        "reservation ahead for some recent guests), a room charge and 0 to 2 extras per completed\n"
        "stay, a complaint on about 3.5 % of the completed stays, a preference or two for some\n"
        "guests, a special date for about 10 %, a vip_code for about 2 %, marketing consent for\n"
        "about 60 %. Rows go through COPY with the history triggers off; the statistics and loyalty\n"
        "scores are then rebuilt for the new guests. No audit_event or change_event rows are\n"
        "written: a seed is not an edit. The same seed on the same day (UTC) gives the same data.\n"
        "Needs a role that may SET session_replication_role (a superuser, or GRANT SET on it).\n"
        "Refuses a database that already has guests unless --append (then use another seed:\n"
        "the same seed makes the same ids). Prints a JSON summary on stdout.\n"
        "\n"
        "Options:\n"
        "  --guests N          guests to load, 1 to 20000000 (default 1000000)\n"
        "  --seed S            the PRNG seed, 0 to 18446744073709551615 (default 1)\n"
        "  --append            load even if the database already has guests\n"
        "  --database-url URL  libpq conninfo or URI [GUESTD_DATABASE_URL, default: PG* variables]\n"
        "\n"
        "Examples:\n"
        "  guestd seed --guests 1000000 --seed 42 --database-url 'postgresql:///guestd_bench'\n"
        "  guestd seed --guests 2000 --seed 7 --append\n"
        "\n"
        "Exit codes: 0 done, 1 the database is unreachable, already has guests, or the load failed,\n"
        "2 bad usage.\n";

/* ------------------------------------------------------------------------------------------ */
/* the PRNG */

static uint64_t splitmix64(uint64_t *s)
{
        uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
}

/* uniform in [0, 1) */
static double unit(uint64_t *s)
{
        return (double) (splitmix64(s) >> 11) * (1.0 / 9007199254740992.0);
}

static long below(uint64_t *s, long n)
{
        return (long) (unit(s) * (double) n);
}

#define PICK(s, arr) (arr)[below((s), (long) (sizeof(arr) / sizeof((arr)[0])))]

/* ------------------------------------------------------------------------------------------ */
/* row buffers, one per table, each streamed to its own connection */

enum { T_GUEST, T_STAY, T_CONSUMPTION, T_PREFERENCE, T_SPECIAL_DATE, T_COMPLAINT, T_COUNT };

static const char *const copy_sql[T_COUNT] = {
        "COPY guest (id, family_name, given_name, gender, birth_date, nationality, email, phone, language, "
        "vip_code, marketing_consent, created_at, updated_at) FROM STDIN",
        "COPY stay (guest_id, id, check_in, check_out, status, room_type, room_number, booking_channel, purpose, "
        "adults, children, rate_amount, currency, created_at, updated_at) FROM STDIN",
        "COPY consumption (guest_id, id, occurred_at, category, dining_type, covers, amount, currency, "
        "payment_method, payment_status, revenue, stay_id, description, created_at, updated_at) FROM STDIN",
        "COPY preference (guest_id, id, category, key, value, source, created_at, updated_at) FROM STDIN",
        "COPY special_date (guest_id, id, kind, date, label, created_at, updated_at) FROM STDIN",
        "COPY complaint (guest_id, id, received_at, stay_id, category, severity, description, status, resolution, "
        "feedback_score, resolved_at, created_at, updated_at) FROM STDIN",
};

/* Rows are handed to libpq in batches of about FLUSH_AT bytes. While a connection still sends the
 * previous batch, its table keeps filling its own buffer, up to SINK_CAP: the generator waits only
 * when that is full. A blocking write to one busy backend would otherwise stall the generator
 * while the other five backends run dry (measured: a third of the two cores idle during the
 * load). */
#define FLUSH_AT (256 * 1024)
#define SINK_CAP (4 * 1024 * 1024)

struct sink {
        PGconn *pg;
        struct sink *all; /* the T_COUNT sinks of the load, this one among them */
        char *buf;
        size_t len, cap;
        long rows;
        bool sending; /* libpq holds bytes of an earlier batch the socket has not taken yet */
        bool failed;
        char *indexes; /* CREATE INDEX statements to run after the load (a fresh load only) */
};

/* Gives the socket what libpq holds for k, as far as it takes it without waiting. */
static void sink_push(struct sink *k)
{
        int r = PQflush(k->pg);
        k->sending = r == 1;
        if (r < 0)
                k->failed = true;
}

/* Waits until k's connection has sent all it holds, keeping the other connections sending. */
static void sink_drain(struct sink *k)
{
        while (k->sending && !k->failed) {
                struct pollfd fds[T_COUNT];
                struct sink *of[T_COUNT];
                nfds_t n = 0;
                for (int i = 0; i < T_COUNT; i++)
                        if (k->all[i].sending && !k->all[i].failed) {
                                fds[n] = (struct pollfd){.fd = PQsocket(k->all[i].pg), .events = POLLOUT};
                                of[n++] = &k->all[i];
                        }
                if (poll(fds, n, -1) < 0 && errno != EINTR) {
                        k->failed = true;
                        return;
                }
                for (nfds_t j = 0; j < n; j++)
                        if (fds[j].revents)
                                sink_push(of[j]);
        }
}

/* Hands k's rows to libpq once it has sent the previous batch; waits for that only if told to. */
static void sink_hand_over(struct sink *k, bool wait)
{
        if (k->sending)
                sink_push(k);
        if (k->sending && !wait)
                return;
        sink_drain(k);
        if (!k->failed && PQputCopyData(k->pg, k->buf, (int) k->len) != 1)
                k->failed = true;
        k->len = 0;
        if (!k->failed)
                sink_push(k);
}

static void row(struct sink *k, const char *fmt, ...)
{
        for (;;) {
                va_list ap;
                va_start(ap, fmt);
                int n = vsnprintf(k->buf + k->len, k->cap - k->len, fmt, ap);
                va_end(ap);
                if (n >= 0 && (size_t) n < k->cap - k->len) {
                        k->len += (size_t) n;
                        break;
                }
                /* a row never comes near the capacity: send the buffer and write it again */
                if (k->len == 0 || n < 0) {
                        k->failed = true;
                        return;
                }
                sink_hand_over(k, true);
        }
        k->rows++;
        if (k->len >= FLUSH_AT)
                sink_hand_over(k, k->cap - k->len < FLUSH_AT);
}

/* ------------------------------------------------------------------------------------------ */
/* dates: days since 1970-01-01, written as ISO dates */

static void date_text(long days, char out[16])
{
        /* civil_from_days (H. Hinnant), for the proleptic Gregorian calendar */
        long z = days + 719468;
        long era = (z >= 0 ? z : z - 146096) / 146097;
        long doe = z - era * 146097;
        long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        long y = yoe + era * 400;
        long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        long mp = (5 * doy + 2) / 153;
        long d = doy - (153 * mp + 2) / 5 + 1;
        long m = mp < 10 ? mp + 3 : mp - 9;
        snprintf(out, 16, "%04d-%02d-%02d", (int) ((y + (m <= 2)) % 10000), (int) m, (int) d);
}

static void uuid_text(uint64_t *s, char out[37])
{
        uint64_t a = splitmix64(s), b = splitmix64(s);
        a = (a & ~0xf000ULL) | 0x4000ULL;                          /* version 4 */
        b = (b & 0x3fffffffffffffffULL) | 0x8000000000000000ULL; /* RFC 4122 variant */
        snprintf(out, 37, "%08" PRIx64 "-%04" PRIx64 "-%04" PRIx64 "-%04" PRIx64 "-%012" PRIx64, a >> 32,
                 (a >> 16) & 0xffff, a & 0xffff, b >> 48, (uint64_t) (b & 0xffffffffffffULL));
}

/*
 * A guest's id: laid out like a UUIDv7, its first 48 bits counting up from a point the seed picks,
 * the rest random. Ordered ids make the load append to the right edge of every index keyed by
 * guest_id (the primary keys of guest and of each history table) instead of touching a random
 * page per row: with a million guests that is the difference between the indexes staying in
 * memory and thrashing.
 */
static void guest_id_text(uint64_t seed, long i, uint64_t *s, char out[37])
{
        uint64_t x = seed ^ 0x6775657374736565ULL; /* its own stream, apart from the guests' */
        uint64_t t = ((splitmix64(&x) >> 20) + (uint64_t) i) & 0xffffffffffffULL;
        uint64_t a = (t << 16) | 0x7000ULL | (splitmix64(s) & 0xfffULL);
        uint64_t b = (splitmix64(s) & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;
        snprintf(out, 37, "%08" PRIx64 "-%04" PRIx64 "-%04" PRIx64 "-%04" PRIx64 "-%012" PRIx64, a >> 32,
                 (a >> 16) & 0xffff, a & 0xffff, b >> 48, (uint64_t) (b & 0xffffffffffffULL));
}

static void money_text(long cents, char out[24])
{
        snprintf(out, 24, "%ld.%02ld", cents / 100, cents % 100);
}

/* ------------------------------------------------------------------------------------------ */
/* one guest and its history */

static const char *const family_names[] = {
        "Müller", "Rossi", "García", "Smith",  "Dubois", "Wang",   "Tanaka", "Silva",  "Novák", "Jensen",
        "Kowalski", "Brown", "Martin", "López", "Schmidt", "Kim", "Nguyen", "Ivanova", "Haddad", "Okafor",
        "Meyer", "Bianchi", "Fernández", "Jones", "Moreau", "Li", "Sato", "Santos", "Dvořák", "Hansen"};
static const char *const given_names[] = {
        "Anna", "Luca", "María", "John", "Camille", "Wei", "Yuki", "João", "Eva", "Lars", "Piotr", "Emma",
        "Louis", "Sofía", "Jonas", "Min-jun", "Linh", "Olga", "Karim", "Ada", "Paul", "Giulia", "Hugo", "Mia"};
static const char *const genders[] = {"female", "male", "female", "male", "other", "unknown"};
static const struct {
        const char *country, *language;
} nations[] = {{"DE", "de"}, {"DE", "de"}, {"DE", "de"}, {"FR", "fr"}, {"FR", "fr"}, {"IT", "it"}, {"IT", "it"},
               {"ES", "es"}, {"GB", "en"}, {"GB", "en"}, {"US", "en"}, {"US", "en"}, {"CN", "zh"}, {"JP", "ja"},
               {"NL", "nl"}, {"CH", "de"}, {"AT", "de"}, {"PL", "pl"}, {"SE", "sv"}, {"BR", "pt-BR"}};
static const char *const vip_codes[] = {"GOLD", "CORP", "PRESS", "OWNER", "CELEB"};
static const struct {
        const char *type;
        long rate; /* EUR per night */
} rooms[] = {{"standard", 110}, {"standard", 110}, {"standard", 110}, {"standard", 110}, {"standard", 110},
             {"standard", 110}, {"superior", 140}, {"superior", 140}, {"superior", 140}, {"superior", 140},
             {"deluxe", 180},   {"deluxe", 180},   {"junior_suite", 240}, {"suite", 380}, {"family", 170},
             {"accessible", 120}};
static const char *const channels[] = {"web", "web", "web", "ota", "ota", "ota", "phone", "corporate",
                                       "travel_agent", "walk_in"};
static const char *const purposes[] = {"leisure", "leisure", "leisure", "business", "business", "business",
                                       "conference", "family", "event", "other"};
static const char *const extras[] = {"dining", "dining", "dining", "dining", "dining", "dining", "bar", "bar",
                                     "bar", "spa", "minibar", "minibar", "laundry", "transport", "other"};
static const char *const dining_types[] = {"breakfast", "lunch", "dinner", "dinner", "room_service", "banquet"};
static const char *const methods[] = {"card", "card", "card", "card", "card", "card", "card", "room_charge",
                                      "room_charge", "cash", "bank_transfer", "voucher"};
static const char *const complaint_categories[] = {"room", "service", "cleanliness", "noise", "noise",
                                                   "food", "billing", "staff", "amenities", "other"};
static const char *const severities[] = {"low", "low", "low", "low", "medium", "medium", "medium", "high",
                                         "high", "critical"};
static const struct {
        const char *category, *key, *values[4];
} prefs[] = {{"room", "floor", {"high", "low", "quiet side", "near the lift"}},
             {"dining", "diet", {"vegetarian", "vegan", "gluten free", "no pork"}},
             {"room", "pillow", {"firm", "soft", "feather-free", "two extra"}},
             {"amenity", "newspaper", {"Le Monde", "FAZ", "The Times", "none"}},
             {"communication", "channel", {"email", "phone", "sms", "none"}}};

struct totals {
        long guests, stays, charges, complaints, preferences, special_dates, vip, consent;
};

static void seed_guest(uint64_t seed, long i, long today, struct sink *t, struct totals *n, char gid[37])
{
        /* the guest's stream starts at a hash of (seed, i): streams of neighbouring guests must not
         * be shifts of each other, as they would be with a state of seed + i */
        uint64_t x = seed, s = splitmix64(&x) ^ (uint64_t) i;
        s = splitmix64(&s);
        char sid[37], cid[37], d1[16], d2[16], created[16];
        guest_id_text(seed, i, &s, gid);

        /* when the guest last stayed: 1 % regulars, 12 % within a year, 18 % one to three years
         * ago, the rest three to ten years ago (outside the loyalty window) */
        double seg = unit(&s);
        int nstays = seg < 0.01 ? 10 + (int) below(&s, 11) : 1 + (int) below(&s, 5);
        long last = seg < 0.01   ? below(&s, 120)
                    : seg < 0.13 ? below(&s, 365)
                    : seg < 0.31 ? 365 + below(&s, 730)
                                 : 1095 + below(&s, 2555);
        long gap = seg < 0.01 ? 25 + below(&s, 50) : 60 + below(&s, 340);
        long first_in = today - last - (long) (nstays - 1) * gap - 6;
        date_text(first_in - 1 - below(&s, 30), created); /* the profile predates the first stay */

        const char *family = PICK(&s, family_names), *given = PICK(&s, given_names), *gender = PICK(&s, genders);
        int nat = (int) below(&s, (long) (sizeof(nations) / sizeof(nations[0])));
        char birth[16] = "\\N";
        if (unit(&s) >= 0.12)
                date_text(-10957 + below(&s, 23000), birth); /* from 1940 */
        char email[80] = "\\N", phone[24] = "\\N";
        if (unit(&s) >= 0.05)
                snprintf(email, sizeof(email), "guest%ld.%.8s@example.com", i, gid);
        if (unit(&s) < 0.6)
                snprintf(phone, sizeof(phone), "+4930%08ld", below(&s, 100000000));
        const char *vip = unit(&s) < 0.02 ? PICK(&s, vip_codes) : "\\N";
        bool consent = unit(&s) < 0.6;
        n->vip += vip[0] != '\\';
        n->consent += consent;
        row(&t[T_GUEST], "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s 09:00:00+00\t%s 09:00:00+00\n", gid,
            family, given, gender, birth, nations[nat].country, email, phone, nations[nat].language, vip,
            consent ? "t" : "f", created, created);

        for (int k = 0; k <= nstays; k++) {
                long check_out, nights = 1 + below(&s, 5);
                const char *status;
                if (k < nstays) {
                        check_out = today - last - (long) k * gap;
                        double x = unit(&s);
                        status = x < 0.04 ? "cancelled" : x < 0.06 ? "no_show" : "completed";
                } else {
                        /* a reservation ahead for a quarter of those who stayed within about a year */
                        if (!(last < 400 && unit(&s) < 0.25))
                                break;
                        check_out = today + 3 + below(&s, 150) + nights;
                        status = "reserved";
                }
                long check_in = check_out - nights;
                int room = (int) below(&s, (long) (sizeof(rooms) / sizeof(rooms[0])));
                long rate = rooms[room].rate * (80 + below(&s, 50)); /* cents */
                uuid_text(&s, sid);
                date_text(check_in, d1);
                date_text(check_out, d2);
                char booked[16], money[24];
                /* booked before the stay, and never after today (a reservation ahead was made lately) */
                long booked_on = check_in - 1 - below(&s, 60);
                date_text(booked_on < today ? booked_on : today - below(&s, 30), booked);
                money_text(rate, money);
                int adults = 1 + (int) below(&s, 2), children = unit(&s) < 0.2 ? 1 + (int) below(&s, 2) : 0;
                row(&t[T_STAY], "%s\t%s\t%s\t%s\t%s\t%s\t%ld\t%s\t%s\t%d\t%d\t%s\tEUR\t%s 12:00:00+00\t%s 12:00:00+00\n",
                    gid, sid, d1, d2, status, rooms[room].type, 100 + below(&s, 500), PICK(&s, channels),
                    PICK(&s, purposes), adults, children, money, booked, booked);
                n->stays++;
                if (strcmp(status, "completed") != 0)
                        continue;

                /* the room charge, then 0 to 2 extras; recent ones partly unpaid */
                int charges = 1 + (int) below(&s, 3);
                for (int c = 0; c < charges; c++) {
                        const char *cat = c == 0 ? "room" : PICK(&s, extras);
                        long amount = c == 0 ? rate * nights : 800 + (long) (24000 * unit(&s) * unit(&s));
                        double p = unit(&s);
                        const char *pay = check_out >= today - 60 ? (p < 0.8 ? "paid" : p < 0.95 ? "pending" : "unpaid")
                                                                  : (p < 0.97 ? "paid" : p < 0.985 ? "written_off"
                                                                                                   : "disputed");
                        const char *dining = strcmp(cat, "dining") == 0 ? PICK(&s, dining_types) : "\\N";
                        int covers = dining[0] != '\\' ? 1 + (int) below(&s, 4) : 1;
                        char amt[24], rev[24], at[16];
                        money_text(amount, amt);
                        money_text(amount * 9 / 10, rev);
                        date_text(check_in + below(&s, nights + 1), at);
                        uuid_text(&s, cid);
                        row(&t[T_CONSUMPTION],
                            "%s\t%s\t%s %02ld:00:00+00\t%s\t%s\t%d\t%s\tEUR\t%s\t%s\t%s\t%s\t%c%s charge\t%s 12:00:00+00\t%s 12:00:00+00\n",
                            gid, cid, at, 7 + below(&s, 15), cat, dining, covers, amt, PICK(&s, methods), pay, rev,
                            sid, cat[0] - 32, cat + 1, d2, d2);
                        n->charges++;
                }
                if (unit(&s) < 0.035) {
                        const char *st;
                        if (check_out >= today - 30)
                                st = unit(&s) < 0.5 ? "open" : "in_progress";
                        else {
                                double x = unit(&s);
                                st = x < 0.55 ? "closed" : x < 0.95 ? "resolved" : "in_progress";
                        }
                        bool done = st[0] == 'c' || st[0] == 'r';
                        char score[4] = "\\N", resolved[32] = "\\N";
                        if (done && unit(&s) < 0.7)
                                score[0] = (char) ('2' + below(&s, 4)), score[1] = '\0';
                        if (done)
                                snprintf(resolved, sizeof(resolved), "%s 18:00:00+00", d2);
                        uuid_text(&s, cid);
                        row(&t[T_COMPLAINT],
                            "%s\t%s\t%s 20:00:00+00\t%s\t%s\t%s\tReported at the front desk\t%s\t%s\t%s\t%s\t%s "
                            "20:00:00+00\t%s 20:00:00+00\n",
                            gid, cid, d1, sid, PICK(&s, complaint_categories), PICK(&s, severities), st,
                            done ? "Apologised; handled by the duty manager" : "\\N", score, resolved, d1, d1);
                        n->complaints++;
                }
        }

        /* a preference or two for about a third; each (category, key) at most once */
        if (unit(&s) < 0.35) {
                int np = (int) (sizeof(prefs) / sizeof(prefs[0]));
                int a = (int) below(&s, np), b = unit(&s) < 0.4 ? (a + 1 + (int) below(&s, np - 1)) % np : -1;
                for (int j = 0; j < 2; j++) {
                        int p = j == 0 ? a : b;
                        if (p < 0)
                                continue;
                        uuid_text(&s, cid);
                        row(&t[T_PREFERENCE], "%s\t%s\t%s\t%s\t%s\t%s\t%s 09:00:00+00\t%s 09:00:00+00\n", gid, cid,
                            prefs[p].category, prefs[p].key, prefs[p].values[below(&s, 4)],
                            unit(&s) < 0.5 ? "staff" : "guest", created, created);
                        n->preferences++;
                }
        }
        if (unit(&s) < 0.10) {
                bool anniversary = unit(&s) < 0.8;
                date_text(1826 + below(&s, 17000), d1); /* from 1975 */
                uuid_text(&s, cid);
                row(&t[T_SPECIAL_DATE], "%s\t%s\t%s\t%s\t%s\t%s 09:00:00+00\t%s 09:00:00+00\n", gid, cid,
                    anniversary ? "anniversary" : "other", d1, anniversary ? "Wedding anniversary" : "Company founded",
                    created, created);
                n->special_dates++;
        }
        n->guests++;
}

/* ------------------------------------------------------------------------------------------ */
/* the database side */

static double now_s(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* The first failure of a run, printed once at the end: several sessions can fail together (the
 * database went away), and one clear line says more than six. */
struct seed_error {
        char text[512];
};

static void seed_fail(struct seed_error *e, const char *what, PGconn *pg)
{
        if (e->text[0])
                return;
        snprintf(e->text, sizeof(e->text), "%s%s%s", what ? what : "", what && pg ? ": " : "",
                 pg ? PQerrorMessage(pg) : "");
}

static bool exec_ok(PGconn *pg, const char *sql, struct seed_error *err)
{
        PGresult *r = PQexec(pg, sql);
        ExecStatusType st = PQresultStatus(r);
        bool ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
        if (!ok)
                seed_fail(err, sql, pg);
        PQclear(r);
        return ok;
}

static PGconn *open_loader(const char *conninfo, struct seed_error *err)
{
        PGconn *pg = PQconnectdb(conninfo ? conninfo : "");
        if (PQstatus(pg) != CONNECTION_OK) {
                seed_fail(err, "cannot connect to the database", pg);
                PQfinish(pg);
                return NULL;
        }
        /* replica: no history, audit or change-feed triggers (nor foreign-key checks) for the load */
        if (!exec_ok(pg, "SET session_replication_role = replica", err) ||
            !exec_ok(pg, "SET synchronous_commit = off", err) || !exec_ok(pg, "SET jit = off", err) ||
            !exec_ok(pg, "SET statement_timeout = 0", err) ||
            /* the index builds after the COPY sort millions of entries: in memory, not on disk */
            !exec_ok(pg, "SET maintenance_work_mem = '512MB'", err) ||
            /* the derive phase passes 25,000 guests a call: a plan for each call (sql/0009) */
            !exec_ok(pg, "SET plan_cache_mode = force_custom_plan", err)) {
                PQfinish(pg);
                return NULL;
        }
        return pg;
}

/* A chunk of ids as a uuid[] literal. */
static char *id_array(const char (*ids)[37], long from, long to)
{
        size_t len = 2 + (size_t) (to - from) * 37;
        char *out = malloc(len + 1), *p = out;
        if (!out)
                return NULL;
        *p++ = '{';
        for (long i = from; i < to; i++) {
                memcpy(p, ids[i], 36);
                p += 36;
                *p++ = i + 1 < to ? ',' : '}';
        }
        if (from == to)
                *p++ = '}';
        *p = '\0';
        return out;
}

#define DERIVE_CHUNK 25000
#define DERIVE_JOBS 2

static bool derive_send(PGconn *pg, const char (*ids)[37], long from, long to, struct seed_error *err)
{
        char *arr = id_array(ids, from, to);
        if (!arr)
                return false;
        const char *params[1] = {arr};
        /* one statement, two functions: the stats first, as the score reads them */
        int ok = PQsendQueryParams(pg,
                                   "SELECT refresh_guest_stats($1::uuid[]), "
                                   "(SELECT 1 FROM refresh_loyalty($1::uuid[], 'created'))",
                                   1, NULL, params, NULL, NULL, 0);
        free(arr);
        if (!ok)
                seed_fail(err, NULL, pg);
        return ok == 1;
}

static bool derive_wait(PGconn *pg, ExecStatusType want, struct seed_error *err)
{
        bool ok = true;
        PGresult *r;
        while ((r = PQgetResult(pg)) != NULL) {
                if (PQresultStatus(r) != want) {
                        seed_fail(err, NULL, pg);
                        ok = false;
                }
                PQclear(r);
        }
        return ok;
}

/*
 * On a fresh load, the table's secondary indexes (not those of constraints) are dropped in the
 * loading transaction and built again after the COPY, from their own definitions: one sorted
 * build (one GIN build for the name search) is several times cheaper than a million random
 * inserts into each index. Other sessions never see the table without them (the transaction
 * holds the table's lock), and a failed load rolls the drop back.
 */
static bool drop_indexes(struct sink *k, const char *table, struct seed_error *err)
{
        const char *params[1] = {table};
        PGresult *r = PQexecParams(k->pg,
                                   "SELECT coalesce(string_agg(pg_get_indexdef(i.indexrelid), '; '), ''), "
                                   "coalesce(string_agg(format('DROP INDEX %I.%I', n.nspname, c.relname), '; '), '') "
                                   "FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                                   "JOIN pg_namespace n ON n.oid = c.relnamespace "
                                   "WHERE i.indrelid = $1::regclass "
                                   "AND NOT EXISTS (SELECT 1 FROM pg_constraint x WHERE x.conindid = i.indexrelid)",
                                   1, NULL, params, NULL, NULL, 0);
        bool ok = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
        if (!ok)
                seed_fail(err, "reading the indexes", k->pg);
        if (ok && PQgetvalue(r, 0, 1)[0] != '\0') {
                k->indexes = strdup(PQgetvalue(r, 0, 0));
                ok = k->indexes && exec_ok(k->pg, PQgetvalue(r, 0, 1), err);
        }
        PQclear(r);
        return ok;
}

/*
 * On a fresh load, a table that no foreign key points at is also truncated in its loading
 * transaction (it is empty: there is no guest yet). Under wal_level = minimal PostgreSQL then
 * writes no WAL for the COPY into it (the index builds of a fresh load skip it anyway there);
 * otherwise it changes nothing. Tables others point at (guest, stay) cannot be truncated alone.
 */
static bool truncate_if_unreferenced(struct sink *k, const char *table, struct seed_error *err)
{
        const char *params[1] = {table};
        PGresult *r = PQexecParams(k->pg,
                                   "SELECT format('TRUNCATE %s', $1::regclass) WHERE NOT EXISTS (SELECT 1 FROM "
                                   "pg_constraint WHERE contype = 'f' AND confrelid = $1::regclass)",
                                   1, NULL, params, NULL, NULL, 0);
        bool ok = PQresultStatus(r) == PGRES_TUPLES_OK;
        if (!ok)
                seed_fail(err, "reading the foreign keys", k->pg);
        if (ok && PQntuples(r) == 1)
                ok = exec_ok(k->pg, PQgetvalue(r, 0, 0), err);
        PQclear(r);
        return ok;
}

int gd_cmd_seed(int argc, char **argv)
{
        struct gd_cli_overrides o = {0};
        const char *guests_text = NULL, *seed_text = NULL;
        bool append = false;
        const struct gd_option opts[] = {{"guests", &guests_text, NULL},
                                         {"seed", &seed_text, NULL},
                                         {"append", NULL, &append},
                                         {"database-url", &o.database_url, NULL},
                                         {NULL, NULL, NULL}};
        int n_pos;
        int exit_code;
        if (!gd_cli_args(argc, argv, 2, opts, NULL, 0, &n_pos, usage, &exit_code))
                return exit_code;
        long guests = 1000000;
        if (guests_text) {
                char *end;
                guests = strtol(guests_text, &end, 10);
                if (*guests_text < '0' || *guests_text > '9' || *end != '\0' || guests < 1 || guests > 20000000) {
                        gd_cli_error("--guests must be a whole number from 1 to 20000000");
                        return GD_EXIT_USAGE;
                }
        }
        uint64_t seed = 1;
        if (seed_text) {
                char *end;
                unsigned long long v = strtoull(seed_text, &end, 10);
                if (*seed_text < '0' || *seed_text > '9' || *end != '\0' || strlen(seed_text) > 20 ||
                    (v == ULLONG_MAX && strcmp(seed_text, "18446744073709551615") != 0)) {
                        gd_cli_error("--seed must be a whole number from 0 to 18446744073709551615");
                        return GD_EXIT_USAGE;
                }
                seed = (uint64_t) v;
        }
        struct gd_config cfg;
        if (!gd_config_load(&cfg, &o))
                return GD_EXIT_USAGE;

        double t0 = now_s();
        int rc = GD_EXIT_FAILURE;
        struct seed_error err = {{0}};
        bool already_seeded = false; /* said so already */
        struct sink t[T_COUNT] = {0};
        char(*ids)[37] = NULL;
        struct totals n = {0};
        double t_load = 0, t_analyze = 0, t_derive = 0;
        for (int k = 0; k < T_COUNT; k++) {
                t[k].pg = open_loader(cfg.database_url, &err);
                t[k].all = t;
                t[k].cap = SINK_CAP;
                t[k].buf = malloc(t[k].cap);
                if (!t[k].buf)
                        seed_fail(&err, "out of memory", NULL);
                if (!t[k].pg || !t[k].buf)
                        goto out;
        }
        PGresult *r = PQexec(t[0].pg, "SELECT EXISTS (SELECT 1 FROM guest)");
        bool has = PQresultStatus(r) == PGRES_TUPLES_OK && PQgetvalue(r, 0, 0)[0] == 't';
        if (PQresultStatus(r) != PGRES_TUPLES_OK)
                seed_fail(&err, NULL, t[0].pg);
        PQclear(r);
        if (has && !append) {
                gd_cli_error("seed: the database already has guests; nothing was done "
                             "(--append loads more, with another --seed)");
                already_seeded = true;
                goto out;
        }
        ids = malloc((size_t) guests * sizeof(*ids));
        if (!ids) {
                seed_fail(&err, "out of memory for the guest ids", NULL);
                goto out;
        }
        static const char *const tables[T_COUNT] = {"guest", "stay", "consumption", "preference", "special_date",
                                                    "complaint"};
        for (int k = 0; k < T_COUNT; k++) {
                if (!exec_ok(t[k].pg, "BEGIN", &err) ||
                    (!has && (!truncate_if_unreferenced(&t[k], tables[k], &err) || !drop_indexes(&t[k], tables[k], &err))))
                        goto out;
                r = PQexec(t[k].pg, copy_sql[k]);
                bool in = PQresultStatus(r) == PGRES_COPY_IN && PQsetnonblocking(t[k].pg, 1) == 0;
                PQclear(r);
                if (!in) {
                        seed_fail(&err, NULL, t[k].pg);
                        goto out;
                }
        }
        long today = (long) (time(NULL) / 86400);
        bool failed = false;
        for (long i = 0; i < guests && !failed; i++) {
                seed_guest(seed, i, today, t, &n, ids[i]);
                for (int k = 0; k < T_COUNT; k++)
                        failed |= t[k].failed;
        }
        for (int k = 0; k < T_COUNT; k++)
                if (t[k].len > 0)
                        sink_hand_over(&t[k], true);
        for (int k = 0; k < T_COUNT; k++) {
                sink_drain(&t[k]);
                /* back to blocking mode (all is sent) for the end of the COPY and what follows */
                if (PQsetnonblocking(t[k].pg, 0) != 0)
                        t[k].failed = true;
                if (PQputCopyEnd(t[k].pg, t[k].failed ? "generation failed" : NULL) != 1)
                        t[k].failed = true;
        }
        for (int k = 0; k < T_COUNT; k++) {
                while ((r = PQgetResult(t[k].pg)) != NULL) {
                        if (PQresultStatus(r) != PGRES_COMMAND_OK) {
                                seed_fail(&err, NULL, t[k].pg);
                                failed = true;
                        }
                        PQclear(r);
                }
                failed |= t[k].failed;
        }
        /* the index builds of the six tables run side by side */
        for (int k = 0; k < T_COUNT && !failed; k++)
                if (t[k].indexes && !PQsendQuery(t[k].pg, t[k].indexes)) {
                        seed_fail(&err, NULL, t[k].pg);
                        failed = true;
                }
        for (int k = 0; k < T_COUNT; k++)
                if (t[k].indexes && !derive_wait(t[k].pg, PGRES_COMMAND_OK, &err))
                        failed = true;
        for (int k = 0; k < T_COUNT && !failed; k++)
                failed = !exec_ok(t[k].pg, "COMMIT", &err);
        if (failed)
                goto out;
        t_load = now_s() - t0;

        /* the planner must know the new sizes before the set-based rebuild plans its joins */
        double t1 = now_s();
        for (int k = 0; k < T_COUNT; k++) {
                char sql[64];
                snprintf(sql, sizeof(sql), "ANALYZE %s", tables[k]);
                if (!PQsendQuery(t[k].pg, sql)) {
                        seed_fail(&err, sql, t[k].pg);
                        goto out;
                }
        }
        for (int k = 0; k < T_COUNT; k++)
                if (!derive_wait(t[k].pg, PGRES_COMMAND_OK, &err))
                        goto out;
        t_analyze = now_s() - t1;

        /* guest_stats and guest_loyalty for exactly the new guests, chunks on two sessions */
        double t2 = now_s();
        long next = 0;
        bool busy[DERIVE_JOBS] = {false};
        for (;;) {
                bool any = false;
                for (int j = 0; j < DERIVE_JOBS; j++) {
                        if (busy[j]) {
                                busy[j] = false;
                                if (!derive_wait(t[j].pg, PGRES_TUPLES_OK, &err))
                                        goto out;
                        }
                        if (next < guests) {
                                long to = next + DERIVE_CHUNK < guests ? next + DERIVE_CHUNK : guests;
                                if (!derive_send(t[j].pg, (const char(*)[37]) ids, next, to, &err))
                                        goto out;
                                next = to;
                                busy[j] = true;
                        }
                        any |= busy[j];
                }
                if (!any)
                        break;
        }
        if (!exec_ok(t[0].pg, "ANALYZE guest_stats", &err) || !exec_ok(t[1].pg, "ANALYZE guest_loyalty", &err))
                goto out;
        t_derive = now_s() - t2;

        char seed_str[24];
        snprintf(seed_str, sizeof(seed_str), "%" PRIu64, seed); /* as text: JSON numbers stop at 2^53 */
        json_t *out = json_pack("{sI sI sI sI sI sI sI sI s:s s{sf sf sf sf}}", "guests", (json_int_t) n.guests,
                                "stays", (json_int_t) n.stays, "charges", (json_int_t) n.charges, "complaints",
                                (json_int_t) n.complaints, "preferences", (json_int_t) n.preferences,
                                "special_dates", (json_int_t) n.special_dates, "vip_codes", (json_int_t) n.vip,
                                "marketing_consent", (json_int_t) n.consent, "seed", seed_str,
                                "seconds", "load", t_load, "analyze", t_analyze, "derive", t_derive, "total",
                                now_s() - t0);
        char *text = out ? json_dumps(out, JSON_COMPACT | JSON_REAL_PRECISION(4)) : NULL;
        if (text)
                printf("%s\n", text);
        free(text);
        json_decref(out);
        rc = GD_EXIT_OK;
out:
        if (rc != GD_EXIT_OK && !already_seeded)
                gd_cli_error("seed: %s", err.text[0] ? err.text : "the load failed");
        for (int k = 0; k < T_COUNT; k++) {
                if (t[k].pg)
                        PQfinish(t[k].pg);
                free(t[k].buf);
                free(t[k].indexes);
        }
        free(ids);
        return rc;
}
