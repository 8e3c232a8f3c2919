#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <boost/json/array.hpp>

// ChatGPT refuses answers of 100,000 characters or more. Result lists are cut to fit and say
// so, rather than failing the call.
namespace gpt_adapter::api::memory {

inline constexpr std::size_t max_answer_chars = 100000;
// Room kept for everything in an answer besides the results (status, ids, counts).
inline constexpr std::size_t answer_envelope_chars = 2000;
// A memory's content is shortened beyond this many characters in answers.
inline constexpr std::size_t max_answer_content_chars = 10000;

struct fitted_results {
  boost::json::array results;
  bool truncated = false;  // a content was shortened or results were left out
};

// Keeps results in order while their JSON fits in `budget_bytes` (bytes bound characters from
// above), shortening over-long `content` strings first (on a UTF-8 boundary, with "…").
fitted_results fit_results(const boost::json::array& results,
                           std::size_t budget_bytes = max_answer_chars - answer_envelope_chars);

// `text` cut to at most `max_chars` code points, ending in "…" when cut.
std::string shorten(std::string_view text, std::size_t max_chars);

}  // namespace gpt_adapter::api::memory
