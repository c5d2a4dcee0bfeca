// TLS connections (OpenSSL through Beast): linked into the daemons as tls_factory(), and
// built alone as og-tls.so, which the quick commands load for https:// (tls_loader.cpp).
#include <boost/beast/ssl.hpp>

#include <exception>

#include "core/http_connection.hpp"
#include "core/http_exchange.hpp"

namespace og::http_detail {
namespace {

namespace ssl = asio::ssl;

class TlsConnection final : public Connection {
 public:
  TlsConnection(std::string host, std::unique_ptr<ssl::context> context)
      : host_(std::move(host)), context_(std::move(context)) {}

  std::string connect(const tcp::resolver::results_type& endpoints, long timeout_ms) override {
    try {
      return handshake(endpoints, timeout_ms);
    } catch (const std::exception& e) {  // nothing is thrown across this interface
      return e.what();
    }
  }
  void disconnect() override {
    if (stream_) {
      beast::error_code ignored;
      lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
      lowest().close();
    }
    buffer_.clear();
  }
  Attempt send(StringRequest& request, const Reading& reading) override { return guarded(request, reading); }
  Attempt send(FileRequest& request, const Reading& reading) override { return guarded(request, reading); }

 private:
  beast::tcp_stream& lowest() { return beast::get_lowest_layer(*stream_); }

  template <typename Request>
  Attempt guarded(Request& request, const Reading& reading) {
    try {
      return write_and_read(io_, lowest(), *stream_, buffer_, request, reading);
    } catch (const std::exception& e) {
      Attempt failed;
      failed.failed = true;
      failed.error = e.what();
      return failed;
    }
  }

  std::string handshake(const tcp::resolver::results_type& endpoints, long timeout_ms) {
    // A fresh stream for each connection: a TLS stream cannot be reused once closed.
    beast::tcp_stream plain(io_);
    auto ec = run_with_deadline(io_, plain, [&](auto done) { plain.async_connect(endpoints, done); }, timeout_ms);
    if (ec) return ec == beast::error::timeout ? "connection timed out" : ec.message();
    plain.socket().set_option(tcp::no_delay(true));
    stream_ = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(std::move(plain), *context_);
    // OpenSSL checks the name (or IP address) in the certificate during verification, so a
    // mismatch gets its own error code.
    SSL* ssl_handle = stream_->native_handle();
    beast::error_code ip_check;
    asio::ip::make_address(host_, ip_check);
    if (ip_check) {
      SSL_set_tlsext_host_name(ssl_handle, host_.c_str());  // SNI takes names only
      SSL_set1_host(ssl_handle, host_.c_str());
    } else {
      X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_handle), host_.c_str());
    }
    ec = run_with_deadline(io_, lowest(), [&](auto done) { stream_->async_handshake(ssl::stream_base::client, done); },
                           timeout_ms);
    if (!ec) return "";
    std::string why = "TLS handshake failed: " + ec.message();
    long verify = SSL_get_verify_result(ssl_handle);
    if (verify == X509_V_ERR_HOSTNAME_MISMATCH || verify == X509_V_ERR_IP_ADDRESS_MISMATCH)
      why += " (the server's certificate does not name " + host_ +
             ": connect by a name it holds, or give it a certificate that names this one, e.g. og-tls-ca DIR " + host_ + ")";
    else if (verify != X509_V_OK)
      why += " (" + std::string(X509_verify_cert_error_string(verify)) +
             ": is the CA file (OG_CA_FILE, ca_file= in client.conf, og-worker --ca-file) the CA that signed "
             "the server's certificate?)";
    return why;
  }

  asio::io_context io_{1};
  std::string host_;
  std::unique_ptr<ssl::context> context_;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> stream_;
  beast::flat_buffer buffer_;
};

std::unique_ptr<Connection> make_tls_connection(const std::string& host, const std::string& ca_file, std::string& error) {
  try {
    auto context = std::make_unique<ssl::context>(ssl::context::tls_client);
    context->set_options(ssl::context::no_sslv2 | ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                         ssl::context::no_tlsv1_1);
    context->set_verify_mode(ssl::verify_peer);
    beast::error_code ec;
    if (ca_file.empty())
      context->set_default_verify_paths(ec);
    else
      context->load_verify_file(ca_file, ec);
    if (ec) {
      error = ca_file.empty() ? "cannot load the system's CA certificates: " + ec.message()
                              : "CA file " + ca_file + ": cannot load it as PEM certificates (" + ec.message() + ")";
      return nullptr;
    }
    return std::make_unique<TlsConnection>(host, std::move(context));
  } catch (const std::exception& e) {
    error = std::string("TLS: ") + e.what();
    return nullptr;
  }
}

}  // namespace

#ifdef OG_TLS_PLUGIN
// og-tls.so's one entry point (tls_loader.cpp looks it up by this name).
extern "C" __attribute__((visibility("default"))) TlsFactory og_tls_factory_v1() { return &make_tls_connection; }
#else
TlsFactory tls_factory() { return &make_tls_connection; }
#endif

}  // namespace og::http_detail
