#include "cmd/drover/deployment_view.h"

#include <sstream>

#include "cmd/drover/text_format.h"

namespace drover::cli {

std::string Age(int64_t since_ms, int64_t now_ms) {
  if (since_ms <= 0) return "-";
  return FormatElapsed(std::max<int64_t>(0, (now_ms - since_ms) / 1000));
}

std::string CommandLine(const TaskTemplate& t) {
  std::string out;
  for (const std::string& a : t.command) out += (out.empty() ? "" : " ") + a;
  for (const std::string& a : t.args) out += " " + a;
  return out.size() > 60 ? out.substr(0, 57) + "..." : out;
}

namespace {

const Condition* FindCondition(const Deployment& d, const std::string& type) {
  for (const Condition& c : d.status.conditions) {
    if (c.type == type) return &c;
  }
  return nullptr;
}

std::string TaskStatusCell(const Task& t) {
  std::string phase(TaskPhaseName(t.status.phase));
  if (!IsTerminal(t.status.phase)) return phase;
  if (t.status.signal != 0) return phase + " (signal " + std::to_string(t.status.signal) + ")";
  if (t.status.exit_code >= 0) return phase + " (exit " + std::to_string(t.status.exit_code) + ")";
  return phase;
}

}  // namespace

std::string KindOfWord(std::string_view word) {
  if (word == "deployments" || word == "deployment" || word == "deploy") return "deployment";
  if (word == "daemonsets" || word == "daemonset" || word == "ds") return "daemonset";
  if (word == "statefulsets" || word == "statefulset" || word == "sts") return "statefulset";
  if (word == "tasks" || word == "task") return "task";
  if (word == "jobs" || word == "job") return "job";
  if (word == "nodes" || word == "node" || word == "no") return "node";
  if (word == "endpoints" || word == "ep") return "endpoints";
  return "";
}

std::pair<std::string, std::string> SplitKindName(std::string_view word) {
  const size_t slash = word.find('/');
  if (slash != std::string_view::npos) {
    std::string kind = KindOfWord(word.substr(0, slash));
    if (!kind.empty()) return {std::move(kind), std::string(word.substr(slash + 1))};
  }
  return {"", std::string(word)};
}

Result<std::string> ParseDeploymentRef(std::string_view text) {
  const size_t slash = text.find('/');
  if (slash == std::string_view::npos || KindOfWord(text.substr(0, slash)) != "deployment" ||
      slash + 1 == text.size()) {
    return Status::Invalid(
        "", "\"" + std::string(text) + "\" is not deployment/NAME (deploy/NAME also works)");
  }
  return std::string(text.substr(slash + 1));
}

Table DeploymentsTable(const std::vector<Deployment>& deployments, int64_t now_ms, bool wide) {
  std::vector<std::string> headers = {"NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"};
  if (wide) headers.insert(headers.end(), {"REVISION", "STRATEGY", "COMMAND"});
  Table table(headers);
  for (const Deployment& d : deployments) {
    std::vector<std::string> row = {
        d.metadata.name,
        std::to_string(d.status.ready_replicas) + "/" + std::to_string(d.spec.replicas),
        std::to_string(d.status.updated_replicas), std::to_string(d.status.available_replicas),
        Age(d.metadata.creation_time_ms, now_ms)};
    if (wide) {
      row.push_back(std::to_string(d.status.revision));
      row.push_back(d.spec.strategy.type == DeploymentStrategyType::kRecreate ? "Recreate"
                                                                              : "RollingUpdate");
      row.push_back(CommandLine(d.spec.template_.task));
    }
    table.AddRow(std::move(row));
  }
  return table;
}

Table ReplicasTable(const std::vector<Task>& tasks, int64_t now_ms, bool wide) {
  std::vector<std::string> headers = {"NAME", "STATUS", "READY", "NODE", "PORTS", "AGE"};
  if (wide) headers.push_back("REVISION");
  Table table(headers);
  for (const Task& t : tasks) {
    std::string ports;
    for (const auto& [name, port] : t.spec.ports) {
      ports += (ports.empty() ? "" : ",") + name + ":" + std::to_string(port);
    }
    std::vector<std::string> row = {
        t.metadata.name, TaskStatusCell(t),           t.status.ready ? "1/1" : "0/1",
        t.spec.node,     ports.empty() ? "-" : ports, Age(t.metadata.creation_time_ms, now_ms)};
    if (wide) row.push_back(t.spec.revision);
    table.AddRow(std::move(row));
  }
  return table;
}

std::string DescribeDeployment(const Deployment& d, const std::vector<Task>& tasks,
                               const std::vector<Revision>& revisions, int64_t now_ms) {
  std::ostringstream out;
  const DeploymentSpec& s = d.spec;
  const DeploymentStatus& st = d.status;
  out << "Name:                 " << d.metadata.name << "\n"
      << "Owner:                " << d.owner.user << "\n"
      << "Created:              " << FormatLocalTime(d.metadata.creation_time_ms) << "\n"
      << "Generation:           " << d.generation << " (observed " << st.observed_generation
      << ")\n"
      << "Replicas:             " << s.replicas << " desired | " << st.updated_replicas
      << " updated | " << st.replicas << " total | " << st.available_replicas << " available | "
      << st.unavailable_replicas << " unavailable\n";
  if (s.strategy.type == DeploymentStrategyType::kRecreate) {
    out << "Strategy:             Recreate\n";
  } else {
    out << "Strategy:             RollingUpdate (maxSurge " << s.strategy.max_surge.ToString()
        << ", maxUnavailable " << s.strategy.max_unavailable.ToString() << ")\n";
  }
  out << "MinReadySeconds:      " << s.min_ready_seconds << "\n"
      << "ProgressDeadline:     " << s.progress_deadline_seconds << " s"
      << (s.auto_rollback ? " (autoRollback)" : "") << "\n";
  if (s.paused) out << "Paused:               true\n";
  out << "Command:              " << CommandLine(s.template_.task) << "\n";
  if (!s.template_.ports.empty()) {
    out << "Ports:               ";
    for (const PortSpec& p : s.template_.ports) out << " " << p.name;
    out << "\n";
  }
  out << "Resources:            " << s.template_.task.resources.cpus << " cpus";
  if (s.template_.task.resources.memory_bytes > 0) {
    out << ", " << FormatBytes(s.template_.task.resources.memory_bytes);
  }
  out << " per replica\n";
  if (st.crash_count > 0) {
    out << "Restarts:             " << st.restart_count << " (" << st.crash_count
        << " crashes in a row";
    if (st.next_restart_ms > now_ms) out << ", next start " << FormatLocalTime(st.next_restart_ms);
    out << ")\n";
  }
  out << "Conditions:\n";
  Table conditions({"  TYPE", "STATUS", "REASON", "MESSAGE"});
  for (const Condition& c : st.conditions) {
    conditions.AddRow({"  " + c.type, c.status, c.reason, c.message});
  }
  out << conditions.Render();
  out << "Revisions:\n";
  Table revs({"  REVISION", "HASH", "CREATED", "CURRENT"});
  for (const Revision& r : revisions) {
    revs.AddRow({"  " + std::to_string(r.number), r.hash, Age(r.creation_time_ms, now_ms) + " ago",
                 r.number == st.revision ? "*" : ""});
  }
  out << revs.Render();
  out << "Tasks:\n";
  std::string replicas = ReplicasTable(tasks, now_ms, true).Render();
  std::istringstream lines(replicas);
  for (std::string line; std::getline(lines, line);) out << "  " << line << "\n";
  return out.str();
}

Table EndpointsTable(const Json& endpoints) {
  Table table({"TASK", "NODE", "ADDRESS", "READY", "TERMINATING"});
  if (!endpoints.contains("endpoints") || !endpoints["endpoints"].is_array()) return table;
  for (const Json& e : endpoints["endpoints"]) {
    std::string address = e.value("host", "");
    if (e.contains("port")) address += ":" + std::to_string(e.value("port", 0));
    table.AddRow({e.value("task", ""), e.value("node", ""), address,
                  e.value("ready", false) ? "true" : "false",
                  e.value("terminating", false) ? "true" : "false"});
  }
  return table;
}

std::string RolloutStatusLine(const Deployment& d, bool* done, bool* failed) {
  *done = false;
  *failed = false;
  const std::string name = "deployment \"" + d.metadata.name + "\"";
  const DeploymentStatus& st = d.status;
  if (st.observed_generation < d.generation) {
    return "Waiting for " + name + " spec update to be observed...";
  }
  if (const Condition* c = FindCondition(d, "Progressing");
      c != nullptr && c->reason == "ProgressDeadlineExceeded") {
    *failed = true;
    return name + " exceeded its progress deadline: " + c->message;
  }
  const int32_t want = d.spec.replicas;
  if (st.updated_replicas < want) {
    return "Waiting for " + name + " rollout to finish: " + std::to_string(st.updated_replicas) +
           " out of " + std::to_string(want) + " new replicas have been updated...";
  }
  if (st.replicas > st.updated_replicas) {
    return "Waiting for " + name +
           " rollout to finish: " + std::to_string(st.replicas - st.updated_replicas) +
           " old replicas are pending termination...";
  }
  if (st.available_replicas < st.updated_replicas) {
    return "Waiting for " + name + " rollout to finish: " + std::to_string(st.available_replicas) +
           " of " + std::to_string(st.updated_replicas) + " updated replicas are available...";
  }
  *done = true;
  return name + " successfully rolled out";
}

}  // namespace drover::cli
