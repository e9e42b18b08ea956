import { PhiKey } from "../../modules/phi-key";
import { COMMON, only, statement, statements, synthJson } from "../helpers/tf";

const TRAIL = "arn:aws:cloudtrail:us-east-1:111122223333:trail/t";
const allServices = { s3: true, cloudwatchLogs: true, cloudtrailTrailArn: TRAIL, sns: true };

describe("PhiKey", () => {
  const tf = synthJson(
    (s) => new PhiKey(s, "k", { ...COMMON, alias: "phi", services: allServices }),
  );
  const key = only(tf, "aws_kms_key");

  test("rotates automatically, with a 30-day deletion window by default", () => {
    expect(key.enable_key_rotation).toBe(true);
    expect(key.rotation_period_in_days).toBe(365);
    expect(key.deletion_window_in_days).toBe(30);
    expect(key.key_usage).toBe("ENCRYPT_DECRYPT");
  });

  test("has an alias pointing at the key", () => {
    const alias = only(tf, "aws_kms_alias");
    expect(alias.name).toBe("alias/phi");
    expect(alias.target_key_id).toMatch(/^\$\{aws_kms_key\..+\.key_id\}$/);
  });

  test("the account root administers the key", () => {
    const root = statement(key.policy, "AccountRootAdministersKey");
    expect(root.Principal).toEqual({ AWS: "arn:aws:iam::111122223333:root" });
    expect(root.Action).toBe("kms:*");
  });

  test("no statement grants an unconditioned * principal", () => {
    for (const s of statements(key.policy)) {
      const star =
        s.Principal === "*" ||
        (typeof s.Principal === "object" && JSON.stringify(s.Principal).includes('"*"'));
      if (star && s.Effect === "Allow")
        expect(s.Condition && Object.keys(s.Condition).length).toBeTruthy();
    }
  });

  test("S3 may use the key only via S3 in this region, for this account", () => {
    const s3 = statement(key.policy, "AllowS3ForThisAccount");
    expect(s3.Condition?.StringEquals).toEqual({
      "kms:CallerAccount": "111122223333",
      "kms:ViaService": "s3.us-east-1.amazonaws.com",
    });
    expect(s3.Action).not.toContain("kms:*");
  });

  test("CloudWatch Logs in this region only, bound by encryption context to this account's log groups", () => {
    const logs = statement(key.policy, "AllowCloudWatchLogsForThisAccount");
    expect(logs.Principal).toEqual({ Service: "logs.us-east-1.amazonaws.com" });
    expect(logs.Condition?.ArnLike).toEqual({
      "kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:us-east-1:111122223333:log-group:*",
    });
  });

  test("CloudTrail only for the named trail", () => {
    const ct = statement(key.policy, "AllowCloudTrailToEncryptLogs");
    expect(ct.Principal).toEqual({ Service: "cloudtrail.amazonaws.com" });
    expect(ct.Condition?.StringEquals).toEqual({ "aws:SourceArn": TRAIL });
    expect(ct.Condition?.StringLike).toEqual({
      "kms:EncryptionContext:aws:cloudtrail:arn": "arn:aws:cloudtrail:*:111122223333:trail/*",
    });
  });

  test("SNS via this region, and CloudWatch alarms of this account", () => {
    expect(statement(key.policy, "AllowSnsForThisAccount").Condition?.StringEquals).toEqual({
      "kms:CallerAccount": "111122223333",
      "kms:ViaService": "sns.us-east-1.amazonaws.com",
    });
    expect(statement(key.policy, "AllowCloudWatchAlarmsToPublish").Condition?.StringEquals).toEqual(
      {
        "aws:SourceAccount": "111122223333",
      },
    );
  });

  test("grants no service that was not named", () => {
    const bare = only(
      synthJson((s) => new PhiKey(s, "k", { ...COMMON, alias: "phi" })),
      "aws_kms_key",
    );
    expect(statements(bare.policy).map((s) => s.Sid)).toEqual(["AccountRootAdministersKey"]);
  });

  test("deletion window and rotation period are configurable within AWS limits", () => {
    const k = only(
      synthJson(
        (s) =>
          new PhiKey(s, "k", {
            ...COMMON,
            alias: "phi",
            deletionWindowInDays: 7,
            rotationPeriodInDays: 90,
          }),
      ),
      "aws_kms_key",
    );
    expect(k.deletion_window_in_days).toBe(7);
    expect(k.rotation_period_in_days).toBe(90);
  });

  test.each([
    [
      { deletionWindowInDays: 6 },
      /deletionWindowInDays must be a whole number from 7 to 30; got 6/,
    ],
    [{ deletionWindowInDays: 31 }, /deletionWindowInDays .* got 31/],
    [{ deletionWindowInDays: 10.5 }, /deletionWindowInDays/],
    [{ rotationPeriodInDays: 30 }, /rotationPeriodInDays must be a whole number from 90 to 2560/],
    [{ alias: "aws/mine" }, /alias "aws\/mine"/],
    [{ alias: "has space" }, /alias "has space"/],
  ])("refuses %j", (bad, message) => {
    expect(() => synthJson((s) => new PhiKey(s, "k", { ...COMMON, alias: "phi", ...bad }))).toThrow(
      message,
    );
  });
});
