// A small HTTP/1.1 server (Boost.Beast underneath, kept out of this header): one thread
// per connection with keep-alive, bounded bodies and connection counts, and socket
// timeouts so a stalled client cannot hold a thread forever.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace og {

struct HttpRequest {
  std::string method;   // "GET", "POST", ...
  std::string path;     // without the query string, percent-decoded
  std::map<std::string, std::string> query;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  std::string remote_address;  // the peer's IP address

  std::string header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

// A client address as limits count it: an IPv4 address as it is (also when mapped into
// IPv6), an IPv6 one by its /64 (one host can hold a whole /64).
std::string client_address_group(const std::string& address);

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 0;                      // 0: pick a free port
  size_t body_limit = 1024 * 1024;        // larger bodies get 413
  std::string upload_prefix;              // paths under it may send bigger bodies
  size_t upload_body_limit = 256u * 1024 * 1024;
  int io_timeout_s = 30;                  // a read or write stalled this long closes the socket
  size_t max_connections = 1024;          // beyond this, new connections get 503
  // From one client address (an IPv6 /64 counts as one): so that one client holding idle
  // connections cannot take every slot from everyone else.
  size_t max_connections_per_address = 256;
  // HTTPS when both are set: the certificate chain (PEM, server first) and its key.
  std::string tls_cert_file;
  std::string tls_key_file;
};

class HttpServer {
 public:
  HttpServer(HttpServerOptions options, HttpHandler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts accepting in a background thread. Throws when the address is taken,
  // and og::UsageError when the certificate or key cannot be used.
  void start();
  uint16_t port() const;
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// {"error":{"code":CODE,"message":MESSAGE}} with the given status.
HttpResponse error_response(int status, const std::string& code, const std::string& message);
HttpResponse json_response(int status, const std::string& json_body);

}  // namespace og
