// The HTTP API of droverd (docs/api.md): routing, identity, and the handlers
// that turn requests into StateLoop commands. Handlers parse and validate on
// the I/O thread, so the state thread only applies.
#pragma once

#include <map>
#include <span>
#include <string>
#include <vector>

#include "api/clock.h"
#include "api/http_types.h"
#include "daemons/droverd/daemon_config.h"
#include "daemons/droverd/identity.h"
#include "daemons/droverd/issued_tokens.h"
#include "daemons/droverd/log_fetcher.h"
#include "daemons/droverd/metrics.h"
#include "daemons/droverd/state_loop.h"

namespace drover::droverd {

class LogStore;
class TaskCredentials;
class HistoryReader;

struct ApiContext {
  StateLoop* loop = nullptr;
  Metrics* metrics = nullptr;
  const TokenTable* tokens = nullptr;
  LogFetcher* logs = nullptr;
  IssuedTokens* issued = nullptr;
  // Built-in daemons' task credentials; null = none accepted.
  const TaskCredentials* task_credentials = nullptr;
  // Shipped task logs (log_store.h); null = logs are read from nodes only.
  LogStore* log_store = nullptr;
  uint32_t daemon_uid = 0;
  const Clock* clock = nullptr;
  // droverd's credential towards node agents (control_plane_key.h).
  std::string control_plane_key;
  bool logs_public = false;  // any user may read any job's logs (Slurm's PrivateData off)
  // Who may submit to which queue (read-only after start-up); null = everyone.
  const std::map<std::string, QueueAccess>* queue_access = nullptr;
  // The accounting history's reader (history_reader.h); null = live records only.
  HistoryReader* history = nullptr;
};

HttpHandler MakeApiHandler(ApiContext context);

// Runs on the request head, before any body is read: unknown routes and
// callers without valid credentials are refused there, and each route gets
// the body limit it needs (a job, a bulk submission, a node's reports), so
// no unauthenticated client can make droverd buffer a body.
HttpRequestGate MakeApiGate(ApiContext context);

// The largest body each route takes, in bytes.
uint64_t BodyLimitFor(const std::string& method, const std::vector<std::string>& parts);

// Route handlers, one file per resource. `parts` is the path split on '/'
// after "/api/v1/" (e.g. {"jobs", "42", "cancel"}).
void HandleJobRoute(const ApiContext& ctx, const Caller& caller, HttpRequest& req,
                    const std::vector<std::string>& parts, HttpResponder respond);
// /api/v1/jobs/ID/steps[/S/cancel|/S/logs] and /api/v1/jobs/ID/complete
// (step_routes.cc); `parts` as HandleJobRoute's.
void HandleStepRoute(const ApiContext& ctx, const Caller& caller, HttpRequest& req, uint64_t id,
                     const std::vector<std::string>& parts, HttpResponder respond);
void HandleNodeRoute(const ApiContext& ctx, const Caller& caller, HttpRequest& req,
                     const std::vector<std::string>& parts, HttpResponder respond);
// /api/v1/deployments/... and /api/v1/endpoints/NAME.
void HandleDeploymentRoute(const ApiContext& ctx, const Caller& caller, HttpRequest& req,
                           const std::vector<std::string>& parts, HttpResponder respond);
// /api/v1/daemonsets/... (daemon_set_routes.cc).
void HandleDaemonSetRoute(const ApiContext& ctx, const Caller& caller, HttpRequest& req,
                          const std::vector<std::string>& parts, HttpResponder respond);
// /api/v1/statefulsets/... (stateful_set_routes.cc).
void HandleStatefulSetRoute(const ApiContext& ctx, const Caller& caller, HttpRequest& req,
                            const std::vector<std::string>& parts, HttpResponder respond);
// GET /api/v1/history: accounting records, as sacct reads them (history_routes.cc).
void HandleHistoryRoute(const ApiContext& ctx, const HttpRequest& req, HttpResponder respond);
void HandleTokenRoute(const ApiContext& ctx, const Caller& caller, HttpRequest& req,
                      const std::vector<std::string>& parts, HttpResponder respond);

// POST /api/v1/nodes/NAME/join, with a join token: issues node NAME its
// credential (token_routes.cc).
void JoinNode(const ApiContext& ctx, const Caller& caller, const std::string& node,
              const HttpRequest& req, HttpResponder respond);

// Helpers shared by the route files.
// Queue access, checked on the I/O thread: the group lookup may be slow
// (NSS, LDAP) and must not stall the state thread. `items`: the jobs are a
// list's (errors name the item, "items[i]").
Status CheckQueueAccess(const ApiContext& ctx, const Caller& caller, std::span<const Job> jobs,
                        bool items);
// POST /api/v1/apply: the objects of one manifest, all or nothing (apply_routes.cc).
void HandleApplyRoute(const ApiContext& ctx, const Caller& caller, HttpRequest& req,
                      HttpResponder respond);
// POST /api/v1/nodes/NODE/logs: a node's log shipper hands over chunks of
// its tasks' logs (log_ship_routes.cc).
void ShipLogs(const ApiContext& ctx, const std::string& node, HttpRequest& req,
              HttpResponder respond);
// GET /api/v1/prometheus/targets: the node monitors, for Prometheus'
// http_sd_configs (scrape_targets_routes.cc).
void PrometheusTargets(const ApiContext& ctx, HttpResponder respond);
// Has the log fetcher read `task`'s output (stream "stdout"|"stderr", from
// byte `offset`) from its node and answer `respond`; Unavailable when the
// node has no log endpoint. On the state thread.
void FetchTaskLog(const ApiContext& ctx, const ClusterState& state, const Task& task,
                  const std::string& stream, int64_t offset, HttpResponder respond);
HttpResponse JsonResponse(int status, const Json& body);
HttpResponse NotFoundResponse(const HttpRequest& req);

}  // namespace drover::droverd
