/* SPDX-License-Identifier: MIT */
/* Shared by the subcommands: option parsing and the exit codes documented in --help. */
#ifndef GUESTD_CLI_H
#define GUESTD_CLI_H

#include <stdbool.h>

#include "guestd/config.h"
#include "guestd/db.h"

enum gd_exit {
        GD_EXIT_OK = 0,
        GD_EXIT_FAILURE = 1, /* the database is unreachable, or the work failed */
        GD_EXIT_USAGE = 2,   /* bad command line or configuration */
        GD_EXIT_LOCKED = 3,  /* guestd purge: another run holds the lock, nothing was done */
        GD_EXIT_REJECTED = 4, /* guestd import: done, but some lines were rejected */
};

/* One option a subcommand accepts; `value` receives the text (NULL: a flag, then `flag` is set). */
struct gd_option {
        const char *name; /* without the leading "--" */
        const char **value;
        bool *flag;
};

/*
 * Parses argv[first..] against opts; positional arguments go to positional[] (at most max_pos).
 * false when the command ends there, with *ret_exit: GD_EXIT_OK after printing `usage` for
 * "--help"/"-h", GD_EXIT_USAGE after one clear line on stderr about a bad option.
 */
bool gd_cli_args(int argc, char **argv, int first, const struct gd_option *opts, const char **positional,
                 int max_pos, int *n_pos, const char *usage, int *ret_exit);

/* Prints "guestd: MESSAGE" on stderr as one line (gd_one_line: libpq's newlines and tabs go). */
void gd_cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The one line for a failed database step: "guestd: WHAT: <libpq's reason>" (the detail meant for
 * HTTP clients when there is no reason from the database). Returns GD_EXIT_FAILURE. */
int gd_cli_db_failure(const char *what, enum gd_err e, const struct gd_error *err);

/* Fills cfg from GUESTD_* environment variables, then from the option texts that are non-NULL. */
struct gd_cli_overrides {
        const char *listen, *database_url, *threads, *max_body_bytes, *log_level, *port_file, *connection_timeout;
        const char *header_timeout, *max_connections, *max_connections_per_ip, *statement_timeout, *drain_timeout;
};
bool gd_config_load(struct gd_config *cfg, const struct gd_cli_overrides *o);

/* The connection settings every subcommand uses. */
struct gd_db_config gd_cli_db_config(const struct gd_config *cfg);

int gd_cmd_serve(int argc, char **argv);
int gd_cmd_migrate(int argc, char **argv);
int gd_cmd_key(int argc, char **argv);
int gd_cmd_rescore(int argc, char **argv);
int gd_cmd_purge(int argc, char **argv);
int gd_cmd_seed(int argc, char **argv);
int gd_cmd_import(int argc, char **argv);

#endif
