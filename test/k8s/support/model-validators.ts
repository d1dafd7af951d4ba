import { ScaledObject } from "@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject";
import { PodMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PodMonitor";
import { PrometheusRule } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule";
import type { ErrorObject } from "ajv";
import { formatAjvErrors } from "./ajv-errors.js";
import type { ResourceValidator } from "./crd-validators.js";

/** A kubernetes-models class: validate() throws with every schema error. */
interface ModelClass {
  new (data: never): { validate(): void };
}

function modelValidator(Model: ModelClass): ResourceValidator {
  return (resource) => {
    try {
      new Model(resource as never).validate();
      return [];
    } catch (err) {
      const errors = (err as { errors?: ErrorObject[] }).errors;
      return errors === undefined ? [String(err)] : formatAjvErrors(errors);
    }
  };
}

/**
 * Validators from the schemas that @kubernetes-models/keda and @kubernetes-models/prometheus-operator
 * compile from the upstream CRDs, keyed `<group>/<version>/<Kind>` like crd-validators.ts.
 */
export function modelValidators(): Map<string, ResourceValidator> {
  return new Map([
    ["keda.sh/v1alpha1/ScaledObject", modelValidator(ScaledObject)],
    ["monitoring.coreos.com/v1/PodMonitor", modelValidator(PodMonitor)],
    ["monitoring.coreos.com/v1/PrometheusRule", modelValidator(PrometheusRule)],
  ]);
}
