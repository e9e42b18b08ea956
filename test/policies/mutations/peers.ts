/**
 * Mutations for the rules that close the gaps the HIPAA packs users compare us with showed
 * (IMGSEC-IAM-005..008, S3-011, CT-006, CW-004, SNS-002; VPC-004..005 are in pipeline.ts): each breaks the synthesized stack the
 * way one rule targets. IMGSEC-IAM-007 and IMGSEC-CW-004 are warnings, so their mutations expect a
 * new WARN; IMGSEC-S3-011 fails a bucket without replication (params.require_replication, true as
 * shipped) unless its imgsec:replication-exempt tag gives a reason, as imgsec-dev's buckets do.
 */
import { Mutation, Tf, addResource, editPolicy, findResource, resourcesOf } from "./types";

const ACCOUNT = "${data.aws_caller_identity.caller.account_id}";
const PARTITION = "${data.aws_partition.partition.partition}";

/** The logical id of the one resource of `type` whose id starts with `idPrefix`. */
function idOf(tf: Tf, type: string, idPrefix: string): string {
  const ids = resourcesOf(tf, type)
    .map(([id]) => id)
    .filter((id) => id.startsWith(idPrefix));
  if (ids.length !== 1)
    throw new Error(`expected one ${type} starting ${idPrefix}, found ${ids.length}`);
  return ids[0];
}

const trailLogsPolicy = (tf: Tf): Tf =>
  findResource(tf, "aws_iam_role_policy", "audit-trail_logs-policy");

/** Adds a statement to the trail log role's inline policy. */
const grant = (tf: Tf, statement: Tf) =>
  editPolicy(trailLogsPolicy(tf), "policy", (doc) => doc.Statement.push(statement));

const TRAIL_LOGS_POLICY = /^aws_iam_role_policy\.audit-trail_logs-policy_/;
const TRAIL = /^aws_cloudtrail\.audit-trail_/;

export const mutations: Mutation[] = [
  // ---- IAM ---------------------------------------------------------------------------------------
  {
    rule: "IMGSEC-IAM-005",
    what: "the trail log role's policy grants sns:* on the alarm topic",
    resource: TRAIL_LOGS_POLICY,
    apply(tf) {
      grant(tf, {
        Sid: "TopicAdmin",
        Effect: "Allow",
        Action: "sns:*",
        Resource: `\${aws_sns_topic.${idOf(tf, "aws_sns_topic", "monitoring_alarm-topic")}.arn}`,
      });
    },
  },
  {
    rule: "IMGSEC-IAM-005",
    what: "AWSLambda_FullAccess is attached to the trail log role",
    resource: /^aws_iam_role_policy_attachment\.trail_lambda_full$/,
    apply(tf) {
      addResource(tf, "aws_iam_role_policy_attachment", "trail_lambda_full", {
        role: `\${aws_iam_role.${idOf(tf, "aws_iam_role", "audit-trail_logs-role")}.name}`,
        policy_arn: `arn:${PARTITION}:iam::aws:policy/AWSLambda_FullAccess`,
      });
    },
  },
  {
    rule: "IMGSEC-IAM-005",
    what: "a statement without an Effect (read as Allow) grants logs:* to the trail log role",
    resource: TRAIL_LOGS_POLICY,
    apply(tf) {
      grant(tf, { Sid: "NoEffect", Action: "logs:*", Resource: "*" });
    },
  },
  {
    rule: "IMGSEC-IAM-006",
    what: "the trail log role's policy allows kms:Decrypt on every key",
    resource: TRAIL_LOGS_POLICY,
    apply(tf) {
      grant(tf, { Sid: "DecryptAnything", Effect: "Allow", Action: "kms:Decrypt", Resource: "*" });
    },
  },
  {
    rule: "IMGSEC-IAM-006",
    what: "an aws_iam_policy_document data source allows kms:ReEncrypt* on every key, attached as a policy",
    resource: /^aws_iam_policy\.reencrypt$/,
    apply(tf) {
      tf.data.aws_iam_policy_document ??= {};
      tf.data.aws_iam_policy_document.reencrypt = {
        statement: [{ actions: ["kms:ReEncrypt*"], resources: ["*"] }],
      };
      addResource(tf, "aws_iam_policy", "reencrypt", {
        name: "reencrypt",
        policy: "${data.aws_iam_policy_document.reencrypt.json}",
      });
    },
  },
  {
    rule: "IMGSEC-IAM-008",
    what: "the trail log role's policy allows aws-marketplace:Subscribe on every product",
    resource: TRAIL_LOGS_POLICY,
    apply(tf) {
      grant(tf, {
        Sid: "SubscribeAnything",
        Effect: "Allow",
        Action: "aws-marketplace:Subscribe",
        Resource: "*",
      });
    },
  },
  {
    rule: "IMGSEC-IAM-007",
    what: "an IAM user gets an inline policy (reported as a warning)",
    resource: /^aws_iam_user_policy\.operator$/,
    apply(tf) {
      addResource(tf, "aws_iam_user_policy", "operator", {
        user: "operator",
        policy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Action: "cloudwatch:GetMetricData", Resource: "*" }],
        }),
      });
    },
  },

  // ---- S3 ----------------------------------------------------------------------------------------
  {
    rule: "IMGSEC-S3-011",
    stack: "imgsec-prod",
    what: "the raw bucket replicates without naming a KMS key for the replicas",
    resource: /^aws_s3_bucket\.raw_bucket_/,
    apply(tf) {
      const replication = findResource(tf, "aws_s3_bucket_replication_configuration", "raw_");
      delete replication.rule[0].destination.encryption_configuration;
    },
  },
  {
    rule: "IMGSEC-S3-011",
    stack: "imgsec-prod",
    what: "the raw bucket's replication rule is disabled (replication is required as shipped)",
    resource: /^aws_s3_bucket\.raw_bucket_/,
    apply(tf) {
      findResource(tf, "aws_s3_bucket_replication_configuration", "raw_").rule[0].status =
        "Disabled";
    },
  },
  {
    rule: "IMGSEC-S3-011",
    what: "the dev raw bucket loses its imgsec:replication-exempt tag: no replica, and no reason",
    resource: /^aws_s3_bucket\.raw_bucket_/,
    apply(tf) {
      const tags = findResource(tf, "aws_s3_bucket", "raw_bucket_").tags;
      if (!tags["imgsec:replication-exempt"]) throw new Error("dev's raw bucket is not exempt");
      delete tags["imgsec:replication-exempt"];
    },
  },
  {
    rule: "IMGSEC-S3-011",
    what: "the dev raw bucket's imgsec:replication-exempt tag gives no reason",
    resource: /^aws_s3_bucket\.raw_bucket_/,
    apply(tf) {
      findResource(tf, "aws_s3_bucket", "raw_bucket_").tags["imgsec:replication-exempt"] = "";
    },
  },

  // ---- CloudTrail and CloudWatch -----------------------------------------------------------------
  {
    rule: "IMGSEC-CT-006",
    what: "the trail's event selector leaves out management events",
    resource: TRAIL,
    apply(tf) {
      findResource(
        tf,
        "aws_cloudtrail",
        "audit-trail",
      ).event_selector[0].include_management_events = false;
    },
  },
  {
    rule: "IMGSEC-CW-004",
    what: "the CloudTrail-changes metric filter is removed from the trail's log group (a warning)",
    resource: TRAIL,
    apply(tf) {
      delete tf.resource.aws_cloudwatch_log_metric_filter[
        idOf(tf, "aws_cloudwatch_log_metric_filter", "monitoring_filter-CloudTrailChanges")
      ];
    },
  },

  // ---- SNS ---------------------------------------------------------------------------------------
  {
    rule: "IMGSEC-SNS-002",
    what: "the alarm topic's policy no longer denies publishing without TLS",
    resource: /^aws_sns_topic\.monitoring_alarm-topic_/,
    apply(tf) {
      editPolicy(
        findResource(tf, "aws_sns_topic_policy", "monitoring_alarm-topic-policy"),
        "policy",
        (doc) => {
          doc.Statement = doc.Statement.filter((s: Tf) => s.Sid !== "DenyInsecureTransport");
        },
      );
    },
  },
  {
    rule: "IMGSEC-SNS-002",
    what: "the alarm topic's policy lets every AWS account subscribe",
    resource: /^aws_sns_topic\.monitoring_alarm-topic_/,
    apply(tf) {
      editPolicy(
        findResource(tf, "aws_sns_topic_policy", "monitoring_alarm-topic-policy"),
        "policy",
        (doc) => {
          doc.Statement.push({
            Sid: "AnyoneSubscribes",
            Effect: "Allow",
            Principal: { AWS: "*" },
            Action: "sns:Subscribe",
            Resource: `arn:${PARTITION}:sns:us-east-1:${ACCOUNT}:imgsec-dev-security-alarms`,
          });
        },
      );
    },
  },
];
