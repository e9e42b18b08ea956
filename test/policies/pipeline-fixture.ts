/**
 * A small cdktf stack holding one compliant instance of every resource the pipeline rules judge
 * (IMGSEC-SQS-*, SM-*, SFN-003, LMB-007/008, IAM-004, EB-*, VPC-*): a KMS key, a dead-letter queue
 * with its TLS-only policy, a function in a VPC with a function URL, two secrets (one rotating), a
 * state machine encrypted with the key, an EventBridge rule and target, a custom event bus with its
 * policy, a VPC with flow logs, its default security group adopted and closed, and security groups
 * whose ingress comes only from inside the VPC. The mutations in mutations/pipeline.ts break one
 * attribute of it; the harness checks that the gate then fails that rule only.
 *
 * Built from the provider's constructs (not hand-written JSON), so the attributes are spelled as
 * `cdktf synth` writes them. It has no bucket or trail, so the S3 and CloudTrail rules see nothing.
 */
import { CloudwatchEventBus } from "@cdktf/provider-aws/lib/cloudwatch-event-bus";
import { CloudwatchEventBusPolicy } from "@cdktf/provider-aws/lib/cloudwatch-event-bus-policy";
import { CloudwatchEventRule } from "@cdktf/provider-aws/lib/cloudwatch-event-rule";
import { CloudwatchEventTarget } from "@cdktf/provider-aws/lib/cloudwatch-event-target";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { DefaultSecurityGroup } from "@cdktf/provider-aws/lib/default-security-group";
import { FlowLog } from "@cdktf/provider-aws/lib/flow-log";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { LambdaFunctionUrl } from "@cdktf/provider-aws/lib/lambda-function-url";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission";
import { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret";
import { SecretsmanagerSecretRotation } from "@cdktf/provider-aws/lib/secretsmanager-secret-rotation";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { SecurityGroupRule } from "@cdktf/provider-aws/lib/security-group-rule";
import { SfnStateMachine } from "@cdktf/provider-aws/lib/sfn-state-machine";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { SqsQueuePolicy } from "@cdktf/provider-aws/lib/sqs-queue-policy";
import { Subnet } from "@cdktf/provider-aws/lib/subnet";
import { Vpc } from "@cdktf/provider-aws/lib/vpc";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { Construct } from "constructs";
import { synthJson } from "../helpers/tf";
import { Tf } from "./mutations/types";

const ACCOUNT = "111122223333";

/** The date the fixture is judged on: nodejs24.x is supported then, nodejs20.x deprecated. */
export const FIXTURE_EVALUATION_DATE = "2026-12-02";

type Statement = Record<string, unknown>;
const policy = (statements: Statement[]): string =>
  JSON.stringify({ Version: "2012-10-17", Statement: statements });

/** A role a service assumes for this account only. */
function serviceRole(scope: Construct, id: string, service: string): IamRole {
  return new IamRole(scope, id, {
    namePrefix: `imgsec-${id}-`,
    assumeRolePolicy: policy([
      {
        Sid: "TrustService",
        Effect: "Allow",
        Principal: { Service: service },
        Action: "sts:AssumeRole",
        Condition: { StringEquals: { "aws:SourceAccount": ACCOUNT } },
      },
    ]),
  });
}

function build(scope: Construct): void {
  const key = new KmsKey(scope, "key", {
    description: "imgsec fixture: PHI key",
    enableKeyRotation: true,
    deletionWindowInDays: 30,
  });
  const logs = new CloudwatchLogGroup(scope, "logs", {
    name: "/imgsec/fixture",
    kmsKeyId: key.arn,
    retentionInDays: 2192,
  });

  // ---- network: VPC with flow logs, default group closed, ingress only from inside -------------
  const vpc = new Vpc(scope, "vpc", { cidrBlock: "10.0.0.0/16" });
  const subnet = new Subnet(scope, "subnet", { vpcId: vpc.id, cidrBlock: "10.0.1.0/24" });
  new DefaultSecurityGroup(scope, "default-sg", { vpcId: vpc.id });
  const flowRole = serviceRole(scope, "flow-role", "vpc-flow-logs.amazonaws.com");
  new IamRolePolicy(scope, "flow-policy", {
    role: flowRole.id,
    policy: policy([
      {
        Sid: "DeliverFlowLogs",
        Effect: "Allow",
        Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
        Resource: [logs.arn, `${logs.arn}:log-stream:*`],
      },
    ]),
  });
  new FlowLog(scope, "flow-log", {
    vpcId: vpc.id,
    trafficType: "ALL",
    logDestinationType: "cloud-watch-logs",
    logDestination: logs.arn,
    iamRoleArn: flowRole.arn,
  });
  const functionSg = new SecurityGroup(scope, "function-sg", {
    vpcId: vpc.id,
    description: "pipeline function: HTTPS to the endpoints only",
    egress: [
      {
        description: "HTTPS to the VPC endpoints",
        fromPort: 443,
        toPort: 443,
        protocol: "tcp",
        cidrBlocks: [vpc.cidrBlock],
      },
    ],
  });
  const endpointSg = new SecurityGroup(scope, "endpoint-sg", {
    vpcId: vpc.id,
    description: "interface endpoints",
  });
  new VpcSecurityGroupIngressRule(scope, "endpoint-from-vpc", {
    securityGroupId: endpointSg.id,
    cidrIpv4: vpc.cidrBlock,
    ipProtocol: "tcp",
    fromPort: 443,
    toPort: 443,
  });
  new SecurityGroupRule(scope, "endpoint-from-function", {
    securityGroupId: endpointSg.id,
    type: "ingress",
    sourceSecurityGroupId: functionSg.id,
    protocol: "tcp",
    fromPort: 443,
    toPort: 443,
  });

  // ---- dead letters ------------------------------------------------------------------------------
  const dlq = new SqsQueue(scope, "dlq", {
    name: "imgsec-fixture-dlq",
    kmsMasterKeyId: key.arn,
    messageRetentionSeconds: 1209600,
  });

  // ---- function -------------------------------------------------------------------------------
  const functionRole = serviceRole(scope, "function-role", "lambda.amazonaws.com");
  const fn = new LambdaFunction(scope, "function", {
    functionName: "imgsec-fixture-process",
    role: functionRole.arn,
    handler: "index.handler",
    runtime: "nodejs24.x",
    architectures: ["arm64"],
    filename: "process.zip",
    reservedConcurrentExecutions: 5,
    deadLetterConfig: { targetArn: dlq.arn },
    tracingConfig: { mode: "Active" },
    environment: { variables: { DEAD_LETTER_QUEUE: dlq.url } },
    kmsKeyArn: key.arn,
    vpcConfig: { subnetIds: [subnet.id], securityGroupIds: [functionSg.id] },
  });
  new LambdaFunctionUrl(scope, "function-url", {
    functionName: fn.functionName,
    authorizationType: "AWS_IAM",
  });

  // ---- secrets: one rotating (by the function), one more for the key rule -----------------------
  const token = new SecretsmanagerSecret(scope, "token", {
    name: "imgsec/fixture/token",
    kmsKeyId: key.arn,
  });
  new SecretsmanagerSecretRotation(scope, "token-rotation", {
    secretId: token.id,
    rotationLambdaArn: fn.arn,
    rotationRules: { automaticallyAfterDays: 30 },
  });
  new LambdaPermission(scope, "rotation-invoke", {
    statementId: "AllowSecretsManagerRotation",
    action: "lambda:InvokeFunction",
    functionName: fn.functionName,
    principal: "secretsmanager.amazonaws.com",
    sourceArn: token.arn,
  });

  // ---- state machine ----------------------------------------------------------------------------
  const machineRole = serviceRole(scope, "machine-role", "states.amazonaws.com");
  const machine = new SfnStateMachine(scope, "machine", {
    name: "imgsec-fixture-pipeline",
    roleArn: machineRole.arn,
    definition: JSON.stringify({
      StartAt: "Process",
      States: { Process: { Type: "Task", Resource: fn.arn, End: true } },
    }),
    loggingConfiguration: {
      level: "ALL",
      includeExecutionData: false,
      logDestination: `${logs.arn}:*`,
    },
    tracingConfiguration: { enabled: true },
    encryptionConfiguration: {
      type: "CUSTOMER_MANAGED_KMS_KEY",
      kmsKeyId: key.arn,
      kmsDataKeyReusePeriodSeconds: 300,
    },
  });

  // ---- events ---------------------------------------------------------------------------------
  const rule = new CloudwatchEventRule(scope, "object-created", {
    name: "imgsec-fixture-object-created",
    eventPattern: JSON.stringify({ source: ["aws.s3"], "detail-type": ["Object Created"] }),
  });
  const eventsRole = serviceRole(scope, "events-role", "events.amazonaws.com");
  new IamRolePolicy(scope, "events-policy", {
    role: eventsRole.id,
    policy: policy([
      {
        Sid: "StartPipeline",
        Effect: "Allow",
        Action: "states:StartExecution",
        Resource: machine.arn,
      },
    ]),
  });
  new CloudwatchEventTarget(scope, "start-pipeline", {
    rule: rule.name,
    arn: machine.arn,
    roleArn: eventsRole.arn,
    deadLetterConfig: { arn: dlq.arn },
    retryPolicy: { maximumRetryAttempts: 185, maximumEventAgeInSeconds: 86400 },
  });
  new SqsQueuePolicy(scope, "dlq-policy", {
    queueUrl: dlq.url,
    policy: policy([
      {
        Sid: "EventBridgeDeadLetters",
        Effect: "Allow",
        Principal: { Service: "events.amazonaws.com" },
        Action: "sqs:SendMessage",
        Resource: dlq.arn,
        Condition: { ArnEquals: { "aws:SourceArn": rule.arn } },
      },
      {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "sqs:*",
        Resource: dlq.arn,
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
    ]),
  });
  const bus = new CloudwatchEventBus(scope, "bus", { name: "imgsec-fixture" });
  new CloudwatchEventBusPolicy(scope, "bus-policy", {
    eventBusName: bus.name,
    policy: policy([
      {
        Sid: "ThisAccountPuts",
        Effect: "Allow",
        Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
        Action: "events:PutEvents",
        Resource: bus.arn,
      },
    ]),
  });

  // ---- permissions ------------------------------------------------------------------------------
  new IamRolePolicy(scope, "function-policy", {
    role: functionRole.id,
    policy: policy([
      {
        Sid: "Logs",
        Effect: "Allow",
        Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
        Resource: `${logs.arn}:*`,
      },
      { Sid: "DeadLetters", Effect: "Allow", Action: "sqs:SendMessage", Resource: dlq.arn },
      {
        Sid: "RotateToken",
        Effect: "Allow",
        Action: [
          "secretsmanager:GetSecretValue",
          "secretsmanager:PutSecretValue",
          "secretsmanager:UpdateSecretVersionStage",
          "secretsmanager:DescribeSecret",
        ],
        Resource: token.arn,
      },
      {
        Sid: "UseKey",
        Effect: "Allow",
        Action: ["kms:Decrypt", "kms:GenerateDataKey"],
        Resource: key.arn,
      },
      {
        Sid: "Tracing",
        Effect: "Allow",
        Action: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
        Resource: "*",
      },
    ]),
  });
  new IamRolePolicy(scope, "machine-policy", {
    role: machineRole.id,
    policy: policy([
      { Sid: "Invoke", Effect: "Allow", Action: "lambda:InvokeFunction", Resource: fn.arn },
      {
        Sid: "UseKey",
        Effect: "Allow",
        Action: ["kms:Decrypt", "kms:GenerateDataKey"],
        Resource: key.arn,
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
        Resource: "*",
      },
      {
        Sid: "Tracing",
        Effect: "Allow",
        Action: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
        Resource: "*",
      },
    ]),
  });
}

let synthesized: string | undefined;

/** A fresh copy of the fixture's Terraform JSON (synthesized once). */
export function pipelineFixture(): Tf {
  synthesized ??= JSON.stringify(synthJson(build));
  return JSON.parse(synthesized);
}
