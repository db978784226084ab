// LogFetcher: fetches task logs from node agents on a fixed set of threads,
// so neither the state thread nor the HTTP I/O threads wait on a node, and a
// burst of `drover logs -f` costs a queue entry each, not a thread each.
// Thread-safe. Fetches still queued when it is destroyed are answered 503.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "api/http_types.h"

namespace drover::droverd {

class LogStore;

// At most this much of a stored log per answer; clients page with offset.
inline constexpr size_t kMaxLogChunkServed = 4 << 20;

// What the node agent does not answer, the log store does (when it holds the
// task's log): a node that is gone, or has forgotten the task.
struct LogFetch {
  std::string address;  // host:port of the node agent; "" = ask the log store only
  std::string target;   // "/logs/TASK?stream=...&offset=..."
  std::string token;    // the node's credential
  std::string phase;    // the task's phase, passed on to followers
  std::string task;     // for the log store
  int64_t offset = 0;
  HttpResponder respond;
};

class LogFetcher {
 public:
  explicit LogFetcher(const LogStore* store = nullptr, int threads = 4, size_t max_queued = 256);
  ~LogFetcher();
  LogFetcher(const LogFetcher&) = delete;
  LogFetcher& operator=(const LogFetcher&) = delete;

  // Queues the fetch; answers 503 at once when max_queued fetches wait already.
  void Fetch(LogFetch fetch);

 private:
  void Run();
  // The log store's answer to `f`, if it holds the task's log.
  std::optional<HttpResponse> FromStore(const LogFetch& f) const;

  const LogStore* store_;
  size_t max_queued_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<LogFetch> queue_;  // guarded by mu_
  bool stopping_ = false;       // guarded by mu_
  std::vector<std::thread> threads_;
};

}  // namespace drover::droverd
