/**
 * The configuration's syntax, the same for HCL (`hcl.ts`) and Terraform JSON (`json.ts`): bodies of
 * attributes and blocks, and expressions. The evaluator (`evaluate.ts`) reads only this.
 */

/** Where something is written: the file relative to the checked path, 1-based lines (0 when the
 * lines are not known: a JSON document given as a value rather than as text). */
export interface Span {
  file: string;
  line: number;
  endLine: number;
}

export type Expr =
  | { k: "lit"; value: null | boolean | number | string; at?: Span }
  | { k: "template"; parts: TemplatePart[]; at?: Span }
  | { k: "tuple"; items: Expr[]; at?: Span }
  | { k: "object"; items: ObjectItem[]; at?: Span }
  | { k: "var"; name: string; at?: Span }
  | { k: "attr"; of: Expr; name: string; at?: Span }
  | { k: "index"; of: Expr; key: Expr; at?: Span }
  /** `of[*].<each>` / `of.*.<each>`: `each` is applied to every element, reached as `{k: "item"}`. */
  | { k: "splat"; of: Expr; each: Expr; at?: Span }
  | { k: "item" }
  | { k: "call"; name: string; args: Expr[]; expand: boolean; at?: Span }
  | { k: "cond"; test: Expr; then: Expr; else: Expr; at?: Span }
  | { k: "binary"; op: string; left: Expr; right: Expr; at?: Span }
  | { k: "unary"; op: string; of: Expr; at?: Span }
  | {
      k: "for";
      keyVar?: string;
      valueVar: string;
      collection: Expr;
      /** Present for `{for ...: key => value}`. */
      key?: Expr;
      value: Expr;
      cond?: Expr;
      group: boolean;
      at?: Span;
    };

/** A key written as a bare name (`a = 1`) is that string; any other key is evaluated. */
export interface ObjectItem {
  key: Expr;
  value: Expr;
}

export type TemplatePart =
  | { k: "text"; text: string }
  | { k: "interp"; expr: Expr }
  | { k: "if"; test: Expr; then: TemplatePart[]; else: TemplatePart[] }
  | { k: "for"; keyVar?: string; valueVar: string; collection: Expr; body: TemplatePart[] };

export interface Attribute {
  name: string;
  /** JSON only: a property name written as a template (`"${var.k}": "v"` in a nested object). */
  nameExpr?: Expr;
  expr: Expr;
  at: Span;
}

export interface Block {
  type: string;
  labels: string[];
  body: Body;
  at: Span;
  /** cdktf: the construct path from the resource's `"//"` metadata (`imgsec-prod/raw/bucket`). */
  construct?: string;
}

export interface Body {
  attributes: Attribute[];
  blocks: Block[];
}

/** A comment of an HCL file, for inline waivers. */
export interface Comment {
  text: string;
  line: number;
  endLine: number;
}

/** One configuration file, parsed. */
export interface ConfigFile {
  /** Relative to the checked path, `/`-separated. */
  file: string;
  body: Body;
  comments: Comment[];
  /** HCL: the lines holding only whitespace (a waiver comment may stand above its block). */
  blankLines?: Set<number>;
}

export const lit = (value: null | boolean | number | string, at?: Span): Expr => ({
  k: "lit",
  value,
  at,
});
