// load_daemon_config: iiifd.toml parsed, then read section by section into DaemonConfig, in an
// order where each section finds the ones it refers to already read.
#include "daemon_config.hpp"

#include <toml++/toml.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string_view>

#include "access_config_reader.hpp"
#include "auth_service.hpp"
#include "config_section.hpp"
#include "directory.hpp"
#include "dublin_core.hpp"

namespace iiifd {
namespace {

constexpr std::int64_t kMaxPort = 65535;
constexpr std::int64_t kMaxInt = std::numeric_limits<int>::max();
constexpr std::int64_t kMaxInt64 = std::numeric_limits<std::int64_t>::max();
constexpr size_t kMinApiKeyLength = 16;

bool is_alnum(std::string_view text) {
    return !text.empty() && std::all_of(text.begin(), text.end(),
                                        [](unsigned char c) { return std::isalnum(c) != 0; });
}

std::string default_consumer_name() {
    char host[256] = {};
    if (gethostname(host, sizeof host - 1) != 0 || host[0] == '\0')
        std::snprintf(host, sizeof host, "iiifd");
    return std::string(host) + "-" + std::to_string(getpid());
}

bool is_http_url(std::string_view text) {
    return text.starts_with("http://") || text.starts_with("https://");
}

std::string without_trailing_slash(std::string path) {
    while (path.size() > 1 && path.back() == '/') path.pop_back();
    return path;
}

// An address as OAI-PMH's schema takes it: \S+@(\S+\.)+\S+.
bool is_email(std::string_view text) {
    const size_t at = text.find('@');
    if (at == 0 || at == std::string_view::npos) return false;
    if (std::any_of(text.begin(), text.end(), [](unsigned char c) { return std::isspace(c); }))
        return false;
    const std::string_view domain = text.substr(at + 1);
    const size_t dot = domain.rfind('.');
    return dot != std::string_view::npos && dot > 0 && dot + 1 < domain.size();
}

// A file that cannot be parsed is one problem: the parser stops at it.
toml::table parse_file(const std::string& path, const std::string& file_name) {
    std::error_code error_code;
    if (!std::filesystem::is_regular_file(path, error_code))
        throw InvalidConfig({path + ": no such configuration file"});
    try {
        return toml::parse_file(path);
    } catch (const toml::parse_error& error) {
        const toml::source_position& at = error.source().begin;
        std::string where = file_name;
        if (at.line > 0) where += ":" + std::to_string(at.line) + ":" + std::to_string(at.column);
        throw InvalidConfig({where + ": " + std::string(error.description())});
    }
}

void check_section_names(const ConfigSection& root) {
    static constexpr std::string_view kSections[] = {
        "storage", "redis",  "ark",      "public",     "http",  "ingest",   "oai",
        "sets",    "access", "policies", "watermarks", "cache", "partners", "harvest",
        "replication"};
    for (const ConfigSection& section : root.sections()) {
        if (std::find(std::begin(kSections), std::end(kSections), section.key()) ==
            std::end(kSections))
            section.report("", "unknown section");
    }
}

void read_storage(const ConfigSection& storage, DaemonConfig& config) {
    if (!storage.only_keys({"root", "catalog", "staging"})) return;
    storage.read("root", config.storage_root);
    storage.require_absolute("root", config.storage_root);
    config.storage_root = without_trailing_slash(config.storage_root);
    config.catalog_path = config.storage_root + "/catalog.mdb";
    storage.read("catalog", config.catalog_path);
    storage.require_absolute("catalog", config.catalog_path);
    config.staging_dir = config.storage_root + "/staging";
    storage.read("staging", config.staging_dir);
    storage.require_absolute("staging", config.staging_dir);
    config.staging_dir = without_trailing_slash(config.staging_dir);
}

// "host:port", or "[v6 address]:port"; nullopt for anything else, a port out of range included.
std::optional<HostPort> host_port(std::string_view text) {
    std::string_view host;
    std::string_view rest;
    if (text.starts_with('[')) {
        const size_t close = text.find(']');
        if (close == std::string_view::npos) return std::nullopt;
        host = text.substr(1, close - 1);
        rest = text.substr(close + 1);
        if (!rest.starts_with(':')) return std::nullopt;
    } else {
        const size_t colon = text.rfind(':');
        if (colon == std::string_view::npos) return std::nullopt;
        host = text.substr(0, colon);
        rest = text.substr(colon);
        // An IPv6 address is written in brackets, or its last group would be read as the port.
        if (host.find(':') != std::string_view::npos) return std::nullopt;
    }
    const std::string_view digits = rest.substr(1);
    if (host.empty() || digits.empty() || digits.size() > 5 ||
        std::any_of(host.begin(), host.end(), [](unsigned char c) { return std::isspace(c); }) ||
        !std::all_of(digits.begin(), digits.end(),
                     [](unsigned char c) { return std::isdigit(c) != 0; }))
        return std::nullopt;
    const int port = std::stoi(std::string(digits));
    if (port < 1 || port > kMaxPort) return std::nullopt;
    return HostPort{std::string(host), port};
}

void read_redis_address(const ConfigSection& redis, RedisAddress& address) {
    redis.read_nonempty("host", address.host);
    redis.read("port", address.port, 1, kMaxPort);
    const size_t before = redis.reported();
    const std::vector<std::string> entries = redis.strings("sentinels");
    if (redis.has("sentinels") && entries.empty() && redis.reported() == before)
        redis.report("sentinels", "must name at least one sentinel");
    for (const std::string& entry : entries) {
        if (std::optional<HostPort> sentinel = host_port(entry)) {
            address.sentinels.push_back(*sentinel);
        } else {
            redis.report("sentinels", "\"" + entry +
                                          "\": must be host:port, with a port from 1 to 65535 "
                                          "(\"[::1]:26379\" for IPv6)");
        }
    }
    const bool named = redis.has("master_name");
    redis.read("master_name", address.master_name);
    if (redis.has("sentinels") && address.master_name.empty())
        redis.report("master_name", "required with sentinels");
    else if (named && !redis.has("sentinels"))
        redis.report("master_name", "only with sentinels, which ask for the master by it");
}

void read_redis(const ConfigSection& redis, DaemonConfig& config) {
    redis.only_keys({"host", "port", "sentinels", "master_name", "wait_replicas", "wait_timeout_ms",
                     "ingest_stream", "events_stream", "consumer_group", "consumer_name",
                     "reclaim_idle_seconds"});
    read_redis_address(redis, config.redis);
    redis.read("wait_replicas", config.redis_wait_replicas, 0, 16);
    redis.read("wait_timeout_ms", config.redis_wait_timeout_ms, 1, 60000);
    redis.read_nonempty("ingest_stream", config.ingest_stream);
    redis.read_nonempty("events_stream", config.events_stream);
    redis.read_nonempty("consumer_group", config.consumer_group);
    redis.read("consumer_name", config.consumer_name);
    if (config.consumer_name.empty()) config.consumer_name = default_consumer_name();
    redis.read("reclaim_idle_seconds", config.reclaim_idle_seconds, 1, 86400);
}

iiif::CheckProfile read_check_profile(const ConfigSection& ark) {
    std::string profile = "inist";
    ark.read("check_profile", profile);
    if (profile == "inist") return iiif::CheckProfile::inist;
    if (profile == "noid") return iiif::CheckProfile::noid;
    ark.report("check_profile", "must be \"inist\" or \"noid\"");
    return iiif::CheckProfile::inist;
}

// [ark.shoulders.XXX]: at least one. An entry with problems is kept all the same, so that
// default_shoulder naming it is not reported too.
std::vector<Shoulder> read_shoulders(const ConfigSection& ark) {
    const ConfigSection shoulders = ark.section("shoulders");
    const size_t before = ark.reported();
    const std::vector<ConfigSection> entries = shoulders.sections();
    if (entries.empty() && ark.reported() == before)
        ark.report("shoulders", "at least one shoulder must be registered");
    std::vector<Shoulder> registered;
    for (const ConfigSection& entry : entries) {
        if (entry.key().size() != 3 || !is_alnum(entry.key()))
            entry.report("", "a shoulder must be 3 letters or digits");
        entry.only_keys({"name", "subject", "description", "service"});
        Shoulder shoulder;
        shoulder.shoulder = entry.key();
        entry.read_required("name", shoulder.name);
        entry.read("subject", shoulder.subject);
        entry.read("description", shoulder.description);
        entry.read("service", shoulder.service);
        registered.push_back(std::move(shoulder));
    }
    return registered;
}

// After the shoulders (none: reported already): the only one needs not be named.
void read_default_shoulder(const ConfigSection& ark, DaemonConfig& config) {
    if (!ark.read("default_shoulder", config.default_shoulder) || config.shoulders.empty()) return;
    if (config.default_shoulder.empty()) {
        if (config.shoulders.size() != 1) {
            ark.report("default_shoulder", "required when several shoulders are registered");
            return;
        }
        config.default_shoulder = config.shoulders.front().shoulder;
    }
    if (std::none_of(config.shoulders.begin(), config.shoulders.end(),
                     [&](const Shoulder& s) { return s.shoulder == config.default_shoulder; }))
        ark.report("default_shoulder",
                   "\"" + config.default_shoulder + "\" is not among [ark.shoulders]");
}

void read_ark(const ConfigSection& ark, DaemonConfig& config) {
    if (!ark.present()) {
        ark.report("", "required (naan, shoulders)");
        return;
    }
    if (!ark.only_keys({"naan", "check_profile", "default_shoulder", "shoulders", "policy",
                        "global_resolver"}))
        return;
    ark.read_nonempty("policy", config.ark_policy);
    ark.read("global_resolver", config.global_resolver);
    if (!config.global_resolver.empty()) {
        if (!is_http_url(config.global_resolver))
            ark.report("global_resolver", "must start with http:// or https://");
        if (!config.global_resolver.ends_with('/')) config.global_resolver += '/';
    }
    if (ark.read("naan", config.naan) && !is_alnum(config.naan))
        ark.report("naan", "must be 5 digits or betanumeric");
    config.check_profile = read_check_profile(ark);
    config.shoulders = read_shoulders(ark);
    read_default_shoulder(ark, config);
}

void read_public(const ConfigSection& public_, DaemonConfig& config) {
    public_.only_keys({"base_url", "institution", "institution_id", "institution_homepage",
                       "landing_page", "oai_repository_identifier"});
    if (public_.read("base_url", config.public_base_url) && !is_http_url(config.public_base_url))
        public_.report("base_url", "must start with http:// or https://");
    while (config.public_base_url.ends_with('/')) config.public_base_url.pop_back();
    public_.read("institution", config.institution);
    public_.read("institution_id", config.institution_id);
    if (!is_institution_id(config.institution_id))
        public_.report("institution_id",
                       "must be a-z, 0-9 and '-', at most 32, a letter or digit first");
    public_.read("institution_homepage", config.institution_homepage);
    if (!config.institution_homepage.empty() && !is_http_url(config.institution_homepage))
        public_.report("institution_homepage", "must start with http:// or https://");
    public_.read("landing_page", config.landing_page);
    if (!config.landing_page.starts_with('/') && !is_http_url(config.landing_page))
        public_.report("landing_page",
                       "must be a path starting with / or an http:// or https:// URL");
    public_.read("oai_repository_identifier", config.oai_repository_identifier);
}

// The origins of this site's pages, which show the viewer: the public base URL's, and the
// landing page's when it is on a site of its own.
std::vector<std::string> own_origins(const DaemonConfig& config) {
    std::vector<std::string> origins{origin_of(config.public_base_url)};
    const std::string landing = origin_of(config.landing_page);
    if (!landing.empty() && landing != origins.front()) origins.push_back(landing);
    return origins;
}

// "localhost", an address of 127.0.0.0/8 or ::1.
bool is_loopback_host(const std::string& host) {
    if (host == "localhost") return true;
    const std::optional<iiif::IpAddress> address = iiif::parse_ip_address(host);
    if (!address) return false;
    const unsigned char ipv4_loopback[4] = {127, 0, 0, 0};
    const iiif::IpAddress mapped = iiif::ipv4_address(ipv4_loopback);
    const bool ipv4 = std::equal(address->bytes.begin(), address->bytes.begin() + 12,
                                 mapped.bytes.begin());
    if (ipv4) return address->bytes[12] == 127;
    iiif::IpAddress one{};
    one.bytes[15] = 1;
    return *address == one;
}

void read_http(const ConfigSection& http, DaemonConfig& config) {
    // Every key has a default: API keys are only a bootstrap (the directory holds the keys; the
    // first administrator of a platform whose file names none is made with `iiifd account`).
    if (!http.present()) return;
    if (!http.only_keys({"host", "port", "api_keys", "deposit_groups", "header_timeout",
                         "body_timeout", "idle_timeout", "max_connections",
                         "listen_beyond_loopback"}))
        return;
    const bool host_read = http.read_nonempty("host", config.listen_host);
    const bool beyond_read = http.read("listen_beyond_loopback", config.listen_beyond_loopback);
    if (host_read && beyond_read && !config.listen_beyond_loopback &&
        !is_loopback_host(config.listen_host))
        http.report("host",
                    "\"" + config.listen_host +
                        "\" is no loopback address: iiifd's API (its /auth/, its health and "
                        "metrics) is meant to be reached through nginx on this machine; set "
                        "listen_beyond_loopback = true to listen there all the same");
    http.read("port", config.listen_port, 1, kMaxPort);
    http.read("header_timeout", config.http_header_timeout, 1, 3600);
    http.read("body_timeout", config.http_body_timeout, 1, 3600);
    http.read("idle_timeout", config.http_idle_timeout, 1, 3600);
    http.read("max_connections", config.http_max_connections, 16, 65536);
    config.api_keys = http.strings("api_keys");
    for (size_t i = 0; i < config.api_keys.size(); ++i) {
        if (config.api_keys[i].size() < kMinApiKeyLength)
            http.report("api_keys", "key " + std::to_string(i + 1) + " is shorter than " +
                                        std::to_string(kMinApiKeyLength) + " characters");
    }
    if (http.has("deposit_groups")) config.deposit_groups = read_groups(http, "deposit_groups");
}

// [ingest]'s hot_folder and hot_folder_settle_seconds.
void read_hot_folder(const ConfigSection& ingest, DaemonConfig& config) {
    ingest.read("hot_folder", config.hot_folder);
    if (!config.hot_folder.empty()) {
        ingest.require_absolute("hot_folder", config.hot_folder);
        config.hot_folder = without_trailing_slash(config.hot_folder);
    }
    ingest.read("hot_folder_settle_seconds", config.hot_folder_settle_seconds, 1, 86400);
    ingest.read("hot_folder_institution", config.hot_folder_institution);
    if (!config.hot_folder_institution.empty() && !is_institution_id(config.hot_folder_institution))
        ingest.report("hot_folder_institution",
                      "must be a-z, 0-9 and '-', at most 32, a letter or digit first");
}

void read_ingest(const ConfigSection& ingest, DaemonConfig& config) {
    ingest.only_keys({"workers", "master_format", "jpeg_quality", "tile_size", "max_file_bytes",
                      "max_pixels", "max_files_per_object", "hot_folder",
                      "hot_folder_settle_seconds", "hot_folder_institution"});
    ingest.read("workers", config.workers, 0, 64);
    ingest.read("master_format", config.master_format);
    if (config.master_format != "tiff" && config.master_format != "jp2")
        ingest.report("master_format", "must be \"tiff\" or \"jp2\"");
    ingest.read("jpeg_quality", config.master_jpeg_quality, 1, 100);
    ingest.read("tile_size", config.master_tile_size, 16, 4096);
    if (config.master_tile_size % 16 != 0)
        ingest.report("tile_size", "must be a multiple of 16 (TIFF tiles)");
    ingest.read("max_file_bytes", config.max_file_bytes, 1, kMaxInt64);
    ingest.read("max_pixels", config.max_pixels, 1, kMaxInt64);
    ingest.read("max_files_per_object", config.max_files_per_object, 1, kMaxInt);
    read_hot_folder(ingest, config);
}

// By default oai-admin@ the repository identifier, when that is a host name an address can have.
std::vector<std::string> read_admin_emails(const ConfigSection& oai, const DaemonConfig& config) {
    std::vector<std::string> emails = oai.one_or_more_strings("admin_email");
    if (emails.empty()) {
        const std::string host = iiif::oai_repository_identifier(publication_settings(config));
        emails = {"oai-admin@" + (host.find('.') != std::string::npos && is_email("x@" + host)
                                      ? host
                                      : std::string("localhost.localdomain"))};
    }
    for (const std::string& email : emails)
        if (!is_email(email)) oai.report("admin_email", "\"" + email + "\" is no e-mail address");
    return emails;
}

// After [storage], [ark] and [public], which give its defaults.
void read_oai(const ConfigSection& oai, DaemonConfig& config) {
    oai.only_keys({"repository_name", "admin_email", "page_size", "token_lifetime",
                   "token_key_file", "max_concurrent", "retry_after"});
    config.oai.repository_name = config.institution;
    oai.read("repository_name", config.oai.repository_name);
    if (config.oai.repository_name.empty()) config.oai.repository_name = "IIIF repository";
    config.oai.admin_emails = read_admin_emails(oai, config);
    oai.read("page_size", config.oai.page_size, 1, 10000);
    oai.read("token_lifetime", config.oai.token_lifetime, 60, 10LL * 366 * 86400);
    config.oai.token_key_file = config.storage_root + "/oai-token.key";
    oai.read("token_key_file", config.oai.token_key_file);
    oai.require_absolute("token_key_file", config.oai.token_key_file);
    oai.read("max_concurrent", config.oai.max_concurrent, 1, 1024);
    oai.read("retry_after", config.oai.retry_after, 1, 3600);
}

// [sets."spec"]; after the access sections, whose policies and watermarks a set names.
void read_sets(const ConfigSection& sets, DaemonConfig& config) {
    for (const ConfigSection& entry : sets.sections())
        config.sets.push_back(read_set_entry(entry, config.access));
}

void read_partners(const ConfigSection& partners, DaemonConfig& config) {
    for (const ConfigSection& entry : partners.sections()) {
        const size_t before = entry.reported();
        if (!is_partner_id(entry.key()))
            entry.report("", "not a partner id (1 to 64 of a-z, 0-9 and -)");
        entry.only_keys({"name", "institution", "homepage", "base_url", "sets", "extra_prefix",
                         "license", "shoulder", "owner", "schedule_hours", "images", "delay_ms",
                         "rules"});
        Partner partner;
        partner.id = entry.key();
        entry.read_required("name", partner.name);
        entry.read("institution", partner.institution);
        entry.read("homepage", partner.homepage);
        entry.read_required("base_url", partner.base_url);
        partner.sets = entry.strings("sets");
        entry.read("extra_prefix", partner.extra_prefix);
        entry.read("license", partner.license);
        entry.read("shoulder", partner.shoulder);
        entry.read("owner", partner.owner);
        entry.read("schedule_hours", partner.schedule_hours, 0, 24 * 366);
        entry.read("delay_ms", partner.delay_ms, 0, 60000);
        std::string images = "fetch";
        entry.read("images", images);
        if (images == "metadata") {
            partner.images = PartnerImages::metadata;
        } else if (images != "fetch") {
            entry.report("images", "\"fetch\" or \"metadata\"");
        }
        // [partners."id".rules.ELEMENT]: "value as the partner writes it" = "value here".
        for (const ConfigSection& element : entry.section("rules").sections())
            for (auto& [from, to] : element.string_pairs())
                partner.rules.push_back({element.key(), std::move(from), std::move(to)});
        // The partner's rules as the API judges them, on an entry that read well.
        if (entry.reported() == before) {
            if (std::optional<std::string> problem = complete_partner(partner, config)) {
                const size_t colon = problem->find(": ");
                entry.report(problem->substr(0, colon), problem->substr(colon + 2));
            }
        }
        config.partners.push_back(std::move(partner));
    }
}

void read_harvest(const ConfigSection& harvest, DaemonConfig& config) {
    harvest.only_keys({"scheduler", "check_seconds"});
    harvest.read("scheduler", config.harvest.scheduler);
    harvest.read("check_seconds", config.harvest.check_seconds, 1, 86400);
}

void read_cache(const ConfigSection& cache, DaemonConfig& config) {
    cache.only_keys({"tile_cache"});
    cache.read("tile_cache", config.tile_cache_dir);
    if (!config.tile_cache_dir.empty()) {
        cache.require_absolute("tile_cache", config.tile_cache_dir);
        config.tile_cache_dir = without_trailing_slash(config.tile_cache_dir);
    }
}

void read_replication(const ConfigSection& replication, DaemonConfig& config) {
    ReplicationConfig& into = config.replication;
    into.snapshot_dir = config.storage_root + "/replication";
    replication.only_keys({"role", "stream", "snapshot_dir", "snapshot_every", "max_lag_seconds"});
    std::string role = "none";
    replication.read("role", role);
    if (role == "writer") {
        into.role = ReplicationRole::writer;
    } else if (role == "replica") {
        into.role = ReplicationRole::replica;
    } else if (role != "none") {
        replication.report("role", "must be \"none\", \"writer\" or \"replica\"");
    }
    replication.read_nonempty("stream", into.stream);
    replication.read("snapshot_dir", into.snapshot_dir);
    replication.require_absolute("snapshot_dir", into.snapshot_dir);
    into.snapshot_dir = without_trailing_slash(into.snapshot_dir);
    replication.read("snapshot_every", into.snapshot_every, 1, 100'000'000);
    replication.read("max_lag_seconds", into.max_lag_seconds, 1, 86400);
}

}  // namespace

DaemonConfig load_daemon_config(const std::string& path) {
    const std::string file_name = std::filesystem::path(path).filename().string();
    const toml::table document = parse_file(path, file_name);
    std::vector<std::string> problems;
    const ConfigSection root(file_name.empty() ? path : file_name, document, problems);
    check_section_names(root);

    DaemonConfig config;
    read_storage(root.section("storage"), config);
    read_redis(root.section("redis"), config);
    read_ark(root.section("ark"), config);
    read_public(root.section("public"), config);
    read_http(root.section("http"), config);
    read_ingest(root.section("ingest"), config);
    read_oai(root.section("oai"), config);
    config.access = read_access_config(root, config.storage_root, own_origins(config));
    read_sets(root.section("sets"), config);
    read_partners(root.section("partners"), config);
    read_harvest(root.section("harvest"), config);
    read_cache(root.section("cache"), config);
    read_replication(root.section("replication"), config);
    // No worker on a node of its own: nothing would ever take its deposits.
    if (config.workers == 0 && config.replication.role == ReplicationRole::none)
        root.section("ingest").report("workers",
                                      "0 only with [replication] (another node takes the jobs)");
    if (!problems.empty()) throw InvalidConfig(std::move(problems));
    return config;
}

iiif::PublicationSettings publication_settings(const DaemonConfig& config) {
    iiif::PublicationSettings settings;
    settings.base_url = config.public_base_url;
    settings.oai_repository_identifier = config.oai_repository_identifier;
    settings.landing_page = config.landing_page;
    settings.institution = config.institution;
    settings.institution_homepage = config.institution_homepage;
    settings.naan = config.naan;
    for (const Shoulder& shoulder : config.shoulders)
        settings.shoulders.push_back({shoulder.shoulder, shoulder.name, shoulder.subject,
                                      shoulder.description, shoulder.service, {}});
    settings.ark_policy = config.ark_policy;
    settings.global_resolver = config.global_resolver;
    return settings;
}

}  // namespace iiifd
