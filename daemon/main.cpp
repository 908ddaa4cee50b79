// iiifd, the IIIF platform's sidecar daemon.
//
//   iiifd [-c FILE]                       serve: HTTP API, ingest workers, hot folder, the
//                                         partners' harvests (harvest_scheduler.hpp)
//   iiifd --check-config -c FILE          "ok", or every problem of the file, one a line, each
//                                         naming its section and key (exit 1); a file TOML
//                                         cannot parse is one problem, with its line and column
//   iiifd --check-environment -c FILE     the same, then (once the file reads well) whether
//                                         this machine lets iiifd run as configured: its
//                                         directories, key files, watermarks, Redis; "ok", or
//                                         every failure, one a line (exit 1); nothing made
//                                         (environment_check.hpp)
//   iiifd ingest -c FILE PATH... [--title T] [--set S]...
//                                         queue files (or a directory's files) as one object
//   iiifd rebuild -c FILE                 rebuild the catalog from the storage root
//   iiifd remaster -c FILE                make RGB-coded TIFF masters again in YCbCr 4:2:0
//   iiifd harvest -c FILE PARTNER [--full] [--dry-run]
//                                         harvest a partner's records into objects (described
//                                         objects for now: pages are not fetched yet); the run
//                                         and its quality report logged
//   iiifd hash-password < FILE            the argon2id hash of the password on stdin's first
//                                         line, for [access.users.NAME] password_hash
#include <jansson.h>
#include <signal.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <optional>
#include <stop_token>
#include <thread>

#include "access_config.hpp"
#include "access_registry.hpp"
#include "account_command.hpp"
#include "cache_purger.hpp"
#include "change_publisher.hpp"
#include "catalog.hpp"
#include "daemon_config.hpp"
#include "deposits.hpp"
#include "durable_jobs.hpp"
#include "environment_check.hpp"
#include "harvest_objects.hpp"
#include "harvest_run.hpp"
#include "harvest_scheduler.hpp"
#include "hot_folder.hpp"
#include "http_api.hpp"
#include "iiif_error.hpp"
#include "ingest.hpp"
#include "job_queue.hpp"
#include "local_deposit.hpp"
#include "json.hpp"
#include "metrics.hpp"
#include "rebuild.hpp"
#include "sheet_command.hpp"
#include "remaster.hpp"
#include "replica_node.hpp"
#include "renderer.hpp"
#include "staging.hpp"
#include "storage.hpp"
#include "workers.hpp"

namespace {

namespace fs = std::filesystem;
using namespace iiifd;

// A temporary file that another host's iiifd (sharing the storage root) may still be writing is
// left this long after its last write; one of a process of this host that has gone is removed at
// once (storage.hpp).
constexpr std::chrono::hours kForeignTemporaryAge{24};

// How long a stop waits for jobs under way; well under systemd's 90 s before SIGKILL. A job
// still running then is left pending and taken over by the next consumer.
constexpr std::chrono::seconds kShutdownGrace{30};

// "<N>" syslog priority prefixes, which journald reads from a service's stderr.
class SyslogPriority : public spdlog::custom_flag_formatter {
  public:
    void format(const spdlog::details::log_msg& message, const std::tm&,
                spdlog::memory_buf_t& destination) override {
        static constexpr std::string_view kPriorities[] = {"<7>", "<7>", "<6>", "<4>",
                                                           "<3>", "<2>", ""};
        std::string_view priority = kPriorities[static_cast<int>(message.level)];
        destination.append(priority.data(), priority.data() + priority.size());
    }
    std::unique_ptr<custom_flag_formatter> clone() const override {
        return std::make_unique<SyslogPriority>();
    }
};

// To stderr: under systemd (JOURNAL_STREAM set) with priorities and no time (journald keeps
// it); on a terminal with colours; elsewhere plain, with time and level.
void set_up_logging(const std::string& level) {
    auto sink =
        std::make_shared<spdlog::sinks::stderr_color_sink_mt>(spdlog::color_mode::automatic);
    auto logger = std::make_shared<spdlog::logger>("iiifd", sink);
    auto formatter = std::make_unique<spdlog::pattern_formatter>();
    if (std::getenv("JOURNAL_STREAM") != nullptr) {
        formatter->add_flag<SyslogPriority>('*').set_pattern("%*%l: %v");
    } else if (isatty(STDERR_FILENO)) {
        formatter->set_pattern("%H:%M:%S.%e %^%l%$ %v");
    } else {
        formatter->set_pattern("%Y-%m-%d %H:%M:%S.%e %l %v");
    }
    logger->set_formatter(std::move(formatter));
    logger->set_level(spdlog::level::from_str(level));
    logger->flush_on(spdlog::level::trace);
    spdlog::set_default_logger(logger);
}

// The catalog, the storage root and staging, made when missing (a first start).
std::unique_ptr<iiif::CatalogWriter> open_catalog(const DaemonConfig& config) {
    make_directories(config.storage_root);
    make_directories(config.staging_dir);
    make_directories(fs::path(config.catalog_path).parent_path().string());
    std::string error;
    std::unique_ptr<iiif::CatalogWriter> catalog =
        iiif::CatalogWriter::open(config.catalog_path, &error);
    if (!catalog) throw std::runtime_error("catalog " + config.catalog_path + ": " + error);
    // Changed addresses (or a catalog from before manifests) remake every document here.
    catalog->set_publication(publication_settings(config));
    // The directory and the access definitions, moved from iiifd.toml on a first start; then
    // the catalog is given the sets and access they define (changed ones remake every document).
    AuditLog audit(audit_log_path(config.storage_root));
    Directory directory(config, *catalog, audit);
    if (std::string done = directory.bootstrap(); !done.empty())
        spdlog::info("directory: {}", done);
    AccessRegistry access(config, *catalog, directory);
    if (std::string done = access.bootstrap(); !done.empty()) spdlog::info("access: {}", done);
    access.apply();
    return catalog;
}

// What killed processes left in the storage root and staging (half-written masters, copies,
// object.json's), removed on a thread of its own: a large root takes a while to walk, and
// nothing needs to wait for it. Ends with the walk, or when destroyed.
class TemporarySweep {
  public:
    explicit TemporarySweep(const DaemonConfig& config)
        : thread_([&config](std::stop_token stop) { run(config, stop); }) {}

  private:
    static void run(const DaemonConfig& config, std::stop_token stop) {
        std::vector<std::string> places = {config.storage_root};
        const std::string staging =
            fs::path(config.staging_dir).lexically_relative(config.storage_root).string();
        if (staging.empty() || staging.starts_with("..")) places.push_back(config.staging_dir);
        size_t removed = 0;
        for (const std::string& place : places) {
            for (const std::string& path :
                 sweep_stale_temporaries(place, kForeignTemporaryAge, {config.hot_folder}, stop)) {
                spdlog::info("storage: removed {}, left by a writer that is gone", path);
                removed += 1;
            }
        }
        spdlog::info("storage: swept the storage root, {} temporary files removed", removed);
    }
    std::jthread thread_;
};

// Collections list many objects: they are made again at most once per period, after changes,
// rather than in every object's transaction (a bulk deposit into one set would rewrite the
// set's collection once per object).
class CollectionRefresher {
  public:
    explicit CollectionRefresher(iiif::CatalogWriter& catalog)
        : thread_([this, &catalog](std::stop_token stop) { run(catalog, stop); }) {}

  private:
    static constexpr auto kPeriod = std::chrono::milliseconds(500);
    static void run(iiif::CatalogWriter& catalog, std::stop_token stop) {
        std::mutex mutex;
        std::condition_variable_any wake;
        std::unique_lock lock(mutex);
        while (!stop.stop_requested()) {
            try {
                catalog.refresh_collections();
            } catch (const std::exception& failure) {
                spdlog::error("collections: {}", failure.what());
            }
            wake.wait_for(lock, stop, kPeriod, [] { return false; });
        }
    }
    std::jthread thread_;
};

int serve(const DaemonConfig& config) {
    // Signals are taken by sigwait below, never by a thread at work: block them before any
    // thread starts, so that every thread inherits the mask.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
    signal(SIGPIPE, SIG_IGN);  // a client or Redis gone away is an error return, not a death

    if (config.replication.role == ReplicationRole::replica) return serve_replica(config);
    std::unique_ptr<iiif::CatalogWriter> catalog;
    try {
        catalog = open_catalog(config);
    } catch (const std::exception& failure) {
        spdlog::critical("{}", failure.what());
        return 1;
    }
    const TemporarySweep sweep(config);
    RedisPool redis(config.redis);
    try {
        auto connection = redis.lease();
        ensure_consumer_group(*connection, config);
        if (int removed = forget_departed_consumers(*connection, config))
            spdlog::info("removed {} departed consumers from group {}", removed,
                         config.consumer_group);
        if (int requeued = requeue_lost_jobs(config, *connection))
            spdlog::warn("queued again {} job(s) redis had lost, from their job.json", requeued);
        sweep_staging(config, *connection);
    } catch (const RedisUnavailable& unavailable) {
        spdlog::warn("{}; jobs wait until it can be reached", unavailable.what());
    } catch (const RedisCommandError& refused) {
        spdlog::error("redis: {}", refused.what());
    }

    AuditLog audit(audit_log_path(config.storage_root));
    Directory directory(config, *catalog, audit);
    AccessRegistry access(config, *catalog, directory);
    if (!config.hot_folder_institution.empty() &&
        !directory.institution(config.hot_folder_institution)) {
        spdlog::critical("iiifd.toml: [ingest] hot_folder_institution: no institution \"{}\" in "
                         "the directory",
                         config.hot_folder_institution);
        return 1;
    }
    for (const Partner& partner : config.partners) {
        if (partner.owner.empty() || directory.institution(partner.owner)) continue;
        spdlog::critical("iiifd.toml: [partners.\"{}\"] owner: no institution \"{}\" in the "
                         "directory",
                         partner.id, partner.owner);
        return 1;
    }
    const Deposits deposits(config, *catalog, directory);
    std::optional<PartnerRegistry> partners;
    try {
        partners.emplace(config);
    } catch (const std::exception& failure) {
        spdlog::critical("{}", failure.what());
        return 1;
    }
    // One for the API and the harvests alike: its lock keeps their changes of an object apart.
    ObjectChanges changes(config, *catalog, redis);
    Metrics metrics;  // what GET /metrics shows: counted by the harvests, the API and the workers
    // Before any thread of this process writes the catalog: it hooks its commits.
    std::optional<ChangePublisher> publisher;
    if (config.replication.role != ReplicationRole::writer && catalog->stop_change_log())
        spdlog::info("replication: [replication] role is not \"writer\": the catalog's change "
                     "log is off and emptied");
    if (config.replication.role == ReplicationRole::writer) {
        try {
            publisher.emplace(config, *catalog, metrics.replication);
            publisher->start();
        } catch (const std::exception& failure) {
            spdlog::critical("replication: {}", failure.what());
            return 1;
        }
    }
    HarvestScheduler harvests(config, *partners, changes, metrics);
    HttpApi api(config, *catalog, redis, deposits, *partners, changes, harvests, directory,
                access, metrics);
    try {
        api.bind();
    } catch (const std::exception& failure) {
        spdlog::critical("{}", failure.what());
        return 1;
    }
    Workers workers(config, *catalog, metrics, &changes.mutex);
    workers.start();
    std::optional<HotFolder> hot_folder;
    if (!config.hot_folder.empty()) {
        hot_folder.emplace(config, deposits, redis);
        try {
            hot_folder->start();
        } catch (const std::exception& failure) {
            spdlog::critical("{}", failure.what());
            workers.stop(kShutdownGrace);
            return 1;
        }
    }
    CollectionRefresher collections(*catalog);
    // Before the API serves, so that it sees this node's own takedowns.
    std::optional<CachePurger> purger;
    if (!config.tile_cache_dir.empty()) {
        purger.emplace(config, catalog->reader());
        purger->start();
    }
    harvests.start();
    std::thread http([&api] { api.serve(); });
    spdlog::info("listening on http://{}:{}; {} workers as consumer {} of {}", config.listen_host,
                 config.listen_port, config.workers, config.consumer_name, config.ingest_stream);

    int received = 0;
    sigwait(&stop_signals, &received);
    spdlog::info("{}: stopping (jobs under way get {} s to finish)", strsignal(received),
                 kShutdownGrace.count());
    // A second signal while stopping: exit at once; jobs under way are taken over later.
    std::thread([stop_signals] {
        int again = 0;
        sigwait(&stop_signals, &again);
        spdlog::warn("{} again: exiting now", strsignal(again));
        std::_Exit(1);
    }).detach();

    api.stop();
    http.join();
    harvests.stop();  // a harvest under way ends after its page
    if (hot_folder) hot_folder->stop();
    if (purger) purger->stop();
    // Last: what the workers commit while stopping is published by the next start.
    if (publisher) publisher->stop();
    if (!workers.stop(kShutdownGrace)) {
        spdlog::warn("jobs still under way are left pending, to be taken over");
        spdlog::default_logger()->flush();
        std::_Exit(0);
    }
    spdlog::info("stopped");
    return 0;
}

// --title and --set go through the API's metadata parser, so they are checked the same way.
iiif::ObjectMetadata cli_metadata(const std::string& title, const std::vector<std::string>& sets) {
    json_t* document = json_object();
    if (!title.empty()) json_object_set_new(document, "title", json_string(title.c_str()));
    if (!sets.empty()) {
        json_t* list = json_array();
        for (const std::string& set : sets) json_array_append_new(list, json_string(set.c_str()));
        json_object_set_new(document, "sets", list);
    }
    const iiif::Json owned(document);
    return iiif::parse_object_metadata(iiif::json_text(document));
}

int ingest(const DaemonConfig& config, const std::vector<std::string>& paths,
           const std::string& title, const std::vector<std::string>& sets,
           const std::string& institution) {
    iiif::ObjectMetadata metadata = cli_metadata(title, sets);
    std::vector<fs::path> files = local_files(paths);
    std::unique_ptr<iiif::CatalogWriter> catalog = open_catalog(config);
    AuditLog audit(audit_log_path(config.storage_root));
    Directory directory(config, *catalog, audit);
    Redis redis(config.redis);
    IngestJob job = deposit_local_files(config, Deposits(config, *catalog, directory), redis,
                                        files, std::move(metadata), "",
                                        {"cli", institution, command_line_actor()});
    std::cout << "ark: " << job.ark << "\njob: " << job.id << "\n";
    return 0;
}

// Reads no configuration: a password is hashed before there is a file to put it in.
int hash_password_from_stdin() {
    std::string password;
    if (!std::getline(std::cin, password)) password.clear();
    if (!password.empty() && password.back() == '\r') password.pop_back();
    if (password.empty()) {
        std::cerr << "iiifd: no password on the standard input's first line\n";
        return 1;
    }
    std::cout << hash_password(password) << "\n";
    return 0;
}

// What a command over the whole storage root did, once the catalog's collections are made again:
// "objects: N", "{label}: N", a "problem: ..." line each; exit status 1 when there is one.
int finish_storage_command(iiif::CatalogWriter& catalog, int objects, const char* label, int count,
                           const std::vector<std::string>& problems) {
    while (catalog.refresh_collections() > 0) {
    }
    std::cout << "objects: " << objects << "\n" << label << ": " << count << "\n";
    for (const std::string& problem : problems) std::cout << "problem: " << problem << "\n";
    return problems.empty() ? 0 : 1;
}

int rebuild(const DaemonConfig& config) {
    std::unique_ptr<iiif::CatalogWriter> catalog = open_catalog(config);
    const RebuildReport report = rebuild_catalog(config, *catalog);
    return finish_storage_command(*catalog, report.objects, "images", report.images,
                                  report.problems);
}

int remaster(const DaemonConfig& config) {
    std::unique_ptr<iiif::CatalogWriter> catalog = open_catalog(config);
    const RemasterReport report = remaster_masters(config, *catalog);
    return finish_storage_command(*catalog, report.objects, "masters", report.images,
                                  report.problems);
}

// The run as JSON on stdout; 0 when it is done, 1 when it failed. A dry run makes no object.
int harvest(const DaemonConfig& config, const std::string& partner_id, bool full, bool dry_run) {
    const PartnerRegistry partners(config);
    const std::optional<Partner> partner = partners.find(partner_id);
    if (!partner) {
        std::cerr << "iiifd: no partner " << partner_id << " (iiifd.toml or the API)\n";
        return 1;
    }
    const HarvestStore store(config);
    std::unique_ptr<iiif::CatalogWriter> catalog;
    std::optional<RedisPool> redis;
    std::optional<ObjectChanges> changes;
    std::optional<HarvestObjects> objects;
    if (!dry_run) {
        catalog = open_catalog(config);
        redis.emplace(config.redis);
        changes.emplace(config, *catalog, *redis);
        objects.emplace(*changes, *partner);
    }
    const HarvestRun run = run_harvest(*partner, full, store, objects ? &*objects : nullptr);
    iiif::Json json(harvest_run_to_json(run));
    std::cout << iiif::json_text(json.get(), JSON_INDENT(2)) << "\n";
    return run.status == "done" ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"iiifd: the IIIF platform's deposit API, ingest workers and catalog writer"};
    app.fallthrough();
    std::string config_path = "/etc/iiifd/iiifd.toml";
    bool check_config = false;
    bool check_environment_too = false;
    std::string log_level = "info";
    app.add_option("-c,--config", config_path, "configuration file (TOML)");
    app.add_flag("--check-config", check_config,
                 "check the configuration: print ok, or every problem (one a line, naming its "
                 "section and key) and exit 1");
    app.add_flag("--check-environment", check_environment_too,
                 "implies --check-config, then checks this machine as this user, changing "
                 "nothing: directories (storage root, staging, hot folder, catalog, tile cache) "
                 "writable, key files readable but not by others, watermark images readable, "
                 "Redis answers PING within 2 s; print ok, or every failure and exit 1");
    app.add_option("--log-level", log_level, "trace, debug, info, warn or error")
        ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));

    CLI::App* ingest_command =
        app.add_subcommand("ingest", "queue files as one object (a running iiifd ingests it)");
    std::vector<std::string> paths;
    std::string title;
    std::vector<std::string> sets;
    ingest_command->add_option("paths", paths, "image files, or directories of them, in page order")
        ->required();
    ingest_command->add_option("--title", title, "the object's title");
    ingest_command->add_option("--set", sets, "a set the object belongs to (repeatable)")
        ->allow_extra_args(false);
    std::string institution;
    bool ingest_dry_run = false;
    ingest_command->add_flag("--dry-run", ingest_dry_run,
                             "with a spreadsheet (.csv): check its rows, deposit nothing");
    ingest_command->add_option("--institution", institution,
                               "the institution the object belongs to (default: the home one)");
    CLI::App* rebuild_command =
        app.add_subcommand("rebuild", "rebuild the catalog from the storage root");
    CLI::App* remaster_command = app.add_subcommand(
        "remaster", "make the TIFF masters with RGB-coded JPEG tiles again, in YCbCr 4:2:0");
    CLI::App* harvest_command =
        app.add_subcommand("harvest", "harvest a partner's records into objects now");
    std::string partner_id;
    bool full_harvest = false;
    bool dry_run = false;
    harvest_command->add_option("partner", partner_id, "the partner's id")->required();
    harvest_command->add_flag("--full", full_harvest, "from the start, not from the last harvest");
    harvest_command->add_flag("--dry-run", dry_run,
                              "read, normalise and count the records, log the run; make no object");
    CLI::App* import_command = app.add_subcommand(
        "import", "deposit the documents a spreadsheet (CSV) describes, one per row");
    std::string sheet;
    bool import_dry_run = false;
    import_command->add_option("sheet", sheet, "the spreadsheet, as CSV")->required();
    import_command->add_flag("--dry-run", import_dry_run,
                             "check every row and say what would be made; deposit nothing");
    import_command->add_option("--institution", institution,
                               "the institution the documents belong to (default: the home one)");
    DirectoryCommand directory_command;
    CLI::App* account_command = app.add_subcommand(
        "account", "the directory's accounts: list, create, password, disable, enable, key");
    account_command->require_subcommand(1);
    account_command->add_subcommand("list", "every account: name, role, institution, state");
    CLI::App* account_create =
        account_command->add_subcommand("create", "an account (its password read on stdin)");
    account_create->add_option("name", directory_command.name, "its name")->required();
    account_create->add_option("--role", directory_command.role,
                               "administrator, editor (the default) or reader");
    account_create->add_option("--institution", directory_command.institution,
                               "its institution (default: the home one)");
    account_create->add_option("--display-name", directory_command.display_name, "its full name");
    for (const char* action : {"password", "disable", "enable"})
        account_command->add_subcommand(action, std::string(action) + " an account")
            ->add_option("name", directory_command.name, "its name")
            ->required();
    CLI::App* account_key =
        account_command->add_subcommand("key", "print a new API key of an account");
    account_key->add_option("name", directory_command.name, "its name")->required();
    account_key->add_option("--label", directory_command.label, "what the key is for");
    CLI::App* institution_command =
        app.add_subcommand("institution", "the directory's institutions: list, put");
    institution_command->require_subcommand(1);
    institution_command->add_subcommand("list", "every institution: id, name, homepage");
    CLI::App* institution_put =
        institution_command->add_subcommand("put", "make or rename an institution");
    institution_put->add_option("id", directory_command.name, "its id")->required();
    institution_put->add_option("name", directory_command.institution_name, "its name")
        ->required();
    institution_put->add_option("--homepage", directory_command.homepage, "its web site");
    CLI::App* replica_command =
        app.add_subcommand("replica", "replication between nodes: status");
    replica_command->require_subcommand(1);
    CLI::App* replica_status = replica_command->add_subcommand(
        "status", "this node's catalog against the writer's stream: position, lag, snapshot");
    CLI::App* hash_password_command = app.add_subcommand(
        "hash-password",
        "print the hash of the password on stdin, for [access.users] password_hash");
    CLI11_PARSE(app, argc, argv);

    if (hash_password_command->parsed()) {
        try {
            return hash_password_from_stdin();
        } catch (const std::exception& error) {
            std::cerr << "iiifd: " << error.what() << "\n";
            return 1;
        }
    }
    set_up_logging(log_level);
    DaemonConfig config;
    try {
        // Before the configuration: checking it reads the watermarks' PNGs with libvips.
        iiif::init_renderer(argv[0], 0);
        config = load_daemon_config(config_path);
    } catch (const std::exception& error) {
        std::cerr << error.what() << "\n";
        return 1;
    }
    if (check_environment_too) {
        const std::vector<std::string> failures = check_environment(config);
        for (const std::string& failure : failures) std::cerr << failure << "\n";
        if (!failures.empty()) return 1;
    }
    if (check_config || check_environment_too) {
        std::cout << "ok\n";
        return 0;
    }

    if (replica_status->parsed()) return print_replication_status(config, std::cout, std::cerr);
    // A replica's catalog is written by replication alone.
    if (config.replication.role == ReplicationRole::replica && !app.get_subcommands().empty()) {
        std::cerr << "iiifd: " << app.get_subcommands().front()->get_name()
                  << ": this node is a replica ([replication] role): its catalog follows the "
                     "writer's; run it on the writer\n";
        return 1;
    }
    try {
        // A spreadsheet of documents, one per row, as `iiifd import` takes it.
        const bool sheet_given = paths.size() == 1 && paths.front().ends_with(".csv");
        if (ingest_command->parsed() && sheet_given) {
            std::unique_ptr<iiif::CatalogWriter> catalog = open_catalog(config);
            return run_sheet_import(config, *catalog, paths.front(), ingest_dry_run, institution,
                                    std::cout);
        }
        if (ingest_command->parsed()) return ingest(config, paths, title, sets, institution);
        if (rebuild_command->parsed()) return rebuild(config);
        if (import_command->parsed()) {
            std::unique_ptr<iiif::CatalogWriter> catalog = open_catalog(config);
            return run_sheet_import(config, *catalog, sheet, import_dry_run, institution,
                                    std::cout);
        }
        for (CLI::App* noun : {account_command, institution_command}) {
            if (!noun->parsed()) continue;
            directory_command.noun = noun->get_name();
            directory_command.action = noun->get_subcommands().front()->get_name();
            std::unique_ptr<iiif::CatalogWriter> catalog = open_catalog(config);
            return run_directory_command(config, *catalog, directory_command, std::cin,
                                         std::cout, std::cerr);
        }
        if (remaster_command->parsed()) return remaster(config);
        if (harvest_command->parsed()) return harvest(config, partner_id, full_harvest, dry_run);
        return serve(config);
    } catch (const iiif::IiifError& error) {
        std::cerr << "iiifd: " << error.reason << "\n";
    } catch (const std::exception& error) {
        std::cerr << "iiifd: " << error.what() << "\n";
    }
    return 1;
}
