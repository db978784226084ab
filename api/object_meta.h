// ObjectMeta: the identity every API object carries, as in Kubernetes.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace drover {

using Labels = std::map<std::string, std::string>;

// Whether `labels` has every key of `selector` with its value (an empty
// selector matches everything), as Kubernetes' nodeSelector.
inline bool MatchesSelector(const Labels& labels, const Labels& selector) {
  for (const auto& [key, value] : selector) {
    auto it = labels.find(key);
    if (it == labels.end() || it->second != value) return false;
  }
  return true;
}

struct ObjectMeta {
  std::string name;  // user-chosen (jobs) or assigned (tasks, nodes)
  std::string uid;   // unique for the object's lifetime, assigned by droverd
  Labels labels;
  int64_t creation_time_ms = 0;  // Unix epoch, milliseconds
  int64_t resource_version = 0;  // bumped by droverd on every change
};

// Who submitted an object: recorded by droverd from the caller's credentials,
// never taken from the request body.
struct Owner {
  std::string user;
  uint32_t uid = 0;
  uint32_t gid = 0;
};

}  // namespace drover
