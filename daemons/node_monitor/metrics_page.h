// The node monitor's /metrics page: its readings as Prometheus families
// (drover_node_*, drover_task_*), the health check's last result, and the
// *.prom files of a drop-in directory, as node_exporter's textfile collector
// takes them (a file with a malformed line is left out whole, and
// drover_node_textfile_scrape_error says so).
#pragma once

#include <string>

#include "daemons/node_monitor/node_readings.h"

namespace drover::node_monitor {

struct HealthState {
  bool checked = false;  // a health check is configured and has run
  bool healthy = true;
  std::string message;
};

std::string RenderMetrics(const std::string& node, const NodeReadings& readings,
                          const HealthState& health, const std::string& textfile_dir);

// The *.prom files of `dir`, each well formed, concatenated; `*errors` counts
// those left out (malformed or unreadable).
std::string ReadTextfiles(const std::string& dir, int* errors);

// Whether `text` is Prometheus text exposition (comments, samples).
bool IsExpositionText(const std::string& text);

}  // namespace drover::node_monitor
