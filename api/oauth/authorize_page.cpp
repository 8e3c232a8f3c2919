#include "api/oauth/authorize_page.hpp"

#include "common/auth/scopes.hpp"

namespace gpt_adapter::api::oauth {
namespace {

constexpr std::string_view page_style =
    "body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem;"
    "color:#1d1d1f}h1{font-size:1.4rem}label{display:block;margin:.8rem 0 .2rem}"
    "input[type=text],input[type=password]{width:100%;padding:.5rem;box-sizing:border-box}"
    ".error{color:#b00020;border:1px solid #b00020;padding:.5rem}"
    "button{margin:1rem .5rem 0 0;padding:.5rem 1rem}";

std::string page_head(std::string_view title) {
  return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
         "<meta name=\"referrer\" content=\"no-referrer\"><title>" +
         html_escape(title) + "</title><style>" + std::string(page_style) +
         "</style></head><body>\n";
}

}  // namespace

std::string html_escape(std::string_view text) {
  std::string escaped;
  escaped.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        escaped += "&amp;";
        break;
      case '<':
        escaped += "&lt;";
        break;
      case '>':
        escaped += "&gt;";
        break;
      case '"':
        escaped += "&quot;";
        break;
      case '\'':
        escaped += "&#39;";
        break;
      default:
        escaped += c;
    }
  }
  return escaped;
}

std::string_view scope_description(std::string_view scope) {
  if (scope == auth::memories_read_scope) {
    return "Read your memories";
  }
  if (scope == auth::memories_write_scope) {
    return "Create, change and delete your memories";
  }
  return "An unknown permission";
}

std::string render_sign_in_page(const sign_in_page& page) {
  std::string html = page_head("Sign in to continue");
  html += "<h1>Sign in to allow <strong>" + html_escape(page.application_name) +
          "</strong> to act for you</h1>\n";
  if (!page.error.empty()) {
    html += "<p class=\"error\" role=\"alert\">" + html_escape(page.error) + "</p>\n";
  }
  if (!page.client_notice.empty()) {
    html += "<p class=\"notice\">" + html_escape(page.client_notice) + "</p>\n";
  }
  html += "<p>" + html_escape(page.application_name) + " asks for permission to:</p>\n<ul>\n";
  for (const auto& scope : page.scopes) {
    html += "<li>" + html_escape(scope_description(scope)) + " (<code>" + html_escape(scope) +
            "</code>)</li>\n";
  }
  if (page.scopes.empty()) {
    html += "<li>Identify you</li>\n";
  }
  html += "</ul>\n<form method=\"post\" action=\"" + html_escape(page.form_action) + "\">\n";
  for (const auto& [name, value] : page.request_fields) {
    html += "<input type=\"hidden\" name=\"" + html_escape(name) + "\" value=\"" +
            html_escape(value) + "\">\n";
  }
  html += "<input type=\"hidden\" name=\"csrf_token\" value=\"" + html_escape(page.csrf_token) +
          "\">\n<label for=\"username\">Username</label>\n"
          "<input type=\"text\" id=\"username\" name=\"username\" autocomplete=\"username\" "
          "required value=\"" +
          html_escape(page.username) +
          "\">\n<label for=\"password\">Password</label>\n"
          "<input type=\"password\" id=\"password\" name=\"password\" "
          "autocomplete=\"current-password\" required>\n"
          "<button type=\"submit\" name=\"decision\" value=\"allow\">Sign in and allow</button>"
          "<button type=\"submit\" name=\"decision\" value=\"deny\" formnovalidate>Deny</button>\n"
          "</form>\n</body></html>\n";
  return html;
}

std::string render_error_page(std::string_view title, std::string_view message) {
  return page_head(title) + "<h1>" + html_escape(title) + "</h1>\n<p>" + html_escape(message) +
         "</p>\n</body></html>\n";
}

}  // namespace gpt_adapter::api::oauth
