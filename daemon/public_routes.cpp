// The list and document pages' API, no key needed: the published objects as cards, one object's
// description, and the sets.
//
//   GET /api/v1/public/objects?q=&set=&limit=&cursor=
//   GET /api/v1/public/objects/{ARK}
//   GET /api/v1/public/sets
#include <jansson.h>

#include <memory>
#include <optional>
#include <string_view>

#include "access.hpp"
#include "clock.hpp"
#include "dublin_core.hpp"
#include "http_message.hpp"
#include "http_routes.hpp"
#include "iiif_error.hpp"
#include "json.hpp"
#include "presentation.hpp"
#include "records.hpp"

namespace iiifd {
namespace {

using iiif::Json;
using iiif::json_text;

// A page of cards, and a search's words.
constexpr int kDefaultPublicLimit = 24;
constexpr int kMaxPublicLimit = 100;
constexpr size_t kMaxQueryBytes = 200;

json_t* lang_values_json(const iiif::ObjectMetadata& metadata, const char* element) {
    json_t* values = json_array();
    auto found = metadata.dc.find(element);
    if (found == metadata.dc.end()) return values;
    for (const iiif::LangValue& value : found->second) {
        json_t* item = json_object();
        json_object_set_new(item, "value", json_stringn(value.value.data(), value.value.size()));
        json_object_set_new(item, "lang", json_string(value.lang.c_str()));
        json_array_append_new(values, item);
    }
    return values;
}

// An object as the list page shows it: a card with its title, creator, date, pages and
// thumbnail, and the addresses of its page and manifest. A described object (no images) says so
// ("has_images": false) and has neither thumbnail nor manifest (null); its page is
// object_page_url, the partner's when it was harvested with a link.
json_t* public_object_json(const iiif::ObjectRecord& record,
                           const iiif::PublicationSettings& publication,
                           const iiif::AccessSettings& access) {
    json_t* item = json_object();
    json_object_set_new(item, "ark", json_string(record.ark.c_str()));
    json_object_set_new(item, "title", lang_values_json(record.metadata, "title"));
    json_object_set_new(item, "creator", lang_values_json(record.metadata, "creator"));
    json_object_set_new(item, "date", lang_values_json(record.metadata, "date"));
    json_object_set_new(item, "pages", json_integer(static_cast<json_int_t>(record.images.size())));
    json_t* sets = json_array();
    for (const std::string& spec : record.metadata.sets)
        json_array_append_new(sets, json_string(spec.c_str()));
    json_object_set_new(item, "sets", sets);
    json_object_set_new(item, "license", json_string(record.metadata.license.c_str()));
    const std::string provider =
        record.metadata.provider.empty() ? publication.institution : record.metadata.provider;
    json_object_set_new(item, "provider", json_string(provider.c_str()));
    json_object_set_new(item, "updated",
                        json_string(iiif::format_utc_datetime(record.updated).c_str()));
    const bool described = iiif::is_described(record);
    json_object_set_new(item, "has_images", json_boolean(!described));
    json_object_set_new(
        item, "manifest",
        described ? json_null()
                  : json_string(
                        iiif::manifest_url(publication, iiif::ApiVersion::v3, record.ark).c_str()));
    json_object_set_new(item, "landing",
                        json_string(iiif::object_page_url(publication, record).c_str()));
    // No thumbnail where nobody without a key could see it.
    const iiif::AccessPolicy* policy = access.policy(record.policy);
    const bool closed = policy == nullptr || policy->kind == iiif::PolicyKind::restricted;
    json_object_set_new(
        item, "thumbnail",
        described || closed
            ? json_null()
            : json_string((iiif::image_service_url(publication, iiif::ApiVersion::v3,
                                                   record.images.front()) +
                           "/full/!240,240/0/default.jpg")
                              .c_str()));
    return item;
}

}  // namespace

// Without q the most recent active objects (of a set when given), a page at a time; with q
// those whose title has every word of it as a word's beginning (one page, no cursor).
void PublicRoutes::objects(const HttpRequest& req, HttpResponse& res) {
    const int limit = limit_param(req, kDefaultPublicLimit, kMaxPublicLimit);
    const std::string query = req.get_param_value("q");
    const std::string set = req.get_param_value("set");
    const std::string cursor = req.get_param_value("cursor");
    if (query.size() > kMaxQueryBytes)
        throw iiif::IiifError(400, "q: at most " + std::to_string(kMaxQueryBytes) + " bytes");
    if (set.size() > iiif::kMaxSetSpecLength)
        throw iiif::IiifError(
            400, "set: longer than " + std::to_string(iiif::kMaxSetSpecLength) + " characters");
    if (!set.empty() && !iiif::is_valid_set_spec(set))
        throw iiif::IiifError(400, "set: not a set spec");
    if (!query.empty() && (!set.empty() || !cursor.empty()))
        throw iiif::IiifError(400, "q: a search takes neither set nor cursor");
    const iiif::CatalogReader::Position before = cursor_param(req);
    const iiif::CatalogReader& reader = catalog_.reader();
    std::vector<iiif::ObjectRecord> records =
        query.empty() ? reader.recent_objects(before, static_cast<size_t>(limit), set)
                      : reader.search_titles(query, static_cast<size_t>(limit));
    const std::shared_ptr<const iiif::AccessSettings> access = reader.access_settings();
    Json body(json_object());
    json_t* objects = json_array();
    json_object_set_new(body.get(), "objects", objects);
    for (const iiif::ObjectRecord& record : records)
        json_array_append_new(objects, public_object_json(record, catalog_.publication(), *access));
    json_object_set_new(body.get(), "next_cursor",
                        query.empty() ? next_cursor_json(records, limit) : json_null());
    res.set_header("Cache-Control", "no-cache");
    send_json(res, 200, json_text(body.get()));
}

// An active object's description (object_description_v3) and "institution", the id of the
// institution it belongs to (Directory::owner_of): the document page reads it when the object has
// no manifest (a described one), and to offer its editors a link to the edit page. A pending or
// unknown object is 404, a withdrawn one 410, as its manifest would be.
void PublicRoutes::object(const HttpRequest& req, HttpResponse& res) {
    const std::string ark = object_ark(req);
    const std::optional<iiif::ObjectRecord> record = catalog_.reader().object(ark);
    if (!record || record->state == iiif::RecordState::pending)
        throw iiif::IiifError(404, "no object " + ark);
    if (record->state == iiif::RecordState::withdrawn)
        throw iiif::IiifError(410, "withdrawn: " + ark);
    Json body(json_loads(iiif::object_description_v3(catalog_.publication(), *record).c_str(), 0,
                         nullptr));
    if (!body) throw iiif::IiifError(500, "the description of " + ark + " is not JSON");
    json_object_set_new(body.get(), "institution",
                        iiif::json_string_of(directory_.owner_of(*record)));
    res.set_header("Cache-Control", "no-cache");
    send_json(res, 200, json_text(body.get()));
}

// Every set with its name and how many published objects it and its subsets hold (from the
// tallies: a few reads each). A partner's set (partner_set) the configuration does not name is
// named after the partner, its description the holding institution; their common parent, unless
// the configuration names it, is left out: the list page shows one collection per partner.
void PublicRoutes::sets(const HttpRequest&, HttpResponse& res) {
    constexpr size_t kMaxSets = 1000;
    const iiif::CatalogReader& reader = catalog_.reader();
    Json body(json_object());
    json_t* sets = json_array();
    json_object_set_new(body.get(), "sets", sets);
    for (iiif::CatalogReader::SetInfo& set : reader.sets("", kMaxSets)) {
        if (set.name.empty() && set.spec == kPartnersSet) continue;
        const std::string_view partner_id = partner_of_set(set.spec);
        if (set.name.empty() && !partner_id.empty()) {
            if (const std::optional<Partner> partner = partners_.find(partner_id)) {
                set.name = partner->name;
                if (set.description.empty()) set.description = partner->institution;
            }
        }
        json_t* item = json_object();
        json_object_set_new(item, "spec", json_string(set.spec.c_str()));
        json_object_set_new(item, "name", iiif::json_string_of(set.name));
        json_object_set_new(item, "description", iiif::json_string_of(set.description));
        json_object_set_new(item, "count", json_integer(reader.count_published(0, 0, set.spec)));
        json_array_append_new(sets, item);
    }
    res.set_header("Cache-Control", "no-cache");
    send_json(res, 200, json_text(body.get()));
}

}  // namespace iiifd
