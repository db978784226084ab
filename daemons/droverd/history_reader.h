// HistoryReader: sacct's reads of the job_history table, on a store
// connection and a thread of their own, so a query over a year of history
// holds up neither the state thread nor the I/O threads. It sees what the
// state thread's commits made durable (SQLite WAL readers and PostgreSQL
// sessions both read committed data).
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "api/history.h"
#include "db/store.h"

namespace drover::droverd {

class HistoryReader {
 public:
  using Done = std::function<void(Result<std::vector<HistoryRecord>>)>;

  // `store`: a connection of its own (not the state thread's).
  explicit HistoryReader(std::unique_ptr<db::Store> store);
  ~HistoryReader();  // finishes the queries queued, then joins
  HistoryReader(const HistoryReader&) = delete;
  HistoryReader& operator=(const HistoryReader&) = delete;

  // Thread-safe. Runs `query` on the reader's thread and calls `done` there.
  void Query(HistoryQuery query, Done done);

 private:
  void Run();

  std::unique_ptr<db::Store> store_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::pair<HistoryQuery, Done>> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace drover::droverd
