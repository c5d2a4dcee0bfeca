// A thin RAII wrapper over SQLite: a connection, prepared statements, transactions.
// Not thread-safe by itself; the owner serialises access.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace og {

class Statement {
 public:
  Statement(sqlite3* db, std::string_view sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Bind by 1-based index; returns *this so calls chain.
  Statement& bind(int index, int64_t value);
  Statement& bind(int index, double value);
  Statement& bind(int index, std::string_view text);
  Statement& bind_null(int index);
  // Runs one step: true when a row is ready, false when done. Throws on error.
  bool step();
  // Runs to completion and resets, for INSERT/UPDATE/DELETE.
  void run();
  void reset();
  int64_t column_int64(int index) const;
  double column_double(int index) const;
  std::string column_text(int index) const;
  bool column_is_null(int index) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

class Database {
 public:
  // Opens (creating) the file in WAL mode. synchronous=NORMAL survives a killed process
  // (the WAL is in the OS page cache); FULL also survives power loss.
  explicit Database(const std::string& path, bool synchronous_full = false);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  void exec(std::string_view sql);
  std::unique_ptr<Statement> prepare(std::string_view sql);
  int64_t last_insert_rowid() const;
  bool in_transaction() const;  // between BEGIN and COMMIT/ROLLBACK
  sqlite3* handle() { return db_; }

 private:
  sqlite3* db_ = nullptr;
};

// BEGIN IMMEDIATE ... COMMIT, rolled back when destroyed without commit().
class Transaction {
 public:
  explicit Transaction(Database& db);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  Transaction(Transaction&& other) noexcept : db_(other.db_), done_(other.done_) {
    other.done_ = true;  // the moved-from guard must not roll back
  }
  void commit();

 private:
  Database& db_;
  bool done_ = false;
};

}  // namespace og
