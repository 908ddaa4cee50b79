// /api/v1/public/import-template.csv, /api/v1/public/import-columns and /api/v1/imports/check:
// spreadsheets of documents (sheet_import.hpp) through the API.
#include <jansson.h>

#include <string>

#include "http_routes.hpp"
#include "iiif_error.hpp"
#include "json.hpp"
#include "sheet_import.hpp"

namespace iiifd {
namespace {

// The most rows one check takes: a body of kMaxMetadataBytes holds fewer anyway.
constexpr size_t kMaxRows = 5000;

std::string cell_text(const json_t* value, const std::string& field) {
    if (json_is_string(value)) return {json_string_value(value), json_string_length(value)};
    if (json_is_null(value)) return {};
    // A number a spreadsheet gave as one (a year): its text.
    if (json_is_integer(value)) return std::to_string(json_integer_value(value));
    if (json_is_real(value)) {
        iiif::Json copy(json_incref(const_cast<json_t*>(value)));
        return iiif::json_text(copy.get(), JSON_ENCODE_ANY);
    }
    throw iiif::IiifError(400, field + ": not a text");
}

}  // namespace

void ImportRoutes::template_csv(const HttpRequest&, HttpResponse& res) {
    res.status = 200;
    res.set_header("Content-Disposition", "attachment; filename=\"documents-template.csv\"");
    res.set_content(sheet_template_csv(), "text/csv; charset=utf-8");
}

void ImportRoutes::columns(const HttpRequest&, HttpResponse& res) {
    json_t* list = json_array();
    for (const SheetColumn& column : sheet_columns())
        json_array_append_new(list, json_pack("{s:s,s:s,s:s,s:s,s:s}", "key", column.key,
                                              "english", column.english, "french", column.french,
                                              "example", column.example, "help", column.help));
    iiif::Json body(json_pack("{s:o}", "columns", list));
    send_json(res, 200, iiif::json_text(body.get()));
}

void ImportRoutes::check(const HttpRequest& req, HttpResponse& res) {
    require_role(api_auth_, req, Role::editor, "check a spreadsheet");
    json_error_t error;
    iiif::Json document(json_loadb(req.body.data(), req.body.size(), 0, &error));
    const json_t* headers = json_object_get(document.get(), "headers");
    const json_t* rows = json_object_get(document.get(), "rows");
    if (!json_is_object(document.get()) || !json_is_array(headers) || !json_is_array(rows))
        throw iiif::IiifError(400, "expected {\"headers\": [...], \"rows\": [...]}");
    if (json_array_size(rows) > kMaxRows)
        throw iiif::IiifError(400, "rows: more than " + std::to_string(kMaxRows));
    std::vector<std::string> names;
    size_t i;
    json_t* value;
    json_array_foreach(headers, i, value) {
        names.push_back(cell_text(value, "headers[" + std::to_string(i) + "]"));
    }
    json_t* checked = json_array();
    size_t wrong = 0;
    json_array_foreach(rows, i, value) {
        const std::string field = "rows[" + std::to_string(i) + "]";
        const json_t* number = json_object_get(value, "row");
        const json_t* cells = json_object_get(value, "cells");
        if (!json_is_integer(number) || !json_is_array(cells))
            throw iiif::IiifError(400, field + ": expected {\"row\": n, \"cells\": [...]}");
        SheetRow row;
        row.number = static_cast<int>(json_integer_value(number));
        size_t c;
        json_t* cell;
        json_array_foreach(cells, c, cell) {
            if (c >= names.size()) break;
            row.cells.emplace_back(names[c], cell_text(cell, field + ".cells[" + std::to_string(c) + "]"));
        }
        const RowCheck result =
            check_sheet_row(*catalog_.reader().access_settings(), row);
        wrong += result.ok() ? 0 : 1;
        json_array_append_new(checked, row_check_to_json(result));
    }
    json_t* unknown = json_array();
    for (const std::string& header : unknown_headers(names))
        json_array_append_new(unknown, iiif::json_string_of(header));
    iiif::Json body(json_pack("{s:o,s:o,s:i,s:i}", "unknown_headers", unknown, "rows", checked,
                              "count", static_cast<int>(json_array_size(rows)), "wrong",
                              static_cast<int>(wrong)));
    res.set_header("Cache-Control", "no-store");
    send_json(res, 200, iiif::json_text(body.get()));
}

}  // namespace iiifd
