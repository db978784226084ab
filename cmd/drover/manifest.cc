#include "cmd/drover/manifest.h"

#include "api/daemon_set_json.h"
#include "api/deployment_json.h"
#include "api/json_codec.h"
#include "api/stateful_set_json.h"
#include "api/validation.h"
#include "api/yaml_codec.h"
#include "cmd/drover/file_io.h"

namespace drover::cli {
namespace {

// A document's kind, or "" when it is not an object or its kind not a string.
std::string KindOf(const Json& doc) {
  if (!doc.is_object()) return "";
  auto it = doc.find("kind");
  return it != doc.end() && it->is_string() ? it->get<std::string>() : "";
}

Status WithPlace(const Status& st, const std::string& place) {
  std::string field = st.field().empty() ? place : place + ": " + st.field();
  return Status(st.code(), st.message(), field);
}

void ResolvePaths(TaskTemplate& t, const std::string& cwd) {
  t.working_dir = t.working_dir.empty() ? cwd : AbsolutePath(t.working_dir, cwd);
  t.stdout_path = AbsolutePath(t.stdout_path, t.working_dir);
  t.stderr_path = AbsolutePath(t.stderr_path, t.working_dir);
}

}  // namespace

Result<std::vector<Job>> JobsFromManifest(std::string_view text, const std::string& source,
                                          const std::string& cwd) {
  auto objects = ObjectsFromManifest(text, source, cwd);
  if (!objects.ok()) return objects.status();
  if (!objects->deployments.empty() || !objects->daemon_sets.empty() ||
      !objects->stateful_sets.empty()) {
    return Status::Invalid(source + ": kind", "a service where only Jobs are expected");
  }
  return std::move(objects->jobs);
}

Result<ManifestObjects> ObjectsFromManifest(std::string_view text, const std::string& source,
                                            const std::string& cwd) {
  std::vector<Json> docs;
  size_t first = text.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && (text[first] == '{' || text[first] == '[')) {
    auto json = ParseJson(text);
    if (!json.ok()) return WithPlace(json.status(), source);
    if (json->is_array()) {
      for (auto& item : *json) docs.push_back(item);
    } else {
      docs.push_back(std::move(*json));
    }
  } else {
    auto yaml = ParseYamlDocuments(text);
    if (!yaml.ok()) return WithPlace(yaml.status(), source);
    docs = std::move(*yaml);
  }

  ManifestObjects out;
  for (size_t d = 0; d < docs.size(); ++d) {
    if (docs[d].is_null()) continue;  // an empty document ("---" at the end)
    std::string place = source + ": document " + std::to_string(d + 1);
    std::vector<Json> items;
    const bool is_list = KindOf(docs[d]) == "List";
    if (is_list) {
      if (!docs[d].contains("items") || !docs[d]["items"].is_array()) {
        return Status::Invalid(place + ": items", "a List needs a list of items");
      }
      for (auto& item : docs[d]["items"]) items.push_back(item);
    } else {
      items.push_back(docs[d]);
    }
    for (size_t i = 0; i < items.size(); ++i) {
      std::string item_place =
          items.size() > 1 || is_list ? place + ": items[" + std::to_string(i) + "]" : place;
      const Json& item = items[i];
      std::string kind = KindOf(item);
      if (kind == "Deployment") {
        auto deployment = DeploymentFromJson(item);
        if (!deployment.ok()) return WithPlace(deployment.status(), item_place);
        ResolvePaths(deployment->spec.template_.task, cwd);
        deployment->status = DeploymentStatus{};
        Status valid = ValidateDeployment(*deployment);
        if (!valid.ok()) return WithPlace(valid, item_place);
        out.deployments.push_back(std::move(*deployment));
        continue;
      }
      if (kind == "DaemonSet") {
        auto ds = DaemonSetFromJson(item);
        if (!ds.ok()) return WithPlace(ds.status(), item_place);
        ResolvePaths(ds->spec.template_.task, cwd);
        ds->status = DaemonSetStatus{};
        Status valid = ValidateDaemonSet(*ds);
        if (!valid.ok()) return WithPlace(valid, item_place);
        out.daemon_sets.push_back(std::move(*ds));
        continue;
      }
      if (kind == "StatefulSet") {
        auto ss = StatefulSetFromJson(item);
        if (!ss.ok()) return WithPlace(ss.status(), item_place);
        ResolvePaths(ss->spec.template_.task, cwd);
        ss->status = StatefulSetStatus{};
        Status valid = ValidateStatefulSet(*ss);
        if (!valid.ok()) return WithPlace(valid, item_place);
        out.stateful_sets.push_back(std::move(*ss));
        continue;
      }
      if (kind != "Job") {
        return Status::Invalid(item_place + ": kind",
                               kind.empty() ? "is required (kind: Job, Deployment, DaemonSet or "
                                              "StatefulSet)"
                                            : "kind \"" + kind +
                                                  "\" cannot be applied (Job, Deployment, "
                                                  "DaemonSet, StatefulSet)");
      }
      auto job = JobFromJson(item);
      if (!job.ok()) return WithPlace(job.status(), item_place);
      ResolvePaths(job->spec.task, cwd);
      // Fields droverd assigns are not the submitter's to set.
      job->id = 0;
      job->status = JobStatus{};
      Status valid = ValidateJobSubmission(*job);
      if (!valid.ok()) return WithPlace(valid, item_place);
      out.jobs.push_back(std::move(*job));
    }
  }
  return out;
}

}  // namespace drover::cli
