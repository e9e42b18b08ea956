import { CONTEXT_PATTERNS, CTX, ESDK_PUBLIC_KEY } from "../../handlers/crypto/context";
import { DEFAULT_PACKAGE_PARAMS } from "../../policies/engine/package-gate";

// The context is checked twice: before encrypting (context.ts) and by the package rules
// (policies/package/params.json). The two must never drift apart.
test("the package rules' context patterns and keys are the ones encrypt enforces", () => {
  const patterns = Object.fromEntries(
    Object.entries(CONTEXT_PATTERNS).map(([k, re]) => [k, re.source]),
  );
  // Compared as RegExp sources, which spell "/" the same way whichever way it was written.
  const params = Object.fromEntries(
    Object.entries(DEFAULT_PACKAGE_PARAMS.context_value_patterns).map(([k, p]) => [
      k,
      new RegExp(p).source,
    ]),
  );
  expect(params).toEqual(patterns);
  expect([...DEFAULT_PACKAGE_PARAMS.required_context_keys].sort()).toEqual(
    Object.values(CTX).sort(),
  );
  expect([...DEFAULT_PACKAGE_PARAMS.allowed_context_keys].sort()).toEqual(
    [...Object.values(CTX), ESDK_PUBLIC_KEY].sort(),
  );
});
