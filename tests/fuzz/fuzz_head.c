/* SPDX-License-Identifier: MIT */
/*
 * Request heads the way a hostile client sends them. The raw bytes go to gd_head_scan, the gate's
 * rules; a head it accepts then goes, as the gate hands it over, over a socket to a real
 * libmicrohttpd daemon set up as server.c sets it up, whose access handler checks the parsed fields
 * with gd_gate_check_head as guestd's first call does. What comes back must be a run of whole
 * responses: a second response head inside a body, or bytes after a "Connection: close" answer, is
 * the desynchronization the gate exists to prevent.
 */
#include <errno.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "fuzz_common.h"
#include "gate.h"
#include "guestd/head.h"

/* As src/http/server.c: the library's per-connection memory, which bounds the head it will parse. */
#define CONNECTION_MEMORY_LIMIT (16 * 1024)
/* The library drops an idle connection after 1 s; an answer still unfinished after 2 s is a hang. */
#define CONNECTION_TIMEOUT_S 1
#define DEADLINE_MS 2000
/* How long the library may leave sent bytes unread before the write side is shut down anyway. */
#define UNREAD_WAIT_MS 20

static struct MHD_Daemon *daemon_;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t closed = PTHREAD_COND_INITIALIZER;
static unsigned open_connections; /* under lock */
static atomic_uint requests;      /* seen by the access handler on the current connection */

struct fuzz_req {
        bool answered;
};

static long long now_ms(void) 
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A refused head carries one of the codes of head.h and a reason for the client. */
static void check_head_error(enum gd_err e, const struct gd_error *err)
{
        FUZZ_ASSERT(e == GD_ERR_BAD_REQUEST || e == GD_ERR_TOO_LARGE || e == GD_ERR_NOT_IMPLEMENTED);
        FUZZ_ASSERT(err->code == e);
        FUZZ_ASSERT(memchr(err->detail, '\0', sizeof(err->detail)) != NULL && err->detail[0] != '\0');
}

/* Exactly one response per request. A HEAD answer has no body, so it declares none either: the
 * answer then reads the same whether or not the library sends the body. */
static enum MHD_Result answer(struct MHD_Connection *connection, struct fuzz_req *r, const char *method,
                              unsigned status)
{
        FUZZ_ASSERT(!r->answered);
        const char *body = strcmp(method, MHD_HTTP_METHOD_HEAD) == 0 ? "" : status == 200 ? "ok" : "refused";
        struct MHD_Response *response =
                MHD_create_response_from_buffer(strlen(body), (void *) body, MHD_RESPMEM_PERSISTENT);
        FUZZ_ASSERT(response != NULL);
        /* as reply.c does for a refused head: where its request ends is in doubt */
        if (status != 200)
                FUZZ_ASSERT(MHD_add_response_header(response, MHD_HTTP_HEADER_CONNECTION, "close") ==
                            MHD_YES);
        enum MHD_Result ret = MHD_queue_response(connection, status, response);
        MHD_destroy_response(response);
        /* Refused when the library called with *upload_data_size == 0 before the request's end, which
         * server.c too takes for the last call: 0.9.75 does so for "Expect: 100-continue" without a
         * body when more bytes follow the head. */
        FUZZ_ASSERT(ret == MHD_YES);
        r->answered = true;
        return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *connection, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **req_cls)
{
        (void) cls;
        (void) url;
        (void) upload_data;
        struct fuzz_req *r = *req_cls;
        if (!r) {
                r = calloc(1, sizeof(*r));
                FUZZ_ASSERT(r != NULL);
                *req_cls = r;
                struct gd_error err = {0};
                enum gd_err e = gd_gate_check_head(connection, version, &err);
                /* the first head is the one gd_head_scan accepted: both readings of it must agree */
                if (atomic_fetch_add(&requests, 1) == 0 && e != GD_OK) {
                        fprintf(stderr, "the gate passed a head its parsed fields fail: %s (%s %s %s)\n",
                                err.detail, method, url, version);
                        abort();
                }
                if (e == GD_OK)
                        return MHD_YES;
                check_head_error(e, &err);
                return answer(connection, r, method, gd_problem_for(e)->status);
        }
        if (*upload_data_size > 0) {
                *upload_data_size = 0;
                return MHD_YES;
        }
        if (r->answered)
                return MHD_YES;
        return answer(connection, r, method, 200);
}

static void on_completed(void *cls, struct MHD_Connection *connection, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
        (void) cls;
        (void) connection;
        struct fuzz_req *r = *req_cls;
        *req_cls = NULL;
        if (r && toe == MHD_REQUEST_TERMINATED_COMPLETED_OK)
                FUZZ_ASSERT(r->answered);
        free(r);
}

static void on_connection(void *cls, struct MHD_Connection *connection, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
        (void) cls;
        (void) connection;
        (void) socket_context;
        pthread_mutex_lock(&lock);
        if (code == MHD_CONNECTION_NOTIFY_STARTED) {
                open_connections++;
        } else {
                open_connections--;
                pthread_cond_broadcast(&closed);
        }
        pthread_mutex_unlock(&lock);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        (void) argc;
        (void) argv;
        /* started once and left running: the daemon is reachable at exit, so LeakSanitizer sees no leak */
        daemon_ = MHD_start_daemon(
                MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC | MHD_USE_NO_LISTEN_SOCKET,
                0, NULL, NULL, &on_request, NULL,
                MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int) CONNECTION_TIMEOUT_S,
                MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t) CONNECTION_MEMORY_LIMIT,
                MHD_OPTION_STRICT_FOR_CLIENT, (int) 0,
                MHD_OPTION_NOTIFY_CONNECTION, &on_connection, NULL,
                MHD_OPTION_NOTIFY_COMPLETED, &on_completed, NULL,
                MHD_OPTION_END);
        FUZZ_ASSERT(daemon_ != NULL);
        return 0;
}

/* A prefix of the input is still incomplete, or already has the verdict of the whole input. */
static void check_prefix(const char *buf, size_t at, enum gd_err e, size_t head_len)
{
        size_t part_len;
        struct gd_error part_err = {0};
        enum gd_err part = gd_head_scan(buf, at, &part_len, &part_err);
        if (part == GD_OK && part_len == 0)
                FUZZ_ASSERT(head_len == 0 || at < head_len);
        else
                FUZZ_ASSERT(part == e && part_len == head_len && at >= head_len);
}

/* The scan's contract, and that bytes arriving later never change a verdict already given. */
static void check_scan(const char *buf, size_t len, enum gd_err e, size_t head_len,
                       const struct gd_error *err)
{
        FUZZ_ASSERT(head_len <= len);
        if (e != GD_OK)
                check_head_error(e, err);
        /* some 32 cuts, the byte before the empty line ends, the whole input again */
        for (size_t cut = 0; cut < len; cut += len / 32 + 1)
                check_prefix(buf, cut, e, head_len);
        if (head_len > 0)
                check_prefix(buf, head_len - 1, e, head_len);
        check_prefix(buf, len, e, head_len);
}

struct answer {
        char *buf;
        size_t len, cap;
};

static void answer_append(struct answer *a, const char *p, size_t n)
{
        if (a->len + n > a->cap) {
                a->cap = (a->len + n) * 2;
                a->buf = realloc(a->buf, a->cap);
                FUZZ_ASSERT(a->buf != NULL);
        }
        memcpy(a->buf + a->len, p, n);
        a->len += n;
}

static void answer_fail(const struct answer *a, size_t at, const char *why)
{
        fprintf(stderr, "bad answer at byte %zu: %s\n---\n%.*s\n---\n", at, why, (int) a->len, a->buf);
        abort();
}

/* The value of header `name` in the response head h (up to its empty line), NULL if absent. */
static const char *header_value(const char *h, size_t n, const char *name, size_t *ret_len)
{
        size_t name_len = strlen(name);
        for (size_t pos = 0; pos < n;) {
                const char *lf = memchr(h + pos, '\n', n - pos);
                size_t end = lf ? (size_t) (lf - h) : n;
                if (end - pos > name_len && h[pos + name_len] == ':' &&
                    strncasecmp(h + pos, name, name_len) == 0) {
                        size_t v = pos + name_len + 1;
                        while (v < end && h[v] == ' ')
                                v++;
                        size_t v_end = end;
                        while (v_end > v && (h[v_end - 1] == '\r' || h[v_end - 1] == ' '))
                                v_end--;
                        *ret_len = v_end - v;
                        return h + v;
                }
                pos = end + 1;
        }
        return NULL;
}

/* The bytes the library wrote back: the first response whole, and nothing after it when it closes.
 * Only the first: a later request on a kept-alive connection is parsed by the library alone, and
 * libmicrohttpd 0.9.75 still answers a malformed Content-Length there with its headers twice (the
 * gap the README's "Request framing" names; the fuzzer finds it at once). */
static void check_answer(const struct answer *a)
{
        size_t pos = 0;
        bool closing = false;
        for (unsigned n = 0; pos < a->len && (n < 1 || closing); n++) {
                const char *r = a->buf + pos;
                size_t left = a->len - pos, head_len = 0, v_len = 0;
                if (closing)
                        answer_fail(a, pos, "bytes after a response that closes the connection");
                if (left < 13 || memcmp(r, "HTTP/1.", 7) != 0 || r[8] != ' ')
                        answer_fail(a, pos, "not a status line");
                for (size_t i = 0; i + 3 < left && !head_len; i++)
                        if (memcmp(r + i, "\r\n\r\n", 4) == 0)
                                head_len = i + 4;
                if (!head_len)
                        answer_fail(a, pos, "a response head without its end");
                unsigned status = (unsigned) atoi(r + 9);
                const char *v = header_value(r, head_len, "Connection", &v_len);
                closing = v && v_len == 5 && strncasecmp(v, "close", 5) == 0;
                v = header_value(r, head_len, "Transfer-Encoding", &v_len);
                if (v)
                        answer_fail(a, pos, "a chunked response to a body of known size");
                v = header_value(r, head_len, "Content-Length", &v_len);
                size_t body = v ? strtoull(v, NULL, 10) : left - head_len;
                if (status < 200 || status == 204 || status == 304)
                        body = 0;
                if (left - head_len < body) {
                        /* the library's own answer to HEAD: declared, not sent, and the last one */
                        if (left != head_len || !closing)
                                answer_fail(a, pos, "a body shorter than its Content-Length");
                        body = 0;
                }
                pos += head_len + body;
        }
}

/* Waits until the library has read what was sent (or stopped reading). In epoll mode it reads a
 * socket once per readiness edge and takes a short read for "drained": an end of stream that
 * arrives together with the bytes is seen only at its idle timeout, 1 s later. Shut down after
 * the read, the end of stream is an edge of its own. */
static void await_read(int fd)
{
        int unread = -1;
        long long since = now_ms();
        for (;;) {
                int now_unread;
                if (ioctl(fd, SIOCOUTQ, &now_unread) != 0 || now_unread == 0)
                        return;
                if (now_unread != unread) {
                        unread = now_unread;
                        since = now_ms();
                } else if (now_ms() - since >= UNREAD_WAIT_MS) {
                        return;
                }
                struct timespec pause = {.tv_nsec = 20 * 1000};
                nanosleep(&pause, NULL);
        }
}

/* Sends the input over a fresh connection of the daemon, as the gate hands one over, and reads the
 * answer until the library closes it. */
static void exchange(const uint8_t *data, size_t size)
{
        int sv[2];
        FUZZ_ASSERT(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) == 0);
        struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(40000),
                                   .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        atomic_store(&requests, 0);
        /* on failure the library has closed sv[1] itself */
        FUZZ_ASSERT(MHD_add_connection(daemon_, sv[1], (struct sockaddr *) &addr, sizeof(addr)) == MHD_YES);
        struct answer a = {0};
        size_t sent = 0;
        long long deadline = now_ms() + DEADLINE_MS;
        for (;;) {
                long long left = deadline - now_ms();
                if (left <= 0) {
                        fprintf(stderr,
                                "no end of the answer within %d ms (%zu of %zu bytes sent, %zu received)\n",
                                DEADLINE_MS, sent, size, a.len);
                        abort();
                }
                struct pollfd p = {.fd = sv[0], .events = POLLIN | (sent < size ? POLLOUT : 0)};
                if (poll(&p, 1, (int) left) <= 0)
                        continue;
                if (sent < size && (p.revents & POLLOUT)) {
                        ssize_t n = send(sv[0], data + sent, size - sent, MSG_NOSIGNAL);
                        /* the library closed early: nothing more to send */
                        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
                                n = (ssize_t) (size - sent);
                        if (n > 0)
                                sent += (size_t) n;
                        if (sent == size) {
                                await_read(sv[0]);
                                shutdown(sv[0], SHUT_WR);
                        }
                }
                if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
                        char buf[4096];
                        ssize_t n = recv(sv[0], buf, sizeof(buf), 0);
                        if (n > 0)
                                answer_append(&a, buf, (size_t) n);
                        else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
                                break; /* closed, or reset after the library left bytes unread */
                }
        }
        close(sv[0]);
        check_answer(&a);
        free(a.buf);
        /* the next input starts on a daemon with no connection left */
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += DEADLINE_MS / 1000;
        pthread_mutex_lock(&lock);
        while (open_connections > 0)
                if (pthread_cond_timedwait(&closed, &lock, &until) == ETIMEDOUT && open_connections > 0) {
                        fprintf(stderr, "the library kept a closed connection for %d ms\n", DEADLINE_MS);
                        abort();
                }
        pthread_mutex_unlock(&lock);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct gd_error err = {0};
        size_t head_len = 12345;
        enum gd_err e = gd_head_scan((const char *) data, size, &head_len, &err);
        check_scan((const char *) data, size, e, head_len, &err);
        if (e == GD_OK && head_len > 0)
                exchange(data, size);
        return 0;
}
