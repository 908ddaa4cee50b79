// Pixels as JPEG codes them: planar YCbCr, chroma halved on both axes (4:2:0). A master's
// 4:2:0 tiles are decoded to these planes, cut, resampled and encoded again without ever being
// RGB: no colour conversion or chroma upsampling when decoding, none or downsampling when
// encoding, and half the bytes of RGB to copy, keep and resample.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

namespace iiif {

// 8-bit samples, rows `stride` bytes apart; the memory belongs to someone else.
struct Plane {
    std::uint8_t* data = nullptr;
    int width = 0, height = 0;
    std::size_t stride = 0;

    std::uint8_t* row(int y) const { return data + stride * static_cast<std::size_t>(y); }
};

// Chroma sample j covers luma pixels 2j and 2j + 1 and is centred between them (JPEG's siting);
// an odd size's last chroma sample covers one luma pixel.
struct Yuv420 {
    int width = 0, height = 0;
    Plane y, cb, cr;

    static int chroma_size(int size) { return (size + 1) / 2; }
    // Bytes that place() lays the three planes out in, rows packed.
    static std::size_t byte_size(int width, int height) {
        const auto luma = static_cast<std::size_t>(width) * static_cast<std::size_t>(height);
        const auto chroma = static_cast<std::size_t>(chroma_size(width)) *
                            static_cast<std::size_t>(chroma_size(height));
        return luma + 2 * chroma;
    }
    // A width x height image in `memory` (byte_size(width, height) bytes, not initialised).
    static Yuv420 place(std::uint8_t* memory, int width, int height) {
        Yuv420 image;
        image.width = width;
        image.height = height;
        const int cw = chroma_size(width), ch = chroma_size(height);
        image.y = {memory, width, height, static_cast<std::size_t>(width)};
        std::uint8_t* chroma = memory + static_cast<std::size_t>(width) * height;
        image.cb = {chroma, cw, ch, static_cast<std::size_t>(cw)};
        image.cr = {chroma + static_cast<std::size_t>(cw) * ch, cw, ch,
                    static_cast<std::size_t>(cw)};
        return image;
    }
};

// Memory a render thread keeps from one render to the next, so that a render's buffers are not
// fresh pages each time (a page fault and the kernel zeroing each page: as much time as the
// pixel work for a large output). Up to `kept` bytes stay with the thread between renders;
// a larger buffer is given back by trim().
class ScratchBuffer {
  public:
    explicit ScratchBuffer(std::size_t kept) : kept_(kept) {}
    // At least `bytes` bytes, contents undefined; valid until the next get() or trim().
    std::uint8_t* get(std::size_t bytes) {
        if (bytes > size_) {
            data_.reset();  // before the new one: never both at once
            data_.reset(new std::uint8_t[bytes]);
            size_ = bytes;
        }
        return data_.get();
    }
    void trim() {
        if (size_ > kept_) {
            data_.reset();
            size_ = 0;
        }
    }

  private:
    std::size_t kept_;
    std::unique_ptr<std::uint8_t[]> data_;
    std::size_t size_ = 0;
};

}  // namespace iiif
