#!/bin/sh
# test_dashboard.sh: runs the dashboard check (dashboard_check.cjs, Node.js, no npm packages)
# against the conclaved and conclave of this build.
set -eu
src=$(cd "$(dirname "$0")" && pwd)
exec node "$src/dashboard_check.cjs" "$PWD/conclaved" "$PWD/conclave"
