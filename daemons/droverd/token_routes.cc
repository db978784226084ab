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

// {"role": "user"|"admin", "user": NAME, "uid": N, "gid": N, "description": TEXT};
// uid and gid default to the account's on droverd's host.
Result<IssuedToken> DecodeRequest(const std::string& body, int64_t now_ms) {
  using namespace json_fields;
  auto j = ParseJson(body);
  if (!j.ok()) return j.status();
  DROVER_RETURN_IF_ERROR(CheckKnownFields(*j, {"role", "user", "uid", "gid", "description"}, ""));
  IssuedToken t;
  std::string role = "user";
  DROVER_RETURN_IF_ERROR(GetString(*j, "role", "", &role));
  if (role != "user" && role != "admin") {
    return Status::Invalid("role",
                           "must be user or admin (node credentials are in the token "
                           "file, bound to their node)");
  }
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
  DROVER_RETURN_IF_ERROR(GetString(*j, "description", "", &t.description));
  if (t.description.size() > 256) {
    return Status::Invalid("description", "at most 256 characters");
  }
  t.created_ms = now_ms;
  return t;
}

void Create(const ApiContext& ctx, const HttpRequest& req, HttpResponder respond) {
  ctx.loop->Post([ctx, body = req.body, respond](CommandContext& c) {
    auto token = DecodeRequest(body, c.now_ms);
    if (!token.ok()) return respond(ErrorResponse(token.status()));
    auto secret = RandomHex(32);
    auto id = RandomHex(8);
    while (id.ok() && ctx.issued->FindById(*id)) id = RandomHex(8);
    if (!secret.ok() || !id.ok())
      return respond(ErrorResponse(secret.ok() ? id.status() : secret.status()));
    token->id = *id;
    token->hash = Sha256Hex(*secret);
    c.Write(db::Mutation::Put(kTokenKind, token->id, DumpJson(ToJson(*token, true))));
    c.AfterCommit([ctx, respond, secret = *secret, t = *token] {
      ctx.issued->Add(t);
      Json out = ToJson(t, false);
      out["token"] = secret;
      respond(JsonResponse(201, out));
    });
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
