// /api/v1/tokens...: admins issue, list and revoke bearer tokens
// (issued_tokens.h). A new token's secret is in the create answer only.
#include <pwd.h>

#include "api/http_client.h"
#include "api/json_fields.h"
#include "api/token_hash.h"
#include "api/validation.h"
#include "daemons/droverd/api_routes.h"

namespace drover::droverd {
namespace {

Status RequireAdmin(const Caller& caller) {
  if (caller.role == Role::kAdmin) return Status::Ok();
  return Status::PermissionDenied("only admins issue, list or revoke tokens");
}

inline constexpr int64_t kJoinTokenDefaultTtlSeconds = 86'400;  // kubeadm's 24 h

// {"role": "user"|"admin", "user": NAME, "uid": N, "gid": N} (uid and gid
// default to the account's on droverd's host), or {"role": "node", "node":
// NAME}, or {"role": "join"}; each may have "ttl" (a duration; join tokens
// default to 24 h, the others to none) and "description".
Result<IssuedToken> DecodeRequest(const std::string& body, int64_t now_ms) {
  using namespace json_fields;
  auto j = ParseJson(body);
  if (!j.ok()) return j.status();
  DROVER_RETURN_IF_ERROR(
      CheckKnownFields(*j, {"role", "user", "uid", "gid", "node", "ttl", "description"}, ""));
  IssuedToken t;
  std::string role = "user";
  DROVER_RETURN_IF_ERROR(GetString(*j, "role", "", &role));
  if (role != "user" && role != "admin" && role != "node" && role != "join") {
    return Status::Invalid("role", "must be user, admin, node or join");
  }
  const bool person = role == "user" || role == "admin";
  for (const char* field : {"user", "uid", "gid"}) {
    if (!person && j->contains(field)) {
      return Status::Invalid(field, "only user and admin tokens carry an account");
    }
  }
  if (role != "node" && j->contains("node")) {
    return Status::Invalid("node", "only node credentials name a node");
  }
  if (role == "node") {
    std::string node;
    DROVER_RETURN_IF_ERROR(GetString(*j, "node", "", &node));
    DROVER_RETURN_IF_ERROR(ValidateName("node", node));
    t.caller = NodeCaller(node);
  } else if (role == "join") {
    t.caller.role = Role::kJoin;
  } else {
    t.caller.role = role == "admin" ? Role::kAdmin : Role::kUser;
    DROVER_RETURN_IF_ERROR(GetString(*j, "user", "", &t.caller.user));
    DROVER_RETURN_IF_ERROR(ValidateName("user", t.caller.user));
    int64_t uid = -1, gid = -1;
    DROVER_RETURN_IF_ERROR(GetInt(*j, "uid", "", &uid));
    DROVER_RETURN_IF_ERROR(GetInt(*j, "gid", "", &gid));
    if (uid < 0 || gid < 0) {
      struct passwd pw;
      struct passwd* found = nullptr;
      std::vector<char> buf(16384);
      if (getpwnam_r(t.caller.user.c_str(), &pw, buf.data(), buf.size(), &found) != 0 ||
          found == nullptr) {
        return Status::Invalid(
            "user", "no account \"" + t.caller.user + "\" on droverd's host; give uid and gid");
      }
      if (uid < 0) uid = pw.pw_uid;
      if (gid < 0) gid = pw.pw_gid;
    }
    if (uid > UINT32_MAX - 1 || gid > UINT32_MAX - 1) {
      return Status::Invalid("uid", "out of range");
    }
    if (t.caller.role == Role::kUser && uid == 0) {
      return Status::Invalid("uid", "a user token must not carry uid 0 (issue an admin token)");
    }
    if (t.caller.role == Role::kUser && gid == 0) {
      return Status::Invalid("gid", "a user token must not carry gid 0 (root's group)");
    }
    t.caller.uid = static_cast<uint32_t>(uid);
    t.caller.gid = static_cast<uint32_t>(gid);
  }
  int64_t ttl_seconds = role == "join" ? kJoinTokenDefaultTtlSeconds : 0;
  if (j->contains("ttl")) {
    auto ttl = ParseDuration(j->at("ttl"));
    if (!ttl.ok()) return ttl.status().WithFieldPrefix("ttl");
    if (*ttl <= 0) return Status::Invalid("ttl", "must be positive");
    ttl_seconds = *ttl;
  }
  DROVER_RETURN_IF_ERROR(GetString(*j, "description", "", &t.description));
  if (t.description.size() > 256) {
    return Status::Invalid("description", "at most 256 characters");
  }
  t.created_ms = now_ms;
  if (ttl_seconds > 0) t.expires_ms = now_ms + ttl_seconds * 1000;
  return t;
}

// A node has one credential at a time: a second would outlive the first's
// revocation, and a join token must not take over a node that has joined.
Status NodeMayGetCredential(const ApiContext& ctx, const std::string& node) {
  if (ctx.tokens->HasNode(node) || ctx.issued->HasNode(node)) {
    return Status::Conflict("node " + node +
                            " has a credential already; revoke it (drover token list, drover "
                            "token revoke ID) before the node joins again");
  }
  return Status::Ok();
}

// A fresh secret and an id no token has.
Status MakeSecret(const IssuedTokens& issued, IssuedToken* token, std::string* secret) {
  auto s = RandomHex(32);
  if (!s.ok()) return s.status();
  auto id = RandomHex(8);
  while (id.ok() && issued.FindById(*id)) id = RandomHex(8);
  if (!id.ok()) return id.status();
  *secret = *s;
  token->id = *id;
  token->hash = Sha256Hex(*s);
  if (token->caller.role == Role::kJoin) token->caller.user = "join:" + token->id;
  return Status::Ok();
}

// Issues `token` (on the state thread): a fresh secret, the store write, and
// the answer with the secret once the write is durable. The token is known
// at once, so a second request for the same node in this batch is refused;
// it is usable only by whoever learns the secret, which is sent after the
// commit (a failed commit ends droverd).
void Issue(const ApiContext& ctx, CommandContext& c, IssuedToken token, HttpResponder respond) {
  if (token.caller.role == Role::kNode) {
    Status free = NodeMayGetCredential(ctx, token.caller.node);
    if (!free.ok()) return respond(ErrorResponse(free));
  }
  std::string secret;
  Status made = MakeSecret(*ctx.issued, &token, &secret);
  if (!made.ok()) return respond(ErrorResponse(made));
  c.Write(db::Mutation::Put(kTokenKind, token.id, DumpJson(ToJson(token, true))));
  ctx.issued->Add(token);
  c.AfterCommit([respond, secret, token] {
    Json out = ToJson(token, false);
    out["token"] = secret;
    respond(JsonResponse(201, out));
  });
}

void Create(const ApiContext& ctx, const HttpRequest& req, HttpResponder respond) {
  ctx.loop->Post([ctx, body = req.body, respond](CommandContext& c) {
    auto token = DecodeRequest(body, c.now_ms);
    if (!token.ok()) return respond(ErrorResponse(token.status()));
    Issue(ctx, c, std::move(*token), respond);
  });
}

void List(const ApiContext& ctx, HttpResponder respond) {
  Json items = Json::array();
  for (const IssuedToken& t : ctx.issued->List()) items.push_back(ToJson(t, false));
  respond(JsonResponse(200, Json{{"items", std::move(items)}}));
}

void Revoke(const ApiContext& ctx, const std::string& id, HttpResponder respond) {
  ctx.loop->Post([ctx, id, respond](CommandContext& c) {
    auto token = ctx.issued->FindById(id);
    if (!token) {
      return respond(
          ErrorResponse(Status::NotFound("no token \"" + SanitizeUtf8(id.substr(0, 64)) + "\"")));
    }
    c.Write(db::Mutation::Delete(kTokenKind, id));
    c.AfterCommit([ctx, id, respond, t = *token] {
      ctx.issued->Remove(id);
      respond(JsonResponse(200, ToJson(t, false)));
    });
  });
}

}  // namespace

void JoinNode(const ApiContext& ctx, const Caller& caller, const std::string& node,
              const HttpRequest& req, HttpResponder respond) {
  if (caller.role != Role::kJoin && caller.role != Role::kAdmin) {
    return respond(ErrorResponse(
        Status::PermissionDenied("a node joins with a join token (drover token create --join)")));
  }
  if (!req.body.empty()) {
    auto j = ParseJson(req.body);
    if (!j.ok()) return respond(ErrorResponse(j.status()));
    Status known = json_fields::CheckKnownFields(*j, {}, "");
    if (!known.ok()) return respond(ErrorResponse(known));
  }
  Status name_ok = ValidateName("node", node);
  if (!name_ok.ok()) return respond(ErrorResponse(name_ok));
  ctx.loop->Post([ctx, caller, node, respond](CommandContext& c) {
    IssuedToken token;
    token.caller = NodeCaller(node);
    token.created_ms = c.now_ms;
    token.description = "joined with " + caller.user;
    Issue(ctx, c, std::move(token), respond);
  });
}

void HandleTokenRoute(const ApiContext& ctx, const Caller& caller, HttpRequest& req,
                      const std::vector<std::string>& parts, HttpResponder respond) {
  Status admin = RequireAdmin(caller);
  if (!admin.ok()) return respond(ErrorResponse(admin));
  const std::string& m = req.method;
  if (parts.size() == 1 && m == "POST") return Create(ctx, req, std::move(respond));
  if (parts.size() == 1 && m == "GET") return List(ctx, std::move(respond));
  if (parts.size() == 2 && m == "DELETE") return Revoke(ctx, parts[1], std::move(respond));
  respond(NotFoundResponse(req));
}

}  // namespace drover::droverd
