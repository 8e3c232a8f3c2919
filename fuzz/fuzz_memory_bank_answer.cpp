// A Memory Bank's answer body, as each mem0 dialect's reader takes it (mem0 Platform and the
// open-source server): every read_* of the dialect, and its failure classifiers.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include <boost/json/parse.hpp>

#include "common/memory_bank/mem0_api.hpp"

namespace memory_bank = gpt_adapter::memory_bank;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto platform = memory_bank::make_mem0_api(memory_bank::dialect::mem0_platform);
  static const auto oss = memory_bank::make_mem0_api(memory_bank::dialect::mem0_oss);
  if (size == 0) {
    return 0;
  }
  const auto& api = data[0] % 2 == 0 ? *platform : *oss;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  boost::system::error_code error;
  const auto body = boost::json::parse(text, error);
  if (error) {
    return 0;
  }
  (void)api.read_memories(body);
  (void)api.read_add(body);
  (void)api.read_event(body);
  (void)api.read_memory(body);
  (void)api.read_page(body, memory_bank::list_input{.page = 2, .page_size = 50});
  (void)api.read_page(body, memory_bank::list_input{});
  (void)api.read_history(body);
  (void)api.read_forget(body);
  for (const int status : {400, 401, 404, 422, 500, 502}) {
    (void)api.is_permanent_failure(status, body);
    (void)api.refuses_bulk_delete(status);
  }
  return 0;
}
