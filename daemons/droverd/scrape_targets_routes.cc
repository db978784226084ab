// GET /api/v1/prometheus/targets: every running built-in node monitor as a
// Prometheus HTTP service discovery list (http_sd_configs), so Prometheus
// follows nodes joining and leaving without a hand-kept targets file.
#include "api/http_client.h"
#include "daemons/droverd/api_routes.h"
#include "daemons/droverd/builtin_daemons.h"

namespace drover::droverd {

void PrometheusTargets(const ApiContext& ctx, HttpResponder respond) {
  ctx.loop->PostRead([respond](const ClusterState& state) {
    Json groups = Json::array();
    for (const auto& [name, ds] : state.daemon_sets().all()) {
      if (BuiltinOf(ds) != kBuiltinNodeMonitor) continue;
      for (const Task* t : state.TasksOfDaemonSet(name)) {
        if (t->status.phase != TaskPhase::kRunning || t->spec.ports.empty()) continue;
        auto node = state.nodes().find(t->spec.node);
        if (node == state.nodes().end()) continue;
        // The monitor serves on its node's host (DROVER_NODE_HOST).
        const std::string& address = node->second.status.address;
        const std::string host = address.substr(0, address.rfind(':'));
        if (host.empty()) continue;
        groups.push_back({{"targets", {host + ":" + std::to_string(t->spec.ports.front().second)}},
                          {"labels", {{"node", t->spec.node}, {"drover_task", t->metadata.name}}}});
      }
    }
    respond(JsonResponse(200, groups));
  });
}

}  // namespace drover::droverd
