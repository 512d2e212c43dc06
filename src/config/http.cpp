#include "config/http.hpp"

#include <dlfcn.h>

// Only curl's types and constants are used at build time: the library itself is loaded on the
// first request (see CurlApi). curl's type-checking macros expand to C casts, which
// -Wold-style-cast rejects in our code.
#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>

#include <bit>
#include <memory>

#include <fmt/format.h>

#include "core/redact.hpp"
#include "retort/error.hpp"

namespace retort::config {
namespace {

// libcurl, loaded when the first vault: reference is resolved rather than linked: libcurl and
// the libraries it pulls in (HTTP/2, SSH, LDAP, IDN, compression: ten shared objects) cost
// every retort process about 1.5 ms of start-up, and most runs never make an HTTP request.
struct CurlApi {
  CURLcode (*global_init)(long flags);
  CURL* (*easy_init)();
  CURLcode (*easy_setopt)(CURL* handle, CURLoption option, ...);
  CURLcode (*easy_perform)(CURL* handle);
  CURLcode (*easy_getinfo)(CURL* handle, CURLINFO info, ...);
  void (*easy_cleanup)(CURL* handle);
  const char* (*easy_strerror)(CURLcode code);
  curl_slist* (*slist_append)(curl_slist* list, const char* text);
  void (*slist_free_all)(curl_slist* list);
};

constexpr const char* kLibcurl = "libcurl.so.4";

template <class Function>
void bind_symbol(void* library, const char* name, Function& out) {
  void* address = ::dlsym(library, name);
  if (address == nullptr) {
    throw ConfigError(fmt::format("cannot use {}: it has no {} ({})", kLibcurl, name, ::dlerror()));
  }
  out = std::bit_cast<Function>(address);
}

CurlApi load_curl() {
  // Never closed: curl keeps global state (TLS, DNS) for the life of the process.
  void* library = ::dlopen(kLibcurl, RTLD_NOW | RTLD_LOCAL);
  if (library == nullptr) {
    throw ConfigError(fmt::format(
        "vault: references need libcurl, which could not be loaded ({}); install it with "
        "`apt-get install libcurl4`",
        ::dlerror()));
  }
  CurlApi api{};
  bind_symbol(library, "curl_global_init", api.global_init);
  bind_symbol(library, "curl_easy_init", api.easy_init);
  bind_symbol(library, "curl_easy_setopt", api.easy_setopt);
  bind_symbol(library, "curl_easy_perform", api.easy_perform);
  bind_symbol(library, "curl_easy_getinfo", api.easy_getinfo);
  bind_symbol(library, "curl_easy_cleanup", api.easy_cleanup);
  bind_symbol(library, "curl_easy_strerror", api.easy_strerror);
  bind_symbol(library, "curl_slist_append", api.slist_append);
  bind_symbol(library, "curl_slist_free_all", api.slist_free_all);
  // curl_global_init is not thread-safe; this runs once, under the static's initialization lock.
  api.global_init(CURL_GLOBAL_DEFAULT);
  return api;
}

// Loaded once; a failed load throws here and is retried by the next call.
const CurlApi& curl() {
  static const CurlApi api = load_curl();
  return api;
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

using Easy = std::unique_ptr<CURL, void (*)(CURL*)>;
using HeaderList = std::unique_ptr<curl_slist, void (*)(curl_slist*)>;

// Appends to a header list, keeping ownership in `list`.
void add_header(HeaderList& list, const std::string& header) {
  curl_slist* grown = curl().slist_append(list.get(), header.c_str());
  if (grown == nullptr) throw ConfigError("out of memory building an HTTP request");
  list.release();
  list.reset(grown);
}

}  // namespace

HttpResponse http_request(const HttpRequest& request) {
  const CurlApi& api = curl();
  Easy easy(api.easy_init(), api.easy_cleanup);
  if (!easy) throw ConfigError("cannot start an HTTP request (curl_easy_init failed)");
  HeaderList headers(nullptr, api.slist_free_all);
  for (const std::string& h : request.headers) add_header(headers, h);
  if (!request.body.empty()) add_header(headers, "Content-Type: application/json");

  char error[CURL_ERROR_SIZE] = {};
  Sink sink;
  CURL* c = easy.get();
  auto setopt = api.easy_setopt;
  const long timeout_ms = static_cast<long>(request.timeout.count());
  setopt(c, CURLOPT_URL, request.url.c_str());
  setopt(c, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  setopt(c, CURLOPT_HTTPHEADER, headers.get());
  // Only HTTP(S), no redirects: a redirect could carry the token to another host.
  setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  setopt(c, CURLOPT_NOSIGNAL, 1L);  // timeouts without SIGALRM: safe in threads
  setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
  setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
  setopt(c, CURLOPT_ERRORBUFFER, error);
  setopt(c, CURLOPT_WRITEFUNCTION, &collect);
  setopt(c, CURLOPT_WRITEDATA, &sink);
  if (!request.body.empty()) {
    setopt(c, CURLOPT_POSTFIELDS, request.body.c_str());
    setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(request.body.size()));
  }
  if (!request.ca_file.empty()) setopt(c, CURLOPT_CAINFO, request.ca_file.c_str());
  if (!request.ca_path.empty()) setopt(c, CURLOPT_CAPATH, request.ca_path.c_str());

  const CURLcode code = api.easy_perform(c);
  if (sink.too_large) {
    throw ConfigError(fmt::format("cannot read the answer of {}: larger than {} bytes", request.url,
                                  kMaxHttpResponseBytes));
  }
  if (code != CURLE_OK) {
    const std::string reason = error[0] != '\0' ? error : api.easy_strerror(code);
    throw ConfigError(redact::scrub(fmt::format("cannot reach {}: {}", request.url, reason)));
  }
  HttpResponse response;
  api.easy_getinfo(c, CURLINFO_RESPONSE_CODE, &response.status);
  response.body = std::move(sink.body);
  return response;
}

}  // namespace retort::config
