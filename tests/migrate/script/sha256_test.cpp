// SHA-256 against the FIPS 180-4 examples and padding-boundary lengths (values from Python's
// hashlib).
#include <gtest/gtest.h>

#include "migrate/script/script_file.hpp"
#include "migrate/script/sha256.hpp"

namespace retort::migrate {
namespace {

TEST(Sha256, StandardVectors) {
  EXPECT_EQ(Sha256::hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256::hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256::hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(Sha256::hex("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjk"
                        "lmnopqklmnopqrlmnopqrs"
                        "mnopqrstnopqrstu"),
            "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
  EXPECT_EQ(Sha256::hex(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, PaddingBoundaries) {
  // 55 bytes fit the length in the same block; 56..63 need a second block; 64 is one full block.
  EXPECT_EQ(Sha256::hex(std::string(55, 'a')),
            "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
  EXPECT_EQ(Sha256::hex(std::string(56, 'a')),
            "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
  EXPECT_EQ(Sha256::hex(std::string(63, 'a')),
            "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34");
  EXPECT_EQ(Sha256::hex(std::string(64, 'a')),
            "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
  EXPECT_EQ(Sha256::hex(std::string(65, 'a')),
            "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0");
}

TEST(Sha256, IncrementalUpdatesInAnyChunkSize) {
  const std::string data(1000, 'x');
  const std::string whole = Sha256::hex(data);
  for (std::size_t chunk : {1u, 3u, 63u, 64u, 65u, 999u}) {
    Sha256 h;
    for (std::size_t at = 0; at < data.size(); at += chunk) {
      h.update(std::string_view(data).substr(at, chunk));
    }
    std::string hex;
    for (std::uint8_t b : h.finish()) {
      hex += "0123456789abcdef"[b >> 4];
      hex += "0123456789abcdef"[b & 0xf];
    }
    EXPECT_EQ(hex, whole) << chunk;
  }
}

TEST(RevisionChecksum, VersionOneIsTheWholeFileNormalised) {
  const std::string file = "-- retort revision\n-- Revision: abc\n";
  EXPECT_EQ(revision_checksum_v1(file),
            "v1:73db1d9631bed572fa06945a70ec71d2caf85aa0b925f62f6f1283188753add5");
  // CRLF, trailing whitespace and trailing blank lines do not count...
  EXPECT_EQ(revision_checksum_v1("-- retort revision\r\n-- Revision: abc  \t\r\n\r\n\n  \n"),
            revision_checksum_v1(file));
  EXPECT_EQ(revision_checksum_v1("-- retort revision\n-- Revision: abc"),
            revision_checksum_v1(file));
  // ...anything else does.
  EXPECT_NE(revision_checksum_v1("-- retort revision\n-- Revision:  abc\n"),
            revision_checksum_v1(file));
  EXPECT_NE(revision_checksum_v1("-- retort revision\n\n-- Revision: abc\n"),
            revision_checksum_v1(file));
  EXPECT_NE(revision_checksum_v1(" -- retort revision\n-- Revision: abc\n"),
            revision_checksum_v1(file));
}

}  // namespace
}  // namespace retort::migrate
