#include "sheet_import.hpp"

#include <csv.h>

#include <algorithm>
#include <cctype>
#include <optional>

#include "access_config.hpp"
#include "dc_normalise.hpp"
#include "dublin_core.hpp"
#include "iiif_error.hpp"
#include "json.hpp"

namespace iiifd {
namespace {

// How values of one column become metadata.
enum class Kind { text, date, language, type, licence, provider, shelfmark, sets, access,
                  folder, files, labels };

struct ColumnRule {
    SheetColumn column;
    Kind kind;
};

const std::vector<ColumnRule>& rules() {
    static const std::vector<ColumnRule> table = {
        {{"title", "Title", "Titre", "Livre d'heures à l'usage de Rome@fr | Book of hours@en",
          "the title; values separated by \" | \", a language after @"},
         Kind::text},
        {{"creator", "Creator", "Créateur", "Maître de Rohan", "who made it"}, Kind::text},
        {{"contributor", "Contributor", "Contributeur", "", "who else took part"}, Kind::text},
        {{"publisher", "Publisher", "Éditeur", "", "who published it"}, Kind::text},
        {{"date", "Date", "Date", "vers 1430",
          "when: 1789, 1789-07-14, juillet 1789, XVe siècle, 1850-1860, vers 1430 (becomes EDTF)"},
         Kind::date},
        {{"description", "Description", "Description", "Enluminé, 250 feuillets@fr",
          "what it is"},
         Kind::text},
        {{"subject", "Subject", "Sujet", "Heures (livres de dévotion)@fr", "what it is about"},
         Kind::text},
        {{"type", "Type", "Type", "manuscrit", "manuscrit, texte imprimé, carte... (DCMI Type)"},
         Kind::type},
        {{"format", "Format", "Format", "", "its extent or medium"}, Kind::text},
        {{"language", "Language", "Langue", "latin", "the language of its text (ISO 639)"},
         Kind::language},
        {{"coverage", "Coverage", "Couverture", "", "where or when it is about"}, Kind::text},
        {{"relation", "Relation", "Relation", "", "related resources"}, Kind::text},
        {{"source", "Source", "Source", "", "where it comes from"}, Kind::text},
        {{"identifier", "Identifier", "Identifiant", "", "other identifiers"}, Kind::text},
        {{"rights", "Rights", "Droits", "", "a rights statement, in words"}, Kind::text},
        {{"licence", "Licence", "Licence", "CC BY 4.0",
          "CC BY 4.0, CC0, Domaine public, InC... or its URI"},
         Kind::licence},
        {{"shelfmark", "Shelfmark", "Cote", "Ms. 1234", "where the institution keeps it"},
         Kind::shelfmark},
        {{"institution", "Holding institution", "Institution de conservation",
          "Bibliothèque municipale", "who holds the original"},
         Kind::provider},
        {{"collection", "Collection", "Collection", "manuscrits",
          "the collections (set specs) it goes in"},
         Kind::sets},
        {{"access", "Access", "Accès", "", "an access policy of the platform (empty: public)"},
         Kind::access},
        {{"folder", "Folder", "Dossier", "heures-rohan",
          "the folder of its page images, in name order"},
         Kind::folder},
        {{"files", "Files", "Fichiers", "", "or its files, in page order, separated by \" | \""},
         Kind::files},
        {{"labels", "Page labels", "Foliotation", "folio",
          "page, folio, filename, folio:3 (from f. 3r), or the labels separated by \" | \""},
         Kind::labels},
    };
    return table;
}

// A problem with the value it names: `what: "value"`.
RowProblem naming(const char* column, const char* code, std::string_view what,
                  const std::string& value) {
    return {column, std::string(what) + ": \"" + value + "\"", code, {{"value", value}}};
}

// A header's column and the language it gives its values ("Title@fr", "Titre (fr)").
struct HeaderMatch {
    const ColumnRule* rule = nullptr;
    std::string lang;
};

HeaderMatch match_header(std::string_view header) {
    std::string name = clean_value(header);
    std::string lang;
    if (size_t at = name.rfind('@'); at != std::string::npos) {
        lang = clean_value(name.substr(at + 1));
        name = clean_value(name.substr(0, at));
    } else if (name.size() > 3 && name.back() == ')') {
        if (size_t open = name.rfind('('); open != std::string::npos) {
            lang = clean_value(name.substr(open + 1, name.size() - open - 2));
            name = clean_value(name.substr(0, open));
        }
    }
    const std::string key = comparison_key(name);
    for (const ColumnRule& rule : rules()) {
        if (key == rule.column.key || key == comparison_key(rule.column.english) ||
            key == comparison_key(rule.column.french))
            return {&rule, lang};
    }
    // "License" as Americans write it.
    if (key == "license")
        for (const ColumnRule& rule : rules())
            if (rule.kind == Kind::licence) return {&rule, lang};
    return {};
}

std::vector<std::string> split_values(std::string_view cell) {
    std::vector<std::string> values;
    size_t start = 0;
    while (start <= cell.size()) {
        size_t bar = cell.find('|', start);
        if (bar == std::string_view::npos) bar = cell.size();
        std::string value = clean_value(cell.substr(start, bar - start));
        if (!value.empty()) values.push_back(std::move(value));
        start = bar + 1;
    }
    return values;
}

// A value's own language, after its last '@' when that is a language tag.
std::pair<std::string, std::string> value_and_lang(const std::string& text,
                                                   const std::string& column_lang) {
    const size_t at = text.rfind('@');
    if (at != std::string::npos && at > 0) {
        std::string tag = clean_value(std::string_view(text).substr(at + 1));
        if (iiif::is_valid_language_tag(tag) && tag.size() <= 8)
            return {clean_value(std::string_view(text).substr(0, at)), tag};
    }
    return {text, column_lang};
}

void append_value(json_t* metadata, const char* element, const std::string& value,
                  const std::string& lang) {
    json_t* list = json_object_get(metadata, element);
    if (list == nullptr) {
        list = json_array();
        json_object_set_new(metadata, element, list);
    }
    json_t* item = json_object();
    json_object_set_new(item, "value", iiif::json_string_of(value));
    if (!lang.empty()) json_object_set_new(item, "lang", iiif::json_string_of(lang));
    json_array_append_new(list, item);
}

// The pages part a labels cell gives.
std::string labels_part(const std::string& cell, RowCheck& check) {
    const std::string rule = comparison_key(cell);
    auto with_start = [&](const std::string& name, const std::string& start) {
        iiif::Json part(json_pack("{s:s}", "rule", name.c_str()));
        if (!start.empty()) {
            if (start.find_first_not_of("0123456789") != std::string::npos || start.size() > 6) {
                check.errors.push_back({"labels",
                                        "not a number after the rule: " + start,
                                        "labels.start",
                                        {{"value", start}}});
                return std::string();
            }
            json_object_set_new(part.get(), "start", json_integer(std::stoll(start)));
        }
        return iiif::json_text(part.get());
    };
    for (const auto& [name, words] : std::vector<std::pair<std::string, std::vector<std::string>>>{
             {"page", {"page", "pages", "pagination"}},
             {"folio", {"folio", "folios", "foliotation"}},
             {"filename", {"filename", "file name", "nom de fichier", "fichier"}}}) {
        for (const std::string& word : words) {
            if (rule == word) return with_start(name, "");
            if (rule.starts_with(word + ":")) return with_start(name, clean_value(rule.substr(word.size() + 1)));
        }
    }
    json_t* labels = json_array();
    for (const std::string& label : split_values(cell))
        json_array_append_new(labels, iiif::json_string_of(label));
    iiif::Json part(json_pack("{s:o}", "labels", labels));
    return iiif::json_text(part.get());
}

}  // namespace

const std::vector<SheetColumn>& sheet_columns() {
    static const std::vector<SheetColumn> columns = [] {
        std::vector<SheetColumn> list;
        for (const ColumnRule& rule : rules()) list.push_back(rule.column);
        return list;
    }();
    return columns;
}

std::vector<std::string> unknown_headers(const std::vector<std::string>& headers) {
    std::vector<std::string> unknown;
    for (const std::string& header : headers)
        if (!clean_value(header).empty() && !match_header(header).rule) unknown.push_back(header);
    return unknown;
}

RowCheck check_sheet_row(const iiif::AccessSettings& access, const SheetRow& row) {
    RowCheck check;
    check.number = row.number;
    iiif::Json metadata(json_object());
    std::vector<std::string> sets;
    for (const auto& [header, cell] : row.cells) {
        const HeaderMatch match = match_header(header);
        if (!match.rule || clean_value(cell).empty()) continue;
        const char* key = match.rule->column.key;
        const std::vector<std::string> values = split_values(cell);
        switch (match.rule->kind) {
            case Kind::text:
                for (const std::string& value : values) {
                    auto [text, lang] = value_and_lang(value, match.lang);
                    append_value(metadata.get(), key, text, lang);
                }
                break;
            case Kind::date:
                for (const std::string& value : values) {
                    if (std::optional<std::string> edtf = edtf_date(value))
                        append_value(metadata.get(), "date", *edtf, "");
                    else
                        check.errors.push_back(naming("date", "date.invalid", "not a date", value));
                }
                break;
            case Kind::language:
                for (const std::string& value : values) {
                    if (std::optional<std::string> code = iso_language(value))
                        append_value(metadata.get(), "language", *code, "");
                    else
                        check.errors.push_back(
                            naming("language", "language.invalid", "not a language", value));
                }
                break;
            case Kind::type:
                for (const std::string& value : values) {
                    std::optional<std::string> term = dcmi_type(value);
                    if (!term)
                        check.warnings.push_back(naming("type", "type.unknown",
                                                        "not a DCMI type, kept as it is", value));
                    append_value(metadata.get(), "type", term.value_or(value), "");
                }
                break;
            case Kind::licence:
                if (std::optional<std::string> uri = license_uri(clean_value(cell)))
                    json_object_set_new(metadata.get(), "license", iiif::json_string_of(*uri));
                else
                    check.errors.push_back(
                        naming("licence", "licence.unknown", "unknown licence", clean_value(cell)));
                break;
            case Kind::provider:
                json_object_set_new(metadata.get(), "provider", iiif::json_string_of(clean_value(cell)));
                break;
            case Kind::shelfmark:
                json_object_set_new(metadata.get(), "shelfmark",
                                    iiif::json_string_of(clean_value(cell)));
                break;
            case Kind::sets:
                for (const std::string& value : values) {
                    if (!iiif::is_valid_set_spec(value))
                        check.errors.push_back(
                            naming("collection", "collection.invalid", "not a set spec", value));
                    else
                        sets.push_back(value);
                }
                break;
            case Kind::access:
                json_object_set_new(metadata.get(), "access", iiif::json_string_of(clean_value(cell)));
                break;
            case Kind::folder:
                check.folder = clean_value(cell);
                break;
            case Kind::files:
                check.files = values;
                break;
            case Kind::labels:
                check.pages = labels_part(cell, check);
                break;
        }
    }
    if (!sets.empty()) {
        json_t* list = json_array();
        for (const std::string& set : sets) json_array_append_new(list, json_string(set.c_str()));
        json_object_set_new(metadata.get(), "sets", list);
    }
    if (check.folder.empty() && check.files.empty())
        check.errors.push_back(
            {"folder", "no folder and no files: a document needs pages", "pages.none", {}});
    if (!json_object_get(metadata.get(), "title"))
        check.warnings.push_back(
            {"title", "no title: the document is shown by its ARK", "title.none", {}});
    check.metadata = iiif::json_text(metadata.get());
    // What the deposit would refuse, refused here.
    std::optional<iiif::ObjectMetadata> parsed;
    try {
        parsed = iiif::parse_object_metadata(check.metadata);
    } catch (const iiif::IiifError& refusal) {
        std::string message = refusal.reason;
        if (message.starts_with("metadata: ")) message = message.substr(10);
        const size_t colon = message.find(':');
        const bool field = colon != std::string::npos;
        check.errors.push_back({field ? message.substr(0, colon) : "row",
                                field ? clean_value(message.substr(colon + 1)) : message,
                                "metadata.refused",
                                {}});
    }
    if (parsed) {
        try {
            check_access_name(access, *parsed);
        } catch (const iiif::IiifError&) {
            check.errors.push_back(
                naming("access", "access.unknown", "no such policy", parsed->access));
        }
    }
    return check;
}

json_t* row_check_to_json(const RowCheck& check) {
    auto problems = [](const std::vector<RowProblem>& list) {
        json_t* array = json_array();
        for (const RowProblem& problem : list) {
            json_t* item = json_object();
            json_object_set_new(item, "column", iiif::json_string_of(problem.column));
            json_object_set_new(item, "code", iiif::json_string_of(problem.code));
            if (!problem.params.empty()) {
                json_t* params = json_object();
                for (const auto& [name, value] : problem.params)
                    json_object_set_new(params, name.c_str(), iiif::json_string_of(value));
                json_object_set_new(item, "params", params);
            }
            json_object_set_new(item, "message", iiif::json_string_of(problem.message));
            json_array_append_new(array, item);
        }
        return array;
    };
    json_t* files = json_array();
    for (const std::string& file : check.files)
        json_array_append_new(files, iiif::json_string_of(file));
    auto parsed = [](const std::string& text) {
        json_t* value = text.empty() ? nullptr : json_loads(text.c_str(), 0, nullptr);
        return value ? value : json_null();
    };
    return json_pack("{s:i,s:b,s:o,s:o,s:s%,s:o,s:o,s:o}", "row", check.number, "ok", check.ok(),
                     "metadata", parsed(check.metadata), "pages", parsed(check.pages), "folder",
                     check.folder.data(), check.folder.size(), "files", files, "errors",
                     problems(check.errors), "warnings", problems(check.warnings));
}

std::string sheet_template_csv() {
    auto field = [](const std::string& text) {
        std::string quoted(text.size() * 2 + 2, '\0');
        quoted.resize(csv_write(quoted.data(), quoted.size(), text.data(), text.size()));
        return quoted;
    };
    std::string headers = "\xEF\xBB\xBF", example;
    for (const SheetColumn& column : sheet_columns()) {
        if (&column != &sheet_columns().front()) {
            headers += ',';
            example += ',';
        }
        headers += field(column.english);
        example += field(column.example);
    }
    return headers + "\r\n" + example + "\r\n";
}

std::pair<std::vector<std::string>, std::vector<SheetRow>> read_sheet_csv(const std::string& input) {
    std::string_view text = input;
    if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
    const std::string_view first_line = text.substr(0, text.find('\n'));
    const unsigned char delimiter =
        std::count(first_line.begin(), first_line.end(), ';') >
                std::count(first_line.begin(), first_line.end(), ',')
            ? ';'
            : ',';
    // Every record, blank lines too (CSV_REPALL_NL), so that a row's number is its record's. A
    // line break unquoted ends a record, "\r\n" one only: libcsv reports its "\n" as a record of
    // no field ended by '\n' after one ended by '\r', which is dropped.
    struct Reading {
        std::vector<std::vector<std::string>> rows;
        std::vector<std::string> row;
        int last_end = 0;
    } reading;
    csv_parser parser;
    if (csv_init(&parser, CSV_STRICT | CSV_STRICT_FINI | CSV_REPALL_NL) != 0)
        throw iiif::IiifError(500, "csv: cannot start the parser");
    csv_set_delim(&parser, delimiter);
    auto on_field = [](void* data, size_t size, void* state) {
        static_cast<Reading*>(state)->row.emplace_back(static_cast<const char*>(data), size);
    };
    auto on_row = [](int end, void* state) {
        Reading* r = static_cast<Reading*>(state);
        const bool crlf_tail = r->row.empty() && end == '\n' && r->last_end == '\r';
        r->last_end = crlf_tail ? 0 : end;
        if (crlf_tail) return;
        r->rows.push_back(std::move(r->row));
        r->row.clear();
    };
    const bool parsed = csv_parse(&parser, text.data(), text.size(), on_field, on_row, &reading) ==
                            text.size() &&
                        csv_fini(&parser, on_field, on_row, &reading) == 0;
    const std::string error = csv_strerror(csv_error(&parser));
    csv_free(&parser);
    if (!parsed) throw iiif::IiifError(400, "csv: " + error);
    if (reading.rows.empty()) throw iiif::IiifError(400, "csv: no header row");

    std::vector<std::string> headers = reading.rows.front();
    std::vector<SheetRow> rows;
    for (size_t i = 1; i < reading.rows.size(); ++i) {
        const std::vector<std::string>& cells = reading.rows[i];
        SheetRow row;
        row.number = static_cast<int>(i) + 1;
        for (size_t c = 0; c < cells.size() && c < headers.size(); ++c)
            row.cells.emplace_back(headers[c], cells[c]);
        // Cells beyond the header's columns are no one's: a row of those only is blank.
        if (std::all_of(row.cells.begin(), row.cells.end(),
                        [](const auto& cell) { return clean_value(cell.second).empty(); }))
            continue;
        rows.push_back(std::move(row));
    }
    return {headers, rows};
}

}  // namespace iiifd
