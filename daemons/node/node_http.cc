#include "daemons/node/node_http.h"

#include <prometheus/gauge.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>

#include "api/http_client.h"
#include "api/query_params.h"
#include "executors/user_files.h"

namespace drover::node {
namespace {

// The agent's metrics through prometheus-cpp, filled from its counters at
// scrape time (the counters are atomics the agent's threads bump).
class NodeMetrics {
 public:
  NodeMetrics() : registry_(std::make_shared<prometheus::Registry>()) {
    launched_ = &prometheus::BuildGauge()
                     .Name("drover_node_tasks_launched_total")
                     .Help("Tasks handed to the supervisor")
                     .Register(*registry_)
                     .Add({});
    auto& finished = prometheus::BuildGauge()
                         .Name("drover_node_tasks_finished_total")
                         .Help("Tasks that ended, by result")
                         .Register(*registry_);
    succeeded_ = &finished.Add({{"result", "succeeded"}});
    failed_ = &finished.Add({{"result", "failed"}});
    running_ = &prometheus::BuildGauge()
                    .Name("drover_node_tasks_running")
                    .Help("Tasks running now")
                    .Register(*registry_)
                    .Add({});
    reports_ = &prometheus::BuildGauge()
                    .Name("drover_node_reports_sent_total")
                    .Help("Task reports delivered to droverd")
                    .Register(*registry_)
                    .Add({});
  }

  std::string Scrape(const AgentCounters& c) {
    std::lock_guard<std::mutex> lock(mu_);
    launched_->Set(static_cast<double>(c.launched.load()));
    succeeded_->Set(static_cast<double>(c.succeeded.load()));
    failed_->Set(static_cast<double>(c.failed.load()));
    running_->Set(static_cast<double>(c.running.load()));
    reports_->Set(static_cast<double>(c.reports_sent.load()));
    return prometheus::TextSerializer().Serialize(registry_->Collect());
  }

 private:
  std::mutex mu_;
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Gauge* launched_;
  prometheus::Gauge* succeeded_;
  prometheus::Gauge* failed_;
  prometheus::Gauge* running_;
  prometheus::Gauge* reports_;
};

// Up to kMaxLogChunk bytes of `log` from `offset`, read as the task's user:
// the file is opened with that user's rights and no symlink is followed, so a
// path that a user named (-o /etc/shadow) or swapped for a link after the
// task ended yields nothing the user could not read themselves.
HttpResponse ReadLog(const TaskLog& log, int64_t offset) {
  auto fd = executors::OpenForReadingAs(log.path, log.uid, log.gid);
  if (!fd.ok()) {
    if (fd.status().code() == StatusCode::kNotFound) {
      return HttpResponse{200, "text/plain", ""};  // not written yet
    }
    return ErrorResponse(fd.status());
  }
  std::string data(kMaxLogChunk, '\0');
  ssize_t n = pread(*fd, data.data(), data.size(), static_cast<off_t>(offset));
  ::close(*fd);
  if (n < 0)
    return ErrorResponse(Status::Internal("cannot read the log: " + std::string(strerror(errno))));
  data.resize(static_cast<size_t>(n));
  return HttpResponse{200, "text/plain", std::move(data)};
}

}  // namespace

HttpRequestGate MakeNodeGate(const ControlPlaneVerifier* control_plane) {
  return [control_plane](const HttpRequest& head) {
    if (head.path == "/healthz" || head.path == "/metrics") return HttpGateDecision::Allow(0);
    if (head.path.rfind("/logs/", 0) != 0 || head.method != "GET") {
      return HttpGateDecision::Refuse(ErrorResponse(
          Status::NotFound("no route for " + SanitizeUtf8(head.path.substr(0, 200)))));
    }
    if (!control_plane->Verify(head.bearer_token)) {
      return HttpGateDecision::Refuse(
          ErrorResponse(Status::Unauthenticated("only droverd reads logs here")));
    }
    return HttpGateDecision::Allow(0);
  };
}

HttpHandler MakeNodeHandler(const Agent* agent, const ControlPlaneVerifier* control_plane) {
  auto metrics = std::make_shared<NodeMetrics>();
  return [agent, control_plane, metrics](HttpRequest req, HttpResponder respond) {
    if (req.path == "/healthz") return respond(HttpResponse{200, "text/plain", "ok\n"});
    if (req.path == "/metrics") {
      return respond(
          HttpResponse{200, "text/plain; version=0.0.4", metrics->Scrape(agent->counters())});
    }
    if (req.path.rfind("/logs/", 0) != 0 || req.method != "GET") {
      return respond(
          ErrorResponse(Status::NotFound("no route for " + SanitizeUtf8(req.path.substr(0, 200)))));
    }
    if (!control_plane->Verify(req.bearer_token)) {
      return respond(ErrorResponse(Status::Unauthenticated("only droverd reads logs here")));
    }
    Status known = CheckKnownParams(req.query, {"stream", "offset"});
    if (!known.ok()) return respond(ErrorResponse(known));
    auto stream = QueryChoice(req.query, "stream", "stdout", {"stdout", "stderr"});
    if (!stream.ok()) return respond(ErrorResponse(stream.status()));
    auto offset = QueryInt(req.query, "offset", 0, 0, INT64_MAX);
    if (!offset.ok()) return respond(ErrorResponse(offset.status()));
    std::string task = req.path.substr(6);
    auto log = agent->LogOf(task, *stream == "stderr");
    if (!log || log->path.empty()) {
      return respond(ErrorResponse(
          Status::NotFound("this node has no log of task " + SanitizeUtf8(task.substr(0, 200)))));
    }
    respond(ReadLog(*log, *offset));
  };
}

}  // namespace drover::node
