#include "common/postgres/sql_script.hpp"

#include <stdexcept>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

using gpt_adapter::postgres::split_sql_statements;
using statements = std::vector<std::string>;

TEST_CASE("postgres sql script: statements split on semicolons, trimmed, the last may lack one",
          "[postgres]") {
  CHECK(
      split_sql_statements("CREATE TABLE a (id int);\n\n  INSERT INTO a VALUES (1) ;\nSELECT 1") ==
      statements{"CREATE TABLE a (id int)", "INSERT INTO a VALUES (1)", "SELECT 1"});
  CHECK(split_sql_statements("").empty());
  CHECK(split_sql_statements(" ;; \n;").empty());
}

TEST_CASE("postgres sql script: comment-only pieces are dropped, comments inside statements kept",
          "[postgres]") {
  CHECK(split_sql_statements("-- header; with a semicolon\nSELECT 1; -- trailing; note\n"
                             "/* block; /* nested; */ still comment; */") ==
        statements{"-- header; with a semicolon\nSELECT 1"});
}

TEST_CASE("postgres sql script: semicolons inside literals, identifiers and bodies do not split",
          "[postgres]") {
  CHECK(split_sql_statements("SELECT 'a;b', 'it''s;', \"odd;name\" FROM t; SELECT 2") ==
        statements{"SELECT 'a;b', 'it''s;', \"odd;name\" FROM t", "SELECT 2"});
  CHECK(split_sql_statements("SELECT E'esc\\';still'; SELECT 3") ==
        statements{"SELECT E'esc\\';still'", "SELECT 3"});
  // Outside E'' a backslash is an ordinary character (standard_conforming_strings).
  CHECK(split_sql_statements("SELECT 'C:\\'; SELECT 4") == statements{"SELECT 'C:\\'", "SELECT 4"});
  const std::string function =
      "CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $body$\n"
      "BEGIN PERFORM 1; RAISE NOTICE $$x;y$$; END\n$body$";
  CHECK(split_sql_statements(function + ";\nDO $$ BEGIN NULL; END $$;") ==
        statements{function, "DO $$ BEGIN NULL; END $$"});
}

TEST_CASE("postgres sql script: parameters and identifiers with $ are not dollar quotes",
          "[postgres]") {
  CHECK(split_sql_statements("SELECT $1; SELECT a$b$ FROM t; SELECT 5") ==
        statements{"SELECT $1", "SELECT a$b$ FROM t", "SELECT 5"});
}

TEST_CASE("postgres sql script: an unterminated quote or comment is an error", "[postgres]") {
  CHECK_THROWS_AS(split_sql_statements("SELECT 'open; SELECT 1"), std::invalid_argument);
  CHECK_THROWS_AS(split_sql_statements("SELECT $$ open"), std::invalid_argument);
  CHECK_THROWS_AS(split_sql_statements("/* open"), std::invalid_argument);
  CHECK_THROWS_AS(split_sql_statements("SELECT \"open"), std::invalid_argument);
}
