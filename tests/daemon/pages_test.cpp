// A book's pages after deposit (page_changes.hpp) and at deposit (page_labels.hpp), against the
// real iiifd and redis-server: labels, reordering, pages taken out (their records withdrawn, the
// others' ids kept), the table of contents, each change a new version, the manifest as the
// module serves it (valid against the Presentation 3.0 schema), and who may do it.
#include <catch2/catch.hpp>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "api_harness.hpp"
#include "catalog.hpp"
#include "presentation_schema.hpp"
#include "test_images.hpp"

using namespace daemon_harness;

namespace {

struct BookDaemon {
    RedisServer redis;
    Daemon iiifd;
    std::vector<std::string> editor, other_editor;

    BookDaemon() : iiifd(redis, options()) {
        iiifd.start();
        REQUIRE(http("PUT", iiifd.url("/api/v1/institutions/north"), iiifd.auth(),
                     R"({"name": "North Library"})")
                    .status == 201);
        editor = key_of(R"({"name": "edith", "role": "editor"})", "edith");
        other_editor = key_of(R"({"name": "otto", "role": "editor", "institution": "north"})",
                              "otto");
    }
    static DaemonOptions options() {
        DaemonOptions options;
        options.hot_folder = false;
        return options;
    }
    std::vector<std::string> key_of(const std::string& account, const std::string& name) const {
        iiifd.add_account(account);
        HttpResponse key =
            http("POST", iiifd.url("/api/v1/accounts/" + name + "/keys"), iiifd.auth(), "");
        REQUIRE(key.status == 201);
        return {"Authorization: Bearer " + json_text(key.body, "key")};
    }
    // Four pages deposited by the editor with `pages` as the deposit's pages part; its ARK.
    std::string deposit(const std::string& pages) const {
        std::vector<Part> parts;
        for (const char* name : {"0001.jpg", "0002.jpg", "0003.jpg", "0004.jpg"})
            parts.push_back(file_part(test_images::save(test_images::quadrants(80, 60), name)));
        parts.push_back(metadata_part(R"({"title": "Hours", "shelfmark": "Ms. 12"})"));
        if (!pages.empty()) parts.push_back({"pages", "", pages, ""});
        HttpResponse answer = post_multipart(iiifd.url("/api/v1/objects"), editor, parts);
        INFO(answer.body);
        REQUIRE(answer.status == 202);
        REQUIRE(json_text(iiifd.wait_for_job(json_text(answer.body, "job")), "state") == "done");
        return json_text(answer.body, "ark");
    }
    HttpResponse pages(const std::string& ark) const {
        return http("GET", iiifd.url("/api/v1/objects/" + ark + "/pages"), editor);
    }
    HttpResponse change(const std::string& ark, const std::string& body,
                        const std::vector<std::string>& as) const {
        return http("PUT", iiifd.url("/api/v1/objects/" + ark + "/pages"), as, body);
    }
    // The object's Presentation 3.0 manifest as the module serves it, from the catalog.
    std::string manifest(const std::string& ark) const {
        std::string error;
        std::unique_ptr<iiif::CatalogReader> catalog =
            iiif::CatalogReader::open(iiifd.catalog_path(), &error);
        REQUIRE(catalog);
        std::optional<iiif::StoredDocument> document = catalog->document(
            iiif::manifest_document_key(iiif::ApiVersion::v3, *iiif::catalog_object_key(ark)));
        REQUIRE(document);
        return document->body;
    }
    std::optional<iiif::ImageRecord> image(const std::string& id) const {
        std::string error;
        std::unique_ptr<iiif::CatalogReader> catalog =
            iiif::CatalogReader::open(iiifd.catalog_path(), &error);
        REQUIRE(catalog);
        return catalog->image(id);
    }
};

// The labels of the pages a pages answer lists, in order.
std::vector<std::string> labels(const std::string& answer) {
    std::vector<std::string> found;
    for (const std::string& page : json_array(answer, "pages"))
        found.push_back(json_text(page, "page") + "=" + json_text(page, "label"));
    return found;
}

}  // namespace

TEST_CASE("pages: labels given at deposit by a rule or one by one", "[pages]") {
    BookDaemon daemon;
    const std::string folio = daemon.deposit(R"({"rule": "folio", "start": 3})");
    CHECK(labels(daemon.pages(folio).body) ==
          std::vector<std::string>{"f1=f. 3r", "f2=f. 3v", "f3=f. 4r", "f4=f. 4v"});
    const std::string given = daemon.deposit(R"({"labels": ["Cover", "", "p. 1"]})");
    CHECK(labels(daemon.pages(given).body) ==
          std::vector<std::string>{"f1=Cover", "f2=", "f3=p. 1", "f4="});
    const std::string named = daemon.deposit(R"({"rule": "filename"})");
    CHECK(labels(daemon.pages(named).body) ==
          std::vector<std::string>{"f1=0001", "f2=0002", "f3=0003", "f4=0004"});
    CHECK(json_array(json_array(daemon.manifest(folio), "items")[1], "label.none") ==
          std::vector<std::string>{"f. 3v"});

    // A bad pages part refuses the deposit before anything is queued.
    for (const auto& [part, error] : std::vector<std::pair<std::string, std::string>>{
             {R"({"rule": "roman"})", "pages.rule: one of page, folio, filename"},
             {R"({"labels": ["a", "b", "c", "d", "e"]})", "pages.labels: more labels than files (1)"},
             {R"({"rule": "page", "labels": []})", "pages: either labels or rule"},
             {R"([1])", "pages: expected a JSON object"}}) {
        INFO(part);
        HttpResponse refused = post_multipart(
            daemon.iiifd.url("/api/v1/objects"), daemon.editor,
            {file_part(test_images::save(test_images::quadrants(80, 60), "x.jpg")),
             {"pages", "", part, ""}});
        CHECK(refused.status == 400);
        CHECK(json_text(refused.body, "error") == error);
    }
}

TEST_CASE("pages: reordered, labelled, taken out and given a table of contents, each change a "
          "new version",
          "[pages]") {
    BookDaemon daemon;
    const std::string ark = daemon.deposit("");
    HttpResponse before = daemon.pages(ark);
    REQUIRE(before.status == 200);
    CHECK(json_integer(before.body, "version") == 1);
    CHECK(labels(before.body) == std::vector<std::string>{"f1=", "f2=", "f3=", "f4="});

    const std::string change = R"({"version": 1,
        "pages": [{"page": "f3", "label": "f. 1r"}, {"page": "f1", "label": "f. 1v"},
                  {"page": "f4"}],
        "structures": [{"label": "Calendar", "pages": ["f3"],
                        "ranges": [{"label": "January", "pages": ["f1"]}]},
                       {"label": "Hours", "pages": ["f4"]}]})";
    // Another institution's editor may not; a reader neither.
    HttpResponse theirs = daemon.change(ark, change, daemon.other_editor);
    CHECK(theirs.status == 403);
    CHECK(json_text(theirs.body, "error") ==
          "change an object's pages: this object belongs to another institution");

    HttpResponse changed = daemon.change(ark, change, daemon.editor);
    INFO(changed.body);
    REQUIRE(changed.status == 200);
    CHECK(json_integer(changed.body, "version") == 2);
    CHECK(labels(changed.body) == std::vector<std::string>{"f3=f. 1r", "f1=f. 1v", "f4="});
    CHECK(json_array(changed.body, "removed") == std::vector<std::string>{"f2"});
    // The same change again changes nothing: no new version.
    CHECK(json_integer(daemon.change(ark, R"({"pages": [{"page": "f3", "label": "f. 1r"},
        {"page": "f1", "label": "f. 1v"}, {"page": "f4"}],
        "structures": [{"label": "Calendar", "pages": ["f3"],
                        "ranges": [{"label": "January", "pages": ["f1"]}]},
                       {"label": "Hours", "pages": ["f4"]}]})", daemon.editor).body,
                       "version") == 2);
    // A change made from version 1 comes too late.
    HttpResponse stale = daemon.change(ark, change, daemon.editor);
    CHECK(stale.status == 409);
    CHECK(json_text(stale.body, "error") ==
          "the object has changed since version 1: it is at version 2");

    // The page taken out keeps its record, withdrawn (the module answers 410); the others
    // their ids.
    std::optional<iiif::ImageRecord> gone = daemon.image(ark + "/f2");
    REQUIRE(gone);
    CHECK(gone->state == iiif::RecordState::withdrawn);
    CHECK(daemon.image(ark + "/f3")->label == "f. 1r");
    CHECK(daemon.image(ark + "/f3")->state == iiif::RecordState::active);

    // The manifest follows at once, valid against the 3.0 schema.
    const std::string manifest = daemon.manifest(ark);
    const std::vector<std::string> canvases = json_array(manifest, "items");
    REQUIRE(canvases.size() == 3);
    CHECK(json_text(canvases[0], "id").ends_with("/canvas/f3"));
    CHECK(json_array(json_array(manifest, "structures")[0], "items").size() == 2);
    CHECK(json_text(json_array(manifest, "structures")[1], "id").ends_with("/range/r3"));
    CHECK(presentation_schema::validate(
              {presentation_schema::write_document("book-after-change.json", manifest)}) == 0);

    // object.json as it was is kept as version 1.
    const std::string directory = daemon.iiifd.storage_root() + "/99999/" +
                                  ark.substr(std::string("ark:/99999/").size());
    CHECK(std::filesystem::exists(directory + "/versions/v1.json"));
    CHECK(read_file(directory + "/versions/v1.json").find("\"removed\"") == std::string::npos);
    CHECK(read_file(directory + "/object.json").find("\"version\": 2") != std::string::npos);

    // What is refused, and why.
    for (const auto& [body, error] : std::vector<std::pair<std::string, std::string>>{
             {R"({"pages": [{"page": "f9"}]})", "pages[0].page: \"f9\" is not one of the object's pages"},
             {R"({"pages": [{"page": "f2"}]})", "pages[0].page: \"f2\" is not one of the object's pages"},
             {R"({"pages": [{"page": "f3"}, {"page": "f3"}]})", "pages[1].page: \"f3\" is named twice"},
             {R"({"pages": []})", "pages: an object keeps at least one page"},
             {R"({"pages": [{"page": "f3"}], "structures": [{"label": "A", "pages": ["f1"]}]})",
              "structures[0].pages[0]: \"f1\" is not one of the object's pages"},
             {R"({"pages": [{"page": "f3"}], "structures": [{"label": " "}]})",
              "structures[0].label: required"},
             {R"({"pages": [{"page": "f3", "colour": "red"}]})", "pages[0].colour: unknown key"}}) {
        INFO(body);
        HttpResponse refused = daemon.change(ark, body, daemon.editor);
        CHECK(refused.status == 400);
        CHECK(json_text(refused.body, "error") == error);
    }
    CHECK(json_integer(daemon.pages(ark).body, "version") == 2);

    // A rebuild from the storage root gives the same pages, labels and tombstone.
    CHECK(daemon.iiifd.stop() == 0);
    CHECK(daemon.iiifd.run_iiifd({"rebuild"}).exit_code == 0);
    CHECK(daemon.image(ark + "/f2")->state == iiif::RecordState::withdrawn);
    CHECK(daemon.image(ark + "/f1")->label == "f. 1v");
    CHECK(json_array(daemon.manifest(ark), "items").size() == 3);
}

TEST_CASE("pages: new pages added after deposit and a page's image replaced, each a new "
          "version that keeps the other pages' ids",
          "[pages]") {
    BookDaemon daemon;
    const std::string ark = daemon.deposit(R"({"rule": "page"})");
    const std::string url = daemon.iiifd.url("/api/v1/objects/" + ark + "/pages");
    // Take f2 out first: a new page never takes its id.
    REQUIRE(daemon.change(ark, R"({"pages": [{"page": "f1", "label": "p. 1"},
        {"page": "f3", "label": "p. 3"}, {"page": "f4", "label": "p. 4"}]})", daemon.editor)
                .status == 200);

    auto wait = [&](const HttpResponse& answer) {
        INFO(answer.body);
        REQUIRE(answer.status == 202);
        CHECK(json_text(answer.body, "ark") == ark);
        return json_text(daemon.iiifd.wait_for_job(json_text(answer.body, "job")), "state");
    };
    // Two pages after f1, labelled.
    HttpResponse added = post_multipart(
        url + "?after=f1", daemon.editor,
        {file_part(test_images::save(test_images::quadrants(90, 60), "insert-a.jpg")),
         file_part(test_images::save(test_images::quadrants(90, 60), "insert-b.jpg")),
         {"pages", "", R"({"labels": ["p. 1 bis", "p. 1 ter"]})", ""}});
    REQUIRE(wait(added) == "done");
    HttpResponse after_add = daemon.pages(ark);
    CHECK(json_integer(after_add.body, "version") == 3);
    CHECK(labels(after_add.body) == std::vector<std::string>{"f1=p. 1", "f5=p. 1 bis",
                                                             "f6=p. 1 ter", "f3=p. 3", "f4=p. 4"});
    // One at the end, without a label.
    REQUIRE(wait(post_multipart(url, daemon.editor,
                                {file_part(test_images::save(test_images::quadrants(90, 60),
                                                             "end.jpg"))})) == "done");
    CHECK(labels(daemon.pages(ark).body).back() == "f7=");

    // f3's image replaced: same id and label, its version one more, the old master kept.
    const std::int64_t before = daemon.image(ark + "/f3")->version;
    const std::string old_master = daemon.image(ark + "/f3")->master_path;
    REQUIRE(wait(send_multipart("PUT", url + "/f3", daemon.editor,
                                {file_part(test_images::save(test_images::quadrants(120, 80),
                                                             "better.jpg"))})) == "done");
    std::optional<iiif::ImageRecord> replaced = daemon.image(ark + "/f3");
    REQUIRE(replaced);
    CHECK(replaced->version == before + 1);
    CHECK(replaced->source.width == 120);
    CHECK(replaced->label == "p. 3");
    CHECK(replaced->master_path != old_master);
    CHECK(std::filesystem::exists(old_master));
    CHECK(json_integer(daemon.pages(ark).body, "version") == 5);
    CHECK(json_array(daemon.manifest(ark), "items").size() == 6);

    // Refused before anything is queued: another institution's editor, an unknown page, a
    // replacement of more than one file, an unknown place.
    const std::vector<Part> one = {
        file_part(test_images::save(test_images::quadrants(90, 60), "one.jpg"))};
    CHECK(post_multipart(url, daemon.other_editor, one).status == 403);
    HttpResponse unknown_place = post_multipart(url + "?after=f2", daemon.editor, one);
    CHECK(unknown_place.status == 400);
    CHECK(json_text(unknown_place.body, "error") == "after: \"f2\" is not one of the object's pages");
    HttpResponse no_page = send_multipart("PUT", url + "/f9", daemon.editor, one);
    CHECK(no_page.status == 404);
    HttpResponse two = send_multipart(
        "PUT", url + "/f4", daemon.editor,
        {one.front(), file_part(test_images::save(test_images::quadrants(90, 60), "two.jpg"))});
    CHECK(two.status == 400);
    CHECK(json_text(two.body, "error") == "a page is replaced by one file");
    CHECK(json_integer(daemon.pages(ark).body, "version") == 5);
}
