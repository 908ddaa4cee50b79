/*
 * ngx_http_iiif_module: the IIIF Image API 2.1 and 3.0 inside nginx.
 *
 * Glue only. Requests are parsed, looked up in the tile cache and answered by the core
 * (iiif_facade.h); what needs decoding or encoding runs as a task on an nginx thread
 * pool, so the event loop never waits on an image.
 *
 *   load_module modules/ngx_http_iiif_module.so;
 *   thread_pool iiif threads=4 max_queue=256;
 *   location /iiif/3/ {
 *       iiif                3;
 *       iiif_source_dir     /srv/images;
 *       iiif_catalog        /var/lib/iiifd/catalog.mdb;
 *       iiif_cache_path     /var/cache/nginx/iiif;
 *       iiif_thread_pool    iiif;
 *   }
 *   location /ark: {
 *       iiif_ark_resolver;
 *       iiif_catalog        /var/lib/iiifd/catalog.mdb;
 *   }
 *
 * The ARK resolver answers on the event loop: one catalog lookup, no thread.
 *
 * This file holds the configuration, the handlers and the thread-pool glue; the request is
 * read for the core in ngx_http_iiif_request.c and its answer sent in ngx_http_iiif_response.c.
 * The metrics ("iiif_metrics") are counted and served by ngx_http_iiif_metrics.c.
 */

#include "ngx_http_iiif.h"

#if !(NGX_THREADS)
#error "ngx_http_iiif_module needs nginx built --with-threads"
#endif

/* How often a worker lets go of the tile cache's read snapshots no response needs any more. */
#define NGX_HTTP_IIIF_TICK_MS 5000


/* Unless iiif_decoded_cache_size says otherwise: a whole 5000x4000 level of a TIFF master, kept
 * as YCbCr 4:2:0 planes, is 30 MB (60 MB in RGB, as a JPEG 2000's blocks are kept). */
#define NGX_HTTP_IIIF_DECODED_CACHE_SIZE (64 * 1024 * 1024)

/* Unless iiif_send_arena_size says otherwise: the bytes of the hits a worker sends with
 * sendfile() (common/serve/send_arena.hpp); one image's whole tile pyramid is about 15 MB. */
#define NGX_HTTP_IIIF_SEND_ARENA_SIZE (64 * 1024 * 1024)

/* Admission of heavy renders, unless configured (ngx_http_iiif_render.c): two at once within
 * 64m (2^26) pixels decoded and produced (about 200 MB of RGB), 64 waiting for 10 s at most. */
#define NGX_HTTP_IIIF_RENDER_BUDGET (64 * 1024 * 1024)
#define NGX_HTTP_IIIF_RENDER_SLOTS 2
#define NGX_HTTP_IIIF_RENDER_QUEUE 64
#define NGX_HTTP_IIIF_RENDER_QUEUE_TIMEOUT 10000

static ngx_int_t ngx_http_iiif_add_variables(ngx_conf_t *cf);
static void *ngx_http_iiif_create_main_conf(ngx_conf_t *cf);
static char *ngx_http_iiif_init_main_conf(ngx_conf_t *cf, void *conf);
static void *ngx_http_iiif_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_iiif_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child);
static char *ngx_http_iiif(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
static char *ngx_http_iiif_ark_resolver(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
static ngx_int_t ngx_http_iiif_init_process(ngx_cycle_t *cycle);
static void ngx_http_iiif_exit_process(ngx_cycle_t *cycle);

static ngx_conf_num_bounds_t ngx_http_iiif_quality_bounds = {ngx_http_iiif_check_bounds, 1, 100};
static ngx_conf_num_bounds_t ngx_http_iiif_tile_bounds = {ngx_http_iiif_check_bounds, 64, 4096};
static ngx_conf_num_bounds_t ngx_http_iiif_slot_bounds = {ngx_http_iiif_check_bounds, 1, 1024};
static ngx_conf_num_bounds_t ngx_http_iiif_queue_bounds = {ngx_http_iiif_check_bounds, 0, 100000};
static ngx_conf_num_bounds_t ngx_http_iiif_side_bounds = {ngx_http_iiif_check_bounds, 0,
                                                          NGX_MAX_INT32_VALUE};

static ngx_conf_enum_t ngx_http_iiif_withdrawn_statuses[] = {
    {ngx_string("410"), 410}, {ngx_string("404"), 404}, {ngx_null_string, 0}};

static ngx_command_t ngx_http_iiif_commands[] = {
    {ngx_string("iiif"), NGX_HTTP_SRV_CONF | NGX_HTTP_LOC_CONF | NGX_CONF_TAKE1, ngx_http_iiif,
     NGX_HTTP_LOC_CONF_OFFSET, 0, NULL},
    {ngx_string("iiif_ark_resolver"), NGX_HTTP_LOC_CONF | NGX_CONF_NOARGS,
     ngx_http_iiif_ark_resolver, NGX_HTTP_LOC_CONF_OFFSET, 0, NULL},
    {ngx_string("iiif_metrics"), NGX_HTTP_LOC_CONF | NGX_CONF_NOARGS, ngx_http_iiif_metrics,
     NGX_HTTP_LOC_CONF_OFFSET, 0, NULL},
    {ngx_string("iiif_prefix"), NGX_HTTP_SRV_CONF | NGX_HTTP_LOC_CONF | NGX_CONF_TAKE1,
     ngx_http_iiif_set_url_path, NGX_HTTP_LOC_CONF_OFFSET,
     offsetof(ngx_http_iiif_loc_conf_t, prefix), NULL},
    {ngx_string("iiif_source_dir"), NGX_HTTP_MAIN_CONF | NGX_HTTP_SRV_CONF | NGX_HTTP_LOC_CONF | NGX_CONF_TAKE1,
     ngx_http_iiif_set_existing_dir, NGX_HTTP_LOC_CONF_OFFSET,
     offsetof(ngx_http_iiif_loc_conf_t, source_dir), NULL},
    {ngx_string("iiif_catalog"), NGX_HTTP_MAIN_CONF | NGX_HTTP_SRV_CONF | NGX_HTTP_LOC_CONF | NGX_CONF_TAKE1,
     ngx_http_iiif_set_file_path, NGX_HTTP_LOC_CONF_OFFSET,
     offsetof(ngx_http_iiif_loc_conf_t, catalog_path), NULL},
    {ngx_string("iiif_base_url"), NGX_HTTP_MAIN_CONF | NGX_HTTP_SRV_CONF | NGX_HTTP_LOC_CONF | NGX_CONF_TAKE1,
     ngx_http_iiif_set_url, NGX_HTTP_LOC_CONF_OFFSET,
     offsetof(ngx_http_iiif_loc_conf_t, base_url), NULL},
    {ngx_string("iiif_cache_path"), NGX_HTTP_MAIN_CONF | NGX_HTTP_SRV_CONF | NGX_HTTP_LOC_CONF | NGX_CONF_TAKE1,
     ngx_http_iiif_set_dir_path, NGX_HTTP_LOC_CONF_OFFSET,
     offsetof(ngx_http_iiif_loc_conf_t, cache_path), NULL},
    {ngx_string("iiif_cache_max_size"), NGX_HTTP_MAIN_CONF | NGX_HTTP_SRV_CONF | NGX_HTTP_LOC_CONF | NGX_CONF_TAKE1,
     ngx_http_iiif_set_cache_size, NGX_HTTP_LOC_CONF_OFFSET,
     offsetof(ngx_http_iiif_loc_conf_t, cache_max_size), NULL},
    {ngx_string("iiif_cache_control"), NGX_HTTP_MAIN_CONF | NGX_HTTP_SRV_CONF | NGX_HTTP_LOC_CONF | NGX_CONF_TAKE1,
     ngx_http_iiif_set_header_value, NGX_HTTP_LOC_CONF_OFFSET,
     offsetof(ngx_http_iiif_loc_conf_t, cache_control), NULL},
    {ngx_string("iiif_max_width"), NGX_HTTP_MAIN_CONF | NGX_HTTP_SRV_CONF | NGX_HTTP_LOC_CONF | NGX_CONF_TAKE1,
     ngx_conf_set_num_slot, NGX_HTTP_LOC_CONF_OFFSET,
     offsetof(ngx_http_iiif_loc_conf_t, max_width), &ngx_http_iiif_side_bounds},
    {ngx_string("iiif_max_height"), NGX_HTTP_MAIN_CONF | NGX_HTTP_SRV_CONF | NGX_HTTP_LOC_CONF | NGX_CONF_TAKE1,
     ngx_conf_set_num_slot, NGX_HTTP_LOC_CONF_OFFSET,
     offsetof(ngx_http_iiif_loc_conf_t, max_height), &ngx_http_iiif_side_bounds},
    {ngx_string("iiif_max_area"), NGX_HTTP_MAIN_CONF | NGX_HTTP_SRV_CONF | NGX_HTTP_LOC_CONF | NGX_CONF_TAKE1,
     ngx_conf_set_num_slot, NGX_HTTP_LOC_CONF_OFFSET,
     offsetof(ngx_http_iiif_loc_conf_t, max_area), NULL},
    {ngx_string("iiif_jpeg_quality"), NGX_HTTP_MAIN_CONF | NGX_HTTP_SRV_CONF | NGX_HTTP_LOC_CONF | NGX_CONF_TAKE1,
     ngx_conf_set_num_slot, NGX_HTTP_LOC_CONF_OFFSET,
     offsetof(ngx_http_iiif_loc_conf_t, jpeg_quality), &ngx_http_iiif_quality_bounds},
    {ngx_string("iiif_tile_size"), NGX_HTTP_MAIN_CONF | NGX_HTTP_SRV_CONF | NGX_HTTP_LOC_CONF | NGX_CONF_TAKE1,
     ngx_conf_set_num_slot, NGX_HTTP_LOC_CONF_OFFSET,
     offsetof(ngx_http_iiif_loc_conf_t, tile_size), &ngx_http_iiif_tile_bounds},
    {ngx_string("iiif_cors"), NGX_HTTP_MAIN_CONF | NGX_HTTP_SRV_CONF | NGX_HTTP_LOC_CONF | NGX_CONF_FLAG,
     ngx_conf_set_flag_slot, NGX_HTTP_LOC_CONF_OFFSET,
     offsetof(ngx_http_iiif_loc_conf_t, cors), NULL},
    {ngx_string("iiif_access_key_file"), NGX_HTTP_MAIN_CONF | NGX_HTTP_SRV_CONF | NGX_HTTP_LOC_CONF | NGX_CONF_TAKE1,
     ngx_http_iiif_set_key_file, NGX_HTTP_LOC_CONF_OFFSET,
     offsetof(ngx_http_iiif_loc_conf_t, access_key_file), NULL},
    {ngx_string("iiif_withdrawn_status"), NGX_HTTP_MAIN_CONF | NGX_HTTP_SRV_CONF | NGX_HTTP_LOC_CONF | NGX_CONF_TAKE1,
     ngx_conf_set_enum_slot, NGX_HTTP_LOC_CONF_OFFSET,
     offsetof(ngx_http_iiif_loc_conf_t, withdrawn_status), ngx_http_iiif_withdrawn_statuses},
    {ngx_string("iiif_decoded_cache_size"), NGX_HTTP_MAIN_CONF | NGX_CONF_TAKE1,
     ngx_conf_set_size_slot, NGX_HTTP_MAIN_CONF_OFFSET,
     offsetof(ngx_http_iiif_main_conf_t, decoded_cache_size), NULL},
    {ngx_string("iiif_send_arena_size"), NGX_HTTP_MAIN_CONF | NGX_CONF_TAKE1,
     ngx_conf_set_size_slot, NGX_HTTP_MAIN_CONF_OFFSET,
     offsetof(ngx_http_iiif_main_conf_t, send_arena_size), NULL},
    {ngx_string("iiif_render_budget"), NGX_HTTP_MAIN_CONF | NGX_CONF_TAKE1,
     ngx_conf_set_size_slot, NGX_HTTP_MAIN_CONF_OFFSET,
     offsetof(ngx_http_iiif_main_conf_t, render_budget), NULL},
    {ngx_string("iiif_render_slots"), NGX_HTTP_MAIN_CONF | NGX_CONF_TAKE1,
     ngx_conf_set_num_slot, NGX_HTTP_MAIN_CONF_OFFSET,
     offsetof(ngx_http_iiif_main_conf_t, render_slots), &ngx_http_iiif_slot_bounds},
    {ngx_string("iiif_render_queue"), NGX_HTTP_MAIN_CONF | NGX_CONF_TAKE1,
     ngx_conf_set_num_slot, NGX_HTTP_MAIN_CONF_OFFSET,
     offsetof(ngx_http_iiif_main_conf_t, render_queue), &ngx_http_iiif_queue_bounds},
    {ngx_string("iiif_render_queue_timeout"), NGX_HTTP_MAIN_CONF | NGX_CONF_TAKE1,
     ngx_conf_set_msec_slot, NGX_HTTP_MAIN_CONF_OFFSET,
     offsetof(ngx_http_iiif_main_conf_t, render_queue_timeout), NULL},
    {ngx_string("iiif_thread_pool"), NGX_HTTP_MAIN_CONF | NGX_HTTP_SRV_CONF | NGX_HTTP_LOC_CONF | NGX_CONF_TAKE1,
     ngx_conf_set_str_slot, NGX_HTTP_LOC_CONF_OFFSET,
     offsetof(ngx_http_iiif_loc_conf_t, thread_pool_name), NULL},
    ngx_null_command};

static ngx_http_module_t ngx_http_iiif_module_ctx = {
    ngx_http_iiif_add_variables,    /* preconfiguration */
    ngx_http_iiif_metrics_init,     /* postconfiguration */
    ngx_http_iiif_create_main_conf, /* create main configuration */
    ngx_http_iiif_init_main_conf,   /* init main configuration */
    NULL,                           /* create server configuration */
    NULL,                           /* merge server configuration */
    ngx_http_iiif_create_loc_conf,  /* create location configuration */
    ngx_http_iiif_merge_loc_conf    /* merge location configuration */
};

ngx_module_t ngx_http_iiif_module = {NGX_MODULE_V1,
                                     &ngx_http_iiif_module_ctx,
                                     ngx_http_iiif_commands,
                                     NGX_HTTP_MODULE,
                                     NULL,                        /* init master */
                                     NULL,                        /* init module */
                                     ngx_http_iiif_init_process,  /* init process */
                                     NULL,                        /* init thread */
                                     NULL,                        /* exit thread */
                                     ngx_http_iiif_exit_process,  /* exit process */
                                     NULL,                        /* exit master */
                                     NGX_MODULE_V1_PADDING};

/* ---- Variables ---------------------------------------------------------------------------- */

static ngx_int_t ngx_http_iiif_cache_status_variable(ngx_http_request_t *r,
                                                     ngx_http_variable_value_t *v,
                                                     uintptr_t data) {
    ngx_http_iiif_ctx_t *ctx = ngx_http_get_module_ctx(r, ngx_http_iiif_module);

    if (ctx == NULL || ctx->cache_status == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }
    v->data = (u_char *)ctx->cache_status;
    v->len = ngx_strlen(ctx->cache_status);
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;
    return NGX_OK;
}

static ngx_http_variable_t ngx_http_iiif_vars[] = {
    {ngx_string("iiif_cache_status"), NULL, ngx_http_iiif_cache_status_variable, 0,
     NGX_HTTP_VAR_NOCACHEABLE, 0},
    ngx_http_null_variable};

static ngx_int_t ngx_http_iiif_add_variables(ngx_conf_t *cf) {
    ngx_http_variable_t *var, *v;

    for (v = ngx_http_iiif_vars; v->name.len; v++) {
        var = ngx_http_add_variable(cf, &v->name, v->flags);
        if (var == NULL) {
            return NGX_ERROR;
        }
        var->get_handler = v->get_handler;
        var->data = v->data;
    }
    return NGX_OK;
}

/* ---- Handler ---------------------------------------------------------------------------- */

static ngx_int_t ngx_http_iiif_handler(ngx_http_request_t *r) {
    ngx_http_iiif_loc_conf_t *lcf = ngx_http_get_module_loc_conf(r, ngx_http_iiif_module);
    ngx_http_iiif_ctx_t *ctx;
    iiif_http_request_t request;
    iiif_response_t *response;
    iiif_job_t *job = NULL;
    ngx_int_t rc;

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_iiif_ctx_t));
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
    ctx->request = r;
    ngx_http_set_ctx(r, ctx, ngx_http_iiif_module);

    if (ngx_http_iiif_read_request(r, lcf, &request) != NGX_OK) {
        return ngx_http_iiif_send(r, ctx, iiif_error_response(NGX_HTTP_NOT_FOUND, "not found"));
    }
    ctx->kind = iiif_request_kind(lcf->service, &request);

    response = iiif_prepare(lcf->service, &request, &job);
    if (response != NULL || job == NULL) {
        return ngx_http_iiif_send(r, ctx, response);
    }
    return ngx_http_iiif_schedule(r, lcf, ctx, job);
}

/* The ARK resolver: the whole answer comes from one catalog lookup, on the event loop. */
static ngx_int_t ngx_http_iiif_ark_handler(ngx_http_request_t *r) {
    ngx_http_iiif_loc_conf_t *lcf = ngx_http_get_module_loc_conf(r, ngx_http_iiif_module);
    iiif_resolver_request_t request;
    ngx_http_iiif_ctx_t *ctx;
    ngx_int_t rc;

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }
    /* For the metrics only: the resolver's answer has no cache status. */
    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_iiif_ctx_t));
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
    ctx->request = r;
    ctx->kind = IIIF_KIND_RESOLVER;
    ngx_http_set_ctx(r, ctx, ngx_http_iiif_module);
    ngx_http_iiif_read_resolver_request(r, &request);
    return ngx_http_iiif_send(r, NULL, iiif_resolve(lcf->resolver, &request));
}

/* ---- Configuration ---------------------------------------------------------------------------- */

static void *ngx_http_iiif_create_main_conf(ngx_conf_t *cf) {
    ngx_http_iiif_main_conf_t *mcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_iiif_main_conf_t));

    if (mcf == NULL) {
        return NULL;
    }
    if (ngx_array_init(&mcf->services, cf->pool, 4, sizeof(iiif_service_t *)) != NGX_OK ||
        ngx_array_init(&mcf->resolvers, cf->pool, 1, sizeof(iiif_resolver_t *)) != NGX_OK) {
        return NULL;
    }
    mcf->decoded_cache_size = NGX_CONF_UNSET_SIZE;
    mcf->send_arena_size = NGX_CONF_UNSET_SIZE;
    mcf->render_budget = NGX_CONF_UNSET_SIZE;
    mcf->render_slots = NGX_CONF_UNSET_UINT;
    mcf->render_queue = NGX_CONF_UNSET_UINT;
    mcf->render_queue_timeout = NGX_CONF_UNSET_MSEC;
    return mcf;
}

static char *ngx_http_iiif_init_main_conf(ngx_conf_t *cf, void *conf) {
    ngx_http_iiif_main_conf_t *mcf = conf;

    ngx_conf_init_size_value(mcf->decoded_cache_size, NGX_HTTP_IIIF_DECODED_CACHE_SIZE);
    ngx_conf_init_size_value(mcf->send_arena_size, NGX_HTTP_IIIF_SEND_ARENA_SIZE);
    ngx_conf_init_size_value(mcf->render_budget, NGX_HTTP_IIIF_RENDER_BUDGET);
    ngx_conf_init_uint_value(mcf->render_slots, NGX_HTTP_IIIF_RENDER_SLOTS);
    ngx_conf_init_uint_value(mcf->render_queue, NGX_HTTP_IIIF_RENDER_QUEUE);
    ngx_conf_init_msec_value(mcf->render_queue_timeout, NGX_HTTP_IIIF_RENDER_QUEUE_TIMEOUT);
    return NGX_CONF_OK;
}

static void *ngx_http_iiif_create_loc_conf(ngx_conf_t *cf) {
    ngx_http_iiif_loc_conf_t *conf = ngx_pcalloc(cf->pool, sizeof(ngx_http_iiif_loc_conf_t));

    if (conf == NULL) {
        return NULL;
    }
    conf->api_version = NGX_CONF_UNSET;
    conf->cache_max_size = NGX_CONF_UNSET;
    conf->max_width = NGX_CONF_UNSET;
    conf->max_height = NGX_CONF_UNSET;
    conf->max_area = NGX_CONF_UNSET;
    conf->jpeg_quality = NGX_CONF_UNSET;
    conf->tile_size = NGX_CONF_UNSET;
    conf->cors = NGX_CONF_UNSET;
    conf->withdrawn_status = NGX_CONF_UNSET_UINT;
    conf->cache_control.data = NULL;
    conf->ark_resolver = NGX_CONF_UNSET;
    conf->metrics = NGX_CONF_UNSET;
    return conf;
}

static char *ngx_http_iiif(ngx_conf_t *cf, ngx_command_t *cmd, void *conf) {
    ngx_http_iiif_loc_conf_t *lcf = conf;
    ngx_str_t *value = cf->args->elts;

    if (lcf->api_version != NGX_CONF_UNSET) {
        return "is duplicate";
    }
    if (value[1].len == 1 && (value[1].data[0] == '2' || value[1].data[0] == '3')) {
        lcf->api_version = value[1].data[0] - '0';
        return NGX_CONF_OK;
    }
    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "\"iiif\" takes the Image API version, 2 or 3, not \"%V\"",
                       &value[1]);
    return NGX_CONF_ERROR;
}

static char *ngx_http_iiif_ark_resolver(ngx_conf_t *cf, ngx_command_t *cmd, void *conf) {
    ngx_http_iiif_loc_conf_t *lcf = conf;

    if (lcf->ark_resolver != NGX_CONF_UNSET) {
        return "is duplicate";
    }
    lcf->ark_resolver = 1;
    return NGX_CONF_OK;
}

static void ngx_http_iiif_destroy_service(void *data) {
    iiif_service_destroy(data);
}

static void ngx_http_iiif_destroy_resolver(void *data) {
    iiif_resolver_destroy(data);
}

/* Keeps a handle the facade made: destroyed with the configuration, and listed in `handles`
 * (one of the main conf's arrays) so that each worker opens its files after fork. */
static ngx_int_t ngx_http_iiif_keep(ngx_conf_t *cf, ngx_array_t *handles, void *handle,
                                    ngx_pool_cleanup_pt destroy) {
    ngx_pool_cleanup_t *cln;
    void **slot;

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        destroy(handle);
        return NGX_ERROR;
    }
    cln->handler = destroy;
    cln->data = handle;

    slot = ngx_array_push(handles);
    if (slot == NULL) {
        return NGX_ERROR;
    }
    *slot = handle;
    return NGX_OK;
}

/* A location with iiif_ark_resolver: its catalog is required, nothing else. */
static char *ngx_http_iiif_merge_resolver(ngx_conf_t *cf, ngx_http_iiif_loc_conf_t *conf) {
    ngx_http_core_loc_conf_t *clcf;
    ngx_http_iiif_main_conf_t *mcf;
    char error[256];

    if (conf->catalog_path.len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "\"iiif_ark_resolver\" needs \"iiif_catalog\"");
        return NGX_CONF_ERROR;
    }
    conf->resolver = iiif_resolver_create(
        (iiif_str_t){(const char *)conf->catalog_path.data, conf->catalog_path.len}, error,
        sizeof(error));
    if (conf->resolver == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "iiif: %s", error);
        return NGX_CONF_ERROR;
    }
    mcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_iiif_module);
    if (ngx_http_iiif_keep(cf, &mcf->resolvers, conf->resolver, ngx_http_iiif_destroy_resolver)
        != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_iiif_ark_handler;
    return NGX_CONF_OK;
}

/* A location with "iiif": the checks of what the directives alone could not see, then the
 * service. Every rule of the configuration is checked here or by its directive, where nginx
 * can name the file and line; the core takes what it is given. */
static char *ngx_http_iiif_merge_service(ngx_conf_t *cf, ngx_http_iiif_loc_conf_t *conf) {
    ngx_http_core_loc_conf_t *clcf;
    ngx_http_iiif_main_conf_t *mcf;
    iiif_service_config_t config;
    char error[256];

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    if (conf->prefix.len == 0) {
#if (NGX_PCRE)
        if (clcf->regex) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "a regex location needs \"iiif_prefix\"");
            return NGX_CONF_ERROR;
        }
#endif
        conf->prefix = clcf->name;
    }
    while (conf->prefix.len > 0 && conf->prefix.data[conf->prefix.len - 1] == '/') {
        conf->prefix.len--;
    }
    if (conf->source_dir.len == 0 && conf->catalog_path.len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"iiif\" needs \"iiif_source_dir\" or \"iiif_catalog\"");
        return NGX_CONF_ERROR;
    }

    conf->thread_pool = ngx_thread_pool_add(cf, &conf->thread_pool_name);
    if (conf->thread_pool == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_memzero(&config, sizeof(config));
    config.api_version = (int)conf->api_version;
    config.source_dir = (iiif_str_t){(const char *)conf->source_dir.data, conf->source_dir.len};
    config.catalog_path =
        (iiif_str_t){(const char *)conf->catalog_path.data, conf->catalog_path.len};
    config.base_url = (iiif_str_t){(const char *)conf->base_url.data, conf->base_url.len};
    config.cache_control =
        (iiif_str_t){(const char *)conf->cache_control.data, conf->cache_control.len};
    config.cache_path = (iiif_str_t){(const char *)conf->cache_path.data, conf->cache_path.len};
    config.cache_max_bytes = (long long)conf->cache_max_size;
    config.max_width = (int)conf->max_width;
    config.max_height = (int)conf->max_height;
    config.max_area = (long long)conf->max_area;
    config.jpeg_quality = (int)conf->jpeg_quality;
    config.tile_size = (int)conf->tile_size;
    config.access_key_file =
        (iiif_str_t){(const char *)conf->access_key_file.data, conf->access_key_file.len};
    config.withdrawn_status = (int)conf->withdrawn_status;

    /* Fails only on the access key file, whose format the core owns (shared with iiifd). */
    conf->service = iiif_service_create(&config, error, sizeof(error));
    if (conf->service == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "iiif: %s", error);
        return NGX_CONF_ERROR;
    }
    mcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_iiif_module);
    if (ngx_http_iiif_keep(cf, &mcf->services, conf->service, ngx_http_iiif_destroy_service)
        != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    clcf->handler = ngx_http_iiif_handler;
    return NGX_CONF_OK;
}

static char *ngx_http_iiif_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child) {
    ngx_http_iiif_loc_conf_t *prev = parent;
    ngx_http_iiif_loc_conf_t *conf = child;

    if (conf->ark_resolver == 1 && conf->api_version != NGX_CONF_UNSET) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"iiif_ark_resolver\" and \"iiif\" cannot share a location");
        return NGX_CONF_ERROR;
    }
    if (conf->metrics == 1 && (conf->api_version != NGX_CONF_UNSET || conf->ark_resolver == 1)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"iiif_metrics\" cannot share a location with \"iiif\" or "
                           "\"iiif_ark_resolver\"");
        return NGX_CONF_ERROR;
    }
    ngx_conf_merge_value(conf->api_version, prev->api_version, NGX_CONF_UNSET);
    ngx_conf_merge_str_value(conf->prefix, prev->prefix, "");
    ngx_conf_merge_str_value(conf->source_dir, prev->source_dir, "");
    ngx_conf_merge_str_value(conf->catalog_path, prev->catalog_path, "");
    ngx_conf_merge_str_value(conf->base_url, prev->base_url, "");
    ngx_conf_merge_str_value(conf->cache_path, prev->cache_path, "");
    ngx_conf_merge_off_value(conf->cache_max_size, prev->cache_max_size, 1024 * 1024 * 1024);
    ngx_conf_merge_str_value(conf->cache_control, prev->cache_control, "public, max-age=86400");
    /* The core's defaults (ServiceConfig): what the renderer can deliver of any source. */
    ngx_conf_merge_value(conf->max_width, prev->max_width, 10000);
    ngx_conf_merge_value(conf->max_height, prev->max_height, 10000);
    ngx_conf_merge_value(conf->max_area, prev->max_area, 50000000);
    ngx_conf_merge_value(conf->jpeg_quality, prev->jpeg_quality, 85);
    ngx_conf_merge_value(conf->tile_size, prev->tile_size, 512);
    ngx_conf_merge_value(conf->cors, prev->cors, 1);
    ngx_conf_merge_str_value(conf->access_key_file, prev->access_key_file, "");
    ngx_conf_merge_uint_value(conf->withdrawn_status, prev->withdrawn_status, 410);
    ngx_conf_merge_str_value(conf->thread_pool_name, prev->thread_pool_name, "default");

    if (conf->ark_resolver == 1) {
        return ngx_http_iiif_merge_resolver(cf, conf); /* an inherited "iiif" does not apply */
    }
    if (conf->api_version == NGX_CONF_UNSET || conf->metrics == 1) {
        return NGX_CONF_OK;
    }
    return ngx_http_iiif_merge_service(cf, conf);
}

/* ---- Worker lifecycle ---------------------------------------------------------------------------- */

/* A cancelable timer: it never keeps a worker that is shutting down. */
static ngx_event_t ngx_http_iiif_tick_event;

static void ngx_http_iiif_tick(ngx_event_t *ev) {
    iiif_worker_tick();
    if (!ngx_exiting) {
        ngx_add_timer(ev, NGX_HTTP_IIIF_TICK_MS);
    }
}

static ngx_int_t ngx_http_iiif_init_process(ngx_cycle_t *cycle) {
    ngx_http_iiif_main_conf_t *mcf;
    iiif_service_t **services;
    iiif_resolver_t **resolvers;
    ngx_uint_t i, level;
    int rc;
    char error[512];

    if (ngx_http_cycle_get_module_main_conf(cycle, ngx_http_core_module) == NULL) {
        return NGX_OK; /* no http{} block */
    }
    mcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_iiif_module);
    if (mcf == NULL) {
        return NGX_OK;
    }
    resolvers = mcf->resolvers.elts;
    for (i = 0; i < mcf->resolvers.nelts; i++) {
        rc = iiif_resolver_open_catalog(resolvers[i], error, sizeof(error));
        if (rc != 0) {
            /* Not fatal: iiifd may not have made it yet; requests try again. A file there that
             * this worker may not open is an error to fix, not to wait for. */
            level = rc == IIIF_CATALOG_REFUSED ? NGX_LOG_ERR : NGX_LOG_WARN;
            ngx_log_error(level, cycle->log, 0, "iiif: %s; will try again", error);
        }
    }
    if (mcf->services.nelts == 0) {
        return NGX_OK;
    }
    /* nginx's thread pool supplies the parallelism: one libvips thread per render. */
    if (iiif_worker_init(1, mcf->decoded_cache_size, error, sizeof(error)) != 0) {
        ngx_log_error(NGX_LOG_EMERG, cycle->log, 0, "iiif: %s", error);
        return NGX_ERROR;
    }
    if (iiif_worker_init_send_arena(mcf->send_arena_size, error, sizeof(error)) != 0) {
        /* Not fatal: hits are then sent from memory. */
        ngx_log_error(NGX_LOG_WARN, cycle->log, 0, "iiif: %s; sending hits from memory", error);
    }
    services = mcf->services.elts;
    for (i = 0; i < mcf->services.nelts; i++) {
        if (iiif_service_open_cache(services[i], error, sizeof(error)) != 0) {
            /* Not fatal: that service renders every request instead. */
            ngx_log_error(NGX_LOG_ERR, cycle->log, 0, "iiif: %s; serving without a cache", error);
        }
        rc = iiif_service_open_catalog(services[i], error, sizeof(error));
        if (rc != 0) {
            /* Not fatal either, as above. */
            level = rc == IIIF_CATALOG_REFUSED ? NGX_LOG_ERR : NGX_LOG_WARN;
            ngx_log_error(level, cycle->log, 0, "iiif: %s; will try again", error);
        }
    }
    ngx_http_iiif_tick_event.handler = ngx_http_iiif_tick;
    ngx_http_iiif_tick_event.log = cycle->log;
    ngx_http_iiif_tick_event.data = cycle;
    ngx_http_iiif_tick_event.cancelable = 1;
    ngx_add_timer(&ngx_http_iiif_tick_event, NGX_HTTP_IIIF_TICK_MS);
    return NGX_OK;
}

static void ngx_http_iiif_exit_process(ngx_cycle_t *cycle) {
    iiif_worker_exit();
}
