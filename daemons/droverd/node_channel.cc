#include "daemons/droverd/node_channel.h"

#include <algorithm>

namespace drover::droverd {

void NodeChannel::AppendLaunch(Json launch, uint64_t batch) {
  entries_.push_back({next_seq_++, batch, Kind::kLaunch, std::move(launch)});
}

void NodeChannel::AppendKill(const std::string& task, int64_t grace_ms, uint64_t batch) {
  entries_.push_back(
      {next_seq_++, batch, Kind::kKill, Json{{"task", task}, {"graceMs", grace_ms}}});
}

void NodeChannel::AppendSignal(const std::string& task, int32_t signal, uint64_t batch) {
  entries_.push_back({next_seq_++, batch, Kind::kKill, Json{{"task", task}, {"signal", signal}}});
}

void NodeChannel::AppendTimeLimit(const std::string& task, int64_t time_limit_s, uint64_t batch) {
  entries_.push_back(
      {next_seq_++, batch, Kind::kTimeLimit, Json{{"task", task}, {"timeLimit", time_limit_s}}});
}

void NodeChannel::AppendRemoveVolumes(Json removal, uint64_t batch) {
  entries_.push_back({next_seq_++, batch, Kind::kRemoveVolumes, std::move(removal)});
}

void NodeChannel::AppendFence(Json fence, uint64_t batch) {
  entries_.push_back({next_seq_++, batch, Kind::kFence, std::move(fence)});
}

void NodeChannel::Wait(int64_t after, int64_t deadline_ms, HttpResponder responder) {
  Acknowledge(after);
  // A node has one poll outstanding; a newer one replaces an abandoned one.
  for (Waiter& w : waiters_) {
    w.responder(
        HttpResponse{409, "application/json",
                     R"({"code":"conflict","message":"superseded by a newer poll","field":""})"});
  }
  waiters_.clear();
  waiters_.push_back({after, deadline_ms, std::move(responder)});
}

void NodeChannel::Flush(const std::string& epoch, int64_t now_ms, uint64_t durable_batch) {
  if (waiters_.empty()) return;
  // The newest instruction that may be sent: entries are in batch order.
  int64_t sendable = 0;
  for (auto it = entries_.rbegin(); it != entries_.rend(); ++it) {
    if (it->batch <= durable_batch) {
      sendable = it->seq;
      break;
    }
  }
  std::vector<Waiter> still_waiting;
  for (Waiter& w : waiters_) {
    bool has_news = sendable > w.after;
    if (!has_news && now_ms < w.deadline_ms) {
      still_waiting.push_back(std::move(w));
      continue;
    }
    Json launch = Json::array();
    Json kill = Json::array();
    Json remove = Json::array();
    Json fences = Json::array();
    Json limits = Json::array();
    int64_t seq = w.after;
    for (const Entry& e : entries_) {
      if (e.seq <= w.after) continue;
      if (e.seq > sendable) break;
      switch (e.kind) {
        case Kind::kLaunch:
          launch.push_back(e.body);
          break;
        case Kind::kKill:
          kill.push_back(e.body);
          break;
        case Kind::kTimeLimit:
          limits.push_back(e.body);
          break;
        case Kind::kRemoveVolumes:
          remove.push_back(e.body);
          break;
        case Kind::kFence:
          fences.push_back(e.body);
          break;
      }
      seq = e.seq;
    }
    Json body = {
        {"epoch", epoch}, {"seq", seq}, {"launch", std::move(launch)}, {"kill", std::move(kill)}};
    if (!remove.empty()) body["removeVolumes"] = std::move(remove);
    if (!fences.empty()) body["fences"] = std::move(fences);
    if (!limits.empty()) body["limits"] = std::move(limits);
    w.responder(HttpResponse{200, "application/json", body.dump()});
  }
  waiters_ = std::move(still_waiting);
}

void NodeChannel::Acknowledge(int64_t after) {
  while (!entries_.empty() && entries_.front().seq <= after) entries_.pop_front();
}

void NodeChannel::Reset() { entries_.clear(); }

}  // namespace drover::droverd
