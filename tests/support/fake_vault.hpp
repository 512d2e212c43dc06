// The stand-in Vault server (tests/support/fake_vault.py) run by a test: HTTPS on 127.0.0.1 with
// a CA the test generated, or plain HTTP. See fake_vault.py for the configuration it takes.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/test_db.hpp"

namespace retort::testing {

class FakeVault {
 public:
  // Starts the server with `config` (fake_vault.py's JSON) and waits until it listens. Throws
  // std::runtime_error (with the server's output) if it does not start.
  explicit FakeVault(const nlohmann::json& config, bool tls = true);
  ~FakeVault();
  FakeVault(const FakeVault&) = delete;
  FakeVault& operator=(const FakeVault&) = delete;

  // https://127.0.0.1:PORT (or http://).
  const std::string& address() const { return address_; }
  // The CA that signed the server's certificate (tls only).
  std::filesystem::path ca_file() const;
  // A second CA that signed nothing the server uses (to show verification failing).
  std::filesystem::path other_ca_file() const;

  // The requests served so far, one JSON object each (method, path, namespace, token_sent,
  // token_known, status), oldest first.
  std::vector<nlohmann::json> requests() const;
  // How many requests had this method and path.
  int count(const std::string& method, const std::string& path) const;

 private:
  TempDir dir_;
  pid_t pid_ = -1;
  std::string address_;
};

}  // namespace retort::testing
