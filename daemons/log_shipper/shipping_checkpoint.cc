#include "daemons/log_shipper/shipping_checkpoint.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "api/json_text.h"

namespace drover::log_shipper {

Result<ShippingCheckpoint> ShippingCheckpoint::Load(const std::string& path) {
  ShippingCheckpoint c;
  c.path_ = path;
  std::ifstream in(path);
  if (!in) return c;
  std::stringstream text;
  text << in.rdbuf();
  auto json = ParseJson(text.str());
  if (!json.ok() || !json->is_object() || !json->contains("files") ||
      !(*json)["files"].is_object()) {
    return Status::Invalid(path, "is not a log shipper checkpoint");
  }
  try {
    for (const auto& [file, p] : (*json)["files"].items()) {
      c.files_[file] = FileProgress{p.at("inode").get<uint64_t>(), p.at("offset").get<int64_t>(),
                                    p.value("done", false)};
    }
  } catch (const Json::exception& e) {
    return Status::Invalid(path, std::string("is not a log shipper checkpoint: ") + e.what());
  }
  return c;
}

Status ShippingCheckpoint::Save() const {
  Json files = Json::object();
  for (const auto& [file, p] : files_) {
    files[file] = {{"inode", p.inode}, {"offset", p.offset}};
    if (p.done) files[file]["done"] = true;
  }
  const std::string text = Json{{"files", std::move(files)}}.dump();
  const std::string tmp = path_ + ".tmp";
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return Status::Internal(tmp + ": " + std::strerror(errno));
  bool ok = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ok = fsync(fd) == 0 && ok;
  close(fd);
  if (!ok || std::rename(tmp.c_str(), path_.c_str()) != 0) {
    return Status::Internal("cannot save the checkpoint " + path_ + ": " + std::strerror(errno));
  }
  return Status::Ok();
}

FileProgress ShippingCheckpoint::Get(const std::string& path, uint64_t inode) const {
  auto it = files_.find(path);
  if (it == files_.end() || it->second.inode != inode) return FileProgress{inode, 0, false};
  return it->second;
}

void ShippingCheckpoint::Set(const std::string& path, FileProgress progress) {
  files_[path] = progress;
}

}  // namespace drover::log_shipper
