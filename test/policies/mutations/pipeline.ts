/**
 * Mutations for the pipeline rules (IMGSEC-SQS-001..002, SM-001..003, SFN-003, LMB-007..008,
 * IAM-004, EB-001..002, VPC-001..005), applied to the pipeline fixture (test/policies/pipeline-fixture.ts),
 * a small cdktf stack with one compliant instance of every resource they judge: each breaks one
 * attribute, and the harness checks that the gate then fails that rule, and only that rule.
 */
import { Mutation, Tf, addResource, editPolicy, findResource, removeResource } from "./types";

const fixture = "fixture" as const;

const queue = (tf: Tf): Tf => findResource(tf, "aws_sqs_queue", "dlq");
const queuePolicy = (tf: Tf): Tf => findResource(tf, "aws_sqs_queue_policy", "dlq-policy");
const token = (tf: Tf): Tf => findResource(tf, "aws_secretsmanager_secret", "token");
const machine = (tf: Tf): Tf => findResource(tf, "aws_sfn_state_machine", "machine");
const fn = (tf: Tf): Tf => findResource(tf, "aws_lambda_function", "function");
const target = (tf: Tf): Tf => findResource(tf, "aws_cloudwatch_event_target", "start-pipeline");

export const mutations: Mutation[] = [
  // ---- SQS ---------------------------------------------------------------------------------------
  {
    rule: "IMGSEC-SQS-001",
    stack: fixture,
    what: "the dead-letter queue falls back to SQS-managed encryption",
    resource: /^aws_sqs_queue\.dlq$/,
    apply(tf) {
      delete queue(tf).kms_master_key_id;
      queue(tf).sqs_managed_sse_enabled = true;
    },
  },
  {
    rule: "IMGSEC-SQS-001",
    stack: fixture,
    what: "the dead-letter queue is encrypted with the AWS managed key alias/aws/sqs",
    resource: /^aws_sqs_queue\.dlq$/,
    apply(tf) {
      queue(tf).kms_master_key_id = "alias/aws/sqs";
    },
  },
  {
    rule: "IMGSEC-SQS-002",
    stack: fixture,
    what: "the dead-letter queue's policy loses its TLS-only Deny",
    resource: /^aws_sqs_queue\.dlq$/,
    apply(tf) {
      editPolicy(queuePolicy(tf), "policy", (doc) => {
        doc.Statement = doc.Statement.filter((s: Tf) => s.Sid !== "DenyInsecureTransport");
      });
    },
  },
  {
    rule: "IMGSEC-SQS-002",
    stack: fixture,
    what: "the dead-letter queue's policy lets anyone send messages",
    resource: /^aws_sqs_queue\.dlq$/,
    apply(tf) {
      editPolicy(queuePolicy(tf), "policy", (doc) => {
        doc.Statement.push({
          Sid: "AnyoneSends",
          Effect: "Allow",
          Principal: "*",
          Action: "sqs:SendMessage",
          Resource: "*",
        });
      });
    },
  },
  {
    rule: "IMGSEC-SQS-002",
    stack: fixture,
    what: "the dead-letter queue has no queue policy at all",
    resource: /^aws_sqs_queue\.dlq$/,
    apply(tf) {
      removeResource(tf, "aws_sqs_queue_policy", "dlq-policy");
    },
  },

  // ---- Secrets Manager -----------------------------------------------------------------------------
  {
    rule: "IMGSEC-SM-001",
    stack: fixture,
    what: "a secret under the default AWS managed key",
    resource: /^aws_secretsmanager_secret\.token$/,
    apply(tf) {
      delete token(tf).kms_key_id;
    },
  },
  {
    rule: "IMGSEC-SM-002",
    stack: fixture,
    what: "a secret whose rotation is removed, with no exemption",
    resource: /^aws_secretsmanager_secret\.token$/,
    apply(tf) {
      removeResource(tf, "aws_secretsmanager_secret_rotation", "token-rotation");
    },
  },
  {
    rule: "IMGSEC-SM-002",
    stack: fixture,
    what: "a secret that stops rotating, tagged exempt without a reason",
    resource: /^aws_secretsmanager_secret\.token$/,
    apply(tf) {
      removeResource(tf, "aws_secretsmanager_secret_rotation", "token-rotation");
      token(tf).tags = { "imgsec:rotation-exempt": "" };
    },
  },
  {
    rule: "IMGSEC-SM-003",
    stack: fixture,
    what: "a pseudonymization key secret exempt from rotation, with its reason (a WARN)",
    resource: /^aws_secretsmanager_secret\.pseudonymization$/,
    apply(tf) {
      addResource(tf, "aws_secretsmanager_secret", "pseudonymization", {
        name: "imgsec/fixture/pseudonymization",
        kms_key_id: token(tf).kms_key_id,
        tags: {
          "imgsec:rotation-exempt":
            "pseudonymization key: rotating it breaks pseudonym linkage across studies",
        },
      });
    },
  },

  // ---- Step Functions ------------------------------------------------------------------------------
  {
    rule: "IMGSEC-SFN-003",
    stack: fixture,
    what: "a state machine whose execution history is encrypted with an AWS owned key",
    resource: /^aws_sfn_state_machine\.machine$/,
    apply(tf) {
      machine(tf).encryption_configuration = { type: "AWS_OWNED_KEY" };
    },
  },
  {
    rule: "IMGSEC-SFN-003",
    stack: fixture,
    what: "a state machine without encryption_configuration",
    resource: /^aws_sfn_state_machine\.machine$/,
    apply(tf) {
      delete machine(tf).encryption_configuration;
    },
  },

  // ---- Lambda --------------------------------------------------------------------------------------
  {
    rule: "IMGSEC-LMB-007",
    stack: fixture,
    what: "the function runs on nodejs20.x, deprecated since 2026-04-30",
    resource: /^aws_lambda_function\.function$/,
    apply(tf) {
      fn(tf).runtime = "nodejs20.x";
    },
  },
  {
    rule: "IMGSEC-LMB-007",
    stack: fixture,
    what: "nodejs22.x, supported today, fails once the evaluation date passes 2027-04-30",
    resource: /^aws_lambda_function\.function$/,
    params: { evaluation_date: "2027-05-01" },
    apply(tf) {
      fn(tf).runtime = "nodejs22.x";
    },
  },
  {
    rule: "IMGSEC-LMB-008",
    stack: fixture,
    what: "the function URL needs no authentication",
    resource: /^aws_lambda_function_url\.function-url$/,
    apply(tf) {
      findResource(tf, "aws_lambda_function_url", "function-url").authorization_type = "NONE";
    },
  },

  // ---- IAM -----------------------------------------------------------------------------------------
  {
    rule: "IMGSEC-IAM-004",
    stack: fixture,
    what: "the state machine role may pass any role",
    resource: /^aws_iam_role_policy\.machine-policy$/,
    apply(tf) {
      editPolicy(findResource(tf, "aws_iam_role_policy", "machine-policy"), "policy", (doc) => {
        doc.Statement.push({
          Sid: "PassAny",
          Effect: "Allow",
          Action: "iam:PassRole",
          Resource: "*",
        });
      });
    },
  },
  {
    rule: "IMGSEC-IAM-004",
    stack: fixture,
    what: "the function role gets iam:* on every resource in an inline policy",
    alsoFails: ["IMGSEC-IAM-005"],
    resource: /^aws_iam_role\.function-role$/,
    apply(tf) {
      findResource(tf, "aws_iam_role", "function-role").inline_policy = [
        {
          name: "iam-admin",
          policy: JSON.stringify({
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Action: "iam:*", Resource: "*" }],
          }),
        },
      ];
    },
  },

  {
    rule: "IMGSEC-VPC-004",
    stack: fixture,
    what: "the function's subnet gives interfaces public addresses on launch",
    resource: /^aws_subnet\.subnet$/,
    apply(tf) {
      findResource(tf, "aws_subnet", "subnet").map_public_ip_on_launch = true;
    },
  },
  {
    rule: "IMGSEC-VPC-005",
    stack: fixture,
    what: "a route sends 0.0.0.0/0 to an internet gateway",
    resource: /^aws_route\.to_internet$/,
    apply(tf) {
      const vpcId = `\${aws_vpc.${Object.keys(tf.resource.aws_vpc)[0]}.id}`;
      addResource(tf, "aws_internet_gateway", "igw", { vpc_id: vpcId });
      addResource(tf, "aws_route_table", "public", { vpc_id: vpcId });
      addResource(tf, "aws_route", "to_internet", {
        route_table_id: "${aws_route_table.public.id}",
        destination_cidr_block: "0.0.0.0/0",
        gateway_id: "${aws_internet_gateway.igw.id}",
      });
    },
  },

  // ---- EventBridge ---------------------------------------------------------------------------------
  {
    rule: "IMGSEC-EB-001",
    stack: fixture,
    what: "the pipeline's event target has no dead-letter queue",
    resource: /^aws_cloudwatch_event_target\.start-pipeline$/,
    apply(tf) {
      delete target(tf).dead_letter_config;
    },
  },
  {
    rule: "IMGSEC-EB-002",
    stack: fixture,
    what: "the event bus policy lets every AWS account put events",
    resource: /^aws_cloudwatch_event_bus_policy\.bus-policy$/,
    apply(tf) {
      editPolicy(
        findResource(tf, "aws_cloudwatch_event_bus_policy", "bus-policy"),
        "policy",
        (doc) => {
          doc.Statement[0].Principal = "*";
        },
      );
    },
  },
  {
    rule: "IMGSEC-EB-002",
    stack: fixture,
    what: "an event permission grants principal * without a condition",
    resource: /^aws_cloudwatch_event_permission\.anyone$/,
    apply(tf) {
      addResource(tf, "aws_cloudwatch_event_permission", "anyone", {
        principal: "*",
        statement_id: "Anyone",
        event_bus_name: "${aws_cloudwatch_event_bus.bus.name}",
      });
    },
  },

  // ---- VPC -----------------------------------------------------------------------------------------
  {
    rule: "IMGSEC-VPC-001",
    stack: fixture,
    what: "the VPC loses its flow log",
    resource: /^aws_vpc\.vpc$/,
    apply(tf) {
      removeResource(tf, "aws_flow_log", "flow-log");
    },
  },
  {
    rule: "IMGSEC-VPC-001",
    stack: fixture,
    what: "the flow log records rejected traffic only",
    resource: /^aws_vpc\.vpc$/,
    apply(tf) {
      findResource(tf, "aws_flow_log", "flow-log").traffic_type = "REJECT";
    },
  },
  {
    rule: "IMGSEC-VPC-002",
    stack: fixture,
    what: "the VPC's default security group is no longer adopted",
    resource: /^aws_vpc\.vpc$/,
    apply(tf) {
      removeResource(tf, "aws_default_security_group", "default-sg");
    },
  },
  {
    rule: "IMGSEC-VPC-002",
    stack: fixture,
    what: "the default security group allows all egress",
    resource: /^aws_default_security_group\.default-sg$/,
    apply(tf) {
      findResource(tf, "aws_default_security_group", "default-sg").egress = [
        { from_port: 0, to_port: 0, protocol: "-1", cidr_blocks: ["0.0.0.0/0"] },
      ];
    },
  },
  {
    rule: "IMGSEC-VPC-003",
    stack: fixture,
    what: "the function's security group accepts SSH from anywhere",
    resource: /^aws_security_group\.function-sg$/,
    apply(tf) {
      findResource(tf, "aws_security_group", "function-sg").ingress = [
        { from_port: 22, to_port: 22, protocol: "tcp", cidr_blocks: ["0.0.0.0/0"] },
      ];
    },
  },
  {
    rule: "IMGSEC-VPC-003",
    stack: fixture,
    what: "the endpoints accept HTTPS from any IPv6 address",
    resource: /^aws_vpc_security_group_ingress_rule\.endpoint-from-vpc$/,
    apply(tf) {
      const rule = findResource(tf, "aws_vpc_security_group_ingress_rule", "endpoint-from-vpc");
      delete rule.cidr_ipv4;
      rule.cidr_ipv6 = "::/0";
    },
  },
  {
    rule: "IMGSEC-VPC-003",
    stack: fixture,
    what: "a security group rule opens the endpoints to 0.0.0.0/0",
    resource: /^aws_security_group_rule\.endpoint-from-function$/,
    apply(tf) {
      const rule = findResource(tf, "aws_security_group_rule", "endpoint-from-function");
      delete rule.source_security_group_id;
      rule.cidr_blocks = ["0.0.0.0/0"];
    },
  },
];
