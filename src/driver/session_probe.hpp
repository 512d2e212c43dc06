// Does a URL keep one server session per client connection, or hand each transaction another
// one (a transaction pooler such as PgBouncer with pool_mode = transaction)?
//
// What needs a session of its own (the migration lock, a session-level advisory lock; LISTEN)
// asks before relying on one. A pooler cannot be recognised from the protocol (PgBouncer passes
// the server's parameters through), so the probe watches what only a pooler does: give the
// server session a connection just used to another connection, or move a connection to another
// server session between two of its transactions.
#pragma once

#include "retort/connection.hpp"

namespace retort::driver {

// True when `first` (open to url, outside a transaction) does not keep its server session
// across transactions. Opens a second connection to url and runs a few rounds of: first asks
// for its backend pid (a transaction of its own), second opens a transaction and asks for its
// pid (holding that session), first asks again. A direct connection (or a session pooler)
// always sees first keep its pid and second get another one; a transaction pooler, which reuses
// the most recently released session (PgBouncer's default, server_round_robin = 0), gives second
// the session first just released. A true answer is certain; a false one could, on a pooler
// busy with other clients, be a miss. False for SQLite. Throws DatabaseError.
bool transaction_pooled(Connection& first, const DatabaseUrl& url);

}  // namespace retort::driver
