#include "daemons/droverd/authorization.h"

namespace drover::droverd {
namespace {

bool IsOwner(const Job& job, const Caller& caller) {
  return caller.role == Role::kUser && caller.uid == job.owner.uid;
}

std::string JobName(const Job& job) { return "job " + std::to_string(job.id); }

}  // namespace

Status AuthorizeRoute(const Caller& caller, const std::vector<std::string>& parts) {
  if (caller.role != Role::kNode) return Status::Ok();
  if (parts.size() == 3 && parts[0] == "nodes" && parts[1] == caller.node) return Status::Ok();
  return Status::PermissionDenied("the credential of node " + caller.node +
                                  " is good only for that node's own endpoints");
}

Status AuthorizeSubmission(const Job& job, const Caller& caller) {
  if (caller.role == Role::kNode) {
    return Status::PermissionDenied("node credentials may not submit jobs");
  }
  if (caller.role == Role::kAdmin) return Status::Ok();
  if (job.spec.priority != 0) {
    return Status::PermissionDenied("spec.priority: only admins set a job's priority (got " +
                                    std::to_string(job.spec.priority) +
                                    "); lower your own with nice (--nice N, N >= 0)");
  }
  if (job.spec.nice < 0) {
    return Status::PermissionDenied("spec.nice: only admins may give a negative nice (got " +
                                    std::to_string(job.spec.nice) +
                                    "); users may lower their priority, not raise it");
  }
  return Status::Ok();
}

Status AuthorizeJobChange(const Job& job, const Caller& caller, const std::string& verb) {
  if (caller.role == Role::kAdmin || IsOwner(job, caller)) return Status::Ok();
  return Status::PermissionDenied(JobName(job) + " belongs to " + job.owner.user + "; only its " +
                                  "owner or an admin may " + verb + " it");
}

Status AuthorizeLogRead(const Job& job, const Caller& caller, bool logs_public) {
  if (caller.role == Role::kAdmin || IsOwner(job, caller)) return Status::Ok();
  if (logs_public && caller.role == Role::kUser) return Status::Ok();
  return Status::PermissionDenied("the logs of " + JobName(job) + " are for its owner (" +
                                  job.owner.user + ") and admins");
}

Status AuthorizeNodeEndpoint(const Caller& caller, const std::string& node) {
  if (caller.role == Role::kAdmin) return Status::Ok();
  if (caller.role == Role::kNode && caller.node == node) return Status::Ok();
  if (caller.role == Role::kNode) {
    return Status::PermissionDenied("the credential of node " + caller.node +
                                    " may not act as node " + node);
  }
  return Status::PermissionDenied("only node agents (a node credential) may call this");
}

}  // namespace drover::droverd
