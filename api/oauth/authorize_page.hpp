#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

// The server-rendered pages of the authorization endpoint: a sign-in and consent form that works
// without JavaScript, and an error page for requests that must not be redirected. Pure; every
// value is HTML-escaped.
namespace gpt_adapter::api::oauth {

// `text` with & < > " ' replaced by character references: safe in element content and in
// double- or single-quoted attribute values.
std::string html_escape(std::string_view text);

struct sign_in_page {
  std::string application_name;
  // Who the client is when no operator registered it (its own name is only its claim): where
  // the sign-in returns to, and how it registered. Empty for an operator's application.
  std::string client_notice;
  std::vector<std::string> scopes;  // canonical names
  // The authorization request's parameters, carried through the form as hidden fields.
  std::vector<std::pair<std::string, std::string>> request_fields;
  std::string csrf_token;
  std::string form_action;  // e.g. "/oauth/authorize"
  std::string username;     // kept after a failed attempt
  std::string error;        // shown above the form when set
};

std::string render_sign_in_page(const sign_in_page& page);

// A page that explains why the request cannot go on, e.g. an unknown client or an unregistered
// redirect URI (RFC 6749 §4.1.2.1: never redirect then).
std::string render_error_page(std::string_view title, std::string_view message);

// What the consent screen says a scope allows.
std::string_view scope_description(std::string_view scope);

}  // namespace gpt_adapter::api::oauth
