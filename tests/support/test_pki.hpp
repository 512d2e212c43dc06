// A certificate authority made by the test (openssl): CA, server and client certificates for
// the TLS tests (the stand-in Vault server, PostgreSQL with ssl = on).
#pragma once

#include <filesystem>
#include <string>

namespace retort::testing {

class TestPki {
 public:
  // Files go to dir (which must exist).
  explicit TestPki(std::filesystem::path dir);

  // A self-signed CA: dir/NAME.crt and dir/NAME.key.
  void make_ca(const std::string& name, const std::string& common_name);
  // A certificate signed by CA `ca`: dir/NAME.crt, dir/NAME.key (mode 0600). `alt_names` is an
  // openssl subjectAltName list ("DNS:localhost,IP:127.0.0.1"), empty for none (client certs).
  void issue(const std::string& ca, const std::string& name, const std::string& common_name,
             const std::string& alt_names);

  std::filesystem::path crt(const std::string& name) const { return dir_ / (name + ".crt"); }
  std::filesystem::path key(const std::string& name) const { return dir_ / (name + ".key"); }

 private:
  std::filesystem::path dir_;
};

}  // namespace retort::testing
