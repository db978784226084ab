// The control-plane key: the secret droverd presents to node agents when it
// calls them (log reads). It is droverd's own, made once and kept in the
// store (so every droverd on one store, and a restarted one, has the same);
// a node learns only its SHA-256, in the answer to its registration, so a
// node that is broken into cannot speak to the other nodes as droverd.
#pragma once

#include <string>

#include "api/status.h"
#include "db/store.h"

namespace drover::droverd {

inline constexpr const char* kSecretKind = "secret";

// Reads the key, or makes and commits one if the store has none.
Result<std::string> LoadOrCreateControlPlaneKey(db::Store& store);

}  // namespace drover::droverd
