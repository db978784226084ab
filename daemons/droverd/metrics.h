// droverd's Prometheus metrics (prometheus-cpp), served on /metrics by the
// API server. Metric objects are thread-safe; the state thread updates them.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "api/http_server.h"
#include "daemons/droverd/cluster_state.h"

namespace drover::droverd {

class Metrics {
 public:
  Metrics();

  // Copies the state's counts into the gauges (called after each batch).
  void Update(const StateCounters& counters);
  void ObserveSchedulingPass(double seconds) { scheduling_pass_->Observe(seconds); }
  void ObserveCommit(double seconds, size_t mutations);
  void SetStoreUnavailable(bool unavailable);
  void ObserveRequest(const std::string& method, const std::string& route, double seconds);

  // Where the HTTP edge's counters come from (read at every scrape).
  void SetHttpStatsSource(std::function<HttpServerStats()> source);

  // The Prometheus text exposition of every metric.
  std::string Serialize() const;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Gauge>* jobs_;
  prometheus::Family<prometheus::Gauge>* tasks_;
  prometheus::Counter* tasks_started_;
  prometheus::Family<prometheus::Counter>* tasks_finished_;
  prometheus::Counter* tasks_fenced_;
  prometheus::Histogram* scheduling_pass_;
  prometheus::Histogram* commit_;
  prometheus::Gauge* store_unavailable_;
  prometheus::Counter* mutations_;
  prometheus::Family<prometheus::Histogram>* requests_;
  prometheus::Family<prometheus::Gauge>* http_;
  mutable std::mutex http_mu_;
  std::function<HttpServerStats()> http_stats_;  // guarded by http_mu_
  double last_started_ = 0, last_succeeded_ = 0, last_failed_ = 0, last_fenced_ = 0;
};

}  // namespace drover::droverd
