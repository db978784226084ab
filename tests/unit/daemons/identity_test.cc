// The token table, how a caller is identified, and the authorization rules
// (daemons/droverd/identity.h, authorization.h).
#include "daemons/droverd/identity.h"

#include <gtest/gtest.h>

#include "api/token_hash.h"
#include "daemons/droverd/authorization.h"
#include "daemons/droverd/issued_tokens.h"

namespace drover::droverd {
namespace {

const std::string kAdmin = "admin-secret-0123456789";
const std::string kUser = "user-secret-0123456789";
const std::string kNode = "node-secret-0123456789";

TokenTable Table() {
  auto t =
      TokenTable::Parse("# comment\n" + HashedTokenEntry(kAdmin) + " admin root 0 0\n" + kUser +
                            " user alice 1000 1000   # trailing comment\n" + kNode + " node n1\n\n",
                        "tokens");
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  return t.ok() ? *t : TokenTable();
}

TEST(TokenTableTest, FindsEachRoleByItsSecretWhetherStoredPlainOrHashed) {
  TokenTable t = Table();
  const Caller* admin = t.Find(kAdmin);
  ASSERT_NE(admin, nullptr);
  EXPECT_EQ(admin->role, Role::kAdmin);
  const Caller* user = t.Find(kUser);
  ASSERT_NE(user, nullptr);
  EXPECT_EQ(user->role, Role::kUser);
  EXPECT_EQ(user->uid, 1000u);
  const Caller* node = t.Find(kNode);
  ASSERT_NE(node, nullptr);
  EXPECT_EQ(node->role, Role::kNode);
  EXPECT_EQ(node->node, "n1");
  EXPECT_TRUE(t.HasNode("n1"));
  EXPECT_FALSE(t.HasNode("n2"));
}

TEST(TokenTableTest, NodeCredentialsMayBeStoredHashedToo) {
  // droverd presents its own control-plane key to nodes, so it never needs
  // a node's secret: the token file may hold only its hash.
  auto t = TokenTable::Parse(HashedTokenEntry(kNode) + " node n1\n", "tokens");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  ASSERT_NE(t->Find(kNode), nullptr);
  EXPECT_EQ(t->Find(kNode)->node, "n1");
  EXPECT_TRUE(t->HasNode("n1"));
}

TEST(TokenTableTest, TheHashIsNotASecret) {
  TokenTable t = Table();
  EXPECT_EQ(t.Find(Sha256Hex(kAdmin)), nullptr);
  EXPECT_EQ(t.Find("sha256:" + Sha256Hex(kAdmin)), nullptr);
  EXPECT_EQ(t.Find(kAdmin.substr(1)), nullptr);
  EXPECT_EQ(t.Find(""), nullptr);
}

TEST(TokenTableTest, MalformedEntriesAreRefusedNamingTheLineAndRule) {
  struct Case {
    std::string text;
    std::string rule;  // part of the message
  };
  const Case cases[] = {
      {"short admin root 0 0\n", "at least 16"},
      {kUser + " user root 0 0\n", "uid 0"},
      {kUser + " user alice x 1000\n", "not a number"},
      {kUser + " user alice 9999999999 1000\n", "out of range"},
      {kUser + " user alice 4294967295 4294967295\n", "out of range"},  // setresuid's "unchanged"
      {kUser + " user alice 1000 0\n", "gid 0"},
      {kUser + " wizard alice 1 1\n", "not admin, user or node"},
      {kNode + " node\n", "TOKEN node NODE"},
      {kNode + " node n1 0 0\n", "TOKEN node NODE"},
      {"sha256:abc admin root 0 0\n", "64 hex"},
      {kNode + " node n1\n" + kUser + " node n1\n", "has a token already"},
      {kUser + " user a 5 5\n" + kUser + " user b 6 6\n", "twice"},
  };
  for (const Case& c : cases) {
    auto t = TokenTable::Parse("# first line\n" + c.text, "F");
    ASSERT_FALSE(t.ok()) << c.text;
    EXPECT_EQ(t.status().field().rfind("F:", 0), 0u) << t.status().ToString();
    EXPECT_NE(t.status().message().find(c.rule), std::string::npos)
        << c.text << " -> " << t.status().ToString();
  }
}

TEST(IdentifyCallerTest, TokenFirstThenPeerCredentialsElseRefused) {
  TokenTable t = Table();
  HttpRequest over_tcp;
  EXPECT_EQ(IdentifyCaller(over_tcp, t, nullptr, 0, 0).status().code(),
            StatusCode::kUnauthenticated);
  over_tcp.bearer_token = "wrong-token-wrong-token";
  EXPECT_EQ(IdentifyCaller(over_tcp, t, nullptr, 0, 0).status().code(),
            StatusCode::kUnauthenticated);
  over_tcp.bearer_token = kUser;
  EXPECT_EQ(IdentifyCaller(over_tcp, t, nullptr, 0, 0)->user, "alice");

  HttpRequest local;
  local.peer.via_unix_socket = true;
  local.peer.uid = 1234;
  local.peer.gid = 1234;
  auto someone = IdentifyCaller(local, t, nullptr, /*daemon_uid=*/500, 0);
  ASSERT_TRUE(someone.ok());
  EXPECT_EQ(someone->role, Role::kUser);
  EXPECT_EQ(someone->uid, 1234u);
  local.peer.uid = 500;  // droverd's own user
  EXPECT_EQ(IdentifyCaller(local, t, nullptr, 500, 0)->role, Role::kAdmin);
  local.peer.uid = 0;
  EXPECT_EQ(IdentifyCaller(local, t, nullptr, 500, 0)->role, Role::kAdmin);
  // A token on the socket speaks for its holder, not for the peer.
  local.bearer_token = kUser;
  EXPECT_EQ(IdentifyCaller(local, t, nullptr, 500, 0)->role, Role::kUser);
}

Caller User(uint32_t uid) {
  return Caller{.role = Role::kUser,
                .user = "u" + std::to_string(uid),
                .uid = uid,
                .gid = uid,
                .node = {},
                .task = {},
                .builtin = {}};
}
Caller Admin() {
  return Caller{.role = Role::kAdmin,
                .user = "root",
                .uid = 0,
                .gid = 0,
                .node = {},
                .task = {},
                .builtin = {}};
}

Job OwnedBy(uint32_t uid, int32_t priority = 0, int32_t nice = 0) {
  Job j;
  j.id = 7;
  j.owner = {"u" + std::to_string(uid), uid, uid};
  j.spec.priority = priority;
  j.spec.nice = nice;
  return j;
}

TEST(AuthorizationTest, SubmissionRules) {
  struct Case {
    const char* what;
    Caller caller;
    Job job;
    bool allowed;
  };
  const Case cases[] = {
      {"a plain job", User(1000), OwnedBy(1000), true},
      {"a lower priority by nice", User(1000), OwnedBy(1000, 0, 100), true},
      {"a priority of one's own", User(1000), OwnedBy(1000, 5), false},
      {"a negative priority", User(1000), OwnedBy(1000, -5), false},
      {"a negative nice", User(1000), OwnedBy(1000, 0, -1), false},
      {"an admin's priority", Admin(), OwnedBy(0, 100), true},
      {"an admin's negative nice", Admin(), OwnedBy(0, 0, -100), true},
      {"a node submitting", NodeCaller("n1"), OwnedBy(0), false},
  };
  for (const Case& c : cases) {
    Status st = AuthorizeSubmission(c.job, c.caller);
    EXPECT_EQ(st.ok(), c.allowed) << c.what << ": " << st.ToString();
    if (!c.allowed) {
      EXPECT_EQ(st.code(), StatusCode::kPermissionDenied) << c.what;
    }
  }
}

TEST(AuthorizationTest, ChangesAndLogsAreForTheOwnerAndAdmins) {
  Job job = OwnedBy(1000);
  EXPECT_TRUE(AuthorizeJobChange(job, User(1000), "cancel").ok());
  EXPECT_TRUE(AuthorizeJobChange(job, Admin(), "cancel").ok());
  EXPECT_FALSE(AuthorizeJobChange(job, User(1001), "cancel").ok());
  // A node credential carries uid 0 but is nobody's owner.
  EXPECT_FALSE(AuthorizeJobChange(OwnedBy(0), NodeCaller("n1"), "cancel").ok());
  EXPECT_TRUE(AuthorizeLogRead(job, User(1000), false).ok());
  EXPECT_TRUE(AuthorizeLogRead(job, Admin(), false).ok());
  EXPECT_FALSE(AuthorizeLogRead(job, User(1001), false).ok());
  EXPECT_TRUE(AuthorizeLogRead(job, User(1001), /*logs_public=*/true).ok());
  EXPECT_FALSE(AuthorizeLogRead(job, NodeCaller("n1"), true).ok());
}

TEST(AuthorizationTest, ANodeCredentialReachesOnlyItsOwnNodeEndpoints) {
  using Parts = std::vector<std::string>;
  EXPECT_TRUE(AuthorizeRoute(NodeCaller("n1"), Parts{"nodes", "n1", "status"}).ok());
  EXPECT_FALSE(AuthorizeRoute(NodeCaller("n1"), Parts{"nodes", "n2", "status"}).ok());
  EXPECT_FALSE(AuthorizeRoute(NodeCaller("n1"), Parts{"jobs"}).ok());
  EXPECT_FALSE(AuthorizeRoute(NodeCaller("n1"), Parts{"nodes"}).ok());
  EXPECT_TRUE(AuthorizeRoute(User(1000), Parts{"jobs"}).ok());
  EXPECT_TRUE(AuthorizeNodeEndpoint(NodeCaller("n1"), "n1", "status").ok());
  EXPECT_FALSE(AuthorizeNodeEndpoint(NodeCaller("n1"), "n2", "status").ok());
  EXPECT_FALSE(AuthorizeNodeEndpoint(User(1000), "n1", "status").ok());
  EXPECT_TRUE(AuthorizeNodeEndpoint(Admin(), "n1", "status").ok());
  // A node does not join again with its own credential (it has one).
  EXPECT_FALSE(AuthorizeNodeEndpoint(NodeCaller("n1"), "n1", "join").ok());
}

TEST(AuthorizationTest, ARestrictedQueueTakesItsUsersItsGroupsAndAdmins) {
  const std::map<std::string, QueueAccess> rules = {
      {"urgent", QueueAccess{{"alice"}, {"oncall"}}},
      {"default", QueueAccess{{}, {"staff"}}},
  };
  Caller alice = User(1000);
  alice.user = "alice";
  Caller bob = User(1001);
  bob.user = "bob";
  struct Case {
    std::string queue;
    const Caller* caller;
    std::vector<std::string> groups;
    bool allowed;
  };
  Caller admin = Admin();
  const Case cases[] = {
      {"urgent", &alice, {}, true},        // named user
      {"urgent", &bob, {"oncall"}, true},  // member of a named group
      {"urgent", &bob, {"bob", "users"}, false},
      {"urgent", &admin, {}, true},  // admins always
      {"batch", &bob, {}, true},     // no rules: everyone
      {"", &bob, {"staff"}, true},   // no queue named: "default"
      {"", &bob, {}, false},
  };
  for (const Case& c : cases) {
    Status st = AuthorizeQueue(c.queue, *c.caller, c.groups, rules);
    EXPECT_EQ(st.ok(), c.allowed) << c.queue << " " << c.caller->user << ": " << st.ToString();
    if (!st.ok()) {
      EXPECT_EQ(st.code(), StatusCode::kPermissionDenied);
      EXPECT_NE(st.message().find("spec.queue"), std::string::npos) << st.message();
    }
  }
}

Caller JoinCaller() {
  Caller c;
  c.role = Role::kJoin;
  c.user = "join:abc";
  return c;
}

TEST(AuthorizationTest, AJoinTokenOnlyJoinsANode) {
  using Parts = std::vector<std::string>;
  EXPECT_TRUE(AuthorizeRoute(JoinCaller(), Parts{"nodes", "n7", "join"}).ok());
  EXPECT_TRUE(AuthorizeNodeEndpoint(JoinCaller(), "n7", "join").ok());
  for (const Parts& p :
       {Parts{"jobs"}, Parts{"nodes"}, Parts{"nodes", "n7"}, Parts{"nodes", "n7", "register"},
        Parts{"nodes", "n7", "status"}, Parts{"tokens"}}) {
    EXPECT_FALSE(AuthorizeRoute(JoinCaller(), p).ok()) << p.size();
  }
  EXPECT_FALSE(AuthorizeNodeEndpoint(JoinCaller(), "n7", "register").ok());
  EXPECT_FALSE(AuthorizeNodeEndpoint(User(1000), "n7", "join").ok());
  EXPECT_TRUE(AuthorizeNodeEndpoint(Admin(), "n7", "join").ok());
  EXPECT_FALSE(AuthorizeSubmission(OwnedBy(0), JoinCaller()).ok());
}

TEST(IssuedTokensTest, ATokenStopsWorkingWhenItExpires) {
  IssuedTokens issued;
  IssuedToken t;
  t.id = "abcd";
  t.hash = Sha256Hex("join-secret-0123456789");
  t.caller = JoinCaller();
  t.created_ms = 1'000;
  t.expires_ms = 61'000;
  issued.Add(t);
  EXPECT_TRUE(issued.Find("join-secret-0123456789", 60'999).has_value());
  EXPECT_FALSE(issued.Find("join-secret-0123456789", 61'000).has_value());
  EXPECT_FALSE(issued.Find("join-secret-012345678", 2'000).has_value());
  // And the issued-token path of IdentifyCaller honours it.
  HttpRequest req;
  req.bearer_token = "join-secret-0123456789";
  EXPECT_EQ(IdentifyCaller(req, TokenTable(), &issued, 0, 2'000)->role, Role::kJoin);
  EXPECT_EQ(IdentifyCaller(req, TokenTable(), &issued, 0, 70'000).status().code(),
            StatusCode::kUnauthenticated);
}

TEST(IssuedTokensTest, EveryRoleSurvivesTheStoreRoundTrip) {
  for (Role role : {Role::kAdmin, Role::kUser, Role::kNode, Role::kJoin}) {
    IssuedToken t;
    t.id = "0123abcd";
    t.hash = Sha256Hex("secret");
    t.caller.role = role;
    if (role == Role::kNode) t.caller.node = "n3";
    if (role == Role::kUser || role == Role::kAdmin) {
      t.caller.user = "alice";
      t.caller.uid = 1000;
      t.caller.gid = 1000;
    }
    t.created_ms = 1'700'000'000'000;
    t.expires_ms = role == Role::kJoin ? 1'700'086'400'000 : 0;
    t.description = "d";
    auto back = IssuedTokenFromJson(ToJson(t, /*with_hash=*/true));
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(back->caller.role, role);
    EXPECT_EQ(back->caller.node, t.caller.node);
    EXPECT_EQ(back->caller.uid, t.caller.uid);
    EXPECT_EQ(back->expires_ms, t.expires_ms);
    EXPECT_EQ(back->hash, t.hash);
    // What list shows never holds the hash.
    EXPECT_FALSE(ToJson(t, /*with_hash=*/false).contains("sha256"));
  }
}

}  // namespace
}  // namespace drover::droverd
