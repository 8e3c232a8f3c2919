#include "common/memory_bank/mem0_oss_api.hpp"

#include <algorithm>

#include "common/memory_bank/mem0_json.hpp"
#include "common/memory_bank/memory_tags.hpp"

// The mem0 open-source REST server (mem0ai/mem0 server/main.py): routes without a version
// prefix, entity ids inside `filters` for search, `top_k` (default 20) rather than a limit, and
// the vector store's filter grammar (mem0/memory/main.py, mem0/vector_stores/pgvector.py):
// equality, numeric comparisons on numbers only, and OR lists.
namespace gpt_adapter::memory_bank {
namespace {

using boost::beast::http::verb;
namespace json = boost::json;
using namespace mem0_json;

// GET /memories answers at most this many (Query(le=1000)) and has no offset.
constexpr int list_ceiling = 1000;
// A create's memories are few (one per extracted fact); this bounds the lookup.
constexpr int find_created_limit = 100;

std::int64_t epoch_seconds(time_point when) {
  return std::chrono::duration_cast<std::chrono::seconds>(when.time_since_epoch()).count();
}

// The top_k a list of `input`'s page asks for: everything up to the page and one more, to
// learn whether a next page exists.
int list_top_k(const list_input& input) {
  const auto wanted = static_cast<long long>(input.page) * input.page_size + 1;
  return static_cast<int>(std::min<long long>(wanted, list_ceiling));
}

class oss_api final : public mem0_api {
 public:
  dialect shape() const override { return dialect::mem0_oss; }

  http_request search(const owner& who, const search_input& input) const override {
    json::object filters{{"user_id", who.user_id}};
    const auto& filter = input.filter;
    if (filter.categories.size() == 1) {
      filters[category_tag(filter.categories.front())] = true;
    } else if (filter.categories.size() > 1) {
      json::array any;
      for (const auto& category : filter.categories) {
        any.push_back(json::object{{category_tag(category), true}});
      }
      filters["OR"] = std::move(any);
    }
    // The server's created_at is ISO text, which its numeric comparisons cannot read: the
    // adapter's creation tag holds seconds.
    if (filter.created_after || filter.created_before) {
      json::object range;
      if (filter.created_after) {
        range["gte"] = epoch_seconds(*filter.created_after);
      }
      if (filter.created_before) {
        range["lte"] = epoch_seconds(*filter.created_before);
      }
      filters[created_at_tag] = std::move(range);
    }
    return {verb::post, "/search",
            json::object{
                {"query", input.query}, {"filters", std::move(filters)}, {"top_k", input.limit}}};
  }

  http_request add(const owner& who, const create_input& input,
                   const json::object& metadata) const override {
    return {verb::post, "/memories",
            json::object{{"messages", user_message(input.content)},
                         {"user_id", who.user_id},
                         {"metadata", metadata},
                         {"infer", input.infer}}};
  }

  http_request find_created(const owner& who, std::string_view request_id,
                            std::string_view content) const override {
    // threshold 0 keeps every memory the filter lets through, however far from the query.
    return {
        verb::post, "/search",
        json::object{{"query", content},
                     {"filters", json::object{{"user_id", who.user_id}, {request_tag, request_id}}},
                     {"top_k", find_created_limit},
                     {"threshold", 0}}};
  }

  std::optional<http_request> event(std::string_view) const override { return std::nullopt; }

  http_request get(std::string_view memory_id) const override {
    return {verb::get, "/memories/" + encoded(memory_id), std::nullopt};
  }

  http_request list(const owner& who, const list_input& input) const override {
    return {verb::get,
            "/memories" + query_string({{"user_id", who.user_id},
                                        {"top_k", std::to_string(list_top_k(input))}}),
            std::nullopt};
  }

  http_request update(std::string_view memory_id, std::string_view content,
                      const json::object& metadata) const override {
    return {verb::put, "/memories/" + encoded(memory_id),
            json::object{{"text", content}, {"metadata", metadata}}};
  }

  http_request remove(std::string_view memory_id) const override {
    return {verb::delete_, "/memories/" + encoded(memory_id), std::nullopt};
  }

  http_request history(std::string_view memory_id) const override {
    return {verb::get, "/memories/" + encoded(memory_id) + "/history", std::nullopt};
  }

  http_request forget(const owner& who) const override {
    return {verb::delete_, "/memories" + query_string({{"user_id", who.user_id}}), std::nullopt};
  }

  result<std::vector<memory>> read_memories(const json::value& body) const override {
    return read_memory_list(body);
  }

  result<add_answer> read_add(const json::value& body) const override {
    const auto* results = body.is_object() ? body.as_object().if_contains("results") : nullptr;
    if (results == nullptr || !results->is_array()) {
      return malformed("an add answer has no results array");
    }
    auto changes = read_changes(results->as_array());
    if (!changes) {
      return changes.error();
    }
    return add_answer{.changes = std::move(changes).value()};
  }

  result<event_answer> read_event(const json::value&) const override {
    return malformed("the mem0 open-source server has no events");
  }

  result<std::optional<memory>> read_memory(const json::value& body) const override {
    // The server answers a memory it does not have with 200 and null.
    if (body.is_null()) {
      return std::optional<memory>{};
    }
    auto found = mem0_json::read_memory(body);
    if (!found) {
      return found.error();
    }
    return std::optional<memory>{std::move(found).value()};
  }

  result<page_answer> read_page(const json::value& body, const list_input& input) const override {
    auto all = read_memory_list(body);
    if (!all) {
      return all.error();
    }
    auto memories = std::move(all).value();
    const auto asked = list_top_k(input);
    const auto received = static_cast<long long>(memories.size());
    const auto page_end = static_cast<long long>(input.page) * input.page_size;
    page_answer page;
    page.has_more = received > page_end;
    // A full answer to the largest list the server allows: more may exist past it, unlistable.
    page.capped = asked == list_ceiling && received >= list_ceiling;
    const auto first = std::min(received, page_end - input.page_size);
    const auto last = std::min(received, page_end);
    page.memories.assign(std::make_move_iterator(memories.begin() + first),
                         std::make_move_iterator(memories.begin() + last));
    return page;
  }

  result<std::vector<history_entry>> read_history(const json::value& body) const override {
    return mem0_json::read_history(body);
  }

  result<forget_answer> read_forget(const json::value& body) const override {
    if (!body.is_object()) {
      return malformed("a delete-all answer is not a JSON object");
    }
    return forget_answer{};
  }

  // server/errors.py answers 502 with a code naming the provider failure; a refused key or a
  // request the provider calls malformed stays refused however often it is repeated.
  bool is_permanent_failure(int status, const json::value& body) const override {
    if (status != 502 || !body.is_object()) {
      return false;
    }
    const auto code = string_at(body.as_object(), "code");
    return code == "provider_auth_failed" || code == "provider_bad_request";
  }

  // DELETE /memories needs the admin role; a per-user API key gets 403.
  bool refuses_bulk_delete(int status) const override { return status == 403; }
};

}  // namespace

std::unique_ptr<mem0_api> make_mem0_oss_api() {
  return std::make_unique<oss_api>();
}

}  // namespace gpt_adapter::memory_bank
