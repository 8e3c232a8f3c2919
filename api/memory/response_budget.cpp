#include "api/memory/response_budget.hpp"

#include <boost/json/serialize.hpp>

#include "api/memory/memory_requests.hpp"

namespace gpt_adapter::api::memory {

std::string shorten(std::string_view text, std::size_t max_chars) {
  if (max_chars == 0 || count_code_points(text) <= max_chars) {
    return std::string(max_chars == 0 ? std::string_view() : text);
  }
  // Keep max_chars - 1 code points and add the ellipsis as the last one.
  std::size_t kept = 0;
  std::size_t end = 0;
  for (; end < text.size(); ++end) {
    if ((static_cast<unsigned char>(text[end]) & 0xc0) != 0x80) {
      if (kept == max_chars - 1)
        break;
      ++kept;
    }
  }
  return std::string(text.substr(0, end)) + "\xe2\x80\xa6";
}

fitted_results fit_results(const boost::json::array& results, std::size_t budget_bytes) {
  fitted_results fitted;
  // The array's brackets and the commas between elements.
  std::size_t used = 2;
  for (const auto& result : results) {
    boost::json::value item = result;
    if (item.is_object()) {
      auto* content = item.as_object().if_contains("content");
      if (content != nullptr && content->is_string() &&
          count_code_points(content->as_string()) > max_answer_content_chars) {
        *content = shorten(content->as_string(), max_answer_content_chars);
        fitted.truncated = true;
      }
    }
    const auto size = boost::json::serialize(item).size() + (fitted.results.empty() ? 0 : 1);
    if (used + size > budget_bytes) {
      fitted.truncated = true;
      break;
    }
    used += size;
    fitted.results.push_back(std::move(item));
  }
  return fitted;
}

}  // namespace gpt_adapter::api::memory
