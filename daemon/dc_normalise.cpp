#include "dc_normalise.hpp"

#include <glib.h>

#include <algorithm>
#include <initializer_list>
#include <iterator>
#include <memory>
#include <regex>
#include <utility>

#include "encoding.hpp"
#include "json.hpp"

namespace iiifd {
namespace {

struct GFree {
    void operator()(gchar* text) const { g_free(text); }
};
using GText = std::unique_ptr<gchar, GFree>;

gssize length_of(std::string_view text) {
    return static_cast<gssize>(text.size());
}

void append_char(std::string& out, gunichar c) {
    char bytes[6];
    out.append(bytes, static_cast<size_t>(g_unichar_to_utf8(c, bytes)));
}

// What the tables are matched against: compatibility forms decomposed (NBSP, superscript ᵉ),
// case folded, accents dropped. `text` is valid UTF-8.
std::string folded(std::string_view text) {
    GText decomposed(g_utf8_normalize(text.data(), length_of(text), G_NORMALIZE_NFKD));
    if (!decomposed) return {};
    GText lower(g_utf8_casefold(decomposed.get(), -1));
    std::string out;
    for (const gchar* p = lower.get(); *p != '\0'; p = g_utf8_next_char(p)) {
        const gunichar c = g_utf8_get_char(p);
        if (!g_unichar_ismark(c)) append_char(out, c);
    }
    return out;
}

// Case folded only: a partner's rule names a value as written, accents included.
std::string case_folded(std::string_view text) {
    GText composed(g_utf8_normalize(text.data(), length_of(text), G_NORMALIZE_NFC));
    if (!composed) return {};
    GText lower(g_utf8_casefold(composed.get(), -1));
    return lower.get();
}

}  // namespace

std::string comparison_key(std::string_view value) {
    return folded(clean_value(value));
}

namespace {

bool is_ascii_digit(char c) {
    return c >= '0' && c <= '9';
}
bool is_ascii_alnum(char c) {
    return is_ascii_digit(c) || (c >= 'a' && c <= 'z');
}

// Only [a-z0-9] of a folded text: labels compared whatever their spaces, hyphens and
// apostrophes ("Pas d'Utilisation Commerciale" -> "pasdutilisationcommerciale").
std::string compact(std::string_view key) {
    std::string out;
    for (char c : key)
        if (is_ascii_alnum(c)) out += c;
    return out;
}

// The [a-z0-9] runs of a folded text: "cc by-nc-nd 4.0" -> cc, by, nc, nd, 4, 0.
std::vector<std::string> words_of(std::string_view key) {
    std::vector<std::string> words(1);
    for (char c : key) {
        if (is_ascii_alnum(c))
            words.back() += c;
        else if (!words.back().empty())
            words.emplace_back();
    }
    if (words.back().empty()) words.pop_back();
    return words;
}

using Entry = std::pair<std::string_view, std::string_view>;

template <size_t N>
std::optional<std::string> look_up(const Entry (&table)[N], std::string_view key) {
    for (const auto& [name, code] : table)
        if (name == key) return std::string(code);
    return std::nullopt;
}

// ---- dates ----

int number(const std::ssub_match& digits) {
    return std::stoi(digits.str());
}

std::string padded(int value, int width) {
    std::string text = std::to_string(value);
    while (text.size() < static_cast<size_t>(width)) text.insert(0, "0");
    return text;
}

int days_in_month(int year, int month) {
    static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return month == 2 && leap ? 29 : kDays[month - 1];
}

// "YYYY", "YYYY-MM" or "YYYY-MM-DD" when the month and day exist (0: not given).
std::optional<std::string> iso_date(int year, int month, int day) {
    std::string date = padded(year, 4);
    if (month == 0) return date;
    if (month < 1 || month > 12) return std::nullopt;
    date += "-" + padded(month, 2);
    if (day == 0) return date;
    if (day < 1 || day > days_in_month(year, month)) return std::nullopt;
    return date + "-" + padded(day, 2);
}

int month_named(std::string_view name) {
    static constexpr std::pair<std::string_view, int> kMonths[] = {
        {"janvier", 1},   {"january", 1},   {"fevrier", 2},   {"february", 2}, {"mars", 3},
        {"march", 3},     {"avril", 4},     {"april", 4},     {"mai", 5},      {"may", 5},
        {"juin", 6},      {"june", 6},      {"juillet", 7},   {"july", 7},     {"aout", 8},
        {"august", 8},    {"septembre", 9}, {"september", 9}, {"octobre", 10}, {"october", 10},
        {"novembre", 11}, {"november", 11}, {"decembre", 12}, {"december", 12}};
    for (const auto& [month_name, month] : kMonths)
        if (month_name == name) return month;
    return 0;
}

// I to XXI: the centuries a catalogue names in Roman numerals.
int roman_century(std::string_view numeral) {
    static constexpr std::string_view kNumerals[] = {
        "i",   "ii",   "iii", "iv", "v",   "vi",   "vii",   "viii", "ix", "x",  "xi",
        "xii", "xiii", "xiv", "xv", "xvi", "xvii", "xviii", "xix",  "xx", "xxi"};
    for (size_t i = 0; i < std::size(kNumerals); ++i)
        if (kNumerals[i] == numeral) return static_cast<int>(i) + 1;
    return 0;
}

struct PlainDate {
    std::string date;
    bool unspecified = false;  // holds X digits (a century, a decade)
};

// One date without qualifier, in a folded text.
std::optional<PlainDate> plain_date(const std::string& text) {
    static const std::regex kIso(R"((\d{4})(?:-(\d{2})(?:-(\d{2}))?)?)");
    static const std::regex kNumeric(R"((\d{1,2})([/.])(\d{1,2})\2(\d{4}))");
    static const std::regex kDayMonth(R"((\d{1,2})(?:er)? ([a-z]+) (\d{4}))");
    static const std::regex kMonthDay(R"(([a-z]+) (\d{1,2}),? (\d{4}))");
    static const std::regex kMonthYear(R"(([a-z]+) (\d{4}))");
    static const std::regex kCentury(
        R"(([ivx]+|\d{1,2})(?:e|eme|er|re|st|nd|rd|th)? (?:siecle|s\.|century))");
    static const std::regex kDecade(R"((\d{3})0s|annees (\d{3})0)");
    static const std::regex kUnspecified(R"(\d{2}xx|\d{3}x)");

    std::smatch m;
    std::optional<std::string> date;
    if (std::regex_match(text, m, kIso)) {
        date = iso_date(number(m[1]), m[2].matched ? number(m[2]) : 0,
                        m[3].matched ? number(m[3]) : 0);
    } else if (std::regex_match(text, m, kDecade)) {
        return PlainDate{(m[1].matched ? m[1].str() : m[2].str()) + "X", true};
    } else if (std::regex_match(text, m, kNumeric)) {
        date = iso_date(number(m[4]), number(m[3]), number(m[1]));
    } else if (std::regex_match(text, m, kDayMonth)) {
        if (int month = month_named(m[2].str())) date = iso_date(number(m[3]), month, number(m[1]));
    } else if (std::regex_match(text, m, kMonthDay)) {
        if (int month = month_named(m[1].str())) date = iso_date(number(m[3]), month, number(m[2]));
    } else if (std::regex_match(text, m, kMonthYear)) {
        if (int month = month_named(m[1].str())) date = iso_date(number(m[2]), month, 0);
    } else if (std::regex_match(text, m, kCentury)) {
        const std::string numeral = m[1].str();
        const int century =
            is_ascii_digit(numeral[0]) ? std::stoi(numeral) : roman_century(numeral);
        if (century < 1 || century > 21) return std::nullopt;
        return PlainDate{padded(century - 1, 2) + "XX", true};
    } else if (std::regex_match(text, kUnspecified)) {
        std::string date_text = text;
        std::replace(date_text.begin(), date_text.end(), 'x', 'X');
        return PlainDate{date_text, true};
    }
    if (!date) return std::nullopt;
    return PlainDate{*date, false};
}

struct Qualifiers {
    bool uncertain = false;
    bool approximate = false;
};

// "vers 1850", "ca. 1850", "c1850", "ca [1850]", "vers juillet 1850": the text after a word that
// makes a date approximate, or nullopt. A month name must be set apart from the word.
std::optional<std::string_view> after_approximation(std::string_view text) {
    static constexpr std::string_view kWords[] = {"circa", "environ", "env", "vers", "ca", "c"};
    for (std::string_view word : kWords) {
        if (!text.starts_with(word)) continue;
        std::string_view rest = text.substr(word.size());
        const bool set_apart = rest.starts_with(".") || rest.starts_with(" ");
        if (rest.starts_with(".")) rest.remove_prefix(1);
        rest = iiif::trim_space(rest);
        if (rest.empty()) continue;
        if (is_ascii_digit(rest.front()) || rest.front() == '[' ||
            (set_apart && rest.front() >= 'a' && rest.front() <= 'z'))
            return rest;
    }
    return std::nullopt;
}

// Peels brackets and approximation words off `text`, and EDTF's trailing ? ~ % when `marks`,
// into `qualifiers`.
std::string without_qualifiers(std::string_view text, Qualifiers& qualifiers, bool marks) {
    text = iiif::trim_space(text);
    for (;;) {
        if (text.size() > 2 && text.front() == '[' && text.back() == ']' &&
            text.substr(1, text.size() - 2).find_first_of("[]") == std::string_view::npos) {
            qualifiers.uncertain = true;
            text = iiif::trim_space(text.substr(1, text.size() - 2));
        } else if (marks && !text.empty() &&
                   (text.back() == '?' || text.back() == '~' || text.back() == '%')) {
            if (text.back() != '~') qualifiers.uncertain = true;
            if (text.back() != '?') qualifiers.approximate = true;
            text = iiif::trim_space(text.substr(0, text.size() - 1));
        } else if (auto rest = after_approximation(text)) {
            qualifiers.approximate = true;
            text = *rest;
        } else {
            return std::string(text);
        }
    }
}

// One date with its qualifiers, those of `qualifiers` added. An unspecified one (17XX) only
// alone and unqualified: EDTF level 1 qualifies and bounds intervals with whole dates.
std::optional<std::string> qualified_date(std::string_view text, Qualifiers qualifiers,
                                          bool alone) {
    const std::optional<PlainDate> date = plain_date(without_qualifiers(text, qualifiers, true));
    if (!date) return std::nullopt;
    const char mark = qualifiers.uncertain && qualifiers.approximate ? '%'
                      : qualifiers.uncertain                         ? '?'
                      : qualifiers.approximate                       ? '~'
                                                                     : '\0';
    if (date->unspecified) {
        if (mark != '\0' || !alone) return std::nullopt;
        return date->date;
    }
    return mark == '\0' ? date->date : date->date + mark;
}

// "a/b", "a - b", "a-b" (a hyphen or a dash, once): the two ends of an interval.
std::optional<std::pair<std::string_view, std::string_view>> interval_ends(std::string_view text) {
    static constexpr std::string_view kSeparators[] = {"/",      " - ",    " \u2013 ", " \u2014 ",
                                                       "\u2013", "\u2014", "-"};
    for (std::string_view separator : kSeparators) {
        const size_t at = text.find(separator);
        if (at == std::string_view::npos) continue;
        if (text.find(separator, at + separator.size()) != std::string_view::npos)
            return std::nullopt;
        return std::pair{text.substr(0, at), text.substr(at + separator.size())};
    }
    return std::nullopt;
}

std::string_view unqualified(std::string_view date) {
    while (!date.empty() && !is_ascii_digit(date.back())) date.remove_suffix(1);
    return date;
}

// ---- languages, types, formats ----

// Folded names and codes -> ISO 639-1, else ISO 639-2/B; one language a line.
// clang-format off
constexpr Entry kLanguages[] = {
    {"francais", "fr"}, {"french", "fr"}, {"fre", "fr"}, {"fra", "fr"}, {"fr", "fr"},
    {"anglais", "en"}, {"english", "en"}, {"eng", "en"}, {"en", "en"},
    {"allemand", "de"}, {"german", "de"}, {"deutsch", "de"}, {"ger", "de"}, {"deu", "de"},
        {"de", "de"},
    {"latin", "la"}, {"lat", "la"}, {"la", "la"},
    {"occitan", "oc"}, {"oci", "oc"}, {"oc", "oc"},
    {"breton", "br"}, {"bre", "br"}, {"br", "br"},
    {"italien", "it"}, {"italian", "it"}, {"italiano", "it"}, {"ita", "it"}, {"it", "it"},
    {"espagnol", "es"}, {"spanish", "es"}, {"espanol", "es"}, {"castillan", "es"}, {"spa", "es"},
        {"es", "es"},
    {"neerlandais", "nl"}, {"dutch", "nl"}, {"nederlands", "nl"}, {"flamand", "nl"}, {"dut", "nl"},
        {"nld", "nl"}, {"nl", "nl"},
    {"portugais", "pt"}, {"portuguese", "pt"}, {"portugues", "pt"}, {"por", "pt"}, {"pt", "pt"},
    {"basque", "eu"}, {"euskara", "eu"}, {"baq", "eu"}, {"eus", "eu"}, {"eu", "eu"},
    {"catalan", "ca"}, {"catala", "ca"}, {"cat", "ca"}, {"ca", "ca"},
    {"grec", "el"}, {"greek", "el"}, {"grec moderne", "el"}, {"modern greek", "el"}, {"gre", "el"},
        {"ell", "el"}, {"el", "el"},
    {"grec ancien", "grc"}, {"ancient greek", "grc"}, {"grc", "grc"},
    {"hebreu", "he"}, {"hebrew", "he"}, {"heb", "he"}, {"he", "he"},
    {"arabe", "ar"}, {"arabic", "ar"}, {"ara", "ar"}, {"ar", "ar"},
    {"indetermine", "und"}, {"undetermined", "und"}, {"und", "und"},
    {"pas de contenu linguistique", "zxx"}, {"no linguistic content", "zxx"}, {"zxx", "zxx"},
};
// clang-format on

// Folded names -> DCMI Type terms. Printed music ("partition") is Text: DCMI Type has no
// notated-music term, and a score is read as a text is.
constexpr Entry kTypes[] = {
    {"texte imprime", "Text"},
    {"texte", "Text"},
    {"text", "Text"},
    {"monographie imprimee", "Text"},
    {"manuscrit", "Text"},
    {"texte manuscrit", "Text"},
    {"manuscript", "Text"},
    {"periodique", "Text"},
    {"livre", "Text"},
    {"book", "Text"},
    {"partition", "Text"},
    {"musique imprimee", "Text"},
    {"image fixe", "StillImage"},
    {"image", "StillImage"},
    {"photographie", "StillImage"},
    {"photograph", "StillImage"},
    {"estampe", "StillImage"},
    {"print", "StillImage"},
    {"dessin", "StillImage"},
    {"drawing", "StillImage"},
    {"carte", "StillImage"},
    {"map", "StillImage"},
    {"plan", "StillImage"},
    {"affiche", "StillImage"},
    {"still image", "StillImage"},
    {"stillimage", "StillImage"},
    {"enregistrement sonore", "Sound"},
    {"sound recording", "Sound"},
    {"son", "Sound"},
    {"sound", "Sound"},
    {"video", "MovingImage"},
    {"film", "MovingImage"},
    {"image animee", "MovingImage"},
    {"moving image", "MovingImage"},
    {"movingimage", "MovingImage"},
    {"objet", "PhysicalObject"},
    {"object", "PhysicalObject"},
    {"objet physique", "PhysicalObject"},
    {"physical object", "PhysicalObject"},
    {"physicalobject", "PhysicalObject"},
    {"collection", "Collection"},
    {"jeu de donnees", "Dataset"},
    {"dataset", "Dataset"},
    {"evenement", "Event"},
    {"event", "Event"},
    {"ressource interactive", "InteractiveResource"},
    {"interactive resource", "InteractiveResource"},
    {"interactiveresource", "InteractiveResource"},
    {"service", "Service"},
    {"logiciel", "Software"},
    {"software", "Software"},
};

constexpr std::string_view kDcmiTerms[] = {
    "Collection",     "Dataset", "Event",    "Image", "InteractiveResource", "MovingImage",
    "PhysicalObject", "Service", "Software", "Sound", "StillImage",          "Text"};

// The publication types of info:eu-repo/semantics/ (folded) that are texts; the others
// (lecture, conferenceObject, other) say too little.
constexpr std::string_view kEuRepoTexts[] = {"article",
                                             "bachelorthesis",
                                             "masterthesis",
                                             "doctoralthesis",
                                             "book",
                                             "bookpart",
                                             "review",
                                             "contributiontoperiodical",
                                             "preprint",
                                             "report",
                                             "workingpaper",
                                             "annotation",
                                             "patent",
                                             "technicaldocumentation",
                                             "researchproposal",
                                             "conferencepaper"};

constexpr Entry kFormats[] = {
    {"jpeg", "image/jpeg"},
    {"jpg", "image/jpeg"},
    {"image/jpeg", "image/jpeg"},
    {"image/jpg", "image/jpeg"},
    {"tiff", "image/tiff"},
    {"tif", "image/tiff"},
    {"image/tiff", "image/tiff"},
    {"jpeg 2000", "image/jp2"},
    {"jpeg2000", "image/jp2"},
    {"jp2", "image/jp2"},
    {"image/jp2", "image/jp2"},
    {"png", "image/png"},
    {"image/png", "image/png"},
    {"gif", "image/gif"},
    {"image/gif", "image/gif"},
    {"pdf", "application/pdf"},
    {"application/pdf", "application/pdf"},
};

// ---- rights ----

std::optional<std::string> creative_commons_version(std::string_view key) {
    static const std::regex kVersion(R"((\d)\.(\d))");
    std::match_results<std::string_view::const_iterator> m;
    if (!std::regex_search(key.begin(), key.end(), m, kVersion)) return "4.0";
    const std::string version = m.str();
    static constexpr std::string_view kVersions[] = {"1.0", "2.0", "2.5", "3.0", "4.0"};
    if (std::find(std::begin(kVersions), std::end(kVersions), version) == std::end(kVersions))
        return std::nullopt;
    return version;
}

std::string licence(std::string_view code, std::string_view version) {
    return "https://creativecommons.org/licenses/" + std::string(code) + "/" +
           std::string(version) + "/";
}

constexpr std::string_view kPublicDomainMark = "https://creativecommons.org/publicdomain/mark/1.0/";
constexpr std::string_view kZero = "https://creativecommons.org/publicdomain/zero/1.0/";

constexpr std::string_view kStatements[] = {"InC",     "InC-OW-EU", "InC-EDU", "InC-NC",
                                            "InC-RUU", "NoC-CR",    "NoC-NC",  "NoC-OKLR",
                                            "NoC-US",  "CNE",       "UND",     "NKC"};

std::string rights_statement(std::string_view code) {
    return "http://rightsstatements.org/vocab/" + std::string(code) + "/1.0/";
}

std::vector<std::string_view> path_segments(std::string_view path) {
    std::vector<std::string_view> segments;
    size_t start = 0;
    while (start < path.size()) {
        size_t end = path.find('/', start);
        if (end == std::string_view::npos) end = path.size();
        if (end > start) segments.push_back(path.substr(start, end - start));
        start = end + 1;
    }
    return segments;
}

// A Creative Commons or RightsStatements.org URL in a folded text, whatever its scheme, "www.",
// trailing slash, query, or deed or legal code page.
std::optional<std::string> licence_of_url(std::string_view key) {
    for (std::string_view host : {"creativecommons.org/", "rightsstatements.org/"}) {
        const size_t at = key.find(host);
        if (at == std::string_view::npos) continue;
        std::string_view path = key.substr(at + host.size());
        path = path.substr(0, path.find_first_of(" ?#"));
        std::vector<std::string_view> segments = path_segments(path);
        if (!segments.empty() &&
            (segments.back() == "legalcode" || segments.back().starts_with("deed")))
            segments.pop_back();
        if (host.starts_with("rights")) {
            if (segments.size() != 3 || (segments[0] != "vocab" && segments[0] != "page") ||
                segments[2] != "1.0")
                return std::nullopt;
            for (std::string_view code : kStatements)
                if (case_folded(code) == segments[1]) return rights_statement(code);
            return std::nullopt;
        }
        if (segments.size() == 3 && segments[0] == "publicdomain" && segments[2] == "1.0") {
            if (segments[1] == "zero") return std::string(kZero);
            if (segments[1] == "mark") return std::string(kPublicDomainMark);
            return std::nullopt;
        }
        if (segments.size() < 2 || segments.size() > 4 || segments[0] != "licenses")
            return std::nullopt;
        static constexpr std::string_view kCodes[] = {"by",    "by-sa",    "by-nd",
                                                      "by-nc", "by-nc-sa", "by-nc-nd"};
        if (std::find(std::begin(kCodes), std::end(kCodes), segments[1]) == std::end(kCodes))
            return std::nullopt;
        if (segments.size() == 2) return licence(segments[1], "4.0");
        const std::optional<std::string> version = creative_commons_version(segments[2]);
        if (!version || *version != segments[2]) return std::nullopt;
        std::string uri = licence(segments[1], *version);
        if (segments.size() == 4) {
            const std::string_view port = segments[3];
            if (port.size() < 2 || port.size() > 8 ||
                !std::all_of(port.begin(), port.end(),
                             [](char c) { return (c >= 'a' && c <= 'z') || c == '-'; }))
                return std::nullopt;
            uri += std::string(port) + "/";
        }
        return uri;
    }
    return std::nullopt;
}

// A Creative Commons licence by its label: "CC BY-NC-ND 4.0", "cc-by-sa", "Creative Commons
// Attribution - Pas d'Utilisation Commerciale 4.0", "Attribution-NonCommercial-NoDerivatives".
std::optional<std::string> licence_of_label(std::string_view key) {
    const std::string letters = compact(key);
    const std::vector<std::string> words = words_of(key);
    const bool creative_commons = (!words.empty() && words.front() == "cc") ||
                                  letters.find("creativecommons") != std::string::npos;
    if (!creative_commons) return std::nullopt;
    auto has_word = [&](std::string_view word) {
        return std::find(words.begin(), words.end(), word) != words.end();
    };
    auto has = [&](std::initializer_list<std::string_view> names) {
        return std::any_of(names.begin(), names.end(), [&](std::string_view name) {
            return letters.find(name) != std::string::npos;
        });
    };
    const bool by = has_word("by") || has({"attribution", "paternite"});
    const bool nc = has_word("nc") || has({"noncommercial", "pasdutilisationcommerciale"});
    const bool nd = has_word("nd") || has({"noderiv", "pasdemodification"});
    const bool sa = has_word("sa") || has({"sharealike", "partagedanslesmemesconditions",
                                           "partagedesconditionsinitialesalidentique"});
    if (!by || (nd && sa)) return std::nullopt;
    const std::optional<std::string> version = creative_commons_version(key);
    if (!version) return std::nullopt;
    std::string code = "by";
    if (nc) code += "-nc";
    if (nd) code += "-nd";
    if (sa) code += "-sa";
    return licence(code, *version);
}

constexpr Entry kStatementLabels[] = {
    {"incopyright", "InC"},
    {"incopyrighteuorphanwork", "InC-OW-EU"},
    {"incopyrighteducationalusepermitted", "InC-EDU"},
    {"incopyrightnoncommercialusepermitted", "InC-NC"},
    {"incopyrightrightsholdersunlocatableorunidentifiable", "InC-RUU"},
    {"nocopyrightcontractualrestrictions", "NoC-CR"},
    {"nocopyrightnoncommercialuseonly", "NoC-NC"},
    {"nocopyrightotherknownlegalrestrictions", "NoC-OKLR"},
    {"nocopyrightunitedstates", "NoC-US"},
    {"copyrightnotevaluated", "CNE"},
    {"copyrightundetermined", "UND"},
    {"noknowncopyright", "NKC"},
};

constexpr std::string_view kPublicDomainLabels[] = {"domainepublic",
                                                    "publicdomain",
                                                    "publicdomainmark",
                                                    "publicdomainmark10",
                                                    "marquedudomainepublic",
                                                    "marquedudomainepublic10",
                                                    "pdm"};

// ---- a record ----

bool is_controlled(std::string_view element) {
    return element == "date" || element == "language" || element == "type" || element == "format";
}

std::optional<std::string> mapped(std::string_view element, std::string_view value) {
    if (element == "date") return edtf_date(value);
    if (element == "language") return iso_language(value);
    if (element == "type") return dcmi_type(value);
    return media_type(value);
}

// nullopt: no rule for this value; "": the rule drops it.
std::optional<std::string> overridden(const PartnerRules& rules, std::string_view element,
                                      std::string_view value) {
    std::string wanted;
    for (const DcOverride& rule : rules.overrides) {
        if (rule.element != element) continue;
        if (wanted.empty()) wanted = case_folded(value);
        if (case_folded(clean_value(rule.source)) == wanted) return clean_value(rule.target);
    }
    return std::nullopt;
}

// An xml:lang as the catalog takes it: a name or code of the language table as its code, a
// well-formed tag as it is; "" for none or for a malformed one (reported).
std::string language_tag(std::string_view lang, const std::string& element,
                         std::vector<DcFinding>& findings) {
    const std::string tag = clean_value(lang);
    if (tag.empty()) return tag;
    if (std::optional<std::string> code = look_up(kLanguages, folded(tag))) return *code;
    if (iiif::is_valid_language_tag(tag)) return tag;
    findings.push_back({FindingKind::language_tag_dropped, element, tag});
    return {};
}

// Cuts `value` to iiif::kMaxMetadataValueBytes at a character boundary; true when it did.
bool cut_to_limit(std::string& value) {
    if (value.size() <= iiif::kMaxMetadataValueBytes) return false;
    size_t end = iiif::kMaxMetadataValueBytes;
    // Back to the start of a character (not a continuation byte 10xxxxxx).
    while (end > 0 && (static_cast<unsigned char>(value[end]) & 0xC0) == 0x80) --end;
    value.resize(end);
    while (!value.empty() && value.back() == ' ') value.pop_back();
    return true;
}

// The start of a long value, to name it in a finding.
std::string preview(const std::string& value) {
    size_t end = std::min<size_t>(value.size(), 64);
    while (end > 0 && end < value.size() && (static_cast<unsigned char>(value[end]) & 0xC0) == 0x80)
        --end;
    return value.substr(0, end) + "...";
}

void add_unique(std::vector<iiif::LangValue>& values, iiif::LangValue value) {
    if (std::find(values.begin(), values.end(), value) == values.end())
        values.push_back(std::move(value));
}

std::vector<iiif::LangValue> normalised_values(const std::string& element,
                                               const std::vector<iiif::LangValue>& given,
                                               const PartnerRules& rules,
                                               std::vector<DcFinding>& findings) {
    std::vector<iiif::LangValue> cleaned;
    for (const iiif::LangValue& value : given) {
        iiif::LangValue clean{clean_value(value.value),
                              language_tag(value.lang, element, findings)};
        if (!clean.value.empty()) add_unique(cleaned, std::move(clean));
    }
    const bool controlled = is_controlled(element);
    std::vector<iiif::LangValue> result;
    for (iiif::LangValue& value : cleaned) {
        bool unmapped = false;
        if (std::optional<std::string> target = overridden(rules, element, value.value)) {
            if (target->empty()) continue;
            value.value = std::move(*target);
            if (controlled) value.lang.clear();
        } else if (controlled) {
            if (std::optional<std::string> term = mapped(element, value.value)) {
                value.value = std::move(*term);
                value.lang.clear();
            } else {
                unmapped = !(element == "format" && is_extent(value.value));
            }
        }
        if (cut_to_limit(value.value))
            findings.push_back({FindingKind::value_cut, element, preview(value.value)});
        if (unmapped) findings.push_back({FindingKind::unmapped, element, value.value});
        add_unique(result, std::move(value));
    }
    return result;
}

}  // namespace

std::string clean_value(std::string_view value) {
    GText valid(g_utf8_make_valid(value.data(), length_of(value)));
    std::string out;
    bool space = false;
    for (const gchar* p = valid.get(); *p != '\0'; p = g_utf8_next_char(p)) {
        const gunichar c = g_utf8_get_char(p);
        if (g_unichar_isspace(c)) {
            space = true;
            continue;
        }
        if (space && !out.empty()) out += ' ';
        space = false;
        append_char(out, c);
    }
    return out;
}

std::optional<std::string> edtf_date(std::string_view value) {
    const std::string key = comparison_key(value);
    if (key.empty()) return std::nullopt;
    if (std::optional<std::string> date = qualified_date(key, {}, true)) return date;
    // An interval; brackets or a word around it qualify both ends, a trailing mark its end.
    Qualifiers outer;
    const std::string core = without_qualifiers(key, outer, false);
    const auto ends = interval_ends(core);
    if (!ends) return std::nullopt;
    const std::optional<std::string> start = qualified_date(ends->first, outer, false);
    const std::optional<std::string> end = qualified_date(ends->second, outer, false);
    if (!start || !end || unqualified(*start) > unqualified(*end)) return std::nullopt;
    return *start + "/" + *end;
}

std::optional<std::string> iso_language(std::string_view value) {
    const std::string key = comparison_key(value);
    if (std::optional<std::string> code = look_up(kLanguages, key)) return code;
    // A tag with a region or script: its language subtag, when it is a code.
    const size_t dash = key.find_first_of("-_");
    if (dash != 2 && dash != 3) return std::nullopt;
    return look_up(kLanguages, std::string_view(key).substr(0, dash));
}

std::optional<std::string> dcmi_type(std::string_view value) {
    const std::string key = comparison_key(value);
    for (std::string_view prefix :
         {"http://purl.org/dc/dcmitype/", "https://purl.org/dc/dcmitype/"}) {
        if (!key.starts_with(prefix)) continue;
        std::string_view term = std::string_view(key).substr(prefix.size());
        if (term.ends_with("/")) term.remove_suffix(1);
        for (std::string_view dcmi : kDcmiTerms)
            if (case_folded(dcmi) == term) return std::string(dcmi);
        return std::nullopt;
    }
    constexpr std::string_view kEuRepo = "info:eu-repo/semantics/";
    if (key.starts_with(kEuRepo)) {
        const std::string_view kind = std::string_view(key).substr(kEuRepo.size());
        if (std::find(std::begin(kEuRepoTexts), std::end(kEuRepoTexts), kind) !=
            std::end(kEuRepoTexts))
            return "Text";
        return std::nullopt;
    }
    return look_up(kTypes, key);
}

std::optional<std::string> media_type(std::string_view value) {
    const std::string key = comparison_key(value);
    if (std::optional<std::string> type = look_up(kFormats, key)) return type;
    static const std::regex kMediaType(
        R"((application|audio|font|image|message|model|multipart|text|video)/[a-z0-9][a-z0-9!#$&^_.+-]*)");
    if (std::regex_match(key, kMediaType)) return key;
    return std::nullopt;
}

bool is_extent(std::string_view value) {
    const std::string key = comparison_key(value);
    return std::any_of(key.begin(), key.end(), is_ascii_digit) || key.starts_with("in-");
}

std::optional<std::string> license_uri(std::string_view value) {
    const std::string key = comparison_key(value);
    if (std::optional<std::string> uri = licence_of_url(key)) return uri;
    const std::string letters = compact(key);
    if (letters.starts_with("cc0") || letters.find("creativecommonszero") != std::string::npos)
        return std::string(kZero);
    if (std::find(std::begin(kPublicDomainLabels), std::end(kPublicDomainLabels), letters) !=
        std::end(kPublicDomainLabels))
        return std::string(kPublicDomainMark);
    if (std::optional<std::string> code = look_up(kStatementLabels, letters))
        return rights_statement(*code);
    return licence_of_label(key);
}

NormalisedRecord normalise_record(const RawDublinCore& raw, const PartnerRules& rules) {
    NormalisedRecord record;
    for (const auto& [element, values] : raw) {
        if (!iiif::is_dublin_core_element(element))
            record.findings.push_back({FindingKind::unknown_element, element, ""});
    }
    for (std::string_view name : iiif::kDublinCoreElements) {
        const std::string element(name);
        const auto given = raw.find(element);
        if (given == raw.end()) continue;
        std::vector<iiif::LangValue> values =
            normalised_values(element, given->second, rules, record.findings);
        if (!values.empty()) record.metadata.dc[element] = std::move(values);
    }
    for (const char* element : {"title", "date", "rights"}) {
        if (!record.metadata.dc.contains(element))
            record.findings.push_back({FindingKind::missing, element, ""});
    }
    const auto rights = record.metadata.dc.find("rights");
    if (rights != record.metadata.dc.end()) {
        for (const iiif::LangValue& value : rights->second) {
            if (std::optional<std::string> uri = license_uri(value.value)) {
                record.metadata.license = std::move(*uri);
                return record;
            }
        }
        for (const iiif::LangValue& value : rights->second)
            record.findings.push_back({FindingKind::unmapped, "rights", value.value});
    }
    record.metadata.license = rules.default_license;
    record.findings.push_back({FindingKind::default_license, "rights", rules.default_license});
    return record;
}

}  // namespace iiifd
