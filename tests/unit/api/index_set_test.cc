#include "api/index_set.h"

#include <gtest/gtest.h>

namespace drover {
namespace {

TEST(IndexSetTest, MergesAdjacentAndOverlappingRanges) {
  IndexSet s;
  s.Insert(3);
  s.Insert(1);
  s.Insert(2);
  s.InsertRange(7, 9);
  s.InsertRange(5, 7);
  EXPECT_EQ(s.ToString(), "1-3,5-9");
  EXPECT_EQ(s.Count(), 8);
  s.Insert(4);
  EXPECT_EQ(s.ToString(), "1-9");
}

TEST(IndexSetTest, EraseSplitsAnInterval) {
  IndexSet s;
  s.InsertRange(0, 9);
  s.Erase(5);
  EXPECT_EQ(s.ToString(), "0-4,6-9");
  EXPECT_FALSE(s.Contains(5));
  EXPECT_TRUE(s.Contains(6));
  s.Erase(0);
  EXPECT_EQ(s.First(), 1);
}

TEST(IndexSetTest, FirstAbsentFromSkipsCoveredIndexes) {
  IndexSet s;
  s.InsertRange(0, 4);
  s.InsertRange(6, 6);
  EXPECT_EQ(s.FirstAbsentFrom(0), 5);
  EXPECT_EQ(s.FirstAbsentFrom(6), 7);
  EXPECT_EQ(s.FirstAbsentFrom(10), 10);
}

TEST(IndexSetTest, ParseRoundTripsAndRejectsGarbage) {
  auto s = IndexSet::Parse("0-3,7,9-12");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->ToString(), "0-3,7,9-12");
  EXPECT_EQ(s->Count(), 9);
  EXPECT_FALSE(IndexSet::Parse("3-1").ok());
  EXPECT_FALSE(IndexSet::Parse("a").ok());
  EXPECT_FALSE(IndexSet::Parse("-4").ok());
  EXPECT_TRUE(IndexSet::Parse("")->empty());
}

TEST(IndexSetTest, MillionContiguousIndexesAreOneInterval) {
  IndexSet s;
  for (int64_t i = 0; i < 1'000'000; ++i) s.Insert(i);
  EXPECT_EQ(s.ToString(), "0-999999");
}

IndexSet Set(const char* text) { return *IndexSet::Parse(text); }

TEST(IndexSetTest, IntersectMinusAndInsertAllAreSetAlgebraOverIntervals) {
  const IndexSet a = Set("0-9,20-29,40");
  const IndexSet b = Set("5-24,40-41");
  EXPECT_EQ(a.Intersect(b).ToString(), "5-9,20-24,40");
  EXPECT_EQ(b.Intersect(a).ToString(), "5-9,20-24,40");
  EXPECT_EQ(a.Minus(b).ToString(), "0-4,25-29");
  EXPECT_EQ(b.Minus(a).ToString(), "10-19,41");
  EXPECT_EQ(Set("0-9").Minus(Set("3,5-6,9")).ToString(), "0-2,4,7-8");
  EXPECT_TRUE(a.Minus(a).empty());
  EXPECT_TRUE(a.Intersect(IndexSet()).empty());
  EXPECT_EQ(a.Minus(IndexSet()), a);
  IndexSet u = a;
  u.InsertAll(b);
  EXPECT_EQ(u.ToString(), "0-29,40-41");
  EXPECT_EQ(u.Count(), 32);
}

}  // namespace
}  // namespace drover
