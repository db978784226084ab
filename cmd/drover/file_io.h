// Small file-system operations the CLI needs, with errors as values.
#pragma once

#include <sys/types.h>

#include <string>

#include "api/status.h"

namespace drover::cli {

// The whole file; NotFound if it does not exist, Internal for other errors.
Result<std::string> ReadFile(const std::string& path);

// Everything from standard input.
std::string ReadStdin();

// Writes `content` to `path` atomically (a temporary file in the same
// directory, fsync, rename) with permission bits `mode`, creating missing
// parent directories with mode 0700.
Status WriteFileAtomic(const std::string& path, const std::string& content, mode_t mode);

// mkdir -p with `mode` for the directories it creates.
Status MakeDirs(const std::string& path, mode_t mode);

// The directory part of a path ("/a/b/c" -> "/a/b"; "c" -> ".").
std::string DirName(const std::string& path);
std::string BaseName(const std::string& path);

// `path` made absolute against `base` (which must be absolute); empty stays empty.
std::string AbsolutePath(const std::string& path, const std::string& base);

// The current working directory.
std::string CurrentDir();

}  // namespace drover::cli
