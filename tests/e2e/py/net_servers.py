"""Loopback servers inside one sandbox (tests/e2e/egress.sh): an asyncio
echo server and client, and socketserver.ThreadingTCPServer under 50
concurrent clients. Prints only deterministic lines."""
import asyncio
import socket
import socketserver
import threading


async def asyncio_echo():
    async def handle(reader, writer):
        while data := await reader.readline():
            writer.write(data.upper())
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    results = []
    async def client(i):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for j in range(5):
            writer.write(f"client {i} line {j}\n".encode())
            await writer.drain()
            results.append(await reader.readline())
        writer.close()
        await writer.wait_closed()
    await asyncio.gather(*(client(i) for i in range(10)))
    server.close()
    await server.wait_closed()
    print("asyncio echo:", len(results), "replies,", sum(r.startswith(b"CLIENT") for r in results), "upper")


class Handler(socketserver.StreamRequestHandler):
    def handle(self):
        line = self.rfile.readline()
        self.wfile.write(b"echo:" + line)


def threading_server(n=50):
    socketserver.ThreadingTCPServer.allow_reuse_address = True
    srv = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    srv.request_queue_size = 64
    port = srv.server_address[1]
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    ok = []
    lock = threading.Lock()
    barrier = threading.Barrier(n)

    def client(i):
        barrier.wait()
        with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
            s.sendall(f"{i}\n".encode())
            data = b""
            while not data.endswith(b"\n"):
                chunk = s.recv(100)
                if not chunk:
                    break
                data += chunk
        with lock:
            ok.append(data == f"echo:{i}\n".encode())

    clients = [threading.Thread(target=client, args=(i,)) for i in range(n)]
    for c in clients:
        c.start()
    for c in clients:
        c.join()
    srv.shutdown()
    srv.server_close()
    print("ThreadingTCPServer:", n, "clients,", sum(ok), "ok")


asyncio.run(asyncio_echo())
threading_server()
