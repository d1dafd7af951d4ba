#!/usr/bin/env bash
# Removes Tributary from the cluster, keeping the operators and their CRDs (other namespaces may
# use them; `skaffold delete` of a manifest that contains CRDs would delete every CR with them).
# Without --delete-data the namespace, its PersistentVolumeClaims and Secrets stay.
#   k8s/scripts/uninstall.sh [--delete-data]
set -euo pipefail
k8s_dir="$(dirname "$0")/.."
ns=tributary
kubectl delete -k "$k8s_dir/monitoring" --ignore-not-found || true
if [ "${1:-}" = "--delete-data" ]; then
  kubectl delete namespace "$ns" --ignore-not-found
  exit 0
fi
# Services first (they stop consuming), then the stateful pieces; all carry the part-of label.
kubectl -n "$ns" delete deployments,services,configmaps,poddisruptionbudgets,ingresses \
  -l app.kubernetes.io/part-of=tributary --ignore-not-found
kubectl -n "$ns" delete scheduledbackups.postgresql.cnpg.io,databases.postgresql.cnpg.io,clusters.postgresql.cnpg.io,objectstores.barmancloud.cnpg.io,dragonflies.dragonflydb.io,kafkatopics.kafka.strimzi.io,kafkas.kafka.strimzi.io,kafkanodepools.kafka.strimzi.io \
  -l app.kubernetes.io/part-of=tributary --ignore-not-found
kubectl -n "$ns" get pvc
