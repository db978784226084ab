// Who may do what (docs/security.md): the rules every route applies, in one
// place so they can be read, tested and changed together.
//
//   anyone authenticated   reads the queue, jobs and nodes
//   a job's owner, admins  cancel, hold, release the job; read its logs
//   a Deployment's owner,  change, scale, roll back, delete it
//     admins
//                          (anyone, when logs are public)
//   users                  submit as themselves; may lower their own jobs'
//                          priority (nice >= 0), never raise it
//   admins                 set spec.priority and a negative nice
//   a queue's allowed      submit to a queue with allowUsers/allowGroups
//     users and groups     (admins always may)
//   a node credential      its own node's endpoints (register, assignments,
//                          status) and nothing else
//
// Each function returns Ok or PermissionDenied naming the rule.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "api/job.h"
#include "api/object_meta.h"
#include "api/status.h"
#include "daemons/droverd/daemon_config.h"
#include "daemons/droverd/identity.h"

namespace drover::droverd {

// Node credentials reach only /api/v1/nodes/THEIR_NAME/...; `parts` is the
// path after /api/v1/ split on '/'.
Status AuthorizeRoute(const Caller& caller, const std::vector<std::string>& parts);

// May `caller` submit `job` as it is (priority and nice)?
Status AuthorizeSubmission(const Job& job, const Caller& caller);

// May `caller`, a member of `caller_groups` (names), submit to `queue`?
Status AuthorizeQueue(const std::string& queue, const Caller& caller,
                      const std::vector<std::string>& caller_groups,
                      const std::map<std::string, QueueAccess>& rules);

// May `caller` change `job` (`verb`: "cancel", "hold", "release")?
Status AuthorizeJobChange(const Job& job, const Caller& caller, const std::string& verb);

// May `caller` change or delete the workload `kind`/`name` (deployment,
// daemonset) owned by `owner` (`verb`)? Its owner or an admin; anyone else,
// and nodes, may not. Creating one is AuthorizeSubmission's rule (users
// create as themselves).
Status AuthorizeWorkloadChange(std::string_view kind, const std::string& name, const Owner& owner,
                               const Caller& caller, const std::string& verb);

// May `caller` read the output of the workload `kind`/`name` owned by
// `owner`? As a job's.
Status AuthorizeWorkloadLogRead(std::string_view kind, const std::string& name, const Owner& owner,
                                const Caller& caller, bool logs_public);

// May `caller` create a DaemonSet? Admins only: its tasks take cores on
// every node it matches, ahead of all batch work.
Status AuthorizeDaemonSetCreate(const Caller& caller);

// May `caller` read `job`'s output?
Status AuthorizeLogRead(const Job& job, const Caller& caller, bool logs_public);

// May `caller` act as node `node` (register it, poll for it, report for it),
// or change it (labels, cordon, uncordon: admins)?
Status AuthorizeNodeEndpoint(const Caller& caller, const std::string& node,
                             const std::string& verb);

}  // namespace drover::droverd
