// CatalogReader::search_titles (catalog.hpp): active objects whose titles have every word of a
// query, from the `words` index, with the work bounded however large the catalog. The words
// themselves are title_words.hpp's.
#include <algorithm>
#include <set>
#include <tuple>

#include "catalog.hpp"
#include "catalog_keys.hpp"
#include "catalog_lmdb.hpp"
#include "title_words.hpp"

namespace iiif {
using namespace catalog_detail;

namespace {

// One object's words that share the prefix are not adjacent ("carte", "cartes"): a set keeps
// each object once.
using Candidates = std::set<std::string, std::less<>>;

// The keys of the objects that have a word beginning with `prefix`, from at most
// kMaxSearchCandidates index entries.
Candidates title_candidates(const Txn& txn, MDB_dbi words, const std::string& prefix) {
    Candidates candidates;
    Cursor cursor(txn, words);
    size_t read = 0;
    for (bool more = cursor.seek(prefix); more && read < CatalogReader::kMaxSearchCandidates;
         more = cursor.next(), ++read) {
        std::string_view key = cursor.key();
        if (!key.starts_with(prefix)) break;
        const size_t nul = key.find('\0');
        if (nul != std::string_view::npos) candidates.emplace(key.substr(nul + 1));
    }
    return candidates;
}

// The object under a key when it is active and its title has every word of the query.
struct TitleMatch {
    const Txn& txn;
    MDB_dbi objects;
    const std::vector<std::string>& wanted;

    std::optional<ObjectRecord> operator()(std::string_view key) const {
        auto text = txn.find(objects, key);
        if (!text) return std::nullopt;
        ObjectRecord record = object_record_from_json(*text);
        if (record.state != RecordState::active ||
            !title_matches(wanted, object_title_words(record)))
            return std::nullopt;
        return record;
    }
};

// Reading a record is what a search spends its time on. Many candidates (a short, common word):
// the newest matches are found by walking by_date from the newest, at most kMaxSearchWalk
// entries, reading only the candidates met (which leave `candidates`), which stops at `limit`
// matches when they are not rare.
void match_newest(const Txn& txn, MDB_dbi by_date, Candidates& candidates, const TitleMatch& match,
                  size_t limit, std::vector<ObjectRecord>& records) {
    Cursor cursor(txn, by_date);
    size_t walked = 0;
    for (bool more = cursor.last();
         more && walked < CatalogReader::kMaxSearchWalk && records.size() < limit;
         more = cursor.prev(), ++walked) {
        std::string_view entry = cursor.key();
        if (entry.size() <= kDatestampBytes) continue;
        auto candidate = candidates.find(entry.substr(kDatestampBytes));
        if (candidate == candidates.end()) continue;
        if (auto record = match(*candidate)) records.push_back(std::move(*record));
        candidates.erase(candidate);
    }
}

// The candidates left, all older than those walked (if any): each read, then sorted as
// recent_objects() lists them, and added up to `limit`.
void match_rest(const Candidates& candidates, const TitleMatch& match, size_t limit,
                std::vector<ObjectRecord>& records) {
    std::vector<std::pair<CatalogReader::Position, ObjectRecord>> older;
    if (records.size() < limit) {
        for (const std::string& key : candidates)
            if (auto record = match(key))
                older.emplace_back(CatalogReader::Position{record->datestamp, key},
                                   std::move(*record));
    }
    std::sort(older.begin(), older.end(), [](const auto& a, const auto& b) {
        return std::tie(a.first.datestamp, a.first.ark) > std::tie(b.first.datestamp, b.first.ark);
    });
    for (auto& [position, record] : older) {
        if (records.size() >= limit) break;
        records.push_back(std::move(record));
    }
}

}  // namespace

std::vector<ObjectRecord> CatalogReader::search_titles(std::string_view query, size_t limit) const {
    const std::vector<std::string> wanted = title_words(query);
    if (wanted.empty() || limit == 0 || !has_words_) return {};
    const std::string& longest = *std::max_element(
        wanted.begin(), wanted.end(),
        [](const std::string& a, const std::string& b) { return a.size() < b.size(); });

    Txn txn(env_, MDB_RDONLY);
    Candidates candidates = title_candidates(txn, words_, longest);
    const TitleMatch match{txn, objects_, wanted};
    std::vector<ObjectRecord> records;
    if (candidates.size() > kFewSearchCandidates)
        match_newest(txn, by_date_, candidates, match, limit, records);
    match_rest(candidates, match, limit, records);
    return records;
}

}  // namespace iiif
