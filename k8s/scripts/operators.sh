#!/usr/bin/env bash
# The operators Tributary's resources need, with their CRDs applied (and upgraded) first:
#   k8s/scripts/operators.sh install   # or `upgrade`: the same, idempotent (server-side apply)
#   k8s/scripts/operators.sh check     # exit 1 unless every CRD k8s/ uses is established
# Helm never upgrades a chart's CRDs, so Strimzi's are applied from the chart explicitly; CRDs
# are never deleted here (deleting one deletes every Kafka, Cluster or Dragonfly with it).
set -euo pipefail

STRIMZI_CHART_VERSION=1.3.0
CNPG_VERSION=1.29.1
BARMAN_CLOUD_PLUGIN_VERSION=v0.15.0
CERT_MANAGER_VERSION=v1.18.1
DRAGONFLY_OPERATOR_VERSION=v1.2.1

STRIMZI_CHART=oci://quay.io/strimzi-helm/strimzi-kafka-operator
GITHUB=https://github.com
RAW=https://raw.githubusercontent.com

# Every CRD a resource in k8s/ (not k8s/monitoring) needs.
CRDS=(
  kafkas.kafka.strimzi.io kafkanodepools.kafka.strimzi.io kafkatopics.kafka.strimzi.io kafkausers.kafka.strimzi.io
  clusters.postgresql.cnpg.io databases.postgresql.cnpg.io scheduledbackups.postgresql.cnpg.io
  objectstores.barmancloud.cnpg.io dragonflies.dragonflydb.io
)

apply() { kubectl apply --server-side --force-conflicts -f "$1"; }

check() {
  local missing=0
  for crd in "${CRDS[@]}"; do
    if ! kubectl get crd "$crd" -o jsonpath='{.status.conditions[?(@.type=="Established")].status}' 2>/dev/null | grep -q True; then
      echo "missing CRD $crd: run k8s/scripts/operators.sh install" >&2
      missing=1
    fi
  done
  return "$missing"
}

install() {
  # cert-manager: the barman-cloud plugin talks to CloudNativePG over TLS it issues.
  apply "$GITHUB/cert-manager/cert-manager/releases/download/$CERT_MANAGER_VERSION/cert-manager.yaml"
  kubectl -n cert-manager rollout status deployment/cert-manager-webhook --timeout=300s

  apply "$RAW/cloudnative-pg/cloudnative-pg/release-${CNPG_VERSION%.*}/releases/cnpg-$CNPG_VERSION.yaml"
  kubectl -n cnpg-system rollout status deployment/cnpg-controller-manager --timeout=300s
  apply "$GITHUB/cloudnative-pg/plugin-barman-cloud/releases/download/$BARMAN_CLOUD_PLUGIN_VERSION/manifest.yaml"
  kubectl -n cnpg-system rollout status deployment/barman-cloud --timeout=300s

  apply "$RAW/dragonflydb/dragonfly-operator/$DRAGONFLY_OPERATOR_VERSION/manifests/dragonfly-operator.yaml"

  # Strimzi: CRDs from the chart first (helm upgrade leaves them stale), then the operator.
  local chart_dir
  chart_dir=$(mktemp -d)
  helm pull "$STRIMZI_CHART" --version "$STRIMZI_CHART_VERSION" --untar --untardir "$chart_dir"
  apply "$chart_dir/strimzi-kafka-operator/crds/"
  helm upgrade --install strimzi "$STRIMZI_CHART" --version "$STRIMZI_CHART_VERSION" \
    --namespace strimzi --create-namespace --skip-crds --wait \
    --set watchAnyNamespace=true \
    --set 'extraEnvs[0].name=STRIMZI_POD_SECURITY_PROVIDER_CLASS' \
    --set 'extraEnvs[0].value=restricted'
  rm -rf "$chart_dir"

  for crd in "${CRDS[@]}"; do kubectl wait --for condition=established --timeout=120s "crd/$crd"; done
}

case "${1:-}" in
  install | upgrade) install ;;
  check) check ;;
  *)
    echo "usage: $0 install|upgrade|check" >&2
    exit 2
    ;;
esac
