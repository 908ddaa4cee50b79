// iiifd on a delivery node ([replication] role = "replica"), and `iiifd replica status` on any
// node.
//
// A replica iiifd follows the writer's catalog into this node's own (replica_follower.hpp),
// purges this node's tile cache on takedowns (cache_purger.hpp), and answers on its loopback
// port:
//   GET /health    200 when Redis answers, the catalog has been loaded, and it is no further
//                  behind the writer than [replication] max_lag_seconds; 503 otherwise; each
//                  check in the body
//   GET /metrics   replication's metrics (replica_follower.hpp), Prometheus text format
// It takes no deposit and serves no API: those go to the writer.
#pragma once

#include <ostream>

#include "daemon_config.hpp"

namespace iiifd {

// Serves until SIGTERM or SIGINT; the exit status.
int serve_replica(const DaemonConfig& config);

// `iiifd replica status`: this node's role, its catalog's position, the stream's end, how far
// behind (a replica: changes and seconds) or ahead (the writer: changes not published yet), the
// newest snapshot; one "name: value" a line. Exit status 0,
// or 1 when Redis does not answer or the catalog cannot be read (said on `err`).
int print_replication_status(const DaemonConfig& config, std::ostream& out, std::ostream& err);

}  // namespace iiifd
