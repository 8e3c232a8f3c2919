#include "common/memory_bank/mem0_platform_api.hpp"

#include "common/memory_bank/mem0_json.hpp"
#include "common/memory_bank/memory_tags.hpp"
#include "common/text/rfc3339.hpp"

// The hosted mem0 Platform (mem0ai/mem0 docs/openapi.json and mem0/client/main.py): add, search
// and list on v3, with entity ids inside `filters` for search and list (top-level ids are a 400
// there) and the filter grammar of docs/platform/features/v2-memory-filters.mdx; get, update,
// delete and history on v1. Add runs in the background: its answer is an event to poll at
// GET /v1/event/{id}/, unless infer is false, which stores at once.
namespace gpt_adapter::memory_bank {
namespace {

using boost::beast::http::verb;
namespace json = boost::json;
using namespace mem0_json;

constexpr int find_created_limit = 100;

std::string iso(time_point when) {
  return text::format_rfc3339(when);
}

// Platform metadata conditions take bare values (eq), ne and contains only; several values are
// ORed equalities.
json::object metadata_equals(std::string_view key, json::value value) {
  return json::object{{"metadata", json::object{{key, std::move(value)}}}};
}

json::object search_filters(const owner& who, const search_filter& filter) {
  if (filter.empty()) {
    return json::object{{"user_id", who.user_id}};
  }
  json::array all{json::object{{"user_id", who.user_id}}};
  if (filter.categories.size() == 1) {
    all.push_back(metadata_equals(category_tag(filter.categories.front()), true));
  } else if (filter.categories.size() > 1) {
    json::array any;
    for (const auto& category : filter.categories) {
      any.push_back(metadata_equals(category_tag(category), true));
    }
    all.push_back(json::object{{"OR", std::move(any)}});
  }
  if (filter.created_after) {
    all.push_back(json::object{{"created_at", json::object{{"gte", iso(*filter.created_after)}}}});
  }
  if (filter.created_before) {
    all.push_back(json::object{{"created_at", json::object{{"lte", iso(*filter.created_before)}}}});
  }
  return json::object{{"AND", std::move(all)}};
}

std::string memory_path(std::string_view memory_id) {
  return "/v1/memories/" + encoded(memory_id) + "/";
}

bool is_processing(std::string_view status) {
  // The API documents PENDING and RUNNING; mem0's CLI also knows PROCESSING.
  return status == "PENDING" || status == "RUNNING" || status == "PROCESSING";
}

class platform_api final : public mem0_api {
 public:
  dialect shape() const override { return dialect::mem0_platform; }

  http_request search(const owner& who, const search_input& input) const override {
    return {verb::post, "/v3/memories/search/",
            json::object{{"query", input.query},
                         {"filters", search_filters(who, input.filter)},
                         {"top_k", input.limit}}};
  }

  http_request add(const owner& who, const create_input& input,
                   const json::object& metadata) const override {
    return {verb::post, "/v3/memories/add/",
            json::object{{"messages", user_message(input.content)},
                         {"user_id", who.user_id},
                         {"metadata", metadata},
                         {"infer", input.infer}}};
  }

  http_request find_created(const owner& who, std::string_view request_id,
                            std::string_view) const override {
    json::array all{json::object{{"user_id", who.user_id}},
                    metadata_equals(request_tag, json::value(request_id))};
    return {verb::post,
            "/v3/memories/" +
                query_string({{"page", "1"}, {"page_size", std::to_string(find_created_limit)}}),
            json::object{{"filters", json::object{{"AND", std::move(all)}}}}};
  }

  std::optional<http_request> event(std::string_view event_id) const override {
    return http_request{verb::get, "/v1/event/" + encoded(event_id) + "/", std::nullopt};
  }

  http_request get(std::string_view memory_id) const override {
    return {verb::get, memory_path(memory_id), std::nullopt};
  }

  http_request list(const owner& who, const list_input& input) const override {
    return {verb::post,
            "/v3/memories/" + query_string({{"page", std::to_string(input.page)},
                                            {"page_size", std::to_string(input.page_size)}}),
            json::object{{"filters", json::object{{"user_id", who.user_id}}}}};
  }

  http_request update(std::string_view memory_id, std::string_view content,
                      const json::object& metadata) const override {
    return {verb::put, memory_path(memory_id),
            json::object{{"text", content}, {"metadata", metadata}}};
  }

  http_request remove(std::string_view memory_id) const override {
    return {verb::delete_, memory_path(memory_id), std::nullopt};
  }

  http_request history(std::string_view memory_id) const override {
    return {verb::get, memory_path(memory_id) + "history/", std::nullopt};
  }

  http_request forget(const owner& who) const override {
    return {verb::delete_, "/v1/memories/" + query_string({{"user_id", who.user_id}}),
            std::nullopt};
  }

  result<std::vector<memory>> read_memories(const json::value& body) const override {
    return read_memory_list(body);
  }

  result<add_answer> read_add(const json::value& body) const override {
    if (!body.is_object()) {
      return malformed("an add answer is not a JSON object");
    }
    const auto& object = body.as_object();
    const auto status = string_at(object, "status").value_or("");
    if (status == "SUCCEEDED") {
      const auto* results = object.if_contains("results");
      if (results == nullptr || !results->is_array()) {
        return add_answer{};
      }
      auto changes = read_changes(results->as_array());
      if (!changes) {
        return changes.error();
      }
      return add_answer{.changes = std::move(changes).value()};
    }
    const auto event_id = string_at(object, "event_id");
    if (is_processing(status) && event_id && !event_id->empty()) {
      return add_answer{.event_id = *event_id};
    }
    return malformed("an add answer has neither SUCCEEDED results nor a pending event (status \"" +
                     status + "\")");
  }

  result<event_answer> read_event(const json::value& body) const override {
    if (!body.is_object()) {
      return malformed("an event is not a JSON object");
    }
    const auto& object = body.as_object();
    const auto status = string_at(object, "status").value_or("");
    if (is_processing(status)) {
      return event_answer{};
    }
    if (status == "FAILED") {
      return event_answer{.status = event_answer::state::failed,
                          .error = string_at(object, "error").value_or("the event failed")};
    }
    if (status != "SUCCEEDED") {
      return malformed("an event has the unknown status \"" + status + "\"");
    }
    event_answer done{.status = event_answer::state::succeeded};
    if (const auto* results = object.if_contains("results");
        results != nullptr && results->is_array()) {
      auto changes = read_changes(results->as_array());
      if (!changes) {
        return changes.error();
      }
      done.changes = std::move(changes).value();
    }
    return done;
  }

  result<std::optional<memory>> read_memory(const json::value& body) const override {
    auto found = mem0_json::read_memory(body);
    if (!found) {
      return found.error();
    }
    return std::optional<memory>{std::move(found).value()};
  }

  result<page_answer> read_page(const json::value& body, const list_input&) const override {
    auto memories = read_memory_list(body);
    if (!memories) {
      return memories.error();
    }
    const auto next = string_at(body.as_object(), "next");
    return page_answer{.memories = std::move(memories).value(),
                       .has_more = next.has_value() && !next->empty()};
  }

  result<std::vector<history_entry>> read_history(const json::value& body) const override {
    return mem0_json::read_history(body);
  }

  result<forget_answer> read_forget(const json::value& body) const override {
    if (!body.is_object()) {
      return malformed("a delete-all answer is not a JSON object");
    }
    forget_answer answer;
    if (auto event_id = string_at(body.as_object(), "event_id"); event_id && !event_id->empty()) {
      answer.event_id = std::move(*event_id);
    }
    return answer;
  }

  bool is_permanent_failure(int, const json::value&) const override { return false; }
  bool refuses_bulk_delete(int) const override { return false; }
};

}  // namespace

std::unique_ptr<mem0_api> make_mem0_platform_api() {
  return std::make_unique<platform_api>();
}

}  // namespace gpt_adapter::memory_bank
