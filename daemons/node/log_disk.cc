#include "daemons/node/log_disk.h"

#include <fcntl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace drover::node {
namespace {

std::string Size(int64_t bytes) {
  constexpr int64_t kMiB = int64_t{1} << 20;
  if (bytes >= kMiB) return std::to_string(bytes / kMiB) + " MiB";
  return std::to_string(bytes) + " bytes";
}

}  // namespace

std::string LogDisk::QuickCheck() const {
  struct statvfs fs {};
  if (statvfs(dir_.c_str(), &fs) != 0) {
    return "the task-log directory " + dir_ + " cannot be read: " + std::strerror(errno);
  }
  if ((fs.f_flag & ST_RDONLY) != 0) {
    return "the task-log directory " + dir_ + " is on a read-only file system";
  }
  const int64_t free_bytes = static_cast<int64_t>(fs.f_bavail) * static_cast<int64_t>(fs.f_frsize);
  if (free_bytes < min_free_bytes_) {
    // The floor, not the figure: the reason stays the same while it lasts.
    return "the task-log directory " + dir_ + " has less than " + Size(min_free_bytes_) +
           " free (drover-node --log-disk-min-free)";
  }
  return "";
}

std::string LogDisk::FullCheck() const {
  std::string problem = QuickCheck();
  if (!problem.empty()) return problem;
  const std::string probe = dir_ + "/.drover-write-check";
  int fd = open(probe.c_str(), O_CREAT | O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    return "the task-log directory " + dir_ + " takes no new files: " + std::strerror(errno);
  }
  const char byte = '\n';
  ssize_t wrote = write(fd, &byte, 1);
  const int write_errno = errno;
  close(fd);
  unlink(probe.c_str());
  if (wrote != 1) {
    return "the task-log directory " + dir_ + " takes no writes: " + std::strerror(write_errno);
  }
  return "";
}

std::string LogDisk::BeforeLaunch() {
  std::string problem = QuickCheck();
  std::lock_guard<std::mutex> lock(mu_);
  if (!problem.empty()) problem_ = problem;
  return problem;
}

std::string LogDisk::Current(int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  if (problem_.empty() && checked_ms_ >= 0 && now_ms - checked_ms_ < check_ms_) return "";
  problem_ = FullCheck();
  checked_ms_ = now_ms;
  return problem_;
}

}  // namespace drover::node
