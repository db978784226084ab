// HttpClient given several servers (droverd and its standbys): it finds the
// one that serves, sticks to it, and never sends a request twice.
#include <gtest/gtest.h>

#include <atomic>

#include "api/http_client.h"
#include "api/http_server.h"

namespace drover {
namespace {

// A port nothing listens on: bound, read and closed again.
std::string DeadEndpoint() {
  HttpServer probe([](HttpRequest, HttpResponder r) { r(HttpResponse{}); });
  EXPECT_TRUE(probe.ListenTcp("127.0.0.1", 0).ok());
  const std::string endpoint = "http://127.0.0.1:" + std::to_string(probe.tcp_port());
  probe.Stop();
  return endpoint;
}

struct CountingServer {
  explicit CountingServer(HttpResponse answer)
      : server([this, answer](HttpRequest, HttpResponder respond) {
          ++requests;
          respond(answer);
        }) {
    EXPECT_TRUE(server.ListenTcp("127.0.0.1", 0).ok());
    server.Start();
  }
  ~CountingServer() { server.Stop(); }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(server.tcp_port()); }
  std::atomic<int> requests{0};
  HttpServer server;
};

HttpResponse Standby() {
  return ErrorResponse(Status(StatusCode::kUnavailable, "a standby", "leader"));
}

TEST(HttpClientServersTest, ARequestGoesToTheServerThatServesPastDeadOnesAndStandbys) {
  CountingServer standby(Standby());
  CountingServer leader(HttpResponse{200, "text/plain", "leader"});
  HttpClient client(DeadEndpoint() + "," + standby.endpoint() + ", " + leader.endpoint());
  auto r = client.Send("POST", "/api/v1/jobs", "{}", std::chrono::seconds(2));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->body, "leader");
  EXPECT_EQ(standby.requests, 1);
  EXPECT_EQ(leader.requests, 1);
  // The next request goes straight to the one that answered.
  ASSERT_TRUE(client.Send("GET", "/x").ok());
  EXPECT_EQ(standby.requests, 1);
  EXPECT_EQ(leader.requests, 2);
}

TEST(HttpClientServersTest, WhenEveryServerIsAStandbyTheStandbysAnswerIsReturned) {
  CountingServer a(Standby()), b(Standby());
  HttpClient client(a.endpoint() + "," + b.endpoint());
  auto r = client.Send("GET", "/x");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(StatusFromResponse(*r).field(), "leader");
  EXPECT_EQ(a.requests + b.requests, 2) << "each server once per request";
}

TEST(HttpClientServersTest, AnErrorAnswerOtherThanAStandbysIsNotRetriedElsewhere) {
  CountingServer busy(ErrorResponse(Status::Unavailable("shutting down")));
  CountingServer leader(HttpResponse{200, "text/plain", "leader"});
  HttpClient client(busy.endpoint() + "," + leader.endpoint());
  auto r = client.Send("POST", "/api/v1/jobs", "{}");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(leader.requests, 0) << "the first server may have acted on it";
}

TEST(HttpClientServersTest, AListOfDeadServersIsUnavailable) {
  HttpClient client(DeadEndpoint() + "," + DeadEndpoint());
  auto r = client.Send("GET", "/x", "", std::chrono::seconds(1));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
}

}  // namespace
}  // namespace drover
