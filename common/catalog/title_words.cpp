#include "title_words.hpp"

#include <glib.h>

#include <algorithm>
#include <memory>

namespace iiif {
namespace {

struct GFree {
    void operator()(gchar* text) const { g_free(text); }
};
using GText = std::unique_ptr<gchar, GFree>;

void add_word(std::vector<std::string>& words, std::string word) {
    if (word.empty()) return;
    if (word.size() > kMaxTitleWordBytes) {
        size_t end = kMaxTitleWordBytes;
        // Back to the start of a UTF-8 character (not a continuation byte 10xxxxxx).
        while (end > 0 && (static_cast<unsigned char>(word[end]) & 0xC0) == 0x80) --end;
        word.resize(end);
    }
    if (std::find(words.begin(), words.end(), word) == words.end())
        words.push_back(std::move(word));
}

}  // namespace

std::vector<std::string> title_words(std::string_view text) {
    std::vector<std::string> words;
    if (text.empty() || !g_utf8_validate(text.data(), static_cast<gssize>(text.size()), nullptr))
        return words;
    GText decomposed(
        g_utf8_normalize(text.data(), static_cast<gssize>(text.size()), G_NORMALIZE_NFKD));
    if (!decomposed) return words;
    GText folded(g_utf8_casefold(decomposed.get(), -1));
    if (!folded) return words;
    std::string word;
    for (const gchar* p = folded.get(); *p != '\0'; p = g_utf8_next_char(p)) {
        const gunichar c = g_utf8_get_char(p);
        if (g_unichar_ismark(c)) continue;  // an accent, once decomposed
        if (!g_unichar_isalnum(c)) {
            add_word(words, std::move(word));
            word.clear();
            continue;
        }
        char bytes[6];
        word.append(bytes, static_cast<size_t>(g_unichar_to_utf8(c, bytes)));
    }
    add_word(words, std::move(word));
    return words;
}

bool title_matches(const std::vector<std::string>& query, const std::vector<std::string>& words) {
    return std::all_of(query.begin(), query.end(), [&](const std::string& wanted) {
        return std::any_of(words.begin(), words.end(),
                           [&](const std::string& word) { return word.starts_with(wanted); });
    });
}

}  // namespace iiif
