// JPEG output with TurboJPEG: one call, from pixels already in memory, with no pipeline to set up.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "yuv420.hpp"

namespace iiif {

// Baseline JPEG of `width` x `height` 8-bit pixels, 1 band (grey) or 3 (sRGB), rows `row_bytes`
// apart. Chroma is subsampled 4:2:0 below quality 90 and kept whole from 90 up (the rule
// libvips and most encoders follow). No metadata is written. Throws IiifError(500) if
// TurboJPEG fails.
std::string encode_jpeg(const std::uint8_t* pixels, int width, int height, int bands,
                        std::size_t row_bytes, int quality);

// Baseline 4:2:0 JPEG of the top-left `width` x `height` of `image`, its planes coded as they
// are: no colour conversion, no chroma downsampling. Throws IiifError(500) if TurboJPEG fails.
std::string encode_jpeg(const Yuv420& image, int width, int height, int quality);

}  // namespace iiif
