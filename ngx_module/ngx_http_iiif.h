/*
 * What the files of ngx_http_iiif_module share: the location's configuration, the request's
 * context, and the functions one file gives another. Private to the module.
 */

#ifndef _NGX_HTTP_IIIF_H_INCLUDED_
#define _NGX_HTTP_IIIF_H_INCLUDED_

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "iiif_facade.h"

typedef struct {
    ngx_int_t api_version; /* 2 or 3; unset: module off here */
    ngx_str_t prefix;
    ngx_str_t source_dir;
    ngx_str_t catalog_path;
    ngx_str_t base_url;
    ngx_str_t cache_path;
    off_t cache_max_size;
    ngx_str_t cache_control;
    ngx_int_t max_width;
    ngx_int_t max_height;
    ngx_int_t max_area;
    ngx_int_t jpeg_quality;
    ngx_int_t tile_size;
    ngx_flag_t cors;
    ngx_str_t access_key_file;
    ngx_uint_t withdrawn_status;
    ngx_str_t thread_pool_name;
    ngx_thread_pool_t *thread_pool;
    iiif_service_t *service;
    ngx_flag_t ark_resolver; /* this location only, never inherited */
    iiif_resolver_t *resolver;
    ngx_flag_t metrics; /* iiif_metrics: this location only, never inherited */
} ngx_http_iiif_loc_conf_t;

typedef struct {
    ngx_array_t services;      /* of iiif_service_t *, opened in each worker */
    ngx_array_t resolvers;     /* of iiif_resolver_t *, idem */
    size_t decoded_cache_size; /* bytes of decoded source tiles each worker keeps */
    size_t send_arena_size;    /* bytes of hits each worker sends with sendfile() */
    /* Admission of heavy renders, per worker (ngx_http_iiif_render.c). */
    size_t render_budget;       /* pixels decoded and produced by those running */
    ngx_uint_t render_slots;    /* how many run at once */
    ngx_uint_t render_queue;    /* how many may wait */
    ngx_msec_t render_queue_timeout;
    ngx_shm_zone_t *metrics_zone; /* the counters, when "iiif_metrics" is anywhere */
} ngx_http_iiif_main_conf_t;

typedef struct ngx_http_iiif_render_s ngx_http_iiif_render_t;

typedef struct {
    ngx_http_request_t *request;
    const char *cache_status;
    iiif_kind_t kind;               /* what it asks for, for the metrics */
    ngx_http_iiif_render_t *render; /* the render it waits for */
    ngx_queue_t waiter_link;        /* in the render's waiters */
    unsigned joined : 1;            /* to a render another request started */
} ngx_http_iiif_ctx_t;

extern ngx_module_t ngx_http_iiif_module;

/* ngx_http_iiif_conf.c: the directives' set handlers that refuse, at configuration time, what
 * could not be served (each stores its value as the nginx slot it stands for), and the post
 * handler of the numbers' bounds. */
char *ngx_http_iiif_set_existing_dir(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
char *ngx_http_iiif_set_file_path(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
char *ngx_http_iiif_set_dir_path(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
char *ngx_http_iiif_set_key_file(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
char *ngx_http_iiif_set_url(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
char *ngx_http_iiif_set_url_path(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
char *ngx_http_iiif_set_header_value(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
char *ngx_http_iiif_set_cache_size(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
char *ngx_http_iiif_check_bounds(ngx_conf_t *cf, void *post, void *data);

/* ngx_http_iiif_request.c: the request as the core reads it, pointing into nginx's buffers. */
ngx_int_t ngx_http_iiif_read_request(ngx_http_request_t *r, ngx_http_iiif_loc_conf_t *lcf,
                                     iiif_http_request_t *request);
void ngx_http_iiif_read_resolver_request(ngx_http_request_t *r,
                                         iiif_resolver_request_t *request);

/* ngx_http_iiif_render.c: runs the job on the location's thread pool, shared with identical
 * requests and admitted by cost, and answers when it is done. Takes the job over; returns
 * NGX_DONE, or a status to finalize with. */
ngx_int_t ngx_http_iiif_schedule(ngx_http_request_t *r, ngx_http_iiif_loc_conf_t *lcf,
                                 ngx_http_iiif_ctx_t *ctx, iiif_job_t *job);

/* ngx_http_iiif_metrics.c: the "iiif_metrics" directive, its handler and the counters every
 * worker adds to (each call does nothing when no location has "iiif_metrics"). The requests
 * are counted at the log phase; the renders by ngx_http_iiif_render.c. */
typedef enum {
    NGX_HTTP_IIIF_REFUSED_QUEUE_FULL, /* iiif_render_queue renders wait already */
    NGX_HTTP_IIIF_REFUSED_TIMEOUT,    /* waited iiif_render_queue_timeout */
    NGX_HTTP_IIIF_REFUSED_POOL_FULL,  /* the thread pool's max_queue */
    NGX_HTTP_IIIF_REFUSALS
} ngx_http_iiif_refusal_e;

char *ngx_http_iiif_metrics(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
ngx_int_t ngx_http_iiif_metrics_init(ngx_conf_t *cf);
void ngx_http_iiif_metrics_render_started(void);
void ngx_http_iiif_metrics_render_done(uint64_t usec);
void ngx_http_iiif_metrics_render_waits(ngx_int_t delta); /* +1: one more waits, -1: one less */
void ngx_http_iiif_metrics_render_refused(ngx_http_iiif_refusal_e reason);

/* ngx_http_iiif_response.c: sends what the core answered and frees it with the request. */
ngx_int_t ngx_http_iiif_send(ngx_http_request_t *r, ngx_http_iiif_ctx_t *ctx,
                             iiif_response_t *response);

#endif /* _NGX_HTTP_IIIF_H_INCLUDED_ */
