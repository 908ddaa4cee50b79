// Documents described in a spreadsheet (issue 19, item 6): one row per document, its columns
// the Dublin Core zones partners fill in (title, creator, publisher, date, shelfmark, holding
// institution, licence...) and the folder or files of its pages. A row is checked and made into
// what a deposit sends (its metadata JSON, its pages' labels) without depositing anything, so
// that a dry run shows, row by row, what will be made and what is wrong (no file, an unknown
// licence, a date that is no date) before anything is deposited. The deposit page reads .xlsx
// and .csv in the browser and asks iiifd (POST /api/v1/imports/check); `iiifd import` reads a
// .csv.
//
// Headers are matched in English or French, case and accents aside ("Titre", "TITLE",
// "Institution de conservation"); a language may follow a text column's name ("Title@fr",
// "Titre (fr)"), and a value's own ("Livre d'heures@fr") wins. A repeatable column holds its
// values separated by " | ". Dates become EDTF, languages ISO 639, types DCMI Type, licences
// their Creative Commons or RightsStatements.org URI, by the rules harvests use
// (dc_normalise.hpp).
#pragma once

#include <jansson.h>

#include <string>
#include <utility>
#include <vector>

#include "daemon_config.hpp"

namespace iiifd {

struct SheetColumn {
    const char* key;      // "title", "date", "licence", "folder"...
    const char* english;  // the template's header
    const char* french;
    const char* example;  // the template's example row
    const char* help;     // what goes there, in English
};
// Every column, in the template's order.
const std::vector<SheetColumn>& sheet_columns();

// A row as read: its number in the sheet (the header is row 1) and its cells by header.
struct SheetRow {
    int number = 0;
    std::vector<std::pair<std::string, std::string>> cells;  // header as written, text
};

// A problem of a row: its column, a stable code (for a page to say it in its own language) with
// the values it names, and its message in English (what `iiifd import` prints). The codes:
//   date.invalid, language.invalid, licence.unknown, collection.invalid, labels.start (a rule's
//   start that is no number), access.unknown: {"value"}, the value refused
//   type.unknown (a warning: not a DCMI type, kept): {"value"}
//   pages.none (no folder and no files), title.none (a warning), files.missing (iiifd import:
//   a file or folder the row names is not there)
//   metadata.refused: what the deposit's own check refuses (parse_object_metadata), the column
//   its field, said by the message only
struct RowProblem {
    std::string column;  // the column's key, or "row"
    std::string message;
    std::string code;
    std::vector<std::pair<std::string, std::string>> params;
};

struct RowCheck {
    int number = 0;
    // What a deposit of the row sends: the metadata part and the pages part (page_labels.hpp),
    // as JSON texts; the pages part empty when the row gives no labels.
    std::string metadata;
    std::string pages;
    std::string folder;               // as the row names it, relative to the sheet
    std::vector<std::string> files;   // as the row names them, relative to the folder
    std::vector<RowProblem> errors;   // the row is not deposited
    std::vector<RowProblem> warnings; // it is, but look
    bool ok() const { return errors.empty(); }
};

// Checks a row (nothing is looked up on disk: the caller checks the files it names).
RowCheck check_sheet_row(const iiif::AccessSettings& access, const SheetRow& row);

// Headers no column answers to (they are reported, and their cells ignored).
std::vector<std::string> unknown_headers(const std::vector<std::string>& headers);

// {"row", "ok", "metadata": {...}|null, "pages": {...}|null, "folder", "files": [...],
//  "errors": [{"column", "code", "params": {...} (when it names values), "message"}],
//  "warnings": [...]}; a new reference.
json_t* row_check_to_json(const RowCheck& check);

// The template: the header row and one example row, as CSV (RFC 4180, UTF-8 with its BOM so
// that spreadsheet programs read the accents).
std::string sheet_template_csv();

// Rows of a CSV text (RFC 4180: quoted fields, doubled quotes, line breaks inside quotes; a
// BOM, and ';' instead of ',' when the header holds more of them, as French spreadsheets
// write): the header (the first line, even a blank one) and the rows under it, each numbered as
// a spreadsheet program numbers it (its record's: blank lines count, a quoted line break does
// not; the header is row 1), rows blank under the header's columns left out, as the import page
// reads them (web/src/js/sheet.js). IiifError 400 when it is not CSV.
std::pair<std::vector<std::string>, std::vector<SheetRow>> read_sheet_csv(const std::string& text);

}  // namespace iiifd
