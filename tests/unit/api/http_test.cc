#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <future>
#include <thread>

#include "api/http_client.h"
#include "api/http_server.h"
#include "api/json_codec.h"

namespace drover {
namespace {

HttpHandler Echo() {
  return [](HttpRequest req, HttpResponder respond) {
    Json j = {{"method", req.method},      {"path", req.path},
              {"query", req.query},        {"body", req.body},
              {"token", req.bearer_token}, {"unix", req.peer.via_unix_socket},
              {"uid", req.peer.uid}};
    respond(HttpResponse{200, "application/json", j.dump()});
  };
}

TEST(HttpTest, TcpRequestRoundTripsWithKeepAlive) {
  HttpServer server(Echo());
  ASSERT_TRUE(server.ListenTcp("127.0.0.1", 0).ok());
  server.Start();
  HttpClient client("http://127.0.0.1:" + std::to_string(server.tcp_port()), "secret");
  for (int i = 0; i < 3; ++i) {
    auto r = client.Send("POST", "/api/v1/jobs?state=Running&x=a%20b", "{\"n\":1}");
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    auto j = Json::parse(r->body);
    EXPECT_EQ(j["path"], "/api/v1/jobs");
    EXPECT_EQ(j["query"]["state"], "Running");
    EXPECT_EQ(j["query"]["x"], "a b");
    EXPECT_EQ(j["body"], "{\"n\":1}");
    EXPECT_EQ(j["token"], "secret");
    EXPECT_EQ(j["unix"], false);
  }
  server.Stop();
}

TEST(HttpTest, UnixSocketReportsThePeerUid) {
  std::string path = testing::TempDir() + "/drover-http-" + std::to_string(getpid()) + ".sock";
  HttpServer server(Echo());
  ASSERT_TRUE(server.ListenUnix(path).ok());
  server.Start();
  HttpClient client("unix:" + path);
  auto r = client.Send("GET", "/healthz");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  auto j = Json::parse(r->body);
  EXPECT_EQ(j["unix"], true);
  EXPECT_EQ(j["uid"], getuid());
  server.Stop();
  std::filesystem::remove(path);
}

TEST(HttpTest, HeldResponderAnswersLater) {
  std::promise<HttpResponder> held;
  HttpServer server([&](HttpRequest, HttpResponder r) { held.set_value(std::move(r)); });
  ASSERT_TRUE(server.ListenTcp("127.0.0.1", 0).ok());
  server.Start();
  std::thread later([&] {
    auto responder = held.get_future().get();
    responder(HttpResponse{202, "text/plain", "later"});
  });
  HttpClient client("http://127.0.0.1:" + std::to_string(server.tcp_port()));
  auto r = client.Send("GET", "/wait");
  later.join();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 202);
  EXPECT_EQ(r->body, "later");
  server.Stop();
}

TEST(HttpTest, UnreachableServerIsUnavailable) {
  HttpClient client("http://127.0.0.1:1");
  auto r = client.Send("GET", "/", "", std::chrono::milliseconds(500));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
}

TEST(HttpTest, ErrorResponsesRoundTripToStatus) {
  Status s = Status::Invalid("spec.completions", "must be >= 1");
  HttpResponse r = ErrorResponse(s);
  EXPECT_EQ(r.status, 400);
  Status back = StatusFromResponse(r);
  EXPECT_EQ(back.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(back.field(), "spec.completions");
  EXPECT_EQ(back.message(), "must be >= 1");
}

}  // namespace
}  // namespace drover
