/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  transform: {
    // Type checking happens in `npm run build` / `npm run lint`; tests only transpile.
    "^.+\\.ts$": ["ts-jest", { diagnostics: false }],
  },
  setupFilesAfterEnv: ["<rootDir>/test/setup.ts"],
  globalSetup: "<rootDir>/test/global-setup.js",
  // After jest's own report: the blocks that skipped because a tool is missing, by name.
  reporters: ["default", "<rootDir>/test/reporters/skipped-tools.js"],
  testTimeout: 120000,
};
