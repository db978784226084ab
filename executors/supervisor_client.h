// SupervisorClient: drover-node's end of the connection to drover-supervisor
// (protocol in executors/supervisor_protocol.h).
//
// Launch, Kill, Ack and Shutdown only send; what happens arrives later as
// TaskEvents. On every connect the supervisor first replays the state of all
// tasks it knows and the client has not acknowledged (a "started" event for
// each running task, the "exited" event of each exited one), then streams new
// events. Delivery is therefore at-least-once: treat events idempotently and
// Ack() exits once they are durably recorded.
//
// The socket is non-blocking for reads: poll fd() for POLLIN, then call
// ReadEvents(). Sends block until the bytes are in the socket buffer. List()
// blocks for its reply; events read meanwhile are kept for the next
// ReadEvents() (check has_buffered_events() before polling again).
//
// Not thread-safe: one owner thread. Movable, not copyable; closes on destruction.
#pragma once

#include <chrono>
#include <deque>
#include <string>
#include <vector>

#include "api/status.h"
#include "executors/launch_spec.h"
#include "executors/supervisor_protocol.h"

namespace drover::executors {

class SupervisorClient {
 public:
  // Unavailable when nothing listens at `socket_path`.
  static Result<SupervisorClient> Connect(const std::string& socket_path);

  SupervisorClient(SupervisorClient&& other) noexcept;
  SupervisorClient& operator=(SupervisorClient&& other) noexcept;
  SupervisorClient(const SupervisorClient&) = delete;
  SupervisorClient& operator=(const SupervisorClient&) = delete;
  ~SupervisorClient();

  Status Launch(const LaunchSpec& spec);
  Status LaunchBatch(const std::vector<LaunchSpec>& specs);  // one write
  // SIGTERM to the task's process group, SIGKILL after grace_ms (< 0: the
  // spec's kill_grace_ms). Unknown or exited tasks are ignored.
  Status Kill(const std::string& task, int64_t grace_ms = -1);
  // Sends `signal` to every process of the task (its group and its cgroup),
  // and nothing more (scancel --signal). Unknown or exited tasks are ignored.
  Status Signal(const std::string& task, int32_t signal);
  // Sets the task's time limit, counted from its start (0 = none).
  Status SetTimeLimit(const std::string& task, int64_t time_limit_s);
  // Forget exited tasks; running ones are ignored.
  Status Ack(const std::vector<std::string>& tasks);
  // Stops the supervisor; kill_tasks also SIGKILLs every running task's group.
  Status Shutdown(bool kill_tasks = false);
  // Every task the supervisor knows, as its latest event (started = running;
  // started with pid 0 = launch under way, its started or exited event follows).
  Result<std::vector<TaskEvent>> List(std::chrono::milliseconds timeout = std::chrono::seconds(10));

  int fd() const { return fd_; }
  // Drains what has arrived without blocking. Unavailable once the supervisor
  // closed the connection (events read before that are returned first).
  Result<std::vector<TaskEvent>> ReadEvents();
  // Blocks up to `timeout` for at least one event (empty result on timeout).
  Result<std::vector<TaskEvent>> WaitEvents(std::chrono::milliseconds timeout);
  bool has_buffered_events() const { return !pending_.empty(); }
  // Error lines the supervisor sent about unusable requests, oldest first.
  std::vector<std::string> TakeErrors();

 private:
  explicit SupervisorClient(int fd) : fd_(fd) {}
  Status Send(const std::string& bytes);
  // Reads what is available and parses complete lines into pending_/lists_.
  // Returns false when the connection is closed or broken.
  bool Pump();

  int fd_ = -1;
  bool closed_ = false;
  std::string in_;
  std::deque<TaskEvent> pending_;
  std::deque<std::vector<TaskEvent>> lists_;
  std::vector<std::string> errors_;
};

// Makes sure a supervisor answers at `socket_path`: if connecting fails, starts
// `binary_path --socket socket_path --log log_path` detached (double fork and
// setsid: it is not our child and survives us), then waits up to `timeout`
// for the socket to answer. Unavailable (naming the log file) if it does not.
Status EnsureSupervisor(const std::string& binary_path, const std::string& socket_path,
                        const std::string& log_path,
                        std::chrono::milliseconds timeout = std::chrono::seconds(5));

}  // namespace drover::executors
