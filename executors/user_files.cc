#include "executors/user_files.h"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "executors/unique_fd.h"
#include "executors/user_accounts.h"

namespace drover::executors {
namespace {

std::string Why() { return std::strerror(errno); }

constexpr int kMaxRemoveDepth = 256;

// Removes the entry `name` of the open directory `dir` (shown as `path`).
Status RemoveEntryAt(int dir, const std::string& name, const std::string& path, int depth) {
  struct stat st;
  if (fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return Status::Ok();
    return Status::Internal("cannot stat " + path + ": " + Why());
  }
  if (!S_ISDIR(st.st_mode)) {
    if (unlinkat(dir, name.c_str(), 0) != 0 && errno != ENOENT) {
      return Status::Internal("cannot remove " + path + ": " + Why());
    }
    return Status::Ok();
  }
  if (depth >= kMaxRemoveDepth) {
    return Status::Internal("cannot remove " + path + ": deeper than " +
                            std::to_string(kMaxRemoveDepth) + " levels");
  }
  int fd = openat(dir, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    // Swapped for something else since the stat: remove that instead, unfollowed.
    if ((errno == ENOTDIR || errno == ELOOP) && unlinkat(dir, name.c_str(), 0) == 0) {
      return Status::Ok();
    }
    if (errno == ENOENT) return Status::Ok();
    return Status::Internal("cannot open " + path + ": " + Why());
  }
  DIR* entries = fdopendir(fd);
  if (entries == nullptr) {
    ::close(fd);
    return Status::Internal("cannot list " + path + ": " + Why());
  }
  std::vector<std::string> names;
  while (dirent* e = readdir(entries)) {
    const std::string child = e->d_name;
    if (child != "." && child != "..") names.push_back(child);
  }
  Status result = Status::Ok();
  for (const std::string& child : names) {
    result = RemoveEntryAt(dirfd(entries), child, path + "/" + child, depth + 1);
    if (!result.ok()) break;
  }
  closedir(entries);
  if (!result.ok()) return result;
  if (unlinkat(dir, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) {
    return Status::Internal("cannot remove " + path + ": " + Why());
  }
  return Status::Ok();
}

}  // namespace

std::vector<gid_t> GroupsOf(uid_t uid, gid_t gid) {
  std::vector<gid_t> groups{gid};
  auto account = LookupUser(uid);
  if (!account) return groups;
  int n = 64;
  std::vector<gid_t> list(n);
  if (getgrouplist(account->name.c_str(), gid, list.data(), &n) < 0) {
    list.resize(n);
    if (getgrouplist(account->name.c_str(), gid, list.data(), &n) < 0) return groups;
  }
  list.resize(n);
  return list;
}

ThreadFileIdentity::ThreadFileIdentity(uid_t uid, gid_t gid) {
  if (geteuid() != 0) return;  // not root: every access is the process's own already
  int n = getgroups(0, nullptr);
  old_groups_.resize(n > 0 ? n : 0);
  if (n > 0) n = getgroups(n, old_groups_.data());
  old_groups_.resize(n > 0 ? n : 0);
  old_fsuid_ = static_cast<uid_t>(setfsuid(-1));
  old_fsgid_ = static_cast<gid_t>(setfsgid(-1));
  switched_ = true;
  std::vector<gid_t> groups = GroupsOf(uid, gid);
  // Raw syscalls: glibc's setgroups() would change every thread of the process.
  ok_ = syscall(SYS_setgroups, groups.size(), groups.data()) == 0;
  setfsgid(gid);
  setfsuid(uid);
  ok_ = ok_ && static_cast<gid_t>(setfsgid(-1)) == gid && static_cast<uid_t>(setfsuid(-1)) == uid;
}

ThreadFileIdentity::~ThreadFileIdentity() {
  if (!switched_) return;
  setfsuid(old_fsuid_);
  setfsgid(old_fsgid_);
  syscall(SYS_setgroups, old_groups_.size(), old_groups_.data());
}

Result<int> OpenForReadingAs(const std::string& path, uid_t uid, gid_t gid) {
  ThreadFileIdentity as_user(uid, gid);
  if (!as_user.ok()) {
    return Status::Internal("cannot take the identity of uid " + std::to_string(uid) + " to read " +
                            path);
  }
  int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) {
    if (errno == ENOENT) return Status::NotFound(path + " does not exist");
    if (errno == ELOOP) return Status::PermissionDenied(path + " is a symbolic link");
    if (errno == EACCES || errno == EPERM) {
      return Status::PermissionDenied("uid " + std::to_string(uid) + " may not read " + path);
    }
    return Status::Internal("cannot open " + path + ": " + Why());
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return Status::PermissionDenied(path + " is not a regular file");
  }
  return fd;
}

Status MakeOwnedDirectory(const std::string& parent, const std::string& name, uid_t uid, gid_t gid,
                          mode_t mode) {
  const std::string path = parent + "/" + name;
  UniqueFd dir(::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.get() < 0) return Status::Internal("cannot open " + parent + ": " + Why());
  if (mkdirat(dir.get(), name.c_str(), mode) != 0 && errno != EEXIST) {
    return Status::Internal("cannot create " + path + ": " + Why());
  }
  UniqueFd fd(openat(dir.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (fd.get() < 0) {
    return Status::PermissionDenied(path + " is not a directory (" + Why() + "); refusing it");
  }
  struct stat st;
  if (fstat(fd.get(), &st) != 0) return Status::Internal("cannot stat " + path + ": " + Why());
  if (st.st_uid != 0 && st.st_uid != uid) {
    return Status::PermissionDenied(path + " belongs to uid " + std::to_string(st.st_uid) +
                                    ", not " + std::to_string(uid));
  }
  if (geteuid() == 0 && (st.st_uid != uid || st.st_gid != gid) && fchown(fd.get(), uid, gid) != 0) {
    return Status::Internal("cannot chown " + path + ": " + Why());
  }
  if ((st.st_mode & 07777) != mode && fchmod(fd.get(), mode) != 0) {
    return Status::Internal("cannot chmod " + path + ": " + Why());
  }
  return Status::Ok();
}

Status RemoveTree(const std::string& parent, const std::string& name) {
  UniqueFd dir(::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.get() < 0) {
    if (errno == ENOENT) return Status::Ok();
    return Status::Internal("cannot open " + parent + ": " + Why());
  }
  return RemoveEntryAt(dir.get(), name, parent + "/" + name, 0);
}

Status MakeDirectoryAs(const std::string& parent, const std::string& name, uid_t uid, gid_t gid,
                       mode_t mode) {
  ThreadFileIdentity as_user(uid, gid);
  if (!as_user.ok()) {
    return Status::Internal("cannot take the identity of uid " + std::to_string(uid));
  }
  const std::string path = parent + "/" + name;
  if (::mkdir(path.c_str(), mode) != 0 && errno != EEXIST) {
    return Status::PermissionDenied("uid " + std::to_string(uid) + " cannot create " + path + ": " +
                                    Why());
  }
  return Status::Ok();
}

}  // namespace drover::executors
