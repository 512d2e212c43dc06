// A minimal HTTP(S) client (libcurl) for the secrets layer: one request, one response, no
// redirects, bounded time and size.
//
// Only the Vault client uses it. Nothing here logs: requests carry tokens in headers, and the
// caller decides what is safe to say about them.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace retort::config {

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  std::string body;                  // sent when not empty (Content-Type: application/json)
  std::string ca_file;               // PEM bundle to verify the server with; empty: system CAs
  std::string ca_path;               // directory of hashed CA certificates; empty: none
  std::chrono::milliseconds timeout{std::chrono::seconds(10)};  // connect + transfer
};

struct HttpResponse {
  long status = 0;
  std::string body;
};

// Largest response body accepted; a bigger one is an error (no secret is that large).
inline constexpr std::size_t kMaxHttpResponseBytes = std::size_t{1} << 20;

// Performs the request. Any HTTP status is a response (the caller judges it); throws ConfigError
// "cannot reach URL: REASON" when there is none (connection refused, TLS verification failed,
// timeout, response too large). Neither headers nor body appear in the message.
HttpResponse http_request(const HttpRequest& request);

}  // namespace retort::config
