/**
 * The AWS Encryption SDK, loaded part by part when first used. `@aws-crypto/client-node` is only
 * an index over its sub-packages, and loading it loads all of them: the KMS keyring and the AWS
 * SDK's KMS client, the RSA keyring, the caching materials manager, the branch key store. An
 * `imgsec encrypt` with the local key file needs the encrypt client and the raw AES keyring only:
 * 53 ms to load instead of 158 ms (bench machine, Node 20). The sub-packages are resolved from
 * client-node's own folder, so they are exactly the ones client-node itself would load, whatever
 * the install layout; the types are client-node's.
 */
import type * as ClientNode from "@aws-crypto/client-node";
import { createRequire } from "node:module";

type Client = typeof ClientNode;

const fromClientNode = createRequire(require.resolve("@aws-crypto/client-node"));
const cache = new Map<string, unknown>();

function load<T>(name: string): T {
  if (!cache.has(name)) cache.set(name, fromClientNode(name));
  return cache.get(name) as T;
}

/** Loaded by every other part anyway: no cost of its own. */
export const esdkMaterials = () =>
  load<Pick<Client, "CommitmentPolicy">>("@aws-crypto/material-management-node");
export const esdkEncrypt = () => load<Pick<Client, "buildEncrypt">>("@aws-crypto/encrypt-node");
export const esdkDecrypt = () => load<Pick<Client, "buildDecrypt">>("@aws-crypto/decrypt-node");
export const esdkRawAes = () =>
  load<Pick<Client, "RawAesKeyringNode" | "RawAesWrappingSuiteIdentifier">>(
    "@aws-crypto/raw-aes-keyring-node",
  );
export const esdkKms = () => load<Pick<Client, "KmsKeyringNode">>("@aws-crypto/kms-keyring-node");
