/*
 * Renders on the thread pool, admitted by cost (issue 17: a few expensive requests must not
 * stall a worker, and nobody's abandoned request may keep a thread busy).
 *
 * Per worker, on its event loop only, so without locks:
 *
 * - Identical requests share one render. A render is named by the core's key for its job
 *   (iiif_job_traits: everything its answer depends on), and every request that asks for the
 *   same while it is queued or running waits for it and gets a copy of its answer.
 * - A request whose client has gone (nginx's ngx_http_test_reading sees the connection closed)
 *   leaves its render at once. A render nobody waits for any more is dropped before it starts,
 *   or cancelled while it runs (iiif_job_cancel: it stops at its next step, libvips' pipeline
 *   included, and stores nothing).
 * - Cost is the pixels a render decodes and produces. Light renders (a tile, a view of a few
 *   megapixels, NGX_HTTP_IIIF_LIGHT_PIXELS at most) go to the thread pool at once. Heavy ones
 *   run at most iiif_render_slots at a time and within iiif_render_budget pixels (one runs
 *   alone whatever its size); the others wait, in order, up to iiif_render_queue of them and
 *   for iiif_render_queue_timeout, and past that get 503 with Retry-After. With fewer heavy
 *   slots than the pool has threads, cached answers (never here: answered on the event loop)
 *   and light renders such as native tiles never wait behind heavy ones.
 *
 * A render is the worker's, not a request's: it lives on the heap until its thread is done
 * with it, whoever still waits. While it is queued or running, a timer that is not cancelable
 * keeps a gracefully quitting worker alive for it.
 */

#include "ngx_http_iiif.h"

#include <sys/resource.h>
#include <sys/syscall.h>

/* A render of at most this many pixels decoded and produced is light. */
#define NGX_HTTP_IIIF_LIGHT_PIXELS (4 * 1000 * 1000)

/* How often a running render's watchdog fires (it only keeps the timer tree non-empty). */
#define NGX_HTTP_IIIF_WATCHDOG_MS 10000

/* How much nicer than its worker a thread is while it renders: when renders keep every core
 * busy, the workers' event loops (cache hits, new requests) still get most of the time they ask
 * for. */
#define NGX_HTTP_IIIF_RENDER_NICE 10

struct ngx_http_iiif_render_s {
    ngx_queue_t all_link;     /* in the worker's renders, while identical requests may join */
    ngx_queue_t waiting_link; /* in the worker's waiting renders, while heavy and not started */
    ngx_queue_t waiters;      /* of ngx_http_iiif_ctx_t, by waiter_link */
    ngx_uint_t nwaiters;
    iiif_service_t *service;
    iiif_str_t key; /* the job's */
    uint32_t hash;
    long long pixels; /* counted against the budget when heavy */
    uint64_t run_usec; /* how long its thread ran it */
    iiif_job_t *job;
    ngx_thread_pool_t *pool;
    ngx_thread_task_t *task;
    ngx_event_t timer; /* waiting: its deadline; posted: the watchdog */
    ngx_log_t *log;
    unsigned heavy : 1;
    unsigned joinable : 1; /* in the worker's renders */
    unsigned waiting : 1;
    unsigned posted : 1;
};

typedef struct {
    ngx_queue_t all;     /* renders identical requests may join */
    ngx_queue_t waiting; /* heavy renders not started, oldest first */
    ngx_uint_t nwaiting;
    ngx_uint_t heavy_running;
    long long heavy_pixels;
    unsigned ready : 1;
} ngx_http_iiif_scheduler_t;

static ngx_http_iiif_scheduler_t ngx_http_iiif_scheduler;

static void ngx_http_iiif_admit_waiting(ngx_http_iiif_main_conf_t *mcf);

static ngx_http_iiif_scheduler_t *ngx_http_iiif_get_scheduler(void) {
    ngx_http_iiif_scheduler_t *s = &ngx_http_iiif_scheduler;

    if (!s->ready) {
        ngx_queue_init(&s->all);
        ngx_queue_init(&s->waiting);
        s->ready = 1;
    }
    return s;
}

/* ---- The render's life -------------------------------------------------------------------- */

static void ngx_http_iiif_leave_all(ngx_http_iiif_render_t *render) {
    if (render->joinable) {
        ngx_queue_remove(&render->all_link);
        render->joinable = 0;
    }
}

static void ngx_http_iiif_leave_waiting(ngx_http_iiif_render_t *render) {
    if (render->waiting) {
        ngx_queue_remove(&render->waiting_link);
        render->waiting = 0;
        ngx_http_iiif_get_scheduler()->nwaiting--;
        ngx_http_iiif_metrics_render_waits(-1);
    }
}

static void ngx_http_iiif_free_render(ngx_http_iiif_render_t *render) {
    ngx_http_iiif_leave_all(render);
    ngx_http_iiif_leave_waiting(render);
    if (render->timer.timer_set) {
        ngx_del_timer(&render->timer);
    }
    iiif_job_free(render->job);
    ngx_free(render->task);
    ngx_free(render);
}

/* Answers every request still waiting for the render: with its job's answer, or with a 503
 * (Retry-After) when it was not admitted. */
static void ngx_http_iiif_answer_waiters(ngx_http_iiif_render_t *render, ngx_uint_t refused) {
    ngx_queue_t waiters, *q;
    ngx_http_iiif_ctx_t *ctx;
    ngx_http_request_t *r;
    ngx_connection_t *c;
    ngx_int_t rc;

    /* Taken off first: finalizing a request frees it, and its cleanup must find nothing to
     * leave. */
    ngx_queue_init(&waiters);
    while (!ngx_queue_empty(&render->waiters)) {
        q = ngx_queue_head(&render->waiters);
        ngx_queue_remove(q);
        ngx_queue_insert_tail(&waiters, q);
        ctx = ngx_queue_data(q, ngx_http_iiif_ctx_t, waiter_link);
        ctx->render = NULL;
    }
    render->nwaiters = 0;

    while (!ngx_queue_empty(&waiters)) {
        q = ngx_queue_head(&waiters);
        ngx_queue_remove(q);
        ctx = ngx_queue_data(q, ngx_http_iiif_ctx_t, waiter_link);
        r = ctx->request;
        c = r->connection;
        r->read_event_handler = ngx_http_block_reading;
        rc = ngx_http_iiif_send(r, ctx,
                                refused ? iiif_overloaded_response()
                                        : iiif_job_response(render->job));
        if (ctx->joined && !refused) {
            ctx->cache_status = "SHARED"; /* answered by another request's render */
        }
        ngx_http_finalize_request(r, rc);
        ngx_http_run_posted_requests(c);
    }
}

static uint64_t ngx_http_iiif_usec_now(void) {
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)now.tv_sec * 1000000 + (uint64_t)now.tv_nsec / 1000;
}

/* Runs on a pool thread: touches nothing but the job and its time. */
static void ngx_http_iiif_render_thread(void *data, ngx_log_t *log) {
    static __thread int niced;
    ngx_http_iiif_render_t *render = *(ngx_http_iiif_render_t **)data;
    uint64_t start;

    if (!niced) {
        /* Per thread on Linux: the event loop's thread keeps its priority. */
        id_t self = (id_t)syscall(SYS_gettid);
        int base;

        niced = 1;
        errno = 0;
        base = getpriority(PRIO_PROCESS, self);
        if (errno != 0 ||
            setpriority(PRIO_PROCESS, self, ngx_min(base + NGX_HTTP_IIIF_RENDER_NICE, 19)) != 0) {
            ngx_log_error(NGX_LOG_NOTICE, log, ngx_errno, "setpriority of a render thread failed");
        }
    }
    start = ngx_http_iiif_usec_now();
    iiif_job_run(render->job);
    render->run_usec = ngx_http_iiif_usec_now() - start;
}

/* Back on the event loop when the thread is done. */
static void ngx_http_iiif_render_done(ngx_event_t *ev) {
    ngx_http_iiif_render_t *render = ev->data;
    ngx_http_iiif_scheduler_t *s = ngx_http_iiif_get_scheduler();
    ngx_http_iiif_main_conf_t *mcf =
        ngx_http_cycle_get_module_main_conf(ngx_cycle, ngx_http_iiif_module);

    if (render->heavy) {
        s->heavy_running--;
        s->heavy_pixels -= render->pixels;
    }
    ngx_http_iiif_metrics_render_done(render->run_usec);
    ngx_http_iiif_leave_all(render);
    ngx_http_iiif_answer_waiters(render, 0);
    ngx_http_iiif_free_render(render);
    if (mcf != NULL) {
        ngx_http_iiif_admit_waiting(mcf);
    }
}

static void ngx_http_iiif_watchdog(ngx_event_t *ev) {
    ngx_add_timer(ev, NGX_HTTP_IIIF_WATCHDOG_MS);
}

/* A heavy render waited too long for its turn. */
static void ngx_http_iiif_wait_expired(ngx_event_t *ev) {
    ngx_http_iiif_render_t *render = ev->data;

    ngx_http_iiif_leave_waiting(render);
    ngx_http_iiif_leave_all(render);
    ngx_http_iiif_metrics_render_refused(NGX_HTTP_IIIF_REFUSED_TIMEOUT);
    ngx_http_iiif_answer_waiters(render, 1);
    ngx_http_iiif_free_render(render);
}

/* To the thread pool. NGX_ERROR when its queue is full (the caller answers 503). */
static ngx_int_t ngx_http_iiif_start(ngx_http_iiif_render_t *render) {
    ngx_http_iiif_scheduler_t *s = ngx_http_iiif_get_scheduler();

    if (ngx_thread_task_post(render->pool, render->task) != NGX_OK) {
        return NGX_ERROR;
    }
    render->posted = 1;
    ngx_http_iiif_metrics_render_started();
    if (render->heavy) {
        s->heavy_running++;
        s->heavy_pixels += render->pixels;
    }
    if (render->timer.timer_set) {
        ngx_del_timer(&render->timer);
    }
    render->timer.handler = ngx_http_iiif_watchdog;
    ngx_add_timer(&render->timer, NGX_HTTP_IIIF_WATCHDOG_MS);
    return NGX_OK;
}

static ngx_uint_t ngx_http_iiif_fits(ngx_http_iiif_main_conf_t *mcf, long long pixels) {
    ngx_http_iiif_scheduler_t *s = ngx_http_iiif_get_scheduler();

    if (s->heavy_running == 0) {
        return 1; /* alone, whatever its size: the limits bound a single render */
    }
    return s->heavy_running < mcf->render_slots &&
           s->heavy_pixels + pixels <= (long long)mcf->render_budget;
}

/* Starts the waiting renders that now fit, oldest first (none jumps the queue). */
static void ngx_http_iiif_admit_waiting(ngx_http_iiif_main_conf_t *mcf) {
    ngx_http_iiif_scheduler_t *s = ngx_http_iiif_get_scheduler();
    ngx_http_iiif_render_t *render;

    while (!ngx_queue_empty(&s->waiting)) {
        render = ngx_queue_data(ngx_queue_head(&s->waiting), ngx_http_iiif_render_t,
                                waiting_link);
        if (!ngx_http_iiif_fits(mcf, render->pixels)) {
            return;
        }
        ngx_http_iiif_leave_waiting(render);
        if (ngx_http_iiif_start(render) != NGX_OK) {
            ngx_http_iiif_leave_all(render);
            ngx_http_iiif_metrics_render_refused(NGX_HTTP_IIIF_REFUSED_POOL_FULL);
            ngx_http_iiif_answer_waiters(render, 1);
            ngx_http_iiif_free_render(render);
        }
    }
}

/* ---- Requests ----------------------------------------------------------------------------- */

/* The request is freed (answered, or its client has gone): it no longer waits. A render left
 * with nobody is dropped if it has not started, else cancelled. */
static void ngx_http_iiif_leave_render(void *data) {
    ngx_http_iiif_ctx_t *ctx = data;
    ngx_http_iiif_render_t *render = ctx->render;

    if (render == NULL) {
        return;
    }
    ctx->render = NULL;
    ngx_queue_remove(&ctx->waiter_link);
    if (--render->nwaiters > 0) {
        return;
    }
    ngx_http_iiif_leave_all(render); /* a new request for it starts afresh */
    if (render->posted) {
        iiif_job_cancel(render->job); /* freed when its thread is done */
        return;
    }
    ngx_http_iiif_free_render(render);
}

static ngx_int_t ngx_http_iiif_wait_for(ngx_http_request_t *r, ngx_http_iiif_ctx_t *ctx,
                                        ngx_http_iiif_render_t *render) {
    ngx_pool_cleanup_t *cln = ngx_pool_cleanup_add(r->pool, 0);

    if (cln == NULL) {
        return NGX_ERROR;
    }
    cln->handler = ngx_http_iiif_leave_render;
    cln->data = ctx;
    ctx->render = render;
    ngx_queue_insert_tail(&render->waiters, &ctx->waiter_link);
    render->nwaiters++;
    /* A closed connection is noticed while waiting (and ends the request, see above). */
    r->read_event_handler = ngx_http_test_reading;
    r->write_event_handler = ngx_http_request_empty_handler;
    r->main->count++;
    return NGX_OK;
}

static ngx_http_iiif_render_t *ngx_http_iiif_find(iiif_service_t *service, iiif_str_t key,
                                                  uint32_t hash) {
    ngx_http_iiif_scheduler_t *s = ngx_http_iiif_get_scheduler();
    ngx_http_iiif_render_t *render;
    ngx_queue_t *q;

    for (q = ngx_queue_head(&s->all); q != ngx_queue_sentinel(&s->all); q = ngx_queue_next(q)) {
        render = ngx_queue_data(q, ngx_http_iiif_render_t, all_link);
        if (render->hash == hash && render->service == service && render->key.len == key.len &&
            ngx_memcmp(render->key.data, key.data, key.len) == 0) {
            return render;
        }
    }
    return NULL;
}

ngx_int_t ngx_http_iiif_schedule(ngx_http_request_t *r, ngx_http_iiif_loc_conf_t *lcf,
                                 ngx_http_iiif_ctx_t *ctx, iiif_job_t *job) {
    ngx_http_iiif_main_conf_t *mcf = ngx_http_get_module_main_conf(r, ngx_http_iiif_module);
    ngx_http_iiif_scheduler_t *s = ngx_http_iiif_get_scheduler();
    ngx_http_iiif_render_t *render;
    iiif_str_t key;
    long long pixels;
    uint32_t hash;

    iiif_job_traits(job, &key, &pixels);
    hash = key.len ? ngx_crc32_long((u_char *)key.data, key.len) : 0;
    render = key.len ? ngx_http_iiif_find(lcf->service, key, hash) : NULL;
    if (render != NULL) {
        iiif_job_free(job);
        ctx->joined = 1;
        if (ngx_http_iiif_wait_for(r, ctx, render) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
        return NGX_DONE;
    }

    render = ngx_calloc(sizeof(ngx_http_iiif_render_t), r->connection->log);
    if (render == NULL) {
        iiif_job_free(job);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
    render->job = job;
    render->task = ngx_calloc(sizeof(ngx_thread_task_t) + sizeof(ngx_http_iiif_render_t *),
                              r->connection->log);
    if (render->task == NULL) {
        ngx_http_iiif_free_render(render);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
    ngx_queue_init(&render->waiters);
    render->service = lcf->service;
    render->key = key;
    render->hash = hash;
    render->pixels = pixels < 0 ? NGX_HTTP_IIIF_LIGHT_PIXELS + 1 : pixels;
    render->heavy = pixels < 0 || pixels > NGX_HTTP_IIIF_LIGHT_PIXELS;
    render->pool = lcf->thread_pool;
    render->log = ngx_cycle->log;
    render->task->ctx = render->task + 1;
    *(ngx_http_iiif_render_t **)render->task->ctx = render;
    render->task->handler = ngx_http_iiif_render_thread;
    render->task->event.handler = ngx_http_iiif_render_done;
    render->task->event.data = render;
    render->timer.data = render;
    render->timer.log = render->log;
    render->timer.cancelable = 0;

    if (!render->heavy || (ngx_queue_empty(&s->waiting) && ngx_http_iiif_fits(mcf, render->pixels))) {
        if (ngx_http_iiif_start(render) != NGX_OK) {
            ngx_http_iiif_free_render(render);
            ngx_http_iiif_metrics_render_refused(NGX_HTTP_IIIF_REFUSED_POOL_FULL);
            return ngx_http_iiif_send(r, ctx, iiif_overloaded_response());
        }
    } else if (s->nwaiting < mcf->render_queue) {
        ngx_queue_insert_tail(&s->waiting, &render->waiting_link);
        render->waiting = 1;
        s->nwaiting++;
        ngx_http_iiif_metrics_render_waits(1);
        render->timer.handler = ngx_http_iiif_wait_expired;
        ngx_add_timer(&render->timer, mcf->render_queue_timeout);
    } else {
        ngx_http_iiif_free_render(render);
        ngx_http_iiif_metrics_render_refused(NGX_HTTP_IIIF_REFUSED_QUEUE_FULL);
        return ngx_http_iiif_send(r, ctx, iiif_overloaded_response());
    }

    if (key.len) {
        ngx_queue_insert_tail(&s->all, &render->all_link);
        render->joinable = 1;
    }
    if (ngx_http_iiif_wait_for(r, ctx, render) != NGX_OK) {
        if (render->posted) {
            iiif_job_cancel(render->job);
            ngx_http_iiif_leave_all(render);
        } else {
            ngx_http_iiif_free_render(render);
        }
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
    return NGX_DONE;
}
