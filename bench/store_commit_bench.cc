// store_commit_bench: how fast a Store makes job submissions durable.
//
// Commits --batches batches of --batch puts of --size-byte JSON documents
// (new keys each time, like fresh submissions) and reports the latency of
// one Commit and the throughput in puts per second.
//
//   store_commit_bench [--url URL] [--batch N] [--size BYTES] [--batches N]
//
// Default URL: a SQLite file in a fresh temporary directory (removed after).
// For PostgreSQL pass e.g. --url postgresql://postgres@127.0.0.1:PORT/postgres
// (the bench creates and drops its own "objects" rows under kind "bench").
// Last line: store_commit_<backend>_puts_per_s=<value> puts/s
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "db/store.h"

namespace {

std::string Document(long id, size_t size) {
  std::string doc = R"({"kind":"Job","metadata":{"name":"job-)" + std::to_string(id) +
                    R"(","user":"alice","queue":"batch"},"spec":{"script":")";
  while (doc.size() + 40 < size) doc += "srun ./simulate --step ";
  doc.resize(size - 40, 'x');
  doc += R"("},"status":{"state":"Pending","n":1}})";
  doc.resize(size, ' ');
  return doc;
}

double Percentile(std::vector<double> values, double p) {
  std::sort(values.begin(), values.end());
  const size_t index = std::min(values.size() - 1, static_cast<size_t>(p * values.size()));
  return values[index];
}

}  // namespace

int main(int argc, char** argv) {
  std::string url;
  long batch_size = 1000;
  long size = 1024;
  long batches = 200;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--url") {
      url = argv[i + 1];
    } else if (flag == "--batch") {
      batch_size = std::atol(argv[i + 1]);
    } else if (flag == "--size") {
      size = std::atol(argv[i + 1]);
    } else if (flag == "--batches") {
      batches = std::atol(argv[i + 1]);
    } else {
      std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  if (batch_size < 1 || size < 64 || batches < 1) {
    std::fprintf(stderr, "--batch and --batches must be >= 1, --size >= 64\n");
    return 2;
  }
  std::string temp_dir;
  if (url.empty()) {
    temp_dir = (std::filesystem::temp_directory_path() / "store-bench-XXXXXX").string();
    if (::mkdtemp(temp_dir.data()) == nullptr) return 1;
    url = "sqlite:" + temp_dir + "/drover.db";
  }

  auto opened = drover::db::OpenStore(url);
  if (!opened.ok()) {
    std::fprintf(stderr, "open: %s\n", opened.status().ToString().c_str());
    return 1;
  }
  std::unique_ptr<drover::db::Store> store = std::move(*opened);
  const std::string backend(store->Backend());

  std::vector<double> latencies_ms;
  long next_id = 0;
  std::vector<drover::db::Mutation> batch;
  const auto start = std::chrono::steady_clock::now();
  for (long b = 0; b < batches; ++b) {
    batch.clear();
    for (long i = 0; i < batch_size; ++i, ++next_id) {
      batch.push_back(
          drover::db::Mutation::Put("bench", std::to_string(next_id), Document(next_id, size)));
    }
    const auto t0 = std::chrono::steady_clock::now();
    drover::Status st = store->Commit(batch);
    const auto t1 = std::chrono::steady_clock::now();
    if (!st.ok()) {
      std::fprintf(stderr, "commit: %s\n", st.ToString().c_str());
      return 1;
    }
    latencies_ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  const double commit_ms_total = [&] {
    double sum = 0;
    for (double v : latencies_ms) sum += v;
    return sum;
  }();
  const double wall_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  // Leave a shared PostgreSQL database as we found it.
  for (long first = 0; first < next_id; first += 10000) {
    batch.clear();
    for (long id = first; id < std::min(next_id, first + 10000); ++id) {
      batch.push_back(drover::db::Mutation::Delete("bench", std::to_string(id)));
    }
    if (!store->Commit(batch).ok()) break;
  }
  store.reset();
  if (!temp_dir.empty()) std::filesystem::remove_all(temp_dir);

  const double puts_per_s = static_cast<double>(next_id) / (commit_ms_total / 1000.0);
  std::printf("backend=%s batch=%ld size=%ld batches=%ld\n", backend.c_str(), batch_size, size,
              batches);
  std::printf("commit_ms: mean=%.2f p50=%.2f p99=%.2f max=%.2f\n", commit_ms_total / batches,
              Percentile(latencies_ms, 0.50), Percentile(latencies_ms, 0.99),
              Percentile(latencies_ms, 1.0));
  std::printf("wall_s=%.2f (including building the batches)\n", wall_s);
  std::printf("store_commit_%s_puts_per_s=%.0f puts/s\n", backend.c_str(), puts_per_s);
  return 0;
}
