#include "controllers/node_lifecycle.h"

#include <gtest/gtest.h>

namespace drover::controllers {
namespace {

TEST(NodeLifecycleTest, SilentNodeBecomesNotReadyAndRecovers) {
  Node n;
  n.status.phase = NodePhase::kReady;
  n.status.last_heartbeat_ms = 1000;
  NodeLifecycleConfig config{.heartbeat_timeout_ms = 500};
  EXPECT_EQ(ReconcileNode(n, 1400, config), NodeTransition::kNone);
  EXPECT_EQ(ReconcileNode(n, 1600, config), NodeTransition::kBecameNotReady);
  EXPECT_EQ(n.status.phase, NodePhase::kNotReady);
  EXPECT_EQ(ReconcileNode(n, 1700, config), NodeTransition::kNone) << "idempotent";
  n.status.last_heartbeat_ms = 1800;
  EXPECT_EQ(ReconcileNode(n, 1900, config), NodeTransition::kBecameReady);
}

}  // namespace
}  // namespace drover::controllers
