/*
 * The request as the core reads it: the path as the client wrote it, the headers it needs
 * and the peer's address. Every string points into nginx's buffers or the request's pool.
 */

#include "ngx_http_iiif.h"

/* The request's headers named `name`, one after the other: start with *part = NULL. */
static ngx_table_elt_t *ngx_http_iiif_next_header(ngx_http_request_t *r, ngx_list_part_t **part,
                                                  ngx_uint_t *i, const char *name, size_t len) {
    ngx_table_elt_t *h;

    if (*part == NULL) {
        *part = &r->headers_in.headers.part;
        *i = 0;
    }
    for (/* void */; /* void */; (*i)++) {
        if (*i >= (*part)->nelts) {
            if ((*part)->next == NULL) {
                return NULL;
            }
            *part = (*part)->next;
            *i = 0;
            if ((*part)->nelts == 0) {
                continue;
            }
        }
        h = (ngx_table_elt_t *)(*part)->elts + *i;
        if (h->key.len == len && ngx_strncasecmp(h->key.data, (u_char *)name, len) == 0) {
            (*i)++;
            return h;
        }
    }
}

/* A request header's value; when it is repeated, every value joined by `separator` (", " for
 * HTTP's lists, "; " for Cookie, which HTTP/2 clients send one cookie a header). */
static iiif_str_t ngx_http_iiif_header(ngx_http_request_t *r, const char *name, size_t len,
                                       const char *separator) {
    ngx_list_part_t *part = NULL;
    ngx_table_elt_t *h, *first;
    ngx_uint_t i;
    size_t total, count = 1, sep = ngx_strlen(separator);
    u_char *joined, *p;

    first = ngx_http_iiif_next_header(r, &part, &i, name, len);
    if (first == NULL) {
        return (iiif_str_t){NULL, 0};
    }
    total = first->value.len;
    while ((h = ngx_http_iiif_next_header(r, &part, &i, name, len)) != NULL) {
        total += sep + h->value.len;
        count++;
    }
    if (count == 1) {
        return (iiif_str_t){(const char *)first->value.data, first->value.len};
    }
    joined = ngx_pnalloc(r->pool, total);
    if (joined == NULL) {
        return (iiif_str_t){NULL, 0};
    }
    p = joined;
    part = NULL;
    while ((h = ngx_http_iiif_next_header(r, &part, &i, name, len)) != NULL) {
        if (p != joined) {
            p = ngx_cpymem(p, separator, sep);
        }
        p = ngx_cpymem(p, h->value.data, h->value.len);
    }
    return (iiif_str_t){(const char *)joined, (size_t)(p - joined)};
}

#define ngx_http_iiif_header_literal(r, name) ngx_http_iiif_header(r, name, sizeof(name) - 1, ", ")

/* The headers the core reads, in one pass over the request's: each is the first value, or,
 * when it is repeated, every value joined (ngx_http_iiif_header). */
static void ngx_http_iiif_read_headers(ngx_http_request_t *r, iiif_http_request_t *request) {
    struct {
        ngx_str_t name;
        const char *separator;
        iiif_str_t *value;
        ngx_uint_t count;
    } wanted[] = {
        {ngx_string("X-Forwarded-Proto"), ", ", &request->forwarded_proto, 0},
        {ngx_string("X-Forwarded-Host"), ", ", &request->forwarded_host, 0},
        {ngx_string("X-Forwarded-Prefix"), ", ", &request->forwarded_prefix, 0},
        {ngx_string("Accept"), ", ", &request->accept, 0},
        {ngx_string("Access-Control-Request-Headers"), ", ",
         &request->access_control_request_headers, 0},
        {ngx_string("Cookie"), "; ", &request->cookie, 0},
        {ngx_string("Authorization"), ", ", &request->authorization, 0},
    };
    ngx_list_part_t *part = &r->headers_in.headers.part;
    ngx_table_elt_t *h = part->elts;
    ngx_uint_t i, w;

    for (i = 0; /* void */; i++) {
        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }
            part = part->next;
            h = part->elts;
            i = 0;
            if (part->nelts == 0) {
                continue;
            }
        }
        for (w = 0; w < sizeof(wanted) / sizeof(wanted[0]); w++) {
            if (h[i].key.len == wanted[w].name.len &&
                ngx_strncasecmp(h[i].key.data, wanted[w].name.data, wanted[w].name.len) == 0) {
                if (wanted[w].count++ == 0) {
                    *wanted[w].value =
                        (iiif_str_t){(const char *)h[i].value.data, h[i].value.len};
                }
                break;
            }
        }
    }
    for (w = 0; w < sizeof(wanted) / sizeof(wanted[0]); w++) {
        if (wanted[w].count > 1) {
            *wanted[w].value = ngx_http_iiif_header(r, (const char *)wanted[w].name.data,
                                                    wanted[w].name.len, wanted[w].separator);
        }
    }
}

/* The peer as access policies see it: after the realip module, when configured, so a front
 * proxy's X-Forwarded-For can stand for the client. */
static void ngx_http_iiif_client_address(ngx_http_request_t *r, iiif_http_request_t *request) {
    struct sockaddr *sa = r->connection->sockaddr;

    if (sa->sa_family == AF_INET) {
        ngx_memcpy(request->client_address, &((struct sockaddr_in *)sa)->sin_addr, 4);
        request->client_address_len = 4;
#if (NGX_HAVE_INET6)
    } else if (sa->sa_family == AF_INET6) {
        ngx_memcpy(request->client_address, &((struct sockaddr_in6 *)sa)->sin6_addr, 16);
        request->client_address_len = 16;
#endif
    }
}

/* NGX_DECLINED when the path is not below the location's prefix. */
ngx_int_t ngx_http_iiif_read_request(ngx_http_request_t *r, ngx_http_iiif_loc_conf_t *lcf,
                                     iiif_http_request_t *request) {
    u_char *raw, *end, *query;

    /* The path as the client wrote it: an encoded slash in an identifier must stay encoded
     * until the core has split the path from the right. */
    raw = r->unparsed_uri.data;
    end = raw + r->unparsed_uri.len;
    query = ngx_strlchr(raw, end, '?');
    if (query != NULL) {
        end = query;
    }
    if ((size_t)(end - raw) < lcf->prefix.len + 1 ||
        ngx_strncmp(raw, lcf->prefix.data, lcf->prefix.len) != 0 || raw[lcf->prefix.len] != '/') {
        return NGX_DECLINED;
    }

    ngx_memzero(request, sizeof(iiif_http_request_t));
    request->method = (iiif_str_t){(const char *)r->method_name.data, r->method_name.len};
    request->path = (iiif_str_t){(const char *)raw + lcf->prefix.len + 1,
                                 (size_t)(end - raw) - lcf->prefix.len - 1};
    request->prefix = (iiif_str_t){(const char *)lcf->prefix.data, lcf->prefix.len};
#if (NGX_HTTP_SSL)
    request->scheme = r->connection->ssl ? (iiif_str_t){"https", 5} : (iiif_str_t){"http", 4};
#else
    request->scheme = (iiif_str_t){"http", 4};
#endif
    if (r->headers_in.server.len) {
        request->host =
            (iiif_str_t){(const char *)r->headers_in.server.data, r->headers_in.server.len};
    }
    if (r->headers_in.host) {
        request->host = (iiif_str_t){(const char *)r->headers_in.host->value.data,
                                     r->headers_in.host->value.len};
    }
    ngx_http_iiif_read_headers(r, request);
    ngx_http_iiif_client_address(r, request);
    return NGX_OK;
}

void ngx_http_iiif_read_resolver_request(ngx_http_request_t *r,
                                         iiif_resolver_request_t *request) {
    u_char *raw, *end, *query;

    /* As the client wrote it: the core decodes the path and reads the inflection itself. */
    raw = r->unparsed_uri.data;
    end = raw + r->unparsed_uri.len;
    query = ngx_strlchr(raw, end, '?');

    ngx_memzero(request, sizeof(iiif_resolver_request_t));
    request->method = (iiif_str_t){(const char *)r->method_name.data, r->method_name.len};
    request->path = (iiif_str_t){(const char *)raw, (size_t)((query ? query : end) - raw)};
    if (query != NULL) {
        request->has_query = 1;
        request->query = (iiif_str_t){(const char *)query + 1, (size_t)(end - query - 1)};
    }
    request->accept = ngx_http_iiif_header_literal(r, "Accept");
}
