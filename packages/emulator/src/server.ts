// One port for HTTP/1.1 and HTTP/2. Cleartext: a net.Server peeks at each connection's first
// bytes; the HTTP/2 connection preface ("PRI * HTTP/2.0", prior knowledge h2c) goes to an
// http2 server, anything else to an http server. TLS: http2.createSecureServer with allowHTTP1,
// so ALPN picks h2 or http/1.1. Both hand the same (req, res) to one handler (router.ts).

import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import type { Req, Res } from './http';

export interface Listener {
  server: net.Server;
  /** Ends every open connection (so close() does not wait for long PutMedia/GetMedia requests). */
  destroyAll(): void;
}

/** Receives HTTP/1.1 upgrade requests (the signaling WebSocket, signaling-ws.ts). */
export type UpgradeHandler = (req: http.IncomingMessage, socket: Duplex, head: Buffer) => void;

export function createListener(
  handler: (req: Req, res: Res) => void,
  tls?: { cert: string; key: string },
  onUpgrade?: UpgradeHandler,
): Listener {
  const sockets = new Set<net.Socket>();
  const h2Sessions = new Set<http2.ServerHttp2Session>();
  const track = (s: net.Socket): void => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  };
  let server: net.Server;
  if (tls) {
    const secure = http2.createSecureServer({ cert: tls.cert, key: tls.key, allowHTTP1: true }, handler);
    secure.on('secureConnection', (s: net.Socket) => {
      s.setNoDelay(true);
      track(s);
    });
    secure.on('session', (s) => {
      h2Sessions.add(s);
      s.on('close', () => h2Sessions.delete(s));
    });
    // With allowHTTP1, HTTP/1.1 upgrade requests reach the secure server's 'upgrade' event.
    if (onUpgrade) secure.on('upgrade', onUpgrade);
    server = secure;
  } else {
    const h1 = http.createServer({ requestTimeout: 0, keepAliveTimeout: 5000 }, handler);
    if (onUpgrade) h1.on('upgrade', onUpgrade);
    const h2 = http2.createServer({}, handler);
    h2.on('session', (s) => {
      h2Sessions.add(s);
      s.on('close', () => h2Sessions.delete(s));
    });
    server = net.createServer((socket) => {
      // ACK lines are small and latency matters (Nagle would hold them back).
      socket.setNoDelay(true);
      track(socket);
      socket.once('readable', () => {
        const first = socket.read() as Buffer | null;
        if (first === null) return;
        socket.unshift(first);
        const target = first.subarray(0, 3).toString('latin1') === 'PRI' ? h2 : h1;
        target.emit('connection', socket);
      });
    });
  }
  return {
    server,
    destroyAll() {
      for (const s of h2Sessions) s.destroy();
      for (const s of sockets) s.destroy();
    },
  };
}
