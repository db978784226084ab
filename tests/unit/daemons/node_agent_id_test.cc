// One live agent per node name: a second agent under a name that a live
// agent holds is refused (both would run the node's tasks), the same agent
// registering again (a restart) is not, and once the holder is given up the
// name is free.
#include <gtest/gtest.h>

#include "tests/unit/daemons/cluster_state_fixture.h"

namespace drover::droverd {
namespace {

class NodeAgentIdTest : public ClusterStateTest {};

Node WithAgent(const std::string& agent_id) {
  Node n = MakeNode("n2", 4);
  n.status.agent_id = agent_id;
  return n;
}

TEST_F(NodeAgentIdTest, ASecondLiveAgentUnderANodesNameIsRefusedUntilTheFirstIsGivenUp) {
  ASSERT_TRUE(state_.RegisterNode(WithAgent("agent-a"), now_).ok());
  Status second = state_.RegisterNode(WithAgent("agent-b"), now_ + 1000);
  EXPECT_EQ(second.code(), StatusCode::kConflict);
  EXPECT_NE(second.message().find("agent-a"), std::string::npos) << second.message();
  EXPECT_NE(second.message().find("another --name"), std::string::npos) << second.message();
  EXPECT_EQ(state_.nodes().at("n2").status.agent_id, "agent-a") << "nothing changed";

  EXPECT_TRUE(state_.RegisterNode(WithAgent("agent-a"), now_ + 2000).ok())
      << "the same agent, restarted";
  EXPECT_TRUE(state_.RegisterNode(WithAgent(""), now_ + 2500).ok())
      << "an agent from before agent ids is taken as before";

  ASSERT_TRUE(state_.RegisterNode(WithAgent("agent-a"), now_ + 3000).ok());
  state_.ReconcileNodes(now_ + 60'000, 10'000);  // agent-a went silent: NotReady
  ASSERT_EQ(state_.nodes().at("n2").status.phase, NodePhase::kNotReady);
  EXPECT_TRUE(state_.RegisterNode(WithAgent("agent-b"), now_ + 61'000).ok());
  EXPECT_EQ(state_.nodes().at("n2").status.agent_id, "agent-b");
}

}  // namespace
}  // namespace drover::droverd
