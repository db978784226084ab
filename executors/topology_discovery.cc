#include "executors/topology_discovery.h"

#include <hwloc.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

namespace drover::executors {
namespace {

constexpr char kAcceptedForms[] =
    "accepted forms: \"\" or \"hwloc\" (this machine), \"synthetic:<hwloc synthetic "
    "description>\" (e.g. synthetic:package:2 numa:2 core:8 pu:2), \"xml:<file>\"";

struct TopologyCloser {
  void operator()(hwloc_topology* topo) const { hwloc_topology_destroy(topo); }
};
using TopologyPtr = std::unique_ptr<hwloc_topology, TopologyCloser>;

std::string_view StripQuotes(std::string_view s) {
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') return s.substr(1, s.size() - 2);
  return s;
}

Status Bad(std::string_view spec, const std::string& why) {
  return Status::Invalid("topology", "\"" + std::string(spec) + "\": " + why);
}

NodeTopology Reduce(hwloc_topology_t topo, std::string source) {
  NodeTopology out;
  out.source = std::move(source);
  out.packages = std::max(1, hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PACKAGE));

  std::vector<hwloc_obj_t> numas;
  for (hwloc_obj_t numa = nullptr;
       (numa = hwloc_get_next_obj_by_type(topo, HWLOC_OBJ_NUMANODE, numa)) != nullptr;) {
    numas.push_back(numa);
  }
  out.numa_nodes = std::max<int32_t>(1, static_cast<int32_t>(numas.size()));
  out.numa_memory_bytes.assign(out.numa_nodes, 0);
  for (size_t i = 0; i < numas.size(); ++i) {
    out.numa_memory_bytes[i] = static_cast<int64_t>(numas[i]->attr->numanode.local_memory);
    out.numa_os_indexes.push_back(static_cast<int32_t>(numas[i]->os_index));
  }
  for (int64_t& bytes : out.numa_memory_bytes) {
    if (bytes <= 0) bytes = kDefaultNumaMemoryBytes;
    out.memory_bytes += bytes;
  }

  // Cores, or PUs standing in for them when hwloc found no Core objects.
  hwloc_obj_type_t core_type =
      hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_CORE) > 0 ? HWLOC_OBJ_CORE : HWLOC_OBJ_PU;
  for (hwloc_obj_t core = nullptr;
       (core = hwloc_get_next_obj_by_type(topo, core_type, core)) != nullptr;) {
    CoreInfo info;
    info.id = static_cast<int32_t>(out.cores.size());
    if (hwloc_obj_t pkg = hwloc_get_ancestor_obj_by_type(topo, HWLOC_OBJ_PACKAGE, core)) {
      info.package = static_cast<int32_t>(pkg->logical_index);
    }
    for (size_t i = 0; i < numas.size(); ++i) {
      if (hwloc_bitmap_isincluded(core->cpuset, numas[i]->cpuset)) {
        info.numa = static_cast<int32_t>(i);
        break;
      }
    }
    for (hwloc_obj_t pu = nullptr; (pu = hwloc_get_next_obj_inside_cpuset_by_type(
                                        topo, core->cpuset, HWLOC_OBJ_PU, pu)) != nullptr;) {
      info.pus.push_back(static_cast<int32_t>(pu->os_index));
    }
    if (info.pus.empty()) continue;  // a core with no allowed PU is of no use
    out.cores.push_back(std::move(info));
  }
  return out;
}

}  // namespace

Result<NodeTopology> DiscoverTopology(std::string_view spec) {
  std::string source;
  std::string synthetic;
  std::string xml;
  if (spec.empty() || spec == "hwloc") {
    source = "hwloc";
  } else if (spec.rfind("synthetic:", 0) == 0) {
    synthetic = std::string(StripQuotes(spec.substr(10)));
    if (synthetic.empty())
      return Bad(spec, "empty synthetic description; " + std::string(kAcceptedForms));
    source = "synthetic:" + synthetic;
  } else if (spec.rfind("xml:", 0) == 0) {
    xml = std::string(StripQuotes(spec.substr(4)));
    if (xml.empty()) return Bad(spec, "empty XML file name; " + std::string(kAcceptedForms));
    source = "xml:" + xml;
  } else {
    return Bad(spec, std::string("unknown topology source; ") + kAcceptedForms);
  }

  hwloc_topology_t raw = nullptr;
  if (hwloc_topology_init(&raw) != 0) {
    return Status::Internal("hwloc_topology_init: " + std::string(std::strerror(errno)));
  }
  TopologyPtr topo(raw);
  if (!synthetic.empty() && hwloc_topology_set_synthetic(raw, synthetic.c_str()) != 0) {
    return Bad(spec,
               "hwloc rejected the synthetic description (e.g. \"package:2 numa:2 core:8 "
               "pu:2\", see lstopo --input)");
  }
  if (!xml.empty() && hwloc_topology_set_xml(raw, xml.c_str()) != 0) {
    return Bad(spec, "cannot load XML topology " + xml + ": " + std::strerror(errno));
  }
  if (hwloc_topology_load(raw) != 0) {
    return Bad(spec, "hwloc_topology_load failed: " + std::string(std::strerror(errno)));
  }
  NodeTopology out = Reduce(raw, std::move(source));
  if (out.cores.empty()) return Bad(spec, "the topology has no usable cores");
  return out;
}

std::string CpuListString(const std::vector<int32_t>& cpus) {
  std::vector<int32_t> sorted = cpus;
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  std::string out;
  for (size_t i = 0; i < sorted.size();) {
    size_t j = i;
    while (j + 1 < sorted.size() && sorted[j + 1] == sorted[j] + 1) ++j;
    if (!out.empty()) out += ',';
    out += std::to_string(sorted[i]);
    if (j > i) out += "-" + std::to_string(sorted[j]);
    i = j + 1;
  }
  return out;
}

}  // namespace drover::executors
