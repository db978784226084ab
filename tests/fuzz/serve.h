// What HttpServer does with one request once it is parsed (api/http_server.h,
// api/http_session.cc): ask the gate about the head, refuse it or enforce the
// body limit, then hand it to the handler and wait for the responder. The
// server answers 500 where the gate or the handler throws and where every
// copy of a responder is dropped unanswered; here each of those is a finding,
// as is an answer that does not come within the timeout, a 500 (an internal
// error caused by input), or a JSON answer that is not JSON.
#pragma once

#include <chrono>
#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <string>

#include "api/http_types.h"
#include "fuzz_support.h"

namespace drover::fuzz {

class PendingAnswer {
 public:
  void Set(HttpResponse r) {
    std::lock_guard<std::mutex> lock(mu_);
    if (done_) return;  // later calls are ignored (http_types.h)
    response_ = std::move(r);
    done_ = true;
    cv_.notify_all();
  }
  void Dropped() {
    std::lock_guard<std::mutex> lock(mu_);
    if (done_) return;
    dropped_ = true;
    done_ = true;
    cv_.notify_all();
  }
  // False on timeout.
  bool Wait(std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, timeout, [this] { return done_; });
  }
  bool dropped() const { return dropped_; }
  const HttpResponse& response() const { return response_; }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  bool dropped_ = false;
  HttpResponse response_;
};

// Notices when the last copy of a responder goes away unanswered.
struct DropWatch {
  explicit DropWatch(std::shared_ptr<PendingAnswer> a) : answer(std::move(a)) {}
  DropWatch(const DropWatch&) = delete;
  DropWatch& operator=(const DropWatch&) = delete;
  ~DropWatch() { answer->Dropped(); }
  std::shared_ptr<PendingAnswer> answer;
};

inline std::string Describe(const HttpRequest& req) {
  return req.method.substr(0, 20) + " " + req.path.substr(0, 200);
}

inline void CheckAnswer(const HttpResponse& r, const std::string& what) {
  FUZZ_CHECK(r.status >= 200 && r.status < 600 && r.status != 500,
             "answered " + std::to_string(r.status) + " to " + what + ": " + r.body.substr(0, 500));
  if (r.content_type == "application/json") {
    FUZZ_CHECK(nlohmann::json::accept(r.body), "a JSON answer that is not JSON to " + what + ":\n" +
                                                   r.body.substr(0, 500));
  }
}

// Serves `req` as HttpServer would and returns the answer.
inline HttpResponse Serve(const HttpRequestGate& gate, const HttpHandler& handler, HttpRequest req,
                          std::chrono::milliseconds timeout) {
  const std::string what = Describe(req);
  if (gate) {
    HttpRequest head = req;
    head.body.clear();
    HttpGateDecision decision;
    try {
      decision = gate(head);
    } catch (const std::exception& e) {
      Fail("the request gate threw (the server answers 500)", what + ": " + e.what());
    }
    if (decision.refusal) {
      CheckAnswer(*decision.refusal, what);
      return *decision.refusal;
    }
    if (req.body.size() > decision.body_limit) return HttpResponse{413, "application/json", "{}"};
  }
  auto answer = std::make_shared<PendingAnswer>();
  auto watch = std::make_shared<DropWatch>(answer);
  try {
    handler(std::move(req), [answer, watch](HttpResponse r) { answer->Set(std::move(r)); });
  } catch (const std::exception& e) {
    Fail("the handler threw (the server answers 500)", what + ": " + e.what());
  }
  watch.reset();
  FUZZ_CHECK(answer->Wait(timeout), "no answer within " + std::to_string(timeout.count()) +
                                        " ms to " + what);
  FUZZ_CHECK(!answer->dropped(), "the handler dropped " + what + " unanswered (the server answers 500)");
  CheckAnswer(answer->response(), what);
  return answer->response();
}

}  // namespace drover::fuzz
