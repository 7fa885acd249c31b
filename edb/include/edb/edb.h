/* edb/edb.h: everything of libedb in one include. */
#ifndef EDB_EDB_H
#define EDB_EDB_H

#include <edb/status.h>
#include <edb/time.h>
#include <edb/series.h>
#include <edb/mnemonic.h>
#include <edb/number.h>
#include <edb/decoder.h>
#include <edb/meta.h>
#include <edb/mastcsv.h>
#include <edb/jsondec.h>
#include <edb/client.h>
#include <edb/archive.h>
#include <edb/store.h>
#include <edb/cache.h>
#include <edb/discovery.h>
#include <edb/bundle.h>
#include <edb/table.h>
#include <edb/expr.h>
#include <edb/resample.h>
#include <edb/server.h>

/* Version of the library, "0.1.0". */
const char *edb_version(void);

#endif
