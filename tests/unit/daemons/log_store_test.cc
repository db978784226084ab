// The log store: shipping is idempotent by offset (a resent chunk adds
// nothing, an overlapping one only its new bytes, one past the end is
// refused with where to resume), reads page, old logs are swept, and names
// that are not task names never reach the filesystem.
#include "daemons/droverd/log_store.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "api/log_chunks.h"

namespace drover::droverd {
namespace {

class FixedClock final : public Clock {
 public:
  int64_t NowMs() const override { return now_ms; }
  int64_t now_ms = 0;
};

class LogStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/drover-log-store-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<LogStore> Open(LogStoreOptions o = {}) {
    o.dir = dir_ + "/logs";
    auto s = LogStore::Open(std::move(o));
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(*s) : nullptr;
  }

  std::string dir_;
};

TEST_F(LogStoreTest, ResentAndOverlappingChunksAddOnlyTheirNewBytes) {
  auto store = Open();
  auto acks = store->Append({{"web-1", 0, "one\ntwo\n"}});
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks[0].size, 8);
  EXPECT_TRUE(acks[0].error.empty());
  // The same chunk again (a lost answer, a restarted shipper): nothing added.
  EXPECT_EQ(store->Append({{"web-1", 0, "one\ntwo\n"}})[0].size, 8);
  // Overlapping: only "three\n" is new.
  EXPECT_EQ(store->Append({{"web-1", 4, "two\nthree\n"}})[0].size, 14);
  EXPECT_EQ(*store->Read("web-1", 0, 100), "one\ntwo\nthree\n");
  EXPECT_EQ(*store->Read("web-1", 8, 3), "thr");
  EXPECT_EQ(*store->Read("web-1", 100, 10), "");
  EXPECT_EQ(store->Size("web-1"), 14);
}

TEST_F(LogStoreTest, AChunkPastTheEndIsRefusedWithWhereToResume) {
  auto store = Open();
  store->Append({{"t", 0, "abc"}});
  auto ack = store->Append({{"t", 10, "xyz"}})[0];
  EXPECT_EQ(ack.size, 3);
  EXPECT_NE(ack.error.find("resend from there"), std::string::npos);
  EXPECT_EQ(*store->Read("t", 0, 100), "abc");
}

TEST_F(LogStoreTest, NamesThatAreNotTaskNamesNeverReachTheFilesystem) {
  auto store = Open();
  for (const char* bad : {"../escape", "a/b", ".hidden", "", "sp ace"}) {
    auto ack = store->Append({{bad, 0, "x"}})[0];
    EXPECT_FALSE(ack.error.empty()) << bad;
    EXPECT_EQ(store->Read(bad, 0, 10).status().code(), StatusCode::kNotFound) << bad;
  }
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/escape.out"));
  EXPECT_EQ(store->Read("never-shipped", 0, 10).status().code(), StatusCode::kNotFound);
}

TEST_F(LogStoreTest, LogsPastRetentionAndTheOldestOverTheSizeLimitAreSwept) {
  FixedClock clock;
  clock.now_ms = int64_t{time(nullptr)} * 1000;
  LogStoreOptions o;
  o.retention_s = 3600;
  o.max_bytes = 10;
  o.clock = &clock;
  auto store = Open(o);
  store->Append({{"old", 0, "aaaa"}, {"mid", 0, "bbbbbb"}, {"new", 0, "cccccc"}});
  // The writer thread writes them; aged before it has, a file's write would
  // make it new again.
  for (int i = 0;
       i < 5000 && !(store->Size("old") == 4 && store->Size("mid") == 6 && store->Size("new") == 6);
       ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_EQ(store->Size("new"), 6);
  auto age = [&](const std::string& task, int64_t seconds_ago) {
    struct timespec times[2];
    times[0].tv_sec = times[1].tv_sec = clock.now_ms / 1000 - seconds_ago;
    times[0].tv_nsec = times[1].tv_nsec = 0;
    ASSERT_EQ(utimensat(AT_FDCWD, (dir_ + "/logs/" + task + ".out").c_str(), times, 0), 0);
  };
  age("old", 7200);  // past retention
  age("mid", 60);
  age("new", 1);
  store->Sweep();
  EXPECT_FALSE(store->Size("old").has_value());
  // 12 bytes left, over the 10 allowed: the older goes.
  EXPECT_FALSE(store->Size("mid").has_value());
  EXPECT_EQ(store->Size("new"), 6);
}

TEST_F(LogStoreTest, SubmittedChunksAreWrittenOnTheWriterAndAFullQueueIsRefused) {
  LogStoreOptions o;
  o.max_queued_bytes = 1;
  auto store = Open(o);
  std::mutex mu;
  std::condition_variable cv;
  std::vector<LogAck> got;
  bool done = false;
  ASSERT_TRUE(store->Submit({{"t", 0, "hello"}}, [&](std::vector<LogAck> acks) {
    std::lock_guard<std::mutex> lock(mu);
    got = std::move(acks);
    done = true;
    cv.notify_all();
  }));
  std::unique_lock<std::mutex> lock(mu);
  ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return done; }));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].size, 5);
}

TEST(LogChunksTest, ChunksRoundTripWithAnyBytesAndMalformedBodiesAreNamed) {
  std::vector<LogChunk> chunks = {{"a", 0, std::string("x\0\xff\n", 4)}, {"b-2", 77, ""}};
  auto back = DecodeLogChunks(EncodeLogChunks(chunks));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_EQ(back->size(), 2u);
  EXPECT_EQ((*back)[0].data, chunks[0].data);
  EXPECT_EQ((*back)[1].offset, 77);
  EXPECT_TRUE(DecodeLogChunks("")->empty());
  for (const char* bad : {"a 0 5\nabc", "a -1 1\nx", "a 0\nx", "no-newline", "a x 1\nx"}) {
    auto r = DecodeLogChunks(bad);
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(r.status().field().find("chunk 0"), std::string::npos) << bad;
  }
}

}  // namespace
}  // namespace drover::droverd
