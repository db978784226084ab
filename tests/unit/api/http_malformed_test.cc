// What the server does with requests it cannot serve: malformed or oversized
// heads, handlers that throw, bytes that are not UTF-8. Every one gets an
// answer and the server serves the next client.
#include <gtest/gtest.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "api/http_client.h"
#include "api/http_server.h"
#include "tests/unit/api/http_test_support.h"

namespace drover {
namespace {

using http_test::IsValidUtf8;
using http_test::RawConnection;
using http_test::Request;
using std::chrono::milliseconds;

HttpHandler Ok() {
  return [](HttpRequest req, HttpResponder respond) {
    respond(HttpResponse{200, "text/plain", "ok " + req.method});
  };
}

class HttpMalformedTest : public ::testing::Test {
 protected:
  void Serve(HttpHandler handler, HttpServerOptions options = {}) {
    server_ = std::make_unique<HttpServer>(std::move(handler), std::move(options));
    ASSERT_TRUE(server_->ListenTcp("127.0.0.1", 0).ok());
    server_->Start();
  }
  uint16_t port() const { return server_->tcp_port(); }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port()); }

  // The server still serves a well-formed request on a fresh connection.
  void ExpectStillServing(int status = 200) {
    HttpClient client(endpoint());
    auto r = client.Send("GET", "/healthz");
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->status, status);
  }

  // Sends `bytes`, expects one answer with `status` and then the close.
  void ExpectAnsweredAndClosed(const std::string& bytes, int status) {
    RawConnection c(port());
    ASSERT_TRUE(c.ok());
    c.Send(bytes);
    auto r = c.ReadResponse(milliseconds(5000));
    ASSERT_TRUE(r.has_value()) << "no answer to a malformed request";
    EXPECT_EQ(r->status, status) << r->head << r->body;
    EXPECT_NE(r->head.find("Connection: close"), std::string::npos) << r->head;
    auto j = nlohmann::json::parse(r->body);
    EXPECT_EQ(j["code"], "invalid");
    EXPECT_TRUE(c.WaitClosed(milliseconds(5000)));
  }

  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpMalformedTest, HandlerExceptionIsAnswered500AndTheNextRequestIsServed) {
  Serve([](HttpRequest req, HttpResponder respond) {
    if (req.path == "/throw") throw std::runtime_error("boom in the handler");
    respond(HttpResponse{200, "text/plain", "fine"});
  });
  HttpClient client(endpoint());
  auto r = client.Send("GET", "/throw");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 500);
  auto j = nlohmann::json::parse(r->body);
  EXPECT_EQ(j["code"], "internal");
  EXPECT_NE(j["message"].get<std::string>().find("boom in the handler"), std::string::npos);
  // The same kept-alive connection, then a new one.
  auto next = client.Send("GET", "/fine");
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  EXPECT_EQ(next->status, 200);
  EXPECT_EQ(next->body, "fine");
  ExpectStillServing();
  EXPECT_EQ(server_->stats().handler_exceptions, 1u);
}

TEST_F(HttpMalformedTest, NonStdExceptionFromTheHandlerIsAnswered500) {
  Serve([](HttpRequest req, HttpResponder respond) {
    if (req.path == "/throw") throw 42;
    respond(HttpResponse{200, "text/plain", "fine"});
  });
  HttpClient client(endpoint());
  auto r = client.Send("GET", "/throw");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 500);
  ExpectStillServing();
}

TEST_F(HttpMalformedTest, ResponderDroppedUnansweredIsAnswered500) {
  Serve([](HttpRequest, HttpResponder) {});
  HttpClient client(endpoint());
  auto r = client.Send("GET", "/forgotten", "", milliseconds(5000));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 500);
}

TEST_F(HttpMalformedTest, ResponderCalledTwiceAnswersOnce) {
  Serve([](HttpRequest, HttpResponder respond) {
    respond(HttpResponse{200, "text/plain", "first"});
    respond(HttpResponse{500, "text/plain", "second"});
  });
  HttpClient client(endpoint());
  for (int i = 0; i < 3; ++i) {
    auto r = client.Send("GET", "/twice");
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->body, "first");
  }
}

// droverd's handler quotes the path in its 404; nlohmann::json::dump throws
// on invalid UTF-8 unless told otherwise.
TEST_F(HttpMalformedTest, PathsWithInvalidUtf8AreAnsweredWithValidJson) {
  Serve([](HttpRequest req, HttpResponder respond) {
    if (req.path.rfind("/throw", 0) == 0) {
      nlohmann::json j = {{"path", req.path}};
      respond(HttpResponse{200, "application/json", j.dump()});  // throws on 0xFF
      return;
    }
    respond(ErrorResponse(Status::NotFound("no route for GET " + req.path)));
  });
  for (std::string target : {"/%FF", "/\xFF", "/throw%FF", "/throw\xFF\xFE", "/%C0%AF"}) {
    RawConnection c(port());
    ASSERT_TRUE(c.ok());
    c.Send(Request("GET", target));
    auto r = c.ReadResponse(milliseconds(5000));
    ASSERT_TRUE(r.has_value()) << "no answer for " << target;
    EXPECT_TRUE(r->status == 404 || r->status == 500 || r->status == 400) << r->head;
    EXPECT_TRUE(IsValidUtf8(r->body)) << r->body;
    EXPECT_NO_THROW(nlohmann::json::parse(r->body)) << r->body;
  }
  ExpectStillServing(404);
}

TEST_F(HttpMalformedTest, GarbageRequestLineIsAnswered400) {
  Serve(Ok());
  ExpectAnsweredAndClosed("\x01\x02garbage \xFF\r\n\r\n", 400);
  ExpectAnsweredAndClosed("GET\r\n\r\n", 400);
  ExpectAnsweredAndClosed("GET / HTTP/9.9.9\r\n\r\n", 400);
  ExpectStillServing();
  EXPECT_GE(server_->stats().requests_malformed, 3u);
}

TEST_F(HttpMalformedTest, BadContentLengthIsAnswered400) {
  Serve(Ok());
  ExpectAnsweredAndClosed("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: abc\r\n\r\n", 400);
  ExpectAnsweredAndClosed("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: -1\r\n\r\n", 400);
  ExpectAnsweredAndClosed(
      "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400);
  ExpectAnsweredAndClosed(
      "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 99999999999999999999999\r\n\r\n", 400);
  ExpectStillServing();
}

TEST_F(HttpMalformedTest, BadHeaderFieldIsAnswered400) {
  Serve(Ok());
  ExpectAnsweredAndClosed("GET / HTTP/1.1\r\nHost: t\r\nBad Field: x\r\n\r\n", 400);
  ExpectStillServing();
}

TEST_F(HttpMalformedTest, TwentyKilobyteUrlIsAnswered414) {
  Serve(Ok());
  ExpectAnsweredAndClosed(Request("GET", "/" + std::string(20 << 10, 'a')), 414);
  // Also past the parser's whole-head limit, where no request line has ended.
  ExpectAnsweredAndClosed(Request("GET", "/" + std::string(100 << 10, 'a')), 414);
  ExpectStillServing();
}

TEST_F(HttpMalformedTest, SixtyFourKilobytesOfHeadersAreAnswered431) {
  Serve(Ok());
  std::string fields;
  for (int i = 0; i < 64; ++i)
    fields += "X-Filler-" + std::to_string(i) + ": " + std::string(1000, 'v') + "\r\n";
  ExpectAnsweredAndClosed(Request("GET", "/", fields), 431);
  // Just over max_header_bytes, under the parser's whole-head limit.
  ExpectAnsweredAndClosed(Request("GET", "/", "X-Big: " + std::string(17 << 10, 'v') + "\r\n"),
                          431);
  ExpectStillServing();
}

TEST_F(HttpMalformedTest, HeadsWithinTheLimitsAreServed) {
  Serve(Ok());
  RawConnection c(port());
  ASSERT_TRUE(c.ok());
  c.Send(
      Request("GET", "/" + std::string(8000, 'a'), "X-Big: " + std::string(15000, 'v') + "\r\n"));
  auto r = c.ReadResponse(milliseconds(5000));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200) << r->body;
}

TEST_F(HttpMalformedTest, PipelinedRequestsAreAnsweredInOrder) {
  Serve(Ok());
  RawConnection c(port());
  ASSERT_TRUE(c.ok());
  c.Send(Request("GET", "/a") + Request("POST", "/b", "", "xyz") + Request("DELETE", "/c"));
  for (std::string method : {"GET", "POST", "DELETE"}) {
    auto r = c.ReadResponse(milliseconds(5000));
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->body, "ok " + method);
  }
}

TEST_F(HttpMalformedTest, RequestCutShortByTheClientIsAnswered400) {
  Serve(Ok());
  RawConnection c(port());
  ASSERT_TRUE(c.ok());
  c.Send("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc");
  c.ShutdownWrite();  // done sending, still reading
  auto r = c.ReadResponse(milliseconds(5000));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 400);
  EXPECT_TRUE(c.WaitClosed(milliseconds(5000)));
}

}  // namespace
}  // namespace drover
