/*
 * The module's metrics (issue 20), in Prometheus' text exposition format 0.0.4, at a location
 * the sysadmin chooses, as stub_status does:
 *
 *   location = /iiif-metrics {
 *       iiif_metrics;
 *       allow 127.0.0.1;
 *       deny all;
 *   }
 *
 * The counters live in one shared memory zone, "iiif_metrics", made when the directive appears
 * anywhere (without it nothing is counted). Its layout is fixed (a known list of statuses, the
 * rest counted as "other"), so every worker adds to the same words with ngx_atomic_fetch_add,
 * from its event loop, and a scrape reads them without a lock: each value is exact, the lines
 * of one scrape are a moment apart at most. The zone's memory is zeroed when it is made; a
 * reload keeps it (same name, size and tag: nginx hands the old zone's data to the new cycle),
 * so the counters go on across reloads and start again at zero when nginx restarts.
 *
 * What is counted where:
 * - every request a handler of the module took (the image service's, the resolver's), by kind
 *   and status, at the log phase, with the tile cache's hits and misses ($iiif_cache_status);
 * - renders (ngx_http_iiif_render.c): their time on the thread, the running and waiting ones
 *   (gauges each worker raises and lowers by its own), those that waited, those refused;
 * - what the core counts per process (evictions, native tiles), added as deltas after each
 *   render by the worker whose threads did it (iiif_worker_take_counts).
 * The tile cache's size is read at scrape time: one read transaction per cache file.
 */

#include "ngx_http_iiif.h"

#define NGX_HTTP_IIIF_METRICS_ZONE_SIZE (8 * ngx_pagesize)

/* The scrape's body is at most this long (about 7 KB now). */
#define NGX_HTTP_IIIF_METRICS_BODY 32768

#define NGX_HTTP_IIIF_NSTATUSES 20
#define NGX_HTTP_IIIF_NBUCKETS 11

/* The statuses counted by name; any other is "other". */
static const ngx_uint_t ngx_http_iiif_statuses[NGX_HTTP_IIIF_NSTATUSES] = {
    200, 204, 206, 302, 303, 304, 400, 401, 403, 404,
    405, 410, 412, 415, 416, 422, 499, 500, 501, 503};

/* By iiif_kind_t. */
static ngx_str_t ngx_http_iiif_kinds[IIIF_KINDS] = {
    ngx_string("tile"), ngx_string("info"), ngx_string("manifest"), ngx_string("resolver")};

/* By ngx_http_iiif_refusal_e. */
static ngx_str_t ngx_http_iiif_refusals[NGX_HTTP_IIIF_REFUSALS] = {
    ngx_string("queue_full"), ngx_string("timeout"), ngx_string("pool_full")};

/* The histogram's upper bounds: a native tile takes a millisecond, a large region seconds. */
static const struct {
    const char *le;
    uint64_t usec;
} ngx_http_iiif_buckets[NGX_HTTP_IIIF_NBUCKETS] = {
    {"0.005", 5000},     {"0.01", 10000},     {"0.025", 25000},   {"0.05", 50000},
    {"0.1", 100000},     {"0.25", 250000},    {"0.5", 500000},    {"1", 1000000},
    {"2.5", 2500000},    {"5", 5000000},      {"10", 10000000}};

typedef struct {
    ngx_atomic_t requests[IIIF_KINDS][NGX_HTTP_IIIF_NSTATUSES + 1]; /* the last: "other" */
    ngx_atomic_t cache_hits[IIIF_KIND_INFO + 1];                    /* tile and info */
    ngx_atomic_t cache_misses[IIIF_KIND_INFO + 1];
    ngx_atomic_t cache_evictions;
    ngx_atomic_t native_tiles;
    ngx_atomic_t render_buckets[NGX_HTTP_IIIF_NBUCKETS + 1]; /* each its own; the last: +Inf */
    ngx_atomic_t render_usec;
    ngx_atomic_t renders_running; /* gauges, signed */
    ngx_atomic_t renders_waiting;
    ngx_atomic_t renders_queued;
    ngx_atomic_t renders_refused[NGX_HTTP_IIIF_REFUSALS];
} ngx_http_iiif_counters_t;

static ngx_int_t ngx_http_iiif_metrics_handler(ngx_http_request_t *r);

/* The counters of this process's cycle, or NULL when no location has "iiif_metrics". */
static ngx_http_iiif_counters_t *ngx_http_iiif_counters(void) {
    ngx_http_iiif_main_conf_t *mcf =
        ngx_http_cycle_get_module_main_conf(ngx_cycle, ngx_http_iiif_module);

    if (mcf == NULL || mcf->metrics_zone == NULL) {
        return NULL;
    }
    return mcf->metrics_zone->data;
}

/* ---- Configuration ------------------------------------------------------------------------ */

static ngx_int_t ngx_http_iiif_metrics_init_zone(ngx_shm_zone_t *zone, void *data) {
    ngx_slab_pool_t *shpool = (ngx_slab_pool_t *)zone->shm.addr;

    if (data != NULL) {
        zone->data = data; /* a reload: the same memory, the counts go on */
        return NGX_OK;
    }
    if (zone->shm.exists) {
        zone->data = shpool->data;
        return NGX_OK;
    }
    zone->data = ngx_slab_calloc(shpool, sizeof(ngx_http_iiif_counters_t));
    if (zone->data == NULL) {
        return NGX_ERROR;
    }
    shpool->data = zone->data;
    return NGX_OK;
}

char *ngx_http_iiif_metrics(ngx_conf_t *cf, ngx_command_t *cmd, void *conf) {
    static ngx_str_t name = ngx_string("iiif_metrics");
    ngx_http_iiif_loc_conf_t *lcf = conf;
    ngx_http_iiif_main_conf_t *mcf;
    ngx_http_core_loc_conf_t *clcf;

    if (lcf->metrics != NGX_CONF_UNSET) {
        return "is duplicate";
    }
    lcf->metrics = 1;
    mcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_iiif_module);
    if (mcf->metrics_zone == NULL) {
        mcf->metrics_zone = ngx_shared_memory_add(cf, &name, NGX_HTTP_IIIF_METRICS_ZONE_SIZE,
                                                  &ngx_http_iiif_module);
        if (mcf->metrics_zone == NULL) {
            return NGX_CONF_ERROR;
        }
        mcf->metrics_zone->init = ngx_http_iiif_metrics_init_zone;
    }
    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_iiif_metrics_handler;
    return NGX_CONF_OK;
}

/* ---- Counting ----------------------------------------------------------------------------- */

/* The log phase: a request a handler of the module took (it has the module's context). */
static ngx_int_t ngx_http_iiif_metrics_log(ngx_http_request_t *r) {
    ngx_http_iiif_counters_t *c = ngx_http_iiif_counters();
    ngx_http_iiif_ctx_t *ctx = ngx_http_get_module_ctx(r, ngx_http_iiif_module);
    ngx_uint_t status, i;

    if (c == NULL || ctx == NULL) {
        return NGX_OK;
    }
    /* As the access log has it: a client gone while it waited is 499 here too. */
    status = r->err_status ? r->err_status : r->headers_out.status;
    for (i = 0; i < NGX_HTTP_IIIF_NSTATUSES && ngx_http_iiif_statuses[i] != status; i++) {
        /* void */
    }
    ngx_atomic_fetch_add(&c->requests[ctx->kind][i], 1);

    if (ctx->cache_status == NULL ||
        (ctx->kind != IIIF_KIND_TILE && ctx->kind != IIIF_KIND_INFO)) {
        return NGX_OK;
    }
    if (ngx_strcmp(ctx->cache_status, "HIT") == 0) {
        ngx_atomic_fetch_add(&c->cache_hits[ctx->kind], 1);
    } else if (ngx_strcmp(ctx->cache_status, "MISS") == 0 ||
               ngx_strcmp(ctx->cache_status, "SHARED") == 0) {
        ngx_atomic_fetch_add(&c->cache_misses[ctx->kind], 1);
    }
    return NGX_OK;
}

ngx_int_t ngx_http_iiif_metrics_init(ngx_conf_t *cf) {
    ngx_http_iiif_main_conf_t *mcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_iiif_module);
    ngx_http_core_main_conf_t *cmcf;
    ngx_http_handler_pt *h;

    if (mcf->metrics_zone == NULL) {
        return NGX_OK;
    }
    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);
    h = ngx_array_push(&cmcf->phases[NGX_HTTP_LOG_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }
    *h = ngx_http_iiif_metrics_log;
    return NGX_OK;
}

void ngx_http_iiif_metrics_render_started(void) {
    ngx_http_iiif_counters_t *c = ngx_http_iiif_counters();

    if (c != NULL) {
        ngx_atomic_fetch_add(&c->renders_running, 1);
    }
}

void ngx_http_iiif_metrics_render_done(uint64_t usec) {
    ngx_http_iiif_counters_t *c = ngx_http_iiif_counters();
    long long evictions, native_tiles;
    ngx_uint_t i;

    if (c == NULL) {
        return;
    }
    for (i = 0; i < NGX_HTTP_IIIF_NBUCKETS && usec > ngx_http_iiif_buckets[i].usec; i++) {
        /* void */
    }
    ngx_atomic_fetch_add(&c->render_buckets[i], 1);
    ngx_atomic_fetch_add(&c->render_usec, (ngx_atomic_int_t)usec);
    ngx_atomic_fetch_add(&c->renders_running, (ngx_atomic_int_t)-1);

    /* The render's thread may have evicted entries or served a native tile. */
    iiif_worker_take_counts(&evictions, &native_tiles);
    if (evictions > 0) {
        ngx_atomic_fetch_add(&c->cache_evictions, (ngx_atomic_int_t)evictions);
    }
    if (native_tiles > 0) {
        ngx_atomic_fetch_add(&c->native_tiles, (ngx_atomic_int_t)native_tiles);
    }
}

void ngx_http_iiif_metrics_render_waits(ngx_int_t delta) {
    ngx_http_iiif_counters_t *c = ngx_http_iiif_counters();

    if (c == NULL) {
        return;
    }
    ngx_atomic_fetch_add(&c->renders_waiting, (ngx_atomic_int_t)delta);
    if (delta > 0) {
        ngx_atomic_fetch_add(&c->renders_queued, (ngx_atomic_int_t)delta);
    }
}

void ngx_http_iiif_metrics_render_refused(ngx_http_iiif_refusal_e reason) {
    ngx_http_iiif_counters_t *c = ngx_http_iiif_counters();

    if (c != NULL) {
        ngx_atomic_fetch_add(&c->renders_refused[reason], 1);
    }
}

/* ---- The scrape --------------------------------------------------------------------------- */

static u_char *ngx_http_iiif_metric_head(u_char *p, u_char *last, const char *name,
                                         const char *type, const char *help) {
    return ngx_slprintf(p, last, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static u_char *ngx_http_iiif_metrics_requests(ngx_http_iiif_counters_t *c, u_char *p,
                                              u_char *last) {
    ngx_uint_t k, i;

    p = ngx_http_iiif_metric_head(p, last, "iiif_requests_total", "counter",
                                  "Requests the module answered, by what they asked for and "
                                  "by status (other: a status not listed).");
    for (k = 0; k < IIIF_KINDS; k++) {
        for (i = 0; i < NGX_HTTP_IIIF_NSTATUSES; i++) {
            p = ngx_slprintf(p, last, "iiif_requests_total{kind=\"%V\",status=\"%ui\"} %uA\n",
                             &ngx_http_iiif_kinds[k], ngx_http_iiif_statuses[i],
                             c->requests[k][i]);
        }
        p = ngx_slprintf(p, last, "iiif_requests_total{kind=\"%V\",status=\"other\"} %uA\n",
                         &ngx_http_iiif_kinds[k], c->requests[k][NGX_HTTP_IIIF_NSTATUSES]);
    }
    return p;
}

static u_char *ngx_http_iiif_metrics_cache(ngx_http_iiif_counters_t *c, u_char *p, u_char *last) {
    long long used, max;
    ngx_uint_t k;

    p = ngx_http_iiif_metric_head(p, last, "iiif_tile_cache_hits_total", "counter",
                                  "Images and info.json answered from the tile cache.");
    for (k = IIIF_KIND_TILE; k <= IIIF_KIND_INFO; k++) {
        p = ngx_slprintf(p, last, "iiif_tile_cache_hits_total{kind=\"%V\"} %uA\n",
                         &ngx_http_iiif_kinds[k], c->cache_hits[k]);
    }
    p = ngx_http_iiif_metric_head(p, last, "iiif_tile_cache_misses_total", "counter",
                                  "Images and info.json the tile cache did not hold, answered "
                                  "by a render (the request's own or one it shared).");
    for (k = IIIF_KIND_TILE; k <= IIIF_KIND_INFO; k++) {
        p = ngx_slprintf(p, last, "iiif_tile_cache_misses_total{kind=\"%V\"} %uA\n",
                         &ngx_http_iiif_kinds[k], c->cache_misses[k]);
    }
    p = ngx_http_iiif_metric_head(p, last, "iiif_tile_cache_evictions_total", "counter",
                                  "Entries evicted from the tile cache to keep it within "
                                  "iiif_cache_max_size.");
    p = ngx_slprintf(p, last, "iiif_tile_cache_evictions_total %uA\n", c->cache_evictions);

    iiif_worker_cache_size(&used, &max);
    p = ngx_http_iiif_metric_head(p, last, "iiif_tile_cache_size_bytes", "gauge",
                                  "Bytes the tile cache's entries take now.");
    p = ngx_slprintf(p, last, "iiif_tile_cache_size_bytes %L\n", used);
    p = ngx_http_iiif_metric_head(p, last, "iiif_tile_cache_max_bytes", "gauge",
                                  "Bytes the tile cache is kept within (iiif_cache_max_size).");
    p = ngx_slprintf(p, last, "iiif_tile_cache_max_bytes %L\n", max);

    p = ngx_http_iiif_metric_head(p, last, "iiif_native_tiles_total", "counter",
                                  "Renders that sent a master's JPEG tile as stored, without "
                                  "decoding it.");
    return ngx_slprintf(p, last, "iiif_native_tiles_total %uA\n", c->native_tiles);
}

static u_char *ngx_http_iiif_metrics_renders(ngx_http_iiif_counters_t *c, u_char *p,
                                             u_char *last) {
    ngx_atomic_uint_t count = 0, usec = c->render_usec;
    ngx_uint_t i;

    p = ngx_http_iiif_metric_head(p, last, "iiif_render_seconds", "histogram",
                                  "Time renders took on the thread pool.");
    for (i = 0; i < NGX_HTTP_IIIF_NBUCKETS; i++) {
        count += c->render_buckets[i];
        p = ngx_slprintf(p, last, "iiif_render_seconds_bucket{le=\"%s\"} %uA\n",
                         ngx_http_iiif_buckets[i].le, count);
    }
    count += c->render_buckets[NGX_HTTP_IIIF_NBUCKETS];
    p = ngx_slprintf(p, last, "iiif_render_seconds_bucket{le=\"+Inf\"} %uA\n", count);
    p = ngx_slprintf(p, last, "iiif_render_seconds_sum %uA.%06uA\n", usec / 1000000,
                     usec % 1000000);
    p = ngx_slprintf(p, last, "iiif_render_seconds_count %uA\n", count);

    p = ngx_http_iiif_metric_head(p, last, "iiif_renders_running", "gauge",
                                  "Renders on the thread pool now, running or in its queue.");
    p = ngx_slprintf(p, last, "iiif_renders_running %A\n", (ngx_atomic_int_t)c->renders_running);
    p = ngx_http_iiif_metric_head(p, last, "iiif_renders_waiting", "gauge",
                                  "Heavy renders waiting now for a slot (iiif_render_slots).");
    p = ngx_slprintf(p, last, "iiif_renders_waiting %A\n", (ngx_atomic_int_t)c->renders_waiting);
    p = ngx_http_iiif_metric_head(p, last, "iiif_renders_queued_total", "counter",
                                  "Heavy renders that had to wait for a slot.");
    p = ngx_slprintf(p, last, "iiif_renders_queued_total %uA\n", c->renders_queued);
    p = ngx_http_iiif_metric_head(p, last, "iiif_renders_refused_total", "counter",
                                  "Renders refused with 503: the wait queue full, the wait too "
                                  "long, or the thread pool's queue full.");
    for (i = 0; i < NGX_HTTP_IIIF_REFUSALS; i++) {
        p = ngx_slprintf(p, last, "iiif_renders_refused_total{reason=\"%V\"} %uA\n",
                         &ngx_http_iiif_refusals[i], c->renders_refused[i]);
    }
    return p;
}

static ngx_int_t ngx_http_iiif_metrics_handler(ngx_http_request_t *r) {
    ngx_http_iiif_counters_t *c = ngx_http_iiif_counters();
    ngx_table_elt_t *h;
    ngx_chain_t out;
    ngx_buf_t *b;
    ngx_int_t rc;

    if (!(r->method & (NGX_HTTP_GET | NGX_HTTP_HEAD))) {
        h = ngx_list_push(&r->headers_out.headers);
        if (h == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
        h->hash = 1;
        ngx_str_set(&h->key, "Allow");
        ngx_str_set(&h->value, "GET, HEAD");
        return NGX_HTTP_NOT_ALLOWED;
    }
    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }
    if (c == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR; /* the directive made the zone: not reached */
    }

    b = ngx_create_temp_buf(r->pool, NGX_HTTP_IIIF_METRICS_BODY);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
    b->last = ngx_http_iiif_metrics_requests(c, b->last, b->end);
    b->last = ngx_http_iiif_metrics_cache(c, b->last, b->end);
    b->last = ngx_http_iiif_metrics_renders(c, b->last, b->end);
    if (b->last == b->end) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0, "iiif: the metrics outgrew %d bytes",
                      NGX_HTTP_IIIF_METRICS_BODY);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
    h->hash = 1;
    ngx_str_set(&h->key, "Cache-Control");
    ngx_str_set(&h->value, "no-store");
    r->headers_out.status = NGX_HTTP_OK;
    ngx_str_set(&r->headers_out.content_type, "text/plain; version=0.0.4; charset=utf-8");
    r->headers_out.content_type_len = sizeof("text/plain") - 1;
    r->headers_out.content_length_n = b->last - b->pos;

    rc = ngx_http_send_header(r);
    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }
    out.buf = b;
    out.next = NULL;
    return ngx_http_output_filter(r, &out);
}
