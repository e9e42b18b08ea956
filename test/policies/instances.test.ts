/**
 * A resource that refers to one instance of a count / for_each block is related to that instance
 * only: each bucket of a set is judged on its own controls (a versioning resource per bucket), and
 * two secrets of a set, each with its rotation, do not make one secret rotate twice.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DeploymentGate, defaultParams } from "../../policies/engine/engine";
import { loadStacks } from "../../policies/engine/normalize";

const gate = DeploymentGate.load();
function check(hcl: string) {
  const dir = mkdtempSync(join(tmpdir(), "imgsec-instances-"));
  writeFileSync(join(dir, "main.tf"), hcl);
  const [stack] = loadStacks(dir);
  return { stack, results: gate.evaluate(stack, defaultParams()) };
}

test("for_each buckets with their own versioning: each judged on its own", () => {
  const { stack, results } = check(`
resource "aws_s3_bucket" "this" {
  for_each = toset(["a", "b"])
  bucket   = "site-\${each.key}"
}
resource "aws_s3_bucket_versioning" "this" {
  for_each = { a = "Enabled", b = "Suspended" }
  bucket   = aws_s3_bucket.this[each.key].id
  versioning_configuration {
    status = each.value
  }
}
`);
  const target = stack.resources['aws_s3_bucket.this["a"]'];
  expect(Object.values(target.referenced_by.aws_s3_bucket_versioning ?? {}).flat()).toEqual([
    'aws_s3_bucket_versioning.this["a"]',
  ]);
  const versioning = results.filter((r) => r.rule === "IMGSEC-S3-003");
  const status = (a: string) => versioning.find((r) => r.resource === a)?.status;
  expect(status('aws_s3_bucket.this["a"]')).toBe("PASS");
  expect(status('aws_s3_bucket.this["b"]')).toBe("FAIL");
});

test("two secrets of a set, each with its rotation: one rotation each, no evaluation error", () => {
  const { results } = check(`
resource "aws_kms_key" "k" {
  enable_key_rotation = true
}
resource "aws_secretsmanager_secret" "s" {
  for_each   = toset(["x", "y"])
  name       = "secret-\${each.key}"
  kms_key_id = aws_kms_key.k.arn
}
resource "aws_secretsmanager_secret_rotation" "r" {
  for_each            = toset(["x", "y"])
  secret_id           = aws_secretsmanager_secret.s[each.key].id
  rotation_lambda_arn = "arn:aws:lambda:us-east-1:111122223333:function:rotate"
  rotation_rules {
    automatically_after_days = 30
  }
}
`);
  const rotation = results.filter((r) => r.rule === "IMGSEC-SM-002");
  expect(rotation.map((r) => [r.resource, r.status]).sort()).toEqual([
    ['aws_secretsmanager_secret.s["x"]', "PASS"],
    ['aws_secretsmanager_secret.s["y"]', "PASS"],
  ]);
});
