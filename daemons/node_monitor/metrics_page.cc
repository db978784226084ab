#include "daemons/node_monitor/metrics_page.h"

#include <dirent.h>
#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>

#include <algorithm>
#include <fstream>
#include <regex>
#include <sstream>
#include <vector>

namespace drover::node_monitor {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

MetricFamily Family(std::string name, std::string help, MetricType type) {
  MetricFamily f;
  f.name = std::move(name);
  f.help = std::move(help);
  f.type = type;
  return f;
}

void Add(MetricFamily& f, std::vector<ClientMetric::Label> labels, double value) {
  ClientMetric m;
  m.label = std::move(labels);
  if (f.type == MetricType::Counter) {
    m.counter.value = value;
  } else {
    m.gauge.value = value;
  }
  f.metric.push_back(std::move(m));
}

}  // namespace

bool IsExpositionText(const std::string& text) {
  static const std::regex kSample(
      R"(^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})?[ \t]+[-+]?([0-9.eE+-]+|NaN|[-+]?Inf)([ \t]+-?[0-9]+)?[ \t]*$)");
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#') continue;
    if (!std::regex_match(line, kSample)) return false;
  }
  return true;
}

std::string ReadTextfiles(const std::string& dir, int* errors) {
  *errors = 0;
  std::vector<std::string> names;
  if (DIR* d = opendir(dir.c_str())) {
    while (struct dirent* e = readdir(d)) {
      std::string name = e->d_name;
      if (name.size() > 5 && name.ends_with(".prom") && name[0] != '.') names.push_back(name);
    }
    closedir(d);
  }
  std::sort(names.begin(), names.end());
  std::string out;
  for (const std::string& name : names) {
    std::ifstream in(dir + "/" + name, std::ios::binary);
    std::stringstream text;
    if (in) text << in.rdbuf();
    std::string body = text.str();
    if (!in || !IsExpositionText(body)) {
      ++*errors;
      continue;
    }
    if (!body.empty() && body.back() != '\n') body += '\n';
    out += body;
  }
  return out;
}

std::string RenderMetrics(const std::string& node, const NodeReadings& r, const HealthState& health,
                          const std::string& textfile_dir) {
  std::vector<MetricFamily> families;
  const ClientMetric::Label node_label{"node", node};

  auto cpu =
      Family("drover_node_cpu_seconds_total",
             "Seconds the node's CPUs spent in each mode, all CPUs together", MetricType::Counter);
  for (const auto& [mode, seconds] : r.cpu_seconds) Add(cpu, {node_label, {"mode", mode}}, seconds);
  families.push_back(std::move(cpu));
  auto cpus = Family("drover_node_cpus", "Online CPUs of the node", MetricType::Gauge);
  Add(cpus, {node_label}, static_cast<double>(r.cpus));
  families.push_back(std::move(cpus));

  auto mem_total =
      Family("drover_node_memory_total_bytes", "Memory of the node (MemTotal)", MetricType::Gauge);
  Add(mem_total, {node_label}, static_cast<double>(r.memory_total_bytes));
  families.push_back(std::move(mem_total));
  auto mem_avail = Family("drover_node_memory_available_bytes",
                          "Memory available for new work (MemAvailable)", MetricType::Gauge);
  Add(mem_avail, {node_label}, static_cast<double>(r.memory_available_bytes));
  families.push_back(std::move(mem_avail));

  for (const auto& [name, value] : {std::pair{"drover_node_load1", r.load1},
                                    {"drover_node_load5", r.load5},
                                    {"drover_node_load15", r.load15}}) {
    auto load = Family(name, "Load average of the node", MetricType::Gauge);
    Add(load, {node_label}, value);
    families.push_back(std::move(load));
  }

  auto fs_size = Family("drover_node_filesystem_size_bytes", "Size of a filesystem of the node",
                        MetricType::Gauge);
  auto fs_avail =
      Family("drover_node_filesystem_avail_bytes",
             "Space of a filesystem available to unprivileged users", MetricType::Gauge);
  for (const FilesystemReading& f : r.filesystems) {
    Add(fs_size, {node_label, {"path", f.path}}, static_cast<double>(f.size_bytes));
    Add(fs_avail, {node_label, {"path", f.path}}, static_cast<double>(f.avail_bytes));
  }
  families.push_back(std::move(fs_size));
  families.push_back(std::move(fs_avail));

  auto task_cpu = Family("drover_task_cpu_seconds_total",
                         "CPU seconds (user + system) of a task's processes", MetricType::Counter);
  auto task_rss = Family("drover_task_memory_rss_bytes", "Resident memory of a task's processes",
                         MetricType::Gauge);
  auto task_procs = Family("drover_task_processes", "Live processes of a task", MetricType::Gauge);
  for (const auto& [task, u] : r.tasks) {
    Add(task_cpu, {node_label, {"task", task}}, u.cpu_seconds);
    Add(task_rss, {node_label, {"task", task}}, static_cast<double>(u.rss_bytes));
    Add(task_procs, {node_label, {"task", task}}, static_cast<double>(u.processes));
  }
  families.push_back(std::move(task_cpu));
  families.push_back(std::move(task_rss));
  families.push_back(std::move(task_procs));

  if (health.checked) {
    auto healthy = Family("drover_node_health_check_ok", "1 if the node's last health check passed",
                          MetricType::Gauge);
    Add(healthy, {node_label}, health.healthy ? 1 : 0);
    families.push_back(std::move(healthy));
  }
  int errors = 0;
  std::string textfiles = textfile_dir.empty() ? "" : ReadTextfiles(textfile_dir, &errors);
  auto scrape_error =
      Family("drover_node_textfile_scrape_error",
             "1 if a *.prom file of the textfile directory was left out", MetricType::Gauge);
  Add(scrape_error, {node_label}, errors > 0 ? 1 : 0);
  families.push_back(std::move(scrape_error));
  return prometheus::TextSerializer().Serialize(families) + textfiles;
}

}  // namespace drover::node_monitor
