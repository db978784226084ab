// NodeChannel: the ordered stream of instructions (launch, kill, a new time limit, remove a
// StatefulSet ordinal's directories, an MPI step's gathered fence) droverd sends one node, and the
// node's pending long-poll.
//
// Instructions get increasing sequence numbers; a node asks for everything
// after the last one it has handled, so a lost response is simply asked for
// again. The epoch names this droverd incarnation: after a restart the node
// sees a new epoch and starts from 0, and droverd rebuilds the stream from its
// durable state (tasks still Assigned are launched again; nodes ignore a
// launch of a task they already run). Owned by the state thread.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "api/http_types.h"
#include "api/json_codec.h"

namespace drover::droverd {

class NodeChannel {
 public:
  // `batch` is the state loop's batch the instruction belongs to: it is not
  // sent before that batch is durable (see Flush).
  void AppendLaunch(Json launch, uint64_t batch);
  void AppendKill(const std::string& task, int64_t grace_ms, uint64_t batch);
  // A signal and nothing more (scancel --signal), sent with the kills.
  void AppendSignal(const std::string& task, int32_t signal, uint64_t batch);
  // A running task's time limit changed (scontrol update TimeLimit=): the
  // node's supervisor counts the new one from the task's start.
  void AppendTimeLimit(const std::string& task, int64_t time_limit_s, uint64_t batch);
  // {"id", "volumes": [{"name", "dir", "root"?}]}: the node removes them and
  // reports the id back (Agent: volumesRemoved).
  void AppendRemoveVolumes(Json removal, uint64_t batch);
  // {"jobId", "stepId", "sequence", "data"}: an MPI step's fence, gathered
  // from every node of the step (StepFences); the node's PMIx server
  // releases its ranks with it.
  void AppendFence(Json fence, uint64_t batch);

  // Registers a long-poll. It is answered by Flush() once instructions after
  // `after` exist, or when `deadline_ms` passes (with none).
  void Wait(int64_t after, int64_t deadline_ms, HttpResponder responder);

  // Answers the waiting poll if it can be answered at now_ms, with the
  // instructions of batches up to `durable_batch` (committed to the store).
  void Flush(const std::string& epoch, int64_t now_ms, uint64_t durable_batch);
  // Whether an instruction of `batch` was appended.
  bool AppendedIn(uint64_t batch) const {
    return !entries_.empty() && entries_.back().batch == batch;
  }

  // Drops instructions the node has confirmed (everything <= after).
  void Acknowledge(int64_t after);

  // Forgets every instruction (before a rebuild); the sequence keeps counting.
  void Reset();

  int64_t last_seq() const { return next_seq_ - 1; }
  size_t backlog() const { return entries_.size(); }

 private:
  enum class Kind { kLaunch, kKill, kTimeLimit, kRemoveVolumes, kFence };
  struct Entry {
    int64_t seq;
    uint64_t batch;
    Kind kind;
    Json body;
  };
  struct Waiter {
    int64_t after;
    int64_t deadline_ms;
    HttpResponder responder;
  };
  std::deque<Entry> entries_;
  int64_t next_seq_ = 1;
  std::vector<Waiter> waiters_;
};

}  // namespace drover::droverd
