// TLS for the HTTP plumbing (OpenSSL through Boost.Asio): contexts for
// HttpServer::ListenTls and for HttpClient's https:// endpoints. Internal to
// api/http_*.cc. Contexts are immutable once built and shared by connections.
#pragma once

#include <openssl/ssl.h>

#include <boost/asio/ssl/context.hpp>
#include <boost/system/error_code.hpp>
#include <memory>
#include <string>

#include "api/status.h"

namespace drover::http_internal {

// TLS 1.2 or later with the PEM certificate chain and unencrypted private key.
// Errors: InvalidArgument naming the file that cannot be read or parsed, or a
// key that does not belong to the certificate.
Result<std::shared_ptr<boost::asio::ssl::context>> MakeTlsServerContext(
    const std::string& cert_file, const std::string& key_file);

// A client context that verifies the server's certificate against the PEM CA
// bundle `ca_file`, or the system's CA store when it is empty. Errors:
// InvalidArgument naming a CA file that cannot be loaded.
Result<std::shared_ptr<boost::asio::ssl::context>> MakeTlsClientContext(const std::string& ca_file);

// Makes the handshake on `ssl` also check that the server's certificate names
// `host` (a DNS name, or an IP address against its IP SANs), and sends SNI for
// DNS names. Errors: InvalidArgument when OpenSSL refuses the name.
Status ExpectServerName(SSL* ssl, const std::string& host);

// The reason a handshake failed, for a message: OpenSSL's text for `ec`.
std::string DescribeTlsError(const boost::system::error_code& ec);

}  // namespace drover::http_internal
