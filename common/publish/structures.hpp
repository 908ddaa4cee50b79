// A manifest's table of contents (records.hpp's PageRange): Presentation 3.0 and 2.1
// `structures`, whose ranges point at the manifest's canvases ({base}/canvas/f{n}). Private to
// common/publish/ (presentation.cpp).
#pragma once

#include <jansson.h>

#include <string>
#include <vector>

#include "records.hpp"

namespace iiif {

// The ranges of `ranges` over the pages `shown` (a page no longer shown is left out, and so is
// a range left with nothing), numbered in reading order: {base}/range/r1, r2... Null when none
// is left. A new reference.
json_t* structures_v3(const std::string& base, const std::vector<PageRange>& ranges,
                      const std::vector<const ImageRecord*>& shown);
// 2.1: every range in one flat list, in reading order, each naming its pages in `canvases` and
// the ranges nested in it in `ranges`.
json_t* structures_v2(const std::string& base, const std::vector<PageRange>& ranges,
                      const std::vector<const ImageRecord*>& shown);

}  // namespace iiif
