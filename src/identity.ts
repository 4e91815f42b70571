/**
 * The repo identity: one Ed25519 key per repo, in `<repo>/identity.key` (libp2p private-key
 * protobuf, mode 0600, repo directory 0700). Its peer ID is the user's address: the tag others
 * send to, and the signer of everything this repo publishes.
 *
 * @module
 */

import { randomBytes } from 'node:crypto'
import { link, mkdir, open, unlink, writeFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { IdentityCorruptError, IdentityPermissionsError } from './errors.ts'
import { parseIdentityKey as parseIdentity } from './identity-key.ts'
import type { PeerId, PrivateKey } from '@libp2p/interface'

/** File name of the identity key inside the repo. */
export const IDENTITY_FILE = 'identity.key'
/** Mode of the identity key file. */
export const IDENTITY_FILE_MODE = 0o600
/** Mode of a repo directory ipts creates. */
export const REPO_DIR_MODE = 0o700
/** Largest identity file read, in bytes (an Ed25519 key protobuf is 68). */
const MAX_IDENTITY_FILE_BYTES = 4096
/** Permission bits that must be clear on the key file: any access by group or others. */
const GROUP_OTHER_BITS = 0o077

export interface Identity {
  privateKey: PrivateKey
  peerId: PeerId
  /** True when this call generated the key. */
  created: boolean
}

/**
 * The repo directory: `flag` if given, else `$IPTS_REPO` if set and not empty, else `~/.ipts`.
 *
 * @param env - environment to read `IPTS_REPO` from (tests pass their own)
 */
export function resolveRepo (flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (flag != null) {
    return flag
  }
  const fromEnv = env.IPTS_REPO
  if (fromEnv != null && fromEnv !== '') {
    return fromEnv
  }
  return join(homedir(), '.ipts')
}

/**
 * Loads the repo's identity key, generating and storing one on first use. Creation is atomic:
 * the key is written to a temporary file and hard-linked into place, so a crash never leaves a
 * partial key file and two processes starting at once end up with the same identity.
 *
 * @throws IdentityPermissionsError if the key file is accessible by group or others
 * @throws IdentityCorruptError if the key file does not hold a valid Ed25519 private key
 * @throws UnsupportedKeyError if the key file holds a valid key of another type
 */
export async function loadOrCreateIdentity (repoDir: string): Promise<Identity> {
  const file = join(repoDir, IDENTITY_FILE)
  const existing = await readKeyFile(file)
  if (existing != null) {
    return { ...parseIdentity(existing, file), created: false }
  }
  await mkdir(repoDir, { recursive: true, mode: REPO_DIR_MODE })
  const privateKey = await generateKeyPair('Ed25519')
  const tmp = join(repoDir, `.${IDENTITY_FILE}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`)
  await writeFile(tmp, privateKeyToProtobuf(privateKey), { mode: IDENTITY_FILE_MODE, flag: 'wx', flush: true })
  try {
    await link(tmp, file)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw err
    }
    // another process created it first: use theirs
    const theirs = await readKeyFile(file)
    if (theirs == null) {
      throw err
    }
    return { ...parseIdentity(theirs, file), created: false }
  } finally {
    await unlink(tmp)
  }
  return { privateKey, peerId: peerIdFromPrivateKey(privateKey), created: true }
}

/** The key file's bytes after checking its mode, or undefined if it does not exist. */
async function readKeyFile (file: string): Promise<Uint8Array | undefined> {
  let handle
  try {
    handle = await open(file, 'r')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      return undefined
    }
    throw err
  }
  try {
    const stat = await handle.stat()
    if (!stat.isFile()) {
      throw new IdentityCorruptError(`${file} is not a regular file`)
    }
    // Windows has no POSIX modes; its ACLs are left to the user
    if (process.platform !== 'win32' && (stat.mode & GROUP_OTHER_BITS) !== 0) {
      throw new IdentityPermissionsError(`${file} has mode ${(stat.mode & 0o777).toString(8).padStart(4, '0')}: it must be readable by its owner only (chmod 600 ${file})`)
    }
    if (stat.size > MAX_IDENTITY_FILE_BYTES) {
      throw new IdentityCorruptError(`${file} is ${stat.size} bytes, too large for a private key`)
    }
    return new Uint8Array(await handle.readFile())
  } finally {
    await handle.close()
  }
}
