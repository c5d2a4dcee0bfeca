#include "core/http_server.hpp"

#include <arpa/inet.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <nlohmann/json.hpp>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <condition_variable>
#include <map>
#include <mutex>
#include <deque>
#include <thread>

#include "core/error.hpp"
#include "core/log.hpp"

namespace og {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(std::string_view in, bool plus_is_space) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%' && i + 2 < in.size() && hex_value(in[i + 1]) >= 0 && hex_value(in[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(in[i + 1]) * 16 + hex_value(in[i + 2]));
      i += 2;
    } else if (plus_is_space && in[i] == '+') {
      out += ' ';
    } else {
      out += in[i];
    }
  }
  return out;
}

void parse_target(std::string_view target, HttpRequest& req) {
  auto q = target.find('?');
  req.path = percent_decode(target.substr(0, q), false);
  if (q == std::string_view::npos) return;
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    auto amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    auto eq = pair.find('=');
    std::string key = percent_decode(pair.substr(0, eq), true);
    std::string value =
        eq == std::string_view::npos ? std::string() : percent_decode(pair.substr(eq + 1), true);
    if (!key.empty()) req.query[key] = value;
    if (amp == std::string_view::npos) break;
    rest = rest.substr(amp + 1);
  }
}

http::response<http::string_body> to_beast(const HttpResponse& r, unsigned version,
                                           bool keep_alive) {
  http::response<http::string_body> res{static_cast<http::status>(r.status), version};
  res.set(http::field::server, "og-schedd");
  res.set(http::field::content_type, r.content_type);
  for (const auto& [k, v] : r.headers) res.set(k, v);
  res.keep_alive(keep_alive);
  res.body() = r.body;
  res.prepare_payload();
  return res;
}

}  // namespace

HttpResponse error_response(int status, const std::string& code, const std::string& message) {
  nlohmann::json j = {{"error", {{"code", code}, {"message", message}}}};
  return HttpResponse{status, "application/json", j.dump() + "\n", {}};
}

HttpResponse json_response(int status, const std::string& json_body) {
  return HttpResponse{status, "application/json", json_body, {}};
}

struct HttpServer::Impl {
  HttpServerOptions options;
  HttpHandler handler;
  asio::io_context io{1};
  tcp::acceptor acceptor{io};
  std::thread accept_thread;
  std::atomic<bool> stopping{false};
  std::mutex connections_mutex;
  size_t connections = 0;  // connection threads still running
  std::map<std::string, size_t> connections_from;  // of which, per client_address_group
  std::condition_variable connections_done;
  std::unique_ptr<ssl::context> tls;  // set when serving HTTPS
  // Connection threads that finished theirs wait a while for the next one (a command run
  // per submission opens a connection each time: a thread made and unmade for each costs
  // it). Guarded by connections_mutex.
  struct Accepted {
    int fd;
    std::string from;
  };
  std::deque<Accepted> handed;  // accepted, waiting for an idle thread
  size_t idle = 0;
  std::condition_variable work;
  static constexpr size_t kMaxIdle = 8;

  void serve(int fd);
  // Serves `first`, then whatever the accept loop hands it, until none comes for a while.
  void connection_thread(Accepted first);
  void connection_done(const std::string& from);
  template <typename Stream>
  void serve_requests(Stream& stream, asio::io_context& io, const std::string& peer);
  void accept_loop();
};

// Each connection has its own thread and its own io_context: reads and writes are async
// operations with a deadline (beast::tcp_stream), run to completion right here, so a
// stalled client costs one thread for at most io_timeout_s and the handler may block.
void HttpServer::Impl::serve(int fd) {
  asio::io_context io{1};
  beast::tcp_stream stream(io);
  beast::error_code ec;
  stream.socket().assign(tcp::v4(), fd, ec);  // the stream owns fd from here on
  if (ec) {
    ::close(fd);
    return;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  std::string peer = stream.socket().remote_endpoint(ec).address().to_string();
  if (!tls) {
    serve_requests(stream, io, peer);
    return;
  }
  // HTTPS: the handshake has the same deadline as any read; a client that does not speak
  // TLS (or distrusts our certificate) fails it and is dropped.
  beast::ssl_stream<beast::tcp_stream> secure(std::move(stream), *tls);
  beast::error_code handshake;
  beast::get_lowest_layer(secure).expires_after(std::chrono::seconds(options.io_timeout_s));
  secure.async_handshake(ssl::stream_base::server, [&](beast::error_code e) { handshake = e; });
  io.run();
  if (handshake) {
    log_info("tls_handshake_failed", {{"peer", peer}, {"error", handshake.message()}});
    return;
  }
  serve_requests(secure, io, peer);
}

template <typename Stream>
void HttpServer::Impl::serve_requests(Stream& stream, asio::io_context& io, const std::string& peer) {
  beast::error_code ec;
  auto& socket = beast::get_lowest_layer(stream).socket();
  const auto timeout = std::chrono::seconds(options.io_timeout_s);
  auto run = [&](auto start) {
    beast::error_code result;
    beast::get_lowest_layer(stream).expires_after(timeout);
    start([&result](beast::error_code e, size_t) { result = e; });
    io.restart();
    io.run();
    return result;
  };
  auto send = [&](const HttpResponse& r, unsigned version, bool keep_alive) {
    auto res = to_beast(r, version, keep_alive);
    return run([&](auto done) { http::async_write(stream, res, done); });
  };
  // Answer a request we will not read to the end, then keep reading (and dropping) for a
  // moment so the client can finish sending and see the answer instead of a reset.
  auto fail = [&](const HttpResponse& r) {
    if (send(r, 11, false)) return;
    beast::error_code ignored;
    socket.shutdown(tcp::socket::shutdown_send, ignored);
    std::array<char, 65536> sink;
    for (int reads = 0; reads < 256; ++reads)  // at most 16 MiB, each read within the deadline
      if (run([&](auto done) { stream.async_read_some(asio::buffer(sink), done); })) break;
  };

  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(16 * 1024);
    parser.body_limit(std::max(options.body_limit, options.upload_body_limit));
    ec = run([&](auto done) { http::async_read_header(stream, buffer, parser, done); });
    size_t limit = options.body_limit;
    if (!ec) {
      if (!options.upload_prefix.empty() &&
          parser.get().target().starts_with(options.upload_prefix))
        limit = options.upload_body_limit;
      // The parser checked Content-Length against the limit it had while reading the
      // header; check again against this path's own limit.
      auto length = parser.content_length();
      if (length && *length > limit) {
        ec = http::error::body_limit;
      } else {
        parser.body_limit(limit);
        ec = run([&](auto done) { http::async_read(stream, buffer, parser, done); });
      }
    }
    if (ec == http::error::end_of_stream || ec == asio::error::eof ||
        ec == asio::error::connection_reset || ec == ssl::error::stream_truncated || stopping)
      break;
    // A client stalled mid-request (or idle on keep-alive) past the deadline: the stream
    // has already closed the socket, nothing more can be said.
    if (ec == beast::error::timeout) break;
    if (ec == http::error::body_limit) {
      fail(error_response(413, "body_too_large",
                          "request body exceeds the limit of " + std::to_string(limit) + " bytes"));
      break;
    }
    if (ec == http::error::header_limit) {
      fail(error_response(431, "headers_too_large", "request headers exceed 16384 bytes"));
      break;
    }
    if (ec) {
      fail(error_response(400, "bad_request", "malformed HTTP request: " + ec.message()));
      break;
    }
    auto& msg = parser.get();
    HttpRequest req;
    req.method = std::string(msg.method_string());
    parse_target(msg.target(), req);
    for (const auto& field : msg) {
      std::string name(field.name_string());
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      req.headers[name] = std::string(field.value());
    }
    req.body = std::move(msg.body());
    req.remote_address = peer;
    HttpResponse r;
    try {
      r = handler(req);
    } catch (const std::exception& e) {
      log_error("http_handler_failed", {{"path", req.path}, {"error", e.what()}});
      r = error_response(500, "internal", "internal error; see the og-schedd log");
    }
    if (send(r, msg.version(), msg.keep_alive()) || !msg.keep_alive()) break;
  }
  socket.shutdown(tcp::socket::shutdown_both, ec);
}

std::string client_address_group(const std::string& address) {
  in6_addr v6{};
  if (inet_pton(AF_INET6, address.c_str(), &v6) != 1) return address;
  if (IN6_IS_ADDR_V4MAPPED(&v6)) {  // an IPv4 client of a dual-stack listener: itself
    char text[INET_ADDRSTRLEN] = {};
    inet_ntop(AF_INET, &v6.s6_addr[12], text, sizeof text);
    return text;
  }
  std::fill(std::begin(v6.s6_addr) + 8, std::end(v6.s6_addr), 0);
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(AF_INET6, &v6, text, sizeof text);
  return std::string(text) + "/64";
}

void HttpServer::Impl::accept_loop() {
  while (!stopping) {
    beast::error_code ec;
    tcp::socket socket{io};
    acceptor.accept(socket, ec);
    if (ec) {
      if (stopping) break;
      continue;
    }
    std::string from = client_address_group(socket.remote_endpoint(ec).address().to_string());
    {
      std::lock_guard lock(connections_mutex);
      if (connections >= options.max_connections || connections_from[from] >= options.max_connections_per_address) {
        // A plain-HTTP client is told why; a TLS one would read our plaintext as a broken
        // handshake, and a handshake here would cost what the limit protects: just close.
        if (!tls) {
          auto res = to_beast(error_response(503, "too_many_connections",
                                             "connection limit reached; retry later"), 11, false);
          http::write(socket, res, ec);
        }
        continue;  // the socket closes as it goes out of scope
      }
      ++connections;
      ++connections_from[from];
    }
    // Each connection runs on its own io_context: hand the descriptor over, to a thread
    // waiting for one if there is one.
    int fd = socket.release(ec);
    if (ec) {
      connection_done(from);
      continue;
    }
    {
      std::lock_guard lock(connections_mutex);
      if (idle > handed.size()) {
        handed.push_back({fd, from});
        work.notify_one();
        continue;
      }
    }
    std::thread([this, fd, from] { connection_thread({fd, from}); }).detach();
  }
}

void HttpServer::Impl::connection_done(const std::string& from) {
  std::lock_guard lock(connections_mutex);
  --connections;
  if (--connections_from[from] == 0) connections_from.erase(from);
  connections_done.notify_all();
}

void HttpServer::Impl::connection_thread(Accepted next) {
  for (;;) {
    serve(next.fd);
    connection_done(next.from);
    std::unique_lock lock(connections_mutex);
    if (stopping || idle >= kMaxIdle) return;
    ++idle;
    bool got = work.wait_for(lock, std::chrono::seconds(10), [this] { return stopping || !handed.empty(); });
    --idle;
    connections_done.notify_all();  // stop() waits for idle threads to leave
    if (!got || handed.empty()) return;
    next = std::move(handed.front());
    handed.pop_front();
  }
}

HttpServer::HttpServer(HttpServerOptions options, HttpHandler handler)
    : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->handler = std::move(handler);
}

HttpServer::~HttpServer() { stop(); }

void HttpServer::start() {
  const auto& o = impl_->options;
  if (!o.tls_cert_file.empty() || !o.tls_key_file.empty()) {
    if (o.tls_cert_file.empty() || o.tls_key_file.empty())
      throw UsageError("HTTPS needs both a certificate (--tls-cert) and its private key (--tls-key)");
    auto tls = std::make_unique<ssl::context>(ssl::context::tls_server);
    // TLS 1.2 and newer only; OpenSSL's default ciphers for those.
    tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                     ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
    beast::error_code ec;
    tls->use_certificate_chain_file(o.tls_cert_file, ec);
    if (ec) throw UsageError("--tls-cert " + o.tls_cert_file + ": cannot use it as a PEM certificate chain (" + ec.message() + ")");
    tls->use_private_key_file(o.tls_key_file, ssl::context::pem, ec);
    if (ec || SSL_CTX_check_private_key(tls->native_handle()) != 1)
      throw UsageError("--tls-key " + o.tls_key_file + ": not a PEM private key matching the certificate in " +
                       o.tls_cert_file + (ec ? " (" + ec.message() + ")" : ""));
    impl_->tls = std::move(tls);
  }
  auto address = asio::ip::make_address(impl_->options.host);
  tcp::endpoint endpoint(address, impl_->options.port);
  impl_->acceptor.open(endpoint.protocol());
  impl_->acceptor.set_option(asio::socket_base::reuse_address(true));
  impl_->acceptor.bind(endpoint);
  impl_->acceptor.listen(asio::socket_base::max_listen_connections);
  impl_->accept_thread = std::thread([this] { impl_->accept_loop(); });
}

uint16_t HttpServer::port() const { return impl_->acceptor.local_endpoint().port(); }

void HttpServer::stop() {
  if (!impl_ || impl_->stopping.exchange(true)) return;
  // shutdown() wakes the blocking accept(). Connections in flight end on their own
  // deadlines (or when the controller wakes its long polls); wait a little for them.
  ::shutdown(impl_->acceptor.native_handle(), SHUT_RDWR);
  if (impl_->accept_thread.joinable()) impl_->accept_thread.join();
  beast::error_code ec;
  impl_->acceptor.close(ec);
  std::unique_lock lock(impl_->connections_mutex);
  for (const auto& left : impl_->handed) {  // accepted, never taken up: closed unanswered
    ::close(left.fd);
    --impl_->connections;
  }
  impl_->handed.clear();
  impl_->work.notify_all();  // idle threads leave
  impl_->connections_done.wait_for(lock, std::chrono::seconds(2),
                                   [this] { return impl_->connections == 0 && impl_->idle == 0; });
}

}  // namespace og
