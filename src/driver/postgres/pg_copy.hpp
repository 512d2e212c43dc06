// COPY ... FROM STDIN in text format behind the CopyWriter interface.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "retort/connection.hpp"

namespace retort::driver::pg {

class PgConnection;

class PgCopyWriter final : public CopyWriter {
 public:
  // The connection is already in COPY IN state for sql; fields name the columns in errors.
  PgCopyWriter(PgConnection& connection, std::string sql, std::vector<std::string> fields);
  ~PgCopyWriter() override;
  PgCopyWriter(const PgCopyWriter&) = delete;
  PgCopyWriter& operator=(const PgCopyWriter&) = delete;

  void write_row(std::span<const Value> row) override;
  std::int64_t finish() override;
  // The connection is closing first: abandon the copy and forget the connection.
  void detach() noexcept;

 private:
  void send_buffer();
  [[noreturn]] void fail_copy();
  void abandon() noexcept;

  PgConnection* connection_;
  std::string sql_;
  std::vector<std::string> fields_;
  std::string buffer_;
  std::string row_;
  bool done_ = false;
};

// "COPY "schema"."table" ("a", "b") FROM STDIN": each dot-separated part of table is quoted.
std::string copy_statement(const QualifiedName& table, std::span<const std::string> columns);

}  // namespace retort::driver::pg
