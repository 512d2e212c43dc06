#include "support/test_pki.hpp"

#include <filesystem>
#include <fstream>

#include "support/process.hpp"

namespace retort::testing {
namespace {

namespace fs = std::filesystem;

// EC P-256 keys: as good as RSA for the tests and much faster to generate.
constexpr const char* kKeyOptions = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";

}  // namespace

TestPki::TestPki(fs::path dir) : dir_(std::move(dir)) {}

void TestPki::make_ca(const std::string& name, const std::string& common_name) {
  run_shell_checked("openssl req -x509 " + std::string(kKeyOptions) + " -days 2 -subj " +
                    shell_quote("/CN=" + common_name) + " -keyout " +
                    shell_quote(key(name).string()) + " -out " + shell_quote(crt(name).string()) +
                    " -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,"
                    "keyCertSign,cRLSign");
}

void TestPki::issue(const std::string& ca, const std::string& name, const std::string& common_name,
                    const std::string& alt_names) {
  const fs::path csr = dir_ / (name + ".csr");
  const fs::path ext = dir_ / (name + ".ext");
  run_shell_checked("openssl req -new " + std::string(kKeyOptions) + " -subj " +
                    shell_quote("/CN=" + common_name) + " -keyout " +
                    shell_quote(key(name).string()) + " -out " + shell_quote(csr.string()));
  {
    std::ofstream out(ext);
    out << "basicConstraints=CA:FALSE\n";
    if (alt_names.empty()) {
      out << "extendedKeyUsage=clientAuth\n";
    } else {
      out << "extendedKeyUsage=serverAuth\nsubjectAltName=" << alt_names << "\n";
    }
  }
  run_shell_checked("openssl x509 -req -days 2 -in " + shell_quote(csr.string()) + " -CA " +
                    shell_quote(crt(ca).string()) + " -CAkey " + shell_quote(key(ca).string()) +
                    " -CAcreateserial -extfile " + shell_quote(ext.string()) + " -out " +
                    shell_quote(crt(name).string()));
  fs::permissions(key(name), fs::perms::owner_read | fs::perms::owner_write);
}

}  // namespace retort::testing
