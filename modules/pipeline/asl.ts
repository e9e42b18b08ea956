/**
 * The pipeline's two state machines, generated as typed Amazon States Language (JSONPath) and
 * rendered to JSON in the synthesized stack. The very definitions `cdktf deploy` ships are what the
 * integration tests read from cdk.tf.json and run locally: Task states name the function through
 * `arn:<partition>:states:::lambda:invoke` with `FunctionName`, never a hard-coded ARN.
 *
 * Execution data carries no PHI: inputs are bucket, key and version id; outputs are the function's
 * PHI-free results; the failure record names the execution and the error type, never the object.
 */

export interface Retrier {
  ErrorEquals: string[];
  IntervalSeconds: number;
  MaxAttempts: number;
  BackoffRate: number;
  MaxDelaySeconds?: number;
  JitterStrategy?: "FULL" | "NONE";
}

export interface Catcher {
  ErrorEquals: string[];
  ResultPath?: string;
  Next: string;
}

interface Transition {
  Next?: string;
  End?: true;
}

export interface TaskState extends Transition {
  Type: "Task";
  Comment?: string;
  Resource: string;
  Parameters?: Record<string, unknown>;
  OutputPath?: string;
  ResultPath?: string | null;
  TimeoutSeconds?: number;
  Retry?: Retrier[];
  Catch?: Catcher[];
}

export interface FailState {
  Type: "Fail";
  Comment?: string;
  Error: string;
  Cause: string;
}

export interface ChoiceRule {
  And?: ChoiceRule[];
  Variable?: string;
  IsPresent?: boolean;
  IsString?: boolean;
  StringMatches?: string;
  Next?: string;
}

export interface ChoiceState {
  Type: "Choice";
  Comment?: string;
  Choices: ChoiceRule[];
  Default: string;
}

export interface ItemReader {
  Resource: string;
  ReaderConfig?: { InputType?: "MANIFEST"; MaxItems?: number };
  Parameters: Record<string, unknown>;
}

export interface MapState extends Transition {
  Type: "Map";
  Comment?: string;
  ItemReader: ItemReader;
  ItemSelector: Record<string, unknown>;
  ItemBatcher: { MaxItemsPerBatch: number; BatchInput: Record<string, unknown> };
  MaxConcurrency: number;
  ToleratedFailurePercentage: number;
  ItemProcessor: {
    ProcessorConfig: { Mode: "DISTRIBUTED"; ExecutionType: "STANDARD" };
    StartAt: string;
    States: Record<string, State>;
  };
  ResultWriter: { Resource: string; Parameters: { Bucket: string; Prefix: string } };
  ResultPath?: string | null;
  Catch?: Catcher[];
}

export type State = TaskState | FailState | ChoiceState | MapState;

export interface StateMachineDefinition {
  Comment: string;
  QueryLanguage: "JSONPath";
  StartAt: string;
  /** Seconds before Step Functions stops an execution (a bound, not a timer the tests rely on). */
  TimeoutSeconds: number;
  States: Record<string, State>;
}

/** Lambda invoke errors AWS documents as transient, plus timeouts of the Task itself. */
export const TRANSIENT_INVOKE_ERRORS = [
  "Lambda.ServiceException",
  "Lambda.AWSLambdaException",
  "Lambda.SdkClientException",
  "Lambda.ClientExecutionTimeoutException",
  "States.Timeout",
];
/** The error type (error.name) the handler throws for a failure worth retrying: KMS throttled or
 * unavailable, an S3 5xx. Permanent problems are results (quarantined, rejected), not errors. */
export const HANDLER_TRANSIENT_ERRORS = ["TransientError"];

/** Retries: throttling backs off longest (reserved concurrency is the throttle); transient errors
 * get a few attempts; everything else goes straight to the failure path. */
export function invokeRetriers(): Retrier[] {
  return [
    {
      ErrorEquals: ["Lambda.TooManyRequestsException"],
      IntervalSeconds: 2,
      MaxAttempts: 8,
      BackoffRate: 2,
      MaxDelaySeconds: 120,
      JitterStrategy: "FULL",
    },
    {
      ErrorEquals: [...TRANSIENT_INVOKE_ERRORS, ...HANDLER_TRANSIENT_ERRORS],
      IntervalSeconds: 5,
      MaxAttempts: 3,
      BackoffRate: 2,
      MaxDelaySeconds: 60,
      JitterStrategy: "FULL",
    },
  ];
}

export interface InvokeTaskParams {
  readonly partition: string;
  readonly functionArn: string;
  /** The function's timeout; the Task waits a minute longer before States.Timeout. */
  readonly functionTimeoutSeconds: number;
}

function invokeTask(p: InvokeTaskParams, payload: Record<string, unknown>): TaskState {
  return {
    Type: "Task",
    Resource: `arn:${p.partition}:states:::lambda:invoke`,
    Parameters: { FunctionName: p.functionArn, ...payload },
    // The function's own result, PHI-free by contract; the invoke metadata is dropped.
    OutputPath: "$.Payload",
    TimeoutSeconds: p.functionTimeoutSeconds + 60,
    Retry: invokeRetriers(),
  };
}

export interface FailureRecordParams {
  readonly partition: string;
  /** The dead-letter queue's URL. */
  readonly queueUrl: string;
  /** Which pipeline path failed: "object" or "backfill". */
  readonly path: "object" | "backfill";
}

/** Sends `{kind, path, execution, error}` to the dead-letter queue: the execution (whose input,
 * encrypted, names the object) and the error type, never the object key or the error's cause. */
function recordFailure(p: FailureRecordParams, next: string): TaskState {
  return {
    Type: "Task",
    Comment: "Record the failure (PHI-free) in the dead-letter queue",
    Resource: `arn:${p.partition}:states:::sqs:sendMessage`,
    Parameters: {
      QueueUrl: p.queueUrl,
      MessageBody: {
        kind: "imgsec.pipeline.failure",
        path: p.path,
        "execution.$": "$$.Execution.Id",
        "stateMachine.$": "$$.StateMachine.Id",
        "error.$": "$.failure.Error",
      },
    },
    ResultPath: null,
    Retry: [
      {
        ErrorEquals: ["States.TaskFailed"],
        IntervalSeconds: 2,
        MaxAttempts: 3,
        BackoffRate: 2,
        JitterStrategy: "FULL",
      },
    ],
    Next: next,
  };
}

export interface ProcessObjectDefinitionParams extends InvokeTaskParams {
  readonly deadLetterQueueUrl: string;
}

/**
 * Steady traffic: one execution per created object. Input `{bucket, key, versionId}`; the function
 * returns `{outcome, uid?, package?, reason?}`. After retries, any error is recorded in the
 * dead-letter queue and the execution fails (so the failed-executions alarm sees it).
 */
export function processObjectDefinition(p: ProcessObjectDefinitionParams): StateMachineDefinition {
  return {
    Comment: "imgsec: de-identify, encrypt and audit one created object",
    QueryLanguage: "JSONPath",
    StartAt: "ProcessObject",
    // Bounded by the retries: 12 attempts at most (1 + 8 throttled + 3 transient), each up to the
    // Task timeout, plus their back-off delays.
    TimeoutSeconds: (p.functionTimeoutSeconds + 60) * 12 + 8 * 120 + 3 * 60,
    States: {
      ProcessObject: {
        ...invokeTask(p, {
          Payload: { "bucket.$": "$.bucket", "key.$": "$.key", "versionId.$": "$.versionId" },
        }),
        Catch: [{ ErrorEquals: ["States.ALL"], ResultPath: "$.failure", Next: "RecordFailure" }],
        End: true,
      },
      RecordFailure: recordFailure(
        { partition: p.partition, queueUrl: p.deadLetterQueueUrl, path: "object" },
        "ObjectFailed",
      ),
      ObjectFailed: {
        Type: "Fail",
        Error: "imgsec.ObjectFailed",
        Cause: "processing failed after retries; the dead-letter queue names this execution",
      },
    },
  };
}

/** Where the backfill's items come from. */
export type BackfillItemSource =
  /** ListObjectsV2 over `{"prefix": "incoming/..."}` given at start (current versions). */
  | { readonly kind: "prefix-listing" }
  /** An S3 Inventory manifest: start with `{"manifestKey": ".../manifest.json"}` (keys in the
   * inventory are URL-encoded; the batch input says so). */
  | { readonly kind: "inventory-manifest"; readonly bucketName: string };

export interface BackfillDefinitionParams extends InvokeTaskParams {
  readonly rawBucketName: string;
  /** The raw bucket's incoming prefix, e.g. "incoming/": only objects under it are processed. */
  readonly incomingPrefix: string;
  readonly itemSource: BackfillItemSource;
  readonly maxItemsPerBatch: number;
  readonly maxConcurrency: number;
  readonly toleratedFailurePercentage: number;
  readonly resultBucketName: string;
  readonly resultPrefix: string;
  readonly deadLetterQueueUrl: string;
}

/**
 * Backfill: a Distributed Map over a prefix listing (or an S3 Inventory manifest), in batches, each
 * batch one invocation of the same function (`{Items: [{bucket, key}...], BatchInput}`), at most
 * MaxConcurrency at once, tolerating a percentage of failed items; results go to the audit bucket.
 */
export function backfillDefinition(p: BackfillDefinitionParams): StateMachineDefinition {
  const listing = p.itemSource.kind === "prefix-listing";
  const inputField = listing ? "prefix" : "manifestKey";
  const accepted = listing ? `${p.incomingPrefix}*` : "*manifest.json";
  const itemReader: ItemReader = listing
    ? {
        Resource: `arn:${p.partition}:states:::s3:listObjectsV2`,
        Parameters: { Bucket: p.rawBucketName, "Prefix.$": "$.prefix" },
      }
    : {
        Resource: `arn:${p.partition}:states:::s3:getObject`,
        ReaderConfig: { InputType: "MANIFEST" },
        Parameters: {
          Bucket: (p.itemSource as { bucketName: string }).bucketName,
          "Key.$": "$.manifestKey",
        },
      };
  return {
    Comment: "imgsec: backfill a prefix of the raw bucket through the same per-object function",
    QueryLanguage: "JSONPath",
    StartAt: "CheckInput",
    TimeoutSeconds: 7 * 24 * 3600,
    States: {
      CheckInput: {
        Type: "Choice",
        Comment: `Accept only ${inputField} values the function may read`,
        Choices: [
          {
            And: [
              { Variable: `$.${inputField}`, IsPresent: true },
              { Variable: `$.${inputField}`, IsString: true },
              { Variable: `$.${inputField}`, StringMatches: accepted },
            ],
            Next: "ProcessItems",
          },
        ],
        Default: "InputRefused",
      },
      InputRefused: {
        Type: "Fail",
        Error: "imgsec.BackfillInputRefused",
        Cause: listing
          ? `start with {"prefix": "${p.incomingPrefix}..."}`
          : 'start with {"manifestKey": ".../manifest.json"}',
      },
      ProcessItems: {
        Type: "Map",
        ItemReader: itemReader,
        // Only what the contract names; the listing's size, ETag and dates stay out of execution data.
        ItemSelector: listing
          ? { bucket: p.rawBucketName, "key.$": "$$.Map.Item.Value.Key" }
          : { "bucket.$": "$$.Map.Item.Value.Bucket", "key.$": "$$.Map.Item.Value.Key" },
        ItemBatcher: {
          MaxItemsPerBatch: p.maxItemsPerBatch,
          BatchInput: listing
            ? { source: "prefix-listing", keyEncoding: "none" }
            : { source: "inventory-manifest", keyEncoding: "url" },
        },
        MaxConcurrency: p.maxConcurrency,
        ToleratedFailurePercentage: p.toleratedFailurePercentage,
        ItemProcessor: {
          ProcessorConfig: { Mode: "DISTRIBUTED", ExecutionType: "STANDARD" },
          StartAt: "ProcessBatch",
          States: {
            ProcessBatch: { ...invokeTask(p, { "Payload.$": "$" }), End: true },
          },
        },
        ResultWriter: {
          Resource: `arn:${p.partition}:states:::s3:putObject`,
          Parameters: { Bucket: p.resultBucketName, Prefix: p.resultPrefix },
        },
        ResultPath: "$.results",
        Catch: [{ ErrorEquals: ["States.ALL"], ResultPath: "$.failure", Next: "RecordFailure" }],
        End: true,
      },
      RecordFailure: recordFailure(
        { partition: p.partition, queueUrl: p.deadLetterQueueUrl, path: "backfill" },
        "BackfillFailed",
      ),
      BackfillFailed: {
        Type: "Fail",
        Error: "imgsec.BackfillFailed",
        Cause:
          "the backfill failed or exceeded its tolerated failure percentage; see the ResultWriter output",
      },
    },
  };
}

/**
 * Structural checks Step Functions would otherwise make only at deploy time: every transition names
 * a state, every state is reachable, non-terminal states have exactly one of Next or End. Returns
 * the problems found (none for a valid definition).
 */
export function definitionProblems(def: {
  StartAt: string;
  States: Record<string, State>;
}): string[] {
  const problems: string[] = [];
  const check = (scope: string, d: { StartAt: string; States: Record<string, State> }) => {
    const names = new Set(Object.keys(d.States));
    const targets = (s: State): string[] => {
      const t: string[] = [];
      if ("Next" in s && s.Next) t.push(s.Next);
      if (s.Type === "Choice") {
        t.push(s.Default, ...s.Choices.map((c) => c.Next).filter((n): n is string => !!n));
      }
      if ((s.Type === "Task" || s.Type === "Map") && s.Catch) t.push(...s.Catch.map((c) => c.Next));
      return t;
    };
    if (!names.has(d.StartAt)) problems.push(`${scope}: StartAt ${d.StartAt} is not a state`);
    for (const [name, s] of Object.entries(d.States)) {
      for (const t of targets(s)) {
        if (!names.has(t)) problems.push(`${scope}.${name}: transition to unknown state ${t}`);
      }
      if (s.Type === "Task" || s.Type === "Map") {
        if (Boolean(s.Next) === Boolean(s.End)) {
          problems.push(`${scope}.${name}: needs exactly one of Next and End`);
        }
      }
      if (s.Type === "Map") check(`${scope}.${name}`, s.ItemProcessor);
    }
    const seen = new Set<string>();
    const walk = (n: string) => {
      if (seen.has(n) || !d.States[n]) return;
      seen.add(n);
      targets(d.States[n]).forEach(walk);
    };
    walk(d.StartAt);
    for (const n of names) if (!seen.has(n)) problems.push(`${scope}.${n}: unreachable`);
  };
  check("States", def);
  return problems;
}
