import { Construct } from "constructs";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { ImgsecConfigError, requireInteger } from "./errors";
import { PolicyStatement, policyDocument } from "./iam";

/** Which AWS services may use the key. Each grant carries conditions; none is an open `*`. */
export interface PhiKeyServiceGrants {
  /** S3 SSE-KMS for callers in this account, only through S3 in this region (kms:ViaService). */
  readonly s3?: boolean;
  /** CloudWatch Logs in this region, only for log groups of this account (encryption context). */
  readonly cloudwatchLogs?: boolean;
  /** CloudTrail, only for the named trail (aws:SourceArn) and trails of this account (encryption context). */
  readonly cloudtrailTrailArn?: string;
  /** SNS topics encrypted with the key, used through SNS in this region, and CloudWatch alarms of
   * this account publishing to them. */
  readonly sns?: boolean;
  /** EventBridge, only for the named rules (aws:SourceArn): it sends events it could not deliver to
   * a dead-letter queue encrypted with the key. */
  readonly eventBridgeRuleArns?: string[];
}

export interface PhiKeyProps {
  /** Alias name without the `alias/` prefix. */
  readonly alias: string;
  readonly description?: string;
  readonly accountId: string;
  readonly partition: string;
  /** The region the key lives in (service principals and kms:ViaService are regional). */
  readonly region: string;
  /** Set only for a key outside the provider's region, such as a replica key (provider v6 `region`). */
  readonly resourceRegion?: string;
  /** Days before a scheduled deletion takes effect: 7 to 30, default 30 (the longest AWS allows). */
  readonly deletionWindowInDays?: number;
  /** Automatic rotation period: 90 to 2560 days, default 365. Rotation itself cannot be turned off. */
  readonly rotationPeriodInDays?: number;
  readonly services?: PhiKeyServiceGrants;
  readonly tags?: Record<string, string>;
}

const ALIAS_PATTERN = /^[a-zA-Z0-9/_-]{1,250}$/;

/**
 * A customer managed KMS key for PHI (164.312(a)(2)(iv), 164.312(e)(2)(ii)): automatic rotation,
 * the longest deletion window, and a key policy in which the account root administers the key and
 * only the named services may use it, each under conditions.
 */
export class PhiKey extends Construct {
  public readonly key: KmsKey;
  public readonly alias: KmsAlias;
  public readonly arn: string;
  public readonly aliasName: string;

  constructor(scope: Construct, id: string, props: PhiKeyProps) {
    super(scope, id);
    const deletionWindow = props.deletionWindowInDays ?? 30;
    requireInteger("PhiKey deletionWindowInDays", deletionWindow, 7, 30);
    const rotationPeriod = props.rotationPeriodInDays ?? 365;
    requireInteger("PhiKey rotationPeriodInDays", rotationPeriod, 90, 2560);
    if (!ALIAS_PATTERN.test(props.alias) || props.alias.startsWith("aws/")) {
      throw new ImgsecConfigError(
        `PhiKey alias "${props.alias}" must be 1-250 letters, digits, '/', '_' or '-' and not start with aws/`,
      );
    }

    this.key = new KmsKey(this, "key", {
      description: props.description ?? "imgsec PHI key",
      enableKeyRotation: true,
      rotationPeriodInDays: rotationPeriod,
      deletionWindowInDays: deletionWindow,
      keyUsage: "ENCRYPT_DECRYPT",
      customerMasterKeySpec: "SYMMETRIC_DEFAULT",
      policy: policyDocument(phiKeyPolicyStatements(props)),
      region: props.resourceRegion,
      tags: props.tags,
    });
    this.aliasName = `alias/${props.alias}`;
    this.alias = new KmsAlias(this, "alias", {
      name: this.aliasName,
      targetKeyId: this.key.keyId,
      region: props.resourceRegion,
    });
    this.arn = this.key.arn;
  }
}

const USE_ACTIONS = [
  "kms:Encrypt",
  "kms:Decrypt",
  "kms:ReEncrypt*",
  "kms:GenerateDataKey*",
  "kms:DescribeKey",
];

export function phiKeyPolicyStatements(props: PhiKeyProps): PolicyStatement[] {
  const { accountId, partition, region } = props;
  const services = props.services ?? {};
  const root = `arn:${partition}:iam::${accountId}:root`;
  const statements: PolicyStatement[] = [
    {
      // Without this the key becomes unmanageable; IAM policies in the account then decide who uses it.
      Sid: "AccountRootAdministersKey",
      Effect: "Allow",
      Principal: { AWS: root },
      Action: "kms:*",
      Resource: "*",
    },
  ];
  if (services.s3) {
    statements.push({
      Sid: "AllowS3ForThisAccount",
      Effect: "Allow",
      Principal: { AWS: "*" },
      Action: USE_ACTIONS,
      Resource: "*",
      Condition: {
        StringEquals: {
          "kms:CallerAccount": accountId,
          "kms:ViaService": `s3.${region}.amazonaws.com`,
        },
      },
    });
  }
  if (services.cloudwatchLogs) {
    statements.push({
      Sid: "AllowCloudWatchLogsForThisAccount",
      Effect: "Allow",
      Principal: { Service: `logs.${region}.amazonaws.com` },
      Action: USE_ACTIONS,
      Resource: "*",
      Condition: {
        ArnLike: {
          "kms:EncryptionContext:aws:logs:arn": `arn:${partition}:logs:${region}:${accountId}:log-group:*`,
        },
      },
    });
  }
  if (services.cloudtrailTrailArn) {
    statements.push(
      {
        Sid: "AllowCloudTrailToEncryptLogs",
        Effect: "Allow",
        Principal: { Service: "cloudtrail.amazonaws.com" },
        Action: "kms:GenerateDataKey*",
        Resource: "*",
        Condition: {
          StringEquals: { "aws:SourceArn": services.cloudtrailTrailArn },
          StringLike: {
            "kms:EncryptionContext:aws:cloudtrail:arn": `arn:${partition}:cloudtrail:*:${accountId}:trail/*`,
          },
        },
      },
      {
        Sid: "AllowCloudTrailToDescribeKey",
        Effect: "Allow",
        Principal: { Service: "cloudtrail.amazonaws.com" },
        Action: "kms:DescribeKey",
        Resource: "*",
        Condition: { StringEquals: { "aws:SourceArn": services.cloudtrailTrailArn } },
      },
    );
  }
  if (services.sns) {
    statements.push(
      {
        Sid: "AllowSnsForThisAccount",
        Effect: "Allow",
        Principal: { AWS: "*" },
        Action: ["kms:Decrypt", "kms:GenerateDataKey*", "kms:DescribeKey"],
        Resource: "*",
        Condition: {
          StringEquals: {
            "kms:CallerAccount": accountId,
            "kms:ViaService": `sns.${region}.amazonaws.com`,
          },
        },
      },
      {
        // Alarms publish to the encrypted topic as the CloudWatch service.
        Sid: "AllowCloudWatchAlarmsToPublish",
        Effect: "Allow",
        Principal: { Service: "cloudwatch.amazonaws.com" },
        Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
        Resource: "*",
        Condition: { StringEquals: { "aws:SourceAccount": accountId } },
      },
    );
  }
  if (services.eventBridgeRuleArns?.length) {
    statements.push({
      Sid: "AllowEventBridgeDeadLetters",
      Effect: "Allow",
      Principal: { Service: "events.amazonaws.com" },
      Action: ["kms:Decrypt", "kms:GenerateDataKey"],
      Resource: "*",
      Condition: { ArnEquals: { "aws:SourceArn": services.eventBridgeRuleArns } },
    });
  }
  return statements;
}
