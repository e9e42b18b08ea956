/**
 * VPC mode for the pipeline's function: private subnets with no route to the internet (no NAT, no
 * internet gateway), an S3 gateway endpoint and interface endpoints for the AWS APIs the function
 * calls, a security group with no ingress, the default security group closed, and flow logs.
 */
import { Construct } from "constructs";
import { Fn } from "cdktf";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { DataAwsAvailabilityZones } from "@cdktf/provider-aws/lib/data-aws-availability-zones";
import { DefaultSecurityGroup } from "@cdktf/provider-aws/lib/default-security-group";
import { FlowLog } from "@cdktf/provider-aws/lib/flow-log";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { RouteTable } from "@cdktf/provider-aws/lib/route-table";
import { RouteTableAssociation } from "@cdktf/provider-aws/lib/route-table-association";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { Subnet } from "@cdktf/provider-aws/lib/subnet";
import { Vpc } from "@cdktf/provider-aws/lib/vpc";
import { VpcEndpoint } from "@cdktf/provider-aws/lib/vpc-endpoint";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { ImgsecConfigError, requireInteger } from "../errors";
import { PolicyStatement, policyDocument, serviceTrustPolicy } from "../iam";

/** The interface endpoints, by service, with the actions their endpoint policy lets through: what
 * the function (and an operator inside the VPC, for Step Functions) calls, nothing else. */
export const INTERFACE_ENDPOINTS: Readonly<Record<string, string[]>> = {
  kms: ["kms:Decrypt", "kms:GenerateDataKey", "kms:Sign", "kms:GetPublicKey"],
  secretsmanager: ["secretsmanager:GetSecretValue"],
  sts: ["sts:GetCallerIdentity"],
  logs: ["logs:CreateLogStream", "logs:PutLogEvents"],
  states: ["states:StartExecution", "states:DescribeExecution"],
};

export interface PipelineNetworkProps {
  readonly namePrefix: string;
  readonly accountId: string;
  readonly partition: string;
  readonly region: string;
  /** IPv4 CIDR of the VPC, /16 to /24; default 10.42.0.0/16. */
  readonly cidrBlock?: string;
  /** Private subnets, one per availability zone: 2 (default) or 3. */
  readonly availabilityZoneCount?: number;
  /** The PHI key, for the flow log group. */
  readonly kmsKeyArn: string;
  readonly logRetentionDays: number;
  /** The buckets the S3 gateway endpoint admits (their ARNs); every other bucket is refused. */
  readonly bucketArns: string[];
}

/** `count` equal subnets of an IPv4 CIDR, each 4 bits longer (a /16 gives /20s). */
export function privateSubnetCidrs(cidr: string, count: number): string[] {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  const octets = m ? m.slice(1, 5).map(Number) : [];
  const bits = m ? Number(m[5]) : -1;
  if (!m || octets.some((o) => o > 255) || bits < 16 || bits > 24) {
    throw new ImgsecConfigError(`VPC cidrBlock "${cidr}" must be an IPv4 CIDR from /16 to /24`);
  }
  const base = octets.reduce((n, o) => n * 256 + o, 0);
  const size = 2 ** (32 - bits);
  if (base % size !== 0) {
    throw new ImgsecConfigError(`VPC cidrBlock "${cidr}" has host bits set`);
  }
  const step = size / 16;
  return Array.from({ length: count }, (_, i) => {
    const n = base + i * step;
    const ip = [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".");
    return `${ip}/${bits + 4}`;
  });
}

/** The network the function runs in (VPC mode). */
export class PipelineNetwork extends Construct {
  public readonly vpc: Vpc;
  public readonly subnets: Subnet[];
  public readonly functionSecurityGroup: SecurityGroup;
  public readonly endpoints: VpcEndpoint[] = [];
  public readonly flowLogGroup: CloudwatchLogGroup;

  constructor(scope: Construct, id: string, props: PipelineNetworkProps) {
    super(scope, id);
    const azCount = props.availabilityZoneCount ?? 2;
    requireInteger("pipeline vpc availabilityZoneCount", azCount, 2, 3);
    const cidrs = privateSubnetCidrs(props.cidrBlock ?? "10.42.0.0/16", azCount);
    const name = (what: string) => ({ Name: `${props.namePrefix}-${what}` });

    this.vpc = new Vpc(this, "vpc", {
      cidrBlock: props.cidrBlock ?? "10.42.0.0/16",
      // Private DNS of the interface endpoints needs both.
      enableDnsSupport: true,
      enableDnsHostnames: true,
      tags: name("pipeline"),
    });
    // The default security group keeps no rule: nothing can use it to reach anything.
    new DefaultSecurityGroup(this, "default-sg", { vpcId: this.vpc.id, tags: name("default") });

    const zones = new DataAwsAvailabilityZones(this, "zones", { state: "available" });
    const routes = new RouteTable(this, "private-routes", {
      vpcId: this.vpc.id,
      tags: name("private"),
    });
    this.subnets = cidrs.map((cidrBlock, i) => {
      const subnet = new Subnet(this, `private-${i}`, {
        vpcId: this.vpc.id,
        cidrBlock,
        availabilityZone: Fn.element(zones.names, i),
        mapPublicIpOnLaunch: false,
        tags: name(`private-${i}`),
      });
      new RouteTableAssociation(this, `private-${i}-routes`, {
        subnetId: subnet.id,
        routeTableId: routes.id,
      });
      return subnet;
    });

    this.functionSecurityGroup = new SecurityGroup(this, "function-sg", {
      name: `${props.namePrefix}-pipeline-function`,
      description: "imgsec pipeline function: no ingress; HTTPS to the VPC endpoints only",
      vpcId: this.vpc.id,
      tags: name("pipeline-function"),
    });
    const endpointGroup = new SecurityGroup(this, "endpoint-sg", {
      name: `${props.namePrefix}-pipeline-endpoints`,
      description: "imgsec pipeline interface endpoints: HTTPS from the function only",
      vpcId: this.vpc.id,
      tags: name("pipeline-endpoints"),
    });
    new VpcSecurityGroupIngressRule(this, "endpoint-https-from-function", {
      securityGroupId: endpointGroup.id,
      description: "HTTPS from the pipeline function",
      ipProtocol: "tcp",
      fromPort: 443,
      toPort: 443,
      referencedSecurityGroupId: this.functionSecurityGroup.id,
    });
    new VpcSecurityGroupEgressRule(this, "function-https-to-endpoints", {
      securityGroupId: this.functionSecurityGroup.id,
      description: "HTTPS to the interface endpoints",
      ipProtocol: "tcp",
      fromPort: 443,
      toPort: 443,
      referencedSecurityGroupId: endpointGroup.id,
    });

    const s3 = new VpcEndpoint(this, "s3-endpoint", {
      vpcId: this.vpc.id,
      serviceName: `com.amazonaws.${props.region}.s3`,
      vpcEndpointType: "Gateway",
      routeTableIds: [routes.id],
      policy: policyDocument([
        {
          // Only the pipeline's buckets, only for this account's principals: no way out to
          // another bucket from inside the VPC.
          Sid: "PipelineBucketsOnly",
          Effect: "Allow",
          Principal: "*",
          Action: [
            "s3:GetObject",
            "s3:GetObjectVersion",
            "s3:GetObjectTagging",
            "s3:PutObject",
            "s3:PutObjectTagging",
            "s3:PutObjectRetention",
            "s3:DeleteObject",
          ],
          Resource: props.bucketArns.map((arn) => `${arn}/*`),
          Condition: { StringEquals: { "aws:PrincipalAccount": props.accountId } },
        },
      ]),
      tags: name("s3"),
    });
    this.endpoints.push(s3);
    new VpcSecurityGroupEgressRule(this, "function-https-to-s3", {
      securityGroupId: this.functionSecurityGroup.id,
      description: "HTTPS to S3 through the gateway endpoint",
      ipProtocol: "tcp",
      fromPort: 443,
      toPort: 443,
      prefixListId: s3.prefixListId,
    });

    for (const [service, actions] of Object.entries(INTERFACE_ENDPOINTS)) {
      this.endpoints.push(
        new VpcEndpoint(this, `${service}-endpoint`, {
          vpcId: this.vpc.id,
          serviceName: `com.amazonaws.${props.region}.${service}`,
          vpcEndpointType: "Interface",
          privateDnsEnabled: true,
          subnetIds: this.subnets.map((s) => s.id),
          securityGroupIds: [endpointGroup.id],
          policy: policyDocument([
            {
              Sid: "ThisAccountPipelineCallsOnly",
              Effect: "Allow",
              Principal: "*",
              Action: actions,
              Resource: "*",
              Condition: { StringEquals: { "aws:PrincipalAccount": props.accountId } },
            },
          ]),
          tags: name(service),
        }),
      );
    }

    this.flowLogGroup = new CloudwatchLogGroup(this, "flow-logs", {
      name: `/imgsec/${props.namePrefix}/vpc-flow-logs`,
      kmsKeyId: props.kmsKeyArn,
      retentionInDays: props.logRetentionDays,
    });
    const flowRole = new IamRole(this, "flow-log-role", {
      namePrefix: "imgsec-flow-logs-",
      assumeRolePolicy: serviceTrustPolicy("vpc-flow-logs.amazonaws.com", {
        StringEquals: { "aws:SourceAccount": props.accountId },
        ArnLike: {
          "aws:SourceArn": `arn:${props.partition}:ec2:${props.region}:${props.accountId}:vpc-flow-log/*`,
        },
      }),
    });
    const deliver: PolicyStatement = {
      Sid: "DeliverFlowLogs",
      Effect: "Allow",
      Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
      Resource: [this.flowLogGroup.arn, `${this.flowLogGroup.arn}:log-stream:*`],
    };
    const flowPolicy = new IamRolePolicy(this, "flow-log-policy", {
      role: flowRole.id,
      policy: policyDocument([deliver]),
    });
    new FlowLog(this, "flow-log", {
      vpcId: this.vpc.id,
      trafficType: "ALL",
      logDestinationType: "cloud-watch-logs",
      logDestination: this.flowLogGroup.arn,
      iamRoleArn: flowRole.arn,
      maxAggregationInterval: 60,
      dependsOn: [flowPolicy],
    });
  }

  /** ARNs of the subnets and the function's security group, for the ENI permissions. */
  public arns(partition: string, region: string, accountId: string) {
    const ec2 = `arn:${partition}:ec2:${region}:${accountId}`;
    return {
      subnetArns: this.subnets.map((s) => `${ec2}:subnet/${s.id}`),
      securityGroupArn: `${ec2}:security-group/${this.functionSecurityGroup.id}`,
    };
  }
}
