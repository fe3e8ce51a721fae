import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * What the `peer` benchmark needs outside this repository, made once into a cache folder: the
 * published nightscout-connect (not a devDependency: it pulls xstate 4, yargs and an old axios into
 * our tree) and a self-signed certificate for the HTTPS fake LibreLink Up.
 */

export const PEER_VERSION = '0.0.12';
const CACHE = join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'gluco-hub-bench');

function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.status ?? result.signal}):\n${result.stderr}`);
}

/** Path of nightscout-connect's CLI script, installed on first use. */
export function peerBin(): string {
  const prefix = join(CACHE, `nightscout-connect-${PEER_VERSION}`);
  const bin = join(prefix, 'node_modules', 'nightscout-connect', 'bin', 'nightscout-connect');
  if (!existsSync(bin)) {
    mkdirSync(prefix, { recursive: true });
    // `moment` is only its devDependency, yet its Glooko source requires it at load time.
    run('npm', ['install', '--prefix', prefix, '--no-audit', '--no-fund', `nightscout-connect@${PEER_VERSION}`, 'moment@2']);
  }
  return bin;
}

export interface SelfSigned {
  key: string;
  cert: string;
  /** The certificate's file, for `NODE_EXTRA_CA_CERTS` of the bridges. */
  certFile: string;
}

/** A certificate for 127.0.0.1, made by `openssl` on first use. */
export function selfSigned(): SelfSigned {
  const dir = join(CACHE, 'tls');
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  if (!existsSync(certFile)) {
    mkdirSync(dir, { recursive: true });
    run('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '3650', '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', keyFile, '-out', certFile,
    ]);
  }
  return { key: readFileSync(keyFile, 'utf8'), cert: readFileSync(certFile, 'utf8'), certFile };
}
