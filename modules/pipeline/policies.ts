/**
 * Every IAM and resource policy of the pipeline, as pure functions of the ARNs they name, so the
 * least-privilege table is tested statement by statement. No statement allows a `*` action; a `*`
 * resource appears only where AWS supports nothing narrower, each marked `AWS_REQUIRES_STAR`.
 */
import { CONTEXT_SCHEMA, CTX, ESDK_PUBLIC_KEY } from "../../handlers/crypto/context";
import { PolicyStatement } from "../iam";

/** Where the pipeline reads and writes: each prefix ends with "/". */
export interface PipelineLocations {
  readonly rawBucketArn: string;
  readonly incomingPrefix: string;
  readonly quarantinePrefix: string;
  readonly processedBucketArn: string;
  readonly processedPrefix: string;
  readonly auditBucketArn: string;
  readonly auditPrefix: string;
  readonly backfillResultPrefix: string;
}

export interface PipelineArns extends PipelineLocations {
  readonly partition: string;
  readonly region: string;
  readonly accountId: string;
  readonly phiKeyArn: string;
  readonly signingKeyArn: string;
  readonly secretArn: string;
  readonly deadLetterQueueArn: string;
  readonly functionArn: string;
  readonly functionRoleArn: string;
  readonly functionLogGroupArn: string;
  /** The dataset id the function encrypts for; the KMS grant is bound to it. */
  readonly dataset: string;
  readonly objectStateMachineArn: string;
  readonly backfillStateMachineArn: string;
  /** Arn prefix of the backfill's executions and its Distributed Map's child executions. */
  readonly backfillExecutionsArn: string;
  readonly eventRuleArn: string;
  /** VPC mode: the subnets and the security group the function's network interfaces use. */
  readonly vpc?: { readonly subnetArns: string[]; readonly securityGroupArn: string };
  /** Backfill from an S3 Inventory: the bucket and prefix its manifests and files are under. */
  readonly inventory?: { readonly bucketArn: string; readonly prefix: string };
}

/** Actions AWS authorizes only on resource "*": each use is listed in the pipeline's README. */
export const AWS_REQUIRES_STAR: Readonly<Record<string, string>> = {
  "xray:PutTraceSegments": "X-Ray has no resource-level permissions",
  "xray:PutTelemetryRecords": "X-Ray has no resource-level permissions",
  "xray:GetSamplingRules": "X-Ray has no resource-level permissions",
  "xray:GetSamplingTargets": "X-Ray has no resource-level permissions",
  "logs:CreateLogDelivery":
    "CloudWatch Logs vended-log delivery (Step Functions logging) supports only *",
  "logs:GetLogDelivery": "CloudWatch Logs vended-log delivery supports only *",
  "logs:UpdateLogDelivery": "CloudWatch Logs vended-log delivery supports only *",
  "logs:DeleteLogDelivery": "CloudWatch Logs vended-log delivery supports only *",
  "logs:ListLogDeliveries": "CloudWatch Logs vended-log delivery supports only *",
  "logs:PutResourcePolicy": "CloudWatch Logs vended-log delivery supports only *",
  "logs:DescribeResourcePolicies": "CloudWatch Logs vended-log delivery supports only *",
  "logs:DescribeLogGroups": "CloudWatch Logs vended-log delivery supports only *",
  "ec2:DescribeNetworkInterfaces": "EC2 Describe* actions support only *",
  "ec2:DescribeSubnets": "EC2 Describe* actions support only *",
};

const objects = (bucketArn: string, prefix: string) => `${bucketArn}/${prefix}*`;

/** The package encryption context a GenerateDataKey or Decrypt must carry: schema 1, this dataset,
 * the imgsec producer, every imgsec key present, and no key but ours (and the ESDK's own). */
export function packageContextCondition(dataset: string): PolicyStatement["Condition"] {
  const key = (k: string) => `kms:EncryptionContext:${k}`;
  return {
    StringEquals: { [key(CTX.schema)]: CONTEXT_SCHEMA, [key(CTX.dataset)]: dataset },
    StringLike: {
      [key(CTX.modality)]: "?*",
      [key(CTX.policyHash)]: "?*",
      [key(CTX.pixelDigest)]: "?*",
      [key(CTX.producer)]: "imgsec/*",
    },
    "ForAllValues:StringEquals": {
      "kms:EncryptionContextKeys": [...Object.values(CTX), ESDK_PUBLIC_KEY],
    },
  };
}

/** KMS use by S3 on the caller's behalf (SSE-KMS reads and writes), bound to the given buckets and
 * object prefixes through the encryption context S3 sends (the bucket ARN with S3 Bucket Keys). */
function kmsThroughS3(
  sid: string,
  p: PipelineArns,
  actions: string[],
  contexts: string[],
): PolicyStatement {
  return {
    Sid: sid,
    Effect: "Allow",
    Action: actions,
    Resource: p.phiKeyArn,
    Condition: {
      StringEquals: { "kms:ViaService": `s3.${p.region}.amazonaws.com` },
      StringLike: { "kms:EncryptionContext:aws:s3:arn": contexts },
    },
  };
}

function kmsThroughSqs(sid: string, p: PipelineArns): PolicyStatement {
  return {
    Sid: sid,
    Effect: "Allow",
    Action: ["kms:GenerateDataKey", "kms:Decrypt"],
    Resource: p.phiKeyArn,
    Condition: {
      StringEquals: {
        "kms:ViaService": `sqs.${p.region}.amazonaws.com`,
        "kms:EncryptionContext:aws:sqs:arn": p.deadLetterQueueArn,
      },
    },
  };
}

const xray = (actions: string[]): PolicyStatement => ({
  Sid: "WriteTraces",
  Effect: "Allow",
  Action: actions,
  Resource: "*", // AWS_REQUIRES_STAR
});

/** The processing function's role. */
export function functionPolicyStatements(p: PipelineArns): PolicyStatement[] {
  const incoming = objects(p.rawBucketArn, p.incomingPrefix);
  const quarantine = objects(p.rawBucketArn, p.quarantinePrefix);
  const packages = objects(p.processedBucketArn, p.processedPrefix);
  const audit = objects(p.auditBucketArn, p.auditPrefix);
  const statements: PolicyStatement[] = [
    {
      Sid: "ReadIncomingObjects",
      Effect: "Allow",
      Action: ["s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectTagging"],
      Resource: incoming,
    },
    {
      // Quarantine moves an object: copy under the quarantine prefix, then a delete marker here.
      // No s3:DeleteObjectVersion: the identified original stays recoverable as a noncurrent
      // version until the bucket's lifecycle expires it.
      Sid: "MoveQuarantinedObjects",
      Effect: "Allow",
      Action: "s3:DeleteObject",
      Resource: incoming,
    },
    {
      Sid: "WritePackagesAndQuarantine",
      Effect: "Allow",
      Action: ["s3:PutObject", "s3:PutObjectTagging"],
      Resource: [packages, quarantine],
    },
    {
      // Read back what is already there (HeadObject): a rerun finds its own package (duplicate)
      // or another object's (conflict) and never overwrites either.
      Sid: "ReadOwnOutputs",
      Effect: "Allow",
      Action: "s3:GetObject",
      Resource: [packages, quarantine],
    },
    {
      // HeadObject of a name nobody wrote yet answers 404 only to a role that may list the bucket
      // (403 otherwise, which would read as "denied"); package names are new UIDs, no PHI.
      Sid: "TellMissingPackages",
      Effect: "Allow",
      Action: "s3:ListBucket",
      Resource: p.processedBucketArn,
    },
    {
      // Segments get the bucket's default Object Lock retention (no s3:PutObjectRetention); a
      // retried seal reads back a segment whose first PUT answer was lost (handlers/audit/s3.ts).
      Sid: "WriteAuditSegments",
      Effect: "Allow",
      Action: ["s3:PutObject", "s3:GetObject"],
      Resource: audit,
    },
    kmsThroughS3(
      "UsePhiKeyThroughS3",
      p,
      ["kms:Decrypt", "kms:GenerateDataKey"],
      [
        p.rawBucketArn,
        incoming,
        quarantine,
        p.processedBucketArn,
        packages,
        p.auditBucketArn,
        audit,
      ],
    ),
    {
      Sid: "EncryptPackages",
      Effect: "Allow",
      Action: ["kms:GenerateDataKey", "kms:Decrypt"],
      Resource: p.phiKeyArn,
      Condition: packageContextCondition(p.dataset),
    },
    {
      Sid: "ReadPipelineKeys",
      Effect: "Allow",
      // DescribeSecret: the handler checks the secret is under the PHI key before reading it.
      Action: ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
      Resource: p.secretArn,
    },
    {
      Sid: "DecryptPipelineKeys",
      Effect: "Allow",
      Action: "kms:Decrypt",
      Resource: p.phiKeyArn,
      Condition: {
        StringEquals: {
          "kms:ViaService": `secretsmanager.${p.region}.amazonaws.com`,
          "kms:EncryptionContext:SecretARN": p.secretArn,
        },
      },
    },
    {
      Sid: "SignAuditCheckpoints",
      Effect: "Allow",
      Action: "kms:Sign",
      Resource: p.signingKeyArn,
      Condition: {
        StringEquals: { "kms:SigningAlgorithm": "ECDSA_SHA_256", "kms:MessageType": "RAW" },
      },
    },
    {
      Sid: "ReadAuditPublicKey",
      Effect: "Allow",
      Action: "kms:GetPublicKey",
      Resource: p.signingKeyArn,
    },
    {
      // Asynchronous invocations that fail go to the dead-letter queue (on-failure destination).
      Sid: "SendFailedInvocations",
      Effect: "Allow",
      Action: "sqs:SendMessage",
      Resource: p.deadLetterQueueArn,
    },
    kmsThroughSqs("EncryptFailedInvocations", p),
    {
      Sid: "WriteLogs",
      Effect: "Allow",
      Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
      Resource: `${p.functionLogGroupArn}:log-stream:*`,
    },
    xray(["xray:PutTraceSegments", "xray:PutTelemetryRecords"]),
  ];
  if (p.vpc) {
    const eni = `arn:${p.partition}:ec2:${p.region}:${p.accountId}:network-interface/*`;
    statements.push(
      {
        Sid: "CreateNetworkInterfaces",
        Effect: "Allow",
        Action: "ec2:CreateNetworkInterface",
        Resource: [eni, ...p.vpc.subnetArns, p.vpc.securityGroupArn],
      },
      {
        Sid: "ManageNetworkInterfaces",
        Effect: "Allow",
        Action: [
          "ec2:DeleteNetworkInterface",
          "ec2:AssignPrivateIpAddresses",
          "ec2:UnassignPrivateIpAddresses",
        ],
        Resource: eni,
      },
      {
        Sid: "DescribeNetworkInterfaces",
        Effect: "Allow",
        Action: ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"],
        Resource: "*", // AWS_REQUIRES_STAR
      },
    );
  }
  return statements;
}

/** What both state machines need: invoke the one function, record failures, encrypt their own
 * execution data, deliver logs, trace. */
function stateMachineCommon(p: PipelineArns, stateMachineArn: string): PolicyStatement[] {
  return [
    {
      Sid: "InvokeProcessingFunction",
      Effect: "Allow",
      Action: "lambda:InvokeFunction",
      Resource: [p.functionArn, `${p.functionArn}:*`],
    },
    {
      Sid: "RecordFailures",
      Effect: "Allow",
      Action: "sqs:SendMessage",
      Resource: p.deadLetterQueueArn,
    },
    kmsThroughSqs("EncryptFailureRecords", p),
    {
      Sid: "EncryptExecutionData",
      Effect: "Allow",
      Action: ["kms:GenerateDataKey", "kms:Decrypt"],
      Resource: p.phiKeyArn,
      Condition: {
        StringLike: {
          "kms:EncryptionContext:aws:states:stateMachineArn": [
            stateMachineArn,
            `${stateMachineArn}/*`,
          ],
        },
      },
    },
    {
      Sid: "DeliverLogs",
      Effect: "Allow",
      Action: [
        "logs:CreateLogDelivery",
        "logs:GetLogDelivery",
        "logs:UpdateLogDelivery",
        "logs:DeleteLogDelivery",
        "logs:ListLogDeliveries",
        "logs:PutResourcePolicy",
        "logs:DescribeResourcePolicies",
        "logs:DescribeLogGroups",
      ],
      Resource: "*", // AWS_REQUIRES_STAR
    },
    xray([
      "xray:PutTraceSegments",
      "xray:PutTelemetryRecords",
      "xray:GetSamplingRules",
      "xray:GetSamplingTargets",
    ]),
  ];
}

/** The per-object (steady traffic) state machine's role. */
export function objectStateMachineStatements(p: PipelineArns): PolicyStatement[] {
  return stateMachineCommon(p, p.objectStateMachineArn);
}

/** The backfill state machine's role: the common grants, the item reader, the result writer and
 * the Distributed Map's child executions of itself. */
export function backfillStateMachineStatements(p: PipelineArns): PolicyStatement[] {
  const results = objects(p.auditBucketArn, p.backfillResultPrefix);
  const reader: PolicyStatement[] = p.inventory
    ? [
        {
          Sid: "ReadInventoryManifests",
          Effect: "Allow",
          Action: "s3:GetObject",
          Resource: objects(p.inventory.bucketArn, p.inventory.prefix),
        },
      ]
    : [
        {
          Sid: "ListIncomingObjects",
          Effect: "Allow",
          Action: "s3:ListBucket",
          Resource: p.rawBucketArn,
          Condition: { StringLike: { "s3:prefix": `${p.incomingPrefix}*` } },
        },
      ];
  return [
    ...stateMachineCommon(p, p.backfillStateMachineArn),
    ...reader,
    {
      Sid: "WriteBackfillResults",
      Effect: "Allow",
      Action: [
        "s3:PutObject",
        "s3:GetObject",
        "s3:ListMultipartUploadParts",
        "s3:AbortMultipartUpload",
      ],
      Resource: results,
    },
    kmsThroughS3(
      "UsePhiKeyForBackfillResults",
      p,
      ["kms:GenerateDataKey", "kms:Decrypt"],
      [p.auditBucketArn, results],
    ),
    {
      Sid: "StartChildWorkflows",
      Effect: "Allow",
      Action: "states:StartExecution",
      Resource: p.backfillStateMachineArn,
    },
    {
      Sid: "ManageChildWorkflows",
      Effect: "Allow",
      Action: ["states:DescribeExecution", "states:StopExecution", "states:RedriveExecution"],
      Resource: `${p.backfillExecutionsArn}/*`,
    },
  ];
}

/** The EventBridge rule's role: start executions of the per-object state machine, nothing else. */
export function eventRuleStatements(p: PipelineArns): PolicyStatement[] {
  return [
    {
      Sid: "StartObjectExecutions",
      Effect: "Allow",
      Action: "states:StartExecution",
      Resource: p.objectStateMachineArn,
    },
  ];
}

/**
 * The audit signing key's policy: the account administers the key (so it can be managed and its
 * policy changed, which CloudTrail records) but cannot sign; only the function roles sign. The
 * public key is not secret: the account may read it (IAM decides who), so auditors can verify.
 */
export function signingKeyPolicyStatements(p: {
  partition: string;
  accountId: string;
  signerRoleArns: string[];
}): PolicyStatement[] {
  const root = `arn:${p.partition}:iam::${p.accountId}:root`;
  return [
    {
      Sid: "AccountAdministersKey",
      Effect: "Allow",
      Principal: { AWS: root },
      // Named actions, no wildcard: managing the key and its alias, and reading the public key.
      Action: [
        "kms:DescribeKey",
        "kms:GetKeyPolicy",
        "kms:PutKeyPolicy",
        "kms:GetKeyRotationStatus",
        "kms:GetPublicKey",
        "kms:ListResourceTags",
        "kms:ListGrants",
        "kms:RevokeGrant",
        "kms:TagResource",
        "kms:UntagResource",
        "kms:CreateAlias",
        "kms:UpdateAlias",
        "kms:DeleteAlias",
        "kms:UpdateKeyDescription",
        "kms:EnableKey",
        "kms:DisableKey",
        "kms:ScheduleKeyDeletion",
        "kms:CancelKeyDeletion",
      ],
      Resource: "*",
    },
    {
      Sid: "OnlyPipelineFunctionsSign",
      Effect: "Allow",
      Principal: { AWS: p.signerRoleArns },
      Action: ["kms:Sign", "kms:GetPublicKey"],
      Resource: "*",
    },
  ];
}

/** The dead-letter queue's policy: EventBridge may deliver only for the pipeline's rule; nothing
 * reaches it without TLS. */
export function deadLetterQueuePolicyStatements(p: {
  queueArn: string;
  eventRuleArn: string;
}): PolicyStatement[] {
  return [
    {
      Sid: "AllowEventBridgeDeadLetters",
      Effect: "Allow",
      Principal: { Service: "events.amazonaws.com" },
      Action: "sqs:SendMessage",
      Resource: p.queueArn,
      Condition: { ArnEquals: { "aws:SourceArn": p.eventRuleArn } },
    },
    {
      Sid: "DenyInsecureTransport",
      Effect: "Deny",
      Principal: "*",
      Action: "sqs:*",
      Resource: p.queueArn,
      Condition: { Bool: { "aws:SecureTransport": "false" } },
    },
  ];
}

/** The keys secret's resource policy: nobody but the function roles reads the value, whatever
 * their IAM policies say (administrators change this policy first, which CloudTrail records). */
export function keysSecretPolicyStatements(p: { readerRoleArns: string[] }): PolicyStatement[] {
  return [
    {
      Sid: "DenyReadExceptPipelineFunctions",
      Effect: "Deny",
      Principal: "*",
      Action: "secretsmanager:GetSecretValue",
      Resource: "*",
      Condition: { StringNotEquals: { "aws:PrincipalArn": p.readerRoleArns } },
    },
  ];
}
