// HTTPS: HttpServer::ListenTls and HttpClient's https:// endpoints with
// throw-away certificates made by the openssl command.
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <functional>
#include <nlohmann/json.hpp>

#include "api/http_client.h"
#include "api/http_server.h"
#include "tests/unit/api/http_test_support.h"

namespace drover {
namespace {

using http_test::MakeSelfSignedCert;
using http_test::RawConnection;
using http_test::Request;
using http_test::TestCert;
using http_test::WaitFor;
using std::chrono::milliseconds;
namespace asio = boost::asio;
namespace ssl = asio::ssl;

// Sends `bytes` over TLS (without verifying the server) and returns what the
// server sends until it closes, or for at most 3 s.
std::string TlsExchange(uint16_t port, const std::string& bytes) {
  asio::io_context ioc;
  ssl::context context(ssl::context::tls_client);
  context.set_verify_mode(ssl::verify_none);
  ssl::stream<asio::ip::tcp::socket> stream(ioc, context);
  boost::system::error_code ec;
  stream.next_layer().connect({asio::ip::make_address("127.0.0.1"), port}, ec);
  if (ec) return "connect: " + ec.message();
  std::string out;
  std::array<char, 4096> buf;
  std::function<void()> read = [&] {
    stream.async_read_some(asio::buffer(buf), [&](boost::system::error_code e, size_t n) {
      out.append(buf.data(), n);
      if (!e) read();
    });
  };
  stream.async_handshake(ssl::stream_base::client, [&](boost::system::error_code e) {
    if (e) return;
    asio::async_write(stream, asio::buffer(bytes), [&](boost::system::error_code w, size_t) {
      if (!w) read();
    });
  });
  ioc.run_for(std::chrono::seconds(3));
  return out;
}

class HttpTlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_cert_ = new TestCert(MakeSelfSignedCert("server", "IP:127.0.0.1,DNS:localhost"));
    other_cert_ = new TestCert(MakeSelfSignedCert("other", "IP:127.0.0.1,DNS:localhost"));
    name_only_cert_ = new TestCert(MakeSelfSignedCert("named", "DNS:drover.example"));
  }
  static void TearDownTestSuite() {
    delete server_cert_;
    delete other_cert_;
    delete name_only_cert_;
  }

  void Serve(const TestCert& cert, HttpServerOptions options = {}) {
    server_ = std::make_unique<HttpServer>(
        [](HttpRequest req, HttpResponder respond) {
          nlohmann::json j = {{"path", req.path},
                              {"body", req.body},
                              {"token", req.bearer_token},
                              {"tls", req.peer.via_tls}};
          respond(HttpResponse{200, "application/json", j.dump()});
        },
        std::move(options));
    Status st = server_->ListenTls("127.0.0.1", 0, TlsServerConfig{cert.cert, cert.key});
    ASSERT_TRUE(st.ok()) << st.ToString();
    server_->Start();
  }
  std::string https() const { return "https://127.0.0.1:" + std::to_string(server_->tls_port()); }

  static TestCert* server_cert_;
  static TestCert* other_cert_;
  static TestCert* name_only_cert_;
  std::unique_ptr<HttpServer> server_;
};

TestCert* HttpTlsTest::server_cert_ = nullptr;
TestCert* HttpTlsTest::other_cert_ = nullptr;
TestCert* HttpTlsTest::name_only_cert_ = nullptr;

TEST_F(HttpTlsTest, VerifiedRoundTripWithKeepAlive) {
  Serve(*server_cert_);
  HttpClient client(https(), "secret", HttpClientOptions{server_cert_->cert});
  for (int i = 0; i < 3; ++i) {
    auto r = client.Send("POST", "/api/v1/jobs", "{\"n\":1}");
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->status, 200);
    auto j = nlohmann::json::parse(r->body);
    EXPECT_EQ(j["path"], "/api/v1/jobs");
    EXPECT_EQ(j["body"], "{\"n\":1}");
    EXPECT_EQ(j["token"], "secret");
    EXPECT_EQ(j["tls"], true);
  }
  EXPECT_EQ(server_->stats().connections_accepted, 1u);
}

TEST_F(HttpTlsTest, ClientWithTheWrongCaIsRefusedAsUnauthenticated) {
  Serve(*server_cert_);
  HttpClient client(https(), "secret", HttpClientOptions{other_cert_->cert});
  auto r = client.Send("GET", "/", "", milliseconds(5000));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnauthenticated) << r.status().ToString();
  EXPECT_NE(r.status().message().find("certificate"), std::string::npos) << r.status().ToString();
  EXPECT_NE(r.status().message().find(other_cert_->cert), std::string::npos)
      << r.status().ToString();
  // The server lives on for a client that trusts it.
  HttpClient good(https(), "", HttpClientOptions{server_cert_->cert});
  auto ok = good.Send("GET", "/");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
}

TEST_F(HttpTlsTest, ClientRefusesACertificateForAnotherName) {
  Serve(*name_only_cert_);
  HttpClient client(https(), "", HttpClientOptions{name_only_cert_->cert});
  auto r = client.Send("GET", "/", "", milliseconds(5000));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnauthenticated) << r.status().ToString();
  EXPECT_NE(r.status().message().find("mismatch"), std::string::npos) << r.status().ToString();
}

TEST_F(HttpTlsTest, PlainHttpToTheTlsPortIsAnswered400AndTheServerLives) {
  Serve(*server_cert_);
  HttpClient plain("http://127.0.0.1:" + std::to_string(server_->tls_port()));
  auto r = plain.Send("GET", "/", "", milliseconds(5000));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 400);
  Status st = StatusFromResponse(*r);
  EXPECT_NE(st.message().find("https://"), std::string::npos) << st.ToString();
  HttpClient good(https(), "", HttpClientOptions{server_cert_->cert});
  auto ok = good.Send("GET", "/");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(server_->stats().tls_handshake_failures, 1u);
}

TEST_F(HttpTlsTest, HttpsToAPlainPortFailsAsUnavailable) {
  HttpServer plain([](HttpRequest, HttpResponder respond) { respond(HttpResponse{}); });
  ASSERT_TRUE(plain.ListenTcp("127.0.0.1", 0).ok());
  plain.Start();
  HttpClient client("https://127.0.0.1:" + std::to_string(plain.tcp_port()), "",
                    HttpClientOptions{server_cert_->cert});
  auto r = client.Send("GET", "/", "", milliseconds(5000));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable) << r.status().ToString();
  EXPECT_NE(r.status().message().find("TLS handshake"), std::string::npos) << r.status().ToString();
}

TEST_F(HttpTlsTest, SilentClientIsClosedWithinTheHandshakeTimeout) {
  HttpServerOptions o;
  o.header_timeout = milliseconds(300);
  Serve(*server_cert_, o);
  RawConnection c(server_->tls_port());
  ASSERT_TRUE(c.ok());
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(c.WaitClosed(milliseconds(3000)));
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(250));
}

TEST_F(HttpTlsTest, BodyShorterThanItsContentLengthIsAnswered408OverTls) {
  HttpServerOptions o;
  o.body_timeout = milliseconds(300);
  Serve(*server_cert_, o);
  auto start = std::chrono::steady_clock::now();
  std::string got = TlsExchange(server_->tls_port(),
                                "POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nshort");
  EXPECT_EQ(got.substr(0, 12), "HTTP/1.1 408") << got;
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(2500));
  HttpClient good(https(), "", HttpClientOptions{server_cert_->cert});
  auto ok = good.Send("GET", "/");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
}

TEST_F(HttpTlsTest, MalformedRequestOverTlsIsAnswered400) {
  Serve(*server_cert_);
  std::string got = TlsExchange(server_->tls_port(), "GARBAGE\r\n\r\n");
  EXPECT_EQ(got.substr(0, 12), "HTTP/1.1 400") << got;
}

TEST_F(HttpTlsTest, ListenTlsNamesTheFileItCannotLoad) {
  HttpServer server([](HttpRequest, HttpResponder respond) { respond(HttpResponse{}); });
  Status missing = server.ListenTls("127.0.0.1", 0, TlsServerConfig{"/nonexistent.crt", "/x.key"});
  EXPECT_EQ(missing.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(missing.field(), "tls.cert_file");
  EXPECT_NE(missing.message().find("/nonexistent.crt"), std::string::npos) << missing.ToString();

  Status garbage =
      server.ListenTls("127.0.0.1", 0, TlsServerConfig{"/etc/hostname", "/etc/hostname"});
  EXPECT_EQ(garbage.code(), StatusCode::kInvalidArgument) << garbage.ToString();

  Status mismatched =
      server.ListenTls("127.0.0.1", 0, TlsServerConfig{server_cert_->cert, other_cert_->key});
  EXPECT_EQ(mismatched.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(mismatched.message().find("does not match"), std::string::npos)
      << mismatched.ToString();
}

TEST_F(HttpTlsTest, UnreadableCaFileIsInvalid) {
  HttpClient client("https://127.0.0.1:1", "", HttpClientOptions{"/nonexistent-ca.pem"});
  auto r = client.Send("GET", "/");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("/nonexistent-ca.pem"), std::string::npos);
}

}  // namespace
}  // namespace drover
