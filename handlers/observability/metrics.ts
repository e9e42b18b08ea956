/**
 * Metrics for the pipeline's functions, in CloudWatch Embedded Metric Format through Powertools
 * for AWS Lambda's Metrics: one count per outcome and the bytes processed. Names and the one
 * dimension (the service) are fixed here; no value that comes from an object is ever a name, a
 * dimension or metadata.
 */
import { MetricUnit, Metrics } from "@aws-lambda-powertools/metrics";

export const METRICS_NAMESPACE = "imgsec";

/** The outcomes counted, one metric each (`ObjectsPackaged`, `ObjectsQuarantined`...). */
export const OUTCOME_METRICS = {
  packaged: "ObjectsPackaged",
  "already-packaged": "ObjectsAlreadyPackaged",
  duplicate: "ObjectsDuplicate",
  conflict: "ObjectsConflict",
  quarantined: "ObjectsQuarantined",
  rejected: "ObjectsRejected",
  failed: "ObjectsFailed",
} as const;

export type CountedOutcome = keyof typeof OUTCOME_METRICS;

export function createMetrics(service = "imgsec"): Metrics {
  return new Metrics({ namespace: METRICS_NAMESPACE, serviceName: service });
}

/** Counts one object's outcome, and its input bytes when it was packaged. */
export function countOutcome(metrics: Metrics, outcome: CountedOutcome, bytes?: number): void {
  metrics.addMetric(OUTCOME_METRICS[outcome], MetricUnit.Count, 1);
  if (outcome === "packaged" && bytes !== undefined && Number.isSafeInteger(bytes))
    metrics.addMetric("BytesPackaged", MetricUnit.Bytes, bytes);
}
