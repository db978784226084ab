#include "daemons/droverd/metrics.h"

#include <prometheus/text_serializer.h>

namespace drover::droverd {
namespace {

prometheus::Histogram::BucketBoundaries LatencyBuckets() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};
}

}  // namespace

Metrics::Metrics() : registry_(std::make_shared<prometheus::Registry>()) {
  jobs_ = &prometheus::BuildGauge().Name("drover_jobs").Help("Jobs by phase").Register(*registry_);
  tasks_ = &prometheus::BuildGauge()
                .Name("drover_tasks")
                .Help("Active tasks by phase")
                .Register(*registry_);
  tasks_started_ = &prometheus::BuildCounter()
                        .Name("drover_tasks_started_total")
                        .Help("Tasks that started running")
                        .Register(*registry_)
                        .Add({});
  tasks_finished_ = &prometheus::BuildCounter()
                         .Name("drover_tasks_finished_total")
                         .Help("Tasks that ended, by result")
                         .Register(*registry_);
  tasks_fenced_ = &prometheus::BuildCounter()
                       .Name("drover_tasks_fenced_total")
                       .Help("Kills of task copies a node ran after droverd had given them up")
                       .Register(*registry_)
                       .Add({});
  scheduling_pass_ = &prometheus::BuildHistogram()
                          .Name("drover_scheduling_pass_seconds")
                          .Help("Duration of one scheduling pass")
                          .Register(*registry_)
                          .Add({}, LatencyBuckets());
  commit_ = &prometheus::BuildHistogram()
                 .Name("drover_store_commit_seconds")
                 .Help("Duration of one store commit (a batch of mutations)")
                 .Register(*registry_)
                 .Add({}, LatencyBuckets());
  store_unavailable_ = &prometheus::BuildGauge()
                            .Name("drover_store_unavailable")
                            .Help("1 while the store cannot take commits (changes are refused)")
                            .Register(*registry_)
                            .Add({});
  mutations_ = &prometheus::BuildCounter()
                    .Name("drover_store_mutations_total")
                    .Help("Objects written to the store")
                    .Register(*registry_)
                    .Add({});
  requests_ = &prometheus::BuildHistogram()
                   .Name("drover_api_request_seconds")
                   .Help("API request latency, from parsed request to response")
                   .Register(*registry_);
  http_ = &prometheus::BuildGauge()
               .Name("drover_http_connections")
               .Help("The HTTP edge: connections and requests it refused, by what happened")
               .Register(*registry_);
}

void Metrics::SetHttpStatsSource(std::function<HttpServerStats()> source) {
  std::lock_guard<std::mutex> lock(http_mu_);
  http_stats_ = std::move(source);
}

void Metrics::Update(const StateCounters& c) {
  for (JobPhase p : {JobPhase::kPending, JobPhase::kRunning, JobPhase::kSucceeded,
                     JobPhase::kFailed, JobPhase::kCancelled}) {
    auto it = c.jobs_by_phase.find(p);
    jobs_->Add({{"phase", std::string(JobPhaseName(p))}})
        .Set(it == c.jobs_by_phase.end() ? 0 : static_cast<double>(it->second));
  }
  tasks_->Add({{"phase", "Assigned"}}).Set(static_cast<double>(c.tasks_assigned));
  tasks_->Add({{"phase", "Running"}}).Set(static_cast<double>(c.tasks_running));
  // Counters only move forward: add the difference since the last update.
  auto advance = [](prometheus::Counter& counter, double& last, int64_t now) {
    if (now > last) counter.Increment(now - last);
    last = static_cast<double>(now);
  };
  advance(*tasks_started_, last_started_, c.tasks_started_total);
  advance(tasks_finished_->Add({{"result", "succeeded"}}), last_succeeded_,
          c.tasks_succeeded_total);
  advance(tasks_finished_->Add({{"result", "failed"}}), last_failed_, c.tasks_failed_total);
  advance(*tasks_fenced_, last_fenced_, c.tasks_fenced_total);
}

void Metrics::ObserveCommit(double seconds, size_t mutations) {
  commit_->Observe(seconds);
  mutations_->Increment(static_cast<double>(mutations));
}

void Metrics::SetStoreUnavailable(bool unavailable) {
  store_unavailable_->Set(unavailable ? 1 : 0);
}

void Metrics::ObserveRequest(const std::string& method, const std::string& route, double seconds) {
  requests_->Add({{"method", method}, {"route", route}}, LatencyBuckets()).Observe(seconds);
}

std::string Metrics::Serialize() const {
  {
    std::lock_guard<std::mutex> lock(http_mu_);
    if (http_stats_) {
      const HttpServerStats s = http_stats_();
      const std::pair<const char*, uint64_t> values[] = {
          {"open", s.connections_open},
          {"accepted", s.connections_accepted},
          {"refused_over_cap", s.connections_refused},
          {"accept_errors", s.accept_errors},
          {"requests", s.requests},
          {"requests_refused", s.requests_refused},
          {"requests_malformed", s.requests_malformed},
          {"requests_too_large", s.requests_too_large},
          {"requests_timed_out", s.requests_timed_out},
          {"idle_timeouts", s.idle_timeouts},
          {"handler_exceptions", s.handler_exceptions},
          {"tls_handshake_failures", s.tls_handshake_failures}};
      for (const auto& [what, value] : values) {
        http_->Add({{"what", what}}).Set(static_cast<double>(value));
      }
    }
  }
  return prometheus::TextSerializer().Serialize(registry_->Collect());
}

}  // namespace drover::droverd
