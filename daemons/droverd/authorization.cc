#include "daemons/droverd/authorization.h"

namespace drover::droverd {
namespace {

bool IsOwner(const Job& job, const Caller& caller) {
  return caller.role == Role::kUser && caller.uid == job.owner.uid;
}

std::string JobName(const Job& job) { return "job " + std::to_string(job.id); }

}  // namespace

Status AuthorizeRoute(const Caller& caller, const std::vector<std::string>& parts) {
  if (caller.role == Role::kJoin) {
    if (parts.size() == 3 && parts[0] == "nodes" && parts[2] == "join") return Status::Ok();
    return Status::PermissionDenied(
        "a join token is good only for a node to join (POST /api/v1/nodes/NAME/join)");
  }
  if (caller.role == Role::kNodeDaemon) {
    // Each built-in daemon may do its one job for its own node, nothing more.
    const char* verb = caller.builtin == kBuiltinLogShipper    ? "logs"
                       : caller.builtin == kBuiltinNodeMonitor ? "health"
                                                               : "";
    if (parts.size() == 3 && parts[0] == "nodes" && parts[1] == caller.node && parts[2] == verb) {
      return Status::Ok();
    }
    return Status::PermissionDenied("the credential of task " + caller.task + " (built-in " +
                                    caller.builtin + ") is good only for POST /api/v1/nodes/" +
                                    caller.node + "/" + verb);
  }
  if (caller.role != Role::kNode) return Status::Ok();
  if (parts.size() == 3 && parts[0] == "nodes" && parts[1] == caller.node) return Status::Ok();
  return Status::PermissionDenied("the credential of node " + caller.node +
                                  " is good only for that node's own endpoints");
}

Status AuthorizeSubmission(const Job& job, const Caller& caller) {
  if (caller.role == Role::kNode || caller.role == Role::kJoin) {
    return Status::PermissionDenied("node credentials and join tokens may not submit jobs");
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

Status AuthorizeQueue(const std::string& queue, const Caller& caller,
                      const std::vector<std::string>& caller_groups,
                      const std::map<std::string, QueueAccess>& rules) {
  const std::string name = queue.empty() ? "default" : queue;
  auto it = rules.find(name);
  if (it == rules.end() || caller.role == Role::kAdmin) return Status::Ok();
  const QueueAccess& access = it->second;
  for (const std::string& u : access.users) {
    if (u == caller.user) return Status::Ok();
  }
  for (const std::string& g : access.groups) {
    for (const std::string& mine : caller_groups) {
      if (g == mine) return Status::Ok();
    }
  }
  std::string who;
  for (const std::string& u : access.users) who += (who.empty() ? "users " : ", ") + u;
  if (!access.groups.empty()) {
    who += who.empty() ? "groups " : "; groups ";
    for (size_t i = 0; i < access.groups.size(); ++i) who += (i ? ", " : "") + access.groups[i];
  }
  return Status::PermissionDenied("spec.queue: queue " + name + " is for " + who +
                                  " (and admins); " + caller.user + " is not among them");
}

Status AuthorizeJobChange(const Job& job, const Caller& caller, const std::string& verb) {
  if (caller.role == Role::kAdmin || IsOwner(job, caller)) return Status::Ok();
  return Status::PermissionDenied(JobName(job) + " belongs to " + job.owner.user + "; only its " +
                                  "owner or an admin may " + verb + " it");
}

Status AuthorizeWorkloadChange(std::string_view kind, const std::string& name, const Owner& owner,
                               const Caller& caller, const std::string& verb) {
  if (caller.role == Role::kAdmin) return Status::Ok();
  if (caller.role == Role::kUser && caller.uid == owner.uid) return Status::Ok();
  return Status::PermissionDenied(std::string(kind) + "/" + name + " belongs to " + owner.user +
                                  "; only its owner or an admin may " + verb + " it");
}

Status AuthorizeWorkloadLogRead(std::string_view kind, const std::string& name, const Owner& owner,
                                const Caller& caller, bool logs_public) {
  if (caller.role == Role::kAdmin) return Status::Ok();
  if (caller.role == Role::kUser && (caller.uid == owner.uid || logs_public)) return Status::Ok();
  return Status::PermissionDenied("the logs of " + std::string(kind) + "/" + name +
                                  " are for its owner (" + owner.user + ") and admins");
}

Status AuthorizeDaemonSetCreate(const Caller& caller) {
  if (caller.role == Role::kAdmin) return Status::Ok();
  return Status::PermissionDenied(
      "only admins create DaemonSets: a daemon takes cores on every node it matches, ahead of "
      "all batch work");
}

Status AuthorizeLogRead(const Job& job, const Caller& caller, bool logs_public) {
  if (caller.role == Role::kAdmin || IsOwner(job, caller)) return Status::Ok();
  if (logs_public && caller.role == Role::kUser) return Status::Ok();
  return Status::PermissionDenied("the logs of " + JobName(job) + " are for its owner (" +
                                  job.owner.user + ") and admins");
}

Status AuthorizeNodeEndpoint(const Caller& caller, const std::string& node,
                             const std::string& verb) {
  if (caller.role == Role::kAdmin) return Status::Ok();
  if (verb == "tasks") {  // what a node holds: anyone who may read the cluster
    if (caller.role == Role::kJoin) {
      return Status::PermissionDenied("a join token is good only for joining");
    }
    return Status::Ok();
  }
  if (verb == "labels" || verb == "cordon" || verb == "uncordon" || verb == "drain") {
    return Status::PermissionDenied("only an admin may " +
                                    std::string(verb == "labels" ? "label" : verb) + " a node");
  }
  if (verb == "join") {
    if (caller.role == Role::kJoin) return Status::Ok();
    return Status::PermissionDenied("a node joins with a join token (drover token create --join)");
  }
  if (caller.role == Role::kJoin) {
    return Status::PermissionDenied("a join token is good only for joining");
  }
  // A built-in daemon's credential was narrowed to its one route by AuthorizeRoute.
  if (caller.role == Role::kNodeDaemon && caller.node == node) return Status::Ok();
  if (verb == "logs" || verb == "health") {
    return Status::PermissionDenied("only the built-in daemons of node " + node +
                                    " (and admins) may call this");
  }
  if (caller.role == Role::kNode && caller.node == node) return Status::Ok();
  if (caller.role == Role::kNode) {
    return Status::PermissionDenied("the credential of node " + caller.node +
                                    " may not act as node " + node);
  }
  return Status::PermissionDenied("only node agents (a node credential) may call this");
}

}  // namespace drover::droverd
