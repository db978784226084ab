// What the node monitor reads from the kernel at each scrape: the node's CPU
// time by mode, memory, load and filesystems, and each Drover task's CPU
// time and memory (its processes carry DROVER_TASK_NAME, set by the node
// agent). `proc` is /proc (a fixture directory in tests).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace drover::node_monitor {

struct FilesystemReading {
  std::string path;
  int64_t size_bytes = 0;
  int64_t avail_bytes = 0;
};

struct TaskUsage {
  double cpu_seconds = 0;  // user + system, of its live processes and their reaped children
  int64_t rss_bytes = 0;
  int64_t processes = 0;
};

struct NodeReadings {
  std::map<std::string, double> cpu_seconds;  // by mode: user, nice, system, idle, iowait, ...
  int64_t cpus = 0;
  int64_t memory_total_bytes = 0;
  int64_t memory_available_bytes = 0;
  double load1 = 0, load5 = 0, load15 = 0;
  std::vector<FilesystemReading> filesystems;
  std::map<std::string, TaskUsage> tasks;  // by task name
};

// Reads everything; what cannot be read is left at zero.
// Tasks count when their processes say they run on `node` (DROVER_NODENAME).
NodeReadings ReadNode(const std::string& proc, const std::string& node,
                      const std::vector<std::string>& filesystems);

// Parts, for tests.
std::map<std::string, double> ParseCpuTimes(const std::string& proc_stat, int64_t* cpus);
void ParseMeminfo(const std::string& meminfo, NodeReadings* out);
std::map<std::string, TaskUsage> ReadTaskUsage(const std::string& proc, const std::string& node);

}  // namespace drover::node_monitor
