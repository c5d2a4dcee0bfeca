#include "core/http_connection.hpp"

#include "core/http_exchange.hpp"

namespace og::http_detail {
namespace {

class PlainConnection final : public Connection {
 public:
  std::string connect(const tcp::resolver::results_type& endpoints, long timeout_ms) override {
    stream_ = std::make_unique<beast::tcp_stream>(io_);
    auto ec = run_with_deadline(io_, *stream_, [&](auto done) { stream_->async_connect(endpoints, done); }, timeout_ms);
    if (ec) return ec == beast::error::timeout ? "connection timed out" : ec.message();
    stream_->socket().set_option(tcp::no_delay(true));
    return "";
  }
  void disconnect() override {
    if (stream_) {
      beast::error_code ignored;
      stream_->socket().shutdown(tcp::socket::shutdown_both, ignored);
      stream_->close();
    }
    buffer_.clear();
  }
  Attempt send(StringRequest& request, const Reading& reading) override {
    return write_and_read(io_, *stream_, *stream_, buffer_, request, reading);
  }
  Attempt send(FileRequest& request, const Reading& reading) override {
    return write_and_read(io_, *stream_, *stream_, buffer_, request, reading);
  }

 private:
  asio::io_context io_{1};
  std::unique_ptr<beast::tcp_stream> stream_;
  beast::flat_buffer buffer_;
};

}  // namespace

std::unique_ptr<Connection> plain_connection() { return std::make_unique<PlainConnection>(); }

}  // namespace og::http_detail
