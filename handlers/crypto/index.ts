/** imgsec packages: AWS Encryption SDK messages of de-identified DICOM (contract: README.md). */
export * from "./context";
export * from "./digest-worker";
export * from "./keyrings";
export * from "./message";
export * from "./package";
export { prepareEncryption } from "./package-writer";
export * from "./pixel-digest";
export * from "./suites";
export * from "./version";
