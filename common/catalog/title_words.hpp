// The words of a title as the catalog's title index keeps them and as a search compares them:
// Unicode compatibility-decomposed (NFKD), without combining marks (accents), case-folded, and
// split at every character that is not a letter or a digit. "L'Île-de-France" gives "l", "ile",
// "de", "france"; a search for "ÎLE" or "ile" finds it. glib (which libvips brings) does the
// Unicode work.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace iiif {

// Each word once, in the order first met; none longer than kMaxTitleWordBytes (longer ones are
// cut at a character boundary). Words of one character are kept, so that "n°3" is found by "3"
// (the index grows by one entry per such word; a search's reads are bounded anyway). Text that
// is not UTF-8 gives no words.
inline constexpr size_t kMaxTitleWordBytes = 64;
std::vector<std::string> title_words(std::string_view text);

// Whether every word of `query` begins some word of `words` (both from title_words): the
// search's rule, so that "carte fran" finds "Carte de France".
bool title_matches(const std::vector<std::string>& query, const std::vector<std::string>& words);

}  // namespace iiif
