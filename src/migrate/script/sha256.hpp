// SHA-256 (FIPS 180-4), for revision checksums. OpenSSL is not a dependency of the library,
// and a checksum needs nothing more than this.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace retort::migrate {

class Sha256 {
 public:
  Sha256();
  void update(std::string_view data);
  std::array<std::uint8_t, 32> finish();  // the object is spent afterwards

  static std::string hex(std::string_view data);  // lowercase hex digest of `data`

 private:
  void block(const std::uint8_t* p);

  std::array<std::uint32_t, 8> state_;
  std::array<std::uint8_t, 64> buffer_{};
  std::size_t buffered_ = 0;
  std::uint64_t length_ = 0;  // bytes hashed so far
};

}  // namespace retort::migrate
