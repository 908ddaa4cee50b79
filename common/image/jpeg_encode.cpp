#include "jpeg_encode.hpp"

#include <turbojpeg.h>

#include <memory>

#include "iiif_error.hpp"

namespace iiif {
namespace {

struct TurboCloser {
    void operator()(void* handle) const { tjDestroy(handle); }
};

// One compressor per thread: a TurboJPEG handle is not to be shared between threads.
tjhandle compressor() {
    thread_local std::unique_ptr<void, TurboCloser> handle(tjInitCompress());
    if (!handle) throw IiifError(500, "TurboJPEG failed to initialise");
    return handle.get();
}

// `compress(out, length)`'s bytes: TurboJPEG allocates the output as it grows (from 4 KB,
// doubling), which never reaches sizes that malloc maps afresh for an output of this server's.
template <class Compress>
std::string compressed(tjhandle handle, Compress compress) {
    unsigned char* out = nullptr;
    unsigned long length = 0;
    if (compress(&out, &length) != 0) {
        tjFree(out);
        throw IiifError(500, std::string("JPEG encoding failed: ") + tjGetErrorStr2(handle));
    }
    std::string bytes(reinterpret_cast<const char*>(out), length);
    tjFree(out);
    return bytes;
}

}  // namespace

std::string encode_jpeg(const std::uint8_t* pixels, int width, int height, int bands,
                        std::size_t row_bytes, int quality) {
    if (bands != 1 && bands != 3) throw IiifError(500, "JPEG output needs 1 or 3 bands");
    tjhandle handle = compressor();
    const int format = bands == 1 ? TJPF_GRAY : TJPF_RGB;
    const int subsampling = bands == 1 ? TJSAMP_GRAY : quality < 90 ? TJSAMP_420 : TJSAMP_444;
    // TurboJPEG's default forward DCT is the fast, less accurate one; the accurate one costs no
    // more time with SIMD and makes files about 4 % smaller at the same quality.
    return compressed(handle, [&](unsigned char** out, unsigned long* length) {
        return tjCompress2(handle, pixels, width, static_cast<int>(row_bytes), height, format, out,
                           length, subsampling, quality, TJFLAG_ACCURATEDCT);
    });
}

std::string encode_jpeg(const Yuv420& image, int width, int height, int quality) {
    if (width > image.width || height > image.height || width <= 0 || height <= 0)
        throw IiifError(500, "JPEG output larger than its planes");
    tjhandle handle = compressor();
    const unsigned char* planes[3] = {image.y.data, image.cb.data, image.cr.data};
    const int strides[3] = {static_cast<int>(image.y.stride), static_cast<int>(image.cb.stride),
                            static_cast<int>(image.cr.stride)};
    return compressed(handle, [&](unsigned char** out, unsigned long* length) {
        return tjCompressFromYUVPlanes(handle, planes, width, strides, height, TJSAMP_420, out,
                                       length, quality, TJFLAG_ACCURATEDCT);
    });
}

}  // namespace iiif
