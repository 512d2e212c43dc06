#include "support/fake_vault.hpp"

#include <chrono>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "support/process.hpp"
#include "support/test_pki.hpp"

namespace retort::testing {
namespace {

namespace fs = std::filesystem;

fs::path script_path() {
  return fs::path(RETORT_TEST_SUPPORT_DIR) / "fake_vault.py";
}

}  // namespace

FakeVault::FakeVault(const nlohmann::json& config, bool tls) {
  std::ofstream(dir_ / "config.json") << config.dump(2);
  std::string command = "/usr/bin/python3 " + shell_quote(script_path().string()) + " --config " +
                        shell_quote((dir_ / "config.json").string()) + " --port-file " +
                        shell_quote((dir_ / "port").string()) + " --log " +
                        shell_quote((dir_ / "requests.jsonl").string());
  if (tls) {
    TestPki pki(dir_.path());
    pki.make_ca("ca", "retort test Vault CA");
    pki.make_ca("other_ca", "an unrelated CA");
    pki.issue("ca", "server", "localhost", "DNS:localhost,IP:127.0.0.1");
    command += " --cert " + shell_quote(pki.crt("server").string()) + " --key " +
               shell_quote(pki.key("server").string());
  }
  pid_ = spawn_shell(command, dir_ / "server.log");
  // The port file appears (renamed into place, so never half-written) once the server listens.
  for (int i = 0; i < 200 && !fs::exists(dir_ / "port"); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (!fs::exists(dir_ / "port")) {
    const std::string log = read_text_file(dir_ / "server.log");
    stop_process(pid_);
    throw std::runtime_error("the stand-in Vault server did not start:\n" + log);
  }
  address_ = std::string(tls ? "https" : "http") + "://127.0.0.1:" + read_text_file(dir_ / "port");
}

FakeVault::~FakeVault() {
  stop_process(pid_);
}

fs::path FakeVault::ca_file() const {
  return dir_ / "ca.crt";
}

fs::path FakeVault::other_ca_file() const {
  return dir_ / "other_ca.crt";
}

std::vector<nlohmann::json> FakeVault::requests() const {
  std::vector<nlohmann::json> out;
  std::istringstream lines(read_text_file(dir_ / "requests.jsonl"));
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty()) out.push_back(nlohmann::json::parse(line));
  }
  return out;
}

int FakeVault::count(const std::string& method, const std::string& path) const {
  int n = 0;
  for (const nlohmann::json& r : requests()) {
    if (r.value("method", "") == method && r.value("path", "") == path) ++n;
  }
  return n;
}

}  // namespace retort::testing
