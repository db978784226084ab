// HistoryReader: sacct's reads of the job_history table, on a store
// connection and a thread of their own, so a query over a year of history
// holds up neither the state thread nor the I/O threads. It sees what the
// state thread's commits made durable (SQLite WAL readers and PostgreSQL
// sessions both read committed data).
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "api/history.h"
#include "daemons/droverd/serial_worker.h"
#include "db/store.h"

namespace drover::droverd {

class HistoryReader {
 public:
  using Done = std::function<void(Result<std::vector<HistoryRecord>>)>;

  // `store`: a connection of its own (not the state thread's).
  explicit HistoryReader(std::unique_ptr<db::Store> store) : store_(std::move(store)) {}

  // Thread-safe. Runs `query` on the reader's thread and calls `done` there.
  void Query(HistoryQuery query, Done done) {
    worker_.Post([this, query = std::move(query), done = std::move(done)] {
      done(store_->QueryHistory(query));
    });
  }

 private:
  std::unique_ptr<db::Store> store_;
  SerialWorker worker_;  // last: it stops (finishing its queries) before the store closes
};

}  // namespace drover::droverd
