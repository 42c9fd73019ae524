// What the benchmark scripts share.
import net from 'node:net';

/** A TCP port nothing listens on now, for a server under test. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/**
 * `fetch`, sent again once if the connection it reused was closed under it:
 * the server closes a keep-alive connection idle for its header timeout
 * (10 s), and a request sent at that moment meets the close.
 */
export async function fetch(url, init) {
  try {
    return await globalThis.fetch(url, init);
  } catch (error) {
    if (error.cause?.code !== 'UND_ERR_SOCKET') throw error;
    return globalThis.fetch(url, init);
  }
}
