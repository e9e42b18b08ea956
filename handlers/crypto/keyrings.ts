/**
 * Keyrings: the one layer that differs between the embedded default (a raw AES-256 wrapping key
 * from the local key file) and AWS (KMS keys). Everything above them is shared.
 */
import type { KeyringNode } from "@aws-crypto/client-node";
import { esdkKms, esdkRawAes } from "./esdk";
import { loadKey, zeroize } from "../keys/keyfile";
import { KMS_PROVIDER, LOCAL_PROVIDER } from "./context";

const KMS_ARN =
  /^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:(key\/[A-Za-z0-9-]{1,128}|alias\/[A-Za-z0-9/_+=,.@-]{1,256})$/;

export class KeyringError extends Error {}

export interface Keyring {
  keyring: KeyringNode;
  /** What the keyring wraps with, for messages: provider and key id or ARN (never key material). */
  describe: string;
  /** Zeroes key material we own; call in `finally`. */
  release(): void;
}

/** The raw AES keyring over the key file's `encryption` key; the key name is its (public) id. */
export function localKeyring(keysPath: string): Keyring {
  const aes = esdkRawAes();
  const { key, id } = loadKey(keysPath, "encryption");
  // The ESDK wants the key alone in its ArrayBuffer (not a slice of Node's shared pool); it wraps
  // it in a KeyObject, so both our copies are zeroed at once.
  const isolated = new Uint8Array(key.length);
  try {
    isolated.set(key);
    const keyring = new aes.RawAesKeyringNode({
      keyNamespace: LOCAL_PROVIDER,
      keyName: id,
      unencryptedMasterKey: isolated,
      wrappingSuite: aes.RawAesWrappingSuiteIdentifier.AES256_GCM_IV12_TAG16_NO_PADDING,
    });
    return { keyring, describe: `${LOCAL_PROVIDER} key ${id}`, release: () => undefined };
  } finally {
    zeroize(key);
    isolated.fill(0);
  }
}

/**
 * The KMS keyring: the first key generates the data key, the others (e.g. replicas in other
 * regions) each wrap it too, so any one of them can decrypt. Decrypt needs key ARNs, not aliases:
 * a package records the key ARN that wrapped it.
 */
export function kmsKeyring(keyIds: string[], purpose: "encrypt" | "decrypt"): Keyring {
  if (keyIds.length === 0) throw new KeyringError("no KMS key given");
  for (const k of keyIds) {
    if (!KMS_ARN.test(k))
      throw new KeyringError(
        "--kms-key must be a KMS key ARN or alias ARN (arn:aws:kms:<region>:<account>:key/<id> or alias/<name>)",
      );
    if (purpose === "decrypt" && k.includes(":alias/"))
      throw new KeyringError("decrypt needs the KMS key ARN (an alias ARN cannot match a package)");
  }
  const [generatorKeyId, ...others] = keyIds;
  const keyring = new (esdkKms().KmsKeyringNode)({ generatorKeyId, keyIds: others });
  return { keyring, describe: `${KMS_PROVIDER} ${keyIds.length} key(s)`, release: () => undefined };
}

export const isKmsKeyArn = (s: string): boolean => KMS_ARN.test(s);
