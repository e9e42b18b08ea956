import { Construct } from "constructs";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { CloudwatchLogMetricFilter } from "@cdktf/provider-aws/lib/cloudwatch-log-metric-filter";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SnsTopicPolicy } from "@cdktf/provider-aws/lib/sns-topic-policy";
import { SnsTopicSubscription } from "@cdktf/provider-aws/lib/sns-topic-subscription";
import { ImgsecConfigError } from "./errors";
import { policyDocument } from "./iam";

/** Retention values CloudWatch Logs accepts, in days. */
export const CLOUDWATCH_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288,
  3653,
];
/** Six years: 164.316(b)(2)(i) keeps required documentation, audit records among it, that long. */
export const DEFAULT_LOG_RETENTION_DAYS = 2192;
export const MIN_LOG_RETENTION_DAYS = 365;

export function validateLogRetention(days: number): void {
  if (!Number.isInteger(days) || days < MIN_LOG_RETENTION_DAYS) {
    throw new ImgsecConfigError(
      `log retention ${days} days is refused: at least ${MIN_LOG_RETENTION_DAYS} (default ${DEFAULT_LOG_RETENTION_DAYS}, six years per 164.316(b)(2)(i))`,
    );
  }
  if (!CLOUDWATCH_RETENTION_DAYS.includes(days)) {
    throw new ImgsecConfigError(
      `log retention ${days} days is not a value CloudWatch Logs accepts; use one of ${CLOUDWATCH_RETENTION_DAYS.filter((d) => d >= MIN_LOG_RETENTION_DAYS).join(", ")}`,
    );
  }
}

export interface SecurityAlarm {
  readonly name: string;
  readonly description: string;
  readonly pattern: string;
}

/** A filter pattern that matches any of the CloudTrail event names. */
const eventNames = (names: string[]) =>
  `{ ${names.map((e) => `($.eventName = "${e}")`).join(" || ")} }`;

/**
 * Metric filters on the CloudTrail log group, each with its own alarm: every event class of the CIS
 * AWS Foundations Benchmark's monitoring section (IMGSEC-CW-004 checks them), and access denied on
 * the PHI buckets.
 */
export function securityAlarms(phiBucketNames: string[]): SecurityAlarm[] {
  const buckets = phiBucketNames
    .map((b) => `($.requestParameters.bucketName = "${b}")`)
    .join(" || ");
  return [
    {
      name: "UnauthorizedApiCalls",
      description: "API calls refused as unauthorized or access denied",
      pattern: '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }',
    },
    {
      name: "PhiBucketAccessDenied",
      description: "Access denied on a PHI bucket",
      pattern: `{ ($.eventSource = "s3.amazonaws.com") && ($.errorCode = "AccessDenied") && (${buckets}) }`,
    },
    {
      name: "KmsKeyDisabledOrScheduledForDeletion",
      description: "A KMS key was disabled or scheduled for deletion",
      pattern:
        '{ ($.eventSource = "kms.amazonaws.com") && (($.eventName = "DisableKey") || ($.eventName = "ScheduleKeyDeletion")) }',
    },
    {
      name: "BucketPolicyChanges",
      description: "An S3 bucket policy, ACL, CORS, lifecycle or replication setting changed",
      pattern:
        '{ ($.eventSource = "s3.amazonaws.com") && (($.eventName = "PutBucketAcl") || ($.eventName = "PutBucketPolicy") || ($.eventName = "PutBucketCors") || ($.eventName = "PutBucketLifecycle") || ($.eventName = "PutBucketReplication") || ($.eventName = "DeleteBucketPolicy") || ($.eventName = "DeleteBucketCors") || ($.eventName = "DeleteBucketLifecycle") || ($.eventName = "DeleteBucketReplication") || ($.eventName = "PutBucketPublicAccessBlock") || ($.eventName = "DeleteBucketPublicAccessBlock")) }',
    },
    {
      name: "CloudTrailChanges",
      description: "A trail was created, changed, stopped or deleted",
      pattern:
        '{ ($.eventName = "CreateTrail") || ($.eventName = "UpdateTrail") || ($.eventName = "DeleteTrail") || ($.eventName = "StartLogging") || ($.eventName = "StopLogging") || ($.eventName = "PutEventSelectors") }',
    },
    {
      name: "RootAccountUsage",
      description: "The account root user made a request",
      pattern:
        '{ ($.userIdentity.type = "Root") && ($.userIdentity.invokedBy NOT EXISTS) && ($.eventType != "AwsServiceEvent") }',
    },
    {
      name: "ConsoleSignInFailures",
      description: "A console sign-in failed",
      pattern: '{ ($.eventName = "ConsoleLogin") && ($.errorMessage = "Failed authentication") }',
    },
    {
      name: "IamPolicyChanges",
      description: "An IAM policy was created, changed, attached, detached or deleted",
      pattern: eventNames([
        "DeleteGroupPolicy",
        "DeleteRolePolicy",
        "DeleteUserPolicy",
        "PutGroupPolicy",
        "PutRolePolicy",
        "PutUserPolicy",
        "CreatePolicy",
        "DeletePolicy",
        "CreatePolicyVersion",
        "DeletePolicyVersion",
        "AttachRolePolicy",
        "DetachRolePolicy",
        "AttachUserPolicy",
        "DetachUserPolicy",
        "AttachGroupPolicy",
        "DetachGroupPolicy",
      ]),
    },
    {
      name: "SecurityGroupChanges",
      description: "A security group was created, changed or deleted",
      pattern: eventNames([
        "AuthorizeSecurityGroupIngress",
        "AuthorizeSecurityGroupEgress",
        "RevokeSecurityGroupIngress",
        "RevokeSecurityGroupEgress",
        "CreateSecurityGroup",
        "DeleteSecurityGroup",
      ]),
    },
    {
      name: "NetworkAclChanges",
      description: "A network ACL was created, changed or deleted",
      pattern: eventNames([
        "CreateNetworkAcl",
        "CreateNetworkAclEntry",
        "DeleteNetworkAcl",
        "DeleteNetworkAclEntry",
        "ReplaceNetworkAclEntry",
        "ReplaceNetworkAclAssociation",
      ]),
    },
    {
      name: "NetworkGatewayChanges",
      description: "A customer or internet gateway changed",
      pattern: eventNames([
        "CreateCustomerGateway",
        "DeleteCustomerGateway",
        "AttachInternetGateway",
        "CreateInternetGateway",
        "DeleteInternetGateway",
        "DetachInternetGateway",
      ]),
    },
    {
      name: "RouteTableChanges",
      description: "A route or route table changed",
      pattern: eventNames([
        "CreateRoute",
        "CreateRouteTable",
        "ReplaceRoute",
        "ReplaceRouteTableAssociation",
        "DeleteRouteTable",
        "DeleteRoute",
        "DisassociateRouteTable",
      ]),
    },
    {
      name: "VpcChanges",
      description: "A VPC or VPC peering changed",
      pattern: eventNames([
        "CreateVpc",
        "DeleteVpc",
        "ModifyVpcAttribute",
        "AcceptVpcPeeringConnection",
        "CreateVpcPeeringConnection",
        "DeleteVpcPeeringConnection",
        "RejectVpcPeeringConnection",
        "AttachClassicLinkVpc",
        "DetachClassicLinkVpc",
        "DisableVpcClassicLink",
        "EnableVpcClassicLink",
      ]),
    },
  ];
}

export interface MonitoringProps {
  readonly namePrefix: string;
  readonly accountId: string;
  readonly kmsKeyArn: string;
  /** Log retention in days: at least 365; default 2192. */
  readonly logRetentionDays?: number;
  readonly phiBucketNames: string[];
  /** Addresses subscribed to the alarm topic (they confirm by e-mail). Optional. */
  readonly alarmEmails?: string[];
}

/**
 * Logging and alarms (164.308(a)(1)(ii)(D), 164.308(a)(6)(ii), 164.312(b)): KMS-encrypted log
 * groups kept six years by default, metric filters with alarms on the events that signal misuse,
 * and a KMS-encrypted SNS topic as every alarm's action.
 */
export class Monitoring extends Construct {
  public readonly trailLogGroup: CloudwatchLogGroup;
  public readonly pipelineLogGroup: CloudwatchLogGroup;
  public readonly topic: SnsTopic;
  public readonly alarms: CloudwatchMetricAlarm[] = [];

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const retention = props.logRetentionDays ?? DEFAULT_LOG_RETENTION_DAYS;
    validateLogRetention(retention);
    for (const email of props.alarmEmails ?? []) {
      if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) {
        throw new ImgsecConfigError(`alarm e-mail "${email}" is not an e-mail address`);
      }
    }
    const logGroup = (lid: string, name: string) =>
      new CloudwatchLogGroup(this, lid, {
        name,
        kmsKeyId: props.kmsKeyArn,
        retentionInDays: retention,
      });
    this.trailLogGroup = logGroup("trail-logs", `/imgsec/${props.namePrefix}/cloudtrail`);
    this.pipelineLogGroup = logGroup("pipeline-logs", `/imgsec/${props.namePrefix}/pipeline`);

    this.topic = new SnsTopic(this, "alarm-topic", {
      name: `${props.namePrefix}-security-alarms`,
      kmsMasterKeyId: props.kmsKeyArn,
    });
    new SnsTopicPolicy(this, "alarm-topic-policy", {
      arn: this.topic.arn,
      policy: policyDocument([
        {
          Sid: "AllowCloudWatchAlarmsOfThisAccount",
          Effect: "Allow",
          Principal: { Service: "cloudwatch.amazonaws.com" },
          Action: "sns:Publish",
          Resource: this.topic.arn,
          Condition: { StringEquals: { "aws:SourceAccount": props.accountId } },
        },
        {
          Sid: "DenyInsecureTransport",
          Effect: "Deny",
          Principal: "*",
          Action: "sns:Publish",
          Resource: this.topic.arn,
          Condition: { Bool: { "aws:SecureTransport": "false" } },
        },
      ]),
    });
    (props.alarmEmails ?? []).forEach((endpoint, i) => {
      new SnsTopicSubscription(this, `alarm-email-${i}`, {
        topicArn: this.topic.arn,
        protocol: "email",
        endpoint,
      });
    });

    const namespace = `imgsec/${props.namePrefix}`;
    for (const alarm of securityAlarms(props.phiBucketNames)) {
      new CloudwatchLogMetricFilter(this, `filter-${alarm.name}`, {
        name: `${props.namePrefix}-${alarm.name}`,
        logGroupName: this.trailLogGroup.name,
        pattern: alarm.pattern,
        metricTransformation: { name: alarm.name, namespace, value: "1", defaultValue: "0" },
      });
      this.alarms.push(
        new CloudwatchMetricAlarm(this, `alarm-${alarm.name}`, {
          alarmName: `${props.namePrefix}-${alarm.name}`,
          alarmDescription: alarm.description,
          namespace,
          metricName: alarm.name,
          statistic: "Sum",
          period: 300,
          evaluationPeriods: 1,
          threshold: 1,
          comparisonOperator: "GreaterThanOrEqualToThreshold",
          treatMissingData: "notBreaching",
          actionsEnabled: true,
          alarmActions: [this.topic.arn],
        }),
      );
    }
  }
}
