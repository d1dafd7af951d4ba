/**
 * Where the replicas of one workload may run: spread over nodes (hard) and zones (soft), so a
 * node drain or a node loss takes one replica, which is what the PodDisruptionBudgets assume.
 * Shared by the generated service Deployments; the hand-written manifests (Apicurio, Dragonfly,
 * Kafka) spell the same rules out.
 */
export const HOSTNAME_KEY = "kubernetes.io/hostname";
export const ZONE_KEY = "topology.kubernetes.io/zone";

function spread(name: string, topologyKey: string, whenUnsatisfiable: string): object {
  return {
    maxSkew: 1,
    topologyKey,
    whenUnsatisfiable,
    labelSelector: { matchLabels: { "app.kubernetes.io/name": name } },
    // Count only the pods of the same rollout, so a rolling update is not blocked by old pods.
    matchLabelKeys: ["pod-template-hash"],
    // Cordoned (draining) and tainted nodes are not domains the pods must balance over.
    nodeTaintsPolicy: "Honor",
  };
}

/** Pod spec fields spreading the pods labelled `app.kubernetes.io/name: <name>`. */
export function placementOf(name: string): { topologySpreadConstraints: object[] } {
  return {
    topologySpreadConstraints: [spread(name, HOSTNAME_KEY, "DoNotSchedule"), spread(name, ZONE_KEY, "ScheduleAnyway")],
  };
}
