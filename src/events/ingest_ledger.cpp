// The ingest ledger's SQL (the same text on both backends: $n parameters, ON CONFLICT and
// RETURNING exist in PostgreSQL and SQLite >= 3.35), the file identity, and the schema check.
#include "events/ingest_ledger.hpp"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <array>
#include <filesystem>
#include <fstream>
#include <memory>

#include "retort/error.hpp"

namespace retort::events {
namespace {

constexpr const char* kColumns =
    "file_size, head_sha256, source, last_line, accepted, rejected, complete, started_at, "
    "updated_at";

IngestLedgerEntry decode_entry(const Row& row) {
  IngestLedgerEntry e;
  e.file_size = row[0].as_int64();
  e.head_sha256 = row[1].as_text();
  e.source = row[2].as_text();
  e.last_line = row[3].as_int64();
  e.accepted = row[4].as_int64();
  e.rejected = row[5].as_int64();
  e.complete = row[6].as_bool();
  e.started_at = row[7].as_timestamp();
  e.updated_at = row[8].as_timestamp();
  return e;
}

std::string to_hex(const unsigned char* bytes, std::size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (std::size_t i = 0; i < size; ++i) {
    out.push_back(kDigits[bytes[i] >> 4]);
    out.push_back(kDigits[bytes[i] & 0x0f]);
  }
  return out;
}

// SHA-256 with OpenSSL's EVP interface (libpq links libcrypto already).
std::string sha256_hex(const char* data, std::size_t size) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int digest_size = 0;
  if (EVP_Digest(data, size, digest.data(), &digest_size, EVP_sha256(), nullptr) != 1) {
    throw Error("SHA-256 failed (OpenSSL EVP_Digest)");
  }
  return to_hex(digest.data(), digest_size);
}

}  // namespace

IngestSource identify_ingest_source(const std::string& file) {
  std::error_code ec;
  const std::filesystem::file_status status = std::filesystem::status(file, ec);
  if (ec) throw ConfigError(fmt::format("cannot open {}: {}", file, ec.message()));
  if (!std::filesystem::is_regular_file(status)) {
    throw ConfigError(fmt::format(
        "{} is not a regular file: the ingest ledger knows files by their size and first bytes",
        file));
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) throw ConfigError("cannot open " + file);
  std::string head(kIngestHeadBytes, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<std::size_t>(in.gcount()));
  IngestSource source;
  source.path = file;
  source.size = static_cast<std::int64_t>(std::filesystem::file_size(file, ec));
  if (ec) throw ConfigError(fmt::format("cannot read the size of {}: {}", file, ec.message()));
  source.head_sha256 = sha256_hex(head.data(), head.size());
  return source;
}

std::optional<IngestLedgerEntry> find_ingest_ledger(Session& session, const IngestSource& source) {
  return IngestLedger(source).read(session);
}

void require_schema(Session& session, bool ingest_ledger) {
  const std::string sql =
      session.dialect() == Dialect::postgresql
          ? "SELECT n FROM (VALUES ('events'), ('events_ingest_ledger')) AS t(n) "
            "WHERE to_regclass(quote_ident(n)) IS NOT NULL"
          : "SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('events', "
            "'events_ingest_ledger')";
  bool events = false;
  bool ledger = false;
  for (const Row& row : session.execute(sql)) {
    const std::string& name = row[0].as_text();
    events = events || name == "events";
    ledger = ledger || name == "events_ingest_ledger";
  }
  if (!events) throw UsageError("no events table: run `retort upgrade head`");
  if (ingest_ledger && !ledger) {
    throw UsageError("no events_ingest_ledger table: run `retort upgrade head`");
  }
}

std::optional<IngestLedgerEntry> IngestLedger::read(Session& session) const {
  Result r = session.execute(
      fmt::format("SELECT {} FROM events_ingest_ledger WHERE file_size = $1 AND head_sha256 = $2",
                  kColumns),
      {Value(source_.size), Value(source_.head_sha256)});
  if (r.empty()) return std::nullopt;
  return decode_entry(r.at(0));
}

IngestLedgerEntry IngestLedger::open(Session& session) const {
  const Timestamp now = Timestamp::now();
  session.execute(
      fmt::format("INSERT INTO events_ingest_ledger ({}) VALUES ($1, $2, $3, 0, 0, 0, $4, $5, $6) "
                  "ON CONFLICT (file_size, head_sha256) DO NOTHING",
                  kColumns),
      {Value(source_.size), Value(source_.head_sha256), Value(source_.path), Value(false),
       Value(now), Value(now)});
  std::optional<IngestLedgerEntry> entry = read(session);
  if (!entry) throw Error("the ingest ledger row vanished right after it was written");
  return *entry;
}

void IngestLedger::reset(Session& session) const {
  const Timestamp now = Timestamp::now();
  session.execute(
      "UPDATE events_ingest_ledger SET source = $1, last_line = 0, accepted = 0, rejected = 0, "
      "complete = $2, started_at = $3, updated_at = $4 WHERE file_size = $5 AND head_sha256 = $6",
      {Value(source_.path), Value(false), Value(now), Value(now), Value(source_.size),
       Value(source_.head_sha256)});
}

void IngestLedger::advance(Session& session, std::int64_t from, std::int64_t to,
                           std::int64_t accepted, std::int64_t rejected, bool complete) const {
  Result r = session.execute(
      "UPDATE events_ingest_ledger SET source = $1, last_line = $2, accepted = accepted + $3, "
      "rejected = rejected + $4, complete = $5, updated_at = $6 "
      "WHERE file_size = $7 AND head_sha256 = $8 AND last_line = $9 RETURNING last_line",
      {Value(source_.path), Value(to), Value(accepted), Value(rejected), Value(complete),
       Value(Timestamp::now()), Value(source_.size), Value(source_.head_sha256), Value(from)});
  if (r.empty()) {
    throw UsageError(fmt::format(
        "{}: the ingest ledger is no longer at line {}: another ingest of the same file is "
        "running or ran meanwhile; this batch (lines {}..{}) was not stored",
        source_.path, from, from + 1, to));
  }
}

}  // namespace retort::events
