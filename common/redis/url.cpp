#include "common/redis/url.hpp"

#include <charconv>
#include <limits>
#include <stdexcept>

#include "common/text/percent_encoding.hpp"

namespace gpt_adapter::redis {
namespace {

// Messages never quote the URL: it may carry a password.
[[noreturn]] void fail(std::string_view reason) {
  throw std::invalid_argument("invalid redis URL: " + std::string(reason));
}

bool starts_with_scheme(std::string_view url, std::string_view scheme) {
  if (url.size() < scheme.size()) {
    return false;
  }
  for (std::size_t i = 0; i < scheme.size(); ++i) {
    const char c = url[i];
    const char lowered = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    if (lowered != scheme[i]) {
      return false;
    }
  }
  return true;
}

std::string decoded(std::string_view text, std::string_view what) {
  auto result = text::percent_decode(text);
  if (!result) {
    fail(std::string(what) + " has an invalid percent escape");
  }
  return std::move(*result);
}

template <typename Number>
bool parse_number(std::string_view text, Number& value) {
  if (text.empty()) {
    return false;
  }
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return error == std::errc() && end == text.data() + text.size();
}

unsigned short parse_port(std::string_view text) {
  unsigned int port = 0;
  if (!parse_number(text, port) || port == 0 || port > std::numeric_limits<unsigned short>::max()) {
    fail("port must be a number from 1 to 65535");
  }
  return static_cast<unsigned short>(port);
}

// One host[:port] of the authority; IPv6 hosts in brackets.
server_address parse_address(std::string_view authority, unsigned short default_port) {
  std::string_view host;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) {
      fail("an IPv6 host must end with ']'");
    }
    host = authority.substr(1, close - 1);
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        fail("unexpected text after the IPv6 host");
      }
      port = after.substr(1);
      if (port.empty()) {
        fail("the port is empty");
      }
    }
  } else {
    const auto colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      port = authority.substr(colon + 1);
      if (port.empty()) {
        fail("the port is empty");
      }
    }
  }
  if (host.empty()) {
    fail("the host is missing");
  }
  return {std::string(host), port.empty() ? default_port : parse_port(port)};
}

}  // namespace

connection_options parse_url(std::string_view url) {
  struct scheme_kind {
    std::string_view prefix;
    bool tls;
    bool sentinel;
  };
  // Longest first: "rediss-sentinel://" would otherwise be read as "rediss://".
  constexpr scheme_kind schemes[] = {{"rediss-sentinel://", true, true},
                                     {"redis-sentinel://", false, true},
                                     {"rediss://", true, false},
                                     {"redis://", false, false}};
  const scheme_kind* scheme = nullptr;
  for (const auto& candidate : schemes) {
    if (starts_with_scheme(url, candidate.prefix)) {
      scheme = &candidate;
      break;
    }
  }
  if (scheme == nullptr) {
    fail("the scheme must be redis://, rediss://, redis-sentinel:// or rediss-sentinel://");
  }
  std::string_view rest = url.substr(scheme->prefix.size());

  connection_options options;
  if (scheme->tls) {
    options.tls.emplace();
  }
  std::string master_name;
  if (const auto hash = rest.rfind('#'); hash != std::string_view::npos) {
    if (!scheme->sentinel) {
      fail("fragments are not supported");
    }
    master_name = decoded(rest.substr(hash + 1), "the master name");
    rest = rest.substr(0, hash);
  }
  // Credentials end at the last '@': a raw '@' or '/' in a password is tolerated.
  if (const auto at = rest.rfind('@'); at != std::string_view::npos) {
    const std::string_view userinfo = rest.substr(0, at);
    rest = rest.substr(at + 1);
    const auto colon = userinfo.find(':');
    if (colon == std::string_view::npos) {
      fail("credentials must be written as [user]:password@");
    }
    options.username = decoded(userinfo.substr(0, colon), "the user name");
    options.password = decoded(userinfo.substr(colon + 1), "the password");
    if (options.password.empty()) {
      fail("the password is empty");
    }
  }
  if (rest.find('?') != std::string_view::npos) {
    fail("query parameters are not supported");
  }
  const auto slash = rest.find('/');
  const std::string_view authority = rest.substr(0, slash);
  const std::string_view path =
      slash == std::string_view::npos ? std::string_view() : rest.substr(slash);

  if (scheme->sentinel) {
    if (master_name.empty()) {
      fail("a sentinel URL names the master after '#', as in redis-sentinel://host:26379#mymaster");
    }
    sentinel_options sentinel{.master_name = std::move(master_name)};
    std::string_view remaining = authority;
    while (true) {
      const auto comma = remaining.find(',');
      sentinel.sentinels.push_back(parse_address(remaining.substr(0, comma), 26379));
      if (comma == std::string_view::npos) {
        break;
      }
      remaining = remaining.substr(comma + 1);
    }
    options.sentinel = std::move(sentinel);
    options.host.clear();
    options.port = 0;
  } else {
    auto address = parse_address(authority, 6379);
    options.host = std::move(address.host);
    options.port = address.port;
  }

  if (path.size() > 1) {
    int database = 0;
    if (!parse_number(path.substr(1), database) || database < 0) {
      fail("the database must be a non-negative number, as in redis://host:6379/0");
    }
    options.database = database;
  }
  return options;
}

std::string describe(const connection_options& options) {
  if (options.sentinel) {
    return "sentinel master " + options.sentinel->master_name;
  }
  return options.host + ":" + std::to_string(options.port);
}

}  // namespace gpt_adapter::redis
