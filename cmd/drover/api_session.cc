#include "cmd/drover/api_session.h"

namespace drover::cli {

ApiSession::ApiSession(std::string server, std::string token, std::string ca_file)
    : client_(std::move(server), std::move(token), HttpClientOptions{std::move(ca_file)}) {}

Result<ApiSession> ApiSession::FromEnvironment() {
  Environment env = Environment::FromProcess();
  auto file = ReadConfigFile(ConfigFilePath(env));
  if (!file.ok()) return file.status();
  auto resolved = ResolveServer(env, *file);
  if (!resolved.ok()) return resolved.status();
  return ApiSession(resolved->server, resolved->token, resolved->ca_file);
}

Result<HttpResponse> ApiSession::Send(const std::string& method, const std::string& target,
                                      const std::string& body) {
  auto response = client_.Send(method, target, body);
  if (!response.ok()) {
    const Status& st = response.status();
    if (st.code() == StatusCode::kUnavailable) {
      return Status::Unavailable("cannot reach droverd at " + client_.endpoint() + " (" +
                                 st.message() + "); is the cluster up? (`drover up`)");
    }
    return st;
  }
  DROVER_RETURN_IF_ERROR(StatusFromResponse(*response));
  return response;
}

Result<Json> ApiSession::GetJson(const std::string& target) {
  auto response = Send("GET", target, {});
  if (!response.ok()) return response.status();
  auto json = ParseJson(response->body);
  if (!json.ok()) return Status::Internal("droverd sent malformed JSON for " + target);
  return json;
}

Result<Json> ApiSession::PostJson(const std::string& target, const Json& body) {
  auto response = Send("POST", target, body.is_null() ? std::string() : body.dump());
  if (!response.ok()) return response.status();
  if (response->body.empty()) return Json::object();
  auto json = ParseJson(response->body);
  if (!json.ok()) return Status::Internal("droverd sent malformed JSON for " + target);
  return json;
}

Result<Json> ApiSession::PutJson(const std::string& target, const Json& body) {
  auto response = Send("PUT", target, body.dump());
  if (!response.ok()) return response.status();
  auto json = ParseJson(response->body);
  if (!json.ok()) return Status::Internal("droverd sent malformed JSON for " + target);
  return json;
}

Result<Json> ApiSession::DeleteJson(const std::string& target) {
  auto response = Send("DELETE", target, {});
  if (!response.ok()) return response.status();
  if (response->body.empty()) return Json::object();
  auto json = ParseJson(response->body);
  if (!json.ok()) return Status::Internal("droverd sent malformed JSON for " + target);
  return json;
}

Result<std::string> ApiSession::GetText(const std::string& target) {
  auto response = Send("GET", target, {});
  if (!response.ok()) return response.status();
  return std::move(response->body);
}

}  // namespace drover::cli
