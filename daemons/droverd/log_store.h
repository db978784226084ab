// LogStore: droverd's own copy of task output, shipped from the nodes by the
// built-in log shipper, so `drover logs` works after a task's node is gone.
// One append-only file per task (STATE/task-logs/TASK.out: the node's default log,
// stderr joined to stdout, as the node writes it).
//
// Shipping is idempotent by offset: a chunk says where in the task's log it
// starts, the store keeps only the bytes it does not have yet and answers
// with the size it has, so a shipper that resends after a restart or a lost
// answer never makes a line appear twice, and one that skipped ahead is told
// where to resume. Writes run on the store's one writer thread, queued up to
// a byte budget (back-pressure: a full queue is refused, the shipper waits
// and retries, the node's file is the buffer). Old logs are swept by age and
// by total size. Thread-safe.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "api/clock.h"
#include "api/log_chunks.h"
#include "api/status.h"

namespace drover::droverd {

struct LogAck {
  std::string task;
  int64_t size = 0;   // bytes of the task's log the store holds now
  std::string error;  // why the chunk was not taken ("" = taken or already held)
};

struct LogStoreOptions {
  std::string dir;
  int64_t retention_s = 7 * 86400;  // logs untouched this long are removed; 0 = kept
  int64_t max_bytes = 0;            // all logs together; oldest go first; 0 = no limit
  size_t max_queued_bytes = 64 << 20;
  int64_t sweep_interval_ms = 60'000;
  const Clock* clock = nullptr;  // for retention; null = the system clock
};

class LogStore {
 public:
  // Creates `options.dir` (mode 0700) if needed. Errors name the directory.
  static Result<std::unique_ptr<LogStore>> Open(LogStoreOptions options);
  ~LogStore();
  LogStore(const LogStore&) = delete;
  LogStore& operator=(const LogStore&) = delete;

  // Queues the chunks for the writer thread; `done` gets one ack per chunk,
  // in order, on that thread. False (and `done` not called) when the queue
  // is full or the store is stopping.
  bool Submit(std::vector<LogChunk> chunks, std::function<void(std::vector<LogAck>)> done);

  // Appends now, on the caller's thread (tests; Submit's writer).
  std::vector<LogAck> Append(const std::vector<LogChunk>& chunks);

  // Up to `max_bytes` of `task`'s log from `offset`. NotFound when the store
  // has no log of that task.
  Result<std::string> Read(const std::string& task, int64_t offset, size_t max_bytes) const;
  std::optional<int64_t> Size(const std::string& task) const;

  // Removes logs past retention, then the oldest until under max_bytes.
  void Sweep();

  // Whether `task` can name a log file here.
  static bool IsValidTaskName(const std::string& task);

 private:
  explicit LogStore(LogStoreOptions options);
  void Run();
  std::string PathOf(const std::string& task) const;

  LogStoreOptions options_;
  mutable std::mutex mu_;  // the sizes and the queue
  std::condition_variable cv_;
  struct Pending {
    std::vector<LogChunk> chunks;
    std::function<void(std::vector<LogAck>)> done;
    size_t bytes = 0;
  };
  std::deque<Pending> queue_;  // guarded by mu_
  size_t queued_bytes_ = 0;    // guarded by mu_
  bool stopping_ = false;      // guarded by mu_
  std::thread writer_;
};

}  // namespace drover::droverd
