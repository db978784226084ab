// A random UUID (version 4 format): object uids, submission ids.
#pragma once

#include <string>

namespace drover {

// "1b4e28ba-2fa1-4d2e-8b5c-2a2f5e3b1c09". Not for secrets (tokens use the
// system's CSPRNG): a per-thread generator seeded once from the system.
std::string RandomUuid();

}  // namespace drover
