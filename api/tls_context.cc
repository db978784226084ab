#include "api/tls_context.h"

#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl.hpp>
#include <cerrno>
#include <cstring>

namespace drover::http_internal {

namespace asio = boost::asio;
namespace ssl = asio::ssl;

namespace {

// Reading the file first gives "cannot read" a plain reason (errno) instead of
// OpenSSL's "system lib".
Status CheckReadable(const std::string& field, const std::string& path) {
  if (path.empty()) return Status::Invalid(field, "a file is required");
  if (::access(path.c_str(), R_OK) != 0) {
    return Status::Invalid(field, "cannot read \"" + path + "\": " + std::strerror(errno));
  }
  return Status::Ok();
}

std::shared_ptr<ssl::context> NewContext(ssl::context::method method) {
  auto context = std::make_shared<ssl::context>(method);
  context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                       ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                       ssl::context::single_dh_use);
  SSL_CTX_set_min_proto_version(context->native_handle(), TLS1_2_VERSION);
  return context;
}

}  // namespace

Result<std::shared_ptr<ssl::context>> MakeTlsServerContext(const std::string& cert_file,
                                                           const std::string& key_file) {
  DROVER_RETURN_IF_ERROR(CheckReadable("tls.cert_file", cert_file));
  DROVER_RETURN_IF_ERROR(CheckReadable("tls.key_file", key_file));
  auto context = NewContext(ssl::context::tls_server);
  boost::system::error_code ec;
  context->use_certificate_chain_file(cert_file, ec);
  if (ec) {
    return Status::Invalid("tls.cert_file", "cannot load a PEM certificate chain from \"" +
                                                cert_file + "\": " + DescribeTlsError(ec));
  }
  context->use_private_key_file(key_file, ssl::context::pem, ec);
  if (ec && ec.category() == asio::error::get_ssl_category() &&
      ERR_GET_REASON(static_cast<unsigned long>(ec.value())) == X509_R_KEY_VALUES_MISMATCH) {
    return Status::Invalid("tls.key_file", "the private key in \"" + key_file +
                                               "\" does not match the certificate in \"" +
                                               cert_file + "\"");
  }
  if (ec) {
    return Status::Invalid("tls.key_file", "cannot load a PEM private key from \"" + key_file +
                                               "\": " + DescribeTlsError(ec));
  }
  if (SSL_CTX_check_private_key(context->native_handle()) != 1) {
    ERR_clear_error();
    return Status::Invalid("tls.key_file", "the private key in \"" + key_file +
                                               "\" does not match the certificate in \"" +
                                               cert_file + "\"");
  }
  return context;
}

Result<std::shared_ptr<ssl::context>> MakeTlsClientContext(const std::string& ca_file) {
  auto context = NewContext(ssl::context::tls_client);
  context->set_verify_mode(ssl::verify_peer);
  boost::system::error_code ec;
  if (ca_file.empty()) {
    context->set_default_verify_paths(ec);
    if (ec) return Status::Invalid("ca_file", "cannot load the system's CA store: " + ec.message());
    return context;
  }
  DROVER_RETURN_IF_ERROR(CheckReadable("ca_file", ca_file));
  context->load_verify_file(ca_file, ec);
  if (ec) {
    return Status::Invalid("ca_file", "cannot load PEM CA certificates from \"" + ca_file +
                                          "\": " + DescribeTlsError(ec));
  }
  return context;
}

Status ExpectServerName(SSL* ssl, const std::string& host) {
  // OpenSSL's own checks (rather than an asio verify callback) record why a
  // name does not match, so SSL_get_verify_result can say "IP address
  // mismatch" instead of a bare "certificate verify failed".
  boost::system::error_code ec;
  asio::ip::make_address(host, ec);
  if (!ec) {
    if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host.c_str()) != 1) {
      return Status::Invalid("server", "cannot verify TLS for the address \"" + host + "\"");
    }
    return Status::Ok();
  }
  if (SSL_set_tlsext_host_name(ssl, host.c_str()) != 1 || SSL_set1_host(ssl, host.c_str()) != 1) {
    return Status::Invalid("server", "cannot verify TLS for the host name \"" + host + "\"");
  }
  return Status::Ok();
}

std::string DescribeTlsError(const boost::system::error_code& ec) {
  if (ec == ssl::error::stream_truncated) return "the peer closed the connection mid-handshake";
  return ec.message();
}

}  // namespace drover::http_internal
