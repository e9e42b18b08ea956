import { Construct } from "constructs";
import { Cloudtrail } from "@cdktf/provider-aws/lib/cloudtrail";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { ITerraformDependable } from "cdktf";
import { ImgsecConfigError } from "./errors";
import { PolicyStatement, policyDocument, serviceTrustPolicy } from "./iam";

export interface AuditTrailProps {
  readonly trailName: string;
  readonly accountId: string;
  readonly partition: string;
  readonly region: string;
  readonly kmsKeyArn: string;
  /** The audit bucket (Object Lock on) that receives log files. */
  readonly bucketName: string;
  readonly s3KeyPrefix?: string;
  /** ARNs of every PHI bucket; reads and writes of their objects are recorded as data events. */
  readonly dataEventBucketArns: string[];
  /** The KMS-encrypted log group that receives the trail, and its ARN. */
  readonly logGroupName: string;
  readonly logGroupArn: string;
  /** The audit bucket's policy, which must grant CloudTrail delivery before the trail is created. */
  readonly dependsOn?: ITerraformDependable[];
}

const TRAIL_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{2,127}$/;

/** The ARN a trail of this name will have; the key and bucket policies name it before it exists. */
export function trailArn(
  p: Pick<AuditTrailProps, "partition" | "region" | "accountId" | "trailName">,
) {
  return `arn:${p.partition}:cloudtrail:${p.region}:${p.accountId}:trail/${p.trailName}`;
}

/** The audit bucket statements that let this trail, and only it, deliver log files. */
export function cloudTrailDeliveryStatements(
  p: Pick<AuditTrailProps, "partition" | "region" | "accountId" | "trailName" | "s3KeyPrefix">,
  bucketArn: string,
): PolicyStatement[] {
  const source = { "aws:SourceArn": trailArn(p) };
  const prefix = p.s3KeyPrefix ?? "cloudtrail";
  return [
    {
      Sid: "AllowCloudTrailAclCheck",
      Effect: "Allow",
      Principal: { Service: "cloudtrail.amazonaws.com" },
      Action: "s3:GetBucketAcl",
      Resource: bucketArn,
      Condition: { StringEquals: source },
    },
    {
      Sid: "AllowCloudTrailWrite",
      Effect: "Allow",
      Principal: { Service: "cloudtrail.amazonaws.com" },
      Action: "s3:PutObject",
      Resource: `${bucketArn}/${prefix}/AWSLogs/${p.accountId}/*`,
      Condition: {
        StringEquals: { ...source, "s3:x-amz-acl": "bucket-owner-full-control" },
      },
    },
  ];
}

/**
 * The audit trail (164.312(b), 164.308(a)(1)(ii)(D)): a multi-region CloudTrail with log file
 * validation (tamper evidence), KMS encryption, management events, and S3 data events (reads and
 * writes) on every PHI bucket, delivered to the audit bucket and to CloudWatch Logs.
 */
export class AuditTrail extends Construct {
  public readonly trail: Cloudtrail;
  public readonly arn: string;

  constructor(scope: Construct, id: string, props: AuditTrailProps) {
    super(scope, id);
    if (!TRAIL_NAME.test(props.trailName)) {
      throw new ImgsecConfigError(
        `trail name "${props.trailName}" must be 3-128 letters, digits, '.', '_' or '-'`,
      );
    }
    if (props.dataEventBucketArns.length === 0) {
      throw new ImgsecConfigError("AuditTrail needs at least one PHI bucket for S3 data events");
    }
    this.arn = trailArn(props);

    const role = new IamRole(this, "logs-role", {
      namePrefix: "imgsec-trail-logs-",
      assumeRolePolicy: serviceTrustPolicy("cloudtrail.amazonaws.com", {
        StringEquals: { "aws:SourceArn": this.arn },
      }),
    });
    const rolePolicy = new IamRolePolicy(this, "logs-policy", {
      role: role.id,
      policy: policyDocument([
        {
          Sid: "DeliverToTrailLogGroup",
          Effect: "Allow",
          Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
          Resource: `${props.logGroupArn}:log-stream:*`,
        },
      ]),
    });

    this.trail = new Cloudtrail(this, "trail", {
      name: props.trailName,
      s3BucketName: props.bucketName,
      s3KeyPrefix: props.s3KeyPrefix ?? "cloudtrail",
      kmsKeyId: props.kmsKeyArn,
      isMultiRegionTrail: true,
      includeGlobalServiceEvents: true,
      enableLogFileValidation: true,
      enableLogging: true,
      cloudWatchLogsGroupArn: `${props.logGroupArn}:*`,
      cloudWatchLogsRoleArn: role.arn,
      eventSelector: [
        {
          readWriteType: "All",
          includeManagementEvents: true,
          dataResource: [
            {
              type: "AWS::S3::Object",
              values: props.dataEventBucketArns.map((arn) => `${arn}/`),
            },
          ],
        },
      ],
      dependsOn: [...(props.dependsOn ?? []), rolePolicy],
    });
  }
}
