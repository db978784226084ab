// The pieces every kind's JSON codec shares (metadata, the envelope, the task
// template), for codecs of kinds beyond json_codec.cc's.
#pragma once

#include <initializer_list>
#include <string_view>

#include "api/job.h"
#include "api/json_text.h"
#include "api/status.h"
#include "api/task.h"

namespace drover::codec_parts {

void PutTime(Json& obj, const char* key, int64_t ms);
Json MetaToJson(const ObjectMeta& m);
// Reads the common ObjectMeta fields; `allowed` are every key the caller accepts.
Status MetaFromJson(const Json& j, std::string_view path, ObjectMeta* m,
                    std::initializer_list<std::string_view> allowed);
// apiVersion and kind are right, and nothing but the five top-level fields is there.
Status CheckEnvelope(const Json& j, std::string_view want);
// metadata.owner of a Job or Deployment: {user, uid, gid}; written only when set.
void PutOwner(Json& meta, const Owner& owner);
Status OwnerFromJson(const Json& meta, Owner* owner);
Json TemplateToJson(const TaskTemplate& t);
Status TemplateFromJson(const Json& j, std::string_view path, TaskTemplate* t);
// allocation_json.cc
Json AllocationToJson(const AllocationSpec& a);
Status AllocationFromJson(const Json& j, std::string_view path, AllocationSpec* a);
Json StepToJson(const StepSpec& s);
Status StepFromJson(const Json& j, std::string_view path, StepSpec* s);

}  // namespace drover::codec_parts
