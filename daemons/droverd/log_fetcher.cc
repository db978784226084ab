#include "daemons/droverd/log_fetcher.h"

#include <chrono>

#include "api/http_client.h"
#include "daemons/droverd/log_store.h"

namespace drover::droverd {

LogFetcher::LogFetcher(const LogStore* store, int threads, size_t max_queued)
    : store_(store), max_queued_(max_queued) {
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { Run(); });
}

LogFetcher::~LogFetcher() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
  for (LogFetch& f : queue_) {
    f.respond(ErrorResponse(Status::Unavailable("droverd is shutting down")));
  }
}

void LogFetcher::Fetch(LogFetch fetch) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (queue_.size() < max_queued_ && !stopping_) {
      queue_.push_back(std::move(fetch));
      cv_.notify_one();
      return;
    }
  }
  fetch.respond(ErrorResponse(
      Status::Unavailable("too many log requests are waiting; try again in a moment")));
}

void LogFetcher::Run() {
  for (;;) {
    LogFetch f;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      f = std::move(queue_.front());
      queue_.pop_front();
    }
    if (f.address.empty()) {
      auto stored = FromStore(f);
      f.respond(stored ? std::move(*stored)
                       : ErrorResponse(Status::Unavailable(
                             "the task's node has no log endpoint, and no shipped log of " +
                             f.task + " is kept")));
      continue;
    }
    HttpClient client("http://" + f.address, f.token);
    auto r = client.Send("GET", f.target, "", std::chrono::seconds(10));
    if (!r.ok() || r->status != 200) {
      if (auto stored = FromStore(f)) {
        f.respond(std::move(*stored));
      } else if (!r.ok()) {
        f.respond(ErrorResponse(Status::Unavailable("cannot fetch the log from " + f.address +
                                                    ": " + r.status().message())));
      } else {
        f.respond(std::move(*r));
      }
      continue;
    }
    HttpResponse out = std::move(*r);
    // Tell followers whether more can come.
    if (out.status == 200) out.content_type = "text/plain; task-phase=" + f.phase;
    f.respond(std::move(out));
  }
}

std::optional<HttpResponse> LogFetcher::FromStore(const LogFetch& f) const {
  if (store_ == nullptr || f.task.empty()) return std::nullopt;
  auto data = store_->Read(f.task, f.offset, kMaxLogChunkServed);
  if (!data.ok()) return std::nullopt;
  return HttpResponse{200, "text/plain; task-phase=" + f.phase, std::move(*data)};
}

}  // namespace drover::droverd
