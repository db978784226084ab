// The request gate: the server reads a request's head, asks the gate, and
// reads the body only when the gate allows it and only up to the gate's limit.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "api/http_client.h"
#include "api/http_server.h"
#include "tests/unit/api/http_test_support.h"

namespace drover {
namespace {

using http_test::RawConnection;
using http_test::Request;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

// Routes: /small takes bodies up to 1 KiB; /api/* needs the token "good";
// anything else takes up to 1 MiB.
HttpGateDecision TestGate(const HttpRequest& head) {
  if (head.path == "/throw") throw std::runtime_error("gate exploded");
  if (head.path == "/small") return HttpGateDecision::Allow(1024);
  if (head.path.rfind("/api/", 0) == 0) {
    if (head.bearer_token.empty()) {
      return HttpGateDecision::Refuse(
          ErrorResponse(Status::Unauthenticated("a bearer token is required")));
    }
    if (head.bearer_token != "good") {
      return HttpGateDecision::Refuse(ErrorResponse(Status::Unauthenticated("unknown token")));
    }
  }
  if (head.path == "/missing") {
    return HttpGateDecision::Refuse(ErrorResponse(Status::NotFound("no route")));
  }
  return HttpGateDecision::Allow(1 << 20);
}

class HttpGateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    HttpServerOptions o;
    o.body_timeout = milliseconds(10000);  // 413s must come far sooner
    o.gate = [this](const HttpRequest& head) {
      {
        std::lock_guard lock(mu_);
        gated_.push_back(head);
      }
      return TestGate(head);
    };
    server_ = std::make_unique<HttpServer>(
        [this](HttpRequest req, HttpResponder respond) {
          ++handled_;
          respond(HttpResponse{200, "text/plain", std::to_string(req.body.size())});
        },
        std::move(o));
    ASSERT_TRUE(server_->ListenTcp("127.0.0.1", 0).ok());
    server_->Start();
  }
  uint16_t port() const { return server_->tcp_port(); }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port()); }

  std::unique_ptr<HttpServer> server_;
  std::atomic<int> handled_{0};
  std::mutex mu_;
  std::vector<HttpRequest> gated_;
};

TEST_F(HttpGateTest, BodyOverTheGateLimitIsAnswered413BeforeItIsSent) {
  RawConnection c(port());
  ASSERT_TRUE(c.ok());
  auto start = Clock::now();
  // The head only: a server that buffered the body first would wait for 64 MiB.
  c.Send("POST /small HTTP/1.1\r\nHost: t\r\nContent-Length: 67108864\r\n\r\n");
  auto r = c.ReadResponse(milliseconds(5000));
  ASSERT_TRUE(r.has_value());
  EXPECT_LT(Clock::now() - start, milliseconds(1000));
  EXPECT_EQ(r->status, 413);
  EXPECT_NE(r->head.find("Connection: close"), std::string::npos) << r->head;
  EXPECT_NE(r->body.find("67108864"), std::string::npos) << r->body;
  EXPECT_NE(r->body.find("1024"), std::string::npos) << r->body;
  EXPECT_TRUE(c.WaitClosed(milliseconds(5000)));
  EXPECT_EQ(handled_, 0);
  EXPECT_EQ(server_->stats().requests_too_large, 1u);
}

TEST_F(HttpGateTest, UploadOverTheLimitFromAPlainClientIsAnswered413) {
  HttpClient client(endpoint());
  auto r = client.Send("POST", "/small", std::string(4 << 20, 'x'));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 413);
  EXPECT_EQ(handled_, 0);
}

TEST_F(HttpGateTest, BodyAtTheLimitReachesTheHandler) {
  HttpClient client(endpoint());
  auto r = client.Send("POST", "/small", std::string(1024, 'x'));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "1024");
}

TEST_F(HttpGateTest, ChunkedBodyOverTheLimitIsAnswered413) {
  RawConnection c(port());
  ASSERT_TRUE(c.ok());
  std::string chunk(1000, 'x');
  c.Send(
      "POST /small HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3e8\r\n" +
      chunk + "\r\n3e8\r\n" + chunk + "\r\n0\r\n\r\n");
  auto r = c.ReadResponse(milliseconds(5000));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 413);
  EXPECT_EQ(handled_, 0);
}

TEST_F(HttpGateTest, RefusedRequestIsAnswered401AndItsBodyNeverReachesTheHandler) {
  RawConnection c(port());
  ASSERT_TRUE(c.ok());
  auto start = Clock::now();
  c.Send("POST /api/v1/jobs HTTP/1.1\r\nHost: t\r\nContent-Length: 67108864\r\n\r\n");
  auto r = c.ReadResponse(milliseconds(5000));
  ASSERT_TRUE(r.has_value());
  EXPECT_LT(Clock::now() - start, milliseconds(1000));
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(nlohmann::json::parse(r->body)["code"], "unauthenticated");
  // The unread body could not be told from a next request: the server closes.
  EXPECT_NE(r->head.find("Connection: close"), std::string::npos) << r->head;
  EXPECT_TRUE(c.WaitClosed(milliseconds(5000)));

  HttpClient wrong(endpoint(), "bad");
  auto w = wrong.Send("POST", "/api/v1/jobs", "{\"secret\":1}");
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->status, 401);
  EXPECT_EQ(handled_, 0);

  HttpClient good(endpoint(), "good");
  auto g = good.Send("POST", "/api/v1/jobs", "{\"secret\":1}");
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->status, 200);
  EXPECT_EQ(g->body, "12");
  EXPECT_EQ(handled_, 1);
  EXPECT_EQ(server_->stats().requests_refused, 2u);
}

TEST_F(HttpGateTest, RefusalWithoutABodyKeepsTheConnection) {
  RawConnection c(port());
  ASSERT_TRUE(c.ok());
  c.Send(Request("GET", "/missing") + Request("GET", "/found"));
  auto first = c.ReadResponse(milliseconds(5000));
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->status, 404);
  auto second = c.ReadResponse(milliseconds(5000));
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->status, 200);
}

TEST_F(HttpGateTest, GateSeesTheDecodedHeadAndThePeer) {
  HttpClient client(endpoint(), "good");
  auto r = client.Send("PUT", "/api/v1/jobs/a%20b?state=Running&x=1", "{}");
  ASSERT_TRUE(r.ok());
  std::lock_guard lock(mu_);
  ASSERT_EQ(gated_.size(), 1u);
  const HttpRequest& head = gated_[0];
  EXPECT_EQ(head.method, "PUT");
  EXPECT_EQ(head.path, "/api/v1/jobs/a b");
  EXPECT_EQ(head.query.at("state"), "Running");
  EXPECT_EQ(head.bearer_token, "good");
  EXPECT_TRUE(head.body.empty());
  EXPECT_EQ(head.peer.address, "127.0.0.1");
  EXPECT_FALSE(head.peer.via_unix_socket);
  EXPECT_FALSE(head.peer.via_tls);
}

TEST_F(HttpGateTest, ExpectContinueIsAnsweredOnlyWhenTheGateAllows) {
  RawConnection allowed(port());
  ASSERT_TRUE(allowed.ok());
  allowed.Send(
      "POST /small HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
  auto interim = allowed.ReadResponse(milliseconds(5000));
  ASSERT_TRUE(interim.has_value());
  EXPECT_EQ(interim->status, 100);
  allowed.Send("hello");
  auto r = allowed.ReadResponse(milliseconds(5000));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "5");

  RawConnection refused(port());
  ASSERT_TRUE(refused.ok());
  refused.Send(
      "POST /api/x HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
  auto no = refused.ReadResponse(milliseconds(5000));
  ASSERT_TRUE(no.has_value());
  EXPECT_EQ(no->status, 401);
}

TEST_F(HttpGateTest, GateExceptionIsAnswered500AndTheServerServesOn) {
  HttpClient client(endpoint());
  auto r = client.Send("POST", "/throw", "{}");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 500);
  EXPECT_NE(r->body.find("gate exploded"), std::string::npos) << r->body;
  auto next = client.Send("GET", "/fine");
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  EXPECT_EQ(next->status, 200);
  EXPECT_EQ(server_->stats().handler_exceptions, 1u);
}

}  // namespace
}  // namespace drover
