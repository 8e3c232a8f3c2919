#include "tools/admin/queue_commands.hpp"

#include <charconv>
#include <ostream>

#include <boost/asio/this_coro.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "common/queue/keys.hpp"
#include "common/redis/client.hpp"
#include "tools/admin/application_input.hpp"
#include "tools/admin/json_output.hpp"
#include "tools/admin/queue_store.hpp"
#include "tools/admin/text_table.hpp"

namespace gpt_adapter::admin {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;

constexpr std::size_t default_list_limit = 100;
constexpr std::size_t max_list_limit = 10000;
constexpr std::size_t replay_page = 100;
constexpr std::size_t shown_error_length = 60;

// A Redis client for one command, stopped when the command ends however it ends.
class redis_connection {
 public:
  redis_connection(const admin_session& session, asio::any_io_executor executor) {
    if (!session.redis.options) {
      throw command_failure(session.redis.unusable +
                            ": the queue commands read the queue in Redis");
    }
    client_ = redis::client::create(std::move(executor), *session.redis.options);
    client_->start();
  }
  ~redis_connection() { client_->stop(); }
  redis_connection(const redis_connection&) = delete;
  redis_connection& operator=(const redis_connection&) = delete;

  redis::client& operator*() const { return *client_; }

 private:
  std::shared_ptr<redis::client> client_;
};

json::object to_json(const dead_letter& letter) {
  json::object fields;
  for (const auto& [name, value] : letter.fields) {
    fields[name] = value;
  }
  return {{"id", letter.id}, {"fields", std::move(fields)}};
}

std::string shortened(std::string text, std::size_t length) {
  if (text.size() > length) {
    text.resize(length - 3);
    text += "...";
  }
  for (auto& character : text) {
    if (character == '\n' || character == '\r' || character == '\t') {
      character = ' ';
    }
  }
  return text;
}

std::string idle_text(long long idle_ms) {
  if (idle_ms < 1000) {
    return std::to_string(idle_ms) + "ms";
  }
  if (idle_ms < 120000) {
    return std::to_string(idle_ms / 1000) + "s";
  }
  return std::to_string(idle_ms / 60000) + "m";
}

queue::time_point now_ms() {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

const option_spec json_option{.name = "json", .description = "Print JSON instead of text."};

// --- queue stats -----------------------------------------------------------------------------

asio::awaitable<void> stats(admin_session& session, bool as_json) {
  const redis_connection redis(session, co_await asio::this_coro::executor);
  const auto stats = co_await read_queue_stats(*redis);
  if (as_json) {
    json::array streams;
    for (const auto& stream : stats.streams) {
      json::array consumers;
      for (const auto& consumer : stream.consumers) {
        consumers.push_back(json::object{
            {"name", consumer.name}, {"pending", consumer.pending}, {"idle_ms", consumer.idle_ms}});
      }
      json::object object{{"name", stream.name},
                          {"key", stream.key},
                          {"group", stream.group},
                          {"group_exists", stream.group_exists},
                          {"length", stream.length},
                          {"lag", nullptr},
                          {"pending", stream.pending},
                          {"last_delivered_id", stream.last_delivered_id},
                          {"consumers", std::move(consumers)},
                          {"dead_key", stream.dead_key},
                          {"dead", stream.dead}};
      if (stream.lag) {
        object["lag"] = *stream.lag;
      }
      streams.push_back(std::move(object));
    }
    print_json(session.out, json::object{{"streams", std::move(streams)},
                                         {"delayed", stats.delayed},
                                         {"dead", stats.streams.front().dead}});
    co_return;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& stream : stats.streams) {
    rows.push_back({stream.name, stream.key, std::to_string(stream.length),
                    stream.group_exists ? stream.group : stream.group + " (missing)",
                    stream.lag ? std::to_string(*stream.lag) : "?", std::to_string(stream.pending),
                    std::to_string(stream.consumers.size()), std::to_string(stream.dead)});
  }
  session.out << render_table(
                     {"STREAM", "KEY", "LENGTH", "GROUP", "LAG", "PENDING", "CONSUMERS", "DEAD"},
                     rows)
              << "\ndelayed jobs: " << stats.delayed
              << "\ndead letters: " << stats.streams.front().dead << '\n';
  std::vector<std::vector<std::string>> consumer_rows;
  for (const auto& stream : stats.streams) {
    for (const auto& consumer : stream.consumers) {
      consumer_rows.push_back({stream.name, consumer.name, std::to_string(consumer.pending),
                               idle_text(consumer.idle_ms)});
    }
  }
  if (!consumer_rows.empty()) {
    session.out << '\n' << render_table({"STREAM", "CONSUMER", "PENDING", "IDLE"}, consumer_rows);
  }
}

// --- dlq list and show -----------------------------------------------------------------------

bool is_jobs(watched_stream stream) {
  return stream.key == jobs_stream.key;
}

std::vector<std::string> list_row(watched_stream stream, const dead_letter& letter) {
  if (is_jobs(stream)) {
    return {letter.id,
            letter.field("request_id").value_or("?"),
            letter.field("op").value_or("?"),
            letter.field("app").value_or("?"),
            letter.field("dead_reason").value_or("?"),
            letter.field("attempts").value_or("?"),
            letter.field("failed_at").value_or("?"),
            shortened(letter.field("last_error").value_or(""), shown_error_length)};
  }
  return {letter.id, letter.field("request_id").value_or("?"),
          letter.field("application_id").value_or("?"), letter.field("failed_at").value_or("?"),
          shortened(letter.field("dead_reason").value_or(""), shown_error_length)};
}

std::vector<std::string> list_header(watched_stream stream) {
  if (is_jobs(stream)) {
    return {"ID",     "REQUEST_ID", "OPERATION", "APPLICATION",
            "REASON", "ATTEMPTS",   "FAILED_AT", "LAST_ERROR"};
  }
  return {"ID", "REQUEST_ID", "APPLICATION", "FAILED_AT", "REASON"};
}

asio::awaitable<void> list(admin_session& session, watched_stream stream, std::size_t limit,
                           bool as_json) {
  const redis_connection redis(session, co_await asio::this_coro::executor);
  const auto letters = co_await list_dead_letters(*redis, stream, limit);
  if (as_json) {
    json::array array;
    for (const auto& letter : letters) {
      array.push_back(to_json(letter));
    }
    print_json(session.out, array);
    co_return;
  }
  if (letters.empty()) {
    session.out << "No dead letters.\n";
    co_return;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& letter : letters) {
    rows.push_back(list_row(stream, letter));
  }
  session.out << render_table(list_header(stream), rows);
}

command_failure no_dead_letter(watched_stream stream, const std::string& id) {
  return command_failure("no dead letter has the id '" + id + "' in " +
                         std::string(stream.dead_key));
}

asio::awaitable<void> show(admin_session& session, watched_stream stream, std::string id,
                           bool as_json) {
  const redis_connection redis(session, co_await asio::this_coro::executor);
  const auto letter = co_await find_dead_letter(*redis, stream, id);
  if (!letter) {
    throw no_dead_letter(stream, id);
  }
  if (as_json) {
    print_json(session.out, to_json(*letter));
    co_return;
  }
  std::size_t width = 2;
  for (const auto& [name, value] : letter->fields) {
    width = std::max(width, name.size());
  }
  session.out << "id:" << std::string(width - 1, ' ') << letter->id << '\n';
  for (const auto& [name, value] : letter->fields) {
    session.out << name << ':' << std::string(width - name.size() + 1, ' ') << value << '\n';
  }
}

// --- dlq replay ------------------------------------------------------------------------------

struct replay_report {
  json::array replayed;
  json::array failed;
};

constexpr std::string_view gone_meanwhile = "replayed or purged by someone else meanwhile";

asio::awaitable<void> replay_job(redis::client& redis, const dead_letter& letter,
                                 std::chrono::seconds record_ttl, replay_report& report) {
  auto job = replayed_job(letter, now_ms());
  if (!job) {
    report.failed.push_back(json::object{{"id", letter.id}, {"error", job.error()}});
    co_return;
  }
  const auto stream_id = co_await replay_dead_letter(redis, letter, *job, record_ttl);
  if (!stream_id) {
    report.failed.push_back(json::object{{"id", letter.id}, {"error", gone_meanwhile}});
    co_return;
  }
  report.replayed.push_back(
      json::object{{"id", letter.id}, {"request_id", job->request_id}, {"stream_id", *stream_id}});
}

// Back into the stream its sink reads, which writes it to PostgreSQL again.
asio::awaitable<void> replay_sink_entry(redis::client& redis, watched_stream stream,
                                        const dead_letter& letter, replay_report& report) {
  auto fields = replayed_sink_entry(stream, letter);
  if (!fields) {
    report.failed.push_back(json::object{{"id", letter.id}, {"error", fields.error()}});
    co_return;
  }
  const auto stream_id =
      co_await replay_sink_entry(redis, stream, letter.id, std::move(fields).value());
  if (!stream_id) {
    report.failed.push_back(json::object{{"id", letter.id}, {"error", gone_meanwhile}});
    co_return;
  }
  report.replayed.push_back(json::object{{"id", letter.id},
                                         {"request_id", text_or_null(letter.field("request_id"))},
                                         {"stream_id", *stream_id}});
}

asio::awaitable<void> replay_one(redis::client& redis, watched_stream stream,
                                 const dead_letter& letter, std::chrono::seconds record_ttl,
                                 replay_report& report) {
  if (is_jobs(stream)) {
    co_await replay_job(redis, letter, record_ttl, report);
  } else {
    co_await replay_sink_entry(redis, stream, letter, report);
  }
}

void print_replayed(std::ostream& out, watched_stream stream, const json::object& done) {
  out << "Replayed dead letter " << done.at("id").as_string().c_str();
  if (is_jobs(stream)) {
    out << " as job " << done.at("request_id").as_string().c_str();
  } else {
    out << " to " << stream.key;
  }
  out << " (stream id " << done.at("stream_id").as_string().c_str() << ").\n";
}

asio::awaitable<void> replay(admin_session& session, watched_stream stream,
                             std::optional<std::string> id, bool as_json) {
  const redis_connection redis(session, co_await asio::this_coro::executor);
  replay_report report;
  if (id) {
    const auto letter = co_await find_dead_letter(*redis, stream, *id);
    if (!letter) {
      throw no_dead_letter(stream, *id);
    }
    co_await replay_one(*redis, stream, *letter, session.job_record_ttl, report);
  } else {
    // Replayed letters leave the stream; those that cannot be replayed stay, so the scan goes
    // on after the last one seen rather than from the start.
    std::optional<std::string> after;
    for (;;) {
      const auto page = co_await list_dead_letters(*redis, stream, replay_page, after);
      for (const auto& letter : page) {
        co_await replay_one(*redis, stream, letter, session.job_record_ttl, report);
      }
      if (page.size() < replay_page) {
        break;
      }
      after = page.back().id;
    }
  }
  const auto failures = report.failed.size();
  if (as_json) {
    print_json(session.out, json::object{{"replayed", report.replayed}, {"failed", report.failed}});
  } else {
    for (const auto& done : report.replayed) {
      print_replayed(session.out, stream, done.as_object());
    }
    if (report.replayed.empty() && failures == 0) {
      session.out << "No dead letters.\n";
    }
  }
  for (const auto& failed : report.failed) {
    const auto& object = failed.as_object();
    session.err << "error: dead letter " << object.at("id").as_string().c_str()
                << " not replayed: " << object.at("error").as_string().c_str() << '\n';
  }
  if (failures > 0) {
    throw command_failure(std::to_string(failures) + " dead letter(s) could not be replayed");
  }
}

// --- dlq purge -------------------------------------------------------------------------------

asio::awaitable<void> purge(admin_session& session, watched_stream stream,
                            std::optional<std::string> id, bool as_json) {
  const redis_connection redis(session, co_await asio::this_coro::executor);
  long long purged = 0;
  if (id) {
    if (!co_await purge_dead_letter(*redis, stream, *id)) {
      throw no_dead_letter(stream, *id);
    }
    purged = 1;
  } else {
    purged = co_await purge_all_dead_letters(*redis, stream);
  }
  if (as_json) {
    print_json(session.out, json::object{{"purged", purged}});
  } else if (id) {
    session.out << "Purged dead letter " << *id << ".\n";
  } else {
    session.out << "Purged " << purged << " dead letter(s).\n";
  }
}

// ID or --all, exactly one of them.
std::optional<std::string> target_of(const parsed_arguments& arguments) {
  const auto id = arguments.positional(0);
  if (id.has_value() == arguments.has("all")) {
    throw invalid_input("name one dead letter by its ID, or pass --all (not both)");
  }
  return id;
}

std::size_t parse_limit(std::string_view text) {
  std::size_t limit = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), limit);
  if (text.empty() || error != std::errc{} || end != text.data() + text.size() || limit == 0 ||
      limit > max_list_limit) {
    throw invalid_input("--limit must be a whole number from 1 to " +
                        std::to_string(max_list_limit));
  }
  return limit;
}

// --stream, jobs when absent.
watched_stream stream_of(const parsed_arguments& arguments) {
  const auto name = arguments.value("stream");
  if (!name) {
    return jobs_stream;
  }
  const auto stream = watched_stream_named(*name);
  if (!stream) {
    std::vector<std::string> names;
    for (const auto& known : watched_streams) {
      names.emplace_back(known.name);
    }
    throw invalid_input("--stream must be one of: " + joined(names, ", "));
  }
  return *stream;
}

option_spec stream_option() {
  std::vector<std::string> choices;
  for (const auto& stream : watched_streams) {
    choices.push_back(std::string(stream.name) + " (" + std::string(stream.dead_key) +
                      (is_jobs(stream) ? ", the default)" : ")"));
  }
  return {.name = "stream",
          .value_name = "NAME",
          .description = "Which dead stream: " + joined(choices, ", ") +
                         ". The job_history and audit ones hold what the worker's sinks could "
                         "not write to PostgreSQL, with the reason."};
}

const positional_spec optional_id{.name = "ID",
                                  .description = "The dead letter's stream id (see 'dlq list').",
                                  .required = false};
const option_spec all_option{.name = "all", .description = "Every dead letter."};

}  // namespace

admin_command_group queue_commands() {
  return {.name = "queue",
          .summary = "Inspect the job queue in Redis.",
          .commands = {
              {.spec = {.name = "stats",
                        .summary = "Length, consumer-group lag, pending and dead entries of the "
                                   "jobs, job history and audit streams, delayed jobs, and each "
                                   "consumer's idle time.",
                        .options = {json_option}},
               .prepare = [](const parsed_arguments& arguments) -> command_action {
                 return [as_json = arguments.has("json")](admin_session& session) {
                   return stats(session, as_json);
                 };
               }}}};
}

admin_command_group dead_letter_commands() {
  const auto stream = stream_option();
  return {
      .name = "dlq",
      .summary = "Inspect, replay or purge dead-lettered jobs (" +
                 std::string(queue::keys::dead_letter_stream) +
                 ") and, with --stream, what the job-history and audit sinks set aside.",
      .commands = {
          {.spec = {.name = "list",
                    .summary = "List dead letters, oldest first.",
                    .options = {stream,
                                {.name = "limit",
                                 .value_name = "N",
                                 .description = "At most N, 1 to 10000. Default: 100."},
                                json_option}},
           .prepare = [](const parsed_arguments& arguments) -> command_action {
             std::size_t limit = default_list_limit;
             if (const auto text = arguments.value("limit")) {
               limit = parse_limit(*text);
             }
             return [stream = stream_of(arguments), limit, as_json = arguments.has("json")](
                        admin_session& session) { return list(session, stream, limit, as_json); };
           }},
          {.spec = {.name = "show",
                    .summary = "Show every field of one dead letter.",
                    .positionals = {{.name = "ID",
                                     .description =
                                         "The dead letter's stream id (see 'dlq list')."}},
                    .options = {stream, json_option}},
           .prepare = [](const parsed_arguments& arguments) -> command_action {
             return [stream = stream_of(arguments), id = *arguments.positional(0),
                     as_json = arguments.has("json")](admin_session& session) {
               return show(session, stream, id, as_json);
             };
           }},
          {.spec = {.name = "replay",
                    .summary = "Queue dead jobs again with attempt 1 and a fresh deadline, their "
                               "records saying queued; with --stream job_history or audit, add "
                               "the entries as they were back to the stream the sink reads, so "
                               "it writes them to PostgreSQL again (fix what refused them "
                               "first). Each one leaves its dead stream atomically.",
                    .positionals = {optional_id},
                    .options = {stream, all_option, json_option}},
           .prepare = [](const parsed_arguments& arguments) -> command_action {
             return [stream = stream_of(arguments), id = target_of(arguments),
                     as_json = arguments.has("json")](admin_session& session) {
               return replay(session, stream, id, as_json);
             };
           }},
          {.spec = {.name = "purge",
                    .summary = "Delete dead letters for good.",
                    .positionals = {optional_id},
                    .options = {stream,
                                all_option,
                                {.name = "yes", .description = "Confirm --all."},
                                json_option}},
           .prepare = [](const parsed_arguments& arguments) -> command_action {
             const auto stream = stream_of(arguments);
             auto id = target_of(arguments);
             if (!id && !arguments.has("yes")) {
               throw invalid_input(
                   "refusing to purge every dead letter without --yes: they are lost for good "
                   "(replay them with 'dlq replay" +
                   (is_jobs(stream) ? std::string() : " --stream " + std::string(stream.name)) +
                   " --all' instead)");
             }
             return [stream, id = std::move(id), as_json = arguments.has("json")](
                        admin_session& session) { return purge(session, stream, id, as_json); };
           }}}};
}

}  // namespace gpt_adapter::admin
