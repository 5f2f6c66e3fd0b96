#!/bin/sh
# Starts one sample component: `start-service order` runs
# sample-services/src/order.ts under the Mirador agent (the load generator,
# a client, without it).
set -eu
name="${1:?usage: start-service gateway|order|catalog|inventory|payment|loadgen}"
case "$name" in
  gateway|order|catalog|inventory|payment) exec node --import @mirador/agent/register "src/$name.ts" ;;
  loadgen) exec node "src/$name.ts" ;;
  *) echo "start-service: unknown component $name" >&2; exit 2 ;;
esac
