# rpc/local.mk: the rpc folder's part of the build: the JSON-RPC 2.0 transport (http, dispatch,
# errors, connections, CORS, metrics, the GET /events stream) and the blocking client. Replies are
# printed by json/json_text.c, below rpc/ (cJSON and libc only), which ledger/ uses too.
libcore_a_SOURCES += \
	rpc/rpc.h rpc/rpc_int.h rpc/status.h rpc/client.h \
	rpc/http.c rpc/cors.c rpc/metrics.c rpc/conn.c rpc/stream.c rpc/dispatch.c rpc/discover.c rpc/errors.c rpc/client.c
