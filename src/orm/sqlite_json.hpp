// The SQLite side of JSON filters (see sqlite_json.cpp).
#pragma once

namespace retort::orm {

// Makes every SQLite connection opened from now on carry retort_json_contains,
// retort_json_get and retort_json_equal. Idempotent; also run before main() by a static
// initializer, so connections a program opens early have them too.
void install_sqlite_json_functions() noexcept;

}  // namespace retort::orm
