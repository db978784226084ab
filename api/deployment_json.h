// JSON codec of Deployments and their Revisions (strict, as json_codec.h:
// an unknown field or a wrong type is an InvalidArgument naming its path).
#pragma once

#include "api/deployment.h"
#include "api/json_text.h"

namespace drover {

Json ToJson(const Deployment& d);
Result<Deployment> DeploymentFromJson(const Json& json);

Json ToJson(const Revision& r);
Result<Revision> RevisionFromJson(const Json& json);

// maxSurge/maxUnavailable: 3, or "25%".
Json IntOrPercentToJson(const IntOrPercent& v);
Status IntOrPercentFromJson(const Json& obj, std::string_view key, std::string_view path,
                            IntOrPercent* out);

// spec.template of a Deployment: a task template plus its ports.
Json ReplicaTemplateToJson(const ReplicaTemplate& t);
Status ReplicaTemplateFromJson(const Json& j, std::string_view path, ReplicaTemplate* t);

}  // namespace drover
