// The node's own credential towards droverd, and how a new node gets one: an
// admin makes a join token (`drover token create --join`), the node presents
// it once to POST /api/v1/nodes/NAME/join, and droverd issues a credential
// bound to NAME. The node keeps it in STATE/node.credential (mode 0600) and
// uses it from then on; the join token is not needed again, and revoking the
// credential (`drover token revoke ID`) shuts the node out.
#pragma once

#include <string>

#include "api/status.h"

namespace drover::node {

struct CredentialSource {
  std::string server;
  std::string ca_file;
  std::string name;             // the node's name
  std::string state_dir;        // holds node.credential
  std::string token_file;       // a credential given by the admin ("" = none)
  std::string join_token_file;  // a join token ("" = none)
};

// The credential this node uses: the --token-file's, else the one kept in
// the state directory, else a new one obtained with the join token (retried
// while droverd cannot be reached). Errors name the file or droverd's answer
// (Conflict when the node has a credential already, Unauthenticated for an
// expired or revoked join token).
Result<std::string> ObtainNodeCredential(const CredentialSource& source);

// Reads the first word of a file (a token), or "" if it cannot be read.
std::string ReadTokenFile(const std::string& path);

}  // namespace drover::node
