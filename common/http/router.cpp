#include "common/http/router.hpp"

#include <stdexcept>

namespace gpt_adapter::http {
namespace {

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> segments;
  while (!path.empty()) {
    if (path.front() == '/') {
      path.remove_prefix(1);
      continue;
    }
    const auto end = path.find('/');
    segments.push_back(path.substr(0, end));
    path = end == std::string_view::npos ? std::string_view{} : path.substr(end);
  }
  return segments;
}

bool is_parameter(std::string_view segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

// Matches `path` against `pattern`, collecting parameters; empty optional-like false on mismatch.
bool match_pattern(std::string_view pattern, std::string_view path,
                   std::vector<std::pair<std::string, std::string>>& params) {
  const auto pattern_segments = split_path(pattern);
  const auto path_segments = split_path(path);
  if (pattern_segments.size() != path_segments.size()) {
    return false;
  }
  params.clear();
  for (std::size_t i = 0; i < pattern_segments.size(); ++i) {
    if (is_parameter(pattern_segments[i])) {
      params.emplace_back(pattern_segments[i].substr(1, pattern_segments[i].size() - 2),
                          path_segments[i]);
    } else if (pattern_segments[i] != path_segments[i]) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string_view request_context::path_param(std::string_view name) const {
  for (const auto& [key, value] : path_params) {
    if (key == name) {
      return value;
    }
  }
  throw std::out_of_range("no path parameter " + std::string(name));
}

void router::add(verb method, std::string pattern, handler handle) {
  for (const auto& existing : routes_) {
    if (existing.method == method && existing.pattern == pattern) {
      throw std::invalid_argument("route registered twice: " + pattern);
    }
  }
  routes_.push_back(route{method, std::move(pattern), std::move(handle)});
  const auto& added = routes_.back().pattern;
  if (added.find('{') == std::string::npos) {
    exact_[added].push_back(routes_.size() - 1);
  }
}

router::match router::find(verb method, std::string_view path) const {
  match result;
  if (const auto exact = exact_.find(std::string(path)); exact != exact_.end()) {
    for (const auto index : exact->second) {
      if (routes_[index].method == method) {
        result.found = &routes_[index];
        result.allowed.clear();
        return result;
      }
      result.allowed.push_back(routes_[index].method);
    }
  }
  std::vector<std::pair<std::string, std::string>> params;
  for (const auto& candidate : routes_) {
    if (candidate.pattern.find('{') == std::string::npos ||
        !match_pattern(candidate.pattern, path, params)) {
      continue;
    }
    if (candidate.method == method) {
      result.found = &candidate;
      result.path_params = std::move(params);
      result.allowed.clear();
      return result;
    }
    result.allowed.push_back(candidate.method);
  }
  return result;
}

}  // namespace gpt_adapter::http
