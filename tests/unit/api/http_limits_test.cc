// The server's bounds on time and connections: slow and silent clients are
// timed out, connections over the caps are answered 503, and running out of
// file descriptors backs the accept loop off instead of spinning.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/un.h>
#include <time.h>

#include <atomic>
#include <cstdio>
#include <memory>
#include <thread>
#include <vector>

#include "api/http_client.h"
#include "api/http_server.h"
#include "tests/unit/api/http_test_support.h"

namespace drover {
namespace {

using http_test::RawConnection;
using http_test::Request;
using http_test::WaitFor;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

HttpHandler Ok() {
  return [](HttpRequest, HttpResponder respond) { respond(HttpResponse{200, "text/plain", "ok"}); };
}

HttpServerOptions Short() {
  HttpServerOptions o;
  o.header_timeout = milliseconds(400);
  o.body_timeout = milliseconds(400);
  o.idle_timeout = milliseconds(400);
  o.write_timeout = milliseconds(2000);
  return o;
}

class HttpLimitsTest : public ::testing::Test {
 protected:
  void Serve(HttpServerOptions options, HttpHandler handler = Ok()) {
    server_ = std::make_unique<HttpServer>(std::move(handler), std::move(options));
    ASSERT_TRUE(server_->ListenTcp("127.0.0.1", 0).ok());
    server_->Start();
  }
  uint16_t port() const { return server_->tcp_port(); }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port()); }

  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpLimitsTest, SlowHeaderClientIsClosedWhileAnotherIsServed) {
  Serve(Short());
  std::string head = Request("GET", "/slow", "X-Padding: abcdefghijklmnop\r\n");
  RawConnection slow(port());
  ASSERT_TRUE(slow.ok());
  auto start = Clock::now();
  std::atomic<bool> stop{false};
  // One byte every 50 ms: the whole head would take over 3 s, the server
  // allows 400 ms.
  std::thread dribble([&] {
    for (char c : head) {
      if (stop || !slow.Send(std::string_view(&c, 1))) return;
      std::this_thread::sleep_for(milliseconds(50));
    }
  });
  // Meanwhile another client is served at once.
  HttpClient fast(endpoint());
  auto r = fast.Send("GET", "/fast", "", milliseconds(2000));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  auto answer = slow.ReadResponse(milliseconds(3000));
  auto elapsed = Clock::now() - start;
  stop = true;
  dribble.join();
  ASSERT_TRUE(answer.has_value()) << "the slow client was never answered";
  EXPECT_EQ(answer->status, 408);
  EXPECT_TRUE(slow.WaitClosed(milliseconds(3000)));
  EXPECT_GE(elapsed, milliseconds(350));
  EXPECT_LT(elapsed, milliseconds(2500));
  EXPECT_EQ(server_->stats().requests_timed_out, 1u);
}

TEST_F(HttpLimitsTest, ContentLengthLongerThanTheBodyTimesOutInsteadOfHanging) {
  std::atomic<int> handled{0};
  Serve(Short(), [&](HttpRequest, HttpResponder respond) {
    ++handled;
    respond(HttpResponse{200, "text/plain", "ok"});
  });
  RawConnection c(port());
  ASSERT_TRUE(c.ok());
  auto start = Clock::now();
  c.Send("POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nonly-twenty-bytes...");
  auto r = c.ReadResponse(milliseconds(3000));
  ASSERT_TRUE(r.has_value()) << "the server waited for the rest of the body";
  EXPECT_EQ(r->status, 408);
  EXPECT_TRUE(c.WaitClosed(milliseconds(3000)));
  EXPECT_LT(Clock::now() - start, milliseconds(2500));
  EXPECT_EQ(handled, 0);
}

TEST_F(HttpLimitsTest, SilentConnectionIsClosedAfterTheHeaderTimeout) {
  Serve(Short());
  RawConnection c(port());
  ASSERT_TRUE(c.ok());
  auto start = Clock::now();
  EXPECT_TRUE(c.WaitClosed(milliseconds(3000)));
  EXPECT_GE(Clock::now() - start, milliseconds(350));
  EXPECT_TRUE(WaitFor([&] { return server_->stats().idle_timeouts == 1; }));
}

TEST_F(HttpLimitsTest, IdleKeepAliveConnectionIsClosedAfterTheIdleTimeout) {
  HttpServerOptions o = Short();
  o.header_timeout = milliseconds(5000);
  Serve(o);
  RawConnection c(port());
  ASSERT_TRUE(c.ok());
  c.Send(Request("GET", "/"));
  auto r = c.ReadResponse(milliseconds(3000));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
  auto start = Clock::now();
  EXPECT_TRUE(c.WaitClosed(milliseconds(3000)));
  auto idle = Clock::now() - start;
  EXPECT_GE(idle, milliseconds(350));
  EXPECT_LT(idle, milliseconds(2500));
}

TEST_F(HttpLimitsTest, KeptAliveClientReconnectsAfterTheIdleTimeout) {
  Serve(Short());
  HttpClient client(endpoint());
  ASSERT_TRUE(client.Send("GET", "/").ok());
  // Let the server drop the idle connection; the client re-opens it.
  ASSERT_TRUE(WaitFor([&] { return server_->stats().connections_open == 0; }));
  auto r = client.Send("GET", "/");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
}

TEST_F(HttpLimitsTest, ConnectionsOverTheCapAreAnswered503UntilTheHeldOnesClose) {
  HttpServerOptions o;
  o.max_connections = 100;
  o.max_connections_per_peer = 1000;
  o.header_timeout = milliseconds(30000);  // the held ones stay held
  Serve(o);
  std::vector<std::unique_ptr<RawConnection>> idle;
  for (int i = 0; i < 500; ++i) {
    idle.push_back(std::make_unique<RawConnection>(port()));
    ASSERT_TRUE(idle.back()->ok()) << "connection " << i;
  }
  ASSERT_TRUE(WaitFor([&] {
    auto s = server_->stats();
    return s.connections_open == 100 && s.connections_refused == 400;
  })) << server_->stats().connections_open
      << " open, " << server_->stats().connections_refused << " refused";
  // The first refused ones got a 503 with the API's JSON error (in a burst,
  // those beyond the server's bound on lingering refusals are just closed).
  std::optional<http_test::RawResponse> refused;
  for (size_t i = 100; i < idle.size() && !refused; ++i) {
    refused = idle[i]->ReadResponse(milliseconds(200));
  }
  ASSERT_TRUE(refused.has_value()) << "no refused connection was answered";
  EXPECT_EQ(refused->status, 503);
  EXPECT_NE(refused->body.find("\"code\":\"unavailable\""), std::string::npos) << refused->body;
  EXPECT_NE(refused->body.find("too many connections"), std::string::npos) << refused->body;

  // While they are held, a normal request is answered 503 too (once the
  // burst's lingering refusals are done: until then the server just closes).
  HttpClient client(endpoint());
  std::optional<HttpResponse> held;
  ASSERT_TRUE(WaitFor([&] {
    auto r = client.Send("GET", "/", "", milliseconds(1000));
    if (r.ok()) held = *r;
    return r.ok();
  }));
  EXPECT_EQ(held->status, 503);
  EXPECT_EQ(StatusFromResponse(*held).code(), StatusCode::kUnavailable);

  idle.clear();
  ASSERT_TRUE(WaitFor([&] { return server_->stats().connections_open == 0; }));
  auto after = client.Send("GET", "/", "", milliseconds(3000));
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_EQ(after->status, 200);
}

TEST_F(HttpLimitsTest, ConnectionsPerPeerAreCapped) {
  HttpServerOptions o;
  o.max_connections_per_peer = 3;
  Serve(o);
  std::vector<std::unique_ptr<RawConnection>> held;
  for (int i = 0; i < 3; ++i) held.push_back(std::make_unique<RawConnection>(port()));
  ASSERT_TRUE(WaitFor([&] { return server_->stats().connections_open == 3; }));
  RawConnection fourth(port());
  fourth.Send(Request("GET", "/"));
  auto r = fourth.ReadResponse(milliseconds(3000));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 503);
  EXPECT_NE(r->body.find("ip:127.0.0.1"), std::string::npos) << r->body;
  // The held ones still work.
  held[0]->Send(Request("GET", "/"));
  auto ok = held[0]->ReadResponse(milliseconds(3000));
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(ok->status, 200);
}

TEST_F(HttpLimitsTest, UnixSocketConnectionsAreCappedPerUid) {
  HttpServerOptions o;
  o.max_connections_per_peer = 1;
  HttpServer server(Ok(), o);
  std::string path = ::testing::TempDir() + "/drover-cap-" + std::to_string(getpid()) + ".sock";
  ASSERT_TRUE(server.ListenUnix(path).ok());
  server.Start();
  int held = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
  ASSERT_EQ(::connect(held, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_TRUE(WaitFor([&] { return server.stats().connections_open == 1; }));
  HttpClient second("unix:" + path);
  auto r = second.Send("GET", "/", "", milliseconds(3000));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 503);
  EXPECT_NE(r->body.find("uid:" + std::to_string(getuid())), std::string::npos) << r->body;
  ::close(held);
  ASSERT_TRUE(WaitFor([&] { return server.stats().connections_open == 0; }));
  auto after = second.Send("GET", "/", "", milliseconds(3000));
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_EQ(after->status, 200);
  server.Stop();
  ::unlink(path.c_str());
}

double ProcessCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// The process's own descriptors are used up, so accept() fails with EMFILE
// while connections wait in the backlog.
TEST_F(HttpLimitsTest, AcceptBacksOffWhenOutOfFileDescriptors) {
  Serve(HttpServerOptions{});
  // Client sockets are made (and their descriptors taken) before the limit
  // is reached; connecting them needs no new descriptor.
  std::vector<int> clients;
  for (int i = 0; i < 4; ++i) clients.push_back(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  rlimit saved{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &saved), 0);
  rlimit low = saved;
  low.rlim_cur = std::min<rlim_t>(saved.rlim_cur, 256);
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
  std::vector<int> fillers;
  for (;;) {
    int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (fd < 0) break;
    fillers.push_back(fd);
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port());
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  for (int fd : clients) {
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  }
  bool failing = WaitFor([&] { return server_->stats().accept_errors > 0; });
  uint64_t errors_before = server_->stats().accept_errors;
  double cpu_before = ProcessCpuSeconds();
  auto wall_before = Clock::now();
  // The measurement window: a spinning accept loop burns a core in it.
  std::this_thread::sleep_for(milliseconds(500));
  double cpu = ProcessCpuSeconds() - cpu_before;
  double wall = std::chrono::duration<double>(Clock::now() - wall_before).count();
  uint64_t errors = server_->stats().accept_errors - errors_before;
  for (int fd : fillers) ::close(fd);
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &saved), 0);
  ASSERT_TRUE(failing) << "accept never failed";
  RecordProperty("accept_cpu_percent", std::to_string(100 * cpu / wall));
  EXPECT_LT(cpu / wall, 0.2) << "the accept loop spins: " << 100 * cpu / wall << "% CPU";
  EXPECT_LT(errors, 30u) << errors << " accept errors in " << wall << " s";
  // Once descriptors are free the waiting connections are served.
  std::string req = Request("GET", "/");
  ASSERT_EQ(::send(clients[0], req.data(), req.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(req.size()));
  pollfd p{clients[0], POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 3000), 1);
  char buf[256];
  ssize_t n = ::recv(clients[0], buf, sizeof buf, 0);
  ASSERT_GT(n, 12);
  EXPECT_EQ(std::string(buf, 12), "HTTP/1.1 200");
  for (int fd : clients) ::close(fd);
}

}  // namespace
}  // namespace drover
