// Base64 (api/base64.h) against RFC 4648's test vectors, and binary data.
#include "api/base64.h"

#include <gtest/gtest.h>

namespace drover {
namespace {

TEST(Base64Test, EncodesAndDecodesTheRfcVectors) {
  const std::pair<std::string, std::string> vectors[] = {{"", ""},
                                                         {"f", "Zg=="},
                                                         {"fo", "Zm8="},
                                                         {"foo", "Zm9v"},
                                                         {"foob", "Zm9vYg=="},
                                                         {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(Base64Encode(plain), encoded);
    auto back = Base64Decode(encoded, "data");
    ASSERT_TRUE(back.ok()) << encoded;
    EXPECT_EQ(*back, plain);
  }
}

TEST(Base64Test, BinaryBytesSurviveTheRoundTrip) {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
  bytes += std::string("\0\0", 2);
  auto back = Base64Decode(Base64Encode(bytes), "data");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, bytes);
}

TEST(Base64Test, TextThatIsNotBase64IsRefusedNamingTheField) {
  for (const char* bad : {"Zm9", "Zm9v!A==", "****"}) {
    auto r = Base64Decode(bad, "fences[0].data");
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().field(), "fences[0].data");
  }
}

}  // namespace
}  // namespace drover
