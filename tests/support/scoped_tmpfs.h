// A small tmpfs a test mounts over a directory to give a daemon a disk it can
// fill or make read-only, unmounted when the test ends (even on a failed
// assertion). Needs root; mounted() says whether it worked.
#pragma once

#include <cstdlib>
#include <string>

namespace drover::testing {

inline bool RunShell(const std::string& command) { return std::system(command.c_str()) == 0; }

class ScopedTmpfs {
 public:
  // Mounts a tmpfs of `size` ("8m") over `dir`, which must exist.
  ScopedTmpfs(std::string dir, const std::string& size) : dir_(std::move(dir)) {
    mounted_ = RunShell("mount -t tmpfs -o size=" + size + " drover-test-disk " + dir_);
  }
  ~ScopedTmpfs() {
    if (mounted_) RunShell("umount -l " + dir_);
  }
  ScopedTmpfs(const ScopedTmpfs&) = delete;
  ScopedTmpfs& operator=(const ScopedTmpfs&) = delete;

  bool mounted() const { return mounted_; }
  const std::string& dir() const { return dir_; }
  bool Remount(const std::string& mode) {
    return RunShell("mount -o remount," + mode + " " + dir_);
  }
  // Writes a file until the disk is full.
  void Fill(const std::string& name) {
    RunShell("dd if=/dev/zero of=" + dir_ + "/" + name + " bs=64k 2>/dev/null");
  }

 private:
  std::string dir_;
  bool mounted_ = false;
};

}  // namespace drover::testing
