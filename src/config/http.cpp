#include "config/http.hpp"

// curl's type-checking macros expand to C casts, which -Wold-style-cast rejects in our code.
#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>

#include <memory>
#include <mutex>

#include <fmt/format.h>

#include "core/redact.hpp"
#include "retort/error.hpp"

namespace retort::config {
namespace {

// curl_global_init is not thread-safe; every request goes through here first.
void init_curl_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct Sink {
  std::string body;
  bool too_large = false;
};

std::size_t collect(char* data, std::size_t size, std::size_t count, void* user) {
  Sink* sink = static_cast<Sink*>(user);
  const std::size_t bytes = size * count;
  if (sink->body.size() + bytes > kMaxHttpResponseBytes) {
    sink->too_large = true;
    return 0;  // makes curl stop with CURLE_WRITE_ERROR
  }
  sink->body.append(data, bytes);
  return bytes;
}

using Easy = std::unique_ptr<CURL, decltype(&curl_easy_cleanup)>;
using HeaderList = std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)>;

// Appends to a header list, keeping ownership in `list`.
void add_header(HeaderList& list, const std::string& header) {
  curl_slist* grown = curl_slist_append(list.get(), header.c_str());
  if (grown == nullptr) throw ConfigError("out of memory building an HTTP request");
  list.release();
  list.reset(grown);
}

}  // namespace

HttpResponse http_request(const HttpRequest& request) {
  init_curl_once();
  Easy curl(curl_easy_init(), &curl_easy_cleanup);
  if (!curl) throw ConfigError("cannot start an HTTP request (curl_easy_init failed)");
  HeaderList headers(nullptr, &curl_slist_free_all);
  for (const std::string& h : request.headers) add_header(headers, h);
  if (!request.body.empty()) add_header(headers, "Content-Type: application/json");

  char error[CURL_ERROR_SIZE] = {};
  Sink sink;
  CURL* c = curl.get();
  const long timeout_ms = static_cast<long>(request.timeout.count());
  curl_easy_setopt(c, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  // Only HTTP(S), no redirects: a redirect could carry the token to another host.
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);  // timeouts without SIGALRM: safe in threads
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &collect);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
  if (!request.body.empty()) {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, request.body.c_str());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(request.body.size()));
  }
  if (!request.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, request.ca_file.c_str());
  if (!request.ca_path.empty()) curl_easy_setopt(c, CURLOPT_CAPATH, request.ca_path.c_str());

  const CURLcode code = curl_easy_perform(c);
  if (sink.too_large) {
    throw ConfigError(fmt::format("cannot read the answer of {}: larger than {} bytes", request.url,
                                  kMaxHttpResponseBytes));
  }
  if (code != CURLE_OK) {
    const std::string reason = error[0] != '\0' ? error : curl_easy_strerror(code);
    throw ConfigError(redact::scrub(fmt::format("cannot reach {}: {}", request.url, reason)));
  }
  HttpResponse response;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &response.status);
  response.body = std::move(sink.body);
  return response;
}

}  // namespace retort::config
