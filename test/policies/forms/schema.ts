/**
 * Which keys of a resource body are nested blocks and which are attributes, read from the AWS
 * provider's generated cdktf bindings (`@cdktf/provider-aws/lib/<type>/index.js`): each binding's
 * `synthesizeHclAttributes()` and `…ToHclTerraform(struct)` functions mark every key
 * `isBlock: true|false` from the provider schema, which is what cdktf's own HCL output uses.
 *
 * Terraform JSON cannot say which is which (an object may be a block or a map); HCL and plan JSON
 * must (`rule { … }` against `tags = { … }`; a plan writes every block as a list). The converters
 * read it here instead of guessing from a value's shape, so that a map whose keys look like names
 * (a function's environment variables) stays a map.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";

/** One body's keys: nested blocks (with their own body's schema) and attributes. */
export interface BodySchema {
  /** The schema of the named key, or undefined when the provider does not know the key. */
  key(name: string): { block: false } | { block: true; body: BodySchema } | undefined;
  /** Every key the provider knows in this body. */
  keys(): string[];
  /** Is the key computed (the provider may set it when the configuration does not)? */
  computed(name: string): boolean;
}

const libDir = (): string =>
  join(dirname(require.resolve("@cdktf/provider-aws/package.json")), "lib");

/** A key written in a binding: `name: { value: …, isBlock: true, …`. */
const KEY = /^\s+"?([A-Za-z0-9_-]+)"?: \{\n\s+value: (.+),\n\s+isBlock: (true|false),/gm;
/** The function that converts a nested block's struct (not one of cdktf's own converters). */
const NESTED = /(?<![.\w])([A-Za-z]\w*ToHclTerraform)\b/;

class BindingSchema implements BodySchema {
  private readonly byName = new Map<string, { block: boolean; nested?: string }>();

  constructor(
    private readonly file: Binding,
    text: string,
    /** The binding's class for this body, whose comments say what is computed. */
    private readonly className: string,
  ) {
    for (const m of text.matchAll(KEY)) {
      const nested = m[3] === "true" ? NESTED.exec(m[2])?.[1] : undefined;
      this.byName.set(m[1], { block: m[3] === "true", ...(nested ? { nested } : {}) });
    }
  }

  key(name: string) {
    const k = this.byName.get(name);
    if (!k) return undefined;
    if (!k.block) return { block: false as const };
    if (!k.nested)
      throw new Error(`${this.file.type}: block ${name} has no converter in its binding`);
    return { block: true as const, body: this.file.function(k.nested) };
  }

  /** Configurable keys and the attributes only the provider sets (`arn`). */
  keys(): string[] {
    return [...new Set([...this.byName.keys(), ...this.file.computed(this.className)])];
  }

  computed(name: string): boolean {
    return this.file.computed(this.className).has(name);
  }
}

/** `// arn - computed: true, optional: false, required: false` in the binding's TypeScript. */
const FLAGS =
  /^\s*\/\/ (\w+) - computed: (true|false), optional: (true|false), required: (true|false)/gm;
const CLASS = /^export class (\w+)/gm;

/** One binding file: its resource's body and its nested blocks' converter functions. */
class Binding {
  private readonly functions = new Map<string, BindingSchema>();
  private classes?: Map<string, Set<string>>;
  readonly root: BindingSchema;

  constructor(
    readonly type: string,
    private readonly text: string,
  ) {
    const start = text.indexOf("synthesizeHclAttributes() {");
    if (start < 0) throw new Error(`${type}: the binding has no synthesizeHclAttributes`);
    // The resource's class is the one whose method this is.
    const classes = [...text.slice(0, start).matchAll(/^class (\w+) extends/gm)];
    const rootClass = classes[classes.length - 1]?.[1] ?? "";
    this.root = new BindingSchema(
      this,
      text.slice(start, text.indexOf("\n    }\n", start)),
      rootClass,
    );
  }

  function(name: string): BindingSchema {
    let schema = this.functions.get(name);
    if (!schema) {
      const start = this.text.indexOf(`function ${name}(struct) {`);
      if (start < 0) throw new Error(`${this.type}: no function ${name} in the binding`);
      // fooBarToHclTerraform converts the struct that class FooBarOutputReference holds.
      const className = `${name[0].toUpperCase()}${name.slice(1).replace(/ToHclTerraform$/, "")}OutputReference`;
      schema = new BindingSchema(
        this,
        this.text.slice(start, this.text.indexOf("\n}\n", start)),
        className,
      );
      this.functions.set(name, schema);
    }
    return schema;
  }

  /**
   * The computed keys of a class (those only the provider sets and those it sets when the
   * configuration does not), from the comments of the binding's TypeScript source (the
   * compiled file keeps few of them; its inline source map holds the whole source).
   */
  computed(className: string): Set<string> {
    if (!this.classes) {
      this.classes = new Map();
      const map = /sourceMappingURL=data:application\/json;base64,(\S+)/.exec(this.text);
      const source: unknown = map
        ? JSON.parse(Buffer.from(map[1], "base64").toString("utf8")).sourcesContent?.[0]
        : undefined;
      if (typeof source !== "string")
        throw new Error(`${this.type}: the binding has no source to read computed keys from`);
      const starts = [...source.matchAll(CLASS)];
      starts.forEach((m, i) => {
        const end = i + 1 < starts.length ? starts[i + 1].index : source.length;
        const set = new Set<string>();
        for (const f of source.slice(m.index, end).matchAll(FLAGS))
          if (f[2] === "true") set.add(f[1]);
        this.classes?.set(m[1], set);
      });
    }
    return this.classes.get(className) ?? new Set();
  }
}

const bindings = new Map<string, Binding>();

/**
 * The body schema of a resource type (`aws_s3_bucket`), a data source (`data` true), or the
 * provider's own configuration block (type `provider`). Throws for a type the provider lacks.
 */
export function bodySchema(type: string, kind: "resource" | "data" | "provider"): BodySchema {
  const dir =
    kind === "provider"
      ? "provider"
      : `${kind === "data" ? "data-aws-" : ""}${type.replace(/^aws_/, "").replace(/_/g, "-")}`;
  let b = bindings.get(dir);
  if (!b) {
    let text: string;
    try {
      text = readFileSync(join(libDir(), dir, "index.js"), "utf8");
    } catch {
      throw new Error(`no cdktf binding for ${kind} ${type} (looked for lib/${dir})`);
    }
    if (kind !== "provider" && !text.includes(`tfResourceType = "${type}"`))
      throw new Error(`lib/${dir} is not the binding of ${type}`);
    b = new Binding(type, text);
    bindings.set(dir, b);
  }
  return b.root;
}
