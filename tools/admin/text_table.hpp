#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace gpt_adapter::admin {

// Renders rows under a header with each column padded to its widest cell (width counted in
// UTF-8 code points), two spaces between columns and no trailing spaces. Rows shorter than the
// header are padded with empty cells.
std::string render_table(const std::vector<std::string>& header,
                         const std::vector<std::vector<std::string>>& rows);

// The values with the separator between them, for a list in one cell or line.
std::string joined(const std::vector<std::string>& values, std::string_view separator);

}  // namespace gpt_adapter::admin
