// Where the CLI finds droverd: the user's config file (written by `drover up`)
// and the environment (DROVER_SERVER, DROVER_TOKEN, DROVER_CA_FILE), plus the XDG paths both
// live under.
//
// The config file is YAML:
//   server: unix:/home/alice/.local/share/drover/droverd.sock
//   token: 3f0c...                      # optional: on the Unix socket the CLI is who it is
//   caFile: /etc/drover/ca.pem          # optional: verifies an https:// server
//   stateDir: /home/alice/.local/share/drover
// It may hold a token, so it is written with mode 0600.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "api/status.h"

namespace drover::cli {

// The process environment the CLI depends on, captured once so the pure
// functions below can be tested with any values.
struct Environment {
  std::string home;
  std::string xdg_config_home;
  std::string xdg_data_home;
  std::optional<std::string> drover_server;
  std::optional<std::string> drover_token;
  std::optional<std::string> drover_ca_file;

  static Environment FromProcess();
};

struct CliConfig {
  std::string server;        // "unix:/path" or "http://host:port"
  std::string token;         // bearer token; may be empty
  std::string state_dir;     // the `drover up` state dir this config came from; may be empty
  std::string ca_file = {};  // CAs for an https:// server; "" = the system's
};

// $XDG_CONFIG_HOME/drover/config, else $HOME/.config/drover/config.
std::string ConfigFilePath(const Environment& env);
// $XDG_DATA_HOME/drover, else $HOME/.local/share/drover.
std::string DefaultStateDir(const Environment& env);

// Parses the config file's text. Unknown keys are errors naming the key, so a
// typo does not silently fall back to defaults.
Result<CliConfig> ParseConfig(std::string_view text);
std::string SerializeConfig(const CliConfig& config);

// Reads the config file; nullopt if it does not exist, an error if it is
// malformed or unreadable.
Result<std::optional<CliConfig>> ReadConfigFile(const std::string& path);
// Writes it atomically with mode 0600.
Status WriteConfigFile(const std::string& path, const CliConfig& config);

// The server and token to use: DROVER_SERVER (with DROVER_TOKEN) wins over the
// file; DROVER_TOKEN alone overrides the file's token. Unavailable with the
// message "no cluster configured: run `drover up` or set DROVER_SERVER" when
// neither names a server.
Result<CliConfig> ResolveServer(const Environment& env, const std::optional<CliConfig>& file);

}  // namespace drover::cli
