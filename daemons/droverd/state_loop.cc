#include "daemons/droverd/state_loop.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>

#include "daemons/droverd/mail_sender.h"
#include "scheduler/schedule.h"

namespace drover::droverd {

namespace {
const SystemClock kSystemClock;

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}
}  // namespace

StateLoop::StateLoop(ClusterState& state, db::Store& store, Metrics& metrics,
                     StateLoopOptions options)
    : state_(state),
      store_(store),
      metrics_(metrics),
      options_(options),
      clock_(options.clock != nullptr ? *options.clock : kSystemClock) {}

StateLoop::~StateLoop() { Stop(); }

void StateLoop::Post(Command command) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(std::move(command));
  }
  cv_.notify_one();
}

void StateLoop::PostRead(Read read) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    reads_.push_back(std::move(read));
    reads_pending_ = true;
  }
  cv_.notify_one();
  // The state thread may be waiting for the store rather than for commands.
  { std::lock_guard<std::mutex> lock(commit_mu_); }
  commit_cv_.notify_all();
}

void StateLoop::ServeReads() {
  if (!reads_pending_) return;
  std::vector<Read> reads;
  {
    std::lock_guard<std::mutex> lock(mu_);
    reads.swap(reads_);
    reads_pending_ = false;
  }
  for (Read& read : reads) read(state_);
}

void StateLoop::WaitForCommitRoom() {
  std::unique_lock<std::mutex> lock(commit_mu_);
  while (commits_.size() >= 2) {
    if (reads_pending_) {
      lock.unlock();
      ServeReads();
      lock.lock();
      continue;
    }
    commit_cv_.wait(lock, [this] { return commits_.size() < 2 || reads_pending_; });
  }
}

void StateLoop::Start() {
  committer_ = std::thread([this] { CommitLoop(); });
  thread_ = std::thread([this] { Run(); });
}

void StateLoop::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
  // The state thread hands over no more batches; the committer drains what it
  // has, so every reply already promised is still sent.
  {
    std::lock_guard<std::mutex> lock(commit_mu_);
    commit_stopping_ = true;
  }
  commit_cv_.notify_all();
  if (committer_.joinable()) committer_.join();
}

void StateLoop::Run() {
  std::vector<Command> batch;
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      int64_t wake_ms =
          state_.needs_scheduling() ? std::min(next_tick_ms_, next_pass_ms_) : next_tick_ms_;
      int64_t wait_ms = std::max<int64_t>(0, wake_ms - clock_.NowMs());
      cv_.wait_for(lock, std::chrono::milliseconds(wait_ms),
                   [this] { return stopping_ || !queue_.empty() || !reads_.empty(); });
      if (stopping_) return;
      batch.swap(queue_);
      if (batch.empty() && !reads_.empty() && clock_.NowMs() < wake_ms) {
        lock.unlock();
        ServeReads();  // only reads came: no turn is due
        continue;
      }
    }
    ServeReads();
    RunBatch(batch);
    batch.clear();
  }
}

void StateLoop::RunBatch(std::vector<Command>& commands) {
  int64_t now = clock_.NowMs();
  uint64_t batch = next_batch_;
  state_.set_building_batch(batch);
  CommandContext ctx(state_, now);
  for (Command& c : commands) c(ctx);

  if (now >= next_tick_ms_) {
    state_.ReconcileNodes(now, options_.heartbeat_timeout_ms);
    state_.WakeJobsDue(now);
    state_.ForgetExpiredJobs(now);
    next_tick_ms_ = now + options_.tick_ms;
  }
  // Controllers run on the keys events queued (and timers that came due),
  // before the pass that places what they ask for.
  state_.ReconcileJobs(now);
  state_.ReconcileDeployments(now);
  state_.ReconcileDaemonSets(now);
  state_.ReconcileStatefulSets(now);
  ServeReads();
  // A pass over a long queue is not cheap; spacing passes by twice the last
  // one's cost keeps the state thread free for submissions and reports most
  // of the time, while short queues are scheduled at once.
  if (state_.needs_scheduling() && now >= next_pass_ms_) {
    state_.clear_needs_scheduling();
    auto start = std::chrono::steady_clock::now();
    state_.CancelUnsatisfiableJobs(now);
    scheduler::ClusterSnapshot cluster;
    std::vector<scheduler::PendingJob> pending;
    state_.BuildSchedulerInput(now, &cluster, &pending);
    // With every node cordoned or down a pass still runs: what waits is told why.
    if (!pending.empty() && !cluster.nodes.empty()) {
      scheduler::Decision decision =
          scheduler::Schedule(cluster, pending, now, state_.scheduler_config());
      state_.ApplyDecision(decision, now);
      state_.ReconcileJobs(now);  // the jobs whose tasks were just created
    }
    ServeReads();
    double seconds = SecondsSince(start);
    metrics_.ObserveSchedulingPass(seconds);
    next_pass_ms_ = now + static_cast<int64_t>(2000 * seconds);
  }

  std::vector<JobMail> mails = state_.TakeMail(now);  // first: it marks the jobs it mails
  PendingCommit pending{batch, state_.TakeMutations(), std::move(ctx.after_commit_)};
  if (options_.mail != nullptr) {
    for (JobMail& m : mails) {
      pending.replies.push_back([sender = options_.mail, m = std::move(m)] { sender->Send(m); });
    }
  }
  for (db::Mutation& m : ctx.writes_) pending.mutations.push_back(std::move(m));
  if (!pending.mutations.empty() || !pending.replies.empty() ||
      state_.InstructionsAppendedIn(batch)) {
    ++next_batch_;
    ServeReads();
    // Bound the pipeline: one batch committing, one waiting. Meanwhile new
    // commands pile up in queue_ and make the next batch larger.
    WaitForCommitRoom();
    std::unique_lock<std::mutex> lock(commit_mu_);
    commits_.push_back(std::move(pending));
    commit_cv_.notify_all();
  }
  state_.FlushChannels(now, durable_batch_);
  metrics_.Update(state_.counters());
}

void StateLoop::Commit(PendingCommit& pending) {
  if (pending.mutations.empty()) return;
  auto start = std::chrono::steady_clock::now();
  Status st = store_.Commit(pending.mutations);
  // An unreachable store (PostgreSQL restarting, SQLite busy) is waited for:
  // nothing of this batch is acknowledged meanwhile, and re-committing the
  // same batch is safe. Once the store answers, the leader term in it says
  // whether this droverd still leads.
  for (int64_t wait_ms = 200; st.code() == StatusCode::kUnavailable;
       wait_ms = std::min<int64_t>(wait_ms * 2, 5'000)) {
    {
      std::lock_guard<std::mutex> lock(trouble_mu_);
      trouble_ = st.message();
    }
    store_trouble_ = true;
    metrics_.SetStoreUnavailable(true);
    spdlog::warn("store commit of {} mutations failed ({}); retrying in {} ms",
                 pending.mutations.size(), st.ToString(), wait_ms);
    {
      std::unique_lock<std::mutex> lock(commit_mu_);
      if (commit_cv_.wait_for(lock, std::chrono::milliseconds(wait_ms),
                              [this] { return commit_stopping_; })) {
        spdlog::critical(
            "stopping with a batch the store did not take; nothing of it was "
            "acknowledged");
        std::_Exit(70);
      }
    }
    st = store_.Commit(pending.mutations);
  }
  if (store_trouble_.exchange(false)) metrics_.SetStoreUnavailable(false);
  if (db::IsDeposed(st)) {
    spdlog::critical("{}; exiting: another droverd leads now", st.message());
    std::_Exit(75);
  }
  if (!st.ok()) {
    spdlog::critical("store commit failed: {}; exiting so that a restart serves only durable state",
                     st.ToString());
    std::_Exit(70);
  }
  metrics_.ObserveCommit(SecondsSince(start), pending.mutations.size());
}

std::optional<std::string> StateLoop::StoreTrouble() const {
  if (!store_trouble_) return std::nullopt;
  std::lock_guard<std::mutex> lock(trouble_mu_);
  return trouble_;
}

void StateLoop::CommitLoop() {
  while (true) {
    PendingCommit* pending = nullptr;
    {
      std::unique_lock<std::mutex> lock(commit_mu_);
      commit_cv_.wait(lock, [this] { return commit_stopping_ || !commits_.empty(); });
      if (commits_.empty()) return;  // stopping, and everything is committed
      pending = &commits_.front();   // stays put: deque push_back keeps references
    }
    Commit(*pending);
    for (auto& reply : pending->replies) reply();
    uint64_t batch = pending->batch;
    {
      std::lock_guard<std::mutex> lock(commit_mu_);
      commits_.pop_front();
    }
    commit_cv_.notify_all();
    // The state thread releases this batch's node instructions.
    Post([this, batch](CommandContext&) { durable_batch_ = std::max(durable_batch_, batch); });
  }
}

}  // namespace drover::droverd
