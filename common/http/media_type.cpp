#include "common/http/media_type.hpp"

namespace gpt_adapter::http {

bool is_json_media_type(std::string_view content_type) {
  const auto end = content_type.find(';');
  auto media = content_type.substr(0, end);
  while (!media.empty() && (media.back() == ' ' || media.back() == '\t')) {
    media.remove_suffix(1);
  }
  constexpr std::string_view expected = "application/json";
  if (media.size() != expected.size()) {
    return false;
  }
  for (std::size_t i = 0; i < media.size(); ++i) {
    const auto lower =
        static_cast<char>(media[i] >= 'A' && media[i] <= 'Z' ? media[i] + 32 : media[i]);
    if (lower != expected[i]) {
      return false;
    }
  }
  return true;
}

}  // namespace gpt_adapter::http
