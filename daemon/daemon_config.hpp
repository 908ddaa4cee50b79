// iiifd's configuration: read once from TOML (conf/iiifd.toml documents every key), validated
// with messages that name the key (every problem of the file at once), then passed by
// reference. No globals.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "access.hpp"
#include "ark.hpp"
#include "partners.hpp"
#include "presentation.hpp"

namespace iiifd {

struct Shoulder {
    std::string shoulder;  // 3 characters, e.g. "39D"
    std::string name;
    std::string subject;
    std::string description;
    std::string service;  // URL of the service behind this shoulder
};

inline constexpr const char* kDefaultArkPolicy =
    "The object named by this ARK is kept for the long term: its identifier is never reassigned, "
    "and if the object is withdrawn the ARK keeps answering with a tombstone that says what it "
    "was, when and why it was withdrawn.";

// [oai]: the OAI-PMH provider (daemon/oai_provider.hpp).
struct OaiConfig {
    std::string repository_name;            // default: the institution
    std::vector<std::string> admin_emails;  // default: oai-admin@{repository identifier}
    int page_size = 100;  // records per page; ListIdentifiers gives 5 times as many
    std::int64_t token_lifetime = 7 * 86400;  // seconds a resumptionToken stays valid
    std::string token_key_file;               // default: {storage root}/oai-token.key
    int max_concurrent = 8;  // requests answered at once; more get 503 with Retry-After
    int retry_after = 10;    // seconds, in that Retry-After
};

// [sets."spec"]: the name and description of an OAI-PMH set (also for sets no object is in yet),
// and the access policy and watermark of the objects in it (access.hpp's AccessRules).
struct SetDefinition {
    std::string spec;
    std::string name;
    std::string description;
    std::string policy;     // a [policies.NAME] or "public"; empty: none
    std::string watermark;  // a [watermarks.NAME] or "institution"; empty: none
};

// [access.users.NAME]: who may sign in at the access service (daemon/auth_service.hpp).
struct AccessUser {
    std::string name;
    std::string password_hash;  // argon2 (`iiifd hash-password`); empty: only through the proxy
    std::vector<std::string> groups;
};

// [access], [policies.NAME] and [watermarks.NAME]: who may see what (common/access/access.hpp), and
// the auth services that hand out the signed credentials.
struct AccessConfig {
    std::string default_policy = "public";  // of objects that name none, in no set naming one
    std::string key_file;                   // default: {storage_root}/access.key
    std::string cookie_name = "iiif_access";
    std::int64_t session_lifetime = 8 * 3600;  // seconds the session cookie lasts
    std::int64_t token_lifetime = 3600;        // seconds an access token lasts
    // A header a front proxy (single sign-on) names the signed-in user in; empty: none.
    std::string remote_user_header;
    // Peers whose X-Forwarded-For and remote_user_header are believed.
    std::vector<iiif::Network> trusted_proxies;
    // The origins ("scheme://host[:port]" as browsers write them: lower case, no default port)
    // of the viewers the token service gives access tokens to; "*" for any. Default: the
    // public base URL's, and the landing page's when it is an absolute URL.
    std::vector<std::string> token_origins;
    std::vector<AccessUser> users;
    std::vector<iiif::AccessPolicy> policies;  // as configured; "public" is implied
    std::vector<std::pair<std::string, std::string>> policy_watermarks;  // policy -> watermark
    std::vector<iiif::WatermarkSpec> watermarks;
};

// A host and a port: "host:port" in iiifd.toml, "[::1]:26379" for an IPv6 address.
struct HostPort {
    std::string host;
    int port = 0;
    // As iiifd.toml writes it, for messages.
    std::string text() const {
        return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" +
               std::to_string(port);
    }
};

// [redis]: where the Redis master is. Without sentinels, host and port; with them, whatever
// address the first sentinel that answers gives for master_name, asked again after every
// connection lost (redis_client.hpp), so that a failover is followed.
struct RedisAddress {
    std::string host = "127.0.0.1";
    int port = 6379;
    std::vector<HostPort> sentinels;  // in the order they are asked
    std::string master_name;          // the name the sentinels monitor the master under
    bool through_sentinels() const { return !sentinels.empty(); }
};

// [harvest]: the harvests iiifd runs itself (daemon/harvest_scheduler.hpp).
struct HarvestConfig {
    bool scheduler = true;   // partners harvested on their schedule_hours; false: on request only
    int check_seconds = 60;  // how often the partners' schedules are looked at
};

// More than one machine (replication.hpp): the writer publishes its catalog's changes, a
// replica (a delivery node's iiifd) applies them to a catalog of its own.
enum class ReplicationRole { none, writer, replica };
struct ReplicationConfig {
    ReplicationRole role = ReplicationRole::none;
    std::string stream = "iiif:catalog";  // the Redis stream of the catalog's changes
    std::string snapshot_dir;             // default: {storage root}/replication (shared)
    // The writer takes a snapshot when this many changes have been made since the last one.
    std::int64_t snapshot_every = 10000;
    // A replica's /health fails when it is further behind the writer than this.
    int max_lag_seconds = 10;
};

struct DaemonConfig {
    // [storage]
    std::string storage_root;  // durable truth: originals, masters, object.json
    std::string catalog_path;  // catalog.mdb (a file)
    std::string staging_dir;   // default: {storage_root}/staging
    // [redis]
    RedisAddress redis;
    // For Redis::wait_for_replicas (WAIT): how many replicas must have a write, and how long to
    // wait for them (milliseconds); 0 replicas: no wait.
    int redis_wait_replicas = 0;
    int redis_wait_timeout_ms = 1000;
    std::string ingest_stream = "iiif:ingest";
    std::string events_stream = "iiif:events";
    std::string consumer_group = "iiifd";
    std::string consumer_name;      // default: {hostname}-{pid}
    int reclaim_idle_seconds = 60;  // a job pending this long on a dead consumer is taken over
    // [ark]
    std::string naan;
    iiif::CheckProfile check_profile = iiif::CheckProfile::inist;
    std::string default_shoulder;
    std::vector<Shoulder> shoulders;
    std::string ark_policy = kDefaultArkPolicy;  // the persistence statement ("??")
    std::string global_resolver;  // other NAANs are sent there, e.g. "https://n2t.net/"
    // [public]
    std::string public_base_url = "http://localhost";  // e.g. "http://127.0.0.1:8080"
    std::string institution;                           // default holding institution (provider)
    // The home institution's id in the directory (directory.hpp): the owner of objects nothing
    // else gives one (the hot folder's, iiifd ingest's, those from before institutions).
    std::string institution_id = "main";
    std::string institution_homepage;                  // optional, in manifests' provider
    std::string landing_page = "/object.html?manifest={manifest}";
    std::string oai_repository_identifier;  // default: base_url's host
    OaiConfig oai;
    std::vector<SetDefinition> sets;
    // [partners."id"]: the OAI-PMH providers this portal harvests (partners.hpp).
    std::vector<Partner> partners;
    HarvestConfig harvest;
    AccessConfig access;
    // [http]
    std::string listen_host = "127.0.0.1";
    // [http] listen_beyond_loopback: a host that is no loopback address must be asked for.
    bool listen_beyond_loopback = false;
    int listen_port = 8081;
    // The HTTP server's deadlines and connection cap (http_server.hpp): a request's headers
    // within header_timeout seconds of its connection (or its last answer), a small body within
    // body_timeout of the headers, no byte either way for idle_timeout while a deposit is
    // uploaded or an answer sent.
    int http_header_timeout = 10;
    int http_body_timeout = 30;
    int http_idle_timeout = 60;
    int http_max_connections = 512;
    std::vector<std::string> api_keys;
    // Groups whose signed-in users (the /auth/ session cookie) may use the API as a key holder
    // does; a session opened with an API key (group "api-key") always may.
    std::vector<std::string> deposit_groups = {"depositors"};
    // [ingest]
    int workers = 2;
    std::string master_format = "tiff";  // "tiff" (JPEG Q90, 256 tiles) or "jp2"
    int master_jpeg_quality = 90;
    int master_tile_size = 256;
    std::int64_t max_file_bytes = 2LL << 30;
    std::int64_t max_pixels = 1'000'000'000;  // decompression-bomb guard
    int max_files_per_object = 2000;
    std::string hot_folder;  // empty: no hot folder
    int hot_folder_settle_seconds = 5;
    // The institution the hot folder's objects belong to; empty: the home institution.
    std::string hot_folder_institution;
    // [cache]
    std::string tile_cache_dir;  // nginx's iiif_cache_path; empty: takedowns purge no cache
    // [replication]
    ReplicationConfig replication;
};

// Throws InvalidConfig (config_section.hpp) listing every problem the file has, each
// "iiifd.toml: [section] key: what is wrong"; a file TOML cannot parse is one problem,
// "iiifd.toml:LINE:COLUMN: what the parser says".
DaemonConfig load_daemon_config(const std::string& path);

// The addresses and ARK descriptions manifests and the module's resolver are made with.
iiif::PublicationSettings publication_settings(const DaemonConfig& config);

}  // namespace iiifd
