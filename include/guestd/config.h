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
        int db_timeout_ms;
        int statement_timeout_ms;
        const char *port_file; /* written once listening: the bound port (for port 0) */
};

#endif
