#include "daemons/node_monitor/node_readings.h"

#include <dirent.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cctype>
#include <fstream>
#include <sstream>

namespace drover::node_monitor {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The value of NAME in a NUL-separated environment block, or "".
std::string EnvValue(const std::string& environ, const std::string& name) {
  const std::string key = name + "=";
  size_t pos = 0;
  while (pos < environ.size()) {
    size_t end = environ.find('\0', pos);
    if (end == std::string::npos) end = environ.size();
    if (environ.compare(pos, key.size(), key) == 0) {
      return environ.substr(pos + key.size(), end - pos - key.size());
    }
    pos = end + 1;
  }
  return {};
}

}  // namespace

std::map<std::string, double> ParseCpuTimes(const std::string& proc_stat, int64_t* cpus) {
  static const char* kModes[] = {"user",   "nice", "system",  "idle",
                                 "iowait", "irq",  "softirq", "steal"};
  const double tick = static_cast<double>(sysconf(_SC_CLK_TCK));
  std::map<std::string, double> out;
  std::istringstream lines(proc_stat);
  std::string line;
  *cpus = 0;
  while (std::getline(lines, line)) {
    if (line.rfind("cpu", 0) != 0) continue;
    if (line.size() > 3 && std::isdigit(static_cast<unsigned char>(line[3]))) {
      ++*cpus;
      continue;
    }
    std::istringstream fields(line.substr(3));
    for (const char* mode : kModes) {
      double ticks = 0;
      if (!(fields >> ticks)) break;
      out[mode] = ticks / tick;
    }
  }
  return out;
}

void ParseMeminfo(const std::string& meminfo, NodeReadings* out) {
  std::istringstream lines(meminfo);
  std::string key;
  int64_t kib = 0;
  std::string unit;
  while (lines >> key >> kib) {
    std::getline(lines, unit);
    if (key == "MemTotal:") out->memory_total_bytes = kib * 1024;
    if (key == "MemAvailable:") out->memory_available_bytes = kib * 1024;
  }
}

std::map<std::string, TaskUsage> ReadTaskUsage(const std::string& proc, const std::string& node) {
  std::map<std::string, TaskUsage> tasks;
  const double tick = static_cast<double>(sysconf(_SC_CLK_TCK));
  const int64_t page = sysconf(_SC_PAGESIZE);
  DIR* d = opendir(proc.c_str());
  if (d == nullptr) return tasks;
  while (struct dirent* e = readdir(d)) {
    if (!std::isdigit(static_cast<unsigned char>(e->d_name[0]))) continue;
    const std::string dir = proc + "/" + e->d_name;
    // Readable for the monitor's own user's processes, or all as root.
    const std::string environ = ReadFile(dir + "/environ");
    const std::string task = EnvValue(environ, "DROVER_TASK_NAME");
    // Several nodes may share a host (drover up): each counts its own tasks.
    if (task.empty() || EnvValue(environ, "DROVER_NODENAME") != node) continue;
    const std::string stat = ReadFile(dir + "/stat");
    // Fields after the command, which is in parentheses and may hold spaces.
    size_t close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream fields(stat.substr(close + 2));
    std::vector<std::string> f;
    std::string word;
    while (fields >> word) f.push_back(word);
    // From field 3 (state): utime is field 14, stime 15, cutime 16, cstime 17, rss 24.
    if (f.size() < 22) continue;
    try {
      const double ticks =
          std::stod(f[11]) + std::stod(f[12]) + std::stod(f[13]) + std::stod(f[14]);
      const int64_t rss = std::stoll(f[21]) * page;
      TaskUsage& u = tasks[task];
      u.cpu_seconds += ticks / tick;
      u.rss_bytes += rss;
      u.processes += 1;
    } catch (const std::exception&) {
      continue;  // a process that went away while read
    }
  }
  closedir(d);
  return tasks;
}

NodeReadings ReadNode(const std::string& proc, const std::string& node,
                      const std::vector<std::string>& filesystems) {
  NodeReadings r;
  r.cpu_seconds = ParseCpuTimes(ReadFile(proc + "/stat"), &r.cpus);
  ParseMeminfo(ReadFile(proc + "/meminfo"), &r);
  std::istringstream load(ReadFile(proc + "/loadavg"));
  load >> r.load1 >> r.load5 >> r.load15;
  for (const std::string& path : filesystems) {
    struct statvfs st;
    if (statvfs(path.c_str(), &st) != 0) continue;
    r.filesystems.push_back({path, static_cast<int64_t>(st.f_blocks * st.f_frsize),
                             static_cast<int64_t>(st.f_bavail * st.f_frsize)});
  }
  r.tasks = ReadTaskUsage(proc, node);
  return r;
}

}  // namespace drover::node_monitor
