// The cost of a tile cache hit through the facade, without nginx: iiif_prepare on one request
// path, the response read as the module reads it (status, type, headers, body, validators), then
// freed, in a loop on one thread. Prints nanoseconds per request; run it under `perf record` to
// see where they go.
//
//   bench_hit_path SOURCE_DIR CACHE_DIR PATH [COUNT]      (PATH below /iiif/3/, e.g.
//                                                          pyramid/0,0,256,256/256,/0/default.jpg)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "iiif_facade.h"

namespace {

iiif_str_t str(const char* text) {
    return {text, std::strlen(text)};
}

// What the module reads of a response: a checksum of it, so that nothing is optimised away.
size_t consume(iiif_response_t* response) {
    size_t sum = static_cast<size_t>(iiif_response_status(response));
    sum += iiif_response_content_type(response).len + iiif_response_etag(response).len;
    sum += static_cast<size_t>(iiif_response_last_modified(response));
    for (size_t i = 0, n = iiif_response_header_count(response); i < n; ++i)
        sum += iiif_response_header_name(response, i).len +
               iiif_response_header_value(response, i).len;
    sum += iiif_response_body(response).len;
    sum += std::strlen(iiif_response_cache_status(response));
    return sum;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 4) {
        std::fprintf(stderr, "usage: %s SOURCE_DIR CACHE_DIR PATH [COUNT]\n", argv[0]);
        return 2;
    }
    const long count = argc > 4 ? std::atol(argv[4]) : 1000000;
    char error[512];
    iiif_service_config_t config{};
    config.api_version = 3;
    config.source_dir = str(argv[1]);
    config.cache_path = str(argv[2]);
    config.cache_control = str("public, max-age=86400");
    config.cache_max_bytes = 1LL << 30;
    config.jpeg_quality = 85;
    config.tile_size = 512;
    config.withdrawn_status = 410;
    iiif_service_t* service = iiif_service_create(&config, error, sizeof error);
    if (!service || iiif_worker_init(1, 0, error, sizeof error) != 0 ||
        iiif_service_open_cache(service, error, sizeof error) != 0) {
        std::fprintf(stderr, "%s\n", error);
        return 1;
    }
    iiif_http_request_t request{};
    request.method = str("GET");
    request.path = str(argv[3]);
    request.prefix = str("/iiif/3");
    request.scheme = str("http");
    request.host = str("127.0.0.1:8080");
    request.accept = str("*/*");
    request.client_address_len = 4;
    request.client_address[0] = 127;
    request.client_address[3] = 1;

    // Rendered once (a miss), so that every measured request is a hit.
    iiif_job_t* job = nullptr;
    iiif_response_t* response = iiif_prepare(service, &request, &job);
    if (job) {
        iiif_job_run(job);
        response = iiif_job_response(job);
        iiif_job_free(job);
    }
    if (!response || iiif_response_status(response) != 200) {
        std::fprintf(stderr, "%s: not 200\n", argv[3]);
        return 1;
    }
    iiif_response_free(response);

    size_t sum = 0;
    const auto start = std::chrono::steady_clock::now();
    for (long i = 0; i < count; ++i) {
        response = iiif_prepare(service, &request, &job);
        if (!response || job || std::strcmp(iiif_response_cache_status(response), "HIT") != 0) {
            std::fprintf(stderr, "request %ld: not a hit\n", i);
            return 1;
        }
        sum += consume(response);
        iiif_response_free(response);
    }
    const double ns =
        std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count();
    std::printf("%.0f ns per hit (%ld hits; checksum %zu)\n", ns / static_cast<double>(count),
                count, sum);
    iiif_worker_exit();
    iiif_service_destroy(service);
    return 0;
}
