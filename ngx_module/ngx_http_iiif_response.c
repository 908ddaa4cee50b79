/*
 * Sending what the core answered: status, headers, validators and body, the body from where
 * the core keeps it (its buffer, or the map of catalog.mdb or tiles.mdb), never copied first.
 * Never as a file for sendfile from catalog.mdb or tiles.mdb: LMDB rewrites freed pages with
 * other entries, and the kernel reads a sendfile()'s pages again when it sends them, after the
 * response is gone (common/cache/snapshot_pins.hpp). writev() copies the bytes into the socket
 * before it returns, while the response still pins them. A hit the worker's send arena holds
 * (common/serve/send_arena.hpp: append-only, never rewritten) goes with sendfile() from there.
 */

#include "ngx_http_iiif.h"

static void ngx_http_iiif_free_response(void *data) {
    iiif_response_free(data);
}

static ngx_table_elt_t *ngx_http_iiif_push_header(ngx_http_request_t *r, iiif_str_t name,
                                                  iiif_str_t value) {
    ngx_table_elt_t *h = ngx_list_push(&r->headers_out.headers);

    if (h == NULL) {
        return NULL;
    }
    h->hash = 1;
    h->key.data = (u_char *)name.data;
    h->key.len = name.len;
    h->value.data = (u_char *)value.data;
    h->value.len = value.len;
    return h;
}

/* The core's headers into r->headers_out, without the CORS ones under "iiif_cors off". The
 * validators go where nginx's not-modified and range filters look for them. */
static ngx_int_t ngx_http_iiif_set_headers(ngx_http_request_t *r, ngx_http_iiif_loc_conf_t *lcf,
                                           iiif_response_t *response, size_t body_len) {
    ngx_table_elt_t *h;
    iiif_str_t type, etag, name;
    long long last_modified;
    size_t i, n;

    r->headers_out.status = iiif_response_status(response);

    type = iiif_response_content_type(response);
    r->headers_out.content_type.data = (u_char *)type.data;
    r->headers_out.content_type.len = type.len;
    r->headers_out.content_type_len = type.len;

    n = iiif_response_header_count(response);
    for (i = 0; i < n; i++) {
        name = iiif_response_header_name(response, i);
        if (!lcf->cors && name.len > 15 &&
            ngx_strncasecmp((u_char *)name.data, (u_char *)"Access-Control-", 15) == 0) {
            continue;
        }
        if (ngx_http_iiif_push_header(r, name, iiif_response_header_value(response, i)) == NULL) {
            return NGX_ERROR;
        }
    }

    etag = iiif_response_etag(response);
    if (etag.len) {
        h = ngx_http_iiif_push_header(r, (iiif_str_t){"ETag", 4}, etag);
        if (h == NULL) {
            return NGX_ERROR;
        }
        r->headers_out.etag = h;
    }
    last_modified = iiif_response_last_modified(response);
    if (last_modified >= 0) {
        r->headers_out.last_modified_time = (time_t)last_modified;
    }

    r->headers_out.content_length_n = (off_t)body_len;
    if (r->headers_out.status == NGX_HTTP_OK) {
        r->allow_ranges = 1;
    }
    if (body_len == 0) {
        r->header_only = 1;
    }
    return NGX_OK;
}

/* The body's buffer, in memory: the response's own or the pinned map; and when the core keeps
 * the same bytes in its send arena too, in that file as well, which nginx then sends with
 * sendfile() (or, with sendfile off, from the memory: ngx_output_chain drops in_file). */
static ngx_buf_t *ngx_http_iiif_body_buf(ngx_http_request_t *r, iiif_response_t *response,
                                         iiif_str_t body) {
    ngx_buf_t *b = ngx_calloc_buf(r->pool);
    long long offset;
    int fd;

    if (b == NULL) {
        return NULL;
    }
    b->pos = (u_char *)body.data;
    b->last = (u_char *)body.data + body.len;
    b->memory = 1;
    if (iiif_response_body_file(response, &fd, &offset)) {
        b->file = ngx_pcalloc(r->pool, sizeof(ngx_file_t));
        if (b->file == NULL) {
            return NULL;
        }
        b->file->fd = fd;
        b->file->log = r->connection->log;
        b->file_pos = (off_t)offset;
        b->file_last = (off_t)offset + (off_t)body.len;
        b->in_file = 1;
    }
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;
    return b;
}

/* Sends a response made by the core. The response is freed with the request's pool, so the
 * body is sent from where the core wrote it, without a copy. Without a ctx (the resolver),
 * $iiif_cache_status stays empty. */
ngx_int_t ngx_http_iiif_send(ngx_http_request_t *r, ngx_http_iiif_ctx_t *ctx,
                             iiif_response_t *response) {
    ngx_http_iiif_loc_conf_t *lcf = ngx_http_get_module_loc_conf(r, ngx_http_iiif_module);
    ngx_pool_cleanup_t *cln;
    ngx_chain_t out;
    ngx_int_t rc;
    iiif_str_t body;

    if (response == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        iiif_response_free(response);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
    cln->handler = ngx_http_iiif_free_response;
    cln->data = response;

    if (ctx != NULL) {
        ctx->cache_status = iiif_response_cache_status(response);
    }

    body = iiif_response_body(response);
    if (ngx_http_iiif_set_headers(r, lcf, response, body.len) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
    rc = ngx_http_send_header(r);
    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    out.buf = ngx_http_iiif_body_buf(r, response, body);
    if (out.buf == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
    out.next = NULL;
    return ngx_http_output_filter(r, &out);
}
