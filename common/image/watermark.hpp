// Watermarks: a PNG or a line of text blended onto a rendered output, in memory, after region,
// size, mirror and rotation and before the quality conversion (so a grey or bitonal output
// carries the mark in grey or bitonal too). The master is never touched.
#pragma once

#include <optional>
#include <string>
#include <vips/vips8>

#include "access.hpp"

namespace iiif {

// Nullopt when `spec` can be used; else why not, for a configuration error message. Reads (and
// decodes) the mark's PNG, so libvips must be initialised.
std::optional<std::string> watermark_problem(const WatermarkSpec& spec);

// Whether an output of width x height gets the mark: its longer side reaches min_size.
bool watermark_applies(const WatermarkSpec& spec, int width, int height);

// `image` with the mark blended in: 8-bit sRGB or grey, with or without alpha, as the
// renderer has it before quality; the result keeps its bands and interpretation. Unchanged only
// when the mark does not apply (min_size): on a small output the margins narrow to let it in.
// Throws IiifError (500) when the mark's PNG cannot be read.
vips::VImage apply_watermark(const vips::VImage& image, const WatermarkSpec& spec);

}  // namespace iiif
