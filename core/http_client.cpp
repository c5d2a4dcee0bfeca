#include "core/http_status.hpp"
#include "core/http_client.hpp"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <cctype>
#include <chrono>
#include <stdexcept>

#include "core/error.hpp"

namespace og {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

struct HttpClient::Impl {
  std::string host, port, prefix;
  std::string host_header;  // HOST[:PORT], as servers build absolute URLs from it (registries do)
  asio::io_context io{1};
  std::unique_ptr<ssl::context> tls;  // https:// only
  // One of these is the connection: a fresh one for each connect (a TLS stream cannot be
  // reused once closed).
  std::unique_ptr<beast::tcp_stream> plain = std::make_unique<beast::tcp_stream>(io);
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> secure;
  beast::flat_buffer buffer;
  bool connected = false;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string server = "og-schedd";

  beast::tcp_stream& lowest() { return secure ? beast::get_lowest_layer(*secure) : *plain; }
  // Calls f with whichever stream is in use.
  template <typename F>
  auto with_stream(F f) {
    return secure ? f(*secure) : f(*plain);
  }

  // Runs one async operation to completion on our own io_context, with a deadline.
  template <typename Start>
  beast::error_code run(Start start, long timeout_ms) {
    beast::error_code result;
    lowest().expires_after(std::chrono::milliseconds(timeout_ms));
    start([&result](beast::error_code e, auto&&...) { result = e; });
    io.restart();
    io.run();
    return result;
  }

  // Connects (and for https, handshakes and verifies the certificate); "" or what failed.
  std::string connect(const tcp::resolver::results_type& endpoints, long timeout_ms) {
    plain = std::make_unique<beast::tcp_stream>(io);
    secure.reset();
    auto ec = run([&](auto done) { plain->async_connect(endpoints, done); }, timeout_ms);
    if (ec) return ec == beast::error::timeout ? "connection timed out" : ec.message();
    plain->socket().set_option(tcp::no_delay(true));
    if (!tls) return "";
    secure = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(std::move(*plain), *tls);
    // OpenSSL checks the name (or IP address) in the certificate during verification, so a
    // mismatch gets its own error code.
    SSL* ssl_handle = secure->native_handle();
    beast::error_code ip_check;
    asio::ip::make_address(host, ip_check);
    if (ip_check) {
      SSL_set_tlsext_host_name(ssl_handle, host.c_str());  // SNI takes names only
      SSL_set1_host(ssl_handle, host.c_str());
    } else {
      X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_handle), host.c_str());
    }
    ec = run([&](auto done) { secure->async_handshake(ssl::stream_base::client, done); }, timeout_ms);
    if (!ec) return "";
    std::string why = "TLS handshake failed: " + ec.message();
    long verify = SSL_get_verify_result(ssl_handle);
    if (verify == X509_V_ERR_HOSTNAME_MISMATCH || verify == X509_V_ERR_IP_ADDRESS_MISMATCH)
      why += " (the server's certificate does not name " + host +
             ": connect by a name it holds, or give it a certificate that names this one, e.g. og-tls-ca DIR " + host + ")";
    else if (verify != X509_V_OK)
      why += " (" + std::string(X509_verify_cert_error_string(verify)) +
             ": is the CA file (OG_CA_FILE, ca_file= in client.conf, og-worker --ca-file) the CA that signed "
             "the server's certificate?)";
    return why;
  }

  void disconnect() {
    beast::error_code ignored;
    lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
    lowest().close();
    buffer.clear();
    connected = false;
  }
};

namespace {

[[noreturn]] void unreachable(const std::string& server, const std::string& url, const std::string& why) {
  throw HttpUnreachable("cannot reach " + server + " at " + url + ": " + why +
                           (server == "og-schedd" ? " (is it running? check --url, OG_SCHEDD_URL or the config file)"
                                                  : ""));
}

}  // namespace

HttpClient::HttpClient(std::string base_url, std::string token, std::string ca_file)
    : base_url_(std::move(base_url)), token_(std::move(token)), impl_(std::make_unique<Impl>()) {
  while (!base_url_.empty() && base_url_.back() == '/') base_url_.pop_back();
  bool https = base_url_.rfind("https://", 0) == 0;
  if (!https && base_url_.rfind("http://", 0) != 0)
    throw UsageError("scheduler address \"" + base_url_ +
                     "\" must start with http:// or https:// (e.g. https://127.0.0.1:6820)");
  std::string rest = base_url_.substr(https ? 8 : 7);
  auto slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  impl_->prefix = slash == std::string::npos ? "" : rest.substr(slash);
  auto colon = authority.rfind(':');
  impl_->host = authority.substr(0, colon);
  impl_->port = colon == std::string::npos ? (https ? "443" : "80") : authority.substr(colon + 1);
  if (impl_->host.empty()) throw UsageError("scheduler address \"" + base_url_ + "\" has no host");
  impl_->host_header = colon == std::string::npos ? impl_->host : authority;
  if (!https) return;
  impl_->tls = std::make_unique<ssl::context>(ssl::context::tls_client);
  impl_->tls->set_options(ssl::context::no_sslv2 | ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                          ssl::context::no_tlsv1_1);
  impl_->tls->set_verify_mode(ssl::verify_peer);
  beast::error_code ec;
  if (ca_file.empty())
    impl_->tls->set_default_verify_paths(ec);
  else
    impl_->tls->load_verify_file(ca_file, ec);
  if (ec)
    throw UsageError(ca_file.empty() ? "cannot load the system's CA certificates: " + ec.message()
                                     : "CA file " + ca_file + ": cannot load it as PEM certificates (" + ec.message() + ")");
}

std::string HttpResult::header(const std::string& name) const {
  for (const auto& [key, value] : headers)
    if (beast::iequals(key, name)) return value;
  return "";
}

HttpClient::~HttpClient() = default;

void HttpClient::set_headers(std::vector<std::pair<std::string, std::string>> headers) {
  impl_->headers = std::move(headers);
}
void HttpClient::set_server_name(std::string name) { impl_->server = std::move(name); }
HttpClient::HttpClient(HttpClient&&) noexcept = default;

namespace {

// The request line and headers every request carries.
template <typename Request>
void set_common_fields(Request& req, const std::string& host, const std::string& token,
                       const std::vector<std::pair<std::string, std::string>>& headers) {
  if (req.method() == http::verb::unknown) throw std::invalid_argument("unknown HTTP method");
  req.set(http::field::host, host);
  if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
  for (const auto& [name, value] : headers) req.set(name, value);
  req.keep_alive(true);
}

}  // namespace

HttpResult HttpClient::request(const std::string& method, const std::string& path,
                               const std::string& body, long timeout_ms,
                               const std::string& content_type, const Progress& progress) {
  http::request<http::string_body> req{http::string_to_verb(method), impl_->prefix + path, 11};
  set_common_fields(req, impl_->host_header, token_, impl_->headers);
  if (!body.empty() || method == "POST" || method == "PUT") {
    req.set(http::field::content_type, content_type);
    req.body() = body;
  }
  req.prepare_payload();
  return exchange(req, timeout_ms, progress, nullptr, nullptr);
}

HttpResult HttpClient::request_to(const std::string& method, const std::string& path, const Sink& sink,
                                  long timeout_ms) {
  // A string body left empty (and no length said): the same exchange as request()'s,
  // one instantiation of Beast's machinery fewer to compile.
  http::request<http::string_body> req{http::string_to_verb(method), impl_->prefix + path, 11};
  set_common_fields(req, impl_->host_header, token_, impl_->headers);
  return exchange(req, timeout_ms, nullptr, &sink, nullptr);
}

HttpResult HttpClient::send_file(const std::string& method, const std::string& path, const std::string& file,
                                 long timeout_ms, const std::string& content_type) {
  http::request<http::file_body> req{http::string_to_verb(method), impl_->prefix + path, 11};
  set_common_fields(req, impl_->host_header, token_, impl_->headers);
  beast::error_code ec;
  req.body().open(file.c_str(), beast::file_mode::scan, ec);
  if (ec) throw std::runtime_error("cannot read " + file + ": " + ec.message());
  req.set(http::field::content_type, content_type);
  req.prepare_payload();
  // A second try on a fresh connection sends the file from its start again.
  auto rewind = [&req] {
    beast::error_code ignored;
    req.body().file().seek(0, ignored);
  };
  return exchange(req, timeout_ms, nullptr, nullptr, rewind);
}

template <typename Request>
HttpResult HttpClient::exchange(Request& req, long timeout_ms, const Progress& progress, const Sink* sink,
                                const std::function<void()>& rewind) {
  Impl& c = *impl_;
  // A kept-alive connection may have been closed by the server while idle: then (and
  // only when nothing came back) try once more on a fresh connection.
  for (int attempt = 0;; ++attempt) {
    bool reused = c.connected;
    if (!c.connected) {
      tcp::resolver resolver(c.io);
      beast::error_code ec;
      auto endpoints = resolver.resolve(c.host, c.port, ec);
      if (ec) unreachable(c.server, base_url_, ec.message());
      if (auto failed = c.connect(endpoints, std::min(timeout_ms, 5000L)); !failed.empty()) {
        c.disconnect();
        unreachable(c.server, base_url_, failed);
      }
      c.connected = true;
    }
    if (attempt > 0 && rewind) rewind();
    http::response_parser<http::string_body> parser;
    if (req.method() == http::verb::head) parser.skip(true);  // a length, and no body to wait for
    if (sink) parser.body_limit(boost::none);  // streamed out: never held whole
    else parser.body_limit(1024ull * 1024 * 1024);
    auto ec = c.with_stream([&](auto& stream) {
      return c.run([&](auto done) { http::async_write(stream, req, done); }, timeout_ms);
    });
    // The server may answer early and stop reading (413 for an oversize body): its
    // answer is still worth reading when our write broke off.
    if (!ec || ec == asio::error::broken_pipe || ec == asio::error::connection_reset) {
      // Piece by piece, each read with its own deadline (a large download is not cut off
      // for its total length), telling the caller how far the body has come.
      auto read_ec = c.with_stream([&](auto& stream) {
        auto e = c.run([&](auto done) { http::async_read_header(stream, c.buffer, parser, done); }, timeout_ms);
        uint64_t total = parser.content_length().value_or(0), received = 0;
        bool streaming = !e && sink && parser.get().result_int() / 100 == 2;
        // Any other answer is kept in memory: a refusal's few words, never an endless body.
        if (!e && sink && !streaming) parser.body_limit(1 << 20);
        while (!e && !parser.is_done()) {
          e = c.run([&](auto done) { http::async_read_some(stream, c.buffer, parser, done); }, timeout_ms);
          auto& body = parser.get().body();
          received = streaming ? received + body.size() : body.size();
          if (streaming && !body.empty()) {
            try {
              (*sink)(body);
            } catch (...) {
              c.disconnect();  // the rest of the body is still on its way: the connection is spent
              throw;
            }
            body.clear();
          }
          if (progress) progress(received, total);
        }
        return e;
      });
      if (!read_ec || !parser.is_done()) ec = read_ec;
      if (parser.is_done()) ec = {};
    }
    if (ec) {
      bool nothing_back = !parser.got_some();
      c.disconnect();
      if (reused && nothing_back && attempt == 0 && ec != beast::error::timeout) continue;
      unreachable(c.server, base_url_, ec == beast::error::timeout ? "no answer within " + std::to_string(timeout_ms) + " ms"
                                                         : ec.message());
    }
    auto& res = parser.get();
    HttpResult result{static_cast<long>(res.result_int()), std::move(res.body()), {}};
    for (const auto& field : res) result.headers.emplace_back(field.name_string(), field.value());
    if (!res.keep_alive()) c.disconnect();
    return result;
  }
}

nlohmann::json HttpClient::call(const std::string& method, const std::string& path,
                                const nlohmann::json& body, long timeout_ms) {
  auto r = request(method, path, body.is_null() ? std::string() : body.dump(), timeout_ms);
  nlohmann::json parsed = nlohmann::json::parse(r.body, nullptr, false);
  if (r.status >= 200 && r.status < 300) {
    if (parsed.is_discarded())
      throw ApiError(Refusal::Upstream, "bad_response", "og-schedd sent a response that is not JSON");
    return parsed;
  }
  if (!parsed.is_discarded() && parsed.contains("error") && parsed["error"].is_object())
    throw ApiError(refusal_of_status(static_cast<int>(r.status)), parsed["error"].value("code", "error"),
                   parsed["error"].value("message", r.body));
  throw ApiError(refusal_of_status(static_cast<int>(r.status)), "http_" + std::to_string(r.status), r.body);
}

std::string url_encode(const std::string& text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  return out;
}

std::string url_encode_path(const std::string& path) {
  std::string out;
  size_t start = 0;
  for (size_t slash; (slash = path.find('/', start)) != std::string::npos; start = slash + 1)
    out += url_encode(path.substr(start, slash - start)) + "/";
  return out + url_encode(path.substr(start));
}

}  // namespace og
