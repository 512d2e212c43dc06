#include "support/fault_injection.hpp"

#include <fmt/format.h>

#include <optional>
#include <utility>

#include "driver/database_access.hpp"
#include "retort/error.hpp"

namespace retort::testing {

const char* fault_name(Fault fault) {
  switch (fault) {
    case Fault::error:
      return "error";
    case Fault::broken_link:
      return "broken_link";
    case Fault::lost_reply:
      return "lost_reply";
  }
  return "?";
}

const char* step_name(StepKind kind) {
  switch (kind) {
    case StepKind::execute:
      return "execute";
    case StepKind::script:
      return "script";
    case StepKind::stream:
      return "stream";
    case StepKind::pipeline:
      return "pipeline";
    case StepKind::copy_in:
      return "copy_in";
    case StepKind::copy_finish:
      return "copy_finish";
    case StepKind::begin:
      return "begin";
    case StepKind::commit:
      return "commit";
    case StepKind::listen:
      return "listen";
    case StepKind::wait:
      return "wait";
  }
  return "?";
}

struct FaultInjector::State {
  std::mutex mutex;
  std::set<StepKind> kinds;  // counted kinds; all when empty
  std::size_t counted = 0;
  std::size_t armed_at = 0;  // 0: nothing armed
  Fault fault = Fault::error;
  bool fired = false;
  std::string fired_at;
  std::vector<std::string> trace;

  void reset(std::set<StepKind> counted_kinds, std::size_t at, Fault what) {
    std::lock_guard lock(mutex);
    kinds = std::move(counted_kinds);
    counted = 0;
    armed_at = at;
    fault = what;
    fired = false;
    fired_at.clear();
    trace.clear();
  }

  // Counts one step; the fault to inject into it, if it is the armed one. `where` receives the
  // step's description.
  std::optional<Fault> step(StepKind kind, std::string_view sql, std::string& where) {
    std::lock_guard lock(mutex);
    if (!kinds.empty() && kinds.count(kind) == 0) return std::nullopt;
    ++counted;
    constexpr std::size_t kShown = 100;
    where = fmt::format("step {} ({}){}{}{}", counted, step_name(kind), sql.empty() ? "" : ": ",
                        sql.substr(0, kShown), sql.size() > kShown ? "..." : "");
    trace.push_back(where);
    if (fired || counted != armed_at) return std::nullopt;
    fired = true;
    fired_at = where;
    return fault;
  }
};

namespace {

using State = FaultInjector::State;

class FaultConnection;

// The CopyWriter of a FaultConnection: finish() is a step; a broken link ends the copy.
class FaultCopyWriter final : public CopyWriter {
 public:
  FaultCopyWriter(FaultConnection& owner, std::unique_ptr<CopyWriter> real);
  ~FaultCopyWriter() override;
  void write_row(std::span<const Value> row) override;
  std::int64_t finish() override;
  // Abandons the real copy (nothing stored); the writer refuses rows from then on.
  void drop() noexcept { real_.reset(); }

 private:
  CopyWriter& real();
  FaultConnection* owner_;
  std::unique_ptr<CopyWriter> real_;
};

class FaultConnection final : public Connection {
 public:
  FaultConnection(std::unique_ptr<Connection> real, std::shared_ptr<State> state)
      : real_(std::move(real)), state_(std::move(state)), dialect_(real_->dialect()) {}

  Dialect dialect() const noexcept override { return dialect_; }

  Result execute(std::string_view sql, std::span<const Value> params) override {
    return run(StepKind::execute, sql, [&] { return live().execute(sql, params); });
  }
  void execute_script(std::string_view sql) override {
    run(StepKind::script, sql, [&] { live().execute_script(sql); });
  }
  void stream(std::string_view sql, std::span<const Value> params,
              const RowCallback& on_row) override {
    run(StepKind::stream, sql, [&] { live().stream(sql, params, on_row); });
  }
  std::vector<Result> pipeline(std::span<const Statement> statements) override {
    const std::string_view first =
        statements.empty() ? std::string_view() : std::string_view(statements.front().sql);
    const std::string head = fmt::format("{} statements, first {}", statements.size(), first);
    return run(StepKind::pipeline, head, [&] { return live().pipeline(statements); });
  }
  std::unique_ptr<CopyWriter> copy_in(const QualifiedName& table,
                                      std::span<const std::string> columns,
                                      const CopyOptions& options) override {
    return run(StepKind::copy_in, "COPY " + table.quoted(), [&]() -> std::unique_ptr<CopyWriter> {
      auto writer =
          std::make_unique<FaultCopyWriter>(*this, live().copy_in(table, columns, options));
      copy_ = writer.get();
      return writer;
    });
  }
  void begin(const TransactionOptions& options) override {
    run(StepKind::begin, "BEGIN", [&] { live().begin(options); });
  }
  void commit() override {
    run(StepKind::commit, "COMMIT", [&] { live().commit(); });
  }
  void rollback() override { live().rollback(); }
  bool in_transaction() const noexcept override { return !broken_ && real_->in_transaction(); }
  bool is_broken() const noexcept override { return broken_ || real_->is_broken(); }
  bool check_alive() noexcept override { return !broken_ && real_->check_alive(); }

  void listen(std::string_view channel) override {
    run(StepKind::listen, fmt::format("LISTEN {}", channel), [&] { live().listen(channel); });
  }
  void unlisten(std::string_view channel) override { live().unlisten(channel); }
  std::optional<Notification> wait_for_notification(std::chrono::milliseconds timeout) override {
    return run(StepKind::wait, "wait for a notification",
               [&] { return live().wait_for_notification(timeout); });
  }
  int notification_socket() const noexcept override {
    return broken_ ? -1 : real_->notification_socket();
  }

  // Runs a step of copy_finish kind for the copy writer.
  template <class F>
  auto run_copy_finish(F&& step) {
    return run(StepKind::copy_finish, "COPY end", std::forward<F>(step));
  }
  void forget_copy(const FaultCopyWriter* writer) noexcept {
    if (copy_ == writer) copy_ = nullptr;
  }
  Connection& live() {
    if (broken_) {
      ErrorInfo info;
      info.sqlstate = "08003";
      info.message = fmt::format("connection lost earlier (injected fault at {})", broken_at_);
      throw_database_error(std::move(info));
    }
    return *real_;
  }

 private:
  template <class F>
  auto run(StepKind kind, std::string_view sql, F&& step) -> decltype(step()) {
    Connection& real = live();
    std::string where;
    const std::optional<Fault> fault = state_->step(kind, sql, where);
    if (!fault) return step();
    switch (*fault) {
      case Fault::error:
        refuse(real, kind, where);
      case Fault::broken_link:
        break_link(where, "before the step reached the server");
      case Fault::lost_reply:
        static_cast<void>(step());
        break_link(where, "after the step ran, before its reply arrived");
    }
    throw UsageError("unknown fault");
  }

  [[noreturn]] void refuse(Connection& real, StepKind kind, const std::string& where) {
    const std::string message = fmt::format("injected fault: the server refused {}", where);
    if (kind == StepKind::commit) {
      real.rollback();  // a COMMIT that fails leaves nothing of the transaction
    } else if (kind == StepKind::copy_finish) {
      if (copy_ != nullptr) copy_->drop();  // the copy fails: nothing of it is stored
    } else if (dialect_ == Dialect::postgresql) {
      // The server itself refuses a statement, so an open transaction is aborted as by a real
      // error (SQLite keeps the transaction after a failed statement, as it really does).
      std::string counted = where.substr(0, where.find(' ', 5));
      real.execute_script(fmt::format(
          "DO $$ BEGIN RAISE EXCEPTION 'injected fault: the server refused {}' USING ERRCODE = "
          "'XX000'; END $$",
          counted));
    }
    ErrorInfo info;
    info.sqlstate = "XX000";
    info.message = message;
    throw_database_error(std::move(info));
  }

  [[noreturn]] void break_link(const std::string& where, std::string_view when) {
    if (copy_ != nullptr) copy_->drop();
    broken_ = true;
    broken_at_ = where;
    real_.reset();  // closing the link: the server rolls back what was not committed
    ErrorInfo info;
    info.sqlstate = "08006";
    info.message = fmt::format("injected fault: the connection broke {} at {}", when, where);
    throw_database_error(std::move(info));
  }

  std::unique_ptr<Connection> real_;
  std::shared_ptr<State> state_;
  Dialect dialect_;
  bool broken_ = false;
  std::string broken_at_;
  FaultCopyWriter* copy_ = nullptr;
};

FaultCopyWriter::FaultCopyWriter(FaultConnection& owner, std::unique_ptr<CopyWriter> real)
    : owner_(&owner), real_(std::move(real)) {}

FaultCopyWriter::~FaultCopyWriter() {
  owner_->forget_copy(this);
}

CopyWriter& FaultCopyWriter::real() {
  if (real_ == nullptr) owner_->live();  // throws ConnectionError when the link broke
  if (real_ == nullptr) throw UsageError("CopyWriter used after the copy failed");
  return *real_;
}

void FaultCopyWriter::write_row(std::span<const Value> row) {
  real().write_row(row);
}

std::int64_t FaultCopyWriter::finish() {
  return owner_->run_copy_finish([&] { return real().finish(); });
}

}  // namespace

FaultInjector::FaultInjector() : state_(std::make_shared<State>()) {}

Database FaultInjector::open(const DatabaseUrl& url, DatabaseOptions options) {
  return driver::DatabaseAccess::open_wrapped(
      url, std::move(options),
      [state = state_](std::unique_ptr<Connection> real) -> std::unique_ptr<Connection> {
        return std::make_unique<FaultConnection>(std::move(real), state);
      });
}

void FaultInjector::count(std::set<StepKind> kinds) {
  state_->reset(std::move(kinds), 0, Fault::error);
}

void FaultInjector::arm(std::size_t n, Fault fault, std::set<StepKind> kinds) {
  if (n == 0) throw UsageError("FaultInjector::arm: steps are numbered from 1");
  state_->reset(std::move(kinds), n, fault);
}

void FaultInjector::disarm() {
  std::lock_guard lock(state_->mutex);
  state_->armed_at = 0;
}

std::size_t FaultInjector::steps() const {
  std::lock_guard lock(state_->mutex);
  return state_->counted;
}

bool FaultInjector::fired() const {
  std::lock_guard lock(state_->mutex);
  return state_->fired;
}

std::string FaultInjector::fired_at() const {
  std::lock_guard lock(state_->mutex);
  return state_->fired_at;
}

std::vector<std::string> FaultInjector::trace() const {
  std::lock_guard lock(state_->mutex);
  return state_->trace;
}

}  // namespace retort::testing
