#include "daemons/node/node_credential.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <thread>

#include "api/http_client.h"
#include "api/json_text.h"
#include "api/url_encoding.h"

namespace drover::node {
namespace {

// Writes the credential where only this process's user can read it: a new
// file (never one a symlink points at), renamed into place once complete.
Status KeepCredential(const std::string& path, const std::string& secret) {
  const std::string temporary = path + ".new";
  ::unlink(temporary.c_str());
  int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    return Status::Internal("cannot create " + temporary + ": " + std::strerror(errno));
  }
  const std::string text = secret + "\n";
  bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  written = ::fsync(fd) == 0 && written;
  ::close(fd);
  if (!written || ::rename(temporary.c_str(), path.c_str()) != 0) {
    ::unlink(temporary.c_str());
    return Status::Internal("cannot write " + path + ": " + std::strerror(errno));
  }
  return Status::Ok();
}

Result<std::string> Join(const CredentialSource& source, const std::string& join_token) {
  HttpClient client(source.server, join_token, HttpClientOptions{source.ca_file});
  const std::string target = "/api/v1/nodes/" + PercentEncode(source.name) + "/join";
  Status st;
  for (int attempt = 0; attempt < 50; ++attempt) {
    auto r = client.Send("POST", target, "", std::chrono::seconds(10));
    st = r.ok() ? StatusFromResponse(*r) : r.status();
    if (st.ok()) {
      auto answer = ParseJson(r->body);
      if (answer.ok() && answer->is_object() && answer->contains("token") &&
          (*answer)["token"].is_string()) {
        return (*answer)["token"].get<std::string>();
      }
      return Status::Internal("droverd's join answer holds no token");
    }
    if (st.code() != StatusCode::kUnavailable) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return st;
}

}  // namespace

std::string ReadTokenFile(const std::string& path) {
  std::ifstream in(path);
  std::string token;
  in >> token;
  return token;
}

Result<std::string> ObtainNodeCredential(const CredentialSource& source) {
  if (!source.token_file.empty()) {
    std::string token = ReadTokenFile(source.token_file);
    if (token.empty()) return Status::Invalid("--token-file", "no token in " + source.token_file);
    return token;
  }
  const std::string kept = source.state_dir + "/node.credential";
  std::string token = ReadTokenFile(kept);
  if (!token.empty()) return token;
  if (source.join_token_file.empty()) {
    return Status::Invalid("--join-token-file",
                           "this node has no credential (" + kept +
                               "): give --join-token-file (drover token create --join) or "
                               "--token-file");
  }
  std::string join_token = ReadTokenFile(source.join_token_file);
  if (join_token.empty()) {
    return Status::Invalid("--join-token-file", "no token in " + source.join_token_file);
  }
  auto credential = Join(source, join_token);
  if (!credential.ok()) {
    const Status& st = credential.status();
    return Status(st.code(), "joining as node " + source.name + ": " + st.message(), st.field());
  }
  DROVER_RETURN_IF_ERROR(KeepCredential(kept, *credential));
  spdlog::info("joined the cluster as node {}; credential kept in {}", source.name, kept);
  return *credential;
}

}  // namespace drover::node
