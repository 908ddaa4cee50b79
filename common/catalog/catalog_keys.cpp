// The keys of the catalog's databases (their layouts: catalog_keys.hpp), and the public key
// functions catalog.hpp declares.
#include "catalog_keys.hpp"

#include <algorithm>
#include <charconv>

#include "catalog.hpp"
#include "catalog_lmdb.hpp"
#include "title_words.hpp"

namespace iiif {

// The key of an object: the normalized base of any ARK form, or nullopt for no ARK.
std::optional<std::string> catalog_object_key(std::string_view ark) {
    auto parsed = parse_ark(ark);
    if (!parsed) return std::nullopt;
    return parsed->normalized_base();
}

// The key of an image, "{normalized base}/f{n}" with n >= 1 written without leading zeros.
// The page is a hierarchy qualifier ("/f1"), not a variant (".f1").
std::optional<std::string> catalog_image_key(std::string_view id) {
    auto parsed = parse_ark(id);
    if (!parsed || parsed->qualifier.size() < 2 || parsed->qualifier[0] != 'f' ||
        id[id.size() - parsed->qualifier.size() - 1] != '/')
        return std::nullopt;
    std::string_view digits = std::string_view(parsed->qualifier).substr(1);
    int index = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), index);
    if (ec != std::errc() || end != digits.data() + digits.size() || index < 1) return std::nullopt;
    return parsed->normalized_base() + "/f" + std::to_string(index);
}

std::string manifest_document_key(ApiVersion version, std::string_view object_key) {
    return (version == ApiVersion::v3 ? "m3 " : "m2 ") + std::string(object_key);
}

std::string resolver_document_key(std::string_view object_key) {
    return "r " + std::string(object_key);
}

std::string collection_document_key(std::string_view spec, int page) {
    std::string key = std::string(catalog_detail::kCollectionKeyPrefix) + std::string(spec);
    if (page > 0) key += "/" + std::to_string(page);
    return key;
}

namespace catalog_detail {

std::string date_key(std::int64_t datestamp, std::string_view key) {
    std::string out;
    append_u64be(out, datestamp);
    out += key;
    return out;
}

std::string set_key(std::string_view spec, std::int64_t datestamp, std::string_view key) {
    std::string out(spec);
    out.push_back('\0');
    return out + date_key(datestamp, key);
}

std::string member_key(std::string_view spec, std::int64_t created, std::string_view key) {
    return set_key(spec, created, key);  // same layout: spec \0 u64be + ARK
}

std::string word_key(std::string_view word, std::string_view key) {
    std::string out(word);
    out.push_back('\0');
    out.append(key);
    return out;
}

std::string file_key(std::string_view key, std::string_view sha256) {
    return std::string(key) + "|" + std::string(sha256);
}

std::vector<std::string> object_title_words(const ObjectRecord& object) {
    std::vector<std::string> words;
    auto titles = object.metadata.dc.find("title");
    if (titles == object.metadata.dc.end()) return words;
    for (const LangValue& title : titles->second)
        for (std::string& word : title_words(title.value))
            if (std::find(words.begin(), words.end(), word) == words.end())
                words.push_back(std::move(word));
    return words;
}

}  // namespace catalog_detail
}  // namespace iiif
