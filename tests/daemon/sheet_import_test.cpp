// Spreadsheets of documents (sheet_import.hpp): rows checked and made into deposits, the CSV
// reader and the template; then `iiifd import` and POST /api/v1/imports/check against the real
// iiifd and redis-server, a sheet of three documents one of which is wrong.
#include "sheet_import.hpp"

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "access_config.hpp"
#include "api_harness.hpp"
#include "iiif_error.hpp"
#include "test_images.hpp"

using namespace iiifd;

namespace {

DaemonConfig config_with_policy() {
    DaemonConfig config;
    iiif::AccessPolicy campus;
    campus.name = "campus";
    campus.kind = iiif::PolicyKind::network;
    config.access.policies = {campus};
    return config;
}

RowCheck check(std::vector<std::pair<std::string, std::string>> cells) {
    SheetRow row;
    row.number = 2;
    row.cells = std::move(cells);
    return check_sheet_row(access_settings(config_with_policy()), row);
}

std::vector<std::string> problems(const std::vector<RowProblem>& list) {
    std::vector<std::string> found;
    for (const RowProblem& problem : list) found.push_back(problem.column + ": " + problem.message);
    return found;
}

// Each problem's code and the values it names, as "code value...".
std::vector<std::string> codes(const std::vector<RowProblem>& list) {
    std::vector<std::string> found;
    for (const RowProblem& problem : list) {
        std::string text = problem.code;
        for (const auto& [name, value] : problem.params) text += " " + name + "=" + value;
        found.push_back(text);
    }
    return found;
}

// The numbers of the rows a CSV text gives.
std::vector<int> row_numbers(const std::string& csv) {
    std::vector<int> numbers;
    for (const SheetRow& row : read_sheet_csv(csv).second) numbers.push_back(row.number);
    return numbers;
}

}  // namespace

TEST_CASE("sheet import: a row's columns, in English or French, become a deposit's metadata",
          "[sheet_import]") {
    const RowCheck row = check({{"Titre@fr", "Livre d'heures | Book of hours@en"},
                                {"CREATOR", "Maître de Rohan"},
                                {"Date", "vers 1430"},
                                {"Langue", "latin"},
                                {"Type", "manuscrit"},
                                {"Licence", "CC BY 4.0"},
                                {"Cote", "Ms. 1234"},
                                {"Institution de conservation", "Bibliothèque municipale"},
                                {"Collection", "manuscrits | heures"},
                                {"Accès", "campus"},
                                {"Dossier", "rohan"},
                                {"Foliotation", "folio:3"},
                                {"Notes", "ignored"}});
    INFO(row.metadata);
    CHECK(problems(row.errors).empty());
    CHECK(problems(row.warnings).empty());
    CHECK(row.metadata ==
          R"({"title":[{"value":"Livre d'heures","lang":"fr"},{"value":"Book of hours","lang":"en"}],)"
          R"("creator":[{"value":"Maître de Rohan"}],"date":[{"value":"1430~"}],)"
          R"("language":[{"value":"la"}],"type":[{"value":"Text"}],)"
          R"("license":"https://creativecommons.org/licenses/by/4.0/","shelfmark":"Ms. 1234",)"
          R"("provider":"Bibliothèque municipale","access":"campus","sets":["manuscrits","heures"]})");
    CHECK(row.folder == "rohan");
    CHECK(row.pages == R"({"rule":"folio","start":3})");
    CHECK(unknown_headers({"Titre", "Notes", "Date (fr)", ""}) == std::vector<std::string>{"Notes"});
}

TEST_CASE("sheet import: what is wrong in a row is said, column by column", "[sheet_import]") {
    const RowCheck wrong = check({{"Title", "Atlas"},
                                  {"Date", "sometime"},
                                  {"Licence", "CC-XYZ"},
                                  {"Language", "klingon"},
                                  {"Type", "objet bizarre"},
                                  {"Files", "a.tif | b.tif"},
                                  {"Page labels", "Cover | f. 1r"}});
    CHECK(problems(wrong.errors) == std::vector<std::string>{
                                        "date: not a date: \"sometime\"",
                                        "licence: unknown licence: \"CC-XYZ\"",
                                        "language: not a language: \"klingon\""});
    CHECK(problems(wrong.warnings) ==
          std::vector<std::string>{"type: not a DCMI type, kept as it is: \"objet bizarre\""});
    CHECK(codes(wrong.errors) == std::vector<std::string>{"date.invalid value=sometime",
                                                          "licence.unknown value=CC-XYZ",
                                                          "language.invalid value=klingon"});
    CHECK(codes(wrong.warnings) == std::vector<std::string>{"type.unknown value=objet bizarre"});
    CHECK(wrong.files == std::vector<std::string>{"a.tif", "b.tif"});
    CHECK(wrong.pages == R"({"labels":["Cover","f. 1r"]})");

    const RowCheck empty = check({{"Title", ""}, {"Access", "staff"}});
    CHECK(problems(empty.errors) ==
          std::vector<std::string>{"folder: no folder and no files: a document needs pages",
                                   "access: no such policy: \"staff\""});
    CHECK(problems(empty.warnings) ==
          std::vector<std::string>{"title: no title: the document is shown by its ARK"});
    CHECK(codes(empty.errors) ==
          std::vector<std::string>{"pages.none", "access.unknown value=staff"});
    CHECK(codes(empty.warnings) == std::vector<std::string>{"title.none"});

    // What the deposit's own check refuses: its field and its words.
    const RowCheck refused = check({{"Title@français", "Atlas"},
                                    {"Folder", "atlas"},
                                    {"Collection", "maps | bad spec!"},
                                    {"Page labels", "folio:x"}});
    CHECK(codes(refused.errors) == std::vector<std::string>{"collection.invalid value=bad spec!",
                                                            "labels.start value=x",
                                                            "metadata.refused"});
    CHECK(problems(refused.errors).back() == "title[0].lang: not a language tag: \"français\"");
}

TEST_CASE(
    "sheet import: a CSV's rows are numbered as a spreadsheet program numbers them, blank "
    "lines counted and left out",
    "[sheet_import]") {
    // Lines 1 to 6: the header, a row, a blank line, a row, a line of spaces, a row.
    CHECK(row_numbers("Title,Folder\nA,a\n\nB,b\n   \nC,c\n") == std::vector<int>{2, 4, 6});
    CHECK(row_numbers("Title,Folder\r\nA,a\r\n\r\nB,b\r\n\r\n\r\nC,c\r\n") ==
          std::vector<int>{2, 4, 7});
    // A line break inside quotes is no new row; a bare "\r" ends one.
    CHECK(row_numbers("Title,Folder\r\n\"A\nA\",a\r\n\r\nB,b\rC,c") == std::vector<int>{2, 4, 5});
    // Cells beyond the header's columns are no one's: a row of those only is blank.
    CHECK(row_numbers("Title,Folder\nA,a\n,,extra\nB,b\n") == std::vector<int>{2, 4});
    // The header is the first line, even a blank one.
    auto [headers, rows] = read_sheet_csv("\nTitle,Folder\nA,a\n");
    CHECK(headers.empty());
    CHECK(rows.empty());
}

TEST_CASE("sheet import: CSV as spreadsheets write it, and the template", "[sheet_import]") {
    auto [headers, rows] = read_sheet_csv(
        "\xEF\xBB\xBFTitre;Date;Dossier\r\n\"Plan; de Lyon\";1789;plan\r\n;;\r\n"
        "\"Carte \"\"B\"\"\nsur deux lignes\";1790;carte\r\n");
    CHECK(headers == std::vector<std::string>{"Titre", "Date", "Dossier"});
    REQUIRE(rows.size() == 2);
    CHECK(rows[0].number == 2);
    CHECK(rows[0].cells[0].second == "Plan; de Lyon");
    CHECK(rows[1].number == 4);
    CHECK(rows[1].cells[0].second == "Carte \"B\"\nsur deux lignes");
    CHECK_THROWS_AS(read_sheet_csv("Title\n\"unclosed"), iiif::IiifError);

    const std::string csv = sheet_template_csv();
    CHECK(csv.starts_with("\xEF\xBB\xBF\"Title\",\"Creator\",\"Contributor\",\"Publisher\","
                          "\"Date\",\"Description\""));
    auto [template_headers, template_rows] = read_sheet_csv(csv);
    CHECK(template_headers.size() == sheet_columns().size());
    REQUIRE(template_rows.size() == 1);
    // The example row is a right one.
    CHECK(problems(check_sheet_row(access_settings(config_with_policy()), template_rows.front()).errors).empty());
}

namespace {

using namespace daemon_harness;

// A folder of a sheet and the images its rows name: two documents right, one wrong.
std::string write_sheet(const std::string& dir, bool with_error) {
    std::filesystem::create_directories(dir + "/rohan");
    std::filesystem::create_directories(dir + "/atlas");
    for (const char* name : {"rohan/001.jpg", "rohan/002.jpg", "atlas/a.jpg", "plan.jpg"})
        std::filesystem::copy_file(test_images::save(test_images::quadrants(80, 60), "sheet.jpg"),
                                   dir + "/" + name,
                                   std::filesystem::copy_options::overwrite_existing);
    const std::string sheet = dir + "/documents.csv";
    write_file(sheet,
               "Title,Date,Licence,Shelfmark,Folder,Files,Page labels\n"
               "Heures de Rohan,vers 1430,CC BY 4.0,Ms. 12,rohan,,folio\n"
               "Atlas,1750," +
                   std::string(with_error ? "CC-XYZ" : "CC0") +
                   ",,atlas,,\n"
                   "Plan de Lyon,1789,Domaine public,,,plan.jpg,\n");
    return sheet;
}

}  // namespace

TEST_CASE("sheet import: iiifd import checks every row, deposits nothing while one is wrong, "
          "then deposits each",
          "[sheet_import]") {
    RedisServer redis;
    Daemon iiifd(redis);
    iiifd.start();
    const std::string dir = iiifd.dir() + "/sheet";
    const std::string sheet = write_sheet(dir, true);

    CommandResult wrong = iiifd.run_iiifd({"import", sheet});
    CHECK(wrong.exit_code == 1);
    CHECK(wrong.output ==
          "row 2: ok: Heures de Rohan, 2 file(s)\n"
          "row 3: error: licence: unknown licence: \"CC-XYZ\"\n"
          "row 4: ok: Plan de Lyon, 1 file(s)\n"
          "3 row(s), 1 wrong\n"
          "nothing deposited: correct the rows above first\n");
    CHECK(json_array(iiifd.get("/api/v1/objects").body, "objects").empty());

    write_sheet(dir, false);
    CommandResult dry = iiifd.run_iiifd({"import", sheet, "--dry-run"});
    CHECK(dry.exit_code == 0);
    CHECK(dry.output.ends_with("3 row(s), 0 wrong\n"));
    // `iiifd ingest` takes the spreadsheet as well.
    CHECK(iiifd.run_iiifd({"ingest", sheet, "--dry-run"}).output == dry.output);
    CHECK(json_array(iiifd.get("/api/v1/objects").body, "objects").empty());

    CommandResult done = iiifd.run_iiifd({"import", sheet});
    INFO(done.output);
    REQUIRE(done.exit_code == 0);
    std::vector<std::string> arks;
    std::istringstream lines(done.output);
    for (std::string line; std::getline(lines, line);)
        if (line.starts_with("row ") && line.find(": ark:/") != std::string::npos)
            arks.push_back(line.substr(line.find("ark:/"), line.find(" (job") - line.find("ark:/")));
    REQUIRE(arks.size() == 3);
    // The running iiifd ingests them: each with its description and labels.
    for (const std::string& ark : arks) {
        for (int i = 0; i < 600 && http("GET", iiifd.url("/api/v1/objects/" + ark), iiifd.auth()).status != 200; ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    const std::string rohan = iiifd.get("/api/v1/objects/" + arks[0]).body;
    CHECK(json_text(rohan, "metadata.shelfmark") == "Ms. 12");
    CHECK(json_array(rohan, "metadata.date") == std::vector<std::string>{R"({"value":"1430~"})"});
    HttpResponse pages = iiifd.get("/api/v1/objects/" + arks[0] + "/pages");
    REQUIRE(json_array(pages.body, "pages").size() == 2);
    CHECK(json_text(json_array(pages.body, "pages")[1], "label") == "f. 1v");
    CHECK(json_text(iiifd.get("/api/v1/objects/" + arks[2]).body, "metadata.license") ==
          "https://creativecommons.org/publicdomain/mark/1.0/");
}

TEST_CASE("sheet import: the API checks rows for the deposit page and serves the template",
          "[sheet_import]") {
    RedisServer redis;
    Daemon iiifd(redis);
    iiifd.start();
    iiifd.add_account(R"({"name": "rita", "role": "reader"})");
    HttpResponse key = http("POST", iiifd.url("/api/v1/accounts/rita/keys"), iiifd.auth(), "");
    const std::vector<std::string> reader = {"Authorization: Bearer " + json_text(key.body, "key")};

    const std::string body = R"({"headers": ["Titre", "Date", "Licence", "Dossier", "Notes"],
        "rows": [{"row": 2, "cells": ["Heures", "vers 1430", "CC BY 4.0", "rohan", "x"]},
                 {"row": 3, "cells": ["Atlas", "sometime", "CC-XYZ", "atlas", ""]},
                 {"row": 4, "cells": ["Plan", 1789, "CC0", "plan", null]}]})";
    HttpResponse checked = http("POST", iiifd.url("/api/v1/imports/check"), iiifd.auth(), body);
    INFO(checked.body);
    REQUIRE(checked.status == 200);
    CHECK(json_integer(checked.body, "count") == 3);
    CHECK(json_integer(checked.body, "wrong") == 1);
    CHECK(json_array(checked.body, "unknown_headers") == std::vector<std::string>{"Notes"});
    const std::vector<std::string> rows = json_array(checked.body, "rows");
    REQUIRE(rows.size() == 3);
    CHECK(json_array(rows[0], "errors").empty());
    CHECK(json_text(rows[0], "folder") == "rohan");
    CHECK(json_array(rows[1], "errors") ==
          std::vector<std::string>{
              R"({"column":"date","code":"date.invalid",)"
              R"("params":{"value":"sometime"},"message":"not a date: \"sometime\""})",
              R"({"column":"licence","code":"licence.unknown",)"
              R"("params":{"value":"CC-XYZ"},"message":"unknown licence: \"CC-XYZ\""})"});
    CHECK(json_array(rows[2], "metadata.date") == std::vector<std::string>{R"({"value":"1789"})"});
    CHECK(http("POST", iiifd.url("/api/v1/imports/check"), reader, body).status == 403);
    CHECK(http("POST", iiifd.url("/api/v1/imports/check"), {}, body).status == 401);
    CHECK(http("POST", iiifd.url("/api/v1/imports/check"), iiifd.auth(), "[]").status == 400);

    HttpResponse csv = http("GET", iiifd.url("/api/v1/public/import-template.csv"), {});
    CHECK(csv.status == 200);
    CHECK(csv.headers.find("Content-Type: text/csv; charset=utf-8\r\n") != std::string::npos);
    CHECK(csv.body == sheet_template_csv());
    HttpResponse columns = http("GET", iiifd.url("/api/v1/public/import-columns"), {});
    CHECK(json_array(columns.body, "columns").size() == sheet_columns().size());
}
