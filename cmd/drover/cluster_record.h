// What `drover up` writes into its state directory so `drover down` (and a
// second `drover up`) know what runs: STATE/cluster.json, and droverd's token
// file. Pure: serialization only.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "api/json_codec.h"
#include "api/status.h"
#include "cmd/drover/process_control.h"

namespace drover::cli {

struct ClusterProcess {
  std::string name;  // "droverd", "node-1", ...
  ProcessIdentity identity;
  std::string log;
};

struct ClusterRecord {
  std::string state_dir;
  std::string socket;  // "unix:STATE/droverd.sock"
  std::string http;    // "http://127.0.0.1:PORT"
  int port = 0;
  ClusterProcess droverd;
  std::vector<ClusterProcess> nodes;
};

Json ToJson(const ClusterRecord& record);
Result<ClusterRecord> ClusterRecordFromJson(const Json& json);

// The processes in the order `down` stops them: nodes first (so they can
// still report their tasks' ends), droverd last.
std::vector<ProcessIdentity> StopOrder(const ClusterRecord& record);

// droverd's --token-file: "TOKEN admin|user USER UID GID" or "TOKEN node NODE"
// per line (daemons/droverd/identity.h); for node lines `user` is the node.
struct TokenLine {
  std::string token;  // the secret, or "sha256:HEX"
  std::string role;   // admin | user | node
  std::string user;
  uint32_t uid = 0;
  uint32_t gid = 0;
};
std::string TokenFileText(const std::vector<TokenLine>& lines);

// The paths inside a state directory.
struct StatePaths {
  std::string dir;
  std::string cluster_json;
  std::string tokens;
  std::string admin_token;  // the admin secret, for `DROVER_TOKEN=$(cat ...)` over TCP
  std::string socket;
  std::string database;
  std::string logs;
  std::string NodeDir(const std::string& node) const { return dir + "/nodes/" + node; }
  // Node `node`'s own credential.
  std::string NodeToken(const std::string& node) const { return NodeDir(node) + "/node.token"; }
  std::string Log(const std::string& name) const { return logs + "/" + name + ".log"; }
};
StatePaths PathsIn(const std::string& state_dir);

}  // namespace drover::cli
