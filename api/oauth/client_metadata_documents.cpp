#include "api/oauth/client_metadata_documents.hpp"

#include <boost/json/parse.hpp>

#include "api/oauth/client_registration.hpp"
#include "common/http/outbound_client.hpp"
#include "common/logging/logger.hpp"

namespace gpt_adapter::api::oauth {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;

constexpr std::size_t max_client_id_chars = 2000;

auth::scope_set grantable_scopes() {
  return {std::string(auth::memories_read_scope), std::string(auth::memories_write_scope)};
}

}  // namespace

bool is_client_metadata_url(std::string_view client_id) {
  constexpr std::string_view scheme = "https://";
  if (client_id.size() > max_client_id_chars || !client_id.starts_with(scheme)) {
    return false;
  }
  const auto rest = client_id.substr(scheme.size());
  const auto path_start = rest.find('/');
  if (path_start == 0 || path_start == std::string_view::npos) {
    return false;
  }
  const auto authority = rest.substr(0, path_start);
  const auto path = rest.substr(path_start);
  return path != "/" && authority.find('@') == std::string_view::npos &&
         client_id.find('#') == std::string_view::npos &&
         path.find("/./") == std::string_view::npos &&
         path.find("/../") == std::string_view::npos && !path.ends_with("/.") &&
         !path.ends_with("/..") && std::all_of(client_id.begin(), client_id.end(), [](char c) {
           const auto byte = static_cast<unsigned char>(c);
           return byte > 0x20 && byte < 0x7f;
         });
}

auth::value_or_error<client_metadata, std::string> parse_client_metadata_document(
    std::string_view body, std::string_view document_url) {
  boost::system::error_code error;
  const auto document = json::parse(body, error);
  if (error || !document.is_object()) {
    return std::string("the client metadata document is not a JSON object");
  }
  const auto& fields = document.as_object();
  const auto* client_id = fields.if_contains("client_id");
  if (!client_id || !client_id->is_string() || client_id->as_string() != document_url) {
    return std::string("the client metadata document's client_id is not its own URL");
  }
  if (!fields.contains("client_name")) {
    return std::string("the client metadata document has no client_name");
  }
  // There is no secret to share with a client that registers this way.
  auto metadata = parse_client_metadata(fields, "", "none", grantable_scopes());
  if (!metadata) {
    return "the client metadata document is invalid: " + metadata.error().description;
  }
  if (metadata->token_endpoint_auth_method != "none") {
    return std::string(
        "the client metadata document must use token_endpoint_auth_method none (private_key_jwt "
        "is not supported)");
  }
  return std::move(metadata).value();
}

client_metadata_documents::client_metadata_documents(asio::any_io_executor executor,
                                                     client_metadata_settings settings,
                                                     std::shared_ptr<postgres::pool> database)
    : executor_(std::move(executor)),
      settings_(std::move(settings)),
      database_(std::move(database)) {}

asio::awaitable<auth::value_or_error<std::string, client_metadata_documents::fetch_failure>>
client_metadata_documents::fetch(const std::string& url) {
  const auto path_start = url.find('/', std::string_view("https://").size());
  auto origin = http::parse_origin_url(url.substr(0, path_start));
  if (!origin) {
    co_return fetch_failure{"the client_id is not a usable URL: " + origin.error()};
  }
  const auto client =
      http::outbound_client::create(executor_, origin.value(),
                                    {.connect_timeout = settings_.fetch_timeout,
                                     .request_timeout = settings_.fetch_timeout,
                                     .max_connections = 1,
                                     .response_body_limit = settings_.max_document_bytes,
                                     .ca_file = settings_.ca_file,
                                     .public_addresses_only = !settings_.allow_private_addresses});
  // Named, not a braced temporary inside co_await: GCC 12 cannot compile that.
  http::outbound_request request{.target = url.substr(path_start),
                                 .headers = {{"Accept", "application/json"}}};
  auto answer = co_await client->send(std::move(request));
  client->stop();
  if (!answer) {
    logging::warn("cannot fetch a client metadata document",
                  {{"client_id", url}, {"error", answer.error().message}});
    co_return fetch_failure{"the client metadata document cannot be fetched"};
  }
  if (answer->status != 200) {
    co_return fetch_failure{"the client metadata document answered " +
                            std::to_string(answer->status)};
  }
  co_return std::move(answer->body);
}

asio::awaitable<std::optional<auth::value_or_error<client_record, std::string>>>
client_metadata_documents::resolve(std::string client_id) {
  using outcome = auth::value_or_error<client_record, std::string>;
  if (!settings_.enabled || !is_client_metadata_url(client_id)) {
    co_return std::nullopt;
  }
  auto stored = co_await find_client(*database_, client_id);
  const auto now = std::chrono::steady_clock::now();
  {
    const std::lock_guard lock(mutex_);
    const auto fetched = fetched_.find(client_id);
    if (stored && fetched != fetched_.end() && now - fetched->second < settings_.refresh_after) {
      co_return outcome(std::move(*stored));
    }
  }
  if (stored && stored->registration != "metadata_document") {
    co_return outcome(std::move(*stored));
  }
  const auto body = co_await fetch(client_id);
  if (!body) {
    co_return outcome(body.error().reason);
  }
  const auto metadata = parse_client_metadata_document(body.value(), client_id);
  if (!metadata) {
    co_return outcome(metadata.error());
  }
  if (stored) {
    co_await update_metadata_document_client(*database_, client_id, metadata->client_name,
                                             metadata->redirect_uris);
  } else {
    new_registered_client client{
        .name = metadata->client_name,
        .client_id = client_id,
        .scopes = std::vector<std::string>(metadata->scopes.begin(), metadata->scopes.end()),
        .redirect_uris = metadata->redirect_uris,
        .rate_limit_per_minute = settings_.rate_limit_per_minute,
        .registration = "metadata_document"};
    co_await insert_registered_client(*database_, std::move(client));
    logging::info("a client was registered from its metadata document", {{"client_id", client_id}});
  }
  {
    const std::lock_guard lock(mutex_);
    fetched_[client_id] = now;
  }
  auto refreshed = co_await find_client(*database_, client_id);
  if (!refreshed) {
    co_return outcome(std::string("the client could not be stored"));
  }
  co_return outcome(std::move(*refreshed));
}

}  // namespace gpt_adapter::api::oauth
