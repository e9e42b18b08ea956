/**
 * Checkpoint signers: the key file's Ed25519 key (local), or an asymmetric AWS KMS key
 * (ECC_NIST_P256, SIGN_VERIFY) whose private half never leaves KMS. Both sign the same canonical
 * bytes; the verifier needs only the public key, and tells the algorithm from it.
 */
import type { KMSClient } from "@aws-sdk/client-kms";
import { createPublicKey, KeyObject, sign, verify } from "node:crypto";
import { publicKeyFingerprint } from "./canonical";
import { AuditLogError } from "./errors";
import { CheckpointAlg } from "./schema";

export type { CheckpointAlg } from "./schema";

export interface CheckpointSigner {
  /** What the open record's and each checkpoint's `alg` say. */
  readonly alg: CheckpointAlg;
  /** publicKeyFingerprint(publicKey): the open record's `signer`, each checkpoint's `key`. */
  readonly fingerprint: string;
  /** What an auditor verifies with (`imgsec audit public-key` writes it as PEM). */
  readonly publicKey: KeyObject;
  /** For messages: "the key file", or the KMS key id. */
  readonly name: string;
  /** The signature over `data` (the checkpoint's canonical bytes), as stored (base64) in `sig`. */
  sign(data: Buffer): Promise<Buffer>;
  /** Releases what the signer holds (a KMS client it created). */
  dispose?(): void;
}

/** Env naming the KMS key (an ARN) that signs checkpoints instead of the key file's Ed25519 key. */
export { KMS_SIGNER_ENV } from "./env";

/** The algorithm a public key verifies: Ed25519, or ECDSA over P-256 with SHA-256. */
export function checkpointAlgOf(key: KeyObject): CheckpointAlg | undefined {
  if (key.asymmetricKeyType === "ed25519") return "ed25519";
  if (key.asymmetricKeyType === "ec" && key.asymmetricKeyDetails?.namedCurve === "prime256v1")
    return "ecdsa-p256-sha256";
  return undefined;
}

/** Verifies a checkpoint signature; never throws (a malformed signature does not verify). */
export function verifyCheckpointSignature(
  alg: CheckpointAlg,
  publicKey: KeyObject,
  data: Buffer,
  sig: Buffer,
): boolean {
  if (checkpointAlgOf(publicKey) !== alg) return false;
  try {
    return alg === "ed25519"
      ? verify(null, data, publicKey, sig)
      : verify("sha256", data, { key: publicKey, dsaEncoding: "der" }, sig);
  } catch {
    return false;
  }
}

/** The key file's Ed25519 key: the behaviour and record format of logs before KMS signers. */
export function ed25519Signer(privateKey: KeyObject): CheckpointSigner {
  if (privateKey.type !== "private" || privateKey.asymmetricKeyType !== "ed25519")
    throw new AuditLogError("the audit signing key is not an Ed25519 private key");
  const publicKey = createPublicKey(privateKey);
  return {
    alg: "ed25519",
    fingerprint: publicKeyFingerprint(publicKey),
    publicKey,
    name: "the key file",
    sign: async (data) => sign(null, data, privateKey),
  };
}

export interface KmsSignerOptions {
  /** The KMS key: its ARN (recommended: it names the region), an alias ARN, key id or alias. */
  kmsKeyId: string;
  /** Default: a client for the key ARN's region (else AWS_REGION), honouring AWS_ENDPOINT_URL. */
  client?: KMSClient;
}

/** The region an ARN names (arn:aws:kms:<region>:...), if it is one. */
function arnRegion(keyId: string): string | undefined {
  return /^arn:aws[a-z-]*:kms:([a-z0-9-]+):/.exec(keyId)?.[1];
}

const errName = (e: unknown) => (e as Error)?.name ?? "error";

async function kmsClient(keyId: string, env: NodeJS.ProcessEnv): Promise<KMSClient> {
  const { KMSClient } = await import("@aws-sdk/client-kms");
  return new KMSClient({
    region: arnRegion(keyId) ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? "us-east-1",
    ...(env.AWS_ENDPOINT_URL ? { endpoint: env.AWS_ENDPOINT_URL } : {}),
  });
}

/**
 * The public key of a KMS checkpoint signing key (GetPublicKey, SPKI DER), checked to be an
 * ECC_NIST_P256 SIGN_VERIFY key that offers ECDSA_SHA_256.
 */
export async function kmsSigningPublicKey(
  kmsKeyId: string,
  client?: KMSClient,
  env: NodeJS.ProcessEnv = process.env,
): Promise<KeyObject> {
  const { GetPublicKeyCommand } = await import("@aws-sdk/client-kms");
  const c = client ?? (await kmsClient(kmsKeyId, env));
  try {
    let r;
    try {
      r = await c.send(new GetPublicKeyCommand({ KeyId: kmsKeyId }));
    } catch (e) {
      throw new AuditLogError(
        `cannot get the public key of KMS key ${kmsKeyId} (GetPublicKey: ${errName(e)})`,
      );
    }
    const spec = r.KeySpec ?? r.CustomerMasterKeySpec;
    if (
      r.KeyUsage !== "SIGN_VERIFY" ||
      spec !== "ECC_NIST_P256" ||
      !r.SigningAlgorithms?.includes("ECDSA_SHA_256") ||
      !r.PublicKey
    )
      throw new AuditLogError(
        `KMS key ${kmsKeyId} is a ${spec ?? "?"} ${r.KeyUsage ?? "?"} key: audit checkpoints need an ECC_NIST_P256 SIGN_VERIFY key`,
      );
    let key: KeyObject;
    try {
      key = createPublicKey({ key: Buffer.from(r.PublicKey), format: "der", type: "spki" });
    } catch {
      throw new AuditLogError(`KMS key ${kmsKeyId} returned a public key that does not parse`);
    }
    if (checkpointAlgOf(key) !== "ecdsa-p256-sha256")
      throw new AuditLogError(`KMS key ${kmsKeyId} returned a public key that is not P-256`);
    return key;
  } finally {
    if (!client) c.destroy();
  }
}

/**
 * An AWS KMS asymmetric key (ECC_NIST_P256, SIGN_VERIFY): KMS Sign, ECDSA_SHA_256, MessageType
 * RAW, over the checkpoint's canonical bytes; the DER signature as KMS returns it. Every signature
 * is verified against the key's public key (from GetPublicKey, at open) before it is written.
 */
export async function kmsSigner(
  opts: KmsSignerOptions,
  env: NodeJS.ProcessEnv = process.env,
): Promise<CheckpointSigner> {
  const { SignCommand } = await import("@aws-sdk/client-kms");
  const keyId = opts.kmsKeyId;
  if (!keyId) throw new AuditLogError("no KMS key id for the audit checkpoint signer");
  const client = opts.client ?? (await kmsClient(keyId, env));
  let publicKey: KeyObject;
  try {
    publicKey = await kmsSigningPublicKey(keyId, client, env);
  } catch (e) {
    if (!opts.client) client.destroy();
    throw e;
  }
  return {
    alg: "ecdsa-p256-sha256",
    fingerprint: publicKeyFingerprint(publicKey),
    publicKey,
    name: `KMS key ${keyId}`,
    async sign(data: Buffer): Promise<Buffer> {
      let sig: Buffer;
      try {
        const r = await client.send(
          new SignCommand({
            KeyId: keyId,
            Message: data,
            MessageType: "RAW",
            SigningAlgorithm: "ECDSA_SHA_256",
          }),
        );
        if (!r.Signature) throw new Error("no signature");
        sig = Buffer.from(r.Signature);
      } catch (e) {
        throw new AuditLogError(
          `cannot sign an audit checkpoint with KMS key ${keyId} (Sign: ${errName(e)}): nothing was written`,
        );
      }
      if (!verifyCheckpointSignature("ecdsa-p256-sha256", publicKey, data, sig))
        throw new AuditLogError(
          `KMS key ${keyId} returned a checkpoint signature that its public key does not verify: nothing was written`,
        );
      return sig;
    },
    dispose: () => {
      if (!opts.client) client.destroy();
    },
  };
}
