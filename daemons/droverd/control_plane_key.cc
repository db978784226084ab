#include "daemons/droverd/control_plane_key.h"

#include "api/json_text.h"
#include "api/token_hash.h"

namespace drover::droverd {

Result<std::string> LoadOrCreateControlPlaneKey(db::Store& store) {
  constexpr const char* kKey = "control-plane";
  auto stored = store.Get(kSecretKind, kKey);
  if (stored.ok()) {
    auto json = ParseJson(stored->data);
    if (!json.ok()) return json.status().WithFieldPrefix("secret control-plane");
    if (!json->is_object() || !json->contains("secret") || !(*json)["secret"].is_string() ||
        (*json)["secret"].get<std::string>().size() < 32) {
      return Status::Invalid("secret control-plane", "is not a {\"secret\": HEX} object");
    }
    return (*json)["secret"].get<std::string>();
  }
  if (stored.status().code() != StatusCode::kNotFound) return stored.status();
  auto secret = RandomHex(32);
  if (!secret.ok()) return secret.status();
  DROVER_RETURN_IF_ERROR(
      store.Commit({db::Mutation::Put(kSecretKind, kKey, DumpJson(Json{{"secret", *secret}}))}));
  return *secret;
}

}  // namespace drover::droverd
