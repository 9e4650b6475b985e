# TCP and UDP on loopback from Python: `python3 -m http.server` (IPv4 default
# bind, then --bind :: dual stack) fetched with urllib over 127.0.0.1, ::1 and
# localhost; an in-process threading HTTP server; UDP echo over IPv4 and IPv6;
# connection refused over TCP and (through the pending error) UDP.
import errno, http.server, os, socket, subprocess, sys, tempfile, threading, time
import urllib.error, urllib.request

d = tempfile.mkdtemp()
with open(os.path.join(d, 'hello.txt'), 'w') as f:
    f.write('hello over loopback\n' * 100)

def free_port(family, addr):
    with socket.socket(family) as s:
        s.bind((addr, 0))
        return s.getsockname()[1]

def fetch(url):
    try:
        with urllib.request.urlopen(url, timeout=20) as r:
            body = r.read()
            return '%d %d %s' % (r.status, len(body), body.splitlines()[0].decode())
    except urllib.error.HTTPError as e:
        return 'HTTP %d' % e.code
    except urllib.error.URLError as e:
        return 'URLError %s' % type(e.reason).__name__

def serve(args, port, hosts):
    p = subprocess.Popen([sys.executable, '-m', 'http.server', str(port)] + args, cwd=d,
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    banner = p.stdout.readline().decode()          # printed once it listens
    print('banner', banner.split(' port ')[0])
    try:
        for host in hosts:
            print(' ', host, fetch('http://%s:%d/hello.txt' % (host, port)))
        print('  listing', fetch('http://127.0.0.1:%d/' % port).split()[0])
        print('  missing', fetch('http://127.0.0.1:%d/missing' % port))
    finally:
        p.terminate()
        p.wait()
    print('  server exit', p.returncode)

serve([], free_port(socket.AF_INET, '0.0.0.0'), ['127.0.0.1', 'localhost', '[::1]'])
serve(['--bind', '::'], free_port(socket.AF_INET6, '::'), ['127.0.0.1', '[::1]', 'localhost'])

# In-process server with several concurrent clients.
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = ('path=%s peer=%s\n' % (self.path, self.client_address[0])).encode()
        self.send_response(200)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass

srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
threading.Thread(target=srv.serve_forever, daemon=True).start()
port = srv.server_address[1]
results = {}
def get(i):
    with urllib.request.urlopen('http://127.0.0.1:%d/n%d' % (port, i)) as r:
        results[i] = r.read().decode().strip()
ts = [threading.Thread(target=get, args=(i,)) for i in range(8)]
for t in ts: t.start()
for t in ts: t.join()
for i in range(8):
    print('threaded', results[i])
srv.shutdown()
srv.server_close()

# UDP echo, IPv4 and IPv6.
for fam, addr in [(socket.AF_INET, '127.0.0.1'), (socket.AF_INET6, '::1')]:
    a = socket.socket(fam, socket.SOCK_DGRAM); a.bind((addr, 0))
    b = socket.socket(fam, socket.SOCK_DGRAM); b.bind((addr, 0))
    b.sendto(b'datagram', a.getsockname())
    data, src = a.recvfrom(100)
    a.sendto(data.upper(), src)
    print('udp', fam.name, data, b.recv(100), src == b.getsockname())
    a.close(); b.close()

# Errors: a closed port, a connected UDP peer that is not there.
c = socket.socket()
try:
    c.connect(('127.0.0.1', free_port(socket.AF_INET, '127.0.0.1')))
except OSError as e:
    print('closed port', errno.errorcode[e.errno])
c.close()
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.connect(('127.0.0.1', free_port(socket.AF_INET, '127.0.0.1')))
u.send(b'x')
time.sleep(0.1)
try:
    u.send(b'x')
except OSError as e:
    print('udp refused', errno.errorcode[e.errno])
u.close()
