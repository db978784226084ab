#include "api/stateful_set.h"

#include <cctype>
#include <set>

#include "api/validation.h"

namespace drover {
namespace {

// NAME-ORDINAL, and its tasks add a suffix.
constexpr size_t kMaxStatefulSetName = 180;
constexpr int32_t kMaxOrdinals = 100'000;
constexpr size_t kMaxVolumes = 16;

Status CheckRoot(const std::string& path, const std::string& field) {
  if (path.empty() || path[0] != '/') {
    return Status::Invalid(field, "must be an absolute path (got \"" + path + "\")");
  }
  size_t start = 1;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    const std::string part = path.substr(start, end - start);
    if ((part.empty() && end != path.size()) || part == "." || part == "..") {
      return Status::Invalid(
          field, "must be a normalised path, without //, . or .. (got \"" + path + "\")");
    }
    start = end + 1;
  }
  return Status::Ok();
}

}  // namespace

std::string OrdinalName(const std::string& set, int32_t ordinal) {
  return set + "-" + std::to_string(ordinal);
}

std::string VolumeEnvName(const std::string& volume) {
  std::string out = "DROVER_VOLUME_";
  for (char c : volume) {
    out +=
        c == '-' || c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

Status ValidateStatefulSet(const StatefulSet& ss) {
  DROVER_RETURN_IF_ERROR(ValidateWorkloadMeta(ss.metadata, "StatefulSet", kMaxStatefulSetName));
  const StatefulSetSpec& s = ss.spec;
  DROVER_RETURN_IF_ERROR(ValidateNodeSelector(s.node_selector));
  if (s.replicas < 0 || s.replicas > kMaxOrdinals) {
    return Status::Invalid("spec.replicas", "must be between 0 and " +
                                                std::to_string(kMaxOrdinals) + " (got " +
                                                std::to_string(s.replicas) + ")");
  }
  DROVER_RETURN_IF_ERROR(ValidateReplicaTemplate(ss.metadata.name, s.template_, "StatefulSet"));
  const StatefulSetUpdateStrategy& u = s.update_strategy;
  if (u.type == StatefulSetUpdateType::kRollingUpdate) {
    const std::string p = "spec.updateStrategy.rollingUpdate";
    if (u.partition < 0 || u.partition > s.replicas) {
      return Status::Invalid(p + ".partition", "must be between 0 and replicas (" +
                                                   std::to_string(s.replicas) + "), got " +
                                                   std::to_string(u.partition));
    }
    if (u.max_unavailable.value < 1 ||
        (u.max_unavailable.percent && u.max_unavailable.value > 100)) {
      return Status::Invalid(p + ".maxUnavailable", "must be at least 1 (or 1%..100%), got " +
                                                        u.max_unavailable.ToString());
    }
  }
  if (s.volume_templates.size() > kMaxVolumes) {
    return Status::Invalid("spec.volumeTemplates",
                           "at most " + std::to_string(kMaxVolumes) + " volumes");
  }
  std::set<std::string> names;
  for (size_t i = 0; i < s.volume_templates.size(); ++i) {
    const VolumeTemplate& v = s.volume_templates[i];
    const std::string field = "spec.volumeTemplates[" + std::to_string(i) + "]";
    DROVER_RETURN_IF_ERROR(ValidateName(field + ".name", v.name));
    for (char c : v.name) {
      if (std::isupper(static_cast<unsigned char>(c)) || c == '_') {
        return Status::Invalid(
            field + ".name",
            "lower case letters, digits, '-' and '.' only (got \"" + v.name + "\")");
      }
    }
    if (!names.insert(v.name).second) {
      return Status::Invalid(field + ".name", "volume \"" + v.name + "\" is named twice");
    }
    if (v.kind == VolumeTemplate::Kind::kShared) {
      DROVER_RETURN_IF_ERROR(CheckRoot(v.path, field + ".path"));
    } else if (!v.path.empty()) {
      return Status::Invalid(field + ".path",
                             "a NodeLocal volume lives in the node's state directory; only a "
                             "Shared one takes a path");
    }
  }
  DROVER_RETURN_IF_ERROR(CheckNotNegative(s.min_ready_seconds, "spec.minReadySeconds"));
  return CheckNotNegative(s.revision_history_limit, "spec.revisionHistoryLimit");
}

}  // namespace drover
