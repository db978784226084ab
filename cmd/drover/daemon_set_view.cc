#include "cmd/drover/daemon_set_view.h"

#include <sstream>

#include "api/daemon_set_json.h"
#include "api/deployment_json.h"
#include "api/json_codec.h"
#include "api/url_encoding.h"
#include "cmd/drover/deployment_requests.h"
#include "cmd/drover/deployment_view.h"
#include "cmd/drover/text_format.h"

namespace drover::cli {
namespace {

std::string SelectorText(const Labels& selector) {
  if (selector.empty()) return "<none>";
  std::string out;
  for (const auto& [k, v] : selector) out += (out.empty() ? "" : ",") + k + "=" + v;
  return out;
}

}  // namespace

std::string DaemonSetPath(const std::string& name) {
  return "/api/v1/daemonsets/" + PercentEncode(name);
}

Result<DaemonSet> FetchDaemonSet(ApiSession& session, const std::string& name) {
  auto json = session.GetJson(DaemonSetPath(name));
  if (!json.ok()) return json.status();
  auto ds = DaemonSetFromJson(*json);
  if (!ds.ok()) {
    return Status::Internal("droverd sent a malformed daemonset: " + ds.status().ToString());
  }
  return ds;
}

Result<std::vector<DaemonSet>> FetchDaemonSets(ApiSession& session) {
  return DecodeItems<DaemonSet>(session.GetJson("/api/v1/daemonsets"), "daemonset",
                                [](const Json& j) { return DaemonSetFromJson(j); });
}

Result<std::vector<Task>> FetchDaemonSetTasks(ApiSession& session, const std::string& name) {
  return DecodeItems<Task>(session.GetJson(DaemonSetPath(name) + "/tasks"), "task",
                           [](const Json& j) { return TaskFromJson(j); });
}

Result<std::vector<Revision>> FetchDaemonSetRevisions(ApiSession& session,
                                                      const std::string& name) {
  return DecodeItems<Revision>(session.GetJson(DaemonSetPath(name) + "/revisions"), "revision",
                               [](const Json& j) { return RevisionFromJson(j); });
}

Table DaemonSetsTable(const std::vector<DaemonSet>& daemon_sets, int64_t now_ms, bool wide) {
  std::vector<std::string> headers = {"NAME",       "DESIRED",   "CURRENT",       "READY",
                                      "UP-TO-DATE", "AVAILABLE", "NODE SELECTOR", "AGE"};
  if (wide) headers.insert(headers.end(), {"REVISION", "STRATEGY", "COMMAND"});
  Table table(headers);
  for (const DaemonSet& ds : daemon_sets) {
    const DaemonSetStatus& st = ds.status;
    std::vector<std::string> row = {ds.metadata.name,
                                    std::to_string(st.desired_number_scheduled),
                                    std::to_string(st.current_number_scheduled),
                                    std::to_string(st.number_ready),
                                    std::to_string(st.updated_number_scheduled),
                                    std::to_string(st.number_available),
                                    SelectorText(ds.spec.node_selector),
                                    Age(ds.metadata.creation_time_ms, now_ms)};
    if (wide) {
      row.push_back(std::to_string(st.revision));
      row.push_back(ds.spec.update_strategy.type == DaemonSetUpdateType::kOnDelete
                        ? "OnDelete"
                        : "RollingUpdate");
      row.push_back(CommandLine(ds.spec.template_.task));
    }
    table.AddRow(std::move(row));
  }
  return table;
}

std::string DescribeDaemonSet(const DaemonSet& ds, const std::vector<Task>& tasks,
                              const std::vector<Revision>& revisions, int64_t now_ms) {
  std::ostringstream out;
  const DaemonSetSpec& s = ds.spec;
  const DaemonSetStatus& st = ds.status;
  out << "Name:                 " << ds.metadata.name << "\n"
      << "Owner:                " << ds.owner.user << "\n"
      << "Created:              " << FormatLocalTime(ds.metadata.creation_time_ms) << "\n"
      << "Generation:           " << ds.generation << " (observed " << st.observed_generation
      << ")\n"
      << "Node selector:        " << SelectorText(s.node_selector) << "\n"
      << "Nodes:                " << st.desired_number_scheduled << " desired | "
      << st.current_number_scheduled << " current | " << st.updated_number_scheduled
      << " updated | " << st.number_ready << " ready | " << st.number_available << " available | "
      << st.number_misscheduled << " misscheduled\n";
  if (s.update_strategy.type == DaemonSetUpdateType::kOnDelete) {
    out << "Update strategy:      OnDelete\n";
  } else {
    out << "Update strategy:      RollingUpdate (maxUnavailable "
        << s.update_strategy.max_unavailable.ToString() << ", maxSurge "
        << s.update_strategy.max_surge.ToString() << ")\n";
  }
  out << "MinReadySeconds:      " << s.min_ready_seconds << "\n"
      << "Command:              " << CommandLine(s.template_.task) << "\n"
      << "Resources:            " << s.template_.task.resources.cpus << " cpus";
  if (s.template_.task.resources.memory_bytes > 0) {
    out << ", " << FormatBytes(s.template_.task.resources.memory_bytes);
  }
  out << " per node\n";
  out << "Revisions:\n";
  Table revs({"  REVISION", "HASH", "CREATED", "CURRENT"});
  for (const Revision& r : revisions) {
    revs.AddRow({"  " + std::to_string(r.number), r.hash, Age(r.creation_time_ms, now_ms) + " ago",
                 r.number == st.revision ? "*" : ""});
  }
  out << revs.Render();
  out << "Tasks:\n";
  std::istringstream lines(ReplicasTable(tasks, now_ms, true).Render());
  for (std::string line; std::getline(lines, line);) out << "  " << line << "\n";
  return out.str();
}

std::string DaemonSetRolloutLine(const DaemonSet& ds, bool* done) {
  *done = false;
  const std::string name = "daemon set \"" + ds.metadata.name + "\"";
  const DaemonSetStatus& st = ds.status;
  if (st.observed_generation < ds.generation) {
    return "Waiting for " + name + " spec update to be observed...";
  }
  if (st.updated_number_scheduled < st.desired_number_scheduled) {
    return "Waiting for " + name +
           " rollout to finish: " + std::to_string(st.updated_number_scheduled) + " out of " +
           std::to_string(st.desired_number_scheduled) + " new tasks have been updated...";
  }
  if (st.number_available < st.desired_number_scheduled) {
    return "Waiting for " + name + " rollout to finish: " + std::to_string(st.number_available) +
           " of " + std::to_string(st.desired_number_scheduled) + " updated tasks are available...";
  }
  *done = true;
  return name + " successfully rolled out";
}

}  // namespace drover::cli
