/* SPDX-License-Identifier: MIT */
/* The gate in front of libmicrohttpd (gate.c): guestd's own listening socket, first request heads,
 * and the header timeout of every request. */
#ifndef GUESTD_HTTP_GATE_H
#define GUESTD_HTTP_GATE_H

#include <microhttpd.h>

#include "guestd/http.h"

struct gd_gate;

/* Binds app->cfg's listen address; *ret_port is the port bound (for port 0). */
enum gd_err gd_gate_new(struct gd_app *app, struct gd_gate **ret, unsigned *ret_port, struct gd_error *reterr);
/* Starts accepting; heads that pass go to d (started with MHD_USE_NO_LISTEN_SOCKET and with
 * gd_gate_on_connection as its MHD_OPTION_NOTIFY_CONNECTION, g as its closure). */
enum gd_err gd_gate_start(struct gd_gate *g, struct MHD_Daemon *d, struct gd_error *reterr);
/* Stops accepting and closes the connections still waiting for their first head; the library's
 * connections are left to it. */
void gd_gate_stop(struct gd_gate *g);
/* After MHD_stop_daemon (which still notifies the gate of each closed connection). Accepts NULL. */
void gd_gate_free(struct gd_gate *g);

/* The rules the gate applies to a connection's first head (head.c), applied to the fields of any head
 * as libmicrohttpd parsed them: a kept-alive connection's later requests never pass the gate. */
enum gd_err gd_gate_check_head(struct MHD_Connection *connection, const char *version, struct gd_error *reterr);

/* libmicrohttpd's MHD_OPTION_NOTIFY_CONNECTION: keeps the list the header timeout is checked on. */
void gd_gate_on_connection(void *cls, struct MHD_Connection *connection, void **socket_context,
                           enum MHD_ConnectionNotificationCode code);
/* The first call of a request: its head arrived whole. */
void gd_gate_head_received(struct MHD_Connection *connection);
/* A request ended: a kept-alive connection now waits for the next head. */
void gd_gate_head_awaited(struct MHD_Connection *connection);

#endif
