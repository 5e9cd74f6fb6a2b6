/* SPDX-License-Identifier: MIT */
/*
 * The gate in front of libmicrohttpd. guestd accepts connections itself and holds each one until
 * the head of its first request has arrived whole; it reads that head with MSG_PEEK, so the bytes
 * stay in the socket for the library, checks it with the rules of head.c, and only then hands the
 * socket over (MHD_add_connection).
 *
 * Why not let the library accept: libmicrohttpd 0.9.75 (Debian 12) answers a malformed
 * Content-Length itself, and its state machine then writes the status line and headers twice,
 * the second block inside the first one's body: one request, two responses, which is how a proxy
 * in front is desynchronized. And it times connections out on inactivity only, so a client that
 * trickles a header byte a second keeps its slot for ever. Here such a head gets one problem+json
 * answer and a close, and a head still unfinished after the header timeout is dropped before it
 * ever takes one of the library's slots.
 *
 * Later requests on a kept-alive connection are read by the library itself. The field rules run on
 * them in the first call (server.c); the header timeout is kept by the watch list below: each
 * connection of the library records since when it waits for a head, and the gate's thread shuts
 * down the socket of one that waited too long (the library then sees the end of the stream and
 * closes it in its own thread).
 */
/* accept4: a GNU and BSD call, not POSIX */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "gate.h"
#include "guestd/head.h"
#include "guestd/problem.h"

/* The library's CONNECTION_MEMORY_LIMIT (server.c): a first head over it is answered 431 here. The
 * library's pool can run out earlier on a head of many short lines; it then answers 431 itself,
 * once (an HTML body). */
#define GATE_HEAD_MAX (16 * 1024)
/* After an error answer the socket is drained this long, so that unread bytes do not turn the
 * close into a reset that could destroy the answer before the client reads it. */
#define LINGER_MS 1000
#define SWEEP_MS 250

struct pending {
        int fd;
        struct sockaddr_in addr;
        long long head_deadline_ms; /* the header timeout (or, once answered, the end of the lingering) */
        long long idle_deadline_ms; /* the idle timeout, pushed back by each arrival of bytes */
        size_t seen;    /* bytes of the head that have arrived: a header timeout after some is answered 408 */
        bool lingering; /* answered; draining until the client closes or LINGER_MS pass */
        struct pending *next;
};

/* One connection of the library, as the header timeout sees it. */
struct watch {
        int fd;
        atomic_llong awaiting_since_ms; /* waiting for a request head since then; 0: not waiting */
        struct watch *prev, *next;
};

struct gd_gate {
        struct gd_app *app;
        struct MHD_Daemon *daemon;
        int listen_fd, epoll_fd, stop_fd;
        pthread_t thread;
        bool started, listening_armed;
        long long header_timeout_ms, idle_timeout_ms;
        struct pending *pending;
        unsigned n_pending;
        pthread_mutex_t lock; /* the watch list: the library's threads add and remove, the gate sweeps */
        struct watch *watched;
        atomic_uint library_connections;
        char head[GATE_HEAD_MAX];
};

static long long now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

enum gd_err gd_gate_new(struct gd_app *app, struct gd_gate **ret, unsigned *ret_port, struct gd_error *reterr)
{
        struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t) app->cfg.listen_port)};
        if (inet_pton(AF_INET, app->cfg.listen_host, &addr.sin_addr) != 1)
                return gd_error_set(reterr, GD_ERR_INTERNAL, "The listen address %s is not an IPv4 address.",
                                    app->cfg.listen_host);
        struct gd_gate *g = calloc(1, sizeof(*g));
        if (!g)
                return gd_error_set(reterr, GD_ERR_NOMEM, NULL);
        g->app = app;
        g->header_timeout_ms = (long long) app->cfg.header_timeout_s * 1000;
        g->idle_timeout_ms = (long long) app->cfg.connection_timeout_s * 1000;
        g->epoll_fd = g->stop_fd = -1;
        pthread_mutex_init(&g->lock, NULL);
        int one = 1;
        g->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        socklen_t len = sizeof(addr);
        if (g->listen_fd < 0 || setsockopt(g->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
            bind(g->listen_fd, (struct sockaddr *) &addr, sizeof(addr)) != 0 || listen(g->listen_fd, SOMAXCONN) != 0 ||
            getsockname(g->listen_fd, (struct sockaddr *) &addr, &len) != 0) {
                enum gd_err failed = gd_error_set(reterr, GD_ERR_INTERNAL, "Cannot listen on %s:%u: %s",
                                                  app->cfg.listen_host, app->cfg.listen_port, strerror(errno));
                gd_gate_free(g);
                return failed;
        }
        g->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
        g->stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        struct epoll_event listen_ev = {.events = EPOLLIN, .data.ptr = NULL};
        struct epoll_event stop_ev = {.events = EPOLLIN, .data.ptr = &g->stop_fd};
        if (g->epoll_fd < 0 || g->stop_fd < 0 || epoll_ctl(g->epoll_fd, EPOLL_CTL_ADD, g->listen_fd, &listen_ev) != 0 ||
            epoll_ctl(g->epoll_fd, EPOLL_CTL_ADD, g->stop_fd, &stop_ev) != 0) {
                enum gd_err failed = gd_error_set(reterr, GD_ERR_INTERNAL, "Cannot watch the listening socket: %s",
                                                  strerror(errno));
                gd_gate_free(g);
                return failed;
        }
        g->listening_armed = true;
        *ret_port = ntohs(addr.sin_port);
        *ret = g;
        return GD_OK;
}

static void pending_close(struct gd_gate *g, struct pending *p)
{
        for (struct pending **at = &g->pending; *at; at = &(*at)->next)
                if (*at == p) {
                        *at = p->next;
                        break;
                }
        g->n_pending--;
        close(p->fd); /* also leaves the epoll set */
        free(p);
}

/* One problem+json answer written by the gate, then a lingering close. */
static void pending_answer(struct gd_gate *g, struct pending *p, size_t consumed, struct gd_error *err)
{
        /* the peeked bytes are read now, so that they do not count as unread at the close */
        char sink[512];
        while (consumed > 0) {
                ssize_t n = recv(p->fd, sink, consumed < sizeof(sink) ? consumed : sizeof(sink), 0);
                if (n <= 0)
                        break;
                consumed -= (size_t) n;
        }
        char request_id[24];
        snprintf(request_id, sizeof(request_id), "%08x%08lx", g->app->boot_id,
                 (unsigned long) atomic_fetch_add(&g->app->next_request, 1) & 0xffffffffUL);
        const struct gd_problem *problem = gd_problem_for(err->code);
        json_t *body = gd_problem_body(err, "", request_id);
        char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
        json_decref(body);
        char head[256];
        int head_len = snprintf(head, sizeof(head),
                                "HTTP/1.1 %u %s\r\nContent-Type: application/problem+json\r\nContent-Length: %zu\r\n"
                                "X-Request-Id: %s\r\nConnection: close\r\n\r\n",
                                problem->status, MHD_get_reason_phrase_for(problem->status), text ? strlen(text) : 0,
                                request_id);
        /* a new connection's send buffer holds these few hundred bytes: one send each, no waiting */
        if (head_len > 0 && send(p->fd, head, (size_t) head_len, MSG_NOSIGNAL) == head_len && text)
                (void) send(p->fd, text, strlen(text), MSG_NOSIGNAL);
        free(text);
        gd_log(g->app, GD_LOG_INFO, "request refused before routing",
               json_pack("{s:s, s:i, s:s, s:s}", "request_id", request_id, "status", (int) problem->status,
                         "error", gd_err_to_string(err->code), "detail", err->detail));
        shutdown(p->fd, SHUT_WR);
        p->lingering = true;
        p->head_deadline_ms = p->idle_deadline_ms = now_ms() + LINGER_MS;
}

static void pending_handover(struct gd_gate *g, struct pending *p)
{
        int fd = p->fd;
        struct sockaddr_in addr = p->addr;
        (void) epoll_ctl(g->epoll_fd, EPOLL_CTL_DEL, fd, NULL);
        p->fd = -1;
        for (struct pending **at = &g->pending; *at; at = &(*at)->next)
                if (*at == p) {
                        *at = p->next;
                        break;
                }
        g->n_pending--;
        free(p);
        /* the library closes the socket itself when it cannot take it (a limit reached) */
        if (MHD_add_connection(g->daemon, fd, (struct sockaddr *) &addr, sizeof(addr)) != MHD_YES)
                gd_log(g->app, GD_LOG_DEBUG, "connection refused by the library's limits", NULL);
}

static void pending_readable(struct gd_gate *g, struct pending *p, uint32_t events)
{
        if (p->lingering) {
                char sink[4096];
                ssize_t n;
                while ((n = recv(p->fd, sink, sizeof(sink), 0)) > 0)
                        ;
                if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
                        pending_close(g, p);
                return;
        }
        ssize_t n = recv(p->fd, g->head, sizeof(g->head), MSG_PEEK);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
                pending_close(g, p); /* the client left before its head was whole */
                return;
        }
        if (n < 0)
                return;
        if ((size_t) n > p->seen) {
                p->seen = (size_t) n;
                p->idle_deadline_ms = now_ms() + g->idle_timeout_ms;
        }
        size_t head_len = 0;
        struct gd_error err = {0};
        enum gd_err e = gd_head_scan(g->head, (size_t) n, &head_len, &err);
        if (e == GD_OK && head_len == 0 && (size_t) n == sizeof(g->head))
                e = gd_error_set(&err, GD_ERR_HEADERS_TOO_LARGE, "The request line and headers exceed %d bytes.",
                                 GATE_HEAD_MAX);
        if (e != GD_OK)
                pending_answer(g, p, (size_t) n, &err);
        else if (head_len > 0)
                pending_handover(g, p);
        else if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
                pending_close(g, p); /* the client stopped sending: the peek never sees the end of a
                                      * stream that still holds unread bytes */
}

/* Connections the gate holds or the library serves: together under the configured maximum. */
static bool at_capacity(const struct gd_gate *g)
{
        return g->n_pending + atomic_load(&g->library_connections) >= g->app->cfg.max_connections;
}

static unsigned pending_from(const struct gd_gate *g, const struct sockaddr_in *addr)
{
        unsigned n = 0;
        for (const struct pending *p = g->pending; p; p = p->next)
                n += p->addr.sin_addr.s_addr == addr->sin_addr.s_addr;
        return n;
}

static void accept_all(struct gd_gate *g)
{
        while (!at_capacity(g)) {
                struct sockaddr_in addr;
                socklen_t len = sizeof(addr);
                int fd = accept4(g->listen_fd, (struct sockaddr *) &addr, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (fd < 0)
                        return; /* EAGAIN, or a connection that died in the backlog */
                if (pending_from(g, &addr) >= g->app->cfg.max_connections_per_ip) {
                        close(fd);
                        continue;
                }
                struct pending *p = calloc(1, sizeof(*p));
                /* edge-triggered: each arrival of bytes wakes the gate once, though a peek reads none */
                struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | EPOLLET};
                ev.data.ptr = p;
                if (!p || epoll_ctl(g->epoll_fd, EPOLL_CTL_ADD, fd, &ev) != 0) {
                        free(p);
                        close(fd);
                        continue;
                }
                p->fd = fd;
                p->addr = addr;
                p->head_deadline_ms = now_ms() + g->header_timeout_ms;
                p->idle_deadline_ms = now_ms() + g->idle_timeout_ms;
                p->next = g->pending;
                g->pending = p;
                g->n_pending++;
        }
}

/* Past the maximum the listening socket is left alone: new connections wait in the kernel's backlog. */
static void arm_listener(struct gd_gate *g)
{
        bool want = !at_capacity(g);
        if (want == g->listening_armed)
                return;
        struct epoll_event ev = {.events = want ? EPOLLIN : 0, .data.ptr = NULL};
        if (epoll_ctl(g->epoll_fd, EPOLL_CTL_MOD, g->listen_fd, &ev) == 0)
                g->listening_armed = want;
}

static void expire_pending(struct gd_gate *g, long long now)
{
        struct pending *p = g->pending;
        while (p) {
                struct pending *next = p->next;
                if (now >= p->head_deadline_ms || now >= p->idle_deadline_ms) {
                        /* silence past the idle timeout is closed as the library would close it */
                        if (p->lingering || p->seen == 0 || now < p->head_deadline_ms) {
                                pending_close(g, p);
                        } else {
                                struct gd_error err = {0};
                                gd_error_set(&err, GD_ERR_TIMEOUT, "The request head did not arrive within %lld s.",
                                             g->header_timeout_ms / 1000);
                                pending_answer(g, p, 0, &err);
                        }
                }
                p = next;
        }
}

static void sweep_watched(struct gd_gate *g, long long now)
{
        unsigned dropped = 0;
        pthread_mutex_lock(&g->lock);
        for (struct watch *w = g->watched; w; w = w->next) {
                long long since = atomic_load(&w->awaiting_since_ms);
                if (since && now - since >= g->header_timeout_ms) {
                        /* under the lock the socket is still open: the library closes it only after
                         * telling gd_gate_on_connection, which waits for this lock */
                        shutdown(w->fd, SHUT_RDWR);
                        atomic_store(&w->awaiting_since_ms, 0);
                        dropped++;
                }
        }
        pthread_mutex_unlock(&g->lock);
        if (dropped)
                gd_log(g->app, GD_LOG_DEBUG, "kept-alive connections closed: no request head within the header timeout",
                       json_pack("{s:i}", "connections", (int) dropped));
}

static void *gate_main(void *cls)
{
        struct gd_gate *g = cls;
        struct epoll_event events[64];
        long long next_sweep = now_ms() + SWEEP_MS;
        for (;;) {
                long long now = now_ms(), wake = next_sweep;
                for (const struct pending *p = g->pending; p; p = p->next) {
                        if (p->head_deadline_ms < wake)
                                wake = p->head_deadline_ms;
                        if (p->idle_deadline_ms < wake)
                                wake = p->idle_deadline_ms;
                }
                int n = epoll_wait(g->epoll_fd, events, 64, wake > now ? (int) (wake - now) : 0);
                for (int i = 0; i < n; i++) {
                        if (events[i].data.ptr == &g->stop_fd)
                                return NULL;
                        if (events[i].data.ptr == NULL)
                                accept_all(g);
                        else
                                pending_readable(g, events[i].data.ptr, events[i].events);
                }
                now = now_ms();
                expire_pending(g, now);
                if (now >= next_sweep) {
                        sweep_watched(g, now);
                        next_sweep = now + SWEEP_MS;
                }
                arm_listener(g);
        }
}

enum gd_err gd_gate_start(struct gd_gate *g, struct MHD_Daemon *d, struct gd_error *reterr)
{
        g->daemon = d;
        if (pthread_create(&g->thread, NULL, gate_main, g) != 0)
                return gd_error_set(reterr, GD_ERR_INTERNAL, "Cannot start the connection gate: %s", strerror(errno));
        g->started = true;
        return GD_OK;
}

void gd_gate_stop(struct gd_gate *g)
{
        if (!g)
                return;
        if (g->started) {
                uint64_t one = 1;
                if (write(g->stop_fd, &one, sizeof(one)) == (ssize_t) sizeof(one))
                        pthread_join(g->thread, NULL);
                g->started = false;
        }
        while (g->pending)
                pending_close(g, g->pending);
        if (g->listen_fd >= 0)
                close(g->listen_fd);
        g->listen_fd = -1;
}

void gd_gate_free(struct gd_gate *g)
{
        if (!g)
                return;
        gd_gate_stop(g);
        if (g->epoll_fd >= 0)
                close(g->epoll_fd);
        if (g->stop_fd >= 0)
                close(g->stop_fd);
        while (g->watched) {
                struct watch *w = g->watched;
                g->watched = w->next;
                free(w);
        }
        pthread_mutex_destroy(&g->lock);
        free(g);
}

void gd_gate_on_connection(void *cls, struct MHD_Connection *connection, void **socket_context,
                           enum MHD_ConnectionNotificationCode code)
{
        struct gd_gate *g = cls;
        if (code == MHD_CONNECTION_NOTIFY_STARTED) {
                const union MHD_ConnectionInfo *info =
                        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
                struct watch *w = info ? calloc(1, sizeof(*w)) : NULL;
                atomic_fetch_add(&g->library_connections, 1);
                if (!w)
                        return; /* unwatched: the library's idle timeout still closes it */
                w->fd = info->connect_fd;
                atomic_init(&w->awaiting_since_ms, now_ms());
                pthread_mutex_lock(&g->lock);
                w->next = g->watched;
                if (w->next)
                        w->next->prev = w;
                g->watched = w;
                pthread_mutex_unlock(&g->lock);
                *socket_context = w;
                return;
        }
        struct watch *w = *socket_context;
        *socket_context = NULL;
        atomic_fetch_sub(&g->library_connections, 1);
        if (!w)
                return;
        pthread_mutex_lock(&g->lock);
        if (w->prev)
                w->prev->next = w->next;
        else
                g->watched = w->next;
        if (w->next)
                w->next->prev = w->prev;
        pthread_mutex_unlock(&g->lock);
        free(w);
}

struct head_fields {
        struct gd_head_framing framing;
        enum gd_err e;
        struct gd_error *err;
};

static enum MHD_Result check_field(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
        (void) kind;
        struct head_fields *h = cls;
        h->e = gd_head_check_field(&h->framing, key, strlen(key), value ? value : "", value ? strlen(value) : 0,
                                   h->err);
        return h->e == GD_OK ? MHD_YES : MHD_NO;
}

enum gd_err gd_gate_check_head(struct MHD_Connection *connection, const char *version, struct gd_error *reterr)
{
        struct head_fields h = {.framing.http_1_1 = strcmp(version, MHD_HTTP_VERSION_1_0) != 0, .err = reterr};
        MHD_get_connection_values(connection, MHD_HEADER_KIND, check_field, &h);
        if (h.e == GD_OK)
                h.e = gd_head_check_framing(&h.framing, reterr);
        return h.e;
}

static struct watch *watch_of(struct MHD_Connection *connection)
{
        const union MHD_ConnectionInfo *info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
        return info ? info->socket_context : NULL;
}

void gd_gate_head_received(struct MHD_Connection *connection)
{
        struct watch *w = watch_of(connection);
        if (w)
                atomic_store(&w->awaiting_since_ms, 0);
}

void gd_gate_head_awaited(struct MHD_Connection *connection)
{
        struct watch *w = watch_of(connection);
        if (w)
                atomic_store(&w->awaiting_since_ms, now_ms());
}
