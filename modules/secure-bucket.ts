import { Construct } from "constructs";
import { Token } from "cdktf";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import { S3BucketLoggingA } from "@cdktf/provider-aws/lib/s3-bucket-logging";
import { S3BucketLifecycleConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration";
import { S3BucketObjectLockConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-object-lock-configuration";
import { S3BucketReplicationConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-replication-configuration";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { ImgsecConfigError, requireInteger } from "./errors";
import { PolicyStatement, policyDocument, serviceTrustPolicy } from "./iam";

export interface LifecycleProps {
  /** Days until objects move to STANDARD_IA (S3 minimum 30). Default 90. */
  readonly infrequentAccessAfterDays?: number;
  /** Days until objects move to GLACIER; at least 30 after the STANDARD_IA transition. Default 180. */
  readonly glacierAfterDays?: number;
  /** Days until current versions expire; after the last transition. Default 2555 (7 years). */
  readonly expireAfterDays?: number;
  /** Days a noncurrent version is kept before it expires. Default 90. */
  readonly noncurrentVersionExpireAfterDays?: number;
  /** Days before an incomplete multipart upload is aborted. Default 7. */
  readonly abortIncompleteMultipartUploadAfterDays?: number;
}

export const DEFAULT_LIFECYCLE: Required<LifecycleProps> = {
  infrequentAccessAfterDays: 90,
  glacierAfterDays: 180,
  expireAfterDays: 2555,
  noncurrentVersionExpireAfterDays: 90,
  abortIncompleteMultipartUploadAfterDays: 7,
};

export interface ObjectLockProps {
  /** COMPLIANCE (default): nobody, root included, can shorten retention or delete a locked version. */
  readonly mode?: "COMPLIANCE" | "GOVERNANCE";
  readonly retentionDays: number;
}

export interface ReplicationProps {
  /** The second region; must differ from the source bucket's. */
  readonly region: string;
  /** The replica bucket's name. */
  readonly bucketName: string;
  /** A customer managed key in the replica region (see PhiKey with resourceRegion). */
  readonly kmsKeyArn: string;
  /** The access-log target bucket in the replica region (server access logs stay in-region). */
  readonly accessLogsTargetBucketName: string;
}

export interface SecureBucketProps {
  readonly bucketName: string;
  readonly accountId: string;
  readonly partition: string;
  /** The region the bucket lives in (used in kms:ViaService conditions). */
  readonly region: string;
  /** Set only for a bucket outside the provider's region (provider v6 per-resource `region`). */
  readonly resourceRegion?: string;
  /**
   * `data` (default) holds PHI: SSE-KMS with `kmsKeyArn` is required. `access-log-target` receives
   * S3 server access logs, where AWS supports only SSE-S3 as default encryption; it is still
   * versioned, private, TLS-only and lifecycle-managed.
   */
  readonly role?: "data" | "access-log-target";
  readonly kmsKeyArn?: string;
  /** Where this bucket's server access logs go. Required for `data` buckets. */
  readonly accessLogs?: { readonly targetBucketName: string; readonly targetPrefix?: string };
  /** For `access-log-target`: the bucket ARNs whose logs S3 may deliver here. */
  readonly logDeliverySourceBucketArns?: string[];
  readonly lifecycle?: LifecycleProps;
  readonly objectLock?: ObjectLockProps;
  /** Cross-region replication to a replica bucket with the same controls. */
  readonly replication?: ReplicationProps;
  /**
   * Why this data bucket keeps no replica (a relaxation of 164.308(a)(7)(ii)(A)/(B)): sets the tag
   * `imgsec:replication-exempt` to the reason and names `replication` in `relaxedControls`; the
   * gate then reports the bucket as WARN with the reason (IMGSEC-S3-011) instead of FAIL. Without
   * either this or `replication`, a data bucket fails the gate. Refused with `replication`, on an
   * access-log target, and when blank or not a valid S3 tag value.
   */
  readonly replicationExemptReason?: string;
  /** Deny any request not made over TLS (aws:SecureTransport false). Default true. */
  readonly attachDenyInsecureTransportPolicy?: boolean;
  /** Deny requests with TLS older than 1.2 (s3:TlsVersion). Default true. */
  readonly attachRequireLatestTlsPolicy?: boolean;
  /** Deny uploads that do not ask for SSE-KMS. Default true on `data` buckets. */
  readonly attachDenyUnencryptedObjectUploads?: boolean;
  /** Deny uploads that name a KMS key other than this bucket's. Default true on `data` buckets. */
  readonly attachDenyIncorrectKmsKey?: boolean;
  /** Extra statements, such as CloudTrail's delivery grant on the audit bucket. */
  readonly additionalPolicyStatements?: PolicyStatement[];
  readonly tags?: Record<string, string>;
}

/** The tag whose value says why a data bucket keeps no replica (read by IMGSEC-S3-011). */
export const REPLICATION_EXEMPT_TAG = "imgsec:replication-exempt";

/** Characters S3 accepts in a tag value (letters, digits, spaces and + - = . _ : / @), at most 256. */
const TAG_VALUE = /^[\p{L}\p{N}\p{Zs}+\-=._:/@]{1,256}$/u;

/** Why a replication exemption reason is refused, or undefined when it is fine. */
export function replicationExemptReasonProblem(reason: string): string | undefined {
  if (reason.trim() === "") return "must say why the bucket keeps no replica";
  if (!TAG_VALUE.test(reason))
    return "must be at most 256 letters, digits, spaces or + - = . _ : / @ (an S3 tag value)";
  return undefined;
}

const BUCKET_NAME = /^(?!xn--)(?!.*-s3alias$)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/**
 * An S3 bucket for PHI with every control on by default (164.312(a)(1), (a)(2)(iv), (b), (c)(1),
 * (e)(1)): SSE-KMS with a bucket key, versioning, all public access blocked, ACLs disabled, a
 * TLS-only bucket policy that also refuses uploads without the right key, server access logging,
 * a lifecycle, and optional Object Lock and cross-region replication. A relaxed control is named
 * in `relaxedControls` and in the `imgsec:relaxed` tag, so the stack summary and checks report it;
 * a data bucket that keeps no replica says why (`replicationExemptReason`).
 */
export class SecureBucket extends Construct {
  public readonly bucket: S3Bucket;
  public readonly bucketName: string;
  public readonly arn: string;
  public readonly relaxedControls: string[] = [];
  public readonly replica?: SecureBucket;
  public readonly policy: S3BucketPolicy;
  public readonly publicAccessBlock: S3BucketPublicAccessBlock;

  constructor(scope: Construct, id: string, props: SecureBucketProps) {
    super(scope, id);
    const role = props.role ?? "data";
    validateBucketName(props.bucketName);
    const lifecycle = resolveLifecycle(props.lifecycle, props.objectLock);
    if (role === "data" && !props.kmsKeyArn) {
      throw new ImgsecConfigError(`bucket "${id}": a data bucket needs kmsKeyArn (SSE-KMS)`);
    }
    if (role === "data" && !props.accessLogs) {
      throw new ImgsecConfigError(
        `bucket "${id}": a data bucket needs accessLogs (a server access log target bucket)`,
      );
    }
    if (role === "access-log-target" && props.accessLogs) {
      throw new ImgsecConfigError(
        `bucket "${id}": the access-log target must not log to another bucket (it would loop or scatter logs)`,
      );
    }
    const exemptReason = props.replicationExemptReason;
    if (exemptReason !== undefined) {
      const problem = props.replication
        ? "is for a bucket without replication, and this one replicates"
        : role !== "data"
          ? "is for a data bucket (an access-log target needs no replica)"
          : replicationExemptReasonProblem(exemptReason);
      if (problem)
        throw new ImgsecConfigError(`bucket "${id}": replicationExemptReason ${problem}`);
    }
    if (props.replication && props.replication.region === props.region) {
      throw new ImgsecConfigError(
        `bucket "${id}": replication region must differ from the bucket's region (${props.region})`,
      );
    }

    const region = props.resourceRegion;
    const relaxed = (name: string, on: boolean | undefined) => {
      if (on === false) this.relaxedControls.push(name);
      return on !== false;
    };
    const denyInsecureTransport = relaxed(
      "deny-insecure-transport",
      props.attachDenyInsecureTransportPolicy,
    );
    const requireTls12 = relaxed("require-tls-1.2", props.attachRequireLatestTlsPolicy);
    const denyUnencrypted =
      role === "data" &&
      relaxed("deny-unencrypted-uploads", props.attachDenyUnencryptedObjectUploads);
    const denyWrongKey =
      role === "data" && relaxed("deny-incorrect-kms-key", props.attachDenyIncorrectKmsKey);

    if (exemptReason !== undefined) this.relaxedControls.push("replication");

    const tags: Record<string, string> = { ...props.tags };
    if (this.relaxedControls.length > 0) tags["imgsec:relaxed"] = this.relaxedControls.join(" ");
    if (exemptReason !== undefined) tags[REPLICATION_EXEMPT_TAG] = exemptReason.trim();

    this.bucketName = props.bucketName;
    this.bucket = new S3Bucket(this, "bucket", {
      bucket: props.bucketName,
      objectLockEnabled: props.objectLock ? true : undefined,
      forceDestroy: false,
      region,
      tags,
    });
    this.arn = `arn:${props.partition}:s3:::${props.bucketName}`;
    const bucket = this.bucket.id;

    this.publicAccessBlock = new S3BucketPublicAccessBlock(this, "public-access-block", {
      bucket,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
      region,
    });
    new S3BucketOwnershipControls(this, "ownership", {
      bucket,
      rule: { objectOwnership: "BucketOwnerEnforced" },
      region,
    });
    new S3BucketServerSideEncryptionConfigurationA(this, "encryption", {
      bucket,
      rule: [
        role === "data"
          ? {
              applyServerSideEncryptionByDefault: {
                sseAlgorithm: "aws:kms",
                kmsMasterKeyId: props.kmsKeyArn,
              },
              bucketKeyEnabled: true,
            }
          : // AWS does not deliver server access logs to a bucket whose default encryption is SSE-KMS.
            { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } },
      ],
      region,
    });
    const versioning = new S3BucketVersioningA(this, "versioning", {
      bucket,
      versioningConfiguration: { status: "Enabled" },
      region,
    });
    if (props.accessLogs) {
      new S3BucketLoggingA(this, "access-logs", {
        bucket,
        targetBucket: props.accessLogs.targetBucketName,
        targetPrefix: props.accessLogs.targetPrefix ?? `${id}/`,
        region,
      });
    }
    new S3BucketLifecycleConfiguration(this, "lifecycle", {
      bucket,
      rule: [
        {
          id: "phi-retention",
          status: "Enabled",
          filter: [{ prefix: "" }],
          transition: [
            { days: lifecycle.infrequentAccessAfterDays, storageClass: "STANDARD_IA" },
            { days: lifecycle.glacierAfterDays, storageClass: "GLACIER" },
          ],
          expiration: [{ days: lifecycle.expireAfterDays }],
          noncurrentVersionExpiration: [
            { noncurrentDays: lifecycle.noncurrentVersionExpireAfterDays },
          ],
          abortIncompleteMultipartUpload: [
            { daysAfterInitiation: lifecycle.abortIncompleteMultipartUploadAfterDays },
          ],
        },
      ],
      dependsOn: [versioning],
      region,
    });
    if (props.objectLock) {
      new S3BucketObjectLockConfigurationA(this, "object-lock", {
        bucket,
        rule: {
          defaultRetention: {
            mode: props.objectLock.mode ?? "COMPLIANCE",
            days: props.objectLock.retentionDays,
          },
        },
        dependsOn: [versioning],
        region,
      });
    }

    const statements: PolicyStatement[] = [];
    const both = [this.arn, `${this.arn}/*`];
    if (denyInsecureTransport) {
      statements.push({
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: both,
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      });
    }
    if (requireTls12) {
      statements.push({
        Sid: "DenyOutdatedTls",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: both,
        Condition: { NumericLessThan: { "s3:TlsVersion": "1.2" } },
      });
    }
    if (denyUnencrypted) {
      statements.push({
        Sid: "DenyUploadsWithoutSseKms",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:PutObject",
        Resource: `${this.arn}/*`,
        // IfExists: an upload that asks for other encryption is refused; one that asks for none
        // gets the bucket's default (SSE-KMS under this key). A plain StringNotEquals would also
        // refuse every multipart UploadPart (authorized as s3:PutObject, sent without the header),
        // Step Functions' ResultWriter and S3's own server-side writes.
        Condition: {
          StringNotEqualsIfExists: { "s3:x-amz-server-side-encryption": "aws:kms" },
        },
      });
    }
    if (denyWrongKey && props.kmsKeyArn) {
      statements.push({
        Sid: "DenyUploadsWithAnotherKmsKey",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:PutObject",
        Resource: `${this.arn}/*`,
        Condition: {
          StringNotEqualsIfExists: {
            "s3:x-amz-server-side-encryption-aws-kms-key-id": props.kmsKeyArn,
          },
        },
      });
    }
    if (role === "access-log-target") {
      statements.push({
        Sid: "AllowServerAccessLogDelivery",
        Effect: "Allow",
        Principal: { Service: "logging.s3.amazonaws.com" },
        Action: "s3:PutObject",
        Resource: `${this.arn}/*`,
        Condition: {
          StringEquals: { "aws:SourceAccount": props.accountId },
          ArnLike: {
            "aws:SourceArn": props.logDeliverySourceBucketArns ?? [`arn:${props.partition}:s3:::*`],
          },
        },
      });
    }
    statements.push(...(props.additionalPolicyStatements ?? []));
    this.policy = new S3BucketPolicy(this, "policy", {
      bucket,
      policy: policyDocument(statements),
      // Public access block first, so the policy is never evaluated against an open bucket.
      dependsOn: [this.publicAccessBlock],
      region,
    });

    if (props.replication) {
      const rep = props.replication;
      this.replica = new SecureBucket(this, "replica", {
        ...props,
        bucketName: rep.bucketName,
        region: rep.region,
        resourceRegion: rep.region,
        kmsKeyArn: rep.kmsKeyArn,
        accessLogs: {
          targetBucketName: rep.accessLogsTargetBucketName,
          targetPrefix: `${id}-replica/`,
        },
        // The replica is the copy: it needs neither replication nor an exemption.
        replication: undefined,
        replicationExemptReason: undefined,
        additionalPolicyStatements: [],
      });
      this.addReplication(props, rep, versioning);
    }
  }

  private addReplication(
    props: SecureBucketProps,
    rep: ReplicationProps,
    versioning: S3BucketVersioningA,
  ): void {
    const replica = this.replica as SecureBucket;
    const role = new IamRole(this, "replication-role", {
      namePrefix: "imgsec-replication-",
      assumeRolePolicy: serviceTrustPolicy("s3.amazonaws.com", {
        StringEquals: { "aws:SourceAccount": props.accountId },
      }),
    });
    new IamRolePolicy(this, "replication-policy", {
      role: role.id,
      policy: policyDocument([
        {
          Sid: "ReadSourceConfiguration",
          Effect: "Allow",
          Action: ["s3:GetReplicationConfiguration", "s3:ListBucket"],
          Resource: this.arn,
        },
        {
          Sid: "ReadSourceVersions",
          Effect: "Allow",
          Action: [
            "s3:GetObjectVersionForReplication",
            "s3:GetObjectVersionAcl",
            "s3:GetObjectVersionTagging",
            "s3:GetObjectRetention",
            "s3:GetObjectLegalHold",
          ],
          Resource: `${this.arn}/*`,
        },
        {
          Sid: "WriteReplica",
          Effect: "Allow",
          Action: [
            "s3:ReplicateObject",
            "s3:ReplicateDelete",
            "s3:ReplicateTags",
            "s3:ObjectOwnerOverrideToBucketOwner",
          ],
          Resource: `${replica.arn}/*`,
        },
        {
          Sid: "DecryptSource",
          Effect: "Allow",
          Action: "kms:Decrypt",
          Resource: props.kmsKeyArn as string,
          Condition: {
            StringEquals: { "kms:ViaService": `s3.${props.region}.amazonaws.com` },
            StringLike: { "kms:EncryptionContext:aws:s3:arn": `${this.arn}/*` },
          },
        },
        {
          Sid: "EncryptReplica",
          Effect: "Allow",
          Action: ["kms:Encrypt", "kms:GenerateDataKey"],
          Resource: rep.kmsKeyArn,
          Condition: {
            StringEquals: { "kms:ViaService": `s3.${rep.region}.amazonaws.com` },
            StringLike: { "kms:EncryptionContext:aws:s3:arn": `${replica.arn}/*` },
          },
        },
      ]),
    });
    new S3BucketReplicationConfigurationA(this, "replication", {
      bucket: this.bucket.id,
      role: role.arn,
      rule: [
        {
          id: "replicate-all",
          status: "Enabled",
          filter: { prefix: "" },
          deleteMarkerReplication: { status: "Enabled" },
          sourceSelectionCriteria: { sseKmsEncryptedObjects: { status: "Enabled" } },
          destination: {
            bucket: replica.arn,
            storageClass: "STANDARD",
            encryptionConfiguration: { replicaKmsKeyId: rep.kmsKeyArn },
          },
        },
      ],
      dependsOn: [versioning, replica.node.findChild("versioning") as S3BucketVersioningA],
      region: props.resourceRegion,
    });
  }
}

function validateBucketName(name: string): void {
  if (Token.isUnresolved(name)) {
    // A name built from a reference (the account id) is checked on its literal parts only.
    const literal = name.replace(/\$\{TfToken\[[^\]]*\]\}/g, "");
    if (!/^[a-z0-9.-]*$/.test(literal) || literal.length > 63) {
      throw new ImgsecConfigError(`bucket name "${literal}…" has characters S3 does not allow`);
    }
    return;
  }
  if (!BUCKET_NAME.test(name) || name.includes("..") || /^\d+\.\d+\.\d+\.\d+$/.test(name)) {
    throw new ImgsecConfigError(
      `bucket name "${name}" is not a valid S3 bucket name (3-63 lowercase letters, digits, '.' or '-')`,
    );
  }
}

export function resolveLifecycle(
  given: LifecycleProps | undefined,
  objectLock?: ObjectLockProps,
): Required<LifecycleProps> {
  const l = { ...DEFAULT_LIFECYCLE, ...stripUndefined(given ?? {}) };
  requireInteger("lifecycle infrequentAccessAfterDays", l.infrequentAccessAfterDays, 30);
  requireInteger("lifecycle glacierAfterDays", l.glacierAfterDays, 1);
  requireInteger("lifecycle expireAfterDays", l.expireAfterDays, 1);
  requireInteger(
    "lifecycle noncurrentVersionExpireAfterDays",
    l.noncurrentVersionExpireAfterDays,
    1,
  );
  requireInteger(
    "lifecycle abortIncompleteMultipartUploadAfterDays",
    l.abortIncompleteMultipartUploadAfterDays,
    1,
  );
  if (l.glacierAfterDays < l.infrequentAccessAfterDays + 30) {
    throw new ImgsecConfigError(
      `lifecycle glacierAfterDays (${l.glacierAfterDays}) must be at least 30 days after infrequentAccessAfterDays (${l.infrequentAccessAfterDays}): S3 keeps objects in STANDARD_IA for 30 days`,
    );
  }
  if (l.expireAfterDays <= l.glacierAfterDays) {
    throw new ImgsecConfigError(
      `lifecycle expireAfterDays (${l.expireAfterDays}) must come after the last transition, glacierAfterDays (${l.glacierAfterDays})`,
    );
  }
  if (objectLock) {
    requireInteger("objectLock retentionDays", objectLock.retentionDays, 1, 36500);
    if (objectLock.retentionDays > l.expireAfterDays) {
      throw new ImgsecConfigError(
        `objectLock retentionDays (${objectLock.retentionDays}) must not exceed lifecycle expireAfterDays (${l.expireAfterDays})`,
      );
    }
  }
  return l;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
