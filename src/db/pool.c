/* SPDX-License-Identifier: MIT */
/* A fixed set of connections, each used by one thread at a time; waiting is bounded. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "internal.h"

struct gd_pool {
        pthread_mutex_t lock;
        pthread_cond_t freed;
        int size;
        int n_free;
        int waiting;
        int wait_ms;
        uint64_t wait_timeouts; /* under the lock, which an acquisition holds anyway */
        struct gd_conn **free_list; /* stack of idle connections */
        struct gd_conn **all;
};

enum gd_err gd_pool_new(const struct gd_db_config *cfg, struct gd_pool **ret, struct gd_error *reterr)
{
        struct gd_pool *p = calloc(1, sizeof(*p));
        if (!p)
                return gd_error_set(reterr, GD_ERR_NOMEM, NULL);
        p->size = cfg->pool_size > 0 ? cfg->pool_size : 1;
        p->wait_ms = cfg->pool_wait_ms;
        p->free_list = calloc((size_t) p->size, sizeof(*p->free_list));
        p->all = calloc((size_t) p->size, sizeof(*p->all));
        pthread_mutex_init(&p->lock, NULL);
        pthread_cond_init(&p->freed, NULL);
        if (!p->free_list || !p->all) {
                gd_pool_free(p);
                return gd_error_set(reterr, GD_ERR_NOMEM, NULL);
        }
        for (int i = 0; i < p->size; i++) {
                p->all[i] = gd_conn_new_lazy(cfg);
                if (!p->all[i]) {
                        gd_pool_free(p);
                        return gd_error_set(reterr, GD_ERR_NOMEM, NULL);
                }
                p->free_list[p->n_free++] = p->all[i];
        }
        *ret = p;
        return GD_OK;
}

void gd_pool_free(struct gd_pool *p)
{
        if (!p)
                return;
        for (int i = 0; p->all && i < p->size; i++)
                gd_conn_free(p->all[i]);
        free(p->all);
        free(p->free_list);
        pthread_mutex_destroy(&p->lock);
        pthread_cond_destroy(&p->freed);
        free(p);
}

enum gd_err gd_pool_acquire(struct gd_pool *p, struct gd_conn **ret, struct gd_error *reterr)
{
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += p->wait_ms / 1000;
        until.tv_nsec += (long) (p->wait_ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
                until.tv_sec++;
                until.tv_nsec -= 1000000000L;
        }

        pthread_mutex_lock(&p->lock);
        p->waiting++;
        int rc = 0;
        while (p->n_free == 0 && rc != ETIMEDOUT)
                rc = pthread_cond_timedwait(&p->freed, &p->lock, &until);
        p->waiting--;
        struct gd_conn *c = p->n_free > 0 ? p->free_list[--p->n_free] : NULL;
        if (!c)
                p->wait_timeouts++;
        pthread_mutex_unlock(&p->lock);

        if (!c) {
                gd_error_set_cause(reterr, "no database connection free after %d ms", p->wait_ms);
                return gd_error_set(reterr, GD_ERR_UNAVAILABLE, "The server is busy.");
        }
        enum gd_err e = gd_conn_ensure(c, reterr);
        if (e != GD_OK) {
                gd_pool_release(p, c);
                return e;
        }
        *ret = c;
        return GD_OK;
}

void gd_pool_release(struct gd_pool *p, struct gd_conn *c)
{
        if (!c)
                return;
        /* never hand a connection with an open transaction to the next request */
        if (!gd_conn_is_idle(c))
                gd_conn_rollback_all(c);
        pthread_mutex_lock(&p->lock);
        p->free_list[p->n_free++] = c;
        pthread_cond_signal(&p->freed);
        pthread_mutex_unlock(&p->lock);
}

void gd_pool_stats(struct gd_pool *p, struct gd_pool_stats *ret)
{
        pthread_mutex_lock(&p->lock);
        ret->size = p->size;
        ret->in_use = p->size - p->n_free;
        ret->idle = p->n_free;
        ret->waiting = p->waiting;
        ret->wait_timeouts = p->wait_timeouts;
        pthread_mutex_unlock(&p->lock);
}
