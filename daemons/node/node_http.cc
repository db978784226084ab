#include "daemons/node/node_http.h"

#include <prometheus/gauge.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <fstream>
#include <mutex>

#include "api/http_client.h"

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

}  // namespace

HttpHandler MakeNodeHandler(const Agent* agent, std::string token) {
  auto metrics = std::make_shared<NodeMetrics>();
  return [agent, token, metrics](HttpRequest req, HttpResponder respond) {
    if (req.path == "/healthz") return respond(HttpResponse{200, "text/plain", "ok\n"});
    if (req.path == "/metrics") {
      return respond(
          HttpResponse{200, "text/plain; version=0.0.4", metrics->Scrape(agent->counters())});
    }
    if (req.path.rfind("/logs/", 0) != 0 || req.method != "GET") {
      return respond(ErrorResponse(Status::NotFound("no route for " + req.path)));
    }
    if (token.empty() || req.bearer_token != token) {
      return respond(ErrorResponse(Status::Unauthenticated("the node token is required")));
    }
    std::string task = req.path.substr(6);
    bool err = req.query.count("stream") && req.query.at("stream") == "stderr";
    long long offset = req.query.count("offset") ? std::atoll(req.query.at("offset").c_str()) : 0;
    std::string path = agent->LogPath(task, err);
    if (path.empty()) {
      return respond(ErrorResponse(Status::NotFound("this node has no log of task " + task)));
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) return respond(HttpResponse{200, "text/plain", ""});  // not written yet
    in.seekg(std::max(0LL, offset));
    std::string data(kMaxLogChunk, '\0');
    in.read(data.data(), static_cast<std::streamsize>(data.size()));
    data.resize(static_cast<size_t>(in.gcount()));
    respond(HttpResponse{200, "text/plain", std::move(data)});
  };
}

}  // namespace drover::node
