#include <chrono>
#include <fstream>
#include <stdlib.h>
#include <string>

#include <catch2/catch.hpp>

#include "common/config/env_reader.hpp"
#include "common/config/settings.hpp"
#include "tests/support/process.hpp"

using Catch::Matchers::Contains;
using gpt_adapter::config::config_error;
using gpt_adapter::config::env_reader;
using gpt_adapter::config::env_source;
using gpt_adapter::config::parse_dotenv;

namespace {

env_reader reader_of(std::map<std::string, std::string> values) {
  return env_reader(env_source::from_map(std::move(values)));
}

// Sets a process environment variable for the lifetime of the object.
class scoped_env {
 public:
  scoped_env(const char* name, const char* value) : name_(name) { setenv(name, value, 1); }
  ~scoped_env() { unsetenv(name_); }
  scoped_env(const scoped_env&) = delete;
  scoped_env& operator=(const scoped_env&) = delete;

 private:
  const char* name_;
};

}  // namespace

TEST_CASE("parse_dotenv reads assignments, export, quotes and comments", "[config]") {
  const auto values = parse_dotenv(
      "# a comment line\n"
      "\n"
      "PLAIN=value\n"
      "export EXPORTED=yes\n"
      "  SPACED  =  padded  \n"
      "DOUBLE=\"with # hash and spaces \"\n"
      "SINGLE='single quoted'\n"
      "TRAILING=kept # dropped comment\n"
      "URL=postgres://user@host/db?sslmode=require\n"
      "EMPTY=\n"
      "WINDOWS=crlf\r\n"
      "PLAIN=overridden\n");

  CHECK(values.at("PLAIN") == "overridden");
  CHECK(values.at("EXPORTED") == "yes");
  CHECK(values.at("SPACED") == "padded");
  CHECK(values.at("DOUBLE") == "with # hash and spaces ");
  CHECK(values.at("SINGLE") == "single quoted");
  CHECK(values.at("TRAILING") == "kept");
  CHECK(values.at("URL") == "postgres://user@host/db?sslmode=require");
  CHECK(values.at("EMPTY").empty());
  CHECK(values.at("WINDOWS") == "crlf");
  CHECK(values.size() == 9);
}

TEST_CASE("parse_dotenv names the line it cannot parse", "[config]") {
  CHECK_THROWS_WITH(parse_dotenv("GOOD=1\n# comment\nno equals sign here\n"),
                    Contains(".env line 3"));
  CHECK_THROWS_WITH(parse_dotenv("1STARTS_WITH_DIGIT=x"), Contains(".env line 1"));
  CHECK_THROWS_WITH(parse_dotenv("A=1\nBAD-NAME=x\n"), Contains(".env line 2"));
  CHECK_THROWS_WITH(parse_dotenv("A=1\n=no name\n"), Contains(".env line 2"));
  CHECK_THROWS_AS(parse_dotenv("BAD NAME=x"), config_error);
}

TEST_CASE("a missing required variable names the variable", "[config]") {
  const auto reader = reader_of({{"PRESENT", "here"}, {"BLANK", "   "}});
  CHECK(reader.required_string("PRESENT") == "here");
  CHECK_THROWS_AS(reader.required_string("DATABASE_URL"), config_error);
  CHECK_THROWS_WITH(reader.required_string("DATABASE_URL"), Contains("DATABASE_URL"));
  // Whitespace only counts as unset.
  CHECK_THROWS_WITH(reader.required_string("BLANK"), Contains("BLANK"));
  CHECK_FALSE(reader.optional_string("BLANK").has_value());
  CHECK(reader.string_or("ABSENT", "fallback") == "fallback");
  CHECK(reader.string_or("PRESENT", "fallback") == "here");
}

TEST_CASE("integers are parsed and range checked", "[config]") {
  const auto reader = reader_of({{"PORT", "8080"},
                                 {"NEGATIVE", "-5"},
                                 {"PADDED", " 42 "},
                                 {"TOO_BIG", "70000"},
                                 {"TOO_SMALL", "0"},
                                 {"WORDS", "eighty"},
                                 {"PARTLY", "12abc"},
                                 {"HUGE", "99999999999999999999"}});
  CHECK(reader.integer_or("PORT", 1, 1, 65535) == 8080);
  CHECK(reader.integer_or("NEGATIVE", 0, -10, 10) == -5);
  CHECK(reader.integer_or("PADDED", 0, 0, 100) == 42);
  CHECK(reader.integer_or("ABSENT", 7, 1, 10) == 7);
  for (const auto* name : {"TOO_BIG", "TOO_SMALL", "WORDS", "PARTLY", "HUGE"}) {
    INFO(name);
    CHECK_THROWS_AS(reader.integer_or(name, 1, 1, 65535), config_error);
    CHECK_THROWS_WITH(reader.integer_or(name, 1, 1, 65535), Contains(name));
    CHECK_THROWS_WITH(reader.integer_or(name, 1, 1, 65535), Contains("from 1 to 65535"));
  }
  CHECK(reader_of({{"TIMEOUT_MS", "250"}})
            .millis_or("TIMEOUT_MS", std::chrono::milliseconds(1), std::chrono::milliseconds(1),
                       std::chrono::milliseconds(1000)) == std::chrono::milliseconds(250));
  CHECK_THROWS_WITH(reader_of({{"TIMEOUT_MS", "5000"}})
                        .millis_or("TIMEOUT_MS", std::chrono::milliseconds(1),
                                   std::chrono::milliseconds(1), std::chrono::milliseconds(1000)),
                    Contains("TIMEOUT_MS") && Contains("from 1 to 1000"));
}

TEST_CASE("booleans accept the usual spellings in any case", "[config]") {
  for (const auto* yes : {"1", "true", "TRUE", "yes", "Yes", "on", "ON"}) {
    INFO(yes);
    CHECK(reader_of({{"FLAG", yes}}).boolean_or("FLAG", false));
  }
  for (const auto* no : {"0", "false", "False", "no", "NO", "off", "Off"}) {
    INFO(no);
    CHECK_FALSE(reader_of({{"FLAG", no}}).boolean_or("FLAG", true));
  }
  CHECK(reader_of({}).boolean_or("FLAG", true));
  CHECK_FALSE(reader_of({}).boolean_or("FLAG", false));
  CHECK_THROWS_AS(reader_of({{"FLAG", "maybe"}}).boolean_or("FLAG", false), config_error);
  CHECK_THROWS_WITH(reader_of({{"FLAG", "maybe"}}).boolean_or("FLAG", false),
                    Contains("FLAG") && Contains("maybe"));
}

TEST_CASE("one_of accepts only the listed values", "[config]") {
  const std::vector<std::string_view> formats = {"json", "text"};
  CHECK(reader_of({{"LOG_FORMAT", "text"}}).one_of_or("LOG_FORMAT", "json", formats) == "text");
  CHECK(reader_of({}).one_of_or("LOG_FORMAT", "json", formats) == "json");
  CHECK_THROWS_AS(reader_of({{"LOG_FORMAT", "xml"}}).one_of_or("LOG_FORMAT", "json", formats),
                  config_error);
  CHECK_THROWS_WITH(reader_of({{"LOG_FORMAT", "xml"}}).one_of_or("LOG_FORMAT", "json", formats),
                    Contains("LOG_FORMAT") && Contains("json, text"));
  // Matching is exact: a different case is a different value.
  CHECK_THROWS_AS(reader_of({{"LOG_FORMAT", "JSON"}}).one_of_or("LOG_FORMAT", "json", formats),
                  config_error);
}

TEST_CASE("the process environment wins over the .env file", "[config]") {
  gpt_adapter::testing::temp_dir dir("config-test");
  const auto path = (dir.path() / ".env").string();
  {
    std::ofstream file(path);
    file << "GPT_ADAPTER_CONFIG_TEST_OVERRIDDEN=from-file\n"
            "GPT_ADAPTER_CONFIG_TEST_FILE_ONLY=file-only\n";
  }
  const scoped_env overridden("GPT_ADAPTER_CONFIG_TEST_OVERRIDDEN", "from-process");
  const scoped_env process_only("GPT_ADAPTER_CONFIG_TEST_PROCESS_ONLY", "process-only");

  const env_reader reader(env_source::from_process_and_file(path));
  CHECK(reader.required_string("GPT_ADAPTER_CONFIG_TEST_OVERRIDDEN") == "from-process");
  CHECK(reader.required_string("GPT_ADAPTER_CONFIG_TEST_FILE_ONLY") == "file-only");
  CHECK(reader.required_string("GPT_ADAPTER_CONFIG_TEST_PROCESS_ONLY") == "process-only");

  // A missing file is not an error: the environment alone is used.
  const env_reader without_file(
      env_source::from_process_and_file((dir.path() / "absent.env").string()));
  CHECK(without_file.required_string("GPT_ADAPTER_CONFIG_TEST_OVERRIDDEN") == "from-process");
  CHECK_FALSE(without_file.optional_string("GPT_ADAPTER_CONFIG_TEST_FILE_ONLY").has_value());
}

TEST_CASE("a malformed .env file is reported, not ignored", "[config]") {
  gpt_adapter::testing::temp_dir dir("config-test");
  const auto path = (dir.path() / ".env").string();
  {
    std::ofstream file(path);
    file << "GOOD=1\nthis line is broken\n";
  }
  CHECK_THROWS_WITH(env_source::from_process_and_file(path), Contains(".env line 2"));
}

TEST_CASE("DEPLOYMENT_ENVIRONMENT names the environment of every log line", "[config]") {
  CHECK(gpt_adapter::config::read_logging_settings(reader_of({})).environment == "development");
  CHECK(gpt_adapter::config::read_logging_settings(
            reader_of({{"DEPLOYMENT_ENVIRONMENT", "prod-eu.1"}}))
            .environment == "prod-eu.1");
  const std::string too_long(64, 'x');
  for (const auto& bad : {std::string("has space"), std::string("quote\""), too_long}) {
    INFO(bad);
    CHECK_THROWS_WITH(
        gpt_adapter::config::read_logging_settings(reader_of({{"DEPLOYMENT_ENVIRONMENT", bad}})),
        Contains("DEPLOYMENT_ENVIRONMENT"));
  }
}
