// CLibPQ: PostgreSQL's C client library (Debian: libpq-dev), used by the Postgres module.
// Included by its Debian path, so no include flag (or pkg-config) is needed; libpq-fe.h finds
// its siblings relative to itself.
#include <postgresql/libpq-fe.h>
