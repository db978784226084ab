// LogShipper: the built-in log shipper's work (docs/logs.md). It follows
// every task log the node agent writes (STATE/logs/UID/JOB/TASK.out) and
// ships what is new to droverd's log store, in batches of bounded size, one
// request at a time. Progress per file is the checkpoint (offset + inode),
// advanced only by droverd's acknowledgement and saved after each batch, so
// a restart resends at most one batch, which droverd keeps once (shipping is
// idempotent by offset). While droverd cannot be reached nothing is read and
// nothing dropped: the node's files are the buffer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "api/http_client.h"
#include "api/status.h"
#include "daemons/log_shipper/shipping_checkpoint.h"

namespace drover::log_shipper {

struct LogShipperOptions {
  std::string logs_dir;         // the node agent's STATE/logs
  std::string checkpoint_path;  // STATE/log-shipper.checkpoint
  std::string server;           // droverd
  std::string token;            // this task's credential
  std::string ca_file;
  std::string node;  // ships as POST /api/v1/nodes/NODE/logs
  size_t max_batch_bytes = 1 << 20;
};

struct ShipResult {
  size_t bytes = 0;   // shipped and acknowledged
  size_t files = 0;   // files with something new
  bool more = false;  // a batch was full: more waits
};

class LogShipper {
 public:
  // Errors: the checkpoint cannot be read.
  static Result<std::unique_ptr<LogShipper>> Create(LogShipperOptions options);

  // Ships one batch of what is new. Errors: Unavailable while droverd cannot
  // be reached or is busy (retry later: nothing was lost), others as
  // droverd answered.
  Result<ShipResult> ShipOnce();

  const ShippingCheckpoint& checkpoint() const { return checkpoint_; }

 private:
  LogShipper(LogShipperOptions options, ShippingCheckpoint checkpoint);

  LogShipperOptions options_;
  ShippingCheckpoint checkpoint_;
  HttpClient client_;
  size_t start_ = 0;  // which file goes first, turn by turn, so none starves
};

}  // namespace drover::log_shipper
