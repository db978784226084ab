#include "daemons/droverd/state_loop.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>

#include "scheduler/schedule.h"

namespace drover::droverd {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

namespace {
double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}
}  // namespace

StateLoop::StateLoop(ClusterState& state, db::Store& store, Metrics& metrics,
                     StateLoopOptions options)
    : state_(state), store_(store), metrics_(metrics), options_(options) {}

StateLoop::~StateLoop() { Stop(); }

void StateLoop::Post(Command command) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(std::move(command));
  }
  cv_.notify_one();
}

void StateLoop::Start() {
  thread_ = std::thread([this] { Run(); });
}

void StateLoop::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void StateLoop::Run() {
  std::vector<Command> batch;
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      int64_t wake_ms =
          state_.needs_scheduling() ? std::min(next_tick_ms_, next_pass_ms_) : next_tick_ms_;
      int64_t wait_ms = std::max<int64_t>(0, wake_ms - NowMs());
      cv_.wait_for(lock, std::chrono::milliseconds(wait_ms),
                   [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      batch.swap(queue_);
    }
    RunBatch(batch);
    batch.clear();
  }
}

void StateLoop::RunBatch(std::vector<Command>& commands) {
  int64_t now = NowMs();
  CommandContext ctx(state_, now);
  for (Command& c : commands) c(ctx);

  if (now >= next_tick_ms_) {
    state_.ReconcileNodes(now, options_.heartbeat_timeout_ms);
    next_tick_ms_ = now + options_.tick_ms;
  }
  // A pass over a long queue is not cheap; spacing passes by twice the last
  // one's cost keeps the state thread free for submissions and reports most
  // of the time, while short queues are scheduled at once.
  if (state_.needs_scheduling() && now >= next_pass_ms_) {
    state_.clear_needs_scheduling();
    auto start = std::chrono::steady_clock::now();
    scheduler::ClusterSnapshot cluster;
    std::vector<scheduler::PendingJob> pending;
    state_.BuildSchedulerInput(now, &cluster, &pending);
    bool any_schedulable = std::any_of(cluster.nodes.begin(), cluster.nodes.end(),
                                       [](const auto& n) { return n.schedulable; });
    if (!pending.empty() && any_schedulable) {
      scheduler::Decision decision =
          scheduler::Schedule(cluster, pending, now, state_.scheduler_config());
      state_.ApplyDecision(decision, now);
    }
    double seconds = SecondsSince(start);
    metrics_.ObserveSchedulingPass(seconds);
    next_pass_ms_ = now + static_cast<int64_t>(2000 * seconds);
  }

  std::vector<db::Mutation> mutations = state_.TakeMutations();
  if (!mutations.empty()) {
    auto start = std::chrono::steady_clock::now();
    Status st = store_.Commit(mutations);
    for (int retry = 0; !st.ok() && retry < 3; ++retry) {
      spdlog::warn("store commit of {} mutations failed ({}); retrying", mutations.size(),
                   st.ToString());
      std::this_thread::sleep_for(std::chrono::milliseconds(200 << retry));
      st = store_.Commit(mutations);
    }
    if (!st.ok()) {
      spdlog::critical(
          "store commit failed: {}; exiting so that a restart serves only "
          "durable state",
          st.ToString());
      std::_Exit(70);
    }
    metrics_.ObserveCommit(SecondsSince(start), mutations.size());
  }
  for (auto& fn : ctx.after_commit_) fn();
  state_.FlushChannels(now);
  metrics_.Update(state_.counters());
}

}  // namespace drover::droverd
