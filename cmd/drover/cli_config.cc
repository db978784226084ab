#include "cmd/drover/cli_config.h"

#include <cstdlib>

#include "api/yaml_codec.h"
#include "cmd/drover/file_io.h"

namespace drover::cli {
namespace {

std::string GetEnv(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? std::string() : std::string(v);
}

std::optional<std::string> GetEnvOpt(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return std::nullopt;
  return std::string(v);
}

}  // namespace

Environment Environment::FromProcess() {
  Environment env;
  env.home = GetEnv("HOME");
  env.xdg_config_home = GetEnv("XDG_CONFIG_HOME");
  env.xdg_data_home = GetEnv("XDG_DATA_HOME");
  env.drover_server = GetEnvOpt("DROVER_SERVER");
  env.drover_token = GetEnvOpt("DROVER_TOKEN");
  env.drover_ca_file = GetEnvOpt("DROVER_CA_FILE");
  return env;
}

// XDG says relative values are invalid and must be ignored.
std::string ConfigFilePath(const Environment& env) {
  if (!env.xdg_config_home.empty() && env.xdg_config_home[0] == '/') {
    return env.xdg_config_home + "/drover/config";
  }
  return env.home + "/.config/drover/config";
}

std::string DefaultStateDir(const Environment& env) {
  if (!env.xdg_data_home.empty() && env.xdg_data_home[0] == '/') {
    return env.xdg_data_home + "/drover";
  }
  return env.home + "/.local/share/drover";
}

Result<CliConfig> ParseConfig(std::string_view text) {
  auto docs = ParseYamlDocuments(text);
  if (!docs.ok()) return docs.status();
  CliConfig config;
  if (docs->empty() || (*docs)[0].is_null()) return config;
  const Json& j = (*docs)[0];
  if (!j.is_object()) return Status::Invalid("", "the config must be a mapping of keys to values");
  for (const auto& [key, value] : j.items()) {
    std::string* out = nullptr;
    if (key == "server") {
      out = &config.server;
    } else if (key == "token") {
      out = &config.token;
    } else if (key == "stateDir") {
      out = &config.state_dir;
    } else if (key == "caFile") {
      out = &config.ca_file;
    } else {
      return Status::Invalid(key, "unknown key (known: server, token, caFile, stateDir)");
    }
    if (value.is_null()) continue;
    if (!value.is_string()) return Status::Invalid(key, "must be a string");
    *out = value.get<std::string>();
  }
  return config;
}

std::string SerializeConfig(const CliConfig& config) {
  Json j = Json::object();
  j["server"] = config.server;
  if (!config.token.empty()) j["token"] = config.token;
  if (!config.ca_file.empty()) j["caFile"] = config.ca_file;
  if (!config.state_dir.empty()) j["stateDir"] = config.state_dir;
  return "# Written by `drover up`. DROVER_SERVER and DROVER_TOKEN override it.\n" + ToYaml(j);
}

Result<std::optional<CliConfig>> ReadConfigFile(const std::string& path) {
  auto text = ReadFile(path);
  if (!text.ok()) {
    if (text.status().code() == StatusCode::kNotFound) return std::optional<CliConfig>();
    return text.status();
  }
  auto config = ParseConfig(*text);
  if (!config.ok()) {
    const Status& st = config.status();
    return Status::Invalid(st.field().empty() ? path : path + ": " + st.field(), st.message());
  }
  return std::optional<CliConfig>(std::move(*config));
}

Status WriteConfigFile(const std::string& path, const CliConfig& config) {
  return WriteFileAtomic(path, SerializeConfig(config), 0600);
}

Result<CliConfig> ResolveServer(const Environment& env, const std::optional<CliConfig>& file) {
  CliConfig out;
  if (env.drover_server) {
    out.server = *env.drover_server;
    if (env.drover_token) {
      out.token = *env.drover_token;
    } else if (file && file->server == out.server) {
      out.token = file->token;  // the same server: its token still applies
    }
    if (file && file->server == out.server) out.ca_file = file->ca_file;
    if (env.drover_ca_file) out.ca_file = *env.drover_ca_file;
    return out;
  }
  if (!file || file->server.empty()) {
    return Status::Unavailable("no cluster configured: run `drover up` or set DROVER_SERVER");
  }
  out = *file;
  if (env.drover_token) out.token = *env.drover_token;
  if (env.drover_ca_file) out.ca_file = *env.drover_ca_file;
  return out;
}

}  // namespace drover::cli
