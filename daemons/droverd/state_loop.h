// StateLoop: the one thread that owns ClusterState (DESIGN.md principle 3).
//
// I/O threads Post() commands; the loop takes every command queued so far,
// applies them in order, runs a scheduling pass when something changed, and
// hands all resulting mutations to the committer thread as ONE store
// transaction (group commit). Replies, and node instructions, of a batch are
// released only after that batch is committed: nothing is acknowledged before
// it is durable. While batch N commits, the loop already applies batch N+1
// (at most two batches wait for the store), so the store's fsync latency is
// not added to the state thread's work. Reads (PostRead) do not wait for a
// turn to end: the state thread answers them between the steps of a turn
// (after its commands, after the pass, while it waits for the store), so a
// GET is not held up by a long pass plus a commit. A store that cannot be
// reached is waited for (the batch is retried, nothing acknowledged). If the
// store refuses a commit, in-memory state is ahead of the store, so droverd
// exits (70) rather than serve it; a restart reloads the durable state and
// nothing acknowledged is lost. A commit fenced off because another droverd
// took the leader term (db/leader_term.h) exits 75.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "api/clock.h"
#include "daemons/droverd/cluster_state.h"
#include "daemons/droverd/metrics.h"
#include "db/store.h"

namespace drover::droverd {

class MailSender;

struct StateLoopOptions {
  int64_t tick_ms = 100;  // node liveness, long-poll timeouts
  int64_t heartbeat_timeout_ms = 30'000;
  const Clock* clock = nullptr;  // the time of each batch; null = the system clock
  MailSender* mail = nullptr;    // sends job mail once its batch is durable; null = none
};

// What a command sees: the state, the time of this batch, and a way to reply
// once the batch is durable.
class CommandContext {
 public:
  CommandContext(ClusterState& state, int64_t now_ms) : state(state), now_ms(now_ms) {}
  ClusterState& state;
  const int64_t now_ms;
  void AfterCommit(std::function<void()> fn) { after_commit_.push_back(std::move(fn)); }
  // Adds a store mutation of an object ClusterState does not own (a token)
  // to this batch; it is durable when the AfterCommit functions run.
  void Write(db::Mutation mutation) { writes_.push_back(std::move(mutation)); }

 private:
  friend class StateLoop;
  std::vector<std::function<void()>> after_commit_;
  std::vector<db::Mutation> writes_;
};

class StateLoop {
 public:
  using Command = std::function<void(CommandContext&)>;
  // A read of the state; it answers from memory, at once (not after a commit).
  using Read = std::function<void(const ClusterState&)>;

  StateLoop(ClusterState& state, db::Store& store, Metrics& metrics, StateLoopOptions options);
  ~StateLoop();

  // Thread-safe. Commands run in the order posted.
  void Post(Command command);
  // Thread-safe. A read sees the state between two steps of a turn, never in
  // the middle of one, and reads run in the order posted. It sees every
  // change already acknowledged (a command is applied before its reply), and
  // possibly changes not yet durable, as reads from memory always could.
  void PostRead(Read read);
  void Start();
  void Stop();

  // Thread-safe. While the store cannot take a commit, why (its error);
  // nullopt while it can. The API refuses changes meanwhile (503) instead of
  // holding them until the client gives up.
  std::optional<std::string> StoreTrouble() const;

 private:
  // A batch on its way to the store, with the replies that wait for it.
  struct PendingCommit {
    uint64_t batch = 0;
    std::vector<db::Mutation> mutations;
    std::vector<std::function<void()>> replies;
  };

  void Run();
  // State thread: answers every read queued so far.
  void ServeReads();
  // State thread: waits until the commit pipeline has room, answering reads meanwhile.
  void WaitForCommitRoom();
  void RunBatch(std::vector<Command>& commands);
  void Commit(PendingCommit& pending);
  void CommitLoop();

  ClusterState& state_;
  db::Store& store_;
  Metrics& metrics_;
  StateLoopOptions options_;
  const Clock& clock_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Command> queue_;              // guarded by mu_
  std::vector<Read> reads_;                 // guarded by mu_
  std::atomic<bool> reads_pending_{false};  // reads_ is not empty
  bool stopping_ = false;                   // guarded by mu_
  std::thread thread_;
  int64_t next_tick_ms_ = 0;
  int64_t next_pass_ms_ = 0;    // no scheduling pass before this time
  uint64_t next_batch_ = 1;     // state thread: the batch being built
  uint64_t durable_batch_ = 0;  // state thread: every batch up to this one is committed

  std::atomic<bool> store_trouble_{false};
  mutable std::mutex trouble_mu_;
  std::string trouble_;  // guarded by trouble_mu_

  std::mutex commit_mu_;
  std::condition_variable commit_cv_;
  std::deque<PendingCommit> commits_;  // guarded by commit_mu_; front is in flight
  bool commit_stopping_ = false;       // guarded by commit_mu_
  std::thread committer_;
};

}  // namespace drover::droverd
