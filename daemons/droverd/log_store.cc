#include "daemons/droverd/log_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

namespace drover::droverd {
namespace {

constexpr const char* kSuffix = ".out";

int64_t MtimeMs(const struct stat& st) {
  return int64_t{st.st_mtim.tv_sec} * 1000 + st.st_mtim.tv_nsec / 1'000'000;
}

bool WriteAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

bool LogStore::IsValidTaskName(const std::string& task) {
  if (task.empty() || task.size() > 253 || task[0] == '.') return false;
  return std::all_of(task.begin(), task.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
  });
}

Result<std::unique_ptr<LogStore>> LogStore::Open(LogStoreOptions options) {
  std::error_code ec;
  std::filesystem::create_directories(options.dir, ec);
  if (ec || chmod(options.dir.c_str(), 0700) != 0) {
    return Status::Internal("log store " + options.dir +
                            " cannot be made: " + (ec ? ec.message() : std::strerror(errno)));
  }
  return std::unique_ptr<LogStore>(new LogStore(std::move(options)));
}

LogStore::LogStore(LogStoreOptions options) : options_(std::move(options)) {
  // The start-up sweep, before anything is appended: run by the writer, it
  // could fall after the first writes and sweep files just written.
  Sweep();
  writer_ = std::thread([this] { Run(); });
}

LogStore::~LogStore() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  writer_.join();
  for (Pending& p : queue_) {
    std::vector<LogAck> acks;
    for (const LogChunk& c : p.chunks) acks.push_back({c.task, 0, "droverd is stopping"});
    p.done(std::move(acks));
  }
}

std::string LogStore::PathOf(const std::string& task) const {
  return options_.dir + "/" + task + kSuffix;
}

bool LogStore::Submit(std::vector<LogChunk> chunks, std::function<void(std::vector<LogAck>)> done) {
  size_t bytes = 0;
  for (const LogChunk& c : chunks) bytes += c.data.size();
  std::lock_guard<std::mutex> lock(mu_);
  if (stopping_ || (queued_bytes_ > 0 && queued_bytes_ + bytes > options_.max_queued_bytes)) {
    return false;
  }
  queued_bytes_ += bytes;
  queue_.push_back(Pending{std::move(chunks), std::move(done), bytes});
  cv_.notify_one();
  return true;
}

std::vector<LogAck> LogStore::Append(const std::vector<LogChunk>& chunks) {
  std::vector<LogAck> acks;
  acks.reserve(chunks.size());
  for (const LogChunk& c : chunks) {
    LogAck ack{c.task, 0, ""};
    if (!IsValidTaskName(c.task)) {
      ack.error = "not a task name";
      acks.push_back(std::move(ack));
      continue;
    }
    int fd =
        open(PathOf(c.task).c_str(), O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
      ack.error = std::string("cannot open the log: ") + std::strerror(errno);
      if (fd >= 0) close(fd);
      acks.push_back(std::move(ack));
      continue;
    }
    ack.size = st.st_size;
    const int64_t end = c.offset + static_cast<int64_t>(c.data.size());
    if (c.offset > ack.size) {
      ack.error = "starts at " + std::to_string(c.offset) + ", after the " +
                  std::to_string(ack.size) + " bytes held: resend from there";
    } else if (end > ack.size) {
      const size_t skip = static_cast<size_t>(ack.size - c.offset);
      if (WriteAll(fd, c.data.data() + skip, c.data.size() - skip)) {
        ack.size = end;
      } else {
        ack.error = std::string("cannot write the log: ") + std::strerror(errno);
        if (fstat(fd, &st) == 0) ack.size = st.st_size;
      }
    }
    close(fd);
    acks.push_back(std::move(ack));
  }
  return acks;
}

Result<std::string> LogStore::Read(const std::string& task, int64_t offset,
                                   size_t max_bytes) const {
  if (!IsValidTaskName(task)) return Status::NotFound("no stored log of task " + task);
  int fd = open(PathOf(task).c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return Status::NotFound("no stored log of task " + task);
  std::string out(max_bytes, '\0');
  size_t got = 0;
  while (got < max_bytes) {
    ssize_t n = pread(fd, out.data() + got, max_bytes - got, offset + static_cast<int64_t>(got));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  close(fd);
  out.resize(got);
  return out;
}

std::optional<int64_t> LogStore::Size(const std::string& task) const {
  struct stat st;
  if (!IsValidTaskName(task) || lstat(PathOf(task).c_str(), &st) != 0) return std::nullopt;
  return st.st_size;
}

void LogStore::Sweep() {
  const int64_t now_ms = options_.clock != nullptr
                             ? options_.clock->NowMs()
                             : std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count();
  struct File {
    std::string path;
    int64_t mtime_ms;
    int64_t size;
  };
  std::vector<File> files;
  DIR* d = opendir(options_.dir.c_str());
  if (d == nullptr) return;
  while (struct dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name.size() <= 4 || name.compare(name.size() - 4, 4, kSuffix) != 0) continue;
    struct stat st;
    std::string path = options_.dir + "/" + name;
    if (lstat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    files.push_back({std::move(path), MtimeMs(st), st.st_size});
  }
  closedir(d);
  std::sort(files.begin(), files.end(),
            [](const File& a, const File& b) { return a.mtime_ms < b.mtime_ms; });
  int64_t total = 0;
  for (const File& f : files) total += f.size;
  for (const File& f : files) {
    const bool expired =
        options_.retention_s > 0 && f.mtime_ms + options_.retention_s * 1000 < now_ms;
    const bool over = options_.max_bytes > 0 && total > options_.max_bytes;
    if (!expired && !over) break;  // sorted oldest first: the rest are newer
    if (unlink(f.path.c_str()) == 0) total -= f.size;
  }
}

void LogStore::Run() {
  auto next_sweep =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.sweep_interval_ms);
  for (;;) {
    Pending p;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_until(lock, next_sweep, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      if (queue_.empty()) {
        lock.unlock();
        Sweep();
        next_sweep = std::chrono::steady_clock::now() +
                     std::chrono::milliseconds(options_.sweep_interval_ms);
        continue;
      }
      p = std::move(queue_.front());
      queue_.pop_front();
    }
    std::vector<LogAck> acks = Append(p.chunks);
    {
      std::lock_guard<std::mutex> lock(mu_);
      queued_bytes_ -= p.bytes;
    }
    p.done(std::move(acks));
  }
}

}  // namespace drover::droverd
