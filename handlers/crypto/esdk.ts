/**
 * The AWS Encryption SDK, loaded part by part when first used. `@aws-crypto/client-node` is only
 * an index over its sub-packages, and loading it loads all of them: the KMS keyring and the AWS
 * SDK's KMS client, the RSA keyring, the caching materials manager, the branch key store. An
 * `imgsec encrypt` with the local key file needs the encrypt side and the raw AES keyring only:
 * 53 ms to load instead of 158 ms (bench machine, Node 20). Each sub-package is required by its
 * literal name (they are client-node's own dependencies, installed beside it by the lockfile), so
 * esbuild can bundle them into the Lambda zip, which has no node_modules; the types are
 * client-node's.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
import type * as ClientNode from "@aws-crypto/client-node";
import type { Readable, Writable } from "node:stream";

type Client = typeof ClientNode;

// Literal requires, one per sub-package, called on first use only.
const LOADERS: Record<string, () => unknown> = {
  "@aws-crypto/material-management-node": () => require("@aws-crypto/material-management-node"),
  "@aws-crypto/encrypt-node": () => require("@aws-crypto/encrypt-node"),
  "@aws-crypto/decrypt-node": () => require("@aws-crypto/decrypt-node"),
  "@aws-crypto/raw-aes-keyring-node": () => require("@aws-crypto/raw-aes-keyring-node"),
  "@aws-crypto/kms-keyring-node": () => require("@aws-crypto/kms-keyring-node"),
};
const cache = new Map<string, unknown>();

function load<T>(name: string): T {
  if (!cache.has(name)) cache.set(name, LOADERS[name]());
  return cache.get(name) as T;
}

/** Loaded by every other part anyway: no cost of its own. */
export const esdkMaterials = () =>
  load<
    Pick<
      Client,
      | "CommitmentPolicy"
      | "CommitmentPolicySuites"
      | "NodeAlgorithmSuite"
      | "NodeDefaultCryptographicMaterialsManager"
      | "needs"
    >
  >("@aws-crypto/material-management-node");
export const esdkEncrypt = () => load<Pick<Client, "buildEncrypt">>("@aws-crypto/encrypt-node");
export const esdkDecrypt = () => load<Pick<Client, "buildDecrypt">>("@aws-crypto/decrypt-node");
export const esdkRawAes = () =>
  load<Pick<Client, "RawAesKeyringNode" | "RawAesWrappingSuiteIdentifier">>(
    "@aws-crypto/raw-aes-keyring-node",
  );
export const esdkKms = () => load<Pick<Client, "KmsKeyringNode">>("@aws-crypto/kms-keyring-node");

type Material = Awaited<
  ReturnType<
    InstanceType<Client["NodeDefaultCryptographicMaterialsManager"]>["getEncryptionMaterials"]
  >
>;

/** The message header and the frame cipher of one message, as the ESDK's encryptStream makes them. */
export interface EncryptionInfo {
  getCipher: unknown;
  dispose(): void;
  getSigner?: unknown;
  messageHeader: unknown;
  /** The serialized header and its authentication, in order. */
  rawHeader: Uint8Array[];
}

/**
 * The parts `encryptStream` is made of, which @aws-crypto/encrypt-node does not export from its
 * index: the header writer (`getEncryptionInfo`), the frame writer (`getFramedEncryptStream`, a
 * Transform from plaintext to frames) and the footer writer (`serializeSignatureInfo`). imgsec
 * composes them as encryptStream does, so every byte of a package is still written by the ESDK;
 * only the hashes run in worker threads (package-writer.ts). Pinned with client-node (5.0.2);
 * test/crypto/package-writer.test.ts checks that they are there and that the layout is the one
 * encryptStream writes.
 */
export interface EncryptParts {
  getEncryptionInfo(material: Material, frameLength: number): EncryptionInfo;
  getFramedEncryptStream(
    getCipher: unknown,
    messageHeader: unknown,
    dispose: () => void,
    opts: { suite: Material["suite"] },
  ): Readable & Writable;
  serializeSignatureInfo(signature: Uint8Array): Uint8Array;
  maxFrameSize: number;
}

let parts: EncryptParts | undefined;

export function esdkEncryptParts(): EncryptParts {
  if (parts) return parts;
  // Files of encrypt-node that its index does not export, by their paths in the pinned version.
  const stream = require("@aws-crypto/encrypt-node/build/main/src/encrypt_stream") as Pick<
    EncryptParts,
    "getEncryptionInfo"
  >;
  const framed = require("@aws-crypto/encrypt-node/build/main/src/framed_encrypt_stream") as Pick<
    EncryptParts,
    "getFramedEncryptStream"
  >;
  const serialize = require("@aws-crypto/serialize") as {
    serializeSignatureInfo: EncryptParts["serializeSignatureInfo"];
    Maximum: { FRAME_SIZE: number };
  };
  for (const [name, f] of [
    ["getEncryptionInfo", stream.getEncryptionInfo],
    ["getFramedEncryptStream", framed.getFramedEncryptStream],
    ["serializeSignatureInfo", serialize.serializeSignatureInfo],
  ] as const)
    if (typeof f !== "function") throw new Error(`the installed ESDK has no ${name}`);
  parts = {
    getEncryptionInfo: stream.getEncryptionInfo,
    getFramedEncryptStream: framed.getFramedEncryptStream,
    serializeSignatureInfo: serialize.serializeSignatureInfo,
    maxFrameSize: serialize.Maximum.FRAME_SIZE,
  };
  return parts;
}

export type EncryptionMaterial = Material;
