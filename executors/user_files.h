// Files touched on a user's behalf, with that user's rights and no more
// (DESIGN.md: "No Drover process touches a path on a user's behalf with more
// privilege than that user has").
//
// drover-node runs as root; before it opens or creates a path a user named,
// the calling thread takes the user's filesystem identity (fsuid, fsgid and
// supplementary groups, per thread, through raw syscalls so the other threads
// keep root), and gives it back afterwards. With an fsuid other than 0 the
// kernel also drops the thread's DAC-override capabilities, so the access
// checks are exactly the user's.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "api/status.h"

namespace drover::executors {

// For its lifetime the calling thread accesses files as uid/gid with the
// user's groups. A no-op when the process is not root (it can act only as
// itself then). Not copyable; must be destroyed on the thread that made it.
class ThreadFileIdentity {
 public:
  ThreadFileIdentity(uid_t uid, gid_t gid);
  ~ThreadFileIdentity();
  ThreadFileIdentity(const ThreadFileIdentity&) = delete;
  ThreadFileIdentity& operator=(const ThreadFileIdentity&) = delete;

  // Whether the switch took effect (false: setgroups/setfsgid/setfsuid was refused).
  bool ok() const { return ok_; }

 private:
  bool switched_ = false;
  bool ok_ = true;
  uid_t old_fsuid_ = 0;
  gid_t old_fsgid_ = 0;
  std::vector<gid_t> old_groups_;
};

// The supplementary groups of uid (its primary gid first), from the group database.
std::vector<gid_t> GroupsOf(uid_t uid, gid_t gid);

// Opens `path` for reading as uid/gid, refusing a symlink as the last
// component (O_NOFOLLOW). Returns the descriptor (the caller closes it).
// Errors: NotFound when it does not exist, PermissionDenied when the user
// may not read it or it is a symlink, Internal otherwise.
Result<int> OpenForReadingAs(const std::string& path, uid_t uid, gid_t gid);

// Makes `parent`/`name` a directory owned by uid/gid with `mode`, where
// `parent` is a directory only root can write: created with mkdirat, opened
// with O_NOFOLLOW|O_DIRECTORY and changed through that descriptor (fchown,
// fchmod), so a symlink planted in its place is refused, never followed.
// An existing directory owned by root or uid is taken over.
// Errors: PermissionDenied naming the path when something else is there.
Status MakeOwnedDirectory(const std::string& parent, const std::string& name, uid_t uid, gid_t gid,
                          mode_t mode);

// Makes `parent`/`name` a directory as uid/gid (ThreadFileIdentity), for a
// `parent` the user owns: the user can do no more through it than they could
// themselves. An existing directory is fine.
Status MakeDirectoryAs(const std::string& parent, const std::string& name, uid_t uid, gid_t gid,
                       mode_t mode);

// Removes `parent`/`name` and everything under it, as a user's directory
// whose contents the user controls: it walks by descriptor (openat with
// O_NOFOLLOW|O_DIRECTORY, unlinkat), so a symlink inside is removed, never
// followed, and a directory swapped for a symlink mid-walk is refused; nothing
// outside the tree is touched. Missing is fine. Trees deeper than 256 levels
// are refused (each level holds a descriptor).
Status RemoveTree(const std::string& parent, const std::string& name);

}  // namespace drover::executors
