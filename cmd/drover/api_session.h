// ApiSession: the CLI's connection to droverd, through api/'s HttpClient.
//
// Every call returns the decoded answer or a Status: the server's own error
// ({code, message, field}) for a non-2xx answer, Unavailable when droverd
// cannot be reached (exit code 3). Not thread-safe (one HttpClient).
#pragma once

#include <chrono>
#include <string>

#include "api/http_client.h"
#include "api/json_codec.h"
#include "api/status.h"
#include "cmd/drover/cli_config.h"

namespace drover::cli {

class ApiSession {
 public:
  ApiSession(std::string server, std::string token, std::string ca_file = "");

  // From DROVER_SERVER / DROVER_TOKEN or the config file (see cli_config.h).
  static Result<ApiSession> FromEnvironment();

  Result<Json> GetJson(const std::string& target);
  Result<Json> PostJson(const std::string& target, const Json& body);
  Result<Json> PutJson(const std::string& target, const Json& body);
  Result<Json> DeleteJson(const std::string& target);
  // A text/plain answer (logs).
  Result<std::string> GetText(const std::string& target);
  // The whole 2xx response (body and content type).
  Result<HttpResponse> Get(const std::string& target) { return Send("GET", target, {}); }

  const std::string& server() const { return client_.endpoint(); }

 private:
  Result<HttpResponse> Send(const std::string& method, const std::string& target,
                            const std::string& body);

  HttpClient client_;
};

}  // namespace drover::cli
