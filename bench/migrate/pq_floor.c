/* The floor under any PostgreSQL client's `current`: a C program that connects with libpq (the
 * same URL, the same login), runs one SELECT of the version table and exits. Whatever a tool does
 * beyond this is its own cost; what this takes, no libpq client can avoid.
 *   pq_floor URL TABLE */
#include <libpq-fe.h>
#include <stdio.h>

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: pq_floor URL TABLE\n");
    return 2;
  }
  PGconn* conn = PQconnectdb(argv[1]);
  if (PQstatus(conn) != CONNECTION_OK) {
    fprintf(stderr, "pq_floor: %s", PQerrorMessage(conn));
    return 1;
  }
  char sql[256];
  snprintf(sql, sizeof sql, "SELECT version_num FROM %s", argv[2]);
  PGresult* result = PQexec(conn, sql);
  if (PQresultStatus(result) != PGRES_TUPLES_OK) {
    fprintf(stderr, "pq_floor: %s", PQerrorMessage(conn));
    return 1;
  }
  for (int i = 0; i < PQntuples(result); ++i) printf("%s\n", PQgetvalue(result, i, 0));
  PQclear(result);
  PQfinish(conn);
  return 0;
}
