// Manifests (`drover apply -f`): YAML or JSON text holding Job, Deployment,
// DaemonSet and StatefulSet objects, one per document or in a `kind: List`. Pure.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "api/daemon_set.h"
#include "api/deployment.h"
#include "api/job.h"
#include "api/stateful_set.h"
#include "api/status.h"

namespace drover::cli {

// Decodes and validates every Job of `text` (strictly: unknown fields are
// errors). An empty template.workingDir becomes `cwd`; relative stdout,
// stderr and workingDir paths are resolved against the working directory.
// Errors name the source, the document (1-based) and the field:
// field "job.yaml: document 2: spec.completions".
Result<std::vector<Job>> JobsFromManifest(std::string_view text, const std::string& source,
                                          const std::string& cwd);

struct ManifestObjects {
  std::vector<Job> jobs;
  std::vector<Deployment> deployments;
  std::vector<DaemonSet> daemon_sets;
  std::vector<StatefulSet> stateful_sets;
};

// Every Job, Deployment, DaemonSet and StatefulSet of `text`, decoded and validated as
// above (a service's template paths are resolved the same way).
Result<ManifestObjects> ObjectsFromManifest(std::string_view text, const std::string& source,
                                            const std::string& cwd);

}  // namespace drover::cli
