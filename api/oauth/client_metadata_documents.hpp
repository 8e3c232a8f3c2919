#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "api/oauth/client_registration.hpp"
#include "api/oauth/oauth_store.hpp"
#include "common/auth/value_or_error.hpp"
#include "common/postgres/pool.hpp"

// OAuth Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document, as MCP
// 2025-11-25 and later use them): a client whose client_id is an https URL publishes its
// metadata at that URL, and the authorization server fetches it instead of asking an operator
// to register the client. Fetched with strict limits (https only, public addresses only outside
// development mode, a few KiB, a few seconds), kept as an application row so that tokens,
// sessions, rate limits and audit work as for any client, and fetched again after a while.
namespace gpt_adapter::api::oauth {

struct client_metadata_settings {
  bool enabled = false;  // OAUTH_CLIENT_METADATA_DOCUMENTS
  // Loopback and private addresses allowed (GPT_ADAPTER_DEV_MODE): tests and local hosts only.
  bool allow_private_addresses = false;
  std::optional<std::string> ca_file;  // OAUTH_CLIENT_METADATA_CA_FILE: a private CA
  int rate_limit_per_minute = 100;     // OAUTH_REGISTERED_CLIENT_RATE_LIMIT
  std::chrono::seconds refresh_after{3600};
  std::chrono::milliseconds fetch_timeout{5000};
  std::size_t max_document_bytes = 5 * 1024;
};

// Whether `client_id` has the form of a metadata document URL: https, a host, a path other than
// "/", no user information, fragment or dot segments, at most 2000 characters. Pure.
bool is_client_metadata_url(std::string_view client_id);

// The document's problems, or its metadata; `document_url` is the URL it was fetched from,
// which its client_id must equal exactly. Pure.
auth::value_or_error<client_metadata, std::string> parse_client_metadata_document(
    std::string_view body, std::string_view document_url);

class client_metadata_documents {
 public:
  client_metadata_documents(boost::asio::any_io_executor executor,
                            client_metadata_settings settings,
                            std::shared_ptr<postgres::pool> database);

  bool enabled() const { return settings_.enabled; }

  // The client for a metadata document URL: the stored one while it is fresh, otherwise the
  // document is fetched, checked and stored first. An error (safe to show on the sign-in page)
  // when it cannot be fetched or is not a valid document; std::nullopt when `client_id` is no
  // such URL or the feature is off.
  boost::asio::awaitable<std::optional<auth::value_or_error<client_record, std::string>>> resolve(
      std::string client_id);

 private:
  struct fetch_failure {
    std::string reason;
  };
  boost::asio::awaitable<auth::value_or_error<std::string, fetch_failure>> fetch(
      const std::string& url);

  boost::asio::any_io_executor executor_;
  client_metadata_settings settings_;
  std::shared_ptr<postgres::pool> database_;
  std::mutex mutex_;
  std::map<std::string, std::chrono::steady_clock::time_point, std::less<>> fetched_;
};

}  // namespace gpt_adapter::api::oauth
