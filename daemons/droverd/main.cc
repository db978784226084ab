// droverd: the control plane. Owns cluster state, makes it durable in the
// store, schedules, and serves the API (docs/api.md).
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/program_options.hpp>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <optional>
#include <random>

#include "api/http_server.h"
#include "daemons/droverd/api_routes.h"
#include "daemons/droverd/cluster_state.h"
#include "daemons/droverd/control_plane_key.h"
#include "daemons/droverd/daemon_config.h"
#include "daemons/droverd/history_reader.h"
#include "daemons/droverd/log_store.h"
#include "daemons/droverd/mail_sender.h"
#include "daemons/droverd/metrics.h"
#include "daemons/droverd/serving_role.h"
#include "daemons/droverd/state_loop.h"
#include "daemons/droverd/task_credentials.h"
#include "daemons/listen_address.h"
#include "daemons/stop_signals.h"
#include "db/leader_lock.h"
#include "db/migrations.h"
#include "db/store.h"

namespace po = boost::program_options;
using namespace drover;
using namespace drover::droverd;

namespace {

std::string RandomEpoch() {
  std::random_device rd;
  char buf[17];
  std::snprintf(buf, sizeof buf, "%08x%08x", rd(), rd());
  return buf;
}

// Whether a server accepts connections on the Unix socket `path`.
bool UnixSocketAnswers(const std::string& path) {
  sockaddr_un addr{};
  if (path.size() >= sizeof addr.sun_path) return false;
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  const bool answers = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return answers;
}

// Waits until this droverd holds the leader lock, answering as a standby
// meanwhile. Returns 0 once it leads, else the exit code (a stop signal: 0
// with *stopped set; a standby of another schema version: 2).
int WaitToLead(db::LeaderLock& lock, ServingRole& role, daemons::StopSignals& signals,
               int64_t poll_ms, bool* stopped) {
  Result<bool> got = lock.TryAcquire();
  bool announced = false;
  std::string last_error;
  while (!got.ok() || !*got) {
    if (got.ok()) {
      last_error.clear();
      Result<db::LeaderTerm> term = lock.CurrentTerm();
      if (term.ok()) role.SetLeaderAddress(term->holder);
      if (!announced) {
        // A standby takes over the leader's store as it is: it must run the
        // same schema, or it would migrate (or misread) it under the leader.
        Result<int> version = lock.StoreSchemaVersion();
        const int mine = db::LatestVersion(db::BuiltinMigrations());
        if (version.ok() && *version != 0 && *version != mine) {
          std::cerr << "droverd: the store's schema is version " << *version
                    << " and this droverd's is version " << mine
                    << ": a standby must run the leader's version of Drover (to upgrade, stop "
                       "every droverd and start the new version)\n";
          return 2;
        }
        spdlog::info("droverd: standby; the leader is {} (term {}); taking over when it stops",
                     term.ok() && !term->holder.empty() ? term->holder : "unknown",
                     term.ok() ? term->term : 0);
        announced = true;
      }
    } else if (got.status().message() != last_error) {
      last_error = got.status().message();
      spdlog::warn("droverd: cannot try the leader lock: {}", last_error);
    }
    if (signals.WaitFor(std::chrono::milliseconds(poll_ms)) != 0) {
      *stopped = true;
      return 0;
    }
    got = lock.TryAcquire();
  }
  return 0;
}

// The leading droverd's watch over its lock, until a stop signal: a lock
// whose session ended (PostgreSQL restarted) is taken again if no other
// droverd took a term meanwhile; otherwise this droverd exits (75), as its
// commits would be fenced off anyway.
int WatchLeadership(db::LeaderLock& lock, int64_t term, daemons::StopSignals& signals) {
  std::string last_error;
  while (true) {
    if (int sig = signals.WaitFor(std::chrono::seconds(1)); sig != 0) return sig;
    if (lock.CheckHeld().ok()) continue;
    Result<bool> again = lock.TryAcquire();
    if (!again.ok()) {
      if (again.status().message() != last_error) {
        last_error = again.status().message();
        spdlog::warn("droverd: lost the leader lock's session and cannot take it again yet: {}",
                     last_error);
      }
      continue;
    }
    last_error.clear();
    Result<db::LeaderTerm> current = lock.CurrentTerm();
    if (*again && current.ok() && current->term == term) {
      spdlog::info("droverd: took the leader lock again (term {})", term);
      continue;
    }
    spdlog::critical("droverd: another droverd leads now{}; exiting",
                     current.ok()
                         ? " (term " + std::to_string(current->term) + ", " + current->holder + ")"
                         : "");
    std::_Exit(75);
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string store_url, listen, socket_path, state_dir, token_file, config_file;
  std::string tls_listen, tls_cert, tls_key, advertise;
  bool allow_plain_tcp = false;
  int64_t standby_poll_ms = 1'000;
  // Five missed heartbeats of a node (2 s apart). Short, so services move
  // quickly off a dead node; safe, because a node declared lost too early
  // has its copies fenced when it speaks again.
  int64_t heartbeat_timeout_ms = 10'000;
  int io_threads = 2;
  size_t max_connections = 4096, max_connections_per_peer = 512;
  po::options_description opts("droverd options");
  opts.add_options()("help,h", "show this help")(
      "state-dir", po::value(&state_dir)->default_value(""),
      "directory for the SQLite store and the socket (default: current directory)")(
      "store", po::value(&store_url)->default_value(""),
      "sqlite:/path/drover.db or postgresql://user@host:port/db (default: STATE/drover.db)")(
      "listen", po::value(&listen)->default_value("127.0.0.1:6817"),
      "TCP address to serve the API on (port 0 = any free port)")(
      "socket", po::value(&socket_path)->default_value(""),
      "Unix socket to serve the API on (default: STATE/droverd.sock)")(
      "token-file", po::value(&token_file)->default_value(""),
      "bearer tokens: lines of \"TOKEN admin|user USER UID GID\" or \"TOKEN node NODE\"")(
      "config", po::value(&config_file)->default_value(""),
      "scheduler policy, queues, priority weights (YAML; see docs/admin.md)")(
      "heartbeat-timeout-ms", po::value(&heartbeat_timeout_ms)->default_value(10'000),
      "a node silent this long is NotReady and its tasks are Lost")(
      "io-threads", po::value(&io_threads)->default_value(2), "HTTP I/O threads")(
      "tls-listen", po::value(&tls_listen)->default_value(""),
      "HOST:PORT to serve the API on with TLS (needs --tls-cert and --tls-key)")(
      "tls-cert", po::value(&tls_cert)->default_value(""), "PEM certificate (chain) for TLS")(
      "tls-key", po::value(&tls_key)->default_value(""), "PEM private key for TLS")(
      "allow-plain-tcp", po::bool_switch(&allow_plain_tcp),
      "serve plain HTTP on a --listen address that is not loopback (tokens travel in clear)")(
      "max-connections", po::value(&max_connections)->default_value(4096),
      "open connections at once, in all")(
      "max-connections-per-peer", po::value(&max_connections_per_peer)->default_value(512),
      "open connections at once from one address (TCP) or one uid (Unix socket)")(
      "advertise", po::value(&advertise)->default_value(""),
      "the API address standbys send clients to while this droverd leads (default: the "
      "--tls-listen address as https://, else --listen's)")(
      "standby-poll-ms", po::value(&standby_poll_ms)->default_value(1'000),
      "how often a standby tries to take the lead");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, opts), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "droverd: " << e.what() << "\n" << opts;
    return 2;
  }
  if (vm.count("help")) {
    std::cout << opts;
    return 0;
  }
  if (state_dir.empty()) state_dir = std::filesystem::current_path().string();
  std::filesystem::create_directories(state_dir);
  if (store_url.empty()) store_url = "sqlite:" + state_dir + "/drover.db";
  if (socket_path.empty()) socket_path = state_dir + "/droverd.sock";
  if (standby_poll_ms < 10) {
    std::cerr << "droverd: --standby-poll-ms must be at least 10\n";
    return 2;
  }
  if (heartbeat_timeout_ms < 100) {
    std::cerr << "droverd: --heartbeat-timeout-ms must be at least 100\n";
    return 2;
  }
  auto plain = daemons::ParseListenAddress(listen, "--listen");
  if (!plain.ok()) {
    std::cerr << "droverd: " << plain.status().ToString() << "\n";
    return 2;
  }
  const std::string host = plain->host;
  const uint16_t port = plain->port;
  if (!daemons::IsLoopbackHost(host) && !allow_plain_tcp) {
    std::cerr << "droverd: --listen " << listen
              << " is not loopback: bearer tokens would cross the network in clear. Serve TLS "
                 "there (--tls-listen, --tls-cert, --tls-key) and keep --listen on 127.0.0.1, "
                 "or pass --allow-plain-tcp\n";
    return 2;
  }
  std::optional<daemons::ListenAddress> tls;
  if (!tls_listen.empty()) {
    auto a = daemons::ParseListenAddress(tls_listen, "--tls-listen");
    if (!a.ok()) {
      std::cerr << "droverd: " << a.status().ToString() << "\n";
      return 2;
    }
    if (tls_cert.empty() || tls_key.empty()) {
      std::cerr << "droverd: --tls-listen needs --tls-cert and --tls-key\n";
      return 2;
    }
    tls = *a;
  }

  daemons::StopSignals stop_signals;
  stop_signals.Block();

  TokenTable tokens;
  if (!token_file.empty()) {
    auto t = TokenTable::Load(token_file);
    if (!t.ok()) {
      std::cerr << "droverd: " << t.status().ToString() << "\n";
      return 1;
    }
    tokens = std::move(*t);
  }
  DaemonConfig config;
  if (!config_file.empty()) {
    auto c = LoadDaemonConfig(config_file);
    if (!c.ok()) {
      std::cerr << "droverd: bad configuration: " << c.status().ToString() << "\n";
      return 2;
    }
    config = std::move(*c);
  }
  auto leader_lock = db::OpenLeaderLock(store_url);
  if (!leader_lock.ok()) {
    std::cerr << "droverd: cannot reach the store: " << leader_lock.status().ToString() << "\n";
    return 1;
  }
  Result<bool> first_try = (*leader_lock)->TryAcquire();
  const bool led_at_once = first_try.ok() && *first_try;
  if (!led_at_once && UnixSocketAnswers(socket_path)) {
    std::cerr << "droverd: another droverd serves unix:" << socket_path
              << "; a standby needs a socket of its own (--state-dir or --socket)\n";
    return 2;
  }
  ServingRole role;
  HttpServerOptions http_options;
  http_options.io_threads = io_threads;
  http_options.max_connections = max_connections;
  http_options.max_connections_per_peer = max_connections_per_peer;
  http_options.gate = role.Gate();
  HttpServer server(role.Handler(), std::move(http_options));
  Status listening = server.ListenTcp(host, port);
  if (listening.ok()) listening = server.ListenUnix(socket_path);
  if (listening.ok() && tls)
    listening = server.ListenTls(tls->host, tls->port, {tls_cert, tls_key});
  if (!listening.ok()) {
    std::cerr << "droverd: " << listening.ToString() << "\n";
    return 1;
  }
  if (advertise.empty()) {
    const auto url_host = [](const std::string& h) {
      return h.find(':') != std::string::npos ? "[" + h + "]" : h;
    };
    advertise = tls ? "https://" + url_host(tls->host) + ":" + std::to_string(server.tls_port())
                    : "http://" + url_host(host) + ":" + std::to_string(server.tcp_port());
  }
  // A droverd that leads at once serves only once it has loaded the store, as
  // a lone droverd always did; a standby serves its answers while it waits.
  if (!led_at_once) {
    server.Start();
    std::cout << "listening " << host << ":" << server.tcp_port() << std::endl;
    bool stopped = false;
    if (int rc = WaitToLead(**leader_lock, role, stop_signals, standby_poll_ms, &stopped);
        rc != 0 || stopped) {
      server.Stop();
      std::filesystem::remove(socket_path);
      return rc;
    }
  }

  auto store = db::OpenStore(store_url);
  if (!store.ok()) {
    std::cerr << "droverd: cannot open store: " << store.status().ToString() << "\n";
    return 1;
  }
  const SystemClock system_clock;
  // The term fences every later commit: once another droverd takes a newer
  // one, this one writes nothing more.
  auto term = (*store)->BeginTerm(advertise, system_clock.NowMs());
  if (!term.ok()) {
    std::cerr << "droverd: cannot take the leader term: " << term.status().ToString() << "\n";
    return 1;
  }
  spdlog::info("droverd: leading (term {}) as {}", term->term, advertise);
  const bool logs_public = config.logs_public;
  const BuiltinDaemonsConfig builtin_daemons = config.builtin_daemons;
  LogStoreOptions log_options;
  log_options.dir = state_dir + "/task-logs";
  log_options.retention_s = config.log_retention_s;
  log_options.max_bytes = config.log_max_bytes;
  const std::map<std::string, QueueAccess> queue_access = config.queue_access;
  std::unique_ptr<MailSender> mail_sender;
  if (!config.mail_program.empty()) mail_sender = std::make_unique<MailSender>(config.mail_program);
  ClusterState state(RandomEpoch(), std::move(config));
  Status loaded = state.Load(**store, system_clock.NowMs());
  if (!loaded.ok()) {
    std::cerr << "droverd: cannot load state: " << loaded.ToString() << "\n";
    return 1;
  }
  spdlog::info("droverd: store {} (schema v{}), {} jobs, {} nodes loaded", (*store)->Backend(),
               (*store)->SchemaVersion(), state.jobs().size(), state.nodes().size());

  IssuedTokens issued;
  Status tokens_loaded = issued.Load(**store);
  if (!tokens_loaded.ok()) {
    std::cerr << "droverd: cannot load issued tokens: " << tokens_loaded.ToString() << "\n";
    return 1;
  }
  Metrics metrics;
  StateLoop loop(state, **store, metrics,
                 StateLoopOptions{.tick_ms = 100,
                                  .heartbeat_timeout_ms = heartbeat_timeout_ms,
                                  .clock = &system_clock,
                                  .mail = mail_sender.get()});
  auto control_plane_key = LoadOrCreateControlPlaneKey(**store);
  if (!control_plane_key.ok()) {
    std::cerr << "droverd: " << control_plane_key.status().ToString() << "\n";
    return 1;
  }
  TaskCredentials task_credentials(*control_plane_key);
  state.SetTaskCredentials(&task_credentials);
  auto log_store = LogStore::Open(log_options);
  if (!log_store.ok()) {
    std::cerr << "droverd: " << log_store.status().ToString() << "\n";
    return 1;
  }
  LogFetcher log_fetcher(log_store->get());
  auto history_store = db::OpenStore(store_url);  // sacct's own connection
  if (!history_store.ok()) {
    std::cerr << "droverd: cannot open the store for history reads: "
              << history_store.status().ToString() << "\n";
    return 1;
  }
  HistoryReader history_reader(std::move(*history_store));
  ApiContext ctx{.loop = &loop,
                 .metrics = &metrics,
                 .tokens = &tokens,
                 .logs = &log_fetcher,
                 .issued = &issued,
                 .task_credentials = &task_credentials,
                 .log_store = log_store->get(),
                 .daemon_uid = static_cast<uint32_t>(getuid()),
                 .clock = &system_clock,
                 .control_plane_key = *control_plane_key,
                 .logs_public = logs_public,
                 .queue_access = &queue_access,
                 .history = &history_reader};
  metrics.SetHttpStatsSource([&server] { return server.stats(); });
  loop.Start();
  // droverd's own DaemonSets, run as droverd's user (an admin).
  Caller system;
  system.role = Role::kAdmin;
  system.uid = static_cast<uint32_t>(getuid());
  system.gid = static_cast<uint32_t>(getgid());
  system.user = UserName(system.uid);
  const std::string bin_dir =
      std::filesystem::read_symlink("/proc/self/exe").parent_path().string();
  loop.Post([wanted = BuiltinDaemonSets(builtin_daemons, bin_dir), system](CommandContext& c) {
    for (const std::string& name : c.state.EnsureDaemonSets(wanted, system, c.now_ms)) {
      spdlog::info("droverd: created the built-in DaemonSet {}", name);
    }
  });
  role.Lead(MakeApiHandler(ctx), MakeApiGate(ctx));
  if (led_at_once) {
    server.Start();
    // For scripts that start droverd with port 0.
    std::cout << "listening " << host << ":" << server.tcp_port() << std::endl;
  }
  spdlog::info("droverd: serving on http://{}:{} and unix:{}", host, server.tcp_port(),
               socket_path);
  if (tls) spdlog::info("droverd: serving TLS on https://{}:{}", tls->host, server.tls_port());

  int sig = WatchLeadership(**leader_lock, term->term, stop_signals);
  spdlog::info("droverd: signal {}, stopping", sig);
  server.Stop();
  loop.Stop();
  std::filesystem::remove(socket_path);
  return 0;
}
