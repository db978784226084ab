// The drover-node <-> drover-supervisor wire protocol: newline-delimited JSON
// over a Unix stream socket, one object per line.
//
// Requests (client -> supervisor), each with "op":
//   {"op":"launch","spec":{LaunchSpec}}
//   {"op":"kill","task":"t","grace_ms":5000}  SIGTERM the task's process group,
//                                             SIGKILL it after grace_ms (< 0: the
//                                             spec's kill_grace_ms)
//   {"op":"signal","task":"t","signal":10}    that signal only
//   {"op":"limit","task":"t","time_limit_s":600}  the task's time limit is now
//                                             600 s from its start (0 = none);
//                                             one already past ends it at once
//   {"op":"list"}                             -> one "list" reply
//   {"op":"ack","tasks":["t1","t2"]}          forget these exited tasks
//   {"op":"shutdown","kill_tasks":false}      stop the supervisor
// Messages (supervisor -> client), each with "type":
//   {"type":"event","event":{TaskEvent}}      kind "started" or "exited"; a start
//                                             failure is "exited" with "error"
//   {"type":"list","tasks":[{TaskEvent}...]}  each known task's latest event; a
//                                             task still being launched is
//                                             "started" with pid 0
//   {"type":"error","message":"..."}          a request that could not be used
// LaunchSpec and TaskEvent fields keep their C++ names (snake_case).
// Parse functions return InvalidArgument naming the offending field.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "api/status.h"
#include "executors/launch_spec.h"

namespace drover::executors {

nlohmann::json LaunchSpecToJson(const LaunchSpec& spec);
Result<LaunchSpec> LaunchSpecFromJson(const nlohmann::json& j);
nlohmann::json TaskEventToJson(const TaskEvent& event);
Result<TaskEvent> TaskEventFromJson(const nlohmann::json& j);

struct SupervisorRequest {
  enum class Op { kLaunch, kKill, kSignal, kLimit, kList, kAck, kShutdown };
  Op op = Op::kList;
  LaunchSpec spec;                 // kLaunch
  std::string task;                // kKill, kSignal, kLimit
  int64_t time_limit_s = 0;        // kLimit: >= 0
  int64_t grace_ms = -1;           // kKill
  int32_t signal = 0;              // kSignal: 1-64
  std::vector<std::string> tasks;  // kAck
  bool kill_tasks = false;         // kShutdown
};

// One line, newline included.
std::string EncodeRequest(const SupervisorRequest& request);
Result<SupervisorRequest> ParseRequest(std::string_view line);

struct SupervisorMessage {
  enum class Type { kEvent, kList, kError };
  Type type = Type::kEvent;
  TaskEvent event;               // kEvent
  std::vector<TaskEvent> tasks;  // kList
  std::string error;             // kError
};

// Append one line, newline included.
void AppendEventLine(const TaskEvent& event, std::string* out);
void AppendListLine(const std::vector<TaskEvent>& tasks, std::string* out);
void AppendErrorLine(std::string_view message, std::string* out);
Result<SupervisorMessage> ParseMessage(std::string_view line);

}  // namespace drover::executors
