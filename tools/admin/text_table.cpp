#include "tools/admin/text_table.hpp"

#include <algorithm>

namespace gpt_adapter::admin {
namespace {

std::size_t display_width(const std::string& text) {
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xc0) != 0x80;
  }));
}

}  // namespace

std::string render_table(const std::vector<std::string>& header,
                         const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> widths;
  for (const auto& cell : header) {
    widths.push_back(display_width(cell));
  }
  for (const auto& row : rows) {
    for (std::size_t column = 0; column < row.size() && column < widths.size(); ++column) {
      widths[column] = std::max(widths[column], display_width(row[column]));
    }
  }

  std::string text;
  const auto append_row = [&](const std::vector<std::string>& row) {
    std::string line;
    for (std::size_t column = 0; column < widths.size(); ++column) {
      const auto& cell = column < row.size() ? row[column] : std::string();
      line += cell;
      if (column + 1 < widths.size()) {
        line += std::string(widths[column] - display_width(cell) + 2, ' ');
      }
    }
    line.erase(line.find_last_not_of(' ') + 1);
    text += line + '\n';
  };
  append_row(header);
  for (const auto& row : rows) {
    append_row(row);
  }
  return text;
}

std::string joined(const std::vector<std::string>& values, std::string_view separator) {
  std::string text;
  for (const auto& value : values) {
    if (!text.empty()) {
      text += separator;
    }
    text += value;
  }
  return text;
}

}  // namespace gpt_adapter::admin
