/**
 * HCL syntax trees from tree-sitter's HCL grammar (`@tree-sitter-grammars/tree-sitter-hcl`, run by
 * `web-tree-sitter`), with a synchronous interface.
 *
 * web-tree-sitter can only be initialized asynchronously, while `loadStacks` is synchronous (its
 * callers, the CLI, the report, the benchmarks and the tests, call it so). The parser therefore
 * runs in one worker thread, started on first use and reused: the caller posts the sources and
 * blocks on `Atomics.wait` until the worker has parsed them, then takes the answer with
 * `receiveMessageOnPort`. The worker returns each tree flattened into an Int32Array (type id,
 * start, end per node, -1 closing a node), which is cheap to transfer; the tree is rebuilt here.
 */
import { MessageChannel, MessagePort, receiveMessageOnPort, Worker } from "node:worker_threads";

/** A node of the concrete syntax tree; `start`/`end` index the source string (UTF-16 units). */
export interface CstNode {
  type: string;
  /** Named node (a grammar rule) rather than an anonymous token such as "=" or "+". */
  named: boolean;
  start: number;
  end: number;
  children: CstNode[];
}

export interface ParseSource {
  text: string;
}

export type ParseOutcome =
  | { ok: true; root: CstNode }
  | {
      ok: false;
      /** Where the first syntax error starts (index into the text) and what it is. */
      index: number;
      message: string;
    };

// The worker's code, run with `eval: true` so that it needs no file of its own beside the compiled
// or the ts-jest-transpiled module. It never sees anything but the sources it is sent.
const WORKER_SOURCE = `
"use strict";
const { workerData } = require("node:worker_threads");
const { readFileSync } = require("node:fs");
const { port, signal } = workerData;
let parser, names, named;

const ready = (async () => {
  const { Parser, Language } = require(workerData.webTreeSitter);
  await Parser.init();
  const language = Language.loadSync(new WebAssembly.Module(readFileSync(workerData.grammar)));
  parser = new Parser();
  parser.setLanguage(language);
  names = [];
  named = [];
  for (let i = 0; i < language.nodeTypeCount; i++) {
    names.push(language.nodeTypeForId(i));
    named.push(language.nodeTypeIsNamed(i));
  }
})();

function firstError(tree) {
  const c = tree.walk();
  for (;;) {
    if (c.nodeTypeId === 65535 || c.nodeType === "ERROR") {
      const node = c.currentNode;
      let leaf = node;
      while (leaf.childCount > 0) leaf = leaf.child(0);
      const text = leaf.text.split("\\n")[0];
      return { index: node.startIndex, message: text ? "unexpected " + JSON.stringify(text.slice(0, 40)) : "unexpected input" };
    }
    if (c.nodeIsMissing) {
      return { index: c.startIndex, message: "missing " + JSON.stringify(c.nodeType) };
    }
    if (c.gotoFirstChild()) continue;
    while (!c.gotoNextSibling()) if (!c.gotoParent()) return { index: 0, message: "syntax error" };
  }
}

function flatten(tree) {
  const out = [];
  const c = tree.walk();
  for (;;) {
    out.push(c.nodeTypeId, c.startIndex, c.endIndex);
    if (c.gotoFirstChild()) continue;
    out.push(-1);
    for (;;) {
      if (c.gotoNextSibling()) break;
      if (!c.gotoParent()) return Int32Array.from(out);
      out.push(-1);
    }
  }
}

port.on("message", async (request) => {
  let answer;
  try {
    await ready;
    const results = [];
    for (const text of request.texts) {
      const tree = parser.parse(text);
      try {
        results.push(tree.rootNode.hasError ? { ok: false, ...firstError(tree) } : { ok: true, flat: flatten(tree) });
      } finally {
        tree.delete();
      }
    }
    answer = { results, names, named };
  } catch (e) {
    answer = { failure: String((e && e.message) || e).split("\\n")[0] };
  }
  port.postMessage(answer);
  Atomics.store(signal, 0, 1);
  Atomics.notify(signal, 0);
});
`;

interface WorkerAnswer {
  results?: ({ ok: true; flat: Int32Array } | { ok: false; index: number; message: string })[];
  names?: string[];
  named?: boolean[];
  failure?: string;
}

interface Channel {
  worker: Worker;
  port: MessagePort;
  signal: Int32Array;
}

let channel: Channel | undefined;
let typeNames: string[] = [];
let typeNamed: boolean[] = [];

/** A parse of this many characters or more is refused before it is sent (16 MiB of text). */
export const MAX_SOURCE_CHARS = 16 * 1024 * 1024;
/** How long to wait for the worker before giving up (it parses 500 resources in about 0.2 s). */
const ANSWER_TIMEOUT_MS = 120_000;

function open(): Channel {
  if (channel) return channel;
  const { port1, port2 } = new MessageChannel();
  const signal = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: {
      port: port2,
      signal,
      webTreeSitter: require.resolve("web-tree-sitter"),
      grammar: require.resolve("@tree-sitter-grammars/tree-sitter-hcl/tree-sitter-hcl.wasm"),
    },
    transferList: [port2],
  });
  // The worker must never keep a finished process alive.
  worker.unref();
  port1.unref();
  channel = { worker, port: port1, signal };
  return channel;
}

/** Stops the parser's worker (tests; a process otherwise simply exits, the worker being unref'd). */
export async function closeHclParser(): Promise<void> {
  const c = channel;
  channel = undefined;
  if (c) {
    c.port.close();
    await c.worker.terminate();
  }
}

/** Parses each source as an HCL file; synchronous (see the file comment). */
export function parseHcl(sources: ParseSource[]): ParseOutcome[] {
  if (sources.length === 0) return [];
  const c = open();
  Atomics.store(c.signal, 0, 0);
  c.port.postMessage({ texts: sources.map((s) => s.text) });
  if (Atomics.wait(c.signal, 0, 0, ANSWER_TIMEOUT_MS) === "timed-out") {
    // The worker is in an unknown state: start a new one next time.
    channel = undefined;
    void c.worker.terminate();
    throw new Error("the HCL parser did not answer");
  }
  const received = receiveMessageOnPort(c.port);
  const answer = received?.message as WorkerAnswer | undefined;
  if (!answer || answer.failure || !answer.results)
    throw new Error(`the HCL parser failed: ${answer?.failure ?? "no answer"}`);
  if (answer.names) typeNames = answer.names;
  if (answer.named) typeNamed = answer.named;
  return answer.results.map((r) =>
    r.ok ? { ok: true, root: rebuild(r.flat) } : { ok: false, index: r.index, message: r.message },
  );
}

function rebuild(flat: Int32Array): CstNode {
  const stack: CstNode[] = [];
  let root: CstNode | undefined;
  for (let i = 0; i < flat.length; ) {
    const id = flat[i];
    if (id === -1) {
      const done = stack.pop()!;
      if (stack.length === 0) root = done;
      i += 1;
      continue;
    }
    const node: CstNode = {
      type: typeNames[id] ?? "ERROR",
      named: typeNamed[id] ?? true,
      start: flat[i + 1],
      end: flat[i + 2],
      children: [],
    };
    stack[stack.length - 1]?.children.push(node);
    stack.push(node);
    i += 3;
  }
  if (!root) throw new Error("the HCL parser returned an empty tree");
  return root;
}
