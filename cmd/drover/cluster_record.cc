#include "cmd/drover/cluster_record.h"

namespace drover::cli {
namespace {

Json ProcessToJson(const ClusterProcess& p) {
  return {{"name", p.name},
          {"pid", p.identity.pid},
          {"exe", p.identity.exe},
          {"startTime", p.identity.start_time},
          {"log", p.log}};
}

Result<ClusterProcess> ProcessFromJson(const Json& j, const std::string& field) {
  try {
    ClusterProcess p;
    p.name = j.at("name").get<std::string>();
    p.identity.pid = j.at("pid").get<pid_t>();
    p.identity.exe = j.at("exe").get<std::string>();
    p.identity.start_time = j.at("startTime").get<uint64_t>();
    p.log = j.value("log", "");
    return p;
  } catch (const Json::exception& e) {
    return Status::Invalid(field, e.what());
  }
}

}  // namespace

Json ToJson(const ClusterRecord& r) {
  Json nodes = Json::array();
  for (const auto& n : r.nodes) nodes.push_back(ProcessToJson(n));
  return {{"stateDir", r.state_dir},
          {"socket", r.socket},
          {"http", r.http},
          {"port", r.port},
          {"droverd", ProcessToJson(r.droverd)},
          {"nodes", std::move(nodes)}};
}

Result<ClusterRecord> ClusterRecordFromJson(const Json& j) {
  if (!j.is_object()) return Status::Invalid("", "cluster.json must hold an object");
  ClusterRecord r;
  try {
    r.state_dir = j.value("stateDir", "");
    r.socket = j.value("socket", "");
    r.http = j.value("http", "");
    r.port = j.value("port", 0);
  } catch (const Json::exception& e) {
    return Status::Invalid("", e.what());
  }
  if (!j.contains("droverd")) return Status::Invalid("droverd", "is required");
  auto d = ProcessFromJson(j["droverd"], "droverd");
  if (!d.ok()) return d.status();
  r.droverd = std::move(*d);
  if (j.contains("nodes")) {
    if (!j["nodes"].is_array()) return Status::Invalid("nodes", "must be a list");
    for (size_t i = 0; i < j["nodes"].size(); ++i) {
      auto n = ProcessFromJson(j["nodes"][i], "nodes[" + std::to_string(i) + "]");
      if (!n.ok()) return n.status();
      r.nodes.push_back(std::move(*n));
    }
  }
  return r;
}

std::vector<ProcessIdentity> StopOrder(const ClusterRecord& record) {
  std::vector<ProcessIdentity> out;
  for (const auto& n : record.nodes) out.push_back(n.identity);
  out.push_back(record.droverd.identity);
  return out;
}

std::string TokenFileText(const std::vector<TokenLine>& lines) {
  std::string out;
  for (const auto& l : lines) {
    out += l.token + " " + l.role + " " + l.user;
    if (l.role != "node") out += " " + std::to_string(l.uid) + " " + std::to_string(l.gid);
    out += "\n";
  }
  return out;
}

StatePaths PathsIn(const std::string& state_dir) {
  StatePaths p;
  p.dir = state_dir;
  p.cluster_json = state_dir + "/cluster.json";
  p.tokens = state_dir + "/tokens";
  p.admin_token = state_dir + "/admin.token";
  p.socket = state_dir + "/droverd.sock";
  p.database = state_dir + "/drover.db";
  p.logs = state_dir + "/logs";
  return p;
}

}  // namespace drover::cli
