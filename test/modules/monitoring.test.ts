import { Monitoring, MonitoringProps } from "../../modules/monitoring";
import { Block, only, resources, statement, synthJson } from "../helpers/tf";

const PROPS: MonitoringProps = {
  namePrefix: "imgsec-test",
  accountId: "111122223333",
  kmsKeyArn: "arn:aws:kms:us-east-1:111122223333:key/abc",
  phiBucketNames: ["raw-bucket", "processed-bucket"],
};
const synthMonitoring = (extra: Partial<MonitoringProps> = {}) =>
  synthJson((s) => new Monitoring(s, "m", { ...PROPS, ...extra }));

const EXPECTED_ALARMS = [
  "UnauthorizedApiCalls",
  "PhiBucketAccessDenied",
  "KmsKeyDisabledOrScheduledForDeletion",
  "BucketPolicyChanges",
  "CloudTrailChanges",
  "RootAccountUsage",
  "ConsoleSignInFailures",
  "IamPolicyChanges",
  "SecurityGroupChanges",
  "NetworkAclChanges",
  "NetworkGatewayChanges",
  "RouteTableChanges",
  "VpcChanges",
];

describe("Monitoring", () => {
  const tf = synthMonitoring();

  test("log groups are KMS-encrypted and kept 2192 days (six years) by default", () => {
    const groups = resources(tf, "aws_cloudwatch_log_group");
    expect(groups.map((g) => g.name).sort()).toEqual([
      "/imgsec/imgsec-test/cloudtrail",
      "/imgsec/imgsec-test/pipeline",
    ]);
    for (const g of groups) {
      expect(g.kms_key_id).toBe(PROPS.kmsKeyArn);
      expect(g.retention_in_days).toBe(2192);
    }
  });

  test("retention is configurable to any CloudWatch value of 365 days or more", () => {
    for (const g of resources(
      synthMonitoring({ logRetentionDays: 365 }),
      "aws_cloudwatch_log_group",
    )) {
      expect(g.retention_in_days).toBe(365);
    }
  });

  test.each([
    [364, /log retention 364 days is refused: at least 365/],
    [30, /log retention 30 days is refused/],
    [1000, /log retention 1000 days is not a value CloudWatch Logs accepts/],
  ])("refuses retention of %i days", (days, message) => {
    expect(() => synthMonitoring({ logRetentionDays: days })).toThrow(message);
  });

  test("one metric filter and one alarm per security event, each alarm notifying the topic", () => {
    const filters = resources(tf, "aws_cloudwatch_log_metric_filter");
    const alarms = resources(tf, "aws_cloudwatch_metric_alarm");
    expect(filters.map((f) => f.metric_transformation.name).sort()).toEqual(
      [...EXPECTED_ALARMS].sort(),
    );
    expect(alarms.map((a) => a.metric_name).sort()).toEqual([...EXPECTED_ALARMS].sort());
    for (const f of filters) expect(f.log_group_name).toMatch(/trail-logs.*\.name\}$/);
    for (const a of alarms) {
      expect(a.alarm_actions).toEqual([expect.stringMatching(/^\$\{aws_sns_topic\..+\.arn\}$/)]);
      expect(a).toMatchObject({
        threshold: 1,
        comparison_operator: "GreaterThanOrEqualToThreshold",
        actions_enabled: true,
      });
    }
  });

  test("filter patterns target the events they are named for", () => {
    const pattern = (name: string) =>
      (
        resources(tf, "aws_cloudwatch_log_metric_filter").find(
          (f) => f.metric_transformation.name === name,
        ) as Block
      ).pattern;
    expect(pattern("PhiBucketAccessDenied")).toContain(
      '($.requestParameters.bucketName = "raw-bucket")',
    );
    expect(pattern("PhiBucketAccessDenied")).toContain(
      '($.requestParameters.bucketName = "processed-bucket")',
    );
    expect(pattern("KmsKeyDisabledOrScheduledForDeletion")).toContain('"ScheduleKeyDeletion"');
    expect(pattern("KmsKeyDisabledOrScheduledForDeletion")).toContain('"DisableKey"');
    expect(pattern("BucketPolicyChanges")).toContain('"PutBucketPolicy"');
    expect(pattern("CloudTrailChanges")).toContain('"StopLogging"');
    expect(pattern("RootAccountUsage")).toContain('$.userIdentity.type = "Root"');
    expect(pattern("UnauthorizedApiCalls")).toContain('"AccessDenied*"');
    expect(pattern("ConsoleSignInFailures")).toBe(
      '{ ($.eventName = "ConsoleLogin") && ($.errorMessage = "Failed authentication") }',
    );
  });

  // The CIS classes that are a list of event names: each filter is exactly "any of these events".
  test.each<[string, string[]]>([
    ["IamPolicyChanges", ["PutRolePolicy", "CreatePolicyVersion", "DetachGroupPolicy"]],
    ["SecurityGroupChanges", ["AuthorizeSecurityGroupIngress", "DeleteSecurityGroup"]],
    ["NetworkAclChanges", ["CreateNetworkAclEntry", "ReplaceNetworkAclAssociation"]],
    ["NetworkGatewayChanges", ["CreateCustomerGateway", "DetachInternetGateway"]],
    ["RouteTableChanges", ["CreateRoute", "DisassociateRouteTable"]],
    ["VpcChanges", ["ModifyVpcAttribute", "AcceptVpcPeeringConnection", "EnableVpcClassicLink"]],
  ])("%s matches any of its events, and only by event name", (name, some) => {
    const filter = resources(tf, "aws_cloudwatch_log_metric_filter").find(
      (f) => f.metric_transformation.name === name,
    ) as Block;
    const terms = String(filter.pattern)
      .replace(/^\{ | \}$/g, "")
      .split(" || ");
    for (const t of terms) expect(t).toMatch(/^\(\$\.eventName = "[A-Za-z]+"\)$/);
    for (const e of some) expect(terms).toContain(`($.eventName = "${e}")`);
    expect(new Set(terms).size).toBe(terms.length);
  });

  test("the SNS topic is KMS-encrypted and accepts only this account's alarms over TLS", () => {
    expect(only(tf, "aws_sns_topic").kms_master_key_id).toBe(PROPS.kmsKeyArn);
    const policy = only(tf, "aws_sns_topic_policy").policy;
    expect(statement(policy, "AllowCloudWatchAlarmsOfThisAccount")).toMatchObject({
      Principal: { Service: "cloudwatch.amazonaws.com" },
      Condition: { StringEquals: { "aws:SourceAccount": "111122223333" } },
    });
    expect(statement(policy, "DenyInsecureTransport").Effect).toBe("Deny");
  });

  test("alarm e-mails become subscriptions, and bad addresses are refused", () => {
    const subs = resources(
      synthMonitoring({ alarmEmails: ["oncall@example.org"] }),
      "aws_sns_topic_subscription",
    );
    expect(subs).toEqual([
      expect.objectContaining({ protocol: "email", endpoint: "oncall@example.org" }),
    ]);
    expect(() => synthMonitoring({ alarmEmails: ["not-an-address"] })).toThrow(
      /alarm e-mail "not-an-address"/,
    );
  });
});
