// The stock `retort` binary loads libpq, libcrypto and libsimdjson on first use instead of linking
// them.
//
// Why: linked, libpq brings 21 shared objects into every process (libssl, libcrypto, Kerberos,
// LDAP, SASL, GnuTLS, p11-kit, ...), about 36,000 relocations; the dynamic loader spent about
// three quarters of `retort --version`'s 15 ms mapping and relocating them (perf, see
// docs/benchmarks.md "Start-up"). Most runs never touch PostgreSQL: `--help`, every command on
// SQLite, `heads`, `history`, `revision`. libcrypto serves only the event ingest ledger's SHA-256.
// libsimdjson (the UTF-8 and JSON checks) cost 0.27 million instructions of symbol binding at
// every start, and it was the last C++ shared library the binary loaded: without it, libstdc++
// can be linked statically (CMakeLists.txt, RETORT_STATIC_LIBSTDCXX), which removes most of the
// dynamic loader's work. libsimdjson then brings its own libstdc++.so when it is loaded; that is
// safe because nothing of the standard library crosses between the two: the library calls
// simdjson through two plain functions and the implementation's virtual functions, with
// pointers, sizes and error codes, and memory is freed by the side that allocated it.
//
// How: this file defines, with C linkage, every libpq and libcrypto function the library calls
// (and the two simdjson functions, with their C++ names), each forwarding to the real one, looked
// up (dlopen + dlsym) the first time any of them is called. The executable is linked with
// --as-needed, so with these definitions present libpq.so, libcrypto.so and libsimdjson.so are
// left out of its DT_NEEDED list (tests/cli checks that). Both PostgreSQL
// drivers, the blocking one (src/driver/postgres) and the asynchronous one (src/async), call
// the same functions, so this is the one loader for both. The library itself still links libpq
// normally: a program embedding retort loads it as any libpq client does.
//
// A function the library starts to call that is missing here still works (libpq stays linked,
// and the start-up cost comes back); the DT_NEEDED test says so.
#include <dlfcn.h>
#include <libpq-fe.h>
#include <openssl/evp.h>
#include <simdjson.h>

#include <bit>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "retort/error.hpp"

namespace {

struct Library {
  const char* soname;
  const char* needed_for;
  const char* debian_package;
};

constexpr Library kLibpq{"libpq.so.5", "PostgreSQL connections", "libpq5"};
constexpr Library kLibcrypto{"libcrypto.so.3", "the ingest ledger's SHA-256", "libssl3"};

struct Loaded {
  void* handle;
  const Library* library;
};

Loaded open_library(const Library& library) {
  // Never closed: libpq and OpenSSL keep global state for the life of the process.
  void* handle = ::dlopen(library.soname, RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = ::dlerror();
    throw retort::ConfigError(std::string(library.needed_for) + " need " + library.soname +
                              ", which could not be loaded (" + (why ? why : "unknown error") +
                              "); install it with `apt-get install " + library.debian_package +
                              "`");
  }
  return {handle, &library};
}

// Loaded once; a failed load throws here and is retried by the next call.
const Loaded& libpq() {
  static const Loaded loaded = open_library(kLibpq);
  return loaded;
}
const Loaded& libcrypto() {
  static const Loaded loaded = open_library(kLibcrypto);
  return loaded;
}

template <class Function>
Function resolve(const Loaded& loaded, const char* name) {
  void* address = ::dlsym(loaded.handle, name);
  if (address == nullptr) {
    throw retort::ConfigError(std::string("cannot use ") + loaded.library->soname + ": it has no " +
                              name);
  }
  return std::bit_cast<Function>(address);
}

}  // namespace

// RETORT_FORWARD(library, return type, name, (parameters), (arguments)): the definition of
// `name` with libpq-fe.h's (or evp.h's) declaration, which the compiler checks it against: a
// C-linkage function cannot be overloaded, so a wrong parameter list does not compile.
#define RETORT_FORWARD(library, ret, name, params, args)                   \
  extern "C" ret name params {                                             \
    static const auto real = resolve<decltype(&::name)>(library(), #name); \
    return real args;                                                      \
  }

// clang-format off
// Connecting and the connection string.
RETORT_FORWARD(libpq, PGconn*, PQconnectdbParams,
               (const char* const* keywords, const char* const* values, int expand_dbname),
               (keywords, values, expand_dbname))
RETORT_FORWARD(libpq, PGconn*, PQconnectStartParams,
               (const char* const* keywords, const char* const* values, int expand_dbname),
               (keywords, values, expand_dbname))
RETORT_FORWARD(libpq, PostgresPollingStatusType, PQconnectPoll, (PGconn* conn), (conn))
RETORT_FORWARD(libpq, PQconninfoOption*, PQconninfoParse, (const char* conninfo, char** errmsg),
               (conninfo, errmsg))
RETORT_FORWARD(libpq, PQconninfoOption*, PQconndefaults, (void), ())
RETORT_FORWARD(libpq, void, PQconninfoFree, (PQconninfoOption* options), (options))
RETORT_FORWARD(libpq, void, PQfinish, (PGconn* conn), (conn))
RETORT_FORWARD(libpq, ConnStatusType, PQstatus, (const PGconn* conn), (conn))
RETORT_FORWARD(libpq, PGTransactionStatusType, PQtransactionStatus, (const PGconn* conn), (conn))
RETORT_FORWARD(libpq, char*, PQerrorMessage, (const PGconn* conn), (conn))
RETORT_FORWARD(libpq, int, PQsocket, (const PGconn* conn), (conn))
RETORT_FORWARD(libpq, int, PQsetnonblocking, (PGconn* conn, int arg), (conn, arg))
RETORT_FORWARD(libpq, PQnoticeReceiver, PQsetNoticeReceiver,
               (PGconn* conn, PQnoticeReceiver proc, void* arg), (conn, proc, arg))
RETORT_FORWARD(libpq, void, PQfreemem, (void* ptr), (ptr))

// Cancelling.
RETORT_FORWARD(libpq, PGcancel*, PQgetCancel, (PGconn* conn), (conn))
RETORT_FORWARD(libpq, void, PQfreeCancel, (PGcancel* cancel), (cancel))
RETORT_FORWARD(libpq, int, PQcancel, (PGcancel* cancel, char* errbuf, int errbufsize),
               (cancel, errbuf, errbufsize))

// Statements, blocking and asynchronous, and pipelines.
RETORT_FORWARD(libpq, PGresult*, PQexec, (PGconn* conn, const char* query), (conn, query))
RETORT_FORWARD(libpq, PGresult*, PQexecParams,
               (PGconn* conn, const char* command, int nParams, const Oid* paramTypes,
                const char* const* paramValues, const int* paramLengths, const int* paramFormats,
                int resultFormat),
               (conn, command, nParams, paramTypes, paramValues, paramLengths, paramFormats,
                resultFormat))
RETORT_FORWARD(libpq, PGresult*, PQexecPrepared,
               (PGconn* conn, const char* stmtName, int nParams, const char* const* paramValues,
                const int* paramLengths, const int* paramFormats, int resultFormat),
               (conn, stmtName, nParams, paramValues, paramLengths, paramFormats, resultFormat))
RETORT_FORWARD(libpq, int, PQsendQuery, (PGconn* conn, const char* query), (conn, query))
RETORT_FORWARD(libpq, int, PQsendQueryParams,
               (PGconn* conn, const char* command, int nParams, const Oid* paramTypes,
                const char* const* paramValues, const int* paramLengths, const int* paramFormats,
                int resultFormat),
               (conn, command, nParams, paramTypes, paramValues, paramLengths, paramFormats,
                resultFormat))
RETORT_FORWARD(libpq, int, PQsendPrepare,
               (PGconn* conn, const char* stmtName, const char* query, int nParams,
                const Oid* paramTypes),
               (conn, stmtName, query, nParams, paramTypes))
RETORT_FORWARD(libpq, int, PQsendQueryPrepared,
               (PGconn* conn, const char* stmtName, int nParams, const char* const* paramValues,
                const int* paramLengths, const int* paramFormats, int resultFormat),
               (conn, stmtName, nParams, paramValues, paramLengths, paramFormats, resultFormat))
RETORT_FORWARD(libpq, int, PQsetSingleRowMode, (PGconn* conn), (conn))
RETORT_FORWARD(libpq, PGresult*, PQgetResult, (PGconn* conn), (conn))
RETORT_FORWARD(libpq, int, PQisBusy, (PGconn* conn), (conn))
RETORT_FORWARD(libpq, int, PQconsumeInput, (PGconn* conn), (conn))
RETORT_FORWARD(libpq, int, PQflush, (PGconn* conn), (conn))
RETORT_FORWARD(libpq, int, PQenterPipelineMode, (PGconn* conn), (conn))
RETORT_FORWARD(libpq, int, PQexitPipelineMode, (PGconn* conn), (conn))
RETORT_FORWARD(libpq, int, PQpipelineSync, (PGconn* conn), (conn))
RETORT_FORWARD(libpq, PGnotify*, PQnotifies, (PGconn* conn), (conn))

// COPY.
RETORT_FORWARD(libpq, int, PQputCopyData, (PGconn* conn, const char* buffer, int nbytes),
               (conn, buffer, nbytes))
RETORT_FORWARD(libpq, int, PQputCopyEnd, (PGconn* conn, const char* errormsg), (conn, errormsg))
RETORT_FORWARD(libpq, int, PQgetCopyData, (PGconn* conn, char** buffer, int async),
               (conn, buffer, async))

// Results.
RETORT_FORWARD(libpq, ExecStatusType, PQresultStatus, (const PGresult* res), (res))
RETORT_FORWARD(libpq, char*, PQresultErrorMessage, (const PGresult* res), (res))
RETORT_FORWARD(libpq, char*, PQresultErrorField, (const PGresult* res, int fieldcode),
               (res, fieldcode))
RETORT_FORWARD(libpq, int, PQntuples, (const PGresult* res), (res))
RETORT_FORWARD(libpq, int, PQnfields, (const PGresult* res), (res))
RETORT_FORWARD(libpq, char*, PQfname, (const PGresult* res, int field_num), (res, field_num))
RETORT_FORWARD(libpq, Oid, PQftype, (const PGresult* res, int field_num), (res, field_num))
RETORT_FORWARD(libpq, char*, PQgetvalue, (const PGresult* res, int tup_num, int field_num),
               (res, tup_num, field_num))
RETORT_FORWARD(libpq, int, PQgetlength, (const PGresult* res, int tup_num, int field_num),
               (res, tup_num, field_num))
RETORT_FORWARD(libpq, int, PQgetisnull, (const PGresult* res, int tup_num, int field_num),
               (res, tup_num, field_num))
RETORT_FORWARD(libpq, char*, PQcmdStatus, (PGresult* res), (res))
RETORT_FORWARD(libpq, char*, PQcmdTuples, (PGresult* res), (res))
RETORT_FORWARD(libpq, void, PQclear, (PGresult* res), (res))
RETORT_FORWARD(libpq, unsigned char*, PQunescapeBytea,
               (const unsigned char* strtext, size_t* retbuflen), (strtext, retbuflen))

// libcrypto: the ingest ledger's file identity (src/events/ingest_ledger.cpp).
RETORT_FORWARD(libcrypto, int, EVP_Digest,
               (const void* data, size_t count, unsigned char* md, unsigned int* size,
                const EVP_MD* type, ENGINE* impl),
               (data, count, md, size, type, impl))
RETORT_FORWARD(libcrypto, const EVP_MD*, EVP_sha256, (void), ())
// clang-format on

// simdjson: the UTF-8 check (src/core/text.cpp) and the JSON check (src/core/json_check.cpp).
// The library reaches libsimdjson through these two functions only; the rest of the simdjson API
// it uses is inline in simdjson.h and calls the active implementation's virtual functions. Both
// are called where no exception may pass (validate_utf8 is noexcept, and the DOM parser calls
// get_active_implementation from its noexcept allocate), so a libsimdjson that cannot be loaded
// is reported on stderr and ends the process with status 127, as the dynamic loader would have
// ended it at start-up had the binary still been linked to libsimdjson.
namespace {

constexpr Library kSimdjson{"libsimdjson.so.14", "JSON and UTF-8 checks", "libsimdjson14"};

const Loaded& libsimdjson() {
  static const Loaded loaded = open_library(kSimdjson);
  return loaded;
}

template <class Function>
Function resolve_simdjson(const char* mangled_name) noexcept {
  try {
    return resolve<Function>(libsimdjson(), mangled_name);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "retort: %s\n", error.what());
    std::_Exit(127);
  }
}

}  // namespace

namespace simdjson {

// simdjson.h declares this overload among others (std::string, std::string_view); the cast picks
// it and fails to compile should its parameters change.
using ValidateUtf8 = bool (*)(const char*, std::size_t) noexcept;

bool validate_utf8(const char* buf, std::size_t len) noexcept {
  static const auto real = resolve_simdjson<decltype(static_cast<ValidateUtf8>(&validate_utf8))>(
      "_ZN8simdjson13validate_utf8EPKcm");
  return real(buf, len);
}

internal::atomic_ptr<const implementation>& get_active_implementation() {
  static const auto real = resolve_simdjson<decltype(&get_active_implementation)>(
      "_ZN8simdjson25get_active_implementationEv");
  return real();
}

}  // namespace simdjson
