#include "daemons/node/node_http.h"

#include <fstream>

#include "api/http_client.h"

namespace drover::node {
namespace {

std::string MetricsText(const AgentCounters& c) {
  // A handful of counters; the text format is simple enough to write directly.
  std::string out;
  auto line = [&out](const char* name, const char* type, const char* help, const char* labels,
                     int64_t value) {
    if (help != nullptr) {
      out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
    }
    out += std::string(name) + labels + " " + std::to_string(value) + "\n";
  };
  line("drover_node_tasks_launched_total", "counter", "Tasks handed to the supervisor", "",
       c.launched.load());
  line("drover_node_tasks_finished_total", "counter", "Tasks that ended, by result",
       "{result=\"succeeded\"}", c.succeeded.load());
  line("drover_node_tasks_finished_total", "counter", nullptr, "{result=\"failed\"}",
       c.failed.load());
  line("drover_node_tasks_running", "gauge", "Tasks running now", "", c.running.load());
  line("drover_node_reports_sent_total", "counter", "Task reports delivered to droverd", "",
       c.reports_sent.load());
  return out;
}

}  // namespace

HttpHandler MakeNodeHandler(const Agent* agent, std::string token) {
  return [agent, token](HttpRequest req, HttpResponder respond) {
    if (req.path == "/healthz") return respond(HttpResponse{200, "text/plain", "ok\n"});
    if (req.path == "/metrics") {
      return respond(
          HttpResponse{200, "text/plain; version=0.0.4", MetricsText(agent->counters())});
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
