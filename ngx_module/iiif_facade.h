/* The C face of the core, for the nginx module: plain data in, opaque handles out, and no C++
 * exception ever crosses it. Every function that can fail returns a status or NULL and writes
 * a message into the caller's buffer. */
#ifndef IIIF_FACADE_H
#define IIIF_FACADE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    const char *data;
    size_t len;
} iiif_str_t;

typedef struct iiif_service iiif_service_t;
typedef struct iiif_job iiif_job_t;
typedef struct iiif_response iiif_response_t;
typedef struct iiif_resolver iiif_resolver_t;

/* A location's configuration, as the module's directives checked it (the version, one of
 * source_dir and catalog_path, absolute paths where they must be, the base URL, the withdrawn
 * status, the bounds of the numbers): the core takes it as it is. Only the access key file is
 * read here. */
typedef struct {
    int api_version;          /* 2 or 3 */
    iiif_str_t source_dir;    /* empty: no file mode (then catalog_path is set) */
    iiif_str_t catalog_path;  /* catalog.mdb; empty: no catalog mode */
    iiif_str_t base_url;      /* empty: derived from each request */
    iiif_str_t cache_control; /* empty: none */
    iiif_str_t cache_path;    /* empty: no cache */
    long long cache_max_bytes;
    int max_width, max_height; /* 0: none of its own (the core caps them all) */
    long long max_area;
    int jpeg_quality;
    int tile_size;
    iiif_str_t access_key_file; /* the key access credentials are signed with; empty: none */
    int withdrawn_status;       /* 410 or 404 */
} iiif_service_config_t;

typedef struct {
    iiif_str_t method, path, prefix, scheme, host;
    iiif_str_t forwarded_proto, forwarded_host, forwarded_prefix;
    iiif_str_t accept, access_control_request_headers;
    iiif_str_t cookie, authorization;
    /* The peer's address: 4 (IPv4) or 16 (IPv6) bytes in client_address; 0: unknown. */
    int client_address_len;
    unsigned char client_address[16];
} iiif_http_request_t;

typedef struct {
    iiif_str_t method;
    iiif_str_t path;  /* as the client sent it, percent-encoded, without the query */
    iiif_str_t query; /* after the first '?' */
    int has_query;    /* a '?' was present */
    iiif_str_t accept;
} iiif_resolver_request_t;

/* Configuration time, for the module's directives: 0 when the value is right, else -1 and the
 * reason (without the value) in error. iiif_check_base_url: an absolute http or https URL
 * (common/base/http_url.hpp). iiif_check_access_key_file: a key file the core can read, as
 * iiif_service_create will read it. */
int iiif_check_base_url(iiif_str_t url, char *error, size_t error_len);
int iiif_check_access_key_file(iiif_str_t path, char *error, size_t error_len);

/* Configuration time (any process): reads the access key and keeps a copy of the
 * configuration. Fails (with the message in error) on a key file that cannot be read or is too
 * short, and on nothing the module already checked. */
iiif_service_t *iiif_service_create(const iiif_service_config_t *config, char *error,
                                    size_t error_len);
void iiif_service_destroy(iiif_service_t *service);

/* Per worker, after fork: libvips and the cache of decoded source tiles its render threads share
 * (decoded_cache_bytes; 0 keeps none), then each service's cache. A cache that cannot be opened
 * is reported and left out (responses then say BYPASS); it is never fatal. */
int iiif_worker_init(int vips_concurrency, size_t decoded_cache_bytes, char *error,
                     size_t error_len);
/* Per worker, after fork and before the caches are opened: the arena cache hits are sent from
 * with sendfile() (common/serve/send_arena.hpp), of send_arena_bytes (0: none, every hit is
 * sent from memory). One that cannot be made is reported and left out; never fatal. */
int iiif_worker_init_send_arena(size_t send_arena_bytes, char *error, size_t error_len);
int iiif_service_open_cache(iiif_service_t *service, char *error, size_t error_len);
/* Per worker, after fork: the catalog, read-only. One that cannot be opened yet is reported here
 * and tried again by later requests, at most every few seconds; meanwhile every image ARK is
 * unknown (404). Never fatal. Returns 0 when open, IIIF_CATALOG_MISSING when the file is not
 * there yet (iiifd has not made it: a warning), IIIF_CATALOG_REFUSED when it is there but this
 * worker cannot open it (its permissions, or its -lock file's: an error the sysadmin must fix;
 * `error` then names the worker's uid). */
#define IIIF_CATALOG_MISSING (-1)
#define IIIF_CATALOG_REFUSED (-2)
int iiif_service_open_catalog(iiif_service_t *service, char *error, size_t error_len);
/* Per worker, every few seconds, on the event loop: lets go of the tile caches' read
 * snapshots that no response needs any more (TileCache::release_idle_pins). */
void iiif_worker_tick(void);
void iiif_worker_exit(void);

/* What a request asks for, as the module's metrics count it. The core tells the first three
 * apart (iiif_request_kind); the resolver's requests are the module's own. */
typedef enum {
    IIIF_KIND_TILE,     /* an image: a tile, a region, a full image; any path naming nothing else */
    IIIF_KIND_INFO,     /* info.json, and the Auth 2.0 probe of an image */
    IIIF_KIND_MANIFEST, /* a manifest or a collection (catalog mode) */
    IIIF_KIND_RESOLVER, /* an ARK the resolver answered */
    IIIF_KINDS
} iiif_kind_t;

/* Event loop: what the request asks for, from its path alone (cheap: no lookup). */
iiif_kind_t iiif_request_kind(const iiif_service_t *service, const iiif_http_request_t *request);

/* Event loop, for the module's metrics: what the worker's render threads did since the last
 * call (the counts are the process's; the module adds these deltas to the counters every worker
 * shares): entries the worker's tile caches evicted, and native tiles served as stored. */
void iiif_worker_take_counts(long long *evictions, long long *native_tiles);
/* Event loop: the bytes the tile caches' entries take now (the pages in use, read in one read
 * transaction per cache) and the sizes they are kept within, summed over the caches this worker
 * opened (each file once, however many locations name it). */
void iiif_worker_cache_size(long long *used_bytes, long long *max_bytes);

/* Event loop: returns the response, or NULL and a job to run on a thread. */
iiif_response_t *iiif_prepare(iiif_service_t *service, const iiif_http_request_t *request,
                              iiif_job_t **job);
/* Event loop, before the job runs: what admitting it needs. *key is equal for two jobs exactly
 * when they get the same answer (one render may answer both; valid while the job lives; empty:
 * share with nothing); *pixels estimates the pixels it decodes and produces, -1 when unknown
 * (the source is not probed yet). */
void iiif_job_traits(iiif_job_t *job, iiif_str_t *key, long long *pixels);
/* Any thread: asks the job to stop. A running render stops at its next step; its answer is then
 * a 503 and nothing is stored. */
void iiif_job_cancel(iiif_job_t *job);
/* Any thread. */
void iiif_job_run(iiif_job_t *job);
/* Event loop, after iiif_job_run returned: the answer, as often as asked (one per request the
 * job answers; the copies share the body). */
iiif_response_t *iiif_job_response(iiif_job_t *job);
void iiif_job_free(iiif_job_t *job);

/* The ARK resolver (common/serve/ark_resolver.hpp) over one catalog. Configuration time; the
 * path is not empty (the module's "iiif_ark_resolver" needs "iiif_catalog"): */
iiif_resolver_t *iiif_resolver_create(iiif_str_t catalog_path, char *error, size_t error_len);
void iiif_resolver_destroy(iiif_resolver_t *resolver);
/* Per worker, after fork: as iiif_service_open_catalog (the same environment for the same
 * path; one that cannot be opened yet is tried again by later requests; never fatal). */
int iiif_resolver_open_catalog(iiif_resolver_t *resolver, char *error, size_t error_len);
/* Event loop: the complete response (a redirect, a record or an error); never blocks. */
iiif_response_t *iiif_resolve(iiif_resolver_t *resolver, const iiif_resolver_request_t *request);

iiif_response_t *iiif_overloaded_response(void);
iiif_response_t *iiif_error_response(int status, const char *reason);

int iiif_response_status(const iiif_response_t *response);
iiif_str_t iiif_response_content_type(const iiif_response_t *response);
iiif_str_t iiif_response_body(const iiif_response_t *response);
/* 1 when the body's bytes are also in a file to send them from (its descriptor and offset;
 * open while the response lives, and never rewritten), else 0. */
int iiif_response_body_file(const iiif_response_t *response, int *fd, long long *offset);
iiif_str_t iiif_response_etag(const iiif_response_t *response);
long long iiif_response_last_modified(const iiif_response_t *response); /* -1: none */
const char *iiif_response_cache_status(const iiif_response_t *response);
size_t iiif_response_header_count(const iiif_response_t *response);
iiif_str_t iiif_response_header_name(const iiif_response_t *response, size_t i);
iiif_str_t iiif_response_header_value(const iiif_response_t *response, size_t i);
void iiif_response_free(iiif_response_t *response);

#ifdef __cplusplus
}
#endif

#endif
