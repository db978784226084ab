#include "daemons/droverd/history_reader.h"

namespace drover::droverd {

HistoryReader::HistoryReader(std::unique_ptr<db::Store> store)
    : store_(std::move(store)), thread_([this] { Run(); }) {}

HistoryReader::~HistoryReader() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void HistoryReader::Query(HistoryQuery query, Done done) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.emplace_back(std::move(query), std::move(done));
  }
  cv_.notify_one();
}

void HistoryReader::Run() {
  for (;;) {
    std::pair<HistoryQuery, Done> next;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;
      next = std::move(queue_.front());
      queue_.pop_front();
    }
    next.second(store_->QueryHistory(next.first));
  }
}

}  // namespace drover::droverd
