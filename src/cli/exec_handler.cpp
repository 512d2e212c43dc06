// The --exec handler: child processes spoken to through pipes, every wait bounded by poll().
#include "cli/exec_handler.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <thread>
#include <utility>

#include <fmt/format.h>

#include "retort/error.hpp"

extern char** environ;

namespace retort::cli {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::size_t kStderrTail = 1000;

void close_fd(int& fd) noexcept {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

std::string describe_status(int status) {
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    const char* name = sigabbrev_np(sig);
    return fmt::format("the handler was killed by signal {} (SIG{})", sig, name ? name : "?");
  }
  return fmt::format("the handler exited with status {}", WEXITSTATUS(status));
}

// One `sh -c CMD` with its three standard streams on pipes, in a process group of its own (a
// terminal's Ctrl-C reaches the worker, which decides when handlers stop).
class Child {
 public:
  explicit Child(const std::string& command) {
    std::array<int, 2> in{-1, -1}, out{-1, -1}, err{-1, -1};
    if (pipe2(in.data(), O_CLOEXEC) != 0 || pipe2(out.data(), O_CLOEXEC) != 0 ||
        pipe2(err.data(), O_CLOEXEC) != 0) {
      throw std::runtime_error(fmt::format("cannot create pipes: {}", std::strerror(errno)));
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in[0], 0);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    posix_spawn_file_actions_adddup2(&actions, err[1], 2);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    posix_spawnattr_setpgroup(&attr, 0);
    sigset_t defaults;
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    sigaddset(&defaults, SIGINT);
    sigaddset(&defaults, SIGTERM);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF);
    std::string shell = "/bin/sh", flag = "-c", text = command;
    char* argv[] = {shell.data(), flag.data(), text.data(), nullptr};
    const int rc = posix_spawn(&pid_, "/bin/sh", &actions, &attr, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    ::close(in[0]);
    ::close(out[1]);
    ::close(err[1]);
    in_ = in[1];
    out_ = out[0];
    err_ = err[0];
    if (rc != 0) {
      pid_ = -1;
      throw std::runtime_error(fmt::format("cannot start the handler: {}", std::strerror(rc)));
    }
    for (int fd : {in_, out_, err_}) fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child() { finish(std::chrono::milliseconds(500)); }

  // Sends text (then closes stdin when close_after) and reads until a newline on stdout
  // (line mode) or the end of stdout; returns what was read without the newline. Throws
  // runtime_error when the deadline passes (the child is killed) or the child dies first.
  std::string exchange(const std::string& text, bool close_after, bool line_mode,
                       Clock::time_point deadline, Clock::time_point* stop_deadline) {
    std::size_t written = 0;
    if (close_after && text.empty()) close_fd(in_);
    for (;;) {
      if (line_mode) {
        const std::size_t nl = out_buffer_.find('\n');
        if (nl != std::string::npos) {
          std::string line = out_buffer_.substr(0, nl);
          out_buffer_.erase(0, nl + 1);
          return line;
        }
      }
      if (out_ < 0) {
        if (!line_mode) return std::exchange(out_buffer_, {});
        throw std::runtime_error(died());
      }
      const Clock::time_point now = Clock::now();
      if (events::stop_requested() && *stop_deadline == Clock::time_point::max()) {
        *stop_deadline = now + grace_;
      }
      const Clock::time_point limit = std::min(deadline, *stop_deadline);
      if (now >= limit) {
        kill_group();
        throw std::runtime_error(limit == deadline ? timeout_message_
                                                   : "the worker stopped and the "
                                                     "grace period ended");
      }
      std::array<pollfd, 3> fds{pollfd{in_ >= 0 && written < text.size() ? in_ : -1, POLLOUT, 0},
                                pollfd{out_, POLLIN, 0}, pollfd{err_, POLLIN, 0}};
      const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(limit - now);
      const int ready = poll(fds.data(), fds.size(),
                             static_cast<int>(std::min<std::int64_t>(wait.count() + 1, 200)));
      if (ready < 0 && errno != EINTR) throw std::runtime_error("poll failed");
      if (fds[0].revents != 0) {
        const ssize_t n = ::write(in_, text.data() + written, text.size() - written);
        if (n > 0) written += static_cast<std::size_t>(n);
        if (n < 0 && errno != EAGAIN && errno != EINTR) close_fd(in_);  // EPIPE: it stopped reading
        if (close_after && written == text.size()) close_fd(in_);
      }
      if (fds[1].revents != 0) read_into(out_, out_buffer_, std::string::npos);
      if (fds[2].revents != 0) read_into(err_, err_tail_, kStderrTail);
    }
  }

  // Waits for the child to end (killing it after patience) and returns its wait status.
  int finish(std::chrono::milliseconds patience) {
    if (pid_ < 0) return status_;
    close_fd(in_);
    const Clock::time_point until = Clock::now() + patience;
    int status = 0;
    for (;;) {
      const pid_t r = waitpid(pid_, &status, WNOHANG);
      if (r == pid_ || (r < 0 && errno != EINTR)) break;
      if (Clock::now() >= until) {
        kill_group();
        waitpid(pid_, &status, 0);
        break;
      }
      if (err_ >= 0) read_into(err_, err_tail_, kStderrTail);
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    pid_ = -1;
    status_ = status;
    if (err_ >= 0) read_into(err_, err_tail_, kStderrTail);  // what it wrote before it ended
    close_fd(out_);
    close_fd(err_);
    return status;
  }

  std::string stderr_tail() const {
    std::string t = err_tail_;
    while (!t.empty() && (t.back() == '\n' || t.back() == '\r')) t.pop_back();
    return t.empty() ? std::string() : "; stderr: " + t;
  }
  void set_limits(std::string timeout_message, std::chrono::milliseconds grace) {
    timeout_message_ = std::move(timeout_message);
    grace_ = grace;
  }

 private:
  void kill_group() noexcept {
    if (pid_ > 0) ::kill(-pid_, SIGKILL);
  }
  std::string died() {
    const int status = finish(std::chrono::milliseconds(2000));
    return describe_status(status) + stderr_tail();
  }
  // Reads what is available; end of stream closes fd. keep: how many trailing bytes to keep.
  static void read_into(int& fd, std::string& buffer, std::size_t keep) {
    std::array<char, 65536> chunk{};
    for (;;) {
      const ssize_t n = ::read(fd, chunk.data(), chunk.size());
      if (n > 0) {
        buffer.append(chunk.data(), static_cast<std::size_t>(n));
        if (buffer.size() > keep) buffer.erase(0, buffer.size() - keep);
        continue;
      }
      if (n == 0 || (errno != EAGAIN && errno != EINTR)) close_fd(fd);
      return;
    }
  }

  pid_t pid_ = -1;
  int status_ = 0;
  int in_ = -1, out_ = -1, err_ = -1;
  std::string out_buffer_, err_tail_;
  std::string timeout_message_;
  std::chrono::milliseconds grace_{0};
};

// The handler's answer as a task_context patch, or a failure.
events::HandlerResult interpret(const std::string& text) {
  nlohmann::json answer;
  try {
    answer = nlohmann::json::parse(text);
  } catch (const std::exception&) {
    const std::string shown = text.size() > 200 ? text.substr(0, 200) + "…" : text;
    throw std::runtime_error("the handler's answer is not JSON: " + shown);
  }
  if (!answer.is_object()) {
    throw std::runtime_error("the handler's answer is not a JSON object: " +
                             answer.dump().substr(0, 200));
  }
  if (const auto e = answer.find("error"); e != answer.end() && answer.size() == 1) {
    throw std::runtime_error(e->is_string() ? e->get<std::string>() : e->dump());
  }
  return {text, events::ContextWrite::merge_patch};
}

struct ExecState {
  ExecOptions options;
  std::mutex mutex;
  std::map<std::thread::id, std::unique_ptr<Child>> children;  // streaming mode: one per slot
  Clock::time_point stop_deadline = Clock::time_point::max();  // copied per exchange

  // The event's deadline: the timeout, plus the start-up allowance for a process just started.
  Clock::time_point deadline(bool fresh_process) const {
    return Clock::now() + options.timeout +
           (fresh_process ? options.start_allowance : std::chrono::milliseconds(0));
  }

  std::string timeout_message(bool fresh_process) const {
    if (!fresh_process || options.start_allowance.count() == 0) {
      return fmt::format("the handler took longer than {} ms (killed)", options.timeout.count());
    }
    return fmt::format(
        "the handler took longer than {} ms, {} ms of them allowed for its start-up "
        "(killed)",
        (options.timeout + options.start_allowance).count(), options.start_allowance.count());
  }

  std::unique_ptr<Child> start() {
    auto child = std::make_unique<Child>(options.command);
    child->set_limits(timeout_message(true), options.grace);
    return child;
  }

  events::HandlerResult per_event(const events::ClaimedEvent& e) {
    std::unique_ptr<Child> child = start();
    Clock::time_point stop = stop_deadline;
    const std::string out = child->exchange(event_line(e), true, false, deadline(true), &stop);
    const int status = child->finish(options.timeout);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      throw std::runtime_error(describe_status(status) + child->stderr_tail());
    }
    return interpret(out);
  }

  events::HandlerResult streaming(const events::ClaimedEvent& e) {
    std::unique_ptr<Child> child;
    {
      std::lock_guard lock(mutex);
      child = std::move(children[std::this_thread::get_id()]);
    }
    const bool fresh = !child;
    if (fresh) child = start();
    Clock::time_point stop = stop_deadline;
    // When the exchange throws, the child is dead or was killed: the next event starts anew.
    const std::string line =
        child->exchange(event_line(e) + "\n", false, true, deadline(fresh), &stop);
    if (fresh) child->set_limits(timeout_message(false), options.grace);  // it has started
    events::HandlerResult result;
    try {
      result = interpret(line);
    } catch (const std::exception& bad) {
      // {"error": ...} keeps the handler; anything unreadable means the stream is out of step.
      if (std::string(bad.what()).starts_with("the handler's answer")) throw;
      keep(std::move(child));
      throw;
    }
    keep(std::move(child));
    return result;
  }

  void keep(std::unique_ptr<Child> child) {
    std::lock_guard lock(mutex);
    children[std::this_thread::get_id()] = std::move(child);
  }
};

}  // namespace

std::string event_line(const events::ClaimedEvent& event) {
  nlohmann::json line = {
      {"id", event.id.to_string()}, {"workflow", event.workflow}, {"attempt", event.attempt}};
  // data and task_context were validated when stored: spliced in as they are, not re-encoded.
  // A document stored with line breaks between its tokens is re-encoded on one line.
  const auto one_line = [](const std::string& json) {
    return json.find_first_of("\r\n") == std::string::npos ? json
                                                           : nlohmann::json::parse(json).dump();
  };
  std::string text = line.dump();
  text.pop_back();
  text += ",\"data\":" + one_line(event.data.text());
  text +=
      ",\"task_context\":" + (event.task_context ? one_line(event.task_context->text()) : "null");
  text += "}";
  return text;
}

events::Handler make_exec_handler(const ExecOptions& options) {
  if (options.command.empty()) throw UsageError("--exec: the command is empty");
  auto state = std::make_shared<ExecState>();
  state->options = options;
  if (options.per_event) {
    return [state](const events::ClaimedEvent& e) { return state->per_event(e); };
  }
  return [state](const events::ClaimedEvent& e) { return state->streaming(e); };
}

}  // namespace retort::cli
