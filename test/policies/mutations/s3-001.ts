import { Mutation, findResource } from "./types";

export const mutations: Mutation[] = [
  {
    rule: "IMGSEC-S3-001",
    what: "the raw bucket's default encryption is switched to SSE-S3",
    resource: /^aws_s3_bucket\.raw_bucket_/,
    apply(tf) {
      const sse = findResource(
        tf,
        "aws_s3_bucket_server_side_encryption_configuration",
        "raw_encryption",
      );
      sse.rule = [{ apply_server_side_encryption_by_default: { sse_algorithm: "AES256" } }];
    },
  },
];
