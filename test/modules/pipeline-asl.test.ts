import {
  BackfillDefinitionParams,
  HANDLER_TRANSIENT_ERRORS,
  MapState,
  StateMachineDefinition,
  TaskState,
  backfillDefinition,
  definitionProblems,
  processObjectDefinition,
} from "../../modules/pipeline/asl";

// The Amazon States Language schema validator that aws-local-stepfunctions uses (a dependency of
// that dev dependency): it checks field names, types and transitions as Step Functions does.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const aslValidatorModule = require("asl-validator") as (definition: object) => {
  isValid: boolean;
  errors: unknown[];
};
/** The validator annotates what it is given, so it gets a copy. */
const aslValidator = (definition: object) => {
  const { isValid, errors } = aslValidatorModule(JSON.parse(JSON.stringify(definition)));
  return { isValid, errors };
};

const FN = "arn:aws:lambda:us-east-1:111122223333:function:imgsec-test-process-object";
const DLQ = "https://sqs.us-east-1.amazonaws.com/111122223333/imgsec-test-pipeline-dlq";
const object = processObjectDefinition({
  partition: "aws",
  functionArn: FN,
  functionTimeoutSeconds: 300,
  deadLetterQueueUrl: DLQ,
});
const backfillParams: BackfillDefinitionParams = {
  partition: "aws",
  functionArn: FN,
  functionTimeoutSeconds: 300,
  deadLetterQueueUrl: DLQ,
  rawBucketName: "raw-bucket",
  incomingPrefix: "incoming/",
  itemSource: { kind: "prefix-listing" },
  maxItemsPerBatch: 10,
  maxConcurrency: 16,
  toleratedFailurePercentage: 5,
  resultBucketName: "audit-bucket",
  resultPrefix: "backfill-results/",
};
const backfill = backfillDefinition(backfillParams);
const task = (def: StateMachineDefinition, name: string) => def.States[name] as TaskState;
const map = backfill.States.ProcessItems as MapState;

describe("both definitions", () => {
  test.each([
    ["per-object", object],
    ["backfill", backfill],
    [
      "backfill from an inventory",
      backfillDefinition({
        ...backfillParams,
        itemSource: { kind: "inventory-manifest", bucketName: "inventory-bucket" },
      }),
    ],
  ])("the %s definition is valid ASL with no dangling or unreachable state", (_name, def) => {
    expect(aslValidator(def)).toEqual({ isValid: true, errors: [] });
    expect(definitionProblems(def)).toEqual([]);
  });

  test("the validator and the structural check do reject a broken definition", () => {
    const broken = JSON.parse(JSON.stringify(object));
    broken.States.RecordFailure.Next = "Nowhere";
    expect(aslValidator(broken).isValid).toBe(false);
    expect(definitionProblems(broken)).toEqual([
      "States.RecordFailure: transition to unknown state Nowhere",
      "States.ObjectFailed: unreachable",
    ]);
    const both = JSON.parse(JSON.stringify(object));
    both.States.ProcessObject.Next = "ObjectFailed";
    expect(definitionProblems(both)).toContain(
      "States.ProcessObject: needs exactly one of Next and End",
    );
  });

  test("Task states call the function through lambda:invoke with FunctionName (a local interpreter can stand in)", () => {
    for (const t of [task(object, "ProcessObject"), map.ItemProcessor.States.ProcessBatch]) {
      expect((t as TaskState).Resource).toBe("arn:aws:states:::lambda:invoke");
      expect((t as TaskState).Parameters?.FunctionName).toBe(FN);
      expect((t as TaskState).OutputPath).toBe("$.Payload");
      expect((t as TaskState).TimeoutSeconds).toBe(360);
    }
    expect(JSON.stringify([object, backfill])).not.toMatch(/"Resource":"arn:aws:lambda:/);
  });

  test("retries: throttling backs off longest; transient invoke errors, task timeouts and the handler's transient error retry a few times", () => {
    for (const t of [task(object, "ProcessObject"), map.ItemProcessor.States.ProcessBatch]) {
      const [throttle, transient] = (t as TaskState).Retry ?? [];
      expect(throttle).toMatchObject({
        ErrorEquals: ["Lambda.TooManyRequestsException"],
        MaxAttempts: 8,
        BackoffRate: 2,
        JitterStrategy: "FULL",
      });
      expect(transient.ErrorEquals).toEqual(
        expect.arrayContaining([
          "Lambda.ServiceException",
          "Lambda.SdkClientException",
          "States.Timeout",
          ...HANDLER_TRANSIENT_ERRORS,
        ]),
      );
      expect(transient.ErrorEquals).not.toContain("States.ALL");
      expect(transient.MaxAttempts).toBe(3);
    }
  });
});

describe("the per-object state machine", () => {
  test("its input is the object's reference only: bucket, key, version id", () => {
    expect(task(object, "ProcessObject").Parameters?.Payload).toEqual({
      "bucket.$": "$.bucket",
      "key.$": "$.key",
      "versionId.$": "$.versionId",
    });
  });

  test("any error after retries is caught, recorded in the dead-letter queue without the object, and fails the execution", () => {
    expect(task(object, "ProcessObject").Catch).toEqual([
      { ErrorEquals: ["States.ALL"], ResultPath: "$.failure", Next: "RecordFailure" },
    ]);
    const record = task(object, "RecordFailure");
    expect(record.Resource).toBe("arn:aws:states:::sqs:sendMessage");
    expect(record.Parameters).toEqual({
      QueueUrl: DLQ,
      MessageBody: {
        kind: "imgsec.pipeline.failure",
        path: "object",
        "execution.$": "$$.Execution.Id",
        "stateMachine.$": "$$.StateMachine.Id",
        "error.$": "$.failure.Error",
      },
    });
    // Neither the key nor the error's Cause (free text) is copied into the queue.
    expect(JSON.stringify(record.Parameters)).not.toMatch(/\$\.key|Cause/);
    expect(record.Next).toBe("ObjectFailed");
    expect(object.States.ObjectFailed).toMatchObject({
      Type: "Fail",
      Error: "imgsec.ObjectFailed",
    });
  });

  test("its timeout bounds every retry", () => {
    expect(object.TimeoutSeconds).toBe(360 * 12 + 8 * 120 + 3 * 60);
  });
});

describe("the backfill state machine", () => {
  test("refuses input outside the incoming prefix before listing anything", () => {
    expect(backfill.StartAt).toBe("CheckInput");
    expect(backfill.States.CheckInput).toEqual({
      Type: "Choice",
      Comment: expect.any(String),
      Choices: [
        {
          And: [
            { Variable: "$.prefix", IsPresent: true },
            { Variable: "$.prefix", IsString: true },
            { Variable: "$.prefix", StringMatches: "incoming/*" },
          ],
          Next: "ProcessItems",
        },
      ],
      Default: "InputRefused",
    });
  });

  test("a Distributed Map over the prefix listing, batched, bounded, tolerant, writing results to the audit bucket", () => {
    expect(map.ItemReader).toEqual({
      Resource: "arn:aws:states:::s3:listObjectsV2",
      Parameters: { Bucket: "raw-bucket", "Prefix.$": "$.prefix" },
    });
    expect(map.ItemSelector).toEqual({ bucket: "raw-bucket", "key.$": "$$.Map.Item.Value.Key" });
    expect(map.ItemBatcher).toEqual({
      MaxItemsPerBatch: 10,
      BatchInput: { source: "prefix-listing", keyEncoding: "none" },
    });
    expect(map.MaxConcurrency).toBe(16);
    expect(map.ToleratedFailurePercentage).toBe(5);
    expect(map.ItemProcessor.ProcessorConfig).toEqual({
      Mode: "DISTRIBUTED",
      ExecutionType: "STANDARD",
    });
    expect(map.ItemProcessor.States.ProcessBatch.Type).toBe("Task");
    expect((map.ItemProcessor.States.ProcessBatch as TaskState).Parameters).toEqual({
      FunctionName: FN,
      "Payload.$": "$",
    });
    expect(map.ResultWriter).toEqual({
      Resource: "arn:aws:states:::s3:putObject",
      Parameters: { Bucket: "audit-bucket", Prefix: "backfill-results/" },
    });
    expect(map.Catch?.[0].Next).toBe("RecordFailure");
    expect(task(backfill, "RecordFailure").Parameters?.MessageBody).toMatchObject({
      path: "backfill",
    });
  });

  test("from an S3 Inventory: the manifest is read, keys arrive URL-encoded and the batch says so", () => {
    const inv = backfillDefinition({
      ...backfillParams,
      itemSource: { kind: "inventory-manifest", bucketName: "inventory-bucket" },
    });
    const m = inv.States.ProcessItems as MapState;
    expect(m.ItemReader).toEqual({
      Resource: "arn:aws:states:::s3:getObject",
      ReaderConfig: { InputType: "MANIFEST" },
      Parameters: { Bucket: "inventory-bucket", "Key.$": "$.manifestKey" },
    });
    expect(m.ItemBatcher.BatchInput).toEqual({ source: "inventory-manifest", keyEncoding: "url" });
    expect(inv.States.CheckInput).toMatchObject({
      Choices: [
        {
          And: expect.arrayContaining([
            { Variable: "$.manifestKey", StringMatches: "*manifest.json" },
          ]),
        },
      ],
    });
  });

  test("another partition reaches every service integration ARN", () => {
    const gov = JSON.stringify(backfillDefinition({ ...backfillParams, partition: "aws-us-gov" }));
    expect(gov).not.toContain("arn:aws:states");
    expect(gov.match(/arn:aws-us-gov:states:::/g)).toHaveLength(4);
  });
});
