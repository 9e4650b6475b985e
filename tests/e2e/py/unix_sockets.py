# AF_UNIX from Python: socketpair, a threading unix server with several
# clients, asyncio over a unix socket, fd passing, multiprocessing Queue/Pipe.
import asyncio, multiprocessing as mp, os, socket, socketserver, tempfile, threading, array

# socket.socketpair
a, b = socket.socketpair()
a.sendall(b'ping')
print('socketpair', b.recv(16))
b.sendall(b'x' * 100000)
got = 0
while got < 100000:
    got += len(a.recv(65536))
print('socketpair bulk', got)
a.close(); b.close()

d = tempfile.mkdtemp()
path = os.path.join(d, 'srv.sock')

class Echo(socketserver.StreamRequestHandler):
    def handle(self):
        for line in self.rfile:
            self.wfile.write(line.upper())

srv = socketserver.ThreadingUnixStreamServer(path, Echo)
th = threading.Thread(target=srv.serve_forever, daemon=True)
th.start()

def client(i, out):
    with socket.socket(socket.AF_UNIX) as c:
        c.connect(path)
        f = c.makefile('rwb')
        for j in range(5):
            f.write(b'client %d line %d\n' % (i, j)); f.flush()
            out[i].append(f.readline().decode().strip())

out = {i: [] for i in range(6)}
ts = [threading.Thread(target=client, args=(i, out)) for i in range(6)]
for t in ts: t.start()
for t in ts: t.join()
for i in range(6):
    print('threaded server', i, out[i][0], '...', out[i][-1], len(out[i]))
srv.shutdown(); srv.server_close()
try:
    socket.socket(socket.AF_UNIX).connect(path)
except ConnectionRefusedError as e:
    print('after close', type(e).__name__)

# asyncio over a unix socket
apath = os.path.join(d, 'aio.sock')
async def handle(reader, writer):
    while data := await reader.readline():
        writer.write(b'echo:' + data)
        await writer.drain()
    writer.close()

async def amain():
    server = await asyncio.start_unix_server(handle, apath)
    async def one(n):
        r, w = await asyncio.open_unix_connection(apath)
        res = []
        for k in range(3):
            w.write(b'%d-%d\n' % (n, k)); await w.drain()
            res.append((await r.readline()).decode().strip())
        w.close(); await w.wait_closed()
        return res
    results = await asyncio.gather(*(one(n) for n in range(4)))
    server.close(); await server.wait_closed()
    return results
for r in asyncio.run(amain()):
    print('asyncio', r)

# fd passing with socket.send_fds / recv_fds
x, y = socket.socketpair()
rfd, wfd = os.pipe()
socket.send_fds(x, [b'fd'], [wfd])
msg, fds, flags, addr = socket.recv_fds(y, 10, 1)
os.write(fds[0], b'through passed fd')
print('send_fds', msg, os.read(rfd, 100))

# multiprocessing: Pipe and Queue (sockets and pipes underneath), a Pool
def worker(conn, q):
    conn.send(('child', os.getpid() != 0, sum(range(1000))))
    q.put([i * i for i in range(10)])
    conn.close()

def square(v):
    return v * v

if __name__ == '__main__':
    for method in ['fork', 'spawn', 'forkserver']:
        ctx = mp.get_context(method)
        parent, child = ctx.Pipe()
        q = ctx.Queue()
        p = ctx.Process(target=worker, args=(child, q))
        p.start()
        print(method, 'pipe', parent.recv())
        print(method, 'queue', q.get(timeout=60))
        p.join()
        print(method, 'exit', p.exitcode)
    with mp.get_context('fork').Pool(3) as pool:
        print('pool', pool.map(square, range(12)))
