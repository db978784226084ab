// StatefulSet: NAME-0 … NAME-(n-1), each ordinal with a stable name, its
// peers' addresses (DROVER_PEERS) and a directory per volume template that
// outlives its tasks, as Kubernetes' StatefulSet (databases, queues). Beyond
// Kubernetes, an ordinal fails over when its node is lost or cut off, and
// still never runs twice: the node agent fences itself first (issue 9).
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "api/deployment.h"

namespace drover {

enum class PodManagementPolicy { kOrderedReady, kParallel };
enum class StatefulSetUpdateType { kRollingUpdate, kOnDelete };

struct StatefulSetUpdateStrategy {
  StatefulSetUpdateType type = StatefulSetUpdateType::kRollingUpdate;
  // Ordinals >= partition are updated, from the highest down; lower ones keep
  // their revision (a canary, or a staged rollout).
  int32_t partition = 0;
  IntOrPercent max_unavailable{1, false};
  bool operator==(const StatefulSetUpdateStrategy&) const = default;
};

// A directory each ordinal gets, given to its tasks as DROVER_VOLUME_<NAME>.
struct VolumeTemplate {
  enum class Kind {
    kNodeLocal,  // under the node's state directory: the ordinal stays on its node
    kShared,     // under `path` (a shared filesystem): the ordinal may move
  };
  std::string name;
  Kind kind = Kind::kNodeLocal;
  std::string path;  // kShared: the root; each ordinal gets ROOT/NAME-ORDINAL
  bool operator==(const VolumeTemplate&) const = default;
};

// What happens to the ordinals' directories (Kubernetes'
// persistentVolumeClaimRetentionPolicy): kept unless asked.
enum class VolumeRetention { kRetain, kDelete };
struct VolumeRetentionPolicy {
  VolumeRetention when_deleted = VolumeRetention::kRetain;
  VolumeRetention when_scaled = VolumeRetention::kRetain;
  bool operator==(const VolumeRetentionPolicy&) const = default;
};

struct StatefulSetSpec {
  int32_t replicas = 1;
  ReplicaTemplate template_;
  PodManagementPolicy pod_management_policy = PodManagementPolicy::kOrderedReady;
  StatefulSetUpdateStrategy update_strategy;
  std::vector<VolumeTemplate> volume_templates;
  VolumeRetentionPolicy retention;
  Labels node_selector;
  int32_t min_ready_seconds = 0;
  int32_t revision_history_limit = 10;
};

struct StatefulSetStatus {
  int64_t observed_generation = 0;
  int32_t replicas = 0;  // ordinals with a live task
  int32_t ready_replicas = 0;
  int32_t available_replicas = 0;
  int32_t current_replicas = 0;  // ... running current_revision
  int32_t updated_replicas = 0;  // ... running update_revision
  std::string current_revision;  // hashes
  std::string update_revision;
  // droverd's memory per ordinal: the node holding an ordinal's NodeLocal
  // volumes (it runs only there), and until when an ordinal lost with its
  // node may not run anywhere (its old node fences itself first).
  std::map<int32_t, std::string> volume_nodes;
  std::map<int32_t, int64_t> fenced_until_ms;
  // The ordinals whose directories were made (and not removed since), and
  // those droverd decided to remove (whenScaled/whenDeleted: Delete): such
  // an ordinal gets no task until a node confirms the removal, so a scale
  // down and up again never hands a new task a directory being removed.
  std::set<int32_t> volume_ordinals;
  std::set<int32_t> removing_volumes;
  bool operator==(const StatefulSetStatus&) const = default;
};

struct StatefulSet {
  ObjectMeta metadata;
  int64_t generation = 0;
  Owner owner;
  // Set by a delete with whenDeleted: Delete: the set stops its tasks and
  // stays (Terminating, as a Kubernetes object with a finalizer) until its
  // ordinals' directories are removed.
  int64_t deletion_time_ms = 0;
  StatefulSetSpec spec;
  StatefulSetStatus status;
};

// A StatefulSet as applied: names the first wrong field and the rule.
// Whether a shared volume's root is one droverd allows is droverd's to say
// (its configuration); here a root must be an absolute, normalised path.
Status ValidateStatefulSet(const StatefulSet& s);

// The env name of a volume: "data-dir" -> DROVER_VOLUME_DATA_DIR.
std::string VolumeEnvName(const std::string& volume);

// An ordinal's stable name, NAME-K.
std::string OrdinalName(const std::string& set, int32_t ordinal);

}  // namespace drover
