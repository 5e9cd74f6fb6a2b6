/* SPDX-License-Identifier: MIT */
/* The only reader of argv and the environment: options, GUESTD_* variables, defaults. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/* The limits of `guestd serve` and their defaults (README "Limits", `guestd serve --help`). */
#define DEFAULT_MAX_CONNECTIONS 1024
#define DEFAULT_MAX_CONNECTIONS_PER_IP 512 /* half: one client's load test leaves room for the others */
#define DEFAULT_CONNECTION_TIMEOUT_S 30
#define DEFAULT_HEADER_TIMEOUT_S 10
#define DEFAULT_MAX_BODY_BYTES (1024 * 1024)
#define DEFAULT_STATEMENT_TIMEOUT_MS 4000
#define DEFAULT_DRAIN_TIMEOUT_S 10 /* well inside the 30 s a service manager usually waits before SIGKILL */
/* The client-side deadline of a round trip is a little longer than statement_timeout, so that a slow
 * statement is cancelled by PostgreSQL (the connection stays usable) and only a frozen server or
 * network hits the deadline (the connection is dropped). Both answer 503. */
#define DB_DEADLINE_MARGIN_MS 1000
#define POOL_WAIT_MS 2000

void gd_cli_error(const char *fmt, ...)
{
        char text[1024];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(text, sizeof(text), fmt, ap);
        va_end(ap);
        gd_one_line(text);
        fprintf(stderr, "guestd: %s\n", text);
}

int gd_cli_db_failure(const char *what, enum gd_err e, const struct gd_error *err)
{
        const char *why = err->cause[0] ? err->cause : err->detail[0] ? err->detail : gd_err_to_string(e);
        gd_cli_error("%s: %s", what, why);
        return GD_EXIT_FAILURE;
}

static bool parse_args(int argc, char **argv, int first, const struct gd_option *opts, const char **positional,
                       int max_pos, int *n_pos, bool *help)
{
        *n_pos = 0;
        for (int i = first; i < argc; i++) {
                const char *a = argv[i];
                if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
                        *help = true;
                        continue;
                }
                if (strncmp(a, "--", 2) != 0) {
                        if (*n_pos >= max_pos) {
                                gd_cli_error("unexpected argument '%s' (see --help)", a);
                                return false;
                        }
                        positional[(*n_pos)++] = a;
                        continue;
                }
                const char *name = a + 2, *eq = strchr(name, '=');
                size_t len = eq ? (size_t) (eq - name) : strlen(name);
                const struct gd_option *o = opts;
                while (o->name && !(strlen(o->name) == len && strncmp(o->name, name, len) == 0))
                        o++;
                if (!o->name) {
                        gd_cli_error("unknown option '--%.*s' (see --help)", (int) len, name);
                        return false;
                }
                if (o->flag) {
                        if (eq) {
                                gd_cli_error("option '--%s' takes no value", o->name);
                                return false;
                        }
                        *o->flag = true;
                } else if (eq) {
                        *o->value = eq + 1;
                } else if (i + 1 < argc && strncmp(argv[i + 1], "--", 2) != 0) {
                        /* "--jobs --database-url X": the value was forgotten, "--database-url" is not it */
                        *o->value = argv[++i];
                } else {
                        gd_cli_error("option '--%s' needs a value", o->name);
                        return false;
                }
        }
        return true;
}

bool gd_cli_args(int argc, char **argv, int first, const struct gd_option *opts, const char **positional,
                 int max_pos, int *n_pos, const char *usage, int *ret_exit)
{
        bool help = false;
        if (!parse_args(argc, argv, first, opts, positional, max_pos, n_pos, &help)) {
                *ret_exit = GD_EXIT_USAGE;
                return false;
        }
        if (help) {
                fputs(usage, stdout);
                *ret_exit = GD_EXIT_OK;
                return false;
        }
        return true;
}

static bool parse_uint(const char *what, const char *s, unsigned long min, unsigned long max, unsigned long *ret)
{
        char *end;
        errno = 0;
        unsigned long v = strtoul(s, &end, 10);
        if (errno || *s == '\0' || *s == '-' || *end != '\0' || v < min || v > max) {
                gd_cli_error("%s must be a whole number from %lu to %lu, not '%s'", what, min, max, s);
                return false;
        }
        *ret = v;
        return true;
}

static const char *pick(const char *flag, const char *env)
{
        if (flag)
                return flag;
        const char *v = getenv(env);
        return v && v[0] ? v : NULL;
}

/* A whole-number setting: its option's text, else its variable's, within min..max; *value holds
 * the default on entry. False (with one line on stderr) when the text is not such a number. */
static bool uint_setting(const char *flag, const char *env, unsigned long min, unsigned long max,
                         unsigned long *value)
{
        const char *text = pick(flag, env);
        return !text || parse_uint(env, text, min, max, value);
}

bool gd_config_load(struct gd_config *cfg, const struct gd_cli_overrides *o)
{
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        *cfg = (struct gd_config){
                .listen_host = "127.0.0.1",
                .listen_port = 8080,
                /* two per core: a thread waits on its database connection for part of every request,
                 * and its connections wait with it (bench/run, 2 cores: the card 3,900 -> 5,500 req/s
                 * at 64 connections with 4 threads instead of 2; more gave no more) */
                .threads = cores > 0 ? 2 * (unsigned) cores : 4,
                .max_body_bytes = DEFAULT_MAX_BODY_BYTES,
                .log_level = GD_LOG_INFO,
                .max_connections = DEFAULT_MAX_CONNECTIONS,
                .max_connections_per_ip = DEFAULT_MAX_CONNECTIONS_PER_IP,
                .connection_timeout_s = DEFAULT_CONNECTION_TIMEOUT_S,
                .header_timeout_s = DEFAULT_HEADER_TIMEOUT_S,
                .drain_timeout_s = DEFAULT_DRAIN_TIMEOUT_S,
                .db_timeout_ms = DEFAULT_STATEMENT_TIMEOUT_MS + DB_DEADLINE_MARGIN_MS,
                .statement_timeout_ms = DEFAULT_STATEMENT_TIMEOUT_MS,
                .pool_wait_ms = POOL_WAIT_MS,
        };
        const char *listen = pick(o->listen, "GUESTD_LISTEN");
        if (listen) {
                const char *colon = strrchr(listen, ':');
                unsigned long port;
                size_t host_len = colon ? (size_t) (colon - listen) : 0;
                if (!colon || host_len == 0 || host_len >= sizeof(cfg->listen_host)) {
                        gd_cli_error("listen address must be HOST:PORT, such as 127.0.0.1:8080, not '%s'", listen);
                        return false;
                }
                if (!parse_uint("the listen port", colon + 1, 0, 65535, &port))
                        return false;
                memcpy(cfg->listen_host, listen, host_len);
                cfg->listen_host[host_len] = '\0';
                if (strcmp(cfg->listen_host, "localhost") == 0)
                        strcpy(cfg->listen_host, "127.0.0.1");
                cfg->listen_port = (unsigned) port;
        }
        cfg->database_url = pick(o->database_url, "GUESTD_DATABASE_URL");
        cfg->port_file = o->port_file;
        unsigned long threads = cfg->threads, body = cfg->max_body_bytes, idle = cfg->connection_timeout_s,
                      head = cfg->header_timeout_s,
                      conns = cfg->max_connections, per_ip = cfg->max_connections_per_ip,
                      statement = (unsigned long) cfg->statement_timeout_ms, drain = cfg->drain_timeout_s;
        if (!uint_setting(o->threads, "GUESTD_THREADS", 1, 256, &threads) ||
            !uint_setting(o->max_body_bytes, "GUESTD_MAX_BODY_BYTES", 64, 64ul * 1024 * 1024, &body) ||
            !uint_setting(o->connection_timeout, "GUESTD_CONNECTION_TIMEOUT", 1, 3600, &idle) ||
            !uint_setting(o->header_timeout, "GUESTD_HEADER_TIMEOUT", 1, 3600, &head) ||
            !uint_setting(o->max_connections, "GUESTD_MAX_CONNECTIONS", 1, 65536, &conns) ||
            !uint_setting(o->max_connections_per_ip, "GUESTD_MAX_CONNECTIONS_PER_IP", 1, 65536, &per_ip) ||
            !uint_setting(o->statement_timeout, "GUESTD_STATEMENT_TIMEOUT", 100, 600000, &statement) ||
            !uint_setting(o->drain_timeout, "GUESTD_DRAIN_TIMEOUT", 0, 3600, &drain))
                return false;
        if (per_ip > conns) {
                gd_cli_error("GUESTD_MAX_CONNECTIONS_PER_IP (%lu) must not exceed GUESTD_MAX_CONNECTIONS (%lu)",
                        per_ip, conns);
                return false;
        }
        cfg->threads = (unsigned) threads;
        cfg->max_body_bytes = body;
        cfg->connection_timeout_s = (unsigned) idle;
        cfg->header_timeout_s = (unsigned) head;
        cfg->max_connections = (unsigned) conns;
        cfg->max_connections_per_ip = (unsigned) per_ip;
        cfg->statement_timeout_ms = (int) statement;
        cfg->db_timeout_ms = (int) statement + DB_DEADLINE_MARGIN_MS;
        cfg->drain_timeout_s = (unsigned) drain;
        const char *level = pick(o->log_level, "GUESTD_LOG_LEVEL");
        if (level) {
                static const char *const names[] = {"debug", "info", "warn", "error"};
                size_t i = 0;
                while (i < 4 && strcmp(level, names[i]) != 0)
                        i++;
                if (i == 4) {
                        gd_cli_error("log level must be debug, info, warn or error, not '%s'", level);
                        return false;
                }
                cfg->log_level = (enum gd_log_level) i;
        }
        return true;
}

struct gd_db_config gd_cli_db_config(const struct gd_config *cfg)
{
        return (struct gd_db_config){
                .conninfo = cfg->database_url,
                .timeout_ms = cfg->db_timeout_ms,
                .statement_timeout_ms = cfg->statement_timeout_ms,
                .pool_size = (int) cfg->threads,
                .pool_wait_ms = cfg->pool_wait_ms,
        };
}
