// The labels a deposit gives its pages ("f. 1r", "p. 3", "plate II"), from the `pages` part of
// the deposit (JSON), one of:
//   {"labels": ["Cover", "f. 1r", ...]}         given, in page order (at most one per file;
//                                               "" or a page left over: its number)
//   {"rule": "page", "start": 1}                p. 1, p. 2, ...
//   {"rule": "folio", "start": 1}               f. 1r, f. 1v, f. 2r, ... (recto and verso)
//   {"rule": "filename"}                        the file's name without its extension
// `start` (default 1) is the number of the first page or folio.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ingest.hpp"

namespace iiifd {

// Sets each file's label. IiifError 400 ("pages: ...", "pages.labels[2]: ...") for another
// shape, an unknown rule, more labels than files, a label over 200 bytes.
void apply_page_labels(std::string_view pages_json, std::vector<DepositFile>& files);

}  // namespace iiifd
