// droverd's HTTP API (daemons/droverd/api_routes.h): each input is a short
// session of requests (http_fuzz_input.h) against a fresh droverd wired as
// daemons/droverd/main.cc wires it: ClusterState and IssuedTokens loaded from
// a SQLite store in a temporary directory, StateLoop, Metrics, LogFetcher, a
// token table, the request gate and the handler, each request served as HttpServer serves it
// (serve.h) and answered before the next is sent. Checks, besides serve.h's:
//  - the store accepts every batch (droverd would exit 70 otherwise);
//  - what the session committed loads again (droverd can restart).
// Long-polls (.../assignments) get timeoutMs <= 20 so a session stays short.
// Outgoing TCP connections (the log fetcher's, to a node's address) are
// refused here, so a fuzzed address never reaches the network.
#include <dlfcn.h>
#include <errno.h>
#include <spdlog/spdlog.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "daemons/droverd/api_routes.h"
#include "daemons/droverd/cluster_state.h"
#include "daemons/droverd/identity.h"
#include "daemons/droverd/issued_tokens.h"
#include "daemons/droverd/log_fetcher.h"
#include "daemons/droverd/metrics.h"
#include "daemons/droverd/state_loop.h"
#include "db/sqlite_store.h"
#include "fuzz_support.h"
#include "http_fuzz_input.h"
#include "serve.h"

using namespace drover;

// Takes the place of libc's connect() in this binary: TCP is refused at once.
extern "C" int connect(int fd, const struct sockaddr* addr, socklen_t len) {
  if (addr != nullptr && (addr->sa_family == AF_INET || addr->sa_family == AF_INET6)) {
    errno = ECONNREFUSED;
    return -1;
  }
  using Connect = int (*)(int, const struct sockaddr*, socklen_t);
  static Connect real = reinterpret_cast<Connect>(dlsym(RTLD_NEXT, "connect"));
  return real(fd, addr, len);
}

namespace {

constexpr size_t kMaxRequests = 8;
constexpr auto kAnswerTimeout = std::chrono::seconds(3);

struct Harness {
  std::string dir;
  fuzz::FuzzTokens tokens;
  droverd::TokenTable table;
  droverd::LogFetcher* logs = nullptr;
  bool verbose = false;  // DROVER_FUZZ_VERBOSE=1: print each request and answer
  SystemClock clock;
};
Harness* harness = nullptr;

// Forwards to SQLite; a refused commit is a finding (StateLoop would _Exit).
class CheckedStore final : public db::Store {
 public:
  explicit CheckedStore(db::Store& inner) : inner_(inner) {}
  Status Commit(const std::vector<db::Mutation>& batch) override {
    Status st = inner_.Commit(batch);
    if (!st.ok()) fuzz::Fail("the store refused a batch; droverd would exit 70", st.ToString());
    return st;
  }
  Result<std::vector<db::StoredObject>> LoadAll(std::string_view kind) override {
    return inner_.LoadAll(kind);
  }
  Result<db::StoredObject> Get(std::string_view kind, std::string_view key) override {
    return inner_.Get(kind, key);
  }
  Result<std::vector<HistoryRecord>> QueryHistory(const HistoryQuery& query) override {
    return inner_.QueryHistory(query);
  }
  Result<std::vector<db::HistoryUsage>> SumHistoryUsage(int64_t since_ms,
                                                        int64_t bucket_ms) override {
    return inner_.SumHistoryUsage(since_ms, bucket_ms);
  }
  Result<db::LeaderTerm> BeginTerm(const std::string& holder, int64_t now_ms) override {
    return inner_.BeginTerm(holder, now_ms);
  }
  Result<db::LeaderTerm> ReadLeaderTerm() override { return inner_.ReadLeaderTerm(); }
  int SchemaVersion() const override { return inner_.SchemaVersion(); }
  std::string_view Backend() const override { return inner_.Backend(); }

 private:
  db::Store& inner_;
};

void RemoveStore(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    std::filesystem::remove(path + suffix);
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::err);
  harness = new Harness;
  harness->dir = fuzz::ScratchDir();
  harness->verbose = std::getenv("DROVER_FUZZ_VERBOSE") != nullptr;
  harness->tokens.admin = "fuzz-admin-token-0001";
  harness->tokens.user = "fuzz-user-token-00001";
  harness->tokens.node = "fuzz-node-1-token-001";
  harness->tokens.node2 = "fuzz-node-2-token-001";
  harness->tokens.daemon_uid = static_cast<uint32_t>(getuid());
  auto table = droverd::TokenTable::Parse(harness->tokens.admin + " admin admin 0 0\n" +
                                              harness->tokens.user + " user alice 1000 1000\n" +
                                              harness->tokens.node + " node node-1\n" +
                                              harness->tokens.node2 + " node node-2\n",
                                          "fuzz tokens");
  if (!table.ok()) {
    std::fprintf(stderr, "%s\n", table.status().ToString().c_str());
    std::abort();
  }
  harness->table = std::move(*table);
  harness->logs = new droverd::LogFetcher(/*store=*/nullptr, /*threads=*/1);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<HttpRequest> requests =
      fuzz::ParseFuzzRequests(fuzz::Text(data, size), harness->tokens, kMaxRequests);
  if (requests.empty()) return 0;
  const std::string db_path = harness->dir + "/drover.db";
  RemoveStore(db_path);
  auto sqlite = db::SqliteStore::Open(db_path);
  FUZZ_CHECK(sqlite.ok(), sqlite.status().ToString());
  CheckedStore store(**sqlite);
  {
    droverd::ClusterState state("fuzz00000000epoch", droverd::DaemonConfig{});
    Status loaded = state.Load(store, SystemClock().NowMs());
    FUZZ_CHECK(loaded.ok(), loaded.ToString());
    droverd::IssuedTokens issued;
    Status tokens_loaded = issued.Load(store);
    FUZZ_CHECK(tokens_loaded.ok(), tokens_loaded.ToString());
    droverd::Metrics metrics;
    droverd::StateLoop loop(
        state, store, metrics,
        droverd::StateLoopOptions{
            .tick_ms = 100, .heartbeat_timeout_ms = 30'000, .clock = &harness->clock});
    droverd::ApiContext ctx{.loop = &loop,
                            .metrics = &metrics,
                            .tokens = &harness->table,
                            .logs = harness->logs,
                            .issued = &issued,
                            .daemon_uid = harness->tokens.daemon_uid,
                            .clock = &harness->clock,
                            .control_plane_key = "fuzz-control-plane-key-0000000001"};
    HttpRequestGate gate = droverd::MakeApiGate(ctx);
    HttpHandler handler = droverd::MakeApiHandler(ctx);
    loop.Start();
    for (HttpRequest& req : requests) {
      if (req.path.size() >= 12 &&
          req.path.compare(req.path.size() - 12, 12, "/assignments") == 0) {
        auto it = req.query.find("timeoutMs");
        if (it == req.query.end() || std::atoll(it->second.c_str()) > 20) {
          req.query["timeoutMs"] = "20";
        }
      }
      std::string what = fuzz::Describe(req);
      HttpResponse r = fuzz::Serve(gate, handler, std::move(req), kAnswerTimeout);
      if (harness->verbose) {
        std::fprintf(stderr, "%s -> %d %s\n", what.c_str(), r.status,
                     r.body.substr(0, 300).c_str());
      }
    }
    loop.Stop();
  }
  // A restart reads back everything the session committed.
  droverd::ClusterState restarted("fuzz00000000again", droverd::DaemonConfig{});
  Status reloaded = restarted.Load(store, SystemClock().NowMs());
  FUZZ_CHECK(reloaded.ok(), "droverd cannot restart from what it stored: " + reloaded.ToString());
  droverd::IssuedTokens issued_again;
  Status tokens_reloaded = issued_again.Load(store);
  FUZZ_CHECK(tokens_reloaded.ok(),
             "droverd cannot restart from the tokens it stored: " + tokens_reloaded.ToString());
  return 0;
}
