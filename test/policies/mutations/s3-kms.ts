/**
 * Mutations for the S3 bucket rules (IMGSEC-S3-001..010) and the KMS key rules (IMGSEC-KMS-001..004):
 * each breaks the synthesized stack in exactly the way one rule targets, and nothing else.
 */
import { Mutation, Tf, addResource, editPolicy, findResource, removeResource } from "./types";

const RAW_BUCKET = /^aws_s3_bucket\.raw_bucket_/;
const PROCESSED_BUCKET = /^aws_s3_bucket\.processed_bucket_/;
const AUDIT_BUCKET = /^aws_s3_bucket\.audit_bucket_/;
const AUDIT_REPLICA_BUCKET = /^aws_s3_bucket\.audit_replica_bucket_/;
const PHI_KEY = /^aws_kms_key\.phi-key_/;

/** The logical id of the one resource of `type` whose id starts with `idPrefix`. */
function logicalId(tf: Tf, type: string, idPrefix: string): string {
  const ids = Object.keys(tf.resource?.[type] ?? {}).filter((id) => id.startsWith(idPrefix));
  if (ids.length !== 1)
    throw new Error(`expected one ${type} starting ${idPrefix}, found ${ids.length}`);
  return ids[0];
}

/** Drops `address` from every depends_on, so that the stack stays valid Terraform after a removal. */
function dropDependency(tf: Tf, address: string): void {
  for (const byName of Object.values(tf.resource ?? {}) as Tf[]) {
    for (const block of Object.values(byName) as Tf[]) {
      if (Array.isArray(block.depends_on)) {
        block.depends_on = block.depends_on.filter((d: string) => d !== address);
      }
    }
  }
}

/** Removes a resource and every depends_on that names it. */
function removeWithDependents(tf: Tf, type: string, idPrefix: string): void {
  const address = `${type}.${logicalId(tf, type, idPrefix)}`;
  removeResource(tf, type, idPrefix);
  dropDependency(tf, address);
}

const phiKey = (tf: Tf): Tf => findResource(tf, "aws_kms_key", "phi-key");

export const mutations: Mutation[] = [
  // ---- S3 ------------------------------------------------------------------------------------
  {
    rule: "IMGSEC-S3-001",
    what: "the processed bucket loses its default encryption configuration",
    resource: PROCESSED_BUCKET,
    apply(tf) {
      removeResource(
        tf,
        "aws_s3_bucket_server_side_encryption_configuration",
        "processed_encryption",
      );
    },
  },
  {
    rule: "IMGSEC-S3-002",
    what: "the raw bucket's SSE-KMS rule turns the S3 Bucket Key off",
    resource: RAW_BUCKET,
    apply(tf) {
      const sse = findResource(
        tf,
        "aws_s3_bucket_server_side_encryption_configuration",
        "raw_encryption",
      );
      sse.rule[0].bucket_key_enabled = false;
    },
  },
  {
    rule: "IMGSEC-S3-003",
    what: "the raw bucket's versioning is suspended",
    resource: RAW_BUCKET,
    apply(tf) {
      findResource(tf, "aws_s3_bucket_versioning", "raw_versioning").versioning_configuration = {
        status: "Suspended",
      };
    },
  },
  {
    rule: "IMGSEC-S3-003",
    what: "the processed bucket's aws_s3_bucket_versioning is removed",
    resource: PROCESSED_BUCKET,
    apply(tf) {
      removeWithDependents(tf, "aws_s3_bucket_versioning", "processed_versioning");
    },
  },
  {
    rule: "IMGSEC-S3-004",
    what: "the raw bucket's public access block stops restricting public buckets",
    resource: RAW_BUCKET,
    apply(tf) {
      findResource(
        tf,
        "aws_s3_bucket_public_access_block",
        "raw_public-access-block",
      ).restrict_public_buckets = false;
    },
  },
  {
    rule: "IMGSEC-S3-004",
    what: "the audit bucket's public access block is removed",
    resource: AUDIT_BUCKET,
    apply(tf) {
      removeWithDependents(tf, "aws_s3_bucket_public_access_block", "audit_public-access-block");
    },
  },
  {
    rule: "IMGSEC-S3-005",
    what: "the raw bucket's object ownership re-enables ACLs (ObjectWriter)",
    resource: RAW_BUCKET,
    apply(tf) {
      findResource(tf, "aws_s3_bucket_ownership_controls", "raw_ownership").rule = {
        object_ownership: "ObjectWriter",
      };
    },
  },
  {
    rule: "IMGSEC-S3-006",
    what: "the raw bucket policy loses its DenyInsecureTransport statement",
    resource: RAW_BUCKET,
    apply(tf) {
      editPolicy(findResource(tf, "aws_s3_bucket_policy", "raw_policy"), "policy", (doc) => {
        doc.Statement = doc.Statement.filter((s: Tf) => s.Sid !== "DenyInsecureTransport");
      });
    },
  },
  {
    rule: "IMGSEC-S3-006",
    what: "the processed bucket's TLS deny covers only s3:GetObject",
    resource: PROCESSED_BUCKET,
    apply(tf) {
      editPolicy(findResource(tf, "aws_s3_bucket_policy", "processed_policy"), "policy", (doc) => {
        const deny = doc.Statement.find((s: Tf) => s.Sid === "DenyInsecureTransport");
        deny.Action = "s3:GetObject";
      });
    },
  },
  {
    rule: "IMGSEC-S3-007",
    what: "the raw bucket's server access logging is removed",
    resource: RAW_BUCKET,
    apply(tf) {
      removeWithDependents(tf, "aws_s3_bucket_logging", "raw_access-logs");
    },
  },
  {
    rule: "IMGSEC-S3-008",
    what: "the raw bucket's lifecycle rule no longer expires objects",
    resource: RAW_BUCKET,
    apply(tf) {
      delete findResource(tf, "aws_s3_bucket_lifecycle_configuration", "raw_lifecycle").rule[0]
        .expiration;
    },
  },
  {
    rule: "IMGSEC-S3-008",
    what: "the access log bucket's lifecycle rule is disabled",
    resource: /^aws_s3_bucket\.access-logs_bucket_/,
    apply(tf) {
      findResource(
        tf,
        "aws_s3_bucket_lifecycle_configuration",
        "access-logs_lifecycle",
      ).rule[0].status = "Disabled";
    },
  },
  {
    rule: "IMGSEC-S3-009",
    what: "the CloudTrail bucket loses its Object Lock default retention",
    resource: AUDIT_BUCKET,
    apply(tf) {
      removeWithDependents(tf, "aws_s3_bucket_object_lock_configuration", "audit_object-lock");
    },
  },
  {
    rule: "IMGSEC-S3-009",
    what: "the CloudTrail bucket is created without Object Lock",
    resource: AUDIT_BUCKET,
    apply(tf) {
      delete findResource(tf, "aws_s3_bucket", "audit_bucket").object_lock_enabled;
    },
  },
  {
    rule: "IMGSEC-S3-009",
    stack: "imgsec-prod",
    what: "the audit replica bucket loses its Object Lock default retention",
    resource: AUDIT_REPLICA_BUCKET,
    apply(tf) {
      removeWithDependents(
        tf,
        "aws_s3_bucket_object_lock_configuration",
        "audit_replica_object-lock",
      );
    },
  },
  {
    rule: "IMGSEC-S3-010",
    what: "the processed bucket policy allows s3:GetObject to everyone",
    resource: PROCESSED_BUCKET,
    apply(tf) {
      editPolicy(findResource(tf, "aws_s3_bucket_policy", "processed_policy"), "policy", (doc) => {
        const deny = doc.Statement.find((s: Tf) => s.Sid === "DenyInsecureTransport");
        doc.Statement.push({
          Sid: "PublicRead",
          Effect: "Allow",
          Principal: "*",
          Action: "s3:GetObject",
          Resource: deny.Resource[1],
        });
      });
    },
  },
  {
    rule: "IMGSEC-S3-010",
    what: "the raw bucket gets a public-read ACL",
    resource: RAW_BUCKET,
    apply(tf) {
      const bucket = logicalId(tf, "aws_s3_bucket", "raw_bucket");
      addResource(tf, "aws_s3_bucket_acl", "raw_public-acl", {
        bucket: `\${aws_s3_bucket.${bucket}.id}`,
        acl: "public-read",
      });
    },
  },
  // ---- KMS -----------------------------------------------------------------------------------
  {
    rule: "IMGSEC-KMS-001",
    what: "the PHI key's automatic rotation is turned off",
    resource: PHI_KEY,
    apply(tf) {
      phiKey(tf).enable_key_rotation = false;
    },
  },
  {
    rule: "IMGSEC-KMS-002",
    what: "the PHI key's deletion window is 5 days, below the 7-day minimum",
    resource: PHI_KEY,
    apply(tf) {
      phiKey(tf).deletion_window_in_days = 5;
    },
  },
  {
    rule: "IMGSEC-KMS-003",
    what: "the PHI key's deletion window is 10 days, below the recommended 30 (warning)",
    resource: PHI_KEY,
    apply(tf) {
      phiKey(tf).deletion_window_in_days = 10;
    },
  },
  {
    rule: "IMGSEC-KMS-004",
    what: "the PHI key policy lets every AWS principal use the key through S3, unconditionally",
    resource: PHI_KEY,
    apply(tf) {
      editPolicy(phiKey(tf), "policy", (doc) => {
        delete doc.Statement.find((s: Tf) => s.Sid === "AllowS3ForThisAccount").Condition;
      });
    },
  },
  {
    rule: "IMGSEC-KMS-004",
    stack: "imgsec-prod",
    what: "the replica key policy adds an unconditioned Allow kms:* for principal *",
    resource: /^aws_kms_key\.replica-phi-key_/,
    apply(tf) {
      editPolicy(findResource(tf, "aws_kms_key", "replica-phi-key"), "policy", (doc) => {
        doc.Statement.push({
          Sid: "Everyone",
          Effect: "Allow",
          Principal: { AWS: "*" },
          Action: "kms:*",
          Resource: "*",
        });
      });
    },
  },
];
