#include "cmd/drover/stateful_set_view.h"

#include <sstream>

#include "api/deployment_json.h"
#include "api/json_codec.h"
#include "api/stateful_set_json.h"
#include "api/url_encoding.h"
#include "cmd/drover/deployment_requests.h"
#include "cmd/drover/deployment_view.h"
#include "cmd/drover/text_format.h"

namespace drover::cli {
namespace {

Result<ShownStatefulSet> Decode(Json j) {
  ShownStatefulSet out;
  if (j.contains("status") && j["status"].is_object() && j["status"].contains("waiting")) {
    for (const auto& [ordinal, why] : j["status"]["waiting"].items()) {
      out.waiting[ordinal] = why.is_string() ? why.get<std::string>() : why.dump();
    }
    j["status"].erase("waiting");
  }
  auto ss = StatefulSetFromJson(j);
  if (!ss.ok()) {
    return Status::Internal("droverd sent a malformed statefulset: " + ss.status().ToString());
  }
  out.object = std::move(*ss);
  return out;
}

}  // namespace

std::string StatefulSetPath(const std::string& name) {
  return "/api/v1/statefulsets/" + PercentEncode(name);
}

Result<ShownStatefulSet> FetchStatefulSet(ApiSession& session, const std::string& name) {
  auto json = session.GetJson(StatefulSetPath(name));
  if (!json.ok()) return json.status();
  return Decode(std::move(*json));
}

Result<std::vector<ShownStatefulSet>> FetchStatefulSets(ApiSession& session) {
  return DecodeItems<ShownStatefulSet>(session.GetJson("/api/v1/statefulsets"), "statefulset",
                                       [](const Json& j) { return Decode(j); });
}

Result<std::vector<Task>> FetchStatefulSetTasks(ApiSession& session, const std::string& name) {
  return DecodeItems<Task>(session.GetJson(StatefulSetPath(name) + "/tasks"), "task",
                           [](const Json& j) { return TaskFromJson(j); });
}

Result<std::vector<Revision>> FetchStatefulSetRevisions(ApiSession& session,
                                                        const std::string& name) {
  return DecodeItems<Revision>(session.GetJson(StatefulSetPath(name) + "/revisions"), "revision",
                               [](const Json& j) { return RevisionFromJson(j); });
}

Table StatefulSetsTable(const std::vector<ShownStatefulSet>& sets, int64_t now_ms, bool wide) {
  std::vector<std::string> headers = {"NAME", "READY", "AGE"};
  if (wide) headers.insert(headers.end(), {"CURRENT", "UPDATED", "POLICY", "COMMAND"});
  Table table(headers);
  for (const ShownStatefulSet& shown : sets) {
    const StatefulSet& ss = shown.object;
    std::vector<std::string> row = {
        ss.metadata.name + (ss.deletion_time_ms > 0 ? " (Terminating)" : ""),
        std::to_string(ss.status.ready_replicas) + "/" + std::to_string(ss.spec.replicas),
        Age(ss.metadata.creation_time_ms, now_ms)};
    if (wide) {
      row.push_back(std::to_string(ss.status.current_replicas));
      row.push_back(std::to_string(ss.status.updated_replicas));
      row.push_back(ss.spec.pod_management_policy == PodManagementPolicy::kParallel
                        ? "Parallel"
                        : "OrderedReady");
      row.push_back(CommandLine(ss.spec.template_.task));
    }
    table.AddRow(std::move(row));
  }
  return table;
}

std::string DescribeStatefulSet(const ShownStatefulSet& shown, const std::vector<Task>& tasks,
                                const std::vector<Revision>& revisions, int64_t now_ms) {
  const StatefulSet& ss = shown.object;
  std::ostringstream out;
  const StatefulSetSpec& s = ss.spec;
  const StatefulSetStatus& st = ss.status;
  out << "Name:                 " << ss.metadata.name << "\n"
      << "Owner:                " << ss.owner.user << "\n"
      << "Created:              " << FormatLocalTime(ss.metadata.creation_time_ms) << "\n";
  if (ss.deletion_time_ms > 0) {
    out << "Terminating since:    " << FormatLocalTime(ss.deletion_time_ms)
        << " (gone once its tasks stopped and its directories are removed)\n";
  }
  out << "Generation:           " << ss.generation << " (observed " << st.observed_generation
      << ")\n"
      << "Replicas:             " << s.replicas << " desired | " << st.replicas << " total | "
      << st.ready_replicas << " ready | " << st.available_replicas << " available | "
      << st.updated_replicas << " updated\n"
      << "Pod management:       "
      << (s.pod_management_policy == PodManagementPolicy::kParallel ? "Parallel" : "OrderedReady")
      << "\n";
  if (s.update_strategy.type == StatefulSetUpdateType::kOnDelete) {
    out << "Update strategy:      OnDelete\n";
  } else {
    out << "Update strategy:      RollingUpdate (partition " << s.update_strategy.partition
        << ", maxUnavailable " << s.update_strategy.max_unavailable.ToString() << ")\n";
  }
  out << "Command:              " << CommandLine(s.template_.task) << "\n";
  for (const VolumeTemplate& v : s.volume_templates) {
    out << "Volume:               " << v.name << " ("
        << (v.kind == VolumeTemplate::Kind::kShared ? "Shared under " + v.path
                                                    : std::string("NodeLocal"))
        << ", $" << VolumeEnvName(v.name) << ")\n";
  }
  auto retention = [](VolumeRetention r) {
    return r == VolumeRetention::kDelete ? "Delete" : "Retain";
  };
  if (!s.volume_templates.empty()) {
    out << "Volume retention:     whenScaled " << retention(s.retention.when_scaled)
        << ", whenDeleted " << retention(s.retention.when_deleted) << "\n";
  }
  for (const auto& [ordinal, node] : st.volume_nodes) {
    out << "  " << ss.metadata.name << "-" << ordinal << " keeps its data on " << node << "\n";
  }
  for (const auto& [ordinal, why] : shown.waiting) {
    out << "Waiting:              " << ss.metadata.name << "-" << ordinal << ": " << why << "\n";
  }
  out << "Revisions:            current " << st.current_revision << ", update "
      << st.update_revision << "\n";
  Table revs({"  REVISION", "HASH", "CREATED"});
  for (const Revision& r : revisions) {
    revs.AddRow(
        {"  " + std::to_string(r.number), r.hash, Age(r.creation_time_ms, now_ms) + " ago"});
  }
  out << revs.Render();
  out << "Tasks:\n";
  std::istringstream lines(ReplicasTable(tasks, now_ms, true).Render());
  for (std::string line; std::getline(lines, line);) out << "  " << line << "\n";
  return out.str();
}

std::string StatefulSetRolloutLine(const StatefulSet& ss, bool* done) {
  *done = false;
  const std::string name = "statefulset \"" + ss.metadata.name + "\"";
  const StatefulSetStatus& st = ss.status;
  if (st.observed_generation < ss.generation) {
    return "Waiting for " + name + " spec update to be observed...";
  }
  if (st.ready_replicas < ss.spec.replicas) {
    return "Waiting for " + std::to_string(ss.spec.replicas - st.ready_replicas) +
           " tasks to be ready...";
  }
  const int32_t partition = ss.spec.update_strategy.type == StatefulSetUpdateType::kRollingUpdate
                                ? ss.spec.update_strategy.partition
                                : 0;
  const int32_t want_updated = ss.spec.replicas - partition;
  if (st.updated_replicas < want_updated) {
    return "Waiting for partitioned roll out to finish: " + std::to_string(st.updated_replicas) +
           " out of " + std::to_string(want_updated) + " new tasks have been updated...";
  }
  *done = true;
  return partition > 0 ? "partitioned roll out complete: " + std::to_string(st.updated_replicas) +
                             " new tasks have been updated..."
                       : name + " rolling update complete " + std::to_string(st.replicas) +
                             " tasks at revision " + st.update_revision + "...";
}

}  // namespace drover::cli
