#!/usr/bin/env bash
# Creates the Secrets of k8s/scripts/required-secrets.tsv that are missing in namespace
# tributary (never overwrites one). Run before the first `kubectl apply -k k8s`.
#   BACKUP_S3_ACCESS_KEY_ID=... BACKUP_S3_SECRET_ACCESS_KEY=... k8s/scripts/prerequisites.sh
set -euo pipefail
ns=tributary
kubectl get namespace "$ns" >/dev/null 2>&1 || kubectl apply -f "$(dirname "$0")/../namespace.yaml"

exists() { kubectl -n "$ns" get secret "$1" >/dev/null 2>&1; }

if ! exists tributary-pg-apicurio; then
  kubectl -n "$ns" create secret generic tributary-pg-apicurio --type=kubernetes.io/basic-auth \
    --from-literal=username=apicurio --from-literal=password="$(openssl rand -hex 24)"
  # CloudNativePG reloads a managed role's password when its Secret carries this label.
  kubectl -n "$ns" label secret tributary-pg-apicurio cnpg.io/reload=true
fi

# One Postgres role per service (CloudNativePG managed roles in k8s/postgres/postgres.yaml). `uri`
# is the service's DATABASE_URL: the service's own role, with only its declared tables' grants.
for service in $(cut -f1 "$(dirname "$0")/../../stack/services.tsv" | grep -v '^#'); do
  secret="tributary-pg-$service"
  if exists "$secret"; then
    # Secrets from before least privilege switched to the owner at login (options=-c role=...): drop that.
    uri=$(kubectl -n "$ns" get secret "$secret" -o jsonpath='{.data.uri}' | base64 -d)
    if [[ $uri == *"options=-c%20role"* ]]; then
      kubectl -n "$ns" patch secret "$secret" --type merge -p "{\"stringData\":{\"uri\":\"${uri%%\?options=*}\"}}"
    fi
    continue
  fi
  password="$(openssl rand -hex 24)"
  kubectl -n "$ns" create secret generic "$secret" --type=kubernetes.io/basic-auth \
    --from-literal=username="$service" --from-literal=password="$password" \
    --from-literal=uri="postgresql://$service:$password@tributary-pg-rw:5432/tributary"
  kubectl -n "$ns" label secret "$secret" cnpg.io/reload=true
done

# Dragonfly's requirepass, and the services' REDIS_URL with it.
if ! exists tributary-dragonfly; then
  password="$(openssl rand -hex 24)"
  kubectl -n "$ns" create secret generic tributary-dragonfly \
    --from-literal=password="$password" --from-literal=url="redis://:$password@dragonfly:6379"
fi

if ! exists tributary-backup-s3; then
  : "${BACKUP_S3_ACCESS_KEY_ID:?set BACKUP_S3_ACCESS_KEY_ID (object store for Postgres backups)}"
  : "${BACKUP_S3_SECRET_ACCESS_KEY:?set BACKUP_S3_SECRET_ACCESS_KEY}"
  kubectl -n "$ns" create secret generic tributary-backup-s3 \
    --from-literal=ACCESS_KEY_ID="$BACKUP_S3_ACCESS_KEY_ID" \
    --from-literal=ACCESS_SECRET_KEY="$BACKUP_S3_SECRET_ACCESS_KEY"
fi
kubectl -n "$ns" get secrets -l "!strimzi.io/cluster"
