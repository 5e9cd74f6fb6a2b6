/* SPDX-License-Identifier: MIT */
/* Runtime configuration: environment variables, overridden by command-line flags (cli/config.c). */
#ifndef GUESTD_CONFIG_H
#define GUESTD_CONFIG_H

#include <stddef.h>

enum gd_log_level { GD_LOG_DEBUG, GD_LOG_INFO, GD_LOG_WARN, GD_LOG_ERROR };

struct gd_config {
        char listen_host[64];
        unsigned listen_port;
        const char *database_url; /* NULL: libpq's PG* environment */
        unsigned threads;
        size_t max_body_bytes;
        enum gd_log_level log_level;
        unsigned max_connections;
        unsigned max_connections_per_ip;
        unsigned connection_timeout_s;
        unsigned header_timeout_s; /* a request head must be whole this long after the connection opens
                                    * or the previous response ends */
        unsigned drain_timeout_s; /* on SIGTERM/SIGINT: how long requests in flight may still run */
        int db_timeout_ms;        /* client-side deadline of one database round trip */
        int statement_timeout_ms; /* PostgreSQL's statement_timeout (lock_timeout is half) */
        int pool_wait_ms;         /* longest wait for a free database connection */
        const char *port_file; /* written once listening: the bound port (for port 0) */
};

#endif
