#include "daemons/log_shipper/log_shipper.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <set>
#include <vector>

#include "api/json_text.h"
#include "api/log_chunks.h"
#include "api/url_encoding.h"

namespace drover::log_shipper {
namespace {

struct LogFile {
  std::string path;
  std::string task;
  uint64_t inode = 0;
  int64_t size = 0;
};

std::vector<std::string> Entries(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return out;
  while (struct dirent* e = readdir(d)) {
    if (e->d_name[0] != '.') out.emplace_back(e->d_name);
  }
  closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

// Every STATE/logs/UID/JOB/TASK.out, as it is now.
std::vector<LogFile> ScanLogs(const std::string& logs_dir) {
  std::vector<LogFile> files;
  for (const std::string& uid : Entries(logs_dir)) {
    const std::string user_dir = logs_dir + "/" + uid;
    for (const std::string& job : Entries(user_dir)) {
      const std::string job_dir = user_dir + "/" + job;
      for (const std::string& name : Entries(job_dir)) {
        if (name.size() <= 4 || !name.ends_with(".out")) continue;
        LogFile f;
        f.path = job_dir + "/" + name;
        f.task = name.substr(0, name.size() - 4);
        struct stat st;
        if (lstat(f.path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
        f.inode = st.st_ino;
        f.size = st.st_size;
        files.push_back(std::move(f));
      }
    }
  }
  return files;
}

// Up to `max` bytes of `path` from `offset`, if it is still the file `inode`.
std::string ReadFrom(const std::string& path, uint64_t inode, int64_t offset, size_t max) {
  int fd = open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return {};
  struct stat st;
  std::string out;
  if (fstat(fd, &st) == 0 && st.st_ino == inode) {
    out.resize(max);
    size_t got = 0;
    while (got < max) {
      ssize_t n = pread(fd, out.data() + got, max - got, offset + static_cast<int64_t>(got));
      if (n <= 0) break;
      got += static_cast<size_t>(n);
    }
    out.resize(got);
  }
  close(fd);
  return out;
}

}  // namespace

Result<std::unique_ptr<LogShipper>> LogShipper::Create(LogShipperOptions options) {
  auto checkpoint = ShippingCheckpoint::Load(options.checkpoint_path);
  if (!checkpoint.ok()) return checkpoint.status();
  return std::unique_ptr<LogShipper>(new LogShipper(std::move(options), std::move(*checkpoint)));
}

LogShipper::LogShipper(LogShipperOptions options, ShippingCheckpoint checkpoint)
    : options_(std::move(options)),
      checkpoint_(std::move(checkpoint)),
      client_(options_.server, options_.token, HttpClientOptions{options_.ca_file}) {}

Result<ShipResult> LogShipper::ShipOnce() {
  std::vector<LogFile> files = ScanLogs(options_.logs_dir);
  std::set<std::string> present;
  for (const LogFile& f : files) present.insert(f.path);
  checkpoint_.KeepOnly([&](const std::string& path) { return present.count(path) > 0; });

  std::vector<const LogFile*> growing;
  for (const LogFile& f : files) {
    FileProgress p = checkpoint_.Get(f.path, f.inode);
    if (!p.done && f.size > p.offset) growing.push_back(&f);
  }
  ShipResult result;
  result.files = growing.size();
  if (growing.empty()) return result;

  std::vector<LogChunk> chunks;
  std::vector<const LogFile*> sources;
  size_t budget = options_.max_batch_bytes;
  const size_t first = start_++ % growing.size();
  for (size_t k = 0; k < growing.size() && budget > 0; ++k) {
    const LogFile* f = growing[(first + k) % growing.size()];
    FileProgress p = checkpoint_.Get(f->path, f->inode);
    const size_t want = static_cast<size_t>(std::min<int64_t>(f->size - p.offset, budget));
    std::string data = ReadFrom(f->path, f->inode, p.offset, want);
    if (data.empty()) continue;
    budget -= data.size();
    if (data.size() < static_cast<size_t>(f->size - p.offset)) result.more = true;
    chunks.push_back(LogChunk{f->task, p.offset, std::move(data)});
    sources.push_back(f);
  }
  if (budget == 0) result.more = true;
  if (chunks.empty()) return result;

  auto r = client_.Send("POST", "/api/v1/nodes/" + PercentEncode(options_.node) + "/logs",
                        EncodeLogChunks(chunks), std::chrono::seconds(30));
  if (!r.ok()) return r.status();
  DROVER_RETURN_IF_ERROR(StatusFromResponse(*r));
  auto body = ParseJson(r->body);
  if (!body.ok() || !body->contains("acks") || !(*body)["acks"].is_array() ||
      (*body)["acks"].size() != chunks.size()) {
    return Status::Internal("droverd answered the shipment with something that is not acks");
  }
  const Json& acks = (*body)["acks"];
  for (size_t i = 0; i < chunks.size(); ++i) {
    const Json& a = acks[i];
    FileProgress p = checkpoint_.Get(sources[i]->path, sources[i]->inode);
    if (a.value("skip", false)) {
      p.done = true;
    } else {
      // Where droverd is now: after this chunk, or where a resend must start.
      const int64_t held = a.value("size", p.offset);
      if (held > p.offset) result.bytes += static_cast<size_t>(held - p.offset);
      p.offset = std::min<int64_t>(held, sources[i]->size);
    }
    checkpoint_.Set(sources[i]->path, p);
  }
  DROVER_RETURN_IF_ERROR(checkpoint_.Save());
  return result;
}

}  // namespace drover::log_shipper
